//! Console line codec and framing (spec §5.3, `protocomm_console.c`).
//!
//! ```text
//!  ">> " prompt ... client types:  <endpoint> <session-id-decimal> <request-hex>\r
//!  device prints:                  \r\n<response-hex>\r\n        (nothing on error)
//! ```
//!
//! [`parse_line`] and [`format_response`] are the pure codec; [`ConsoleFraming`] adds the
//! session rule and the line-length limit; [`LineBuffer`] assembles lines from a byte stream
//! (a UART) in bounded memory and drops a half-typed line after an idle gap.
//!
//! ## Sessions
//!
//! The reference closes the current session when a line carries another session id. Here the
//! previous id is only **detached** (`Protocomm::detach`): a verified session survives a
//! stranger's line with a new id (the newcomer must prove the secret in a handshake of its
//! own to take over), while under sec0 the newcomer may take over at once, as before. When
//! the console itself goes away (a host closed the port, stdin ended), the adapter calls
//! [`ConsoleFraming::console_gone`].
//!
//! ## Line length
//!
//! The reference reads commands into a 256-byte UART line buffer
//! ([`REFERENCE_MAX_LINE_LEN`]). That is a limit of its firmware, not of the protocol (esp_prov
//! has none), and it makes security 2 impossible on the console: a sec2 Command0 carries the
//! 384-byte SRP public key `A`, about 800 hex digits. provkit therefore accepts lines up to
//! [`DEFAULT_MAX_LINE_LEN`] (2048 bytes: a sec2 Command0 with room to spare) and lets an
//! adapter on a small UART lower the limit with [`ConsoleFraming::with_max_line`]. Over-long
//! lines are always a typed error ([`ConsoleLineReason::TooLong`]), never a panic, and
//! [`LineBuffer`] never holds more than the limit.

use alloc::string::String;
use alloc::vec::Vec;
use provkit_hal::Instant;

use provkit_security::SecureRng;
use zeroize::Zeroize;

use crate::client::{ClientId, TransportKind};
use crate::endpoint::EndpointTable;
use crate::error::ProtocommError;
use crate::hex::HexError;
use crate::protocomm::{Protocomm, RequestHandler};

/// The reference's console line buffer size (`protocomm_console.c`). Adapters that must
/// behave exactly like the reference pass it to [`ConsoleFraming::with_max_line`].
pub const REFERENCE_MAX_LINE_LEN: usize = 256;

/// provkit's default limit: large enough for a security 2 Command0 (~830 bytes as a line),
/// see the module docs.
pub const DEFAULT_MAX_LINE_LEN: usize = 2048;

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

pub use crate::error::ConsoleLineReason;

/// Parses one command line of at most [`DEFAULT_MAX_LINE_LEN`] bytes (trailing CR/LF allowed;
/// fields separated by spaces or tabs).
pub fn parse_line(line: &[u8]) -> Result<ConsoleRequest<'_>, ProtocommError> {
    parse_line_with_limit(line, DEFAULT_MAX_LINE_LEN)
}

/// [`parse_line`] with an explicit limit: lines longer than `max_line` bytes (line ending
/// included) are refused with [`ConsoleLineReason::TooLong`] before anything is decoded.
pub fn parse_line_with_limit(
    line: &[u8],
    max_line: usize,
) -> Result<ConsoleRequest<'_>, ProtocommError> {
    parse_fields(line, max_line).map_err(ProtocommError::MalformedConsoleLine)
}

fn parse_fields(line: &[u8], max_line: usize) -> Result<ConsoleRequest<'_>, ConsoleLineReason> {
    if line.len() > max_line {
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

fn decode_hex(text: &str) -> Result<Vec<u8>, ConsoleLineReason> {
    crate::hex::decode(text).map_err(|e| match e {
        HexError::OddLength => ConsoleLineReason::OddHexLength,
        HexError::BadDigit => ConsoleLineReason::BadHexDigit,
    })
}

fn push_hex(s: &mut String, bytes: &[u8]) {
    crate::hex::encode_into(s, bytes);
}

fn push_decimal(s: &mut String, v: u32) {
    use core::fmt::Write;
    let _ = write!(s, "{v}");
}

/// A console command accepted by [`ConsoleFraming::accept_line`], ready for dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleCommand<'a> {
    /// The protocomm client the command belongs to.
    pub client: ClientId,
    /// Endpoint name (known to the endpoint table).
    pub endpoint: &'a str,
    /// The decoded request bytes.
    pub body: Vec<u8>,
    /// The console's previous session id when this command carries another one. The caller
    /// detaches it before dispatching (`Protocomm::detach`): the reference would close it,
    /// provkit keeps a verified session until someone proves the secret (module docs).
    pub close_first: Option<ClientId>,
}

