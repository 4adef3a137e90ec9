//! The `jwt` fuzz target's input ([`crate::targets::jwt`]): fuzzer bytes decoded into a secret, a token, a
//! current time and clear-text identifiers.
//!
//! Layout: a flags byte (1 = a current time follows as an i64 LE, 2 = a secret follows with a length byte,
//! 4 = the token is built from parts rather than raw), the time, the secret, a byte choosing the clear-text
//! identifiers (1 = `user_id` text with a length byte, 2 = `user_id` an i64 LE clamped to ±(2^53 − 1),
//! 4 = `email` with a length byte), then the token: the rest as text, or a [`BuiltToken`].

use super::{byte, i64_le, take};
use arbitrary::{Arbitrary, Unstructured};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ivconform_core::identifier::{Identifiers, UserId, MAX_SAFE_INTEGER};
use ivconform_core::mac::hmac_sha256;

/// A decoded `jwt` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtInput {
    /// The platform's secret (none: the platform has no secret).
    pub secret: Option<Vec<u8>>,
    /// The token sent.
    pub token: String,
    /// The current time given to the verifier.
    pub now: Option<i64>,
    /// What the payload sends in the clear.
    pub clear: Identifiers,
}

/// The header of a built token.
#[derive(Arbitrary, Debug, Clone)]
enum Header {
    Signer,
    AlgOnly,
    Alg(u8),
    Typ(u8),
    Kid(bool),
    Crit,
    DuplicateAlg,
    Raw(String),
}

const ALGS: [&str; 8] = ["HS256", "none", "NONE", "RS256", "HS512", "hs256", "HS256 ", ""];
const TYPS: [&str; 4] = ["\"JWT\"", "\"jwt\"", "\"JWS\"", "1"];

