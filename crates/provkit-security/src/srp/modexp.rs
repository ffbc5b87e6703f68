//! The modular-exponentiation seam of the device-side sec2 handshake.
//!
//! A sec2 device spends ~99 % of a handshake in three 3072-bit modular exponentiations
//! (`g^b`, `v^u`, `(A·v^u)^b`, see the `srp` module). Microcontrollers with a bignum unit
//! (the ESP32 family's RSA peripheral) do those far faster than software, so the device
//! path sends them through [`ModExp`] when [`DeviceCredentials::with_mod_exp`] attached an
//! engine. Without one, or when the engine reports an error, the built-in software path
//! (comb tables and constant-time windows on crypto-bigint) computes the same value.
//!
//! The seam is deliberately one operation over the one fixed modulus: `base^exponent mod N`
//! with N the RFC 5054 3072-bit group modulus ([`modulus_be`]). Hardware units need only N
//! and their own Montgomery constants for that, which the implementation derives once.
//!
//! [`DeviceCredentials::with_mod_exp`]: crate::sec2::DeviceCredentials::with_mod_exp

use crate::SecurityError;
use crate::srp::{self, Fe};
use crypto_bigint::U3072;
use zeroize::Zeroizing;

/// Byte length of N and of every operand and result of [`ModExp::mod_exp`].
pub const N_BYTES: usize = srp::N_BYTES;

/// N, the RFC 5054 3072-bit group modulus, as 384 big-endian bytes.
pub fn modulus_be() -> [u8; N_BYTES] {
    srp::modulus_bytes()
}

/// `base^exponent mod N` for the RFC 5054 3072-bit modulus N.
///
/// # Contract
///
/// * `base` is 384 big-endian bytes and less than N; `exponent` is big-endian, at most 384
///   bytes (the device path passes the 32-byte secret `b` and the 64-byte public `u`).
/// * The exponent is **secret** in two of the three calls (`b`): the time and memory trace
///   of an implementation must not depend on the exponent's value, only on its length. The
///   ESP32 RSA peripheral qualifies with its search acceleration off (its reset state):
///   it then always runs the full operand width.
/// * Write the result (less than N) to `out` as 384 big-endian bytes and return `Ok`. Any
///   `Err` (peripheral busy, not available) makes the caller compute the value in software;
///   a result that is not less than N is treated the same way.
///
/// `&self` with `Sync` because the credentials that hold the engine are shared by every
/// session of a device; hardware implementations keep their peripheral behind a lock.
pub trait ModExp {
    /// Computes `base^exponent mod N` into `out`.
    fn mod_exp(
        &self,
        base: &[u8; N_BYTES],
        exponent: &[u8],
        out: &mut [u8; N_BYTES],
    ) -> Result<(), SecurityError>;
}

/// The software engine: a constant-time 4-bit fixed window on crypto-bigint's Montgomery
/// form with this crate's 3072-bit Montgomery multiply. The device path already uses it (and
/// the comb tables) when no engine is attached; it is public as the reference an engine can
/// be checked against and as a fallback to hand out explicitly.
#[derive(Debug, Clone, Copy, Default)]
pub struct SoftwareModExp;

impl ModExp for SoftwareModExp {
    fn mod_exp(
        &self,
        base: &[u8; N_BYTES],
        exponent: &[u8],
        out: &mut [u8; N_BYTES],
    ) -> Result<(), SecurityError> {
        if exponent.len() > N_BYTES {
            return Err(SecurityError::BadLength {
                field: "exponent",
                expected: "at most 384",
                got: exponent.len(),
            });
        }
        let base = fe_from_be_reduced(base)?;
        let result = Zeroizing::new(srp::comb::pow_window_ct(&base, exponent));
        out.copy_from_slice(Zeroizing::new(result.retrieve().to_be_bytes()).as_ref());
        Ok(())
    }
}

/// `base` (< N required) as a field element; rejects values ≥ N.
fn fe_from_be_reduced(base: &[u8; N_BYTES]) -> Result<Fe, SecurityError> {
    let value = Zeroizing::new(U3072::from_be_slice(base));
    if *value >= srp::modulus_uint() {
        return Err(SecurityError::InvalidConfig("modexp base not below N"));
    }
    Ok(Fe::new(&value))
}

/// Runs `engine` on a field element, checking its result; `None` means "use software".
pub(crate) fn engine_pow(
    engine: &(dyn ModExp + Sync),
    base: &Fe,
    exponent_be: &[u8],
) -> Option<Fe> {
    let base_bytes = Zeroizing::new(base.retrieve().to_be_bytes());
    let mut base_arr = Zeroizing::new([0u8; N_BYTES]);
    base_arr.copy_from_slice(base_bytes.as_ref());
    let mut out = Zeroizing::new([0u8; N_BYTES]);
    engine.mod_exp(&base_arr, exponent_be, &mut out).ok()?;
    fe_from_be_reduced(&out).ok()
}
