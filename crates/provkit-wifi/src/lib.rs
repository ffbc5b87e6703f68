#![doc = include_str!("../README.md")]
//!
//! ## Design: the `prov-config`, `prov-scan` and `prov-ctrl` endpoints
//!
//! Sits above `provkit-proto` (the messages) and `provkit-hal` (the data types) and below
//! `provkit-manager`, which implements the backend traits and routes decrypted request bodies
//! here. Nothing in this crate does I/O, keeps time or holds state: each handler decodes one
//! plaintext request, asks its backend, and encodes the plaintext response.
//!
//! ```text
//!  protocomm (decrypts) ─► handle_config(body, &mut impl ConfigBackend) ─► response body
//!                          handle_scan  (body, &mut impl ScanBackend, ScanLimits)
//!                          handle_ctrl  (body, &mut impl CtrlBackend)
//!                                │ ▲
//!                 typed calls ───┘ └── StationStatus / ScanEntry / Result<(), Status>
//! ```
//!
//! Behaviour follows ESP-IDF `wifi_prov_mgr` (spec §2.6–2.9, §6.3–6.7):
//! * dispatch is on `msg` only; the response `msg` is the request's plus one;
//! * an unknown `msg`, a body that does not decode, a SetConfig / ScanStart / ScanResult
//!   without its sub-message, or a ScanResult range outside the list capacity is a
//!   [`WifiError`]; the reference sends **no response** then, and so should the caller;
//! * validation failures inside a well-formed command are answered with a `Status`
//!   (InvalidArgument for bad SetConfig fields, whatever the backend returns for its own
//!   failures — the reference uses InternalError).
//!
//! Besides the device-side handlers, each endpoint module has typed requests and responses
//! with `encode`/`decode` in both directions ([`config::ConfigRequest`],
//! [`config::ConfigResponse`], [`scan::ScanRequest`], ...), byte-identical to what esp_prov and
//! the firmware send, so a client can use the same code, and a device that needs to defer an
//! answer (a blocking scan) can decode now and encode later.
//!
//! ```
//! use provkit_hal::Credentials;
//! use provkit_wifi::{ConfigBackend, StationStatus, Status, handle_config};
//!
//! struct Device { pending: Option<Credentials> }
//! impl ConfigBackend for Device {
//!     fn status(&self) -> StationStatus { StationStatus::Connecting }
//!     fn set_config(&mut self, c: Credentials) -> Result<(), Status> {
//!         self.pending = Some(c);
//!         Ok(())
//!     }
//!     fn apply_config(&mut self) -> Result<(), Status> {
//!         self.pending.take().map(|_| ()).ok_or(Status::InternalError)
//!     }
//! }
//!
//! let mut device = Device { pending: None };
//! // esp_prov's GetStatus request (`52 00`) → the firmware's "connecting" answer.
//! let answer = handle_config(&[0x52, 0x00], &mut device).unwrap();
//! assert_eq!(answer, [0x08, 0x01, 0x5a, 0x02, 0x10, 0x01]);
//! // ApplyConfig (`08 04`) without a pending config → RespApplyConfig{InternalError}.
//! let answer = handle_config(&[0x08, 0x04], &mut device).unwrap();
//! assert_eq!(answer, [0x08, 0x05, 0x7a, 0x02, 0x08, 0x05]);
//! ```
//!
//! `no_std` + `alloc` (prost messages own their bytes).

#![cfg_attr(not(feature = "std"), no_std)]
// Untrusted bytes never panic: outside tests, no unwrap/expect, no unchecked indexing, no
// panic! (see docs/SECURITY.md).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod config;
pub mod ctrl;
pub mod scan;

pub use config::{
    ConfigBackend, ConnectedInfo, PassphrasePolicy, StationStatus, handle_config,
    handle_config_with_policy, wire_fail_reason,
};
pub use ctrl::{CtrlBackend, handle_ctrl};
pub use provkit_proto::{DecodeError, Status};
pub use scan::{ScanBackend, ScanLimits, handle_scan};

/// Why a request got no response (or a response could not be decoded). The crate's one
/// error enum.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WifiError {
    /// The body is not a valid protobuf message of this endpoint.
    Decode(DecodeError),
    /// `msg` is not a command this endpoint answers (response types included), or, when
    /// decoding a response, not a response type.
    UnknownMessage(i32),
    /// The command needs its oneof sub-message and it is absent (or another member).
    MissingPayload,
    /// ScanResult asked for `start_index`/`count` outside the result list's capacity; the
    /// reference (v5.5 head, netprov ≥ 1.2.3) drops such requests.
    ScanRangeOutOfBounds {
        /// Requested first index.
        start_index: u32,
        /// Requested number of entries.
        count: u32,
    },
    /// A response field is out of range for the typed model (an unknown `Status` number, an
    /// SSID over 32 bytes, a BSSID not 6 bytes, an unparsable IPv4 address). Client side only.
    InvalidField(&'static str),
}

impl WifiError {
    /// The protocomm status that best describes this error, for transports that can report
    /// one (ESP-IDF itself just does not answer).
    pub fn status(&self) -> Status {
        match self {
            Self::Decode(_) | Self::UnknownMessage(_) | Self::MissingPayload => {
                Status::InvalidProto
            }
            Self::ScanRangeOutOfBounds { .. } | Self::InvalidField(_) => Status::InvalidArgument,
        }
    }
}

impl From<DecodeError> for WifiError {
    fn from(err: DecodeError) -> Self {
        Self::Decode(err)
    }
}

impl From<&WifiError> for Status {
    fn from(err: &WifiError) -> Self {
        err.status()
    }
}

impl core::fmt::Display for WifiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Decode(err) => write!(f, "undecodable message: {err}"),
            Self::UnknownMessage(msg) => write!(f, "unknown message type {msg}"),
            Self::MissingPayload => f.write_str("command without its payload"),
            Self::ScanRangeOutOfBounds { start_index, count } => {
                write!(f, "scan results {start_index}+{count} out of bounds")
            }
            Self::InvalidField(field) => write!(f, "invalid field {field}"),
        }
    }
}

impl core::error::Error for WifiError {}

/// Decodes a wire `Status`, rejecting numbers the enum does not know.
fn status_from_wire(raw: i32) -> Result<Status, WifiError> {
    Status::try_from(raw).map_err(|_| WifiError::InvalidField("status"))
}

/// Turns a backend result into the status to put on the wire.
fn status_of(result: Result<(), Status>) -> Status {
    match result {
        Ok(()) => Status::Success,
        Err(status) => status,
    }
}
