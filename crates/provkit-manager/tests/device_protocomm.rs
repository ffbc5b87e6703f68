//! `Device` ↔ protocomm plumbing: throttle events reach the application through
//! `Device::poll_protocomm_event`, and a custom endpoint that was created but has no registered
//! handler is absent on HTTP (404) until it is registered, and again after it is unregistered.

use provkit_hal::Instant;
use provkit_manager::{Device, EspConfig, EspManager, ServiceInfo};
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest, NOT_FOUND_BODY};
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, ProtocommEvent, Throttle, TransportKind, VersionInfo,
};
use provkit_security::{ClientSecurityConfig, ClientSession};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const BLE: ClientId = ClientId::new(TransportKind::Ble, 3);

fn started(security: DeviceSecurityConfig) -> Device {
    let mut manager = EspManager::new(EspConfig::default(), Vec::new()).expect("manager");
    manager.endpoint_create("custom-data").expect("created");
    let mut device = Device::new(manager, VersionInfo::default());
    device
        .start(
            security,
            ServiceInfo {
                name: b"PROV_0001".to_vec(),
                key: vec![],
            },
            Instant::from_millis(0),
        )
        .expect("started");
    device
}

fn post<'a>(path: &'a str, body: &'a [u8]) -> HttpRequest<'a> {
    HttpRequest {
        method: "POST",
        path,
        cookie: None,
        body,
        connection: 1,
    }
}

#[test]
fn wrong_pops_surface_as_protocomm_events_through_device() {
    let mut device = started(DeviceSecurityConfig::Sec1 {
        pop: Some(b"right-pop".to_vec()),
    });
    let throttle = Throttle::DEFAULT;
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    assert_eq!(device.poll_protocomm_event(), None);
    let mut lockout = None;
    let mut now = Instant::from_millis(0);
    for attempt in 0..throttle.max_failures {
        // 5 s apart: within the throttle's 60 s window, and never more than the handshake
        // budget's 4 Command0s in any 20 s, so every proof is computed and counted.
        now = Instant::from_millis(u64::from(attempt) * 5_000);
        let mut client = ClientSession::new(ClientSecurityConfig::Sec1 {
            pop: Some(b"wrong-pop".to_vec()),
        });
        let c0 = client.start(&mut rng).expect("command0");
        let r0 = device
            .handle(BLE, "prov-session", &c0, &mut rng, now)
            .expect("Command0 is answered");
        let c1 = client
            .handle_response(&r0, &mut rng)
            .expect("response 0")
            .expect("command1 follows");
        assert!(
            device
                .handle(BLE, "prov-session", &c1, &mut rng, now)
                .is_err(),
            "a wrong PoP gets no answer"
        );
        match device.poll_protocomm_event() {
            Some(ProtocommEvent::AuthFailed {
                client,
                recent_failures,
                ..
            }) => {
                assert_eq!(client, BLE);
                assert_eq!(recent_failures, attempt + 1);
            }
            other => panic!("expected AuthFailed, got {other:?}"),
        }
        if let Some(event) = device.poll_protocomm_event() {
            lockout = Some(event);
        }
    }
    match lockout {
        Some(ProtocommEvent::AuthLockout {
            client, until_ms, ..
        }) => {
            assert_eq!(client, BLE);
            assert_eq!(
                Some(until_ms),
                device.protocomm().and_then(|p| p.locked_until(now))
            );
        }
        other => panic!("expected AuthLockout after the last failure, got {other:?}"),
    }
    assert_eq!(device.poll_protocomm_event(), None, "drained");
}

#[test]
fn created_but_unregistered_endpoint_is_404_until_registered() {
    let mut device = started(DeviceSecurityConfig::Sec0);
    let mut framing = HttpFraming::new();
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let mut hooks = provkit_manager::NoHooks;
    let mut send = |device: &mut Device, now: u64| {
        device.handle_http(
            &mut framing,
            &post("/custom-data", b"hello"),
            &mut hooks,
            &mut rng,
            Instant::from_millis(now),
        )
    };
    let not_found = |outcome: &HttpOutcome| matches!(outcome, HttpOutcome::Reply(r) if r.status == 404 && r.body == NOT_FOUND_BODY.as_bytes());

    let before = send(&mut device, 1);
    assert!(not_found(&before), "unregistered: 404, got {before:?}");

    device
        .register_endpoint("custom-data", Box::new(|req: &[u8]| Ok(req.to_vec())))
        .expect("registered");
    match send(&mut device, 2) {
        HttpOutcome::Reply(r) => assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..])),
        HttpOutcome::Close => panic!("registered endpoint must answer"),
    }

    device
        .manager
        .endpoint_unregister("custom-data")
        .expect("unregistered");
    let after = send(&mut device, 3);
    assert!(not_found(&after), "unregistered again: 404, got {after:?}");
}
