//! `ivconform props`: the properties hold for the reference (in-process, fixed seed), a buggy signer and a
//! lax verifier are caught, and each failure is printed as a vector that loads as a golden-vector case and
//! that the reference decides as printed; the same seed replays the same output. Shrinking keeps the kind
//! of disagreement it started from and stays within its time limits, and an implementation that stalls
//! while a failure shrinks ends the shrink at once; the whole run stops at --duration.

use crate::util::*;
use ivconform_core::config::ConfigDoc;
use ivconform_vectors::{SignCase, SignExpected, VerifyCase};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn props(args: &[&str]) -> Output {
    Command::new(bin()).arg("props").args(args).env("IVCONFORM_BIN", bin()).output().expect("the harness starts")
}

fn proxy(mode: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iut/proxy.py");
    format!("python3 {} {mode}", script.display())
}

/// `props ARGS` and how long it took.
fn timed_props(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = props(args);
    (out, started.elapsed())
}

/// The text after `  LABEL: ` on the first line that has it (trimmed: `actual:` is aligned with spaces).
fn field<'a>(log: &'a str, label: &str) -> &'a str {
    let prefix = format!("  {label}: ");
    log.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label:?} line: {log}"))
}

/// The indented JSON block printed after "as a vector for ...:".
fn vector_block(out: &str) -> String {
    let start = out.find("as a vector for").expect("a vector is printed");
    out[start..].lines().skip(1).take_while(|l| l.starts_with("    ")).map(|l| &l[4..]).collect::<Vec<_>>().join("\n")
}

#[test]
fn every_property_holds_for_the_reference_in_process() {
    let out = props(&["--reference", "--cases", "48", "--seed", "7"]);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    for name in ["sign", "verify", "precedence", "reorder", "custom-attributes", "other-platform"] {
        assert!(log.lines().any(|l| l.trim_start().starts_with("pass") && l.contains(name)), "{name}: {log}");
    }
    assert!(log.contains("every property held"), "{log}");
}

#[test]
fn an_uppercase_signer_is_caught_and_printed_as_a_sign_vector_that_replays() {
    let cmd = proxy("uppercase");
    let args = ["--cmd", cmd.as_str(), "--property", "sign", "--cases", "64", "--seed", "3"];
    let out = props(&args);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("S1: user_hash must be lowercase hex"), "{log}");
    let case: SignCase = serde_json::from_str(&vector_block(&log)).unwrap_or_else(|e| panic!("{e}: {log}"));
    assert!(case.meta.id.starts_with("props-sign-"), "{}", case.meta.id);
    let SignExpected::Hash { user_hash, .. } = &case.expected else { panic!("a hash is expected: {log}") };
    assert!(user_hash.len() == 64 && !user_hash.bytes().any(|b| b.is_ascii_uppercase()), "{user_hash}");
    // The printed expectation is the reference's answer for the printed inputs.
    let ids = ivconform_core::Identifiers {
        user_id: match &case.user_id {
            ivconform_vectors::Field::Sent(serde_json::Value::String(s)) => {
                Some(ivconform_core::UserId::Text(s.clone()))
            }
            ivconform_vectors::Field::Sent(serde_json::Value::Number(n)) => {
                ivconform_core::UserId::integer(n.as_i64().unwrap())
            }
            _ => None,
        },
        email: match &case.email {
            ivconform_vectors::Field::Sent(serde_json::Value::String(s)) => Some(s.clone()),
            _ => None,
        },
    };
    let signed = ivconform_core::user_hash(&case.secret_bytes(), &ids).unwrap();
    assert_eq!(&signed.user_hash, user_hash);
    assert!(log.contains("replay: ivconform props --cmd"), "{log}");
    // Same seed, same cases: the same failure, byte for byte (timings aside).
    let again = text(&props(&args));
    let strip = |s: &str| {
        s.lines().filter(|l| !l.contains(" s  (") && !l.contains("shrinking: ")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(strip(&again), strip(&log));
}

#[test]
fn a_verifier_reading_a_look_alike_key_breaks_the_custom_attributes_law() {
    let cmd = proxy("userhash-alias");
    let out = props(&["--cmd", cmd.as_str(), "--property", "custom-attributes", "--cases", "256", "--seed", "0"]);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("the law:"), "{log}");
    let block: serde_json::Value = serde_json::from_str(&vector_block(&log)).unwrap_or_else(|e| panic!("{e}: {log}"));
    let configs: BTreeMap<String, ConfigDoc> = serde_json::from_value(block["configs"].clone()).unwrap();
    let cases: Vec<VerifyCase> = serde_json::from_value(block["cases"].clone()).unwrap();
    let case = &cases[0];
    let config = configs[&case.config].to_config().unwrap();
    // The vector is self-consistent: the reference decides it as the case expects.
    let decision = ivconform_core::verify(&config, case.platform, &case.payload_bytes());
    let expected = serde_json::to_value(&case.expected).unwrap();
    let got = match decision.outcome {
        ivconform_core::Outcome::Accept(ivconform_core::Identity::Visitor) => {
            serde_json::json!({"result": "accept", "as": "visitor"})
        }
        ivconform_core::Outcome::Accept(ivconform_core::Identity::User { verified, identifier }) => serde_json::json!({
            "result": "accept", "as": "user", "verified": verified,
            "identifier": {"source": identifier.source, "value": identifier.text,
                           "message_hex": ivconform_core::hex::encode_lower(identifier.message())},
        }),
        ivconform_core::Outcome::Reject(r) => serde_json::json!({"result": "reject", "reason": r}),
    };
    assert_eq!(got, expected, "{log}");
    // The payload carries a look-alike key; the proxy read it as the hash.
    let payload = String::from_utf8(case.payload_bytes()).unwrap();
    assert!(payload.contains("\"userHash\""), "{payload}");
}

