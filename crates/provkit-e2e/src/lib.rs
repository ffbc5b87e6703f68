//! # provkit-e2e: in-memory device/client pairs for end-to-end tests
//!
//! Test-only crate (`publish = false`), at the top of the stack next to the adapters. It runs
//! the production device path — `provkit_manager::Device` (protocomm + manager + custom
//! endpoint handlers) through its framing entry points (`handle_http`,
//! `handle_console_line`, `ble_*`), the manager's blocking [`Runner`] over the `provkit-hal`
//! mocks ([`MockStation`], [`MemoryStore`], [`ManualClock`]) — and gives `provkit-client` a
//! [`Transport`] for each framing, so complete provisioning runs happen in one process, in
//! virtual time, with seeded randomness:
//!
//! ```text
//!  provkit_client::Client ─▶ HttpLink    ─▶ Device::handle_http ──────────┐
//!                         ─▶ BleLink     ─▶ Device::ble_write/execute ────┼▶ Protocomm ─▶ Manager
//!                         ─▶ ConsoleLink ─▶ Device::handle_console_line ──┘   (provkit-wifi handlers,
//!                                                                              custom closures)
//!  Manager ─Actions─▶ Runner ─▶ SlowStation(MockStation) / MemoryStore ─LinkEvents─▶ Manager
//! ```
//!
//! [`device_path`] drives the same scenarios through `Device::handle` (no framing) and the
//! console framing's sans-I/O half, and the TI personality through a `Device<Ti>`.
//!
//! * Time is a [`ManualClock`]: every exchange advances it by [`SimDevice::step_ms`]; due
//!   radio events and manager timers fire at their own instants on the way.
//! * The radio is hal's [`MockStation`] (unknown SSID → not found, wrong passphrase → auth
//!   failure) behind [`SlowStation`], which delivers its events with a realistic latency so
//!   status polling can observe "connecting" and "attempt failed".
//! * Randomness: [`DetRng`] hands out scripted bytes first (to replay recorded device
//!   randomness), then a seeded xorshift stream.

#![forbid(unsafe_code)]

pub mod device_path;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use provkit_client::{Transport, TransportError};
use provkit_hal::mock::{ManualClock, MemoryStore, MockNetwork, MockStation};
use provkit_hal::{
    AuthMode, Bssid, Clock, Credentials, DisconnectReason, ErrorKind, ErrorType, Instant,
    LinkEvent, Passphrase, Profile, ScanConfig, ScanEntry, Ssid, WifiStation,
};
use provkit_manager::{
    Action, AppEndpoints, BleWrite, Device, Esp, EspConfig, EspEvent, EspManager, ManagerError,
    NoHooks, Runner, ServiceInfo, TiConfig, TiManager,
};
use provkit_protocomm::ble::{GattTable, Uuid128};
use provkit_protocomm::console::{ConsoleFraming, format_line, parse_response};
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest};
use provkit_protocomm::{ClientId, DeviceSecurityConfig, HandlerError, VersionInfo};
/// The service UUID the Espressif examples set (spec §5.2).
pub const EXAMPLE_SERVICE_UUID: &str = "021a9004-0382-4aea-bff4-6b3f1c5adfb4";

/// Scripted bytes first, then a seeded xorshift64* stream. Deterministic by construction.
/// Build it with `DetRng::seeded(seed)`, optionally `.with_script(&chunks)` to replay recorded
/// device randomness first; `remaining()` is the number of scripted bytes not consumed yet.
/// The implementation is the shared test-support RNG.
pub type DetRng = provkit_testkit::ScriptedRng;

/// One simulated access point.
#[derive(Debug, Clone)]
pub struct SimAp {
    /// SSID.
    pub ssid: Vec<u8>,
    /// The passphrase that authenticates (empty = open).
    pub passphrase: Vec<u8>,
    /// BSSID.
    pub bssid: [u8; 6],
    /// Channel.
    pub channel: u8,
    /// Signal.
    pub rssi: i8,
    /// Auth mode.
    pub auth: AuthMode,
}

