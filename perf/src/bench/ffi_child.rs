//! Benchmarks over FFI: the library runs in a disposable child (`ivconform ffi-bench`, hidden), which loads
//! it, calls the raw entry points `ivc_sign_raw` / `ivc_verify_raw` of `include/ivconform.h` in a tight loop
//! (or `ivc_call` with JSON when the library lacks them), and prints one JSON line: counts and latencies.
//! A crash in the library ends only the child; the parent reports it.
//!
//! Calls run in batches of [`BATCH`]; the clock is read once per batch, and in one batch out of
//! [`SAMPLE_EVERY`] around every call, so a 100 ns call's throughput is not dominated by timer reads while
//! its latency percentiles still rest on many thousands of individually timed calls.

use super::drive::{Limit, Measured};
use super::workload::{check, items, Op, SECRET};
use anyhow::anyhow;
use ivconform_harness::abi::{AbiLibrary, CallAnswer};
use ivconform_protocol::MAX_RESPONSE_BYTES;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Calls per batch.
pub const BATCH: u64 = 64;
/// One batch in this many is timed call by call.
pub const SAMPLE_EVERY: u64 = 8;

/// `ivconform ffi-bench` (hidden): the child's arguments.
#[derive(clap::Args, Debug)]
pub struct FfiBenchArgs {
    /// The shared library implementing include/ivconform.h; without it, the reference linked into this
    /// executable (its C entry points, `ivconform_ffi::ENTRY_POINTS`).
    #[arg(long)]
    pub lib: Option<PathBuf>,
    /// What to call.
    #[arg(long, value_enum)]
    pub op: Op,
    /// Seconds to measure.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Calls to measure (instead of a time).
    #[arg(long)]
    pub count: Option<u64>,
    /// Unrecorded warm-up, in seconds.
    #[arg(long, default_value_t = 0.5)]
    pub warmup: f64,
}

/// What the child prints.
#[derive(Debug, Serialize, Deserialize)]
struct ChildResult {
    /// Whether the raw entry points were used (else `ivc_call`).
    raw: bool,
    measured: Measured,
}

