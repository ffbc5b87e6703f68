//! The TI SimpleLink CC32xx personality (ti-simplelink.md): host-initiated and automatic
//! provisioning, the confirmation stage with local or external feedback, status events 0–17
//! and the −2014 host-call gate.
//!
//! ```text
//!  Idle ──ti_provisioning(Start) / auto (2 s no profiles; STA disconnected > 2 min)──► configuration
//!  configuration ──profile added + confirm──► confirmation: WLAN_CONNECT(15) → IP_ACQUIRED(16)
//!      → local: phone fetches result → SUCCESS(5) → STOPPED(12) in role-after-success
//!      → external: host STOP = success, host ABORT_EXTERNAL_CONFIRMATION = back to configuration
//!  failure (1–4) → back to configuration, same session
//! ```

use alloc::vec::Vec;

use provkit_hal::{Credentials, Instant, LinkEvent};

use crate::error::{ManagerError, TiErrorCode};
use crate::manager::{Attempt, MAX_PRIORITY, MAX_PROFILES, Manager, Pending, Phase, ms};
use crate::types::{
    FailReason, Personality, ProvState, Role, ServiceInfo, TiEvent, TiMode, TiStatus, TiWlanStatus,
};

/// No profiles and no host command for this long after start → auto-provisioning (TI §3.2).
pub const AUTO_PROVISIONING_BOOT_DELAY_MS: u64 = 2_000;
/// STA with profiles disconnected for more than this → auto-provisioning in SC mode.
pub const AUTO_PROVISIONING_DISCONNECT_MS: u64 = 120_000;
/// Smallest inactivity timeout `sl_WlanProvisioning` accepts.
pub const MIN_INACTIVITY_TIMEOUT_S: u16 = 30;

/// Parameters of a provisioning start (`sl_WlanProvisioning` with a START_MODE command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TiStartParams {
    /// Configuration mode.
    pub mode: TiMode,
    /// Role to switch to after a confirmed profile.
    pub role_after_success: Role,
    /// Stop after this many seconds without user activity (≥ 30).
    pub inactivity_timeout_s: u16,
    /// SmartConfig AES key (16 characters), if any.
    pub smart_config_key: Option<[u8; 16]>,
    /// `SL_WLAN_PROVISIONING_CMD_FLAG_EXTERNAL_CONFIRMATION`: the host confirms (e.g. cloud).
    pub external_confirmation: bool,
}

/// A `sl_WlanProvisioning` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TiCommand {
    /// Commands 0–3.
    Start(TiStartParams),
    /// Command 4. `role: None` is `0xFF` (remain in current role).
    Stop {
        /// Requested role.
        role: Option<Role>,
    },
    /// Command 5: the host's external confirmation failed.
    AbortExternalConfirmation,
}

impl TiCommand {
    /// Parse the raw C arguments (`ProvisioningCmd`, `RequestedRoleAfterSuccess`,
    /// `InactivityTimeoutSec`, `pSmartConfigKey`, `Flags`).
    pub fn from_raw(
        cmd: u8,
        role: u8,
        inactivity_timeout_s: u16,
        smart_config_key: Option<&[u8]>,
        flags: u32,
    ) -> Result<Self, ManagerError> {
        let parse_role = |r: u8| match r {
            0 => Ok(Some(Role::Sta)),
            2 => Ok(Some(Role::Ap)),
            0xFF => Ok(None),
            _ => Err(ManagerError::Ti(TiErrorCode::InvalidParam)),
        };
        let mode = match cmd {
            0 => TiMode::Ap,
            1 => TiMode::Sc,
            2 => TiMode::ApSc,
            3 => TiMode::ApScExternal,
            4 => {
                return Ok(Self::Stop {
                    role: parse_role(role)?,
                });
            }
            5 => return Ok(Self::AbortExternalConfirmation),
            _ => return Err(ManagerError::Ti(TiErrorCode::InvalidParam)),
        };
        let role_after_success =
            parse_role(role)?.ok_or(ManagerError::Ti(TiErrorCode::InvalidParam))?;
        let smart_config_key = match smart_config_key {
            None => None,
            Some(key) => Some(
                <[u8; 16]>::try_from(key)
                    .map_err(|_| ManagerError::Ti(TiErrorCode::InvalidParam))?,
            ),
        };
        Ok(Self::Start(TiStartParams {
            mode,
            role_after_success,
            inactivity_timeout_s,
            smart_config_key,
            external_confirmation: flags & 1 != 0,
        }))
    }
}