impl SimAp {
    /// A WPA2-PSK access point.
    pub fn wpa2(ssid: &str, passphrase: &str, channel: u8, rssi: i8) -> Self {
        Self {
            ssid: ssid.as_bytes().to_vec(),
            passphrase: passphrase.as_bytes().to_vec(),
            bssid: [0x24, 0xa1, 0x60, 0x11, 0xee, channel],
            channel,
            rssi,
            auth: AuthMode::Wpa2Psk,
        }
    }

    /// The hal mock network for this AP; DHCP hands out [`SIM_IP`].
    pub fn to_mock(&self) -> MockNetwork {
        MockNetwork {
            ssid: Ssid::new(&self.ssid).unwrap_or_default(),
            passphrase: Passphrase::new(&self.passphrase).unwrap_or_default(),
            bssid: Bssid(self.bssid),
            channel: self.channel,
            rssi: self.rssi,
            auth: self.auth,
            ip: Some(SIM_IP),
        }
    }
}

/// The address every simulated AP's DHCP server hands out.
pub const SIM_IP: [u8; 4] = [192, 168, 1, 42];

/// Driver reason code 205 (`WIFI_REASON_CONNECTION_FAIL`): what a flaky radio reports.
pub const CONNECTION_FAIL_REASON: u16 = 205;

/// Everything a simulated device is built from.
#[derive(Clone)]
pub struct DeviceSetup {
    /// Security scheme and secrets.
    pub security: DeviceSecurityConfig,
    /// proto-ver contents.
    pub version: VersionInfo,
    /// ESP manager tunables (a TI device takes its own `TiConfig`).
    pub manager: EspConfig,
    /// The radio environment.
    pub aps: Vec<SimAp>,
    /// Custom endpoints (answered `SUCCESS`, as the wifi_prov_mgr example does).
    pub custom_endpoints: Vec<String>,
    /// Largest GATT characteristic value (Bluedroid with sec2: 481).
    pub ble_max_value_len: usize,
    /// Console line limit (provkit's default fits a sec2 Command0).
    pub console_max_line: usize,
    /// Device randomness.
    pub rng: DetRng,
}

impl DeviceSetup {
    /// ESP defaults, a three-AP environment, one custom endpoint `custom-data`.
    pub fn new(security: DeviceSecurityConfig, seed: u64) -> Self {
        Self {
            security,
            version: VersionInfo::default(),
            manager: EspConfig::default(),
            aps: vec![
                SimAp::wpa2("myssid", "mypassword", 6, -42),
                SimAp::wpa2("Guest Net", "guestpass", 11, -67),
                SimAp::wpa2("office-5", "office-pass", 1, -80),
            ],
            custom_endpoints: vec!["custom-data".to_string()],
            ble_max_value_len: provkit_protocomm::ble::BLUEDROID_MAX_VALUE_LEN_SEC2,
            console_max_line: provkit_protocomm::console::DEFAULT_MAX_LINE_LEN,
            rng: DetRng::seeded(seed),
        }
    }

    /// The hal mock station seeing this setup's APs.
    pub fn station(&self, clock: &Rc<ManualClock>) -> SlowStation {
        let mut station = MockStation::new();
        for ap in &self.aps {
            // MOCK_CAPACITY (16) is far above any environment used here.
            if station.add_network(ap.to_mock()).is_err() {
                panic!("test setup: more APs than MockStation holds");
            }
        }
        SlowStation::new(station, Rc::clone(clock))
    }
}

/// Radio latency around hal's [`MockStation`]: the mock reports a connection's outcome at
/// once; a real station takes time. Each event the mock queues is released
/// [`SlowStation::LATENCY_MS`] after it was produced, the next one of the same burst
/// [`SlowStation::BURST_GAP_MS`] later (Connected at +300 ms, GotIp at +500 ms). A
/// `disconnect` drops events still in flight, like a driver aborting an attempt.
#[derive(Debug)]
pub struct SlowStation {
    /// The hal mock underneath (networks, scripted failures, counters).
    pub inner: MockStation,
    clock: Rc<ManualClock>,
    in_flight: VecDeque<(u64, LinkEvent)>,
    /// A `connect` owns the radio until it is disconnected or reported `Disconnected`.
    busy: bool,
    /// `connect` calls issued while an earlier attempt still owned the radio (must stay 0:
    /// one owner at a time).
    pub overlapping_connects: u32,
}

