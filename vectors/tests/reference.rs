//! The reference implementation (ivconform-core) passes every golden vector, intermediate values included.

use ivconform_core::hex::{decode, encode_lower};
use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::mac::hmac_sha256;
use ivconform_core::payload::BootPayload;
use ivconform_core::verify::verify_at;
use ivconform_vectors::*;
use std::collections::BTreeSet;

fn suite() -> Suite {
    load_dir(&default_dir()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn hmac_cases() {
    let s = suite();
    for c in &s.hmac.cases {
        let tag = encode_lower(&hmac_sha256(&decode(&c.key_hex).unwrap(), &decode(&c.msg_hex).unwrap()));
        assert!(tag.starts_with(&c.tag_hex) && c.tag_hex.len() * 4 == c.tag_bits as usize, "{}", c.meta.id);
    }
}

fn field_user_id(f: &Field) -> Option<UserId> {
    match f {
        Field::Sent(serde_json::Value::String(s)) => Some(UserId::Text(s.clone())),
        Field::Sent(v) if v.is_i64() => UserId::integer(v.as_i64().unwrap()),
        _ => None,
    }
}

#[test]
fn sign_cases() {
    let s = suite();
    for c in &s.sign.cases {
        let email = match &c.email {
            Field::Sent(serde_json::Value::String(e)) => Some(e.clone()),
            _ => None,
        };
        let ids = Identifiers { user_id: field_user_id(&c.user_id), email };
        let got = match ivconform_core::user_hash(&c.secret_bytes(), &ids) {
            Ok(signed) => SignExpected::Hash {
                identifier_source: signed.identifier.source,
                identifier: signed.identifier.text.clone(),
                message_hex: encode_lower(signed.identifier.message()),
                user_hash: signed.user_hash,
            },
            Err(e) => SignExpected::Error { error: e.class().to_string() },
        };
        assert_eq!(got, c.expected, "{}", c.meta.id);
    }
}

fn check_verifier_group(s: &Suite, group: Group) -> usize {
    let cases: Vec<&VerifyCase> =
        if group == Group::Jwt { s.jwt_verify_cases().collect() } else { s.verifier_cases(group).iter().collect() };
    let mut n = 0;
    for c in cases {
        let config = s.config_for(group, c);
        let payload = c.payload_bytes();
        // J2: the reference's 60 s and a verifier's narrowest 0 s agree, or the case says it is in the window.
        let d = verify_at(config, c.platform, &payload, c.now);
        let narrowest = ivconform_core::verify::verify_at_with_leeway(config, c.platform, &payload, c.now, 0);
        let got = VerifyExpected::across_leeways(&narrowest.outcome, &d.outcome).unwrap();
        assert_eq!(got, c.expected, "{}: {} ({})", c.meta.id, d.detail, d.rule);
        if matches!(c.expected, VerifyExpected::Either { .. }) {
            assert!(c.meta.flags.contains(&ivconform_vectors::Flag::Leeway), "{}: either without LEEWAY", c.meta.id);
        }
        if let Some(parsed) = &c.parsed {
            let p = BootPayload::parse(&payload).unwrap();
            assert_eq!(p.app_id, parsed.app_id, "{}", c.meta.id);
            assert_eq!(p.identifiers.email, parsed.email, "{}", c.meta.id);
            assert_eq!(p.user_hash, parsed.user_hash, "{}", c.meta.id);
            let keys: Vec<String> = p.custom.iter().map(|(k, _)| k.clone()).collect();
            assert_eq!(keys, parsed.custom_keys, "{}", c.meta.id);
        }
        n += 1;
    }
    n
}

#[test]
fn payload_cases() {
    assert!(check_verifier_group(&suite(), Group::Payload) > 0);
}

#[test]
fn verify_cases() {
    assert!(check_verifier_group(&suite(), Group::Verify) > 0);
}

#[test]
fn jwt_verify_cases() {
    assert!(check_verifier_group(&suite(), Group::Jwt) > 0);
}

/// Signing cases: the reference's token is the example, byte for byte, with its intermediate values (J5 grades
/// what a token means; the example is one conformant token).
#[test]
fn jwt_sign_cases() {
    let s = suite();
    let mut n = 0;
    for c in s.jwt_sign_cases() {
        let claims = ivconform_core::jwt::Claims {
            user_id: c.claims.user_id.clone(),
            email: c.claims.email.clone(),
            exp: c.claims.exp,
            nbf: None,
        };
        let got = match ivconform_core::jwt::sign_jwt(&c.secret_bytes(), &claims) {
            Ok(token) => JwtSignExpected::Token {
                example_claims_json: claims.to_json(),
                example_signature_hex: encode_lower(&ivconform_core::jwt::expected_signature(
                    &c.secret_bytes(),
                    token.rsplit_once('.').unwrap().0,
                )),
                example_token: token,
            },
            Err(e) => JwtSignExpected::Error { error: e.class().to_string() },
        };
        assert_eq!(got, c.expected, "{}", c.meta.id);
        n += 1;
    }
    assert!(n > 0);
}

/// Every rule of S1–S5, P1–P6 and V1–V9 is exercised by at least one vector; the suite has at least 300 cases.
#[test]
fn every_rule_is_covered() {
    let s = suite();
    let mut covered = BTreeSet::new();
    for m in s
        .hmac
        .cases
        .iter()
        .map(|c| &c.meta)
        .chain(s.sign.cases.iter().map(|c| &c.meta))
        .chain(s.payload.cases.iter().map(|c| &c.meta))
        .chain(s.verify.cases.iter().map(|c| &c.meta))
        .chain(s.jwt.cases.iter().map(|c| c.meta()))
    {
        covered.extend(m.rules.iter().copied());
    }
    let missing: Vec<_> = ivconform_core::Rule::ALL
        .iter()
        .filter(|r| matches!(r.id().as_bytes()[0], b'S' | b'P' | b'V' | b'J') && !covered.contains(r))
        .collect();
    assert!(missing.is_empty(), "rules without a vector: {missing:?}");
    assert!(s.len() >= 300, "only {} cases", s.len());
    // Each reject class and each accept kind appears.
    let outcomes: BTreeSet<String> = s
        .payload
        .cases
        .iter()
        .chain(&s.verify.cases)
        .chain(s.jwt_verify_cases())
        .map(|c| serde_json::to_string(&c.expected).unwrap())
        .collect();
    for reason in ivconform_core::RejectReason::ALL {
        assert!(outcomes.iter().any(|o| o.contains(reason.as_str())), "no case expects {reason}");
    }
}
