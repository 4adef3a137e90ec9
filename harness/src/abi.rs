//! The one loader of shared libraries implementing `include/ivconform.h`, used by the FFI host
//! ([`crate::serve::ffi_host`]), the timing suite and the benchmarks (`ivconform-perf`).
//!
//! It always runs in a disposable child process: loading runs the library's initialisers and every call may
//! crash, so the harness itself never loads an implementation. The ABI's version and entry-point types are
//! defined once, in [`ivconform_protocol::abi`].
//!
//! This module holds the harness's only `unsafe` code: `dlopen`, `dlsym` and calls across the C ABI, each
//! with its `SAFETY:` argument.

use ivconform_protocol::abi::{
    self, AbiVersionFn, CallFn, EntryPoints, FreeFn, SignRawFn, VerifyJwtRawFn, VerifyRawFn, ABI_VERSION,
};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A loaded implementation library with its entry points resolved and its ABI version checked, or the
/// entry points of an implementation linked into this executable ([`AbiLibrary::linked`]): the same calls,
/// the same checks, no file.
///
/// The function pointers stay valid as long as this value lives (it owns the loaded library, if any).
pub struct AbiLibrary {
    path: Option<PathBuf>,
    call: CallFn,
    free: FreeFn,
    sign_raw: Option<SignRawFn>,
    verify_raw: Option<VerifyRawFn>,
    verify_jwt_raw: Option<VerifyJwtRawFn>,
    // Last: dropped (unloaded) after the pointers above are gone.
    _library: Option<libloading::Library>,
}

/// What one `ivc_call` gave.
#[derive(Debug, PartialEq, Eq)]
pub enum CallAnswer {
    /// The library's bytes, at most `cap + 1` of them (one more than the cap shows the answer was too long
    /// without copying all of it).
    Bytes(Vec<u8>),
    /// `ivc_call` returned this non-zero code (no response).
    Failed(i32),
    /// `ivc_call` returned 0 but set no response buffer.
    NoBuffer,
}

impl AbiLibrary {
    /// Loads `path` and resolves the required symbols (`ivc_abi_version`, `ivc_call`, `ivc_free`) and the
    /// optional raw ones; refuses a library of another ABI version. Errors are messages fit for the user.
    ///
    /// A bare file name is loaded as `./NAME`: `dlopen` would otherwise search the library path instead of
    /// opening the file the user named.
    pub fn load(path: &Path) -> Result<AbiLibrary, String> {
        if !path.is_file() {
            return Err(format!(
                "{}: no such file (expected a shared library implementing include/ivconform.h)",
                path.display()
            ));
        }
        let local = if path.components().count() == 1 && !path.is_absolute() {
            Path::new(".").join(path)
        } else {
            path.to_path_buf()
        };
        // SAFETY: loading runs the library's initialisers; that is the point of testing it, and it happens in
        // a disposable child process, so whatever it does cannot affect the harness.
        let library =
            unsafe { libloading::Library::new(&local) }.map_err(|e| format!("cannot load {}: {e}", path.display()))?;
        let missing = |name: &str| {
            format!("{} does not export the required symbol {name} (see include/ivconform.h)", path.display())
        };
        // SAFETY: the types are those include/ivconform.h declares (ivconform_protocol::abi); a library that
        // lies about them is exactly the kind of bug the child process exists to contain.
        let (version, call, free) = unsafe {
            (
                *library.get::<AbiVersionFn>(abi::symbol::ABI_VERSION).map_err(|_| missing("ivc_abi_version"))?,
                *library.get::<CallFn>(abi::symbol::CALL).map_err(|_| missing("ivc_call"))?,
                *library.get::<FreeFn>(abi::symbol::FREE).map_err(|_| missing("ivc_free"))?,
            )
        };
        // SAFETY: declared as `uint32_t ivc_abi_version(void)`, called once right after loading.
        let found = unsafe { version() };
        if found != ABI_VERSION {
            return Err(format!(
                "{} implements ABI version {found}, but this harness speaks version {ABI_VERSION} (include/ivconform.h)",
                path.display()
            ));
        }
        // SAFETY: as above; these symbols are optional.
        let (sign_raw, verify_raw, verify_jwt_raw) = unsafe {
            (
                library.get::<SignRawFn>(abi::symbol::SIGN_RAW).ok().map(|s| *s),
                library.get::<VerifyRawFn>(abi::symbol::VERIFY_RAW).ok().map(|s| *s),
                library.get::<VerifyJwtRawFn>(abi::symbol::VERIFY_JWT_RAW).ok().map(|s| *s),
            )
        };
        Ok(AbiLibrary {
            path: Some(path.to_path_buf()),
            call,
            free,
            sign_raw,
            verify_raw,
            verify_jwt_raw,
            _library: Some(library),
        })
    }

