//! The control IUT of the HTTP/stdio timing suite: the reference, answering exactly as the reference does,
//! plus a known data-dependent delay — when the supplied hash's (or token signature's) first byte is right,
//! the answer waits a set
//! number of busy-waited nanoseconds (an early exit with an exaggerated, adjustable cost). Served with delay 0
//! it is the constant-time control; with delays it measures the detection floor of a transport.

use ivconform_core::config::ConfigDoc;
use ivconform_core::hex::{decode, decode_tag};
use ivconform_core::mac::Keyed;
use ivconform_core::payload::BootPayload;
use ivconform_core::Platform;
use ivconform_protocol::{reference, Request, Response};
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The delay of this process's control server (set once at start-up; the HTTP handler is a plain `fn`).
static DELAY_NS: AtomicU64 = AtomicU64::new(0);

/// Sets the delay the handler adds when the first byte is right.
pub fn set_delay_ns(ns: u64) {
    DELAY_NS.store(ns, Ordering::SeqCst);
}

/// Whether a verify request carries a hash (or a token signature) whose first byte is the expected MAC's
/// first byte.
fn first_byte_right(config: &serde_json::Value, platform: &str, payload_hex: &str) -> Option<bool> {
    let config = ConfigDoc::deserialize(config).ok()?.to_config().ok()?;
    let platform: Platform = platform.parse().ok()?;
    let payload = BootPayload::parse(&decode(payload_hex)?).ok()?;
    let secret = config.apps.get(&payload.app_id)?.platform(platform).secret?;
    if let Some(token) = &payload.jwt {
        let token = ivconform_core::jwt::parse(token).ok()?;
        let expected = ivconform_core::jwt::expected_signature(secret.expose(), token.signing_input);
        return Some(token.signature.first() == Some(&expected[0]));
    }
    let identifier = payload.identifiers.select()?;
    let supplied = decode_tag(payload.user_hash.as_deref()?)?;
    Some(Keyed::new(secret.expose()).mac(identifier.message())[0] == supplied[0])
}

/// Busy-waits `ns` nanoseconds (sleeping is far too coarse for microseconds).
pub fn spin(ns: u64) {
    let until = Instant::now() + Duration::from_nanos(ns);
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// Answers like the reference; a verify whose hash has the right first byte is delayed first.
pub fn handle(request: &[u8]) -> Response {
    let delay = DELAY_NS.load(Ordering::Relaxed);
    if delay > 0 {
        if let Ok(Request::Verify { config, platform, payload_hex, .. }) = serde_json::from_slice(request) {
            if first_byte_right(&config, &platform, &payload_hex) == Some(true) {
                spin(delay);
            }
        }
    }
    reference::handle_bytes(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivconform_core::hex::encode_lower;

    #[test]
    fn delays_only_when_the_first_byte_is_right_and_answers_like_the_reference() {
        let secret = b"control secret";
        let right = encode_lower(&Keyed::new(secret).mac(b"u1"));
        let request = |hash: &str| {
            let config =
                serde_json::json!({"apps": {"ws": {"web": {"secret_hex": encode_lower(secret), "enforced": true}}}});
            let payload = format!(r#"{{"app_id":"ws","user_id":"u1","user_hash":"{hash}"}}"#);
            serde_json::to_vec(&serde_json::json!({
                "seq": 1, "type": "verify", "config": config, "platform": "web",
                "payload_hex": encode_lower(payload.as_bytes()),
            }))
            .unwrap()
        };
        let last_wrong = format!("{}{}", &right[..63], if right.ends_with('0') { '1' } else { '0' });
        let first_wrong = format!("{}{}", if right.starts_with('0') { '1' } else { '0' }, &right[1..]);
        set_delay_ns(20_000_000);
        let timed = |hash: &str| {
            let started = Instant::now();
            let answer = handle(&request(hash));
            assert_eq!(answer, reference::handle_bytes(&request(hash)));
            started.elapsed()
        };
        assert!(timed(&last_wrong) >= Duration::from_millis(20));
        assert!(timed(&first_wrong) < Duration::from_millis(20));
        set_delay_ns(0);
        assert!(timed(&last_wrong) < Duration::from_millis(20));

        // The JWT pair: the delay follows the token signature's first byte.
        let key = Keyed::new(secret);
        let batch = crate::timing::generate_pairs(
            &mut crate::timing::SplitMix64::new(5, 5),
            &key,
            200,
            &crate::timing::ALL_PAIRS,
        );
        let config =
            serde_json::json!({"apps": {"ws": {"web": {"secret_hex": encode_lower(secret), "enforced": true}}}});
        let (mut delayed, mut prompt) = (0, 0);
        set_delay_ns(20_000_000);
        for i in (0..batch.len()).filter(|&i| batch.is_jwt(i)).take(8) {
            let token = std::str::from_utf8(batch.token(i)).unwrap();
            let payload = format!(r#"{{"app_id":"ws","intercom_user_jwt":"{token}"}}"#);
            let request = serde_json::to_vec(&serde_json::json!({
                "seq": 1, "type": "verify", "config": config, "platform": "web",
                "payload_hex": encode_lower(payload.as_bytes()),
            }))
            .unwrap();
            let started = Instant::now();
            let answer = handle(&request);
            let took = started.elapsed();
            assert_eq!(answer, reference::handle_bytes(&request));
            // Class A (wrong in the last byte) has the first byte right: delayed; class B is not.
            if batch.codes[i] % 2 == 0 {
                assert!(took >= Duration::from_millis(20), "class A waits");
                delayed += 1;
            } else {
                assert!(took < Duration::from_millis(20), "class B does not");
                prompt += 1;
            }
        }
        set_delay_ns(0);
        assert!(delayed > 0 && prompt > 0, "both classes timed: {delayed} A, {prompt} B");
    }
}
