//! `ivconform check`: the one command a CI job runs. Four stages against one implementation, one verdict,
//! one exit code, one report with a section per stage:
//!
//! 1. **vectors**: the golden vectors, as `run` runs them (the same loading, selection, expectations, runner
//!    and reports);
//! 2. **props**: the property tests, as `props` runs them, with the reference as oracle;
//! 3. **fuzz**: a differential fuzz campaign bounded by a payload count, as `fuzz` runs it;
//! 4. **timing**: the constant-time suite (V9, and J1's token signature when the library exports
//!    `ivc_verify_jwt_raw`) over raw entry points, as `timing` runs it: only where the implementation is a C
//!    ABI library (`--lib`) or the reference (timed through its own `ivc_verify_raw` and `ivc_verify_jwt_raw`);
//!    over stdio or HTTP it is not applicable here (a round trip's noise needs `ivconform timing` and its
//!    measured floor, with far more samples than a CI gate's budget).
//!
//! **The budget** (`--budget`, 60 s by default) is split as the stages start: the vectors get up to half of
//! it (a conformant implementation needs far less; cases not started within it end as timeouts, so a gate
//! never passes vectors it did not run); what is left is shared by the stages still to run in the weights
//! props 2, fuzz 2, timing 1, so time one stage does not use goes to the next. A stage that cannot finish in
//! its share is cut and says so: props stop between cases, fuzz between payloads (a shrink ends at the
//! deadline too), timing between rounds; nothing waits past the budget but one answer's `--timeout`.
//!
//! **Deterministic under `--seed`**: props run a fixed number of cases per property and fuzz a fixed number
//! of payloads, both generated from the seed; the budget can only cut a stage short, and a cut is reported.

use super::fuzz::{FuzzArgs, FuzzSummary};
use super::iut::{connect_iut, IutArgs, ReferenceMode};
use super::props::PropsArgs;
use super::run::{Loaded, RunArgs};
use super::selection::SelectionArgs;
use super::timing::TimingArgs;
use crate::exit::{self, usage, CommandResult, Failure};

use clap::{Args, ValueEnum};
use ivconform_harness::leak::Scanner;
use ivconform_harness::report::{human, json, Report};
use ivconform_harness::runner::{self, CaseOutcome, RunOptions};
use ivconform_perf::timing::report::{TimingReport, TimingVerdict};
use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The stages, in the order they run.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The golden vectors.
    Vectors,
    /// The property tests.
    Props,
    /// The differential fuzz campaign.
    Fuzz,
    /// The constant-time suite (V9).
    Timing,
}

impl Stage {
    /// All stages, in order.
    pub const ALL: [Stage; 4] = [Stage::Vectors, Stage::Props, Stage::Fuzz, Stage::Timing];

    /// The stage's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Vectors => "vectors",
            Stage::Props => "props",
            Stage::Fuzz => "fuzz",
            Stage::Timing => "timing",
        }
    }

    /// Its weight in the split of what the vectors leave of the budget.
    fn weight(self) -> u32 {
        match self {
            Stage::Vectors => 0,
            Stage::Props | Stage::Fuzz => 2,
            Stage::Timing => 1,
        }
    }
}

