//! `ivconform props`: the properties hold for the reference (in-process, fixed seed), a buggy signer and a
//! lax verifier are caught, and each failure is printed as a vector that loads as a golden-vector case and
//! that the reference decides as printed; the same seed replays the same output.

use crate::util::*;
use ivconform_core::config::ConfigDoc;
use ivconform_vectors::{SignCase, SignExpected, VerifyCase};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

fn props(args: &[&str]) -> Output {
    Command::new(bin()).arg("props").args(args).env("IVCONFORM_BIN", bin()).output().expect("the harness starts")
}

fn proxy(mode: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iut/proxy.py");
    format!("python3 {} {mode}", script.display())
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
    let strip = |s: &str| s.lines().filter(|l| !l.contains(" s  (")).collect::<Vec<_>>().join("\n");
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
