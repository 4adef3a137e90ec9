//! `ivconform serve --http ADDR`: the reference over HTTP.
//!
//! `POST /` with a request body answers it (200, `application/json`); `GET /` shows the reference's `hello`.
//! Bodies over [`MAX_REQUEST_BYTES`] get 413, other paths 404, other methods 405, all with a JSON `error`
//! message. Connections are HTTP/1.1 keep-alive, so each harness worker reuses one. `bye` is answered but
//! does not stop the server: many harness connections share it.

use super::MAX_REQUEST_BYTES;
use anyhow::{anyhow, Context};
use ivconform_protocol::{reference, Request, Response};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Declared bodies longer than this are refused without being drained.
///
/// tiny_http 0.12 drains an unread `Content-Length` body when the request is dropped by allocating a
/// buffer the size of the remainder, so one request declaring a terabyte aborts the process ("memory
/// allocation failed"). Such requests are answered 413 and their connection is abandoned instead (see
/// [`refuse_absurd`]); smaller oversized bodies are drained through a small buffer.
const MAX_DRAIN_BYTES: usize = 64 << 20;

type HttpResponse = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

/// Answers one request body; the reference's handler, or the no-op baseline's.
pub type Handler = fn(&[u8]) -> Response;

/// Serves `handler` (the reference's, or the no-op baseline's) on `addr` with `threads` workers (0: one per
/// CPU) until the listener fails; `on_ready` receives the bound address (so port 0 works) before the first
/// request is taken.
pub fn serve_with(
    addr: &str,
    threads: usize,
    handler: Handler,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let running = start_with(addr, threads, handler)?;
    on_ready(running.addr);
    running.wait()
}

/// A listening socket with `TCP_NODELAY` set, which Linux passes on to every accepted connection.
///
/// tiny_http writes a response's headers and body in separate writes; with Nagle's algorithm on, the body
/// then waits for the client's delayed ACK, and a keep-alive client sees 40 ms per request (measured with
/// curl and with the harness before this fix: requests of about 1 KB took 41-44 ms instead of 0.5 ms).
fn listener(addr: &str) -> anyhow::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    use std::net::ToSocketAddrs;
    let target = addr
        .to_socket_addrs()
        .map_err(|e| anyhow!("cannot listen on {addr}: {e}"))?
        .next()
        .ok_or_else(|| anyhow!("cannot listen on {addr}: the address resolves to nothing"))?;
    let socket = Socket::new(Domain::for_address(target), Type::STREAM, Some(Protocol::TCP))
        .map_err(|e| anyhow!("cannot listen on {addr}: {e}"))?;
    socket
        .set_reuse_address(true)
        .and_then(|()| socket.set_nodelay(true))
        .map_err(|e| anyhow!("cannot listen on {addr}: {e}"))?;
    socket
        .bind(&target.into())
        .and_then(|()| socket.listen(1024))
        .map_err(|e| anyhow!("cannot listen on {addr}: {e}"))?;
    Ok(socket.into())
}

/// A started server: its address and worker threads.
struct Running {
    server: Arc<tiny_http::Server>,
    addr: SocketAddr,
    workers: Vec<JoinHandle<()>>,
    /// The first fatal error a worker saw (the accept loop died).
    failure: Arc<Mutex<Option<std::io::Error>>>,
}

#[cfg(test)]
fn start(addr: &str, threads: usize) -> anyhow::Result<Running> {
    start_with(addr, threads, reference::handle_bytes)
}

