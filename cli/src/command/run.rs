//! `ivconform run`: load, select, connect, run, report, exit with a CI-readable code.

use super::iut::connect_iut;
use crate::exit::{self, CommandResult, Failure};

use super::iut::{IutArgs, ReferenceMode};
use super::selection::SelectionArgs;
use clap::Args;
use ivconform_harness::leak::Scanner;
use ivconform_harness::report::{human, json, junit, Report};
use ivconform_harness::runner::{self, RunOptions};
use ivconform_harness::suite::expectations::Expectations;
use ivconform_harness::suite::plan::{expected_hashes, plan};
use ivconform_harness::suite::select::Selection;
use ivconform_protocol::Capability;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,
    /// Test a one-shot signer: run `sh -c CMD` once per sign case, the request's fields as one JSON object on
    /// stdin, the 64-hex hash, error:CLASS or nothing on stdout, exit 0 (docs/PROTOCOL.md, "One-shot
    /// signers"). Only sign cases run.
    #[arg(long, value_name = "CMD", group = "iut", help_heading = "Implementation under test")]
    pub sign_exec: Option<String>,
    /// With --sign-exec: the signer takes the secret only as text, so cases whose secret is not UTF-8 (or holds
    /// a NUL) are not applicable (as `"limits": {"secret": "text"}` in a hello).
    #[arg(long, help_heading = "Implementation under test")]
    pub declare_secret_text: bool,
    /// With --sign-exec: the signer hashes only this identifier, user_id or email, the one the application
    /// picks; cases expecting the other, or testing the choice between them, are not applicable.
    #[arg(long, value_name = "FIELD", value_parser = ["user_id", "email"], help_heading = "Implementation under test")]
    pub declare_identifier: Option<String>,

    /// Run a Project Wycheproof MAC test file (HMACSHA256, e.g. hmac_sha256_test.json) against the
    /// implementation's hmac capability, instead of the golden vectors; with no FILE, the bundled copy of
    /// Wycheproof's hmac_sha256_test.json (174 tests, vectors/external/wycheproof/).
    #[arg(long, value_name = "FILE", num_args = 0..=1, help_heading = "Selecting cases")]
    pub wycheproof: Option<Option<PathBuf>>,
    /// Which vectors: the directory, globs, groups, rules, flags, exclusions, expected failures.
    #[command(flatten)]
    pub select: SelectionArgs,
    /// Print the selected cases and exit without running anything.
    #[arg(long, help_heading = "Selecting cases")]
    pub list: bool,

    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = crate::value::seconds, help_heading = "Running")]
    pub timeout: Duration,
    /// Seconds for the whole run; cases not started by then end as timeouts.
    #[arg(long, value_name = "SECS", value_parser = crate::value::seconds, help_heading = "Running")]
    pub run_timeout: Option<Duration>,
    /// Parallel connections [default: 4 for HTTP, 1 otherwise].
    #[arg(long, value_name = "N", help_heading = "Running")]
    pub jobs: Option<usize>,
    /// Fail the run (exit 1) unless the implementation claims these capabilities: hmac, sign, verify,
    /// verify_jwt, sign_jwt (comma-separated or repeated). Without it, unclaimed capabilities are skipped.
    #[arg(long, value_name = "CAP,...", value_delimiter = ',', help_heading = "Running")]
    pub require: Vec<String>,
    /// Stop at the first nonconformant case (the same as --max-failures 1).
    #[arg(long, conflicts_with = "max_failures", help_heading = "Running")]
    pub fail_fast: bool,
    /// Stop after N nonconformant cases; the cases not started are reported as not run.
    #[arg(long, value_name = "N", help_heading = "Running")]
    pub max_failures: Option<usize>,

    /// Write a JUnit XML report (one test suite per vector group).
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report (docs/report.schema.json: run metadata, the IUT's hello, outcomes with structured
    /// expected and actual values and the rule each failure broke). `-` writes it to stdout (as `--junit -`
    /// does the JUnit XML), and the human report then goes to stderr.
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML report (rule and flag tables, failures grouped by cause).
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    pub html: Option<PathBuf>,
    /// Print only the failures and the verdict.
    #[arg(short, long, conflicts_with = "verbose", help_heading = "Reports")]
    pub quiet: bool,
    /// Also print one line per case.
    #[arg(short, long, help_heading = "Reports")]
    pub verbose: bool,
    /// Leave timings out of every report (reproducible output).
    #[arg(long, help_heading = "Reports")]
    pub no_timings: bool,
}

