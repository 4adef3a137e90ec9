//! A workspace configuration, a platform and a boot payload (raw, or built from identifiers, hash forms, extra
//! keys and nesting) into the verifier: its decision fits V1–V8, and only the right HMAC verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ivconform_fuzzing::targets::verify(data);
});
