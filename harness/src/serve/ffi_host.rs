//! `ivconform ffi-host --lib PATH` (hidden): the disposable child that loads an IUT's shared library and
//! serves it as JSON lines on stdin/stdout, so the FFI transport is the stdio transport pointed at this child.
//! Whatever the library does — crash, abort, answer garbage — happens here, never in the harness.
//!
//! Answers are passed through raw ([`serve_raw_lines`]): the library's bytes reach the harness unchanged
//! (one line), so garbage, a wrong `seq` or an oversize answer is judged by the same code as over stdio and
//! quoted in the report. At most [`MAX_RESPONSE_BYTES`] + 1 bytes of an answer are copied: one more than the
//! cap is enough for the harness to call it oversize. When `ivc_call` fails (non-zero return, or success
//! without a buffer) the host writes a one-line note that is deliberately not JSON, so the case is a protocol
//! error naming the return code.

use super::stdio::serve_raw_lines;
use crate::abi::{protocol_stdout, AbiLibrary, CallAnswer};
use anyhow::{anyhow, Context};
use ivconform_protocol::abi::EntryPoints;
use ivconform_protocol::MAX_RESPONSE_BYTES;
use std::path::Path;

/// Loads `lib`, checks its ABI, and serves it until stdin closes or a `bye` is answered.
///
/// Errors (the caller prints them and exits non-zero): the file cannot be loaded, a required symbol is
/// missing, the ABI version is not [`ivconform_protocol::abi::ABI_VERSION`], or stdin/stdout fail.
pub fn run(lib: &Path) -> anyhow::Result<()> {
    // The protocol's stdout, kept before the library can write to fd 1 (see `protocol_stdout`).
    let out = protocol_stdout().context("cannot set up stdout")?;
    let library = AbiLibrary::load(lib).map_err(|e| anyhow!(e))?;
    serve(&library, out)
}

/// Like [`run`] for an implementation linked into this executable (`ivconform ffi-host` without `--lib`:
/// the reference's entry points, `ivconform_ffi::ENTRY_POINTS`), through the same calls and the same child.
pub fn run_linked(name: &str, entry: EntryPoints) -> anyhow::Result<()> {
    let out = protocol_stdout().context("cannot set up stdout")?;
    let library = AbiLibrary::linked(name, entry).map_err(|e| anyhow!(e))?;
    serve(&library, out)
}

fn serve(library: &AbiLibrary, out: impl std::io::Write) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    serve_raw_lines(stdin.lock(), out, |request| match library.call(request, MAX_RESPONSE_BYTES) {
        CallAnswer::Bytes(answer) => answer,
        CallAnswer::Failed(rc) => format!("ivc_call failed with return code {rc} (no response)").into_bytes(),
        CallAnswer::NoBuffer => b"ivc_call returned 0 but set no response buffer".to_vec(),
    })
    .context("stdin/stdout failed")
}
