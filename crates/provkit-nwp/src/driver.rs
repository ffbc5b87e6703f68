//! The driver seam: every SimpleLink call a host makes, as a Rust trait, so the same adapter
//! logic (`provkit-cc32xx`) runs over TI's C host driver on the chip (its `ffi` module,
//! feature `simplelink-sdk`) and over an emulated NWP on a host (`provkit-sim`'s `nwp`
//! module, which implements these traits on the TI personality).
//!
//! Events: the C driver delivers events through callbacks; implementations queue them as
//! [`NwpEvent`] values (the fields of the SDK structures, decoded) and hand them out through
//! [`NwpDriver::poll_event`].

use heapless::Vec as HVec;
use provkit_hal::{Bssid, LinkEvent, Ssid};
use provkit_manager::{ResetCaller, Role, TiEvent, TiStatus, TiWlanStatus};

use crate::consts::{device_event, role, status, wlan_status};
use crate::error::Cc32xxError;
use crate::sys::SlWlanNetworkEntry;

/// A 32-byte SSID / token field of an event.
pub type Field32 = HVec<u8, 32>;

/// An asynchronous NWP event, with the fields of the SDK structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NwpEvent {
    /// `SL_WLAN_EVENT_PROVISIONING_STATUS` (`SlWlanEventProvisioningStatus_t`).
    ProvisioningStatus {
        /// 0–17.
        status: u8,
        /// Role (valid with STOPPED).
        role: u8,
        /// WLAN status (valid with STOPPED and role STA).
        wlan_status: u8,
        /// SSID when connected.
        ssid: Field32,
    },
    /// `SL_WLAN_EVENT_PROVISIONING_PROFILE_ADDED`.
    ProfileAdded {
        /// Status field.
        status: u32,
        /// SSID of the profile.
        ssid: Field32,
        /// Private token (`Reserved`).
        token: Field32,
    },
    /// `SL_DEVICE_EVENT_RESET_REQUEST`.
    ResetRequest {
        /// Status field.
        status: i16,
        /// `SL_DEVICE_RESET_REQUEST_CALLER_*`.
        caller: u16,
    },
    /// `SL_WLAN_EVENT_CONNECT` (suppressed by the NWP while provisioning).
    WlanConnected {
        /// SSID.
        ssid: Field32,
        /// BSSID.
        bssid: [u8; 6],
    },
    /// `SL_WLAN_EVENT_DISCONNECT`.
    WlanDisconnected {
        /// SSID.
        ssid: Field32,
        /// `SL_WLAN_DISCONNECT_*` reason code.
        reason_code: u16,
    },
    /// `SL_NETAPP_EVENT_IPV4_ACQUIRED`.
    IpAcquired {
        /// The station address.
        ip: [u8; 4],
    },
}

/// A stored profile as `sl_WlanProfileGet` reports it (the key never leaves the NWP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileInfo {
    /// SSID.
    pub ssid: Field32,
    /// BSSID, if the profile is bound to one.
    pub bssid: Option<[u8; 6]>,
    /// `SL_WLAN_SEC_TYPE_*`.
    pub sec_type: u8,
    /// 0 (lowest) … 15.
    pub priority: u8,
}

