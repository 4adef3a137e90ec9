//! Exit codes, and the one place that turns a command's failure into one (see [`Failure`]).

use std::process::ExitCode;

/// Exit code: every case conformant (for `timing`: Pass; for `diagnose`: the hash is valid).
pub const CONFORMANT: u8 = 0;
/// Exit code: at least one failure, error, crash, timeout, unexpected pass, stale expectation or finding.
pub const NONCONFORMANT: u8 = 1;
/// Exit code: bad command line, vector, expectations or configuration file.
pub const USAGE: u8 = 2;
/// Exit code: the implementation could not be started or reached.
pub const UNREACHABLE: u8 = 3;
/// Exit code of `timing`: the controls or the statistics left the verdict open.
pub const INCONCLUSIVE: u8 = 4;

/// Why a command could not give a verdict: the exit code and the message printed as `ivconform CMD: ...`.
#[derive(Debug)]
pub struct Failure {
    /// The exit code ([`USAGE`] or [`UNREACHABLE`]).
    pub code: u8,
    /// What went wrong, for the user.
    pub message: String,
}

impl Failure {
    /// Bad input: a flag, a vector, expectations or configuration file (exit 2).
    pub fn usage(message: impl std::fmt::Display) -> Failure {
        Failure { code: USAGE, message: message.to_string() }
    }

    /// The implementation could not be started or reached (exit 3).
    pub fn unreachable(message: impl std::fmt::Display) -> Failure {
        Failure { code: UNREACHABLE, message: message.to_string() }
    }
}

/// What every command returns: the exit code of its verdict, or why there is none.
pub type CommandResult = Result<ExitCode, Failure>;

/// The exit code for a command's result, printing the failure's message (`ivconform CMD: message`).
pub fn report(command: &str, result: CommandResult) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("ivconform {command}: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// `Err(Failure::usage(message))`, for `return usage(...)` in a command body.
pub fn usage<T>(message: impl std::fmt::Display) -> Result<T, Failure> {
    Err(Failure::usage(message))
}

/// The exit status of a process that lost its reader: 128 + SIGPIPE, as a shell reports a `head`-truncated
/// writer.
pub const BROKEN_PIPE: i32 = 141;

/// Makes a closed stdout or stderr end the process quietly instead of with a panic and a backtrace
/// (`ivconform run --list | head`): `print!` panics on a broken pipe, and this hook turns that one panic into
/// killing every process group the harness started and exiting [`BROKEN_PIPE`]. SIGPIPE itself stays ignored
/// (Rust's default), so a write to an implementation's closed stdin is an error the transport reports, never a
/// signal that kills the harness.
pub fn exit_quietly_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        let printing =
            message.starts_with("failed printing to stdout") || message.starts_with("failed printing to stderr");
        if printing && message.contains("Broken pipe") {
            ivconform_harness::process::kill_all();
            std::process::exit(BROKEN_PIPE);
        }
        default(info);
    }));
}
