#![no_main]
//! The captive portal's DNS responder from raw datagrams: never panics, and whatever it
//! sends fits the buffer, echoes the id and is marked a response.

use libfuzzer_sys::fuzz_target;
use provkit_portal::dns::{MAX_ANSWER_LEN, respond};

fuzz_target!(|data: &[u8]| {
    let mut out = [0u8; MAX_ANSWER_LEN];
    if let Some((n, _)) = respond(data, [192, 168, 4, 1], &mut out) {
        assert!((12..=MAX_ANSWER_LEN).contains(&n));
        assert_eq!(&out[..2], &data[..2]);
        assert_eq!(out[2] & 0x80, 0x80);
    }
});
