//! HMAC-SHA256 (S1) and the keyed signer that precomputes a secret's HMAC state once.
//!
//! The computation itself lives in `fastmac` (pad midstates, in-place padding), which compresses on `shani`
//! (the x86 SHA extensions, the crate's only `unsafe` code) when the CPU has them; `fastmac`'s proptests check
//! every path against RustCrypto's `Hmac<Sha256>`. Both are private: this module is their API. The hex form
//! of a tag is written here too ([`encode_tag_into`], SIMD when present); the portable encoders and every
//! decoder are in [`crate::hex`], which depends on nothing here.

mod fastmac;
#[allow(unsafe_code)]
mod shani;

use crate::hex::{encode_words_into, TAG_HEX_LEN};
use fastmac::Midstates;
use shani::ShaNi;
use subtle::ConstantTimeEq;

/// The longest message whose inner hash is one block after the key's pad block (55 bytes + 0x80 + length):
/// up to this length a tag costs two compression blocks, the hardware floor of HMAC-SHA256 with a reused key.
pub const SHORT_MAX: usize = 55;

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

/// Lowercase hex of a 32-byte tag, on the fastest encoder this CPU has (SSSE3 shuffles when present).
pub fn encode_tag_into(tag: &[u8; 32], out: &mut [u8; TAG_HEX_LEN]) {
    let mut words = [0u32; 8];
    for (w, b) in words.iter_mut().zip(tag.chunks_exact(4)) {
        *w = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    }
    match ShaNi::detect() {
        Some(t) => t.hex_words(&words, out),
        None => encode_words_into(&words, out),
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
    use crate::hex::encode_lower;
    use proptest::prelude::*;

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

    proptest! {
        #[test]
        fn the_tag_encoder_matches_the_portable_one(tag in any::<[u8; 32]>()) {
            let mut out = [0u8; TAG_HEX_LEN];
            encode_tag_into(&tag, &mut out);
            prop_assert_eq!(std::str::from_utf8(&out).unwrap(), encode_lower(&tag));
        }
    }
}
