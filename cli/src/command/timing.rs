//! `ivconform timing`: the constant-time suite (V9) over FFI (in-process timing of `ivc_verify_raw` in a
//! disposable child) or over HTTP/stdio (round trips of `verify` messages, with a measured floor); and the
//! hidden helpers it starts: `ffi-timing` (the measuring child) and `timing-control` (the control IUT).

use crate::exit::{self, usage, CommandResult, Failure};

use super::iut::{IutArgs, ReferenceMode};
use clap::Args;
use ivconform_perf::timing::report::{decide, Sampling, TimingReport, TimingVerdict};
use ivconform_perf::timing::{control as ctl, ffi, wire};
use std::io::Write;
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `ivconform timing`: what to measure, how long, where to write the report.
#[derive(Args, Debug)]
pub struct TimingArgs {
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,
    /// Measurements of the IUT on the two hash class pairs together (the JWT signature pair, when measured,
    /// adds half as many again); each control gets as many. Over FFI the least
    /// before a pass is called: sampling goes on in rounds until the controls and the verdict are clear, or
    /// --max-samples or --max-time end it (the report says how many and why it stopped).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub samples: u64,
    /// The most measurements of each target while the verdict is not clear [default: 10 x --samples over
    /// FFI, 3 x over HTTP/stdio; --max-samples equal to --samples measures exactly that many].
    #[arg(long, value_name = "N")]
    pub max_samples: Option<u64>,
    /// Seed of the inputs and of the class order.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// |t| (and decile |z|) above which a difference counts as a leak (dudect's "probably not constant time").
    #[arg(long, value_name = "T", default_value_t = 10.0)]
    pub threshold: f64,
    /// HTTP/stdio only: the known delays (microseconds) injected into the early-exit controls to measure the
    /// detection floor.
    #[arg(long, value_name = "US,US,...", value_delimiter = ',', default_value = "0.5,1,2,4,8,16,32")]
    pub ladder: Vec<f64>,
    /// Seconds to wait for each answer (HTTP/stdio).
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = crate::value::seconds)]
    pub timeout: Duration,
    /// Write the whole result (verdict, controls, statistics per class pair) as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Most seconds the measurement may take beyond --samples (rounds of samples stop there, and the verdict
    /// is taken on what was measured).
    #[arg(long, value_name = "SECS", value_parser = crate::value::seconds)]
    pub max_time: Option<Duration>,
    /// Draw the implementation's two classes' timing distributions (per class pair) and the verdict to
    /// this SVG file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// No progress display on stderr (the report is unchanged).
    #[arg(short, long)]
    pub quiet: bool,
}

/// `ivconform timing-control` (hidden): serve the delayed control IUT.
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["stdio", "http"])))]
pub struct TimingControlArgs {
    /// Speak JSON lines on stdin/stdout.
    #[arg(long)]
    pub stdio: bool,
    /// Listen for HTTP on this address (port 0: any free port; the address is printed).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// Nanoseconds to busy-wait when the supplied hash's first byte is right (0: the plain reference).
    #[arg(long, value_name = "DELAY", default_value_t = 0)]
    pub delay_ns: u64,
}

/// Runs the command.
pub fn timing(args: TimingArgs) -> CommandResult {
    let started = std::time::SystemTime::now();
    super::iut::check_wait(&args.iut)?;
    crate::output::check_outputs(&[("--json", args.json.as_deref()), ("--plot", args.plot.as_deref())])?;
    let bar = crate::progress::Progress::timed("timing", None, args.quiet);
    bar.set_message(format!("{} samples of the implementation and each control", args.samples));
    let report = measure(&args);
    bar.finish();
    let report = report?;
    print!("{}", report.human());
    if let Some(path) = &args.plot {
        let svg = ivconform_perf::plot::timing_svg(&report, &ivconform_perf::timing::PAIRS).map_err(Failure::usage)?;
        if let Err(e) = std::fs::write(path, svg) {
            return usage(format!("cannot write {}: {e}", path.display()));
        }
    }
    if let Some(path) = &args.json {
        super::report::write_output("--json", path, &super::report::enveloped("timing", started, &report))?;
    }
    Ok(ExitCode::from(match report.verdict {
        TimingVerdict::Pass => exit::CONFORMANT,
        TimingVerdict::Fail => exit::NONCONFORMANT,
        TimingVerdict::Inconclusive => exit::INCONCLUSIVE,
    }))
}

