//! Protocomm core: dispatch, the single session, ownership across transports (spec §4.0,
//! §4.5), with real sec1/sec2 handshakes driven by `provkit-security`'s client.

mod common;

use common::{EchoHandler, SEC0_COMMAND, SEC0_RESPONSE, TestRng};
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, Protocomm, ProtocommError, Sec2Patch, TransportKind,
    VersionInfo,
};
use provkit_security::{ClientSecurityConfig, ClientSession, generate_sec2_credentials};
use std::cell::Cell;

thread_local! {
    /// The test's clock (ms): what an adapter would read before each call.
    static CLOCK: Cell<u64> = const { Cell::new(0) };
}

fn set_clock(ms: u64) {
    CLOCK.with(|c| c.set(ms));
}

fn now() -> provkit_hal::Instant {
    provkit_hal::Instant::from_millis(CLOCK.with(Cell::get))
}

const HTTP_A: ClientId = ClientId::new(TransportKind::Http, 1);
const HTTP_B: ClientId = ClientId::new(TransportKind::Http, 2);
const BLE: ClientId = ClientId::new(TransportKind::Ble, 1);
const CONSOLE: ClientId = ClientId::new(TransportKind::Console, 0);

fn sec1() -> (Protocomm, ClientSecurityConfig) {
    let pop = b"abcd1234".to_vec();
    (
        Protocomm::new(
            DeviceSecurityConfig::Sec1 {
                pop: Some(pop.clone()),
            },
            VersionInfo::default(),
        ),
        ClientSecurityConfig::Sec1 { pop: Some(pop) },
    )
}

/// Runs a full handshake for `who`; returns the established client.
fn handshake(
    pc: &mut Protocomm,
    who: ClientId,
    config: ClientSecurityConfig,
    rng: &mut TestRng,
) -> ClientSession {
    let mut h = EchoHandler::default();
    let mut client = ClientSession::new(config);
    let mut request = client.start(rng).expect("command0");
    loop {
        let response = pc
            .handle(who, "prov-session", &request, &mut h, rng, now())
            .expect("device answers");
        match client
            .handle_response(&response, rng)
            .expect("client accepts")
        {
            Some(next) => request = next,
            None => break,
        }
    }
    assert!(pc.is_established(who));
    client
}

fn roundtrip(
    pc: &mut Protocomm,
    who: ClientId,
    client: &mut ClientSession,
    msg: &[u8],
    rng: &mut TestRng,
) -> Vec<u8> {
    let mut h = EchoHandler::default();
    let ct = client.encrypt(msg).expect("encrypt");
    assert_ne!(
        ct.as_slice(),
        msg,
        "sec1/sec2 bodies are encrypted on the wire"
    );
    let resp = pc
        .handle(who, "prov-config", &ct, &mut h, rng, now())
        .expect("answered");
    assert_eq!(h.seen, [("prov-config".to_string(), msg.to_vec())]);
    client.decrypt(&resp).expect("decrypt")
}

#[test]
fn requests_before_the_handshake_get_no_answer() {
    let (mut pc, cfg) = sec1();
    let mut rng = TestRng::new(1);
    let mut h = EchoHandler::default();
    assert_eq!(
        pc.handle(BLE, "prov-config", b"x", &mut h, &mut rng, now()),
        Err(ProtocommError::NoSession)
    );
    // Half-way through the handshake is still "not established".
    let mut client = ClientSession::new(cfg);
    let c0 = client.start(&mut rng).expect("command0");
    pc.handle(BLE, "prov-session", &c0, &mut h, &mut rng, now())
        .expect("response0");
    assert_eq!(
        pc.handle(BLE, "prov-config", b"x", &mut h, &mut rng, now()),
        Err(ProtocommError::NoSession)
    );
    assert!(h.seen.is_empty());
}

