//! The board-independent application: protocomm (security 2) behind the BLE and HTTP
//! transports of `provkit-esp32`, the prov-config / prov-scan / prov-ctrl handlers of
//! `provkit-wifi`, and the shared state the Wi-Fi loop in `main.rs` acts on.
//!
//! ```text
//!  GATT write / HTTP POST ─► Provisioner (GattHandler / HttpHandler)
//!        ─► Protocomm::handle (session, decrypt) ─► WifiHandlers ─► provkit_wifi::handle_*
//!                                                       │ set/apply config, scan, ctrl
//!                                                       ▼
//!                                 WifiShared { status, commands } ◄── Wi-Fi loop (station)
//! ```
//!
//! Handlers are synchronous (protocomm is sans-I/O); anything that needs the radio becomes a
//! [`WifiCommand`] the async Wi-Fi loop picks up, and the loop writes results back into
//! [`WifiShared`] for the next GetStatus / ScanStatus.

use alloc::string::String;
use alloc::vec::Vec;

use heapless::Deque;
#[cfg(not(feature = "softap"))]
use provkit_esp32::ble::GattHandler;
use provkit_esp32::console::ConsoleHandler;
#[cfg(feature = "softap")]
use provkit_esp32::http::{HttpAnswer, HttpHandler, HttpRequestParts};
use provkit_hal::{Credentials, ScanConfig, ScanEntry};
use provkit_protocomm::console::ConsoleFraming;
#[cfg(feature = "softap")]
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest};
#[cfg(not(feature = "softap"))]
use provkit_protocomm::{ClientId, TransportKind};
use provkit_protocomm::{
    DeviceSecurityConfig, HandlerError, Protocomm, RequestHandler, Sec2Patch, VersionInfo,
};
use provkit_security::sec2::DeviceCredentials;
use provkit_security::{ModExp, PreparedSec2, SecurityError};
use provkit_wifi::{
    ConfigBackend, CtrlBackend, ScanBackend, ScanLimits, StationStatus, Status, handle_config,
    handle_ctrl, handle_scan,
};

use crate::rng::EspRng;

/// Work for the Wi-Fi loop.
#[derive(Debug, Clone)]
pub enum WifiCommand {
    /// ApplyConfig: join this network.
    Connect(Credentials),
    /// ScanStart.
    Scan(ScanConfig),
}

/// State shared between the request handlers and the Wi-Fi loop.
pub struct WifiShared {
    /// What GetStatus reports.
    pub status: StationStatus,
    /// The last SetConfig.
    pending: Option<Credentials>,
    /// ApplyConfig was accepted (the reference refuses a second SetConfig afterwards).
    applied: bool,
    /// The provisioning attempt failed for good (prov-ctrl reset is allowed).
    pub failed: bool,
    /// Work queued for the Wi-Fi loop.
    pub commands: Deque<WifiCommand, 4>,
    /// A scan is running.
    pub scanning: bool,
    /// Results of the last scan (strongest first).
    pub scan_results: Vec<ScanEntry>,
}

impl WifiShared {
    pub fn new() -> Self {
        Self {
            status: StationStatus::Connecting,
            pending: None,
            applied: false,
            failed: false,
            commands: Deque::new(),
            scanning: false,
            scan_results: Vec::new(),
        }
    }
}

impl ConfigBackend for WifiShared {
    fn status(&self) -> StationStatus {
        self.status.clone()
    }

    fn set_config(&mut self, credentials: Credentials) -> Result<(), Status> {
        if self.applied && !self.failed {
            return Err(Status::InternalError);
        }
        self.pending = Some(credentials);
        Ok(())
    }

    fn apply_config(&mut self) -> Result<(), Status> {
        let credentials = self.pending.clone().ok_or(Status::InternalError)?;
        self.commands
            .push_back(WifiCommand::Connect(credentials))
            .map_err(|_| Status::InternalError)?;
        self.applied = true;
        self.failed = false;
        self.status = StationStatus::Connecting;
        Ok(())
    }
}

impl ScanBackend for WifiShared {
    fn start_scan(&mut self, config: ScanConfig) -> Result<(), Status> {
        if self.scanning {
            return Ok(());
        }
        self.commands
            .push_back(WifiCommand::Scan(config))
            .map_err(|_| Status::InternalError)?;
        self.scanning = true;
        self.scan_results.clear();
        Ok(())
    }

    fn scan_status(&self) -> (bool, u32) {
        let count = u32::try_from(self.scan_results.len()).unwrap_or(u32::MAX);
        (!self.scanning, count)
    }

    fn scan_result(&self, index: u32) -> Option<ScanEntry> {
        self.scan_results.get(usize::try_from(index).ok()?).cloned()
    }
}

impl CtrlBackend for WifiShared {
    fn reset(&mut self) -> Result<(), Status> {
        if !self.failed {
            return Err(Status::InternalError);
        }
        self.pending = None;
        self.applied = false;
        self.failed = false;
        self.status = StationStatus::Connecting;
        Ok(())
    }

