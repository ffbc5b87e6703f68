#![doc = include_str!("../README.md")]
//!
//! ## Design: the protobuf messages of ESP-IDF provisioning
//!
//! The bottom of the provkit stack. Every byte that crosses a provisioning transport is one of
//! these messages (or the `proto-ver` JSON, or application data on a custom endpoint):
//!
//! ```text
//!  prov-session : SessionData { sec_ver, oneof proto { sec0 | sec1 | sec2 } }
//!  prov-config  : WiFiConfigPayload (GetStatus / SetConfig / ApplyConfig)
//!  prov-scan    : WiFiScanPayload   (start / status / paged results)
//!  prov-ctrl    : WiFiCtrlPayload   (reset / reprov)
//! ```
//!
//! The Rust code in `generated.rs` is produced by prost from the `.proto` files in `proto/` at
//! the workspace root (`cargo xtask codegen`) and committed, so building firmware never needs
//! `protoc`. A test regenerates it and fails when the committed copy is stale.
//!
//! Field numbers, oneofs and enum values are exactly those of the reference (spec §2). Like the
//! reference there is no `package`, so names are top-level. Enum-typed fields are plain `i32`
//! (prost's representation), which makes every enum *open*: a value from a future firmware or
//! a raw driver auth mode ≥ 8 survives a decode/encode round trip. Use the generated
//! `TryFrom<i32>` (or `Enum::try_from`) to interpret it.
//!
//! `no_std` + `alloc` always; the `std` feature only adds `std::error::Error` for prost's
//! errors.

#![no_std]
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

#[allow(clippy::all, clippy::pedantic, missing_docs)]
mod generated;

pub use generated::*;
pub use prost::{DecodeError, EncodeError, Message};

/// Decodes a message, rejecting anything prost rejects (truncation, bad wire types, invalid
/// UTF-8 in `string` fields, varint overflow). Never panics on any input.
pub fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, DecodeError> {
    M::decode(bytes)
}

/// Encodes a message into a fresh vector.
pub fn encode<M: Message>(msg: &M) -> alloc::vec::Vec<u8> {
    msg.encode_to_vec()
}
