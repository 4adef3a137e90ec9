//! Reports: snapshot tests pinning the human summary, the JUnit XML and the JSON report of a small fixed run
//! (the proxy fixture in `uppercase` mode fails two signing cases and passes the rest); the JSON report
//! against its published schema (docs/report.schema.json); `--json -`; the HTML report of three runs in
//! headless Chromium; `diff` and `summary` on saved runs; the tally of an uppercase-hex adapter; the JUnit
//! report's times, properties and stderr.

use crate::util::{bin, fixtures, ivconform, log, require_tool, root, scratch, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The selection of the small fixed run: two signing cases the uppercase proxy fails, three it passes.
const SMALL: [&str; 8] =
    ["--case", "sign-only-*", "--case", "rfc4231-case-2", "--case", "verify-prod-web-visitor", "--case", "payload-bom"];

/// The report's text with what differs between machines and runs (the command line's paths, the host)
/// replaced by placeholders; everything else, key order included, as written.
fn redacted(text: &str) -> String {
    let mut out = Vec::new();
    let mut in_argv = false;
    for line in text.lines() {
        let key = line.trim_start();
        if in_argv {
            in_argv = !key.starts_with(']');
            continue;
        }
        if key.starts_with("\"command_line\": [") {
            in_argv = !key.ends_with("],") && !key.ends_with(']');
            out.push(line.split(':').next().unwrap().to_string() + ": \"[command line]\",");
        } else if key.starts_with("\"host\": ") {
            out.push(line.split(':').next().unwrap().to_string() + ": \"[host]\",");
        } else {
            out.push(line.to_string());
        }
    }
    out.join("\n") + "\n"
}

#[test]
fn reports_of_a_small_fixed_run() {
    let dir = scratch("reports-fixed");
    let (junit, json) = (dir.join("junit.xml"), dir.join("report.json"));
    let out = Command::new(bin())
        .args(["run", "--cmd", "python3 proxy.py uppercase", "--no-timings"])
        .args(SMALL)
        .args(["--junit", junit.to_str().unwrap(), "--json", json.to_str().unwrap()])
        .env("IVCONFORM_BIN", bin())
        .current_dir(fixtures())
        .output()
        .expect("the harness runs");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!("human", String::from_utf8_lossy(&out.stdout));
    insta::assert_snapshot!("junit", std::fs::read_to_string(&junit).unwrap());
    insta::assert_snapshot!("json", redacted(&std::fs::read_to_string(&json).unwrap()));
}

/// The published schema, compiled.
fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).expect("docs/report.schema.json is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap_or_else(|e| panic!("docs/report.schema.json does not compile: {e}"))
}

fn violations(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

/// `ivconform run ARGS --json -` from the fixtures directory: the parsed report (stdout) and the output.
fn run_json(args: &[&str]) -> (Value, std::process::Output) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", "-"]);
    let out = ivconform(&all);
    let doc =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", text(&out)));
    (doc, out)
}