/// `ivconform check`: the implementation, the budget, the selection of vectors, the reports.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,

    /// Time for the whole check, every stage included (`60`, `60s`, `2m`): the vectors get up to half, the
    /// rest is shared by props, fuzz and timing; a stage that cannot finish in its share is cut and says so.
    #[arg(long, value_name = "TIME", default_value = "60s", value_parser = budget, help_heading = "Running")]
    pub budget: Duration,
    /// Seed of the props inputs, the fuzz payloads and the timing inputs: the same seed replays the same check.
    #[arg(long, value_name = "N", default_value_t = 0, help_heading = "Running")]
    pub seed: u64,
    /// Leave a stage out (repeatable): vectors, props, fuzz, timing.
    #[arg(long, value_enum, value_name = "STAGE", help_heading = "Running")]
    pub skip: Vec<Stage>,
    /// Stop after the first stage that fails (the later stages are reported as not run).
    #[arg(long, help_heading = "Running")]
    pub fail_fast: bool,
    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = crate::value::seconds, help_heading = "Running")]
    pub timeout: Duration,
    /// Parallel connections for the vectors [default: 4 for HTTP, 1 otherwise].
    #[arg(long, value_name = "N", help_heading = "Running")]
    pub jobs: Option<usize>,
    /// Fail unless the implementation claims these capabilities: hmac, sign, verify, verify_jwt, sign_jwt.
    #[arg(long, value_name = "CAP,...", value_delimiter = ',', help_heading = "Running")]
    pub require: Vec<String>,
    /// Random inputs per property (props stage).
    #[arg(long, value_name = "N", default_value_t = 256, help_heading = "Running")]
    pub props_cases: u32,
    /// Payloads of the fuzz stage (fewer when its share of the budget ends first).
    #[arg(long, value_name = "N", default_value_t = 10_000, help_heading = "Running")]
    pub fuzz_iterations: u64,
    /// Where a fuzz finding's files go: <ID>.payload and <ID>.json.
    #[arg(long, value_name = "DIR", default_value = "ivconform-fuzz", help_heading = "Running")]
    pub out: PathBuf,

    /// Which vectors the vectors stage runs (as `run` selects them).
    #[command(flatten)]
    pub select: SelectionArgs,

    /// Write a JUnit XML report: one test suite per stage.
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report: the verdict, then per stage its verdict, share, time and details.
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    pub json: Option<PathBuf>,
    /// Print only failures and the verdicts.
    #[arg(short, long, conflicts_with = "verbose", help_heading = "Reports")]
    pub quiet: bool,
    /// Also print one line per vector.
    #[arg(short, long, help_heading = "Reports")]
    pub verbose: bool,
    /// Leave timings out of the reports (reproducible output).
    #[arg(long, help_heading = "Reports")]
    pub no_timings: bool,
}

/// `--budget`: seconds, with an optional unit (`s`, `m`, `ms`).
fn budget(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = number.trim().parse().map_err(|_| format!("{text:?} is not a time (e.g. 60, 60s, 2m)"))?;
    crate::value::seconds(&(value * scale).to_string()).map_err(|e| format!("{text:?}: {e}"))
}

/// How a stage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageVerdict {
    /// Everything it ran held.
    Pass,
    /// Everything it ran held, but its share of the budget ended it early.
    Cut,
    /// The implementation failed it.
    Fail,
    /// It ran but could not decide (timing: the controls did not behave); not a failure, said so.
    Inconclusive,
    /// Not for this implementation (timing over stdio/HTTP, a library without `ivc_verify_raw`).
    NotApplicable,
    /// Not run: `--skip`, `--fail-fast` after a failure, or no budget left.
    NotRun,
}

impl StageVerdict {
    fn word(self) -> &'static str {
        match self {
            StageVerdict::Pass => "pass",
            StageVerdict::Cut => "pass (cut)",
            StageVerdict::Fail => "FAIL",
            StageVerdict::Inconclusive => "inconclusive",
            StageVerdict::NotApplicable => "not applicable",
            StageVerdict::NotRun => "not run",
        }
    }
}

/// Stage-specific detail for the JSON report.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Detail {
    None,
    Json(serde_json::Value),
}

/// One stage's result.
#[derive(Debug, Serialize)]
struct StageResult {
    stage: Stage,
    verdict: StageVerdict,
    /// One sentence: what it ran and what it found.
    summary: String,
    /// The share of the budget it was given (seconds).
    share_seconds: f64,
    /// What it took (seconds).
    seconds: f64,
    details: Detail,
    #[serde(skip)]
    junit: Vec<TestCase>,
}

