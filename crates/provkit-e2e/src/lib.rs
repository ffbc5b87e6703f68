//! # provkit-e2e: in-memory device/client pairs for end-to-end tests
//!
//! Test-only crate (`publish = false`). It wires the device half of the stack — the
//! `provkit-protocomm` framings and session, the `provkit-wifi` endpoint handlers and the
//! `provkit-manager` state machine — to a simulated radio, and gives `provkit-client` a
//! [`Transport`] for each framing, so complete provisioning runs happen in one process, in
//! virtual time, with seeded randomness:
//!
//! ```text
//!  provkit_client::Client ─▶ HttpLink  ─▶ HttpFraming ─┐
//!                         ─▶ BleLink   ─▶ GattTable   ─┼▶ Protocomm ─▶ Glue (RequestHandler)
//!                         ─▶ ConsoleLink ▶ console    ─┘                 ├ provkit_wifi::handle_*
//!                                                                          └ Manager ─Actions─▶ SimRadio
//! ```
//!
//! * Time is a counter: every exchange advances it by [`SimDevice::step_ms`], then due radio
//!   events are delivered and manager timers run, so status polling sees connections happen.
//! * The radio ([`SimAp`] list) answers `Connect` with `Connected` + `GotIp`, or a
//!   `Disconnected` with `AuthFailed` / `NetworkNotFound`, and `StartScan` with the AP list.
//! * Randomness: [`DetRng`] hands out scripted bytes first (to replay recorded device
//!   randomness), then a seeded xorshift stream.
//!
//! The glue between the manager and the wifi handlers ([`Glue`]) lives here because the
//! manager crate does not (yet) provide its own `RequestHandler`; it follows the ESP
//! personality's mapping (spec §6.4–§6.7).

#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::rc::Rc;

use provkit_client::{Transport, TransportError};
use provkit_hal::{
    AuthMode, Bssid, Credentials, DisconnectReason, Instant, LinkEvent, Profile, ScanConfig,
    ScanEntry, Ssid,
};
use provkit_manager::{Action, Event, Manager, ManagerConfig, ServiceInfo, StaState};
use provkit_protocomm::ble::{GattTable, Uuid128};
use provkit_protocomm::console::{ConsoleFraming, format_line, parse_response};
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest};
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, HandlerError, Protocomm, RequestHandler, VersionInfo,
};
use provkit_security::rand_core::{TryCryptoRng, TryRng};
use provkit_wifi::config::ConfigRequest;
use provkit_wifi::{
    ConfigBackend, CtrlBackend, ScanBackend, ScanLimits, StationStatus, Status, handle_config,
    handle_ctrl, handle_scan,
};

/// The service UUID the Espressif examples set (spec §5.2).
pub const EXAMPLE_SERVICE_UUID: &str = "021a9004-0382-4aea-bff4-6b3f1c5adfb4";

/// Scripted bytes first, then a seeded xorshift64* stream. Deterministic by construction.
#[derive(Debug, Clone)]
pub struct DetRng {
    script: VecDeque<u8>,
    state: u64,
}

impl DetRng {
    /// A seeded generator (`seed` 0 is replaced: xorshift must not start at zero).
    pub fn seeded(seed: u64) -> Self {
        Self {
            script: VecDeque::new(),
            state: seed.max(1),
        }
    }

    /// Bytes to hand out before the seeded stream (e.g. recorded device secrets).
    pub fn with_script(mut self, chunks: &[Vec<u8>]) -> Self {
        self.script = chunks.iter().flatten().copied().collect();
        self
    }

    /// Scripted bytes not consumed yet.
    pub fn script_left(&self) -> usize {
        self.script.len()
    }

    fn next_byte(&mut self) -> u8 {
        if let Some(b) = self.script.pop_front() {
            return b;
        }
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        (self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
    }
}

impl TryRng for DetRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for b in dst {
            *b = self.next_byte();
        }
        Ok(())
    }
}

impl TryCryptoRng for DetRng {}

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
}

/// Everything a simulated device is built from.
#[derive(Clone)]
pub struct DeviceSetup {
    /// Security scheme and secrets.
    pub security: DeviceSecurityConfig,
    /// proto-ver contents.
    pub version: VersionInfo,
    /// Manager tunables (ESP personality).
    pub manager: ManagerConfig,
    /// The radio environment.
    pub aps: Vec<SimAp>,
    /// Custom endpoints (answered `SUCCESS`, as the wifi_prov_mgr example does).
    pub custom_endpoints: Vec<String>,
    /// Largest GATT characteristic value (Bluedroid with sec2: 481).
    pub ble_max_value_len: usize,
    /// Device randomness.
    pub rng: DetRng,
}

