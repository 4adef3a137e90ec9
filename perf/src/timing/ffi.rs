//! Timing over FFI: a library's `ivc_verify_raw` (and, for the JWT pair, its `ivc_verify_jwt_raw` when it
//! exports one), timed in-process inside a disposable child (`ivconform ffi-timing`), next to the two
//! built-in controls measured in the same child and the same batches. A crash, hang or abort in the library ends only the child; the harness reports it.
//!
//! The child reads a [`Plan`] (one JSON line) on stdin, measures, and writes one [`ChildReport`] line on
//! stdout: per target and class pair, the streaming [`Analysis`] (a few kilobytes),
//! never the raw timings.

use super::report::{Role, Stop, Target};
use super::stats::Analysis;
use super::stopping::{clear_assessed, Clear};
use super::{
    control_constant, control_early_exit, control_jwt_constant, control_jwt_early_exit, generate_pairs, Batch,
    SplitMix64, VerifyJwtRaw, VerifyRaw, ALL_PAIRS, HASH_PAIRS, MSG_LEN, TOKEN_LEN,
};
use ivconform_core::hex::encode_lower_into;
use ivconform_core::mac::Keyed;
use ivconform_harness::abi::AbiLibrary;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the child is asked to measure.
///
/// **Sequential sampling.** `samples` is the least the child measures before it may call a run a pass; it
/// then goes on in rounds (one batch each) until the verdict is clear or `max_samples` / `max_seconds` end it
/// (see [`Stop`]). Clear means: the controls behave (the constant-time one is not flagged on either pair, the
/// early-exit one is) and the implementation is either flagged (a leak: clear at any count, since a real
/// effect's statistic only grows) or below half the threshold on both pairs once `samples` are in. A control
/// flagged by a burst of load, or an implementation near the threshold, is not clear: more rounds dilute a
/// transient (its statistic shrinks as 1/√n) and sharpen a real effect (it grows as √n).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// Measurements of each target (the IUT and each control), both pairs together, before a pass may be
    /// called.
    pub samples: u64,
    /// Seed of the inputs and class order.
    pub seed: u64,
    /// Measurements per batch (inputs generated together, targets measured in rotating order).
    pub batch: usize,
    /// Most measurements of each target (0: `samples`, no sequential rounds).
    #[serde(default)]
    pub max_samples: u64,
    /// Most seconds of measuring (0: no limit but `max_samples`).
    #[serde(default)]
    pub max_seconds: f64,
    /// The |t| threshold the stopping rule uses (0: dudect's 10).
    #[serde(default)]
    pub threshold: f64,
}

/// Whether targets (the IUT first, the early-exit control, the constant control) give a clear verdict after
/// `measured` samples of `minimum` (see [`Plan`]).
pub fn clear(targets: &[Vec<Analysis>], ids: &[usize], threshold: f64, measured: u64, minimum: u64) -> Option<Clear> {
    let assessed: Vec<Vec<super::stats::Assessment>> =
        targets.iter().map(|pairs| pairs.iter().map(|a| a.assess(threshold, 1.0)).collect()).collect();
    clear_assessed(&assessed[0], &assessed[2], &assessed[1], ids, threshold, measured >= minimum)
}

/// One target's statistics, as the child sends them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildTarget {
    /// Name for reports.
    pub name: String,
    /// `iut`, `constant` or `early-exit`.
    pub role: String,
    /// One analysis per class pair measured.
    pub pairs: Vec<Analysis>,
    /// Which pairs those are ([`super::PAIRS`] indices).
    pub pair_ids: Vec<usize>,
    /// Answers other than 0 to wrong hashes.
    pub unexpected: u64,
}

/// The child's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChildReport {
    /// Measured.
    Done {
        /// IUT first, then the controls.
        targets: Vec<ChildTarget>,
        /// Measurements of each target.
        #[serde(default)]
        measured: u64,
        /// Rounds (batches) measured after the first `samples`' worth.
        #[serde(default)]
        extra_rounds: u32,
        /// Why it stopped.
        #[serde(default = "stop_default")]
        stopped: Stop,
        /// Nanoseconds per timer unit.
        ns_per_unit: f64,
        /// The timer used.
        timer: String,
        /// Seconds spent measuring.
        seconds: f64,
        /// Why the JWT pair was not measured (`None`: it was).
        jwt_skipped: Option<String>,
        /// The least and the most measurements of each target, as the stopping rule used them (the plan's,
        /// half as many again with the JWT pair).
        minimum: u64,
        /// See `minimum`.
        maximum: u64,
    },
    /// Could not measure (missing symbol, wrong ABI, a verifier that rejects right hashes).
    Failed {
        /// Why.
        message: String,
    },
}

