//! FFI transport: the IUT is a shared library implementing `include/ivconform.h`, loaded in a child process.
//!
//! The library never runs inside the harness: `ivconform ffi-host --lib PATH` loads it and speaks JSON lines,
//! so this transport is the stdio transport pointed at that child. A segfault or abort in the library kills
//! only the child; the case that triggered it ends as a crash and the runner starts a new child.

use super::stdio::StdioConnector;
use super::{CallError, Connector, Transport};
use std::path::PathBuf;
use std::time::Duration;

/// Starts `ivconform ffi-host --lib PATH` children.
pub struct FfiConnector {
    inner: StdioConnector,
}

impl FfiConnector {
    /// A connector for the library at `lib`, waiting at most `timeout` for each answer.
    pub fn new(lib: PathBuf, timeout: Duration) -> Self {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("ivconform"));
        let label = format!("ffi: {}", lib.display());
        let args = vec!["ffi-host".into(), "--lib".into(), lib.to_string_lossy().into_owned()];
        FfiConnector { inner: StdioConnector::program(exe, args, timeout, label) }
    }
}

impl Connector for FfiConnector {
    fn connect(&self) -> Result<Box<dyn Transport>, CallError> {
        self.inner.connect()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}
