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
//! On RV32 (ESP32-C2/C3/C6) the arithmetic is shaped differently (`two_digit`, with an
//! assembly kernel in `rv32`): a 32-bit core without a 64-bit multiply and without a carry
//! flag pays for every load, store and carry word, so rows multiply by four words at once and
//! the Montgomery steps clear 128 bits at a time (`docs/PERFORMANCE.md`, RV32 section).
//!
//! Constant time: every loop has a fixed trip count, carries are computed arithmetically, and
//! the final conditional subtraction is a mask select (the mask through `black_box`, or LLVM
//! turns the select back into a branch) — no branch or index depends on data. `cargo xtask
//! ct-check` checks this under valgrind (x86-64) and by control-flow traces under QEMU (RV32).

use crypto_bigint::modular::ConstMontyParams;
use crypto_bigint::{U3072, Uint, Word};

use super::{Fe, Rfc5054Group3072};

const L: usize = U3072::LIMBS;

/// The word-level arithmetic, written once and instantiated per word size: for the target's
/// `Word` below, and in the tests also for the other size, so the 32-bit code the
/// microcontrollers run is checked on the 64-bit host too. (RV32 runs `two_digit` instead.)
#[cfg_attr(target_arch = "riscv32", allow(unused_macros))]
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
                // `black_box`: without it LLVM turns this select into a branch on the mask (seen
                // on x86-64: `je` around the copy), which would leak whether t ≥ N.
                let mask = core::hint::black_box((hi | (borrow ^ 1)).wrapping_neg());
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

// Everything but RV32 (x86-64 hosts, thumbv7em): the word-by-word rows. (The two-row shape
// below was measured on x86-64 too and was slower there: `mul` already yields 128 bits and
// `adc` carries for free, so what a second row saves on RV32 it costs in register moves.)
#[cfg(not(target_arch = "riscv32"))]
word_arith!(native, crypto_bigint::Word, crypto_bigint::WideWord);

/// On RV32 (ESP32-C2/C3/C6) the four-word-row algorithm [`two_digit`] with the assembly
/// kernel.
#[cfg(target_arch = "riscv32")]
mod native {
    use super::N_WORDS32;
    use super::two_digit::{self, L32};

    pub(crate) const L: usize = L32;

    pub(crate) fn mul(a: &[u32; L], b: &[u32; L], _n: &[u32; L], _n0: u32) -> [u32; L] {
        two_digit::mul::<super::rv32::AsmKernel>(a, b, &N_WORDS32)
    }

    pub(crate) fn square(a: &[u32; L], _n: &[u32; L], _n0: u32) -> [u32; L] {
        two_digit::square::<super::rv32::AsmKernel>(a, &N_WORDS32)
    }
}

/// `−N⁻¹ mod 2^128`, the multiplier of a 128-bit Montgomery step. Its low 64 bits are 1:
/// N ≡ −1 (mod 2^64) because RFC 3526 forces the low 64 bits of its primes to 1.
#[cfg(any(target_arch = "riscv32", test))]
const N_NEG_INV_128: u128 = {
    let n = words32(
        <Rfc5054Group3072 as ConstMontyParams<L>>::PARAMS
            .modulus()
            .as_ref()
            .as_words(),
    );
    let n128 = (n[0] as u128) | (n[1] as u128) << 32 | (n[2] as u128) << 64 | (n[3] as u128) << 96;
    // Newton's iteration doubles the correct low bits: N⁻¹ ≡ −1 (mod 2^64) to start.
    let mut inv = u128::MAX;
    inv = inv.wrapping_mul(2u128.wrapping_sub(n128.wrapping_mul(inv)));
    assert!(n128.wrapping_mul(inv) == 1);
    let neg = inv.wrapping_neg();
    assert!(neg as u64 == 1);
    neg
};

/// N in 32-bit words, least significant first.
#[cfg(any(target_arch = "riscv32", test))]
pub(crate) const N_WORDS32: [u32; 96] = words32(
    <Rfc5054Group3072 as ConstMontyParams<L>>::PARAMS
        .modulus()
        .as_ref()
        .as_words(),
);

