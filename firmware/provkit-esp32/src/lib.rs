//! # provkit-esp32: provkit on ESP32-C3 / ESP32-C6 (esp-hal + esp-radio + embassy)
//!
//! The chip adapter at the bottom of the provkit stack: it implements `provkit-hal` on
//! Espressif's bare-metal Rust crates and carries the provisioning transports to the radio.
//! It owns sockets, radios, flash and timers; every protocol decision stays in the sans-I/O
//! crates above (protocomm, security, wifi, manager).
//!
//! ```text
//!  provkit-manager / protocomm / security      (sans-I/O, shared with host + simulator)
//!        ▲ requests / responses        │ Connect, StartScan, Persist ...
//!  ──────┼─────────────────────────────▼─────────────────────────────── this crate
//!  station: esp-radio STA + the station's embassy-net stack (GotIp from DHCP)
//!           (provkit_hal::asynch::WifiStation)
//!  store: esp-storage + sequential-storage (provkit_hal::asynch::CredentialStore)
//!  softap: esp-radio AP + embassy-net + DHCP server + HTTP (provkit-http)
//!          + the captive portal's DNS responder (dns: provkit-portal's, on UDP port 53)
//!  console: any embedded-io-async stream (USB-Serial-JTAG)
//!  reason: esp-radio disconnect reason -> provkit's      rsa: sec2 ModExp on the RSA unit
//!  ───────────────────────────────────────────────────────────────────────────────────
//!  esp-hal · esp-radio (Wi-Fi + BLE controller) · esp-rtos/embassy · trouble-host
//! ```
//!
//! BLE needs nothing here: esp-radio's controller goes straight to `provkit-ble`, the same
//! GATT server the host runs over an H4 controller. Chip-independent logic (reason
//! classification, the flash record format and its power-fail behaviour, DHCP, the portal's
//! DNS loop, the console loop) builds without a chip feature and is tested on the host. The
//! radio-facing modules need `esp32c3` or `esp32c6`.

#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

// Declared first: its macros are visible to the modules below.
#[macro_use]
mod fmt;
pub mod console;
pub mod dhcp;
pub mod dns;
mod error;
pub mod reason;
pub mod rsa;
pub mod store;

#[cfg(feature = "chip")]
pub mod http;
#[cfg(feature = "chip")]
pub mod softap;
#[cfg(feature = "chip")]
pub mod station;

pub use error::Esp32Error;
