//! Complete provisioning runs: provkit-client against the simulated device, for security
//! 0, 1 and 2 (both patches) over HTTP, BLE GATT (small MTU: long writes and blob reads) and
//! the console (sec2 included: provkit's console line limit fits it); plus wrong PoP, wrong password then right one, Wi-Fi failure + reset,
//! reprovisioning and two transports racing for the one session.

use provkit_client::{
    Client, ClientError, ClientSecurityConfig, FailReason, PollPolicy, ScanPlan, Scheme, Sec2Patch,
    Secrets, SecurityPolicy, Transport, TransportError, WifiCredentials, WifiStatus,
};
use provkit_e2e::{BleLink, ConsoleLink, DetRng, DeviceSetup, HttpLink, SharedDevice, SimDevice};
use provkit_hal::Ssid;
use provkit_manager::EspEvent;
use provkit_protocomm::console::{REFERENCE_MAX_LINE_LEN, format_line, parse_response};
use provkit_protocomm::{ClientId, TransportKind};
use provkit_security::{DeviceSecurityConfig, generate_sec2_credentials};

const USER: &[u8] = b"wifiprov";

/// The client policy a user of a device running `scheme` needs: sec2 patch 0 is refused
/// unless allowed explicitly.
fn legacy_policy(scheme: Scheme) -> SecurityPolicy {
    SecurityPolicy {
        allow_sec2_patch0: scheme == Scheme::Sec2(Sec2Patch::Patch0),
        ..SecurityPolicy::default()
    }
}
const PASSWORD: &[u8] = b"abcd1234";

fn sec2_config(patch: Sec2Patch, seed: u64) -> DeviceSecurityConfig {
    let (salt, verifier) = generate_sec2_credentials(
        USER,
        PASSWORD,
        16,
        provkit_security::VerifierConvention::EspIdf,
        &mut DetRng::seeded(seed),
    )
    .expect("credentials");
    DeviceSecurityConfig::Sec2 {
        salt,
        verifier,
        patch,
    }
}

/// Every scheme the device can run, with the secrets a user would type.
fn schemes(seed: u64) -> Vec<(&'static str, DeviceSecurityConfig, Secrets, Scheme)> {
    let sec2_secrets = Secrets {
        username: Some(USER.to_vec()),
        password: Some(PASSWORD.to_vec()),
        ..Secrets::default()
    };
    vec![
        (
            "sec0",
            DeviceSecurityConfig::Sec0,
            Secrets::default(),
            Scheme::Sec0,
        ),
        (
            "sec1",
            DeviceSecurityConfig::Sec1 {
                pop: Some(b"abcd1234".to_vec()),
            },
            Secrets {
                pop: Some(b"abcd1234".to_vec()),
                ..Secrets::default()
            },
            Scheme::Sec1,
        ),
        (
            "sec1-nopop",
            DeviceSecurityConfig::Sec1 { pop: None },
            Secrets::default(),
            Scheme::Sec1,
        ),
        (
            "sec2p0",
            sec2_config(Sec2Patch::Patch0, seed),
            sec2_secrets.clone(),
            Scheme::Sec2(Sec2Patch::Patch0),
        ),
        (
            "sec2p1",
            sec2_config(Sec2Patch::Patch1, seed),
            sec2_secrets,
            Scheme::Sec2(Sec2Patch::Patch1),
        ),
    ]
}

fn esp_events(device: &SharedDevice) -> Vec<EspEvent> {
    device.borrow().events.to_vec()
}

