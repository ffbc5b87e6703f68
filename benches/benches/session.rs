//! Criterion benches of the whole stack in memory (`Device::handle`: protocomm + manager +
//! provkit-wifi handlers, driven by `provkit_client::Client` through provkit-e2e):
//!
//! * `sec2_request_get_status` / `sec2_request_set_config`: the device's per-request cost on
//!   an established sec2 session (decrypt, decode, handle, encode, encrypt);
//! * `sec2_inmem_connect`: proto-ver + sec2 handshake + one GetStatus, client and device;
//! * `sec2_inmem_provision`: a full provisioning run (new device, handshake, SetConfig,
//!   ApplyConfig, GetStatus polling until connected, credentials stored) in virtual time.

use criterion::{Criterion, criterion_group, criterion_main};
use provkit_bench::flows::{InMemConnect, RequestBench, RequestKind, inmem_provision, sec2_config};
use provkit_security::sec2::Sec2Patch;
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    for (name, kind) in [
        ("sec2_request_get_status", RequestKind::GetStatus),
        ("sec2_request_set_config", RequestKind::SetConfig),
    ] {
        let bench = RequestBench::new(kind).expect("request fixture");
        bench
            .handle_once()
            .expect("replayed request answered as recorded");
        c.bench_function(name, |b| {
            b.iter(|| black_box(bench.handle_once()).expect("answer as recorded"))
        });
    }

    let config = sec2_config(Sec2Patch::Patch1, true).expect("sec2 config");
    let mut connect = InMemConnect::new(&config);
    connect.session().expect("in-memory session");
    c.bench_function("sec2_inmem_connect", |b| {
        b.iter(|| connect.session().expect("in-memory session"))
    });

    inmem_provision(&config, 1).expect("in-memory provisioning");
    let mut seed = 1;
    c.bench_function("sec2_inmem_provision", |b| {
        b.iter(|| {
            seed += 1;
            inmem_provision(black_box(&config), seed).expect("in-memory provisioning")
        })
    });
}

criterion_group! {
    name = session;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(session);
