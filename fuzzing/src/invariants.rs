//! Properties that must hold for *every* input, asserted by the fuzz targets (`fuzz/`) and replayed by
//! ordinary tests on stable Rust. Each function panics, with a message naming the property, on a violation.
//!
//! The functions take plain values (bytes, a [`Config`], [`Identifiers`]); turning fuzzer bytes into those
//! values is [`crate::input`]'s job. Expectations are computed independently of the code under test wherever
//! that is cheap: HMAC with the `hmac` and `sha2` crates directly (never through [`ivconform_core::mac`]), S2's
//! selection and V1–V6's table re-derived from the rule book, and serde_json as a second JSON parser.

use hmac::{Hmac, Mac};
use ivconform_core::config::{AppConfig, Config, PlatformConfig, Secret};
use ivconform_core::decision::{Decision, Identity, Outcome, RejectReason};
use ivconform_core::identifier::{Identifiers, Source, UserId};
use ivconform_core::json::{self, Limits, Value};
use ivconform_core::payload::BootPayload;
use ivconform_core::platform::Platform;
use ivconform_core::rules::Rule;
use ivconform_core::sign::{user_hash, SignError, Signer};
use ivconform_core::verify::{verify, verify_parsed};
use sha2::Sha256;

mod jwt;
pub use jwt::jwt_properties;

// ---- independent helpers ---------------------------------------------------------------------------------

/// HMAC-SHA256 straight from RustCrypto, the independent side of every MAC comparison here.
fn reference_tag(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn reference_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes.iter().flat_map(|b| [DIGITS[usize::from(b >> 4)] as char, DIGITS[usize::from(b & 15)] as char]).collect()
}