impl StageResult {
    fn not_run(stage: Stage, why: impl Into<String>) -> StageResult {
        StageResult {
            stage,
            verdict: StageVerdict::NotRun,
            summary: why.into(),
            share_seconds: 0.0,
            seconds: 0.0,
            details: Detail::None,
            junit: Vec::new(),
        }
    }
}

/// The check's JSON document.
#[derive(Serialize)]
struct Doc<'a> {
    ivconform_version: &'static str,
    command: &'static str,
    implementation: &'a str,
    seed: u64,
    budget_seconds: f64,
    seconds: f64,
    conformant: bool,
    exit_code: u8,
    verdict: &'a str,
    stages: &'a [StageResult],
}

/// Runs the command.
pub fn check(args: CheckArgs) -> CommandResult {
    if args.props_cases == 0 {
        return usage("--props-cases must be at least 1");
    }
    if args.fuzz_iterations == 0 {
        return usage("--fuzz-iterations must be at least 1");
    }
    // Every output path before any stage runs (cli.rs conventions).
    crate::output::check_outputs(&[("--junit", args.junit.as_deref()), ("--json", args.json.as_deref())])?;
    let started = Instant::now();
    let deadline = started + args.budget;
    let run_args = run_args(&args);
    let loaded = super::run::load(&run_args)?;
    let iut = connect_iut(&args.iut, args.timeout)?;
    let describe = iut.connector.describe();
    let timings = !args.no_timings;
    println!(
        "ivconform check: {describe}, seed {}, budget {} s: vectors, then props, fuzz{}",
        args.seed,
        args.budget.as_secs_f64(),
        if timing_target(&args.iut).is_some() { ", timing" } else { " (timing needs raw entry points: --lib)" }
    );
    let mut results: Vec<StageResult> = Vec::new();
    let mut failed = false;
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        if args.skip.contains(&stage) {
            results.push(StageResult::not_run(stage, "left out (--skip)"));
            continue;
        }
        if failed && args.fail_fast {
            results.push(StageResult::not_run(stage, "not run: an earlier stage failed (--fail-fast)"));
            continue;
        }
        if stage == Stage::Timing && timing_target(&args.iut).is_none() {
            results.push(StageResult {
                verdict: StageVerdict::NotApplicable,
                summary: "not applicable over stdio/HTTP: timing needs the raw entry points of a C ABI library \
                          (--lib); measure a wire implementation with `ivconform timing` and its measured floor"
                    .into(),
                ..StageResult::not_run(stage, "")
            });
            continue;
        }
        let now = Instant::now();
        let left = deadline.saturating_duration_since(now);
        if left < Duration::from_millis(200) {
            results.push(StageResult::not_run(stage, "not run: the budget was spent (raise --budget)"));
            continue;
        }
        let share = if stage == Stage::Vectors {
            left / 2
        } else {
            let weights: u32 = Stage::ALL[i..]
                .iter()
                .filter(|s| !args.skip.contains(s) && (**s != Stage::Timing || timing_target(&args.iut).is_some()))
                .map(|s| s.weight())
                .sum();
            left.mul_f64(f64::from(stage.weight()) / f64::from(weights.max(1)))
        };
        println!("\n== {} (share of the budget: {:.1} s) ==", stage.name(), share.as_secs_f64());
        let stage_started = Instant::now();
        let mut result = match stage {
            Stage::Vectors => vectors_stage(&args, &run_args, &loaded, iut.connector.as_ref(), share, timings)?,
            Stage::Props => props_stage(&args, iut.connector.as_ref(), share)?,
            Stage::Fuzz => fuzz_stage(&args, &loaded, iut.connector.as_ref(), share)?,
            Stage::Timing => timing_stage(&args, share)?,
        };
        result.share_seconds = share.as_secs_f64();
        result.seconds = stage_started.elapsed().as_secs_f64();
        failed |= result.verdict == StageVerdict::Fail;
        results.push(result);
    }
    drop(iut);

    let failing: Vec<&str> =
        results.iter().filter(|r| r.verdict == StageVerdict::Fail).map(|r| r.stage.name()).collect();
    let ran = results.iter().any(|r| matches!(r.verdict, StageVerdict::Pass | StageVerdict::Cut | StageVerdict::Fail));
    let conformant = failing.is_empty() && ran;
    let verdict = if !failing.is_empty() {
        format!("nonconformant: {} failed", failing.join(", "))
    } else if !ran {
        "nothing was tested: no stage ran".to_string()
    } else {
        let mut notes: Vec<String> = Vec::new();
        for r in &results {
            match r.verdict {
                StageVerdict::Cut => notes.push(format!("{} cut by its share of the budget", r.stage.name())),
                StageVerdict::Inconclusive => notes.push(format!("{} inconclusive", r.stage.name())),
                StageVerdict::NotRun => notes.push(format!("{} not run", r.stage.name())),
                _ => {}
            }
        }
        if notes.is_empty() {
            "conformant: every stage passed".to_string()
        } else {
            format!("conformant: every stage that ran passed ({})", notes.join("; "))
        }
    };
    let code = if conformant { exit::CONFORMANT } else { exit::NONCONFORMANT };
    let total = started.elapsed().as_secs_f64();

    println!("\n== check: {describe}, seed {}, {:.1} of {} s ==", args.seed, total, args.budget.as_secs_f64());
    for r in &results {
        let time = if timings && r.share_seconds > 0.0 {
            format!("  ({:.1} s of {:.1} s)", r.seconds, r.share_seconds)
        } else {
            String::new()
        };
        println!(
            "  {:<8} {:<15} {}{time}",
            r.stage.name(),
            r.verdict.word(),
            ivconform_harness::sanitize::iut_text(&r.summary)
        );
    }
    println!("\nVerdict: {verdict}");

    if let Some(path) = &args.json {
        let doc = Doc {
            ivconform_version: env!("CARGO_PKG_VERSION"),
            command: "check",
            implementation: &describe,
            seed: args.seed,
            budget_seconds: args.budget.as_secs_f64(),
            seconds: if timings { total } else { 0.0 },
            conformant,
            exit_code: code,
            verdict: &verdict,
            stages: &results,
        };
        let mut value = serde_json::to_value(&doc).expect("reports serialise");
        if !timings {
            for stage in value["stages"].as_array_mut().into_iter().flatten() {
                stage["seconds"] = 0.0.into();
                stage["share_seconds"] = 0.0.into();
            }
        }
        let text = serde_json::to_string_pretty(&value).expect("reports serialise") + "\n";
        if let Err(e) = std::fs::write(path, text) {
            return usage(format!("cannot write {}: {e}", path.display()));
        }
    }
    if let Some(path) = &args.junit {
        let mut j = JReport::new("ivconform check");
        if timings {
            j.set_time(Duration::from_secs_f64(total));
        }
        for r in results {
            let mut suite = TestSuite::new(r.stage.name());
            if r.junit.is_empty() {
                // A stage with no cases of its own (not run, not applicable): one case saying so.
                let mut status = TestCaseStatus::skipped();
                status.set_message(r.summary.clone());
                suite.add_test_case(TestCase::new(r.stage.name(), status));
            } else {
                suite.add_test_cases(r.junit);
            }
            j.add_test_suite(suite);
        }
        let text = j.to_string().unwrap_or_else(|e| format!("<!-- could not render JUnit XML: {e} -->\n"));
        if let Err(e) = std::fs::write(path, text) {
            return usage(format!("cannot write {}: {e}", path.display()));
        }
    }
    Ok(ExitCode::from(code))
}

