//! `ivconform ffi-host --lib PATH` (hidden): the disposable child that loads an IUT's shared library and
//! serves it as JSON lines on stdin/stdout, so the FFI transport is the stdio transport pointed at this child.
//! Whatever the library does — crash, abort, answer garbage — happens here, never in the harness.
//!
//! Answers are passed through raw ([`serve_raw_lines`]): the library's bytes reach the harness unchanged
//! (one line), so garbage, a wrong `seq` or an oversize answer is judged by the same code as over stdio and
//! quoted in the report. When `ivc_call` fails (non-zero return, or success without a buffer) the host writes
//! a one-line note that is deliberately not JSON, so the case is a protocol error naming the return code.

use crate::serve::stdio::serve_raw_lines;
use anyhow::{bail, Context};
use libloading::{Library, Symbol};
use std::io::Write;
use std::path::Path;

type AbiVersion = unsafe extern "C" fn() -> u32;
type Call = unsafe extern "C" fn(*const u8, usize, *mut *mut u8, *mut usize) -> i32;
type Free = unsafe extern "C" fn(*mut u8, usize);

/// The ABI version of `include/ivconform.h` the host speaks.
pub const ABI_VERSION: u32 = 1;

/// Loads `lib`, checks its ABI, and serves it until stdin closes or a `bye` is answered.
///
/// Errors (the caller prints them and exits non-zero): the file cannot be loaded, a required symbol is
/// missing, the ABI version is not [`ABI_VERSION`], or stdin/stdout fail.
pub fn run(lib: &Path) -> anyhow::Result<()> {
    // The protocol's stdout, kept before the library can write to fd 1 (see `protocol_stdout`).
    let out = protocol_stdout().context("cannot set up stdout")?;
    let library = load(lib)?;
    let symbol =
        |name: &str| format!("{} does not export the required symbol {name} (see include/ivconform.h)", lib.display());
    // SAFETY: the signatures are those include/ivconform.h declares; a library that lies about them is
    // exactly the kind of bug this child process exists to contain.
    let (version, call, free): (Symbol<AbiVersion>, Symbol<Call>, Symbol<Free>) = unsafe {
        (
            library.get(b"ivc_abi_version\0").with_context(|| symbol("ivc_abi_version"))?,
            library.get(b"ivc_call\0").with_context(|| symbol("ivc_call"))?,
            library.get(b"ivc_free\0").with_context(|| symbol("ivc_free"))?,
        )
    };
    // SAFETY: declared as `uint32_t ivc_abi_version(void)`.
    let found = unsafe { version() };
    if found != ABI_VERSION {
        bail!(
            "{} implements ABI version {found}, but this harness speaks version {ABI_VERSION} (include/ivconform.h)",
            lib.display()
        );
    }
    let stdin = std::io::stdin();
    serve_raw_lines(stdin.lock(), out, |request| {
        let (mut ptr, mut len) = (std::ptr::null_mut::<u8>(), 0usize);
        // SAFETY: `request` is valid for its length during the call; the out-pointers are valid locals.
        let rc = unsafe { call(request.as_ptr(), request.len(), &mut ptr, &mut len) };
        if rc != 0 {
            return format!("ivc_call failed with return code {rc} (no response)").into_bytes();
        }
        if ptr.is_null() {
            return b"ivc_call returned 0 but set no response buffer".to_vec();
        }
        // SAFETY: by the header's contract, (ptr, len) is the library's buffer, valid until ivc_free.
        let answer = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
        // SAFETY: released exactly once, with the pointer and length ivc_call reported.
        unsafe { free(ptr, len) };
        answer
    })
    .context("stdin/stdout failed")
}

/// Loads the library at `lib`, always as a path: a bare file name is made `./NAME`, because `dlopen` would
/// otherwise search the library path instead of opening the file the user named.
fn load(lib: &Path) -> anyhow::Result<Library> {
    if !lib.is_file() {
        bail!("{}: no such file (expected a shared library implementing include/ivconform.h)", lib.display());
    }
    let path = if lib.components().count() == 1 && !lib.is_absolute() { Path::new(".").join(lib) } else { lib.into() };
    // SAFETY: loading runs the library's initialisers; that is the point of testing it, and it happens in
    // this disposable child process, so whatever it does cannot affect the harness.
    unsafe { Library::new(&path) }.with_context(|| format!("cannot load {}", lib.display()))
}

/// A writer for the protocol on the real stdout, with fd 1 pointed at stderr from then on: a library that
/// prints (debug output, a stray `printf`) must not corrupt the protocol stream, and its output still
/// reaches the harness's bounded stderr buffer, which feeds crash reports and the secret-leak scan.
#[cfg(unix)]
fn protocol_stdout() -> std::io::Result<impl Write> {
    use std::os::fd::{AsFd, AsRawFd};
    extern "C" {
        fn dup2(old: std::os::raw::c_int, new: std::os::raw::c_int) -> std::os::raw::c_int;
    }
    std::io::stdout().flush()?;
    let protocol = std::io::stdout().as_fd().try_clone_to_owned()?; // dup(1), close-on-exec
    let stderr = std::io::stderr();
    // SAFETY: dup2 on two open descriptors of this process: fd 1 becomes a copy of fd 2. The protocol
    // stream lives on in `protocol`, an owned descriptor nobody else closes.
    if unsafe { dup2(stderr.as_fd().as_raw_fd(), 1) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(std::io::BufWriter::with_capacity(64 * 1024, std::fs::File::from(protocol)))
}

/// Elsewhere stdout is used as it is.
#[cfg(not(unix))]
fn protocol_stdout() -> std::io::Result<impl Write> {
    Ok(std::io::stdout().lock())
}
