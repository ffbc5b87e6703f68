//! The core: one provisioning state machine under both personalities.
//!
//! ```text
//!   new ──► Idle ──(personality starts)──► Started ◄──────────┐ (fail: back to accepting,
//!                                             │ apply_config   │  no reset needed)
//!                                             ▼                │
//!                                          CredRecv ──disconnect/timeout──► Fail
//!                                             │ confirmed (the personality decides when): Persist
//!                                             ▼
//!                                          Success ──(personality stops)──► Stopping / Idle
//! ```
//!
//! The core owns what both personalities share: the stored profiles and their priorities,
//! the pending credentials, the one connection attempt with its phases and deadlines, the
//! scan, the provisioning window, and the queue of [`Action`]s. It commits credentials
//! ([`Action::Persist`]) only from `Core::confirm`, and nothing calls that before the
//! connection is confirmed.
//!
//! Where the two products differ, the core asks its [`Personality`] — a trait implemented by
//! [`crate::Esp`] and [`crate::Ti`] only — what a moment means: whether a disconnect is
//! retried, whether an IP address confirms the attempt or starts a feedback wait, what an
//! expired window does, which events to report. The personality's own API (ESP's
//! start/stop/reprovision, TI's `sl_WlanProvisioning`) drives the core through the same
//! crate-internal operations. [`Manager<P>`] pairs the core with one personality's state; the
//! methods here are the ones both personalities offer. Time only moves when the caller passes
//! `now`; every deadline is checked in [`Manager::on_tick`] and in the other entry points.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;

use provkit_hal::{
    AuthMode, Bssid, Credentials, DisconnectReason, Instant, LinkEvent, Profile, ScanConfig,
    ScanEntry, Ssid,
};

use crate::error::ManagerError;
use crate::types::{Action, ConnectedInfo, FailReason, ProvState, StaState, WireFailReason};

/// Maximum number of stored profiles (TI `SL_WLAN_MAX_PROFILES`).
pub const MAX_PROFILES: usize = 7;
/// Highest profile priority (TI: 0 lowest … 15 highest).
pub const MAX_PRIORITY: u8 = 15;
/// Longest a scan may run before it counts as finished with nothing found. A full scan of
/// every channel takes a few seconds on real radios.
pub const SCAN_TIMEOUT_MS: u64 = 15_000;

/// The provisioning manager: the shared core plus one personality's state `P` —
/// [`crate::EspManager`] (`Manager<Esp>`) or [`crate::TiManager`] (`Manager<Ti>`). The methods
/// on `Manager<P>` are the ones both offer; each personality adds its own API on its type.
/// Feed it calls and events with the current time; drain [`Manager::poll_action`] and
/// [`Manager::poll_event`] after each call.
#[derive(Clone, Debug)]
pub struct Manager<P> {
    pub(crate) core: Core,
    pub(crate) personality: P,
}

/// Keeps [`Personality`] implemented by this crate's personalities only.
pub(crate) mod sealed {
    /// Implemented by each personality's state type, in its own module.
    pub trait Sealed {}
}

/// What a personality decides for the core. Implemented by [`crate::Esp`] and [`crate::Ti`]
/// only (sealed); generic code names it as the bound of [`Manager<P>`] (the runner, `Device`).
///
/// Every decision takes the core (`&mut Core`, a type only this crate can reach), so nothing
/// outside the crate can call one and, say, confirm an attempt that never got an address.
pub trait Personality: sealed::Sealed + Sized {
    /// The personality's tunables ([`crate::EspConfig`], [`crate::TiConfig`]).
    type Config: Clone + fmt::Debug;
    /// The events it reports ([`crate::EspEvent`], [`crate::TiEvent`]).
    type Event: Clone + fmt::Debug + PartialEq;

    /// The personality's state for `config` (refused if out of range).
    fn create(config: Self::Config) -> Result<Self, ManagerError>;
    /// The tunables in use.
    fn config(&self) -> &Self::Config;
    /// The next event for the application.
    fn next_event(&mut self) -> Option<Self::Event>;

