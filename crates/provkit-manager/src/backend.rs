//! The manager behind provkit-wifi's endpoint handlers: [`WifiBackend`] implements
//! `ConfigBackend`, `ScanBackend` and `CtrlBackend` over a borrowed [`Manager`] of either
//! personality and the current time, and [`Manager::handle_wifi_request`] dispatches
//! `prov-config`, `prov-scan` and `prov-ctrl` plaintext bodies to `provkit_wifi::handle_*`.
//! What a request means beyond the core (SetConfig as a TI profile, GetStatus as ESP's "done"
//! or TI's feedback) is the personality's decision, taken inside the core's operations.

use alloc::vec::Vec;
use core::cell::Cell;

use provkit_hal::{Credentials, DisconnectReason, Instant, ScanConfig, ScanEntry};
use provkit_wifi::{
    ConfigBackend, CtrlBackend, ScanBackend, ScanLimits, StationStatus, Status, WifiError,
};

use crate::machine::{Manager, Personality};
use crate::types::{FailReason, StaState, WireFailReason};

/// Endpoint names of the built-in request endpoints (esp-provisioning.md §3.1).
pub const PROV_CONFIG: &str = "prov-config";
/// Scan endpoint.
pub const PROV_SCAN: &str = "prov-scan";
/// Control endpoint.
pub const PROV_CTRL: &str = "prov-ctrl";

/// One request's view of the manager for provkit-wifi's handlers.
pub struct WifiBackend<'a, P> {
    manager: &'a mut Manager<P>,
    now: Instant,
    /// GetStatus reads through `&self`; remember it so the "done"/feedback side effects run
    /// after the handler returns.
    status_read: Cell<bool>,
}

impl<'a, P: Personality> WifiBackend<'a, P> {
    /// Borrow `manager` for one request at `now`.
    pub fn new(manager: &'a mut Manager<P>, now: Instant) -> Self {
        Self {
            manager,
            now,
            status_read: Cell::new(false),
        }
    }

    /// Run the side effects of a GetStatus answered `Connected` (ESP auto-stop; TI feedback).
    pub fn finish(self) {
        if self.status_read.get() && matches!(self.manager.wifi_state(), StaState::Connected(_)) {
            self.manager.get_status(self.now);
        }
    }
}

/// The rich status as provkit-wifi models it. When the wire reason and the rich reason
/// disagree (a final "other" reason after an earlier not-found), the wire value wins so
/// GetStatus stays what the reference sends.
pub fn station_status(state: &StaState) -> StationStatus {
    match state {
        StaState::Connecting => StationStatus::Connecting,
        StaState::AttemptFailed { attempts_remaining } => StationStatus::AttemptFailed {
            attempts_remaining: *attempts_remaining,
        },
        StaState::Connected(info) => StationStatus::Connected(provkit_wifi::ConnectedInfo {
            ip: info.ip,
            ssid: info.ssid.clone(),
            bssid: info.bssid,
            channel: info.channel,
            auth: info.auth,
        }),
        StaState::Failed { wire, reason } => StationStatus::Failed(match (wire, reason) {
            (WireFailReason::NetworkNotFound, _) => DisconnectReason::NetworkNotFound,
            (_, FailReason::AuthFailed) => DisconnectReason::AuthFailed,
            (_, FailReason::NoIp) => DisconnectReason::NoIp,
            (_, FailReason::Timeout) => DisconnectReason::Timeout,
            (_, FailReason::ConnectionLost) => DisconnectReason::ConnectionLost,
            (_, FailReason::Other(code)) => DisconnectReason::Other(*code),
            (_, FailReason::FeedbackFailed | FailReason::NetworkNotFound) => {
                DisconnectReason::Other(0)
            }
        }),
    }
}

impl<P: Personality> ConfigBackend for WifiBackend<'_, P> {
    fn status(&self) -> StationStatus {
        self.status_read.set(true);
        station_status(self.manager.wifi_state())
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

impl<P: Personality> ScanBackend for WifiBackend<'_, P> {
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

impl<P: Personality> CtrlBackend for WifiBackend<'_, P> {
    fn reset(&mut self) -> Result<(), Status> {
        self.manager
            .ctrl_reset(self.now)
            .map_err(|_| Status::InternalError)
    }

    fn reprov(&mut self) -> Result<(), Status> {
        self.manager
            .ctrl_reprovision(self.now)
            .map_err(|_| Status::InternalError)
    }
}

impl<P: Personality> Manager<P> {
    /// Handle a decrypted `prov-config` / `prov-scan` / `prov-ctrl` body with HTTP scan
    /// pages. `None` if `endpoint` is none of them; `Some(Err)` means no response (reference
    /// behaviour).
    pub fn handle_wifi_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
        now: Instant,
    ) -> Option<Result<Vec<u8>, WifiError>> {
        let limits = ScanLimits {
            max_entries: u32::try_from(self.max_scan_results()).unwrap_or(u32::MAX),
            ..ScanLimits::HTTP
        };
        self.handle_wifi_request_with_limits(endpoint, plaintext, limits, now)
    }

    /// [`Self::handle_wifi_request`] with the transport's scan page limits (e.g.
    /// [`ScanLimits::BLE`] caps a page at 4 entries so it fits a characteristic).
    pub fn handle_wifi_request_with_limits(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
        limits: ScanLimits,
        now: Instant,
    ) -> Option<Result<Vec<u8>, WifiError>> {
        self.on_client_activity(now);
        let mut backend = WifiBackend::new(self, now);
        let result = match endpoint {
            PROV_CONFIG => provkit_wifi::handle_config(plaintext, &mut backend),
            PROV_SCAN => provkit_wifi::handle_scan(plaintext, &mut backend, limits),
            PROV_CTRL => provkit_wifi::handle_ctrl(plaintext, &mut backend),
            _ => return None,
        };
        backend.finish();
        Some(result)
    }
}
