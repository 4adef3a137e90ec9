//! `ivconform ffi-host --lib PATH` (hidden): the disposable child that loads an IUT's shared library and
//! serves it as JSON lines on stdin/stdout, so the FFI transport is the stdio transport pointed at this child.
//! Whatever the library does — crash, abort, answer garbage — happens here, never in the harness.

use crate::serve::stdio::serve_raw_lines;
use anyhow::{bail, Context};
use libloading::{Library, Symbol};
use std::path::Path;

type AbiVersion = unsafe extern "C" fn() -> u32;
type Call = unsafe extern "C" fn(*const u8, usize, *mut *mut u8, *mut usize) -> i32;
type Free = unsafe extern "C" fn(*mut u8, usize);

/// The ABI version of `include/ivconform.h` the host speaks.
pub const ABI_VERSION: u32 = 1;

/// Loads `lib`, checks its ABI, and serves it until stdin closes or a `bye` is answered.
pub fn run(lib: &Path) -> anyhow::Result<()> {
    // SAFETY: loading runs the library's initialisers; that is the point of testing it, and it happens in
    // this disposable child process, so whatever it does cannot affect the harness.
    let library = unsafe { Library::new(lib) }.with_context(|| format!("cannot load {}", lib.display()))?;
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
        bail!("{} implements ABI version {found}, but this harness speaks version {ABI_VERSION}", lib.display());
    }
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    serve_raw_lines(stdin.lock(), stdout.lock(), |request| {
        let (mut ptr, mut len) = (std::ptr::null_mut::<u8>(), 0usize);
        // SAFETY: `request` is valid for its length during the call; the out-pointers are valid locals.
        let rc = unsafe { call(request.as_ptr(), request.len(), &mut ptr, &mut len) };
        if rc != 0 {
            return format!("ivc_call failed with return code {rc}").into_bytes();
        }
        if ptr.is_null() {
            return b"ivc_call returned 0 but no response buffer".to_vec();
        }
        // SAFETY: by the header's contract, (ptr, len) is the library's buffer, valid until ivc_free.
        let answer = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
        // SAFETY: released exactly once, with the pointer and length ivc_call reported.
        unsafe { free(ptr, len) };
        answer
    })
    .context("stdin/stdout failed")
}