/// The cases a run's selection and expectations flags name, loaded and planned (shared by `run` and `check`).
pub struct Loaded {
    /// The golden vectors (loaded with `--wycheproof` too: `check` seeds its fuzz stage from them).
    pub suite: ivconform_vectors::Suite,
    /// Where the golden vectors came from.
    pub source: ivconform_vectors::VectorSource,
    /// Every planned case of the suite that runs (for the leak scanner and stale expectations).
    pub all: Vec<ivconform_harness::suite::plan::PlannedCase>,
    /// The selected cases.
    pub cases: Vec<ivconform_harness::suite::plan::PlannedCase>,
    /// The expected values the leak scanner looks for.
    pub hashes: Vec<(String, String)>,
    /// The known deviations (`--expectations`).
    pub expectations: Expectations,
    /// Expectations entries that match no case, for the report.
    pub stale: Vec<String>,
    /// The `--require`d capabilities.
    pub required: Vec<Capability>,
}

/// Loads the vectors (or the Wycheproof file), the expectations and the selection; a usage failure when one
/// of them is bad or nothing is selected.
pub fn load(args: &RunArgs) -> Result<Loaded, Failure> {
    if args.max_failures == Some(0) {
        return Err(Failure::usage("--max-failures must be at least 1"));
    }
    let mut required = Vec::new();
    for name in &args.require {
        match Capability::parse(name.trim()) {
            Some(c) => required.push(c),
            None => {
                let known: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
                return Err(Failure::usage(format!(
                    "--require {name:?}: not a capability; expected one of {}",
                    known.join(", ")
                )));
            }
        }
    }
    let source = ivconform_vectors::VectorSource::from_option(args.select.vectors.clone());
    let suite = source.load().map_err(|e| Failure::usage(format!("bad vectors: {e} {}", source.hint())))?;
    let expectations = match &args.select.expectations {
        Some(path) => Expectations::load(path).map_err(Failure::usage)?,
        None => Expectations::default(),
    };
    let selection = Selection::new(
        &args.select.cases,
        &args.select.exclude,
        &args.select.groups,
        &args.select.rules,
        &args.select.flags,
    )
    .map_err(Failure::usage)?;
    let selection =
        selection.excluding(&args.select.exclude_rules, &args.select.exclude_flags).map_err(Failure::usage)?;
    let (all, hashes) = match &args.wycheproof {
        Some(file) => match file
            .as_deref()
            .map_or_else(ivconform_harness::suite::wycheproof::bundled, ivconform_harness::suite::wycheproof::load)
        {
            Ok(cases) => {
                let hashes = ivconform_harness::suite::wycheproof::expected_hashes(&cases);
                (cases, hashes)
            }
            Err(e) => return Err(Failure::usage(format!("bad Wycheproof file: {e}"))),
        },
        None => (plan(&suite), expected_hashes(&suite)),
    };
    let all_ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    let stale: Vec<String> = expectations
        .unmatched(&all_ids)
        .iter()
        .map(|e| format!("line {}: case = {:?} ({})", e.line, e.pattern, e.reason))
        .collect();
    let cases: Vec<_> = all.iter().filter(|c| selection.matches(c)).cloned().collect();
    if cases.is_empty() {
        return Err(Failure::usage("no case matches the selection (try --list without filters to see the ids)"));
    }
    Ok(Loaded { suite, source, all, cases, hashes, expectations, stale, required })
}