impl DeviceSetup {
    /// ESP defaults, a three-AP environment, one custom endpoint `custom-data`.
    pub fn new(security: DeviceSecurityConfig, seed: u64) -> Self {
        Self {
            security,
            version: VersionInfo::default(),
            manager: ManagerConfig::esp(),
            aps: vec![
                SimAp::wpa2("myssid", "mypassword", 6, -42),
                SimAp::wpa2("Guest Net", "guestpass", 11, -67),
                SimAp::wpa2("office-5", "office-pass", 1, -80),
            ],
            custom_endpoints: vec!["custom-data".to_string()],
            ble_max_value_len: provkit_protocomm::ble::BLUEDROID_MAX_VALUE_LEN_SEC2,
            rng: DetRng::seeded(seed),
        }
    }
}

/// The device: protocomm + manager + framings + radio, in virtual time.
pub struct SimDevice {
    /// Endpoint table and the single security session.
    pub protocomm: Protocomm,
    /// The provisioning state machine.
    pub manager: Manager,
    /// HTTP cookie/socket session rules.
    pub http: HttpFraming,
    /// GATT table.
    pub gatt: GattTable,
    /// Console session rule.
    pub console: ConsoleFraming,
    /// Device randomness.
    pub rng: DetRng,
    /// Virtual time in ms.
    pub now: u64,
    /// Virtual time each exchange takes.
    pub step_ms: u64,
    aps: Vec<SimAp>,
    custom_endpoints: Vec<String>,
    link_events: VecDeque<(u64, LinkEvent)>,
    /// Application events seen, in order.
    pub events: Vec<Event>,
    /// Actions executed, in order.
    pub actions: Vec<Action>,
    /// The credential store (what the last `Persist` committed).
    pub store: Vec<Profile>,
    /// Whether the provisioning transports are up (StopTransports takes them down).
    pub transports_up: bool,
    /// The next this-many `Connect`s fail (driver reason 205, CONNECTION_FAIL) whatever the
    /// credentials: a flaky radio for the connection-attempt logic.
    pub fail_next_connects: u32,
}

/// A shared device, so several client transports can race on it.
pub type SharedDevice = Rc<RefCell<SimDevice>>;

fn ssid(bytes: &[u8]) -> Ssid {
    Ssid::new(bytes).unwrap_or_default()
}

impl SimDevice {
    /// Builds the device and starts provisioning (ESP `start_provisioning`).
    pub fn start(setup: DeviceSetup) -> SharedDevice {
        let mut protocomm = Protocomm::new(setup.security, setup.version);
        for name in &setup.custom_endpoints {
            // A duplicate or overlong name is a bug in the test setup itself.
            protocomm
                .add_custom_endpoint(name)
                .unwrap_or_else(|e| panic!("custom endpoint {name}: {e:?}"));
        }
        let service = Uuid128::parse(EXAMPLE_SERVICE_UUID).unwrap_or_else(|e| panic!("{e:?}"));
        let gatt = GattTable::new(service, protocomm.endpoints(), setup.ble_max_value_len);
        let mut manager =
            Manager::new(setup.manager, Vec::new()).unwrap_or_else(|e| panic!("{e:?}"));
        manager
            .start(
                ServiceInfo {
                    name: b"PROV_A1B2C3".to_vec(),
                    key: Vec::new(),
                },
                Instant(0),
            )
            .unwrap_or_else(|e| panic!("{e:?}"));
        let mut device = Self {
            protocomm,
            manager,
            http: HttpFraming::new(),
            gatt,
            console: ConsoleFraming::new(),
            rng: setup.rng,
            now: 0,
            step_ms: 500,
            aps: setup.aps,
            custom_endpoints: setup.custom_endpoints,
            link_events: VecDeque::new(),
            events: Vec::new(),
            actions: Vec::new(),
            store: Vec::new(),
            transports_up: false,
            fail_next_connects: 0,
        };
        device.drain();
        Rc::new(RefCell::new(device))
    }

    /// Lets `ms` of virtual time pass: radio events fall due, manager timers run.
    pub fn advance(&mut self, ms: u64) {
        let target = self.now + ms;
        loop {
            let due = self
                .link_events
                .iter()
                .enumerate()
                .filter(|(_, (at, _))| *at <= target)
                .min_by_key(|(_, (at, _))| *at)
                .map(|(i, _)| i);
            let Some(index) = due else { break };
            let Some((at, event)) = self.link_events.remove(index) else {
                break;
            };
            self.now = self.now.max(at);
            self.manager.on_link_event(&event, Instant(self.now));
            self.drain();
        }
        self.now = target;
        self.manager.on_tick(Instant(self.now));
        self.drain();
    }

