//! End-to-end tests of `ivconform run`: the reference passes over every transport, and each way an
//! implementation can misbehave ends in the right outcome kind without taking the harness down.

use crate::util::*;

/// Runs against the proxy fixture in `mode` and returns the exit code and the JSON report.
fn proxy(mode: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let report = std::env::temp_dir().join(format!("ivconform-cli-{}-{mode}.json", std::process::id()));
    let cmd = format!("python3 proxy.py {mode}");
    let mut args = vec!["run", "--cmd", &cmd, "--json", report.to_str().unwrap(), "--no-timings"];
    args.extend_from_slice(extra);
    let out = ivconform(&args);
    let json = std::fs::read_to_string(&report)
        .map(|t| serde_json::from_str(&t).expect("the JSON report parses"))
        .unwrap_or(serde_json::Value::Null);
    let _ = std::fs::remove_file(&report);
    (out.status.code().unwrap_or(-1), json, text(&out))
}

fn kinds(report: &serde_json::Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["outcome"].as_str().unwrap().to_string()))
        .collect()
}

/// The number of golden vectors: the sum of `number_of_cases` over every vector file.
fn all_passed() -> String {
    // J2's leeway window: those cases end as `either`, never as passes.
    let jwt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(crate::util::root().join("vectors/jwt.json")).unwrap()).unwrap();
    let either = jwt["cases"].as_array().unwrap().iter().filter(|c| c["expected"]["result"] == "either").count() as u64;
    assert!(either > 0, "jwt.json has leeway-window cases");
    format!("{} passed, {either} either way", vector_count() - either)
}

