//! Fixed-base exponentiation with a Lim–Lee comb.
//!
//! For a base `P` that does not change (g for every device, v per device) and exponents of at
//! most `bits` bits, split the exponent into `h` rows of `d = ⌈bits/h⌉` bits and precompute
//! the 2^h products `T[j] = Π_{i ∈ j} P^(2^(i·d))`. Then
//!
//! ```text
//!   P^e = Π_{c = d-1 .. 0} ( acc² · T[ column c of e ] )
//! ```
//!
//! costs `d` squarings and `d` multiplications instead of `bits` squarings plus `bits/4`
//! multiplications for a 4-bit window. With h = 6: 43 + 43 for a 256-bit `b`, 86 + 86 for a
//! 512-bit `u`.
//!
//! [`CombTable::pow_ct`] reads the whole table for every column (constant-time select) and
//! always multiplies, so its timing and memory trace do not depend on the exponent;
//! [`CombTable::pow_vartime`] indexes directly and skips the work for zero columns — only for
//! public exponents.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::{Fe, mont};

/// Teeth of the comb for the fixed generator g (table of 2^6 = 64 entries, 24 KiB of flash).
#[cfg(not(feature = "small-tables"))]
pub(crate) const G_TEETH: u32 = 6;
/// With `small-tables`: 2^4 = 16 entries, 6 KiB of flash, for flash-constrained images; g^b
/// then costs 64 + 64 Montgomery operations instead of 43 + 43 (measured in docs/FIRMWARE.md).
#[cfg(feature = "small-tables")]
pub(crate) const G_TEETH: u32 = 4;
/// Exponent bits covered by the g table (the secret `b` / `a`).
pub(crate) const G_BITS: u32 = 256;
const G_ENTRIES: usize = 1 << G_TEETH;

/// The comb table of g, computed by the compiler (const evaluation of the same Montgomery
/// arithmetic), so it costs nothing at run time and sits in flash on a microcontroller.
#[allow(long_running_const_eval)]
static G_TABLE: [Fe; G_ENTRIES] = build_const_table(
    &Fe::new(&crypto_bigint::U3072::from_u8(super::G)),
    G_BITS,
    G_TEETH,
);

/// The comb table of `g^(2^256)`: with [`G_TABLE`] it covers 512-bit exponents (the client's
/// `x` for `v = g^x`) in 43 squarings and 86 multiplications. Only the client side references
/// it, so device firmware does not link it.
#[allow(long_running_const_eval)]
static G_HI_TABLE: [Fe; G_ENTRIES] = build_const_table(&g_times_2_pow_256(), G_BITS, G_TEETH);

const fn g_times_2_pow_256() -> Fe {
    let mut p = Fe::new(&crypto_bigint::U3072::from_u8(super::G));
    let mut i = 0;
    while i < G_BITS {
        p = p.square();
        i += 1;
    }
    p
}

const fn build_const_table(base: &Fe, bits: u32, teeth: u32) -> [Fe; G_ENTRIES] {
    let spacing = bits.div_ceil(teeth);
    let mut powers = [Fe::ONE; G_TEETH as usize];
    let mut p = *base;
    powers[0] = p;
    let mut i = 1;
    while i < teeth as usize {
        let mut k = 0;
        while k < spacing {
            p = p.square();
            k += 1;
        }
        powers[i] = p;
        i += 1;
    }
    let mut entries = [Fe::ONE; G_ENTRIES];
    let mut j = 1;
    while j < G_ENTRIES {
        let lowest = j.trailing_zeros() as usize;
        let rest = j & (j - 1);
        entries[j] = if rest == 0 {
            powers[lowest]
        } else {
            entries[rest].mul(&powers[lowest])
        };
        j += 1;
    }
    entries
}

#[derive(Clone)]
pub(crate) struct CombTable {
    teeth: u32,
    spacing: u32,
    entries: Cow<'static, [Fe]>,
}

impl CombTable {
    /// The precomputed table of the generator g.
    pub(crate) fn generator() -> Self {
        Self {
            teeth: G_TEETH,
            spacing: G_BITS.div_ceil(G_TEETH),
            entries: Cow::Borrowed(&G_TABLE),
        }
    }

