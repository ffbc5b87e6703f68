//! Criterion benches: the device-side sec1 handshake (Command0 → Response1, recorded client
//! messages of `sec1.json` case 0: X25519, SHA-256(PoP), AES-CTR verify tokens) and one
//! 100-byte AES-256-CTR record each way.

use criterion::{Criterion, criterion_group, criterion_main};
use provkit_bench::{Sec1Replay, default_vectors_dir};
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    let replay = Sec1Replay::load(&default_vectors_dir()).expect("vectors");
    let (r0, r1) = replay.device_handshake();
    assert_eq!(
        (r0, r1),
        (replay.response0.clone(), replay.response1.clone())
    );

    c.bench_function("sec1_device_handshake", |b| {
        b.iter(|| black_box(replay.device_handshake()))
    });
    let plaintext = [0x5au8; 100];
    // Check the bench's cipher against the handshake's: both ends of one stream agree.
    let mut sender = replay.cipher();
    let mut receiver = replay.cipher();
    let record = sender.encrypt(&plaintext).expect("encrypt");
    assert_eq!(receiver.decrypt(&record).expect("decrypt"), plaintext);
    c.bench_function("sec1_ctr_encrypt_100B", |b| {
        let mut cipher = replay.cipher();
        b.iter(|| black_box(cipher.encrypt(black_box(&plaintext)).expect("encrypt")))
    });
    c.bench_function("sec1_ctr_decrypt_100B", |b| {
        let mut cipher = replay.cipher();
        b.iter(|| black_box(cipher.decrypt(black_box(&record)).expect("decrypt")))
    });
}

criterion_group!(sec1, benches);
criterion_main!(sec1);