/// `run`'s arguments for the vectors stage (the same selection, expectations and running flags).
fn run_args(args: &CheckArgs) -> RunArgs {
    RunArgs {
        iut: args.iut.clone(),
        sign_exec: None,
        declare_secret_text: false,
        declare_identifier: None,
        wycheproof: None,
        select: args.select.clone(),
        list: false,
        timeout: args.timeout,
        run_timeout: None,
        jobs: args.jobs,
        require: args.require.clone(),
        fail_fast: false,
        max_failures: None,
        junit: None,
        json: None,
        html: None,
        quiet: args.quiet,
        verbose: args.verbose,
        no_timings: args.no_timings,
    }
}

/// Stage 1: the golden vectors, as `run` runs them, within `share`.
fn vectors_stage(
    args: &CheckArgs,
    run_args: &RunArgs,
    loaded: &Loaded,
    connector: &dyn ivconform_harness::transport::Connector,
    share: Duration,
    timings: bool,
) -> Result<StageResult, Failure> {
    let default_jobs = if args.iut.url.is_some() || args.iut.reference == Some(ReferenceMode::Http) { 4 } else { 1 };
    let options = RunOptions {
        jobs: run_args.jobs.unwrap_or(default_jobs),
        run_timeout: Some(share),
        max_failures: None,
        on_case: None,
    };
    let scanner = Scanner::new(&loaded.all, loaded.hashes.clone());
    let result = runner::run(connector, &loaded.cases, &scanner, &loaded.expectations, &options)
        .map_err(|e| Failure::unreachable(format!("the implementation could not be started or reached: {}", e.0)))?;
    let report = Report {
        cases: &loaded.cases,
        run: &result,
        transport: connector.describe(),
        suite: loaded.source.label(&loaded.suite),
        stale_expectations: loaded.stale.clone(),
        missing_required: loaded
            .required
            .iter()
            .filter(|c| !result.hello.capabilities.contains(c))
            .map(|c| c.as_str().to_string())
            .collect(),
    };
    let verbosity = if args.quiet {
        human::Verbosity::Quiet
    } else if args.verbose {
        human::Verbosity::Verbose
    } else {
        human::Verbosity::Normal
    };
    print!("{}", human::render(&report, verbosity, std::io::stdout().is_terminal(), timings));
    let counts = report.counts();
    let not_started = result
        .results
        .iter()
        .filter(|r| matches!(&r.outcome, CaseOutcome::Timeout { reason } if reason.contains("whole-run timeout")))
        .count();
    let problems = report.problems();
    let verdict = if report.conformant() { StageVerdict::Pass } else { StageVerdict::Fail };
    let mut summary = format!(
        "{} of {} vectors passed, {} failed, {} skipped",
        counts.pass,
        counts.total,
        counts.bad(),
        counts.skipped
    );
    if !problems.is_empty() {
        summary.push_str(&format!(": {}", problems.join("; ")));
    }
    if not_started > 0 {
        summary.push_str(&format!(
            "; cut: {not_started} cases not started within the stage's {:.1} s (raise --budget)",
            share.as_secs_f64()
        ));
    }
    let junit = result
        .results
        .iter()
        .map(|r| {
            let case = &loaded.cases[r.index];
            let mut tc = TestCase::new(case.id.clone(), case_status(&r.outcome));
            tc.set_classname(format!("ivconform.vectors.{}", case.group.as_str()));
            if timings {
                tc.set_time(r.duration);
            }
            tc
        })
        .collect();
    let details = serde_json::from_str(&json::render(&report, timings)).map_or(Detail::None, Detail::Json);
    Ok(StageResult { stage: Stage::Vectors, verdict, summary, share_seconds: 0.0, seconds: 0.0, details, junit })
}

