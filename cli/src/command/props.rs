//! `ivconform props`: property tests against any implementation, the reference as oracle; a failure is
//! shrunk and printed as a ready-to-paste golden vector with the command that replays it.

use super::iut::{connect_iut, iut_flags};
use crate::exit::{self, usage, CommandResult, Failure};
use crate::output::say;

use super::iut::IutArgs;
use clap::Args;
use ivconform_differential::props::check::{run_property, Budget, PropertyResult, Session};
use ivconform_differential::props::properties::ALL;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// `ivconform props`: what to test and how hard.
#[derive(Args, Debug)]
pub struct PropsArgs {
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,
    /// Random inputs per property, before any shrinking (one input is one or more requests; compare fuzz
    /// --cases, which counts payloads for the whole run).
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub cases: u32,
    /// Seed of the random inputs: the same seed, cases and properties replay the same run.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Run only this property (repeatable): sign, verify, precedence, reorder, custom-attributes, other-platform.
    #[arg(long = "property", value_name = "NAME")]
    pub properties: Vec<String>,
    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = crate::value::seconds)]
    pub timeout: Duration,
    /// Most candidates tried while shrinking a failure (one input each, so one or more requests); the same
    /// flag as fuzz's.
    #[arg(long = "max-shrink-iters", alias = "max-shrink", value_name = "N", default_value_t = 2048)]
    pub max_shrink_iters: u32,
    /// Most seconds spent shrinking a failure (never past --duration); a timeout or crash of the
    /// implementation while shrinking ends the shrink at once.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = crate::value::seconds)]
    pub shrink_time: Duration,
    /// Seconds the whole run may take, shrinking included: a property still running then stops and says
    /// how many of its cases it ran, and properties not started are not run.
    #[arg(long, value_name = "SECS", default_value = "600", value_parser = crate::value::seconds)]
    pub duration: Duration,
    /// No progress display on stderr (the report is unchanged).
    #[arg(short, long)]
    pub quiet: bool,
    /// Write the run as JSON (docs/report.schema.json, command `props`) to FILE; `-` is stdout, and the human
    /// report then goes to stderr.
    #[arg(long, value_name = "FILE")]
    pub json: Option<std::path::PathBuf>,
    /// Write JUnit XML to FILE (one testcase per property); `-` is stdout, as for --json.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
    /// What set the deadline, for reports (`check` names its budget); `--duration N s` when unset.
    #[arg(skip)]
    pub deadline_by: Option<String>,
}

/// What a props run found, for `check`'s report: the verdict's exit code and line, and a line per property.
#[derive(Debug, Clone)]
pub struct PropsSummary {
    /// The exit code of the verdict (0 held, 1 failed or nothing tested).
    pub code: u8,
    /// The verdict line (without `Verdict: `).
    pub verdict: String,
    /// Per property: its name, `pass`/`cut`/`not_run`/`skipped`/`fail` and what happened.
    pub properties: Vec<(String, &'static str, String)>,
    /// Whether the time budget stopped a property early.
    pub cut: bool,
}

impl PropsSummary {
    /// One JUnit testcase per property (a cut property passed what it ran; a skipped one is skipped).
    pub fn junit_cases(&self) -> Vec<quick_junit::TestCase> {
        use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};
        self.properties
            .iter()
            .map(|(name, status, what)| {
                let status = match *status {
                    "pass" | "cut" => TestCaseStatus::success(),
                    "fail" => {
                        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        s.set_message(what.clone());
                        s.set_type("fail");
                        s
                    }
                    other => {
                        let mut s = TestCaseStatus::skipped();
                        s.set_message(what.clone());
                        s.set_type(other);
                        s
                    }
                };
                let mut tc = TestCase::new(name.clone(), status);
                tc.set_classname("ivconform.props");
                tc
            })
            .collect()
    }

