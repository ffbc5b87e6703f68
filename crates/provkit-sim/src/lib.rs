//! `provkit-sim`: the host adapter of the provkit stack — a provisioning device on any computer.
//!
//! Place in the stack: beside the chip adapters (esp32, cc32xx), below the `provkit` CLI. It
//! supplies what firmware would: a Wi-Fi station ([`station::SimStation`], driven by a TOML
//! radio environment, [`env::RadioEnv`]), persistent storage ([`store::FileStore`], crash-safe
//! files), and real transports (an HTTP/1.1 server on provkit-http, [`http`], and the stdin/stdout
//! console, [`console`]). The protocol logic (protocomm, security, manager) stays in the
//! sans-I/O crates; this crate only feeds them bytes and time.

pub mod ble;
pub mod console;
pub mod device;
pub mod dns;
pub mod env;
pub mod http;
pub mod mdns;
pub mod nwp;
pub mod station;
pub mod store;

pub use provkit_ble;
pub use provkit_hal;
pub use provkit_manager;
pub use provkit_nwp;
pub use provkit_portal;
pub use provkit_protocomm;
pub use provkit_security;

/// Everything that can go wrong in the simulator's adapters.
#[derive(Debug)]
#[non_exhaustive]
pub enum SimError {
    /// The radio environment text is invalid (the error names the line).
    Env(env::EnvError),
    /// The radio environment file is invalid.
    EnvFile { path: String, error: env::EnvError },
    /// An operating-system I/O failure, with what was being done.
    Io {
        context: String,
        source: std::io::Error,
    },
    /// The credential file exists but cannot be trusted.
    CorruptStore { path: String, why: String },
    /// More profiles than the store holds.
    TooManyProfiles(usize),
    /// The provisioning manager refused to build or start the device.
    Manager(String),
}

impl core::fmt::Display for SimError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SimError::Env(e) => write!(f, "invalid radio environment: {e}"),
            SimError::EnvFile { path, error } => {
                write!(f, "invalid radio environment file {path}, {error}")
            }
            SimError::Io { context, source } => write!(f, "{context}: {source}"),
            SimError::CorruptStore { path, why } => {
                write!(f, "credential file {path} is corrupt: {why}")
            }
            SimError::Manager(why) => write!(f, "cannot start the provisioning manager: {why}"),
            SimError::TooManyProfiles(n) => write!(
                f,
                "{n} profiles do not fit; the store holds {}",
                store::MAX_PROFILES
            ),
        }
    }
}

impl std::error::Error for SimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SimError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl provkit_hal::Error for SimError {
    fn kind(&self) -> provkit_hal::ErrorKind {
        match self {
            SimError::TooManyProfiles(_) => provkit_hal::ErrorKind::TooManyProfiles,
            SimError::CorruptStore { .. } => provkit_hal::ErrorKind::Corrupt,
            SimError::Io { .. } => provkit_hal::ErrorKind::Storage,
            _ => provkit_hal::ErrorKind::Other,
        }
    }
}
