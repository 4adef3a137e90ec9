//! `ivconform diagnose --serve ADDR`: the diagnosis as a small local web page, for support engineers who
//! would rather paste than type. The configuration (the secrets) is loaded once on the server; the page
//! receives only what a page or app sends anyway, and shows which key made a hash by name, never the key.
//!
//! Because the answers still reveal facts about the secrets (which one made a hash), the page is guarded:
//! - it binds loopback unless the caller allows otherwise ([`Exposure`]);
//! - the `Host` header must name the bound address (an IP literal with its port, or `localhost` when
//!   bound to loopback), so a DNS-rebinding page under another name gets 421, not results;
//! - a POST must come from the page itself: a foreign `Origin` (or, without one, a cross-site
//!   `Sec-Fetch-Site`) gets 403, so another site cannot submit the form (CSRF);
//! - the form posts (nothing sensitive in URLs, logs or history) and every response is `no-store`;
//! - the server is `serve::http::server` (its limits), so one slow or stalled client blocks nobody.
//!
//! Everything echoed is HTML-escaped (`render::escape`); the verdict comes from the structured diagnoses
//! (`verdict`).

mod render;
mod verdict;

use super::http::server::{read_body, reply, App, BodyError, Ctx, Limits, Reply};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request};
use ivconform_core::Config;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Largest form body: a boot payload at P6's 64 KiB limit, percent-encoded (up to three times longer),
/// with room for the other fields.
const MAX_FORM_BYTES: usize = 1 << 20;

/// Who may reach the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Loopback addresses only; any other address is refused before binding.
    LoopbackOnly,
    /// Any address (`--allow-remote`): the caller warns that the page shows results about the secrets.
    AllowRemote,
}

fn limits() -> Limits {
    Limits {
        max_connections: 64,
        idle_timeout: Duration::from_secs(30),
        header_timeout: Duration::from_secs(10),
        max_header_bytes: 32 << 10,
        max_headers: 64,
        body_stall: Duration::from_secs(10),
        body_timeout: Duration::from_secs(30),
        write_stall: Duration::from_secs(10),
        max_body_bytes: MAX_FORM_BYTES,
        max_drain_bytes: 4 * MAX_FORM_BYTES,
        body_budget: 16 * MAX_FORM_BYTES,
    }
}

/// Serves the page on `addr` until the listener fails; `on_ready` receives the bound address first. An
/// address that is not loopback is refused unless `exposure` allows it.
pub fn serve(addr: &str, config: Config, exposure: Exposure, on_ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    use std::net::ToSocketAddrs;
    let target = addr.to_socket_addrs().map_err(|e| e.to_string())?.next().ok_or("the address resolves to nothing")?;
    if !target.ip().is_loopback() && exposure == Exposure::LoopbackOnly {
        return Err(format!(
            "{target} is not a loopback address: the page tells whoever reaches it which secret made a hash, so it binds 127.0.0.1 or ::1 unless --allow-remote is given"
        ));
    }
    let running = super::http::server::start(&target.to_string(), 2, limits(), Page { config, bound: target })
        .map_err(|e| e.to_string())?;
    on_ready(running.addr);
    Err(format!("the listener stopped: {}", running.wait()))
}

struct Page {
    config: Config,
    /// The address asked for (its port may be 0; the connection's local address has the real one).
    bound: SocketAddr,
}