    /// The machine-readable body: the verdict and each property's result.
    pub fn details(&self, cases_per_property: u32) -> serde_json::Value {
        serde_json::json!({
            "verdict": self.verdict,
            "exit_code": self.code,
            "cut": self.cut,
            "cases_per_property": cases_per_property,
            "properties": self.properties.iter().map(|(name, status, what)| serde_json::json!({
                "property": name, "result": status, "detail": what,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Runs the command.
pub fn props(args: PropsArgs) -> CommandResult {
    crate::output::check_outputs(&[("--json", args.json.as_deref()), ("--junit", args.junit.as_deref())])?;
    crate::output::human_to_stderr_if_stdout_taken(&[args.json.as_deref(), args.junit.as_deref()])?;
    let started = std::time::SystemTime::now();
    let iut = connect_iut(&args.iut, args.timeout)?;
    let summary = execute(&args, iut.connector.as_ref())?;
    if let Some(path) = &args.json {
        let body = summary.details(args.cases);
        super::report::write_output("--json", path, &super::report::enveloped("props", started, &body))?;
    }
    if let Some(path) = &args.junit {
        let xml = crate::output::junit_one_suite("ivconform props", "props", summary.junit_cases(), started);
        super::report::write_output("--junit", path, &xml)?;
    }
    Ok(ExitCode::from(summary.code))
}

/// Runs the selected properties against `connector` (the IUT `args.iut` names), printing as it goes.
pub fn execute(
    args: &PropsArgs,
    connector: &dyn ivconform_harness::transport::Connector,
) -> Result<PropsSummary, Failure> {
    if args.cases == 0 {
        return usage("--cases must be at least 1");
    }
    let names: Vec<&str> = ALL.iter().map(|p| p.name).collect();
    if let Some(bad) = args.properties.iter().find(|p| !names.contains(&p.as_str())) {
        return usage(format!("unknown property {bad:?}: expected one of {}", names.join(", ")));
    }
    let selected: Vec<_> =
        ALL.iter().filter(|p| args.properties.is_empty() || args.properties.iter().any(|n| n == p.name)).collect();
    let session = match Session::open(connector) {
        Ok(s) => s,
        Err(e) => {
            return Err(Failure::unreachable(format!(
                "the implementation could not be started or reached: {}: {e}",
                connector.describe()
            )));
        }
    };
    say!(
        "ivconform props: {} ({} {}), seed {}, {} cases per property, at most {} s",
        connector.describe(),
        // The hello is the IUT's text: shown escaped, so it cannot start a line of its own.
        ivconform_harness::sanitize::iut_text(&session.hello.name),
        ivconform_harness::sanitize::iut_text(&session.hello.version),
        args.seed,
        args.cases,
        args.duration.as_secs_f64()
    );
    let budget = Budget {
        cases: args.cases,
        shrink_checks: args.max_shrink_iters,
        shrink_time: args.shrink_time,
        deadline: Instant::now() + args.duration,
        deadline_by: args
            .deadline_by
            .clone()
            .unwrap_or_else(|| format!("--duration {} s", args.duration.as_secs_f64())),
    };
    let mut failures = Vec::new();
    let mut lines: Vec<(String, &'static str, String)> = Vec::new();
    let (mut cases_run, mut cut_short) = (0u32, 0usize);
    let total = selected.len() as u64 * u64::from(args.cases);
    let bar = crate::progress::Progress::new("props", Some(total), "cases", args.quiet);
    for property in &selected {
        let started = Instant::now();
        bar.set_message(property.name);
        // Past the deadline a property is not started at all (generating its inputs only to stop costs time).
        let verdict = if Instant::now() >= budget.deadline {
            PropertyResult::Pass { cases: 0, planned: args.cases }
        } else {
            run_property(&session, property, args.seed, &budget)
        };
        bar.inc(u64::from(args.cases));
        let took = started.elapsed().as_secs_f64();
        let name = property.name;
        bar.suspend(|| match &verdict {
            PropertyResult::Pass { cases, planned } if cases == planned => {
                lines.push((name.into(), "pass", format!("{cases} cases, {took:.1} s")));
                say!("  pass     {name:<18} {cases} cases, {took:.1} s  ({})", property.about)
            }
            PropertyResult::Pass { cases: 0, .. } => {
                cut_short += 1;
                lines.push((name.into(), "not_run", format!("the time allowed by {} was spent", budget.deadline_by)));
                say!("  not run  {name:<18} the time allowed by {} was spent", budget.deadline_by)
            }
            PropertyResult::Pass { cases, planned } => {
                cut_short += 1;
                lines.push((
                    name.into(),
                    "cut",
                    format!("{cases} of {planned} cases held, {took:.1} s: stopped, the time allowed by {} was spent", budget.deadline_by),
                ));
                say!(
                    "  pass     {name:<18} {cases} of {planned} cases, {took:.1} s: stopped, the time allowed by {} was spent  ({})",
                    budget.deadline_by, property.about
                )
            }
            PropertyResult::Skipped { reason } => {
                lines.push((name.into(), "skipped", reason.clone()));
                say!("  skipped  {name:<18} {reason}")
            }
            PropertyResult::Fail(f) => {
                let what = match &f.detail {
                    Some(d) => format!("expected {}; got {} ({})", d.expected, d.actual, d.hint),
                    None => f.reason.clone(),
                };
                lines.push((name.into(), "fail", what));
                say!("  FAIL     {name:<18} {took:.1} s  ({})", property.about)
            }
        });
        match verdict {
            PropertyResult::Pass { cases, .. } => cases_run += cases,
            PropertyResult::Fail(f) => failures.push((name, f)),
            PropertyResult::Skipped { .. } => {}
        }
    }
    bar.finish();
    session.close();
    for (name, f) in &failures {
        say!();
        match &f.detail {
            Some(_) => say!("FAIL {name}"),
            None => say!("FAIL {name}: {}", f.reason),
        }
        if let Some(change) = &f.change {
            say!("  the law: {change} must decide as before");
        }
        if f.detail.is_some() {
            say!("  first failure, before shrinking: {}", f.reason);
        }
        if let Some(d) = &f.detail {
            say!("  expected: {}", d.expected);
            say!("  actual:   {}", d.actual);
            say!("  hint:     {}", d.hint);
            say!("  kind:     {} (shrinking kept to this kind)", d.kind);
        }
        if let Some(shrunk) = &f.shrink {
            say!("  shrinking: {shrunk}");
        }
        if let Some(unstable) = &f.unstable {
            say!("  not deterministic: {unstable}");
        }
        if let Some(probe) = &f.probe {
            let smallest = if f.shrink.as_ref().is_some_and(|s| s.cut()) {
                "smallest failing input found"
            } else {
                "smallest failing input"
            };
            say!("  {smallest}, as a vector for {}:", probe.vector.file());
            for line in probe.vector.render().lines() {
                say!("    {line}");
            }
        }
        say!(
            "  replay: ivconform props {} --property {name} --seed {} --cases {}",
            iut_flags(&args.iut),
            args.seed,
            args.cases
        );
    }
    say!();
    let (code, verdict) = if !failures.is_empty() {
        (exit::NONCONFORMANT, format!("nonconformant: {} of {} properties failed.", failures.len(), selected.len()))
    } else if cases_run == 0 {
        (exit::NONCONFORMANT, "nothing was tested: no property ran a case (see above).".to_string())
    } else if cut_short > 0 {
        (
            exit::CONFORMANT,
            format!(
                "every case run held, but {cut_short} of {} properties stopped early ({} spent; seed {}).",
                selected.len(),
                budget.deadline_by,
                args.seed
            ),
        )
    } else {
        (exit::CONFORMANT, format!("every property held ({} properties, seed {}).", selected.len(), args.seed))
    };
    say!("Verdict: {verdict}");
    Ok(PropsSummary { code, verdict, properties: lines, cut: cut_short > 0 })
}
