//! `verify.json`: the verifier's decision (V1–V8) across workspaces, platforms, enforcement and hash forms.

use crate::configs::*;
use crate::definition::{mac_hex, meta, Expect, VerifierDef};
use crate::payload::obj;
use ivconform_core::hex::encode_lower;
use ivconform_core::Platform::{self, *};
use ivconform_core::RejectReason::*;
use ivconform_core::Rule::{self, *};
use ivconform_core::Source::{Email, UserId as Uid};
use ivconform_vectors::model::Flag::{self, *};
use serde_json::json;
use sha2::{Digest, Sha256};

/// A verifier case without a current time (HMAC mode); JWT definitions add theirs.
#[allow(clippy::too_many_arguments)]
pub(super) fn def(
    id: &str,
    comment: &str,
    rules: &[Rule],
    flags: &[Flag],
    config: &'static str,
    platform: Platform,
    payload: String,
    expect: Expect,
) -> VerifierDef {
    VerifierDef {
        meta: meta(id, comment, rules, flags),
        config,
        platform,
        payload: payload.into_bytes(),
        expect,
        now: None,
    }
}

fn standard_enforced(app: &str, platform: Platform) -> bool {
    matches!((app, platform), (PROD, Web) | (PROD, Ios) | (TEST, Web) | (TEST, Android))
}

fn hash(app: &str, platform: Platform, identifier: &str) -> String {
    mac_hex(secret(app, platform).as_bytes(), identifier.as_bytes())
}

fn user_payload(app: &str, uid: &str, hash: &str) -> String {
    obj(&[("app_id", json!(app)), ("user_id", json!(uid)), ("user_hash", json!(hash))])
}

fn user(verified: bool, uid: &str) -> Expect {
    Expect::User { verified, source: Uid, value: uid.into() }
}

/// Invalid when enforced, unverified user otherwise.
fn bad(enforced: bool, uid: &str) -> Expect {
    if enforced {
        Expect::Reject(InvalidUserHash)
    } else {
        user(false, uid)
    }
}

