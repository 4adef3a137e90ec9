//! A secret, a token (raw, or built with J1–J3's mistakes: alg variants, header fields, claim types, exp around
//! now, wrong keys, flipped bits, padding, other alphabets), a current time and clear-text identifiers into JWT
//! mode: no panic; verify_token agrees with an independent reference; a token verifies only if its signature is
//! HMAC-SHA256 of header.claims (and re-signing its claims gives it back); a flipped bit never verifies; the
//! verifier decides as the reference from bytes and parsed, whatever the enforcement and the user_hash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ivconform_fuzzing::targets::jwt(data);
});
