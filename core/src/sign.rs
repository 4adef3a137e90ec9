//! Signing in HMAC mode (S1–S5): what a customer's server computes and sends as `user_hash`.

use crate::hex::TAG_HEX_LEN;
use crate::identifier::{Identifiers, Selected};
use crate::mac::Keyed;
use crate::rules::Rule;

/// Why a signer refused to produce a hash; `class()` is the stable name vectors and adapters use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// Neither `user_id` nor `email` is present (S2): never a hash of the empty string.
    #[error("no identifier: neither user_id nor email is present (S2)")]
    NoIdentifier,
    /// The secret is empty (S5).
    #[error("empty secret: the identity-verification secret must not be empty (S5)")]
    EmptySecret,
}

impl SignError {
    /// The stable error class, as written in vectors and protocol messages.
    pub fn class(self) -> &'static str {
        match self {
            SignError::NoIdentifier => "no_identifier",
            SignError::EmptySecret => "empty_secret",
        }
    }

    /// The rule this error enforces.
    pub fn rule(self) -> Rule {
        match self {
            SignError::NoIdentifier => Rule::S2,
            SignError::EmptySecret => Rule::S5,
        }
    }
}

/// A signer's result: the identifier it selected and the 64-character lowercase hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The identifier S2 selected (with its exact message bytes).
    pub identifier: Selected,
    /// `user_hash`: 64 lowercase hex characters (S1).
    pub user_hash: String,
}

/// A signer bound to one secret, with its HMAC state precomputed once (for servers signing many users).
#[derive(Clone, Debug)]
pub struct Signer {
    keyed: Keyed,
}

impl Signer {
    /// Binds a secret (its raw bytes, S5); refuses an empty one.
    pub fn new(secret: &[u8]) -> Result<Self, SignError> {
        if secret.is_empty() {
            return Err(SignError::EmptySecret);
        }
        Ok(Signer { keyed: Keyed::new(secret) })
    }

    /// Lowercase hex HMAC of raw identifier bytes into a caller's buffer: the allocation-free hot path
    /// (two compression blocks for identifiers of up to 55 bytes, hex written straight from the state).
    pub fn hash_into(&self, message: &[u8], out: &mut [u8; TAG_HEX_LEN]) {
        self.keyed.mac_hex_into(message, out);
    }

    /// Lowercase hex HMACs of many raw identifiers, `out[i]` for `messages[i]` (the lengths must match):
    /// the batch path, which interleaves independent messages on CPUs with SHA-NI (throughput rather than
    /// latency), so each hash costs less than one [`Signer::hash_into`].
    ///
    /// # Panics
    /// If `out` and `messages` differ in length.
    pub fn sign_many<M: AsRef<[u8]>>(&self, messages: &[M], out: &mut [[u8; TAG_HEX_LEN]]) {
        self.keyed.mac_hex_many(messages, out);
    }

    /// Lowercase hex HMAC of raw identifier bytes.
    pub fn hash_message(&self, message: &[u8]) -> String {
        let mut out = [0u8; TAG_HEX_LEN];
        self.hash_into(message, &mut out);
        String::from_utf8(out.to_vec()).expect("hex digits are ASCII")
    }

    /// Selects the identifier (S2) and hashes it (S1, S3, S4).
    pub fn sign(&self, ids: &Identifiers) -> Result<Signed, SignError> {
        let identifier = ids.select().ok_or(SignError::NoIdentifier)?;
        let user_hash = self.hash_message(identifier.message());
        Ok(Signed { identifier, user_hash })
    }

    /// The keyed MAC state, for verifiers that compare raw tags.
    pub fn keyed(&self) -> &Keyed {
        &self.keyed
    }
}

/// `user_hash(secret, identifiers)`: the whole of S1–S5 in one call. The empty secret is checked first.
pub fn user_hash(secret: &[u8], ids: &Identifiers) -> Result<Signed, SignError> {
    Signer::new(secret)?.sign(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifier::UserId;

    #[test]
    fn errors_and_precedence() {
        let none = Identifiers::default();
        assert_eq!(user_hash(b"s", &none), Err(SignError::NoIdentifier));
        let ids = Identifiers { user_id: UserId::integer(5678), email: Some("x@y.z".into()) };
        assert_eq!(user_hash(b"", &ids), Err(SignError::EmptySecret));
        let signed = user_hash(b"s", &ids).unwrap();
        assert_eq!(signed.identifier.text, "5678");
        assert_eq!(signed.user_hash.len(), 64);
        assert_eq!(signed.user_hash, crate::hex::encode_lower(&crate::mac::hmac_sha256(b"s", b"5678")));
    }

    #[test]
    fn sign_many_matches_one_by_one() {
        let signer = Signer::new(b"Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr").unwrap();
        let messages: Vec<Vec<u8>> = (0..23).map(|i| vec![b'a' + (i % 26) as u8; i * 7]).collect();
        let mut out = vec![[0u8; TAG_HEX_LEN]; messages.len()];
        signer.sign_many(&messages, &mut out);
        for (m, h) in messages.iter().zip(&out) {
            assert_eq!(std::str::from_utf8(h).unwrap(), signer.hash_message(m));
        }
    }
}