/// Runs the command.
pub fn run(args: RunArgs) -> CommandResult {
    let (timeout, run_timeout) = (args.timeout, args.run_timeout);
    // Every output path, before anything runs (a typo must not cost a whole run).
    crate::output::check_outputs(&[
        ("--junit", args.junit.as_deref()),
        ("--json", args.json.as_deref()),
        ("--html", args.html.as_deref()),
    ])?;
    let to_stdout = super::report::stdout_claimed(&[
        ("--junit", args.junit.as_deref()),
        ("--json", args.json.as_deref()),
        ("--html", args.html.as_deref()),
    ])?;
    let Loaded { suite, source, all, cases, hashes, expectations, stale, required } = load(&args)?;
    if args.list {
        for c in &cases {
            let rules: Vec<&str> = c.rules.iter().map(|r| r.id()).collect();
            let flags: Vec<&str> = c.flags.iter().map(|f| f.as_str()).collect();
            println!("{:<11} {:<52} {:<14} {}", c.group.as_str(), c.id, rules.join(","), flags.join(","));
        }
        eprintln!("{} of {} cases selected", cases.len(), all.len());
        return Ok(ExitCode::from(exit::CONFORMANT));
    }

    // Reach the implementation.
    let default_jobs = if args.iut.url.is_some() || args.iut.reference == Some(ReferenceMode::Http) { 4 } else { 1 };
    let (connector, _reference_guard) = match connect_run_iut(&args, timeout) {
        Ok(iut) => (iut.connector, iut.guard),
        Err(failure) => return Err(failure),
    };

    let bar = Arc::new(crate::progress::Progress::new("run", Some(cases.len() as u64), "cases", args.quiet));
    let bar_cb = bar.clone();
    let options = RunOptions {
        jobs: args.jobs.unwrap_or(default_jobs),
        run_timeout,
        max_failures: if args.fail_fast { Some(1) } else { args.max_failures },
        on_case: Some(Arc::new(move |case, outcome| {
            bar_cb.inc(1);
            if outcome.is_bad() {
                bar_cb.set_message(format!("last failure: {}", case.id));
            }
        })),
    };
    let scanner = Scanner::new(&all, hashes);
    let result = runner::run(connector.as_ref(), &cases, &scanner, &expectations, &options);
    drop(options);
    if let Ok(bar) = Arc::try_unwrap(bar) {
        bar.finish();
    }
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            return Err(Failure::unreachable(format!("the implementation could not be started or reached: {}", e.0)));
        }
    };
    let suite_label = match &args.wycheproof {
        Some(Some(file)) => format!(
            "Wycheproof {}",
            file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned())
        ),
        Some(None) => format!(
            "Wycheproof {} (bundled, {})",
            ivconform_vectors::bundled::WYCHEPROOF_HMAC_SHA256_NAME,
            ivconform_vectors::bundled::WYCHEPROOF_PROVENANCE
        ),
        None => source.label(&suite),
    };
    let report = Report {
        cases: &cases,
        run: &result,
        transport: connector.describe(),
        suite: suite_label,
        stale_expectations: stale,
        missing_required: required
            .iter()
            .filter(|c| !result.hello.capabilities.contains(c))
            .map(|c| c.as_str().to_string())
            .collect(),
    };
    let timings = !args.no_timings;
    let verbosity = if args.quiet {
        human::Verbosity::Quiet
    } else if args.verbose {
        human::Verbosity::Verbose
    } else {
        human::Verbosity::Normal
    };
    // One document for every format; with a report on stdout (`-`), the human report goes to stderr.
    let doc = ivconform_harness::report::doc::RunDoc::of(&report, timings);
    if to_stdout {
        eprint!("{}", human::render_doc(&doc, verbosity, false, timings));
    } else {
        print!("{}", human::render_doc(&doc, verbosity, crate::color::color_stdout(), timings));
    }
    let outputs = [
        ("--junit", &args.junit, args.junit.as_ref().map(|_| junit::render(&report, timings))),
        ("--json", &args.json, args.json.as_ref().map(|_| json::render_doc(&doc))),
        (
            "--html",
            &args.html,
            args.html.as_ref().map(|_| ivconform_harness::report::html::render(std::slice::from_ref(&doc))),
        ),
    ];
    for (flag, path, text) in outputs {
        if let (Some(path), Some(text)) = (path, text) {
            super::report::write_output(flag, path, &text)?;
        }
    }
    Ok(ExitCode::from(if report.conformant() { exit::CONFORMANT } else { exit::NONCONFORMANT }))
}

/// The implementation `run` tests: a one-shot signer (`--sign-exec`, with its `--declare-*` limits), else what
/// `--reference/--cmd/--url/--lib` name.
fn connect_run_iut(args: &RunArgs, timeout: Duration) -> Result<super::iut::Iut, Failure> {
    let declared = args.declare_secret_text || args.declare_identifier.is_some();
    let Some(command) = &args.sign_exec else {
        if declared {
            // A full adapter declares its limits in its hello (docs/PROTOCOL.md, "Declared limits").
            return Err(Failure::usage(
                "--declare-secret-text and --declare-identifier go with --sign-exec; an adapter declares its limits in its hello ('limits')",
            ));
        }
        return connect_iut(&args.iut, timeout);
    };
    let limits = ivconform_protocol::Limits {
        secret_text: args.declare_secret_text,
        identifier: args.declare_identifier.as_deref().and_then(ivconform_protocol::IdentifierLimit::parse),
        note: None,
    };
    let connector = ivconform_harness::transport::exec::ExecConnector::new(command, timeout, Some(limits));
    Ok(super::iut::Iut { connector: Box::new(connector), guard: None })
}
