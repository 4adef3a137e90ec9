//! Runs planned cases against an IUT through a [`Connector`]: one connection per worker, a fresh connection
//! after any crash, timeout or protocol error, capabilities from `hello`, per-case and whole-run deadlines.

use crate::leak::{LeakFinding, Scanner, SentValues};
use crate::suite::expectations::Expectations;
use crate::suite::grade::{grade, Grade};
use crate::suite::plan::PlannedCase;
use crate::transport::{CallError, Connector, Exchange, Transport};
use ivconform_protocol::{Capability, Hello, Request, Response};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CaseOutcome {
    /// Right answer.
    Pass,
    /// J2's leeway window: one of the two conformant answers (accepted, or refused by a smaller leeway). Not
    /// graded either way, never counted as a pass.
    Either {
        /// What the implementation answered.
        actual: String,
    },
    /// Wrong answer.
    Fail {
        /// What a conforming implementation answers.
        expected: String,
        /// What this one answered.
        actual: String,
        /// The likely mistake.
        hint: String,
        /// The rule the grader says the answer broke (reports tally the failure under it).
        #[serde(skip)]
        rule: Option<ivconform_core::Rule>,
        /// The answer as a structured value (`{"kind":"hash","value":...}`), sanitised, for the JSON report.
        #[serde(skip)]
        answer: Option<serde_json::Value>,
    },
    /// Protocol violation: garbage, wrong shape or seq, an answer over the size cap.
    Error {
        /// What was wrong.
        reason: String,
    },
    /// The IUT died while handling the case.
    Crash {
        /// How it died.
        reason: String,
    },
    /// No answer in time.
    Timeout {
        /// Which deadline.
        reason: String,
    },
    /// Not run: the IUT does not claim the capability.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Not run: the implementation declared (`limits` in `hello`, or `--declare-*`) that its API cannot
    /// express what the case needs. Never counted as a pass.
    NotApplicable {
        /// The declaration, quoted (`secret text only`, `identifier user_id only`, and its note).
        declaration: String,
        /// Why the case needs what was declared away.
        reason: String,
    },
    /// Failed as the expectations file says it would.
    ExpectedFailure {
        /// The failure that was expected.
        failure: Box<CaseOutcome>,
        /// The expectations file's reason.
        reason: String,
    },
    /// Listed in the expectations file but passed: the entry is stale.
    UnexpectedPass {
        /// The expectations file's reason.
        reason: String,
    },
}

impl CaseOutcome {
    /// The outcome's kind, as in reports (`pass`, `fail`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            CaseOutcome::Pass => "pass",
            CaseOutcome::Either { .. } => "either",
            CaseOutcome::Fail { .. } => "fail",
            CaseOutcome::Error { .. } => "error",
            CaseOutcome::Crash { .. } => "crash",
            CaseOutcome::Timeout { .. } => "timeout",
            CaseOutcome::Skipped { .. } => "skipped",
            CaseOutcome::NotApplicable { .. } => "not_applicable",
            CaseOutcome::ExpectedFailure { .. } => "expected_failure",
            CaseOutcome::UnexpectedPass { .. } => "unexpected_pass",
        }
    }

    /// True for outcomes that make the implementation nonconformant.
    pub fn is_bad(&self) -> bool {
        matches!(
            self,
            CaseOutcome::Fail { .. }
                | CaseOutcome::Error { .. }
                | CaseOutcome::Crash { .. }
                | CaseOutcome::Timeout { .. }
                | CaseOutcome::UnexpectedPass { .. }
        )
    }
}

/// One case's result.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Index into the planned cases.
    pub index: usize,
    /// How it ended.
    pub outcome: CaseOutcome,
    /// Time from sending the request to having the answer (zero when not sent).
    pub duration: Duration,
}

/// A callback told each finished case (progress bars, live logs).
pub type OnCase = Arc<dyn Fn(&PlannedCase, &CaseOutcome) + Send + Sync>;

/// Options for a run.
#[derive(Clone)]
pub struct RunOptions {
    /// Parallel connections.
    pub jobs: usize,
    /// Deadline for the whole run; cases not started by then end as timeouts.
    pub run_timeout: Option<Duration>,
    /// Called after each case (for progress bars).
    pub on_case: Option<OnCase>,
    /// Stop after this many nonconformant cases (`--max-failures`, `--fail-fast` = 1): the cases not yet
    /// started are reported as not run.
    pub max_failures: Option<usize>,
}

