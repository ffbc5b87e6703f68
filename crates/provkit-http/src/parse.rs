//! The request parser: one HTTP/1.1 request from the start of a byte buffer.
//!
//! ```text
//!  [CRLF...] METHOD SP /target SP HTTP/1.x CRLF     request line (empty lines before it skipped)
//!  Name: value CRLF ...                              headers (LF alone also ends a line)
//!  CRLF                                              end of head: at most MAX_HEAD_LEN bytes
//!  body                                              exactly Content-Length bytes (0 if absent)
//! ```
//!
//! [`RequestParser`] is incremental: the adapter appends what the socket gave it and calls
//! [`RequestParser::parse`] again with the longer buffer. The parser remembers how far it has
//! looked for the end of the head and, once it has parsed the head, where its fields are, so
//! each byte is scanned once however the stream is split (no rescanning a growing head, as a
//! `windows(4)` search on every read would). A complete request reports the bytes it used
//! ([`Request::consumed`]); whatever follows belongs to the next (pipelined) request.
//!
//! What is refused, each as its own [`ParseError`]: a head over [`MAX_HEAD_LEN`]; a request
//! line that is not `METHOD SP origin-form SP HTTP/x.y`; a version other than 1.0 or 1.1; a
//! control character or a non-ASCII byte anywhere in the head; a header line without a name
//! or colon, or folded onto the previous one; a `Content-Length` that is not a plain decimal,
//! or that appears twice, or that exceeds [`MAX_BODY_LEN`]; any `Transfer-Encoding` (chunked
//! bodies are not taken, as protocomm takes none).
//!
//! [`MAX_HEAD_LEN`]: crate::limits::MAX_HEAD_LEN
//! [`MAX_BODY_LEN`]: crate::limits::MAX_BODY_LEN

use core::fmt;
use core::ops::Range;

use crate::limits::{MAX_BODY_LEN, MAX_HEAD_LEN};

/// Longest method accepted (the longest registered HTTP method names are 17 characters).
const MAX_METHOD_LEN: usize = 20;

/// Why a request was refused. The connection cannot continue after any of them: the
/// position of the next request in the stream is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParseError {
    /// No end of head within [`MAX_HEAD_LEN`] bytes.
    HeadTooLong,
    /// The request line is not `METHOD SP /target SP HTTP/x.y`.
    BadRequestLine,
    /// An HTTP version other than 1.0 and 1.1.
    UnsupportedVersion,
    /// A control character, a stray CR or a byte outside ASCII in the head.
    InvalidByte,
    /// A header line without a colon or name, with space before the colon, or folded.
    BadHeader,
    /// A `Content-Length` that is not one plain decimal number.
    BadContentLength,
    /// `Content-Length` given twice.
    DuplicateContentLength,
    /// A `Transfer-Encoding` header (chunked or any other coding): not supported.
    TransferEncoding,
    /// A declared body longer than [`MAX_BODY_LEN`].
    BodyTooLong,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HeadTooLong => "request head over the limit",
            Self::BadRequestLine => "malformed request line",
            Self::UnsupportedVersion => "HTTP version other than 1.0/1.1",
            Self::InvalidByte => "control or non-ASCII byte in the request head",
            Self::BadHeader => "malformed header line",
            Self::BadContentLength => "Content-Length is not a decimal number",
            Self::DuplicateContentLength => "Content-Length given twice",
            Self::TransferEncoding => "Transfer-Encoding (chunked bodies) not supported",
            Self::BodyTooLong => "declared body over the limit",
        })
    }
}

/// One complete request, borrowed from the buffer it was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The method as sent, e.g. `POST` (case-sensitive, as HTTP requires).
    pub method: &'a str,
    /// The request target as sent, e.g. `/prov-session?x=1`; see [`Request::path`].
    pub target: &'a str,
    /// The value of the first `Cookie` header, surrounding whitespace removed.
    pub cookie: Option<&'a [u8]>,
    /// The declared body length (0 without a `Content-Length`).
    pub content_length: usize,
    /// Whether the client lets the connection carry another request: false for
    /// `Connection: close`, and for HTTP/1.0 without `Connection: keep-alive`.
    pub keep_alive: bool,
    /// The body: exactly `content_length` bytes.
    pub body: &'a [u8],
    /// Bytes of the buffer this request used; what follows is the next request.
    pub consumed: usize,
}

