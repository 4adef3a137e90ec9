//! `ivconform`: the conformance harness for identity verification (`user_hash` and JWT mode).
//!
//! A thin binary: [`cli`] is the command line, [`command`] holds one module per subcommand (its arguments
//! and its body, which calls the libraries), [`exit`] maps every result to an exit code in one place, and
//! [`value`] parses the values several commands share. The work happens in the library crates:
//! `ivconform-harness` (vectors to verdict), `ivconform-differential` (props, fuzz), `ivconform-perf`
//! (timing, bench).
#![forbid(unsafe_code)]
// The doc comments of the argument structs are clap's `--help` text, written for a terminal (`<ID>.json`,
// `[[expected_failure]]`), not rustdoc markup.
#![allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]

mod cli;
mod color;
mod command;
mod exit;
mod help;
mod output;
mod progress;
mod value;

use clap::{CommandFactory, FromArgMatches};
use cli::Command;
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap's own help and errors take the --color given (read before parsing), the reports take `cli.color`.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = cli::Cli::command().color(color::clap_color(&argv)).get_matches_from(argv);
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    color::set_color(cli.color);
    exit::exit_quietly_on_broken_pipe();
    // Children run in process groups of their own; a signal to ivconform kills them all before it exits.
    if let Err(e) = ivconform_harness::process::install_signal_cleanup() {
        eprintln!("ivconform: cannot watch for signals ({e}); an interrupted run may leave processes behind");
    }
    let (name, result) = match cli.command {
        Command::Run(args) => ("run", command::run::run(args)),
        Command::Check(args) => ("check", command::check::check(args)),
        Command::Serve(args) => ("serve", command::serve::serve(args)),
        Command::Diagnose(args) => ("diagnose", command::diagnose::diagnose(args)),
        Command::Props(args) => ("props", command::props::props(args)),
        Command::Fuzz(args) => ("fuzz", command::fuzz::fuzz(args)),
        Command::Timing(args) => ("timing", command::timing::timing(args)),
        Command::FfiTiming { lib } => ("ffi-timing", command::timing::ffi_child(lib.as_deref())),
        Command::TimingControl(args) => ("timing-control", command::timing::control(args)),
        Command::Bench(args) => ("bench", command::bench::bench(args)),
        Command::Vectors(args) => ("vectors", command::vectors::vectors(args)),
        Command::Report(args) => ("report", command::report::report(args)),
        Command::Summary(args) => ("summary", command::report::summary(args)),
        Command::Diff(args) => ("diff", command::report::diff(args)),
        Command::Completions(args) => ("completions", command::shell::completions(args, cli::Cli::command())),
        Command::Man(args) => ("man", command::shell::man(args, cli::Cli::command())),
        Command::FfiBench(args) => ("ffi-bench", Ok(ivconform_perf::bench::ffi_child::child(&args))),
        Command::FfiHost { lib } => (
            "ffi-host",
            match &lib {
                Some(lib) => ivconform_harness::serve::ffi_host::run(lib),
                None => {
                    ivconform_harness::serve::ffi_host::run_linked("the linked reference", ivconform_ffi::ENTRY_POINTS)
                }
            }
            .map(|()| ExitCode::SUCCESS)
            .map_err(|e| exit::Failure::unreachable(format!("{e:#}"))),
        ),
    };
    exit::report(name, result)
}
