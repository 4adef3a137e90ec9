//! What the page shows for one submitted form: a verdict built from the structured diagnosis
//! ([`ivconform_core::diagnose`]), never from its text.

use ivconform_core::diagnose::{diagnose, diagnose_jwt, Diagnosis, JwtDiagnosis, Mistake};
use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::payload::BootPayload;
use ivconform_core::{Config, Platform};

/// The form as submitted (every field a string; absent fields empty).
#[derive(Debug, Default, Clone)]
pub(super) struct Form {
    pub app: String,
    pub platform: String,
    pub user_id: String,
    pub numeric: bool,
    pub email: String,
    pub hash: String,
    pub jwt: String,
    pub payload: String,
    pub previous: String,
    pub now: String,
}

impl Form {
    /// The form from an `application/x-www-form-urlencoded` body (unknown fields ignored).
    pub fn parse(body: &[u8]) -> Form {
        let mut form = Form::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "app" => form.app = value,
                "platform" => form.platform = value,
                "user_id" => form.user_id = value,
                "numeric" => form.numeric = !value.is_empty(),
                "email" => form.email = value,
                "hash" => form.hash = value,
                "jwt" => form.jwt = value,
                "payload" => form.payload = value,
                "previous" => form.previous = value,
                "now" => form.now = value,
                _ => {}
            }
        }
        form
    }

    /// The previous identifiers, one per line (blank lines skipped, nothing else trimmed: identifiers
    /// are compared byte for byte).
    fn previous(&self) -> Vec<String> {
        self.previous
            .lines()
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }
}

/// The verdict's kind, which is also its CSS class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The hash or token is valid.
    Valid,
    /// It is not, with a cause.
    Invalid,
    /// It cannot be checked (unknown app, no identifier, no secret).
    Cannot,
    /// Nothing to check, or input the page cannot use; a hint what to enter.
    Notice,
}

impl Kind {
    /// The CSS class and `data-verdict` value.
    pub fn class(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::Invalid => "invalid",
            Kind::Cannot => "cannot",
            Kind::Notice => "notice",
        }
    }

    /// The badge.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Valid => "Valid",
            Kind::Invalid => "Invalid",
            Kind::Cannot => "Cannot check",
            Kind::Notice => "Nothing checked",
        }
    }
}

/// What the page shows above the form.
#[derive(Debug, Clone)]
pub(super) struct Verdict {
    /// Valid, invalid, ...
    pub kind: Kind,
    /// The cause, in one line (the headline after the badge).
    pub cause: String,
    /// What was checked, in one line ("user_hash for ws_prod on web, user_id \"5678\"").
    pub checked: String,
    /// The key and message that reproduced the hash (never a secret: its name).
    pub matched: Option<String>,
    /// What to do, most important first.
    pub fixes: Vec<String>,
    /// The diagnosis as the command line prints it (for a ticket), when there is one.
    pub text: Option<String>,
}

impl Verdict {
    fn notice(cause: impl Into<String>, fix: impl Into<String>) -> Verdict {
        Verdict {
            kind: Kind::Notice,
            cause: cause.into(),
            checked: String::new(),
            matched: None,
            fixes: vec![fix.into()],
            text: None,
        }
    }
}

