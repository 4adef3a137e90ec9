//! Diagnosis (D1): given the configuration, what a page or app sent and the `user_hash` that failed, name
//! the most likely mistake and how to fix it, the way the best support engineer would.
//!
//! The search is exhaustive over the mistakes people make, so the answer is a fact ("this is the iOS
//! secret's hash"), not a guess: every configured secret (each platform of each workspace, and the REST API
//! keys) × every plausible message (the right identifier, the other identifier, trimmed, case-folded,
//! NFC/NFD-normalised, HTML-escaped, the empty string, previous identifiers, an integer printed as a float),
//! with key and message in either order, against the supplied hash decoded as hex or base64. The explanation
//! with the fewest mistakes wins. Secrets are never part of the output, only which one matched.
//!
//! JWT mode ([`diagnose_jwt`]): the token is checked as the verifier checks it (J1–J3), and a signature that
//! fails is checked under every other key of the configuration, so the answer names the key that signed it.

use crate::config::{Config, Secret};
use crate::hex::decode_tag;
use crate::identifier::{Identifiers, Source, UserId};
use crate::mac::{tags_equal, Keyed, Tag};
use crate::platform::Platform;
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// One mistake a diagnosis can name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mistake {
    /// The hash was made with another platform's secret of the same workspace.
    OtherPlatformSecret {
        /// The platform whose secret was used.
        used: Platform,
    },
    /// The hash was made with a secret of another workspace (e.g. the `[TEST]` one).
    OtherWorkspaceSecret {
        /// The app id whose secret was used.
        app: String,
        /// Its platform.
        platform: Platform,
    },
    /// The hash was made with a workspace's REST API key.
    ApiKey {
        /// The app id whose API key was used.
        app: String,
    },
    /// The email was hashed although a user_id was sent.
    EmailHashed,
    /// The identifier was trimmed before hashing.
    Trimmed,
    /// The identifier was lower-cased before hashing.
    LowerCased,
    /// The identifier was Unicode-normalised (NFC or NFD) before hashing.
    Normalised {
        /// `"NFC"` or `"NFD"`.
        form: &'static str,
    },
    /// The identifier was HTML-escaped before hashing.
    HtmlEscaped,
    /// The page sent the identifier HTML-escaped (`O&#x27;Brien`) while the hash is of the raw text
    /// (`O'Brien`): it escaped the identifier when printing it into the page, after hashing.
    SentHtmlEscaped {
        /// The raw identifier the hash is of.
        raw: String,
    },
    /// The integer user_id was printed as a float (`123.0`).
    IntegerAsFloat,
    /// Key and message were swapped in the HMAC call.
    Swapped,
    /// The tag was encoded as base64 instead of hex.
    Base64,
    /// The hash is of the empty string (the identifier was missing when it was computed).
    EmptyIdentifier,
    /// The hash is of an earlier identifier of the user (a stale or cached hash).
    StaleIdentifier {
        /// Which of the previous identifiers matched.
        previous: String,
    },
    /// The hash carried extra characters (whitespace, a `sha256=` or `0x` prefix) around the hex.
    Wrapped {
        /// What was around it.
        what: &'static str,
    },
}