impl SlowStation {
    /// Delay between an operation and its first event.
    pub const LATENCY_MS: u64 = 300;
    /// Delay between consecutive events of one operation.
    pub const BURST_GAP_MS: u64 = 200;

    /// Wraps `inner`, reading time from `clock`.
    pub fn new(inner: MockStation, clock: Rc<ManualClock>) -> Self {
        Self {
            inner,
            clock,
            in_flight: VecDeque::new(),
            busy: false,
            overlapping_connects: 0,
        }
    }

    /// The next `n` connection attempts end in `Disconnected` with reason 205
    /// (CONNECTION_FAIL) whatever the credentials.
    pub fn fail_next_connects(&mut self, n: u32) {
        for _ in 0..n {
            if self
                .inner
                .script_connect_failure(DisconnectReason::Other(CONNECTION_FAIL_REASON))
                .is_err()
            {
                panic!("test setup: more scripted failures than MockStation holds");
            }
        }
    }

    /// When the next in-flight event falls due.
    pub fn next_event_at(&mut self) -> Option<u64> {
        self.collect();
        self.in_flight.front().map(|(at, _)| *at)
    }

    fn collect(&mut self) {
        let now = self.clock.now().as_millis();
        let mut at = now + Self::LATENCY_MS;
        while let Some(event) = self.inner.poll_event() {
            if let Some((last, _)) = self.in_flight.back() {
                at = at.max(last + Self::BURST_GAP_MS);
            }
            self.in_flight.push_back((at, event));
        }
    }
}

impl ErrorType for SlowStation {
    type Error = ErrorKind;
}

impl WifiStation for SlowStation {
    fn start_scan(&mut self, config: &ScanConfig) -> Result<(), ErrorKind> {
        self.inner.start_scan(config)
    }

    fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, ErrorKind> {
        self.inner.scan_results(out)
    }

    fn connect(&mut self, credentials: &Credentials) -> Result<(), ErrorKind> {
        if self.busy {
            self.overlapping_connects += 1;
        }
        self.busy = true;
        self.inner.connect(credentials)
    }

    fn disconnect(&mut self) -> Result<(), ErrorKind> {
        self.busy = false;
        self.collect();
        self.in_flight
            .retain(|(_, event)| matches!(event, LinkEvent::ScanDone));
        self.inner.disconnect()
    }

    fn poll_event(&mut self) -> Option<LinkEvent> {
        self.collect();
        let now = self.clock.now().as_millis();
        match self.in_flight.front() {
            Some((at, _)) if *at <= now => {
                let event = self.in_flight.pop_front().map(|(_, e)| e);
                if matches!(event, Some(LinkEvent::Disconnected { .. })) {
                    self.busy = false;
                }
                event
            }
            _ => None,
        }
    }
}

/// What the reference's example custom endpoint answers.
pub const CUSTOM_REPLY: &[u8] = b"SUCCESS";

/// The device: `provkit_manager::Device` (protocomm + manager + custom handlers) driven
/// through its framing entry points, the manager's runner over hal mocks, in virtual time.
pub struct SimDevice {
    /// The production device.
    pub device: Device,
    /// Executes the manager's actions on the station and store.
    pub runner: Runner<SlowStation, MemoryStore>,
    /// Virtual time.
    pub clock: Rc<ManualClock>,
    /// HTTP cookie/socket session rules.
    pub http: HttpFraming,
    /// GATT table.
    pub gatt: GattTable,
    /// Console session rule and line limit.
    pub console: ConsoleFraming,
    /// Device randomness.
    pub rng: DetRng,
    /// Virtual time each exchange takes.
    pub step_ms: u64,
    /// Application events seen, in order.
    pub events: Vec<EspEvent>,
    /// Transport-level actions the runner handed back, in order.
    pub transport_actions: Vec<Action>,
    /// Whether the provisioning transports are up (StopTransports takes them down).
    pub transports_up: bool,
    /// Bodies the custom endpoint handlers received (the application's view).
    pub custom_received: Rc<RefCell<Vec<Vec<u8>>>>,
}

/// A shared device, so several client transports can race on it.
pub type SharedDevice = Rc<RefCell<SimDevice>>;

