//! The vector files against their JSON Schemas (`vectors/schema/*.schema.json`, draft 2020-12).
//!
//! Each committed file `vectors/<group>.json` must validate against `schema/<group>.schema.json` and name that
//! schema in its `$schema` field. The group schemas reach the shared definitions through relative `$ref`s
//! (`common.schema.json#/$defs/…`), which resolve against their `$id`s; `common.schema.json` is registered under its
//! own `$id`, and the validators are built offline, so nothing is ever fetched.
//!
//! The hand-written samples in `tests/fixtures/schema/` are validated too, and serve as the base of the negative
//! tests, which prove the schemas reject the mistakes they exist to catch (a typo'd key, a bad id, an unknown flag,
//! both byte forms at once, a short hash, …).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::{Draft, Registry, Validator};
use serde_json::{json, Value};

const GROUPS: [&str; 5] = ["hmac_sha256", "sign", "payload", "verify", "jwt"];
const ID_BASE: &str = "https://ivconform.invalid/schema/";
const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema_path(name: &str) -> PathBuf {
    crate_dir().join("schema").join(format!("{name}.schema.json"))
}

fn vector_path(group: &str) -> PathBuf {
    crate_dir().join(format!("{group}.json"))
}

fn fixture_path(group: &str) -> PathBuf {
    crate_dir().join("tests/fixtures/schema").join(format!("{group}.json"))
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The validator for `<group>.schema.json`, with `common.schema.json` registered locally under its `$id`.
fn validator(group: &str) -> Validator {
    let common = read_json(&schema_path("common"));
    let registry = Registry::new()
        .add(format!("{ID_BASE}common.schema.json"), common)
        .and_then(|builder| builder.prepare())
        .unwrap_or_else(|e| panic!("cannot register common.schema.json: {e}"));
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .offline()
        .with_registry(&registry)
        .build(&read_json(&schema_path(group)))
        .unwrap_or_else(|e| panic!("{group}.schema.json does not compile: {e}"))
}

/// Every schema violation in `doc`, one line each (`/cases/3/id: "Bad" does not match …`).
fn violations(validator: &Validator, doc: &Value) -> Vec<String> {
    validator.iter_errors(doc).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

fn assert_valid(group: &str, doc: &Value, what: &str) {
    let found = violations(&validator(group), doc);
    if !found.is_empty() {
        let shown = found.iter().take(25).map(|v| format!("  {v}")).collect::<Vec<_>>().join("\n");
        panic!("{what} does not match {group}.schema.json ({} violations):\n{shown}", found.len());
    }
}

fn assert_invalid(group: &str, doc: &Value, what: &str) {
    assert!(validator(group).iter_errors(doc).next().is_some(), "{group}.schema.json accepts {what}");
}

/// What the schemas cannot say: `number_of_cases` counts the cases, ids are unique, every flag a case uses is
/// explained in the header, every config a case names exists.
fn check_beyond_schema(group: &str, doc: &Value, what: &str, ids: &mut BTreeMap<String, String>) {
    let cases = doc["cases"].as_array().unwrap_or_else(|| panic!("{what}: no cases array"));
    assert_eq!(doc["number_of_cases"].as_u64(), Some(cases.len() as u64), "{what}: number_of_cases");
    let declared: BTreeSet<&str> =
        doc["flags"].as_object().map(|flags| flags.keys().map(String::as_str).collect()).unwrap_or_default();
    for case in cases {
        let id = case["id"].as_str().unwrap_or_else(|| panic!("{what}: a case without an id"));
        if let Some(first) = ids.insert(id.to_string(), what.to_string()) {
            panic!("case id {id:?} appears in {first} and again in {what}");
        }
        for flag in case["flags"].as_array().into_iter().flatten() {
            let flag = flag.as_str().unwrap_or_default();
            assert!(declared.contains(flag), "{what}: case {id} uses flag {flag}, which the header does not explain");
        }
        if group == "payload" || group == "verify" || (group == "jwt" && case["kind"] == "verify") {
            let config = case["config"].as_str().unwrap_or_default();
            assert!(doc["configs"].get(config).is_some(), "{what}: case {id} names config {config:?}, not in configs");
        }
    }
}

fn check_committed(group: &str) {
    let path = vector_path(group);
    assert!(path.is_file(), "{} is missing: run `cargo run -p ivconform-vectorgen -- generate`", path.display());
    let doc = read_json(&path);
    let expected_schema = format!("schema/{group}.schema.json");
    assert_eq!(doc["$schema"].as_str(), Some(expected_schema.as_str()), "{group}.json: $schema field");
    assert!(crate_dir().join(&expected_schema).is_file(), "{expected_schema} is missing");
    assert_valid(group, &doc, &format!("{group}.json"));
    check_beyond_schema(group, &doc, &format!("{group}.json"), &mut BTreeMap::new());
}

#[test]
fn schema_files_are_well_formed() {
    for name in ["common"].into_iter().chain(GROUPS) {
        let schema = read_json(&schema_path(name));
        assert_eq!(schema["$schema"], DRAFT_2020_12, "{name}.schema.json: $schema");
        assert_eq!(schema["$id"], format!("{ID_BASE}{name}.schema.json"), "{name}.schema.json: $id");
        for key in ["title", "description"] {
            assert!(schema[key].as_str().is_some_and(|s| !s.is_empty()), "{name}.schema.json: no {key}");
        }
    }
    // Compiling also checks each schema against the 2020-12 meta-schema.
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .offline()
        .build(&read_json(&schema_path("common")))
        .unwrap_or_else(|e| panic!("common.schema.json does not compile: {e}"));
    for group in GROUPS {
        validator(group);
    }
}

#[test]
fn hmac_sha256_json_matches_its_schema() {
    check_committed("hmac_sha256");
}

#[test]
fn sign_json_matches_its_schema() {
    check_committed("sign");
}

#[test]
fn payload_json_matches_its_schema() {
    check_committed("payload");
}

#[test]
fn verify_json_matches_its_schema() {
    check_committed("verify");
}

#[test]
fn jwt_json_matches_its_schema() {
    check_committed("jwt");
}

#[test]
fn jwt_cases_are_checked() {
    let doc = mutated("jwt", |doc| case_where(doc, "id", "fixture-jwt-alg-none")["kind"] = json!("verfy"));
    assert_invalid("jwt", &doc, "an unknown kind");
    let doc = mutated("jwt", |doc| case_where(doc, "id", "fixture-jwt-alg-none")["now"] = json!("1800000000"));
    assert_invalid("jwt", &doc, "now as a string");
    let doc = mutated("jwt", |doc| {
        case_where(doc, "id", "fixture-jwt-alg-none")["expected"]["reason"] = json!("expired_token");
    });
    assert_invalid("jwt", &doc, "an unknown reject reason");
    let doc = mutated("jwt", |doc| {
        case_where(doc, "id", "fixture-jwt-valid-user-id")["expected_signature_hex"] = json!("0".repeat(63))
    });
    assert_invalid("jwt", &doc, "a 63-digit expected_signature_hex");
    let doc = mutated("jwt", |doc| case_where(doc, "id", "fixture-jwt-sign-user-id")["payload"] = json!("{}"));
    assert_invalid("jwt", &doc, "a sign case with a payload");
    let doc =
        mutated("jwt", |doc| case_where(doc, "id", "fixture-jwt-valid-user-id")["claims"] = json!({"user_id": "1"}));
    assert_invalid("jwt", &doc, "a verify case with claims");
    let doc = mutated("jwt", |doc| {
        case_where(doc, "id", "fixture-jwt-sign-user-id")["expected"]["example_token"] = json!("a.b");
    });
    assert_invalid("jwt", &doc, "a two-segment token");
    let doc = mutated("jwt", |doc| {
        let e = &mut case_where(doc, "id", "fixture-jwt-sign-user-id")["expected"];
        e["token"] = e["example_token"].take();
        e.as_object_mut().unwrap().remove("example_token");
    });
    assert_invalid("jwt", &doc, "a sign expectation with the old pinned token field");
    // J2's leeway window: either a verified user or the refusal; nothing else fits the form.
    let doc = mutated("jwt", |doc| {
        case_where(doc, "id", "fixture-jwt-exp-within-leeway")["expected"]["reject"] = json!("identity_mismatch")
    });
    assert_invalid("jwt", &doc, "an either whose refusal is not a token-time class");
    let doc = mutated("jwt", |doc| {
        case_where(doc, "id", "fixture-jwt-exp-within-leeway")["expected"]["accept"] =
            json!({"result": "accept", "as": "visitor"})
    });
    assert_invalid("jwt", &doc, "an either whose acceptance is a visitor");
    let doc = mutated("jwt", |doc| {
        case_where(doc, "id", "fixture-jwt-exp-within-leeway")["expected"]["accept"]["verified"] = json!(false)
    });
    assert_invalid("jwt", &doc, "an either whose acceptance is unverified");
    let doc = mutated("jwt", |doc| case_where(doc, "id", "fixture-jwt-sign-user-id")["claims"]["exp"] = json!(1.5));
    assert_invalid("jwt", &doc, "a fractional exp");
    let doc = mutated("jwt", |doc| {
        case_where(doc, "id", "fixture-jwt-sign-empty-secret")["expected"]["error"] = json!("bad_secret")
    });
    assert_invalid("jwt", &doc, "an unknown signing error");
    let doc = mutated("jwt", |doc| case_where(doc, "id", "fixture-jwt-sign-user-id")["secret_hex"] = json!("00"));
    assert_invalid("jwt", &doc, "both secret and secret_hex");
    let doc =
        mutated("jwt", |doc| doc["configs"]["standard"]["apps"]["ws_prod"]["android"] = json!({"jwt_enforced": true}));
    assert_invalid("jwt", &doc, "jwt_enforced without a secret");
}

#[test]
fn case_ids_are_unique_across_committed_files() {
    let mut ids = BTreeMap::new();
    for group in GROUPS {
        let path = vector_path(group);
        assert!(path.is_file(), "{} is missing", path.display());
        check_beyond_schema(group, &read_json(&path), &format!("{group}.json"), &mut ids);
    }
}

#[test]
fn fixtures_match_the_schemas() {
    let mut ids = BTreeMap::new();
    for group in GROUPS {
        let doc = read_json(&fixture_path(group));
        let what = format!("fixture {group}.json");
        assert_valid(group, &doc, &what);
        check_beyond_schema(group, &doc, &what, &mut ids);
    }
}

// ---- Negative tests: each mutation of a valid fixture must be refused. ----

/// The fixture of `group`, changed by `change`; the unchanged fixture is checked to be valid first, so a refusal
/// is the mutation's doing.
fn mutated(group: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut doc = read_json(&fixture_path(group));
    assert_valid(group, &doc, &format!("fixture {group}.json"));
    change(&mut doc);
    doc
}

/// The first case of `doc` whose `key` equals `value`.
fn case_where<'a>(doc: &'a mut Value, key: &str, value: &str) -> &'a mut Value {
    doc["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|case| case[key] == value)
        .unwrap_or_else(|| panic!("no fixture case with {key} = {value:?}"))
}

fn case_with_expected<'a>(doc: &'a mut Value, key: &str, value: &str) -> &'a mut Value {
    doc["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|case| case["expected"][key] == value)
        .unwrap_or_else(|| panic!("no fixture case with expected.{key} = {value:?}"))
}

