//! The SoftAP/HTTP transport on tokio sockets, served by provkit-http — the same request
//! parser, limits and response bytes as the ESP32 firmware and the CC32xx adapter.
//!
//! The server owns sockets and time; what a request *means* (sessions, cookies, endpoints) is
//! the device's business behind [`HttpDevice`] — in `provkit sim` that is provkit-protocomm's
//! HTTP framing. What happens here:
//!
//! ```text
//!  accept ── over ServerLimits::max_connections? ── yes ─► dropped at once, no byte sent
//!    │ no: connection id n, a task running provkit_http::serve_connection
//!    ▼      (embedded-io-adapters' tokio adapter over the TcpStream)
//!  request ─► tokio blocking pool: HttpDevice::handle_http ─► HttpOutcome
//!    Reply{200, Set-Cookie?} ─► written as esp_http_server writes it, connection kept
//!    Reply{404/405/...}      ─► written, then the connection closed (esp_http_server does)
//!    Close                   ─► connection closed without a byte (handler or crypto error)
//!  connection ends (peer, timeout, refusal, close) ─► HttpDevice::connection_closed(n)
//! ```
//!
//! * keep-alive: one TCP connection may carry the whole flow; pipelined requests are kept;
//! * limits (provkit-http's): head ≤ 1536 bytes, body ≤ [`MAX_BODY`] (4096, protocomm's);
//!   a request over them, malformed, or chunked closes the connection with no response;
//! * idle and request timeouts and the connection cap come from [`ServerLimits`];
//! * the device runs on tokio's blocking pool (it may wait for a scan or do sec2
//!   arithmetic), never on an async worker.

use crate::SimError;
use embedded_io_adapters::tokio_1::FromTokio;
use provkit_http::limits::{
    IDLE_TIMEOUT_MS, MAX_BODY_LEN, MAX_CONNECTIONS, REQUEST_BUFFER_LEN, REQUEST_TIMEOUT_MS,
};
use provkit_http::{Answer, Request, Response, Service, Status, Timeouts, Timer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The largest request body accepted (esp_http_server's protocomm limit).
pub const MAX_BODY: usize = MAX_BODY_LEN;

/// Identifies one TCP connection for the lifetime of the server.
pub type ConnectionId = provkit_http::ConnectionId;

/// One parsed request handed to the device.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub connection: ConnectionId,
    /// e.g. `POST`.
    pub method: &'a str,
    /// The request target's path, e.g. `/prov-session` (no query).
    pub path: &'a str,
    /// The raw `Cookie` header value, if any.
    pub cookie: Option<&'a [u8]>,
    pub body: &'a [u8],
}

/// A response the device wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    /// The value of a `Set-Cookie` header, e.g. `session=123`.
    pub set_cookie: Option<String>,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpOutcome {
    Reply(HttpReply),
    /// Close the socket without a response (the reference's handler-error behaviour).
    Close,
}

/// The device side of the HTTP transport.
pub trait HttpDevice: Send + 'static {
    fn handle_http(&mut self, request: HttpRequest<'_>) -> HttpOutcome;
    fn connection_closed(&mut self, connection: ConnectionId);
}

/// The transport limits of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Connections served at once; more are closed on accept, the others untouched.
    pub max_connections: usize,
    /// How long a connection may wait for its next request.
    pub idle_timeout: Duration,
    /// How long a request may take to arrive, and its response to be taken.
    pub request_timeout: Duration,
}

impl Default for ServerLimits {
    /// provkit-http's defaults: 256 connections, 120 s idle, 10 s per request.
    fn default() -> Self {
        Self {
            max_connections: MAX_CONNECTIONS,
            idle_timeout: Duration::from_millis(IDLE_TIMEOUT_MS),
            request_timeout: Duration::from_millis(REQUEST_TIMEOUT_MS),
        }
    }
}

/// The reply as esp_http_server would send it; `None` if it cannot be sent (a header value
/// with a line break), which closes the connection instead.
fn response_of(reply: HttpReply) -> Option<Response> {
    let status = Status::from_code(reply.status).or_else(|| Status::custom(reply.status, ""))?;
    let mut response = Response::new(status, reply.body)
        .with_content_type(reply.content_type)
        .ok()?;
    if let Some(cookie) = reply.set_cookie {
        response = response.with_header("Set-Cookie", cookie).ok()?;
    }
    // esp_http_server closes the socket after every error status it sends (404, 405).
    Some(if status.is_error() {
        response.closing()
    } else {
        response
    })
}

