//! Inputs shared by ivconform's benchmarks (`benches/reference.rs`), so every bench measures the same data.

use ivconform_core::hex::encode_lower;
use ivconform_core::mac::hmac_sha256;

/// The production web secret used by the benches (a 40-byte text secret, like real ones).
pub const SECRET: &[u8] = b"Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr";

/// Identifier lengths the benches sweep, in bytes (36 is a UUID).
pub const IDENTIFIER_LENGTHS: [usize; 5] = [16, 36, 64, 256, 1024];

/// An ASCII identifier of exactly `len` bytes.
pub fn identifier(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789-"[i % 37]).collect()
}

/// A typical verified web boot payload for a UUID user.
pub fn typical_payload() -> Vec<u8> {
    let uid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
    let hash = encode_lower(&hmac_sha256(SECRET, uid.as_bytes()));
    format!(
        r#"{{"app_id":"ws_prod","user_id":"{uid}","email":"ann@example.com","user_hash":"{hash}","name":"Ann Lee","created_at":1700000000,"company":{{"company_id":"c1","name":"Acme"}},"plan":"pro"}}"#
    )
    .into_bytes()
}

/// The configuration the verify bench runs under.
pub fn config() -> ivconform_core::Config {
    ivconform_core::Config::from_toml_str(&format!(
        "[apps.ws_prod]\nweb = {{ secret = \"{}\", enforced = true }}\n",
        std::str::from_utf8(SECRET).expect("ASCII")
    ))
    .expect("valid configuration")
}