impl<'a> Request<'a> {
    /// The target without its query (`/prov-session?x=1` → `/prov-session`).
    pub fn path(&self) -> &'a str {
        match self.target.split_once('?') {
            Some((path, _query)) => path,
            None => self.target,
        }
    }
}

/// What the bytes so far amount to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// Not a whole request yet: read more and call again with the longer buffer.
    Incomplete,
    /// One complete request at the start of the buffer.
    Request(Request<'a>),
}

/// Parses one request from the start of `buf` with a fresh parser (no state kept between
/// calls; [`RequestParser`] avoids rescanning when the buffer grows).
pub fn parse_request(buf: &[u8]) -> Result<Parsed<'_>, ParseError> {
    RequestParser::new().parse(buf)
}

/// Where a parsed head's fields are in the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Head {
    method: Range<usize>,
    target: Range<usize>,
    cookie: Option<Range<usize>>,
    content_length: usize,
    keep_alive: bool,
    /// Offset of the first body byte.
    body_start: usize,
}

/// Incremental parser of one request at a time.
///
/// Call [`parse`](Self::parse) with the connection's buffer each time bytes were appended to
/// it. After a [`Parsed::Request`] the parser is ready for the next request, which starts at
/// `consumed` in the old buffer: the caller removes those bytes before the next call. After an
/// error it stays reset too; the connection should be closed. Calling it with a buffer that
/// is not the previous one extended gives a wrong result, never a panic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestParser {
    /// Bytes already examined in search of the end of the head.
    scanned: usize,
    /// Start of the line being scanned.
    line_start: usize,
    /// Start of the request line (after empty lines that precede it).
    head_start: usize,
    /// The parsed head, once its end was found: now only the body is awaited.
    head: Option<Head>,
}

impl RequestParser {
    /// A parser expecting the start of a request.
    pub const fn new() -> Self {
        Self {
            scanned: 0,
            line_start: 0,
            head_start: 0,
            head: None,
        }
    }

    /// Whether bytes of a request have been seen (the request has started).
    pub fn in_progress(&self) -> bool {
        self.scanned > self.head_start || self.head.is_some()
    }

    /// Parses the request at the start of `buf` (see the type's docs for the contract).
    pub fn parse<'b>(&mut self, buf: &'b [u8]) -> Result<Parsed<'b>, ParseError> {
        if !self.advance(buf)? {
            return Ok(Parsed::Incomplete);
        }
        match self.take(buf) {
            Some(request) => Ok(Parsed::Request(request)),
            // Only reachable when the caller broke the contract (a different buffer).
            None => Err(ParseError::InvalidByte),
        }
    }

    /// Looks at the new bytes of `buf`: `Ok(true)` once a whole request is there, which
    /// [`take`](Self::take) then returns without scanning anything again.
    pub fn advance(&mut self, buf: &[u8]) -> Result<bool, ParseError> {
        if self.head.is_none() {
            let found = self
                .find_head_end(buf)
                .and_then(|end| end.map(|e| parse_head(buf, self.head_start, e)).transpose());
            match found {
                Ok(Some(head)) => self.head = Some(head),
                Ok(None) => return Ok(false),
                Err(e) => {
                    *self = Self::new();
                    return Err(e);
                }
            }
        }
        Ok(self
            .head
            .as_ref()
            .is_some_and(|h| h.body_start.saturating_add(h.content_length) <= buf.len()))
    }

    /// The request [`advance`](Self::advance) found complete in `buf` (the same buffer), and
    /// the parser reset for the next one; `None` if there is none.
    pub fn take<'b>(&mut self, buf: &'b [u8]) -> Option<Request<'b>> {
        let head = self.head.take()?;
        *self = Self::new();
        let end = head.body_start.saturating_add(head.content_length);
        let body = buf.get(head.body_start..end)?;
        let text = |range: &Range<usize>| {
            buf.get(range.clone())
                .and_then(|b| core::str::from_utf8(b).ok())
        };
        Some(Request {
            method: text(&head.method)?,
            target: text(&head.target)?,
            cookie: head.cookie.clone().and_then(|r| buf.get(r)),
            content_length: head.content_length,
            keep_alive: head.keep_alive,
            body,
            consumed: end,
        })
    }

    /// Scans on from where the last call stopped; `Some(offset of the body)` once the blank
    /// line that ends the head is found.
    fn find_head_end(&mut self, buf: &[u8]) -> Result<Option<usize>, ParseError> {
        // The whole head, empty lines before it included, must fit the limit.
        let limit = buf.len().min(MAX_HEAD_LEN);
        let mut i = self.scanned;
        while i < limit {
            if buf.get(i) == Some(&b'\n') {
                let line = buf.get(self.line_start..i).unwrap_or_default();
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    if self.line_start == self.head_start {
                        // An empty line before the request line (RFC 9112 §2.2 lets a
                        // server ignore them; some clients send CRLF after a POST body).
                        self.head_start = i + 1;
                    } else {
                        self.scanned = i + 1;
                        return Ok(Some(i + 1));
                    }
                }
                self.line_start = i + 1;
            }
            i += 1;
        }
        self.scanned = i;
        if buf.len() >= MAX_HEAD_LEN {
            return Err(ParseError::HeadTooLong);
        }
        Ok(None)
    }
}

