//! # provkit-rv32count: retired RV32IMC instructions per device-side operation
//!
//! A bare-metal program for QEMU's `virt` machine (`-bios none`, so it starts at the base of
//! RAM in machine mode). Run with `-icount shift=0`, QEMU's `minstret` counts exactly the
//! instructions the guest retired, so the difference of two reads around an operation is its
//! instruction count on the RV32IMC ISA, the instruction set of the ESP32-C2 and C3 — a
//! figure that does not depend on the host, its load or the emulator's speed.
//!
//! Every operation replays a recorded session from `tests/vectors` (turned into constants by
//! `build.rs`) with the device randomness that produced it, and every response is compared
//! with the recording, so a count is only printed for a computation that gave the right bytes.
//! Output goes to the `virt` machine's 16550 UART, one `rv32count <operation> <instructions>`
//! line per operation; the program ends QEMU through the SiFive test device (exit status 0 when
//! every check passed). `cargo xtask rv32-count` builds, runs and reads it.

#![no_std]
#![no_main]

extern crate alloc;

mod vectors {
    include!(concat!(env!("OUT_DIR"), "/vectors.rs"));
}

use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt::Write;

use provkit_security::rand_core::{TryCryptoRng, TryRng};
use provkit_security::sec2::{DeviceCredentials, Sec2Patch};
use provkit_security::{DeviceSecurityConfig, DeviceSession, PreparedSec2};

// Machine-mode entry: a stack, a zeroed .bss, then Rust. QEMU loads the ELF's .data in place.
core::arch::global_asm!(
    ".section .text.start, \"ax\"",
    ".globl _start",
    "_start:",
    "  la sp, __stack_top",
    "  la t0, __bss_start",
    "  la t1, __bss_end",
    "1:",
    "  bgeu t0, t1, 2f",
    "  sw zero, 0(t0)",
    "  addi t0, t0, 4",
    "  j 1b",
    "2:",
    "  call rv32count_main",
    "3:",
    "  j 3b",
);

/// The `virt` machine's NS16550A transmit register (QEMU needs no status polling).
const UART_THR: *mut u8 = 0x1000_0000 as *mut u8;
/// The `virt` machine's SiFive test device: 0x5555 ends QEMU with status 0,
/// `(code << 16) | 0x3333` with status `code`.
const TEST_DEVICE: *mut u32 = 0x0010_0000 as *mut u32;

struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &byte in s.as_bytes() {
            // SAFETY: the UART's transmit register is a device register of the `virt`
            // machine, always mapped; volatile so every byte reaches it.
            unsafe { UART_THR.write_volatile(byte) };
        }
        Ok(())
    }
}

fn exit(code: u32) -> ! {
    let value = if code == 0 {
        0x5555
    } else {
        (code << 16) | 0x3333
    };
    // SAFETY: the test device is always mapped on `virt`; the write stops the machine.
    unsafe { TEST_DEVICE.write_volatile(value) };
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let _ = writeln!(Uart, "rv32count panic: {info}");
    exit(2)
}

/// A bump allocator over the RAM the linker script leaves after the stack. Nothing is ever
/// freed: the whole run allocates a few hundred KiB of the 60 MiB. (The firmware's
/// linked-list allocator costs a few more instructions per allocation; a handshake makes a
/// few dozen.)
struct Bump {
    next: Cell<usize>,
}

// SAFETY: the program is single-threaded and has no interrupts enabled.
unsafe impl Sync for Bump {}

unsafe extern "C" {
    static __heap_start: u8;
    static __heap_end: u8;
}

// SAFETY: hands out non-overlapping, suitably aligned blocks inside the heap region, or null.
unsafe impl core::alloc::GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: core::alloc::Layout) -> *mut u8 {
        let start = core::ptr::addr_of!(__heap_start) as usize;
        let end = core::ptr::addr_of!(__heap_end) as usize;
        let next = self.next.get().max(start);
        let aligned = (next + layout.align() - 1) & !(layout.align() - 1);
        match aligned.checked_add(layout.size()) {
            Some(after) if after <= end => {
                self.next.set(after);
                aligned as *mut u8
            }
            _ => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: core::alloc::Layout) {}
}

#[global_allocator]
static HEAP: Bump = Bump { next: Cell::new(0) };

