//! Report tests: the human, JSON and JUnit renderings of runs made by the runner over the in-memory fake IUT
//! ([`crate::transport::fake`]), checked against outcomes the fixture is built to produce.

use super::human::{self, Verbosity};
use super::{json, junit, Counts, Report};
use crate::runner::{run, RunOptions, RunResult};
use crate::suite::expectations::Expectations;
use crate::suite::plan::PlannedCase;
use crate::transport::fake::{
    hello_claiming, is_case, reference_answer, reply, reply_raw, sample, scanner, uppercase_user_hash, FakeConnector,
};
use crate::transport::{CallError, Connector};
use ivconform_protocol::{reference, Capability, Request};
use serde_json::Value;
use std::time::Duration;

/// The crash reason of the fixture: characters every format must escape or keep.
const CRASH: &str = "killed <signal 9> & \"core\"";

/// A run and the cases it ran.
struct Fixture {
    /// The planned cases, in plan order.
    cases: Vec<PlannedCase>,
    /// The run over them.
    run: RunResult,
    /// The connector's description.
    transport: String,
}

impl Fixture {
    /// The report over this run, with `stale` expectations.
    fn report(&self, stale: &[&str]) -> Report<'_> {
        Report {
            cases: &self.cases,
            run: &self.run,
            transport: self.transport.clone(),
            suite: "golden vectors test".into(),
            stale_expectations: stale.iter().map(|s| s.to_string()).collect(),
            missing_required: Vec::new(),
        }
    }
}

/// Runs `cases` over `fake` with `expectations` (TOML text), one job.
fn fixture_of(fake: FakeConnector, cases: Vec<PlannedCase>, expectations: &str) -> Fixture {
    let expectations = Expectations::parse(expectations).unwrap();
    let run =
        run(&fake, &cases, &scanner(), &expectations, &RunOptions::with_jobs(1)).unwrap_or_else(|e| panic!("{}", e.0));
    Fixture { cases, run, transport: fake.describe() }
}

/// 15 cases (the first 3 of each group) over a faulty IUT, built so each outcome kind has a known count:
/// hmac 2 pass + 1 crash; sign 2 fail (upper-case hex) + 1 expected failure; payload 2 pass + 1 unexpected
/// pass; verify 1 error + 1 timeout + 1 pass; jwt 3 skipped (verify_jwt not claimed).
fn mixed() -> Fixture {
    let cases = sample(3);
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "rfc4231-case-1",
            "rfc4231-case-2",
            "rfc4231-case-3",
            "sign-both-identifiers-user-id-wins",
            "sign-only-user-id",
            "sign-only-email",
            "payload-minimal-verified",
            "payload-surrounding-whitespace",
            "payload-pretty-printed",
            "verify-prod-web-user-id-valid",
            "verify-prod-web-email-valid",
            "verify-prod-web-both-hash-of-user-id",
            "jwt-valid-user-id",
            "jwt-valid-user-id-email-exp",
            "jwt-valid-prod-ios",
        ],
        "the fixture's counts assume these cases"
    );
    assert!(cases[12..].iter().all(|c| c.capability == Capability::VerifyJwt));
    let (crash, garbage, slow) = (cases[1].clone(), cases[9].clone(), cases[10].clone());
    let fake = FakeConnector::new(move |r| match r {
        Request::Hello { seq, .. } => {
            reply(r, hello_claiming(*seq, &[Capability::Hmac, Capability::Sign, Capability::Verify]))
        }
        _ if is_case(&crash, r) => Err(CallError::Crash(CRASH.into())),
        _ if is_case(&garbage, r) => Err(CallError::Protocol("response is not a protocol message: \"hi\"".into())),
        _ if is_case(&slow, r) => Err(CallError::Timeout(Duration::from_millis(500))),
        _ => uppercase_user_hash(r),
    });
    fixture_of(
        fake,
        cases,
        "[[expected_failure]]\ncase = \"sign-only-email\"\nreason = \"upper-case hex\"\nlink = \"https://tracker.example/1\"\n\n\
         [[expected_failure]]\ncase = \"payload-pretty-printed\"\nreason = \"was flaky\"\n",
    )
}

