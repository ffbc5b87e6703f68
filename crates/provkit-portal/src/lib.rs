#![doc = include_str!("../README.md")]
//!
//! ## Design
//!
//! A captive portal for the provisioning SoftAP, beside protocomm's endpoints on the same
//! HTTP server and driving the same manager: a person joins the device's SoftAP, the phone
//! opens the page by itself, picks a network, types the passphrase (and the device's PoP or
//! sec2 password) and reads the result in words. No app.
//!
//! ```text
//!  phone joins the SoftAP ─► DNS: every A query ─► the device's address   (dns::respond)
//!  OS connectivity check GET /generate_204 ... ─► 302 to the page        (probe)
//!  browser ─► GET / ─► PAGE (one document, ≤ PAGE_BUDGET bytes)          (page)
//!          ─► /portal/scan, /portal/networks, /portal/connect, /portal/result
//!                 Portal::handle ─► PortalBackend (EspBackend: Device<Esp>'s manager;
//!                 │                 the sim's TI backend: TI's profile_add/confirm_req)
//!                 └─ secret check under protocomm's throttle                (auth)
//! ```
//!
//! Sans-I/O like the rest of the stack: the adapter owns the sockets (HTTP, and UDP port 53
//! for [`dns::respond`]), routes the paths [`Portal::serves`] to [`Portal::handle`] and pumps
//! its runner afterwards, exactly as after a protocomm request.
//!
//! **Off by default**: nothing serves the portal unless the application builds a
//! [`Portal`] and routes requests to it. **Run it only behind a WPA2 SoftAP** (a service
//! key): the page is plain HTTP, so on an open AP the Wi-Fi passphrase and the PoP cross the
//! air in clear for anyone in range to read (docs/SECURITY.md).
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

pub mod api;
pub mod auth;
pub mod dns;
pub mod esp;
pub mod page;
pub mod probe;

pub use api::{Networks, Portal, PortalBackend, PortalConfig, PortalRequest, Progress, Refusal};
pub use auth::{Check, PortalSecret};
pub use esp::EspBackend;
pub use page::{PAGE, PAGE_BUDGET};
