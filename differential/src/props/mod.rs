//! Property tests (`ivconform props`): random signing and verifying inputs, run differentially against any
//! implementation with the reference (`ivconform-core`) as oracle.
//!
//! [`strategies`] generates identifiers, boot payloads and workspace configurations; [`properties`] turns
//! each generated input into *probes* (a request, what the reference answers, and the same input as a
//! golden-vector case); [`check`] drives proptest's `TestRunner` over a transport and, on a failure, shrinks
//! it and prints the probe as a ready-to-paste vector with the seed that replays it.

pub mod check;
pub mod properties;
pub mod strategies;

use ivconform_core::hex::encode_lower;
use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::mac::hmac_sha256;
use ivconform_core::payload::BootPayload;
use ivconform_core::verify::verify_at;
use ivconform_core::{Config, Platform, Rule, Signer};
use ivconform_harness::suite::plan::{Expect, LeakNeedle, PlannedCase};
use ivconform_protocol::wire::config_json;
use ivconform_protocol::{Capability, Request};
use ivconform_vectors::{
    Bytes, CaseMeta, Field, Flag, Group, JwtCase, SignCase, SignExpected, VerifyCase, VerifyExpected,
};
use std::sync::Arc;

/// A JSON value written by the generator, numbers as exact text (so `-0` or `9007199254740993` reach the
/// implementation verbatim, and key order is whatever the generator chose).
#[derive(Debug, Clone, PartialEq)]
pub enum GenJson {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written.
    Num(String),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<GenJson>),
    /// An object, members in this order.
    Obj(Vec<(String, GenJson)>),
}

impl GenJson {
    /// Appends the compact JSON text (strings escaped as serde_json escapes them).
    pub fn write(&self, out: &mut String) {
        match self {
            GenJson::Null => out.push_str("null"),
            GenJson::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            GenJson::Num(n) => out.push_str(n),
            GenJson::Str(s) => out.push_str(&serde_json::to_string(s).expect("strings serialise")),
            GenJson::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            GenJson::Obj(members) => write_object(members, out),
        }
    }
}

fn write_object(members: &[(String, GenJson)], out: &mut String) {
    out.push('{');
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(k).expect("strings serialise"));
        out.push(':');
        v.write(out);
    }
    out.push('}');
}

/// How `user_id` or `email` is sent: not at all, as `null`, as `""`, as a string, or as an integer (text).
#[derive(Debug, Clone, PartialEq)]
pub enum IdField {
    /// The key is not sent.
    Absent,
    /// `null`.
    Null,
    /// `""`.
    Empty,
    /// A non-empty string.
    Text(String),
    /// A JSON integer, as written (possibly past ±(2^53 − 1), possibly `-0`).
    Int(String),
}

impl IdField {
    /// The payload member's value, if the key is sent.
    pub fn json(&self) -> Option<GenJson> {
        match self {
            IdField::Absent => None,
            IdField::Null => Some(GenJson::Null),
            IdField::Empty => Some(GenJson::Str(String::new())),
            IdField::Text(s) => Some(GenJson::Str(s.clone())),
            IdField::Int(n) => Some(GenJson::Num(n.clone())),
        }
    }

    /// The value as a `sign` request or a sign vector carries it (integers must be safe ones there).
    pub fn wire(&self) -> Option<serde_json::Value> {
        match self {
            IdField::Absent => None,
            IdField::Null => Some(serde_json::Value::Null),
            IdField::Empty => Some(serde_json::Value::String(String::new())),
            IdField::Text(s) => Some(serde_json::Value::String(s.clone())),
            IdField::Int(n) => Some(n.parse::<i64>().map_or(serde_json::Value::Null, serde_json::Value::from)),
        }
    }

    /// The text a signer would hash if this field were the identifier (integers in canonical decimal).
    pub fn text(&self) -> String {
        match self {
            IdField::Text(s) => s.clone(),
            IdField::Int(n) => n.parse::<i64>().map_or_else(|_| n.clone(), |v| v.to_string()),
            _ => String::new(),
        }
    }

    fn user_id(&self) -> Option<UserId> {
        match self {
            IdField::Absent | IdField::Null => None,
            IdField::Empty => Some(UserId::Text(String::new())),
            IdField::Text(s) => Some(UserId::Text(s.clone())),
            IdField::Int(n) => n.parse::<i64>().ok().and_then(UserId::integer),
        }
    }