impl Mistake {
    /// What went wrong and how to fix it, in one or two sentences.
    pub fn explain(&self, platform: Platform, app: &str) -> String {
        match self {
            Mistake::OtherPlatformSecret { used } => format!("this is the {used} secret's hash; the {platform} messenger needs the {platform} secret of {app}."),
            Mistake::OtherWorkspaceSecret { app: other, platform: p } => format!("this hash was made with the {p} secret of workspace {other}; requests to {app} need {app}'s own secret (test and production workspaces have separate secrets)."),
            Mistake::ApiKey { app: other } => format!("this hash was made with the REST API key of {other}; use the identity-verification secret from the security settings, never the API key."),
            Mistake::EmailHashed => "you hashed the email, but you also send user_id, so hash user_id (user_id always wins over email).".into(),
            Mistake::Trimmed => "the identifier was trimmed before hashing; hash it exactly as you send it, or trim it before sending too.".into(),
            Mistake::LowerCased => "the identifier was lower-cased before hashing; hash exactly the string you send (no case folding).".into(),
            Mistake::Normalised { form } => format!("the identifier was {form}-normalised before hashing; hash the exact UTF-8 bytes you send."),
            Mistake::HtmlEscaped => "the identifier was HTML-escaped before hashing (D1, S3); hash the raw string (escape only when printing it into HTML).".into(),
            Mistake::SentHtmlEscaped { raw } => format!("the identifier sent is HTML-escaped, but the hash is of the raw text {raw:?} (D1, S3): the page escaped it when printing it into the snippet, after hashing; send the raw identifier (print it into the script as a JSON string, e.g. Django's json_script or JSON.stringify, not HTML-escaped)."),
            Mistake::IntegerAsFloat => "the integer user_id was printed as a float (e.g. 123.0) before hashing; hash its plain decimal form.".into(),
            Mistake::Swapped => "key and message are swapped: the secret must be the HMAC key and the identifier the message.".into(),
            Mistake::Base64 => "the tag is base64-encoded; send it as 64 lowercase hex characters.".into(),
            Mistake::EmptyIdentifier => "this is the hash of an empty string: the identifier was missing when the hash was computed.".into(),
            Mistake::StaleIdentifier { previous } => format!("this is the hash of a previous identifier ({previous:?}): the hash is stale or cached; compute it for the identifier you send now."),
            Mistake::Wrapped { what } => format!("the hash has {what} around it; send just the 64 hex characters."),
        }
    }
}

/// The diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnosis {
    /// The hash is valid for what was sent.
    Valid {
        /// Which field it is the hash of.
        source: Source,
    },
    /// The hash is explained by these mistakes (one or more), found by recomputing it.
    Explained {
        /// The mistakes, most important first.
        mistakes: Vec<Mistake>,
        /// What matched, described without secrets (e.g. "HMAC(ios secret of ws_prod, email)").
        matched: String,
    },
    /// Nothing sent can be checked (unknown app, no identifier, no secret for the platform).
    CannotCheck {
        /// Why, with the fix.
        reason: String,
    },
    /// No combination reproduces the hash.
    Unexplained {
        /// How many combinations were tried.
        tried: usize,
        /// The likely causes that remain.
        advice: String,
    },
}

struct Key<'a> {
    secret: &'a Secret,
    label: String,
    mistake: Option<Mistake>,
}

struct Message {
    bytes: Vec<u8>,
    label: String,
    mistakes: Vec<Mistake>,
}

