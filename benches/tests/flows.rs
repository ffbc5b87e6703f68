//! The bench fixtures do what the figures claim: the replayed request is answered exactly as
//! recorded, a full in-memory run provisions, and HTTP sessions complete through the sim.

use std::time::Duration;

use provkit_bench::flows::{
    InMemConnect, RequestBench, RequestKind, http_sessions, inmem_provision, sec2_config,
};
use provkit_security::sec2::Sec2Patch;

#[test]
fn replayed_requests_are_answered_as_recorded() {
    for kind in [RequestKind::GetStatus, RequestKind::SetConfig] {
        let bench = RequestBench::new(kind).expect("fixture");
        let (request, response) = bench.sizes();
        // GCM records: at least the 16-byte tag on top of a non-empty protobuf.
        assert!(
            request > 16 && response > 16,
            "{kind:?}: {request}/{response}"
        );
        for _ in 0..3 {
            assert_eq!(bench.handle_once(), Ok(()), "{kind:?}");
        }
    }
    assert_eq!(
        RequestKind::parse("set-config"),
        Some(RequestKind::SetConfig)
    );
    assert_eq!(RequestKind::parse("scan"), None);
}

#[test]
fn full_in_memory_provisioning_and_repeated_connects() {
    let config = sec2_config(Sec2Patch::Patch1, true).expect("config");
    assert_eq!(inmem_provision(&config, 3), Ok(()));
    let mut connect = InMemConnect::new(&config);
    for _ in 0..2 {
        assert_eq!(connect.session(), Ok(()));
    }
}

#[test]
fn http_sessions_complete_through_the_sim_server() {
    let config = sec2_config(Sec2Patch::Patch1, true).expect("config");
    let run = http_sessions(&config, 2, 2, Duration::from_secs(60)).expect("run");
    assert_eq!((run.devices, run.sessions), (2, 4));
    assert!(run.per_second() > 0.0);
}
