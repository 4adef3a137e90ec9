//! `ivconform`: the conformance harness for identity verification (`user_hash`).
//!
//! Layout: [`suite`] turns vectors into requests and grades answers; [`transport`] reaches an implementation
//! (in-process, stdio, HTTP, FFI); [`runner`] schedules cases over connections; [`report`] renders results;
//! [`serve`] and [`ffi_host`] expose the reference as an implementation.

mod bench;
mod cli;
mod command;
mod ffi_host;
mod fuzz;
mod leak;
mod props;
mod report;
mod runner;
mod serve;
mod suite;
mod timing;
mod transport;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Run(args) => command::run::run(args),
        cli::Command::Serve(args) => command::serve::serve(args),
        cli::Command::Diagnose(args) => command::diagnose::diagnose(args),
        cli::Command::Props(args) => command::props::props(args),
        cli::Command::Fuzz(args) => command::fuzz::fuzz(args),
        cli::Command::Timing(args) => command::timing::timing(args),
        cli::Command::FfiTiming { lib } => command::timing::ffi_child(lib.as_deref()),
        cli::Command::TimingControl(args) => command::timing::control(args),
        cli::Command::Bench(args) => command::bench::bench(args),
        cli::Command::FfiBench(args) => bench::ffi_child::child(&args),
        cli::Command::FfiHost { lib } => match ffi_host::run(&lib) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ivconform ffi-host: {e:#}");
                ExitCode::from(3)
            }
        },
    }
}