/// Host API classes for [`Manager::ti_host_call`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TiHostCall {
    /// `sl_Stop`: always allowed.
    DeviceStop,
    /// Scan policy / scan configuration (−2052 while provisioning).
    ScanConfig,
    /// Any other host API (−2014 while provisioning).
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TiState {
    pub(crate) mode: Option<TiMode>,
    pub(crate) role_after_success: Role,
    pub(crate) external_confirmation: bool,
    pub(crate) role_before: Role,
    pub(crate) current_role: Role,
    pub(crate) boot_at: Option<u64>,
    pub(crate) host_command_seen: bool,
    pub(crate) disconnected_since: Option<u64>,
    pub(crate) sta_connected: bool,
    pub(crate) ext_config_ready: bool,
    pub(crate) confirmation_result: TiStatus,
    pub(crate) feedback_pending: Option<Pending>,
    pub(crate) smart_config_key: Option<[u8; 16]>,
    pub(crate) feedback_info: Option<crate::types::ConnectedInfo>,
    pub(crate) auto_started: bool,
}

impl Default for TiState {
    fn default() -> Self {
        Self {
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
            feedback_info: None,
            auto_started: false,
        }
    }
}

impl Manager {
    pub(crate) fn ti_next_deadline(&self) -> Option<u64> {
        if self.cfg.personality != Personality::Ti
            || !self.cfg.ti_auto_provisioning
            || self.state != ProvState::Idle
        {
            return None;
        }
        let boot = self
            .ti
            .boot_at
            .filter(|_| !self.ti.host_command_seen && self.profiles.is_empty())
            .map(|b| b.saturating_add(AUTO_PROVISIONING_BOOT_DELAY_MS));
        let lost = self
            .ti
            .disconnected_since
            .filter(|_| self.ti.current_role == Role::Sta && !self.profiles.is_empty())
            .map(|d| d.saturating_add(AUTO_PROVISIONING_DISCONNECT_MS + 1));
        [boot, lost].into_iter().flatten().min()
    }

    fn require_ti(&self) -> Result<(), ManagerError> {
        if !self.initialized {
            return Err(ManagerError::NotInitialized);
        }
        if self.cfg.personality == Personality::Ti {
            Ok(())
        } else {
            Err(ManagerError::WrongPersonality)
        }
    }

    /// The NWP (re)started in `role` (`sl_Start`). Arms the auto-provisioning rules.
    pub fn ti_device_started(&mut self, role: Role, now: Instant) -> Result<(), ManagerError> {
        self.require_ti()?;
        let now = ms(now);
        self.ti.boot_at = Some(now);
        self.ti.host_command_seen = false;
        self.ti.current_role = role;
        self.ti.sta_connected = false;
        self.ti.disconnected_since =
            (role == Role::Sta && !self.profiles.is_empty()).then_some(now);
        if self.state.is_running() {
            let phase = self.attempt.as_ref().map(|a| a.phase.clone());
            match phase {
                // A reset during the configuration stage ends provisioning (TI §4); the
                // transports died with the NWP, so no STOPPED event and no role switch.
                None => {
                    self.state = ProvState::Idle;
                    self.pending = None;
                    self.window_deadline = None;
                    self.ti.mode = None;
                    self.ti.ext_config_ready = false;
                    self.ti.feedback_pending = None;
                    self.ti.feedback_info = None;
                }
                // The host answered a RESET_REQUEST with sl_Stop + sl_Start.
                Some(Phase::AwaitNwpRestart) => {
                    if let Some(attempt) = self.attempt.as_mut() {
                        attempt.phase = Phase::Scheduled { connect_at: now };
                    }
                    self.ti.ext_config_ready = false;
                }
                Some(Phase::Scheduled { .. }) => {}
                // Confirmation stage: the NWP continues confirming after the restart (TI §4,
                // inferred); the old link is gone, so the attempt starts over.
                Some(_) => self.issue_connect(now),
            }
        }
        self.run_timers(now);
        Ok(())
    }

