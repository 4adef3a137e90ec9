//! Raw bytes into the boot-payload parser: no panic, and accepted payloads round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ivconform_fuzzing::targets::payload_parse(data);
});
