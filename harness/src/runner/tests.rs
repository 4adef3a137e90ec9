//! Runner tests over the in-memory fake IUT ([`crate::transport::fake`]): every outcome kind, reconnects,
//! expectations, leak findings, parallel jobs, the whole-run deadline and failed handshakes.

use super::*;
use crate::suite::plan::Expect;
use crate::transport::fake::{
    hello_claiming, is_case, planned, reference_answer, reply, reply_raw, sample, scanner, uppercase_user_hash,
    Counters, FakeConnector,
};
use ivconform_protocol::reference;
use ivconform_vectors::{Group, SignExpected};

/// Runs `cases` over `fake` with no expectations.
fn run_plain(fake: &FakeConnector, cases: &[PlannedCase], opts: &RunOptions) -> RunResult {
    run(fake, cases, &scanner(), &Expectations::default(), opts).unwrap_or_else(|e| panic!("run failed: {}", e.0))
}

/// The outcome kinds of a run, in result order.
fn kinds(result: &RunResult) -> Vec<&'static str> {
    result.results.iter().map(|r| r.outcome.kind()).collect()
}

/// True for sign cases that expect a hash (the ones an upper-casing signer gets wrong).
fn expects_hash(case: &PlannedCase) -> bool {
    matches!(case.expect, Expect::Sign(SignExpected::Hash { .. }))
}

/// The planned case with this id.
fn case_by_id(cases: &[PlannedCase], id: &str) -> PlannedCase {
    cases.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no case {id}")).clone()
}

/// What a right answer to `case` ends as: `pass`, or `either` for a time inside J2's leeway window (compared
/// by kind: the answer given is copied).
fn pass_or_either(case: &PlannedCase, got: &CaseOutcome) -> CaseOutcome {
    match (&case.expect, got) {
        (Expect::Verify(ivconform_vectors::VerifyExpected::Either { .. }), CaseOutcome::Either { actual }) => {
            CaseOutcome::Either { actual: actual.clone() }
        }
        (Expect::Verify(ivconform_vectors::VerifyExpected::Either { .. }), _) => {
            CaseOutcome::Either { actual: "(either answer)".into() }
        }
        _ => CaseOutcome::Pass,
    }
}