fn start_with(addr: &str, threads: usize, handler: Handler) -> anyhow::Result<Running> {
    let server =
        tiny_http::Server::from_listener(listener(addr)?, None).map_err(|e| anyhow!("cannot listen on {addr}: {e}"))?;
    let bound = server.server_addr().to_ip().context("the HTTP listener has no IP address")?;
    let server = Arc::new(server);
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(4, |n| n.get()),
        n => n,
    };
    let failure = Arc::new(Mutex::new(None));
    let mut workers = Vec::with_capacity(threads);
    for i in 0..threads {
        let (shared, failed) = (Arc::clone(&server), Arc::clone(&failure));
        let spawned = std::thread::Builder::new()
            .name(format!("http-worker-{i}"))
            .spawn(move || work(&shared, threads, &failed, handler))
            .context("cannot start an HTTP worker thread");
        match spawned {
            Ok(w) => workers.push(w),
            Err(e) => {
                let running = Running { server, addr: bound, workers, failure };
                running.stop();
                return Err(e);
            }
        }
    }
    Ok(Running { server, addr: bound, workers, failure })
}

impl Running {
    /// Blocks until every worker has stopped; an error if the listener failed.
    fn wait(self) -> anyhow::Result<()> {
        for w in self.workers {
            let _ = w.join();
        }
        let failure = self.failure.lock().unwrap_or_else(|e| e.into_inner()).take();
        match failure {
            Some(e) => Err(anyhow!("the HTTP listener on {} stopped: {e}", self.addr)),
            None => Ok(()),
        }
    }

    /// Stops the workers (requests already taken are answered) and waits for them.
    fn stop(self) {
        for _ in 0..self.workers.len() {
            self.server.unblock();
        }
        let _ = self.wait();
    }
}

/// One worker: takes requests until unblocked or the listener dies.
fn work(server: &tiny_http::Server, workers: usize, failure: &Mutex<Option<std::io::Error>>, handler: Handler) {
    loop {
        match server.recv() {
            Ok(request) => answer(request, handler),
            // `unblock()`: a deliberate stop.
            Err(e) if e.kind() == std::io::ErrorKind::Other && e.raw_os_error().is_none() => return,
            // tiny_http's accept loop has ended (e.g. out of file descriptors): nothing more will arrive,
            // so stop every worker and let `serve` report it rather than hang.
            Err(e) => {
                let mut first = failure.lock().unwrap_or_else(|p| p.into_inner());
                if first.is_none() {
                    *first = Some(e);
                    drop(first);
                    for _ in 0..workers {
                        server.unblock();
                    }
                }
                return;
            }
        }
    }
}

/// Answers one HTTP request; never panics on what the client sent.
fn answer(mut request: tiny_http::Request, handler: Handler) {
    // Whatever the method and path: every other way out of here drops the request.
    if request.body_length().is_some_and(|n| n > MAX_DRAIN_BYTES) {
        refuse_absurd(request);
        return;
    }
    let path = request.url().split(['?', '#']).next().unwrap_or_default();
    if path != "/" {
        let message = format!("no such path {}: POST protocol messages to /", truncate(path, 80));
        let _ = request.respond(error_response(404, &message));
        return;
    }
    match request.method() {
        tiny_http::Method::Post => {
            let response = post(&mut request, handler);
            let _ = request.respond(response);
        }
        tiny_http::Method::Get => {
            let hello = reference::handle(&Request::Hello {
                seq: 0,
                protocol: ivconform_protocol::PROTOCOL.into(),
                suite_version: String::new(),
            });
            let _ = request.respond(json_response(200, &hello));
        }
        other => {
            let message = format!("method {other} not allowed: POST protocol messages to / (GET / shows hello)");
            let response = error_response(405, &message).with_header(header("Allow", "GET, POST"));
            let _ = request.respond(response);
        }
    }
}