/// The whole flow esp_prov runs without `--ssid`: detect, handshake, custom data, scan,
/// pick "myssid", provision, and check the device side agrees.
fn full_flow<T: Transport>(
    name: &str,
    device: &SharedDevice,
    transport: T,
    secrets: &Secrets,
    want: Scheme,
    plan: &ScanPlan,
) {
    let mut client = Client::new(transport);
    // A legacy sec2 patch-0 device: its user has to allow that explicitly.
    client.set_security_policy(legacy_policy(want));
    let mut rng = DetRng::seeded(0x00C1_1EA7);
    let scheme = client
        .connect(secrets, None, &mut rng)
        .unwrap_or_else(|e| panic!("{name}: connect: {e}"));
    assert_eq!(scheme, want, "{name}");
    assert_eq!(
        client.custom("custom-data", b"hello").expect("custom"),
        b"SUCCESS",
        "{name}"
    );
    let aps = client
        .scan(plan, || {})
        .unwrap_or_else(|e| panic!("{name}: scan: {e}"));
    let names: Vec<&[u8]> = aps.iter().map(|a| a.ssid.as_slice()).collect();
    // The device sorts by RSSI, strongest first.
    assert_eq!(names, [&b"myssid"[..], b"Guest Net", b"office-5"], "{name}");
    assert_eq!(aps[0].rssi, -42);
    let info = client
        .provision(
            &WifiCredentials::new(aps[0].ssid.clone(), "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .unwrap_or_else(|e| panic!("{name}: provision: {e}"));
    assert_eq!(info.ssid, b"myssid", "{name}");
    assert_eq!(info.ip4_addr, "192.168.1.42", "{name}");
    assert_eq!(info.channel, 6, "{name}");
    let dev = device.borrow();
    assert_eq!(
        *dev.custom_received.borrow(),
        vec![b"hello".to_vec()],
        "{name}: the application's endpoint handler got the decrypted body"
    );
    assert_eq!(dev.runner.station.overlapping_connects, 0, "{name}");
    // Confirmed credentials were persisted, and only those.
    assert_eq!(dev.stored().len(), 1, "{name}");
    assert_eq!(
        dev.stored()[0].credentials.ssid,
        Ssid::new(b"myssid").expect("ssid")
    );
    drop(dev);
    let events = esp_events(device);
    assert!(
        events.contains(&EspEvent::CredSuccess),
        "{name}: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EspEvent::CredRecv { ssid } if ssid.as_bytes() == b"myssid"))
    );
}

#[test]
fn http_all_schemes() {
    for (name, security, secrets, want) in schemes(11) {
        let device = SimDevice::start(DeviceSetup::new(security, 0x5EED_0001));
        let link = HttpLink::new(&device);
        full_flow(name, &device, link, &secrets, want, &ScanPlan::HTTP);
        // With auto-stop (30 s) the device takes its transports down after the Connected
        // answer; virtual time makes that observable.
        device.borrow_mut().advance(40_000);
        let dev = device.borrow();
        assert!(!dev.transports_up, "{name}: auto-stop");
        drop(dev);
        assert!(esp_events(&device).contains(&EspEvent::End), "{name}");
    }
}

#[test]
fn ble_small_mtu_all_schemes() {
    for (name, security, secrets, want) in schemes(12) {
        let device = SimDevice::start(DeviceSetup::new(security, 0x5EED_0002));
        // MTU 23: a sec2 Command0 (~404 bytes) needs ~23 Prepare Writes; its ~415-byte answer
        // ~19 Read Blobs.
        let link = BleLink::connect(&device, 7, 23).expect("connect");
        assert_eq!(
            link.endpoint_names()[..5],
            [
                "prov-ctrl",
                "prov-scan",
                "prov-session",
                "prov-config",
                "proto-ver"
            ]
        );
        full_flow(name, &device, link, &secrets, want, &ScanPlan::BLE);
    }
}

#[test]
fn ble_counts_long_writes_and_reads() {
    let device = SimDevice::start(DeviceSetup::new(sec2_config(Sec2Patch::Patch1, 3), 9));
    let mut link = BleLink::connect(&device, 1, 23).expect("connect");
    let mut client = Client::new(&mut link);
    let secrets = Secrets {
        username: Some(USER.to_vec()),
        password: Some(PASSWORD.to_vec()),
        ..Secrets::default()
    };
    client
        .connect(&secrets, None, &mut DetRng::seeded(5))
        .expect("connect");
    drop(client);
    // The ATT rules at MTU 23: a request of up to MTU-3 = 20 bytes is one Write Request,
    // longer ones go as Prepare Writes of MTU-5 = 18 bytes plus one Execute Write; a response
    // is read in MTU-1 = 22-byte pieces until a short (possibly empty) piece.
    let mtu = 23usize;
    let (mut writes, mut prepares, mut executes, mut reads) = (0, 0, 0, 0);
    for (_, request, response) in &link.exchanges {
        if *request <= mtu - 3 {
            writes += 1;
        } else {
            prepares += request.div_ceil(mtu - 5);
            executes += 1;
        }
        reads += response / (mtu - 1) + 1;
    }
    let endpoints: Vec<&str> = link.exchanges.iter().map(|(e, _, _)| e.as_str()).collect();
    // proto-ver, then the sec2 handshake: Command0 (SRP A, ~400 bytes) and Command1.
    assert_eq!(endpoints, ["proto-ver", "prov-session", "prov-session"]);
    let (_, command0, response0) = link.exchanges[1];
    assert!(command0 > 384 && response0 > 384, "{command0} {response0}");
    let proto_ver_len = device
        .borrow()
        .device
        .protocomm()
        .expect("running")
        .proto_ver_body()
        .len();
    assert_eq!(link.exchanges[0].2, proto_ver_len);
    assert_eq!(link.prepare_writes, prepares, "prepare writes");
    assert_eq!(link.execute_writes, executes, "execute writes");
    assert_eq!(link.single_writes, writes, "single writes");
    assert_eq!(link.value_reads, reads, "read + read blob requests");
    assert_eq!(
        link.att_operations,
        writes + prepares + executes + reads,
        "nothing else was sent"
    );
}

/// Every scheme, sec2 with both patches included, over the console: provkit's default line
/// limit (2048) fits a sec2 Command0 (~830 characters), which the reference's 256-byte UART
/// buffer does not.
#[test]
fn console_all_schemes() {
    for (name, security, secrets, want) in schemes(13) {
        let device = SimDevice::start(DeviceSetup::new(security, 0x5EED_0003));
        let link = ConsoleLink::new(&device, 0);
        full_flow(name, &device, link, &secrets, want, &ScanPlan::BLE);
        assert_eq!(
            device.borrow().session_client(),
            Some(ClientId::new(TransportKind::Console, 0)),
            "{name}"
        );
    }
}

/// A device whose console keeps the reference's 256-byte limit refuses the sec2 Command0
/// line cleanly (no answer, no session, nothing buffered), and still serves short lines.
#[test]
fn console_line_over_the_configured_limit_is_refused() {
    for patch in [Sec2Patch::Patch0, Sec2Patch::Patch1] {
        let mut setup = DeviceSetup::new(sec2_config(patch, 14), 0x5EED_0004);
        setup.console_max_line = REFERENCE_MAX_LINE_LEN;
        let device = SimDevice::start(setup);
        let mut client = Client::new(ConsoleLink::new(&device, 0));
        client.set_security_policy(legacy_policy(Scheme::Sec2(patch)));
        let secrets = Secrets {
            username: Some(USER.to_vec()),
            password: Some(PASSWORD.to_vec()),
            ..Secrets::default()
        };
        assert_eq!(
            client.connect(&secrets, None, &mut DetRng::seeded(1)),
            Err(ClientError::Transport(TransportError::NoResponse))
        );
        assert_eq!(device.borrow().session_client(), None);
        // The line really was over the limit, and a short one still gets its answer.
        let command0_line_len = {
            let mut session = provkit_security::ClientSession::new(
                provkit_security::ClientSecurityConfig::Sec2 {
                    username: USER.to_vec(),
                    password: PASSWORD.to_vec(),
                    patch,
                },
            );
            let body = session.start(&mut DetRng::seeded(2)).expect("command0");
            format_line("prov-session", 0, &body).len()
        };
        assert!(
            command0_line_len > REFERENCE_MAX_LINE_LEN,
            "{command0_line_len}"
        );
        let answer = device
            .borrow_mut()
            .console_line(format_line("proto-ver", 0, b"---").as_bytes())
            .expect("proto-ver answered");
        let body = parse_response(&answer).expect("hex");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("proto-ver JSON");
        assert_eq!(json["prov"]["sec_ver"], 2);
        let want_patch = u64::from(patch == Sec2Patch::Patch1);
        assert_eq!(json["prov"]["sec_patch_ver"], want_patch);
    }
}

#[test]
fn wrong_pop_then_right_pop_same_connection() {
    let device = SimDevice::start(DeviceSetup::new(
        DeviceSecurityConfig::Sec1 {
            pop: Some(b"abcd1234".to_vec()),
        },
        21,
    ));
    let mut client = Client::new(HttpLink::new(&device));
    let mut rng = DetRng::seeded(22);
    let wrong = Secrets {
        pop: Some(b"wrongpop".to_vec()),
        ..Secrets::default()
    };
    assert_eq!(
        client.connect(&wrong, None, &mut rng),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert!(!client.is_established());
    let right = Secrets {
        pop: Some(b"abcd1234".to_vec()),
        ..Secrets::default()
    };
    assert_eq!(client.connect(&right, None, &mut rng), Ok(Scheme::Sec1));
    assert!(matches!(client.get_status(), Ok(WifiStatus::Connecting)));
}

#[test]
fn wrong_password_then_right_password_same_session() {
    for patch in [Sec2Patch::Patch0, Sec2Patch::Patch1] {
        let device = SimDevice::start(DeviceSetup::new(sec2_config(patch, 31), 32));
        let mut client = Client::new(HttpLink::new(&device));
        let mut rng = DetRng::seeded(33);
        let wrong = ClientSecurityConfig::Sec2 {
            username: USER.to_vec(),
            password: b"nope".to_vec(),
            patch,
        };
        assert_eq!(
            client.establish_session(wrong, &mut rng),
            Err(ClientError::Transport(TransportError::NoResponse))
        );
        let cookie_after_failure = client.transport().cookie().map(str::to_string);
        let right = ClientSecurityConfig::Sec2 {
            username: USER.to_vec(),
            password: PASSWORD.to_vec(),
            patch,
        };
        client
            .establish_session(right, &mut rng)
            .expect("right password");
        // Same HTTP session (cookie) throughout: the device restarted the handshake.
        assert_eq!(
            client.transport().cookie().map(str::to_string),
            cookie_after_failure
        );
        let info = client
            .provision(
                &WifiCredentials::new("myssid", "mypassword"),
                PollPolicy::default(),
                || {},
            )
            .expect("provisioned");
        assert_eq!(info.ssid, b"myssid");
    }
}

#[test]
fn wifi_failure_reported_then_reset_and_retry() {
    let mut setup = DeviceSetup::new(DeviceSecurityConfig::Sec1 { pop: None }, 41);
    setup.manager.wifi_conn_attempts = 2;
    let device = SimDevice::start(setup);
    let mut client = Client::new(HttpLink::new(&device));
    client
        .connect(&Secrets::default(), None, &mut DetRng::seeded(42))
        .expect("connect");
    let policy = PollPolicy {
        max_polls: 20,
        failure_retries: 0,
    };
    // Wrong passphrase: the device retries once (attempt_failed), then reports AuthError.
    assert_eq!(
        client.provision(
            &WifiCredentials::new("myssid", "badpassword"),
            policy,
            || {}
        ),
        Err(ClientError::ConnectionFailed(FailReason::AuthError))
    );
    assert!(
        device.borrow().stored().is_empty(),
        "failed credentials are never persisted"
    );
    // Unknown network: NetworkNotFound.
    let _ = client.ctrl_reset();
    assert_eq!(
        client.provision(&WifiCredentials::new("nowhere", "whatever1"), policy, || {}),
        Err(ClientError::ConnectionFailed(FailReason::NetworkNotFound))
    );
    // Reset (IDF may answer InternalError when it already reset itself, §12.16), then the
    // right credentials in the same session.
    match client.ctrl_reset() {
        Ok(()) | Err(ClientError::DeviceStatus { status: 5, .. }) => {}
        Err(e) => panic!("reset: {e}"),
    }
    let info = client
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .expect("right credentials");
    assert_eq!(info.ssid, b"myssid");
    let events = esp_events(&device);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EspEvent::CredFail { .. }))
    );
    assert!(events.contains(&EspEvent::CredSuccess));
}