/// Diagnoses a failing `user_hash`. `previous` lists identifiers the user had before (for stale hashes).
pub fn diagnose(
    config: &Config,
    app_id: &str,
    platform: Platform,
    sent: &Identifiers,
    user_hash: &str,
    previous: &[String],
) -> Diagnosis {
    let Some(app) = config.apps.get(app_id) else {
        let known: Vec<&str> = config.apps.keys().map(String::as_str).collect();
        return Diagnosis::CannotCheck {
            reason: format!(
                "app_id {app_id:?} is not in the configuration (known: {}); check the app_id you boot with.",
                known.join(", ")
            ),
        };
    };
    let Some(selected) = sent.select() else {
        return Diagnosis::CannotCheck { reason: "no user_id or email was sent: a hash must travel with the identifier it was made from (send user_id or email too).".into() };
    };
    let Some(right_secret) = app.platform(platform).secret else {
        return Diagnosis::CannotCheck { reason: format!("no {platform} secret is configured for {app_id}, so no hash can be checked; add it to the configuration.") };
    };

    // How the hash could have been encoded.
    let mut tags: Vec<(Tag, Vec<Mistake>)> = Vec::new();
    let trimmed = user_hash.trim();
    let mut forms: Vec<(&str, Vec<Mistake>)> = vec![(user_hash, vec![])];
    if trimmed != user_hash {
        forms.push((trimmed, vec![Mistake::Wrapped { what: "whitespace" }]));
    }
    for (prefix, what) in [("sha256=", "a 'sha256=' prefix"), ("0x", "a '0x' prefix")] {
        if let Some(rest) = trimmed.strip_prefix(prefix) {
            forms.push((rest, vec![Mistake::Wrapped { what }]));
        }
    }
    for (text, wrapped) in &forms {
        if let Some(tag) = decode_tag(text) {
            tags.push((tag, wrapped.clone()));
        }
        if let Some(tag) = decode_base64_tag(text) {
            let mut m = wrapped.clone();
            m.push(Mistake::Base64);
            tags.push((tag, m));
        }
    }
    if tags.is_empty() {
        return Diagnosis::CannotCheck {
            reason: format!("user_hash is {} characters and not hex or base64 of 32 bytes; it must be exactly 64 hex characters (HMAC-SHA256).", user_hash.chars().count()),
        };
    }

    // Which keys could have been used.
    let mut keys = vec![Key { secret: &right_secret, label: format!("{platform} secret of {app_id}"), mistake: None }];
    let mut other_secrets: Vec<(Secret, String, Mistake)> = Vec::new();
    for (other_app, a) in &config.apps {
        for (p, settings) in &a.platforms {
            let Some(s) = &settings.secret else { continue };
            if other_app == app_id && *p == platform {
                continue;
            }
            let mistake = if other_app == app_id {
                Mistake::OtherPlatformSecret { used: *p }
            } else {
                Mistake::OtherWorkspaceSecret { app: other_app.clone(), platform: *p }
            };
            other_secrets.push((s.clone(), format!("{p} secret of {other_app}"), mistake));
        }
        if let Some(k) = &a.api_key {
            other_secrets.push((
                k.clone(),
                format!("REST API key of {other_app}"),
                Mistake::ApiKey { app: other_app.clone() },
            ));
        }
    }
    keys.extend(other_secrets.iter().map(|(s, label, m)| Key {
        secret: s,
        label: label.clone(),
        mistake: Some(m.clone()),
    }));

    // Which messages could have been hashed.
    let text = selected.text.clone();
    let mut messages =
        vec![Message { bytes: text.as_bytes().to_vec(), label: selected.source.as_str().into(), mistakes: vec![] }];
    let mut add = |bytes: String, label: &str, mistakes: Vec<Mistake>| {
        if bytes != text && !messages.iter().any(|m| m.bytes == bytes.as_bytes()) {
            messages.push(Message { bytes: bytes.into_bytes(), label: label.into(), mistakes });
        }
    };
    if selected.source == Source::UserId {
        if let Some(email) = sent.email.as_ref().filter(|e| !e.is_empty()) {
            add(email.clone(), "email", vec![Mistake::EmailHashed]);
        }
        if let Some(UserId::Integer(n)) = &sent.user_id {
            add(format!("{n}.0"), "user_id as a float", vec![Mistake::IntegerAsFloat]);
        }
    }
    add(text.trim().to_string(), "trimmed identifier", vec![Mistake::Trimmed]);
    add(text.to_lowercase(), "lower-cased identifier", vec![Mistake::LowerCased]);
    add(text.trim().to_lowercase(), "trimmed, lower-cased identifier", vec![Mistake::Trimmed, Mistake::LowerCased]);
    add(text.nfc().collect(), "NFC identifier", vec![Mistake::Normalised { form: "NFC" }]);
    add(text.nfd().collect(), "NFD identifier", vec![Mistake::Normalised { form: "NFD" }]);
    for escaped in html_escapes(&text) {
        add(escaped, "HTML-escaped identifier", vec![Mistake::HtmlEscaped]);
    }
    if let Some(raw) = html_unescape(&text) {
        let mistake = Mistake::SentHtmlEscaped { raw: raw.clone() };
        add(raw, "HTML-unescaped identifier (the raw text of the one sent)", vec![mistake]);
    }
    add(String::new(), "empty string", vec![Mistake::EmptyIdentifier]);
    for p in previous {
        add(p.clone(), "previous identifier", vec![Mistake::StaleIdentifier { previous: p.clone() }]);
    }

    // Try everything; keep the explanation with the fewest mistakes.
    let mut best: Option<(usize, Diagnosis)> = None;
    let mut tried = 0;
    for key in &keys {
        let keyed = Keyed::new(key.secret.expose());
        for msg in &messages {
            for swapped in [false, true] {
                let mac = if swapped { Keyed::new(&msg.bytes).mac(key.secret.expose()) } else { keyed.mac(&msg.bytes) };
                for (tag, form_mistakes) in &tags {
                    tried += 1;
                    if !tags_equal(&mac, tag) {
                        continue;
                    }
                    let mut mistakes: Vec<Mistake> = key.mistake.iter().cloned().collect();
                    mistakes.extend(msg.mistakes.iter().cloned());
                    if swapped {
                        mistakes.push(Mistake::Swapped);
                    }
                    mistakes.extend(form_mistakes.iter().cloned());
                    let found = if mistakes.is_empty() {
                        Diagnosis::Valid { source: selected.source }
                    } else {
                        let matched = if swapped {
                            format!("HMAC(key = {}, message = {})", msg.label, key.label)
                        } else {
                            format!("HMAC(key = {}, message = {})", key.label, msg.label)
                        };
                        Diagnosis::Explained { mistakes: mistakes.clone(), matched }
                    };
                    if best.as_ref().is_none_or(|(n, _)| mistakes.len() < *n) {
                        best = Some((mistakes.len(), found));
                    }
                }
            }
        }
    }
    best.map(|(_, d)| d).unwrap_or_else(|| Diagnosis::Unexplained {
        tried,
        advice: format!(
            "no secret in the configuration reproduces this hash for the identifier sent ({}). Check that the secret is current (it may have been regenerated), that the configuration lists every secret, and that the identifier sent is the one hashed (pass --previous for identifiers the user had before).",
            selected.source
        ),
    })
}

