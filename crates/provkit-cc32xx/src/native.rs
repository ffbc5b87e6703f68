//! Native mode: the NWP's own provisioning (AP / SC / APSC / APSC+external), driven with the
//! commands of provkit-manager's TI personality ([`TiCommand`]) and reported as its events
//! ([`TiEvent`]). The host logic is what TI's SDK examples do
//! (ti-simplelink.md §12): probe for a running (e.g. auto-started) provisioning before a
//! start and stop it first; answer a RESET_REQUEST with `sl_Stop` + `sl_Start`; wait for
//! STOPPED before the next command.
//!
//! ```text
//!  app ──TiCommand──► NativeProvisioning ──sl_WlanProvisioning──► NWP (chip or emulated)
//!  app ◄──NativeEvent (Provisioning(TiEvent) | Link(..) | NwpRestarted) ◄── poll_event
//! ```

use provkit_hal::LinkEvent;
use provkit_manager::{Role, TiCommand, TiEvent, TiMode, TiStatus};
use provkit_nwp::Cc32xxError;
use provkit_nwp::consts::{cmd, role};
use provkit_nwp::driver::{NwpDriver, role_from_code};

/// `sl_Stop` timeout the SDK examples use (ms).
pub const STOP_TIMEOUT_MS: u16 = 200;

/// What [`NativeProvisioning::poll`] hands to the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NativeEvent {
    /// A provisioning event in the TI personality's vocabulary.
    Provisioning(TiEvent),
    /// A plain WLAN / NetApp event (only outside provisioning or when unblocked).
    Link(LinkEvent),
    /// The adapter restarted the NWP (after a RESET_REQUEST); it came up in `role`.
    NwpRestarted {
        /// Role after `sl_Start`.
        role: Role,
    },
}

/// Result of [`NativeProvisioning::start`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOutcome {
    /// `sl_WlanProvisioning` accepted the start.
    Started,
    /// A provisioning was already running (auto-started): STOP was sent; the start is issued
    /// when STOPPED arrives (through [`NativeProvisioning::poll`]).
    Deferred,
}

/// Host side of the NWP's provisioning.
pub struct NativeProvisioning<D: NwpDriver> {
    driver: D,
    role: Option<Role>,
    deferred_start: Option<TiCommand>,
    restart_on_reset_request: bool,
    restarted_pending: Option<Role>,
}

/// Raw `sl_WlanProvisioning` arguments of a manager command.
pub fn raw_command(command: &TiCommand) -> (u8, u8, u16, Option<[u8; 16]>, u32) {
    match command {
        TiCommand::Start(p) => {
            let code = match p.mode {
                TiMode::Ap => cmd::START_MODE_AP,
                TiMode::Sc => cmd::START_MODE_SC,
                TiMode::ApSc => cmd::START_MODE_APSC,
                TiMode::ApScExternal => cmd::START_MODE_APSC_EXTERNAL_CONFIGURATION,
            };
            let flags = if p.external_confirmation {
                cmd::FLAG_EXTERNAL_CONFIRMATION
            } else {
                0
            };
            (
                code,
                p.role_after_success.code(),
                p.inactivity_timeout_s,
                p.smart_config_key,
                flags,
            )
        }
        TiCommand::Stop { role: r } => (
            cmd::STOP,
            r.map_or(cmd::REMAIN_IN_CURRENT_ROLE, Role::code),
            0,
            None,
            0,
        ),
        TiCommand::AbortExternalConfirmation => (cmd::ABORT_EXTERNAL_CONFIRMATION, 0, 0, None, 0),
    }
}

impl<D: NwpDriver> NativeProvisioning<D> {
    /// Wrap a driver. By default a RESET_REQUEST is answered at once with `sl_Stop` +
    /// `sl_Start` (the host has no sockets of its own in native mode).
    pub fn new(driver: D) -> Self {
        Self {
            driver,
            role: None,
            deferred_start: None,
            restart_on_reset_request: true,
            restarted_pending: None,
        }
    }

    /// Let the application restart the NWP itself after a RESET_REQUEST (it has sockets to
    /// close first, TI §6 step 4).
    pub fn set_restart_on_reset_request(&mut self, enabled: bool) {
        self.restart_on_reset_request = enabled;
    }

