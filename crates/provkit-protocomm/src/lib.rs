#![doc = include_str!("../README.md")]
//!
//! ## Design: ESP-IDF protocomm, device side, sans-I/O
//!
//! Sits on `provkit-security` (handshakes, ciphers) and `provkit-proto`, under
//! `provkit-manager` (which implements [`RequestHandler`] for `prov-config`, `prov-scan`,
//! `prov-ctrl` and custom endpoints) and the transport adapters (which own sockets and radios
//! and feed bytes through the framings here).
//!
//! ```text
//!  adapter: HTTP server | GATT server | UART         (I/O, timers, real RNG)
//!      │ HttpRequest       │ write/read/prepare    │ line
//!  ┌───▼────────────┐ ┌────▼──────────┐ ┌──────────▼─────┐
//!  │ http::         │ │ ble::         │ │ console::      │   pure state machines:
//!  │ HttpFraming    │ │ GattTable     │ │ ConsoleFraming │   session ids, limits, errors
//!  └───┬────────────┘ └────┬──────────┘ └──────────┬─────┘
//!      └──────── Protocomm::handle(ClientId, endpoint, body) ─────┘
//!                 │ proto-ver JSON │ prov-session → DeviceSession │ REQ_EP → decrypt →
//!                 │                │                               │ RequestHandler → encrypt
//! ```
//!
//! * [`endpoint`]: the endpoint table (names, classes, BLE 16-bit ids; spec §3.1).
//! * [`proto_ver`]: the `proto-ver` JSON (spec §3.2), byte-identical to `cJSON_Print`.
//! * [`Protocomm`]: dispatch, the verified session and the candidate handshakes beside it;
//!   its module docs state the ownership rules across transports and where they differ from
//!   ESP-IDF on purpose (spec §4.0, §4.5).
//! * [`http`], [`ble`], [`console`]: the transport framings (spec §5.1–§5.3).
//! * [`throttle`]: brute-force throttling of PoP / password guesses (not in the reference):
//!   after [`Throttle::max_failures`] failed proofs within a window, `prov-session` is refused
//!   for a doubling back-off; on by default, configurable with [`Protocomm::set_throttle`],
//!   observable through [`Protocomm::poll_event`], driven by the `now` each call carries.
//! * [`budget`]: the handshake budget (not in the reference): at most
//!   [`HandshakeBudget::max_handshakes`] expensive Command0s per window, the excess refused
//!   before any arithmetic; configurable with [`Protocomm::set_handshake_budget`].
//!
//! Every `Err` from [`Protocomm::handle`] means "no response", the reference's only failure
//! signal; each framing maps it to its transport's form of silence.
//!
//! `no_std` + `alloc`; builds for `thumbv7em-none-eabi` and `riscv32imc-unknown-none-elf`.
//! Randomness (HTTP session ids, handshake secrets) only through the `rand_core` RNG passed in.

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

pub mod ble;
pub mod budget;
mod client;
pub mod console;
pub mod endpoint;
pub mod error;
pub mod hex;
pub mod http;
pub mod proto_ver;
mod protocomm;
pub mod throttle;

pub use budget::HandshakeBudget;
pub use client::{ClientId, TransportKind};
pub use endpoint::{EndpointClass, MAX_ENDPOINT_NAME_LEN};
pub use error::{HandlerError, ProtocommError};
pub use proto_ver::{AppInfo, VersionInfo};
pub use protocomm::{MAX_CANDIDATES, Protocomm, RequestHandler};
pub use provkit_security::{DeviceSecurityConfig, Sec2Patch, SecureRng, rand_core};
pub use throttle::{ProtocommEvent, Throttle, ThrottleState};