/// The fixture's counts, as designed (not as computed by the code under test).
fn mixed_counts() -> Counts {
    Counts {
        total: 15,
        pass: 5,
        either: 0,
        fail: 2,
        error: 1,
        crash: 1,
        timeout: 1,
        skipped: 3,
        not_applicable: 0,
        expected_failure: 1,
        unexpected_pass: 1,
    }
}

/// 15 cases over the reference: all pass.
fn clean() -> Fixture {
    fixture_of(FakeConnector::reference(), sample(3), "")
}

/// A reference run whose answer to `sign-only-user-id` also carries its secret in a field the protocol
/// ignores: every case passes, yet there is a security finding.
fn leaky() -> (Fixture, String) {
    let cases = sample(2);
    let target = cases.iter().find(|c| c.id == "sign-only-user-id").unwrap().clone();
    let secret = target.secrets[0].hex.clone();
    let s = secret.clone();
    let fake = FakeConnector::new(move |r| {
        if is_case(&target, r) {
            let response = reference::handle(r);
            let text = serde_json::to_string(&response).unwrap();
            reply_raw(response, format!("{},\"trace\":\"{s}\"}}", text.trim_end_matches('}')))
        } else {
            reference_answer(r)
        }
    });
    (fixture_of(fake, cases, ""), secret)
}

/// The line of `text` that starts with `prefix` after its indentation, without the indentation (or a panic
/// showing the text).
fn line<'t>(text: &'t str, prefix: &str) -> &'t str {
    text.lines()
        .map(str::trim_start)
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{text}"))
}

/// The fixture run itself has the designed outcomes (so the report tests below check the reports, not it).
#[test]
fn the_mixed_fixture_has_the_designed_outcomes() {
    let f = mixed();
    assert_eq!(f.report(&[]).counts(), mixed_counts());
    assert_eq!(f.run.restarts, 3, "crash, error and timeout each cost a connection");
}

