//! The foreign adapters of `adapters/` and the mutant zoo (issue 4).
//!
//! * The Python adapter (standard library only) over stdio and over HTTP, and the Node.js adapter over HTTP
//!   (and stdio), must pass every golden vector: exit 0, nothing failed, nothing skipped.
//! * The kill matrix: every mutant of `adapters/mutants/python/mutants.py --list-mutants` (the mutant zoo: the
//!   Python adapter with one bug put in by source substitution) runs the whole suite over stdio. A functional
//!   mutant must fail at least two cases (kill rate 100%, no kill resting on one vector: docs/COVERAGE.md); a
//!   conformant variant must pass everything; a timing-only one must pass the functional suite (only
//!   `ivconform timing` can catch it: adapters/README.md says which pair flags which, and which none can). The matrix is printed (`cargo test --test adapters -- --nocapture`)
//!   and written to `target/kill-matrix.txt`. `mutants.py --check` must pass: every mutant still applies.
//!
//! Nothing here is skipped when `python3` or `node` is missing: the test fails and names the package.

use crate::util::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Mutants run this many at a time.
const PARALLEL_MUTANTS: usize = 4;

/// One scratch directory for this module's reports, made once (parallel mutant runs write into it).
fn adapters_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| scratch("adapters")).clone()
}

fn python_adapter() -> PathBuf {
    root().join("adapters/python/ivconform_adapter.py")
}

/// The mutant zoo of the Python adapter: `--list-mutants`, `--mutant NAME`, `--check`.
fn python_mutants() -> PathBuf {
    root().join("adapters/mutants/python/mutants.py")
}

fn node_adapter() -> PathBuf {
    root().join("adapters/node/ivconform_adapter.mjs")
}

/// A shell command line for `--cmd`: the program, then each argument single-quoted.
fn shell_command(program: &str, args: &[&str]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    std::iter::once(program.to_string()).chain(args.iter().map(|a| quote(a))).collect::<Vec<_>>().join(" ")
}

/// `ivconform run IUT --json REPORT`: the process output and the parsed report (`Null` when none was written).
fn run(iut: &[&str], report: &Path) -> (Output, serde_json::Value) {
    let out = Command::new(bin())
        .arg("run")
        .args(iut)
        .args(["--quiet", "--no-timings", "--run-timeout", "120", "--json"])
        .arg(report)
        .stdin(Stdio::null())
        .output()
        .expect("the harness starts");
    let json = std::fs::read_to_string(report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    (out, json)
}

/// Whether an adapter implements JWT mode (claims verify_jwt and sign_jwt); without it, exactly jwt.json's
/// cases are skipped.
#[derive(Clone, Copy, PartialEq)]
enum Jwt {
    Claimed,
    NotClaimed,
}

/// Runs every golden vector against `iut` and asserts a conformant run: exit 0, all passed, nothing skipped
/// (but jwt.json's cases for an adapter without JWT mode), no security finding, and the adapter's `hello`
/// name. The JSON report is kept only when the run failed.
fn assert_all_pass(what: &str, iut: &[&str], expected_name: &str, jwt: Jwt) {
    let path = adapters_dir().join(format!("{}.json", what.replace(' ', "-")));
    let (out, report) = run(iut, &path);
    let s = &report["summary"];
    assert_eq!(out.status.code(), Some(0), "{what}: the harness did not report conformant: {s}\n{}", log(&out));
    let expected = vector_count();
    let skipped = if jwt == Jwt::Claimed { 0 } else { cases_in("jwt") };
    // J2's leeway window (jwt.json's `either` cases) ends as `either`, not as a pass.
    let window = || {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root().join("vectors/jwt.json")).unwrap()).unwrap();
        doc["cases"].as_array().unwrap().iter().filter(|c| c["expected"]["result"] == "either").count() as u64
    };
    let either = if jwt == Jwt::Claimed { window() } else { 0 };
    assert_eq!(s["total"].as_u64(), Some(expected), "{what}: every golden vector must run: {s}");
    assert_eq!(s["either"].as_u64(), Some(either), "{what}: the leeway-window cases: {s}");
    assert_eq!(
        s["pass"].as_u64(),
        Some(expected - skipped - either),
        "{what}: every case must pass: {s}\n{}",
        log(&out)
    );
    assert_eq!(s["skipped"].as_u64(), Some(skipped), "{what}: skipped: {s}");
    for key in ["fail", "error", "crash", "timeout", "expected_failure", "unexpected_pass"] {
        assert_eq!(s[key].as_u64(), Some(0), "{what}: {key} must be 0: {s}");
    }
    assert_eq!(report["security_findings"].as_array().map(Vec::len), Some(0), "{what}: {report}");
    assert_eq!(report["implementation"]["hello"]["name"], expected_name, "{what}: {}", report["implementation"]);
    let _ = std::fs::remove_file(&path);
    println!("{what}: {} of {expected} golden vectors passed", s["pass"]);
}

