//! The constant-time suite (`ivconform timing`, rule V9): does the time a verification takes depend on how
//! much of the supplied hash is right?
//!
//! Up to three class pairs, every measurement of a wrong hash or a wrong token signature:
//! * pair 1 (byte position): class A is right in every byte but the last, class B is wrong in the first;
//! * pair 2 (first hex character): class A has the first character right and the second wrong, class B the
//!   first character wrong;
//! * pair 3 (JWT signature, J1): an HS256 token whose signature is right in every byte but the last (A) or
//!   wrong in the first (B), measured where the implementation verifies tokens (over HTTP/stdio when its
//!   `hello` claims `verify_jwt`, over FFI when the library exports `ivc_verify_jwt_raw`).
//!
//! A wrong character is replaced by another of the same kind (digit by digit, letter by letter), so both
//! classes decode the same way and differ only in *where* the hash goes wrong; a wrong signature byte is
//! re-encoded as canonical base64url, so both classes' tokens have the same length and decode the same way. Classes are drawn at random
//! per measurement, and each batch's inputs for all classes are generated into one shared buffer before any
//! is measured (separate pools per class were seen to produce false positives).
//!
//! [`stats`] holds the statistics (dudect's Welch t on raw and cropped timings, and a decile comparison);
//! [`ffi`] measures a library's `ivc_verify_raw` inside a disposable child process, next to built-in
//! controls; [`wire`] measures round trips of `verify` messages over HTTP or stdio next to control servers
//! ([`control`]) with known injected delays, which measure the detection floor.

pub mod control;
pub mod ffi;
pub mod report;
pub mod stats;
pub mod stopping;
pub mod wire;

use ivconform_core::hex::{decode_tag, encode_lower_into};
use ivconform_core::mac::{tags_equal, Keyed};

/// Length of the generated identifiers (bytes).
pub const MSG_LEN: usize = 16;

/// The class pairs, for reports (a run measures the first two, or all three with JWT).
pub const PAIRS: [&str; 3] = [
    "pair 1: A right but the last byte, B wrong in the first byte",
    "pair 2: A first hex character right, B first hex character wrong",
    "pair 3: JWT signature A wrong in the last byte, B in the first",
];

/// The index of the JWT signature pair in [`PAIRS`] (class codes `2 * JWT_PAIR` and `2 * JWT_PAIR + 1`).
pub const JWT_PAIR: usize = 2;

/// The hash pairs (1 and 2), as [`PAIRS`] indices: what a verifier of `user_hash` alone is timed on.
pub const HASH_PAIRS: [usize; 2] = [0, 1];

/// Every pair: a verifier of `user_hash` and of tokens.
pub const ALL_PAIRS: [usize; 3] = [0, 1, JWT_PAIR];

/// What "every |t| <= threshold on ..." says for a set of pairs.
pub fn pairs_phrase(ids: &[usize]) -> String {
    match ids {
        [one] => format!("pair {}", one + 1),
        [_, _] => "both pairs".into(),
        _ => "all three pairs".into(),
    }
}

/// The header of every timed token, base64url: `{"alg":"HS256","typ":"JWT"}` (the reference signer's).
const JWT_HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// SplitMix64: a small seeded generator for inputs and class order (reproducible by `--seed`).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for `seed` and a stream label (so different uses of one seed do not correlate).
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut r = SplitMix64(seed ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// One batch of inputs: per measurement a class code (pair = code / 2, class = code % 2), an identifier
/// and the supplied hash (or, for the JWT pair, the supplied token), all in shared contiguous buffers.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Class codes.
    pub codes: Vec<u8>,
    /// Identifiers, `MSG_LEN` bytes each.
    pub msgs: Vec<u8>,
    /// Supplied hashes, 64 lowercase hex characters each (for JWT codes: a wrong hash, never sent).
    pub hashes: Vec<u8>,
    /// Supplied tokens, [`TOKEN_LEN`] bytes each, when the batch has the JWT pair (else empty).
    pub tokens: Vec<u8>,
}

