//! JWT mode's unit tests and proptests. Expected tokens are built here with the `hmac` crate and a local
//! base64url encoder, not with the code under test; RFC 7515's example token checks the signature path.

use super::*;
use crate::decision::RejectReason;
use crate::identifier::{Identifiers, Source, UserId};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::Sha256;

const SECRET: &[u8] = b"Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr";
const NOW: i64 = 1_800_000_000;

/// Unpadded base64url, written out by hand.
fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = c.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=c.len() {
            s.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    s
}

fn hs256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256>>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

/// A token from raw header and claims JSON, signed with `key`.
fn token(header: &str, claims: &str, key: &[u8]) -> String {
    let input = format!("{}.{}", b64url(header.as_bytes()), b64url(claims.as_bytes()));
    let sig = b64url(&hs256(key, input.as_bytes()));
    format!("{input}.{sig}")
}

const H: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn check(t: &str) -> Result<Claims, JwtError> {
    verify_token(Some(SECRET), t, Some(NOW))
}

fn reason(t: &str) -> RejectReason {
    check(t).unwrap_err().reason()
}

#[test]
fn a_valid_token_gives_its_claims() {
    let t = token(
        H,
        r#"{"user_id":"5678","email":"ann@example.com","exp":1800000600,"iat":1,"jti":"x","aud":"a","name":"Ann"}"#,
        SECRET,
    );
    let c = check(&t).unwrap();
    assert_eq!(
        c,
        Claims { user_id: "5678".into(), email: Some("ann@example.com".into()), exp: Some(1_800_000_600), nbf: None }
    );
    // Without exp, no current time is needed.
    let t = token(r#"{"alg":"HS256"}"#, r#"{"user_id":"u"}"#, SECRET);
    assert_eq!(verify_token(Some(SECRET), &t, None).unwrap().user_id, "u");
}

#[test]
fn rfc7515_a1_signature_verifies_and_its_claims_lack_user_id() {
    // RFC 7515 Appendix A.1: an HS256 JWS with a CRLF-formatted header; its signature is right, and its claims
    // have no user_id, so the refusal must come from the claims, after the signature passed.
    let key = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
    )
    .unwrap();
    let t = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let e = verify_token(Some(&key), t, Some(NOW)).unwrap_err();
    assert!(matches!(e, JwtError::Claim { claim: "user_id", .. }), "{e:?}");
    let e = verify_token(Some(b"another key"), t, Some(NOW)).unwrap_err();
    assert_eq!(e, JwtError::SignatureMismatch);
}

