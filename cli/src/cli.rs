//! The command line: the subcommands and their help. Each command's arguments live in its module under
//! [`crate::command`].

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Conformance harness for identity verification (`user_hash = hex(HMAC-SHA256(secret, identifier))`).
///
/// ivconform drives an implementation under test (IUT), written in any language, through golden vectors
/// that pin down the rules of the rule book, docs/SPEC.md (signing S1-S5, payload parsing P1-P6,
/// verifying V1-V9, JWT mode J1-J5, diagnosis D1), and reports like a CI gate. An IUT is reached over stdio (a child process speaking JSON lines), HTTP, or a C shared
/// library (include/ivconform.h); the protocol is in docs/PROTOCOL.md.
///
/// Exit codes: 0 conformant, 1 nonconformant (a failure, error, crash, timeout, unexpected pass, stale
/// expectation or security finding), 2 usage or input error, 3 the IUT could not be started or reached.
#[derive(Parser, Debug)]
#[command(name = "ivconform", version, about, long_about)]
pub struct Cli {
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
    ///   ivconform fuzz --lib ./libmyimpl.so --iterations 100000
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
    ///   ivconform bench --url http://127.0.0.1:8080/ --connections 8 --json -
    #[command(verbatim_doc_comment)]
    Bench(crate::command::bench::BenchArgs),
    /// The golden vectors bundled into this binary: `vectors export DIR` writes them out (with their schemas).
    Vectors(crate::command::vectors::VectorsArgs),
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

    #[test]
    fn help_names_every_group_and_rule_family_that_exists() {
        let run = help(&["run"]);
        for group in ivconform_vectors::Group::ALL {
            assert!(run.contains(group.as_str()), "`run --help` does not name the group {}:\n{run}", group.as_str());
        }
        let top = help(&[]);
        let families: std::collections::BTreeSet<char> =
            ivconform_core::Rule::ALL.iter().filter_map(|r| r.id().chars().next()).collect();
        for family in families {
            assert!(
                top.contains(&format!("{family}1")),
                "the top-level help does not mention the {family} rules:\n{top}"
            );
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
