//! Criterion benches: the device-side sec2 handshake (Command0 → Response1, recorded client
//! messages of `sec2_patch1.json` case 0) with and without the per-device table of v, the
//! table's build, and one 100-byte AES-256-GCM record each way.

use criterion::{Criterion, criterion_group, criterion_main};
use provkit_bench::{Sec2Replay, default_vectors_dir};
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    let replay = Sec2Replay::load(&default_vectors_dir()).expect("vectors");
    let credentials = replay.credentials();
    let (r0, r1, _) = replay.device_handshake(&credentials);
    assert_eq!(
        (r0, r1),
        (replay.response0.clone(), replay.response1.clone())
    );

    c.bench_function("sec2_device_handshake", |b| {
        b.iter(|| black_box(replay.device_handshake(black_box(&credentials))))
    });
    c.bench_function("sec2_device_credentials_setup", |b| {
        b.iter(|| black_box(replay.credentials()))
    });
    // Table-free credentials: no 24 KiB table, v^u by sliding window in every handshake.
    let compact = replay.compact_credentials();
    let (r0, r1, _) = replay.device_handshake(&compact);
    assert_eq!(
        (r0, r1),
        (replay.response0.clone(), replay.response1.clone())
    );
    c.bench_function("sec2_device_handshake_compact", |b| {
        b.iter(|| black_box(replay.device_handshake(black_box(&compact))))
    });
    let plaintext = [0x5au8; 100];
    c.bench_function("sec2_gcm_encrypt_100B", |b| {
        let mut cipher = replay.cipher();
        b.iter(|| black_box(cipher.encrypt(black_box(&plaintext)).expect("encrypt")))
    });
    c.bench_function("sec2_gcm_decrypt_100B", |b| {
        let mut sender = replay.cipher();
        let record = sender.encrypt(&plaintext).expect("encrypt");
        b.iter_batched(
            || replay.cipher(),
            |mut receiver| black_box(receiver.decrypt(black_box(&record)).expect("decrypt")),
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(sec2, benches);
criterion_main!(sec2);