    /// Executes the manager's actions against the simulated radio and store.
    fn drain(&mut self) {
        while let Some(action) = self.manager.poll_action() {
            match &action {
                Action::StartTransports(_) => self.transports_up = true,
                Action::StopTransports => self.transports_up = false,
                Action::Connect(credentials) => self.radio_connect(credentials),
                Action::Disconnect => self.link_events.clear(),
                Action::StartScan(_) => {
                    let entries: Vec<ScanEntry> = self
                        .aps
                        .iter()
                        .map(|ap| ScanEntry {
                            ssid: ssid(&ap.ssid),
                            bssid: Bssid(ap.bssid),
                            channel: ap.channel,
                            rssi: ap.rssi,
                            auth: ap.auth,
                        })
                        .collect();
                    self.manager.on_scan_done(&entries, Instant(self.now));
                }
                Action::Persist(profiles) => self.store = profiles.clone(),
                Action::ClearStore => self.store.clear(),
                _ => {}
            }
            self.actions.push(action);
        }
        while let Some(event) = self.manager.poll_event() {
            self.events.push(event);
        }
    }

    fn radio_connect(&mut self, credentials: &Credentials) {
        let at = self.now + 300;
        if self.fail_next_connects > 0 {
            self.fail_next_connects -= 1;
            self.link_events.push_back((
                at,
                LinkEvent::Disconnected {
                    reason: DisconnectReason::Other(205),
                },
            ));
            return;
        }
        let ap = self
            .aps
            .iter()
            .find(|ap| ap.ssid == credentials.ssid.as_bytes());
        match ap {
            None => self.link_events.push_back((
                at,
                LinkEvent::Disconnected {
                    reason: DisconnectReason::NetworkNotFound,
                },
            )),
            Some(ap) if ap.passphrase != credentials.passphrase.as_bytes() => {
                self.link_events.push_back((
                    at,
                    LinkEvent::Disconnected {
                        reason: DisconnectReason::AuthFailed,
                    },
                ))
            }
            Some(ap) => {
                self.link_events.push_back((
                    at,
                    LinkEvent::Connected {
                        bssid: Bssid(ap.bssid),
                        channel: ap.channel,
                        auth: ap.auth,
                    },
                ));
                self.link_events.push_back((
                    at + 200,
                    LinkEvent::GotIp {
                        ip: [192, 168, 1, 42],
                    },
                ));
            }
        }
    }

    /// One HTTP request through the framing.
    pub fn http_request(
        &mut self,
        path: &str,
        cookie: Option<&str>,
        body: &[u8],
        connection: u32,
    ) -> HttpOutcome {
        self.advance(self.step_ms);
        let request = HttpRequest {
            method: "POST",
            path,
            cookie: cookie.map(str::as_bytes),
            body,
            connection,
        };
        let mut glue = Glue::new(&mut self.manager, self.now, &self.custom_endpoints);
        let outcome = self
            .http
            .handle(&mut self.protocomm, &request, &mut glue, &mut self.rng);
        self.drain();
        outcome
    }

    /// One console line through the framing.
    pub fn console_line(&mut self, line: &[u8]) -> Option<String> {
        self.advance(self.step_ms);
        let mut glue = Glue::new(&mut self.manager, self.now, &self.custom_endpoints);
        let out = self
            .console
            .handle_line(&mut self.protocomm, line, &mut glue, &mut self.rng);
        self.drain();
        out
    }

    /// The protocomm client that holds the security session.
    pub fn session_client(&self) -> Option<ClientId> {
        self.protocomm.session_client()
    }
}

/// The adapter glue: protocomm's `RequestHandler` dispatching to the wifi handlers, whose
/// backend traits are implemented over the manager (ESP personality).
pub struct Glue<'a> {
    manager: &'a mut Manager,
    now: Instant,
    custom_endpoints: &'a [String],
    /// GetStatus answer, fetched (with its auto-stop side effect) before the handler runs.
    status: StationStatus,
}

impl<'a> Glue<'a> {
    fn new(manager: &'a mut Manager, now: u64, custom_endpoints: &'a [String]) -> Self {
        Self {
            manager,
            now: Instant(now),
            custom_endpoints,
            status: StationStatus::Connecting,
        }
    }
}

