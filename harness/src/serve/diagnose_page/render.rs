//! The page's HTML: the verdict (when there is one) and the form, pre-filled with what was submitted.
//! Everything the user supplied is escaped with [`escape`]; the stylesheet is inline (no external resource,
//! and the Content-Security-Policy allows nothing else).

use super::verdict::{Form, Kind, Verdict};
use ivconform_core::{Config, Platform};
use std::fmt::Write;

const STYLE: &str = include_str!("style.css");

pub(super) use crate::sanitize::html_escape as escape;

/// The whole page.
pub(super) fn page(config: &Config, form: &Form, verdict: Option<&Verdict>) -> String {
    let mut html = String::with_capacity(16 * 1024);
    let _ = write!(
        html,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}ivconform diagnose</title><style>{STYLE}</style></head>
<body><header><h1>Why is my user_hash invalid?</h1>
<p>Paste what your page or app sends; the secrets stay on this server and are never shown.</p></header>
<main{main_class}>
"#,
        title = verdict.map(|v| format!("{}: ", v.kind.label())).unwrap_or_default(),
        main_class = if verdict.is_some() { r#" class="with-result""# } else { "" },
    );
    if let Some(v) = verdict {
        result(&mut html, v);
    }
    form_html(&mut html, config, form, verdict.is_none());
    html.push_str("</main></body></html>\n");
    html
}

fn result(html: &mut String, v: &Verdict) {
    let _ = write!(
        html,
        r#"<section id="result" class="card {class}" data-verdict="{class}" role="status" aria-labelledby="verdict">
<h2 id="verdict"><span class="badge">{label}</span><span class="cause">{cause}</span></h2>
"#,
        class = v.kind.class(),
        label = v.kind.label(),
        cause = escape(&v.cause),
    );
    if !v.checked.is_empty() {
        let _ = writeln!(html, r#"<p class="checked">Checked {}.</p>"#, escape(&v.checked));
    }
    if let Some(m) = &v.matched {
        let _ = writeln!(html, r#"<dl><dt>Matched</dt><dd id="matched"><code>{}</code></dd></dl>"#, escape(m));
    }
    if !v.fixes.is_empty() {
        let heading = match v.kind {
            Kind::Valid => "If it is still refused",
            Kind::Notice => "What to enter",
            Kind::Invalid | Kind::Cannot => "How to fix it",
        };
        let _ = write!(html, r#"<h3>{heading}</h3><ol class="fixes" id="fixes">"#);
        for f in &v.fixes {
            let _ = write!(html, "<li>{}</li>", escape(&capitalised(f)));
        }
        html.push_str("</ol>\n");
    }
    if let Some(text) = &v.text {
        let _ = writeln!(
            html,
            r#"<details><summary>Full diagnosis (as <code>ivconform diagnose</code> prints it)</summary><pre id="text">{}</pre></details>"#,
            escape(text)
        );
    }
    html.push_str("</section>\n");
}

/// The text with its first letter upper-cased (the diagnoses' sentences start lower-case, after a colon).
fn capitalised(text: &str) -> String {
    // Not a leading identifier or error code (`user_id ...`, `malformed_payload [P1] ...`).
    if text.split(' ').next().is_some_and(|w| w.contains(['_', '[', '"'])) {
        return text.to_string();
    }
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn form_html(html: &mut String, config: &Config, form: &Form, first: bool) {
    let option = |value: &str, selected: bool| {
        format!("<option{}>{}</option>", if selected { " selected" } else { "" }, escape(value))
    };
    let apps: String = config.apps.keys().map(|a| option(a, *a == form.app)).collect();
    let platforms: String = Platform::ALL.iter().map(|p| option(p.as_str(), p.as_str() == form.platform)).collect();
    let _ = write!(
        html,
        r#"<form class="card" method="post" action="/" accept-charset="utf-8">
<fieldset><legend>Where it was sent</legend><div class="row">
<label for="app">Workspace (app_id)<select id="app" name="app"{autofocus}>{apps}</select></label>
<label for="platform">Platform<select id="platform" name="platform">{platforms}</select></label>
</div></fieldset>
<fieldset><legend>What was sent</legend><div class="row">
<label for="user_id">user_id<input type="text" class="mono" id="user_id" name="user_id" value="{user_id}" autocomplete="off" spellcheck="false"></label>
<label for="email">email<input type="text" class="mono" id="email" name="email" value="{email}" autocomplete="off" spellcheck="false"></label>
</div>
<label class="check" for="numeric"><input type="checkbox" id="numeric" name="numeric" value="on"{numeric}> user_id is sent as a JSON number, not a string</label>
<label for="hash">user_hash<input type="text" class="mono" id="hash" name="hash" value="{hash}" autocomplete="off" spellcheck="false" aria-describedby="hash-hint"><span class="hint" id="hash-hint">64 hex characters, as the page sends it.</span></label>
<p class="or">or, in JWT mode</p>
<label for="jwt">intercom_user_jwt<textarea id="jwt" name="jwt" rows="2" spellcheck="false" aria-describedby="jwt-hint">{jwt}</textarea><span class="hint" id="jwt-hint">The token as sent; user_id and email above are then the clear-text fields, if any.</span></label>
</fieldset>
<fieldset><legend>Or the whole boot payload</legend>
<label for="payload">Boot payload (JSON)<textarea id="payload" name="payload" rows="3" spellcheck="false" aria-describedby="payload-hint">{payload}</textarea><span class="hint" id="payload-hint">When given, app_id, user_id, email and user_hash (or intercom_user_jwt) come from it, and the fields above are ignored.</span></label>
</fieldset>
<fieldset><legend>Optional</legend><div class="row">
<label for="previous">Previous identifiers<textarea id="previous" name="previous" rows="2" spellcheck="false" aria-describedby="previous-hint">{previous}</textarea><span class="hint" id="previous-hint">One per line: identifiers the user had before (finds stale or cached hashes).</span></label>
<label for="now">Time for exp (Unix seconds)<input type="text" class="mono" id="now" name="now" value="{now}" inputmode="numeric" autocomplete="off" aria-describedby="now-hint"><span class="hint" id="now-hint">JWT mode; empty: this server's clock.</span></label>
</div></fieldset>
<button type="submit">Check</button>
<p class="privacy">The form is posted to this server only; nothing goes into the URL, and no page is cached.</p>
</form>
"#,
        autofocus = if first { " autofocus" } else { "" },
        user_id = escape(&form.user_id),
        email = escape(&form.email),
        numeric = if form.numeric { " checked" } else { "" },
        hash = escape(&form.hash),
        jwt = escape(&form.jwt),
        payload = escape(&form.payload),
        previous = escape(&form.previous),
        now = escape(&form.now),
    );
}
