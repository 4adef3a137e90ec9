//! The protocol's messages. Bytes always travel as lowercase hex in fields ending `_hex`; identifiers travel
//! as the JSON values a payload would carry (string, integer or null), so nothing is ambiguous.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A capability (role) an implementation claims in `hello`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// The raw primitive: `hmac` messages.
    Hmac,
    /// Signing: `sign` messages.
    Sign,
    /// Verifying: `verify` messages.
    Verify,
    /// Verifying in JWT mode: `verify` messages whose payload carries `intercom_user_jwt`, with `now`.
    VerifyJwt,
    /// Signing in JWT mode: `sign_jwt` messages.
    SignJwt,
}

impl Capability {
    /// All capabilities.
    pub const ALL: [Capability; 5] =
        [Capability::Hmac, Capability::Sign, Capability::Verify, Capability::VerifyJwt, Capability::SignJwt];

    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Hmac => "hmac",
            Capability::Sign => "sign",
            Capability::Verify => "verify",
            Capability::VerifyJwt => "verify_jwt",
            Capability::SignJwt => "sign_jwt",
        }
    }

    /// The capability with this wire name.
    pub fn parse(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A request from the harness. Every request carries `seq`, echoed by the response. Unknown fields are
/// ignored (later minor versions of the protocol may add some), as docs/PROTOCOL.md promises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// First message: the harness introduces itself; the implementation answers with [`Hello`].
    Hello {
        /// Sequence number.
        seq: u64,
        /// Protocol version the harness speaks (`ivconform/1`).
        protocol: String,
        /// Suite version of the vectors about to run.
        suite_version: String,
    },
    /// HMAC-SHA256 of raw bytes.
    Hmac {
        /// Sequence number.
        seq: u64,
        /// The key, hex.
        key_hex: String,
        /// The message, hex.
        msg_hex: String,
    },
    /// Compute `user_hash` for the identifiers a page would send.
    Sign {
        /// Sequence number.
        seq: u64,
        /// The platform secret, hex (its raw bytes are the key).
        secret_hex: String,
        /// `user_id` as sent; omitted when not sent.
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        user_id: Option<serde_json::Value>,
        /// `email` as sent; omitted when not sent.
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        email: Option<serde_json::Value>,
    },
    /// Decide on one boot request.
    Verify {
        /// Sequence number.
        seq: u64,
        /// The workspace configuration (`docs/CONFIG.md`, JSON form; secrets as `secret_hex`). Shared, so the
        /// harness can re-send a request without copying it.
        config: Arc<serde_json::Value>,
        /// `web`, `ios` or `android`.
        platform: String,
        /// The raw request body, hex (shared: it can be megabytes).
        payload_hex: Arc<str>,
        /// The current time in seconds since the epoch, for a JWT's `exp` (J2); absent: none given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        now: Option<i64>,
    },
    /// Sign claims as a JWT (JWT mode).
    SignJwt {
        /// Sequence number.
        seq: u64,
        /// The platform secret, hex (its raw bytes are the key).
        secret_hex: String,
        /// The `user_id` claim (empty: the signer must refuse with `no_identifier`).
        user_id: String,
        /// The `email` claim, when signed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email: Option<String>,
        /// The `exp` claim, when signed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exp: Option<i64>,
    },
    /// Last message: the implementation answers and may exit.
    Bye {
        /// Sequence number.
        seq: u64,
    },
}

/// Keeps a JSON `null` as `Some(Value::Null)`, so "sent as null" differs from "not sent".
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

impl Request {
    /// The request's sequence number.
    pub fn seq(&self) -> u64 {
        match self {
            Request::Hello { seq, .. }
            | Request::Hmac { seq, .. }
            | Request::Sign { seq, .. }
            | Request::Verify { seq, .. }
            | Request::SignJwt { seq, .. }
            | Request::Bye { seq } => *seq,
        }
    }

    /// The message type's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "hello",
            Request::Hmac { .. } => "hmac",
            Request::Sign { .. } => "sign",
            Request::Verify { .. } => "verify",
            Request::SignJwt { .. } => "sign_jwt",
            Request::Bye { .. } => "bye",
        }
    }

    /// Sets the sequence number (the harness numbers requests as it sends them).
    pub fn with_seq(mut self, n: u64) -> Self {
        match &mut self {
            Request::Hello { seq, .. }
            | Request::Hmac { seq, .. }
            | Request::Sign { seq, .. }
            | Request::Verify { seq, .. }
            | Request::SignJwt { seq, .. }
            | Request::Bye { seq } => *seq = n,
        }
        self
    }
}

/// The implementation's answer to `hello`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// The implementation's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The language it is written in.
    pub language: String,
    /// Roles it claims; cases needing an unclaimed role are skipped, a claimed role must work.
    pub capabilities: Vec<Capability>,
    /// The protocol it speaks (`ivconform/1`).
    #[serde(default)]
    pub protocol: Option<String>,
    /// What its API cannot express (docs/PROTOCOL.md, "Declared limits"): the cases that need it are
    /// `not_applicable`, never passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
}