    fn reprov(&mut self) -> Result<(), Status> {
        self.pending = None;
        self.applied = false;
        self.failed = false;
        self.status = StationStatus::Connecting;
        Ok(())
    }
}

/// Dispatches decrypted requests to the provkit-wifi handlers.
struct WifiHandlers<'a> {
    shared: &'a mut WifiShared,
    scan_limits: ScanLimits,
}

impl RequestHandler for WifiHandlers<'_> {
    fn handle_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HandlerError> {
        let result = match endpoint {
            "prov-config" => handle_config(plaintext, self.shared),
            "prov-scan" => handle_scan(plaintext, self.shared, self.scan_limits),
            "prov-ctrl" => handle_ctrl(plaintext, self.shared),
            _ => return Err(HandlerError::new("no handler for endpoint")),
        };
        result.map_err(|_| HandlerError::new("undecodable request"))
    }
}

/// Protocomm plus the per-transport framing state.
pub struct Provisioner {
    protocomm: Protocomm,
    // Only the SoftAP image references protocomm's HTTP framing, so a BLE image links none
    // of it (LTO drops unreferenced code; the BLE image likewise never names the HTTP side).
    #[cfg(feature = "softap")]
    http: HttpFraming,
    /// The console's session rule and line limit (USB-Serial-JTAG, next to BLE or SoftAP).
    pub console: ConsoleFraming,
    rng: EspRng,
    /// Shared with the Wi-Fi loop.
    pub wifi: WifiShared,
}

impl Provisioner {
    /// Security 2 with the build-time salt and verifier; the handshake's modular
    /// exponentiations go to `mod_exp` (the RSA peripheral), software being the fallback.
    ///
    /// The credentials are compact (no 24 KiB table of v): with the peripheral doing `v^u`
    /// the table would never be read. `Err` only for a malformed build-time verifier.
    pub fn new(
        salt: &[u8],
        verifier: &[u8],
        mod_exp: Option<&'static (dyn ModExp + Sync)>,
        rng: EspRng,
    ) -> Result<Self, SecurityError> {
        // With the RSA peripheral: no table (the engine does the work). Without one (ESP32-C2):
        // the per-device v table (24 KiB of heap), the fastest software path.
        let credentials = match mod_exp {
            Some(engine) => DeviceCredentials::new_compact(salt, verifier)?.with_mod_exp(engine),
            None => DeviceCredentials::new(salt, verifier)?,
        };
        let security = DeviceSecurityConfig::Sec2Prepared(PreparedSec2::from_credentials(
            credentials,
            Sec2Patch::Patch1,
        ));
        let mut version = VersionInfo::default();
        version.extra_capabilities.push(String::from("wifi_scan"));
        Ok(Self {
            protocomm: Protocomm::new(security, version),
            #[cfg(feature = "softap")]
            http: HttpFraming::new(),
            console: ConsoleFraming::new(),
            rng,
            wifi: WifiShared::new(),
        })
    }
}

impl ConsoleHandler for Provisioner {
    fn on_line(&mut self, line: &[u8]) -> Option<String> {
        let mut handlers = WifiHandlers {
            shared: &mut self.wifi,
            // A console client is a PC script like esp_prov over HTTP: same page sizes.
            scan_limits: ScanLimits::HTTP,
        };
        self.console
            .handle_line(&mut self.protocomm, line, &mut handlers, &mut self.rng)
    }
}

#[cfg(not(feature = "softap"))]
impl GattHandler for Provisioner {
    fn on_write(&mut self, conn: u16, endpoint: &str, request: &[u8]) -> Option<Vec<u8>> {
        let mut handlers = WifiHandlers {
            shared: &mut self.wifi,
            scan_limits: ScanLimits::BLE,
        };
        let client = ClientId::new(TransportKind::Ble, u32::from(conn));
        self.protocomm
            .handle(client, endpoint, request, &mut handlers, &mut self.rng)
            .ok()
    }

    fn on_disconnect(&mut self, conn: u16) {
        self.protocomm
            .close_session(ClientId::new(TransportKind::Ble, u32::from(conn)));
    }
}

#[cfg(feature = "softap")]
impl HttpHandler for Provisioner {
    fn on_request(&mut self, request: HttpRequestParts<'_>) -> HttpAnswer {
        let mut handlers = WifiHandlers {
            shared: &mut self.wifi,
            scan_limits: ScanLimits::HTTP,
        };
        let request = HttpRequest {
            method: request.method,
            path: request.path,
            cookie: request.cookie,
            body: request.body,
            connection: request.connection,
        };
        match self
            .http
            .handle(&mut self.protocomm, &request, &mut handlers, &mut self.rng)
        {
            HttpOutcome::Reply(reply) => HttpAnswer::Reply {
                status: reply.status,
                set_cookie: reply.set_cookie,
                body: reply.body,
            },
            HttpOutcome::Close => HttpAnswer::Close,
        }
    }

    fn on_connection_closed(&mut self, connection: u32) {
        self.http.connection_closed(connection);
    }
}
