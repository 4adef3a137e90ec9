//! Reaching the implementation the `--reference/--cmd/--url/--lib` flags name (shared by `run`, `props`,
//! `fuzz`, `timing` and `bench`), the bundled reference over each transport, and those flags again for the
//! replay commands a report prints.

use crate::exit::Failure;

use clap::{Args, ValueEnum};
use ivconform_harness::transport::ffi::FfiConnector;
use ivconform_harness::transport::http::HttpConnector;
use ivconform_harness::transport::inproc::InProcess;
use ivconform_harness::transport::stdio::StdioConnector;
use ivconform_harness::transport::Connector;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Which transport carries the bundled reference for `run --reference`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceMode {
    /// Linked into the harness (fastest).
    Inproc,
    /// `ivconform serve --stdio` as a child process.
    Stdio,
    /// `ivconform serve --http 127.0.0.1:0` as a child process, over HTTP.
    Http,
    /// The reference cdylib (libivconform_ffi.so) over the C ABI.
    Ffi,
}

/// Which implementation to reach, shared by `props` and `timing` (the same choices as `run`).
#[derive(Args, Debug, Clone)]
pub struct IutArgs {
    /// Test the bundled reference implementation over the given transport.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "inproc", group = "iut", help_heading = "Implementation under test")]
    pub reference: Option<ReferenceMode>,
    /// Start the IUT with this shell command; it speaks JSON lines on stdin/stdout.
    #[arg(long, value_name = "COMMAND", group = "iut", help_heading = "Implementation under test")]
    pub cmd: Option<String>,
    /// POST protocol messages to this http:// URL.
    #[arg(long, value_name = "URL", group = "iut", help_heading = "Implementation under test")]
    pub url: Option<String>,
    /// Load this shared library (include/ivconform.h) in a disposable child process.
    #[arg(long, value_name = "PATH", group = "iut", help_heading = "Implementation under test")]
    pub lib: Option<PathBuf>,
}

/// A connector for the IUT the flags name, and whatever must outlive it (a reference server child).
pub struct Iut {
    /// The connector.
    pub connector: Box<dyn Connector>,
    /// Keeps a reference server child alive as long as the connector is used.
    pub guard: Option<ReferenceIut>,
}

/// Builds the IUT's connector from `--reference/--cmd/--url/--lib`; or why it cannot be reached.
pub fn connect_iut(iut: &IutArgs, timeout: Duration) -> Result<Iut, Failure> {
    let plain = |connector: Box<dyn Connector>| Ok(Iut { connector, guard: None });
    if let Some(cmd) = &iut.cmd {
        plain(Box::new(StdioConnector::shell(cmd, timeout)))
    } else if let Some(url) = &iut.url {
        HttpConnector::new(url, timeout).map_err(Failure::usage).and_then(|c| plain(Box::new(c)))
    } else if let Some(lib) = &iut.lib {
        if !lib.is_file() {
            return Err(Failure::usage(format!("--lib {}: no such file", lib.display())));
        }
        plain(Box::new(FfiConnector::new(lib.clone(), timeout)))
    } else if let Some(mode) = iut.reference {
        let mut r = connect_reference(mode, timeout).map_err(Failure::unreachable)?;
        let connector = std::mem::replace(&mut r.connector, Box::new(ivconform_harness::transport::inproc::InProcess));
        Ok(Iut { connector, guard: Some(r) })
    } else {
        Err(Failure::usage(
            "say which implementation to test: --reference, --cmd COMMAND, --url URL or --lib PATH (see --help)",
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

// ------------------------------------------------------------------------------------ the bundled reference

/// A connector to the reference plus whatever must live as long as it (the HTTP server child).
pub struct ReferenceIut {
    /// The connector.
    pub connector: Box<dyn Connector>,
    server: Option<ivconform_harness::process::GroupChild>,
}

impl Drop for ReferenceIut {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            child.kill_group();
        }
    }
}

fn exe() -> Result<PathBuf, String> {
    ivconform_harness::helper::exe()
}

/// The reference cdylib, built by cargo next to the harness (`target/<profile>/deps/libivconform_ffi.so`).
pub fn reference_library() -> Result<PathBuf, String> {
    let exe = exe()?;
    let dir = exe.parent().ok_or("the executable has no directory")?;
    let name = format!("{}ivconform_ffi{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    // cargo refreshes deps/ on every build of the harness, the copy beside it only when the ffi crate is built
    // on its own: take the newest, so a stale copy is never tested.
    [dir.join("deps").join(&name), dir.join(&name), dir.join("..").join(&name)]
        .into_iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .ok_or_else(|| {
            format!(
                "{name} not found next to {} (build it with `cargo build -p ivconform-ffi` in the same profile)",
                exe.display()
            )
        })
}

/// Starts what the mode needs and returns a connector to it.
pub fn connect_reference(mode: ReferenceMode, timeout: Duration) -> Result<ReferenceIut, String> {
    let plain = |connector: Box<dyn Connector>| Ok(ReferenceIut { connector, server: None });
    match mode {
        ReferenceMode::Inproc => plain(Box::new(InProcess)),
        ReferenceMode::Stdio => plain(Box::new(StdioConnector::program(
            exe()?,
            vec!["serve".into(), "--stdio".into()],
            timeout,
            "stdio: ivconform serve --stdio".into(),
        ))),
        ReferenceMode::Ffi => plain(Box::new(FfiConnector::new(reference_library()?, timeout))),
        ReferenceMode::Http => {
            let mut cmd = Command::new(exe()?);
            cmd.args(["serve", "--http", "127.0.0.1:0", "--threads", "4"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit());
            let mut child = ivconform_harness::process::spawn(&mut cmd)
                .map_err(|e| format!("cannot start ivconform serve --http: {e}"))?;
            let stdout = child.child.stdout.take().expect("piped");
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = BufReader::new(stdout).read_line(&mut line);
                let _ = tx.send(line);
            });
            let line = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
            let Some(url) = line.trim().strip_prefix("listening on ") else {
                child.kill_group();
                return Err(format!("ivconform serve --http did not report its address (said {line:?})"));
            };
            let connector = HttpConnector::new(url, timeout)?;
            Ok(ReferenceIut { connector: Box::new(connector), server: Some(child) })
        }
    }
}
