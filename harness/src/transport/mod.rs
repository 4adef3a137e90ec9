//! Transports carry protocol messages to an implementation under test (IUT) and bring its answers back.
//!
//! Each transport turns every way an IUT can misbehave into a [`CallError`] for the case that triggered it:
//! hanging (per-call timeout), crashing or exiting (the next call starts a fresh instance), answering garbage
//! or the wrong sequence number (protocol error), or answering too much (the read is capped at
//! [`ivconform_protocol::MAX_RESPONSE_BYTES`]). Nothing an IUT does may take the harness down.

pub mod exec;
#[cfg(test)]
pub mod fake;
pub mod ffi;
pub mod http;
pub mod inproc;
pub mod stdio;

use ivconform_protocol::{Request, Response};
use std::fmt;
use std::time::Duration;

/// How one call failed, kept apart so reports can say *crash* rather than just *failed*.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No answer within the per-case timeout.
    Timeout(Duration),
    /// The IUT died (signal, abort, segfault) or closed its end while the request was in flight.
    Crash(String),
    /// The answer broke the protocol: not JSON, wrong shape, wrong `seq`, or larger than the cap.
    Protocol(String),
    /// The IUT could not be started or reached at all.
    Unreachable(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Timeout(d) => write!(f, "no answer within {:.1} s", d.as_secs_f64()),
            CallError::Crash(m) => write!(f, "crashed: {m}"),
            CallError::Protocol(m) => write!(f, "protocol violation: {m}"),
            CallError::Unreachable(m) => write!(f, "unreachable: {m}"),
        }
    }
}

/// One connection to an IUT: sends a request, returns its answer (with the raw text, for the leak scan).
pub trait Transport: Send {
    /// Sends `request` and waits at most the transport's timeout for the matching response.
    fn call(&mut self, request: &Request) -> Result<Exchange, CallError>;

    /// Everything the IUT wrote to stderr since the last call to this method (bounded), for leak scans
    /// and crash reports. Transports without a stderr return an empty string.
    fn take_stderr(&mut self) -> String {
        String::new()
    }

    /// Every byte the IUT sent on the protocol channel during the last [`Transport::call`], whatever it was
    /// (the answer, garbage, an over-long line's first [`MAX_RECEIVED_BYTES`], an HTTP error body, lines
    /// answering earlier requests), so that the leak scan and the redaction of secrets see all of it.
    fn take_received(&mut self) -> Vec<u8> {
        Vec::new()
    }

    /// Output the IUT sent that no request asked for (a second answer, a stray line, bytes after an HTTP
    /// body), each with the seq of the request it followed, so the case that caused it is blamed, not the
    /// next one. Drained by this call.
    fn take_unsolicited(&mut self) -> Vec<Unsolicited> {
        Vec::new()
    }

    /// False when a call's time is mostly starting a process (a one-shot signer, `--sign-exec`), so it says
    /// nothing about the implementation's work: per-case time bounds do not apply to such a transport.
    fn call_time_is_work(&self) -> bool {
        true
    }

    /// Says goodbye and releases the IUT (sends `bye` where that makes sense). Errors are ignored.
    fn close(&mut self) {}
}

/// Most bytes kept of what the IUT sent during one call (for the leak scan): one more than the response cap.
pub const MAX_RECEIVED_BYTES: usize = ivconform_protocol::MAX_RESPONSE_BYTES + 1;

/// Output nobody asked for, and the request it came after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsolicited {
    /// The seq of the request this output followed (the case that caused it).
    pub after_seq: u64,
    /// The bytes (at most [`MAX_RECEIVED_BYTES`]).
    pub bytes: Vec<u8>,
}

/// A response with the exact text it arrived as.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The decoded response.
    pub response: Response,
    /// The raw response text (already bounded by the size cap).
    pub raw: String,
}

/// Opens connections: the runner asks for one per worker, and again after a crash.
pub trait Connector: Send + Sync {
    /// Opens a new connection (for stdio and FFI: starts a new child process).
    fn connect(&self) -> Result<Box<dyn Transport>, CallError>;

    /// A short description for reports, e.g. `stdio: python3 adapter.py`.
    fn describe(&self) -> String;
}

/// Decodes a response, checking its size and that it answers `request` (same `seq`, matching type).
pub fn decode_response(request: &Request, raw: &[u8]) -> Result<Exchange, CallError> {
    if raw.len() > ivconform_protocol::MAX_RESPONSE_BYTES {
        return Err(CallError::Protocol(format!(
            "response is {} bytes or more, over the {}-byte cap",
            raw.len(),
            ivconform_protocol::MAX_RESPONSE_BYTES
        )));
    }
    let text = std::str::from_utf8(raw).map_err(|e| CallError::Protocol(format!("response is not UTF-8: {e}")))?;
    let trimmed = text.trim_end_matches(['\n', '\r']);
    let response: Response = serde_json::from_str(trimmed)
        .map_err(|e| CallError::Protocol(format!("response is not a protocol message ({e}): {}", preview(trimmed))))?;
    if response.seq() != request.seq() {
        return Err(CallError::Protocol(format!(
            "response has seq {} but the request had seq {}",
            response.seq(),
            request.seq()
        )));
    }
    let matches = matches!(
        (request, &response),
        (Request::Hello { .. }, Response::Hello { .. })
            | (Request::Hmac { .. }, Response::Hmac { .. })
            | (Request::Sign { .. }, Response::Sign { .. })
            | (Request::Verify { .. }, Response::Verify { .. })
            | (Request::SignJwt { .. }, Response::SignJwt { .. })
            | (Request::Bye { .. }, Response::Bye { .. })
            | (_, Response::Error { .. })
    );
    if !matches {
        return Err(CallError::Protocol(format!(
            "a {} request was answered with: {}",
            request.kind(),
            preview(trimmed)
        )));
    }
    Ok(Exchange { response, raw: trimmed.to_string() })
}

/// The first 120 characters of a text, for error messages about garbage.
pub fn preview(text: &str) -> String {
    let mut p: String = text.chars().take(120).collect();
    if p.len() < text.len() {
        p.push('…');
    }
    format!("{p:?}")
}