#[test]
fn unknown_case_property_is_refused() {
    for group in GROUPS {
        // A typo of a known key, and a key from another group's shape.
        for key in ["commnet", "parsed_hex"] {
            let doc = mutated(group, |doc| {
                doc["cases"][0][key] = json!("x");
            });
            assert_invalid(group, &doc, &format!("a case with an unknown property {key:?}"));
        }
    }
    // payload.json's `parsed` is not part of a verify.json case.
    let parsed = read_json(&fixture_path("payload"))["cases"][0]["parsed"].clone();
    assert!(parsed.is_object());
    let doc = mutated("verify", |doc| doc["cases"][0]["parsed"] = parsed);
    assert_invalid("verify", &doc, "a verify case with parsed");
}

#[test]
fn unknown_property_elsewhere_is_refused() {
    for group in GROUPS {
        let doc = mutated(group, |doc| doc["numbr_of_cases"] = json!(1));
        assert_invalid(group, &doc, "an unknown header key");
    }
    let doc =
        mutated("sign", |doc| case_where(doc, "id", "fixture-sign-user-id-zero-wins")["expected"]["hash"] = json!(""));
    assert_invalid("sign", &doc, "an unknown key in a hash expectation");
    let doc = mutated("verify", |doc| doc["cases"][0]["expected"]["identifier"]["text"] = json!("5678"));
    assert_invalid("verify", &doc, "an unknown key in an expected identifier");
    let doc = mutated("payload", |doc| doc["cases"][0]["parsed"]["name"] = json!("Ann"));
    assert_invalid("payload", &doc, "an unknown key in parsed");
    for (path, key) in [("/configs/standard", "appz"), ("/configs/standard/apps/ws_prod", "webb")] {
        let doc = mutated("verify", |doc| doc.pointer_mut(path).unwrap()[key] = json!({}));
        assert_invalid("verify", &doc, &format!("an unknown config key {key:?}"));
    }
    let doc = mutated("verify", |doc| doc["configs"]["standard"]["apps"]["ws_prod"]["web"]["enforcd"] = json!(true));
    assert_invalid("verify", &doc, "a typo'd enforced");
}

