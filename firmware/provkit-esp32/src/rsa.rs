//! Hardware bignum for security 2: `provkit_security::ModExp` on the chip's RSA peripheral.
//!
//! The device side of a sec2 handshake is three 3072-bit modular exponentiations
//! (`g^b`, `v^u`, `(A·v^u)^b`); the ESP32-C3/C6 RSA unit does 3072-bit modexp natively.
//! [`EspRsaModExp`] hands them to it; whenever it cannot (the unit is in use, which can only
//! happen on re-entry), it returns an error and provkit-security computes the value in
//! software, so the peripheral is an accelerator, never a point of failure.
//!
//! ## Constant time
//!
//! Two of the three exponents are the session secret `b`. The unit runs with its constant-time
//! option on (esp-hal's secure default: no shortcut on zero bits), and with *search* on but
//! the search position fixed by the exponent's **length** (bit 255 for the 32-byte `b`, 511
//! for the 64-byte `u`) rather than by its top set bit, which is what esp-hal would write. So
//! the operation time depends only on operand sizes, never on the value of `b`; leading zero
//! bits are just squarings of 1. (ESP-IDF's own `esp_mpi_exp_mod` searches from the top set
//! bit and leaks its position.)
//!
//! ## Layout
//!
//! The peripheral takes little-endian 32-bit words, the modulus N, `m' = −N⁻¹ mod 2³²` and
//! `r = 2^(2·3072) mod N`; [`RsaParams`] derives them once from provkit-security's N. This
//! part is chip-independent and tested on the host against a software model of the
//! peripheral's Montgomery exponentiation.

use provkit_security::{ModExp, SecurityError, SoftwareModExp};
use provkit_security::{N_BYTES, modulus_be};

/// 32-bit words of a 3072-bit operand.
pub const WORDS: usize = N_BYTES / 4;

