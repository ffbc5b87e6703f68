//! Device-side security 1 (PoP) handshake fed arbitrary message sequences (separated by
//! `provkit_fuzz::MESSAGE_SEPARATOR`). Nothing may panic; the session must stay usable.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| provkit_fuzz::handshake::run(1, data));