/// Console session tracking and the line-length limit on top of the codec.
#[derive(Debug, Clone)]
pub struct ConsoleFraming {
    current_session: Option<u32>,
    max_line: usize,
}

impl Default for ConsoleFraming {
    fn default() -> Self {
        Self::new()
    }
}

impl ConsoleFraming {
    /// No session yet; lines up to [`DEFAULT_MAX_LINE_LEN`] bytes.
    pub const fn new() -> Self {
        Self::with_max_line(DEFAULT_MAX_LINE_LEN)
    }

    /// No session yet; lines longer than `max_line` bytes are refused (e.g.
    /// [`REFERENCE_MAX_LINE_LEN`] on a UART with the reference's buffer). A limit below a
    /// sec2 Command0 line (~830 bytes) makes security 2 unusable on this console.
    pub const fn with_max_line(max_line: usize) -> Self {
        Self {
            current_session: None,
            max_line,
        }
    }

    /// The line-length limit in bytes.
    pub const fn max_line(&self) -> usize {
        self.max_line
    }

    /// The session id of the last accepted command.
    pub fn session_id(&self) -> Option<u32> {
        self.current_session
    }

    /// The sans-I/O half of [`Self::handle_line`], for adapters whose protocomm sits behind
    /// another API (e.g. provkit-manager's `Device`): parses `line`, checks the endpoint
    /// against `endpoints` and applies the session rule. The caller closes
    /// [`ConsoleCommand::close_first`] (if any), dispatches the command and prints
    /// [`format_response`] of the answer, or nothing on any error.
    ///
    /// A malformed line or an unknown endpoint leaves the current session untouched.
    pub fn accept_line<'a>(
        &mut self,
        line: &'a [u8],
        endpoints: &EndpointTable,
    ) -> Result<ConsoleCommand<'a>, ProtocommError> {
        let request = parse_line_with_limit(line, self.max_line)?;
        if endpoints.lookup(request.endpoint).is_none() {
            return Err(ProtocommError::UnknownEndpoint);
        }
        let mut close_first = None;
        if self.current_session != Some(request.session_id) {
            close_first = self
                .current_session
                .map(|old| ClientId::new(TransportKind::Console, old));
            self.current_session = Some(request.session_id);
        }
        Ok(ConsoleCommand {
            client: ClientId::new(TransportKind::Console, request.session_id),
            endpoint: request.endpoint,
            body: request.body,
            close_first,
        })
    }

    /// Handles one input line arriving at `now`; `Some(text)` is printed, `None` means print
    /// nothing.
    pub fn handle_line<R: SecureRng + ?Sized>(
        &mut self,
        protocomm: &mut Protocomm,
        line: &[u8],
        handler: &mut dyn RequestHandler,
        rng: &mut R,
        now: Instant,
    ) -> Option<String> {
        let command = self.accept_line(line, protocomm.endpoints()).ok()?;
        if let Some(old) = command.close_first {
            protocomm.detach(old);
        }
        protocomm
            .handle(
                command.client,
                command.endpoint,
                &command.body,
                handler,
                rng,
                now,
            )
            .ok()
            .map(|body| format_response(&body))
    }
}

impl ConsoleFraming {
    /// The console went away (the host closed the port, the adapter's input ended): the
    /// session of the last id used on it ends, and the next line starts afresh.
    pub fn console_gone(&mut self, protocomm: &mut Protocomm) {
        if let Some(id) = self.current_session.take() {
            protocomm.close_session(ClientId::new(TransportKind::Console, id));
        }
    }
}

