//! Protocomm mode: the ESP-compatible stack (provkit-protocomm's HTTP framing, so
//! Espressif's apps and `esp_prov` work) served from the CC32xx in AP role over its own
//! TCP sockets ([`NwpSockets`]). HTTP syntax is provkit-http's — the request parser, limits
//! and esp_http_server's response bytes that the simulator and the ESP32 adapter use; this
//! module owns what the NWP does not: polling its sockets, per-connection buffers, the
//! connection cap and the timeouts (on the `now` each poll is given).
//!
//! ```text
//!  NwpSockets ─bytes─► RequestParser (per connection) ─Request─► HttpFraming::handle ─► Protocomm
//!      ▲                                                      │ (RequestHandler: the manager)
//!      └──── Response::encode ◄── Reply (200; 404/405 then close) / Close (nothing) ◄──┘
//! ```

use alloc::vec::Vec;

use provkit_hal::Instant;
use provkit_http::RequestParser;
use provkit_http::limits::{IDLE_TIMEOUT_MS, REQUEST_BUFFER_LEN, REQUEST_TIMEOUT_MS};
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest};
use provkit_protocomm::{Protocomm, RequestHandler, SecureRng};

use provkit_nwp::{Cc32xxError, NwpSockets};

/// Port of the provisioning HTTP server (`protocomm_httpd` default).
pub const HTTP_PORT: u16 = 80;
/// Simultaneous connections served (the NWP has 16 sockets; the phone app uses one or two).
/// A connection over the cap is closed on accept; the ones served are left alone.
pub const MAX_CONNECTIONS: usize = 4;

struct Connection {
    sd: i16,
    id: u32,
    buf: Vec<u8>,
    /// Remembers how far the head was scanned, so polls never rescan it.
    parser: RequestParser,
    /// When the connection was accepted or last answered, or when its current request began.
    since: Instant,
}

impl Connection {
    /// Whether the connection outstayed its timeout at `now`: the request timeout while a
    /// request is arriving, the idle timeout between requests.
    fn expired(&self, now: Instant) -> bool {
        let limit = if self.buf.is_empty() {
            IDLE_TIMEOUT_MS
        } else {
            REQUEST_TIMEOUT_MS
        };
        now.saturating_duration_since(self.since).as_millis() > limit
    }
}

/// The protocomm HTTP server on NWP sockets.
#[derive(Default)]
pub struct ProtocommHttpServer {
    listener: Option<i16>,
    connections: Vec<Connection>,
    next_id: u32,
    framing: HttpFraming,
}

impl ProtocommHttpServer {
    /// Not listening yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Open the listening socket (call once the NWP runs in AP role).
    pub fn listen<S: NwpSockets>(&mut self, sockets: &mut S, port: u16) -> Result<(), Cc32xxError> {
        self.listener = Some(sockets.tcp_listen(port)?);
        Ok(())
    }

    /// The HTTP session state (cookie).
    pub fn framing(&self) -> &HttpFraming {
        &self.framing
    }

    /// Close every socket (provisioning ended, or a RESET_REQUEST asks the host to).
    pub fn shutdown<S: NwpSockets>(&mut self, sockets: &mut S) {
        for c in self.connections.drain(..) {
            if let Err(e) = sockets.close(c.sd) {
                dropped!("close connection at shutdown", e);
            }
            self.framing.connection_closed(c.id);
        }
        if let Some(l) = self.listener.take()
            && let Err(e) = sockets.close(l)
        {
            dropped!("close listener", e);
        }
    }