#[cfg(test)]
impl RunOptions {
    /// Options with `jobs` connections, no run deadline, no callback, no failure limit (for tests).
    pub(crate) fn with_jobs(jobs: usize) -> RunOptions {
        RunOptions { jobs, run_timeout: None, on_case: None, max_failures: None }
    }
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The IUT's `hello`.
    pub hello: Hello,
    /// Results in plan order.
    pub results: Vec<CaseResult>,
    /// Oracle-leak findings.
    pub findings: Vec<LeakFinding>,
    /// Wall-clock time from the start to the last case's answer (closing connections is not included).
    pub wall: Duration,
    /// How many times a fresh connection had to be opened after a failure.
    pub restarts: usize,
    /// Time to start the first connection and shake hands (part of `wall`).
    pub startup: Duration,
    /// When the run started (wall clock), for reports.
    pub started_at: std::time::SystemTime,
    /// The last lines the implementation wrote to stderr (sanitised, secrets redacted, at most
    /// [`STDERR_TAIL`] bytes), for reports.
    pub stderr_tail: String,
}

/// How much of the implementation's stderr a run keeps for reports (its tail).
pub const STDERR_TAIL: usize = 4096;

/// Why a run could not start: the IUT could not be started or reached, or its `hello` was unusable.
#[derive(Debug, Clone)]
pub struct StartError(pub String);

struct Shared<'a> {
    cases: &'a [PlannedCase],
    next: AtomicUsize,
    seq: AtomicU64,
    results: Mutex<Vec<Option<CaseResult>>>,
    findings: Mutex<Vec<LeakFinding>>,
    restarts: AtomicUsize,
    /// When the last case finished (closing connections afterwards is not part of the run's time).
    finished: Mutex<Option<Instant>>,
    claimed: Vec<Capability>,
    /// What the implementation declared its API cannot express.
    limits: Option<ivconform_protocol::Limits>,
    scanner: &'a Scanner,
    expectations: &'a Expectations,
    deadline: Option<Instant>,
    options: &'a RunOptions,
    /// Nonconformant cases so far (for `max_failures`).
    bad: AtomicUsize,
    /// Values answers carried (a signer's hash, a token's signature): not a leak when they show up on stderr.
    returned: Mutex<Vec<String>>,
    /// Values the selected cases' requests send: not a leak on stderr either.
    sent: SentValues,
    /// The tail of everything the implementation wrote to stderr (for reports).
    stderr_log: Mutex<Vec<u8>>,
}

/// Keeps the last [`STDERR_TAIL`] bytes the implementation wrote to stderr.
fn keep_stderr(shared: &Shared<'_>, text: &str) {
    let mut log = shared.stderr_log.lock().unwrap_or_else(|e| e.into_inner());
    log.extend_from_slice(text.as_bytes());
    let excess = log.len().saturating_sub(STDERR_TAIL);
    log.drain(..excess);
}

/// What one worker remembers about its connection.
struct Worker {
    conn: Option<Box<dyn Transport>>,
    failed_restarts: usize,
    /// A worker's first connection (every worker but the first opens its own) is not a restart.
    connected_before: bool,
    /// The case each seq sent on this worker's connections belonged to (to blame unsolicited output).
    seqs: std::collections::HashMap<u64, usize>,
    /// The end of the previous stderr chunk, so a value split across two reads is still found.
    stderr_tail: Vec<u8>,
    /// The fastest answer this worker has had: the transport's own cost, for the per-case time bound.
    fastest: Option<Duration>,
    /// A running average of this worker's answers (how slow the machine is today), for the same bound.
    typical: Option<Duration>,
}

/// How much of the previous stderr chunk is scanned again with the next one.
const STDERR_OVERLAP: usize = 256;

/// IUT text made fit for a report: secrets redacted, control and format characters escaped, length capped.
fn clean(scanner: &Scanner, text: &str) -> String {
    crate::sanitize::iut_text(&scanner.redact(text))
}

