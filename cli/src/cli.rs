//! The command line: the subcommands and their help. Each command's arguments live in its module under
//! [`crate::command`]; what several commands share (the colour choice, output-path checks, the help text
//! generated from the rules and groups that exist) lives here.
//!
//! # One style for every command
//!
//! Every command spells the same idea the same way; a new command or flag follows these conventions (the
//! tests in this module and cli/tests/cli.rs check what can be checked):
//!
//! * **The implementation**: `--reference [inproc|stdio|http|ffi]`, `--cmd COMMAND`, `--url URL` (with
//!   `--wait SECS` to wait for a server that is still starting), `--lib PATH`: [`IutArgs`], flattened into
//!   every command that reaches one.
//! * **How much**: `--cases N` is the number of generated inputs or calls (props: inputs per property; fuzz:
//!   payloads in all; bench: calls per operation instead of a time); `--duration SECS` is the time budget;
//!   `--samples N` (timing) counts measurements. Old names stay as hidden aliases: fuzz `--iterations`, bench
//!   `--count`.
//! * **Replay**: `--seed N` (default 0): the same seed, IUT and flags replay the same run.
//! * **Time**: every duration is in seconds and may be fractional (`--timeout 0.5`), parsed by
//!   [`crate::value::seconds`]: `--timeout SECS` for one answer, `--duration SECS` for a whole command,
//!   `--run-timeout SECS` for a `run`, `--shrink-time SECS` for one shrink, `--warmup SECS`.
//! * **Shrinking**: `--max-shrink-iters N` and `--shrink-time SECS` (props, fuzz; `--max-shrink` is a hidden
//!   alias).
//! * **Parallelism**: `--jobs N` (run, bench; bench's `--connections` is a hidden alias).
//! * **Reports**: `--json FILE`, `--junit FILE`, `--html FILE`, `--plot FILE`, `--save-baseline FILE`;
//!   `-` means stdout for the text formats. Every output path is checked before any work starts
//!   ([`check_outputs`]: the directory exists and a file can be created in it), else exit 2.
//! * **Output**: the report on stdout; progress, warnings and errors on stderr. Progress
//!   ([`crate::progress`]) is a bar with an ETA when stderr is a terminal and a plain line every 10 s when it
//!   is not; `-q/--quiet` turns it off (and, for `run`, prints only the failures and the verdict).
//!   `--color auto|always|never` is global: `auto` colours a terminal unless `NO_COLOR` is set to anything
//!   non-empty; `CLICOLOR_FORCE` (non-empty, not `0`) colours even a pipe ([`color_stdout`]).
//! * **Exit codes**: one table for all ([`crate::exit`]): 0 conformant, 1 nonconformant, 2 usage or input, 3
//!   unreachable, 4 inconclusive (timing).
//! * **Shell support**: `ivconform completions SHELL` and `ivconform man [--dir DIR]` are generated from this
//!   very definition, so they cannot drift from it.
//!
//! [`IutArgs`]: crate::command::iut::IutArgs

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Conformance harness for identity verification (`user_hash = hex(HMAC-SHA256(secret, identifier))`).
// The long help is generated (`long_about()`), so the rule families it names are the ones that exist.
#[derive(Parser, Debug)]
#[command(name = "ivconform", version, about, long_about = crate::help::long_about())]
pub struct Cli {
    /// When to colour the output: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces colour),
    /// always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto", global = true)]
    pub color: crate::color::ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

// One value per process, parsed once: its size does not matter (and boxing clap's Args would cost clarity).
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the golden vectors against an implementation and report.
    ///
    /// Examples:
    ///   ivconform run --reference                         # the bundled reference, in-process
    ///   ivconform run --reference stdio                   # the bundled reference as a child process
    ///   ivconform run --cmd "python3 adapter.py"          # your adapter over stdio
    ///   ivconform run --url http://127.0.0.1:8080/ --jobs 8
    ///   ivconform run --lib ./libmyimpl.so --junit junit.xml --json report.json
    ///   ivconform run --cmd ./adapter --rule S2 --flag PRECEDENCE --list
    ///   ivconform run --lib ./libmyimpl.so --wycheproof              # the bundled Wycheproof HMAC-SHA256 file
    ///   ivconform run --cmd ./adapter --wycheproof wycheproof/testvectors_v1/hmac_sha256_test.json
    ///   ivconform run --cmd ./adapter --vectors my-vectors/            # after `ivconform vectors export my-vectors`
    #[command(verbatim_doc_comment)]
    Run(crate::command::run::RunArgs),
    /// The CI gate: golden vectors, then properties, a bounded fuzz and (for a C ABI library) timing.
    ///
    /// One verdict, one exit code, one report (human, --junit with a test suite per stage, --json) with a
    /// section per stage, within a total time budget (--budget, 60 s by default: the vectors get up to half,
    /// props, fuzz and timing share the rest; a stage that cannot finish in its share is cut and says so).
    /// The same --seed replays the same check. Timing runs for --lib (through ivc_verify_raw) and for the
    /// reference; over stdio/HTTP it is not applicable here (use `ivconform timing`).
    /// Exit codes: 0 conformant, 1 a stage failed, 2 usage, 3 unreachable.
    ///
    /// Examples:
    ///   ivconform check --reference
    ///   ivconform check --cmd "python3 adapter.py" --junit junit.xml --json check.json
    ///   ivconform check --url http://127.0.0.1:8080/ --budget 120s
    ///   ivconform check --lib ./libmyimpl.so --seed 7
    #[command(verbatim_doc_comment)]
    Check(crate::command::check::CheckArgs),
    /// Serve the reference implementation as an IUT (over stdio or HTTP).
    ///
    /// Examples:
    ///   ivconform serve --stdio
    ///   ivconform serve --http 127.0.0.1:8080
    #[command(verbatim_doc_comment)]
    Serve(crate::command::serve::ServeArgs),
    /// Explain why a user_hash is invalid: which secret, identifier or encoding produced it (rule D1).
    ///
    /// Give the workspace configuration (every platform's secret, both workspaces, optionally the REST API
    /// key as `api_key` per app) and what the page or app sent, either as the boot payload or field by field.
    /// Secrets are never printed. Exit 0 when the hash is valid, 1 when it is not.
    ///
    /// Examples:
    ///   ivconform diagnose --config workspace.toml --platform web --payload boot.json
    ///   ivconform diagnose --config workspace.toml --app ws_prod --platform ios --user-id 5678 \
    ///       --email ann@example.com --hash 3f9c...
    #[command(verbatim_doc_comment)]
    Diagnose(crate::command::diagnose::DiagnoseArgs),
    /// Property tests: random inputs, the reference as oracle, failures shrunk to ready-to-paste vectors.
    ///
    /// Properties: sign (signing agrees with the reference), verify (decisions agree),
    /// precedence (every combination of present/absent/empty/null/integer user_id and email),
    /// reorder (key order never changes a decision), custom-attributes (adding attributes never
    /// does), other-platform (another platform's or workspace's settings never do).
    /// A failure is shrunk and printed as a ready-to-paste vector. Exit codes as for `run`.
    ///
    /// Examples:
    ///   ivconform props --reference
    ///   ivconform props --cmd "python3 adapter.py" --cases 1000 --seed 7
    ///   ivconform props --url http://127.0.0.1:8080/ --property precedence --property reorder
    #[command(verbatim_doc_comment)]
    Props(crate::command::props::PropsArgs),
    /// Differential fuzzing: generated and mutated boot payloads, the reference as oracle.
    ///
    /// Seeds are every payload of the golden vectors plus structured payloads from the property
    /// strategies; mutations are bytes, libFuzzer's dictionary (fuzz/payload.dict), splices, edge-case
    /// values and duplicated members, and user_hash is often refreshed to the right hash so the verified
    /// path is exercised. The first disagreement is shrunk (delta debugging, same kind of disagreement)
    /// and saved as DIR/<ID>.payload (raw bytes) and DIR/<ID>.json (a ready-to-paste vector: the
    /// configuration and the case); --replay sends a saved reproducer again.
    /// Exit codes: 0 no disagreement, 1 a disagreement, 2 usage, 3 unreachable.
    ///
    /// Examples:
    ///   ivconform fuzz --reference stdio --duration 10
    ///   ivconform fuzz --cmd "python3 adapter.py" --duration 300 --seed 7 --out findings/
    ///   ivconform fuzz --lib ./libmyimpl.so --cases 100000
    ///   ivconform fuzz --cmd "python3 adapter.py" --replay findings/fuzz-1a2b3c4d.json
    #[command(verbatim_doc_comment)]
    Fuzz(crate::command::fuzz::FuzzArgs),
    /// Constant-time suite (rule V9): does verification time depend on how much of the hash is right?
    ///
    /// A dudect-style test (Welch's t on raw and percentile-cropped timings, and a decile
    /// comparison) of the IUT's verification, gated by controls measured in the same job.
    /// Verdict Pass, Fail or Inconclusive. Over HTTP/stdio the detection floor is measured.
    /// Exit codes: 0 Pass, 1 Fail, 2 usage, 3 unreachable, 4 Inconclusive.
    ///
    /// Examples:
    ///   ivconform timing --reference ffi --samples 1000000
    ///   ivconform timing --lib ./libmyimpl.so --samples 100000 --json timing.json
    ///   ivconform timing --url http://127.0.0.1:8080/ --samples 200000
    #[command(verbatim_doc_comment)]
    Timing(crate::command::timing::TimingArgs),
    /// Internal: the disposable child that times a library's ivc_verify_raw for `timing --lib`.
    #[command(hide = true)]
    FfiTiming {
        /// The shared library implementing include/ivconform.h; without it, the linked reference.
        #[arg(long)]
        lib: Option<PathBuf>,
    },
    /// Internal: the reference with a data-dependent delay, the timing suite's control IUT.
    ///
    /// When the supplied user_hash's first byte is right, a verify answer is delayed by DELAY busy-waited
    /// nanoseconds: an early exit with a known, adjustable cost.
    #[command(hide = true)]
    TimingControl(crate::command::timing::TimingControlArgs),
    /// Throughput and latency of an implementation's signing and verifying, with baselines.
    ///
    /// Drives the IUT at full speed over its transport (FFI raw entry points in child processes, stdio, HTTP
    /// with N keep-alive connections) for a time or a count, next to a calibration run of the bundled
    /// reference over the same transport; reports calls/s and latency p50/p90/p99/max. A baseline comparison
    /// judges the ratio to the reference, so a slower machine does not read as a regression.
    /// Exit codes: 0 ok, 1 regression beyond --max-regression (or wrong answers), 2 usage, 3 unreachable.
    ///
    /// Examples:
    ///   ivconform bench --reference ffi
    ///   ivconform bench --lib ./libmyimpl.so --duration 5 --save-baseline bench.json
    ///   ivconform bench --lib ./libmyimpl.so --baseline bench.json --max-regression 10 --plot latency.svg
    ///   ivconform bench --url http://127.0.0.1:8080/ --jobs 8 --json -
    #[command(verbatim_doc_comment)]
    Bench(crate::command::bench::BenchArgs),
    /// Render saved runs as one self-contained HTML file; several runs compare the implementations.
    ///
    /// Examples:
    ///   ivconform report run.json --html report.html
    ///   ivconform report python.json node.json c.json --html matrix.html
    #[command(verbatim_doc_comment)]
    Report(crate::command::report::ReportArgs),
    /// The human report of a saved run (`run --json FILE`); exit 0 if it was conformant, 1 if not.
    Summary(crate::command::report::SummaryArgs),
    /// Compare two saved runs: new failures, fixes, changed outcomes, added and removed cases.
    ///
    /// Exit codes: 0 no regression, 1 a regression (a new failure or security finding, or the verdict went
    /// from conformant to nonconformant), 2 a file that is missing or not a run report.
    ///
    /// Examples:
    ///   ivconform diff main.json branch.json
    #[command(verbatim_doc_comment)]
    Diff(crate::command::report::DiffArgs),
    /// The golden vectors bundled into this binary: `vectors export DIR` writes them out (with their schemas).
    Vectors(crate::command::vectors::VectorsArgs),
    /// Print a shell completion script for bash, zsh, fish, elvish or powershell.
    ///
    /// Examples:
    ///   ivconform completions bash > /etc/bash_completion.d/ivconform
    ///   ivconform completions zsh > "${fpath[1]}/_ivconform"
    ///   ivconform completions fish > ~/.config/fish/completions/ivconform.fish
    #[command(verbatim_doc_comment)]
    Completions(crate::command::shell::CompletionsArgs),
    /// Print the man page (roff) on stdout, or write one page per command into a directory.
    ///
    /// Examples:
    ///   ivconform man | man -l -
    ///   ivconform man --dir /usr/local/share/man/man1
    #[command(verbatim_doc_comment)]
    Man(crate::command::shell::ManArgs),
    /// Internal: the disposable child that runs `bench --lib` loops on a library's raw entry points.
    #[command(hide = true)]
    FfiBench(ivconform_perf::bench::ffi_child::FfiBenchArgs),
    /// Internal: the disposable child that loads an IUT's shared library for `run --lib`.
    #[command(hide = true)]
    FfiHost {
        /// The shared library implementing include/ivconform.h; without it, the reference's C entry points
        /// linked into this binary (`run --reference ffi` with no libivconform_ffi.so beside it).
        #[arg(long)]
        lib: Option<PathBuf>,
    },
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// The help a user reads: `ivconform run --help`'s text and the top-level long help.
    fn help(path: &[&str]) -> String {
        let mut cmd = Cli::command();
        for name in path {
            cmd = cmd.find_subcommand(name).unwrap_or_else(|| panic!("no subcommand {name}")).clone();
        }
        cmd.render_long_help().to_string()
    }