#[test]
fn bad_case_id_is_refused() {
    for bad in ["Fixture-Upper", "under_score", "trailing-", "-leading", "double--dash", "", "space d", "ünicode"] {
        for group in GROUPS {
            let doc = mutated(group, |doc| doc["cases"][0]["id"] = json!(bad));
            assert_invalid(group, &doc, &format!("the case id {bad:?}"));
        }
    }
}

#[test]
fn unknown_flag_is_refused() {
    for group in GROUPS {
        let doc = mutated(group, |doc| doc["cases"][0]["flags"] = json!(["FUNCTIONALLITY"]));
        assert_invalid(group, &doc, "an unknown flag in a case");
        let doc = mutated(group, |doc| doc["flags"]["HEXFORM"] = json!("typo"));
        assert_invalid(group, &doc, "an unknown flag in the header");
        let doc = mutated(group, |doc| doc["cases"][0]["flags"] = json!([]));
        assert_invalid(group, &doc, "an empty flags list");
        let doc = mutated(group, |doc| doc["cases"][0]["flags"] = json!(["PRESENCE", "PRESENCE"]));
        assert_invalid(group, &doc, "a repeated flag");
    }
}

#[test]
fn unknown_rule_is_refused() {
    for bad in ["V10", "S0", "P7", "J6", "D2", "s1", "S1 "] {
        let doc = mutated("sign", |doc| doc["cases"][0]["rules"] = json!(["S1", bad]));
        assert_invalid("sign", &doc, &format!("the rule id {bad:?}"));
    }
    let doc = mutated("verify", |doc| doc["cases"][0]["rules"] = json!(["V1", "V1"]));
    assert_invalid("verify", &doc, "a repeated rule id");
}

