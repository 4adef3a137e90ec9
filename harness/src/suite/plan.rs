//! Turns loaded vectors into planned cases: the request to send, the capability it needs, what to expect.

use ivconform_core::hex::encode_lower;
use ivconform_core::Rule;
use ivconform_protocol::{Capability, Request};
use ivconform_vectors::{CaseMeta, Field, Flag, Group, JwtCase, JwtSignExpected, SignExpected, Suite, VerifyExpected};

/// What a correct implementation answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// An HMAC tag (compared on its first `bits` bits).
    Tag {
        /// Expected tag, lowercase hex.
        hex: String,
        /// How many leading bits count.
        bits: u32,
    },
    /// A MAC tag from an external suite: the implementation's tag, cut to `bits`, must equal `hex` when
    /// `valid` is `Some(true)`, must differ when `Some(false)` (a modified tag), and may do either when `None`.
    Mac {
        /// The file's tag, lowercase hex (`bits / 4` digits).
        hex: String,
        /// The tag length in bits.
        bits: u32,
        /// Wycheproof's verdict on the tag.
        valid: Option<bool>,
    },
    /// A signing outcome.
    Sign(SignExpected),
    /// A verifying outcome.
    Verify(VerifyExpected),
    /// A JWT signing outcome: the token byte for byte, or an error class.
    SignJwt(JwtSignExpected),
}

/// One case ready to run.
#[derive(Debug, Clone)]
pub struct PlannedCase {
    /// The vector group it comes from.
    pub group: Group,
    /// The case id.
    pub id: String,
    /// What it is about.
    pub comment: String,
    /// Rules exercised.
    pub rules: Vec<Rule>,
    /// Bug classes.
    pub flags: Vec<Flag>,
    /// The capability the IUT must claim for the case to run.
    pub capability: Capability,
    /// The request (its `seq` is set when sent).
    pub request: Request,
    /// The expected answer.
    pub expect: Expect,
    /// Secrets present in the request (for the oracle-leak scan).
    pub secrets: Vec<LeakNeedle>,
}

impl PlannedCase {
    /// A case from its vector metadata (id, comment, rules, flags) and what to send and expect.
    pub fn new(
        group: Group,
        meta: CaseMeta,
        capability: Capability,
        request: Request,
        expect: Expect,
        secrets: Vec<LeakNeedle>,
    ) -> PlannedCase {
        let CaseMeta { id, comment, rules, flags } = meta;
        PlannedCase { group, id, comment, rules, flags, capability, request, expect, secrets }
    }
}

/// A secret in the forms an answer could leak it in, with a description that never shows it.
#[derive(Debug, Clone)]
pub struct LeakNeedle {
    /// The secret as text, when it is UTF-8 and long enough to tell a leak from a coincidence.
    pub text: Option<String>,
    /// The secret as lowercase hex.
    pub hex: String,
    /// What it is ("the web secret of ws_prod").
    pub what: String,
}

impl LeakNeedle {
    /// Prepares a secret for scanning; `None` when it is too short (under 8 bytes) to scan for.
    pub fn new(secret: &[u8], what: String) -> Option<Self> {
        if secret.len() < 8 {
            return None;
        }
        let text = std::str::from_utf8(secret).ok().filter(|t| !t.trim().is_empty()).map(str::to_string);
        Some(LeakNeedle { text, hex: encode_lower(secret), what })
    }
}

fn field(f: &Field) -> Option<serde_json::Value> {
    match f {
        Field::Missing => None,
        Field::Sent(v) => Some(v.clone()),
    }
}

use ivconform_protocol::wire::config_json;

fn config_secrets(config: &ivconform_core::Config) -> Vec<LeakNeedle> {
    let mut out = Vec::new();
    for (app, a) in &config.apps {
        for (platform, p) in &a.platforms {
            if let Some(s) = &p.secret {
                out.extend(LeakNeedle::new(s.expose(), format!("the {platform} secret of {app}")));
            }
        }
    }
    out
}

/// Every case of the suite, in file order (hmac, sign, payload, verify, jwt).
pub fn plan(suite: &Suite) -> Vec<PlannedCase> {
    let mut out = Vec::with_capacity(suite.len());
    for c in &suite.hmac.cases {
        out.push(PlannedCase::new(
            Group::HmacSha256,
            c.meta.clone(),
            Capability::Hmac,
            Request::Hmac { seq: 0, key_hex: c.key_hex.clone(), msg_hex: c.msg_hex.clone() },
            Expect::Tag { hex: c.tag_hex.clone(), bits: c.tag_bits },
            Vec::new(),
        ));
    }
    for c in &suite.sign.cases {
        let secret = c.secret_bytes();
        out.push(PlannedCase::new(
            Group::Sign,
            c.meta.clone(),
            Capability::Sign,
            Request::Sign {
                seq: 0,
                secret_hex: encode_lower(&secret),
                user_id: field(&c.user_id),
                email: field(&c.email),
            },
            Expect::Sign(c.expected.clone()),
            LeakNeedle::new(&secret, "the signing secret".into()).into_iter().collect(),
        ));
    }
    for group in [Group::Payload, Group::Verify] {
        // One shared copy of each configuration per group.
        let mut configs = std::collections::HashMap::new();
        for c in suite.verifier_cases(group) {
            let config = suite.config_for(group, c);
            out.push(PlannedCase::new(
                group,
                c.meta.clone(),
                Capability::Verify,
                Request::Verify {
                    seq: 0,
                    config: configs
                        .entry(c.config.clone())
                        .or_insert_with(|| std::sync::Arc::new(config_json(config)))
                        .clone(),
                    platform: c.platform.as_str().into(),
                    payload_hex: encode_lower(&c.payload_bytes()).into(),
                    now: None,
                },
                Expect::Verify(c.expected.clone()),
                config_secrets(config),
            ));
        }
    }
    plan_jwt(suite, &mut out);
    out
}