/// Reads a POST body (bounded) and answers it with the reference.
fn post(request: &mut tiny_http::Request, handler: Handler) -> HttpResponse {
    let declared = request.body_length();
    if let Some(n) = declared.filter(|&n| n > MAX_REQUEST_BYTES) {
        // Drain it (at most MAX_DRAIN_BYTES, through a small buffer) so the connection stays usable.
        let _ = std::io::copy(&mut request.as_reader().take(n as u64), &mut std::io::sink());
        return too_large(n);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    let read = request.as_reader().take(MAX_REQUEST_BYTES as u64 + 1).read_to_end(&mut body);
    if let Err(e) = read {
        return error_response(400, &format!("cannot read the request body: {e}"));
    }
    if body.len() > MAX_REQUEST_BYTES {
        return too_large(body.len());
    }
    // The reference never panics on bad input, but a worker must outlive any bug in it.
    match std::panic::catch_unwind(|| handler(&body)) {
        Ok(response) => json_response(200, &response),
        Err(_) => error_response(500, "the reference panicked on this request"),
    }
}

fn too_large(len: usize) -> HttpResponse {
    error_response(413, &format!("request body of {len}+ bytes is over the {MAX_REQUEST_BYTES}-byte limit"))
}

/// Answers 413 to a request declaring an absurd body, then abandons the connection without draining it.
///
/// Dropping the request would make tiny_http allocate the whole declared remainder (see
/// [`MAX_DRAIN_BYTES`]), and every way to answer a tiny_http request drops it, except `upgrade`: it writes
/// the status line and headers (without a length, so the JSON body that follows is delimited by the
/// connection closing) and hands over the stream, which is leaked. Its socket, and the tiny_http thread
/// serving that connection, stay until the process ends: a bounded cost per forged request, where dropping
/// would abort the whole server. Only a `Content-Length` over 64 MiB gets here; the harness never sends one.
fn refuse_absurd(request: tiny_http::Request) {
    let len = request.body_length().unwrap_or_default();
    let body = serde_json::to_vec(&Response::Error {
        seq: 0,
        message: format!("request body of {len} bytes is over the {MAX_REQUEST_BYTES}-byte limit"),
    })
    .unwrap_or_default();
    let head = tiny_http::Response::empty(413).with_header(header("Content-Type", "application/json"));
    let mut stream = request.upgrade("close", head);
    let _ = stream.write_all(&body).and_then(|()| stream.flush());
    std::mem::forget(stream);
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

fn json_response(status: u16, response: &Response) -> HttpResponse {
    let body = serde_json::to_vec(response).unwrap_or_else(|_| b"{\"type\":\"error\",\"seq\":0}".to_vec());
    tiny_http::Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", "application/json"))
}

fn error_response(status: u16, message: &str) -> HttpResponse {
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
    use std::io::{BufRead, BufReader, Write};
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
            stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            stream.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
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

    fn started(threads: usize) -> Running {
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
    fn a_forged_terabyte_content_length_is_refused_without_aborting() {
        // tiny_http alone would try to allocate the declared remainder when the request is dropped.
        let server = started(1);
        let mut c = Client::new(server.addr);
        c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1099511627776\r\n\r\n", b"{}");
        let reply = c.reply();
        assert_eq!(reply.status, 413);
        // The JSON body follows without a length (the connection is abandoned, never closed).
        c.writer.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        let mut body = Vec::new();
        for _ in 0..100 {
            if serde_json::from_slice::<Response>(&body).is_ok() {
                break;
            }
            let buf = c.reader.fill_buf().unwrap().to_vec();
            c.reader.consume(buf.len());
            body.extend(buf);
        }
        let response: Response = serde_json::from_slice(&body).unwrap();
        assert!(matches!(response, Response::Error { message, .. } if message.contains("1099511627776")));
        let mut c = Client::new(server.addr);
        c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 18446744073709551615\r\n\r\n", b"{}");
        assert_eq!(c.reply().status, 413);
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
    fn serve_reports_the_bound_address_and_listen_errors() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let err = serve_with(&addr, 1, reference::handle_bytes, |_| panic!("not ready")).unwrap_err();
        assert!(err.to_string().contains("cannot listen"), "{err}");

        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || serve_with("127.0.0.1:0", 1, reference::handle_bytes, move |a| tx.send(a).unwrap()));
        let bound = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_ne!(bound.port(), 0);
        assert_eq!(Client::new(bound).post(HMAC).status, 200);
    }
}
