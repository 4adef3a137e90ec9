//! A disagreement, written where the user asked: the raw payload (`<id>.payload`, to feed a debugger or a
//! unit test) and the ready-to-paste vector (`<id>.json`: the configuration and the case, in the format of
//! `vectors/verify.json`), which `ivconform fuzz --replay` sends again.

use crate::props::{verify_probe_bytes, Probe};
use ivconform_core::config::ConfigDoc;
use ivconform_vectors::{JwtCase, VerifyCase};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The largest reproducer file `--replay` reads.
pub const MAX_REPLAY_BYTES: u64 = 4 * 1024 * 1024;

/// What was found: the minimal probe, the grader's view of the disagreement, and how it was shrunk.
pub struct FuzzFinding {
    /// The minimal failing probe (request, reference expectation, vector).
    pub probe: Probe,
    /// What the reference decides.
    pub expected: String,
    /// What the implementation answered.
    pub actual: String,
    /// The grader's hint (the bug class).
    pub hint: String,
    /// The payload's length before shrinking.
    pub original_len: usize,
    /// Checks spent shrinking.
    pub shrink_checks: usize,
}

/// The files a finding was saved to.
pub struct Saved {
    /// The raw payload.
    pub payload: PathBuf,
    /// The vector.
    pub vector: PathBuf,
}

/// Writes the finding's two files into `dir` (created if needed).
pub fn save(dir: &Path, finding: &FuzzFinding) -> std::io::Result<Saved> {
    std::fs::create_dir_all(dir)?;
    let id = &finding.probe.case.id;
    let payload = dir.join(format!("{id}.payload"));
    let vector = dir.join(format!("{id}.json"));
    let bytes = match &finding.probe.case.request {
        ivconform_protocol::Request::Verify { payload_hex, .. } => {
            ivconform_core::hex::decode(payload_hex).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    std::fs::write(&payload, bytes)?;
    std::fs::write(&vector, format!("{}\n", finding.probe.vector.render()))?;
    Ok(Saved { payload, vector })
}

/// A saved reproducer (or any fragment of `verify.json` or `jwt.json` with `configs` and `cases`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fragment {
    configs: BTreeMap<String, ConfigDoc>,
    cases: Vec<AnyCase>,
}

/// A verifier case as `verify.json` writes it, or as `jwt.json` does (tagged with its kind).
#[derive(Deserialize)]
#[serde(untagged)]
enum AnyCase {
    Jwt(JwtCase),
    Plain(VerifyCase),
}

/// The probes of a reproducer file, rebuilt with today's reference as the oracle; errors name the file.
pub fn load(path: &Path) -> Result<Vec<Probe>, String> {
    let name = path.display();
    let text = ivconform_vectors::file::read_regular_text(path, MAX_REPLAY_BYTES).map_err(|e| e.to_string())?;
    let fragment: Fragment = serde_json::from_str(&text)
        .map_err(|e| format!("{name}:{}:{}: not a reproducer (configs + cases): {e}", e.line(), e.column()))?;
    if fragment.cases.is_empty() {
        return Err(format!("{name}: no cases"));
    }
    let mut probes = Vec::new();
    for case in &fragment.cases {
        let case = match case {
            AnyCase::Plain(c) | AnyCase::Jwt(JwtCase::Verify(c)) => c,
            AnyCase::Jwt(JwtCase::Sign(s)) => {
                return Err(format!("{name}: case {:?} is a signing case; only verifier cases replay", s.meta.id))
            }
        };
        let doc = fragment.configs.get(&case.config).ok_or_else(|| {
            format!("{name}: case {:?} names configuration {:?}, which is not in the file", case.meta.id, case.config)
        })?;
        let config = doc.to_config().map_err(|e| format!("{name}: configuration {:?}: {e}", case.config))?;
        let probe = verify_probe_bytes(
            "fuzz",
            &case.meta.comment,
            &config,
            case.platform,
            &case.payload_bytes(),
            case.now,
            &case.meta.rules,
            &case.meta.flags,
        );
        probes.push(probe.with_id(case.meta.id.clone()));
    }
    Ok(probes)
}
