//! The C adapter (`adapters/c`, OpenSSL libcrypto + Jansson over the C ABI): built with its own Makefile into a
//! temporary directory, it must pass every golden vector with nothing skipped, the Wycheproof HMAC-SHA256 file
//! its C self-test with a differential fuzz against the reference
//! library, and the golden vectors again under AddressSanitizer + UBSan with no sanitizer report, leaks included.
//!
//! Nothing here is skipped when a tool is missing: the test fails and names the Debian package to install.

use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// What the Makefile built, in a directory of this test process's own (so concurrent runs never share a file).
struct Built {
    dir: PathBuf,
    lib: PathBuf,
    asan_lib: PathBuf,
    selftest: PathBuf,
}

/// Compiles and links a one-line program against `header` and `lib`, failing with the package that provides them.
fn require_dev_package(dir: &Path, header: &str, lib: &str, package: &str) {
    let src = dir.join(format!("probe-{package}.c"));
    std::fs::write(&src, format!("#include <{header}>\nint main(void) {{ return 0; }}\n")).unwrap();
    let cflags = Command::new("pkg-config")
        .args(["--cflags", "libcrypto", "jansson"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().map(String::from).collect::<Vec<_>>())
        .unwrap_or_default();
    let out = Command::new("cc")
        .args(&cflags)
        .arg(&src)
        .arg("-o")
        .arg(dir.join(format!("probe-{package}")))
        .arg(lib)
        .output()
        .expect("cc runs");
    assert!(
        out.status.success(),
        "the C adapter needs <{header}> and {lib}: apt-get install -y {package}\n{}",
        log(&out)
    );
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ivconform-c-adapter-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = require_tool("make", "make");
        let _ = require_tool("cc", "gcc libc6-dev");
        require_dev_package(&dir, "stdio.h", "-lc", "libc6-dev");
        require_dev_package(&dir, "openssl/hmac.h", "-lcrypto", "libssl-dev");
        require_dev_package(&dir, "jansson.h", "-ljansson", "libjansson-dev");
        let built = Built {
            lib: dir.join("libivconform_c.so"),
            asan_lib: dir.join("libivconform_c-asan.so"),
            selftest: dir.join("selftest"),
            dir,
        };
        // One make invocation builds everything, so no two builds ever write the same file.
        let out = Command::new("make")
            .arg("-C")
            .arg(root().join("adapters/c"))
            .arg(format!("BUILD={}", built.dir.display()))
            .arg("all")
            .arg("asan")
            .arg(&built.selftest)
            .output()
            .expect("make runs");
        assert!(out.status.success(), "make -C adapters/c failed:\n{}", log(&out));
        for f in [&built.lib, &built.asan_lib, &built.selftest] {
            assert!(f.is_file(), "make succeeded but {} is missing:\n{}", f.display(), log(&out));
        }
        built
    })
}