    /// The precomputed table of `g^(2^256)` (the upper half of 512-bit exponents).
    fn generator_high() -> Self {
        Self {
            teeth: G_TEETH,
            spacing: G_BITS.div_ceil(G_TEETH),
            entries: Cow::Borrowed(&G_HI_TABLE),
        }
    }

    /// Precomputes the table for `base` and exponents of up to `bits` bits.
    pub(crate) fn new(base: &Fe, bits: u32, teeth: u32) -> Self {
        let spacing = bits.div_ceil(teeth);
        let mut powers = Vec::with_capacity(teeth as usize);
        let mut p = *base;
        powers.push(p);
        for _ in 1..teeth {
            for _ in 0..spacing {
                p = mont::square(&p);
            }
            powers.push(p);
        }
        let size = 1usize << teeth;
        let mut entries: Vec<Fe> = Vec::with_capacity(size);
        entries.push(Fe::ONE);
        for j in 1..size {
            let lowest = j.trailing_zeros() as usize;
            let rest = j & (j - 1);
            let entry = if rest == 0 {
                powers[lowest]
            } else {
                mont::mul(&entries[rest], &powers[lowest])
            };
            entries.push(entry);
        }
        Self {
            teeth,
            spacing,
            entries: Cow::Owned(entries),
        }
    }

    /// The column `c` of the big-endian exponent: bit `i·d + c` of e becomes bit i.
    /// Positions are public; only the bit values are secret, and they are extracted with
    /// shifts and masks (no branches).
    fn column(&self, exponent_be: &[u8], c: u32) -> u32 {
        let total_bits = 8 * exponent_be.len() as u32;
        let mut idx = 0u32;
        for i in 0..self.teeth {
            let pos = i * self.spacing + c;
            if pos < total_bits {
                let byte = exponent_be[exponent_be.len() - 1 - (pos / 8) as usize];
                idx |= u32::from((byte >> (pos % 8)) & 1) << i;
            }
        }
        idx
    }

    /// `base^e` in constant time with respect to `e` (big-endian, at most `bits` bits).
    pub(crate) fn pow_ct(&self, exponent_be: &[u8]) -> Fe {
        let mut acc = Fe::ONE;
        for c in (0..self.spacing).rev() {
            acc = mont::square(&acc);
            let selected = ct_select(&self.entries, self.column(exponent_be, c));
            acc = mont::mul(&acc, &selected);
        }
        acc
    }

    /// `base^e` for a public exponent (big-endian, at most `bits` bits).
    pub(crate) fn pow_vartime(&self, exponent_be: &[u8]) -> Fe {
        let mut acc = Fe::ONE;
        let mut started = false;
        for c in (0..self.spacing).rev() {
            if started {
                acc = mont::square(&acc);
            }
            let idx = self.column(exponent_be, c) as usize;
            if idx != 0
                && let Some(entry) = self.entries.get(idx)
            {
                acc = if started {
                    mont::mul(&acc, entry)
                } else {
                    *entry
                };
                started = true;
            }
        }
        acc
    }
}

impl Drop for CombTable {
    fn drop(&mut self) {
        // A per-device table is a function of the verifier; wipe it with the verifier. The
        // generator's table is a public constant in flash (borrowed) and is left alone.
        if let Cow::Owned(entries) = &mut self.entries {
            zeroize::Zeroize::zeroize(entries);
        }
    }
}

/// `g^e` for a secret exponent of up to 512 bits (big-endian, 64 bytes), in constant time:
/// the low 256 bits through the g table and the high 256 through the `g^(2^256)` table, one
/// shared squaring per column (43 squarings + 86 multiplications, instead of 512 + 128 for a
/// 4-bit window).
pub(crate) fn pow_g_512_ct(exponent_be: &[u8; 64]) -> Fe {
    let (high, low) = exponent_be.split_at(32);
    let lo_table = CombTable::generator();
    let hi_table = CombTable::generator_high();
    let mut acc = Fe::ONE;
    for c in (0..lo_table.spacing).rev() {
        acc = mont::square(&acc);
        acc = mont::mul(&acc, &ct_select(&lo_table.entries, lo_table.column(low, c)));
        acc = mont::mul(
            &acc,
            &ct_select(&hi_table.entries, hi_table.column(high, c)),
        );
    }
    acc
}

