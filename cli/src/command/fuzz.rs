//! `ivconform fuzz`: differential fuzzing of an implementation's verifier against the reference; the first
//! disagreement is shrunk and saved as a raw payload and a ready-to-paste vector.

use super::iut::IutArgs;
use super::iut::{connect_iut, iut_flags};
use crate::exit::{self, usage, CommandResult, Failure};
use crate::output::say;

use clap::Args;
use ivconform_core::payload::BootPayload;
use ivconform_differential::disagreement::{expected_class, Disagreement, ShrinkEnd, ShrinkLimits, ShrinkReport};
use ivconform_differential::fuzz::corpus::{self, Seed};
use ivconform_differential::fuzz::finding::{self, FuzzFinding};
use ivconform_differential::fuzz::mutate::{dictionary, mutate, refresh_hash, reshape};
use ivconform_differential::fuzz::resign::HashBinding;
use ivconform_differential::fuzz::shrink::{shrink, Check};
use ivconform_differential::fuzz::FuzzRng;
use ivconform_differential::props::check::Session;
use ivconform_differential::props::{verify_probe_bytes, Probe, Vector};
use ivconform_protocol::Capability;
use ivconform_vectors::VerifyExpected;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// `ivconform fuzz`: which implementation, how long, where findings go.
#[derive(Args, Debug)]
pub struct FuzzArgs {
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,
    /// Seconds the whole run may take, shrinking included (it also ends at --iterations or at the first
    /// disagreement, which is then shrunk within what is left).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = crate::value::seconds)]
    pub duration: Duration,
    /// Payloads to send in all, before any shrinking (one request each; compare props --cases, which counts
    /// inputs per property). The old name --iterations still works.
    #[arg(long = "cases", alias = "iterations", value_name = "N")]
    pub iterations: Option<u64>,
    /// Seed of the generator: the same seed and IUT replay the same payloads.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Where a finding's files go: <ID>.payload (raw bytes) and <ID>.json (configuration + case).
    #[arg(long, value_name = "DIR", default_value = "ivconform-fuzz")]
    pub out: PathBuf,
    /// Most candidates tried while shrinking a disagreement (one request each, two when a re-signed hash is
    /// tried); the same flag as props'.
    #[arg(long = "max-shrink-iters", alias = "max-shrink", value_name = "N", default_value_t = 2000)]
    pub max_shrink_iters: u32,
    /// Most seconds spent shrinking a disagreement (never past --duration); a timeout or crash of the
    /// implementation while shrinking ends the shrink at once.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = crate::value::seconds)]
    pub shrink_time: Duration,
    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = crate::value::seconds)]
    pub timeout: Duration,
    /// Send the cases of a saved reproducer (<ID>.json) again, and say whether the IUT still disagrees.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Directory of golden vectors to seed from [default: the vectors bundled into this binary].
    #[arg(long, value_name = "DIR")]
    pub vectors: Option<PathBuf>,
    /// No progress display on stderr (the report is unchanged).
    #[arg(short, long)]
    pub quiet: bool,
    /// What set the deadline, for reports (`check` names its budget); `--duration N s` when unset.
    #[arg(skip)]
    pub deadline_by: Option<String>,
    /// Write the campaign as JSON (docs/report.schema.json, command `fuzz`) to FILE; `-` is stdout, and the
    /// human report then goes to stderr.
    #[arg(long, value_name = "FILE")]
    pub json: Option<std::path::PathBuf>,
    /// Write JUnit XML to FILE (one testcase: the campaign); `-` is stdout, as for --json.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
}

/// What the reference decided, for the outcome tally.
fn decision_of(probe: &Probe) -> String {
    let Vector::Verify { case, .. } = &probe.vector else { return "sign".into() };
    if let VerifyExpected::Accept { verified: Some(true), .. } = &case.expected {
        "verified user".into()
    } else if let VerifyExpected::Accept { verified: Some(false), .. } = &case.expected {
        "unverified user".into()
    } else if let VerifyExpected::Accept { .. } = &case.expected {
        "visitor".into()
    } else if let VerifyExpected::Reject { reason } = &case.expected {
        format!("reject {reason}")
    } else {
        // Any other form (J2's leeway window, where either answer conforms): its class.
        format!("{} (leeway window)", expected_class(&probe.case.expect))
    }
}

