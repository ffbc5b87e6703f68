#![doc = include_str!("../README.md")]
//!
//! ## Design: TI SimpleLink CC3120/CC3135/CC3220/CC3235 adapter
//!
//! Place in the stack: a chip adapter, above `provkit-nwp` (the NWP's host interface: the
//! `NwpDriver` / `NwpSockets` seam, TI's constants and structures), `provkit-manager` (whose
//! TI personality supplies the command and event vocabulary), `provkit-protocomm` and
//! `provkit-hal`. Below the seam is TI's SimpleLink host driver — on the chip through `ffi`
//! (feature `simplelink-sdk`), on a host an emulated NWP (`provkit-sim::nwp`, which depends
//! on the seam, not on this crate).
//!
//! ```text
//!   application
//!     ├─ native::NativeProvisioning   NWP's own AP/SC/APSC/APSC+external provisioning
//!     └─ http::ProtocommHttpServer    ESP-compatible protocomm over the NWP's AP sockets
//!            │ provkit_nwp::{NwpDriver, NwpSockets}   (the seam)
//!     ├─ ffi::SimpleLink  (sl_* calls, events from the SDK callbacks)   — on the chip
//!     └─ provkit-sim EmulatedNwp                                         — on a host
//! ```
//!
//! `sys` holds the `extern "C"` declarations of the driver functions (feature
//! `simplelink-sdk`).

#![no_std]
#![deny(missing_docs)]

extern crate alloc;

// Declared first: its macros are visible to the modules below.
#[macro_use]
mod fmt;
#[cfg(feature = "simplelink-sdk")]
pub mod ffi;
pub mod http;
pub mod native;
#[cfg(feature = "simplelink-sdk")]
pub mod sys;

pub use native::{NativeEvent, NativeProvisioning, StartOutcome};
pub use provkit_manager;
pub use provkit_nwp;