/// Normal human report: header, exact counts line, per-rule and per-flag marks, every bad case with its
/// details (the hint of a failure), the expected failure, stale entries, and the verdict last.
#[test]
fn human_report_lists_counts_failures_and_verdict() {
    let f = mixed();
    let out = human::render(&f.report(&["old-case-*"]), Verbosity::Normal, false, false);
    assert!(out.lines().next().unwrap().ends_with("over fake: in-memory test IUT"), "{out}");
    assert_eq!(line(&out, "claims:"), "claims: hmac, sign, verify");
    assert_eq!(
        line(&out, "15 cases:"),
        "15 cases: 5 passed, 2 failed, 1 error, 1 crashed, 1 timed out, 3 skipped, 1 expected failure, \
         1 unexpected pass"
    );
    // A bad case counts under the rule it broke: S1 (3 hmac + 3 sign cases) has the crash and the two
    // failures; the error and the timeout are verify cases whose first rule is V2. Rules with nothing broken
    // share a line: J1 has only skipped jwt cases, V6 only the error and the timeout tallied under V2.
    assert!(line(&out, "S1 ").contains("  6 cases  3 broken "), "{out}");
    assert!(line(&out, "V2 ").contains("  3 cases  2 broken "), "{out}");
    let fine = line(&out, "S2 ");
    assert!(fine.contains("J1 3") && fine.contains("V6 3"), "{out}");
    assert!(line(&out, "RFC4231 ").contains("  3 cases  1 bad"), "{out}");
    assert!(line(&out, "PARSER ").contains("  2 cases  1 bad"), "{out}");

    // The two identical failures are one group; each other bad case is its own.
    assert!(out.contains("\nFailures (6, 5 causes):\n"), "{out}");
    let group = &out[out.find("FAIL 2 cases — S1: user_hash must be lowercase hex").expect("grouped")..];
    let lines: Vec<&str> = group.lines().take(5).collect();
    assert_eq!(lines[1], "      cases:    sign-both-identifiers-user-id-wins, sign-only-user-id");
    assert_eq!(lines[2], "      e.g. sign-both-identifiers-user-id-wins  [S1 S2] PRECEDENCE FUNCTIONALITY");
    assert!(lines[3].starts_with("      expected: user_hash ") && lines[4].starts_with("      actual:   user_hash "));
    let crash = &out[out.find("CRASH rfc4231-case-2").expect("the crash is listed")..];
    assert_eq!(crash.lines().nth(1), Some(format!("      {CRASH}").as_str()));
    // An error keeps its case's comment.
    let error = &out[out.find("ERROR verify-prod-web-user-id-valid").expect("the error is listed")..];
    assert!(error.lines().nth(2).unwrap().starts_with("      case:     ws_prod on web"), "{error}");
    let timeout = &out[out.find("TIMEOUT verify-prod-web-email-valid").expect("the timeout is listed")..];
    assert_eq!(timeout.lines().nth(1), Some("      no answer within 0.5 s"));
    let up = &out[out.find("UNEXPECTED_PASS payload-pretty-printed").expect("the stale pass is listed")..];
    assert_eq!(
        up.lines().nth(1),
        Some("      passes now, but the expectations file says: was flaky (remove the entry)")
    );
    assert!(!out.contains("  FAIL sign-only-email"), "an expected failure is not a failure");
    assert!(!out.contains("jwt-valid-user-id"), "skipped cases are only listed in verbose mode");
    assert!(out.contains(
        "\nExpected failures (1):\n  XFAIL sign-only-email (fail): upper-case hex (https://tracker.example/1)\n"
    ));
    assert!(out.contains("\nStale expectations (match no case of the suite; remove or fix them):\n  old-case-*\n"));
    assert_eq!(
        out.lines().rev().find(|l| !l.is_empty()),
        Some("Verdict: NONCONFORMANT (6 cases not conformant; stale expectations)")
    );
    assert!(!out.contains('\u{1b}'), "no colour when asked for none");
    // The exact counts line above also shows that no " in N s" timing was added.
}

/// Quiet keeps the counts, the failures and the verdict, and drops the tables and the expected failures.
#[test]
fn quiet_human_report_keeps_only_failures_and_verdict() {
    let f = mixed();
    let report = f.report(&[]);
    let quiet = human::render(&report, Verbosity::Quiet, false, false);
    let normal = human::render(&report, Verbosity::Normal, false, false);
    for gone in ["By rule (", "By flag:", "Expected failures", "XFAIL"] {
        assert!(normal.contains(gone) && !quiet.contains(gone), "{gone}: {quiet}");
    }
    for kept in
        ["15 cases: 5 passed", "Failures (6, 5 causes):", "FAIL 2 cases — S1: user_hash must be lowercase hex", CRASH]
    {
        assert!(quiet.contains(kept), "{kept}: {quiet}");
    }
    assert!(quiet.trim_end().lines().last().unwrap().starts_with("Verdict: NONCONFORMANT ("), "{quiet}");
    assert!(quiet.lines().count() < normal.lines().count());
}

/// Verbose adds one line per case (kind then id, in plan order); timings add the run time and per-case ms;
/// colour adds ANSI styles.
#[test]
fn verbose_human_report_has_a_line_per_case_with_timings() {
    let f = mixed();
    let out = human::render(&f.report(&[]), Verbosity::Verbose, false, true);
    let header = line(&out, "15 cases:");
    assert!(header.contains(" in ") && header.ends_with(" s"), "{header}");
    let per_case: Vec<(String, String)> = out
        .lines()
        .filter(|l| l.ends_with(" ms"))
        .map(|l| {
            let mut w = l.split_whitespace();
            (w.next().unwrap().to_string(), w.next().unwrap().to_string())
        })
        .collect();
    let want: Vec<(String, String)> =
        f.run.results.iter().map(|r| (r.outcome.kind().to_string(), f.cases[r.index].id.clone())).collect();
    assert_eq!(per_case, want);
    assert_eq!(per_case[12], ("skipped".to_string(), "jwt-valid-user-id".to_string()));

    let coloured = human::render(&f.report(&[]), Verbosity::Normal, true, false);
    assert!(coloured.contains("\u{1b}["), "colour was asked for");
    assert!(line(&coloured, "Verdict:").contains("NONCONFORMANT"));
}

