//! # provkit-ble: the BLE GATT transport of ESP-IDF provisioning, on any controller
//!
//! A transport adapter of the provkit stack: it carries protocomm's requests over BLE. The
//! GATT server is TrouBLE (`trouble-host` 0.7), generic over bt-hci 0.9's controller traits,
//! so the same code serves on an ESP32 (esp-radio's controller) and on a host (an H4
//! controller on a TCP socket or a serial port, feature `host`).
//!
//! ```text
//!  provkit-manager::Device / protocomm's GattTable     (sans-I/O: decides every answer)
//!        ▲ GattBackend::write(conn, endpoint, request) → response
//!  ──────┼──────────────────────────────────────────────────────────── this crate
//!  peripheral: advertise, accept one central, GATT server (TrouBLE)
//!  advertising: flags, service UUID, PROV_ name          hci (host): hci-tcp / hci-uart
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
//! `no_std` with `alloc`; the `host` feature adds std, tokio and the H4 transports.

#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod advertising;
#[cfg(feature = "host")]
pub mod hci;
pub mod peripheral;

pub use advertising::{Advertisement, AdvertisingError, advertisement};
pub use peripheral::{
    DEFAULT_IDLE_TIMEOUT_MS, Endpoint, GattBackend, IdleDeadline, MAX_ENDPOINTS, MAX_VALUE_LEN,
    PeripheralConfig, PeripheralError, ValueStorage, run,
};
pub use provkit_protocomm::ble::{AttErrorCode, Uuid128};
