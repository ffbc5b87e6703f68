//! The emulated CC32xx network processor (NWP) and TI's device HTTP API — the `cc32xx`
//! personality of the simulator (ti-simplelink.md).
//!
//! ```text
//!  host (provkit-cc32xx, tests) ──provkit_nwp::{NwpDriver, NwpSockets}──► EmulatedNwp ──► TiManager
//!  phone / tests ──HTTP──► http_api::handle (pure) ──┘      │  actions: SimRadio, flash
//!  server::serve (std TCP, loopback)                         └─ events: NwpEvent queue
//! ```
//!
//! The provisioning semantics (modes, auto-provisioning 2 s / 2 min, confirmation stage,
//! status codes, −2014 gate with its two exceptions, inactivity timeout) are provkit-manager's
//! TI personality; this module adds what the NWP has around it: persistent role and policy
//! (effective on `sl_Stop` + `sl_Start`), up to 7 profiles in "flash", the STA auto-connect
//! of the Auto policy, event suppression while provisioning, the HTTP server, the SmartConfig
//! receiver as an injectable event, and the `"ip,name"` UDP announcement.
//!
//! Time is virtual: [`EmulatedNwp::advance`] runs every due radio event and timer in order.
//! Emulator choices where TI documents nothing are marked "emulator choice".

pub mod announce;
pub mod http_api;
pub mod portal;
pub mod server;
mod sockets;

use std::collections::VecDeque;

use provkit_hal::{
    AuthMode, Credentials, Instant, LinkEvent, Passphrase, Profile, ScanConfig, ScanEntry, Ssid,
};
use provkit_manager::{
    Action, ManagerError, Role, TiCommand, TiConfig, TiEvent, TiHostCall, TiManager,
};
use provkit_nwp::Cc32xxError;
use provkit_nwp::consts::{error as sl_err, policy, role as sl_role, sec_type};
use provkit_nwp::driver::{NwpDriver, NwpEvent, NwpSockets, ProfileInfo, field32};
use provkit_nwp::sys::SlWlanNetworkEntry;

use crate::env::RadioEnv;
use crate::station::SimRadio;
pub use sockets::{ClientHandle, LoopSockets};

/// Default device name (URN) (TI §2).
pub const DEFAULT_URN: &str = "mysimplelink";
/// Product version the HTTP API reports (a "2.0" generation device, TI §10).
pub const PRODUCT_VERSION: &str = "R2.0";
/// Emulator choice: delay between STA auto-connect retries over the stored profiles.
pub const AUTO_CONNECT_RETRY_MS: u64 = 5_000;
/// Emulator choice: the station address the NWP uses on its own AP (third-party notes).
pub const AP_ADDRESS: [u8; 4] = [10, 123, 45, 1];

/// Start-up settings of an emulated NWP.
#[derive(Debug, Clone)]
pub struct NwpSettings {
    /// The radio environment the station sees.
    pub env: RadioEnv,
    /// Role stored in "flash" (`sl_WlanSetMode`).
    pub role: Role,
    /// Connection policy bits (`SL_WLAN_CONNECTION_POLICY`).
    pub connection_policy: u8,
    /// Device MAC address.
    pub mac: [u8; 6],
    /// Manager tunables (confirmation / feedback timeouts).
    pub manager: TiConfig,
}

impl NwpSettings {
    /// STA role, policy Auto + auto-provisioning (TI leaves the factory default unconfirmed;
    /// emulator choice), TI manager defaults.
    pub fn new(env: RadioEnv) -> Self {
        Self {
            env,
            role: Role::Sta,
            connection_policy: policy::connection_policy(true, false, false, true),
            // The MAC of the header's mDNS example (`0800285A7891@mysimplelink-022`).
            mac: [0x08, 0x00, 0x28, 0x5a, 0x78, 0x91],
            manager: TiConfig::default(),
        }
    }
}

/// A profile in the NWP's flash: credentials, priority and the security type it was added
/// with (the key never leaves the NWP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProfile {
    /// Credentials and priority.
    pub profile: Profile,
    /// `SL_WLAN_SEC_TYPE_*`.
    pub sec_type: u8,
}

