//! The adapter kits of `adapters/kits/` (issue 17): each kit's short example signer, run with its own
//! toolchain (Debian packages of `.ci/deps.txt`), must pass every case of `vectors/sign.json` through
//! `ivconform run --cmd ... --group sign` (exit 0, every sign case a pass, nothing else), and over HTTP too for
//! the kits that serve it (Python, Node, Go, Java). A missing toolchain fails the test with its apt line.

use crate::util::{bin, cases_in, log, require_tool, root, scratch};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn kits() -> PathBuf {
    root().join("adapters/kits")
}

/// `ivconform run IUT --group sign`: asserts a conformant run where every sign case passed, and the hello name.
fn assert_every_sign_case_passes(what: &str, iut: &[&str], name: &str) {
    let report = scratch(&format!("kits-{}", what.replace(' ', "-"))).join("report.json");
    let out = Command::new(bin())
        .arg("run")
        .args(iut)
        .args(["--group", "sign", "--quiet", "--no-timings", "--run-timeout", "120", "--json"])
        .arg(&report)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("the harness starts");
    assert_eq!(out.status.code(), Some(0), "{what}: not conformant:\n{}", log(&out));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("the JSON report is written")).unwrap();
    let s = &doc["summary"];
    let expected = cases_in("sign");
    assert_eq!(s["total"].as_u64(), Some(expected), "{what}: every sign case runs: {s}");
    assert_eq!(s["pass"].as_u64(), Some(expected), "{what}: every sign case passes: {s}\n{}", log(&out));
    assert_eq!(doc["implementation"]["hello"]["name"], name, "{what}: {}", doc["implementation"]);
    assert_eq!(doc["security_findings"].as_array().map(Vec::len), Some(0), "{what}: {}", doc["security_findings"]);
}

/// An example serving HTTP on a loopback port it chose (`--http 127.0.0.1:0`); killed when dropped.
struct HttpExample {
    child: Child,
    url: String,
}

impl HttpExample {
    fn start(what: &str, program: &str, args: &[&str], dir: &Path) -> HttpExample {
        let mut child = Command::new(program)
            .args(args)
            .args(["--http", "127.0.0.1:0"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{what}: cannot start {program}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines.by_ref() {}
        });
        let mut server = HttpExample { child, url: String::new() };
        let first = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(Ok(line))) => line,
            other => panic!("{what}: no `listening on` line within 30 s: {other:?}"),
        };
        let url = first.strip_prefix("listening on ").unwrap_or_else(|| panic!("{what}: first line {first:?}"));
        assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "{what}: {url:?}");
        server.url = url.to_string();
        server
    }
}

impl Drop for HttpExample {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn python_kit_example_passes_every_sign_case_over_stdio_and_http() {
    require_tool("python3", "python3");
    let example = kits().join("python/example.py");
    assert_every_sign_case_passes(
        "python stdio",
        &["--cmd", &format!("python3 {}", example.display())],
        "python-kit-example",
    );
    let server = HttpExample::start("python http", "python3", &[example.to_str().unwrap()], &root());
    assert_every_sign_case_passes("python http", &["--url", &server.url, "--jobs", "4"], "python-kit-example");
}

#[test]
fn node_kit_example_passes_every_sign_case_over_stdio_and_http() {
    require_tool("node", "nodejs");
    let example = kits().join("node/example.mjs");
    assert_every_sign_case_passes("node stdio", &["--cmd", &format!("node {}", example.display())], "node-kit-example");
    let server = HttpExample::start("node http", "node", &[example.to_str().unwrap()], &root());
    assert_every_sign_case_passes("node http", &["--url", &server.url, "--jobs", "4"], "node-kit-example");
}

#[test]
fn ruby_kit_example_passes_every_sign_case() {
    require_tool("ruby", "ruby");
    let example = kits().join("ruby/example.rb");
    assert_every_sign_case_passes("ruby stdio", &["--cmd", &format!("ruby {}", example.display())], "ruby-kit-example");
}

#[test]
fn php_kit_example_passes_every_sign_case() {
    require_tool("php", "php-cli");
    let example = kits().join("php/example.php");
    assert_every_sign_case_passes("php stdio", &["--cmd", &format!("php {}", example.display())], "php-kit-example");
}

#[test]
fn go_kit_example_passes_every_sign_case_over_stdio_and_http() {
    // `go version`, not --version: require_tool's probe does not apply to go.
    let probe = Command::new("go").arg("version").output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "`go` is needed by this test: apt-get install -y golang-go ({probe:?})"
    );
    let dir = scratch("kits-go");
    let binary = dir.join("example");
    let out = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg("./example")
        .current_dir(kits().join("go"))
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env("GOCACHE", dir.join("gocache"))
        .stdin(Stdio::null())
        .output()
        .expect("go build starts");
    assert!(out.status.success(), "go build of the Go kit's example failed:\n{}", log(&out));
    let program = binary.to_str().unwrap();
    assert_every_sign_case_passes("go stdio", &["--cmd", program], "go-kit-example");
    let server = HttpExample::start("go http", program, &[], &dir);
    assert_every_sign_case_passes("go http", &["--url", &server.url, "--jobs", "4"], "go-kit-example");
}