/// A vector's outcome as a JUnit status (as `run --junit` reports it, in brief).
fn case_status(outcome: &CaseOutcome) -> TestCaseStatus {
    match outcome {
        CaseOutcome::Pass => TestCaseStatus::success(),
        CaseOutcome::Fail { expected, actual, hint, .. } => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!("expected {expected}; got {actual}"));
            s.set_type("fail");
            s.set_description(format!("expected: {expected}\nactual:   {actual}\nhint:     {hint}"));
            s
        }
        o if o.is_bad() => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(serde_json::to_string(o).unwrap_or_else(|_| o.kind().to_string()));
            s.set_type(o.kind());
            s
        }
        o => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(serde_json::to_string(o).unwrap_or_else(|_| o.kind().to_string()));
            s.set_type(o.kind());
            s
        }
    }
}

/// Stage 2: the properties, as `props` runs them, within `share` (shrinking a failure within it too).
fn props_stage(
    args: &CheckArgs,
    connector: &dyn ivconform_harness::transport::Connector,
    share: Duration,
) -> Result<StageResult, Failure> {
    let props_args = PropsArgs {
        quiet: args.quiet,
        iut: args.iut.clone(),
        cases: args.props_cases,
        seed: args.seed,
        properties: Vec::new(),
        timeout: args.timeout,
        max_shrink_iters: 512,
        shrink_time: share / 2,
        // A margin for what follows the last case or payload (closing, the last answer's wait).
        duration: share.mul_f64(0.9),
        deadline_by: Some(format!("check's props share of --budget ({:.1} s)", share.as_secs_f64())),
        json: None,
        junit: None,
    };
    let summary = super::props::execute(&props_args, connector)?;
    let stage_verdict = if summary.code != exit::CONFORMANT {
        StageVerdict::Fail
    } else if summary.cut {
        StageVerdict::Cut
    } else {
        StageVerdict::Pass
    };
    let junit = summary.junit_cases();
    let details = summary.details(args.props_cases);
    let verdict = summary.verdict;
    Ok(StageResult {
        stage: Stage::Props,
        verdict: stage_verdict,
        summary: verdict,
        share_seconds: 0.0,
        seconds: 0.0,
        details: Detail::Json(details),
        junit,
    })
}