/// The emulated NWP.
pub struct EmulatedNwp {
    now_ms: u64,
    running: bool,
    stored_role: Role,
    role: Role,
    connection_policy: u8,
    http_enabled: bool,
    urn: String,
    urn_is_default: bool,
    mac: [u8; 6],
    mgr_cfg: TiConfig,
    manager: TiManager,
    radio: SimRadio,
    flash: Vec<StoredProfile>,
    events: VecDeque<NwpEvent>,
    scan_cache: Vec<ScanEntry>,
    scan_pending: bool,
    sta_ip: Option<[u8; 4]>,
    /// Emulator state of the Auto policy's own connection attempts (not provisioning).
    auto_connect_at: Option<u64>,
    auto_connect_next: usize,
    announcements: Vec<String>,
    sockets: LoopSockets,
}

fn manager_error(e: ManagerError) -> Cc32xxError {
    match e {
        ManagerError::Ti(code) => Cc32xxError::Driver(code.code()),
        _ => Cc32xxError::Driver(sl_err::ERROR_WLAN_PROVISIONING_ABORT_GENERAL_ERROR),
    }
}

/// Security type a profile's key implies (the hal profile has no type of its own).
fn sec_type_of(key: &[u8]) -> u8 {
    if key.is_empty() {
        sec_type::OPEN
    } else {
        sec_type::WPA_WPA2
    }
}

impl EmulatedNwp {
    /// A powered-off NWP (call [`NwpDriver::start`]). Fails only on an invalid manager
    /// configuration.
    pub fn new(settings: NwpSettings) -> Result<Self, crate::SimError> {
        let mut mgr_cfg = settings.manager;
        mgr_cfg.auto_provisioning = settings.connection_policy & (1 << 5) != 0;
        let manager = Self::fresh_manager(&mgr_cfg, &[])
            .map_err(|e| crate::SimError::Manager(format!("{e:?}")))?;
        Ok(Self {
            now_ms: 0,
            running: false,
            stored_role: settings.role,
            role: settings.role,
            connection_policy: settings.connection_policy,
            http_enabled: true,
            urn: DEFAULT_URN.to_string(),
            urn_is_default: true,
            mac: settings.mac,
            mgr_cfg,
            manager,
            radio: SimRadio::new(settings.env),
            flash: Vec::new(),
            events: VecDeque::new(),
            scan_cache: Vec::new(),
            scan_pending: false,
            sta_ip: None,
            auto_connect_at: None,
            auto_connect_next: 0,
            announcements: Vec::new(),
            sockets: LoopSockets::default(),
        })
    }

    /// Flash never holds more than 7 profiles, so only a bad `TiConfig` can fail here,
    /// and [`EmulatedNwp::new`] already rejected that.
    fn fresh_manager(cfg: &TiConfig, flash: &[StoredProfile]) -> Result<TiManager, ManagerError> {
        let profiles: Vec<Profile> = flash.iter().map(|p| p.profile.clone()).collect();
        TiManager::new(cfg.clone(), profiles)
    }

    // ----- queries -------------------------------------------------------------------

