//! The workspace configurations verifier cases run under, and the secrets the definitions sign with.

use ivconform_core::config::{AppDoc, ConfigDoc, PlatformDoc};
use std::collections::BTreeMap;

/// The production workspace's app id.
pub const PROD: &str = "ws_prod";
/// The [TEST] workspace's app id.
pub const TEST: &str = "ws_test";
/// A workspace whose web secret looks like hex (it is used as its ASCII bytes, S5).
pub const HEXY: &str = "ws_hexy";

/// Production web secret.
pub const PROD_WEB: &str = "Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr";
/// Production iOS secret.
pub const PROD_IOS: &str = "iOS-9dF3kL1mN7pQ2rS5tU8vW0xY4zA6bC";
/// Production Android secret.
pub const PROD_ANDROID: &str = "andr-Hq4Zt8Yp2Lk6Mn0Bv3Cx7Rw1Ej5Gs9";
/// Test-workspace web secret.
pub const TEST_WEB: &str = "test-Wb2Nc8Md4Pf6Qg0Rh3Sj7Tk1Ul5Vm9";
/// Test-workspace iOS secret.
pub const TEST_IOS: &str = "test-iOS-Xa1Yb2Zc3Ad4Be5Cf6Dg7Eh8";
/// Test-workspace Android secret.
pub const TEST_ANDROID: &str = "test-andr-Fi9Gj8Hk7Il6Jm5Kn4Lo3Mp2";
/// A hex-looking web secret (32 hex digits, used as 32 ASCII bytes, never decoded to 16 bytes).
pub const HEXY_WEB: &str = "8f14e45fceea167a5a36dedd4bea2543";
/// Production web secret with a trailing line feed, as a secret read from a file keeps it (S5: part of the key).
pub const PROD_WEB_LF: &str = "Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr\n";
/// Production iOS secret with a trailing space (S5: part of the key).
pub const PROD_IOS_SPACE: &str = "iOS-9dF3kL1mN7pQ2rS5tU8vW0xY4zA6bC ";
/// Production Android secret with a trailing CRLF, as a Windows-edited file keeps it (S5: part of the key).
pub const PROD_ANDROID_CRLF: &str = "andr-Hq4Zt8Yp2Lk6Mn0Bv3Cx7Rw1Ej5Gs9\r\n";
/// A web secret of raw bytes that are not UTF-8 text (given as `secret_hex`).
pub const BINARY_WEB: [u8; 6] = [0xff, 0x00, 0x80, 0x7f, 0x01, 0xfe];
/// A non-ASCII iOS secret, used as its UTF-8 bytes (S5).
pub const NON_ASCII_IOS: &str = "s\u{e9}cr\u{e8}t-\u{1F511}";
/// The workspace's REST API key: not an identity-verification secret (V2).
pub const API_KEY: &str = "dG9rOjNmYTY1ZmI0XzE4NmJfNDJlN185ZjQ2XzY2YzQ0ZTdjOGE5ZDoxOjA=";

/// The secret of (workspace, platform) in the standard configuration.
pub fn secret(app: &str, platform: ivconform_core::Platform) -> &'static str {
    use ivconform_core::Platform::*;
    match (app, platform) {
        (PROD, Web) => PROD_WEB,
        (PROD, Ios) => PROD_IOS,
        (PROD, Android) => PROD_ANDROID,
        (TEST, Web) => TEST_WEB,
        (TEST, Ios) => TEST_IOS,
        (TEST, Android) => TEST_ANDROID,
        (HEXY, Web) => HEXY_WEB,
        _ => panic!("no standard secret for {app}/{platform}"),
    }
}

fn p(secret: &str, enforced: bool) -> Option<PlatformDoc> {
    Some(PlatformDoc { secret: Some(secret.into()), secret_hex: None, enforced, jwt_enforced: false })
}

/// A platform with both switches given: HMAC enforcement and JWT enforcement (J4).
fn pj(secret: &str, enforced: bool, jwt_enforced: bool) -> Option<PlatformDoc> {
    Some(PlatformDoc { secret: Some(secret.into()), secret_hex: None, enforced, jwt_enforced })
}

fn app(label: &str, web: Option<PlatformDoc>, ios: Option<PlatformDoc>, android: Option<PlatformDoc>) -> AppDoc {
    AppDoc { label: Some(label.into()), api_key: None, web, ios, android }
}