fn stop_default() -> Stop {
    Stop::MaxSamples
}

/// The timer: the time-stamp counter between load fences on x86-64 (cycle resolution), else the monotonic
/// clock in nanoseconds.
#[inline(always)]
fn ticks(origin: Instant) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let _ = origin;
        // SAFETY: lfence and rdtsc have no preconditions on x86-64.
        unsafe {
            std::arch::x86_64::_mm_lfence();
            let t = std::arch::x86_64::_rdtsc();
            std::arch::x86_64::_mm_lfence();
            t
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        origin.elapsed().as_nanos() as u64
    }
}

const TIMER: &str =
    if cfg!(target_arch = "x86_64") { "rdtsc (in the child)" } else { "monotonic clock (in the child)" };

/// Times `f` (a hash measurement) or `jwt` (a JWT-pair measurement) on every input of the batch; returns how
/// many answers were not 0.
#[inline(never)]
fn measure(
    f: VerifyRaw,
    jwt: Option<VerifyJwtRaw>,
    secret: &[u8],
    batch: &Batch,
    times: &mut [u64],
    origin: Instant,
) -> u64 {
    let mut unexpected = 0;
    for (i, slot) in times.iter_mut().enumerate().take(batch.len()) {
        let r = match jwt.filter(|_| batch.is_jwt(i)) {
            Some(g) => {
                let token = batch.token(i).as_ptr();
                let t0 = ticks(origin);
                // SAFETY: the buffers are valid for the lengths passed; `g` is the library's
                // ivc_verify_jwt_raw (contained by this child process) or a control.
                let r = unsafe { g(secret.as_ptr(), secret.len(), token, TOKEN_LEN) };
                *slot = ticks(origin).wrapping_sub(t0);
                r
            }
            None => {
                let (msg, hash) = (batch.msg(i).as_ptr(), batch.hash(i).as_ptr());
                let t0 = ticks(origin);
                // SAFETY: the buffers are valid for the lengths passed; `f` is the library's ivc_verify_raw
                // (whose misbehaviour is contained by this child process) or a control.
                let r = unsafe { f(secret.as_ptr(), secret.len(), msg, MSG_LEN, hash, 64) };
                *slot = ticks(origin).wrapping_sub(t0);
                r
            }
        };
        unexpected += u64::from(r != 0);
    }
    unexpected
}

/// A library's raw verifiers, the library kept loaded, and its label.
type Resolved = (VerifyRaw, Option<VerifyJwtRaw>, Option<AbiLibrary>, String);

/// Loads the library's `ivc_verify_raw` and `ivc_verify_jwt_raw` (or takes the linked reference's), keeping
/// the library loaded.
fn resolve(lib: Option<&Path>) -> Result<Resolved, String> {
    let Some(lib) = lib else {
        let jwt = Some(ivconform_ffi::ivc_verify_jwt_raw as VerifyJwtRaw);
        return Ok((ivconform_ffi::ivc_verify_raw as VerifyRaw, jwt, None, "the reference (linked)".into()));
    };
    let library = AbiLibrary::load(lib)?;
    let f = library.verify_raw().ok_or_else(|| {
        format!(
            "{} does not export ivc_verify_raw (optional in include/ivconform.h, but timing over FFI needs it; \
             time verify messages with --cmd or --url instead)",
            lib.display()
        )
    })?;
    let jwt = library.verify_jwt_raw();
    let what = if jwt.is_some() { "ivc_verify_raw and ivc_verify_jwt_raw" } else { "ivc_verify_raw" };
    Ok((f, jwt, Some(library), format!("{what} of {}", lib.display())))
}