/// A clean run is CONFORMANT with no failure section; one stale expectation or one leak makes it
/// NONCONFORMANT, and the leak is described without showing the secret.
#[test]
fn human_verdict_follows_failures_stale_entries_and_findings() {
    let f = clean();
    let out = human::render(&f.report(&[]), Verbosity::Normal, false, false);
    assert_eq!(line(&out, "15 cases:"), "15 cases: 15 passed");
    assert!(!out.contains("Failures (") && !out.contains("bad"), "{out}");
    assert!(out.trim_end().ends_with("Verdict: CONFORMANT"), "{out}");

    let stale = human::render(&f.report(&["gone-*"]), Verbosity::Quiet, false, false);
    assert!(
        stale.contains("  gone-*\n") && stale.trim_end().ends_with("Verdict: NONCONFORMANT (stale expectations)"),
        "{stale}"
    );

    let (f, secret) = leaky();
    let out = human::render(&f.report(&[]), Verbosity::Normal, false, false);
    assert!(line(&out, &format!("{} cases:", f.cases.len())).ends_with(" passed"), "every case passed: {out}");
    assert!(out.contains("\nSecurity findings (oracle leaks, separate from conformance):\n"));
    assert_eq!(line(&out, "LEAK "), "LEAK sign-only-user-id: the signing secret appears in the response");
    assert!(!out.contains(&secret), "the report must not print the secret");
    assert!(out.trim_end().ends_with("Verdict: NONCONFORMANT (1 security finding)"), "{out}");
}

/// The JSON report parses, has one entry per case in plan order with the right id, group, rules and outcome
/// (with its details), the designed counts, restarts, and no timings when asked for none.
#[test]
fn json_report_has_cases_counts_and_summary() {
    let f = mixed();
    let doc: Value = serde_json::from_str(&json::render(&f.report(&["old-*"]), false)).expect("valid JSON");
    assert_eq!(doc["schema"], "ivconform-report/1");
    assert_eq!(doc["command"], "run");
    assert_eq!(doc["meta"]["ivconform_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["meta"]["vectors"]["label"], "golden vectors test");
    assert_eq!(doc["meta"]["started_at"], Value::Null, "no start time without timings");
    assert_eq!(doc["implementation"]["transport"], "fake: in-memory test IUT");
    assert_eq!(doc["implementation"]["hello"]["name"], reference::NAME);
    assert_eq!(doc["implementation"]["hello"]["capabilities"], serde_json::json!(["hmac", "sign", "verify"]));

    let s = &doc["summary"];
    assert_eq!(s["conformant"], false);
    let c = mixed_counts();
    for (k, v) in [
        ("total", c.total),
        ("pass", c.pass),
        ("fail", c.fail),
        ("error", c.error),
        ("crash", c.crash),
        ("timeout", c.timeout),
        ("skipped", c.skipped),
        ("expected_failure", c.expected_failure),
        ("unexpected_pass", c.unexpected_pass),
    ] {
        assert_eq!(s[k], v, "summary.{k}");
    }
    assert_eq!(s["restarts"], 3);
    for k in ["wall_seconds", "startup_seconds", "calls_seconds"] {
        assert_eq!(s[k], 0.0, "{k} without timings");
    }

    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), f.cases.len());
    for (entry, case) in cases.iter().zip(&f.cases) {
        assert_eq!(entry["id"], case.id.as_str());
        assert_eq!(entry["group"], case.group.as_str());
        let rules: Vec<&str> = case.rules.iter().map(|r| r.id()).collect();
        assert_eq!(entry["rules"], serde_json::json!(rules));
        assert_eq!(entry["duration_us"], 0);
    }
    let kinds: Vec<&str> = cases.iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "pass",
            "crash",
            "pass",
            "fail",
            "fail",
            "expected_failure",
            "pass",
            "pass",
            "unexpected_pass",
            "error",
            "timeout",
            "pass",
            "skipped",
            "skipped",
            "skipped",
        ]
    );
    assert_eq!(cases[1]["reason"], CRASH);
    assert_eq!(cases[3]["hint"], "S1: user_hash must be lowercase hex");
    assert_eq!(cases[3]["broke"], "S1");
    let (expected, actual) = (&cases[3]["expected"], &cases[3]["actual"]);
    assert_eq!((&expected["kind"], &actual["kind"]), (&Value::from("hash"), &Value::from("hash")));
    let want = expected["value"].as_str().unwrap();
    assert_eq!(want.len(), 64);
    assert_eq!(actual["value"].as_str().unwrap(), want.to_ascii_uppercase());
    assert!(cases[3]["summary"].as_str().unwrap().starts_with(&format!("expected user_hash {want}")));
    assert_eq!(cases[5]["failure"]["outcome"], "fail");
    assert_eq!(cases[5]["failure"]["hint"], "S1: user_hash must be lowercase hex");
    assert_eq!(cases[5]["reason"], "upper-case hex (https://tracker.example/1)");
    assert_eq!(cases[8]["reason"], "was flaky");
    assert_eq!(cases[10]["reason"], "no answer within 0.5 s");
    assert_eq!(cases[12]["reason"], "the implementation does not claim 'verify_jwt'");
    assert_eq!(doc["stale_expectations"], serde_json::json!(["old-*"]));
    assert_eq!(doc["security_findings"], serde_json::json!([]));
}

