//! `sign.json`: what a signer must hash (S2–S4), with which secret bytes (S5), and what it must refuse.

use crate::configs::*;
use crate::definition::meta;
use ivconform_core::hex::encode_lower;
use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::sign::user_hash;
use ivconform_core::Platform;
use ivconform_core::Rule::{self, *};
use ivconform_core::Source::{self, Email, UserId as Uid};
use ivconform_vectors::model::{Field, Flag, SignCase, SignExpected};
use serde_json::{json, Value};
use Flag::*;

/// The secret a definition signs with: text (`secret`) or raw bytes (`secret_hex`).
enum Key {
    Text(String),
    Raw(Vec<u8>),
}

fn text(s: &str) -> Key {
    Key::Text(s.into())
}

struct Def {
    id: String,
    comment: String,
    rules: Vec<Rule>,
    flags: Vec<Flag>,
    key: Key,
    user_id: Field,
    email: Field,
    expect: Result<(Source, String), &'static str>,
}

const MISSING: Option<Value> = None;

fn field(v: Option<Value>) -> Field {
    v.map_or(Field::Missing, Field::Sent)
}

#[allow(clippy::too_many_arguments)]
fn def(
    id: &str,
    comment: &str,
    rules: &[Rule],
    flags: &[Flag],
    key: Key,
    user_id: Option<Value>,
    email: Option<Value>,
    expect: Result<(Source, String), &'static str>,
) -> Def {
    Def {
        id: id.into(),
        comment: comment.into(),
        rules: rules.to_vec(),
        flags: flags.to_vec(),
        key,
        user_id: field(user_id),
        email: field(email),
        expect,
    }
}

/// A case whose signer must hash `identifier`, taken from `source`.
#[allow(clippy::too_many_arguments)]
fn hash(
    id: &str,
    comment: &str,
    rules: &[Rule],
    flags: &[Flag],
    key: Key,
    user_id: Option<Value>,
    email: Option<Value>,
    source: Source,
    identifier: &str,
) -> Def {
    def(id, comment, rules, flags, key, user_id, email, Ok((source, identifier.into())))
}

/// A case whose signer must refuse with the error `class`.
#[allow(clippy::too_many_arguments)]
fn error(
    id: &str,
    comment: &str,
    rules: &[Rule],
    flags: &[Flag],
    key: Key,
    user_id: Option<Value>,
    email: Option<Value>,
    class: &'static str,
) -> Def {
    def(id, comment, rules, flags, key, user_id, email, Err(class))
}

fn web() -> Key {
    text(PROD_WEB)
}

fn build(d: Def) -> Result<SignCase, String> {
    let (secret, secret_hex, bytes) = match &d.key {
        Key::Text(t) => (Some(t.clone()), None, t.as_bytes().to_vec()),
        Key::Raw(b) => (None, Some(encode_lower(b)), b.clone()),
    };
    let to_uid = |f: &Field| -> Result<Option<UserId>, String> {
        match f {
            Field::Missing | Field::Sent(Value::Null) => Ok(None),
            Field::Sent(Value::String(s)) => Ok(Some(UserId::Text(s.clone()))),
            Field::Sent(v) => v
                .as_i64()
                .and_then(UserId::integer)
                .map(Some)
                .ok_or_else(|| format!("{}: user_id {v} is not a signing input", d.id)),
        }
    };
    let email = match &d.email {
        Field::Missing | Field::Sent(Value::Null) => None,
        Field::Sent(Value::String(s)) => Some(s.clone()),
        Field::Sent(v) => return Err(format!("{}: email {v} is not a signing input", d.id)),
    };
    let ids = Identifiers { user_id: to_uid(&d.user_id)?, email };
    // Never two applicable errors: grading must not depend on check order.
    if bytes.is_empty() && ids.select().is_none() {
        return Err(format!("{}: both empty_secret and no_identifier would apply", d.id));
    }
    let reference = user_hash(&bytes, &ids);
    let expected = match (&d.expect, reference) {
        (Ok((source, identifier)), Ok(signed))
            if signed.identifier.source == *source && signed.identifier.text == *identifier =>
        {
            SignExpected::Hash {
                identifier_source: *source,
                identifier: identifier.clone(),
                message_hex: encode_lower(identifier.as_bytes()),
                user_hash: signed.user_hash,
            }
        }
        (Err(class), Err(e)) if e.class() == *class => SignExpected::Error { error: class.to_string() },
        (want, got) => {
            return Err(format!("{}: the definition expects {want:?} but the reference gives {got:?}", d.id))
        }
    };
    Ok(SignCase {
        meta: meta(&d.id, &d.comment, &d.rules, &d.flags),
        secret,
        secret_hex,
        user_id: d.user_id,
        email: d.email,
        expected,
    })
}