/// An adapter serving HTTP on a loopback port it chose; killed when dropped, also when a test fails.
struct HttpAdapter {
    child: Child,
    url: String,
    stderr: PathBuf,
}

impl HttpAdapter {
    /// Starts `program args.. --http 127.0.0.1:0` and waits (at most 15 s) for `listening on http://HOST:PORT/`.
    fn start(name: &str, program: &str, args: &[&str]) -> HttpAdapter {
        let stderr = adapters_dir().join(format!("{name}-http.stderr"));
        let child = Command::new(program)
            .args(args)
            .args(["--http", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start {program}: {e}"));
        let mut server = HttpAdapter { child, url: String::new(), stderr };
        // The first stdout line, read by a thread that then drains stdout until the child exits (so the child
        // never blocks on a full pipe); the wait for it is bounded.
        let stdout = server.child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines.by_ref() {}
        });
        let first = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(Some(Ok(line))) => line,
            other => {
                panic!("{name}: no `listening on` line within 15 s ({other:?}); stderr:\n{}", server.stderr_text())
            }
        };
        let url = first.strip_prefix("listening on ").unwrap_or_else(|| {
            panic!("{name}: the first stdout line must be `listening on http://HOST:PORT/`, got {first:?}")
        });
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
            "{name}: expected a loopback URL http://127.0.0.1:PORT/, got {url:?}"
        );
        server.url = url.to_string();
        server
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Asserts that the server is still running (it did not crash during the suite).
    fn assert_alive(&mut self, name: &str) {
        let status = self.child.try_wait().expect("try_wait");
        assert!(status.is_none(), "{name}: the HTTP adapter exited ({status:?}); stderr:\n{}", self.stderr_text());
    }
}

impl Drop for HttpAdapter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn python_adapter_passes_every_vector_over_stdio() {
    require_tool("python3", "python3");
    let cmd = shell_command("python3", &[python_adapter().to_str().unwrap()]);
    assert_all_pass("python adapter over stdio", &["--cmd", &cmd], "ivconform-python", Jwt::Claimed);
}

#[test]
fn python_adapter_passes_every_vector_over_http() {
    require_tool("python3", "python3");
    let mut server = HttpAdapter::start("python", "python3", &[python_adapter().to_str().unwrap()]);
    assert_all_pass(
        "python adapter over HTTP",
        &["--url", &server.url, "--jobs", "4"],
        "ivconform-python",
        Jwt::Claimed,
    );
    server.assert_alive("python");
}

#[test]
fn node_adapter_passes_every_vector_over_http() {
    let version = require_tool("node", "nodejs");
    let mut server = HttpAdapter::start("node", "node", &[node_adapter().to_str().unwrap()]);
    assert_all_pass(
        &format!("node adapter {version} over HTTP"),
        &["--url", &server.url, "--jobs", "4"],
        "ivconform-node",
        Jwt::NotClaimed,
    );
    server.assert_alive("node");
}