/// Checks that a token verifier accepts a right token and refuses one with a wrong signature.
fn sanity_jwt(g: VerifyJwtRaw, secret: &[u8]) -> Result<(), String> {
    let claims = ivconform_core::jwt::Claims { user_id: "u-sanity-check-1".into(), email: None, exp: None, nbf: None };
    let right = ivconform_core::jwt::sign_jwt(secret, &claims).map_err(|e| e.to_string())?;
    let mut wrong = right.clone().into_bytes();
    let at = right.rfind('.').map_or(0, |dot| dot + 1);
    wrong[at] = if wrong[at] == b'A' { b'B' } else { b'A' };
    // SAFETY: valid buffers of the stated lengths.
    let (r, w) = unsafe {
        (
            g(secret.as_ptr(), secret.len(), right.as_ptr(), right.len()),
            g(secret.as_ptr(), secret.len(), wrong.as_ptr(), wrong.len()),
        )
    };
    if r != 1 || w != 0 {
        return Err(format!(
            "ivc_verify_jwt_raw answered {r} to a right token and {w} to one with a wrong signature (expected 1 \
             and 0): it does not verify, so its timing means nothing"
        ));
    }
    Ok(())
}

/// Checks that a verifier accepts the right hash and refuses a wrong one (else timing it means nothing).
fn sanity(f: VerifyRaw, secret: &[u8], key: &Keyed) -> Result<(), String> {
    let msg = b"u-sanity-check-1";
    let mut hex = [0u8; 64];
    encode_lower_into(&key.mac(msg), &mut hex);
    // SAFETY: valid buffers of the stated lengths.
    let right = unsafe { f(secret.as_ptr(), secret.len(), msg.as_ptr(), msg.len(), hex.as_ptr(), 64) };
    hex[0] = if hex[0] == b'0' { b'1' } else { b'0' };
    // SAFETY: as above.
    let wrong = unsafe { f(secret.as_ptr(), secret.len(), msg.as_ptr(), msg.len(), hex.as_ptr(), 64) };
    if right != 1 || wrong != 0 {
        return Err(format!(
            "ivc_verify_raw answered {right} to the right hash and {wrong} to a wrong one (expected 1 and 0): \
             it does not verify, so its timing means nothing"
        ));
    }
    Ok(())
}

