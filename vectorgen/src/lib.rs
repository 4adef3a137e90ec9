//! The generator: turns the readable case definitions in this module's children into the vector files.
//!
//! A definition states the inputs and the *expected judgement* by hand (which identifier, accept or reject
//! with which class). The generator then computes the derived values (message bytes, MACs, hashes) with the
//! reference, and refuses to write anything when
//! * the reference disagrees with a hand-written judgement (one of the two is wrong: look before you fix),
//! * a negative verifier case could be rejected for two different reasons (order-dependent grading),
//! * ids repeat or a rule of SPEC.md S1–S5, P1–P6, V1–V9, J1–J4 is exercised by no case.
//!
//! Output is deterministic: the same definitions always give the same bytes.

mod configs;
mod hmac;
mod jwt;
mod payload;
mod sign;
mod verify;

use crate::model::*;
use ivconform_core::config::Config;
use ivconform_core::hex::encode_lower;
use ivconform_core::identifier::UserId;
use ivconform_core::mac::hmac_sha256;
use ivconform_core::payload::BootPayload;
use ivconform_core::verify::verify_at;
use ivconform_core::{Platform, RejectReason, Rule, Source};
use std::collections::{BTreeMap, BTreeSet};

/// The five generated files, as values.
pub struct Generated {
    /// `hmac_sha256.json`
    pub hmac: VectorFile<HmacCase>,
    /// `sign.json`
    pub sign: VectorFile<SignCase>,
    /// `payload.json`
    pub payload: VectorFile<VerifyCase>,
    /// `verify.json`
    pub verify: VectorFile<VerifyCase>,
    /// `jwt.json`
    pub jwt: VectorFile<JwtCase>,
}

impl Generated {
    /// Each file's name and its exact bytes (pretty JSON, two-space indent, trailing newline).
    pub fn files(&self) -> Vec<(String, String)> {
        fn render<C: serde::Serialize>(f: &VectorFile<C>) -> String {
            let mut s = serde_json::to_string_pretty(f).expect("vector files serialise");
            s.push('\n');
            s
        }
        vec![
            (Group::HmacSha256.file_name(), render(&self.hmac)),
            (Group::Sign.file_name(), render(&self.sign)),
            (Group::Payload.file_name(), render(&self.payload)),
            (Group::Verify.file_name(), render(&self.verify)),
            (Group::Jwt.file_name(), render(&self.jwt)),
        ]
    }
}

/// Builds every file, or explains which definition is wrong.
pub fn generate() -> Result<Generated, String> {
    let configs = configs::all();
    let built: BTreeMap<String, Config> =
        configs.iter().map(|(n, d)| (n.clone(), d.to_config().expect("generator configs are valid"))).collect();

    let hmac = hmac::cases()?;
    let sign = sign::cases()?;
    let payload = build_verifier_cases(payload::cases(), &built, true)?;
    let verify = build_verifier_cases(verify::cases(), &built, false)?;
    let jwt = jwt::cases(&built)?;

    let used_configs = |cases: &[VerifyCase]| -> BTreeMap<String, ivconform_core::config::ConfigDoc> {
        let names: BTreeSet<&str> = cases.iter().map(|c| c.config.as_str()).collect();
        configs.iter().filter(|(n, _)| names.contains(n.as_str())).map(|(n, d)| (n.clone(), d.clone())).collect()
    };
    let payload_configs = used_configs(&payload);
    let verify_configs = used_configs(&verify);
    let jwt_verify: Vec<VerifyCase> =
        jwt.iter().filter_map(|c| if let JwtCase::Verify(v) = c { Some(v.clone()) } else { None }).collect();
    let jwt_configs = used_configs(&jwt_verify);

    let g = Generated {
        hmac: file(Group::HmacSha256, "HMAC-SHA256 as the primitive under user_hash (S1): RFC 4231's HMAC-SHA-256 cases and key/message edge cases.", BTreeMap::new(), hmac),
        sign: file(Group::Sign, "Signing (S1-S5): which identifier is hashed, its exact bytes, the resulting user_hash, or the error class.", BTreeMap::new(), sign),
        payload: file(Group::Payload, "Boot-payload parsing (P1-P6), graded through the verifier's decision; accepted payloads also carry their typed parse.", payload_configs, payload),
        verify: file(Group::Verify, "Verifying (V1-V8): workspaces, platforms, enforcement, identifier selection and the forms of user_hash.", verify_configs, verify),
        jwt: file(Group::Jwt, "JWT mode (J1-J4): verifying intercom_user_jwt (HS256 only, canonical base64url, claims, exp against the case's now with 60 s leeway, clear-text identity, enforcement) and signing tokens byte for byte.", jwt_configs, jwt),
    };
    check_suite(&g)?;
    Ok(g)
}

