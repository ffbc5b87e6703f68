#![doc = include_str!("../README.md")]
//!
//! ## Design: the loop every async target runs
//!
//! Sits between the transports (BLE GATT, SoftAP HTTP, console; any chip, any host) and the
//! sans-I/O core (`provkit-manager`'s [`Device`]: protocomm + the provisioning manager), over
//! the async traits of `provkit-hal` (station, credential store, timer). It holds nothing
//! chip-specific: a firmware is peripherals → hal implementations → this engine and the
//! transport crates.
//!
//! ```text
//!  BLE task ─ble_write──┐   HTTP task ─http──┐   console ─console_line─┐
//!                       ▼                    ▼                         ▼
//!            ┌──────────────────── Engine (shared by reference) ─────────────────────┐
//!            │ Device (protocomm + manager), framings, rng, clock     lock per call  │
//!            └─────▲───────────────────────────────────────────────────────────┬─────┘
//!                  │ wake                                                      │ progress
//!  Engine::run: select { station.next_event(), timer.wait_until(next_deadline), wake }
//!        └─► tick the manager, execute its actions one by one (execute_action: station,
//!            store), hand transport actions and events to the application's EngineHooks
//! ```
//!
//! Transports call the engine's methods ([`Engine::http`], [`Engine::console_line`],
//! [`Engine::ble_write`] …); each takes the lock for the sans-I/O call only, never across an
//! await, and wakes the run loop so the actions the request queued (ApplyConfig → Connect a
//! second later) are executed at once. Every call into protocomm and the manager carries the
//! time of the engine's clock, so throttles, lockouts, session timeouts and auto-stop behave
//! the same on every target. The actions themselves go through
//! [`provkit_manager::execute_action`], the same code the blocking [`provkit_manager::Runner`]
//! of threaded hosts uses.
//!
//! A blocking ScanStart (esp_prov and the phone apps send one) is answered only once the scan
//! is over, as the reference does: the transport's call awaits the engine's progress until the
//! manager reports the scan finished (the manager bounds a scan by
//! [`provkit_manager::SCAN_TIMEOUT_MS`]).
//!
//! Outside provisioning, [`station`] joins the stored networks at boot and keeps the station
//! on them afterwards.
//!
//! `no_std` + `alloc`; the lock is an `embassy-sync` blocking mutex over any [`RawMutex`]
//! (`NoopRawMutex` for one executor, `CriticalSectionRawMutex` across interrupt priorities).

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
#[cfg(feature = "ble")]
pub mod ble;
#[cfg(feature = "embassy-time")]
pub mod embassy;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "portal")]
pub mod portal;
mod progress;
pub mod station;

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use embassy_futures::select::{Either3, select3};
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::signal::Signal;
use provkit_hal::{Clock, ErrorKind, LinkEvent, asynch};
use provkit_manager::{
    Action, Device, EspEvent, EspManager, Executed, RequestHooks, apply_event, execute_action,
    read_scan_results,
};
use provkit_protocomm::ble::{AttErrorCode, GattTable, NIMBLE_MAX_VALUE_LEN, Uuid128};
use provkit_protocomm::console::ConsoleFraming;
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest};
use provkit_protocomm::{ProtocommEvent, SecureRng};
use provkit_wifi::scan::ScanRequest;

use crate::progress::Progress;

/// Most actions executed between two waits, so a manager and station that keep producing
/// work cannot starve the transports.
pub const MAX_ACTIONS_PER_ROUND: usize = 32;

/// What the application hears from the engine. Every method has a default that does nothing.
pub trait EngineHooks {
    /// A manager event (`CredRecv`, `CredFail`, `CredSuccess` …).
    fn event(&mut self, event: &EspEvent) {
        let _ = event;
    }

    /// A protocomm event (a failed proof, a brute-force lockout).
    fn protocomm_event(&mut self, event: &ProtocommEvent) {
        let _ = event;
    }

    /// A transport-level action: start or stop the provisioning transports, switch role.
    fn transport_action(&mut self, action: &Action) {
        let _ = action;
    }

    /// The station or the store refused an action; the manager has been told.
    fn action_failed(&mut self, action: &Action, kind: ErrorKind) {
        let _ = (action, kind);
    }
}

/// [`EngineHooks`] that ignore everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEngineHooks;

impl EngineHooks for NoEngineHooks {}

/// What the lock guards.
struct State<R> {
    device: Device,
    rng: R,
    http: HttpFraming,
    console: ConsoleFraming,
    gatt: Option<GattTable>,
    ble_service: Uuid128,
    /// The captive portal, once the application enabled it ([`Engine::enable_portal`]).
    #[cfg(feature = "portal")]
    portal: Option<provkit_portal::Portal>,
}

/// One provisioning device shared by its transports and driven by [`Engine::run`].
pub struct Engine<M: RawMutex, R, K> {
    state: Mutex<M, RefCell<State<R>>>,
    clock: K,
    /// A transport handled a request: the run loop has work.
    wake: Signal<M, ()>,
    /// The run loop finished a round: transports waiting on the manager look again.
    progress: Progress<M>,
}

