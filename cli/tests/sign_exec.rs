//! Issue 17 end to end: one-shot signers (`run --sign-exec`), README's two examples as printed, adversarial
//! signers (hanging, flooding, leaking a secret, exiting non-zero, forking a child that keeps running), the
//! declared limits (`--declare-*` and `limits` in a stdio adapter's hello) with the `not_applicable` outcome,
//! "no hash produced", `--exclude-rule` / `--exclude-flag`, and `diagnose` on an HTML-escaped identifier (CLI
//! and page). Every expected hash and every expected case list is computed here, by Python's standard library
//! from the vector files, never taken from ivconform.

use crate::util::{bin, cases_in, log, require_tool, root, scratch, text};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// `ivconform ARGS` run from `dir`.
fn ivconform_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin()).args(args).current_dir(dir).output().expect("the harness starts")
}

/// The code blocks of README's "Testing your implementation" section before its first `ivconform run`
/// block: (language, text), as printed.
fn readme_signers() -> (String, String) {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme.split("## Testing your implementation").nth(1).expect("the section exists");
    let section = section.split("\n## ").next().unwrap();
    let mut blocks = section.split("```").skip(1).step_by(2);
    let python = blocks.next().and_then(|b| b.strip_prefix("python\n")).expect("a python block first").to_string();
    let shell = blocks.next().and_then(|b| b.strip_prefix("sh\n")).expect("then a sh block").to_string();
    assert_eq!(python.trim_end().lines().count(), 2, "two lines of Python: {python}");
    assert_eq!(shell.trim_end().lines().count(), 2, "two lines of shell: {shell}");
    (python, shell)
}

/// The Python interpreter itself (not a version manager's shim, whose start-up is slow on a loaded machine),
/// for the signers run once per case.
fn py() -> &'static str {
    static PY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PY.get_or_init(|| python("import sys; print(sys.executable)", &[]))
}

/// Generous per-case bounds: a loaded 2-core machine starts an interpreter slowly, and no test asserts speed.
const TIMEOUT: &str = "60";

/// Output of `python3 -c CODE ARGS`, trimmed.
fn python(code: &str, args: &[&str]) -> String {
    let out = Command::new("python3").arg("-c").arg(code).args(args).output().expect("python3 runs");
    assert!(out.status.success(), "python3 failed: {}", text(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The sign cases of vectors/sign.json that a signer declared by `flags` cannot express, by the agreed rule
/// (docs/PROTOCOL.md, "Declared limits"), computed by Python from the file.
fn not_applicable_ids(secret_text: bool, identifier: &str) -> Vec<String> {
    let code = r#"
import json, sys
secret_text, ident = sys.argv[1] == "1", sys.argv[2]
for c in json.load(open(sys.argv[3]))["cases"]:
    s = bytes.fromhex(c["secret_hex"]) if "secret_hex" in c else c["secret"].encode()
    try:
        text = 0 not in s and s.decode() is not None
    except UnicodeDecodeError:
        text = False
    e = c["expected"]
    na = secret_text and not text
    if ident:
        na = na or "PRECEDENCE" in c["flags"] or c.get(ident) in (None, "")
        na = na or (e["result"] == "hash" and e["identifier_source"] != ident)
    if na:
        print(c["id"])
"#;
    let path = root().join("vectors/sign.json");
    python(code, &[if secret_text { "1" } else { "0" }, identifier, path.to_str().unwrap()])
        .lines()
        .map(str::to_string)
        .collect()
}

/// The JSON report's cases as (id, outcome) pairs, and the whole document.
fn json_report(path: &Path) -> (Vec<(String, String)>, serde_json::Value) {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["outcome"].as_str().unwrap().to_string()))
        .collect();
    (cases, doc)
}

/// True while some process has `token` in its command line (a signer's leftover).
fn process_with(token: &str) -> bool {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .any(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains(token)))
}

