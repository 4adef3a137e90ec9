//! What a disagreement with the reference is, and how far shrinking one may go.
//!
//! A [`Disagreement`] is the grader's view of one wrong answer (expected, actual, hint) plus its [`Kind`]:
//! the class of the reference's decision and the class of the implementation's answer, without the values
//! that change while an input shrinks (`reject malformed_payload` / `error response`, `accept user verified
//! (user_id)` / `accept user unverified (user_id)`). `props` and `fuzz` shrink only through candidates of
//! the kind they started from, so a refusal where the reference accepts never shrinks into a case where
//! the reference refuses too (a vector that would mislead whoever pastes it).
//!
//! [`ShrinkLimits`] bound a shrink in checks and in time, and [`ShrinkReport`] says how it ended: finished,
//! out of checks, out of time, or cut at once because the implementation stopped answering (a timeout, a
//! crash or a failed restart: waiting a full timeout per step would take hours); a failure that is itself
//! such a stall is not shrunk at all.

use ivconform_harness::suite::plan::Expect;
use ivconform_harness::transport::CallError;
use ivconform_protocol::Response;
use ivconform_vectors::{As, JwtSignExpected, SignExpected, VerifyExpected};
use std::fmt;
use std::time::{Duration, Instant};

/// The kind of a disagreement: what the reference decides and what the implementation answered, as
/// classes. Two failures of one kind are the same bug seen on two inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    /// The reference's decision class, e.g. `accept visitor`, `reject invalid_user_hash`, `user_hash of email`.
    pub expected: String,
    /// The answer's class, e.g. `reject malformed_payload`, `error response`, `no answer: timeout`.
    pub actual: String,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, answered {}", self.expected, self.actual)
    }
}

/// One wrong answer (or none), graded against the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// What the reference decides (the grader's text).
    pub expected: String,
    /// What the implementation answered (the grader's text).
    pub actual: String,
    /// The grader's hint (the bug class).
    pub hint: String,
    /// The disagreement's kind.
    pub kind: Kind,
    /// Set when there was no answer worth waiting for again: a timeout, a crash or a failed restart. A shrink
    /// ends at once on such an answer.
    pub stalled: Option<String>,
}

impl Disagreement {
    /// A graded wrong answer.
    pub fn answered(expect: &Expect, response: &Response, expected: String, actual: String, hint: String) -> Self {
        let kind = Kind { expected: expected_class(expect), actual: answer_class(expect, response) };
        Disagreement { expected, actual, hint, kind, stalled: None }
    }

    /// No usable answer: `error` says why (a protocol violation is an answer, the others are stalls).
    pub fn no_answer(expect: &Expect, expected: String, error: &CallError, hint: String) -> Self {
        let (class, stalled) = match error {
            CallError::Timeout(_) => ("no answer: timeout", true),
            CallError::Crash(_) => ("no answer: crash", true),
            CallError::Unreachable(_) => ("no answer: could not restart", true),
            CallError::Protocol(_) => ("no answer: protocol violation", false),
        };
        let what = match error {
            CallError::Unreachable(_) => format!("could not restart the implementation: {error}"),
            // "no answer within 5.0 s" already says it.
            CallError::Timeout(_) => error.to_string(),
            _ => format!("no answer: {error}"),
        };
        Disagreement {
            expected,
            stalled: stalled.then(|| match error {
                CallError::Unreachable(_) => what.clone(),
                _ => error.to_string(),
            }),
            actual: what,
            hint,
            kind: Kind { expected: expected_class(expect), actual: class.into() },
        }
    }
}

/// The class of the reference's expectation: the decision without the values (hashes, identifier text).
pub fn expected_class(expect: &Expect) -> String {
    match expect {
        Expect::Verify(v) => verify_class(v),
        Expect::Sign(SignExpected::Hash { identifier_source, .. }) => {
            format!("user_hash of {}", identifier_source.as_str())
        }
        Expect::Sign(SignExpected::Error { error }) => format!("error {error}"),
        Expect::SignJwt(JwtSignExpected::Token { .. }) => "token".into(),
        Expect::SignJwt(JwtSignExpected::Error { error }) => format!("error {error}"),
        Expect::Tag { .. } | Expect::Mac { .. } => "tag".into(),
    }
}