/// Crypto-bigint's words (32 or 64 bits) as 32-bit words, least significant first.
#[cfg(any(target_arch = "riscv32", test))]
// The cast narrows 64-bit words and is a no-op where `Word` is already `u32`.
#[allow(clippy::unnecessary_cast)]
const fn words32(w: &[Word; L]) -> [u32; 96] {
    let mut out = [0u32; 96];
    let per = (Word::BITS / 32) as usize;
    let mut i = 0;
    while i < 96 {
        out[i] = (w[i / per] >> (32 * (i % per))) as u32;
        i += 1;
    }
    out
}

/// Montgomery multiplication for 32-bit cores in two-word (64-bit) digits.
///
/// A 32-bit core without a 64-bit multiply gets a 32×32→64 product from `mul` + `mulhu`, and
/// has no carry flag: every word added costs an `add` and an `sltu`. What decides the speed is
/// how many loads, stores and carry words each product drags along, so the one kernel,
/// [`Kernel::addmul_2`], multiplies a row by *two* words at once (`d += x·(y0 + 2³²·y1)`):
/// each word of `x` and `d` is loaded and `d` stored once per two products, and the carry
/// between columns is two words. Everything is built from it:
///
/// * `mul`: 48 double rows of `a·b` (9 216 products), then `reduce`;
/// * `square`: each cross product `a[i]·a[j]` (i < j) once in 48 shrinking double rows (4 560
///   products), doubled, plus the diagonal, then `reduce`;
/// * `reduce`: 48 Montgomery steps by 2^64. N ≡ −1 (mod 2^64) makes the step's multiplier the
///   two low words themselves and its row `(N + 1)/2^64`, 94 words (9 024 products).
///
/// Constant time: the kernel has no data-dependent branch (its loop runs a fixed, public
/// number of times; carries come from `sltu`), and every loop here has a public trip count.
#[cfg(any(target_arch = "riscv32", test))]
pub(crate) mod two_digit {
    /// 32-bit words in a 3072-bit number.
    pub(crate) const L32: usize = 96;

    /// The row operation, in assembly on RV32 and in portable Rust elsewhere (host tests).
    pub(crate) trait Kernel {
        /// `d + x·(y0 + 2³²·y1) + (c0 + 2³²·c1)` over `n = min(d.len(), x.len())` words: the
        /// low `n` words go back to `d`, the two words above are returned. Never overflows:
        /// the sum is below `2^(32(n+2))`.
        fn addmul_2(d: &mut [u32], x: &[u32], y0: u32, y1: u32, c0: u32, c1: u32) -> (u32, u32);

        /// `d + x·y + c` with four-word `y` and `c` over `n = min(d.len(), x.len())` words:
        /// the low `n` words go back to `d`, the four words above are returned (the sum is
        /// below `2^(32(n+4))`). Loads and stores each word once per four products.
        fn addmul_4(d: &mut [u32], x: &[u32], y: [u32; 4], c: [u32; 4]) -> [u32; 4];
    }

    /// The reference kernel: two 32×32→64 multiply-adds per word in `u64`.
    #[cfg_attr(target_arch = "riscv32", allow(dead_code))]
    pub(crate) struct PortableKernel;

    impl Kernel for PortableKernel {
        #[inline(always)]
        fn addmul_2(
            d: &mut [u32],
            x: &[u32],
            y0: u32,
            y1: u32,
            mut c0: u32,
            mut c1: u32,
        ) -> (u32, u32) {
            for (dj, &xj) in d.iter_mut().zip(x) {
                // x·y0 + d + c0 ≤ (2³²−1)² + 2(2³²−1) = 2⁶⁴ − 1, and likewise below.
                let p0 = u64::from(xj) * u64::from(y0) + u64::from(*dj) + u64::from(c0);
                *dj = p0 as u32;
                let p1 = u64::from(xj) * u64::from(y1) + u64::from(c1) + (p0 >> 32);
                c0 = p1 as u32;
                c1 = (p1 >> 32) as u32;
            }
            (c0, c1)
        }

