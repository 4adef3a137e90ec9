//! JWT mode's properties (J1–J3, J2's exp and nbf with the reference's 60 s leeway), for the `jwt` fuzz target and the `verify` target's token payloads.
//!
//! The reference here is written apart from [`ivconform_core::jwt`]: its own base64url decoder, HMAC straight from
//! RustCrypto, the claims and header rules re-derived from the rule book and docs/INTERPRETATIONS.md. Only the
//! strict JSON parser is shared (it is fuzzed on its own by `payload_parse` and `json_self_differential`).

use super::reference_tag;
use ivconform_core::config::{AppConfig, Config, PlatformConfig, Secret};
use ivconform_core::decision::{Identity, Outcome, RejectReason};
use ivconform_core::identifier::{Identifiers, Selected, Source, UserId};
use ivconform_core::json::{self, Limits, Value};
use ivconform_core::jwt::{self, Claims, JwtError};
use ivconform_core::payload::JWT_KEY;
use ivconform_core::platform::Platform;
use ivconform_core::verify::{verify_at, verify_parsed_at};

/// Strict unpadded base64url, by hand: the URL-safe alphabet only, no padding, a length that is not 1 mod 4,
/// and zero trailing bits.
fn reference_b64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        }))
    };
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text.as_bytes() {
        acc = (acc << 6 | value(c)?) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // Whatever is left over must be zero bits (canonical encoding).
    (acc & ((1 << bits) - 1) == 0).then_some(out)
}

fn member<'v>(members: &'v [(String, Value)], name: &str) -> Option<&'v Value> {
    members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn object(bytes: &[u8]) -> Option<Vec<(String, Value)>> {
    match json::parse(bytes, Limits::P6) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// J1–J3 from the rule book: the reject class, or the verified claims.
pub(crate) fn reference_jwt(
    secret: Option<&[u8]>,
    token: &str,
    now: Option<i64>,
    clear: &Identifiers,
) -> Result<Claims, RejectReason> {
    use RejectReason::*;
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(InvalidJwt);
    }
    let decoded: Vec<Vec<u8>> = parts.iter().map(|p| reference_b64url(p)).collect::<Option<_>>().ok_or(InvalidJwt)?;
    let header = object(&decoded[0]).ok_or(InvalidJwt)?;
    let header_ok = matches!(member(&header, "alg"), Some(Value::String(a)) if a == "HS256")
        && member(&header, "crit").is_none()
        && member(&header, "typ").is_none_or(|t| matches!(t, Value::String(s) if s.eq_ignore_ascii_case("JWT")))
        && member(&header, "kid").is_none_or(|k| matches!(k, Value::String(_)));
    if !header_ok {
        return Err(InvalidJwt);
    }
    let secret = secret.ok_or(InvalidJwt)?;
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    if decoded[2] != reference_tag(secret, signing_input.as_bytes()) {
        return Err(InvalidJwt);
    }
    let claims = object(&decoded[1]).ok_or(InvalidJwt)?;
    let text = |v: Option<&Value>| match v {
        None => Ok(None),
        Some(Value::String(s)) if s.len() <= 1024 => Ok(Some(s.clone())),
        Some(_) => Err(InvalidJwt),
    };
    let user_id = text(member(&claims, "user_id"))?.filter(|u| !u.is_empty()).ok_or(InvalidJwt)?;
    let email = text(member(&claims, "email"))?;
    // exp and nbf: integers written as such, in the 64-bit range (J2).
    let seconds = |name: &str| match member(&claims, name) {
        None => Ok(None),
        Some(Value::Number(n)) if !n.lexeme().contains(['.', 'e', 'E']) => {
            n.lexeme().parse::<i64>().map(Some).map_err(|_| InvalidJwt)
        }
        Some(_) => Err(InvalidJwt),
    };
    let (exp, nbf) = (seconds("exp")?, seconds("nbf")?);
    // The reference's 60 s leeway: exp must be later than now - 60, nbf at most now + 60 (RFC 7519 4.1.5);
    // either without a current time fails closed.
    if exp.is_some() || nbf.is_some() {
        let now = i128::from(now.ok_or(InvalidJwt)?);
        if exp.is_some_and(|exp| i128::from(exp) + 60 <= now) {
            return Err(ExpiredJwt);
        }
        if nbf.is_some_and(|nbf| i128::from(nbf) > now + 60) {
            return Err(InvalidJwt);
        }
    }
    let clear_user_id = match &clear.user_id {
        Some(UserId::Text(s)) if !s.is_empty() => Some(s.clone()),
        Some(UserId::Integer(n)) => Some(n.to_string()),
        _ => None,
    };
    if clear_user_id.is_some_and(|u| u != user_id) {
        return Err(IdentityMismatch);
    }
    if let Some(e) = clear.email.as_ref().filter(|e| !e.is_empty()) {
        if email.as_ref() != Some(e) {
            return Err(IdentityMismatch);
        }
    }
    Ok(Claims { user_id, email, exp, nbf })
}

