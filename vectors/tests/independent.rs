//! Every golden vector is confirmed by an implementation that is not ours: `independent/` (Python's standard
//! library, written from SPEC.md) and the `openssl` CLI. These tests need `python3` and `openssl` on PATH and
//! fail, never skip, without them.

use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

const FILES: [&str; 5] = ["hmac_sha256.json", "sign.json", "payload.json", "verify.json", "jwt.json"];

/// The crate's directory, which holds the vector files.
fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn repo_root() -> PathBuf {
    vectors_dir().parent().expect("vectors/ has a parent").to_path_buf()
}

/// Panics with a clear message unless `python3` and `openssl` can be run.
fn require_tools() {
    for (tool, arg) in [("python3", "--version"), ("openssl", "version")] {
        let hint =
            "the independent confirmation of the golden vectors needs python3 (3.11+) and the openssl CLI on PATH";
        match Command::new(tool).arg(arg).output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!("`{tool} {arg}` failed ({}): {hint}", out.status),
            Err(e) => panic!("cannot run `{tool}`: {e}; {hint}"),
        }
    }
}

/// Runs a Python program from the repository root; returns its exit code and its stdout + stderr.
fn python(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = Command::new("python3")
        .arg("-B") // no __pycache__ in the source tree
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn confirm(dir: &Path) -> (Option<i32>, String) {
    let script = repo_root().join("independent/confirm_vectors.py");
    python(&[script.as_os_str(), dir.as_os_str()])
}

#[test]
fn python_and_openssl_confirm_every_vector() {
    require_tools();
    let (code, text) = confirm(&vectors_dir());
    println!("{text}");
    assert_eq!(code, Some(0), "independent/confirm_vectors.py does not confirm the golden vectors:\n{text}");
}

#[test]
fn python_module_unit_tests_pass() {
    require_tools();
    let (code, text) = python(&["-m", "unittest", "discover", "-s", "independent/tests"].map(std::ffi::OsStr::new));
    println!("{text}");
    assert_eq!(code, Some(0), "independent/tests failed:\n{text}");
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("ivconform-independent-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Rewrites the first case of `file` that `pick` selects with `change`; returns that case's id.
fn corrupt(file: &Path, pick: impl Fn(&Value) -> bool, change: impl FnOnce(&mut Value)) -> String {
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let cases = doc["cases"].as_array_mut().expect("a vector file has a cases array");
    let case = cases.iter_mut().find(|c| pick(c)).unwrap_or_else(|| panic!("{}: no case to corrupt", file.display()));
    let id = case["id"].as_str().expect("cases have string ids").to_string();
    change(case);
    fs::write(file, serde_json::to_string_pretty(&doc).expect("serialises")).expect("writes");
    id
}

#[test]
fn a_corrupted_vector_is_caught() {
    require_tools();
    let tmp = TempDir::new();
    for name in FILES {
        fs::copy(vectors_dir().join(name), tmp.0.join(name)).unwrap_or_else(|e| panic!("copying {name}: {e}"));
    }
    // sign.json: one hex digit of an expected user_hash flipped.
    let signed = corrupt(
        &tmp.0.join("sign.json"),
        |c| c["expected"]["result"] == "hash",
        |c| {
            let hash = c["expected"]["user_hash"].as_str().expect("a hash result has user_hash").to_string();
            let flipped = if hash.ends_with('0') { '1' } else { '0' };
            c["expected"]["user_hash"] = json!(format!("{}{flipped}", &hash[..hash.len() - 1]));
        },
    );
    // verify.json: an accept turned into a reject.
    let verified = corrupt(
        &tmp.0.join("verify.json"),
        |c| c["expected"]["result"] == "accept",
        |c| c["expected"] = json!({"result": "reject", "reason": "invalid_user_hash"}),
    );

    // jwt.json: a leeway case's expectation flipped to expired, and one character of a signed token changed.
    let leeway = corrupt(
        &tmp.0.join("jwt.json"),
        |c| c["id"] == "jwt-exp-within-leeway",
        |c| c["expected"] = json!({"result": "reject", "reason": "expired_jwt"}),
    );
    let token = corrupt(
        &tmp.0.join("jwt.json"),
        |c| c["kind"] == "sign" && c["expected"]["result"] == "token",
        |c| {
            let t = c["expected"]["example_token"].as_str().expect("a token result has example_token").to_string();
            let last = if t.ends_with('A') { 'B' } else { 'A' };
            c["expected"]["example_token"] = json!(format!("{}{last}", &t[..t.len() - 1]));
        },
    );
    let (signed, verified) = (&signed, &verified);
    let corrupted = [signed, verified, &leeway, &token];

    let (code, text) = confirm(&tmp.0);
    println!("{text}");
    assert_eq!(code, Some(1), "confirm_vectors.py must exit 1 on corrupted vectors:\n{text}");
    for id in corrupted {
        assert!(text.contains(&format!("DISAGREE {id}:")), "the report does not name the corrupted case {id}:\n{text}");
    }
    let others: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("DISAGREE ") && !corrupted.iter().any(|id| l.starts_with(&format!("DISAGREE {id}:"))))
        .collect();
    assert!(others.is_empty(), "only the corrupted cases may disagree, but also:\n{}", others.join("\n"));
}
