//! The HTML report (`ivconform report RUN.json... --html OUT.html`, `run --html FILE`): one self-contained
//! file (inline CSS, no script, no network). For one run: the rule and flag tallies, the failures grouped by
//! cause with their cases, expected vs actual. For several runs: a matrix of implementations by rule and by
//! case, in the manner of Bowtie's report. Every string from a run (above all the implementation's) is
//! sanitised ([`crate::sanitize::iut_text`]) and HTML-escaped.

use super::doc::{CaseDoc, RunDoc};
use super::human::plural;
use std::collections::BTreeMap;
use std::fmt::Write;

/// `text` sanitised (control characters escaped, length capped) and HTML-escaped.
pub fn text(s: &str) -> String {
    escape(&crate::sanitize::iut_text(s))
}

pub use crate::sanitize::html_escape as escape;

/// `s` cut to 300 characters (with a count of the rest): a 1 KiB identifier would fill the screen.
fn shorten(s: &str) -> String {
    let n = s.chars().count();
    if n <= 300 {
        return s.to_string();
    }
    format!("{}… ({} more characters; the JSON report has all)", s.chars().take(300).collect::<String>(), n - 300)
}

const STYLE: &str = r#"
:root { --pass: #1a7f37; --bad: #cf222e; --other: #9a6700; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 1200px;
       padding: 0 16px; color: #1f2328; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); margin: 0 0 12px; overflow-wrap: anywhere; }
p.meta span { display: inline-block; margin-right: 14px; }
.verdict { display: inline-block; padding: 3px 10px; border-radius: 4px; font-weight: 600; }
.verdict.ok { background: var(--pass); color: #fff; } .verdict.bad { background: var(--bad); color: #fff; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.desc { color: var(--muted); max-width: 560px; }
.pass { color: var(--pass); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
.other { color: var(--other); } .none { color: var(--muted); }
td.cell-pass { background: #dafbe1; } td.cell-bad { background: #ffebe9; } td.cell-other { background: #fff8c5; }
td.cell-none { background: #fff; color: var(--muted); }
.matrix th.impl { writing-mode: horizontal-tb; max-width: 180px; }
code, .mono { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.group { border: 1px solid var(--line); border-left: 4px solid var(--bad); border-radius: 4px; padding: 8px 12px;
         margin: 10px 0; background: #fff; }
.group h3 { font-size: 14px; margin: 0 0 6px; } .group .ids { color: var(--muted); }
.group .ids code { word-break: normal; white-space: nowrap; }
dl.ea { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 6px 0 0; }
dl.ea dt { color: var(--muted); } dl.ea dd { margin: 0; }
details summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
pre { background: var(--bg); padding: 8px; overflow-x: auto; }
"#;

fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    );
}

fn outcome_class(kind: &str) -> &'static str {
    match kind {
        "pass" => "pass",
        k if super::doc::is_bad_kind(k) => "bad",
        "absent" => "none",
        _ => "other",
    }
}

/// Renders one run or several as one HTML document.
pub fn render(runs: &[RunDoc]) -> String {
    let mut out = String::new();
    match runs {
        [] => {
            head(&mut out, "ivconform report");
            out.push_str("<h1>ivconform report</h1><p>No runs.</p>\n");
        }
        [run] => single(&mut out, run),
        runs => matrix(&mut out, runs),
    }
    out.push_str(&format!(
        "<p class=\"meta\">Written by ivconform {}. Schema ivconform-report/1 (docs/report.schema.json).</p>\n</body>\n</html>\n",
        escape(env!("CARGO_PKG_VERSION"))
    ));
    out
}

fn meta_line(out: &mut String, run: &RunDoc) {
    let m = &run.meta;
    let hello = &run.implementation.hello;
    let lang = hello.get("language").and_then(|v| v.as_str()).unwrap_or("?");
    let _ = writeln!(
        out,
        "<p class=\"meta\"><span>{} ({})</span><span>over {}</span><span>{}</span><span>started {}</span>\
         <span>host {}</span><span>ivconform {}</span></p>",
        text(&run.implementation_name()),
        text(lang),
        text(&run.implementation.transport),
        text(m.vectors.as_ref().map_or("?", |v| v.label.as_str())),
        text(m.started_at.as_deref().unwrap_or("(not recorded)")),
        text(m.host.as_deref().unwrap_or("?")),
        text(&m.ivconform_version),
    );
}

fn verdict(run: &RunDoc) -> String {
    if run.summary.conformant {
        "<span class=\"verdict ok\">CONFORMANT</span>".into()
    } else {
        format!(
            "<span class=\"verdict bad\">NONCONFORMANT</span> <span class=\"meta\">{}</span>",
            text(&run.summary.problems.join("; "))
        )
    }
}

/// Per rule: (cases tagged or blamed, cases blamed).
fn rule_tally(run: &RunDoc) -> BTreeMap<String, (usize, usize)> {
    let mut m: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for c in &run.cases {
        for r in &c.rules {
            m.entry(r.clone()).or_default().0 += 1;
        }
        if c.is_bad() {
            if let Some(b) = c.blamed() {
                let e = m.entry(b.to_string()).or_default();
                e.1 += 1;
                if !c.rules.iter().any(|r| r == b) {
                    e.0 += 1;
                }
            }
        }
    }
    m
}

fn rule_order(id: &str) -> (usize, u32) {
    let fam = "SPVJD".find(id.chars().next().unwrap_or('Z')).unwrap_or(9);
    (fam, id[1..].parse().unwrap_or(0))
}

fn rule_summary(id: &str) -> &'static str {
    id.parse::<ivconform_core::Rule>().map(|r| r.summary()).unwrap_or("")
}

fn single(out: &mut String, run: &RunDoc) {
    let title = format!("ivconform: {}", crate::sanitize::iut_text(&run.implementation_name()));
    head(out, &title);
    let _ = writeln!(out, "<h1>{}</h1>", text(&title));
    meta_line(out, run);
    let c = &run.summary.counts;
    let mut parts = vec![format!("{} passed", c.pass)];
    for (n, what) in [
        (c.either, "either way (J2's leeway window, not graded)"),
        (c.fail, "failed"),
        (c.error + c.crash + c.timeout, "errors, crashes or timeouts"),
        (c.skipped, "skipped"),
        (c.not_applicable, "not applicable"),
        (c.expected_failure, "expected failures"),
        (c.unexpected_pass, "unexpected passes"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let _ = writeln!(
        out,
        "<p>{} &nbsp; <span id=\"counts\">{}: {}</span></p>",
        verdict(run),
        plural(c.total, "case", "cases"),
        text(&parts.join(", "))
    );

    out.push_str("<h2>By rule</h2>\n<table id=\"rules\"><tr><th>rule</th><th>cases</th><th>broken</th><th>what it says</th></tr>\n");
    let mut rules: Vec<(String, (usize, usize))> = rule_tally(run).into_iter().collect();
    rules.sort_by_key(|(id, _)| rule_order(id));
    for (id, (n, broken)) in &rules {
        let cell = if *broken > 0 {
            format!("<td class=\"num cell-bad\"><span class=\"bad\">{broken}</span></td>")
        } else {
            "<td class=\"num cell-pass\"><span class=\"pass\">ok</span></td>".into()
        };
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td class=\"num\">{n}</td>{cell}<td class=\"desc\">{}</td></tr>",
            text(id),
            escape(rule_summary(id))
        );
    }
    out.push_str("</table>\n");

    let mut flags: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for c in &run.cases {
        for f in &c.flags {
            let e = flags.entry(f.as_str()).or_default();
            e.0 += 1;
            e.1 += usize::from(c.is_bad());
        }
    }
    out.push_str("<h2>By flag</h2>\n<table id=\"flags\"><tr><th>flag</th><th>cases</th><th>bad</th></tr>\n");
    for (flag, (n, bad)) in &flags {
        let cell = if *bad > 0 {
            format!("<td class=\"num cell-bad\"><span class=\"bad\">{bad}</span></td>")
        } else {
            "<td class=\"num cell-pass\"><span class=\"pass\">ok</span></td>".into()
        };
        let _ = writeln!(out, "<tr><th>{}</th><td class=\"num\">{n}</td>{cell}</tr>", text(flag));
    }
    out.push_str("</table>\n");

    // Failures grouped by cause.
    let bad: Vec<&CaseDoc> = run.cases.iter().filter(|c| c.is_bad()).collect();
    let mut groups: Vec<((String, String), Vec<&CaseDoc>)> = Vec::new();
    for c in &bad {
        let key = (c.outcome.clone(), c.cause());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(c),
            None => groups.push((key, vec![c])),
        }
    }
    groups.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    let _ = writeln!(out, "<h2>Failures ({}, {})</h2>", bad.len(), plural(groups.len(), "cause", "causes"));
    if bad.is_empty() {
        out.push_str("<p class=\"pass\">None.</p>\n");
    }
    for ((kind, why), cases) in &groups {
        let first = cases[0];
        let _ = writeln!(
            out,
            "<div class=\"group\"><h3><span class=\"bad\">{}</span> {} — {} <span class=\"meta\">({})</span></h3>",
            text(&kind.to_uppercase()),
            plural(cases.len(), "case", "cases"),
            text(why),
            text(first.blamed().unwrap_or("?"))
        );
        let ids: Vec<String> = cases.iter().map(|c| format!("<code>{}</code>", text(&c.id))).collect();
        let _ = writeln!(out, "<div class=\"ids\">{}</div>", ids.join(", "));
        out.push_str("<dl class=\"ea\">");
        let _ = write!(
            out,
            "<dt>e.g.</dt><dd><code>{}</code> [{}] {}</dd>",
            text(&first.id),
            text(&first.rules.join(" ")),
            text(&first.flags.join(" "))
        );
        if !first.comment.is_empty() {
            let _ = write!(out, "<dt>case</dt><dd>{}</dd>", text(&first.comment));
        }
        if let Some((e, a)) = first.summary_parts() {
            let _ = write!(
                out,
                "<dt>expected</dt><dd class=\"mono\">{}</dd><dt>actual</dt><dd class=\"mono\">{}</dd>",
                text(&shorten(e)),
                text(&shorten(a))
            );
        }
        out.push_str("</dl></div>\n");
    }
    if !run.security_findings.is_empty() {
        out.push_str("<h2>Security findings</h2>\n<ul>\n");
        for f in &run.security_findings {
            let _ = writeln!(
                out,
                "<li><span class=\"bad\">LEAK</span> <code>{}</code>: {} appears in the {}</li>",
                text(&f.case),
                text(&f.what),
                text(&f.channel)
            );
        }
        out.push_str("</ul>\n");
    }
    if !run.stderr_tail.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>The implementation's stderr (tail)</summary><pre>{}</pre></details>",
            escape(&run.stderr_tail)
        );
    }
    out.push_str("<h2>Every case</h2>\n<details><summary>");
    let _ = write!(out, "{} (click to open)</summary>\n<table id=\"cases\"><tr><th>case</th><th>outcome</th><th>rules</th><th>flags</th></tr>\n", plural(run.cases.len(), "case", "cases"));
    for c in &run.cases {
        let cls = outcome_class(&c.outcome);
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"cell-{cls}\"><span class=\"{cls}\">{}</span></td><td>{}</td><td>{}</td></tr>",
            text(&c.id),
            text(&c.outcome),
            text(&c.rules.join(" ")),
            text(&c.flags.join(" "))
        );
    }
    out.push_str("</table></details>\n");
}