#[test]
fn sec1_data_phase_reaches_the_handler_decrypted() {
    let (mut pc, cfg) = sec1();
    let mut rng = TestRng::new(2);
    let mut client = handshake(&mut pc, BLE, cfg, &mut rng);
    assert_eq!(
        roundtrip(&mut pc, BLE, &mut client, b"one", &mut rng),
        b"prov-config:one"
    );
    assert_eq!(
        roundtrip(&mut pc, BLE, &mut client, b"two", &mut rng),
        b"prov-config:two"
    );
}

#[test]
fn sec2_patch1_data_phase_reaches_the_handler_decrypted() {
    let mut rng = TestRng::new(3);
    let (salt, verifier) = generate_sec2_credentials(
        b"wifiprov",
        b"abcd1234",
        16,
        provkit_security::VerifierConvention::EspIdf,
        &mut rng,
    )
    .expect("credentials");
    let mut pc = Protocomm::new(
        DeviceSecurityConfig::Sec2 {
            salt,
            verifier,
            patch: Sec2Patch::Patch1,
        },
        VersionInfo::default(),
    );
    let cfg = ClientSecurityConfig::Sec2 {
        username: b"wifiprov".to_vec(),
        password: b"abcd1234".to_vec(),
        patch: Sec2Patch::Patch1,
    };
    let mut client = handshake(&mut pc, HTTP_A, cfg, &mut rng);
    assert_eq!(
        roundtrip(&mut pc, HTTP_A, &mut client, b"hi", &mut rng),
        b"prov-config:hi"
    );
}

#[test]
fn other_transports_cannot_touch_the_owner_until_they_prove_the_secret() {
    let (mut pc, cfg) = sec1();
    let mut rng = TestRng::new(4);
    let mut h = EchoHandler::default();
    let mut owner = handshake(&mut pc, BLE, cfg.clone(), &mut rng);

    // An HTTP client's Command0 runs as a candidate beside the owner's session...
    let mut intruder = ClientSession::new(ClientSecurityConfig::Sec1 {
        pop: Some(b"not the pop".to_vec()),
    });
    let c0 = intruder.start(&mut rng).expect("command0");
    let r0 = pc
        .handle(HTTP_A, "prov-session", &c0, &mut h, &mut rng, now())
        .expect("a candidate gets its Response0");
    assert_eq!(pc.candidate_clients().collect::<Vec<_>>(), [HTTP_A]);
    // ...its requests are refused, silently, and so are other transports' ones...
    assert_eq!(
        pc.handle(HTTP_A, "prov-config", b"x", &mut h, &mut rng, now()),
        Err(ProtocommError::SessionOwnedElsewhere)
    );
    assert_eq!(
        pc.handle(CONSOLE, "prov-config", b"x", &mut h, &mut rng, now()),
        Err(ProtocommError::SessionOwnedElsewhere)
    );
    // ...a wrong proof ends only the candidate...
    let c1 = intruder
        .handle_response(&r0, &mut rng)
        .expect("client side")
        .expect("command1");
    assert!(matches!(
        pc.handle(HTTP_A, "prov-session", &c1, &mut h, &mut rng, now()),
        Err(ProtocommError::Security(_))
    ));
    assert_eq!(pc.candidate_clients().count(), 0);
    // proto-ver is still answered to anybody, and the owner is unaffected.
    assert_eq!(
        pc.handle(HTTP_A, "proto-ver", b"-", &mut h, &mut rng, now())
            .as_deref(),
        Ok(pc.proto_ver_body())
    );
    assert_eq!(
        roundtrip(&mut pc, BLE, &mut owner, b"still", &mut rng),
        b"prov-config:still"
    );
    assert!(h.seen.is_empty(), "no stranger request reached the handler");

    // A client that proves the PoP takes over, whatever its transport.
    let _http = handshake(&mut pc, HTTP_A, cfg.clone(), &mut rng);
    assert_eq!(pc.session_client(), Some(HTTP_A));
    assert!(!pc.is_established(BLE));
    // The owner's BLE link goes: nothing changes for the HTTP owner.
    pc.close_session(BLE);
    assert_eq!(pc.session_client(), Some(HTTP_A));
    pc.close_session(HTTP_A);
    assert_eq!(pc.session_client(), None);
    let _console = handshake(&mut pc, CONSOLE, cfg, &mut rng);
    assert_eq!(pc.session_client(), Some(CONSOLE));
}