    /// Virtual time (ms since power-on).
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }
    /// Current role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// Profiles in flash.
    pub fn stored_profiles(&self) -> &[StoredProfile] {
        &self.flash
    }
    /// The provisioning state machine inside.
    pub fn manager(&self) -> &TiManager {
        &self.manager
    }
    /// True while the NWP provisions.
    pub fn is_provisioning(&self) -> bool {
        self.manager.state().is_running()
    }
    /// Device name (URN).
    pub fn urn(&self) -> &str {
        &self.urn
    }
    /// MAC address.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }
    /// The connection policy bits.
    pub fn connection_policy(&self) -> u8 {
        self.connection_policy
    }
    /// Whether the HTTP server runs.
    pub fn http_enabled(&self) -> bool {
        self.http_enabled
    }
    /// The station's IP address, when connected.
    pub fn sta_ip(&self) -> Option<[u8; 4]> {
        self.sta_ip
    }
    /// `"ip,name"` announcements the NWP broadcast since the last call (the UDP sender in
    /// [`announce`] puts them on the wire).
    pub fn take_announcements(&mut self) -> Vec<String> {
        std::mem::take(&mut self.announcements)
    }
    /// The in-memory sockets (protocomm mode), for a test's client side.
    pub fn sockets_mut(&mut self) -> &mut LoopSockets {
        &mut self.sockets
    }

    // ----- time ------------------------------------------------------------------------

    /// Run virtual time forward by `ms`, firing every due event in order.
    pub fn advance(&mut self, ms: u64) {
        let target = self.now_ms.saturating_add(ms);
        // Bounded: every step either reaches the target or consumes a due deadline.
        for _ in 0..100_000 {
            let next = [
                self.radio.next_event_at(),
                self.manager.next_deadline().map(Instant::as_millis),
                self.auto_connect_at,
            ]
            .into_iter()
            .flatten()
            .filter(|t| *t <= target)
            .min();
            match next {
                Some(t) => {
                    self.now_ms = self.now_ms.max(t);
                    self.pump();
                }
                None => break,
            }
        }
        self.now_ms = target;
        self.pump();
    }

    fn at(&self) -> Instant {
        Instant::from_millis(self.now_ms)
    }

    /// Deliver radio events, fire timers, execute actions, queue events until quiet.
    fn pump(&mut self) {
        if !self.running {
            return;
        }
        for _ in 0..1_000 {
            let mut busy = false;
            let now = self.at();
            self.manager.on_tick(now);
            while let Some(action) = self.manager.poll_action() {
                busy = true;
                self.execute(action);
            }
            while let Some(event) = self.manager.poll_event() {
                busy = true;
                self.on_manager_event(&event);
            }
            if let Some(event) = self.radio.poll_event(self.now_ms) {
                busy = true;
                self.on_link_event(event);
            }
            if self.auto_connect_at.is_some_and(|t| t <= self.now_ms) {
                busy = true;
                self.auto_connect_at = None;
                self.auto_connect_step();
            }
            if !busy {
                break;
            }
        }
    }

    fn execute(&mut self, action: Action) {
        match action {
            Action::Connect(credentials) => {
                self.auto_connect_at = None;
                self.radio.connect(self.now_ms, &credentials);
            }
            Action::Disconnect => {
                self.radio.disconnect(self.now_ms);
                self.sta_ip = None;
            }
            Action::StartScan(cfg) => {
                self.scan_pending = true;
                self.radio.start_scan(self.now_ms, cfg);
            }
            Action::Persist(profiles) => {
                self.flash = profiles
                    .into_iter()
                    .map(|profile| {
                        let sec_type = sec_type_of(profile.credentials.passphrase.as_bytes());
                        StoredProfile { profile, sec_type }
                    })
                    .collect();
            }
            Action::ClearStore => self.flash.clear(),
            Action::SwitchRole(r) => {
                // A role switch by the NWP itself is persistent like sl_WlanSetMode.
                self.role = r;
                self.stored_role = r;
                if r == Role::Ap {
                    self.radio.disconnect(self.now_ms);
                    self.sta_ip = None;
                }
            }
            // The NWP's AP and HTTP server follow the role; nothing else to bring up.
            Action::StartTransports(_) | Action::StopTransports => {}
        }
    }

    fn on_manager_event(&mut self, event: &TiEvent) {
        self.events.push_back(NwpEvent::from_ti_event(event));
        if !self.is_provisioning() && self.role == Role::Sta && self.sta_ip.is_none() {
            self.schedule_auto_connect(AUTO_CONNECT_RETRY_MS);
        }
    }

    /// Normal WLAN / NetApp events reach the host only outside provisioning, or once the
    /// host is unblocked (TI §7.5) — the −2014 gate answers exactly that question.
    fn host_unblocked(&mut self) -> bool {
        !self.is_provisioning()
            || self
                .manager
                .clone()
                .host_call(TiHostCall::Other, self.at())
                .is_ok()
    }

    fn on_link_event(&mut self, event: LinkEvent) {
        let now = self.at();
        let confirming = self.is_provisioning();
        self.manager.on_link_event(&event, now);
        let unblocked = self.host_unblocked();
        match event {
            LinkEvent::ScanDone => {
                if let Some(results) = self.radio.scan_results(self.now_ms) {
                    self.scan_cache = results.to_vec();
                }
                if self.scan_pending {
                    self.scan_pending = false;
                    let results = self.scan_cache.clone();
                    self.manager.on_scan_done(&results, now);
                }
            }
            LinkEvent::Connected { bssid, .. } => {
                if unblocked {
                    self.events.push_back(NwpEvent::WlanConnected {
                        ssid: field32(b""),
                        bssid: bssid.0,
                    });
                }
            }
            LinkEvent::GotIp { ip } => {
                self.sta_ip = Some(ip);
                self.auto_connect_at = None;
                if confirming {
                    // The NWP advertises itself on the new network so the phone finds it
                    // for the feedback (TI §5.1): "ip,name" on UDP 1501.
                    self.announcements
                        .push(announce::payload(ip, &self.device_name()));
                }
                if unblocked {
                    self.events.push_back(NwpEvent::IpAcquired { ip });
                }
            }
            LinkEvent::Disconnected { reason } => {
                self.sta_ip = None;
                if unblocked {
                    let reason_code = match reason {
                        provkit_hal::DisconnectReason::Other(code) => code,
                        _ => 0,
                    };
                    self.events.push_back(NwpEvent::WlanDisconnected {
                        ssid: field32(b""),
                        reason_code,
                    });
                }
                if !self.is_provisioning() {
                    self.schedule_auto_connect(AUTO_CONNECT_RETRY_MS);
                }
            }
        }
    }

    fn schedule_auto_connect(&mut self, delay: u64) {
        let auto = self.connection_policy & 1 != 0;
        if auto && self.running && self.role == Role::Sta && !self.flash.is_empty() {
            let at = self.now_ms.saturating_add(delay);
            self.auto_connect_at = Some(self.auto_connect_at.map_or(at, |t| t.min(at)));
        }
    }

    /// Auto policy: try the stored profiles, highest priority first, round robin.
    fn auto_connect_step(&mut self) {
        if self.is_provisioning() || self.role != Role::Sta || self.sta_ip.is_some() {
            return;
        }
        let mut order: Vec<&StoredProfile> = self.flash.iter().collect();
        order.sort_by_key(|p| std::cmp::Reverse(p.profile.priority));
        let Some(pick) = order.get(self.auto_connect_next % order.len().max(1)) else {
            return;
        };
        let credentials = pick.profile.credentials.clone();
        self.auto_connect_next = self.auto_connect_next.wrapping_add(1);
        self.radio.connect(self.now_ms, &credentials);
    }

    /// Name announced on the network and returned by `__SL_G_DNP` (TI §10: the MAC is
    /// appended while the default name is set; which bytes is an emulator choice).
    pub fn device_name(&self) -> String {
        if self.urn_is_default {
            let [.., a, b, c] = self.mac;
            format!("{}-{a:02x}{b:02x}{c:02x}", self.urn)
        } else {
            self.urn.clone()
        }
    }

    /// Rebuild the NWP's state machine from flash (profile or policy edits while idle).
    fn reload_manager(&mut self) {
        self.mgr_cfg.auto_provisioning = self.connection_policy & (1 << 5) != 0;
        self.mgr_cfg.http_server_enabled = self.http_enabled;
        if let Ok(manager) = Self::fresh_manager(&self.mgr_cfg, &self.flash) {
            self.manager = manager;
        }
        if self.running {
            let now = self.at();
            let _ = self.manager.device_started(self.role, now);
            // The edit itself was a host command: the 2-second rule no longer applies.
            let _ = self.manager.host_call(TiHostCall::DeviceStop, now);
        }
        while self.manager.poll_event().is_some() {}
        while self.manager.poll_action().is_some() {}
    }

    /// The −2014 gate for a host API call.
    fn gate(&mut self, call: TiHostCall) -> Result<(), Cc32xxError> {
        if !self.running {
            return Err(Cc32xxError::Driver(NOT_STARTED));
        }
        let now = self.at();
        self.manager.host_call(call, now).map_err(manager_error)
    }

    // ----- injections (what the air or the phone does) ---------------------------------

    /// SmartConfig reception (the on-air encoding is not public, TI §11): the receiver syncs
    /// (status 13), then delivers SSID, key and optional private token.
    pub fn inject_smartconfig(
        &mut self,
        ssid: &[u8],
        key: &[u8],
        token: &[u8],
    ) -> Result<(), Cc32xxError> {
        let credentials = credentials(ssid, key)?;
        let now = self.at();
        self.manager.smartconfig_sync(true).map_err(manager_error)?;
        self.manager
            .smartconfig_received(credentials, token.to_vec(), now)
            .map_err(manager_error)?;
        self.pump();
        Ok(())
    }

    /// The SmartConfig receiver lost its sync (status 14).
    pub fn inject_smartconfig_sync_lost(&mut self) -> Result<(), Cc32xxError> {
        self.manager
            .smartconfig_sync(false)
            .map_err(manager_error)?;
        self.pump();
        Ok(())
    }

    /// A phone talking to the HTTP server counts as user activity (inactivity timeout).
    pub(crate) fn touch(&mut self) {
        let now = self.at();
        self.manager.on_client_activity(now);
    }

    pub(crate) fn manager_mut(&mut self) -> &mut TiManager {
        &mut self.manager
    }

    pub(crate) fn after_http(&mut self) {
        self.pump();
    }

    pub(crate) fn start_ap_scan(&mut self) {
        let now = self.now_ms;
        self.radio.start_scan(now, ScanConfig::default());
    }

    pub(crate) fn scan_running(&self) -> bool {
        self.radio.scan_running(self.now_ms)
    }

    pub(crate) fn scan_cache(&self) -> &[ScanEntry] {
        &self.scan_cache
    }

    pub(crate) fn set_urn_internal(&mut self, name: &[u8]) -> Result<(), Cc32xxError> {
        if name.is_empty()
            || name.len() > policy::MAX_DEVICE_URN_LEN
            || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        {
            return Err(Cc32xxError::InvalidValue("device name"));
        }
        self.urn = String::from_utf8_lossy(name).into_owned();
        self.urn_is_default = false;
        Ok(())
    }

    pub(crate) fn set_policy_internal(&mut self, policy_bits: u8) {
        self.connection_policy = policy_bits;
        let auto_prov = policy_bits & (1 << 5) != 0;
        if self.is_provisioning() {
            self.manager.set_auto_provisioning(auto_prov);
            self.mgr_cfg.auto_provisioning = auto_prov;
        } else {
            self.reload_manager();
        }
    }
}