/// tokio's clock for provkit-http.
struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep_ms(&mut self, ms: u64) -> impl Future<Output = ()> {
        tokio::time::sleep(Duration::from_millis(ms))
    }
}

/// The device as provkit-http's service, one per connection.
struct DeviceService<D> {
    device: Arc<Mutex<D>>,
}

impl<D: HttpDevice> Service for DeviceService<D> {
    async fn request(&mut self, request: &Request<'_>, connection: ConnectionId) -> Answer {
        let method = request.method.to_string();
        let path = request.path().to_string();
        let cookie = request.cookie.map(<[u8]>::to_vec);
        let body = request.body.to_vec();
        let device = Arc::clone(&self.device);
        // The device may block (a blocking ScanStart waits for the scan; sec2 does big-number
        // arithmetic), so it runs on the blocking pool, never on an async worker.
        let outcome = tokio::task::spawn_blocking(move || {
            let mut d = device.lock().ok()?;
            Some(d.handle_http(HttpRequest {
                connection,
                method: &method,
                path: &path,
                cookie: cookie.as_deref(),
                body: &body,
            }))
        })
        .await;
        match outcome {
            Ok(Some(HttpOutcome::Reply(reply))) => {
                response_of(reply).map_or(Answer::Close, Answer::Reply)
            }
            // A device refusal, a poisoned device or a failed task: no response.
            _ => Answer::Close,
        }
    }

    fn closed(&mut self, connection: ConnectionId) {
        // Off the async thread too: the device may be busy with another connection's request.
        let device = Arc::clone(&self.device);
        tokio::task::spawn_blocking(move || {
            if let Ok(mut d) = device.lock() {
                d.connection_closed(connection);
            }
        });
    }
}

/// A bound, not yet serving, HTTP server.
pub struct HttpServer {
    listener: TcpListener,
    limits: ServerLimits,
}

impl HttpServer {
    /// Binds `addr` with the default [`ServerLimits`]; a busy port is an error naming the
    /// address.
    pub async fn bind(addr: SocketAddr) -> Result<HttpServer, SimError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Io {
                context: format!("cannot listen on {addr}"),
                source,
            })?;
        Ok(HttpServer {
            listener,
            limits: ServerLimits::default(),
        })
    }

    /// Other limits.
    pub fn with_limits(mut self, limits: ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn local_addr(&self) -> Result<SocketAddr, SimError> {
        self.listener.local_addr().map_err(|source| SimError::Io {
            context: "reading the listening address".into(),
            source,
        })
    }

    /// Serves until `shutdown` completes.
    pub async fn serve<D: HttpDevice>(
        self,
        device: Arc<Mutex<D>>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), SimError> {
        let next_id = AtomicU32::new(1);
        let slots = Arc::new(Semaphore::new(self.limits.max_connections));
        let limits = self.limits;
        tokio::pin!(shutdown);
        loop {
            let (stream, _peer) = tokio::select! {
                () = &mut shutdown => return Ok(()),
                accepted = self.listener.accept() => match accepted {
                    Ok(pair) => pair,
                    // A failed accept (e.g. out of descriptors) is transient; keep serving.
                    Err(_) => continue,
                },
            };
            // Over the cap: this connection is closed unanswered; the served ones carry on.
            let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                drop(stream);
                continue;
            };
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let mut service = DeviceService {
                device: Arc::clone(&device),
            };
            tokio::spawn(async move {
                let _permit = permit;
                // Each response is one write; do not let Nagle hold it.
                let _ = stream.set_nodelay(true);
                let mut io = FromTokio::new(stream);
                let mut buffer = vec![0u8; REQUEST_BUFFER_LEN];
                let mut timeouts = Timeouts {
                    timer: TokioTimer,
                    idle_ms: duration_ms(limits.idle_timeout),
                    request_ms: duration_ms(limits.request_timeout),
                };
                // Every way a connection ends closes it; the device heard `closed` already.
                let _ended = provkit_http::serve_connection(
                    &mut io,
                    id,
                    &mut service,
                    &mut buffer,
                    &mut timeouts,
                )
                .await;
            });
        }
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
