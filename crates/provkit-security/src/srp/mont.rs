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
use crypto_bigint::{U3072, Uint, WideWord, Word};

use super::{Fe, Rfc5054Group3072};

const L: usize = U3072::LIMBS;

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

/// Returns `t − N` if `hi:t ≥ N`, else `t` (for `hi:t < 2N`), without branching on the value.
#[inline(always)]
fn final_subtract(t: &[Word], hi: Word) -> [Word; L] {
    let n = modulus();
    let mut d = [0 as Word; L];
    let mut borrow: Word = 0;
    for j in 0..L {
        let (s1, b1) = t[j].overflowing_sub(n[j]);
        let (s2, b2) = s1.overflowing_sub(borrow);
        d[j] = s2;
        borrow = (b1 | b2) as Word;
    }
    // Keep the difference when there was a carry out (hi = 1) or no borrow.
    let keep_diff = hi | (borrow ^ 1);
    let mask = keep_diff.wrapping_neg();
    let mut out = [0 as Word; L];
    for j in 0..L {
        out[j] = (d[j] & mask) | (t[j] & !mask);
    }
    out
}

fn words(x: &Fe) -> &[Word; L] {
    x.as_montgomery().as_words()
}

fn from_words(w: [Word; L]) -> Fe {
    Fe::from_montgomery(Uint::from_words(w))
}

/// `a + b·c + carry` as (low word, high word); cannot overflow the double word.
#[inline(always)]
fn mac(a: Word, b: Word, c: Word, carry: Word) -> (Word, Word) {
    let t = (a as WideWord) + (b as WideWord) * (c as WideWord) + (carry as WideWord);
    (t as Word, (t >> Word::BITS) as Word)
}

/// `dst[j] += x[j]·y` for all j, returning the carry out. Unrolled by four (L is a multiple
/// of four on both word sizes) to cut the loop overhead, which is a third of a scalar step.
#[inline(always)]
fn mac_row(dst: &mut [Word], x: &[Word], y: Word) -> Word {
    let mut c: Word = 0;
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

/// Montgomery reduction of a 2L-word value below N·R: `p·R⁻¹ mod N`, one `m·N` row per word,
/// each row added in place (no shifting), then the top half with one final subtraction.
fn reduce(p: &mut [Word; 2 * L]) -> Fe {
    let (n, n0) = (modulus(), n0_inv());
    let mut carry_hi: Word = 0;
    for i in 0..L {
        let (window, above) = p[i..].split_at_mut(L);
        let m = window[0].wrapping_mul(n0);
        let c = mac_row(window, n, m);
        if let Some(next) = above.first_mut() {
            let (s1, o1) = next.overflowing_add(c);
            let (s2, o2) = s1.overflowing_add(carry_hi);
            *next = s2;
            carry_hi = (o1 | o2) as Word;
        }
    }
    from_words(final_subtract(&p[L..], carry_hi))
}

/// Montgomery product `a·b·R⁻¹ mod N`: the full 2L-word product row by row, then [`reduce`].
pub(crate) fn mul(a: &Fe, b: &Fe) -> Fe {
    let (a, b) = (words(a), words(b));
    let mut p = [0 as Word; 2 * L];
    for (i, &bi) in b.iter().enumerate() {
        let row = &mut p[i..];
        let c = mac_row(&mut row[..L], a, bi);
        if let Some(next) = row.get_mut(L) {
            *next = c;
        }
    }
    reduce(&mut p)
}

/// Montgomery square `a²·R⁻¹ mod N`: the cross products a[i]·a[j] (i < j) once, doubled,
/// plus the diagonal, then [`reduce`].
pub(crate) fn square(a: &Fe) -> Fe {
    let a = words(a);
    let mut p = [0 as Word; 2 * L];
    for (i, &ai) in a.iter().enumerate() {
        let row = &mut p[2 * i + 1..];
        let c = mac_row(&mut row[..L - i - 1], &a[i + 1..], ai);
        if let Some(next) = row.get_mut(L - i - 1) {
            *next = c;
        }
    }
    let mut top: Word = 0;
    for w in p.iter_mut() {
        let next = *w >> (Word::BITS - 1);
        *w = (*w << 1) | top;
        top = next;
    }
    let mut c: Word = 0;
    for (pair, &ai) in p.chunks_exact_mut(2).zip(a.iter()) {
        let (lo, hi) = mac(pair[0], ai, ai, c);
        pair[0] = lo;
        let (s, o) = pair[1].overflowing_add(hi);
        pair[1] = s;
        c = o as Word;
    }
    reduce(&mut p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_crypto_bigint() {
        let n = U3072::from_be_hex(concat!(
            "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74",
            "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437",
            "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed",
            "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05",
            "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb",
            "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b",
            "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718",
            "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33",
            "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7",
            "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864",
            "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2",
            "08e24fa074e5ab3143db5bfce0fd108e4b82d120a93ad2cafffffffffffffffe"
        ));
        // Edge values: N − 1 (the largest element), 1, small, and a chain of mixed values.
        let mut xs = [
            Fe::new(&n),
            Fe::new(&U3072::ONE),
            Fe::new(&U3072::from_u64(0xdead_beef)),
            Fe::ONE,
        ];
        let mut y = Fe::new(&U3072::from_u64(0x1234_5678_9abc_def0));
        for _ in 0..40 {
            for x in xs.iter_mut() {
                assert_eq!(mul(x, &y).retrieve(), x.mul(&y).retrieve());
                assert_eq!(square(x).retrieve(), x.square().retrieve());
                *x = square(&mul(x, &y));
            }
            y = y.square().add(&Fe::ONE);
        }
        let n_minus_1 = Fe::new(&n);
        assert_eq!(square(&n_minus_1).retrieve(), U3072::ONE);
    }
}
