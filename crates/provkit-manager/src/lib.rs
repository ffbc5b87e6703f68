//! # provkit-manager: the provisioning state machine
//!
//! Sits above `provkit-wifi` (the prov-config/prov-scan/prov-ctrl handlers, whose backend
//! traits it implements), `provkit-protocomm` (whose `RequestHandler` it implements) and
//! `provkit-hal` (whose plain types it speaks), and below the adapters (`provkit-sim`, chip
//! crates) that own radios, sockets and clocks.
//!
//! ```text
//!   adapter ──calls/LinkEvents/now──► Manager ──Actions──► adapter (radio, store, transports)
//!                                        └──Events──► application
//! ```
//!
//! Sans-I/O: every entry point takes `now` ([`provkit_hal::Instant`]); nothing here reads a
//! clock, spawns a thread or keeps a global. Outputs are queued and drained with
//! [`Manager::poll_action`] and [`Manager::poll_event`].
//!
//! Two personalities over one core ([`types::Personality`]):
//! * **ESP** — `wifi_prov_mgr` semantics (esp-provisioning.md §6): INIT/START/CRED_RECV/
//!   CRED_FAIL/CRED_SUCCESS/END/DEINIT, connection attempts, auto-stop, reprovision.
//! * **TI** — CC32xx NWP provisioning (ti-simplelink.md): modes AP/SC/APSC/APSC+external,
//!   auto-provisioning, confirmation with local or external feedback, status codes 0–17,
//!   the −2014 host-call gate.
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
//! use provkit_manager::{Manager, ManagerConfig, ProvState, Runner, ServiceInfo};
//!
//! let mut station = MockStation::new();
//! let ssid = Ssid::new(b"home").unwrap();
//! let passphrase = Passphrase::new(b"secret-pass").unwrap();
//! station
//!     .add_network(MockNetwork { ssid: ssid.clone(), passphrase: passphrase.clone(),
//!         auth: AuthMode::Wpa2Psk, ip: Some([192, 168, 1, 9]), ..Default::default() })
//!     .unwrap();
//! let mut runner = Runner::new(station, MemoryStore::new());
//! let mut mgr = Manager::new(ManagerConfig::esp(), runner.load_profiles().unwrap()).unwrap();
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
#![warn(missing_docs)]

extern crate alloc;

pub mod backend;
pub mod device;
pub mod error;
pub mod manager;
pub mod runner;
pub mod ti;
pub mod types;

pub use backend::WifiBackend;
pub use device::{
    BleWrite, CustomFn, CustomHandler, Device, EndpointFn, NoHooks, RequestHooks, SendCustomFn,
    SendCustomHandler, SendDevice, scan_limits_for,
};
pub use error::{ManagerError, TiErrorCode};
pub use manager::{AppInfo, MAX_PRIORITY, MAX_PROFILES, Manager, ManagerConfig, SCAN_TIMEOUT_MS};
pub use runner::{Executed, Runner, apply_event, execute_action, read_scan_results};
pub use ti::{TiCommand, TiHostCall, TiStartParams};
pub use types::*;
