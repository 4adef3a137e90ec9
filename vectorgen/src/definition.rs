//! The shapes the case definitions are written in (a case's common fields, a verifier case with its
//! hand-written judgement) and the step that turns a verifier definition into a `VerifyCase`, checking the
//! judgement against the reference. Shared by the crate root and every definition module, and using none of
//! them, so that no two modules import each other.

use ivconform_core::config::Config;
use ivconform_core::hex::encode_lower;
use ivconform_core::identifier::UserId;
use ivconform_core::mac::hmac_sha256;
use ivconform_core::payload::BootPayload;
use ivconform_core::verify::{verify_at, verify_at_with_leeway};
use ivconform_core::{Platform, RejectReason, Rule, Source};
use ivconform_vectors::model::*;
use std::collections::BTreeMap;

/// A case's common fields, from a definition.
pub(crate) fn meta(id: &str, comment: &str, rules: &[Rule], flags: &[Flag]) -> CaseMeta {
    CaseMeta { id: id.into(), comment: comment.into(), rules: rules.to_vec(), flags: flags.to_vec() }
}

/// A verifier case's hand-written judgement.
#[derive(Debug, Clone)]
pub(crate) enum Expect {
    Visitor,
    User {
        verified: bool,
        source: Source,
        value: String,
    },
    Reject(RejectReason),
    /// J2's leeway window: `accept` with a leeway that covers the time, `reject` with a smaller one.
    Either {
        accept: Box<Expect>,
        reject: RejectReason,
    },
}

/// A hand-written judgement in the vector files' form.
fn expected_of(expect: &Expect) -> VerifyExpected {
    match expect {
        Expect::Visitor => VerifyExpected::Accept { as_: As::Visitor, verified: None, identifier: None },
        Expect::User { verified, source, value } => VerifyExpected::Accept {
            as_: As::User,
            verified: Some(*verified),
            identifier: Some(ExpectedIdentifier {
                source: *source,
                value: value.clone(),
                message_hex: encode_lower(value.as_bytes()),
            }),
        },
        Expect::Reject(r) => VerifyExpected::Reject { reason: *r },
        Expect::Either { accept, reject } => {
            VerifyExpected::Either { accept: Box::new(expected_of(accept)), reject: *reject }
        }
    }
}

/// A verifier case as written in `payload.rs` / `verify.rs`.
pub(crate) struct VerifierDef {
    pub meta: CaseMeta,
    pub config: &'static str,
    pub platform: Platform,
    pub payload: Vec<u8>,
    pub expect: Expect,
    /// The current time given to the verifier (JWT cases).
    pub now: Option<i64>,
}

pub(crate) fn build_verifier_cases(
    defs: Vec<VerifierDef>,
    configs: &BTreeMap<String, Config>,
    with_parse: bool,
) -> Result<Vec<VerifyCase>, String> {
    defs.into_iter().map(|d| build_verifier_case(d, configs, with_parse)).collect()
}

pub(crate) fn build_verifier_case(
    d: VerifierDef,
    configs: &BTreeMap<String, Config>,
    with_parse: bool,
) -> Result<VerifyCase, String> {
    let id = d.meta.id.clone();
    let config = configs.get(d.config).ok_or_else(|| format!("{id}: unknown config {:?}", d.config))?;
    let expected = expected_of(&d.expect);

    // The reference must agree with the hand-written judgement, at both ends of the leeway J2 allows (0 and
    // 60 s): where they differ the case is in the window, and only an `either` judgement states it.
    let decision = verify_at(config, d.platform, &d.payload, d.now);
    let narrowest = verify_at_with_leeway(config, d.platform, &d.payload, d.now, 0);
    let reference = VerifyExpected::across_leeways(&narrowest.outcome, &decision.outcome)
        .map_err(|e| format!("{id}: {e} ({} : {})", decision.rule, decision.detail))?;
    if reference != expected {
        return Err(format!(
            "{id}: the definition expects {expected:?} but the reference decides {reference:?} ({} : {})",
            decision.rule, decision.detail
        ));
    }

    // Negative cases must have exactly one applicable reject class.
    if let Expect::Reject(RejectReason::MalformedPayload) = d.expect {
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(&d.payload) {
            if let Some(serde_json::Value::String(app)) = m.get("app_id") {
                if !app.is_empty() && !config.apps.contains_key(app) {
                    return Err(format!(
                        "{id}: malformed payload names unknown app {app:?}: two reject classes could apply"
                    ));
                }
            }
        }
    }

    let parsed = BootPayload::parse(&d.payload).ok();
    let expected_signature_hex = parsed.as_ref().and_then(|p| {
        let token = p.jwt.as_ref().filter(|t| t.split('.').count() == 3)?;
        let secret = config.apps.get(&p.app_id)?.platform(d.platform).secret?;
        let input = token.rsplit_once('.').expect("three segments").0;
        Some(encode_lower(&ivconform_core::jwt::expected_signature(secret.expose(), input)))
    });
    // With a token, no identifier is hashed: the token decides (J1).
    let expected_mac_hex = parsed.as_ref().filter(|p| p.jwt.is_none()).and_then(|p| {
        let app = config.apps.get(&p.app_id)?;
        let secret = app.platform(d.platform).secret?;
        let identifier = p.identifiers.select()?;
        Some(encode_lower(&hmac_sha256(secret.expose(), identifier.message())))
    });
    let parsed = if with_parse && matches!(expected, VerifyExpected::Accept { .. }) {
        parsed.map(|p| ExpectedParse {
            app_id: p.app_id.clone(),
            user_id: match &p.identifiers.user_id {
                Some(UserId::Text(s)) => serde_json::Value::String(s.clone()),
                Some(UserId::Integer(n)) => serde_json::Value::from(*n),
                None => serde_json::Value::Null,
            },
            email: p.identifiers.email.clone(),
            user_hash: p.user_hash.clone(),
            custom_keys: p.custom.iter().map(|(k, _)| k.clone()).collect(),
        })
    } else {
        None
    };
    let (payload, payload_hex) = match Bytes::readable(&d.payload) {
        Bytes::Text(t) => (Some(t), None),
        Bytes::Raw(b) => (None, Some(encode_lower(&b))),
    };
    Ok(VerifyCase {
        meta: d.meta,
        config: d.config.into(),
        platform: d.platform,
        payload,
        payload_hex,
        expected,
        expected_mac_hex,
        parsed,
        now: d.now,
        expected_signature_hex,
    })
}

/// Shorthand used by the definitions: the lowercase hex HMAC of `msg` under `key`.
pub(crate) fn mac_hex(key: &[u8], msg: &[u8]) -> String {
    encode_lower(&hmac_sha256(key, msg))
}
