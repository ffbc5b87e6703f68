//! The crate's one error type, for the core and both personalities. TI's SimpleLink codes are
//! a value of it ([`ManagerError::Ti`]) so a CC32xx adapter can hand the exact number back.

use core::fmt;

use crate::types::ProvState;

/// TI SimpleLink return codes of `sl_WlanProvisioning` and of host calls blocked while the
/// NWP provisions (TI spec §8). Carried inside [`ManagerError::Ti`] so a CC32xx adapter can
/// hand the exact negative number back to C callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TiErrorCode {
    /// −2014: any host command other than provisioning/stop while provisioning runs.
    ProvisioningInProgress,
    /// −2052: scan configuration while provisioning.
    CannotConfigScanDuringProvisioning,
    /// −2169: start while already provisioning.
    AlreadyStarted,
    /// −2170: AP provisioning needs the HTTP server.
    HttpServerDisabled,
    /// −2171: the profile list already holds the maximum of 7 profiles.
    ProfileListFull,
    /// −2172: a bad parameter (e.g. inactivity timeout below 30 s).
    InvalidParam,
    /// −2173: unknown failure.
    GeneralError,
    /// −2177: STOP / ABORT_EXTERNAL_CONFIRMATION when not applicable.
    CmdNotExpected,
}

impl TiErrorCode {
    /// The SimpleLink numeric code (`errors.h`).
    pub const fn code(self) -> i16 {
        match self {
            Self::ProvisioningInProgress => -2014,
            Self::CannotConfigScanDuringProvisioning => -2052,
            Self::AlreadyStarted => -2169,
            Self::HttpServerDisabled => -2170,
            Self::ProfileListFull => -2171,
            Self::InvalidParam => -2172,
            Self::GeneralError => -2173,
            Self::CmdNotExpected => -2177,
        }
    }
}

/// Everything the manager can refuse. A call in the wrong state is a value, never a panic.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManagerError {
    /// The manager was deinitialised (`EspManager::deinit`); only a new one can be used.
    NotInitialized,
    /// The operation is not allowed in the current provisioning state.
    WrongState {
        /// State at the time of the call.
        state: ProvState,
        /// Which API was called (for logs).
        operation: &'static str,
    },
    /// `reset_sm_state_for_reprovision` needs `disable_auto_stop` first (ESP rule).
    AutoStopEnabled,
    /// ApplyConfig without a preceding SetConfig.
    NoPendingConfig,
    /// A custom endpoint of that name already exists.
    EndpointExists,
    /// No custom endpoint of that name.
    UnknownEndpoint,
    /// A parameter is out of range (e.g. auto-stop outside 5–600 s).
    InvalidArgument,
    /// More than the supported number of stored profiles.
    TooManyProfiles,
    /// A TI SimpleLink error code.
    Ti(TiErrorCode),
    /// The protocomm layer refused a request or an endpoint (Device only); no response is
    /// sent.
    Protocomm(provkit_protocomm::ProtocommError),
}

impl fmt::Display for ManagerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInitialized => f.write_str("provisioning manager not initialised"),
            Self::WrongState { state, operation } => {
                write!(f, "{operation} not allowed in state {state:?}")
            }
            Self::AutoStopEnabled => f.write_str("auto-stop must be disabled first"),
            Self::NoPendingConfig => f.write_str("no pending Wi-Fi configuration"),
            Self::EndpointExists => f.write_str("endpoint already exists"),
            Self::UnknownEndpoint => f.write_str("unknown endpoint"),
            Self::InvalidArgument => f.write_str("invalid argument"),
            Self::TooManyProfiles => f.write_str("too many profiles"),
            Self::Ti(code) => write!(f, "SimpleLink error {}", code.code()),
            Self::Protocomm(e) => write!(f, "protocomm: {e:?}"),
        }
    }
}

impl core::error::Error for ManagerError {}
