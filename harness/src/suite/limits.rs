//! Declared limits (docs/PROTOCOL.md, "Declared limits"): the cases an implementation's API cannot express,
//! by what its `hello` (or `--declare-*` for a one-shot signer) declares. Such a case is `not_applicable`: not
//! sent, reported with the declaration quoted, never counted as passed.
//!
//! * `secret: text`: every case whose secret bytes are not valid UTF-8 or contain NUL (`sign`, `sign_jwt`, and
//!   `verify` cases whose configuration holds such a secret);
//! * `identifier: user_id | email`: `sign` cases whose expected identifier is the other field, and the cases
//!   that test the choice itself: flag PRECEDENCE, or the declared field absent, `null` or `""`.

use super::plan::{Expect, PlannedCase};
use ivconform_protocol::{IdentifierLimit, Limits, Request};
use ivconform_vectors::{Flag, SignExpected};

/// Why `case` needs what `limits` declares away, or `None` when the case applies.
pub fn not_applicable(case: &PlannedCase, limits: &Limits) -> Option<String> {
    if limits.secret_text {
        if let Some(why) = secret_not_text(&case.request) {
            return Some(why);
        }
    }
    let (Some(declared), Request::Sign { user_id, email, .. }) = (limits.identifier, &case.request) else {
        return None;
    };
    if case.flags.contains(&Flag::Precedence) {
        return Some("the case tests the choice between user_id and email (flag PRECEDENCE)".into());
    }
    let field = match declared {
        IdentifierLimit::UserId => user_id,
        IdentifierLimit::Email => email,
    };
    let name = declared.as_str();
    match field {
        None => return Some(format!("the case sends no {name}")),
        Some(serde_json::Value::Null) => return Some(format!("the case sends {name} as null")),
        Some(serde_json::Value::String(s)) if s.is_empty() => return Some(format!("the case sends {name} as \"\"")),
        Some(_) => {}
    }
    match &case.expect {
        Expect::Sign(SignExpected::Hash { identifier_source, .. }) if identifier_source.as_str() != name => {
            Some(format!("the expected identifier is {}", identifier_source.as_str()))
        }
        _ => None,
    }
}

/// True for secret bytes a text-only API can take: valid UTF-8 without NUL.
fn is_text(secret: &[u8]) -> bool {
    !secret.contains(&0) && std::str::from_utf8(secret).is_ok()
}

/// Why the request's secret is not text (`None` when it is, or the request carries no secret).
fn secret_not_text(request: &Request) -> Option<String> {
    let why = |hex: &str| {
        let bytes = ivconform_core::hex::decode(hex)?;
        if is_text(&bytes) {
            None
        } else if bytes.contains(&0) {
            Some("a NUL byte")
        } else {
            Some("bytes that are not UTF-8")
        }
    };
    match request {
        Request::Sign { secret_hex, .. } | Request::SignJwt { secret_hex, .. } => {
            why(secret_hex).map(|w| format!("the secret has {w}"))
        }
        Request::Verify { config, .. } => {
            let mut found = None;
            visit_secrets(config, &mut |hex| found = found.or_else(|| why(hex)));
            found.map(|w| format!("a secret of the configuration has {w}"))
        }
        _ => None,
    }
}

