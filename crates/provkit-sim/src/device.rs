//! [`SimDevice`]: the whole simulated provisioning device — provkit-manager's `Device`
//! (protocomm + manager, as a [`SendDevice`]), the simulated station and the file store —
//! behind the transports of this crate.
//!
//! ```text
//!  HttpServer ──HttpRequest──► SimDevice::handle_http ─► Device::handle_http (HttpFraming)
//!  console    ──line─────────► SimDevice::handle_console ─► Device::handle_console_line
//!                                   │ Protocomm: proto-ver / prov-session / decrypt
//!                                   ▼
//!                               Device's dispatcher (RequestHandler)
//!                                   ├─ prov-config|prov-scan|prov-ctrl → Manager (provkit-wifi)
//!                                   │    └─ SimHooks::after_wifi_request: pump, blocking scan
//!                                   └─ custom endpoints → SimHooks: "SUCCESS" + CustomData
//!  after every request and tick: Runner::pump → SimStation / FileStore; events → SimEvent
//! ```
//!
//! The simulator adds no protocol logic: the same `Device` path serves the e2e tests and the
//! firmware. Custom endpoints are served through [`RequestHooks`] rather than registered
//! closures because the HTTP server needs a `Send` device.
//!
//! A `blocking` ScanStart is answered only after the scan finished, like the reference: the
//! hook pumps the station on the wall clock until the manager has the results.

use crate::SimError;
use crate::console::ConsoleDevice;
use crate::env::RadioEnv;
use crate::http::{Answer, ConnectionId, HttpDevice, HttpRequest};
use crate::station::{SimClock, SimStation};
use crate::store::FileStore;
use provkit_hal::{Clock, Instant};
use provkit_manager::{
    Action, BleWrite, EspConfig, EspEvent, EspManager, RequestHooks, Runner, SendDevice,
    ServiceInfo,
};
use provkit_portal::{EspBackend, Portal, PortalRequest};
use provkit_protocomm::ble::{AttErrorCode, GattTable, NIMBLE_MAX_VALUE_LEN, Uuid128};
use provkit_protocomm::console::ConsoleFraming;
use provkit_protocomm::http::HttpFraming;
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, HandlerError, HandshakeBudget, ProtocommEvent, Throttle,
    TransportKind, VersionInfo,
};
use provkit_security::rand_core::SeedableRng;
use provkit_wifi::scan::ScanRequest;
use rand_chacha::ChaCha20Rng;

/// Reply of the custom endpoints (what ESP-IDF's example custom handler answers).
pub const CUSTOM_REPLY: &[u8] = b"SUCCESS";
/// Longest a blocking ScanStart waits for the scan.
const BLOCKING_SCAN_LIMIT_MS: u64 = 20_000;

/// How to build the device.
#[derive(Debug, Clone)]
pub struct DeviceOptions {
    pub security: DeviceSecurityConfig,
    /// SoftAP SSID / service name.
    pub service_name: String,
    /// Application endpoints (e.g. `custom-data`), created before start like
    /// `wifi_prov_mgr_endpoint_create`.
    pub custom_endpoints: Vec<String>,
    pub manager: EspConfig,
}

impl DeviceOptions {
    /// ESP personality with auto-stop disabled: the simulator keeps serving after success so
    /// `prov-ctrl` Reprov works and one sim can be provisioned many times.
    pub fn esp(security: DeviceSecurityConfig, service_name: &str) -> Self {
        DeviceOptions {
            security,
            service_name: service_name.to_string(),
            custom_endpoints: vec!["custom-data".to_string()],
            manager: EspConfig {
                auto_stop_ms: None,
                ..EspConfig::default()
            },
        }
    }
}

/// What the device reports to its user (the CLI prints these).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimEvent {
    Manager(EspEvent),
    CustomData {
        endpoint: String,
        data: Vec<u8>,
    },
    /// The manager took the transports down (auto-stop, stop).
    TransportsStopped,
    /// A station or store operation the manager asked for failed.
    ActionFailed(String),
    /// Protocomm's brute-force throttle: a wrong PoP/password, or a lockout of new sessions.
    Protocomm(ProtocommEvent),
    /// The BLE peripheral advertises (again) and can be found.
    BleAdvertising,
    /// A BLE central connected (`up`) or left.
    BleLink {
        connection: u16,
        up: bool,
    },
}