/// Retired instructions so far (64-bit `minstret`, read consistently across the halves).
#[inline(always)]
fn instret() -> u64 {
    loop {
        let hi: u32;
        let lo: u32;
        let hi2: u32;
        // SAFETY: reading the machine-mode instruction counter has no side effects.
        unsafe {
            core::arch::asm!(
                "csrr {0}, minstreth",
                "csrr {1}, minstret",
                "csrr {2}, minstreth",
                out(reg) hi, out(reg) lo, out(reg) hi2,
                options(nomem, nostack)
            );
        }
        if hi == hi2 {
            return (u64::from(hi) << 32) | u64::from(lo);
        }
    }
}

/// Runs `f` once, prints its instruction count and returns its result.
fn count<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let start = instret();
    let out = core::hint::black_box(f());
    let spent = instret() - start;
    let _ = writeln!(Uart, "rv32count {name} {spent}");
    out
}

/// Hands out recorded bytes as randomness, in order; running dry is a harness bug.
struct ReplayRng {
    script: Vec<u8>,
    at: usize,
}

impl ReplayRng {
    fn new(chunks: &[&[u8]]) -> Self {
        Self {
            script: chunks.concat(),
            at: 0,
        }
    }
}

impl TryRng for ReplayRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        let end = self.at + dst.len();
        let Some(src) = self.script.get(self.at..end) else {
            panic!("replay RNG ran dry");
        };
        dst.copy_from_slice(src);
        self.at = end;
        Ok(())
    }
}

// Harness-only: the recorded bytes stand in for the device's TRNG.
impl TryCryptoRng for ReplayRng {}

fn check(what: &str, got: &[u8], want: &[u8]) {
    if got != want {
        let _ = writeln!(Uart, "rv32count mismatch: {what}");
        exit(1);
    }
}

/// One device-side sec2 handshake (Command0 → Response1) through the façade, as protocomm
/// runs it: a new session from a clone of the configuration. Returns the established session.
fn sec2_handshake(name: &str, config: &DeviceSecurityConfig) -> DeviceSession {
    let mut rng = ReplayRng::new(&[vectors::SEC2_B, vectors::SEC2_SESSION_ID]);
    let (session, r0, r1) = count(name, || {
        let mut session = DeviceSession::new(config.clone());
        let r0 = session.handle_session(vectors::SEC2_COMMAND0, &mut rng);
        let r1 = session.handle_session(vectors::SEC2_COMMAND1, &mut rng);
        (session, r0, r1)
    });
    check(
        "sec2 response0",
        &r0.unwrap_or_default(),
        vectors::SEC2_RESPONSE0,
    );
    check(
        "sec2 response1",
        &r1.unwrap_or_default(),
        vectors::SEC2_RESPONSE1,
    );
    session
}

/// One 3072-bit Montgomery squaring and multiplication, and the constant-time scans of a
/// 64-entry table (the g comb) and a 16-entry table (the fixed window), on values derived from
/// the recorded verifier; each result is checked against crypto-bigint's own arithmetic.
fn primitives() {
    use provkit_security::srp::Fe;
    use provkit_security::srp::mont;
    let mut padded = [0u8; 384];
    padded[384 - vectors::SEC2_VERIFIER.len()..].copy_from_slice(vectors::SEC2_VERIFIER);
    let v = Fe::new(&crypto_bigint_from_be(&padded));
    let w = v.square();
    let sq = count("mont_square", || mont::square(&v));
    check_fe("square", &sq, &w);
    let product = count("mont_mul", || mont::mul(&v, &w));
    check_fe("mul", &product, &v.mul(&w));
    let mut table = Vec::with_capacity(64);
    let mut entry = Fe::ONE;
    for _ in 0..64 {
        table.push(entry);
        entry = entry.mul(&v);
    }
    let picked = count("scan_64", || mont::ct_select(&table, 37));
    check_fe("scan 64", &picked, &table[37]);
    let picked = count("scan_16", || mont::ct_select(&table[..16], 11));
    check_fe("scan 16", &picked, &table[11]);
}

fn crypto_bigint_from_be(bytes: &[u8; 384]) -> provkit_security::srp::Uint3072 {
    provkit_security::srp::Uint3072::from_be_slice(bytes)
}

fn check_fe(what: &str, got: &provkit_security::srp::Fe, want: &provkit_security::srp::Fe) {
    if got.retrieve() != want.retrieve() {
        let _ = writeln!(Uart, "rv32count mismatch: {what}");
        exit(1);
    }
}

