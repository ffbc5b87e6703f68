//! The TI SimpleLink CC32xx personality (ti-simplelink.md): [`TiManager`] — host-initiated and
//! automatic provisioning, the confirmation stage with local or external feedback, status
//! events 0–17 and the −2014 host-call gate.
//!
//! ```text
//!  Idle ──provisioning(Start) / auto (2 s no profiles; STA disconnected > 2 min)──► configuration
//!  configuration ──profile added + confirm──► confirmation: WLAN_CONNECT(15) → IP_ACQUIRED(16)
//!      → local: phone fetches result → SUCCESS(5) → STOPPED(12) in role-after-success
//!      → external: host STOP = success, host ABORT_EXTERNAL_CONFIRMATION = back to configuration
//!  failure (1–4) → back to configuration, same session
//! ```
//!
//! On the core: the configuration stage is `Started`/`Fail`, the confirmation stage is
//! `CredRecv`; an address does not confirm an attempt, it starts the feedback wait
//! (the core's `Confirming` phase), and only the phone's read (or the host's STOP
//! under external confirmation) commits the profile.

mod types;

pub use types::{
    ResetCaller, TiCommand, TiEvent, TiHostCall, TiMode, TiStartParams, TiStatus, TiWlanStatus,
};

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use provkit_hal::{Credentials, Instant, LinkEvent, Ssid};

use crate::error::{ManagerError, TiErrorCode};
use crate::machine::{
    Attempt, Core, MAX_PRIORITY, MAX_PROFILES, Manager, Pending, Personality, Phase, ms, sealed,
};
use crate::types::{
    Action, ConnectedInfo, FailReason, ProvState, Role, ServiceInfo, WireFailReason,
};

/// No profiles and no host command for this long after start → auto-provisioning (TI §3.2).
pub const AUTO_PROVISIONING_BOOT_DELAY_MS: u64 = 2_000;
/// STA with profiles disconnected for more than this → auto-provisioning in SC mode.
pub const AUTO_PROVISIONING_DISCONNECT_MS: u64 = 120_000;
/// Smallest inactivity timeout `sl_WlanProvisioning` accepts.
pub const MIN_INACTIVITY_TIMEOUT_S: u16 = 30;

/// The TI SimpleLink NWP provisioning manager.
pub type TiManager = Manager<Ti>;

/// Tunables of [`TiManager`] (auto-provisioning policy on, local feedback).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TiConfig {
    /// An attempt that has neither an IP address nor a failure after this long fails
    /// (`NoIp` if associated, else `Timeout`). TI leaves the NWP's value unpublished.
    pub confirm_timeout_ms: u64,
    /// Local feedback: how long after IP acquisition the phone may fetch the result.
    pub feedback_timeout_ms: u64,
    /// Maximum scan results kept.
    pub max_scan_results: usize,
    /// The auto-provisioning connection policy bit (§3.2).
    pub auto_provisioning: bool,
    /// Is the HTTP server enabled (AP modes need it)?
    pub http_server_enabled: bool,
    /// Inactivity timeout used when the NWP starts provisioning by itself.
    pub auto_inactivity_s: u16,
}

impl TiConfig {
    /// CC32xx defaults.
    pub const DEFAULT: Self = Self {
        confirm_timeout_ms: 30_000,
        feedback_timeout_ms: 60_000,
        max_scan_results: 16,
        auto_provisioning: true,
        http_server_enabled: true,
        auto_inactivity_s: 600,
    };
}

impl Default for TiConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The TI personality's own state (the type parameter of [`TiManager`]).
#[derive(Clone, Debug)]
pub struct Ti {
    config: TiConfig,
    /// The running start's inactivity timeout (the core's window).
    window_ms: Option<u64>,
    mode: Option<TiMode>,
    role_after_success: Role,
    external_confirmation: bool,
    role_before: Role,
    current_role: Role,
    boot_at: Option<u64>,
    host_command_seen: bool,
    disconnected_since: Option<u64>,
    sta_connected: bool,
    ext_config_ready: bool,
    confirmation_result: TiStatus,
    /// After a feedback timeout: the profile and link the phone may still confirm (§5.1).
    feedback_pending: Option<(Pending, ConnectedInfo)>,
    smart_config_key: Option<[u8; 16]>,
    auto_started: bool,
    events: VecDeque<TiEvent>,
}

