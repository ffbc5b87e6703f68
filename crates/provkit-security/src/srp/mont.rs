//! Montgomery multiplication and squaring specialised to the one 3072-bit modulus.
//!
//! crypto-bigint's generic `ConstMontyForm::mul`/`square` cost ~46 k x86-64 instructions each
//! at this size; the device handshake does ~600 of them. Here: row-wise (operand scanning)
//! multiply-accumulate unrolled by four, since a third of a plain word step was loop
//! overhead; a dedicated squaring that computes each cross product once; the modulus and
//! `-N⁻¹ mod 2^w` as compile-time constants. (Product scanning with interleaved reduction was
//! tried and measured slower: its column loops have variable length and do not unroll.)
//! Values stay in crypto-bigint's Montgomery representation (same R, same words), so both can
//! be mixed freely.
//!
//! Constant time: every loop has a fixed trip count, carries are computed arithmetically, and
//! the final conditional subtraction is a mask select — no branch or index depends on data.

use crypto_bigint::modular::ConstMontyParams;
use crypto_bigint::{U3072, Uint, Word};

use super::{Fe, Rfc5054Group3072};

const L: usize = U3072::LIMBS;

/// The word-level arithmetic, written once and instantiated per word size: for the target's
/// `Word` below, and in the tests also for the other size, so the 32-bit code the
/// microcontrollers run is checked on the 64-bit host too.
macro_rules! word_arith {
    ($module:ident, $w:ty, $dw:ty) => {
        pub(crate) mod $module {
            /// Words in a 3072-bit number.
            pub(crate) const L: usize = 3072 / <$w>::BITS as usize;

            /// Returns `t − N` if `hi:t ≥ N`, else `t` (for `hi:t < 2N`), without branching
            /// on the value.
            #[inline(always)]
            fn final_subtract(t: &[$w], hi: $w, n: &[$w; L]) -> [$w; L] {
                let mut d = [0 as $w; L];
                let mut borrow: $w = 0;
                for ((dj, &tj), &nj) in d.iter_mut().zip(t).zip(n) {
                    let (s1, b1) = tj.overflowing_sub(nj);
                    let (s2, b2) = s1.overflowing_sub(borrow);
                    *dj = s2;
                    borrow = (b1 | b2) as $w;
                }
                // Keep the difference when there was a carry out (hi = 1) or no borrow.
                let mask = (hi | (borrow ^ 1)).wrapping_neg();
                let mut out = [0 as $w; L];
                for ((o, &dj), &tj) in out.iter_mut().zip(&d).zip(t) {
                    *o = (dj & mask) | (tj & !mask);
                }
                out
            }

            /// `a + b·c + carry` as (low word, high word); cannot overflow the double word.
            #[inline(always)]
            fn mac(a: $w, b: $w, c: $w, carry: $w) -> ($w, $w) {
                let t = (a as $dw) + (b as $dw) * (c as $dw) + (carry as $dw);
                (t as $w, (t >> <$w>::BITS) as $w)
            }

            /// `dst[j] += x[j]·y` for all j, returning the carry out. Unrolled by four: a third
            /// of a plain word step was loop overhead.
            #[inline(always)]
            fn mac_row(dst: &mut [$w], x: &[$w], y: $w) -> $w {
                let mut c: $w = 0;
                for (d, s) in dst.chunks_exact_mut(4).zip(x.chunks_exact(4)) {
                    (d[0], c) = mac(d[0], s[0], y, c);
                    (d[1], c) = mac(d[1], s[1], y, c);
                    (d[2], c) = mac(d[2], s[2], y, c);
                    (d[3], c) = mac(d[3], s[3], y, c);
                }
                for (d, &s) in dst
                    .chunks_exact_mut(4)
                    .into_remainder()
                    .iter_mut()
                    .zip(x.chunks_exact(4).remainder())
                {
                    (*d, c) = mac(*d, s, y, c);
                }
                c
            }

            /// Montgomery reduction of a 2L-word value below N·R: one `m·N` row per word,
            /// added in place (no shifting), then the top half with one final subtraction.
            fn reduce(p: &mut [$w; 2 * L], n: &[$w; L], n0: $w) -> [$w; L] {
                let mut carry_hi: $w = 0;
                for i in 0..L {
                    let (window, above) = p[i..].split_at_mut(L);
                    let m = window[0].wrapping_mul(n0);
                    let c = mac_row(window, n, m);
                    if let Some(next) = above.first_mut() {
                        let (s1, o1) = next.overflowing_add(c);
                        let (s2, o2) = s1.overflowing_add(carry_hi);
                        *next = s2;
                        carry_hi = (o1 | o2) as $w;
                    }
                }
                final_subtract(&p[L..], carry_hi, n)
            }

            /// `a·b·R⁻¹ mod N`: the full 2L-word product row by row, then `reduce`.
            pub(crate) fn mul(a: &[$w; L], b: &[$w; L], n: &[$w; L], n0: $w) -> [$w; L] {
                let mut p = [0 as $w; 2 * L];
                for (i, &bi) in b.iter().enumerate() {
                    let row = &mut p[i..];
                    let c = mac_row(&mut row[..L], a, bi);
                    if let Some(next) = row.get_mut(L) {
                        *next = c;
                    }
                }
                reduce(&mut p, n, n0)
            }

            /// `a²·R⁻¹ mod N`: each cross product a[i]·a[j] (i < j) once, doubled, plus the
            /// diagonal, then `reduce`.
            pub(crate) fn square(a: &[$w; L], n: &[$w; L], n0: $w) -> [$w; L] {
                let mut p = [0 as $w; 2 * L];
                for (i, &ai) in a.iter().enumerate() {
                    let row = &mut p[2 * i + 1..];
                    let c = mac_row(&mut row[..L - i - 1], &a[i + 1..], ai);
                    if let Some(next) = row.get_mut(L - i - 1) {
                        *next = c;
                    }
                }
                let mut top: $w = 0;
                for w in p.iter_mut() {
                    let next = *w >> (<$w>::BITS - 1);
                    *w = (*w << 1) | top;
                    top = next;
                }
                let mut c: $w = 0;
                for (pair, &ai) in p.chunks_exact_mut(2).zip(a.iter()) {
                    let (lo, hi) = mac(pair[0], ai, ai, c);
                    pair[0] = lo;
                    let (s, o) = pair[1].overflowing_add(hi);
                    pair[1] = s;
                    c = o as $w;
                }
                reduce(&mut p, n, n0)
            }
        }
    };
}