/// `base^e` for a variable base and a public exponent (big-endian bytes), without a stored
/// table: left-to-right sliding window of `WINDOW` bits over a table of the odd powers
/// `base^1, base^3, …, base^(2^WINDOW − 1)` built on the stack per call. For a 512-bit
/// exponent: ≤ 512 squarings + ~86 multiplications + 16 to build the odd powers (5-bit window),
/// against 86 + 86 for the per-device comb, but no 24 KiB table to build and keep.
/// Branches and table indices depend on the exponent: only for public exponents (u).
pub(crate) fn pow_sliding_vartime(base: &Fe, exponent_be: &[u8]) -> Fe {
    const WINDOW: usize = 5;
    const ODD: usize = 1 << (WINDOW - 1);
    let mut odd = [*base; ODD];
    let base_sq = mont::square(base);
    for i in 1..ODD {
        odd[i] = mont::mul(&odd[i - 1], &base_sq);
    }
    let total = 8 * exponent_be.len();
    let bit = |pos: usize| -> u32 {
        // pos counts from the least significant bit; positions are < total by construction.
        let byte = exponent_be
            .get(exponent_be.len() - 1 - pos / 8)
            .copied()
            .unwrap_or(0);
        u32::from((byte >> (pos % 8)) & 1)
    };
    let mut acc = Fe::ONE;
    let mut started = false;
    let mut i = total;
    while i > 0 {
        let top = i - 1;
        if bit(top) == 0 {
            if started {
                acc = mont::square(&acc);
            }
            i -= 1;
            continue;
        }
        // The longest window ≤ WINDOW bits starting at `top` that ends in a 1 bit.
        let mut low = top.saturating_sub(WINDOW - 1);
        while bit(low) == 0 {
            low += 1;
        }
        let mut value = 0usize;
        for pos in (low..=top).rev() {
            value = (value << 1) | bit(pos) as usize;
            if started {
                acc = mont::square(&acc);
            }
        }
        let entry = odd.get(value >> 1).unwrap_or(base);
        acc = if started {
            mont::mul(&acc, entry)
        } else {
            *entry
        };
        started = true;
        i = low;
    }
    acc
}

/// `entries[idx]`, reading every entry (constant-time select; `idx` is secret).
fn ct_select(entries: &[Fe], idx: u32) -> Fe {
    mont::ct_select(entries, idx)
}

/// `base^e` for a variable base and a secret exponent (big-endian bytes): fixed 4-bit
/// windows, a 16-entry table, constant-time table scan, always 4 squarings + 1 multiplication
/// per window (for 256 bits: 252 + 64, plus 14 to build the table).
pub(crate) fn pow_window_ct(base: &Fe, exponent_be: &[u8]) -> Fe {
    let mut table = [Fe::ONE; 16];
    table[1] = *base;
    for i in 2..16 {
        table[i] = mont::mul(&table[i - 1], base);
    }
    let mut acc = Fe::ONE;
    for (k, byte) in exponent_be.iter().enumerate() {
        for (h, nibble) in [byte >> 4, byte & 0x0f].into_iter().enumerate() {
            if k > 0 || h > 0 {
                for _ in 0..4 {
                    acc = mont::square(&acc);
                }
            }
            acc = mont::mul(&acc, &ct_select(&table, u32::from(nibble)));
        }
    }
    acc
}

