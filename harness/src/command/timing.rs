//! `ivconform timing`: the constant-time suite (V9) over FFI (in-process timing of `ivc_verify_raw` in a
//! disposable child) or over HTTP/stdio (round trips of `verify` messages, with a measured floor); and the
//! hidden helpers it starts: `ffi-timing` (the measuring child) and `timing-control` (the control IUT).

use super::{EXIT_CONFORMANT, EXIT_NONCONFORMANT, EXIT_UNREACHABLE, EXIT_USAGE};
use crate::cli::{ReferenceMode, TimingArgs, TimingControlArgs};
use crate::timing::report::{decide, TimingReport, Verdict};
use crate::timing::{control as ctl, ffi, wire};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code: the controls did not behave or the measurement could not complete, so no verdict.
pub const EXIT_INCONCLUSIVE: u8 = 4;

fn usage(m: impl std::fmt::Display) -> ExitCode {
    eprintln!("ivconform timing: {m}");
    ExitCode::from(EXIT_USAGE)
}

/// Runs the command.
pub fn timing(args: TimingArgs) -> ExitCode {
    if args.samples < 1_000 {
        return usage("--samples must be at least 1000 (both class pairs share them)");
    }
    if !(args.threshold.is_finite() && args.threshold > 0.0) {
        return usage(format!("--threshold must be a positive number, not {}", args.threshold));
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout < 1e7) {
        return usage(format!("--timeout must be a positive number of seconds, not {}", args.timeout));
    }
    if args.ladder.is_empty() || args.ladder.iter().any(|d| !(d.is_finite() && *d > 0.0 && *d < 1e6)) {
        return usage("--ladder takes positive delays in microseconds, e.g. 0.5,1,2,4");
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let iut = &args.iut;
    // Over FFI: a library, the reference cdylib, or the reference linked into the measuring child.
    let ffi_target = if let Some(lib) = &iut.lib {
        if !lib.is_file() {
            return usage(format!("--lib {}: no such file", lib.display()));
        }
        Some((Some(lib.clone()), format!("ffi: {} (ivc_verify_raw, timed in a child process)", lib.display())))
    } else {
        match iut.reference {
            Some(ReferenceMode::Ffi) => match super::reference::reference_library() {
                Ok(lib) => {
                    let label = format!("ffi: {} (the reference's ivc_verify_raw)", lib.display());
                    Some((Some(lib), label))
                }
                Err(e) => {
                    eprintln!("ivconform timing: {e}");
                    return ExitCode::from(EXIT_UNREACHABLE);
                }
            },
            Some(ReferenceMode::Inproc) => {
                Some((None, "in-process: the reference's ivc_verify_raw, linked into the measuring child".into()))
            }
            _ => None,
        }
    };
    let (transport, timer, outcome) = match ffi_target {
        Some((lib, label)) => {
            let plan = ffi::Plan { samples: args.samples, seed: args.seed, batch: 10_000 };
            match ffi::run(lib, &plan, args.threshold) {
                Ok(run) => (label, run.timer, Ok((run.targets, run.seconds))),
                Err(e) => (label, "rdtsc (in the child)".into(), Err(e)),
            }
        }
        None => {
            let kind = if iut.url.is_some() || iut.reference == Some(ReferenceMode::Http) {
                wire::Kind::Http
            } else {
                wire::Kind::Stdio
            };
            let connected = match super::iut::connect_iut(iut, timeout) {
                Ok(c) => c,
                Err((code, m)) => {
                    eprintln!("ivconform timing: {m}");
                    return ExitCode::from(code);
                }
            };
            let label = connected.connector.describe();
            let ladder: Vec<u64> = args.ladder.iter().map(|us| (us * 1000.0).round() as u64).collect();
            let connector = connected.connector;
            let _guard = connected.guard;
            let timer = "monotonic clock around each round trip (ns)".to_string();
            match wire::run(connector, kind, args.samples, args.seed, &ladder, args.threshold, timeout) {
                Ok(run) => (label, timer, Ok((run.targets, run.seconds))),
                Err(wire::WireError::Unreachable(m)) => {
                    eprintln!("ivconform timing: the implementation could not be started or reached: {m}");
                    return ExitCode::from(EXIT_UNREACHABLE);
                }
                Err(wire::WireError::Broken(m)) => (label, timer, Err(format!("stopped answering: {m}"))),
            }
        }
    };
    let report = match outcome {
        Ok((targets, seconds)) => {
            let mut problems = Vec::new();
            if targets[0].unexpected_answers > 0 {
                problems.push(format!(
                    "the implementation did not refuse {} of the wrong hashes it was timed on",
                    targets[0].unexpected_answers
                ));
            }
            let (verdict, reason, controls_ok, control_notes, floor_ns) = decide(&targets, args.threshold, &problems);
            let detectable_ns = targets[0]
                .pairs
                .iter()
                .filter_map(|a| a.detectable_ns)
                .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.max(d))));
            TimingReport {
                transport,
                timer,
                samples: args.samples,
                seed: args.seed,
                threshold: args.threshold,
                seconds,
                verdict,
                reason,
                controls_ok,
                control_notes,
                floor_ns,
                detectable_ns,
                targets,
                problems,
            }
        }
        Err(problem) => TimingReport {
            transport,
            timer,
            samples: args.samples,
            seed: args.seed,
            threshold: args.threshold,
            seconds: 0.0,
            verdict: Verdict::Inconclusive,
            reason: format!("no measurement: {problem}"),
            controls_ok: false,
            control_notes: Vec::new(),
            floor_ns: None,
            detectable_ns: None,
            targets: Vec::new(),
            problems: vec![problem],
        },
    };
    print!("{}", report.human());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).expect("reports serialise");
        if let Err(e) = std::fs::write(path, text + "\n") {
            return usage(format!("cannot write {}: {e}", path.display()));
        }
    }
    ExitCode::from(match report.verdict {
        Verdict::Pass => EXIT_CONFORMANT,
        Verdict::Fail => EXIT_NONCONFORMANT,
        Verdict::Inconclusive => EXIT_INCONCLUSIVE,
    })
}

/// `ivconform ffi-timing` (hidden): the measuring child.
pub fn ffi_child(lib: Option<&Path>) -> ExitCode {
    match ffi::child_main(lib) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ivconform ffi-timing: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `ivconform timing-control` (hidden): the reference with a data-dependent delay, over stdio or HTTP.
pub fn control(args: TimingControlArgs) -> ExitCode {
    ctl::set_delay_ns(args.delay_ns);
    if args.stdio {
        let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
        return match crate::serve::stdio::serve_lines(stdin.lock(), stdout.lock(), ctl::handle) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => usage(e),
        };
    }
    let addr = args.http.expect("clap requires --stdio or --http");
    let result = crate::serve::http::serve_with(&addr, 1, ctl::handle, |bound| {
        println!("listening on http://{bound}/");
        let _ = std::io::stdout().flush();
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => usage(format!("{e:#}")),
    }
}
