//! stdio with pipelining (`ivconform bench --cmd ... --pipeline N`): up to N requests in flight on each
//! connection, written in one burst and answered in order, so a stdio implementation is measured at its
//! throughput rather than at the round-trip time of one request. A request's latency runs from its write to
//! its answer, so it includes the queueing behind the requests before it (latency under that load).
//!
//! The protocol answers each stdio line in order (docs/PROTOCOL.md); an answer with another `seq` than the
//! oldest request in flight is an error, and a hang (no answer within the timeout) or an exit ends that
//! connection with an error.

use super::drive::{Limit, Measured};
use super::workload::{check, items, Op};
use ivconform_protocol::{Request, Response, PROTOCOL};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, Write};

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use ivconform_harness::transport::stdio::Launch;

struct Conn {
    child: ivconform_harness::process::GroupChild,
    stdin: Option<BufWriter<std::process::ChildStdin>>,
    lines: Receiver<String>,
}

impl Conn {
    fn start(launch: &Launch) -> Result<Conn, String> {
        let mut cmd = launch.command();
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child =
            ivconform_harness::process::spawn(&mut cmd).map_err(|e| format!("cannot start {launch:?}: {e}"))?;
        let stdout = child.child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::with_capacity(64 * 1024, stdout);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let stdin = child.child.stdin.take().map(|s| BufWriter::with_capacity(64 * 1024, s));
        Ok(Conn { child, stdin, lines })
    }

    fn send(&mut self, request: &Request) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("stdin closed")?;
        serde_json::to_writer(&mut *stdin, request).map_err(|e| e.to_string())?;
        stdin.write_all(b"\n").map_err(|e| format!("the implementation closed its stdin: {e}"))
    }

    fn flush(&mut self) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("stdin closed")?;
        stdin.flush().map_err(|e| format!("the implementation closed its stdin: {e}"))
    }

    fn receive(&mut self, timeout: Duration) -> Result<Response, String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => serde_json::from_str(line.trim_end()).map_err(|e| format!("not a protocol answer ({e})")),
            Err(RecvTimeoutError::Timeout) => Err(format!("no answer within {:.1} s", timeout.as_secs_f64())),
            Err(RecvTimeoutError::Disconnected) => Err("the implementation closed its stdout (exited?)".into()),
        }
    }

    fn finish(mut self) {
        drop(self.stdin.take());
        for _ in 0..100 {
            if self.child.try_wait().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        self.child.kill_group();
    }
}

/// Drives `op` over `connections` children, each with up to `depth` requests in flight.
pub fn over_stdio(
    launch: &Launch,
    op: Op,
    limit: &Limit,
    connections: usize,
    depth: usize,
    timeout: Duration,
) -> Result<Measured, String> {
    let items = items(op);
    let depth = depth.max(1);
    let mut conns = Vec::new();
    for _ in 0..connections.max(1) {
        let mut c = Conn::start(launch)?;
        let hello = Request::Hello {
            seq: 0,
            protocol: PROTOCOL.into(),
            suite_version: ivconform_vectors::SUITE_VERSION.into(),
        };
        c.send(&hello).and_then(|()| c.flush())?;
        match c.receive(timeout)? {
            Response::Hello { .. } => conns.push(c),
            other => return Err(format!("hello was answered with {other:?}")),
        }
    }
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(limit.warmup.max(0.0));
    let measure_until = measure_from + Duration::from_secs_f64(limit.seconds.max(0.0));
    let tickets = AtomicU64::new(0);
    let total = Mutex::new(Measured::default());
    std::thread::scope(|s| {
        for (worker, mut conn) in conns.into_iter().enumerate() {
            let (items, tickets, total) = (&items, &tickets, &total);
            s.spawn(move || {
                let mut m = Measured::default();
                // (seq, sent at, item, recorded)
                let mut inflight: VecDeque<(u64, Instant, usize, bool)> = VecDeque::with_capacity(depth);
                let (mut seq, mut i) = (1u64, worker * 5);
                let mut issuing = true;
                let mut last_end = measure_from;
                loop {
                    // Top up the window, then flush it in one write.
                    while issuing && inflight.len() < depth {
                        let now = Instant::now();
                        let recorded = now >= measure_from;
                        if recorded {
                            let more = match limit.count {
                                Some(n) => tickets.fetch_add(1, Ordering::Relaxed) < n,
                                None => now < measure_until,
                            };
                            if !more {
                                issuing = false;
                                break;
                            }
                        }
                        let idx = i % items.len();
                        i += 1;
                        if let Err(e) = conn.send(&items[idx].request.clone().with_seq(seq)) {
                            m.error(e);
                            issuing = false;
                            inflight.clear();
                            break;
                        }
                        inflight.push_back((seq, Instant::now(), idx, recorded));
                        seq += 1;
                    }
                    if inflight.is_empty() {
                        break;
                    }
                    if let Err(e) = conn.flush() {
                        m.error(e);
                        break;
                    }
                    let answer = conn.receive(timeout);
                    let t1 = Instant::now();
                    let (want, t0, idx, recorded) = inflight.pop_front().expect("non-empty");
                    let outcome = answer.and_then(|r| {
                        if r.seq() != want {
                            Err(format!("answered seq {} while seq {want} was the oldest in flight", r.seq()))
                        } else {
                            check(&items[idx], &r)
                        }
                    });
                    if recorded {
                        last_end = t1;
                        match outcome {
                            Ok(()) => {
                                m.ok += 1;
                                m.latency.record((t1 - t0).as_nanos() as u64);
                            }
                            Err(e) => {
                                let fatal = e.contains("no answer") || e.contains("closed");
                                m.error(e);
                                if fatal {
                                    break;
                                }
                            }
                        }
                    } else if outcome.as_ref().is_err_and(|e| e.contains("no answer") || e.contains("closed")) {
                        m.error(outcome.unwrap_err());
                        break;
                    }
                }
                conn.finish();
                m.seconds = last_end.saturating_duration_since(measure_from).as_secs_f64();
                total.lock().unwrap_or_else(|e| e.into_inner()).merge(&m);
            });
        }
    });
    Ok(total.into_inner().unwrap_or_else(|e| e.into_inner()))
}
