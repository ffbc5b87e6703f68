//! The one error type of this crate. Every malformed, out-of-order or unauthentic input maps to
//! a variant here; nothing in this crate panics on bytes from the peer.

use core::fmt;

/// Why a handshake step or a data-phase operation failed.
///
/// Variants carry no secret material (no keys, no expected proofs), so an error can be logged
/// or shown to a user as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecurityError {
    /// The bytes are not a valid protobuf message of the expected type.
    Decode,
    /// `SessionData.sec_ver` (or the payload oneof) names another scheme than the one in use.
    WrongSecurityVersion {
        /// The scheme in use.
        expected: u8,
        /// The `sec_ver` the message carried.
        got: i32,
    },
    /// The message's `msg` type does not match its oneof payload, or the payload is absent.
    MalformedMessage(&'static str),
    /// A message arrived that the handshake is not waiting for (e.g. Command1 before Command0,
    /// any request after a failure, a response the client did not ask for).
    OutOfOrder,
    /// A field has the wrong length (key, proof, nonce, username, random...).
    BadLength {
        /// Which field.
        field: &'static str,
        /// The lengths it may have, in words.
        expected: &'static str,
        /// The length it had.
        got: usize,
    },
    /// A public value is invalid (e.g. SRP `A ≡ 0 mod N`, an all-zero X25519 shared secret).
    InvalidPublicKey,
    /// The peer's proof did not verify: wrong PoP (sec1) or wrong username/password (sec2).
    /// Both sides see only this; which part was wrong is not revealed.
    AuthenticationFailed,
    /// The peer reported a non-success `Status` in a handshake response.
    PeerStatus(i32),
    /// Data-phase use before the handshake completed.
    NotEstablished,
    /// AEAD tag mismatch: the record was altered, replayed or the nonces are out of step.
    Decrypt,
    /// The nonce counter (sec2 patch 1) or keystream position (sec1) would wrap; the session
    /// must be re-established.
    CounterExhausted,
    /// A configuration value given by the application is unusable (e.g. an empty verifier).
    InvalidConfig(&'static str),
    /// Sec2 credentials whose verifier some Espressif clients could never log in with: their
    /// way of deriving x differs for this salt, username and password. Says which clients.
    ConventionMismatch(crate::sec2::ConventionMismatch),
}

impl fmt::Display for SecurityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode => f.write_str("malformed protobuf message"),
            Self::WrongSecurityVersion { expected, got } => {
                write!(
                    f,
                    "security version {got} requested, device uses {expected}"
                )
            }
            Self::MalformedMessage(what) => write!(f, "malformed handshake message: {what}"),
            Self::OutOfOrder => f.write_str("handshake message out of order"),
            Self::BadLength {
                field,
                expected,
                got,
            } => write!(f, "{field} has length {got}, expected {expected}"),
            Self::InvalidPublicKey => f.write_str("invalid public key"),
            Self::AuthenticationFailed => f.write_str("authentication failed"),
            Self::PeerStatus(s) => write!(f, "peer reported status {s}"),
            Self::NotEstablished => f.write_str("security session not established"),
            Self::Decrypt => f.write_str("record failed authentication"),
            Self::CounterExhausted => f.write_str("nonce counter exhausted"),
            Self::InvalidConfig(what) => write!(f, "invalid security configuration: {what}"),
            Self::ConventionMismatch(mismatch) => mismatch.fmt(f),
        }
    }
}

impl core::error::Error for SecurityError {}

impl From<prost::DecodeError> for SecurityError {
    fn from(_: prost::DecodeError) -> Self {
        Self::Decode
    }
}
