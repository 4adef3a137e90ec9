//! `ivconform vectors export DIR`: the golden vectors compiled into this binary, written out as files for
//! people who want to read or extend them; `ivconform run --vectors DIR` runs the exported (or edited) set.

use crate::exit::{usage, CommandResult};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// `ivconform vectors`: what to do with the bundled vector set.
#[derive(Args, Debug)]
pub struct VectorsArgs {
    /// The action.
    #[command(subcommand)]
    pub action: VectorsAction,
}

/// The `vectors` actions.
#[derive(Subcommand, Debug)]
pub enum VectorsAction {
    /// Write the bundled vector files and their JSON Schemas into DIR (created if missing; nothing is
    /// overwritten: the command refuses when any of the files exists).
    ///
    /// Examples:
    ///   ivconform vectors export my-vectors
    ///   ivconform run --cmd "python3 adapter.py" --vectors my-vectors
    #[command(verbatim_doc_comment)]
    Export {
        /// The directory to write into.
        dir: PathBuf,
    },
}

/// Runs the command.
pub fn vectors(args: VectorsArgs) -> CommandResult {
    match args.action {
        VectorsAction::Export { dir } => {
            let suite = match ivconform_vectors::bundled::suite() {
                Ok(s) => s,
                Err(e) => return usage(format!("the bundled vectors do not load: {e}")),
            };
            let written = match ivconform_vectors::bundled::export(&dir) {
                Ok(w) => w,
                Err(e) => return usage(e),
            };
            println!(
                "wrote {} files to {} (golden vectors {}, {} cases; the schemas in schema/)",
                written.len(),
                dir.display(),
                suite.verify.suite_version,
                suite.len()
            );
            println!("run them with: ivconform run --vectors {} --cmd \"...\"", dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
