//! The crate's error type, [`ClientError`], the transport vocabulary [`TransportError`]
//! that every [`Transport`](crate::Transport) implementation reports in, and the device's
//! [`FailReason`] that a failed provisioning carries.
//!
//! Nothing here panics on device bytes: a malformed, unexpected or hostile answer always ends
//! up as one of these values.

use alloc::string::String;
use core::fmt;

use provkit_security::SecurityError;

/// Why the device gave up connecting (`WifiConnectFailedReason`, open enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailReason {
    /// Wrong passphrase, handshake timeout, MIC failure.
    AuthError,
    /// The SSID was not found.
    NetworkNotFound,
    /// A value this client does not know.
    Other(i32),
    /// `ConnectionFailed` without any reason on the wire.
    Unreported,
}

impl FailReason {
    /// The reason a `RespGetStatus` carries (`fail_reason`).
    pub(crate) fn from_wire(v: i32) -> Self {
        match v {
            0 => Self::AuthError,
            1 => Self::NetworkNotFound,
            other => Self::Other(other),
        }
    }
}

/// How a single request/response exchange on a transport failed.
///
/// The reference device signals every handshake or handler error by *not answering* (HTTP:
/// it closes the socket; BLE: it drops the link or answers with an ATT error; console: no
/// line), so [`TransportError::NoResponse`] is the normal way a device says "no". After any
/// transport error the security session must be considered lost (spec §12.7).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// The request was sent but the device closed the connection (or link) without answering.
    NoResponse,
    /// No answer arrived in time.
    Timeout,
    /// The connection could not be opened or was lost before the request went out.
    Disconnected(String),
    /// The device answered, but not with success (e.g. HTTP 404 for an unknown endpoint).
    Status(u16),
    /// The answer could not be understood at the framing level (bad HTTP, odd hex line...).
    Framing(&'static str),
    /// The request is unusable on this transport (empty body, too large for the framing).
    InvalidRequest(&'static str),
    /// Any other I/O failure, described.
    Io(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoResponse => f.write_str("device closed the connection without answering"),
            Self::Timeout => f.write_str("timed out waiting for the device"),
            Self::Disconnected(why) => write!(f, "not connected to the device: {why}"),
            Self::Status(code) => write!(f, "device answered with status {code}"),
            Self::Framing(what) => write!(f, "malformed transport framing: {what}"),
            Self::InvalidRequest(what) => write!(f, "request not sendable: {what}"),
            Self::Io(what) => write!(f, "I/O error: {what}"),
        }
    }
}

impl core::error::Error for TransportError {}

/// Which endpoint message a decoding or status error is about.
pub type Endpoint = &'static str;