/// Length of a timed token: the header, `{"user_id":"<MSG_LEN bytes>"}` and a 32-byte signature, each
/// base64url without padding (`ceil(4n / 3)` characters for `n` bytes), joined by dots.
pub const TOKEN_LEN: usize =
    JWT_HEADER_B64.len() + 1 + (4 * (MSG_LEN + 14)).div_ceil(3) + 1 + (4 * 32usize).div_ceil(3);

impl Batch {
    /// Measurements in the batch.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether the batch has no measurement.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The identifier of measurement `i`.
    pub fn msg(&self, i: usize) -> &[u8] {
        &self.msgs[i * MSG_LEN..(i + 1) * MSG_LEN]
    }

    /// The supplied hash of measurement `i`.
    pub fn hash(&self, i: usize) -> &[u8] {
        &self.hashes[i * 64..(i + 1) * 64]
    }

    /// The supplied token of measurement `i` (a JWT-pair measurement).
    pub fn token(&self, i: usize) -> &[u8] {
        &self.tokens[i * TOKEN_LEN..(i + 1) * TOKEN_LEN]
    }

    /// Whether measurement `i` belongs to the JWT pair.
    pub fn is_jwt(&self, i: usize) -> bool {
        self.codes[i] as usize / 2 == JWT_PAIR
    }
}

/// Another hex digit of the same kind: a digit for a digit, a letter for a letter (so decoding costs the same).
fn same_kind_other(c: u8, r: u64) -> u8 {
    if c.is_ascii_digit() {
        b'0' + ((c - b'0') as u64 + 1 + r % 9) as u8 % 10
    } else {
        b'a' + ((c - b'a') as u64 + 1 + r % 5) as u8 % 6
    }
}

/// The position of the one wrong character for a hash class code (pairs 1 and 2; for the JWT pair, the
/// wrong *signature byte* is [`wrong_signature_byte`]).
pub fn wrong_position(code: u8) -> usize {
    match code {
        0 => 63, // pair 1 A: the last byte wrong (its second character)
        2 => 1,  // pair 2 A: the first character right, the second wrong
        _ => 0,  // classes B: the first character wrong
    }
}

/// The one wrong signature byte of a JWT class code: the last for class A, the first for class B.
pub fn wrong_signature_byte(code: u8) -> usize {
    if code % 2 == 0 {
        31
    } else {
        0
    }
}

/// Generates `n` measurements' inputs of the hash pairs (1 and 2) into one shared buffer: see
/// [`generate_pairs`].
pub fn generate(rng: &mut SplitMix64, key: &Keyed, n: usize) -> Batch {
    generate_pairs(rng, key, n, &HASH_PAIRS)
}

/// Generates `n` measurements' inputs of the class pairs `pairs` ([`PAIRS`] indices) into one shared
/// buffer: random pair and class, random identifier, the right hash (or token signature) computed and then
/// made wrong at the class's position.
pub fn generate_pairs(rng: &mut SplitMix64, key: &Keyed, n: usize, pairs: &[usize]) -> Batch {
    assert!(!pairs.is_empty() && pairs.iter().all(|&p| p < PAIRS.len()), "class pairs of PAIRS: {pairs:?}");
    let with_jwt = pairs.contains(&JWT_PAIR);
    let mut b = Batch {
        codes: vec![0; n],
        msgs: vec![0; n * MSG_LEN],
        hashes: vec![0; n * 64],
        tokens: if with_jwt { vec![0; n * TOKEN_LEN] } else { Vec::new() },
    };
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    for i in 0..n {
        let r = rng.next_u64();
        // With the hash pairs this is `r & 3`: the same classes as before the JWT pair existed.
        let pair = pairs[((r >> 1) % pairs.len() as u64) as usize];
        b.codes[i] = (2 * pair) as u8 + (r & 1) as u8;
        let msg = &mut b.msgs[i * MSG_LEN..(i + 1) * MSG_LEN];
        msg[..2].copy_from_slice(b"u-");
        let mut bits = rng.next_u64();
        for c in &mut msg[2..] {
            *c = ALPHABET[(bits % 36) as usize];
            bits /= 36;
            if bits == 0 {
                bits = rng.next_u64();
            }
        }
        let mut hex = [0u8; 64];
        encode_lower_into(&key.mac(msg), &mut hex);
        let at = wrong_position(b.codes[i]);
        hex[at] = same_kind_other(hex[at], r >> 8);
        b.hashes[i * 64..(i + 1) * 64].copy_from_slice(&hex);
        if with_jwt && b.is_jwt(i) {
            let token = wrong_token(key, b.msg(i), b.codes[i], r >> 8);
            b.tokens[i * TOKEN_LEN..(i + 1) * TOKEN_LEN].copy_from_slice(token.as_bytes());
        }
    }
    b
}

