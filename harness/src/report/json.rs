//! The JSON report (`--json FILE`): suite version, the IUT's hello, per-case outcomes with expected and
//! actual, timings, findings. Field names are stable; new fields may be added.

use super::{Counts, Report};
use crate::leak::LeakFinding;
use crate::runner::CaseOutcome;
use ivconform_protocol::Hello;
use serde::Serialize;

#[derive(Serialize)]
struct Doc<'a> {
    ivconform_version: &'static str,
    suite_version: &'static str,
    suite: &'a str,
    implementation: Implementation<'a>,
    summary: Summary,
    cases: Vec<Case<'a>>,
    security_findings: &'a [LeakFinding],
    stale_expectations: &'a [String],
}

#[derive(Serialize)]
struct Implementation<'a> {
    transport: &'a str,
    hello: &'a Hello,
}

#[derive(Serialize)]
struct Summary {
    conformant: bool,
    #[serde(flatten)]
    counts: Counts,
    wall_seconds: f64,
    /// Time to start the IUT and shake hands (included in wall_seconds).
    startup_seconds: f64,
    /// Sum of the per-case round trips (time waiting on the IUT).
    calls_seconds: f64,
    restarts: usize,
}

#[derive(Serialize)]
struct Case<'a> {
    id: &'a str,
    group: &'static str,
    rules: Vec<&'static str>,
    flags: Vec<&'static str>,
    #[serde(flatten)]
    outcome: &'a CaseOutcome,
    duration_us: u128,
}

/// Renders the report as pretty JSON; `timings: false` zeroes every duration (for reproducible output).
pub fn render(report: &Report<'_>, timings: bool) -> String {
    let doc = Doc {
        ivconform_version: env!("CARGO_PKG_VERSION"),
        suite_version: ivconform_vectors::SUITE_VERSION,
        suite: &report.suite,
        implementation: Implementation { transport: &report.transport, hello: report.hello() },
        summary: Summary {
            conformant: report.conformant(),
            counts: report.counts(),
            wall_seconds: if timings { report.wall().as_secs_f64() } else { 0.0 },
            startup_seconds: if timings { report.run.startup.as_secs_f64() } else { 0.0 },
            calls_seconds: if timings {
                report.run.results.iter().map(|r| r.duration.as_secs_f64()).sum()
            } else {
                0.0
            },
            restarts: report.run.restarts,
        },
        cases: report
            .run
            .results
            .iter()
            .map(|r| {
                let c = &report.cases[r.index];
                Case {
                    id: &c.id,
                    group: c.group.as_str(),
                    rules: c.rules.iter().map(|r| r.id()).collect(),
                    flags: c.flags.iter().map(|f| f.as_str()).collect(),
                    outcome: &r.outcome,
                    duration_us: if timings { r.duration.as_micros() } else { 0 },
                }
            })
            .collect(),
        security_findings: report.findings(),
        stale_expectations: &report.stale_expectations,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("reports serialise");
    s.push('\n');
    s
}
