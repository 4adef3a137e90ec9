//! Two saved runs compared (`ivconform diff OLD.json NEW.json`): new failures, fixes, other changed
//! outcomes, added and removed cases, and whether NEW is a regression of OLD.

use super::doc::{CaseDoc, RunDoc};
use super::human::plural;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One case whose outcome changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The case id.
    pub id: String,
    /// Its outcome in OLD.
    pub old: String,
    /// Its outcome in NEW.
    pub new: String,
    /// NEW's hint or reason (why it is bad now), if any.
    pub why: Option<String>,
}

/// The differences between two runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Cases good in OLD (or absent from it) that are bad in NEW.
    pub new_failures: Vec<Change>,
    /// Cases bad in OLD that are good in NEW.
    pub fixes: Vec<Change>,
    /// Other outcome changes (bad to another bad kind, pass to skipped, ...).
    pub changed: Vec<Change>,
    /// Case ids only NEW has.
    pub added: Vec<String>,
    /// Case ids only OLD has.
    pub removed: Vec<String>,
    /// Security findings (case: what) only NEW has.
    pub new_findings: Vec<String>,
    /// OLD was conformant, NEW is not.
    pub verdict_worse: bool,
}

impl Diff {
    /// True when NEW regressed: a new failure, a new security finding, or a verdict that got worse.
    pub fn regression(&self) -> bool {
        !self.new_failures.is_empty() || !self.new_findings.is_empty() || self.verdict_worse
    }
}

fn why(c: &CaseDoc) -> Option<String> {
    c.hint.clone().or_else(|| c.reason.clone())
}

/// Compares `old` and `new` case by case (by id).
pub fn diff(old: &RunDoc, new: &RunDoc) -> Diff {
    let olds: BTreeMap<&str, &CaseDoc> = old.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let news: BTreeMap<&str, &CaseDoc> = new.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut d = Diff::default();
    for c in &new.cases {
        match olds.get(c.id.as_str()) {
            None => {
                d.added.push(c.id.clone());
                if c.is_bad() {
                    d.new_failures.push(Change {
                        id: c.id.clone(),
                        old: "absent".into(),
                        new: c.outcome.clone(),
                        why: why(c),
                    });
                }
            }
            Some(o) if o.outcome != c.outcome => {
                let change = Change { id: c.id.clone(), old: o.outcome.clone(), new: c.outcome.clone(), why: why(c) };
                match (o.is_bad(), c.is_bad()) {
                    (false, true) => d.new_failures.push(change),
                    (true, false) => d.fixes.push(change),
                    _ => d.changed.push(change),
                }
            }
            Some(_) => {}
        }
    }
    d.removed = old.cases.iter().filter(|c| !news.contains_key(c.id.as_str())).map(|c| c.id.clone()).collect();
    let finding = |f: &super::doc::Finding| format!("{}: {} in the {}", f.case, f.what, f.channel);
    let old_findings: Vec<String> = old.security_findings.iter().map(finding).collect();
    d.new_findings = new.security_findings.iter().map(finding).filter(|f| !old_findings.contains(f)).collect();
    d.verdict_worse = old.summary.conformant && !new.summary.conformant;
    d
}

/// The diff in words, for a terminal.
pub fn render(d: &Diff, old: &RunDoc, new: &RunDoc) -> String {
    let mut out = String::new();
    for (label, run) in [("old", old), ("new", new)] {
        let _ = writeln!(
            out,
            "{label}: {} over {} ({}, {})",
            run.implementation_name(),
            run.implementation.transport,
            plural(run.cases.len(), "case", "cases"),
            if run.summary.conformant { "conformant" } else { "nonconformant" }
        );
    }
    let section = |out: &mut String, title: &str, items: &[Change]| {
        if items.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{title} ({}):", items.len());
        let w = items.iter().map(|c| c.id.chars().count()).max().unwrap_or(0);
        for c in items {
            let why = c.why.as_deref().map(|w| format!("  {w}")).unwrap_or_default();
            let _ = writeln!(out, "  {:<w$}  {} -> {}{why}", c.id, c.old, c.new);
        }
    };
    section(&mut out, "New failures", &d.new_failures);
    section(&mut out, "Fixed", &d.fixes);
    section(&mut out, "Changed outcomes", &d.changed);
    for (title, ids) in
        [("Added cases", &d.added), ("Removed cases", &d.removed), ("New security findings", &d.new_findings)]
    {
        if !ids.is_empty() {
            let _ = writeln!(out, "\n{title} ({}):", ids.len());
            for id in ids {
                let _ = writeln!(out, "  {id}");
            }
        }
    }
    let verdict = if d.regression() {
        let mut why = Vec::new();
        if !d.new_failures.is_empty() {
            why.push(plural(d.new_failures.len(), "new failure", "new failures"));
        }
        if !d.new_findings.is_empty() {
            why.push(plural(d.new_findings.len(), "new security finding", "new security findings"));
        }
        if d.verdict_worse {
            why.push("the verdict went from conformant to nonconformant".into());
        }
        format!("REGRESSION ({})", why.join("; "))
    } else if d.fixes.is_empty() && d.changed.is_empty() && d.added.is_empty() && d.removed.is_empty() {
        "no change".into()
    } else {
        format!("no regression ({} fixed)", d.fixes.len())
    };
    let _ = writeln!(out, "\nDiff: {verdict}");
    out
}
