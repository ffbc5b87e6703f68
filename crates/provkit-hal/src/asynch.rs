//! Async flavours of the traits where waiting is the natural interface (embassy adapters).
//!
//! Same data types and error classification as the blocking traits. The station waits for
//! events instead of being polled; the store's flash writes may yield; [`Timer`] yields until
//! a deadline. [`crate::Clock`] and [`crate::Rng`] have no async flavour: reading them never
//! waits.
//!
//! Native `async fn` in traits: callers are single-executor firmware, so the missing `Send`
//! bound on the returned futures is deliberate (the same choice as embedded-hal-async).

#![allow(async_fn_in_trait)]

use crate::{
    Clock, Credentials, Duration, ErrorType, Instant, LinkEvent, Profile, ProfileList, ScanConfig,
    ScanEntry,
};

/// Async Wi-Fi station. See [`crate::WifiStation`] for the meaning of each call.
pub trait WifiStation: ErrorType {
    /// Starts a scan; completion arrives as [`LinkEvent::ScanDone`].
    async fn start_scan(&mut self, config: &ScanConfig) -> Result<(), Self::Error>;

    /// Results of the last finished scan, `Ok(None)` while one is running.
    async fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, Self::Error>;

    /// Starts connecting; the outcome arrives as events.
    async fn connect(&mut self, credentials: &Credentials) -> Result<(), Self::Error>;

    /// Drops the link. Idempotent.
    async fn disconnect(&mut self) -> Result<(), Self::Error>;

    /// Waits for the next event.
    async fn next_event(&mut self) -> LinkEvent;
}

/// Async credential store. See [`crate::CredentialStore`] (same atomicity rule).
pub trait CredentialStore: ErrorType {
    /// The stored profiles.
    async fn load(&mut self) -> Result<ProfileList, Self::Error>;

    /// Replaces the stored list atomically.
    async fn commit(&mut self, profiles: &[Profile]) -> Result<(), Self::Error>;

    /// Forgets every profile.
    async fn clear(&mut self) -> Result<(), Self::Error>;
}

/// Async timer: yields to the executor until an [`Instant`] of its own [`Clock`] has been
/// reached (embassy: `embassy_time::Timer::at`). See [`crate::Timer`] for the contract and the
/// crate docs (*Timing contract*) for how it pairs with `Manager::next_deadline()`; an async
/// adapter typically races `wait_until(deadline)` against the station's `next_event()`.
pub trait Timer: Clock {
    /// Completes once `self.now() >= deadline`; at the first poll if it already is.
    async fn wait_until(&mut self, deadline: Instant);

    /// Waits for `duration` from now (saturating at the end of time).
    async fn wait(&mut self, duration: Duration) {
        let deadline = self.now() + duration;
        self.wait_until(deadline).await;
    }
}

impl<T: Timer + ?Sized> Timer for &mut T {
    async fn wait_until(&mut self, deadline: Instant) {
        T::wait_until(self, deadline).await;
    }
    async fn wait(&mut self, duration: Duration) {
        T::wait(self, duration).await;
    }
}