#[test]
fn same_transport_newcomer_replaces_the_session_once_it_proves() {
    let (mut pc, cfg) = sec1();
    let mut rng = TestRng::new(5);
    let mut h = EchoHandler::default();
    let mut first = handshake(&mut pc, HTTP_A, cfg.clone(), &mut rng);
    let _second = handshake(&mut pc, HTTP_B, cfg, &mut rng);
    let ct = first.encrypt(b"late").expect("encrypt");
    assert_eq!(
        pc.handle(HTTP_A, "prov-config", &ct, &mut h, &mut rng, now()),
        Err(ProtocommError::SessionOwnedElsewhere)
    );
    assert!(h.seen.is_empty());
}

#[test]
fn a_half_done_handshake_does_not_block_anyone() {
    let (mut pc, cfg) = sec1();
    let mut rng = TestRng::new(6);
    let mut h = EchoHandler::default();
    let mut stalled = ClientSession::new(cfg.clone());
    let c0 = stalled.start(&mut rng).expect("command0");
    pc.handle(BLE, "prov-session", &c0, &mut h, &mut rng, now())
        .expect("response0");
    let _http = handshake(&mut pc, HTTP_A, cfg, &mut rng);
    assert_eq!(pc.session_client(), Some(HTTP_A));
}

#[test]
fn command0_restarts_an_established_session() {
    let (mut pc, cfg) = sec1();
    let mut rng = TestRng::new(7);
    let _old = handshake(&mut pc, BLE, cfg.clone(), &mut rng);
    let mut new = handshake(&mut pc, BLE, cfg, &mut rng);
    assert_eq!(
        roundtrip(&mut pc, BLE, &mut new, b"fresh", &mut rng),
        b"prov-config:fresh"
    );
}

#[test]
fn failures_give_no_response() {
    let (mut pc, cfg) = sec1();
    let mut rng = TestRng::new(8);
    let mut h = EchoHandler::default();
    assert_eq!(
        pc.handle(BLE, "prov-session", &[0x08], &mut h, &mut rng, now())
            .map(|_| ())
            .map_err(|e| matches!(e, ProtocommError::Security(_))),
        Err(true)
    );
    let mut client = handshake(&mut pc, BLE, cfg, &mut rng);
    let ct = client.encrypt(b"fail").expect("encrypt");
    assert_eq!(
        pc.handle(BLE, "prov-config", &ct, &mut h, &mut rng, now()),
        Err(ProtocommError::Handler(
            provkit_protocomm::HandlerError::new("asked to fail")
        ))
    );
    assert_eq!(
        pc.handle(BLE, "no-such-endpoint", b"x", &mut h, &mut rng, now()),
        Err(ProtocommError::UnknownEndpoint)
    );
}

#[test]
fn sec0_needs_no_handshake_and_the_first_user_owns_it() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut rng = TestRng::new(9);
    let mut h = EchoHandler::default();
    assert_eq!(
        pc.handle(CONSOLE, "prov-config", b"plain", &mut h, &mut rng, now())
            .as_deref(),
        Ok(&b"prov-config:plain"[..])
    );
    assert_eq!(
        pc.handle(BLE, "prov-session", &SEC0_COMMAND, &mut h, &mut rng, now()),
        Err(ProtocommError::SessionOwnedElsewhere)
    );
    pc.close_session(CONSOLE);
    assert_eq!(
        pc.handle(BLE, "prov-session", &SEC0_COMMAND, &mut h, &mut rng, now())
            .as_deref(),
        Ok(&SEC0_RESPONSE[..])
    );
}

