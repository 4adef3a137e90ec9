//! stdio transport: the IUT is a child process speaking JSON lines (`--cmd "python3 adapter.py"`).
//!
//! A reader thread turns the child's stdout into bounded lines on a channel, so a hang is a timeout (the
//! child is killed), a line over the cap is a protocol error (the child is killed), and EOF is a crash with
//! the child's exit status or signal. stderr is drained into a bounded buffer for crash reports and the
//! oracle-leak scan. The runner opens a fresh connection (a new child) after any of these.

use super::{decode_response, CallError, Connector, Exchange, Transport};
use crate::lines::BoundedLines;
use ivconform_protocol::{Request, MAX_RESPONSE_BYTES};
use std::io::{BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most stderr kept per connection (the newest bytes win).
pub const MAX_STDERR_BYTES: usize = 64 * 1024;

/// How to start the child (shared with `bench`'s pipelined stdio driver).
#[derive(Debug, Clone)]
pub enum Launch {
    /// A shell command line (`sh -c`).
    Shell(String),
    /// A program and its arguments.
    Program(PathBuf, Vec<String>),
}

impl Launch {
    /// The command that starts the child (its stdio not yet set).
    pub fn command(&self) -> Command {
        match self {
            Launch::Shell(line) => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(line);
                c
            }
            Launch::Program(p, args) => {
                let mut c = Command::new(p);
                c.args(args);
                c
            }
        }
    }
}

/// Starts IUT child processes that speak JSON lines.
#[derive(Debug, Clone)]
pub struct StdioConnector {
    launch: Launch,
    timeout: Duration,
    label: String,
}

impl StdioConnector {
    /// A child started by `sh -c COMMAND`.
    pub fn shell(command: &str, timeout: Duration) -> Self {
        StdioConnector { launch: Launch::Shell(command.into()), timeout, label: format!("stdio: {command}") }
    }

    /// A child started from a program path and arguments (no shell), described as `label` in reports.
    pub fn program(program: PathBuf, args: Vec<String>, timeout: Duration, label: String) -> Self {
        StdioConnector { launch: Launch::Program(program, args), timeout, label }
    }
}

type Line = Result<Vec<u8>, String>;

struct Conn {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<Vec<u8>>>,
    timeout: Duration,
}

impl Connector for StdioConnector {
    fn connect(&self) -> Result<Box<dyn Transport>, CallError> {
        let mut cmd = self.launch.command();
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| CallError::Unreachable(format!("cannot start {}: {e}", self.label)))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr_pipe = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader =
                BoundedLines { input: BufReader::with_capacity(64 * 1024, stdout), limit: MAX_RESPONSE_BYTES };
            loop {
                let item = match reader.next_line() {
                    Ok(Some(Ok(line))) => Ok(line),
                    Ok(Some(Err(len))) => {
                        let _ = tx.send(Err(format!(
                            "a response line of {len}+ bytes is over the {MAX_RESPONSE_BYTES}-byte cap"
                        )));
                        return;
                    }
                    Ok(None) | Err(_) => return, // EOF: dropping tx tells the caller
                };
                if tx.send(item).is_err() {
                    return;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || drain_stderr(stderr_pipe, &sink));
        Ok(Box::new(Conn { stdin: child.stdin.take(), child, lines, stderr, timeout: self.timeout }))
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

fn drain_stderr(mut pipe: impl Read, sink: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf) {
        if n == 0 {
            return;
        }
        let mut kept = sink.lock().unwrap_or_else(|e| e.into_inner());
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > MAX_STDERR_BYTES {
            let cut = kept.len() - MAX_STDERR_BYTES;
            kept.drain(..cut);
        }
    }
}

impl Conn {
    /// Why the child is gone, waiting briefly for its status.
    fn death(&mut self) -> String {
        for _ in 0..50 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return describe_status(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        "closed its stdout but is still running".into()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// "exited with status 3" or "killed by signal 11 (SIGSEGV)".
pub fn describe_status(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {sig}{}", signal_name(sig));
        }
    }
    match status.code() {
        // `sh -c` reports a child killed by signal N as status 128 + N.
        Some(code @ 129..=159) => {
            let sig = code - 128;
            format!("exited with status {code} (a shell's report of signal {sig}{})", signal_name(sig))
        }
        Some(code) => format!("exited with status {code}"),
        None => "exited".into(),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        4 => " (SIGILL)",
        6 => " (SIGABRT)",
        7 => " (SIGBUS)",
        8 => " (SIGFPE)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    }
}

impl Transport for Conn {
    fn call(&mut self, request: &Request) -> Result<Exchange, CallError> {
        let mut line = serde_json::to_vec(request).expect("requests serialise");
        line.push(b'\n');
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(&line).and_then(|()| stdin.flush()),
            None => Err(std::io::Error::other("stdin already closed")),
        };
        if written.is_err() {
            let why = self.death();
            return Err(CallError::Crash(format!("stdin closed before the request was sent: {why}")));
        }
        match self.lines.recv_timeout(self.timeout) {
            Ok(Ok(raw)) => decode_response(request, &raw),
            Ok(Err(oversize)) => {
                self.kill();
                Err(CallError::Protocol(oversize))
            }
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                Err(CallError::Timeout(self.timeout))
            }
            Err(RecvTimeoutError::Disconnected) => {
                let why = self.death();
                Err(CallError::Crash(format!("stdout closed without an answer: {why}")))
            }
        }
    }

    fn take_stderr(&mut self) -> String {
        let mut kept = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let text = String::from_utf8_lossy(&kept).into_owned();
        kept.clear();
        text
    }

    fn close(&mut self) {
        // Polite goodbye, then make sure the child is gone.
        if let Some(mut stdin) = self.stdin.take() {
            let bye = Request::Bye { seq: u64::MAX };
            let _ = stdin.write_all(format!("{}\n", serde_json::to_string(&bye).expect("serialises")).as_bytes());
            drop(stdin);
            let _ = self.lines.recv_timeout(Duration::from_millis(200));
        }
        for _ in 0..200 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        self.kill();
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}