    /// Delay between ApplyConfig and Connect, so the reply leaves before a channel switch.
    fn connect_delay_ms(&self) -> u64;
    /// How long an attempt may go without an address or a failure.
    fn confirm_timeout_ms(&self) -> u64;
    /// The provisioning window (idle time while accepting credentials), if one runs.
    fn window_ms(&self) -> Option<u64>;
    /// Scan results kept.
    fn max_scan_results(&self) -> usize;

    /// prov-config SetConfig: new credentials arrived.
    fn config_received(
        &mut self,
        core: &mut Core,
        credentials: Credentials,
        now: u64,
    ) -> Result<(), ManagerError>;
    /// An attempt with `ssid` begins. `true` holds the connect until the personality
    /// releases it (`Core::release_attempt`).
    fn attempt_begins(&mut self, core: &mut Core, ssid: &Ssid) -> bool;
    /// A station event, before the core reads it.
    fn link_event(&mut self, core: &mut Core, event: &LinkEvent, now: u64) {
        let _ = (core, event, now);
    }
    /// The attempt associated with its access point.
    fn associated(&mut self, core: &mut Core) {
        let _ = core;
    }
    /// The attempt got its address: confirm it (`Core::confirm`) or wait for more
    /// (`Core::await_confirmation`).
    fn ip_acquired(&mut self, core: &mut Core, info: ConnectedInfo, now: u64);
    /// The attempt's link went down for `reason`; `confirming` if it had its address and was
    /// waiting for confirmation. Retry (`Core::retry_attempt`) or fail (`Core::fail`).
    fn attempt_disconnected(
        &mut self,
        core: &mut Core,
        reason: FailReason,
        confirming: bool,
        now: u64,
    );
    /// The wire reason reported for a final failure.
    fn wire_reason(&self, reason: FailReason) -> WireFailReason {
        reason.wire().unwrap_or(WireFailReason::AuthError)
    }
    /// The attempt failed for good; the core is back to accepting credentials.
    fn attempt_failed(&mut self, core: &mut Core, wire: WireFailReason, reason: FailReason);
    /// A wait started by `Core::await_confirmation` with a deadline ran out.
    fn confirmation_overdue(&mut self, core: &mut Core, now: u64);
    /// GetStatus answered `Connected`.
    fn status_delivered(&mut self, core: &mut Core, now: u64);
    /// The provisioning window ran out while accepting credentials.
    fn window_expired(&mut self, core: &mut Core, now: u64);
    /// The personality's own timers.
    fn timers(&mut self, core: &mut Core, now: u64) {
        let _ = (core, now);
    }
    /// The personality's own earliest deadline.
    fn next_deadline(&self, core: &Core) -> Option<u64> {
        let _ = core;
        None
    }
    /// The adapter could not bring the transports up; the core is back in Idle.
    fn transports_failed(&mut self, core: &mut Core);
    /// The adapter refused a station or store action other than a connect.
    fn action_refused(&mut self, core: &mut Core, action: &Action) {
        let _ = (core, action);
    }
    /// prov-ctrl Reprov: back to accepting credentials, whatever the state.
    fn reprovision(&mut self, core: &mut Core, now: u64) -> Result<(), ManagerError>;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting `connect_delay_ms` before connecting.
    Scheduled {
        connect_at: u64,
    },
    /// The personality holds the connect (TI mode 3: until the host restarts the NWP).
    Held,
    Connecting,
    Associated {
        bssid: Bssid,
        channel: u8,
        auth: AuthMode,
    },
    /// Connected with an address; the personality confirms later (TI feedback): by
    /// `deadline`, or whenever the host says (`None`).
    Confirming {
        info: ConnectedInfo,
        deadline: Option<u64>,
    },
}

