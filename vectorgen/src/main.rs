//! `ivconform-vectorgen`: writes the golden vector files from their definitions, checks that the committed
//! files are current, and prints case counts per file and per rule.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use ivconform_vectorgen::generate;
use ivconform_vectors::{default_dir, load_dir};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Generate, check and count ivconform's golden vectors.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the vector files from the case definitions in vectorgen/src/ (deterministic).
    Generate {
        /// Directory to write into.
        #[arg(long, default_value_os_t = default_dir())]
        out: PathBuf,
    },
    /// Exit 1 if the files in DIR differ from a fresh generation (what CI runs).
    Check {
        /// Directory holding the committed files.
        #[arg(long, default_value_os_t = default_dir())]
        dir: PathBuf,
    },
    /// Load the files in DIR (with every check the harness makes) and print cases per file and per rule.
    Stats {
        /// Directory holding the files.
        #[arg(long, default_value_os_t = default_dir())]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Generate { out } => {
            let generated = generate()?;
            for (name, text) in generated.files() {
                let path = out.join(&name);
                std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { dir } => {
            let mut stale = 0;
            for (name, text) in generate()?.files() {
                let path = dir.join(&name);
                match std::fs::read_to_string(&path) {
                    Ok(committed) if committed == text => println!("{name}: up to date"),
                    Ok(_) => {
                        stale += 1;
                        println!("{name}: differs from a fresh generation");
                    }
                    Err(e) => {
                        stale += 1;
                        println!("{name}: cannot read ({e})");
                    }
                }
            }
            if stale > 0 {
                eprintln!("{stale} file(s) are stale: run `cargo run -p ivconform-vectorgen -- generate` and commit");
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { dir } => {
            let suite = load_dir(&dir).map_err(|e| e.to_string())?;
            println!("{:<18} {:>6}", "file", "cases");
            let files = [
                ("hmac_sha256.json", suite.hmac.cases.iter().map(|c| &c.meta).collect::<Vec<_>>()),
                ("sign.json", suite.sign.cases.iter().map(|c| &c.meta).collect()),
                ("payload.json", suite.payload.cases.iter().map(|c| &c.meta).collect()),
                ("verify.json", suite.verify.cases.iter().map(|c| &c.meta).collect()),
                ("jwt.json", suite.jwt.cases.iter().map(|c| c.meta()).collect()),
            ];
            let mut per_rule: BTreeMap<ivconform_core::Rule, usize> = BTreeMap::new();
            let mut per_flag: BTreeMap<&str, usize> = BTreeMap::new();
            for (name, metas) in &files {
                println!("{name:<18} {:>6}", metas.len());
                for m in metas {
                    for r in &m.rules {
                        *per_rule.entry(*r).or_default() += 1;
                    }
                    for f in &m.flags {
                        *per_flag.entry(f.as_str()).or_default() += 1;
                    }
                }
            }
            println!("{:<18} {:>6}\n", "total", suite.len());
            println!("{:<6} {:>6}  summary", "rule", "cases");
            for rule in ivconform_core::Rule::ALL {
                let n = per_rule.get(rule).copied().unwrap_or(0);
                println!("{:<6} {n:>6}  {}", rule.id(), rule.summary());
            }
            println!("\n{:<14} {:>6}", "flag", "cases");
            for (flag, n) in per_flag {
                println!("{flag:<14} {n:>6}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
