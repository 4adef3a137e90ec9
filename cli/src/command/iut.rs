//! Reaching the implementation the `--reference/--cmd/--url/--lib` flags name (shared by `run`, `props`,
//! `fuzz`, `timing` and `bench`), the bundled reference over each transport, and those flags again for the
//! replay commands a report prints.
//!
//! **The reference over FFI from an installed binary.** `cargo install` installs the `ivconform` binary and
//! nothing else, so the reference cdylib (`libivconform_ffi.so`) that cargo builds beside the binary in a
//! build tree is not there. Two ways were weighed:
//! * the binary carries the cdylib's bytes and writes them to a private temporary file to `dlopen`. A
//!   `build.rs` cannot depend on a cdylib artifact on stable cargo (artifact dependencies are unstable), so
//!   it would have to run a nested `cargo build` of the ffi crate into `OUT_DIR` with the same rustc: a
//!   second build of the reference and its dependencies, target-directory locking against the outer build,
//!   features and profiles to keep in step, and a temporary executable file to create safely on every run;
//! * the binary links the ffi crate as an rlib (it does already) and its `extern "C"` entry points
//!   ([`ivconform_ffi::ENTRY_POINTS`]) are called through the same function-pointer path a loaded library
//!   gets ([`ivconform_harness::abi::AbiLibrary::linked`]), in the same disposable `ffi-host`/`ffi-bench`
//!   child, with the same ABI-version check, JSON-lines framing, answer cap and crash containment.
//!
//! The second is chosen: nothing to build twice, nothing written to disk, nothing that can go stale. What it
//! does not exercise is `dlopen`/`dlsym` of the reference, so when the cdylib *is* beside the binary (a build
//! tree) it is still preferred, and the run header says which one ran ([`ReferenceLibrary::describe`]).

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
    /// The reference over the C ABI: its cdylib (libivconform_ffi.so) when built beside the binary, else its
    /// entry points linked into it, in an `ffi-host` child either way.
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
    /// With --url: wait up to SECS for the server to come up (retrying the connection and hello every
    /// 0.2 s), for a server started just before ivconform.
    #[arg(long, value_name = "SECS", value_parser = crate::value::seconds, help_heading = "Implementation under test")]
    pub wait: Option<Duration>,
}

/// `--url URL --wait SECS`: retries connecting and saying hello until the server answers (any answer: a
/// server that answers wrongly is up, and the command reports what it says) or `wait` has passed.
pub fn wait_for_server(connector: &dyn Connector, url: &str, wait: Duration) -> Result<(), Failure> {
    use ivconform_harness::transport::CallError;
    let started = std::time::Instant::now();
    let hello = ivconform_protocol::Request::Hello {
        seq: 0,
        protocol: ivconform_protocol::PROTOCOL.into(),
        suite_version: ivconform_vectors::SUITE_VERSION.into(),
    };
    let mut said = false;
    loop {
        let error = match connector.connect() {
            Ok(mut t) => {
                let answer = t.call(&hello);
                t.close();
                match answer {
                    Err(e @ (CallError::Unreachable(_) | CallError::Crash(_))) => e,
                    _ => {
                        if said {
                            eprintln!("ivconform: {url} is up after {:.1} s", started.elapsed().as_secs_f64());
                        }
                        return Ok(());
                    }
                }
            }
            Err(e) => e,
        };
        if started.elapsed() >= wait {
            return Err(Failure::unreachable(format!(
                "--url {url}: not up after --wait {} s (last attempt: {error})",
                wait.as_secs_f64()
            )));
        }
        if !said {
            eprintln!("ivconform: waiting up to {} s for {url} ({error})", wait.as_secs_f64());
            said = true;
        }
        std::thread::sleep(Duration::from_millis(200).min(wait.saturating_sub(started.elapsed())));
    }
}

/// `--wait` is for `--url` only.
pub fn check_wait(iut: &IutArgs) -> Result<(), Failure> {
    if iut.wait.is_some() && iut.url.is_none() {
        return Err(Failure::usage("--wait waits for a server: it needs --url URL"));
    }
    Ok(())
}

/// The HTTP connector for `--url`, after `--wait` when given.
pub fn http_connector(iut: &IutArgs, url: &str, timeout: Duration) -> Result<HttpConnector, Failure> {
    let connector = HttpConnector::new(url, timeout).map_err(Failure::usage)?;
    if let Some(wait) = iut.wait {
        wait_for_server(&connector, url, wait)?;
    }
    Ok(connector)
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
    check_wait(iut)?;
    let plain = |connector: Box<dyn Connector>| Ok(Iut { connector, guard: None });
    if let Some(cmd) = &iut.cmd {
        plain(Box::new(StdioConnector::shell(cmd, timeout)))
    } else if let Some(url) = &iut.url {
        http_connector(iut, url, timeout).and_then(|c| plain(Box::new(c)))
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

/// Where the reference's C ABI comes from for `--reference ffi` (see the module comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceLibrary {
    /// The cdylib cargo built beside this executable (a build tree), loaded with `dlopen` in the child.
    File(PathBuf),
    /// No cdylib beside the executable (an installed binary): its entry points linked into it.
    Linked,
}

impl ReferenceLibrary {
    /// The library file, when there is one: what `ffi-host`, `ffi-timing` and `ffi-bench` get as `--lib`.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            ReferenceLibrary::File(path) => Some(path),
            ReferenceLibrary::Linked => None,
        }
    }

    /// How reports name it.
    pub fn describe(&self) -> String {
        match self {
            ReferenceLibrary::File(path) => format!("ffi: {}", path.display()),
            ReferenceLibrary::Linked => ivconform_harness::transport::ffi::LINKED_REFERENCE.into(),
        }
    }

    /// The connector for `run`, `props` and `fuzz`.
    pub fn connector(&self, timeout: Duration) -> FfiConnector {
        match self {
            ReferenceLibrary::File(path) => FfiConnector::new(path.clone(), timeout),
            ReferenceLibrary::Linked => FfiConnector::linked_reference(timeout),
        }
    }
}

/// The reference cdylib when cargo built it beside this executable (`target/<profile>/deps/
/// libivconform_ffi.so`), else the entry points linked into it.
pub fn reference_library() -> Result<ReferenceLibrary, String> {
    let exe = exe()?;
    let dir = exe.parent().ok_or("the executable has no directory")?;
    let name = format!("{}ivconform_ffi{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    // cargo refreshes deps/ on every build of the harness, the copy beside it only when the ffi crate is built
    // on its own: take the newest, so a stale copy is never tested.
    let file = [dir.join("deps").join(&name), dir.join(&name), dir.join("..").join(&name)]
        .into_iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    Ok(file.map_or(ReferenceLibrary::Linked, ReferenceLibrary::File))
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
        ReferenceMode::Ffi => plain(Box::new(reference_library()?.connector(timeout))),
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