impl Phase {
    /// True once a connect was issued for this attempt (the station is ours).
    fn connect_issued(&self) -> bool {
        !matches!(self, Self::Scheduled { .. } | Self::Held)
    }
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

/// The state both personalities share. Only this crate can reach it.
#[derive(Clone, Debug)]
pub struct Core {
    pub(crate) initialized: bool,
    pub(crate) state: ProvState,
    pub(crate) pending: Option<Pending>,
    pub(crate) attempt: Option<Attempt>,
    pub(crate) sta: StaState,
    pub(crate) last_fail: Option<FailReason>,
    pub(crate) profiles: Vec<Profile>,
    pub(crate) window_deadline: Option<u64>,
    scan: ScanState,
    actions: VecDeque<Action>,
}

pub(crate) fn ms(now: Instant) -> u64 {
    now.as_millis()
}

impl Core {
    fn new(profiles: Vec<Profile>) -> Self {
        Self {
            initialized: true,
            state: ProvState::Idle,
            pending: None,
            attempt: None,
            sta: StaState::Connecting,
            last_fail: None,
            profiles,
            window_deadline: None,
            scan: ScanState::default(),
            actions: VecDeque::new(),
        }
    }

    pub(crate) fn act(&mut self, action: Action) {
        self.actions.push_back(action);
    }

    pub(crate) fn require_init(&self) -> Result<(), ManagerError> {
        if self.initialized {
            Ok(())
        } else {
            Err(ManagerError::NotInitialized)
        }
    }

    pub(crate) fn wrong(&self, operation: &'static str) -> ManagerError {
        ManagerError::WrongState {
            state: self.state,
            operation,
        }
    }

    /// Which phase the attempt is in, if there is one.
    pub(crate) fn phase(&self) -> Option<&Phase> {
        self.attempt.as_ref().map(|a| &a.phase)
    }

    /// A new provisioning session: Started, nothing pending, the window armed.
    pub(crate) fn begin_running<P: Personality>(&mut self, personality: &P, now: u64) {
        self.state = ProvState::Started;
        self.pending = None;
        self.attempt = None;
        self.sta = StaState::Connecting;
        self.scan = ScanState::default();
        self.window_deadline = personality.window_ms().map(|w| now.saturating_add(w));
    }

    /// The session is over: Idle, no window, no scan.
    pub(crate) fn end_running(&mut self) {
        self.state = ProvState::Idle;
        self.pending = None;
        self.window_deadline = None;
        self.scan = ScanState::default();
    }

    /// Client activity while accepting credentials restarts the window.
    pub(crate) fn touch<P: Personality>(&mut self, personality: &P, now: u64) {
        if matches!(self.state, ProvState::Started | ProvState::Fail) {
            self.window_deadline = personality.window_ms().map(|w| now.saturating_add(w));
        }
    }

    /// Remember the latest credentials (always accepted while running).
    pub(crate) fn set_pending<P: Personality>(
        &mut self,
        personality: &P,
        credentials: Credentials,
        priority: Option<u8>,
        now: u64,
    ) -> Result<(), ManagerError> {
        self.require_init()?;
        if matches!(self.state, ProvState::Idle | ProvState::Stopping) {
            return Err(self.wrong("set_config"));
        }
        self.pending = Some(Pending {
            credentials,
            priority,
        });
        self.touch(personality, now);
        Ok(())
    }

    /// Start an attempt with `pending` (ApplyConfig, `configure_sta`, TI confirm).
    pub(crate) fn begin_attempt<P: Personality>(
        &mut self,
        personality: &mut P,
        pending: Pending,
        now: u64,
    ) {
        let hold = personality.attempt_begins(self, &pending.credentials.ssid);
        self.state = ProvState::CredRecv;
        self.sta = StaState::Connecting;
        self.window_deadline = None;
        let phase = if hold {
            Phase::Held
        } else {
            Phase::Scheduled {
                connect_at: now.saturating_add(personality.connect_delay_ms()),
            }
        };
        self.attempt = Some(Attempt {
            credentials: pending.credentials,
            priority: pending.priority,
            phase,
            deadline: u64::MAX,
        });
        self.run_timers(personality, now);
    }

