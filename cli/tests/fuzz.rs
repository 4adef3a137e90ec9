//! `ivconform fuzz`: the reference agrees with itself, a lax verifier (a mutant of the Python adapter) is
//! caught and its disagreement is shrunk to a small reproducer that is saved, loads as a golden-vector
//! case the reference decides as printed, and replays; a crashing implementation is a finding, not a harness
//! failure; bad input is a usage error. The whole run, shrinking included, stays within --duration, and an
//! implementation that stalls while a disagreement shrinks ends the shrink at once.

use crate::util::*;
use ivconform_core::config::ConfigDoc;
use ivconform_core::decision::{Outcome, RejectReason};
use ivconform_vectors::{VerifyCase, VerifyExpected};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn fuzz(args: &[&str]) -> Output {
    Command::new(bin()).arg("fuzz").args(args).env("IVCONFORM_BIN", bin()).output().expect("the harness starts")
}

/// The Python template adapter, or one mutant of it from the mutant zoo (adapters/mutants/python/mutants.py).
fn python_adapter(mutant: Option<&str>) -> String {
    match mutant {
        Some(m) => format!("python3 {} --mutant {m}", root().join("adapters/mutants/python/mutants.py").display()),
        None => format!("python3 {}", root().join("adapters/python/ivconform_adapter.py").display()),
    }
}

