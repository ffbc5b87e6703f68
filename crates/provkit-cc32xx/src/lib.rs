//! # provkit-cc32xx: TI SimpleLink CC3120/CC3135/CC3220/CC3235 adapter
//!
//! Place in the stack: a chip adapter beside `provkit-sim`, above `provkit-manager` (whose
//! TI personality supplies the command and event vocabulary), `provkit-protocomm` and
//! `provkit-hal`. Below it is TI's SimpleLink host driver — on the chip through [`ffi`]
//! (feature `simplelink-sdk`), on a host through an emulated NWP (`provkit-sim::nwp`).
//!
//! ```text
//!   application
//!     ├─ native::NativeProvisioning   NWP's own AP/SC/APSC/APSC+external provisioning
//!     └─ http::ProtocommHttpServer    ESP-compatible protocomm over the NWP's AP sockets
//!            │ driver::NwpDriver / driver::NwpSockets   (the seam)
//!     ├─ ffi::SimpleLink  (sl_* calls, events from the SDK callbacks)   — on the chip
//!     └─ provkit-sim EmulatedNwp                                         — on a host
//! ```
//!
//! [`consts`] holds the numbers of the TI headers (commands 0–5, status 0–17, error codes,
//! flags, roles, security types); [`sys`] the `#[repr(C)]` structures and `extern "C"`
//! declarations.

#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod consts;
pub mod driver;
pub mod error;
#[cfg(feature = "simplelink-sdk")]
pub mod ffi;
pub mod http;
pub mod native;
pub mod sys;

pub use driver::{NwpDriver, NwpEvent, NwpSockets, ProfileInfo};
pub use error::Cc32xxError;
pub use native::{NativeEvent, NativeProvisioning, StartOutcome};
pub use provkit_manager;
