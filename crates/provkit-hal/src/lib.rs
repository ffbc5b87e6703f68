#![doc = include_str!("../README.md")]
//!
//! ## Design: the seam between provisioning logic and a chip
//!
//! The bottom of the provkit stack on the device side. `provkit-wifi` and `provkit-manager`
//! speak only in these types and traits; chip adapters (`provkit-esp32`, `provkit-cc32xx`,
//! the host simulator `provkit-sim`) implement the traits and depend on nothing above.
//!
//! ```text
//!  provkit-manager / provkit-wifi      (sans-I/O: decide what to do)
//!          │  Credentials, ScanConfig, Profile ...        ▲ LinkEvent, ScanEntry
//!          ▼                                              │
//!  WifiStation · CredentialStore · Clock · Rng            (this crate: traits + data)
//!          ▼
//!  adapter: esp-radio / SimpleLink / simulator            (does the I/O)
//! ```
//!
//! Style follows embedded-hal 1.0: every fallible trait has an associated `Error` through
//! [`ErrorType`], and every such error can be classified with [`Error::kind`] into the one
//! `#[non_exhaustive]` [`ErrorKind`] of this crate, so the manager can react (retry, report
//! a status code) without knowing the adapter. [`ErrorKind`] also reports invalid values from
//! the validating constructors ([`Ssid::new`], [`Passphrase::new`], [`Bssid::from_slice`]) and
//! implements [`Error`] itself, so simple adapters can use it directly as their error type.
//!
//! Blocking traits live at the crate root; async flavours of the station, the store and the
//! timer are in [`asynch`]. [`Clock`] and [`Timer`] are infallible (a clock that can fail is
//! not one a timer can use). In-memory implementations for tests are in `mock` (feature
//! `mock`).
//!
//! ## Timing contract
//!
//! The manager never sleeps and never reads a clock: every entry point takes `now`, and
//! `Manager::next_deadline()` says when it next needs to run if nothing else happens. An
//! adapter's main loop is therefore
//!
//! ```text
//!  loop {
//!      feed station/transport events with clock.now();  drain actions;
//!      match manager.next_deadline() {
//!          Some(at) => timer.wait_until(at),   // or race it against the next event (async)
//!          None     => wait for the next event only,
//!      }
//!      manager.on_tick(timer.now());
//!  }
//! ```
//!
//! [`Timer`] (blocking) and [`asynch::Timer`] (async) are that wait. Both extend [`Clock`] so
//! the deadline and `now` come from one time base: a deadline computed from one clock and
//! slept on with another would drift. A deadline in the past returns at once.
//!
//! ## Secrets
//!
//! [`Passphrase`] hides its bytes from `Debug` and wipes them on drop; [`zeroize`] is
//! re-exported so callers can wipe their own buffers with the same primitive.
//!
//! `no_std` without `alloc`: every collection is a bounded `heapless` one.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod asynch;
#[cfg(feature = "mock")]
pub mod mock;
mod types;

pub use heapless;
pub use types::*;
pub use zeroize;

/// What went wrong, independent of the adapter. The single error enum of this crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// SSID longer than [`MAX_SSID_LEN`].
    InvalidSsid,
    /// Passphrase too long, or (for [`Passphrase::new`]) breaking the WPA rules.
    InvalidPassphrase,
    /// BSSID not exactly 6 bytes.
    InvalidBssid,
    /// More than [`MAX_PROFILES`] profiles given to [`CredentialStore::commit`].
    TooManyProfiles,
    /// The radio is busy (e.g. a scan is running and the driver cannot start another).
    Busy,
    /// The radio or driver has not been started.
    NotStarted,
    /// The operation timed out.
    Timeout,
    /// The credential storage failed to read or write (flash error).
    Storage,
    /// Stored data did not parse; the store should be treated as empty.
    Corrupt,
    /// Anything else.
    Other,
}

impl core::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = match self {
            Self::InvalidSsid => "SSID longer than 32 bytes",
            Self::InvalidPassphrase => "invalid passphrase",
            Self::InvalidBssid => "BSSID is not 6 bytes",
            Self::TooManyProfiles => "more than 7 profiles",
            Self::Busy => "radio busy",
            Self::NotStarted => "radio not started",
            Self::Timeout => "timed out",
            Self::Storage => "credential storage failed",
            Self::Corrupt => "stored credentials are corrupt",
            Self::Other => "hardware error",
        };
        f.write_str(text)
    }
}

impl core::error::Error for ErrorKind {}

/// An adapter's error, classifiable into an [`ErrorKind`].
pub trait Error: core::fmt::Debug {
    /// The generic kind of this error.
    fn kind(&self) -> ErrorKind;
}

impl Error for ErrorKind {
    fn kind(&self) -> ErrorKind {
        *self
    }
}