impl Header {
    fn json(&self) -> String {
        match self {
            Header::Signer => ivconform_core::jwt::SIGNED_HEADER.to_string(),
            Header::AlgOnly => r#"{"alg":"HS256"}"#.to_string(),
            Header::Alg(i) => format!(r#"{{"alg":"{}","typ":"JWT"}}"#, ALGS[usize::from(*i) % ALGS.len()]),
            Header::Typ(i) => format!(r#"{{"alg":"HS256","typ":{}}}"#, TYPS[usize::from(*i) % TYPS.len()]),
            Header::Kid(string) => {
                format!(r#"{{"alg":"HS256","kid":{}}}"#, if *string { "\"k1\"" } else { "7" })
            }
            Header::Crit => r#"{"alg":"HS256","crit":["exp"]}"#.to_string(),
            Header::DuplicateAlg => r#"{"alg":"HS256","alg":"none"}"#.to_string(),
            Header::Raw(s) => s.clone(),
        }
    }
}

/// A claim's value in a built token.
#[derive(Arbitrary, Debug, Clone)]
enum Claim {
    Text(String),
    Number(i64),
    Null,
    Known(u8),
}

const TEXTS: [&str; 6] = ["5678", "ann@example.com", "", "jos\u{e9}", "5678 ", "a\"b\\c"];

impl Claim {
    fn json(&self) -> String {
        let text = |s: &str| {
            let mut out = String::new();
            ivconform_core::json::write_json_string(s, &mut out);
            out
        };
        match self {
            Claim::Text(s) => text(s),
            Claim::Number(n) => n.to_string(),
            Claim::Null => "null".into(),
            Claim::Known(i) => text(TEXTS[usize::from(*i) % TEXTS.len()]),
        }
    }
}

/// `exp` or `nbf` in a built token, mostly near the current time.
#[derive(Arbitrary, Debug, Clone)]
enum Exp {
    Absent,
    Offset(i16),
    Absolute(i64),
    Text,
    Fraction,
}

/// The signature of a built token.
#[derive(Arbitrary, Debug, Clone)]
enum Signature {
    Right,
    OtherKey(Vec<u8>),
    BitFlip(u8),
    Truncated(u8),
    Empty,
    Hex,
    Padded,
    StandardAlphabet,
}

/// A token from parts: header, claims, signature, and a last change to the compact form.
#[derive(Arbitrary, Debug, Clone)]
pub struct BuiltToken {
    header: Header,
    user_id: Option<Claim>,
    email: Option<Claim>,
    exp: Exp,
    signature: Signature,
    extra_segment: bool,
    /// `nbf`, the same shapes as `exp` (J2: at most now + the leeway), last so older inputs decode as before.
    nbf: Exp,
}

impl BuiltToken {
    fn build(&self, secret: &[u8], now: Option<i64>) -> String {
        let mut claims = Vec::new();
        if let Some(u) = &self.user_id {
            claims.push(format!("\"user_id\":{}", u.json()));
        }
        if let Some(e) = &self.email {
            claims.push(format!("\"email\":{}", e.json()));
        }
        for (name, time) in [("exp", &self.exp), ("nbf", &self.nbf)] {
            match time {
                Exp::Absent => {}
                Exp::Offset(o) => claims.push(format!("\"{name}\":{}", now.unwrap_or(0).saturating_add(i64::from(*o)))),
                Exp::Absolute(n) => claims.push(format!("\"{name}\":{n}")),
                Exp::Text => claims.push(format!("\"{name}\":\"1800000000\"")),
                Exp::Fraction => claims.push(format!("\"{name}\":1800000000.0")),
            }
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(self.header.json()),
            URL_SAFE_NO_PAD.encode(format!("{{{}}}", claims.join(",")))
        );
        let right = hmac_sha256(secret, input.as_bytes());
        let signature = match &self.signature {
            Signature::Right => URL_SAFE_NO_PAD.encode(right),
            Signature::OtherKey(k) => URL_SAFE_NO_PAD.encode(hmac_sha256(k, input.as_bytes())),
            Signature::BitFlip(bit) => {
                let mut t = right;
                t[usize::from(bit / 8)] ^= 1 << (bit % 8);
                URL_SAFE_NO_PAD.encode(t)
            }
            Signature::Truncated(n) => URL_SAFE_NO_PAD.encode(&right[..usize::from(*n) % 32]),
            Signature::Empty => String::new(),
            Signature::Hex => right.iter().map(|b| format!("{b:02x}")).collect(),
            Signature::Padded => format!("{}=", URL_SAFE_NO_PAD.encode(right)),
            Signature::StandardAlphabet => STANDARD.encode(right),
        };
        let token = format!("{input}.{signature}");
        if self.extra_segment {
            format!("{token}.x")
        } else {
            token
        }
    }
}

fn text(u: &mut Unstructured) -> String {
    let len = usize::from(byte(u));
    String::from_utf8_lossy(take(u, len)).into_owned()
}

/// Decodes a `jwt` input (layout in the module documentation).
pub fn decode_jwt(data: &[u8]) -> JwtInput {
    let mut u = Unstructured::new(data);
    let flags = byte(&mut u);
    let now = (flags & 1 == 1).then(|| i64_le(&mut u));
    let secret = if flags & 2 == 2 {
        let len = usize::from(byte(&mut u));
        Some(take(&mut u, len).to_vec()).filter(|s| !s.is_empty())
    } else {
        None
    };
    let which = byte(&mut u);
    let user_id = match which & 3 {
        1 => Some(UserId::Text(text(&mut u))),
        2 => Some(UserId::Integer(i64_le(&mut u).clamp(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER))),
        _ => None,
    };
    let email = (which & 4 == 4).then(|| text(&mut u));
    let clear = Identifiers { user_id, email };
    let token = if flags & 4 == 4 {
        let key = secret.clone().unwrap_or_default();
        BuiltToken::arbitrary_take_rest(u).map(|b| b.build(&key, now)).unwrap_or_default()
    } else {
        String::from_utf8_lossy(u.take_rest()).into_owned()
    };
    JwtInput { secret, token, now, clear }
}

/// The `jwt` input (raw token) that decodes to `input`, for seeds. Fails on what the layout cannot hold.
pub fn encode_jwt(input: &JwtInput) -> Result<Vec<u8>, String> {
    fn short(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), String> {
        out.push(u8::try_from(bytes.len()).map_err(|_| format!("{} bytes do not fit a length byte", bytes.len()))?);
        out.extend_from_slice(bytes);
        Ok(())
    }
    let mut out = vec![u8::from(input.now.is_some()) | u8::from(input.secret.is_some()) << 1];
    if let Some(now) = input.now {
        out.extend_from_slice(&now.to_le_bytes());
    }
    if let Some(secret) = &input.secret {
        if secret.is_empty() {
            return Err("an empty secret reads as none".into());
        }
        short(&mut out, secret)?;
    }
    let which = match &input.clear.user_id {
        None => 0,
        Some(UserId::Text(_)) => 1,
        Some(UserId::Integer(_)) => 2,
    } | if input.clear.email.is_some() { 4 } else { 0 };
    out.push(which);
    match &input.clear.user_id {
        Some(UserId::Text(t)) => short(&mut out, t.as_bytes())?,
        Some(UserId::Integer(n)) => out.extend_from_slice(&n.to_le_bytes()),
        None => {}
    }
    if let Some(e) = &input.clear.email {
        short(&mut out, e.as_bytes())?;
    }
    out.extend_from_slice(input.token.as_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_round_trips() {
        let input = JwtInput {
            secret: Some(b"s3cret".to_vec()),
            token: "a.b.c".into(),
            now: Some(1_800_000_000),
            clear: Identifiers { user_id: UserId::integer(-3), email: Some("e@x".into()) },
        };
        assert_eq!(decode_jwt(&encode_jwt(&input).unwrap()), input);
        let bare = JwtInput { secret: None, token: String::new(), now: None, clear: Identifiers::default() };
        assert_eq!(decode_jwt(&encode_jwt(&bare).unwrap()), bare);
    }
}
