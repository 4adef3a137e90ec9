//! The reference, called in-process: the fastest way to check the vectors and the yardstick for the others.

use super::{decode_response, CallError, Connector, Exchange, Transport};
use ivconform_protocol::{reference, Request};

/// Connects to the reference implementation linked into the harness.
pub struct InProcess;

struct Conn;

impl Transport for Conn {
    fn call(&mut self, request: &Request) -> Result<Exchange, CallError> {
        // Round-trip through JSON like every other transport, so the same decoding and checks apply.
        let text = serde_json::to_vec(request).expect("requests serialise");
        let parsed: Request = serde_json::from_slice(&text).map_err(|e| CallError::Protocol(e.to_string()))?;
        let raw = serde_json::to_vec(&reference::handle(&parsed)).expect("responses serialise");
        decode_response(request, &raw)
    }
}

impl Connector for InProcess {
    fn connect(&self) -> Result<Box<dyn Transport>, CallError> {
        Ok(Box::new(Conn))
    }

    fn describe(&self) -> String {
        "in-process: the bundled reference".into()
    }
}
