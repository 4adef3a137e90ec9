//! Workspace configuration (V1, V2, V8): app ids → per-platform secrets and enforcement, from TOML or JSON text.
//!
//! ```toml
//! [apps.ws_prod]                 # the production workspace's app id
//! label = "production"           # optional, for reports
//! web = { secret = "s3cr3t-web", enforced = true }
//! ios = { secret_hex = "00ff10", enforced = false }   # a secret with non-text bytes
//! android = { enforced = false }                      # no secret: hashes cannot verify
//!
//! [apps.ws_test]                 # the [TEST] workspace is another app id with its own secrets
//! web = { secret = "another-secret", enforced = true }
//! ```
//! The same shape is accepted as JSON. Parsing is pure (text in, value out); reading files is the caller's job.

use crate::platform::Platform;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use subtle::ConstantTimeEq;

/// A platform's identity-verification secret: raw bytes, never printed, compared in constant time.
#[derive(Clone, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps raw secret bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(bytes.into())
    }

    /// The raw bytes used as the HMAC key (S5).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        // Lengths are not secret; contents are compared without early exit.
        self.0.len() == other.0.len() && bool::from(self.0.ct_eq(&other.0))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes redacted>)", self.0.len())
    }
}

/// One platform's settings in one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlatformConfig {
    /// The secret, if one is configured.
    pub secret: Option<Secret>,
    /// Whether identity verification is enforced on this platform (V4–V6).
    pub enforced: bool,
    /// Whether JWT mode is enforced on this platform (J4): a user payload without a token is refused.
    pub jwt_enforced: bool,
}

/// One workspace (one app id).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppConfig {
    /// A free-form label such as "production" or "test", for reports.
    pub label: Option<String>,
    /// The workspace's REST API key, when given: never a valid signing key (V2), but the diagnosis (D1)
    /// recognises hashes made with it.
    pub api_key: Option<Secret>,
    /// Settings per platform; a platform not listed has no secret and no enforcement.
    pub platforms: BTreeMap<Platform, PlatformConfig>,
}

impl AppConfig {
    /// The settings for `platform` (unconfigured platforms are unenforced and have no secret).
    pub fn platform(&self, platform: Platform) -> PlatformConfig {
        self.platforms.get(&platform).cloned().unwrap_or_default()
    }
}

/// The verifier's whole configuration: every workspace it knows, by app id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Workspaces by app id.
    pub apps: BTreeMap<String, AppConfig>,
}

/// A configuration that could not be read: where (line and column when the text says) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location.map(|(l, c)| format!("line {l}, column {c}: ")).unwrap_or_default())]
pub struct ConfigError {
    /// 1-based line and column, when known.
    pub location: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    fn at_path(path: String, message: &str) -> Self {
        ConfigError { location: None, message: format!("{path}: {message}") }
    }
}

// ---- the on-disk shape --------------------------------------------------------------------------------------

/// The serialised form of a configuration (the shape of config files, vector files and protocol messages).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ConfigDoc {
    /// Workspaces by app id.
    pub apps: BTreeMap<String, AppDoc>,
}

/// The serialised form of one workspace.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct AppDoc {
    /// Free-form label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The REST API key (optional; used only by the diagnosis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Web settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<PlatformDoc>,
    /// iOS settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ios: Option<PlatformDoc>,
    /// Android settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android: Option<PlatformDoc>,
}