/// An HS256 token for `user_id` whose signature is wrong in one byte ([`wrong_signature_byte`]): that byte
/// XOR-ed with a non-zero value, then encoded as canonical base64url (so it still decodes to 32 bytes).
fn wrong_token(key: &Keyed, user_id: &[u8], code: u8, r: u64) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let mut claims = Vec::with_capacity(MSG_LEN + 14);
    claims.extend_from_slice(br#"{"user_id":""#);
    claims.extend_from_slice(user_id);
    claims.extend_from_slice(br#""}"#);
    let signing_input = format!("{JWT_HEADER_B64}.{}", URL_SAFE_NO_PAD.encode(&claims));
    let mut signature = key.mac(signing_input.as_bytes());
    signature[wrong_signature_byte(code)] ^= 1 + (r % 255) as u8;
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The signature of `ivc_verify_raw` (include/ivconform.h).
pub use ivconform_protocol::abi::VerifyRawFn as VerifyRaw;

/// The signature of `ivc_verify_jwt_raw` (include/ivconform.h).
pub use ivconform_protocol::abi::VerifyJwtRawFn as VerifyJwtRaw;

/// Views the control's arguments as slices.
///
/// # Safety
/// Each pointer must be valid for its length (the measuring loop passes its own buffers).
unsafe fn args<'a>(s: *const u8, sl: usize, m: *const u8, ml: usize, h: *const u8, hl: usize) -> [&'a [u8]; 3] {
    // SAFETY: guaranteed by the caller.
    unsafe { [std::slice::from_raw_parts(s, sl), std::slice::from_raw_parts(m, ml), std::slice::from_raw_parts(h, hl)] }
}

/// Control: the reference's verifier with an early-exit byte compare (returns at the first differing byte).
/// It must be flagged; if it is not, the run could not have seen a leak of that size.
///
/// # Safety
/// Each pointer must be valid for its length.
#[inline(never)]
pub unsafe extern "C" fn control_early_exit(
    s: *const u8,
    sl: usize,
    m: *const u8,
    ml: usize,
    h: *const u8,
    hl: usize,
) -> i32 {
    // SAFETY: the caller's contract.
    let [secret, msg, hash] = unsafe { args(s, sl, m, ml, h, hl) };
    let Some(supplied) = std::str::from_utf8(hash).ok().and_then(decode_tag) else { return 0 };
    let expected = Keyed::new(secret).mac(msg);
    for i in 0..expected.len() {
        // black_box keeps the loop a byte loop: no vectorised compare, one branch per byte.
        if std::hint::black_box(expected[i]) != std::hint::black_box(supplied[i]) {
            return 0;
        }
    }
    1
}

/// Control: the reference's verifier with its constant-time compare (`subtle`). It must pass; if it does
/// not, the setup (inputs, machine, timer) makes differences of its own and no verdict can be trusted.
///
/// # Safety
/// Each pointer must be valid for its length.
#[inline(never)]
pub unsafe extern "C" fn control_constant(
    s: *const u8,
    sl: usize,
    m: *const u8,
    ml: usize,
    h: *const u8,
    hl: usize,
) -> i32 {
    // SAFETY: the caller's contract.
    let [secret, msg, hash] = unsafe { args(s, sl, m, ml, h, hl) };
    let Some(supplied) = std::str::from_utf8(hash).ok().and_then(decode_tag) else { return 0 };
    i32::from(tags_equal(&Keyed::new(secret).mac(msg), &supplied))
}

/// Views a token control's arguments as slices.
///
/// # Safety
/// Each pointer must be valid for its length.
unsafe fn jwt_args<'a>(s: *const u8, sl: usize, t: *const u8, tl: usize) -> [&'a [u8]; 2] {
    // SAFETY: guaranteed by the caller.
    unsafe { [std::slice::from_raw_parts(s, sl), std::slice::from_raw_parts(t, tl)] }
}

