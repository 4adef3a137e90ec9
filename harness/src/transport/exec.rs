//! One-shot signer transport (`--sign-exec CMD`): the IUT is a command run once per `sign` case, with the
//! request's fields as one JSON object on stdin and the answer on stdout (docs/PROTOCOL.md, "One-shot
//! signers").
//!
//! Each run of `sh -c CMD` leads its own process group ([`crate::process`]) and is killed as a group: on the
//! per-case timeout, when its stdout goes over the cap, and after it exits (a child it forked that is still
//! running, or still holds stdout, is killed then; the harness waits for it at most 200 ms). A writer thread
//! feeds stdin, so a signer that never reads it cannot block the call; stdout is read up to
//! [`MAX_RECEIVED_BYTES`] and stderr (its newest [`super::stdio::MAX_STDERR_BYTES`]) by two threads. The answer:
//! * stdout (one trailing newline allowed) `error:CLASS` is a refusal of that class; empty is "no hash
//!   produced" (`user_hash: null`); any other single line is the `user_hash`, graded as usual; more than one
//!   line, or bytes that are not UTF-8, are a protocol error;
//! * a non-zero exit or a signal is a crash (the runner adds stderr's last line); no exit within the timeout
//!   is a timeout.
//!
//! A one-shot signer has no `hello`: the connection answers it for the command, claiming `sign` only, with the
//! limits declared by flags (`--declare-secret-text`, `--declare-identifier`).

use super::stdio::{describe_status, drain_stderr};
use super::{preview, CallError, Connector, Exchange, Transport, MAX_RECEIVED_BYTES};
use crate::process;
use ivconform_protocol::{Capability, Hello, Limits, Request, Response, MAX_RESPONSE_BYTES};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a signer that exited may leave a process of its own holding stdout before that process is killed.
const LINGER: Duration = Duration::from_millis(200);

/// Name the synthesised `hello` gives a one-shot signer.
pub const NAME: &str = "one-shot signer";

/// Runs a one-shot signer command once per `sign` case.
#[derive(Debug, Clone)]
pub struct ExecConnector {
    command: String,
    timeout: Duration,
    limits: Option<Limits>,
}

impl ExecConnector {
    /// The signer `sh -c COMMAND`, each run bounded by `timeout`, with what its API is declared not to express.
    pub fn new(command: &str, timeout: Duration, limits: Option<Limits>) -> Self {
        ExecConnector { command: command.into(), timeout, limits: limits.filter(|l| !l.is_empty() || l.note.is_some()) }
    }
}

impl Connector for ExecConnector {
    fn connect(&self) -> Result<Box<dyn Transport>, CallError> {
        Ok(Box::new(ExecConn { signer: self.clone(), stderr: String::new(), received: Vec::new() }))
    }

    fn describe(&self) -> String {
        format!("sign-exec: {}", self.command)
    }
}

struct ExecConn {
    signer: ExecConnector,
    /// stderr of the last run.
    stderr: String,
    /// stdout of the last run (for the leak scan).
    received: Vec<u8>,
}

/// The `sign` message's fields as the signer's stdin: one JSON object on one line, absent keys absent and
/// values as sent (an integer stays an integer, `null` stays `null`).
pub fn stdin_json(secret_hex: &str, user_id: Option<&serde_json::Value>, email: Option<&serde_json::Value>) -> String {
    let mut out = format!("{{\"secret_hex\":{}", serde_json::Value::from(secret_hex));
    for (key, value) in [("user_id", user_id), ("email", email)] {
        if let Some(v) = value {
            out.push_str(&format!(",\"{key}\":{v}"));
        }
    }
    out.push_str("}\n");
    out
}

