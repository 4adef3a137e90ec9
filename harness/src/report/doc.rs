//! The saved run: the JSON report's document (docs/report.schema.json, `ivconform-report/1`) as owned types
//! that serialise and deserialise, so the human report, the HTML report, `summary` and `diff` render a run
//! read back from a file exactly as they render a live one.
//!
//! Every report of every command shares one envelope: `{"schema": "ivconform-report/1", "command": "run",
//! "meta": {...}, ...}`, the command's own fields beside `schema`, `command` and `meta`.

use super::{Counts, Report};
use crate::runner::CaseOutcome;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The schema id every report carries (its major version changes only with an incompatible change).
pub const SCHEMA: &str = "ivconform-report/1";

/// The published JSON Schema of the reports (docs/report.schema.json), compiled in.
pub const SCHEMA_JSON: &str = include_str!("../../../docs/report.schema.json");

/// Run metadata, the same for every command.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    /// The ivconform version that wrote the report.
    pub ivconform_version: String,
    /// Which vectors ran (absent for commands that run none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vectors: Option<VectorsMeta>,
    /// The command line, secret-bearing values replaced by `<redacted>`.
    pub command_line: Vec<String>,
    /// When the run started, RFC 3339 UTC (`null` with `--no-timings`).
    pub started_at: Option<String>,
    /// The host it ran on.
    pub host: Option<String>,
    /// How long it took, in seconds (zero with `--no-timings`).
    pub durations: Durations,
}

/// Which vector set ran.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VectorsMeta {
    /// `golden vectors`, or the Wycheproof file's name.
    pub name: String,
    /// The set's version (`suite_version`), empty when the set has none.
    pub version: String,
    /// `bundled` (compiled in), `dir` (`--vectors DIR`) or `file` (`--wycheproof FILE`).
    pub source: String,
    /// The directory or file, for `dir` and `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The run header's label, e.g. `golden vectors 2.1.0 (bundled)`.
    pub label: String,
}

/// Durations in seconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Durations {
    /// Wall time of the whole run.
    pub wall_seconds: f64,
    /// Starting the implementation and shaking hands (part of `wall_seconds`).
    #[serde(default)]
    pub startup_seconds: f64,
    /// Sum of the per-call round trips.
    #[serde(default)]
    pub calls_seconds: f64,
}

impl Meta {
    /// Metadata for a report written now: this binary's version, the process's command line (redacted), the
    /// host; `started` and `durations` as given (left out when `timings` is false).
    pub fn new(vectors: Option<VectorsMeta>, started: SystemTime, durations: Durations, timings: bool) -> Meta {
        Meta {
            ivconform_version: env!("CARGO_PKG_VERSION").into(),
            vectors,
            command_line: redact_command_line(std::env::args()),
            started_at: timings.then(|| rfc3339(started)),
            host: host_name(),
            durations: if timings { durations } else { Durations::default() },
        }
    }
}

impl VectorsMeta {
    /// Reads a run header's suite label (`golden vectors 2.1.0 (bundled)`, `golden vectors 2.1.0 (from DIR)`,
    /// `Wycheproof NAME (bundled, ...)`, `Wycheproof FILE`).
    pub fn from_label(label: &str) -> VectorsMeta {
        let (name, rest) = if let Some(rest) = label.strip_prefix("golden vectors ") {
            ("golden vectors".to_string(), rest)
        } else {
            (label.split(" (").next().unwrap_or(label).to_string(), "")
        };
        let (version, how) = match rest.split_once(' ') {
            Some((v, how)) => (v.to_string(), how),
            None => (rest.to_string(), ""),
        };
        let (source, path) = if let Some(dir) = how.strip_prefix("(from ").and_then(|d| d.strip_suffix(')')) {
            ("dir", Some(dir.to_string()))
        } else if how == "(bundled)" || label.contains("(bundled") {
            ("bundled", None)
        } else if label.starts_with("Wycheproof ") {
            ("file", Some(name.trim_start_matches("Wycheproof ").to_string()))
        } else {
            ("bundled", None)
        };
        VectorsMeta { name, version, source: source.into(), path, label: label.into() }
    }
}

