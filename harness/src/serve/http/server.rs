//! The HTTP/1.1 server both servers run on (`serve --http` and `diagnose --serve`): hyper parses, tokio
//! schedules, and this module puts a limit on everything a client controls.
//!
//! | what a client can do                         | what bounds it                                          |
//! |----------------------------------------------|---------------------------------------------------------|
//! | open connections and hold them               | [`Limits::max_connections`]: accept waits on a semaphore (back-pressure: new clients queue in the kernel backlog), and while it waits, connections idle between requests are closed to make room; an accept that runs out of descriptors backs off instead of ending the server |
//! | stay idle before or between requests         | [`Limits::idle_timeout`]: hyper's header-read timer, which runs while hyper waits for a request head |
//! | send a request head slowly (slowloris)       | [`Limits::header_timeout`] from the head's first byte ([`Guarded`]) |
//! | send a huge head                             | [`Limits::max_header_bytes`], [`Limits::max_headers`]: hyper answers 431 and closes |
//! | announce a body and send it slowly, or never | [`read_body`]: [`Limits::body_stall`] without a byte, [`Limits::body_timeout`] in all: 408 |
//! | announce a huge body                         | [`read_body`]: refused from the declared length before a byte is read (413); up to [`Limits::max_drain_bytes`] is read and discarded so the connection stays usable, beyond that it is closed |
//! | send many large bodies at once               | [`Limits::body_budget`]: the bytes of all stored bodies together (a semaphore), so memory does not grow with the number of connections |
//! | never read the response                      | [`Limits::write_stall`]: a write that makes no progress for that long ends the connection ([`Guarded`]) |
//!
//! Every limit ends in a dropped task: the socket closes when its connection future ends, and no thread
//! belongs to a connection, so nothing leaks per failed request. A connection that ends with part of a
//! request unread is closed gently ([`linger`]), so the client reads its 413 instead of a reset.
//!
//! Hand-written here because hyper 1.x has no write, body or head-from-first-byte timeouts and hyper-util's
//! servers no connection cap: [`Guarded`] (the socket wrapper with the head and write timers), the accept
//! loop and [`read_body`] are what is left to do; parsing, keep-alive and the idle timer are hyper's.
//!
//! Latency: `TCP_NODELAY` on every accepted socket. hyper writes a response's head and body in one vectored
//! write, but a partial write would otherwise wait for the client's delayed ACK (40 ms per request on a
//! keep-alive connection, measured with tiny_http, the server before this one, which wrote them separately).

use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::{Request, Response};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Everything a server bounds; see the table in the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Connections served at once; the accept loop waits for one to end beyond that.
    pub max_connections: usize,
    /// How long a connection may wait for its next request (keep-alive) or its first.
    pub idle_timeout: Duration,
    /// How long a request head may take from its first byte.
    pub header_timeout: Duration,
    /// Largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    /// Most header fields in one request.
    pub max_headers: usize,
    /// Longest wait for the next byte of a body.
    pub body_stall: Duration,
    /// Longest time a whole body may take.
    pub body_timeout: Duration,
    /// Longest time a response write may make no progress (a client that does not read).
    pub write_stall: Duration,
    /// Largest body stored for the handler.
    pub max_body_bytes: usize,
    /// Largest oversized body read (and discarded) to keep the connection; longer ones close it.
    pub max_drain_bytes: usize,
    /// Bytes of stored bodies across all connections.
    pub body_budget: usize,
}

/// What a server's request handler returns: a whole response.
pub(crate) type Reply = Response<Full<Bytes>>;

/// A server's request handling: one request in, one response out.
pub(crate) trait App: Send + Sync + 'static {
    /// Answers `request` (its body read, bounded, with [`read_body`]); `local` is the address the connection
    /// came in on.
    fn call(self: Arc<Self>, request: Request<Incoming>, ctx: Ctx) -> impl Future<Output = Reply> + Send;
}

/// What a handler gets besides the request: the server's limits and budget, and the connection's addresses.
#[derive(Clone)]
pub(crate) struct Ctx {
    /// The server's shared state.
    pub shared: Arc<Shared>,
    /// The address the connection was accepted on.
    pub local: SocketAddr,
}

/// What every connection of one server shares: the limits and the body budget.
pub(crate) struct Shared {
    /// The server's limits.
    pub limits: Limits,
    budget: Arc<Semaphore>,
    connections: Arc<Semaphore>,
    /// Bumped by the accept loop when every connection slot is taken: idle connections then close.
    evict: tokio::sync::watch::Sender<u64>,
}

/// A started server: its runtime, address and accept loop.
pub(crate) struct Running {
    runtime: tokio::runtime::Runtime,
    /// The bound address (the port when 0 was asked for).
    pub addr: SocketAddr,
    accept: tokio::task::JoinHandle<io::Error>,
}

impl Running {
    /// Blocks until the accept loop fails (it does not end otherwise); that error.
    pub fn wait(self) -> io::Error {
        let Running { runtime, accept, .. } = self;
        runtime.block_on(accept).unwrap_or_else(|e| io::Error::other(format!("the accept loop panicked: {e}")))
    }

