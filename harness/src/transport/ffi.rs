//! FFI transport: the IUT is a shared library implementing `include/ivconform.h`, loaded in a child process.
//!
//! The library never runs inside the harness: `ivconform ffi-host --lib PATH` loads it and speaks JSON lines,
//! so this transport is the stdio transport pointed at that child. A segfault or abort in the library kills
//! only the child; the case that triggered it ends as a [`CallError::Crash`] naming the signal, and the runner
//! starts a new child. A library that cannot be loaded (wrong ABI version, missing symbol) makes the child
//! exit at once with the reason on its stderr, so `connect` succeeds but the first call is a crash whose
//! stderr ([`Transport::take_stderr`]) says why.

use super::stdio::StdioConnector;
use super::{CallError, Connector, Transport};
use std::path::PathBuf;
use std::time::Duration;

/// How reports name the reference linked into the executable ([`FfiConnector::linked_reference`]).
pub const LINKED_REFERENCE: &str =
    "ffi: the reference's C entry points linked into ivconform (no libivconform_ffi.so file)";

/// Starts `ivconform ffi-host --lib PATH` children, one per connection (or `ivconform ffi-host` with no
/// `--lib`, which serves the reference linked into the executable: [`FfiConnector::linked_reference`]).
pub struct FfiConnector {
    /// The library file; `None` for the linked reference.
    lib: Option<PathBuf>,
    /// The stdio connector for the host, or why there is none (the harness cannot find its own executable).
    inner: Result<StdioConnector, String>,
    label: String,
}

impl FfiConnector {
    /// A connector for the library at `lib`, hosted by this executable (`ivconform ffi-host`), waiting at
    /// most `timeout` for each answer.
    pub fn new(lib: PathBuf, timeout: Duration) -> Self {
        match crate::helper::exe() {
            Ok(exe) => Self::with_host(exe, lib, timeout),
            Err(e) => FfiConnector {
                label: label(&lib),
                inner: Err(format!("{e} (to host {})", lib.display())),
                lib: Some(lib),
            },
        }
    }

    /// A connector for the reference implementation's C entry points linked into this executable, hosted
    /// by `ivconform ffi-host` (no `--lib`) in the same disposable child: the FFI transport with no library
    /// file, for an installed binary that has no `libivconform_ffi.so` beside it.
    pub fn linked_reference(timeout: Duration) -> Self {
        let label = LINKED_REFERENCE.to_string();
        let inner = crate::helper::exe()
            .map(|exe| StdioConnector::program(exe, vec!["ffi-host".into()], timeout, label.clone()));
        FfiConnector { lib: None, inner, label }
    }

    /// Like [`FfiConnector::new`] with an explicit host executable (one that has the `ffi-host` subcommand),
    /// for callers that are not the `ivconform` binary itself, such as unit tests.
    pub fn with_host(host: PathBuf, lib: PathBuf, timeout: Duration) -> Self {
        // The child gets an absolute path: it loads exactly the file checked here, whatever its working
        // directory, and never a same-named library from the loader's search path.
        let absolute = std::path::absolute(&lib).unwrap_or_else(|_| lib.clone());
        let args = vec!["ffi-host".into(), "--lib".into(), absolute.to_string_lossy().into_owned()];
        let label = label(&lib);
        FfiConnector { inner: Ok(StdioConnector::program(host, args, timeout, label.clone())), lib: Some(lib), label }
    }

    /// Checks up front that the library file exists and the host can be started, with a message fit for
    /// the user; [`Connector::connect`] repeats the check and fails with [`CallError::Unreachable`].
    pub fn check(&self) -> Result<(), String> {
        if let Err(e) = &self.inner {
            return Err(e.clone());
        }
        let Some(lib) = &self.lib else { return Ok(()) };
        if lib.to_str().is_none() {
            return Err(format!("{}: the library path must be UTF-8 to reach ffi-host", lib.display()));
        }
        match std::fs::metadata(lib) {
            Ok(m) if m.is_file() => Ok(()),
            Ok(_) => Err(format!("{} is not a file (expected a shared library)", lib.display())),
            Err(e) => Err(format!("cannot read the library {}: {e}", lib.display())),
        }
    }
}

fn label(lib: &std::path::Path) -> String {
    format!("ffi: {}", lib.display())
}

impl Connector for FfiConnector {
    fn connect(&self) -> Result<Box<dyn Transport>, CallError> {
        self.check().map_err(CallError::Unreachable)?;
        match &self.inner {
            Ok(inner) => inner.connect(),
            Err(e) => Err(CallError::Unreachable(e.clone())),
        }
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}
