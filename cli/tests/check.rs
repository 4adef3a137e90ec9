//! `ivconform check` (issue 15): the CI gate passes the reference over every transport and every correct
//! adapter (Python over stdio, Node over HTTP, C over FFI) within its default budget, with a report section
//! and a JUnit test suite per stage; it fails every functional mutant of the zoo (and says which stage
//! killed it). And the per-case time bound of `run`: a parser that backtracks is reported as over the
//! bound (outcome `timeout`, "super-linear"), the correct adapter on the same case is not.

use crate::util::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// Mutants checked this many at a time (the CI machine has two cores).
const PARALLEL: usize = 2;

/// The tests of this module that time themselves against a budget run one at a time (each is parallel
/// inside), so they do not starve one another of the two cores.
static HEAVY: Mutex<()> = Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

fn dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| scratch("check")).clone()
}

/// `ivconform check IUT EXTRA.. --json FILE --junit FILE`: the output, the JSON report and the JUnit text.
fn check(iut: &[&str], extra: &[&str], name: &str) -> (Output, serde_json::Value, String) {
    let (json, junit) = (dir().join(format!("{name}.json")), dir().join(format!("{name}.xml")));
    let out = Command::new(bin())
        .arg("check")
        .args(iut)
        .args(extra)
        .args(["--quiet", "--out"])
        .arg(dir().join(format!("{name}-findings")))
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .stdin(Stdio::null())
        .output()
        .expect("the harness starts");
    let report = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    let xml = std::fs::read_to_string(&junit).unwrap_or_default();
    (out, report, xml)
}

/// Each stage's verdict, by name.
fn verdicts(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["stages"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|s| (s["stage"].as_str().unwrap_or("?").to_string(), s["verdict"].as_str().unwrap_or("?").into()))
                .collect()
        })
        .unwrap_or_default()
}

/// A conformant check: exit 0, every stage that applies passed (timing may be inconclusive on a loaded
/// machine, never failed), within the default budget of 60 s (plus one answer's timeout), and a JUnit test
/// suite per stage.
fn assert_passes(what: &str, iut: &[&str], timing: bool) {
    let (out, report, xml) = check(iut, &[], &what.replace(' ', "-"));
    let v = verdicts(&report);
    assert_eq!(out.status.code(), Some(0), "{what}: {v:?}\n{}", log(&out));
    assert_eq!(report["conformant"], true, "{what}");
    assert_eq!(v["vectors"], "pass", "{what}: every vector within the default budget: {v:?}");
    // A loaded machine may cut props or fuzz short (said so, still conformant); neither may fail.
    for stage in ["props", "fuzz"] {
        assert!(v[stage] == "pass" || v[stage] == "cut", "{what}: {stage}: {v:?}\n{}", log(&out));
    }
    if timing {
        assert!(v["timing"] == "pass" || v["timing"] == "inconclusive", "{what}: timing {v:?}\n{}", log(&out));
    } else {
        assert_eq!(v["timing"], "not_applicable", "{what}");
    }
    let seconds = report["seconds"].as_f64().unwrap();
    // The budget, plus at most one answer's --timeout (5 s) and the stages' wind-down, never a hang.
    assert!(seconds <= 60.0 + 15.0, "{what}: the check took {seconds} s of a 60 s budget");
    assert_eq!(report["budget_seconds"], 60.0, "{what}");
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{what}: JUnit XML: {e}\n{xml}"));
    let suites: Vec<&str> =
        doc.descendants().filter(|n| n.has_tag_name("testsuite")).filter_map(|n| n.attribute("name")).collect();
    assert_eq!(suites, ["vectors", "props", "fuzz", "timing"], "{what}: one test suite per stage");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Verdict: conformant"), "{what}:\n{text}");
    println!("{what}: {v:?} in {seconds:.1} s");
}

#[test]
fn the_reference_passes_over_every_transport() {
    let _one_at_a_time = heavy();
    for mode in ["inproc", "stdio", "http", "ffi"] {
        assert_passes(&format!("reference {mode}"), &["--reference", mode], true);
    }
}

/// An adapter serving HTTP on a loopback port; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_http(program: &str, script: &Path) -> (Server, String) {
    let mut child = Command::new(program)
        .arg(script)
        .args(["--http", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        for _ in lines.by_ref() {}
    });
    let line = match rx.recv_timeout(Duration::from_secs(15)) {
        Ok(Some(Ok(line))) => line,
        other => panic!("{program} {}: no `listening on` line ({other:?})", script.display()),
    };
    let url = line.strip_prefix("listening on ").expect("listening on URL").to_string();
    (server, url)
}

#[test]
fn every_correct_adapter_passes() {
    let _one_at_a_time = heavy();
    require_tool("python3", "python3");
    let python = format!("python3 '{}'", root().join("adapters/python/ivconform_adapter.py").display());
    assert_passes("python over stdio", &["--cmd", &python], false);

    require_tool("node", "nodejs");
    let (_server, url) = serve_http("node", &root().join("adapters/node/ivconform_adapter.mjs"));
    assert_passes("node over http", &["--url", &url], false);

    require_tool("make", "make");
    let build = dir().join("c-build");
    let out = Command::new("make")
        .arg("-C")
        .arg(root().join("adapters/c"))
        .arg(format!("BUILD={}", build.display()))
        .output()
        .expect("make runs");
    assert!(out.status.success(), "make adapters/c: {}", log(&out));
    let lib = build.join("libivconform_c.so");
    assert_passes("c over ffi", &["--lib", lib.to_str().unwrap()], true);
}