impl sealed::Sealed for Ti {}

/// True if the attempt has its address and waits for the host's external confirmation.
fn external_pending(core: &Core) -> bool {
    matches!(core.phase(), Some(Phase::Confirming { deadline: None, .. }))
}

/// True if the attempt has its address and waits for the phone's local feedback.
fn local_pending(core: &Core) -> bool {
    matches!(
        core.phase(),
        Some(Phase::Confirming {
            deadline: Some(_),
            ..
        })
    )
}

impl Ti {
    fn event(&mut self, event: TiEvent) {
        self.events.push_back(event);
    }

    /// PROVISIONING_STATUS with the current role and WLAN status.
    fn status(&mut self, core: &Core, status: TiStatus, ssid: Option<Ssid>) {
        let wlan_status = if self.sta_connected {
            TiWlanStatus::Connected
        } else if core.attempt.is_some() {
            TiWlanStatus::Connecting
        } else {
            TiWlanStatus::Disconnected
        };
        self.event(TiEvent::ProvisioningStatus {
            status,
            role: self.current_role,
            wlan_status,
            ssid,
        });
    }

    fn reject(
        &mut self,
        core: &Core,
        status: TiStatus,
        code: TiErrorCode,
    ) -> Result<(), ManagerError> {
        self.status(core, status, None);
        Err(ManagerError::Ti(code))
    }

    fn start(
        &mut self,
        core: &mut Core,
        params: TiStartParams,
        now: u64,
    ) -> Result<(), ManagerError> {
        if core.state != ProvState::Idle {
            return self.reject(
                core,
                TiStatus::ErrorAbortAlreadyStarted,
                TiErrorCode::AlreadyStarted,
            );
        }
        if params.inactivity_timeout_s < MIN_INACTIVITY_TIMEOUT_S {
            return self.reject(
                core,
                TiStatus::ErrorAbortInvalidParam,
                TiErrorCode::InvalidParam,
            );
        }
        if params.mode.uses_http() && !self.config.http_server_enabled {
            return self.reject(
                core,
                TiStatus::ErrorAbortHttpServerDisabled,
                TiErrorCode::HttpServerDisabled,
            );
        }
        if core.profiles.len() >= MAX_PROFILES {
            return self.reject(
                core,
                TiStatus::ErrorAbortProfileListFull,
                TiErrorCode::ProfileListFull,
            );
        }
        self.begin(core, params, now);
        Ok(())
    }

    fn begin(&mut self, core: &mut Core, params: TiStartParams, now: u64) {
        self.window_ms = Some(u64::from(params.inactivity_timeout_s).saturating_mul(1000));
        core.begin_running(self, now);
        self.mode = Some(params.mode);
        self.role_after_success = params.role_after_success;
        self.external_confirmation = params.external_confirmation;
        self.smart_config_key = params.smart_config_key;
        self.role_before = self.current_role;
        self.boot_at = None;
        self.disconnected_since = None;
        self.feedback_pending = None;
        self.confirmation_result = TiStatus::GeneralError;
        self.ext_config_ready = false;
        self.auto_started = false;
        let role = params.mode.provisioning_role();
        if role != self.current_role {
            core.act(Action::SwitchRole(role));
            self.current_role = role;
        }
        core.act(Action::StartTransports(ServiceInfo::default()));
        if params.mode == TiMode::ApScExternal {
            self.ext_config_ready = true;
            self.status(core, TiStatus::ExternalConfigurationReady, None);
        }
    }

    fn host_stop(
        &mut self,
        core: &mut Core,
        role: Option<Role>,
        now: u64,
    ) -> Result<(), ManagerError> {
        if !core.state.is_running() {
            return Err(ManagerError::Ti(TiErrorCode::CmdNotExpected));
        }
        if external_pending(core) {
            // The host's cloud confirmation succeeded: this STOP ends provisioning well.
            let target = role.unwrap_or(self.role_after_success);
            self.succeed(core, target, now);
        } else {
            self.stop_without_profile(core, role, now);
        }
        Ok(())
    }

