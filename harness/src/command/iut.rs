//! Reaching the implementation the `--reference/--cmd/--url/--lib` flags name (shared by `run`, `props`,
//! `fuzz` and `bench`), and those flags again for the replay commands a report prints.

use super::{EXIT_UNREACHABLE, EXIT_USAGE};
use crate::cli::{IutArgs, ReferenceMode};
use crate::transport::ffi::FfiConnector;
use crate::transport::http::HttpConnector;
use crate::transport::stdio::StdioConnector;
use crate::transport::Connector;
use std::time::Duration;

/// A connector for the IUT the flags name, and whatever must outlive it (a reference server child).
pub struct Iut {
    /// The connector.
    pub connector: Box<dyn Connector>,
    /// Keeps a reference server child alive as long as the connector is used.
    pub guard: Option<super::reference::ReferenceIut>,
}

/// Builds the IUT's connector from `--reference/--cmd/--url/--lib`; `Err((exit code, message))`.
pub fn connect_iut(iut: &IutArgs, timeout: Duration) -> Result<Iut, (u8, String)> {
    let plain = |connector: Box<dyn Connector>| Ok(Iut { connector, guard: None });
    if let Some(cmd) = &iut.cmd {
        plain(Box::new(StdioConnector::shell(cmd, timeout)))
    } else if let Some(url) = &iut.url {
        HttpConnector::new(url, timeout).map_err(|e| (EXIT_USAGE, e)).and_then(|c| plain(Box::new(c)))
    } else if let Some(lib) = &iut.lib {
        if !lib.is_file() {
            return Err((EXIT_USAGE, format!("--lib {}: no such file", lib.display())));
        }
        plain(Box::new(FfiConnector::new(lib.clone(), timeout)))
    } else if let Some(mode) = iut.reference {
        let mut r = super::reference::connect(mode, timeout).map_err(|e| (EXIT_UNREACHABLE, e))?;
        let connector = std::mem::replace(&mut r.connector, Box::new(crate::transport::inproc::InProcess));
        Ok(Iut { connector, guard: Some(r) })
    } else {
        Err((
            EXIT_USAGE,
            "say which implementation to test: --reference, --cmd COMMAND, --url URL or --lib PATH (see --help)".into(),
        ))
    }
}

/// The IUT flags again, for the replay command (shell-quoted).
pub fn iut_flags(iut: &IutArgs) -> String {
    let quote = |s: &str| {
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c)) {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    if let Some(cmd) = &iut.cmd {
        format!("--cmd {}", quote(cmd))
    } else if let Some(url) = &iut.url {
        format!("--url {}", quote(url))
    } else if let Some(lib) = &iut.lib {
        format!("--lib {}", quote(&lib.display().to_string()))
    } else {
        match iut.reference {
            Some(ReferenceMode::Stdio) => "--reference stdio".into(),
            Some(ReferenceMode::Http) => "--reference http".into(),
            Some(ReferenceMode::Ffi) => "--reference ffi".into(),
            _ => "--reference".into(),
        }
    }
}