fn setup_error(what: &str, e: impl std::fmt::Debug) -> ! {
    panic!("test setup: {what}: {e:?}")
}

/// The pieces every simulated device starts from: runner over the hal mocks, a manager
/// wrapped in a `Device`, started by `start`; for ESP, the setup's custom endpoints created
/// before and registered after start (answering [`CUSTOM_REPLY`] and recording what they got).
pub(crate) struct Built<P = Esp> {
    pub(crate) device: Device<P>,
    pub(crate) runner: Runner<SlowStation, MemoryStore>,
    pub(crate) clock: Rc<ManualClock>,
    pub(crate) custom_received: Rc<RefCell<Vec<Vec<u8>>>>,
}

/// Runner, clock and the stored profiles a manager is built from.
fn runner_for(
    setup: &DeviceSetup,
) -> (
    Runner<SlowStation, MemoryStore>,
    Rc<ManualClock>,
    Vec<Profile>,
) {
    let clock = Rc::new(ManualClock::new(Instant(0)));
    let mut runner = Runner::new(setup.station(&clock), MemoryStore::new());
    let profiles = runner
        .load_profiles()
        .unwrap_or_else(|e| setup_error("load", e));
    (runner, clock, profiles)
}

/// A TI device (`Device<Ti>`: no application endpoints), started by `start`.
pub(crate) fn build_ti_device(
    setup: &DeviceSetup,
    config: TiConfig,
    start: impl FnOnce(
        &mut Device<provkit_manager::Ti>,
        DeviceSecurityConfig,
    ) -> Result<(), ManagerError>,
) -> Built<provkit_manager::Ti> {
    let (runner, clock, profiles) = runner_for(setup);
    let manager = TiManager::new(config, profiles).unwrap_or_else(|e| setup_error("manager", e));
    let mut device = Device::new(manager, setup.version.clone());
    start(&mut device, setup.security.clone()).unwrap_or_else(|e| setup_error("start", e));
    Built {
        device,
        runner,
        clock,
        custom_received: Rc::new(RefCell::new(Vec::new())),
    }
}

pub(crate) fn build_device(
    setup: &DeviceSetup,
    start: impl FnOnce(&mut Device, DeviceSecurityConfig) -> Result<(), ManagerError>,
) -> Built {
    let (runner, clock, profiles) = runner_for(setup);
    let mut manager = EspManager::new(setup.manager.clone(), profiles)
        .unwrap_or_else(|e| setup_error("manager", e));
    for name in &setup.custom_endpoints {
        manager
            .endpoint_create(name)
            .unwrap_or_else(|e| setup_error(name, e));
    }
    let mut device = Device::new(manager, setup.version.clone());
    start(&mut device, setup.security.clone()).unwrap_or_else(|e| setup_error("start", e));
    let custom_received = Rc::new(RefCell::new(Vec::new()));
    for name in &setup.custom_endpoints {
        let seen = Rc::clone(&custom_received);
        device
            .register_endpoint(
                name,
                Box::new(move |data: &[u8]| -> Result<Vec<u8>, HandlerError> {
                    seen.borrow_mut().push(data.to_vec());
                    Ok(CUSTOM_REPLY.to_vec())
                }),
            )
            .unwrap_or_else(|e| setup_error(name, e));
    }
    Built {
        device,
        runner,
        clock,
        custom_received,
    }
}

/// ESP `wifi_prov_mgr_start_provisioning` with the example's service name.
pub(crate) fn esp_start(
    device: &mut Device,
    security: DeviceSecurityConfig,
) -> Result<(), ManagerError> {
    device.start(
        security,
        ServiceInfo {
            name: b"PROV_A1B2C3".to_vec(),
            key: Vec::new(),
        },
        Instant(0),
    )
}

/// Ticks `Device`, runs the runner, records transport actions and events. Shared by
/// [`SimDevice`] and [`device_path::ManagedDevice`].
pub(crate) fn pump_device<P: AppEndpoints>(
    device: &mut Device<P>,
    runner: &mut Runner<SlowStation, MemoryStore>,
    now: Instant,
    transports_up: &mut bool,
    transport_actions: &mut Vec<Action>,
    events: &mut Vec<P::Event>,
) {
    device.on_tick(now);
    for action in runner.pump(&mut device.manager, now) {
        match action {
            Action::StartTransports(_) => *transports_up = true,
            Action::StopTransports => *transports_up = false,
            _ => {}
        }
        transport_actions.push(action);
    }
    // The runner's actions may have finished provisioning: let Device drop protocomm.
    device.on_tick(now);
    while let Some(event) = device.manager.poll_event() {
        events.push(event);
    }
}

