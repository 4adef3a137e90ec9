//! Timing over HTTP or stdio: the round trip of `verify` messages, timed by the harness's monotonic clock.
//!
//! A round trip carries far more noise than the comparison inside it, so the detection floor is *measured*:
//! control servers of the same transport (`ivconform timing-control`, the reference plus a known delay when
//! the hash's first byte is right) run in the same job, interleaved batch by batch with the IUT. The
//! constant one (no delay) must pass; the smallest injected delay that is flagged (with every larger one) is
//! the floor printed with the verdict.
//!
//! When the implementation's `hello` claims `verify_jwt`, the JWT signature pair is measured too: the same
//! `verify` message carrying an HS256 token (app `ws_timing_jwt`, JWT mode enforced) instead of a
//! `user_hash`, and the controls delay when the token signature's first byte is right.

use super::report::{Role, Stop, Target};
use super::stats::Analysis;
use super::stopping::{clear_assessed, Clear};
use super::{generate_pairs, Batch, SplitMix64, ALL_PAIRS, JWT_PAIR};
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

/// What a hello claims that timing can use: `verify` (the hash pairs) and `verify_jwt` (the JWT pair).
#[derive(Debug, Clone, Copy)]
struct Claims {
    verify: bool,
    jwt: bool,
}

/// Opens a connection and checks the `hello` claims `verify` or `verify_jwt` (something to time).
fn open(m: &Measured) -> Result<(Box<dyn Transport>, Claims), String> {
    let mut t = m.connector.connect().map_err(|e| format!("{}: {e}", m.connector.describe()))?;
    let hello = Request::Hello {
        seq: 1,
        protocol: ivconform_protocol::PROTOCOL.into(),
        suite_version: ivconform_vectors::SUITE_VERSION.into(),
    };
    match t.call(&hello) {
        Ok(ex) => match ex.response {
            Response::Hello { hello, .. } => {
                let claims = Claims {
                    verify: hello.capabilities.contains(&Capability::Verify),
                    jwt: hello.capabilities.contains(&Capability::VerifyJwt),
                };
                if claims.verify || claims.jwt {
                    Ok((t, claims))
                } else {
                    Err(format!("{} claims neither verify nor verify_jwt: nothing to time", m.connector.describe()))
                }
            }
            _ => Err(format!("{}: hello was answered with {}", m.connector.describe(), ex.raw)),
        },
        Err(e) => Err(format!("{}: {e}", m.connector.describe())),
    }
}

/// One timed request and the refusal reason a correct verifier gives it.
struct Timed {
    request: Request,
    expected_reason: &'static str,
}

