//! The human report: a tally by the rule each failure broke and by flag, identical failures grouped under
//! their cause with example cases, expected vs actual and a hint, the security findings, and a verdict. It
//! renders a run document ([`super::doc::RunDoc`]), so a live run and a saved one (`ivconform summary`) read
//! the same. Colour only when asked for (a terminal).

use super::doc::{CaseDoc, RunDoc};
use super::{Counts, Report};
use console::Style;
use std::collections::BTreeMap;
use std::fmt::Write;

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// The verdict and the failures.
    Quiet,
    /// Summary tables, failures, findings, verdict.
    Normal,
    /// Also one line per case, every case id of a group, and the full rule and flag tables.
    Verbose,
}

/// `1 case`, `2 cases`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `declared` quotes the implementation's declared limits, for the not-applicable count.
fn counts_line(c: &Counts, declared: &str) -> String {
    let not_applicable = format!("not applicable (declared: {declared})");
    let mut parts = vec![format!("{} passed", c.pass)];
    for (n, one, many) in [
        (c.either, "either way", "either way"),
        (c.fail, "failed", "failed"),
        (c.error, "error", "errors"),
        (c.crash, "crashed", "crashed"),
        (c.timeout, "timed out", "timed out"),
        (c.skipped, "skipped", "skipped"),
        (c.not_applicable, &not_applicable, &not_applicable),
        (c.expected_failure, "expected failure", "expected failures"),
        (c.unexpected_pass, "unexpected pass", "unexpected passes"),
    ] {
        if n > 0 {
            parts.push(plural(n, one, many));
        }
    }
    let mut line = parts.join(", ");
    if c.either > 0 {
        line += " (either way: J2's leeway window, accepted or refused, both conformant, not graded)";
    }
    line
}

/// The limits a `hello` declares (`limits`), in words: `secret text only, identifier user_id only; note: ...`.
fn declared(hello: &serde_json::Value) -> String {
    hello
        .get("limits")
        .and_then(|l| ivconform_protocol::Limits::from_value(l).ok())
        .map_or_else(|| "?".into(), |l| l.describe())
}

/// Renders a live run's report; `colour` turns ANSI styles on, `timings: false` leaves times out.
pub fn render(report: &Report<'_>, verbosity: Verbosity, colour: bool, timings: bool) -> String {
    render_doc(&RunDoc::of(report, timings), verbosity, colour, timings)
}

/// The styles of a report.
struct Styles {
    red: Style,
    green: Style,
    yellow: Style,
    dim: Style,
}

/// Wraps `items` (joined by ", ") into lines of at most `width` characters, each starting with `indent`.
fn wrap(items: &[String], indent: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && indent.len() + line.len() + 2 + item.len() > width {
            lines.push(format!("{indent}{line},"));
            line.clear();
        }
        if !line.is_empty() {
            line += ", ";
        }
        line += item;
    }
    if !line.is_empty() {
        lines.push(format!("{indent}{line}"));
    }
    lines
}

/// A rule's or flag's tally: cases tagged with it, bad cases tallied under it, bad cases tagged with it but
/// tallied under another rule.
#[derive(Default)]
struct Tally {
    cases: usize,
    broken: usize,
    tagged_bad: usize,
}

