//! A diagnosis (rule D1) in words: what the CLI prints and the diagnose page shows, from one renderer.

use ivconform_core::diagnose::{diagnose as run_diagnosis, diagnose_jwt, Diagnosis, JwtDiagnosis};
use ivconform_core::identifier::Identifiers;
use ivconform_core::{Config, Platform};
use std::fmt::Write;

/// The diagnosis in words (shared by the command line and the page), and whether the hash is valid.
pub fn explain(
    config: &Config,
    app_id: &str,
    platform: Platform,
    ids: &Identifiers,
    hash: &str,
    previous: &[String],
) -> (bool, String) {
    let d = run_diagnosis(config, app_id, platform, ids, hash, previous);
    let who = ids.select().map(|s| format!("{} {:?}", s.source, s.text)).unwrap_or_else(|| "no identifier".into());
    let mut out = format!("Checking user_hash for {app_id} on {platform} ({who}):\n");
    let valid = matches!(d, Diagnosis::Valid { .. });
    match &d {
        Diagnosis::Valid { source } => {
            out += &format!("  valid: the hash matches {source} under the {platform} secret of {app_id}.\n");
            out += "  If the messenger still refuses it, check that the page sends this app_id and identifier unchanged.\n";
        }
        Diagnosis::Explained { mistakes, matched } => {
            out += &format!("  invalid, and here is why (the hash equals {matched}):\n");
            for m in mistakes {
                out += &format!("  - {}\n", m.explain(platform, app_id));
            }
        }
        Diagnosis::CannotCheck { reason } => out += &format!("  cannot check: {reason}\n"),
        Diagnosis::Unexplained { advice, tried } => {
            out += &format!("  invalid, and none of {tried} likely mistakes reproduces it: {advice}\n");
        }
    }
    (valid, out)
}

/// JWT mode: the diagnosis of `token` at `now` in words, and whether the token is valid.
pub fn explain_jwt(
    config: &Config,
    app: &str,
    ids: &Identifiers,
    platform: Platform,
    token: &str,
    now: Option<i64>,
) -> (bool, String) {
    let d = diagnose_jwt(config, app, platform, token, now, ids);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Checking {} for {app} on {platform} (now = {}):",
        ivconform_core::payload::JWT_KEY,
        now.unwrap_or(0)
    );
    let _ = match &d {
        JwtDiagnosis::Valid { .. } => writeln!(out, "  {}", d.explain(platform, app)),
        JwtDiagnosis::SignedWith { matched, .. } => {
            let _ = writeln!(out, "  invalid, and here is why (the signature verifies under the {matched}):");
            writeln!(out, "  - {}", d.explain(platform, app))
        }
        JwtDiagnosis::Refused(_) => writeln!(out, "  invalid: {}", d.explain(platform, app)),
        JwtDiagnosis::CannotCheck { .. } => writeln!(out, "  cannot check: {}", d.explain(platform, app)),
    };
    (matches!(d, JwtDiagnosis::Valid { .. }), out)
}
