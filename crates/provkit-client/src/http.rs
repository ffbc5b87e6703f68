//! Blocking HTTP/1.1 transport over `std::net` (feature `http`), as the SoftAP scheme and
//! esp_prov use it (spec §5.1).
//!
//! ```text
//!  POST /<endpoint> HTTP/1.1          HTTP/1.1 200 OK
//!  Host: 192.168.4.1:80               Content-Type: text/html
//!  Content-Type: application/x-www-  Content-Length: n
//!    form-urlencoded                 Set-Cookie: session=<u32>   (first answer of a session)
//!  Accept: text/plain
//!  Content-Length: n                 <response body>
//!  Cookie: session=<u32>   (echoed exactly once one was set)
//!
//!  <request body>
//! ```
//!
//! The device keys its single security session on that cookie, or — without a cookie — on
//! the TCP socket that opened it. This transport does both, like esp_prov: it keeps one
//! keep-alive connection and echoes `Cookie: <name>=<value>` exactly as the first
//! `Set-Cookie` gave it (an extra cookie in that header silently resets the device's session,
//! spec §12.10). A handler or crypto error on the device closes the socket without any HTTP
//! answer: that is [`TransportError::NoResponse`], and the connection is reopened on the next
//! request (the cookie keeps the session alive across sockets).
//!
//! Requests are never retried: a resent encrypted request would advance the device's cipher
//! state a second time.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::string::{String, ToString};
use std::time::Duration;
use std::vec::Vec;

use crate::{Transport, TransportError};

/// esp_http_server rejects bodies above this size by closing the socket.
pub const MAX_REQUEST_BODY: usize = 4096;
/// Largest response body accepted from a device (scan pages are the biggest real answers).
pub const MAX_RESPONSE_BODY: usize = 64 * 1024;
/// Largest status line + header block accepted.
const MAX_HEADER_BYTES: usize = 8 * 1024;
/// The device's default address and port (esp-netif SoftAP default).
pub const DEFAULT_SERVICE: &str = "192.168.4.1:80";

/// A blocking HTTP transport to one device.
#[derive(Debug)]
pub struct HttpTransport {
    /// `host:port` as given; also the `Host` header.
    service: String,
    timeout: Duration,
    connection: Option<BufReader<TcpStream>>,
    /// `name=value` of the session cookie, once the device set one.
    cookie: Option<String>,
}

/// One parsed HTTP response.
struct Response {
    status: u16,
    body: Vec<u8>,
    set_cookie: Option<String>,
    close: bool,
}

impl HttpTransport {
    /// A transport to `service` (`host:port`, or `host` for port 80). Nothing is opened until
    /// the first request. Timeout defaults to 60 s per operation, as esp_prov.
    pub fn new(service: &str) -> Self {
        let service = if service.contains(':') {
            service.to_string()
        } else {
            std::format!("{service}:80")
        };
        Self {
            service,
            timeout: Duration::from_secs(60),
            connection: None,
            cookie: None,
        }
    }

    /// Sets the connect/read/write timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The session cookie (`session=<id>`) the device set, if any.
    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    /// Closes the TCP connection and forgets the cookie, so the next request starts a new
    /// device-side session.
    pub fn reset(&mut self) {
        self.connection = None;
        self.cookie = None;
    }

    fn connect(&mut self) -> Result<&mut BufReader<TcpStream>, TransportError> {
        if self.connection.is_none() {
            let addrs = self
                .service
                .to_socket_addrs()
                .map_err(|e| TransportError::Disconnected(e.to_string()))?;
            let mut last = String::from("address did not resolve");
            let mut opened = None;
            for addr in addrs {
                match TcpStream::connect_timeout(&addr, self.timeout) {
                    Ok(stream) => {
                        opened = Some(stream);
                        break;
                    }
                    Err(e) => last = e.to_string(),
                }
            }
            let stream = opened.ok_or(TransportError::Disconnected(last))?;
            stream
                .set_read_timeout(Some(self.timeout))
                .and_then(|()| stream.set_write_timeout(Some(self.timeout)))
                .and_then(|()| stream.set_nodelay(true))
                .map_err(|e| TransportError::Io(e.to_string()))?;
            self.connection = Some(BufReader::new(stream));
        }
        self.connection
            .as_mut()
            .ok_or(TransportError::Framing("connection vanished"))
    }

    fn build_request(&self, endpoint: &str, body: &[u8]) -> Vec<u8> {
        let mut head = std::format!(
            "POST /{endpoint} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: text/plain\r\nContent-Length: {}\r\n",
            self.service,
            body.len()
        );
        if let Some(cookie) = &self.cookie {
            head.push_str("Cookie: ");
            head.push_str(cookie);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }
}

fn io_error(e: std::io::Error) -> TransportError {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => TransportError::Timeout,
        ErrorKind::UnexpectedEof
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe => TransportError::NoResponse,
        _ => TransportError::Io(e.to_string()),
    }
}