/// Stage 3: a fuzz campaign of `--fuzz-iterations` payloads, as `fuzz` runs it, within `share`.
fn fuzz_stage(
    args: &CheckArgs,
    loaded: &Loaded,
    connector: &dyn ivconform_harness::transport::Connector,
    share: Duration,
) -> Result<StageResult, Failure> {
    let fuzz_args = FuzzArgs {
        quiet: args.quiet,
        iut: args.iut.clone(),
        // A margin for what follows the last case or payload (closing, the last answer's wait).
        duration: share.mul_f64(0.9),
        iterations: Some(args.fuzz_iterations),
        seed: args.seed,
        out: args.out.clone(),
        max_shrink_iters: 1000,
        shrink_time: share / 2,
        timeout: args.timeout,
        replay: None,
        vectors: args.select.vectors.clone(),
        deadline_by: Some(format!("check's fuzz share of --budget ({:.1} s)", share.as_secs_f64())),
        json: None,
        junit: None,
    };
    let seeds = ivconform_differential::fuzz::corpus::from_vectors(&loaded.suite);
    let FuzzSummary { code, sent, seconds, finding, cut, skipped } =
        super::fuzz::execute(&fuzz_args, connector, &seeds)?;
    let (verdict, summary) = if let Some(reason) = skipped {
        (StageVerdict::NotApplicable, reason)
    } else if let Some(what) = &finding {
        (StageVerdict::Fail, format!("a disagreement after {sent} payloads: {what}"))
    } else if code != exit::CONFORMANT {
        (StageVerdict::Fail, format!("a disagreement after {sent} payloads"))
    } else if cut {
        (
            StageVerdict::Cut,
            format!(
                "no disagreement in {sent} of {} payloads: cut by the stage's {:.1} s",
                args.fuzz_iterations,
                share.as_secs_f64()
            ),
        )
    } else {
        (StageVerdict::Pass, format!("no disagreement in {sent} payloads (seed {})", args.seed))
    };
    let status = match verdict {
        StageVerdict::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(summary.clone());
            s.set_type("disagreement");
            s
        }
        StageVerdict::NotApplicable => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(summary.clone());
            s
        }
        _ => TestCaseStatus::success(),
    };
    let mut tc = TestCase::new("differential fuzz", status);
    tc.set_classname("ivconform.fuzz");
    if !args.no_timings {
        tc.set_time(Duration::from_secs_f64(seconds));
    }
    let details = serde_json::json!({
        "payloads": sent, "planned": args.fuzz_iterations, "finding": finding, "cut": cut,
    });
    Ok(StageResult {
        stage: Stage::Fuzz,
        verdict,
        summary,
        share_seconds: 0.0,
        seconds: 0.0,
        details: Detail::Json(details),
        junit: vec![tc],
    })
}