#[test]
fn java_kit_example_passes_every_sign_case_over_stdio_and_http() {
    require_tool("javac", "default-jdk-headless");
    require_tool("java", "default-jdk-headless");
    let dir = scratch("kits-java");
    let java = kits().join("java");
    let out = Command::new("javac")
        .arg("-d")
        .arg(&dir)
        .arg(java.join("IvconformKit.java"))
        .arg(java.join("Example.java"))
        .stdin(Stdio::null())
        .output()
        .expect("javac starts");
    assert!(out.status.success(), "javac of the Java kit failed:\n{}", log(&out));
    // C1 only and the serial collector: a quick start and no compile or GC pause near the harness's per-case
    // time bound on a loaded 2-core machine.
    let jvm = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", dir.to_str().unwrap(), "Example"];
    let cmd = format!("java {}", jvm.join(" "));
    assert_every_sign_case_passes("java stdio", &["--cmd", &cmd], "java-kit-example");
    let server = HttpExample::start("java http", "java", &jvm, &dir);
    assert_every_sign_case_passes("java http", &["--url", &server.url, "--jobs", "4"], "java-kit-example");
}

#[test]
fn kit_declares_limits_and_answers_no_hash() {
    // The Python kit's hello carries the declared limits, and a signer returning None answers user_hash null.
    require_tool("python3", "python3");
    let script = "import sys; sys.path.insert(0, sys.argv[1]); import ivconform_kit; \
        ivconform_kit.serve(sign=lambda s, u, e: None, name='none', limits={'secret': 'text'}, argv=[])";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(kits().join("python"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"{\"seq\":1,\"type\":\"hello\",\"protocol\":\"ivconform/1\"}\n\
              {\"seq\":2,\"type\":\"sign\",\"secret_hex\":\"6b\",\"user_id\":123456789012345678901234567890}\n\
              {\"seq\":3,\"type\":\"bye\"}\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{}", log(&out));
    assert_eq!(lines[0]["limits"], serde_json::json!({"secret": "text"}), "{}", lines[0]);
    assert_eq!(lines[0]["capabilities"], serde_json::json!(["sign"]));
    assert_eq!(lines[1], serde_json::json!({"seq": 2, "type": "sign", "user_hash": null}));
}

#[test]
fn python_kit_serves_a_verifier_the_template_verify_passes_every_verify_and_payload_case() {
    // The kit's verify path end to end: the Python template's own `verify` behind the kit.
    require_tool("python3", "python3");
    let script = "import sys; sys.path[:0] = ['adapters/kits/python', 'adapters/python']; \
        import ivconform_kit, ivconform_adapter as t; ivconform_kit.serve(verify=t.verify, name='kit-verify')";
    let report = scratch("kits-verify").join("report.json");
    let out = Command::new(bin())
        .args(["run", "--cmd", &format!("python3 -c \"{script}\""), "--group", "verify", "--group", "payload"])
        .args(["--quiet", "--no-timings", "--run-timeout", "300", "--json"])
        .arg(&report)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("the harness starts");
    assert_eq!(out.status.code(), Some(0), "the kit's verify path: not conformant:\n{}", log(&out));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let expected = cases_in("verify") + cases_in("payload");
    assert_eq!(doc["summary"]["pass"].as_u64(), Some(expected), "{}", doc["summary"]);
}

#[test]
fn node_kit_keeps_a_user_id_beyond_2_pow_53_exact() {
    // JSON.parse rounds 9007199254740993 to ...992; the kit reads the digits from the raw request text.
    require_tool("node", "nodejs");
    let kit = kits().join("node/ivconform_kit.mjs");
    let script = format!(
        "import('{}').then(k => k.serve({{ sign: (s, u, e) => typeof u + ':' + String(u) + ':' + e }}))",
        kit.display()
    );
    let mut child = Command::new("node")
        .args(["-e", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"{\"seq\":1,\"type\":\"sign\",\"secret_hex\":\"6b\",\"email\":\"a\\\"user_id\\\":1\",\"user_id\":9007199254740993}\n\
              {\"seq\":2,\"type\":\"sign\",\"secret_hex\":\"6b\",\"user_id\":5678}\n{\"seq\":3,\"type\":\"bye\"}\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{}", log(&out));
    assert_eq!(lines[0]["user_hash"], "bigint:9007199254740993:a\"user_id\":1", "{}", log(&out));
    assert_eq!(lines[1]["user_hash"], "number:5678:null");
}