/// Control for the JWT pair: the reference's token verifier with an early-exit byte compare of the signature
/// (returns at the first differing byte). It must be flagged on pair 3.
///
/// # Safety
/// Each pointer must be valid for its length.
#[inline(never)]
pub unsafe extern "C" fn control_jwt_early_exit(s: *const u8, sl: usize, t: *const u8, tl: usize) -> i32 {
    // SAFETY: the caller's contract.
    let [secret, token] = unsafe { jwt_args(s, sl, t, tl) };
    let Some(parsed) = std::str::from_utf8(token).ok().and_then(|t| ivconform_core::jwt::parse(t).ok()) else {
        return 0;
    };
    let expected = ivconform_core::jwt::expected_signature(secret, parsed.signing_input);
    if parsed.signature.len() != expected.len() {
        return 0;
    }
    for (e, s) in expected.iter().zip(&parsed.signature) {
        // black_box keeps the loop a byte loop: no vectorised compare, one branch per byte.
        if std::hint::black_box(*e) != std::hint::black_box(*s) {
            return 0;
        }
    }
    let claims = ivconform_core::jwt::Claims::parse(&parsed.claims_json);
    i32::from(claims.and_then(|c| c.check_time(None, ivconform_core::jwt::LEEWAY_SECONDS)).is_ok())
}