    /// Change the auto-provisioning connection policy bit.
    pub fn ti_set_auto_provisioning(&mut self, enabled: bool) -> Result<(), ManagerError> {
        self.require_ti()?;
        self.cfg.ti_auto_provisioning = enabled;
        Ok(())
    }

    /// `sl_WlanProvisioning`.
    pub fn ti_provisioning(
        &mut self,
        command: TiCommand,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.require_ti()?;
        let now = ms(now);
        self.ti.host_command_seen = true;
        match command {
            TiCommand::Start(params) => self.ti_start(params, now),
            TiCommand::Stop { role } => self.ti_host_stop(role, now),
            TiCommand::AbortExternalConfirmation => self.ti_abort_external(now),
        }
    }

    fn ti_reject(&mut self, status: TiStatus, code: TiErrorCode) -> Result<(), ManagerError> {
        self.ti_status(status, None);
        Err(ManagerError::Ti(code))
    }

    fn ti_start(&mut self, params: TiStartParams, now: u64) -> Result<(), ManagerError> {
        if self.state != ProvState::Idle {
            return self.ti_reject(
                TiStatus::ErrorAbortAlreadyStarted,
                TiErrorCode::AlreadyStarted,
            );
        }
        if params.inactivity_timeout_s < MIN_INACTIVITY_TIMEOUT_S {
            return self.ti_reject(TiStatus::ErrorAbortInvalidParam, TiErrorCode::InvalidParam);
        }
        if params.mode.uses_http() && !self.cfg.ti_http_server_enabled {
            return self.ti_reject(
                TiStatus::ErrorAbortHttpServerDisabled,
                TiErrorCode::HttpServerDisabled,
            );
        }
        if self.profiles.len() >= MAX_PROFILES {
            return self.ti_reject(
                TiStatus::ErrorAbortProfileListFull,
                TiErrorCode::ProfileListFull,
            );
        }
        self.ti_begin(params, now);
        Ok(())
    }

    fn ti_begin(&mut self, params: TiStartParams, now: u64) {
        self.cfg.window_ms = Some(u64::from(params.inactivity_timeout_s).saturating_mul(1000));
        self.begin_running(now);
        self.ti.mode = Some(params.mode);
        self.ti.role_after_success = params.role_after_success;
        self.ti.external_confirmation = params.external_confirmation;
        self.ti.smart_config_key = params.smart_config_key;
        self.ti.role_before = self.ti.current_role;
        self.ti.boot_at = None;
        self.ti.disconnected_since = None;
        self.ti.feedback_pending = None;
        self.ti.feedback_info = None;
        self.ti.confirmation_result = TiStatus::GeneralError;
        self.ti.ext_config_ready = false;
        self.ti.auto_started = false;
        let role = params.mode.provisioning_role();
        if role != self.ti.current_role {
            self.act(crate::types::Action::SwitchRole(role));
            self.ti.current_role = role;
        }
        self.act(crate::types::Action::StartTransports(ServiceInfo::default()));
        if params.mode == TiMode::ApScExternal {
            self.ti.ext_config_ready = true;
            self.ti_status(TiStatus::ExternalConfigurationReady, None);
        }
    }

    fn ti_host_stop(&mut self, role: Option<Role>, now: u64) -> Result<(), ManagerError> {
        if !self.state.is_running() {
            return Err(ManagerError::Ti(TiErrorCode::CmdNotExpected));
        }
        let external_pending = matches!(
            self.attempt.as_ref().map(|a| &a.phase),
            Some(Phase::IpAcquired {
                feedback_deadline: None,
                ..
            })
        );
        if external_pending {
            // The host's cloud confirmation succeeded: this STOP ends provisioning well.
            let target = role.unwrap_or(self.ti.role_after_success);
            self.ti_succeed(target, now);
        } else {
            self.ti_stop_internal(role, now);
        }
        Ok(())
    }

