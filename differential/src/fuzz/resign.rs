//! Keeping a reproducer's `user_hash` right while it shrinks. A disagreement on the verified path needs a
//! hash that matches its identifier, so deleting a byte of the identifier would turn it into a different
//! disagreement, and the shrinker would keep the whole identifier. When the failing payload's hash is the
//! HMAC of its identifier under one of the configured secrets, each shrunk candidate is re-signed with that
//! secret (same hex case, same surroundings: a `sha256=` prefix or a space stays where it was).

use ivconform_core::hex::{decode, encode_lower};
use ivconform_core::mac::hmac_sha256;
use ivconform_core::Config;

/// The secret a payload's `user_hash` was made with, over which identifier, and its hex case.
pub struct HashBinding {
    secret: Vec<u8>,
    over: Over,
    upper: bool,
}

/// Which identifier a hash covers: S2's choice, or the email even when a user_id was sent (a V7 bug).
#[derive(Clone, Copy)]
enum Over {
    Selected,
    Email,
}

impl HashBinding {
    /// The binding of `payload`'s hash to one of `config`'s secrets, if there is one.
    pub fn find(config: &Config, payload: &[u8]) -> Option<HashBinding> {
        let (start, end) = hash_hex_span(payload)?;
        let text = std::str::from_utf8(&payload[start..end]).ok()?;
        let tag = decode(&text.to_ascii_lowercase())?;
        let upper = text.bytes().any(|b| b.is_ascii_uppercase());
        let secrets = || config.apps.values().flat_map(|app| app.platforms.values().filter_map(|p| p.secret.as_ref()));
        [Over::Selected, Over::Email].into_iter().find_map(|over| {
            let identifier = lenient_identifier(payload, over)?;
            secrets()
                .find(|secret| hmac_sha256(secret.expose(), &identifier)[..] == tag[..])
                .map(|secret| HashBinding { secret: secret.expose().to_vec(), over, upper })
        })
    }

    /// `candidate` with its hash recomputed for its own identifier, when it still has both.
    pub fn resign(&self, candidate: &[u8]) -> Option<Vec<u8>> {
        let identifier = lenient_identifier(candidate, self.over)?;
        let (start, end) = hash_hex_span(candidate)?;
        let mut hex = encode_lower(&hmac_sha256(&self.secret, &identifier));
        if self.upper {
            hex.make_ascii_uppercase();
        }
        let mut out = candidate.to_vec();
        out.splice(start..end, hex.into_bytes());
        Some(out)
    }
}

/// An identifier as a lax reader sees it (serde_json: the last of duplicate keys). S2's choice is `user_id`
/// as a non-empty string or an integer's decimal text, else a non-empty `email`.
fn lenient_identifier(payload: &[u8], over: Over) -> Option<Vec<u8>> {
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    let object = value.as_object()?;
    match (over, object.get("user_id")) {
        (Over::Selected, Some(serde_json::Value::String(s))) if !s.is_empty() => return Some(s.as_bytes().to_vec()),
        (Over::Selected, Some(serde_json::Value::Number(n))) if n.is_i64() => return Some(n.to_string().into_bytes()),
        _ => {}
    }
    match object.get("email") {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.as_bytes().to_vec()),
        _ => None,
    }
}

/// The 64 hex characters inside the last `"user_hash"` member's string value.
fn hash_hex_span(payload: &[u8]) -> Option<(usize, usize)> {
    let key = b"\"user_hash\"";
    let k = payload.windows(key.len()).rposition(|w| w == key)? + key.len();
    let colon = k + payload[k..].iter().position(|b| !b.is_ascii_whitespace())?;
    if payload[colon] != b':' {
        return None;
    }
    let open = colon + 1 + payload[colon + 1..].iter().position(|b| !b.is_ascii_whitespace())?;
    if payload[open] != b'"' {
        return None;
    }
    let close = open + 1 + payload[open + 1..].iter().position(|&b| b == b'"' || b == b'\\')?;
    let value = &payload[open + 1..close];
    let mut run = 0;
    for (i, b) in value.iter().enumerate() {
        run = if b.is_ascii_hexdigit() { run + 1 } else { 0 };
        if run == 64 && value.get(i + 1).is_none_or(|n| !n.is_ascii_hexdigit()) {
            let start = open + 1 + i + 1 - 64;
            return Some((start, start + 64));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_toml_str("[apps.ws_prod.web]\nsecret = \"s3cret\"\n[apps.ws_prod.ios]\nsecret = \"other\"\n")
            .unwrap()
    }

    #[test]
    fn a_bound_hash_follows_its_identifier_with_its_case_and_surroundings() {
        let hash = encode_lower(&hmac_sha256(b"other", b"user-123456")).to_ascii_uppercase();
        let payload = format!(r#"{{"app_id":"ws_prod","user_id":"user-123456","user_hash":"sha256= {hash}"}}"#);
        let binding = HashBinding::find(&config(), payload.as_bytes()).expect("the ios secret made it");
        let shorter = payload.replace("user-123456", "u");
        let resigned = String::from_utf8(binding.resign(shorter.as_bytes()).unwrap()).unwrap();
        let want = encode_lower(&hmac_sha256(b"other", b"u")).to_ascii_uppercase();
        assert_eq!(resigned, shorter.replace(&hash, &want));
        assert!(resigned.contains(&format!("\"sha256= {want}\"")));
    }

    #[test]
    fn unbound_or_unreadable_payloads_have_no_binding() {
        let wrong = format!(r#"{{"app_id":"ws_prod","user_id":"5678","user_hash":"{}"}}"#, "0".repeat(64));
        assert!(HashBinding::find(&config(), wrong.as_bytes()).is_none());
        assert!(HashBinding::find(&config(), b"{not json").is_none());
        let integer = format!(
            r#"{{"user_id":0,"email":"","email":"a@b","user_hash":"{}"}}"#,
            encode_lower(&hmac_sha256(b"s3cret", b"0"))
        );
        assert!(HashBinding::find(&config(), integer.as_bytes()).is_some(), "integers hash as their decimal text");
        // A hash of the email beside a user_id (V7's bug) is bound to the email, and follows it.
        let of_email = format!(
            r#"{{"user_id":"5678","email":"ann@example.com","user_hash":"{}"}}"#,
            encode_lower(&hmac_sha256(b"s3cret", b"ann@example.com"))
        );
        let binding = HashBinding::find(&config(), of_email.as_bytes()).expect("bound to the email");
        let shorter = of_email.replace("ann@example.com", "a");
        let resigned = String::from_utf8(binding.resign(shorter.as_bytes()).unwrap()).unwrap();
        assert!(resigned.contains(&encode_lower(&hmac_sha256(b"s3cret", b"a"))), "{resigned}");
    }
}
