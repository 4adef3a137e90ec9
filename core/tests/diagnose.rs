//! The diagnosis (D1) on a table of cases: each cause at least twice, the hash built by a plain
//! `hmac::Hmac<Sha256>` (not ivconform's code), the expected finding written by hand.

use hmac::{Hmac, Mac};
use ivconform_core::diagnose::{diagnose, Diagnosis, Mistake};
use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::{Config, Platform};
use sha2::Sha256;

const CONFIG: &str = r#"
[apps.ws_prod]
api_key = "dG9rOnByb2QtYXBpLWtleQ=="
web = { secret = "prod-web-secret-0001", enforced = true }
ios = { secret = "prod-ios-secret-0002", enforced = true }
android = { secret = "prod-android-secret-0003" }
[apps.ws_test]
web = { secret = "test-web-secret-0004", enforced = true }
ios = { secret = "test-ios-secret-0005" }
"#;

fn mac(key: &str, msg: &str) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    m.update(msg.as_bytes());
    m.finalize().into_bytes().into()
}

fn hex(tag: [u8; 32]) -> String {
    tag.iter().map(|b| format!("{b:02x}")).collect()
}

fn b64(tag: [u8; 32]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in tag.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}

fn ids(user_id: Option<UserId>, email: Option<&str>) -> Identifiers {
    Identifiers { user_id, email: email.map(str::to_string) }
}

fn text(s: &str) -> Option<UserId> {
    Some(UserId::Text(s.into()))
}

struct Row {
    id: &'static str,
    platform: Platform,
    sent: Identifiers,
    hash: String,
    previous: Vec<String>,
    expect: Expect,
}

enum Expect {
    Valid,
    Mistakes(Vec<Mistake>),
    CannotCheck,
    Unexplained,
}

fn row(id: &'static str, platform: Platform, sent: Identifiers, hash: String, expect: Expect) -> Row {
    Row { id, platform, sent, hash, previous: vec![], expect }
}