    fn email(&self) -> Option<String> {
        match self {
            IdField::Empty => Some(String::new()),
            IdField::Text(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// A short name of the field's kind, for comments.
    pub fn kind(&self) -> &'static str {
        match self {
            IdField::Absent => "absent",
            IdField::Null => "null",
            IdField::Empty => "empty",
            IdField::Text(_) => "a string",
            IdField::Int(_) => "an integer",
        }
    }
}

/// The identifiers S2 would select from two fields (the reference's rule, applied to generated fields).
pub fn selected_text(user_id: &IdField, email: &IdField) -> Option<String> {
    Identifiers { user_id: user_id.user_id(), email: email.email() }.select().map(|s| s.text)
}

/// One signing input.
#[derive(Debug, Clone, PartialEq)]
pub struct SignInput {
    /// The secret's raw bytes (may be empty: `empty_secret`).
    pub secret: Vec<u8>,
    /// `user_id` as sent (integers within the safe range).
    pub user_id: IdField,
    /// `email` as sent (never an integer).
    pub email: IdField,
}

/// One verifying input: a workspace configuration, the platform and the boot payload's members in order.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyInput {
    /// The workspace configuration.
    pub config: Config,
    /// The platform the request came from.
    pub platform: Platform,
    /// The payload's top-level members, in the order they are written.
    pub members: Vec<(String, GenJson)>,
}

impl VerifyInput {
    /// The exact request body.
    pub fn payload(&self) -> Vec<u8> {
        let mut out = String::new();
        write_object(&self.members, &mut out);
        out.into_bytes()
    }

    /// The payload's `app_id`, when it is a string.
    pub fn app_id(&self) -> Option<&str> {
        self.members.iter().find_map(|(k, v)| match (k.as_str(), v) {
            ("app_id", GenJson::Str(s)) => Some(s.as_str()),
            _ => None,
        })
    }
}

/// A golden-vector case for a failing probe, in the format of `vectors/*.json`.
#[derive(Debug, Clone)]
pub enum Vector {
    /// A `sign.json` case.
    Sign(SignCase),
    /// A `verify.json` case and the configuration it names (to add under the file's `configs`).
    Verify {
        /// The configuration's name, as the case's `config` field says.
        config_name: String,
        /// The configuration.
        config: ivconform_core::config::ConfigDoc,
        /// The case.
        case: VerifyCase,
    },
}

impl Vector {
    /// Pretty JSON ready to paste into the vector file: the case, and for verify cases the configuration.
    pub fn render(&self) -> String {
        match self {
            Vector::Sign(case) => serde_json::to_string_pretty(case).expect("cases serialise"),
            Vector::Verify { config_name, config, case } => {
                // Written by hand so the fields keep the vector files' order (serde_json's maps would sort them).
                let indent = |text: String, by: &str| text.replace('\n', &format!("\n{by}"));
                let config = indent(serde_json::to_string_pretty(config).expect("configurations serialise"), "    ");
                // A case with a current time belongs in jwt.json, whose cases say their kind.
                let case = match case.now {
                    Some(_) => serde_json::to_string_pretty(&JwtCase::Verify(case.clone())),
                    None => serde_json::to_string_pretty(case),
                };
                let case = indent(case.expect("cases serialise"), "    ");
                let name = serde_json::to_string(config_name).expect("strings serialise");
                format!("{{\n  \"configs\": {{\n    {name}: {config}\n  }},\n  \"cases\": [\n    {case}\n  ]\n}}")
            }
        }
    }

    /// The vector file the case belongs in.
    pub fn file(&self) -> &'static str {
        match self {
            Vector::Sign(_) => "vectors/sign.json",
            Vector::Verify { case, .. } if case.now.is_some() => "vectors/jwt.json",
            Vector::Verify { .. } => "vectors/verify.json",
        }
    }
}

/// One request to send, what the reference answers (as a planned case, graded like `run` grades), and the
/// same input as a vector case.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The request and the reference's expectation.
    pub case: PlannedCase,
    /// The input as a golden-vector case.
    pub vector: Vector,
}