    fn abort_external(&mut self, core: &mut Core, now: u64) -> Result<(), ManagerError> {
        if !external_pending(core) {
            return Err(ManagerError::Ti(TiErrorCode::CmdNotExpected));
        }
        core.fail(self, FailReason::FeedbackFailed, now);
        Ok(())
    }

    /// Stop without a confirmed profile (host STOP or inactivity). `role: None` = remain in
    /// the current role; otherwise back to the role before provisioning (TI §4).
    fn stop_without_profile(&mut self, core: &mut Core, role: Option<Role>, now: u64) {
        core.cancel_attempt();
        let target = match role {
            None => self.current_role,
            Some(_) => self.role_before,
        };
        self.finish(core, target, false, now);
    }

    fn finish(&mut self, core: &mut Core, role: Role, success: bool, now: u64) {
        core.state = ProvState::Idle;
        core.window_deadline = None;
        self.mode = None;
        self.ext_config_ready = false;
        self.feedback_pending = None;
        core.act(Action::StopTransports);
        if role != self.current_role {
            core.act(Action::SwitchRole(role));
            self.current_role = role;
        }
        if role == Role::Sta && !success {
            // Back in STA without a new profile: the stored ones are used again.
            core.reconnect_stored();
        }
        if role == Role::Sta && !self.sta_connected && !core.profiles.is_empty() {
            self.disconnected_since = Some(now);
        }
        let ssid = if success && role == Role::Sta {
            core.profiles.last().map(|p| p.credentials.ssid.clone())
        } else {
            None
        };
        // STOPPED comes after the role switch (TI §4).
        self.status(core, TiStatus::Stopped, ssid);
    }

    /// The attempt waiting for confirmation is confirmed: commit, SUCCESS, STOPPED in `role`.
    fn succeed(&mut self, core: &mut Core, role: Role, now: u64) {
        if !core.confirm_waiting() {
            return;
        }
        self.confirmation_result = TiStatus::Success;
        self.status(core, TiStatus::Success, None);
        self.finish(core, role, true, now);
    }

    /// The phone fetched the confirmation result (local feedback).
    fn feedback(&mut self, core: &mut Core, now: u64) -> bool {
        if local_pending(core) {
            self.succeed(core, self.role_after_success, now);
            return true;
        }
        false
    }

    fn auto_provisioning_deadline(&self, core: &Core) -> Option<u64> {
        if !self.config.auto_provisioning || core.state != ProvState::Idle {
            return None;
        }
        let boot = self
            .boot_at
            .filter(|_| !self.host_command_seen && core.profiles.is_empty())
            .map(|b| b.saturating_add(AUTO_PROVISIONING_BOOT_DELAY_MS));
        // "More than 2 minutes": the first millisecond after.
        let lost = self
            .disconnected_since
            .filter(|_| self.current_role == Role::Sta && !core.profiles.is_empty())
            .map(|d| d.saturating_add(AUTO_PROVISIONING_DISCONNECT_MS + 1));
        [boot, lost].into_iter().flatten().min()
    }

    fn smartconfig_running(&self, core: &Core) -> Result<(), ManagerError> {
        if self.mode.is_some_and(TiMode::uses_smartconfig) {
            Ok(())
        } else {
            Err(ManagerError::WrongState {
                state: core.state,
                operation: "smartconfig",
            })
        }
    }

    fn profile_add(
        &mut self,
        core: &mut Core,
        credentials: Credentials,
        priority: u8,
        token: Vec<u8>,
        now: u64,
    ) -> Result<(), ManagerError> {
        if priority > MAX_PRIORITY {
            return Err(ManagerError::Ti(TiErrorCode::InvalidParam));
        }
        let ssid = credentials.ssid.clone();
        core.set_pending(self, credentials, Some(priority), now)?;
        self.event(TiEvent::ProfileAdded { ssid, token });
        Ok(())
    }
}

impl Personality for Ti {
    type Config = TiConfig;
    type Event = TiEvent;