/// Token characters (RFC 9110 §5.6.2): method and header names.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses the head `buf[start..body_start]` (its lines end in LF, the last line is empty).
fn parse_head(buf: &[u8], start: usize, body_start: usize) -> Result<Head, ParseError> {
    let head = buf.get(start..body_start).ok_or(ParseError::HeadTooLong)?;
    // Allowed: visible ASCII, space, tab, and CR only as part of a line ending.
    let mut previous_cr = false;
    for &b in head {
        let ok = match b {
            b'\n' => true,
            b'\r' => !previous_cr,
            b'\t' | 0x20..=0x7e => !previous_cr,
            _ => false,
        };
        if !ok {
            return Err(ParseError::InvalidByte);
        }
        previous_cr = b == b'\r';
    }
    // Absolute offsets of each line (without its CR LF).
    let mut lines = LineRanges {
        buf,
        pos: start,
        end: body_start,
    };
    let request_line = lines.next().ok_or(ParseError::BadRequestLine)?;
    let (method, target, http11) = parse_request_line(buf, request_line)?;
    let mut head = Head {
        method,
        target,
        cookie: None,
        content_length: 0,
        keep_alive: http11,
        body_start,
    };
    let mut content_length: Option<usize> = None;
    let mut connection_close = false;
    let mut connection_keep_alive = false;
    for line in lines {
        let bytes = buf.get(line.clone()).unwrap_or_default();
        if bytes.is_empty() {
            // The blank line that ends the head.
            break;
        }
        let colon = bytes
            .iter()
            .position(|&b| b == b':')
            .ok_or(ParseError::BadHeader)?;
        let name = bytes.get(..colon).unwrap_or_default();
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            // Also catches obs-fold (a line starting with space) and space before the colon.
            return Err(ParseError::BadHeader);
        }
        let raw_value = bytes.get(colon + 1..).unwrap_or_default();
        let lead = raw_value
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let trail = raw_value
            .iter()
            .rev()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let value_start = line.start + colon + 1 + lead;
        let value_end = (line.end - trail).max(value_start);
        let value = buf.get(value_start..value_end).unwrap_or_default();
        if name.eq_ignore_ascii_case(b"content-length") {
            if content_length.is_some() {
                return Err(ParseError::DuplicateContentLength);
            }
            let n = decimal(value)?;
            if n > MAX_BODY_LEN {
                return Err(ParseError::BodyTooLong);
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err(ParseError::TransferEncoding);
        } else if name.eq_ignore_ascii_case(b"cookie") {
            // The first one, as esp_http_server's `httpd_req_get_hdr_value_str` returns it.
            if head.cookie.is_none() {
                head.cookie = Some(value_start..value_end);
            }
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in value.split(|&b| b == b',') {
                let option = option.trim_ascii();
                if option.eq_ignore_ascii_case(b"close") {
                    connection_close = true;
                } else if option.eq_ignore_ascii_case(b"keep-alive") {
                    connection_keep_alive = true;
                }
            }
        }
    }
    head.content_length = content_length.unwrap_or(0);
    head.keep_alive = !connection_close && (http11 || connection_keep_alive);
    Ok(head)
}