/// The same for every text of an outcome.
fn clean_outcome(scanner: &Scanner, outcome: CaseOutcome) -> CaseOutcome {
    let c = |t: String| clean(scanner, &t);
    match outcome {
        CaseOutcome::Fail { expected, actual, hint, rule, answer } => CaseOutcome::Fail {
            expected,
            actual: c(actual),
            hint: c(hint),
            rule,
            answer: answer.map(|a| crate::values::map_strings(a, &c)),
        },
        CaseOutcome::Error { reason } => CaseOutcome::Error { reason: c(reason) },
        CaseOutcome::Crash { reason } => CaseOutcome::Crash { reason: c(reason) },
        CaseOutcome::Timeout { reason } => CaseOutcome::Timeout { reason: c(reason) },
        CaseOutcome::Either { actual } => CaseOutcome::Either { actual: c(actual) },
        other => other,
    }
}

/// Opens a connection and shakes hands.
fn open(connector: &dyn Connector, seq: &AtomicU64) -> Result<(Box<dyn Transport>, Hello), CallError> {
    let mut t = connector.connect()?;
    let hello = Request::Hello {
        seq: seq.fetch_add(1, Ordering::SeqCst),
        protocol: ivconform_protocol::PROTOCOL.into(),
        suite_version: ivconform_vectors::SUITE_VERSION.into(),
    };
    let answer = t.call(&hello).and_then(|exchange| match exchange {
        Exchange { response: Response::Hello { hello, .. }, .. } => Ok(hello),
        Exchange { raw, .. } => {
            Err(CallError::Protocol(format!("hello was answered with {}", crate::transport::preview(&raw))))
        }
    });
    match answer {
        Ok(hello) => match &hello.protocol {
            Some(p) if p != ivconform_protocol::PROTOCOL => Err(CallError::Unreachable(format!(
                "it speaks protocol {}, but this harness speaks {} (docs/PROTOCOL.md): nothing was run",
                crate::sanitize::iut_text(p),
                ivconform_protocol::PROTOCOL
            ))),
            _ => Ok((t, hello)),
        },
        Err(e) => {
            // What the IUT said on its way out usually explains a failed start (a missing symbol, a bad ABI).
            std::thread::sleep(std::time::Duration::from_millis(50));
            let said = last_line(&t.take_stderr());
            Err(if said.is_empty() { e } else { CallError::Unreachable(format!("{e}; it said: {said}")) })
        }
    }
}

/// Runs `cases` (all already selected) and grades them.
pub fn run(
    connector: &dyn Connector,
    cases: &[PlannedCase],
    scanner: &Scanner,
    expectations: &Expectations,
    options: &RunOptions,
) -> Result<RunResult, StartError> {
    let start = Instant::now();
    let started_at = std::time::SystemTime::now();
    let seq = AtomicU64::new(1);
    let (first, mut hello) = open(connector, &seq)
        .map_err(|e| StartError(format!("{}: {}", connector.describe(), clean(scanner, &e.to_string()))))?;
    for field in [&mut hello.name, &mut hello.version, &mut hello.language] {
        *field = clean(scanner, field);
    }
    if let Some(p) = hello.protocol.as_mut() {
        *p = clean(scanner, p);
    }
    if let Some(note) = hello.limits.as_mut().and_then(|l| l.note.as_mut()) {
        *note = clean(scanner, note);
    }
    let startup = start.elapsed();
    let shared = Shared {
        cases,
        next: AtomicUsize::new(0),
        seq,
        results: Mutex::new(vec![None; cases.len()]),
        findings: Mutex::new(Vec::new()),
        restarts: AtomicUsize::new(0),
        finished: Mutex::new(None),
        claimed: hello.capabilities.clone(),
        limits: hello.limits.clone(),
        scanner,
        expectations,
        deadline: options.run_timeout.map(|d| start + d),
        options,
        bad: AtomicUsize::new(0),
        returned: Mutex::new(Vec::new()),
        sent: SentValues::of(cases),
        stderr_log: Mutex::new(Vec::new()),
    };
    let jobs = options.jobs.max(1).min(cases.len().max(1));
    std::thread::scope(|scope| {
        let shared = &shared;
        let mut first = Some(first);
        for _ in 0..jobs {
            let conn = first.take();
            scope.spawn(move || worker(connector, shared, conn));
        }
    });
    let results = shared
        .results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every case gets a result"))
        .collect();
    let finished = shared.finished.lock().unwrap_or_else(|e| e.into_inner()).unwrap_or_else(Instant::now);
    let mut findings = shared.findings.into_inner().unwrap_or_else(|e| e.into_inner());
    findings.sort();
    findings.dedup();
    let log = shared.stderr_log.into_inner().unwrap_or_else(|e| e.into_inner());
    let stderr_tail = clean_lines(scanner, &String::from_utf8_lossy(&log));
    Ok(RunResult {
        hello,
        results,
        findings,
        wall: finished.duration_since(start),
        restarts: shared.restarts.load(Ordering::SeqCst),
        startup,
        started_at,
        stderr_tail,
    })
}

