//! Project Wycheproof MAC test files (`ivconform run --wycheproof FILE`): an external, independently
//! written suite run against any implementation's `hmac` capability.
//!
//! The protocol's `hmac` message returns the implementation's tag, so each test is graded by comparing that
//! tag, truncated to the group's `tagSize`, with the file's: a `valid` test must match, an `invalid` one
//! (a modified tag) must not, an `acceptable` one may do either. The file is read as it is published (the
//! `mac_test_schema.json` shape); only HMACSHA256 files are accepted, since `hmac` is HMAC-SHA256.

use super::plan::{Expect, PlannedCase};
use ivconform_core::Rule;
use ivconform_protocol::{Capability, Request};
use ivconform_vectors::{Flag, Group};
use serde::Deserialize;
use std::path::Path;

/// Largest Wycheproof file read.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    algorithm: String,
    number_of_tests: Option<usize>,
    test_groups: Vec<TestGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestGroup {
    #[serde(rename = "type")]
    kind: String,
    tag_size: u32,
    tests: Vec<Test>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Test {
    tc_id: u64,
    comment: String,
    #[serde(default)]
    flags: Vec<String>,
    key: String,
    msg: String,
    tag: String,
    result: String,
}

/// Reads a Wycheproof MAC file and turns each test into a planned case; errors name the file and line.
pub fn load(path: &Path) -> Result<Vec<PlannedCase>, String> {
    let text = ivconform_vectors::file::read_regular_text(path, MAX_FILE_BYTES).map_err(|e| e.to_string())?;
    parse(&path.display().to_string(), &text)
}

/// The Wycheproof HMAC-SHA256 file compiled into the binary (`vectors/external/wycheproof/`), as planned
/// cases: what `run --wycheproof` with no file runs.
pub fn bundled() -> Result<Vec<PlannedCase>, String> {
    parse(
        &format!("(bundled {})", ivconform_vectors::bundled::WYCHEPROOF_HMAC_SHA256_NAME),
        ivconform_vectors::bundled::WYCHEPROOF_HMAC_SHA256,
    )
}

/// Turns a Wycheproof MAC file's text into planned cases; `name` is what errors call the file.
pub fn parse(name: &str, text: &str) -> Result<Vec<PlannedCase>, String> {
    let err = |m: String| format!("{name}: {m}");
    let file: File = serde_json::from_str(text).map_err(|e| format!("{name}:{}: {e}", e.line()))?;
    if file.algorithm != "HMACSHA256" {
        return Err(err(format!(
            "algorithm is {:?}; the hmac capability is HMAC-SHA256, so only HMACSHA256 files can run",
            file.algorithm
        )));
    }
    let mut cases = Vec::new();
    for group in &file.test_groups {
        if group.kind != "MacTest" {
            return Err(err(format!("test group type {:?} is not MacTest", group.kind)));
        }
        if group.tag_size == 0 || group.tag_size > 256 || group.tag_size % 8 != 0 {
            return Err(err(format!("tagSize {} is not a whole number of bytes up to 256 bits", group.tag_size)));
        }
        for t in &group.tests {
            let id = format!("wycheproof-tc{}", t.tc_id);
            let bad = |what: &str| err(format!("test {}: {what}", t.tc_id));
            for (name, value) in [("key", &t.key), ("msg", &t.msg), ("tag", &t.tag)] {
                if ivconform_core::hex::decode(value).is_none() {
                    return Err(bad(&format!("{name} is not hex")));
                }
            }
            let valid = match t.result.as_str() {
                "valid" => Some(true),
                "invalid" => Some(false),
                "acceptable" => None,
                other => return Err(bad(&format!("result {other:?} is not valid, invalid or acceptable"))),
            };
            let flags = t
                .flags
                .iter()
                .map(|f| match f.as_str() {
                    "ModifiedTag" => Flag::AuthBypass,
                    _ => Flag::Functionality,
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>();
            let flags = if flags.is_empty() { vec![Flag::Functionality] } else { flags };
            cases.push(PlannedCase {
                group: Group::Wycheproof,
                id,
                comment: format!(
                    "Wycheproof tcId {} ({}): {}; tag {} bits, {}",
                    t.tc_id,
                    t.flags.join(", "),
                    t.comment,
                    group.tag_size,
                    t.result
                ),
                rules: vec![Rule::S1],
                flags,
                capability: Capability::Hmac,
                request: Request::Hmac {
                    seq: 0,
                    key_hex: t.key.to_ascii_lowercase(),
                    msg_hex: t.msg.to_ascii_lowercase(),
                },
                expect: Expect::Mac { hex: t.tag.to_ascii_lowercase(), bits: group.tag_size, valid },
                secrets: Vec::new(),
            });
        }
    }
    if let Some(n) = file.number_of_tests {
        if n != cases.len() {
            return Err(err(format!("numberOfTests is {n} but the file has {} tests", cases.len())));
        }
    }
    if cases.is_empty() {
        return Err(err("no tests".into()));
    }
    Ok(cases)
}

/// The tags of valid tests, for the oracle-leak scan.
pub fn expected_hashes(cases: &[PlannedCase]) -> Vec<(String, String)> {
    cases
        .iter()
        .filter_map(|c| match &c.expect {
            Expect::Mac { hex, bits: 256, valid: Some(true) } => Some((hex.clone(), c.id.clone())),
            _ => None,
        })
        .collect()
}