fn probe_for(seed: &Seed, payload: &[u8]) -> Probe {
    let probe = verify_probe_bytes(
        "fuzz",
        "found by ivconform fuzz: the implementation's decision differs from the reference's",
        &seed.config,
        seed.platform,
        payload,
        seed.now,
        &[],
        &[],
    );
    let id = probe.case.id.replacen("props-fuzz-", "fuzz-", 1);
    probe.with_id(id)
}

/// Whether a payload carries (or names) a JWT: `jwt` anywhere in its bytes, a token the parser reads (even
/// under an escaped key), or a parse error about the token's key.
fn mentions_jwt(payload: &[u8]) -> bool {
    payload.windows(3).any(|w| w.eq_ignore_ascii_case(b"jwt"))
        || match BootPayload::parse(payload) {
            Ok(p) => p.jwt.is_some(),
            Err(e) => e.reason.contains(ivconform_core::payload::JWT_KEY),
        }
}

/// Whether the seed's configuration sets JWT mode (J4, `jwt_enforced`) on any platform of any workspace:
/// JWT mode's configuration and decisions, which an implementation that does not claim `verify_jwt` need
/// not know (as `run` skips jwt.json for it).
fn jwt_enforced(seed: &Seed) -> bool {
    seed.config.apps.values().any(|app| app.platforms.values().any(|p| p.jwt_enforced))
}

/// Runs the command.
pub fn fuzz(args: FuzzArgs) -> CommandResult {
    if args.replay.is_none() {
        crate::output::check_output_dir("--out", &args.out)?;
    } else if args.json.is_some() || args.junit.is_some() {
        return usage("--json and --junit report a campaign; --replay prints its verdict only");
    }
    crate::output::check_outputs(&[("--json", args.json.as_deref()), ("--junit", args.junit.as_deref())])?;
    crate::output::human_to_stderr_if_stdout_taken(&[args.json.as_deref(), args.junit.as_deref()])?;
    let started = std::time::SystemTime::now();
    let replayed = match &args.replay {
        Some(path) => match finding::load(path) {
            Ok(p) => Some(p),
            Err(e) => return usage(e),
        },
        None => None,
    };
    let seeds = if replayed.is_some() {
        Vec::new()
    } else {
        let source = ivconform_vectors::VectorSource::from_option(args.vectors.clone());
        match source.load() {
            Ok(suite) => corpus::from_vectors(&suite),
            Err(e) => return usage(format!("bad vectors: {e} {}", source.hint())),
        }
    };
    let iut = connect_iut(&args.iut, args.timeout)?;
    let session = match Session::open(iut.connector.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            return Err(Failure::unreachable(format!(
                "the implementation could not be started or reached: {}: {e}",
                iut.connector.describe()
            )));
        }
    };
    if !session.hello.capabilities.contains(&Capability::Verify) {
        session.close();
        return usage(format!(
            "{} does not claim the verify capability, which fuzzing drives",
            iut.connector.describe()
        ));
    }
    let code = match replayed {
        Some(probes) => replay(&session, &probes),
        None => {
            let summary = campaign(&args, &session, &seeds, &iut.connector.describe());
            if let Some(path) = &args.json {
                let body = summary.details(args.iterations);
                super::report::write_output("--json", path, &super::report::enveloped("fuzz", started, &body))?;
            }
            if let Some(path) = &args.junit {
                let xml = crate::output::junit_one_suite("ivconform fuzz", "fuzz", vec![summary.junit_case()], started);
                super::report::write_output("--junit", path, &xml)?;
            }
            summary.code
        }
    };
    session.close();
    Ok(ExitCode::from(code))
}

/// What a fuzz campaign found, for `check`'s report.
#[derive(Debug, Clone, Default)]
pub struct FuzzSummary {
    /// The exit code of the verdict (0 no disagreement, 1 a disagreement).
    pub code: u8,
    /// Payloads sent before the first disagreement (or in all).
    pub sent: u64,
    /// Seconds the campaign took, shrinking included.
    pub seconds: f64,
    /// The disagreement, shrunk: expected, actual, hint (and where it was saved).
    pub finding: Option<String>,
    /// Whether the time allowed ended the campaign before its payload count.
    pub cut: bool,
    /// Why nothing was sent (the implementation does not claim verify).
    pub skipped: Option<String>,
}