    /// A held attempt may connect now. `false` if no attempt was held.
    pub(crate) fn release_attempt<P: Personality>(
        &mut self,
        personality: &mut P,
        now: u64,
    ) -> bool {
        match self.attempt.as_mut() {
            Some(attempt) if attempt.phase == Phase::Held => {
                attempt.phase = Phase::Scheduled { connect_at: now };
                self.run_timers(personality, now);
                true
            }
            _ => false,
        }
    }

    /// Connect (again) with the attempt's credentials; the confirmation deadline restarts.
    pub(crate) fn retry_attempt<P: Personality>(&mut self, personality: &P, now: u64) {
        let deadline = now.saturating_add(personality.confirm_timeout_ms());
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
            && attempt.phase.connect_issued()
        {
            self.act(Action::Disconnect);
        }
    }

    /// The attempt has its address; the personality confirms it later (by `deadline`, or
    /// when told). GetStatus says Connected from now on.
    pub(crate) fn await_confirmation(&mut self, info: ConnectedInfo, deadline: Option<u64>) {
        if let Some(attempt) = self.attempt.as_mut() {
            attempt.phase = Phase::Confirming {
                info: info.clone(),
                deadline,
            };
            self.sta = StaState::Connected(info);
        }
    }

    /// The connection is confirmed: only now are the credentials committed. `false` if no
    /// attempt was running.
    pub(crate) fn confirm(&mut self, info: ConnectedInfo) -> bool {
        let Some(attempt) = self.attempt.take() else {
            return false;
        };
        self.commit_profile(attempt.credentials, attempt.priority);
        self.sta = StaState::Connected(info);
        self.last_fail = None;
        self.state = ProvState::Success;
        self.window_deadline = None;
        true
    }