impl<M: RawMutex, R: SecureRng, K: Clock> Engine<M, R, K> {
    /// Wraps a device (usually already started with [`Device::start`]). `rng` feeds protocomm
    /// (session ids, handshake secrets); `clock` is the time base of every call and must be
    /// the clock of the timer given to [`Self::run`]; `ble_service` is the GATT service UUID.
    pub fn new(device: Device, rng: R, clock: K, ble_service: Uuid128) -> Self {
        Self {
            state: Mutex::new(RefCell::new(State {
                device,
                rng,
                http: HttpFraming::new(),
                console: ConsoleFraming::new(),
                gatt: None,
                ble_service,
                #[cfg(feature = "portal")]
                portal: None,
            })),
            clock,
            wake: Signal::new(),
            progress: Progress::new(),
        }
    }

    /// Runs `f` on the device (start, stop, register endpoints, read state) and wakes the run
    /// loop for whatever it queued.
    pub fn with_device<T>(&self, f: impl FnOnce(&mut Device) -> T) -> T {
        let result = self.lock(|state| f(&mut state.device));
        self.wake.signal(());
        result
    }

    /// The engine's clock.
    pub fn now(&self) -> provkit_hal::Instant {
        self.clock.now()
    }

    /// One HTTP request (SoftAP transport).
    pub async fn http(&self, request: &HttpRequest<'_>) -> HttpOutcome {
        let now = self.clock.now();
        let (outcome, hold) = self.lock(|state| {
            let mut hooks = TransportHooks::default();
            let outcome =
                state
                    .device
                    .handle_http(&mut state.http, request, &mut hooks, &mut state.rng, now);
            (outcome, hooks.hold_for_scan)
        });
        self.after_request(hold).await;
        outcome
    }

    /// The HTTP connection `connection` closed.
    pub fn http_connection_closed(&self, connection: u32) {
        self.lock(|state| state.http.connection_closed(connection));
    }

    /// One console line: `Some(text)` is written back, `None` means write nothing.
    pub async fn console_line(&self, line: &[u8]) -> Option<String> {
        let now = self.clock.now();
        let (answer, hold) = self.lock(|state| {
            let mut hooks = TransportHooks::default();
            let answer = state.device.handle_console_line(
                &mut state.console,
                line,
                &mut hooks,
                &mut state.rng,
                now,
            );
            (answer, hooks.hold_for_scan)
        });
        self.after_request(hold).await;
        answer
    }

    /// The console's line-length limit.
    pub fn console_max_line(&self) -> usize {
        self.lock(|state| state.console.max_line())
    }

