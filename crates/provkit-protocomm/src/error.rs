//! The one error type of this crate, plus the small error a [`crate::RequestHandler`] returns.
//!
//! Every `Err` from [`crate::Protocomm::handle`] means "the reference device would send no
//! answer": each framing turns it into its transport's silence (HTTP: close the socket, BLE: an
//! ATT error or a dropped link, console: no output line).

use core::fmt;

use provkit_security::SecurityError;

/// Why protocomm produced no response, or refused a configuration call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocommError {
    /// No endpoint with this name is registered (HTTP answers 404 before reaching protocomm).
    UnknownEndpoint,
    /// An endpoint name is empty, longer than [`crate::MAX_ENDPOINT_NAME_LEN`], or contains bytes
    /// that cannot appear in a URI path segment or a console token.
    InvalidEndpointName,
    /// An endpoint with this name already exists.
    DuplicateEndpoint,
    /// The 16-bit BLE id space after 0xFF54 is used up.
    EndpointIdsExhausted,
    /// Custom endpoints must be created before the first request is handled (the BLE GATT table
    /// and the HTTP URI handlers are built from the table at start).
    TableFrozen,
    /// A `REQ_EP` request from a client that has no established security session (reference:
    /// "session not established" from decrypt).
    NoSession,
    /// Another client owns the verified session; this client is refused like a stale
    /// session (it may prove the secret in a handshake of its own to take over; under sec0 it
    /// must wait until the owner is idle or gone).
    SessionOwnedElsewhere,
    /// Too many failed PoP / password proofs: `prov-session` is locked until `until_ms` (the
    /// protocomm clock); see [`crate::throttle`].
    Throttled {
        /// End of the lockout, ms.
        until_ms: u64,
    },
    /// The handshake budget is used up: this Command0 was refused before any arithmetic;
    /// handshakes are computed again from `until_ms` (the protocomm clock); see
    /// [`crate::budget`].
    HandshakeLimited {
        /// When the budget frees up, ms.
        until_ms: u64,
    },
    /// The security layer rejected a handshake message, or decrypt/encrypt failed.
    Security(SecurityError),
    /// The application's handler for a `REQ_EP` endpoint failed.
    Handler(HandlerError),
    /// A console line is not `<endpoint> <session-id> <hex>` (spec §5.3).
    MalformedConsoleLine(ConsoleLineReason),
    /// A UUID string is not in the canonical `8-4-4-4-12` hex form.
    InvalidUuid,
}

impl fmt::Display for ProtocommError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownEndpoint => f.write_str("unknown endpoint"),
            Self::InvalidEndpointName => f.write_str("invalid endpoint name"),
            Self::DuplicateEndpoint => f.write_str("endpoint already exists"),
            Self::EndpointIdsExhausted => f.write_str("no BLE endpoint id left"),
            Self::TableFrozen => f.write_str("endpoints must be created before the first request"),
            Self::NoSession => f.write_str("no established security session for this client"),
            Self::SessionOwnedElsewhere => {
                f.write_str("another client owns the provisioning session")
            }
            Self::Throttled { until_ms } => {
                write!(
                    f,
                    "too many failed proofs; sessions refused until t={until_ms} ms"
                )
            }
            Self::HandshakeLimited { until_ms } => write!(
                f,
                "handshake budget used up; Command0 refused until t={until_ms} ms"
            ),
            Self::Security(e) => write!(f, "security: {e}"),
            Self::Handler(e) => write!(f, "handler: {e}"),
            Self::MalformedConsoleLine(r) => write!(f, "malformed console line: {r}"),
            Self::InvalidUuid => f.write_str("invalid UUID text"),
        }
    }
}

impl core::error::Error for ProtocommError {}

impl From<SecurityError> for ProtocommError {
    fn from(e: SecurityError) -> Self {
        Self::Security(e)
    }
}

impl From<HandlerError> for ProtocommError {
    fn from(e: HandlerError) -> Self {
        Self::Handler(e)
    }
}

/// A [`crate::RequestHandler`] failed; protocomm sends no response (like an ESP-IDF handler
/// returning `ESP_FAIL`). The reason is for logs only and never reaches the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerError {
    reason: &'static str,
}

impl HandlerError {
    /// A handler failure with a short, static reason for logs.
    pub const fn new(reason: &'static str) -> Self {
        Self { reason }
    }

    /// The reason given by the handler.
    pub const fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

/// Why a console line was rejected (carried in [`ProtocommError::MalformedConsoleLine`]). A
/// malformed line gets no output, like any other error; the reason is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleLineReason {
    /// Longer than the configured limit ([`crate::console::DEFAULT_MAX_LINE_LEN`] unless changed).
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
