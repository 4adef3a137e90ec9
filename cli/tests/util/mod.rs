//! Helpers shared by every integration test module: where things are, how to start the binary, how to
//! show a child's output in a failure message, what the suite holds.

#![allow(dead_code)] // Each module uses a different subset.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `ivconform` binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ivconform")
}

/// The workspace root (vectors/, adapters/, docs/ ...).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("cli/ is inside the workspace").to_path_buf()
}

/// `cli/tests/fixtures/iut`: the Python proxy that turns the reference into a misbehaving IUT.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iut")
}

/// Runs `ivconform ARGS` from the fixtures directory (so `--cmd "python3 proxy.py MODE"` finds the proxy), with
/// `IVCONFORM_BIN` telling the proxy where the reference is.
pub fn ivconform(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("IVCONFORM_BIN", bin())
        .current_dir(fixtures())
        .output()
        .expect("the harness starts")
}

/// A child's stdout and stderr, labelled, for assertion messages.
pub fn text(o: &Output) -> String {
    format!("--- stdout\n{}--- stderr\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A child's stdout then stderr, unlabelled (for searching both at once).
pub fn log(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// How many cases one vector file holds (its `number_of_cases`, read independently of the loader).
pub fn cases_in(group: &str) -> u64 {
    let path = root().join(format!("vectors/{group}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["number_of_cases"].as_u64().unwrap()
}

/// How many golden vectors there are in all.
pub fn vector_count() -> u64 {
    ["hmac_sha256", "sign", "payload", "verify", "jwt"].iter().map(|g| cases_in(g)).sum()
}

/// The reference cdylib cargo builds into `target/<profile>/deps/`, beside this test binary.
pub fn reference_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let name = format!("{}ivconform_ffi{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let lib = exe.parent().unwrap().join(name);
    assert!(lib.is_file(), "the reference cdylib {} was not built", lib.display());
    lib
}

/// `TOOL --version`'s output; panics with the Debian package to install when the tool is missing.
pub fn require_tool(tool: &str, package: &str) -> String {
    match Command::new(tool).arg("--version").output() {
        Ok(o) if o.status.success() => log(&o).trim().to_string(),
        _ => panic!("`{tool}` is needed by this test: apt-get install -y {package}"),
    }
}

/// A fresh, empty scratch directory for one test (unique per process and name).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ivconform-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `tests/fixtures/ffi/misbehave.c` compiled with `-DMODE_<MODE>` into a fresh shared library (one directory
/// per call: tests run in parallel and some compile the same mode).
pub fn misbehave_library(mode: &str) -> PathBuf {
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ivconform-ffi-{}-{n}-{mode}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("libmisbehave_{}.so", mode.to_lowercase()));
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", &format!("-DMODE_{}", mode.to_uppercase()), "-I"])
        .arg(manifest.join("../include"))
        .arg(manifest.join("tests/fixtures/ffi/misbehave.c"))
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("a C compiler (cc) is needed for the FFI tests ({e}): apt-get install -y gcc"));
    assert!(status.success(), "cc failed for mode {mode}");
    out
}
