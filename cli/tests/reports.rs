//! Snapshot tests pinning the human summary, the JUnit XML and the JSON report of a small fixed run: an
//! implementation (the proxy fixture in `uppercase` mode) that fails two signing cases and passes the rest.

use std::path::Path;
use std::process::Command;

#[test]
fn reports_of_a_small_fixed_run() {
    let bin = env!("CARGO_BIN_EXE_ivconform");
    let dir = std::env::temp_dir().join(format!("ivconform-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (junit, json) = (dir.join("junit.xml"), dir.join("report.json"));
    let out = Command::new(bin)
        .args(["run", "--cmd", "python3 proxy.py uppercase", "--no-timings"])
        .args([
            "--case",
            "sign-only-*",
            "--case",
            "rfc4231-case-2",
            "--case",
            "verify-prod-web-visitor",
            "--case",
            "payload-bom",
        ])
        .args(["--junit", junit.to_str().unwrap(), "--json", json.to_str().unwrap()])
        .env("IVCONFORM_BIN", bin)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iut"))
        .output()
        .expect("the harness runs");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!("human", String::from_utf8_lossy(&out.stdout));
    insta::assert_snapshot!("junit", std::fs::read_to_string(&junit).unwrap());
    insta::assert_snapshot!("json", std::fs::read_to_string(&json).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}
