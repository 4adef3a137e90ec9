//! proptest strategies: identifiers (every Unicode plane, whitespace, control characters, integers across
//! and past ±(2^53 − 1), long strings), valid boot payloads (documented and custom attributes, nested
//! companies, random key order) and workspace configurations.

use super::{GenJson, IdField, SignInput, VerifyInput};
use ivconform_core::config::{AppConfig, PlatformConfig};
use ivconform_core::hex::encode_lower;
use ivconform_core::identifier::MAX_SAFE_INTEGER;
use ivconform_core::mac::hmac_sha256;
use ivconform_core::payload::BootPayload;
use ivconform_core::{Config, Platform, Secret};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeMap;

/// Whitespace of every kind a trimming implementation might eat (ASCII, Latin-1, Unicode spaces, BOM).
const WHITESPACE: &[char] = &[
    ' ', '\t', '\n', '\r', '\u{0b}', '\u{0c}', '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}', '\u{2009}', '\u{200b}',
    '\u{2028}', '\u{2029}', '\u{202f}', '\u{3000}', '\u{feff}',
];

/// Characters that normalisation, case folding or escaping would change.
const TRICKY: &[char] = &[
    '\u{e9}',
    '\u{301}',
    '\u{c5}',
    '\u{212b}',
    '\u{fb01}',
    '\u{df}',
    '\u{130}',
    '\u{131}',
    '\u{3a3}',
    '&',
    '<',
    '>',
    '"',
    '\'',
    '\\',
    '/',
    '+',
    '@',
    '%',
    '\u{1f600}',
    '\u{1f469}',
    '\u{200d}',
    '\u{fe0f}',
];

/// One character from anywhere: ASCII, whitespace, C0/C1 controls, the BMP, the supplementary planes.
pub fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::char::range(' ', '~'),
        2 => select(WHITESPACE),
        2 => select(TRICKY),
        1 => prop_oneof![proptest::char::range('\0', '\u{1f}'), proptest::char::range('\u{7f}', '\u{9f}')],
        2 => prop_oneof![proptest::char::range('\u{a0}', '\u{d7ff}'), proptest::char::range('\u{e000}', '\u{fffd}')],
        // Planes 1 to 16: everything above the BMP is a valid scalar value.
        2 => (0x1_0000u32..=0x10_FFFF).prop_map(|c| char::from_u32(c).expect("no surrogates above U+FFFF")),
    ]
}

/// A non-empty identifier text: short and wild, email-like, number-like, or long (around P6's 1,024 bytes).
pub fn identifier_text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => vec(any_char(), 1..24).prop_map(|cs| cs.into_iter().collect::<String>()),
        3 => (vec(any_char(), 1..10), vec(any_char(), 1..10)).prop_map(|(l, d)| {
            format!("{}@{}.example", l.into_iter().collect::<String>(), d.into_iter().collect::<String>())
        }),
        2 => select(&["5678", " 5678", "5678 ", "0", "-0", "123.0", "1e3", "00123", "9007199254740993", "null", "true"][..])
            .prop_map(str::to_string),
        1 => (1000usize..1050, select(&['a', '\u{e9}', '\u{20ac}', '\u{1f600}'][..])).prop_map(|(bytes, c)| {
            std::iter::repeat_n(c, bytes.div_ceil(c.len_utf8())).collect()
        }),
    ]
    .prop_filter("identifiers are non-empty", |s: &String| !s.is_empty())
}

/// A JSON integer's text within ±(2^53 − 1), boundaries included.
pub fn safe_integer() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).prop_map(|n| n.to_string()),
        2 => (0i64..100_000).prop_map(|n| n.to_string()),
        1 => select(&[0, 1, -1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER][..]).prop_map(|n| n.to_string()),
    ]
}