/// `--list-mutants`: (name, kind).
fn mutants() -> Vec<(String, String)> {
    let out = Command::new("python3")
        .arg(root().join("adapters/mutants/python/mutants.py"))
        .arg("--list-mutants")
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", log(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f.get(2).copied().unwrap_or("?").to_string())
        })
        .collect()
}

/// One mutant's check: the exit code, each stage's verdict, the output.
type MutantCheck = (Option<i32>, BTreeMap<String, String>, String);

#[test]
fn check_fails_every_functional_mutant_and_names_the_stage() {
    let _one_at_a_time = heavy();
    require_tool("python3", "python3");
    let all = mutants();
    let functional: Vec<&(String, String)> = all.iter().filter(|(_, kind)| kind == "functional").collect();
    assert!(functional.len() >= 50, "the zoo lists {} functional mutants", functional.len());
    let script = root().join("adapters/mutants/python/mutants.py");
    let queue = Mutex::new(functional.clone());
    let results: Mutex<BTreeMap<String, MutantCheck>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| loop {
                let Some((name, _)) = queue.lock().unwrap().pop() else { break };
                let cmd = format!("python3 '{}' --mutant '{name}'", script.display());
                // A small budget each (the vectors alone kill most), the first failing stage ends the check.
                let (out, report, _) =
                    check(&["--cmd", &cmd], &["--fail-fast", "--budget", "30s"], &format!("mutant-{name}"));
                results.lock().unwrap().insert(name.clone(), (out.status.code(), verdicts(&report), log(&out)));
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut survivors = Vec::new();
    let mut only_check = Vec::new();
    for (name, (code, v, log)) in &results {
        let killer = v.iter().find(|(_, verdict)| *verdict == "fail").map(|(s, _)| s.clone());
        match (code, killer) {
            (Some(1), Some(stage)) => {
                if stage != "vectors" {
                    only_check.push(format!("{name} (by {stage})"));
                }
            }
            _ => survivors.push(format!("{name}: exit {code:?}, stages {v:?}\n{log}")),
        }
    }
    println!(
        "check killed {} of {} functional mutants; killed only by a stage after the vectors: {}",
        results.len() - survivors.len(),
        results.len(),
        if only_check.is_empty() { "none".to_string() } else { only_check.join(", ") }
    );
    assert!(survivors.is_empty(), "functional mutants that `check` did not fail:\n{}", survivors.join("\n"));
}

#[test]
fn usage_errors_and_a_skipped_stage() {
    let (out, _, _) = check(&["--reference"], &["--budget", "0"], "zero-budget");
    assert_eq!(out.status.code(), Some(2), "{}", log(&out));
    let (out, _, _) = check(&[], &[], "no-iut");
    assert_eq!(out.status.code(), Some(2), "{}", log(&out));
    // Every stage but the vectors left out: the vectors alone decide, the rest say why they did not run.
    let (out, report, _) =
        check(&["--reference"], &["--skip", "props", "--skip", "fuzz", "--skip", "timing", "--seed", "3"], "skip");
    assert_eq!(out.status.code(), Some(0), "{}", log(&out));
    let v = verdicts(&report);
    assert_eq!(v["vectors"], "pass");
    for stage in ["props", "fuzz", "timing"] {
        assert_eq!(v[stage], "not_run", "{v:?}");
    }
    assert_eq!(report["seed"], 3);
}

/// The per-case time bound: `cli/tests/fixtures/slow/backtracking.py` (the Python adapter with a quadratic
/// scanner) answers the 64 KiB payload right, but hundreds of times slower than the reference: `run` reports
/// it as over the bound. The correct adapter on the same case passes (no false alarm).
#[test]
fn run_reports_a_backtracking_parser_over_the_per_case_time_bound() {
    let _one_at_a_time = heavy();
    require_tool("python3", "python3");
    let run = |script: &Path, name: &str| {
        let report = dir().join(format!("{name}.json"));
        let out = Command::new(bin())
            // A fast case first: a worker's first answer is never judged (it sets the pace), so the slow one
            // comes second, on the same worker.
            .args(["run", "--quiet", "--timeout", "60", "--jobs", "1", "--case", "payload-minimal-verified"])
            .args(["--case", "payload-size-65536-bytes", "--cmd"])
            .arg(format!("python3 '{}'", script.display()))
            .arg("--json")
            .arg(&report)
            .output()
            .expect("the harness starts");
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let case = doc["cases"].as_array().and_then(|c| c.iter().find(|c| c["id"] == "payload-size-65536-bytes"));
        (out, case.cloned().unwrap_or_default())
    };
    let (out, case) = run(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slow/backtracking.py"), "slow");
    assert_eq!(out.status.code(), Some(1), "{}", log(&out));
    assert_eq!(case["outcome"], "timeout", "{case}");
    let reason = case["reason"].as_str().unwrap();
    assert!(reason.contains("per-case time bound") && reason.contains("super-linear"), "{reason}");
    let (out, case) = run(&root().join("adapters/python/ivconform_adapter.py"), "fast");
    assert_eq!(out.status.code(), Some(0), "{}", log(&out));
    assert_eq!(case["outcome"], "pass", "{case}");
}
