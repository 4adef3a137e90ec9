//! `ivconform timing`: the reference's own verifier passes over FFI with controls that behaved (asserted, so
//! the test cannot pass on an Inconclusive run); an early-exit C verifier is flagged over FFI; a crashing one
//! is contained; over HTTP a delayed control IUT is flagged and the floor is printed.

use crate::util::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// Compiles `fixtures/timing/verify_raw.c` with `-DMODE_<mode>` into a fresh shared library.
fn library(mode: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("ivconform-timing-{}-{mode}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("libverify_{mode}.so"));
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", &format!("-DMODE_{}", mode.to_uppercase()), "-I"])
        .arg(root.join("../include"))
        .arg(root.join("tests/fixtures/timing/verify_raw.c"))
        .arg("-o")
        .arg(&out)
        .status()
        .expect("a C compiler (cc) is needed for the timing tests; .ci/run installs gcc");
    assert!(status.success(), "cc failed for mode {mode}");
    out
}

/// Runs `ivconform timing ARGS --json FILE` and returns the output and the JSON report.
fn timing(args: &[&str], name: &str) -> (Output, serde_json::Value) {
    let report = std::env::temp_dir().join(format!("ivconform-timing-{}-{name}.json", std::process::id()));
    let out =
        Command::new(bin()).arg("timing").args(args).arg("--json").arg(&report).output().expect("the harness starts");
    let json = std::fs::read_to_string(&report)
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(serde_json::Value::Null);
    (out, json)
}

/// The target with this role (`iut`, `constant-control`, `early-exit-control`): the first one.
fn target<'a>(report: &'a serde_json::Value, role: &str) -> &'a serde_json::Value {
    report["targets"].as_array().unwrap().iter().find(|t| t["role"] == role).unwrap_or_else(|| panic!("{role}"))
}

