//! Runs planned cases against an IUT through a [`Connector`]: one connection per worker, a fresh connection
//! after any crash, timeout or protocol error, capabilities from `hello`, per-case and whole-run deadlines.

use crate::leak::{LeakFinding, Scanner};
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
    /// Wrong answer.
    Fail {
        /// What a conforming implementation answers.
        expected: String,
        /// What this one answered.
        actual: String,
        /// The likely mistake.
        hint: String,
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
            CaseOutcome::Fail { .. } => "fail",
            CaseOutcome::Error { .. } => "error",
            CaseOutcome::Crash { .. } => "crash",
            CaseOutcome::Timeout { .. } => "timeout",
            CaseOutcome::Skipped { .. } => "skipped",
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
}

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
    scanner: &'a Scanner,
    expectations: &'a Expectations,
    deadline: Option<Instant>,
    options: &'a RunOptions,
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
        Ok(hello) => Ok((t, hello)),
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
    let seq = AtomicU64::new(1);
    let (first, hello) = open(connector, &seq).map_err(|e| StartError(format!("{}: {e}", connector.describe())))?;
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
        scanner,
        expectations,
        deadline: options.run_timeout.map(|d| start + d),
        options,
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
    findings.sort_by(|a, b| a.case.cmp(&b.case).then(a.what.cmp(&b.what)));
    Ok(RunResult {
        hello,
        results,
        findings,
        wall: finished.duration_since(start),
        restarts: shared.restarts.load(Ordering::SeqCst),
        startup,
    })
}

fn worker(connector: &dyn Connector, shared: &Shared<'_>, mut conn: Option<Box<dyn Transport>>) {
    let mut failed_restarts = 0;
    // A worker's first connection (every worker but the first opens its own) is not a restart.
    let mut connected_before = conn.is_some();
    loop {
        let index = shared.next.fetch_add(1, Ordering::SeqCst);
        let Some(case) = shared.cases.get(index) else { break };
        let (outcome, duration) =
            run_one(connector, shared, case, &mut conn, &mut failed_restarts, &mut connected_before);
        let outcome = apply_expectations(shared.expectations, case, outcome);
        if let Some(cb) = &shared.options.on_case {
            cb(case, &outcome);
        }
        shared.results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(CaseResult { index, outcome, duration });
    }
    {
        let mut finished = shared.finished.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        *finished = Some(finished.map_or(now, |f| f.max(now)));
    }
    if let Some(mut c) = conn {
        c.close();
    }
}

fn run_one(
    connector: &dyn Connector,
    shared: &Shared<'_>,
    case: &PlannedCase,
    conn: &mut Option<Box<dyn Transport>>,
    failed_restarts: &mut usize,
    connected_before: &mut bool,
) -> (CaseOutcome, Duration) {
    if !shared.claimed.contains(&case.capability) {
        return (
            CaseOutcome::Skipped {
                reason: format!("the implementation does not claim '{}'", case.capability.as_str()),
            },
            Duration::ZERO,
        );
    }
    if shared.deadline.is_some_and(|d| Instant::now() >= d) {
        return (
            CaseOutcome::Timeout { reason: "the whole-run timeout passed before this case started".into() },
            Duration::ZERO,
        );
    }
    if conn.is_none() {
        if *failed_restarts >= 3 {
            return (
                CaseOutcome::Crash { reason: "the implementation could not be restarted (3 attempts failed)".into() },
                Duration::ZERO,
            );
        }
        if *connected_before {
            shared.restarts.fetch_add(1, Ordering::SeqCst);
        }
        *connected_before = true;
        match open(connector, &shared.seq) {
            Ok((t, _)) => {
                *conn = Some(t);
                *failed_restarts = 0;
            }
            Err(e) => {
                *failed_restarts += 1;
                return (
                    CaseOutcome::Crash { reason: format!("could not restart the implementation: {e}") },
                    Duration::ZERO,
                );
            }
        }
    }
    let t = conn.as_mut().expect("connected above");
    let request = case.request.clone().with_seq(shared.seq.fetch_add(1, Ordering::SeqCst));
    let sent = Instant::now();
    let answer = t.call(&request);
    let duration = sent.elapsed();
    let stderr = t.take_stderr();
    let mut findings = shared.scanner.scan(case, "stderr", &stderr, &[]);
    let outcome = match answer {
        Ok(exchange) => {
            let allowed: Vec<&str> = match &exchange.response {
                Response::Sign { user_hash: Some(h), .. } => vec![h.as_str()],
                Response::Hmac { tag_hex, .. } => vec![tag_hex.as_str()],
                _ => vec![],
            };
            findings.extend(shared.scanner.scan(case, "response", &exchange.raw, &allowed));
            match grade(case, &exchange.response) {
                Grade::Pass => CaseOutcome::Pass,
                Grade::Fail { expected, actual, hint } => CaseOutcome::Fail { expected, actual, hint },
            }
        }
        Err(e) => {
            // After any failure the connection's state is unknown: the next case gets a fresh one.
            if let Some(mut broken) = conn.take() {
                broken.close();
            }
            let with_stderr =
                |m: String| if stderr.trim().is_empty() { m } else { format!("{m}; stderr: {}", last_line(&stderr)) };
            match e {
                CallError::Timeout(_) => CaseOutcome::Timeout { reason: e.to_string() },
                CallError::Crash(m) => CaseOutcome::Crash { reason: with_stderr(m) },
                CallError::Protocol(m) => CaseOutcome::Error { reason: m },
                CallError::Unreachable(m) => CaseOutcome::Crash { reason: with_stderr(m) },
            }
        }
    };
    if !findings.is_empty() {
        shared.findings.lock().unwrap_or_else(|e| e.into_inner()).extend(findings);
    }
    (outcome, duration)
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
