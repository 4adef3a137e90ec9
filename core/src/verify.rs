//! Verifying (V1–V9, and J1–J4 when a token is sent or JWT mode is enforced): the messenger backend's decision
//! on one boot request. The current time is an argument (`now`), never read here.

use crate::config::Config;
use crate::decision::{Decision, Identity, Outcome, RejectReason};
use crate::hex::decode_tag;
use crate::identifier::Selected;
use crate::mac::{tags_equal, Keyed};
use crate::payload::BootPayload;
use crate::platform::Platform;
use crate::rules::Rule;

fn decide(outcome: Outcome, rule: Rule, detail: impl Into<String>) -> Decision {
    Decision { outcome, rule, detail: detail.into() }
}

/// `verify(config, platform, payload_bytes)`: the whole verifier without a current time (a token with `exp` is
/// then refused: fail closed). Same as [`verify_at`] with `now = None`.
pub fn verify(config: &Config, platform: Platform, payload: &[u8]) -> Decision {
    verify_at(config, platform, payload, None)
}

/// The whole verifier, from raw bytes to decision; `now` (seconds since the epoch) is the current time JWT
/// `exp` and `nbf` are checked against, with the reference's leeway ([`crate::jwt::LEEWAY_SECONDS`]).
pub fn verify_at(config: &Config, platform: Platform, payload: &[u8], now: Option<i64>) -> Decision {
    verify_at_with_leeway(config, platform, payload, now, crate::jwt::LEEWAY_SECONDS)
}

/// [`verify_at`] for a verifier that chose another JWT leeway (J2: 0 to 60 s): the vectors compare the
/// decisions at both ends of that range to find the times J2 does not grade.
pub fn verify_at_with_leeway(
    config: &Config,
    platform: Platform,
    payload: &[u8],
    now: Option<i64>,
    leeway: i64,
) -> Decision {
    match BootPayload::parse(payload) {
        Ok(p) => verify_parsed_with_leeway(config, platform, &p, now, leeway),
        Err(e) => decide(Outcome::Reject(RejectReason::MalformedPayload), e.rule, e.reason),
    }
}

/// The decision for an already parsed payload, without a current time (see [`verify`]).
pub fn verify_parsed(config: &Config, platform: Platform, payload: &BootPayload) -> Decision {
    verify_parsed_at(config, platform, payload, None)
}

/// The decision for an already parsed payload: V1, then J1–J3 when a token is sent (it decides, whatever the
/// enforcement; `user_hash` is then ignored), else J4 when JWT mode is enforced, else V3–V8.
pub fn verify_parsed_at(config: &Config, platform: Platform, payload: &BootPayload, now: Option<i64>) -> Decision {
    verify_parsed_with_leeway(config, platform, payload, now, crate::jwt::LEEWAY_SECONDS)
}

fn verify_parsed_with_leeway(
    config: &Config,
    platform: Platform,
    payload: &BootPayload,
    now: Option<i64>,
    leeway: i64,
) -> Decision {
    let Some(app) = config.apps.get(&payload.app_id) else {
        return decide(
            Outcome::Reject(RejectReason::UnknownApp),
            Rule::V1,
            format!("app_id {:?} is not configured", payload.app_id),
        );
    };
    let settings = app.platform(platform);
    if let Some(token) = &payload.jwt {
        return verify_token_decision(settings.secret.as_ref(), token, &payload.identifiers, now, leeway);
    }
    let identifier = payload.identifiers.select();
    if settings.jwt_enforced && (identifier.is_some() || payload.user_hash.is_some()) {
        return decide(
            Outcome::Reject(RejectReason::MissingUserHash),
            Rule::J4,
            format!("a user payload without {} while {platform} enforces JWT mode", crate::payload::JWT_KEY),
        );
    }
    verify_hmac(&settings, platform, payload, identifier)
}

/// J1–J3: the token decides.
fn verify_token_decision(
    secret: Option<&crate::config::Secret>,
    token: &str,
    clear: &crate::identifier::Identifiers,
    now: Option<i64>,
    leeway: i64,
) -> Decision {
    let checked = crate::jwt::verify_token_with_leeway(secret.map(|s| s.expose()), token, now, leeway)
        .and_then(|claims| claims.check_identity(clear).map(|()| claims));
    match checked {
        Ok(claims) => {
            let identifier = Selected { source: crate::identifier::Source::UserId, text: claims.user_id };
            decide(Outcome::Accept(Identity::User { verified: true, identifier }), Rule::J1, "the token is valid")
        }
        Err(e) => decide(Outcome::Reject(e.reason()), e.rule(), e.to_string()),
    }
}

