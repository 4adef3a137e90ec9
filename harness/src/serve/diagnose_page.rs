//! `ivconform diagnose --serve ADDR`: the diagnosis as a small local web page with a form, for people who
//! would rather paste than type. The configuration is loaded once on the server; the form carries only what a
//! page sends anyway (app id, platform, identifiers, hash). Loopback use is intended; everything echoed back
//! is HTML-escaped.

use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::{Config, Platform};
use std::io::Write;

/// Serves the page until the process is stopped; prints `listening on http://ADDR/` once bound.
pub fn serve(addr: &str, config: Config) -> Result<(), String> {
    let server = tiny_http::Server::http(addr).map_err(|e| e.to_string())?;
    let bound = server.server_addr().to_ip().ok_or("no IP address")?;
    println!("listening on http://{bound}/");
    let _ = std::io::stdout().flush();
    for request in server.incoming_requests() {
        let url = request.url().to_string();
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        let page = match path {
            "/" => Some(render(&config, &[])),
            "/diagnose" => {
                Some(render(&config, &form_urlencoded::parse(query.as_bytes()).into_owned().collect::<Vec<_>>()))
            }
            _ => None,
        };
        let response = match page {
            Some(html) => {
                tiny_http::Response::from_string(html).with_header(header("Content-Type", "text/html; charset=utf-8"))
            }
            None => tiny_http::Response::from_string("not found").with_status_code(404),
        };
        let _ = request.respond(
            response.with_header(header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")),
        );
    }
    Ok(())
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The page: the form (pre-filled with the last values) and, when a hash was given, the diagnosis.
fn render(config: &Config, fields: &[(String, String)]) -> String {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let (app, platform, user_id, email, hash) =
        (get("app"), get("platform"), get("user_id"), get("email"), get("hash"));
    let numeric = get("numeric") == "on";
    let apps: String = config
        .apps
        .keys()
        .map(|a| format!("<option{}>{}</option>", if *a == app { " selected" } else { "" }, escape(a)))
        .collect();
    let platforms: String = Platform::ALL
        .iter()
        .map(|p| format!("<option{}>{p}</option>", if p.as_str() == platform { " selected" } else { "" }))
        .collect();
    let result = if hash.is_empty() {
        String::new()
    } else {
        let text = match diagnose_fields(config, &app, &platform, &user_id, numeric, &email, &hash) {
            Ok((valid, text)) => format!(
                "<section id=\"result\" class=\"{}\"><pre>{}</pre></section>",
                if valid { "valid" } else { "invalid" },
                escape(&text)
            ),
            Err(e) => format!("<section id=\"result\" class=\"error\"><pre>{}</pre></section>", escape(&e)),
        };
        text
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ivconform diagnose</title>
<style>body{{font-family:sans-serif;max-width:52em;margin:2em auto}}label{{display:block;margin:.4em 0}}input[type=text]{{width:100%}}
.valid pre{{border-left:4px solid #2a2}}.invalid pre,.error pre{{border-left:4px solid #c22}}pre{{white-space:pre-wrap;padding:.5em 1em;background:#f6f6f6}}</style></head>
<body><h1>Why is my user_hash invalid?</h1>
<p>Paste what your page or app sends. The secrets stay on this server; they are never shown.</p>
<form method="get" action="/diagnose">
<label>Workspace (app_id) <select name="app">{apps}</select></label>
<label>Platform <select name="platform">{platforms}</select></label>
<label>user_id <input type="text" name="user_id" value="{uid}"></label>
<label><input type="checkbox" name="numeric"{checked}> user_id is sent as a number, not a string</label>
<label>email <input type="text" name="email" value="{em}"></label>
<label>user_hash <input type="text" name="hash" value="{h}"></label>
<button type="submit">Check</button>
</form>
{result}
</body></html>
"#,
        uid = escape(&user_id),
        em = escape(&email),
        h = escape(&hash),
        checked = if numeric { " checked" } else { "" },
    )
}

fn diagnose_fields(
    config: &Config,
    app: &str,
    platform: &str,
    user_id: &str,
    numeric: bool,
    email: &str,
    hash: &str,
) -> Result<(bool, String), String> {
    let platform: Platform = platform.parse().map_err(|e: ivconform_core::platform::UnknownPlatform| e.to_string())?;
    let user_id = match (user_id.is_empty(), numeric) {
        (true, _) => None,
        (false, false) => Some(UserId::Text(user_id.to_string())),
        (false, true) => Some(
            user_id
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(UserId::integer)
                .ok_or_else(|| format!("user_id {user_id:?} is not an integer within ±(2^53-1)"))?,
        ),
    };
    let ids = Identifiers { user_id, email: (!email.is_empty()).then(|| email.to_string()) };
    Ok(crate::diagnosis::explain(config, app, platform, &ids, hash, &[]))
}