/// Measures what `args` names and decides (shared by `timing` and `check`); nothing is printed.
pub fn measure(args: &TimingArgs) -> Result<TimingReport, Failure> {
    if args.samples < 1_000 {
        return usage("--samples must be at least 1000 (both class pairs share them)");
    }
    if !(args.threshold.is_finite() && args.threshold > 0.0) {
        return usage(format!("--threshold must be a positive number, not {}", args.threshold));
    }
    if args.ladder.is_empty() || args.ladder.iter().any(|d| !(d.is_finite() && *d > 0.0 && *d < 1e6)) {
        return usage("--ladder takes positive delays in microseconds, e.g. 0.5,1,2,4");
    }
    let timeout = args.timeout;
    let iut = &args.iut;
    // Over FFI: a library, the reference cdylib, or the reference linked into the measuring child.
    let ffi_target = if let Some(lib) = &iut.lib {
        if !lib.is_file() {
            return usage(format!("--lib {}: no such file", lib.display()));
        }
        Some((Some(lib.clone()), format!("ffi: {} (ivc_verify_raw, timed in a child process)", lib.display())))
    } else {
        match iut.reference {
            Some(ReferenceMode::Ffi) => match super::iut::reference_library() {
                Ok(lib) => {
                    let label = format!("{} (the reference's ivc_verify_raw)", lib.describe());
                    Some((lib.file().map(Path::to_path_buf), label))
                }
                Err(e) => {
                    return Err(Failure::unreachable(e));
                }
            },
            Some(ReferenceMode::Inproc) => {
                Some((None, "in-process: the reference's ivc_verify_raw, linked into the measuring child".into()))
            }
            _ => None,
        }
    };
    let mut sampling = None;
    let mut not_measured = Vec::new();
    let (transport, timer, outcome) = match ffi_target {
        Some((lib, label)) => {
            let maximum = args.max_samples.unwrap_or(args.samples.saturating_mul(10)).max(args.samples);
            let plan = ffi::Plan {
                samples: args.samples,
                seed: args.seed,
                batch: 10_000,
                max_samples: maximum,
                max_seconds: args.max_time.map_or(0.0, |d| d.as_secs_f64()),
                threshold: args.threshold,
            };
            match ffi::run(lib, &plan, args.threshold) {
                Ok(run) => {
                    not_measured.extend(run.jwt_skipped);
                    sampling =
                        Some(Sampling::new(run.measured, run.minimum, run.maximum, run.extra_rounds, run.stopped));
                    (label, run.timer, Ok((run.targets, run.seconds)))
                }
                Err(e) => (label, "rdtsc (in the child)".into(), Err(e)),
            }
        }
        None => {
            let kind = if iut.url.is_some() || iut.reference == Some(ReferenceMode::Http) {
                wire::Kind::Http
            } else {
                wire::Kind::Stdio
            };
            let connected = super::iut::connect_iut(iut, timeout)?;
            let label = connected.connector.describe();
            let ladder: Vec<u64> = args.ladder.iter().map(|us| (us * 1000.0).round() as u64).collect();
            let connector = connected.connector;
            let _guard = connected.guard;
            let timer = "monotonic clock around each round trip (ns)".to_string();
            let maximum = args.max_samples.unwrap_or(args.samples.saturating_mul(3)).max(args.samples);
            let budget = wire::Budget {
                samples: args.samples,
                max_samples: maximum,
                max_seconds: args.max_time.map_or(0.0, |d| d.as_secs_f64()),
            };
            match wire::run(connector, kind, budget, args.seed, &ladder, args.threshold, timeout) {
                Ok(run) => {
                    not_measured.extend(run.skipped);
                    sampling =
                        Some(Sampling::new(run.measured, run.minimum, run.maximum, run.extra_rounds, run.stopped));
                    (label, timer, Ok((run.targets, run.seconds)))
                }
                Err(wire::WireError::Unreachable(m)) => {
                    return Err(Failure::unreachable(format!(
                        "the implementation could not be started or reached: {m}"
                    )));
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
                sampling,
                not_measured,
            }
        }
        Err(problem) => TimingReport {
            transport,
            timer,
            samples: args.samples,
            seed: args.seed,
            threshold: args.threshold,
            seconds: 0.0,
            verdict: TimingVerdict::Inconclusive,
            reason: format!("no measurement: {problem}"),
            controls_ok: false,
            control_notes: Vec::new(),
            floor_ns: None,
            detectable_ns: None,
            targets: Vec::new(),
            problems: vec![problem],
            sampling: None,
            not_measured,
        },
    };
    Ok(report)
}

/// `ivconform ffi-timing` (hidden): the measuring child.
pub fn ffi_child(lib: Option<&Path>) -> CommandResult {
    match ffi::child_main(lib) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => usage(e),
    }
}

/// `ivconform timing-control` (hidden): the reference with a data-dependent delay, over stdio or HTTP.
pub fn control(args: TimingControlArgs) -> CommandResult {
    ctl::set_delay_ns(args.delay_ns);
    if args.stdio {
        let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
        return match ivconform_harness::serve::stdio::serve_lines(stdin.lock(), stdout.lock(), ctl::handle) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
            Err(e) => usage(e),
        };
    }
    let addr = args.http.expect("clap requires --stdio or --http");
    let result = ivconform_harness::serve::http::serve_with(&addr, 1, ctl::handle, |bound| {
        println!("listening on http://{bound}/");
        let _ = std::io::stdout().flush();
    });
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => usage(format!("{e:#}")),
    }
}
