//! End-to-end tests of `ivconform bench`: short runs against the reference (in-process, stdio, FFI), the
//! JSON report, baselines (save, compare, a forced regression against a deliberately slowed IUT exiting 1),
//! and the latency plot parsing as SVG/XML.

use crate::util::*;
use std::path::PathBuf;
use std::process::Output;

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ivconform-bench-{}-{name}", std::process::id()))
}

/// Short, so the suite stays fast; what matters is that every part runs and reports sensibly.
const SHORT: [&str; 4] = ["--duration", "0.3", "--warmup", "0.05"];

fn json_run(extra: &[&str]) -> (Output, serde_json::Value) {
    let mut args = vec!["bench", "--json", "-"];
    args.extend_from_slice(&SHORT);
    args.extend_from_slice(extra);
    let out = ivconform(&args);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, json)
}

fn check_stats(s: &serde_json::Value) {
    assert!(s["ok"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["errors"].as_u64(), Some(0), "{s}");
    assert!(s["ops_per_sec"].as_f64().unwrap() > 0.0, "{s}");
    let l = &s["latency_ns"];
    let (p50, p90, p99, max) = (
        l["p50"].as_u64().unwrap(),
        l["p90"].as_u64().unwrap(),
        l["p99"].as_u64().unwrap(),
        l["max"].as_u64().unwrap(),
    );
    assert!(0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max, "{l}");
}

#[test]
fn reference_over_stdio_reports_both_operations_with_calibration() {
    let (out, json) = json_run(&["--reference", "stdio"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json["format"], "ivconform-bench/1");
    let ops = json["ops"].as_array().unwrap();
    assert_eq!(ops.iter().map(|o| o["op"].as_str().unwrap()).collect::<Vec<_>>(), ["sign", "verify"]);
    for o in ops {
        check_stats(&o["iut"]);
        check_stats(&o["reference"]);
        assert!(o["ratio_to_reference"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn stdio_pipelining_keeps_requests_in_flight_and_checks_every_answer() {
    let (out, json) = json_run(&["--cmd", "python3 proxy.py honest", "--pipeline", "8", "--op", "sign"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(json["iut"].as_str().unwrap().contains("pipelined, 8 in flight"), "{json}");
    check_stats(&json["ops"][0]["iut"]);
    check_stats(&json["ops"][0]["reference"]);
    // A wrong answer under pipelining is an error, not throughput: exit 1.
    let (out, json) =
        json_run(&["--cmd", "python3 proxy.py uppercase", "--pipeline", "4", "--op", "sign", "--no-calibration"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(json["ops"][0]["iut"]["errors"].as_u64().unwrap() > 0, "{json}");
    assert_eq!(json["ops"][0]["iut"]["ok"].as_u64(), Some(0), "{json}");
}

#[test]
fn in_process_count_mode_and_the_human_summary() {
    let out = ivconform(&["bench", "--reference", "inproc", "--count", "500", "--warmup", "0", "--no-calibration"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in ["calls/s", "p50", "p90", "p99", "max", "sign", "verify"] {
        assert!(stdout.contains(needle), "{needle} missing:\n{stdout}");
    }
    let (out, json) = json_run(&["--reference", "inproc", "--count", "300", "--no-calibration", "--op", "sign"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json["ops"][0]["iut"]["ok"].as_u64(), Some(300), "{json}");
    assert!(json["ops"][0].get("reference").is_none());
}

#[test]
fn ffi_runs_the_raw_entry_points_in_a_child() {
    let (out, json) = json_run(&["--reference", "ffi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for o in json["ops"].as_array().unwrap() {
        check_stats(&o["iut"]);
        assert_eq!(o["iut"]["ffi_raw"], true, "{o}");
    }
}

#[test]
fn baseline_save_compare_and_a_forced_regression() {
    let base = temp("baseline.json");
    let base_s = base.to_str().unwrap();
    let honest = ["--cmd", "python3 proxy.py honest", "--op", "sign", "--duration", "0.5", "--warmup", "0.1"];
    let mut args = vec!["bench"];
    args.extend_from_slice(&honest);
    args.extend_from_slice(&["--save-baseline", base_s]);
    let out = ivconform(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    assert!(saved["ops"][0]["ratio_to_reference"].as_f64().unwrap() > 0.0, "{saved}");

    // The same implementation again: within a generous threshold (the machine is noisy, the ratio is not).
    let mut args = vec!["bench"];
    args.extend_from_slice(&honest);
    args.extend_from_slice(&["--baseline", base_s, "--max-regression", "80"]);
    let out = ivconform(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("within the baseline"), "{}", text(&out));

    // A deliberately slowed implementation (0.3 s per answer) against the same baseline: exit 1.
    let report = temp("slow.json");
    let out = ivconform(&[
        "bench",
        "--cmd",
        "python3 proxy.py slow",
        "--op",
        "sign",
        "--duration",
        "0.5",
        "--warmup",
        "0",
        "--baseline",
        base_s,
        "--max-regression",
        "80",
        "--json",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("REGRESSION"), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let c = &json["baseline"]["comparisons"][0];
    assert_eq!(c["metric"], "ratio_to_reference");
    assert_eq!(c["regressed"], true);
    assert!(c["change_pct"].as_f64().unwrap() < -80.0, "{c}");
    let _ = std::fs::remove_file(&base);
    let _ = std::fs::remove_file(&report);
}

#[test]
fn the_plot_is_an_svg_that_parses_as_xml() {
    let plot = temp("latency.svg");
    let mut args = vec!["bench", "--reference", "inproc", "--plot", plot.to_str().unwrap()];
    args.extend_from_slice(&SHORT);
    let out = ivconform(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let svg = std::fs::read_to_string(&plot).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the plot is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    let bars = root.descendants().filter(|n| n.has_tag_name("rect")).count();
    assert!(bars > 5, "expected histogram bars, found {bars} rects");
    let texts: Vec<&str> =
        root.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(str::trim).collect();
    for needle in ["sign", "verify"] {
        assert!(texts.iter().any(|t| t.starts_with(needle)), "no {needle} panel in {texts:?}");
    }
    assert!(texts.iter().any(|t| t.starts_with("p99")), "no p99 marker in {texts:?}");
    let _ = std::fs::remove_file(&plot);
}

#[test]
fn usage_errors_exit_2() {
    let out = ivconform(&["bench", "--reference", "--baseline", "/nonexistent/baseline.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = ivconform(&["bench", "--duration", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn rounds_are_interleaved_and_the_ratio_and_the_change_have_intervals() {
    let base = temp("rounds-baseline.json");
    let common = ["--reference", "inproc", "--op", "sign", "--duration", "0.6", "--warmup", "0.05", "--rounds", "6"];
    let mut args = vec!["bench", "--quiet"];
    args.extend_from_slice(&common);
    args.extend_from_slice(&["--save-baseline", base.to_str().unwrap()]);
    let out = ivconform(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    assert_eq!(saved["rounds"], 6, "{saved}");
    let op = &saved["ops"][0];
    let rounds = op["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 6, "{op}");
    // The median ratio, recomputed here from the rounds, and an interval around it.
    let mut ratios: Vec<f64> = rounds
        .iter()
        .map(|r| r["iut_ops_per_sec"].as_f64().unwrap() / r["reference_ops_per_sec"].as_f64().unwrap())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let median = (ratios[2] + ratios[3]) / 2.0;
    let ratio = op["ratio_to_reference"].as_f64().unwrap();
    assert!((ratio - median).abs() < 1e-9 * median.max(1.0), "{ratio} vs the rounds' median {median}");
    let (lo, hi) = (op["ratio_interval"]["low"].as_f64().unwrap(), op["ratio_interval"]["high"].as_f64().unwrap());
    assert!(
        lo <= ratio && ratio <= hi && lo >= ratios[0] && hi <= ratios[5],
        "[{lo}, {hi}] around {ratio}: {ratios:?}"
    );
    assert_eq!(op["ratio_interval"]["resamples"], 2000);

    // Against that baseline: the change is reported with its interval, and a regression needs all of it.
    let mut args = vec!["bench", "--quiet", "--json", "-"];
    args.extend_from_slice(&common);
    args.extend_from_slice(&["--baseline", base.to_str().unwrap(), "--max-regression", "50"]);
    let out = ivconform(&args);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let c = &json["baseline"]["comparisons"][0];
    let [lo, hi] = [c["change_interval_pct"][0].as_f64().unwrap(), c["change_interval_pct"][1].as_f64().unwrap()];
    assert!(lo <= hi, "{c}");
    assert_eq!(c["regressed"].as_bool(), Some(hi < -50.0), "{c}");
    assert_eq!(out.status.code(), Some(if hi < -50.0 { 1 } else { 0 }), "{}", text(&out));
    let _ = std::fs::remove_file(&base);
}

#[test]
fn the_timing_plot_shows_both_classes_and_the_verdict() {
    let plot = temp("timing.svg");
    let out =
        ivconform(&["timing", "--reference", "ffi", "--samples", "20000", "--quiet", "--plot", plot.to_str().unwrap()]);
    // Pass, Fail or Inconclusive on a loaded machine: the picture is drawn whatever the verdict.
    assert!(matches!(out.status.code(), Some(0 | 1 | 4)), "{}", text(&out));
    let verdict = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Verdict: ").and_then(|v| v.split(':').next()).map(str::to_string))
        .expect("a verdict line");
    let svg = std::fs::read_to_string(&plot).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the timing plot is well-formed XML");
    let texts: Vec<&str> =
        doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(str::trim).collect();
    assert!(texts.contains(&format!("Verdict: {verdict}").as_str()), "the report's verdict {verdict} in {texts:?}");
    for needle in ["pair 1:", "pair 2:", "class A", "class B"] {
        assert!(texts.iter().any(|t| t.starts_with(needle)), "no {needle} in {texts:?}");
    }
    // Two classes per pair, nine deciles each: at least 36 markers.
    assert!(doc.descendants().filter(|n| n.has_tag_name("circle")).count() >= 36);
    let _ = std::fs::remove_file(&plot);
}
