//! Drives proptest's `TestRunner` over a transport: one connection, probes graded like `run` grades cases,
//! deterministic by seed, failures shrunk so the report shows the smallest probe that fails the same way.
//!
//! The test closure, not proptest, keeps the limits: proptest shrinks only through candidates the closure
//! calls failing, so a candidate that fails with another [`Kind`] is called passing, and once a shrink's
//! time or the run's is spent, or the implementation stalls (timeout, crash, failed restart), every further
//! candidate is called passing without being sent, which ends the shrink at once. proptest's own
//! `max_shrink_time` only backs this up: it is checked between candidates, cannot stop on a stall and
//! reports on stderr in terms of its environment variables.

use super::properties::{probes, Input, Property};
use super::Probe;
use crate::disagreement::{Disagreement, Kind, ShrinkEnd, ShrinkLimits, ShrinkReport};
use ivconform_harness::suite::grade::{grade, Grade};
use ivconform_harness::transport::{CallError, Connector, Exchange, Transport};
use ivconform_protocol::{Capability, Hello, Request, Response};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

/// How a property ended.
#[derive(Debug)]
pub enum PropertyResult {
    /// Every case run held.
    Pass {
        /// Cases run.
        cases: u32,
        /// Cases asked for: more than `cases` when the run's time budget ended the property early.
        planned: u32,
    },
    /// Not run: the IUT claims none of the capabilities it needs.
    Skipped {
        /// Why.
        reason: String,
    },
    /// A case failed; shrunk (within its limits) to the smallest input that fails the same way.
    Fail(Box<Failure>),
}

/// A shrunk failure, ready to print.
#[derive(Debug)]
pub struct Failure {
    /// What the first failing case said (before shrinking), or why proptest gave up.
    pub reason: String,
    /// The smallest failing probe found, of the kind the first failure had.
    pub probe: Option<Probe>,
    /// Its disagreement: what the reference expects, what the IUT answered, a hint (from the grader).
    pub detail: Option<Disagreement>,
    /// For metamorphic properties: what the input went through.
    pub change: Option<String>,
    /// How the shrink went: how long, how many checks, whether it was cut short and why.
    pub shrink: Option<ShrinkReport>,
    /// Set when the smallest probe, asked once more, was not answered the same way (not deterministic).
    pub unstable: Option<String>,
}

/// How much one property may do: its cases, and the limits of the run and of a shrink.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Random inputs to generate (one input is one or more requests).
    pub cases: u32,
    /// Most shrink candidates tried per failure.
    pub shrink_checks: u32,
    /// Most time spent shrinking one failure.
    pub shrink_time: Duration,
    /// Nothing is sent after this instant (the whole run's budget); a shrink in progress ends there too.
    pub deadline: Instant,
    /// What set `deadline`, for reports (`--duration 600 s`).
    pub deadline_by: String,
}

/// One connection to the IUT, reopened after any failure, numbering requests as it sends them.
pub struct Session<'a> {
    connector: &'a dyn Connector,
    conn: RefCell<Option<Box<dyn Transport>>>,
    seq: Cell<u64>,
    /// The IUT's hello.
    pub hello: Hello,
}

fn shake_hands(t: &mut dyn Transport, seq: u64) -> Result<Hello, CallError> {
    let hello = Request::Hello {
        seq,
        protocol: ivconform_protocol::PROTOCOL.into(),
        suite_version: ivconform_vectors::SUITE_VERSION.into(),
    };
    match t.call(&hello)? {
        Exchange { response: Response::Hello { hello, .. }, .. } => Ok(hello),
        Exchange { raw, .. } => {
            Err(CallError::Protocol(format!("hello was answered with {}", ivconform_harness::transport::preview(&raw))))
        }
    }
}

impl<'a> Session<'a> {
    /// Connects and shakes hands; an error means the IUT could not be started or reached.
    pub fn open(connector: &'a dyn Connector) -> Result<Self, String> {
        let mut t = connector.connect().map_err(|e| e.to_string())?;
        let hello = match shake_hands(t.as_mut(), 1) {
            Ok(h) => h,
            Err(e) => {
                std::thread::sleep(std::time::Duration::from_millis(50));
                let said = t.take_stderr();
                let said = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().to_string();
                return Err(if said.is_empty() { e.to_string() } else { format!("{e}; it said: {said}") });
            }
        };
        Ok(Session { connector, conn: RefCell::new(Some(t)), seq: Cell::new(2), hello })
    }

