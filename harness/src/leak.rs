//! The oracle-leak scan: an IUT that prints a secret or another case's expected hash (in an answer, an
//! error text or on stderr) hands attackers an oracle. Such findings are security findings, reported apart
//! from conformance. Findings describe what leaked ("the web secret of ws_prod") and never print it.

use crate::suite::plan::PlannedCase;
use std::collections::HashMap;

/// One leak.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LeakFinding {
    /// The case whose exchange leaked.
    pub case: String,
    /// `response` or `stderr`.
    pub channel: String,
    /// What leaked, described without revealing it.
    pub what: String,
}

/// Knows every expected hash of the suite.
pub struct Scanner {
    hashes: HashMap<String, String>,
}

impl Scanner {
    /// Builds a scanner from (hash, case id) pairs.
    pub fn new(expected_hashes: Vec<(String, String)>) -> Self {
        let mut hashes = HashMap::new();
        for (h, id) in expected_hashes {
            hashes.entry(h.to_ascii_lowercase()).or_insert(id);
        }
        Scanner { hashes }
    }

    /// Scans `text` from `channel` of `case`; `allowed` are values the answer legitimately carries
    /// (the user_hash a signer returns, the tag an hmac call returns).
    pub fn scan(&self, case: &PlannedCase, channel: &str, text: &str, allowed: &[&str]) -> Vec<LeakFinding> {
        let mut out = Vec::new();
        if text.is_empty() {
            return out;
        }
        let lower = text.to_ascii_lowercase();
        for needle in &case.secrets {
            // The request itself carries the secret as hex; an answer echoing the request is still a leak.
            if needle.text.as_deref().is_some_and(|t| text.contains(t)) || lower.contains(&needle.hex) {
                out.push(LeakFinding { case: case.id.clone(), channel: channel.into(), what: needle.what.clone() });
            }
        }
        for run in hex_runs(&lower) {
            if allowed.iter().any(|a| a.eq_ignore_ascii_case(run)) {
                continue;
            }
            if let Some(owner) = self.hashes.get(run) {
                let what = if *owner == case.id {
                    "this case's expected hash".to_string()
                } else {
                    format!("the expected hash of case {owner}")
                };
                out.push(LeakFinding { case: case.id.clone(), channel: channel.into(), what });
            }
        }
        out.dedup();
        out
    }
}

/// Maximal runs of exactly 64 hex digits.
fn hex_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_hexdigit()).filter(|r| r.len() == 64)
}