/// The reference passes every committed case over one connection, with plan-ordered results, fresh seqs and
/// no leak findings (the user_hash or tag an answer legitimately carries is not a leak).
#[test]
fn reference_passes_every_case_without_findings() {
    let cases = planned();
    let fake = FakeConnector::reference();
    let result = run_plain(&fake, &cases, &RunOptions::with_jobs(1));
    assert_eq!(result.results.len(), cases.len());
    for (i, r) in result.results.iter().enumerate() {
        assert_eq!(r.index, i);
        assert_eq!(r.outcome, pass_or_either(&cases[i], &r.outcome), "{}", cases[i].id);
    }
    assert!(result.findings.is_empty(), "{:?}", result.findings);
    assert_eq!(result.hello.name, reference::NAME);
    assert_eq!((result.restarts, fake.counters.connects()), (0, 1));
    assert_eq!(fake.counters.calls(), cases.len() + 1, "one hello, then one call per case");
    assert_eq!(fake.counters.closes(), 1, "the connection is closed at the end");
    let requests = fake.counters.requests();
    assert!(matches!(requests[0], Request::Hello { .. }));
    let seqs: Vec<u64> = requests.iter().map(Request::seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seqs must increase: {seqs:?}");
    for (case, sent) in cases.iter().zip(&requests[1..]) {
        assert!(is_case(case, sent), "cases are sent in plan order: {}", case.id);
    }
}

/// An upper-casing signer fails exactly the sign cases that expect a hash, with the S1 hint; everything
/// else passes.
#[test]
fn uppercase_user_hash_fails_the_sign_hash_cases() {
    let cases = planned();
    let fake = FakeConnector::new(uppercase_user_hash);
    let result = run_plain(&fake, &cases, &RunOptions::with_jobs(1));
    let mut failed = 0;
    for (case, r) in cases.iter().zip(&result.results) {
        if expects_hash(case) {
            failed += 1;
            let CaseOutcome::Fail { expected, actual, hint, .. } = &r.outcome else {
                panic!("{}: expected a failure, got {:?}", case.id, r.outcome)
            };
            let Expect::Sign(SignExpected::Hash { user_hash, .. }) = &case.expect else { unreachable!() };
            assert!(expected.contains(user_hash.as_str()), "{expected}");
            assert!(actual.contains(&user_hash.to_ascii_uppercase()), "{actual}");
            assert_eq!(hint, "S1: user_hash must be lowercase hex");
        } else {
            assert_eq!(r.outcome, pass_or_either(case, &r.outcome), "{}", case.id);
        }
    }
    assert!(failed > 10, "the suite has many sign-hash cases, found {failed}");
    assert!(result.results.iter().all(|r| r.outcome.is_bad() == (r.outcome.kind() == "fail")));
}

/// A protocol violation (an answer with the wrong seq) is an `error`, and the next case gets a new connection.
#[test]
fn protocol_error_is_an_error_and_reconnects() {
    let cases = sample(2);
    let target = cases[1].clone();
    let t = target.clone();
    let fake = FakeConnector::new(move |r| {
        if is_case(&t, r) {
            let mut wrong = reference::handle(r);
            if let Response::Hmac { seq, .. } = &mut wrong {
                *seq += 1;
            }
            reply(r, wrong)
        } else {
            reference_answer(r)
        }
    });
    assert!(matches!(target.request, Request::Hmac { .. }), "sample(2)[1] is the second hmac case");
    let result = run_plain(&fake, &cases, &RunOptions::with_jobs(1));
    let CaseOutcome::Error { reason } = &result.results[1].outcome else { panic!("{:?}", result.results[1]) };
    assert!(reason.contains("seq"), "{reason}");
    assert_eq!(kinds(&result).iter().filter(|k| **k == "pass").count(), cases.len() - 1);
    assert_eq!((result.restarts, fake.counters.connects()), (1, 2));
    assert_eq!(fake.counters.closes(), 2, "the broken connection and the last one are closed");
}

/// A crash is a `crash` carrying the last stderr line; the runner reconnects (with a new hello) and the
/// following cases pass. An unreachable IUT mid-run is a crash too.
#[test]
fn crash_reconnects_and_reports_stderr() {
    let cases = sample(1);
    let (crashing, unreachable) = (cases[1].clone(), cases[3].clone());
    let (c, u) = (crashing.clone(), unreachable.clone());
    let crash_for_stderr = crashing.clone();
    let fake = FakeConnector::new(move |r| {
        if is_case(&c, r) {
            Err(CallError::Crash("exit status 134".into()))
        } else if is_case(&u, r) {
            Err(CallError::Unreachable("connection refused".into()))
        } else {
            reference_answer(r)
        }
    })
    .with_stderr(move |r| {
        if is_case(&crash_for_stderr, r) {
            "starting\nthread 'main' panicked at boom\n\n".into()
        } else {
            String::new()
        }
    });
    let result = run_plain(&fake, &cases, &RunOptions::with_jobs(1));
    assert_eq!(kinds(&result), ["pass", "crash", "pass", "crash", "pass"]);
    let CaseOutcome::Crash { reason } = &result.results[1].outcome else { unreachable!() };
    assert_eq!(reason, "exit status 134; stderr: thread 'main' panicked at boom");
    let CaseOutcome::Crash { reason } = &result.results[3].outcome else { unreachable!() };
    assert_eq!(reason, "connection refused", "no stderr, no suffix");
    assert_eq!((result.restarts, fake.counters.connects()), (2, 3));
    let requests = fake.counters.requests();
    let hellos: Vec<usize> =
        requests.iter().enumerate().filter(|(_, r)| matches!(r, Request::Hello { .. })).map(|(i, _)| i).collect();
    assert_eq!(hellos, [0, 3, 6], "each new connection shakes hands before its first case");
}

/// A transport timeout is a `timeout` with the transport's wording, and the next case gets a new connection.
#[test]
fn timeout_is_a_timeout_and_reconnects() {
    let cases = sample(1);
    let t = cases[0].clone();
    let fake = FakeConnector::new(move |r| {
        if is_case(&t, r) {
            Err(CallError::Timeout(Duration::from_secs(2)))
        } else {
            reference_answer(r)
        }
    });
    let result = run_plain(&fake, &cases, &RunOptions::with_jobs(1));
    assert_eq!(result.results[0].outcome, CaseOutcome::Timeout { reason: "no answer within 2.0 s".into() });
    assert!(result.results[1..].iter().all(|r| r.outcome == CaseOutcome::Pass));
    assert_eq!((result.restarts, fake.counters.connects()), (1, 2));
}

/// When the IUT cannot be restarted after a crash, the next three cases each record a failed attempt and
/// every later one is a crash without another attempt.
#[test]
fn restarting_gives_up_after_three_failed_attempts() {
    let cases = sample(2);
    assert!(cases.len() >= 8);
    let first = cases[0].clone();
    let fake = FakeConnector::new(move |r| {
        if is_case(&first, r) {
            Err(CallError::Crash("segfault".into()))
        } else {
            reference_answer(r)
        }
    })
    .with_gate(|n| if n == 1 { Ok(()) } else { Err(CallError::Unreachable("cannot spawn".into())) });
    let result = run_plain(&fake, &cases, &RunOptions::with_jobs(1));
    assert!(kinds(&result).iter().all(|k| *k == "crash"), "{:?}", kinds(&result));
    for r in &result.results[1..4] {
        let CaseOutcome::Crash { reason } = &r.outcome else { unreachable!() };
        assert_eq!(reason, "could not restart the implementation: unreachable: cannot spawn");
    }
    for r in &result.results[4..] {
        let CaseOutcome::Crash { reason } = &r.outcome else { unreachable!() };
        assert!(reason.contains("3 attempts failed"), "{reason}");
    }
    assert_eq!(fake.counters.connects(), 4, "the first connection and three attempts");
    assert_eq!(result.restarts, 3);
}

/// Cases needing a capability the hello does not claim are skipped, naming it, and never sent.
#[test]
fn unclaimed_capabilities_are_skipped_and_not_sent() {
    let cases = sample(3);
    let fake = FakeConnector::new(|r| match r {
        Request::Hello { seq, .. } => reply(r, hello_claiming(*seq, &[Capability::Hmac, Capability::Verify])),
        _ => reference_answer(r),
    });
    let result = run_plain(&fake, &cases, &RunOptions::with_jobs(1));
    for (case, r) in cases.iter().zip(&result.results) {
        match case.capability {
            Capability::Hmac | Capability::Verify => assert_eq!(r.outcome, CaseOutcome::Pass, "{}", case.id),
            other => {
                assert_eq!(
                    r.outcome,
                    CaseOutcome::Skipped { reason: format!("the implementation does not claim '{}'", other.as_str()) }
                );
                assert_eq!(r.duration, Duration::ZERO);
            }
        }
    }
    assert!(kinds(&result).contains(&"skipped") && kinds(&result).contains(&"pass"));
    assert!(fake
        .counters
        .requests()
        .iter()
        .all(|r| matches!(r, Request::Hello { .. } | Request::Hmac { .. } | Request::Verify { .. })));
    assert_eq!(result.hello.capabilities, [Capability::Hmac, Capability::Verify]);
}

/// Expectations turn listed failures into `expected_failure` (keeping the failure), listed passes into
/// `unexpected_pass` (with the reason and link), leave skips alone, and the callback sees the final outcome.
#[test]
fn expectations_and_the_callback() {
    let cases = sample(3);
    let sign_hash = cases.iter().find(|c| expects_hash(c)).unwrap().id.clone();
    let hmac = cases.iter().find(|c| c.group == Group::HmacSha256).unwrap().id.clone();
    let jwt: Vec<String> = cases.iter().filter(|c| c.group == Group::Jwt).map(|c| c.id.clone()).collect();
    let toml = format!(
        "[[expected_failure]]\ncase = \"{sign_hash}\"\nreason = \"upper-case hex\"\n\n\
         [[expected_failure]]\ncase = \"{hmac}\"\nreason = \"was broken\"\nlink = \"https://tracker.example/7\"\n\n\
         [[expected_failure]]\ncase = \"jwt-*\"\nreason = \"no JWT yet\"\n"
    );
    let expectations = Expectations::parse(&toml).unwrap();
    let fake = FakeConnector::new(|r| match r {
        Request::Hello { seq, .. } => {
            reply(r, hello_claiming(*seq, &[Capability::Hmac, Capability::Sign, Capability::Verify]))
        }
        _ => uppercase_user_hash(r),
    });
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let opts = RunOptions {
        on_case: Some(Arc::new(move |c: &PlannedCase, o: &CaseOutcome| {
            log.lock().unwrap().push((c.id.clone(), o.clone()))
        })),
        ..RunOptions::with_jobs(1)
    };
    let result = run(&fake, &cases, &scanner(), &expectations, &opts).unwrap();
    for (case, r) in cases.iter().zip(&result.results) {
        if case.id == sign_hash {
            let CaseOutcome::ExpectedFailure { failure, reason } = &r.outcome else { panic!("{:?}", r.outcome) };
            assert_eq!(reason, "upper-case hex");
            assert!(matches!(**failure, CaseOutcome::Fail { ref hint, .. } if hint.contains("lowercase")));
            assert!(!r.outcome.is_bad());
        } else if case.id == hmac {
            assert_eq!(
                r.outcome,
                CaseOutcome::UnexpectedPass { reason: "was broken (https://tracker.example/7)".into() }
            );
            assert!(r.outcome.is_bad());
        } else if jwt.contains(&case.id) {
            assert_eq!(r.outcome.kind(), "skipped", "a listed skip stays a skip: {}", case.id);
        } else if expects_hash(case) {
            assert_eq!(r.outcome.kind(), "fail", "{}", case.id);
        } else {
            assert_eq!(r.outcome, CaseOutcome::Pass, "{}", case.id);
        }
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), cases.len(), "the callback is told each case once");
    for (case, r) in cases.iter().zip(&result.results) {
        assert!(seen.contains(&(case.id.clone(), r.outcome.clone())), "{}", case.id);
    }
}