/// V6's hash form, decoded without `ivconform_core::hex`: exactly 64 ASCII hex digits in either case.
fn reference_decode_tag(text: &str) -> Option<[u8; 32]> {
    let b = text.as_bytes();
    // `from_str_radix` alone would also take a leading '+', so check the alphabet first.
    if b.len() != 64 || !b.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        *o = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// S2 with P3's presence rule, re-derived from the rule book: `user_id` when a non-empty string or any
/// integer (canonical decimal, S4), else a non-empty `email`, else nothing.
fn reference_selection(ids: &Identifiers) -> Option<(Source, String)> {
    match &ids.user_id {
        Some(UserId::Text(s)) if !s.is_empty() => return Some((Source::UserId, s.clone())),
        Some(UserId::Integer(n)) => return Some((Source::UserId, format!("{n}"))),
        _ => {}
    }
    ids.email.as_ref().filter(|e| !e.is_empty()).map(|e| (Source::Email, e.clone()))
}

// ---- payload_parse -----------------------------------------------------------------------------------------

/// `payload_parse`: parsing never panics (the caller sees that), and an accepted payload re-serialises to
/// JSON that is no longer than the input (so it stays within P6's size limit) and parses back to the same
/// typed value.
pub fn payload_round_trip(data: &[u8]) {
    if let Ok(parsed) = BootPayload::parse(data) {
        let json = parsed.to_json();
        assert!(
            json.len() <= data.len(),
            "payload round trip: re-serialised payload is {} bytes, longer than the {}-byte input",
            json.len(),
            data.len()
        );
        let again = BootPayload::parse(json.as_bytes())
            .unwrap_or_else(|e| panic!("payload round trip: re-serialised payload no longer parses: {e}"));
        assert_eq!(again, parsed, "payload round trip: re-serialised payload parses to a different value");
    }
}

// ---- verify -----------------------------------------------------------------------------------------------

/// The rules a decision may name for its outcome (grading is by class; the rule must still fit the class).
fn rule_fits(outcome: &Outcome, rule: Rule) -> bool {
    use Rule::*;
    match outcome {
        Outcome::Reject(RejectReason::MalformedPayload) => matches!(rule, P1 | P2 | P3 | P4 | P5 | P6),
        Outcome::Reject(RejectReason::UnknownApp) => rule == V1,
        Outcome::Reject(RejectReason::MissingIdentifier) => rule == V4,
        Outcome::Reject(RejectReason::MissingUserHash) => matches!(rule, V5 | J4),
        Outcome::Reject(RejectReason::InvalidUserHash) => matches!(rule, V2 | V6 | V7),
        Outcome::Reject(RejectReason::InvalidJwt) => matches!(rule, J1 | J2),
        Outcome::Reject(RejectReason::ExpiredJwt) => rule == J2,
        Outcome::Reject(RejectReason::IdentityMismatch) => rule == J3,
        Outcome::Accept(Identity::Visitor) => matches!(rule, V3 | V4),
        Outcome::Accept(Identity::User { verified: true, .. }) => matches!(rule, V6 | J1),
        Outcome::Accept(Identity::User { verified: false, .. }) => matches!(rule, V2 | V5 | V6 | V7),
    }
}

/// V1–V6 and J1–J4 as a table, from the rule book, for a payload that parsed: the outcome the verifier must
/// reach without a current time.
fn reference_outcome(config: &Config, platform: Platform, p: &BootPayload) -> Outcome {
    let Some(app) = config.apps.get(&p.app_id) else {
        return Outcome::Reject(RejectReason::UnknownApp);
    };
    let settings = app.platforms.get(&platform).cloned().unwrap_or_default();
    if let Some(token) = &p.jwt {
        let secret = settings.secret.as_ref().map(Secret::expose);
        return jwt::reference_token_outcome(secret, token, None, &p.identifiers);
    }
    let selected = reference_selection(&p.identifiers);
    if settings.jwt_enforced && (selected.is_some() || p.user_hash.is_some()) {
        return Outcome::Reject(RejectReason::MissingUserHash);
    }
    let user = |verified: bool, (source, text): (Source, String)| {
        Outcome::Accept(Identity::User { verified, identifier: ivconform_core::identifier::Selected { source, text } })
    };
    match (selected, &p.user_hash) {
        (None, None) => Outcome::Accept(Identity::Visitor),
        (None, Some(_)) if settings.enforced => Outcome::Reject(RejectReason::MissingIdentifier),
        (None, Some(_)) => Outcome::Accept(Identity::Visitor),
        (Some(_), None) if settings.enforced => Outcome::Reject(RejectReason::MissingUserHash),
        (Some(sel), None) => user(false, sel),
        (Some(sel), Some(hash)) => {
            let matches = match (&settings.secret, reference_decode_tag(hash)) {
                (Some(secret), Some(supplied)) => supplied == reference_tag(secret.expose(), sel.1.as_bytes()),
                _ => false,
            };
            if matches {
                user(true, sel)
            } else if settings.enforced {
                Outcome::Reject(RejectReason::InvalidUserHash)
            } else {
                user(false, sel)
            }
        }
    }
}

/// `config` with everything but `(app_id, platform)` changed: the other platforms of that app get another
/// secret and the opposite enforcement, every other app is replaced, and one more app is added. V8 says the
/// decision cannot change.
fn perturbed_elsewhere(config: &Config, app_id: &str, platform: Platform) -> Config {
    let other = |enforced: bool| PlatformConfig {
        secret: Some(Secret::new(&b"perturbed-elsewhere"[..])),
        enforced,
        jwt_enforced: enforced,
    };
    let mut out = Config::default();
    for (id, app) in &config.apps {
        let mut changed = if id == app_id {
            app.clone()
        } else {
            AppConfig { label: Some("perturbed".into()), ..AppConfig::default() }
        };
        for p in Platform::ALL {
            if id != app_id || p != platform {
                let was = app.platforms.get(&p).is_some_and(|s| s.enforced);
                changed.platforms.insert(p, other(!was));
            }
        }
        out.apps.insert(id.clone(), changed);
    }
    let extra = "perturbed-extra-app";
    if extra != app_id && !out.apps.contains_key(extra) {
        let platforms = Platform::ALL.into_iter().map(|p| (p, other(true))).collect();
        out.apps.insert(extra.into(), AppConfig { platforms, ..AppConfig::default() });
    }
    out
}

/// `text` with the bits of `tag` written over its hex digits, keeping each position's letter case.
fn hex_like(text: &str, tag: &[u8; 32]) -> String {
    reference_hex(tag)
        .chars()
        .zip(text.chars())
        .map(|(new, old)| if old.is_ascii_uppercase() { new.to_ascii_uppercase() } else { new })
        .collect()
}

/// `verify`: for one configuration, platform and raw payload, the decision is deterministic, fits its rule,
/// agrees with V1–V6's table, never leaks the expected hash, depends on nothing but the request's app and
/// platform (V8), and is the same for the parsed and re-serialised payload. A visitor never has an
/// identifier; a user's identifier is S2's selection; a verified user's hash is the HMAC of that identifier
/// under the platform's secret, and single-bit changes of it do not verify.
pub fn verify_properties(config: &Config, platform: Platform, payload: &[u8]) {
    let decision = verify(config, platform, payload);
    assert_eq!(verify(config, platform, payload), decision, "verify determinism: two runs decided differently");
    assert!(
        rule_fits(&decision.outcome, decision.rule),
        "verify rule: {:?} is decided under rule {}, which cannot decide it",
        decision.outcome,
        decision.rule
    );
    assert!(!decision.detail.trim().is_empty(), "verify reason: {:?} carries no detail", decision.outcome);

    let parsed = match BootPayload::parse(payload) {
        Err(e) => {
            assert_eq!(
                decision.outcome,
                Outcome::Reject(RejectReason::MalformedPayload),
                "verify: an unparseable payload ({e}) must be malformed_payload"
            );
            assert_eq!(decision.rule, e.rule, "verify: malformed_payload names another rule than the parser's");
            return;
        }
        Ok(p) => p,
    };
    assert_eq!(verify_parsed(config, platform, &parsed), decision, "verify: parse-then-decide differs from verify");
    let again = parsed.to_json();
    if again.len() <= Limits::P6.max_bytes {
        assert_eq!(
            verify(config, platform, again.as_bytes()),
            decision,
            "verify: re-serialised payload decides differently"
        );
    }
    assert_eq!(
        verify_parsed(&perturbed_elsewhere(config, &parsed.app_id, platform), platform, &parsed),
        decision,
        "verify V8: changing another platform's or workspace's settings changed the decision"
    );
    assert_eq!(
        decision.outcome,
        reference_outcome(config, platform, &parsed),
        "verify table: the outcome disagrees with V1-V6 (rule {}: {})",
        decision.rule,
        decision.detail
    );

    let secret =
        config.apps.get(&parsed.app_id).and_then(|a| a.platforms.get(&platform)).and_then(|s| s.secret.clone());
    if let (Some(token), true) = (&parsed.jwt, config.apps.contains_key(&parsed.app_id)) {
        let rotation = payload.iter().fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
        jwt_properties(secret.as_ref().map(Secret::expose), token, None, &parsed.identifiers, rotation);
        return;
    }
    let selected = reference_selection(&parsed.identifiers);
    if let (Some((_, text)), Some(secret)) = (&selected, &secret) {
        let expected = reference_hex(&reference_tag(secret.expose(), text.as_bytes()));
        let is_hash_rule = matches!(decision.rule, Rule::V2 | Rule::V4 | Rule::V5 | Rule::V6 | Rule::V7);
        assert!(
            !(is_hash_rule && decision.detail.to_ascii_lowercase().contains(&expected)),
            "verify leak: the decision's detail contains the expected user_hash"
        );
    }
    match &decision.outcome {
        Outcome::Accept(Identity::Visitor) => {
            assert_eq!(selected, None, "verify visitor: accepted as a visitor although an identifier was sent")
        }
        Outcome::Accept(Identity::User { verified, identifier }) => {
            let (source, text) = selected.expect("verify user: accepted as a user without any identifier");
            assert_eq!((identifier.source, &identifier.text), (source, &text), "verify user: not S2's identifier");
            if *verified {
                let rotation = payload.iter().fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
                verified_hash_properties(config, platform, &parsed, &text, secret.as_ref(), &decision, rotation);
            }
        }
        Outcome::Reject(_) => {}
    }
}

/// A verified decision: the hash is the HMAC of the identifier under the platform's secret, and flipping a
/// bit of it never verifies. One bit of every byte is flipped (32 decisions rather than 256, which would make
/// verified inputs a hundred times slower to fuzz than others), at a position that moves with the payload's
/// bytes (`rotation`), so a fuzzing run tries all 256 bits; any other altered hash the fuzzer sends is
/// checked against V6 by the table.
fn verified_hash_properties(
    config: &Config,
    platform: Platform,
    parsed: &BootPayload,
    identifier: &str,
    secret: Option<&Secret>,
    decision: &Decision,
    rotation: usize,
) {
    let secret = secret.expect("verify verified: verified without a secret configured for the platform");
    let sent = parsed.user_hash.as_deref().expect("verify verified: verified without a user_hash");
    let tag = reference_decode_tag(sent).expect("verify verified: user_hash is not 64 hex digits");
    assert_eq!(
        tag,
        reference_tag(secret.expose(), identifier.as_bytes()),
        "verify verified: user_hash is not HMAC(platform secret, selected identifier) ({})",
        decision.detail
    );
    let mut flipped = parsed.clone();
    for byte in 0..32 {
        let bit = byte * 8 + (byte + rotation) % 8;
        let mut t = tag;
        t[byte] ^= 0x80 >> (bit % 8);
        flipped.user_hash = Some(hex_like(sent, &t));
        let d = verify_parsed(config, platform, &flipped);
        assert!(
            !matches!(d.outcome, Outcome::Accept(Identity::User { verified: true, .. })),
            "verify bit flip: the hash with bit {bit} flipped still verifies"
        );
    }
}

// ---- sign -------------------------------------------------------------------------------------------------

/// `sign`: every signing path agrees with HMAC-SHA256 computed directly with the `hmac` and `sha2` crates,
/// over the identifier S2 selects (S1–S5): `user_hash`, `Signer::sign`, `hash_message`, `hash_into`,
/// `sign_many` (on `batch` plus the identifier), `Keyed::mac` and `mac::hmac_sha256`.
pub fn sign_properties(secret: &[u8], ids: &Identifiers, batch: &[Vec<u8>]) {
    let selected = reference_selection(ids);
    let got = user_hash(secret, ids);
    match (&selected, secret.is_empty()) {
        (_, true) => assert_eq!(got, Err(SignError::EmptySecret), "sign S5: an empty secret must be refused first"),
        (None, false) => assert_eq!(got, Err(SignError::NoIdentifier), "sign S2: no identifier must be refused"),
        (Some((source, text)), false) => {
            let signed = got.unwrap_or_else(|e| panic!("sign S2: refused ({e}) although {source} is present"));
            assert_eq!(
                (signed.identifier.source, &signed.identifier.text),
                (*source, text),
                "sign S2: wrong identifier"
            );
            let expected = reference_hex(&reference_tag(secret, text.as_bytes()));
            assert_eq!(signed.user_hash, expected, "sign S1: user_hash is not lowercase hex HMAC(secret, identifier)");
            let again = Signer::new(secret).expect("a non-empty secret").sign(ids).expect("it signed once");
            assert_eq!(again, signed, "sign: Signer::sign differs from user_hash");
        }
    }
    for m in batch {
        assert_eq!(
            ivconform_core::mac::hmac_sha256(secret, m),
            reference_tag(secret, m),
            "sign mac: hmac_sha256 is wrong"
        );
    }
    if secret.is_empty() {
        return;
    }
    let signer = Signer::new(secret).expect("a non-empty secret");
    let mut messages: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
    if let Some((_, text)) = &selected {
        messages.push(text.as_bytes());
    }
    let mut many = vec![[0u8; ivconform_core::hex::TAG_HEX_LEN]; messages.len()];
    signer.sign_many(&messages, &mut many);
    for (m, from_batch) in messages.iter().zip(&many) {
        let tag = reference_tag(secret, m);
        let expected = reference_hex(&tag);
        assert_eq!(signer.hash_message(m), expected, "sign S1: hash_message is wrong for a {}-byte message", m.len());
        let mut out = [0u8; ivconform_core::hex::TAG_HEX_LEN];
        signer.hash_into(m, &mut out);
        assert_eq!(&out[..], expected.as_bytes(), "sign S1: hash_into is wrong for a {}-byte message", m.len());
        assert_eq!(&from_batch[..], expected.as_bytes(), "sign S1: sign_many is wrong for a {}-byte message", m.len());
        assert_eq!(signer.keyed().mac(m), tag, "sign: Keyed::mac is wrong for a {}-byte message", m.len());
    }
}

// ---- json_self_differential ----------------------------------------------------------------------------

/// One rendering of a JSON value, for [`json_shapes_agree`]: its bytes, and whether its objects' members are
/// in another order than the first rendering's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendering {
    /// The JSON text.
    pub bytes: Vec<u8>,
    /// True when object members were permuted relative to the first rendering (then only the decision,
    /// not the rule of a rejection, must match: with several faults, order picks which is seen first).
    pub reordered: bool,
}

