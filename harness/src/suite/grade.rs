//! Grading one answer against one expectation: pass, or fail with expected, actual and a hint that names
//! the bug class (a precedence bug is reported as a precedence bug, not as a wrong hash). Two JWT rules grade
//! by meaning rather than by one answer: a time inside J2's leeway window is `either` (both conformant answers
//! are accepted and neither counts as a pass), and a `sign_jwt` token is verified with the reference (J5:
//! HS256, valid signature, the asked-for claims, no `nbf`), with a hint naming what differs.

use super::plan::{Expect, PlannedCase};
use ivconform_core::hex::encode_lower;
use ivconform_core::Rule;
use ivconform_protocol::{Request, Response};
use ivconform_vectors::{As, Flag, JwtSignExpected, SignExpected, VerifyExpected};

/// The verdict on one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grade {
    /// The answer is right.
    Pass,
    /// J2's leeway window: the answer is one of the two conformant ones (accepted, or refused by a smaller
    /// leeway); not graded either way, and never counted as a pass.
    Either {
        /// What the implementation answered (compact).
        actual: String,
    },
    /// The answer is wrong.
    Fail {
        /// What a conforming implementation answers (compact).
        expected: String,
        /// What this one answered (compact).
        actual: String,
        /// A one-line hint naming the likely mistake.
        hint: String,
        /// The rule the answer broke: the one the hint names (`S1: ...`), else the case's first rule.
        rule: Option<Rule>,
    },
}

fn fail(expected: impl Into<String>, actual: impl Into<String>, hint: impl Into<String>) -> Grade {
    Grade::Fail { expected: expected.into(), actual: actual.into(), hint: hint.into(), rule: None }
}

/// The rule a failing answer broke: the first rule id the hint starts with (`S1:`, `S3/S4:`, `J2 leeway
/// window:`), preferring one the case is tagged with, else the case's first rule (the vector's primary rule).
pub fn broken_rule(case: &PlannedCase, hint: &str) -> Option<Rule> {
    let head = hint.split([':', ' ', '(']).next().unwrap_or_default();
    let named: Vec<Rule> = head.split('/').filter_map(|id| id.parse::<Rule>().ok()).collect();
    named.iter().find(|r| case.rules.contains(r)).or(named.first()).copied().or_else(|| case.rules.first().copied())
}

/// The generic hint: the case's comment and the rules it exercises.
fn case_hint(case: &PlannedCase) -> String {
    let rules: Vec<String> = case.rules.iter().map(|r| format!("{r}: {}", r.summary())).collect();
    format!("{} ({})", case.comment, rules.join("; "))
}

/// Grades `response` for `case`; a failure names the rule it broke ([`broken_rule`]).
pub fn grade(case: &PlannedCase, response: &Response) -> Grade {
    match grade_answer(case, response) {
        Grade::Fail { expected, actual, hint, rule: None } => {
            let rule = broken_rule(case, &hint);
            Grade::Fail { expected, actual, hint, rule }
        }
        other => other,
    }
}

fn grade_answer(case: &PlannedCase, response: &Response) -> Grade {
    if let Response::Error { message, .. } = response {
        return fail(
            expected_text(&case.expect),
            format!("error response: {message}"),
            format!(
                "the implementation claims '{}' but answered this case with an error; the case: {}",
                case.capability.as_str(),
                case_hint(case)
            ),
        );
    }
    match (&case.expect, response) {
        (Expect::Tag { hex, bits }, Response::Hmac { tag_hex, .. }) => grade_tag(case, hex, *bits, tag_hex),
        (Expect::Mac { hex, bits, valid }, Response::Hmac { tag_hex, .. }) => {
            grade_mac(case, hex, *bits, *valid, tag_hex)
        }
        (Expect::Sign(expected), Response::Sign { user_hash, identifier_source, identifier_hex, error, .. }) => {
            grade_sign(
                case,
                expected,
                user_hash.as_deref(),
                identifier_source.as_deref(),
                identifier_hex.as_deref(),
                error.as_deref(),
            )
        }
        (Expect::Verify(expected), r @ Response::Verify { .. }) => grade_verify(case, expected, r),
        (Expect::SignJwt(expected), Response::SignJwt { token, error, .. }) => {
            grade_sign_jwt(case, expected, token.as_deref(), error.as_deref())
        }
        (expect, other) => fail(expected_text(expect), format!("{other:?}"), "the answer is of the wrong message type"),
    }
}