/// The serialised form of one platform: the secret as UTF-8 text (`secret`) or as hex (`secret_hex`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct PlatformDoc {
    /// The secret as text; its UTF-8 bytes are the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The secret as hex, for secrets that are not text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hex: Option<String>,
    /// Whether identity verification is enforced.
    #[serde(default)]
    pub enforced: bool,
    /// Whether JWT mode is enforced (J4); written only when true, so HMAC-only documents keep their shape.
    #[serde(default, skip_serializing_if = "is_false")]
    pub jwt_enforced: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl PlatformDoc {
    /// Describes a secret in the most readable exact form: text when it is printable UTF-8, else hex.
    pub fn from_config(pc: &PlatformConfig) -> Self {
        let (secret, secret_hex) = match &pc.secret {
            None => (None, None),
            Some(s) => match std::str::from_utf8(s.expose()) {
                Ok(text) if text.chars().all(|c| !c.is_control()) => (Some(text.to_string()), None),
                _ => (None, Some(crate::hex::encode_lower(s.expose()))),
            },
        };
        PlatformDoc { secret, secret_hex, enforced: pc.enforced, jwt_enforced: pc.jwt_enforced }
    }

    fn to_config(&self, path: &str) -> Result<PlatformConfig, ConfigError> {
        let secret =
            match (&self.secret, &self.secret_hex) {
                (Some(_), Some(_)) => {
                    return Err(ConfigError::at_path(path.into(), "give either secret or secret_hex, not both"))
                }
                (Some(text), None) => Some(Secret::new(text.as_bytes())),
                (None, Some(hex)) => Some(Secret::new(crate::hex::decode(hex).ok_or_else(|| {
                    ConfigError::at_path(path.into(), "secret_hex is not an even number of hex digits")
                })?)),
                (None, None) => None,
            };
        if secret.as_ref().is_some_and(|s| s.expose().is_empty()) {
            return Err(ConfigError::at_path(path.into(), "the secret is empty (S5: an empty secret is refused)"));
        }
        if self.enforced && secret.is_none() {
            return Err(ConfigError::at_path(
                path.into(),
                "enforced = true but no secret is configured, so no user could ever be verified",
            ));
        }
        if self.jwt_enforced && secret.is_none() {
            return Err(ConfigError::at_path(
                path.into(),
                "jwt_enforced = true but no secret is configured, so no token could ever be verified",
            ));
        }
        Ok(PlatformConfig { secret, enforced: self.enforced, jwt_enforced: self.jwt_enforced })
    }
}

impl ConfigDoc {
    /// Checks the document and builds the configuration (empty secrets, enforcement without secret, no apps).
    pub fn to_config(&self) -> Result<Config, ConfigError> {
        if self.apps.is_empty() {
            return Err(ConfigError::at_path("apps".into(), "no app is configured"));
        }
        let mut apps = BTreeMap::new();
        for (app_id, app) in &self.apps {
            if app_id.is_empty() {
                return Err(ConfigError::at_path("apps".into(), "an app id must not be empty"));
            }
            let mut platforms = BTreeMap::new();
            for (platform, doc) in
                [(Platform::Web, &app.web), (Platform::Ios, &app.ios), (Platform::Android, &app.android)]
            {
                if let Some(doc) = doc {
                    platforms.insert(platform, doc.to_config(&format!("apps.{app_id}.{platform}"))?);
                }
            }
            if app.api_key.as_deref() == Some("") {
                return Err(ConfigError::at_path(format!("apps.{app_id}.api_key"), "the API key is empty"));
            }
            let api_key = app.api_key.as_ref().map(|k| Secret::new(k.as_bytes()));
            apps.insert(app_id.clone(), AppConfig { label: app.label.clone(), api_key, platforms });
        }
        Ok(Config { apps })
    }
}