/// JSON with timings has real durations; a leak is listed and makes a run of passes nonconformant.
#[test]
fn json_report_timings_and_findings() {
    let f = clean();
    let doc: Value = serde_json::from_str(&json::render(&f.report(&[]), true)).unwrap();
    let s = &doc["summary"];
    assert_eq!(
        (s["conformant"].as_bool(), s["pass"].as_u64(), s["restarts"].as_u64()),
        (Some(true), Some(15), Some(0))
    );
    let wall = s["wall_seconds"].as_f64().unwrap();
    assert!(wall > 0.0 && s["startup_seconds"].as_f64().unwrap() <= wall, "{s}");
    assert!(s["calls_seconds"].as_f64().unwrap() <= wall, "{s}");

    let (f, secret) = leaky();
    let text = json::render(&f.report(&[]), false);
    assert!(!text.contains(&secret), "the JSON report must not carry the secret");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["summary"]["conformant"], false);
    assert_eq!(doc["summary"]["pass"], f.cases.len());
    assert_eq!(
        doc["security_findings"],
        serde_json::json!([{"case": "sign-only-user-id", "channel": "response", "what": "the signing secret"}])
    );
}

/// An attribute of `node`, or a panic naming it.
fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name).unwrap_or_else(|| panic!("<{}> has no {name}", node.tag_name().name()))
}

