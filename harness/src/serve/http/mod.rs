//! `ivconform serve --http ADDR`: the reference over HTTP.
//!
//! `POST /` with a request body answers it (200, `application/json`); `GET /` shows the reference's `hello`.
//! Bodies over [`MAX_REQUEST_BYTES`] get 413, other paths 404, other methods 405, a body that stalls 408, all
//! with a JSON `error` message (hyper's own refusals, 400 for an unparsable head and 431 for one over the
//! header limits, have no body). Connections are HTTP/1.1 keep-alive, so each harness worker reuses one.
//! `bye` is answered but does not stop the server: many harness connections share it.
//!
//! The server itself, with the limits on what a client can hold, is `server` (private), shared with the diagnose
//! page; this module is the reference's routes and its limits.

pub(crate) mod server;

use super::MAX_REQUEST_BYTES;
use anyhow::anyhow;
use hyper::body::Incoming;
use hyper::{Method, Request};
use ivconform_protocol::{reference, Request as ProtocolRequest, Response};
use server::{read_body, reply, App, BodyError, Ctx, Limits, Reply};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Declared bodies up to this long are read and discarded after their 413, so the connection carries on
/// (an oversized harness request does not cost a reconnect); longer declared ones are refused unread and
/// their connection closed.
const MAX_DRAIN_BYTES: usize = 64 << 20;

/// The reference server's limits: generous for the harness (one keep-alive connection per worker, bodies
/// up to [`MAX_REQUEST_BYTES`]), tight for anything that only holds resources.
fn limits() -> Limits {
    Limits {
        max_connections: 512,
        idle_timeout: Duration::from_secs(60),
        header_timeout: Duration::from_secs(10),
        max_header_bytes: 64 << 10,
        max_headers: 64,
        body_stall: Duration::from_secs(10),
        body_timeout: Duration::from_secs(60),
        write_stall: Duration::from_secs(10),
        max_body_bytes: MAX_REQUEST_BYTES,
        max_drain_bytes: MAX_DRAIN_BYTES,
        // Eight largest requests at once; more wait (up to 5 s) for one to finish, then get 503.
        body_budget: 8 * MAX_REQUEST_BYTES,
    }
}

/// Answers one request body; the reference's handler, or the no-op baseline's.
pub type Handler = fn(&[u8]) -> Response;

/// Serves `handler` (the reference's, or the no-op baseline's) on `addr` with `threads` runtime threads (0:
/// one per CPU) until the listener fails; `on_ready` receives the bound address (so port 0 works) before
/// the first request is taken.
pub fn serve_with(
    addr: &str,
    threads: usize,
    handler: Handler,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let running = start_with(addr, threads, handler)?;
    let bound = running.addr;
    on_ready(bound);
    Err(anyhow!("the HTTP listener on {bound} stopped: {}", running.wait()))
}

fn start_with(addr: &str, threads: usize, handler: Handler) -> anyhow::Result<server::Running> {
    start_limited(addr, threads, handler, limits())
}

fn start_limited(addr: &str, threads: usize, handler: Handler, limits: Limits) -> anyhow::Result<server::Running> {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(4, |n| n.get()),
        n => n,
    };
    server::start(addr, threads, limits, Reference { handler }).map_err(|e| anyhow!("cannot listen on {addr}: {e}"))
}

/// The reference server with stall limits short enough for a test to wait them out well inside its own
/// client timeout (the real ones equal it, which on a loaded machine is a race).
#[cfg(test)]
fn start(addr: &str, threads: usize) -> anyhow::Result<server::Running> {
    let limits = Limits { body_stall: Duration::from_secs(2), header_timeout: Duration::from_secs(3), ..limits() };
    start_limited(addr, threads, reference::handle_bytes, limits)
}

/// The reference's routes.
struct Reference {
    handler: Handler,
}

impl App for Reference {
    async fn call(self: Arc<Self>, request: Request<Incoming>, ctx: Ctx) -> Reply {
        let (head, body) = request.into_parts();
        let declared = hyper::body::Body::size_hint(&body).exact();
        // Whatever the method and path: an absurd declared body is refused first, unread.
        if let Some(n) = declared.filter(|&n| n > MAX_DRAIN_BYTES as u64) {
            return too_large(n);
        }
        if head.uri.path() != "/" {
            let message = format!("no such path {}: POST protocol messages to /", truncate(head.uri.path(), 80));
            return error_response(404, &message);
        }
        match head.method {
            Method::POST => {}
            Method::GET => {
                let hello = reference::handle(&ProtocolRequest::Hello {
                    seq: 0,
                    protocol: ivconform_protocol::PROTOCOL.into(),
                    suite_version: String::new(),
                });
                return json_response(200, &hello);
            }
            other => {
                let message = format!("method {other} not allowed: POST protocol messages to / (GET / shows hello)");
                let mut response = error_response(405, &message);
                response
                    .headers_mut()
                    .insert(hyper::header::ALLOW, hyper::header::HeaderValue::from_static("GET, POST"));
                return response;
            }
        }
        let body = match read_body(body, &ctx.shared).await {
            Ok(body) => body,
            Err(BodyError::TooLarge(n)) => return too_large(n),
            Err(BodyError::TooSlow) => return error_response(408, "the request body arrived too slowly"),
            Err(BodyError::Busy) => return error_response(503, "too many large requests at once; retry"),
            Err(BodyError::Broken(e)) => return error_response(400, &format!("cannot read the request body: {e}")),
        };
        let handler = self.handler;
        // The reference never panics on bad input, but the server must outlive any bug in it.
        match std::panic::catch_unwind(|| handler(&body.bytes)) {
            Ok(response) => json_response(200, &response),
            Err(_) => error_response(500, "the reference panicked on this request"),
        }
    }
}