    fn create(config: TiConfig) -> Result<Self, ManagerError> {
        Ok(Self {
            config,
            window_ms: None,
            mode: None,
            role_after_success: Role::Sta,
            external_confirmation: false,
            role_before: Role::Sta,
            current_role: Role::Sta,
            boot_at: None,
            host_command_seen: false,
            disconnected_since: None,
            sta_connected: false,
            ext_config_ready: false,
            // "0 = not started" in the `__SL_G_MCR` token.
            confirmation_result: TiStatus::GeneralError,
            feedback_pending: None,
            smart_config_key: None,
            auto_started: false,
            events: VecDeque::new(),
        })
    }

    fn config(&self) -> &TiConfig {
        &self.config
    }

    fn next_event(&mut self) -> Option<TiEvent> {
        self.events.pop_front()
    }

    fn connect_delay_ms(&self) -> u64 {
        // The NWP connects as soon as the confirmation stage begins.
        0
    }

    fn confirm_timeout_ms(&self) -> u64 {
        self.config.confirm_timeout_ms
    }

    fn window_ms(&self) -> Option<u64> {
        self.window_ms
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
        // A prov-config SetConfig is a profile like any other (priority 0, no token).
        self.profile_add(core, credentials, 0, Vec::new(), now)
    }

    fn attempt_begins(&mut self, _core: &mut Core, _ssid: &Ssid) -> bool {
        // Mode 3 with the host's method running: the NWP needs a restart first (§6).
        let hold = self.mode == Some(TiMode::ApScExternal) && self.ext_config_ready;
        if hold {
            self.event(TiEvent::ResetRequest {
                caller: ResetCaller::ProvisioningExternalConfiguration,
            });
        }
        hold
    }

    fn link_event(&mut self, _core: &mut Core, event: &LinkEvent, now: u64) {
        match event {
            LinkEvent::Connected { .. } => {
                self.sta_connected = true;
                self.disconnected_since = None;
            }
            LinkEvent::Disconnected { .. } => {
                self.sta_connected = false;
                if self.current_role == Role::Sta && self.disconnected_since.is_none() {
                    self.disconnected_since = Some(now);
                }
            }
            _ => {}
        }
    }

    fn associated(&mut self, core: &mut Core) {
        self.status(core, TiStatus::ConfirmationWlanConnect, None);
    }

    fn ip_acquired(&mut self, core: &mut Core, info: ConnectedInfo, now: u64) {
        let deadline = if self.external_confirmation {
            None
        } else {
            Some(now.saturating_add(self.config.feedback_timeout_ms))
        };
        // GetStatus now says Connected: reading it is the local feedback.
        core.await_confirmation(info, deadline);
        self.status(core, TiStatus::ConfirmationIpAcquired, None);
    }

    fn attempt_disconnected(
        &mut self,
        core: &mut Core,
        reason: FailReason,
        confirming: bool,
        now: u64,
    ) {
        // The NWP reports one confirmation outcome per profile; no retries.
        let reason = if confirming {
            FailReason::FeedbackFailed
        } else {
            reason
        };
        core.fail(self, reason, now);
    }

    fn attempt_failed(&mut self, core: &mut Core, _wire: WireFailReason, reason: FailReason) {
        self.feedback_pending = None;
        let status = TiStatus::of_failure(reason);
        self.confirmation_result = status;
        self.status(core, status, None);
    }

    fn confirmation_overdue(&mut self, core: &mut Core, now: u64) {
        let late = match core.attempt.as_ref() {
            Some(Attempt {
                credentials,
                priority,
                phase: Phase::Confirming { info, .. },
                ..
            }) => Some((
                Pending {
                    credentials: credentials.clone(),
                    priority: *priority,
                },
                info.clone(),
            )),
            _ => None,
        };
        core.fail(self, FailReason::FeedbackFailed, now);
        // The phone may still read the result through the AP: success comes later (TI §5.1).
        self.feedback_pending = late;
    }

    fn status_delivered(&mut self, core: &mut Core, now: u64) {
        self.feedback(core, now);
    }

    fn window_expired(&mut self, core: &mut Core, now: u64) {
        // Inactivity returns to the role before provisioning (TI §4).
        let before = self.role_before;
        self.stop_without_profile(core, Some(before), now);
    }

