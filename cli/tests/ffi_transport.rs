//! The FFI transport end to end. These start the real `ivconform` binary as the host (cargo builds it for the integration tests, next
//! to the `deps/` directory this test runs from) and libraries compiled from
//! `tests/fixtures/ffi/misbehave.c`.

use crate::util::*;
use ivconform_harness::transport::ffi::FfiConnector;
use ivconform_harness::transport::{CallError, Connector, Transport};
use ivconform_protocol::{Request, Response};
use std::path::PathBuf;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// The real binary, which has the `ffi-host` subcommand.
fn host() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ivconform"))
}

/// The child's stderr, waiting (up to 5 s) until it contains `needle`: it is drained by another thread.
fn stderr_with(t: &mut Box<dyn Transport>, needle: &str) -> String {
    let mut seen = String::new();
    for _ in 0..500 {
        seen.push_str(&t.take_stderr());
        if seen.contains(needle) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    seen
}

fn connector(lib: PathBuf) -> FfiConnector {
    let c = FfiConnector::with_host(host(), lib, TIMEOUT);
    c.check().unwrap();
    c
}

fn hello(seq: u64) -> Request {
    Request::Hello { seq, protocol: ivconform_protocol::PROTOCOL.into(), suite_version: "test".into() }
}

fn hmac(seq: u64) -> Request {
    Request::Hmac { seq, key_hex: "4a656665".into(), msg_hex: "7768617420646f2079612077616e7420666f72".into() }
}

fn verify(seq: u64) -> Request {
    let config = serde_json::json!({"apps": {"ws": {"web": {"secret": "s", "enforced": true}}}});
    Request::Verify {
        seq,
        config: config.into(),
        platform: "web".into(),
        payload_hex: ivconform_core::hex::encode_lower(br#"{"app_id":"ws"}"#).into(),
        now: None,
    }
}

#[test]
fn the_reference_library_answers_like_the_reference() {
    let c = connector(reference_library());
    let mut t = c.connect().unwrap();
    let sign = Request::Sign { seq: 3, secret_hex: "6b6579".into(), user_id: Some(5678.into()), email: None };
    for request in [hello(1), hmac(2), sign, verify(4), Request::Bye { seq: 5 }] {
        let got = t.call(&request).unwrap();
        assert_eq!(got.response, ivconform_protocol::reference::handle(&request), "{request:?}");
        assert_eq!(got.raw, serde_json::to_string(&got.response).unwrap());
    }
    t.close();
}

#[test]
fn a_segfault_is_a_crash_of_that_call_and_a_new_connection_works() {
    let c = connector(misbehave_library("segv_verify"));
    let mut t = c.connect().unwrap();
    assert!(matches!(t.call(&hello(1)).unwrap().response, Response::Hello { seq: 1, .. }));
    assert!(matches!(t.call(&hmac(2)).unwrap().response, Response::Error { seq: 2, .. }));
    match t.call(&verify(3)) {
        Err(CallError::Crash(why)) => assert!(why.contains("SIGSEGV"), "{why}"),
        other => panic!("expected a crash, got {other:?}"),
    }
    // The next call on the dead connection is a crash too, never a hang.
    assert!(matches!(t.call(&hello(4)), Err(CallError::Crash(_))));
    let mut fresh = c.connect().unwrap();
    assert!(matches!(fresh.call(&hello(5)).unwrap().response, Response::Hello { seq: 5, .. }));
    fresh.close();
}

#[test]
fn misbehaving_answers_are_protocol_errors() {
    for (mode, needle) in [("garbage", "not a protocol message"), ("huge", "cap"), ("fail", "return code 7")] {
        let c = connector(misbehave_library(mode));
        let mut t = c.connect().unwrap();
        assert!(matches!(t.call(&hello(1)).unwrap().response, Response::Hello { .. }), "{mode}");
        match t.call(&hmac(2)) {
            Err(CallError::Protocol(why)) => assert!(why.contains(needle), "{mode}: {why}"),
            other => panic!("{mode}: expected a protocol error, got {other:?}"),
        }
        // After a protocol error the runner reconnects; the library still works for hello.
        let mut fresh = c.connect().unwrap();
        assert!(matches!(fresh.call(&hello(3)).unwrap().response, Response::Hello { .. }), "{mode}");
        fresh.close();
    }
}

#[test]
fn library_stdout_goes_to_stderr_and_multiline_answers_are_one_line() {
    let c = connector(misbehave_library("chatty"));
    let mut t = c.connect().unwrap();
    let got = t.call(&hello(1)).unwrap();
    assert!(matches!(got.response, Response::Hello { seq: 1, .. }), "{got:?}");
    assert!(!got.raw.contains('\n'), "{:?}", got.raw);
    assert!(matches!(t.call(&hmac(2)).unwrap().response, Response::Error { seq: 2, .. }));
    let stderr = stderr_with(&mut t, "misbehave: chatty library saw");
    assert!(stderr.contains("misbehave: chatty library saw"), "{stderr:?}");
    t.close();
}

#[test]
fn unloadable_libraries_fail_with_the_reason_on_stderr() {
    for (mode, needle) in [("badabi", "ABI version 2"), ("nofree", "required symbol ivc_free")] {
        let c = connector(misbehave_library(mode));
        let mut t = c.connect().unwrap();
        match t.call(&hello(1)) {
            Err(CallError::Crash(why)) => assert!(why.contains("exited with status"), "{mode}: {why}"),
            other => panic!("{mode}: expected the host to exit, got {other:?}"),
        }
        let stderr = stderr_with(&mut t, needle);
        assert!(stderr.contains(needle), "{mode}: {stderr:?}");
    }
}

#[test]
fn a_missing_library_is_unreachable_up_front() {
    let c = FfiConnector::with_host(PathBuf::from("ivconform"), PathBuf::from("/nonexistent/libnothing.so"), TIMEOUT);
    let err = c.check().unwrap_err();
    assert!(err.contains("/nonexistent/libnothing.so"), "{err}");
    assert!(matches!(c.connect(), Err(CallError::Unreachable(m)) if m.contains("libnothing.so")));
    assert_eq!(c.describe(), "ffi: /nonexistent/libnothing.so");
}
