//! Identifier selection (S2, P3, S4): which of `user_id` and `email` a hash is computed over, and its exact bytes.

use std::fmt;

/// Largest integer magnitude a `user_id` may have: 2^53 − 1, beyond which JavaScript numbers round (P3).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// A `user_id` as sent: a string, or an integer within ±(2^53 − 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserId {
    /// A JSON string `user_id`.
    Text(String),
    /// A JSON integer `user_id`, already checked to lie within ±(2^53 − 1).
    Integer(i64),
}

impl UserId {
    /// Makes an integer user id, or `None` when JavaScript could not represent it exactly (P3).
    pub fn integer(value: i64) -> Option<UserId> {
        (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&value).then_some(UserId::Integer(value))
    }

    /// Present in the sense of P3: a non-empty string, or any (safe) integer, zero included.
    pub fn is_present(&self) -> bool {
        match self {
            UserId::Text(s) => !s.is_empty(),
            UserId::Integer(_) => true,
        }
    }

    /// The text that gets hashed: the string itself, or the integer's canonical decimal (S4).
    pub fn canonical_text(&self) -> String {
        match self {
            UserId::Text(s) => s.clone(),
            UserId::Integer(n) => n.to_string(),
        }
    }
}

/// The identifiers a signer is given or a payload carries; absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identifiers {
    /// `user_id`, if the key was sent with a non-null value.
    pub user_id: Option<UserId>,
    /// `email`, if the key was sent with a non-null value.
    pub email: Option<String>,
}

/// Which field the identifier was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The `user_id` field.
    UserId,
    /// The `email` field.
    Email,
}

impl Source {
    /// The field name, as used in payloads and vectors.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::UserId => "user_id",
            Source::Email => "email",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identifier S2 selects: its source and the exact text whose UTF-8 bytes are the HMAC message (S3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// Where it came from.
    pub source: Source,
    /// The identifier text, exactly as sent (integers in canonical decimal).
    pub text: String,
}

impl Selected {
    /// The HMAC message: the identifier's UTF-8 bytes, untouched (S3).
    pub fn message(&self) -> &[u8] {
        self.text.as_bytes()
    }
}

impl Identifiers {
    /// Applies S2 with P3's presence rule: `user_id` if present, else `email` if present, else nothing.
    pub fn select(&self) -> Option<Selected> {
        if let Some(id) = self.user_id.as_ref().filter(|id| id.is_present()) {
            return Some(Selected { source: Source::UserId, text: id.canonical_text() });
        }
        self.email.as_ref().filter(|e| !e.is_empty()).map(|e| Selected { source: Source::Email, text: e.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(user_id: Option<UserId>, email: Option<&str>) -> Identifiers {
        Identifiers { user_id, email: email.map(str::to_string) }
    }

    #[test]
    fn precedence_and_presence() {
        let both = ids(Some(UserId::Text("u1".into())), Some("a@b.c"));
        assert_eq!(both.select().unwrap().source, Source::UserId);
        let zero = ids(UserId::integer(0), Some("a@b.c"));
        assert_eq!(zero.select().unwrap().text, "0");
        let empty = ids(Some(UserId::Text(String::new())), Some("a@b.c"));
        assert_eq!(empty.select().unwrap().source, Source::Email);
        assert_eq!(ids(Some(UserId::Text(String::new())), Some("")).select(), None);
        assert_eq!(ids(UserId::integer(-3), None).select().unwrap().text, "-3");
        assert!(UserId::integer(MAX_SAFE_INTEGER).is_some());
        assert!(UserId::integer(MAX_SAFE_INTEGER + 1).is_none());
        assert!(UserId::integer(-MAX_SAFE_INTEGER - 1).is_none());
    }
}