fn s(v: &str) -> Option<Value> {
    Some(json!(v))
}

/// Every case of the file.
pub(super) fn cases() -> Result<Vec<SignCase>, String> {
    let ann = "ann@example.com";
    let mut v = vec![
        // --- S2 / P3: which identifier -------------------------------------------------------------
        hash("sign-both-identifiers-user-id-wins", "user_id and email both sent: the hash is of user_id.", &[S1, S2], &[Precedence, Functionality], web(), s("5678"), s(ann), Uid, "5678"),
        hash("sign-only-user-id", "Only user_id sent: the hash is of user_id.", &[S1, S2], &[Functionality], web(), s("5678"), MISSING, Uid, "5678"),
        hash("sign-only-email", "Only email sent: the hash is of email.", &[S1, S2], &[Functionality], web(), MISSING, s(ann), Email, ann),
        error("sign-neither-identifier", "Neither identifier: no_identifier, never the hash of the empty string.", &[S2], &[Presence], web(), MISSING, MISSING, "no_identifier"),
        error("sign-both-null", "user_id and email both null: nothing is present, no_identifier.", &[S2, P3], &[Presence], web(), Some(Value::Null), Some(Value::Null), "no_identifier"),
        error("sign-both-empty-strings", "user_id and email both \"\": empty strings are absent, no_identifier.", &[S2, P3], &[Presence], web(), s(""), s(""), "no_identifier"),
        error("sign-user-id-empty-no-email", "user_id \"\" and no email: no_identifier (the empty string is never hashed).", &[S2, P3], &[Presence], web(), s(""), MISSING, "no_identifier"),
        error("sign-email-null-only", "email null and no user_id: no_identifier.", &[S2, P3], &[Presence], web(), MISSING, Some(Value::Null), "no_identifier"),
        hash("sign-user-id-empty-falls-back-to-email", "user_id \"\" is absent, so email is hashed.", &[S2, P3], &[Presence, Precedence], web(), s(""), s(ann), Email, ann),
        hash("sign-user-id-null-falls-back-to-email", "user_id null is absent, so email is hashed.", &[S2, P3], &[Presence, Precedence], web(), Some(Value::Null), s(ann), Email, ann),
        hash("sign-email-empty-user-id-wins", "email \"\" beside a user_id: user_id is hashed.", &[S2, P3], &[Presence], web(), s("u-1"), s(""), Uid, "u-1"),
        hash("sign-email-null-user-id-wins", "email null beside a user_id: user_id is hashed.", &[S2, P3], &[Presence], web(), s("u-1"), Some(Value::Null), Uid, "u-1"),
        hash("sign-user-id-zero-wins", "Integer user_id 0 is present (not falsy): hashed as \"0\", over the email.", &[S2, S4, P3], &[Presence, Number, Precedence], web(), Some(json!(0)), s(ann), Uid, "0"),
        hash("sign-user-id-zero-alone", "Integer user_id 0 alone: hashed as \"0\".", &[S2, S4, P3], &[Presence, Number], web(), Some(json!(0)), MISSING, Uid, "0"),
        hash("sign-user-id-string-zero", "String user_id \"0\" is present: hashed as \"0\".", &[S2, P3], &[Presence], web(), s("0"), s(ann), Uid, "0"),
        hash("sign-user-id-single-space", "user_id \" \" is a non-empty string, so present, and hashed untrimmed.", &[S2, S3, P3], &[Presence, Normalization], web(), s(" "), s(ann), Uid, " "),
        hash("sign-user-id-false-string", "String user_id \"false\" is just text.", &[S2, S3], &[Presence], web(), s("false"), s(ann), Uid, "false"),
        hash("sign-user-id-null-string", "String user_id \"null\" is present (it is not JSON null).", &[S2, S3, P3], &[Presence], web(), s("null"), s(ann), Uid, "null"),
        hash("sign-user-id-undefined-string", "String user_id \"undefined\" is present (a JavaScript template that printed undefined still sent text).", &[S2, S3, P3], &[Presence], web(), s("undefined"), s(ann), Uid, "undefined"),
        hash("sign-user-id-tab-only", "user_id of a single TAB is present: whitespace is not absence.", &[S2, S3, P3], &[Presence, Normalization], web(), s("\t"), s(ann), Uid, "\t"),
        hash("sign-user-id-nbsp-only", "user_id of a single no-break space (U+00A0) is present.", &[S2, S3, P3], &[Presence, Encoding], web(), s("\u{a0}"), s(ann), Uid, "\u{a0}"),
        hash("sign-user-id-zero-width-only", "user_id of a single zero-width space (U+200B) is present, though it prints as nothing.", &[S2, S3, P3], &[Presence, Encoding], web(), s("\u{200b}"), s(ann), Uid, "\u{200b}"),
        hash("sign-email-single-space", "An email of one space, alone, is present: hashed as \" \".", &[S2, S3, P3], &[Presence], web(), MISSING, s(" "), Email, " "),
        hash("sign-email-string-zero", "An email \"0\", alone, is present (PHP's empty(\"0\") is true; SPEC's absence is not).", &[S2, P3], &[Presence], web(), MISSING, s("0"), Email, "0"),
        hash("sign-user-id-integer-zero-no-email-null", "Integer user_id 0 beside email null: 0 is the identifier.", &[S2, S4, P3], &[Presence, Number], web(), Some(json!(0)), Some(Value::Null), Uid, "0"),
        hash("sign-user-id-wins-over-mixed-case-email", "A mixed-case email beside user_id: user_id is hashed, the email's case is irrelevant.", &[S2, S3], &[Precedence], web(), s("u-9"), s("Ann@Example.COM"), Uid, "u-9"),
        hash("sign-email-mixed-case-domain", "Email 'ann@EXAMPLE.com': the domain's case is kept too.", &[S3], &[Normalization], web(), MISSING, s("ann@EXAMPLE.com"), Email, "ann@EXAMPLE.com"),
        // --- S4: integers ---------------------------------------------------------------------------
        hash("sign-user-id-integer", "Integer user_id 5678 is hashed as \"5678\".", &[S4], &[Number, Functionality], web(), Some(json!(5678)), MISSING, Uid, "5678"),
        hash("sign-user-id-integer-matches-string", "String \"5678\": the same hash as the integer 5678.", &[S4, S3], &[Number], web(), s("5678"), MISSING, Uid, "5678"),
        hash("sign-user-id-negative", "Integer user_id -3 is hashed as \"-3\".", &[S4], &[Number], web(), Some(json!(-3)), MISSING, Uid, "-3"),
        hash("sign-user-id-max-safe", "2^53-1, the largest integer JavaScript keeps exact, as decimal.", &[S4, P3], &[Number], web(), Some(json!(9007199254740991i64)), MISSING, Uid, "9007199254740991"),
        hash("sign-user-id-min-safe", "-(2^53-1), the smallest safe integer, as decimal.", &[S4, P3], &[Number], web(), Some(json!(-9007199254740991i64)), MISSING, Uid, "-9007199254740991"),
        hash("sign-user-id-ten-digits", "A 10-digit integer id (beyond 32 bits) in full decimal, no exponent.", &[S4], &[Number], web(), Some(json!(12345678901i64)), s(ann), Uid, "12345678901"),
        hash("sign-user-id-leading-zeros-string", "String \"007\" keeps its leading zeros: it is text, not a number.", &[S3, S4], &[Number, Normalization], web(), s("007"), MISSING, Uid, "007"),
        hash("sign-user-id-float-looking-string", "String \"123.0\" is hashed as written.", &[S3], &[Number], web(), s("123.0"), MISSING, Uid, "123.0"),
        hash("sign-user-id-exponent-string", "String \"1e3\" is hashed as written, not as 1000.", &[S3], &[Number], web(), s("1e3"), MISSING, Uid, "1e3"),
        hash("sign-user-id-integer-one", "Integer 1 is \"1\", not \"1.0\".", &[S4], &[Number], web(), Some(json!(1)), MISSING, Uid, "1"),
        // --- S3: exact bytes ----------------------------------------------------------------------------
        hash("sign-user-id-leading-space", "A leading space is part of the identifier.", &[S3], &[Normalization], web(), s(" u-1"), MISSING, Uid, " u-1"),
        hash("sign-user-id-trailing-space", "A trailing space is part of the identifier.", &[S3], &[Normalization], web(), s("u-1 "), MISSING, Uid, "u-1 "),
        hash("sign-user-id-trailing-newline", "A trailing newline is part of the identifier.", &[S3], &[Normalization], web(), s("u-1\n"), MISSING, Uid, "u-1\n"),
        hash("sign-user-id-leading-tab", "A leading tab is part of the identifier.", &[S3], &[Normalization], web(), s("\tu-1"), MISSING, Uid, "\tu-1"),
        hash("sign-user-id-no-space-contrast", "The same id without whitespace: a different hash from the padded ones.", &[S3], &[Normalization, Functionality], web(), s("u-1"), MISSING, Uid, "u-1"),
        hash("sign-email-padded", "Email with surrounding spaces is hashed untrimmed.", &[S3], &[Normalization], web(), MISSING, s(" ann@example.com "), Email, " ann@example.com "),
        hash("sign-email-mixed-case", "Email case is kept: \"Ann@Example.COM\" is not lower-cased.", &[S3], &[Normalization], web(), MISSING, s("Ann@Example.COM"), Email, "Ann@Example.COM"),
        hash("sign-email-lower-case-contrast", "The lower-case email: a different hash from the mixed-case one.", &[S3], &[Normalization], web(), MISSING, s(ann), Email, ann),
        hash("sign-user-id-upper-case", "user_id case is kept.", &[S3], &[Normalization], web(), s("ABC-123"), MISSING, Uid, "ABC-123"),
        hash("sign-user-id-nfc", "NFC 'josé' (U+00E9): two bytes C3 A9 for the accent.", &[S3], &[Normalization, Encoding], web(), s("jos\u{e9}"), MISSING, Uid, "jos\u{e9}"),
        hash("sign-user-id-nfd", "NFD 'josé' (e + U+0301): not normalised, so a different hash from NFC.", &[S3], &[Normalization, Encoding], web(), s("jose\u{301}"), MISSING, Uid, "jose\u{301}"),
        hash("sign-email-nfc", "NFC email 'zoë@example.com'.", &[S3], &[Normalization, Encoding], web(), MISSING, s("zo\u{eb}@example.com"), Email, "zo\u{eb}@example.com"),
        hash("sign-email-nfd", "NFD email 'zoë@example.com' (o + e + U+0308): hashed as sent.", &[S3], &[Normalization, Encoding], web(), MISSING, s("zoe\u{308}@example.com"), Email, "zoe\u{308}@example.com"),
        hash("sign-user-id-hangul-nfc", "Hangul syllable U+D55C (NFC).", &[S3], &[Normalization, Encoding], web(), s("\u{d55c}"), MISSING, Uid, "\u{d55c}"),
        hash("sign-user-id-hangul-nfd", "The same syllable as conjoining jamo (NFD): a different hash.", &[S3], &[Normalization, Encoding], web(), s("\u{1112}\u{1161}\u{11ab}"), MISSING, Uid, "\u{1112}\u{1161}\u{11ab}"),
        hash("sign-user-id-emoji", "A non-BMP emoji (4 UTF-8 bytes, a surrogate pair in UTF-16).", &[S3], &[Encoding], web(), s("user-\u{1F600}"), MISSING, Uid, "user-\u{1F600}"),
        hash("sign-user-id-math-letters", "Mathematical Fraktur letters from plane 1, not folded to ASCII.", &[S3], &[Encoding, Normalization], web(), s("\u{1D518}\u{1D530}\u{1D522}\u{1D52F}"), MISSING, Uid, "\u{1D518}\u{1D530}\u{1D522}\u{1D52F}"),
        hash("sign-user-id-cjk-extension-b", "A CJK Extension B ideograph (plane 2).", &[S3], &[Encoding], web(), s("\u{2070E}-7"), MISSING, Uid, "\u{2070E}-7"),
        hash("sign-user-id-rtl", "Arabic text: bytes as sent, no bidi reordering.", &[S3], &[Encoding], web(), s("\u{645}\u{633}\u{62a}\u{62e}\u{62f}\u{645}-9"), MISSING, Uid, "\u{645}\u{633}\u{62a}\u{62e}\u{62f}\u{645}-9"),
        hash("sign-user-id-zero-width-joiner", "A zero-width joiner inside the id is kept.", &[S3], &[Encoding, Normalization], web(), s("a\u{200d}b"), MISSING, Uid, "a\u{200d}b"),
        hash("sign-user-id-zero-width-space", "A trailing zero-width space is kept.", &[S3], &[Encoding, Normalization], web(), s("u-1\u{200b}"), MISSING, Uid, "u-1\u{200b}"),
        hash("sign-user-id-nul-inside", "A NUL inside the id is hashed, not a C-string terminator.", &[S3], &[Encoding], web(), s("u-1\u{0}admin"), MISSING, Uid, "u-1\u{0}admin"),
        hash("sign-user-id-nul-at-end", "A trailing NUL is part of the id.", &[S3], &[Encoding], web(), s("u-1\u{0}"), MISSING, Uid, "u-1\u{0}"),
        hash("sign-user-id-leading-bom", "A leading U+FEFF (byte-order mark) is part of the id: its three bytes EF BB BF are hashed, not stripped as a text reader would.", &[S3], &[Encoding, Normalization], web(), s("\u{feff}5678"), MISSING, Uid, "\u{feff}5678"),
        hash("sign-user-id-crlf-inside", "A CRLF inside the id is hashed as both bytes 0D 0A, not normalised to LF as text-mode I/O would.", &[S3], &[Encoding, Normalization], web(), s("a\r\nb"), MISSING, Uid, "a\r\nb"),
        hash("sign-email-leading-bom", "A leading U+FEFF before an email is hashed with it (no BOM stripping for either field).", &[S3], &[Encoding, Normalization], web(), MISSING, s("\u{feff}ann@example.com"), Email, "\u{feff}ann@example.com"),
        hash("sign-email-trailing-crlf", "An email ending in CRLF is hashed with both bytes, not with a lone LF.", &[S3], &[Encoding, Normalization], web(), MISSING, s("ann@example.com\r\n"), Email, "ann@example.com\r\n"),
        hash("sign-user-id-control-character", "A control character (U+001F) is hashed as its byte.", &[S3], &[Encoding], web(), s("u\u{1f}1"), MISSING, Uid, "u\u{1f}1"),
        hash("sign-user-id-quotes-backslashes", "Quotes and backslashes are hashed as themselves, not as JSON escapes.", &[S3], &[Encoding], web(), s("a\"b\\c"), MISSING, Uid, "a\"b\\c"),
        hash("sign-user-id-apostrophe", "An apostrophe is hashed raw, not as &#39;.", &[S3], &[Encoding], web(), s("O'Brien"), MISSING, Uid, "O'Brien"),
        hash("sign-user-id-html-entity-text", "An id that literally contains '&#39;' is hashed as those characters.", &[S3], &[Encoding], web(), s("O&#39;Brien"), MISSING, Uid, "O&#39;Brien"),
        hash("sign-email-ampersand", "An ampersand in an email is hashed raw, not as &amp;.", &[S3], &[Encoding], web(), MISSING, s("a&b@example.com"), Email, "a&b@example.com"),
        hash("sign-email-amp-entity-text", "An email that literally contains '&amp;' is hashed as written.", &[S3], &[Encoding], web(), MISSING, s("a&amp;b@example.com"), Email, "a&amp;b@example.com"),
        hash("sign-user-id-angle-brackets", "Angle brackets are hashed raw, not as &lt;/&gt;.", &[S3], &[Encoding], web(), s("<admin>"), MISSING, Uid, "<admin>"),
        hash("sign-email-plus-tag", "A plus-addressed email is hashed whole.", &[S3], &[Encoding, Normalization], web(), MISSING, s("ann+support@example.com"), Email, "ann+support@example.com"),
        hash("sign-email-idn", "An internationalised domain is hashed as UTF-8, not punycode.", &[S3], &[Encoding, Normalization], web(), MISSING, s("ann@b\u{fc}cher.example"), Email, "ann@b\u{fc}cher.example"),
        hash("sign-email-not-validated", "The signer does not validate email syntax: any non-empty string is hashed.", &[S2, S3], &[Presence], web(), MISSING, s("not an email"), Email, "not an email"),
        hash("sign-user-id-1024-bytes", "A 1,024-byte user_id, the verifier's limit.", &[S3, P6], &[Limit], web(), s(&"u".repeat(1024)), MISSING, Uid, &"u".repeat(1024)),
        hash("sign-user-id-1025-bytes", "A 1,025-byte user_id: signing does not limit length (the verifier will refuse it, P6).", &[S3, P6], &[Limit], web(), s(&"u".repeat(1025)), MISSING, Uid, &"u".repeat(1025)),
        hash("sign-user-id-1024-bytes-multibyte", "512 two-byte characters: 1,024 bytes, 512 characters.", &[S3, P6], &[Limit, Encoding], web(), s(&"\u{e9}".repeat(512)), MISSING, Uid, &"\u{e9}".repeat(512)),
        hash("sign-email-4096-bytes", "A long email is hashed whole (several SHA-256 blocks).", &[S3], &[Limit], web(), MISSING, s(&format!("{}@example.com", "a".repeat(4084))), Email, &format!("{}@example.com", "a".repeat(4084))),
        hash("sign-user-id-uuid", "A UUID user_id (36 bytes).", &[S1, S3], &[Functionality], web(), s("3f2504e0-4f89-11d3-9a0c-0305e82c3301"), s(ann), Uid, "3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
        hash("sign-user-id-16-bytes", "A 16-byte user_id.", &[S1], &[Functionality], web(), s("cus_9QxT4mLp2Wz8"), MISSING, Uid, "cus_9QxT4mLp2Wz8"),
        hash("sign-user-id-64-bytes", "A 64-byte user_id: the message fills a block exactly.", &[S1], &[Functionality], web(), s(&"x".repeat(64)), MISSING, Uid, &"x".repeat(64)),
        hash("sign-user-id-256-bytes", "A 256-byte user_id.", &[S1], &[Functionality], web(), s(&"y".repeat(256)), MISSING, Uid, &"y".repeat(256)),
        // --- S5: the secret ------------------------------------------------------------------------------
        error("sign-empty-secret", "An empty secret is refused: empty_secret.", &[S5], &[KeyHandling], text(""), s("5678"), MISSING, "empty_secret"),
        error("sign-empty-secret-hex", "An empty secret given as bytes is refused too.", &[S5], &[KeyHandling], Key::Raw(vec![]), MISSING, s(ann), "empty_secret"),
        hash("sign-secret-hex-looking", "A secret of hex digits is used as its ASCII bytes, never decoded.", &[S5], &[KeyHandling], text(HEXY_WEB), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-hex-decoded-contrast", "The 16 decoded bytes of that secret give a different hash (what the bug computes).", &[S5], &[KeyHandling], Key::Raw(ivconform_core::hex::decode(HEXY_WEB).expect("hex")), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-64-bytes", "A 64-byte secret: exactly one block.", &[S5, S1], &[KeyHandling], text(&"s".repeat(64)), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-65-bytes", "A 65-byte secret: hashed first (RFC 2104).", &[S5, S1], &[KeyHandling], text(&"s".repeat(65)), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-200-bytes", "A 200-byte secret: hashed first.", &[S5, S1], &[KeyHandling], text(&"s".repeat(200)), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-trailing-zero-byte", "A secret with a trailing zero byte: within a block HMAC zero-pads keys, so the hash equals the one without it.", &[S5], &[KeyHandling], Key::Raw(b"secret\0".to_vec()), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-without-trailing-zero", "The same secret without the zero byte: the same hash.", &[S5], &[KeyHandling], text("secret"), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-with-spaces", "Spaces around a secret are part of it (no trimming of the key).", &[S5], &[KeyHandling, Normalization], text("  secret  "), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-non-ascii", "A non-ASCII secret is used as its UTF-8 bytes.", &[S5], &[KeyHandling, Encoding], text("s\u{e9}cr\u{e8}t-\u{1F511}"), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-binary", "A secret of raw bytes (not text).", &[S5], &[KeyHandling], Key::Raw(vec![0xff, 0x00, 0x80, 0x7f, 0x01, 0xfe]), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-trailing-newline", "The production web secret followed by a line feed (as read from a file): the LF is part of the key, so the hash differs from the secret's without it.", &[S5], &[KeyHandling, Normalization], text(PROD_WEB_LF), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-trailing-crlf", "A secret ending in CRLF (a Windows-edited file): both bytes are part of the key, nothing is stripped.", &[S5], &[KeyHandling, Normalization], text(PROD_ANDROID_CRLF), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-trailing-carriage-return", "A secret ending in a lone CR, signing an email: the CR is part of the key.", &[S5], &[KeyHandling, Normalization], text(&format!("{PROD_WEB}\r")), MISSING, s(ann), Email, ann),
        hash("sign-secret-nul-inside", "A secret of raw bytes with a NUL in the middle: the key is all eleven bytes, not a C string that ends at the NUL.", &[S5], &[KeyHandling, Encoding], Key::Raw(b"key\0suffix".to_vec()), s("5678"), MISSING, Uid, "5678"),
        hash("sign-secret-one-byte", "A one-byte secret is allowed.", &[S5], &[KeyHandling], text("k"), s("5678"), MISSING, Uid, "5678"),
        hash("sign-key-message-swap-probe", "Secret and identifier that a swapped implementation would exchange: HMAC(key=secret, msg=identifier).", &[S1, S5], &[KeyHandling], text("user-42"), s(PROD_WEB), MISSING, Uid, PROD_WEB),
        hash("sign-api-key-is-a-different-secret", "Signing with the REST API key gives a hash the verifier must refuse (V2); the signer cannot know, it just signs.", &[S5, V2], &[WrongSecret], text(API_KEY), s("5678"), MISSING, Uid, "5678"),
    ];
    // Every platform and workspace has its own secret: the same user, six different hashes.
    for app in [PROD, TEST] {
        for platform in Platform::ALL {
            let ws = if app == PROD { "production" } else { "test" };
            v.push(hash(
                &format!("sign-{ws}-{platform}-secret"),
                &format!("The {ws} workspace's {platform} secret signs user 5678 (each platform and workspace has its own secret)."),
                &[S5, V2],
                &[WrongSecret, Functionality],
                text(secret(app, platform)),
                s("5678"),
                s(ann),
                Uid,
                "5678",
            ));
        }
    }
    v.into_iter().map(build).collect()
}
