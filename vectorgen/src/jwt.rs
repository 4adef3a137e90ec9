//! `jwt.json`: JWT mode (J1–J5). Verifier cases (a payload with `intercom_user_jwt`, a platform, a
//! configuration and the current time `now`) and signing cases (claims in, a token that means them out, J5;
//! the reference's token is written as an example).
//!
//! Tokens are built here from literal header and claims JSON, signed with a named secret, so each case shows
//! exactly what it sends. Every case states its judgement by hand; the generator refuses a case on which the
//! reference disagrees, or one that two reject classes could explain (for instance an expired token that is
//! also badly signed), so no implementation is graded on the order of its checks. The reference is asked at
//! both ends of the leeway J2 lets an implementation choose (0 and 60 s): a case where they differ is in the
//! window and must say so (`Expect::Either`), so no vector grades one implementation's leeway.

use crate::configs::*;
use crate::definition::{build_verifier_case, mac_hex, meta, Expect, VerifierDef};
use crate::payload::obj;
use ivconform_core::config::Config;
use ivconform_core::hex::encode_lower;
use ivconform_core::jwt::{self, Claims};
use ivconform_core::mac::hmac_sha256;
use ivconform_core::payload::{BootPayload, JWT_KEY};
use ivconform_core::Platform::{self, *};
use ivconform_core::RejectReason::{self, *};
use ivconform_core::Rule::{self, *};
use ivconform_core::Source::UserId as Uid;
use ivconform_vectors::model::Flag::{self, *};
use ivconform_vectors::model::{ClaimsDoc, JwtCase, JwtSignCase, JwtSignExpected};
use serde_json::{json, Value};
use sha2::{Digest, Sha384, Sha512};
use std::collections::{BTreeMap, BTreeSet};

/// The current time every verifier case is given, unless it is about having none.
pub const NOW: i64 = 1_800_000_000;

/// The header a signer writes (and most cases send).
const H: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

const UID: &str = "5678";
/// The production web secret with a trailing newline, as read from a file (S5: the newline is key).
const PROD_WEB_LF: &str = "Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr\n";
/// The production web secret with a leading space, as pasted (S5: the space is key).
const PROD_WEB_SP: &str = " Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr";
const EMAIL: &str = "ann@example.com";

