//! `ivconform props`: property tests against any implementation, the reference as oracle; a failure is
//! shrunk and printed as a ready-to-paste golden vector with the command that replays it.

use super::iut::{connect_iut, iut_flags};
use crate::exit::{self, usage, CommandResult, Failure};

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

/// Runs the command.
pub fn props(args: PropsArgs) -> CommandResult {
    let iut = connect_iut(&args.iut, args.timeout)?;
    execute(&args, iut.connector.as_ref()).map(|s| ExitCode::from(s.code))
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
    println!(
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
                println!("  pass     {name:<18} {cases} cases, {took:.1} s  ({})", property.about)
            }
            PropertyResult::Pass { cases: 0, .. } => {
                cut_short += 1;
                lines.push((name.into(), "not_run", format!("the time allowed by {} was spent", budget.deadline_by)));
                println!("  not run  {name:<18} the time allowed by {} was spent", budget.deadline_by)
            }
            PropertyResult::Pass { cases, planned } => {
                cut_short += 1;
                lines.push((
                    name.into(),
                    "cut",
                    format!("{cases} of {planned} cases held, {took:.1} s: stopped, the time allowed by {} was spent", budget.deadline_by),
                ));
                println!(
                    "  pass     {name:<18} {cases} of {planned} cases, {took:.1} s: stopped, the time allowed by {} was spent  ({})",
                    budget.deadline_by, property.about
                )
            }
            PropertyResult::Skipped { reason } => {
                lines.push((name.into(), "skipped", reason.clone()));
                println!("  skipped  {name:<18} {reason}")
            }
            PropertyResult::Fail(f) => {
                let what = match &f.detail {
                    Some(d) => format!("expected {}; got {} ({})", d.expected, d.actual, d.hint),
                    None => f.reason.clone(),
                };
                lines.push((name.into(), "fail", what));
                println!("  FAIL     {name:<18} {took:.1} s  ({})", property.about)
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
        println!();
        match &f.detail {
            Some(_) => println!("FAIL {name}"),
            None => println!("FAIL {name}: {}", f.reason),
        }
        if let Some(change) = &f.change {
            println!("  the law: {change} must decide as before");
        }
        if f.detail.is_some() {
            println!("  first failure, before shrinking: {}", f.reason);
        }
        if let Some(d) = &f.detail {
            println!("  expected: {}", d.expected);
            println!("  actual:   {}", d.actual);
            println!("  hint:     {}", d.hint);
            println!("  kind:     {} (shrinking kept to this kind)", d.kind);
        }
        if let Some(shrunk) = &f.shrink {
            println!("  shrinking: {shrunk}");
        }
        if let Some(unstable) = &f.unstable {
            println!("  not deterministic: {unstable}");
        }
        if let Some(probe) = &f.probe {
            let smallest = if f.shrink.as_ref().is_some_and(|s| s.cut()) {
                "smallest failing input found"
            } else {
                "smallest failing input"
            };
            println!("  {smallest}, as a vector for {}:", probe.vector.file());
            for line in probe.vector.render().lines() {
                println!("    {line}");
            }
        }
        println!(
            "  replay: ivconform props {} --property {name} --seed {} --cases {}",
            iut_flags(&args.iut),
            args.seed,
            args.cases
        );
    }
    println!();
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
    println!("Verdict: {verdict}");
    Ok(PropsSummary { code, verdict, properties: lines, cut: cut_short > 0 })
}
