//! The three messenger platforms, each with its own secret and enforcement switch (V2, V8).

use std::fmt;
use std::str::FromStr;

/// The platform a boot request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// The web messenger.
    Web,
    /// The iOS SDK.
    Ios,
    /// The Android SDK.
    Android,
}

impl Platform {
    /// All platforms, in a fixed order.
    pub const ALL: [Platform; 3] = [Platform::Web, Platform::Ios, Platform::Android];

    /// The lowercase name used in configurations, vectors and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Web => "web",
            Platform::Ios => "ios",
            Platform::Android => "android",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returned for a platform name other than web, ios and android.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown platform {0:?}: expected one of web, ios, android")]
pub struct UnknownPlatform(pub String);

impl FromStr for Platform {
    type Err = UnknownPlatform;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| UnknownPlatform(s.to_string()))
    }
}
