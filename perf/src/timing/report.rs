//! The timing suite's result: per target and class pair, the controls' behaviour, and a verdict that is
//! Pass, Fail or Inconclusive (never a bare number), gated by the controls measured in the same job.

use super::stats::Assessment;
use super::stopping::positional;
use super::{pairs_phrase, JWT_PAIR, PAIRS};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What a measured target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The implementation under test.
    Iut,
    /// A constant-time verifier: must pass.
    ConstantControl,
    /// An early-exit verifier (FFI) or the reference with a known data-dependent delay (HTTP/stdio): must be
    /// flagged.
    EarlyExitControl,
}

/// One measured target.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What it is, for people.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// For injected-delay controls, the delay (nanoseconds) added when the first byte is right.
    pub delay_ns: Option<f64>,
    /// One assessment per class pair measured.
    pub pairs: Vec<Assessment>,
    /// Which pairs those are ([`PAIRS`] indices, in the order of `pairs`).
    pub pair_ids: Vec<usize>,
    /// Answers other than "no match" to wrong hashes (a verifier must refuse all of them).
    pub unexpected_answers: u64,
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimingVerdict {
    /// No dependence on how much of the hash is right, and the controls show the run could have seen one.
    Pass,
    /// Verification time depends on where the hash goes wrong, and the constant-time control passed.
    Fail,
    /// The controls did not behave, or the measurement could not be completed: no conclusion.
    Inconclusive,
}

/// Everything a timing run found.
#[derive(Debug, Clone, Serialize)]
pub struct TimingReport {
    /// How the IUT was reached.
    pub transport: String,
    /// The timer used and its resolution.
    pub timer: String,
    /// Measurements of the IUT requested (both pairs together).
    pub samples: u64,
    /// The seed.
    pub seed: u64,
    /// The |t| and |z| threshold.
    pub threshold: f64,
    /// Wall-clock seconds of the measurement.
    pub seconds: f64,
    /// The verdict.
    pub verdict: TimingVerdict,
    /// Why, in one sentence.
    pub reason: String,
    /// Whether every control behaved.
    pub controls_ok: bool,
    /// What each control was expected to do and did.
    pub control_notes: Vec<String>,
    /// HTTP/stdio: the smallest injected delay flagged with every larger one (nanoseconds).
    pub floor_ns: Option<f64>,
    /// The smallest mean difference the IUT's own tests could have flagged (nanoseconds, worse pair).
    pub detectable_ns: Option<f64>,
    /// The IUT first, then the controls.
    pub targets: Vec<Target>,
    /// Anything that went wrong besides the statistics.
    pub problems: Vec<String>,
    /// Sequential sampling (FFI): how many samples were measured and why it stopped.
    pub sampling: Option<Sampling>,
    /// Why a class pair was not measured (the JWT pair, when the implementation does not verify tokens).
    pub not_measured: Vec<String>,
}

/// How a sequential (adaptive) measurement went.
#[derive(Debug, Clone, Serialize)]
pub struct Sampling {
    /// Measurements of each target.
    pub measured: u64,
    /// The least before a pass may be called (`--samples`).
    pub minimum: u64,
    /// The most allowed (`--max-samples`).
    pub maximum: u64,
    /// Rounds measured after the minimum.
    pub extra_rounds: u32,
    /// Why it stopped: `clear`, `max_samples`, `time_budget`.
    pub stopped: Stop,
    /// The same, for people.
    pub why: String,
}

impl Sampling {
    /// How a run's sequential sampling went (`why` is `stopped` for people).
    pub fn new(measured: u64, minimum: u64, maximum: u64, extra_rounds: u32, stopped: Stop) -> Sampling {
        Sampling { measured, minimum, maximum, extra_rounds, stopped, why: stopped.describe().to_string() }
    }
}