        #[inline(always)]
        fn addmul_4(d: &mut [u32], x: &[u32], y: [u32; 4], mut c: [u32; 4]) -> [u32; 4] {
            for (dj, &xj) in d.iter_mut().zip(x) {
                // Column j gets d + c0 + lo(x·y0); column j+k gets c_k + hi(x·y_{k−1}) +
                // lo(x·y_k); each partial sum fits in 64 bits as in `addmul_2`.
                let p = u64::from(xj) * u64::from(y[0]) + u64::from(*dj) + u64::from(c[0]);
                *dj = p as u32;
                let mut up = p >> 32;
                for k in 1..4 {
                    let q = u64::from(xj) * u64::from(y[k]) + u64::from(c[k]) + up;
                    c[k - 1] = q as u32;
                    up = q >> 32;
                }
                c[3] = up as u32;
            }
            c
        }
    }

    /// Returns `t − N` if `hi:t ≥ N`, else `t` (for `hi:t < 2N`), without branching on the
    /// value.
    #[inline(always)]
    fn final_subtract(t: &[u32], hi: u32, n: &[u32; L32]) -> [u32; L32] {
        let mut d = [0u32; L32];
        let mut borrow = 0u32;
        for ((dj, &tj), &nj) in d.iter_mut().zip(t).zip(n) {
            let (s1, b1) = tj.overflowing_sub(nj);
            let (s2, b2) = s1.overflowing_sub(borrow);
            *dj = s2;
            borrow = u32::from(b1 | b2);
        }
        // Keep the difference when there was a carry out (hi = 1) or no borrow.
        // `black_box`: without it LLVM turns this select into a branch on the mask (seen
        // on x86-64: `je` around the copy), which would leak whether t ≥ N.
        let mask = core::hint::black_box((hi | (borrow ^ 1)).wrapping_neg());
        let mut out = [0u32; L32];
        for ((o, &dj), &tj) in out.iter_mut().zip(&d).zip(t) {
            *o = (dj & mask) | (tj & !mask);
        }
        out
    }

    /// `−N⁻¹ mod 2^128` as four 32-bit words (low two: 1 and 0).
    const N_NEG_INV_128: [u32; 4] = [
        super::N_NEG_INV_128 as u32,
        (super::N_NEG_INV_128 >> 32) as u32,
        (super::N_NEG_INV_128 >> 64) as u32,
        (super::N_NEG_INV_128 >> 96) as u32,
    ];

    /// Montgomery reduction `p·R⁻¹ mod N` of `p < N·R` in 24 steps of 128 bits: each adds
    /// `m·N` with `m = (p mod 2^128)·(−N⁻¹) mod 2^128`, which clears four words.
    fn reduce<K: Kernel>(p: &mut [u32; 2 * L32], n: &[u32; L32]) -> [u32; L32] {
        let k = N_NEG_INV_128;
        // The carry bit into word i + L32 of step i (at most one: every partial sum is < 2NR).
        let mut carry = 0u32;
        for i in (0..L32).step_by(4) {
            let (row, above) = p[i..].split_at_mut(L32);
            // m = t + 2^64·((t mod 2^64)·(k2 + 2^32·k3) mod 2^64) mod 2^128, as k0 = 1, k1 = 0.
            let (t0, t1) = (row[0], row[1]);
            let low = u64::from(t0) * u64::from(k[2]);
            let high = ((low >> 32) as u32)
                .wrapping_add(t0.wrapping_mul(k[3]))
                .wrapping_add(t1.wrapping_mul(k[2]));
            let (m2, o) = row[2].overflowing_add(low as u32);
            let m3 = row[3].wrapping_add(high).wrapping_add(u32::from(o));
            let r = K::addmul_4(row, n, [t0, t1, m2, m3], [0; 4]);
            let mut c = carry;
            for (a, &rj) in above.iter_mut().zip(&r) {
                let (s1, o1) = a.overflowing_add(rj);
                let (s2, o2) = s1.overflowing_add(c);
                *a = s2;
                c = u32::from(o1 | o2);
            }
            carry = c;
        }
        final_subtract(&p[L32..], carry, n)
    }

