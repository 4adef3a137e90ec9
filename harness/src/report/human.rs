//! The human report: a summary by rule and flag, each failure with its case, rules, expected vs actual and
//! a hint, the security findings, and a verdict. Colour only when the output is a terminal.

use super::{Counts, Report};
use crate::runner::CaseOutcome;
use console::Style;
use std::fmt::Write;

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// The verdict and the failures.
    Quiet,
    /// Summary tables, failures, findings, verdict.
    Normal,
    /// Also one line per case.
    Verbose,
}

fn counts_line(c: &Counts, declared: &str) -> String {
    let not_applicable = format!("not applicable (declared: {declared})");
    let mut parts = vec![format!("{} passed", c.pass)];
    for (n, what) in [
        (c.either, "either way (J2's leeway window: accepted or refused, both conformant, not graded)"),
        (c.fail, "failed"),
        (c.error, "errors"),
        (c.crash, "crashed"),
        (c.timeout, "timed out"),
        (c.skipped, "skipped"),
        (c.not_applicable, not_applicable.as_str()),
        (c.expected_failure, "expected failures"),
        (c.unexpected_pass, "unexpected passes"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.join(", ")
}

/// The declarations the not-applicable cases quote, once each (`secret text only; note: ...`).
fn declared(report: &Report<'_>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for r in &report.run.results {
        if let CaseOutcome::NotApplicable { declaration, .. } = &r.outcome {
            if !seen.contains(&declaration.as_str()) {
                seen.push(declaration);
            }
        }
    }
    seen.join(" / ")
}

/// Renders the report; `colour` turns ANSI styles on.
pub fn render(report: &Report<'_>, verbosity: Verbosity, colour: bool, timings: bool) -> String {
    let s = |style: Style| style.force_styling(colour);
    let red = s(Style::new().red().bold());
    let green = s(Style::new().green().bold());
    let yellow = s(Style::new().yellow());
    let dim = s(Style::new().dim());
    let mut out = String::new();
    let hello = report.hello();
    let counts = report.counts();
    let _ = writeln!(
        out,
        "ivconform {} · {} · {} {} ({}) over {}",
        env!("CARGO_PKG_VERSION"),
        report.suite,
        hello.name,
        hello.version,
        hello.language,
        report.transport
    );
    let claimed: Vec<&str> = hello.capabilities.iter().map(|c| c.as_str()).collect();
    let _ = writeln!(out, "claims: {}", if claimed.is_empty() { "nothing".into() } else { claimed.join(", ") });
    let time = if timings { format!(" in {:.2} s", report.wall().as_secs_f64()) } else { String::new() };
    let _ = writeln!(out, "{} cases: {}{time}", counts.total, counts_line(&counts, &declared(report)));
    // --fail-fast / --max-failures: say once why cases did not run.
    let stopped: Vec<&str> = report
        .run
        .results
        .iter()
        .filter_map(|r| match &r.outcome {
            CaseOutcome::Skipped { reason } if reason.starts_with("not run: ") => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    if let Some(first) = stopped.first() {
        let why = first.trim_start_matches("not run: ");
        let _ = writeln!(out, "{why}: {} case{} not run", stopped.len(), if stopped.len() == 1 { "" } else { "s" });
    }

    if verbosity == Verbosity::Verbose {
        let _ = writeln!(out);
        for r in &report.run.results {
            let case = &report.cases[r.index];
            let kind = r.outcome.kind();
            let styled = if r.outcome.is_bad() {
                red.apply_to(kind)
            } else if kind == "pass" {
                green.apply_to(kind)
            } else {
                yellow.apply_to(kind)
            };
            let t = if timings { format!(" {:>8.3} ms", r.duration.as_secs_f64() * 1000.0) } else { String::new() };
            let _ = writeln!(out, "  {styled:<16} {}{}", case.id, dim.apply_to(t));
        }
    }

    if verbosity != Verbosity::Quiet {
        let _ = writeln!(out, "\nBy rule:");
        for (rule, c) in report.by_rule() {
            let bad = c.bad();
            let mark =
                if bad > 0 { red.apply_to(format!("{bad} bad")).to_string() } else { green.apply_to("ok").to_string() };
            let _ =
                writeln!(out, "  {:<3} {:>4} cases  {:<8} {}", rule.id(), c.total, mark, dim.apply_to(rule.summary()));
        }
        let _ = writeln!(out, "\nBy flag:");
        for (flag, c) in report.by_flag() {
            let bad = c.bad();
            let mark =
                if bad > 0 { red.apply_to(format!("{bad} bad")).to_string() } else { green.apply_to("ok").to_string() };
            let _ = writeln!(out, "  {flag:<14} {:>4} cases  {mark}", c.total);
        }
    }

    let bad: Vec<_> = report.run.results.iter().filter(|r| r.outcome.is_bad()).collect();
    if !bad.is_empty() {
        let _ = writeln!(out, "\nFailures ({}):", bad.len());
        for r in bad {
            let case = &report.cases[r.index];
            let rules: Vec<&str> = case.rules.iter().map(|r| r.id()).collect();
            let flags: Vec<&str> = case.flags.iter().map(|f| f.as_str()).collect();
            let _ = writeln!(
                out,
                "  {} {}  [{}] {}",
                red.apply_to(r.outcome.kind().to_uppercase()),
                case.id,
                rules.join(" "),
                dim.apply_to(flags.join(" "))
            );
            match &r.outcome {
                CaseOutcome::Fail { expected, actual, hint } => {
                    let _ = writeln!(out, "      expected: {expected}");
                    let _ = writeln!(out, "      actual:   {actual}");
                    let _ = writeln!(out, "      hint:     {hint}");
                }
                CaseOutcome::Error { reason } | CaseOutcome::Crash { reason } | CaseOutcome::Timeout { reason } => {
                    let _ = writeln!(out, "      {reason}");
                }
                CaseOutcome::UnexpectedPass { reason } => {
                    let _ =
                        writeln!(out, "      passes now, but the expectations file says: {reason} (remove the entry)");
                }
                _ => {}
            }
        }
    }
    let xfail: Vec<_> =
        report.run.results.iter().filter(|r| matches!(r.outcome, CaseOutcome::ExpectedFailure { .. })).collect();
    if !xfail.is_empty() && verbosity != Verbosity::Quiet {
        let _ = writeln!(out, "\nExpected failures ({}):", xfail.len());
        for r in xfail {
            if let CaseOutcome::ExpectedFailure { failure, reason } = &r.outcome {
                let _ = writeln!(
                    out,
                    "  {} {} ({}): {reason}",
                    yellow.apply_to("XFAIL"),
                    report.cases[r.index].id,
                    failure.kind()
                );
            }
        }
    }
    if !report.stale_expectations.is_empty() {
        let _ = writeln!(out, "\nStale expectations (match no case of the suite; remove or fix them):");
        for s in &report.stale_expectations {
            let _ = writeln!(out, "  {s}");
        }
    }
    if !report.findings().is_empty() {
        let _ = writeln!(out, "\nSecurity findings (oracle leaks, separate from conformance):");
        for f in report.findings() {
            let _ = writeln!(out, "  {} {}: {} appears in the {}", red.apply_to("LEAK"), f.case, f.what, f.channel);
        }
    }
    let problems = report.problems();
    if problems.is_empty() {
        let _ = writeln!(out, "\nVerdict: {}", green.apply_to("CONFORMANT"));
    } else {
        let _ = writeln!(out, "\nVerdict: {} ({})", red.apply_to("NONCONFORMANT"), problems.join("; "));
    }
    out
}