/// The SimpleLink host-driver calls the adapter needs. Every `Err` carries the driver's
/// negative return code as [`Cc32xxError::Driver`].
pub trait NwpDriver {
    /// `sl_Start`: boot the NWP; returns the role it started in (`ROLE_*`).
    fn start(&mut self) -> Result<u8, Cc32xxError>;
    /// `sl_Stop(timeout_ms)`.
    fn stop(&mut self, timeout_ms: u16) -> Result<(), Cc32xxError>;
    /// `sl_WlanProvisioning`.
    fn wlan_provisioning(
        &mut self,
        cmd: u8,
        role_after_success: u8,
        inactivity_timeout_s: u16,
        smart_config_key: Option<&[u8; 16]>,
        flags: u32,
    ) -> Result<(), Cc32xxError>;
    /// `sl_WlanProfileAdd`; returns the stored index.
    fn wlan_profile_add(
        &mut self,
        ssid: &[u8],
        bssid: Option<&[u8; 6]>,
        sec_type: u8,
        key: &[u8],
        priority: u8,
    ) -> Result<u8, Cc32xxError>;
    /// `sl_WlanProfileGet`.
    fn wlan_profile_get(&mut self, index: u8) -> Result<ProfileInfo, Cc32xxError>;
    /// `sl_WlanProfileDel` (255 = all).
    fn wlan_profile_del(&mut self, index: u8) -> Result<(), Cc32xxError>;
    /// `sl_WlanConnect`.
    fn wlan_connect(
        &mut self,
        ssid: &[u8],
        bssid: Option<&[u8; 6]>,
        sec_type: u8,
        key: &[u8],
    ) -> Result<(), Cc32xxError>;
    /// `sl_WlanDisconnect`.
    fn wlan_disconnect(&mut self) -> Result<(), Cc32xxError>;
    /// `sl_WlanPolicySet(type, policy, NULL, 0)`.
    fn wlan_policy_set(&mut self, policy_type: u8, policy: u8) -> Result<(), Cc32xxError>;
    /// `sl_WlanSetMode`: persistent, effective after `sl_Stop` + `sl_Start`.
    fn wlan_set_mode(&mut self, role: u8) -> Result<(), Cc32xxError>;
    /// `sl_WlanGetNetworkList(index, out.len())`; returns how many entries were filled.
    fn wlan_get_network_list(
        &mut self,
        index: u8,
        out: &mut [SlWlanNetworkEntry],
    ) -> Result<usize, Cc32xxError>;
    /// `sl_NetAppSet`.
    fn netapp_set(&mut self, app_id: u8, option: u8, value: &[u8]) -> Result<(), Cc32xxError>;
    /// `sl_NetAppStart`.
    fn netapp_start(&mut self, app_bitmap: u32) -> Result<(), Cc32xxError>;
    /// `sl_NetAppStop`.
    fn netapp_stop(&mut self, app_bitmap: u32) -> Result<(), Cc32xxError>;
    /// `sl_DeviceGet(GENERAL, VERSION)`: the harmless probe TI's examples use to detect a
    /// running provisioning (−2014).
    fn device_get_version(&mut self) -> Result<(), Cc32xxError>;
    /// The next queued asynchronous event.
    fn poll_event(&mut self) -> Option<NwpEvent>;
}

/// Non-blocking TCP sockets of the NWP (`sl_Socket` … `sl_Close`), for protocomm mode.
pub trait NwpSockets {
    /// Open a listening TCP socket on `port`.
    fn tcp_listen(&mut self, port: u16) -> Result<i16, Cc32xxError>;
    /// Accept one pending connection; `Err(WouldBlock)` when none waits.
    fn accept(&mut self, listener: i16) -> Result<i16, Cc32xxError>;
    /// Receive into `buf`; `Ok(0)` = peer closed; `Err(WouldBlock)` = nothing yet.
    fn recv(&mut self, sd: i16, buf: &mut [u8]) -> Result<usize, Cc32xxError>;
    /// Send from `data`; returns the bytes taken.
    fn send(&mut self, sd: i16, data: &[u8]) -> Result<usize, Cc32xxError>;
    /// Close the socket.
    fn close(&mut self, sd: i16) -> Result<(), Cc32xxError>;
}

/// Copies at most 32 bytes (longer input is cut: the SDK fields are 32 bytes).
pub fn field32(bytes: &[u8]) -> Field32 {
    let take = bytes.len().min(32);
    let mut out = Field32::new();
    // Cannot fail: at most 32 bytes into a 32-byte vector.
    let _ = out.extend_from_slice(bytes.get(..take).unwrap_or_default());
    out
}

/// `SlWlanMode_e` value → manager role (P2P and reserved are not provisioning roles).
pub fn role_from_code(code: u8) -> Result<Role, Cc32xxError> {
    match code {
        role::ROLE_STA => Ok(Role::Sta),
        role::ROLE_AP => Ok(Role::Ap),
        _ => Err(Cc32xxError::InvalidValue("role")),
    }
}

/// Provisioning status code → manager status.
pub fn ti_status_from_code(code: u8) -> Result<TiStatus, Cc32xxError> {
    use TiStatus::*;
    const ALL: [TiStatus; 18] = [
        GeneralError,
        FailNetworkNotFound,
        FailConnectionFailed,
        FailIpNotAcquired,
        SuccessFeedbackFailed,
        Success,
        ErrorAbort,
        ErrorAbortInvalidParam,
        ErrorAbortHttpServerDisabled,
        ErrorAbortProfileListFull,
        ErrorAbortAlreadyStarted,
        AutoStarted,
        Stopped,
        SmartConfigSynced,
        SmartConfigSyncTimeout,
        ConfirmationWlanConnect,
        ConfirmationIpAcquired,
        ExternalConfigurationReady,
    ];
    ALL.get(usize::from(code))
        .copied()
        .ok_or(Cc32xxError::InvalidValue("provisioning status"))
}

fn wlan_status_code(s: TiWlanStatus) -> u8 {
    match s {
        TiWlanStatus::Disconnected => wlan_status::DISCONNECTED,
        TiWlanStatus::Scanning => wlan_status::SCANING,
        TiWlanStatus::Connecting => wlan_status::CONNECTING,
        TiWlanStatus::Connected => wlan_status::CONNECTED,
    }
}