/// Reads one CRLF- (or LF-) terminated line, counting against the header budget.
fn read_line(
    reader: &mut impl BufRead,
    budget: &mut usize,
) -> Result<Option<String>, TransportError> {
    let mut line = Vec::new();
    let n = reader
        .by_ref()
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut line)
        .map_err(io_error)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget || line.last() != Some(&b'\n') {
        return Err(TransportError::Framing("header too long or truncated"));
    }
    *budget -= n;
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| TransportError::Framing("header is not UTF-8"))
}

fn read_response(reader: &mut impl BufRead) -> Result<Response, TransportError> {
    let mut budget = MAX_HEADER_BYTES;
    // EOF before the status line: the device dropped the socket instead of answering.
    let status_line = read_line(reader, &mut budget)?.ok_or(TransportError::NoResponse)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(TransportError::Framing("not an HTTP/1.x status line"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(TransportError::Framing("bad status code"))?;
    let mut close = version == "HTTP/1.0";
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut set_cookie = None;
    loop {
        let line = read_line(reader, &mut budget)?
            .ok_or(TransportError::Framing("connection closed inside headers"))?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(TransportError::Framing("header without colon"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let len = value
                .parse()
                .map_err(|_| TransportError::Framing("bad Content-Length"))?;
            content_length = Some(len);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        } else if name.eq_ignore_ascii_case("set-cookie") {
            // Only `name=value` is echoed; attributes (Path, ...) are not part of Cookie.
            let pair = value.split(';').next().unwrap_or_default().trim();
            if !pair.is_empty() {
                set_cookie = Some(pair.to_string());
            }
        }
    }
    let body = if chunked {
        read_chunked(reader, &mut budget)?
    } else if let Some(len) = content_length {
        if len > MAX_RESPONSE_BODY {
            return Err(TransportError::Framing("response body too large"));
        }
        let mut body = std::vec![0u8; len];
        reader.read_exact(&mut body).map_err(|e| match e.kind() {
            ErrorKind::UnexpectedEof => TransportError::Framing("response body truncated"),
            _ => io_error(e),
        })?;
        body
    } else {
        // No length: the body runs to the end of the connection.
        close = true;
        let mut body = Vec::new();
        reader
            .by_ref()
            .take(MAX_RESPONSE_BODY as u64 + 1)
            .read_to_end(&mut body)
            .map_err(io_error)?;
        if body.len() > MAX_RESPONSE_BODY {
            return Err(TransportError::Framing("response body too large"));
        }
        body
    };
    Ok(Response {
        status,
        body,
        set_cookie,
        close,
    })
}

fn read_chunked(reader: &mut impl BufRead, budget: &mut usize) -> Result<Vec<u8>, TransportError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader, budget)?.ok_or(TransportError::Framing(
            "connection closed inside chunked body",
        ))?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| TransportError::Framing("bad chunk size"))?;
        if size == 0 {
            // Trailers, then the empty line.
            while read_line(reader, budget)?.is_some_and(|l| !l.is_empty()) {}
            return Ok(body);
        }
        if body.len() + size > MAX_RESPONSE_BODY {
            return Err(TransportError::Framing("response body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        let chunk = body
            .get_mut(start..)
            .ok_or(TransportError::Framing("chunk bookkeeping"))?;
        reader.read_exact(chunk).map_err(io_error)?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf).map_err(io_error)?;
        if &crlf != b"\r\n" {
            return Err(TransportError::Framing("chunk not followed by CRLF"));
        }
    }
}

impl Transport for HttpTransport {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        if body.is_empty() {
            return Err(TransportError::InvalidRequest("empty body"));
        }
        if body.len() > MAX_REQUEST_BODY {
            return Err(TransportError::InvalidRequest(
                "body larger than 4096 bytes",
            ));
        }
        if endpoint.is_empty()
            || endpoint
                .bytes()
                .any(|b| b <= b' ' || b == b'/' || b >= 0x7f)
        {
            return Err(TransportError::InvalidRequest(
                "endpoint name not usable in a URI",
            ));
        }
        let request = self.build_request(endpoint, body);
        let connection = self.connect()?;
        let sent = {
            let stream = connection.get_mut();
            stream.write_all(&request).and_then(|()| stream.flush())
        };
        let result = match sent {
            Ok(()) => read_response(connection),
            Err(e) => Err(io_error(e)),
        };
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                // The socket is in an unknown state; the next request opens a new one.
                self.connection = None;
                return Err(e);
            }
        };
        if response.close {
            self.connection = None;
        }
        if let Some(cookie) = response.set_cookie {
            self.cookie = Some(cookie);
        }
        if response.status != 200 {
            return Err(TransportError::Status(response.status));
        }
        Ok(response.body)
    }
}