/// Objects' members sorted by key, recursively (keys are unique in accepted values), so values that differ
/// only in member order compare equal.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Object(members) => {
            let mut m: Vec<(String, Value)> = members.iter().map(|(k, v)| (k.clone(), canonical(v))).collect();
            m.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(m)
        }
        other => other.clone(),
    }
}

fn canonical_payload(p: &BootPayload) -> BootPayload {
    let mut p = p.clone();
    p.custom = p.custom.iter().map(|(k, v)| (k.clone(), canonical(v))).collect();
    p.custom.sort_by(|a, b| a.0.cmp(&b.0));
    p
}

/// The strict parser's value as serde_json sees it; `None` when serde_json refuses a number's lexeme on its own.
fn to_serde(v: &Value) -> Option<serde_json::Value> {
    Some(match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::from_str(n.lexeme()).ok()?,
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(to_serde).collect::<Option<_>>()?),
        Value::Object(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| Some((k.clone(), to_serde(v)?))).collect::<Option<_>>()?)
        }
    })
}

/// serde_json accepts everything the strict parser accepts, with the same values (numbers compared as
/// serde_json reads their lexemes). The one allowed difference: a number serde_json refuses even on its own
/// because it is beyond binary64's range (`1e400`), where serde_json must then refuse the document for that
/// reason. RFC 8259 allows such numbers and the reference accepts them in attributes on purpose (P5; see
/// `adapters/c/ivconform_c.c` on Jansson's "real number overflow"); serde_json limits the range.
pub fn strict_json_agrees_with_serde(text: &[u8]) {
    let Ok(value) = json::parse(text, Limits::P6) else { return };
    let theirs = serde_json::from_slice::<serde_json::Value>(text);
    match (to_serde(&value), theirs) {
        (Some(ours), Ok(theirs)) => assert_eq!(ours, theirs, "json serde: serde_json reads other values"),
        (Some(_), Err(e)) => panic!("json serde: serde_json refuses JSON the strict parser accepts: {e}"),
        (None, Ok(_)) => panic!("json serde: serde_json refuses a number's lexeme alone but accepts the document"),
        (None, Err(e)) => {
            assert!(
                e.to_string().contains("number out of range"),
                "json serde: serde_json refuses it for another reason: {e}"
            )
        }
    }
}