fn verify_class(v: &VerifyExpected) -> String {
    if let VerifyExpected::Accept { as_: As::Visitor, .. } = v {
        "accept visitor".into()
    } else if let VerifyExpected::Accept { verified, identifier, .. } = v {
        let source = identifier.as_ref().map_or("?", |i| i.source.as_str());
        format!("accept user {} ({source})", if verified.unwrap_or(false) { "verified" } else { "unverified" })
    } else if let VerifyExpected::Reject { reason } = v {
        format!("reject {reason}")
    } else {
        // Any other form (J2's leeway window): the grader's words before the values.
        words_before_values(&ivconform_harness::suite::grade::verify_text(v))
    }
}

/// The first words of a text, up to a quote, paren or bracket (where values start).
fn words_before_values(text: &str) -> String {
    let cut = text.find(['(', '"', '[']).unwrap_or(text.len());
    text[..cut].split_whitespace().take(4).collect::<Vec<_>>().join(" ")
}

/// The class of an answer, relative to what was expected: a sign answer whose hash has the right source
/// but the wrong value is `user_hash of user_id, in uppercase`, `..., not 64 characters` or `..., another
/// value`; a verified user with the right source but other identifier bytes says so.
pub fn answer_class(expect: &Expect, response: &Response) -> String {
    match response {
        Response::Error { .. } => "error response".into(),
        Response::Verify { result, as_, verified, identifier_source, identifier_hex, reason, .. } => {
            match (result.as_str(), as_.as_deref()) {
                ("accept", Some("visitor")) => "accept visitor".into(),
                ("accept", Some("user")) => {
                    let source = identifier_source.as_deref().unwrap_or("?");
                    let verified = match verified {
                        Some(true) => "verified",
                        Some(false) => "unverified",
                        None => "verified=?",
                    };
                    let other_bytes = match expect {
                        Expect::Verify(VerifyExpected::Accept { identifier: Some(id), .. }) => {
                            id.source.as_str() == source
                                && !identifier_hex.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(&id.message_hex))
                        }
                        _ => false,
                    };
                    let bytes = if other_bytes { ", other identifier bytes" } else { "" };
                    format!("accept user {verified} ({source}{bytes})")
                }
                ("accept", _) => "accept as ?".into(),
                ("reject", _) => format!("reject {}", reason.as_deref().unwrap_or("(no reason)")),
                _ => "result ?".into(),
            }
        }
        Response::Sign { user_hash, identifier_source, error, .. } => match (user_hash, error) {
            (Some(got), None) => {
                let source = identifier_source.as_deref().unwrap_or("?");
                let how = match expect {
                    Expect::Sign(SignExpected::Hash { user_hash: want, .. }) if got == want => "",
                    Expect::Sign(SignExpected::Hash { user_hash: want, .. }) if got.eq_ignore_ascii_case(want) => {
                        ", in uppercase"
                    }
                    _ if got.len() != 64 => ", not 64 characters",
                    Expect::Sign(SignExpected::Hash { .. }) => ", another value",
                    _ => "",
                };
                format!("user_hash of {source}{how}")
            }
            (None, Some(e)) => format!("error {e}"),
            (Some(_), Some(_)) => "both user_hash and error".into(),
            (None, None) => "neither user_hash nor error".into(),
        },
        Response::SignJwt { token, error, .. } => match (token, error) {
            (Some(_), None) => "token".into(),
            (None, Some(e)) => format!("error {e}"),
            _ => "both or neither of token and error".into(),
        },
        Response::Hmac { .. } => "tag".into(),
        Response::Hello { .. } | Response::Bye { .. } => "the wrong message type".into(),
    }
}

/// How far one shrink may go: at most `checks` candidates, and nothing started after `deadline`.
#[derive(Debug, Clone)]
pub struct ShrinkLimits {
    /// Most candidates tried.
    pub checks: u32,
    /// No candidate is tried after this instant.
    pub deadline: Instant,
    /// What set the deadline, for the report (`--shrink-time 30 s`, `--duration 60 s`).
    pub deadline_by: String,
}

impl ShrinkLimits {
    /// Limits for a shrink starting now: `checks` candidates, `shrink_time` from now, and never past
    /// `run_deadline` (the whole command's budget), whichever is first.
    pub fn starting_now(checks: u32, shrink_time: Duration, run_deadline: Instant, run_budget: &str) -> Self {
        let own = Instant::now() + shrink_time;
        if own <= run_deadline {
            ShrinkLimits { checks, deadline: own, deadline_by: format!("--shrink-time {}", seconds(shrink_time)) }
        } else {
            ShrinkLimits { checks, deadline: run_deadline, deadline_by: run_budget.to_string() }
        }
    }
}

