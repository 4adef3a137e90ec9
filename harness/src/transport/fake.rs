//! An in-memory fake IUT for unit tests: a [`Connector`] whose connections answer through a closure, count
//! what happens to them, and hand back a scripted stderr. No process, no socket, no Python.

use super::{decode_response, CallError, Connector, Exchange, Transport};
use crate::leak::Scanner;
use crate::suite::plan::PlannedCase;
use ivconform_protocol::{reference, Capability, Hello, Request, Response};
use ivconform_vectors::Suite;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How a fake connection answers one request.
pub type Answer = Arc<dyn Fn(&Request) -> Result<Exchange, CallError> + Send + Sync>;

/// What a fake connection's `take_stderr` returns, given the last request it was sent.
pub type Stderr = Arc<dyn Fn(&Request) -> String + Send + Sync>;

/// Decides whether the `n`th `connect()` (1-based) succeeds.
pub type Gate = Arc<dyn Fn(usize) -> Result<(), CallError> + Send + Sync>;

/// What happened to the fake's connections, shared by all of them.
#[derive(Debug, Default)]
pub struct Counters {
    /// `connect()` calls, failed ones included.
    pub connects: AtomicUsize,
    /// `call()`s, the handshakes included.
    pub calls: AtomicUsize,
    /// `close()`s.
    pub closes: AtomicUsize,
    /// Every request seen, in arrival order (with the runner's seq).
    pub requests: Mutex<Vec<Request>>,
}

impl Counters {
    /// The number of `connect()` calls so far.
    pub fn connects(&self) -> usize {
        self.connects.load(Ordering::SeqCst)
    }

    /// The number of `call()`s so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// The number of `close()`s so far.
    pub fn closes(&self) -> usize {
        self.closes.load(Ordering::SeqCst)
    }

    /// A copy of every request seen.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

/// A scripted IUT.
#[derive(Clone)]
pub struct FakeConnector {
    answer: Answer,
    stderr: Option<Stderr>,
    gate: Option<Gate>,
    /// Shared with every connection this connector opens.
    pub counters: Arc<Counters>,
}

impl FakeConnector {
    /// A fake answering through `answer`.
    pub fn new(answer: impl Fn(&Request) -> Result<Exchange, CallError> + Send + Sync + 'static) -> Self {
        FakeConnector { answer: Arc::new(answer), stderr: None, gate: None, counters: Arc::default() }
    }

    /// A correct IUT: the bundled reference answers everything.
    pub fn reference() -> Self {
        Self::new(reference_answer)
    }

    /// Makes `take_stderr` return `stderr(last request)` (an empty string before any request).
    pub fn with_stderr(mut self, stderr: impl Fn(&Request) -> String + Send + Sync + 'static) -> Self {
        self.stderr = Some(Arc::new(stderr));
        self
    }

    /// Makes this fake count into `counters` (so an answer closure can look at them).
    pub fn with_counters(mut self, counters: Arc<Counters>) -> Self {
        self.counters = counters;
        self
    }

    /// Makes the `n`th `connect()` (1-based) fail when `gate(n)` says so.
    pub fn with_gate(mut self, gate: impl Fn(usize) -> Result<(), CallError> + Send + Sync + 'static) -> Self {
        self.gate = Some(Arc::new(gate));
        self
    }
}

/// Encodes `response` as an IUT would and decodes it as the real transports do (size cap, `seq`, type checks).
pub fn reply(request: &Request, response: Response) -> Result<Exchange, CallError> {
    let raw = serde_json::to_vec(&response).expect("responses serialise");
    decode_response(request, &raw)
}

/// The reference's answer, through [`reply`].
pub fn reference_answer(request: &Request) -> Result<Exchange, CallError> {
    reply(request, reference::handle(request))
}

/// An exchange carrying `raw` verbatim as its text (for leaks hidden in fields the protocol ignores).
pub fn reply_raw(response: Response, raw: impl Into<String>) -> Result<Exchange, CallError> {
    Ok(Exchange { response, raw: raw.into() })
}

/// The reference's `hello` with only `capabilities` claimed.
pub fn hello_claiming(seq: u64, capabilities: &[Capability]) -> Response {
    let mut hello: Hello = reference::hello();
    hello.capabilities = capabilities.to_vec();
    Response::Hello { seq, hello }
}

/// The committed golden vectors, loaded once per test binary.
pub fn suite() -> &'static Suite {
    crate::suite::plan::bundled_suite()
}

