//! The response writer, in esp_http_server's byte layout.
//!
//! ESP-IDF's `httpd_resp_send` (`components/esp_http_server/src/httpd_txrx.c`) writes
//!
//! ```text
//!  HTTP/1.1 <code> <reason>\r\n
//!  Content-Type: <type>\r\n           default "text/html" (HTTPD_TYPE_TEXT)
//!  Content-Length: <n>\r\n
//!  <Field>: <value>\r\n ...           headers the handler added, in the order it added them
//!  \r\n
//!  <body>
//! ```
//!
//! with no `Date`, `Server` or `Connection` header. protocomm_httpd adds one header, on the
//! first answer of a new session: `Set-Cookie: session=<u32>`, with no attributes. Error
//! statuses use esp_http_server's reason phrases (ESP-IDF ≥ 5.0 wording; "501 Method Not
//! Implemented" and "505 Version Not Supported" are its, not RFC 9110's) and, after
//! `httpd_resp_send_err`, the socket is closed: [`Response::closing`] marks that.
//!
//! Header names and values are checked when added (no CR, LF or other control character can
//! reach the wire: no response splitting), so encoding cannot fail.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write as _};

/// A status code and its reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status {
    code: u16,
    reason: &'static str,
}

impl Status {
    /// 200, the answer of every protocomm request that succeeded.
    pub const OK: Self = Self::known(200, "OK");
    /// 400, esp_http_server's answer to a request it cannot parse.
    pub const BAD_REQUEST: Self = Self::known(400, "Bad Request");
    /// 403.
    pub const FORBIDDEN: Self = Self::known(403, "Forbidden");
    /// 404, no handler for the URI.
    pub const NOT_FOUND: Self = Self::known(404, "Not Found");
    /// 405, a handler for the URI but not for the method.
    pub const METHOD_NOT_ALLOWED: Self = Self::known(405, "Method Not Allowed");
    /// 408, esp_http_server's answer when a request stalls.
    pub const REQUEST_TIMEOUT: Self = Self::known(408, "Request Timeout");
    /// 411.
    pub const LENGTH_REQUIRED: Self = Self::known(411, "Length Required");
    /// 413.
    pub const CONTENT_TOO_LARGE: Self = Self::known(413, "Content Too Large");
    /// 414.
    pub const URI_TOO_LONG: Self = Self::known(414, "URI Too Long");
    /// 431.
    pub const HEADER_FIELDS_TOO_LARGE: Self = Self::known(431, "Request Header Fields Too Large");
    /// 500.
    pub const INTERNAL_SERVER_ERROR: Self = Self::known(500, "Internal Server Error");
    /// 501, esp_http_server's wording.
    pub const METHOD_NOT_IMPLEMENTED: Self = Self::known(501, "Method Not Implemented");
    /// 503.
    pub const SERVICE_UNAVAILABLE: Self = Self::known(503, "Service Unavailable");
    /// 505, esp_http_server's wording.
    pub const VERSION_NOT_SUPPORTED: Self = Self::known(505, "Version Not Supported");

    const KNOWN: [Self; 14] = [
        Self::OK,
        Self::BAD_REQUEST,
        Self::FORBIDDEN,
        Self::NOT_FOUND,
        Self::METHOD_NOT_ALLOWED,
        Self::REQUEST_TIMEOUT,
        Self::LENGTH_REQUIRED,
        Self::CONTENT_TOO_LARGE,
        Self::URI_TOO_LONG,
        Self::HEADER_FIELDS_TOO_LARGE,
        Self::INTERNAL_SERVER_ERROR,
        Self::METHOD_NOT_IMPLEMENTED,
        Self::SERVICE_UNAVAILABLE,
        Self::VERSION_NOT_SUPPORTED,
    ];

    const fn known(code: u16, reason: &'static str) -> Self {
        Self { code, reason }
    }

    /// The status for `code` with esp_http_server's reason phrase, if it is one this crate
    /// knows (the list above).
    pub fn from_code(code: u16) -> Option<Self> {
        Self::KNOWN.iter().copied().find(|s| s.code == code)
    }

