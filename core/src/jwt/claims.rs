//! The claims (J2, J3): `user_id` required, `email` optional, `exp` and `nbf` optional with the leeway, and
//! the comparison with what the payload sends in the clear.

use super::error::{JwtError, Segment};
use super::token::object;
use crate::identifier::{Identifiers, Source};
use crate::json::Value;
use crate::payload::MAX_IDENTIFIER_BYTES;

/// The claims JWT mode reads; every other claim (`iat`, `jti`, `iss`, `aud`, `name`, ...) is ignored (J2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `user_id`: a non-empty string of at most 1,024 bytes; the verified identity.
    pub user_id: String,
    /// `email`, when the claim is present.
    pub email: Option<String>,
    /// `exp` in seconds since the epoch, when present.
    pub exp: Option<i64>,
    /// `nbf` ("not before", RFC 7519 §4.1.5) in seconds since the epoch, when present.
    pub nbf: Option<i64>,
}

fn claim_error(claim: &'static str, detail: impl Into<String>) -> JwtError {
    JwtError::Claim { claim, detail: detail.into() }
}

/// An integer number of seconds (`exp`, `nbf`): integer syntax, within the 64-bit range.
fn seconds_claim(claim: &'static str, value: Value) -> Result<i64, JwtError> {
    match value {
        Value::Number(n) if n.is_integer_syntax() => {
            n.as_i64().ok_or_else(|| claim_error(claim, format!("{n} is outside the 64-bit integer range")))
        }
        other => Err(claim_error(claim, format!("must be an integer number of seconds, found {}", other.type_name()))),
    }
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
        let mut nbf = None;
        for (key, value) in object(Segment::Claims, json)? {
            match key.as_str() {
                "user_id" => user_id = Some(text_claim("user_id", value)?),
                "email" => email = Some(text_claim("email", value)?),
                "exp" => exp = Some(seconds_claim("exp", value)?),
                "nbf" => nbf = Some(seconds_claim("nbf", value)?),
                _ => {}
            }
        }
        let user_id = user_id.ok_or_else(|| claim_error("user_id", "is missing (it is required)"))?;
        if user_id.is_empty() {
            return Err(claim_error("user_id", "is empty"));
        }
        Ok(Claims { user_id, email, exp, nbf })
    }

    /// J2's times with `leeway` seconds (the reference uses [`super::LEEWAY_SECONDS`]; J2 lets an
    /// implementation choose 0 to 60): with `exp`, the token is valid while `exp > now - leeway`, else
    /// `expired_jwt`; with `nbf`, from `nbf <= now + leeway` on, else `invalid_jwt` (RFC 7519 §4.1.5). A token
    /// with neither needs no current time; with either and no current time it is refused (fail closed). `exp` is
    /// judged first, but the generator keeps every vector to one problem, so the order is never graded.
    pub fn check_time(&self, now: Option<i64>, leeway: i64) -> Result<(), JwtError> {
        if self.exp.is_none() && self.nbf.is_none() {
            return Ok(());
        }
        let now = now.ok_or(JwtError::NoCurrentTime)?;
        let (now_wide, leeway_wide) = (i128::from(now), i128::from(leeway));
        if let Some(exp) = self.exp {
            if i128::from(exp) <= now_wide - leeway_wide {
                return Err(JwtError::Expired { exp, now, leeway });
            }
        }
        if let Some(nbf) = self.nbf {
            if i128::from(nbf) > now_wide + leeway_wide {
                return Err(JwtError::NotYetValid { nbf, now, leeway });
            }
        }
        Ok(())
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

    /// The claims as the reference signs them: compact JSON in the order `user_id`, `email`, `exp`, `nbf`,
    /// strings minimally escaped (J5 lets a signer write any serialisation a strict verifier reads the same way).
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
        if let Some(nbf) = self.nbf {
            out.push_str(&format!(",\"nbf\":{nbf}"));
        }
        out.push('}');
        out
    }
}
