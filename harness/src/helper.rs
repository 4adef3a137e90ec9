//! The `ivconform` executable that runs the harness's helper children: `ffi-host` (the FFI transport),
//! `ffi-timing` and `ffi-bench` (timing and bench over FFI), `serve` and `timing-control` (the reference and
//! the timing controls over stdio and HTTP).
//!
//! By default it is the running executable, which is right for the `ivconform` binary. A program that embeds
//! this library under another executable (a test binary, a custom runner) names the real binary once with
//! [`set_exe`] before it starts any of these children.

use std::path::PathBuf;
use std::sync::OnceLock;

static EXE: OnceLock<PathBuf> = OnceLock::new();

/// Names the `ivconform` executable to run helper children with; the first call wins.
pub fn set_exe(path: PathBuf) {
    let _ = EXE.set(path);
}

/// The `ivconform` executable for helper children: the one [`set_exe`] named, else the running executable.
pub fn exe() -> Result<PathBuf, String> {
    if let Some(path) = EXE.get() {
        return Ok(path.clone());
    }
    std::env::current_exe().map_err(|e| format!("cannot find the ivconform executable: {e}"))
}