    /// `a·b·R⁻¹ mod N`.
    pub(crate) fn mul<K: Kernel>(a: &[u32; L32], b: &[u32; L32], n: &[u32; L32]) -> [u32; L32] {
        let mut p = [0u32; 2 * L32];
        for (i, quad) in b.chunks_exact(4).enumerate() {
            let (row, above) = p[4 * i..].split_at_mut(L32);
            let r = K::addmul_4(row, a, [quad[0], quad[1], quad[2], quad[3]], [0; 4]);
            // Nothing has been written above this row yet.
            above[..4].copy_from_slice(&r);
        }
        reduce::<K>(&mut p, n)
    }

    /// `a²·R⁻¹ mod N`.
    pub(crate) fn square<K: Kernel>(a: &[u32; L32], n: &[u32; L32]) -> [u32; L32] {
        let mut p = [0u32; 2 * L32];
        for (q, quad) in a.chunks_exact(4).enumerate() {
            let i = 4 * q;
            let (q0, q1, q2, q3) = (quad[0], quad[1], quad[2], quad[3]);
            // Inside the quad: q0·q1 at word 2i+1, then q0, q1 times q2, q3 from word 2i+2,
            // then q2·q3 at word 2i+5 ...
            let (head, tail) = p.split_at_mut(2 * i + 2);
            let first = u64::from(q0) * u64::from(q1);
            let (lo, k) = head[2 * i + 1].overflowing_add(first as u32);
            head[2 * i + 1] = lo;
            let c0 = (first >> 32) as u32 + u32::from(k);
            let (r0, r1) = K::addmul_2(&mut tail[..2], &[q2, q3], q0, q1, c0, 0);
            // ... which, with the two words above that double row, is the carry into word
            // 2i+4 of the quad row: the quad times a[i+4..].
            let last = u64::from(q2) * u64::from(q3);
            let mid = u64::from(r1) + (last & 0xffff_ffff);
            let top = (last >> 32) + (mid >> 32);
            let carry_in = [r0, mid as u32, top as u32, (top >> 32) as u32];
            let row = &mut tail[2..];
            let (row, above) = row.split_at_mut(L32 - i - 4);
            let r = K::addmul_4(row, &a[i + 4..], [q0, q1, q2, q3], carry_in);
            // Nothing has been written above this row yet.
            above[..4].copy_from_slice(&r);
        }
        // Double the cross products and add the diagonal a[i]², in one pass.
        let mut shifted_out = 0u32;
        let mut carry = 0u64;
        for (pair, &ai) in p.chunks_exact_mut(2).zip(a) {
            let (lo, hi) = (pair[0], pair[1]);
            let lo2 = (lo << 1) | shifted_out;
            let hi2 = (hi << 1) | (lo >> 31);
            shifted_out = hi >> 31;
            let sq = u64::from(ai) * u64::from(ai);
            let t0 = u64::from(lo2) + (sq & 0xffff_ffff) + carry;
            pair[0] = t0 as u32;
            let t1 = u64::from(hi2) + (sq >> 32) + (t0 >> 32);
            pair[1] = t1 as u32;
            carry = t1 >> 32;
        }
        reduce::<K>(&mut p, n)
    }
}

/// The RV32 kernel: `addmul_2` in assembly, `mul`/`mulhu` for the products and `sltu` for
/// the carries, so the instruction sequence (and with it timing and the absence of
/// data-dependent branches) is the same at every opt-level.
#[cfg(target_arch = "riscv32")]
mod rv32 {
    use super::two_digit::Kernel;

    pub(crate) struct AsmKernel;

