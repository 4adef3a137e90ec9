//! JWT mode (J1–J3): the compact HS256 JWS a site sends as `intercom_user_jwt` ([`crate::payload::JWT_KEY`]),
//! verified and signed.
//!
//! Pure like the rest of the crate: the current time is an argument (`now`, seconds since the epoch),
//! never read here. [`verify_token`] checks, in this order, the form and header ([`token::parse`]), the
//! signature ([`token::Token::check_signature`]), the claims ([`Claims::parse`]) and `exp` and `nbf`
//! ([`Claims::check_time`]); [`Claims::check_identity`] is J3. The verifier's use of all this, with
//! enforcement (J4), is in [`mod@crate::verify`]. Choices the rule book leaves open are in
//! `docs/INTERPRETATIONS.md` and `docs/JWT.md`.

mod claims;
mod error;
mod token;

pub use claims::Claims;
pub use error::{JwtError, Segment};
pub use token::{expected_signature, parse, Token};

use crate::sign::SignError;

/// The one accepted `alg` (J1), compared exactly (case-sensitive).
pub const ALG: &str = "HS256";

/// The reference's leeway on `exp` and `nbf`, in seconds: [`MAX_LEEWAY_SECONDS`], the most J2 allows.
pub const LEEWAY_SECONDS: i64 = MAX_LEEWAY_SECONDS;

/// J2: an implementation chooses its leeway in `0..=60` seconds; a time inside that window is not graded.
pub const MAX_LEEWAY_SECONDS: i64 = 60;

/// The header every token [`sign_jwt`] makes carries, byte for byte.
pub const SIGNED_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// J1 and J2 for one token: form, header, signature under `secret` (none configured: refused), claims, `exp`
/// and `nbf` against `now` with the reference's [`LEEWAY_SECONDS`]. On success, the signed claims.
pub fn verify_token(secret: Option<&[u8]>, token: &str, now: Option<i64>) -> Result<Claims, JwtError> {
    verify_token_with_leeway(secret, token, now, LEEWAY_SECONDS)
}

/// [`verify_token`] with another leeway, in seconds: what an implementation that chose it (J2: 0 to 60)
/// decides, so the vectors can tell a time inside the window (not graded) from one outside it.
pub fn verify_token_with_leeway(
    secret: Option<&[u8]>,
    token: &str,
    now: Option<i64>,
    leeway: i64,
) -> Result<Claims, JwtError> {
    let parsed = parse(token)?;
    parsed.check_signature(secret.ok_or(JwtError::NoSecret)?)?;
    let claims = Claims::parse(&parsed.claims_json)?;
    claims.check_time(now, leeway)?;
    Ok(claims)
}

/// Signs `claims` under `secret`: header [`SIGNED_HEADER`], claims as [`Claims::to_json`], HMAC-SHA256 over
/// the ASCII `header.claims`; deterministic bytes. An empty secret is refused first (`empty_secret`, S5),
/// then an empty `user_id` (`no_identifier`).
pub fn sign_jwt(secret: &[u8], claims: &Claims) -> Result<String, SignError> {
    if secret.is_empty() {
        return Err(SignError::EmptySecret);
    }
    if claims.user_id.is_empty() {
        return Err(SignError::NoIdentifier);
    }
    let signing_input =
        format!("{}.{}", token::encode(SIGNED_HEADER.as_bytes()), token::encode(claims.to_json().as_bytes()));
    let signature = token::encode(&expected_signature(secret, &signing_input));
    Ok(format!("{signing_input}.{signature}"))
}

#[cfg(test)]
mod tests;
