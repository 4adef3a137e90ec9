//! Driving an implementation at full speed: N connections (threads), each calling back to back, for a fixed
//! time or a fixed number of calls, after a warm-up that is not recorded. Every answer is checked; wrong
//! answers and failed calls are counted as errors, not as throughput.

use super::histogram::Histogram;
use super::workload::{check, items, Op};
use ivconform_harness::transport::{CallError, Connector, Exchange, Transport};
use ivconform_protocol::{Request, Response, PROTOCOL};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long to measure.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Limit {
    /// Measure for this long (ignored when `count` is set).
    pub seconds: f64,
    /// Measure exactly this many calls (over all connections).
    pub count: Option<u64>,
    /// Unrecorded warm-up before measuring, in seconds.
    pub warmup: f64,
}

/// What one measured run gave.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Measured {
    /// Calls answered correctly.
    pub ok: u64,
    /// Calls that failed or were answered wrongly.
    pub errors: u64,
    /// The first error, for the report.
    pub first_error: Option<String>,
    /// Seconds from the start of measuring to the end of the last recorded call.
    pub seconds: f64,
    /// Latency of every correctly answered call (over FFI: a sample of them), in nanoseconds.
    pub latency: Histogram,
}

impl Measured {
    /// Correct answers per second.
    pub fn ops_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.ok as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Folds in another connection's (or child's) measurement, which ran over the same window.
    pub fn merge(&mut self, other: &Measured) {
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
        self.seconds = self.seconds.max(other.seconds);
        self.latency.merge(&other.latency);
    }

    /// Counts a failed call, keeping the first reason.
    pub fn error(&mut self, message: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(message);
        }
    }
}

/// Opens a connection and says hello.
fn open(connector: &dyn Connector) -> Result<Box<dyn Transport>, CallError> {
    let mut t = connector.connect()?;
    let hello =
        Request::Hello { seq: 0, protocol: PROTOCOL.into(), suite_version: ivconform_vectors::SUITE_VERSION.into() };
    match t.call(&hello)? {
        Exchange { response: Response::Hello { .. }, .. } => Ok(t),
        Exchange { raw, .. } => Err(CallError::Protocol(format!("hello was answered with {raw}"))),
    }
}

/// Drives `op` over `connections` connections from `connector`. Fails only when no connection can be
/// opened at all (the implementation is unreachable).
pub fn over_connector(
    connector: &dyn Connector,
    op: Op,
    limit: &Limit,
    connections: usize,
) -> Result<Measured, String> {
    let connections = connections.max(1);
    let items = items(op);
    // Connect everyone first, so start-up is not measured.
    let mut transports = Vec::with_capacity(connections);
    for _ in 0..connections {
        transports.push(open(connector).map_err(|e| format!("{}: {e}", connector.describe()))?);
    }
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(limit.warmup.max(0.0));
    let measure_until = measure_from + Duration::from_secs_f64(limit.seconds.max(0.0));
    let tickets = AtomicU64::new(0);
    let total = Mutex::new(Measured::default());
    std::thread::scope(|s| {
        for (worker, mut transport) in transports.into_iter().enumerate() {
            let (items, tickets, total) = (&items, &tickets, &total);
            s.spawn(move || {
                let mut m = Measured::default();
                let mut last_end = measure_from;
                let mut seq = 1u64;
                let mut i = worker * 5;
                loop {
                    let now = Instant::now();
                    let recording = now >= measure_from;
                    if recording {
                        match limit.count {
                            Some(n) if tickets.fetch_add(1, Ordering::Relaxed) >= n => break,
                            None if now >= measure_until => break,
                            _ => {}
                        }
                    }
                    let item = &items[i % items.len()];
                    i += 1;
                    let request = item.request.clone().with_seq(seq);
                    seq += 1;
                    let t0 = Instant::now();
                    let result = transport.call(&request);
                    let t1 = Instant::now();
                    if !recording {
                        if let Err(e) = &result {
                            if matches!(e, CallError::Crash(_) | CallError::Timeout(_) | CallError::Protocol(_)) {
                                match open(connector) {
                                    Ok(t) => transport = t,
                                    Err(_) => break,
                                }
                            }
                        }
                        continue;
                    }
                    last_end = t1;
                    match result {
                        Ok(x) => match check(item, &x.response) {
                            Ok(()) => {
                                m.ok += 1;
                                m.latency.record((t1 - t0).as_nanos() as u64);
                            }
                            Err(e) => m.error(e),
                        },
                        Err(e) => {
                            let reconnect =
                                matches!(e, CallError::Crash(_) | CallError::Timeout(_) | CallError::Protocol(_));
                            m.error(e.to_string());
                            if reconnect {
                                match open(connector) {
                                    Ok(t) => transport = t,
                                    Err(e) => {
                                        m.error(format!("could not reconnect: {e}"));
                                        break;
                                    }
                                }
                            }
                        }
                    }
                }
                transport.close();
                m.seconds = last_end.saturating_duration_since(measure_from).as_secs_f64();
                total.lock().unwrap_or_else(|e| e.into_inner()).merge(&m);
            });
        }
    });
    Ok(total.into_inner().unwrap_or_else(|e| e.into_inner()))
}