#[test]
fn custom_endpoints_dispatch_by_name_and_freeze_at_first_request() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut rng = TestRng::new(10);
    let mut h = EchoHandler::default();
    assert_eq!(pc.add_custom_endpoint("custom-data"), Ok(0xFF54));
    assert_eq!(
        pc.handle(HTTP_A, "custom-data", b"abc", &mut h, &mut rng, now())
            .as_deref(),
        Ok(&b"custom-data:abc"[..])
    );
    assert_eq!(
        pc.add_custom_endpoint("later"),
        Err(ProtocommError::TableFrozen)
    );
    // Sec0 bodies pass through unencrypted, both ways.
    assert_eq!(h.seen, [("custom-data".to_string(), b"abc".to_vec())]);
}

#[test]
fn an_idle_sec0_owner_is_displaced_after_the_timeout() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    assert_eq!(
        pc.owner_idle_timeout_ms(),
        Some(Protocomm::DEFAULT_OWNER_IDLE_TIMEOUT_MS)
    );
    pc.set_owner_idle_timeout(Some(1_000));
    let mut rng = TestRng::new(21);
    let mut h = EchoHandler::default();
    set_clock(10_000);
    assert!(
        pc.handle(HTTP_A, "prov-config", b"mine", &mut h, &mut rng, now())
            .is_ok()
    );

    // Activity by the owner restarts the idle clock.
    set_clock(10_900);
    assert!(
        pc.handle(HTTP_A, "prov-config", b"alive", &mut h, &mut rng, now())
            .is_ok()
    );
    set_clock(11_800);
    assert_eq!(
        pc.handle(BLE, "prov-session", &SEC0_COMMAND, &mut h, &mut rng, now()),
        Err(ProtocommError::SessionOwnedElsewhere),
        "900 ms after its last request the owner is still live"
    );
    assert_eq!(
        pc.handle(HTTP_B, "prov-config", b"theirs", &mut h, &mut rng, now()),
        Err(ProtocommError::SessionOwnedElsewhere),
        "the same goes for another client of the owner's transport"
    );
    assert_eq!(pc.session_client(), Some(HTTP_A));

    // 1 s without a request: the owner (whose HTTP session never ends by itself) is gone.
    set_clock(11_900);
    assert_eq!(
        pc.handle(BLE, "prov-session", &SEC0_COMMAND, &mut h, &mut rng, now())
            .as_deref(),
        Ok(&SEC0_RESPONSE[..])
    );
    assert_eq!(pc.session_client(), Some(BLE));
    assert_eq!(
        pc.handle(HTTP_A, "prov-config", b"late", &mut h, &mut rng, now()),
        Err(ProtocommError::SessionOwnedElsewhere),
        "the displaced owner is now the outsider"
    );
}

#[test]
fn a_detached_sec0_owner_is_displaced_at_once_and_a_returning_one_reattaches() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut rng = TestRng::new(23);
    let mut h = EchoHandler::default();
    assert!(
        pc.handle(HTTP_A, "prov-config", b"a", &mut h, &mut rng, now())
            .is_ok()
    );
    pc.detach(HTTP_A);
    // The owner comes back before anyone else: it is attached again.
    assert!(
        pc.handle(HTTP_A, "prov-config", b"b", &mut h, &mut rng, now())
            .is_ok()
    );
    assert_eq!(
        pc.handle(HTTP_B, "prov-config", b"c", &mut h, &mut rng, now()),
        Err(ProtocommError::SessionOwnedElsewhere)
    );
    pc.detach(HTTP_A);
    assert!(
        pc.handle(HTTP_B, "prov-config", b"d", &mut h, &mut rng, now())
            .is_ok()
    );
    assert_eq!(pc.session_client(), Some(HTTP_B));
}

#[test]
fn without_an_idle_timeout_a_sec0_owner_is_never_displaced() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    pc.set_owner_idle_timeout(None);
    let mut rng = TestRng::new(22);
    let mut h = EchoHandler::default();
    assert!(
        pc.handle(HTTP_A, "prov-config", b"a", &mut h, &mut rng, now())
            .is_ok()
    );
    set_clock(u64::MAX / 2);
    assert_eq!(
        pc.handle(
            CONSOLE,
            "prov-session",
            &SEC0_COMMAND,
            &mut h,
            &mut rng,
            now()
        ),
        Err(ProtocommError::SessionOwnedElsewhere)
    );
}
