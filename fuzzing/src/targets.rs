//! The fuzz targets' bodies, one function per target: each decodes the fuzzer's bytes ([`crate::input`]) and
//! asserts the properties ([`crate::invariants`]), panicking on a violation. `fuzz/fuzz_targets/<name>.rs` is
//! one call to the function of the same name, and the replay test (`fuzzing/tests/replay.rs`) runs every
//! corpus file and saved reproducer through [`TARGETS`].

use crate::input::jwt::decode_jwt;
use crate::input::{decode_json, decode_sign, decode_verify};
use crate::invariants;

/// A fuzz target's body: panics on a violated property.
pub type Target = fn(&[u8]);

/// The fuzz targets by name (the names of `fuzz/fuzz_targets/*.rs` and `fuzz/corpus/*`), for the replay test.
pub const TARGETS: [(&str, Target); 5] = [
    ("payload_parse", payload_parse),
    ("verify", verify),
    ("sign", sign),
    ("json_self_differential", json_self_differential),
    ("jwt", jwt),
];

/// Target `payload_parse`: raw bytes into the payload parser ([`invariants::payload_round_trip`]).
pub fn payload_parse(data: &[u8]) {
    invariants::payload_round_trip(data);
}

/// Target `verify`: a configuration, a platform and a payload ([`invariants::verify_properties`]).
pub fn verify(data: &[u8]) {
    let case = decode_verify(data);
    invariants::verify_properties(&case.config, case.platform, &case.payload);
}

/// Target `sign`: a secret, identifiers and more messages ([`invariants::sign_properties`]).
pub fn sign(data: &[u8]) {
    let input = decode_sign(data);
    invariants::sign_properties(&input.secret, &input.identifiers, &input.batch);
}

/// Target `json_self_differential`: one JSON value in several shapes ([`invariants::json_shapes_agree`]).
pub fn json_self_differential(data: &[u8]) {
    invariants::json_shapes_agree(&decode_json(data));
}

/// Target `jwt`: a secret, a token (raw, or built with the mistakes J1–J3 name), a current time and
/// clear-text identifiers ([`invariants::jwt_properties`]).
pub fn jwt(data: &[u8]) {
    let input = decode_jwt(data);
    let rotation = data.iter().fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
    invariants::jwt_properties(input.secret.as_deref(), &input.token, input.now, &input.clear, rotation);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_tokens_reach_every_class() {
        let mut seen = std::collections::BTreeSet::new();
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..3000 {
            let mut data = vec![4 | 2 | 1, 0, 0, 0, 0x6b, 0, 0, 0, 0, 4];
            data.extend_from_slice(b"key!");
            data.push(0);
            data.extend((0..64).map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng as u8
            }));
            let input = decode_jwt(&data);
            let got = ivconform_core::jwt::verify_token(input.secret.as_deref(), &input.token, input.now);
            seen.insert(got.map_or_else(|e| e.reason().as_str(), |_| "valid"));
            jwt(&data);
        }
        assert!(seen.len() >= 3, "built tokens reach only {seen:?}");
    }
}