    impl Kernel for AsmKernel {
        #[inline(always)]
        fn addmul_2(d: &mut [u32], x: &[u32], y0: u32, y1: u32, c0: u32, c1: u32) -> (u32, u32) {
            let n = d.len().min(x.len());
            let (mut c0, mut c1) = (c0, c1);
            // Two words per iteration; an odd last word goes through the portable code.
            let pairs = n / 2;
            if pairs > 0 {
                let dp = d.as_mut_ptr();
                let xp = x.as_ptr();
                // SAFETY: the loop reads x[0..2·pairs] and reads/writes d[0..2·pairs], both
                // within the slices (2·pairs ≤ n); it touches no other memory and no stack.
                unsafe {
                    core::arch::asm!(
                        "1:",
                        // word 0 of the pair
                        "lw    {xw}, 0({xp})",
                        "lw    {dw}, 0({dp})",
                        "mul   {l0}, {xw}, {y0}",
                        "mulhu {h0}, {xw}, {y0}",
                        "mul   {l1}, {xw}, {y1}",
                        "mulhu {h1}, {xw}, {y1}",
                        "add   {dw}, {dw}, {c0}",
                        "sltu  {t}, {dw}, {c0}",
                        "add   {dw}, {dw}, {l0}",
                        "sltu  {l0}, {dw}, {l0}",
                        "sw    {dw}, 0({dp})",
                        "add   {h0}, {h0}, {t}",
                        "add   {h0}, {h0}, {l0}",
                        "add   {c0}, {c1}, {h0}",
                        "sltu  {t}, {c0}, {h0}",
                        "add   {c0}, {c0}, {l1}",
                        "sltu  {l1}, {c0}, {l1}",
                        "add   {c1}, {h1}, {t}",
                        "add   {c1}, {c1}, {l1}",
                        // word 1 of the pair
                        "lw    {xw}, 4({xp})",
                        "lw    {dw}, 4({dp})",
                        "mul   {l0}, {xw}, {y0}",
                        "mulhu {h0}, {xw}, {y0}",
                        "mul   {l1}, {xw}, {y1}",
                        "mulhu {h1}, {xw}, {y1}",
                        "add   {dw}, {dw}, {c0}",
                        "sltu  {t}, {dw}, {c0}",
                        "add   {dw}, {dw}, {l0}",
                        "sltu  {l0}, {dw}, {l0}",
                        "sw    {dw}, 4({dp})",
                        "add   {h0}, {h0}, {t}",
                        "add   {h0}, {h0}, {l0}",
                        "add   {c0}, {c1}, {h0}",
                        "sltu  {t}, {c0}, {h0}",
                        "add   {c0}, {c0}, {l1}",
                        "sltu  {l1}, {c0}, {l1}",
                        "add   {c1}, {h1}, {t}",
                        "add   {c1}, {c1}, {l1}",
                        "addi  {xp}, {xp}, 8",
                        "addi  {dp}, {dp}, 8",
                        "bne   {dp}, {end}, 1b",
                        xp = inout(reg) xp => _,
                        dp = inout(reg) dp => _,
                        end = in(reg) dp.wrapping_add(2 * pairs),
                        y0 = in(reg) y0,
                        y1 = in(reg) y1,
                        c0 = inout(reg) c0,
                        c1 = inout(reg) c1,
                        xw = out(reg) _,
                        dw = out(reg) _,
                        l0 = out(reg) _,
                        h0 = out(reg) _,
                        l1 = out(reg) _,
                        h1 = out(reg) _,
                        t = out(reg) _,
                        options(nostack),
                    );
                }
            }
            if n % 2 == 1 {
                let at = n - 1;
                return super::two_digit::PortableKernel::addmul_2(
                    &mut d[at..at + 1],
                    &x[at..at + 1],
                    y0,
                    y1,
                    c0,
                    c1,
                );
            }
            (c0, c1)
        }

