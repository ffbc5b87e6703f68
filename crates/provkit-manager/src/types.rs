//! Plain data the core takes in and hands out, the same for both personalities: states,
//! actions, reasons, what GetStatus reports. Each personality's own vocabulary (its events,
//! its commands, its status codes) lives in its module ([`crate::esp`], [`crate::ti`]).

use alloc::vec::Vec;

use provkit_hal::{AuthMode, Bssid, Credentials, DisconnectReason, Profile, ScanConfig, Ssid};

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

    /// The rich reason of a station disconnect.
    pub const fn from_disconnect(reason: &DisconnectReason) -> Self {
        match reason {
            DisconnectReason::AuthFailed => Self::AuthFailed,
            DisconnectReason::NetworkNotFound => Self::NetworkNotFound,
            DisconnectReason::NoIp => Self::NoIp,
            DisconnectReason::Timeout => Self::Timeout,
            DisconnectReason::ConnectionLost => Self::ConnectionLost,
            DisconnectReason::Other(code) => Self::Other(*code),
            _ => Self::Other(0),
        }
    }
}

/// `WifiConnectFailedReason` of the prov-config wire (GetStatus), which every personality
/// serving protocomm answers.
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
        /// What the wire says.
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

/// The device's Wi-Fi role, numbered as TI's `SlWlanMode_e` (the one personality that
/// switches roles).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// 0: station.
    Sta,
    /// 2: access point.
    Ap,
}

impl Role {
    /// Numeric value (`ROLE_STA` 0, `ROLE_AP` 2).
    pub const fn code(self) -> u8 {
        match self {
            Self::Sta => 0,
            Self::Ap => 2,
        }
    }
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
    /// Switch the device role (only the TI personality asks for it).
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
