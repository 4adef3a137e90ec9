//! Properties that must hold for *every* input, asserted by the fuzz targets (`fuzz/`) and replayed by
//! ordinary tests on stable Rust. Each function panics, with a message naming the property, on a violation.

use crate::payload::BootPayload;

/// `payload_parse`: parsing never panics (the caller sees that), and an accepted payload re-serialises to
/// JSON that parses back to the same typed value.
pub fn payload_round_trip(data: &[u8]) {
    if let Ok(parsed) = BootPayload::parse(data) {
        let again = BootPayload::parse(parsed.to_json().as_bytes())
            .unwrap_or_else(|e| panic!("re-serialised payload no longer parses: {e}"));
        assert_eq!(again, parsed, "re-serialised payload parses to a different value");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn holds_on_samples() {
        for s in [&b"{\"app_id\":\"a\",\"user_id\":-0,\"x\":[1.5e3,{\"k\":\"\\u0000\"}]}"[..], b"{", b"[]", b"\xff"] {
            super::payload_round_trip(s);
        }
    }
}