/// A crash listed in the expectations is an expected failure wrapping the crash.
#[test]
fn an_expected_crash_is_an_expected_failure() {
    let cases = sample(1);
    let target = cases[2].clone();
    let t = target.clone();
    let fake =
        FakeConnector::new(
            move |r| if is_case(&t, r) { Err(CallError::Crash("abort".into())) } else { reference_answer(r) },
        );
    let expectations =
        Expectations::parse(&format!("[[expected_failure]]\ncase = \"{}\"\nreason = \"flaky\"\n", target.id)).unwrap();
    let result = run(&fake, &cases, &scanner(), &expectations, &RunOptions::with_jobs(1)).unwrap();
    assert_eq!(
        result.results[2].outcome,
        CaseOutcome::ExpectedFailure {
            failure: Box::new(CaseOutcome::Crash { reason: "abort".into() }),
            reason: "flaky".into()
        }
    );
}

/// The expected user_hash of a sign case.
fn user_hash(case: &PlannedCase) -> String {
    let Expect::Sign(SignExpected::Hash { user_hash, .. }) = &case.expect else {
        panic!("{} expects no hash", case.id)
    };
    user_hash.clone()
}

/// A secret in a field the protocol ignores (only the raw text shows it) and expected hashes on stderr
/// (another case's and the case's own) are security findings that describe, not show, what leaked; the
/// user_hash an answer legitimately carries is not one. Findings come sorted by case.
#[test]
fn leaks_in_raw_answers_and_stderr_are_findings() {
    let sign: Vec<PlannedCase> = planned().into_iter().filter(|c| expects_hash(c) && !c.secrets.is_empty()).collect();
    // Two cases that each own their hash (the scanner names the first case expecting a hash).
    let a = sign[0].clone();
    let b = sign
        .iter()
        .enumerate()
        .skip(1)
        .find(|(i, c)| sign[..*i].iter().all(|e| user_hash(e) != user_hash(c)))
        .map(|(_, c)| c.clone())
        .expect("two sign cases with different hashes");
    let (a_hash, b_hash) = (user_hash(&a), user_hash(&b));
    let a_secret = a.secrets[0].hex.clone();
    let (ta, tb) = (a.clone(), b.clone());
    let (secret, ah, bh) = (a_secret.clone(), a_hash.clone(), b_hash.clone());
    let fake = FakeConnector::new(move |r| {
        if is_case(&ta, r) {
            let response = reference::handle(r);
            let text = serde_json::to_string(&response).unwrap();
            let raw = format!("{},\"debug\":\"key {secret}\"}}", text.trim_end_matches('}'));
            reply_raw(response, raw)
        } else {
            reference_answer(r)
        }
    })
    .with_stderr(move |r| {
        if is_case(&tb, r) {
            format!("cache: {ah}\nmine: {}\n", bh.to_ascii_uppercase())
        } else {
            String::new()
        }
    });
    let result = run_plain(&fake, &[b.clone(), a.clone()], &RunOptions::with_jobs(1));
    assert_eq!(kinds(&result), ["pass", "pass"], "leaks are not conformance failures");
    // stderr is attributed by content: a's hash (not yet returned by any answer) is a's leak, whenever the
    // line arrived; b's own hash was returned by b's answer first, and a signer printing the hash it
    // returns is not a leak.
    let mut want = vec![
        LeakFinding { case: a.id.clone(), channel: "response".into(), what: "the signing secret".into() },
        LeakFinding { case: a.id.clone(), channel: "stderr".into(), what: "this case's expected hash".into() },
    ];
    want.sort();
    assert_eq!(result.findings, want);
    for f in &result.findings {
        assert!(!f.what.contains(&a_secret) && !f.what.contains(&a_hash) && !f.what.contains(&b_hash), "{f:?}");
    }
}