#[test]
fn node_adapter_passes_every_vector_over_stdio() {
    require_tool("node", "nodejs");
    let cmd = shell_command("node", &[node_adapter().to_str().unwrap()]);
    assert_all_pass("node adapter over stdio", &["--cmd", &cmd], "ivconform-node", Jwt::NotClaimed);
}

// ------------------------------------------------------------------------------------------------ mutants

/// The mutants issue 4 asks for by name; `--list-mutants` must have at least these.
const REQUIRED_MUTANTS: &[&str] = &[
    "email-first",
    "zero-falsy",
    "empty-user-id-hashed",
    "float-rendering",
    "uppercase-hex",
    "base64-output",
    "trim-identifier",
    "lowercase-email",
    "nfc-normalise",
    "html-escape",
    "ascii-replace",
    "nul-truncate",
    "swap-key-message",
    "hex-decode-secret",
    "empty-secret-accepted",
    "empty-string-hash",
    "web-secret-everywhere",
    "enforcement-ignored",
    "enforcement-one-platform-for-all",
    "hash-without-identifier-accepted",
    "duplicate-last-wins",
    "nested-duplicates-accepted",
    "no-limits",
    "coerce-non-string-hash",
    "lenient-hash-form",
    "early-exit-compare",
    "case-sensitive-hex",
];

/// The mutants issue 19 added for the new J2/J5 rules (every functional mutant must be killed by at least two
/// vectors; these must also exist).
const ISSUE_19_MUTANTS: &[&str] = &[
    "jwt-leeway-beyond-60",
    "jwt-nbf-ignored",
    "jwt-nbf-type-unchecked",
    "jwt-nbf-no-clock-accepted",
    "jwt-sign-email-dropped",
    "jwt-sign-exp-ignored",
    "jwt-sign-numeric-user-id",
    "jwt-sign-wrong-header-alg",
];

struct Mutant {
    name: String,
    description: String,
    timing_only: bool,
    /// A variant SPEC.md allows (a 0 s leeway, another claims serialisation): it must pass, proving the
    /// vectors grade the rule and not one implementation's choice.
    conformant: bool,
}

/// A failing case of a mutant's run.
struct Failure {
    id: String,
    group: String,
    outcome: String,
    rules: Vec<String>,
}

/// What one mutant's run gave.
struct MutantRun {
    exit: Option<i32>,
    total: u64,
    failures: Vec<Failure>,
    log: String,
}

/// `--list-mutants`: `NAME<TAB>description<TAB>timing-only|functional`, one a line.
fn list_mutants() -> Vec<Mutant> {
    let out = Command::new("python3").arg(python_mutants()).arg("--list-mutants").output().expect("python3 runs");
    assert!(out.status.success(), "--list-mutants failed:\n{}", log(&out));
    let text = String::from_utf8(out.stdout).expect("--list-mutants prints UTF-8");
    let mutants: Vec<Mutant> = text
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert!(
                fields.len() == 3 && !fields[0].is_empty() && !fields[1].is_empty(),
                "--list-mutants line is not NAME<TAB>description<TAB>kind: {line:?}"
            );
            let (timing_only, conformant) = match fields[2] {
                "timing-only" => (true, false),
                "functional" => (false, false),
                "conformant" => (false, true),
                other => panic!(
                    "--list-mutants: kind must be timing-only, functional or conformant, got {other:?} in {line:?}"
                ),
            };
            Mutant { name: fields[0].to_string(), description: fields[1].to_string(), timing_only, conformant }
        })
        .collect();
    let names: BTreeSet<&str> = mutants.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names.len(), mutants.len(), "--list-mutants has a name twice");
    let missing: Vec<&&str> = REQUIRED_MUTANTS.iter().filter(|n| !names.contains(**n)).collect();
    assert!(missing.is_empty(), "--list-mutants lacks the mutants issue 4 asks for: {missing:?}");
    let missing: Vec<&&str> = ISSUE_19_MUTANTS.iter().filter(|n| !names.contains(**n)).collect();
    assert!(missing.is_empty(), "--list-mutants lacks the mutants issue 19 asks for: {missing:?}");
    mutants
}

