//! The command line: `ivconform run`, `ivconform serve`, and the hidden `ivconform ffi-host`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Conformance harness for identity verification (`user_hash = hex(HMAC-SHA256(secret, identifier))`).
///
/// ivconform drives an implementation under test (IUT), written in any language, through golden vectors
/// that pin down SPEC.md's rules (signing S1-S5, payload parsing P1-P6, verifying V1-V9), and reports like
/// a CI gate. An IUT is reached over stdio (a child process speaking JSON lines), HTTP, or a C shared
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
    ///   ivconform run --lib ./libmyimpl.so --wycheproof wycheproof/testvectors_v1/hmac_sha256_test.json
    #[command(verbatim_doc_comment)]
    Run(RunArgs),
    /// Serve the reference implementation as an IUT (over stdio or HTTP).
    ///
    /// Examples:
    ///   ivconform serve --stdio
    ///   ivconform serve --http 127.0.0.1:8080
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),
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
    Diagnose(DiagnoseArgs),
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
    Props(PropsArgs),
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
    Timing(TimingArgs),
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
    TimingControl(TimingControlArgs),
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
    /// Internal: the disposable child that runs `bench --lib` loops on a library's raw entry points.
    #[command(hide = true)]
    FfiBench(crate::bench::ffi_child::FfiBenchArgs),
    /// Internal: the disposable child that loads an IUT's shared library for `run --lib`.
    #[command(hide = true)]
    FfiHost {
        /// The shared library implementing include/ivconform.h.
        #[arg(long)]
        lib: PathBuf,
    },
}

/// Which transport carries the bundled reference for `run --reference`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceMode {
    /// Linked into the harness (fastest).
    Inproc,
    /// `ivconform serve --stdio` as a child process.
    Stdio,
    /// `ivconform serve --http 127.0.0.1:0` as a child process, over HTTP.
    Http,
    /// The reference cdylib (libivconform_ffi.so) over the C ABI.
    Ffi,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,

    /// Run a Project Wycheproof MAC test file (HMACSHA256, e.g. hmac_sha256_test.json) against the
    /// implementation's hmac capability, instead of the golden vectors.
    #[arg(long, value_name = "FILE", help_heading = "Selecting cases")]
    pub wycheproof: Option<PathBuf>,
    /// Directory of vector files [default: the vectors/ directory of this source tree].
    #[arg(long, value_name = "DIR", help_heading = "Selecting cases")]
    pub vectors: Option<PathBuf>,
    /// Run only cases whose id matches this glob (repeatable).
    #[arg(long = "case", value_name = "GLOB", help_heading = "Selecting cases")]
    pub cases: Vec<String>,
    /// Run only this group: hmac_sha256, sign, payload, verify (repeatable).
    #[arg(long = "group", value_name = "GROUP", help_heading = "Selecting cases")]
    pub groups: Vec<String>,
    /// Run only cases exercising this rule, e.g. S2, P6, V7 (repeatable).
    #[arg(long = "rule", value_name = "RULE", help_heading = "Selecting cases")]
    pub rules: Vec<String>,
    /// Run only cases with this flag, e.g. PRECEDENCE, AUTH_BYPASS (repeatable).
    #[arg(long = "flag", value_name = "FLAG", help_heading = "Selecting cases")]
    pub flags: Vec<String>,
    /// Leave out cases whose id matches this glob (repeatable).
    #[arg(long = "exclude", value_name = "GLOB", help_heading = "Selecting cases")]
    pub exclude: Vec<String>,
    /// Print the selected cases and exit without running anything.
    #[arg(long, help_heading = "Selecting cases")]
    pub list: bool,
    /// TOML file of known deviations: [[expected_failure]] case = GLOB, reason = "...", link = "...".
    #[arg(long, value_name = "FILE", help_heading = "Selecting cases")]
    pub expectations: Option<PathBuf>,

    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, help_heading = "Running")]
    pub timeout: f64,
    /// Seconds for the whole run; cases not started by then end as timeouts.
    #[arg(long, value_name = "SECS", help_heading = "Running")]
    pub run_timeout: Option<f64>,
    /// Parallel connections [default: 4 for HTTP, 1 otherwise].
    #[arg(long, value_name = "N", help_heading = "Running")]
    pub jobs: Option<usize>,

    /// Write a JUnit XML report (one test suite per vector group).
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report (outcomes with expected and actual, timings, the IUT's hello).
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    pub json: Option<PathBuf>,
    /// Print only the failures and the verdict.
    #[arg(short, long, conflicts_with = "verbose", help_heading = "Reports")]
    pub quiet: bool,
    /// Also print one line per case.
    #[arg(short, long, help_heading = "Reports")]
    pub verbose: bool,
    /// Leave timings out of every report (reproducible output).
    #[arg(long, help_heading = "Reports")]
    pub no_timings: bool,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["stdio", "http"])))]
