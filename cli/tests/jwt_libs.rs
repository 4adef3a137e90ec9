//! Real JWT libraries against jwt.json (issue 19): PyJWT, jsonwebtoken and jose, each behind a small stdio
//! adapter in `adapters/jwt/` (installed by `adapters/jwt/install.sh`, run here when needed), each as signer and
//! verifier. A library must pass every JWT case except those its expectations file lists, each with the reason
//! and the SPEC argument (`adapters/jwt/<lib>.expectations.toml`); an entry that passes again, or matches no
//! case, fails the run. Signing is graded by meaning (J5), so every `sign_jwt` case must pass outright: the
//! libraries write `\u` escapes, other key orders and an `iat`, and none of that is a failure.

use crate::util::{bin, log, require_tool, root, scratch};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// `adapters/jwt/install.sh`, once per test process (it is idempotent: a second run with nothing changed is a
/// no-op), failing loudly with the Debian packages it needs.
fn installed() -> PathBuf {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        require_tool("python3", "python3 python3-venv");
        require_tool("node", "nodejs");
        require_tool("npm", "npm");
        let dir = root().join("adapters/jwt");
        let out = Command::new("bash")
            .arg(dir.join("install.sh"))
            .stdin(Stdio::null())
            .output()
            .expect("bash runs adapters/jwt/install.sh");
        assert!(
            out.status.success(),
            "adapters/jwt/install.sh failed (apt-get install -y python3-venv nodejs npm):\n{}",
            log(&out)
        );
        dir
    })
    .clone()
}

/// The library's adapter command line and its expectations file.
fn adapter(lib: &str) -> (String, PathBuf) {
    let dir = installed();
    let cmd = match lib {
        "pyjwt" => format!("{} {}", dir.join(".venv/bin/python").display(), dir.join("pyjwt_adapter.py").display()),
        other => format!("node {}", dir.join(format!("{other}_adapter.mjs")).display()),
    };
    (cmd, dir.join(format!("{lib}.expectations.toml")))
}

/// `ivconform run --group jwt` against the library, with its expectations; the JSON report.
fn run_library(lib: &str) -> serde_json::Value {
    let (cmd, expectations) = adapter(lib);
    let report = scratch(&format!("jwt-lib-{lib}")).join("report.json");
    let out = Command::new(bin())
        .args(["run", "--cmd", &cmd, "--group", "jwt", "--quiet", "--no-timings", "--run-timeout", "120"])
        .arg("--expectations")
        .arg(&expectations)
        .arg("--json")
        .arg(&report)
        .stdin(Stdio::null())
        .output()
        .expect("the harness starts");
    assert_eq!(out.status.code(), Some(0), "{lib}: not conformant with its expectations file:\n{}", log(&out));
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
    serde_json::from_str(&text).expect("the JSON report parses")
}

/// What the report says about each case: (id, outcome).
fn outcomes(report: &serde_json::Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| (c["id"].as_str().unwrap_or("?").to_string(), c["outcome"].as_str().unwrap_or("?").to_string()))
        .collect()
}

/// The ids the expectations file lists, read independently of the harness (one `case = "..."` per entry).
fn listed(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().filter_map(|l| l.strip_prefix("case = \"")).map(|l| l.trim_end_matches('"').to_string()).collect()
}

fn check_library(lib: &str, name: &str) {
    let report = run_library(lib);
    assert_eq!(report["implementation"]["hello"]["name"], name, "{lib}: the hello names the library");
    let all = outcomes(&report);
    let jwt_cases = crate::util::cases_in("jwt") as usize;
    assert_eq!(all.len(), jwt_cases, "{lib}: every jwt.json case ran");
    let (_, expectations) = adapter(lib);
    let listed = listed(&expectations);
    for (id, outcome) in &all {
        let want: &[&str] = if listed.contains(id) {
            &["expected_failure"]
        } else if id.starts_with("jwt-sign-") {
            &["pass"] // J5: a library's own serialisation is conformant
        } else {
            &["pass", "either"]
        };
        assert!(want.contains(&outcome.as_str()), "{lib}: {id} is {outcome}, want {want:?}");
        assert!(
            !(listed.contains(id) && id.starts_with("jwt-sign-")),
            "{lib}: a signing case may not be excused: {id}"
        );
    }
    // The leeway window is graded `either`, never as a pass, whatever the library decides there.
    let window: Vec<&String> = all.iter().filter(|(_, o)| o == "either").map(|(id, _)| id).collect();
    assert_eq!(window.len(), 4, "{lib}: the four leeway-window cases are `either`: {window:?}");
}

/// Unpadded base64url, decoded by hand (the test crate has no base64 dependency).
fn unb64url(text: &str) -> Vec<u8> {
    const A: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.chars() {
        acc = (acc << 6 | A.find(c).expect("base64url") as u32) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn pyjwt_signs_and_verifies_every_case_it_can_express() {
    check_library("pyjwt", "pyjwt");
}

#[test]
fn jsonwebtoken_signs_and_verifies_every_case_it_can_express() {
    check_library("jsonwebtoken", "jsonwebtoken");
}

#[test]
fn jose_signs_and_verifies_every_case_it_can_express() {
    check_library("jose", "jose");
}

/// PyJWT writes `é` as `\u00e9` and jsonwebtoken adds `iat`: their tokens are not the reference's bytes, and pass
/// anyway (J5). Checked on the raw answers, so the test proves the grading, not just the libraries' defaults.
#[test]
fn library_tokens_differ_from_the_reference_bytes_and_still_pass() {
    let decode = |t: &str| {
        let claims = t.split('.').nth(1).expect("three segments");
        String::from_utf8(unb64url(claims)).unwrap()
    };
    let request =
        r#"{"seq":2,"type":"sign_jwt","secret_hex":"6b6b6b6b6b6b6b6b","user_id":"jos\u00e9","email":"a@b.c"}"#;
    for (lib, marker) in [("pyjwt", r"\u00e9"), ("jsonwebtoken", "\"iat\":")] {
        let (cmd, _) = adapter(lib);
        let mut parts = cmd.split(' ');
        let out = Command::new(parts.next().unwrap())
            .args(parts)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                let mut stdin = child.stdin.take().unwrap();
                writeln!(stdin, "{request}")?;
                writeln!(stdin, r#"{{"seq":3,"type":"bye"}}"#)?;
                drop(stdin);
                child.wait_with_output()
            })
            .expect("the adapter runs");
        let first = String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_string();
        let answer: serde_json::Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{lib}: {e}: {first}"));
        let claims = decode(answer["token"].as_str().unwrap_or_else(|| panic!("{lib}: no token: {first}")));
        assert!(claims.contains(marker), "{lib}: expected {marker} in {claims}");
    }
    // And those cases pass in the full runs above: jwt-sign-non-ascii is one of them.
    for lib in ["pyjwt", "jsonwebtoken"] {
        let report = run_library(lib);
        let ascii = outcomes(&report).into_iter().find(|(id, _)| id == "jwt-sign-non-ascii").expect("the case ran");
        assert_eq!(ascii.1, "pass", "{lib}");
    }
}
