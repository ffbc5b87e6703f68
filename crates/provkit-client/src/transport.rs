//! The one seam between the protocol logic and the bytes on a wire.
//!
//! ```text
//!  Client ──request(endpoint, body)──▶ Transport ──▶ HTTP POST /<endpoint> | GATT write+read |
//!         ◀──────── response body ────            console line | an in-memory device
//! ```
//!
//! A transport moves one request body to a named endpoint and brings back exactly one
//! response body; it knows nothing about encryption or protobuf. Implementations: the std HTTP
//! transport in [`crate::http`] (feature `http`), the in-memory device pairs used by the
//! end-to-end tests, and BLE/console adapters built on provkit-protocomm's framings.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::TransportError;

/// Carries one request/response exchange to a named endpoint (`proto-ver`, `prov-session`,
/// `prov-config`, `prov-scan`, `prov-ctrl` or a custom endpoint name).
///
/// The device answers every request with exactly one response or not at all; an
/// implementation returns [`TransportError::NoResponse`] for "not at all" (HTTP socket closed,
/// BLE link dropped / ATT error, no console line). The body is never empty: the reference
/// device treats an empty body as an error (spec §12.11), and the client never sends one.
pub trait Transport {
    /// Sends `body` to `endpoint` and returns the device's response body.
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).request(endpoint, body)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).request(endpoint, body)
    }
}
