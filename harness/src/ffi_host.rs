//! `ivconform ffi-host --lib PATH` (hidden): the disposable child that loads an IUT's shared library.
//! TEMPORARY: replaced by the FFI implementation in progress.

/// Loads the library and serves it over stdio.
pub fn run(lib: &std::path::Path) -> anyhow::Result<()> {
    anyhow::bail!("FFI host for {} is not built yet", lib.display())
}
