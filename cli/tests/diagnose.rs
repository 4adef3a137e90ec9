//! `ivconform diagnose` end to end: a payload or fields in, the mistake and its fix out, never a secret.

use std::process::Command;

const SECRET_WEB: &str = "prod-web-secret-0001";
const SECRET_IOS: &str = "prod-ios-secret-0002";

fn hmac_hex(key: &str, msg: &str) -> String {
    // Computed by Python's standard library, not by ivconform.
    let out = Command::new("python3")
        .args(["-c", "import hmac,hashlib,sys;print(hmac.new(sys.argv[1].encode(),sys.argv[2].encode(),hashlib.sha256).hexdigest())", key, msg])
        .output()
        .expect("python3 is needed for this test");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn setup(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ivconform-diagnose-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("ws.toml"),
        format!("[apps.ws_prod]\nweb = {{ secret = \"{SECRET_WEB}\", enforced = true }}\nios = {{ secret = \"{SECRET_IOS}\" }}\n"),
    )
    .unwrap();
    dir
}

fn run(args: &[&str], dir: &std::path::Path) -> (i32, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_ivconform")).arg("diagnose").args(args).current_dir(dir).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains(SECRET_WEB) && !text.contains(SECRET_IOS), "a secret was printed: {text}");
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn explains_a_payload_and_fields() {
    let dir = setup("explain");
    let payload = format!(
        r#"{{"app_id":"ws_prod","user_id":"5678","email":"ann@example.com","user_hash":"{}"}}"#,
        hmac_hex(SECRET_WEB, "ann@example.com")
    );
    std::fs::write(dir.join("boot.json"), payload).unwrap();
    let (code, text) = run(&["--config", "ws.toml", "--payload", "boot.json"], &dir);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("you hashed the email"), "{text}");

    let (code, text) = run(
        &["--config", "ws.toml", "--app", "ws_prod", "--user-id", "5678", "--hash", &hmac_hex(SECRET_IOS, "5678")],
        &dir,
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("ios secret's hash"), "{text}");

    let (code, text) = run(
        &[
            "--config",
            "ws.toml",
            "--app",
            "ws_prod",
            "--numeric-user-id",
            "5678",
            "--hash",
            &hmac_hex(SECRET_WEB, "5678"),
        ],
        &dir,
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("valid"), "{text}");

    let (code, text) = run(
        &[
            "--config",
            "ws.toml",
            "--app",
            "ws_prod",
            "--user-id",
            "5679",
            "--previous",
            "5678",
            "--hash",
            &hmac_hex(SECRET_WEB, "5678"),
        ],
        &dir,
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("previous identifier"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A compact HS256 token, built with Python's standard library (not ivconform).
fn jwt_token(key: &str, claims: &str) -> String {
    let program = "import base64,hmac,hashlib,sys\n\
        e=lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()\n\
        s=e(b'{\"alg\":\"HS256\",\"typ\":\"JWT\"}')+'.'+e(sys.argv[2].encode())\n\
        print(s+'.'+e(hmac.new(sys.argv[1].encode(),s.encode(),hashlib.sha256).digest()))";
    let out = Command::new("python3").args(["-c", program, key, claims]).output().expect("python3 runs");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn explains_a_jwt_payload() {
    let dir = setup("jwt");
    let write = |token: String, extra: &str| {
        std::fs::write(dir.join("boot.json"), format!(r#"{{"app_id":"ws_prod"{extra},"intercom_user_jwt":"{token}"}}"#))
            .unwrap()
    };
    write(jwt_token(SECRET_IOS, r#"{"user_id":"5678"}"#), "");
    let (code, text) = run(&["--config", "ws.toml", "--payload", "boot.json"], &dir);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("signed with the ios secret") && text.contains("web secret of ws_prod"), "{text}");

    write(jwt_token(SECRET_WEB, r#"{"user_id":"5678","exp":1000}"#), "");
    let (code, text) = run(&["--config", "ws.toml", "--payload", "boot.json"], &dir);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("expired") && text.contains("s past the 60 s leeway"), "{text}");

    write(jwt_token(SECRET_WEB, r#"{"user_id":"5678"}"#), r#","user_id":"5679""#);
    let (code, text) = run(&["--config", "ws.toml", "--payload", "boot.json"], &dir);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("clear-text user_id"), "{text}");

    write(
        format!("eyJhbGciOiJub25lIn0.{}.", jwt_token(SECRET_WEB, r#"{"user_id":"5678"}"#).split('.').nth(1).unwrap()),
        "",
    );
    let (code, text) = run(&["--config", "ws.toml", "--payload", "boot.json"], &dir);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("alg is none"), "{text}");

    write(jwt_token(SECRET_WEB, r#"{"user_id":"5678"}"#), "");
    let (code, text) = run(&["--config", "ws.toml", "--payload", "boot.json"], &dir);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("valid"), "{text}");

    // Field by field, with the time given: exp 1000 is valid at now 1000 and at 1059, expired at 1060 (60 s leeway).
    let token = jwt_token(SECRET_WEB, r#"{"user_id":"5678","exp":1000}"#);
    let fields = |now: &str| {
        run(&["--config", "ws.toml", "--app", "ws_prod", "--user-id", "5678", "--jwt", &token, "--now", now], &dir)
    };
    for (now, want) in [("1000", 0), ("1059", 0), ("1060", 1)] {
        let (code, text) = fields(now);
        assert_eq!(code, want, "now {now}: {text}");
        assert!(text.contains(&format!("now = {now}")), "{text}");
    }
    let (code, text) =
        run(&["--config", "ws.toml", "--app", "ws_prod", "--user-id", "5679", "--jwt", &token, "--now", "1000"], &dir);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("clear-text user_id"), "{text}");
    let (code, text) = run(&["--config", "ws.toml", "--app", "ws_prod", "--jwt", &token, "--hash", "00"], &dir);
    assert_eq!(code, 2, "--jwt and --hash together: {text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_is_a_usage_error() {
    let dir = setup("usage");
    std::fs::write(dir.join("bad.toml"), "[apps.ws_prod]\nweb = { secret = \"\" }\n").unwrap();
    let (code, text) = run(&["--config", "bad.toml", "--app", "ws_prod", "--user-id", "1", "--hash", "00"], &dir);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("bad.toml") && text.contains("empty"), "{text}");
    let (code, text) = run(&["--config", "ws.toml", "--platform", "windows", "--app", "ws_prod", "--hash", "00"], &dir);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("windows"), "{text}");
    let (code, text) = run(
        &["--config", "ws.toml", "--app", "ws_prod", "--numeric-user-id", "9007199254740992", "--hash", "00"],
        &dir,
    );
    assert_eq!(code, 2, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts `ivconform diagnose --serve` on a free port; the guard kills it.
struct Page {
    child: std::process::Child,
    url: String,
}

impl Drop for Page {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn page(dir: &std::path::Path) -> Page {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ivconform"))
        .args(["diagnose", "--config", "ws.toml", "--serve", "127.0.0.1:0"])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the page reports its address")
        .trim_end_matches('/')
        .to_string();
    Page { child, url }
}

/// The DOM of `url` as headless Chromium renders it (Debian's chromium package; .ci/run installs it).
fn chromium_dom(url: &str, profile: &std::path::Path) -> String {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
        ])
        .args(["--disable-component-update", "--disable-sync", "--virtual-time-budget=2000"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .output()
        .expect("chromium is needed for this test (apt-get install chromium; .ci/run does it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_page_explains_in_headless_chromium() {
    let dir = setup("page");
    let server = page(&dir);
    let hash = hmac_hex(SECRET_IOS, "ann@example.com");
    let form =
        format!("{}/diagnose?app=ws_prod&platform=web&user_id=5678&email=ann%40example.com&hash={hash}", server.url);
    let dom = chromium_dom(&form, &dir.join("profile"));
    assert!(dom.contains("id=\"result\" class=\"invalid\""), "{dom}");
    assert!(dom.contains("ios secret's hash") && dom.contains("you hashed the email"), "{dom}");
    assert!(!dom.contains(SECRET_IOS) && !dom.contains(SECRET_WEB), "a secret reached the page");
    // The form keeps what was typed, escaped.
    let hostile = format!(
        "{}/diagnose?app=ws_prod&platform=web&user_id=%3Cscript%3Ealert(1)%3C%2Fscript%3E&hash={hash}",
        server.url
    );
    let dom = chromium_dom(&hostile, &dir.join("profile"));
    assert!(!dom.contains("<script>alert(1)"), "{dom}");
    assert!(dom.contains("&lt;script&gt;alert(1)"), "{dom}");
    let start = chromium_dom(&format!("{}/", server.url), &dir.join("profile"));
    assert!(
        start.contains("<form") && start.contains("<option>ws_prod</option>") && !start.contains("id=\"result\""),
        "{start}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