/// Every case of the file.
pub(super) fn cases() -> Vec<VerifierDef> {
    let mut v = Vec::new();
    let uid = "5678";
    let email = "ann@example.com";

    // --- every workspace × platform under the standard configuration ----------------------------------
    for app in [PROD, TEST] {
        let ws = if app == PROD { "prod" } else { "test" };
        let other_app = if app == PROD { TEST } else { PROD };
        for platform in Platform::ALL {
            let enf = standard_enforced(app, platform);
            let state = if enf { "enforced" } else { "not enforced" };
            let p = format!("{ws}-{platform}");
            let ctx = format!("{app} on {platform} ({state})");
            let s = |id: &str| format!("verify-{p}-{id}");
            v.push(def(
                &s("user-id-valid"),
                &format!("{ctx}: user_id with its valid hash is a verified user."),
                &[V2, V6],
                &[Functionality],
                "standard",
                platform,
                user_payload(app, uid, &hash(app, platform, uid)),
                user(true, uid),
            ));
            v.push(def(
                &s("email-valid"),
                &format!("{ctx}: email alone with its valid hash is a verified user."),
                &[V2, V6, S2],
                &[Functionality],
                "standard",
                platform,
                obj(&[
                    ("app_id", json!(app)),
                    ("email", json!(email)),
                    ("user_hash", json!(hash(app, platform, email))),
                ]),
                Expect::User { verified: true, source: Email, value: email.into() },
            ));
            v.push(def(
                &s("both-hash-of-user-id"),
                &format!("{ctx}: user_id and email sent, hash of user_id: verified."),
                &[V7, S2],
                &[Precedence, Functionality],
                "standard",
                platform,
                obj(&[
                    ("app_id", json!(app)),
                    ("user_id", json!(uid)),
                    ("email", json!(email)),
                    ("user_hash", json!(hash(app, platform, uid))),
                ]),
                user(true, uid),
            ));
            v.push(def(&s("both-hash-of-email"), &format!("{ctx}: user_id and email sent but the email was hashed: the hash is checked against user_id, so it is wrong."), &[V7, S2], &[Precedence, AuthBypass], "standard", platform,
                obj(&[("app_id", json!(app)), ("user_id", json!(uid)), ("email", json!(email)), ("user_hash", json!(hash(app, platform, email)))]), bad(enf, uid)));
            v.push(def(
                &s("identifier-without-hash"),
                &format!("{ctx}: user_id without user_hash."),
                &[V5],
                &[Enforcement],
                "standard",
                platform,
                obj(&[("app_id", json!(app)), ("user_id", json!(uid))]),
                if enf { Expect::Reject(MissingUserHash) } else { user(false, uid) },
            ));
            v.push(def(
                &s("hash-without-identifier"),
                &format!("{ctx}: user_hash without user_id or email."),
                &[V4],
                &[Enforcement, Presence],
                "standard",
                platform,
                obj(&[("app_id", json!(app)), ("user_hash", json!(hash(app, platform, uid)))]),
                if enf { Expect::Reject(MissingIdentifier) } else { Expect::Visitor },
            ));
            v.push(def(
                &s("visitor"),
                &format!("{ctx}: no identifier and no hash is a visitor, whatever the enforcement."),
                &[V3],
                &[Functionality, Enforcement],
                "standard",
                platform,
                obj(&[("app_id", json!(app)), ("name", json!("Lead from pricing page"))]),
                Expect::Visitor,
            ));
            let other_platform = match platform {
                Web => Ios,
                Ios => Android,
                Android => Web,
            };
            v.push(def(
                &s("other-platform-secret"),
                &format!("{ctx}: hash made with the {other_platform} secret of the same workspace."),
                &[V2],
                &[WrongSecret, AuthBypass],
                "standard",
                platform,
                user_payload(app, uid, &hash(app, other_platform, uid)),
                bad(enf, uid),
            ));
            v.push(def(
                &s("other-workspace-secret"),
                &format!("{ctx}: hash made with the {platform} secret of the other workspace ({other_app})."),
                &[V1, V2],
                &[WrongSecret, AuthBypass],
                "standard",
                platform,
                user_payload(app, uid, &hash(other_app, platform, uid)),
                bad(enf, uid),
            ));
            v.push(def(
                &s("api-key"),
                &format!("{ctx}: hash made with the REST API key instead of the identity-verification secret."),
                &[V2],
                &[WrongSecret],
                "standard",
                platform,
                user_payload(app, uid, &mac_hex(API_KEY.as_bytes(), uid.as_bytes())),
                bad(enf, uid),
            ));
        }
    }

    // --- hash forms, on production web (enforced) and production Android (not enforced) -----------------
    let good = hash(PROD, Web, uid);
    let tag = ivconform_core::hex::decode(&good).expect("hex");
    let flip = |s: &str, i: usize| {
        let mut b: Vec<char> = s.chars().collect();
        b[i] = if b[i] == '0' { '1' } else { '0' };
        b.into_iter().collect::<String>()
    };
    let b64 = base64_std(&tag);
    let forms: Vec<(&str, &str, String, bool)> = vec![
        (
            "uppercase",
            "The hash in uppercase hex is accepted (the vendor's Java and C# examples print it).",
            good.to_uppercase(),
            true,
        ),
        (
            "mixed-case",
            "Mixed-case hex is accepted.",
            good.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect(),
            true,
        ),
        ("63-chars", "63 hex characters (last one dropped).", good[..63].to_string(), false),
        ("65-chars", "65 hex characters (one appended).", format!("{good}0"), false),
        ("32-chars", "The hash truncated to 32 hex characters (128 bits).", good[..32].to_string(), false),
        ("128-chars", "The hash written twice (128 hex characters).", good.repeat(2), false),
        ("base64", "The tag in base64 instead of hex.", b64.clone(), false),
        (
            "base64url-no-padding",
            "The tag in unpadded base64url.",
            b64.trim_end_matches('=').replace('+', "-").replace('/', "_"),
            false,
        ),
        ("sha256-prefix", "A 'sha256=' prefix, as in webhook signatures.", format!("sha256={good}"), false),
        ("0x-prefix", "A '0x' prefix.", format!("0x{good}"), false),
        ("leading-space", "A leading space.", format!(" {good}"), false),
        ("trailing-space", "A trailing space.", format!("{good} "), false),
        ("trailing-newline", "A trailing newline (a shell's echo).", format!("{good}\n"), false),
        (
            "dashes",
            "Dashes every 8 characters.",
            good.as_bytes().chunks(8).map(|c| std::str::from_utf8(c).expect("ascii")).collect::<Vec<_>>().join("-"),
            false,
        ),
        (
            "colons",
            "Colon-separated byte pairs, as some tools print digests.",
            good.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).expect("ascii")).collect::<Vec<_>>().join(":"),
            false,
        ),
        ("last-char-wrong", "Right in every character but the last.", flip(&good, 63), false),
        ("first-char-wrong", "Wrong in the first character only.", flip(&good, 0), false),
        ("all-zeros", "64 zeros.", "0".repeat(64), false),
        (
            "non-hex-letters",
            "64 characters with non-hex letters (g-z).",
            good.replace(|c: char| c.is_ascii_digit(), "g"),
            false,
        ),
        (
            "fullwidth-digits",
            "Fullwidth digits that look like hex but are not ASCII.",
            good.chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        char::from_u32(0xFF10 + c.to_digit(10).unwrap_or(0)).unwrap_or(c)
                    } else {
                        c
                    }
                })
                .collect(),
            false,
        ),
        (
            "plain-sha256",
            "SHA-256(secret + identifier) instead of HMAC.",
            encode_lower(&Sha256::digest(format!("{PROD_WEB}{uid}"))),
            false,
        ),
        ("sha1-length", "40 hex characters, the length of an HMAC-SHA1 tag.", good[..40].to_string(), false),
        (
            "sha512-length",
            "128 hex characters, the length of an HMAC-SHA512 tag (the right tag followed by 64 more digits).",
            format!("{good}{}", "b".repeat(64)),
            false,
        ),
        (
            "swapped-key-message",
            "HMAC with key and message swapped.",
            mac_hex(uid.as_bytes(), PROD_WEB.as_bytes()),
            false,
        ),
        ("empty-identifier-hash", "The hash of the empty string.", mac_hex(PROD_WEB.as_bytes(), b""), false),
        ("stale-identifier-hash", "A stale hash of the user's previous id.", hash(PROD, Web, "5677"), false),
        (
            "hash-of-float-rendering",
            "The hash of \"5678.0\" (an integer rendered as a float).",
            hash(PROD, Web, "5678.0"),
            false,
        ),
    ];
    for (name, comment, h, valid) in &forms {
        let flags: &[Flag] = if *valid { &[HexForm, Functionality] } else { &[HexForm, AuthBypass] };
        // The timing suite's two classes (V9): almost right vs wrong from the first byte; same answer, same time.
        let rules: &[Rule] =
            if ["last-char-wrong", "first-char-wrong"].contains(name) { &[V6, V9, S1] } else { &[V6, S1] };
        v.push(def(
            &format!("verify-form-{name}"),
            &format!("{comment} (production web, enforced)"),
            rules,
            flags,
            "standard",
            Web,
            user_payload(PROD, uid, h),
            if *valid { user(true, uid) } else { bad(true, uid) },
        ));
    }
    // The same forms on a platform that does not enforce, built from the hash that platform's secret makes: a
    // verifier that is lenient only where nothing is enforced would call them verified. Each must come out an
    // unverified user (a form that is not 64 hex characters never verifies), or verified for the two valid forms.
    let android = hash(PROD, Android, uid);
    let android_tag = ivconform_core::hex::decode(&android).expect("hex");
    let android_b64 = base64_std(&android_tag);
    let lenient: Vec<(&str, &str, String, bool)> = vec![
        ("uppercase", "The hash in uppercase hex", android.to_uppercase(), true),
        (
            "mixed-case",
            "Mixed-case hex",
            android.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect(),
            true,
        ),
        ("63-chars", "63 hex characters of the right hash (the last dropped)", android[..63].to_string(), false),
        ("32-chars", "The right hash truncated to 32 hex characters", android[..32].to_string(), false),
        ("65-chars", "The right hash with one character appended", format!("{android}0"), false),
        ("base64", "The right tag in base64", android_b64.clone(), false),
        (
            "base64url-no-padding",
            "The right tag in unpadded base64url",
            android_b64.trim_end_matches('=').replace('+', "-").replace('/', "_"),
            false,
        ),
        ("sha256-prefix", "The right hash after a 'sha256=' prefix", format!("sha256={android}"), false),
        ("0x-prefix", "The right hash after a '0x' prefix", format!("0x{android}"), false),
        ("leading-space", "The right hash after a space", format!(" {android}"), false),
        ("trailing-space", "The right hash before a space", format!("{android} "), false),
        ("trailing-newline", "The right hash and a newline", format!("{android}\n"), false),
        (
            "dashes",
            "The right hash with dashes every 8 characters",
            android.as_bytes().chunks(8).map(|c| std::str::from_utf8(c).expect("ascii")).collect::<Vec<_>>().join("-"),
            false,
        ),
        ("last-char-wrong", "The right hash but for its last character", flip(&android, 63), false),
    ];
    for (name, comment, h, valid) in &lenient {
        v.push(def(
            &format!("verify-form-{name}-not-enforced"),
            &format!(
                "{comment}, made with production Android's own secret; Android does not enforce: {}",
                if *valid {
                    "a verified user (either case of hex verifies)"
                } else {
                    "an unverified user, never a verified one (V6: only 64 hex characters verify)"
                }
            ),
            &[V6, V5],
            &[HexForm, Enforcement],
            "standard",
            Android,
            user_payload(PROD, uid, h),
            user(*valid, uid),
        ));
    }

    // --- identifier transformations a signer must not make (S3 seen from the verifier) -------------------
    let transformed: Vec<(&str, &str, &str, String)> = vec![
        ("trimmed", "The page sends ' u-1 ' but the server hashed the trimmed 'u-1'.", " u-1 ", hash(PROD, Web, "u-1")),
        (
            "email-lowercased",
            "The page sends 'Ann@Example.COM' but the server hashed it lower-cased.",
            "Ann@Example.COM",
            hash(PROD, Web, "ann@example.com"),
        ),
        (
            "nfc-of-nfd",
            "The page sends NFD 'jose\u{301}' but the server hashed NFC 'josé'.",
            "jose\u{301}",
            hash(PROD, Web, "jos\u{e9}"),
        ),
        (
            "html-escaped",
            "The page sends \"O'Brien\" but the server hashed 'O&#39;Brien'.",
            "O'Brien",
            hash(PROD, Web, "O&#39;Brien"),
        ),
        (
            "nul-truncated",
            "The page sends 'u-1\\0admin' but the server hashed up to the NUL.",
            "u-1\u{0}admin",
            hash(PROD, Web, "u-1"),
        ),
        (
            "question-marks",
            "The page sends 'josé' but the server hashed 'jos?' (ASCII with replacement).",
            "jos\u{e9}",
            hash(PROD, Web, "jos?"),
        ),
        (
            "bom-stripped",
            "The page sends '\\u{feff}5678' (a leading byte-order mark) but the server hashed '5678' without it.",
            "\u{feff}5678",
            hash(PROD, Web, "5678"),
        ),
        (
            "crlf-normalised",
            "The page sends 'a\\r\\nb' but the server hashed 'a\\nb' (CRLF turned into LF by text-mode I/O).",
            "a\r\nb",
            hash(PROD, Web, "a\nb"),
        ),
        (
            "newline-chomped",
            "The page sends '5678\\n' but the hash is of '5678' (the trailing newline chomped, as line-based input does).",
            "5678\n",
            hash(PROD, Web, "5678"),
        ),
    ];
    for (name, comment, sent, h) in &transformed {
        v.push(def(
            &format!("verify-transformed-{name}"),
            &format!("{comment} Enforced: invalid."),
            &[S3, V6],
            &[Normalization, Encoding],
            "standard",
            Web,
            user_payload(PROD, sent, h),
            bad(true, sent),
        ));
        v.push(def(
            &format!("verify-exact-{name}"),
            &format!("The same identifier ({sent:?}) with the hash of its exact bytes: verified."),
            &[S3, V6],
            &[Normalization, Encoding, Functionality],
            "standard",
            Web,
            user_payload(PROD, sent, &hash(PROD, Web, sent)),
            user(true, sent),
        ));
    }
    // The same mistakes under `email` (a verifier may transform one field only), and under user_id the ones
    // only a verifier makes to ids: each field gets its own pair (the exact hash verifies, the transformed one not).
    let email_transformed: Vec<(&str, &str, &str, String)> = vec![
        (
            "trimmed",
            "' ann@example.com ' sent, the trimmed address hashed",
            " ann@example.com ",
            hash(PROD, Web, "ann@example.com"),
        ),
        (
            "lowercased",
            "'Ann@Example.COM' sent, the lower-cased address hashed",
            "Ann@Example.COM",
            hash(PROD, Web, "ann@example.com"),
        ),
        (
            "uppercased",
            "'bo@example.org' sent, the upper-cased address hashed",
            "bo@example.org",
            hash(PROD, Web, "BO@EXAMPLE.ORG"),
        ),
        (
            "nfc-of-nfd",
            "NFD 'jose\u{301}@example.com' sent, NFC hashed",
            "jose\u{301}@example.com",
            hash(PROD, Web, "jos\u{e9}@example.com"),
        ),
        (
            "html-escaped",
            "\"o'brien@example.com\" sent, 'o&#39;brien@example.com' hashed",
            "o'brien@example.com",
            hash(PROD, Web, "o&#39;brien@example.com"),
        ),
        (
            "question-marks",
            "'jos\u{e9}@example.com' sent, 'jos?@example.com' hashed",
            "jos\u{e9}@example.com",
            hash(PROD, Web, "jos?@example.com"),
        ),
        (
            "plus-tag-stripped",
            "'ann+support@example.com' sent, the address without its +tag hashed",
            "ann+support@example.com",
            hash(PROD, Web, "ann@example.com"),
        ),
        (
            "newline-chomped",
            "'ann@example.com\\n' sent, the address without its trailing newline hashed",
            "ann@example.com\n",
            hash(PROD, Web, "ann@example.com"),
        ),
        (
            "bom-stripped",
            "'\\u{feff}bo@example.org' sent (a leading byte-order mark), the address without it hashed",
            "\u{feff}bo@example.org",
            hash(PROD, Web, "bo@example.org"),
        ),
    ];
    for (name, comment, sent, h) in &email_transformed {
        let payload = |h: &str| obj(&[("app_id", json!(PROD)), ("email", json!(sent)), ("user_hash", json!(h))]);
        v.push(def(
            &format!("verify-email-transformed-{name}"),
            &format!("{comment}: the email is hashed exactly as sent (S3). Enforced: invalid."),
            &[S3, V6],
            &[Normalization, Encoding],
            "standard",
            Web,
            payload(h),
            Expect::Reject(InvalidUserHash),
        ));
        v.push(def(
            &format!("verify-email-exact-{name}"),
            &format!("The email {sent:?} with the hash of its exact bytes: verified (a verifier that transforms the email refuses it)."),
            &[S3, V6],
            &[Normalization, Encoding, Functionality],
            "standard",
            Web,
            payload(&hash(PROD, Web, sent)),
            Expect::User { verified: true, source: Email, value: sent.to_string() },
        ));
    }
    let uid_transformed: Vec<(&str, &str, &str, String)> = vec![
        ("lowercased", "user_id 'U-Ab12' sent, its lower-cased form hashed", "U-Ab12", hash(PROD, Web, "u-ab12")),
        ("leading-zeros-stripped", "user_id '007' sent, '7' hashed (read as a number)", "007", hash(PROD, Web, "7")),
    ];
    for (name, comment, sent, h) in &uid_transformed {
        v.push(def(
            &format!("verify-transformed-user-id-{name}"),
            &format!("{comment}: user_id is hashed exactly as sent (S3). Enforced: invalid."),
            &[S3, V6],
            &[Normalization],
            "standard",
            Web,
            user_payload(PROD, sent, h),
            bad(true, sent),
        ));
        v.push(def(
            &format!("verify-exact-user-id-{name}"),
            &format!("user_id {sent:?} with the hash of its exact bytes: verified."),
            &[S3, V6],
            &[Normalization, Functionality],
            "standard",
            Web,
            user_payload(PROD, sent, &hash(PROD, Web, sent)),
            user(true, sent),
        ));
    }

    // Identifiers that look empty (or falsy in some language) but are present (P3: only null, missing and "" are
    // absent): each is the identifier, beside an email, and a hash of the email does not verify.
    let look_empty: Vec<(&str, &str)> = vec![
        ("space", " "),
        ("tab", "\t"),
        ("nbsp", "\u{a0}"),
        ("zero-width-space", "\u{200b}"),
        ("string-zero", "0"),
        ("string-null", "null"),
        ("string-undefined", "undefined"),
        ("string-false", "false"),
    ];
    for (name, id) in &look_empty {
        let payload = |h: &str| {
            obj(&[("app_id", json!(PROD)), ("user_id", json!(id)), ("email", json!(email)), ("user_hash", json!(h))])
        };
        v.push(def(
            &format!("verify-look-empty-user-id-{name}"),
            &format!("user_id {id:?} looks empty or falsy but is present (P3): it is the identifier, beside an email: verified with its own hash."),
            &[P3, S2, V7],
            &[Presence, Precedence],
            "standard",
            Web,
            payload(&hash(PROD, Web, id)),
            user(true, id),
        ));
        v.push(def(
            &format!("verify-look-empty-user-id-{name}-hash-of-email"),
            &format!("user_id {id:?} is present, so the email's hash does not verify (enforced: invalid)."),
            &[P3, S2, V7],
            &[Presence, Precedence, AuthBypass],
            "standard",
            Web,
            payload(&hash(PROD, Web, email)),
            bad(true, id),
        ));
    }
    for (name, id) in [("space", " "), ("string-zero", "0")] {
        v.push(def(
            &format!("verify-look-empty-email-{name}"),
            &format!("email {id:?} alone looks empty but is present (P3): verified with its own hash."),
            &[P3, S2],
            &[Presence],
            "standard",
            Web,
            obj(&[("app_id", json!(PROD)), ("email", json!(id)), ("user_hash", json!(hash(PROD, Web, id)))]),
            Expect::User { verified: true, source: Email, value: id.to_string() },
        ));
    }
    v.push(def(
        "verify-integer-user-id-hash-of-decimal",
        "Integer user_id 5678 verified with the hash of \"5678\".",
        &[S4, V6],
        &[Number],
        "standard",
        Web,
        format!("{{\"app_id\":\"{PROD}\",\"user_id\":5678,\"user_hash\":\"{good}\"}}"),
        user(true, uid),
    ));
    v.push(def(
        "verify-integer-user-id-hash-of-float",
        "Integer user_id 5678 with the hash of \"5678.0\": invalid.",
        &[S4, V6],
        &[Number],
        "standard",
        Web,
        format!("{{\"app_id\":\"{PROD}\",\"user_id\":5678,\"user_hash\":\"{}\"}}", hash(PROD, Web, "5678.0")),
        bad(true, uid),
    ));
    v.push(def(
        "verify-user-id-zero-hash-of-email",
        "user_id 0 is present, so a hash of the email is invalid (the falsy-zero bug would accept it).",
        &[S2, P3, V7],
        &[Presence, Precedence, AuthBypass],
        "standard",
        Web,
        format!(
            "{{\"app_id\":\"{PROD}\",\"user_id\":0,\"email\":\"{email}\",\"user_hash\":\"{}\"}}",
            hash(PROD, Web, email)
        ),
        bad(true, "0"),
    ));
    v.push(def(
        "verify-user-id-empty-hash-of-email",
        "user_id \"\" is absent, so the email's hash verifies.",
        &[S2, P3, V7],
        &[Presence],
        "standard",
        Web,
        obj(&[
            ("app_id", json!(PROD)),
            ("user_id", json!("")),
            ("email", json!(email)),
            ("user_hash", json!(hash(PROD, Web, email))),
        ]),
        Expect::User { verified: true, source: Email, value: email.into() },
    ));
    v.push(def(
        "verify-user-id-empty-hash-of-empty",
        "user_id \"\" alone with the hash of the empty string: there is no identifier.",
        &[S2, P3, V4],
        &[Presence, AuthBypass],
        "standard",
        Web,
        obj(&[
            ("app_id", json!(PROD)),
            ("user_id", json!("")),
            ("user_hash", json!(mac_hex(PROD_WEB.as_bytes(), b""))),
        ]),
        Expect::Reject(MissingIdentifier),
    ));
    v.push(def(
        "verify-empty-hash-without-identifier",
        "An empty user_hash and no identifier, enforced: the hash key was sent without an identifier.",
        &[V4, P4],
        &[Presence],
        "standard",
        Web,
        obj(&[("app_id", json!(PROD)), ("user_hash", json!(""))]),
        Expect::Reject(MissingIdentifier),
    ));

    // --- V1: workspaces --------------------------------------------------------------------------------
    v.push(def(
        "verify-unknown-app",
        "An app id that is not configured.",
        &[V1],
        &[Functionality],
        "standard",
        Web,
        user_payload("ws_unknown", uid, &good),
        Expect::Reject(UnknownApp),
    ));
    v.push(def(
        "verify-unknown-app-visitor",
        "A visitor of an unknown app is still rejected unknown_app.",
        &[V1, V3],
        &[Functionality],
        "standard",
        Web,
        obj(&[("app_id", json!("ws_unknown"))]),
        Expect::Reject(UnknownApp),
    ));
    v.push(def(
        "verify-app-id-case-differs",
        "App ids match exactly: 'WS_PROD' is not 'ws_prod'.",
        &[V1, P5],
        &[Normalization],
        "standard",
        Web,
        user_payload("WS_PROD", uid, &good),
        Expect::Reject(UnknownApp),
    ));
    v.push(def(
        "verify-app-id-trailing-space",
        "App ids are not trimmed: 'ws_prod ' is unknown.",
        &[V1, P5],
        &[Normalization],
        "standard",
        Web,
        user_payload("ws_prod ", uid, &good),
        Expect::Reject(UnknownApp),
    ));
    v.push(def(
        "verify-app-id-mixed-case-test",
        "App ids match exactly: 'Ws_Test' is not 'ws_test', even with the test workspace's own valid hash.",
        &[V1, P5],
        &[Normalization],
        "standard",
        Web,
        user_payload("Ws_Test", uid, &hash(TEST, Web, uid)),
        Expect::Reject(UnknownApp),
    ));
    v.push(def(
        "verify-app-id-surrounding-whitespace",
        "App ids are not trimmed: ' ws_prod\\n' (a leading space and a trailing newline) is unknown.",
        &[V1, P5],
        &[Normalization],
        "standard",
        Web,
        user_payload(" ws_prod\n", uid, &good),
        Expect::Reject(UnknownApp),
    ));
    v.push(def(
        "verify-test-app-with-prod-hash",
        "The production hash sent to the test workspace (enforced web): invalid.",
        &[V1, V2],
        &[WrongSecret],
        "standard",
        Web,
        user_payload(TEST, uid, &good),
        bad(true, uid),
    ));

    // --- V8: enforcement is per platform and per workspace ----------------------------------------------
    v.push(def(
        "verify-unenforced-config-no-hash",
        "Nothing enforced: a user without hash is an unverified user.",
        &[V5, V8],
        &[Enforcement],
        "unenforced",
        Web,
        obj(&[("app_id", json!(PROD)), ("user_id", json!(uid))]),
        user(false, uid),
    ));
    v.push(def(
        "verify-unenforced-config-bad-hash",
        "Nothing enforced: a wrong hash gives an unverified user.",
        &[V6, V8],
        &[Enforcement],
        "unenforced",
        Ios,
        user_payload(PROD, uid, &hash(PROD, Web, uid)),
        user(false, uid),
    ));
    v.push(def(
        "verify-unenforced-config-valid-hash",
        "Nothing enforced: a valid hash still verifies.",
        &[V6, V8],
        &[Enforcement],
        "unenforced",
        Android,
        user_payload(PROD, uid, &hash(PROD, Android, uid)),
        user(true, uid),
    ));
    v.push(def(
        "verify-ios-only-enforced-ios",
        "Only iOS enforced: iOS without hash is rejected.",
        &[V5, V8],
        &[Enforcement],
        "ios_only_enforced",
        Ios,
        obj(&[("app_id", json!(PROD)), ("user_id", json!(uid))]),
        Expect::Reject(MissingUserHash),
    ));
    v.push(def(
        "verify-ios-only-enforced-web",
        "Only iOS enforced: web without hash is an unverified user (one switch, one platform).",
        &[V5, V8],
        &[Enforcement],
        "ios_only_enforced",
        Web,
        obj(&[("app_id", json!(PROD)), ("user_id", json!(uid))]),
        user(false, uid),
    ));
    v.push(def(
        "verify-ios-only-enforced-android",
        "Only iOS enforced: Android with a wrong hash is an unverified user.",
        &[V6, V8],
        &[Enforcement],
        "ios_only_enforced",
        Android,
        user_payload(PROD, uid, &hash(PROD, Ios, uid)),
        user(false, uid),
    ));
    v.push(def(
        "verify-ios-only-enforced-test-workspace",
        "Only production iOS enforced: the test workspace's iOS is not.",
        &[V5, V8],
        &[Enforcement],
        "ios_only_enforced",
        Ios,
        obj(&[("app_id", json!(TEST)), ("user_id", json!(uid))]),
        user(false, uid),
    ));
    v.push(def(
        "verify-ios-only-enforced-ios-hash-without-identifier",
        "Only iOS enforced: an iOS hash without identifier is rejected.",
        &[V4, V8],
        &[Enforcement],
        "ios_only_enforced",
        Ios,
        obj(&[("app_id", json!(PROD)), ("user_hash", json!(hash(PROD, Ios, uid)))]),
        Expect::Reject(MissingIdentifier),
    ));

    // --- platforms without a secret, hex-looking secrets -------------------------------------------------
    v.push(def(
        "verify-no-secret-platform-hash",
        "A platform configured without a secret: a hash cannot verify, so an unverified user.",
        &[V2, V6],
        &[Enforcement],
        "partial",
        Android,
        user_payload(PROD, uid, &hash(PROD, Android, uid)),
        user(false, uid),
    ));
    v.push(def(
        "verify-no-secret-platform-visitor",
        "A platform configured without a secret: visitors are unaffected.",
        &[V3],
        &[Functionality],
        "partial",
        Android,
        obj(&[("app_id", json!(PROD))]),
        Expect::Visitor,
    ));
    v.push(def(
        "verify-unlisted-platform-user",
        "A platform not listed in the workspace (iOS): not enforced, no secret, so an unverified user.",
        &[V2, V5],
        &[Enforcement],
        "partial",
        Ios,
        obj(&[("app_id", json!(PROD)), ("user_id", json!(uid))]),
        user(false, uid),
    ));
    v.push(def(
        "verify-no-secret-platform-web-hash",
        "Android has no secret: the production web secret's valid hash does not stand in for it (V2: another platform's secret never verifies), so an unverified user.",
        &[V2, V6],
        &[WrongSecret, AuthBypass],
        "partial",
        Android,
        user_payload(PROD, uid, &hash(PROD, Web, uid)),
        user(false, uid),
    ));
    v.push(def(
        "verify-no-secret-platform-web-hash-email",
        "Android has no secret: an email with the web secret's valid hash of it is an unverified user, never a verified one.",
        &[V2, V6, S2],
        &[WrongSecret, AuthBypass],
        "partial",
        Android,
        obj(&[("app_id", json!(PROD)), ("email", json!(email)), ("user_hash", json!(hash(PROD, Web, email)))]),
        Expect::User { verified: false, source: Email, value: email.into() },
    ));
    v.push(def(
        "verify-unlisted-platform-web-hash",
        "iOS is not listed in the workspace: not enforced and no secret, so the web secret's valid hash gives an unverified user (not verified, not rejected).",
        &[V2, V6, V8],
        &[WrongSecret, Enforcement, AuthBypass],
        "partial",
        Ios,
        user_payload(PROD, uid, &hash(PROD, Web, uid)),
        user(false, uid),
    ));
    v.push(def(
        "verify-unlisted-platform-hash-without-identifier",
        "iOS is not listed in the workspace, so not enforced: a hash without identifier is a visitor (V4), not missing_identifier or unknown_app.",
        &[V4, V8, V1],
        &[Enforcement, Presence],
        "partial",
        Ios,
        obj(&[("app_id", json!(PROD)), ("user_hash", json!(hash(PROD, Web, uid)))]),
        Expect::Visitor,
    ));
    v.push(def(
        "verify-unlisted-platform-visitor",
        "iOS is not listed, but the workspace is known: a visitor is a visitor (V3), not unknown_app.",
        &[V3, V1],
        &[Functionality],
        "partial",
        Ios,
        obj(&[("app_id", json!(PROD)), ("name", json!("Lead from pricing page"))]),
        Expect::Visitor,
    ));
    // Secrets whose whitespace is part of them (S5: raw bytes, byte for byte): the verifier strips nothing.
    v.push(def(
        "verify-padded-secret-web-lf-valid",
        "The web secret ends in a line feed: the hash made with the whole secret, LF included, verifies.",
        &[S5, V2, V6],
        &[KeyHandling, Normalization],
        "padded_secrets",
        Web,
        user_payload(PROD, uid, &mac_hex(PROD_WEB_LF.as_bytes(), uid.as_bytes())),
        user(true, uid),
    ));
    v.push(def(
        "verify-padded-secret-web-lf-stripped-hash",
        "The web secret ends in a line feed: a hash made with the secret stripped of it is invalid (enforced).",
        &[S5, V2, V6],
        &[KeyHandling, Normalization, WrongSecret],
        "padded_secrets",
        Web,
        user_payload(PROD, uid, &hash(PROD, Web, uid)),
        Expect::Reject(InvalidUserHash),
    ));
    v.push(def(
        "verify-padded-secret-ios-space-valid",
        "The iOS secret ends in a space: the hash made with the whole secret, space included, verifies.",
        &[S5, V2, V6],
        &[KeyHandling, Normalization],
        "padded_secrets",
        Ios,
        user_payload(PROD, uid, &mac_hex(PROD_IOS_SPACE.as_bytes(), uid.as_bytes())),
        user(true, uid),
    ));
    v.push(def(
        "verify-padded-secret-android-crlf-valid",
        "The Android secret ends in CRLF: the hash made with the whole secret verifies (Android does not enforce, but a valid hash is still verified).",
        &[S5, V2, V6],
        &[KeyHandling, Normalization],
        "padded_secrets",
        Android,
        user_payload(PROD, uid, &mac_hex(PROD_ANDROID_CRLF.as_bytes(), uid.as_bytes())),
        user(true, uid),
    ));
    v.push(def(
        "verify-padded-secret-android-crlf-stripped-hash",
        "The Android secret ends in CRLF: a hash made with the secret stripped of it is not valid, so an unverified user.",
        &[S5, V2, V6],
        &[KeyHandling, Normalization, WrongSecret],
        "padded_secrets",
        Android,
        user_payload(PROD, uid, &hash(PROD, Android, uid)),
        user(false, uid),
    ));
    // Secrets that are not ASCII: used as their raw bytes, never re-read as text (S5).
    v.push(def(
        "verify-binary-secret-valid",
        "The web secret is six raw bytes (ff 00 80 7f 01 fe), not UTF-8 text: the hash made with those bytes verifies.",
        &[S5, V2, V6],
        &[KeyHandling, Encoding],
        "binary_secret",
        Web,
        user_payload(PROD, uid, &mac_hex(&BINARY_WEB, uid.as_bytes())),
        user(true, uid),
    ));
    let latin1_as_utf8: Vec<u8> = BINARY_WEB.iter().map(|&b| char::from(b)).collect::<String>().into_bytes();
    v.push(def(
        "verify-binary-secret-double-encoded-hash",
        "The hash made with the secret's bytes read as Latin-1 and written as UTF-8 (10 bytes, not 6) is invalid.",
        &[S5, V2, V6],
        &[KeyHandling, Encoding, WrongSecret],
        "binary_secret",
        Web,
        user_payload(PROD, uid, &mac_hex(&latin1_as_utf8, uid.as_bytes())),
        Expect::Reject(InvalidUserHash),
    ));
    v.push(def(
        "verify-non-ascii-secret-valid",
        "The iOS secret is non-ASCII text: the hash made with its UTF-8 bytes verifies.",
        &[S5, V2, V6],
        &[KeyHandling, Encoding],
        "binary_secret",
        Ios,
        user_payload(PROD, uid, &mac_hex(NON_ASCII_IOS.as_bytes(), uid.as_bytes())),
        user(true, uid),
    ));
    v.push(def(
        "verify-hexy-secret-raw",
        "A hex-looking secret is used as its ASCII bytes: that hash verifies.",
        &[S5, V2],
        &[KeyHandling],
        "hexy",
        Web,
        user_payload(HEXY, uid, &hash(HEXY, Web, uid)),
        user(true, uid),
    ));
    v.push(def(
        "verify-hexy-secret-decoded",
        "The hash made with the hex-decoded secret is invalid.",
        &[S5, V2],
        &[KeyHandling, AuthBypass],
        "hexy",
        Web,
        user_payload(HEXY, uid, &mac_hex(&ivconform_core::hex::decode(HEXY_WEB).expect("hex"), uid.as_bytes())),
        bad(true, uid),
    ));
    v
}

/// Standard base64 with padding (RFC 4648), for the wrong-encoding cases.
fn base64_std(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