/// An answer echoing the case's own secret is a finding on the response channel, even inside an error
/// message (which also fails the case: a claimed capability must work).
#[test]
fn an_answer_echoing_the_secret_is_a_finding() {
    let cases = planned();
    let case = cases.iter().find(|c| expects_hash(c) && !c.secrets.is_empty()).unwrap().clone();
    let secret_hex = case.secrets[0].hex.clone();
    let fake = FakeConnector::new(move |r| match r {
        Request::Sign { seq, secret_hex, .. } => {
            reply(r, Response::Error { seq: *seq, message: format!("cannot use key {secret_hex}") })
        }
        _ => reference_answer(r),
    });
    let result = run_plain(&fake, std::slice::from_ref(&case), &RunOptions::with_jobs(1));
    let CaseOutcome::Fail { actual, hint, .. } = &result.results[0].outcome else { panic!("{:?}", result.results[0]) };
    assert!(actual.starts_with("error response: "), "{actual}");
    assert!(hint.contains("claims 'sign'"), "{hint}");
    assert_eq!(
        result.findings,
        [LeakFinding { case: case.id.clone(), channel: "response".into(), what: "the signing secret".into() }]
    );
    assert!(!result.findings[0].what.contains(&secret_hex));
}

/// The answer closure of a faulty IUT: upper-case hashes, a crash, a protocol error and a timeout on chosen
/// cases, so a run has every bad kind.
fn faulty(cases: &[PlannedCase]) -> FakeConnector {
    let crash = case_by_id(cases, "rfc4231-case-3");
    let garbage = case_by_id(cases, "verify-prod-web-email-valid");
    let slow = case_by_id(cases, "payload-pretty-printed");
    FakeConnector::new(move |r| {
        if is_case(&crash, r) {
            Err(CallError::Crash("killed".into()))
        } else if is_case(&garbage, r) {
            Err(CallError::Protocol("response is not a protocol message".into()))
        } else if is_case(&slow, r) {
            Err(CallError::Timeout(Duration::from_millis(500)))
        } else {
            uppercase_user_hash(r)
        }
    })
}