#[test]
fn readme_signers_pass_every_sign_case_and_an_uppercase_one_fails() {
    let dir = scratch("sign-exec-readme");
    let (tiny_py, sh) = readme_signers();
    std::fs::write(dir.join("tiny.py"), &tiny_py).unwrap();
    std::fs::write(dir.join("sign.sh"), &sh).unwrap();
    std::fs::write(dir.join("upper.py"), tiny_py.replace(".hexdigest()", ".hexdigest().upper()")).unwrap();
    let sign = cases_in("sign");
    // The done-means line, as printed, on two jobs (the machine has 2 cores).
    let out = ivconform_in(
        &dir,
        &["run", "--sign-exec", "python3 tiny.py", "--jobs", "2", "--timeout", TIMEOUT, "--json", "tiny.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (cases, doc) = json_report(&dir.join("tiny.json"));
    assert_eq!(doc["summary"]["pass"], sign, "{}", text(&out));
    assert!(cases.iter().all(|(id, o)| if id.starts_with("sign-") { o == "pass" } else { o == "skipped" }));
    assert!(log(&out).contains("Verdict: CONFORMANT"), "{}", text(&out));

    require_tool("jq", "jq");
    let out = ivconform_in(
        &dir,
        &["run", "--sign-exec", "sh sign.sh", "--group", "sign", "--jobs", "2", "--timeout", TIMEOUT],
    );
    assert_eq!(out.status.code(), Some(0), "the shell example: {}", text(&out));

    let upper = format!("{} upper.py", py());
    let out = ivconform_in(
        &dir,
        &["run", "--sign-exec", &upper, "--group", "sign", "--jobs", "2", "--timeout", TIMEOUT, "--json", "up.json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let (cases, doc) = json_report(&dir.join("up.json"));
    let hashes: Vec<String> = python(
        "import json,sys\nfor c in json.load(open(sys.argv[1]))['cases']:\n  print(c['id'], c['expected']['result'])",
        &[root().join("vectors/sign.json").to_str().unwrap()],
    )
    .lines()
    .filter_map(|l| l.strip_suffix(" hash").map(str::to_string))
    .collect();
    assert_eq!(doc["summary"]["fail"], hashes.len(), "every hash case fails");
    for (id, outcome) in &cases {
        assert_eq!(outcome, if hashes.contains(id) { "fail" } else { "pass" }, "{id}");
    }
    assert!(log(&out).contains("S1: user_hash must be lowercase hex"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn misbehaving_signers_are_bounded_reaped_and_reported() {
    let dir = scratch("sign-exec-hostile");
    let (tiny_py, _) = readme_signers();
    std::fs::write(dir.join("tiny.py"), &tiny_py).unwrap();
    let token = format!("ivconform-leftover-{}", std::process::id());
    let sleeper = format!("{} -c 'import time; time.sleep(300)' {token}", py());
    let tiny = format!("{} tiny.py", py());
    let two = ["--case", "sign-only-user-id", "--case", "sign-only-email"];
    let run = |signer: &str, timeout: &str| {
        let mut args = vec!["run", "--sign-exec", signer, "--timeout", timeout, "--json", "r.json"];
        args.extend_from_slice(&two);
        let start = Instant::now();
        let out = ivconform_in(&dir, &args);
        let (cases, _) = json_report(&dir.join("r.json"));
        let outcomes: Vec<String> = cases.into_iter().filter(|(id, _)| id.starts_with("sign-")).map(|c| c.1).collect();
        (out, outcomes, start.elapsed())
    };

    // Hangs: a timeout per case, the signer (and its child) killed.
    let (out, outcomes, took) = run(&format!("{sleeper}; {tiny}"), "3");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(outcomes, ["timeout", "timeout"], "{}", text(&out));
    assert!(took < Duration::from_secs(120), "bounded: {took:?}");
    assert!(!process_with(&token), "a hanging signer outlived its case");

    // Forks a child that keeps running (holding stdout, or not): the answer counts, the child is killed.
    for fork in [format!("({sleeper} &); {tiny}"), format!("{tiny}; {sleeper} >/dev/null 2>&1 &")] {
        let (out, outcomes, _) = run(&fork, TIMEOUT);
        assert_eq!(out.status.code(), Some(0), "{fork}: {}", text(&out));
        assert_eq!(outcomes, ["pass", "pass"], "{fork}");
        let until = Instant::now() + Duration::from_secs(10);
        while process_with(&token) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!process_with(&token), "{fork}: the forked child outlived the run");
    }

    // Floods stdout: an error of the case at the cap, not a stuck run.
    let (out, outcomes, took) = run("yes 0123456789abcdef", TIMEOUT);
    assert_eq!(outcomes, ["error", "error"], "{}", text(&out));
    assert!(log(&out).contains("cap"), "{}", text(&out));
    assert!(took < Duration::from_secs(120), "{took:?}");

    // Exits non-zero: a crash with the status and stderr's last line (escaped).
    let (out, outcomes, _) = run(r"printf 'boom\033[31m\n' >&2; exit 3", TIMEOUT);
    assert_eq!(outcomes, ["crash", "crash"], "{}", text(&out));
    let shown = log(&out);
    assert!(shown.contains("exited with status 3") && shown.contains("boom"), "{shown}");
    assert!(!shown.contains('\u{1b}'), "stderr reached the report unescaped: {shown}");

    // Prints the secret on stderr and stdout: security findings, and the secret is never shown.
    let leak = format!(
        "{} -c \"import json,sys; s=bytes.fromhex(json.load(sys.stdin)['secret_hex']).decode(); print('debug', s, file=sys.stderr); print(s)\"",
        py()
    );
    let (out, _, _) = run(&leak, TIMEOUT);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = log(&out);
    assert!(shown.contains("Security findings") || shown.contains("LEAK"), "{shown}");
    for case in python(
        "import json,sys\nfor c in json.load(open(sys.argv[1]))['cases']:\n  print(c.get('secret',''))",
        &[root().join("vectors/sign.json").to_str().unwrap()],
    )
    .lines()
    .filter(|s| s.len() >= 8)
    {
        assert!(!shown.contains(case), "a secret was printed: {shown}");
        assert!(!std::fs::read_to_string(dir.join("r.json")).unwrap().contains(case), "a secret in the JSON");
    }

    // Parallel jobs: the same outcomes as one job.
    let mut by_jobs = Vec::new();
    for jobs in ["1", "3"] {
        let out = ivconform_in(
            &dir,
            &["run", "--sign-exec", &tiny, "--group", "sign", "--jobs", jobs, "--timeout", TIMEOUT, "--json", "j.json"],
        );
        assert_eq!(out.status.code(), Some(0), "--jobs {jobs}: {}", text(&out));
        by_jobs.push(json_report(&dir.join("j.json")).0);
    }
    assert_eq!(by_jobs[0], by_jobs[1]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_hash_produced_is_a_refusal_of_unknown_class() {
    let dir = scratch("sign-exec-no-hash");
    let out = ivconform_in(
        &dir,
        &[
            "run",
            "--sign-exec",
            "cat >/dev/null",
            "--timeout",
            TIMEOUT,
            "--case",
            "sign-neither-identifier",
            "--case",
            "sign-only-email",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = log(&out);
    assert!(shown.contains("refused without a class; expected no_identifier"), "{shown}");
    assert!(shown.contains("no hash produced"), "{shown}");
    assert!(shown.contains("2 failed"), "neither case passes: {shown}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn declared_limits_make_cases_not_applicable_never_passed() {
    let dir = scratch("sign-exec-limits");
    // A signer that hashes user_id only, with the secret as text, correct for everything it can express.
    std::fs::write(
        dir.join("uid.py"),
        "import hashlib, hmac, json, sys\nr = json.load(sys.stdin)\nk = bytes.fromhex(r['secret_hex']).decode()\n\
         print('error:empty_secret' if not k else hmac.new(k.encode(), str(r['user_id']).encode(), hashlib.sha256).hexdigest())\n",
    )
    .unwrap();
    let expected = not_applicable_ids(true, "user_id");
    let sign = cases_in("sign") as usize;
    assert!(!expected.is_empty() && expected.len() < sign);
    let uid = format!("{} uid.py", py());
    let out = ivconform_in(
        &dir,
        &[
            "run",
            "--sign-exec",
            &uid,
            "--timeout",
            TIMEOUT,
            "--declare-secret-text",
            "--declare-identifier",
            "user_id",
            "--group",
            "sign",
            "--jobs",
            "2",
            "--json",
            "r.json",
            "--junit",
            "r.xml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (cases, doc) = json_report(&dir.join("r.json"));
    let got: Vec<String> = cases.iter().filter(|(_, o)| o == "not_applicable").map(|(id, _)| id.clone()).collect();
    assert_eq!(got, expected);
    assert!(cases.iter().all(|(id, o)| o == "pass" || expected.contains(id)), "{cases:?}");
    assert_eq!(doc["summary"]["pass"], sign - expected.len(), "not applicable is never a pass");
    let line = format!(
        "{sign} cases: {} passed, {} not applicable (declared: secret text only, identifier user_id only)",
        sign - expected.len(),
        expected.len()
    );
    assert!(log(&out).contains(&line), "{line}\n{}", text(&out));
    let xml = std::fs::read_to_string(dir.join("r.xml")).unwrap();
    assert_eq!(
        xml.matches("not applicable: declared secret text only, identifier user_id only").count(),
        expected.len()
    );

    // Without the declarations the same signer fails (or crashes on) those cases.
    let out =
        ivconform_in(&dir, &["run", "--sign-exec", &uid, "--group", "sign", "--jobs", "2", "--timeout", TIMEOUT, "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // Everything not applicable: nothing was tested.
    let out = ivconform_in(
        &dir,
        &["run", "--sign-exec", &uid, "--declare-identifier", "user_id", "--case", "sign-only-email"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(log(&out).contains("nothing was tested"), "{}", text(&out));

    // The flags belong to --sign-exec.
    let out = ivconform_in(&dir, &["run", "--reference", "--declare-secret-text"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A stdio adapter whose hello carries `limits` (the given JSON): it signs with the email only.
const EMAIL_ADAPTER: &str = r#"
import hashlib, hmac, json, sys
limits = json.loads(sys.argv[1])
for line in sys.stdin:
    req = json.loads(line)
    seq, kind = req["seq"], req["type"]
    if kind == "hello":
        out = {"type": "hello", "name": "email-only", "version": "0", "language": "python",
               "capabilities": ["sign"], "limits": limits}
    elif kind == "sign":
        key, email = bytes.fromhex(req["secret_hex"]), req.get("email")
        if not key:
            out = {"type": "sign", "error": "empty_secret"}
        elif email in (None, ""):
            out = {"type": "sign", "error": "no_identifier"}
        else:
            out = {"type": "sign", "user_hash": hmac.new(key, email.encode(), hashlib.sha256).hexdigest()}
    elif kind == "bye":
        print(json.dumps({"seq": seq, "type": "bye"}), flush=True)
        break
    else:
        out = {"type": "error", "message": "unsupported"}
    out["seq"] = seq
    print(json.dumps(out), flush=True)
"#;

#[test]
fn hello_limits_from_an_adapter_and_unknown_keys() {
    let dir = scratch("sign-exec-hello-limits");
    std::fs::write(dir.join("email.py"), EMAIL_ADAPTER).unwrap();
    let expected = not_applicable_ids(false, "email");
    let cmd = format!(
        r#"{} email.py '{{"identifier": "email", "note": "Flask-Intercom 0.1.0 hashes current_user.email"}}'"#,
        py()
    );
    let out = ivconform_in(&dir, &["run", "--cmd", &cmd, "--group", "sign", "--timeout", TIMEOUT, "--json", "r.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (cases, _) = json_report(&dir.join("r.json"));
    let got: Vec<String> = cases.iter().filter(|(_, o)| o == "not_applicable").map(|(id, _)| id.clone()).collect();
    assert_eq!(got, expected);
    assert!(log(&out).contains("not applicable (declared: identifier email only; note: Flask-Intercom 0.1.0"));

    // An unknown key is a protocol error naming it: the run stops (exit 3), nothing silently ignored.
    let cmd = r#"python3 email.py '{"identifier": "email", "hash_case": "upper"}'"#;
    let out = ivconform_in(&dir, &["run", "--cmd", cmd, "--group", "sign"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(log(&out).contains("unknown key") && log(&out).contains("hash_case"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exclude_rule_and_flag_mirror_rule_and_flag_in_list() {
    let dir = scratch("sign-exec-exclude");
    let count = |args: &[&str]| -> usize {
        let mut all = vec!["run", "--reference", "--list"];
        all.extend_from_slice(args);
        let out = ivconform_in(&dir, &all);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    let total = count(&[]);
    for (include, exclude, name) in [("--rule", "--exclude-rule", "S2"), ("--flag", "--exclude-flag", "PRECEDENCE")] {
        let with = count(&[include, name]);
        let without = count(&[exclude, name]);
        assert!(with > 0 && without > 0, "{name}");
        assert_eq!(with + without, total, "{name}");
    }
    // Together with an inclusion: sign cases without the precedence ones.
    let sign = count(&["--group", "sign"]);
    let sign_no_precedence = count(&["--group", "sign", "--exclude-flag", "PRECEDENCE"]);
    let precedence = python(
        "import json,sys\nprint(sum('PRECEDENCE' in c['flags'] for c in json.load(open(sys.argv[1]))['cases']))",
        &[root().join("vectors/sign.json").to_str().unwrap()],
    );
    assert_eq!(sign - sign_no_precedence, precedence.parse::<usize>().unwrap());
    let out = ivconform_in(&dir, &["run", "--reference", "--list", "--exclude-rule", "S42"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(log(&out).contains("--exclude-rule"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

const SECRET: &str = "prod-web-secret-0001";

/// HMAC-SHA256 hex by Python's standard library.
fn hmac_hex(msg: &str) -> String {
    python(
        "import hmac,hashlib,sys;print(hmac.new(sys.argv[1].encode(),sys.argv[2].encode(),hashlib.sha256).hexdigest())",
        &[SECRET, msg],
    )
}

#[test]
fn diagnose_names_an_html_escaped_identifier_on_the_cli_and_the_page() {
    let dir = scratch("diagnose-html-escaped");
    std::fs::write(
        dir.join("ws.toml"),
        format!("[apps.ws_prod]\nweb = {{ secret = \"{SECRET}\", enforced = true }}\n"),
    )
    .unwrap();
    let diagnose = |user_id: &str, hash: &str| {
        let out = ivconform_in(
            &dir,
            &[
                "diagnose",
                "--config",
                "ws.toml",
                "--app",
                "ws_prod",
                "--platform",
                "web",
                "--user-id",
                user_id,
                "--hash",
                hash,
            ],
        );
        let shown = log(&out);
        assert!(!shown.contains(SECRET), "a secret was printed: {shown}");
        (out.status.code(), shown)
    };
    // Sent escaped, hashed raw.
    for (sent, raw) in [
        ("O&#x27;Brien", "O'Brien"),
        ("O&#39;Brien", "O'Brien"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("&lt;admin&gt;", "<admin>"),
        ("say &quot;hi&quot;", "say \"hi\""),
        ("say &#34;hi&#34;", "say \"hi\""),
    ] {
        let (code, shown) = diagnose(sent, &hmac_hex(raw));
        assert_eq!(code, Some(1), "{sent}: {shown}");
        assert!(shown.contains("the identifier sent is HTML-escaped"), "{sent}: {shown}");
        assert!(shown.contains("D1"), "{sent}: {shown}");
    }
    // Sent raw, hashed escaped.
    for (sent, escaped) in
        [("O'Brien", "O&#x27;Brien"), ("O'Brien", "O&#39;Brien"), ("a&b", "a&amp;b"), ("\"q\"", "&#34;q&#34;")]
    {
        let (code, shown) = diagnose(sent, &hmac_hex(escaped));
        assert_eq!(code, Some(1), "{sent}: {shown}");
        assert!(shown.contains("HTML-escaped before hashing"), "{sent} / {escaped}: {shown}");
    }
    // Entity text hashed as sent is valid.
    let (code, shown) = diagnose("O&#x27;Brien", &hmac_hex("O&#x27;Brien"));
    assert_eq!(code, Some(0), "{shown}");

    // The page says the same.
    use std::io::{BufRead, Read, Write};
    let mut child = Command::new(bin())
        .args(["diagnose", "--config", "ws.toml", "--serve", "127.0.0.1:0"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr: std::net::SocketAddr =
        line.trim().trim_start_matches("listening on http://").trim_end_matches('/').parse().unwrap();
    let enc = |v: &str| -> String {
        v.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect()
    };
    let body = format!("app=ws_prod&platform=web&user_id={}&hash={}", enc("O&#x27;Brien"), hmac_hex("O'Brien"));
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    let _ = child.kill();
    let _ = child.wait();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply:.400}");
    assert!(!reply.contains(SECRET), "a secret reached the page");
    assert!(reply.contains("the identifier was sent HTML-escaped"), "{reply}");
    assert!(reply.contains("the identifier sent is HTML-escaped"), "the fix: {reply}");
    let _ = std::fs::remove_dir_all(&dir);
}
