//! `ivconform bench`: drive an implementation's signing and verifying at full speed, report throughput and
//! latency percentiles, calibrate against the reference over the same transport, compare with a baseline.

use super::iut::{IutArgs, ReferenceMode};
use crate::exit::{self, usage, CommandResult, Failure};
use ivconform_perf::bench::drive::{over_connector, Limit};
use ivconform_perf::bench::ffi_child::over_ffi;
use ivconform_perf::bench::pipeline::{over_stdio, Launch};
use ivconform_perf::bench::workload::Op;
use ivconform_perf::bench::{baseline, BenchReport, OpReport, Stats, FORMAT};
use ivconform_perf::plot::{self, short_ns, BenchPanel, Side};

use clap::Args;
use ivconform_harness::transport::stdio::StdioConnector;
use ivconform_harness::transport::Connector;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `ivconform bench`: what to measure, how long, what to compare with.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The implementation under test (over FFI, `ivc_sign_raw` and `ivc_verify_raw` are called directly
    /// when the library exports them, else `ivc_call`).
    #[command(flatten)]
    pub iut: IutArgs,

    /// Operation to measure (repeatable): sign, verify [default: both].
    #[arg(long = "op", value_enum, value_name = "OP", help_heading = "Measuring")]
    pub ops: Vec<Op>,
    /// Seconds to measure each operation (for the IUT and again for the calibration), split over --rounds.
    #[arg(long, value_name = "SECS", default_value = "3", value_parser = crate::value::seconds, help_heading = "Measuring")]
    pub duration: Duration,
    /// Interleaved rounds per operation: each round measures the reference and the IUT for a slice of
    /// --duration (or --cases), alternating which goes first; the ratio is the rounds' median, with a
    /// bootstrap interval.
    #[arg(long, value_name = "N", default_value_t = 10, help_heading = "Measuring")]
    pub rounds: usize,
    /// Measure exactly this many calls per operation (over all rounds) instead of a time. The old name
    /// --count still works.
    #[arg(long = "cases", alias = "count", value_name = "N", help_heading = "Measuring")]
    pub count: Option<u64>,
    /// Unrecorded warm-up before each side's first round, in seconds (a quarter of it before later rounds).
    #[arg(long, value_name = "SECS", default_value = "0.5", value_parser = crate::value::seconds_or_zero, help_heading = "Measuring")]
    pub warmup: Duration,
    /// Parallel connections: threads for stdio, HTTP and in-process (a child process each for stdio), child
    /// processes for FFI [default: 4 for HTTP, 1 otherwise]. The old name --connections still works.
    #[arg(long = "jobs", alias = "connections", value_name = "N", help_heading = "Measuring")]
    pub connections: Option<usize>,
    /// stdio only: requests in flight per connection (written in bursts, answered in order), to measure an
    /// implementation's throughput rather than its round-trip time; 1 sends one request at a time.
    #[arg(long, value_name = "N", default_value_t = 1, help_heading = "Measuring")]
    pub pipeline: usize,
    /// Skip the calibration run of the reference (baselines then compare absolute throughput).
    #[arg(long, help_heading = "Measuring")]
    pub no_calibration: bool,
    /// Seconds to wait for each answer (stdio, HTTP).
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = crate::value::seconds, help_heading = "Measuring")]
    pub timeout: Duration,

    /// Write the results as JSON (`-` for stdout, instead of the human summary).
    #[arg(long, value_name = "FILE", help_heading = "Reports and baselines")]
    pub json: Option<PathBuf>,
    /// Save the results as a baseline file.
    #[arg(long, value_name = "FILE", help_heading = "Reports and baselines")]
    pub save_baseline: Option<PathBuf>,
    /// Compare with a saved baseline; exit 1 when an operation's throughput (as a ratio to the reference
    /// measured in the same invocation) fell by more than --max-regression percent: when the whole 95 %
    /// bootstrap interval of the change is below -PCT, not just its middle.
    #[arg(long, value_name = "FILE", help_heading = "Reports and baselines")]
    pub baseline: Option<PathBuf>,
    /// Largest allowed slowdown against the baseline, in percent.
    #[arg(long, value_name = "PCT", default_value_t = 10.0, help_heading = "Reports and baselines")]
    pub max_regression: f64,
    /// Draw the latency distributions (IUT and reference, per operation, with their percentiles) to this SVG
    /// file.
    #[arg(long, value_name = "FILE", help_heading = "Reports and baselines")]
    pub plot: Option<PathBuf>,
    /// No progress display on stderr (the report is unchanged).
    #[arg(short, long, help_heading = "Reports and baselines")]
    pub quiet: bool,
}

