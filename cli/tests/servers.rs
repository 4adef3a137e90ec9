//! Both servers under bounded loopback attacks (issue 18): `ivconform serve --http` and `ivconform diagnose
//! --serve`, each started as a child. Every attack asserts that a normal client is answered within 2 s
//! while it goes on, and that the server's open descriptors, threads and memory (from /proc) come back
//! to their baseline afterwards. Counts are small and every socket has timeouts, so each test is bounded
//! (the longest waits are the servers' own 10 s stall and header timeouts).

use crate::util::{bin, scratch};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server child; killed and reaped when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `ivconform ARGS`, which prints `listening on http://ADDR/` first.
    fn start(args: &[&str], dir: &std::path::Path) -> Server {
        let mut child = Command::new(bin())
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ivconform starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.strip_suffix('/'))
            .unwrap_or_else(|| panic!("first line {line:?}"))
            .parse()
            .unwrap();
        let server = Server { child, addr };
        // Warm up (the runtime's threads and first allocations) before any baseline is taken.
        for _ in 0..20 {
            server.normal();
        }
        server
    }

    fn reference() -> Server {
        Server::start(&["serve", "--http", "127.0.0.1:0"], &scratch("servers-reference"))
    }

    fn page(name: &str) -> Server {
        let dir = scratch(name);
        std::fs::write(dir.join("ws.toml"), "[apps.ws_prod]\nweb = { secret = \"prod-web-secret-0001\" }\n").unwrap();
        Server::start(&["diagnose", "--config", "ws.toml", "--serve", "127.0.0.1:0"], &dir)
    }

    fn is_page(&self) -> bool {
        self.child_args_contain("diagnose")
    }

    fn child_args_contain(&self, word: &str) -> bool {
        std::fs::read(format!("/proc/{}/cmdline", self.child.id()))
            .map(|c| c.split(|&b| b == 0).any(|a| a == word.as_bytes()))
            .unwrap_or(false)
    }

    /// Entries in /proc/PID/status and /proc/PID/fd: (open descriptors, threads, VmRSS in KiB).
    fn usage(&self) -> (usize, usize, usize) {
        let pid = self.child.id();
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (fds, field("Threads:"), field("VmRSS:"))
    }

    /// A normal request (the reference: an HMAC; the page: the empty form) on a new connection, answered
    /// in full within 2 s.
    fn normal(&self) {
        let started = Instant::now();
        let mut s = connect(self.addr);
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let host = self.addr;
        let request = if self.is_page() {
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
        } else {
            let body = r#"{"seq":1,"type":"hmac","key_hex":"4a656665","msg_hex":"77686174"}"#;
            format!(
                "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        s.write_all(request.as_bytes()).unwrap();
        let mut reply = Vec::new();
        let read = s.read_to_end(&mut reply);
        let elapsed = started.elapsed();
        let text = String::from_utf8_lossy(&reply);
        assert!(read.is_ok() && text.starts_with("HTTP/1.1 200"), "normal request failed: {read:?} {text:.200}");
        assert!(elapsed < Duration::from_secs(2), "a normal request took {elapsed:?}");
        assert!(text.contains("\"tag_hex\"") || text.contains("<form"), "{text:.300}");
    }

    /// Normal requests every 250 ms for `period`.
    fn normal_during(&self, period: Duration) {
        let end = Instant::now() + period;
        while Instant::now() < end {
            self.normal();
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Waits (at most 20 s) for descriptors and threads to come back to `base`, and memory within 64 MiB
    /// of it; asserts they did.
    fn settles_to(&self, base: (usize, usize, usize), attack: &str) {
        let end = Instant::now() + Duration::from_secs(20);
        let mut now = self.usage();
        while Instant::now() < end && !(now.0 <= base.0 && now.1 <= base.1 && now.2 <= base.2 + 64 * 1024) {
            std::thread::sleep(Duration::from_millis(200));
            now = self.usage();
        }
        assert!(now.0 <= base.0, "{attack}: {} descriptors open, {} before", now.0, base.0);
        assert!(now.1 <= base.1, "{attack}: {} threads, {} before", now.1, base.1);
        assert!(now.2 <= base.2 + 64 * 1024, "{attack}: VmRSS {} KiB, {} KiB before", now.2, base.2);
        self.normal();
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Whether the server ends `s` (end of file or a reset) within `limit`, reading whatever it sends first.
fn closed_by_server(s: &mut TcpStream, limit: Duration) -> (bool, String) {
    s.set_read_timeout(Some(Duration::from_millis(250))).unwrap();
    let end = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < end {
        match s.read(&mut buf) {
            Ok(0) => return (true, String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n.min(4096)]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return (true, String::from_utf8_lossy(&got).into_owned()),
        }
    }
    (false, String::from_utf8_lossy(&got).into_owned())
}

#[test]
fn idle_sockets_and_slowloris_block_nobody_and_are_cut() {
    for server in [Server::reference(), Server::page("servers-slowloris")] {
        let base = server.usage();
        let idle: Vec<TcpStream> = (0..100).map(|_| connect(server.addr)).collect();
        // Twenty clients sending a request head one byte a second, from one thread.
        let mut slow: Vec<TcpStream> = (0..20).map(|_| connect(server.addr)).collect();
        let head = format!("GET / HTTP/1.1\r\nHost: {}\r\nX-Slow: {}\r\n", server.addr, "a".repeat(64));
        let dripping = std::thread::scope(|scope| {
            let drip = scope.spawn(|| {
                let started = Instant::now();
                for byte in head.bytes() {
                    let alive: Vec<bool> = slow.iter_mut().map(|s| s.write_all(&[byte]).is_ok()).collect();
                    if alive.iter().all(|a| !a) || started.elapsed() > Duration::from_secs(20) {
                        return started.elapsed();
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
                started.elapsed()
            });
            server.normal_during(Duration::from_secs(12));
            drip.join().unwrap()
        });
        // The head timer (10 s from the first byte) cut every slow client before its head was done.
        assert!(dripping < Duration::from_secs(20), "slowloris clients were still accepted after {dripping:?}");
        for s in &mut slow {
            assert!(closed_by_server(s, Duration::from_secs(2)).0, "a slowloris connection is still open");
        }
        drop(idle);
        drop(slow);
        server.settles_to(base, "idle and slowloris sockets");
    }
}

#[test]
fn announced_bodies_that_never_come_block_nobody_and_get_408() {
    let server = Server::reference();
    let base = server.usage();
    let mut stuck: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = connect(server.addr);
            s.write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n{").unwrap();
            s
        })
        .collect();
    server.normal_during(Duration::from_secs(5));
    for s in &mut stuck {
        let (closed, reply) = closed_by_server(s, Duration::from_secs(15));
        assert!(reply.starts_with("HTTP/1.1 408"), "{reply:.200}");
        assert!(reply.contains("too slowly"), "{reply}");
        let _ = closed;
    }
    drop(stuck);
    server.settles_to(base, "announced bodies");
}

#[test]
fn forged_content_lengths_leak_nothing() {
    let server = Server::reference();
    let base = server.usage();
    for i in 0..200 {
        let mut s = connect(server.addr);
        let n = (64u64 << 20) + 1 + i * 1_000_000_007;
        s.write_all(format!("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {n}\r\n\r\n{{}}").as_bytes()).unwrap();
        let (closed, reply) = closed_by_server(&mut s, Duration::from_secs(5));
        assert!(closed && reply.starts_with("HTTP/1.1 413"), "request {i}: {reply:.200}");
        assert!(reply.contains(&n.to_string()), "{reply}");
        if i % 50 == 0 {
            server.normal();
        }
    }
    server.settles_to(base, "200 forged lengths");
}

#[test]
fn an_endless_header_line_is_cut_off_early() {
    for server in [Server::reference(), Server::page("servers-header")] {
        let base = server.usage();
        let clients: Vec<_> = (0..2)
            .map(|_| {
                let addr = server.addr;
                std::thread::spawn(move || {
                    // A 256 MiB header line, of which at most 4 MiB is sent.
                    let mut s = connect(addr);
                    s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nX-Huge: ").unwrap();
                    let chunk = vec![b'a'; 64 << 10];
                    let mut sent = 0usize;
                    while sent < 256 << 20 {
                        if s.write_all(&chunk).is_err() {
                            break;
                        }
                        sent += chunk.len();
                        if sent >= 4 << 20 {
                            break;
                        }
                    }
                    let (closed, reply) = closed_by_server(&mut s, Duration::from_secs(5));
                    (sent, closed, reply)
                })
            })
            .collect();
        server.normal();
        for c in clients {
            let (sent, closed, reply) = c.join().unwrap();
            assert!(closed, "the server still reads a header line after {sent} bytes");
            assert!(sent < 4 << 20 || reply.starts_with("HTTP/1.1 431"), "{sent} bytes sent: {reply:.100}");
        }
        server.settles_to(base, "endless header lines");
    }
}

#[test]
fn a_client_that_never_reads_blocks_nobody_and_is_cut() {
    for server in [Server::reference(), Server::page("servers-noread")] {
        let base = server.usage();
        // Many pipelined requests for the biggest answer there is (the page with 600 KB echoed; the
        // reference's hello), never reading a byte of the answers.
        let request = if server.is_page() {
            let body = format!("app=ws_prod&platform=web&payload={}", "x".repeat(600 << 10));
            format!(
                "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                server.addr,
                body.len()
            )
        } else {
            format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr)
        };
        let repeat = if server.is_page() { 40 } else { 100_000 };
        let addr = server.addr;
        let writer = std::thread::spawn(move || {
            let mut s = connect(addr);
            for _ in 0..repeat {
                if s.write_all(request.as_bytes()).is_err() {
                    break;
                }
            }
            s
        });
        server.normal_during(Duration::from_secs(4));
        let s = writer.join().unwrap();
        server.normal_during(Duration::from_secs(2));
        // The server's writes wait on a client that does not read: the write-stall timer ends the
        // connection on the server's side while the client still holds its socket.
        server.settles_to(base, "a client that never reads");
        drop(s);
    }
}

/// One request to the page with the given Host and Origin; the status line and the headers.
fn page_request(server: &Server, method: &str, host: &str, origin: Option<&str>) -> String {
    let mut s = connect(server.addr);
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let origin = origin.map(|o| format!("Origin: {o}\r\n")).unwrap_or_default();
    let body = "app=ws_prod&platform=web&user_id=1&hash=00";
    let request = if method == "POST" {
        format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\n{origin}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    } else {
        format!("{method} / HTTP/1.1\r\nHost: {host}\r\n{origin}Connection: close\r\n\r\n")
    };
    s.write_all(request.as_bytes()).unwrap();
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

#[test]
fn the_page_answers_only_its_own_host_and_origin() {
    let server = Server::page("servers-origin");
    let base = server.usage();
    let own = server.addr.to_string();
    let port = server.addr.port();
    let localhost = format!("localhost:{port}");
    let status = |r: &str| r.split(' ').nth(1).unwrap_or_default().to_string();
    // DNS rebinding: the attacker's name pointing at 127.0.0.1 still says its own name in Host.
    for host in ["evil.example", &format!("evil.example:{port}"), "127.0.0.1:1", &format!("[::1]:{port}")] {
        let r = page_request(&server, "GET", host, None);
        assert_eq!(status(&r), "421", "Host {host}: {r:.300}");
        assert!(!r.contains("<form"), "Host {host} got the page");
        let r = page_request(&server, "POST", host, Some(&format!("http://{host}")));
        assert_eq!(status(&r), "421", "Host {host}: {r:.300}");
    }
    // CSRF: the form submitted from another page.
    for origin in ["http://evil.example", "null", &format!("https://{own}"), &format!("http://{own}.evil.example")] {
        let r = page_request(&server, "POST", &own, Some(origin));
        assert_eq!(status(&r), "403", "Origin {origin}: {r:.300}");
        assert!(!r.contains("data-verdict"), "Origin {origin} got a verdict");
    }
    // The page itself, by address or by localhost; every answer is no-store.
    for host in [own.as_str(), localhost.as_str()] {
        let r = page_request(&server, "POST", host, Some(&format!("http://{host}")));
        assert_eq!(status(&r), "200", "{r:.300}");
        assert!(r.contains("data-verdict=\"cannot\"") || r.contains("data-verdict=\"invalid\""), "{r:.2000}");
        assert!(r.to_ascii_lowercase().contains("cache-control: no-store"), "{r:.500}");
        let r = page_request(&server, "GET", host, None);
        assert_eq!(status(&r), "200");
    }
    // A POST without Origin (not a browser) is answered; one a browser marks cross-site is not.
    assert_eq!(status(&page_request(&server, "POST", &own, None)), "200");
    let mut s = connect(server.addr);
    s.write_all(format!("POST / HTTP/1.1\r\nHost: {own}\r\nSec-Fetch-Site: cross-site\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut r = String::new();
    let _ = s.read_to_string(&mut r);
    assert_eq!(status(&r), "403", "{r:.300}");
    // The old GET form is gone: nothing is diagnosed from a URL.
    let mut s = connect(server.addr);
    s.write_all(
        format!("GET /diagnose?app=ws_prod&hash=00&user_id=1 HTTP/1.1\r\nHost: {own}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut r = String::new();
    let _ = s.read_to_string(&mut r);
    assert_eq!(status(&r), "404", "{r:.300}");
    server.settles_to(base, "foreign Host and Origin");
}

#[test]
fn the_page_binds_loopback_unless_allowed() {
    let dir = scratch("servers-remote");
    std::fs::write(dir.join("ws.toml"), "[apps.ws_prod]\nweb = { secret = \"prod-web-secret-0001\" }\n").unwrap();
    let out = Command::new(bin())
        .args(["diagnose", "--config", "ws.toml", "--serve", "0.0.0.0:0"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a loopback address") && err.contains("--allow-remote"), "{err}");
    assert!(out.stdout.is_empty(), "it listened: {}", String::from_utf8_lossy(&out.stdout));
    let out = Command::new(bin())
        .args(["diagnose", "--config", "ws.toml", "--allow-remote", "--app", "ws_prod", "--hash", "00"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--allow-remote needs --serve");
}