    /// Whether `id` (e.g. `V7`) is named in `text`, on its own or inside a span such as `V1-V9`.
    fn covers(text: &str, id: &str) -> bool {
        let (letter, n) = (&id[..1], id[1..].parse::<u32>().expect("rule ids are a letter and a number"));
        let words: Vec<&str> =
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).filter(|w| !w.is_empty()).collect();
        words.iter().any(|w| {
            *w == id
                || w.split_once('-').is_some_and(|(a, b)| {
                    let bound = |x: &str| x.strip_prefix(letter).and_then(|d| d.parse::<u32>().ok());
                    matches!((bound(a), bound(b)), (Some(lo), Some(hi)) if lo <= n && n <= hi)
                })
        })
    }

    /// The help a user reads must name every rule and group that exists: enumerated from the core's rule
    /// table and the vectors' groups, not from the help's own generator.
    #[test]
    fn help_names_every_group_and_rule_that_exists() {
        let run = help(&["run"]);
        let arg_help = |name: &str| {
            let cmd = Cli::command();
            let run = cmd.find_subcommand("run").expect("run exists").clone();
            let arg = run.get_arguments().find(|a| a.get_id() == name).unwrap_or_else(|| panic!("run has no {name}"));
            arg.get_help().map(|h| h.to_string()).unwrap_or_default()
        };
        let (groups, rules) = (arg_help("groups"), arg_help("rules"));
        for group in ivconform_vectors::Group::ALL.iter().chain([&ivconform_vectors::Group::Wycheproof]) {
            assert!(groups.contains(group.as_str()), "`run --group` does not name {}: {groups}", group.as_str());
            assert!(run.contains(group.as_str()), "`run --help` does not name the group {}", group.as_str());
            // And the loader takes every group the help names.
            assert!(group.as_str().parse::<ivconform_vectors::Group>().is_ok());
        }
        let top = help(&[]);
        for rule in ivconform_core::Rule::ALL {
            assert!(covers(&rules, rule.id()), "`run --rule` does not cover {}: {rules}", rule.id());
            assert!(covers(&top, rule.id()), "the top-level help does not cover {}:\n{top}", rule.id());
            let letter = rule.id().chars().next().unwrap();
            assert!(crate::help::family_name(letter).is_some(), "rule family {letter} has no name in cli::family_name");
        }
        // Nothing named that does not exist: every span's ends are real rules.
        for word in rules.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            for id in word.split('-').filter(|w| w.len() >= 2 && w[1..].chars().all(|c| c.is_ascii_digit())) {
                assert!(ivconform_core::Rule::ALL.iter().any(|r| r.id() == id), "`run --rule` names {id}, no rule");
            }
        }
    }

    #[test]
    fn the_span_check_itself_works() {
        assert!(covers("verifying V1-V9, JWT mode J1-J5", "V7"));
        assert!(covers("S1, S3", "S3"));
        assert!(!covers("verifying V1-V8", "V9"));
        assert!(!covers("JV1-V9", "J5"));
    }

    #[test]
    fn color_honours_no_color_and_clicolor_force() {
        use crate::color::{decide_color, ColorWhen::*};
        use std::ffi::OsStr;
        let (one, zero, empty) = (Some(OsStr::new("1")), Some(OsStr::new("0")), Some(OsStr::new("")));
        assert!(decide_color(Auto, true, None, None));
        assert!(!decide_color(Auto, false, None, None));
        assert!(!decide_color(Auto, true, one, None), "NO_COLOR=1 on a terminal");
        assert!(decide_color(Auto, true, empty, None), "an empty NO_COLOR is unset");
        assert!(decide_color(Auto, false, None, one), "CLICOLOR_FORCE=1 on a pipe");
        assert!(!decide_color(Auto, false, None, zero), "CLICOLOR_FORCE=0 forces nothing");
        assert!(!decide_color(Auto, true, one, one), "NO_COLOR wins");
        assert!(decide_color(Always, false, one, None));
        assert!(!decide_color(Never, true, None, one));
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            crate::color::clap_color(&args(&["ivconform", "run", "--color", "never"])),
            clap::ColorChoice::Never
        );
        assert_eq!(crate::color::clap_color(&args(&["ivconform", "--color=always", "run"])), clap::ColorChoice::Always);
        assert_eq!(crate::color::clap_color(&args(&["ivconform", "run", "--cmd", "--color"])), clap::ColorChoice::Auto);
    }

    #[test]
    fn output_paths_are_checked_before_the_run() {
        let dir = std::env::temp_dir().join(format!("ivconform-outcheck-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(crate::output::check_output("--json", std::path::Path::new("-")).is_ok());
        assert!(crate::output::check_output("--json", &dir.join("r.json")).is_ok());
        assert!(!dir.join("r.json").exists(), "the check leaves nothing behind");
        let e = crate::output::check_output("--junit", std::path::Path::new("/no/such/dir/x.xml")).unwrap_err();
        assert_eq!(e.code, crate::exit::USAGE);
        assert!(
            e.message.starts_with("--junit /no/such/dir/x.xml:") && e.message.contains("does not exist"),
            "{}",
            e.message
        );
        let e = crate::output::check_output("--html", &dir).unwrap_err();
        assert!(e.message.contains("is a directory"), "{}", e.message);
        assert!(crate::output::check_output_dir("--out", &dir.join("new/sub")).is_ok());
        std::fs::write(dir.join("file"), "x").unwrap();
        assert!(crate::output::check_output_dir("--out", &dir.join("file")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
