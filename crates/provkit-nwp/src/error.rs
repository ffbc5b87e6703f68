//! The one error type of the driver seam (and of the adapters above it).

use core::fmt;

/// Everything a SimpleLink driver, emulated or real, and the CC32xx adapter can report.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cc32xxError {
    /// A SimpleLink call returned this negative code (see [`crate::consts::error`]).
    Driver(i16),
    /// A value from the NWP or the caller is outside what the host driver defines.
    InvalidValue(&'static str),
    /// The socket layer would block; try again on the next poll.
    WouldBlock,
    /// No free connection slot / buffer space in protocomm mode.
    NoResources,
}

impl Cc32xxError {
    /// The SimpleLink code to hand back to C callers (`-2014` etc.); non-driver errors map to
    /// the general provisioning error.
    pub const fn code(&self) -> i16 {
        match self {
            Self::Driver(code) => *code,
            _ => crate::consts::error::ERROR_WLAN_PROVISIONING_ABORT_GENERAL_ERROR,
        }
    }

    /// True for −2014, the "provisioning in progress" gate of TI §7.5.
    pub const fn is_provisioning_in_progress(&self) -> bool {
        matches!(
            self,
            Self::Driver(crate::consts::error::RET_CODE_PROVISIONING_IN_PROGRESS)
        )
    }
}

impl fmt::Display for Cc32xxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Driver(code) => write!(f, "SimpleLink call failed with {code}"),
            Self::InvalidValue(what) => write!(f, "invalid value: {what}"),
            Self::WouldBlock => f.write_str("socket would block"),
            Self::NoResources => f.write_str("no free connection slot"),
        }
    }
}

impl core::error::Error for Cc32xxError {}