/// The command line with the values of secret-bearing arguments replaced by `<redacted>`: any option whose
/// name mentions a secret, key, token or password (`--secret X`, `--api-key=X`), and a password in a URL.
pub fn redact_command_line(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let secret_name = |name: &str| {
        let n = name.to_ascii_lowercase();
        ["secret", "key", "token", "password", "passwd"].iter().any(|w| n.contains(w))
    };
    let mut out = Vec::new();
    let mut redact_next = false;
    for arg in args {
        if redact_next {
            out.push("<redacted>".to_string());
            redact_next = false;
            continue;
        }
        if let Some(opt) = arg.strip_prefix("--") {
            match opt.split_once('=') {
                Some((name, _)) if secret_name(name) => {
                    out.push(format!("--{name}=<redacted>"));
                    continue;
                }
                None if secret_name(opt) => redact_next = true,
                _ => {}
            }
        }
        out.push(redact_url(&arg));
    }
    out
}

/// `scheme://user:password@host` with the password redacted; anything else unchanged.
fn redact_url(arg: &str) -> String {
    let Some((scheme, rest)) = arg.split_once("://") else { return arg.to_string() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return arg.to_string() };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:<redacted>{}", &rest[at..]),
        None => arg.to_string(),
    }
}

/// The host name, when the system tells it.
fn host_name() -> Option<String> {
    nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).map(|h| crate::sanitize::iut_text(&h))
}

/// `t` as RFC 3339 in UTC with seconds, e.g. `2026-12-02T01:02:03Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A saved run (`command: "run"`): what `run --json` writes and `summary`, `diff` and `report` read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunDoc {
    /// [`SCHEMA`].
    pub schema: String,
    /// `run` (or `check`).
    pub command: String,
    /// Run metadata.
    pub meta: Meta,
    /// How the implementation was reached and what it said about itself.
    pub implementation: Implementation,
    /// Counts and the verdict.
    pub summary: Summary,
    /// Every case, in plan order.
    pub cases: Vec<CaseDoc>,
    /// Oracle leaks.
    #[serde(default)]
    pub security_findings: Vec<Finding>,
    /// Expectations-file entries that match no case.
    #[serde(default)]
    pub stale_expectations: Vec<String>,
    /// Capabilities `--require`d but not claimed.
    #[serde(default)]
    pub missing_required: Vec<String>,
    /// The tail of the implementation's stderr (sanitised, each line prefixed `| `).
    #[serde(default)]
    pub stderr_tail: String,
}

/// The implementation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Implementation {
    /// `stdio: CMD`, `http: URL`, `ffi: LIB`, ...
    pub transport: String,
    /// Its `hello` (sanitised): name, version, language, capabilities, protocol, limits.
    pub hello: Value,
}

/// The run's counts and verdict.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// No problem (see `problems`).
    pub conformant: bool,
    /// Why not, one line each.
    #[serde(default)]
    pub problems: Vec<String>,
    /// Counts of each outcome kind.
    #[serde(flatten)]
    pub counts: Counts,
    /// Wall time (as in `meta.durations`).
    pub wall_seconds: f64,
    /// Start-up time.
    pub startup_seconds: f64,
    /// Sum of the round trips.
    pub calls_seconds: f64,
    /// Fresh connections after failures.
    pub restarts: usize,
}

/// One security finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Finding {
    /// The case.
    pub case: String,
    /// `response` or `stderr`.
    pub channel: String,
    /// What leaked, described without revealing it.
    pub what: String,
}

