//! stdio transport: the IUT is a child process speaking JSON lines (`--cmd "python3 adapter.py"`).
//!
//! The child leads its own process group ([`crate::process`]); "killed" below means the whole group. A writer
//! thread owns the child's stdin, so a child that stops reading cannot block the harness past the call's
//! deadline (a 2 MiB request line does not fit a 64 KiB pipe). A reader thread turns the child's stdout into
//! bounded lines on a channel, so a hang is a timeout (killed), a line over the cap is a protocol error
//! (killed), EOF is a crash with the exit status or signal, and a child that exits while a process it started
//! still holds stdout is a crash too, not a timeout. A line answering an earlier request (a second answer)
//! is kept apart as unsolicited output of that request. stderr is drained into a bounded buffer for crash
//! reports and the leak scan. The runner opens a fresh connection (a new child) after any failure.

use super::{decode_response, CallError, Connector, Exchange, Transport, Unsolicited, MAX_RECEIVED_BYTES};
use crate::lines::BoundedLines;
use crate::process::{self, GroupChild};
use ivconform_protocol::{Request, MAX_RESPONSE_BYTES};
use std::collections::VecDeque;
use std::io::{BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most stderr kept between two reads of it (the newest bytes win); the runner reads it after every case.
pub const MAX_STDERR_BYTES: usize = 1024 * 1024;

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

/// One item from the reader thread: a line, or an over-long line (its length and first bytes).
enum Line {
    Ok(Vec<u8>),
    Overlong { len: usize, head: Vec<u8> },
}

struct Conn {
    child: GroupChild,
    /// Request lines for the writer thread (which owns the child's stdin, so a child that stops reading
    /// blocks that thread, never the caller: the call's deadline still holds).
    writer: Option<Sender<Vec<u8>>>,
    /// Set by the writer thread when a write failed (the child closed its stdin).
    write_failed: Arc<AtomicBool>,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_thread: Option<std::thread::JoinHandle<()>>,
    timeout: Duration,
    /// Seqs of the requests sent on this connection, most recent last (a bounded window).
    sent: VecDeque<u64>,
    received: Vec<u8>,
    unsolicited: Vec<Unsolicited>,
}

/// How many earlier seqs a late answer is recognised by.
const SEQ_WINDOW: usize = 64;

impl Connector for StdioConnector {
    fn connect(&self) -> Result<Box<dyn Transport>, CallError> {
        let mut cmd = self.launch.command();
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = process::spawn(&mut cmd)
            .map_err(|e| CallError::Unreachable(format!("cannot start {}: {e}", self.label)))?;
        let stdout = child.child.stdout.take().expect("stdout is piped");
        let stderr_pipe = child.child.stderr.take().expect("stderr is piped");
        let stdin = child.child.stdin.take().expect("stdin is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BoundedLines::new(BufReader::with_capacity(64 * 1024, stdout), MAX_RESPONSE_BYTES);
            loop {
                let item = match reader.next_line() {
                    Ok(Some(Ok(line))) => Line::Ok(line),
                    Ok(Some(Err(len))) => Line::Overlong { len, head: std::mem::take(&mut reader.overlong_head) },
                    Ok(None) | Err(_) => return, // EOF: dropping tx tells the caller
                };
                let stop = matches!(item, Line::Overlong { .. });
                if tx.send(item).is_err() || stop {
                    return;
                }
            }
        });
        let (writer, requests) = mpsc::channel::<Vec<u8>>();
        let write_failed = Arc::new(AtomicBool::new(false));
        let failed = Arc::clone(&write_failed);
        std::thread::spawn(move || {
            let mut stdin = stdin;
            for line in requests {
                if stdin.write_all(&line).and_then(|()| stdin.flush()).is_err() {
                    failed.store(true, Ordering::SeqCst);
                    return;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        let stderr_thread = Some(std::thread::spawn(move || drain_stderr(stderr_pipe, &sink)));
        Ok(Box::new(Conn {
            child,
            writer: Some(writer),
            write_failed,
            lines,
            stderr,
            stderr_thread,
            timeout: self.timeout,
            sent: VecDeque::new(),
            received: Vec::new(),
            unsolicited: Vec::new(),
        }))
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

/// Copies `pipe` into `sink` until EOF, keeping only the newest [`MAX_STDERR_BYTES`].
pub(crate) fn drain_stderr(mut pipe: impl Read, sink: &Mutex<Vec<u8>>) {
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
        match self.child.wait_for(Duration::from_millis(500)) {
            Some(status) => describe_status(status),
            None => "closed its stdout but is still running".into(),
        }
    }

    /// Kills the child's whole process group and reaps it.
    fn kill(&mut self) {
        self.writer = None;
        self.child.kill_group();
    }

    /// Keeps what the IUT sent for the leak scan, up to [`MAX_RECEIVED_BYTES`] per call.
    fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_RECEIVED_BYTES.saturating_sub(self.received.len());
        self.received.extend_from_slice(&bytes[..room.min(bytes.len())]);
        if !self.received.is_empty() {
            self.received.push(b'\n');
        }
    }

    /// Lines that arrived while no request was waiting: output of the last request sent.
    fn drain_pending(&mut self) {
        while let Ok(item) = self.lines.try_recv() {
            let bytes = match item {
                Line::Ok(b) => b,
                Line::Overlong { head, .. } => head,
            };
            self.keep(&bytes);
            if let Some(&after_seq) = self.sent.back() {
                self.unsolicited.push(Unsolicited { after_seq, bytes });
            }
        }
    }
}

/// The `seq` of a line that looks like a protocol message, if it has one.
fn seq_of(line: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: u64,
    }
    serde_json::from_slice::<Seq>(line).ok().map(|s| s.seq)
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
        let deadline = Instant::now() + self.timeout;
        self.received.clear();
        self.drain_pending();
        let mut line = serde_json::to_vec(request).expect("requests serialise");
        line.push(b'\n');
        let seq = request.seq();
        self.sent.push_back(seq);
        if self.sent.len() > SEQ_WINDOW {
            self.sent.pop_front();
        }
        if self.writer.as_ref().is_none_or(|w| w.send(line).is_err()) {
            let why = self.death();
            return Err(CallError::Crash(format!("stdin closed before the request was sent: {why}")));
        }
        // The child may exit while a process it started keeps stdout open: then no EOF ever comes, so the
        // leader's status is polled between slices of the wait.
        let mut exited_at: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if now >= deadline {
                self.kill();
                return Err(CallError::Timeout(self.timeout));
            }
            let slice = (deadline - now).min(Duration::from_millis(50));
            match self.lines.recv_timeout(slice) {
                Ok(Line::Ok(raw)) => {
                    self.keep(&raw);
                    match seq_of(&raw) {
                        // An answer to an earlier request on this connection (a second answer, a late one):
                        // that case's output, not this one's.
                        Some(s) if s != seq && self.sent.iter().rev().skip(1).any(|&x| x == s) => {
                            self.unsolicited.push(Unsolicited { after_seq: s, bytes: raw });
                        }
                        _ => return decode_response(request, &raw),
                    }
                }
                Ok(Line::Overlong { len, head }) => {
                    self.keep(&head);
                    self.kill();
                    return Err(CallError::Protocol(format!(
                        "a response line of {len}+ bytes is over the {MAX_RESPONSE_BYTES}-byte cap"
                    )));
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(status) = self.child.try_wait() {
                        // Grace for an answer already in the pipe, then it is a crash, not a timeout.
                        let at = *exited_at.get_or_insert_with(Instant::now);
                        if at.elapsed() > Duration::from_millis(200) {
                            let how = describe_status(status);
                            self.kill();
                            return Err(CallError::Crash(format!(
                                "{how} without an answer (a process it started still holds its stdout)"
                            )));
                        }
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let why = self.death();
                    let stdin =
                        if self.write_failed.load(Ordering::SeqCst) { " (it had closed its stdin)" } else { "" };
                    return Err(CallError::Crash(format!("stdout closed without an answer: {why}{stdin}")));
                }
            }
        }
    }

    fn take_stderr(&mut self) -> String {
        let mut kept = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let text = String::from_utf8_lossy(&kept).into_owned();
        kept.clear();
        text
    }

    fn take_received(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.received)
    }

    fn take_unsolicited(&mut self) -> Vec<Unsolicited> {
        self.drain_pending();
        std::mem::take(&mut self.unsolicited)
    }

    fn close(&mut self) {
        // Polite goodbye, then the whole group is killed whatever it did (grandchildren included).
        self.drain_pending();
        if let Some(writer) = self.writer.take() {
            let bye = Request::Bye { seq: u64::MAX };
            let _ = writer.send(format!("{}\n", serde_json::to_string(&bye).expect("serialises")).into_bytes());
            drop(writer);
            let _ = self.lines.recv_timeout(Duration::from_millis(200));
            let _ = self.child.wait_for(Duration::from_millis(200));
        }
        self.child.kill_group();
        // Everything written to stderr up to now, for the last leak scan: the pipe closes once the group is dead.
        if let Some(t) = self.stderr_thread.take() {
            let until = Instant::now() + Duration::from_millis(500);
            while !t.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.kill();
    }
}
