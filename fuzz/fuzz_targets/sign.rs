//! A secret, identifiers and more messages into every signing path: each agrees with HMAC-SHA256 computed
//! directly with the `hmac` and `sha2` crates over the identifier S2 selects.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ivconform_fuzzing::targets::sign(data);
});
