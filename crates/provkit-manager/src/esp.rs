//! The ESP-IDF `wifi_prov_mgr` personality (esp-provisioning.md §6): [`EspManager`].
//!
//! ```text
//!   new (INIT) ──start──► Started (START) ──ApplyConfig──► CredRecv (SET_STA_CONFIG, CRED_RECV)
//!        ▲                   ▲    │                           │ GotIp: Persist (CRED_SUCCESS)
//!        │                   │    │ reprov (START)            ▼
//!        │        disconnect: retry while wifi_conn_attempts remain, else Fail (CRED_FAIL)
//!        │                                                  Success ──GetStatus=Connected /
//!        │                                                    │       auto-stop / stop──► Stopping
//!        └──────── cleanup delay (END) ◄──────────────────────────────────────────────────┘
//! ```
//!
//! Beyond the reference: a failed attempt goes straight back to accepting credentials in the
//! same session, a new round gets the full attempt budget, credentials are persisted only
//! after the address is acquired, and an optional window stops an idle session.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use provkit_hal::{Credentials, Instant, Ssid};

use crate::error::ManagerError;
use crate::machine::{Core, Manager, Pending, Personality, ms, sealed};
use crate::types::{
    Action, ConnectedInfo, FailReason, ProvState, ServiceInfo, StaState, WireFailReason,
};

/// The ESP-IDF `wifi_prov_mgr` manager.
pub type EspManager = Manager<Esp>;

/// Tunables of [`EspManager`]; the defaults are ESP-IDF v5.5's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspConfig {
    /// `wifi_conn_attempts`: 0 = retry "other" disconnects forever (legacy); N = give up
    /// after N disconnects whatever the reason.
    pub wifi_conn_attempts: u32,
    /// Auto-stop delay after success; `None` = disabled (`disable_auto_stop`). ESP: 30 s.
    pub auto_stop_ms: Option<u64>,
    /// Delay between a stop request and the transports going down (ESP: 1000 ms, min 100).
    pub cleanup_delay_ms: u64,
    /// Delay between ApplyConfig and Connect, so the reply leaves before a channel switch.
    pub connect_delay_ms: u64,
    /// Provisioning window: stop after this long without client activity while accepting
    /// credentials. `None` = no window (the reference has none).
    pub window_ms: Option<u64>,
    /// An attempt that has neither an IP address nor a failure after this long fails
    /// (`NoIp` if associated, else `Timeout`).
    pub confirm_timeout_ms: u64,
    /// Maximum scan results kept (`CONFIG_WIFI_PROV_SCAN_MAX_ENTRIES`, default 16).
    pub max_scan_results: usize,
}

impl EspConfig {
    /// ESP-IDF v5.5 defaults.
    pub const DEFAULT: Self = Self {
        wifi_conn_attempts: 0,
        auto_stop_ms: Some(30_000),
        cleanup_delay_ms: 1_000,
        connect_delay_ms: 1_000,
        window_ms: None,
        confirm_timeout_ms: 30_000,
        max_scan_results: 16,
    };
}

impl Default for EspConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Range `CONFIG_WIFI_PROV_AUTOSTOP_TIMEOUT` allows (5–600 s).
const AUTO_STOP_RANGE_MS: core::ops::RangeInclusive<u64> = 5_000..=600_000;
/// The reference's floor under the cleanup delay.
const MIN_CLEANUP_DELAY_MS: u64 = 100;

/// ESP `WIFI_PROV_*` events, in their emission order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EspEvent {
    /// Manager initialised.
    Init,
    /// Provisioning started (also after reprovision).
    Start,
    /// Credentials about to be applied (v5.4+ `SET_STA_CONFIG`).
    SetStaConfig {
        /// The SSID being applied.
        ssid: Ssid,
    },
    /// Credentials received and applied.
    CredRecv {
        /// The SSID being tried.
        ssid: Ssid,
    },
    /// The attempt failed for good.
    CredFail {
        /// The reason the ESP wire would report.
        wire: WireFailReason,
        /// The rich reason.
        reason: FailReason,
    },
    /// Connected with an IP address (credentials persisted).
    CredSuccess,
    /// Provisioning ended (transports down).
    End,
    /// Manager deinitialised.
    Deinit,
}

