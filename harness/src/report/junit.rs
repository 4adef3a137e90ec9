//! The JUnit XML report (`--junit FILE`): one test suite per vector group, one test case per vector, so CI
//! systems show failures by case id with expected vs actual in the message.

use super::Report;
use crate::runner::CaseOutcome;
use ivconform_vectors::Group;
use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};

/// Renders the report as JUnit XML; `timings: false` leaves durations out (for reproducible output).
pub fn render(report: &Report<'_>, timings: bool) -> String {
    let mut j = JReport::new("ivconform");
    if timings {
        j.set_time(report.wall());
    }
    for group in Group::ALL.into_iter().chain([Group::Wycheproof]) {
        let mut suite = TestSuite::new(group.as_str());
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
                CaseOutcome::Fail { expected, actual, hint } => {
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
            let mut tc = TestCase::new(case.id.clone(), status);
            tc.set_classname(format!("ivconform.{}", group.as_str()));
            if timings {
                tc.set_time(r.duration);
            }
            let rules: Vec<&str> = case.rules.iter().map(|r| r.id()).collect();
            tc.add_property(quick_junit::Property::new("rules", rules.join(" ")));
            suite.add_test_case(tc);
        }
        if !suite.test_cases.is_empty() {
            j.add_test_suite(suite);
        }
    }
    j.to_string().unwrap_or_else(|e| format!("<!-- could not render JUnit XML: {e} -->\n"))
}
