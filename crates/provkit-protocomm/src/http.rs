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
//! Session rules. The reference keeps one session in two variables (cookie id, socket);
//! provkit keeps a few HTTP sessions (the owner's, candidates' and the newest stateless one,
//! see [`MAX_HTTP_SESSIONS`]) so that a newcomer never ends the owner's session:
//! 1. `Cookie` present and its whole value is `session=<id>` of a tracked session (compared
//!    in constant time) → that session; the socket that created it no longer identifies it
//!    (the cookie does), as in the reference. **Not in the reference:** if that session is
//!    protocomm's verified owner and another socket of it is still open, the request is
//!    refused (no answer): a copied cookie from a second socket must not reach the owner's
//!    cipher (sec1 has no integrity, sec2 patch 0 accepts replays). Once the owner's socket
//!    has closed the cookie works on a new socket, so clients that reconnect keep working.
//! 2. No `Cookie` header and the request comes on the socket that created a session → that
//!    session.
//! 3. Otherwise (no session yet, stale/other cookie, another socket) → a **new** session:
//!    a new random 32-bit id, bound to this socket, and **this** reply carries
//!    `Set-Cookie: session=<id>`. Unlike the reference, the other sessions are not closed:
//!    protocomm runs the newcomer's handshake as a candidate beside the owner's session.
//!
//! When a socket closes, [`HttpFraming::connection_closed`] drops only the socket binding; the
//! cookie keeps the session alive. An owner whose socket closed is **detached** in protocomm
//! (a sec0 newcomer may then take over; see `Protocomm::detach`): at once with
//! [`HttpFraming::on_connection_closed`], else at the next request. A socket this framing
//! answers with [`HttpOutcome::Close`] counts as closed right away, so a client that
//! reconnects at once is not mistaken for a second socket.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use provkit_hal::Instant;

use provkit_security::SecureRng;
use subtle::ConstantTimeEq;

use crate::client::{ClientId, TransportKind};
use crate::protocomm::{Protocomm, RequestHandler};

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

/// Most HTTP sessions tracked at once: the owner's, one per protocomm candidate, and the
/// newest one protocomm holds nothing for yet (a client between `proto-ver` and Command0).
pub const MAX_HTTP_SESSIONS: usize = 2 + crate::protocomm::MAX_CANDIDATES;

/// One HTTP session: its cookie id and the sockets that identify it.
#[derive(Debug, Clone)]
struct HttpSession {
    id: u32,
    /// `sock_session_id`: the socket that created it, until its cookie is used or it closes.
    created_on: Option<u32>,
    /// The socket that last carried it, until that socket closes.
    bound: Option<u32>,
}

/// The cookie/socket session state of one HTTP server.
#[derive(Debug, Clone, Default)]
pub struct HttpFraming {
    sessions: Vec<HttpSession>,
    /// The session of the latest request.
    current: Option<u32>,
}

impl HttpFraming {
    /// No session yet.
    pub const fn new() -> Self {
        Self {
            sessions: Vec::new(),
            current: None,
        }
    }

    /// The HTTP session id (the cookie value) of the latest request, if any.
    pub fn session_id(&self) -> Option<u32> {
        self.current
    }

    /// The protocomm client of the latest request's HTTP session.
    pub fn client(&self) -> Option<ClientId> {
        self.current.map(http_client)
    }

    /// The adapter closed (or the peer closed) connection `connection`. Protocomm hears of
    /// it at the next request; [`Self::on_connection_closed`] tells it at once.
    pub fn connection_closed(&mut self, connection: u32) {
        for session in &mut self.sessions {
            if session.created_on == Some(connection) {
                session.created_on = None;
            }
            if session.bound == Some(connection) {
                session.bound = None;
            }
        }
    }

    /// [`Self::connection_closed`], and detaches the sessions that lost their socket in
    /// `protocomm` right away (an owner among them may then be displaced under sec0).
    pub fn on_connection_closed(&mut self, connection: u32, protocomm: &mut Protocomm) {
        self.connection_closed(connection);
        self.detach_unbound(protocomm);
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

        self.detach_unbound(protocomm);
        let Some((id, set_cookie)) = self.track_session(protocomm, request, rng) else {
            return self.close(request.connection);
        };
        self.current = Some(id);

        if request.body.is_empty() || request.body.len() > MAX_BODY_LEN {
            return self.close(request.connection);
        }
        match protocomm.handle(http_client(id), endpoint, request.body, handler, rng, now) {
            Ok(body) => HttpOutcome::Reply(HttpReply {
                status: 200,
                set_cookie,
                content_type: CONTENT_TYPE,
                body,
            }),
            Err(_) => self.close(request.connection),
        }
    }