/// One label of the proto-ver JSON (`wifi_prov_mgr_set_app_info`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppInfo {
    /// JSON key.
    pub label: String,
    /// `ver` value.
    pub version: String,
    /// `cap` values.
    pub capabilities: Vec<String>,
}

/// The ESP personality's own state (the type parameter of [`EspManager`]).
#[derive(Clone, Debug)]
pub struct Esp {
    config: EspConfig,
    /// Disconnects counted against `wifi_conn_attempts` in the current round.
    completed_attempts: u32,
    /// Last mapped wire reason (ESP keeps it when the final reason is "other").
    last_wire: WireFailReason,
    /// Why the last try of the current round failed (retries included).
    last_try: Option<FailReason>,
    auto_stop_at: Option<u64>,
    stop_at: Option<u64>,
    app_info: Vec<AppInfo>,
    custom_endpoints: Vec<String>,
    registered_endpoints: Vec<String>,
    events: VecDeque<EspEvent>,
}

impl sealed::Sealed for Esp {}

impl Esp {
    fn event(&mut self, event: EspEvent) {
        self.events.push_back(event);
    }

    /// Stop requested: the transports go down after the cleanup delay.
    fn begin_stop(&mut self, core: &mut Core, now: u64) {
        core.cancel_attempt();
        core.state = ProvState::Stopping;
        core.window_deadline = None;
        self.auto_stop_at = None;
        self.stop_at =
            Some(now.saturating_add(self.config.cleanup_delay_ms.max(MIN_CLEANUP_DELAY_MS)));
    }

    /// Transports down (END). Without new confirmed credentials the station goes back to
    /// the stored profiles (ESP §6.8).
    fn finish_stop(&mut self, core: &mut Core) {
        core.end_running();
        self.stop_at = None;
        self.auto_stop_at = None;
        self.registered_endpoints.clear();
        core.act(Action::StopTransports);
        if !matches!(core.sta, StaState::Connected(_)) {
            core.reconnect_stored();
        }
        self.event(EspEvent::End);
    }

    /// A new session: Started, the attempt budget and the stop timers reset.
    fn begin_running(&mut self, core: &mut Core, now: u64) {
        core.begin_running(self, now);
        self.completed_attempts = 0;
        self.auto_stop_at = None;
        self.stop_at = None;
    }
}

impl Personality for Esp {
    type Config = EspConfig;
    type Event = EspEvent;

    fn create(config: EspConfig) -> Result<Self, ManagerError> {
        if config
            .auto_stop_ms
            .is_some_and(|d| !AUTO_STOP_RANGE_MS.contains(&d))
        {
            return Err(ManagerError::InvalidArgument);
        }
        let mut events = VecDeque::new();
        events.push_back(EspEvent::Init);
        Ok(Self {
            config,
            completed_attempts: 0,
            last_wire: WireFailReason::AuthError,
            last_try: None,
            auto_stop_at: None,
            stop_at: None,
            app_info: Vec::new(),
            custom_endpoints: Vec::new(),
            registered_endpoints: Vec::new(),
            events,
        })
    }

    fn config(&self) -> &EspConfig {
        &self.config
    }

    fn next_event(&mut self) -> Option<EspEvent> {
        self.events.pop_front()
    }

    fn connect_delay_ms(&self) -> u64 {
        self.config.connect_delay_ms
    }

    fn confirm_timeout_ms(&self) -> u64 {
        self.config.confirm_timeout_ms
    }

    fn window_ms(&self) -> Option<u64> {
        self.config.window_ms
    }

