//! `ivconform diagnose`: the hash checker that says what went wrong (rule D1), for people debugging a 403.

use crate::cli::DiagnoseArgs;
use ivconform_core::diagnose::{diagnose as run_diagnosis, Diagnosis};
use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::{BootPayload, Config, Platform};
use std::process::ExitCode;

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("ivconform diagnose: {message}");
    ExitCode::from(super::EXIT_USAGE)
}

/// Reads the configuration (TOML, or JSON when the file ends in `.json`), with file and line in errors.
fn load_config(path: &std::path::Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        Config::from_json_str(&text)
    } else {
        Config::from_toml_str(&text)
    };
    parsed.map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs the command: exit 0 when the hash is valid, 1 when it is not, 2 on bad input.
pub fn diagnose(args: DiagnoseArgs) -> ExitCode {
    let config = match load_config(&args.config) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    if let Some(addr) = &args.serve {
        return match super::diagnose_page::serve(addr, config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => usage(format!("cannot serve on {addr}: {e}")),
        };
    }
    let platform: Platform = match args.platform.parse() {
        Ok(p) => p,
        Err(e) => return usage(e),
    };
    // What was sent: a boot payload, or the fields one by one.
    let (app_id, ids, hash) = if let Some(path) = &args.payload {
        let bytes = if path.as_os_str() == "-" {
            let mut b = Vec::new();
            if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut b) {
                return usage(format!("cannot read the payload from stdin: {e}"));
            }
            b
        } else {
            match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => return usage(format!("{}: cannot read: {e}", path.display())),
            }
        };
        let payload = match BootPayload::parse(&bytes) {
            Ok(p) => p,
            Err(e) => {
                println!(
                    "The payload itself is malformed, so the messenger refuses it before any hash is checked:\n  {e}"
                );
                return ExitCode::from(super::EXIT_NONCONFORMANT);
            }
        };
        if let Some(token) = &payload.jwt {
            return explain_jwt(&config, &payload.app_id, &payload.identifiers, platform, token, args.now);
        }
        let Some(hash) = payload.user_hash.clone() else {
            println!("The payload has no user_hash: with identity verification enforced, a logged-in user without one is refused (missing_user_hash). Compute it on your server and send it as user_hash.");
            return ExitCode::from(super::EXIT_NONCONFORMANT);
        };
        (payload.app_id.clone(), payload.identifiers.clone(), hash)
    } else {
        let Some(app) = args.app.clone() else {
            return usage("give --payload FILE, or --app with --hash (or --jwt) and --user-id/--email");
        };
        let user_id = match (&args.user_id, args.numeric_user_id) {
            (Some(_), Some(_)) => return usage("give --user-id or --numeric-user-id, not both"),
            (Some(s), None) => Some(UserId::Text(s.clone())),
            (None, Some(n)) => match UserId::integer(n) {
                Some(id) => Some(id),
                None => {
                    return usage(format!(
                        "--numeric-user-id {n} is outside ±(2^53-1); JavaScript would round it, send it as a string"
                    ))
                }
            },
            (None, None) => None,
        };
        let ids = Identifiers { user_id, email: args.email.clone() };
        if let Some(token) = &args.jwt {
            return explain_jwt(&config, &app, &ids, platform, token, args.now);
        }
        let Some(hash) = args.hash.clone() else { return usage("--hash (or --jwt) is required without --payload") };
        (app, ids, hash)
    };
    let (valid, text) = explain(&config, &app_id, platform, &ids, &hash, &args.previous);
    print!("{text}");
    ExitCode::from(if valid { super::EXIT_CONFORMANT } else { super::EXIT_NONCONFORMANT })
}

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

/// JWT mode: the token of a payload, checked at the current time of this machine (the diagnosis is a person's
/// tool; the verifier's rules take the time as an input). Exit 0 when valid, 1 when not.
fn explain_jwt(
    config: &Config,
    app: &str,
    ids: &Identifiers,
    platform: Platform,
    token: &str,
    now: Option<i64>,
) -> ExitCode {
    use ivconform_core::diagnose::{diagnose_jwt, JwtDiagnosis};
    // The time is an input of the rules; the command line's default is this machine's clock.
    let now = now.or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).ok()
    });
    let d = diagnose_jwt(config, app, platform, token, now, ids);
    println!("Checking {} for {app} on {platform} (now = {}):", ivconform_core::jwt::PAYLOAD_KEY, now.unwrap_or(0));
    match &d {
        JwtDiagnosis::Valid { .. } => println!("  {}", d.explain(platform, app)),
        JwtDiagnosis::SignedWith { matched, .. } => {
            println!("  invalid, and here is why (the signature verifies under the {matched}):");
            println!("  - {}", d.explain(platform, app));
        }
        JwtDiagnosis::Refused(_) => println!("  invalid: {}", d.explain(platform, app)),
        JwtDiagnosis::CannotCheck { .. } => println!("  cannot check: {}", d.explain(platform, app)),
    }
    ExitCode::from(if matches!(d, JwtDiagnosis::Valid { .. }) {
        super::EXIT_CONFORMANT
    } else {
        super::EXIT_NONCONFORMANT
    })
}
