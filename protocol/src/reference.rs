//! The reference implementation's answers to protocol messages, built on `ivconform-core`.

use crate::messages::*;
use ivconform_core::config::ConfigDoc;
use ivconform_core::hex::{decode, encode_lower};
use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::{verify_at, Identity, Outcome};
use ivconform_core::{Platform, Signer};
use serde::Deserialize;

/// Name the reference gives in `hello`.
pub const NAME: &str = "ivconform-reference";

/// The reference's `hello`: it claims every capability.
pub fn hello() -> Hello {
    Hello {
        name: NAME.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        language: "rust".into(),
        capabilities: Capability::ALL.to_vec(),
        protocol: Some(crate::PROTOCOL.into()),
        limits: None,
    }
}

fn error(seq: u64, message: impl Into<String>) -> Response {
    Response::Error { seq, message: message.into() }
}

/// Answers one request.
pub fn handle(request: &Request) -> Response {
    match request {
        Request::Hello { seq, .. } => Response::Hello { seq: *seq, hello: hello() },
        Request::Bye { seq } => Response::Bye { seq: *seq },
        Request::Hmac { seq, key_hex, msg_hex } => match (decode(key_hex), decode(msg_hex)) {
            (Some(key), Some(msg)) => {
                Response::Hmac { seq: *seq, tag_hex: encode_lower(&ivconform_core::mac::hmac_sha256(&key, &msg)) }
            }
            _ => error(*seq, "key_hex and msg_hex must be hex"),
        },
        Request::Sign { seq, secret_hex, user_id, email } => sign(*seq, secret_hex, user_id.as_ref(), email.as_ref()),
        Request::SignJwt { seq, secret_hex, user_id, email, exp } => {
            let Some(secret) = decode(secret_hex) else {
                return error(*seq, "secret_hex must be hex");
            };
            let claims =
                ivconform_core::jwt::Claims { user_id: user_id.clone(), email: email.clone(), exp: *exp, nbf: None };
            match ivconform_core::jwt::sign_jwt(&secret, &claims) {
                Ok(token) => Response::SignJwt { seq: *seq, token: Some(token), error: None },
                Err(e) => Response::SignJwt { seq: *seq, token: None, error: Some(e.class().into()) },
            }
        }
        Request::Verify { seq, config, platform, payload_hex, now } => {
            let config = match ConfigDoc::deserialize(config.as_ref())
                .map_err(|e| e.to_string())
                .and_then(|d| d.to_config().map_err(|e| e.to_string()))
            {
                Ok(c) => c,
                Err(e) => return error(*seq, format!("bad config: {e}")),
            };
            let Ok(platform) = platform.parse::<Platform>() else {
                return error(*seq, format!("unknown platform {platform:?}"));
            };
            let Some(payload) = decode(payload_hex) else {
                return error(*seq, "payload_hex must be hex");
            };
            verify_response_at(*seq, &config, platform, &payload, *now)
        }
    }
}

fn sign(
    seq: u64,
    secret_hex: &str,
    user_id: Option<&serde_json::Value>,
    email: Option<&serde_json::Value>,
) -> Response {
    let Some(secret) = decode(secret_hex) else {
        return error(seq, "secret_hex must be hex");
    };
    let user_id = match user_id {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(UserId::Text(s.clone())),
        Some(v) => match v.as_i64().and_then(UserId::integer) {
            Some(id) => Some(id),
            None => return error(seq, format!("user_id {v} is neither a string nor a safe integer")),
        },
    };
    let email = match email {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(v) => return error(seq, format!("email {v} is not a string")),
    };
    let ids = Identifiers { user_id, email };
    match Signer::new(&secret).and_then(|s| s.sign(&ids)) {
        Ok(signed) => Response::Sign {
            seq,
            user_hash: Some(signed.user_hash),
            identifier_source: Some(signed.identifier.source.as_str().into()),
            identifier_hex: Some(encode_lower(signed.identifier.message())),
            error: None,
        },
        Err(e) => Response::sign_error(seq, e.class()),
    }
}

/// The verify response for a decision of the reference, without a current time.
pub fn verify_response(seq: u64, config: &ivconform_core::Config, platform: Platform, payload: &[u8]) -> Response {
    verify_response_at(seq, config, platform, payload, None)
}