    fn max_scan_results(&self) -> usize {
        self.config.max_scan_results
    }

    fn config_received(
        &mut self,
        core: &mut Core,
        credentials: Credentials,
        now: u64,
    ) -> Result<(), ManagerError> {
        core.set_pending(self, credentials, None, now)
    }

    fn attempt_begins(&mut self, _core: &mut Core, ssid: &Ssid) -> bool {
        self.event(EspEvent::SetStaConfig { ssid: ssid.clone() });
        self.event(EspEvent::CredRecv { ssid: ssid.clone() });
        // A new round gets the full attempt budget (fixes ESP quirk §12.15).
        self.completed_attempts = 0;
        self.last_try = None;
        false
    }

    fn ip_acquired(&mut self, core: &mut Core, info: ConnectedInfo, now: u64) {
        // ESP's confirmation is the address itself.
        if core.confirm(info) {
            self.event(EspEvent::CredSuccess);
            self.auto_stop_at = self.config.auto_stop_ms.map(|d| now.saturating_add(d));
        }
    }

    fn attempt_disconnected(
        &mut self,
        core: &mut Core,
        reason: FailReason,
        _confirming: bool,
        now: u64,
    ) {
        if let Some(wire) = reason.wire() {
            self.last_wire = wire;
        }
        self.last_try = Some(reason);
        let budget = self.config.wifi_conn_attempts;
        if budget == 0 {
            if reason.wire().is_some() {
                core.fail(self, reason, now);
            } else {
                // Legacy behaviour: "other" reasons retry forever.
                core.retry_attempt(self, now);
            }
            return;
        }
        self.completed_attempts = self.completed_attempts.saturating_add(1);
        if self.completed_attempts < budget {
            core.sta = StaState::AttemptFailed {
                attempts_remaining: budget - self.completed_attempts,
            };
            core.retry_attempt(self, now);
        } else {
            core.fail(self, reason, now);
        }
    }

    fn wire_reason(&self, reason: FailReason) -> WireFailReason {
        reason.wire().unwrap_or(self.last_wire)
    }

    fn attempt_failed(&mut self, _core: &mut Core, wire: WireFailReason, reason: FailReason) {
        self.event(EspEvent::CredFail { wire, reason });
    }

    fn confirmation_overdue(&mut self, core: &mut Core, now: u64) {
        // ESP confirms on the address and never waits; an overdue wait is a timeout.
        core.fail(self, FailReason::Timeout, now);
    }

    fn status_delivered(&mut self, core: &mut Core, now: u64) {
        // `wifi_prov_mgr_done`: the client saw the result, provisioning is over.
        if core.state == ProvState::Success && self.config.auto_stop_ms.is_some() {
            self.begin_stop(core, now);
        }
    }

    fn window_expired(&mut self, core: &mut Core, now: u64) {
        self.begin_stop(core, now);
    }

    fn timers(&mut self, core: &mut Core, now: u64) {
        if self.auto_stop_at.is_some_and(|t| now >= t) && core.state == ProvState::Success {
            self.begin_stop(core, now);
        }
        if self.stop_at.is_some_and(|t| now >= t) && core.state == ProvState::Stopping {
            self.finish_stop(core);
        }
    }

    fn next_deadline(&self, _core: &Core) -> Option<u64> {
        [self.auto_stop_at, self.stop_at]
            .into_iter()
            .flatten()
            .min()
    }

    fn transports_failed(&mut self, _core: &mut Core) {}

    fn reprovision(&mut self, core: &mut Core, now: u64) -> Result<(), ManagerError> {
        if self.config.auto_stop_ms.is_some() {
            return Err(ManagerError::AutoStopEnabled);
        }
        core.restart_accepting(self, now)?;
        self.completed_attempts = 0;
        self.auto_stop_at = None;
        self.stop_at = None;
        self.event(EspEvent::Start);
        Ok(())
    }
}

impl Manager<Esp> {
    // ----- lifecycle ---------------------------------------------------------------------