/// What a signer's stdout says: `Ok` with the `sign` answer it stands for, or why it is not an answer.
pub fn parse_stdout(seq: u64, stdout: &[u8]) -> Result<Response, String> {
    let text = std::str::from_utf8(stdout).map_err(|e| format!("the signer's stdout is not UTF-8: {e}"))?;
    let body = match text.strip_suffix('\n') {
        Some(t) => t.strip_suffix('\r').unwrap_or(t),
        None => text,
    };
    if body.contains(['\n', '\r']) {
        return Err(format!(
            "the signer's stdout must be one line (the 64-hex hash, error:CLASS, or nothing), not {}",
            preview(text)
        ));
    }
    let sign = |user_hash: Option<String>, error: Option<String>| Response::Sign {
        seq,
        user_hash,
        identifier_source: None,
        identifier_hex: None,
        error,
    };
    Ok(match body.strip_prefix("error:") {
        Some(class) => sign(None, Some(class.to_string())),
        None if body.is_empty() => sign(None, None),
        None => sign(Some(body.to_string()), None),
    })
}

impl ExecConn {
    fn hello(&self) -> Hello {
        Hello {
            name: NAME.into(),
            version: "-".into(),
            language: "exec".into(),
            capabilities: vec![Capability::Sign],
            protocol: Some(ivconform_protocol::PROTOCOL.into()),
            limits: self.signer.limits.clone(),
        }
    }

    /// Runs the signer once on `input`; its exit status and stdout, or how the run failed.
    fn run_once(&mut self, input: String) -> Result<(std::process::ExitStatus, Vec<u8>), CallError> {
        let timeout = self.signer.timeout;
        let deadline = Instant::now() + timeout;
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(&self.signer.command).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = process::spawn(&mut cmd)
            .map_err(|e| CallError::Unreachable(format!("cannot start sh -c {:?}: {e}", self.signer.command)))?;
        let mut stdin = child.child.stdin.take().expect("stdin is piped");
        let mut stdout = child.child.stdout.take().expect("stdout is piped");
        let stderr_pipe = child.child.stderr.take().expect("stderr is piped");
        // A signer that never reads its stdin blocks only this thread (and is killed with its group).
        std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let out = Arc::new(Mutex::new(Vec::new()));
        let overflow = Arc::new(AtomicBool::new(false));
        let (done, finished) = mpsc::channel::<()>();
        {
            let (out, overflow) = (Arc::clone(&out), Arc::clone(&overflow));
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match stdout.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let mut kept = out.lock().unwrap_or_else(|e| e.into_inner());
                            let room = MAX_RECEIVED_BYTES.saturating_sub(kept.len());
                            kept.extend_from_slice(&buf[..n.min(room)]);
                            if kept.len() > MAX_RESPONSE_BYTES {
                                overflow.store(true, Ordering::SeqCst);
                                break;
                            }
                        }
                    }
                }
                let _ = done.send(());
            });
        }
        let err = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&err);
        let stderr_thread = std::thread::spawn(move || drain_stderr(stderr_pipe, &sink));

        // Wait for stdout to end (EOF or over the cap), or for the leader to exit and LINGER to pass.
        let mut exited_at: Option<Instant> = None;
        let mut outcome: Option<CallError> = None;
        loop {
            let now = Instant::now();
            if now >= deadline {
                outcome = Some(CallError::Timeout(timeout));
                break;
            }
            match finished.recv_timeout((deadline - now).min(Duration::from_millis(20))) {
                Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    if child.try_wait().is_some() && exited_at.get_or_insert_with(Instant::now).elapsed() > LINGER {
                        break;
                    }
                }
            }
        }
        if overflow.load(Ordering::SeqCst) {
            outcome = Some(CallError::Protocol(format!(
                "the signer wrote {MAX_RESPONSE_BYTES}+ bytes to stdout, over the {MAX_RESPONSE_BYTES}-byte cap"
            )));
        }
        let status = match outcome {
            Some(_) => None,
            None => {
                let left = deadline.saturating_duration_since(Instant::now());
                let status = child.wait_for(left);
                if status.is_none() {
                    // stdout closed, but the signer is still running at the deadline.
                    outcome = Some(CallError::Timeout(timeout));
                }
                status
            }
        };
        // Whatever it left behind dies with the group; the pipes then close, and what they hold is read.
        child.kill_group();
        let _ = finished.recv_timeout(Duration::from_millis(500));
        let until = Instant::now() + Duration::from_millis(500);
        while !stderr_thread.is_finished() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(2));
        }
        self.stderr = String::from_utf8_lossy(&err.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
        let bytes = std::mem::take(&mut *out.lock().unwrap_or_else(|e| e.into_inner()));
        self.received = bytes.clone();
        match (outcome, status) {
            (Some(e), _) => Err(e),
            (None, Some(status)) => Ok((status, bytes)),
            (None, None) => Err(CallError::Timeout(timeout)),
        }
    }
}