/// Every planned case of the committed vectors, in plan order.
pub fn planned() -> Vec<PlannedCase> {
    crate::suite::plan::bundled_plan()
}

/// The first `n` planned cases of each vector group (a small, varied plan), in plan order.
pub fn sample(n: usize) -> Vec<PlannedCase> {
    let mut seen = std::collections::HashMap::new();
    planned()
        .into_iter()
        .filter(|c| {
            let k = seen.entry(c.group).or_insert(0);
            *k += 1;
            *k <= n
        })
        .collect()
}

/// A scanner knowing every expected hash of the committed vectors, as `ivconform run` builds it.
pub fn scanner() -> Scanner {
    crate::leak::bundled_scanner()
}

/// True when `request` (with the runner's seq) is the request planned for `case`.
pub fn is_case(case: &PlannedCase, request: &Request) -> bool {
    request.clone().with_seq(0) == case.request
}

/// The reference's answers with every `user_hash` upper-cased (an S1 bug).
pub fn uppercase_user_hash(request: &Request) -> Result<Exchange, CallError> {
    match reference::handle(request) {
        Response::Sign { seq, user_hash: Some(h), identifier_source, identifier_hex, error } => reply(
            request,
            Response::Sign { seq, user_hash: Some(h.to_ascii_uppercase()), identifier_source, identifier_hex, error },
        ),
        other => reply(request, other),
    }
}

struct FakeConn {
    answer: Answer,
    stderr: Option<Stderr>,
    counters: Arc<Counters>,
    last: Option<Request>,
}

impl Transport for FakeConn {
    fn call(&mut self, request: &Request) -> Result<Exchange, CallError> {
        self.counters.calls.fetch_add(1, Ordering::SeqCst);
        self.counters.requests.lock().unwrap().push(request.clone());
        self.last = Some(request.clone());
        (self.answer)(request)
    }

    fn take_stderr(&mut self) -> String {
        match (&self.stderr, &self.last) {
            (Some(f), Some(r)) => f(r),
            _ => String::new(),
        }
    }

    fn close(&mut self) {
        self.counters.closes.fetch_add(1, Ordering::SeqCst);
    }
}

impl Connector for FakeConnector {
    fn connect(&self) -> Result<Box<dyn Transport>, CallError> {
        let n = self.counters.connects.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(gate) = &self.gate {
            gate(n)?;
        }
        Ok(Box::new(FakeConn {
            answer: self.answer.clone(),
            stderr: self.stderr.clone(),
            counters: self.counters.clone(),
            last: None,
        }))
    }

    fn describe(&self) -> String {
        "fake: in-memory test IUT".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fake counts connections and calls, closes, remembers requests and scripts stderr per request.
    #[test]
    fn fake_counts_and_scripts() {
        let fake = FakeConnector::reference().with_stderr(|r| format!("saw {}", r.kind()));
        let mut t = fake.connect().unwrap();
        assert_eq!(t.take_stderr(), "", "no request yet");
        let hello = Request::Hello { seq: 7, protocol: "ivconform/1".into(), suite_version: "x".into() };
        let ex = t.call(&hello).unwrap();
        assert!(matches!(ex.response, Response::Hello { seq: 7, .. }));
        assert!(ex.raw.contains("\"type\":\"hello\""), "{}", ex.raw);
        assert_eq!(t.take_stderr(), "saw hello");
        t.close();
        let _second = fake.connect().unwrap();
        assert_eq!((fake.counters.connects(), fake.counters.calls(), fake.counters.closes()), (2, 1, 1));
        assert_eq!(fake.counters.requests(), vec![hello]);
        // `reply` applies the real decoding: a wrong seq is a protocol error.
        let bye = Request::Bye { seq: 3 };
        assert!(matches!(reply(&bye, Response::Bye { seq: 4 }), Err(CallError::Protocol(_))));
        let gated =
            FakeConnector::reference()
                .with_gate(|n| if n > 1 { Err(CallError::Unreachable("no".into())) } else { Ok(()) });
        assert!(gated.connect().is_ok());
        assert_eq!(gated.connect().err(), Some(CallError::Unreachable("no".into())));
    }
}