/// `METHOD SP /target SP HTTP/1.x` → (method, target, is HTTP/1.1).
fn parse_request_line(
    buf: &[u8],
    line: Range<usize>,
) -> Result<(Range<usize>, Range<usize>, bool), ParseError> {
    let bytes = buf.get(line.clone()).ok_or(ParseError::BadRequestLine)?;
    let mut parts = bytes.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::BadRequestLine);
    };
    if method.is_empty() || method.len() > MAX_METHOD_LEN || !method.iter().all(|&b| is_tchar(b)) {
        return Err(ParseError::BadRequestLine);
    }
    // origin-form only: a path starting with '/', visible ASCII (no tab).
    if target.first() != Some(&b'/') || !target.iter().all(|&b| (0x21..=0x7e).contains(&b)) {
        return Err(ParseError::BadRequestLine);
    }
    let http11 = match version {
        b"HTTP/1.1" => true,
        b"HTTP/1.0" => false,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            return Err(ParseError::UnsupportedVersion);
        }
        _ => return Err(ParseError::BadRequestLine),
    };
    let method_range = line.start..line.start + method.len();
    let target_start = method_range.end + 1;
    Ok((
        method_range,
        target_start..target_start + target.len(),
        http11,
    ))
}

/// One or more ASCII digits, no sign, no list, no overflow.
fn decimal(value: &[u8]) -> Result<usize, ParseError> {
    if value.is_empty() {
        return Err(ParseError::BadContentLength);
    }
    let mut n: usize = 0;
    for &b in value {
        if !b.is_ascii_digit() {
            return Err(ParseError::BadContentLength);
        }
        // Saturate: any number over the body limit is refused as too long, however long.
        n = n.saturating_mul(10).saturating_add(usize::from(b - b'0'));
    }
    Ok(n)
}

/// Lines of `buf[pos..end]` as absolute ranges, LF-terminated, a CR before the LF dropped.
struct LineRanges<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

