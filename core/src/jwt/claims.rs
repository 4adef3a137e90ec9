//! The claims (J2, J3): `user_id` required, `email` optional, `exp` optional with the leeway, and the
//! comparison with what the payload sends in the clear.

use super::error::{JwtError, Segment};
use super::token::object;
use super::LEEWAY_SECONDS;
use crate::identifier::{Identifiers, Source};
use crate::json::Value;
use crate::payload::MAX_IDENTIFIER_BYTES;

/// The claims JWT mode reads; every other claim (`iat`, `nbf`, `name`, ...) is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `user_id`: a non-empty string of at most 1,024 bytes; the verified identity.
    pub user_id: String,
    /// `email`, when the claim is present.
    pub email: Option<String>,
    /// `exp` in seconds since the epoch, when present.
    pub exp: Option<i64>,
}

fn claim_error(claim: &'static str, detail: impl Into<String>) -> JwtError {
    JwtError::Claim { claim, detail: detail.into() }
}

fn text_claim(claim: &'static str, value: Value) -> Result<String, JwtError> {
    match value {
        Value::String(s) if s.len() > MAX_IDENTIFIER_BYTES => {
            Err(claim_error(claim, format!("{} bytes, more than the limit of {MAX_IDENTIFIER_BYTES}", s.len())))
        }
        Value::String(s) => Ok(s),
        other => Err(claim_error(claim, format!("must be a string, found {}", other.type_name()))),
    }
}

impl Claims {
    /// Reads the decoded claims segment: a strict-JSON object with the types above.
    pub fn parse(json: &[u8]) -> Result<Claims, JwtError> {
        let mut user_id = None;
        let mut email = None;
        let mut exp = None;
        for (key, value) in object(Segment::Claims, json)? {
            match key.as_str() {
                "user_id" => user_id = Some(text_claim("user_id", value)?),
                "email" => email = Some(text_claim("email", value)?),
                "exp" => {
                    exp = Some(match value {
                        Value::Number(n) if n.is_integer_syntax() => n
                            .as_i64()
                            .ok_or_else(|| claim_error("exp", format!("{n} is outside the 64-bit integer range")))?,
                        other => {
                            return Err(claim_error(
                                "exp",
                                format!("must be an integer number of seconds, found {}", other.type_name()),
                            ))
                        }
                    })
                }
                _ => {}
            }
        }
        let user_id = user_id.ok_or_else(|| claim_error("user_id", "is missing (it is required)"))?;
        if user_id.is_empty() {
            return Err(claim_error("user_id", "is empty"));
        }
        Ok(Claims { user_id, email, exp })
    }

    /// J2's expiry: without `exp` the token does not expire; with it, it is valid while `exp > now - 60`. No
    /// current time and an `exp`: refused (fail closed).
    pub fn check_exp(&self, now: Option<i64>) -> Result<(), JwtError> {
        let Some(exp) = self.exp else { return Ok(()) };
        let now = now.ok_or(JwtError::NoCurrentTime)?;
        if i128::from(exp) > i128::from(now) - i128::from(LEEWAY_SECONDS) {
            Ok(())
        } else {
            Err(JwtError::Expired { exp, now })
        }
    }

    /// J3: a clear-text `user_id` (present per P3; an integer as its canonical decimal) must equal the claim,
    /// and a clear-text `email` (present per P3) must equal the `email` claim, which must then exist. Exact
    /// bytes, no case folding.
    pub fn check_identity(&self, clear: &Identifiers) -> Result<(), JwtError> {
        if let Some(id) = clear.user_id.as_ref().filter(|id| id.is_present()) {
            if id.canonical_text() != self.user_id {
                return Err(JwtError::IdentityMismatch { field: Source::UserId });
            }
        }
        if let Some(email) = clear.email.as_ref().filter(|e| !e.is_empty()) {
            if self.email.as_deref() != Some(email.as_str()) {
                return Err(JwtError::IdentityMismatch { field: Source::Email });
            }
        }
        Ok(())
    }

    /// The claims as signed: compact JSON in the order `user_id`, `email`, `exp`, strings minimally escaped.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"user_id\":");
        crate::json::write_json_string(&self.user_id, &mut out);
        if let Some(e) = &self.email {
            out.push_str(",\"email\":");
            crate::json::write_json_string(e, &mut out);
        }
        if let Some(exp) = self.exp {
            out.push_str(&format!(",\"exp\":{exp}"));
        }
        out.push('}');
        out
    }
}