/// A JSON integer's text anywhere: within the safe range, `-0`, or past it (P3 refuses those).
pub fn any_integer() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => safe_integer(),
        1 => Just("-0".to_string()),
        2 => select(
            &[
                "9007199254740992",
                "-9007199254740992",
                "9007199254740993",
                "9223372036854775807",
                "-9223372036854775809",
                "18446744073709551616",
                "100000000000000000000000",
            ][..]
        )
        .prop_map(str::to_string),
        1 => (MAX_SAFE_INTEGER + 1..=i64::MAX).prop_map(|n| n.to_string()),
    ]
}

/// `user_id` as a payload sends it: absent, null, "", a string or any integer.
pub fn user_id_field() -> impl Strategy<Value = IdField> {
    prop_oneof![
        2 => Just(IdField::Absent),
        1 => Just(IdField::Null),
        1 => Just(IdField::Empty),
        4 => identifier_text().prop_map(IdField::Text),
        3 => any_integer().prop_map(IdField::Int),
    ]
}

/// `user_id` for a signer: as [`user_id_field`], integers within the safe range only (`sign` carries JSON
/// integers, which cannot say `-0` or 2^53 + 1 exactly).
pub fn sign_user_id_field() -> impl Strategy<Value = IdField> {
    prop_oneof![
        2 => Just(IdField::Absent),
        1 => Just(IdField::Null),
        1 => Just(IdField::Empty),
        4 => identifier_text().prop_map(IdField::Text),
        3 => safe_integer().prop_map(IdField::Int),
    ]
}

/// `email`: absent, null, "" or a string (integers are `malformed_payload`, left to the precedence grid).
pub fn email_field() -> impl Strategy<Value = IdField> {
    prop_oneof![
        2 => Just(IdField::Absent),
        1 => Just(IdField::Null),
        1 => Just(IdField::Empty),
        4 => identifier_text().prop_map(IdField::Text),
    ]
}

/// A platform secret's raw bytes (never empty): text, binary, hex-looking, longer than a SHA-256 block.
pub fn secret() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => "[A-Za-z0-9_-]{1,48}".prop_map(String::into_bytes),
        2 => vec(any::<u8>(), 1..40),
        1 => vec(select(&b"0123456789abcdef"[..]), 32..=32),
        1 => vec(any::<u8>(), 65..160),
    ]
}

/// A signing input: any secret (empty sometimes: `empty_secret`), any presence of either identifier.
pub fn sign_input() -> impl Strategy<Value = SignInput> {
    (prop_oneof![12 => secret(), 1 => Just(Vec::new())], sign_user_id_field(), email_field())
        .prop_map(|(secret, user_id, email)| SignInput { secret, user_id, email })
}

/// A platform's settings: missing, present without a secret, or a secret with enforcement on or off.
fn platform_config() -> impl Strategy<Value = Option<PlatformConfig>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(PlatformConfig { secret: None, enforced: false, jwt_enforced: false })),
        6 => (secret(), any::<bool>())
            .prop_map(|(s, enforced)| Some(PlatformConfig { secret: Some(Secret::new(s)), enforced, jwt_enforced: false })),
    ]
}

/// One workspace: its three platforms' settings.
pub fn app_config() -> impl Strategy<Value = AppConfig> {
    (platform_config(), platform_config(), platform_config()).prop_map(|(web, ios, android)| {
        let mut platforms = BTreeMap::new();
        for (p, c) in [(Platform::Web, web), (Platform::Ios, ios), (Platform::Android, android)] {
            if let Some(c) = c {
                platforms.insert(p, c);
            }
        }
        AppConfig { label: None, api_key: None, platforms }
    })
}

/// A workspace configuration: one to three apps (production, test, another).
pub fn config() -> impl Strategy<Value = Config> {
    (vec(app_config(), 1..=3), "[a-z0-9]{1,6}").prop_map(|(apps, suffix)| {
        let names = ["ws_prod".to_string(), "ws_test".to_string(), format!("app_{suffix}")];
        Config { apps: names.into_iter().zip(apps).collect() }
    })
}

/// Any platform.
pub fn platform() -> impl Strategy<Value = Platform> {
    select(&Platform::ALL[..])
}