#[test]
fn the_reference_passes_over_ffi_and_the_controls_behaved() {
    let (out, report) = timing(&["--reference", "ffi", "--samples", "60000", "--seed", "1"], "reference");
    let text = log(&out);
    // Not vacuous: the early-exit control must have been flagged and the constant-time control must have
    // passed in this very job, and only then is the verdict Pass.
    let early = target(&report, "early-exit-control");
    assert_eq!(early["pairs"][0]["leak"], true, "the early-exit control was not flagged:\n{text}");
    let constant = target(&report, "constant-control");
    for pair in constant["pairs"].as_array().unwrap() {
        assert_eq!(pair["leak"], false, "the constant-time control was flagged:\n{text}");
    }
    assert_eq!(report["controls_ok"], true, "{text}");
    assert_eq!(report["verdict"], "pass", "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
    let iut = target(&report, "iut");
    // The reference exports ivc_verify_jwt_raw: the JWT pair is measured too, and the early-exit token
    // verifier was flagged on it (else the controls would not be ok).
    assert_eq!(iut["pairs"].as_array().unwrap().len(), 3, "{text}");
    assert_eq!(early["pairs"][2]["leak"], true, "the early-exit token control was not flagged:\n{text}");
    // Sequential sampling: at least --samples (half as many again for the JWT pair), more only while the
    // verdict was not clear (said so).
    let measured: u64 = iut["pairs"].as_array().unwrap().iter().map(|p| p["samples"].as_u64().unwrap()).sum();
    assert!(measured >= 90000, "{measured}");
    assert_eq!(report["sampling"]["measured"].as_u64(), Some(measured), "{text}");
    assert_eq!(report["sampling"]["stopped"], "clear", "{text}");
    assert!(iut["pairs"][0]["detectable_ns"].as_f64().unwrap() > 0.0, "{text}");
    assert!(text.contains("Verdict: PASS"), "{text}");
}

#[test]
fn an_early_exit_verifier_is_flagged_over_ffi_and_a_crashing_one_is_contained() {
    let lib = library("early_exit");
    let (out, report) = timing(&["--lib", lib.to_str().unwrap(), "--samples", "20000", "--seed", "2"], "early");
    let text = log(&out);
    assert_eq!(report["verdict"], "fail", "{text}");
    assert_eq!(report["controls_ok"], true, "{text}");
    assert_eq!(target(&report, "iut")["pairs"][0]["leak"], true, "{text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
    // A clear leak with the controls behaving ends the sampling early (two rounds that agree).
    assert_eq!(report["sampling"]["stopped"], "clear", "{text}");
    assert!(text.contains("Verdict: FAIL") && text.contains("pair 1"), "{text}");
    // This fixture has no ivc_verify_jwt_raw: two pairs, and the report says why not three.
    assert_eq!(target(&report, "iut")["pairs"].as_array().unwrap().len(), 2, "{text}");
    assert!(report["not_measured"][0].as_str().unwrap().contains("ivc_verify_jwt_raw"), "{text}");

    let lib = library("crash");
    let (out, report) = timing(&["--lib", lib.to_str().unwrap(), "--samples", "1000"], "crash");
    let text = log(&out);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert_eq!(report["verdict"], "inconclusive", "{text}");
    assert!(text.contains("SIGSEGV"), "{text}");
}

#[test]
fn a_token_verifier_with_an_early_exit_signature_compare_is_flagged_over_ffi_on_j1() {
    // ivc_verify_raw compares hashes in constant time; ivc_verify_jwt_raw returns at the first differing
    // signature byte: the leak is on pair 3 and the verdict names J1.
    // A byte loop over 32 bytes in C is a small leak (about 30 ns on an idle machine): 100,000 samples, so
    // that a loaded machine (the other tests run beside this one) still sees it.
    let lib = library("jwt_early_exit");
    let (out, report) = timing(&["--lib", lib.to_str().unwrap(), "--samples", "100000", "--seed", "6"], "jwt-early");
    let text = log(&out);
    assert_eq!(report["verdict"], "fail", "{text}");
    assert_eq!(report["controls_ok"], true, "{text}");
    assert_eq!(target(&report, "iut")["pairs"][2]["leak"], true, "{text}");
    assert!(report["reason"].as_str().unwrap().contains("J1"), "{text}");
    assert_eq!(target(&report, "iut")["unexpected_answers"], 0, "every timed token was refused: {text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
}

/// A control server with a 300 µs data-dependent delay, as an IUT over HTTP.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn over_http_a_delay_is_flagged_and_the_floor_is_measured() {
    let mut child = Command::new(bin())
        .args(["timing-control", "--http", "127.0.0.1:0", "--delay-ns", "300000"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _server = Server(child);
    let url = line.trim().strip_prefix("listening on ").expect("the address").to_string();
    let (out, report) = timing(&["--url", &url, "--samples", "2000", "--ladder", "100,400", "--seed", "3"], "http");
    let text = log(&out);
    assert_eq!(report["controls_ok"], true, "{text}");
    assert_eq!(report["verdict"], "fail", "{text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
    let floor = report["floor_ns"].as_f64().expect("a measured floor");
    assert!(floor == 100_000.0 || floor == 400_000.0, "{floor}");
    assert!(text.contains("measured detection floor"), "{text}");
    // The control IUT claims verify_jwt and delays on a token signature's first byte too: the JWT pair is
    // measured, flagged, and named in the verdict (J1).
    let pairs = target(&report, "iut")["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 3, "{text}");
    assert_eq!(pairs[2]["leak"], true, "{text}");
    assert!(report["reason"].as_str().unwrap().contains("J1"), "{text}");
    assert!(report["not_measured"].as_array().unwrap().is_empty(), "{text}");
    assert_eq!(report["problems"].as_array().unwrap().len(), 0, "every timed request was refused as expected: {text}");
}

#[test]
fn an_implementation_without_verify_jwt_is_timed_on_the_hash_pairs_and_the_report_says_why() {
    // proxy.py no-jwt: the reference, but hello claims no JWT capability and a JWT payload gets an error
    // answer, so a timed token would show up as an unexpected answer.
    let report = std::env::temp_dir().join(format!("ivconform-timing-{}-nojwt.json", std::process::id()));
    let out = Command::new(bin())
        .current_dir(fixtures())
        .env("IVCONFORM_BIN", bin())
        .args(["timing", "--cmd", "python3 proxy.py no-jwt", "--samples", "2000", "--max-samples", "2000"])
        .args(["--ladder", "400", "--seed", "4", "--quiet", "--json"])
        .arg(&report)
        .output()
        .expect("the harness starts");
    let text = log(&out);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(target(&report, "iut")["pairs"].as_array().unwrap().len(), 2, "{text}");
    assert_eq!(target(&report, "iut")["unexpected_answers"], 0, "no token was sent: {text}");
    let why = report["not_measured"][0].as_str().unwrap_or_default();
    assert!(why.contains("pair 3") && why.contains("verify_jwt"), "{text}");
    assert!(text.contains("not measured"), "the human report says so too: {text}");
    assert_eq!(report["sampling"]["measured"], 2000, "exactly --max-samples: {text}");

    // proxy.py jwt-only: a JWT library (hello claims verify_jwt and sign_jwt only, a payload without a token
    // gets an error answer): timed on the JWT pair alone, never sent a user_hash.
    let report = std::env::temp_dir().join(format!("ivconform-timing-{}-jwtonly.json", std::process::id()));
    let out = Command::new(bin())
        .current_dir(fixtures())
        .env("IVCONFORM_BIN", bin())
        .args(["timing", "--cmd", "python3 proxy.py jwt-only", "--samples", "2000", "--max-samples", "2000"])
        .args(["--ladder", "400", "--seed", "4", "--quiet", "--json"])
        .arg(&report)
        .output()
        .expect("the harness starts");
    let text = log(&out);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let iut = target(&report, "iut");
    assert_eq!(iut["pair_ids"], serde_json::json!([2]), "{text}");
    assert_eq!(iut["unexpected_answers"], 0, "no user_hash was sent: {text}");
    assert!(report["not_measured"][0].as_str().unwrap_or_default().contains("pairs 1 and 2"), "{text}");
    // The JWT pair alone has half the budget's measurements (each pair gets the same share).
    assert_eq!(report["sampling"]["measured"], 1000, "{text}");
    assert!(text.contains("pair 3: JWT signature"), "{text}");
}

#[test]
fn usage_errors_and_a_library_without_the_raw_entry_point() {
    let (out, _) = timing(&["--reference", "ffi", "--samples", "10"], "few");
    assert_eq!(out.status.code(), Some(2), "{}", log(&out));
    // misbehave.c exports the required symbols but not ivc_verify_raw: no measurement, said so.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::env::temp_dir().join(format!("ivconform-timing-{}-noraw.so", std::process::id()));
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", "-DMODE_GARBAGE", "-I"])
        .arg(root.join("../include"))
        .arg(root.join("tests/fixtures/ffi/misbehave.c"))
        .arg("-o")
        .arg(&lib)
        .status()
        .unwrap();
    assert!(status.success());
    let (out, report) = timing(&["--lib", lib.to_str().unwrap(), "--samples", "1000"], "noraw");
    assert_eq!(out.status.code(), Some(4), "{}", log(&out));
    assert!(report["reason"].as_str().unwrap().contains("ivc_verify_raw"), "{report}");
}