/// Emulator choice: the code `sl_*` calls return before `sl_Start` (TI's
/// `SL_API_ABORTED`-style "device not started").
pub const NOT_STARTED: i16 = -2018;

/// Credentials from raw SSID / key bytes (open network when the key is empty).
pub(crate) fn credentials(ssid: &[u8], key: &[u8]) -> Result<Credentials, Cc32xxError> {
    Ok(Credentials {
        ssid: Ssid::new(ssid).map_err(|_| Cc32xxError::InvalidValue("ssid"))?,
        passphrase: Passphrase::from_raw(key).map_err(|_| Cc32xxError::InvalidValue("key"))?,
        bssid: None,
        channel: None,
    })
}

impl NwpDriver for EmulatedNwp {
    fn start(&mut self) -> Result<u8, Cc32xxError> {
        if self.running {
            return Ok(self.role.code());
        }
        self.running = true;
        self.role = self.stored_role;
        self.sta_ip = None;
        self.radio.disconnect(self.now_ms);
        // An idle NWP boots from flash; a provisioning one keeps confirming (TI §4, §6).
        if !self.is_provisioning() {
            self.mgr_cfg.http_server_enabled = self.http_enabled;
            if let Ok(manager) = Self::fresh_manager(&self.mgr_cfg, &self.flash) {
                self.manager = manager;
            }
        }
        let now = self.at();
        self.manager
            .device_started(self.role, now)
            .map_err(manager_error)?;
        self.auto_connect_next = 0;
        self.schedule_auto_connect(0);
        self.pump();
        Ok(self.role.code())
    }

