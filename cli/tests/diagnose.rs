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
    addr: std::net::SocketAddr,
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
    let url = line.trim().strip_prefix("listening on ").expect("the page reports its address").to_string();
    let addr = url.trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
    Page { child, url, addr }
}

impl Page {
    /// Submits the form as the page's own form does (a POST from its origin); the HTML answered.
    fn submit(&self, fields: &[(&str, &str)]) -> String {
        use std::io::{Read, Write};
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect();
        let body = body.join("&");
        let mut s = std::net::TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let host = self.addr;
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply:.500}");
        let head = reply.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
        assert!(head.contains("cache-control: no-store"), "{head}");
        assert!(!reply.contains(SECRET_WEB) && !reply.contains(SECRET_IOS), "a secret reached the page");
        reply.split_once("\r\n\r\n").unwrap().1.to_string()
    }
}

/// application/x-www-form-urlencoded, every byte but ASCII letters and digits percent-encoded.
fn form_encode(v: &str) -> String {
    v.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Headless Chromium (Debian's chromium package; .ci/run installs it) on `target` with extra flags; stdout.
fn chromium(target: &str, profile: &std::path::Path, flags: &[&str]) -> String {
    let out = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"])
        .args(["--virtual-time-budget=2000", "--window-size=1280,1000"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(flags)
        .arg(target)
        .output()
        .expect("chromium is needed for this test: apt-get install -y chromium (.ci/run does it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The DOM Chromium builds from an answered page (saved as NAME.html in `dir`), and a screenshot of it
/// (NAME.png) left in `dir` to look at.
fn rendered(html: &str, dir: &std::path::Path, name: &str) -> String {
    let file = dir.join(format!("{name}.html"));
    std::fs::write(&file, html).unwrap();
    let url = format!("file://{}", file.display());
    let shot = dir.join(format!("{name}.png"));
    chromium(&url, &dir.join("profile"), &[&format!("--screenshot={}", shot.display())]);
    assert!(shot.metadata().is_ok_and(|m| m.len() > 10_000), "no screenshot of {name}");
    let dom = chromium(&url, &dir.join("profile"), &["--dump-dom"]);
    assert!(dom.contains("</html>"), "Chromium rendered nothing for {name}: {dom:.300}");
    dom
}

/// The text of the element with `id` in a DOM dump (up to its closing tag; the page nests no same-named tags
/// in these).
fn element<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {dom:.3000}"));
    let rest = &dom[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find("</").unwrap();
    &rest[open..open + close]
}

fn verdict_of(dom: &str) -> &str {
    let at = dom.find("data-verdict=\"").unwrap_or_else(|| panic!("no verdict in {dom:.3000}")) + 14;
    &dom[at..at + dom[at..].find('"').unwrap()]
}

#[test]
fn the_page_shows_each_verdict_in_headless_chromium() {
    crate::util::require_tool("chromium", "chromium");
    let dir = setup("page");
    let server = page(&dir);
    let shots = dir.join("shots");
    std::fs::create_dir_all(&shots).unwrap();
    let web = |m: &str| hmac_hex(SECRET_WEB, m);
    let ios_email = hmac_hex(SECRET_IOS, "ann@example.com");
    let base = [("app", "ws_prod"), ("platform", "web")];
    let with = |extra: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        base.iter().chain(extra.iter()).map(|(k, v)| (*k, v.to_string())).collect()
    };
    let check = |name: &str, fields: Vec<(&'static str, String)>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        rendered(&server.submit(&fields), &shots, name)
    };

    // Valid: the headline says so, with what matched.
    let dom = check("valid", with(&[("user_id", "5678"), ("numeric", "on"), ("hash", &web("5678"))]));
    assert_eq!(verdict_of(&dom), "valid");
    assert!(element(&dom, "verdict").contains("Valid"), "{dom:.3000}");
    assert!(dom.contains("the hash matches user_id under the web secret of ws_prod"), "{dom:.3000}");

    // Invalid, two mistakes at once: another platform's secret over the email.
    let dom =
        check("invalid-ios-email", with(&[("user_id", "5678"), ("email", "ann@example.com"), ("hash", &ios_email)]));
    assert_eq!(verdict_of(&dom), "invalid");
    assert!(
        dom.contains("made with the ios secret, not the web one; the email was hashed, but user_id is sent"),
        "{dom:.3000}"
    );
    assert_eq!(element(&dom, "matched"), "<code>HMAC(key = ios secret of ws_prod, message = email)");
    let fixes = element(&dom, "fixes");
    assert!(fixes.contains("This is the ios secret's hash"), "{fixes}");
    assert!(dom.contains("You hashed the email, but you also send user_id"), "{dom:.3000}");

    // Invalid: a stale hash, found through the previous identifiers field (one per line).
    let dom =
        check("invalid-stale", with(&[("user_id", "5679"), ("previous", "1111\r\n5678\r\n"), ("hash", &web("5678"))]));
    assert_eq!(verdict_of(&dom), "invalid");
    assert!(dom.contains("the hash is of a previous identifier"), "{dom:.3000}");
    assert!(element(&dom, "matched").contains("previous identifier"), "{dom:.3000}");

    // Invalid: the identifier trimmed before hashing; and a hash nothing explains.
    let dom = check("invalid-trimmed", with(&[("user_id", " 5678 "), ("hash", &web("5678"))]));
    assert!(verdict_of(&dom) == "invalid" && dom.contains("the identifier was trimmed before hashing"), "{dom:.3000}");
    let dom =
        check("invalid-unexplained", with(&[("user_id", "5678"), ("hash", &hmac_hex("some-other-secret", "5678"))]));
    assert!(verdict_of(&dom) == "invalid" && dom.contains("no likely mistake reproduces this hash"), "{dom:.3000}");

    // Cannot check: a hash without the identifier it was made from.
    let dom = check("cannot-no-identifier", with(&[("hash", &web("5678"))]));
    assert_eq!(verdict_of(&dom), "cannot");
    assert!(dom.contains("no user_id or email was sent"), "{dom:.3000}");

    // JWT mode: signed with the wrong platform's secret; valid; expired at a given time.
    let ios_token = jwt_token(SECRET_IOS, r#"{"user_id":"5678"}"#);
    let dom = check("jwt-ios", with(&[("jwt", &ios_token)]));
    assert_eq!(verdict_of(&dom), "invalid");
    assert!(dom.contains("the token is signed with the ios secret of ws_prod"), "{dom:.3000}");
    let token = jwt_token(SECRET_WEB, r#"{"user_id":"5678","exp":1000}"#);
    let dom = check("jwt-valid", with(&[("jwt", &token), ("now", "1000")]));
    assert!(verdict_of(&dom) == "valid" && dom.contains("the token verifies for user_id"), "{dom:.3000}");
    let dom = check("jwt-expired", with(&[("jwt", &token), ("now", "1060")]));
    assert!(verdict_of(&dom) == "invalid" && dom.contains("expired"), "{dom:.3000}");

    // A pasted boot payload: diagnosed as a whole; malformed, it says so.
    let payload = format!(
        r#"{{"app_id":"ws_prod","user_id":"5678","email":"ann@example.com","user_hash":"{}"}}"#,
        web("ann@example.com")
    );
    let dom = check("payload", with(&[("payload", &payload)]));
    assert!(verdict_of(&dom) == "invalid" && dom.contains("the email was hashed"), "{dom:.3000}");
    let dom = check("payload-malformed", with(&[("payload", r#"{"app_id":"ws_prod","user_id":"5678","#)]));
    assert_eq!(verdict_of(&dom), "invalid");
    assert!(dom.contains("the boot payload is malformed"), "{dom:.3000}");

    // Empty or unusable input: a hint, not silence.
    let dom = check("empty", with(&[]));
    assert_eq!(verdict_of(&dom), "notice");
    assert!(dom.contains("enter a user_hash, an intercom_user_jwt or a whole boot payload"), "{dom:.3000}");
    let dom = check("numeric-not-integer", with(&[("user_id", "12.5"), ("numeric", "on"), ("hash", "00")]));
    assert!(verdict_of(&dom) == "notice" && dom.contains("is not an integer"), "{dom:.3000}");

    // What was typed comes back escaped, in the field and in the verdict.
    let dom = check("hostile", with(&[("user_id", "<script>alert(1)</script>"), ("hash", &ios_email)]));
    assert!(!dom.contains("<script>alert(1)"), "{dom:.3000}");
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{dom:.3000}");

    // The live page in the browser (its own Host passes): the form posts, each field has a label.
    let start = chromium(&server.url, &dir.join("profile"), &["--dump-dom"]);
    assert!(start.contains(r#"<form class="card" method="post" action="/""#), "{start}");
    assert!(start.contains("<option>ws_prod</option>") && !start.contains("data-verdict"), "{start}");
    for id in ["app", "platform", "user_id", "email", "numeric", "hash", "jwt", "payload", "previous", "now"] {
        assert!(
            start.contains(&format!(r#"<label for="{id}""#)) || start.contains(&format!(r#"for="{id}""#)),
            "no label for {id}"
        );
        assert!(start.contains(&format!(r#"id="{id}""#)), "no field {id}");
    }
    eprintln!("screenshots in {}", shots.display());
    drop(server);
}