/// Checks what the form holds: a pasted boot payload first, else a JWT, else a user_hash.
pub(super) fn check(config: &Config, form: &Form, clock: Option<i64>) -> Verdict {
    let platform: Platform = match form.platform.parse() {
        Ok(p) => p,
        Err(_) => {
            return Verdict::notice(
                format!("unknown platform {:?}", truncate(&form.platform, 40)),
                "choose web, ios or android.",
            )
        }
    };
    let now = if form.now.trim().is_empty() {
        clock
    } else {
        match form.now.trim().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Verdict::notice(
                    format!("the time {:?} is not a whole number of seconds", truncate(&form.now, 40)),
                    "give the time to judge exp at in Unix seconds (e.g. 1767225600), or leave it empty for this server's clock.",
                )
            }
        }
    };
    let previous = form.previous();
    if !form.payload.trim().is_empty() {
        return check_payload(config, platform, form.payload.as_bytes(), &previous, now);
    }
    if form.jwt.trim().is_empty() && form.hash.is_empty() {
        return Verdict::notice(
            "enter a user_hash, an intercom_user_jwt or a whole boot payload",
            "paste what your page or app sends: the user_hash (with the user_id or email it was sent with), the JWT, or the whole boot payload (the JSON object).",
        );
    }
    let user_id = match (form.user_id.is_empty(), form.numeric) {
        (true, _) => None,
        (false, false) => Some(UserId::Text(form.user_id.clone())),
        (false, true) => match form.user_id.trim().parse::<i64>().ok().and_then(UserId::integer) {
            Some(id) => Some(id),
            None => {
                return Verdict::notice(
                    format!("user_id {:?} is not an integer within ±(2^53-1)", truncate(&form.user_id, 40)),
                    "untick \"sent as a number\" if the page sends it as a string; integers beyond 2^53 are rounded by JavaScript, so send those as strings.",
                )
            }
        },
    };
    let ids = Identifiers { user_id, email: (!form.email.is_empty()).then(|| form.email.clone()) };
    if !form.jwt.trim().is_empty() {
        return check_jwt(config, &form.app, platform, &ids, form.jwt.trim(), now);
    }
    check_hash(config, &form.app, platform, &ids, &form.hash, &previous)
}

fn check_payload(config: &Config, platform: Platform, bytes: &[u8], previous: &[String], now: Option<i64>) -> Verdict {
    let payload = match BootPayload::parse(bytes) {
        Ok(p) => p,
        Err(e) => {
            return Verdict {
                kind: Kind::Invalid,
                cause: "the boot payload is malformed".into(),
                checked: format!("the pasted boot payload ({} bytes)", bytes.len()),
                matched: None,
                fixes: vec![
                    format!("{e}"),
                    "the messenger refuses a malformed payload before any hash is checked: send one JSON object with app_id, user_id and/or email, and user_hash (or intercom_user_jwt).".into(),
                ],
                text: None,
            }
        }
    };
    if let Some(token) = &payload.jwt {
        return check_jwt(config, &payload.app_id, platform, &payload.identifiers, token, now);
    }
    let Some(hash) = &payload.user_hash else {
        return Verdict {
            kind: Kind::Invalid,
            cause: "the payload has no user_hash".into(),
            checked: format!("the pasted boot payload for {}", payload.app_id),
            matched: None,
            fixes: vec!["with identity verification enforced, a logged-in user without a user_hash is refused (missing_user_hash): compute it on your server and send it as user_hash.".into()],
            text: None,
        };
    };
    check_hash(config, &payload.app_id, platform, &payload.identifiers, hash, previous)
}

fn check_hash(
    config: &Config,
    app: &str,
    platform: Platform,
    ids: &Identifiers,
    hash: &str,
    previous: &[String],
) -> Verdict {
    let who = ids.select().map(|s| format!(", {} {:?}", s.source, s.text)).unwrap_or_default();
    let checked = format!("user_hash for {app} on {platform}{who}");
    let text = Some(crate::diagnosis::explain(config, app, platform, ids, hash, previous).1);
    match diagnose(config, app, platform, ids, hash, previous) {
        Diagnosis::Valid { source } => Verdict {
            kind: Kind::Valid,
            cause: format!("the hash matches {source} under the {platform} secret of {app}"),
            checked,
            matched: None,
            fixes: vec![
                "if the messenger still refuses it, check that the page sends this app_id and identifier unchanged."
                    .into(),
            ],
            text,
        },
        Diagnosis::Explained { mistakes, matched } => Verdict {
            kind: Kind::Invalid,
            cause: mistakes.iter().map(|m| cause(m, platform)).collect::<Vec<_>>().join("; "),
            checked,
            matched: Some(matched),
            fixes: mistakes.iter().map(|m| m.explain(platform, app)).collect(),
            text,
        },
        Diagnosis::CannotCheck { reason } => Verdict {
            kind: Kind::Cannot,
            cause: first_sentence(&reason),
            checked,
            matched: None,
            fixes: vec![reason],
            text,
        },
        Diagnosis::Unexplained { tried, advice } => Verdict {
            kind: Kind::Invalid,
            cause: format!("no likely mistake reproduces this hash ({tried} combinations tried)"),
            checked,
            matched: None,
            fixes: vec![advice],
            text,
        },
    }
}