/// How long a half-typed line is kept without a new byte before [`LineBuffer::push_at`] drops
/// it: 30 s. A line is typed (or pasted) in one go; a partial line that sat longer belongs to
/// someone who went away and must not prefix the next client's command.
pub const DEFAULT_LINE_IDLE_MS: u64 = 30_000;

/// Assembles command lines from a byte stream (CR, LF or CRLF terminated) without ever
/// holding more than the limit: once a line exceeds it, the rest of that line is discarded
/// as it arrives and the line is reported as [`ConsoleLineReason::TooLong`]. With
/// [`Self::push_at`] a partial line idle for [`Self::idle_timeout_ms`] is dropped too.
/// Dropped bytes are wiped (under sec0 a SetConfig line carries the passphrase in hex).
#[derive(Debug, Clone)]
pub struct LineBuffer {
    line: Vec<u8>,
    max_line: usize,
    /// The current line overflowed; skip bytes until its end.
    discarding: bool,
    /// Drop a partial line after this long without a byte (`push_at` only).
    idle_ms: Option<u64>,
    /// When the last byte arrived (`push_at` only).
    last_byte_ms: Option<u64>,
}

impl LineBuffer {
    /// An empty buffer for lines of at most `max_line` bytes (pass
    /// [`ConsoleFraming::max_line`] so both agree), with the [`DEFAULT_LINE_IDLE_MS`] gap.
    pub fn new(max_line: usize) -> Self {
        Self {
            line: Vec::new(),
            max_line,
            discarding: false,
            idle_ms: Some(DEFAULT_LINE_IDLE_MS),
            last_byte_ms: None,
        }
    }

    /// Changes (or with `None` disables) the idle gap after which [`Self::push_at`] drops a
    /// partial line.
    pub fn with_idle_timeout(mut self, idle_ms: Option<u64>) -> Self {
        self.idle_ms = idle_ms;
        self
    }

    /// The idle gap in force, if any.
    pub fn idle_timeout_ms(&self) -> Option<u64> {
        self.idle_ms
    }

    /// Bytes of the current, unfinished line held now (never more than the limit).
    pub fn buffered(&self) -> usize {
        self.line.len()
    }

    /// [`Self::push`] for a byte that arrived at `now`: a partial line whose last byte is
    /// older than the idle gap is dropped first (silently: nobody is waiting for its answer).
    pub fn push_at(&mut self, byte: u8, now: Instant) -> Option<Result<Vec<u8>, ProtocommError>> {
        let now_ms = now.as_millis();
        let stale = match (self.idle_ms, self.last_byte_ms) {
            (Some(idle), Some(last)) => now_ms.saturating_sub(last) >= idle,
            _ => false,
        };
        if stale {
            self.drop_partial();
        }
        self.last_byte_ms = Some(now_ms);
        self.push(byte)
    }

    /// Feeds one byte. Returns the finished line (without its terminator) when `byte` ends a
    /// non-empty line, or the over-length error when it ends an overflowed one. Empty lines
    /// (e.g. the LF of a CRLF) produce nothing.
    pub fn push(&mut self, byte: u8) -> Option<Result<Vec<u8>, ProtocommError>> {
        if byte == b'\r' || byte == b'\n' {
            if core::mem::take(&mut self.discarding) {
                return Some(Err(ProtocommError::MalformedConsoleLine(
                    ConsoleLineReason::TooLong,
                )));
            }
            if self.line.is_empty() {
                return None;
            }
            return Some(Ok(core::mem::take(&mut self.line)));
        }
        if self.discarding {
            return None;
        }
        if self.line.len() >= self.max_line {
            // Free the memory now rather than at the end of a possibly endless line.
            self.drop_partial();
            self.discarding = true;
            return None;
        }
        if self.line.capacity() == 0 {
            // One allocation per line: growing by reallocation would leave copies of the
            // line's start in freed memory.
            self.line.reserve_exact(self.max_line);
        }
        self.line.push(byte);
        None
    }

    /// Wipes and frees the partial line.
    fn drop_partial(&mut self) {
        self.line.zeroize();
        self.line = Vec::new();
        self.discarding = false;
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
        let long = [b'a'; DEFAULT_MAX_LINE_LEN + 1];
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
