//! Device-side security 2 handshake (SRP-6a, precomputed salt/verifier) fed arbitrary message
//! sequences; the first input byte picks patch 0 or patch 1. Nothing may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let selector = 2 + data.first().copied().unwrap_or(0) % 2;
    provkit_fuzz::handshake::run(selector, data.get(1..).unwrap_or_default());
});