/// The child: loads the library, measures, prints a `ChildResult` line (JSON). Exit 3 when it cannot load.
pub fn child(args: &FfiBenchArgs) -> std::process::ExitCode {
    match measure(args) {
        Ok(result) => {
            println!("{}", serde_json::to_string(&result).expect("serialises"));
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ivconform ffi-bench: {e:#}");
            std::process::ExitCode::from(3)
        }
    }
}

fn measure(args: &FfiBenchArgs) -> anyhow::Result<ChildResult> {
    let library = match &args.lib {
        Some(lib) => AbiLibrary::load(lib),
        None => AbiLibrary::linked("the linked reference", ivconform_ffi::ENTRY_POINTS),
    }
    .map_err(|e| anyhow!(e))?;
    let items = items(args.op);
    let limit = Limit { seconds: args.seconds, count: args.count, warmup: args.warmup };
    // The raw entry point when the library has it, else ivc_call with the JSON request.
    let mut out_hex = [0u8; 64];
    let (sign_raw, verify_raw) = (library.sign_raw(), library.verify_raw());
    let requests: Vec<Vec<u8>> =
        items.iter().map(|it| serde_json::to_vec(&it.request.clone().with_seq(1)).expect("serialises")).collect();
    let raw = match args.op {
        Op::Sign => sign_raw.is_some(),
        Op::Verify => verify_raw.is_some(),
    };
    // One call: Ok(()) for a right answer, Err(why) otherwise.
    let mut one = |i: usize| -> Result<(), String> {
        let item = &items[i];
        match (args.op, &sign_raw, &verify_raw) {
            (Op::Sign, Some(f), _) => {
                // SAFETY: every buffer is valid for its length; out_hex has the 64 bytes the header demands.
                let rc =
                    unsafe { f(SECRET.as_ptr(), SECRET.len(), item.id.as_ptr(), item.id.len(), out_hex.as_mut_ptr()) };
                if rc != 0 {
                    return Err(format!("ivc_sign_raw returned {rc}"));
                }
                if out_hex[..] != *item.hash.as_bytes() {
                    return Err(format!(
                        "ivc_sign_raw wrote {:?}, expected {}",
                        String::from_utf8_lossy(&out_hex),
                        item.hash
                    ));
                }
                Ok(())
            }
            (Op::Verify, _, Some(f)) => {
                let h = item.hash.as_bytes();
                // SAFETY: every buffer is valid for its length.
                let rc =
                    unsafe { f(SECRET.as_ptr(), SECRET.len(), item.id.as_ptr(), item.id.len(), h.as_ptr(), h.len()) };
                if rc == 1 {
                    Ok(())
                } else {
                    Err(format!("ivc_verify_raw returned {rc} for the right hash"))
                }
            }
            _ => {
                let answer = match library.call(&requests[i], MAX_RESPONSE_BYTES) {
                    CallAnswer::Bytes(answer) => answer,
                    CallAnswer::Failed(rc) => return Err(format!("ivc_call returned {rc}")),
                    CallAnswer::NoBuffer => return Err("ivc_call returned 0 but set no response buffer".into()),
                };
                let response =
                    serde_json::from_slice(&answer).map_err(|e| format!("ivc_call answered garbage: {e}"))?;
                check(item, &response)
            }
        }
    };

    let mut m = Measured::default();
    let start = Instant::now();
    let warm_until = start + Duration::from_secs_f64(limit.warmup.max(0.0));
    let mut i = 0usize;
    while Instant::now() < warm_until {
        for _ in 0..BATCH {
            let _ = one(i % items.len());
            i += 1;
        }
    }
    let from = Instant::now();
    let until = from + Duration::from_secs_f64(limit.seconds.max(0.0));
    let mut batch_no = 0u64;
    let mut done = 0u64;
    loop {
        let n = match limit.count {
            Some(c) if done >= c => break,
            Some(c) => BATCH.min(c - done),
            None if Instant::now() >= until => break,
            None => BATCH,
        };
        let timed = batch_no % SAMPLE_EVERY == 0;
        for _ in 0..n {
            let t0 = timed.then(Instant::now);
            let r = one(i % items.len());
            i += 1;
            match r {
                Ok(()) => {
                    m.ok += 1;
                    if let Some(t0) = t0 {
                        m.latency.record(t0.elapsed().as_nanos() as u64);
                    }
                }
                Err(e) => {
                    m.errors += 1;
                    m.first_error.get_or_insert(e);
                }
            }
        }
        done += n;
        batch_no += 1;
    }
    m.seconds = from.elapsed().as_secs_f64();
    Ok(ChildResult { raw, measured: m })
}

/// The parent side: runs `connections` children on `lib` at once (each measuring `op` for the whole
/// window, or its share of the count) and merges what they report; `lib` `None` is the reference linked
/// into the executable. `Err` when a child cannot load the library; a child that crashes is reported as an
/// error in the result.
pub fn over_ffi(lib: Option<&Path>, op: Op, limit: &Limit, connections: usize) -> Result<(Measured, bool), String> {
    let exe = ivconform_harness::helper::exe()?;
    let connections = connections.max(1) as u64;
    let mut children = Vec::new();
    for k in 0..connections {
        let mut cmd = Command::new(&exe);
        cmd.arg("ffi-bench");
        if let Some(lib) = lib {
            cmd.arg("--lib").arg(lib);
        }
        cmd.arg("--op").arg(op.as_str());
        cmd.arg("--seconds").arg(limit.seconds.to_string()).arg("--warmup").arg(limit.warmup.to_string());
        if let Some(c) = limit.count {
            cmd.arg("--count").arg((c / connections + u64::from(k < c % connections)).to_string());
        }
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = ivconform_harness::process::spawn(&mut cmd)
            .map_err(|e| format!("cannot start ivconform ffi-bench: {e}"))?;
        children.push(child);
    }
    // A library that hangs must not hang the harness: the children get the window plus a minute.
    let deadline = Instant::now()
        + Duration::from_secs_f64(limit.warmup.max(0.0) + limit.seconds.max(0.0) + 60.0)
        + limit.count.map_or(Duration::ZERO, |_| Duration::from_secs(600));
    let mut total = Measured::default();
    let mut raw = true;
    for mut child in children {
        let pipe = |p: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                if let Some(p) = p {
                    let _ = p.take(16 << 20).read_to_string(&mut text);
                }
                text
            })
        };
        let out = pipe(child.child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
        let err = pipe(child.child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
        let status = loop {
            match child.try_wait() {
                Some(status) => break Some(status),
                None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                None => {
                    child.kill_group();
                    break None;
                }
            }
        };
        let (out, err) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
        match (status, serde_json::from_str::<ChildResult>(out.trim())) {
            (_, Ok(r)) => {
                raw &= r.raw;
                total.merge(&r.measured);
            }
            (Some(s), Err(_)) if s.code() == Some(3) => return Err(err.trim().to_string()),
            (status, Err(_)) => {
                total.errors += 1;
                let why = status.map_or_else(
                    || "hung and was killed".to_string(),
                    ivconform_harness::transport::stdio::describe_status,
                );
                total.first_error.get_or_insert_with(|| {
                    format!("the library's child process {why} ({})", err.lines().last().unwrap_or("no stderr"))
                });
            }
        }
    }
    Ok((total, raw))
}
