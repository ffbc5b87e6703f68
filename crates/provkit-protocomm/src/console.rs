//! Console line codec and framing (spec §5.3, `protocomm_console.c`).
//!
//! ```text
//!  ">> " prompt ... client types:  <endpoint> <session-id-decimal> <request-hex>\r
//!  device prints:                  \r\n<response-hex>\r\n        (nothing on error)
//! ```
//!
//! [`parse_line`] and [`format_response`] are the pure codec; [`ConsoleFraming`] adds the
//! reference's session rule (a session id different from the previous one opens a new session).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use provkit_security::SecureRng;

use crate::error::ProtocommError;
use crate::protocomm::{ClientId, Protocomm, RequestHandler, TransportKind};

/// The reference's console line buffer size; longer lines are rejected.
pub const MAX_LINE_LEN: usize = 256;

/// The prompt printed before each command.
pub const PROMPT: &str = "\n>> ";

/// A parsed console command, borrowing the endpoint name from the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleRequest<'a> {
    /// Endpoint name.
    pub endpoint: &'a str,
    /// Session id typed by the client.
    pub session_id: u32,
    /// The decoded request bytes.
    pub body: Vec<u8>,
}

/// Why a console line was rejected (carried in [`ProtocommError::MalformedConsoleLine`]). A
/// malformed line gets no output, like any other error; the reason is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleLineReason {
    /// Longer than [`MAX_LINE_LEN`] bytes.
    TooLong,
    /// Not valid UTF-8 / ASCII.
    NotText,
    /// Fewer than three fields.
    MissingField,
    /// More than three fields.
    TrailingField,
    /// The session id is not a decimal `u32`.
    BadSessionId,
    /// The request has an odd number of hex digits.
    OddHexLength,
    /// The request contains a character that is not a hex digit.
    BadHexDigit,
}

impl fmt::Display for ConsoleLineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLong => "line too long",
            Self::NotText => "line is not text",
            Self::MissingField => "expected <endpoint> <session-id> <hex>",
            Self::TrailingField => "unexpected extra field",
            Self::BadSessionId => "session id is not a decimal u32",
            Self::OddHexLength => "odd number of hex digits",
            Self::BadHexDigit => "invalid hex digit",
        })
    }
}

/// Parses one command line (trailing CR/LF allowed; fields separated by spaces or tabs).
pub fn parse_line(line: &[u8]) -> Result<ConsoleRequest<'_>, ProtocommError> {
    parse_fields(line).map_err(ProtocommError::MalformedConsoleLine)
}

fn parse_fields(line: &[u8]) -> Result<ConsoleRequest<'_>, ConsoleLineReason> {
    if line.len() > MAX_LINE_LEN {
        return Err(ConsoleLineReason::TooLong);
    }
    let text = core::str::from_utf8(line).map_err(|_| ConsoleLineReason::NotText)?;
    let text = text.trim_end_matches(['\r', '\n']);
    let mut fields = text.split([' ', '\t']).filter(|f| !f.is_empty());
    let endpoint = fields.next().ok_or(ConsoleLineReason::MissingField)?;
    let session = fields.next().ok_or(ConsoleLineReason::MissingField)?;
    let hex = fields.next().ok_or(ConsoleLineReason::MissingField)?;
    if fields.next().is_some() {
        return Err(ConsoleLineReason::TrailingField);
    }
    if !session.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConsoleLineReason::BadSessionId);
    }
    let session_id = session
        .parse::<u32>()
        .map_err(|_| ConsoleLineReason::BadSessionId)?;
    Ok(ConsoleRequest {
        endpoint,
        session_id,
        body: decode_hex(hex)?,
    })
}

/// Formats a command line for `request` (the client side of the codec), without line ending.
pub fn format_line(endpoint: &str, session_id: u32, body: &[u8]) -> String {
    let mut s = String::with_capacity(endpoint.len() + 12 + body.len() * 2);
    s.push_str(endpoint);
    s.push(' ');
    push_decimal(&mut s, session_id);
    s.push(' ');
    push_hex(&mut s, body);
    s
}