/// Unpadded base64url.
fn b64(bytes: &[u8]) -> String {
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

/// Strict unpadded base64url decoding (for the two-classes guard).
fn unb64(text: &str) -> Option<Vec<u8>> {
    const A: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.chars() {
        acc = (acc << 6 | A.find(c)? as u32) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// `segments` joined and signed with HMAC-SHA256 under `key`: the signature covers exactly the text sent.
fn signed(header_segment: &str, claims_segment: &str, key: &[u8]) -> String {
    let input = format!("{header_segment}.{claims_segment}");
    format!("{input}.{}", b64(&hmac_sha256(key, input.as_bytes())))
}

/// A token from literal header and claims JSON, signed under `key`.
fn raw(header: &str, claims: &str, key: &str) -> String {
    signed(&b64(header.as_bytes()), &b64(claims.as_bytes()), key.as_bytes())
}

/// A token with the signer's header.
fn tok(claims: &str, key: &str) -> String {
    raw(H, claims, key)
}

/// The production web secret's token for `claims`.
fn web(claims: &str) -> String {
    tok(claims, PROD_WEB)
}

/// A boot payload: `app_id`, the given members, then the token (if any) under `intercom_user_jwt`.
fn payload(app: &str, members: &[(&str, Value)], token: Option<&str>) -> String {
    let mut all = vec![("app_id", json!(app))];
    all.extend(members.iter().cloned());
    if let Some(t) = token {
        all.push((JWT_KEY, json!(t)));
    }
    obj(&all)
}

/// A production payload carrying only the token.
fn only(token: &str) -> String {
    payload(PROD, &[], Some(token))
}

fn user(value: &str) -> Expect {
    Expect::User { verified: true, source: Uid, value: value.into() }
}

fn reject(r: RejectReason) -> Expect {
    Expect::Reject(r)
}

/// J2's leeway window: a verified user with a leeway that covers the time, refused with `r` with a smaller one.
fn either(value: &str, r: RejectReason) -> Expect {
    Expect::Either { accept: Box::new(user(value)), reject: r }
}

/// A verifier case at [`NOW`].
#[allow(clippy::too_many_arguments)]
fn def(
    id: &str,
    comment: &str,
    rules: &[Rule],
    flags: &[Flag],
    config: &'static str,
    platform: Platform,
    payload: String,
    expect: Expect,
) -> VerifierDef {
    VerifierDef { now: Some(NOW), ..crate::verify::def(id, comment, rules, flags, config, platform, payload, expect) }
}

/// A production-web case of the standard configuration at [`NOW`].
fn pw(id: &str, comment: &str, rules: &[Rule], flags: &[Flag], payload: String, expect: Expect) -> VerifierDef {
    def(id, comment, rules, flags, "standard", Web, payload, expect)
}

/// HMAC by its definition (RFC 2104) over a hash with a 128-byte block (SHA-384, SHA-512), for realistic
/// HS384 and HS512 tokens.
fn hmac_wide<D: Digest>(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 128];
    k[..key.len()].copy_from_slice(key);
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = D::new().chain_update(pad(0x36)).chain_update(msg).finalize();
    D::new().chain_update(pad(0x5c)).chain_update(inner).finalize().to_vec()
}

/// HMAC-SHA512 (RFC 2104 over SHA-512's 128-byte block), for a realistic HS512 token.
fn hmac_sha512(key: &[u8], msg: &[u8]) -> Vec<u8> {
    hmac_wide::<Sha512>(key, msg)
}

/// Every verifier definition.
fn verifier_defs() -> Vec<VerifierDef> {
    let mut v = Vec::new();
    let c_uid = r#"{"user_id":"5678"}"#;
    let c_full = r#"{"user_id":"5678","email":"ann@example.com","exp":1800000600}"#;
    let valid = web(c_uid);
    let (input, sig) = valid.rsplit_once('.').expect("three segments");
    let head_seg = input.split_once('.').expect("three segments").0;

    // --- valid tokens -----------------------------------------------------------------------------------
    v.push(pw(
        "jwt-valid-user-id",
        "A token with user_id only, signed with the production web secret, and nothing in the clear: a verified user.",
        &[J1, J2],
        &[Functionality],
        only(&valid),
        user(UID),
    ));
    v.push(pw(
        "jwt-valid-user-id-email-exp",
        "A token with user_id, email and an exp ten minutes ahead: a verified user, identified by user_id.",
        &[J1, J2],
        &[Functionality],
        only(&web(c_full)),
        user(UID),
    ));
    for (id, app, platform, config, secret, state) in [
        ("jwt-valid-prod-ios", PROD, Ios, "standard", PROD_IOS, "production iOS"),
        ("jwt-valid-prod-android", PROD, Android, "standard", PROD_ANDROID, "production Android (not enforced)"),
        ("jwt-valid-test-web", TEST, Web, "standard", TEST_WEB, "the test workspace's web"),
    ] {
        v.push(def(
            id,
            &format!("A token signed with the {state} secret, sent on that platform: a verified user."),
            &[J1, V2],
            &[Functionality],
            config,
            platform,
            payload(app, &[], Some(&tok(c_uid, secret))),
            user(UID),
        ));
    }
    v.push(pw(
        "jwt-valid-other-claims-ignored",
        "iat, jti, iss, aud, name and unknown claims are ignored (J2), beside a past nbf: a verified user.",
        &[J2],
        &[Functionality],
        only(&web(
            r#"{"user_id":"5678","iat":1799990000,"nbf":1799990000,"jti":"a1","iss":"https://example.com","aud":"ws_prod","name":"Ann","admin":true}"#,
        )),
        user(UID),
    ));
    v.push(pw(
        "jwt-iat-future-ignored",
        "An iat a day in the future is ignored (J2 reads exp and nbf only): a verified user.",
        &[J2],
        &[Functionality, Expiry],
        only(&web(r#"{"user_id":"5678","iat":1800086400}"#)),
        user(UID),
    ));
    v.push(pw(
        "jwt-valid-non-ascii-user-id",
        "A user_id with non-ASCII and non-BMP characters, as raw UTF-8 in the claims: verified with the exact text.",
        &[J2, S3],
        &[Encoding],
        only(&web("{\"user_id\":\"jos\u{e9}-\u{1F600}\"}")),
        user("jos\u{e9}-\u{1F600}"),
    ));
    v.push(pw(
        "jwt-valid-escaped-user-id",
        "A user_id written with \\u escapes in the claims JSON is the unescaped text.",
        &[J2, S3],
        &[Encoding],
        only(&web(r#"{"user_id":"\u0035\u0036\u0037\u0038"}"#)),
        user(UID),
    ));
    let at_limit = "u".repeat(1024);
    v.push(pw(
        "jwt-valid-user-id-1024-bytes",
        "A 1,024-byte user_id claim is at P6's limit: verified.",
        &[J2, P6],
        &[Limit],
        only(&web(&format!(r#"{{"user_id":"{at_limit}"}}"#))),
        user(&at_limit),
    ));

    // --- the header -------------------------------------------------------------------------------------
    let unsigned_claims = b64(c_uid.as_bytes());
    v.push(pw(
        "jwt-alg-none",
        "alg none with an empty signature (an unsigned token): refused.",
        &[J1],
        &[Algorithm, AuthBypass],
        only(&format!("{}.{unsigned_claims}.", b64(br#"{"alg":"none","typ":"JWT"}"#))),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-alg-none-signed",
        "alg none, but with a signature that is right under the web secret: refused, only HS256 is accepted.",
        &[J1],
        &[Algorithm, AuthBypass],
        only(&raw(r#"{"alg":"none","typ":"JWT"}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-alg-none-uppercase",
        "alg NONE (a case variant libraries have let through): refused.",
        &[J1],
        &[Algorithm, AuthBypass],
        only(&format!("{}.{unsigned_claims}.", b64(br#"{"alg":"NONE"}"#))),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-alg-rs256",
        "alg RS256 with an HMAC-SHA256 signature under the web secret (key confusion): refused.",
        &[J1],
        &[Algorithm, AuthBypass],
        only(&raw(r#"{"alg":"RS256","typ":"JWT"}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    let hs512_input = format!("{}.{}", b64(br#"{"alg":"HS512","typ":"JWT"}"#), b64(c_uid.as_bytes()));
    let hs512 = format!("{hs512_input}.{}", b64(&hmac_sha512(PROD_WEB.as_bytes(), hs512_input.as_bytes())));
    v.push(pw(
        "jwt-alg-hs512",
        "alg HS512 with a right HMAC-SHA512 signature under the web secret: refused, HS256 only.",
        &[J1],
        &[Algorithm],
        only(&hs512),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-alg-lowercase",
        "alg hs256 (lower case), otherwise right: refused, alg is compared exactly.",
        &[J1],
        &[Algorithm],
        only(&raw(r#"{"alg":"hs256","typ":"JWT"}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-alg-mixed-case",
        "alg Hs256 (mixed case), otherwise right: refused, alg is compared exactly.",
        &[J1],
        &[Algorithm],
        only(&raw(r#"{"alg":"Hs256","typ":"JWT"}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-alg-missing",
        "A header without alg: refused.",
        &[J1],
        &[Algorithm],
        only(&raw(r#"{"typ":"JWT"}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-alg-not-string",
        "alg is a number: refused.",
        &[J1],
        &[Algorithm, Type],
        only(&raw(r#"{"alg":256,"typ":"JWT"}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-alg-first-in-header",
        "The header with typ first and alg second: member order does not matter, verified.",
        &[J1],
        &[Functionality],
        only(&raw(r#"{"typ":"JWT","alg":"HS256"}"#, c_uid, PROD_WEB)),
        user(UID),
    ));
    v.push(pw(
        "jwt-typ-absent",
        "A header with alg only (typ is optional): verified.",
        &[J1],
        &[Functionality],
        only(&raw(r#"{"alg":"HS256"}"#, c_uid, PROD_WEB)),
        user(UID),
    ));
    v.push(pw(
        "jwt-typ-lowercase",
        "typ jwt in lower case (compared ignoring ASCII case): verified.",
        &[J1],
        &[Functionality],
        only(&raw(r#"{"alg":"HS256","typ":"jwt"}"#, c_uid, PROD_WEB)),
        user(UID),
    ));
    v.push(pw(
        "jwt-typ-other",
        "typ JWS: not a JWT, refused.",
        &[J1],
        &[Type],
        only(&raw(r#"{"alg":"HS256","typ":"JWS"}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-typ-not-string",
        "typ is a number: refused.",
        &[J1],
        &[Type],
        only(&raw(r#"{"alg":"HS256","typ":1}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-kid-string",
        "A string kid is ignored (the platform's secret is used whatever it names): verified.",
        &[J1, V2],
        &[Functionality],
        only(&raw(r#"{"alg":"HS256","typ":"JWT","kid":"ios-2024"}"#, c_uid, PROD_WEB)),
        user(UID),
    ));
    v.push(pw(
        "jwt-kid-not-string",
        "kid is a number: refused.",
        &[J1],
        &[Type],
        only(&raw(r#"{"alg":"HS256","kid":7}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-crit",
        "A header with crit (an extension that must be understood, and none is): refused.",
        &[J1],
        &[Algorithm],
        only(&raw(r#"{"alg":"HS256","typ":"JWT","crit":["exp"],"exp":1}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-header-duplicate-alg",
        "The header repeats alg (HS256 then none): strict JSON refuses duplicate keys.",
        &[J1, J2, P2],
        &[DuplicateKey, AuthBypass],
        only(&raw(r#"{"alg":"HS256","alg":"none"}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    for (id, comment, header, flags) in [
        (
            "jwt-header-duplicate-alg-none-first",
            "The header repeats alg (none then HS256), signed right with HS256: strict JSON refuses duplicate keys (a last-wins parser would accept it).",
            r#"{"alg":"none","alg":"HS256"}"#,
            &[DuplicateKey, AuthBypass][..],
        ),
        (
            "jwt-header-duplicate-alg-hs512-first",
            "The header repeats alg (HS512 then HS256), signed right with HS256: strict JSON refuses duplicate keys, whichever copy a parser keeps.",
            r#"{"alg":"HS512","alg":"HS256"}"#,
            &[DuplicateKey, Algorithm][..],
        ),
        (
            "jwt-header-duplicate-alg-same",
            "The header repeats alg HS256 twice, signed right: still a duplicate key, refused (first-wins and last-wins parsers both accept it).",
            r#"{"alg":"HS256","alg":"HS256"}"#,
            &[DuplicateKey][..],
        ),
        (
            "jwt-header-duplicate-typ",
            "The header repeats typ JWT, signed right: a duplicate key anywhere in the header is refused, not only in alg.",
            r#"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#,
            &[DuplicateKey][..],
        ),
    ] {
        v.push(pw(id, comment, &[J1, J2, P2], flags, only(&raw(header, c_uid, PROD_WEB)), reject(InvalidJwt)));
    }
    for (id, comment, header) in [
        (
            "jwt-alg-trailing-space",
            "alg \"HS256 \" (a trailing space), otherwise right: refused, alg is compared exactly, never trimmed.",
            r#"{"alg":"HS256 ","typ":"JWT"}"#,
        ),
        (
            "jwt-alg-leading-space",
            "alg \" HS256\" (a leading space), otherwise right: refused, alg is compared exactly, never trimmed.",
            r#"{"alg":" HS256","typ":"JWT"}"#,
        ),
    ] {
        v.push(pw(
            id,
            comment,
            &[J1],
            &[Algorithm, Normalization],
            only(&raw(header, c_uid, PROD_WEB)),
            reject(InvalidJwt),
        ));
    }
    let hs384_input = format!("{}.{}", b64(br#"{"alg":"HS384","typ":"JWT"}"#), b64(c_uid.as_bytes()));
    let hs384 = format!("{hs384_input}.{}", b64(&hmac_wide::<Sha384>(PROD_WEB.as_bytes(), hs384_input.as_bytes())));
    v.push(pw(
        "jwt-alg-hs384",
        "alg HS384 with a right HMAC-SHA384 signature under the web secret: refused, HS256 only.",
        &[J1],
        &[Algorithm],
        only(&hs384),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-typ-mixed-case",
        "typ Jwt in mixed case (compared ignoring ASCII case): verified.",
        &[J1],
        &[Functionality],
        only(&raw(r#"{"alg":"HS256","typ":"Jwt"}"#, c_uid, PROD_WEB)),
        user(UID),
    ));
    v.push(pw(
        "jwt-crit-empty-array",
        "A header with crit [] (empty, but present), otherwise right: refused, crit is refused in any form.",
        &[J1],
        &[Algorithm],
        only(&raw(r#"{"alg":"HS256","typ":"JWT","crit":[]}"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-header-not-object",
        "The header is a JSON array: refused.",
        &[J2],
        &[Parser],
        only(&raw(r#"["HS256"]"#, c_uid, PROD_WEB)),
        reject(InvalidJwt),
    ));

    // --- the signature ------------------------------------------------------------------------------------
    v.push(pw(
        "jwt-signature-other-platform-secret",
        "Signed with the production iOS secret, sent on web: refused.",
        &[J1, V2],
        &[WrongSecret, AuthBypass],
        only(&tok(c_uid, PROD_IOS)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-signature-other-workspace-secret",
        "Signed with the test workspace's web secret, sent to production web: refused.",
        &[J1, V2],
        &[WrongSecret, AuthBypass],
        only(&tok(c_uid, TEST_WEB)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-signature-api-key",
        "Signed with the workspace's REST API key: refused.",
        &[J1, V2],
        &[WrongSecret, AuthBypass],
        only(&tok(c_uid, API_KEY)),
        reject(InvalidJwt),
    ));
    v.push(def(
        "jwt-signature-prod-secret-on-test",
        "Signed with the production web secret, sent to the test workspace's web: refused.",
        &[J1, V2],
        &[WrongSecret],
        "standard",
        Web,
        payload(TEST, &[], Some(&valid)),
        reject(InvalidJwt),
    ));
    let mut flipped = unb64(sig).expect("a signature decodes");
    flipped[31] ^= 1;
    v.push(pw(
        "jwt-signature-last-bit-flipped",
        "The right signature with the last bit of its last byte flipped: refused.",
        &[J1, V9],
        &[AuthBypass],
        only(&format!("{input}.{}", b64(&flipped))),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-signature-claims-edited",
        "The claims changed to another user_id after signing, the original signature kept: refused.",
        &[J1],
        &[AuthBypass],
        only(&format!("{head_seg}.{}.{sig}", b64(br#"{"user_id":"1"}"#))),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-signature-truncated",
        "The signature cut to its first 16 bytes: refused.",
        &[J1],
        &[AuthBypass],
        only(&format!("{input}.{}", b64(&unb64(sig).expect("decodes")[..16]))),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-signature-one-byte",
        "The signature cut to its first byte (guessable in 256 tries): refused, all 32 bytes must match.",
        &[J1],
        &[AuthBypass],
        only(&format!("{input}.{}", b64(&unb64(sig).expect("decodes")[..1]))),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-signature-as-hex",
        "The signature sent as 64 hex digits instead of base64url (they decode to 48 bytes): refused.",
        &[J1],
        &[HexForm],
        only(&format!("{input}.{}", encode_lower(&unb64(sig).expect("decodes")))),
        reject(InvalidJwt),
    ));
    v.push(def("jwt-no-secret-platform", "A token on a platform with no secret configured: nothing can verify it, refused even though nothing is enforced.", &[J1, V2], &[Enforcement], "partial", Android, only(&tok(c_uid, PROD_ANDROID)), reject(InvalidJwt)));

    // --- the compact form and base64url -------------------------------------------------------------------
    v.push(pw(
        "jwt-form-four-segments",
        "A valid token with a fourth segment appended: refused.",
        &[J1],
        &[Base64url],
        only(&format!("{valid}.{sig}")),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-form-trailing-dot",
        "A valid token followed by a dot (an empty fourth segment): refused, exactly three segments.",
        &[J1],
        &[Base64url],
        only(&format!("{valid}.")),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-form-two-segments",
        "header.claims without a signature segment: refused.",
        &[J1],
        &[Base64url, AuthBypass],
        only(input),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-form-empty-signature",
        "alg HS256 with an empty signature segment: refused.",
        &[J1],
        &[Base64url, AuthBypass],
        only(&format!("{input}.")),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-form-empty-claims",
        "An empty claims segment, signed as sent: refused.",
        &[J1],
        &[Base64url],
        only(&signed(head_seg, "", PROD_WEB.as_bytes())),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-form-one-segment",
        "A token that is not a JWS at all: refused.",
        &[J1],
        &[Base64url],
        only("not-a-token"),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-form-trailing-newline",
        "A valid token with a trailing newline (copied from a file): refused, the alphabet has no whitespace.",
        &[J1, J2],
        &[Base64url],
        only(&format!("{valid}\n")),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-form-bearer-prefix",
        "A valid token sent as \"Bearer <token>\" (an Authorization header value pasted in): refused, the value is the compact JWS itself.",
        &[J1],
        &[Base64url],
        only(&format!("Bearer {valid}")),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-form-leading-space",
        "A valid token with a leading space: refused, the alphabet has no whitespace.",
        &[J1, J2],
        &[Base64url],
        only(&format!(" {valid}")),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-base64-padded-signature",
        "The signature segment with its = padding: refused (base64url without padding).",
        &[J2],
        &[Base64url],
        only(&format!("{valid}=")),
        reject(InvalidJwt),
    ));
    let spaced = r#"{"user_id":"5678" }"#; // 19 bytes: base64 pads it with ==
    let padded_claims = format!("{}{}", b64(spaced.as_bytes()), "=".repeat((3 - spaced.len() % 3) % 3));
    assert!(padded_claims.ends_with('='), "the claims need padding for this case");
    v.push(pw(
        "jwt-base64-padded-claims",
        "The claims segment with = padding, and the signature right over the padded text: refused.",
        &[J2],
        &[Base64url],
        only(&signed(head_seg, &padded_claims, PROD_WEB.as_bytes())),
        reject(InvalidJwt),
    ));
    // Standard base64's + and / instead of - and _: a user_id whose signature has - or _ in it.
    let std_token = (0..)
        .map(|i| web(&format!(r#"{{"user_id":"5678-{i}"}}"#)))
        .find(|t| t.rsplit_once('.').is_some_and(|(_, s)| s.contains(['-', '_'])))
        .expect("some signature has - or _");
    v.push(pw(
        "jwt-base64-standard-alphabet",
        "The signature written with standard base64's + and / instead of - and _: refused.",
        &[J2],
        &[Base64url],
        only(&std_token.replace('-', "+").replace('_', "/")),
        reject(InvalidJwt),
    ));
    let last = sig.chars().last().expect("non-empty");
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let value = ALPHABET.find(last).expect("base64url");
    let sloppy = format!("{input}.{}{}", &sig[..sig.len() - 1], &ALPHABET[value + 1..value + 2]);
    v.push(pw("jwt-base64-trailing-bits", "The signature's last character with non-zero unused bits (a lenient decoder reads the same 32 bytes): refused, non-canonical.", &[J2], &[Base64url], only(&sloppy), reject(InvalidJwt)));
    let (head, _) = input.split_once('.').expect("header.claims");
    v.push(pw(
        "jwt-base64-non-ascii-segment",
        "A claims segment holding a non-ASCII character (é), the signature over the text as sent: not base64url, refused as invalid_jwt, never an error. Found by ivconform fuzz in the Python adapter, which failed to encode the signing input as ASCII.",
        &[J2],
        &[Base64url, Encoding],
        only(&signed(head, "\u{e9}", PROD_WEB.as_bytes())),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-base64-padded-signature-full-claims",
        "A token with user_id, email and exp, its signature segment given = padding: refused (base64url without padding).",
        &[J2],
        &[Base64url],
        only(&format!("{}=", web(c_full))),
        reject(InvalidJwt),
    ));
    // A claims segment whose last character carries unused bits: 19 bytes leave 4 unused bits in the last one.
    let odd_claims = r#"{"user_id":"56789"}"#;
    assert_eq!(odd_claims.len() % 3, 1, "the claims need unused bits for this case");
    let odd_seg = b64(odd_claims.as_bytes());
    let odd_last = ALPHABET.find(odd_seg.chars().last().expect("non-empty")).expect("base64url");
    assert_eq!(odd_last & 15, 0, "the canonical last character has zero unused bits");
    let sloppy_claims = format!("{}{}", &odd_seg[..odd_seg.len() - 1], &ALPHABET[odd_last + 1..odd_last + 2]);
    v.push(pw(
        "jwt-base64-trailing-bits-claims",
        "The claims segment's last character with non-zero unused bits (a lenient decoder reads the same claims), signed as sent: refused, non-canonical.",
        &[J2],
        &[Base64url],
        only(&signed(head_seg, &sloppy_claims, PROD_WEB.as_bytes())),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-claims-not-json",
        "A claims segment that is base64url of text, not JSON, signed as sent: refused.",
        &[J2],
        &[Parser],
        only(&signed(head_seg, &b64(b"user_id=5678"), PROD_WEB.as_bytes())),
        reject(InvalidJwt),
    ));

    // --- claims -------------------------------------------------------------------------------------------
    for (id, comment, claims, flags) in [
        (
            "jwt-claims-numeric-user-id",
            "user_id 5678 as a number in the claims: refused (a string is required).",
            r#"{"user_id":5678}"#,
            &[Type, Number][..],
        ),
        (
            "jwt-claims-missing-user-id",
            "Claims with an email but no user_id: refused (user_id is required).",
            r#"{"email":"ann@example.com"}"#,
            &[Presence][..],
        ),
        ("jwt-claims-empty-user-id", "user_id \"\" in the claims: refused.", r#"{"user_id":""}"#, &[Presence][..]),
        (
            "jwt-claims-null-user-id",
            "user_id null in the claims: refused.",
            r#"{"user_id":null,"email":"ann@example.com"}"#,
            &[Presence, Type][..],
        ),
        (
            "jwt-claims-numeric-email",
            "email is a number in the claims: refused.",
            r#"{"user_id":"5678","email":5}"#,
            &[Type][..],
        ),
        (
            "jwt-claims-null-email",
            "email null in the claims: a wrong type, refused.",
            r#"{"user_id":"5678","email":null}"#,
            &[Type][..],
        ),
        (
            "jwt-claims-string-exp",
            "exp as a string: refused (an integer is required).",
            r#"{"user_id":"5678","exp":"1800000600"}"#,
            &[Type, Expiry][..],
        ),
        (
            "jwt-claims-float-exp",
            "exp written as 1800000600.0: refused (an integer is required).",
            r#"{"user_id":"5678","exp":1800000600.0}"#,
            &[Type, Number, Expiry][..],
        ),
        (
            "jwt-claims-exponent-exp",
            "exp written as 1.8000006e9: refused.",
            r#"{"user_id":"5678","exp":1.8000006e9}"#,
            &[Type, Number, Expiry][..],
        ),
        (
            "jwt-claims-huge-exp",
            "exp 2^63, past the 64-bit integer range: refused.",
            r#"{"user_id":"5678","exp":9223372036854775808}"#,
            &[Number, Expiry][..],
        ),
        (
            "jwt-claims-duplicate-user-id",
            "The claims repeat user_id (5678 then 1): strict JSON refuses duplicate keys.",
            r#"{"user_id":"5678","user_id":"1"}"#,
            &[DuplicateKey, AuthBypass][..],
        ),
        ("jwt-claims-array", "The claims are a JSON array: refused.", r#"["5678"]"#, &[Parser][..]),
    ] {
        v.push(pw(id, comment, &[J2], flags, only(&web(claims)), reject(InvalidJwt)));
    }
    let too_long = format!(r#"{{"user_id":"{}"}}"#, "u".repeat(1025));
    v.push(pw(
        "jwt-claims-duplicate-exp",
        "The claims repeat exp (an hour ago, then ten minutes ahead): strict JSON refuses duplicate keys, so a later copy cannot hide an expiry.",
        &[J2, P2],
        &[DuplicateKey, Expiry],
        only(&web(r#"{"user_id":"5678","exp":1799996400,"exp":1800000600}"#)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-claims-empty-user-id-with-email",
        "user_id \"\" beside a valid email claim: refused, user_id is required and the email does not stand in for it.",
        &[J2],
        &[Presence],
        only(&web(r#"{"user_id":"","email":"ann@example.com"}"#)),
        reject(InvalidJwt),
    ));
    let wide_long = format!(r#"{{"user_id":"{}"}}"#, "\u{e9}".repeat(513));
    v.push(pw(
        "jwt-claims-user-id-1026-bytes-multibyte",
        "A user_id claim of 513 é: 513 characters but 1,026 UTF-8 bytes, past P6's limit (counted in bytes): refused.",
        &[J2, P6],
        &[Limit, Encoding],
        only(&web(&wide_long)),
        reject(InvalidJwt),
    ));
    let email_long =
        format!(r#"{{"user_id":"5678","email":"{}@example.com"}}"#, "e".repeat(1025 - "@example.com".len()));
    v.push(pw(
        "jwt-claims-email-1025-bytes",
        "A 1,025-byte email claim beside user_id 5678: past P6's identifier limit, refused.",
        &[J2, P6],
        &[Limit],
        only(&web(&email_long)),
        reject(InvalidJwt),
    ));
    v.push(pw(
        "jwt-claims-user-id-1025-bytes",
        "A 1,025-byte user_id claim is past P6's limit: refused.",
        &[J2, P6],
        &[Limit],
        only(&web(&too_long)),
        reject(InvalidJwt),
    ));

    // --- exp against now ------------------------------------------------------------------------------------
    let exp_claims = |exp: i64| format!(r#"{{"user_id":"5678","exp":{exp}}}"#);
    for (id, comment, exp, expect, flags) in [
        ("jwt-exp-far-past", "exp a day before now: expired.", NOW - 86_400, reject(ExpiredJwt), &[Expiry][..]),
        (
            "jwt-exp-leeway-edge",
            "exp exactly now - 60: expired with every leeway J2 allows (0 to 60 s).",
            NOW - 60,
            reject(ExpiredJwt),
            &[Expiry][..],
        ),
        (
            "jwt-exp-past-leeway",
            "exp now - 61: one second past the leeway, expired.",
            NOW - 61,
            reject(ExpiredJwt),
            &[Expiry][..],
        ),
        ("jwt-exp-zero", "exp 0 (the epoch): expired.", 0, reject(ExpiredJwt), &[Expiry][..]),
        (
            "jwt-exp-within-leeway",
            "exp now - 59: inside J2's leeway window, valid with a 60 s leeway, expired with a smaller one; either is conformant.",
            NOW - 59,
            either(UID, ExpiredJwt),
            &[Expiry, Leeway][..],
        ),
        (
            "jwt-exp-now",
            "exp exactly now: inside the leeway window (expired with a 0 s leeway, valid with more); either is conformant.",
            NOW,
            either(UID, ExpiredJwt),
            &[Expiry, Leeway][..],
        ),
        ("jwt-exp-one-second-ahead", "exp now + 1: valid.", NOW + 1, user(UID), &[Expiry][..]),
        ("jwt-exp-far-future", "exp in the year 9999: valid.", 253_402_300_799, user(UID), &[Expiry][..]),
    ] {
        v.push(pw(id, comment, &[J2], flags, only(&web(&exp_claims(exp))), expect));
    }
    v.push(pw(
        "jwt-exp-one-minute-ahead",
        "exp now + 60: valid with every leeway J2 allows (the leeway only ever extends a token's life).",
        &[J2],
        &[Expiry],
        only(&web(&exp_claims(NOW + 60))),
        user(UID),
    ));
    let mut no_time_android = def(
        "jwt-exp-no-current-time-unenforced",
        "On production Android (nothing enforced), a token with a future exp and no current time: still refused (fail closed).",
        &[J2],
        &[Expiry, Enforcement],
        "standard",
        Android,
        only(&tok(&exp_claims(NOW + 600), PROD_ANDROID)),
        reject(InvalidJwt),
    );
    no_time_android.now = None;
    v.push(no_time_android);
    let mut no_time = pw(
        "jwt-exp-no-current-time",
        "A token with exp and no current time given to the verifier: refused (fail closed).",
        &[J2],
        &[Expiry],
        only(&web(&exp_claims(NOW + 600))),
        reject(InvalidJwt),
    );
    no_time.now = None;
    v.push(no_time);
    let mut no_exp = pw(
        "jwt-exp-absent-no-current-time",
        "A token without exp needs no current time: verified.",
        &[J2],
        &[Expiry, Functionality],
        only(&valid),
        user(UID),
    );
    no_exp.now = None;
    v.push(no_exp);
    // --- nbf against now (J2, RFC 7519 4.1.5) -------------------------------------------------------------------
    let nbf_claims = |nbf: i64| format!(r#"{{"user_id":"5678","nbf":{nbf}}}"#);
    for (id, comment, nbf, expect, flags) in [
        ("jwt-nbf-past", "nbf an hour before now: valid.", NOW - 3600, user(UID), &[Expiry, Functionality][..]),
        ("jwt-nbf-now", "nbf exactly now: valid with every leeway (nbf <= now).", NOW, user(UID), &[Expiry][..]),
        (
            "jwt-nbf-within-leeway",
            "nbf now + 30: inside J2's leeway window, valid with a 60 s leeway, not yet valid with a smaller one; either is conformant.",
            NOW + 30,
            either(UID, InvalidJwt),
            &[Expiry, Leeway][..],
        ),
        (
            "jwt-nbf-leeway-edge",
            "nbf now + 60: the window's last second, valid only with the full 60 s leeway; either is conformant.",
            NOW + 60,
            either(UID, InvalidJwt),
            &[Expiry, Leeway][..],
        ),
        (
            "jwt-nbf-past-leeway",
            "nbf now + 61: one second beyond any leeway J2 allows, not valid yet: invalid_jwt.",
            NOW + 61,
            reject(InvalidJwt),
            &[Expiry, AuthBypass][..],
        ),
        (
            "jwt-nbf-far-future",
            "nbf in 2030 (a token minted for later): not valid yet, invalid_jwt (RFC 7519 4.1.5: MUST NOT be accepted).",
            1_900_000_000,
            reject(InvalidJwt),
            &[Expiry, AuthBypass][..],
        ),
    ] {
        v.push(pw(id, comment, &[J2], flags, only(&web(&nbf_claims(nbf))), expect));
    }
    v.push(pw(
        "jwt-nbf-half-minute-ago",
        "nbf now - 30: valid with every leeway J2 allows (the leeway only ever makes a token valid earlier).",
        &[J2],
        &[Expiry],
        only(&web(&nbf_claims(NOW - 30))),
        user(UID),
    ));
    v.push(pw(
        "jwt-nbf-and-exp-valid",
        "nbf an hour ago and exp ten minutes ahead: valid.",
        &[J2],
        &[Expiry, Functionality],
        only(&web(r#"{"user_id":"5678","nbf":1799996400,"exp":1800000600}"#)),
        user(UID),
    ));
    v.push(pw(
        "jwt-nbf-future-exp-valid",
        "exp ten minutes ahead but nbf a day ahead: not valid yet, invalid_jwt.",
        &[J2],
        &[Expiry],
        only(&web(r#"{"user_id":"5678","nbf":1800086400,"exp":1800090000}"#)),
        reject(InvalidJwt),
    ));
    for (id, comment, claims, flags) in [
        (
            "jwt-claims-string-nbf",
            "nbf as a string: refused (an integer is required).",
            r#"{"user_id":"5678","nbf":"1799996400"}"#,
            &[Type, Expiry][..],
        ),
        (
            "jwt-claims-float-nbf",
            "nbf written as 1799996400.0: refused (an integer is required).",
            r#"{"user_id":"5678","nbf":1799996400.0}"#,
            &[Type, Number, Expiry][..],
        ),
        (
            "jwt-claims-null-nbf",
            "nbf null: a wrong type, refused.",
            r#"{"user_id":"5678","nbf":null}"#,
            &[Type, Expiry][..],
        ),
        (
            "jwt-claims-huge-nbf",
            "nbf -2^63 - 1, past the 64-bit integer range: refused.",
            r#"{"user_id":"5678","nbf":-9223372036854775809}"#,
            &[Number, Expiry][..],
        ),
    ] {
        v.push(pw(id, comment, &[J2], flags, only(&web(claims)), reject(InvalidJwt)));
    }
    let mut nbf_no_time = pw(
        "jwt-nbf-no-current-time",
        "A token with a past nbf and no current time given to the verifier: refused (fail closed), as for exp.",
        &[J2],
        &[Expiry],
        only(&web(&nbf_claims(NOW - 3600))),
        reject(InvalidJwt),
    );
    nbf_no_time.now = None;
    v.push(nbf_no_time);
    let mut nbf_no_time_android = def(
        "jwt-nbf-no-current-time-unenforced",
        "On production Android (nothing enforced), a token with nbf and no current time: still refused (fail closed).",
        &[J2],
        &[Expiry, Enforcement],
        "standard",
        Android,
        only(&tok(&nbf_claims(NOW - 60), PROD_ANDROID)),
        reject(InvalidJwt),
    );
    nbf_no_time_android.now = None;
    v.push(nbf_no_time_android);
    v.push(def(
        "jwt-nbf-future-on-unenforced-platform",
        "A token not valid for a day on production Android, where nothing is enforced: still refused.",
        &[J2],
        &[Expiry, Enforcement],
        "standard",
        Android,
        only(&tok(&nbf_claims(NOW + 86_400), PROD_ANDROID)),
        reject(InvalidJwt),
    ));
    v.push(def("jwt-exp-expired-on-unenforced-platform", "An expired token on production Android, where nothing is enforced: still refused, a token sent is always checked.", &[J2], &[Expiry, Enforcement], "standard", Android, only(&tok(&exp_claims(NOW - 3600), PROD_ANDROID)), reject(ExpiredJwt)));

    // --- clear-text identity (J3) -----------------------------------------------------------------------------
    let full = web(c_full);
    for (id, comment, members, expect, flags) in [
        (
            "jwt-clear-matching",
            "user_id and email in the clear equal the claims: verified.",
            vec![("user_id", json!(UID)), ("email", json!(EMAIL))],
            user(UID),
            &[ClearText, Functionality][..],
        ),
        (
            "jwt-clear-integer-user-id",
            "user_id 5678 sent in the clear as an integer equals the claim \"5678\" (S4): verified.",
            vec![("user_id", json!(5678))],
            user(UID),
            &[ClearText, Number][..],
        ),
        (
            "jwt-clear-email-only",
            "Only the email in the clear, equal to the claim: verified.",
            vec![("email", json!(EMAIL))],
            user(UID),
            &[ClearText][..],
        ),
        (
            "jwt-clear-empty-user-id",
            "user_id \"\" in the clear is absent (P3): verified.",
            vec![("user_id", json!(""))],
            user(UID),
            &[ClearText, Presence][..],
        ),
        (
            "jwt-clear-null-email",
            "email null in the clear is absent (P3): verified.",
            vec![("email", Value::Null)],
            user(UID),
            &[ClearText, Presence][..],
        ),
        (
            "jwt-mismatch-user-id",
            "user_id 5679 in the clear, 5678 in the claims: refused, the claims are the identity.",
            vec![("user_id", json!("5679"))],
            reject(IdentityMismatch),
            &[ClearText, AuthBypass][..],
        ),
        (
            "jwt-mismatch-integer-user-id",
            "user_id 5679 (an integer) in the clear, 5678 in the claims: refused.",
            vec![("user_id", json!(5679))],
            reject(IdentityMismatch),
            &[ClearText, AuthBypass, Number][..],
        ),
        (
            "jwt-mismatch-user-id-whitespace",
            "user_id \"5678 \" in the clear: exact bytes, refused.",
            vec![("user_id", json!("5678 "))],
            reject(IdentityMismatch),
            &[ClearText, Normalization][..],
        ),
        (
            "jwt-mismatch-email",
            "Another email in the clear than in the claims: refused.",
            vec![("user_id", json!(UID)), ("email", json!("bo@example.com"))],
            reject(IdentityMismatch),
            &[ClearText, AuthBypass][..],
        ),
        (
            "jwt-mismatch-email-case",
            "Ann@Example.com in the clear, ann@example.com in the claims: no case folding, refused.",
            vec![("email", json!("Ann@Example.com"))],
            reject(IdentityMismatch),
            &[ClearText, Normalization][..],
        ),
    ] {
        v.push(pw(id, comment, &[J3], flags, payload(PROD, &members, Some(&full)), expect));
    }
    let token_of = |claims: &str| web(claims);
    for (id, comment, claims, members, expect, flags) in [
        (
            "jwt-mismatch-email-nfd",
            "The claims' email josé@example.com in NFC, the clear email in NFD (e + U+0301): different bytes, refused, no normalisation.",
            "{\"user_id\":\"5678\",\"email\":\"jos\u{e9}@example.com\"}",
            vec![("email", json!("jose\u{301}@example.com"))],
            reject(IdentityMismatch),
            &[ClearText, Normalization, Encoding][..],
        ),
        (
            "jwt-mismatch-user-id-nfc",
            "The claims' user_id josé in NFD (e + U+0301), the clear user_id in NFC: different bytes, refused, no normalisation.",
            "{\"user_id\":\"jose\u{301}\"}",
            vec![("user_id", json!("jos\u{e9}"))],
            reject(IdentityMismatch),
            &[ClearText, Normalization, Encoding][..],
        ),
        (
            "jwt-mismatch-email-case-claim-upper",
            "Ann@Example.com in the claims, ann@example.com in the clear: no case folding in either direction, refused.",
            r#"{"user_id":"5678","email":"Ann@Example.com"}"#,
            vec![("user_id", json!(UID)), ("email", json!(EMAIL))],
            reject(IdentityMismatch),
            &[ClearText, Normalization][..],
        ),
        (
            "jwt-mismatch-email-not-in-claims-user-id-matches",
            "user_id 5678 and an email in the clear, claims with user_id 5678 and no email: the email differs from the claims (it has none), refused.",
            c_uid,
            vec![("user_id", json!(UID)), ("email", json!(EMAIL))],
            reject(IdentityMismatch),
            &[ClearText, AuthBypass][..],
        ),
        (
            "jwt-clear-integer-zero-user-id",
            "user_id 0 sent in the clear as an integer equals the claim \"0\" (S4, and 0 is present, P3): verified.",
            r#"{"user_id":"0"}"#,
            vec![("user_id", json!(0))],
            user("0"),
            &[ClearText, Number][..],
        ),
        (
            "jwt-mismatch-user-id-claim-whitespace",
            "user_id \"5678 \" in the claims, \"5678\" in the clear: exact bytes, refused (no trimming on either side).",
            r#"{"user_id":"5678 "}"#,
            vec![("user_id", json!(UID))],
            reject(IdentityMismatch),
            &[ClearText, Normalization][..],
        ),
    ] {
        v.push(pw(id, comment, &[J3], flags, payload(PROD, &members, Some(&token_of(claims))), expect));
    }
    v.push(pw(
        "jwt-mismatch-email-not-in-claims",
        "An email in the clear, and claims without email: refused.",
        &[J3],
        &[ClearText, AuthBypass],
        payload(PROD, &[("email", json!(EMAIL))], Some(&valid)),
        reject(IdentityMismatch),
    ));

    // --- a token and a user_hash ----------------------------------------------------------------------------
    let right_hash = mac_hex(PROD_WEB.as_bytes(), UID.as_bytes());
    v.push(pw(
        "jwt-with-user-hash-wrong",
        "A valid token beside a wrong user_hash: the token decides, verified.",
        &[J1, J3],
        &[Functionality],
        payload(PROD, &[("user_id", json!(UID)), ("user_hash", json!("0".repeat(64)))], Some(&valid)),
        user(UID),
    ));
    v.push(pw(
        "jwt-with-user-hash-malformed",
        "A valid token beside a user_hash that is not hex: the token decides, verified.",
        &[J1],
        &[Functionality, HexForm],
        payload(PROD, &[("user_hash", json!("not-a-hash"))], Some(&valid)),
        user(UID),
    ));
    v.push(pw(
        "jwt-with-user-hash-right-token-bad",
        "A right user_hash beside a token signed with the iOS secret: the token decides, refused.",
        &[J1, V2],
        &[AuthBypass, WrongSecret],
        payload(PROD, &[("user_id", json!(UID)), ("user_hash", json!(right_hash))], Some(&tok(c_uid, PROD_IOS))),
        reject(InvalidJwt),
    ));

    // --- how the token travels (P4 analogue) --------------------------------------------------------------
    let ok_hash = mac_hex(PROD_WEB.as_bytes(), UID.as_bytes());
    v.push(pw(
        "jwt-payload-token-number",
        "intercom_user_jwt is a number: the payload is malformed.",
        &[P4, J1],
        &[Type],
        obj(&[("app_id", json!(PROD)), (JWT_KEY, json!(5678))]),
        reject(MalformedPayload),
    ));
    v.push(pw(
        "jwt-payload-token-object",
        "intercom_user_jwt is an object: the payload is malformed.",
        &[P4, J1],
        &[Type],
        obj(&[("app_id", json!(PROD)), (JWT_KEY, json!({"token": valid}))]),
        reject(MalformedPayload),
    ));
    v.push(pw(
        "jwt-payload-token-duplicate",
        "intercom_user_jwt twice (a valid token, then another user's): the payload is malformed (P2).",
        &[P2, J1],
        &[DuplicateKey, AuthBypass],
        format!(
            r#"{{"app_id":"{PROD}","intercom_user_jwt":"{valid}","intercom_user_jwt":"{}"}}"#,
            web(r#"{"user_id":"1"}"#)
        ),
        reject(MalformedPayload),
    ));
    v.push(pw(
        "jwt-payload-token-empty-string",
        "intercom_user_jwt \"\" is absent: HMAC mode decides, and the valid user_hash verifies.",
        &[J1, P3, V6],
        &[Presence],
        payload(PROD, &[("user_id", json!(UID)), ("user_hash", json!(ok_hash)), (JWT_KEY, json!(""))], None),
        Expect::User { verified: true, source: Uid, value: UID.into() },
    ));
    v.push(def(
        "jwt-payload-token-null",
        "intercom_user_jwt null is absent: on production Android (nothing enforced) the user is unverified.",
        &[J1, P3, V5],
        &[Presence],
        "standard",
        Android,
        payload(PROD, &[("user_id", json!(UID)), (JWT_KEY, Value::Null)], None),
        Expect::User { verified: false, source: Uid, value: UID.into() },
    ));
    v.push(def("jwt-payload-lookalike-key", "A valid token under intercomUserJwt (not the key) is a custom attribute: on Android (nothing enforced) the user is unverified.", &[J1, P5], &[AuthBypass], "standard", Android, payload(PROD, &[("user_id", json!(UID)), ("intercomUserJwt", json!(tok(c_uid, PROD_ANDROID)))], None), Expect::User { verified: false, source: Uid, value: UID.into() }));
    for (id, comment, value) in [
        (
            "jwt-payload-valid-token-boolean-user-id",
            "A valid token beside user_id true in the clear: the payload is malformed (P3), whatever the token says.",
            json!(true),
        ),
        (
            "jwt-payload-valid-token-unsafe-integer-user-id",
            "A valid token beside user_id 2^53 in the clear (past the safe-integer range): the payload is malformed (P3), whatever the token says.",
            json!(9_007_199_254_740_992_u64),
        ),
    ] {
        v.push(pw(id, comment, &[P3, J1], &[Type], payload(PROD, &[("user_id", value)], Some(&valid)), reject(MalformedPayload)));
    }
    v.push(pw(
        "jwt-payload-token-empty-string-visitor",
        "intercom_user_jwt \"\" and nothing else is absent: a visitor (V3), not an invalid token.",
        &[J1, P3, V3],
        &[Presence],
        payload(PROD, &[(JWT_KEY, json!(""))], None),
        Expect::Visitor,
    ));
    v.push(pw(
        "jwt-unknown-app",
        "A valid production token sent with an app_id that is not configured: unknown_app (V1 first).",
        &[V1, J1],
        &[Functionality],
        payload("ws_nope", &[], Some(&valid)),
        reject(UnknownApp),
    ));

    // --- enforcement (J4) ---------------------------------------------------------------------------------------
    let jwt_on =
        |id: &str,
         comment: &str,
         rules: &[Rule],
         flags: &[Flag],
         platform: Platform,
         payload: String,
         expect: Expect| { def(id, comment, rules, flags, "jwt_enforced", platform, payload, expect) };
    v.push(jwt_on(
        "jwt-enforced-user-id-no-token",
        "JWT mode enforced on web: user_id without a token is refused.",
        &[J4, V5],
        &[Enforcement],
        Web,
        payload(PROD, &[("user_id", json!(UID))], None),
        reject(MissingUserHash),
    ));
    v.push(jwt_on(
        "jwt-enforced-valid-user-hash-no-token",
        "JWT mode enforced on web: a valid user_hash without a token is still refused.",
        &[J4, V6],
        &[Enforcement, AuthBypass],
        Web,
        payload(PROD, &[("user_id", json!(UID)), ("user_hash", json!(ok_hash))], None),
        reject(MissingUserHash),
    ));
    v.push(jwt_on(
        "jwt-enforced-email-no-token",
        "JWT mode enforced on web: an email without a token is refused.",
        &[J4, V5],
        &[Enforcement],
        Web,
        payload(PROD, &[("email", json!(EMAIL))], None),
        reject(MissingUserHash),
    ));
    v.push(jwt_on(
        "jwt-enforced-hash-only-no-token",
        "JWT mode enforced on web: a user_hash alone, no identifier and no token, is refused.",
        &[J4, V4],
        &[Enforcement],
        Web,
        payload(PROD, &[("user_hash", json!(ok_hash))], None),
        reject(MissingUserHash),
    ));
    v.push(jwt_on(
        "jwt-enforced-visitor",
        "JWT mode enforced on web: no identifier, no hash, no token is a visitor.",
        &[J4, V3],
        &[Enforcement, Functionality],
        Web,
        payload(PROD, &[("name", json!("Lead"))], None),
        Expect::Visitor,
    ));
    v.push(jwt_on(
        "jwt-enforced-visitor-jwt-only-platform",
        "iOS enforces JWT mode only: a payload with nothing but app_id is a visitor there (V3 holds under enforcement).",
        &[J4, V3],
        &[Enforcement, Functionality],
        Ios,
        payload(PROD, &[], None),
        Expect::Visitor,
    ));
    v.push(jwt_on(
        "jwt-enforced-valid-token",
        "JWT mode enforced on web: a valid token verifies.",
        &[J4, J1],
        &[Enforcement, Functionality],
        Web,
        only(&valid),
        user(UID),
    ));
    v.push(jwt_on(
        "jwt-enforced-invalid-token",
        "JWT mode enforced on web: a token signed with the iOS secret is refused as invalid_jwt.",
        &[J4, J1],
        &[Enforcement, WrongSecret],
        Web,
        only(&tok(c_uid, PROD_IOS)),
        reject(InvalidJwt),
    ));
    v.push(jwt_on(
        "jwt-enforced-jwt-only-platform",
        "iOS enforces JWT mode but not HMAC mode: user_id without a token is still refused.",
        &[J4, V8],
        &[Enforcement],
        Ios,
        payload(PROD, &[("user_id", json!(UID))], None),
        reject(MissingUserHash),
    ));
    v.push(jwt_on(
        "jwt-enforced-other-platform-hmac",
        "Android does not enforce JWT mode (web does): a valid user_hash verifies there in HMAC mode.",
        &[J4, V8, V6],
        &[Enforcement],
        Android,
        payload(
            PROD,
            &[("user_id", json!(UID)), ("user_hash", json!(mac_hex(PROD_ANDROID.as_bytes(), UID.as_bytes())))],
            None,
        ),
        user(UID),
    ));
    v.push(jwt_on(
        "jwt-enforced-other-workspace",
        "The test workspace does not enforce JWT mode on iOS: user_id without anything is an unverified user there.",
        &[J4, V8],
        &[Enforcement],
        Ios,
        payload(TEST, &[("user_id", json!(UID))], None),
        Expect::User { verified: false, source: Uid, value: UID.into() },
    ));
    v.push(def(
        "jwt-unenforced-invalid-token",
        "Production Android enforces nothing, and a token signed with the web secret is still refused there.",
        &[J1, J4],
        &[Enforcement, WrongSecret],
        "standard",
        Android,
        only(&valid),
        reject(InvalidJwt),
    ));
    v.extend(slot_defs());
    v
}

/// Every header parameter and claim the rules name, with a value of each JSON type (null, a boolean, a number,
/// a string, an array, an object): the type checks are exercised slot by slot, in the header and in the claims,
/// so a check that exists for one slot or one type only is caught. The judgement of each cell follows J1/J2 and
/// docs/INTERPRETATIONS.md: `alg` must be the string HS256; `typ` when present the string "JWT" (any case); `kid`
/// when present a string; `crit` refused in any form; `user_id` a non-empty string and `email` a string (null is
/// a wrong type, not absence); `exp` and `nbf` integers; `iat`, `aud`, `iss` and `jti` ignored whatever they hold.
fn slot_defs() -> Vec<VerifierDef> {
    let types: [(&str, &str); 6] = [
        ("null", "null"),
        ("bool", "true"),
        ("number", "7"),
        ("string", "\"x\""),
        ("array", "[\"x\"]"),
        ("object", "{\"x\":1}"),
    ];
    let mut v = Vec::new();
    let claims = r#"{"user_id":"5678"}"#;
    // Header slots, beside a right alg (except for alg itself).
    for (slot, accepted) in [("alg", &[][..]), ("typ", &[][..]), ("kid", &["string"][..]), ("crit", &[][..])] {
        for (ty, value) in types {
            if (slot, ty) == ("alg", "string") {
                continue; // HS256 is the valid token; other strings have their own cases
            }
            // kid 7 is jwt-kid-not-string already: a number of another size here.
            let value = if (slot, ty) == ("kid", "number") { "0" } else { value };
            let header = if slot == "alg" {
                format!(r#"{{"alg":{value},"typ":"JWT"}}"#)
            } else {
                format!(r#"{{"alg":"HS256","{slot}":{value}}}"#)
            };
            let ok = accepted.contains(&ty);
            v.push(pw(
                &format!("jwt-slot-header-{slot}-{ty}"),
                &format!(
                    "Header {slot} is {ty} ({value}), the token otherwise right under the web secret: {}.",
                    if ok { "accepted" } else { "refused (J1)" }
                ),
                &[J1],
                &[Type],
                only(&raw(&header, claims, PROD_WEB)),
                if ok { user(UID) } else { reject(InvalidJwt) },
            ));
        }
    }
    // Claim slots, beside user_id 5678 (except for user_id itself). The number for exp and nbf is a valid time.
    let slots: [(&str, &[&str]); 8] = [
        ("user_id", &["string"]),
        ("email", &["string"]),
        ("exp", &["number"]),
        ("nbf", &["number"]),
        ("iat", &["null", "bool", "number", "string", "array", "object"]),
        ("aud", &["null", "bool", "number", "string", "array", "object"]),
        ("iss", &["null", "bool", "number", "string", "array", "object"]),
        ("jti", &["null", "bool", "number", "string", "array", "object"]),
    ];
    for (slot, accepted) in slots {
        for (ty, value) in types {
            if [("email", "null"), ("nbf", "null")].contains(&(slot, ty)) {
                continue; // jwt-claims-null-email and jwt-claims-null-nbf are these cells
            }
            let value = match (slot, ty) {
                ("exp", "number") => "1800000600",
                ("nbf", "number") => "1799990000",
                _ => value,
            };
            let body = if slot == "user_id" {
                format!(r#"{{"user_id":{value}}}"#)
            } else {
                format!(r#"{{"user_id":"5678","{slot}":{value}}}"#)
            };
            let ok = accepted.contains(&ty);
            let who = if slot == "user_id" { "x" } else { UID };
            v.push(pw(
                &format!("jwt-slot-claim-{}-{ty}", slot.replace('_', "-")),
                &format!(
                    "Claim {slot} is {ty} ({value}) in a token signed with the web secret: {}.",
                    if ok { "a verified user" } else { "refused (J2: a wrong type is invalid_jwt)" }
                ),
                &[J2],
                &[Type],
                only(&web(&body)),
                if ok { user(who) } else { reject(InvalidJwt) },
            ));
        }
    }
    v
}

/// The reject classes each problem of a token's payload could be reported as, to refuse a case that two
/// classes could explain (an implementation may check in any order).
fn jwt_problems(config: &Config, platform: Platform, payload: &[u8], now: Option<i64>) -> BTreeSet<RejectReason> {
    let mut out = BTreeSet::new();
    let Ok(p) = BootPayload::parse(payload) else { return out };
    let (Some(token), Some(app)) = (&p.jwt, config.apps.get(&p.app_id)) else { return out };
    let secret = app.platform(platform).secret;
    match jwt::parse(token) {
        Err(_) => {
            out.insert(InvalidJwt);
        }
        Ok(t) => {
            if secret.as_ref().is_none_or(|s| t.check_signature(s.expose()).is_err()) {
                out.insert(InvalidJwt);
            }
        }
    }
    // The claims, read whatever the header and signature say.
    let claims_json = token.split('.').nth(1).and_then(unb64);
    match claims_json.map(|j| Claims::parse(&j)) {
        Some(Ok(claims)) => {
            // At both ends of the leeway J2 allows: a case may be in the window, never have two problems there.
            for leeway in [0, jwt::LEEWAY_SECONDS] {
                if let Err(e) = claims.check_time(now, leeway) {
                    out.insert(e.reason());
                }
            }
            if let Err(e) = claims.check_identity(&p.identifiers) {
                out.insert(e.reason());
            }
        }
        _ => {
            out.insert(InvalidJwt);
        }
    }
    out
}

/// A signing definition: the claims and, by hand, the claims JSON the token must carry (or the error class).
struct SignDef {
    id: &'static str,
    comment: &'static str,
    rules: &'static [Rule],
    flags: &'static [Flag],
    secret: Result<&'static str, Vec<u8>>,
    claims: ClaimsDoc,
    expect: Result<&'static str, &'static str>,
}

fn claims(user_id: &str, email: Option<&str>, exp: Option<i64>) -> ClaimsDoc {
    ClaimsDoc { user_id: user_id.into(), email: email.map(Into::into), exp }
}

fn sign_defs() -> Vec<SignDef> {
    assert_eq!(PROD_WEB_LF, format!("{PROD_WEB}\n"));
    assert_eq!(PROD_WEB_SP, format!(" {PROD_WEB}"));
    let d = |id, comment, rules, flags, secret, claims, expect| SignDef {
        id,
        comment,
        rules,
        flags,
        secret,
        claims,
        expect,
    };
    vec![
        d(
            "jwt-sign-user-id",
            "user_id only: an HS256 token whose claims hold that user_id and no email or exp.",
            &[J1, J2][..],
            &[Functionality][..],
            Ok(PROD_WEB),
            claims(UID, None, None),
            Ok(r#"{"user_id":"5678"}"#),
        ),
        d(
            "jwt-sign-user-id-email-exp",
            "user_id, email and exp: the token carries all three (in any order, J5).",
            &[J1, J2],
            &[Functionality],
            Ok(PROD_WEB),
            claims(UID, Some(EMAIL), Some(NOW + 600)),
            Ok(r#"{"user_id":"5678","email":"ann@example.com","exp":1800000600}"#),
        ),
        d(
            "jwt-sign-exp-without-email",
            "user_id and exp, no email.",
            &[J2],
            &[Functionality, Expiry],
            Ok(PROD_IOS),
            claims("u-9", None, Some(NOW)),
            Ok(r#"{"user_id":"u-9","exp":1800000000}"#),
        ),
        d(
            "jwt-sign-negative-exp",
            "A negative exp: the token carries exp -1 as an integer.",
            &[J2],
            &[Number, Expiry],
            Ok(PROD_WEB),
            claims(UID, None, Some(-1)),
            Ok(r#"{"user_id":"5678","exp":-1}"#),
        ),
        d(
            "jwt-sign-empty-email",
            "An empty email asked for: the token carries email \"\" (present, not dropped).",
            &[J2],
            &[Presence],
            Ok(PROD_WEB),
            claims(UID, Some(""), None),
            Ok(r#"{"user_id":"5678","email":""}"#),
        ),
        d(
            "jwt-sign-non-ascii",
            "Non-ASCII and non-BMP characters in user_id and email: the claims must read back as exactly these strings (raw UTF-8, as the reference writes them, or \\u escapes, as PyJWT does: J5).",
            &[J2, S3],
            &[Encoding],
            Ok(PROD_WEB),
            claims("jos\u{e9}-\u{1F600}", Some("\u{e9}l\u{e8}ve@exemple.fr"), None),
            Ok("{\"user_id\":\"jos\u{e9}-\u{1F600}\",\"email\":\"\u{e9}l\u{e8}ve@exemple.fr\"}"),
        ),
        d(
            "jwt-sign-escapes",
            "A quote, a backslash, a newline and U+0001 in user_id: the claims must read back as exactly this string (any valid JSON escapes, J5).",
            &[J2, S3],
            &[Encoding],
            Ok(PROD_WEB),
            claims("a\"b\\c\nd\u{1}e", None, None),
            Ok(r#"{"user_id":"a\"b\\c\nd\u0001e"}"#),
        ),
        d(
            "jwt-sign-slash-not-escaped",
            "A / in user_id (written as / or \\/, J5): the claims read back as team/5678.",
            &[J2, S3],
            &[Encoding],
            Ok(PROD_WEB),
            claims("team/5678", None, None),
            Ok(r#"{"user_id":"team/5678"}"#),
        ),
        d(
            "jwt-sign-hex-looking-secret",
            "A hex-looking secret is used as its ASCII bytes, never hex-decoded (S5).",
            &[J1, S5],
            &[KeyHandling],
            Ok(HEXY_WEB),
            claims(UID, None, None),
            Ok(r#"{"user_id":"5678"}"#),
        ),
        d(
            "jwt-sign-binary-secret",
            "A secret with non-text bytes (given as secret_hex) is used as those bytes.",
            &[J1, S5],
            &[KeyHandling],
            Err(vec![0, 0xff, 0x10, 0x80, 0x7f]),
            claims(UID, None, None),
            Ok(r#"{"user_id":"5678"}"#),
        ),
        d(
            "jwt-sign-long-secret",
            "A 100-byte secret is hashed first, as HMAC does with keys longer than the block.",
            &[J1, S5],
            &[KeyHandling],
            Err(vec![b'k'; 100]),
            claims(UID, None, None),
            Ok(r#"{"user_id":"5678"}"#),
        ),
        d(
            "jwt-sign-empty-secret",
            "An empty secret is refused.",
            &[S5, J1],
            &[KeyHandling],
            Ok(""),
            claims(UID, None, None),
            Err("empty_secret"),
        ),
        d(
            "jwt-sign-empty-user-id",
            "An empty user_id is refused (never a token without an identity).",
            &[J2, S2],
            &[Presence],
            Ok(PROD_WEB),
            claims("", Some(EMAIL), None),
            Err("no_identifier"),
        ),
        d(
            "jwt-sign-secret-trailing-newline",
            "The web secret with a trailing newline (read from a file): the newline is part of the key (S5), the signature must verify under it.",
            &[J1, S5],
            &[KeyHandling],
            Ok(PROD_WEB_LF),
            claims(UID, None, None),
            Ok(r#"{"user_id":"5678"}"#),
        ),
        d(
            "jwt-sign-secret-leading-space",
            "The web secret with a leading space (pasted): the space is part of the key (S5), the signature must verify under it.",
            &[J1, S5],
            &[KeyHandling],
            Ok(PROD_WEB_SP),
            claims("u-9", None, None),
            Ok(r#"{"user_id":"u-9"}"#),
        ),
        d(
            "jwt-sign-secret-inner-nul",
            "An ASCII secret with a NUL byte in the middle (secret_hex): every byte is key, not only those before the NUL.",
            &[J1, S5],
            &[KeyHandling],
            Err(b"Kx7pQ2vN\0sLm4RtY8wZb".to_vec()),
            claims(UID, None, None),
            Ok(r#"{"user_id":"5678"}"#),
        ),
        d(
            "jwt-sign-secret-invalid-utf8",
            "A secret that is not UTF-8 (c3 28 ff fe, no NUL): used as those bytes, never decoded to text.",
            &[J1, S5],
            &[KeyHandling, Encoding],
            Err(vec![0xc3, 0x28, 0xff, 0xfe, 0x41, 0x42]),
            claims(UID, None, None),
            Ok(r#"{"user_id":"5678"}"#),
        ),
        d(
            "jwt-sign-exp-zero",
            "exp 0 (the epoch) asked for: the token carries exp 0, a given exp is never dropped (J5).",
            &[J2],
            &[Expiry, Presence],
            Ok(PROD_WEB),
            claims(UID, None, Some(0)),
            Ok(r#"{"user_id":"5678","exp":0}"#),
        ),
        d(
            "jwt-sign-exp-zero-with-email",
            "user_id, email and exp 0 on the iOS secret: the token carries all three, exp 0 included.",
            &[J2],
            &[Expiry, Presence],
            Ok(PROD_IOS),
            claims("u-9", Some(EMAIL), Some(0)),
            Ok(r#"{"user_id":"u-9","email":"ann@example.com","exp":0}"#),
        ),
        d(
            "jwt-sign-user-id-surrounding-spaces",
            "user_id \" 5678 \": the claim holds exactly that string, spaces kept (S3, J5).",
            &[J2, S3],
            &[Normalization],
            Ok(PROD_WEB),
            claims(" 5678 ", None, None),
            Ok(r#"{"user_id":" 5678 "}"#),
        ),
        d(
            "jwt-sign-email-trailing-newline",
            "An email with a trailing newline: the claim holds exactly that string, the newline kept (S3, J5).",
            &[J2, S3],
            &[Normalization],
            Ok(PROD_WEB),
            claims(UID, Some("ann@example.com\n"), None),
            Ok(r#"{"user_id":"5678","email":"ann@example.com\n"}"#),
        ),
        d(
            "jwt-sign-email-mixed-case",
            "email Jane.Doe@Example.com: the claim keeps its case (S3, J5).",
            &[J2, S3],
            &[Normalization],
            Ok(PROD_WEB),
            claims(UID, Some("Jane.Doe@Example.com"), None),
            Ok(r#"{"user_id":"5678","email":"Jane.Doe@Example.com"}"#),
        ),
        d(
            "jwt-sign-email-upper-case",
            "email ANN@EXAMPLE.COM on the iOS secret: the claim keeps its case (S3, J5).",
            &[J2, S3],
            &[Normalization],
            Ok(PROD_IOS),
            claims("u-9", Some("ANN@EXAMPLE.COM"), None),
            Ok(r#"{"user_id":"u-9","email":"ANN@EXAMPLE.COM"}"#),
        ),
        d(
            "jwt-sign-user-id-nfd",
            "user_id josé in NFD (e + U+0301): the claim holds those exact code points, never NFC-normalised (S3, J5).",
            &[J2, S3],
            &[Normalization, Encoding],
            Ok(PROD_WEB),
            claims("jose\u{301}", None, None),
            Ok("{\"user_id\":\"jose\u{301}\"}"),
        ),
        d(
            "jwt-sign-email-nfd",
            "email josé@example.com in NFD (e + U+0301): the claim holds those exact code points, never NFC-normalised (S3, J5).",
            &[J2, S3],
            &[Normalization, Encoding],
            Ok(PROD_WEB),
            claims(UID, Some("jose\u{301}@example.com"), None),
            Ok("{\"user_id\":\"5678\",\"email\":\"jose\u{301}@example.com\"}"),
        ),
        d(
            "jwt-sign-empty-user-id-with-exp",
            "An empty user_id with an exp and no email, on the iOS secret: refused (never a token without an identity).",
            &[J2, S2],
            &[Presence],
            Ok(PROD_IOS),
            claims("", None, Some(NOW + 600)),
            Err("no_identifier"),
        ),
        d(
            "jwt-sign-empty-email-with-exp",
            "An empty email with an exp, on the iOS secret: the token carries email \"\" (present, not dropped) and exp.",
            &[J2],
            &[Presence],
            Ok(PROD_IOS),
            claims("u-9", Some(""), Some(NOW + 600)),
            Ok(r#"{"user_id":"u-9","email":"","exp":1800000600}"#),
        ),
        d(
            "jwt-sign-empty-secret-first",
            "An empty secret and an empty user_id: the secret is checked first.",
            &[S5, J2],
            &[KeyHandling, Presence],
            Ok(""),
            claims("", None, None),
            Err("empty_secret"),
        ),
    ]
}

fn build_sign(d: SignDef) -> Result<JwtSignCase, String> {
    let secret: Vec<u8> = match &d.secret {
        Ok(text) => text.as_bytes().to_vec(),
        Err(bytes) => bytes.clone(),
    };
    let core_claims =
        Claims { user_id: d.claims.user_id.clone(), email: d.claims.email.clone(), exp: d.claims.exp, nbf: None };
    let got = jwt::sign_jwt(&secret, &core_claims);
    let expected = match (&d.expect, got) {
        (Ok(claims_json), Ok(token)) => {
            let parts: Vec<&str> = token.split('.').collect();
            if unb64(parts[0]).as_deref() != Some(jwt::SIGNED_HEADER.as_bytes()) {
                return Err(format!("{}: the reference's header is not {}", d.id, jwt::SIGNED_HEADER));
            }
            if unb64(parts[1]).as_deref() != Some(claims_json.as_bytes()) {
                return Err(format!(
                    "{}: the definition expects claims {claims_json} but the reference signs {:?}",
                    d.id,
                    unb64(parts[1]).map(String::from_utf8)
                ));
            }
            let signature = unb64(parts[2]).ok_or_else(|| format!("{}: signature is not base64url", d.id))?;
            JwtSignExpected::Token {
                example_token: token.clone(),
                example_claims_json: claims_json.to_string(),
                example_signature_hex: encode_lower(&signature),
            }
        }
        (Err(class), Err(e)) if *class == e.class() => JwtSignExpected::Error { error: e.class().into() },
        (want, got) => {
            return Err(format!("{}: the definition expects {want:?} but the reference gives {got:?}", d.id))
        }
    };
    let (secret, secret_hex) = match d.secret {
        Ok(text) => (Some(text.to_string()), None),
        Err(bytes) => (None, Some(encode_lower(&bytes))),
    };
    // A token is graded by what it means (J5), so every token case exercises J5.
    let mut rules = d.rules.to_vec();
    if matches!(expected, JwtSignExpected::Token { .. }) && !rules.contains(&J5) {
        rules.push(J5);
    }
    Ok(JwtSignCase { meta: meta(d.id, d.comment, &rules, d.flags), secret, secret_hex, claims: d.claims, expected })
}

/// Every case of `jwt.json`: the verifier cases, then the signing cases.
pub(super) fn cases(configs: &BTreeMap<String, Config>) -> Result<Vec<JwtCase>, String> {
    let mut out = Vec::new();
    for d in verifier_defs() {
        let id = d.meta.id.clone();
        let config = configs.get(d.config).ok_or_else(|| format!("{id}: unknown config {:?}", d.config))?;
        let problems = jwt_problems(config, d.platform, &d.payload, d.now);
        if problems.len() > 1 {
            return Err(format!("{id}: two reject classes could apply ({problems:?}); one problem per case"));
        }
        out.push(JwtCase::Verify(build_verifier_case(d, configs, false)?));
    }
    for d in sign_defs() {
        out.push(JwtCase::Sign(build_sign(d)?));
    }
    Ok(out)
}
