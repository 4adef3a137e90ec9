//! The fuzz corpora on stable: every file of `fuzz/corpus/<target>/` and every saved reproducer in
//! `fuzz/regressions/<target>/` runs through the very functions the cargo-fuzz targets call
//! (`ivconform_fuzzing::targets`), so a regression fails `cargo test` without cargo-fuzz or nightly.
//!
//! The seed corpora are generated from the golden vectors, deterministically; the committed corpus must hold
//! every seed (files named by the first 40 hex digits of their SHA-256). To (re)write them:
//!
//! ```sh
//! IVCONFORM_WRITE_CORPUS=1 cargo test -p ivconform-fuzzing --test replay
//! ```

use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_fuzzing::input::jwt::{decode_jwt, encode_jwt, JwtInput};
use ivconform_fuzzing::input::{self as fuzz_input, SignInput};
use ivconform_fuzzing::targets::TARGETS;
use ivconform_vectors::{default_dir, load_dir, Field, Group, Suite};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Payloads longer than this are left out of the seeds (the 1 MiB one; 64 KiB and one byte more stay).
const MAX_SEED_BYTES: usize = 70_000;

/// `fuzz/`, next to this crate (`fuzzing/`) in the source tree.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("fuzzing/ has a parent").join("fuzz")
}

fn suite() -> Suite {
    load_dir(&default_dir()).unwrap_or_else(|e| panic!("{e}"))
}

fn content_name(data: &[u8]) -> String {
    Sha256::digest(data).iter().take(20).map(|b| format!("{b:02x}")).collect()
}

fn sign_input(secret: Vec<u8>, user_id: &Field, email: &Field) -> SignInput {
    let user_id = match user_id {
        Field::Sent(serde_json::Value::String(s)) => Some(UserId::Text(s.clone())),
        Field::Sent(v) if v.is_i64() => {
            let n = v.as_i64().expect("checked");
            Some(UserId::integer(n).unwrap_or_else(|| panic!("sign vector user_id {n} is outside ±(2^53 − 1)")))
        }
        _ => None,
    };
    let email = match email {
        Field::Sent(serde_json::Value::String(e)) => Some(e.clone()),
        _ => None,
    };
    SignInput { secret, identifiers: Identifiers { user_id, email }, batch: Vec::new() }
}

