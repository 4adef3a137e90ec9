//! `ivconform bench`: throughput and latency of any implementation's signing and verifying, over its own
//! transport, next to a calibration run of the bundled reference over the same transport in the same
//! invocation, so that a baseline comparison judges the *ratio* (a slower CI machine slows both alike).
//!
//! * [`workload`]: the calls (rotating UUID identifiers; typical web payloads) and the answer checks.
//! * [`drive`]: N connections calling back to back for a time or a count (stdio, HTTP, in-process).
//! * [`pipeline`]: stdio with up to N requests in flight per connection (`--pipeline N`).
//! * [`ffi_child`]: the same over FFI, in a disposable child calling the raw entry points.
//! * [`histogram`]: mergeable log-linear latency histograms; [`svg`]: the `--plot` picture.
//! * [`baseline`]: `--save-baseline` / `--baseline` with `--max-regression`.

pub mod baseline;
pub mod drive;
// Calls the raw C entry points in a tight loop (SAFETY notes at each call).
#[allow(unsafe_code)]
pub mod ffi_child;
pub mod histogram;
pub mod pipeline;
pub mod svg;
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
    /// IUT throughput / reference throughput: the figure baselines compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio_to_reference: Option<f64>,
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
    /// What each run measured.
    pub limit: Limit,
    /// Per operation.
    pub ops: Vec<OpReport>,
    /// The comparison with `--baseline`, when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::BaselineComparison>,
}