impl FuzzSummary {
    /// The campaign as one JUnit testcase: a disagreement is a failure, an implementation without `verify`
    /// skipped, otherwise a pass (a cut campaign passed what it sent).
    pub fn junit_case(&self) -> quick_junit::TestCase {
        use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};
        let status = if let Some(reason) = &self.skipped {
            let mut s = TestCaseStatus::skipped();
            s.set_message(reason.clone());
            s
        } else if self.code != exit::CONFORMANT {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let what = self.finding.clone().unwrap_or_default();
            s.set_message(format!("a disagreement after {} payloads: {what}", self.sent));
            s.set_type("disagreement");
            s
        } else {
            TestCaseStatus::success()
        };
        let mut tc = TestCase::new("differential fuzz", status);
        tc.set_classname("ivconform.fuzz");
        tc.set_time(Duration::from_secs_f64(self.seconds));
        tc
    }

    /// The machine-readable body: payloads sent and planned, the finding, whether the time allowed cut it.
    pub fn details(&self, planned: Option<u64>) -> serde_json::Value {
        serde_json::json!({
            "exit_code": self.code,
            "payloads": self.sent,
            "planned": planned,
            "seconds": self.seconds,
            "finding": self.finding,
            "cut": self.cut,
            "skipped": self.skipped,
        })
    }
}

/// A campaign against `connector` seeded from `seeds` (what `fuzz` runs without `--replay`), printing as it
/// goes; an implementation that does not claim `verify` is skipped, said so.
pub fn execute(
    args: &FuzzArgs,
    connector: &dyn ivconform_harness::transport::Connector,
    seeds: &[Seed],
) -> Result<FuzzSummary, Failure> {
    let session = match Session::open(connector) {
        Ok(s) => s,
        Err(e) => {
            return Err(Failure::unreachable(format!(
                "the implementation could not be started or reached: {}: {e}",
                connector.describe()
            )));
        }
    };
    if !session.hello.capabilities.contains(&Capability::Verify) {
        session.close();
        let reason = "the implementation does not claim the verify capability, which fuzzing drives".to_string();
        say!("skipped: {reason}");
        return Ok(FuzzSummary { skipped: Some(reason), ..FuzzSummary::default() });
    }
    let summary = campaign(args, &session, seeds, &connector.describe());
    session.close();
    Ok(summary)
}

fn replay(session: &Session<'_>, probes: &[Probe]) -> u8 {
    let mut disagreements = 0;
    for probe in probes {
        match session.ask(probe) {
            Ok(()) => say!("agrees    {}", probe.case.id),
            Err(d) => {
                disagreements += 1;
                say!(
                    "DISAGREES {}\n  expected: {}\n  actual:   {}\n  hint:     {}",
                    probe.case.id,
                    d.expected,
                    d.actual,
                    d.hint
                );
            }
        }
    }
    if disagreements == 0 {
        say!("The implementation agrees with the reference on all {} case(s).", probes.len());
        exit::CONFORMANT
    } else {
        say!("The implementation still disagrees on {disagreements} of {} case(s).", probes.len());
        exit::NONCONFORMANT
    }
}

