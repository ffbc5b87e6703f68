#![doc = include_str!("../README.md")]
//!
//! ## Design: the BLE GATT transport of ESP-IDF provisioning, on any controller
//!
//! A transport adapter of the provkit stack: it carries protocomm's requests over BLE, on
//! both sides of the link. The GATT server (and, feature `central`, the GATT client) is
//! TrouBLE (`trouble-host` 0.7), generic over bt-hci 0.9's controller traits, so the same code
//! serves on an ESP32 (esp-radio's controller) and on a host (an H4 controller on a TCP socket
//! or a serial port, feature `host`).
//!
//! ```text
//!  provkit-manager::Device / protocomm's GattTable     provkit-client::Client
//!        ▲ GattBackend::write(conn, endpoint, request)        │ Transport::request
//!  ──────┼───────────────────────────────────────────────────┼──────────── this crate
//!  peripheral: advertise, accept one central,     client (host): BleTransport, a thread
//!              GATT server (TrouBLE)                   ▼
//!  advertising: flags, service UUID, PROV_ name   central: scan, connect, discover by 0x2901,
//!                                                          write (queued if long) + read
//!  hci (host): hci-tcp / hci-uart
//!  ───────────────────────────────────────────────────────────────────────────────
//!  bt-hci Controller: esp-radio BLE (chip) · H4 on TCP/UART (host)
//! ```
//!
//! The service has the layout of ESP-IDF's BLE scheme (spec §5.2): one 128-bit primary
//! service, per endpoint one Read | Write characteristic whose UUID is the service UUID with
//! the endpoint's 16-bit id substituted, and a 0x2901 user description holding the endpoint
//! name. Requests of up to 512 bytes arrive as one write (long writes reassembled); responses
//! are read back with Read / Read Blob.
//!
//! Features: `no_std` with `alloc` by default (the peripheral); `central` adds the GATT
//! client, still `no_std`; `host` adds std, tokio and the H4 transports; `client` adds
//! provkit-client's blocking `Transport` over the central on a host controller (what
//! `provkit provision --ble` runs). The client's dependency points from this crate to
//! provkit-client's `Transport` trait, so provkit-client itself stays free of BLE.

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

// Declared first: its macros are visible to the modules below.
#[macro_use]
mod fmt;
pub mod advertising;
// The central (provkit's own client side) indexes slices whose length it checked just before
// (HCI and ATT headers); it is exempt from `indexing_slicing` until its owner converts those
// sites to `get`. Everything else here is denied like the other protocol crates.
#[cfg(feature = "central")]
#[allow(clippy::indexing_slicing)]
pub mod central;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "host")]
pub mod hci;
pub mod peripheral;

pub use advertising::{Advertisement, AdvertisingError, advertisement, default_device_name};
pub use peripheral::{
    DEFAULT_IDLE_TIMEOUT_MS, Endpoint, GattBackend, IdleDeadline, MAX_ENDPOINTS, MAX_VALUE_LEN,
    PeripheralConfig, PeripheralError, ValueStorage, run,
};
pub use provkit_protocomm::ble::{AttErrorCode, Uuid128};
