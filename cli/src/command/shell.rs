//! `ivconform completions SHELL` and `ivconform man`: shell completions (clap_complete) and man pages
//! (clap_mangen), generated from the command-line definition itself (`crate::cli::Cli`, handed in by `main`), so they cannot
//! drift from it.

use crate::exit::{usage, CommandResult};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// `ivconform completions`: which shell.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `ivconform man`: stdout, or one page per command in a directory.
#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write ivconform.1 and one ivconform-COMMAND.1 per command into this directory (made if missing)
    /// instead of printing the top-level page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Prints the completion script.
pub fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> CommandResult {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "ivconform", &mut out);
    write_stdout(&out)
}

/// Prints or writes the man page(s).
pub fn man(args: ManArgs, cmd: clap::Command) -> CommandResult {
    match &args.dir {
        None => {
            let mut out = Vec::new();
            if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
                return usage(format!("cannot render the man page: {e}"));
            }
            write_stdout(&out)
        }
        Some(dir) => {
            crate::output::check_output_dir("--dir", dir)?;
            if let Err(e) = std::fs::create_dir_all(dir) {
                return usage(format!("--dir {}: cannot create it: {e}", dir.display()));
            }
            if let Err(e) = clap_mangen::generate_to(cmd, dir) {
                return usage(format!("--dir {}: cannot write the man pages: {e}", dir.display()));
            }
            let mut pages: Vec<String> = std::fs::read_dir(dir)
                .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            pages.retain(|p| p.starts_with("ivconform") && p.ends_with(".1"));
            pages.sort();
            eprintln!("wrote {} man pages to {}: {}", pages.len(), dir.display(), pages.join(", "));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write_stdout(bytes: &[u8]) -> CommandResult {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // `ivconform man | head` closes the pipe early: not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => usage(format!("cannot write to stdout: {e}")),
    }
}