/// `s` HTML-escaped the ways template engines do: `&`, `<`, `>` always, the quotes as `&quot;`/`&#34;` and
/// `&#39;`/`&#x27;` (Jinja2/MarkupSafe: `&#34;` `&#39;`; Django, Python's `html.escape`: `&quot;` `&#x27;`; PHP:
/// `&quot;` `&#039;`), and with the quotes left alone (`html.escape(s, quote=False)`). Distinct forms only.
fn html_escapes(s: &str) -> Vec<String> {
    let base = s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut out = Vec::new();
    for dq in ["&quot;", "&#34;", "\""] {
        for sq in ["&#39;", "&#x27;", "&#039;", "'"] {
            let e = base.replace('"', dq).replace('\'', sq);
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}

/// `s` with its HTML character references decoded (`&amp;` `&lt;` `&gt;` `&quot;` `&apos;` and numeric ones,
/// `&#39;` `&#x27;` `&#34;`): the raw text a page escaped; `None` when `s` has no reference to decode.
fn html_unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut decoded = false;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let reference = tail.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &tail[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => match name.strip_prefix('#') {
                    Some(hex) if hex.starts_with(['x', 'X']) => {
                        u32::from_str_radix(&hex[1..], 16).ok().and_then(char::from_u32)
                    }
                    Some(dec) if !dec.is_empty() && dec.bytes().all(|b| b.is_ascii_digit()) => {
                        dec.parse().ok().and_then(char::from_u32)
                    }
                    _ => None,
                },
            };
            c.map(|c| (c, end))
        });
        match reference {
            Some((c, end)) => {
                out.push(c);
                rest = &tail[end + 1..];
                decoded = true;
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    decoded.then_some(out)
}

/// Decodes standard or URL-safe base64 (padding optional) of exactly 32 bytes.
fn decode_base64_tag(text: &str) -> Option<Tag> {
    let body = text.trim_end_matches('=');
    if body.len() != 43 {
        return None;
    }
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut out = Vec::with_capacity(33);
    for c in body.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = bits << 6 | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out.try_into().ok()
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnosis::Valid { source } => write!(f, "valid: the hash matches {source}"),
            Diagnosis::Explained { mistakes, matched } => {
                write!(f, "invalid: matched {matched} ({} mistake(s))", mistakes.len())
            }
            Diagnosis::CannotCheck { reason } => write!(f, "cannot check: {reason}"),
            Diagnosis::Unexplained { advice, .. } => write!(f, "unexplained: {advice}"),
        }
    }
}