impl Probe {
    /// The same probe under another case id (a fuzz finding's `fuzz-…` id, or a replayed file's own).
    pub fn with_id(mut self, id: String) -> Probe {
        self.case.id = id.clone();
        match &mut self.vector {
            Vector::Sign(case) => case.meta.id = id,
            Vector::Verify { case, .. } => case.meta.id = id,
        }
        self
    }
}

/// A kebab-case id unique to an input: `props-<property>-<8 hex digits of its HMAC>`.
fn case_id(property: &str, bytes: &[u8]) -> String {
    let digest = hmac_sha256(b"ivconform props case id", bytes);
    format!("props-{property}-{}", &encode_lower(&digest)[..8])
}

fn sorted(mut rules: Vec<Rule>) -> Vec<Rule> {
    rules.sort();
    rules.dedup();
    rules
}

fn sorted_flags(mut flags: Vec<Flag>) -> Vec<Flag> {
    flags.sort();
    flags.dedup();
    flags
}

/// Flags that describe an identifier's text (encoding, numbers, limits).
fn text_flags(fields: &[&IdField]) -> Vec<Flag> {
    let mut flags = Vec::new();
    for f in fields {
        match f {
            IdField::Text(s) if !s.is_ascii() || s.chars().any(|c| c.is_control() || c.is_whitespace()) => {
                flags.push(Flag::Encoding)
            }
            IdField::Int(_) => flags.push(Flag::Number),
            IdField::Null | IdField::Empty => flags.push(Flag::Presence),
            _ => {}
        }
        if let IdField::Text(s) = f {
            if s.len() > ivconform_core::payload::MAX_IDENTIFIER_BYTES {
                flags.push(Flag::Limit);
            }
        }
    }
    flags
}

/// The probe for a signing input: the reference's answer via `ivconform-core`, as a sign vector.
pub fn sign_probe(property: &str, comment: &str, input: &SignInput, flags: &[Flag]) -> Probe {
    let ids = Identifiers { user_id: input.user_id.user_id(), email: input.email.email() };
    let expected = match Signer::new(&input.secret).and_then(|s| s.sign(&ids)) {
        Ok(signed) => SignExpected::Hash {
            identifier_source: signed.identifier.source,
            identifier: signed.identifier.text.clone(),
            message_hex: encode_lower(signed.identifier.message()),
            user_hash: signed.user_hash,
        },
        Err(e) => SignExpected::Error { error: e.class().into() },
    };
    let mut rules = vec![Rule::S1, Rule::S2];
    if matches!(input.user_id, IdField::Int(_)) {
        rules.push(Rule::S4);
    }
    if input.secret.is_empty() {
        rules.push(Rule::S5);
    }
    if [&input.user_id, &input.email].iter().any(|f| matches!(f, IdField::Null | IdField::Empty)) {
        rules.push(Rule::P3);
    }
    if [&input.user_id, &input.email].iter().any(|f| matches!(f, IdField::Text(s) if !s.is_ascii())) {
        rules.push(Rule::S3);
    }
    let mut all_flags = flags.to_vec();
    all_flags.extend(text_flags(&[&input.user_id, &input.email]));
    let key = serde_json::to_vec(&(&input.secret, input.user_id.wire(), input.email.wire())).expect("serialises");
    let meta = CaseMeta {
        id: case_id(property, &key),
        comment: comment.to_string(),
        rules: sorted(rules),
        flags: sorted_flags(all_flags),
    };
    let field = |f: &IdField| f.wire().map_or(Field::Missing, Field::Sent);
    let (secret, secret_hex) = match Bytes::readable(&input.secret) {
        Bytes::Text(t) if !t.is_empty() => (Some(t), None),
        Bytes::Text(_) => (Some(String::new()), None),
        Bytes::Raw(b) => (None, Some(encode_lower(&b))),
    };
    let case = SignCase {
        meta: meta.clone(),
        secret,
        secret_hex,
        user_id: field(&input.user_id),
        email: field(&input.email),
        expected: expected.clone(),
    };
    let planned = PlannedCase::new(
        Group::Sign,
        meta,
        Capability::Sign,
        Request::Sign {
            seq: 0,
            secret_hex: encode_lower(&input.secret),
            user_id: input.user_id.wire(),
            email: input.email.wire(),
        },
        Expect::Sign(expected),
        LeakNeedle::new(&input.secret, "the signing secret".into()).into_iter().collect(),
    );
    Probe { case: planned, vector: Vector::Sign(case) }
}