#[test]
fn reference_in_process_passes_every_vector() {
    let out = ivconform(&["run", "--reference", "inproc", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("CONFORMANT"));
}

#[test]
fn reference_over_stdio_passes_every_vector() {
    let out = ivconform(&["run", "--reference", "stdio", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&all_passed()), "{}", text(&out));
}

#[test]
fn reference_over_http_passes_every_vector() {
    let out = ivconform(&["run", "--reference", "http", "--quiet", "--jobs", "4"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&all_passed()), "{}", text(&out));
}

#[test]
fn reference_over_ffi_passes_every_vector() {
    let out = ivconform(&["run", "--reference", "ffi", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&all_passed()), "{}", text(&out));
}

#[test]
fn honest_proxy_passes() {
    let (code, report, log) = proxy("honest", &["--group", "sign"]);
    assert_eq!(code, 0, "{log}");
    assert_eq!(report["summary"]["pass"], cases_in("sign"), "every sign case passes: {log}");
    assert_eq!(report["implementation"]["hello"]["name"], "proxy-honest");
}

#[test]
fn wrong_answers_fail_with_the_rule_named() {
    let (code, report, log) = proxy("uppercase", &["--case", "sign-only-*"]);
    assert_eq!(code, 1, "{log}");
    let k = kinds(&report);
    assert!(!k.is_empty() && k.iter().all(|(_, o)| o == "fail"), "{k:?}");
    let hint = report["cases"][0]["hint"].as_str().unwrap();
    assert!(hint.contains("lowercase"), "{hint}");
    assert!(log.contains("NONCONFORMANT"), "{log}");

    let (code, report, log) = proxy("email-first", &["--case", "sign-both-identifiers-user-id-wins"]);
    assert_eq!(code, 1, "{log}");
    assert!(report["cases"][0]["hint"].as_str().unwrap().contains("precedence"), "{log}");
}

#[test]
fn unclaimed_capability_is_skipped_and_claimed_but_refused_fails() {
    let (code, report, log) = proxy("no-verify", &["--case", "verify-prod-web-*"]);
    assert_eq!(code, 1, "a run in which every case was skipped tested nothing: {log}");
    assert!(log.contains("nothing was tested"), "{log}");
    assert!(kinds(&report).iter().all(|(_, o)| o == "skipped"), "{log}");
    let (code, _, log) = proxy("no-verify", &["--case", "verify-prod-web-*", "--case", "sign-only-user-id"]);
    assert_eq!(code, 0, "unclaimed capabilities are skipped when something else ran: {log}");
    let (code, report, log) = proxy("refuse", &["--case", "verify-prod-web-visitor"]);
    assert_eq!(code, 1, "{log}");
    assert_eq!(kinds(&report), vec![("verify-prod-web-visitor".into(), "fail".into())], "{log}");
}

#[test]
fn a_hang_is_a_timeout_and_the_run_goes_on() {
    let (code, report, log) = proxy(
        "hang",
        &[
            "--case",
            "verify-prod-web-visitor",
            "--case",
            "verify-prod-web-api-key",
            "--case",
            "sign-only-email",
            "--timeout",
            "2",
        ],
    );
    assert_eq!(code, 1, "{log}");
    let k = kinds(&report);
    assert!(k.contains(&("verify-prod-web-visitor".into(), "timeout".into())), "{k:?}");
    assert!(k.contains(&("sign-only-email".into(), "pass".into())), "{k:?}");
    assert!(report["summary"]["restarts"].as_u64().unwrap() >= 1, "{log}");
}

#[test]
fn an_abort_is_a_crash_and_the_run_goes_on() {
    let (code, report, log) = proxy("abort", &["--case", "verify-prod-web-visitor", "--case", "sign-only-email"]);
    assert_eq!(code, 1, "{log}");
    let crash = report["cases"].as_array().unwrap().iter().find(|c| c["outcome"] == "crash").expect("a crash");
    assert!(
        crash["reason"].as_str().unwrap().contains("SIGABRT") || crash["reason"].as_str().unwrap().contains("signal"),
        "{crash}"
    );
    assert!(kinds(&report).contains(&("sign-only-email".into(), "pass".into())), "{log}");
}

#[test]
fn an_early_exit_is_a_crash() {
    let (code, report, log) = proxy("exit-early", &["--case", "sign-only-email", "--case", "sign-only-user-id"]);
    assert_eq!(code, 1, "{log}");
    assert!(kinds(&report).iter().all(|(_, o)| o == "crash"), "{log}");
    assert!(report["cases"][0]["reason"].as_str().unwrap().contains("exited with status 0"), "{log}");
}

#[test]
fn garbage_and_wrong_seq_are_protocol_errors() {
    let (code, report, log) = proxy("garbage", &["--case", "sign-only-email"]);
    assert_eq!(code, 1, "{log}");
    assert_eq!(report["cases"][0]["outcome"], "error", "{log}");
    assert!(report["cases"][0]["reason"].as_str().unwrap().contains("not a protocol message"), "{log}");
    let (code, report, log) = proxy("wrong-seq", &["--case", "sign-only-email"]);
    assert_eq!(code, 1, "{log}");
    assert!(report["cases"][0]["reason"].as_str().unwrap().contains("seq"), "{log}");
}

#[test]
fn a_100_mb_answer_is_capped() {
    let (code, report, log) = proxy("huge", &["--case", "rfc4231-case-1", "--case", "sign-only-email"]);
    assert_eq!(code, 1, "{log}");
    let k = kinds(&report);
    assert!(k.contains(&("rfc4231-case-1".into(), "error".into())), "{k:?}");
    assert!(report["cases"][0]["reason"].as_str().unwrap().contains("cap"), "{log}");
    assert!(k.contains(&("sign-only-email".into(), "pass".into())), "{k:?}");
}

#[test]
fn a_secret_on_stderr_is_a_security_finding() {
    let (code, report, log) = proxy("leak", &["--case", "verify-prod-web-visitor"]);
    assert_eq!(code, 1, "{log}");
    assert_eq!(report["summary"]["pass"], 1);
    let f = &report["security_findings"][0];
    assert_eq!(f["channel"], "stderr", "{log}");
    assert!(f["what"].as_str().unwrap().contains("secret"), "{log}");
    assert!(!log.contains("Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr"), "a report must never print the secret");
}

#[test]
fn expectations_cover_known_failures_and_cannot_rot() {
    let dir = std::env::temp_dir().join(format!("ivconform-expect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("expect.toml");
    std::fs::write(&file, "[[expected_failure]]\ncase = \"sign-only-*\"\nreason = \"we print uppercase\"\n").unwrap();
    let (code, report, log) = proxy("uppercase", &["--case", "sign-only-*", "--expectations", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{log}");
    assert!(kinds(&report).iter().all(|(_, o)| o == "expected_failure"), "{log}");
    // The same file against an honest implementation: the expected failures now pass.
    let (code, report, log) = proxy("honest", &["--case", "sign-only-*", "--expectations", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{log}");
    assert!(kinds(&report).iter().all(|(_, o)| o == "unexpected_pass"), "{log}");
    // An entry that matches no case of the suite is stale.
    std::fs::write(&file, "[[expected_failure]]\ncase = \"no-such-case\"\nreason = \"renamed long ago\"\n").unwrap();
    let (code, report, log) = proxy("honest", &["--case", "sign-only-email", "--expectations", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{log}");
    assert!(report["stale_expectations"][0].as_str().unwrap().contains("no-such-case"), "{log}");
    // A malformed file is a usage error with its line.
    std::fs::write(&file, "[[expected_failure]]\ncase = \"x\"\nreason = \"y\"\nbogus = 1\n").unwrap();
    let out = ivconform(&["run", "--reference", "--expectations", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expect.toml:4"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_and_start_errors_have_their_exit_codes() {
    let out = ivconform(&["run"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = ivconform(&["run", "--reference", "--rule", "Z9"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = ivconform(&["run", "--reference", "--case", "no-such-*"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = ivconform(&["run", "--reference", "--vectors", "/nonexistent"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hmac_sha256.json"), "{}", text(&out));
    let out = ivconform(&["run", "--cmd", "exit 7"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let out = ivconform(&["run", "--cmd", "/no/such/program"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let out = ivconform(&["run", "--url", "http://127.0.0.1:9/", "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let out = ivconform(&["run", "--lib", "/no/such/lib.so"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn list_shows_the_selection_without_running() {
    let out = ivconform(&["run", "--cmd", "/no/such/program", "--rule", "V7", "--flag", "PRECEDENCE", "--list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("verify-prod-web-both-hash-of-email"), "{stdout}");
    assert!(stdout.lines().all(|l| l.contains("V7")), "{stdout}");
}

#[test]
fn an_expected_hash_in_an_answer_is_a_security_finding() {
    let (code, report, log) =
        proxy("leak-hash", &["--case", "verify-prod-web-user-id-valid", "--case", "verify-prod-web-api-key"]);
    assert_eq!(code, 1, "{log}");
    assert_eq!(report["summary"]["pass"], 2, "the answers are right; only the leak makes the run fail: {log}");
    // The valid case sent the very hash the proxy echoes (not an oracle: the harness gave it); the api-key
    // case sent another key's hash, so the MAC the proxy prints is one it was never given.
    let findings = report["security_findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{log}");
    assert_eq!(findings[0]["case"], "verify-prod-web-api-key", "{log}");
    assert!(
        findings.iter().all(|f| f["channel"] == "response" && f["what"].as_str().unwrap().contains("expected hash")),
        "{log}"
    );
    assert!(log.contains("LEAK"), "{log}");
}

#[test]
fn the_whole_run_timeout_ends_the_remaining_cases() {
    // Many sign cases at 0.3 s each need far more than 1.5 s; the deadline leaves room for the first answers
    // even on a loaded machine and none for the last ones.
    let (code, report, log) = proxy(
        "slow",
        &["--case", "sign-only-*", "--case", "sign-both-*", "--case", "sign-user-id-*", "--run-timeout", "1.5"],
    );
    assert_eq!(code, 1, "{log}");
    let k = kinds(&report);
    assert!(k.iter().any(|(_, o)| o == "pass"), "{k:?}");
    let late: Vec<_> = report["cases"].as_array().unwrap().iter().filter(|c| c["outcome"] == "timeout").collect();
    assert!(!late.is_empty(), "{k:?}");
    assert!(late.iter().all(|c| c["reason"].as_str().unwrap().contains("whole-run timeout")), "{log}");
}

#[test]
fn exclude_removes_cases_from_the_selection() {
    let out = ivconform(&["run", "--reference", "--group", "hmac_sha256", "--exclude", "rfc4231-*", "--list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("rfc4231") && stdout.contains("hmac-empty-message"), "{stdout}");
}

/// The vendored copy of Project Wycheproof's file (vectors/external/wycheproof/, with its licence).
fn wycheproof_file() -> String {
    let path = root().join("vectors/external/wycheproof/hmac_sha256_test.json");
    assert!(path.is_file(), "Project Wycheproof's file is vendored at {}", path.display());
    path.to_str().unwrap().to_string()
}

#[test]
fn wycheproof_runs_against_the_reference_over_every_transport() {
    let file = wycheproof_file();
    for (mode, bundled) in [("inproc", true), ("stdio", false), ("http", true), ("ffi", false)] {
        // `--wycheproof` with no FILE runs the copy compiled into the binary; with FILE, that file.
        let args: &[&str] = if bundled { &["--wycheproof"] } else { &["--wycheproof", &file] };
        let out = ivconform(&[&["run", "--reference", mode, "--quiet"], args].concat());
        assert_eq!(out.status.code(), Some(0), "{mode}: {}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("174 passed"), "{mode}: {}", text(&out));
        let label = if bundled {
            "Wycheproof hmac_sha256_test.json (bundled, C2SP/wycheproof@427a648"
        } else {
            "Wycheproof hmac_sha256_test.json ·"
        };
        assert!(stdout.lines().next().unwrap_or_default().contains(label), "{mode}: {stdout}");
    }
}

#[test]
fn wycheproof_catches_a_wrong_tag_and_bad_files_are_usage_errors() {
    let file = wycheproof_file();
    let (code, report, log) = proxy("bad-hmac", &["--wycheproof", &file]);
    assert_eq!(code, 1, "{log}");
    // The last digit matters only where the whole 256-bit tag is compared, and only for valid tags.
    assert_eq!(report["summary"]["fail"], 27 + 3 + 3, "{log}");
    assert!(report["meta"]["vectors"]["label"].as_str().unwrap().contains("Wycheproof"), "{log}");
    let dir = std::env::temp_dir().join(format!("ivconform-wp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"algorithm":"HMACSHA512","numberOfTests":0,"testGroups":[]}"#).unwrap();
    let out = ivconform(&["run", "--reference", "--wycheproof", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HMACSHA512"), "{}", text(&out));
    std::fs::write(&bad, "{\n\"algorithm\": \"HMACSHA256\",\n\"testGroups\": [oops]}").unwrap();
    let out = ivconform(&["run", "--reference", "--wycheproof", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json:3"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_reader_that_goes_away_ends_the_harness_quietly() {
    // `ivconform run --list | head -1`: the listing is far larger than a pipe's buffer, so the harness writes
    // into a closed pipe; it must exit 141 (128 + SIGPIPE, as a shell reports it), with no panic or backtrace.
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin())
        .args(["run", "--reference", "--list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("hmac_sha256") || first.contains("sign"), "{first}");
    // The reader (and with it the pipe) is dropped here.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
}
