//! The core state machine shared by both personalities, and the ESP (`wifi_prov_mgr`) API.
//!
//! ```text
//!   new ──► Idle ──start──► Started ◄──────────────┐ (fail: back to accepting, no reset needed)
//!                              │ apply_config         │
//!                              ▼                      │
//!                           CredRecv ──disconnect/timeout──► Fail
//!                              │ GotIp (ESP) / feedback (TI): Persist
//!                              ▼
//!                           Success ──auto-stop / GetStatus / stop──► Stopping ──cleanup──► Idle
//! ```
//! Time only moves when the caller passes `now`; every deadline is checked in
//! [`Manager::on_tick`] and in the other entry points.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use provkit_hal::zeroize::Zeroize;
use provkit_hal::{
    Credentials, DisconnectReason, Instant, LinkEvent, Profile, ScanConfig, ScanEntry,
};

use crate::error::ManagerError;
use crate::ti::TiState;
use crate::types::{
    Action, ConnectedInfo, EspEvent, Event, FailReason, Personality, ProvState, ServiceInfo,
    StaState, TiEvent, TiStatus, WireFailReason,
};

/// Maximum number of stored profiles (TI `SL_WLAN_MAX_PROFILES`).
pub const MAX_PROFILES: usize = 7;
/// Highest profile priority (TI: 0 lowest … 15 highest).
pub const MAX_PRIORITY: u8 = 15;

/// Tunables. Defaults follow the reference implementations; see [`ManagerConfig::esp`] and
/// [`ManagerConfig::ti`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagerConfig {
    /// Which semantics to follow.
    pub personality: Personality,
    /// ESP `wifi_conn_attempts`: 0 = retry "other" disconnects forever (legacy); N = give up
    /// after N disconnects whatever the reason.
    pub wifi_conn_attempts: u32,
    /// Auto-stop delay after success; `None` = disabled (`disable_auto_stop`). ESP: 30 s.
    pub auto_stop_ms: Option<u64>,
    /// Delay between a stop request and the transports going down (ESP: 1000 ms, min 100).
    pub cleanup_delay_ms: u64,
    /// Delay between ApplyConfig and Connect, so the reply leaves before a channel switch.
    pub connect_delay_ms: u64,
    /// Provisioning window: stop after this long without client activity while accepting
    /// credentials. `None` = no window. TI's inactivity timeout sets it at start.
    pub window_ms: Option<u64>,
    /// An attempt that has neither an IP address nor a failure after this long fails
    /// (`NoIp` if associated, else `Timeout`).
    pub confirm_timeout_ms: u64,
    /// TI local feedback: how long after IP acquisition the phone may fetch the result.
    pub feedback_timeout_ms: u64,
    /// Maximum scan results kept (ESP `CONFIG_WIFI_PROV_SCAN_MAX_ENTRIES`, default 16).
    pub max_scan_results: usize,
    /// TI auto-provisioning connection policy bit.
    pub ti_auto_provisioning: bool,
    /// TI: is the HTTP server enabled (AP modes need it)?
    pub ti_http_server_enabled: bool,
    /// TI: inactivity timeout used when the NWP starts provisioning by itself.
    pub ti_auto_inactivity_s: u16,
}

impl ManagerConfig {
    /// ESP-IDF v5.5 defaults.
    pub const fn esp() -> Self {
        Self {
            personality: Personality::Esp,
            wifi_conn_attempts: 0,
            auto_stop_ms: Some(30_000),
            cleanup_delay_ms: 1_000,
            connect_delay_ms: 1_000,
            window_ms: None,
            confirm_timeout_ms: 30_000,
            feedback_timeout_ms: 60_000,
            max_scan_results: 16,
            ti_auto_provisioning: false,
            ti_http_server_enabled: true,
            ti_auto_inactivity_s: 600,
        }
    }