/// The whole suite over stdio against `--mutant NAME`.
fn run_mutant(mutant: &Mutant, dir: &Path) -> MutantRun {
    let cmd = shell_command("python3", &[python_mutants().to_str().unwrap(), "--mutant", &mutant.name]);
    let path = dir.join(format!("mutant-{}.json", mutant.name));
    let (out, report) = run(&["--cmd", &cmd], &path);
    let _ = std::fs::remove_file(&path); // what the matrix needs is read; ~100 KiB a mutant
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("?").to_string();
    let failures = cases
        .iter()
        .filter(|c| c["outcome"] != "pass" && c["outcome"] != "skipped" && c["outcome"] != "either")
        .map(|c| Failure {
            id: text(&c["id"]),
            group: text(&c["group"]),
            outcome: text(&c["outcome"]),
            rules: c["rules"].as_array().map(|r| r.iter().map(text).collect()).unwrap_or_default(),
        })
        .collect();
    MutantRun { exit: out.status.code(), total: cases.len() as u64, failures, log: log(&out) }
}

/// SPEC.md order: S, P, V, J, D, then the number.
fn rule_key(rule: &str) -> (usize, u32, String) {
    let family = "SPVJD".find(rule.chars().next().unwrap_or('?')).unwrap_or(9);
    (family, rule[1..].parse().unwrap_or(u32::MAX), rule.to_string())
}