#[test]
fn both_payload_forms_are_refused() {
    for group in ["payload", "verify"] {
        let doc = mutated(group, |doc| {
            let case = &mut doc["cases"][0];
            let hex: String = case["payload"].as_str().unwrap().bytes().map(|b| format!("{b:02x}")).collect();
            case["payload_hex"] = json!(hex);
        });
        assert_invalid(group, &doc, "a case with both payload and payload_hex");
        let doc = mutated(group, |doc| {
            doc["cases"][0].as_object_mut().unwrap().remove("payload");
        });
        assert_invalid(group, &doc, "a case with neither payload nor payload_hex");
    }
    let doc = mutated("payload", |doc| case_where(doc, "id", "fixture-payload-bom")["payload_hex"] = json!("efbbbf7"));
    assert_invalid("payload", &doc, "an odd-length payload_hex");
}

#[test]
fn short_user_hash_in_sign_expectation_is_refused() {
    for bad in ["5".repeat(63), "5".repeat(65), "A".repeat(64), "g".repeat(64)] {
        let doc = mutated("sign", |doc| {
            let expected = &mut case_with_expected(doc, "result", "hash")["expected"];
            expected["user_hash"] = json!(bad);
        });
        assert_invalid("sign", &doc, &format!("a {}-character user_hash {bad:.8}…", bad.len()));
    }
}