    /// The reply that closes `connection`; the socket counts as closed from now on.
    fn close(&mut self, connection: u32) -> HttpOutcome {
        self.connection_closed(connection);
        HttpOutcome::Close
    }

    /// Tells protocomm which sessions have no open socket.
    fn detach_unbound(&self, protocomm: &mut Protocomm) {
        for session in self.sessions.iter().filter(|s| s.bound.is_none()) {
            protocomm.detach(http_client(session.id));
        }
    }

    /// Applies the cookie/socket rules: the session id to use and the Set-Cookie value if a
    /// session was opened, or `None` to refuse the request.
    fn track_session<R: SecureRng + ?Sized>(
        &mut self,
        protocomm: &Protocomm,
        request: &HttpRequest<'_>,
        rng: &mut R,
    ) -> Option<(u32, Option<String>)> {
        let connection = request.connection;
        let by_cookie = request
            .cookie
            .and_then(|cookie| self.find_by_cookie(cookie));
        if let Some(index) = by_cookie {
            let session = self.sessions.get(index)?;
            let is_owner = protocomm.session_client() == Some(http_client(session.id));
            if is_owner && session.bound.is_some_and(|b| b != connection) {
                // The owner's cookie on a second socket while its own is open: a copy.
                return None;
            }
            let id = session.id;
            self.unbind(connection);
            let session = self.sessions.get_mut(index)?;
            session.created_on = None;
            session.bound = Some(connection);
            return Some((id, None));
        }
        if request.cookie.is_none()
            && let Some(session) = self
                .sessions
                .iter_mut()
                .find(|s| s.created_on == Some(connection))
        {
            session.bound = Some(connection);
            return Some((session.id, None));
        }
        // A new session. Sessions protocomm holds nothing for (a client that only read
        // proto-ver, a candidate that was evicted or failed, a replaced owner) are forgotten,
        // so at most the owner's, the candidates' and this one remain.
        self.sessions
            .retain(|s| protocomm.has_session(http_client(s.id)));
        if self.sessions.len() >= MAX_HTTP_SESSIONS {
            // Cannot happen while protocomm bounds its candidates; keep the bound anyway.
            self.sessions.remove(0);
        }
        self.unbind(connection);
        let id = self.fresh_id(rng);
        self.sessions.push(HttpSession {
            id,
            created_on: Some(connection),
            bound: Some(connection),
        });
        // The security session itself is opened lazily by the first `prov-session` (or, for
        // sec0, `REQ_EP`) request, so `proto-ver` is answered whoever owns provisioning.
        Some((id, Some(cookie_value(id))))
    }

    /// The tracked session whose exact cookie this is. Constant time per comparison, and every
    /// session is compared: the cookie is the session's only credential on the SoftAP.
    fn find_by_cookie(&self, cookie: &[u8]) -> Option<usize> {
        let mut found = None;
        for (index, session) in self.sessions.iter().enumerate() {
            if bool::from(cookie.ct_eq(cookie_value(session.id).as_bytes())) {
                found = Some(index);
            }
        }
        found
    }

    /// `connection` now belongs to another session: no older one keeps it.
    fn unbind(&mut self, connection: u32) {
        for session in &mut self.sessions {
            if session.created_on == Some(connection) {
                session.created_on = None;
            }
            if session.bound == Some(connection) {
                session.bound = None;
            }
        }
    }

    /// A random id no tracked session has.
    fn fresh_id<R: SecureRng + ?Sized>(&self, rng: &mut R) -> u32 {
        let mut id = rng.next_u32();
        // A collision needs two equal 32-bit draws among a handful of sessions; the bound
        // only keeps the loop finite for a broken RNG.
        for _ in 0..8 {
            if !self.sessions.iter().any(|s| s.id == id) {
                break;
            }
            id = rng.next_u32();
        }
        id
    }
}

fn http_client(id: u32) -> ClientId {
    ClientId::new(TransportKind::Http, id)
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