        #[inline(always)]
        fn addmul_4(d: &mut [u32], x: &[u32], y: [u32; 4], c: [u32; 4]) -> [u32; 4] {
            let n = d.len().min(x.len());
            let [mut c0, mut c1, mut c2, mut c3] = c;
            let pairs = n / 2;
            if pairs > 0 {
                let dp = d.as_mut_ptr();
                let xp = x.as_ptr();
                // Per word: d + c0 + lo(x·y0) is stored; hi(x·y_{k−1}) plus the carries of
                // that sum and lo(x·y_k) and c_k become the new c_{k−1}; hi(x·y3) plus
                // carries the new c3. Every partial sum fits in 64 bits, so adding the two
                // carry bits to a high word never overflows.
                // SAFETY: the loop reads x[0..2·pairs] and reads/writes d[0..2·pairs], both
                // within the slices (2·pairs ≤ n); it touches no other memory and no stack.
                unsafe {
                    core::arch::asm!(
                        "1:",
                        "lw    {xw}, 0({xp})",
                        "lw    {dw}, 0({dp})",
                        "mul   {l}, {xw}, {y0}",
                        "mulhu {h}, {xw}, {y0}",
                        "add   {dw}, {dw}, {c0}",
                        "sltu  {t}, {dw}, {c0}",
                        "add   {dw}, {dw}, {l}",
                        "sltu  {l}, {dw}, {l}",
                        "sw    {dw}, 0({dp})",
                        "add   {h}, {h}, {t}",
                        "add   {h}, {h}, {l}",
                        "mul   {l}, {xw}, {y1}",
                        "add   {c0}, {c1}, {h}",
                        "sltu  {t}, {c0}, {h}",
                        "mulhu {h}, {xw}, {y1}",
                        "add   {c0}, {c0}, {l}",
                        "sltu  {l}, {c0}, {l}",
                        "add   {h}, {h}, {t}",
                        "add   {h}, {h}, {l}",
                        "mul   {l}, {xw}, {y2}",
                        "add   {c1}, {c2}, {h}",
                        "sltu  {t}, {c1}, {h}",
                        "mulhu {h}, {xw}, {y2}",
                        "add   {c1}, {c1}, {l}",
                        "sltu  {l}, {c1}, {l}",
                        "add   {h}, {h}, {t}",
                        "add   {h}, {h}, {l}",
                        "mul   {l}, {xw}, {y3}",
                        "add   {c2}, {c3}, {h}",
                        "sltu  {t}, {c2}, {h}",
                        "mulhu {h}, {xw}, {y3}",
                        "add   {c2}, {c2}, {l}",
                        "sltu  {l}, {c2}, {l}",
                        "add   {h}, {h}, {t}",
                        "add   {c3}, {h}, {l}",
                        "lw    {xw}, 4({xp})",
                        "lw    {dw}, 4({dp})",
                        "mul   {l}, {xw}, {y0}",
                        "mulhu {h}, {xw}, {y0}",
                        "add   {dw}, {dw}, {c0}",
                        "sltu  {t}, {dw}, {c0}",
                        "add   {dw}, {dw}, {l}",
                        "sltu  {l}, {dw}, {l}",
                        "sw    {dw}, 4({dp})",
                        "add   {h}, {h}, {t}",
                        "add   {h}, {h}, {l}",
                        "mul   {l}, {xw}, {y1}",
                        "add   {c0}, {c1}, {h}",
                        "sltu  {t}, {c0}, {h}",
                        "mulhu {h}, {xw}, {y1}",
                        "add   {c0}, {c0}, {l}",
                        "sltu  {l}, {c0}, {l}",
                        "add   {h}, {h}, {t}",
                        "add   {h}, {h}, {l}",
                        "mul   {l}, {xw}, {y2}",
                        "add   {c1}, {c2}, {h}",
                        "sltu  {t}, {c1}, {h}",
                        "mulhu {h}, {xw}, {y2}",
                        "add   {c1}, {c1}, {l}",
                        "sltu  {l}, {c1}, {l}",
                        "add   {h}, {h}, {t}",
                        "add   {h}, {h}, {l}",
                        "mul   {l}, {xw}, {y3}",
                        "add   {c2}, {c3}, {h}",
                        "sltu  {t}, {c2}, {h}",
                        "mulhu {h}, {xw}, {y3}",
                        "add   {c2}, {c2}, {l}",
                        "sltu  {l}, {c2}, {l}",
                        "add   {h}, {h}, {t}",
                        "add   {c3}, {h}, {l}",
                        "addi  {xp}, {xp}, 8",
                        "addi  {dp}, {dp}, 8",
                        "bne   {dp}, {end}, 1b",
                        xp = inout(reg) xp => _,
                        dp = inout(reg) dp => _,
                        end = in(reg) dp.wrapping_add(2 * pairs),
                        y0 = in(reg) y[0],
                        y1 = in(reg) y[1],
                        y2 = in(reg) y[2],
                        y3 = in(reg) y[3],
                        c0 = inout(reg) c0,
                        c1 = inout(reg) c1,
                        c2 = inout(reg) c2,
                        c3 = inout(reg) c3,
                        xw = out(reg) _,
                        dw = out(reg) _,
                        l = out(reg) _,
                        h = out(reg) _,
                        t = out(reg) _,
                        options(nostack),
                    );
                }
            }
            if n % 2 == 1 {
                let at = n - 1;
                return super::two_digit::PortableKernel::addmul_4(
                    &mut d[at..at + 1],
                    &x[at..at + 1],
                    y,
                    [c0, c1, c2, c3],
                );
            }
            [c0, c1, c2, c3]
        }
    }
}

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
pub fn mul(a: &Fe, b: &Fe) -> Fe {
    from_words(native::mul(words(a), words(b), modulus(), n0_inv()))
}