impl Transport for ExecConn {
    fn call(&mut self, request: &Request) -> Result<Exchange, CallError> {
        self.received.clear();
        self.stderr.clear();
        match request {
            Request::Hello { seq, .. } => {
                Ok(Exchange { response: Response::Hello { seq: *seq, hello: self.hello() }, raw: String::new() })
            }
            Request::Bye { seq } => Ok(Exchange { response: Response::Bye { seq: *seq }, raw: String::new() }),
            Request::Sign { seq, secret_hex, user_id, email } => {
                let (status, stdout) = self.run_once(stdin_json(secret_hex, user_id.as_ref(), email.as_ref()))?;
                if !status.success() {
                    let said = if stdout.is_empty() {
                        String::new()
                    } else {
                        format!(" (stdout: {})", preview(&String::from_utf8_lossy(&stdout)))
                    };
                    return Err(CallError::Crash(format!("the signer {}{said}", describe_status(status))));
                }
                let response = parse_stdout(*seq, &stdout).map_err(CallError::Protocol)?;
                let raw = String::from_utf8_lossy(&stdout).trim_end_matches(['\n', '\r']).to_string();
                Ok(Exchange { response, raw })
            }
            other => Err(CallError::Protocol(format!(
                "a one-shot signer (--sign-exec) answers only sign requests, not {}",
                other.kind()
            ))),
        }
    }

    fn take_stderr(&mut self) -> String {
        // Already bounded: drain_stderr keeps the newest MAX_STDERR_BYTES.
        std::mem::take(&mut self.stderr)
    }

