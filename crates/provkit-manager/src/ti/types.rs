//! The TI personality's vocabulary: modes, status codes 0–17, events, `sl_WlanProvisioning`
//! commands and the host-call classes of the −2014 gate (ti-simplelink.md §2, §3, §7).

use alloc::vec::Vec;

use provkit_hal::Ssid;

use crate::error::{ManagerError, TiErrorCode};
use crate::types::{FailReason, Role};

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

    /// True if a SmartConfig receiver runs in this mode.
    pub const fn uses_smartconfig(self) -> bool {
        !matches!(self, Self::Ap)
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

impl TiStatus {
    /// The confirmation status (§7.2) the NWP reports for a failed attempt.
    pub const fn of_failure(reason: FailReason) -> Self {
        match reason {
            FailReason::NetworkNotFound => Self::FailNetworkNotFound,
            FailReason::NoIp => Self::FailIpNotAcquired,
            FailReason::FeedbackFailed => Self::SuccessFeedbackFailed,
            FailReason::AuthFailed
            | FailReason::Timeout
            | FailReason::ConnectionLost
            | FailReason::Other(_) => Self::FailConnectionFailed,
        }
    }
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
    /// ([`crate::TiManager::nwp_restarted`]).
    ResetRequest {
        /// Who asked.
        caller: ResetCaller,
    },
}

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

/// Host API classes for [`crate::TiManager::host_call`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TiHostCall {
    /// `sl_Stop`: always allowed.
    DeviceStop,
    /// Scan policy / scan configuration (−2052 while provisioning).
    ScanConfig,
    /// Any other host API (−2014 while provisioning).
    Other,
}