#[unsafe(no_mangle)]
extern "C" fn rv32count_main() -> ! {
    #[cfg(feature = "ct-trace")]
    {
        ct_trace::run();
        exit(0);
    }
    #[cfg_attr(feature = "ct-trace", allow(unreachable_code))]
    let _ = writeln!(Uart, "rv32count start");
    let sec2 = DeviceSecurityConfig::Sec2 {
        salt: vectors::SEC2_SALT.to_vec(),
        verifier: vectors::SEC2_VERIFIER.to_vec(),
        patch: Sec2Patch::Patch1,
    };

    // Once per device at start-up: the per-device table of v.
    let prepared = count("sec2_prepare", || sec2.clone().prepare());
    let Ok(prepared) = prepared else {
        let _ = writeln!(Uart, "rv32count mismatch: prepare failed");
        exit(1)
    };
    let mut session = sec2_handshake("sec2_handshake_prepared", &prepared);

    // One encrypted request on the established session: the device decrypts the client's
    // first recorded message and encrypts its recorded answer (AES-256-GCM both ways).
    let (request, answer) = count("sec2_request", || {
        (
            session.decrypt(vectors::SEC2_REQUEST_CT),
            session.encrypt(vectors::SEC2_ANSWER_PT),
        )
    });
    check(
        "request plaintext",
        &request.unwrap_or_default(),
        vectors::SEC2_REQUEST_PT,
    );
    check(
        "answer ciphertext",
        &answer.unwrap_or_default(),
        vectors::SEC2_ANSWER_CT,
    );

    // Compact credentials (no table), built once before the handshake.
    let compact = match DeviceCredentials::new_compact(vectors::SEC2_SALT, vectors::SEC2_VERIFIER) {
        Ok(credentials) => DeviceSecurityConfig::Sec2Prepared(PreparedSec2::from_credentials(
            credentials,
            Sec2Patch::Patch1,
        )),
        Err(_) => {
            let _ = writeln!(Uart, "rv32count mismatch: compact credentials");
            exit(1)
        }
    };
    sec2_handshake("sec2_handshake_compact", &compact);
    // A plain, unprepared config: the session derives compact credentials at Command0.
    sec2_handshake("sec2_handshake_unprepared", &sec2);

    // Security 1: X25519, SHA-256 of the PoP, AES-256-CTR verify tokens.
    let sec1 = DeviceSecurityConfig::Sec1 {
        pop: Some(vectors::SEC1_POP.to_vec()),
    };
    let mut rng = ReplayRng::new(&[vectors::SEC1_DEVICE_SECRET, vectors::SEC1_DEVICE_RANDOM]);
    let (r0, r1) = count("sec1_handshake", || {
        let mut session = DeviceSession::new(sec1.clone());
        let r0 = session.handle_session(vectors::SEC1_COMMAND0, &mut rng);
        let r1 = session.handle_session(vectors::SEC1_COMMAND1, &mut rng);
        (r0, r1)
    });
    check(
        "sec1 response0",
        &r0.unwrap_or_default(),
        vectors::SEC1_RESPONSE0,
    );
    check(
        "sec1 response1",
        &r1.unwrap_or_default(),
        vectors::SEC1_RESPONSE1,
    );

    primitives();

    let _ = writeln!(Uart, "rv32count done");
    exit(0)
}

/// The RV32 half of the constant-time check (`cargo xtask ct-check`): each primitive runs on
/// `ct_trace::VARIANTS` different secret inputs between calls of `ct_trace_begin` and
/// `ct_trace_end`. QEMU logs the start address of every translation block it executes
/// (`-d exec,nochain`; a block ends at every branch, so the sequence is the control flow), and
/// xtask requires that sequence to be the same for every input of one primitive: no branch
/// taken or not taken depending on the secret. The inputs include
/// the extremes (0, 1, N − 1 as Montgomery words) and pseudo-random values for which the
/// final subtraction of the Montgomery product is needed for some and not for others.
#[cfg(feature = "ct-trace")]
mod ct_trace {
    use provkit_security::srp::{Fe, Uint3072, mont};

    /// Inputs per primitive.
    pub const VARIANTS: usize = 8;

    /// Written (volatile) by the markers, so the calls stay and the two functions differ.
    static mut MARK: u32 = 0;