/// The probe for a verifying input: the reference's decision via `ivconform-core`, as a verify vector.
pub fn verify_probe(property: &str, comment: &str, input: &VerifyInput, rules: &[Rule], flags: &[Flag]) -> Probe {
    let field = |name: &str| {
        input.members.iter().find(|(k, _)| k == name).map(|(_, v)| match v {
            GenJson::Null => IdField::Null,
            GenJson::Str(s) if s.is_empty() => IdField::Empty,
            GenJson::Str(s) => IdField::Text(s.clone()),
            GenJson::Num(n) => IdField::Int(n.clone()),
            _ => IdField::Absent,
        })
    };
    let (u, e) = (field("user_id").unwrap_or(IdField::Absent), field("email").unwrap_or(IdField::Absent));
    let mut all_flags = flags.to_vec();
    all_flags.extend(text_flags(&[&u, &e]));
    verify_probe_bytes(property, comment, &input.config, input.platform, &input.payload(), None, rules, &all_flags)
}

/// The probe for raw payload bytes (which need not be JSON) at an optional current time (JWT mode): the
/// reference's decision, as a verify vector (a `jwt.json` one when a time is given). `ivconform fuzz` builds
/// its probes here, since its mutated payloads have no structure to describe.
#[allow(clippy::too_many_arguments)]
pub fn verify_probe_bytes(
    property: &str,
    comment: &str,
    config: &Config,
    platform: Platform,
    payload: &[u8],
    now: Option<i64>,
    rules: &[Rule],
    flags: &[Flag],
) -> Probe {
    let decision = verify_at(config, platform, payload, now);
    let expected = VerifyExpected::of(&decision.outcome);
    let expected_mac_hex = BootPayload::parse(payload).ok().and_then(|p| {
        let secret = config.apps.get(&p.app_id)?.platform(platform).secret?;
        let identifier = p.identifiers.select()?;
        Some(encode_lower(&hmac_sha256(secret.expose(), identifier.message())))
    });
    let doc = config.to_doc();
    let config_text = serde_json::to_vec(&doc).expect("configurations serialise");
    let config_name = case_id("config", &config_text).replacen("props-config-", "props-", 1);
    let mut key = config_text;
    key.extend_from_slice(platform.as_str().as_bytes());
    key.extend_from_slice(payload);
    let mut all_rules = rules.to_vec();
    all_rules.push(decision.rule);
    let meta = CaseMeta {
        id: case_id(property, &key),
        comment: comment.to_string(),
        rules: sorted(all_rules),
        flags: sorted_flags(flags.to_vec()),
    };
    let (payload_text, payload_hex) = match Bytes::readable(payload) {
        Bytes::Text(t) => (Some(t), None),
        Bytes::Raw(b) => (None, Some(encode_lower(&b))),
    };
    let case = VerifyCase {
        meta: meta.clone(),
        config: config_name.clone(),
        platform,
        payload: payload_text,
        payload_hex,
        expected: expected.clone(),
        expected_mac_hex,
        parsed: None,
        now,
        expected_signature_hex: None,
    };
    let secrets = config
        .apps
        .iter()
        .flat_map(|(app, a)| {
            a.platforms.iter().filter_map(move |(platform, p)| {
                p.secret.as_ref().and_then(|s| LeakNeedle::new(s.expose(), format!("the {platform} secret of {app}")))
            })
        })
        .collect();
    let (group, capability) =
        if now.is_some() { (Group::Jwt, Capability::VerifyJwt) } else { (Group::Verify, Capability::Verify) };
    let planned = PlannedCase::new(
        group,
        meta,
        capability,
        Request::Verify {
            seq: 0,
            config: Arc::new(config_json(config)),
            platform: platform.as_str().into(),
            payload_hex: encode_lower(payload).into(),
            now,
        },
        Expect::Verify(expected),
        secrets,
    );
    Probe { case: planned, vector: Vector::Verify { config_name, config: doc, case } }
}