    /// `wifi_prov_mgr_deinit`: stops at once if running (END), then DEINIT.
    pub fn deinit(&mut self, _now: Instant) -> Result<(), ManagerError> {
        self.core.require_init()?;
        if self.core.state.is_running() {
            self.core.cancel_attempt();
            self.personality.finish_stop(&mut self.core);
        }
        self.core.initialized = false;
        self.personality.event(EspEvent::Deinit);
        Ok(())
    }

    /// `wifi_prov_mgr_start_provisioning`: Idle → Started, START. The security scheme lives in
    /// protocomm (see `Device`); the manager only needs the service name/key for the transports.
    pub fn start(&mut self, service: ServiceInfo, now: Instant) -> Result<(), ManagerError> {
        self.core.require_init()?;
        if self.core.state != ProvState::Idle {
            return Err(self.core.wrong("start_provisioning"));
        }
        self.personality.begin_running(&mut self.core, ms(now));
        self.core.act(Action::StartTransports(service));
        // The reference blanks the RAM STA config so the old network does not interfere.
        self.core.act(Action::Disconnect);
        self.personality.event(EspEvent::Start);
        Ok(())
    }

    /// `wifi_prov_mgr_stop_provisioning`: asynchronous; END after the cleanup delay.
    pub fn stop(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.core.require_init()?;
        match self.core.state {
            ProvState::Idle | ProvState::Stopping => Err(self.core.wrong("stop_provisioning")),
            _ => {
                self.personality.begin_stop(&mut self.core, ms(now));
                Ok(())
            }
        }
    }

    /// A start whose transports could not be built: back to Idle at once (END).
    pub fn deinit_transports_after_failed_start(&mut self, _now: Instant) {
        if self.core.state.is_running() {
            self.core.cancel_attempt();
            self.personality.finish_stop(&mut self.core);
        }
    }

    /// `wifi_prov_mgr_disable_auto_stop`: before start only.
    pub fn disable_auto_stop(&mut self, cleanup_delay_ms: u64) -> Result<(), ManagerError> {
        self.core.require_init()?;
        if self.core.state != ProvState::Idle {
            return Err(self.core.wrong("disable_auto_stop"));
        }
        self.personality.config.auto_stop_ms = None;
        self.personality.config.cleanup_delay_ms = cleanup_delay_ms;
        Ok(())
    }

    /// Set the auto-stop delay (`CONFIG_WIFI_PROV_AUTOSTOP_TIMEOUT`, 5–600 s); Idle only.
    pub fn set_auto_stop(&mut self, delay_ms: u64) -> Result<(), ManagerError> {
        self.core.require_init()?;
        if self.core.state != ProvState::Idle {
            return Err(self.core.wrong("set_auto_stop"));
        }
        if !AUTO_STOP_RANGE_MS.contains(&delay_ms) {
            return Err(ManagerError::InvalidArgument);
        }
        self.personality.config.auto_stop_ms = Some(delay_ms);
        Ok(())
    }

    /// `wifi_prov_mgr_get_remaining_conn_attempts`.
    pub fn remaining_conn_attempts(&self) -> u32 {
        self.personality
            .config
            .wifi_conn_attempts
            .saturating_sub(self.personality.completed_attempts)
    }

    /// Why the last try of the current attempt round failed, retries included (GetStatus's
    /// `attempt_failed` carries no reason); `None` until one failed. What a captive portal
    /// shows while the manager retries.
    pub fn last_try_failure(&self) -> Option<FailReason> {
        self.personality.last_try
    }

    // ----- proto-ver labels and application endpoints -----------------------------------

    /// `wifi_prov_mgr_set_app_info`: before start only.
    pub fn set_app_info(&mut self, info: AppInfo) -> Result<(), ManagerError> {
        self.core.require_init()?;
        if self.core.state != ProvState::Idle {
            return Err(self.core.wrong("set_app_info"));
        }
        let labels = &mut self.personality.app_info;
        labels.retain(|a| a.label != info.label);
        labels.push(info);
        Ok(())
    }