/// Where calls go: a connector (stdio, HTTP, in-process) or a library driven in children.
enum BenchTarget {
    Connector {
        connector: Box<dyn Connector>,
        _guard: Option<super::iut::ReferenceIut>,
    },
    /// A library file, or (`None`) the reference linked into this executable; with how reports name it.
    Ffi(Option<PathBuf>, String),
    Pipelined {
        launch: Launch,
        label: String,
        depth: usize,
        timeout: Duration,
    },
}

impl BenchTarget {
    fn describe(&self) -> String {
        match self {
            BenchTarget::Connector { connector, .. } => connector.describe(),
            BenchTarget::Ffi(_, label) => label.clone(),
            BenchTarget::Pipelined { label, depth, .. } => format!("{label} (pipelined, {depth} in flight)"),
        }
    }

    fn measure(&self, op: Op, limit: &Limit, connections: usize) -> Result<Stats, String> {
        match self {
            BenchTarget::Connector { connector, .. } => {
                over_connector(connector.as_ref(), op, limit, connections).map(|m| Stats::of(m, None))
            }
            BenchTarget::Ffi(lib, _) => {
                over_ffi(lib.as_deref(), op, limit, connections).map(|(m, raw)| Stats::of(m, Some(raw)))
            }
            BenchTarget::Pipelined { launch, depth, timeout, .. } => {
                over_stdio(launch, op, limit, connections, *depth, *timeout).map(|m| Stats::of(m, None))
            }
        }
    }
}

fn reference_target(mode: ReferenceMode, timeout: Duration, pipeline: usize) -> Result<BenchTarget, String> {
    if mode == ReferenceMode::Ffi {
        let lib = super::iut::reference_library()?;
        return Ok(BenchTarget::Ffi(lib.file().map(std::path::Path::to_path_buf), lib.describe()));
    }
    if mode == ReferenceMode::Stdio && pipeline > 1 {
        let exe = ivconform_harness::helper::exe()?;
        return Ok(BenchTarget::Pipelined {
            launch: Launch::Program(exe, vec!["serve".into(), "--stdio".into()]),
            label: "stdio: ivconform serve --stdio".into(),
            depth: pipeline,
            timeout,
        });
    }
    let mut iut = super::iut::connect_reference(mode, timeout)?;
    let connector = std::mem::replace(&mut iut.connector, Box::new(ivconform_harness::transport::inproc::InProcess));
    Ok(BenchTarget::Connector { connector, _guard: Some(iut) })
}

/// A throughput ratio: three decimals, or three significant digits below 0.01 (`0.000312`), so a very slow
/// implementation does not read as 0.000.
fn ratio(r: f64) -> String {
    if r != 0.0 && r.abs() < 0.01 {
        format!("{r:.2e}")
    } else {
        format!("{r:.3}")
    }
}

/// A latency for tables: `812 ns`, `81.2 µs`, `1.23 ms`.
fn ns(v: u64) -> String {
    short_ns(v as f64)
}

fn human(report: &BenchReport) -> String {
    let mut s = String::new();
    let limit = match report.limit.count {
        Some(n) => format!("{n} calls"),
        None => format!("{:.1} s", report.limit.seconds),
    };
    s.push_str(&format!(
        "ivconform bench: {}\n  {} connection(s), {limit} per side in {} interleaved round(s), {:.1} s warm-up{}\n\n",
        report.iut,
        report.connections,
        report.rounds,
        report.limit.warmup,
        report.calibration.as_ref().map_or(String::new(), |c| format!("; calibration: {c}"))
    ));
    s.push_str(&format!(
        "{:<7} {:<10} {:>12} {:>10} {:>10} {:>10} {:>10} {:>8}\n",
        "op", "run", "calls/s", "p50", "p90", "p99", "max", "errors"
    ));
    for o in &report.ops {
        for (who, st) in [("iut", Some(&o.iut)), ("reference", o.reference.as_ref())] {
            let Some(st) = st else { continue };
            let l = &st.latency_ns;
            s.push_str(&format!(
                "{:<7} {:<10} {:>12.0} {:>10} {:>10} {:>10} {:>10} {:>8}\n",
                o.op.as_str(),
                who,
                st.ops_per_sec,
                ns(l.p50),
                ns(l.p90),
                ns(l.p99),
                ns(l.max),
                st.errors
            ));
        }
        if let Some(r) = o.ratio_to_reference {
            let interval =
                o.ratio_interval.map(|i| format!(" [{}, {}]", ratio(i.low), ratio(i.high))).unwrap_or_default();
            s.push_str(&format!(
                "{:<7} {:<10} {:>12}{interval}   (IUT / reference throughput: median of {} rounds, 95 % interval)\n",
                o.op.as_str(),
                "ratio",
                ratio(r),
                o.rounds.len()
            ));
        }
        if let Some(e) = &o.iut.first_error {
            s.push_str(&format!("        first IUT error: {e}\n"));
        }
        if o.iut.ffi_raw == Some(false) {
            s.push_str("        (the library has no raw entry point for this: measured through ivc_call)\n");
        }
    }
    if let Some(v) = &report.baseline {
        s.push_str(&format!("\nbaseline {} (max regression {:.1}%):\n", v.file, v.max_regression_pct));
        for c in &v.comparisons {
            let interval = c.change_interval_pct.map(|[lo, hi]| format!(" [{lo:+.1}%, {hi:+.1}%]")).unwrap_or_default();
            s.push_str(&format!(
                "  {:<7} {:<19} {:>12.4} -> {:>12.4}  {:>+7.1}%{interval}  {}\n",
                c.op.as_str(),
                c.metric,
                c.baseline,
                c.current,
                c.change_pct,
                if c.regressed { "REGRESSION" } else { "ok" }
            ));
        }
        for n in &v.notes {
            s.push_str(&format!("  note: {n}\n"));
        }
        s.push_str(if v.regressed { "\nREGRESSION\n" } else { "\nwithin the baseline\n" });
    }
    s
}