    fn next_seq(&self) -> u64 {
        let s = self.seq.get();
        self.seq.set(s + 1);
        s
    }

    /// Sends the probe's request; the disagreement when the answer is not the reference's, its text safe to
    /// print: the probe's secrets redacted and control characters escaped.
    pub fn ask(&self, probe: &Probe) -> Result<(), Box<Disagreement>> {
        self.ask_raw(probe).map_err(|d| shown(probe, d))
    }

    fn ask_raw(&self, probe: &Probe) -> Result<(), Box<Disagreement>> {
        let mut slot = self.conn.borrow_mut();
        if slot.is_none() {
            let mut t = self.connector.connect().map_err(|e| reconnect_failed(probe, &e))?;
            shake_hands(t.as_mut(), self.next_seq()).map_err(|e| reconnect_failed(probe, &e))?;
            *slot = Some(t);
        }
        let t = slot.as_mut().expect("connected above");
        let request = probe.case.request.clone().with_seq(self.next_seq());
        match t.call(&request) {
            Ok(exchange) => match grade(&probe.case, &exchange.response) {
                Grade::Fail { expected, actual, hint, .. } => Err(Box::new(Disagreement::answered(
                    &probe.case.expect,
                    &exchange.response,
                    expected,
                    actual,
                    hint,
                ))),
                // A pass, or one of the answers a rule leaves to the implementation (J2's leeway window).
                _ => Ok(()),
            },
            Err(e) => {
                if let Some(mut broken) = slot.take() {
                    broken.close();
                }
                Err(Box::new(Disagreement::no_answer(
                    &probe.case.expect,
                    expected_of(probe),
                    &e,
                    "the implementation must answer every request".into(),
                )))
            }
        }
    }

    /// Says goodbye.
    pub fn close(&self) {
        if let Some(mut t) = self.conn.borrow_mut().take() {
            t.close();
        }
    }
}

/// A disagreement as it may be printed: what the implementation sent (in `actual`, the hint and the stall)
/// with the probe's secrets replaced by `<secret of case ID>` and control characters escaped, so an IUT can
/// neither reprint a secret nor write lines of its own into the log. The kind is left as classified.
fn shown(probe: &Probe, mut d: Box<Disagreement>) -> Box<Disagreement> {
    let scanner = ivconform_harness::leak::Scanner::new(std::slice::from_ref(&probe.case), Vec::new());
    let clean = |text: &str| ivconform_harness::sanitize::iut_text(&scanner.redact(text));
    d.actual = clean(&d.actual);
    d.hint = clean(&d.hint);
    d.stalled = d.stalled.as_deref().map(clean);
    d
}

fn expected_of(probe: &Probe) -> String {
    match &probe.case.expect {
        ivconform_harness::suite::plan::Expect::Verify(v) => ivconform_harness::suite::grade::verify_text(v),
        ivconform_harness::suite::plan::Expect::Sign(ivconform_vectors::SignExpected::Hash { user_hash, .. }) => {
            format!("user_hash {user_hash}")
        }
        ivconform_harness::suite::plan::Expect::Sign(ivconform_vectors::SignExpected::Error { error }) => {
            format!("error {error}")
        }
        other => format!("{other:?}"),
    }
}

fn reconnect_failed(probe: &Probe, e: &CallError) -> Box<Disagreement> {
    // Whatever went wrong while restarting, the implementation is not answering: a stall, never an answer.
    let e = match e {
        CallError::Protocol(m) => CallError::Unreachable(m.clone()),
        other => other.clone(),
    };
    Box::new(Disagreement::no_answer(&probe.case.expect, expected_of(probe), &e, "it stopped answering".into()))
}

/// proptest's seed for a property: 32 bytes derived from the run's seed and the property's name, so a
/// property replays the same cases whether it runs alone or with the others.
pub fn property_seed(seed: u64, property: &str) -> [u8; 32] {
    let mut key = b"ivconform props seed ".to_vec();
    key.extend_from_slice(&seed.to_be_bytes());
    ivconform_core::mac::hmac_sha256(&key, property.as_bytes())
}

