//! Drives proptest's `TestRunner` over a transport: one connection, probes graded like `run` grades cases,
//! deterministic by seed, failures shrunk and re-asked so the report shows the minimal failing probe.

use super::properties::{probes, Input, Property};
use super::Probe;
use ivconform_harness::suite::grade::{grade, Grade};
use ivconform_harness::transport::{CallError, Connector, Exchange, Transport};
use ivconform_protocol::{Capability, Hello, Request, Response};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::cell::{Cell, RefCell};

/// How a property ended.
#[derive(Debug)]
pub enum PropertyResult {
    /// Every case held.
    Pass {
        /// Cases run.
        cases: u32,
    },
    /// Not run: the IUT claims none of the capabilities it needs.
    Skipped {
        /// Why.
        reason: String,
    },
    /// A case failed; shrunk to the smallest failing input proptest found.
    Fail(Box<Failure>),
}

/// A shrunk failure, ready to print.
#[derive(Debug)]
pub struct Failure {
    /// What proptest said about the first failing case (before shrinking).
    pub reason: String,
    /// The minimal failing probe, when re-asking it failed again.
    pub probe: Option<Probe>,
    /// What the reference expects, what the IUT answered and a hint (from the grader).
    pub detail: Option<(String, String, String)>,
    /// For metamorphic properties: what the input went through.
    pub change: Option<String>,
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

    /// Sends the probe's request; `Err((expected, actual, hint))` when the answer is not the reference's.
    pub fn ask(&self, probe: &Probe) -> Result<(), (String, String, String)> {
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
                Grade::Pass => Ok(()),
                Grade::Fail { expected, actual, hint } => Err((expected, actual, hint)),
            },
            Err(e) => {
                if let Some(mut broken) = slot.take() {
                    broken.close();
                }
                Err((
                    expected_of(probe),
                    format!("no answer: {e}"),
                    "the implementation must answer every request".into(),
                ))
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

fn reconnect_failed(probe: &Probe, e: &CallError) -> (String, String, String) {
    (expected_of(probe), format!("could not restart the implementation: {e}"), "it stopped answering".into())
}

/// proptest's seed for a property: 32 bytes derived from the run's seed and the property's name, so a
/// property replays the same cases whether it runs alone or with the others.
pub fn property_seed(seed: u64, property: &str) -> [u8; 32] {
    let mut key = b"ivconform props seed ".to_vec();
    key.extend_from_slice(&seed.to_be_bytes());
    ivconform_core::mac::hmac_sha256(&key, property.as_bytes())
}

/// Runs one property: `cases` random inputs, each input's probes asked in turn.
pub fn run_property(
    session: &Session<'_>,
    property: &Property,
    seed: u64,
    cases: u32,
    shrink_iters: u32,
) -> PropertyResult {
    let claimed = &session.hello.capabilities;
    if !property.needs.iter().any(|c| claimed.contains(c)) {
        let needs: Vec<&str> = property.needs.iter().map(|c: &Capability| c.as_str()).collect();
        return PropertyResult::Skipped { reason: format!("the implementation claims none of: {}", needs.join(", ")) };
    }
    let config = Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        max_shrink_iters: shrink_iters,
        max_shrink_time: 0,
        max_local_rejects: 65_536,
        max_global_rejects: 65_536,
        fork: false,
        timeout: 0,
        verbose: 0,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &property_seed(seed, property.name));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&(property.strategy)(), |input| {
        let probes = probes(property.name, &input, claimed);
        if let (Input::Pair { change, .. }, [before, after]) = (&input, probes.as_slice()) {
            if before.case.expect != after.case.expect {
                return Err(TestCaseError::fail(format!(
                    "ivconform bug: the reference's own decision changed after {change}"
                )));
            }
        }
        for probe in probes {
            if let Err((expected, actual, _)) = session.ask(&probe) {
                return Err(TestCaseError::fail(format!("{}: expected {expected}, got {actual}", probe.case.comment)));
            }
        }
        Ok(())
    });
    match result {
        Ok(()) => PropertyResult::Pass { cases },
        Err(TestError::Abort(why)) => PropertyResult::Fail(Box::new(Failure {
            reason: format!("proptest gave up: {why}"),
            probe: None,
            detail: None,
            change: None,
        })),
        Err(TestError::Fail(why, minimal)) => {
            let change = match &minimal {
                Input::Pair { change, .. } => Some(change.clone()),
                _ => None,
            };
            let mut failure = Failure { reason: why.to_string(), probe: None, detail: None, change };
            for probe in probes(property.name, &minimal, claimed) {
                if let Err(detail) = session.ask(&probe) {
                    failure.probe = Some(probe);
                    failure.detail = Some(detail);
                    break;
                }
            }
            PropertyResult::Fail(Box::new(failure))
        }
    }
}