    /// TI CC32xx defaults (auto-provisioning policy on, local feedback).
    pub const fn ti() -> Self {
        Self {
            personality: Personality::Ti,
            wifi_conn_attempts: 1,
            auto_stop_ms: None,
            cleanup_delay_ms: 0,
            connect_delay_ms: 0,
            window_ms: None,
            confirm_timeout_ms: 30_000,
            feedback_timeout_ms: 60_000,
            max_scan_results: 16,
            ti_auto_provisioning: true,
            ti_http_server_enabled: true,
            ti_auto_inactivity_s: 600,
        }
    }
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting `connect_delay_ms` before connecting.
    Scheduled {
        connect_at: u64,
    },
    /// TI mode 3: waiting for the host to restart the NWP after a reset request.
    AwaitNwpRestart,
    Connecting,
    Associated {
        bssid: provkit_hal::Bssid,
        channel: u8,
        auth: provkit_hal::AuthMode,
    },
    /// TI: connected with an IP, waiting for local feedback (`Some(deadline)`) or the host's
    /// external confirmation (`None`).
    IpAcquired {
        info: ConnectedInfo,
        feedback_deadline: Option<u64>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attempt {
    pub(crate) credentials: Credentials,
    pub(crate) priority: Option<u8>,
    pub(crate) phase: Phase,
    /// Confirmation deadline (armed when the connect is issued).
    pub(crate) deadline: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pending {
    pub(crate) credentials: Credentials,
    pub(crate) priority: Option<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ScanState {
    running: bool,
    /// When a running scan counts as finished with no results (a radio that never reports
    /// must not hold a blocking ScanStart, or ScanStatus, forever).
    deadline: Option<u64>,
    results: Vec<ScanEntry>,
}

/// Longest a scan may run before it counts as finished with nothing found. A full scan of
/// every channel takes a few seconds on real radios.
pub const SCAN_TIMEOUT_MS: u64 = 15_000;

/// The provisioning manager. Feed it calls and events with the current time; drain
/// [`Manager::poll_action`] and [`Manager::poll_event`] after each call.
#[derive(Clone, Debug)]
pub struct Manager {
    pub(crate) cfg: ManagerConfig,
    pub(crate) initialized: bool,
    pub(crate) state: ProvState,
    pub(crate) pending: Option<Pending>,
    pub(crate) attempt: Option<Attempt>,
    pub(crate) sta: StaState,
    /// Disconnects counted against `wifi_conn_attempts` in the current round.
    completed_attempts: u32,
    /// Last mapped wire reason (ESP keeps it when the final reason is "other").
    last_wire: WireFailReason,
    pub(crate) last_fail: Option<FailReason>,
    pub(crate) profiles: Vec<Profile>,
    pub(crate) window_deadline: Option<u64>,
    auto_stop_at: Option<u64>,
    stop_at: Option<u64>,
    scan: ScanState,
    app_info: Vec<AppInfo>,
    custom_endpoints: Vec<String>,
    registered_endpoints: Vec<String>,
    pub(crate) ti: TiState,
    actions: VecDeque<Action>,
    events: VecDeque<Event>,
}

pub(crate) fn ms(now: Instant) -> u64 {
    now.as_millis()
}

impl Manager {
    /// `wifi_prov_mgr_init`: a manager in `Idle`; emits INIT (ESP). `profiles` is what the
    /// credential store holds (at most [`MAX_PROFILES`]).
    pub fn new(cfg: ManagerConfig, profiles: Vec<Profile>) -> Result<Self, ManagerError> {
        if profiles.len() > MAX_PROFILES {
            return Err(ManagerError::TooManyProfiles);
        }
        if cfg
            .auto_stop_ms
            .is_some_and(|d| !(5_000..=600_000).contains(&d))
        {
            return Err(ManagerError::InvalidArgument);
        }
        let mut manager = Self {
            cfg,
            initialized: true,
            state: ProvState::Idle,
            pending: None,
            attempt: None,
            sta: StaState::Connecting,
            completed_attempts: 0,
            last_wire: WireFailReason::AuthError,
            last_fail: None,
            profiles,
            window_deadline: None,
            auto_stop_at: None,
            stop_at: None,
            scan: ScanState::default(),
            app_info: Vec::new(),
            custom_endpoints: Vec::new(),
            registered_endpoints: Vec::new(),
            ti: TiState::default(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
        };
        manager.esp_event(EspEvent::Init);
        Ok(manager)
    }

    // ----- outputs ---------------------------------------------------------------------

    /// Next action for the adapter.
    pub fn poll_action(&mut self) -> Option<Action> {
        let action = self.actions.pop_front();
        if matches!(action, Some(Action::Connect(_))) {
            wipe_vacated(&mut self.actions);
        }
        action
    }

    /// Next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub(crate) fn act(&mut self, action: Action) {
        self.actions.push_back(action);
    }

    pub(crate) fn esp_event(&mut self, event: EspEvent) {
        if self.cfg.personality == Personality::Esp {
            self.events.push_back(Event::Esp(event));
        }
    }

    pub(crate) fn ti_event(&mut self, event: TiEvent) {
        if self.cfg.personality == Personality::Ti {
            self.events.push_back(Event::Ti(event));
        }
    }

    // ----- queries ---------------------------------------------------------------------

    /// Current state.
    pub fn state(&self) -> ProvState {
        self.state
    }

    /// The configuration in use.
    pub fn config(&self) -> &ManagerConfig {
        &self.cfg
    }

    /// `wifi_prov_mgr_is_sm_idle`.
    pub fn is_idle(&self) -> bool {
        self.state == ProvState::Idle
    }

    /// `wifi_prov_mgr_is_provisioned`: at least one confirmed profile is stored.
    pub fn is_provisioned(&self) -> bool {
        !self.profiles.is_empty()
    }

    /// The confirmed profiles (what the store holds after the last Persist).
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// `wifi_prov_mgr_get_wifi_state` (rich form).
    pub fn wifi_state(&self) -> &StaState {
        &self.sta
    }

    /// `wifi_prov_mgr_get_wifi_disconnect_reason`: only valid after a final failure.
    pub fn wifi_disconnect_reason(&self) -> Option<WireFailReason> {
        match self.sta {
            StaState::Failed { wire, .. } => Some(wire),
            _ => None,
        }
    }

    /// The rich reason of the last failed attempt (kept until the next success).
    pub fn fail_reason(&self) -> Option<FailReason> {
        self.last_fail
    }

    /// `wifi_prov_mgr_get_remaining_conn_attempts`.
    pub fn remaining_conn_attempts(&self) -> u32 {
        self.cfg
            .wifi_conn_attempts
            .saturating_sub(self.completed_attempts)
    }

    /// App labels for the proto-ver JSON, in call order.
    pub fn app_info(&self) -> &[AppInfo] {
        &self.app_info
    }

    /// Custom endpoints created before start, in creation order (BLE ids 0xFF54…).
    pub fn custom_endpoints(&self) -> &[String] {
        &self.custom_endpoints
    }

    /// True if a custom endpoint has a registered handler.
    pub fn is_endpoint_registered(&self, name: &str) -> bool {
        self.registered_endpoints.iter().any(|n| n == name)
    }

    /// True while an unconfirmed attempt owns the station.
    pub fn attempt_in_progress(&self) -> bool {
        self.attempt.is_some()
    }

    /// The earliest pending deadline, so an adapter can sleep until then.
    pub fn next_deadline(&self) -> Option<Instant> {
        let attempt = self.attempt.as_ref().map(|a| match a.phase {
            Phase::Scheduled { connect_at } => connect_at,
            Phase::IpAcquired {
                feedback_deadline, ..
            } => feedback_deadline.unwrap_or(u64::MAX),
            Phase::AwaitNwpRestart => u64::MAX,
            _ => a.deadline,
        });
        [
            attempt,
            self.scan.deadline,
            self.window_deadline,
            self.auto_stop_at,
            self.stop_at,
            self.ti_next_deadline(),
        ]
        .into_iter()
        .flatten()
        .filter(|d| *d != u64::MAX)
        .min()
        .map(Instant::from_millis)
    }

    fn require_init(&self) -> Result<(), ManagerError> {
        if self.initialized {
            Ok(())
        } else {
            Err(ManagerError::NotInitialized)
        }
    }

    fn require_esp(&self) -> Result<(), ManagerError> {
        self.require_init()?;
        if self.cfg.personality == Personality::Esp {
            Ok(())
        } else {
            Err(ManagerError::WrongPersonality)
        }
    }

    fn wrong(&self, operation: &'static str) -> ManagerError {
        ManagerError::WrongState {
            state: self.state,
            operation,
        }
    }

    // ----- ESP lifecycle ---------------------------------------------------------------

    /// `wifi_prov_mgr_deinit`: stops at once if running (END), then DEINIT.
    pub fn deinit(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.require_esp()?;
        if self.state.is_running() {
            self.cancel_attempt();
            self.finish_stop(now);
        }
        self.initialized = false;
        self.esp_event(EspEvent::Deinit);
        Ok(())
    }

    /// `wifi_prov_mgr_start_provisioning`: Idle → Started, START. The security scheme lives in
    /// protocomm (see `Device`); the manager only needs the service name/key for the transports.
    pub fn start(&mut self, service: ServiceInfo, now: Instant) -> Result<(), ManagerError> {
        self.require_esp()?;
        if self.state != ProvState::Idle {
            return Err(self.wrong("start_provisioning"));
        }
        self.begin_running(ms(now));
        self.act(Action::StartTransports(service));
        // The reference blanks the RAM STA config so the old network does not interfere.
        self.act(Action::Disconnect);
        self.esp_event(EspEvent::Start);
        Ok(())
    }

    pub(crate) fn begin_running(&mut self, now: u64) {
        self.state = ProvState::Started;
        self.pending = None;
        self.attempt = None;
        self.sta = StaState::Connecting;
        self.completed_attempts = 0;
        self.auto_stop_at = None;
        self.stop_at = None;
        self.scan = ScanState::default();
        self.window_deadline = self.cfg.window_ms.map(|w| now.saturating_add(w));
    }

    /// `wifi_prov_mgr_stop_provisioning`: asynchronous; END after the cleanup delay.
    pub fn stop(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.require_esp()?;
        match self.state {
            ProvState::Idle | ProvState::Stopping => Err(self.wrong("stop_provisioning")),
            _ => {
                self.begin_stop(ms(now));
                Ok(())
            }
        }
    }

    fn begin_stop(&mut self, now: u64) {
        self.cancel_attempt();
        self.state = ProvState::Stopping;
        self.window_deadline = None;
        self.auto_stop_at = None;
        self.stop_at = Some(now.saturating_add(self.cfg.cleanup_delay_ms.max(100)));
    }

    fn finish_stop(&mut self, _now: Instant) {
        self.state = ProvState::Idle;
        self.stop_at = None;
        self.window_deadline = None;
        self.auto_stop_at = None;
        self.scan = ScanState::default();
        self.registered_endpoints.clear();
        self.act(Action::StopTransports);
        if !matches!(self.sta, StaState::Connected(_)) {
            // Nothing new was confirmed: the stored profiles are used again (ESP §6.8).
            self.reconnect_stored();
        }
        self.esp_event(EspEvent::End);
    }

    /// Hand the station back to the best stored profile (highest priority, newest on ties).
    pub(crate) fn reconnect_stored(&mut self) {
        let best = self
            .profiles
            .iter()
            .enumerate()
            .max_by_key(|(index, p)| (p.priority, *index))
            .map(|(_, p)| p.credentials.clone());
        if let Some(credentials) = best {
            self.act(Action::Disconnect);
            self.act(Action::Connect(credentials));
        }
    }

    /// A start whose transports could not be built: back to Idle at once (END).
    pub fn deinit_transports_after_failed_start(&mut self, now: Instant) {
        if self.state.is_running() {
            self.cancel_attempt();
            self.finish_stop(now);
        }
    }

    /// `wifi_prov_mgr_disable_auto_stop`: before start only.
    pub fn disable_auto_stop(&mut self, cleanup_delay_ms: u64) -> Result<(), ManagerError> {
        self.require_init()?;
        if self.state != ProvState::Idle {
            return Err(self.wrong("disable_auto_stop"));
        }
        self.cfg.auto_stop_ms = None;
        self.cfg.cleanup_delay_ms = cleanup_delay_ms;
        Ok(())
    }

    /// Set the auto-stop delay (ESP `CONFIG_WIFI_PROV_AUTOSTOP_TIMEOUT`, 5–600 s); Idle only.
    pub fn set_auto_stop(&mut self, delay_ms: u64) -> Result<(), ManagerError> {
        self.require_init()?;
        if self.state != ProvState::Idle {
            return Err(self.wrong("set_auto_stop"));
        }
        if !(5_000..=600_000).contains(&delay_ms) {
            return Err(ManagerError::InvalidArgument);
        }
        self.cfg.auto_stop_ms = Some(delay_ms);
        Ok(())
    }

    /// `wifi_prov_mgr_set_app_info`: before start only.
    pub fn set_app_info(&mut self, info: AppInfo) -> Result<(), ManagerError> {
        self.require_init()?;
        if self.state != ProvState::Idle {
            return Err(self.wrong("set_app_info"));
        }
        self.app_info.retain(|a| a.label != info.label);
        self.app_info.push(info);
        Ok(())
    }

    /// `wifi_prov_mgr_endpoint_create`: before start only; returns the creation index
    /// (BLE id = 0xFF54 + index).
    pub fn endpoint_create(&mut self, name: &str) -> Result<usize, ManagerError> {
        self.require_init()?;
        if self.state != ProvState::Idle {
            return Err(self.wrong("endpoint_create"));
        }
        if self.custom_endpoints.iter().any(|n| n == name) {
            return Err(ManagerError::EndpointExists);
        }
        self.custom_endpoints.push(String::from(name));
        Ok(self.custom_endpoints.len() - 1)
    }

    /// `wifi_prov_mgr_endpoint_register`: after start; the handler itself lives in `Device`.
    pub fn endpoint_register(&mut self, name: &str) -> Result<(), ManagerError> {
        self.require_init()?;
        if !matches!(
            self.state,
            ProvState::Started | ProvState::CredRecv | ProvState::Fail | ProvState::Success
        ) {
            return Err(self.wrong("endpoint_register"));
        }
        if !self.custom_endpoints.iter().any(|n| n == name) {
            return Err(ManagerError::UnknownEndpoint);
        }
        if !self.is_endpoint_registered(name) {
            self.registered_endpoints.push(String::from(name));
        }
        Ok(())
    }

    /// `wifi_prov_mgr_endpoint_unregister`.
    pub fn endpoint_unregister(&mut self, name: &str) -> Result<(), ManagerError> {
        self.require_init()?;
        let before = self.registered_endpoints.len();
        self.registered_endpoints.retain(|n| n != name);
        if before == self.registered_endpoints.len() {
            return Err(ManagerError::UnknownEndpoint);
        }
        Ok(())
    }

    /// `wifi_prov_mgr_reset_provisioning`: erase every stored profile.
    pub fn reset_provisioning(&mut self) -> Result<(), ManagerError> {
        self.require_init()?;
        self.profiles.clear();
        self.act(Action::ClearStore);
        Ok(())
    }

    /// `wifi_prov_mgr_reset_sm_state_on_failure` (prov-ctrl Reset): Fail → Started. Already
    /// Started is accepted (network_provisioning ≥ 1.2.1 behaviour, ESP quirk §12.16).
    pub fn reset_sm_state_on_failure(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.require_init()?;
        match self.state {
            ProvState::Fail | ProvState::Started => {
                self.state = ProvState::Started;
                self.pending = None;
                self.touch(ms(now));
                Ok(())
            }
            _ => Err(self.wrong("reset_sm_state_on_failure")),
        }
    }

    /// `wifi_prov_mgr_reset_sm_state_for_reprovision` (prov-ctrl Reprov): needs auto-stop
    /// disabled; any running state → Started, disconnect, START.
    pub fn reset_sm_state_for_reprovision(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.require_init()?;
        if self.cfg.auto_stop_ms.is_some() {
            return Err(ManagerError::AutoStopEnabled);
        }
        if matches!(self.state, ProvState::Idle | ProvState::Stopping) {
            return Err(self.wrong("reset_sm_state_for_reprovision"));
        }
        self.cancel_attempt();
        let now = ms(now);
        self.begin_running(now);
        self.act(Action::Disconnect);
        self.esp_event(EspEvent::Start);
        Ok(())
    }

    // ----- credentials -------------------------------------------------------------------

    /// SetConfig: remember the latest credentials (always accepted while running).
    pub fn set_config(
        &mut self,
        credentials: Credentials,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.set_pending(credentials, None, now)
    }

    pub(crate) fn set_pending(
        &mut self,
        credentials: Credentials,
        priority: Option<u8>,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.require_init()?;
        if matches!(self.state, ProvState::Idle | ProvState::Stopping) {
            return Err(self.wrong("set_config"));
        }
        self.pending = Some(Pending {
            credentials,
            priority,
        });
        self.touch(ms(now));
        Ok(())
    }

    /// ApplyConfig: start a connection attempt with the pending credentials. Accepted in
    /// Started and — unlike the reference — in Fail, so a wrong password needs no reset.
    /// The pending config is consumed either way (reference behaviour).
    pub fn apply_config(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.require_init()?;
        let pending = self.pending.take();
        if !matches!(self.state, ProvState::Started | ProvState::Fail) {
            return Err(self.wrong("apply_config"));
        }
        let pending = pending.ok_or(ManagerError::NoPendingConfig)?;
        self.begin_attempt(pending, ms(now));
        Ok(())
    }

    /// `wifi_prov_mgr_configure_sta`: apply these credentials directly.
    pub fn configure_sta(
        &mut self,
        credentials: Credentials,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.require_init()?;
        if !matches!(self.state, ProvState::Started | ProvState::Fail) {
            return Err(self.wrong("configure_sta"));
        }
        self.pending = None;
        self.begin_attempt(
            Pending {
                credentials,
                priority: None,
            },
            ms(now),
        );
        Ok(())
    }

    fn begin_attempt(&mut self, pending: Pending, now: u64) {
        let ssid = pending.credentials.ssid.clone();
        self.esp_event(EspEvent::SetStaConfig { ssid: ssid.clone() });
        self.esp_event(EspEvent::CredRecv { ssid });
        self.state = ProvState::CredRecv;
        self.sta = StaState::Connecting;
        // A new round gets the full attempt budget (fixes ESP quirk §12.15).
        self.completed_attempts = 0;
        self.window_deadline = None;
        let phase = if self.ti_needs_nwp_restart() {
            self.ti_event(TiEvent::ResetRequest {
                caller: crate::types::ResetCaller::ProvisioningExternalConfiguration,
            });
            Phase::AwaitNwpRestart
        } else {
            Phase::Scheduled {
                connect_at: now.saturating_add(self.cfg.connect_delay_ms),
            }
        };
        self.attempt = Some(Attempt {
            credentials: pending.credentials,
            priority: pending.priority,
            phase,
            deadline: u64::MAX,
        });
        self.run_timers(now);
    }

    pub(crate) fn issue_connect(&mut self, now: u64) {
        let deadline = now.saturating_add(self.cfg.confirm_timeout_ms);
        if let Some(attempt) = self.attempt.as_mut() {
            attempt.phase = Phase::Connecting;
            attempt.deadline = deadline;
            let credentials = attempt.credentials.clone();
            // One owner at a time: whatever the station is doing (an old network, a link the
            // radio restored by itself, the previous try) is dropped first. Disconnect is
            // idempotent, and it is issued here rather than at ApplyConfig so the reply still
            // leaves before the radio changes anything.
            self.act(Action::Disconnect);
            self.act(Action::Connect(credentials));
        }
    }

    /// Drop the running attempt; its credentials are never persisted.
    pub(crate) fn cancel_attempt(&mut self) {
        if let Some(attempt) = self.attempt.take()
            && !matches!(
                attempt.phase,
                Phase::Scheduled { .. } | Phase::AwaitNwpRestart
            )
        {
            self.act(Action::Disconnect);
        }
    }

    /// GetStatus: what prov-config reports. A `Connected` answer is the ESP "done" signal
    /// (auto-stop) and, for TI, the phone's local feedback.
    pub fn get_status(&mut self, now: Instant) -> StaState {
        let status = self.sta.clone();
        let now_ms = ms(now);
        self.touch(now_ms);
        if matches!(status, StaState::Connected(_)) {
            if self.cfg.personality == Personality::Ti {
                self.ti_feedback(now_ms);
            } else if self.state == ProvState::Success && self.cfg.auto_stop_ms.is_some() {
                self.begin_stop(now_ms);
            }
        }
        status
    }

    // ----- scanning ----------------------------------------------------------------------

    /// prov-scan ScanStart. A second start while one runs is a no-op success (reference).
    pub fn start_scan(&mut self, config: ScanConfig, now: Instant) -> Result<(), ManagerError> {
        self.require_init()?;
        if matches!(self.state, ProvState::Idle | ProvState::Stopping) {
            return Err(self.wrong("start_scan"));
        }
        self.touch(ms(now));
        if !self.scan.running {
            self.scan.running = true;
            self.scan.deadline = Some(ms(now).saturating_add(SCAN_TIMEOUT_MS));
            self.scan.results.clear();
            self.act(Action::StartScan(config));
        }
        Ok(())
    }

    /// The station finished a scan: keep the strongest `max_scan_results`.
    pub fn on_scan_done(&mut self, results: &[ScanEntry], now: Instant) {
        if !self.scan.running {
            return;
        }
        let mut list: Vec<ScanEntry> = results.to_vec();
        list.sort_by_key(|entry| core::cmp::Reverse(entry.rssi));
        list.truncate(self.cfg.max_scan_results);
        self.scan.results = list;
        self.end_scan();
        self.run_timers(ms(now));
    }

    /// A scan is over (results in, radio failed, or timed out).
    fn end_scan(&mut self) {
        self.scan.running = false;
        self.scan.deadline = None;
    }

    /// prov-scan ScanStatus: (finished, count).
    pub fn scan_status(&self) -> (bool, u32) {
        (
            !self.scan.running,
            u32::try_from(self.scan.results.len()).unwrap_or(u32::MAX),
        )
    }

    /// prov-scan ScanResult entry.
    pub fn scan_result(&self, index: u32) -> Option<ScanEntry> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.scan.results.get(i))
            .cloned()
    }

    // ----- events in ---------------------------------------------------------------------

    /// A client talked to us: restarts the provisioning window.
    pub fn on_client_activity(&mut self, now: Instant) {
        self.touch(ms(now));
    }

    pub(crate) fn touch(&mut self, now: u64) {
        if matches!(self.state, ProvState::Started | ProvState::Fail) {
            self.window_deadline = self.cfg.window_ms.map(|w| now.saturating_add(w));
        }
    }

    /// A station event.
    pub fn on_link_event(&mut self, event: &LinkEvent, now: Instant) {
        let now = ms(now);
        self.ti_track_link(event, now);
        match event {
            LinkEvent::Connected {
                bssid,
                channel,
                auth,
            } => {
                if let Some(attempt) = self.attempt.as_mut()
                    && attempt.phase == Phase::Connecting
                {
                    attempt.phase = Phase::Associated {
                        bssid: *bssid,
                        channel: *channel,
                        auth: *auth,
                    };
                    self.ti_status(TiStatus::ConfirmationWlanConnect, None);
                }
            }
            LinkEvent::GotIp { ip } => self.on_got_ip(*ip, now),
            LinkEvent::Disconnected { reason } => self.on_disconnected(reason, now),
            // Results are fetched by the runner and handed over with `on_scan_done`.
            LinkEvent::ScanDone => {}
        }
        self.run_timers(now);
    }

    fn on_got_ip(&mut self, ip: [u8; 4], now: u64) {
        let Some(attempt) = self.attempt.as_mut() else {
            return;
        };
        let Phase::Associated {
            bssid,
            channel,
            auth,
        } = attempt.phase
        else {
            return;
        };
        let info = ConnectedInfo {
            ip,
            ssid: attempt.credentials.ssid.clone(),
            bssid,
            channel,
            auth,
        };
        match self.cfg.personality {
            Personality::Esp => self.confirm(info, now),
            Personality::Ti => {
                let feedback_deadline = if self.ti.external_confirmation {
                    None
                } else {
                    Some(now.saturating_add(self.cfg.feedback_timeout_ms))
                };
                attempt.phase = Phase::IpAcquired {
                    info: info.clone(),
                    feedback_deadline,
                };
                // GetStatus now says Connected: reading it is the local feedback.
                self.sta = StaState::Connected(info);
                self.ti_status(TiStatus::ConfirmationIpAcquired, None);
            }
        }
    }

    /// The connection is confirmed: only now are the credentials committed.
    pub(crate) fn confirm(&mut self, info: ConnectedInfo, now: u64) {
        let Some(attempt) = self.attempt.take() else {
            return;
        };
        self.commit_profile(attempt.credentials, attempt.priority);
        self.sta = StaState::Connected(info);
        self.last_fail = None;
        self.state = ProvState::Success;
        self.window_deadline = None;
        self.esp_event(EspEvent::CredSuccess);
        if self.cfg.personality == Personality::Esp {
            self.auto_stop_at = self.cfg.auto_stop_ms.map(|d| now.saturating_add(d));
        }
    }

    fn commit_profile(&mut self, credentials: Credentials, priority: Option<u8>) {
        self.profiles
            .retain(|p| p.credentials.ssid != credentials.ssid);
        let priority = priority.unwrap_or_else(|| {
            // Newest confirmed network is preferred.
            self.profiles
                .iter()
                .map(|p| p.priority)
                .max()
                .map_or(0, |p| p.saturating_add(1).min(MAX_PRIORITY))
        });
        if self.profiles.len() >= MAX_PROFILES {
            // Evict the least preferred (lowest priority, oldest first).
            let mut victim = 0;
            for (i, p) in self.profiles.iter().enumerate() {
                if p.priority < self.profiles.get(victim).map_or(u8::MAX, |v| v.priority) {
                    victim = i;
                }
            }
            if victim < self.profiles.len() {
                self.profiles.remove(victim);
            }
        }
        self.profiles.push(Profile {
            credentials,
            priority,
        });
        self.act(Action::Persist(self.profiles.clone()));
    }

    fn on_disconnected(&mut self, reason: &DisconnectReason, now: u64) {
        let Some(attempt) = self.attempt.as_ref() else {
            return;
        };
        if matches!(
            attempt.phase,
            Phase::Scheduled { .. } | Phase::AwaitNwpRestart
        ) {
            // A disconnect of the previous network, not of this attempt.
            return;
        }
        let rich = map_reason(reason);
        if self.cfg.personality == Personality::Ti {
            // The NWP reports one confirmation outcome per profile.
            let rich = match attempt.phase {
                Phase::IpAcquired { .. } => FailReason::FeedbackFailed,
                _ => rich,
            };
            self.fail(rich, now);
            return;
        }
        if let Some(wire) = rich.wire() {
            self.last_wire = wire;
        }
        let budget = self.cfg.wifi_conn_attempts;
        if budget == 0 {
            if rich.wire().is_some() {
                self.fail(rich, now);
            } else {
                // Legacy behaviour: "other" reasons retry forever.
                self.issue_connect(now);
            }
            return;
        }
        self.completed_attempts = self.completed_attempts.saturating_add(1);
        if self.completed_attempts < budget {
            self.sta = StaState::AttemptFailed {
                attempts_remaining: budget - self.completed_attempts,
            };
            self.issue_connect(now);
        } else {
            self.fail(rich, now);
        }
    }

    /// The attempt failed for good: back to accepting credentials in the same session.
    pub(crate) fn fail(&mut self, reason: FailReason, now: u64) {
        let Some(attempt) = self.attempt.take() else {
            return;
        };
        if !matches!(
            attempt.phase,
            Phase::Scheduled { .. } | Phase::AwaitNwpRestart
        ) {
            self.act(Action::Disconnect);
        }
        let wire = reason.wire().unwrap_or(self.last_wire);
        self.sta = StaState::Failed { wire, reason };
        self.last_fail = Some(reason);
        self.state = ProvState::Fail;
        self.window_deadline = self.cfg.window_ms.map(|w| now.saturating_add(w));
        self.esp_event(EspEvent::CredFail { wire, reason });
        if self.cfg.personality == Personality::Ti {
            self.ti_after_failure(reason);
        }
    }

    /// The adapter could not execute an action.
    pub fn on_action_failed(&mut self, action: &Action, now: Instant) {
        let now = ms(now);
        match action {
            Action::StartTransports(_) => {
                self.cancel_attempt();
                self.state = ProvState::Idle;
                self.window_deadline = None;
                self.ti_status(TiStatus::ErrorAbort, None);
                self.ti_start_failed();
            }
            Action::Connect(_) => self.fail(FailReason::Other(0), now),
            // The radio refused to scan: the scan is over, with nothing found, so ScanStatus
            // reports it finished instead of running forever.
            Action::StartScan(_) => {
                self.scan.results.clear();
                self.end_scan();
                self.ti_status(TiStatus::GeneralError, None);
            }
            _ => self.ti_status(TiStatus::GeneralError, None),
        }
    }

    /// Time passed: fire every deadline up to `now`.
    pub fn on_tick(&mut self, now: Instant) {
        self.run_timers(ms(now));
    }

    pub(crate) fn run_timers(&mut self, now: u64) {
        if !self.initialized {
            return;
        }
        if self.scan.deadline.is_some_and(|t| now >= t) {
            self.scan.results.clear();
            self.end_scan();
        }
        if let Some(attempt) = self.attempt.as_ref() {
            match &attempt.phase {
                Phase::Scheduled { connect_at } if now >= *connect_at => self.issue_connect(now),
                Phase::Connecting if now >= attempt.deadline => self.fail(FailReason::Timeout, now),
                Phase::Associated { .. } if now >= attempt.deadline => {
                    self.fail(FailReason::NoIp, now)
                }
                Phase::IpAcquired {
                    feedback_deadline: Some(d),
                    ..
                } if now >= *d => self.ti_feedback_timeout(now),
                _ => {}
            }
        }
        if self.auto_stop_at.is_some_and(|t| now >= t) && self.state == ProvState::Success {
            self.begin_stop(now);
        }
        if self.window_deadline.is_some_and(|t| now >= t)
            && matches!(self.state, ProvState::Started | ProvState::Fail)
        {
            self.window_deadline = None;
            match self.cfg.personality {
                Personality::Esp => self.begin_stop(now),
                // Inactivity returns to the role before provisioning (TI §4).
                Personality::Ti => self.ti_stop_internal(Some(self.ti.role_before), now),
            }
        }
        if self.stop_at.is_some_and(|t| now >= t) && self.state == ProvState::Stopping {
            self.finish_stop(Instant::from_millis(now));
        }
        self.ti_timers(now);
    }
}

/// Map a station disconnect to the rich reason.
pub(crate) fn map_reason(reason: &DisconnectReason) -> FailReason {
    match reason {
        DisconnectReason::AuthFailed => FailReason::AuthFailed,
        DisconnectReason::NetworkNotFound => FailReason::NetworkNotFound,
        DisconnectReason::NoIp => FailReason::NoIp,
        DisconnectReason::Timeout => FailReason::Timeout,
        DisconnectReason::ConnectionLost => FailReason::ConnectionLost,
        DisconnectReason::Other(code) => FailReason::Other(*code),
        _ => FailReason::Other(0),
    }
}

/// A `Connect` action carries the passphrase inline; taking it out of the queue leaves its
/// bytes in the queue's buffer, where no `Drop` reaches them. Zero every unused slot of the
/// buffer (the live actions are moved to its start first; no reallocation).
fn wipe_vacated(actions: &mut VecDeque<Action>) {
    let mut contiguous: Vec<Action> = core::mem::take(actions).into();
    contiguous.spare_capacity_mut().zeroize();
    *actions = contiguous.into();
}