/// With 2 or 4 jobs the results are those of one job, in plan order, over one connection per worker plus
/// one per failure.
#[test]
fn parallel_jobs_give_the_same_outcomes_in_plan_order() {
    let cases = planned();
    let serial = run_plain(&faulty(&cases), &cases, &RunOptions::with_jobs(1));
    let serial_kinds = kinds(&serial);
    for k in ["pass", "fail", "crash", "error", "timeout"] {
        assert!(serial_kinds.contains(&k), "the faulty IUT yields {k}");
    }
    for jobs in [2, 4] {
        let fake = faulty(&cases);
        let parallel = run_plain(&fake, &cases, &RunOptions::with_jobs(jobs));
        assert!(parallel.results.iter().enumerate().all(|(i, r)| r.index == i));
        assert_eq!(kinds(&parallel), serial_kinds, "jobs = {jobs}");
        for (s, p) in serial.results.iter().zip(&parallel.results) {
            assert_eq!(s.outcome, p.outcome);
        }
        assert!(fake.counters.connects() <= jobs + 3, "{} connections", fake.counters.connects());
        assert_eq!(fake.counters.calls() - fake.counters.connects(), cases.len(), "every case sent once");
    }
}

/// A reference IUT that holds each case's answer (up to 5 s) until `n` connections exist, so every worker
/// of an `n`-job run gets to open its own.
fn holding_until(n: usize) -> FakeConnector {
    let counters = Arc::new(Counters::default());
    let seen = counters.clone();
    FakeConnector::new(move |r| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !matches!(r, Request::Hello { .. }) && seen.connects() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        reference_answer(r)
    })
    .with_counters(counters)
}