/// jwt.json's cases: verify cases (with `now`) need `verify_jwt`, sign cases `sign_jwt`, so an implementation
/// that does not claim JWT mode gets them skipped.
fn plan_jwt(suite: &Suite, out: &mut Vec<PlannedCase>) {
    let mut configs = std::collections::HashMap::new();
    for case in &suite.jwt.cases {
        let meta = case.meta();
        let (capability, request, expect, secrets) = match case {
            JwtCase::Verify(c) => {
                let config = suite.config_for(Group::Jwt, c);
                let request = Request::Verify {
                    seq: 0,
                    config: configs
                        .entry(c.config.clone())
                        .or_insert_with(|| std::sync::Arc::new(config_json(config)))
                        .clone(),
                    platform: c.platform.as_str().into(),
                    payload_hex: encode_lower(&c.payload_bytes()).into(),
                    now: c.now,
                };
                (Capability::VerifyJwt, request, Expect::Verify(c.expected.clone()), config_secrets(config))
            }
            JwtCase::Sign(c) => {
                let secret = c.secret_bytes();
                let request = Request::SignJwt {
                    seq: 0,
                    secret_hex: encode_lower(&secret),
                    user_id: c.claims.user_id.clone(),
                    email: c.claims.email.clone(),
                    exp: c.claims.exp,
                };
                let secrets = LeakNeedle::new(&secret, "the signing secret".into()).into_iter().collect();
                (Capability::SignJwt, request, Expect::SignJwt(c.expected.clone()), secrets)
            }
        };
        out.push(PlannedCase::new(Group::Jwt, meta.clone(), capability, request, expect, secrets));
    }
}

/// Every hash a case expects (tags, user hashes, expected MACs), for the oracle-leak scan.
pub fn expected_hashes(suite: &Suite) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in &suite.hmac.cases {
        if c.tag_bits == 256 {
            out.push((c.tag_hex.clone(), c.meta.id.clone()));
        }
    }
    for c in &suite.sign.cases {
        if let SignExpected::Hash { user_hash, .. } = &c.expected {
            out.push((user_hash.clone(), c.meta.id.clone()));
        }
    }
    for c in suite.payload.cases.iter().chain(&suite.verify.cases).chain(suite.jwt_verify_cases()) {
        if let Some(mac) = &c.expected_mac_hex {
            out.push((mac.clone(), c.meta.id.clone()));
        }
        if let Some(sig) = &c.expected_signature_hex {
            out.push((sig.clone(), c.meta.id.clone()));
        }
    }
    out
}

/// The committed vectors, loaded once: the unit tests' suite (shared by the fakes and the suite's own tests).
#[cfg(test)]
pub(crate) fn bundled_suite() -> &'static ivconform_vectors::Suite {
    static SUITE: std::sync::OnceLock<ivconform_vectors::Suite> = std::sync::OnceLock::new();
    SUITE.get_or_init(|| {
        ivconform_vectors::load_dir(&ivconform_vectors::default_dir()).expect("the committed vectors load")
    })
}

/// Every planned case of the committed vectors, in plan order (for unit tests).
#[cfg(test)]
pub(crate) fn bundled_plan() -> Vec<PlannedCase> {
    plan(bundled_suite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivconform_vectors::{default_dir, load_dir};

    fn validator(name: &str) -> jsonschema::Validator {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/protocol").join(name);
        let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        jsonschema::options().build(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Every request the harness sends and every answer of the reference match docs/protocol/*.schema.json.
    #[test]
    fn requests_and_reference_answers_match_the_documented_schemas() {
        let (req, resp) = (validator("request.schema.json"), validator("response.schema.json"));
        let suite = load_dir(&default_dir()).unwrap();
        let mut requests: Vec<Request> = plan(&suite).into_iter().map(|c| c.request).collect();
        requests.push(Request::Hello { seq: 1, protocol: "ivconform/1".into(), suite_version: "1.0.0".into() });
        requests.push(Request::Bye { seq: 2 });
        for r in &requests {
            let rj = serde_json::to_value(r).unwrap();
            assert!(req.is_valid(&rj), "request does not match the schema: {rj}");
            let answer = serde_json::to_value(ivconform_protocol::reference::handle(r)).unwrap();
            assert!(resp.is_valid(&answer), "answer does not match the schema: {answer}");
        }
        // The schemas bite: a user acceptance without its identifier, an uppercase tag.
        assert!(!resp.is_valid(
            &serde_json::json!({"seq": 1, "type": "verify", "result": "accept", "as": "user", "verified": true})
        ));
        assert!(!resp.is_valid(&serde_json::json!({"seq": 1, "type": "hmac", "tag_hex": "AB".repeat(32)})));
        assert!(!req.is_valid(&serde_json::json!({"seq": 1, "type": "sign", "secret_hex": "zz"})));
    }
}