impl Config {
    /// Parses a TOML configuration.
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        let doc: ConfigDoc = toml::from_str(text).map_err(|e| {
            let location = e.span().map(|span| line_col(text, span.start));
            ConfigError { location, message: e.message().trim().to_string() }
        })?;
        doc.to_config()
    }

    /// Parses a JSON configuration.
    pub fn from_json_str(text: &str) -> Result<Config, ConfigError> {
        let doc: ConfigDoc = serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            // serde_json appends " at line L column C"; keep the location structured instead.
            let message = message.rsplit_once(" at line ").map_or(message.clone(), |(m, _)| m.to_string());
            ConfigError { location: Some((e.line(), e.column())), message }
        })?;
        doc.to_config()
    }

    /// The serialisable form (secrets as text when printable, else hex).
    pub fn to_doc(&self) -> ConfigDoc {
        let apps = self
            .apps
            .iter()
            .map(|(id, app)| {
                let doc = |p| app.platforms.get(&p).map(PlatformDoc::from_config);
                let app_doc = AppDoc {
                    label: app.label.clone(),
                    api_key: app.api_key.as_ref().map(|k| String::from_utf8_lossy(k.expose()).into_owned()),
                    web: doc(Platform::Web),
                    ios: doc(Platform::Ios),
                    android: doc(Platform::Android),
                };
                (id.clone(), app_doc)
            })
            .collect();
        ConfigDoc { apps }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_agree() {
        let t = Config::from_toml_str(
            "[apps.ws_prod]\nlabel = \"production\"\nweb = { secret = \"w\", enforced = true }\nios = { secret_hex = \"00ff\" }\n",
        )
        .unwrap();
        let j = Config::from_json_str(r#"{"apps":{"ws_prod":{"label":"production","web":{"secret":"w","enforced":true},"ios":{"secret_hex":"00FF"}}}}"#).unwrap();
        assert_eq!(t, j);
        let app = &t.apps["ws_prod"];
        assert_eq!(app.platform(Platform::Ios).secret.unwrap().expose(), &[0, 255]);
        assert!(!app.platform(Platform::Android).enforced);
        assert_eq!(t.to_doc().to_config().unwrap(), t);
    }

    #[test]
    fn jwt_enforced_round_trips_and_defaults_off() {
        let t = Config::from_toml_str(
            "[apps.a]\nweb = { secret = \"w\", jwt_enforced = true }\nios = { secret = \"i\" }\n",
        )
        .unwrap();
        let j =
            Config::from_json_str(r#"{"apps":{"a":{"web":{"secret":"w","jwt_enforced":true},"ios":{"secret":"i"}}}}"#)
                .unwrap();
        assert_eq!(t, j);
        assert!(t.apps["a"].platform(Platform::Web).jwt_enforced);
        assert!(!t.apps["a"].platform(Platform::Ios).jwt_enforced);
        assert_eq!(t.to_doc().to_config().unwrap(), t);
        // Written only when on, so HMAC-only documents serialise as before.
        let json = serde_json::to_string(&t.to_doc()).unwrap();
        assert_eq!(json.matches("jwt_enforced").count(), 1, "{json}");
    }

    #[test]
    fn clear_errors() {
        let e =
            Config::from_toml_str("[apps.a]\nweb = { secret = \"w\" }\nwindows = { secret = \"x\" }\n").unwrap_err();
        assert!(e.message.contains("windows"), "{e}");
        assert_eq!(e.location.map(|l| l.0), Some(3), "{e}");
        let e = Config::from_toml_str("[apps.a]\nweb = { secret = \"\" }\n").unwrap_err();
        assert!(e.message.contains("apps.a.web") && e.message.contains("empty"), "{e}");
        let e = Config::from_toml_str("[apps.a]\nios = { enforced = true }\n").unwrap_err();
        assert!(e.message.contains("apps.a.ios") && e.message.contains("no secret"), "{e}");
        let e = Config::from_toml_str("[apps.a]\nweb = { jwt_enforced = true }\n").unwrap_err();
        assert!(e.message.contains("apps.a.web") && e.message.contains("jwt_enforced"), "{e}");
        let e =
            Config::from_json_str("{\"apps\":{\"a\":{\"web\":{\"secret\":\"w\",\n\"enforce\":true}}}}").unwrap_err();
        assert!(e.message.contains("enforce") && e.location.unwrap().0 == 2, "{e}");
        assert!(Config::from_toml_str("apps = {}").is_err());
        assert!(format!("{:?}", Secret::new("hunter2")).contains("redacted"));
        assert!(!format!("{:?}", Secret::new("hunter2")).contains("hunter2"));
    }
}
