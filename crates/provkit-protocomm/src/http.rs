//! SoftAP / HTTP framing as a pure state machine (spec §5.1, `protocomm_httpd.c`).
//!
//! The adapter parses HTTP itself and hands each request over as an [`HttpRequest`] (method,
//! path, raw `Cookie` header value, body, a connection id for the TCP socket). It gets back an
//! [`HttpOutcome`]: a reply to send, or "close the socket without answering".
//!
//! ```text
//!  POST /<ep>  ──► method/path check (405 / 404, no session side effects; a custom
//!                  endpoint without a registered handler is 404, as in esp_http_server)
//!              ──► cookie/socket session rules (may replace the session, add Set-Cookie)
//!              ──► body length 1..=4096, else Close
//!              ──► Protocomm::handle(ClientId{Http, cookie}) ── Err ──► Close
//!              ──► 200, Content-Type text/html, body
//! ```
//!
//! Session rules, exactly as the reference keeps them in two variables (cookie id, socket):
//! 1. `Cookie` present and its whole value is `session=<current id>` (compared in constant
//!    time) → same session; the socket
//!    binding is forgotten (from now on only the cookie identifies it).
//! 2. No `Cookie` header and the request comes on the socket that created the session → same
//!    session.
//! 3. Otherwise (no session yet, stale/other cookie, another socket) → the current session is
//!    closed, a new random 32-bit id is drawn, bound to this socket, and **this** reply carries
//!    `Set-Cookie: session=<id>`.
//!
//! When a socket closes, [`HttpFraming::connection_closed`] drops only the socket binding; the
//! cookie keeps the session alive.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use provkit_hal::Instant;

use provkit_security::SecureRng;
use subtle::ConstantTimeEq;

use crate::protocomm::{ClientId, Protocomm, RequestHandler, TransportKind};

/// Largest accepted request body (`MAX_REQ_BODY_LEN` in `protocomm_httpd.c`).
pub const MAX_BODY_LEN: usize = 4096;

/// Content type of every reply (esp_http_server's default; meaningless but matched).
pub const CONTENT_TYPE: &str = "text/html";

/// Body of a 404 reply (IDF v5.x wording).
pub const NOT_FOUND_BODY: &str = "Nothing matches the given URI";

/// Body of a 405 reply (IDF v5.x wording; v4.x said "Request method for this URI is not
/// handled by server").
pub const METHOD_NOT_ALLOWED_BODY: &str = "Specified method is invalid for this resource";

/// One parsed HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// Request method, e.g. `POST` (compared case-sensitively, as HTTP requires).
    pub method: &'a str,
    /// Request target, e.g. `/prov-session`; a query string is ignored.
    pub path: &'a str,
    /// Raw value of the `Cookie` header, `None` if the header is absent.
    pub cookie: Option<&'a [u8]>,
    /// The request body (already de-framed by Content-Length).
    pub body: &'a [u8],
    /// Identifies the TCP connection (socket) the request arrived on.
    pub connection: u32,
}

/// A reply to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// Status code: 200, 404 or 405.
    pub status: u16,
    /// Value for a `Set-Cookie` header (`session=<u32>`, no attributes), if one is due.
    pub set_cookie: Option<String>,
    /// Value for the `Content-Type` header.
    pub content_type: &'static str,
    /// Response body (`Content-Length` is its length).
    pub body: Vec<u8>,
}

impl HttpReply {
    /// The reply as esp_http_server sends it under protocomm_httpd: status line,
    /// `Content-Type`, `Content-Length`, then `Set-Cookie`; after an error status (404, 405)
    /// the connection closes, as esp_http_server closes it. `None` if a header value cannot
    /// be sent (a line break): the caller then closes the connection without a response.
    pub fn into_response(self) -> Option<provkit_http::Response> {
        use provkit_http::{Response, Status};
        let status = Status::from_code(self.status).or_else(|| Status::custom(self.status, ""))?;
        let mut response = Response::new(status, self.body)
            .with_content_type(self.content_type)
            .ok()?;
        if let Some(cookie) = self.set_cookie {
            response = response.with_header("Set-Cookie", cookie).ok()?;
        }
        Some(if status.is_error() {
            response.closing()
        } else {
            response
        })
    }

    /// The reason phrase for [`Self::status`].
    pub fn reason(&self) -> &'static str {
        match self.status {
            200 => "OK",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "",
        }
    }
}

/// What the adapter must do with the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpOutcome {
    /// Send this reply (keep the connection open).
    Reply(HttpReply),
    /// Send nothing and close the socket (the reference's handler error path).
    Close,
}

/// The cookie/socket session state of one HTTP server.
#[derive(Debug, Clone, Default)]
pub struct HttpFraming {
    /// `cookie_session_id`: the current session's id, if one was opened.
    cookie_session: Option<u32>,
    /// `sock_session_id`: the socket that created the current session, until a cookie is used.
    socket_session: Option<u32>,
}