impl SimDevice {
    /// Builds the device and starts provisioning (ESP `start_provisioning`).
    pub fn start(setup: DeviceSetup) -> SharedDevice {
        let built = build_device(&setup, esp_start);
        let endpoints = built
            .device
            .protocomm()
            .unwrap_or_else(|| setup_error("protocomm", "not running after start"))
            .endpoints();
        let service =
            Uuid128::parse(EXAMPLE_SERVICE_UUID).unwrap_or_else(|e| setup_error("uuid", e));
        let gatt = GattTable::new(service, endpoints, setup.ble_max_value_len);
        let mut device = Self {
            device: built.device,
            runner: built.runner,
            clock: built.clock,
            http: HttpFraming::new(),
            gatt,
            console: ConsoleFraming::with_max_line(setup.console_max_line),
            rng: setup.rng,
            step_ms: 500,
            events: Vec::new(),
            transport_actions: Vec::new(),
            transports_up: false,
            custom_received: built.custom_received,
        };
        device.pump();
        Rc::new(RefCell::new(device))
    }

    /// Virtual time, ms.
    pub fn now(&self) -> u64 {
        self.clock.now().as_millis()
    }

    /// What the credential store holds (only confirmed credentials ever reach it).
    pub fn stored(&self) -> &[Profile] {
        self.runner.store.profiles()
    }

    /// The provisioning state machine.
    pub fn manager(&self) -> &EspManager {
        &self.device.manager
    }

    /// The next `n` connection attempts fail with reason 205 (CONNECTION_FAIL) whatever the
    /// credentials: a flaky radio for the connection-attempt logic.
    pub fn fail_next_connects(&mut self, n: u32) {
        self.runner.station.fail_next_connects(n);
    }

    /// Lets `ms` of virtual time pass: radio events and manager timers fire at their instants.
    pub fn advance(&mut self, ms: u64) {
        let target = self.now() + ms;
        // Each round fires at least one due item; the bound only guards against a timer that
        // re-arms itself at the same instant forever.
        for _ in 0..10_000 {
            let manager_due = self.device.manager.next_deadline().map(Instant::as_millis);
            let radio_due = self.runner.station.next_event_at();
            let Some(due) = [manager_due, radio_due]
                .into_iter()
                .flatten()
                .filter(|at| *at <= target)
                .min()
            else {
                break;
            };
            self.clock.set(Instant(due));
            self.pump();
            if self.device.manager.next_deadline().map(Instant::as_millis) == manager_due
                && self.runner.station.next_event_at() == radio_due
            {
                break;
            }
        }
        self.clock.set(Instant(target));
        self.pump();
    }

    /// Ticks the device, executes the manager's actions through the runner, collects events.
    pub fn pump(&mut self) {
        let now = self.clock.now();
        pump_device(
            &mut self.device,
            &mut self.runner,
            now,
            &mut self.transports_up,
            &mut self.transport_actions,
            &mut self.events,
        );
    }

    /// Before a request: [`Self::step_ms`] of virtual time passes.
    fn begin_request(&mut self) -> Instant {
        self.advance(self.step_ms);
        self.clock.now()
    }

    /// One HTTP request through `Device::handle_http`.
    pub fn http_request(
        &mut self,
        path: &str,
        cookie: Option<&str>,
        body: &[u8],
        connection: u32,
    ) -> HttpOutcome {
        let now = self.begin_request();
        let request = HttpRequest {
            method: "POST",
            path,
            cookie: cookie.map(str::as_bytes),
            body,
            connection,
        };
        let outcome =
            self.device
                .handle_http(&mut self.http, &request, &mut NoHooks, &mut self.rng, now);
        self.pump();
        outcome
    }