/// `base^e` for a variable base and a long secret exponent (big-endian bytes): fixed 5-bit
/// windows from the most significant bit, a 32-entry table (even entries by squaring),
/// constant-time table scan, always 5 squarings + 1 multiplication per window. For the
/// client's ≤ 1025-bit `a + u·x` (129 bytes): 1035 squarings + 219 multiplications, against
/// 1031 + 263 with 4-bit windows.
pub(crate) fn pow_window5_ct(base: &Fe, exponent_be: &[u8]) -> Fe {
    const W: usize = 5;
    let mut table = [Fe::ONE; 1 << W];
    table[1] = *base;
    for i in 2..table.len() {
        table[i] = if i % 2 == 0 {
            mont::square(&table[i / 2])
        } else {
            mont::mul(&table[i - 1], base)
        };
    }
    let total = 8 * exponent_be.len();
    // Bit `pos` (from the least significant end); positions are public.
    let bit = |pos: usize| -> u32 {
        let byte = exponent_be
            .get(exponent_be.len() - 1 - pos / 8)
            .copied()
            .unwrap_or(0);
        u32::from((byte >> (pos % 8)) & 1)
    };
    let mut acc = Fe::ONE;
    // The first window takes the leftover top bits so the rest are whole.
    let mut top = total;
    let mut width = match total % W {
        0 => W,
        r => r,
    };
    let mut first = true;
    while top > 0 {
        let mut idx = 0u32;
        for pos in (top - width..top).rev() {
            idx = (idx << 1) | bit(pos);
        }
        if !first {
            for _ in 0..width {
                acc = mont::square(&acc);
            }
        }
        acc = mont::mul(&acc, &ct_select(&table, idx));
        first = false;
        top -= width;
        width = W;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_bigint::{U256, U3072};

    #[test]
    fn const_generator_table_matches_runtime_build() {
        let g = Fe::new(&U3072::from_u8(crate::srp::G));
        let runtime = CombTable::new(&g, G_BITS, G_TEETH);
        let constant = CombTable::generator();
        assert_eq!(runtime.entries.len(), constant.entries.len());
        for (a, b) in runtime.entries.iter().zip(constant.entries.iter()) {
            assert_eq!(a.retrieve(), b.retrieve());
        }
    }

    #[test]
    fn long_exponents_match_plain_pow() {
        let g = Fe::new(&U3072::from_u8(crate::srp::G));
        let mut x = [0u8; 64];
        for (i, b) in x.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(53).wrapping_add(7);
        }
        x[0] = 0xff;
        let wide = crypto_bigint::U512::from_be_slice(&x);
        assert_eq!(pow_g_512_ct(&x).retrieve(), g.pow(&wide).retrieve());
        assert_eq!(pow_g_512_ct(&[0u8; 64]).retrieve(), U3072::ONE);
        let base = Fe::new(&U3072::from_u64(0x0123_4567_89ab_cdef));
        for len in [1usize, 2, 5, 32, 129] {
            let mut e = alloc::vec![0u8; len];
            for (i, b) in e.iter_mut().enumerate() {
                *b = (i as u8).wrapping_mul(97).wrapping_add(29);
            }
            let mut padded = [0u8; 256];
            padded[256 - len..].copy_from_slice(&e);
            let expect = base.pow(&crypto_bigint::U2048::from_be_slice(&padded));
            assert_eq!(
                pow_window5_ct(&base, &e).retrieve(),
                expect.retrieve(),
                "{len}"
            );
        }
        assert_eq!(pow_window5_ct(&base, &[0u8; 129]).retrieve(), U3072::ONE);
    }

    #[test]
    fn comb_matches_plain_pow() {
        let base = Fe::new(&U3072::from_u64(0x1234_5678_9abc_def1));
        let table = CombTable::new(&base, 256, 6);
        let mut e = [0u8; 32];
        for (i, b) in e.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        let expect = base.pow(&U256::from_be_slice(&e));
        assert_eq!(table.pow_ct(&e).retrieve(), expect.retrieve());
        assert_eq!(pow_window_ct(&base, &e).retrieve(), expect.retrieve());
        assert_eq!(pow_window_ct(&base, &[0u8; 32]).retrieve(), U3072::ONE);
        assert_eq!(table.pow_vartime(&e).retrieve(), expect.retrieve());
        assert_eq!(pow_sliding_vartime(&base, &e).retrieve(), expect.retrieve());
        assert_eq!(
            pow_sliding_vartime(&base, &[0u8; 64]).retrieve(),
            U3072::ONE
        );
        let mut u = [0u8; 64];
        for (i, b) in u.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(91).wrapping_add(3);
        }
        u[0] = 0x80;
        u[63] = 0x01;
        let wide = crypto_bigint::U512::from_be_slice(&u);
        assert_eq!(
            pow_sliding_vartime(&base, &u).retrieve(),
            base.pow(&wide).retrieve()
        );
        let zero = [0u8; 32];
        assert_eq!(table.pow_ct(&zero).retrieve(), U3072::ONE);
        assert_eq!(table.pow_vartime(&zero).retrieve(), U3072::ONE);
    }
}