fn check_jwt(
    config: &Config,
    app: &str,
    platform: Platform,
    ids: &Identifiers,
    token: &str,
    now: Option<i64>,
) -> Verdict {
    let at = now.map(|n| format!(" at {n}")).unwrap_or_default();
    let checked = format!("intercom_user_jwt for {app} on {platform}{at}");
    let text = Some(crate::diagnosis::explain_jwt(config, app, ids, platform, token, now).1);
    let d = diagnose_jwt(config, app, platform, token, now, ids);
    let fix = d.explain(platform, app);
    let (kind, cause, matched) = match &d {
        JwtDiagnosis::Valid { user_id } => (Kind::Valid, format!("the token verifies for user_id {user_id:?}"), None),
        JwtDiagnosis::SignedWith { matched, .. } => {
            (Kind::Invalid, format!("the token is signed with the {matched}"), Some(matched.clone()))
        }
        JwtDiagnosis::Refused(e) => (Kind::Invalid, first_sentence(&e.to_string()), None),
        JwtDiagnosis::CannotCheck { reason } => (Kind::Cannot, first_sentence(reason), None),
    };
    Verdict { kind, cause, checked, matched, fixes: vec![fix], text }
}

/// One mistake as a short cause for the headline (its fix is [`Mistake::explain`]).
fn cause(m: &Mistake, platform: Platform) -> String {
    match m {
        Mistake::OtherPlatformSecret { used } => format!("made with the {used} secret, not the {platform} one"),
        Mistake::OtherWorkspaceSecret { app, platform } => {
            format!("made with the {platform} secret of another workspace ({app})")
        }
        Mistake::ApiKey { app } => format!("made with the REST API key of {app}"),
        Mistake::EmailHashed => "the email was hashed, but user_id is sent".into(),
        Mistake::Trimmed => "the identifier was trimmed before hashing".into(),
        Mistake::LowerCased => "the identifier was lower-cased before hashing".into(),
        Mistake::Normalised { form } => format!("the identifier was {form}-normalised before hashing"),
        Mistake::HtmlEscaped => "the identifier was HTML-escaped before hashing".into(),
        Mistake::SentHtmlEscaped { raw } => {
            format!("the identifier was sent HTML-escaped; the hash is of the raw {raw:?}")
        }
        Mistake::IntegerAsFloat => "the integer user_id was hashed as a float".into(),
        Mistake::Swapped => "key and message are swapped".into(),
        Mistake::Base64 => "the tag is base64, not hex".into(),
        Mistake::EmptyIdentifier => "the hash is of an empty string".into(),
        Mistake::StaleIdentifier { .. } => "the hash is of a previous identifier (stale or cached)".into(),
        Mistake::Wrapped { what } => format!("the hash has {what} around it"),
    }
}

/// The first clause of an explanation (up to the first ". ", "; " or ": " outside parentheses), for a
/// one-line headline; the whole explanation is the fix below it.
fn first_sentence(text: &str) -> String {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut end = text.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'.' | b';' | b':' if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    text[..end].trim_end_matches('.').to_string()
}

fn truncate(text: &str, max: usize) -> String {
    let mut t: String = text.chars().take(max).collect();
    if t.len() < text.len() {
        t.push('…');
    }
    t
}
