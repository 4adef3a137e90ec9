//! Verifying in HMAC mode (V1–V9): the messenger backend's decision on one boot request.

use crate::config::Config;
use crate::hex::decode_tag;
use crate::identifier::Selected;
use crate::mac::{tags_equal, Keyed};
use crate::payload::BootPayload;
use crate::platform::Platform;
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
}

impl RejectReason {
    /// Every class, for exhaustive checks.
    pub const ALL: [RejectReason; 5] = [
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

fn decide(outcome: Outcome, rule: Rule, detail: impl Into<String>) -> Decision {
    Decision { outcome, rule, detail: detail.into() }
}

/// `verify(config, platform, payload_bytes)`: the whole verifier, from raw bytes to decision.
pub fn verify(config: &Config, platform: Platform, payload: &[u8]) -> Decision {
    match BootPayload::parse(payload) {
        Ok(p) => verify_parsed(config, platform, &p),
        Err(e) => decide(Outcome::Reject(RejectReason::MalformedPayload), e.rule, e.reason),
    }
}

/// The decision for an already parsed payload (V1–V8).
pub fn verify_parsed(config: &Config, platform: Platform, payload: &BootPayload) -> Decision {
    let Some(app) = config.apps.get(&payload.app_id) else {
        return decide(
            Outcome::Reject(RejectReason::UnknownApp),
            Rule::V1,
            format!("app_id {:?} is not configured", payload.app_id),
        );
    };
    let settings = app.platform(platform);
    let enforced = settings.enforced;
    let identifier = payload.identifiers.select();
    match (identifier, &payload.user_hash) {
        (None, None) => decide(Outcome::Accept(Identity::Visitor), Rule::V3, "no identifier and no hash: visitor"),
        (None, Some(_)) if enforced => decide(
            Outcome::Reject(RejectReason::MissingIdentifier),
            Rule::V4,
            format!("user_hash sent without user_id or email while {platform} enforces identity verification"),
        ),
        (None, Some(_)) => {
            decide(Outcome::Accept(Identity::Visitor), Rule::V4, "user_hash without identifier, not enforced: visitor")
        }
        (Some(_), None) if enforced => decide(
            Outcome::Reject(RejectReason::MissingUserHash),
            Rule::V5,
            format!("identifier sent without user_hash while {platform} enforces identity verification"),
        ),
        (Some(identifier), None) => decide(
            Outcome::Accept(Identity::User { verified: false, identifier }),
            Rule::V5,
            "identifier without user_hash, not enforced: unverified user",
        ),
        (Some(identifier), Some(hash)) => {
            let supplied = decode_tag(hash);
            let verified = match (&settings.secret, supplied) {
                (Some(secret), Some(supplied)) => {
                    tags_equal(&Keyed::new(secret.expose()).mac(identifier.message()), &supplied)
                }
                _ => false,
            };
            let why = if supplied.is_none() {
                "user_hash is not 64 hex characters"
            } else if settings.secret.is_none() {
                "no secret is configured for this platform"
            } else if verified {
                "user_hash matches"
            } else {
                "user_hash does not match the identifier under this platform's secret"
            };
            let rule = if verified || supplied.is_none() { Rule::V6 } else { Rule::V2 };
            if verified {
                decide(Outcome::Accept(Identity::User { verified: true, identifier }), rule, why)
            } else if enforced {
                decide(
                    Outcome::Reject(RejectReason::InvalidUserHash),
                    rule,
                    format!("{why} (identifier: {})", identifier.source),
                )
            } else {
                decide(
                    Outcome::Accept(Identity::User { verified: false, identifier }),
                    rule,
                    format!("{why}; not enforced: unverified user"),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::encode_lower;
    use crate::mac::hmac_sha256;

    fn config(enforced: bool) -> Config {
        let web = if enforced { "enforced = true" } else { "enforced = false" };
        Config::from_toml_str(&format!(
            "[apps.prod]\nweb = {{ secret = \"web-secret\", {web} }}\nios = {{ secret = \"ios-secret\", enforced = true }}\n"
        ))
        .unwrap()
    }

    fn run(enforced: bool, payload: &str) -> Outcome {
        verify(&config(enforced), Platform::Web, payload.as_bytes()).outcome
    }

    #[test]
    fn decisions() {
        let h = encode_lower(&hmac_sha256(b"web-secret", b"u1"));
        let ios = encode_lower(&hmac_sha256(b"ios-secret", b"u1"));
        let ok = run(true, &format!(r#"{{"app_id":"prod","user_id":"u1","user_hash":"{h}"}}"#));
        assert!(matches!(ok, Outcome::Accept(Identity::User { verified: true, .. })));
        let upper = run(true, &format!(r#"{{"app_id":"prod","user_id":"u1","user_hash":"{}"}}"#, h.to_uppercase()));
        assert!(matches!(upper, Outcome::Accept(Identity::User { verified: true, .. })));
        let other_platform = run(true, &format!(r#"{{"app_id":"prod","user_id":"u1","user_hash":"{ios}"}}"#));
        assert_eq!(other_platform, Outcome::Reject(RejectReason::InvalidUserHash));
        let unenforced = run(false, &format!(r#"{{"app_id":"prod","user_id":"u1","user_hash":"{ios}"}}"#));
        assert!(matches!(unenforced, Outcome::Accept(Identity::User { verified: false, .. })));
        assert_eq!(run(true, r#"{"app_id":"prod"}"#), Outcome::Accept(Identity::Visitor));
        assert_eq!(
            run(true, &format!(r#"{{"app_id":"prod","user_hash":"{h}"}}"#)),
            Outcome::Reject(RejectReason::MissingIdentifier)
        );
        assert_eq!(
            run(false, &format!(r#"{{"app_id":"prod","user_hash":"{h}"}}"#)),
            Outcome::Accept(Identity::Visitor)
        );
        assert_eq!(run(true, r#"{"app_id":"prod","email":"a@b.c"}"#), Outcome::Reject(RejectReason::MissingUserHash));
        assert_eq!(run(true, r#"{"app_id":"nope"}"#), Outcome::Reject(RejectReason::UnknownApp));
        assert_eq!(run(true, r#"{"app_id":"prod","app_id":"prod"}"#), Outcome::Reject(RejectReason::MalformedPayload));
        let d = verify(
            &config(true),
            Platform::Web,
            format!(r#"{{"app_id":"prod","user_id":"u2","user_hash":"{h}"}}"#).as_bytes(),
        );
        assert!(!d.detail.contains(&h) && !d.detail.contains("web-secret"));
    }
}