impl App for Page {
    async fn call(self: Arc<Self>, request: Request<Incoming>, ctx: Ctx) -> Reply {
        let (head, body) = request.into_parts();
        let header = |name: HeaderName| head.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let Some(host) = header(hyper::header::HOST).filter(|h| self.host_allowed(h, ctx.local)) else {
            return html(
                421,
                "Misdirected request",
                "The Host header does not name this server's address. Open the page by the address it printed (e.g. http://127.0.0.1:PORT/).",
            );
        };
        let path = head.uri.path();
        if path != "/" {
            return html(404, "Not found", "The page is at /.");
        }
        match head.method {
            Method::GET | Method::HEAD => {
                let form = verdict::Form { platform: "web".into(), ..Default::default() };
                page(200, render::page(&self.config, &form, None))
            }
            Method::POST => {
                if !same_origin(&head.headers, &host) {
                    return html(
                        403,
                        "Forbidden",
                        "This form can only be submitted from the page itself (the request's Origin is another site).",
                    );
                }
                let form = match read_body(body, &ctx.shared).await {
                    Ok(body) => verdict::Form::parse(&body.bytes),
                    Err(BodyError::TooLarge(_)) => {
                        return html(
                            413,
                            "Too large",
                            &format!("The form is limited to {} KiB; paste less.", MAX_FORM_BYTES >> 10),
                        )
                    }
                    Err(BodyError::TooSlow) => return html(408, "Too slow", "The form arrived too slowly."),
                    Err(BodyError::Busy) => return html(503, "Busy", "The server is busy; try again."),
                    Err(BodyError::Broken(e)) => {
                        return html(400, "Bad request", &format!("Cannot read the form: {e}"))
                    }
                };
                let clock =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs() as i64);
                let v = verdict::check(&self.config, &form, clock);
                page(200, render::page(&self.config, &form, Some(&v)))
            }
            _ => {
                let mut r = html(405, "Method not allowed", "GET / shows the form; the form posts to /.");
                r.headers_mut().insert(hyper::header::ALLOW, HeaderValue::from_static("GET, POST"));
                r
            }
        }
    }
}

impl Page {
    /// Whether `host` (a Host header) names this server: an IP literal it is bound to, or `localhost`
    /// when bound to loopback, with the port it listens on (optional for port 80).
    fn host_allowed(&self, host: &str, local: SocketAddr) -> bool {
        let (name, port) = match host.rsplit_once(':') {
            Some((n, p)) if !n.ends_with(']') || host.starts_with('[') => match p.parse::<u16>() {
                Ok(p) if !n.is_empty() && (n.starts_with('[') || !n.contains(':')) => (n, Some(p)),
                _ => (host, None),
            },
            _ => (host, None),
        };
        if port.unwrap_or(80) != local.port() {
            return false;
        }
        let name = name.trim_start_matches('[').trim_end_matches(']');
        if name.eq_ignore_ascii_case("localhost") {
            return local.ip().is_loopback();
        }
        match name.parse::<IpAddr>() {
            // Bound to every interface: any of this machine's addresses may be used; an IP literal cannot be
            // a rebinding attack (that needs a name the attacker controls).
            Ok(ip) if self.bound.ip().is_unspecified() => ip == local.ip() || ip.is_loopback(),
            Ok(ip) => ip == local.ip(),
            Err(_) => false,
        }
    }
}

/// Whether a POST comes from the page itself: its `Origin` is `http://HOST`, or without an `Origin`, the
/// browser's `Sec-Fetch-Site` (if any) says same-origin. A request with neither is not from a browser, so
/// not a cross-site forgery.
fn same_origin(headers: &hyper::HeaderMap, host: &str) -> bool {
    if let Some(origin) = headers.get(hyper::header::ORIGIN) {
        return origin.to_str().is_ok_and(|o| o.eq_ignore_ascii_case(&format!("http://{host}")));
    }
    match headers.get("sec-fetch-site").map(|v| v.to_str().unwrap_or("")) {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

/// A page response with the headers every answer carries.
fn page(status: u16, body: String) -> Reply {
    let mut r = reply(status, "text/html; charset=utf-8", body);
    let h = r.headers_mut();
    for (name, value) in [
        ("cache-control", "no-store"),
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        h.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    r
}

/// A short error page.
fn html(status: u16, title: &str, message: &str) -> Reply {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status} {title}</title></head><body><h1>{title}</h1><p>{}</p></body></html>\n",
        render::escape(message)
    );
    page(status, body)
}