    /// The GATT service's endpoints (name, characteristic UUID) in characteristic order;
    /// empty while provisioning is not running.
    pub fn ble_endpoints(&self) -> Vec<(String, Uuid128)> {
        self.lock(|state| {
            state
                .gatt()
                .map(|gatt| {
                    gatt.characteristics()
                        .iter()
                        .map(|c| (c.endpoint.clone(), c.uuid))
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// A BLE central connected.
    pub fn ble_connected(&self, connection: u16) {
        let now = self.clock.now();
        self.lock(|state| {
            state.gatt();
            let State { device, gatt, .. } = &mut *state;
            if let Some(gatt) = gatt.as_mut() {
                // A refusal (another transport's client owns provisioning) keeps the link;
                // the central's requests are refused the same way.
                if let Err(e) = device.ble_connect(gatt, connection, now) {
                    dropped!("BLE connect", e);
                }
            }
        });
        self.wake.signal(());
    }

    /// A BLE central left.
    pub fn ble_disconnected(&self, connection: u16) {
        self.lock(|state| {
            let State { device, gatt, .. } = &mut *state;
            if let Some(gatt) = gatt.as_mut() {
                device.ble_disconnect(gatt, connection);
            }
        });
        self.wake.signal(());
    }

    /// A whole value written to characteristic `index` by `connection`: the response the
    /// central reads next, or the ATT error to answer the write with.
    pub async fn ble_write(
        &self,
        connection: u16,
        index: usize,
        data: &[u8],
    ) -> Result<Vec<u8>, AttErrorCode> {
        let now = self.clock.now();
        let (result, hold) = self.lock(|state| {
            state.gatt();
            let State {
                device, gatt, rng, ..
            } = &mut *state;
            let Some(gatt) = gatt.as_mut() else {
                return (Err(AttErrorCode::InvalidHandle), false);
            };
            let mut hooks = TransportHooks::default();
            let write = provkit_manager::BleWrite {
                connection,
                index,
                data,
            };
            let result = device
                .ble_write(gatt, write, &mut hooks, rng, now)
                .and_then(|()| gatt.read_value(connection, index).map(<[u8]>::to_vec));
            (result, hooks.hold_for_scan)
        });
        self.after_request(hold).await;
        result
    }

    /// Drives the device until the end of time: executes the manager's actions on `station`
    /// and `store`, feeds the station's events back, fires deadlines with `timer` (whose clock
    /// must be the engine's), and tells `hooks` what happened.
    pub async fn run<S, C, T, H>(
        &self,
        station: &mut S,
        store: &mut C,
        timer: &mut T,
        hooks: &mut H,
    ) -> !
    where
        S: asynch::WifiStation,
        C: asynch::CredentialStore,
        T: asynch::Timer,
        H: EngineHooks,
    {
        loop {
            self.pump(station, store, hooks).await;
            let deadline = self.lock(|state| state.device.manager.next_deadline());
            let at_deadline = async {
                match deadline {
                    Some(at) => timer.wait_until(at).await,
                    None => core::future::pending().await,
                }
            };
            if let Either3::First(event) =
                select3(station.next_event(), at_deadline, self.wake.wait()).await
            {
                self.deliver(station, &event, hooks).await;
            }
        }
    }

    /// Ticks the manager and executes its actions until it has none (bounded), then drains
    /// its events to `hooks` and lets waiting transports look again.
    async fn pump<S, C, H>(&self, station: &mut S, store: &mut C, hooks: &mut H)
    where
        S: asynch::WifiStation,
        C: asynch::CredentialStore,
        H: EngineHooks,
    {
        let now = self.clock.now();
        self.lock(|state| state.device.on_tick(now));
        for _ in 0..MAX_ACTIONS_PER_ROUND {
            let Some(action) = self.lock(|state| state.device.manager.poll_action()) else {
                break;
            };
            // The lock is not held while the station or the store works.
            match execute_action(&action, station, store).await {
                Executed::Done => {}
                Executed::ForAdapter => hooks.transport_action(&action),
                Executed::Failed(kind) => {
                    let now = self.clock.now();
                    self.lock(|state| state.device.manager.on_action_failed(&action, now));
                    hooks.action_failed(&action, kind);
                }
            }
        }
        self.drain_events(hooks);
        self.progress.advance();
    }

    /// One station event into the manager (scan results read first, outside the lock).
    async fn deliver<S, H>(&self, station: &mut S, event: &LinkEvent, hooks: &mut H)
    where
        S: asynch::WifiStation,
        H: EngineHooks,
    {
        let mut results = None;
        if *event == LinkEvent::ScanDone {
            let max = self.lock(|state| state.device.manager.config().max_scan_results);
            match read_scan_results(station, max).await {
                Ok(found) => results = found,
                Err(kind) => hooks.action_failed(&Action::StartScan(Default::default()), kind),
            }
        }
        let now = self.clock.now();
        self.lock(|state| {
            apply_event(&mut state.device.manager, event, results.as_deref(), now);
        });
    }

    fn drain_events<H: EngineHooks>(&self, hooks: &mut H) {
        loop {
            let (event, protocomm_event) = self.lock(|state| {
                (
                    state.device.manager.poll_event(),
                    state.device.poll_protocomm_event(),
                )
            });
            if event.is_none() && protocomm_event.is_none() {
                break;
            }
            if let Some(event) = event {
                hooks.event(&event);
            }
            if let Some(event) = protocomm_event {
                hooks.protocomm_event(&event);
            }
        }
    }

    /// Wakes the run loop for the actions a request queued; holds the caller while a blocking
    /// scan it started runs.
    async fn after_request(&self, hold_for_scan: bool) {
        self.wake.signal(());
        if !hold_for_scan {
            return;
        }
        loop {
            let seen = self.progress.current();
            if self.lock(|state| scan_finished(&state.device.manager)) {
                return;
            }
            self.progress.changed_since(seen).await;
        }
    }

    fn lock<T>(&self, f: impl FnOnce(&mut State<R>) -> T) -> T {
        self.state.lock(|cell| f(&mut cell.borrow_mut()))
    }
}

impl<R> State<R> {
    /// The GATT table for the running protocomm, built on first use and dropped with it.
    fn gatt(&mut self) -> Option<&GattTable> {
        match self.device.protocomm() {
            None => self.gatt = None,
            Some(protocomm) if self.gatt.is_none() => {
                self.gatt = Some(GattTable::new(
                    self.ble_service,
                    protocomm.endpoints(),
                    NIMBLE_MAX_VALUE_LEN,
                ));
            }
            Some(_) => {}
        }
        self.gatt.as_ref()
    }
}

fn scan_finished(manager: &EspManager) -> bool {
    manager.scan_status().0
}

/// The engine's part of request dispatch: notices a blocking ScanStart.
#[derive(Default)]
struct TransportHooks {
    hold_for_scan: bool,
}

impl RequestHooks for TransportHooks {
    fn after_wifi_request(&mut self, manager: &mut EspManager, endpoint: &str, plaintext: &[u8]) {
        if endpoint == "prov-scan"
            && matches!(ScanRequest::decode(plaintext), Ok(ScanRequest::Start(config)) if config.blocking)
            && !scan_finished(manager)
        {
            self.hold_for_scan = true;
        }
    }
}