/// Names the error type of a HAL trait implementation.
pub trait ErrorType {
    /// The adapter's error.
    type Error: Error;
}

impl<T: ErrorType + ?Sized> ErrorType for &mut T {
    type Error = T::Error;
}

/// A Wi-Fi station (client) interface. Blocking, non-waiting: every call returns promptly and
/// progress is reported through [`WifiStation::poll_event`].
pub trait WifiStation: ErrorType {
    /// Starts a scan. Completion is signalled by [`LinkEvent::ScanDone`] and by
    /// [`WifiStation::scan_results`] returning `Some`.
    fn start_scan(&mut self, config: &ScanConfig) -> Result<(), Self::Error>;

    /// Copies the results of the last finished scan into `out` (strongest first when the
    /// driver sorts; callers must not rely on it) and returns how many were written, or
    /// `Ok(None)` while a scan is still running.
    fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, Self::Error>;

    /// Starts connecting; the outcome arrives as [`LinkEvent`]s.
    fn connect(&mut self, credentials: &Credentials) -> Result<(), Self::Error>;

    /// Drops the link (or the attempt). Idempotent.
    fn disconnect(&mut self) -> Result<(), Self::Error>;

    /// The next pending event, if any.
    fn poll_event(&mut self) -> Option<LinkEvent>;
}

impl<T: WifiStation + ?Sized> WifiStation for &mut T {
    fn start_scan(&mut self, config: &ScanConfig) -> Result<(), Self::Error> {
        T::start_scan(self, config)
    }
    fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, Self::Error> {
        T::scan_results(self, out)
    }
    fn connect(&mut self, credentials: &Credentials) -> Result<(), Self::Error> {
        T::connect(self, credentials)
    }
    fn disconnect(&mut self) -> Result<(), Self::Error> {
        T::disconnect(self)
    }
    fn poll_event(&mut self) -> Option<LinkEvent> {
        T::poll_event(self)
    }
}

/// Non-volatile storage for up to [`MAX_PROFILES`] profiles.
pub trait CredentialStore: ErrorType {
    /// The stored profiles (empty when nothing is provisioned).
    fn load(&mut self) -> Result<ProfileList, Self::Error>;

    /// Replaces the stored list with `profiles`, atomically: after an error the previous list
    /// is still what [`CredentialStore::load`] returns. More than [`MAX_PROFILES`] is an error
    /// of kind [`ErrorKind::TooManyProfiles`] and stores nothing.
    fn commit(&mut self, profiles: &[Profile]) -> Result<(), Self::Error>;

    /// Forgets every profile.
    fn clear(&mut self) -> Result<(), Self::Error>;
}

impl<T: CredentialStore + ?Sized> CredentialStore for &mut T {
    fn load(&mut self) -> Result<ProfileList, Self::Error> {
        T::load(self)
    }
    fn commit(&mut self, profiles: &[Profile]) -> Result<(), Self::Error> {
        T::commit(self, profiles)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        T::clear(self)
    }
}

/// A monotonic millisecond clock.
pub trait Clock {
    /// Now. Never goes backwards.
    fn now(&self) -> Instant;
}

impl<T: Clock + ?Sized> Clock for &T {
    fn now(&self) -> Instant {
        T::now(self)
    }
}

impl<T: Clock + ?Sized> Clock for &mut T {
    fn now(&self) -> Instant {
        T::now(self)
    }
}

/// Blocks the caller until an [`Instant`] of its own [`Clock`] has been reached (a hardware
/// alarm, a busy-wait on a tick counter, `std::thread::sleep` on a host).
///
/// This is how an adapter honours `Manager::next_deadline()` (see the crate docs, *Timing
/// contract*). Waiting may end late (interrupt latency, a coarse tick) but never early:
/// after `wait_until(at)` returns, `self.now() >= at`.
pub trait Timer: Clock {
    /// Returns once `self.now() >= deadline`; at once if it already is.
    fn wait_until(&mut self, deadline: Instant);

    /// Waits for `duration` from now (saturating at the end of time).
    fn wait(&mut self, duration: Duration) {
        let deadline = self.now() + duration;
        self.wait_until(deadline);
    }
}

impl<T: Timer + ?Sized> Timer for &mut T {
    fn wait_until(&mut self, deadline: Instant) {
        T::wait_until(self, deadline);
    }
    fn wait(&mut self, duration: Duration) {
        T::wait(self, duration);
    }
}

/// A source of cryptographically secure random bytes (a chip's TRNG). The security layer
/// takes `rand_core` RNGs; an adapter wraps this to provide one.
pub trait Rng: ErrorType {
    /// Fills `dest` entirely, or fails without a partial guarantee.
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Self::Error>;
}

impl<T: Rng + ?Sized> Rng for &mut T {
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Self::Error> {
        T::fill_bytes(self, dest)
    }
}
