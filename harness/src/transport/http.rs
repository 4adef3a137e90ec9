//! HTTP transport: protocol messages as POST bodies to `--url`.
//!
//! Each connection owns a `ureq` agent, so each runner worker keeps one keep-alive connection. Every call
//! has one deadline covering connect, send and the whole response, so a hang (including a connect that never
//! completes) is a timeout; a refused connection or failed DNS lookup is *unreachable*; a non-2xx status, a
//! non-HTTP answer or a body over [`MAX_RESPONSE_BYTES`] is a protocol error (the body is never read past
//! the cap); a connection that closes before the response is complete is a crash. A connection left out of
//! step by a failure is dropped, so the next call opens a fresh one. `close` sends no `bye`: the server is
//! shared by every worker (over HTTP `bye` is only answered, and the runner may send one itself).
//!
//! Known limits: ureq does not bound DNS lookups by the deadline (use an IP or `localhost`); and if a
//! server closes an idle keep-alive connection at the very moment a request is sent on it, that call is
//! reported as a crash (ureq checks idle connections before reuse, so the window is tiny).

use super::{decode_response, preview, CallError, Connector, Exchange, Transport};
use ivconform_protocol::{Request, MAX_RESPONSE_BYTES};
use std::io::{self, Read};
use std::time::Duration;

/// Most of an error response's body read for the message (bytes).
const ERROR_BODY_BYTES: u64 = 4096;

/// Opens keep-alive HTTP connections to an implementation serving the protocol at a URL.
#[derive(Debug, Clone)]
pub struct HttpConnector {
    url: String,
    timeout: Duration,
}

impl HttpConnector {
    /// Checks that `url` is a plain `http://` URL; `timeout` bounds each call (connect, send and response).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        if timeout.is_zero() {
            return Err("the per-call timeout must be more than zero".into());
        }
        let url = url.trim();
        let example = "expected a URL like http://127.0.0.1:8080/";
        let Some((scheme, _)) = url.split_once("://") else {
            return Err(format!("{url:?} is not a URL: {example}"));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "http" => {}
            "https" => {
                return Err(format!(
                    "{url:?}: https is not supported (the harness speaks plain HTTP, without TLS); serve the \
                     adapter on http:// or put a plain-HTTP endpoint in front of it"
                ))
            }
            _ => return Err(format!("{url:?}: unsupported scheme {scheme:?}; only http:// is supported")),
        }
        let parsed =
            ureq::post(url).request_url().map_err(|e| format!("{url:?} is not a valid URL ({e}): {example}"))?;
        Ok(HttpConnector { url: parsed.as_url().to_string(), timeout })
    }
}