/// The JSON of a passing and of a failing run validates against docs/report.schema.json, and carries run
/// metadata and structured values; `--json -` is stdout with the human report on stderr; the schema rejects
/// broken reports (checked by hand, not by our own writer).
#[test]
fn json_reports_validate_against_the_published_schema() {
    let v = schema();
    let (pass, out) = run_json(&["--reference", "--group", "sign"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Verdict: CONFORMANT"),
        "human report on stderr: {}",
        text(&out)
    );
    assert_eq!(violations(&v, &pass), Vec::<String>::new());
    assert_eq!(pass["schema"], "ivconform-report/1");
    assert_eq!(pass["command"], "run");
    let meta = &pass["meta"];
    assert_eq!(meta["ivconform_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(meta["vectors"]["source"], "bundled");
    assert_eq!(meta["vectors"]["name"], "golden vectors");
    let started = meta["started_at"].as_str().expect("a start time");
    assert!(started.len() == 20 && started.ends_with('Z') && started.as_bytes()[10] == b'T', "{started}");
    assert!(meta["host"].is_string());
    let argv: Vec<&str> = meta["command_line"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(argv[1..], ["run", "--reference", "--group", "sign", "--json", "-"]);
    assert!(meta["durations"]["wall_seconds"].as_f64().unwrap() > 0.0);

    let (fail, out) = run_json(&["--cmd", "python3 proxy.py uppercase"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(violations(&v, &fail), Vec::<String>::new());
    let case = fail["cases"].as_array().unwrap().iter().find(|c| c["id"] == "sign-only-email").expect("the case");
    assert_eq!(case["outcome"], "fail");
    assert_eq!(case["broke"], "S1");
    assert_eq!(case["expected"]["kind"], "hash");
    assert_eq!(case["actual"]["kind"], "hash");
    assert_eq!(case["actual"]["value"].as_str().unwrap(), case["expected"]["value"].as_str().unwrap().to_uppercase());
    let verify = fail["cases"].as_array().unwrap().iter().find(|c| c["id"] == "verify-prod-web-visitor").unwrap();
    assert_eq!(verify["expected"], serde_json::json!({"kind": "verify", "result": "accept", "as": "visitor"}));

    // Broken reports, edited by hand: each must be refused.
    let mut broken = Vec::new();
    let mut doc = fail.clone();
    doc["schema"] = Value::from("ivconform-report/0");
    broken.push(("another schema id", doc));
    let mut doc = fail.clone();
    doc.as_object_mut().unwrap().remove("cases");
    broken.push(("no cases", doc));
    let mut doc = fail.clone();
    doc["cases"][0]["outcome"] = Value::from("passed");
    broken.push(("an unknown outcome", doc));
    let mut doc = fail.clone();
    let i = doc["cases"].as_array().unwrap().iter().position(|c| c["outcome"] == "fail").unwrap();
    doc["cases"][i].as_object_mut().unwrap().remove("broke");
    broken.push(("a failure without the rule it broke", doc));
    let mut doc = fail.clone();
    doc["cases"][i]["actual"] = Value::from("user_hash ABC");
    broken.push(("a prose actual value", doc));
    let mut doc = fail.clone();
    doc["meta"]["started_at"] = Value::from("yesterday");
    broken.push(("a start time that is not RFC 3339", doc));
    let mut doc = fail;
    doc["summary"]["pass"] = Value::from(-1);
    broken.push(("a negative count", doc));
    for (what, doc) in broken {
        assert!(!v.is_valid(&doc), "the schema accepts a report with {what}");
    }
}

/// `--json -` and `--junit -` together: one stdout, a usage error before anything runs.
#[test]
fn two_reports_cannot_share_stdout() {
    let out = ivconform(&["run", "--reference", "--json", "-", "--junit", "-"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(log(&out).contains("only one report can go to stdout"), "{}", text(&out));
}

/// Saved runs of the reference and of two mutants (uppercase hex, trimmed identifiers), in `dir`.
fn three_runs(dir: &Path) -> Vec<PathBuf> {
    let mutant =
        |m: &str| format!("python3 {} --mutant {m}", root().join("adapters/mutants/python/mutants.py").display());
    let mut paths = Vec::new();
    for (name, iut) in [
        ("reference", vec!["--reference".to_string()]),
        ("uppercase", vec!["--cmd".into(), mutant("uppercase-hex")]),
        ("trim", vec!["--cmd".into(), mutant("trim-identifier")]),
    ] {
        let path = dir.join(format!("{name}.json"));
        let mut args: Vec<&str> = vec!["run", "-q", "--no-timings", "--json", path.to_str().unwrap()];
        args.extend(iut.iter().map(String::as_str));
        let out = ivconform(&args);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{name}: {}", text(&out));
        paths.push(path);
    }
    paths
}

/// Headless Chromium on a local file, with `flags`; stdout.
fn chromium(file: &Path, profile: &Path, flags: &[&str]) -> String {
    let out = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(flags)
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("chromium is needed for this test: apt-get install -y chromium (.ci/deps.txt lists it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The HTML report of three runs renders in headless Chromium with the matrix by rule and by case (DOM
/// cells checked against what the mutants are known to break), is self-contained (no script, no network),
/// and a screenshot is taken; `diff` and `summary` read the same saved runs.
#[test]
fn html_matrix_of_three_runs_diff_and_summary() {
    require_tool("chromium", "chromium");
    let dir = scratch("reports-html");
    let runs = three_runs(&dir);
    let html = dir.join("matrix.html");
    let mut args = vec!["report"];
    args.extend(runs.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--html", html.to_str().unwrap()]);
    let out = ivconform(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    for banned in ["<script", "http://", "https://", "<link", "@import", "src="] {
        assert!(!page.contains(banned), "the report is not self-contained: {banned}");
    }
    let dom = chromium(&html, &dir.join("profile"), &["--dump-dom"]);
    assert!(dom.contains("id=\"rule-matrix\"") && dom.contains("id=\"case-matrix\""), "{dom}");
    let cell = |run: usize, attr: &str, id: &str| -> Option<String> {
        let needle = format!("data-run=\"{run}\" data-{attr}=\"{id}\"");
        let at = dom.find(&needle)?;
        let start = dom[..at].rfind("<td")?;
        Some(dom[start..start + dom[start..].find("</td>")?].to_string())
    };
    // The reference is fine everywhere; uppercase hex breaks S1 alone; trimming breaks S3.
    assert!(cell(0, "rule", "S1").unwrap().contains("cell-pass"));
    assert!(cell(1, "rule", "S1").unwrap().contains("cell-bad"));
    assert!(cell(1, "rule", "S3").unwrap().contains("cell-pass"));
    assert!(cell(2, "rule", "S3").unwrap().contains("cell-bad"));
    let c = cell(1, "case", "sign-only-user-id").expect("the case row");
    assert!(c.contains("cell-bad") && c.contains(">fail"), "{c}");
    assert!(cell(0, "case", "sign-only-user-id").unwrap().contains(">pass"));
    let shot = dir.join("matrix.png");
    chromium(&html, &dir.join("profile"), &[&format!("--screenshot={}", shot.display()), "--window-size=1280,1400"]);
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{} bytes", png.len());

    // diff: the reference against the uppercase mutant regressed (exit 1), the other way round fixed (0),
    // a run against itself changed nothing (0).
    let (reference, upper) = (runs[0].to_str().unwrap(), runs[1].to_str().unwrap());
    let out = ivconform(&["diff", reference, upper]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("New failures (") && said.contains("sign-only-user-id") && said.contains("REGRESSION"),
        "{said}"
    );
    let out = ivconform(&["diff", upper, reference]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Fixed ("), "{}", text(&out));
    let out = ivconform(&["diff", reference, reference]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Diff: no change"), "{}", text(&out));

    // summary: the human report of the saved run is the run's own (both without timings), exit as the run.
    let out = ivconform(&["summary", upper]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let live = ivconform(&[
        "run",
        "--no-timings",
        "--cmd",
        &format!("python3 {} --mutant uppercase-hex", root().join("adapters/mutants/python/mutants.py").display()),
    ]);
    let strip_header = |s: &[u8]| String::from_utf8_lossy(s).lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(strip_header(&out.stdout), strip_header(&live.stdout));
}

/// `diff` and `summary` on bad input: exit 2, naming the file and what is wrong.
#[test]
fn diff_and_summary_refuse_bad_input() {
    let dir = scratch("reports-bad");
    let not_json = dir.join("notes.txt");
    std::fs::write(&not_json, "hello").unwrap();
    let other = dir.join("bench.json");
    std::fs::write(&other, r#"{"schema": "ivconform-report/1", "command": "bench", "meta": {}}"#).unwrap();
    let old = dir.join("old.json");
    std::fs::write(&old, r#"{"cases": []}"#).unwrap();
    let missing = dir.join("missing.json");
    for (args, want) in [
        (vec!["diff", not_json.to_str().unwrap(), not_json.to_str().unwrap()], "not JSON"),
        (vec!["diff", other.to_str().unwrap(), other.to_str().unwrap()], "not of a run"),
        (vec!["summary", old.to_str().unwrap()], "no \"schema\" field"),
        (vec!["summary", missing.to_str().unwrap()], "missing.json"),
        (vec!["summary", dir.to_str().unwrap()], "a directory"),
    ] {
        let out = ivconform(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        let file = Path::new(args.last().unwrap()).file_name().unwrap().to_str().unwrap();
        assert!(err.contains(file), "{args:?}: the message names the file: {err}");
    }
}

/// The done-means test of issue 16: an adapter whose only bug is uppercase hex (the mutant zoo's
/// uppercase-hex) shows S1 as the only broken rule, its identical failures as one group naming the mistake,
/// and the whole report fits on a page (50 lines).
#[test]
fn uppercase_hex_breaks_s1_alone_on_one_page() {
    let mutants = root().join("adapters/mutants/python/mutants.py");
    let out =
        ivconform(&["run", "--no-timings", "--cmd", &format!("python3 {} --mutant uppercase-hex", mutants.display())]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let broken: Vec<&str> = report.lines().filter(|l| l.contains(" broken ")).collect();
    assert_eq!(broken.len(), 1, "{report}");
    assert!(broken[0].trim_start().starts_with("S1 "), "{report}");
    let groups: Vec<&str> = report.lines().filter(|l| l.starts_with("  FAIL ")).collect();
    assert_eq!(groups.len(), 1, "one cause: {report}");
    assert!(groups[0].contains("S1: user_hash must be lowercase hex"), "{report}");
    let n: usize = groups[0].split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(report.contains(&format!("Failures ({n}, 1 cause):")), "{report}");
    let lines = report.lines().count();
    assert!(lines <= 50, "{lines} lines, more than a page:\n{report}");
}

/// JUnit: each suite has time, timestamp and skipped, each case a time with microsecond precision and its
/// rules, flags and broken rule as properties; a suite with a failure carries the IUT's stderr tail,
/// sanitised.
#[test]
fn junit_has_times_properties_and_stderr() {
    let dir = scratch("reports-junit");
    let junit = dir.join("junit.xml");
    // The IUT writes a line with an escape sequence to stderr before it starts answering.
    let cmd = "sh -c 'printf \"debug: starting \\033[31mred\\n\" >&2; exec python3 proxy.py uppercase'";
    let mut args = vec!["run", "--cmd", cmd, "--junit", junit.to_str().unwrap()];
    args.extend(SMALL);
    args.extend(["--case", "jwt-valid-user-id", "--require", "sign"]);
    let out = ivconform(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit XML parses");
    let suites: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testsuite")).collect();
    assert!(!suites.is_empty());
    for s in &suites {
        for attr in ["time", "timestamp", "skipped", "tests", "failures", "errors"] {
            assert!(s.attribute(attr).is_some(), "testsuite {:?} has no {attr}", s.attribute("name"));
        }
        let ts = s.attribute("timestamp").unwrap();
        assert!(ts.len() == 20 && ts.ends_with('Z'), "{ts}");
    }
    let sign = suites.iter().find(|s| s.attribute("name") == Some("sign")).expect("the sign suite");
    assert_eq!(sign.attribute("failures"), Some("2"));
    let err = sign.children().find(|n| n.has_tag_name("system-err")).expect("system-err").text().unwrap_or_default();
    assert!(err.contains("debug: starting"), "{err}");
    assert!(!err.contains('\u{1b}'), "the escape is escaped: {err:?}");
    for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        let time = case.attribute("time").expect("a testcase time");
        let (_, frac) = time.split_once('.').expect("seconds with a fraction");
        assert_eq!(frac.len(), 6, "microseconds: {time}");
        let props: Vec<(&str, &str)> = case
            .descendants()
            .filter(|n| n.has_tag_name("property"))
            .map(|p| (p.attribute("name").unwrap(), p.attribute("value").unwrap()))
            .collect();
        assert!(props.iter().any(|(n, _)| *n == "rules") && props.iter().any(|(n, _)| *n == "flags"), "{props:?}");
        if case.children().any(|n| n.has_tag_name("failure")) {
            assert!(props.contains(&("broke", "S1")), "{props:?}");
        }
    }
    let any_time_nonzero = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .any(|c| !c.attribute("time").unwrap().trim_start_matches(['0', '.']).is_empty());
    assert!(any_time_nonzero, "some case took a measurable time");
    let jwt = suites.iter().find(|s| s.attribute("name") == Some("jwt"));
    if let Some(jwt) = jwt {
        assert_eq!(jwt.attribute("skipped"), Some("0"), "the proxy claims verify_jwt");
    }
}

/// `timing` and `bench` write their reports in the same envelope, and they validate against the schema.
#[test]
fn timing_and_bench_reports_share_the_envelope() {
    let v = schema();
    let dir = scratch("reports-envelope");
    let timing = dir.join("timing.json");
    let out = ivconform(&["timing", "--reference", "inproc", "--samples", "2000", "--json", timing.to_str().unwrap()]);
    assert!(matches!(out.status.code(), Some(0 | 1 | 4)), "{}", text(&out));
    let bench = ivconform(&["bench", "--reference", "inproc", "--duration", "0.2", "--json", "-"]);
    assert_eq!(bench.status.code(), Some(0), "{}", text(&bench));
    for (command, doc) in [
        ("timing", serde_json::from_str::<Value>(&std::fs::read_to_string(&timing).unwrap()).unwrap()),
        ("bench", serde_json::from_slice::<Value>(&bench.stdout).unwrap()),
    ] {
        assert_eq!(doc["schema"], "ivconform-report/1", "{command}");
        assert_eq!(doc["command"], command);
        assert!(doc["meta"]["started_at"].is_string(), "{command}: {}", doc["meta"]);
        assert_eq!(violations(&v, &doc), Vec::<String>::new(), "{command}");
    }
}

/// `props` and `fuzz` write the same envelope (`--json`, `-` for stdout with the human report on stderr) and
/// JUnit (`--junit`): the JSON validates against the schema and says what ran; the XML parses, with one
/// testcase per property (props) or for the campaign (fuzz), and a failing property is a failure.
#[test]
fn props_and_fuzz_write_json_and_junit() {
    let v = schema();
    let dir = scratch("reports-props-fuzz");
    let (props_xml, fuzz_xml, fuzz_json) = (dir.join("props.xml"), dir.join("fuzz.xml"), dir.join("fuzz.json"));
    let props = ivconform(&[
        "props",
        "--reference",
        "inproc",
        "--cases",
        "16",
        "-q",
        "--json",
        "-",
        "--junit",
        props_xml.to_str().unwrap(),
    ]);
    assert_eq!(props.status.code(), Some(0), "{}", text(&props));
    let doc: Value = serde_json::from_slice(&props.stdout).expect("stdout holds the JSON report alone");
    assert!(String::from_utf8_lossy(&props.stderr).contains("Verdict: every property held"), "{}", text(&props));
    assert_eq!(doc["command"], "props");
    assert_eq!(doc["properties"].as_array().map(Vec::len), Some(6), "{doc}");
    assert!(doc["properties"].as_array().unwrap().iter().all(|p| p["result"] == "pass"), "{doc}");
    assert_eq!(violations(&v, &doc), Vec::<String>::new());
    let xml = std::fs::read_to_string(&props_xml).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 6, "{xml}");
    assert!(xml.contains("failures=\"0\"") && xml.contains("timestamp=\""), "{xml}");

    let fuzz = ivconform(&[
        "fuzz",
        "--reference",
        "inproc",
        "--cases",
        "200",
        "-q",
        "--json",
        fuzz_json.to_str().unwrap(),
        "--junit",
        fuzz_xml.to_str().unwrap(),
    ]);
    assert_eq!(fuzz.status.code(), Some(0), "{}", text(&fuzz));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&fuzz_json).unwrap()).unwrap();
    assert_eq!(
        (doc["command"].as_str(), doc["payloads"].as_u64(), doc["exit_code"].as_u64()),
        (Some("fuzz"), Some(200), Some(0))
    );
    assert_eq!(violations(&v, &doc), Vec::<String>::new());
    let xml = std::fs::read_to_string(&fuzz_xml).unwrap();
    assert!(xml.contains("<testcase name=\"differential fuzz\"") && xml.contains("failures=\"0\""), "{xml}");

    // Two reports on stdout is a usage error, before anything runs.
    let both = ivconform(&["props", "--reference", "inproc", "--json", "-", "--junit", "-"]);
    assert_eq!(both.status.code(), Some(2), "{}", text(&both));

    // A failing property is a JUnit failure and exit 1 (the uppercase proxy signs in uppercase hex).
    let xml_path = dir.join("props-fail.xml");
    let failing = ivconform(&[
        "props",
        "--cmd",
        "python3 proxy.py uppercase",
        "--property",
        "sign",
        "--cases",
        "8",
        "-q",
        "--junit",
        xml_path.to_str().unwrap(),
    ]);
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing));
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    assert!(xml.contains("failures=\"1\"") && xml.contains("<failure"), "{xml}");
}
