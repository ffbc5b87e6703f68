//! Constant-time checking under valgrind (feature `ct-check`; test builds only).
//!
//! The check (`cargo xtask ct-check`, a step of `cargo xtask test`) runs the device-side sec1
//! and sec2 handshakes under valgrind's memcheck with the secret inputs marked *undefined*
//! ([`mark_secret`]). Memcheck propagates undefinedness through every computation and reports
//! each conditional branch and each memory address that depends on an undefined value, so a
//! report means a branch or table index that depends on a secret.
//!
//! Some values derived from secrets become public by design — B, which is sent; the length of
//! minimal(S), which the protocol hashes; whether the client's proof matched, which the answer
//! reveals. The library marks exactly those *defined* at the point where they become public
//! ([`declassify`]), so what remains checked is everything else. Without the feature both
//! functions are empty and inline to nothing.
//!
//! The requests are valgrind's client requests (`valgrind.h`/`memcheck.h`): a magic
//! instruction sequence that does nothing on a real CPU and is recognised by valgrind's
//! instruction decoder. Only x86-64 is implemented (where the check runs).

/// Marks `bytes` as secret (memcheck: undefined).
#[cfg_attr(not(feature = "ct-check"), allow(unused_variables, dead_code))]
#[inline(always)]
pub fn mark_secret(bytes: &[u8]) {
    #[cfg(all(feature = "ct-check", target_arch = "x86_64"))]
    client_request_shared(MAKE_MEM_UNDEFINED, bytes);
}

/// Marks `bytes` as public from here on (memcheck: defined).
#[cfg_attr(not(feature = "ct-check"), allow(unused_variables))]
#[inline(always)]
pub fn declassify(bytes: &[u8]) {
    #[cfg(all(feature = "ct-check", target_arch = "x86_64"))]
    client_request_shared(MAKE_MEM_DEFINED, bytes);
}

/// A secret-derived yes/no that is about to become public (e.g. "the proof matched").
#[inline(always)]
pub(crate) fn declassify_choice(choice: subtle::Choice) -> bool {
    declassify_u32(u32::from(choice.unwrap_u8())) == 1
}

/// As [`declassify_choice`], for a `bool` computed without branching.
#[inline(always)]
pub(crate) fn declassify_bool(value: bool) -> bool {
    declassify_u32(u32::from(value)) == 1
}

/// A secret-derived number that is about to become public (e.g. a length). The value goes
/// through memory the request may write, so the compiler reloads the now-defined copy.
#[inline(always)]
pub(crate) fn declassify_u32(value: u32) -> u32 {
    #[cfg_attr(not(feature = "ct-check"), allow(unused_mut))]
    let mut bytes = value.to_ne_bytes();
    #[cfg(all(feature = "ct-check", target_arch = "x86_64"))]
    client_request(MAKE_MEM_DEFINED, &mut bytes);
    u32::from_ne_bytes(core::hint::black_box(bytes))
}

/// `VG_USERREQ_TOOL_BASE('M','C') + 1` and `+ 2` in memcheck.h.
#[cfg(all(feature = "ct-check", target_arch = "x86_64"))]
const MAKE_MEM_UNDEFINED: u64 = 0x4d43_0001;
#[cfg(all(feature = "ct-check", target_arch = "x86_64"))]
const MAKE_MEM_DEFINED: u64 = 0x4d43_0002;

/// For memory the caller reads back through a fresh load anyway (vectors it compares, RNG
/// output it copies on).
#[cfg(all(feature = "ct-check", target_arch = "x86_64"))]
fn client_request_shared(request: u64, bytes: &[u8]) {
    issue(request, bytes.as_ptr() as u64, bytes.len() as u64);
}

/// For a local the compiler might otherwise keep in a register across the request.
#[cfg(all(feature = "ct-check", target_arch = "x86_64"))]
fn client_request(request: u64, bytes: &mut [u8]) {
    issue(request, bytes.as_mut_ptr() as u64, bytes.len() as u64);
}

#[cfg(all(feature = "ct-check", target_arch = "x86_64"))]
fn issue(request: u64, address: u64, len: u64) {
    let args: [u64; 6] = [request, address, len, 0, 0, 0];
    // SAFETY: the four rotations of rdi add up to 128 bits (rdi unchanged) and `xchg rbx, rbx`
    // swaps a register with itself: on a CPU this is a no-op. Valgrind recognises the sequence
    // and reads the request from the array rax points to (it outlives the asm), writing its
    // answer to rdx.
    unsafe {
        core::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") 0u64 => _,
            options(nostack, preserves_flags),
        );
    }
}