    fn ti_abort_external(&mut self, now: u64) -> Result<(), ManagerError> {
        let external_pending = matches!(
            self.attempt.as_ref().map(|a| &a.phase),
            Some(Phase::IpAcquired {
                feedback_deadline: None,
                ..
            })
        );
        if !external_pending {
            return Err(ManagerError::Ti(TiErrorCode::CmdNotExpected));
        }
        self.fail(FailReason::FeedbackFailed, now);
        Ok(())
    }

    /// Stop without a confirmed profile (host STOP or inactivity). `role: None` = remain in
    /// the current role; otherwise back to the role before provisioning (TI §4).
    pub(crate) fn ti_stop_internal(&mut self, role: Option<Role>, now: u64) {
        self.cancel_attempt();
        let target = match role {
            None => self.ti.current_role,
            Some(_) => self.ti.role_before,
        };
        self.ti_finish(target, false, now);
    }

    fn ti_finish(&mut self, role: Role, success: bool, now: u64) {
        self.state = ProvState::Idle;
        self.window_deadline = None;
        self.ti.mode = None;
        self.ti.ext_config_ready = false;
        self.ti.feedback_pending = None;
        self.ti.feedback_info = None;
        self.act(crate::types::Action::StopTransports);
        if role != self.ti.current_role {
            self.act(crate::types::Action::SwitchRole(role));
            self.ti.current_role = role;
        }
        if role == Role::Sta && !success {
            // Back in STA without a new profile: the stored ones are used again.
            self.reconnect_stored();
        }
        if role == Role::Sta && !self.ti.sta_connected && !self.profiles.is_empty() {
            self.ti.disconnected_since = Some(now);
        }
        let ssid = if success && role == Role::Sta {
            self.profiles.last().map(|p| p.credentials.ssid.clone())
        } else {
            None
        };
        // STOPPED comes after the role switch (TI §4).
        self.ti_status(TiStatus::Stopped, ssid);
    }

    fn ti_succeed(&mut self, role: Role, now: u64) {
        let Some(Attempt {
            phase: Phase::IpAcquired { info, .. },
            ..
        }) = self.attempt.as_ref()
        else {
            return;
        };
        let info = info.clone();
        self.confirm(info, now);
        self.ti.confirmation_result = TiStatus::Success;
        self.ti_status(TiStatus::Success, None);
        self.ti_finish(role, true, now);
    }

    /// The phone fetched the confirmation result (local feedback, or GetStatus = Connected).
    pub(crate) fn ti_feedback(&mut self, now: u64) {
        let local_pending = matches!(
            self.attempt.as_ref().map(|a| &a.phase),
            Some(Phase::IpAcquired {
                feedback_deadline: Some(_),
                ..
            })
        );
        if local_pending {
            self.ti_succeed(self.ti.role_after_success, now);
        }
    }

    pub(crate) fn ti_feedback_timeout(&mut self, now: u64) {
        let pending = self.attempt.as_ref().map(|a| Pending {
            credentials: a.credentials.clone(),
            priority: a.priority,
        });
        let info = match self.attempt.as_ref().map(|a| &a.phase) {
            Some(Phase::IpAcquired { info, .. }) => Some(info.clone()),
            _ => None,
        };
        self.fail(FailReason::FeedbackFailed, now);
        // The phone may still read the result through the AP: success comes later (TI §5.1).
        self.ti.feedback_pending = pending;
        self.ti.feedback_info = info;
    }

    pub(crate) fn ti_after_failure(&mut self, reason: FailReason) {
        self.ti.feedback_pending = None;
        self.ti.feedback_info = None;
        let status = reason.ti_status();
        self.ti.confirmation_result = status;
        self.ti_status(status, None);
    }

    pub(crate) fn ti_start_failed(&mut self) {
        if self.cfg.personality == Personality::Ti {
            self.ti.mode = None;
            self.ti.current_role = self.ti.role_before;
        }
    }