fn campaign(args: &FuzzArgs, session: &Session<'_>, vector_seeds: &[Seed], iut: &str) -> FuzzSummary {
    let dict = dictionary();
    let mut rng = FuzzRng::new(args.seed);
    let mut pool: Vec<Seed> = vector_seeds.to_vec();
    let recent_from = pool.len();
    let started = Instant::now();
    let deadline = started + args.duration;
    say!(
        "ivconform fuzz: {iut} ({} {}), seed {}, {} s{}, {} seed payloads from the vectors",
        // The hello is the IUT's text: shown escaped, so it cannot start a line of its own.
        ivconform_harness::sanitize::iut_text(&session.hello.name),
        ivconform_harness::sanitize::iut_text(&session.hello.version),
        args.seed,
        args.duration.as_secs_f64(),
        args.iterations.map(|n| format!(" or {n} payloads")).unwrap_or_default(),
        vector_seeds.len()
    );
    // Toward --cases when given, else toward --duration (the payload count as the note).
    let bar = match args.iterations {
        Some(n) => crate::progress::Progress::new("fuzz", Some(n), "payloads", args.quiet),
        None => crate::progress::Progress::timed("fuzz", Some(args.duration), args.quiet),
    };
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    let mut sent: u64 = 0;
    // JWT mode is optional (capability verify_jwt): an implementation without it treats a token as a custom
    // attribute, which is no disagreement, so payloads that carry one are not sent to it.
    let jwt_claimed = session.hello.capabilities.contains(&Capability::VerifyJwt);
    let mut skipped_jwt: u64 = 0;
    let found = loop {
        if Instant::now() >= deadline || args.iterations.is_some_and(|n| sent >= n) {
            break None;
        }
        // A sixth golden-vector payloads in a new shape (surrounding whitespace: the same document), a
        // third fresh structured payloads, the rest mutations of the pool (vectors and earlier ones).
        let (seed, payload) = if rng.chance(1, 6) && !vector_seeds.is_empty() {
            let s = rng.pick(vector_seeds).clone();
            let p = reshape(&mut rng, &s.payload);
            (s, p)
        } else if rng.chance(2, 5) || pool.is_empty() {
            let s = corpus::structured(&mut rng);
            let p = s.payload.clone();
            if pool.len() < recent_from + 4096 {
                pool.push(s.clone());
            } else {
                let slot = recent_from + rng.below(4096);
                pool[slot] = s.clone();
            }
            (s, p)
        } else {
            let s = rng.pick(&pool).clone();
            let mut p = mutate(&mut rng, &s, &pool, &dict);
            refresh_hash(&mut rng, &s, &mut p);
            (s, p)
        };
        if !jwt_claimed && (mentions_jwt(&payload) || jwt_enforced(&seed)) {
            skipped_jwt += 1;
            continue;
        }
        let probe = probe_for(&seed, &payload);
        sent += 1;
        *tally.entry(decision_of(&probe)).or_default() += 1;
        bar.inc(1);
        if args.iterations.is_none() && sent % 64 == 1 {
            bar.set_message(format!("{sent} payloads"));
        }
        if let Err(d) = session.ask(&probe) {
            break Some((seed, payload, d));
        }
    };
    bar.finish();
    let took = started.elapsed().as_secs_f64();
    say!("{sent} payloads in {took:.1} s ({:.0}/s); the reference's decisions:", sent as f64 / took.max(1e-9));
    for (decision, n) in &tally {
        say!("  {n:>9}  {decision}");
    }
    if skipped_jwt > 0 {
        say!(
            "  ({skipped_jwt} payloads with an intercom_user_jwt, or judged where jwt_enforced is set, not sent: the \
             implementation does not claim verify_jwt)"
        );
    }
    let Some((seed, payload, first)) = found else {
        say!("\nNo disagreement: the implementation decided every payload as the reference did.");
        let cut = args.iterations.is_none_or(|n| sent < n);
        return FuzzSummary { code: exit::CONFORMANT, sent, seconds: took, cut, ..FuzzSummary::default() };
    };
    say!("\nDISAGREEMENT after {sent} payloads ({} bytes); shrinking...", payload.len());
    let budget = args.deadline_by.clone().unwrap_or_else(|| format!("--duration {} s", args.duration.as_secs_f64()));
    let limits = ShrinkLimits::starting_now(args.max_shrink_iters, args.shrink_time, deadline, &budget);
    let (small, detail, shrunk) = shrink_finding(session, &seed, &payload, *first, &limits);
    // The shrunk payload, asked once more when the shrink finished in time (an IUT that is not deterministic
    // may pass it); after a stall or past the deadline the recorded answer stands.
    let probe = probe_for(&seed, &small);
    if !shrunk.cut() && Instant::now() < deadline {
        match session.ask(&probe) {
            Ok(()) => say!("(the shrunk payload passed when asked again: the implementation is not deterministic)"),
            Err(again) if again.kind != detail.kind => {
                say!("(asked again, the shrunk payload was answered {}: not deterministic)", again.actual)
            }
            Err(_) => {}
        }
    }
    let finding = FuzzFinding {
        probe,
        expected: detail.expected,
        actual: detail.actual,
        hint: detail.hint,
        original_len: payload.len(),
        shrink_checks: shrunk.checks as usize,
    };
    let saved = report(args, &finding, &shrunk);
    let what = format!(
        "{} ({} bytes, from {}): expected {}; got {} ({}){}",
        finding.probe.case.id,
        payload_len(&finding.probe),
        finding.original_len,
        finding.expected,
        finding.actual,
        finding.hint,
        saved.map(|s| format!("; saved as {s}")).unwrap_or_default()
    );
    FuzzSummary {
        code: exit::NONCONFORMANT,
        sent,
        seconds: started.elapsed().as_secs_f64(),
        finding: Some(what),
        cut: shrunk.cut(),
        skipped: None,
    }
}