/// Big-endian bytes (at most 384) to the peripheral's little-endian word order, zero-extended.
pub fn be_to_le_words(be: &[u8]) -> Option<[u32; WORDS]> {
    if be.len() > N_BYTES {
        return None;
    }
    let mut padded = [0u8; N_BYTES];
    padded[N_BYTES - be.len()..].copy_from_slice(be);
    let mut words = [0u32; WORDS];
    // Word 0 is the least significant: it comes from the last four bytes.
    for (word, chunk) in words.iter_mut().zip(padded.rchunks_exact(4)) {
        *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    Some(words)
}

/// The inverse of [`be_to_le_words`] for full 384-byte values.
pub fn le_words_to_be(words: &[u32; WORDS]) -> [u8; N_BYTES] {
    let mut be = [0u8; N_BYTES];
    for (chunk, word) in be.rchunks_exact_mut(4).zip(words.iter()) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    be
}

/// `−n0⁻¹ mod 2³²` for an odd least significant word `n0` (Newton's iteration: each step
/// doubles the number of correct low bits, 1 → 32 in five steps).
pub fn m_prime(n0: u32) -> u32 {
    let mut inverse: u32 = 1;
    for _ in 0..5 {
        inverse = inverse.wrapping_mul(2u32.wrapping_sub(n0.wrapping_mul(inverse)));
    }
    inverse.wrapping_neg()
}

/// The search position the unit starts from: the top bit of the exponent's *length*, so the
/// timing never depends on where the secret exponent's top set bit is.
pub fn search_position(exponent_len: usize) -> u32 {
    (exponent_len.clamp(1, N_BYTES) * 8 - 1) as u32
}

/// The operands the RSA unit needs for N, derived once.
#[derive(Clone)]
pub struct RsaParams {
    /// N, little-endian words.
    pub modulus: [u32; WORDS],
    /// `2^6144 mod N` (R² for the unit's Montgomery domain, R = 2^3072).
    pub r: [u32; WORDS],
    /// `−N⁻¹ mod 2³²`.
    pub m_prime: u32,
}

impl RsaParams {
    /// The parameters of the RFC 5054 3072-bit group (one software exponentiation with a
    /// 2-byte exponent for r).
    pub fn rfc5054() -> Result<Self, SecurityError> {
        let n = modulus_be();
        let modulus = be_to_le_words(&n).ok_or(SecurityError::InvalidConfig("modulus"))?;
        let mut two = [0u8; N_BYTES];
        two[N_BYTES - 1] = 2;
        let mut r_be = [0u8; N_BYTES];
        // 2^(2·3072): the exponent 6144 = 0x1800.
        SoftwareModExp.mod_exp(&two, &[0x18, 0x00], &mut r_be)?;
        let r = be_to_le_words(&r_be).ok_or(SecurityError::InvalidConfig("r"))?;
        Ok(Self {
            modulus,
            r,
            m_prime: m_prime(modulus[0]),
        })
    }
}

#[cfg(feature = "rsa-peripheral")]
pub use chip::EspRsaModExp;

#[cfg(feature = "rsa-peripheral")]
mod chip {
    use core::cell::RefCell;

    use critical_section::Mutex;
    use esp_hal::Blocking;
    use esp_hal::rsa::operand_sizes::Op3072;
    use esp_hal::rsa::{Rsa, RsaModularExponentiation};
    use provkit_security::N_BYTES;
    use provkit_security::{ModExp, SecurityError};

    use super::{RsaParams, WORDS, be_to_le_words, le_words_to_be, search_position};

    /// `ModExp` on the RSA peripheral. Create it once, put it in a `static` (e.g. a
    /// `StaticCell`) and attach it with `DeviceCredentials::with_mod_exp`.
    pub struct EspRsaModExp {
        /// Taken out for the duration of one operation, so the (long) exponentiation runs
        /// outside any critical section and the radio's interrupts keep running; a re-entrant
        /// call finds `None` and falls back to software.
        rsa: Mutex<RefCell<Option<Rsa<'static, Blocking>>>>,
        params: RsaParams,
    }

    impl EspRsaModExp {
        /// Takes the peripheral: `EspRsaModExp::new(Rsa::new(peripherals.RSA))`.
        pub fn new(mut rsa: Rsa<'static, Blocking>) -> Result<Self, SecurityError> {
            // esp-hal's secure default, set explicitly: no zero-bit shortcut.
            rsa.disable_constant_time(false);
            // Search on, but its position is written per call from the exponent's length.
            rsa.search_acceleration(true);
            Ok(Self {
                rsa: Mutex::new(RefCell::new(Some(rsa))),
                params: RsaParams::rfc5054()?,
            })
        }

        fn run(
            &self,
            rsa: &mut Rsa<'static, Blocking>,
            base: &[u32; WORDS],
            exponent: &[u32; WORDS],
            exponent_len: usize,
            out: &mut [u32; WORDS],
        ) {
            let mut op = RsaModularExponentiation::<Op3072, Blocking>::new(
                rsa,
                exponent,
                &self.params.modulus,
                self.params.m_prime,
            );
            // `new` wrote the position of the exponent's top set bit; replace it with the
            // length-derived one before starting (see the module docs).
            let position = search_position(exponent_len);
            // SAFETY: a plain 32-bit value register of the peripheral we own (`rsa`), written
            // while it is idle, before `start_exponentiation`.
            esp_hal::peripherals::RSA::regs()
                .search_pos()
                .write(|w| unsafe { w.bits(position) });
            op.start_exponentiation(base, &self.params.r);
            op.read_results(out);
        }
    }

    impl ModExp for EspRsaModExp {
        fn mod_exp(
            &self,
            base: &[u8; N_BYTES],
            exponent: &[u8],
            out: &mut [u8; N_BYTES],
        ) -> Result<(), SecurityError> {
            const BUSY: SecurityError = SecurityError::InvalidConfig("RSA peripheral busy");
            let exponent_words = be_to_le_words(exponent)
                .ok_or(SecurityError::InvalidConfig("exponent too long"))?;
            let base_words =
                be_to_le_words(base).ok_or(SecurityError::InvalidConfig("base too long"))?;
            let mut rsa =
                critical_section::with(|cs| self.rsa.borrow_ref_mut(cs).take()).ok_or(BUSY)?;
            let mut result = [0u32; WORDS];
            self.run(
                &mut rsa,
                &base_words,
                &exponent_words,
                exponent.len(),
                &mut result,
            );
            critical_section::with(|cs| *self.rsa.borrow_ref_mut(cs) = Some(rsa));
            *out = le_words_to_be(&result);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A software model of what the RSA unit computes from the operands it is given:
    /// Montgomery multiplication `a·b·2^-3072 mod n` with word-level reduction by `m'`, the
    /// entry into Montgomery form by multiplying with `r`, left-to-right square-and-multiply
    /// from `start_bit`, and the exit by multiplying with 1. If `m'`, `r` or the word order
    /// were wrong, its result would not match software.
    fn mont_mul(a: &[u32; WORDS], b: &[u32; WORDS], n: &[u32; WORDS], mp: u32) -> [u32; WORDS] {
        let mut t = [0u64; WORDS + 2];
        for &ai in a.iter() {
            let mut carry = 0u64;
            for j in 0..WORDS {
                let s = t[j] + u64::from(ai) * u64::from(b[j]) + carry;
                t[j] = s & 0xffff_ffff;
                carry = s >> 32;
            }
            let s = t[WORDS] + carry;
            t[WORDS] = s & 0xffff_ffff;
            t[WORDS + 1] += s >> 32;
            let m = (t[0] as u32).wrapping_mul(mp);
            let mut carry = (t[0] + u64::from(m) * u64::from(n[0])) >> 32;
            for j in 1..WORDS {
                let s = t[j] + u64::from(m) * u64::from(n[j]) + carry;
                t[j - 1] = s & 0xffff_ffff;
                carry = s >> 32;
            }
            let s = t[WORDS] + carry;
            t[WORDS - 1] = s & 0xffff_ffff;
            t[WORDS] = t[WORDS + 1] + (s >> 32);
            t[WORDS + 1] = 0;
        }
        let mut out = [0u32; WORDS];
        for (o, &w) in out.iter_mut().zip(t.iter()) {
            *o = w as u32;
        }
        // Final subtraction when t >= n.
        let ge = t[WORDS] != 0 || {
            let mut ge = true;
            for j in (0..WORDS).rev() {
                if out[j] != n[j] {
                    ge = out[j] > n[j];
                    break;
                }
            }
            ge
        };
        if ge {
            let mut borrow = 0i64;
            for j in 0..WORDS {
                let d = i64::from(out[j]) - i64::from(n[j]) - borrow;
                out[j] = d as u32;
                borrow = i64::from(d < 0);
            }
        }
        out
    }

    fn model_modexp(
        base: &[u32; WORDS],
        exponent: &[u32; WORDS],
        start_bit: u32,
        p: &RsaParams,
    ) -> [u32; WORDS] {
        let mut one = [0u32; WORDS];
        one[0] = 1;
        let x = mont_mul(base, &p.r, &p.modulus, p.m_prime);
        let mut acc = mont_mul(&one, &p.r, &p.modulus, p.m_prime);
        for bit in (0..=start_bit).rev() {
            acc = mont_mul(&acc, &acc, &p.modulus, p.m_prime);
            if exponent[(bit / 32) as usize] >> (bit % 32) & 1 == 1 {
                acc = mont_mul(&acc, &x, &p.modulus, p.m_prime);
            }
        }
        mont_mul(&acc, &one, &p.modulus, p.m_prime)
    }

    fn pseudo_random_bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 56) as u8
            })
            .collect()
    }

    #[test]
    fn word_order_round_trips_and_is_little_endian() {
        let be: Vec<u8> = (0..N_BYTES).map(|i| i as u8).collect();
        let words = be_to_le_words(&be).expect("fits");
        assert_eq!(words[0], 0x7c7d7e7f, "least significant word = last bytes");
        assert_eq!(words[WORDS - 1], 0x00010203);
        assert_eq!(le_words_to_be(&words).to_vec(), be);
        let short = be_to_le_words(&[0x12, 0x34, 0x56]).expect("fits");
        assert_eq!(short[0], 0x123456);
        assert!(short[1..].iter().all(|&w| w == 0));
        assert!(be_to_le_words(&[0u8; N_BYTES + 1]).is_none());
    }

    #[test]
    fn m_prime_is_the_negated_inverse() {
        for n0 in [1u32, 3, 0xffff_ffff, 0x1234_5679, 0x8000_0001] {
            assert_eq!(n0.wrapping_mul(m_prime(n0)), u32::MAX, "n0 = {n0:#x}");
        }
        let p = RsaParams::rfc5054().expect("params");
        assert_eq!(p.modulus[0].wrapping_mul(p.m_prime), u32::MAX);
    }

    #[test]
    fn search_position_depends_only_on_length() {
        assert_eq!(search_position(32), 255);
        assert_eq!(search_position(64), 511);
        assert_eq!(search_position(N_BYTES), 3071);
        assert_eq!(
            search_position(0),
            7,
            "an empty exponent still scans a zero byte"
        );
    }

    #[test]
    fn peripheral_model_with_these_operands_matches_software() {
        let p = RsaParams::rfc5054().expect("params");
        for (seed, exponent_len) in [(1u64, 32usize), (2, 64), (3, 32), (4, 1)] {
            let mut base = pseudo_random_bytes(seed, N_BYTES);
            base[0] = 0x7f; // below N (whose top byte is 0xff)
            let mut exponent = pseudo_random_bytes(seed ^ 0xabc, exponent_len);
            if seed == 3 {
                exponent[0] = 0; // a secret b with leading zero bits: same position, same result
            }
            let base_arr: [u8; N_BYTES] = base.as_slice().try_into().expect("384");
            let mut expected = [0u8; N_BYTES];
            SoftwareModExp
                .mod_exp(&base_arr, &exponent, &mut expected)
                .expect("software");
            let got = model_modexp(
                &be_to_le_words(&base).expect("fits"),
                &be_to_le_words(&exponent).expect("fits"),
                search_position(exponent_len),
                &p,
            );
            assert_eq!(le_words_to_be(&got), expected, "seed {seed}");
        }
    }
}
