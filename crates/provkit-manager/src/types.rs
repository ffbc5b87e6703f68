//! Plain data the manager takes in and hands out: states, actions, events, reasons.

use alloc::vec::Vec;

use provkit_hal::{AuthMode, Bssid, Credentials, Profile, ScanConfig, Ssid};

/// Which product's semantics the manager follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Personality {
    /// ESP-IDF `wifi_prov_mgr` (esp-provisioning.md §6).
    Esp,
    /// TI SimpleLink CC32xx NWP provisioning (ti-simplelink.md).
    Ti,
}

/// The provisioning state, numbered like ESP-IDF's `wifi_prov_mgr_state_t` (§6.2).
/// TI's "configuration stage" is `Started`/`Fail`, its "confirmation stage" is `CredRecv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProvState {
    /// Not provisioning.
    Idle,
    /// Accepting credentials.
    Started,
    /// Credentials applied; a connection attempt (confirmation) runs.
    CredRecv,
    /// The last attempt failed; credentials are accepted again (no reset needed).
    Fail,
    /// Connected and confirmed; waiting for auto-stop / stop.
    Success,
    /// Stop requested; transports go down after the cleanup delay.
    Stopping,
}

impl ProvState {
    /// True from start until the transports are down.
    pub const fn is_running(self) -> bool {
        !matches!(self, Self::Idle)
    }
}

/// The rich reason behind a failed attempt. ESP's wire only knows two reasons (see
/// [`WireFailReason`]); applications get this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailReason {
    /// The access point rejected the key (wrong password, handshake timeout).
    AuthFailed,
    /// The SSID was not found in the scan.
    NetworkNotFound,
    /// Associated but no IP address within the confirmation timeout.
    NoIp,
    /// Connected with an IP but the phone never fetched the result (TI local feedback) or the
    /// host aborted the external confirmation.
    FeedbackFailed,
    /// Nothing happened within the confirmation timeout.
    Timeout,
    /// The link came up and went away again before confirmation.
    ConnectionLost,
    /// Any other disconnect; carries the driver's reason number when it has one.
    Other(u16),
}

impl FailReason {
    /// ESP §6.3 mapping; `None` for reasons ESP calls "other".
    pub const fn wire(self) -> Option<WireFailReason> {
        match self {
            Self::AuthFailed => Some(WireFailReason::AuthError),
            Self::NetworkNotFound => Some(WireFailReason::NetworkNotFound),
            _ => None,
        }
    }

    /// TI confirmation status (§7.2) for this failure.
    pub const fn ti_status(self) -> TiStatus {
        match self {
            Self::NetworkNotFound => TiStatus::FailNetworkNotFound,
            Self::NoIp => TiStatus::FailIpNotAcquired,
            Self::FeedbackFailed => TiStatus::SuccessFeedbackFailed,
            Self::AuthFailed | Self::Timeout | Self::ConnectionLost | Self::Other(_) => {
                TiStatus::FailConnectionFailed
            }
        }
    }
}

/// `WifiConnectFailedReason` of the ESP wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireFailReason {
    /// 0
    AuthError,
    /// 1
    NetworkNotFound,
}

/// Details of a confirmed connection (GetStatus `connected`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectedInfo {
    /// Station IPv4 address.
    pub ip: [u8; 4],
    /// SSID of the network.
    pub ssid: Ssid,
    /// BSSID of the access point.
    pub bssid: Bssid,
    /// Primary channel.
    pub channel: u8,
    /// Authentication mode of the AP.
    pub auth: AuthMode,
}

/// What GetStatus reports (ESP §6.5, with the rich reason kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaState {
    /// Initial value and while an attempt runs.
    Connecting,
    /// An attempt failed but retries remain (`attempt_failed`).
    AttemptFailed {
        /// `wifi_conn_attempts − completed`.
        attempts_remaining: u32,
    },
    /// Confirmed connection.
    Connected(ConnectedInfo),
    /// The last attempt failed for good.
    Failed {
        /// What the ESP wire says.
        wire: WireFailReason,
        /// What really happened.
        reason: FailReason,
    },
}

/// Name and key of the provisioning service (SoftAP SSID / BLE name; SoftAP password).
///
/// `Debug` shows the name (it is broadcast anyway) but only the key's length, so logging an
/// [`Action::StartTransports`] does not leak the SoftAP password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ServiceInfo {
    /// SoftAP SSID or BLE device name.
    pub name: Vec<u8>,
    /// SoftAP password (ignored by BLE); empty = open.
    pub key: Vec<u8>,
}

impl core::fmt::Debug for ServiceInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServiceInfo")
            .field("name", &format_args!("\"{}\"", self.name.escape_ascii()))
            .field("key", &format_args!("<redacted {} bytes>", self.key.len()))
            .finish()
    }
}

/// TI device role (`SlWlanMode_e`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// 0
    Sta,
    /// 2
    Ap,
}