    pub(crate) fn ti_needs_nwp_restart(&self) -> bool {
        self.cfg.personality == Personality::Ti
            && self.ti.mode == Some(TiMode::ApScExternal)
            && self.ti.ext_config_ready
    }

    pub(crate) fn ti_status(&mut self, status: TiStatus, ssid: Option<provkit_hal::Ssid>) {
        let wlan_status = if self.ti.sta_connected {
            TiWlanStatus::Connected
        } else if self.attempt.is_some() {
            TiWlanStatus::Connecting
        } else {
            TiWlanStatus::Disconnected
        };
        self.ti_event(TiEvent::ProvisioningStatus {
            status,
            role: self.ti.current_role,
            wlan_status,
            ssid,
        });
    }

    pub(crate) fn ti_track_link(&mut self, event: &LinkEvent, now: u64) {
        if self.cfg.personality != Personality::Ti {
            return;
        }
        match event {
            LinkEvent::Connected { .. } => {
                self.ti.sta_connected = true;
                self.ti.disconnected_since = None;
            }
            LinkEvent::Disconnected { .. } => {
                self.ti.sta_connected = false;
                if self.ti.current_role == Role::Sta && self.ti.disconnected_since.is_none() {
                    self.ti.disconnected_since = Some(now);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn ti_timers(&mut self, now: u64) {
        if self.cfg.personality != Personality::Ti
            || !self.cfg.ti_auto_provisioning
            || self.state != ProvState::Idle
        {
            return;
        }
        let boot_due = self.ti.boot_at.is_some_and(|b| {
            !self.ti.host_command_seen
                && self.profiles.is_empty()
                && now.saturating_sub(b) >= AUTO_PROVISIONING_BOOT_DELAY_MS
        });
        let lost_due = self.ti.current_role == Role::Sta
            && !self.profiles.is_empty()
            && self
                .ti
                .disconnected_since
                .is_some_and(|d| now.saturating_sub(d) > AUTO_PROVISIONING_DISCONNECT_MS);
        if boot_due || lost_due {
            // Started in STA → SC only; in AP → AP + SC (TI §3.2).
            let mode = if self.ti.current_role == Role::Sta {
                TiMode::Sc
            } else {
                TiMode::ApSc
            };
            self.ti_begin(
                TiStartParams {
                    mode,
                    role_after_success: Role::Sta,
                    inactivity_timeout_s: self
                        .cfg
                        .ti_auto_inactivity_s
                        .max(MIN_INACTIVITY_TIMEOUT_S),
                    smart_config_key: None,
                    external_confirmation: false,
                },
                now,
            );
            self.ti.auto_started = true;
            self.ti_status(TiStatus::AutoStarted, None);
        }
    }

    /// Gate for every other host API while provisioning runs (TI §7.5): −2014 (−2052 for scan
    /// configuration), except `sl_Stop`, external confirmation after IP_ACQUIRED and mode 3
    /// after EXTERNAL_CONFIGURATION_READY. Any call counts as a host command (it cancels the
    /// 2-second auto-provisioning rule).
    pub fn ti_host_call(&mut self, call: TiHostCall, _now: Instant) -> Result<(), ManagerError> {
        self.require_ti()?;
        self.ti.host_command_seen = true;
        if call == TiHostCall::DeviceStop || !self.state.is_running() {
            return Ok(());
        }
        let external_confirming = self.ti.external_confirmation
            && matches!(
                self.attempt.as_ref().map(|a| &a.phase),
                Some(Phase::IpAcquired {
                    feedback_deadline: None,
                    ..
                })
            );
        let external_configuring =
            self.ti.mode == Some(TiMode::ApScExternal) && self.ti.ext_config_ready;
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
    pub fn ti_profile_add(
        &mut self,
        credentials: Credentials,
        priority: u8,
        token: Vec<u8>,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.require_ti()?;
        if priority > MAX_PRIORITY {
            return Err(ManagerError::Ti(TiErrorCode::InvalidParam));
        }
        let ssid = credentials.ssid.clone();
        self.set_pending(credentials, Some(priority), now)?;
        self.ti_event(TiEvent::ProfileAdded { ssid, token });
        Ok(())
    }

    /// `confirm_req`: start the confirmation stage with the added profile.
    pub fn ti_confirm_req(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.require_ti()?;
        self.apply_config(now)
    }

    /// SmartConfig delivered a profile: added and confirmed at once.
    pub fn ti_smartconfig_received(
        &mut self,
        credentials: Credentials,
        token: Vec<u8>,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.require_ti()?;
        if !matches!(
            self.ti.mode,
            Some(TiMode::Sc | TiMode::ApSc | TiMode::ApScExternal)
        ) {
            return Err(ManagerError::WrongState {
                state: self.state,
                operation: "smartconfig",
            });
        }
        self.ti_profile_add(credentials, 0, token, now)?;
        self.apply_config(now)
    }

    /// The SmartConfig receiver locked on (13) or lost (14) a transmission.
    pub fn ti_smartconfig_sync(&mut self, synced: bool) -> Result<(), ManagerError> {
        self.require_ti()?;
        if !matches!(
            self.ti.mode,
            Some(TiMode::Sc | TiMode::ApSc | TiMode::ApScExternal)
        ) {
            return Err(ManagerError::WrongState {
                state: self.state,
                operation: "smartconfig",
            });
        }
        let status = if synced {
            TiStatus::SmartConfigSynced
        } else {
            TiStatus::SmartConfigSyncTimeout
        };
        self.ti_status(status, None);
        Ok(())
    }

    /// The host restarted the NWP after a RESET_REQUEST: the confirmation continues.
    pub fn ti_nwp_restarted(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.require_ti()?;
        let now_ms = ms(now);
        match self.attempt.as_mut() {
            Some(attempt) if attempt.phase == Phase::AwaitNwpRestart => {
                attempt.phase = Phase::Scheduled { connect_at: now_ms };
                self.ti.ext_config_ready = false;
                self.run_timers(now_ms);
                Ok(())
            }
            _ => Err(ManagerError::Ti(TiErrorCode::CmdNotExpected)),
        }
    }

    /// The phone reads the confirmation result (`GET /__SL_G_MCR`): returns the digit 0–5
    /// and, if a result was waiting for this read, completes provisioning (status 5).
    pub fn ti_feedback_fetched(&mut self, now: Instant) -> Result<u8, ManagerError> {
        self.require_ti()?;
        let now = ms(now);
        self.touch(now);
        let local_pending = matches!(
            self.attempt.as_ref().map(|a| &a.phase),
            Some(Phase::IpAcquired {
                feedback_deadline: Some(_),
                ..
            })
        );
        if local_pending {
            self.ti_succeed(self.ti.role_after_success, now);
            return Ok(TiStatus::Success as u8);
        }
        let result = self.ti.confirmation_result as u8;
        if self.state == ProvState::Fail
            && let (Some(pending), Some(info)) = (
                self.ti.feedback_pending.take(),
                self.ti.feedback_info.take(),
            )
        {
            // Late feedback through the AP: the app shows success, then status 5 (TI §5.1).
            self.attempt = Some(Attempt {
                credentials: pending.credentials,
                priority: pending.priority,
                phase: Phase::IpAcquired {
                    info,
                    feedback_deadline: Some(now),
                },
                deadline: u64::MAX,
            });
            self.ti_succeed(self.ti.role_after_success, now);
        }
        Ok(result)
    }

    /// What `/__SL_G_MCR` would return now (0 not started … 5 success).
    pub fn ti_confirmation_result(&self) -> u8 {
        self.ti.confirmation_result as u8
    }

    /// The current role.
    pub fn ti_role(&self) -> Role {
        self.ti.current_role
    }

    /// The running mode, if provisioning.
    pub fn ti_mode(&self) -> Option<TiMode> {
        self.ti.mode
    }

    /// The SmartConfig key given at start.
    pub fn ti_smart_config_key(&self) -> Option<[u8; 16]> {
        self.ti.smart_config_key
    }

    /// True if the running provisioning was started by the auto-provisioning policy.
    pub fn ti_auto_started(&self) -> bool {
        self.state.is_running() && self.ti.auto_started
    }
}