fn worker(connector: &dyn Connector, shared: &Shared<'_>, conn: Option<Box<dyn Transport>>) {
    let mut w = Worker {
        connected_before: conn.is_some(),
        conn,
        failed_restarts: 0,
        seqs: std::collections::HashMap::new(),
        stderr_tail: Vec::new(),
        fastest: None,
        typical: None,
    };
    loop {
        let index = shared.next.fetch_add(1, Ordering::SeqCst);
        let Some(case) = shared.cases.get(index) else { break };
        let (outcome, duration) = run_one(connector, shared, index, &mut w);
        let outcome = apply_expectations(shared.expectations, case, outcome);
        if outcome.is_bad() {
            shared.bad.fetch_add(1, Ordering::SeqCst);
        }
        if let Some(cb) = &shared.options.on_case {
            cb(case, &outcome);
        }
        store(shared, index, outcome, duration);
    }
    {
        let mut finished = shared.finished.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        *finished = Some(finished.map_or(now, |f| f.max(now)));
    }
    if let Some(mut c) = w.conn.take() {
        c.close();
        after_call(shared, &mut w, c.as_mut(), None);
    }
}

fn store(shared: &Shared<'_>, index: usize, outcome: CaseOutcome, duration: Duration) {
    shared.results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(CaseResult { index, outcome, duration });
}