/// Each worker opens its own connection (3 jobs: 3 connections, each closed at the end), also when there
/// are more jobs than cases.
#[test]
fn each_worker_opens_its_own_connection() {
    let cases = sample(4);
    let fake = holding_until(3);
    let result = run_plain(&fake, &cases, &RunOptions::with_jobs(3));
    assert!(result.results.iter().all(|r| r.outcome == CaseOutcome::Pass));
    assert_eq!(fake.counters.connects(), 3);
    assert_eq!(fake.counters.closes(), 3, "every worker closes its connection");

    // 8 jobs over 2 cases: both run, each on its own connection.
    let two = sample(1)[..2].to_vec();
    let fake = holding_until(2);
    let result = run_plain(&fake, &two, &RunOptions::with_jobs(8));
    assert_eq!(kinds(&result), ["pass", "pass"]);
    assert_eq!(fake.counters.connects(), 2);
}

/// `restarts` counts "a fresh connection opened after a failure" (RunResult's doc); the extra workers'
/// first connections are not restarts (a regression test: they used to be counted).
#[test]
fn parallel_workers_first_connections_are_not_restarts() {
    let fake = holding_until(3);
    let result = run_plain(&fake, &sample(4), &RunOptions::with_jobs(3));
    assert_eq!(fake.counters.connects(), 3);
    assert_eq!(result.restarts, 0, "no case failed, so nothing was restarted");
}

