//! The boot payload (P1–P6): strict JSON in, typed identity fields out, every rejection naming its rule.

use crate::identifier::{Identifiers, UserId, MAX_SAFE_INTEGER};
use crate::json::{self, Limits, Value};
use crate::rules::Rule;
use std::fmt;

/// Longest accepted identifier (`user_id` or `email`), in UTF-8 bytes (P6).
pub const MAX_IDENTIFIER_BYTES: usize = 1024;

/// The payload key that carries the JWT-mode token (the P4 analogue for JWT mode; the token itself is
/// [`crate::jwt`]'s).
pub const JWT_KEY: &str = "intercom_user_jwt";

/// A boot payload that passed P1–P6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootPayload {
    /// `app_id`: the workspace (P5).
    pub app_id: String,
    /// `user_id` and `email` as sent (`null` already mapped to `None`; `""` kept, since presence is S2's call).
    pub identifiers: Identifiers,
    /// `user_hash`, if sent (P4); its form is checked when verifying (V6).
    pub user_hash: Option<String>,
    /// `intercom_user_jwt`, the JWT-mode token (J1), if sent as a non-empty string (`""` and `null` are absent).
    pub jwt: Option<String>,
    /// Every other top-level key, in input order (documented attributes like `name` included).
    pub custom: Vec<(String, Value)>,
}

/// Why a payload is malformed: the rule broken, a human reason, and where in the input when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    /// The rule broken (one of P1–P6).
    pub rule: Rule,
    /// What is wrong, for people.
    pub reason: String,
    /// Byte offset of the problem, when it is a position in the text.
    pub offset: Option<usize>,
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed_payload [{}]: {}", self.rule, self.reason)
    }
}

impl std::error::Error for PayloadError {}

impl From<json::Error> for PayloadError {
    fn from(e: json::Error) -> Self {
        PayloadError { rule: e.rule(), reason: e.to_string(), offset: Some(e.offset) }
    }
}

fn malformed(rule: Rule, reason: impl Into<String>) -> PayloadError {
    PayloadError { rule, reason: reason.into(), offset: None }
}

fn check_identifier_len(key: &str, s: &str) -> Result<(), PayloadError> {
    if s.len() > MAX_IDENTIFIER_BYTES {
        return Err(malformed(
            Rule::P6,
            format!("{key} is {} bytes, more than the limit of {MAX_IDENTIFIER_BYTES}", s.len()),
        ));
    }
    Ok(())
}

fn user_id_field(v: Value) -> Result<Option<UserId>, PayloadError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => {
            check_identifier_len("user_id", &s)?;
            Ok(Some(UserId::Text(s)))
        }
        Value::Number(n) => {
            if !n.is_integer_syntax() {
                return Err(malformed(
                    Rule::P3,
                    format!("user_id {n} is not written as an integer; send integers without fraction or exponent, or send a string"),
                ));
            }
            n.as_i64().and_then(UserId::integer).map(Some).ok_or_else(|| {
                malformed(
                    Rule::P3,
                    format!(
                        "user_id {n} is outside ±{MAX_SAFE_INTEGER} (JavaScript would round it); send it as a string"
                    ),
                )
            })
        }
        other => {
            Err(malformed(Rule::P3, format!("user_id must be a string or an integer, found {}", other.type_name())))
        }
    }
}

fn email_field(v: Value) -> Result<Option<String>, PayloadError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => {
            check_identifier_len("email", &s)?;
            Ok(Some(s))
        }
        other => Err(malformed(Rule::P3, format!("email must be a string, found {}", other.type_name()))),
    }
}

impl BootPayload {
    /// Parses raw payload bytes under P6's limits.
    pub fn parse(bytes: &[u8]) -> Result<BootPayload, PayloadError> {
        Self::parse_with(bytes, Limits::P6)
    }

    /// Parses raw payload bytes under the given JSON limits (the identifier limit is always P6's).
    pub fn parse_with(bytes: &[u8], limits: Limits) -> Result<BootPayload, PayloadError> {
        let Value::Object(members) = json::parse(bytes, limits)? else {
            return Err(malformed(Rule::P1, "the payload must be a JSON object"));
        };
        let mut app_id = None;
        let mut identifiers = Identifiers::default();
        let mut user_hash = None;
        let mut jwt = None;
        let mut custom = Vec::new();
        for (key, value) in members {
            match key.as_str() {
                "app_id" => match value {
                    Value::String(s) if !s.is_empty() => app_id = Some(s),
                    Value::String(_) => return Err(malformed(Rule::P5, "app_id must not be empty")),
                    other => {
                        return Err(malformed(
                            Rule::P5,
                            format!("app_id must be a string, found {}", other.type_name()),
                        ))
                    }
                },
                "user_id" => identifiers.user_id = user_id_field(value)?,
                "email" => identifiers.email = email_field(value)?,
                "user_hash" => match value {
                    Value::String(s) => user_hash = Some(s),
                    other => {
                        return Err(malformed(
                            Rule::P4,
                            format!("user_hash must be a string, found {}", other.type_name()),
                        ))
                    }
                },
                JWT_KEY => match value {
                    Value::Null => {}
                    Value::String(s) => jwt = Some(s).filter(|s| !s.is_empty()),
                    other => {
                        return Err(malformed(
                            Rule::P4,
                            format!("{} must be a string, found {}", JWT_KEY, other.type_name()),
                        ))
                    }
                },
                _ => custom.push((key, value)),
            }
        }
        let app_id = app_id.ok_or_else(|| malformed(Rule::P5, "app_id is missing"))?;
        Ok(BootPayload { app_id, identifiers, user_hash, jwt, custom })
    }

