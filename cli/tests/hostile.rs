//! The hostile-IUT suite (issue 13): what a hostile or sloppy implementation does to the gate. Each test runs
//! `ivconform run` against one attack of `tests/fixtures/iut/hostile.py` (or of the other fixtures) and asserts
//! the outcome, a bounded wall time, bounded harness memory, and that no process started by the run survives
//! it. The verdict must always arrive, be exact, and be the harness's own.

use crate::util::*;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What one run of the harness gave.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    wall: Duration,
    /// The harness's peak resident memory (VmHWM), in KiB, as last seen before it exited.
    peak_kib: u64,
    marker: String,
}

impl Run {
    fn all(&self) -> String {
        format!("--- exit {:?}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Processes whose environment holds `marker` (every process a run started inherits it).
fn survivors(marker: &str) -> Vec<String> {
    let needle = format!("IVCONFORM_TEST_MARKER={marker}");
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(env) = std::fs::read(entry.path().join("environ")) else { continue };
        if env.split(|&b| b == 0).any(|v| v == needle.as_bytes()) {
            let status = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // A zombie already died; only its parent's wait is missing.
            if !status.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z') {
                let cmd = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                out.push(format!("{name}: {}", String::from_utf8_lossy(&cmd).replace('\0', " ")));
            }
        }
    }
    out
}

/// Asserts that nothing the run started is still alive (after a short grace for the kernel to finish kills).
fn assert_no_survivors(run: &Run) {
    let until = Instant::now() + Duration::from_secs(3);
    let mut left = survivors(&run.marker);
    while !left.is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
        left = survivors(&run.marker);
    }
    assert!(left.is_empty(), "processes outlived the run: {left:?}\n{}", run.all());
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `ivconform ARGS` from the fixtures directory, with a unique marker in its environment, polling its
/// peak memory; a run that exceeds `limit` is killed and fails the test.
fn harness(args: &[&str], limit: Duration) -> Run {
    static N: AtomicUsize = AtomicUsize::new(0);
    let marker = format!("{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    let start = Instant::now();
    let mut child = Command::new(bin())
        .args(args)
        .env("IVCONFORM_BIN", bin())
        .env("IVCONFORM_TEST_MARKER", &marker)
        .current_dir(fixtures())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness starts");
    let pid = child.id();
    let read = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(64 << 20).read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let out = read(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = read(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let mut peak = 0;
    let status = loop {
        if let Some(k) = vm_hwm_kib(pid) {
            peak = peak.max(k);
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`ivconform {}` did not finish within {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = start.elapsed();
    Run { code: status.code(), stdout: out.join().unwrap(), stderr: err.join().unwrap(), wall, peak_kib: peak, marker }
}

/// `ivconform run --cmd "python3 hostile.py MODE" EXTRA...`.
fn attack(mode: &str, extra: &[&str], limit: Duration) -> Run {
    let cmd = format!("python3 hostile.py {mode}");
    let mut args = vec!["run", "--cmd", &cmd];
    args.extend_from_slice(extra);
    harness(&args, limit)
}

/// The harness's memory stays bounded: well under what reading unbounded input would take.
fn assert_bounded_memory(run: &Run) {
    assert!(run.peak_kib < 512 * 1024, "the harness peaked at {} KiB\n{}", run.peak_kib, run.all());
}

#[test]
fn an_iut_that_stops_reading_cannot_hang_the_harness() {
    // The 1 MiB payload travels as a 2 MiB line: far past the 64 KiB pipe buffer.
    let run = attack("stop-reading", &["--case", "payload-size-1-mib", "--timeout", "2"], Duration::from_secs(60));
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.stdout.contains("TIMEOUT payload-size-1-mib") || run.stdout.contains("1 timeout"), "{}", run.all());
    assert!(run.wall < Duration::from_secs(20), "took {:?}", run.wall);
    assert_no_survivors(&run);
    assert_bounded_memory(&run);
}

#[test]
fn a_shell_wrapped_iut_and_its_sigterm_ignoring_grandchild_are_killed() {
    let run =
        attack("grandchild", &["--group", "verify", "--timeout", "1", "--run-timeout", "4"], Duration::from_secs(60));
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.stdout.contains("timeout"), "{}", run.all());
    assert!(run.wall < Duration::from_secs(20), "took {:?}", run.wall);
    assert_no_survivors(&run);
}

#[test]
fn an_exit_while_a_grandchild_holds_stdout_is_a_crash_not_a_timeout() {
    let run = attack(
        "holds-stdout",
        &["--case", "verify-prod-web-user-id-valid", "--timeout", "10"],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.stdout.contains("CRASH"), "{}", run.all());
    assert!(run.stdout.contains("still holds its stdout"), "{}", run.all());
    assert!(!run.stdout.contains("TIMEOUT"), "{}", run.all());
    assert!(run.wall < Duration::from_secs(8), "a crash is reported at once, took {:?}", run.wall);
    assert_no_survivors(&run);
}

#[test]
fn nothing_an_iut_prints_can_forge_the_log() {
    let dir = scratch("hostile-forge");
    let (json, junit) = (dir.join("r.json"), dir.join("r.xml"));
    let run = attack(
        "forge",
        &["--group", "sign", "--json", json.to_str().unwrap(), "--junit", junit.to_str().unwrap()],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    for (name, text) in [
        ("stdout", run.stdout.clone()),
        ("stderr", run.stderr.clone()),
        ("json", std::fs::read_to_string(&json).unwrap()),
        ("junit", std::fs::read_to_string(&junit).unwrap()),
    ] {
        assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains('\u{202e}'), "{name}: {text}");
        for line in text.lines() {
            let t = line.trim_start();
            assert!(!t.starts_with("::"), "{name}: an IUT string starts a line: {line:?}");
            assert!(!t.starts_with("Verdict: CONFORMANT"), "{name}: a forged verdict: {line:?}");
        }
    }
    let verdicts: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("Verdict:")).collect();
    assert_eq!(verdicts.len(), 1, "{}", run.all());
    assert!(verdicts[0].starts_with("Verdict: NONCONFORMANT"), "{}", run.all());
    // The forged text is shown, escaped, so a reader sees what the IUT did.
    assert!(run.stdout.contains("evil\\n::error file=README.md::forged"), "{}", run.all());
}

#[test]
fn an_iut_claiming_nothing_fails_and_require_names_the_missing_capabilities() {
    let run = attack("claims-nothing", &[], Duration::from_secs(60));
    assert_eq!(run.code, Some(1), "nothing tested must not pass\n{}", run.all());
    assert!(run.stdout.contains("nothing was tested"), "{}", run.all());
    let honest = harness(
        &["run", "--cmd", "python3 proxy.py no-jwt", "--require", "sign,verify_jwt", "--group", "sign"],
        Duration::from_secs(60),
    );
    assert_eq!(honest.code, Some(1), "{}", honest.all());
    assert!(honest.stdout.contains("required but not claimed: verify_jwt"), "{}", honest.all());
    let ok = harness(
        &["run", "--cmd", "python3 proxy.py honest", "--require", "sign", "--group", "sign"],
        Duration::from_secs(60),
    );
    assert_eq!(ok.code, Some(0), "{}", ok.all());
    let bad = harness(&["run", "--reference", "--require", "signing"], Duration::from_secs(30));
    assert_eq!(bad.code, Some(2), "{}", bad.all());
    assert!(bad.stderr.contains("not a capability"), "{}", bad.all());
}

#[test]
fn another_protocol_version_is_refused_up_front() {
    let run = attack("protocol2", &[], Duration::from_secs(60));
    assert_eq!(run.code, Some(3), "{}", run.all());
    assert!(run.stderr.contains("protocol ivconform/2") && run.stderr.contains("ivconform/1"), "{}", run.all());
    assert!(!run.stdout.contains("error"), "no case ran: {}", run.all());
    assert_no_survivors(&run);
}

/// The secret of the first sign case, as the vectors give it (read independently of the harness).
fn sign_secrets() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("vectors/sign.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["secret"].as_str().map(str::to_string))
        .filter(|s| s.len() >= 8)
        .collect()
}

#[test]
fn a_secret_echoed_in_any_answer_is_found_and_never_reprinted() {
    let secrets = sign_secrets();
    assert!(!secrets.is_empty());
    for mode in ["secret-garbage", "secret-wrongseq", "secret-crash"] {
        let dir = scratch(&format!("hostile-{mode}"));
        let (json, junit) = (dir.join("r.json"), dir.join("r.xml"));
        let run = attack(
            mode,
            &["--group", "sign", "--json", json.to_str().unwrap(), "--junit", junit.to_str().unwrap()],
            Duration::from_secs(120),
        );
        assert_eq!(run.code, Some(1), "{mode}: {}", run.all());
        assert!(run.stdout.contains("LEAK"), "{mode}: the echoed secret is a security finding\n{}", run.all());
        let reports = [
            run.stdout.clone(),
            run.stderr.clone(),
            std::fs::read_to_string(&json).unwrap(),
            std::fs::read_to_string(&junit).unwrap(),
        ];
        for secret in &secrets {
            let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
            for (i, text) in reports.iter().enumerate() {
                assert!(!text.contains(secret.as_str()), "{mode}: report {i} reprints a secret as text");
                assert!(!text.to_ascii_lowercase().contains(&hex), "{mode}: report {i} reprints a secret as hex");
            }
        }
        if mode == "secret-garbage" {
            // The garbage and the crash's last stderr line are quoted in the report: redacted.
            assert!(run.stdout.contains("<secret of case"), "{mode}: the secret is shown redacted\n{}", run.all());
        }
        assert_no_survivors(&run);
    }
}

#[test]
fn a_correct_iut_that_logs_its_inputs_and_outputs_has_no_finding_ten_runs_in_a_row() {
    for i in 0..10 {
        let run = attack("logs-inputs", &["--group", "sign", "--group", "verify"], Duration::from_secs(120));
        assert_eq!(run.code, Some(0), "run {i}: {}", run.all());
        assert!(!run.stdout.contains("LEAK"), "run {i}: {}", run.all());
    }
}

#[test]
fn every_encoding_of_a_leaked_mac_or_secret_is_found() {
    for (mode, what) in [
        ("leak-b64", "(base64)"),
        ("leak-b64url", "(base64"), // a value whose base64url has no - or _ is its base64 too
        ("leak-prefix", "(a hex prefix of it)"),
        ("secret-b64", "(base64)"),
    ] {
        let run = attack(mode, &["--group", "verify"], Duration::from_secs(120));
        assert_eq!(run.code, Some(1), "{mode}: {}", run.all());
        let leaks: Vec<&str> = run.stdout.lines().filter(|l| l.contains("LEAK")).collect();
        assert!(!leaks.is_empty() && leaks.iter().all(|l| l.contains(what)), "{mode}: {leaks:?}\n{}", run.all());
    }
}

#[test]
fn the_same_run_gives_the_same_findings_every_time() {
    let mut seen = None;
    for _ in 0..5 {
        let run = attack("leak-prefix", &["--group", "verify", "-q"], Duration::from_secs(120));
        let leaks: Vec<String> = run.stdout.lines().filter(|l| l.contains("LEAK")).map(String::from).collect();
        assert!(!leaks.is_empty());
        if let Some(first) = &seen {
            assert_eq!(first, &leaks, "findings changed between identical runs");
        }
        seen = Some(leaks);
    }
}

#[test]
fn output_nobody_asked_for_is_blamed_on_the_case_that_caused_it() {
    let run = attack("two-lines", &["--group", "sign", "-v"], Duration::from_secs(120));
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.stdout.contains("output no request asked for"), "{}", run.all());
    // Each sign case answered twice: each is an error of its own, and no case is blamed for another's line.
    assert!(!run.stdout.contains("but the request had seq"), "{}", run.all());
    let errors = run.stdout.lines().filter(|l| l.trim_start().starts_with("ERROR")).count();
    let sign_cases = cases_in("sign") as usize;
    assert_eq!(errors, sign_cases, "{}", run.all());
}

#[test]
fn fail_fast_and_max_failures_stop_the_run() {
    let run = harness(
        &["run", "--cmd", "python3 proxy.py uppercase", "--group", "sign", "--fail-fast"],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.stdout.contains("1 failed"), "{}", run.all());
    assert!(run.stdout.contains("stopped after 1"), "{}", run.all());
    let three = harness(
        &["run", "--cmd", "python3 proxy.py uppercase", "--group", "sign", "--max-failures", "3", "-v"],
        Duration::from_secs(60),
    );
    assert!(three.stdout.contains("3 failed"), "{}", three.all());
}

#[test]
fn sigterm_to_the_harness_kills_every_process_it_started() {
    static N: AtomicUsize = AtomicUsize::new(0);
    let marker = format!("sig-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    // Over HTTP the harness starts its own reference server; the IUT here hangs on verify.
    let child = Command::new(bin())
        .args(["run", "--cmd", "python3 hostile.py grandchild", "--group", "verify", "--timeout", "60"])
        .args(["--run-timeout", "300"])
        .env("IVCONFORM_BIN", bin())
        .env("IVCONFORM_TEST_MARKER", &marker)
        .current_dir(fixtures())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed if an assertion below fails, so a failing test leaves no harness running for hours.
    let mut child = KillOnDrop(child);
    let child = &mut child.0;
    // Wait until the IUT and its grandchild exist (generously: a loaded machine starts Python slowly).
    let until = Instant::now() + Duration::from_secs(60);
    while survivors(&marker).len() < 4 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(survivors(&marker).len() >= 4, "the run did not start its processes: {:?}", survivors(&marker));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15), "{status}");
    let run = Run {
        code: status.code(),
        stdout: String::new(),
        stderr: String::new(),
        wall: Duration::ZERO,
        peak_kib: 0,
        marker,
    };
    assert_no_survivors(&run);
}

/// `hostile_http.py MODE` started as a server (killed with its reference child when dropped).
struct HttpIut {
    child: std::process::Child,
    url: String,
}

impl HttpIut {
    fn start(mode: &str) -> HttpIut {
        use std::io::BufRead;
        use std::os::unix::process::CommandExt;
        let mut child = Command::new("python3")
            .arg(fixtures().join("hostile_http.py"))
            .arg(mode)
            .env("IVCONFORM_BIN", bin())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .expect("python3 starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("listening on ").expect("the fixture prints its address").to_string();
        HttpIut { child, url }
    }
}

impl Drop for HttpIut {
    fn drop(&mut self) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = self.child.wait();
    }
}

#[test]
fn over_http_an_appended_response_is_the_error_of_its_own_case_and_framing_is_strict() {
    for (mode, needle) in [("appended", "after the response body"), ("dup-length", "Content-Length")] {
        let iut = HttpIut::start(mode);
        let run =
            harness(&["run", "--url", &iut.url, "--group", "sign", "--group", "hmac_sha256"], Duration::from_secs(60));
        assert_eq!(run.code, Some(1), "{mode}: {}", run.all());
        let sign = cases_in("sign") as usize;
        assert!(
            run.stdout.contains(&format!("{sign} errors")),
            "{mode}: every sign case is its own error\n{}",
            run.all()
        );
        assert!(run.stdout.contains(needle), "{mode}: {}", run.all());
        // The hmac cases that follow are not blamed for the sign cases' extra bytes.
        assert!(!run.stdout.contains("FAIL hmac") && !run.stdout.contains("ERROR hmac"), "{mode}: {}", run.all());
    }
}

#[test]
fn over_http_a_secret_in_an_error_body_is_found_and_redacted() {
    let iut = HttpIut::start("secret-500");
    let run = harness(&["run", "--url", &iut.url, "--group", "sign"], Duration::from_secs(60));
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.stdout.contains("LEAK"), "{}", run.all());
    for secret in sign_secrets() {
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(!run.stdout.to_ascii_lowercase().contains(&hex), "the secret is reprinted as hex\n{}", run.all());
    }
    assert!(run.stdout.contains("<secret of case"), "{}", run.all());
}

/// A child process killed (SIGKILL) and reaped when dropped, also when a test panics.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
