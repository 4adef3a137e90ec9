//! Timing over HTTP or stdio: the round trip of `verify` messages, timed by the harness's monotonic clock.
//!
//! A round trip carries far more noise than the comparison inside it, so the detection floor is *measured*:
//! control servers of the same transport (`ivconform timing-control`, the reference plus a known delay when
//! the hash's first byte is right) run in the same job, interleaved batch by batch with the IUT. The
//! constant one (no delay) must pass; the smallest injected delay that is flagged (with every larger one) is
//! the floor printed with the verdict.

use super::report::{Role, Target};
use super::stats::Analysis;
use super::{generate, Batch, SplitMix64};
use ivconform_core::hex::encode_lower;
use ivconform_core::mac::Keyed;
use ivconform_harness::transport::http::HttpConnector;
use ivconform_harness::transport::stdio::StdioConnector;
use ivconform_harness::transport::{Connector, Transport};
use ivconform_protocol::{Capability, Request, Response};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which transport the controls use (the IUT's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// HTTP on loopback.
    Http,
    /// A child speaking JSON lines.
    Stdio,
}

/// A control server child, killed when dropped.
/// A control server child; dropping it kills its process group.
struct Server(#[allow(dead_code)] ivconform_harness::process::GroupChild);

/// A target to measure: its connector and whatever keeps it alive.
struct Measured {
    name: String,
    role: Role,
    delay_ns: Option<f64>,
    connector: Box<dyn Connector>,
    _server: Option<Server>,
}

fn control(kind: Kind, delay_ns: u64, timeout: Duration) -> Result<Measured, String> {
    let exe = ivconform_harness::helper::exe()?;
    let (name, role) = if delay_ns == 0 {
        ("constant-time control (the reference, no delay)".to_string(), Role::ConstantControl)
    } else {
        (
            format!(
                "early-exit control (the reference + {} when the first byte is right)",
                super::report::fmt_ns(delay_ns as f64)
            ),
            Role::EarlyExitControl,
        )
    };
    let delay = delay_ns.to_string();
    let (connector, server): (Box<dyn Connector>, Option<Server>) = match kind {
        Kind::Stdio => {
            let args = vec!["timing-control".into(), "--stdio".into(), "--delay-ns".into(), delay];
            (Box::new(StdioConnector::program(exe, args, timeout, name.clone())), None)
        }
        Kind::Http => {
            let mut cmd = Command::new(exe);
            cmd.args(["timing-control", "--http", "127.0.0.1:0", "--delay-ns", &delay])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit());
            let mut child = ivconform_harness::process::spawn(&mut cmd)
                .map_err(|e| format!("cannot start a control server: {e}"))?;
            let mut line = String::new();
            let _ = BufReader::new(std::io::Read::take(child.child.stdout.take().expect("piped"), 4096))
                .read_line(&mut line);
            let server = Server(child);
            let url = line
                .trim()
                .strip_prefix("listening on ")
                .ok_or_else(|| format!("a control server did not report its address (said {line:?})"))?
                .to_string();
            (Box::new(HttpConnector::new(&url, timeout)?), Some(server))
        }
    };
    Ok(Measured { name, role, delay_ns: (delay_ns > 0).then_some(delay_ns as f64), connector, _server: server })
}

/// Opens a connection and checks the `hello` claims `verify`.
fn open(m: &Measured) -> Result<Box<dyn Transport>, String> {
    let mut t = m.connector.connect().map_err(|e| format!("{}: {e}", m.connector.describe()))?;
    let hello = Request::Hello {
        seq: 1,
        protocol: ivconform_protocol::PROTOCOL.into(),
        suite_version: ivconform_vectors::SUITE_VERSION.into(),
    };
    match t.call(&hello) {
        Ok(ex) => match ex.response {
            Response::Hello { hello, .. } if hello.capabilities.contains(&Capability::Verify) => Ok(t),
            Response::Hello { .. } => Err(format!("{} does not claim the verify capability", m.connector.describe())),
            _ => Err(format!("{}: hello was answered with {}", m.connector.describe(), ex.raw)),
        },
        Err(e) => Err(format!("{}: {e}", m.connector.describe())),
    }
}

/// The requests of one batch: the same configuration, one payload per measurement.
fn requests(batch: &Batch, config: &Arc<serde_json::Value>) -> Vec<Request> {
    (0..batch.len())
        .map(|i| {
            let payload = format!(
                r#"{{"app_id":"ws_timing","user_id":"{}","user_hash":"{}"}}"#,
                std::str::from_utf8(batch.msg(i)).expect("ASCII identifiers"),
                std::str::from_utf8(batch.hash(i)).expect("hex")
            );
            Request::Verify {
                seq: 0,
                config: Arc::clone(config),
                platform: "web".into(),
                payload_hex: encode_lower(payload.as_bytes()).into(),
                now: None,
            }
        })
        .collect()
}

