//! `hmac_sha256.json`: RFC 4231's HMAC-SHA-256 cases (tags copied from the RFC, checked here against the
//! reference and in CI against Python and OpenSSL) and key/message edge cases.

use crate::definition::meta;
use ivconform_core::hex::encode_lower;
use ivconform_core::mac::hmac_sha256;
use ivconform_core::Rule::S1;
use ivconform_vectors::model::{Flag, HmacCase};

fn case(id: &str, comment: &str, flags: &[Flag], key: &[u8], msg: &[u8]) -> HmacCase {
    HmacCase {
        meta: meta(id, comment, &[S1], flags),
        key_hex: encode_lower(key),
        msg_hex: encode_lower(msg),
        tag_hex: encode_lower(&hmac_sha256(key, msg)),
        tag_bits: 256,
    }
}

/// An RFC 4231 case: the published tag (hex, possibly truncated) must match what the reference computes.
fn rfc(n: u32, comment: &str, key: &[u8], msg: &[u8], published: &str) -> Result<HmacCase, String> {
    let computed = encode_lower(&hmac_sha256(key, msg));
    if !computed.starts_with(published) {
        return Err(format!("rfc4231-case-{n}: the reference computes {computed}, RFC 4231 publishes {published}"));
    }
    Ok(HmacCase {
        meta: meta(&format!("rfc4231-case-{n}"), comment, &[S1], &[Flag::Rfc4231]),
        key_hex: encode_lower(key),
        msg_hex: encode_lower(msg),
        tag_hex: published.into(),
        tag_bits: (published.len() * 4) as u32,
    })
}

/// Every case of the file.
pub(super) fn cases() -> Result<Vec<HmacCase>, String> {
    let aa131 = [0xaa; 131];
    let mut v = vec![
        rfc(1, "RFC 4231 test case 1: 20-byte key, 'Hi There'.", &[0x0b; 20], b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")?,
        rfc(2, "RFC 4231 test case 2: a key shorter than the output ('Jefe').", b"Jefe", b"what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")?,
        rfc(3, "RFC 4231 test case 3: combined length of key and data larger than 64 bytes.", &[0xaa; 20], &[0xdd; 50], "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")?,
        rfc(4, "RFC 4231 test case 4: 25-byte key 0x01..0x19, 50 bytes 0xcd.", &(1..=25).collect::<Vec<u8>>(), &[0xcd; 50], "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")?,
        rfc(5, "RFC 4231 test case 5: output truncated to 128 bits (compare the first 16 bytes).", &[0x0c; 20], b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b")?,
        rfc(6, "RFC 4231 test case 6: 131-byte key, longer than the block, hashed first.", &aa131, b"Test Using Larger Than Block-Size Key - Hash Key First", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")?,
        rfc(7, "RFC 4231 test case 7: 131-byte key and data longer than the block.", &aa131, b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.", "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")?,
    ];
    use Flag::*;
    let k = b"Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr";
    v.extend([
        case("hmac-empty-key-empty-message", "HMAC itself allows an empty key and message (the signer refuses an empty secret, not the primitive).", &[KeyHandling], b"", b""),
        case("hmac-empty-message", "An empty message under a real secret: the tag a signer must never send for a missing identifier.", &[Functionality], k, b""),
        case("hmac-key-63-bytes", "A key one byte short of the 64-byte block: zero-padded, not hashed.", &[KeyHandling], &[0x5c; 63], b"user-42"),
        case("hmac-key-64-bytes", "A key exactly one block long: used as is.", &[KeyHandling], &[0x5c; 64], b"user-42"),
        case("hmac-key-65-bytes", "A key one byte past the block: hashed with SHA-256 first.", &[KeyHandling], &[0x5c; 65], b"user-42"),
        case("hmac-key-trailing-zero-short", "Key 'secret' followed by one zero byte: within a block, zero padding makes it equal to 'secret' (an HMAC property, not a bug).", &[KeyHandling], b"secret\0", b"user-42"),
        case("hmac-key-no-trailing-zero", "Key 'secret' alone: the same tag as with a trailing zero byte.", &[KeyHandling], b"secret", b"user-42"),
        case("hmac-key-trailing-zero-long", "A 65-byte key ending in a zero byte: hashed first, so the zero byte matters.", &[KeyHandling], &[b"k".repeat(64).as_slice(), &[0]].concat(), b"user-42"),
        case("hmac-key-64-bytes-long-key-pair", "The 64-byte key that equals the trailing-zero 65-byte key without its zero byte: a different tag.", &[KeyHandling], &b"k".repeat(64), b"user-42"),
        case("hmac-key-hex-looking", "A key of ASCII hex digits is used as its ASCII bytes, never hex-decoded.", &[KeyHandling], b"8f14e45fceea167a5a36dedd4bea2543", b"user-42"),
        case("hmac-key-hex-decoded-contrast", "The 16 bytes that a hex-decoding bug would use instead: a different tag.", &[KeyHandling], &[0x8f, 0x14, 0xe4, 0x5f, 0xce, 0xea, 0x16, 0x7a, 0x5a, 0x36, 0xde, 0xdd, 0x4b, 0xea, 0x25, 0x43], b"user-42"),
        case("hmac-key-message-order", "Key 'user-42' and message the secret: what an implementation that swaps key and message computes.", &[KeyHandling], b"user-42", k),
        case("hmac-message-55-bytes", "A 55-byte message: the longest that fits one padded block with its length.", &[Functionality], k, &[b'a'; 55]),
        case("hmac-message-56-bytes", "A 56-byte message: padding spills into a second block.", &[Functionality], k, &[b'a'; 56]),
        case("hmac-message-64-bytes", "A message of exactly one block.", &[Functionality], k, &[b'a'; 64]),
        case("hmac-message-119-bytes", "119 bytes: the longest two-block message.", &[Functionality], k, &[b'a'; 119]),
        case("hmac-message-120-bytes", "120 bytes: padding spills into a third block.", &[Functionality], k, &[b'a'; 120]),
        case("hmac-message-1024-bytes", "A message as long as the longest accepted identifier.", &[Functionality], k, &[b'z'; 1024]),
        case("hmac-message-binary", "Every byte value once: the message is raw bytes, not text.", &[Encoding], k, &(0..=255).collect::<Vec<u8>>()),
        case("hmac-key-binary", "A key with every byte value once (256 bytes, hashed first).", &[KeyHandling], &(0..=255).collect::<Vec<u8>>(), b"user-42"),
    ]);
    Ok(v)
}
