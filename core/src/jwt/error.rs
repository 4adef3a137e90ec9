//! Why a token is refused (J1–J3): one variant per mistake, each with its reject class, its rule and a
//! sentence for people that never holds a secret or the expected signature.

use crate::decision::RejectReason;
use crate::identifier::Source;
use crate::rules::Rule;
use std::fmt;

/// The three dot-separated parts of a compact JWS (RFC 7515 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segment {
    /// The protected header (`alg`, `typ`, ...).
    Header,
    /// The claims (the JWS payload).
    Claims,
    /// The signature.
    Signature,
}

impl Segment {
    /// The segment's name in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Header => "header",
            Segment::Claims => "claims",
            Segment::Signature => "signature",
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused token: what is wrong, precisely enough for the diagnosis to name the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Not three dot-separated segments (J1).
    SegmentCount {
        /// How many segments the token has.
        found: usize,
    },
    /// A segment is empty (J1).
    EmptySegment(Segment),
    /// A segment is not canonical unpadded base64url (J2): padding, `+`/`/`, other characters, trailing bits.
    Base64 {
        /// Which segment.
        segment: Segment,
        /// What the decoder said.
        detail: String,
    },
    /// The header or claims are not strict JSON (J2): syntax, duplicate keys, limits.
    Json {
        /// Which segment.
        segment: Segment,
        /// What the strict parser said.
        detail: String,
    },
    /// The header or claims are JSON but not an object (J2).
    NotObject(Segment),
    /// The header has no `alg` (J1).
    AlgMissing,
    /// `alg` is `"none"` in any letter case: an unsigned token (J1).
    AlgNone,
    /// `alg` is another value than exactly `"HS256"` (J1); `None` when it is not a string.
    AlgUnsupported {
        /// The `alg` sent, when it is a string (shortened for display).
        alg: Option<String>,
    },
    /// `typ` is present but not the string `"JWT"` in some letter case (J1).
    Typ,
    /// `kid` is present but not a string (J1).
    Kid,
    /// `crit` is present: the token requires extensions nobody here understands (J1, RFC 7515 §4.1.11).
    Crit,
    /// The platform has no secret, so no signature can be checked (J1).
    NoSecret,
    /// The signature does not decode to 32 bytes (J1).
    SignatureLength {
        /// How many bytes it decodes to.
        len: usize,
    },
    /// The signature is not HMAC-SHA256 of the signing input under the platform's secret (J1).
    SignatureMismatch,
    /// A claim is missing or has the wrong type or size (J2).
    Claim {
        /// `user_id`, `email`, `exp` or `nbf`.
        claim: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The token has `exp` or `nbf`, but the verifier was given no current time: fail closed (J2).
    NoCurrentTime,
    /// `exp` is not later than now minus the leeway (J2).
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The current time the verifier was given.
        now: i64,
        /// The leeway applied, in seconds.
        leeway: i64,
    },
    /// `nbf` is later than now plus the leeway: the token is not valid yet (J2, RFC 7519 §4.1.5).
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The current time the verifier was given.
        now: i64,
        /// The leeway applied, in seconds.
        leeway: i64,
    },
    /// A clear-text identifier differs from the signed claim (J3).
    IdentityMismatch {
        /// Which field differs.
        field: Source,
    },
}

impl JwtError {
    /// The reject class this mistake is graded as.
    pub fn reason(&self) -> RejectReason {
        match self {
            JwtError::Expired { .. } => RejectReason::ExpiredJwt,
            JwtError::IdentityMismatch { .. } => RejectReason::IdentityMismatch,
            _ => RejectReason::InvalidJwt,
        }
    }

    /// The rule it breaks: J1 for the form, the algorithm and the signature, J2 for encodings and claims,
    /// J3 for a clear-text identity that differs from the claims.
    pub fn rule(&self) -> Rule {
        match self {
            JwtError::Base64 { .. }
            | JwtError::Json { .. }
            | JwtError::NotObject(_)
            | JwtError::Claim { .. }
            | JwtError::NoCurrentTime
            | JwtError::Expired { .. }
            | JwtError::NotYetValid { .. } => Rule::J2,
            JwtError::IdentityMismatch { .. } => Rule::J3,
            _ => Rule::J1,
        }
    }

    /// Seconds past the leeway's end for an expired token (`now - leeway - exp`, at least 0).
    pub fn expired_by(&self) -> Option<i128> {
        match self {
            JwtError::Expired { exp, now, leeway } => Some(i128::from(*now) - i128::from(*leeway) - i128::from(*exp)),
            _ => None,
        }
    }

    /// Seconds a token's `nbf` lies beyond the leeway (`nbf - now - leeway`, at least 1).
    pub fn early_by(&self) -> Option<i128> {
        match self {
            JwtError::NotYetValid { nbf, now, leeway } => {
                Some(i128::from(*nbf) - i128::from(*now) - i128::from(*leeway))
            }
            _ => None,
        }
    }
}

/// At most `max` characters of attacker-chosen text, for messages.
fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        format!("{s:?}")
    } else {
        format!("{:?}…", s.chars().take(max).collect::<String>())
    }
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::SegmentCount { found } => {
                write!(f, "a compact JWS has 3 dot-separated segments, this token has {found}")
            }
            JwtError::EmptySegment(s) => write!(f, "the {s} segment is empty"),
            JwtError::Base64 { segment, detail } => {
                write!(f, "the {segment} segment is not unpadded base64url ({detail})")
            }
            JwtError::Json { segment, detail } => write!(f, "the {segment} segment is not strict JSON ({detail})"),
            JwtError::NotObject(s) => write!(f, "the {s} segment is JSON but not an object"),
            JwtError::AlgMissing => f.write_str("the header has no alg; only HS256 is accepted"),
            JwtError::AlgNone => f.write_str("alg is none (an unsigned token); only HS256 is accepted"),
            JwtError::AlgUnsupported { alg: Some(a) } => {
                write!(f, "alg is {}; only \"HS256\" (exactly, case-sensitive) is accepted", short(a, 40))
            }
            JwtError::AlgUnsupported { alg: None } => f.write_str("alg is not a string; only \"HS256\" is accepted"),
            JwtError::Typ => f.write_str("typ is present but not \"JWT\""),
            JwtError::Kid => f.write_str("kid is present but not a string"),
            JwtError::Crit => f.write_str("the header has crit: no extension is understood, so the token is refused"),
            JwtError::NoSecret => f.write_str("no secret is configured for this platform, so no token can verify"),
            JwtError::SignatureLength { len } => {
                write!(f, "the signature decodes to {len} bytes; HMAC-SHA256 gives 32")
            }
            JwtError::SignatureMismatch => {
                f.write_str("the signature is not HMAC-SHA256 of the token under this platform's secret")
            }
            JwtError::Claim { claim, detail } => write!(f, "claim {claim}: {detail}"),
            JwtError::NoCurrentTime => f.write_str(
                "the token has exp or nbf but the verifier was given no current time (refused: fail closed)",
            ),
            JwtError::Expired { exp, now, leeway } => {
                write!(f, "the token expired: exp {exp} is not later than now {now} minus the {leeway} s leeway")
            }
            JwtError::NotYetValid { nbf, now, leeway } => {
                write!(f, "the token is not valid yet: nbf {nbf} is later than now {now} plus the {leeway} s leeway")
            }
            JwtError::IdentityMismatch { field } => {
                write!(f, "the clear-text {field} differs from the signed claims (the claims are the identity)")
            }
        }
    }
}

impl std::error::Error for JwtError {}