fn file<C: HasMeta>(
    group: Group,
    description: &str,
    configs: BTreeMap<String, ivconform_core::config::ConfigDoc>,
    cases: Vec<C>,
) -> VectorFile<C> {
    let flags =
        cases.iter().flat_map(|c| c.meta().flags.iter().copied()).map(|f| (f, f.description().to_string())).collect();
    VectorFile {
        schema: group.schema_path(),
        suite: "ivconform".into(),
        suite_version: SUITE_VERSION.into(),
        group,
        description: description.into(),
        flags,
        number_of_cases: cases.len(),
        configs,
        cases,
    }
}

/// Access to a case's common fields, for checks across groups.
pub trait HasMeta {
    /// The case's id, comment, rules and flags.
    fn meta(&self) -> &CaseMeta;
}
impl HasMeta for HmacCase {
    fn meta(&self) -> &CaseMeta {
        &self.meta
    }
}
impl HasMeta for SignCase {
    fn meta(&self) -> &CaseMeta {
        &self.meta
    }
}
impl HasMeta for VerifyCase {
    fn meta(&self) -> &CaseMeta {
        &self.meta
    }
}
impl HasMeta for JwtCase {
    fn meta(&self) -> &CaseMeta {
        JwtCase::meta(self)
    }
}

fn check_suite(g: &Generated) -> Result<(), String> {
    let metas: Vec<&CaseMeta> = g
        .hmac
        .cases
        .iter()
        .map(HasMeta::meta)
        .chain(g.sign.cases.iter().map(HasMeta::meta))
        .chain(g.payload.cases.iter().map(HasMeta::meta))
        .chain(g.verify.cases.iter().map(HasMeta::meta))
        .chain(g.jwt.cases.iter().map(HasMeta::meta))
        .collect();
    let mut ids = BTreeSet::new();
    for m in &metas {
        if !ids.insert(m.id.as_str()) {
            return Err(format!("case id {:?} is defined twice", m.id));
        }
    }
    let covered: BTreeSet<Rule> = metas.iter().flat_map(|m| m.rules.iter().copied()).collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| matches!(r.id().as_bytes()[0], b'S' | b'P' | b'V' | b'J'))
        .filter(|r| !covered.contains(r))
        .map(|r| r.id())
        .collect();
    if !missing.is_empty() {
        return Err(format!("no case exercises rules {missing:?}"));
    }
    Ok(())
}

/// A case's common fields, from a definition.
pub(crate) fn meta(id: &str, comment: &str, rules: &[Rule], flags: &[Flag]) -> CaseMeta {
    CaseMeta { id: id.into(), comment: comment.into(), rules: rules.to_vec(), flags: flags.to_vec() }
}

/// A verifier case's hand-written judgement.
#[derive(Debug, Clone)]
pub(crate) enum Expect {
    Visitor,
    User { verified: bool, source: Source, value: String },
    Reject(RejectReason),
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

fn build_verifier_cases(
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
    let expected = match &d.expect {
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
    };

    // The reference must agree with the hand-written judgement.
    let decision = verify_at(config, d.platform, &d.payload, d.now);
    let reference = VerifyExpected::of(&decision.outcome);
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
