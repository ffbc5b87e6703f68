//! The one error type of this crate.

use provkit_hal::ErrorKind;

/// What failed in the ESP32 adapter. Classified into [`provkit_hal::ErrorKind`] so the
/// manager can react without knowing the chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Esp32Error {
    /// The flash driver reported an error (read, write or erase).
    Flash,
    /// The stored record did not decode (corrupted, or written by a newer format).
    CorruptRecord,
    /// The credential area is full even after sequential-storage's garbage collection.
    StorageFull,
    /// More profiles than [`provkit_hal::MAX_PROFILES`].
    TooManyProfiles,
    /// An SSID or passphrase esp-radio would not accept.
    InvalidCredentials,
    /// esp-radio refused the operation (not started, busy, or an internal driver error).
    Radio,
    /// A scan was requested while another was running.
    Busy,
}

impl core::fmt::Display for Esp32Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = match self {
            Self::Flash => "flash driver error",
            Self::CorruptRecord => "stored credentials are corrupt",
            Self::StorageFull => "credential storage full",
            Self::TooManyProfiles => "too many profiles",
            Self::InvalidCredentials => "SSID or passphrase rejected by the radio",
            Self::Radio => "radio driver error",
            Self::Busy => "radio busy",
        };
        f.write_str(text)
    }
}

impl core::error::Error for Esp32Error {}

impl provkit_hal::Error for Esp32Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Flash | Self::StorageFull => ErrorKind::Storage,
            Self::CorruptRecord => ErrorKind::Corrupt,
            Self::TooManyProfiles => ErrorKind::TooManyProfiles,
            Self::InvalidCredentials => ErrorKind::InvalidPassphrase,
            Self::Radio => ErrorKind::Other,
            Self::Busy => ErrorKind::Busy,
        }
    }
}