// ---- JWT mode ----------------------------------------------------------------------------------------------

/// What is wrong with a JWT (J1–J3), found by checking it as the verifier does and, when its signature fails,
/// by checking it under every other key of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtDiagnosis {
    /// The token is valid for what was sent.
    Valid {
        /// The verified `user_id` claim.
        user_id: String,
    },
    /// The token is signed with another key of the configuration (named, never shown).
    SignedWith {
        /// The mistake: another platform's or workspace's secret, or the API key.
        mistake: Mistake,
        /// What matched, e.g. "ios secret of ws_prod".
        matched: String,
    },
    /// The token breaks a rule; the error says which and how.
    Refused(crate::jwt::JwtError),
    /// Nothing can be checked (unknown app).
    CannotCheck {
        /// Why, with the fix.
        reason: String,
    },
}

impl JwtDiagnosis {
    /// The fix, in one or two sentences.
    pub fn explain(&self, platform: Platform, app: &str) -> String {
        use crate::jwt::JwtError as E;
        match self {
            JwtDiagnosis::Valid { user_id } => format!("valid: the token verifies for user_id {user_id:?}."),
            JwtDiagnosis::SignedWith { mistake, .. } => match mistake {
                Mistake::OtherPlatformSecret { used } => format!("this token is signed with the {used} secret; the {platform} messenger needs the {platform} secret of {app}."),
                Mistake::OtherWorkspaceSecret { app: other, platform: p } => format!("this token is signed with the {p} secret of workspace {other}; requests to {app} need {app}'s own secret (test and production workspaces have separate secrets)."),
                Mistake::ApiKey { app: other } => format!("this token is signed with the REST API key of {other}; sign with the identity-verification secret, never the API key."),
                other => other.explain(platform, app),
            },
            JwtDiagnosis::CannotCheck { reason } => reason.clone(),
            JwtDiagnosis::Refused(e) => {
                let fix = match e {
                    E::AlgNone | E::AlgUnsupported { .. } | E::AlgMissing => "sign with HS256 (HMAC-SHA256) and the header {\"alg\":\"HS256\",\"typ\":\"JWT\"}; unsigned (alg none) and other algorithms are refused.",
                    E::Crit => "remove crit from the header: no JWS extension is understood.",
                    E::Typ | E::Kid => "send typ \"JWT\" (or none) and kid, if any, as a string.",
                    E::SegmentCount { .. } | E::EmptySegment(_) => "send the compact form header.claims.signature exactly as your JWT library produced it.",
                    E::Base64 { .. } => "use unpadded base64url (RFC 7515): no '=' padding, '-' and '_' instead of '+' and '/', no spaces or newlines.",
                    E::Json { .. } | E::NotObject(_) => "header and claims must each be one JSON object without repeated keys.",
                    E::NoSecret => "configure this platform's identity-verification secret.",
                    E::SignatureLength { .. } | E::SignatureMismatch => "sign with this platform's identity-verification secret (it may have been regenerated; check the configuration lists every secret).",
                    E::Claim { claim: "exp", .. } => "send exp as an integer number of seconds since the epoch.",
                    E::Claim { claim: "nbf", .. } => "send nbf as an integer number of seconds since the epoch, or leave it out.",
                    E::Claim { .. } => "send user_id as a non-empty string (at most 1,024 bytes) and email, if any, as a string.",
                    E::NoCurrentTime => "the checker needs the current time to judge exp and nbf.",
                    E::Expired { .. } => "sign a fresh token for each page load (or session) with exp a little in the future; check the server clock.",
                    E::NotYetValid { .. } => "set nbf to the signing time (or leave it out), never in the future; check the signing server's clock, which runs ahead.",
                    E::IdentityMismatch { .. } => "send the same user_id and email in the clear as in the token, or leave them out: the token's claims are the identity.",
                };
                let how_long = match (e.expired_by(), e.early_by()) {
                    (Some(s), _) => format!(" (by {s} s past the {} s leeway)", crate::jwt::LEEWAY_SECONDS),
                    (_, Some(s)) => format!(" (by {s} s beyond the {} s leeway)", crate::jwt::LEEWAY_SECONDS),
                    _ => String::new(),
                };
                format!("{e}{how_long}; {fix}")
            }
        }
    }
}