fn run_child(plan: &Plan, lib: Option<&Path>) -> ChildReport {
    let (iut, iut_jwt, _library, label) = match resolve(lib) {
        Ok(x) => x,
        Err(message) => return ChildReport::Failed { message },
    };
    let mut rng = SplitMix64::new(plan.seed, 1);
    let secret: Vec<u8> = (0..4).flat_map(|_| rng.next_u64().to_le_bytes()).collect();
    let key = Keyed::new(&secret);
    if let Err(message) = sanity(iut, &secret, &key) {
        return ChildReport::Failed { message };
    }
    if let Some(Err(message)) = iut_jwt.map(|g| sanity_jwt(g, &secret)) {
        return ChildReport::Failed { message };
    }
    let jwt_skipped = iut_jwt.is_none().then(|| {
        let lib = lib.map_or_else(|| "the library".to_string(), |l| l.display().to_string());
        format!("pair 3 (JWT signature) not measured: {lib} does not export ivc_verify_jwt_raw (optional)")
    });
    // With the JWT pair, each target measures half as many again, so every pair keeps its share.
    let ids: &[usize] = if iut_jwt.is_some() { &ALL_PAIRS } else { &HASH_PAIRS };
    let scale = |n: u64| n.saturating_mul(ids.len() as u64) / 2;
    let (samples, plan_max) = (scale(plan.samples), scale(plan.max_samples));
    let on = |c: VerifyJwtRaw| iut_jwt.map(|_| c);
    let targets: [(String, &str, VerifyRaw, Option<VerifyJwtRaw>); 3] = [
        (label, "iut", iut, iut_jwt),
        (
            "early-exit control (the reference with a byte loop that returns at the first difference)".into(),
            "early-exit",
            control_early_exit,
            on(control_jwt_early_exit),
        ),
        (
            "constant-time control (the reference's subtle compare)".into(),
            "constant",
            control_constant,
            on(control_jwt_constant),
        ),
    ];
    let origin = Instant::now();
    let batch_size = plan.batch.max(100);
    let mut times = vec![0u64; batch_size];
    // Warm-up, thrown away (as dudect does): twice per target, since the first pass after loading is slow
    // (cold caches, page faults, clock ramp-up); the second pass sets the histograms' bin width.
    let warm_n = batch_size.min((samples as usize / 10).max(2_000));
    let warm = generate_pairs(&mut rng, &key, warm_n, ids);
    let mut analyses: Vec<Vec<Analysis>> = Vec::new();
    for (_, _, f, g) in &targets {
        measure(*f, *g, &secret, &warm, &mut times, origin);
    }
    for (_, _, f, g) in &targets {
        measure(*f, *g, &secret, &warm, &mut times, origin);
        let per_pair = ids
            .iter()
            .map(|&pair| {
                let xs: Vec<f64> =
                    (0..warm.len()).filter(|&i| warm.codes[i] as usize / 2 == pair).map(|i| times[i] as f64).collect();
                Analysis::new(if xs.is_empty() { &[1.0] } else { &xs })
            })
            .collect();
        analyses.push(per_pair);
    }
    let (start_instant, start_ticks) = (Instant::now(), ticks(origin));
    let mut unexpected = [0u64; 3];
    let max_samples = plan_max.max(samples);
    let threshold = if plan.threshold > 0.0 { plan.threshold } else { 10.0 };
    let (mut measured, mut extra_rounds) = (0u64, 0u32);
    let mut round = 0usize;
    // A leak is clear when two successive rounds say so (one round's flag could be a burst of load).
    let mut leak_rounds = 0;
    let stopped = loop {
        let verdict = if measured > 0 { clear(&analyses, ids, threshold, measured, samples) } else { None };
        leak_rounds = if verdict == Some(Clear::Leak) { leak_rounds + 1 } else { 0 };
        if plan.max_samples == 0 {
            // A fixed plan: exactly `samples`.
            if measured >= samples {
                break if verdict.is_some() { Stop::Clear } else { Stop::MaxSamples };
            }
        } else if verdict == Some(Clear::Pass) || leak_rounds >= 2 {
            break Stop::Clear;
        }
        if measured >= max_samples {
            break Stop::MaxSamples;
        }
        if plan.max_seconds > 0.0 && measured > 0 && start_instant.elapsed().as_secs_f64() >= plan.max_seconds {
            break Stop::TimeBudget;
        }
        if measured >= samples {
            extra_rounds += 1;
        }
        // The first `samples` in full batches (the last one short), then one batch a round.
        let left = if measured < samples { samples - measured } else { max_samples - measured };
        let n = (left as usize).min(batch_size);
        let batch = generate_pairs(&mut rng, &key, n, ids);
        for k in 0..3 {
            let t = (round + k) % 3;
            unexpected[t] += measure(targets[t].2, targets[t].3, &secret, &batch, &mut times, origin);
            for (&pair, analysis) in ids.iter().zip(analyses[t].iter_mut()) {
                let mine: Vec<(usize, f64)> = (0..n)
                    .filter(|&i| batch.codes[i] as usize / 2 == pair)
                    .map(|i| (batch.codes[i] as usize % 2, times[i] as f64))
                    .collect();
                analysis.push_batch(&mine);
            }
        }
        measured += n as u64;
        round += 1;
    };
    let elapsed = start_instant.elapsed();
    let spent_ticks = ticks(origin).wrapping_sub(start_ticks) as f64;
    let ns_per_unit =
        if cfg!(target_arch = "x86_64") && spent_ticks > 0.0 { elapsed.as_nanos() as f64 / spent_ticks } else { 1.0 };
    let targets = targets
        .into_iter()
        .zip(analyses)
        .zip(unexpected)
        .map(|(((name, role, _, _), pairs), unexpected)| ChildTarget {
            name,
            role: role.into(),
            pairs,
            pair_ids: ids.to_vec(),
            unexpected,
        })
        .collect();
    ChildReport::Done {
        targets,
        measured,
        extra_rounds,
        stopped,
        ns_per_unit,
        timer: TIMER.into(),
        seconds: elapsed.as_secs_f64(),
        jwt_skipped,
        minimum: samples,
        maximum: max_samples,
    }
}

/// `ivconform ffi-timing [--lib PATH]` (hidden): reads a plan on stdin, writes the report on stdout.
pub fn child_main(lib: Option<&Path>) -> Result<(), String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("cannot read the plan: {e}"))?;
    let plan: Plan = serde_json::from_str(&line).map_err(|e| format!("bad plan: {e}"))?;
    let report = run_child(&plan, lib);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &report).map_err(|e| e.to_string())?;
    out.write_all(b"\n").and_then(|()| out.flush()).map_err(|e| e.to_string())
}

