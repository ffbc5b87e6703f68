#![doc = include_str!("../README.md")]
//!
//! ## Design: the provisioning state machine
//!
//! Sits above `provkit-wifi` (the prov-config/prov-scan/prov-ctrl handlers, whose backend
//! traits it implements), `provkit-protocomm` (whose `RequestHandler` it implements) and
//! `provkit-hal` (whose plain types it speaks), and below the adapters (`provkit-sim`, chip
//! crates) that own radios, sockets and clocks.
//!
//! ```text
//!   adapter ──calls/LinkEvents/now──► Manager<P> ──Actions──► adapter (radio, store, transports)
//!                                        └──P::Event──► application
//! ```
//!
//! Sans-I/O: every entry point takes `now` ([`provkit_hal::Instant`]); nothing here reads a
//! clock, spawns a thread or keeps a global. Outputs are queued and drained with
//! [`Manager::poll_action`] and [`Manager::poll_event`].
//!
//! ## One core, two personalities
//!
//! ```text
//!                 EspManager = Manager<Esp>          TiManager = Manager<Ti>
//!   own API:      start/stop/auto-stop, reprov,      sl_WlanProvisioning modes, auto-
//!                 endpoints & app info,              provisioning, feedback, status 0–17,
//!                 attempts_remaining, CRED_* events  the −2014 gate, TiEvent
//!                          │  decisions (Personality)  │
//!   core (machine): profiles & priorities · the attempt, its phases and deadlines ·
//!                   persist only after confirmation · scan · window · Action queue
//! ```
//!
//! The core ([`Manager<P>`] with the shared state) holds what both products have in common.
//! Each personality is its own type with its own API: [`EspManager`] follows ESP-IDF's
//! `wifi_prov_mgr` (esp-provisioning.md §6), [`TiManager`] TI's CC32xx NWP provisioning
//! (ti-simplelink.md). The two are linked only through the core: `esp` and `ti` never import
//! each other, and nothing checks at run time which one it holds. Each type has its own calls:
//!
//! ```
//! # use provkit_manager::{EspConfig, EspManager, ServiceInfo, TiCommand, TiConfig, TiManager};
//! # use provkit_hal::Instant;
//! let mut esp = EspManager::new(EspConfig::default(), Vec::new()).unwrap();
//! esp.start(ServiceInfo::default(), Instant::from_millis(0)).unwrap();
//! let mut ti = TiManager::new(TiConfig::default(), Vec::new()).unwrap();
//! assert!(ti.provisioning(TiCommand::Stop { role: None }, Instant::from_millis(0)).is_err());
//! ```
//!
//! and a TI call on an ESP manager, or an ESP call on a TI manager, does not compile:
//!
//! ```compile_fail
//! # use provkit_manager::{EspConfig, EspManager, TiCommand};
//! # use provkit_hal::Instant;
//! let mut esp = EspManager::new(EspConfig::default(), Vec::new()).unwrap();
//! esp.provisioning(TiCommand::Stop { role: None }, Instant::from_millis(0));
//! ```
//!
//! ```compile_fail
//! # use provkit_manager::{ServiceInfo, TiConfig, TiManager};
//! # use provkit_hal::Instant;
//! let mut ti = TiManager::new(TiConfig::default(), Vec::new()).unwrap();
//! ti.start(ServiceInfo::default(), Instant::from_millis(0));
//! ```
//!
//! Where the products differ inside a shared moment — a disconnect (ESP retries within
//! `wifi_conn_attempts`, TI reports one outcome per profile), an address (ESP confirms, TI
//! waits for the phone's feedback), an expired window, the end of a stop, the events to
//! report, timers of its own — the core asks the sealed [`Personality`] trait, which `Esp`
//! and `Ti` implement. The personality's public API drives the core through crate-internal
//! operations (begin a session, start/retry/fail/confirm an attempt). Code that serves
//! either personality (the [`Runner`], [`Device`], the async engine) is generic over
//! `P: Personality`; each instance contains only its personality's code, so an ESP-only
//! firmware links no TI code.
//!
//! Beyond both references: credentials are persisted ([`types::Action::Persist`]) only after
//! the connection is confirmed, a failed attempt goes straight back to accepting credentials
//! in the same session, up to 7 prioritised profiles are kept, an optional provisioning
//! window stops an idle session, and the rich failure reason ([`types::FailReason`]) behind
//! ESP's two wire reasons is exposed.
//!
//! ```
//! use provkit_hal::mock::{MemoryStore, MockNetwork, MockStation};
//! use provkit_hal::{AuthMode, Credentials, Instant, Passphrase, Ssid};
//! use provkit_manager::{EspConfig, EspManager, ProvState, Runner, ServiceInfo};
//!
//! let mut station = MockStation::new();
//! let ssid = Ssid::new(b"home").unwrap();
//! let passphrase = Passphrase::new(b"secret-pass").unwrap();
//! station
//!     .add_network(MockNetwork { ssid: ssid.clone(), passphrase: passphrase.clone(),
//!         auth: AuthMode::Wpa2Psk, ip: Some([192, 168, 1, 9]), ..Default::default() })
//!     .unwrap();
//! let mut runner = Runner::new(station, MemoryStore::new());
//! let mut mgr = EspManager::new(EspConfig::default(), runner.load_profiles().unwrap()).unwrap();
//! let t = Instant::from_millis;
//! mgr.start(ServiceInfo::default(), t(0)).unwrap();
//! mgr.set_config(Credentials { ssid, passphrase, bssid: None, channel: None }, t(0)).unwrap();
//! mgr.apply_config(t(0)).unwrap();
//! runner.pump(&mut mgr, t(1_000)); // connect 1 s after ApplyConfig; GotIp confirms
//! assert_eq!(mgr.state(), ProvState::Success);
//! assert_eq!(runner.store.profiles().len(), 1); // persisted only now
//! ```

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

pub mod backend;
pub mod device;
pub mod error;
pub mod esp;
mod machine;
pub mod runner;
pub mod ti;
pub mod types;

pub use backend::WifiBackend;
pub use device::{
    AppEndpoints, BleWrite, CustomFn, CustomHandler, Device, EndpointFn, NoHooks, RequestHooks,
    SendCustomFn, SendCustomHandler, SendDevice, scan_limits_for,
};
pub use error::{ManagerError, TiErrorCode};
pub use esp::{AppInfo, Esp, EspConfig, EspEvent, EspManager};
pub use machine::{MAX_PRIORITY, MAX_PROFILES, Manager, Personality, SCAN_TIMEOUT_MS};
pub use runner::{Executed, Runner, apply_event, execute_action, read_scan_results};
pub use ti::{
    ResetCaller, Ti, TiCommand, TiConfig, TiEvent, TiHostCall, TiManager, TiMode, TiStartParams,
    TiStatus, TiWlanStatus,
};
pub use types::*;