/// A one-app configuration with `secret` on every platform and the given enforcement.
fn config_with(secret: Option<&[u8]>, enforced: bool, jwt_enforced: bool) -> Config {
    let settings = PlatformConfig {
        secret: secret.map(Secret::new),
        enforced: enforced && secret.is_some(),
        jwt_enforced: jwt_enforced && secret.is_some(),
    };
    let platforms = Platform::ALL.into_iter().map(|p| (p, settings.clone())).collect();
    let mut config = Config::default();
    config.apps.insert("app".into(), AppConfig { platforms, ..AppConfig::default() });
    config
}

/// A boot payload carrying `token` and the clear-text identifiers (and, when given, a `user_hash`).
fn payload_with(token: &str, clear: &Identifiers, user_hash: Option<&str>) -> Vec<u8> {
    let mut members = vec![("app_id".to_string(), Value::String("app".into()))];
    match &clear.user_id {
        Some(UserId::Text(s)) => members.push(("user_id".into(), Value::String(s.clone()))),
        Some(UserId::Integer(n)) => {
            members.push(("user_id".into(), json::parse(n.to_string().as_bytes(), Limits::P6).expect("an integer")))
        }
        None => {}
    }
    if let Some(e) = &clear.email {
        members.push(("email".into(), Value::String(e.clone())));
    }
    if let Some(h) = user_hash {
        members.push(("user_hash".into(), Value::String(h.into())));
    }
    members.push((JWT_KEY.into(), Value::String(token.into())));
    Value::Object(members).to_json().into_bytes()
}

/// The verifier's outcome for a token, per the reference.
pub(crate) fn reference_token_outcome(
    secret: Option<&[u8]>,
    token: &str,
    now: Option<i64>,
    clear: &Identifiers,
) -> Outcome {
    match reference_jwt(secret, token, now, clear) {
        Ok(c) => Outcome::Accept(Identity::User {
            verified: true,
            identifier: Selected { source: Source::UserId, text: c.user_id },
        }),
        Err(r) => Outcome::Reject(r),
    }
}