    /// The driver, for calls outside provisioning.
    pub fn driver(&mut self) -> &mut D {
        &mut self.driver
    }

    /// Give the driver back.
    pub fn into_driver(self) -> D {
        self.driver
    }

    /// Role the NWP reported at the last start or STOPPED.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// `sl_Start`.
    pub fn boot(&mut self) -> Result<Role, Cc32xxError> {
        let code = self.driver.start()?;
        let r = role_from_code(code)?;
        self.role = Some(r);
        Ok(r)
    }

    /// `sl_Stop` + `sl_Start`.
    pub fn restart(&mut self) -> Result<Role, Cc32xxError> {
        self.driver.stop(STOP_TIMEOUT_MS)?;
        self.boot()
    }

    /// Change the persistent role and restart so it takes effect (TI §9).
    pub fn set_role(&mut self, target: Role) -> Result<Role, Cc32xxError> {
        self.driver.wlan_set_mode(target.code())?;
        self.restart()
    }

    /// Start provisioning. A provisioning already running (the −2014 probe of TI's examples)
    /// is stopped first and the start deferred until STOPPED.
    pub fn start(&mut self, command: TiCommand) -> Result<StartOutcome, Cc32xxError> {
        if !matches!(command, TiCommand::Start(_)) {
            return Err(Cc32xxError::InvalidValue(
                "start needs a START_MODE command",
            ));
        }
        match self.driver.device_get_version() {
            Err(e) if e.is_provisioning_in_progress() => {
                self.send(&TiCommand::Stop { role: None })?;
                self.deferred_start = Some(command);
                Ok(StartOutcome::Deferred)
            }
            Err(e) => Err(e),
            Ok(()) => {
                self.send(&command)?;
                Ok(StartOutcome::Started)
            }
        }
    }

    /// `sl_WlanProvisioning` with any command (STOP, ABORT_EXTERNAL_CONFIRMATION, …).
    pub fn send(&mut self, command: &TiCommand) -> Result<(), Cc32xxError> {
        let (code, role_after, timeout, key, flags) = raw_command(command);
        self.driver
            .wlan_provisioning(code, role_after, timeout, key.as_ref(), flags)
    }

    /// External confirmation succeeded (cloud): STOP, staying in `role` (None = current).
    pub fn confirm_external(&mut self, role_after: Option<Role>) -> Result<(), Cc32xxError> {
        self.send(&TiCommand::Stop { role: role_after })
    }

    /// External confirmation failed: back to the configuration stage.
    pub fn abort_external(&mut self) -> Result<(), Cc32xxError> {
        self.send(&TiCommand::AbortExternalConfirmation)
    }

    /// The next event, translated. Handles the adapter's own reactions (deferred start after
    /// STOPPED, NWP restart after RESET_REQUEST) before handing the event on.
    pub fn poll(&mut self) -> Result<Option<NativeEvent>, Cc32xxError> {
        if let Some(r) = self.restarted_pending.take() {
            return Ok(Some(NativeEvent::NwpRestarted { role: r }));
        }
        let Some(raw) = self.driver.poll_event() else {
            return Ok(None);
        };
        if let Some(link) = raw.to_link_event() {
            return Ok(Some(NativeEvent::Link(link)));
        }
        let Some(event) = raw.to_ti_event()? else {
            return Ok(None);
        };
        match &event {
            TiEvent::ProvisioningStatus {
                status: TiStatus::Stopped,
                role: r,
                ..
            } => {
                self.role = Some(*r);
                if let Some(command) = self.deferred_start.take() {
                    self.send(&command)?;
                }
            }
            TiEvent::ResetRequest { .. } if self.restart_on_reset_request => {
                let r = self.restart()?;
                self.role = Some(r);
                // Reported after the request itself: request now, restart on the next poll.
                self.restarted_pending = Some(r);
            }
            _ => {}
        }
        Ok(Some(NativeEvent::Provisioning(event)))
    }
}

/// Raw role code helper for callers that speak `SlWlanMode_e`.
pub const fn role_code(r: Role) -> u8 {
    match r {
        Role::Sta => role::ROLE_STA,
        Role::Ap => role::ROLE_AP,
    }
}