fn too_large(len: u64) -> Reply {
    error_response(413, &format!("request body of {len}+ bytes is over the {MAX_REQUEST_BYTES}-byte limit"))
}

fn json_response(status: u16, response: &Response) -> Reply {
    let body = serde_json::to_vec(response).unwrap_or_else(|_| b"{\"type\":\"error\",\"seq\":0}".to_vec());
    reply(status, "application/json", body)
}

fn error_response(status: u16, message: &str) -> Reply {
    json_response(status, &Response::Error { seq: 0, message: message.into() })
}

fn truncate(text: &str, max: usize) -> String {
    let mut t: String = text.chars().take(max).collect();
    if t.len() < text.len() {
        t.push('…');
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    /// A raw HTTP/1.1 client connection to a started server.
    struct Client {
        reader: BufReader<TcpStream>,
        writer: TcpStream,
    }

    /// A parsed response: status, lowercased headers, body.
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
        }

        fn json(&self) -> Response {
            serde_json::from_slice(&self.body)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
        }
    }

    impl Client {
        fn new(addr: SocketAddr) -> Client {
            let stream = TcpStream::connect(addr).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
            stream.set_write_timeout(Some(Duration::from_secs(60))).unwrap();
            Client { reader: BufReader::new(stream.try_clone().unwrap()), writer: stream }
        }

        fn send(&mut self, head: &str, body: &[u8]) {
            self.writer.write_all(head.as_bytes()).unwrap();
            self.writer.write_all(body).unwrap();
            self.writer.flush().unwrap();
        }

        fn post(&mut self, body: &[u8]) -> Reply {
            let head = format!(
                "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            self.send(&head, body);
            self.reply()
        }

        /// Reads one response (Content-Length bodies only: the server's are small).
        fn reply(&mut self) -> Reply {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            let status =
                line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("status line {line:?}"));
            let mut headers = Vec::new();
            for _ in 0..100 {
                let mut h = String::new();
                self.reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let (name, value) = h.split_once(':').unwrap();
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
            let len: usize = headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; len];
            self.reader.read_exact(&mut body).unwrap();
            Reply { status, headers, body }
        }
    }

    fn started(threads: usize) -> server::Running {
        let running = start("127.0.0.1:0", threads).unwrap();
        assert!(running.addr.ip().is_loopback() && running.addr.port() != 0);
        running
    }

    const HMAC: &[u8] = br#"{"seq":7,"type":"hmac","key_hex":"4a656665","msg_hex":"7768617420646f2079612077616e7420666f72206e6f7468696e673f"}"#;

    #[test]
    fn posts_are_answered_like_the_reference_on_one_keep_alive_connection() {
        let server = started(2);
        let mut c = Client::new(server.addr);
        let bodies: [&[u8]; 5] =
            [HMAC, b"not json", br#"{"seq":4,"type":"sign_jwt"}"#, br#"{"seq":9,"type":"bye"}"#, HMAC];
        for body in bodies {
            let reply = c.post(body);
            assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
            assert_eq!(reply.header("content-type"), Some("application/json"));
            assert_eq!(reply.body, serde_json::to_vec(&reference::handle_bytes(body)).unwrap());
        }
        // `bye` did not stop the server: a new connection is served too.
        assert_eq!(Client::new(server.addr).post(HMAC).status, 200);
        server.stop();
    }

    #[test]
    fn get_shows_hello() {
        let server = started(1);
        let mut c = Client::new(server.addr);
        c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n", b"");
        let reply = c.reply();
        assert_eq!(reply.status, 200);
        match reply.json() {
            Response::Hello { hello, .. } => assert_eq!(hello.name, reference::NAME),
            other => panic!("{other:?}"),
        }
        server.stop();
    }

    #[test]
    fn wrong_paths_and_methods_get_json_errors() {
        let server = started(1);
        let mut c = Client::new(server.addr);
        c.send("POST /v1/call HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n", b"{}");
        let reply = c.reply();
        assert_eq!(reply.status, 404);
        assert!(matches!(reply.json(), Response::Error { seq: 0, message } if message.contains("/v1/call")));
        c.send("DELETE / HTTP/1.1\r\nHost: t\r\n\r\n", b"");
        let reply = c.reply();
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("allow"), Some("GET, POST"));
        assert!(matches!(reply.json(), Response::Error { .. }));
        // The connection is still usable.
        assert_eq!(c.post(HMAC).status, 200);
        server.stop();
    }

    #[test]
    fn oversized_bodies_get_413_and_the_connection_survives() {
        let server = started(1);
        let mut c = Client::new(server.addr);
        let big = vec![b' '; MAX_REQUEST_BYTES + 1];
        let reply = c.post(&big);
        assert_eq!(reply.status, 413);
        assert!(matches!(reply.json(), Response::Error { message, .. } if message.contains("limit")));
        // The body was drained, so the same connection carries on.
        assert_eq!(c.post(HMAC).body, serde_json::to_vec(&reference::handle_bytes(HMAC)).unwrap());
        server.stop();
    }

    #[test]
    fn oversized_chunked_bodies_get_413() {
        let server = started(1);
        let mut c = Client::new(server.addr);
        c.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", b"");
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..(MAX_REQUEST_BYTES >> 20) {
            c.send(&format!("{:x}\r\n", chunk.len()), &chunk);
            c.send("\r\n", b"");
        }
        c.send("10\r\n", b"0123456789abcdef\r\n0\r\n\r\n");
        let reply = c.reply();
        assert_eq!(reply.status, 413);
        assert!(matches!(reply.json(), Response::Error { .. }));
        server.stop();
    }

    #[test]
    fn a_forged_terabyte_content_length_is_refused_unread_and_the_connection_closed() {
        let server = started(1);
        let mut c = Client::new(server.addr);
        c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1099511627776\r\n\r\n", b"{}");
        let reply = c.reply();
        assert_eq!(reply.status, 413);
        assert!(matches!(reply.json(), Response::Error { message, .. } if message.contains("1099511627776")));
        // Nothing more comes: the server closed the connection rather than wait for a terabyte.
        let mut rest = Vec::new();
        assert_eq!(c.reader.read_to_end(&mut rest).unwrap(), 0, "{}", String::from_utf8_lossy(&rest));
        let mut c = Client::new(server.addr);
        // A length hyper cannot represent (its largest is u64::MAX - 2) is refused by hyper itself, unread.
        c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 18446744073709551615\r\n\r\n", b"{}");
        assert_eq!(c.reply().status, 431);
        let mut c = Client::new(server.addr);
        c.send(&format!("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n", MAX_DRAIN_BYTES + 1), b"{}");
        assert_eq!(c.reply().status, 413);
        for head in ["PUT /elsewhere HTTP/1.1", "GET / HTTP/1.1", "POST /nope HTTP/1.1"] {
            let mut c = Client::new(server.addr);
            c.send(&format!("{head}\r\nHost: t\r\nContent-Length: 1099511627776\r\n\r\n"), b"");
            assert_eq!(c.reply().status, 413, "{head}");
        }
        // Still serving.
        assert_eq!(Client::new(server.addr).post(HMAC).status, 200);
        server.stop();
    }

    #[test]
    fn a_body_that_never_comes_gets_408_and_a_head_too_large_431() {
        let server = started(1);
        let mut c = Client::new(server.addr);
        c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n", b"{");
        let reply = c.reply();
        assert_eq!(reply.status, 408);
        assert!(matches!(reply.json(), Response::Error { message, .. } if message.contains("slowly")));
        let mut c = Client::new(server.addr);
        let long = "x".repeat(70 << 10);
        c.send(&format!("GET / HTTP/1.1\r\nHost: t\r\nX-Long: {long}\r\n\r\n"), b"");
        assert_eq!(c.reply().status, 431);
        let mut c = Client::new(server.addr);
        let many: String = (0..80).map(|i| format!("X-H{i}: v\r\n")).collect();
        c.send(&format!("GET / HTTP/1.1\r\nHost: t\r\n{many}\r\n"), b"");
        assert_eq!(c.reply().status, 431);
        assert_eq!(Client::new(server.addr).post(HMAC).status, 200);
        server.stop();
    }

    #[test]
    fn serve_reports_the_bound_address_and_listen_errors() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let err = serve_with(&addr, 1, reference::handle_bytes, |_| panic!("not ready")).unwrap_err();
        assert!(err.to_string().contains("cannot listen"), "{err}");
        let err =
            serve_with("no-such-host.invalid:1", 1, reference::handle_bytes, |_| panic!("not ready")).unwrap_err();
        assert!(err.to_string().contains("cannot listen"), "{err}");

        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || serve_with("127.0.0.1:0", 1, reference::handle_bytes, move |a| tx.send(a).unwrap()));
        let bound = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_ne!(bound.port(), 0);
        assert_eq!(Client::new(bound).post(HMAC).status, 200);
    }
}
