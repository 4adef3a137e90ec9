//! Reaching the bundled reference over each transport, for `run --reference MODE`.

use crate::cli::ReferenceMode;
use crate::transport::ffi::FfiConnector;
use crate::transport::http::HttpConnector;
use crate::transport::inproc::InProcess;
use crate::transport::stdio::StdioConnector;
use crate::transport::Connector;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A connector to the reference plus whatever must live as long as it (the HTTP server child).
pub struct ReferenceIut {
    /// The connector.
    pub connector: Box<dyn Connector>,
    server: Option<Child>,
}

impl Drop for ReferenceIut {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn exe() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("cannot find the ivconform executable: {e}"))
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
pub fn connect(mode: ReferenceMode, timeout: Duration) -> Result<ReferenceIut, String> {
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
            let mut child = Command::new(exe()?)
                .args(["serve", "--http", "127.0.0.1:0", "--threads", "4"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| format!("cannot start ivconform serve --http: {e}"))?;
            let stdout = child.stdout.take().expect("piped");
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = BufReader::new(stdout).read_line(&mut line);
                let _ = tx.send(line);
            });
            let line = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
            let Some(url) = line.trim().strip_prefix("listening on ") else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("ivconform serve --http did not report its address (said {line:?})"));
            };
            let connector = HttpConnector::new(url, timeout)?;
            Ok(ReferenceIut { connector: Box::new(connector), server: Some(child) })
        }
    }
}