#[test]
fn sign_secret_forms_and_errors_are_checked() {
    let doc =
        mutated("sign", |doc| case_where(doc, "id", "fixture-sign-user-id-zero-wins")["secret_hex"] = json!("00"));
    assert_invalid("sign", &doc, "both secret and secret_hex");
    let doc = mutated("sign", |doc| {
        case_where(doc, "id", "fixture-sign-user-id-zero-wins").as_object_mut().unwrap().remove("secret");
    });
    assert_invalid("sign", &doc, "neither secret nor secret_hex");
    let doc = mutated("sign", |doc| case_where(doc, "id", "fixture-sign-user-id-zero-wins")["secret"] = json!(""));
    assert_invalid("sign", &doc, "a hash from an empty secret");
    let doc =
        mutated("sign", |doc| case_where(doc, "id", "fixture-sign-empty-secret")["expected"]["error"] = json!("bad"));
    assert_invalid("sign", &doc, "an unknown error class");
    let doc = mutated("sign", |doc| {
        case_where(doc, "id", "fixture-sign-user-id-zero-wins")["expected"]["identifier_source"] = json!("email");
    });
    assert_invalid("sign", &doc, "email selected although user_id 0 is present");
    let doc = mutated("sign", |doc| {
        case_where(doc, "id", "fixture-sign-user-id-zero-wins")["user_id"] = json!(9007199254740992u64)
    });
    assert_invalid("sign", &doc, "a user_id past 2^53-1");
    let doc = mutated("sign", |doc| case_where(doc, "id", "fixture-sign-neither-identifier")["email"] = json!("a@b.c"));
    assert_invalid("sign", &doc, "no_identifier although an email is present");
}

#[test]
fn verifier_expectations_are_checked() {
    let doc = mutated("verify", |doc| doc["cases"][0]["platform"] = json!("macos"));
    assert_invalid("verify", &doc, "an unknown platform");
    let doc =
        mutated("verify", |doc| case_with_expected(doc, "result", "reject")["expected"]["reason"] = json!("bad_hash"));
    assert_invalid("verify", &doc, "an unknown reject reason");
    let doc = mutated("verify", |doc| {
        case_with_expected(doc, "as", "user")["expected"].as_object_mut().unwrap().remove("verified");
    });
    assert_invalid("verify", &doc, "an accepted user without verified");
    let doc = mutated("verify", |doc| case_with_expected(doc, "as", "visitor")["expected"]["verified"] = json!(false));
    assert_invalid("verify", &doc, "a visitor with verified");
    let doc =
        mutated("verify", |doc| case_with_expected(doc, "as", "visitor")["expected_mac_hex"] = json!("0".repeat(64)));
    assert_invalid("verify", &doc, "a visitor with an expected MAC");
    let doc = mutated("verify", |doc| {
        case_with_expected(doc, "reason", "invalid_user_hash").as_object_mut().unwrap().remove("expected_mac_hex");
    });
    assert_invalid("verify", &doc, "an invalid_user_hash case without its expected MAC");
    let doc = mutated("verify", |doc| doc["cases"][0]["expected_mac_hex"] = json!("0".repeat(63)));
    assert_invalid("verify", &doc, "a 63-character expected_mac_hex");
    let doc = mutated("payload", |doc| {
        case_with_expected(doc, "result", "accept").as_object_mut().unwrap().remove("parsed");
    });
    assert_invalid("payload", &doc, "an accepted payload case without parsed");
    let doc = mutated("payload", |doc| {
        let parsed = json!({"app_id": "ws_prod", "user_id": null, "email": null, "user_hash": null, "custom_keys": []});
        case_with_expected(doc, "reason", "malformed_payload")["parsed"] = parsed;
    });
    assert_invalid("payload", &doc, "a malformed payload with a parse");
    let doc = mutated("payload", |doc| {
        case_with_expected(doc, "result", "accept")["parsed"].as_object_mut().unwrap().remove("custom_keys");
    });
    assert_invalid("payload", &doc, "parsed without custom_keys");
}

