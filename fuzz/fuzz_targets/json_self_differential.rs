//! One JSON value in several shapes (member order, whitespace, escaped or raw characters) into the strict
//! parser: the same decision every time, and serde_json reads every accepted text as the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ivconform_fuzzing::targets::json_self_differential(data);
});