/// The identifier a one-identifier signer hashes (`limits.identifier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierLimit {
    /// It hashes `user_id` only.
    UserId,
    /// It hashes `email` only.
    Email,
}

impl IdentifierLimit {
    /// The field's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierLimit::UserId => "user_id",
            IdentifierLimit::Email => "email",
        }
    }

    /// The limit naming this field (`user_id` or `email`).
    pub fn parse(name: &str) -> Option<IdentifierLimit> {
        [IdentifierLimit::UserId, IdentifierLimit::Email].into_iter().find(|l| l.as_str() == name)
    }
}

/// What an implementation's API cannot express, declared in `hello` as `limits` (or, for a one-shot signer,
/// by `--declare-*` flags). Unknown keys and values are refused with a message naming them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// `"secret": "text"`: the secret is taken only as text (UTF-8 without NUL).
    #[serde(rename = "secret", serialize_with = "secret_text", skip_serializing_if = "std::ops::Not::not")]
    pub secret_text: bool,
    /// `"identifier"`: the one identifier the signer hashes (the application chooses it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<IdentifierLimit>,
    /// Free text quoted in reports beside the declaration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn secret_text<S: serde::Serializer>(_: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("text")
}

impl Limits {
    /// Keys `limits` may carry.
    pub const KEYS: [&'static str; 3] = ["secret", "identifier", "note"];

    /// True when nothing is declared (a note alone declares nothing).
    pub fn is_empty(&self) -> bool {
        !self.secret_text && self.identifier.is_none()
    }

    /// Reads `limits` from its JSON value, with a message naming any unknown key or value.
    pub fn from_value(value: &serde_json::Value) -> Result<Limits, String> {
        let Some(map) = value.as_object() else {
            return Err(format!("hello's limits must be an object, not {value}"));
        };
        let mut limits = Limits::default();
        for (key, v) in map {
            match key.as_str() {
                "secret" => match v.as_str() {
                    Some("text") => limits.secret_text = true,
                    _ => return Err(format!("hello's limits: secret must be \"text\", not {v}")),
                },
                "identifier" => match v.as_str().and_then(IdentifierLimit::parse) {
                    Some(l) => limits.identifier = Some(l),
                    None => {
                        return Err(format!("hello's limits: identifier must be \"user_id\" or \"email\", not {v}"))
                    }
                },
                "note" => match v.as_str() {
                    Some(text) => limits.note = Some(text.to_string()),
                    None => return Err(format!("hello's limits: note must be a string, not {v}")),
                },
                other => {
                    return Err(format!(
                        "hello's limits: unknown key {other:?} (known: {}; docs/PROTOCOL.md, \"Declared limits\")",
                        Limits::KEYS.join(", ")
                    ))
                }
            }
        }
        Ok(limits)
    }

    /// The declaration in a few words, as reports quote it: `secret text only`, `identifier user_id only`,
    /// then the note when there is one.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.secret_text {
            parts.push("secret text only".to_string());
        }
        if let Some(id) = self.identifier {
            parts.push(format!("identifier {} only", id.as_str()));
        }
        let mut text = parts.join(", ");
        if let Some(note) = &self.note {
            text.push_str(&format!("; note: {note}"));
        }
        text
    }
}

impl<'de> Deserialize<'de> for Limits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Limits::from_value(&value).map_err(serde::de::Error::custom)
    }
}