pub struct ServeArgs {
    /// Speak JSON lines on stdin/stdout.
    #[arg(long)]
    pub stdio: bool,
    /// Listen for HTTP on this address (use port 0 for any free port; the address is printed).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// HTTP worker threads.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub threads: usize,
    /// Serve a no-op implementation instead of the reference: fixed answers, no work (a round-trip baseline
    /// for benchmarks; it fails most cases by design).
    #[arg(long)]
    pub noop: bool,
}

#[derive(Args, Debug)]
pub struct DiagnoseArgs {
    /// The workspace configuration (TOML, or JSON if the name ends in .json; see docs/CONFIG.md).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The platform the request came from: web, ios or android.
    #[arg(long, value_name = "PLATFORM", default_value = "web")]
    pub platform: String,
    /// The boot payload as sent (JSON file, or - for stdin): app_id, user_id/email and user_hash come from it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["app", "hash", "jwt", "user_id", "numeric_user_id", "email"])]
    pub payload: Option<PathBuf>,
    /// The app_id sent.
    #[arg(long, value_name = "APP_ID")]
    pub app: Option<String>,
    /// user_id as a string.
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,
    /// user_id as a JSON integer.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub numeric_user_id: Option<i64>,
    /// The email sent.
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// The user_hash sent.
    #[arg(long, value_name = "HASH", conflicts_with = "jwt")]
    pub hash: Option<String>,
    /// The intercom_user_jwt sent (JWT mode, J1-J4); --user-id/--email are then the clear-text fields.
    #[arg(long, value_name = "TOKEN")]
    pub jwt: Option<String>,
    /// The current time for a token's exp, in Unix seconds (default: this machine's clock).
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub now: Option<i64>,
    /// An identifier the user had before (repeatable): recognises stale or cached hashes.
    #[arg(long, value_name = "ID")]
    pub previous: Vec<String>,
    /// Serve a small page with a form on this address (e.g. 127.0.0.1:8090) instead of answering once; the
    /// configuration stays on the server, the page only receives identifiers and hashes.
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<String>,
}

/// Which implementation to reach, shared by `props` and `timing` (the same choices as `run`).
#[derive(Args, Debug, Clone)]
pub struct IutArgs {
    /// Test the bundled reference implementation over the given transport.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "inproc", group = "iut", help_heading = "Implementation under test")]
    pub reference: Option<ReferenceMode>,
    /// Start the IUT with this shell command; it speaks JSON lines on stdin/stdout.
    #[arg(long, value_name = "COMMAND", group = "iut", help_heading = "Implementation under test")]
    pub cmd: Option<String>,
    /// POST protocol messages to this http:// URL.
    #[arg(long, value_name = "URL", group = "iut", help_heading = "Implementation under test")]
    pub url: Option<String>,
    /// Load this shared library (include/ivconform.h) in a disposable child process.
    #[arg(long, value_name = "PATH", group = "iut", help_heading = "Implementation under test")]
    pub lib: Option<PathBuf>,
}

/// `ivconform props`: what to test and how hard.
#[derive(Args, Debug)]
pub struct PropsArgs {
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,
    /// Random cases per property.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub cases: u32,
    /// Seed of the random inputs: the same seed, cases and properties replay the same run.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Run only this property (repeatable): sign, verify, precedence, reorder, custom-attributes, other-platform.
    #[arg(long = "property", value_name = "NAME")]
    pub properties: Vec<String>,
    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub timeout: f64,
    /// Most shrinking steps per failure.
    #[arg(long, value_name = "N", default_value_t = 2048)]
    pub max_shrink_iters: u32,
}

/// `ivconform timing`: what to measure, how long, where to write the report.
#[derive(Args, Debug)]
pub struct TimingArgs {
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,
    /// Measurements of the IUT in total (both class pairs); each control gets as many.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub samples: u64,
    /// Seed of the inputs and of the class order.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// |t| (and decile |z|) above which a difference counts as a leak (dudect's "probably not constant time").
    #[arg(long, value_name = "T", default_value_t = 10.0)]
    pub threshold: f64,
    /// HTTP/stdio only: the known delays (microseconds) injected into the early-exit controls to measure the
    /// detection floor.
    #[arg(long, value_name = "US,US,...", value_delimiter = ',', default_value = "0.5,1,2,4,8,16,32")]
    pub ladder: Vec<f64>,
    /// Seconds to wait for each answer (HTTP/stdio).
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub timeout: f64,
    /// Write the whole result (verdict, controls, statistics per class pair) as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// `ivconform timing-control` (hidden): serve the delayed control IUT.
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["stdio", "http"])))]
pub struct TimingControlArgs {
    /// Speak JSON lines on stdin/stdout.
    #[arg(long)]
    pub stdio: bool,
    /// Listen for HTTP on this address (port 0: any free port; the address is printed).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// Nanoseconds to busy-wait when the supplied hash's first byte is right (0: the plain reference).
    #[arg(long, value_name = "DELAY", default_value_t = 0)]
    pub delay_ns: u64,
}
