//! The golden-vector generator: turns the readable case definitions in this crate's modules into the
//! vector files `vectors/*.json` (the model and loader are in `ivconform-vectors`).
//!
//! A definition states the inputs and the *expected judgement* by hand (which identifier, accept or reject
//! with which class). The generator then computes the derived values (message bytes, MACs, hashes) with the
//! reference, and refuses to write anything when
//! * the reference disagrees with a hand-written judgement (one of the two is wrong: look before you fix),
//! * a negative verifier case could be rejected for two different reasons (order-dependent grading),
//! * ids repeat or a rule of SPEC.md S1–S5, P1–P6, V1–V9, J1–J5 is exercised by no case.
//!
//! Output is deterministic: the same definitions always give the same bytes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod configs;
mod definition;
mod hmac;
mod jwt;
mod payload;
mod sign;
mod verify;

use definition::build_verifier_cases;
use ivconform_core::config::Config;
use ivconform_core::Rule;
use ivconform_vectors::model::*;
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
        jwt: file(Group::Jwt, "JWT mode (J1-J5): verifying intercom_user_jwt (HS256 only, canonical base64url, claims, exp and nbf against the case's now, a time inside the 0-60 s leeway window graded as either outcome, clear-text identity, enforcement) and signing tokens, graded by what they mean (J5).", jwt_configs, jwt),
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