impl Connector for HttpConnector {
    fn connect(&self) -> Result<Box<dyn Transport>, CallError> {
        let agent = ureq::AgentBuilder::new()
            .timeout(self.timeout)
            .timeout_connect(self.timeout)
            .redirects(0)
            .max_idle_connections(1)
            .max_idle_connections_per_host(1)
            .user_agent(concat!("ivconform/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Box::new(Conn { agent, url: self.url.clone(), timeout: self.timeout }))
    }

    fn describe(&self) -> String {
        format!("http: {}", self.url)
    }
}

/// One worker's connection: an agent with its own (single) pooled keep-alive connection.
struct Conn {
    agent: ureq::Agent,
    url: String,
    timeout: Duration,
}

impl Transport for Conn {
    fn call(&mut self, request: &Request) -> Result<Exchange, CallError> {
        let body = serde_json::to_vec(request).expect("requests serialise");
        let response = match self.agent.post(&self.url).set("Content-Type", "application/json").send_bytes(&body) {
            Ok(r) => r,
            Err(ureq::Error::Status(status, r)) => return Err(status_error(status, r)),
            Err(ureq::Error::Transport(t)) => return Err(self.transport_error(&t)),
        };
        if !(200..300).contains(&response.status()) {
            return Err(status_error(response.status(), response));
        }
        let declared = response.header("Content-Length").and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(len) = declared.filter(|&n| n > MAX_RESPONSE_BYTES as u64) {
            // Dropping the response closes the connection without reading the body.
            return Err(CallError::Protocol(format!(
                "the response declares {len} bytes, over the {MAX_RESPONSE_BYTES}-byte cap"
            )));
        }
        let mut raw = Vec::with_capacity(declared.map_or(8 * 1024, |n| n as usize));
        let read = response.into_reader().take(MAX_RESPONSE_BYTES as u64 + 1).read_to_end(&mut raw);
        if let Err(e) = read {
            return Err(self.body_error(&e, raw.len()));
        }
        if raw.len() > MAX_RESPONSE_BYTES {
            return Err(CallError::Protocol(format!(
                "the response body is over the {MAX_RESPONSE_BYTES}-byte cap (stopped reading after {} bytes)",
                raw.len()
            )));
        }
        decode_response(request, &raw)
    }
}

impl Conn {
    /// Classifies a failure before a response (status line and headers) was read.
    fn transport_error(&self, t: &ureq::Transport) -> CallError {
        use ureq::ErrorKind as K;
        let io_kind = io_kind(t);
        match t.kind() {
            _ if io_kind.is_some_and(timed_out) => CallError::Timeout(self.timeout),
            K::Dns | K::ConnectionFailed => CallError::Unreachable(format!("cannot connect: {t}")),
            // ureq reports a missing status line as `ConnectionAborted`, a header line cut short as
            // `InvalidInput`.
            K::Io if io_kind.is_some_and(|k| closed(k) || k == io::ErrorKind::InvalidInput) => {
                CallError::Crash(format!("the connection closed before a complete response: {t}"))
            }
            K::BadStatus | K::BadHeader | K::Io | K::TooManyRedirects | K::HTTP => {
                CallError::Protocol(format!("not a valid HTTP response: {t}"))
            }
            K::InvalidUrl
            | K::UnknownScheme
            | K::InsecureRequestHttpsOnly
            | K::InvalidProxyUrl
            | K::ProxyConnect
            | K::ProxyUnauthorized => CallError::Unreachable(format!("cannot reach the server: {t}")),
        }
    }

    /// Classifies a failure while reading the body, after `got` bytes. (A chunked body cut short is reported
    /// by ureq as `InvalidInput`, like a malformed one, so it counts as a protocol error.)
    fn body_error(&self, e: &io::Error, got: usize) -> CallError {
        if timed_out(e.kind()) {
            CallError::Timeout(self.timeout)
        } else if closed(e.kind()) {
            CallError::Crash(format!(
                "the connection closed in the middle of the response body (after {got} bytes): {e}"
            ))
        } else {
            CallError::Protocol(format!("cannot read the response body (after {got} bytes): {e}"))
        }
    }
}

/// A non-2xx answer: the status and the start of its body.
fn status_error(status: u16, response: ureq::Response) -> CallError {
    let text = response.status_text().to_string();
    let mut body = Vec::new();
    let _ = response.into_reader().take(ERROR_BODY_BYTES).read_to_end(&mut body);
    CallError::Protocol(format!(
        "HTTP status {status} {text} (expected 200): {}",
        preview(&String::from_utf8_lossy(&body))
    ))
}

/// The kind of the I/O error behind a transport error, if there is one.
fn io_kind(t: &ureq::Transport) -> Option<io::ErrorKind> {
    std::error::Error::source(t)?.downcast_ref::<io::Error>().map(io::Error::kind)
}

fn timed_out(kind: io::ErrorKind) -> bool {
    matches!(kind, io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock)
}

/// The peer closed or reset the connection.
fn closed(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::BrokenPipe
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivconform_protocol::{reference, Response, PROTOCOL};
    use serde_json::json;
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Arc};
    use std::time::Instant;

    /// The per-call timeout in these tests.
    const TIMEOUT: Duration = Duration::from_millis(300);

    /// Starts the reference HTTP server on a free loopback port; it lives until the test process ends.
    fn reference_url() -> String {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            crate::serve::http::serve_with("127.0.0.1:0", 4, ivconform_protocol::reference::handle_bytes, move |addr| {
                tx.send(addr).unwrap()
            })
        });
        format!("http://{}/", rx.recv_timeout(Duration::from_secs(5)).expect("the server starts"))
    }

    fn connect(url: &str, timeout: Duration) -> Box<dyn Transport> {
        HttpConnector::new(url, timeout).unwrap().connect().unwrap()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// One request of each kind, answers of each shape (user, visitor, reject, error).
    fn requests() -> Vec<Request> {
        let secret = hex(b"s3cr3t-web");
        let signed = reference::handle(&Request::Sign {
            seq: 0,
            secret_hex: secret.clone(),
            user_id: Some(json!(5678)),
            email: None,
        });
        let Response::Sign { user_hash: Some(hash), .. } = signed else { panic!("{signed:?}") };
        let config = json!({"apps": {"ws": {"web": {"secret_hex": secret, "enforced": true}}}});
        let verify = |seq, payload: serde_json::Value| Request::Verify {
            seq,
            config: config.clone().into(),
            platform: "web".into(),
            payload_hex: hex(payload.to_string().as_bytes()).into(),
            now: None,
        };
        vec![
            Request::Hello { seq: 1, protocol: PROTOCOL.into(), suite_version: "1.0.0".into() },
            Request::Hmac {
                seq: 2,
                key_hex: "4a656665".into(),
                msg_hex: "7768617420646f2079612077616e7420666f72206e6f7468696e673f".into(),
            },
            Request::Sign {
                seq: 3,
                secret_hex: secret.clone(),
                user_id: Some(json!(5678)),
                email: Some(json!("a@b.c")),
            },
            Request::Sign { seq: 4, secret_hex: secret.clone(), user_id: Some(json!(null)), email: None },
            verify(5, json!({"app_id": "ws", "user_id": 5678, "user_hash": hash})),
            verify(6, json!({"app_id": "ws", "user_id": 5678, "user_hash": "00".repeat(32)})),
            verify(7, json!({"app_id": "nope"})),
            Request::Hmac { seq: 8, key_hex: "not hex".into(), msg_hex: String::new() },
            Request::Bye { seq: 9 },
            Request::Hello { seq: 10, protocol: PROTOCOL.into(), suite_version: "1.0.0".into() },
        ]
    }

    #[test]
    fn answers_match_the_reference() {
        let url = reference_url();
        let connector = HttpConnector::new(&url, Duration::from_secs(5)).unwrap();
        assert_eq!(connector.describe(), format!("http: {url}"));
        let mut conn = connector.connect().unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        for request in requests() {
            let exchange = conn.call(&request).unwrap_or_else(|e| panic!("{request:?}: {e}"));
            assert_eq!(exchange.response, reference::handle(&request), "{request:?}");
            assert_eq!(exchange.raw, serde_json::to_string(&exchange.response).unwrap());
            kinds.insert(format!("{:?}", exchange.response).split([' ', '{']).next().unwrap().to_string());
        }
        // Every response shape came back (the verify answers include accept-as-user and reject).
        assert_eq!(kinds.len(), 6, "{kinds:?}");
        assert_eq!(conn.take_stderr(), "");
        conn.close();
    }

    #[test]
    fn four_connections_in_parallel_all_answer_correctly() {
        let url = reference_url();
        let connector = Arc::new(HttpConnector::new(&url, Duration::from_secs(10)).unwrap());
        let workers: Vec<_> = (0..4u64)
            .map(|w| {
                let connector = Arc::clone(&connector);
                std::thread::spawn(move || {
                    let mut conn = connector.connect().unwrap();
                    let all = requests();
                    for i in 0..200u64 {
                        let seq = w * 1000 + i;
                        let request = match all[(i as usize) % all.len()].clone() {
                            Request::Hmac { key_hex, .. } if i % 3 == 0 => {
                                Request::Hmac { seq, key_hex, msg_hex: hex(&seq.to_be_bytes()) }
                            }
                            other => other.with_seq(seq),
                        };
                        let exchange = conn.call(&request).unwrap_or_else(|e| panic!("worker {w}, call {i}: {e}"));
                        assert_eq!(exchange.response, reference::handle(&request));
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
    }

    /// A scripted server on a free loopback port: `script(connection index, stream)` runs for each of the
    /// first `max` connections. Returns the URL and the number of connections accepted so far.
    fn scripted(max: usize, script: impl Fn(usize, TcpStream) + Send + Sync + 'static) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        let script = Arc::new(script);
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            while count.load(Ordering::SeqCst) < max && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let n = count.fetch_add(1, Ordering::SeqCst);
                        stream.set_nonblocking(false).unwrap();
                        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                        stream.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
                        let script = Arc::clone(&script);
                        std::thread::spawn(move || script(n, stream));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        (url, accepted)
    }

    /// Reads one request (headers and a Content-Length body); `None` at EOF or on error.
    fn read_request(reader: &mut impl BufRead) -> Option<Vec<u8>> {
        let mut len = 0;
        for i in 0..100 {
            let mut line = String::new();
            if reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    len = value.trim().parse().ok()?;
                }
            }
            if i == 99 {
                return None;
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).ok()?;
        Some(body)
    }

    /// Reads the request, then writes `answer` and closes.
    fn answer_once(answer: &'static [u8]) -> impl Fn(usize, TcpStream) + Send + Sync + 'static {
        move |_, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            read_request(&mut reader);
            let mut stream = stream;
            let _ = stream.write_all(answer);
        }
    }

    fn hello() -> Request {
        requests().remove(0)
    }

    fn expect_protocol(result: Result<Exchange, CallError>, needles: &[&str]) -> String {
        match result {
            Err(CallError::Protocol(m)) => {
                for needle in needles {
                    assert!(m.contains(needle), "{needle:?} not in {m:?}");
                }
                m
            }
            other => panic!("expected a protocol error, got {other:?}"),
        }
    }

    #[test]
    fn each_connection_keeps_one_keep_alive_connection() {
        let (url, accepted) = scripted(10, |_, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut stream = stream;
            for _ in 0..1000 {
                let Some(body) = read_request(&mut reader) else { return };
                let answer = serde_json::to_vec(&reference::handle_bytes(&body)).unwrap();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    answer.len()
                );
                if stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&answer)).is_err() {
                    return;
                }
            }
        });
        let (mut a, mut b) = (connect(&url, Duration::from_secs(5)), connect(&url, Duration::from_secs(5)));
        for request in requests() {
            assert_eq!(a.call(&request).unwrap().response, reference::handle(&request));
            assert_eq!(b.call(&request).unwrap().response, reference::handle(&request));
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_server_that_never_answers_is_a_timeout() {
        let (url, _) = scripted(1, |_, stream| {
            let mut reader = BufReader::new(stream);
            read_request(&mut reader);
            // Hold the connection open until the client gives up (bounded by the 5 s read timeout).
            let _ = reader.read(&mut [0u8; 1]);
        });
        let started = Instant::now();
        let result = connect(&url, TIMEOUT).call(&hello());
        let took = started.elapsed();
        assert_eq!(result, Err(CallError::Timeout(TIMEOUT)));
        assert!(took >= TIMEOUT - Duration::from_millis(50) && took < Duration::from_secs(2), "{took:?}");

        // Headers, then nothing: the deadline covers the body too.
        let (url, _) = scripted(1, |_, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            read_request(&mut reader);
            let mut stream = stream;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"seq\":");
            let _ = reader.read(&mut [0u8; 1]);
        });
        let started = Instant::now();
        assert_eq!(connect(&url, TIMEOUT).call(&hello()), Err(CallError::Timeout(TIMEOUT)));
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    /// Streams a 100 MB body in 64 KiB chunks (`framing`: "close", "length" or "chunked") until the client
    /// hangs up; reports how many body bytes it managed to write.
    fn huge_body(
        framing: &'static str,
        written: mpsc::Sender<usize>,
    ) -> impl Fn(usize, TcpStream) + Send + Sync + 'static {
        let written = std::sync::Mutex::new(written);
        move |_, stream| {
            const TOTAL: usize = 100 << 20;
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            read_request(&mut reader);
            let mut stream = stream;
            let head = match framing {
                "close" => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".to_string(),
                "length" => {
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {TOTAL}\r\n\r\n")
                }
                _ => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .to_string(),
            };
            let chunk = vec![b'7'; 64 * 1024];
            let mut sent = 0;
            let mut ok = stream.write_all(head.as_bytes()).is_ok();
            while ok && sent < TOTAL {
                ok = match framing {
                    "chunked" => stream
                        .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                        .and_then(|()| stream.write_all(&chunk))
                        .and_then(|()| stream.write_all(b"\r\n")),
                    _ => stream.write_all(&chunk),
                }
                .is_ok();
                if ok {
                    sent += chunk.len();
                }
            }
            let _ = written.lock().unwrap().send(sent);
        }
    }

    #[test]
    fn a_100_mb_body_is_cut_at_the_cap() {
        for framing in ["close", "chunked", "length"] {
            let (tx, rx) = mpsc::channel();
            let (url, _) = scripted(1, huge_body(framing, tx));
            let started = Instant::now();
            let message = expect_protocol(connect(&url, Duration::from_secs(10)).call(&hello()), &["cap"]);
            assert!(message.contains(&MAX_RESPONSE_BYTES.to_string()), "{message}");
            assert!(started.elapsed() < Duration::from_secs(5), "{framing}: {:?}", started.elapsed());
            // The client stopped reading: the server could not push anywhere near 100 MB.
            let sent = rx.recv_timeout(Duration::from_secs(10)).expect("the server gives up");
            assert!(sent < 40 << 20, "{framing}: the server wrote {sent} bytes");
        }
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        let (url, _) = scripted(1, answer_once(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\nnot json"));
        expect_protocol(connect(&url, TIMEOUT).call(&hello()), &["not a protocol message", "not json"]);

        let (url, _) =
            scripted(1, answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 23\r\n\r\n{\"seq\":77,\"type\":\"bye\"}"));
        expect_protocol(connect(&url, TIMEOUT).call(&hello()), &["seq 77"]);

        let (url, _) = scripted(1, answer_once(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"));
        expect_protocol(connect(&url, TIMEOUT).call(&hello()), &["not a valid HTTP response"]);
    }

    #[test]
    fn a_500_is_a_protocol_error_with_the_status_and_body() {
        let (url, _) = scripted(
            1,
            answer_once(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 22\r\n\r\nboom: database on fire"),
        );
        expect_protocol(connect(&url, TIMEOUT).call(&hello()), &["500", "boom: database on fire"]);

        let (url, _) = scripted(
            1,
            answer_once(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/\r\nContent-Length: 0\r\n\r\n"),
        );
        expect_protocol(connect(&url, TIMEOUT).call(&hello()), &["302"]);
    }

    /// Documented choice: a connection closed before the response is complete is a crash (the runner then
    /// opens a fresh connection), whether it closes before the status line or in the middle of the body.
    #[test]
    fn a_connection_closed_mid_response_is_a_crash() {
        let (url, _) = scripted(1, answer_once(b""));
        let result = connect(&url, TIMEOUT).call(&hello());
        assert!(matches!(&result, Err(CallError::Crash(m)) if m.contains("closed")), "{result:?}");

        let (url, _) = scripted(1, answer_once(b"HTTP/1.1 200 OK\r\nContent-Le"));
        let result = connect(&url, TIMEOUT).call(&hello());
        assert!(matches!(&result, Err(CallError::Crash(_))), "{result:?}");

        let (url, _) = scripted(1, answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"seq\":1,"));
        let result = connect(&url, TIMEOUT).call(&hello());
        assert!(matches!(&result, Err(CallError::Crash(m)) if m.contains("body")), "{result:?}");
    }

    #[test]
    fn the_next_call_after_a_failure_uses_a_fresh_connection() {
        let (url, accepted) = scripted(2, |n, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let Some(body) = read_request(&mut reader) else { return };
            if n == 0 {
                return; // crash on the first connection
            }
            let answer = serde_json::to_vec(&reference::handle_bytes(&body)).unwrap();
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", answer.len());
            let mut stream = stream;
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&answer));
        });
        let mut conn = connect(&url, Duration::from_secs(5));
        assert!(matches!(conn.call(&hello()), Err(CallError::Crash(_))));
        assert_eq!(conn.call(&hello()).unwrap().response, reference::handle(&hello()));
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn nothing_listening_is_unreachable() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let started = Instant::now();
        let result = connect(&format!("http://127.0.0.1:{port}/"), TIMEOUT).call(&hello());
        assert!(matches!(&result, Err(CallError::Unreachable(m)) if m.contains(&port.to_string())), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn urls_are_checked() {
        let t = Duration::from_secs(1);
        assert_eq!(HttpConnector::new("http://127.0.0.1:8080", t).unwrap().describe(), "http: http://127.0.0.1:8080/");
        assert_eq!(
            HttpConnector::new(" http://localhost:9/rpc?x=1 ", t).unwrap().describe(),
            "http: http://localhost:9/rpc?x=1"
        );
        for (bad, needle) in [
            ("https://127.0.0.1:8443/", "https is not supported"),
            ("HTTPS://example.com/", "https is not supported"),
            ("127.0.0.1:8080", "http://"),
            ("localhost:8080", "http://"),
            ("ftp://127.0.0.1/", "only http://"),
            ("http://", "not a valid URL"),
            ("http://exa mple.com/", "not a valid URL"),
            ("http://127.0.0.1:99999/", "not a valid URL"),
            ("", "not a URL"),
        ] {
            let err = HttpConnector::new(bad, t).unwrap_err();
            assert!(err.contains(needle), "{bad:?}: {err}");
        }
        assert!(HttpConnector::new("http://127.0.0.1:8080/", Duration::ZERO).unwrap_err().contains("timeout"));
    }
}