    /// An implementation linked into this executable (no library file to load), checked like a loaded one:
    /// its ABI version must be [`ABI_VERSION`]. `name` says what it is in errors.
    pub fn linked(name: &str, entry: EntryPoints) -> Result<AbiLibrary, String> {
        // SAFETY: `entry` holds the linked functions of the declared types (ivconform_protocol::abi), and
        // `uint32_t ivc_abi_version(void)` takes nothing.
        let found = unsafe { (entry.abi_version)() };
        if found != ABI_VERSION {
            return Err(format!(
                "{name} implements ABI version {found}, but this harness speaks version {ABI_VERSION}"
            ));
        }
        Ok(AbiLibrary {
            path: None,
            call: entry.call,
            free: entry.free,
            sign_raw: entry.sign_raw,
            verify_raw: entry.verify_raw,
            verify_jwt_raw: entry.verify_jwt_raw,
            _library: None,
        })
    }

    /// The path the library was loaded from, as the user gave it; `None` when it is linked in.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// One protocol message through `ivc_call`, copying at most `cap + 1` bytes of the answer before the
    /// buffer is released with `ivc_free`.
    pub fn call(&self, request: &[u8], cap: usize) -> CallAnswer {
        let (mut ptr, mut len) = (std::ptr::null_mut::<u8>(), 0usize);
        // SAFETY: `request` is valid for its length during the call; the out-pointers are valid locals.
        let rc = unsafe { (self.call)(request.as_ptr(), request.len(), &mut ptr, &mut len) };
        if rc != 0 {
            return CallAnswer::Failed(rc);
        }
        if ptr.is_null() {
            return CallAnswer::NoBuffer;
        }
        let copied = len.min(cap.saturating_add(1));
        // SAFETY: by the header's contract, (ptr, len) is the library's buffer, valid until ivc_free; we read
        // only its first `copied <= len` bytes.
        let answer = unsafe { std::slice::from_raw_parts(ptr, copied) }.to_vec();
        // SAFETY: released exactly once, with the pointer and length ivc_call reported.
        unsafe { (self.free)(ptr, len) };
        CallAnswer::Bytes(answer)
    }

    /// `ivc_sign_raw`, when the library exports it (valid while `self` lives).
    pub fn sign_raw(&self) -> Option<SignRawFn> {
        self.sign_raw
    }

    /// `ivc_verify_raw`, when the library exports it (valid while `self` lives).
    pub fn verify_raw(&self) -> Option<VerifyRawFn> {
        self.verify_raw
    }

    /// `ivc_verify_jwt_raw`, when the library exports it (valid while `self` lives).
    pub fn verify_jwt_raw(&self) -> Option<VerifyJwtRawFn> {
        self.verify_jwt_raw
    }
}

/// A writer for the protocol on the real stdout, with fd 1 pointed at stderr from then on: a library that
/// prints (debug output, a stray `printf`) must not corrupt the protocol stream, and its output still
/// reaches the harness's bounded stderr buffer, which feeds crash reports and the secret-leak scan.
#[cfg(unix)]
pub fn protocol_stdout() -> std::io::Result<impl Write> {
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
pub fn protocol_stdout() -> std::io::Result<impl Write> {
    Ok(std::io::stdout().lock())
}