/// The kill matrix as text, and what went wrong (a surviving functional mutant, a timing-only one that failed,
/// a run that did not complete).
fn kill_matrix(mutants: &[Mutant], runs: &BTreeMap<String, MutantRun>, seconds: f64) -> (String, Vec<String>) {
    let functional = mutants.iter().filter(|m| !m.timing_only && !m.conformant).count();
    let mut problems = Vec::new();
    let mut killed = 0;
    let mut rows =
        vec![["mutant", "kind", "verdict", "failing", "by group", "rules", "first failing cases"].map(String::from)];
    for m in mutants {
        let r = &runs[&m.name];
        let kind = if m.timing_only {
            "timing-only"
        } else if m.conformant {
            "conformant"
        } else {
            "functional"
        };
        let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
        let mut rules: BTreeSet<&str> = BTreeSet::new();
        for f in &r.failures {
            *groups.entry(f.group.as_str()).or_default() += 1;
            rules.extend(f.rules.iter().map(String::as_str));
        }
        let mut rules: Vec<&str> = rules.into_iter().collect();
        rules.sort_by_key(|r| rule_key(r));
        let verdict = match (m.timing_only || m.conformant, r.failures.is_empty(), r.exit) {
            _ if r.total != vector_count() => "BROKEN",
            (true, true, Some(0)) if m.conformant => "allowed",
            (true, false, _) if m.conformant => "REFUSED?!",
            // A functional mutant must fail at least two vectors (issue 15): a kill that rests on one vector is
            // one edit away from a survivor.
            (false, false, Some(1)) if r.failures.len() < 2 => "ONE KILL",
            (false, false, Some(1)) => "killed",
            (false, true, _) => "SURVIVED",
            (true, true, Some(0)) => "waiting",
            (true, false, _) => "KILLED?!",
            _ => "BROKEN",
        };
        match verdict {
            "killed" => killed += 1,
            "waiting" | "allowed" => {}
            _ => problems.push(format!(
                "{} ({kind}): {verdict}: exit {:?}, {} of {} cases ran, {} not passed\n{}",
                m.name,
                r.exit,
                r.total,
                vector_count(),
                r.failures.len(),
                r.log
            )),
        }
        let first = if m.timing_only && r.failures.is_empty() {
            "passes, as it must: only `ivconform timing` can tell".to_string()
        } else if m.conformant && r.failures.is_empty() {
            "passes, as SPEC.md allows".to_string()
        } else {
            let ids: Vec<&str> = r.failures.iter().take(3).map(|f| f.id.as_str()).collect();
            let more = if r.failures.len() > 3 { ", ..." } else { "" };
            // Outcomes other than a wrong answer (error, crash, timeout) are named: they kill too, but say why.
            let odd: BTreeSet<&str> = r.failures.iter().map(|f| f.outcome.as_str()).filter(|o| *o != "fail").collect();
            let odd = if odd.is_empty() { String::new() } else { format!(" (outcomes: {odd:?})") };
            format!("{}{more}{odd}", ids.join(", "))
        };
        let or_dash = |s: String| if s.is_empty() { "-".to_string() } else { s };
        rows.push([
            m.name.clone(),
            kind.to_string(),
            verdict.to_string(),
            r.failures.len().to_string(),
            or_dash(groups.iter().map(|(g, n)| format!("{g} {n}")).collect::<Vec<_>>().join(", ")),
            or_dash(rules.join(" ")),
            first,
        ]);
    }
    let widths: Vec<usize> = (0..6).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut table = String::new();
    for row in &rows {
        for (c, width) in widths.iter().enumerate() {
            let cell = &row[c];
            let pad = " ".repeat(width - cell.chars().count());
            // The count is right-aligned, the rest left-aligned.
            if c == 3 {
                write!(table, "{pad}{cell}  ").unwrap();
            } else {
                write!(table, "{cell}{pad}  ").unwrap();
            }
        }
        writeln!(table, "{}", row[6]).unwrap();
    }

    let timing: Vec<&str> = mutants.iter().filter(|m| m.timing_only).map(|m| m.name.as_str()).collect();
    let mut text = String::new();
    writeln!(
        text,
        "Kill matrix: {} mutants of adapters/python/ivconform_adapter.py (adapters/mutants/python/mutants.py), each \
         against the {} golden vectors over stdio ({seconds:.1} s)",
        mutants.len(),
        vector_count()
    )
    .unwrap();
    writeln!(
        text,
        "Kill rate: {killed} of {functional} functional mutants killed ({:.0}%); timing-only, for `ivconform timing`: \
         {}",
        if functional == 0 { 100.0 } else { 100.0 * killed as f64 / functional as f64 },
        if timing.is_empty() { "none".to_string() } else { timing.join(", ") }
    )
    .unwrap();
    let allowed: Vec<&str> = mutants.iter().filter(|m| m.conformant).map(|m| m.name.as_str()).collect();
    writeln!(text, "Conformant variants (SPEC.md allows them; each must pass): {}", allowed.join(", ")).unwrap();
    text.push('\n');
    text.push_str(&table);
    text.push_str("\nMutants:\n");
    let width = widths[0];
    for m in mutants {
        writeln!(text, "  {:<width$}  {}", m.name, m.description).unwrap();
    }
    (text, problems)
}

/// Every mutant's substitutions still apply to the template exactly once and the mutated source compiles: an edit
/// of the template that breaks a mutant is caught here, by name, not as a mysterious survivor.
#[test]
fn mutant_zoo_check_passes() {
    require_tool("python3", "python3");
    let out = Command::new("python3").arg(python_mutants()).arg("--check").output().expect("python3 runs");
    assert!(out.status.success(), "adapters/mutants/python/mutants.py --check failed:\n{}", log(&out));
}

