//! ivconform's adapter protocol (`docs/PROTOCOL.md`): one JSON object per request and per response, carried
//! unchanged over stdio (JSON lines), HTTP (POST bodies) and the C ABI (`include/ivconform.h`).
//!
//! This crate holds the message types and [`reference::handle`], the reference implementation's answer to
//! each message. It does no I/O, so the stdio server, the HTTP server and the FFI library share it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod abi;
pub mod messages;
pub mod reference;
pub mod wire;

pub use messages::*;

/// The protocol's name and major version, sent in `hello`.
pub const PROTOCOL: &str = "ivconform/1";

/// Largest response the harness reads from an implementation (bytes); anything longer is a protocol error.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;
