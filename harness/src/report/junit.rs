//! The JUnit XML report (`--junit FILE`): one test suite per vector group, one test case per vector, so CI
//! systems show failures by case id with expected vs actual in the message. Each suite has `time`,
//! `timestamp` and `skipped`; each case its time in microseconds (`time="0.000123"`), its rules, flags and
//! the rule it broke as properties; a suite with a bad case carries the IUT's stderr tail (sanitised) in
//! `system-err`.

use super::Report;
use crate::runner::CaseOutcome;
use ivconform_vectors::Group;
use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};

/// Seconds with microsecond precision, as JUnit's `time` attributes.
fn seconds(d: std::time::Duration) -> String {
    format!("{:.6}", d.as_secs_f64())
}

/// Renders the report as JUnit XML; `timings: false` leaves durations and timestamps out (for reproducible
/// output).
pub fn render(report: &Report<'_>, timings: bool) -> String {
    let mut j = JReport::new("ivconform");
    if timings {
        j.set_time(report.wall());
    }
    let timestamp = super::doc::rfc3339(report.run.started_at);
    for group in Group::ALL.into_iter().chain([Group::Wycheproof]) {
        let mut suite = TestSuite::new(group.as_str());
        let (mut skipped, mut time, mut any_bad) = (0usize, std::time::Duration::ZERO, false);
        for r in report.run.results.iter().filter(|r| report.cases[r.index].group == group) {
            let case = &report.cases[r.index];
            let status = match &r.outcome {
                CaseOutcome::Pass => TestCaseStatus::success(),
                CaseOutcome::Either { actual } => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!(
                        "either: {actual} (J2's leeway window: both answers conformant, not graded)"
                    ));
                    s.set_type("either");
                    s
                }
                CaseOutcome::Fail { expected, actual, hint, .. } => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(format!("expected {expected}; got {actual}"));
                    s.set_type("fail");
                    s.set_description(format!("expected: {expected}\nactual:   {actual}\nhint:     {hint}"));
                    s
                }
                CaseOutcome::Error { reason } | CaseOutcome::Crash { reason } | CaseOutcome::Timeout { reason } => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                    s.set_message(reason.clone());
                    s.set_type(r.outcome.kind());
                    s
                }
                CaseOutcome::UnexpectedPass { reason } => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(format!("unexpected pass: the expectations file says '{reason}'; remove the entry"));
                    s.set_type("unexpected_pass");
                    s
                }
                CaseOutcome::Skipped { reason } => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(reason.clone());
                    s
                }
                CaseOutcome::NotApplicable { declaration, reason } => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!("not applicable: declared {declaration} ({reason})"));
                    s.set_type("not_applicable");
                    s
                }
                CaseOutcome::ExpectedFailure { failure, reason } => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!("expected failure ({}): {reason}", failure.kind()));
                    s.set_type("expected_failure");
                    s
                }
            };
            if matches!(status, TestCaseStatus::Skipped { .. }) {
                skipped += 1;
            }
            any_bad |= r.outcome.is_bad();
            time += r.duration;
            let mut tc = TestCase::new(case.id.clone(), status);
            tc.set_classname(format!("ivconform.{}", group.as_str()));
            if timings {
                tc.extra.insert("time".into(), seconds(r.duration).into());
            }
            let rules: Vec<&str> = case.rules.iter().map(|r| r.id()).collect();
            tc.add_property(quick_junit::Property::new("rules", rules.join(" ")));
            let flags: Vec<&str> = case.flags.iter().map(|f| f.as_str()).collect();
            tc.add_property(quick_junit::Property::new("flags", flags.join(" ")));
            if let CaseOutcome::Fail { rule: Some(rule), .. } = &r.outcome {
                tc.add_property(quick_junit::Property::new("broke", rule.id()));
            }
            suite.add_test_case(tc);
        }
        suite.extra.insert("skipped".into(), skipped.to_string().into());
        if timings {
            suite.extra.insert("time".into(), seconds(time).into());
            suite.extra.insert("timestamp".into(), timestamp.clone().into());
        }
        if any_bad && !report.run.stderr_tail.is_empty() {
            suite.set_system_err(format!(
                "the implementation's stderr (last {} bytes at most, sanitised):\n{}\n",
                crate::runner::STDERR_TAIL,
                report.run.stderr_tail
            ));
        }
        if !suite.test_cases.is_empty() {
            j.add_test_suite(suite);
        }
    }
    j.to_string().unwrap_or_else(|e| format!("<!-- could not render JUnit XML: {e} -->\n"))
}