/// Runs the command.
pub fn bench(args: BenchArgs) -> CommandResult {
    let started = std::time::SystemTime::now();
    if !(args.max_regression.is_finite() && args.max_regression >= 0.0) {
        return usage(format!("--max-regression must be a percentage of zero or more, not {}", args.max_regression));
    }
    if args.count == Some(0) || args.connections == Some(0) || args.pipeline == 0 || args.rounds == 0 {
        return usage("--cases, --jobs, --pipeline and --rounds must be at least 1");
    }
    if args.rounds > 1000 {
        return usage("--rounds must be at most 1000");
    }
    super::iut::check_wait(&args.iut)?;
    crate::output::check_outputs(&[
        ("--json", args.json.as_deref()),
        ("--save-baseline", args.save_baseline.as_deref()),
        ("--plot", args.plot.as_deref()),
    ])?;
    let stdio = args.iut.cmd.is_some() || args.iut.reference == Some(ReferenceMode::Stdio);
    if args.pipeline > 1 && !stdio {
        return usage("--pipeline applies to stdio implementations (--cmd, --reference stdio); use --connections for HTTP and FFI");
    }
    let timeout = args.timeout;
    let baseline_report = match &args.baseline {
        Some(path) => match baseline::load(path) {
            Ok(b) => Some(b),
            Err(e) => return usage(e),
        },
        None => None,
    };

    // The IUT, and which reference mode calibrates it (the same transport).
    let (iut, mode, default_connections) = if let Some(cmd) = &args.iut.cmd {
        let target = if args.pipeline > 1 {
            BenchTarget::Pipelined {
                launch: Launch::Shell(cmd.clone()),
                label: format!("stdio: {cmd}"),
                depth: args.pipeline,
                timeout,
            }
        } else {
            BenchTarget::Connector { connector: Box::new(StdioConnector::shell(cmd, timeout)), _guard: None }
        };
        (Ok(target), ReferenceMode::Stdio, 1)
    } else if let Some(url) = &args.iut.url {
        let c = super::iut::http_connector(&args.iut, url, timeout)?;
        (Ok(BenchTarget::Connector { connector: Box::new(c), _guard: None }), ReferenceMode::Http, 4)
    } else if let Some(lib) = &args.iut.lib {
        if !lib.is_file() {
            return usage(format!("--lib {}: no such file", lib.display()));
        }
        (Ok(BenchTarget::Ffi(Some(lib.clone()), format!("ffi: {}", lib.display()))), ReferenceMode::Ffi, 1)
    } else if let Some(mode) = args.iut.reference {
        (reference_target(mode, timeout, args.pipeline), mode, if mode == ReferenceMode::Http { 4 } else { 1 })
    } else {
        return usage(
            "say which implementation to measure: --reference, --cmd COMMAND, --url URL or --lib PATH (see --help)",
        );
    };
    let iut = match iut {
        Ok(t) => t,
        Err(e) => {
            return Err(Failure::unreachable(e));
        }
    };
    let calibration = if args.no_calibration {
        None
    } else {
        match reference_target(mode, timeout, args.pipeline) {
            Ok(t) => Some(t),
            Err(e) => {
                return Err(Failure::unreachable(format!("cannot start the calibration reference: {e}")));
            }
        }
    };
    let connections = args.connections.unwrap_or(default_connections);
    let limit = Limit { seconds: args.duration.as_secs_f64(), count: args.count, warmup: args.warmup.as_secs_f64() };
    let ops: Vec<Op> = if args.ops.is_empty() {
        Op::ALL.to_vec()
    } else {
        Op::ALL.into_iter().filter(|o| args.ops.contains(o)).collect()
    };
    // Fewer calls than rounds: one call per round.
    let rounds = args.rounds.min(args.count.map_or(usize::MAX, |n| n as usize)).max(1);

    let mut report = BenchReport {
        format: FORMAT.into(),
        iut: iut.describe(),
        calibration: calibration.as_ref().map(BenchTarget::describe),
        connections,
        limit,
        rounds,
        ops: Vec::new(),
        baseline: None,
    };
    let sides = if calibration.is_some() { 2 } else { 1 };
    let slices = (ops.len() * rounds * sides) as u64;
    let bar = crate::progress::Progress::new("bench", Some(slices), "slices", args.quiet);
    for op in ops {
        // Interleaved rounds (see ivconform_perf::bench): the reference and the IUT each measure a slice, the
        // side that goes first alternating, so both see the same machine over the same stretch of time.
        let (mut mine, mut theirs) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
        for round in 0..rounds {
            let slice = Limit {
                seconds: limit.seconds / rounds as f64,
                count: limit.count.map(|n| n / rounds as u64 + u64::from((round as u64) < n % rounds as u64)),
                warmup: if round == 0 { limit.warmup } else { limit.warmup / 4.0 },
            };
            bar.set_message(format!("{}: round {}/{rounds}", op.as_str(), round + 1));
            let reference_first = round % 2 == 0;
            for side in 0..2 {
                let is_reference = (side == 0) == reference_first;
                if is_reference {
                    let Some(c) = &calibration else { continue };
                    match c.measure(op, &slice, connections) {
                        Ok(s) => theirs.push(s),
                        Err(e) => {
                            return Err(Failure::unreachable(format!(
                                "the calibration reference could not be reached: {e}"
                            )));
                        }
                    }
                } else {
                    match iut.measure(op, &slice, connections) {
                        Ok(s) => mine.push(s),
                        Err(e) => {
                            return Err(Failure::unreachable(format!(
                                "the implementation could not be started or reached: {e}"
                            )));
                        }
                    }
                }
                bar.inc(1);
            }
        }
        let reference = calibration.as_ref().map(|_| theirs.as_slice());
        report.ops.push(OpReport::from_rounds(op, &mine, reference));
    }
    bar.finish();
    if let (Some(path), Some(b)) = (&args.baseline, &baseline_report) {
        report.baseline = Some(baseline::compare(path, b, &report, args.max_regression));
    }

    // Outputs.
    match args.json.as_deref() {
        Some(p) if p.as_os_str() == "-" => {
            print!("{}", super::report::enveloped("bench", started, &report));
        }
        other => {
            print!("{}", human(&report));
            if let Some(path) = other {
                let text = super::report::enveloped("bench", started, &report);
                if let Err(e) = std::fs::write(path, text) {
                    return usage(format!("cannot write {}: {e}", path.display()));
                }
            }
        }
    }
    if let Some(path) = &args.plot {
        let panels: Vec<BenchPanel<'_>> = report
            .ops
            .iter()
            .map(|o| {
                let mut sides = vec![Side {
                    label: format!("IUT: {}", report.iut),
                    latency: &o.iut.histogram,
                    ops_per_sec: o.iut.ops_per_sec,
                }];
                if let Some(r) = &o.reference {
                    sides.push(Side {
                        label: "reference (calibration)".into(),
                        latency: &r.histogram,
                        ops_per_sec: r.ops_per_sec,
                    });
                }
                let ratio = match (o.ratio_to_reference, o.ratio_interval) {
                    (Some(r), Some(i)) => {
                        format!(", {} × the reference [{}, {}]", ratio(r), ratio(i.low), ratio(i.high))
                    }
                    (Some(r), None) => format!(", {} × the reference", ratio(r)),
                    _ => String::new(),
                };
                BenchPanel { title: format!("{}: {:.0} calls/s{ratio}", o.op.as_str(), o.iut.ops_per_sec), sides }
            })
            .collect();
        let text = match plot::bench_svg(&format!("ivconform bench: {}", report.iut), &panels) {
            Ok(t) => t,
            Err(e) => return usage(e),
        };
        if let Err(e) = std::fs::write(path, text) {
            return usage(format!("cannot write {}: {e}", path.display()));
        }
    }
    if let Some(path) = &args.save_baseline {
        if let Err(e) = baseline::save(path, &report) {
            return usage(e);
        }
    }
    let errors: u64 = report.ops.iter().map(|o| o.iut.errors).sum();
    if errors > 0 {
        eprintln!("ivconform bench: the implementation failed or answered wrongly {errors} call(s) during the bench");
    }
    let regressed = report.baseline.as_ref().is_some_and(|v| v.regressed);
    Ok(ExitCode::from(if regressed || errors > 0 { exit::NONCONFORMANT } else { exit::CONFORMANT }))
}