/// What asking one input's probes came to.
enum Asked {
    /// Every probe was answered as the reference answers.
    Held,
    /// The probe at this position disagreed (`None`: the reference's own decision changed, an ivconform bug).
    Failed(Box<(usize, Option<Probe>, Disagreement)>),
    /// The deadline came before every probe was asked.
    Late,
}

/// The kind of the reference contradicting itself across a metamorphic pair.
fn reference_bug(change: &str) -> Disagreement {
    let text = format!("ivconform bug: the reference's own decision changed after {change}");
    Disagreement {
        expected: "the same decision before and after the change".into(),
        actual: text.clone(),
        hint: text,
        kind: Kind { expected: "the reference decides alike".into(), actual: "the reference decided otherwise".into() },
        stalled: None,
    }
}

/// Asks an input's probes in turn, stopping at the first disagreement or at `deadline`.
fn ask_all(session: &Session<'_>, property: &Property, input: &Input, deadline: Instant) -> Asked {
    let probes = probes(property.name, input, &session.hello.capabilities);
    if let (Input::Pair { change, .. }, [before, after]) = (input, probes.as_slice()) {
        if before.case.expect != after.case.expect {
            return Asked::Failed(Box::new((usize::MAX, None, reference_bug(change))));
        }
    }
    for (i, probe) in probes.into_iter().enumerate() {
        if Instant::now() >= deadline {
            return Asked::Late;
        }
        if let Err(d) = session.ask(&probe) {
            return Asked::Failed(Box::new((i, Some(probe), *d)));
        }
    }
    Asked::Held
}

/// A shrink in progress: the kind it keeps, its limits, what it has spent, and why it ended (once it has).
struct Shrink {
    /// The failing probe's position among its input's probes, and the disagreement's kind.
    kind: (usize, Kind),
    limits: ShrinkLimits,
    started: Instant,
    /// Calls proptest made (equal to `checks` until the shrink ends).
    calls: u32,
    checks: u32,
    other_kinds: u32,
    end: Option<ShrinkEnd>,
}

/// The state the test closure keeps across proptest's calls.
#[derive(Default)]
struct State {
    /// Inputs asked in full before the first failure.
    cases: u32,
    /// The first failure's text (proptest's reason).
    first: Option<String>,
    /// The smallest failing input found so far, its failing probe and disagreement.
    smallest: Option<(Input, Option<Probe>, Disagreement)>,
    shrink: Option<Shrink>,
}