fn rows() -> Vec<Row> {
    use Expect::*;
    use Mistake::*;
    use Platform::*;
    let w = "prod-web-secret-0001";
    let ios = "prod-ios-secret-0002";
    let api = "dG9rOnByb2QtYXBpLWtleQ==";
    vec![
        row("valid-user-id", Web, ids(text("5678"), Some("ann@example.com")), hex(mac(w, "5678")), Valid),
        row(
            "valid-uppercase",
            Web,
            ids(None, Some("ann@example.com")),
            hex(mac(w, "ann@example.com")).to_uppercase(),
            Valid,
        ),
        row(
            "ios-secret-on-web",
            Web,
            ids(text("5678"), None),
            hex(mac(ios, "5678")),
            Mistakes(vec![OtherPlatformSecret { used: Ios }]),
        ),
        row(
            "web-secret-on-android",
            Android,
            ids(None, Some("bo@example.com")),
            hex(mac(w, "bo@example.com")),
            Mistakes(vec![OtherPlatformSecret { used: Web }]),
        ),
        row(
            "test-workspace-secret",
            Web,
            ids(text("5678"), None),
            hex(mac("test-web-secret-0004", "5678")),
            Mistakes(vec![OtherWorkspaceSecret { app: "ws_test".into(), platform: Web }]),
        ),
        row(
            "test-ios-secret-on-prod-ios",
            Ios,
            ids(text("u-9"), None),
            hex(mac("test-ios-secret-0005", "u-9")),
            Mistakes(vec![OtherWorkspaceSecret { app: "ws_test".into(), platform: Ios }]),
        ),
        row(
            "api-key",
            Web,
            ids(text("5678"), None),
            hex(mac(api, "5678")),
            Mistakes(vec![ApiKey { app: "ws_prod".into() }]),
        ),
        row(
            "api-key-email",
            Ios,
            ids(None, Some("cy@example.com")),
            hex(mac(api, "cy@example.com")),
            Mistakes(vec![ApiKey { app: "ws_prod".into() }]),
        ),
        row(
            "email-hashed",
            Web,
            ids(text("5678"), Some("ann@example.com")),
            hex(mac(w, "ann@example.com")),
            Mistakes(vec![EmailHashed]),
        ),
        row(
            "email-hashed-integer-id",
            Web,
            ids(UserId::integer(0), Some("zero@example.com")),
            hex(mac(w, "zero@example.com")),
            Mistakes(vec![EmailHashed]),
        ),
        row("trimmed", Web, ids(text(" 5678 "), None), hex(mac(w, "5678")), Mistakes(vec![Trimmed])),
        row(
            "trimmed-email",
            Web,
            ids(None, Some("ann@example.com\n")),
            hex(mac(w, "ann@example.com")),
            Mistakes(vec![Trimmed]),
        ),
        row(
            "lower-cased",
            Web,
            ids(None, Some("Ann@Example.COM")),
            hex(mac(w, "ann@example.com")),
            Mistakes(vec![LowerCased]),
        ),
        row("lower-cased-id", Web, ids(text("ABC-9"), None), hex(mac(w, "abc-9")), Mistakes(vec![LowerCased])),
        row(
            "nfc",
            Web,
            ids(text("jose\u{301}"), None),
            hex(mac(w, "jos\u{e9}")),
            Mistakes(vec![Normalised { form: "NFC" }]),
        ),
        row(
            "nfd",
            Web,
            ids(text("zo\u{eb}"), None),
            hex(mac(w, "zoe\u{308}")),
            Mistakes(vec![Normalised { form: "NFD" }]),
        ),
        row("html-escaped", Web, ids(text("O'Brien"), None), hex(mac(w, "O&#39;Brien")), Mistakes(vec![HtmlEscaped])),
        row(
            "html-escaped-email",
            Web,
            ids(None, Some("a&b@example.com")),
            hex(mac(w, "a&amp;b@example.com")),
            Mistakes(vec![HtmlEscaped]),
        ),
        row("swapped", Web, ids(text("5678"), None), hex(mac("5678", w)), Mistakes(vec![Swapped])),
        row(
            "swapped-email",
            Ios,
            ids(None, Some("ann@example.com")),
            hex(mac("ann@example.com", ios)),
            Mistakes(vec![Swapped]),
        ),
        row("base64", Web, ids(text("5678"), None), b64(mac(w, "5678")), Mistakes(vec![Base64])),
        row(
            "base64-url",
            Web,
            ids(None, Some("ann@example.com")),
            b64(mac(w, "ann@example.com")).trim_end_matches('=').replace('+', "-").replace('/', "_"),
            Mistakes(vec![Base64]),
        ),
        row("empty-string", Web, ids(text("5678"), None), hex(mac(w, "")), Mistakes(vec![EmptyIdentifier])),
        row(
            "empty-string-ios",
            Ios,
            ids(None, Some("ann@example.com")),
            hex(mac(ios, "")),
            Mistakes(vec![EmptyIdentifier]),
        ),
        Row {
            id: "stale",
            platform: Web,
            sent: ids(text("5679"), None),
            hash: hex(mac(w, "5678")),
            previous: vec!["5678".into()],
            expect: Mistakes(vec![StaleIdentifier { previous: "5678".into() }]),
        },
        Row {
            id: "stale-email",
            platform: Web,
            sent: ids(None, Some("new@example.com")),
            hash: hex(mac(w, "old@example.com")),
            previous: vec!["x@example.com".into(), "old@example.com".into()],
            expect: Mistakes(vec![StaleIdentifier { previous: "old@example.com".into() }]),
        },
        row(
            "float-rendering",
            Web,
            ids(UserId::integer(123), None),
            hex(mac(w, "123.0")),
            Mistakes(vec![IntegerAsFloat]),
        ),
        row(
            "float-rendering-negative",
            Web,
            ids(UserId::integer(-7), None),
            hex(mac(w, "-7.0")),
            Mistakes(vec![IntegerAsFloat]),
        ),
        row(
            "prefixed",
            Web,
            ids(text("5678"), None),
            format!("sha256={}", hex(mac(w, "5678"))),
            Mistakes(vec![Wrapped { what: "a 'sha256=' prefix" }]),
        ),
        row(
            "newline",
            Web,
            ids(text("5678"), None),
            format!("{}\n", hex(mac(w, "5678"))),
            Mistakes(vec![Wrapped { what: "whitespace" }]),
        ),
        row(
            "two-mistakes",
            Web,
            ids(text("5678"), Some("ann@example.com")),
            hex(mac(ios, "ann@example.com")),
            Mistakes(vec![OtherPlatformSecret { used: Ios }, EmailHashed]),
        ),
        row(
            "two-mistakes-swapped-test",
            Web,
            ids(text("5678"), None),
            hex(mac("5678", "test-web-secret-0004")),
            Mistakes(vec![OtherWorkspaceSecret { app: "ws_test".into(), platform: Web }, Swapped]),
        ),
        row("no-identifier", Web, ids(None, Some("")), hex(mac(w, "")), CannotCheck),
        row("unknown-form", Web, ids(text("5678"), None), "not-a-hash".into(), CannotCheck),
        row("unexplained", Web, ids(text("5678"), None), hex(mac("some-other-secret", "5678")), Unexplained),
        row(
            "unexplained-regenerated",
            Ios,
            ids(text("5678"), None),
            hex(mac("prod-ios-secret-OLD", "5678")),
            Unexplained,
        ),
    ]
}

