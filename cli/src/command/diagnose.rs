//! `ivconform diagnose`: the hash checker that says what went wrong (rule D1), for people debugging a 403.

use crate::exit::{usage, CommandResult};
use clap::Args;
use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::{BootPayload, Config, Platform};
use ivconform_harness::diagnosis::{explain, explain_jwt as explain_jwt_text};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct DiagnoseArgs {
    /// The workspace configuration (TOML, or JSON if the name ends in .json; see docs/CONFIG.md).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The platform the request came from: web, ios or android.
    #[arg(long, value_name = "PLATFORM", default_value = "web")]
    pub platform: String,
    /// The boot payload as sent (JSON file, or - for stdin): app_id, user_id/email and user_hash come from it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["app", "hash", "jwt", "user_id", "numeric_user_id", "email"])]
    pub payload: Option<PathBuf>,
    /// The app_id sent.
    #[arg(long, value_name = "APP_ID")]
    pub app: Option<String>,
    /// user_id as a string.
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,
    /// user_id as a JSON integer.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub numeric_user_id: Option<i64>,
    /// The email sent.
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// The user_hash sent.
    #[arg(long, value_name = "HASH", conflicts_with = "jwt")]
    pub hash: Option<String>,
    /// The intercom_user_jwt sent (JWT mode, J1-J4); --user-id/--email are then the clear-text fields.
    #[arg(long, value_name = "TOKEN")]
    pub jwt: Option<String>,
    /// The current time for a token's exp, in Unix seconds (default: this machine's clock).
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub now: Option<i64>,
    /// An identifier the user had before (repeatable): recognises stale or cached hashes.
    #[arg(long, value_name = "ID")]
    pub previous: Vec<String>,
    /// Serve a small page with a form on this address (e.g. 127.0.0.1:8090) instead of answering once; the
    /// configuration stays on the server, the page only receives identifiers and hashes. Loopback only,
    /// unless --allow-remote.
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<String>,
    /// With --serve: allow an address other than loopback (e.g. 0.0.0.0:8090). Whoever reaches the page
    /// learns which secret made a hash, so only on a trusted network.
    #[arg(long, requires = "serve")]
    pub allow_remote: bool,
}

/// Largest workspace configuration read (bytes): thousands of apps fit; a runaway file is refused unread.
const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;
/// Largest boot payload read: past P6's 64 KiB limit, so an oversized payload is still diagnosed as one.
const MAX_PAYLOAD_BYTES: u64 = 1024 * 1024;

/// Reads the configuration (TOML, or JSON when the file ends in `.json`), with file and line in errors.
fn load_config(path: &std::path::Path) -> Result<Config, String> {
    let text = ivconform_vectors::file::read_regular_text(path, MAX_CONFIG_BYTES).map_err(|e| e.to_string())?;
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        Config::from_json_str(&text)
    } else {
        Config::from_toml_str(&text)
    };
    parsed.map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs the command: exit 0 when the hash is valid, 1 when it is not, 2 on bad input.
pub fn diagnose(args: DiagnoseArgs) -> CommandResult {
    let config = match load_config(&args.config) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    if let Some(addr) = &args.serve {
        use ivconform_harness::serve::diagnose_page::{serve, Exposure};
        let exposure = if args.allow_remote { Exposure::AllowRemote } else { Exposure::LoopbackOnly };
        let served = serve(addr, config, exposure, |bound| {
            if !bound.ip().is_loopback() {
                eprintln!(
                    "warning: the diagnose page listens on {bound}, beyond this machine: anyone who reaches it learns which configured secret made a hash (never the secret itself); serve it on a trusted network only"
                );
            }
            println!("listening on http://{bound}/");
            let _ = std::io::Write::flush(&mut std::io::stdout());
        });
        return match served {
            Ok(()) => Ok(ExitCode::SUCCESS),
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
            let stdin = std::io::Read::take(std::io::stdin(), MAX_PAYLOAD_BYTES + 1);
            if let Err(e) = std::io::Read::read_to_end(&mut { stdin }, &mut b) {
                return usage(format!("cannot read the payload from stdin: {e}"));
            }
            if b.len() as u64 > MAX_PAYLOAD_BYTES {
                return usage(format!("the payload on stdin is more than {MAX_PAYLOAD_BYTES} bytes"));
            }
            b
        } else {
            match ivconform_vectors::file::read_regular(path, MAX_PAYLOAD_BYTES) {
                Ok(b) => b,
                Err(e) => return usage(e),
            }
        };
        let payload = match BootPayload::parse(&bytes) {
            Ok(p) => p,
            Err(e) => {
                println!(
                    "The payload itself is malformed, so the messenger refuses it before any hash is checked:\n  {e}"
                );
                return Ok(ExitCode::from(crate::exit::NONCONFORMANT));
            }
        };
        if let Some(token) = &payload.jwt {
            return explain_jwt(&config, &payload.app_id, &payload.identifiers, platform, token, args.now);
        }
        let Some(hash) = payload.user_hash.clone() else {
            println!("The payload has no user_hash: with identity verification enforced, a logged-in user without one is refused (missing_user_hash). Compute it on your server and send it as user_hash.");
            return Ok(ExitCode::from(crate::exit::NONCONFORMANT));
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
    Ok(ExitCode::from(if valid { crate::exit::CONFORMANT } else { crate::exit::NONCONFORMANT }))
}

/// JWT mode: the token checked at `now` (by default this machine's clock: the diagnosis is a person's tool;
/// the verifier's rules take the time as an input). Exit 0 when valid, 1 when not.
fn explain_jwt(
    config: &Config,
    app: &str,
    ids: &Identifiers,
    platform: Platform,
    token: &str,
    now: Option<i64>,
) -> CommandResult {
    let now = now.or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).ok()
    });
    let (valid, text) = explain_jwt_text(config, app, ids, platform, token, now);
    print!("{text}");
    Ok(ExitCode::from(if valid { crate::exit::CONFORMANT } else { crate::exit::NONCONFORMANT }))
}