/// How a shrink ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShrinkEnd {
    /// No smaller candidate failed the same way.
    Finished,
    /// The most checks allowed were spent.
    OutOfChecks(u32),
    /// The time allowed was spent (what set it).
    OutOfTime(String),
    /// The implementation stopped answering during the shrink: what it did.
    Stalled(String),
    /// Not tried: the failure itself was a stall (what it did). A smaller input failing the same way would
    /// be a stall too, which ends a shrink, so none could ever be kept; trying would cost a timeout.
    NotTried(String),
}

/// What a shrink did, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShrinkReport {
    /// How long it took.
    pub took: Duration,
    /// Candidates sent to the implementation.
    pub checks: u32,
    /// Candidates that failed in another way (another [`Kind`]) and so were not taken.
    pub other_kinds: u32,
    /// How it ended.
    pub end: ShrinkEnd,
}

impl ShrinkReport {
    /// Whether the shrink stopped before it was done.
    pub fn cut(&self) -> bool {
        self.end != ShrinkEnd::Finished
    }
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

impl fmt::Display for ShrinkReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spent = format!("{:.1} s and {} check{}", self.took.as_secs_f64(), self.checks, plural(self.checks));
        match &self.end {
            ShrinkEnd::Finished => write!(f, "finished in {spent} (no smaller input fails the same way)")?,
            ShrinkEnd::OutOfChecks(n) => {
                write!(f, "cut short after {spent}: the limit of {n} checks (--max-shrink-iters) was reached")?
            }
            ShrinkEnd::OutOfTime(by) => write!(f, "cut short after {spent}: the time allowed by {by} was spent")?,
            ShrinkEnd::NotTried(what) => write!(
                f,
                "not tried: the implementation stopped answering on this input ({what}), and a stall ends a \
                 shrink, so the input is reported as found"
            )?,
            ShrinkEnd::Stalled(what) => write!(
                f,
                "cut short after {spent}: the implementation stopped answering while shrinking ({what}); \
                 the input it stalled on is not kept"
            )?,
        }
        if self.other_kinds > 0 {
            write!(
                f,
                "; {} smaller input{} that failed another way {} not taken",
                self.other_kinds,
                plural(self.other_kinds),
                if self.other_kinds == 1 { "was" } else { "were" }
            )?;
        }
        Ok(())
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivconform_vectors::ExpectedIdentifier;

    fn verify_response(result: &str, as_: Option<&str>, verified: Option<bool>, reason: Option<&str>) -> Response {
        Response::Verify {
            seq: 1,
            result: result.into(),
            as_: as_.map(Into::into),
            verified,
            identifier_source: as_.filter(|a| *a == "user").map(|_| "user_id".to_string()),
            identifier_hex: as_.filter(|a| *a == "user").map(|_| "35".to_string()),
            reason: reason.map(Into::into),
        }
    }

    fn user(verified: bool) -> Expect {
        Expect::Verify(VerifyExpected::Accept {
            as_: As::User,
            verified: Some(verified),
            identifier: Some(ExpectedIdentifier {
                source: ivconform_core::Source::UserId,
                value: "5".into(),
                message_hex: "35".into(),
            }),
        })
    }

    #[test]
    fn classes_keep_decisions_and_drop_values() {
        let reject = Expect::Verify(VerifyExpected::Reject { reason: ivconform_core::RejectReason::MalformedPayload });
        assert_eq!(expected_class(&reject), "reject malformed_payload");
        assert_eq!(expected_class(&user(true)), "accept user verified (user_id)");
        assert_eq!(expected_class(&user(false)), "accept user unverified (user_id)");
        // The same decision on other values is the same class; another decision is another class.
        let verified = verify_response("accept", Some("user"), Some(true), None);
        assert_eq!(answer_class(&reject, &verified), "accept user verified (user_id)");
        assert_eq!(
            answer_class(&reject, &verify_response("reject", None, None, Some("invalid_user_hash"))),
            "reject invalid_user_hash"
        );
        let error = Response::Error { seq: 1, message: "it says \"no\" (loudly)".into() };
        assert_eq!(answer_class(&user(true), &error), "error response");
        // A verified user with other identifier bytes is not the same answer as one with the right bytes.
        let mut other_bytes = verify_response("accept", Some("user"), Some(true), None);
        if let Response::Verify { identifier_hex, .. } = &mut other_bytes {
            *identifier_hex = Some("36".into());
        }
        assert_eq!(answer_class(&user(true), &other_bytes), "accept user verified (user_id, other identifier bytes)");
    }

