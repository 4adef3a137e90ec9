//! `ivconform run`: load, select, connect, run, report, exit with a CI-readable code.

use super::iut::connect_iut;
use super::{EXIT_CONFORMANT, EXIT_NONCONFORMANT, EXIT_UNREACHABLE, EXIT_USAGE};
use crate::cli::{ReferenceMode, RunArgs};
use crate::leak::Scanner;
use crate::report::{human, json, junit, Report};
use crate::runner::{self, RunOptions};
use crate::suite::expectations::Expectations;
use crate::suite::plan::{expected_hashes, plan};
use crate::suite::select::Selection;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("ivconform run: {message}");
    ExitCode::from(EXIT_USAGE)
}

fn seconds(name: &str, value: f64) -> Result<Duration, String> {
    if value.is_finite() && value > 0.0 && value < 1e7 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!("{name} must be a positive number of seconds, not {value}"))
    }
}

/// Runs the command.
pub fn run(args: RunArgs) -> ExitCode {
    let timeout = match seconds("--timeout", args.timeout) {
        Ok(t) => t,
        Err(e) => return usage(e),
    };
    let run_timeout = match args.run_timeout.map(|s| seconds("--run-timeout", s)).transpose() {
        Ok(t) => t,
        Err(e) => return usage(e),
    };
    let dir = args.vectors.clone().unwrap_or_else(ivconform_vectors::default_dir);
    let suite = match ivconform_vectors::load_dir(&dir) {
        Ok(s) => s,
        Err(e) => return usage(format!("bad vectors: {e}")),
    };
    let expectations = match &args.expectations {
        Some(path) => match Expectations::load(path) {
            Ok(x) => x,
            Err(e) => return usage(e),
        },
        None => Expectations::default(),
    };
    let selection = match Selection::new(&args.cases, &args.exclude, &args.groups, &args.rules, &args.flags) {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let (all, hashes) = match &args.wycheproof {
        Some(file) => match crate::suite::wycheproof::load(file) {
            Ok(cases) => {
                let hashes = crate::suite::wycheproof::expected_hashes(&cases);
                (cases, hashes)
            }
            Err(e) => return usage(format!("bad Wycheproof file: {e}")),
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
        return usage("no case matches the selection (try --list without filters to see the ids)");
    }
    if args.list {
        for c in &cases {
            let rules: Vec<&str> = c.rules.iter().map(|r| r.id()).collect();
            let flags: Vec<&str> = c.flags.iter().map(|f| f.as_str()).collect();
            println!("{:<11} {:<52} {:<14} {}", c.group.as_str(), c.id, rules.join(","), flags.join(","));
        }
        eprintln!("{} of {} cases selected", cases.len(), all.len());
        return ExitCode::from(EXIT_CONFORMANT);
    }

    // Reach the implementation.
    let default_jobs = if args.iut.url.is_some() || args.iut.reference == Some(ReferenceMode::Http) { 4 } else { 1 };
    let (connector, _reference_guard) = match connect_iut(&args.iut, timeout) {
        Ok(iut) => (iut.connector, iut.guard),
        Err((code, m)) => {
            eprintln!("ivconform run: {m}");
            return ExitCode::from(code);
        }
    };

    let interactive = std::io::stderr().is_terminal() && !args.quiet;
    let bar = ProgressBar::with_draw_target(
        Some(cases.len() as u64),
        if interactive { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let bar_cb = bar.clone();
    let options = RunOptions {
        jobs: args.jobs.unwrap_or(default_jobs),
        run_timeout,
        on_case: Some(Arc::new(move |case, outcome| {
            bar_cb.inc(1);
            if outcome.is_bad() {
                bar_cb.set_message(format!("last failure: {}", case.id));
            }
        })),
    };
    let scanner = Scanner::new(hashes);
    let result = runner::run(connector.as_ref(), &cases, &scanner, &expectations, &options);
    bar.finish_and_clear();
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ivconform run: the implementation could not be started or reached: {}", e.0);
            return ExitCode::from(EXIT_UNREACHABLE);
        }
    };
    let suite_label = match &args.wycheproof {
        Some(file) => format!(
            "Wycheproof {}",
            file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned())
        ),
        None => format!("golden vectors {}", ivconform_vectors::SUITE_VERSION),
    };
    let report = Report {
        cases: &cases,
        run: &result,
        transport: connector.describe(),
        suite: suite_label,
        stale_expectations: stale,
    };
    let timings = !args.no_timings;
    let verbosity = if args.quiet {
        human::Verbosity::Quiet
    } else if args.verbose {
        human::Verbosity::Verbose
    } else {
        human::Verbosity::Normal
    };
    print!("{}", human::render(&report, verbosity, std::io::stdout().is_terminal(), timings));
    for (path, text) in [
        (&args.junit, args.junit.as_ref().map(|_| junit::render(&report, timings))),
        (&args.json, args.json.as_ref().map(|_| json::render(&report, timings))),
    ] {
        if let (Some(path), Some(text)) = (path, text) {
            if let Err(e) = std::fs::write(path, text) {
                return usage(format!("cannot write {}: {e}", path.display()));
            }
        }
    }
    ExitCode::from(if report.conformant() { EXIT_CONFORMANT } else { EXIT_NONCONFORMANT })
}
