//! The FFI transport contains misbehaving libraries: a segfault fails the case that triggered it and the
//! harness goes on with a new child; garbage and oversize answers are protocol errors; a wrong ABI version or
//! a missing symbol stops the run with exit code 3 and a clear message.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ivconform")
}

/// Compiles `misbehave.c` with `-DMODE_<mode>` into a fresh shared library.
fn library(mode: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("ivconform-ffi-{}-{mode}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("libmisbehave_{mode}.so"));
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", &format!("-DMODE_{}", mode.to_uppercase()), "-I"])
        .arg(root.join("../include"))
        .arg(root.join("tests/fixtures/ffi/misbehave.c"))
        .arg("-o")
        .arg(&out)
        .status()
        .expect("a C compiler (cc) is needed for the FFI tests; .ci/run installs gcc");
    assert!(status.success(), "cc failed for mode {mode}");
    out
}

fn run(lib: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let report = lib.with_extension("json");
    let out = Command::new(bin())
        .args(["run", "--lib", lib.to_str().unwrap(), "--no-timings", "--json", report.to_str().unwrap()])
        .args(extra)
        .output()
        .expect("the harness starts");
    let json = std::fs::read_to_string(&report)
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(serde_json::Value::Null);
    (out, json)
}

fn log(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn a_segfaulting_library_fails_each_case_and_the_run_goes_on() {
    let lib = library("segv");
    let (out, report) =
        run(&lib, &["--case", "sign-only-email", "--case", "verify-prod-web-visitor", "--case", "rfc4231-case-1"]);
    assert_eq!(out.status.code(), Some(1), "{}", log(&out));
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for c in cases {
        assert_eq!(c["outcome"], "crash", "{c}");
        assert!(c["reason"].as_str().unwrap().contains("SIGSEGV"), "{c}");
    }
    // A new child was started for each case after the first crash.
    assert!(report["summary"]["restarts"].as_u64().unwrap() >= 2, "{report}");
}

#[test]
fn garbage_and_oversize_answers_are_protocol_errors() {
    for (mode, needle) in [("garbage", "not a protocol message"), ("huge", "cap")] {
        let lib = library(mode);
        let (out, report) = run(&lib, &["--case", "sign-only-email", "--case", "rfc4231-case-2"]);
        assert_eq!(out.status.code(), Some(1), "{}", log(&out));
        for c in report["cases"].as_array().unwrap() {
            assert_eq!(c["outcome"], "error", "{mode}: {c}");
            assert!(c["reason"].as_str().unwrap().contains(needle), "{mode}: {c}");
        }
    }
}

#[test]
fn wrong_abi_and_missing_symbols_stop_the_run_clearly() {
    let (out, _) = run(&library("badabi"), &["--case", "sign-only-email"]);
    assert_eq!(out.status.code(), Some(3), "{}", log(&out));
    assert!(log(&out).contains("ABI version 2"), "{}", log(&out));
    let (out, _) = run(&library("nofree"), &["--case", "sign-only-email"]);
    assert_eq!(out.status.code(), Some(3), "{}", log(&out));
    assert!(log(&out).contains("ivc_free"), "{}", log(&out));
}

#[test]
fn the_reference_library_exports_the_header() {
    let dir = Path::new(bin()).parent().unwrap();
    let lib = [dir.join("deps/libivconform_ffi.so"), dir.join("libivconform_ffi.so")]
        .into_iter()
        .find(|p| p.is_file())
        .expect("the reference cdylib is built");
    let out = Command::new("nm").args(["-D", "--defined-only"]).arg(&lib).output();
    let Ok(out) = out else { panic!("nm (binutils) is needed to inspect the exported symbols") };
    let symbols = String::from_utf8_lossy(&out.stdout);
    for name in ["ivc_abi_version", "ivc_call", "ivc_free", "ivc_sign_raw", "ivc_verify_raw"] {
        assert!(symbols.lines().any(|l| l.ends_with(&format!(" {name}"))), "{name} is not exported:\n{symbols}");
    }
}