/// The requests of one batch: the same configuration, one payload per measurement (a `user_hash` for the
/// hash pairs, an `intercom_user_jwt` for the JWT pair).
fn requests(batch: &Batch, config: &Arc<serde_json::Value>) -> Vec<Timed> {
    (0..batch.len())
        .map(|i| {
            let (payload, expected_reason) = if batch.is_jwt(i) {
                let token = std::str::from_utf8(batch.token(i)).expect("ASCII tokens");
                (format!(r#"{{"app_id":"ws_timing_jwt","intercom_user_jwt":"{token}"}}"#), "invalid_jwt")
            } else {
                let payload = format!(
                    r#"{{"app_id":"ws_timing","user_id":"{}","user_hash":"{}"}}"#,
                    std::str::from_utf8(batch.msg(i)).expect("ASCII identifiers"),
                    std::str::from_utf8(batch.hash(i)).expect("hex")
                );
                (payload, "invalid_user_hash")
            };
            let request = Request::Verify {
                seq: 0,
                config: Arc::clone(config),
                platform: "web".into(),
                payload_hex: encode_lower(payload.as_bytes()).into(),
                now: None,
            };
            Timed { request, expected_reason }
        })
        .collect()
}

/// Sends every request, timing each round trip; returns the answers that were not the expected refusal
/// (`invalid_user_hash`, or `invalid_jwt` for a token).
fn measure(t: &mut dyn Transport, reqs: &[Timed], seq: &mut u64, times: &mut [f64]) -> Result<u64, String> {
    let mut unexpected = 0;
    for (timed, slot) in reqs.iter().zip(times.iter_mut()) {
        *seq += 1;
        let req = timed.request.clone().with_seq(*seq);
        let started = Instant::now();
        let answer = t.call(&req);
        *slot = started.elapsed().as_nanos() as f64;
        match answer {
            Ok(ex) => {
                let refused = matches!(&ex.response,
                    Response::Verify { result, reason: Some(r), .. } if result == "reject" && r == timed.expected_reason);
                unexpected += u64::from(!refused);
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(unexpected)
}

/// How long a wire run measures: at least `samples`, then (sequential sampling, as over FFI) one batch a
/// round while the verdict is not clear, up to `max_samples` or `max_seconds`.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Measurements of each target on the two hash pairs together before a pass may be called.
    pub samples: u64,
    /// The most of each target, on the same scale (at least `samples`).
    pub max_samples: u64,
    /// Most seconds of measuring (0: no limit but `max_samples`).
    pub max_seconds: f64,
}

/// What a wire run found.
pub struct WireRun {
    /// The IUT first, then the controls.
    pub targets: Vec<Target>,
    /// Seconds spent measuring.
    pub seconds: f64,
    /// Measurements of each target (all measured pairs together).
    pub measured: u64,
    /// The least and the most measurements of each target on that scale (the budget's, plus the JWT pair's
    /// share when it was measured).
    pub minimum: u64,
    /// See `minimum`.
    pub maximum: u64,
    /// Rounds measured after the least.
    pub extra_rounds: u32,
    /// Why the measuring stopped.
    pub stopped: Stop,
    /// Why a class pair was not measured (the IUT does not claim what it needs).
    pub skipped: Vec<String>,
}

/// Why a wire run stopped: the exit code's kind and a message.
pub enum WireError {
    /// The IUT or a control could not be started or reached.
    Unreachable(String),
    /// Something stopped answering mid-run.
    Broken(String),
}

/// Measures the IUT and the controls (`ladder_ns`: the injected delays) over `kind`. The budget's counts
/// are of the two hash pairs together; with the JWT pair each target gets half as many again, so every
/// pair has the same share.
pub fn run(
    iut: Box<dyn Connector>,
    kind: Kind,
    budget: Budget,
    seed: u64,
    ladder_ns: &[u64],
    threshold: f64,
    timeout: Duration,
) -> Result<WireRun, WireError> {
    let mut ladder: Vec<u64> = ladder_ns.to_vec();
    ladder.sort_unstable();
    ladder.dedup();
    let label = iut.describe();
    let mut measured = vec![Measured { name: label, role: Role::Iut, delay_ns: None, connector: iut, _server: None }];
    for &d in std::iter::once(&0).chain(&ladder) {
        measured.push(control(kind, d, timeout).map_err(WireError::Unreachable)?);
    }
    let mut conns = Vec::new();
    let mut skipped = Vec::new();
    // The pairs every target can be timed on (the controls claim both; the IUT decides).
    let (mut verify, mut jwt) = (true, true);
    for m in &measured {
        let (conn, claims) = open(m).map_err(WireError::Unreachable)?;
        let who = m.connector.describe();
        if verify && !claims.verify {
            skipped.push(format!("pairs 1 and 2 (user_hash) not measured: {who}'s hello does not claim verify"));
        }
        if jwt && !claims.jwt {
            skipped.push(format!("pair 3 (JWT signature) not measured: {who}'s hello does not claim verify_jwt"));
        }
        (verify, jwt) = (verify && claims.verify, jwt && claims.jwt);
        conns.push(conn);
    }
    if !verify && !jwt {
        return Err(WireError::Unreachable(format!("nothing to time: {}", skipped.join("; "))));
    }
    let ids: Vec<usize> = ALL_PAIRS.iter().copied().filter(|&p| if p == JWT_PAIR { jwt } else { verify }).collect();
    let samples = budget.samples.saturating_mul(ids.len() as u64) / 2;
    let max_samples = budget.max_samples.max(budget.samples).saturating_mul(ids.len() as u64) / 2;
    let mut rng = SplitMix64::new(seed, 2);
    let secret: Vec<u8> = (0..4).flat_map(|_| rng.next_u64().to_le_bytes()).collect();
    let key = Keyed::new(&secret);
    let web = serde_json::json!({"secret_hex": encode_lower(&secret), "enforced": true});
    let jwt_web = serde_json::json!({"secret_hex": encode_lower(&secret), "enforced": true, "jwt_enforced": true});
    let config = Arc::new(serde_json::json!({
        "apps": {"ws_timing": {"web": web}, "ws_timing_jwt": {"web": jwt_web}}
    }));
    let mut seq = 1u64;
    let batch_size = 500usize;
    let mut times = vec![0f64; batch_size.max(2_000)];
    // Warm-up: thresholds for the cropped tests and the deciles, then thrown away.
    let warm = generate_pairs(&mut rng, &key, (samples as usize / 10).clamp(200, 1_000), &ids);
    let warm_reqs = requests(&warm, &config);
    let mut analyses = Vec::new();
    for (m, t) in measured.iter().zip(conns.iter_mut()) {
        // The first pass warms the connection and the server up; the second gives the thresholds.
        for _ in 0..2 {
            measure(t.as_mut(), &warm_reqs, &mut seq, &mut times)
                .map_err(|e| WireError::Broken(format!("{}: {e}", m.name)))?;
        }
        let per_pair: Vec<Analysis> = ids
            .iter()
            .map(|&pair| {
                let xs: Vec<f64> =
                    (0..warm.len()).filter(|&i| warm.codes[i] as usize / 2 == pair).map(|i| times[i]).collect();
                Analysis::new(if xs.is_empty() { &[1.0] } else { &xs })
            })
            .collect();
        analyses.push(per_pair);
    }
    let started = Instant::now();
    let mut unexpected = vec![0u64; measured.len()];
    let (mut done, mut round, mut extra_rounds, mut leak_rounds) = (0u64, 0usize, 0u32, 0u32);
    let largest = measured.len() - 1; // the ladder ascends: the largest delay is last
    let stopped = loop {
        if done >= samples {
            let assessed: Vec<Vec<_>> =
                analyses.iter().map(|pairs| pairs.iter().map(|a| a.assess(threshold, 1.0)).collect()).collect();
            let verdict = clear_assessed(&assessed[0], &assessed[1], &assessed[largest], &ids, threshold, true);
            // A leak is clear when two successive rounds say so (one round's flag could be a burst of load).
            leak_rounds = if verdict == Some(Clear::Leak) { leak_rounds + 1 } else { 0 };
            if verdict == Some(Clear::Pass) || leak_rounds >= 2 {
                break Stop::Clear;
            }
            if done >= max_samples {
                break Stop::MaxSamples;
            }
            if budget.max_seconds > 0.0 && started.elapsed().as_secs_f64() >= budget.max_seconds {
                break Stop::TimeBudget;
            }
            extra_rounds += 1;
        }
        let left = if done < samples { samples - done } else { max_samples - done };
        let n = (left as usize).min(batch_size);
        let batch = generate_pairs(&mut rng, &key, n, &ids);
        let reqs = requests(&batch, &config);
        for k in 0..measured.len() {
            let t = (round + k) % measured.len();
            unexpected[t] += measure(conns[t].as_mut(), &reqs, &mut seq, &mut times)
                .map_err(|e| WireError::Broken(format!("{}: {e}", measured[t].name)))?;
            for (&pair, analysis) in ids.iter().zip(analyses[t].iter_mut()) {
                let mine: Vec<(usize, f64)> = (0..n)
                    .filter(|&i| batch.codes[i] as usize / 2 == pair)
                    .map(|i| (batch.codes[i] as usize % 2, times[i]))
                    .collect();
                analysis.push_batch(&mine);
            }
        }
        done += n as u64;
        round += 1;
    };
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
            pair_ids: ids.clone(),
            unexpected_answers,
        })
        .collect();
    Ok(WireRun {
        targets,
        seconds,
        measured: done,
        minimum: samples,
        maximum: max_samples,
        extra_rounds,
        stopped,
        skipped,
    })
}