    fn take_received(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.received)
    }

    fn call_time_is_work(&self) -> bool {
        // Every call starts a process (an interpreter, often): its time is start-up, not signing.
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sign(user_id: Option<serde_json::Value>, email: Option<serde_json::Value>) -> Request {
        Request::Sign { seq: 7, secret_hex: "6b6579".into(), user_id, email }
    }

    fn conn(command: &str, timeout: Duration) -> Box<dyn Transport> {
        ExecConnector::new(command, timeout, None).connect().unwrap()
    }

    #[test]
    fn stdin_carries_the_fields_as_sent() {
        assert_eq!(stdin_json("00ff", None, None), "{\"secret_hex\":\"00ff\"}\n");
        assert_eq!(
            stdin_json("6b", Some(&json!(0)), Some(&serde_json::Value::Null)),
            "{\"secret_hex\":\"6b\",\"user_id\":0,\"email\":null}\n"
        );
        let line = stdin_json("6b", Some(&json!("a\u{0}\"\n")), Some(&json!("")));
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, json!({"secret_hex": "6b", "user_id": "a\u{0}\"\n", "email": ""}));
        assert_eq!(line.matches('\n').count(), 1, "one line: {line:?}");
    }

    #[test]
    fn stdout_forms() {
        let hash = "a".repeat(64);
        let got = |s: &str| parse_stdout(1, s.as_bytes());
        let Ok(Response::Sign { user_hash: Some(h), error: None, .. }) = got(&format!("{hash}\n")) else { panic!() };
        assert_eq!(h, hash);
        let Ok(Response::Sign { user_hash: Some(h), .. }) = got(&format!("{hash}\r\n")) else { panic!() };
        assert_eq!(h, hash);
        let Ok(Response::Sign { user_hash: None, error: Some(e), .. }) = got("error:no_identifier\n") else { panic!() };
        assert_eq!(e, "no_identifier");
        for empty in ["", "\n"] {
            assert!(matches!(got(empty), Ok(Response::Sign { user_hash: None, error: None, .. })), "{empty:?}");
        }
        for bad in [format!("{hash}\n\n"), format!("Traceback\n{hash}\n")] {
            let e = got(&bad).expect_err(&bad);
            assert!(e.contains("one line"), "{e}");
        }
        assert!(parse_stdout(1, b"\xff\xfe").unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn hello_is_answered_for_the_signer_and_only_sign_runs() {
        let limits = Limits { secret_text: true, ..Default::default() };
        let mut t = ExecConnector::new("exit 3", Duration::from_secs(5), Some(limits.clone())).connect().unwrap();
        let hello = Request::Hello { seq: 1, protocol: "ivconform/1".into(), suite_version: "x".into() };
        let Response::Hello { hello, .. } = t.call(&hello).unwrap().response else { panic!() };
        assert_eq!(hello.capabilities, vec![Capability::Sign]);
        assert_eq!(hello.limits, Some(limits));
        let hmac = Request::Hmac { seq: 2, key_hex: String::new(), msg_hex: String::new() };
        assert!(matches!(t.call(&hmac), Err(CallError::Protocol(m)) if m.contains("only sign")));
    }

    #[test]
    fn a_signer_reads_its_request_and_answers() {
        // The signer echoes what it got as its "hash": the harness parses it as one line.
        let mut t = conn("tr -d '\\n'", Duration::from_secs(10));
        let exchange = t.call(&sign(Some(json!(5678)), None)).unwrap();
        let Response::Sign { user_hash: Some(h), .. } = exchange.response else { panic!() };
        assert_eq!(h, r#"{"secret_hex":"6b6579","user_id":5678}"#);
        assert_eq!(t.take_received(), h.as_bytes());
    }

    #[test]
    fn exit_status_stderr_and_no_answer() {
        let mut t = conn("echo 'bad key' >&2; exit 3", Duration::from_secs(10));
        let e = t.call(&sign(None, None)).unwrap_err();
        assert!(matches!(&e, CallError::Crash(m) if m.contains("exited with status 3")), "{e:?}");
        assert!(t.take_stderr().contains("bad key"));
        let mut t = conn("kill -SEGV $$", Duration::from_secs(10));
        let e = t.call(&sign(None, None)).unwrap_err();
        assert!(matches!(&e, CallError::Crash(m) if m.contains("signal 11")), "{e:?}");
        let mut t = conn("cat >/dev/null", Duration::from_secs(10));
        let r = t.call(&sign(None, None)).unwrap().response;
        assert!(matches!(r, Response::Sign { user_hash: None, error: None, .. }), "{r:?}");
    }

    #[test]
    fn a_hanging_signer_is_a_timeout_and_is_killed() {
        let start = Instant::now();
        let mut t = conn("sleep 300", Duration::from_millis(300));
        assert!(matches!(t.call(&sign(None, None)), Err(CallError::Timeout(_))));
        assert!(start.elapsed() < Duration::from_secs(60), "the call ended: {:?}", start.elapsed());
    }

    #[test]
    fn a_flood_is_cut_at_the_cap() {
        let mut t = conn("yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Duration::from_secs(30));
        let e = t.call(&sign(None, None)).unwrap_err();
        assert!(matches!(&e, CallError::Protocol(m) if m.contains("cap")), "{e:?}");
        assert!(t.take_received().len() <= MAX_RECEIVED_BYTES);
    }
}