/// Every seed, by target: vector payloads for `payload_parse`, `verify` (with their configuration and
/// platform) and `json_self_differential`; sign cases and the HMAC cases' keys and messages for `sign`; for
/// `jwt`, every token of jwt.json (the platform's secret, `now`, the clear-text identifiers) and every signed
/// token with its secret.
fn seeds(s: &Suite) -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let mut out: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    for group in [Group::Payload, Group::Verify] {
        for c in s.verifier_cases(group) {
            let payload = c.payload_bytes();
            if payload.len() > MAX_SEED_BYTES {
                continue;
            }
            let config = s.config_for(group, c);
            let verify = fuzz_input::encode_verify(config, c.platform, &payload)
                .unwrap_or_else(|e| panic!("{}: cannot encode as a verify seed: {e}", c.meta.id));
            let decoded = fuzz_input::decode_verify(&verify);
            let mut expected_config = config.clone();
            for app in expected_config.apps.values_mut() {
                (app.label, app.api_key) = (None, None);
            }
            assert_eq!(
                (&decoded.config, decoded.platform, &decoded.payload),
                (&expected_config, c.platform, &payload),
                "{}: the verify seed does not decode back",
                c.meta.id
            );
            out.entry("verify").or_default().push(verify);
            let json = fuzz_input::encode_json_text(&payload);
            assert_eq!(
                fuzz_input::decode_json(&json)[0].bytes,
                payload,
                "{}: the json seed does not decode back",
                c.meta.id
            );
            out.entry("json_self_differential").or_default().push(json);
            out.entry("payload_parse").or_default().push(payload);
        }
    }
    for c in s.jwt_verify_cases() {
        let Ok(p) = ivconform_core::BootPayload::parse(&c.payload_bytes()) else { continue };
        let Some(token) = p.jwt.clone() else { continue };
        let config = s.config_for(Group::Jwt, c);
        let secret =
            config.apps.get(&p.app_id).and_then(|a| a.platform(c.platform).secret).map(|s| s.expose().to_vec());
        let input = JwtInput { secret, token, now: c.now, clear: p.identifiers.clone() };
        let bytes = encode_jwt(&input).unwrap_or_else(|e| panic!("{}: cannot encode as a jwt seed: {e}", c.meta.id));
        assert_eq!(decode_jwt(&bytes), input, "{}: the jwt seed does not decode back", c.meta.id);
        out.entry("jwt").or_default().push(bytes);
    }
    for c in s.jwt_sign_cases() {
        if let ivconform_vectors::JwtSignExpected::Token { example_token: token, .. } = &c.expected {
            let input = JwtInput {
                secret: Some(c.secret_bytes()),
                token: token.clone(),
                now: c.claims.exp.map(|e| e - 1),
                clear: Identifiers::default(),
            };
            out.entry("jwt").or_default().push(encode_jwt(&input).expect("a signed token encodes"));
        }
    }
    let mut sign = Vec::new();
    for c in &s.sign.cases {
        sign.push(sign_input(c.secret_bytes(), &c.user_id, &c.email));
    }
    for c in &s.hmac.cases {
        let decode = |h: &str| ivconform_core::hex::decode(h).expect("the loader checked the hex");
        let mut input = sign_input(decode(&c.key_hex), &Field::Missing, &Field::Missing);
        input.batch.push(decode(&c.msg_hex));
        sign.push(input);
    }
    // Messages at every padding boundary of HMAC-SHA256 (one or two tail blocks, whole blocks) in one batch.
    let boundaries = [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129];
    let mut batch = sign_input(b"Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr".to_vec(), &Field::Missing, &Field::Missing);
    batch.batch = boundaries.iter().map(|&n| vec![b'm'; n]).collect();
    sign.push(batch);
    for input in sign {
        let bytes = fuzz_input::encode_sign(&input).unwrap_or_else(|e| panic!("cannot encode a sign seed: {e}"));
        assert_eq!(fuzz_input::decode_sign(&bytes), input, "a sign seed does not decode back");
        out.entry("sign").or_default().push(bytes);
    }
    out
}

#[test]
fn seed_corpora_are_current() {
    let write = std::env::var_os("IVCONFORM_WRITE_CORPUS").is_some_and(|v| v == "1");
    let mut missing = Vec::new();
    for (target, inputs) in seeds(&suite()) {
        let dir = fuzz_dir().join("corpus").join(target);
        for data in inputs {
            let path = dir.join(content_name(&data));
            if std::fs::read(&path).is_ok_and(|have| have == data) {
                continue;
            }
            if write {
                std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
                std::fs::write(&path, &data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                eprintln!("wrote {}", path.display());
            } else {
                missing.push(path.display().to_string());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} seed(s) missing from fuzz/corpus (the vectors changed?); regenerate with \
         `IVCONFORM_WRITE_CORPUS=1 cargo test -p ivconform-fuzzing --test replay` and commit:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// The input files of a corpus or regression directory (no README, no dotfiles); none if it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with('.') && !n.starts_with("README"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn corpora_and_regressions_replay() {
    let mut failures = Vec::new();
    for (target, run) in TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(target));
        let regressions = inputs(&fuzz_dir().join("regressions").join(target));
        assert!(!corpus.is_empty(), "fuzz/corpus/{target} has no inputs to replay");
        for path in corpus.iter().chain(&regressions) {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if std::panic::catch_unwind(|| run(&data)).is_err() {
                failures.push(path.display().to_string());
            }
        }
        eprintln!("{target}: replayed {} corpus inputs and {} regressions", corpus.len(), regressions.len());
    }
    assert!(
        failures.is_empty(),
        "{} input(s) violate a property (messages above):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