/// The simulated device.
pub struct SimDevice {
    device: SendDevice,
    http: HttpFraming,
    console: ConsoleFraming,
    /// The GATT service's framing state (built from protocomm's endpoint table at start).
    gatt: Option<GattTable>,
    runner: Runner<SimStation, FileStore>,
    clock: SimClock,
    rng: ChaCha20Rng,
    custom: Vec<String>,
    events: Vec<SimEvent>,
    reported_failures: usize,
    /// The captive portal, when the application enabled it ([`SimDevice::enable_portal`]).
    portal: Option<Portal>,
}

impl core::fmt::Debug for SimDevice {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SimDevice")
            .field("state", &self.device.manager.state())
            .finish_non_exhaustive()
    }
}

impl SimDevice {
    /// Builds and starts provisioning. `seed` fixes the RNG (tests); `None` seeds from the OS.
    pub fn new(
        options: DeviceOptions,
        env: RadioEnv,
        store: FileStore,
        clock: SimClock,
        seed: Option<[u8; 32]>,
    ) -> Result<SimDevice, SimError> {
        let seed = match seed {
            Some(s) => s,
            None => {
                let mut s = [0u8; 32];
                getrandom::fill(&mut s).map_err(|e| SimError::Io {
                    context: "seeding the random number generator".into(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                s
            }
        };
        let now = clock.now();
        let mut runner = Runner::new(SimStation::new(env, clock.clone()), store);
        let profiles = runner
            .load_profiles()
            .map_err(|kind| SimError::Manager(format!("loading stored profiles: {kind}")))?;
        let manager_err = |what: &str, e: provkit_manager::ManagerError| {
            SimError::Manager(format!("{what}: {e:?}"))
        };
        let mut manager =
            EspManager::new(options.manager, profiles).map_err(|e| manager_err("init", e))?;
        for name in &options.custom_endpoints {
            manager
                .endpoint_create(name)
                .map_err(|e| manager_err("endpoint_create", e))?;
        }
        let service = ServiceInfo {
            name: options.service_name.clone().into_bytes(),
            key: Vec::new(),
        };
        let mut inner = SendDevice::new_send(manager, VersionInfo::default());
        inner
            .start(options.security, service, now)
            .map_err(|e| manager_err("start", e))?;
        for name in &options.custom_endpoints {
            // Registered with the manager only: SimHooks serves them (no boxed closure, so
            // the device stays `Send`).
            inner
                .manager
                .endpoint_register(name)
                .map_err(|e| manager_err("endpoint_register", e))?;
        }
        let gatt = inner.protocomm().map(|protocomm| {
            GattTable::new(
                Uuid128::EXAMPLE_SERVICE,
                protocomm.endpoints(),
                NIMBLE_MAX_VALUE_LEN,
            )
        });
        let mut device = SimDevice {
            device: inner,
            http: HttpFraming::new(),
            console: ConsoleFraming::default(),
            gatt,
            runner,
            clock,
            rng: ChaCha20Rng::from_seed(seed),
            custom: options.custom_endpoints,
            events: Vec::new(),
            reported_failures: 0,
            portal: None,
        };
        device.pump();
        Ok(device)
    }

    pub fn manager(&self) -> &EspManager {
        &self.device.manager
    }

    /// The provkit-manager device inside (protocomm + manager).
    pub fn device(&self) -> &SendDevice {
        &self.device
    }

    /// Replaces protocomm's brute-force throttle (`None` turns it off); for a short back-off
    /// in tests and demos. The default is [`Throttle::DEFAULT`].
    pub fn set_throttle(&mut self, throttle: Option<Throttle>) {
        if let Some(protocomm) = self.device.protocomm_mut() {
            protocomm.set_throttle(throttle);
        }
    }

    /// Serves the captive portal beside protocomm on the HTTP transport (off until called):
    /// its page, JSON API and connectivity-check redirects ([`Portal::serves`]) go to the
    /// portal, every other path to protocomm, both over the same manager.
    pub fn enable_portal(&mut self, portal: Portal) {
        self.portal = Some(portal);
    }

    /// Replaces protocomm's handshake budget (`None`: every Command0 is computed).
    pub fn set_handshake_budget(&mut self, budget: Option<HandshakeBudget>) {
        if let Some(protocomm) = self.device.protocomm_mut() {
            protocomm.set_handshake_budget(budget);
        }
    }

    /// Runs timers, station events and queued actions; collects events.
    pub fn pump(&mut self) {
        let now = self.clock.now();
        let for_adapter = self.runner.pump(&mut self.device.manager, now);
        self.device.on_tick(now);
        for action in for_adapter {
            if action == Action::StopTransports {
                self.events.push(SimEvent::TransportsStopped);
            }
        }
        for (action, kind) in self.runner.failures.iter().skip(self.reported_failures) {
            self.events
                .push(SimEvent::ActionFailed(format!("{action:?}: {kind}")));
        }
        self.reported_failures = self.runner.failures.len();
        while let Some(event) = self.device.manager.poll_event() {
            self.events.push(SimEvent::Manager(event));
        }
        while let Some(event) = self.device.poll_protocomm_event() {
            self.events.push(SimEvent::Protocomm(event));
        }
    }

    /// Events since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<SimEvent> {
        core::mem::take(&mut self.events)
    }

    /// When something is next due (ms on the device clock), so a loop can sleep until then.
    pub fn next_wakeup_ms(&self) -> Option<u64> {
        let manager = self.device.manager.next_deadline().map(Instant::as_millis);
        let station = self.runner.station.radio.next_event_at();
        [manager, station].into_iter().flatten().min()
    }

    /// The GATT service's endpoints (name, characteristic UUID), in characteristic order;
    /// empty when protocomm is not running.
    pub fn ble_endpoints(&self) -> Vec<(String, Uuid128)> {
        self.gatt
            .iter()
            .flat_map(|g| g.characteristics())
            .map(|c| (c.endpoint.clone(), c.uuid))
            .collect()
    }

    /// The BLE peripheral advertises.
    pub fn ble_advertising(&mut self) {
        self.events.push(SimEvent::BleAdvertising);
    }

    /// A BLE central connected: its protocomm session opens (refused, and the link kept, while
    /// a client of another transport owns provisioning).
    pub fn ble_connected(&mut self, connection: u16) {
        self.pump();
        if let Some(gatt) = self.gatt.as_mut() {
            // A refusal is protocomm's ownership rule at work; the central's requests will be
            // refused the same way, so there is nothing else to do with it here.
            let _ = self.device.ble_connect(gatt, connection, self.clock.now());
        }
        self.events.push(SimEvent::BleLink {
            connection,
            up: true,
        });
    }

    /// A BLE central left: its queued long write and its session go.
    pub fn ble_disconnected(&mut self, connection: u16) {
        if let Some(gatt) = self.gatt.as_mut() {
            self.device.ble_disconnect(gatt, connection);
        }
        self.events.push(SimEvent::BleLink {
            connection,
            up: false,
        });
        self.pump();
    }

    /// A whole value written to characteristic `index` by `connection`: the response the
    /// central reads next, or the ATT error to answer the write with.
    pub fn ble_write(
        &mut self,
        connection: u16,
        index: usize,
        data: &[u8],
    ) -> Result<Vec<u8>, AttErrorCode> {
        let Some(mut gatt) = self.gatt.take() else {
            return Err(AttErrorCode::InvalidHandle);
        };
        let write = BleWrite {
            connection,
            index,
            data,
        };
        let result = self.with_device(|device, hooks, rng, _, _, now| {
            device.ble_write(&mut gatt, write, hooks, rng, now)
        });
        let response = result.and_then(|()| gatt.read_value(connection, index).map(<[u8]>::to_vec));
        self.gatt = Some(gatt);
        response
    }

    /// Runs `f` with the inner device, the framings, the RNG and the hooks borrowing the rest
    /// of the simulator (disjoint fields, so no copies); pumps before and after.
    fn with_device<T>(
        &mut self,
        f: impl FnOnce(
            &mut SendDevice,
            &mut SimHooks<'_>,
            &mut ChaCha20Rng,
            &mut HttpFraming,
            &mut ConsoleFraming,
            Instant,
        ) -> T,
    ) -> T {
        self.pump();
        let now = self.clock.now();
        let SimDevice {
            device,
            http,
            console,
            runner,
            clock,
            rng,
            custom,
            events,
            ..
        } = self;
        let mut hooks = SimHooks {
            runner,
            clock,
            custom,
            events,
        };
        let result = f(device, &mut hooks, rng, http, console, now);
        self.pump();
        result
    }
}

/// The simulator's part of request dispatch: runs the station after built-in requests and
/// serves the custom endpoints.
struct SimHooks<'a> {
    runner: &'a mut Runner<SimStation, FileStore>,
    clock: &'a SimClock,
    custom: &'a [String],
    events: &'a mut Vec<SimEvent>,
}

impl RequestHooks for SimHooks<'_> {
    fn custom_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HandlerError> {
        if !self.custom.iter().any(|c| c == endpoint) {
            return Err(HandlerError::new("no handler for this endpoint"));
        }
        self.events.push(SimEvent::CustomData {
            endpoint: endpoint.to_string(),
            data: plaintext.to_vec(),
        });
        Ok(CUSTOM_REPLY.to_vec())
    }