    #[inline(never)]
    #[unsafe(no_mangle)]
    extern "C" fn ct_trace_begin() {
        // SAFETY: single-threaded; a raw pointer to a static, no reference taken.
        unsafe { core::ptr::addr_of_mut!(MARK).write_volatile(1) };
    }

    #[inline(never)]
    #[unsafe(no_mangle)]
    extern "C" fn ct_trace_end() {
        // SAFETY: as above.
        unsafe { core::ptr::addr_of_mut!(MARK).write_volatile(2) };
    }

    // One non-inlined wrapper per signature, so the code between the markers and the
    // primitive is the same for every input (an inlined closure would be unrolled into
    // different copies of the caller's loop at opt-level 3).
    #[inline(never)]
    fn traced_mul(f: fn(&Fe, &Fe) -> Fe, a: &Fe, b: &Fe) -> Fe {
        ct_trace_begin();
        let out = f(a, b);
        ct_trace_end();
        out
    }

    #[inline(never)]
    fn traced_square(f: fn(&Fe) -> Fe, a: &Fe) -> Fe {
        ct_trace_begin();
        let out = f(a);
        ct_trace_end();
        out
    }

    #[inline(never)]
    fn traced_select(f: fn(&[Fe], u32) -> Fe, table: &[Fe], idx: u32) -> Fe {
        ct_trace_begin();
        let out = f(table, idx);
        ct_trace_end();
        out
    }

    struct XorShift(u32);

    impl XorShift {
        fn next(&mut self) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            self.0
        }
    }

    /// Montgomery words below N: N's top word is all ones, so a top word below it suffices.
    fn element(rng: &mut XorShift, variant: usize) -> Fe {
        let mut words = [0u32; 96];
        match variant {
            0 => {}
            1 => words[0] = 1,
            2 => {
                // N − 1 (N's low word is 0xffff_ffff, so N − 1 only clears bit 0 of it).
                let n = super::n_words();
                words = n;
                words[0] -= 1;
            }
            _ => {
                for w in words.iter_mut() {
                    *w = rng.next();
                }
                words[95] >>= 1;
            }
        }
        Fe::from_montgomery(Uint3072::from_words(words))
    }

    pub fn run() {
        let mut rng = XorShift(0x1234_5678);
        let inputs: alloc::vec::Vec<(Fe, Fe)> = (0..VARIANTS)
            .map(|v| {
                let a = element(&mut rng, v);
                // (N − 1)·(N − 1) needs the final subtraction; most random pairs do not.
                let partner = if v == 2 { 2 } else { VARIANTS - 1 - v };
                (a, element(&mut rng, partner))
            })
            .collect();
        // Through opaque function pointers: every input runs the one compiled copy of each
        // primitive (with direct calls, opt-level 3 inlines differently specialised copies).
        let mul: fn(&Fe, &Fe) -> Fe = core::hint::black_box(mont::mul);
        let square: fn(&Fe) -> Fe = core::hint::black_box(mont::square);
        let select: fn(&[Fe], u32) -> Fe = core::hint::black_box(mont::ct_select);
        for (a, b) in &inputs {
            core::hint::black_box(traced_mul(mul, a, b));
        }
        for (a, _) in &inputs {
            core::hint::black_box(traced_square(square, a));
        }
        let table: alloc::vec::Vec<Fe> = (0..64).map(|v| element(&mut rng, 3 + v % 5)).collect();
        let (small, _) = table.split_at(16);
        for v in 0..VARIANTS {
            // The first and last entries, then pseudo-random ones.
            let idx = match v {
                0 => 0,
                1 => 63,
                _ => rng.next() % 64,
            };
            core::hint::black_box(traced_select(select, &table, idx));
        }
        for v in 0..VARIANTS {
            let idx = match v {
                0 => 0,
                1 => 15,
                _ => rng.next() % 16,
            };
            core::hint::black_box(traced_select(select, small, idx));
        }
    }
}

/// N's 32-bit words (from the modulus bytes), for the trace inputs.
#[cfg(feature = "ct-trace")]
fn n_words() -> [u32; 96] {
    let be = provkit_security::modulus_be();
    let mut words = [0u32; 96];
    for (i, w) in words.iter_mut().enumerate() {
        let at = 384 - 4 * (i + 1);
        *w = u32::from_be_bytes([be[at], be[at + 1], be[at + 2], be[at + 3]]);
    }
    words
}