fn grade_tag(case: &PlannedCase, hex: &str, bits: u32, got: &str) -> Grade {
    let chars = (bits / 4) as usize;
    let ok = got.len() == 64
        && got.get(..chars) == Some(hex)
        && got.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        return Grade::Pass;
    }
    let hint = if got.eq_ignore_ascii_case(hex) || got.get(..chars).is_some_and(|p| p.eq_ignore_ascii_case(hex)) {
        "S1: the tag must be lowercase hex".to_string()
    } else if got.len() != 64 {
        format!("S1: a tag is 64 hex characters, this one has {}", got.len())
    } else {
        case_hint(case)
    };
    fail(format!("tag_hex {hex}{}", if bits < 256 { "…" } else { "" }), format!("tag_hex {got}"), hint)
}

fn grade_mac(case: &PlannedCase, hex: &str, bits: u32, valid: Option<bool>, got: &str) -> Grade {
    let well_formed = got.len() == 64 && got.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return fail(
            "a 64-digit lowercase hex tag",
            format!("tag_hex {got}"),
            "S1: a tag is 64 lowercase hex characters",
        );
    }
    let prefix = &got[..(bits / 4) as usize];
    match valid {
        Some(true) if prefix == hex => Grade::Pass,
        Some(true) => fail(format!("tag {hex} (first {bits} bits)"), format!("tag {prefix}"), case_hint(case)),
        Some(false) if prefix != hex => Grade::Pass,
        Some(false) => fail(
            format!("a tag other than the modified tag {hex}"),
            format!("tag {prefix}"),
            format!("AUTH_BYPASS: the implementation produced Wycheproof's modified (invalid) tag ({})", case.comment),
        ),
        None => Grade::Pass,
    }
}

fn grade_sign(
    case: &PlannedCase,
    expected: &SignExpected,
    user_hash: Option<&str>,
    source: Option<&str>,
    id_hex: Option<&str>,
    error: Option<&str>,
) -> Grade {
    let actual = match (user_hash, error) {
        (Some(h), None) => format!(
            "user_hash {h}{}",
            source
                .map(|s| format!(" (identifier {s}{})", id_hex.map(|x| format!(", bytes {x}")).unwrap_or_default()))
                .unwrap_or_default()
        ),
        (None, Some(e)) => format!("error {e}"),
        (Some(h), Some(e)) => format!("both user_hash {h} and error {e}"),
        (None, None) => "no hash produced (user_hash null, no error class)".into(),
    };
    match expected {
        SignExpected::Error { error: want } if user_hash.is_none() && error.is_none() => {
            // "No hash produced" is a refusal of unknown class: not a pass of any refusal case.
            fail(format!("error {want}"), actual, format!("refused without a class; expected {want}"))
        }
        SignExpected::Error { error: want } => {
            if error == Some(want.as_str()) && user_hash.is_none() {
                return Grade::Pass;
            }
            let hint = if want == "no_identifier" && user_hash.is_some() {
                "S2: with no identifier the signer must refuse (no_identifier), never hash the empty string".to_string()
            } else if want == "empty_secret" && user_hash.is_some() {
                "S5: an empty secret must be refused (empty_secret)".to_string()
            } else {
                case_hint(case)
            };
            fail(format!("error {want}"), actual, hint)
        }
        SignExpected::Hash { identifier_source, identifier, message_hex, user_hash: want } => {
            let want_source = identifier_source.as_str();
            let expected = format!("user_hash {want} (identifier {want_source} {identifier:?}, bytes {message_hex})");
            if error.is_none() && user_hash.is_none() {
                return fail(expected, actual, format!("no hash produced, but this case has one: {}", case_hint(case)));
            }
            if error.is_some() || user_hash.is_none() {
                return fail(expected, actual, case_hint(case));
            }
            let got = user_hash.unwrap_or_default();
            if source.is_some_and(|s| s != want_source) {
                return fail(
                    expected,
                    actual,
                    format!("S2 precedence: the identifier is {want_source} here ({})", case.comment),
                );
            }
            if id_hex.is_some_and(|x| !x.eq_ignore_ascii_case(message_hex)) {
                return fail(expected, actual, format!("S3/S4: the identifier's bytes are wrong ({})", case.comment));
            }
            if got == want {
                return Grade::Pass;
            }
            let hint = if got.eq_ignore_ascii_case(want) {
                "S1: user_hash must be lowercase hex".to_string()
            } else if let Some(named) = diagnosed(case, got) {
                named
            } else if got.len() != 64 {
                format!("S1: user_hash is 64 hex characters, this one has {}", got.len())
            } else {
                case_hint(case)
            };
            fail(expected, actual, hint)
        }
    }
}