/// Renders a run document (live or read back from a file).
pub fn render_doc(doc: &RunDoc, verbosity: Verbosity, colour: bool, timings: bool) -> String {
    let s = |style: Style| style.force_styling(colour);
    let st = Styles {
        red: s(Style::new().red().bold()),
        green: s(Style::new().green().bold()),
        yellow: s(Style::new().yellow()),
        dim: s(Style::new().dim()),
    };
    let mut out = String::new();
    let hello = &doc.implementation.hello;
    let field = |k: &str| hello.get(k).and_then(|v| v.as_str()).unwrap_or("?");
    let counts = &doc.summary.counts;
    let suite = doc.meta.vectors.as_ref().map_or("?", |v| v.label.as_str());
    let _ = writeln!(
        out,
        "ivconform {} · {suite} · {} {} ({}) over {}",
        doc.meta.ivconform_version,
        field("name"),
        field("version"),
        field("language"),
        doc.implementation.transport
    );
    let claimed: Vec<&str> =
        hello.get("capabilities").and_then(|c| c.as_array()).into_iter().flatten().filter_map(|c| c.as_str()).collect();
    let _ = writeln!(out, "claims: {}", if claimed.is_empty() { "nothing".into() } else { claimed.join(", ") });
    let time = if timings { format!(" in {:.2} s", doc.summary.wall_seconds) } else { String::new() };
    let _ = writeln!(out, "{}: {}{time}", plural(counts.total, "case", "cases"), counts_line(counts, &declared(hello)));
    // --fail-fast / --max-failures: say once why cases did not run.
    let stopped: Vec<&str> = doc
        .cases
        .iter()
        .filter(|c| c.outcome == "skipped")
        .filter_map(|c| c.reason.as_deref().filter(|r| r.starts_with("not run: ")))
        .collect();
    if let Some(first) = stopped.first() {
        let why = first.trim_start_matches("not run: ");
        let _ = writeln!(out, "{why}: {} not run", plural(stopped.len(), "case", "cases"));
    }

    if verbosity == Verbosity::Verbose {
        let _ = writeln!(out);
        let kind_w = doc.cases.iter().map(|c| c.outcome.len()).max().unwrap_or(4);
        let id_w = doc.cases.iter().map(|c| c.id.chars().count()).max().unwrap_or(0);
        for c in &doc.cases {
            let padded = format!("{:<kind_w$}", c.outcome);
            let styled = if c.is_bad() {
                st.red.apply_to(padded)
            } else if c.outcome == "pass" {
                st.green.apply_to(padded)
            } else {
                st.yellow.apply_to(padded)
            };
            let t = if timings { format!(" {:>10.3} ms", c.duration_us as f64 / 1000.0) } else { String::new() };
            let line = format!("  {styled}  {:<id_w$}{}", c.id, st.dim.apply_to(t));
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }

    if verbosity != Verbosity::Quiet {
        tables(&mut out, doc, verbosity, &st);
    }
    failures(&mut out, doc, verbosity, &st);

    let xfail: Vec<&CaseDoc> = doc.cases.iter().filter(|c| c.outcome == "expected_failure").collect();
    if !xfail.is_empty() && verbosity != Verbosity::Quiet {
        let _ = writeln!(out, "\nExpected failures ({}):", xfail.len());
        for c in xfail {
            let kind = c.failure.as_ref().map_or("fail", |f| f.outcome.as_str());
            let _ = writeln!(
                out,
                "  {} {} ({kind}): {}",
                st.yellow.apply_to("XFAIL"),
                c.id,
                c.reason.as_deref().unwrap_or_default()
            );
        }
    }
    if !doc.stale_expectations.is_empty() {
        let _ = writeln!(out, "\nStale expectations (match no case of the suite; remove or fix them):");
        for s in &doc.stale_expectations {
            let _ = writeln!(out, "  {s}");
        }
    }
    if !doc.security_findings.is_empty() {
        let _ = writeln!(out, "\nSecurity findings (oracle leaks, separate from conformance):");
        for f in &doc.security_findings {
            let _ = writeln!(out, "  {} {}: {} appears in the {}", st.red.apply_to("LEAK"), f.case, f.what, f.channel);
        }
    }
    if doc.summary.problems.is_empty() && doc.summary.conformant {
        let _ = writeln!(out, "\nVerdict: {}", st.green.apply_to("CONFORMANT"));
    } else {
        let _ = writeln!(out, "\nVerdict: {} ({})", st.red.apply_to("NONCONFORMANT"), doc.summary.problems.join("; "));
    }
    out
}

/// The rule and flag tallies. A bad case counts under the rule it broke (its other rules keep it as
/// context: "also tagged on N failing cases"); with failures, rules and flags that are fine are listed on a
/// few lines, unless `-v`.
fn tables(out: &mut String, doc: &RunDoc, verbosity: Verbosity, st: &Styles) {
    // Keyed by (the rule book's order, id): known rules first in their order, unknown ids after.
    let mut rules: BTreeMap<(Option<ivconform_core::Rule>, String), Tally> = BTreeMap::new();
    let key = |id: &str| (id.parse::<ivconform_core::Rule>().ok(), id.to_string());
    for c in &doc.cases {
        let blamed = if c.is_bad() { c.blamed() } else { None };
        for r in &c.rules {
            let t = rules.entry(key(r)).or_default();
            t.cases += 1;
            if c.is_bad() && Some(r.as_str()) != blamed {
                t.tagged_bad += 1;
            }
        }
        if let Some(b) = blamed {
            let t = rules.entry(key(b)).or_default();
            t.broken += 1;
            if !c.rules.iter().any(|r| r == b) {
                t.cases += 1;
            }
        }
    }
    let (known, unknown): (Vec<_>, Vec<_>) = rules.into_iter().partition(|((r, _), _)| r.is_some());
    let rows: Vec<(String, String, Tally)> = known
        .into_iter()
        .chain(unknown)
        .map(|((r, id), t)| (id, r.map(|r| r.summary().to_string()).unwrap_or_default(), t))
        .collect();
    let any_bad = rows.iter().any(|(_, _, t)| t.broken > 0);
    let full = verbosity == Verbosity::Verbose || !any_bad;
    let _ = writeln!(out, "\nBy rule (each failure counts under the rule it broke):");
    let mut fine = Vec::new();
    for (id, summary, t) in &rows {
        if t.broken == 0 && !full {
            fine.push(format!("{id} {}", t.cases));
            continue;
        }
        let mark = if t.broken > 0 {
            st.red.apply_to(format!("{:<10}", format!("{} broken", t.broken))).to_string()
        } else {
            st.green.apply_to(format!("{:<10}", "ok")).to_string()
        };
        let context = if t.tagged_bad > 0 {
            format!(
                " (also tagged on {} that broke another rule)",
                plural(t.tagged_bad, "failing case", "failing cases")
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {id:<3} {:>11}  {mark} {}{context}",
            plural(t.cases, "case", "cases"),
            st.dim.apply_to(summary)
        );
    }
    if !fine.is_empty() {
        let _ = writeln!(out, "  ok ({}, cases each):", plural(fine.len(), "rule", "rules"));
        for line in wrap(&fine, "    ", 110) {
            let _ = writeln!(out, "{}", st.green.apply_to(line));
        }
    }

    let mut flags: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for c in &doc.cases {
        for f in &c.flags {
            let e = flags.entry(f.as_str()).or_default();
            e.0 += 1;
            e.1 += usize::from(c.is_bad());
        }
    }
    let _ = writeln!(out, "\nBy flag:");
    let mut fine = Vec::new();
    for (flag, (n, bad)) in &flags {
        if *bad == 0 && !full {
            fine.push(format!("{flag} {n}"));
            continue;
        }
        let mark = if *bad > 0 {
            st.red.apply_to(format!("{bad} bad")).to_string()
        } else {
            st.green.apply_to("ok").to_string()
        };
        let _ = writeln!(out, "  {flag:<14} {:>11}  {mark}", plural(*n, "case", "cases"));
    }
    if !fine.is_empty() {
        let _ = writeln!(out, "  ok ({}, cases each):", plural(fine.len(), "flag", "flags"));
        for line in wrap(&fine, "    ", 110) {
            let _ = writeln!(out, "{}", st.green.apply_to(line));
        }
    }
}

/// What makes failures "the same": outcome kind, blamed rule, and the cause ([`CaseDoc::cause`]).
type Cause = (String, String, String);

/// The [`Cause`] of a bad case.
fn cause(c: &CaseDoc) -> Cause {
    (c.outcome.clone(), c.blamed().unwrap_or_default().to_string(), c.cause())
}

/// The failures, identical ones grouped: the cause once, with its cases and one example's expected/actual.
fn failures(out: &mut String, doc: &RunDoc, verbosity: Verbosity, st: &Styles) {
    let bad: Vec<&CaseDoc> = doc.cases.iter().filter(|c| c.is_bad()).collect();
    if bad.is_empty() {
        return;
    }
    // Groups in order of first appearance, the largest first.
    let mut groups: Vec<(Cause, Vec<&CaseDoc>)> = Vec::new();
    for c in &bad {
        let key = cause(c);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, cases)) => cases.push(c),
            None => groups.push((key, vec![c])),
        }
    }
    groups.sort_by_key(|(_, cases)| std::cmp::Reverse(cases.len()));
    let _ = writeln!(out, "\nFailures ({}, {}):", bad.len(), plural(groups.len(), "cause", "causes"));
    for ((kind, rule, why), cases) in &groups {
        let first = cases[0];
        let label = st.red.apply_to(kind.to_uppercase());
        if cases.len() == 1 {
            let _ = writeln!(
                out,
                "  {label} {}  [{}] {}",
                first.id,
                first.rules.join(" "),
                st.dim.apply_to(first.flags.join(" "))
            );
        } else {
            let shown = if verbosity == Verbosity::Verbose { cases.len() } else { 3 };
            let ids: Vec<&str> = cases.iter().take(shown).map(|c| c.id.as_str()).collect();
            let more = cases.len().saturating_sub(shown);
            let more = if more > 0 { format!(", and {more} more") } else { String::new() };
            let rule = if why.starts_with(rule.as_str()) { String::new() } else { format!("{rule} — ") };
            let _ = writeln!(out, "  {label} {} — {rule}{why}", plural(cases.len(), "case", "cases"));
            let _ = writeln!(out, "      cases:    {}{more}", ids.join(", "));
            let _ = writeln!(
                out,
                "      e.g. {}  [{}] {}",
                first.id,
                first.rules.join(" "),
                st.dim.apply_to(first.flags.join(" "))
            );
        }
        match kind.as_str() {
            "fail" => {
                if let Some((expected, actual)) = first.summary_parts() {
                    let _ = writeln!(out, "      expected: {expected}");
                    let _ = writeln!(out, "      actual:   {actual}");
                }
                if cases.len() == 1 {
                    let _ = writeln!(out, "      hint:     {}", first.hint.as_deref().unwrap_or(why));
                }
            }
            "unexpected_pass" => {
                let _ = writeln!(out, "      passes now, but the expectations file says: {why} (remove the entry)");
            }
            _ => {
                if cases.len() == 1 {
                    let _ = writeln!(out, "      {}", first.reason.as_deref().unwrap_or(why));
                }
                if !first.comment.is_empty() {
                    let _ = writeln!(out, "      case:     {}", first.comment);
                }
            }
        }
    }
}