    fn timers(&mut self, core: &mut Core, now: u64) {
        if self
            .auto_provisioning_deadline(core)
            .is_none_or(|due| now < due)
        {
            return;
        }
        // Started in STA → SC only; in AP → AP + SC (TI §3.2).
        let mode = if self.current_role == Role::Sta {
            TiMode::Sc
        } else {
            TiMode::ApSc
        };
        let params = TiStartParams {
            mode,
            role_after_success: Role::Sta,
            inactivity_timeout_s: self.config.auto_inactivity_s.max(MIN_INACTIVITY_TIMEOUT_S),
            smart_config_key: None,
            external_confirmation: false,
        };
        self.begin(core, params, now);
        self.auto_started = true;
        self.status(core, TiStatus::AutoStarted, None);
    }

    fn next_deadline(&self, core: &Core) -> Option<u64> {
        self.auto_provisioning_deadline(core)
    }

    fn transports_failed(&mut self, core: &mut Core) {
        self.status(core, TiStatus::ErrorAbort, None);
        self.mode = None;
        self.current_role = self.role_before;
    }

    fn action_refused(&mut self, core: &mut Core, _action: &Action) {
        self.status(core, TiStatus::GeneralError, None);
    }

    fn reprovision(&mut self, core: &mut Core, now: u64) -> Result<(), ManagerError> {
        // prov-ctrl Reprov over protocomm: back to the configuration stage.
        core.restart_accepting(self, now)
    }
}

impl Manager<Ti> {
    /// The NWP (re)started in `role` (`sl_Start`). Arms the auto-provisioning rules.
    pub fn device_started(&mut self, role: Role, now: Instant) -> Result<(), ManagerError> {
        let now = ms(now);
        let ti = &mut self.personality;
        let core = &mut self.core;
        ti.boot_at = Some(now);
        ti.host_command_seen = false;
        ti.current_role = role;
        ti.sta_connected = false;
        ti.disconnected_since = (role == Role::Sta && !core.profiles.is_empty()).then_some(now);
        if core.state.is_running() {
            match core.phase() {
                // A reset during the configuration stage ends provisioning (TI §4); the
                // transports died with the NWP, so no STOPPED event and no role switch.
                None => {
                    core.end_running();
                    ti.mode = None;
                    ti.ext_config_ready = false;
                    ti.feedback_pending = None;
                }
                // The host answered a RESET_REQUEST with sl_Stop + sl_Start.
                Some(Phase::Held) => {
                    ti.ext_config_ready = false;
                    core.release_attempt(ti, now);
                }
                Some(Phase::Scheduled { .. }) => {}
                // Confirmation stage: the NWP continues confirming after the restart (TI §4,
                // inferred); the old link is gone, so the attempt starts over.
                Some(_) => core.retry_attempt(ti, now),
            }
        }
        core.run_timers(ti, now);
        Ok(())
    }

    /// Change the auto-provisioning connection policy bit.
    pub fn set_auto_provisioning(&mut self, enabled: bool) {
        self.personality.config.auto_provisioning = enabled;
    }

    /// `sl_WlanProvisioning`.
    pub fn provisioning(&mut self, command: TiCommand, now: Instant) -> Result<(), ManagerError> {
        let now = ms(now);
        let ti = &mut self.personality;
        ti.host_command_seen = true;
        match command {
            TiCommand::Start(params) => ti.start(&mut self.core, params, now),
            TiCommand::Stop { role } => ti.host_stop(&mut self.core, role, now),
            TiCommand::AbortExternalConfirmation => ti.abort_external(&mut self.core, now),
        }
    }