    /// Accept, read, answer, at time `now`. Returns how many requests were answered or closed.
    pub fn poll<S: NwpSockets, R: SecureRng + ?Sized>(
        &mut self,
        sockets: &mut S,
        protocomm: &mut Protocomm,
        handler: &mut dyn RequestHandler,
        rng: &mut R,
        now: Instant,
    ) -> Result<usize, Cc32xxError> {
        let Some(listener) = self.listener else {
            return Ok(0);
        };
        loop {
            match sockets.accept(listener) {
                Ok(sd) if self.connections.len() < MAX_CONNECTIONS => {
                    self.next_id = self.next_id.wrapping_add(1);
                    self.connections.push(Connection {
                        sd,
                        id: self.next_id,
                        buf: Vec::new(),
                        parser: RequestParser::new(),
                        since: now,
                    });
                }
                // Full: refuse this one rather than starve the others.
                Ok(sd) => {
                    if let Err(e) = sockets.close(sd) {
                        dropped!("close a refused connection", e);
                    }
                }
                Err(Cc32xxError::WouldBlock) => break,
                Err(e) => return Err(e),
            }
        }
        let mut served = 0;
        let mut index = 0;
        while index < self.connections.len() {
            let keep = match self.connections.get_mut(index) {
                Some(conn) => Self::serve_connection(
                    conn,
                    &mut self.framing,
                    sockets,
                    protocomm,
                    handler,
                    rng,
                    now,
                    &mut served,
                ),
                None => break,
            };
            if keep {
                index += 1;
            } else {
                let conn = self.connections.swap_remove(index);
                if let Err(e) = sockets.close(conn.sd) {
                    dropped!("close a finished connection", e);
                }
                self.framing.connection_closed(conn.id);
            }
        }
        Ok(served)
    }

    /// Returns false when the connection must be closed.
    #[allow(clippy::too_many_arguments)]
    fn serve_connection<S: NwpSockets, R: SecureRng + ?Sized>(
        conn: &mut Connection,
        framing: &mut HttpFraming,
        sockets: &mut S,
        protocomm: &mut Protocomm,
        handler: &mut dyn RequestHandler,
        rng: &mut R,
        now: Instant,
        served: &mut usize,
    ) -> bool {
        let mut chunk = [0u8; 512];
        let was_empty = conn.buf.is_empty();
        // Never hold more than one request's worth: the parser refuses anything longer.
        while conn.buf.len() < REQUEST_BUFFER_LEN {
            let room = (REQUEST_BUFFER_LEN - conn.buf.len()).min(chunk.len());
            let Some(into) = chunk.get_mut(..room) else {
                return false;
            };
            match sockets.recv(conn.sd, into) {
                Ok(0) => return false,
                Ok(n) => conn
                    .buf
                    .extend_from_slice(chunk.get(..n.min(room)).unwrap_or_default()),
                Err(Cc32xxError::WouldBlock) => break,
                Err(_) => return false,
            }
        }
        if was_empty && !conn.buf.is_empty() {
            // A request began: from now on the request timeout applies.
            conn.since = now;
        }
        loop {
            let (outcome, consumed, keep_alive) = match conn.parser.advance(&conn.buf) {
                // Malformed, over a limit, chunked: closed without a response.
                Err(_) => return false,
                Ok(false) => return !conn.expired(now),
                Ok(true) => {
                    let Some(req) = conn.parser.take(&conn.buf) else {
                        return false;
                    };
                    let request = HttpRequest {
                        method: req.method,
                        path: req.path(),
                        cookie: req.cookie,
                        body: req.body,
                        connection: conn.id,
                    };
                    (
                        framing.handle(protocomm, &request, handler, rng, now),
                        req.consumed,
                        req.keep_alive,
                    )
                }
            };
            *served += 1;
            conn.buf.drain(..consumed.min(conn.buf.len()));
            // Line breaks after a body (allowed before a request line) start no request:
            // the connection is idle again, under the idle timeout.
            while conn.buf.starts_with(b"\r\n") || conn.buf.starts_with(b"\n") {
                let eol = if conn.buf.starts_with(b"\n") { 1 } else { 2 };
                conn.buf.drain(..eol);
            }
            conn.since = now;
            let response = match outcome {
                HttpOutcome::Close => return false,
                HttpOutcome::Reply(reply) => match reply.into_response() {
                    Some(response) => response,
                    None => return false,
                },
            };
            if send_all(sockets, conn.sd, &response.encode()).is_err()
                || response.closes_connection()
                || !keep_alive
            {
                return false;
            }
        }
    }
}

fn send_all<S: NwpSockets>(sockets: &mut S, sd: i16, mut data: &[u8]) -> Result<(), Cc32xxError> {
    // A stalled peer must not hang the device: give up after a bounded number of tries.
    let mut tries = 0;
    while !data.is_empty() {
        match sockets.send(sd, data) {
            Ok(0) => return Err(Cc32xxError::NoResources),
            Ok(n) => data = data.get(n..).unwrap_or_default(),
            Err(Cc32xxError::WouldBlock) if tries < 1000 => tries += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
