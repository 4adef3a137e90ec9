//! Rule identifiers from `SPEC.md`, so every vector, decision and report can name the rule it is about.

use std::fmt;
use std::str::FromStr;

macro_rules! rules {
    ($($id:ident => $summary:literal,)*) => {
        /// A rule of the rule book (`SPEC.md`); reports and vectors name rules by these ids.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule { $(#[doc = $summary] $id,)* }

        impl Rule {
            /// Every rule, in rule-book order, so coverage checks can iterate them.
            pub const ALL: &'static [Rule] = &[$(Rule::$id,)*];

            /// The id as written in the rule book, e.g. `"S2"`.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$id => stringify!($id),)* }
            }

            /// A one-line summary of the rule, for hints in reports.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$id => $summary,)* }
            }
        }
    };
}

rules! {
    S1 => "user_hash is lowercase hex of HMAC-SHA256(secret, identifier), 64 characters",
    S2 => "the identifier is user_id when present, else email; neither is the error no_identifier",
    S3 => "identifier bytes are the UTF-8 of the string exactly as sent: no trim, case fold, normalisation or escaping",
    S4 => "an integer user_id is hashed as its canonical decimal string",
    S5 => "the secret is the platform's raw secret bytes (never hex-decoded); an empty secret is refused",
    P1 => "the payload is one strict RFC 8259 JSON object in UTF-8 (no BOM, comments, trailing commas, NaN, lone surrogates)",
    P2 => "a key repeated at any depth makes the payload malformed",
    P3 => "user_id/email are present when a non-empty string (user_id also a safe integer); null, missing and \"\" are absent; other types are malformed",
    P4 => "the hash travels only under user_hash, as a string",
    P5 => "app_id is a required non-empty string; other keys do not affect the decision",
    P6 => "limits: 64 KiB payload, nesting depth 32, identifier 1,024 bytes",
    V1 => "the workspace is chosen by app_id; an unknown app is rejected unknown_app",
    V2 => "the secret is the one configured for the request's platform and workspace",
    V3 => "no identifier and no hash: accepted as visitor whatever the enforcement",
    V4 => "a hash without identifier: rejected missing_identifier when enforced, else visitor",
    V5 => "an identifier without hash: rejected missing_user_hash when enforced, else unverified user",
    V6 => "the hash is 64 hex characters in either case, compared as 32 bytes in constant time",
    V7 => "the identifier checked is the one S2 selects",
    V8 => "enforcement is per platform and per workspace",
    V9 => "verification time does not depend on how many bytes of the hash are right",
    J1 => "JWT mode: HS256 compact JWS only, signature checked in constant time",
    J2 => "JWT mode: user_id required, email optional, exp and nbf honoured with a leeway of the implementation's choice in 0-60 s",
    J3 => "JWT mode: clear-text identity that differs from the signed claims is rejected",
    J4 => "JWT mode: with JWT enforcement on, a user payload without a valid token is rejected",
    J5 => "JWT mode: a signer is graded by what its token means (HS256, valid signature, the asked-for claims), not its bytes",
    D1 => "diagnosis names the most likely mistake behind a failing hash and how to fix it",
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Returned when a string names no rule of the rule book.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule id {0:?} (rule ids look like S1, P6, V9)")]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL.iter().copied().find(|r| r.id().eq_ignore_ascii_case(s)).ok_or_else(|| UnknownRule(s.to_string()))
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for r in Rule::ALL {
            assert_eq!(r.id().parse::<Rule>().unwrap(), *r);
        }
        assert_eq!("v9".parse::<Rule>().unwrap(), Rule::V9);
        assert!("X1".parse::<Rule>().is_err());
    }
}