    /// Any three-digit code with a reason of visible ASCII and spaces.
    pub fn custom(code: u16, reason: &'static str) -> Option<Self> {
        ((100..=999).contains(&code) && reason.bytes().all(|b| b == b' ' || b.is_ascii_graphic()))
            .then_some(Self { code, reason })
    }

    /// The numeric code.
    pub const fn code(&self) -> u16 {
        self.code
    }

    /// The reason phrase.
    pub const fn reason(&self) -> &'static str {
        self.reason
    }

    /// 4xx and 5xx.
    pub const fn is_error(&self) -> bool {
        self.code >= 400
    }
}

/// A header name or value that cannot be sent (a control character, CR or LF, or a name
/// that is not an HTTP token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidHeader;

impl fmt::Display for InvalidHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("header name or value not sendable")
    }
}

/// The content type esp_http_server puts on every response unless told otherwise.
pub const DEFAULT_CONTENT_TYPE: &str = "text/html";

/// One response: status, content type, extra headers in order, body, and whether the
/// connection ends after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: Status,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    close: bool,
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_field_value(s: &str) -> bool {
    s.bytes()
        .all(|b| b == b'\t' || b == b' ' || b.is_ascii_graphic())
}

impl Response {
    /// `status` with `body`, `Content-Type: text/html`, the connection kept.
    pub fn new(status: Status, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type: DEFAULT_CONTENT_TYPE,
            headers: Vec::new(),
            body,
            close: false,
        }
    }

    /// esp_http_server's `httpd_resp_send_err`: `status`, `text/html`, `message` as the body,
    /// and the connection closed once it is sent.
    pub fn error(status: Status, message: &str) -> Self {
        Self::new(status, message.as_bytes().to_vec()).closing()
    }

    /// Another content type.
    pub fn with_content_type(mut self, content_type: &'static str) -> Result<Self, InvalidHeader> {
        if content_type.is_empty() || !is_field_value(content_type) {
            return Err(InvalidHeader);
        }
        self.content_type = content_type;
        Ok(self)
    }

    /// Adds a header after `Content-Length` (after those added before it).
    pub fn with_header(
        mut self,
        name: &'static str,
        value: impl Into<String>,
    ) -> Result<Self, InvalidHeader> {
        let value = value.into();
        if !is_token(name) || !is_field_value(&value) {
            return Err(InvalidHeader);
        }
        self.headers.push((name, value));
        Ok(self)
    }

    /// Closes the connection once this response is sent (what esp_http_server does after
    /// any error status it sends).
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The value of the first header named `name` (ASCII case-insensitive), if added.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the connection ends after this response.
    pub fn closes_connection(&self) -> bool {
        self.close
    }

    /// Appends the response's bytes to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve(64 + self.content_type.len() + self.body.len());
        // Writing into a Vec cannot fail; the fmt::Result is only the trait's shape.
        let _ = write!(
            VecWriter(out),
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            self.status.code,
            self.status.reason,
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }

    /// The response's bytes, ready for one write (one segment, not a head and a body that
    /// Nagle's algorithm could hold apart).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }
}

struct VecWriter<'a>(&'a mut Vec<u8>);

impl fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_that_could_split_a_response_are_refused() {
        let r = Response::new(Status::OK, Vec::new());
        assert!(r.clone().with_header("Set-Cookie", "a\r\nX: y").is_err());
        assert!(r.clone().with_header("Set Cookie", "a").is_err());
        assert!(r.clone().with_header("", "a").is_err());
        assert!(r.clone().with_content_type("text/html\n").is_err());
        assert!(r.with_header("Set-Cookie", "session=1").is_ok());
        assert!(Status::custom(200, "O\rK").is_none());
        assert!(Status::custom(42, "OK").is_none());
    }

    #[test]
    fn known_codes_carry_esp_http_servers_reasons() {
        assert_eq!(Status::from_code(404), Some(Status::NOT_FOUND));
        assert_eq!(
            Status::from_code(501).map(|s| s.reason()),
            Some("Method Not Implemented")
        );
        assert_eq!(Status::from_code(299), None);
    }
}