/// Nanoseconds for people: `31.2 ns`, `1.25 µs`.
pub fn fmt_ns(ns: f64) -> String {
    if ns.abs() >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

/// Decides the verdict from the targets (the IUT first): the controls gate everything.
pub fn decide(
    targets: &[Target],
    threshold: f64,
    problems: &[String],
) -> (TimingVerdict, String, bool, Vec<String>, Option<f64>) {
    let mut notes = Vec::new();
    let mut ok = true;
    let stat = |a: &Assessment| format!("|t| {:.1} ({})", a.max_stat.abs(), a.max_test);
    for t in targets.iter().filter(|t| t.role == Role::ConstantControl) {
        for (a, &id) in t.pairs.iter().zip(&t.pair_ids) {
            if !a.enough {
                ok = false;
                notes.push(format!("{}: too few measurements on pair {}", t.name, id + 1));
            } else if a.leak {
                ok = false;
                notes.push(format!(
                    "{} was flagged on pair {} ({}, expected to pass): the setup makes differences of its own",
                    t.name,
                    id + 1,
                    stat(a)
                ));
            } else {
                notes.push(format!("{} passed on pair {} ({}), as it must", t.name, id + 1, stat(a)));
            }
        }
    }
    let mut early: Vec<&Target> = targets.iter().filter(|t| t.role == Role::EarlyExitControl).collect();
    early.sort_by(|a, b| a.delay_ns.unwrap_or(0.0).total_cmp(&b.delay_ns.unwrap_or(0.0)));
    // The pairs an early exit shows on (pair 1, and the JWT pair when measured): the controls must be
    // flagged there, and the floor is the worse of those pairs' floors.
    let ids = early.first().map_or(&[][..], |t| &t.pair_ids[..]);
    let mut floors: Vec<Option<f64>> = Vec::new();
    for slot in positional(ids) {
        let id = ids[slot];
        let mut floor_p = None;
        for t in early.iter().rev() {
            let a = &t.pairs[slot];
            if a.leak {
                floor_p = t.delay_ns;
                notes.push(format!("{} was flagged on pair {} ({}), as it must", t.name, id + 1, stat(a)));
            } else {
                notes.push(format!("{} was not flagged on pair {} ({})", t.name, id + 1, stat(a)));
                break;
            }
        }
        floors.push(floor_p);
        if let Some(largest) = early.last().filter(|t| !t.pairs[slot].leak) {
            ok = false;
            notes.push(format!(
                "the run could not detect even the {} on pair {}: more samples or a quieter machine are needed",
                largest.name,
                id + 1
            ));
        }
    }
    if early.is_empty() {
        ok = false;
        notes.push("no early-exit control was measured".into());
    }
    let floor = floors.iter().try_fold(None, |worst: Option<f64>, f| f.map(|f| Some(worst.map_or(f, |w| w.max(f)))));
    let floor = floor.flatten();
    let iut = &targets[0];
    if !problems.is_empty() {
        return (TimingVerdict::Inconclusive, problems.join("; "), ok, notes, floor);
    }
    if !iut.pairs.iter().all(|a| a.enough) {
        return (TimingVerdict::Inconclusive, "too few measurements of the implementation".into(), ok, notes, floor);
    }
    let leaks: Vec<String> = iut
        .pairs
        .iter()
        .zip(&iut.pair_ids)
        .filter(|(a, _)| a.leak)
        .map(|(a, id)| {
            format!(
                "pair {}: |t| {:.1} > {threshold} ({}), class {} slower by {}",
                id + 1,
                a.max_stat.abs(),
                a.max_test,
                if a.effect_ns >= 0.0 { "A" } else { "B" },
                fmt_ns(a.effect_ns.abs())
            )
        })
        .collect();
    if !ok {
        let would = if leaks.is_empty() { "pass" } else { "fail" };
        return (
            TimingVerdict::Inconclusive,
            format!(
                "the controls did not behave, so no verdict can be trusted (the implementation alone would {would})"
            ),
            ok,
            notes,
            floor,
        );
    }
    if !leaks.is_empty() {
        let leaked = |jwt: bool| iut.pairs.iter().zip(&iut.pair_ids).any(|(a, &id)| a.leak && (id == JWT_PAIR) == jwt);
        let (hash, token) = (leaked(false), leaked(true));
        let what = match (hash, token) {
            (true, true) => "the hash and the token signature go wrong (V9, J1)",
            (false, true) => "the token signature goes wrong (J1)",
            _ => "the hash goes wrong (V9)",
        };
        return (
            TimingVerdict::Fail,
            format!("verification time depends on where {what}: {}", leaks.join("; ")),
            ok,
            notes,
            floor,
        );
    }
    let pairs = pairs_phrase(&iut.pair_ids);
    let reason = match floor {
        Some(f) => format!(
            "no dependence at or above the measured floor of {} (every |t| and |z| <= {threshold} on {pairs}); \
             smaller leaks are inconclusive at this sample count",
            fmt_ns(f)
        ),
        None => format!("no dependence found (every |t| and |z| <= {threshold} on {pairs})"),
    };
    (TimingVerdict::Pass, reason, ok, notes, floor)
}

impl TimingReport {
    /// The verdict as reports print it: `PASS`, `FAIL`, `INCONCLUSIVE`.
    pub fn verdict_word(&self) -> &'static str {
        match self.verdict {
            TimingVerdict::Pass => "PASS",
            TimingVerdict::Fail => "FAIL",
            TimingVerdict::Inconclusive => "INCONCLUSIVE",
        }
    }

    /// The report for people.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "ivconform timing: {}\n  {} IUT samples, seed {}, threshold |t| > {}, timer {}, {:.1} s",
            self.transport, self.samples, self.seed, self.threshold, self.timer, self.seconds
        );
        for t in &self.targets {
            let role = match t.role {
                Role::Iut => "implementation",
                Role::ConstantControl => "control (must pass)",
                Role::EarlyExitControl => "control (must be flagged)",
            };
            let _ = writeln!(out, "\n  {} [{role}]", t.name);
            for (a, &id) in t.pairs.iter().zip(&t.pair_ids) {
                let _ = writeln!(
                    out,
                    "    {:<66} max |t| {:>7.1} {}  mean A-B {:>9}  n {}  could detect {}",
                    PAIRS[id],
                    a.max_stat.abs(),
                    if a.leak { "LEAK" } else { "    " },
                    fmt_ns(a.mean_difference_ns),
                    a.samples,
                    a.detectable_ns.map_or("-".into(), fmt_ns),
                );
                if t.role == Role::Iut {
                    let _ = writeln!(out, "      largest statistic: {}, effect {}", a.max_test, fmt_ns(a.effect_ns));
                    let d: Vec<String> = a.deciles_ns.iter().map(|[x, y]| fmt_ns(x - y).replace(' ', "")).collect();
                    let _ = writeln!(out, "      deciles 1-9, A minus B: {}", d.join(" "));
                }
            }
            if t.unexpected_answers > 0 {
                let _ = writeln!(out, "    {} answers to wrong hashes were not \"no match\"", t.unexpected_answers);
            }
        }
        let _ = writeln!(out, "\n  controls (measured in the same job):");
        for n in &self.control_notes {
            let _ = writeln!(out, "    - {n}");
        }
        if let Some(f) = self.floor_ns {
            let _ = writeln!(out, "  measured detection floor: {} (smallest injected delay flagged)", fmt_ns(f));
        }
        if let Some(d) = self.detectable_ns {
            let _ = writeln!(out, "  smallest effect this run could detect in the implementation: {}", fmt_ns(d));
        }
        if let Some(s) = &self.sampling {
            let _ = writeln!(
                out,
                "  sampling: {} measurements of each target (at least {}, at most {}; {} rounds beyond the least): \
                 stopped because {}",
                s.measured, s.minimum, s.maximum, s.extra_rounds, s.why
            );
        }
        for n in &self.not_measured {
            let _ = writeln!(out, "  {n}");
        }
        for p in &self.problems {
            let _ = writeln!(out, "  problem: {p}");
        }
        let word = match self.verdict {
            TimingVerdict::Pass => "PASS",
            TimingVerdict::Fail => "FAIL",
            TimingVerdict::Inconclusive => "INCONCLUSIVE",
        };
        let _ = writeln!(out, "\nVerdict: {word}: {}", self.reason);
        out
    }
}

