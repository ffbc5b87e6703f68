//! The SoftAP/HTTP transport on a real HTTP/1.1 server (hyper 1.x on tokio).
//!
//! The server owns sockets and HTTP syntax; what a request *means* (sessions, cookies,
//! endpoints) is the device's business behind [`HttpDevice`] — in `provkit sim` that is
//! provkit-protocomm's HTTP framing. The transport rules of spec §5.1 that live here:
//!
//! * keep-alive: one TCP connection may carry the whole flow; each connection gets a
//!   [`ConnectionId`] the device uses to bind a session to a socket;
//! * a `POST` body needs a `Content-Length` of 1 ..= [`MAX_BODY`] bytes, otherwise — like
//!   esp_http_server — the socket is closed with no response at all; other methods reach the
//!   device (whose framing answers `404`/`405`) but are held to the same cap;
//! * the device runs on tokio's blocking pool (it may wait for a scan or do sec2 arithmetic);
//! * [`HttpOutcome::Close`] from the device (a handler or crypto error) also closes the socket
//!   with no HTTP response;
//! * when a connection ends the device hears [`HttpDevice::connection_closed`].

use crate::SimError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// The largest request body accepted (esp_http_server's protocomm limit).
pub const MAX_BODY: usize = 4096;

/// Identifies one TCP connection for the lifetime of the server.
pub type ConnectionId = u32;

/// One parsed request handed to the device.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub connection: ConnectionId,
    /// e.g. `POST`.
    pub method: &'a str,
    /// The request target's path, e.g. `/prov-session`.
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

/// Why a request got no response; hyper closes the connection when a service fails.
#[derive(Debug)]
struct CloseConnection(&'static str);

impl core::fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for CloseConnection {}

/// A bound, not yet serving, HTTP server.
pub struct HttpServer {
    listener: TcpListener,
}

impl HttpServer {
    /// Binds `addr`; a busy port is an error naming the address.
    pub async fn bind(addr: SocketAddr) -> Result<HttpServer, SimError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Io {
                context: format!("cannot listen on {addr}"),
                source,
            })?;
        Ok(HttpServer { listener })
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
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let device = Arc::clone(&device);
            tokio::spawn(async move {
                let per_request = Arc::clone(&device);
                let service = service_fn(move |req| handle(Arc::clone(&per_request), id, req));
                // The connection's own error (including our deliberate closes) ends it; nothing
                // more to report than the close itself.
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                if let Ok(mut d) = device.lock() {
                    d.connection_closed(id);
                }
            });
        }
    }
}

async fn handle<D: HttpDevice>(
    device: Arc<Mutex<D>>,
    connection: ConnectionId,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, CloseConnection> {
    let method = req.method().as_str().to_string();
    let length = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // A POST must carry 1..=MAX_BODY bytes (esp_http_server closes otherwise); other methods
    // go to the device, whose framing answers 404/405, but may not exceed the cap either.
    match (method.as_str(), length) {
        ("POST", Some(n)) if (1..=MAX_BODY).contains(&n) => {}
        ("POST", _) => {
            return Err(CloseConnection(
                "body length missing, empty or over the cap",
            ));
        }
        (_, Some(n)) if n > MAX_BODY => return Err(CloseConnection("body over the cap")),
        _ => {}
    }
    let path = req.uri().path().to_string();
    let cookie = req
        .headers()
        .get(hyper::header::COOKIE)
        .map(|v| v.as_bytes().to_vec());
    let body = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|_| CloseConnection("body unreadable or over the cap"))?
        .to_bytes();
    // The device may block (a blocking ScanStart waits for the scan; sec2 does big-number
    // arithmetic), so it runs on the blocking pool, never on an async worker.
    let outcome = tokio::task::spawn_blocking(move || {
        let mut d = device
            .lock()
            .map_err(|_| CloseConnection("device state poisoned"))?;
        Ok(d.handle_http(HttpRequest {
            connection,
            method: &method,
            path: &path,
            cookie: cookie.as_deref(),
            body: &body,
        }))
    })
    .await
    .map_err(|_| CloseConnection("device task failed"))??;
    match outcome {
        HttpOutcome::Close => Err(CloseConnection("device refused the request")),
        HttpOutcome::Reply(reply) => {
            let status = StatusCode::from_u16(reply.status)
                .map_err(|_| CloseConnection("device gave an invalid status"))?;
            let mut builder = Response::builder()
                .status(status)
                .header(hyper::header::CONTENT_TYPE, reply.content_type);
            if let Some(cookie) = reply.set_cookie {
                builder = builder.header(hyper::header::SET_COOKIE, cookie);
            }
            builder
                .body(Full::new(Bytes::from(reply.body)))
                .map_err(|_| CloseConnection("device gave an invalid header"))
        }
    }
}
