//! `payload.json`: strict parsing of the boot payload (P1–P6), graded through the verifier's decision.

use crate::configs::*;
use crate::definition::{mac_hex, meta, Expect, VerifierDef};
use ivconform_core::Platform::Web;
use ivconform_core::RejectReason::*;
use ivconform_core::Rule::{self, *};
use ivconform_core::Source::{self, Email, UserId as Uid};
use ivconform_vectors::model::Flag::{self, *};
use serde_json::{json, Value};

/// Compact JSON for an object with members in the given order (duplicates allowed, for P2 cases).
pub(crate) fn obj(members: &[(&str, Value)]) -> String {
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| {
            format!("{}:{}", serde_json::to_string(k).expect("key"), serde_json::to_string(v).expect("value"))
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

/// The valid production web hash of an identifier.
pub(crate) fn web_hash(identifier: &str) -> String {
    mac_hex(PROD_WEB.as_bytes(), identifier.as_bytes())
}

fn def(
    id: &str,
    comment: &str,
    rules: &[Rule],
    flags: &[Flag],
    payload: impl Into<Vec<u8>>,
    expect: Expect,
) -> VerifierDef {
    VerifierDef {
        now: None,
        meta: meta(id, comment, rules, flags),
        config: "standard",
        platform: Web,
        payload: payload.into(),
        expect,
    }
}

fn malformed(id: &str, comment: &str, rules: &[Rule], flags: &[Flag], payload: impl Into<Vec<u8>>) -> VerifierDef {
    def(id, comment, rules, flags, payload, Expect::Reject(MalformedPayload))
}

fn verified(source: Source, value: &str) -> Expect {
    Expect::User { verified: true, source, value: value.into() }
}

/// A valid, verified production web payload for `user_id` with extra members appended.
fn user(uid: &str, extra: &[(&str, Value)]) -> String {
    let mut m = vec![("app_id", json!(PROD)), ("user_id", json!(uid)), ("user_hash", json!(web_hash(uid)))];
    m.extend(extra.iter().cloned());
    obj(&m)
}

/// A verified payload text with `tail` spliced in before the closing brace (for raw, non-JSON tails).
fn user_with_raw(uid: &str, raw_member: &str) -> String {
    let base = user(uid, &[]);
    format!("{},{}}}", &base[..base.len() - 1], raw_member)
}

fn nest_arrays(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn nest_objects(depth: usize) -> String {
    let mut s = "1".to_string();
    for _ in 0..depth {
        s = format!("{{\"n\":{s}}}");
    }
    s
}

/// Every case of the file.
pub(super) fn cases() -> Vec<VerifierDef> {
    let u = "u-1001";
    let h = web_hash(u);
    let ok = || verified(Uid, u);
    let mut v = vec![
        // --- P1: one strict JSON object ------------------------------------------------------------------
        def("payload-minimal-verified", "A minimal well-formed payload with a valid hash.", &[P1, P5, V6], &[Functionality], user(u, &[]), ok()),
        def("payload-surrounding-whitespace", "Whitespace (space, tab, CR, LF) around the object is allowed by RFC 8259.", &[P1], &[Parser], format!(" \t\r\n{} \n", user(u, &[])), ok()),
        def("payload-pretty-printed", "A pretty-printed payload means the same.", &[P1], &[Parser], format!("{{\n  \"app_id\": \"{PROD}\",\n  \"user_id\": \"{u}\",\n  \"user_hash\": \"{h}\"\n}}"), ok()),
        def("payload-key-order-hash-first", "Key order does not matter.", &[P1], &[Parser], obj(&[("user_hash", json!(h)), ("user_id", json!(u)), ("app_id", json!(PROD))]), ok()),
        malformed("payload-bom", "A UTF-8 byte order mark before the object is not JSON text.", &[P1], &[Parser], [&[0xEF, 0xBB, 0xBF][..], user(u, &[]).as_bytes()].concat()),
        malformed("payload-utf16le", "UTF-16LE text is not UTF-8.", &[P1], &[Parser, Encoding], user(u, &[]).encode_utf16().flat_map(|c| c.to_le_bytes()).collect::<Vec<u8>>()),
        malformed("payload-invalid-utf8-in-string", "A byte 0xFF inside a string is not UTF-8.", &[P1], &[Parser, Encoding], user_with_raw(u, "\"name\":\"A\u{0}\"").replace('\u{0}', "\u{1}").into_bytes().into_iter().map(|b| if b == 1 { 0xFF } else { b }).collect::<Vec<u8>>()),
        malformed("payload-overlong-utf8", "An overlong encoding of '/' (C0 AF) is not UTF-8.", &[P1], &[Parser, Encoding], user_with_raw(u, "\"name\":\"\u{1}\u{2}\"").into_bytes().into_iter().map(|b| match b { 1 => 0xC0, 2 => 0xAF, b => b }).collect::<Vec<u8>>()),
        malformed("payload-utf8-encoded-surrogate", "A UTF-8-encoded surrogate (ED A0 80) is not UTF-8.", &[P1], &[Parser, Encoding], user_with_raw(u, "\"name\":\"\u{1}\u{2}\u{3}\"").into_bytes().into_iter().map(|b| match b { 1 => 0xED, 2 => 0xA0, 3 => 0x80, b => b }).collect::<Vec<u8>>()),
        malformed("payload-line-comment", "A // comment is not JSON.", &[P1], &[Parser], format!("{{\"app_id\":\"{PROD}\", // the workspace\n\"user_id\":\"{u}\",\"user_hash\":\"{h}\"}}")),
        malformed("payload-block-comment", "A /* */ comment is not JSON.", &[P1], &[Parser], format!("{{/* boot */\"app_id\":\"{PROD}\",\"user_id\":\"{u}\",\"user_hash\":\"{h}\"}}")),
        malformed("payload-trailing-comma-object", "A trailing comma in the object.", &[P1], &[Parser], format!("{},}}", &user(u, &[])[..user(u, &[]).len() - 1])),
        malformed("payload-trailing-comma-array", "A trailing comma in a custom array attribute.", &[P1], &[Parser], user_with_raw(u, "\"tags\":[1,2,]")),
        malformed("payload-nan", "NaN is not a JSON number.", &[P1], &[Parser], user_with_raw(u, "\"score\":NaN")),
        malformed("payload-infinity", "Infinity is not a JSON number.", &[P1], &[Parser], user_with_raw(u, "\"score\":Infinity")),
        malformed("payload-negative-infinity", "-Infinity is not a JSON number.", &[P1], &[Parser], user_with_raw(u, "\"score\":-Infinity")),
        malformed("payload-single-quotes", "Single-quoted strings are not JSON.", &[P1], &[Parser], format!("{{'app_id':'{PROD}','user_id':'{u}','user_hash':'{h}'}}")),
        malformed("payload-unquoted-keys", "Unquoted keys are not JSON.", &[P1], &[Parser], format!("{{app_id:\"{PROD}\",user_id:\"{u}\",user_hash:\"{h}\"}}")),
        malformed("payload-lone-high-surrogate-custom", "A lone high surrogate escape in a custom attribute.", &[P1], &[Parser, Encoding], user_with_raw(u, "\"name\":\"\\ud800\"")),
        malformed("payload-lone-low-surrogate-custom", "A lone low surrogate escape in a custom attribute.", &[P1], &[Parser, Encoding], user_with_raw(u, "\"name\":\"\\udc00x\"")),
        malformed("payload-reversed-surrogates", "A low surrogate followed by a high one is two lone surrogates.", &[P1], &[Parser, Encoding], user_with_raw(u, "\"name\":\"\\ude00\\ud83d\"")),
        malformed("payload-lone-surrogate-user-id", "A lone surrogate in user_id: two parsers could hash different bytes.", &[P1, S3], &[Parser, Encoding, AuthBypass], format!("{{\"app_id\":\"{PROD}\",\"user_id\":\"u\\ud83d\",\"user_hash\":\"{}\"}}", web_hash("u\u{fffd}"))),
        def("payload-surrogate-pair-user-id", "A valid surrogate-pair escape in user_id is the emoji's 4 UTF-8 bytes.", &[P1, S3], &[Parser, Encoding], format!("{{\"app_id\":\"{PROD}\",\"user_id\":\"user-\\ud83d\\ude00\",\"user_hash\":\"{}\"}}", web_hash("user-\u{1F600}")), verified(Uid, "user-\u{1F600}")),
        def("payload-escaped-user-id", "An escaped 'jos\\u00e9' means the same identifier as the raw UTF-8 'josé'.", &[P1, S3], &[Parser, Encoding], format!("{{\"app_id\":\"{PROD}\",\"user_id\":\"jos\\u00e9\",\"user_hash\":\"{}\"}}", web_hash("jos\u{e9}")), verified(Uid, "jos\u{e9}")),
        def("payload-raw-utf8-user-id", "The raw UTF-8 'josé' as user_id.", &[P1, S3], &[Parser, Encoding], user("jos\u{e9}", &[]), verified(Uid, "jos\u{e9}")),
        def("payload-escaped-solidus-and-controls", "Escapes \\/ \\n \\t in user_id decode to '/', LF and TAB before hashing.", &[P1, S3], &[Parser, Encoding], format!("{{\"app_id\":\"{PROD}\",\"user_id\":\"a\\/b\\nc\\td\",\"user_hash\":\"{}\"}}", web_hash("a/b\nc\td")), verified(Uid, "a/b\nc\td")),
        def("payload-escaped-nul-user-id", "An escaped NUL inside user_id is part of the identifier.", &[P1, S3], &[Parser, Encoding], format!("{{\"app_id\":\"{PROD}\",\"user_id\":\"u-1\\u0000admin\",\"user_hash\":\"{}\"}}", web_hash("u-1\u{0}admin")), verified(Uid, "u-1\u{0}admin")),
        malformed("payload-top-level-array", "The payload must be an object, not an array.", &[P1], &[Parser, Type], format!("[{}]", user(u, &[]))),
        malformed("payload-top-level-string", "The payload must be an object, not a string.", &[P1], &[Parser, Type], "\"ws_prod\""),
        malformed("payload-top-level-number", "The payload must be an object, not a number.", &[P1], &[Parser, Type], "42"),
        malformed("payload-top-level-null", "The payload must be an object, not null.", &[P1], &[Parser, Type], "null"),
        malformed("payload-empty", "An empty body is not a payload.", &[P1], &[Parser], ""),
        malformed("payload-whitespace-only", "Whitespace alone is not a payload.", &[P1], &[Parser], " \n "),
        malformed("payload-two-objects", "Two objects back to back.", &[P1], &[Parser], format!("{}{}", user(u, &[]), user(u, &[]))),
        malformed("payload-trailing-garbage", "Text after the object.", &[P1], &[Parser], format!("{};", user(u, &[]))),
        malformed("payload-truncated", "The body ends inside the object.", &[P1], &[Parser], user(u, &[])[..40].to_string()),
        malformed("payload-unterminated-string", "A string that never closes.", &[P1], &[Parser], format!("{{\"app_id\":\"{PROD}\",\"user_id\":\"{u}")),
        malformed("payload-raw-tab-in-string", "A raw TAB inside a string must be escaped.", &[P1], &[Parser], format!("{{\"app_id\":\"{PROD}\",\"user_id\":\"u\t1\",\"user_hash\":\"{}\"}}", web_hash("u\t1"))),
        malformed("payload-raw-newline-in-string", "A raw line feed inside a string must be escaped.", &[P1], &[Parser], format!("{{\"app_id\":\"{PROD}\",\"user_id\":\"u\n1\",\"user_hash\":\"{}\"}}", web_hash("u\n1"))),
        malformed("payload-invalid-escape", "\\x41 is not a JSON escape.", &[P1], &[Parser], user_with_raw(u, "\"name\":\"\\x41\"")),
        malformed("payload-short-unicode-escape", "\\u with fewer than four hex digits.", &[P1], &[Parser], user_with_raw(u, "\"name\":\"\\u41\"")),
        malformed("payload-leading-zero-number", "A number with a leading zero (01).", &[P1], &[Parser, Number], user_with_raw(u, "\"plan\":01")),
        malformed("payload-hex-number", "A hexadecimal number (0x10).", &[P1], &[Parser, Number], user_with_raw(u, "\"plan\":0x10")),
        malformed("payload-plus-number", "A leading plus sign (+1).", &[P1], &[Parser, Number], user_with_raw(u, "\"plan\":+1")),
        malformed("payload-bare-fraction", "A fraction without integer part (.5).", &[P1], &[Parser, Number], user_with_raw(u, "\"plan\":.5")),
        malformed("payload-dangling-point", "A number ending in a point (1.).", &[P1], &[Parser, Number], user_with_raw(u, "\"plan\":1.")),
        malformed("payload-capital-true", "True with a capital letter is not a literal.", &[P1], &[Parser], user_with_raw(u, "\"vip\":True")),
        malformed("payload-undefined", "undefined is not JSON.", &[P1], &[Parser], user_with_raw(u, "\"vip\":undefined")),
        // --- P2: duplicate keys -------------------------------------------------------------------------
        malformed("payload-duplicate-app-id", "app_id twice (same value): refused, even when harmless.", &[P2], &[DuplicateKey], obj(&[("app_id", json!(PROD)), ("app_id", json!(PROD)), ("user_id", json!(u)), ("user_hash", json!(h))])),
        malformed("payload-duplicate-user-id-same", "user_id twice with the same value.", &[P2], &[DuplicateKey], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("user_id", json!(u)), ("user_hash", json!(h))])),
        malformed("payload-duplicate-user-id-smuggle-last", "user_id 'victim' then 'attacker' with the attacker's hash: last-wins parsers would verify the attacker.", &[P2], &[DuplicateKey, AuthBypass], obj(&[("app_id", json!(PROD)), ("user_id", json!("victim")), ("user_id", json!("attacker")), ("user_hash", json!(web_hash("attacker")))])),
        malformed("payload-duplicate-user-id-smuggle-first", "user_id 'attacker' then 'victim' with the attacker's hash: first-wins parsers would verify the attacker.", &[P2], &[DuplicateKey, AuthBypass], obj(&[("app_id", json!(PROD)), ("user_id", json!("attacker")), ("user_id", json!("victim")), ("user_hash", json!(web_hash("attacker")))])),
        malformed("payload-duplicate-user-hash", "user_hash twice.", &[P2], &[DuplicateKey], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("user_hash", json!(h)), ("user_hash", json!(h))])),
        malformed("payload-duplicate-email", "email twice.", &[P2], &[DuplicateKey], obj(&[("app_id", json!(PROD)), ("email", json!("a@example.com")), ("email", json!("b@example.com")), ("user_hash", json!(web_hash("b@example.com")))])),
        malformed("payload-duplicate-by-escape", "\"user_id\" and \"user\\u005fid\" are the same key once unescaped.", &[P2], &[DuplicateKey, AuthBypass], format!("{{\"app_id\":\"{PROD}\",\"user_id\":\"victim\",\"user\\u005fid\":\"attacker\",\"user_hash\":\"{}\"}}", web_hash("attacker"))),
        malformed("payload-duplicate-custom-key", "A custom attribute twice.", &[P2], &[DuplicateKey], user(u, &[("plan", json!("pro")), ("plan", json!("free"))])),
        malformed("payload-duplicate-nested-object", "A duplicate key inside a nested custom object.", &[P2], &[DuplicateKey], user(u, &[]).replacen('}', ",\"company\":{\"id\":\"c1\",\"id\":\"c2\"}}", 1)),
        malformed("payload-duplicate-in-companies-array", "A duplicate key in an object inside the companies array.", &[P2], &[DuplicateKey], user_with_raw(u, "\"companies\":[{\"company_id\":\"c1\",\"name\":\"A\",\"name\":\"B\"}]")),
        malformed("payload-duplicate-deep", "A duplicate key ten levels down.", &[P2], &[DuplicateKey], user_with_raw(u, &format!("\"deep\":{}{{\"k\":1,\"k\":2}}{}", "[".repeat(9), "]".repeat(9)))),
        def("payload-same-key-sibling-objects", "The same key in two sibling objects is not a duplicate.", &[P2], &[DuplicateKey, Functionality], user_with_raw(u, "\"companies\":[{\"company_id\":\"c1\"},{\"company_id\":\"c2\"}]"), ok()),
        def("payload-keys-differ-by-case", "\"User_id\" is not \"user_id\": a custom attribute, not a duplicate.", &[P2, P5], &[DuplicateKey], user(u, &[("User_id", json!("other"))]), ok()),
        def("payload-email-keys-differ-by-case", "\"Email\" beside \"email\": keys differ by case, so not duplicates (P2); \"Email\" is a custom attribute and the email is verified.", &[P2, P5], &[DuplicateKey], obj(&[("app_id", json!(PROD)), ("email", json!("ann@example.com")), ("Email", json!("other@example.com")), ("user_hash", json!(web_hash("ann@example.com")))]), verified(Email, "ann@example.com")),
        // --- P3: identifiers' presence and types ----------------------------------------------------------
        malformed("payload-user-id-float-123-0", "user_id 123.0: a number with a fraction is not an integer id.", &[P3, S4], &[Number, Type], format!("{{\"app_id\":\"{PROD}\",\"user_id\":123.0,\"user_hash\":\"{}\"}}", web_hash("123"))),
        malformed("payload-user-id-exponent", "user_id 1e2: exponent notation is not an integer id.", &[P3, S4], &[Number, Type], format!("{{\"app_id\":\"{PROD}\",\"user_id\":1e2,\"user_hash\":\"{}\"}}", web_hash("100"))),
        malformed("payload-user-id-fraction", "user_id 1.5.", &[P3], &[Number, Type], format!("{{\"app_id\":\"{PROD}\",\"user_id\":1.5,\"user_hash\":\"{}\"}}", web_hash("1.5"))),
        malformed("payload-user-id-2-pow-53", "user_id 2^53: JavaScript cannot tell it from 2^53+1.", &[P3, S4], &[Number, AuthBypass], format!("{{\"app_id\":\"{PROD}\",\"user_id\":9007199254740992,\"user_hash\":\"{}\"}}", web_hash("9007199254740992"))),
        malformed("payload-user-id-2-pow-53-plus-1", "user_id 2^53+1: JavaScript would read 2^53.", &[P3, S4], &[Number, AuthBypass], format!("{{\"app_id\":\"{PROD}\",\"user_id\":9007199254740993,\"user_hash\":\"{}\"}}", web_hash("9007199254740993"))),
        malformed("payload-user-id-minus-2-pow-53", "user_id -2^53: outside the safe range.", &[P3, S4], &[Number], format!("{{\"app_id\":\"{PROD}\",\"user_id\":-9007199254740992,\"user_hash\":\"{}\"}}", web_hash("-9007199254740992"))),
        malformed("payload-user-id-huge", "user_id 1e400 overflows every double.", &[P3], &[Number], format!("{{\"app_id\":\"{PROD}\",\"user_id\":1e400,\"user_hash\":\"{h}\"}}")),
        malformed("payload-user-id-20-digits", "A 20-digit integer user_id is outside the safe range.", &[P3], &[Number], format!("{{\"app_id\":\"{PROD}\",\"user_id\":12345678901234567890,\"user_hash\":\"{}\"}}", web_hash("12345678901234567890"))),
        def("payload-user-id-max-safe", "user_id 2^53-1 is the largest accepted integer.", &[P3, S4], &[Number], format!("{{\"app_id\":\"{PROD}\",\"user_id\":9007199254740991,\"user_hash\":\"{}\"}}", web_hash("9007199254740991")), verified(Uid, "9007199254740991")),
        def("payload-user-id-min-safe", "user_id -(2^53-1) is the smallest accepted integer.", &[P3, S4], &[Number], format!("{{\"app_id\":\"{PROD}\",\"user_id\":-9007199254740991,\"user_hash\":\"{}\"}}", web_hash("-9007199254740991")), verified(Uid, "-9007199254740991")),
        def("payload-user-id-integer", "Integer user_id 5678 is verified against the hash of \"5678\".", &[P3, S4], &[Number, Functionality], format!("{{\"app_id\":\"{PROD}\",\"user_id\":5678,\"user_hash\":\"{}\"}}", web_hash("5678")), verified(Uid, "5678")),
        def("payload-user-id-zero", "Integer user_id 0 is present and hashed as \"0\".", &[P3, S4, S2], &[Number, Presence], format!("{{\"app_id\":\"{PROD}\",\"user_id\":0,\"email\":\"ann@example.com\",\"user_hash\":\"{}\"}}", web_hash("0")), verified(Uid, "0")),
        def("payload-user-id-negative-zero", "-0 is an integer written without fraction: the identifier is \"0\" (JavaScript's String(-0)).", &[P3, S4], &[Number], format!("{{\"app_id\":\"{PROD}\",\"user_id\":-0,\"user_hash\":\"{}\"}}", web_hash("0")), verified(Uid, "0")),
        def("payload-user-id-negative", "Integer user_id -3 is hashed as \"-3\".", &[P3, S4], &[Number], format!("{{\"app_id\":\"{PROD}\",\"user_id\":-3,\"user_hash\":\"{}\"}}", web_hash("-3")), verified(Uid, "-3")),
        malformed("payload-user-id-true", "user_id true is not a string or integer.", &[P3], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!(true)), ("user_hash", json!(web_hash("true")))])),
        malformed("payload-user-id-false", "user_id false is not absent: it is the wrong type.", &[P3], &[Type, Presence], obj(&[("app_id", json!(PROD)), ("user_id", json!(false)), ("email", json!("ann@example.com")), ("user_hash", json!(web_hash("ann@example.com")))])),
        malformed("payload-user-id-array", "user_id [\"u-1001\"] is not a string.", &[P3], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!([u])), ("user_hash", json!(h))])),
        malformed("payload-user-id-object", "user_id as an object.", &[P3], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!({"id": u})), ("user_hash", json!(h))])),
        malformed("payload-email-number", "email 123 is not a string.", &[P3], &[Type], obj(&[("app_id", json!(PROD)), ("email", json!(123)), ("user_hash", json!(web_hash("123")))])),
        malformed("payload-email-true", "email true is not a string.", &[P3], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("email", json!(true)), ("user_hash", json!(h))])),
        malformed("payload-email-array", "email as an array.", &[P3], &[Type], obj(&[("app_id", json!(PROD)), ("email", json!(["ann@example.com"])), ("user_hash", json!(web_hash("ann@example.com")))])),
        malformed("payload-email-object", "email as an object.", &[P3], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("email", json!({})), ("user_hash", json!(h))])),
        def("payload-user-id-null-email-used", "user_id null is absent: email is the identifier.", &[P3, S2], &[Presence], obj(&[("app_id", json!(PROD)), ("user_id", Value::Null), ("email", json!("ann@example.com")), ("user_hash", json!(web_hash("ann@example.com")))]), verified(Email, "ann@example.com")),
        def("payload-user-id-empty-email-used", "user_id \"\" is absent: email is the identifier.", &[P3, S2], &[Presence], obj(&[("app_id", json!(PROD)), ("user_id", json!("")), ("email", json!("ann@example.com")), ("user_hash", json!(web_hash("ann@example.com")))]), verified(Email, "ann@example.com")),
        def("payload-email-null-visitor", "email null and no user_id: a visitor.", &[P3, V3], &[Presence], obj(&[("app_id", json!(PROD)), ("email", Value::Null)]), Expect::Visitor),
        // --- P4: where the hash travels ------------------------------------------------------------------
        malformed("payload-user-hash-null", "user_hash null is not a string.", &[P4], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("user_hash", Value::Null)])),
        malformed("payload-user-hash-number", "user_hash as a number.", &[P4], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("user_hash", json!(123))])),
        malformed("payload-user-hash-true", "user_hash true must not be coerced.", &[P4], &[Type, AuthBypass], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("user_hash", json!(true))])),
        malformed("payload-user-hash-array", "user_hash as an array holding the right hash.", &[P4], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("user_hash", json!([h]))])),
        malformed("payload-user-hash-object", "user_hash as an object.", &[P4], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("user_hash", json!({"hex": h}))])),
        def("payload-camel-case-user-hash", "userHash is a custom attribute: the user has no hash (enforced web).", &[P4, V5], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("userHash", json!(h))]), Expect::Reject(MissingUserHash)),
        def("payload-camel-case-user-hash-email", "An email with userHash only: userHash is a custom attribute, so the email has no hash (enforced web).", &[P4, V5], &[Type], obj(&[("app_id", json!(PROD)), ("email", json!("ann@example.com")), ("userHash", json!(web_hash("ann@example.com")))]), Expect::Reject(MissingUserHash)),
        def("payload-android-user-hash-key", "android_user_hash is a custom attribute, not the hash.", &[P4, V5], &[Type], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("android_user_hash", json!(h))]), Expect::Reject(MissingUserHash)),
        def("payload-user-hash-empty-string", "An empty user_hash is a hash in the wrong form.", &[P4, V6], &[HexForm], obj(&[("app_id", json!(PROD)), ("user_id", json!(u)), ("user_hash", json!(""))]), Expect::Reject(InvalidUserHash)),
        // --- P5: app_id and other keys -------------------------------------------------------------------
        malformed("payload-app-id-missing", "No app_id: the workspace is unknown and the payload malformed.", &[P5], &[Type], obj(&[("user_id", json!(u)), ("user_hash", json!(h))])),
        malformed("payload-app-id-empty", "An empty app_id.", &[P5], &[Type], obj(&[("app_id", json!("")), ("user_id", json!(u)), ("user_hash", json!(h))])),
        malformed("payload-app-id-number", "app_id as a number.", &[P5], &[Type], obj(&[("app_id", json!(12345)), ("user_id", json!(u)), ("user_hash", json!(h))])),
        malformed("payload-app-id-null", "app_id null.", &[P5], &[Type], obj(&[("app_id", Value::Null), ("user_id", json!(u)), ("user_hash", json!(h))])),
        malformed("payload-app-id-array", "app_id as an array.", &[P5], &[Type], obj(&[("app_id", json!([PROD])), ("user_id", json!(u)), ("user_hash", json!(h))])),
        def("payload-camel-case-user-id-with-hash", "userId is a custom attribute, not user_id (P5): a hash without identifier, enforced web: missing_identifier (V4).", &[P5, V4], &[Type, AuthBypass], obj(&[("app_id", json!(PROD)), ("userId", json!(u)), ("user_hash", json!(h))]), Expect::Reject(MissingIdentifier)),
        def("payload-camel-case-user-id-beside-email", "userId beside an email: userId is a custom attribute, so the email is the identifier and its hash verifies.", &[P5, S2], &[Type, Precedence], obj(&[("app_id", json!(PROD)), ("userId", json!(u)), ("email", json!("ann@example.com")), ("user_hash", json!(web_hash("ann@example.com")))]), verified(Email, "ann@example.com")),
        def("payload-camel-case-user-id-no-hash", "userId alone, no hash: no identifier and no hash, so a visitor (V3), not a user missing a hash.", &[P5, V3], &[Type, Presence], obj(&[("app_id", json!(PROD)), ("userId", json!(u))]), Expect::Visitor),
        def("payload-nested-user-id-with-hash", "user_id only inside the company object is not the user's id (P5): a hash without identifier, enforced web: missing_identifier (V4).", &[P5, V4], &[Type, AuthBypass], obj(&[("app_id", json!(PROD)), ("company", json!({"user_id": u})), ("user_hash", json!(h))]), Expect::Reject(MissingIdentifier)),
        def("payload-nested-user-id-beside-email", "An email beside a company object holding user_id: the nested key is not an identifier, so the email's hash verifies.", &[P5, S2], &[Type, Precedence], obj(&[("app_id", json!(PROD)), ("email", json!("ann@example.com")), ("company", json!({"company_id": "c1", "user_id": "c-9"})), ("user_hash", json!(web_hash("ann@example.com")))]), verified(Email, "ann@example.com")),
        def("payload-documented-attributes", "Documented attributes (name, created_at, company, companies, hide_default_launcher) do not change the decision.", &[P5], &[Functionality], user(u, &[("name", json!("Ann Lee")), ("created_at", json!(1700000000)), ("company", json!({"company_id": "c1", "name": "Acme"})), ("companies", json!([{"company_id": "c1"}, {"company_id": "c2"}])), ("hide_default_launcher", json!(false))]), ok()),
        def("payload-documented-attributes-odd-types", "Documented attributes with odd types (name 123, created_at \"yesterday\") do not affect the decision.", &[P5], &[Type], user(u, &[("name", json!(123)), ("created_at", json!("yesterday")), ("companies", json!("none")), ("hide_default_launcher", json!("yes"))]), ok()),
        def("payload-custom-attributes", "Custom attributes of every JSON type are kept and ignored by the decision.", &[P5], &[Functionality], user(u, &[("plan", json!("pro")), ("seats", json!(12)), ("ratio", json!(0.25)), ("vip", json!(true)), ("tags", json!(["a", "b"])), ("meta", json!({"k": null}))]), ok()),
        def("payload-hash-lookalike-attributes", "Attributes named like hashes (hash, userHash, intercom_user_hash) never stand in for user_hash.", &[P4, P5], &[Type], user(u, &[("hash", json!("x")), ("intercom_user_hash", json!("y"))]), ok()),
        // --- P6: limits ------------------------------------------------------------------------------------
        def("payload-user-id-1024-bytes", "A 1,024-byte user_id is at the limit: accepted.", &[P6], &[Limit], user(&"u".repeat(1024), &[]), verified(Uid, &"u".repeat(1024))),
        malformed("payload-user-id-1025-bytes", "A 1,025-byte user_id is one past the limit.", &[P6], &[Limit], user(&"u".repeat(1025), &[])),
        def("payload-email-1024-bytes", "A 1,024-byte email is at the limit.", &[P6], &[Limit], obj(&[("app_id", json!(PROD)), ("email", json!(format!("{}@example.com", "e".repeat(1012)))), ("user_hash", json!(web_hash(&format!("{}@example.com", "e".repeat(1012)))))]), verified(Email, &format!("{}@example.com", "e".repeat(1012)))),
        malformed("payload-email-1025-bytes", "A 1,025-byte email is one past the limit.", &[P6], &[Limit], obj(&[("app_id", json!(PROD)), ("email", json!(format!("{}@example.com", "e".repeat(1013)))), ("user_hash", json!(web_hash(&format!("{}@example.com", "e".repeat(1013)))))])),
        def("payload-user-id-1024-bytes-multibyte", "512 two-byte characters are 1,024 bytes: at the limit.", &[P6, S3], &[Limit, Encoding], user(&"\u{e9}".repeat(512), &[]), verified(Uid, &"\u{e9}".repeat(512))),
        malformed("payload-user-id-513-two-byte-chars", "513 two-byte characters are 1,026 bytes: the limit counts bytes, not characters.", &[P6], &[Limit, Encoding], user(&"\u{e9}".repeat(513), &[])),
        def("payload-user-id-escaped-1024-bytes", "1,024 characters written as \\u0041 escapes: 6 KiB of text, 1,024 bytes decoded, at the limit.", &[P6, P1], &[Limit, Parser], format!("{{\"app_id\":\"{PROD}\",\"user_id\":\"{}\",\"user_hash\":\"{}\"}}", "\\u0041".repeat(1024), web_hash(&"A".repeat(1024))), verified(Uid, &"A".repeat(1024))),
        def("payload-long-custom-attribute", "A 4,000-byte custom attribute: the identifier limit does not apply to it.", &[P6, P5], &[Limit], user(u, &[("bio", json!("b".repeat(4000)))]), ok()),
        def("payload-depth-32-arrays", "Nesting depth 32 (the object plus 31 arrays) is at the limit.", &[P6], &[Limit], user_with_raw(u, &format!("\"d\":{}", nest_arrays(31))), ok()),
        malformed("payload-depth-33-arrays", "Nesting depth 33 is one past the limit.", &[P6], &[Limit], user_with_raw(u, &format!("\"d\":{}", nest_arrays(32)))),
        def("payload-depth-32-objects", "Depth 32 made of objects is at the limit.", &[P6], &[Limit], user_with_raw(u, &format!("\"d\":{}", nest_objects(31))), ok()),
        malformed("payload-depth-33-objects", "Depth 33 made of objects is one past the limit.", &[P6], &[Limit], user_with_raw(u, &format!("\"d\":{}", nest_objects(32)))),
        malformed("payload-depth-5000", "Nesting 5,000 deep must be refused without exhausting the stack.", &[P6], &[Limit], user_with_raw(u, &format!("\"d\":{}", nest_arrays(5000)))),
        malformed("payload-unclosed-depth-20000", "20,000 opening brackets that never close.", &[P6, P1], &[Limit, Parser], user_with_raw(u, &format!("\"d\":{}", "[".repeat(20000)))),
        // --- scanners that are not JSON-aware, and checks made at the top level only -----------------------
        def("payload-brackets-inside-string", "40 '[' and 40 '{' inside a string are text, not nesting: a scanner that counts brackets without tracking strings refuses it.", &[P6, P1], &[Limit, Parser, Functionality], user(u, &[("note", json!(format!("{}{}", "[".repeat(40), "{".repeat(40))))]), ok()),
        def("payload-brackets-after-escaped-quote", "A string holding one escaped quote and then 40 '[': a scanner that ends the string at \\\" counts them as nesting.", &[P6, P1], &[Limit, Parser], user(u, &[("note", json!(format!("a 5\" screen {}", "[".repeat(40))))]), ok()),
        malformed("payload-depth-33-after-closing-brackets-in-string", "Depth 33 after a string of ']]]]]]]]': the string does not lower the depth.", &[P6], &[Limit, Parser], user_with_raw(u, &format!("\"note\":\"{}\",\"d\":{}", "]".repeat(8), nest_arrays(32)))),
        def("payload-user-id-key-in-nested-object", "\"user_id\" as a key of a nested company object is not a second user_id: a text scan for duplicate keys refuses it.", &[P2, P5], &[DuplicateKey, Parser], user(u, &[("company", json!({"user_id": "c-9", "name": "Acme"}))]), ok()),
        def("payload-user-id-as-string-value", "The text \"user_id\" as a string value (in an array) is not a key.", &[P2, P5], &[DuplicateKey, Parser], user(u, &[("tags", json!(["user_id", "user_hash", "app_id"]))]), ok()),
        def("payload-colon-and-comma-in-strings", "Colons, commas and quotes inside strings do not split members: the identifier is the whole string.", &[P1, S3], &[Parser], user("a,b:\"c\"", &[("note", json!("x\":\"y,\"user_id\":\"z"))]), verified(Uid, "a,b:\"c\"")),
        malformed("payload-lone-surrogate-nested", "A lone surrogate escape two levels down in a custom object: refused at any depth, not only at the top.", &[P1], &[Parser, Encoding], user_with_raw(u, "\"company\":{\"meta\":{\"name\":\"\\ud800\"}}")),
        malformed("payload-lone-surrogate-in-array", "A lone surrogate escape inside an array of tags.", &[P1], &[Parser, Encoding], user_with_raw(u, "\"tags\":[\"a\",\"\\udc00\"]")),
        malformed("payload-lone-surrogate-in-key", "A lone surrogate escape in a custom key.", &[P1], &[Parser, Encoding], user_with_raw(u, "\"k\\ud800\":1")),
        malformed("payload-nan-nested", "NaN inside a nested custom object.", &[P1], &[Parser, Number], user_with_raw(u, "\"stats\":{\"score\":[1,NaN]}")),
        malformed("payload-trailing-comma-nested", "A trailing comma inside a nested object.", &[P1], &[Parser], user_with_raw(u, "\"company\":{\"id\":\"c1\",}")),
        malformed("payload-comment-nested", "A comment inside a nested array.", &[P1], &[Parser], user_with_raw(u, "\"tags\":[1 /* two */,2]")),
        // --- limits on the right text: bytes of the decoded string, before any trimming ----------------------
        malformed("payload-user-id-1025-bytes-trailing-spaces", "1,023 characters and two spaces: 1,025 bytes as sent (trimming first would let it through).", &[P6, S3], &[Limit, Normalization], user(&format!("{}  ", "u".repeat(1023)), &[])),
        malformed("payload-email-1025-bytes-leading-spaces", "An email of 1,025 bytes, two of them leading spaces.", &[P6, S3], &[Limit, Normalization], obj(&[("app_id", json!(PROD)), ("email", json!(format!("  {}@example.com", "e".repeat(1011)))), ("user_hash", json!(web_hash(&format!("  {}@example.com", "e".repeat(1011)))))])),
        malformed("payload-email-513-two-byte-chars", "An email of 1,026 bytes in fewer than 1,024 characters: the limit counts bytes, for the email too.", &[P6], &[Limit, Encoding], obj(&[("app_id", json!(PROD)), ("email", json!(format!("{}@example.com", "\u{e9}".repeat(507)))), ("user_hash", json!(web_hash(&format!("{}@example.com", "\u{e9}".repeat(507)))))])),
        def("payload-email-escaped-1024-bytes", "An email written with \\u0065 escapes: 6 KiB of text, 1,024 bytes decoded, at the limit.", &[P6, P1], &[Limit, Parser], format!("{{\"app_id\":\"{PROD}\",\"email\":\"{}@example.com\",\"user_hash\":\"{}\"}}", "\\u0065".repeat(1012), web_hash(&format!("{}@example.com", "e".repeat(1012)))), verified(Email, &format!("{}@example.com", "e".repeat(1012)))),
        def("payload-user-id-1024-bytes-beside-long-email", "A 1,024-byte user_id beside a 1,024-byte email: each at its own limit (not their sum).", &[P6], &[Limit], obj(&[("app_id", json!(PROD)), ("user_id", json!("u".repeat(1024))), ("email", json!(format!("{}@example.com", "e".repeat(1012)))), ("user_hash", json!(web_hash(&"u".repeat(1024))))]), verified(Uid, &"u".repeat(1024))),
        // --- BOMs, whitespace and null hashes: more than one spelling of each ---------------------------------
        malformed("payload-bom-visitor", "A byte order mark before a visitor's payload (no identifier, no hash): still not JSON text, refused rather than a visitor.", &[P1], &[Parser, Encoding], [&[0xEF, 0xBB, 0xBF][..], obj(&[("app_id", json!(PROD))]).as_bytes()].concat()),
        def("payload-non-ascii-after-escaped-quote", "A string holding an escaped quote and then 'é': the 'é' is inside the string (a scanner that ends strings at \\\" sees it outside).", &[P1], &[Parser, Encoding], user(u, &[("note", json!("a 5\" caf\u{e9}"))]), ok()),
        malformed("payload-bom-after-whitespace", "A byte order mark after leading whitespace is not JSON whitespace.", &[P1], &[Parser, Encoding], [b" ".as_slice(), &[0xEF, 0xBB, 0xBF][..], user(u, &[]).as_bytes()].concat()),
        malformed("payload-bom-escaped-as-whitespace", "U+FEFF (raw UTF-8) between members is not JSON whitespace.", &[P1], &[Parser, Encoding], user(u, &[]).replacen(',', ",\u{feff}", 1)),
        def("payload-trailing-newline", "A trailing newline after the object (what most HTTP clients send) is JSON whitespace.", &[P1], &[Parser], format!("{}\n", user(u, &[])), ok()),
        def("payload-whitespace-between-tokens", "Spaces, tabs and newlines between every token.", &[P1], &[Parser], format!("{{ \"app_id\" :\t\"{PROD}\" ,\n\"user_id\"\r\n: \"{u}\" , \"user_hash\" : \"{h}\" }}"), ok()),
        malformed("payload-user-hash-null-email-only", "user_hash null beside an email is a wrong type, not a missing hash.", &[P4], &[Type], obj(&[("app_id", json!(PROD)), ("email", json!("ann@example.com")), ("user_hash", Value::Null)])),
        malformed("payload-user-hash-null-no-identifier", "user_hash null without an identifier is a wrong type, not a visitor.", &[P4], &[Type], obj(&[("app_id", json!(PROD)), ("user_hash", Value::Null)])),
    ];
    // Size limit: exactly 65,536 bytes and one more, padded with a custom attribute.
    let padded = |total: usize| {
        let base = user(u, &[("pad", json!(""))]);
        let fill = total - base.len();
        user(u, &[("pad", json!("p".repeat(fill)))])
    };
    v.push(def(
        "payload-size-65536-bytes",
        "A payload of exactly 64 KiB is at the limit.",
        &[P6],
        &[Limit],
        padded(65536),
        ok(),
    ));
    v.push(malformed(
        "payload-size-65537-bytes",
        "A payload of 64 KiB + 1 byte is one past the limit.",
        &[P6],
        &[Limit],
        padded(65537),
    ));
    // The same limit counted in bytes, not characters: two-byte characters fill the padding.
    let padded_multibyte = |total: usize| {
        let base = user(u, &[("pad", json!(""))]);
        let fill = total - base.len();
        let pad = format!("{}{}", "\u{e9}".repeat(fill / 2), "p".repeat(fill % 2));
        user(u, &[("pad", json!(pad))])
    };
    v.push(def(
        "payload-size-65536-bytes-multibyte",
        "Exactly 64 KiB, most of it two-byte characters (about 32,800 characters): at the limit.",
        &[P6],
        &[Limit, Encoding],
        padded_multibyte(65536),
        ok(),
    ));
    v.push(malformed(
        "payload-size-65537-bytes-multibyte",
        "64 KiB + 1 byte in two-byte characters: fewer than 33,000 characters, but the limit counts bytes.",
        &[P6],
        &[Limit, Encoding],
        padded_multibyte(65537),
    ));
    v.push(malformed(
        "payload-size-100000-bytes-multibyte",
        "100,000 bytes in 50,000 two-byte characters: under 64 Ki characters, far over 64 KiB.",
        &[P6],
        &[Limit, Encoding],
        padded_multibyte(100_000),
    ));
    v.push(malformed(
        "payload-size-1-mib",
        "A 1 MiB payload must be refused before it is parsed.",
        &[P6],
        &[Limit],
        padded(1 << 20),
    ));
    v
}
