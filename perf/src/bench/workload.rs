//! What `ivconform bench` asks an implementation to do: sign UUID identifiers, and verify typical web boot
//! payloads carrying their correct hashes. A handful of different identifiers rotate, and every answer is
//! checked, so an implementation cannot answer fast by answering wrong.

use ivconform_core::hex::encode_lower;
use ivconform_core::mac::hmac_sha256;
use ivconform_protocol::{Request, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The secret every bench request uses (40 bytes of text, like real ones).
pub const SECRET: &[u8] = b"Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr";
/// The app id of the bench workspace.
pub const APP_ID: &str = "ws_bench";
/// How many different identifiers rotate.
pub const ROTATION: usize = 16;

/// An operation to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `sign`: compute `user_hash` for a UUID `user_id` (over FFI: `ivc_sign_raw`).
    Sign,
    /// `verify`: decide on a typical web boot payload with the right hash (over FFI: `ivc_verify_raw`).
    Verify,
}

impl Op {
    /// Both, in report order.
    pub const ALL: [Op; 2] = [Op::Sign, Op::Verify];

    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Sign => "sign",
            Op::Verify => "verify",
        }
    }
}

/// One prepared call: the identifier, its correct hash, and the protocol request.
#[derive(Debug, Clone)]
pub struct Item {
    /// The identifier's bytes (a UUID).
    pub id: Vec<u8>,
    /// Its `user_hash` under [`SECRET`].
    pub hash: String,
    /// The protocol request (`seq` 0; set per call).
    pub request: Request,
}

/// The bench workspace configuration, JSON form with the secret as hex.
pub fn bench_config() -> serde_json::Value {
    serde_json::json!({ "apps": { APP_ID: { "web": { "secret_hex": encode_lower(SECRET), "enforced": true } } } })
}

/// The rotating calls for `op`.
pub fn items(op: Op) -> Vec<Item> {
    let config = Arc::new(bench_config());
    (0..ROTATION)
        .map(|i| {
            let id = format!("{:08x}-4f89-11d3-9a0c-0305e82c3301", 0x3f25_04e0u32.wrapping_add(i as u32 * 7919));
            let hash = encode_lower(&hmac_sha256(SECRET, id.as_bytes()));
            let request = match op {
                Op::Sign => Request::Sign {
                    seq: 0,
                    secret_hex: encode_lower(SECRET),
                    user_id: Some(serde_json::Value::String(id.clone())),
                    email: None,
                },
                Op::Verify => {
                    let payload = format!(
                        r#"{{"app_id":"{APP_ID}","user_id":"{id}","email":"ann@example.com","user_hash":"{hash}","name":"Ann Lee","created_at":1700000000,"company":{{"company_id":"c1","name":"Acme"}},"plan":"pro"}}"#
                    );
                    Request::Verify {
                        seq: 0,
                        config: Arc::clone(&config),
                        platform: "web".into(),
                        payload_hex: encode_lower(payload.as_bytes()).into(),
                        now: None,
                    }
                }
            };
            Item { id: id.into_bytes(), hash, request }
        })
        .collect()
}

/// Whether `response` is the right answer to `item`'s request; the reason when not.
pub fn check(item: &Item, response: &Response) -> Result<(), String> {
    match response {
        Response::Sign { user_hash: Some(h), .. } if *h == item.hash => Ok(()),
        Response::Sign { user_hash, error, .. } => {
            Err(format!("sign answered user_hash {user_hash:?} (error {error:?}), expected {}", item.hash))
        }
        Response::Verify { result, verified, .. } if result == "accept" && *verified == Some(true) => Ok(()),
        Response::Verify { result, verified, reason, .. } => Err(format!(
            "verify answered {result} (verified {verified:?}, reason {reason:?}) for a payload with the right hash"
        )),
        other => Err(format!("unexpected answer: {}", serde_json::to_string(other).unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_answers_every_item_correctly() {
        for op in Op::ALL {
            for item in items(op) {
                let answer = ivconform_protocol::reference::handle(&item.request);
                check(&item, &answer).unwrap();
            }
        }
    }
}