/// What the parent got back: the targets assessed, or why there are none.
pub struct FfiRun {
    /// The IUT first, then the controls.
    pub targets: Vec<Target>,
    /// The timer, with its resolution.
    pub timer: String,
    /// Seconds the child measured for.
    pub seconds: f64,
    /// Measurements of each target.
    pub measured: u64,
    /// Rounds measured after the first `samples`' worth, and why it stopped.
    pub extra_rounds: u32,
    /// Why the measuring stopped.
    pub stopped: Stop,
    /// Why the JWT pair was not measured (`None`: it was).
    pub jwt_skipped: Option<String>,
    /// The least and the most measurements of each target on the scale of `measured` (the plan's, plus the
    /// JWT pair's share when it was measured).
    pub minimum: u64,
    /// See `minimum`.
    pub maximum: u64,
}

/// Starts the child for `lib` (or the linked reference), sends the plan, waits and assesses.
pub fn run(lib: Option<PathBuf>, plan: &Plan, threshold: f64) -> Result<FfiRun, String> {
    let exe = ivconform_harness::helper::exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg("ffi-timing");
    if let Some(lib) = &lib {
        cmd.arg("--lib").arg(lib);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child =
        ivconform_harness::process::spawn(&mut cmd).map_err(|e| format!("cannot start the measuring child: {e}"))?;
    let mut stdin = child.child.stdin.take().expect("piped");
    let _ = writeln!(stdin, "{}", serde_json::to_string(plan).expect("plans serialise"));
    drop(stdin);
    let (mut stdout, mut stderr) =
        (child.child.stdout.take().expect("piped"), child.child.stderr.take().expect("piped"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = (&mut stdout).take(16 << 20).read_to_string(&mut text);
        let _ = tx.send(text);
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    // Generous: 50 µs per measurement of each of the three targets (half as many again with the JWT pair),
    // plus a minute (or the time allowed, plus
    // half a minute, when that is shorter).
    let most = plan.max_samples.max(plan.samples);
    let mut deadline = Duration::from_secs(60) + Duration::from_micros(most.saturating_mul(225));
    if plan.max_seconds > 0.0 {
        deadline = deadline.min(Duration::from_secs_f64(plan.max_seconds + 30.0));
    }
    let text = match rx.recv_timeout(deadline) {
        Ok(t) => t,
        Err(_) => {
            child.kill_group();
            return Err(format!("the measurement did not finish within {} s (killed)", deadline.as_secs()));
        }
    };
    let status = child.wait().map_err(|e| e.to_string())?;
    let said = err_reader.join().unwrap_or_default();
    let last = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().to_string();
    let report: ChildReport = match serde_json::from_str(text.trim()) {
        Ok(r) => r,
        Err(_) => {
            let how = ivconform_harness::transport::stdio::describe_status(status);
            let tail = if last.is_empty() { String::new() } else { format!("; it said: {last}") };
            return Err(format!("the library crashed while being timed ({how}){tail}"));
        }
    };
    match report {
        ChildReport::Failed { message } => Err(message),
        ChildReport::Done {
            targets,
            measured,
            extra_rounds,
            stopped,
            ns_per_unit,
            timer,
            seconds,
            jwt_skipped,
            minimum,
            maximum,
        } => {
            let targets = targets
                .into_iter()
                .map(|t| Target {
                    name: t.name,
                    role: match t.role.as_str() {
                        "iut" => Role::Iut,
                        "constant" => Role::ConstantControl,
                        _ => Role::EarlyExitControl,
                    },
                    delay_ns: None,
                    pairs: t.pairs.iter().map(|a| a.assess(threshold, ns_per_unit)).collect(),
                    pair_ids: t.pair_ids,
                    unexpected_answers: t.unexpected,
                })
                .collect();
            let timer = if cfg!(target_arch = "x86_64") {
                format!("{timer}, {:.3} ticks/ns", 1.0 / ns_per_unit)
            } else {
                timer
            };
            Ok(FfiRun { targets, timer, seconds, measured, extra_rounds, stopped, jwt_skipped, minimum, maximum })
        }
    }
}