    /// Gate for every other host API while provisioning runs (TI §7.5): −2014 (−2052 for scan
    /// configuration), except `sl_Stop`, external confirmation after IP_ACQUIRED and mode 3
    /// after EXTERNAL_CONFIGURATION_READY. Any call counts as a host command (it cancels the
    /// 2-second auto-provisioning rule).
    pub fn host_call(&mut self, call: TiHostCall, _now: Instant) -> Result<(), ManagerError> {
        let ti = &mut self.personality;
        ti.host_command_seen = true;
        if call == TiHostCall::DeviceStop || !self.core.state.is_running() {
            return Ok(());
        }
        let external_confirming = ti.external_confirmation && external_pending(&self.core);
        let external_configuring = ti.mode == Some(TiMode::ApScExternal) && ti.ext_config_ready;
        if external_confirming || external_configuring {
            return Ok(());
        }
        Err(ManagerError::Ti(match call {
            TiHostCall::ScanConfig => TiErrorCode::CannotConfigScanDuringProvisioning,
            _ => TiErrorCode::ProvisioningInProgress,
        }))
    }

    /// A profile arrives (AP `profile_add`, SmartConfig, or prov-config SetConfig):
    /// PROFILE_ADDED; it becomes the pending configuration.
    pub fn profile_add(
        &mut self,
        credentials: Credentials,
        priority: u8,
        token: Vec<u8>,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.personality
            .profile_add(&mut self.core, credentials, priority, token, ms(now))
    }

    /// `confirm_req`: start the confirmation stage with the added profile.
    pub fn confirm_req(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.apply_config(now)
    }

    /// SmartConfig delivered a profile: added and confirmed at once.
    pub fn smartconfig_received(
        &mut self,
        credentials: Credentials,
        token: Vec<u8>,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.personality.smartconfig_running(&self.core)?;
        self.profile_add(credentials, 0, token, now)?;
        self.apply_config(now)
    }

    /// The SmartConfig receiver locked on (13) or lost (14) a transmission.
    pub fn smartconfig_sync(&mut self, synced: bool) -> Result<(), ManagerError> {
        let ti = &mut self.personality;
        ti.smartconfig_running(&self.core)?;
        let status = if synced {
            TiStatus::SmartConfigSynced
        } else {
            TiStatus::SmartConfigSyncTimeout
        };
        ti.status(&self.core, status, None);
        Ok(())
    }

    /// The host restarted the NWP after a RESET_REQUEST: the confirmation continues.
    pub fn nwp_restarted(&mut self, now: Instant) -> Result<(), ManagerError> {
        let ti = &mut self.personality;
        if !matches!(self.core.phase(), Some(Phase::Held)) {
            return Err(ManagerError::Ti(TiErrorCode::CmdNotExpected));
        }
        ti.ext_config_ready = false;
        self.core.release_attempt(ti, ms(now));
        Ok(())
    }

    /// The phone reads the confirmation result (`GET /__SL_G_MCR`): returns the digit 0–5
    /// and, if a result was waiting for this read, completes provisioning (status 5).
    pub fn feedback_fetched(&mut self, now: Instant) -> Result<u8, ManagerError> {
        let now = ms(now);
        let ti = &mut self.personality;
        let core = &mut self.core;
        core.touch(ti, now);
        if ti.feedback(core, now) {
            return Ok(TiStatus::Success as u8);
        }
        let result = ti.confirmation_result as u8;
        if core.state == ProvState::Fail
            && let Some((pending, info)) = ti.feedback_pending.take()
        {
            // Late feedback through the AP: the app shows success, then status 5 (TI §5.1).
            core.attempt = Some(Attempt {
                credentials: pending.credentials,
                priority: pending.priority,
                phase: Phase::Confirming {
                    info,
                    deadline: None,
                },
                deadline: u64::MAX,
            });
            let role = ti.role_after_success;
            ti.succeed(core, role, now);
        }
        Ok(result)
    }

    /// What `/__SL_G_MCR` would return now (0 not started … 5 success).
    pub fn confirmation_result(&self) -> u8 {
        self.personality.confirmation_result as u8
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.personality.current_role
    }

    /// The running mode, if provisioning.
    pub fn mode(&self) -> Option<TiMode> {
        self.personality.mode
    }

    /// The SmartConfig key given at start.
    pub fn smart_config_key(&self) -> Option<[u8; 16]> {
        self.personality.smart_config_key
    }

    /// True if the running provisioning was started by the auto-provisioning policy.
    pub fn auto_started(&self) -> bool {
        self.core.state.is_running() && self.personality.auto_started
    }
}
