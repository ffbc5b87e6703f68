//! The handshake budget: how many expensive handshake computations the device does per time
//! window (not in the reference).
//!
//! A handshake's first step is the only expensive thing a stranger can make the device do:
//! a security 2 `Command0` costs three 3072-bit exponentiations (`B = k·v + g^b`, then
//! `S = (A·v^u)^b`), a security 1 `Command0` two X25519 scalar multiplications. ESP-IDF
//! computes one for every `Command0` it receives, so a few sockets sending `Command0` in a
//! loop keep its CPU busy for as long as they like. Here at most
//! [`HandshakeBudget::max_handshakes`] well-formed `Command0`s are computed within any
//! [`HandshakeBudget::window_ms`]; the excess is refused — no answer, like any handshake error
//! — *before* any bignum or curve work, with [`crate::ProtocommError::HandshakeLimited`].
//!
//! ```text
//!  Command0 ──► budget: fewer than N computed in the last W ms? ── no ──► refused (no answer)
//!                    │ yes: count it
//!                    ▼
//!              DeviceSession::handle_session (the expensive step)
//! ```
//!
//! What is *not* limited: `proto-ver`, `Command1` (hashing only), malformed messages (refused
//! before any arithmetic anyway) and the owner's encrypted requests, so an established session
//! keeps working during a flood. The budget is global, not per client, for the same reason
//! as the brute-force throttle (a transport cannot tell an attacker's new connection from a
//! new client): during a flood a *new* client may have to wait for the window to pass; the
//! owner does not. Time is the `now` each [`crate::Protocomm::handle`] call carries.

use alloc::collections::VecDeque;

/// The budget. `Default`: [`HandshakeBudget::DEFAULT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeBudget {
    /// Handshakes computed at most within any window (N). `0` behaves as `1`.
    pub max_handshakes: u32,
    /// The sliding window, in milliseconds (W).
    pub window_ms: u64,
}

impl HandshakeBudget {
    /// 4 handshakes within any 20 s. A legitimate client needs one (two if it retries); on an
    /// ESP32-C3 a security 2 handshake costs ~0.6–1.4 s of CPU (`docs/SECURITY.md`), so a
    /// flood can take at most about a fifth to a quarter of the CPU.
    pub const DEFAULT: Self = Self {
        max_handshakes: 4,
        window_ms: 20_000,
    };
}

impl Default for HandshakeBudget {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The budget's bookkeeping: the times of the handshakes computed in the current window.
#[derive(Debug, Clone)]
pub(crate) struct BudgetState {
    config: Option<HandshakeBudget>,
    /// Start times of computed handshakes, oldest first; never more than `max_handshakes`.
    recent: VecDeque<u64>,
    /// Handshakes refused so far (for tests, logs and benches).
    refused: u64,
    /// Set once the current exhaustion has been reported, cleared when a handshake runs again.
    reported: bool,
}

/// What [`BudgetState::take`] decided.
pub(crate) enum BudgetDecision {
    /// Compute the handshake.
    Granted,
    /// Refuse it; the budget frees up at `until_ms`. `first` is true for the first refusal
    /// since the last granted handshake (report it once, not per request).
    Refused { until_ms: u64, first: bool },
}

impl BudgetState {
    pub(crate) fn new(config: Option<HandshakeBudget>) -> Self {
        Self {
            config,
            recent: VecDeque::new(),
            refused: 0,
            reported: false,
        }
    }

    pub(crate) fn config(&self) -> Option<HandshakeBudget> {
        self.config
    }

    pub(crate) fn set_config(&mut self, config: Option<HandshakeBudget>) {
        self.config = config;
        self.recent.clear();
        self.reported = false;
    }

    pub(crate) fn refused(&self) -> u64 {
        self.refused
    }

    /// One expensive handshake wants to run at `now`.
    pub(crate) fn take(&mut self, now: u64) -> BudgetDecision {
        let Some(config) = self.config else {
            return BudgetDecision::Granted;
        };
        let max = usize::try_from(config.max_handshakes.max(1)).unwrap_or(usize::MAX);
        // Entries at or before `now - W` have left the window; in the first window after boot
        // nothing has (checked subtraction, as in the throttle).
        if let Some(start) = now.checked_sub(config.window_ms) {
            while self.recent.front().is_some_and(|&t| t <= start) {
                self.recent.pop_front();
            }
        }
        if self.recent.len() >= max {
            self.refused = self.refused.saturating_add(1);
            let oldest = self.recent.front().copied().unwrap_or(now);
            let first = !core::mem::replace(&mut self.reported, true);
            return BudgetDecision::Refused {
                until_ms: oldest.saturating_add(config.window_ms).saturating_add(1),
                first,
            };
        }
        self.recent.push_back(now);
        self.reported = false;
        BudgetDecision::Granted
    }
}