    fn stop(&mut self, _timeout_ms: u16) -> Result<(), Cc32xxError> {
        if self.running {
            let now = self.at();
            let _ = self.manager.host_call(TiHostCall::DeviceStop, now);
        }
        self.running = false;
        self.radio.disconnect(self.now_ms);
        self.sta_ip = None;
        self.auto_connect_at = None;
        self.sockets.reset();
        Ok(())
    }

    fn wlan_provisioning(
        &mut self,
        cmd: u8,
        role_after_success: u8,
        inactivity_timeout_s: u16,
        smart_config_key: Option<&[u8; 16]>,
        flags: u32,
    ) -> Result<(), Cc32xxError> {
        if !self.running {
            return Err(Cc32xxError::Driver(NOT_STARTED));
        }
        let command = TiCommand::from_raw(
            cmd,
            role_after_success,
            inactivity_timeout_s,
            smart_config_key.map(|k| k.as_slice()),
            flags,
        );
        let now = self.at();
        let result = match command {
            Ok(command) => self.manager.provisioning(command, now),
            Err(e) => Err(e),
        };
        self.pump();
        result.map_err(manager_error)
    }

    fn wlan_profile_add(
        &mut self,
        ssid: &[u8],
        bssid: Option<&[u8; 6]>,
        sec: u8,
        key: &[u8],
        priority: u8,
    ) -> Result<u8, Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        if priority > policy::MAX_PRIORITY {
            return Err(Cc32xxError::InvalidValue("priority"));
        }
        let mut credentials = credentials(ssid, key)?;
        credentials.bssid = bssid.map(|b| provkit_hal::Bssid(*b));
        let stored = StoredProfile {
            profile: Profile {
                credentials,
                priority,
            },
            sec_type: sec,
        };
        // Same SSID / MAC / security type replaces the profile at its index (TI §9).
        let same = self.flash.iter().position(|p| {
            p.profile.credentials.ssid == stored.profile.credentials.ssid
                && p.profile.credentials.bssid == stored.profile.credentials.bssid
                && p.sec_type == sec
        });
        let index = match same {
            Some(i) => {
                if let Some(slot) = self.flash.get_mut(i) {
                    *slot = stored;
                }
                i
            }
            None if self.flash.len() >= policy::MAX_PROFILES => {
                return Err(Cc32xxError::NoResources);
            }
            None => {
                self.flash.push(stored);
                self.flash.len() - 1
            }
        };
        self.reload_manager();
        u8::try_from(index).map_err(|_| Cc32xxError::NoResources)
    }

    fn wlan_profile_get(&mut self, index: u8) -> Result<ProfileInfo, Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        let p = self
            .flash
            .get(usize::from(index))
            .ok_or(Cc32xxError::InvalidValue("profile index"))?;
        Ok(ProfileInfo {
            ssid: field32(p.profile.credentials.ssid.as_bytes()),
            bssid: p.profile.credentials.bssid.map(|b| b.0),
            sec_type: p.sec_type,
            priority: p.profile.priority,
        })
    }

    fn wlan_profile_del(&mut self, index: u8) -> Result<(), Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        if index == policy::DEL_ALL_PROFILES {
            self.flash.clear();
        } else if usize::from(index) < self.flash.len() {
            self.flash.remove(usize::from(index));
        } else {
            return Err(Cc32xxError::InvalidValue("profile index"));
        }
        self.reload_manager();
        Ok(())
    }

    fn wlan_connect(
        &mut self,
        ssid: &[u8],
        _bssid: Option<&[u8; 6]>,
        _sec: u8,
        key: &[u8],
    ) -> Result<(), Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        let credentials = credentials(ssid, key)?;
        self.auto_connect_at = None;
        self.radio.connect(self.now_ms, &credentials);
        Ok(())
    }

    fn wlan_disconnect(&mut self) -> Result<(), Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        self.radio.disconnect(self.now_ms);
        self.pump();
        Ok(())
    }

    fn wlan_policy_set(&mut self, policy_type: u8, policy_bits: u8) -> Result<(), Cc32xxError> {
        match policy_type {
            policy::POLICY_CONNECTION => {
                self.gate(TiHostCall::Other)?;
                // Bits 2 and 4 are forced to zero by the macro (TI §3.2).
                self.set_policy_internal(policy_bits & !0b1_0100);
                Ok(())
            }
            // Emulator choice: periodic background scans are not modelled; the call is
            // accepted outside provisioning and refused with −2052 during it (TI §8).
            policy::POLICY_SCAN => self.gate(TiHostCall::ScanConfig),
            _ => {
                self.gate(TiHostCall::Other)?;
                Err(Cc32xxError::InvalidValue("policy type"))
            }
        }
    }

    fn wlan_set_mode(&mut self, r: u8) -> Result<(), Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        self.stored_role = match r {
            sl_role::ROLE_STA => Role::Sta,
            sl_role::ROLE_AP => Role::Ap,
            _ => return Err(Cc32xxError::InvalidValue("role")),
        };
        Ok(())
    }

    fn wlan_get_network_list(
        &mut self,
        index: u8,
        out: &mut [SlWlanNetworkEntry],
    ) -> Result<usize, Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        if self.scan_cache.is_empty() {
            self.start_ap_scan();
        }
        let mut filled = 0;
        for (slot, entry) in out
            .iter_mut()
            .zip(self.scan_cache.iter().skip(usize::from(index)))
        {
            let mut ssid = [0u8; 32];
            let bytes = entry.ssid.as_bytes();
            ssid.iter_mut().zip(bytes).for_each(|(d, s)| *d = *s);
            *slot = SlWlanNetworkEntry {
                ssid,
                bssid: entry.bssid.0,
                ssid_len: u8::try_from(bytes.len()).unwrap_or(32),
                rssi: entry.rssi,
                security_info: i16::from(match entry.auth {
                    AuthMode::Open => sec_type::OPEN,
                    AuthMode::Wep => sec_type::WEP,
                    _ => sec_type::WPA_WPA2,
                }),
                channel: entry.channel,
                reserved: [0],
            };
            filled += 1;
        }
        Ok(filled)
    }

    fn netapp_set(&mut self, app_id: u8, option: u8, value: &[u8]) -> Result<(), Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        if app_id == policy::NETAPP_DEVICE_ID && option == policy::NETAPP_DEVICE_URN {
            self.set_urn_internal(value)
        } else {
            Err(Cc32xxError::InvalidValue("netapp option"))
        }
    }

    fn netapp_start(&mut self, app_bitmap: u32) -> Result<(), Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        if app_bitmap & policy::NETAPP_HTTP_SERVER_ID != 0 {
            self.http_enabled = true;
            self.reload_manager();
        }
        Ok(())
    }

    fn netapp_stop(&mut self, app_bitmap: u32) -> Result<(), Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        if app_bitmap & policy::NETAPP_HTTP_SERVER_ID != 0 {
            self.http_enabled = false;
            self.reload_manager();
        }
        Ok(())
    }

    fn device_get_version(&mut self) -> Result<(), Cc32xxError> {
        self.gate(TiHostCall::Other)
    }

    fn poll_event(&mut self) -> Option<NwpEvent> {
        self.events.pop_front()
    }
}

impl NwpSockets for EmulatedNwp {
    fn tcp_listen(&mut self, port: u16) -> Result<i16, Cc32xxError> {
        self.gate(TiHostCall::Other)?;
        self.sockets.tcp_listen(port)
    }
    fn accept(&mut self, listener: i16) -> Result<i16, Cc32xxError> {
        self.sockets.accept(listener)
    }
    fn recv(&mut self, sd: i16, buf: &mut [u8]) -> Result<usize, Cc32xxError> {
        self.sockets.recv(sd, buf)
    }
    fn send(&mut self, sd: i16, data: &[u8]) -> Result<usize, Cc32xxError> {
        self.sockets.send(sd, data)
    }
    fn close(&mut self, sd: i16) -> Result<(), Cc32xxError> {
        self.sockets.close(sd)
    }
}