/// D1 on a wrong `user_hash`: the diagnosis (`ivconform diagnose`'s search) over the case's secret and
/// identifiers, and over the secret hex-decoded (S5), naming the mistake that reproduces the hash, with the
/// rule it breaks; `None` when no mistake it knows does.
fn diagnosed(case: &PlannedCase, got: &str) -> Option<String> {
    use ivconform_core::config::{AppConfig, PlatformConfig};
    use ivconform_core::diagnose::{diagnose, Diagnosis, Mistake};
    use ivconform_core::{Config, Identifiers, Platform, Secret, UserId};
    let Request::Sign { secret_hex, user_id, email, .. } = &case.request else { return None };
    let secret = ivconform_core::hex::decode(secret_hex)?;
    let user_id = match user_id {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(UserId::Text(s.clone())),
        Some(v) => Some(v.as_i64().and_then(UserId::integer)?),
    };
    let email = match email {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    let ids = Identifiers { user_id, email };
    let app = |secret: Vec<u8>| AppConfig {
        platforms: [(Platform::Web, PlatformConfig { secret: Some(Secret::new(secret)), ..Default::default() })]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let mut config = Config { apps: [("app".to_string(), app(secret.clone()))].into_iter().collect() };
    // S5's classic: a secret that looks like hex, decoded to bytes before use.
    if let Some(decoded) = std::str::from_utf8(&secret).ok().and_then(ivconform_core::hex::decode) {
        config.apps.insert("hex-decoded".into(), app(decoded));
    }
    let Diagnosis::Explained { mistakes, matched } = diagnose(&config, "app", Platform::Web, &ids, got, &[]) else {
        return None;
    };
    let rule = |m: &Mistake| match m {
        Mistake::EmailHashed | Mistake::EmptyIdentifier => "S2",
        Mistake::Trimmed
        | Mistake::LowerCased
        | Mistake::Normalised { .. }
        | Mistake::HtmlEscaped
        | Mistake::SentHtmlEscaped { .. } => "S3",
        Mistake::IntegerAsFloat => "S4",
        Mistake::OtherWorkspaceSecret { .. } | Mistake::OtherPlatformSecret { .. } | Mistake::ApiKey { .. } => "S5",
        _ => "S1",
    };
    let words: Vec<String> = mistakes
        .iter()
        .map(|m| match m {
            Mistake::OtherWorkspaceSecret { .. } => {
                "the secret was hex-decoded before use; its raw bytes are the key.".to_string()
            }
            Mistake::EmptyIdentifier => {
                "this is HMAC of the empty string: the identifier was missing when the hash was computed.".to_string()
            }
            Mistake::SentHtmlEscaped { raw } => {
                format!("the identifier's HTML character references were decoded before hashing (this is the hash of {raw:?}); hash the exact text.")
            }
            m => m.explain(Platform::Web, "app"),
        })
        .collect();
    let matched = matched
        .replace("web secret of app", "the secret")
        .replace("web secret of hex-decoded", "the secret hex-decoded");
    Some(format!("{}: {} (D1 diagnosis: the hash is {matched})", rule(&mistakes[0]), words.join(" ")))
}

fn expected_text(expect: &Expect) -> String {
    match expect {
        Expect::Tag { hex, .. } => format!("tag_hex {hex}"),
        Expect::Mac { hex, valid, .. } => {
            format!("tag {}{hex}", if *valid == Some(false) { "other than " } else { "" })
        }
        Expect::Sign(SignExpected::Hash { user_hash, identifier_source, .. }) => {
            format!("user_hash {user_hash} (identifier {})", identifier_source.as_str())
        }
        Expect::Sign(SignExpected::Error { error }) => format!("error {error}"),
        Expect::Verify(v) => verify_text(v),
        Expect::SignJwt(JwtSignExpected::Token { example_token, .. }) => {
            format!("a token that means the claims asked for (J5), e.g. {example_token}")
        }
        Expect::SignJwt(JwtSignExpected::Error { error }) => format!("error {error}"),
    }
}

/// A base64url segment as text, for hints (lenient: hints only).
fn segment_text(segment: &str) -> String {
    use base64::Engine;
    match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => "(not base64url)".into(),
    }
}

fn grade_sign_jwt(case: &PlannedCase, expected: &JwtSignExpected, token: Option<&str>, error: Option<&str>) -> Grade {
    let actual = match (token, error) {
        (Some(t), None) => format!("token {t}"),
        (None, Some(e)) => format!("error {e}"),
        (Some(t), Some(e)) => format!("both token {t} and error {e}"),
        (None, None) => "neither token nor error".into(),
    };
    match expected {
        JwtSignExpected::Error { error: want } => {
            if error == Some(want.as_str()) && token.is_none() {
                return Grade::Pass;
            }
            let hint = match (want.as_str(), token.is_some()) {
                ("empty_secret", true) => "S5: an empty secret must be refused (empty_secret)".to_string(),
                ("no_identifier", true) => {
                    "J2: a token needs a non-empty user_id; refuse with no_identifier".to_string()
                }
                _ => case_hint(case),
            };
            fail(format!("error {want}"), actual, hint)
        }
        JwtSignExpected::Token { example_token, .. } => {
            let expected = format!("a token that means the claims asked for (J5), e.g. {example_token}");
            let Some(got) = token.filter(|_| error.is_none()) else { return fail(expected, actual, case_hint(case)) };
            match token_meaning(case, got) {
                Ok(()) => Grade::Pass,
                Err(hint) => fail(expected, actual, hint),
            }
        }
    }
}

/// J5: `token` is a signing of what the case's `sign_jwt` request asked for, read by the reference's strict
/// verifier: form and header (J1), the signature under the request's secret, the claims' types (J2), then
/// `user_id`, `email` and `exp` equal to those asked for (absent when not asked for), and no `nbf` (a verifier
/// would refuse the token before it). `Err` is the hint naming what differs.
fn token_meaning(case: &PlannedCase, token: &str) -> Result<(), String> {
    use ivconform_core::jwt;
    let Request::SignJwt { secret_hex, user_id, email, exp, .. } = &case.request else {
        return Err("a sign_jwt expectation on a request that is not sign_jwt (a harness bug)".into());
    };
    let secret = ivconform_core::hex::decode(secret_hex).unwrap_or_default();
    let parsed = jwt::parse(token).map_err(|e| format!("{}: {e} (a strict verifier refuses this token)", e.rule()))?;
    parsed.check_signature(&secret).map_err(|e| {
        format!("J1: {e}; sign HMAC-SHA256 over the token's first two segments, as sent, with the secret's raw bytes")
    })?;
    let claims = jwt::Claims::parse(&parsed.claims_json)
        .map_err(|e| format!("J2: {e} (the claims are {})", segment_text(token.split('.').nth(1).unwrap_or(""))))?;
    let shown = |v: Option<String>| v.unwrap_or_else(|| "absent".into());
    let mut differs = Vec::new();
    if &claims.user_id != user_id {
        differs.push(format!("user_id is {:?}, asked for {user_id:?}", claims.user_id));
    }
    if &claims.email != email {
        differs.push(format!(
            "email is {}, asked for {}",
            shown(claims.email.as_ref().map(|e| format!("{e:?}"))),
            shown(email.as_ref().map(|e| format!("{e:?}")))
        ));
    }
    if &claims.exp != exp {
        differs.push(format!(
            "exp is {}, asked for {}",
            shown(claims.exp.map(|e| e.to_string())),
            shown(exp.map(|e| e.to_string()))
        ));
    }
    if let Some(nbf) = claims.nbf {
        differs.push(format!("the token carries nbf {nbf}, not asked for: verifiers refuse it before then (J2)"));
    }
    if differs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "J5: the token does not mean what was asked: {} (claims {})",
            differs.join("; "),
            segment_text(token.split('.').nth(1).unwrap_or(""))
        ))
    }
}