    /// App labels for the proto-ver JSON, in call order.
    pub fn app_info(&self) -> &[AppInfo] {
        &self.personality.app_info
    }

    /// `wifi_prov_mgr_endpoint_create`: before start only; returns the creation index
    /// (BLE id = 0xFF54 + index).
    pub fn endpoint_create(&mut self, name: &str) -> Result<usize, ManagerError> {
        self.core.require_init()?;
        if self.core.state != ProvState::Idle {
            return Err(self.core.wrong("endpoint_create"));
        }
        let created = &mut self.personality.custom_endpoints;
        if created.iter().any(|n| n == name) {
            return Err(ManagerError::EndpointExists);
        }
        created.push(String::from(name));
        Ok(created.len() - 1)
    }

    /// `wifi_prov_mgr_endpoint_register`: after start; the handler itself lives in `Device`.
    pub fn endpoint_register(&mut self, name: &str) -> Result<(), ManagerError> {
        self.core.require_init()?;
        if !matches!(
            self.core.state,
            ProvState::Started | ProvState::CredRecv | ProvState::Fail | ProvState::Success
        ) {
            return Err(self.core.wrong("endpoint_register"));
        }
        if !self.personality.custom_endpoints.iter().any(|n| n == name) {
            return Err(ManagerError::UnknownEndpoint);
        }
        if !self.is_endpoint_registered(name) {
            self.personality
                .registered_endpoints
                .push(String::from(name));
        }
        Ok(())
    }

    /// `wifi_prov_mgr_endpoint_unregister`.
    pub fn endpoint_unregister(&mut self, name: &str) -> Result<(), ManagerError> {
        self.core.require_init()?;
        let registered = &mut self.personality.registered_endpoints;
        let before = registered.len();
        registered.retain(|n| n != name);
        if before == registered.len() {
            return Err(ManagerError::UnknownEndpoint);
        }
        Ok(())
    }

    /// Custom endpoints created before start, in creation order (BLE ids 0xFF54…).
    pub fn custom_endpoints(&self) -> &[String] {
        &self.personality.custom_endpoints
    }

    /// True if a custom endpoint has a registered handler.
    pub fn is_endpoint_registered(&self, name: &str) -> bool {
        self.personality
            .registered_endpoints
            .iter()
            .any(|n| n == name)
    }

    // ----- credentials and state resets ---------------------------------------------------

    /// `wifi_prov_mgr_configure_sta`: apply these credentials directly.
    pub fn configure_sta(
        &mut self,
        credentials: Credentials,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.core.require_init()?;
        if !matches!(self.core.state, ProvState::Started | ProvState::Fail) {
            return Err(self.core.wrong("configure_sta"));
        }
        self.core.pending = None;
        self.core.begin_attempt(
            &mut self.personality,
            Pending {
                credentials,
                priority: None,
            },
            ms(now),
        );
        Ok(())
    }

    /// `wifi_prov_mgr_reset_provisioning`: erase every stored profile.
    pub fn reset_provisioning(&mut self) -> Result<(), ManagerError> {
        self.core.require_init()?;
        self.core.clear_profiles();
        Ok(())
    }

    /// `wifi_prov_mgr_reset_sm_state_on_failure` (prov-ctrl Reset): Fail → Started. Already
    /// Started is accepted (network_provisioning ≥ 1.2.1 behaviour, ESP quirk §12.16).
    pub fn reset_sm_state_on_failure(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.ctrl_reset(now)
    }

    /// `wifi_prov_mgr_reset_sm_state_for_reprovision` (prov-ctrl Reprov): needs auto-stop
    /// disabled; any running state → Started, disconnect, START.
    pub fn reset_sm_state_for_reprovision(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.ctrl_reprovision(now)
    }
}