/// Calls `f` with every `secret_hex` string in a configuration (any depth).
fn visit_secrets(value: &serde_json::Value, f: &mut dyn FnMut(&str)) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("secret_hex", serde_json::Value::String(hex)) => f(hex),
                    _ => visit_secrets(v, f),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| visit_secrets(v, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::plan::bundled_plan as planned;
    use ivconform_vectors::Group;

    fn declared(secret_text: bool, identifier: Option<IdentifierLimit>) -> Limits {
        Limits { secret_text, identifier, note: None }
    }

    fn not_applicable_ids(limits: &Limits, group: Group) -> Vec<String> {
        planned()
            .into_iter()
            .filter(|c| c.group == group && not_applicable(c, limits).is_some())
            .map(|c| c.id)
            .collect()
    }

    #[test]
    fn a_text_secret_leaves_out_exactly_the_cases_with_non_text_secrets() {
        let limits = declared(true, None);
        let sign = not_applicable_ids(&limits, Group::Sign);
        // vectors/sign.json's four secret_hex cases whose bytes are not text (listed by a Python scan of the
        // file: bytes.decode() fails or a NUL is present).
        assert_eq!(
            sign,
            [
                "sign-secret-hex-decoded-contrast",
                "sign-secret-trailing-zero-byte",
                "sign-secret-binary",
                "sign-secret-nul-inside"
            ]
        );
        let jwt = not_applicable_ids(&limits, Group::Jwt);
        assert!(!jwt.is_empty() && jwt.iter().all(|id| id.starts_with("jwt-")), "{jwt:?}");
        // The verify cases whose configuration has a secret that is not text: the `binary_secret` workspace
        // (listed by a Python scan of vectors/verify.json's configs: a secret_hex whose bytes do not decode as
        // UTF-8 or hold a NUL), even on its text-secret platform, since the whole configuration is sent.
        assert_eq!(
            not_applicable_ids(&limits, Group::Verify),
            ["verify-binary-secret-valid", "verify-binary-secret-double-encoded-hash", "verify-non-ascii-secret-valid"]
        );
        assert!(not_applicable_ids(&limits, Group::HmacSha256).is_empty(), "hmac keys are not secrets");
        let why = |id: &str| not_applicable(&planned().into_iter().find(|c| c.id == id).unwrap(), &limits);
        assert_eq!(why("sign-secret-trailing-zero-byte").unwrap(), "the secret has a NUL byte");
        assert_eq!(why("sign-secret-hex-decoded-contrast").unwrap(), "the secret has bytes that are not UTF-8");
    }

    #[test]
    fn a_single_identifier_leaves_out_the_other_field_and_the_choice() {
        let user_id = not_applicable_ids(&declared(false, Some(IdentifierLimit::UserId)), Group::Sign);
        let email = not_applicable_ids(&declared(false, Some(IdentifierLimit::Email)), Group::Sign);
        for (id, by_user_id, by_email) in [
            ("sign-both-identifiers-user-id-wins", true, true), // PRECEDENCE
            ("sign-only-user-id", false, true),
            ("sign-only-email", true, false),
            ("sign-neither-identifier", true, true),
            ("sign-email-null-user-id-wins", false, true),
            ("sign-user-id-zero-alone", false, true),
            ("sign-empty-secret", false, true),
            ("sign-empty-secret-hex", true, false),
            ("sign-production-web-secret", false, true), // user_id expected, email sent too
        ] {
            assert_eq!(user_id.contains(&id.to_string()), by_user_id, "{id} with identifier user_id");
            assert_eq!(email.contains(&id.to_string()), by_email, "{id} with identifier email");
        }
        // Only sign cases depend on the identifier limit.
        assert!(not_applicable_ids(&declared(false, Some(IdentifierLimit::Email)), Group::Verify).is_empty());
    }

    /// "No hash produced" (`user_hash: null`) is a refusal of unknown class: it fails every sign case, with
    /// the hint for refusals naming the class that was expected.
    #[test]
    fn no_hash_produced_passes_nothing() {
        use crate::suite::grade::{grade, Grade};
        use ivconform_protocol::Response;
        let none =
            Response::Sign { seq: 1, user_hash: None, identifier_source: None, identifier_hex: None, error: None };
        let mut refusals = 0;
        for case in planned().into_iter().filter(|c| c.group == Group::Sign) {
            let Grade::Fail { hint, actual, .. } = grade(&case, &none) else { panic!("{} passed", case.id) };
            assert!(actual.contains("no hash produced"), "{actual}");
            match &case.expect {
                Expect::Sign(SignExpected::Error { error }) => {
                    refusals += 1;
                    assert_eq!(hint, format!("refused without a class; expected {error}"), "{}", case.id);
                }
                _ => assert!(hint.starts_with("no hash produced"), "{}: {hint}", case.id),
            }
        }
        assert!(refusals >= 7, "{refusals}");
    }

    /// A signer that decodes the identifier's HTML character references before hashing is named (D1, S3).
    #[test]
    fn a_signer_that_unescapes_the_identifier_gets_the_s3_hint() {
        use crate::suite::grade::{grade, Grade};
        let case = planned().into_iter().find(|c| c.id == "sign-user-id-html-entity-text").unwrap();
        // Python: hmac.new(secret, html.unescape("O&#39;Brien").encode(), hashlib.sha256).hexdigest()
        let unescaped = "7318d612cc897c7475c493095fdb93b415b5ab9e1b723e139ab127ad291ce6fa";
        let answer = ivconform_protocol::Response::Sign {
            seq: 1,
            user_hash: Some(unescaped.into()),
            identifier_source: None,
            identifier_hex: None,
            error: None,
        };
        let Grade::Fail { hint, .. } = grade(&case, &answer) else { panic!("must fail") };
        assert!(hint.starts_with("S3: ") && hint.contains("character references"), "{hint}");
    }
}