    /// Stops the server: the accept loop and every connection (tests).
    #[cfg(test)]
    pub fn stop(self) {
        self.accept.abort();
        self.runtime.shutdown_timeout(Duration::from_secs(5));
    }
}

/// Binds `addr` (the first address it resolves to) and serves `app` on `threads` runtime threads.
pub(crate) fn start<A: App>(addr: &str, threads: usize, limits: Limits, app: A) -> io::Result<Running> {
    use std::net::ToSocketAddrs;
    let target = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the address resolves to nothing"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name("http-worker")
        .enable_io()
        .enable_time()
        .build()?;
    let listener = runtime.block_on(async {
        let socket = match target {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        socket.bind(target)?;
        socket.listen(1024)
    })?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        budget: Arc::new(Semaphore::new(limits.body_budget)),
        connections: Arc::new(Semaphore::new(limits.max_connections)),
        evict: tokio::sync::watch::Sender::new(0),
        limits,
    });
    let accept = runtime.spawn(accept_loop(listener, shared, Arc::new(app)));
    Ok(Running { runtime, addr, accept })
}

/// Accepts connections while fewer than the cap are open; returns the error that ended it.
async fn accept_loop<A: App>(listener: TcpListener, shared: Arc<Shared>, app: Arc<A>) -> io::Error {
    loop {
        let permit = match Arc::clone(&shared.connections).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => loop {
                // Full: ask idle connections (between requests, or open without a byte sent) to close,
                // and wait for a slot; ask again every second while busy ones hold them all.
                shared.evict.send_modify(|n| *n += 1);
                let wait = Arc::clone(&shared.connections).acquire_owned();
                match tokio::time::timeout(Duration::from_secs(1), wait).await {
                    Ok(Ok(permit)) => break permit,
                    Ok(Err(_)) => return io::Error::other("the connection semaphore closed"),
                    Err(_) => continue,
                }
            },
        };
        let (stream, _peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) if transient(&e) => {
                // Out of descriptors, or a connection reset before it was accepted: wait and carry on
                // (the connections that end free descriptors), where the old server's accept thread died.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return e,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, Arc::clone(&shared), Arc::clone(&app), permit));
    }
}

fn transient(e: &io::Error) -> bool {
    // EMFILE 24, ENFILE 23, ENOBUFS 105, ENOMEM 12: resources that come back.
    matches!(e.raw_os_error(), Some(23 | 24 | 105 | 12))
        || matches!(
            e.kind(),
            io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
        )
}

/// Serves one connection until it ends or a limit ends it, then closes it gently.
async fn connection<A: App>(stream: TcpStream, shared: Arc<Shared>, app: Arc<A>, permit: OwnedSemaphorePermit) {
    let Ok(local) = stream.local_addr() else { return };
    let busy = Arc::new(AtomicBool::new(false));
    let in_head = Arc::new(AtomicBool::new(false));
    let limits = &shared.limits;
    let io = hyper_util::rt::TokioIo::new(Guarded {
        inner: stream,
        busy: Arc::clone(&busy),
        in_head: Arc::clone(&in_head),
        header_timeout: limits.header_timeout,
        write_stall: limits.write_stall,
        head: None,
        write: None,
    });
    let ctx = Ctx { shared: Arc::clone(&shared), local };
    let service_busy = Arc::clone(&busy);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        // Called as soon as the head is parsed (before the future runs): the head timer stops here.
        service_busy.store(true, Ordering::Relaxed);
        let (app, ctx, busy) = (Arc::clone(&app), ctx.clone(), Arc::clone(&service_busy));
        Box::pin(async move {
            let reply = app.call(request, ctx).await;
            Ok::<_, std::convert::Infallible>(reply.map(|inner| Tracked { inner, busy }))
        }) as Pin<Box<dyn Future<Output = _> + Send>>
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.idle_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_header_size(limits.max_header_bytes)
        .max_headers(limits.max_headers)
        .serve_connection(io, service)
        .without_shutdown();
    tokio::pin!(conn);
    let mut evict = shared.evict.subscribe();
    let served = loop {
        tokio::select! {
            served = &mut conn => break Some(served),
            // The sender lives in `shared`, which this task holds: `changed` only fails if it is gone.
            Ok(()) = evict.changed() => {
                if !busy.load(Ordering::Relaxed) && !in_head.load(Ordering::Relaxed) {
                    break None;
                }
            }
        }
    };
    if let Some(Ok(parts)) = served {
        linger(parts.io.into_inner().inner).await;
    }
    drop(permit);
}

/// Closes a connection whose client may still be sending (a refused body): half-closes, then reads and
/// discards for a moment so that the kernel does not answer the unread bytes with a reset, which can make
/// the client lose the response it was sent. Bounded: 1 s and 1 MiB.
async fn linger(mut stream: TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let mut buf = [0u8; 16 * 1024];
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut left = 1usize << 20;
    while left > 0 {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => left = left.saturating_sub(n),
            _ => return,
        }
    }
}