impl Role {
    /// Numeric value used in the STOPPED event.
    pub const fn code(self) -> u8 {
        match self {
            Self::Sta => 0,
            Self::Ap => 2,
        }
    }
}

/// TI provisioning modes (`SL_WLAN_PROVISIONING_CMD_START_MODE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TiMode {
    /// 0: device AP + HTTP server.
    Ap,
    /// 1: SmartConfig receiver in STA role.
    Sc,
    /// 2: AP and SmartConfig together.
    ApSc,
    /// 3: AP + SC + a host-implemented external method.
    ApScExternal,
}

impl TiMode {
    /// Role the NWP takes while provisioning in this mode.
    pub const fn provisioning_role(self) -> Role {
        match self {
            Self::Sc => Role::Sta,
            Self::Ap | Self::ApSc | Self::ApScExternal => Role::Ap,
        }
    }

    /// True if the device's HTTP server serves the configuration.
    pub const fn uses_http(self) -> bool {
        !matches!(self, Self::Sc)
    }
}

/// `SL_WLAN_PROVISIONING_*` status values 0–17 (TI spec §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TiStatus {
    /// 0
    GeneralError = 0,
    /// 1
    FailNetworkNotFound = 1,
    /// 2
    FailConnectionFailed = 2,
    /// 3
    FailIpNotAcquired = 3,
    /// 4
    SuccessFeedbackFailed = 4,
    /// 5
    Success = 5,
    /// 6
    ErrorAbort = 6,
    /// 7
    ErrorAbortInvalidParam = 7,
    /// 8
    ErrorAbortHttpServerDisabled = 8,
    /// 9
    ErrorAbortProfileListFull = 9,
    /// 10
    ErrorAbortAlreadyStarted = 10,
    /// 11
    AutoStarted = 11,
    /// 12
    Stopped = 12,
    /// 13
    SmartConfigSynced = 13,
    /// 14
    SmartConfigSyncTimeout = 14,
    /// 15
    ConfirmationWlanConnect = 15,
    /// 16
    ConfirmationIpAcquired = 16,
    /// 17
    ExternalConfigurationReady = 17,
}

/// WLAN status reported with STOPPED (TI §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TiWlanStatus {
    /// 0
    Disconnected,
    /// 1
    Scanning,
    /// 2
    Connecting,
    /// 3
    Connected,
}

/// `SL_DEVICE_RESET_REQUEST_CALLER_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResetCaller {
    /// 0
    Provisioning,
    /// 1
    ProvisioningExternalConfiguration,
}

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

/// TI SimpleLink provisioning events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TiEvent {
    /// `SL_WLAN_EVENT_PROVISIONING_STATUS`.
    ProvisioningStatus {
        /// Status 0–17.
        status: TiStatus,
        /// Role after stop (valid with `Stopped`).
        role: Role,
        /// WLAN status (valid with `Stopped` and role STA).
        wlan_status: TiWlanStatus,
        /// SSID when connected.
        ssid: Option<Ssid>,
    },
    /// `SL_WLAN_EVENT_PROVISIONING_PROFILE_ADDED`.
    ProfileAdded {
        /// SSID of the new profile.
        ssid: Ssid,
        /// Optional private token (reserved field).
        token: Vec<u8>,
    },
    /// `SL_DEVICE_EVENT_RESET_REQUEST`: the host must restart the NWP
    /// ([`crate::Manager::ti_nwp_restarted`]).
    ResetRequest {
        /// Who asked.
        caller: ResetCaller,
    },
}

/// An event for the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// ESP personality event.
    Esp(EspEvent),
    /// TI personality event.
    Ti(TiEvent),
}

/// Work for the adapter (radio, store, transports). The manager never does I/O itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Bring up the provisioning transports (SoftAP/HTTP, BLE, console).
    StartTransports(ServiceInfo),
    /// Take them down.
    StopTransports,
    /// Connect the station with these credentials.
    Connect(Credentials),
    /// Disconnect the station.
    Disconnect,
    /// Start a scan; report with [`crate::Manager::on_scan_done`].
    StartScan(ScanConfig),
    /// Commit this complete profile list atomically (only confirmed credentials are in it).
    Persist(Vec<Profile>),
    /// Erase every stored profile (`reset_provisioning`).
    ClearStore,
    /// Switch the device role (TI).
    SwitchRole(Role),
}

#[cfg(test)]
mod tests {
    use alloc::format;

    use super::*;

    #[test]
    fn service_info_debug_hides_the_softap_key() {
        let info = ServiceInfo {
            name: b"PROV_1a2b3c".to_vec(),
            key: b"softap-secret-key".to_vec(),
        };
        for shown in [
            format!("{info:?}"),
            format!("{info:#?}"),
            format!("{:?}", Action::StartTransports(info.clone())),
        ] {
            assert!(!shown.contains("softap-secret-key"), "{shown}");
            assert!(shown.contains("PROV_1a2b3c"), "{shown}");
            assert!(shown.contains("<redacted 17 bytes>"), "{shown}");
        }
    }
}
