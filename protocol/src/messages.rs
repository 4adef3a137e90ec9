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
        /// The `user_hash`, when one was produced.
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