#[test]
fn configs_follow_config_md() {
    let web = "/configs/standard/apps/ws_prod/web";
    for (change, what) in [
        (json!({"secret": "s", "secret_hex": "00", "enforced": true}), "both secret and secret_hex"),
        (json!({"secret": "", "enforced": false}), "an empty secret"),
        (json!({"secret_hex": "0", "enforced": false}), "an odd-length secret_hex"),
        (json!({"enforced": true}), "enforcement without a secret"),
        (json!({"secret": "s", "enforced": "yes"}), "a non-boolean enforced"),
    ] {
        let doc = mutated("verify", |doc| *doc.pointer_mut(web).unwrap() = change);
        assert_invalid("verify", &doc, &format!("a platform config with {what}"));
    }
    let doc = mutated("verify", |doc| doc["configs"]["standard"]["apps"] = json!({}));
    assert_invalid("verify", &doc, "a config without apps");
    let doc = mutated("verify", |doc| doc["configs"]["standard"]["apps"]["macos"] = json!({"macos": {}}));
    assert_invalid("verify", &doc, "an unknown platform in a config");
}

#[test]
fn hmac_cases_are_checked() {
    let doc = mutated("hmac_sha256", |doc| {
        case_where(doc, "id", "fixture-rfc4231-case-5")["tag_bits"] = json!(256);
    });
    assert_invalid("hmac_sha256", &doc, "a 32-digit tag with tag_bits 256");
    let doc = mutated("hmac_sha256", |doc| case_where(doc, "id", "fixture-rfc4231-case-2")["tag_bits"] = json!(128));
    assert_invalid("hmac_sha256", &doc, "a 64-digit tag with tag_bits 128");
    let doc =
        mutated("hmac_sha256", |doc| case_where(doc, "id", "fixture-rfc4231-case-2")["key_hex"] = json!("4A656665"));
    assert_invalid("hmac_sha256", &doc, "uppercase hex");
    let doc = mutated("hmac_sha256", |doc| case_where(doc, "id", "fixture-rfc4231-case-2")["msg_hex"] = json!("abc"));
    assert_invalid("hmac_sha256", &doc, "odd-length hex");
}

#[test]
fn headers_are_checked() {
    for group in GROUPS {
        let other = GROUPS.iter().find(|g| **g != group).unwrap();
        let doc = mutated(group, |doc| doc["group"] = json!(other));
        assert_invalid(group, &doc, "another group's name");
        let doc = mutated(group, |doc| doc["$schema"] = json!(format!("schema/{other}.schema.json")));
        assert_invalid(group, &doc, "another group's schema path");
        for version in ["1.0", "v1.0.0", "01.0.0", "1.0.0-"] {
            let doc = mutated(group, |doc| doc["suite_version"] = json!(version));
            assert_invalid(group, &doc, &format!("the suite_version {version:?}"));
        }
        let doc = mutated(group, |doc| doc["cases"] = json!([]));
        assert_invalid(group, &doc, "no cases");
        let doc = mutated(group, |doc| {
            doc.as_object_mut().unwrap().remove("number_of_cases");
        });
        assert_invalid(group, &doc, "a missing number_of_cases");
    }
    for group in ["payload", "verify"] {
        let doc = mutated(group, |doc| {
            doc.as_object_mut().unwrap().remove("configs");
        });
        assert_invalid(group, &doc, "a verifier file without configs");
    }
}