#[test]
fn algorithms_other_than_exactly_hs256_are_refused() {
    let claims = r#"{"user_id":"5678"}"#;
    for (header, want) in [
        (r#"{"alg":"none"}"#, JwtError::AlgNone),
        (r#"{"alg":"None","typ":"JWT"}"#, JwtError::AlgNone),
        (r#"{"alg":"RS256"}"#, JwtError::AlgUnsupported { alg: Some("RS256".into()) }),
        (r#"{"alg":"HS512"}"#, JwtError::AlgUnsupported { alg: Some("HS512".into()) }),
        (r#"{"alg":"hs256"}"#, JwtError::AlgUnsupported { alg: Some("hs256".into()) }),
        (r#"{"alg":"HS256 "}"#, JwtError::AlgUnsupported { alg: Some("HS256 ".into()) }),
        (r#"{"alg":256}"#, JwtError::AlgUnsupported { alg: None }),
        (r#"{"typ":"JWT"}"#, JwtError::AlgMissing),
        (r#"{"alg":"HS256","crit":["exp"]}"#, JwtError::Crit),
        (r#"{"alg":"HS256","typ":"JWS"}"#, JwtError::Typ),
        (r#"{"alg":"HS256","typ":1}"#, JwtError::Typ),
        (r#"{"alg":"HS256","kid":7}"#, JwtError::Kid),
    ] {
        assert_eq!(check(&token(header, claims, SECRET)).unwrap_err(), want, "{header}");
    }
    // alg none with the usual empty signature: still reported as alg none.
    let unsigned = format!("{}.{}.", b64url(br#"{"alg":"none"}"#), b64url(claims.as_bytes()));
    assert_eq!(check(&unsigned).unwrap_err(), JwtError::AlgNone);
    for header in [r#"{"alg":"HS256","typ":"jwt"}"#, r#"{"alg":"HS256","kid":"k1","x5u":1}"#, r#"{"alg":"HS256"}"#] {
        assert!(check(&token(header, claims, SECRET)).is_ok(), "{header}");
    }
}

#[test]
fn the_compact_form_is_strict() {
    let good = token(H, r#"{"user_id":"5678"}"#, SECRET);
    let (input, sig) = good.rsplit_once('.').unwrap();
    let (head, body) = input.split_once('.').unwrap();
    let cases: Vec<(String, &str)> = vec![
        (format!("{good}.x"), "four segments"),
        (input.to_string(), "two segments"),
        (format!(".{body}.{sig}"), "empty header"),
        (format!("{head}..{sig}"), "empty claims"),
        (format!("{input}."), "empty signature"),
        (format!("{input}.{sig}="), "padding"),
        (format!("{head}=.{body}.{sig}"), "header padding"),
        (format!("{input}.{}", sig.replace('-', "+").replace('_', "/")), "standard alphabet"),
        (format!("{input}.{sig} "), "a space"),
        (format!(" {good}"), "a leading space"),
    ];
    for (t, what) in cases {
        if t == good {
            continue; // the signature happened to hold neither - nor _
        }
        assert_eq!(reason(&t), RejectReason::InvalidJwt, "{what}: {t}");
    }
    // Non-canonical trailing bits: the last signature character with a low bit set decodes to the same 32 bytes
    // under a lenient decoder.
    let last = sig.chars().last().unwrap();
    const A: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let v = A.find(last).unwrap();
    assert_eq!(v & 3, 0, "a canonical 32-byte signature ends in a multiple of 4");
    let sloppy = format!("{input}.{}{}", &sig[..sig.len() - 1], &A[v + 1..v + 2]);
    assert!(matches!(check(&sloppy).unwrap_err(), JwtError::Base64 { segment: Segment::Signature, .. }));
    // Header and claims must be strict JSON objects.
    assert!(matches!(
        check(&token(r#"{"alg":"HS256","alg":"HS256"}"#, r#"{"user_id":"u"}"#, SECRET)).unwrap_err(),
        JwtError::Json { segment: Segment::Header, .. }
    ));
    assert!(matches!(
        check(&token(H, r#"{"user_id":"u","user_id":"v"}"#, SECRET)).unwrap_err(),
        JwtError::Json { segment: Segment::Claims, .. }
    ));
    assert_eq!(check(&token(H, r#"["user_id"]"#, SECRET)).unwrap_err(), JwtError::NotObject(Segment::Claims));
    assert_eq!(check(&token("[]", r#"{"user_id":"u"}"#, SECRET)).unwrap_err(), JwtError::NotObject(Segment::Header));
}

#[test]
fn signatures_under_other_keys_or_of_other_lengths_fail() {
    let claims = r#"{"user_id":"5678"}"#;
    assert_eq!(check(&token(H, claims, b"another secret")).unwrap_err(), JwtError::SignatureMismatch);
    assert_eq!(verify_token(None, &token(H, claims, SECRET), Some(NOW)).unwrap_err(), JwtError::NoSecret);
    let input = format!("{}.{}", b64url(H.as_bytes()), b64url(claims.as_bytes()));
    let full = hs256(SECRET, input.as_bytes());
    let short = format!("{input}.{}", b64url(&full[..16]));
    assert_eq!(check(&short).unwrap_err(), JwtError::SignatureLength { len: 16 });
    // HS512-length signature under the right key, with alg HS256.
    let long = format!("{input}.{}", b64url(&[full.clone(), full].concat()));
    assert_eq!(check(&long).unwrap_err(), JwtError::SignatureLength { len: 64 });
}

#[test]
fn claims_have_their_types() {
    for (claims, claim) in [
        (r#"{"user_id":5678}"#, "user_id"),
        (r#"{"email":"a@b.c"}"#, "user_id"),
        (r#"{"user_id":""}"#, "user_id"),
        (r#"{"user_id":null}"#, "user_id"),
        (r#"{"user_id":"u","email":7}"#, "email"),
        (r#"{"user_id":"u","email":null}"#, "email"),
        (r#"{"user_id":"u","exp":"1800000600"}"#, "exp"),
        (r#"{"user_id":"u","exp":1800000600.0}"#, "exp"),
        (r#"{"user_id":"u","exp":1.8e9}"#, "exp"),
        (r#"{"user_id":"u","exp":9223372036854775808}"#, "exp"),
        (r#"{"user_id":"u","exp":null}"#, "exp"),
        (r#"{"user_id":"u","nbf":"1799999000"}"#, "nbf"),
        (r#"{"user_id":"u","nbf":1799999000.5}"#, "nbf"),
        (r#"{"user_id":"u","nbf":true}"#, "nbf"),
        (r#"{"user_id":"u","nbf":-9223372036854775809}"#, "nbf"),
    ] {
        let e = check(&token(H, claims, SECRET)).unwrap_err();
        assert!(matches!(&e, JwtError::Claim { claim: c, .. } if *c == claim), "{claims}: {e:?}");
        assert_eq!((e.reason(), e.rule()), (RejectReason::InvalidJwt, crate::Rule::J2), "{claims}");
    }
    let long = format!(r#"{{"user_id":"{}"}}"#, "u".repeat(1025));
    assert!(matches!(check(&token(H, &long, SECRET)).unwrap_err(), JwtError::Claim { claim: "user_id", .. }));
    let limit = format!(r#"{{"user_id":"{}"}}"#, "u".repeat(1024));
    assert!(check(&token(H, &limit, SECRET)).is_ok());
}

#[test]
fn exp_has_exactly_sixty_seconds_of_leeway() {
    let at = |exp: i64, now: Option<i64>| {
        verify_token(Some(SECRET), &token(H, &format!(r#"{{"user_id":"u","exp":{exp}}}"#), SECRET), now)
    };
    assert!(at(NOW + 600, Some(NOW)).is_ok());
    assert!(at(NOW, Some(NOW)).is_ok(), "exp == now is within the leeway");
    assert!(at(NOW - 59, Some(NOW)).is_ok());
    assert_eq!(at(NOW - 60, Some(NOW)).unwrap_err(), JwtError::Expired { exp: NOW - 60, now: NOW, leeway: 60 });
    assert_eq!(at(NOW - 61, Some(NOW)).unwrap_err().expired_by(), Some(1));
    assert_eq!(at(NOW - 60, Some(NOW)).unwrap_err().reason(), RejectReason::ExpiredJwt);
    assert_eq!(at(NOW + 600, None).unwrap_err(), JwtError::NoCurrentTime);
    assert!(at(i64::MAX, Some(i64::MIN)).is_ok());
    assert!(at(i64::MIN, Some(i64::MAX)).is_err());
}

#[test]
fn nbf_is_honoured_with_the_leeway_and_other_times_are_ignored() {
    let at = |claims: &str, now: Option<i64>, leeway: i64| {
        verify_token_with_leeway(Some(SECRET), &token(H, claims, SECRET), now, leeway)
    };
    let nbf = |n: i64| format!(r#"{{"user_id":"u","nbf":{n}}}"#);
    // With the reference's 60 s: valid up to nbf = now + 60, not valid from now + 61 on (RFC 7519 4.1.5).
    assert_eq!(at(&nbf(NOW - 3600), Some(NOW), 60).unwrap().nbf, Some(NOW - 3600));
    assert!(at(&nbf(NOW), Some(NOW), 0).is_ok(), "nbf == now is valid with any leeway");
    assert!(at(&nbf(NOW + 60), Some(NOW), 60).is_ok());
    assert_eq!(
        at(&nbf(NOW + 61), Some(NOW), 60).unwrap_err(),
        JwtError::NotYetValid { nbf: NOW + 61, now: NOW, leeway: 60 }
    );
    assert_eq!(at(&nbf(NOW + 61), Some(NOW), 60).unwrap_err().early_by(), Some(1));
    // A 0 s leeway refuses what 60 s accepts: that window is the implementation's choice (J2).
    let e = at(&nbf(NOW + 1), Some(NOW), 0).unwrap_err();
    assert_eq!((e.reason(), e.rule()), (RejectReason::InvalidJwt, crate::Rule::J2));
    assert_eq!(at(&nbf(NOW + 600), None, 60).unwrap_err(), JwtError::NoCurrentTime, "fail closed");
    assert!(at(&nbf(i64::MAX), Some(i64::MAX), 60).is_ok(), "no overflow at the edge");
    assert!(at(&nbf(i64::MAX), Some(i64::MIN), 60).is_err());
    // exp with a 0 s leeway: exp == now is expired, now + 1 valid.
    let exp = |n: i64| format!(r#"{{"user_id":"u","exp":{n}}}"#);
    assert_eq!(at(&exp(NOW), Some(NOW), 0).unwrap_err().reason(), RejectReason::ExpiredJwt);
    assert!(at(&exp(NOW + 1), Some(NOW), 0).is_ok());
    // iat, jti, iss, aud are ignored whatever they hold (J2), even an iat in the future.
    let other = r#"{"user_id":"u","iat":1900000000,"jti":7,"iss":null,"aud":["x"]}"#;
    assert!(at(other, Some(NOW), 0).is_ok());
    assert!(at(other, None, 0).is_ok(), "iat needs no clock");
}

#[test]
fn clear_text_identity_must_match_the_claims() {
    let c = Claims { user_id: "5678".into(), email: Some("ann@example.com".into()), exp: None, nbf: None };
    let ids = |user_id: Option<UserId>, email: Option<&str>| Identifiers { user_id, email: email.map(Into::into) };
    assert!(c.check_identity(&ids(None, None)).is_ok());
    assert!(c.check_identity(&ids(UserId::integer(5678), Some("ann@example.com"))).is_ok());
    assert!(c.check_identity(&ids(Some(UserId::Text(String::new())), Some(""))).is_ok(), "absent per P3");
    let mismatch = |field| Err(JwtError::IdentityMismatch { field });
    assert_eq!(c.check_identity(&ids(Some(UserId::Text("5679".into())), None)), mismatch(Source::UserId));
    assert_eq!(c.check_identity(&ids(None, Some("Ann@example.com"))), mismatch(Source::Email));
    let no_email = Claims { email: None, ..c };
    assert_eq!(no_email.check_identity(&ids(None, Some("ann@example.com"))), mismatch(Source::Email));
}

#[test]
fn sign_jwt_writes_the_documented_bytes() {
    let claims =
        Claims { user_id: "5678".into(), email: Some("ann@example.com".into()), exp: Some(NOW + 600), nbf: None };
    let want = token(H, r#"{"user_id":"5678","email":"ann@example.com","exp":1800000600}"#, SECRET);
    assert_eq!(sign_jwt(SECRET, &claims).unwrap(), want);
    let plain = Claims { user_id: "é\"\n\u{1}".into(), email: None, exp: None, nbf: None };
    assert_eq!(sign_jwt(SECRET, &plain).unwrap(), token(H, "{\"user_id\":\"é\\\"\\n\\u0001\"}", SECRET));
    assert_eq!(sign_jwt(b"", &plain), Err(SignError::EmptySecret));
    assert_eq!(
        sign_jwt(SECRET, &Claims { user_id: String::new(), email: None, exp: None, nbf: None }),
        Err(SignError::NoIdentifier)
    );
    assert_eq!(
        sign_jwt(b"", &Claims { user_id: String::new(), email: None, exp: None, nbf: None }),
        Err(SignError::EmptySecret)
    );
}

#[test]
fn messages_hold_no_secret_or_signature() {
    let t = token(H, r#"{"user_id":"5678"}"#, b"other");
    let e = check(&t).unwrap_err();
    let expected = b64url(&expected_signature(SECRET, t.rsplit_once('.').unwrap().0));
    let text = e.to_string();
    assert!(!text.contains(std::str::from_utf8(SECRET).unwrap()) && !text.contains(&expected), "{text}");
}

fn claims_strategy() -> impl Strategy<Value = Claims> {
    ("\\PC{1,40}", proptest::option::of("\\PC{0,40}"), proptest::option::of(any::<i64>()))
        .prop_map(|(user_id, email, exp)| Claims { user_id, email, exp, nbf: None })
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(secret in proptest::collection::vec(any::<u8>(), 1..80), claims in claims_strategy()) {
        let t = sign_jwt(&secret, &claims).unwrap();
        let now = claims.exp.map(|e| e.saturating_sub(1));
        prop_assert_eq!(verify_token(Some(&secret), &t, now), Ok(claims.clone()));
        // The signature is HMAC-SHA256 by RustCrypto directly over the ASCII signing input.
        let (input, sig) = t.rsplit_once('.').unwrap();
        prop_assert_eq!(sig.to_string(), b64url(&hs256(&secret, input.as_bytes())));
        prop_assert_eq!(expected_signature(&secret, input).to_vec(), hs256(&secret, input.as_bytes()));
    }

    #[test]
    fn any_single_bit_flip_is_refused(claims in claims_strategy(), byte in any::<prop::sample::Index>(), bit in 0u8..8) {
        let t = sign_jwt(SECRET, &claims).unwrap();
        let mut bytes = t.clone().into_bytes();
        let i = byte.index(bytes.len());
        bytes[i] ^= 1 << bit;
        if let Ok(flipped) = String::from_utf8(bytes) {
            let now = claims.exp.map(|e| e.saturating_sub(1));
            prop_assert!(verify_token(Some(SECRET), &flipped, now).is_err(), "flipped byte {} bit {}: {}", i, bit, flipped);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(t in "\\PC{0,200}", now in proptest::option::of(any::<i64>())) {
        let _ = verify_token(Some(SECRET), &t, now);
        let _ = verify_token(None, &t, now);
    }
}
