#![doc = include_str!("../README.md")]
//!
//! ## Design: the SimpleLink network processor's interface
//!
//! Place in the stack: above `provkit-manager` (whose TI personality, `TiManager`, is the
//! vocabulary of the NWP's provisioning: commands, status codes, events) and `provkit-hal`;
//! below the two things that stand on either side of the NWP's host interface — the CC32xx
//! adapter (`provkit-cc32xx`, the host side: native provisioning, protocomm over NWP sockets,
//! the FFI to TI's C driver) and the simulator's emulated NWP (`provkit-sim`'s `nwp`, the
//! network-processor side, built on `TiManager`). Neither of those depends on the other.
//!
//! ```text
//!   provkit-cc32xx (host logic, ffi) ─┐                 ┌─ provkit-sim::nwp::EmulatedNwp
//!                                     ▼                 ▼        (on TiManager)
//!         driver::NwpDriver / NwpSockets, NwpEvent ◄─► TiEvent, Cc32xxError
//!         consts (TI header numbers) · sys (C structures) · form (device HTTP API bodies)
//! ```
//!
//! Nothing here does I/O: [`consts`] holds the numbers of the TI headers (commands 0–5, status
//! 0–17, error codes, flags, roles, security types), [`sys`] the `#[repr(C)]` structures,
//! [`driver`] the seam traits and the event translation, [`form`] the
//! `application/x-www-form-urlencoded` bodies the phone apps post to the NWP's HTTP server.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod consts;
pub mod driver;
pub mod error;
pub mod form;
pub mod sys;

pub use driver::{NwpDriver, NwpEvent, NwpSockets, ProfileInfo};
pub use error::Cc32xxError;