#[test]
fn kill_matrix_every_functional_mutant_fails_two_cases() {
    require_tool("python3", "python3");
    let started = Instant::now();
    let mutants = list_mutants();
    let dir = adapters_dir();

    // A shared queue, PARALLEL_MUTANTS workers; each run is bounded by the harness's --timeout/--run-timeout.
    let queue = Mutex::new(mutants.iter().collect::<Vec<_>>());
    let runs = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_MUTANTS {
            scope.spawn(|| loop {
                let Some(mutant) = queue.lock().unwrap().pop() else { break };
                let run = run_mutant(mutant, &dir);
                runs.lock().unwrap().insert(mutant.name.clone(), run);
            });
        }
    });
    let runs = runs.into_inner().unwrap();
    let seconds = started.elapsed().as_secs_f64();

    let (matrix, mut problems) = kill_matrix(&mutants, &runs, seconds);
    problems.extend(coverage_table_problems(&mutants, &runs));
    println!("{matrix}");
    // target/kill-matrix.txt, next to the binaries cargo built (target/<profile>/ivconform); written whole.
    let target = Path::new(bin()).parent().and_then(Path::parent).expect("the harness binary is in target/<profile>");
    let tmp = target.join(format!("kill-matrix.txt.{}", std::process::id()));
    std::fs::write(&tmp, &matrix).unwrap();
    std::fs::rename(&tmp, target.join("kill-matrix.txt")).unwrap();

    assert!(
        problems.is_empty(),
        "{} mutant(s) broke the kill matrix's contract (a functional mutant must fail at least two cases, a \
         timing-only one must pass them all; a survivor is a gap in the vectors: add a vector, never weaken the \
         mutant):\n\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// docs/COVERAGE.md's table against the kill matrix: each row names a functional mutant of the zoo and vectors
/// that mutant fails; every functional mutant has a row. So the coverage method's table cannot rot.
fn coverage_table_problems(mutants: &[Mutant], runs: &BTreeMap<String, MutantRun>) -> Vec<String> {
    let path = root().join("docs/COVERAGE.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = text.find("<!-- coverage-table").expect("docs/COVERAGE.md has the coverage-table marker");
    let end = text.find("<!-- /coverage-table -->").expect("docs/COVERAGE.md closes the coverage table");
    let mut problems = Vec::new();
    let mut named = BTreeSet::new();
    let rows =
        text[start..end].lines().filter(|l| l.starts_with("| ") && !l.starts_with("| rule") && !l.starts_with("| ---"));
    let mut count = 0;
    for (n, row) in rows.enumerate() {
        count += 1;
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        let ticked = |cell: &str| -> Vec<String> { cell.split('`').skip(1).step_by(2).map(str::to_string).collect() };
        let (Some(vectors), Some(mutant)) = (cells.get(3), cells.get(4).and_then(|c| ticked(c).into_iter().next()))
        else {
            problems.push(format!(
                "docs/COVERAGE.md table row {}: not `| rule | decision | mistake | vectors | mutant |`: {row}",
                n + 1
            ));
            continue;
        };
        let Some(m) = mutants.iter().find(|m| m.name == mutant) else {
            problems.push(format!("docs/COVERAGE.md row {}: no mutant {mutant:?} in the zoo", n + 1));
            continue;
        };
        if m.timing_only || m.conformant {
            problems.push(format!("docs/COVERAGE.md row {}: {mutant} is not a functional mutant", n + 1));
        }
        named.insert(mutant.clone());
        let failed: BTreeSet<&str> = runs[&mutant].failures.iter().map(|f| f.id.as_str()).collect();
        let vectors = ticked(vectors);
        if vectors.len() < 2 {
            problems.push(format!("docs/COVERAGE.md row {}: {mutant}: fewer than two vectors listed", n + 1));
        }
        for v in vectors {
            if !failed.contains(v.as_str()) {
                problems.push(format!("docs/COVERAGE.md row {}: {mutant} does not fail {v} (any more?)", n + 1));
            }
        }
    }
    assert!(count > 0, "docs/COVERAGE.md's table has no rows");
    for m in mutants.iter().filter(|m| !m.timing_only && !m.conformant) {
        if !named.contains(&m.name) {
            problems.push(format!(
                "docs/COVERAGE.md: the functional mutant {} has no row (which cell does it prove?)",
                m.name
            ));
        }
    }
    problems
}