    /// Serialises back to compact JSON that parses to an equal `BootPayload` (used by the fuzz suite).
    pub fn to_json(&self) -> String {
        let mut members = vec![("app_id".to_string(), Value::String(self.app_id.clone()))];
        match &self.identifiers.user_id {
            Some(UserId::Text(s)) => members.push(("user_id".into(), Value::String(s.clone()))),
            Some(UserId::Integer(n)) => members.push((
                "user_id".into(),
                json::parse(n.to_string().as_bytes(), Limits::P6).expect("an integer is JSON"),
            )),
            None => {}
        }
        if let Some(e) = &self.identifiers.email {
            members.push(("email".into(), Value::String(e.clone())));
        }
        if let Some(h) = &self.user_hash {
            members.push(("user_hash".into(), Value::String(h.clone())));
        }
        if let Some(t) = &self.jwt {
            members.push((JWT_KEY.into(), Value::String(t.clone())));
        }
        members.extend(self.custom.iter().cloned());
        Value::Object(members).to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(s: &str) -> Rule {
        BootPayload::parse(s.as_bytes()).unwrap_err().rule
    }

    #[test]
    fn typed_fields() {
        let p = BootPayload::parse(
            br#"{"app_id":"a1","user_id":0,"email":null,"user_hash":"x","name":"N","userHash":"y"}"#,
        )
        .unwrap();
        assert_eq!(p.app_id, "a1");
        assert_eq!(p.identifiers.user_id, Some(UserId::Integer(0)));
        assert_eq!(p.identifiers.email, None);
        assert_eq!(p.user_hash.as_deref(), Some("x"));
        assert_eq!(p.custom.len(), 2);
        assert_eq!(BootPayload::parse(p.to_json().as_bytes()).unwrap(), p);
        for (text, jwt) in [(r#""a.b.c""#, Some("a.b.c")), (r#""""#, None), ("null", None)] {
            let p = BootPayload::parse(format!(r#"{{"app_id":"a","intercom_user_jwt":{text}}}"#).as_bytes()).unwrap();
            assert_eq!((p.jwt.as_deref(), p.custom.len()), (jwt, 0), "{text}");
            assert_eq!(BootPayload::parse(p.to_json().as_bytes()).unwrap(), p);
        }
    }

    #[test]
    fn rejections_name_their_rule() {
        assert_eq!(rule_of("[]"), Rule::P1);
        assert_eq!(rule_of(r#"{"user_id":"u"}"#), Rule::P5);
        assert_eq!(rule_of(r#"{"app_id":""}"#), Rule::P5);
        assert_eq!(rule_of(r#"{"app_id":7}"#), Rule::P5);
        assert_eq!(rule_of(r#"{"app_id":"a","user_id":123.0}"#), Rule::P3);
        assert_eq!(rule_of(r#"{"app_id":"a","user_id":9007199254740992}"#), Rule::P3);
        assert_eq!(rule_of(r#"{"app_id":"a","user_id":true}"#), Rule::P3);
        assert_eq!(rule_of(r#"{"app_id":"a","email":5}"#), Rule::P3);
        assert_eq!(rule_of(r#"{"app_id":"a","user_hash":null}"#), Rule::P4);
        assert_eq!(rule_of(r#"{"app_id":"a","intercom_user_jwt":1}"#), Rule::P4);
        assert_eq!(rule_of(r#"{"app_id":"a","intercom_user_jwt":["t"]}"#), Rule::P4);
        assert_eq!(rule_of(r#"{"app_id":"a","app_id":"b"}"#), Rule::P2);
        let long = format!(r#"{{"app_id":"a","email":"{}"}}"#, "e".repeat(1025));
        assert_eq!(rule_of(&long), Rule::P6);
        let ok = format!(r#"{{"app_id":"a","email":"{}"}}"#, "e".repeat(1024));
        assert!(BootPayload::parse(ok.as_bytes()).is_ok());
    }
}