/// A response. `seq` echoes the request; the body depends on the request type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// Answer to `hello`.
    Hello {
        /// Echoed sequence number.
        seq: u64,
        /// Who the implementation is and what it claims.
        #[serde(flatten)]
        hello: Hello,
    },
    /// Answer to `hmac`.
    Hmac {
        /// Echoed sequence number.
        seq: u64,
        /// The 32-byte tag, hex.
        tag_hex: String,
    },
    /// Answer to `sign`: a hash (with, optionally, the identifier used) or an error class.
    Sign {
        /// Echoed sequence number.
        seq: u64,
        /// The `user_hash`, when one was produced (`null` or absent with no `error`: no hash produced, a
        /// refusal of unknown class).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_hash: Option<String>,
        /// Optional intermediate: `user_id` or `email`, which field was hashed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identifier_source: Option<String>,
        /// Optional intermediate: the exact HMAC message, hex.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identifier_hex: Option<String>,
        /// The error class (`no_identifier`, `empty_secret`) when no hash was produced.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Answer to `verify`.
    Verify {
        /// Echoed sequence number.
        seq: u64,
        /// `accept` or `reject`.
        result: String,
        /// For accept: `visitor` or `user`.
        #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
        as_: Option<String>,
        /// For a user: whether the hash matched.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verified: Option<bool>,
        /// For a user: which field identified them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identifier_source: Option<String>,
        /// For a user: the identifier's bytes, hex.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identifier_hex: Option<String>,
        /// For reject: the class.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Answer to `sign_jwt`: a token or an error class.
    SignJwt {
        /// Echoed sequence number.
        seq: u64,
        /// The compact token, when one was produced.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// The error class (`no_identifier`, `empty_secret`) when no token was produced.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Answer to `bye`.
    Bye {
        /// Echoed sequence number.
        seq: u64,
    },
    /// The implementation could not handle the request (unsupported type, bad input it cannot parse).
    Error {
        /// Echoed sequence number (0 if the request could not be read at all).
        seq: u64,
        /// What went wrong, for people.
        message: String,
    },
}

impl Response {
    /// A `verify` answer: accepted as a visitor.
    pub fn visitor(seq: u64) -> Self {
        Response::Verify {
            seq,
            result: "accept".into(),
            as_: Some("visitor".into()),
            verified: None,
            identifier_source: None,
            identifier_hex: None,
            reason: None,
        }
    }

    /// A `verify` answer: accepted as a user, with the identifier used (its source and bytes as hex).
    pub fn user(seq: u64, verified: bool, source: &str, identifier_hex: String) -> Self {
        Response::Verify {
            seq,
            result: "accept".into(),
            as_: Some("user".into()),
            verified: Some(verified),
            identifier_source: Some(source.into()),
            identifier_hex: Some(identifier_hex),
            reason: None,
        }
    }

    /// A `verify` answer: rejected with a reason class.
    pub fn reject(seq: u64, reason: &str) -> Self {
        Response::Verify {
            seq,
            result: "reject".into(),
            as_: None,
            verified: None,
            identifier_source: None,
            identifier_hex: None,
            reason: Some(reason.into()),
        }
    }

    /// A `sign` answer: refused with an error class.
    pub fn sign_error(seq: u64, class: &str) -> Self {
        Response::Sign {
            seq,
            user_hash: None,
            identifier_source: None,
            identifier_hex: None,
            error: Some(class.into()),
        }
    }

    /// The echoed sequence number.
    pub fn seq(&self) -> u64 {
        match self {
            Response::Hello { seq, .. }
            | Response::Hmac { seq, .. }
            | Response::Sign { seq, .. }
            | Response::Verify { seq, .. }
            | Response::SignJwt { seq, .. }
            | Response::Bye { seq }
            | Response::Error { seq, .. } => *seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello_with(limits: &str) -> Result<Response, String> {
        let text = format!(
            r#"{{"seq":1,"type":"hello","name":"n","version":"1","language":"py","capabilities":["sign"]{limits}}}"#
        );
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }

    #[test]
    fn hello_limits_are_parsed_and_round_trip() {
        let Ok(Response::Hello { hello, .. }) =
            hello_with(r#","limits":{"secret":"text","identifier":"user_id","note":"str only"}"#)
        else {
            panic!("parses")
        };
        let limits = hello.limits.clone().expect("limits");
        assert!(limits.secret_text);
        assert_eq!(limits.identifier, Some(IdentifierLimit::UserId));
        assert_eq!(limits.describe(), "secret text only, identifier user_id only; note: str only");
        let back = serde_json::to_value(&hello).unwrap();
        assert_eq!(back["limits"], serde_json::json!({"secret": "text", "identifier": "user_id", "note": "str only"}));
        // Absent, null and an empty object declare nothing.
        for none in ["", r#","limits":null"#] {
            let Ok(Response::Hello { hello, .. }) = hello_with(none) else { panic!("{none}") };
            assert_eq!(hello.limits, None, "{none}");
        }
        let Ok(Response::Hello { hello, .. }) = hello_with(r#","limits":{"identifier":"email"}"#) else { panic!() };
        assert_eq!(hello.limits.unwrap().describe(), "identifier email only");
    }

    #[test]
    fn unknown_limits_keys_and_values_are_refused_by_name() {
        for (limits, want) in [
            (r#","limits":{"secret":"text","hash_case":"upper"}"#, "unknown key \"hash_case\""),
            (r#","limits":{"secret":"bytes"}"#, "secret must be \"text\", not \"bytes\""),
            (r#","limits":{"identifier":"both"}"#, "identifier must be \"user_id\" or \"email\", not \"both\""),
            (r#","limits":{"note":3}"#, "note must be a string"),
            (r#","limits":["secret"]"#, "limits must be an object"),
        ] {
            let err = hello_with(limits).expect_err(limits);
            assert!(err.contains(want), "{limits}: {err}");
        }
    }

    #[test]
    fn a_sign_answer_with_a_null_hash_and_no_error_is_no_hash() {
        let r: Response = serde_json::from_str(r#"{"seq":4,"type":"sign","user_hash":null}"#).unwrap();
        assert_eq!(
            r,
            Response::Sign { seq: 4, user_hash: None, identifier_source: None, identifier_hex: None, error: None }
        );
    }
}