/// A JSON scalar for attributes.
fn scalar() -> impl Strategy<Value = GenJson> {
    prop_oneof![
        1 => Just(GenJson::Null),
        1 => any::<bool>().prop_map(GenJson::Bool),
        2 => any_integer().prop_map(GenJson::Num),
        1 => select(&["1.5", "-0.25", "1e3", "2.5E-3", "0.0", "49.99"][..]).prop_map(|n| GenJson::Num(n.into())),
        3 => vec(any_char(), 0..16).prop_map(|cs| GenJson::Str(cs.into_iter().collect())),
    ]
}

/// A custom attribute's value: a scalar, or a small array or object (two levels at most).
fn attribute_value() -> impl Strategy<Value = GenJson> {
    scalar().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(GenJson::Arr),
            vec(("[a-z_]{1,8}", inner), 0..4).prop_map(|m| GenJson::Obj(dedup(m))),
        ]
    })
}

/// Keeps the first member of each key (P2: a repeated key is malformed, and these payloads are valid).
fn dedup(members: Vec<(String, GenJson)>) -> Vec<(String, GenJson)> {
    let mut seen = std::collections::HashSet::new();
    members.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect()
}

/// Keys that look like identity fields but are ordinary custom attributes (P4, P5).
pub const LOOKALIKE_KEYS: &[&str] = &[
    "userHash",
    "user-hash",
    "android_user_hash",
    "ios_user_hash",
    "user_hash_v2",
    "userId",
    "USER_ID",
    "Email",
    "user_id ",
    "identity_verification",
    "hmac",
];

/// Custom attributes: names, look-alikes of identity keys, any values.
pub fn custom_attributes() -> impl Strategy<Value = Vec<(String, GenJson)>> {
    vec(
        (
            prop_oneof![3 => "[a-z][a-z0-9_]{0,11}", 1 => select(LOOKALIKE_KEYS).prop_map(str::to_string),
                        1 => vec(any_char(), 1..8).prop_map(|cs| cs.into_iter().collect::<String>())],
            attribute_value(),
        ),
        0..5,
    )
}

/// A company object as the messenger documents it, sometimes carrying identity-looking keys of its own.
fn company() -> impl Strategy<Value = GenJson> {
    (
        "[a-z0-9]{1,8}",
        vec(any_char(), 1..12),
        0i64..2_000_000_000,
        select(&["free", "pro", "enterprise"][..]),
        any::<bool>(),
        identifier_text(),
    )
        .prop_map(|(id, name, created, plan, with_identity, other)| {
            let mut m = vec![
                ("company_id".to_string(), GenJson::Str(id)),
                ("name".to_string(), GenJson::Str(name.into_iter().collect())),
                ("created_at".to_string(), GenJson::Num(created.to_string())),
                ("plan".to_string(), GenJson::Str(plan.to_string())),
                ("monthly_spend".to_string(), GenJson::Num("49.5".into())),
            ];
            if with_identity {
                m.push(("user_id".to_string(), GenJson::Str(other.clone())));
                m.push(("email".to_string(), GenJson::Str(other)));
                m.push(("user_hash".to_string(), GenJson::Str("0".repeat(64))));
            }
            GenJson::Obj(m)
        })
}

/// Documented attributes (name, created_at, company or companies, launcher flags, avatar, ...).
pub fn documented_attributes() -> impl Strategy<Value = Vec<(String, GenJson)>> {
    (
        proptest::option::of(vec(any_char(), 0..20)),
        proptest::option::of(0i64..2_000_000_000),
        proptest::option::of(company()),
        proptest::option::of(vec(company(), 0..3)),
        proptest::option::of(any::<bool>()),
        proptest::option::of(select(&["en", "fr", "pt-BR", "zh-TW"][..])),
    )
        .prop_map(|(name, created, company, companies, hide, language)| {
            let mut m = Vec::new();
            if let Some(n) = name {
                m.push(("name".to_string(), GenJson::Str(n.into_iter().collect())));
            }
            if let Some(c) = created {
                m.push(("created_at".to_string(), GenJson::Num(c.to_string())));
            }
            if let Some(c) = company {
                m.push(("company".to_string(), c));
            }
            if let Some(cs) = companies {
                m.push(("companies".to_string(), GenJson::Arr(cs)));
            }
            if let Some(h) = hide {
                m.push(("hide_default_launcher".to_string(), GenJson::Bool(h)));
            }
            if let Some(l) = language {
                m.push(("language_override".to_string(), GenJson::Str(l.to_string())));
                m.push((
                    "avatar".to_string(),
                    GenJson::Obj(vec![
                        ("type".to_string(), GenJson::Str("avatar".into())),
                        ("image_url".to_string(), GenJson::Str("https://example.com/a.png".into())),
                    ]),
                ));
            }
            m
        })
}