/// A verify outcome in one line: `accept user verified (user_id "5678")`, `reject invalid_user_hash`.
pub fn verify_text(v: &VerifyExpected) -> String {
    match v {
        VerifyExpected::Accept { as_: As::Visitor, .. } => "accept visitor".into(),
        VerifyExpected::Accept { verified, identifier, .. } => format!(
            "accept user {} ({})",
            if verified.unwrap_or(false) { "verified" } else { "unverified" },
            identifier.as_ref().map(|i| format!("{} {:?}", i.source.as_str(), i.value)).unwrap_or_default()
        ),
        VerifyExpected::Reject { reason } => format!("reject {reason}"),
        VerifyExpected::Either { accept, reject } => format!(
            "either {} or reject {reject} (J2's leeway window: the leeway is the implementation's choice in 0-60 s)",
            verify_text(accept)
        ),
    }
}

fn grade_verify(case: &PlannedCase, expected: &VerifyExpected, r: &Response) -> Grade {
    let Response::Verify { result, as_, verified, identifier_source, identifier_hex, reason, .. } = r else {
        unreachable!("called with a verify response")
    };
    let actual = match result.as_str() {
        "accept" => match as_.as_deref() {
            Some("visitor") => "accept visitor".to_string(),
            Some("user") => format!(
                "accept user {} ({} {})",
                match verified {
                    Some(true) => "verified",
                    Some(false) => "unverified",
                    None => "verified=?",
                },
                identifier_source.as_deref().unwrap_or("?"),
                identifier_hex.as_deref().map(hex_preview).unwrap_or_else(|| "?".into())
            ),
            other => format!("accept as {other:?}"),
        },
        "reject" => format!("reject {}", reason.as_deref().unwrap_or("(no reason)")),
        other => format!("result {other:?}"),
    };
    let want = verify_text(expected);
    if let VerifyExpected::Either { accept, reject } = expected {
        let either = [accept.as_ref().clone(), VerifyExpected::Reject { reason: *reject }];
        if either.iter().any(|e| verify_matches(e, r)) {
            return Grade::Either { actual };
        }
        return fail(want, actual, verify_hint(case, expected, r));
    }
    if verify_matches(expected, r) {
        return Grade::Pass;
    }
    fail(want, actual, verify_hint(case, expected, r))
}

