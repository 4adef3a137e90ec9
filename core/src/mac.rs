//! HMAC-SHA256 (S1) and the keyed signer that precomputes a secret's HMAC state once.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Length in bytes of an HMAC-SHA256 tag.
pub const TAG_LEN: usize = 32;

/// A 32-byte HMAC-SHA256 tag.
pub type Tag = [u8; TAG_LEN];

/// One-shot HMAC-SHA256 (RFC 2104); any key length is allowed here, the empty-secret rule lives in `sign`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Tag {
    Keyed::new(key).mac(message)
}

/// Compares two tags in constant time (V6, V9): the time taken does not depend on where they differ.
pub fn tags_equal(a: &Tag, b: &Tag) -> bool {
    a.ct_eq(b).into()
}

/// HMAC-SHA256 keyed once: the inner and outer pad states are computed at construction, so each MAC
/// afterwards costs only the message's compression blocks (the throughput path for servers and benches).
#[derive(Clone)]
pub struct Keyed {
    state: HmacSha256,
}

impl Keyed {
    /// Precomputes the HMAC state for `key` (keys longer than 64 bytes are hashed first, as RFC 2104 says).
    pub fn new(key: &[u8]) -> Self {
        // `new_from_slice` accepts every key length for HMAC; the error type exists only for fixed-key MACs.
        let state = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
        Keyed { state }
    }

    /// The tag of `message` under this key.
    pub fn mac(&self, message: &[u8]) -> Tag {
        let mut state = self.state.clone();
        state.update(message);
        state.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for Keyed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyed(<secret redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_matches_one_shot_and_tags_compare() {
        let k = Keyed::new(b"key");
        let t = k.mac(b"The quick brown fox jumps over the lazy dog");
        assert_eq!(t, hmac_sha256(b"key", b"The quick brown fox jumps over the lazy dog"));
        assert!(tags_equal(&t, &t));
        let mut u = t;
        u[31] ^= 1;
        assert!(!tags_equal(&t, &u));
    }
}