    /// One console line through `Device::handle_console_line`.
    pub fn console_line(&mut self, line: &[u8]) -> Option<String> {
        let now = self.begin_request();
        let out = self.device.handle_console_line(
            &mut self.console,
            line,
            &mut NoHooks,
            &mut self.rng,
            now,
        );
        self.pump();
        out
    }

    /// The protocomm client that holds the security session.
    pub fn session_client(&self) -> Option<ClientId> {
        self.device.protocomm().and_then(|pc| pc.session_client())
    }
}

// ---------------------------------------------------------------------------------------------
// Client-side transports

/// HTTP as esp_prov and `provkit_client::http::HttpTransport` do it: one keep-alive
/// connection, the first `Set-Cookie` echoed exactly; a silent close opens a new connection.
pub struct HttpLink {
    device: SharedDevice,
    cookie: Option<String>,
    connection: u32,
    /// Send the cookie back (esp_prov does); off models a client relying on the socket only.
    pub send_cookie: bool,
}

/// Connection ids handed out to HTTP links, distinct per link so racing clients differ.
fn fresh_connection() -> u32 {
    thread_local!(static NEXT: std::cell::Cell<u32> = const { std::cell::Cell::new(1) });
    NEXT.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    })
}

impl HttpLink {
    /// A new client connection to `device`.
    pub fn new(device: &SharedDevice) -> Self {
        Self {
            device: Rc::clone(device),
            cookie: None,
            connection: fresh_connection(),
            send_cookie: true,
        }
    }

    /// The cookie the device set.
    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }
}

impl Transport for HttpLink {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut device = self.device.borrow_mut();
        if !device.transports_up {
            return Err(TransportError::Disconnected("provisioning stopped".into()));
        }
        let path = format!("/{endpoint}");
        let cookie = if self.send_cookie {
            self.cookie.as_deref()
        } else {
            None
        };
        match device.http_request(&path, cookie, body, self.connection) {
            HttpOutcome::Reply(reply) => {
                if let Some(c) = reply.set_cookie {
                    self.cookie = Some(c);
                }
                if reply.status == 200 {
                    Ok(reply.body)
                } else {
                    Err(TransportError::Status(reply.status))
                }
            }
            HttpOutcome::Close => {
                device.http.connection_closed(self.connection);
                self.connection = fresh_connection();
                Err(TransportError::NoResponse)
            }
        }
    }
}

/// BLE GATT central: characteristics found through their 0x2901 descriptors, requests longer
/// than one ATT write go as Prepare Write + Execute Write, responses come back with Read Blob.
pub struct BleLink {
    device: SharedDevice,
    connection: u16,
    mtu: u16,
    names: Vec<String>,
    /// Number of ATT operations issued (writes, prepares, executes, reads).
    pub att_operations: usize,
    /// Write Requests of a whole value.
    pub single_writes: usize,
    /// Prepare Write Requests (long writes).
    pub prepare_writes: usize,
    /// Execute Write Requests.
    pub execute_writes: usize,
    /// Read and Read Blob Requests of characteristic values.
    pub value_reads: usize,
    /// Every answered exchange: (endpoint, request length, response length), so tests can
    /// compute the ATT operations they imply.
    pub exchanges: Vec<(String, usize, usize)>,
}

impl BleLink {
    /// Connects (opening a protocomm session for this link) with the given ATT MTU.
    pub fn connect(
        device: &SharedDevice,
        connection: u16,
        mtu: u16,
    ) -> Result<Self, TransportError> {
        let mut names = Vec::new();
        {
            let mut guard = device.borrow_mut();
            let dev = &mut *guard;
            let now = dev.clock.now();
            dev.device
                .ble_connect(&mut dev.gatt, connection, now)
                .map_err(|e| TransportError::Io(format!("{e:?}")))?;
            for index in 0..dev.gatt.characteristics().len() {
                // Discovery: read the whole user description with Read Blob.
                let mut name = Vec::new();
                loop {
                    let offset = u16::try_from(name.len()).unwrap_or(u16::MAX);
                    let chunk = dev
                        .gatt
                        .read_user_description(index, offset, mtu)
                        .map_err(|e| TransportError::Io(format!("{e:?}")))?;
                    name.extend_from_slice(chunk);
                    if chunk.len() < usize::from(mtu) - 1 {
                        break;
                    }
                }
                names.push(String::from_utf8_lossy(&name).into_owned());
            }
        }
        Ok(Self {
            device: Rc::clone(device),
            connection,
            mtu,
            names,
            att_operations: 0,
            single_writes: 0,
            prepare_writes: 0,
            execute_writes: 0,
            value_reads: 0,
            exchanges: Vec::new(),
        })
    }

