//! Serving the reference as an implementation under test: over stdio (JSON lines) and HTTP.

pub mod diagnose_page;
pub mod ffi_host;
pub mod http;
pub mod stdio;

/// Largest request a server reads (bytes): the largest vector payload, hex-encoded, plus its configuration.
pub const MAX_REQUEST_BYTES: usize = 8 << 20;
