//! Protocomm mode: the ESP-compatible stack (provkit-protocomm's HTTP framing, so
//! Espressif's apps and `esp_prov` work) served from the CC32xx in AP role over its own
//! TCP sockets ([`NwpSockets`]). This module owns only what the NWP does not: a small
//! HTTP/1.1 request parser, per-connection buffers and the reply encoder.
//!
//! ```text
//!  NwpSockets ─bytes─► parse_request ─HttpRequest─► HttpFraming::handle ─► Protocomm
//!      ▲                                                 │ (RequestHandler: the manager)
//!      └──────────── encode_reply ◄── Reply / Close ◄────┘
//! ```

use alloc::format;
use alloc::vec::Vec;

use provkit_hal::Instant;
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpReply, HttpRequest, MAX_BODY_LEN};
use provkit_protocomm::{Protocomm, RequestHandler, SecureRng};

use provkit_nwp::{Cc32xxError, NwpSockets};

/// Port of the provisioning HTTP server (`protocomm_httpd` default).
pub const HTTP_PORT: u16 = 80;
/// Simultaneous connections served (the NWP has 16 sockets; the phone app uses one or two).
pub const MAX_CONNECTIONS: usize = 4;
/// Longest request head accepted.
pub const MAX_HEAD_LEN: usize = 1024;

/// A request parsed from the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedRequest<'a> {
    /// Method.
    pub method: &'a str,
    /// Target.
    pub path: &'a str,
    /// `Cookie` header value.
    pub cookie: Option<&'a [u8]>,
    /// Body (`Content-Length` bytes).
    pub body: &'a [u8],
    /// Bytes of the buffer this request used.
    pub consumed: usize,
}

/// Outcome of [`parse_request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// More bytes needed.
    Incomplete,
    /// Malformed or unsupported (chunked, oversized): close the connection.
    Invalid,
    /// One complete request.
    Request(ParsedRequest<'a>),
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Parse one HTTP/1.1 request from the start of `buf`. Never panics on any input.
pub fn parse_request(buf: &[u8]) -> Parsed<'_> {
    let Some(head_end) = find_head_end(buf) else {
        return if buf.len() > MAX_HEAD_LEN {
            Parsed::Invalid
        } else {
            Parsed::Incomplete
        };
    };
    if head_end > MAX_HEAD_LEN {
        return Parsed::Invalid;
    }
    let Some(head) = buf.get(..head_end) else {
        return Parsed::Invalid;
    };
    let mut lines = head
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let Some(Ok(request_line)) = lines.next().map(core::str::from_utf8) else {
        return Parsed::Invalid;
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Parsed::Invalid;
    };
    if method.is_empty() || !path.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Parsed::Invalid;
    }
    let mut content_length: Option<usize> = None;
    let mut cookie = None;
    for line in lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            return Parsed::Invalid;
        };
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default().trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") {
            let parsed = core::str::from_utf8(value)
                .ok()
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<usize>().ok());
            match (parsed, content_length) {
                (Some(n), None) if n <= MAX_BODY_LEN => content_length = Some(n),
                _ => return Parsed::Invalid,
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            // The reference server does not take chunked bodies either.
            return Parsed::Invalid;
        } else if name.eq_ignore_ascii_case(b"cookie") {
            cookie = Some(value);
        }
    }
    let body_start = head_end + 4;
    let len = content_length.unwrap_or(0);
    let Some(body) = buf.get(body_start..body_start + len) else {
        return Parsed::Incomplete;
    };
    Parsed::Request(ParsedRequest {
        method,
        path,
        cookie,
        body,
        consumed: body_start + len,
    })
}

/// The bytes of a reply (`Connection: keep-alive` implied by HTTP/1.1).
pub fn encode_reply(reply: &HttpReply) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
        reply.status,
        reply.reason(),
        reply.content_type,
        reply.body.len()
    )
    .into_bytes();
    if let Some(cookie) = &reply.set_cookie {
        out.extend_from_slice(format!("Set-Cookie: {cookie}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&reply.body);
    out
}

struct Connection {
    sd: i16,
    id: u32,
    buf: Vec<u8>,
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
            let _ = sockets.close(c.sd);
            self.framing.connection_closed(c.id);
        }
        if let Some(l) = self.listener.take() {
            let _ = sockets.close(l);
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
                    });
                }
                // Full: refuse this one rather than starve the others.
                Ok(sd) => {
                    let _ = sockets.close(sd);
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
                let _ = sockets.close(conn.sd);
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
        loop {
            match sockets.recv(conn.sd, &mut chunk) {
                Ok(0) => return false,
                Ok(n) => {
                    conn.buf
                        .extend_from_slice(chunk.get(..n).unwrap_or_default());
                    if conn.buf.len() > MAX_HEAD_LEN + MAX_BODY_LEN + 4 {
                        return false;
                    }
                }
                Err(Cc32xxError::WouldBlock) => break,
                Err(_) => return false,
            }
        }
        loop {
            let (outcome, consumed) = match parse_request(&conn.buf) {
                Parsed::Incomplete => return true,
                Parsed::Invalid => return false,
                Parsed::Request(req) => {
                    let request = HttpRequest {
                        method: req.method,
                        path: req.path,
                        cookie: req.cookie,
                        body: req.body,
                        connection: conn.id,
                    };
                    (
                        framing.handle(protocomm, &request, handler, rng, now),
                        req.consumed,
                    )
                }
            };
            *served += 1;
            conn.buf.drain(..consumed.min(conn.buf.len()));
            match outcome {
                HttpOutcome::Close => return false,
                HttpOutcome::Reply(reply) => {
                    if send_all(sockets, conn.sd, &encode_reply(&reply)).is_err() {
                        return false;
                    }
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_post_with_cookie_and_body_and_leaves_the_rest() {
        let raw = b"POST /proto-ver HTTP/1.1\r\nHost: x\r\ncookie: session=7\r\nContent-Length: 3\r\n\r\nabcPOST";
        let Parsed::Request(r) = parse_request(raw) else {
            panic!("expected a request");
        };
        assert_eq!((r.method, r.path), ("POST", "/proto-ver"));
        assert_eq!(r.cookie, Some(&b"session=7"[..]));
        assert_eq!(r.body, b"abc");
        assert_eq!(&raw[r.consumed..], b"POST");
    }

    #[test]
    fn rejects_malformed_heads_and_waits_for_partial_bodies() {
        assert_eq!(parse_request(b"POST /x HTTP/1.1\r\n"), Parsed::Incomplete);
        assert_eq!(
            parse_request(b"POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"),
            Parsed::Incomplete
        );
        for bad in [
            &b"POST x HTTP/1.1\r\n\r\n"[..],
            b"POST /x\r\n\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
            b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST /x HTTP/1.1\r\nno colon\r\n\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: 99999\r\n\r\n",
        ] {
            assert_eq!(
                parse_request(bad),
                Parsed::Invalid,
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
    }

    #[test]
    fn reply_encoding_carries_length_and_cookie() {
        let reply = HttpReply {
            status: 200,
            set_cookie: Some("session=9".into()),
            content_type: "text/html",
            body: b"hi".to_vec(),
        };
        let text = encode_reply(&reply);
        let text = core::str::from_utf8(&text).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.contains("Content-Length: 2\r\n"));
        assert!(text.contains("Set-Cookie: session=9\r\n"));
        assert!(text.ends_with("\r\n\r\nhi"));
    }
}