/// The JUnit report parses; it has one testsuite per group that ran, in group order, with the designed
/// tests/failures/errors/skipped counts, and each test case carries its id, class, status and message.
#[test]
fn junit_report_has_a_suite_per_group_with_counts() {
    let f = mixed();
    let xml = junit::render(&f.report(&[]), false);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        (attr(root, "name"), attr(root, "tests"), attr(root, "failures"), attr(root, "errors")),
        ("ivconform", "15", "3", "3")
    );
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let summary: Vec<(&str, &str, &str, &str, &str)> = suites
        .iter()
        .map(|s| (attr(*s, "name"), attr(*s, "tests"), attr(*s, "failures"), attr(*s, "errors"), attr(*s, "disabled")))
        .collect();
    assert_eq!(
        summary,
        [
            ("hmac_sha256", "3", "0", "1", "0"),
            ("sign", "3", "2", "0", "1"),
            ("payload", "3", "1", "0", "0"),
            ("verify", "3", "0", "2", "0"),
            ("jwt", "3", "0", "0", "3"),
        ]
    );
    let testcases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    let names: Vec<&str> = testcases.iter().map(|t| attr(*t, "name")).collect();
    let ids: Vec<&str> = f.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(names, ids);
    for (t, case) in testcases.iter().zip(&f.cases) {
        assert_eq!(attr(*t, "classname"), format!("ivconform.{}", case.group.as_str()));
        assert!(t.attribute("time").is_none(), "no timings when asked for none");
        let rules = t.descendants().find(|n| n.has_tag_name("property") && n.attribute("name") == Some("rules"));
        let want: Vec<&str> = case.rules.iter().map(|r| r.id()).collect();
        assert_eq!(rules.map(|p| attr(p, "value")), Some(want.join(" ").as_str()));
    }
    // The status element of each case: its tag, type and message.
    let status = |i: usize| {
        let el = testcases[i]
            .children()
            .find(|n| n.is_element() && ["failure", "error", "skipped"].contains(&n.tag_name().name()));
        el.map(|e| (e.tag_name().name(), e.attribute("type"), e.attribute("message").unwrap_or_default().to_string()))
    };
    assert_eq!(status(0), None, "a pass has no status element");
    assert_eq!(status(1), Some(("error", Some("crash"), CRASH.to_string())), "escaped and read back intact");
    let (tag, kind, message) = status(3).unwrap();
    assert_eq!((tag, kind), ("failure", Some("fail")));
    assert!(message.starts_with("expected user_hash ") && message.contains("; got user_hash "), "{message}");
    let body = testcases[3].children().find(|n| n.has_tag_name("failure")).unwrap().text().unwrap_or_default();
    assert!(body.contains("hint:     S1: user_hash must be lowercase hex"), "{body}");
    let (tag, kind, message) = status(5).unwrap();
    assert_eq!((tag, kind), ("skipped", Some("expected_failure")));
    assert_eq!(message, "expected failure (fail): upper-case hex (https://tracker.example/1)");
    let (tag, kind, message) = status(8).unwrap();
    assert_eq!((tag, kind), ("failure", Some("unexpected_pass")));
    assert!(message.contains("'was flaky'"), "{message}");
    assert_eq!(status(9).map(|s| (s.0, s.1)), Some(("error", Some("error"))));
    assert_eq!(status(10), Some(("error", Some("timeout"), "no answer within 0.5 s".to_string())));
    assert_eq!(
        status(12).map(|s| (s.0, s.2)),
        Some(("skipped", "the implementation does not claim 'verify_jwt'".into()))
    );
}

/// Groups that did not run get no testsuite; with timings every test case has a time.
#[test]
fn junit_report_omits_groups_that_did_not_run() {
    let cases: Vec<PlannedCase> = sample(2).into_iter().filter(|c| c.group == ivconform_vectors::Group::Sign).collect();
    let f = fixture_of(FakeConnector::reference(), cases, "");
    let xml = junit::render(&f.report(&[]), true);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suites: Vec<&str> =
        doc.descendants().filter(|n| n.has_tag_name("testsuite")).map(|s| attr(s, "name")).collect();
    assert_eq!(suites, ["sign"]);
    let root = doc.root_element();
    assert_eq!((attr(root, "tests"), attr(root, "failures"), attr(root, "errors")), ("2", "0", "0"));
    assert!(root.attribute("time").is_some(), "the run's time with timings");
    for t in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        assert!(t.attribute("time").is_some(), "each case's time with timings");
        assert!(!t.children().any(|n| n.is_element() && !n.has_tag_name("properties")), "passes carry no status");
    }
}

