//! Brute-force throttling of handshake proofs (PoP for sec1, username/password for sec2).
//!
//! ESP-IDF has none: every wrong PoP costs an attacker one round trip, so a short PoP can be
//! guessed online. Here, after [`Throttle::max_failures`] failed proofs
//! ([`provkit_security::SecurityError::AuthenticationFailed`]) within
//! [`Throttle::window_ms`], `prov-session` requests are refused — no answer, exactly like any
//! other handshake error — for a back-off period. The period starts at
//! [`Throttle::backoff_ms`] and doubles with each further lockout, up to
//! [`Throttle::max_backoff_ms`]. The doubling streak ends after a successful handshake, or when
//! no lockout follows for `max_backoff_ms` after the previous one ended.
//!
//! ```text
//!  failure ×K within W ──► locked until now+B ──► (K more) ──► locked until now+2B … ≤ cap
//!         │                        │                                    │
//!   AuthFailed events      AuthLockout{until_ms}              success → streak reset
//! ```
//!
//! The lockout is global to the device, not per client: a transport cannot tell a new
//! attacker connection from a new client, and the reference has only one session anyway. The
//! price is that an attacker can keep a legitimate user out for the back-off period; the PoP
//! stays safe. `proto-ver` and an already established session are never affected.
//!
//! Time is the `now` ([`provkit_hal::Instant`], milliseconds since an adapter-chosen origin)
//! that every [`crate::Protocomm::handle`] call carries; protocomm reads no clock and keeps
//! none, so the same lockout runs the same way on a chip, in the simulator and in a test.

use alloc::collections::VecDeque;

use crate::client::ClientId;
use crate::error::ProtocommError;

/// Throttling parameters. `Default`: 5 failures within 60 s lock for 30 s, doubling up to
/// 15 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Failed proofs within [`Self::window_ms`] that trigger a lockout (K). `0` behaves as `1`.
    pub max_failures: u32,
    /// The sliding window failures are counted in (W), in milliseconds.
    pub window_ms: u64,
    /// The first lockout's length (B), in milliseconds.
    pub backoff_ms: u64,
    /// The longest lockout after repeated doubling, in milliseconds.
    pub max_backoff_ms: u64,
}

impl Throttle {
    /// The defaults: K = 5, W = 60 s, B = 30 s, cap = 15 min.
    pub const DEFAULT: Self = Self {
        max_failures: 5,
        window_ms: 60_000,
        backoff_ms: 30_000,
        max_backoff_ms: 15 * 60_000,
    };
}

impl Default for Throttle {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Something the application may want to know (log, UI, telemetry); drained with
/// [`crate::Protocomm::poll_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocommEvent {
    /// A client presented a wrong PoP / password.
    AuthFailed {
        /// Who failed.
        client: ClientId,
        /// When (the protocomm clock, ms).
        at_ms: u64,
        /// Failures within the current window, this one included.
        recent_failures: u32,
    },
    /// Too many failures: new sessions are refused until `until_ms`.
    AuthLockout {
        /// The client whose failure triggered the lockout.
        client: ClientId,
        /// End of the lockout (the protocomm clock, ms).
        until_ms: u64,
        /// Length of this lockout.
        backoff_ms: u64,
        /// Lockouts in the current streak, this one included (1 = first).
        streak: u32,
    },
    /// The [`crate::budget::HandshakeBudget`] is used up: Command0s are refused (no answer,
    /// no arithmetic) until `until_ms`. Reported once per exhaustion, not per refused request.
    HandshakeBudgetExhausted {
        /// The client whose Command0 was the first one refused.
        client: ClientId,
        /// When (the protocomm clock, ms).
        at_ms: u64,
        /// When the next Command0 will be computed again at the earliest.
        until_ms: u64,
    },
}

/// How many events are kept when the application does not drain them; older ones are dropped.
pub const MAX_QUEUED_EVENTS: usize = 16;