/// Every way a client operation can fail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The transport failed; the session is no longer usable.
    Transport(TransportError),
    /// The security handshake or a data-phase encrypt/decrypt failed (wrong PoP, wrong
    /// password, tampered or out-of-step message).
    Security(SecurityError),
    /// An operation that needs an established session was called before [`establish`] ran
    /// or after the session was lost.
    ///
    /// [`establish`]: crate::Client::establish_session
    NoSession,
    /// The device's answer on `endpoint` is not a valid protobuf message of the expected type.
    Decode {
        /// The endpoint that answered.
        endpoint: Endpoint,
    },
    /// The device answered with a message of another type than the request asked for
    /// (responses carry `msg = request + 1`).
    UnexpectedResponse {
        /// The endpoint that answered.
        endpoint: Endpoint,
        /// The `msg` the answer should have carried (the request's + 1).
        expected_msg: i32,
        /// The `msg` it carried.
        got_msg: i32,
    },
    /// The device answered with a non-success `Status` (raw protobuf value: 4 =
    /// InvalidArgument, 5 = InternalError, ...).
    DeviceStatus {
        /// The endpoint that answered.
        endpoint: Endpoint,
        /// The raw `Status` value.
        status: i32,
    },
    /// The device requires a proof of possession (security 1) and none was configured.
    PopRequired,
    /// The device uses security 2 and no username/password was configured.
    Sec2CredentialsMissing,
    /// The device advertises a security scheme (or security-2 patch level) this client does
    /// not speak.
    UnsupportedSecurity {
        /// `prov.sec_ver` from `proto-ver`.
        sec_ver: i64,
        /// `prov.sec_patch_ver` from `proto-ver` (0 when absent).
        sec_patch_ver: i64,
    },
    /// The device offers a weaker security scheme than the client accepts (downgrade
    /// protection, [`crate::SecurityPolicy`]): `offered` is the device's `sec_ver`.
    SecurityTooWeak {
        /// The device's `sec_ver`.
        offered: u8,
        /// The lowest scheme the policy and the secrets accept.
        minimum: u8,
    },
    /// The device offers security 2 with `sec_patch_ver` 0 (one fixed GCM nonce for every
    /// message), which is accepted only when allowed explicitly.
    Sec2Patch0Refused,
    /// The `proto-ver` answer is not JSON, so nothing could be detected, and no security
    /// scheme was configured to fall back on.
    SecurityUndetermined,
    /// The device does not advertise a capability the operation needs (e.g. `wifi_scan`).
    MissingCapability(&'static str),
    /// A value given by the caller is outside what the protocol allows (SSID > 32 bytes,
    /// passphrase > 63 bytes, BSSID not 6 bytes, zero page size...).
    InvalidArgument(&'static str),
    /// The device reported that connecting to the access point failed.
    ConnectionFailed(FailReason),
    /// The device was still connecting when the polling budget ran out.
    StillConnecting,
    /// A scan did not report `scan_finished` within the polling budget.
    ScanNotFinished,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "transport: {e}"),
            Self::Security(e) => write!(f, "security: {e}"),
            Self::NoSession => f.write_str("no established security session"),
            Self::Decode { endpoint } => write!(f, "undecodable answer on {endpoint}"),
            Self::UnexpectedResponse {
                endpoint,
                expected_msg,
                got_msg,
            } => write!(
                f,
                "unexpected answer on {endpoint}: msg {got_msg}, expected {expected_msg}"
            ),
            Self::DeviceStatus { endpoint, status } => {
                write!(f, "device reported status {status} on {endpoint}")
            }
            Self::PopRequired => f.write_str("device requires a proof of possession"),
            Self::Sec2CredentialsMissing => {
                f.write_str("device uses security 2; username and password are required")
            }
            Self::UnsupportedSecurity {
                sec_ver,
                sec_patch_ver,
            } => write!(
                f,
                "unsupported security scheme {sec_ver} (patch {sec_patch_ver})"
            ),
            Self::SecurityTooWeak { offered, minimum } => write!(
                f,
                "device offers security {offered}, but at least security {minimum} is required \
                 (refusing a downgrade; lower the minimum explicitly to accept it)"
            ),
            Self::Sec2Patch0Refused => f.write_str(
                "device offers security 2 patch 0 (one fixed AES-GCM nonce for the whole \
                 session); allow it explicitly to accept it",
            ),
            Self::SecurityUndetermined => f.write_str(
                "security scheme could not be detected (proto-ver is not JSON); configure it",
            ),
            Self::MissingCapability(cap) => write!(f, "device lacks capability {cap:?}"),
            Self::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            Self::ConnectionFailed(reason) => write!(f, "Wi-Fi connection failed: {reason:?}"),
            Self::StillConnecting => f.write_str("device still connecting after polling budget"),
            Self::ScanNotFinished => f.write_str("scan did not finish within polling budget"),
        }
    }
}

impl core::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Transport(e) => Some(e),
            Self::Security(e) => Some(e),
            _ => None,
        }
    }
}

impl From<TransportError> for ClientError {
    fn from(e: TransportError) -> Self {
        Self::Transport(e)
    }
}

impl From<SecurityError> for ClientError {
    fn from(e: SecurityError) -> Self {
        Self::Security(e)
    }
}