/// Diagnoses a JWT sent to `app_id` on `platform` at `now`, with the clear-text identifiers `clear`.
pub fn diagnose_jwt(
    config: &Config,
    app_id: &str,
    platform: Platform,
    token: &str,
    now: Option<i64>,
    clear: &Identifiers,
) -> JwtDiagnosis {
    use crate::jwt::{verify_token, JwtError};
    let Some(app) = config.apps.get(app_id) else {
        return JwtDiagnosis::CannotCheck {
            reason: format!("app_id {app_id:?} is not in the configuration; check the app_id you boot with."),
        };
    };
    let secret = app.platform(platform).secret;
    let checked =
        verify_token(secret.as_ref().map(Secret::expose), token, now).and_then(|c| c.check_identity(clear).map(|()| c));
    match checked {
        Ok(c) => JwtDiagnosis::Valid { user_id: c.user_id },
        Err(JwtError::SignatureMismatch | JwtError::NoSecret) => {
            for (other_app, a) in &config.apps {
                let mut keys: Vec<(Secret, String, Mistake)> = a
                    .platforms
                    .iter()
                    .filter(|(p, _)| !(other_app == app_id && **p == platform))
                    .filter_map(|(p, s)| {
                        let mistake = if other_app == app_id {
                            Mistake::OtherPlatformSecret { used: *p }
                        } else {
                            Mistake::OtherWorkspaceSecret { app: other_app.clone(), platform: *p }
                        };
                        s.secret.clone().map(|k| (k, format!("{p} secret of {other_app}"), mistake))
                    })
                    .collect();
                if let Some(k) = &a.api_key {
                    keys.push((
                        k.clone(),
                        format!("REST API key of {other_app}"),
                        Mistake::ApiKey { app: other_app.clone() },
                    ));
                }
                for (key, matched, mistake) in keys {
                    if crate::jwt::parse(token).is_ok_and(|t| t.check_signature(key.expose()).is_ok()) {
                        return JwtDiagnosis::SignedWith { mistake, matched };
                    }
                }
            }
            JwtDiagnosis::Refused(checked.expect_err("matched an error above"))
        }
        Err(e) => JwtDiagnosis::Refused(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes under `prod-web-secret-0001`, computed with Python's `hmac` (not this crate):
    /// `hmac.new(b"prod-web-secret-0001", MSG.encode(), hashlib.sha256).hexdigest()`.
    const O_BRIEN: &str = "71a3a1348df91a8d0dc336aa609c82022ade28be42097752d9403a44ac950d38"; // O'Brien
    const O_BRIEN_X27: &str = "6e79681d8114c4d677bea8f1d8b3ddadba37891b9b8c5542399583c35721649b"; // O&#x27;Brien
    const O_BRIEN_39: &str = "8432cb072bb8fcdfd5c6a363c144922eac3db5eb635c6ac75a4e0c0a26cb9841"; // O&#39;Brien
    const TOM: &str = "ea596a3ef94bcf29639199393a37abf719025d27bce5423728292d293d066ca0"; // Tom & Jerry
    const TOM_AMP: &str = "69a9e1c0abaa8aa97208fcbc3df28f32ca180e28fd08573cdafdc5fa0b8fe88f"; // Tom &amp; Jerry
    const BOLD: &str = "916e3bb7f277af7ecce3121ded90668a3d276a106bff5584b382b1699040a86f"; // <b>
    const SAY_HI: &str = "9e206222dd7f4705c5af18f3861653bb92565ae72146a297a316fbcc673b03c5"; // say "hi"
    const A_34_B: &str = "9c30cfffa18eca4b7069f175ef31bb15abeae7f48af772f38984e5956b30162c"; // a&#34;b
    const A_QUOT_B: &str = "ff0beb84bc44debe30abcb2e04a06fbcba1e10d3ce304974bebc922c41000080"; // a&quot;b

    fn check(user_id: &str, hash: &str) -> Diagnosis {
        let config =
            Config::from_toml_str("[apps.ws_prod]\nweb = { secret = \"prod-web-secret-0001\", enforced = true }\n")
                .unwrap();
        let sent = Identifiers { user_id: Some(UserId::Text(user_id.into())), email: None };
        diagnose(&config, "ws_prod", Platform::Web, &sent, hash, &[])
    }

    #[test]
    fn an_identifier_sent_html_escaped_with_the_hash_of_the_raw_text_is_named() {
        for (sent, hash, raw) in [
            ("O&#x27;Brien", O_BRIEN, "O'Brien"),
            ("O&#39;Brien", O_BRIEN, "O'Brien"),
            ("Tom &amp; Jerry", TOM, "Tom & Jerry"),
            ("&lt;b&gt;", BOLD, "<b>"),
            ("say &quot;hi&quot;", SAY_HI, "say \"hi\""),
            ("say &#34;hi&#34;", SAY_HI, "say \"hi\""),
        ] {
            match check(sent, hash) {
                Diagnosis::Explained { mistakes, matched } => {
                    assert_eq!(mistakes, vec![Mistake::SentHtmlEscaped { raw: raw.into() }], "{sent}");
                    assert!(matched.contains("HTML-unescaped"), "{sent}: {matched}");
                    let fix = mistakes[0].explain(Platform::Web, "ws_prod");
                    assert!(fix.contains("D1") && fix.contains(&format!("{raw:?}")), "{fix}");
                }
                other => panic!("{sent}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_hash_of_the_escaped_text_of_a_raw_identifier_is_named() {
        for (sent, hash) in [
            ("O'Brien", O_BRIEN_X27),
            ("O'Brien", O_BRIEN_39),
            ("Tom & Jerry", TOM_AMP),
            ("a\"b", A_34_B),
            ("a\"b", A_QUOT_B),
        ] {
            let Diagnosis::Explained { mistakes, .. } = check(sent, hash) else { panic!("{sent} {hash}") };
            assert_eq!(mistakes, vec![Mistake::HtmlEscaped], "{sent} {hash}");
        }
    }

    #[test]
    fn entity_text_hashed_as_sent_is_valid() {
        // The identifier really is the text "O&#x27;Brien" (sent and hashed alike): nothing to explain.
        assert_eq!(check("O&#x27;Brien", O_BRIEN_X27), Diagnosis::Valid { source: Source::UserId });
        assert_eq!(check("O'Brien", O_BRIEN), Diagnosis::Valid { source: Source::UserId });
        // A stray ampersand is not a reference.
        assert_eq!(html_unescape("a & b &c; &#xZZ; &#;"), None);
        assert_eq!(html_unescape("&amp;lt;").as_deref(), Some("&lt;"), "one level only");
        assert_eq!(html_unescape("&#128512;&#x1F600;").as_deref(), Some("\u{1F600}\u{1F600}"));
    }
}