/// What the payload's `user_hash` is.
#[derive(Debug, Clone, PartialEq)]
pub enum HashChoice {
    /// Not sent.
    Absent,
    /// The right hash of the identifier S2 selects (of "" when none is).
    Right,
    /// The right hash in uppercase (V6 accepts it).
    Upper,
    /// The hash under another platform's secret of the same app.
    OtherPlatform,
    /// The hash under the same platform's secret of another app.
    OtherApp,
    /// The hash of the identifier S2 does not select (email instead of user_id, or the reverse).
    OtherIdentifier,
    /// 32 random bytes in hex.
    Random([u8; 32]),
    /// The right hash in a wrong form: cut, extended, prefixed, padded, base64-looking, or empty.
    Form(u8),
}

/// Any [`HashChoice`].
pub fn hash_choice() -> impl Strategy<Value = HashChoice> {
    prop_oneof![
        2 => Just(HashChoice::Absent),
        4 => Just(HashChoice::Right),
        1 => Just(HashChoice::Upper),
        1 => Just(HashChoice::OtherPlatform),
        1 => Just(HashChoice::OtherApp),
        1 => Just(HashChoice::OtherIdentifier),
        1 => any::<[u8; 32]>().prop_map(HashChoice::Random),
        1 => (0u8..6).prop_map(HashChoice::Form),
    ]
}

/// The secret a hash is made with for (app, platform); a fixed stand-in when none is configured.
fn secret_of(config: &Config, app: &str, platform: Platform) -> Vec<u8> {
    config
        .apps
        .get(app)
        .and_then(|a| a.platform(platform).secret)
        .map_or_else(|| b"no secret configured".to_vec(), |s| s.expose().to_vec())
}

fn mac_hex(secret: &[u8], text: &str) -> String {
    encode_lower(&hmac_sha256(secret, text.as_bytes()))
}

/// The `user_hash` text for a choice.
pub fn hash_text(
    choice: &HashChoice,
    config: &Config,
    app: &str,
    platform: Platform,
    user_id: &IdField,
    email: &IdField,
) -> Option<String> {
    let selected = super::selected_text(user_id, email).unwrap_or_default();
    let right = mac_hex(&secret_of(config, app, platform), &selected);
    Some(match choice {
        HashChoice::Absent => return None,
        HashChoice::Right => right,
        HashChoice::Upper => right.to_uppercase(),
        HashChoice::OtherPlatform => {
            let other = Platform::ALL.into_iter().find(|p| *p != platform).expect("three platforms");
            mac_hex(&secret_of(config, app, other), &selected)
        }
        HashChoice::OtherApp => {
            let other = config.apps.keys().find(|a| *a != app).map_or("none", String::as_str);
            mac_hex(&secret_of(config, other, platform), &selected)
        }
        HashChoice::OtherIdentifier => {
            let other = if super::selected_text(user_id, &IdField::Absent).is_some() { email } else { user_id };
            mac_hex(&secret_of(config, app, platform), &other.text())
        }
        HashChoice::Random(bytes) => encode_lower(bytes),
        HashChoice::Form(kind) => match kind {
            0 => right[..63].to_string(),
            1 => format!("{right}0"),
            2 => format!("sha256={right}"),
            3 => format!(" {right}"),
            4 => right.replace(|c: char| c.is_ascii_digit(), "+"),
            _ => String::new(),
        },
    })
}