/// V3–V8 for a payload without a token, JWT mode not enforced.
fn verify_hmac(
    settings: &crate::config::PlatformConfig,
    platform: Platform,
    payload: &BootPayload,
    identifier: Option<Selected>,
) -> Decision {
    let enforced = settings.enforced;
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

    fn jwt_config(jwt_enforced: bool) -> Config {
        Config::from_toml_str(&format!(
            "[apps.prod]\nweb = {{ secret = \"web-secret\", enforced = true, jwt_enforced = {jwt_enforced} }}\nios = {{ secret = \"ios-secret\" }}\n"
        ))
        .unwrap()
    }

    fn token(secret: &[u8], user_id: &str, exp: Option<i64>) -> String {
        let claims = crate::jwt::Claims { user_id: user_id.into(), email: None, exp, nbf: None };
        crate::jwt::sign_jwt(secret, &claims).unwrap()
    }

    #[test]
    fn a_token_decides_whatever_the_enforcement_and_the_hash() {
        let good = token(b"web-secret", "u1", Some(1_000));
        let h = encode_lower(&hmac_sha256(b"web-secret", b"u1"));
        for jwt_enforced in [false, true] {
            let config = jwt_config(jwt_enforced);
            let at = |payload: String, now| verify_at(&config, Platform::Web, payload.as_bytes(), now);
            let d = at(
                format!(r#"{{"app_id":"prod","intercom_user_jwt":"{good}","user_hash":"{}"}}"#, "0".repeat(64)),
                Some(900),
            );
            assert!(
                matches!(&d.outcome, Outcome::Accept(Identity::User { verified: true, identifier }) if identifier.text == "u1"),
                "{d:?}"
            );
            assert_eq!(d.rule, Rule::J1);
            let ios = token(b"ios-secret", "u1", None);
            let d = at(
                format!(r#"{{"app_id":"prod","user_id":"u1","user_hash":"{h}","intercom_user_jwt":"{ios}"}}"#),
                Some(900),
            );
            assert_eq!(
                d.outcome,
                Outcome::Reject(RejectReason::InvalidJwt),
                "a right hash does not rescue a bad token"
            );
            let d = at(format!(r#"{{"app_id":"prod","intercom_user_jwt":"{good}"}}"#), Some(1_060));
            assert_eq!((d.outcome, d.rule), (Outcome::Reject(RejectReason::ExpiredJwt), Rule::J2));
            let d = at(format!(r#"{{"app_id":"prod","intercom_user_jwt":"{good}"}}"#), None);
            assert_eq!(d.outcome, Outcome::Reject(RejectReason::InvalidJwt), "no clock: fail closed");
            let d = at(format!(r#"{{"app_id":"prod","user_id":"u2","intercom_user_jwt":"{good}"}}"#), Some(900));
            assert_eq!((d.outcome, d.rule), (Outcome::Reject(RejectReason::IdentityMismatch), Rule::J3));
        }
    }

    #[test]
    fn nbf_and_the_leeway_window() {
        let config = jwt_config(false);
        let nbf = |nbf: i64| {
            let claims = crate::jwt::Claims { user_id: "u1".into(), email: None, exp: None, nbf: Some(nbf) };
            format!(
                r#"{{"app_id":"prod","intercom_user_jwt":"{}"}}"#,
                crate::jwt::sign_jwt(b"web-secret", &claims).unwrap()
            )
        };
        let at =
            |p: &str, now, leeway| verify_at_with_leeway(&config, Platform::Web, p.as_bytes(), now, leeway).outcome;
        let invalid = Outcome::Reject(RejectReason::InvalidJwt);
        // nbf <= now: valid for every leeway; nbf in (now, now + 60]: only a leeway that covers it; beyond: never.
        assert!(matches!(at(&nbf(1_000), Some(1_000), 0), Outcome::Accept(_)));
        assert_eq!(at(&nbf(1_001), Some(1_000), 0), invalid);
        assert!(matches!(at(&nbf(1_060), Some(1_000), 60), Outcome::Accept(_)));
        assert_eq!(at(&nbf(1_061), Some(1_000), 60), invalid);
        assert_eq!(at(&nbf(900), None, 60), invalid, "no clock: fail closed");
        // verify_at is the reference's 60 s.
        assert!(matches!(
            verify_at(&config, Platform::Web, nbf(1_060).as_bytes(), Some(1_000)).outcome,
            Outcome::Accept(_)
        ));
        let expired = token(b"web-secret", "u1", Some(1_000));
        let p = format!(r#"{{"app_id":"prod","intercom_user_jwt":"{expired}"}}"#);
        assert_eq!(at(&p, Some(1_000), 0), Outcome::Reject(RejectReason::ExpiredJwt));
        assert!(matches!(at(&p, Some(1_000), 60), Outcome::Accept(_)));
    }

    #[test]
    fn jwt_enforcement_refuses_users_without_a_token_and_keeps_visitors() {
        let h = encode_lower(&hmac_sha256(b"web-secret", b"u1"));
        let config = jwt_config(true);
        let run = |p: String| verify(&config, Platform::Web, p.as_bytes());
        let d = run(format!(r#"{{"app_id":"prod","user_id":"u1","user_hash":"{h}"}}"#));
        assert_eq!((d.outcome, d.rule), (Outcome::Reject(RejectReason::MissingUserHash), Rule::J4));
        let d = run(format!(r#"{{"app_id":"prod","user_hash":"{h}"}}"#));
        assert_eq!(d.outcome, Outcome::Reject(RejectReason::MissingUserHash));
        assert_eq!(
            run(r#"{"app_id":"prod","intercom_user_jwt":""}"#.into()).outcome,
            Outcome::Accept(Identity::Visitor)
        );
        // Another platform is not JWT-enforced (V8): HMAC mode there.
        let d = verify(&config, Platform::Ios, br#"{"app_id":"prod","user_id":"u1"}"#);
        assert!(matches!(d.outcome, Outcome::Accept(Identity::User { verified: false, .. })));
        let off = jwt_config(false);
        let d =
            verify(&off, Platform::Web, format!(r#"{{"app_id":"prod","user_id":"u1","user_hash":"{h}"}}"#).as_bytes());
        assert!(matches!(d.outcome, Outcome::Accept(Identity::User { verified: true, .. })));
    }
}
