//! Saved runs: `ivconform report RUN.json... --html OUT.html` (one self-contained HTML file; several runs
//! become a matrix of implementations), `ivconform summary RUN.json` (the human report of a saved run) and
//! `ivconform diff OLD.json NEW.json` (exit 1 on a regression). Also the report outputs every command shares:
//! a path of `-` means stdout.

use crate::exit::{self, CommandResult, Failure};
use clap::Args;
use ivconform_harness::report::doc::RunDoc;
use ivconform_harness::report::{diff, html, human};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// True when one of the report `outputs` is `-` (stdout): the human report then goes to stderr. More than one
/// `-` is a usage error.
pub fn stdout_claimed(outputs: &[(&str, Option<&Path>)]) -> Result<bool, Failure> {
    let dashes: Vec<&str> =
        outputs.iter().filter(|(_, p)| p.is_some_and(|p| p.as_os_str() == "-")).map(|(f, _)| *f).collect();
    if dashes.len() > 1 {
        return Err(Failure::usage(format!(
            "{} all say `-` (stdout): only one report can go to stdout",
            dashes.join(", ")
        )));
    }
    Ok(!dashes.is_empty())
}

/// Writes `text` to `path` (`-`: stdout), as the report of `flag`.
pub fn write_output(flag: &str, path: &Path, text: &str) -> Result<(), Failure> {
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Failure::usage(format!("{flag} -: cannot write to stdout: {e}")));
    }
    std::fs::write(path, text).map_err(|e| Failure::usage(format!("{flag} {}: cannot write: {e}", path.display())))
}

fn read(path: &Path) -> Result<RunDoc, Failure> {
    RunDoc::read(path).map_err(|e| Failure::usage(format!("bad report: {e}")))
}

/// `ivconform report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Saved runs (`ivconform run --json FILE`); with several, the HTML compares the implementations.
    #[arg(value_name = "RUN.json", required = true)]
    pub runs: Vec<PathBuf>,
    /// Write the HTML report here (`-`: stdout): one self-contained file, no script, no network.
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
}

/// Renders saved runs as HTML.
pub fn report(args: ReportArgs) -> CommandResult {
    crate::output::check_outputs(&[("--html", Some(args.html.as_path()))])?;
    let runs = args.runs.iter().map(|p| read(p)).collect::<Result<Vec<_>, _>>()?;
    write_output("--html", &args.html, &html::render(&runs))?;
    if args.html.as_os_str() != "-" {
        eprintln!("wrote {} ({} run{})", args.html.display(), runs.len(), if runs.len() == 1 { "" } else { "s" });
    }
    Ok(ExitCode::from(exit::CONFORMANT))
}

/// `ivconform summary`.
#[derive(Args, Debug)]
pub struct SummaryArgs {
    /// A saved run (`ivconform run --json FILE`).
    #[arg(value_name = "RUN.json")]
    pub run: PathBuf,
    /// Print only the failures and the verdict.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print one line per case.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Prints the human report of a saved run; exits as the run did (0 conformant, 1 not).
pub fn summary(args: SummaryArgs) -> CommandResult {
    let doc = read(&args.run)?;
    let verbosity = if args.quiet {
        human::Verbosity::Quiet
    } else if args.verbose {
        human::Verbosity::Verbose
    } else {
        human::Verbosity::Normal
    };
    let timings = doc.meta.started_at.is_some();
    print!("{}", human::render_doc(&doc, verbosity, crate::color::color_stdout(), timings));
    Ok(ExitCode::from(if doc.summary.conformant { exit::CONFORMANT } else { exit::NONCONFORMANT }))
}

/// `ivconform diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier run (`ivconform run --json FILE`).
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,
    /// The later run.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
}

/// Compares two saved runs: exit 1 on a regression (a new failure or security finding, or a verdict gone
/// from conformant to not), 0 otherwise, 2 on a bad file.
pub fn diff(args: DiffArgs) -> CommandResult {
    let old = read(&args.old)?;
    let new = read(&args.new)?;
    let d = diff::diff(&old, &new);
    print!("{}", diff::render(&d, &old, &new));
    Ok(ExitCode::from(if d.regression() { exit::NONCONFORMANT } else { exit::CONFORMANT }))
}

/// Another command's JSON report in the common envelope (docs/report.schema.json): `{"schema":
/// "ivconform-report/1", "command": COMMAND, "meta": {...}, ...the report's own fields}`, pretty, with a final
/// newline. `started` is when the command started; the wall time is measured from it.
pub fn enveloped(command: &str, started: std::time::SystemTime, body: &impl serde::Serialize) -> String {
    use ivconform_harness::report::{doc, json};
    let wall = started.elapsed().unwrap_or_default().as_secs_f64();
    let durations = doc::Durations { wall_seconds: wall, ..Default::default() };
    let meta = doc::Meta::new(None, started, durations, true);
    json::render_envelope(command, &meta, serde_json::to_value(body).unwrap_or_default())
}