/// Shrinks a disagreement through payloads that disagree the same way (the same [`Kind`] of reference
/// decision and answer), within `limits`; a stall of the implementation ends it at once. The smallest
/// payload, its disagreement and how the shrink went.
///
/// [`Kind`]: ivconform_differential::disagreement::Kind
fn shrink_finding(
    session: &Session<'_>,
    seed: &Seed,
    payload: &[u8],
    first: Disagreement,
    limits: &ShrinkLimits,
) -> (Vec<u8>, Disagreement, ShrinkReport) {
    let started = Instant::now();
    if let Some(stall) = first.stalled.clone() {
        // A smaller payload failing the same way would stall too, which ends a shrink: none could be kept.
        let report = ShrinkReport { took: Duration::ZERO, checks: 0, other_kinds: 0, end: ShrinkEnd::NotTried(stall) };
        return (payload.to_vec(), first, report);
    }
    let want = first.kind.clone();
    let mut smallest = first;
    let mut end: Option<ShrinkEnd> = None;
    let mut other_kinds = 0u32;
    // One request: whether the candidate disagrees the same way, or the shrink must stop.
    let mut ask = |bytes: &[u8], end: &mut Option<ShrinkEnd>| -> Option<Disagreement> {
        if Instant::now() >= limits.deadline {
            *end = Some(ShrinkEnd::OutOfTime(limits.deadline_by.clone()));
            return None;
        }
        match session.ask(&probe_for(seed, bytes)) {
            Ok(()) => None,
            Err(d) if d.stalled.is_some() => {
                *end = d.stalled.map(ShrinkEnd::Stalled);
                None
            }
            Err(d) if d.kind == want => Some(*d),
            Err(_) => {
                other_kinds += 1;
                None
            }
        }
    };
    // A hash bound to the identifier is re-signed as the identifier shrinks (see fuzz::resign).
    let binding = HashBinding::find(&seed.config, payload);
    let (small, checks, stopped) = shrink(payload, limits.checks as usize, |candidate| {
        if end.is_some() {
            return Check::Stop;
        }
        if let Some(d) = ask(candidate, &mut end) {
            smallest = d;
            return Check::Fails(candidate.to_vec());
        }
        let resigned = binding.as_ref().and_then(|b| b.resign(candidate)).filter(|r| r != candidate);
        if let (None, Some(resigned)) = (&end, resigned) {
            if let Some(d) = ask(&resigned, &mut end) {
                smallest = d;
                return Check::Fails(resigned);
            }
        }
        if end.is_some() {
            Check::Stop
        } else {
            Check::Passes
        }
    });
    let end = match end {
        Some(end) => end,
        None if !stopped && checks >= limits.checks as usize => ShrinkEnd::OutOfChecks(limits.checks),
        None => ShrinkEnd::Finished,
    };
    let report = ShrinkReport { took: started.elapsed(), checks: checks as u32, other_kinds, end };
    (small, smallest, report)
}

fn payload_len(probe: &Probe) -> usize {
    match &probe.case.request {
        ivconform_protocol::Request::Verify { payload_hex, .. } => payload_hex.len() / 2,
        _ => 0,
    }
}

/// Prints the finding and saves it; where it was saved (the vector file), if it could be.
fn report(args: &FuzzArgs, f: &FuzzFinding, shrunk: &ShrinkReport) -> Option<String> {
    let id = &f.probe.case.id;
    say!(
        "{} {id}: {} bytes (from {}, {} checks)",
        if shrunk.cut() { "smallest reproducer found" } else { "minimal reproducer" },
        payload_len(&f.probe),
        f.original_len,
        f.shrink_checks
    );
    say!("  shrinking: {shrunk}");
    say!("  expected: {}", f.expected);
    say!("  actual:   {}", f.actual);
    say!("  hint:     {}", f.hint);
    say!("  as a vector for {}:", f.probe.vector.file());
    for line in f.probe.vector.render().lines() {
        say!("    {line}");
    }
    match finding::save(&args.out, f) {
        Ok(saved) => {
            say!("  saved: {} and {}", saved.payload.display(), saved.vector.display());
            say!("  replay: ivconform fuzz {} --replay {}", iut_flags(&args.iut), saved.vector.display());
            Some(saved.vector.display().to_string())
        }
        Err(e) => {
            eprintln!("ivconform fuzz: could not save the finding in {}: {e}", args.out.display());
            None
        }
    }
}