impl HttpFraming {
    /// No session yet.
    pub const fn new() -> Self {
        Self {
            cookie_session: None,
            socket_session: None,
        }
    }

    /// The current HTTP session id (the cookie value), if any.
    pub fn session_id(&self) -> Option<u32> {
        self.cookie_session
    }

    /// The protocomm client of the current HTTP session.
    pub fn client(&self) -> Option<ClientId> {
        self.cookie_session
            .map(|id| ClientId::new(TransportKind::Http, id))
    }

    /// The adapter closed (or the peer closed) connection `connection`.
    pub fn connection_closed(&mut self, connection: u32) {
        if self.socket_session == Some(connection) {
            self.socket_session = None;
        }
    }

    /// Handles one request arriving at `now`. `rng` is used only to draw a new session id.
    pub fn handle<R: SecureRng + ?Sized>(
        &mut self,
        protocomm: &mut Protocomm,
        request: &HttpRequest<'_>,
        handler: &mut dyn RequestHandler,
        rng: &mut R,
        now: Instant,
    ) -> HttpOutcome {
        let path = match request.path.split_once('?') {
            Some((p, _query)) => p,
            None => request.path,
        };
        // URI matching happens in esp_http_server before the protocomm handler runs, so these
        // replies have no session side effects.
        let Some(endpoint) = path
            .strip_prefix('/')
            .filter(|name| protocomm.is_endpoint_served(name))
        else {
            return HttpOutcome::Reply(plain_reply(404, NOT_FOUND_BODY));
        };
        if request.method != "POST" {
            return HttpOutcome::Reply(plain_reply(405, METHOD_NOT_ALLOWED_BODY));
        }

        let set_cookie = self.track_session(protocomm, request, rng);
        let Some(client) = self.client() else {
            return HttpOutcome::Close;
        };

        if request.body.is_empty() || request.body.len() > MAX_BODY_LEN {
            return HttpOutcome::Close;
        }
        match protocomm.handle(client, endpoint, request.body, handler, rng, now) {
            Ok(body) => HttpOutcome::Reply(HttpReply {
                status: 200,
                set_cookie,
                content_type: CONTENT_TYPE,
                body,
            }),
            Err(_) => HttpOutcome::Close,
        }
    }

    /// Applies the cookie/socket rules; returns the Set-Cookie value if a session was opened.
    fn track_session<R: SecureRng + ?Sized>(
        &mut self,
        protocomm: &mut Protocomm,
        request: &HttpRequest<'_>,
        rng: &mut R,
    ) -> Option<String> {
        // Constant time: the cookie is the session's only credential on the SoftAP, so the
        // comparison must not leak how many leading bytes of a guess were right.
        if let (Some(cookie), Some(current)) = (request.cookie, self.cookie_session)
            && bool::from(cookie.ct_eq(cookie_value(current).as_bytes()))
        {
            self.socket_session = None;
            return None;
        }
        if request.cookie.is_none()
            && self.cookie_session.is_some()
            && self.socket_session == Some(request.connection)
        {
            return None;
        }
        if let Some(old) = self.client() {
            protocomm.close_session(old);
        }
        let id = rng.next_u32();
        self.cookie_session = Some(id);
        self.socket_session = Some(request.connection);
        // The security session itself is opened lazily by the first `prov-session` (or, for
        // sec0, `REQ_EP`) request: opening it here could only fail when another transport owns
        // provisioning, and `proto-ver` must still be answered then.
        Some(cookie_value(id))
    }
}

fn cookie_value(id: u32) -> String {
    format!("session={id}")
}

fn plain_reply(status: u16, body: &str) -> HttpReply {
    HttpReply {
        status,
        set_cookie: None,
        content_type: CONTENT_TYPE,
        body: body.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod into_response_tests {
    use super::*;
    use alloc::string::String;

    #[test]
    fn replies_are_written_as_esp_http_server_writes_them() {
        let reply = HttpReply {
            status: 200,
            set_cookie: Some(String::from("session=9")),
            content_type: "text/html",
            body: b"hi".to_vec(),
        };
        let response = reply.into_response().unwrap();
        assert_eq!(
            response.encode(),
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\nSet-Cookie: session=9\r\n\r\nhi"
        );
        assert!(!response.closes_connection());
        let not_found = HttpReply {
            status: 404,
            set_cookie: None,
            content_type: "text/html",
            body: b"Nothing matches the given URI".to_vec(),
        };
        assert!(not_found.into_response().unwrap().closes_connection());
        let split = HttpReply {
            status: 200,
            set_cookie: Some(String::from("a\r\nX: y")),
            content_type: "text/html",
            body: Vec::new(),
        };
        assert_eq!(split.into_response(), None);
    }
}