/// `jwt`: for a secret (or none), a token, a current time (or none) and clear-text identifiers:
/// * [`jwt::verify_token`] plus J3 agrees with the reference (class, or the same claims), deterministically;
/// * a token verifies only if its signature is HMAC-SHA256 of `header.claims` under the secret, and when its
///   header and claims are in the signer's form, [`jwt::sign_jwt`] of its claims gives the same token back;
/// * flipping a bit of a verified token never verifies (one bit per byte, at a position that moves with
///   `rotation`; for tokens over 96 bytes, 96 bytes spread over the token, at an offset that moves too);
/// * the verifier, from raw bytes and parsed, with enforcement on or off and a wrong `user_hash` beside the
///   token, decides exactly as the reference (the token decides).
pub fn jwt_properties(secret: Option<&[u8]>, token: &str, now: Option<i64>, clear: &Identifiers, rotation: usize) {
    let ours = jwt::verify_token(secret, token, now).and_then(|c| c.check_identity(clear).map(|()| c));
    assert_eq!(
        jwt::verify_token(secret, token, now).and_then(|c| c.check_identity(clear).map(|()| c)),
        ours,
        "jwt determinism: two runs decided differently"
    );
    let reference = reference_jwt(secret, token, now, clear);
    assert_eq!(
        ours.as_ref().map_err(JwtError::reason),
        reference.as_ref().map_err(|r| *r),
        "jwt reference: verify_token disagrees with the rule book ({:?})",
        ours.as_ref().err().map(ToString::to_string)
    );
    if let Err(e) = &ours {
        assert!(!e.to_string().trim().is_empty(), "jwt reason: {e:?} carries no detail");
    }
    if let Ok(claims) = &ours {
        let secret = secret.expect("jwt verified: verified without a secret");
        let parts: Vec<&str> = token.split('.').collect();
        let input = format!("{}.{}", parts[0], parts[1]);
        assert_eq!(
            reference_b64url(parts[2]).as_deref(),
            Some(&reference_tag(secret, input.as_bytes())[..]),
            "jwt verified: the signature is not HMAC-SHA256(secret, header.claims)"
        );
        let signer_form = reference_b64url(parts[0]).as_deref() == Some(jwt::SIGNED_HEADER.as_bytes())
            && reference_b64url(parts[1]).as_deref() == Some(claims.to_json().as_bytes());
        if signer_form {
            assert_eq!(
                jwt::sign_jwt(secret, claims).as_deref(),
                Ok(token),
                "jwt re-sign: signing the verified claims gives another token"
            );
        }
        // Every byte of a short token; for a long one, 96 bytes spread over it (each flip is a whole
        // verification, so all of them would make the target quadratic in the token's length), with an
        // offset that moves with `rotation` so the fuzzer reaches every position over time.
        let mut bytes = token.as_bytes().to_vec();
        let step = bytes.len().div_ceil(96).max(1);
        for i in (rotation % step..bytes.len()).step_by(step) {
            let bit = (i + rotation) % 8;
            bytes[i] ^= 1 << bit;
            if let Ok(flipped) = std::str::from_utf8(&bytes) {
                assert!(
                    jwt::verify_token(Some(secret), flipped, now).is_err(),
                    "jwt bit flip: the token with bit {bit} of byte {i} flipped still verifies"
                );
            }
            bytes[i] ^= 1 << bit;
        }
    }

    // The verifier: the token decides, whatever the enforcement and whatever user_hash says. (An empty token
    // is no token in a payload: "" means absent.)
    if token.is_empty() {
        return;
    }
    let expected = reference_token_outcome(secret, token, now, clear);
    let wrong_hash = "0".repeat(64);
    for (enforced, jwt_enforced, user_hash) in
        [(false, false, None), (true, true, Some(wrong_hash.as_str())), (true, false, Some("not a hash"))]
    {
        let config = config_with(secret, enforced, jwt_enforced);
        let payload = payload_with(token, clear, user_hash);
        let decision = verify_at(&config, Platform::Ios, &payload, now);
        if payload.len() > Limits::P6.max_bytes {
            assert_eq!(decision.outcome, Outcome::Reject(RejectReason::MalformedPayload), "jwt: oversize payload");
            continue;
        }
        assert_eq!(decision.outcome, expected, "jwt verify: the verifier disagrees ({})", decision.detail);
        let parsed = ivconform_core::payload::BootPayload::parse(&payload).expect("the payload parses");
        assert_eq!(
            verify_parsed_at(&config, Platform::Ios, &parsed, now),
            decision,
            "jwt verify: parse-then-decide differs from verify"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_decoder_is_strict() {
        assert_eq!(reference_b64url("YQ"), Some(b"a".to_vec()));
        assert_eq!(reference_b64url("YR"), None, "non-zero trailing bits");
        assert_eq!(reference_b64url("YQ=="), None);
        assert_eq!(reference_b64url("Y"), None);
        assert_eq!(reference_b64url("+/8"), None);
        assert_eq!(reference_b64url("-_8"), Some(vec![0xfb, 0xff]));
    }

    #[test]
    fn properties_hold_on_samples() {
        let secret = b"s3cret".as_slice();
        let claims =
            Claims { user_id: "5678".into(), email: Some("a@b.c".into()), exp: Some(1_800_000_600), nbf: None };
        let token = jwt::sign_jwt(secret, &claims).unwrap();
        let ids = |u: Option<&str>, e: Option<&str>| Identifiers {
            user_id: u.map(|u| UserId::Text(u.into())),
            email: e.map(Into::into),
        };
        for now in [None, Some(1_800_000_000), Some(1_800_000_660), Some(1_800_000_661)] {
            for clear in
                [ids(None, None), ids(Some("5678"), Some("a@b.c")), ids(Some("5679"), None), ids(None, Some("x"))]
            {
                jwt_properties(Some(secret), &token, now, &clear, 3);
                jwt_properties(None, &token, now, &clear, 3);
                jwt_properties(Some(b"other"), &token, now, &clear, 3);
            }
        }
        // nbf: at most now + 60 with the reference's leeway; the independent reference agrees on both sides.
        let early = jwt::sign_jwt(secret, &Claims { nbf: Some(1_800_000_060), ..claims.clone() }).unwrap();
        for (now, ok) in [(Some(1_800_000_000), true), (Some(1_799_999_999), false), (None, false)] {
            let got = reference_jwt(Some(secret), &early, now, &ids(None, None));
            assert_eq!(got.is_ok(), ok, "nbf at {now:?}: {got:?}");
            jwt_properties(Some(secret), &early, now, &ids(None, None), 3);
        }
        for t in ["", "a.b.c", "..", "eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoiMSJ9."] {
            jwt_properties(Some(secret), t, Some(0), &ids(None, None), 0);
        }
    }
}
