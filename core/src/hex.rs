//! Hex encoding of MAC tags: lowercase out (S1), either case in (V6), nothing else accepted.
//!
//! Portable and self-contained (it uses nothing else of the crate). The SIMD encoder of a tag,
//! [`encode_tag_into`](crate::mac::encode_tag_into), lives with the SHA-NI code in [`crate::mac`].

/// Length in characters of a hex-encoded HMAC-SHA256 tag.
pub const TAG_HEX_LEN: usize = 64;

const LOWER: &[u8; 16] = b"0123456789abcdef";

/// The eight lowercase hex digits of a 32-bit word, most significant first: branch-free and table-free
/// (SWAR: the nibbles are spread one per byte of a `u64`, then turned into ASCII all at once).
#[inline(always)]
fn hex8(word: u32) -> [u8; 8] {
    let mut x = u64::from(word);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    // 1 in each byte whose nibble is 10..15, which then moves from '0'+n to 'a'+(n-10): 0x27 further.
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (x + 0x3030_3030_3030_3030 + letters * 0x27).to_be_bytes()
}

/// Writes the lowercase hex of `bytes` into `out` (which must be twice as long); no allocation, for hot paths.
pub fn encode_lower_into(bytes: &[u8], out: &mut [u8]) {
    assert_eq!(out.len(), bytes.len() * 2, "hex output buffer has the wrong length");
    let mut words = bytes.chunks_exact(4);
    let mut outs = out.chunks_exact_mut(8);
    for (o, w) in (&mut outs).zip(&mut words) {
        o.copy_from_slice(&hex8(u32::from_be_bytes([w[0], w[1], w[2], w[3]])));
    }
    for (pair, b) in outs.into_remainder().chunks_exact_mut(2).zip(words.remainder()) {
        pair[0] = LOWER[usize::from(b >> 4)];
        pair[1] = LOWER[usize::from(b & 0x0f)];
    }
}

/// Lowercase hex of eight words as their big-endian bytes (a SHA-256 state as its digest), portably.
pub(crate) fn encode_words_into(words: &[u32; 8], out: &mut [u8; TAG_HEX_LEN]) {
    for (o, w) in out.chunks_exact_mut(8).zip(words) {
        o.copy_from_slice(&hex8(*w));
    }
}

/// Lowercase hex of arbitrary bytes (S1's output form).
pub fn encode_lower(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    encode_lower_into(bytes, &mut out);
    // Only ASCII hex digits were written.
    String::from_utf8(out).expect("hex digits are ASCII")
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex of any length in either case; `None` on an odd length or a non-hex character.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes.chunks_exact(2).map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

/// Decodes a supplied `user_hash` as V6 demands: exactly 64 hex characters, either case, nothing around them.
///
/// The outcome depends only on the *form* of the text (length, alphabet), never on how close it is to the
/// expected tag, so it may branch freely; the comparison itself happens in constant time elsewhere.
pub fn decode_tag(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != TAG_HEX_LEN {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, p) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *o = nibble(p[0])? << 4 | nibble(p[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_every_non_hex_form() {
        let good = "ab".repeat(32);
        assert!(decode_tag(&good).is_some());
        assert!(decode_tag(&good.to_uppercase()).is_some());
        assert!(decode_tag(&good[..63]).is_none());
        assert!(decode_tag(&format!("{good}a")).is_none());
        assert!(decode_tag(&format!(" {}", &good[1..])).is_none());
        assert!(decode_tag(&format!("g{}", &good[1..])).is_none());
        assert!(decode_tag(&format!("0x{}", &good[2..])).is_none());
        assert_eq!(decode("0A1b"), Some(vec![0x0a, 0x1b]));
        assert_eq!(decode("abc"), None);
    }

    proptest! {
        #[test]
        fn fast_encoders_match_the_table(bytes in proptest::collection::vec(any::<u8>(), 0..80), tag in any::<[u8; 32]>()) {
            let simple: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            prop_assert_eq!(encode_lower(&bytes), simple);
            let mut out = [0u8; TAG_HEX_LEN];
            let mut words = [0u32; 8];
            for (w, b) in words.iter_mut().zip(tag.chunks_exact(4)) {
                *w = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            }
            encode_words_into(&words, &mut out);
            prop_assert_eq!(std::str::from_utf8(&out).unwrap(), encode_lower(&tag));
        }

        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let text = encode_lower(&bytes);
            prop_assert!(text.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
            prop_assert_eq!(decode(&text), Some(bytes.clone()));
            prop_assert_eq!(decode(&text.to_uppercase()), Some(bytes));
        }
    }
}