/// Fisher-Yates with a small deterministic generator: the key order a seed picks.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
    for i in (1..items.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        items.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

/// Reorders every object's members, at every depth, by `seed`.
pub fn shuffle_deep(members: &mut [(String, GenJson)], seed: u64) {
    shuffle(members, seed);
    for (i, (_, v)) in members.iter_mut().enumerate() {
        shuffle_json(v, seed.wrapping_add(i as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
    }
}

fn shuffle_json(v: &mut GenJson, seed: u64) {
    match v {
        GenJson::Obj(m) => shuffle_deep(m, seed),
        GenJson::Arr(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                shuffle_json(item, seed.wrapping_add(i as u64 + 7));
            }
        }
        _ => {}
    }
}

/// The parts a verifying input is built from (kept apart so proptest shrinks each on its own).
#[derive(Debug, Clone)]
pub struct VerifyParts {
    /// The workspaces.
    pub config: Config,
    /// The request's platform.
    pub platform: Platform,
    /// Which app the payload names (an index into the configured ones), or an unknown one.
    pub app: (bool, usize),
    /// `user_id` as sent.
    pub user_id: IdField,
    /// `email` as sent.
    pub email: IdField,
    /// What `user_hash` is.
    pub hash: HashChoice,
    /// Documented attributes.
    pub documented: Vec<(String, GenJson)>,
    /// Custom attributes.
    pub custom: Vec<(String, GenJson)>,
    /// The key order.
    pub order: u64,
}

/// Builds the payload from its parts: never two problems at once (a malformed payload names a known app),
/// no repeated key, identity look-alike keys carrying the right hash (the bait a lax parser takes).
pub fn build(parts: &VerifyParts) -> VerifyInput {
    let names: Vec<&String> = parts.config.apps.keys().collect();
    let known = names[parts.app.1 % names.len()].clone();
    let mut app = if parts.app.0 { "ws_unknown".to_string() } else { known.clone() };
    let members = loop {
        let hash = hash_text(&parts.hash, &parts.config, &app, parts.platform, &parts.user_id, &parts.email);
        let mut m = vec![("app_id".to_string(), GenJson::Str(app.clone()))];
        m.extend(parts.user_id.json().map(|v| ("user_id".to_string(), v)));
        m.extend(parts.email.json().map(|v| ("email".to_string(), v)));
        m.extend(hash.map(|h| ("user_hash".to_string(), GenJson::Str(h))));
        let bait = hash_text(&HashChoice::Right, &parts.config, &known, parts.platform, &parts.user_id, &parts.email);
        m.extend(parts.documented.iter().cloned());
        for (k, v) in &parts.custom {
            let v = if LOOKALIKE_KEYS.contains(&k.as_str()) {
                GenJson::Str(bait.clone().unwrap_or_default())
            } else {
                v.clone()
            };
            m.push((k.clone(), v));
        }
        let mut m = dedup(m);
        shuffle_deep(&mut m, parts.order);
        let input = VerifyInput { config: parts.config.clone(), platform: parts.platform, members: m };
        if app != known && BootPayload::parse(&input.payload()).is_err() {
            app = known.clone();
            continue;
        }
        break input.members;
    };
    VerifyInput { config: parts.config.clone(), platform: parts.platform, members }
}

/// The parts of any verifying input.
pub fn verify_parts() -> impl Strategy<Value = VerifyParts> {
    (
        config(),
        platform(),
        (prop::bool::weighted(0.08), any::<usize>()),
        user_id_field(),
        email_field(),
        hash_choice(),
        documented_attributes(),
        custom_attributes(),
        any::<u64>(),
    )
        .prop_map(|(config, platform, app, user_id, email, hash, documented, custom, order)| VerifyParts {
            config,
            platform,
            app,
            user_id,
            email,
            hash,
            documented,
            custom,
            order,
        })
}

/// Any verifying input.
pub fn verify_input() -> impl Strategy<Value = VerifyInput> {
    verify_parts().prop_map(|p| build(&p))
}