    /// Endpoint names discovered from the descriptors, in table order.
    pub fn endpoint_names(&self) -> &[String] {
        &self.names
    }

    /// Drops the link (the device closes this connection's session).
    pub fn disconnect(self) {
        let mut guard = self.device.borrow_mut();
        let dev = &mut *guard;
        dev.device.ble_disconnect(&mut dev.gatt, self.connection);
    }
}

impl Transport for BleLink {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        let index = self
            .names
            .iter()
            .position(|n| n == endpoint)
            .ok_or(TransportError::Status(404))?;
        let mut guard = self.device.borrow_mut();
        let dev = &mut *guard;
        if !dev.transports_up {
            return Err(TransportError::Disconnected("provisioning stopped".into()));
        }
        let now = dev.begin_request();
        let single_write_max = usize::from(self.mtu) - 3;
        let written = if body.len() <= single_write_max {
            self.att_operations += 1;
            self.single_writes += 1;
            dev.device.ble_write(
                &mut dev.gatt,
                BleWrite {
                    connection: self.connection,
                    index,
                    data: body,
                },
                &mut NoHooks,
                &mut dev.rng,
                now,
            )
        } else {
            // Prepare Write carries handle + offset: 5 bytes of overhead per PDU.
            let chunk_len = usize::from(self.mtu) - 5;
            let mut result = Ok(());
            for (i, chunk) in body.chunks(chunk_len).enumerate() {
                self.att_operations += 1;
                self.prepare_writes += 1;
                let offset = u16::try_from(i * chunk_len)
                    .map_err(|_| TransportError::InvalidRequest("request too long for ATT"))?;
                result = dev
                    .gatt
                    .prepare_write(self.connection, index, offset, chunk);
                if result.is_err() {
                    break;
                }
            }
            self.att_operations += 1;
            self.execute_writes += 1;
            result.and_then(|()| {
                dev.device.ble_execute_write(
                    &mut dev.gatt,
                    self.connection,
                    true,
                    &mut NoHooks,
                    &mut dev.rng,
                    now,
                )
            })
        };
        dev.pump();
        // NimBLE answers the write with an ATT error and keeps the link: no response.
        written.map_err(|_| TransportError::NoResponse)?;
        let mut value = Vec::new();
        loop {
            self.att_operations += 1;
            self.value_reads += 1;
            let offset = u16::try_from(value.len())
                .map_err(|_| TransportError::Framing("value too long for ATT offsets"))?;
            let chunk = dev
                .gatt
                .read(self.connection, index, offset, self.mtu)
                .map_err(|_| TransportError::Framing("read failed"))?;
            value.extend_from_slice(chunk);
            if chunk.len() < usize::from(self.mtu) - 1 {
                break;
            }
        }
        self.exchanges
            .push((endpoint.to_string(), body.len(), value.len()));
        Ok(value)
    }
}

/// The console: `<endpoint> <session-id> <hex>` lines, hex answers, nothing on error.
pub struct ConsoleLink {
    device: SharedDevice,
    /// The session id typed on every line (esp_prov always uses 0).
    pub session_id: u32,
}

impl ConsoleLink {
    /// A console client with session id `session_id`.
    pub fn new(device: &SharedDevice, session_id: u32) -> Self {
        Self {
            device: Rc::clone(device),
            session_id,
        }
    }
}

impl Transport for ConsoleLink {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut line = format_line(endpoint, self.session_id, body);
        line.push('\r');
        let mut device = self.device.borrow_mut();
        if !device.transports_up {
            return Err(TransportError::Disconnected("provisioning stopped".into()));
        }
        let answer = device
            .console_line(line.as_bytes())
            .ok_or(TransportError::NoResponse)?;
        parse_response(&answer).map_err(|_| TransportError::Framing("bad hex answer"))
    }
}
