//! The FFI transport contains misbehaving libraries: a segfault fails the case that triggered it and the
//! harness goes on with a new child; garbage and oversize answers are protocol errors; a wrong ABI version or
//! a missing symbol stops the run with exit code 3 and a clear message.
//!
//! Two levels: `ivconform ffi-host --lib PATH` driven directly over its stdin/stdout (what the host itself
//! promises), and `ivconform run --lib PATH` end to end (how the runner classifies and recovers).

use crate::util::*;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};

/// A running `ivconform ffi-host --lib LIB`, spoken to line by line.
struct Host {
    child: Child,
    out: BufReader<ChildStdout>,
}

impl Host {
    fn start(lib: &Path) -> Host {
        let mut child = Command::new(bin())
            .args(["ffi-host", "--lib"])
            .arg(lib)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ivconform ffi-host starts");
        let out = BufReader::new(child.stdout.take().unwrap());
        Host { child, out }
    }

    /// Sends one request line; the answer line without its newline, or `None` at EOF (the host died).
    fn call(&mut self, request: &str) -> Option<Vec<u8>> {
        let stdin = self.child.stdin.as_mut().unwrap();
        if stdin.write_all(format!("{request}\n").as_bytes()).and_then(|()| stdin.flush()).is_err() {
            return None;
        }
        let mut line = Vec::new();
        match self.out.read_until(b'\n', &mut line).unwrap() {
            0 => None,
            _ => {
                assert_eq!(line.pop(), Some(b'\n'), "an answer is a whole line");
                Some(line)
            }
        }
    }