/// True when the answer `r` is exactly the outcome `expected` (an `either` is matched by its parts).
fn verify_matches(expected: &VerifyExpected, r: &Response) -> bool {
    let Response::Verify { result, as_, verified, identifier_source, identifier_hex, reason, .. } = r else {
        return false;
    };
    match expected {
        VerifyExpected::Accept { as_: As::Visitor, .. } => result == "accept" && as_.as_deref() == Some("visitor"),
        VerifyExpected::Accept { verified: v, identifier: Some(id), .. } => {
            result == "accept"
                && as_.as_deref() == Some("user")
                && verified == v
                && identifier_source.as_deref() == Some(id.source.as_str())
                && identifier_hex.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(&id.message_hex))
        }
        VerifyExpected::Accept { .. } => false,
        VerifyExpected::Reject { reason: want_reason } => {
            result == "reject" && reason.as_deref() == Some(want_reason.as_str())
        }
        VerifyExpected::Either { accept, reject } => {
            verify_matches(accept, r) || verify_matches(&VerifyExpected::Reject { reason: *reject }, r)
        }
    }
}

fn hex_preview(hex: &str) -> String {
    match ivconform_core::hex::decode(hex).and_then(|b| String::from_utf8(b).ok()) {
        Some(text) if text.chars().count() <= 40 => format!("{text:?}"),
        Some(text) => format!("{:?}…", text.chars().take(40).collect::<String>()),
        None => format!("bytes {hex}"),
    }
}

