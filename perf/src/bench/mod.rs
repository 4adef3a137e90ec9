//! `ivconform bench`: throughput and latency of any implementation's signing and verifying, over its own
//! transport, next to a calibration run of the bundled reference over the same transport in the same
//! invocation, so that a baseline comparison judges the *ratio* (a slower CI machine slows both alike).
//!
//! * [`workload`]: the calls (rotating UUID identifiers; typical web payloads) and the answer checks.
//! * [`drive`]: N connections calling back to back for a time or a count (stdio, HTTP, in-process).
//! * [`pipeline`]: stdio with up to N requests in flight per connection (`--pipeline N`).
//! * [`ffi_child`]: the same over FFI, in a disposable child calling the raw entry points.
//! * [`histogram`]: mergeable log-linear latency histograms; [`crate::plot`]: the `--plot` picture.
//! * [`baseline`]: `--save-baseline` / `--baseline` with `--max-regression`.
//! * [`bootstrap`]: medians and their bootstrap intervals.
//!
//! **Interleaved rounds.** Each operation is measured in rounds: in every round the reference and the IUT
//! each run for a slice of the time (or of the calls), the side that goes first alternating from round to
//! round (reference, IUT; IUT, reference; ...), so a machine that speeds up or slows down during the bench
//! affects both sides alike instead of whichever ran second. Each round gives a ratio (IUT throughput /
//! reference throughput); the report's `ratio_to_reference` is the rounds' median and `ratio_interval` its
//! 95 % bootstrap interval. A baseline comparison resamples both runs' rounds and reports a regression only
//! when the whole interval of the change lies beyond `--max-regression` ([`baseline::compare`]).

pub mod baseline;
pub mod bootstrap;
pub mod drive;
// Calls the raw C entry points in a tight loop (SAFETY notes at each call).
#[allow(unsafe_code)]
pub mod ffi_child;
pub mod histogram;
pub mod pipeline;
pub mod workload;

use drive::{Limit, Measured};
use histogram::Histogram;
use serde::{Deserialize, Serialize};
use workload::Op;

/// The report and baseline file format's name.
pub const FORMAT: &str = "ivconform-bench/1";

/// Latency percentiles, in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Calls timed.
    pub samples: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Slowest call.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

impl Latency {
    /// The percentiles of a histogram.
    pub fn of(h: &Histogram) -> Self {
        Latency {
            samples: h.count(),
            p50: h.quantile(0.5),
            p90: h.quantile(0.9),
            p99: h.quantile(0.99),
            max: h.max(),
            mean: h.mean(),
        }
    }
}

/// One measured run of one operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stats {
    /// Calls answered correctly.
    pub ok: u64,
    /// Calls that failed or were answered wrongly.
    pub errors: u64,
    /// The first error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// Seconds measured.
    pub seconds: f64,
    /// Correct answers per second.
    pub ops_per_sec: f64,
    /// Latency percentiles (ns).
    pub latency_ns: Latency,
    /// Over FFI: whether the raw entry points were used (else `ivc_call`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ffi_raw: Option<bool>,
    /// The latencies themselves (for `--plot`; not written to reports).
    #[serde(skip)]
    pub histogram: Histogram,
}

impl Stats {
    /// The rounds of one side taken together: counts, seconds and latencies added up.
    pub fn combine(rounds: &[Stats]) -> Stats {
        let mut histogram = Histogram::default();
        let (mut ok, mut errors, mut seconds) = (0, 0, 0.0);
        for r in rounds {
            histogram.merge(&r.histogram);
            ok += r.ok;
            errors += r.errors;
            seconds += r.seconds;
        }
        Stats {
            ok,
            errors,
            first_error: rounds.iter().find_map(|r| r.first_error.clone()),
            seconds,
            ops_per_sec: if seconds > 0.0 { ok as f64 / seconds } else { 0.0 },
            latency_ns: Latency::of(&histogram),
            ffi_raw: rounds.iter().find_map(|r| r.ffi_raw),
            histogram,
        }
    }

    /// Summarises a measurement.
    pub fn of(m: Measured, ffi_raw: Option<bool>) -> Self {
        Stats {
            ok: m.ok,
            errors: m.errors,
            first_error: m.first_error.clone(),
            seconds: m.seconds,
            ops_per_sec: m.ops_per_sec(),
            latency_ns: Latency::of(&m.latency),
            ffi_raw,
            histogram: m.latency,
        }
    }
}

/// One round of an operation: each side's throughput in its slice.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// The IUT's correct answers per second.
    pub iut_ops_per_sec: f64,
    /// The reference's, unless `--no-calibration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_ops_per_sec: Option<f64>,
}

impl Round {
    /// IUT / reference, when both measured something.
    pub fn ratio(&self) -> Option<f64> {
        self.reference_ops_per_sec.filter(|r| *r > 0.0).map(|r| self.iut_ops_per_sec / r)
    }
}

/// One operation's results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpReport {
    /// The operation.
    pub op: Op,
    /// The implementation under test.
    pub iut: Stats,
    /// The reference's calibration run over the same transport, unless `--no-calibration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Stats>,
    /// IUT throughput / reference throughput, the median over the rounds: the figure baselines compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio_to_reference: Option<f64>,
    /// The 95 % bootstrap interval of that median.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio_interval: Option<bootstrap::Interval>,
    /// The interleaved rounds, in the order measured (empty in reports from before rounds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<Round>,
}

impl OpReport {
    /// An operation's report from its interleaved rounds: each side's rounds combined, the median ratio and
    /// its interval.
    pub fn from_rounds(op: Op, iut: &[Stats], reference: Option<&[Stats]>) -> OpReport {
        let rounds: Vec<Round> = iut
            .iter()
            .enumerate()
            .map(|(i, s)| Round {
                iut_ops_per_sec: s.ops_per_sec,
                reference_ops_per_sec: reference.and_then(|r| r.get(i)).map(|r| r.ops_per_sec),
            })
            .collect();
        let ratios: Vec<f64> = rounds.iter().filter_map(Round::ratio).collect();
        OpReport {
            op,
            iut: Stats::combine(iut),
            reference: reference.map(Stats::combine),
            ratio_to_reference: bootstrap::median(&ratios),
            ratio_interval: bootstrap::median_interval(&ratios),
            rounds,
        }
    }

    /// The per-round figures of `metric` (`ratio_to_reference` or `ops_per_sec`).
    pub fn round_values(&self, metric: &str) -> Vec<f64> {
        match metric {
            "ratio_to_reference" => self.rounds.iter().filter_map(Round::ratio).collect(),
            _ => self.rounds.iter().map(|r| r.iut_ops_per_sec).collect(),
        }
    }
}

/// The whole bench result: `--json` writes it, `--save-baseline` saves it, `--baseline` reads one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    /// [`FORMAT`].
    pub format: String,
    /// The implementation under test (as the transports describe it).
    pub iut: String,
    /// The calibration reference, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
    /// Connections (threads, children) per run.
    pub connections: usize,
    /// What each run measured (over all rounds of one side).
    pub limit: Limit,
    /// Interleaved rounds per operation (1 in reports from before rounds).
    #[serde(default = "one")]
    pub rounds: usize,
    /// Per operation.
    pub ops: Vec<OpReport>,
    /// The comparison with `--baseline`, when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::BaselineComparison>,
}

fn one() -> usize {
    1
}