/// The verify response for a decision of the reference at `now` (seconds since the epoch, for JWT `exp`).
pub fn verify_response_at(
    seq: u64,
    config: &ivconform_core::Config,
    platform: Platform,
    payload: &[u8],
    now: Option<i64>,
) -> Response {
    let decision = verify_at(config, platform, payload, now);
    match decision.outcome {
        Outcome::Accept(Identity::Visitor) => Response::visitor(seq),
        Outcome::Accept(Identity::User { verified, identifier }) => {
            Response::user(seq, verified, identifier.source.as_str(), encode_lower(identifier.message()))
        }
        Outcome::Reject(reason) => Response::reject(seq, reason.as_str()),
    }
}

/// Parses one request line/body and answers it; unreadable requests get an `error` response with seq 0.
pub fn handle_bytes(request: &[u8]) -> Response {
    match serde_json::from_slice::<Request>(request) {
        Ok(r) => handle(&r),
        Err(e) => {
            let seq = serde_json::from_slice::<serde_json::Value>(request)
                .ok()
                .and_then(|v| v.get("seq")?.as_u64())
                .unwrap_or(0);
            error(seq, format!("cannot read request: {e}"))
        }
    }
}

/// A no-op implementation: answers every request at once with a fixed, well-formed message and computes
/// nothing. It fails most cases by design; it exists to measure a transport's round trip without the work.
pub fn noop_handle_bytes(request: &[u8]) -> Response {
    let parsed = serde_json::from_slice::<serde_json::Value>(request).ok();
    let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name).cloned());
    let seq = field("seq").and_then(|v| v.as_u64()).unwrap_or(0);
    match field("type").as_ref().and_then(|v| v.as_str()).unwrap_or_default() {
        "hello" => Response::Hello { seq, hello: Hello { name: "ivconform-noop".into(), ..hello() } },
        "hmac" => Response::Hmac { seq, tag_hex: "0".repeat(64) },
        "sign" => Response::sign_error(seq, "no_identifier"),
        "verify" => Response::reject(seq, "malformed_payload"),
        "sign_jwt" => Response::SignJwt { seq, token: None, error: Some("no_identifier".into()) },
        "bye" => Response::Bye { seq },
        _ => error(seq, "unknown request"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_request_fields_are_ignored() {
        let answer = handle_bytes(br#"{"seq":4,"type":"hmac","key_hex":"6b","msg_hex":"","added_in_1_1":true}"#);
        assert!(matches!(answer, Response::Hmac { seq: 4, .. }), "{answer:?}");
    }

    #[test]
    fn sign_jwt_and_verify_with_now() {
        let answer = handle_bytes(br#"{"seq":5,"type":"sign_jwt","secret_hex":"6b6579","user_id":"5678","exp":100}"#);
        let Response::SignJwt { token: Some(token), error: None, .. } = answer else { panic!("{answer:?}") };
        let payload = format!(r#"{{"app_id":"a","intercom_user_jwt":"{token}"}}"#);
        let payload_hex: String = payload.bytes().map(|b| format!("{b:02x}")).collect();
        let verify = |now: &str| {
            handle_bytes(format!(r#"{{"seq":6,"type":"verify","platform":"web","payload_hex":"{payload_hex}","config":{{"apps":{{"a":{{"web":{{"secret_hex":"6b6579"}}}}}}}}{now}}}"#).as_bytes())
        };
        assert!(
            matches!(verify(r#","now":100"#), Response::Verify { verified: Some(true), .. }),
            "{:?}",
            verify(",\"now\":100")
        );
        assert!(matches!(verify(r#","now":161"#), Response::Verify { reason: Some(r), .. } if r == "expired_jwt"));
        assert!(matches!(verify(""), Response::Verify { reason: Some(r), .. } if r == "invalid_jwt"));
        let refused = handle_bytes(br#"{"seq":7,"type":"sign_jwt","secret_hex":"","user_id":"5678"}"#);
        assert!(matches!(refused, Response::SignJwt { error: Some(e), .. } if e == "empty_secret"));
    }
}