/// One case's result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseDoc {
    /// The case id.
    pub id: String,
    /// Its vector group.
    pub group: String,
    /// What the case is about (the vector's comment).
    #[serde(default)]
    pub comment: String,
    /// The rules it exercises.
    pub rules: Vec<String>,
    /// Its bug classes.
    pub flags: Vec<String>,
    /// `pass`, `fail`, `error`, ... (docs/report.schema.json lists them).
    pub outcome: String,
    /// For a bad outcome, the rule it is tallied under: the one the grader says was broken, else the case's
    /// first rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broke: Option<String>,
    /// What a conforming implementation answers, structured (`{"kind": "hash", "value": ...}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    /// What this one answered, structured, when it answered wrongly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    /// `expected X; got Y` in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The likely mistake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Why (errors, crashes, timeouts, skips; the expectations file's reason for expected failures and
    /// unexpected passes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For an expected failure: the failure that was expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Box<CaseDoc>>,
    /// Round-trip time in microseconds (0 when not sent or with `--no-timings`).
    #[serde(default)]
    pub duration_us: u64,
}

impl CaseDoc {
    /// True for outcomes that make the implementation nonconformant.
    pub fn is_bad(&self) -> bool {
        is_bad_kind(&self.outcome)
    }

    /// The rule the case is tallied under when bad.
    pub fn blamed(&self) -> Option<&str> {
        self.broke.as_deref().or(self.rules.first().map(String::as_str))
    }

    /// The cause shared by identical failures: the hint (else the reason) without this case's own comment,
    /// so that "S2 precedence: the identifier is user_id here (COMMENT)" groups across cases. A hint that is
    /// just the comment stays whole.
    pub fn cause(&self) -> String {
        let why = self.hint.as_deref().or(self.reason.as_deref()).unwrap_or_default();
        if self.comment.is_empty() || why.starts_with(&self.comment) {
            return why.to_string();
        }
        match why.find(&format!(" ({}", self.comment)) {
            Some(at) => why[..at].to_string(),
            None => why.to_string(),
        }
    }

    /// `(expected, actual)` in words, from [`CaseDoc::summary`].
    pub fn summary_parts(&self) -> Option<(&str, &str)> {
        let s = self.summary.as_deref()?;
        s.strip_prefix("expected ")?.split_once("; got ")
    }
}

/// True for the outcome kinds that make an implementation nonconformant.
pub fn is_bad_kind(kind: &str) -> bool {
    matches!(kind, "fail" | "error" | "crash" | "timeout" | "unexpected_pass")
}

/// The case document of one outcome (without id, group, rules, flags, which the caller fills in).
fn outcome_doc(outcome: &CaseOutcome, base: CaseDoc) -> CaseDoc {
    let mut d = CaseDoc { outcome: outcome.kind().into(), ..base };
    match outcome {
        CaseOutcome::Fail { expected, actual, hint, rule, answer } => {
            d.summary = Some(format!("expected {expected}; got {actual}"));
            d.hint = Some(hint.clone());
            d.actual = answer.clone();
            d.broke = rule.map(|r| r.id().to_string()).or_else(|| d.rules.first().cloned());
        }
        CaseOutcome::Either { actual } => {
            d.summary = Some(format!("answered {actual} (J2's leeway window: both answers conformant, not graded)"))
        }
        CaseOutcome::ExpectedFailure { failure, reason } => {
            let inner = CaseDoc { failure: None, ..d.clone() };
            d.failure = Some(Box::new(outcome_doc(failure, inner)));
            d.reason = Some(reason.clone());
        }
        CaseOutcome::Pass => {}
        other => {
            // Every other outcome carries its reason; serde's tagged form has it under "reason".
            let v = serde_json::to_value(other).unwrap_or_default();
            d.reason =
                v.get("reason").and_then(Value::as_str).map(|r| match v.get("declaration").and_then(Value::as_str) {
                    Some(declared) => format!("declared {declared}: {r}"),
                    None => r.to_string(),
                });
            if other.is_bad() {
                d.broke = d.rules.first().cloned();
            }
        }
    }
    d
}