/// Montgomery square `a²·R⁻¹ mod N` (constant time).
pub fn square(a: &Fe) -> Fe {
    from_words(native::square(words(a), modulus(), n0_inv()))
}

/// `entries[idx]` in constant time: every word of every entry is read and masked, the mask
/// coming from `subtle`'s optimisation-opaque equality, so neither the memory trace nor the
/// timing depends on `idx`. Working on raw words is ~5× cheaper than `ConditionallySelectable`
/// on the whole element, which matters because the comb scans 64 entries per column. `idx`
/// must be below `entries.len()` (all callers index tables of `2^bits` entries with a
/// `bits`-bit value); otherwise the result is zero.
pub fn ct_select(entries: &[Fe], idx: u32) -> Fe {
    use subtle::ConstantTimeEq;
    let mask = |j: usize| Word::from((j as u32).ct_eq(&idx).unwrap_u8()).wrapping_neg();
    let mut out = [0 as Word; L];
    // Four entries per pass over the output: one load and store of each output word per four
    // entries instead of per entry (the scan went from ~8.4 to ~4 RV32 instructions per
    // entry word).
    let mut groups = entries.chunks_exact(4);
    let mut j = 0;
    for group in &mut groups {
        let (m0, m1, m2, m3) = (mask(j), mask(j + 1), mask(j + 2), mask(j + 3));
        let (e0, e1, e2, e3) = (
            words(&group[0]),
            words(&group[1]),
            words(&group[2]),
            words(&group[3]),
        );
        for (k, o) in out.iter_mut().enumerate() {
            *o |= (e0[k] & m0) | (e1[k] & m1) | (e2[k] & m2) | (e3[k] & m3);
        }
        j += 4;
    }
    for entry in groups.remainder() {
        let m = mask(j);
        for (o, &w) in out.iter_mut().zip(words(entry)) {
            *o |= w & m;
        }
        j += 1;
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

    /// The two-word-digit algorithm (what riscv32 runs, there with the assembly kernel) gives
    /// the same words as crypto-bigint, here with the portable kernel.
    #[test]
    fn two_digit_algorithm_agrees() {
        use two_digit::PortableKernel as K;
        let xs = test_values();
        for x in &xs {
            let x32 = words32(words(x));
            for y in &xs {
                let expect = words32(words(&x.mul(y)));
                let got = two_digit::mul::<K>(&x32, &words32(words(y)), &N_WORDS32);
                assert_eq!(got, expect);
            }
            let got = two_digit::square::<K>(&x32, &N_WORDS32);
            assert_eq!(got, words32(words(&x.square())));
        }
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
