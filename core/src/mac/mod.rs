//! HMAC-SHA256 (S1) and the keyed signer that precomputes a secret's HMAC state once.
//!
//! The computation itself lives in [`crate::fastmac`] (pad midstates, in-place padding, SHA-NI when
//! present); its proptests check every path against RustCrypto's `Hmac<Sha256>`.

use crate::fastmac::Midstates;
use crate::hex::TAG_HEX_LEN;
use subtle::ConstantTimeEq;

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
/// afterwards costs only the message's compression blocks (the throughput path for servers and benches):
/// two blocks for a message of up to 55 bytes, no allocation.
#[derive(Clone)]
pub struct Keyed {
    state: Midstates,
}

impl Keyed {
    /// Precomputes the HMAC state for `key` (keys longer than 64 bytes are hashed first, as RFC 2104 says).
    pub fn new(key: &[u8]) -> Self {
        Keyed { state: Midstates::new(key) }
    }

    /// The tag of `message` under this key.
    pub fn mac(&self, message: &[u8]) -> Tag {
        self.state.tag(message)
    }

    /// The tag of `message` as lowercase hex, written into `out` (no allocation).
    pub fn mac_hex_into(&self, message: &[u8], out: &mut [u8; TAG_HEX_LEN]) {
        self.state.hex_into(message, out)
    }

    /// The tags of many messages as lowercase hex, `out[i]` for `messages[i]` (the lengths must match).
    /// Independent messages are interleaved on CPUs with SHA-NI, so each costs less than one [`Keyed::mac`].
    pub fn mac_hex_many<M: AsRef<[u8]>>(&self, messages: &[M], out: &mut [[u8; TAG_HEX_LEN]]) {
        self.state.hex_many(messages, out)
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
