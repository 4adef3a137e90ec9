//! Baselines: a saved bench report, and the comparison of a new run with it.
//!
//! The figure compared is each operation's throughput *ratio to the reference* measured over the same
//! transport in the same invocation, so a uniformly slower or busier machine (a CI runner) does not read as
//! a regression; only when either run has no calibration is absolute throughput compared (and said so).
//!
//! The change is judged with its uncertainty: both runs' interleaved rounds are resampled
//! ([`super::bootstrap::ratio_of_medians_interval`]) and an operation regressed only when the *whole* 95 %
//! interval of the change is below `-max_regression` percent. A baseline saved before rounds existed has one
//! figure; then only this run's rounds are resampled.

use super::workload::Op;
use super::{BenchReport, FORMAT};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One operation's comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    /// The operation.
    pub op: Op,
    /// `ratio_to_reference` or `ops_per_sec`.
    pub metric: String,
    /// The baseline's figure.
    pub baseline: f64,
    /// This run's figure.
    pub current: f64,
    /// Change in percent (negative: slower), medians against medians.
    pub change_pct: f64,
    /// The 95 % bootstrap interval of the change, in percent (`[low, high]`), when rounds allow one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_interval_pct: Option<[f64; 2]>,
    /// Slower by more than the allowed regression.
    pub regressed: bool,
}

/// The outcome of `--baseline FILE --max-regression PCT`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineComparison {
    /// The baseline file.
    pub file: String,
    /// The threshold, in percent.
    pub max_regression_pct: f64,
    /// Per operation measured in both runs.
    pub comparisons: Vec<Comparison>,
    /// Remarks (operations missing from one run, uncalibrated comparisons).
    pub notes: Vec<String>,
    /// Any comparison regressed.
    pub regressed: bool,
}

/// Largest baseline file read (a saved report is a few kilobytes).
pub const MAX_BASELINE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a baseline (a report saved by `--save-baseline` or `--json`).
pub fn load(path: &Path) -> Result<BenchReport, String> {
    let text = ivconform_vectors::file::read_regular_text(path, MAX_BASELINE_BYTES)
        .map_err(|e| format!("cannot read the baseline: {e}"))?;
    let report: BenchReport =
        serde_json::from_str(&text).map_err(|e| format!("{} is not an ivconform bench report: {e}", path.display()))?;
    if report.format != FORMAT {
        return Err(format!("{}: format {:?}, expected {FORMAT:?}", path.display(), report.format));
    }
    Ok(report)
}

/// Writes a report as a baseline.
pub fn save(path: &Path, report: &BenchReport) -> Result<(), String> {
    let mut report = report.clone();
    report.baseline = None;
    let text = serde_json::to_string_pretty(&report).expect("reports serialise");
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write baseline {}: {e}", path.display()))
}

/// Compares `current` with `baseline`.
pub fn compare(
    file: &Path,
    baseline: &BenchReport,
    current: &BenchReport,
    max_regression_pct: f64,
) -> BaselineComparison {
    let mut comparisons = Vec::new();
    let mut notes = Vec::new();
    if baseline.iut != current.iut {
        notes.push(format!("the baseline measured {:?}, this run {:?}", baseline.iut, current.iut));
    }
    for now in &current.ops {
        let Some(then) = baseline.ops.iter().find(|o| o.op == now.op) else {
            notes.push(format!("{}: not in the baseline", now.op.as_str()));
            continue;
        };
        let (metric, base, cur) = match (then.ratio_to_reference, now.ratio_to_reference) {
            (Some(b), Some(c)) => ("ratio_to_reference", b, c),
            _ => {
                notes.push(format!(
                    "{}: no calibration run in {}: comparing absolute throughput, which depends on the machine",
                    now.op.as_str(),
                    if then.ratio_to_reference.is_none() { "the baseline" } else { "this run" }
                ));
                ("ops_per_sec", then.iut.ops_per_sec, now.iut.ops_per_sec)
            }
        };
        let change_pct = if base > 0.0 { (cur / base - 1.0) * 100.0 } else { 0.0 };
        let (cur_rounds, base_rounds) = (now.round_values(metric), then.round_values(metric));
        let base_rounds = if base_rounds.is_empty() { vec![base] } else { base_rounds };
        let interval = if cur_rounds.is_empty() {
            None
        } else {
            super::bootstrap::ratio_of_medians_interval(&cur_rounds, &base_rounds)
                .map(|i| [(i.low - 1.0) * 100.0, (i.high - 1.0) * 100.0])
        };
        // Past the threshold only when the whole interval is (the point estimate when there is none).
        let upper = interval.map_or(change_pct, |[_, high]| high);
        let regressed = (base > 0.0 && upper < -max_regression_pct) || (now.iut.ok == 0 && then.iut.ok > 0);
        comparisons.push(Comparison {
            op: now.op,
            metric: metric.into(),
            baseline: base,
            current: cur,
            change_pct,
            change_interval_pct: interval,
            regressed,
        });
    }
    for then in &baseline.ops {
        if !current.ops.iter().any(|o| o.op == then.op) {
            notes.push(format!("{}: in the baseline but not measured now", then.op.as_str()));
        }
    }
    let regressed = comparisons.iter().any(|c| c.regressed);
    BaselineComparison { file: file.display().to_string(), max_regression_pct, comparisons, notes, regressed }
}