#[test]
fn reprov_after_success() {
    let mut setup = DeviceSetup::new(DeviceSecurityConfig::Sec0, 51);
    setup.manager.auto_stop_ms = None; // reprov requires auto-stop disabled
    let device = SimDevice::start(setup);
    let mut client = Client::new(HttpLink::new(&device));
    client
        .connect(&Secrets::default(), None, &mut DetRng::seeded(52))
        .expect("connect");
    client
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .expect("first");
    client.ctrl_reprov().expect("reprov");
    let info = client
        .provision(
            &WifiCredentials::new("Guest Net", "guestpass"),
            PollPolicy::default(),
            || {},
        )
        .expect("second");
    assert_eq!(info.ssid, b"Guest Net");
    let starts = esp_events(&device)
        .iter()
        .filter(|e| **e == EspEvent::Start)
        .count();
    assert_eq!(starts, 2, "reprov emits START again");
    assert!(
        device
            .borrow()
            .stored()
            .iter()
            .any(|p| p.credentials.ssid.as_bytes() == b"Guest Net")
    );
}

/// Two transports race for the device's verified session. provkit-protocomm's rule (its
/// module docs): a newcomer, on any transport, runs its handshake beside the owner's session
/// and replaces it only once it has proven the password; a wrong password changes nothing for
/// the owner. (ESP-IDF lets any newcomer evict the holder, spec §4.0.)
#[test]
fn two_transports_race_for_the_one_session() {
    let device = SimDevice::start(DeviceSetup::new(sec2_config(Sec2Patch::Patch1, 61), 62));
    let secrets = Secrets {
        username: Some(USER.to_vec()),
        password: Some(PASSWORD.to_vec()),
        ..Secrets::default()
    };
    let wrong = Secrets {
        password: Some(b"guess".to_vec()),
        ..secrets.clone()
    };
    let mut rng = DetRng::seeded(63);
    // BLE connects first but HTTP finishes a handshake first: a connection that has not
    // proven anything blocks nobody.
    let mut ble = Client::new(BleLink::connect(&device, 3, 185).expect("ble"));
    let mut http = Client::new(HttpLink::new(&device));
    http.connect(&secrets, None, &mut rng)
        .expect("http session");
    assert!(matches!(http.get_status(), Ok(WifiStatus::Connecting)));
    // BLE with a wrong password gets no answer to its proof...
    assert_eq!(
        ble.connect(&wrong, None, &mut rng),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    // ...and the HTTP session is unharmed by the attempt.
    let info = http
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .expect("provisioned over http");
    assert_eq!(info.ssid, b"myssid");
    assert_eq!(ble.get_status(), Err(ClientError::NoSession));

    // The other order: BLE establishes first; HTTP proves the password and takes over, and
    // the BLE client is then the one without an answer.
    let device = SimDevice::start(DeviceSetup::new(sec2_config(Sec2Patch::Patch1, 64), 65));
    let mut link = BleLink::connect(&device, 4, 185).expect("ble");
    let mut ble = Client::new(&mut link);
    ble.connect(&secrets, None, &mut rng).expect("ble session");
    let mut http = Client::new(HttpLink::new(&device));
    assert_eq!(
        http.connect(&wrong, None, &mut rng),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert!(matches!(ble.get_status(), Ok(WifiStatus::Connecting)));
    http.connect(&secrets, None, &mut rng)
        .expect("http proves the password and takes over");
    assert!(matches!(http.get_status(), Ok(WifiStatus::Connecting)));
    assert!(
        ble.get_status().is_err(),
        "the displaced BLE client gets no answer"
    );
}

#[test]
fn runs_are_deterministic() {
    // Same seeds → byte-identical traffic, twice.
    fn transcript() -> Vec<u8> {
        let device = SimDevice::start(DeviceSetup::new(sec2_config(Sec2Patch::Patch1, 71), 72));
        let mut link = HttpLink::new(&device);
        let mut client = Client::new(&mut link);
        let secrets = Secrets {
            username: Some(USER.to_vec()),
            password: Some(PASSWORD.to_vec()),
            ..Secrets::default()
        };
        client
            .connect(&secrets, None, &mut DetRng::seeded(73))
            .expect("connect");
        let mut out = client.custom("custom-data", b"x").expect("custom");
        out.extend(client.transport().cookie().unwrap_or_default().bytes());
        out.extend(format!("{:?}", client.get_status()).bytes());
        out.extend(format!("{}", device.borrow().now()).bytes());
        out
    }
    assert_eq!(transcript(), transcript());
}

/// Security 0 has no proof, so its owner is displaced only when idle or gone. An HTTP owner
/// never ends its session by itself (the cookie outlives the socket) and the ESP default has
/// no provisioning window: after the owner idle timeout a BLE central takes over, provisions,
/// and the stale HTTP client is the one refused.
#[test]
fn idle_sec0_http_owner_is_displaced_by_ble_after_the_idle_timeout() {
    let device = SimDevice::start(DeviceSetup::new(DeviceSecurityConfig::Sec0, 72));
    let timeout = device
        .borrow()
        .device
        .protocomm()
        .and_then(|pc| pc.owner_idle_timeout_ms())
        .expect("an owner idle timeout is on by default");
    let mut rng = DetRng::seeded(73);
    let mut http = Client::new(HttpLink::new(&device));
    http.connect(&Secrets::default(), None, &mut rng)
        .expect("http session");
    assert!(matches!(http.get_status(), Ok(WifiStatus::Connecting)));

    // Shortly before the timeout the owner still blocks BLE.
    device.borrow_mut().advance(timeout / 2);
    let early = BleLink::connect(&device, 5, 185);
    assert!(
        matches!(&early, Err(TransportError::Io(why)) if why.contains("SessionOwnedElsewhere")),
        "a BLE central is refused while the HTTP owner is live"
    );
    assert_eq!(
        device.borrow().session_client().map(|c| c.transport),
        Some(TransportKind::Http),
        "HTTP still owns the session"
    );

    // The HTTP client goes quiet.
    device.borrow_mut().advance(timeout);
    let mut ble = Client::new(BleLink::connect(&device, 6, 185).expect("ble link"));
    ble.connect(&Secrets::default(), None, &mut rng)
        .expect("BLE takes over from the idle HTTP owner");
    assert_eq!(
        device.borrow().session_client(),
        Some(ClientId::new(TransportKind::Ble, 6))
    );
    let info = ble
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .expect("provisioned over BLE");
    assert_eq!(info.ssid, b"myssid");
    // The displaced HTTP client's old session is gone: no answer.
    assert_eq!(
        http.get_status(),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
}

/// Wrong Wi-Fi passphrase, then the right one, on the same client and session with no
/// `ctrl_reset` between: GetStatus reports the retry (AttemptFailed) and then
/// ConnectionFailed(AuthError); the working profile stored before is untouched by the failure;
/// SetConfig + ApplyConfig with the right passphrase then connects.
fn wrong_then_right_passphrase_without_reset<T: Transport>(
    name: &str,
    device: &SharedDevice,
    transport: T,
) {
    let mut client = Client::new(transport);
    client
        .connect(&Secrets::default(), None, &mut DetRng::seeded(81))
        .unwrap_or_else(|e| panic!("{name}: connect: {e}"));
    // A working profile from before.
    client
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .unwrap_or_else(|e| panic!("{name}: first provisioning: {e}"));
    let before = device.borrow().stored().to_vec();
    assert_eq!(before.len(), 1, "{name}");
    client
        .ctrl_reprov()
        .unwrap_or_else(|e| panic!("{name}: reprov: {e}"));

    client
        .set_config(&WifiCredentials::new("Guest Net", "not-guestpass"))
        .unwrap_or_else(|e| panic!("{name}: set_config (bad): {e}"));
    client
        .apply_config()
        .unwrap_or_else(|e| panic!("{name}: apply_config (bad): {e}"));
    let mut seen = Vec::new();
    for _ in 0..30 {
        device.borrow_mut().advance(1_000);
        let status = client
            .get_status()
            .unwrap_or_else(|e| panic!("{name}: get_status: {e}"));
        let done = matches!(status, WifiStatus::Failed(_));
        seen.push(status);
        if done {
            break;
        }
    }
    assert!(
        seen.iter()
            .any(|s| matches!(s, WifiStatus::AttemptFailed { .. })),
        "{name}: the retry is visible: {seen:?}"
    );
    assert_eq!(
        seen.last(),
        Some(&WifiStatus::Failed(FailReason::AuthError)),
        "{name}: {seen:?}"
    );
    assert_eq!(
        device.borrow().stored(),
        before.as_slice(),
        "{name}: the failed attempt left the stored profile alone"
    );

    // Same client, same session, no reset: the right passphrase connects.
    client
        .set_config(&WifiCredentials::new("Guest Net", "guestpass"))
        .unwrap_or_else(|e| panic!("{name}: set_config after the failure: {e}"));
    client
        .apply_config()
        .unwrap_or_else(|e| panic!("{name}: apply_config after the failure: {e}"));
    let info = client
        .wait_for_connection(PollPolicy::default(), || device.borrow_mut().advance(1_000))
        .unwrap_or_else(|e| panic!("{name}: right passphrase: {e}"));
    assert_eq!(info.ssid, b"Guest Net", "{name}");
    let stored = device.borrow().stored().to_vec();
    assert!(
        stored
            .iter()
            .any(|p| p.credentials.ssid.as_bytes() == b"Guest Net"
                && p.credentials.passphrase.as_bytes() == b"guestpass"),
        "{name}: {stored:?}"
    );
    assert!(
        stored
            .iter()
            .all(|p| p.credentials.passphrase.as_bytes() != b"not-guestpass"),
        "{name}: the wrong passphrase was never stored"
    );
    let events = esp_events(device);
    let fail = events
        .iter()
        .position(|e| matches!(e, EspEvent::CredFail { .. }))
        .unwrap_or_else(|| panic!("{name}: no CredFail in {events:?}"));
    let success_after = events
        .iter()
        .skip(fail)
        .any(|e| *e == EspEvent::CredSuccess);
    assert!(success_after, "{name}: {events:?}");
}

fn retrying_setup(seed: u64) -> DeviceSetup {
    let mut setup = DeviceSetup::new(DeviceSecurityConfig::Sec1 { pop: None }, seed);
    setup.manager.wifi_conn_attempts = 2;
    setup.manager.auto_stop_ms = None; // reprov requires auto-stop disabled
    setup
}

#[test]
fn http_wrong_then_right_passphrase_without_reset() {
    let device = SimDevice::start(retrying_setup(82));
    let link = HttpLink::new(&device);
    wrong_then_right_passphrase_without_reset("http", &device, link);
}

#[test]
fn ble_wrong_then_right_passphrase_without_reset() {
    let device = SimDevice::start(retrying_setup(83));
    let link = BleLink::connect(&device, 9, 185).expect("ble");
    wrong_then_right_passphrase_without_reset("ble", &device, link);
}