    /// Confirm an attempt that waits in [`Phase::Confirming`]. `false` if none does.
    pub(crate) fn confirm_waiting(&mut self) -> bool {
        match self.attempt.as_ref().map(|a| &a.phase) {
            Some(Phase::Confirming { info, .. }) => {
                let info = info.clone();
                self.confirm(info)
            }
            _ => false,
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

    /// Erase every stored profile.
    pub(crate) fn clear_profiles(&mut self) {
        self.profiles.clear();
        self.act(Action::ClearStore);
    }

    /// The attempt failed for good: back to accepting credentials in the same session.
    pub(crate) fn fail<P: Personality>(
        &mut self,
        personality: &mut P,
        reason: FailReason,
        now: u64,
    ) {
        let Some(attempt) = self.attempt.take() else {
            return;
        };
        if attempt.phase.connect_issued() {
            self.act(Action::Disconnect);
        }
        let wire = personality.wire_reason(reason);
        self.sta = StaState::Failed { wire, reason };
        self.last_fail = Some(reason);
        self.state = ProvState::Fail;
        self.window_deadline = personality.window_ms().map(|w| now.saturating_add(w));
        personality.attempt_failed(self, wire, reason);
    }

    /// prov-ctrl Reset (`reset_sm_state_on_failure`): Fail → Started. Already Started is
    /// accepted (network_provisioning ≥ 1.2.1 behaviour, ESP quirk §12.16).
    pub(crate) fn reset_on_failure<P: Personality>(
        &mut self,
        personality: &P,
        now: u64,
    ) -> Result<(), ManagerError> {
        self.require_init()?;
        match self.state {
            ProvState::Fail | ProvState::Started => {
                self.state = ProvState::Started;
                self.pending = None;
                self.touch(personality, now);
                Ok(())
            }
            _ => Err(self.wrong("reset_sm_state_on_failure")),
        }
    }

    /// Whatever the running state: drop the attempt and accept credentials again.
    pub(crate) fn restart_accepting<P: Personality>(
        &mut self,
        personality: &P,
        now: u64,
    ) -> Result<(), ManagerError> {
        if matches!(self.state, ProvState::Idle | ProvState::Stopping) {
            return Err(self.wrong("reset_sm_state_for_reprovision"));
        }
        self.cancel_attempt();
        self.begin_running(personality, now);
        self.act(Action::Disconnect);
        Ok(())
    }

    fn on_got_ip<P: Personality>(&mut self, personality: &mut P, ip: [u8; 4], now: u64) {
        let Some(attempt) = self.attempt.as_ref() else {
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
        personality.ip_acquired(self, info, now);
    }

    fn on_disconnected<P: Personality>(
        &mut self,
        personality: &mut P,
        reason: &DisconnectReason,
        now: u64,
    ) {
        let Some(phase) = self.phase() else {
            return;
        };
        if !phase.connect_issued() {
            // A disconnect of the previous network, not of this attempt.
            return;
        }
        let confirming = matches!(phase, Phase::Confirming { .. });
        personality.attempt_disconnected(
            self,
            FailReason::from_disconnect(reason),
            confirming,
            now,
        );
    }

    fn end_scan(&mut self) {
        self.scan.running = false;
        self.scan.deadline = None;
    }

    /// Fire every deadline up to `now`.
    pub(crate) fn run_timers<P: Personality>(&mut self, personality: &mut P, now: u64) {
        if !self.initialized {
            return;
        }
        if self.scan.deadline.is_some_and(|t| now >= t) {
            self.scan.results.clear();
            self.end_scan();
        }
        if let Some(attempt) = self.attempt.as_ref() {
            match &attempt.phase {
                Phase::Scheduled { connect_at } if now >= *connect_at => {
                    self.retry_attempt(personality, now)
                }
                Phase::Connecting if now >= attempt.deadline => {
                    self.fail(personality, FailReason::Timeout, now)
                }
                Phase::Associated { .. } if now >= attempt.deadline => {
                    self.fail(personality, FailReason::NoIp, now)
                }
                Phase::Confirming {
                    deadline: Some(d), ..
                } if now >= *d => personality.confirmation_overdue(self, now),
                _ => {}
            }
        }
        if self.window_deadline.is_some_and(|t| now >= t)
            && matches!(self.state, ProvState::Started | ProvState::Fail)
        {
            self.window_deadline = None;
            personality.window_expired(self, now);
        }
        personality.timers(self, now);
    }

    fn next_deadline<P: Personality>(&self, personality: &P) -> Option<u64> {
        let attempt = self.attempt.as_ref().and_then(|a| match &a.phase {
            Phase::Scheduled { connect_at } => Some(*connect_at),
            Phase::Confirming { deadline, .. } => *deadline,
            Phase::Held => None,
            Phase::Connecting | Phase::Associated { .. } => Some(a.deadline),
        });
        [
            attempt,
            self.scan.deadline,
            self.window_deadline,
            personality.next_deadline(self),
        ]
        .into_iter()
        .flatten()
        .filter(|d| *d != u64::MAX)
        .min()
    }
}

impl<P: Personality> Manager<P> {
    /// A manager in `Idle` (ESP: `wifi_prov_mgr_init`, emits INIT). `profiles` is what the
    /// credential store holds (at most [`MAX_PROFILES`]).
    pub fn new(config: P::Config, profiles: Vec<Profile>) -> Result<Self, ManagerError> {
        if profiles.len() > MAX_PROFILES {
            return Err(ManagerError::TooManyProfiles);
        }
        Ok(Self {
            personality: P::create(config)?,
            core: Core::new(profiles),
        })
    }

    // ----- outputs ---------------------------------------------------------------------

    /// Next action for the adapter.
    pub fn poll_action(&mut self) -> Option<Action> {
        let action = self.core.actions.pop_front();
        if matches!(action, Some(Action::Connect(_))) {
            wipe_vacated(&mut self.core.actions);
        }
        action
    }

    /// Next event for the application.
    pub fn poll_event(&mut self) -> Option<P::Event> {
        self.personality.next_event()
    }

    // ----- queries ---------------------------------------------------------------------

    /// Current state.
    pub fn state(&self) -> ProvState {
        self.core.state
    }

    /// The configuration in use.
    pub fn config(&self) -> &P::Config {
        self.personality.config()
    }

    /// Scan results kept (and read from the station) at most.
    pub fn max_scan_results(&self) -> usize {
        self.personality.max_scan_results()
    }

    /// `wifi_prov_mgr_is_sm_idle`.
    pub fn is_idle(&self) -> bool {
        self.core.state == ProvState::Idle
    }

    /// `wifi_prov_mgr_is_provisioned`: at least one confirmed profile is stored.
    pub fn is_provisioned(&self) -> bool {
        !self.core.profiles.is_empty()
    }

    /// The confirmed profiles (what the store holds after the last Persist).
    pub fn profiles(&self) -> &[Profile] {
        &self.core.profiles
    }

    /// `wifi_prov_mgr_get_wifi_state` (rich form): what GetStatus reports.
    pub fn wifi_state(&self) -> &StaState {
        &self.core.sta
    }

    /// `wifi_prov_mgr_get_wifi_disconnect_reason`: only valid after a final failure.
    pub fn wifi_disconnect_reason(&self) -> Option<WireFailReason> {
        match self.core.sta {
            StaState::Failed { wire, .. } => Some(wire),
            _ => None,
        }
    }

    /// The rich reason of the last failed attempt (kept until the next success).
    pub fn fail_reason(&self) -> Option<FailReason> {
        self.core.last_fail
    }

    /// True while an unconfirmed attempt owns the station.
    pub fn attempt_in_progress(&self) -> bool {
        self.core.attempt.is_some()
    }

    /// The earliest pending deadline, so an adapter can sleep until then.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.core
            .next_deadline(&self.personality)
            .map(Instant::from_millis)
    }

    // ----- prov-config -------------------------------------------------------------------

    /// SetConfig: new credentials (ESP: the latest wins; TI: a profile added with priority 0).
    pub fn set_config(
        &mut self,
        credentials: Credentials,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.core.require_init()?;
        self.personality
            .config_received(&mut self.core, credentials, ms(now))
    }

    /// ApplyConfig: start a connection attempt with the pending credentials. Accepted in
    /// Started and — unlike the reference — in Fail, so a wrong password needs no reset.
    /// The pending config is consumed either way (reference behaviour).
    pub fn apply_config(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.core.require_init()?;
        let pending = self.core.pending.take();
        if !matches!(self.core.state, ProvState::Started | ProvState::Fail) {
            return Err(self.core.wrong("apply_config"));
        }
        let pending = pending.ok_or(ManagerError::NoPendingConfig)?;
        self.core
            .begin_attempt(&mut self.personality, pending, ms(now));
        Ok(())
    }

    /// GetStatus: what prov-config reports. A `Connected` answer means something to each
    /// personality (ESP: provisioning is done, auto-stop; TI: the phone's local feedback).
    pub fn get_status(&mut self, now: Instant) -> StaState {
        let status = self.core.sta.clone();
        let now = ms(now);
        self.core.touch(&self.personality, now);
        if matches!(status, StaState::Connected(_)) {
            self.personality.status_delivered(&mut self.core, now);
        }
        status
    }

    // ----- scanning ----------------------------------------------------------------------

    /// prov-scan ScanStart. A second start while one runs is a no-op success (reference).
    pub fn start_scan(&mut self, config: ScanConfig, now: Instant) -> Result<(), ManagerError> {
        self.core.require_init()?;
        if matches!(self.core.state, ProvState::Idle | ProvState::Stopping) {
            return Err(self.core.wrong("start_scan"));
        }
        self.core.touch(&self.personality, ms(now));
        if !self.core.scan.running {
            self.core.scan.running = true;
            self.core.scan.deadline = Some(ms(now).saturating_add(SCAN_TIMEOUT_MS));
            self.core.scan.results.clear();
            self.core.act(Action::StartScan(config));
        }
        Ok(())
    }

    /// The station finished a scan: keep the strongest `max_scan_results`.
    pub fn on_scan_done(&mut self, results: &[ScanEntry], now: Instant) {
        if !self.core.scan.running {
            return;
        }
        let mut list: Vec<ScanEntry> = results.to_vec();
        list.sort_by_key(|entry| core::cmp::Reverse(entry.rssi));
        list.truncate(self.personality.max_scan_results());
        self.core.scan.results = list;
        self.core.end_scan();
        self.core.run_timers(&mut self.personality, ms(now));
    }

    /// prov-scan ScanStatus: (finished, count).
    pub fn scan_status(&self) -> (bool, u32) {
        (
            !self.core.scan.running,
            u32::try_from(self.core.scan.results.len()).unwrap_or(u32::MAX),
        )
    }

    /// prov-scan ScanResult entry.
    pub fn scan_result(&self, index: u32) -> Option<ScanEntry> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.core.scan.results.get(i))
            .cloned()
    }