fn verify_hint(case: &PlannedCase, expected: &VerifyExpected, r: &Response) -> String {
    let Response::Verify { result, as_, verified, identifier_source, identifier_hex, reason, .. } = r else {
        return case_hint(case);
    };
    match expected {
        VerifyExpected::Accept { as_: As::User, verified: Some(v), identifier: Some(id), .. }
            if result == "accept" && as_.as_deref() == Some("user") =>
        {
            if identifier_source.as_deref() != Some(id.source.as_str()) {
                return format!("V7/S2 precedence: the identifier is {} here", id.source.as_str());
            }
            if !identifier_hex.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(&id.message_hex)) {
                return format!(
                    "S3/S4: the identifier's bytes should be {} ({})",
                    encode_lower(id.value.as_bytes()),
                    case.comment
                );
            }
            if verified != &Some(*v) {
                return if *v {
                    format!("V6: the hash is right; is the secret, identifier or comparison wrong? ({})", case.comment)
                } else {
                    format!("AUTH_BYPASS: a hash that must not verify was accepted as verified ({})", case.comment)
                };
            }
            case_hint(case)
        }
        VerifyExpected::Reject { .. }
            if result == "accept" && as_.as_deref() == Some("user") && verified == &Some(true) =>
        {
            let why = jwt_bypass_hint(case);
            format!("AUTH_BYPASS: this request must be refused, but was verified{why} ({})", case_hint(case))
        }
        VerifyExpected::Either { accept, reject } if result == "reject" => format!(
            "J2 leeway window: this time may be accepted ({}) or refused as {reject}, but not as {} ({})",
            verify_text(accept),
            reason.as_deref().unwrap_or("?"),
            case.comment
        ),
        VerifyExpected::Either { .. } => format!(
            "J2 leeway window: accepting is conformant only as the verified user the token names ({})",
            case.comment
        ),
        VerifyExpected::Accept { verified: Some(true), .. }
            if case.flags.contains(&Flag::Expiry) && reason.as_deref().is_some_and(|r| r.ends_with("_jwt")) =>
        {
            format!(
                "J2: this token's exp and nbf hold for every leeway from 0 to 60 s, so it must verify; is the clock \
                 (the request's now) used, and iat ignored? ({})",
                case.comment
            )
        }
        VerifyExpected::Reject { reason: want }
            if result == "reject"
                && reason.as_deref().is_some_and(|r| r.ends_with("_jwt") || r == "identity_mismatch") =>
        {
            format!(
                "the token is refused, but as {} instead of {want}: invalid_jwt for form, alg, signature and claims, expired_jwt for exp, identity_mismatch for clear-text identity (J1-J3; {})",
                reason.as_deref().unwrap_or("?"),
                case.comment
            )
        }
        _ => case_hint(case),
    }
}