/// Formats the device's answer: `\r\n<lower-case hex>\r\n`.
pub fn format_response(body: &[u8]) -> String {
    let mut s = String::with_capacity(body.len() * 2 + 4);
    s.push_str("\r\n");
    push_hex(&mut s, body);
    s.push_str("\r\n");
    s
}

/// Parses a device answer printed by [`format_response`] (surrounding whitespace ignored).
pub fn parse_response(text: &str) -> Result<Vec<u8>, ProtocommError> {
    decode_hex(text.trim()).map_err(ProtocommError::MalformedConsoleLine)
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, ConsoleLineReason> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(ConsoleLineReason::OddHexLength);
    }
    digits
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Ok((nibble(*hi)? << 4) | nibble(*lo)?),
            _ => Err(ConsoleLineReason::OddHexLength),
        })
        .collect()
}

fn nibble(c: u8) -> Result<u8, ConsoleLineReason> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(ConsoleLineReason::BadHexDigit),
    }
}

fn push_hex(s: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

fn push_decimal(s: &mut String, v: u32) {
    use core::fmt::Write;
    let _ = write!(s, "{v}");
}

/// Console session tracking on top of the codec.
#[derive(Debug, Clone, Default)]
pub struct ConsoleFraming {
    current_session: Option<u32>,
}

impl ConsoleFraming {
    /// No session yet.
    pub const fn new() -> Self {
        Self {
            current_session: None,
        }
    }

    /// The session id of the last accepted command.
    pub fn session_id(&self) -> Option<u32> {
        self.current_session
    }

    /// Handles one input line; `Some(text)` is printed, `None` means print nothing.
    pub fn handle_line<R: SecureRng + ?Sized>(
        &mut self,
        protocomm: &mut Protocomm,
        line: &[u8],
        handler: &mut dyn RequestHandler,
        rng: &mut R,
    ) -> Option<String> {
        let request = parse_line(line).ok()?;
        // Unknown endpoints are dropped before they can disturb the current session.
        protocomm.endpoints().lookup(request.endpoint)?;
        if self.current_session != Some(request.session_id) {
            if let Some(old) = self.current_session {
                protocomm.close_session(ClientId::new(TransportKind::Console, old));
            }
            self.current_session = Some(request.session_id);
        }
        let client = ClientId::new(TransportKind::Console, request.session_id);
        protocomm
            .handle(client, request.endpoint, &request.body, handler, rng)
            .ok()
            .map(|body| format_response(&body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_example() {
        let r = parse_line(b"proto-ver 0 2d2d2d\r");
        assert_eq!(
            r,
            Ok(ConsoleRequest {
                endpoint: "proto-ver",
                session_id: 0,
                body: b"---".to_vec()
            })
        );
    }

    #[test]
    fn rejects_malformed_lines() {
        let cases: [(&[u8], ConsoleLineReason); 9] = [
            (b"", ConsoleLineReason::MissingField),
            (b"proto-ver 0", ConsoleLineReason::MissingField),
            (b"proto-ver 0 00 11", ConsoleLineReason::TrailingField),
            (b"proto-ver -1 00", ConsoleLineReason::BadSessionId),
            (b"proto-ver 4294967296 00", ConsoleLineReason::BadSessionId),
            (b"proto-ver +1 00", ConsoleLineReason::BadSessionId),
            (b"proto-ver 0 abc", ConsoleLineReason::OddHexLength),
            (b"proto-ver 0 zz", ConsoleLineReason::BadHexDigit),
            (b"proto-ver 0 \xff\xfe", ConsoleLineReason::NotText),
        ];
        for (line, err) in cases {
            assert_eq!(
                parse_line(line),
                Err(ProtocommError::MalformedConsoleLine(err)),
                "{line:?}"
            );
        }
        let long = [b'a'; MAX_LINE_LEN + 1];
        assert_eq!(
            parse_line(&long),
            Err(ProtocommError::MalformedConsoleLine(
                ConsoleLineReason::TooLong
            ))
        );
    }

    #[test]
    fn response_format_is_crlf_wrapped_lower_hex() {
        assert_eq!(format_response(&[0x52, 0xAB]), "\r\n52ab\r\n");
        assert_eq!(parse_response("\r\n52ab\r\n"), Ok(alloc::vec![0x52, 0xAB]));
    }
}