/// A run over a fake signer that declares both limits in `hello`: the not-applicable cases are never
/// sent, never passed, counted, quoted in every report; an all-not-applicable run tested nothing.
#[test]
fn declared_cases_are_not_sent_and_reports_quote_the_declaration() {
    use crate::report::{human, json, junit, Report};
    use crate::runner::{run, CaseOutcome, RunOptions};
    use crate::suite::expectations::Expectations;
    use crate::suite::limits::not_applicable;
    use crate::suite::plan::PlannedCase;
    use crate::transport::fake::planned;
    use crate::transport::fake::{reference_answer, reply, scanner, FakeConnector};
    use ivconform_protocol::Request;
    use ivconform_protocol::Response;
    use ivconform_protocol::{IdentifierLimit, Limits};
    use ivconform_vectors::Group;
    let cases: Vec<PlannedCase> = planned().into_iter().filter(|c| c.group == Group::Sign).collect();
    let fake = FakeConnector::new(|r| match r {
        Request::Hello { seq, .. } => {
            let mut hello = ivconform_protocol::reference::hello();
            hello.capabilities = vec![ivconform_protocol::Capability::Sign];
            hello.limits = Some(Limits {
                secret_text: true,
                identifier: Some(IdentifierLimit::UserId),
                note: Some("settings.SECRET is a str\n::error::forged".into()),
            });
            reply(r, Response::Hello { seq: *seq, hello })
        }
        other => reference_answer(other),
    });
    let options = RunOptions { jobs: 2, run_timeout: None, on_case: None, max_failures: None };
    let result = run(&fake, &cases, &scanner(), &Expectations::default(), &options).unwrap();
    let sent = fake.counters.requests().iter().filter(|r| matches!(r, Request::Sign { .. })).count();
    let mut na_count = 0;
    for r in &result.results {
        let case = &cases[r.index];
        match &r.outcome {
            CaseOutcome::NotApplicable { declaration, reason } => {
                na_count += 1;
                assert!(declaration.starts_with("secret text only, identifier user_id only; note: "), "{declaration}");
                assert!(!declaration.contains('\n'), "the note is sanitised: {declaration:?}");
                assert!(!reason.is_empty());
            }
            CaseOutcome::Pass => {}
            other => panic!("{}: {other:?}", case.id),
        }
    }
    assert_eq!(sent, cases.len() - na_count, "not-applicable cases are not sent");
    let expected_na: Vec<&str> = cases
        .iter()
        .filter(|c| not_applicable(c, result.hello.limits.as_ref().unwrap()).is_some())
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(na_count, expected_na.len());
    assert!(na_count > 10 && na_count < cases.len(), "{na_count}");
    let report = Report {
        cases: &cases,
        run: &result,
        transport: "fake".into(),
        suite: "golden vectors test".into(),
        stale_expectations: vec![],
        missing_required: vec![],
    };
    assert_eq!(report.counts().not_applicable, na_count);
    assert_eq!(report.counts().pass, cases.len() - na_count, "never counted as passed");
    assert!(report.conformant(), "{:?}", report.problems());
    let text = human::render(&report, human::Verbosity::Normal, false, false);
    let line = format!(
        "{} cases: {} passed, {na_count} not applicable (declared: secret text only, identifier user_id only; note: ",
        cases.len(),
        cases.len() - na_count
    );
    assert!(text.contains(&line), "{line}\n{text}");
    assert!(!text.lines().any(|l| l.starts_with("::error::")), "{text}");
    let xml = junit::render(&report, false);
    assert_eq!(xml.matches("type=\"not_applicable\"").count(), na_count, "{xml}");
    assert!(xml.contains("not applicable: declared secret text only, identifier user_id only"), "{xml}");
    let doc: serde_json::Value = serde_json::from_str(&json::render(&report, false)).unwrap();
    assert_eq!(doc["summary"]["not_applicable"], na_count);
    let na = doc["cases"].as_array().unwrap().iter().filter(|c| c["outcome"] == "not_applicable").count();
    assert_eq!(na, na_count);

    // Only not-applicable cases: nothing was tested.
    let only: Vec<PlannedCase> = cases.iter().filter(|c| expected_na.contains(&c.id.as_str())).cloned().collect();
    let result = run(&fake, &only, &scanner(), &Expectations::default(), &options).unwrap();
    let report = Report { cases: &only, run: &result, ..report };
    assert_eq!(report.executed(), 0);
    assert!(!report.conformant());
    assert!(report.problems().iter().any(|p| p.contains("nothing was tested")), "{:?}", report.problems());
}
