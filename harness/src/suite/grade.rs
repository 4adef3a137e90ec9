//! Grading one answer against one expectation: pass, or fail with expected, actual and a hint that names
//! the bug class (a precedence bug is reported as a precedence bug, not as a wrong hash).

use super::plan::{Expect, PlannedCase};
use ivconform_core::hex::encode_lower;
use ivconform_protocol::Response;
use ivconform_vectors::{As, Flag, JwtSignExpected, SignExpected, VerifyExpected};

/// The verdict on one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grade {
    /// The answer is right.
    Pass,
    /// The answer is wrong.
    Fail {
        /// What a conforming implementation answers (compact).
        expected: String,
        /// What this one answered (compact).
        actual: String,
        /// A one-line hint naming the likely mistake.
        hint: String,
    },
}

fn fail(expected: impl Into<String>, actual: impl Into<String>, hint: impl Into<String>) -> Grade {
    Grade::Fail { expected: expected.into(), actual: actual.into(), hint: hint.into() }
}

/// The generic hint: the case's comment and the rules it exercises.
fn case_hint(case: &PlannedCase) -> String {
    let rules: Vec<String> = case.rules.iter().map(|r| format!("{r}: {}", r.summary())).collect();
    format!("{} ({})", case.comment, rules.join("; "))
}

/// Grades `response` for `case`.
pub fn grade(case: &PlannedCase, response: &Response) -> Grade {
    if let Response::Error { message, .. } = response {
        return fail(
            expected_text(&case.expect),
            format!("error response: {message}"),
            format!("the implementation claims '{}' but refused this request", case.capability.as_str()),
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
        (None, None) => "neither user_hash nor error".into(),
    };
    match expected {
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
            } else if got.len() != 64 {
                format!("S1: user_hash is 64 hex characters, this one has {}", got.len())
            } else {
                case_hint(case)
            };
            fail(expected, actual, hint)
        }
    }
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
        Expect::SignJwt(JwtSignExpected::Token { token, .. }) => format!("token {token}"),
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
        JwtSignExpected::Token { token: want, claims_json, .. } => {
            if token == Some(want.as_str()) && error.is_none() {
                return Grade::Pass;
            }
            let Some(got) = token else { return fail(format!("token {want}"), actual, case_hint(case)) };
            let (got_parts, want_parts): (Vec<&str>, Vec<&str>) = (got.split('.').collect(), want.split('.').collect());
            let hint = if got_parts.len() != 3 {
                format!("J1: a compact JWS has 3 segments, this token has {}", got_parts.len())
            } else if got.contains('=') || got.contains(['+', '/']) {
                "J1/J2: segments are unpadded base64url (no '=', '-' and '_' instead of '+' and '/')".to_string()
            } else if got_parts[0] != want_parts[0] {
                format!(
                    "J1: the header must be exactly {}, got {}",
                    ivconform_core::jwt::SIGNED_HEADER,
                    segment_text(got_parts[0])
                )
            } else if got_parts[1] != want_parts[1] {
                format!(
                    "J2: the claims must be exactly {claims_json} (order user_id, email, exp; compact; raw UTF-8, minimal escapes), got {}",
                    segment_text(got_parts[1])
                )
            } else {
                "J1: header and claims are right but the signature is not HMAC-SHA256(secret, header.claims)"
                    .to_string()
            };
            fail(format!("token {want}"), actual, hint)
        }
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
    let ok = match expected {
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
    };
    if ok {
        return Grade::Pass;
    }
    fail(want, actual, verify_hint(case, expected, r))
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
        VerifyExpected::Accept { verified: Some(true), .. }
            if case.flags.contains(&Flag::Leeway) && reason.as_deref() == Some("expired_jwt") =>
        {
            "J2 leeway: exp is within (now - 60, now], valid with the reference's 60 s leeway; SPEC.md allows less, \
             so if your leeway is smaller, list this case in --expectations as an expected failure"
                .to_string()
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
        ": the token's exp is past, beyond the 60 s leeway (J2)"
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

    /// The reference's own answers pass every case, and a tampered answer fails with the right hint.
    #[test]
    fn reference_answers_pass_and_tampering_fails() {
        let suite = load_dir(&default_dir()).unwrap();
        let cases = super::super::plan::plan(&suite);
        for case in &cases {
            let response = ivconform_protocol::reference::handle(&case.request);
            assert_eq!(grade(case, &response), Grade::Pass, "{}", case.id);
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
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = "eyJlbWFpbCI6ImFubkBleGFtcGxlLmNvbSIsInVzZXJfaWQiOiI1Njc4In0";
        let reordered = Response::SignJwt { seq: 1, token: Some(parts.join(".")), error: None };
        let Grade::Fail { hint, .. } = grade(signer, &reordered) else { panic!("must fail") };
        assert!(hint.contains("claims must be exactly"), "{hint}");
    }
}