/// Every named configuration.
///
/// * `standard`: production enforces web and iOS, not Android; test enforces web and Android, not iOS.
/// * `unenforced`: the same secrets, nothing enforced anywhere.
/// * `ios_only_enforced`: the same secrets, only production iOS enforced (V8: one switch, one platform).
/// * `partial`: production web enforced with its secret; production Android configured without a secret.
/// * `hexy`: one workspace whose web secret looks like hex.
/// * `padded_secrets`: production only, each secret ending in whitespace that is part of it (S5): web
///   `PROD_WEB` + LF (enforced), iOS `PROD_IOS` + space (enforced), Android `PROD_ANDROID` + CRLF (not enforced).
/// * `binary_secret`: production only, web secret of raw non-UTF-8 bytes (enforced), iOS a non-ASCII text
///   secret (enforced); no Android.
/// * `jwt_enforced`: the standard secrets; production enforces JWT mode on web (and HMAC mode) and on iOS (JWT
///   mode only), not on Android; the test workspace enforces JWT mode on web only.
pub fn all() -> BTreeMap<String, ConfigDoc> {
    let standard = ConfigDoc {
        apps: BTreeMap::from([
            (PROD.into(), app("production", p(PROD_WEB, true), p(PROD_IOS, true), p(PROD_ANDROID, false))),
            (TEST.into(), app("test", p(TEST_WEB, true), p(TEST_IOS, false), p(TEST_ANDROID, true))),
        ]),
    };
    let unenforced = ConfigDoc {
        apps: BTreeMap::from([
            (PROD.into(), app("production", p(PROD_WEB, false), p(PROD_IOS, false), p(PROD_ANDROID, false))),
            (TEST.into(), app("test", p(TEST_WEB, false), p(TEST_IOS, false), p(TEST_ANDROID, false))),
        ]),
    };
    let ios_only = ConfigDoc {
        apps: BTreeMap::from([
            (PROD.into(), app("production", p(PROD_WEB, false), p(PROD_IOS, true), p(PROD_ANDROID, false))),
            (TEST.into(), app("test", p(TEST_WEB, false), p(TEST_IOS, false), p(TEST_ANDROID, false))),
        ]),
    };
    let partial = ConfigDoc {
        apps: BTreeMap::from([(
            PROD.into(),
            app(
                "production",
                p(PROD_WEB, true),
                None,
                Some(PlatformDoc { secret: None, secret_hex: None, enforced: false, jwt_enforced: false }),
            ),
        )]),
    };
    let jwt_enforced = ConfigDoc {
        apps: BTreeMap::from([
            (
                PROD.into(),
                app("production", pj(PROD_WEB, true, true), pj(PROD_IOS, false, true), pj(PROD_ANDROID, false, false)),
            ),
            (
                TEST.into(),
                app("test", pj(TEST_WEB, true, true), pj(TEST_IOS, false, false), pj(TEST_ANDROID, true, false)),
            ),
        ]),
    };
    let padded_secrets = ConfigDoc {
        apps: BTreeMap::from([(
            PROD.into(),
            app("production", p(PROD_WEB_LF, true), p(PROD_IOS_SPACE, true), p(PROD_ANDROID_CRLF, false)),
        )]),
    };
    let binary_secret = ConfigDoc {
        apps: BTreeMap::from([(
            PROD.into(),
            app(
                "production",
                Some(PlatformDoc {
                    secret: None,
                    secret_hex: Some(ivconform_core::hex::encode_lower(&BINARY_WEB)),
                    enforced: true,
                    jwt_enforced: false,
                }),
                p(NON_ASCII_IOS, true),
                None,
            ),
        )]),
    };
    let hexy = ConfigDoc { apps: BTreeMap::from([(HEXY.into(), app("production", p(HEXY_WEB, true), None, None))]) };
    BTreeMap::from([
        ("standard".into(), standard),
        ("unenforced".into(), unenforced),
        ("ios_only_enforced".into(), ios_only),
        ("partial".into(), partial),
        ("hexy".into(), hexy),
        ("jwt_enforced".into(), jwt_enforced),
        ("padded_secrets".into(), padded_secrets),
        ("binary_secret".into(), binary_secret),
    ])
}