/// Control for the JWT pair: the reference's token verifier (its signature compare is `subtle`'s). It must
/// pass pair 3.
///
/// # Safety
/// Each pointer must be valid for its length.
#[inline(never)]
pub unsafe extern "C" fn control_jwt_constant(s: *const u8, sl: usize, t: *const u8, tl: usize) -> i32 {
    // SAFETY: the caller's contract.
    let [secret, token] = unsafe { jwt_args(s, sl, t, tl) };
    let Ok(token) = std::str::from_utf8(token) else { return 0 };
    i32::from(ivconform_core::jwt::verify_token(Some(secret), token, None).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_wrong_exactly_where_they_say() {
        let key = Keyed::new(b"timing secret");
        let batch = generate(&mut SplitMix64::new(1, 2), &key, 2_000);
        let mut seen = [0usize; 4];
        for i in 0..batch.len() {
            let code = batch.codes[i];
            seen[code as usize] += 1;
            let mut right = [0u8; 64];
            encode_lower_into(&key.mac(batch.msg(i)), &mut right);
            let diff: Vec<usize> = (0..64).filter(|&j| right[j] != batch.hash(i)[j]).collect();
            assert_eq!(diff, vec![wrong_position(code)], "code {code}");
            let (a, b) = (right[diff[0]], batch.hash(i)[diff[0]]);
            assert_eq!(a.is_ascii_digit(), b.is_ascii_digit(), "same kind of character");
            assert!(b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
            // Every input is a wrong hash: both controls say no.
            // SAFETY: every pointer is a live local buffer of the length passed.
            let call = |f: VerifyRaw| unsafe {
                f(b"timing secret".as_ptr(), 13, batch.msg(i).as_ptr(), MSG_LEN, batch.hash(i).as_ptr(), 64)
            };
            assert_eq!(call(control_early_exit), 0);
            assert_eq!(call(control_constant), 0);
        }
        // The four classes are drawn about equally often.
        assert!(seen.iter().all(|&n| n > 400), "{seen:?}");
        // The controls accept the right hash.
        let mut right = [0u8; 64];
        encode_lower_into(&key.mac(b"u-abc"), &mut right);
        for f in [control_early_exit as VerifyRaw, control_constant] {
            // SAFETY: every pointer is a live local buffer of the length passed.
            assert_eq!(unsafe { f(b"timing secret".as_ptr(), 13, b"u-abc".as_ptr(), 5, right.as_ptr(), 64) }, 1);
        }
    }

    #[test]
    fn jwt_classes_are_tokens_wrong_in_one_signature_byte_that_the_reference_refuses() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        let secret = b"timing secret";
        let key = Keyed::new(secret);
        let batch = generate_pairs(&mut SplitMix64::new(7, 2), &key, 3_000, &ALL_PAIRS);
        let mut seen = [0usize; 6];
        for i in 0..batch.len() {
            let code = batch.codes[i];
            seen[code as usize] += 1;
            if !batch.is_jwt(i) {
                continue;
            }
            let token = std::str::from_utf8(batch.token(i)).expect("ASCII");
            let [header, claims, signature] = token.split('.').collect::<Vec<_>>()[..] else {
                panic!("three segments: {token}")
            };
            assert_eq!(URL_SAFE_NO_PAD.decode(header).unwrap(), br#"{"alg":"HS256","typ":"JWT"}"#);
            let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
            assert_eq!(claims, serde_json::json!({"user_id": std::str::from_utf8(batch.msg(i)).unwrap()}));
            // Canonical base64url of 32 bytes, wrong in exactly the class's byte.
            let supplied = URL_SAFE_NO_PAD.decode(signature).expect("canonical base64url");
            assert_eq!(URL_SAFE_NO_PAD.encode(&supplied), signature);
            let right = ivconform_core::jwt::expected_signature(secret, &token[..header.len() + 1 + claims_len(token)]);
            let diff: Vec<usize> = (0..32).filter(|&j| right[j] != supplied[j]).collect();
            assert_eq!(diff, vec![wrong_signature_byte(code)], "code {code}");
            // The reference refuses it for its signature, and only for that; so do both controls.
            assert_eq!(
                ivconform_core::jwt::verify_token(Some(secret), token, None).unwrap_err(),
                ivconform_core::jwt::JwtError::SignatureMismatch
            );
            for control in [control_jwt_early_exit as VerifyJwtRaw, control_jwt_constant] {
                // SAFETY: every pointer is a live local buffer of the length passed.
                assert_eq!(unsafe { control(secret.as_ptr(), 13, token.as_ptr(), token.len()) }, 0);
            }
        }
        assert!(seen.iter().all(|&n| n > 400), "{seen:?}");
        // Both controls accept a right token (the reference signer's).
        let claims = ivconform_core::jwt::Claims { user_id: "u-right".into(), email: None, exp: None, nbf: None };
        let right = ivconform_core::jwt::sign_jwt(secret, &claims).unwrap();
        for control in [control_jwt_early_exit as VerifyJwtRaw, control_jwt_constant] {
            // SAFETY: every pointer is a live local buffer of the length passed.
            assert_eq!(unsafe { control(secret.as_ptr(), 13, right.as_ptr(), right.len()) }, 1);
        }
        // Two pairs draw only the hash classes, and no tokens.
        let two = generate_pairs(&mut SplitMix64::new(7, 2), &key, 1_000, &HASH_PAIRS);
        assert!(two.codes.iter().all(|&c| c < 4) && two.tokens.is_empty());
        // The JWT pair alone (a verifier of tokens only): only its two classes.
        let jwt = generate_pairs(&mut SplitMix64::new(7, 2), &key, 1_000, &[JWT_PAIR]);
        assert!(jwt.codes.iter().all(|&c| c == 4 || c == 5) && jwt.codes.contains(&4) && jwt.codes.contains(&5));
    }

    /// The length of a token's claims segment.
    fn claims_len(token: &str) -> usize {
        token.split('.').nth(1).map_or(0, str::len)
    }

    #[test]
    fn the_generator_is_reproducible() {
        let key = Keyed::new(b"k");
        let a = generate(&mut SplitMix64::new(42, 0), &key, 100);
        let b = generate(&mut SplitMix64::new(42, 0), &key, 100);
        let c = generate(&mut SplitMix64::new(43, 0), &key, 100);
        assert_eq!((&a.codes, &a.msgs, &a.hashes), (&b.codes, &b.msgs, &b.hashes));
        assert_ne!(a.hashes, c.hashes);
    }
}