impl RunDoc {
    /// The document of a live run; `timings: false` leaves every time and duration out.
    pub fn of(report: &Report<'_>, timings: bool) -> RunDoc {
        let run = report.run;
        let calls: f64 = run.results.iter().map(|r| r.duration.as_secs_f64()).sum();
        let durations = Durations {
            wall_seconds: report.wall().as_secs_f64(),
            startup_seconds: run.startup.as_secs_f64(),
            calls_seconds: calls,
        };
        let meta = Meta::new(Some(VectorsMeta::from_label(&report.suite)), run.started_at, durations, timings);
        let problems = report.problems();
        // An expected value can hold a text that is some case's secret (sign-key-message-swap-probe signs the
        // web secret as its identifier, to catch a swap): no secret the harness knows is printed, there either.
        let secrets = crate::leak::Scanner::new(report.cases, Vec::new());
        let redact = |s: String| secrets.redact(&s);
        let cases = run
            .results
            .iter()
            .map(|r| {
                let c = &report.cases[r.index];
                let base = CaseDoc {
                    id: c.id.clone(),
                    group: c.group.as_str().into(),
                    comment: c.comment.clone(),
                    rules: c.rules.iter().map(|r| r.id().to_string()).collect(),
                    flags: c.flags.iter().map(|f| f.as_str().to_string()).collect(),
                    outcome: String::new(),
                    broke: None,
                    expected: Some(crate::values::map_strings(crate::values::expected(&c.expect), &redact)),
                    actual: None,
                    summary: None,
                    hint: None,
                    reason: None,
                    failure: None,
                    duration_us: if timings { r.duration.as_micros() as u64 } else { 0 },
                };
                outcome_doc(&r.outcome, base)
            })
            .collect();
        RunDoc {
            schema: SCHEMA.into(),
            command: "run".into(),
            implementation: Implementation {
                transport: report.transport.clone(),
                hello: serde_json::to_value(report.hello()).unwrap_or(Value::Null),
            },
            summary: Summary {
                conformant: problems.is_empty(),
                problems,
                counts: report.counts(),
                wall_seconds: meta.durations.wall_seconds,
                startup_seconds: meta.durations.startup_seconds,
                calls_seconds: meta.durations.calls_seconds,
                restarts: run.restarts,
            },
            meta,
            cases,
            security_findings: report
                .findings()
                .iter()
                .map(|f| Finding { case: f.case.clone(), channel: f.channel.clone(), what: f.what.clone() })
                .collect(),
            stale_expectations: report.stale_expectations.clone(),
            missing_required: report.missing_required.clone(),
            stderr_tail: run.stderr_tail.clone(),
        }
    }

    /// The implementation's name, version and language from its hello (`?` when missing).
    pub fn implementation_name(&self) -> String {
        let h = &self.implementation.hello;
        let s = |k: &str| h.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
        format!("{} {}", s("name"), s("version"))
    }

    /// Reads a saved run: bounded (64 MiB), UTF-8 JSON, `schema` checked; the error says what is wrong.
    pub fn read(path: &std::path::Path) -> Result<RunDoc, String> {
        let bytes = ivconform_vectors::file::read_regular(path, 64 << 20).map_err(|e| e.to_string())?;
        RunDoc::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses a saved run's bytes.
    pub fn parse(bytes: &[u8]) -> Result<RunDoc, String> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
        match value.get("schema").and_then(Value::as_str) {
            Some(SCHEMA) => {}
            Some(other) => return Err(format!("schema is {other:?}; this ivconform reads {SCHEMA:?}")),
            None => {
                return Err(format!(
                    "no \"schema\" field: not an ivconform report (or one from before {SCHEMA}; run it again)"
                ))
            }
        }
        match value.get("command").and_then(Value::as_str) {
            Some("run" | "check") => {}
            Some(other) => return Err(format!("a report of `ivconform {other}`, not of a run")),
            None => return Err("no \"command\" field".into()),
        }
        serde_json::from_value(value).map_err(|e| format!("not a run report: {e}"))
    }
}