/// The throttle's bookkeeping: failures in the window, the lockout in force, the doubling
/// streak and the queued events. [`crate::Protocomm`] keeps one for its handshakes; other
/// ways of proving the same secret (the captive portal's PoP / password form) record their
/// proofs in that same instance ([`crate::Protocomm::throttle_state_mut`]), so guesses
/// count once whichever path they take. A device without protocomm builds its own with
/// [`ThrottleState::new`].
#[derive(Debug, Clone)]
pub struct ThrottleState {
    config: Option<Throttle>,
    /// Times of recent failures, oldest first, pruned to the window.
    failures: VecDeque<u64>,
    locked_until: Option<u64>,
    /// Lockouts in the current doubling streak.
    streak: u32,
    events: VecDeque<ProtocommEvent>,
}

impl ThrottleState {
    /// Bookkeeping for `config` (`None`: never locks).
    pub fn new(config: Option<Throttle>) -> Self {
        Self {
            config,
            failures: VecDeque::new(),
            locked_until: None,
            streak: 0,
            events: VecDeque::new(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> Option<Throttle> {
        self.config
    }

    /// Replaces the configuration; counters and any running lockout are kept.
    pub fn set_config(&mut self, config: Option<Throttle>) {
        self.config = config;
        if config.is_none() {
            self.locked_until = None;
            self.failures.clear();
            self.streak = 0;
        }
    }

    /// The end of the lockout in force at `now`, if any.
    pub fn locked_until(&self, now: u64) -> Option<u64> {
        self.locked_until.filter(|&until| now < until)
    }

    /// Err while a lockout is in force.
    pub fn check(&self, now: u64) -> Result<(), ProtocommError> {
        match self.locked_until(now) {
            Some(until_ms) => Err(ProtocommError::Throttled { until_ms }),
            None => Ok(()),
        }
    }

    /// A proof failed at `now`.
    pub fn record_failure(&mut self, client: ClientId, now: u64) {
        let Some(config) = self.config else {
            return;
        };
        // A quiet period after the last lockout ends the doubling streak.
        if let Some(until) = self.locked_until
            && now.saturating_sub(until) >= config.max_backoff_ms
        {
            self.streak = 0;
            self.locked_until = None;
        }
        // Checked, not saturating: in the first window after boot nothing has expired yet
        // (saturating to 0 used to drop a failure recorded at t = 0).
        let window_start = now.checked_sub(config.window_ms);
        while self
            .failures
            .front()
            .is_some_and(|&t| window_start.is_some_and(|start| t <= start) && t < now)
        {
            self.failures.pop_front();
        }
        self.failures.push_back(now);
        let recent = u32::try_from(self.failures.len()).unwrap_or(u32::MAX);
        self.push_event(ProtocommEvent::AuthFailed {
            client,
            at_ms: now,
            recent_failures: recent,
        });
        if recent >= config.max_failures.max(1) {
            let backoff = config
                .backoff_ms
                .saturating_mul(1u64.checked_shl(self.streak).unwrap_or(u64::MAX))
                .min(config.max_backoff_ms.max(config.backoff_ms));
            let until_ms = now.saturating_add(backoff);
            self.streak = self.streak.saturating_add(1);
            self.locked_until = Some(until_ms);
            self.failures.clear();
            self.push_event(ProtocommEvent::AuthLockout {
                client,
                until_ms,
                backoff_ms: backoff,
                streak: self.streak,
            });
        }
    }

    /// Failed proofs still allowed at `now` before the next one locks (`None` without a
    /// throttle). Counts only failures inside the window.
    pub fn failures_left(&self, now: u64) -> Option<u32> {
        let config = self.config?;
        let window_start = now.checked_sub(config.window_ms);
        let recent = self
            .failures
            .iter()
            .filter(|&&t| window_start.is_none_or(|start| t > start))
            .count();
        let recent = u32::try_from(recent).unwrap_or(u32::MAX);
        Some(config.max_failures.max(1).saturating_sub(recent))
    }

    /// A proof succeeded (a handshake completed): the streak and the failure count start
    /// over.
    pub fn record_success(&mut self) {
        self.failures.clear();
        self.streak = 0;
    }

    /// The oldest queued event.
    pub fn poll_event(&mut self) -> Option<ProtocommEvent> {
        self.events.pop_front()
    }

    /// Queues an event (the oldest is dropped beyond [`MAX_QUEUED_EVENTS`]).
    pub fn push_event(&mut self, event: ProtocommEvent) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }
}
