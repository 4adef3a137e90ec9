//! The compact form (J1, J2): three canonical unpadded base64url segments, a strict-JSON header whose `alg`
//! is exactly `HS256`, and the signature checked in constant time.

use super::error::{JwtError, Segment};
use super::ALG;
use crate::json::{self, Limits, Value};
use crate::mac::{tags_equal, Keyed, Tag, TAG_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// A token whose form and header passed J1/J2; its signature and claims are not checked yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// `header.claims` as sent: the ASCII bytes the signature covers.
    pub signing_input: &'a str,
    /// The decoded claims segment (JSON, not yet parsed).
    pub claims_json: Vec<u8>,
    /// The decoded signature segment.
    pub signature: Vec<u8>,
}

/// Decodes one segment: non-empty, canonical unpadded base64url (the engine refuses `=`, `+`, `/`, any other
/// byte and non-zero trailing bits).
fn decode(segment: Segment, text: &str) -> Result<Vec<u8>, JwtError> {
    if text.is_empty() {
        return Err(JwtError::EmptySegment(segment));
    }
    URL_SAFE_NO_PAD.decode(text).map_err(|e| JwtError::Base64 { segment, detail: e.to_string() })
}

/// Parses a segment's JSON with the payload parser's strictness (duplicate keys, limits) into an object.
pub(super) fn object(segment: Segment, bytes: &[u8]) -> Result<Vec<(String, Value)>, JwtError> {
    match json::parse(bytes, Limits::P6) {
        Ok(Value::Object(members)) => Ok(members),
        Ok(_) => Err(JwtError::NotObject(segment)),
        Err(e) => Err(JwtError::Json { segment, detail: e.kind.to_string() }),
    }
}

/// The header rules: `alg` exactly `HS256`; `typ`, if present, `"JWT"` in any letter case; `kid`, if present, a
/// string (ignored); no `crit`; anything else ignored.
fn check_header(members: &[(String, Value)]) -> Result<(), JwtError> {
    let get = |name: &str| members.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    match get("alg") {
        None => return Err(JwtError::AlgMissing),
        Some(Value::String(a)) if a == ALG => {}
        Some(Value::String(a)) if a.eq_ignore_ascii_case("none") => return Err(JwtError::AlgNone),
        Some(Value::String(a)) => return Err(JwtError::AlgUnsupported { alg: Some(a.clone()) }),
        Some(_) => return Err(JwtError::AlgUnsupported { alg: None }),
    }
    if get("crit").is_some() {
        return Err(JwtError::Crit);
    }
    match get("typ") {
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") => {}
        Some(_) => return Err(JwtError::Typ),
    }
    match get("kid") {
        None | Some(Value::String(_)) => Ok(()),
        Some(_) => Err(JwtError::Kid),
    }
}

/// Splits and decodes a compact JWS and checks its header. The header is checked before the claims and
/// signature segments are decoded, so an `alg: none` token with an empty signature is reported as such.
pub fn parse(token: &str) -> Result<Token<'_>, JwtError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err(JwtError::SegmentCount { found: parts.len() });
    };
    check_header(&object(Segment::Header, &decode(Segment::Header, header)?)?)?;
    let claims_json = decode(Segment::Claims, claims)?;
    let signature = decode(Segment::Signature, signature)?;
    let signing_input = &token[..header.len() + 1 + claims.len()];
    Ok(Token { signing_input, claims_json, signature })
}

/// HMAC-SHA256 of the signing input under `secret`: the signature a correct signer produces.
pub fn expected_signature(secret: &[u8], signing_input: &str) -> Tag {
    Keyed::new(secret).mac(signing_input.as_bytes())
}

impl Token<'_> {
    /// J1's signature check: 32 bytes, equal to the expected HMAC, compared in constant time.
    pub fn check_signature(&self, secret: &[u8]) -> Result<(), JwtError> {
        let supplied: Tag = self
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| JwtError::SignatureLength { len: self.signature.len() })?;
        debug_assert_eq!(supplied.len(), TAG_LEN);
        if tags_equal(&expected_signature(secret, self.signing_input), &supplied) {
            Ok(())
        } else {
            Err(JwtError::SignatureMismatch)
        }
    }
}

/// Encodes bytes as unpadded base64url (for signing).
pub(super) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