fn matrix(out: &mut String, runs: &[RunDoc]) {
    head(out, "ivconform: implementations compared");
    let _ = writeln!(out, "<h1>{} implementations compared</h1>", runs.len());
    out.push_str("<table id=\"implementations\"><tr><th>#</th><th>implementation</th><th>language</th><th>transport</th><th>vectors</th><th>verdict</th><th>passed</th><th>bad</th></tr>\n");
    for (i, r) in runs.iter().enumerate() {
        let lang = r.implementation.hello.get("language").and_then(|v| v.as_str()).unwrap_or("?");
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            i + 1,
            text(&r.implementation_name()),
            text(lang),
            text(&r.implementation.transport),
            text(r.meta.vectors.as_ref().map_or("?", |v| v.label.as_str())),
            if r.summary.conformant { "<span class=\"pass\">conformant</span>" } else { "<span class=\"bad\">nonconformant</span>" },
            r.summary.counts.pass,
            r.summary.counts.bad()
        );
    }
    out.push_str("</table>\n");
    let header = |out: &mut String, first: &str| {
        let _ = write!(out, "<tr><th>{first}</th>");
        for r in runs {
            let _ = write!(out, "<th class=\"impl\">{}</th>", text(&r.implementation_name()));
        }
        out.push_str("</tr>\n");
    };

    // By rule.
    let tallies: Vec<BTreeMap<String, (usize, usize)>> = runs.iter().map(rule_tally).collect();
    let mut ids: Vec<String> = tallies.iter().flat_map(|t| t.keys().cloned()).collect();
    ids.sort_by_key(|id| rule_order(id));
    ids.dedup();
    out.push_str("<h2>By rule</h2>\n<p class=\"meta\">Each cell: the failures that broke the rule, of the cases tallied under it.</p>\n<table class=\"matrix\" id=\"rule-matrix\">");
    header(out, "rule");
    for id in &ids {
        let _ = write!(out, "<tr><th title=\"{}\">{}</th>", escape(rule_summary(id)), text(id));
        for (i, t) in tallies.iter().enumerate() {
            let cell = match t.get(id) {
                None => "<td class=\"cell-none\">—</td>".to_string(),
                Some((n, 0)) => format!("<td class=\"cell-pass\" data-run=\"{i}\" data-rule=\"{}\">ok <span class=\"meta\">{n}</span></td>", text(id)),
                Some((n, b)) => format!("<td class=\"cell-bad\" data-run=\"{i}\" data-rule=\"{}\"><span class=\"bad\">{b}</span> / {n}</td>", text(id)),
            };
            out.push_str(&cell);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");

    // By case: the cases on which some implementation is not a plain pass, then all of them.
    let maps: Vec<BTreeMap<&str, &CaseDoc>> =
        runs.iter().map(|r| r.cases.iter().map(|c| (c.id.as_str(), c)).collect()).collect();
    let mut order: Vec<&str> = Vec::new();
    for r in runs {
        for c in &r.cases {
            if !order.contains(&c.id.as_str()) {
                order.push(&c.id);
            }
        }
    }
    let row = |out: &mut String, id: &str| {
        let _ = write!(out, "<tr><th><code>{}</code></th>", text(id));
        for (i, m) in maps.iter().enumerate() {
            match m.get(id) {
                Some(c) => {
                    let cls = outcome_class(&c.outcome);
                    let title = c.hint.as_deref().or(c.reason.as_deref()).map(text).unwrap_or_default();
                    let _ = write!(
                        out,
                        "<td class=\"cell-{cls}\" data-run=\"{i}\" data-case=\"{}\" title=\"{title}\">{}</td>",
                        text(id),
                        text(&c.outcome)
                    );
                }
                None => out.push_str("<td class=\"cell-none\">—</td>"),
            }
        }
        out.push_str("</tr>\n");
    };
    let differing: Vec<&str> =
        order.iter().copied().filter(|id| maps.iter().any(|m| m.get(id).is_none_or(|c| c.outcome != "pass"))).collect();
    let _ = writeln!(
        out,
        "<h2>By case</h2>\n<p class=\"meta\">{} where some implementation did not simply pass (hover a cell for the hint).</p>",
        plural(differing.len(), "case", "cases")
    );
    out.push_str("<table class=\"matrix\" id=\"case-matrix\">");
    header(out, "case");
    for id in &differing {
        row(out, id);
    }
    out.push_str("</table>\n");
    let _ = writeln!(
        out,
        "<details><summary>All {} (click to open)</summary><table class=\"matrix\" id=\"all-cases\">",
        plural(order.len(), "case", "cases")
    );
    header(out, "case");
    for id in &order {
        row(out, id);
    }
    out.push_str("</table></details>\n");
}