    #[test]
    fn sign_classes_say_how_the_hash_is_wrong() {
        let want = "ab".repeat(32);
        let expect = Expect::Sign(SignExpected::Hash {
            identifier_source: ivconform_core::Source::Email,
            identifier: "a@b".into(),
            message_hex: "614062".into(),
            user_hash: want.clone(),
        });
        let answer = |h: &str, source: &str| Response::Sign {
            seq: 1,
            user_hash: Some(h.into()),
            identifier_source: Some(source.into()),
            identifier_hex: None,
            error: None,
        };
        assert_eq!(expected_class(&expect), "user_hash of email");
        assert_eq!(answer_class(&expect, &answer(&want.to_uppercase(), "email")), "user_hash of email, in uppercase");
        assert_eq!(answer_class(&expect, &answer(&"cd".repeat(32), "email")), "user_hash of email, another value");
        assert_eq!(answer_class(&expect, &answer("abc", "email")), "user_hash of email, not 64 characters");
        assert_eq!(answer_class(&expect, &answer(&"cd".repeat(32), "user_id")), "user_hash of user_id, another value");
        let refused = Expect::Sign(SignExpected::Error { error: "no_identifier".into() });
        assert_eq!(expected_class(&refused), "error no_identifier");
    }

    #[test]
    fn timeouts_crashes_and_restarts_stall_protocol_errors_do_not() {
        let expect = user(true);
        let d = |e: CallError| Disagreement::no_answer(&expect, "x".into(), &e, "h".into());
        let timeout = d(CallError::Timeout(Duration::from_secs(2)));
        assert_eq!(timeout.kind.actual, "no answer: timeout");
        assert!(timeout.stalled.as_deref().is_some_and(|s| s.contains("2.0 s")), "{timeout:?}");
        assert_eq!(timeout.actual, "no answer within 2.0 s");
        assert!(d(CallError::Crash("killed by signal 6".into())).stalled.is_some());
        assert!(d(CallError::Unreachable("gone".into())).stalled.is_some());
        let garbage = d(CallError::Protocol("not JSON".into()));
        assert_eq!((garbage.kind.actual.as_str(), garbage.stalled), ("no answer: protocol violation", None));
    }

    #[test]
    fn limits_take_the_nearer_deadline_and_reports_say_why_they_ended() {
        let far = Instant::now() + Duration::from_secs(3600);
        let own = ShrinkLimits::starting_now(10, Duration::from_secs(5), far, "--duration 3600 s");
        assert_eq!(own.deadline_by, "--shrink-time 5 s");
        let near = Instant::now() + Duration::from_secs(1);
        let run = ShrinkLimits::starting_now(10, Duration::from_secs(5), near, "--duration 1 s");
        assert_eq!((run.deadline, run.deadline_by.as_str()), (near, "--duration 1 s"));
        let report = |end| ShrinkReport { took: Duration::from_millis(1500), checks: 1, other_kinds: 2, end };
        let done = report(ShrinkEnd::Finished);
        assert!(!done.cut());
        assert_eq!(
            done.to_string(),
            "finished in 1.5 s and 1 check (no smaller input fails the same way); 2 smaller inputs that failed \
             another way were not taken"
        );
        let stalled = report(ShrinkEnd::Stalled("no answer within 2.0 s".into()));
        assert!(stalled.cut());
        assert!(stalled.to_string().starts_with("cut short after 1.5 s and 1 check: the implementation stopped"));
        assert!(report(ShrinkEnd::OutOfTime(run.deadline_by)).to_string().contains("allowed by --duration 1 s"));
        let not_tried = report(ShrinkEnd::NotTried("crashed: killed by signal 6".into()));
        assert!(not_tried.cut());
        assert!(not_tried.to_string().starts_with("not tried: the implementation stopped answering on this input"));
    }
}