/// Sends every request, timing each round trip; returns the answers that were not `invalid_user_hash`.
fn measure(t: &mut dyn Transport, reqs: &[Request], seq: &mut u64, times: &mut [f64]) -> Result<u64, String> {
    let mut unexpected = 0;
    for (req, slot) in reqs.iter().zip(times.iter_mut()) {
        *seq += 1;
        let req = req.clone().with_seq(*seq);
        let started = Instant::now();
        let answer = t.call(&req);
        *slot = started.elapsed().as_nanos() as f64;
        match answer {
            Ok(ex) => {
                let refused = matches!(&ex.response,
                    Response::Verify { result, reason: Some(r), .. } if result == "reject" && r == "invalid_user_hash");
                unexpected += u64::from(!refused);
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(unexpected)
}

/// What a wire run found.
pub struct WireRun {
    /// The IUT first, then the controls.
    pub targets: Vec<Target>,
    /// Seconds spent measuring.
    pub seconds: f64,
}

/// Why a wire run stopped: the exit code's kind and a message.
pub enum WireError {
    /// The IUT or a control could not be started or reached.
    Unreachable(String),
    /// Something stopped answering mid-run.
    Broken(String),
}

/// Measures the IUT and the controls (`ladder_ns`: the injected delays) over `kind`.
pub fn run(
    iut: Box<dyn Connector>,
    kind: Kind,
    samples: u64,
    seed: u64,
    ladder_ns: &[u64],
    threshold: f64,
    timeout: Duration,
) -> Result<WireRun, WireError> {
    let label = iut.describe();
    let mut measured = vec![Measured { name: label, role: Role::Iut, delay_ns: None, connector: iut, _server: None }];
    for &d in std::iter::once(&0).chain(ladder_ns) {
        measured.push(control(kind, d, timeout).map_err(WireError::Unreachable)?);
    }
    let mut conns = Vec::new();
    for m in &measured {
        conns.push(open(m).map_err(WireError::Unreachable)?);
    }
    let mut rng = SplitMix64::new(seed, 2);
    let secret: Vec<u8> = (0..4).flat_map(|_| rng.next_u64().to_le_bytes()).collect();
    let key = Keyed::new(&secret);
    let config = Arc::new(serde_json::json!({
        "apps": {"ws_timing": {"web": {"secret_hex": encode_lower(&secret), "enforced": true}}}
    }));
    let mut seq = 1u64;
    let batch_size = 500usize;
    let mut times = vec![0f64; batch_size.max(2_000)];
    // Warm-up: thresholds for the cropped tests and the deciles, then thrown away.
    let warm = generate(&mut rng, &key, (samples as usize / 10).clamp(200, 1_000));
    let warm_reqs = requests(&warm, &config);
    let mut analyses = Vec::new();
    for (m, t) in measured.iter().zip(conns.iter_mut()) {
        // The first pass warms the connection and the server up; the second gives the thresholds.
        for _ in 0..2 {
            measure(t.as_mut(), &warm_reqs, &mut seq, &mut times)
                .map_err(|e| WireError::Broken(format!("{}: {e}", m.name)))?;
        }
        let per_pair: Vec<Analysis> = (0..2)
            .map(|pair| {
                let xs: Vec<f64> =
                    (0..warm.len()).filter(|&i| warm.codes[i] as usize / 2 == pair).map(|i| times[i]).collect();
                Analysis::new(if xs.is_empty() { &[1.0] } else { &xs })
            })
            .collect();
        analyses.push(per_pair);
    }
    let started = Instant::now();
    let mut unexpected = vec![0u64; measured.len()];
    let (mut left, mut round) = (samples, 0usize);
    while left > 0 {
        let n = (left as usize).min(batch_size);
        let batch = generate(&mut rng, &key, n);
        let reqs = requests(&batch, &config);
        for k in 0..measured.len() {
            let t = (round + k) % measured.len();
            unexpected[t] += measure(conns[t].as_mut(), &reqs, &mut seq, &mut times)
                .map_err(|e| WireError::Broken(format!("{}: {e}", measured[t].name)))?;
            for (pair, analysis) in analyses[t].iter_mut().enumerate() {
                let mine: Vec<(usize, f64)> = (0..n)
                    .filter(|&i| batch.codes[i] as usize / 2 == pair)
                    .map(|i| (batch.codes[i] as usize % 2, times[i]))
                    .collect();
                analysis.push_batch(&mine);
            }
        }
        left -= n as u64;
        round += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    for mut c in conns {
        c.close();
    }
    let targets = measured
        .into_iter()
        .zip(analyses)
        .zip(unexpected)
        .map(|((m, pairs), unexpected_answers)| Target {
            name: m.name,
            role: m.role,
            delay_ns: m.delay_ns,
            pairs: pairs.iter().map(|a| a.assess(threshold, 1.0)).collect(),
            unexpected_answers,
        })
        .collect();
    Ok(WireRun { targets, seconds })
}