/// `ivconform run --lib LIB [extra]` with a JSON report; the process output and the parsed report.
fn run(lib: &Path, report: &Path, extra: &[&str], env: &[(&str, &str)]) -> (Output, serde_json::Value) {
    let out = Command::new(bin())
        .args(["run", "--lib"])
        .arg(lib)
        .args(["--no-timings", "--json"])
        .arg(report)
        .args(extra)
        .envs(env.iter().copied())
        .output()
        .expect("the harness starts");
    let json = std::fs::read_to_string(report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    (out, json)
}

/// Asserts a conformant run in which every case passed and none was skipped, but, in a golden-vector run
/// (`expected` given), jwt.json's cases: the C adapter does not claim JWT mode (verify_jwt, sign_jwt).
fn assert_all_passed(out: &Output, report: &serde_json::Value, expected: Option<u64>) {
    assert_eq!(out.status.code(), Some(0), "{}", log(out));
    let s = &report["summary"];
    let total = s["total"].as_u64().unwrap_or(0);
    let skipped = if expected.is_some() { cases_in("jwt") } else { 0 };
    if let Some(expected) = expected {
        assert_eq!(total, expected, "every golden vector must run: {s}");
    }
    assert!(total > 0, "no case ran: {s}");
    assert_eq!(s["pass"].as_u64(), Some(total - skipped), "every case must pass: {s}\n{}", log(out));
    assert_eq!(s["skipped"].as_u64(), Some(skipped), "only jwt.json's cases are skipped: {s}");
    for key in ["fail", "error", "crash", "timeout", "expected_failure"] {
        assert_eq!(s[key].as_u64(), Some(0), "{key} must be 0: {s}");
    }
}

#[test]
fn every_golden_vector_passes_over_ffi() {
    let b = built();
    let (out, report) = run(&b.lib, &b.dir.join("golden.json"), &[], &[]);
    assert_all_passed(&out, &report, Some(vector_count()));
    assert_eq!(report["implementation"]["hello"]["name"], "ivconform-c", "{}", report["implementation"]);
}

#[test]
fn wycheproof_hmac_sha256_passes() {
    let b = built();
    let file = root().join("vectors/external/wycheproof/hmac_sha256_test.json");
    assert!(file.is_file(), "{} is missing (the vendored Wycheproof file)", file.display());
    let (out, report) = run(&b.lib, &b.dir.join("wycheproof.json"), &["--wycheproof", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", log(&out));
    assert_all_passed(&out, &report, None);
}

#[test]
fn the_c_selftest_and_a_differential_fuzz_against_the_reference_pass() {
    let b = built();
    let out = Command::new(&b.selftest)
        .arg(&b.lib)
        .args(["--fuzz", "20000", "--seed", "1", "--reference"])
        .arg(reference_library())
        .output()
        .expect("the self-test starts");
    assert!(out.status.success(), "adapters/c/tests/selftest.c failed:\n{}", log(&out));
}

#[test]
fn only_the_abi_is_exported() {
    let b = built();
    let out = Command::new("nm").args(["-D", "--defined-only"]).arg(&b.lib).output();
    let Ok(out) = out else { panic!("nm is needed to inspect the exported symbols: apt-get install -y binutils") };
    let mut functions: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.split_whitespace().collect::<Vec<_>>().get(1..3).map(|v| (v[0].to_string(), v[1].to_string()))
        })
        .filter(|(kind, _)| kind == "T")
        .map(|(_, name)| name)
        .collect();
    functions.sort();
    assert_eq!(functions, ["ivc_abi_version", "ivc_call", "ivc_free", "ivc_sign_raw", "ivc_verify_raw"]);
}

#[test]
fn address_and_undefined_behaviour_sanitizers_find_nothing() {
    let b = built();
    // The harness is not instrumented, so the sanitizer runtime must come first: LD_PRELOAD reaches the
    // `ivconform ffi-host` child that dlopen()s the library.
    let out = Command::new("cc").arg("-print-file-name=libasan.so").output().expect("cc runs");
    let runtime = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        Path::new(&runtime).is_absolute() && Path::new(&runtime).exists(),
        "cc has no AddressSanitizer runtime (`cc -print-file-name=libasan.so` printed {runtime:?}): \
         apt-get install -y gcc (it brings libasan8)"
    );
    // Reports go to files: a memory error aborts a case (reported as a crash), but leaks are only reported
    // when the child exits after `bye`, which the harness does not look at.
    let reports = b.dir.join("sanitizer");
    let options = format!("log_path={}:detect_leaks=1", reports.display());
    let ubsan = format!("log_path={}:print_stacktrace=1", reports.display());
    let env = [("LD_PRELOAD", runtime.as_str()), ("ASAN_OPTIONS", options.as_str()), ("UBSAN_OPTIONS", ubsan.as_str())];

    let (out, report) = run(&b.asan_lib, &b.dir.join("golden-asan.json"), &[], &env);
    assert_all_passed(&out, &report, Some(vector_count()));
    let out = Command::new(&b.selftest)
        .arg(&b.asan_lib)
        .args(["--fuzz", "20000", "--seed", "2"])
        .envs(env)
        .output()
        .expect("the self-test starts");
    assert!(out.status.success(), "the self-test failed under the sanitizers:\n{}", log(&out));

    let found: Vec<PathBuf> = std::fs::read_dir(&b.dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("sanitizer")))
        .collect();
    let text: String = found.iter().map(|p| std::fs::read_to_string(p).unwrap_or_default()).collect();
    assert!(
        found.is_empty(),
        "sanitizer reports ({}):\n{text}\n(if LeakSanitizer itself cannot run here, e.g. ptrace is forbidden, \
         that is an environment problem: run with ASAN_OPTIONS=detect_leaks=0 to confirm)",
        found.len()
    );
}