/// Why a JWT case that was verified must not be, by its flags (empty for other cases).
fn jwt_bypass_hint(case: &PlannedCase) -> &'static str {
    let has = |f| case.flags.contains(&f);
    if case.group != ivconform_vectors::Group::Jwt {
        ""
    } else if has(Flag::Algorithm) {
        ": only alg HS256 is accepted (alg none, RS256, HS512 and case variants must be refused, J1)"
    } else if has(Flag::Expiry) {
        ": the token's exp is past or its nbf ahead, beyond any leeway J2 allows (60 s), or it has no current time to be judged by (J2)"
    } else if has(Flag::ClearText) {
        ": the clear-text identity differs from the signed claims, and the claims are the identity (J3)"
    } else if has(Flag::WrongSecret) {
        ": the token is signed with another platform's or workspace's secret, or the API key (J1, V2)"
    } else if has(Flag::Enforcement) {
        ": JWT mode is enforced and no valid token was sent (J4)"
    } else {
        ": the token is malformed or its signature is wrong (J1, J2)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivconform_vectors::{default_dir, load_dir};

    /// A wrong user_hash is run through the D1 diagnosis: the mistake is named with the rule it breaks,
    /// and the failure is tallied under that rule.
    #[test]
    fn wrong_hashes_are_diagnosed_and_name_the_broken_rule() {
        use ivconform_core::mac::hmac_sha256;
        let suite = load_dir(&default_dir()).unwrap();
        let cases = super::super::plan::plan(&suite);
        let answer = |hash: String| Response::Sign {
            seq: 1,
            user_hash: Some(hash),
            identifier_source: None,
            identifier_hex: None,
            error: None,
        };
        let sign_case = |id: &str| {
            let case = cases.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no case {id}"));
            let Request::Sign { secret_hex, user_id, email, .. } = &case.request else { panic!("{id}") };
            let secret = ivconform_core::hex::decode(secret_hex).unwrap();
            (case, secret, user_id.clone(), email.clone())
        };
        let hex = |t: ivconform_core::mac::Tag| encode_lower(&t);
        // Both identifiers sent, the email hashed (no identifier_source to tell): S2.
        let (case, secret, _, email) = sign_case("sign-both-identifiers-user-id-wins");
        let email = email.unwrap();
        let got = hex(hmac_sha256(&secret, email.as_str().unwrap().as_bytes()));
        let Grade::Fail { hint, rule, .. } = grade(case, &answer(got)) else { panic!("must fail") };
        assert!(hint.starts_with("S2: you hashed the email"), "{hint}");
        assert_eq!(rule, Some(Rule::S2));
        // The empty string hashed although an identifier was sent: S2, named as HMAC of the empty string.
        let got = hex(hmac_sha256(&secret, b""));
        let Grade::Fail { hint, rule, .. } = grade(case, &answer(got)) else { panic!("must fail") };
        assert!(hint.contains("HMAC of the empty string"), "{hint}");
        assert_eq!(rule, Some(Rule::S2));
        // Key and message swapped: S1.
        let got = hex(hmac_sha256(b"5678", &secret));
        let Grade::Fail { hint, rule, .. } = grade(case, &answer(got)) else { panic!("must fail") };
        assert!(hint.contains("swapped"), "{hint}");
        assert_eq!(rule, Some(Rule::S1));
        // A leading space trimmed away: S3.
        let (case, secret, user_id, _) = sign_case("sign-user-id-leading-space");
        let sent = user_id.unwrap();
        let got = hex(hmac_sha256(&secret, sent.as_str().unwrap().trim().as_bytes()));
        let Grade::Fail { hint, rule, .. } = grade(case, &answer(got)) else { panic!("must fail") };
        assert!(hint.starts_with("S3: the identifier was trimmed"), "{hint}");
        assert_eq!(rule, Some(Rule::S3));
        // An unexplained wrong hash keeps the case's own hint, under the case's first rule.
        let got = "ab".repeat(32);
        let Grade::Fail { hint, rule, .. } = grade(case, &answer(got)) else { panic!("must fail") };
        assert!(hint.contains(&case.comment), "{hint}");
        assert_eq!(rule, case.rules.first().copied());
    }

    /// The reference's own answers pass every case, and a tampered answer fails with the right hint.
    #[test]
    fn reference_answers_pass_and_tampering_fails() {
        let suite = load_dir(&default_dir()).unwrap();
        let cases = super::super::plan::plan(&suite);
        for case in &cases {
            let response = ivconform_protocol::reference::handle(&case.request);
            let in_window = matches!(case.expect, Expect::Verify(VerifyExpected::Either { .. }));
            match grade(case, &response) {
                Grade::Pass => assert!(!in_window, "{}: a leeway-window answer counted as a pass", case.id),
                Grade::Either { .. } => assert!(in_window, "{}", case.id),
                fail => panic!("{}: {fail:?}", case.id),
            }
        }
        let sign = cases.iter().find(|c| c.id == "sign-both-identifiers-user-id-wins").unwrap();
        let Response::Sign { seq, .. } = ivconform_protocol::reference::handle(&sign.request) else { panic!() };
        let wrong = Response::Sign {
            seq,
            user_hash: Some("0".repeat(64)),
            identifier_source: Some("email".into()),
            identifier_hex: None,
            error: None,
        };
        let Grade::Fail { hint, .. } = grade(sign, &wrong) else { panic!("must fail") };
        assert!(hint.contains("precedence"), "{hint}");
        let upper = match ivconform_protocol::reference::handle(&sign.request) {
            Response::Sign { seq, user_hash, .. } => Response::Sign {
                seq,
                user_hash: user_hash.map(|h| h.to_uppercase()),
                identifier_source: None,
                identifier_hex: None,
                error: None,
            },
            _ => panic!(),
        };
        let Grade::Fail { hint, .. } = grade(sign, &upper) else { panic!("must fail") };
        assert!(hint.contains("lowercase"), "{hint}");

        // JWT: accepting alg none is named as such; a token with the claims in another order too.
        let none = cases.iter().find(|c| c.id == "jwt-alg-none").unwrap();
        let bypass = Response::user(1, true, "user_id", "35363738".into());
        let Grade::Fail { hint, .. } = grade(none, &bypass) else { panic!("must fail") };
        assert!(hint.contains("AUTH_BYPASS") && hint.contains("alg"), "{hint}");
        let signer = cases.iter().find(|c| c.id == "jwt-sign-user-id-email-exp").unwrap();
        let Response::SignJwt { token: Some(token), .. } = ivconform_protocol::reference::handle(&signer.request)
        else {
            panic!()
        };
        let Request::SignJwt { secret_hex, .. } = &signer.request else { panic!() };
        let secret = ivconform_core::hex::decode(secret_hex).unwrap();
        let resign = |header: &str, claims: &str| {
            let b64 = |t: &str| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, t);
            let input = format!("{}.{}", b64(header), b64(claims));
            let sig = ivconform_core::jwt::expected_signature(&secret, &input);
            let sig = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig);
            Response::SignJwt { seq: 1, token: Some(format!("{input}.{sig}")), error: None }
        };
        // J5: another member order, another header, \u escapes and an iat mean the same: a pass.
        let same = resign(
            r#"{"typ":"JWT","alg":"HS256"}"#,
            r#"{"iat":1799999000,"exp":1800000600,"email":"\u0061nn@example.com","user_id":"5678"}"#,
        );
        assert_eq!(grade(signer, &same), Grade::Pass);
        assert_eq!(grade(signer, &Response::SignJwt { seq: 1, token: Some(token.clone()), error: None }), Grade::Pass);
        // What differs is named: a dropped email, a dropped exp, an nbf not asked for, a wrong key, alg none.
        let h = r#"{"alg":"HS256","typ":"JWT"}"#;
        for (response, want) in [
            (resign(h, r#"{"user_id":"5678","exp":1800000600}"#), "email is absent, asked for \"ann@example.com\""),
            (resign(h, r#"{"user_id":"5678","email":"ann@example.com"}"#), "exp is absent, asked for 1800000600"),
            (resign(h, r#"{"user_id":"5678","email":"ann@example.com","exp":1800000600,"nbf":1}"#), "nbf"),
            (resign(h, r#"{"user_id":5678,"email":"ann@example.com","exp":1800000600}"#), "J2: claim user_id"),
            (resign(r#"{"alg":"HS512"}"#, r#"{"user_id":"5678"}"#), "J1: alg"),
        ] {
            let Grade::Fail { hint, .. } = grade(signer, &response) else { panic!("must fail: {want}") };
            assert!(hint.contains(want), "{want}: {hint}");
        }
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = "eyJlbWFpbCI6ImFubkBleGFtcGxlLmNvbSIsInVzZXJfaWQiOiI1Njc4In0";
        let edited = Response::SignJwt { seq: 1, token: Some(parts.join(".")), error: None };
        let Grade::Fail { hint, .. } = grade(signer, &edited) else { panic!("must fail") };
        assert!(hint.contains("J1") && hint.contains("signature"), "{hint}");

        // J2's leeway window: accepting and refusing as expired_jwt are both `either`, never a pass; another
        // refusal fails.
        let window = cases.iter().find(|c| c.id == "jwt-exp-within-leeway").unwrap();
        let accepted = ivconform_protocol::reference::handle(&window.request);
        assert!(matches!(grade(window, &accepted), Grade::Either { .. }), "{:?}", grade(window, &accepted));
        let refused = Response::reject(1, "expired_jwt");
        assert_eq!(grade(window, &refused), Grade::Either { actual: "reject expired_jwt".into() });
        let Grade::Fail { hint, .. } = grade(window, &Response::reject(1, "identity_mismatch")) else {
            panic!("must fail")
        };
        assert!(hint.contains("leeway window"), "{hint}");
        assert!(matches!(grade(window, &Response::visitor(1)), Grade::Fail { .. }));
        assert!(matches!(grade(window, &Response::user(1, true, "user_id", "31".into())), Grade::Fail { .. }));
        // Outside the window the answer is graded as usual: nbf 61 s ahead must be refused.
        let beyond = cases.iter().find(|c| c.id == "jwt-nbf-past-leeway").unwrap();
        let Grade::Fail { hint, .. } = grade(beyond, &accepted) else { panic!("must fail") };
        assert!(hint.contains("AUTH_BYPASS") && hint.contains("nbf"), "{hint}");
    }
}
