//! Expected and actual answers as structured values for the JSON report (docs/report.schema.json): each an
//! object with a `kind` (`tag`, `mac`, `hash`, `refusal`, `verify`, `token`, `error_response`, `message`)
//! and the fields of that kind, so tools compare values instead of parsing prose.

use crate::suite::plan::Expect;
use ivconform_protocol::Response;
use ivconform_vectors::{JwtSignExpected, SignExpected, VerifyExpected};
use serde_json::{json, Map, Value};

/// What a conforming implementation answers, as a structured value.
pub fn expected(expect: &Expect) -> Value {
    match expect {
        Expect::Tag { hex, bits } => json!({"kind": "tag", "value": hex, "bits": bits}),
        Expect::Mac { hex, bits, valid } => json!({"kind": "mac", "value": hex, "bits": bits, "valid": valid}),
        Expect::Sign(SignExpected::Hash { identifier_source, identifier, message_hex, user_hash }) => json!({
            "kind": "hash",
            "value": user_hash,
            "identifier_source": identifier_source.as_str(),
            "identifier": identifier,
            "identifier_hex": message_hex,
        }),
        Expect::Sign(SignExpected::Error { error }) | Expect::SignJwt(JwtSignExpected::Error { error }) => {
            json!({"kind": "refusal", "class": error})
        }
        Expect::Verify(v) => verify(v),
        Expect::SignJwt(JwtSignExpected::Token { example_token, example_claims_json, .. }) => json!({
            "kind": "token",
            "meaning": "HS256, a valid signature, the claims asked for, no nbf (J5)",
            "example": example_token,
            "example_claims": example_claims_json,
        }),
    }
}

fn verify(v: &VerifyExpected) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), "verify".into());
    match v {
        VerifyExpected::Accept { as_, verified, identifier } => {
            m.insert("result".into(), "accept".into());
            m.insert("as".into(), serde_json::to_value(as_).unwrap_or(Value::Null));
            if let Some(v) = verified {
                m.insert("verified".into(), (*v).into());
            }
            if let Some(id) = identifier {
                m.insert("identifier_source".into(), id.source.as_str().into());
                m.insert("identifier".into(), id.value.clone().into());
                m.insert("identifier_hex".into(), id.message_hex.clone().into());
            }
        }
        VerifyExpected::Reject { reason } => {
            m.insert("result".into(), "reject".into());
            m.insert("reason".into(), reason.as_str().into());
        }
        VerifyExpected::Either { accept, reject } => {
            m.insert("result".into(), "either".into());
            m.insert("accept".into(), verify(accept));
            m.insert("reject".into(), json!({"kind": "verify", "result": "reject", "reason": reject.as_str()}));
        }
    }
    Value::Object(m)
}

/// What the implementation answered, as a structured value (its strings still to be sanitised by the caller).
pub fn actual(response: &Response) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    };
    let s = |v: &Option<String>| v.clone().map(Value::String);
    match response {
        Response::Hmac { tag_hex, .. } => {
            put("kind", Some("tag".into()));
            put("value", Some(tag_hex.clone().into()));
        }
        Response::Sign { user_hash, identifier_source, identifier_hex, error, .. } => {
            match (user_hash, error) {
                (Some(h), None) => {
                    put("kind", Some("hash".into()));
                    put("value", Some(h.clone().into()));
                }
                (None, Some(e)) => {
                    put("kind", Some("refusal".into()));
                    put("class", Some(e.clone().into()));
                }
                _ => {
                    put("kind", Some("message".into()));
                    put("value", s(user_hash));
                    put("class", s(error));
                }
            }
            put("identifier_source", s(identifier_source));
            put("identifier_hex", s(identifier_hex));
        }
        Response::Verify { result, as_, verified, identifier_source, identifier_hex, reason, .. } => {
            put("kind", Some("verify".into()));
            put("result", Some(result.clone().into()));
            put("as", s(as_));
            put("verified", verified.map(Value::Bool));
            put("identifier_source", s(identifier_source));
            put("identifier_hex", s(identifier_hex));
            put("reason", s(reason));
        }
        Response::SignJwt { token, error, .. } => match (token, error) {
            (Some(t), None) => {
                put("kind", Some("token".into()));
                put("value", Some(t.clone().into()));
            }
            (None, Some(e)) => {
                put("kind", Some("refusal".into()));
                put("class", Some(e.clone().into()));
            }
            _ => {
                put("kind", Some("message".into()));
                put("value", s(token));
                put("class", s(error));
            }
        },
        Response::Error { message, .. } => {
            put("kind", Some("error_response".into()));
            put("message", Some(message.clone().into()));
        }
        other => {
            put("kind", Some("message".into()));
            put("type", Some(format!("{other:?}").split([' ', '{']).next().unwrap_or_default().into()));
        }
    }
    Value::Object(m)
}

/// `value` with every string (keys stay) passed through `f`: how IUT text inside a value is sanitised.
pub fn map_strings(value: Value, f: &dyn Fn(String) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(s)),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, map_strings(v, f))).collect()),
        other => other,
    }
}