fn wlan_status_from_code(code: u8) -> Result<TiWlanStatus, Cc32xxError> {
    match code {
        wlan_status::DISCONNECTED => Ok(TiWlanStatus::Disconnected),
        wlan_status::SCANING => Ok(TiWlanStatus::Scanning),
        wlan_status::CONNECTING => Ok(TiWlanStatus::Connecting),
        wlan_status::CONNECTED => Ok(TiWlanStatus::Connected),
        _ => Err(Cc32xxError::InvalidValue("wlan status")),
    }
}

impl NwpEvent {
    /// Encode a manager TI event the way the NWP delivers it (used by emulated NWPs).
    pub fn from_ti_event(event: &TiEvent) -> Self {
        match event {
            TiEvent::ProvisioningStatus {
                status,
                role,
                wlan_status,
                ssid,
            } => Self::ProvisioningStatus {
                status: *status as u8,
                role: role.code(),
                wlan_status: wlan_status_code(*wlan_status),
                ssid: ssid
                    .as_ref()
                    .map(|s| field32(s.as_bytes()))
                    .unwrap_or_default(),
            },
            TiEvent::ProfileAdded { ssid, token } => Self::ProfileAdded {
                status: 0,
                ssid: field32(ssid.as_bytes()),
                token: field32(token),
            },
            TiEvent::ResetRequest { caller } => Self::ResetRequest {
                status: 0,
                caller: match caller {
                    ResetCaller::Provisioning => device_event::RESET_REQUEST_CALLER_PROVISIONING,
                    ResetCaller::ProvisioningExternalConfiguration => {
                        device_event::RESET_REQUEST_CALLER_PROVISIONING_EXTERNAL_CONFIGURATION
                    }
                },
            },
        }
    }

    /// The manager event this NWP event is (`None` for plain link/NetApp events).
    /// Fields the SDK marks as "valid only with STOPPED" are decoded leniently: an unknown
    /// role or WLAN status in another event does not reject the event.
    pub fn to_ti_event(&self) -> Result<Option<TiEvent>, Cc32xxError> {
        Ok(Some(match self {
            Self::ProvisioningStatus {
                status: code,
                role: role_code,
                wlan_status,
                ssid,
            } => {
                let status = ti_status_from_code(*code)?;
                let stopped = *code == status::STOPPED;
                let role = match role_from_code(*role_code) {
                    Ok(r) => r,
                    Err(e) if stopped => return Err(e),
                    Err(_) => Role::Sta,
                };
                let wlan_status = match wlan_status_from_code(*wlan_status) {
                    Ok(w) => w,
                    Err(e) if stopped => return Err(e),
                    Err(_) => TiWlanStatus::Disconnected,
                };
                let ssid = if ssid.is_empty() {
                    None
                } else {
                    Some(Ssid::new(ssid).map_err(|_| Cc32xxError::InvalidValue("ssid"))?)
                };
                TiEvent::ProvisioningStatus {
                    status,
                    role,
                    wlan_status,
                    ssid,
                }
            }
            Self::ProfileAdded { ssid, token, .. } => TiEvent::ProfileAdded {
                ssid: Ssid::new(ssid).map_err(|_| Cc32xxError::InvalidValue("ssid"))?,
                token: token.iter().copied().collect(),
            },
            Self::ResetRequest { caller, .. } => TiEvent::ResetRequest {
                caller: match *caller {
                    device_event::RESET_REQUEST_CALLER_PROVISIONING => ResetCaller::Provisioning,
                    device_event::RESET_REQUEST_CALLER_PROVISIONING_EXTERNAL_CONFIGURATION => {
                        ResetCaller::ProvisioningExternalConfiguration
                    }
                    _ => return Err(Cc32xxError::InvalidValue("reset caller")),
                },
            },
            _ => return Ok(None),
        }))
    }

    /// The hal link event this NWP event is (`None` for provisioning events).
    pub fn to_link_event(&self) -> Option<LinkEvent> {
        match self {
            Self::WlanConnected { bssid, .. } => Some(LinkEvent::Connected {
                bssid: Bssid(*bssid),
                channel: 0,
                auth: provkit_hal::AuthMode::Other(0),
            }),
            Self::WlanDisconnected { reason_code, .. } => Some(LinkEvent::Disconnected {
                reason: provkit_hal::DisconnectReason::Other(*reason_code),
            }),
            Self::IpAcquired { ip } => Some(LinkEvent::GotIp { ip: *ip }),
            _ => None,
        }
    }
}
