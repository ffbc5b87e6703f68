//! The secret the portal asks for before it takes credentials: the device's sec1 PoP or its
//! sec2 password, checked against what the device already stores, under protocomm's
//! brute-force throttle ([`ThrottleState`]).
//!
//! ```text
//!  secret ─► throttle locked? ── yes ─► Locked { until_ms }
//!               │ no
//!               ▼
//!   Pop:  PoP == secret           (constant time)
//!   Sec2: g^x(salt, username, secret, convention) == stored verifier   (constant time)
//!               ├ equal ─► record_success ─► Accepted
//!               └ else  ─► record_failure ─► Refused { failures_left }
//! ```
//!
//! The sec2 check recomputes the verifier from the stored salt (one 3072-bit exponentiation,
//! like a handshake's cheapest step) rather than keeping the password: the device never
//! holds it.

use alloc::vec::Vec;

use provkit_hal::Instant;
use provkit_protocomm::{ClientId, ThrottleState};
use provkit_security::VerifierConvention;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// What proves the right to provision through the portal.
#[derive(Clone)]
pub enum PortalSecret {
    /// No secret exists (security 0, or security 1 without a PoP): anyone who reaches the
    /// page can provision. Only with a WPA2 SoftAP, see the crate docs.
    Open,
    /// Security 1's proof of possession.
    Pop(Zeroizing<Vec<u8>>),
    /// Security 2: the stored salt and verifier, the username the phone apps use, and the
    /// convention the verifier was made in.
    Sec2 {
        /// The sec2 username (`wifiprov` in ESP-IDF's examples).
        username: Vec<u8>,
        /// The stored salt.
        salt: Vec<u8>,
        /// The stored verifier.
        verifier: Vec<u8>,
        /// How x was derived when the verifier was made.
        convention: VerifierConvention,
    },
}

impl core::fmt::Debug for PortalSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Open => "PortalSecret::Open",
            Self::Pop(_) => "PortalSecret::Pop(<redacted>)",
            Self::Sec2 { .. } => "PortalSecret::Sec2(<verifier>)",
        })
    }
}

/// The outcome of one secret check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Check {
    /// The secret is right (or none is required).
    Accepted,
    /// Wrong; `failures_left` more before a lockout (`None` without a throttle).
    Refused {
        /// Failed proofs still allowed before the throttle locks.
        failures_left: Option<u32>,
    },
    /// The throttle refuses every proof until `until_ms` (not even looked at).
    Locked {
        /// End of the lockout on the throttle's clock.
        until_ms: u64,
    },
}

impl PortalSecret {
    /// What the page asks for: `"none"`, `"pop"` or `"password"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Open => "none",
            Self::Pop(_) => "pop",
            Self::Sec2 { .. } => "password",
        }
    }

    /// Checks `given` under `throttle`, recording the outcome there as a handshake's
    /// outcome is recorded (failures as `client`).
    pub fn check(
        &self,
        given: &[u8],
        throttle: &mut ThrottleState,
        client: ClientId,
        now: Instant,
    ) -> Check {
        let now = now.as_millis();
        if let Self::Open = self {
            return Check::Accepted;
        }
        if let Some(until_ms) = throttle.locked_until(now) {
            return Check::Locked { until_ms };
        }
        if self.matches(given) {
            throttle.record_success();
            Check::Accepted
        } else {
            throttle.record_failure(client, now);
            match throttle.locked_until(now) {
                Some(until_ms) => Check::Locked { until_ms },
                None => Check::Refused {
                    failures_left: throttle.failures_left(now),
                },
            }
        }
    }

    /// Compares without a throttle, in constant time for equal lengths.
    fn matches(&self, given: &[u8]) -> bool {
        match self {
            Self::Open => true,
            Self::Pop(pop) => bool::from(pop.as_slice().ct_eq(given)),
            Self::Sec2 {
                username,
                salt,
                verifier,
                convention,
            } => {
                let Ok(computed) =
                    provkit_security::sec2::verifier_for_salt(username, given, salt, *convention)
                else {
                    return false;
                };
                let computed = Zeroizing::new(computed);
                bool::from(minimal(&computed).ct_eq(minimal(verifier)))
            }
        }
    }
}

/// The big-endian number without leading zero bytes (stored verifiers may carry one).
fn minimal(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use provkit_protocomm::{Throttle, TransportKind};

    const CLIENT: ClientId = ClientId::new(TransportKind::Http, 1);

    fn throttle() -> ThrottleState {
        ThrottleState::new(Some(Throttle {
            max_failures: 3,
            window_ms: 60_000,
            backoff_ms: 10_000,
            max_backoff_ms: 40_000,
        }))
    }

    #[test]
    fn a_pop_is_checked_and_wrong_ones_lock_like_handshakes() {
        let secret = PortalSecret::Pop(Zeroizing::new(b"abcd1234".to_vec()));
        let mut t = throttle();
        let at = Instant::from_millis;
        assert_eq!(
            secret.check(b"abcd1234", &mut t, CLIENT, at(0)),
            Check::Accepted
        );
        assert_eq!(
            secret.check(b"abcd1235", &mut t, CLIENT, at(1)),
            Check::Refused {
                failures_left: Some(2)
            }
        );
        assert_eq!(
            secret.check(b"", &mut t, CLIENT, at(2)),
            Check::Refused {
                failures_left: Some(1)
            }
        );
        assert_eq!(
            secret.check(b"abcd12345", &mut t, CLIENT, at(3)),
            Check::Locked { until_ms: 10_003 }
        );
        // Even the right PoP is not looked at during the lockout.
        assert_eq!(
            secret.check(b"abcd1234", &mut t, CLIENT, at(5_000)),
            Check::Locked { until_ms: 10_003 }
        );
        assert_eq!(
            secret.check(b"abcd1234", &mut t, CLIENT, at(10_003)),
            Check::Accepted
        );
        assert!(matches!(
            t.poll_event(),
            Some(provkit_protocomm::ProtocommEvent::AuthFailed { .. })
        ));
    }

    #[test]
    fn a_sec2_password_is_checked_against_the_stored_verifier() {
        let salt = [0x5au8; 16];
        for convention in [VerifierConvention::EspIdf, VerifierConvention::EspProv] {
            let verifier = provkit_security::sec2::verifier_for_salt(
                b"wifiprov",
                b"abcd1234",
                &salt,
                convention,
            )
            .unwrap();
            let secret = PortalSecret::Sec2 {
                username: b"wifiprov".to_vec(),
                salt: salt.to_vec(),
                verifier,
                convention,
            };
            let mut t = throttle();
            let now = Instant::from_millis(0);
            assert_eq!(
                secret.check(b"abcd1234", &mut t, CLIENT, now),
                Check::Accepted
            );
            assert!(matches!(
                secret.check(b"abcd1243", &mut t, CLIENT, now),
                Check::Refused { .. }
            ));
        }
    }

    #[test]
    fn open_needs_nothing_and_debug_hides_secrets() {
        let mut t = throttle();
        let now = Instant::from_millis(0);
        assert_eq!(
            PortalSecret::Open.check(b"", &mut t, CLIENT, now),
            Check::Accepted
        );
        let shown = alloc::format!(
            "{:?}",
            PortalSecret::Pop(Zeroizing::new(b"hunter22".to_vec()))
        );
        assert!(!shown.contains("hunter22"));
    }
}