/// `json_self_differential`: renderings of one JSON value in different shapes (member order, whitespace,
/// escaped or raw characters) reach the same decision in the strict parser and the payload parser: the same
/// value when accepted, a rejection (of the same rule when the order is the same) otherwise. Renderings past
/// P6's size limit must be refused as such and are left out of the comparison. Every accepted rendering also
/// passes [`strict_json_agrees_with_serde`].
pub fn json_shapes_agree(renderings: &[Rendering]) {
    type Parsed<'r> =
        (&'r Rendering, Result<Value, json::Error>, Result<BootPayload, ivconform_core::payload::PayloadError>);
    let mut reference: Option<Parsed> = None;
    for r in renderings {
        let value = json::parse(&r.bytes, Limits::P6);
        let payload = BootPayload::parse(&r.bytes);
        if r.bytes.len() > Limits::P6.max_bytes {
            assert!(
                matches!(&value, Err(e) if e.rule() == Rule::P6) && matches!(&payload, Err(e) if e.rule == Rule::P6),
                "json shapes: a {}-byte rendering is not refused under P6",
                r.bytes.len()
            );
            continue;
        }
        if value.is_ok() {
            strict_json_agrees_with_serde(&r.bytes);
        }
        let Some((first, v0, p0)) = &reference else {
            reference = Some((r, value, payload));
            continue;
        };
        let same_order = !first.reordered && !r.reordered;
        match (v0, &value) {
            (Ok(a), Ok(b)) => {
                assert_eq!(canonical(a), canonical(b), "json shapes: two renderings parse to other values")
            }
            (Err(a), Err(b)) => {
                assert!(
                    !same_order || a.rule() == b.rule(),
                    "json shapes: refused under {} and under {}",
                    a.rule(),
                    b.rule()
                )
            }
            (a, b) => panic!(
                "json shapes: one rendering is accepted and another refused ({:?} vs {:?})",
                a.as_ref().err(),
                b.as_ref().err()
            ),
        }
        match (p0, &payload) {
            (Ok(a), Ok(b)) => {
                assert_eq!(canonical_payload(a), canonical_payload(b), "json shapes: two renderings are other payloads")
            }
            (Err(a), Err(b)) => {
                assert!(
                    !same_order || a.rule == b.rule,
                    "json shapes: payload refused under {} and under {}",
                    a.rule,
                    b.rule
                )
            }
            (a, b) => panic!(
                "json shapes: one rendering is an accepted payload and another a refused one ({:?} vs {:?})",
                a.as_ref().err(),
                b.as_ref().err()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_toml_str(
            "[apps.prod]\nweb = { secret = \"web-secret\", enforced = true }\nios = { secret = \"ios-secret\" }\n",
        )
        .unwrap()
    }

    #[test]
    fn round_trip_holds_on_samples() {
        for s in [&b"{\"app_id\":\"a\",\"user_id\":-0,\"x\":[1.5e3,{\"k\":\"\\u0000\"}]}"[..], b"{", b"[]", b"\xff"] {
            payload_round_trip(s);
        }
    }

    #[test]
    fn verify_holds_on_samples() {
        let h = reference_hex(&reference_tag(b"web-secret", b"u1"));
        for p in [
            format!(r#"{{"app_id":"prod","user_id":"u1","user_hash":"{h}"}}"#),
            format!(r#"{{"app_id":"prod","user_id":"u1","user_hash":"{}"}}"#, h.to_uppercase()),
            format!(r#"{{"app_id":"prod","email":"u1","user_hash":"{h}"}}"#),
            format!(r#"{{"app_id":"prod","user_hash":"{h}"}}"#),
            r#"{"app_id":"prod","user_id":0}"#.to_string(),
            r#"{"app_id":"nope"}"#.to_string(),
            r#"{"app_id":"prod","app_id":"prod"}"#.to_string(),
        ] {
            for platform in Platform::ALL {
                verify_properties(&config(), platform, p.as_bytes());
            }
        }
    }

    #[test]
    fn sign_holds_on_samples() {
        let ids = |user_id: Option<UserId>, email: Option<&str>| Identifiers { user_id, email: email.map(Into::into) };
        let batch = vec![vec![], vec![b'x'; 55], vec![b'y'; 56], vec![7; 200]];
        sign_properties(b"s", &ids(UserId::integer(0), Some("a@b.c")), &batch);
        sign_properties(b"", &ids(UserId::integer(5), None), &batch);
        sign_properties(&[9; 100], &ids(Some(UserId::Text(String::new())), Some("")), &batch);
        sign_properties(b"k", &ids(Some(UserId::Text(String::new())), Some("e")), &[]);
    }

    #[test]
    fn serde_agreement_and_its_one_exception() {
        strict_json_agrees_with_serde(br#"{"a":[1,-0,1.5e3,"\u00e9\ud83d\ude00"],"b":null}"#);
        strict_json_agrees_with_serde(br#"{"n":1e400}"#);
    }

    #[test]
    fn shapes_agree_on_samples() {
        let r = |s: &str, reordered| Rendering { bytes: s.as_bytes().to_vec(), reordered };
        json_shapes_agree(&[
            r(r#"{"app_id":"a","x":[1,"é"]}"#, false),
            r("{ \"x\" : [ 1 , \"\\u00e9\" ] ,\n\"app_id\":\"\\u0061\" }", true),
        ]);
        json_shapes_agree(&[r(r#"{"a":1,"a":2}"#, false), r(r#"{"\u0061":1, "a":2}"#, false)]);
    }

    #[test]
    #[should_panic(expected = "json shapes: one rendering is accepted and another refused")]
    fn shapes_catch_a_disagreement() {
        let r = |s: &str| Rendering { bytes: s.as_bytes().to_vec(), reordered: false };
        json_shapes_agree(&[r(r#"{"a":1}"#), r(r#"{"a":1,}"#)]);
    }
}