word_arith!(native, crypto_bigint::Word, crypto_bigint::WideWord);

const _: () = assert!(native::L == L, "crypto-bigint limbs are the target word");

fn modulus() -> &'static [Word; L] {
    <Rfc5054Group3072 as ConstMontyParams<L>>::PARAMS
        .modulus()
        .as_ref()
        .as_words()
}

fn n0_inv() -> Word {
    <Rfc5054Group3072 as ConstMontyParams<L>>::PARAMS
        .mod_neg_inv()
        .0
}

fn words(x: &Fe) -> &[Word; L] {
    x.as_montgomery().as_words()
}

fn from_words(w: [Word; L]) -> Fe {
    Fe::from_montgomery(Uint::from_words(w))
}

/// Montgomery product `a·b·R⁻¹ mod N` of two elements (constant time).
pub(crate) fn mul(a: &Fe, b: &Fe) -> Fe {
    from_words(native::mul(words(a), words(b), modulus(), n0_inv()))
}

/// Montgomery square `a²·R⁻¹ mod N` (constant time).
pub(crate) fn square(a: &Fe) -> Fe {
    from_words(native::square(words(a), modulus(), n0_inv()))
}

/// `entries[idx]` in constant time: every word of every entry is read and masked, the mask
/// coming from `subtle`'s optimisation-opaque equality, so neither the memory trace nor the
/// timing depends on `idx`. Working on raw words is ~5× cheaper than `ConditionallySelectable`
/// on the whole element, which matters because the comb scans 64 entries per column. `idx`
/// must be below `entries.len()` (all callers index tables of `2^bits` entries with a
/// `bits`-bit value); otherwise the result is zero.
pub(crate) fn ct_select(entries: &[Fe], idx: u32) -> Fe {
    use subtle::ConstantTimeEq;
    let mut out = [0 as Word; L];
    for (j, entry) in entries.iter().enumerate() {
        let hit = (j as u32).ct_eq(&idx);
        let mask = Word::from(hit.unwrap_u8()).wrapping_neg();
        for (o, &w) in out.iter_mut().zip(words(entry)) {
            *o |= w & mask;
        }
    }
    from_words(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    word_arith!(w32, u32, u64);

    /// Splits 64-bit words into the 32-bit words of the same number (little-endian order).
    fn to32(x: &[u64]) -> [u32; w32::L] {
        let mut out = [0u32; w32::L];
        for (pair, &w) in out.chunks_exact_mut(2).zip(x) {
            pair[0] = w as u32;
            pair[1] = (w >> 32) as u32;
        }
        out
    }

    fn test_values() -> Vec<Fe> {
        let n = *modulus_words_u3072();
        let n_minus_1 = n.wrapping_sub(&U3072::ONE);
        let mut xs = alloc::vec![
            Fe::new(&n_minus_1),
            Fe::new(&U3072::ONE),
            Fe::new(&U3072::from_u64(0xdead_beef)),
            Fe::ONE,
        ];
        let mut y = Fe::new(&U3072::from_u64(0x1234_5678_9abc_def0));
        for _ in 0..30 {
            y = y.square().add(&Fe::ONE);
            xs.push(y);
        }
        xs
    }

    fn modulus_words_u3072() -> &'static U3072 {
        <Rfc5054Group3072 as ConstMontyParams<L>>::PARAMS
            .modulus()
            .as_ref()
    }

    #[test]
    fn matches_crypto_bigint() {
        let xs = test_values();
        for x in &xs {
            for y in &xs {
                assert_eq!(mul(x, y).retrieve(), x.mul(y).retrieve());
            }
            assert_eq!(square(x).retrieve(), x.square().retrieve());
        }
        // (N − 1)² ≡ 1.
        let n_minus_1 = Fe::new(&modulus_words_u3072().wrapping_sub(&U3072::ONE));
        assert_eq!(square(&n_minus_1).retrieve(), U3072::ONE);
    }

    /// The 32-bit instantiation (what thumbv7em / riscv32 run) gives the same words.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn thirty_two_bit_words_agree() {
        let n = to32(modulus().as_slice());
        let n0 = n0_inv() as u32;
        let xs = test_values();
        for x in &xs {
            let x32 = to32(words(x).as_slice());
            for y in &xs {
                let expect = to32(words(&x.mul(y)).as_slice());
                assert_eq!(w32::mul(&x32, &to32(words(y).as_slice()), &n, n0), expect);
            }
            assert_eq!(
                w32::square(&x32, &n, n0),
                to32(words(&x.square()).as_slice())
            );
        }
    }
}