#[test]
fn every_row_gets_its_finding() {
    let config = Config::from_toml_str(CONFIG).unwrap();
    for r in rows() {
        let d = diagnose(&config, "ws_prod", r.platform, &r.sent, &r.hash, &r.previous);
        match (&r.expect, &d) {
            (Expect::Valid, Diagnosis::Valid { .. }) => {}
            (Expect::Mistakes(want), Diagnosis::Explained { mistakes, .. }) => {
                assert_eq!(mistakes, want, "{}: {d:?}", r.id)
            }
            (Expect::CannotCheck, Diagnosis::CannotCheck { .. }) => {}
            // 6 keys (3 production secrets, the API key, 2 test secrets) x 2 messages ("5678" and the
            // empty string) x 2 orders (key/message and swapped) x 1 encoding.
            (Expect::Unexplained, Diagnosis::Unexplained { tried, .. }) => assert_eq!(*tried, 24, "{}: {d:?}", r.id),
            _ => panic!("{}: unexpected diagnosis {d:?}", r.id),
        }
        // Never a secret in what a person reads.
        let shown = format!("{d} {d:?}");
        for secret in
            ["prod-web-secret-0001", "prod-ios-secret-0002", "test-web-secret-0004", "dG9rOnByb2QtYXBpLWtleQ=="]
        {
            assert!(!shown.contains(secret), "{}: the diagnosis shows a secret: {shown}", r.id);
        }
    }
}

#[test]
fn every_cause_appears_at_least_twice() {
    let mut counts = std::collections::BTreeMap::new();
    for r in rows() {
        if let Expect::Mistakes(ms) = r.expect {
            for m in ms {
                let name = format!("{m:?}");
                *counts.entry(name.split([' ', '{']).next().unwrap().to_string()).or_insert(0) += 1;
            }
        }
    }
    let causes = [
        "OtherPlatformSecret",
        "OtherWorkspaceSecret",
        "ApiKey",
        "EmailHashed",
        "Trimmed",
        "LowerCased",
        "Normalised",
        "HtmlEscaped",
        "Swapped",
        "Base64",
        "EmptyIdentifier",
        "StaleIdentifier",
        "IntegerAsFloat",
        "Wrapped",
    ];
    for cause in causes {
        assert!(counts.get(cause).copied().unwrap_or(0) >= 2, "{cause} appears {:?} times", counts.get(cause));
    }
}

#[test]
fn unknown_app_cannot_be_checked() {
    let config = Config::from_toml_str(CONFIG).unwrap();
    let d = diagnose(&config, "ws_nope", Platform::Web, &ids(text("1"), None), &hex(mac("x", "1")), &[]);
    assert!(matches!(&d, Diagnosis::CannotCheck { reason } if reason.contains("ws_nope")), "{d:?}");
}

// ---- JWT mode: tokens built here with hmac + a local base64url, the finding written by hand ----------------