    /// Closes stdin and waits: the exit status and everything written to stderr.
    fn finish(mut self) -> (std::process::ExitStatus, String) {
        drop(self.child.stdin.take());
        let out = self.child.wait_with_output().unwrap();
        (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

const HELLO: &str = r#"{"seq":1,"type":"hello","protocol":"ivconform/1","suite_version":"test"}"#;

#[test]
fn ffi_host_serves_the_reference_library_exactly_like_the_reference() {
    let payload: String =
        br#"{"app_id":"ws","user_id":"u1","user_hash":"00"}"#.iter().map(|b| format!("{b:02x}")).collect();
    let requests = [
        HELLO.to_string(),
        r#"{"seq":2,"type":"hmac","key_hex":"4a656665","msg_hex":"7768617420646f2079612077616e7420666f72206e6f7468696e673f"}"#.into(),
        r#"{"seq":3,"type":"sign","secret_hex":"6b6579","user_id":5678,"email":"a@b.c"}"#.into(),
        r#"{"seq":4,"type":"sign","secret_hex":"6b6579","user_id":null,"email":null}"#.into(),
        format!(
            r#"{{"seq":5,"type":"verify","config":{{"apps":{{"ws":{{"web":{{"secret":"s","enforced":true}}}}}}}},"platform":"web","payload_hex":"{payload}"}}"#
        ),
        r#"{"seq":6,"type":"frobnicate"}"#.into(),
        r#"{"seq":7,"type":"bye"}"#.into(),
    ];
    let mut host = Host::start(&reference_library());
    for request in &requests {
        let answer = utf8(host.call(request).expect("the host answers"));
        let expected = serde_json::to_string(&ivconform_protocol::reference::handle_bytes(request.as_bytes())).unwrap();
        assert_eq!(answer, expected, "{request}");
    }
    // After answering bye the host exits on its own, successfully.
    let (status, stderr) = host.finish();
    assert!(status.success(), "{status}: {stderr}");
}

#[test]
fn ffi_host_dies_by_sigsegv_on_the_crashing_request_and_a_new_host_works() {
    use std::os::unix::process::ExitStatusExt;
    let lib = misbehave_library("segv_verify");
    let mut host = Host::start(&lib);
    assert!(utf8(host.call(HELLO).unwrap()).contains(r#""type":"hello""#));
    let sign = utf8(host.call(r#"{"seq":2,"type":"sign","secret_hex":"6b","user_id":"u"}"#).unwrap());
    assert!(sign.contains(r#""seq":2,"type":"error""#), "{sign}");
    let verify = r#"{"seq":3,"type":"verify","config":{},"platform":"web","payload_hex":""}"#;
    assert_eq!(host.call(verify), None, "no answer from a segfault");
    let (status, _) = host.finish();
    assert_eq!(status.signal(), Some(11), "killed by SIGSEGV: {status}");
    // The library is fine again in a fresh process.
    let mut fresh = Host::start(&lib);
    assert!(utf8(fresh.call(HELLO).unwrap()).contains(r#""type":"hello""#));
    let (status, stderr) = fresh.finish();
    assert!(status.success(), "{status}: {stderr}");
}

#[test]
fn ffi_host_passes_a_librarys_bytes_through_unchanged() {
    let hmac = r#"{"seq":2,"type":"hmac","key_hex":"6b","msg_hex":""}"#;
    let mut garbage = Host::start(&misbehave_library("garbage"));
    assert_eq!(garbage.call(hmac).unwrap(), b"\x01\x02 definitely not json");
    let mut huge = Host::start(&misbehave_library("huge"));
    // A 2 MiB answer: the host copies the cap plus one byte, enough for the harness to call it oversize,
    // and never the whole buffer.
    let line = huge.call(hmac).unwrap();
    assert_eq!(line.len(), ivconform_protocol::MAX_RESPONSE_BYTES + 1);
    assert!(line.iter().all(|&b| b == b'x'));
    let mut fail = Host::start(&misbehave_library("fail"));
    let note = utf8(fail.call(hmac).unwrap());
    assert!(note.contains("return code 7") && serde_json::from_str::<serde_json::Value>(&note).is_err(), "{note}");
    // A library printing to stdout does not corrupt the protocol; its text goes to stderr. Its pretty-printed
    // (multi-line) hello arrives as one line meaning the same JSON.
    let mut chatty = Host::start(&misbehave_library("chatty"));
    let hello: serde_json::Value = serde_json::from_slice(&chatty.call(HELLO).unwrap()).unwrap();
    assert_eq!(hello["name"], "misbehave");
    let (status, stderr) = chatty.finish();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("misbehave: chatty library saw"), "{stderr}");
}

#[test]
fn ffi_host_refuses_unusable_libraries_with_a_clear_message() {
    let missing = std::env::temp_dir().join("ivconform-ffi-no-such-library.so");
    for (lib, needle) in [
        (misbehave_library("badabi"), "implements ABI version 2, but this harness speaks version 1".to_string()),
        (misbehave_library("nofree"), "does not export the required symbol ivc_free".to_string()),
        (missing.clone(), format!("{}: no such file", missing.display())),
    ] {
        let out = Command::new(bin()).args(["ffi-host", "--lib"]).arg(&lib).stdin(Stdio::null()).output().unwrap();
        assert!(!out.status.success(), "{}: {}", lib.display(), log(&out));
        assert!(out.stdout.is_empty(), "nothing on the protocol stream: {}", log(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&needle), "{}: {stderr}", lib.display());
    }
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

#[test]
fn a_segfaulting_library_fails_each_case_and_the_run_goes_on() {
    let lib = misbehave_library("segv");
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
        let lib = misbehave_library(mode);
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
    let (out, _) = run(&misbehave_library("badabi"), &["--case", "sign-only-email"]);
    assert_eq!(out.status.code(), Some(3), "{}", log(&out));
    assert!(log(&out).contains("ABI version 2"), "{}", log(&out));
    let (out, _) = run(&misbehave_library("nofree"), &["--case", "sign-only-email"]);
    assert_eq!(out.status.code(), Some(3), "{}", log(&out));
    assert!(log(&out).contains("ivc_free"), "{}", log(&out));
}

#[test]
fn the_reference_library_exports_the_header_and_nothing_else() {
    let lib = reference_library();
    let out = Command::new("nm").args(["-D", "--defined-only"]).arg(&lib).output();
    let Ok(out) = out else { panic!("nm (binutils) is needed to inspect the exported symbols") };
    assert!(out.status.success(), "nm failed: {}", log(&out));
    let mut functions: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [_, "T", name] => Some(name.to_string()),
            _ => None,
        })
        .collect();
    functions.sort();
    // What the header declares: every `ivc_NAME(` at the start of a declaration line.
    let header = std::fs::read_to_string(root().join("include/ivconform.h")).unwrap();
    let mut declared: Vec<String> = header
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('*') && !l.starts_with("/*"))
        .filter_map(|l| l.split_once("ivc_").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once('(').map(|(name, _)| format!("ivc_{name}")))
        .collect();
    declared.sort();
    assert_eq!(declared.len(), 6, "the header's declarations: {declared:?}");
    assert_eq!(functions, declared);
}
