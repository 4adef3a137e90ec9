//! Reports of a run: for people ([`human`], [`html`]), for CI systems ([`junit`]) and for tools ([`json`],
//! the document of [`doc`], whose schema is docs/report.schema.json); [`diff`] compares two saved runs.

pub mod diff;
pub mod doc;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;

#[cfg(test)]
mod tests;

use crate::leak::LeakFinding;
use crate::runner::{CaseOutcome, RunResult};
use crate::suite::plan::PlannedCase;
use ivconform_protocol::Hello;
use std::collections::BTreeMap;
use std::time::Duration;

/// Everything a report shows, independent of the output format.
pub struct Report<'a> {
    /// The cases that ran, in plan order.
    pub cases: &'a [PlannedCase],
    /// The run's results (same order).
    pub run: &'a RunResult,
    /// How the IUT was reached.
    pub transport: String,
    /// Which suite ran: `golden vectors 1.0.0` or the Wycheproof file's name.
    pub suite: String,
    /// Expectations-file entries that matched no case of the suite.
    pub stale_expectations: Vec<String>,
    /// Capabilities the run required (`--require`) that the implementation does not claim.
    pub missing_required: Vec<String>,
}

/// Counts of each outcome kind.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Counts {
    /// Total cases.
    pub total: usize,
    /// Passed.
    pub pass: usize,
    /// J2's leeway window: a conformant answer of two, not graded (not a pass).
    pub either: usize,
    /// Wrong answers.
    pub fail: usize,
    /// Protocol violations.
    pub error: usize,
    /// Crashes.
    pub crash: usize,
    /// Timeouts.
    pub timeout: usize,
    /// Not run (capability not claimed).
    pub skipped: usize,
    /// Not run: a declared limit of the implementation's API (never a pass).
    pub not_applicable: usize,
    /// Known failures.
    pub expected_failure: usize,
    /// Known failures that passed.
    pub unexpected_pass: usize,
}

impl Counts {
    /// Adds one outcome.
    pub fn add(&mut self, o: &CaseOutcome) {
        self.total += 1;
        match o {
            CaseOutcome::Pass => self.pass += 1,
            CaseOutcome::Either { .. } => self.either += 1,
            CaseOutcome::Fail { .. } => self.fail += 1,
            CaseOutcome::Error { .. } => self.error += 1,
            CaseOutcome::Crash { .. } => self.crash += 1,
            CaseOutcome::Timeout { .. } => self.timeout += 1,
            CaseOutcome::Skipped { .. } => self.skipped += 1,
            CaseOutcome::NotApplicable { .. } => self.not_applicable += 1,
            CaseOutcome::ExpectedFailure { .. } => self.expected_failure += 1,
            CaseOutcome::UnexpectedPass { .. } => self.unexpected_pass += 1,
        }
    }

    /// Cases that make the implementation nonconformant.
    pub fn bad(&self) -> usize {
        self.fail + self.error + self.crash + self.timeout + self.unexpected_pass
    }
}

impl Report<'_> {
    /// Counts over all cases.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for r in &self.run.results {
            c.add(&r.outcome);
        }
        c
    }

    /// Counts per rule id.
    pub fn by_rule(&self) -> BTreeMap<ivconform_core::Rule, Counts> {
        let mut m: BTreeMap<_, Counts> = BTreeMap::new();
        for r in &self.run.results {
            for rule in &self.cases[r.index].rules {
                m.entry(*rule).or_default().add(&r.outcome);
            }
        }
        m
    }

    /// Counts per flag.
    pub fn by_flag(&self) -> BTreeMap<&'static str, Counts> {
        let mut m: BTreeMap<_, Counts> = BTreeMap::new();
        for r in &self.run.results {
            for flag in &self.cases[r.index].flags {
                m.entry(flag.as_str()).or_default().add(&r.outcome);
            }
        }
        m
    }

    /// True when no case is bad, no finding was made and no expectation is stale.
    pub fn conformant(&self) -> bool {
        self.problems().is_empty()
    }

    /// How many cases ran (were sent to the implementation or failed trying): not skipped, not applicable.
    pub fn executed(&self) -> usize {
        self.run
            .results
            .iter()
            .filter(|r| !matches!(r.outcome, CaseOutcome::Skipped { .. } | CaseOutcome::NotApplicable { .. }))
            .count()
    }

    /// Why the run is not conformant, one line each; empty when it is. A run in which nothing was tested is
    /// never conformant: a gate that passes an implementation claiming no capability tests nothing.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let bad = self.counts().bad();
        if bad > 0 {
            out.push(format!("{bad} case{} not conformant", if bad == 1 { "" } else { "s" }));
        }
        if !self.run.findings.is_empty() {
            let n = self.run.findings.len();
            out.push(format!("{n} security finding{}", if n == 1 { "" } else { "s" }));
        }
        if !self.stale_expectations.is_empty() {
            out.push("stale expectations".into());
        }
        if !self.missing_required.is_empty() {
            out.push(format!("required but not claimed: {}", self.missing_required.join(", ")));
        }
        if self.executed() == 0 {
            out.push("nothing was tested: every case was skipped or not applicable".into());
        }
        out
    }

    /// The IUT's hello.
    pub fn hello(&self) -> &Hello {
        &self.run.hello
    }

    /// Security findings.
    pub fn findings(&self) -> &[LeakFinding] {
        &self.run.findings
    }

    /// Wall time of the run.
    pub fn wall(&self) -> Duration {
        self.run.wall
    }
}