/// The library `timing` measures for this IUT: `--lib`'s, or the reference's own (any `--reference`);
/// `None` over stdio/HTTP.
fn timing_target(iut: &IutArgs) -> Option<IutArgs> {
    if iut.lib.is_some() {
        Some(iut.clone())
    } else if iut.reference.is_some() {
        Some(IutArgs { reference: Some(ReferenceMode::Ffi), cmd: None, url: None, lib: None, wait: None })
    } else {
        None
    }
}

/// Stage 4: the constant-time suite over raw entry points, as `timing` runs it, sampling within `share`.
fn timing_stage(args: &CheckArgs, share: Duration) -> Result<StageResult, Failure> {
    let iut = timing_target(&args.iut).expect("the caller checked");
    let timing_args = TimingArgs {
        quiet: args.quiet,
        plot: None,
        iut,
        samples: 100_000,
        max_samples: None,
        seed: args.seed,
        threshold: 10.0,
        ladder: vec![0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
        timeout: args.timeout,
        json: None,
        // The measuring child's start-up and warm-up come on top of its measuring time.
        max_time: Some(share.mul_f64(0.6)),
    };
    let report: TimingReport = super::timing::measure(&timing_args)?;
    print!("{}", report.human());
    let no_raw = report.problems.iter().any(|p| p.contains("does not export ivc_verify_raw"));
    let verdict = match report.verdict {
        TimingVerdict::Pass => StageVerdict::Pass,
        TimingVerdict::Fail => StageVerdict::Fail,
        TimingVerdict::Inconclusive if no_raw => StageVerdict::NotApplicable,
        TimingVerdict::Inconclusive => StageVerdict::Inconclusive,
    };
    let summary = match verdict {
        StageVerdict::NotApplicable => {
            "not applicable: the library does not export ivc_verify_raw (optional in include/ivconform.h)".into()
        }
        _ => format!("{}: {}", report.verdict_word(), report.reason),
    };
    let status = match verdict {
        StageVerdict::Pass => TestCaseStatus::success(),
        StageVerdict::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(report.reason.clone());
            s.set_type("timing_leak");
            s
        }
        _ => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(summary.clone());
            s.set_type(if verdict == StageVerdict::Inconclusive { "inconclusive" } else { "not_applicable" });
            s
        }
    };
    let mut tc = TestCase::new("V9 constant-time verification", status);
    tc.set_classname("ivconform.timing");
    if !args.no_timings {
        tc.set_time(Duration::from_secs_f64(report.seconds));
    }
    let details = serde_json::to_value(&report).map_or(Detail::None, Detail::Json);
    Ok(StageResult {
        stage: Stage::Timing,
        verdict,
        summary,
        share_seconds: 0.0,
        seconds: 0.0,
        details,
        junit: vec![tc],
    })
}

#[cfg(test)]
mod tests {
    use super::budget;
    use std::time::Duration;

    #[test]
    fn budgets_take_a_unit() {
        assert_eq!(budget("60"), Ok(Duration::from_secs(60)));
        assert_eq!(budget("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(budget("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(budget("500ms"), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1s", "sixty", "", "1e9"] {
            assert!(budget(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
