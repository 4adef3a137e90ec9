//! HTTP transport: protocol messages as POST bodies to `--url`.
//!
//! Each connection (a [`Transport`] from [`HttpConnector`]) owns at most one keep-alive TCP connection (TCP_NODELAY), so each runner worker
//! keeps one. Every call has one deadline covering connect, send and the whole response, so a hang (a connect
//! that never completes, headers or a body that never end) is a timeout; a refused connection or failed DNS
//! lookup is *unreachable*; a connection that closes before the response is complete is a crash; anything
//! malformed is a protocol error: not HTTP, a non-2xx status (quoted with the start of its body), a body
//! over [`MAX_RESPONSE_BYTES`] (refused from its declared length, or as soon as the cap is passed, never read
//! to the end).
//!
//! The response is framed strictly, because an IUT that can shift the framing can have one case graded by
//! another case's answer:
//! - the status line and headers are at most [`MAX_HEAD_BYTES`] and [`MAX_HEADERS`] headers (interim 1xx
//!   responses are skipped, within the same bounds);
//! - the body is framed by exactly one `Content-Length` (digits only: two headers, even equal, or one that is
//!   not a number is a protocol error), or by `Transfer-Encoding: chunked` (chunk-size lines at most
//!   [`MAX_CHUNK_LINE_BYTES`], CRLF after each chunk, trailers within the header bounds), never both; with
//!   neither, the body runs to the end of the connection (which is then not reused);
//! - nothing may follow the body: bytes already readable right after a response (checked without blocking)
//!   make that call a protocol error ("N bytes after the response body"); bytes that arrive later on the idle
//!   connection, before the next request, are output of the request they followed
//!   ([`Transport::take_unsolicited`], not part of the next call's received bytes) and that connection is
//!   replaced; an error status followed by extra bytes is reported by its status, the extra bytes named.
//!
//! `Connection: close` (and HTTP/1.0 without `keep-alive`) is honoured; any failure drops the connection so
//! the next call opens a fresh one. [`Transport::take_received`] returns every byte read from the socket
//! during the last call, **status line and headers included** (a secret in a header is a leak too), at
//! most [`MAX_HEAD_BYTES`] + [`MAX_RECEIVED_BYTES`]. `close` sends no `bye`: the server is shared by every
//! worker (over HTTP `bye` is only answered, and the runner may send one itself).
//!
//! Why hand-written on `httparse` (the status line and header parser hyper itself uses) instead of a client
//! crate: ureq 2 accepts duplicate `Content-Length` headers and silently discards bytes after a body, and
//! hyper's client (`hyper::client::conn::http1`) keeps its read buffer to itself: bytes after a response are
//! either swallowed as the start of the next one or turned into a closed connection, never handed back, so
//! neither can say *how many bytes came after which response*, and hyper would also bring an async runtime
//! into a blocking harness. The part written here is small: body framing (length, chunked, to-close), the
//! deadline and the leftover-bytes checks.
//!
//! The DNS lookup runs on a thread of its own and is bounded by the deadline like everything else (a
//! resolver that never answers leaves that one thread behind, never a waiting harness); an IP literal needs
//! no lookup. Known limit: if a server
//! closes an idle keep-alive connection at the very moment a request is sent on it, the request is sent
//! once more on a fresh connection (only when not a single byte of answer came back; every protocol request
//! is a pure function of its content, so repeating it is harmless).

use super::{decode_response, preview, CallError, Connector, Exchange, Transport, Unsolicited, MAX_RECEIVED_BYTES};
use ivconform_protocol::{Request, MAX_RESPONSE_BYTES};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// Most bytes of a status line and headers (and, separately, of a chunked body's trailers).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most headers in one response (and trailers after a chunked body).
pub const MAX_HEADERS: usize = 100;
/// Most bytes of one chunk-size line (the size, its extensions and CRLF).
pub const MAX_CHUNK_LINE_BYTES: usize = 4096;
/// Most of an error response's body quoted in the message (bytes).
const ERROR_BODY_BYTES: usize = 4096;
/// Bytes asked of the socket per read.
const READ_BYTES: usize = 64 * 1024;
/// The head is parsed when an empty line arrives, or when what is buffered has doubled since the last parse
/// (starting from this size), so garbage and too many headers are refused early while a server trickling
/// bytes cannot make parsing quadratic.
const EAGER_PARSE_BYTES: usize = 1024;

/// Opens keep-alive HTTP connections to an implementation serving the protocol at a URL.
#[derive(Debug, Clone)]
pub struct HttpConnector {
    target: Target,
    timeout: Duration,
}

/// Where requests go, parsed once from the URL.
#[derive(Debug, Clone)]
struct Target {
    /// The URL as given, normalised (for reports).
    url: String,
    /// Host name or address to connect to (IPv6 without brackets) and port.
    host: String,
    port: u16,
    /// The `Host` header: the URL's host, and its port when not the default.
    host_header: String,
    /// Path and query of the request line.
    path: String,
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
        let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a valid URL ({e}): {example}"))?;
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            None => return Err(format!("{url:?} is not a valid URL (no host): {example}")),
        };
        let host_str = parsed.host_str().unwrap_or_default();
        let host_header = match parsed.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.to_string(),
        };
        let path = match parsed.query() {
            Some(q) => format!("{}?{q}", parsed.path()),
            None => parsed.path().to_string(),
        };
        let port = parsed.port_or_known_default().unwrap_or(80);
        Ok(HttpConnector { target: Target { url: parsed.to_string(), host, port, host_header, path }, timeout })
    }
}

impl Connector for HttpConnector {
    fn connect(&self) -> Result<Box<dyn Transport>, CallError> {
        Ok(Box::new(Conn {
            target: self.target.clone(),
            timeout: self.timeout,
            wire: None,
            received: Vec::new(),
            unsolicited: Vec::new(),
        }))
    }

    fn describe(&self) -> String {
        format!("http: {}", self.target.url)
    }
}

/// One worker's connection: at most one live keep-alive TCP connection, opened on demand.
struct Conn {
    target: Target,
    timeout: Duration,
    wire: Option<Wire>,
    /// Every byte read during the last call (see the module doc).
    received: Vec<u8>,
    unsolicited: Vec<Unsolicited>,
}