fn b64url_any(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn jwt(header: &str, claims: &str, key: &str) -> String {
    let input = format!("{}.{}", b64url_any(header.as_bytes()), b64url_any(claims.as_bytes()));
    format!("{input}.{}", b64url_any(&mac(key, &input)))
}

const HS: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
const NOW: i64 = 1_800_000_000;

#[derive(Debug)]
enum JwtExpect {
    Valid,
    Signed(Mistake),
    Refused(&'static str),
}

#[test]
fn jwt_rows_get_their_finding() {
    use ivconform_core::diagnose::{diagnose_jwt, JwtDiagnosis};
    use JwtExpect::*;
    use Mistake::*;
    use Platform::*;
    let config = Config::from_toml_str(CONFIG).unwrap();
    let w = "prod-web-secret-0001";
    let uid = r#"{"user_id":"5678"}"#;
    let rows: Vec<(&str, Platform, String, Identifiers, JwtExpect)> = vec![
        ("jwt-valid", Web, jwt(HS, uid, w), ids(text("5678"), None), Valid),
        ("jwt-valid-ios", Ios, jwt(HS, uid, "prod-ios-secret-0002"), ids(None, None), Valid),
        (
            "jwt-ios-secret-on-web",
            Web,
            jwt(HS, uid, "prod-ios-secret-0002"),
            ids(None, None),
            Signed(OtherPlatformSecret { used: Ios }),
        ),
        (
            "jwt-android-secret-on-web",
            Web,
            jwt(HS, uid, "prod-android-secret-0003"),
            ids(None, None),
            Signed(OtherPlatformSecret { used: Android }),
        ),
        (
            "jwt-test-secret",
            Web,
            jwt(HS, uid, "test-web-secret-0004"),
            ids(None, None),
            Signed(OtherWorkspaceSecret { app: "ws_test".into(), platform: Web }),
        ),
        (
            "jwt-test-ios-secret",
            Ios,
            jwt(HS, uid, "test-ios-secret-0005"),
            ids(None, None),
            Signed(OtherWorkspaceSecret { app: "ws_test".into(), platform: Ios }),
        ),
        (
            "jwt-api-key",
            Web,
            jwt(HS, uid, "dG9rOnByb2QtYXBpLWtleQ=="),
            ids(None, None),
            Signed(ApiKey { app: "ws_prod".into() }),
        ),
        (
            "jwt-api-key-ios",
            Ios,
            jwt(HS, uid, "dG9rOnByb2QtYXBpLWtleQ=="),
            ids(None, None),
            Signed(ApiKey { app: "ws_prod".into() }),
        ),
        (
            "jwt-alg-none",
            Web,
            format!("{}.{}.", b64url_any(br#"{"alg":"none"}"#), b64url_any(uid.as_bytes())),
            ids(None, None),
            Refused("alg is none"),
        ),
        ("jwt-alg-rs256", Web, jwt(r#"{"alg":"RS256"}"#, uid, w), ids(None, None), Refused("only \"HS256\"")),
        (
            "jwt-expired",
            Web,
            jwt(HS, r#"{"user_id":"5678","exp":1799999000}"#, w),
            ids(None, None),
            Refused("by 940 s"),
        ),
        (
            "jwt-expired-edge",
            Web,
            jwt(HS, r#"{"user_id":"5678","exp":1799999940}"#, w),
            ids(None, None),
            Refused("by 0 s"),
        ),
        // nbf (J2): 1,800,000,100 is 100 s ahead of now, 40 s beyond the 60 s leeway; the fix names the clock.
        (
            "jwt-not-yet-valid",
            Web,
            jwt(HS, r#"{"user_id":"5678","nbf":1800000100}"#, w),
            ids(None, None),
            Refused("by 40 s beyond the 60 s leeway"),
        ),
        (
            "jwt-nbf-string",
            Web,
            jwt(HS, r#"{"user_id":"5678","nbf":"soon"}"#, w),
            ids(None, None),
            Refused("send nbf as an integer"),
        ),
        ("jwt-nbf-in-leeway", Web, jwt(HS, r#"{"user_id":"5678","nbf":1800000060}"#, w), ids(None, None), Valid),
        ("jwt-mismatch-user-id", Web, jwt(HS, uid, w), ids(text("5679"), None), Refused("clear-text user_id")),
        ("jwt-mismatch-email", Web, jwt(HS, uid, w), ids(None, Some("ann@example.com")), Refused("clear-text email")),
        ("jwt-padded", Web, format!("{}=", jwt(HS, uid, w)), ids(None, None), Refused("unpadded base64url")),
        (
            "jwt-two-segments",
            Web,
            jwt(HS, uid, w).rsplit_once('.').unwrap().0.to_string(),
            ids(None, None),
            Refused("3 dot-separated"),
        ),
        (
            "jwt-unknown-key",
            Web,
            jwt(HS, uid, "prod-web-secret-OLD"),
            ids(None, None),
            Refused("signature is not HMAC"),
        ),
    ];
    for (id, platform, token, clear, want) in rows {
        let d = diagnose_jwt(&config, "ws_prod", platform, &token, Some(NOW), &clear);
        let text = d.explain(platform, "ws_prod");
        match (&want, &d) {
            (Valid, JwtDiagnosis::Valid { .. }) => {}
            (Signed(m), JwtDiagnosis::SignedWith { mistake, .. }) => assert_eq!(mistake, m, "{id}: {text}"),
            (Refused(needle), JwtDiagnosis::Refused(_)) => assert!(text.contains(needle), "{id}: {text}"),
            _ => panic!("{id}: expected {want:?}, got {d:?} ({text})"),
        }
        let shown = format!("{text} {d:?}");
        for secret in
            ["prod-web-secret-0001", "prod-ios-secret-0002", "test-web-secret-0004", "dG9rOnByb2QtYXBpLWtleQ=="]
        {
            assert!(!shown.contains(secret), "{id}: the diagnosis shows a secret: {shown}");
        }
    }
}