    // ----- events in ---------------------------------------------------------------------

    /// A client talked to us: restarts the provisioning window.
    pub fn on_client_activity(&mut self, now: Instant) {
        self.core.touch(&self.personality, ms(now));
    }

    /// A station event.
    pub fn on_link_event(&mut self, event: &LinkEvent, now: Instant) {
        let now = ms(now);
        let core = &mut self.core;
        let personality = &mut self.personality;
        personality.link_event(core, event, now);
        match event {
            LinkEvent::Connected {
                bssid,
                channel,
                auth,
            } => {
                if let Some(attempt) = core.attempt.as_mut()
                    && attempt.phase == Phase::Connecting
                {
                    attempt.phase = Phase::Associated {
                        bssid: *bssid,
                        channel: *channel,
                        auth: *auth,
                    };
                    personality.associated(core);
                }
            }
            LinkEvent::GotIp { ip } => core.on_got_ip(personality, *ip, now),
            LinkEvent::Disconnected { reason } => core.on_disconnected(personality, reason, now),
            // Results are fetched by the runner and handed over with `on_scan_done`.
            LinkEvent::ScanDone => {}
        }
        core.run_timers(personality, now);
    }

    /// The adapter could not execute an action.
    pub fn on_action_failed(&mut self, action: &Action, now: Instant) {
        let now = ms(now);
        let core = &mut self.core;
        match action {
            Action::StartTransports(_) => {
                core.cancel_attempt();
                core.end_running();
                self.personality.transports_failed(core);
            }
            Action::Connect(_) => core.fail(&mut self.personality, FailReason::Other(0), now),
            // The radio refused to scan: the scan is over, with nothing found, so ScanStatus
            // reports it finished instead of running forever.
            Action::StartScan(_) => {
                core.scan.results.clear();
                core.end_scan();
                self.personality.action_refused(core, action);
            }
            _ => self.personality.action_refused(core, action),
        }
    }

    /// Time passed: fire every deadline up to `now`.
    pub fn on_tick(&mut self, now: Instant) {
        self.core.run_timers(&mut self.personality, ms(now));
    }

    // ----- prov-ctrl (crate: the Wi-Fi backend) ----------------------------------------

    /// prov-ctrl Reset.
    pub(crate) fn ctrl_reset(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.core.reset_on_failure(&self.personality, ms(now))
    }

    /// prov-ctrl Reprov.
    pub(crate) fn ctrl_reprovision(&mut self, now: Instant) -> Result<(), ManagerError> {
        self.core.require_init()?;
        self.personality.reprovision(&mut self.core, ms(now))
    }
}

/// A `Connect` action carries the passphrase inline; taking it out of the queue leaves its
/// bytes in the queue's buffer, where no `Drop` reaches them. Zero every unused slot of the
/// buffer (the live actions are moved to its start first; no reallocation).
fn wipe_vacated(actions: &mut VecDeque<Action>) {
    use provkit_hal::zeroize::Zeroize;
    let mut contiguous: Vec<Action> = core::mem::take(actions).into();
    contiguous.spare_capacity_mut().zeroize();
    *actions = contiguous.into();
}