#[test]
fn usage_and_unreachable_exit_codes() {
    let out = props(&["--reference", "--property", "nonsense"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("unknown property"));
    let out = props(&["--cmd", "exit 0", "--cases", "1"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let out = props(&["--cases", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn a_refusal_where_the_reference_verifies_never_shrinks_into_another_kind() {
    // The zoo's case-sensitive-hex refuses an uppercase hash: `reject invalid_user_hash` where enforced,
    // `accept user unverified` where not. Seed 0 first fails on an enforced platform (a refusal); without
    // kind-keeping, shrinking simplifies `enforced` to false and ends on the other kind (an unverified user),
    // a vector that no longer shows the refusal (checked once by hand with the kind check disabled).
    let mutant =
        format!("python3 {} --mutant case-sensitive-hex", root().join("adapters/mutants/python/mutants.py").display());
    let out = props(&["--cmd", &mutant, "--property", "verify", "--seed", "0", "--cases", "256"]);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    let first = field(&log, "first failure, before shrinking");
    assert!(first.contains("expected accept user verified"), "the first failure is a refusal of a valid hash: {log}");
    assert!(first.ends_with("got reject invalid_user_hash"), "{log}");
    // After shrinking: the answer is still the refusal, and the printed vector still expects a verified user.
    assert_eq!(field(&log, "actual"), "reject invalid_user_hash", "{log}");
    let block: serde_json::Value = serde_json::from_str(&vector_block(&log)).unwrap_or_else(|e| panic!("{e}: {log}"));
    let case = &block["cases"][0];
    assert_eq!(case["expected"]["result"], "accept", "{log}");
    assert_eq!(case["expected"]["as"], "user", "{log}");
    assert_eq!(case["expected"]["verified"], true, "{log}");
    // The vector still shows the bug: an uppercase hash on an enforced platform, which the reference
    // verifies (decided here by the reference, independently of what props printed).
    let configs: BTreeMap<String, ConfigDoc> = serde_json::from_value(block["configs"].clone()).unwrap();
    let case: VerifyCase = serde_json::from_value(case.clone()).unwrap();
    let config = configs[&case.config].to_config().unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&case.payload_bytes()).unwrap();
    let hash = payload["user_hash"].as_str().expect("a hash is sent");
    assert!(hash.bytes().any(|b| b.is_ascii_uppercase()), "{hash}");
    let decision = ivconform_core::verify(&config, case.platform, &case.payload_bytes());
    assert!(
        matches!(
            decision.outcome,
            ivconform_core::Outcome::Accept(ivconform_core::Identity::User { verified: true, .. })
        ),
        "{decision:?}"
    );
    let app = payload["app_id"].as_str().expect("an app_id");
    let platform = config.apps[app].platform(case.platform);
    assert!(platform.enforced, "an unenforced platform would make it another kind: {log}");
    assert!(field(&log, "shrinking").starts_with("finished in"), "{log}");
}

#[test]
fn an_implementation_that_hangs_while_a_failure_shrinks_ends_the_shrink_at_once() {
    // hang-small refuses payloads of 64 bytes or more and never answers shorter ones: the failure is found
    // at once, and the first short candidate hangs. Unbounded, the shrink would wait 2 s per candidate.
    let cmd = proxy("hang-small");
    let args = ["--cmd", cmd.as_str(), "--property", "verify", "--timeout", "2", "--shrink-time", "5", "--seed", "0"];
    let (out, took) = timed_props(&args);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(took < Duration::from_secs(40), "{took:?} for a 5 s shrink budget and a 2 s timeout: {log}");
    let shrinking = field(&log, "shrinking");
    assert!(shrinking.starts_with("cut short after"), "{log}");
    // Usually the hang ends the shrink; on a loaded machine the 5 s budget can run out first. Either way the
    // shrink is cut short and reported.
    assert!(
        shrinking.contains("stopped answering while shrinking (no answer within 2.0 s)")
            || shrinking.contains("the time allowed by --shrink-time 5 s was spent"),
        "{log}"
    );
    assert!(log.contains("smallest failing input found, as a vector"), "{log}");
    // What is printed is the last candidate that failed the same way, not the one that hung.
    assert_eq!(field(&log, "actual"), "error response: verify is not implemented yet", "{log}");
    let block: serde_json::Value = serde_json::from_str(&vector_block(&log)).unwrap_or_else(|e| panic!("{e}: {log}"));
    // A candidate cut mid-character is printed as payload_hex instead of payload text.
    let case = &block["cases"][0];
    let len = match (case["payload"].as_str(), case["payload_hex"].as_str()) {
        (Some(text), _) => text.len(),
        (None, Some(hex)) => hex.len() / 2,
        _ => panic!("the vector has no payload: {log}"),
    };
    assert!(len >= 64, "the kept payload is {len} bytes, shorter than the ones that hang: {log}");
}

#[test]
fn a_slow_shrink_stops_at_shrink_time() {
    // refuse-slowly answers what the reference accepts with an error after 0.2 s: every check costs 0.2 s
    // and most candidates fail another way (the reference refuses them), so the shrink is long.
    let cmd = proxy("refuse-slowly");
    let (out, took) =
        timed_props(&["--cmd", cmd.as_str(), "--property", "verify", "--shrink-time", "3", "--seed", "0"]);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(took < Duration::from_secs(40), "{took:?} for a 3 s shrink budget: {log}");
    let shrinking = field(&log, "shrinking");
    assert!(shrinking.contains("the time allowed by --shrink-time 3 s was spent"), "{log}");
    assert!(field(&log, "expected").starts_with("accept"), "the kind is kept: {log}");
}

#[test]
fn the_whole_run_stops_at_duration() {
    // slow answers every request after 0.3 s and correctly: 6 properties x 256 cases would take hours.
    let cmd = proxy("slow");
    let (out, took) = timed_props(&["--cmd", cmd.as_str(), "--duration", "4", "--seed", "0"]);
    let log = text(&out);
    assert!(took < Duration::from_secs(40), "{took:?} for --duration 4: {log}");
    // Nothing failed and something ran: conformant, but it says the run was cut.
    assert_eq!(out.status.code(), Some(0), "{log}");
    let stopped = log.lines().find(|l| l.contains(" of 256 cases")).expect("the first property ran part of its cases");
    assert!(stopped.contains("stopped, the time allowed by --duration 4 s was spent"), "{stopped}");
    assert!(log.lines().any(|l| l.trim_start().starts_with("not run")), "later properties are not run: {log}");
    assert!(log.contains("properties stopped early"), "{log}");
}

#[test]
fn shrink_flags_have_one_name_in_props_and_fuzz() {
    for cmd in ["props", "fuzz"] {
        let help = text(&Command::new(bin()).args([cmd, "--help"]).output().unwrap());
        assert!(help.contains("--max-shrink-iters <N>"), "{cmd}: {help}");
        assert!(help.contains("--shrink-time <SECS>"), "{cmd}: {help}");
        assert!(!help.contains("--max-shrink <N>"), "the old name is a hidden alias: {help}");
        // The old name still parses (hidden alias): a bad value is refused as a value, not as an unknown flag.
        let old = Command::new(bin()).args([cmd, "--reference", "--max-shrink", "many"]).output().unwrap();
        assert_eq!(old.status.code(), Some(2), "{}", text(&old));
        assert!(text(&old).contains("invalid value 'many'"), "{}", text(&old));
        let bad = Command::new(bin()).args([cmd, "--reference", "--shrink-time", "0"]).output().unwrap();
        assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    }
    // One flag, --cases, for how many inputs (issue 16); what it counts differs, and each help says so,
    // naming the other.
    let props_help = text(&Command::new(bin()).args(["props", "--help"]).output().unwrap());
    assert!(props_help.contains("compare fuzz --cases"), "{props_help}");
    let fuzz_help = text(&Command::new(bin()).args(["fuzz", "--help"]).output().unwrap());
    assert!(fuzz_help.contains("compare props --cases"), "{fuzz_help}");
}

#[test]
fn a_run_in_which_no_property_ran_a_case_is_not_a_pass() {
    // no-verify claims hmac and sign only: the verify property is skipped, so nothing was tested.
    let cmd = proxy("no-verify");
    let out = props(&["--cmd", cmd.as_str(), "--property", "verify", "--cases", "8"]);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.lines().any(|l| l.trim_start().starts_with("skipped") && l.contains("verify")), "{log}");
    assert!(log.contains("Verdict: nothing was tested"), "{log}");
    // With a property it can run, the same implementation passes.
    let out = props(&["--cmd", cmd.as_str(), "--property", "verify", "--property", "sign", "--cases", "8"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_hang_is_reported_after_one_timeout_without_shrinking() {
    // hang never answers a verify request. Shrinking it would cost a timeout per candidate and could keep
    // none (a stall ends a shrink), so the first hang is reported as found.
    let cmd = proxy("hang");
    let (out, took) = timed_props(&["--cmd", cmd.as_str(), "--property", "verify", "--timeout", "1"]);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(took < Duration::from_secs(30), "{took:?} for one 1 s timeout: {log}");
    assert_eq!(field(&log, "actual"), "no answer within 1.0 s", "{log}");
    assert!(field(&log, "shrinking").starts_with("not tried: the implementation stopped answering"), "{log}");
    assert!(log.contains("smallest failing input found, as a vector"), "{log}");
}
