//! The verifier's answer (V1–V8, J1–J4): accept as a visitor or a user, or reject with one of the stable
//! classes, with the rule that decided it. The types only; [`mod@crate::verify`] computes them, and
//! [`crate::jwt::JwtError::reason`] maps a refused token to its class.

use crate::identifier::Selected;
use crate::rules::Rule;
use std::fmt;

/// Who the messenger boots as when it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No usable identity (V3, V4 unenforced): anonymous visitor or lead.
    Visitor,
    /// A logged-in user, by the identifier S2 selected.
    User {
        /// Whether the hash was checked and matched (V6).
        verified: bool,
        /// The identifier the decision is about (V7).
        identifier: Selected,
    },
}

/// The stable reject classes every implementation must report (graded by class, never by check order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// P1–P6 broken.
    MalformedPayload,
    /// V1: app_id not configured.
    UnknownApp,
    /// V5 enforced: identifier without hash.
    MissingUserHash,
    /// V4 enforced: hash without identifier.
    MissingIdentifier,
    /// V6 enforced: hash in a wrong form or not matching.
    InvalidUserHash,
    /// J1/J2: a token that is malformed, not HS256, badly signed or with bad claims.
    InvalidJwt,
    /// J2: a token whose `exp` is past (beyond the leeway).
    ExpiredJwt,
    /// J3: clear-text `user_id` or `email` that differs from the token's claims.
    IdentityMismatch,
}

impl RejectReason {
    /// Every class, for exhaustive checks.
    pub const ALL: [RejectReason; 8] = [
        RejectReason::MalformedPayload,
        RejectReason::UnknownApp,
        RejectReason::MissingUserHash,
        RejectReason::MissingIdentifier,
        RejectReason::InvalidUserHash,
        RejectReason::InvalidJwt,
        RejectReason::ExpiredJwt,
        RejectReason::IdentityMismatch,
    ];

    /// The classes HMAC mode (V1–V6, P1–P6) can give; the others need a token or JWT enforcement.
    pub const HMAC: [RejectReason; 5] = [
        RejectReason::MalformedPayload,
        RejectReason::UnknownApp,
        RejectReason::MissingUserHash,
        RejectReason::MissingIdentifier,
        RejectReason::InvalidUserHash,
    ];

    /// The class name used in vectors, protocol messages and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::MalformedPayload => "malformed_payload",
            RejectReason::UnknownApp => "unknown_app",
            RejectReason::MissingUserHash => "missing_user_hash",
            RejectReason::MissingIdentifier => "missing_identifier",
            RejectReason::InvalidUserHash => "invalid_user_hash",
            RejectReason::InvalidJwt => "invalid_jwt",
            RejectReason::ExpiredJwt => "expired_jwt",
            RejectReason::IdentityMismatch => "identity_mismatch",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verifier's answer, with the rule that decided it and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Accept as someone, or reject with a class.
    pub outcome: Outcome,
    /// The rule that decided it.
    pub rule: Rule,
    /// Why, in words (never contains a secret or the expected hash).
    pub detail: String,
}

/// Accept or reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The messenger boots.
    Accept(Identity),
    /// The messenger refuses (a 403 in the browser console).
    Reject(RejectReason),
}