/// A live TCP connection and the bytes read from it but not consumed yet (`buf[start..end]`; `buf` only
/// grows, so reads never zero memory again).
struct Wire {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`.
    start: usize,
    /// End of the bytes read into `buf`.
    end: usize,
    /// The seq of the last request sent on it (the case that bytes arriving on it while idle belong to).
    last_seq: Option<u64>,
}

/// A response read to its end.
struct Answer {
    status: u16,
    reason: String,
    body: Vec<u8>,
    /// The connection can carry another request.
    keep_alive: bool,
    /// The body was read to its end (only an error status is answered without it).
    complete: bool,
}

/// How the body of a response is delimited.
enum Framing {
    Length(u64),
    Chunked,
    /// Until the server closes the connection.
    Close,
}

impl Transport for Conn {
    fn call(&mut self, request: &Request) -> Result<Exchange, CallError> {
        let deadline = Instant::now() + self.timeout;
        self.received.clear();
        self.check_idle();
        let message = self.target.message(&serde_json::to_vec(request).expect("requests serialise"));
        let reused = self.wire.is_some();
        let mut result = self.exchange(&message, request.seq(), deadline);
        if reused && self.received.is_empty() && matches!(result, Err(CallError::Crash(_))) {
            // The server closed the idle connection as the request went out: once more on a fresh one.
            // If that cannot even connect, the first failure is the better report.
            self.wire = None;
            match self.exchange(&message, request.seq(), deadline) {
                Err(CallError::Unreachable(_)) => {}
                again => result = again,
            }
        }
        let answer = match result {
            Ok(answer) => answer,
            Err(e) => {
                self.wire = None;
                return Err(e);
            }
        };
        if !answer.keep_alive {
            self.wire = None;
        }
        if !(200..300).contains(&answer.status) {
            self.wire = None;
            let start = &answer.body[..answer.body.len().min(ERROR_BODY_BYTES)];
            return Err(CallError::Protocol(format!(
                "HTTP status {} {} (expected 200): {}",
                answer.status,
                answer.reason,
                preview(&String::from_utf8_lossy(start))
            )));
        }
        decode_response(request, &answer.body).inspect_err(|_| self.wire = None)
    }

    fn take_received(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.received)
    }

    fn take_unsolicited(&mut self) -> Vec<Unsolicited> {
        self.check_idle();
        std::mem::take(&mut self.unsolicited)
    }

    fn close(&mut self) {
        self.check_idle();
        self.wire = None;
    }
}

impl Target {
    /// The whole request: head and body in one buffer (one write for small requests).
    fn message(&self, body: &[u8]) -> Vec<u8> {
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ivconform/{}\r\nContent-Type: application/json\r\n\
             Accept: application/json\r\nContent-Length: {}\r\n\r\n",
            self.path,
            self.host_header,
            env!("CARGO_PKG_VERSION"),
            body.len()
        );
        let mut message = Vec::with_capacity(head.len() + body.len());
        message.extend_from_slice(head.as_bytes());
        message.extend_from_slice(body);
        message
    }

    /// Opens a TCP connection within the deadline, trying each address the host resolves to.
    fn open(&self, deadline: Instant) -> Result<TcpStream, CallError> {
        let addrs = resolve(&self.host, self.port, deadline)?;
        let mut last = CallError::Unreachable(format!("{} resolves to no address", self.host));
        for addr in addrs {
            let Some(left) = remaining(deadline) else { break };
            match TcpStream::connect_timeout(&addr, left) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Err(e) if timed_out(e.kind()) => last = CallError::Timeout(Duration::ZERO),
                Err(e) => last = CallError::Unreachable(format!("cannot connect to {addr}: {e}")),
            }
        }
        Err(last)
    }
}

impl Conn {
    /// Sends `message` (opening a connection if there is none) and reads one response to its end, then
    /// checks that nothing follows it.
    fn exchange(&mut self, message: &[u8], seq: u64, deadline: Instant) -> Result<Answer, CallError> {
        if self.wire.is_none() {
            let stream = self.target.open(deadline).map_err(|e| self.at_timeout(e))?;
            self.wire = Some(Wire { stream, buf: vec![0; READ_BYTES], start: 0, end: 0, last_seq: None });
        }
        let wire = self.wire.as_mut().expect("opened above");
        wire.last_seq = Some(seq);
        let timeout = self.timeout;
        let sink = &mut self.received;
        wire.send(message, deadline, timeout)?;
        let mut answer = wire.read_response(deadline, timeout, sink)?;
        if !answer.complete {
            self.wire = None;
            return Ok(answer);
        }
        // Nothing may follow the body: not in the buffer, not already on the socket.
        let mut extra = wire.pending().to_vec();
        wire.start = wire.end;
        let buffered = extra.len(); // already kept by `fill`
        let closed = wire.drain_ready(&mut extra, MAX_RECEIVED_BYTES);
        keep(sink, &extra[buffered..]);
        if closed || !extra.is_empty() {
            self.wire = None;
        }
        if !extra.is_empty() {
            let what = format!(
                "{} byte{} after the response body{}: {}",
                extra.len(),
                if extra.len() == 1 { "" } else { "s" },
                if extra.len() >= MAX_RECEIVED_BYTES { " (or more)" } else { "" },
                preview(&String::from_utf8_lossy(&extra[..extra.len().min(ERROR_BODY_BYTES)]))
            );
            if !(200..300).contains(&answer.status) {
                // The status says more; the extra bytes are mentioned with it.
                answer.reason = format!("{} (and {what})", answer.reason);
                return Ok(answer);
            }
            return Err(CallError::Protocol(what));
        }
        Ok(answer)
    }

    /// A connect timeout is reported with the configured timeout, like every other.
    fn at_timeout(&self, e: CallError) -> CallError {
        match e {
            CallError::Timeout(_) => CallError::Timeout(self.timeout),
            other => other,
        }
    }

    /// Bytes that arrived on the idle connection are output of the request before: kept as unsolicited,
    /// and the connection is replaced. A connection the server closed is dropped quietly.
    fn check_idle(&mut self) {
        let Some(wire) = self.wire.as_mut() else { return };
        let mut extra = wire.pending().to_vec();
        wire.start = wire.end;
        let closed = wire.drain_ready(&mut extra, MAX_RECEIVED_BYTES);
        if !extra.is_empty() {
            if let Some(after_seq) = wire.last_seq {
                self.unsolicited.push(Unsolicited { after_seq, bytes: extra });
            }
            self.wire = None;
        } else if closed {
            self.wire = None;
        }
    }
}

/// Keeps bytes read from the IUT for the leak scan, up to the bound in the module doc.
fn keep(sink: &mut Vec<u8>, bytes: &[u8]) {
    let room = (MAX_HEAD_BYTES + MAX_RECEIVED_BYTES).saturating_sub(sink.len());
    sink.extend_from_slice(&bytes[..room.min(bytes.len())]);
}

/// Time left before `deadline`, if any.
/// The addresses `host` resolves to, within the deadline: an IP literal at once, a name by a lookup on its own
/// thread (`getaddrinfo` takes no timeout; a lookup still running at the deadline is left to finish alone).
fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, CallError> {
    if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let left = remaining(deadline).ok_or(CallError::Timeout(Duration::ZERO))?;
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_string();
    std::thread::Builder::new()
        .name("ivconform-dns".into())
        .spawn(move || {
            let found = (name.as_str(), port).to_socket_addrs().map(Iterator::collect::<Vec<_>>);
            let _ = tx.send(found);
        })
        .map_err(|e| CallError::Unreachable(format!("cannot start a DNS lookup for {host}: {e}")))?;
    match rx.recv_timeout(left) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(e)) => Err(CallError::Unreachable(format!("cannot resolve {host}: {e}"))),
        Err(_) => Err(CallError::Unreachable(format!(
            "the DNS lookup of {host} did not answer within {:.1} s",
            left.as_secs_f64()
        ))),
    }
}

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())
}

impl Wire {
    /// Writes the whole message, each write bounded by the time left.
    fn send(&mut self, mut message: &[u8], deadline: Instant, timeout: Duration) -> Result<(), CallError> {
        while !message.is_empty() {
            let left = remaining(deadline).ok_or(CallError::Timeout(timeout))?;
            let _ = self.stream.set_write_timeout(Some(left));
            match self.stream.write(message) {
                Ok(0) => return Err(CallError::Crash("the connection closed while the request was sent".into())),
                Ok(n) => message = &message[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if timed_out(e.kind()) => return Err(CallError::Timeout(timeout)),
                Err(e) => {
                    return Err(CallError::Crash(format!("the connection closed while the request was sent: {e}")))
                }
            }
        }
        Ok(())
    }

    /// The unconsumed bytes.
    fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Reads more bytes (blocking until the deadline); returns how many (0: the server closed).
    fn fill(&mut self, deadline: Instant, timeout: Duration, sink: &mut Vec<u8>) -> Result<usize, CallError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < self.end + READ_BYTES {
            self.buf.resize(self.end + READ_BYTES, 0);
        }
        let old = self.end;
        let result = loop {
            let Some(left) = remaining(deadline) else { break Err(CallError::Timeout(timeout)) };
            let _ = self.stream.set_read_timeout(Some(left));
            match self.stream.read(&mut self.buf[old..]) {
                Ok(n) => break Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if timed_out(e.kind()) => break Err(CallError::Timeout(timeout)),
                // A reset is the server going away, like a close.
                Err(e) if closed(e.kind()) => break Ok(0),
                Err(e) => break Err(CallError::Protocol(format!("cannot read the response: {e}"))),
            }
        };
        self.end += *result.as_ref().unwrap_or(&0);
        keep(sink, &self.buf[old..self.end]);
        result
    }

    /// Appends whatever the socket holds right now (without waiting, at most `cap` bytes in `into`);
    /// returns whether the server has closed the connection.
    fn drain_ready(&mut self, into: &mut Vec<u8>, cap: usize) -> bool {
        use nix::sys::socket::{recv, MsgFlags};
        let mut chunk = [0u8; 16 * 1024];
        while into.len() < cap {
            match recv(self.stream.as_raw_fd(), &mut chunk, MsgFlags::MSG_DONTWAIT) {
                Ok(0) => return true,
                Ok(n) => into.extend_from_slice(&chunk[..n.min(cap - into.len())]),
                Err(nix::errno::Errno::EINTR) => {}
                Err(nix::errno::Errno::EAGAIN) => return false,
                Err(_) => return true,
            }
        }
        false
    }

    /// Reads one final response (skipping interim 1xx ones) and its body.
    fn read_response(&mut self, deadline: Instant, timeout: Duration, sink: &mut Vec<u8>) -> Result<Answer, CallError> {
        let mut head_bytes = 0;
        loop {
            let head = self.read_head(deadline, timeout, sink, MAX_HEAD_BYTES - head_bytes)?;
            head_bytes += head.len;
            if (100..200).contains(&head.status) && head.status != 101 {
                continue;
            }
            let framing = head.framing()?;
            let keep_alive = head.keep_alive() && !matches!(framing, Framing::Close);
            let ok = (200..300).contains(&head.status);
            let (body, complete) = match self.read_body(framing, deadline, timeout, sink) {
                Ok(body) => (body, true),
                // An error status is reported whatever happens to its body.
                Err(e) if !ok => (format!("[the body could not be read: {e}]").into_bytes(), false),
                Err(e) => return Err(e),
            };
            return Ok(Answer { status: head.status, reason: head.reason, body, keep_alive, complete });
        }
    }

    /// Reads a status line and headers of at most `cap` bytes.
    fn read_head(
        &mut self,
        deadline: Instant,
        timeout: Duration,
        sink: &mut Vec<u8>,
        cap: usize,
    ) -> Result<Head, CallError> {
        let mut searched: usize = 0;
        let mut parse_at = 0;
        loop {
            let pending = self.pending();
            let has_end = find_blank_line(&pending[searched.saturating_sub(3)..]).is_some();
            searched = pending.len();
            if has_end || pending.len() >= parse_at || pending.len() >= cap {
                parse_at = (pending.len() * 2).max(EAGER_PARSE_BYTES);
                if let Some(head) = parse_head(pending, cap)? {
                    self.start += head.len;
                    return Ok(head);
                }
            }
            if pending.len() >= cap {
                return Err(CallError::Protocol(format!(
                    "the status line and headers are over {MAX_HEAD_BYTES} bytes without an end"
                )));
            }
            if self.fill(deadline, timeout, sink)? == 0 {
                let pending = self.pending();
                parse_head(pending, cap)?;
                return Err(CallError::Crash(if pending.is_empty() {
                    "the connection closed before a response".into()
                } else {
                    format!("the connection closed before a complete response ({} bytes of headers)", pending.len())
                }));
            }
        }
    }

    /// Reads the body as framed, refusing it as soon as it is known to pass the cap.
    fn read_body(
        &mut self,
        framing: Framing,
        deadline: Instant,
        timeout: Duration,
        sink: &mut Vec<u8>,
    ) -> Result<Vec<u8>, CallError> {
        let cap = MAX_RESPONSE_BYTES;
        match framing {
            Framing::Length(n) => {
                if n > cap as u64 {
                    return Err(CallError::Protocol(format!(
                        "the response declares {n} bytes, over the {cap}-byte cap"
                    )));
                }
                let n = n as usize;
                while self.pending().len() < n {
                    if self.fill(deadline, timeout, sink)? == 0 {
                        return Err(CallError::Crash(format!(
                            "the connection closed in the middle of the response body (after {} of {n} bytes)",
                            self.pending().len()
                        )));
                    }
                }
                let body = self.pending()[..n].to_vec();
                self.start += n;
                Ok(body)
            }
            Framing::Close => {
                while self.pending().len() <= cap {
                    if self.fill(deadline, timeout, sink)? == 0 {
                        let body = self.pending().to_vec();
                        self.start = self.end;
                        return Ok(body);
                    }
                }
                Err(CallError::Protocol(format!(
                    "the response body is over the {cap}-byte cap (stopped reading after {} bytes)",
                    self.pending().len()
                )))
            }
            Framing::Chunked => self.read_chunked(deadline, timeout, sink),
        }
    }

    /// A chunked body: size lines, data each followed by CRLF, a zero-size chunk and trailers.
    fn read_chunked(&mut self, deadline: Instant, timeout: Duration, sink: &mut Vec<u8>) -> Result<Vec<u8>, CallError> {
        let cap = MAX_RESPONSE_BYTES;
        let mut body = Vec::new();
        let cut = |got: usize| {
            CallError::Crash(format!(
                "the connection closed in the middle of the chunked response body (after {got} bytes)"
            ))
        };
        loop {
            let line = self.read_line(deadline, timeout, sink, MAX_CHUNK_LINE_BYTES, "chunk-size line").map_err(
                |e| match e {
                    CallError::Crash(_) => cut(body.len()),
                    e => e,
                },
            )?;
            let size = chunk_size(&line)?;
            if size == 0 {
                break;
            }
            if size > (cap - body.len()) as u64 {
                return Err(CallError::Protocol(format!(
                    "the chunked response body is over the {cap}-byte cap (a {size}-byte chunk after {} bytes)",
                    body.len()
                )));
            }
            let size = size as usize;
            while self.pending().len() < size + 2 {
                if self.fill(deadline, timeout, sink)? == 0 {
                    return Err(cut(body.len() + self.pending().len().min(size)));
                }
            }
            let pending = self.pending();
            if &pending[size..size + 2] != b"\r\n" {
                return Err(CallError::Protocol(format!(
                    "a chunk of the response body is not followed by CRLF (after {} bytes)",
                    body.len() + size
                )));
            }
            body.extend_from_slice(&pending[..size]);
            self.start += size + 2;
        }
        // Trailers: header lines up to an empty one, within the head bounds.
        let mut trailer_bytes = 0;
        for _ in 0..=MAX_HEADERS {
            let line = self.read_line(deadline, timeout, sink, MAX_HEAD_BYTES - trailer_bytes, "trailer").map_err(
                |e| match e {
                    CallError::Crash(_) => cut(body.len()),
                    e => e,
                },
            )?;
            trailer_bytes += line.len() + 2;
            if line.is_empty() {
                return Ok(body);
            }
        }
        Err(CallError::Protocol(format!("more than {MAX_HEADERS} trailers after the chunked response body")))
    }

    /// One CRLF-terminated line of at most `cap` bytes (CRLF included), without its CRLF.
    fn read_line(
        &mut self,
        deadline: Instant,
        timeout: Duration,
        sink: &mut Vec<u8>,
        cap: usize,
        what: &str,
    ) -> Result<Vec<u8>, CallError> {
        let mut searched = 0;
        loop {
            let pending = self.pending();
            if let Some(i) = pending[searched..].iter().position(|&b| b == b'\n').map(|i| i + searched) {
                if i + 1 > cap {
                    break;
                }
                if i == 0 || pending[i - 1] != b'\r' {
                    return Err(CallError::Protocol(format!("a {what} of the response ends without CRLF")));
                }
                let line = pending[..i - 1].to_vec();
                self.start += i + 1;
                return Ok(line);
            }
            searched = pending.len();
            if pending.len() >= cap {
                break;
            }
            if self.fill(deadline, timeout, sink)? == 0 {
                return Err(CallError::Crash(format!("the connection closed in the middle of a {what}")));
            }
        }
        Err(CallError::Protocol(format!("a {what} of the response is over {cap} bytes")))
    }
}

/// A status line and headers, reduced to what framing needs.
struct Head {
    /// Bytes of the head (status line to the empty line included).
    len: usize,
    status: u16,
    reason: String,
    /// HTTP/1.`minor`.
    minor: u8,
    content_length: Vec<Vec<u8>>,
    transfer_encoding: Vec<Vec<u8>>,
    /// The tokens of every `Connection` header, lowercase.
    connection: Vec<String>,
}

/// Parses a head of at most `cap` bytes from `bytes`: `None` while incomplete.
fn parse_head(bytes: &[u8], cap: usize) -> Result<Option<Head>, CallError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(CallError::Protocol(format!("the response has more than {MAX_HEADERS} headers")))
        }
        Err(e) => {
            let start = &bytes[..bytes.len().min(120)];
            return Err(CallError::Protocol(format!(
                "not a valid HTTP response ({e}): {}",
                preview(&String::from_utf8_lossy(start))
            )));
        }
    };
    if len > cap {
        return Err(CallError::Protocol(format!("the status line and headers are over {MAX_HEAD_BYTES} bytes")));
    }
    let mut head = Head {
        len,
        status: response.code.unwrap_or_default(),
        reason: response.reason.unwrap_or_default().to_string(),
        minor: response.version.unwrap_or_default(),
        content_length: Vec::new(),
        transfer_encoding: Vec::new(),
        connection: Vec::new(),
    };
    for h in response.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            head.content_length.push(h.value.to_vec());
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            head.transfer_encoding.push(h.value.to_vec());
        } else if h.name.eq_ignore_ascii_case("connection") {
            let value = String::from_utf8_lossy(h.value).to_ascii_lowercase();
            head.connection.extend(value.split(',').map(|t| t.trim().to_string()));
        }
    }
    Ok(Some(head))
}

impl Head {
    /// How the body is delimited, refusing every ambiguity.
    fn framing(&self) -> Result<Framing, CallError> {
        let shown = |v: &[u8]| preview(&String::from_utf8_lossy(v));
        if matches!(self.status, 204 | 304) {
            return Ok(Framing::Length(0));
        }
        match (self.content_length.as_slice(), self.transfer_encoding.as_slice()) {
            ([], []) => Ok(Framing::Close),
            ([_, ..], [_, ..]) => Err(CallError::Protocol(
                "the response has both Content-Length and Transfer-Encoding (its length is ambiguous)".into(),
            )),
            ([value], []) => {
                let digits = trim_ows(value);
                match std::str::from_utf8(digits)
                    .ok()
                    .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                {
                    Some(d) => d.parse::<u64>().map(Framing::Length).map_err(|_| {
                        CallError::Protocol(format!("the response's Content-Length {} is too large", shown(value)))
                    }),
                    None => Err(CallError::Protocol(format!(
                        "the response's Content-Length {} is not a number",
                        shown(value)
                    ))),
                }
            }
            (many @ [_, _, ..], []) => Err(CallError::Protocol(format!(
                "the response has {} Content-Length headers (exactly one is allowed): {}",
                many.len(),
                many.iter().map(|v| shown(v)).collect::<Vec<_>>().join(", ")
            ))),
            ([], [one]) if trim_ows(one).eq_ignore_ascii_case(b"chunked") => Ok(Framing::Chunked),
            ([], all) => Err(CallError::Protocol(format!(
                "unsupported Transfer-Encoding {} (only a single \"chunked\" is read)",
                all.iter().map(|v| shown(v)).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// HTTP/1.1 keeps the connection unless told `close`; HTTP/1.0 only when told `keep-alive`.
    fn keep_alive(&self) -> bool {
        let said = |token: &str| self.connection.iter().any(|t| t == token);
        !said("close") && (self.minor >= 1 || said("keep-alive"))
    }
}

/// The size of a chunk from its size line (hex digits, then optional `;extensions`).
fn chunk_size(line: &[u8]) -> Result<u64, CallError> {
    let digits = trim_ows(line.split(|&b| b == b';').next().unwrap_or_default());
    let bad = || CallError::Protocol(format!("malformed chunk-size line {}", preview(&String::from_utf8_lossy(line))));
    if digits.is_empty() || digits.len() > 16 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(bad());
    }
    u64::from_str_radix(std::str::from_utf8(digits).map_err(|_| bad())?, 16).map_err(|_| bad())
}

/// Strips spaces and tabs around a header value.
fn trim_ows(value: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|b| !is_ows(b)).map_or(start, |i| i + 1);
    &value[start..end]
}

/// Where a head ends (an empty line, CRLF or bare LF), if it does.
fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\n\n").or_else(|| bytes.windows(4).position(|w| w == b"\r\n\r\n"))
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

    #[test]
    fn lookups_are_bounded_and_ip_literals_need_none() {
        let soon = Instant::now() + Duration::from_secs(30);
        assert_eq!(resolve("127.0.0.1", 80, soon).unwrap(), vec!["127.0.0.1:80".parse().unwrap()]);
        assert_eq!(resolve("[::1]", 81, soon).unwrap(), vec!["[::1]:81".parse().unwrap()]);
        // A literal needs no time at all, even at a deadline already passed; a name does.
        let past = Instant::now() - Duration::from_millis(1);
        assert!(resolve("10.0.0.1", 1, past).is_ok());
        assert!(matches!(resolve("localhost", 1, past), Err(CallError::Timeout(_))));
        // localhost resolves through the lookup thread (no network needed).
        let local = resolve("localhost", 8, soon).expect("localhost resolves");
        assert!(local.iter().all(|a| a.ip().is_loopback() && a.port() == 8), "{local:?}");
        // A name that cannot exist: refused as unreachable, within the deadline.
        let started = Instant::now();
        let bad = resolve("no-such-host.invalid", 1, Instant::now() + Duration::from_secs(20));
        assert!(matches!(bad, Err(CallError::Unreachable(_))), "{bad:?}");
        assert!(started.elapsed() < Duration::from_secs(21));
    }
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

    /// The reference's answer to a request body, as a complete HTTP/1.1 response.
    fn ok_response(request_body: &[u8]) -> Vec<u8> {
        let answer = serde_json::to_vec(&reference::handle_bytes(request_body)).unwrap();
        let mut out =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", answer.len())
                .into_bytes();
        out.extend_from_slice(&answer);
        out
    }

    /// The reference's answer to `request` as JSON text.
    fn answer_text(request: &Request) -> String {
        serde_json::to_string(&reference::handle(request)).unwrap()
    }

    /// Serves each connection with `respond(connection, request index on it, request body)`: the bytes to
    /// write (in one write), or `None` to close the connection. Requests are read up to 1000 per connection.
    fn each_request(
        max: usize,
        respond: impl Fn(usize, usize, &[u8]) -> Option<Vec<u8>> + Send + Sync + 'static,
    ) -> (String, Arc<AtomicUsize>) {
        scripted(max, move |n, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut stream = stream;
            for i in 0..1000 {
                let Some(body) = read_request(&mut reader) else { return };
                let Some(bytes) = respond(n, i, &body) else { return };
                if stream.write_all(&bytes).is_err() {
                    return;
                }
            }
        })
    }

    /// A server that answers every request with `head` followed by the reference's answer as the body.
    fn with_head(head: &'static str) -> (String, Arc<AtomicUsize>) {
        each_request(4, move |_, _, body| {
            let answer = serde_json::to_vec(&reference::handle_bytes(body)).unwrap();
            let mut out = head.replace("{len}", &answer.len().to_string()).into_bytes();
            out.extend_from_slice(&answer);
            Some(out)
        })
    }

    #[test]
    fn exactly_one_content_length_is_accepted() {
        for (head, needles) in [
            // Two headers, even equal: the framing of a smuggled response.
            (
                "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nContent-Length: {len}\r\n\r\n",
                &["2 Content-Length headers"][..],
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nContent-Length: 5\r\n\r\n",
                &["2 Content-Length headers", "\"5\""],
            ),
            ("HTTP/1.1 200 OK\r\nContent-Length: {len}, {len}\r\n\r\n", &["is not a number"]),
            ("HTTP/1.1 200 OK\r\nContent-Length: +{len}\r\n\r\n", &["is not a number"]),
            ("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", &["is not a number"]),
            ("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", &["is not a number"]),
            ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", &["too large"]),
            // Both framings: which one the IUT meant is ambiguous.
            (
                "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nTransfer-Encoding: chunked\r\n\r\n",
                &["both Content-Length and Transfer-Encoding"],
            ),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", &["unsupported Transfer-Encoding", "gzip"]),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &["unsupported Transfer-Encoding"]),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                &["unsupported Transfer-Encoding"],
            ),
        ] {
            let (url, _) = with_head(head);
            let message = expect_protocol(connect(&url, Duration::from_secs(5)).call(&hello()), needles);
            assert!(!message.is_empty(), "{head}");
        }
        // The same answer with one well-formed length (spaces around it allowed) passes.
        let (url, _) = with_head("HTTP/1.1 200 OK\r\ncontent-length:  {len} \r\n\r\n");
        assert_eq!(connect(&url, Duration::from_secs(5)).call(&hello()).unwrap().response, reference::handle(&hello()));
    }

    #[test]
    fn a_second_response_in_the_same_write_is_an_error_of_this_case_and_the_next_call_is_fresh() {
        let (url, accepted) = each_request(3, |n, _, body| {
            let mut out = ok_response(body);
            if n == 0 {
                // A correct answer, then the answer to the *next* request the harness will send (seq 2).
                let next = Request::Hmac { seq: 2, key_hex: "00".into(), msg_hex: "00".into() };
                out.extend(ok_response(&serde_json::to_vec(&next).unwrap()));
            }
            Some(out)
        });
        let mut conn = connect(&url, Duration::from_secs(5));
        let second_len = ok_response(
            &serde_json::to_vec(&Request::Hmac { seq: 2, key_hex: "00".into(), msg_hex: "00".into() }).unwrap(),
        )
        .len();
        let message = expect_protocol(
            conn.call(&hello()),
            &[&format!("{second_len} bytes after the response body"), "HTTP/1.1 200"],
        );
        assert!(!message.contains("(or more)"), "{message}");
        // Everything the IUT sent is there for the leak scan: both responses.
        let received = conn.take_received();
        assert_eq!(received.len(), ok_response(&serde_json::to_vec(&hello()).unwrap()).len() + second_len);
        // The next case gets its own answer from a fresh connection, not the one queued on the old one.
        let next = Request::Hmac { seq: 2, key_hex: "00".into(), msg_hex: "00".into() };
        let exchange = conn.call(&next).unwrap();
        assert_eq!(exchange.response, reference::handle(&next));
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
        assert_eq!(conn.take_unsolicited(), vec![]);
    }

    #[test]
    fn a_body_longer_than_declared_is_an_error_with_the_extra_byte_count() {
        let (url, _) = each_request(1, |_, _, body| {
            let mut out = ok_response(body);
            out.extend_from_slice(b"{\"tail\":1}\n");
            Some(out)
        });
        expect_protocol(
            connect(&url, Duration::from_secs(5)).call(&hello()),
            &["11 bytes after the response body", "tail"],
        );
    }

    #[test]
    fn bytes_arriving_later_on_the_idle_connection_are_unsolicited_output_of_the_previous_request() {
        // The stray bytes follow the answer to the request with seq 1 after a pause, while the connection
        // is idle: found when the harness looks (take_unsolicited) or before the next request goes out.
        for look_first in [true, false] {
            let (tx, rx) = mpsc::channel::<()>();
            let rx = std::sync::Mutex::new(rx);
            let (url, accepted) = scripted(3, move |n, stream| {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                while let Some(body) = read_request(&mut reader) {
                    if stream.write_all(&ok_response(&body)).is_err() {
                        return;
                    }
                    if n == 0 {
                        // Wait until the client has its answer, then send more.
                        let _ = rx.lock().unwrap().recv_timeout(Duration::from_secs(5));
                        let _ = stream.write_all(b"late: secret-ish 0123456789abcdef");
                    }
                }
            });
            let mut conn = connect(&url, Duration::from_secs(5));
            assert_eq!(conn.call(&hello()).unwrap().response, reference::handle(&hello()));
            assert_eq!(conn.take_unsolicited(), vec![], "nothing yet");
            tx.send(()).unwrap();
            let expected = Unsolicited { after_seq: 1, bytes: b"late: secret-ish 0123456789abcdef".to_vec() };
            let mut found = Vec::new();
            if look_first {
                // Bounded wait for the bytes to cross loopback.
                let until = Instant::now() + Duration::from_secs(5);
                while found.is_empty() && Instant::now() < until {
                    found = conn.take_unsolicited();
                    std::thread::sleep(Duration::from_millis(5));
                }
            } else {
                std::thread::sleep(Duration::from_millis(200));
            }
            let next = Request::Hmac { seq: 2, key_hex: "00".into(), msg_hex: "00".into() };
            assert_eq!(conn.call(&next).unwrap().response, reference::handle(&next));
            found.extend(conn.take_unsolicited());
            assert_eq!(found, vec![expected], "look_first {look_first}");
            // The stray bytes are not part of the next case's received bytes.
            assert!(!String::from_utf8_lossy(&conn.take_received()).contains("late"));
            // The polluted connection was replaced.
            assert_eq!(accepted.load(Ordering::SeqCst), 2);
        }
    }

    #[test]
    fn a_short_body_then_close_is_a_crash() {
        let (url, _) = scripted(1, answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"seq\":1}"));
        let result = connect(&url, TIMEOUT).call(&hello());
        assert!(matches!(&result, Err(CallError::Crash(m)) if m.contains("after 9 of 100 bytes")), "{result:?}");
    }

    /// Writes `first`, then `repeat` up to `total` bytes (or until the client hangs up), then holds the
    /// connection; reports how many bytes it wrote.
    fn endless_head(
        first: &'static [u8],
        repeat: &'static [u8],
        sent: mpsc::Sender<usize>,
    ) -> impl Fn(usize, TcpStream) + Send + Sync + 'static {
        let sent = std::sync::Mutex::new(sent);
        move |_, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            read_request(&mut reader);
            let mut stream = stream;
            let mut written = 0;
            let mut ok = stream.write_all(first).is_ok();
            while ok && written < 4 << 20 {
                ok = stream.write_all(repeat).is_ok();
                written += repeat.len();
            }
            let _ = sent.lock().unwrap().send(written);
            let _ = reader.read(&mut [0u8; 1]);
        }
    }

    #[test]
    fn headers_without_end_are_bounded() {
        // One header line that never ends: refused once the head passes 64 KiB.
        let (tx, rx) = mpsc::channel();
        let (url, _) = scripted(1, endless_head(b"HTTP/1.1 200 OK\r\nX-Long: ", b"aaaaaaaaaaaaaaaa", tx));
        expect_protocol(
            connect(&url, Duration::from_secs(5)).call(&hello()),
            &[&format!("over {MAX_HEAD_BYTES} bytes")],
        );
        assert!(rx.recv_timeout(Duration::from_secs(10)).unwrap() < 4 << 20, "the client stopped reading");

        // Header after header: refused past 100 headers.
        let (tx, rx) = mpsc::channel();
        let (url, _) = scripted(1, endless_head(b"HTTP/1.1 200 OK\r\n", b"X-A: b\r\n", tx));
        expect_protocol(connect(&url, Duration::from_secs(5)).call(&hello()), &["more than 100 headers"]);
        assert!(rx.recv_timeout(Duration::from_secs(10)).unwrap() < 4 << 20, "the client stopped reading");

        // Long header values past the eager-parse window, then the count cap is found at the end of the head.
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..101 {
            head.extend_from_slice(format!("X-{i}: {}\r\n", "v".repeat(300)).as_bytes());
        }
        head.extend_from_slice(b"Content-Length: 0\r\n\r\n");
        let head: &'static [u8] = head.leak();
        let (url, _) = scripted(1, answer_once(head));
        expect_protocol(connect(&url, Duration::from_secs(5)).call(&hello()), &["more than 100 headers"]);

        // A head that stops without its end: a timeout at the deadline.
        let (url, _) = scripted(1, |_, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            read_request(&mut reader);
            let mut stream = stream;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n");
            let _ = reader.read(&mut [0u8; 1]);
        });
        assert_eq!(connect(&url, TIMEOUT).call(&hello()), Err(CallError::Timeout(TIMEOUT)));

        // Ninety headers are fine.
        let (url, _) = each_request(1, |_, _, body| {
            let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
            for i in 0..90 {
                out.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
            }
            let full = ok_response(body);
            out.extend_from_slice(&full[b"HTTP/1.1 200 OK\r\n".len()..]);
            Some(out)
        });
        assert_eq!(connect(&url, Duration::from_secs(5)).call(&hello()).unwrap().response, reference::handle(&hello()));
    }

    #[test]
    fn an_error_status_body_is_quoted_and_kept_for_the_leak_scan() {
        let (url, _) = scripted(
            1,
            answer_once(
                b"HTTP/1.1 500 Internal Server Error\r\nX-Debug: key=6b6579\r\nContent-Length: 46\r\n\r\ntraceback: secret_hex=00112233445566778899aabb",
            ),
        );
        let mut conn = connect(&url, TIMEOUT);
        expect_protocol(conn.call(&hello()), &["HTTP status 500 Internal Server Error", "secret_hex=0011"]);
        let received = String::from_utf8(conn.take_received()).unwrap();
        assert!(received.contains("secret_hex=00112233445566778899aabb"), "{received}");
        assert!(received.contains("X-Debug: key=6b6579"), "headers are kept too: {received}");
        assert!(conn.take_received().is_empty(), "drained");

        // An error status with a byte too many: the status is the news, the extra byte is mentioned.
        let (url, _) = scripted(1, answer_once(b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope!"));
        expect_protocol(
            connect(&url, TIMEOUT).call(&hello()),
            &["HTTP status 404 Not Found", "1 byte after the response body"],
        );

        // An error status whose body never comes is still reported by its status, at the deadline.
        let (url, _) = scripted(1, |_, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            read_request(&mut reader);
            let mut stream = stream;
            let _ = stream.write_all(b"HTTP/1.1 503 Busy\r\nContent-Length: 50\r\n\r\nwait");
            let _ = reader.read(&mut [0u8; 1]);
        });
        expect_protocol(connect(&url, TIMEOUT).call(&hello()), &["HTTP status 503 Busy", "could not be read"]);
    }

    #[test]
    fn chunked_responses_are_read_with_the_same_caps() {
        // Valid: several chunks, a chunk extension, upper-case hex, trailers.
        let (url, _) = each_request(1, |_, _, body| {
            let answer = serde_json::to_vec(&reference::handle_bytes(body)).unwrap();
            let (a, b) = answer.split_at(7);
            let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n".to_vec();
            out.extend_from_slice(format!("{:X};name=value\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(format!("\r\n{:X}\r\n", b.len()).as_bytes());
            out.extend_from_slice(b);
            out.extend_from_slice(b"\r\n0\r\nX-Trailer: t\r\n\r\n");
            Some(out)
        });
        let mut conn = connect(&url, Duration::from_secs(5));
        let exchange = conn.call(&hello()).unwrap();
        assert_eq!(exchange.response, reference::handle(&hello()));
        assert_eq!(exchange.raw, answer_text(&hello()));

        // A chunk declaring more than the cap: refused before its data is read.
        let big = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{{", MAX_RESPONSE_BYTES + 1);
        let (url, _) = scripted(1, answer_once(big.leak().as_bytes()));
        expect_protocol(connect(&url, TIMEOUT).call(&hello()), &["over the 1048576-byte cap", "1048577-byte chunk"]);

        for (body, needles) in [
            (&b"zz\r\n{}\r\n0\r\n\r\n"[..], &["malformed chunk-size line", "zz"][..]),
            (b"-1\r\n{}\r\n0\r\n\r\n", &["malformed chunk-size line"]),
            (b"10000000000000000\r\n", &["malformed chunk-size line"]),
            (b"\r\n{}\r\n0\r\n\r\n", &["malformed chunk-size line"]),
            (b"2\r\n{}XX0\r\n\r\n", &["not followed by CRLF"]),
            (b"2\n{}\r\n0\r\n\r\n", &["without CRLF"]),
            (b"2\r\n{}\r\n0\r\nX-T: 1\r\nX-T: 2\r\n", &[]),
        ] {
            let mut response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            response.extend_from_slice(body);
            let (url, _) = scripted(1, answer_once(response.leak()));
            let result = connect(&url, TIMEOUT).call(&hello());
            if needles.is_empty() {
                // Trailers cut short by the close: the body never ended.
                assert!(matches!(&result, Err(CallError::Crash(m)) if m.contains("chunked")), "{result:?}");
            } else {
                expect_protocol(result, needles);
            }
        }

        // A chunk-size line that never ends is bounded.
        let (tx, rx) = mpsc::channel();
        let (url, _) = scripted(
            1,
            endless_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1", b"0000000000000000", tx),
        );
        expect_protocol(connect(&url, Duration::from_secs(5)).call(&hello()), &["chunk-size line", "over 4096 bytes"]);
        assert!(rx.recv_timeout(Duration::from_secs(10)).unwrap() < 4 << 20);

        // Cut in the middle of a chunk: a crash.
        let (url, _) =
            scripted(1, answer_once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n{\"seq\":"));
        let result = connect(&url, TIMEOUT).call(&hello());
        assert!(matches!(&result, Err(CallError::Crash(m)) if m.contains("chunked")), "{result:?}");
    }

    #[test]
    fn connection_close_is_honoured() {
        for head in [
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {len}\r\n\r\n",
            "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: {len}\r\n\r\n",
            // HTTP/1.0 closes unless told otherwise.
            "HTTP/1.0 200 OK\r\nContent-Length: {len}\r\n\r\n",
        ] {
            let (url, accepted) = each_request(4, move |_, i, body| {
                (i == 0).then(|| {
                    let answer = serde_json::to_vec(&reference::handle_bytes(body)).unwrap();
                    let mut out = head.replace("{len}", &answer.len().to_string()).into_bytes();
                    out.extend_from_slice(&answer);
                    out
                })
            });
            let mut conn = connect(&url, Duration::from_secs(5));
            for request in requests().into_iter().take(3) {
                assert_eq!(conn.call(&request).unwrap().response, reference::handle(&request), "{head}");
            }
            assert_eq!(accepted.load(Ordering::SeqCst), 3, "one connection per request: {head}");
            assert_eq!(conn.take_unsolicited(), vec![]);
        }
        // HTTP/1.0 with keep-alive keeps it.
        let (url, accepted) = with_head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: {len}\r\n\r\n");
        let mut conn = connect(&url, Duration::from_secs(5));
        for request in requests().into_iter().take(3) {
            assert_eq!(conn.call(&request).unwrap().response, reference::handle(&request));
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_keep_alive_connection_the_server_closed_is_replaced_without_an_error() {
        // The server answers one request per connection and closes, without saying so.
        let (url, accepted) = scripted(4, |_, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let Some(body) = read_request(&mut reader) else { return };
            let mut stream = stream;
            let _ = stream.write_all(&ok_response(&body));
        });
        let mut conn = connect(&url, Duration::from_secs(5));
        assert_eq!(conn.call(&hello()).unwrap().response, reference::handle(&hello()));
        std::thread::sleep(Duration::from_millis(50));
        let next = requests().remove(1);
        assert_eq!(conn.call(&next).unwrap().response, reference::handle(&next));
        assert_eq!(conn.take_unsolicited(), vec![]);
        assert_eq!(accepted.load(Ordering::SeqCst), 2);

        // Closed the moment the second request arrives (the idle-close race): sent once more, on a fresh one.
        let (url, accepted) = each_request(4, |_, i, body| (i == 0).then(|| ok_response(body)));
        let mut conn = connect(&url, Duration::from_secs(5));
        assert_eq!(conn.call(&hello()).unwrap().response, reference::handle(&hello()));
        let next = requests().remove(1);
        assert_eq!(conn.call(&next).unwrap().response, reference::handle(&next));
        assert_eq!(accepted.load(Ordering::SeqCst), 2);

        // A server that dies with the request in flight is still a crash (the retry cannot connect).
        let (url, _) = each_request(1, |_, i, body| (i == 0).then(|| ok_response(body)));
        let mut conn = connect(&url, Duration::from_secs(5));
        assert!(conn.call(&hello()).is_ok());
        let result = conn.call(&requests().remove(1));
        assert!(matches!(&result, Err(CallError::Crash(m)) if m.contains("closed")), "{result:?}");
    }

    #[test]
    fn requests_carry_host_user_agent_and_content_type_and_interim_responses_are_skipped() {
        let (tx, rx) = mpsc::channel::<String>();
        let tx = std::sync::Mutex::new(tx);
        let (url, _) = scripted(1, move |_, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let len: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap();
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            tx.lock().unwrap().send(head).unwrap();
            let mut out = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n".to_vec();
            out.extend(ok_response(&body));
            let mut stream = stream;
            let _ = stream.write_all(&out);
            let _ = reader.read(&mut [0u8; 1]);
        });
        let port = url.trim_start_matches("http://127.0.0.1:").trim_end_matches('/').to_string();
        let mut conn = connect(&format!("{}rpc?x=1#frag", url), Duration::from_secs(5));
        assert_eq!(conn.call(&hello()).unwrap().response, reference::handle(&hello()));
        let head = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        let lines: Vec<&str> = head.lines().collect();
        assert_eq!(lines[0], "POST /rpc?x=1 HTTP/1.1");
        for expected in [
            format!("Host: 127.0.0.1:{port}"),
            format!("User-Agent: ivconform/{}", env!("CARGO_PKG_VERSION")),
            "Content-Type: application/json".to_string(),
        ] {
            assert!(lines.contains(&expected.as_str()), "{expected:?} not in {head:?}");
        }
        // take_received holds every byte read, the interim responses included.
        let received = String::from_utf8(conn.take_received()).unwrap();
        assert!(
            received.starts_with("HTTP/1.1 100 Continue\r\n") && received.ends_with(&answer_text(&hello())),
            "{received}"
        );
    }

    #[test]
    fn a_bare_lf_head_and_a_body_to_the_close_are_read() {
        let (url, _) = scripted(1, |_, stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let body = read_request(&mut reader).unwrap();
            let answer = serde_json::to_vec(&reference::handle_bytes(&body)).unwrap();
            let mut out = b"HTTP/1.1 200 OK\nContent-Type: application/json\nConnection: close\n\n".to_vec();
            out.extend_from_slice(&answer);
            let mut stream = stream;
            let _ = stream.write_all(&out);
        });
        assert_eq!(connect(&url, Duration::from_secs(5)).call(&hello()).unwrap().response, reference::handle(&hello()));
    }
}