impl Iterator for LineRanges<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        if self.pos >= self.end {
            return None;
        }
        let rest = self.buf.get(self.pos..self.end)?;
        let len = rest.iter().position(|&b| b == b'\n')?;
        let start = self.pos;
        let mut stop = start + len;
        if stop > start && self.buf.get(stop - 1) == Some(&b'\r') {
            stop -= 1;
        }
        self.pos = start + len + 1;
        Some(start..stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::String;

    fn request(raw: &[u8]) -> Request<'_> {
        match parse_request(raw) {
            Ok(Parsed::Request(r)) => r,
            other => panic!("expected a request from {raw:?}, got {other:?}"),
        }
    }

    #[test]
    fn a_post_with_cookie_and_body_leaves_the_next_request() {
        let raw = b"POST /proto-ver?x HTTP/1.1\r\nHost: x\r\ncookie:  session=7 \r\nContent-Length: 3\r\n\r\nabcPOST";
        let r = request(raw);
        assert_eq!(
            (r.method, r.target, r.path()),
            ("POST", "/proto-ver?x", "/proto-ver")
        );
        assert_eq!(r.cookie, Some(&b"session=7"[..]));
        assert_eq!(
            (r.body, r.content_length, r.keep_alive),
            (&b"abc"[..], 3, true)
        );
        assert_eq!(&raw[r.consumed..], b"POST");
    }

    #[test]
    fn connection_header_and_version_decide_keep_alive() {
        assert!(!request(b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").keep_alive);
        assert!(!request(b"GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(request(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
        assert!(!request(b"GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
    }

    #[test]
    fn bare_lf_lines_and_leading_empty_lines_are_accepted() {
        let r = request(b"\r\n\nGET /a HTTP/1.1\nHost: x\n\n");
        assert_eq!((r.method, r.target, r.consumed), ("GET", "/a", 28));
    }

    #[test]
    fn partial_input_is_incomplete() {
        for raw in [
            &b""[..],
            b"POST /x HTTP/1.1\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab",
            b"\r\n\r\n",
        ] {
            assert_eq!(parse_request(raw), Ok(Parsed::Incomplete), "{raw:?}");
        }
    }

    #[test]
    fn every_malformation_has_its_error() {
        use ParseError::*;
        let long_head = [b"GET /".as_slice(), &[b'a'; MAX_HEAD_LEN]].concat();
        let cases: [(&[u8], ParseError); 20] = [
            (&long_head, HeadTooLong),
            (b"POST x HTTP/1.1\r\n\r\n", BadRequestLine),
            (b"POST /x\r\n\r\n", BadRequestLine),
            (b"POST  /x HTTP/1.1\r\n\r\n", BadRequestLine),
            (b"POST http://h/x HTTP/1.1\r\n\r\n", BadRequestLine),
            (b"PO(T /x HTTP/1.1\r\n\r\n", BadRequestLine),
            (b"GET /x HTTP/2.0\r\n\r\n", UnsupportedVersion),
            (b"GET /x HTTP/0.9\r\n\r\n", UnsupportedVersion),
            (b"GET /x HTTPS/1.1\r\n\r\n", BadRequestLine),
            (b"GET /\xc3\xa9 HTTP/1.1\r\n\r\n", InvalidByte),
            (b"GET /x HTTP/1.1\r\nX: a\0b\r\n\r\n", InvalidByte),
            (b"GET /x HTTP/1.1\r\nX: a\rb\r\n\r\n", InvalidByte),
            (b"POST /x HTTP/1.1\r\nno colon\r\n\r\n", BadHeader),
            (b"POST /x HTTP/1.1\r\nX : y\r\n\r\n", BadHeader),
            (b"POST /x HTTP/1.1\r\nX: y\r\n folded\r\n\r\n", BadHeader),
            (
                b"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                BadContentLength,
            ),
            (
                b"POST /x HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n",
                BadContentLength,
            ),
            (
                b"POST /x HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\na",
                DuplicateContentLength,
            ),
            (
                b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                TransferEncoding,
            ),
            (
                b"POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                BodyTooLong,
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(
                parse_request(raw),
                Err(want),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn the_limits_are_inclusive() {
        let body = [7u8; MAX_BODY_LEN];
        let raw = [
            format!("POST /x HTTP/1.1\r\nContent-Length: {MAX_BODY_LEN}\r\n\r\n").as_bytes(),
            &body,
        ]
        .concat();
        assert_eq!(request(&raw).body.len(), MAX_BODY_LEN);
        let raw = format!(
            "POST /x HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_LEN + 1
        );
        assert_eq!(parse_request(raw.as_bytes()), Err(ParseError::BodyTooLong));
        // A head of exactly MAX_HEAD_LEN bytes is taken; one byte more is not.
        let prefix = "GET / HTTP/1.1\r\nX: ";
        let pad = MAX_HEAD_LEN - prefix.len() - 4;
        let exact = format!("{prefix}{}\r\n\r\n", "a".repeat(pad));
        assert_eq!(exact.len(), MAX_HEAD_LEN);
        assert_eq!(request(exact.as_bytes()).consumed, MAX_HEAD_LEN);
        let over = format!("{prefix}{}\r\n\r\n", "a".repeat(pad + 1));
        assert_eq!(parse_request(over.as_bytes()), Err(ParseError::HeadTooLong));
    }

    #[test]
    fn the_incremental_parser_scans_each_byte_once() {
        let raw = b"POST /prov-session HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody";
        let mut parser = RequestParser::new();
        for end in 0..raw.len() {
            assert_eq!(parser.parse(&raw[..end]), Ok(Parsed::Incomplete));
            // Never further than the bytes given, never backwards.
            assert!(parser.scanned <= end);
        }
        assert!(parser.in_progress());
        let Ok(Parsed::Request(r)) = parser.parse(raw) else {
            panic!("complete request not parsed");
        };
        assert_eq!(r.body, b"body");
        assert!(!parser.in_progress());
    }
}