#[test]
fn the_reference_agrees_with_itself_and_reaches_every_decision() {
    let out = fuzz(&["--reference", "--iterations", "3000", "--duration", "600", "--seed", "3"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("3000 payloads"), "{t}");
    assert!(t.contains("No disagreement"), "{t}");
    // The generator is worth running only if it reaches the verified path and every reject class.
    for decision in [
        "verified user",
        "unverified user",
        "visitor",
        "reject malformed_payload",
        "reject unknown_app",
        "reject invalid_user_hash",
        "reject missing_user_hash",
    ] {
        assert!(t.contains(decision), "no payload was decided as {decision}:\n{t}");
    }
}

#[test]
fn a_duplicate_key_bug_is_found_shrunk_saved_and_replayed() {
    let dir = scratch("dup");
    let mutant = python_adapter(Some("duplicate-last-wins"));
    // A count, not a time: the same seed and vectors send the same payloads however loaded the machine is.
    let out = fuzz(&["--cmd", &mutant, "--iterations", "20000", "--duration", "600", "--out", dir.to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("DISAGREEMENT"), "{t}");
    assert!(t.contains("expected: reject malformed_payload"), "{t}");
    assert!(t.contains("(P2: a key repeated at any depth"), "the hint names the rule: {t}");

    // Two files per finding, named by the case id.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    let vector = files.iter().find(|p| p.extension().is_some_and(|e| e == "json")).unwrap();
    let raw = std::fs::read(files.iter().find(|p| p.extension().is_some_and(|e| e == "payload")).unwrap()).unwrap();

    // Shrunk: "minimal reproducer <id>: <n> bytes (from <m>, <k> checks)", n < m, and the saved payload is
    // those n bytes, still showing the bug: a key repeated (P2), which the reference refuses.
    let line = t.lines().find(|l| l.starts_with("minimal reproducer")).expect("a size line");
    let after = line.split_once(": ").expect("id: sizes").1;
    let number = |s: &str| s.trim_matches(|c: char| !c.is_ascii_digit()).parse::<usize>().expect("a number");
    let mut words = after.split_whitespace();
    let small = number(words.next().unwrap());
    let original = number(words.nth(2).unwrap());
    assert!(small < original, "not smaller than the original: {line}");
    assert_eq!(small, raw.len(), "{line}");
    // Members that do not matter are gone and a hash bound to a long identifier followed it as it shrank.
    assert!(raw.len() < 300, "{}", String::from_utf8_lossy(&raw));
    let refused = ivconform_core::payload::BootPayload::parse(&raw).expect_err("the reproducer is malformed");
    assert_eq!(refused.rule, ivconform_core::Rule::P2, "{refused:?}: {}", String::from_utf8_lossy(&raw));

    // The vector file loads as golden-vector data, and the reference decides its payload as it says.
    #[derive(serde::Deserialize)]
    struct Fragment {
        configs: BTreeMap<String, ConfigDoc>,
        cases: Vec<VerifyCase>,
    }
    // A jwt.json case says its kind; without it, it is a verifier case like verify.json's.
    let mut saved: serde_json::Value = serde_json::from_slice(&std::fs::read(vector).unwrap()).unwrap();
    if let Some(cases) = saved["cases"].as_array_mut() {
        cases.iter_mut().filter_map(|c| c.as_object_mut()).for_each(|c| drop(c.remove("kind")));
    }
    let fragment: Fragment = serde_json::from_value(saved).unwrap();
    let case = &fragment.cases[0];
    assert!(case.meta.id.starts_with("fuzz-"), "{}", case.meta.id);
    assert_eq!(case.payload_bytes(), raw);
    let config = fragment.configs[&case.config].to_config().unwrap();
    let decision = ivconform_core::verify::verify_at(&config, case.platform, &raw, case.now);
    assert_eq!(decision.outcome, Outcome::Reject(RejectReason::MalformedPayload));
    assert!(matches!(&case.expected, VerifyExpected::Reject { reason } if reason.as_str() == "malformed_payload"));

    // Replay: the mutant still disagrees, the correct adapter agrees.
    let v = vector.to_str().unwrap();
    let again = fuzz(&["--cmd", &mutant, "--replay", v]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("DISAGREES"), "{}", text(&again));
    let fixed = fuzz(&["--cmd", &python_adapter(None), "--replay", v]);
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_jwt_bug_is_found_from_the_jwt_vectors_and_saved_as_a_jwt_case() {
    let dir = scratch("jwt");
    let mutant = python_adapter(Some("jwt-alg-none-accepted"));
    let out = fuzz(&["--cmd", &mutant, "--iterations", "20000", "--duration", "600", "--out", dir.to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("expected: reject invalid_jwt"), "{t}");
    assert!(t.contains("as a vector for vectors/jwt.json"), "{t}");
    let vector = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("the vector is saved");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&vector).unwrap()).unwrap();
    let case = &saved["cases"][0];
    assert_eq!(case["kind"], "verify", "{case}");
    assert!(case["now"].is_i64(), "the case carries the time it was judged at: {case}");
    // The payload still carries a token whose header says alg none.
    let payload = case["payload"].as_str().expect("a text payload");
    assert!(payload.contains("intercom_user_jwt"), "{payload}");
    let fixed = fuzz(&["--cmd", &python_adapter(None), "--replay", vector.to_str().unwrap()]);
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crashing_implementation_is_a_finding_not_a_harness_failure() {
    let dir = scratch("abort");
    let proxy = root().join("cli/tests/fixtures/iut/proxy.py");
    let cmd = format!("python3 {} abort", proxy.display());
    let out = fuzz(&["--cmd", &cmd, "--duration", "120", "--max-shrink-iters", "20", "--out", dir.to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("actual:   no answer"), "{t}");
    // A crash is not shrunk (a smaller crash would end the shrink at once): the payload is reported as found.
    assert!(t.contains("shrinking: not tried: the implementation stopped answering on this input (crashed"), "{t}");
    let line = t.lines().find(|l| l.contains("reproducer")).expect("a size line");
    let sizes = line.split_once(": ").unwrap().1;
    let (small, from) = sizes.split_once(" bytes (from ").unwrap();
    assert_eq!(small, from.split(',').next().unwrap(), "unshrunk: {line}");
    assert!(dir.read_dir().unwrap().count() == 2, "the reproducer is saved");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_implementation_without_jwt_mode_is_not_sent_tokens() {
    let proxy = root().join("cli/tests/fixtures/iut/proxy.py");
    let cmd = format!("python3 {} no-jwt", proxy.display());
    let out = fuzz(&["--cmd", &cmd, "--iterations", "3000", "--duration", "600", "--seed", "5"]);
    let t = text(&out);
    // The proxy answers any payload mentioning a JWT with an error: exit 0 means none was sent.
    assert_eq!(out.status.code(), Some(0), "{t}");
    let skipped =
        t.lines().find(|l| l.contains("does not claim verify_jwt")).expect("the skipped payloads are counted");
    let n: u64 = skipped.trim().trim_start_matches('(').split_whitespace().next().unwrap().parse().unwrap();
    assert!(n > 0, "{skipped}");
}

#[test]
fn bad_input_is_a_usage_error() {
    let dir = scratch("usage");
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.json");
    let out = fuzz(&["--reference", "--replay", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("missing.json"), "{}", text(&out));

    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "{\n  \"configs\": {},\n  \"cases\": [ oops ]\n}\n").unwrap();
    let out = fuzz(&["--reference", "--replay", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("garbage.json:3:"), "file and line: {}", text(&out));

    let out = fuzz(&["--reference", "--duration", "-1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = fuzz(&["--duration", "1"]);
    assert_eq!(out.status.code(), Some(2), "no implementation named: {}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The value after `LABEL: ` on the first line that has it (trimmed).
fn field<'a>(t: &'a str, label: &str) -> &'a str {
    let prefix = format!("{label}: ");
    t.lines()
        .find_map(|l| l.trim_start().strip_prefix(&prefix))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label:?}: {t}"))
}

#[test]
fn duration_bounds_the_whole_run_shrinking_included() {
    // refuse-slowly refuses what the reference accepts, 0.2 s per answer: found within a few payloads, then
    // up to 2000 checks of 0.2 s each (and most candidates fail another way). --duration 5 must end it.
    let dir = scratch("slow-shrink");
    let cmd = format!("python3 {} refuse-slowly", fixtures().join("proxy.py").display());
    let started = Instant::now();
    let out = fuzz(&["--cmd", &cmd, "--duration", "5", "--seed", "0", "--out", dir.to_str().unwrap()]);
    let took = started.elapsed();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(took < Duration::from_secs(15), "{took:?} for --duration 5: {t}");
    assert!(t.contains("smallest reproducer found"), "{t}");
    assert!(field(&t, "shrinking").contains("the time allowed by --duration 5 s was spent"), "{t}");
    // The kind is kept: every shrunk step is a payload the reference accepts, refused by the implementation.
    assert!(field(&t, "expected").starts_with("accept"), "{t}");
    assert!(field(&t, "actual").starts_with("error response"), "{t}");
    assert!(dir.read_dir().unwrap().count() == 2, "the reproducer is saved");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_implementation_that_hangs_while_shrinking_ends_the_shrink_at_once() {
    // hang-small refuses payloads of 64 bytes or more and never answers shorter ones: one disagreement at
    // once, then a hang on the first short candidate. Unbounded, each candidate would wait the 2 s timeout.
    let dir = scratch("hang-shrink");
    let cmd = format!("python3 {} hang-small", fixtures().join("proxy.py").display());
    let started = Instant::now();
    let out = fuzz(&["--cmd", &cmd, "--timeout", "2", "--shrink-time", "5", "--out", dir.to_str().unwrap()]);
    let took = started.elapsed();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(took < Duration::from_secs(20), "{took:?} for a 5 s shrink budget and a 2 s timeout: {t}");
    let shrinking = field(&t, "shrinking");
    assert!(shrinking.starts_with("cut short after"), "{t}");
    assert!(shrinking.contains("stopped answering while shrinking (no answer within 2.0 s)"), "{t}");
    // The saved reproducer is the last payload that disagreed the same way, never the one that hung.
    assert_eq!(field(&t, "actual"), "error response: verify is not implemented yet", "{t}");
    let raw = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "payload"))
        .expect("the payload is saved");
    assert!(std::fs::read(raw).unwrap().len() >= 64);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn what_the_implementation_says_is_printed_escaped_and_without_secrets() {
    // refuse-loudly's error message echoes the request's secret and tries to start lines of its own.
    let dir = scratch("loud");
    let cmd = format!("python3 {} refuse-loudly", fixtures().join("proxy.py").display());
    let out = fuzz(&["--cmd", &cmd, "--iterations", "5", "--seed", "0", "--out", dir.to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    for line in t.lines() {
        assert!(!line.starts_with("Verdict") && !line.starts_with("::"), "a line written by the IUT: {line:?}\n{t}");
        assert!(!line.contains('\u{1b}') && !line.contains('\r'), "a control character: {line:?}");
    }
    let actual = field(&t, "actual");
    assert!(actual.contains(r"bad request\nVerdict: CONFORMANT\n::error"), "shown escaped: {actual}");
    // The secret it echoed is replaced; the saved vector still carries the configuration it needs.
    assert!(actual.contains("using secret <secret of case fuzz-"), "{actual}");
    let saved = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("the vector is saved");
    let vector: serde_json::Value = serde_json::from_slice(&std::fs::read(saved).unwrap()).unwrap();
    let app = vector["configs"].as_object().unwrap().values().next().unwrap()["apps"].as_object().unwrap();
    let secret = app.values().next().unwrap().as_object().unwrap().values().find_map(|p| p["secret"].as_str());
    let secret = secret.expect("a text secret in the saved configuration");
    assert!(!actual.contains(secret), "{actual}");
    let _ = std::fs::remove_dir_all(&dir);
}