/// A whole-run deadline that has already passed ends every claimed case as a timeout without sending it;
/// skips stay skips.
#[test]
fn a_passed_run_deadline_times_out_every_unstarted_case() {
    let cases = sample(2);
    let fake = FakeConnector::new(|r| match r {
        Request::Hello { seq, .. } => reply(r, hello_claiming(*seq, &[Capability::Hmac, Capability::Sign])),
        _ => reference_answer(r),
    });
    let opts = RunOptions { run_timeout: Some(Duration::ZERO), ..RunOptions::with_jobs(2) };
    let result = run_plain(&fake, &cases, &opts);
    for (case, r) in cases.iter().zip(&result.results) {
        if matches!(case.capability, Capability::Hmac | Capability::Sign) {
            assert_eq!(
                r.outcome,
                CaseOutcome::Timeout { reason: "the whole-run timeout passed before this case started".into() }
            );
        } else {
            assert_eq!(r.outcome.kind(), "skipped");
        }
        assert_eq!(r.duration, Duration::ZERO);
    }
    assert_eq!(fake.counters.calls(), 1, "only the handshake was sent");
}

/// Once the run deadline passes, the cases already answered keep their outcome and no later case starts.
#[test]
fn the_run_deadline_stops_starting_cases() {
    let cases: Vec<PlannedCase> = planned().into_iter().filter(|c| c.group == Group::HmacSha256).take(20).collect();
    let fake = FakeConnector::new(|r| {
        if !matches!(r, Request::Hello { .. }) {
            std::thread::sleep(Duration::from_millis(50));
        }
        reference_answer(r)
    });
    let opts = RunOptions { run_timeout: Some(Duration::from_millis(200)), ..RunOptions::with_jobs(1) };
    let result = run_plain(&fake, &cases, &opts);
    let k = kinds(&result);
    let passed = k.iter().take_while(|k| **k == "pass").count();
    assert!(passed >= 1 && passed < cases.len() - 5, "{k:?}");
    assert!(k[passed..].iter().all(|k| *k == "timeout"), "after the deadline, only timeouts: {k:?}");
    assert_eq!(fake.counters.calls(), 1 + passed, "timed-out cases were never sent");
}

/// A run whose first connection or hello fails is an Err naming the connector and the cause, and sends
/// no case.
#[test]
fn a_failed_start_is_the_runs_error() {
    let cases = sample(1);
    let err =
        |fake: &FakeConnector| match run(fake, &cases, &scanner(), &Expectations::default(), &RunOptions::with_jobs(2))
        {
            Ok(_) => panic!("the run should not start"),
            Err(StartError(m)) => m,
        };

    let unreachable = FakeConnector::reference().with_gate(|_| Err(CallError::Unreachable("no such file".into())));
    assert_eq!(err(&unreachable), "fake: in-memory test IUT: unreachable: no such file");
    assert_eq!(unreachable.counters.connects(), 1, "no retry of a failed start");

    let refusing = FakeConnector::new(|r| reply(r, Response::Error { seq: r.seq(), message: "what?".into() }));
    let m = err(&refusing);
    assert!(m.starts_with("fake: in-memory test IUT: protocol violation: hello was answered with"), "{m}");
    assert!(m.contains("what?"), "{m}");
    assert_eq!(refusing.counters.calls(), 1);

    let dying = FakeConnector::new(|_| Err(CallError::Crash("exit status 127".into())))
        .with_stderr(|_| "loading\nerror: missing symbol ivc_sign\n".into());
    let m = err(&dying);
    assert_eq!(
        m,
        "fake: in-memory test IUT: unreachable: crashed: exit status 127; it said: error: missing symbol ivc_sign"
    );
    assert_eq!(dying.counters.calls(), 1);
}

/// An empty plan runs nothing but still shakes hands.
#[test]
fn an_empty_plan_is_an_empty_result() {
    let fake = FakeConnector::reference();
    let result = run_plain(&fake, &[], &RunOptions::with_jobs(4));
    assert!(result.results.is_empty() && result.findings.is_empty());
    assert_eq!((fake.counters.connects(), fake.counters.calls(), result.restarts), (1, 1, 0));
}