/// The accepted socket, with the two timers hyper does not have: a request head must be complete within
/// [`Limits::header_timeout`] of its first byte, and a write must make progress within [`Limits::write_stall`].
/// Either ends in an I/O error, which ends the connection.
struct Guarded {
    inner: TcpStream,
    /// Set while a request is being answered (from its parsed head until its response body is dropped).
    busy: Arc<AtomicBool>,
    /// Set while a request head is arriving (its timer runs): the connection is not idle.
    in_head: Arc<AtomicBool>,
    header_timeout: Duration,
    write_stall: Duration,
    /// Running from the first byte of a request head until it is parsed.
    head: Option<Pin<Box<Sleep>>>,
    /// Running while a write waits.
    write: Option<Pin<Box<Sleep>>>,
}

impl AsyncRead for Guarded {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let busy = this.busy.load(Ordering::Relaxed);
        if busy && this.head.is_some() {
            this.head = None;
            this.in_head.store(false, Ordering::Relaxed);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if !busy && this.head.is_none() && buf.filled().len() > before {
                    this.head = Some(Box::pin(tokio::time::sleep(this.header_timeout)));
                    this.in_head.store(true, Ordering::Relaxed);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                if let Some(timer) = &mut this.head {
                    if timer.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "request head too slow")));
                    }
                }
                Poll::Pending
            }
            failed => failed,
        }
    }
}

impl Guarded {
    /// A write's outcome through the stall timer.
    fn progress<T>(&mut self, cx: &mut Context<'_>, polled: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(result) => {
                self.write = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let stall = self.write_stall;
                let timer = self.write.get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
                if timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading")));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.progress(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.progress(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.progress(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.progress(cx, polled)
    }
}

/// A response body that marks its connection idle again once hyper has written it (and dropped it).
struct Tracked {
    inner: Full<Bytes>,
    busy: Arc<AtomicBool>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.busy.store(false, Ordering::Relaxed);
    }
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Over [`Limits::max_body_bytes`]: at least this many bytes (declared, or received so far).
    TooLarge(u64),
    /// No byte for [`Limits::body_stall`], or the whole body took longer than [`Limits::body_timeout`].
    TooSlow,
    /// The stored bodies of all connections already fill [`Limits::body_budget`].
    Busy,
    /// The body could not be read (the connection broke, or its framing is invalid).
    Broken(String),
}

/// A request body read under the limits, and the budget it holds (drop it when the body is done with).
pub(crate) struct ReadBody {
    /// The bytes.
    pub bytes: Vec<u8>,
    _budget: Option<OwnedSemaphorePermit>,
}

/// Reads a request body: refused from its declared length when over [`Limits::max_body_bytes`] (read and
/// discarded up to [`Limits::max_drain_bytes`], so the connection can carry on), within the stall and total
/// timeouts, holding its bytes in the server's body budget.
pub(crate) async fn read_body(mut body: Incoming, shared: &Shared) -> Result<ReadBody, BodyError> {
    let limits = &shared.limits;
    let declared = body.size_hint().exact();
    if let Some(n) = declared.filter(|&n| n > limits.max_body_bytes as u64) {
        if n <= limits.max_drain_bytes as u64 {
            drain(&mut body, limits).await;
        }
        // Longer declared bodies stay unread: hyper then closes the connection after the answer.
        return Err(BodyError::TooLarge(n));
    }
    let deadline = Instant::now() + limits.body_timeout;
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
    let mut budget: Option<OwnedSemaphorePermit> = None;
    loop {
        let next = tokio::time::timeout_at(deadline.min(Instant::now() + limits.body_stall), body.frame()).await;
        let frame = match next {
            Err(_) => return Err(BodyError::TooSlow),
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(BodyError::Broken(e.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else { continue };
        if bytes.len() + data.len() > limits.max_body_bytes {
            let received = (bytes.len() + data.len()) as u64;
            drop(bytes);
            drain(&mut body, limits).await;
            return Err(BodyError::TooLarge(received));
        }
        if !data.is_empty() {
            let want = u32::try_from(data.len()).unwrap_or(u32::MAX);
            let wait = Duration::from_secs(5).min(deadline.saturating_duration_since(Instant::now()));
            let permit = match tokio::time::timeout(wait, Arc::clone(&shared.budget).acquire_many_owned(want)).await {
                Ok(Ok(p)) => p,
                _ => return Err(BodyError::Busy),
            };
            match &mut budget {
                Some(held) => held.merge(permit),
                None => budget = Some(permit),
            }
        }
        bytes.extend_from_slice(&data);
    }
    Ok(ReadBody { bytes, _budget: budget })
}

/// Reads and discards the rest of a body, at most [`Limits::max_drain_bytes`] and within the timeouts.
async fn drain(body: &mut Incoming, limits: &Limits) {
    let deadline = Instant::now() + limits.body_timeout;
    let mut left = limits.max_drain_bytes;
    while left > 0 {
        match tokio::time::timeout_at(deadline.min(Instant::now() + limits.body_stall), body.frame()).await {
            Ok(Some(Ok(frame))) => {
                left = left.saturating_sub(frame.data_ref().map_or(0, Bytes::len));
            }
            _ => return,
        }
    }
}

/// A whole response with a status, content type and body.
pub(crate) fn reply(status: u16, content_type: &str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = hyper::header::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}
