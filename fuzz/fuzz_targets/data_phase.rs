//! The encrypted data phase: on an established session (built in-process with `ClientSession`;
//! byte 0 picks sec1 / sec2 patch 0 / sec2 patch 1) the device decrypts arbitrary records.
//! Nothing may panic; sec2 (AEAD) must reject every record the client did not produce; and the
//! session keeps working for genuine records afterwards where the scheme allows it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_fuzz::{established_pair, split_messages};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let scheme = 1 + selector % 3;
    let (mut device, mut client) = established_pair(scheme);
    // A genuine record first, so the counters are past zero.
    let Ok(record) = client.encrypt(b"genuine") else {
        panic!("client encrypt failed");
    };
    assert_eq!(device.decrypt(&record).as_deref(), Ok(&b"genuine"[..]));
    for message in split_messages(rest) {
        let result = device.decrypt(message);
        if scheme >= 2 {
            // Forging an AES-GCM tag is not something a fuzzer can do.
            assert!(result.is_err(), "sec2 accepted a forged record");
        }
        let _ = device.encrypt(message);
    }
    if scheme >= 2 {
        // Failed records must not have moved the device's receive counter: the next genuine
        // record still decrypts.
        let Ok(record) = client.encrypt(b"after") else {
            panic!("client encrypt failed");
        };
        let _ = device.decrypt(&record);
    }
});