    fn after_wifi_request(&mut self, manager: &mut EspManager, endpoint: &str, plaintext: &[u8]) {
        self.runner.pump(manager, self.clock.now());
        if endpoint == "prov-scan"
            && matches!(ScanRequest::decode(plaintext), Ok(ScanRequest::Start(cfg)) if cfg.blocking)
        {
            self.wait_for_scan(manager);
        }
    }
}

impl SimHooks<'_> {
    /// Holds a blocking ScanStart's answer until the scan finished (wall clock only; a manual
    /// clock is moved by its test, which then polls ScanStatus).
    fn wait_for_scan(&mut self, manager: &mut EspManager) {
        if !matches!(self.clock, SimClock::Wall(_)) {
            return;
        }
        let started = self.clock.now_ms();
        while !manager.scan_status().0
            && self.clock.now_ms().saturating_sub(started) < BLOCKING_SCAN_LIMIT_MS
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
            self.runner.pump(manager, self.clock.now());
        }
    }
}

impl HttpDevice for SimDevice {
    fn handle_http(&mut self, request: HttpRequest<'_>) -> Answer {
        if self.portal.is_some() && Portal::serves(request.path) {
            let mut portal = self.portal.take();
            let response = self.with_device(|device, _, _, _, _, now| {
                let portal_request = PortalRequest {
                    method: request.method,
                    target: request.path,
                    body: request.body,
                    client: ClientId::new(TransportKind::Http, request.connection),
                };
                portal
                    .as_mut()
                    .map(|p| p.handle(&mut EspBackend::new(device), &portal_request, now))
            });
            self.portal = portal;
            return response.map_or(Answer::Close, Answer::Reply);
        }
        let outcome = self.with_device(|device, hooks, rng, http, _, now| {
            device.handle_http(http, &request, hooks, rng, now)
        });
        match outcome {
            provkit_protocomm::http::HttpOutcome::Close => Answer::Close,
            provkit_protocomm::http::HttpOutcome::Reply(reply) => {
                reply.into_response().map_or(Answer::Close, Answer::Reply)
            }
        }
    }

    fn connection_closed(&mut self, connection: ConnectionId) {
        match self.device.protocomm_mut() {
            Some(protocomm) => self.http.on_connection_closed(connection, protocomm),
            None => self.http.connection_closed(connection),
        }
    }
}

impl ConsoleDevice for SimDevice {
    fn max_line(&self) -> usize {
        self.console.max_line()
    }

    fn handle_console_line(&mut self, line: &[u8]) -> Option<String> {
        self.with_device(|device, hooks, rng, _, console, now| {
            device.handle_console_line(console, line, hooks, rng, now)
        })
    }

    fn console_gone(&mut self) {
        if let Some(protocomm) = self.device.protocomm_mut() {
            self.console.console_gone(protocomm);
        }
    }
}