/// After every call (and after closing): stderr scanned by content, and output nobody asked for blamed on
/// the case that caused it. Output that followed the `current` case (whose result is not stored yet) is
/// returned, shown, for the caller to apply.
fn after_call(shared: &Shared<'_>, w: &mut Worker, t: &mut dyn Transport, current: Option<usize>) -> Option<String> {
    let mut current_extra: Option<String> = None;
    let stderr = t.take_stderr();
    if !stderr.is_empty() {
        keep_stderr(shared, &stderr);
        let mut chunk = std::mem::take(&mut w.stderr_tail);
        chunk.extend_from_slice(stderr.as_bytes());
        let returned = shared.returned.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let found = shared.scanner.scan_stderr(&chunk, &shared.sent, &returned);
        if !found.is_empty() {
            shared.findings.lock().unwrap_or_else(|e| e.into_inner()).extend(found);
        }
        w.stderr_tail = chunk[chunk.len().saturating_sub(STDERR_OVERLAP)..].to_vec();
    }
    for extra in t.take_unsolicited() {
        let Some(&index) = w.seqs.get(&extra.after_seq) else { continue };
        let case = &shared.cases[index];
        let found = shared.scanner.scan(case, "response", &extra.bytes, &[]);
        if !found.is_empty() {
            shared.findings.lock().unwrap_or_else(|e| e.into_inner()).extend(found);
        }
        if Some(index) == current {
            let shown = clean(shared.scanner, &String::from_utf8_lossy(&extra.bytes));
            current_extra = Some(match current_extra {
                Some(before) => format!("{before} / {shown}"),
                None => shown,
            });
            continue;
        }
        let mut results = shared.results.lock().unwrap_or_else(|e| e.into_inner());
        let Some(result) = results[index].as_mut() else { continue };
        if matches!(result.outcome, CaseOutcome::Pass | CaseOutcome::Fail { .. } | CaseOutcome::UnexpectedPass { .. }) {
            let shown = clean(shared.scanner, &String::from_utf8_lossy(&extra.bytes));
            let error = CaseOutcome::Error {
                reason: format!("after its answer the implementation sent output no request asked for: {shown}"),
            };
            let was_bad = result.outcome.is_bad();
            result.outcome = apply_expectations(shared.expectations, case, error);
            if result.outcome.is_bad() && !was_bad {
                shared.bad.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    current_extra
}

fn run_one(connector: &dyn Connector, shared: &Shared<'_>, index: usize, w: &mut Worker) -> (CaseOutcome, Duration) {
    let case = &shared.cases[index];
    if !shared.claimed.contains(&case.capability) {
        return (
            CaseOutcome::Skipped {
                reason: format!("the implementation does not claim '{}'", case.capability.as_str()),
            },
            Duration::ZERO,
        );
    }
    if let Some(limits) = &shared.limits {
        if let Some(reason) = crate::suite::limits::not_applicable(case, limits) {
            return (CaseOutcome::NotApplicable { declaration: limits.describe(), reason }, Duration::ZERO);
        }
    }
    if shared.deadline.is_some_and(|d| Instant::now() >= d) {
        return (
            CaseOutcome::Timeout { reason: "the whole-run timeout passed before this case started".into() },
            Duration::ZERO,
        );
    }
    if let Some(max) = shared.options.max_failures {
        let bad = shared.bad.load(Ordering::SeqCst);
        if bad >= max {
            return (
                CaseOutcome::Skipped {
                    reason: format!(
                        "not run: the run stopped after {bad} nonconformant case(s) (--max-failures {max})"
                    ),
                },
                Duration::ZERO,
            );
        }
    }
    if w.conn.is_none() {
        if w.failed_restarts >= 3 {
            return (
                CaseOutcome::Crash { reason: "the implementation could not be restarted (3 attempts failed)".into() },
                Duration::ZERO,
            );
        }
        if w.connected_before {
            shared.restarts.fetch_add(1, Ordering::SeqCst);
        }
        w.connected_before = true;
        match open(connector, &shared.seq) {
            Ok((t, _)) => {
                w.conn = Some(t);
                w.failed_restarts = 0;
            }
            Err(e) => {
                w.failed_restarts += 1;
                return (
                    CaseOutcome::Crash {
                        reason: clean(shared.scanner, &format!("could not restart the implementation: {e}")),
                    },
                    Duration::ZERO,
                );
            }
        }
    }
    let mut t = w.conn.take().expect("connected above");
    let seq = shared.seq.fetch_add(1, Ordering::SeqCst);
    w.seqs.insert(seq, index);
    let request = case.request.clone().with_seq(seq);
    let sent = Instant::now();
    let answer = t.call(&request);
    let duration = sent.elapsed();
    let received = t.take_received();
    let stderr = t.take_stderr();
    let mut findings = Vec::new();
    let outcome = match answer {
        Ok(exchange) => {
            let allowed: Vec<String> = match &exchange.response {
                Response::Sign { user_hash: Some(h), .. } => vec![h.clone()],
                Response::Hmac { tag_hex, .. } => vec![tag_hex.clone()],
                Response::SignJwt { token: Some(token), .. } => {
                    token.rsplit('.').next().map(str::to_string).into_iter().chain([token.clone()]).collect()
                }
                _ => vec![],
            };
            let raw = if received.is_empty() { exchange.raw.as_bytes().to_vec() } else { received };
            let refs: Vec<&str> = allowed.iter().map(String::as_str).collect();
            findings.extend(shared.scanner.scan(case, "response", &raw, &refs));
            shared.returned.lock().unwrap_or_else(|e| e.into_inner()).extend(allowed);
            // The per-case time bound (crate::slow): over every bound, asked again, then judged.
            let overhead = w.fastest.unwrap_or(Duration::ZERO);
            let (mut slow, mut keep) = (None, true);
            let typical = w.typical.unwrap_or(Duration::ZERO);
            // A worker's first answer is never judged: neither the transport's cost nor the machine's pace is
            // known yet (an IUT whose every answer takes 60 ms, a delayed-ACK stack say, is not slow).
            let reference =
                if t.call_time_is_work() && w.typical.is_some() && crate::slow::over_floor(duration, overhead) {
                    Some(crate::slow::reference_time(&case.request))
                } else {
                    None
                };
            if let Some(reference) = reference.filter(|r| crate::slow::judge(duration, overhead, typical, *r).is_some())
            {
                // Asked again (after a pause, so a burst of load can pass) while it stays over every bound.
                let mut fastest = duration;
                for _ in 0..crate::slow::RETRIES {
                    std::thread::sleep(fastest.min(crate::slow::PAUSE));
                    let again = shared.seq.fetch_add(1, Ordering::SeqCst);
                    w.seqs.insert(again, index);
                    let started = Instant::now();
                    let answer = t.call(&case.request.clone().with_seq(again));
                    let _ = t.take_received();
                    if answer.is_err() {
                        // Out of step: the next case gets a fresh connection.
                        t.close();
                        keep = false;
                        break;
                    }
                    fastest = fastest.min(started.elapsed());
                    if crate::slow::judge(fastest, overhead, typical, reference).is_none() {
                        break;
                    }
                }
                slow = crate::slow::judge(fastest, overhead, typical, reference);
            }
            w.fastest = Some(w.fastest.map_or(duration, |f| f.min(duration)));
            w.typical = Some(w.typical.map_or(duration, |t| (t * 7 + duration) / 8));
            if keep {
                w.conn = Some(t);
            }
            match grade(case, &exchange.response) {
                Grade::Pass | Grade::Either { .. } if slow.is_some() => {
                    CaseOutcome::Timeout { reason: slow.unwrap_or_default() }
                }
                Grade::Pass => CaseOutcome::Pass,
                Grade::Either { actual } => CaseOutcome::Either { actual },
                Grade::Fail { expected, actual, hint, rule } => CaseOutcome::Fail {
                    expected,
                    actual,
                    hint,
                    rule,
                    answer: Some(crate::values::actual(&exchange.response)),
                },
            }
        }
        Err(e) => {
            findings.extend(shared.scanner.scan(case, "response", &received, &[]));
            // After any failure the connection's state is unknown: the next case gets a fresh one.
            t.close();
            let with_stderr =
                |m: String| if stderr.trim().is_empty() { m } else { format!("{m}; stderr: {}", last_line(&stderr)) };
            let outcome = match e {
                CallError::Timeout(_) => CaseOutcome::Timeout { reason: e.to_string() },
                CallError::Crash(m) => CaseOutcome::Crash { reason: with_stderr(m) },
                CallError::Protocol(m) => CaseOutcome::Error { reason: m },
                CallError::Unreachable(m) => CaseOutcome::Crash { reason: with_stderr(m) },
            };
            let _ = after_call(shared, w, t.as_mut(), Some(index));
            outcome
        }
    };
    // The stderr read before the call's connection could be closed.
    if !stderr.is_empty() {
        keep_stderr(shared, &stderr);
        let mut chunk = std::mem::take(&mut w.stderr_tail);
        chunk.extend_from_slice(stderr.as_bytes());
        let returned = shared.returned.lock().unwrap_or_else(|e| e.into_inner()).clone();
        findings.extend(shared.scanner.scan_stderr(&chunk, &shared.sent, &returned));
        w.stderr_tail = chunk[chunk.len().saturating_sub(STDERR_OVERLAP)..].to_vec();
    }
    let mut outcome = outcome;
    if let Some(mut t) = w.conn.take() {
        if let Some(extra) = after_call(shared, w, t.as_mut(), Some(index)) {
            if matches!(outcome, CaseOutcome::Pass | CaseOutcome::Fail { .. }) {
                outcome = CaseOutcome::Error {
                    reason: format!("after its answer the implementation sent output no request asked for: {extra}"),
                };
            }
            // The connection is out of step: the next case gets a fresh one.
            t.close();
            let _ = after_call(shared, w, t.as_mut(), None);
        } else {
            w.conn = Some(t);
        }
    }
    if !findings.is_empty() {
        shared.findings.lock().unwrap_or_else(|e| e.into_inner()).extend(findings);
    }
    (clean_outcome(shared.scanner, outcome), duration)
}

/// IUT text of several lines made fit for a report: each line cleaned (secrets redacted, escapes), joined
/// with newlines, so a tail of stderr stays readable but can still start no line of its own.
fn clean_lines(scanner: &Scanner, text: &str) -> String {
    text.lines().map(|l| format!("| {}", clean(scanner, l))).collect::<Vec<_>>().join("\n")
}

fn last_line(text: &str) -> String {
    let line = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    line.chars().take(200).collect()
}

fn apply_expectations(expectations: &Expectations, case: &PlannedCase, outcome: CaseOutcome) -> CaseOutcome {
    let Some(entry) = expectations.lookup(&case.id) else { return outcome };
    let reason = match &entry.link {
        Some(link) => format!("{} ({link})", entry.reason),
        None => entry.reason.clone(),
    };
    match outcome {
        CaseOutcome::Pass => CaseOutcome::UnexpectedPass { reason },
        o if o.is_bad() => CaseOutcome::ExpectedFailure { failure: Box::new(o), reason },
        o => o,
    }
}

#[cfg(test)]
mod tests;