fn station_status(state: StaState) -> StationStatus {
    match state {
        StaState::Connecting => StationStatus::Connecting,
        StaState::AttemptFailed { attempts_remaining } => {
            StationStatus::AttemptFailed { attempts_remaining }
        }
        StaState::Connected(info) => StationStatus::Connected(provkit_wifi::ConnectedInfo {
            ip: info.ip,
            ssid: info.ssid,
            bssid: info.bssid,
            channel: info.channel,
            auth: info.auth,
        }),
        StaState::Failed { reason, .. } => StationStatus::Failed(match reason {
            provkit_manager::FailReason::AuthFailed => DisconnectReason::AuthFailed,
            provkit_manager::FailReason::NetworkNotFound => DisconnectReason::NetworkNotFound,
            provkit_manager::FailReason::NoIp => DisconnectReason::NoIp,
            provkit_manager::FailReason::Timeout => DisconnectReason::Timeout,
            provkit_manager::FailReason::ConnectionLost => DisconnectReason::ConnectionLost,
            provkit_manager::FailReason::Other(code) => DisconnectReason::Other(code),
            provkit_manager::FailReason::FeedbackFailed => DisconnectReason::Other(0),
        }),
    }
}

impl RequestHandler for Glue<'_> {
    fn handle_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HandlerError> {
        self.manager.on_client_activity(self.now);
        match endpoint {
            "prov-config" => {
                if matches!(
                    ConfigRequest::decode(plaintext),
                    Ok(ConfigRequest::GetStatus)
                ) {
                    self.status = station_status(self.manager.get_status(self.now));
                }
                handle_config(plaintext, self).map_err(|_| HandlerError::new("prov-config"))
            }
            "prov-scan" => handle_scan(plaintext, self, ScanLimits::HTTP)
                .map_err(|_| HandlerError::new("prov-scan")),
            "prov-ctrl" => handle_ctrl(plaintext, self).map_err(|_| HandlerError::new("prov-ctrl")),
            name if self.custom_endpoints.iter().any(|c| c == name) => Ok(b"SUCCESS".to_vec()),
            _ => Err(HandlerError::new("no such endpoint")),
        }
    }
}

impl ConfigBackend for Glue<'_> {
    fn status(&self) -> StationStatus {
        self.status.clone()
    }

    fn set_config(&mut self, credentials: Credentials) -> Result<(), Status> {
        self.manager
            .set_config(credentials, self.now)
            .map_err(|_| Status::InternalError)
    }

    fn apply_config(&mut self) -> Result<(), Status> {
        self.manager
            .apply_config(self.now)
            .map_err(|_| Status::InternalError)
    }
}

impl ScanBackend for Glue<'_> {
    fn start_scan(&mut self, config: ScanConfig) -> Result<(), Status> {
        self.manager
            .start_scan(config, self.now)
            .map_err(|_| Status::InternalError)
    }

    fn scan_status(&self) -> (bool, u32) {
        self.manager.scan_status()
    }

    fn scan_result(&self, index: u32) -> Option<ScanEntry> {
        self.manager.scan_result(index)
    }
}

impl CtrlBackend for Glue<'_> {
    fn reset(&mut self) -> Result<(), Status> {
        self.manager
            .reset_sm_state_on_failure(self.now)
            .map_err(|_| Status::InternalError)
    }

    fn reprov(&mut self) -> Result<(), Status> {
        self.manager
            .reset_sm_state_for_reprovision(self.now)
            .map_err(|_| Status::InternalError)
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
            dev.gatt
                .on_connect(connection, &mut dev.protocomm)
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
        dev.gatt.on_disconnect(self.connection, &mut dev.protocomm);
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
        dev.advance(dev.step_ms);
        let single_write_max = usize::from(self.mtu) - 3;
        let mut glue = Glue::new(&mut dev.manager, dev.now, &dev.custom_endpoints);
        let written = if body.len() <= single_write_max {
            self.att_operations += 1;
            dev.gatt.write(
                self.connection,
                index,
                body,
                &mut dev.protocomm,
                &mut glue,
                &mut dev.rng,
            )
        } else {
            // Prepare Write carries handle + offset: 5 bytes of overhead per PDU.
            let chunk_len = usize::from(self.mtu) - 5;
            let mut result = Ok(());
            for (i, chunk) in body.chunks(chunk_len).enumerate() {
                self.att_operations += 1;
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
            result.and_then(|()| {
                dev.gatt.execute_write(
                    self.connection,
                    true,
                    &mut dev.protocomm,
                    &mut glue,
                    &mut dev.rng,
                )
            })
        };
        drop(glue);
        dev.drain();
        // NimBLE answers the write with an ATT error and keeps the link: no response.
        written.map_err(|_| TransportError::NoResponse)?;
        let mut value = Vec::new();
        loop {
            self.att_operations += 1;
            let offset = u16::try_from(value.len())
                .map_err(|_| TransportError::Framing("value too long for ATT offsets"))?;
            let chunk = dev
                .gatt
                .read(index, offset, self.mtu)
                .map_err(|_| TransportError::Framing("read failed"))?;
            value.extend_from_slice(chunk);
            if chunk.len() < usize::from(self.mtu) - 1 {
                break;
            }
        }
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