/// Why the measuring stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The controls behaved and the implementation was clearly flagged or clearly below the threshold.
    Clear,
    /// `max_samples` were measured without a clear verdict.
    MaxSamples,
    /// `max_seconds` passed without a clear verdict.
    TimeBudget,
}

impl Stop {
    /// For reports.
    pub fn describe(self) -> &'static str {
        match self {
            Stop::Clear => "the controls and the verdict were clear",
            Stop::MaxSamples => "the most samples allowed were measured before the verdict was clear",
            Stop::TimeBudget => "the time allowed ended before the verdict was clear",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An assessment with enough samples, flagged or not, with statistic `stat`.
    fn assessed(stat: f64, leak: bool) -> Assessment {
        Assessment::fixture(stat, leak)
    }

    fn target(role: Role, delay_ns: Option<f64>, leaks: [bool; 3]) -> Target {
        Target {
            name: format!("{role:?} {delay_ns:?}"),
            role,
            delay_ns,
            pairs: leaks.iter().map(|&l| assessed(if l { 20.0 } else { 1.0 }, l)).collect(),
            pair_ids: vec![0, 1, 2],
            unexpected_answers: 0,
        }
    }

    #[test]
    fn a_jwt_only_leak_fails_on_j1_and_the_jwt_pair_gates_the_controls() {
        let controls = |jwt_seen: bool| {
            vec![
                target(Role::ConstantControl, None, [false; 3]),
                target(Role::EarlyExitControl, Some(1000.0), [false, false, false]),
                target(Role::EarlyExitControl, Some(4000.0), [true, false, jwt_seen]),
            ]
        };
        let mut targets = vec![target(Role::Iut, None, [false, false, true])];
        targets.extend(controls(true));
        let (verdict, reason, ok, _, floor) = decide(&targets, 10.0, &[]);
        assert_eq!((verdict, ok, floor), (TimingVerdict::Fail, true, Some(4000.0)), "{reason}");
        assert!(reason.contains("token signature") && reason.contains("J1") && !reason.contains("V9"), "{reason}");
        // An early-exit control the JWT pair could not see: nothing about that pair can be concluded.
        let mut targets = vec![target(Role::Iut, None, [false; 3])];
        targets.extend(controls(false));
        let (verdict, _, ok, notes, floor) = decide(&targets, 10.0, &[]);
        assert_eq!((verdict, ok, floor), (TimingVerdict::Inconclusive, false, None));
        assert!(notes.iter().any(|n| n.contains("on pair 3: more samples")), "{notes:?}");
        // Two pairs (no JWT): pair 1 alone gates, as before the JWT pair existed.
        let two = |t: Target| Target { pairs: t.pairs[..2].to_vec(), pair_ids: vec![0, 1], ..t };
        let targets: Vec<Target> =
            std::iter::once(target(Role::Iut, None, [false; 3])).chain(controls(false)).map(two).collect();
        let (verdict, reason, ok, _, floor) = decide(&targets, 10.0, &[]);
        assert_eq!((verdict, ok, floor), (TimingVerdict::Pass, true, Some(4000.0)), "{reason}");
        assert!(reason.contains("both pairs"), "{reason}");
    }
}