/// Runs one property: up to `budget.cases` random inputs, each input's probes asked in turn, until the first
/// failure, which is shrunk within the budget's limits, through candidates that fail the same way only.
pub fn run_property(session: &Session<'_>, property: &Property, seed: u64, budget: &Budget) -> PropertyResult {
    let claimed = &session.hello.capabilities;
    if !property.needs.iter().any(|c| claimed.contains(c)) {
        let needs: Vec<&str> = property.needs.iter().map(|c: &Capability| c.as_str()).collect();
        return PropertyResult::Skipped { reason: format!("the implementation claims none of: {}", needs.join(", ")) };
    }
    // Backstops only (see the module doc): the closure stops the shrink at its own deadline and check count,
    // so proptest's limits (which report on stderr in terms of its environment variables) are never reached.
    let backstop_ms = budget.shrink_time.as_millis().saturating_add(5_000).min(u128::from(u32::MAX)) as u32;
    let backstop_iters = budget.shrink_checks.saturating_mul(4).saturating_add(4096);
    let config = Config {
        cases: budget.cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        max_shrink_iters: backstop_iters,
        max_shrink_time: backstop_ms,
        max_local_rejects: 65_536,
        max_global_rejects: 65_536,
        fork: false,
        timeout: 0,
        verbose: 0,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &property_seed(seed, property.name));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let state = RefCell::new(State::default());
    let result = runner.run(&(property.strategy)(), |input| {
        let mut st = state.borrow_mut();
        let Some(shrink) = st.shrink.as_mut() else {
            // Looking for a first failure, until the run's deadline.
            if Instant::now() >= budget.deadline {
                return Ok(());
            }
            return match ask_all(session, property, &input, budget.deadline) {
                Asked::Held => {
                    st.cases += 1;
                    Ok(())
                }
                Asked::Late => Ok(()),
                Asked::Failed(failed) => {
                    let (i, probe, d) = *failed;
                    let why = match &probe {
                        Some(p) => format!("{}: expected {}, got {}", p.case.comment, d.expected, d.actual),
                        None => d.actual.clone(),
                    };
                    st.first = Some(why.clone());
                    st.shrink = Some(Shrink {
                        kind: (i, d.kind.clone()),
                        limits: ShrinkLimits::starting_now(
                            budget.shrink_checks,
                            budget.shrink_time,
                            budget.deadline,
                            &budget.deadline_by,
                        ),
                        started: Instant::now(),
                        calls: 0,
                        checks: 0,
                        other_kinds: 0,
                        // A stall cannot shrink: a smaller input failing the same way would stall too.
                        end: d.stalled.clone().map(ShrinkEnd::NotTried),
                    });
                    st.smallest = Some((input, probe, d));
                    Err(TestCaseError::fail(why))
                }
            };
        };
        // Shrinking: a candidate counts as failing only when it fails the same way, and only while allowed.
        shrink.calls += 1;
        if shrink.end.is_some() {
            return Ok(());
        }
        if shrink.checks >= shrink.limits.checks {
            shrink.end = Some(ShrinkEnd::OutOfChecks(shrink.limits.checks));
            return Ok(());
        }
        if Instant::now() >= shrink.limits.deadline {
            shrink.end = Some(ShrinkEnd::OutOfTime(shrink.limits.deadline_by.clone()));
            return Ok(());
        }
        shrink.checks += 1;
        match ask_all(session, property, &input, shrink.limits.deadline) {
            Asked::Held => Ok(()),
            Asked::Late => {
                shrink.end = Some(ShrinkEnd::OutOfTime(shrink.limits.deadline_by.clone()));
                Ok(())
            }
            Asked::Failed(failed) => {
                let (i, probe, d) = *failed;
                if let Some(stall) = d.stalled {
                    shrink.end = Some(ShrinkEnd::Stalled(stall));
                    Ok(())
                } else if (i, &d.kind) == (shrink.kind.0, &shrink.kind.1) {
                    let why = d.actual.clone();
                    st.smallest = Some((input, probe, d));
                    Err(TestCaseError::fail(why))
                } else {
                    shrink.other_kinds += 1;
                    Ok(())
                }
            }
        }
    });
    let st = state.into_inner();
    match result {
        Ok(()) => PropertyResult::Pass { cases: st.cases, planned: budget.cases },
        Err(TestError::Abort(why)) => PropertyResult::Fail(Box::new(Failure {
            reason: format!("proptest gave up: {why}"),
            probe: None,
            detail: None,
            change: None,
            shrink: None,
            unstable: None,
        })),
        Err(TestError::Fail(why, _)) => {
            let (Some((input, probe, detail)), Some(shrink)) = (st.smallest, st.shrink) else {
                unreachable!("a failure is recorded before proptest is told of it")
            };
            // proptest stops calling when no candidate is left, or (never in practice) at its backstops.
            let end = shrink.end.unwrap_or(if shrink.calls >= backstop_iters {
                ShrinkEnd::OutOfChecks(backstop_iters)
            } else {
                ShrinkEnd::Finished
            });
            let report = ShrinkReport {
                took: shrink.started.elapsed(),
                checks: shrink.checks,
                other_kinds: shrink.other_kinds,
                end,
            };
            // Asked once more, when there is time and the implementation has not stalled: a vector is worth
            // pasting only if the implementation fails it every time.
            let unstable = match &probe {
                Some(p)
                    if !matches!(report.end, ShrinkEnd::Stalled(_) | ShrinkEnd::NotTried(_))
                        && Instant::now() < budget.deadline =>
                {
                    match session.ask(p) {
                        Ok(()) => Some("asked again, it answered as the reference does".to_string()),
                        Err(again) if again.kind != detail.kind => {
                            Some(format!("asked again, it answered {}", again.actual))
                        }
                        Err(_) => None,
                    }
                }
                _ => None,
            };
            let change = match &input {
                Input::Pair { change, .. } => Some(change.clone()),
                _ => None,
            };
            PropertyResult::Fail(Box::new(Failure {
                reason: st.first.unwrap_or_else(|| why.to_string()),
                probe,
                detail: Some(detail),
                change,
                shrink: Some(report),
                unstable,
            }))
        }
    }
}
