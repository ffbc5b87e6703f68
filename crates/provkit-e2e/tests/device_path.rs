//! The issue-3 scenarios through `provkit_manager::Device` (the production one-call-per-
//! request entry point) with the manager's `Runner` over the hal mocks: complete flows for
//! every scheme over a plain client link and over the console framing, the console line
//! limit, wrong PoP / wrong password then the right one, Wi-Fi failure + reset, reprov,
//! two clients racing, the TI personality, and random request/event sequences.

use provkit_client::{
    Client, ClientError, ClientSecurityConfig, FailReason, PollPolicy, ScanPlan, Scheme, Sec2Patch,
    Secrets, SecurityPolicy, Transport, TransportError, WifiCredentials, WifiStatus,
};
use provkit_e2e::device_path::{DeviceConsoleLink, DeviceLink, ManagedDevice, SharedManaged};
use provkit_e2e::{DetRng, DeviceSetup};
use provkit_hal::{DisconnectReason, LinkEvent, Ssid};
use provkit_manager::ManagerError;
use provkit_manager::{
    Action, EspEvent, Role, Ti, TiConfig, TiEvent, TiMode, TiStartParams, TiStatus,
};
use provkit_protocomm::console::REFERENCE_MAX_LINE_LEN;
use provkit_protocomm::{ClientId, ProtocommError, TransportKind};
use provkit_security::{ClientSession, DeviceSecurityConfig, generate_sec2_credentials};

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
const BLE_CLIENT: ClientId = ClientId::new(TransportKind::Ble, 1);
const HTTP_CLIENT: ClientId = ClientId::new(TransportKind::Http, 2);

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

fn sec2_secrets() -> Secrets {
    Secrets {
        username: Some(USER.to_vec()),
        password: Some(PASSWORD.to_vec()),
        ..Secrets::default()
    }
}

fn pop_secrets(pop: &[u8]) -> Secrets {
    Secrets {
        pop: Some(pop.to_vec()),
        ..Secrets::default()
    }
}

fn schemes(seed: u64) -> Vec<(&'static str, DeviceSecurityConfig, Secrets, Scheme)> {
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
            pop_secrets(b"abcd1234"),
            Scheme::Sec1,
        ),
        (
            "sec2p0",
            sec2_config(Sec2Patch::Patch0, seed),
            sec2_secrets(),
            Scheme::Sec2(Sec2Patch::Patch0),
        ),
        (
            "sec2p1",
            sec2_config(Sec2Patch::Patch1, seed),
            sec2_secrets(),
            Scheme::Sec2(Sec2Patch::Patch1),
        ),
    ]
}

fn esp_events(device: &SharedManaged) -> Vec<EspEvent> {
    device.borrow().events.to_vec()
}

/// Handshake, custom data, scan, provision "myssid"; then the device side must agree.
fn full_flow<T: Transport>(
    name: &str,
    device: &SharedManaged,
    transport: T,
    secrets: &Secrets,
    want: Scheme,
) {
    let mut client = Client::new(transport);
    // A legacy sec2 patch-0 device: its user has to allow that explicitly.
    client.set_security_policy(legacy_policy(want));
    let mut rng = DetRng::seeded(0xD1CE);
    let scheme = client
        .connect(secrets, None, &mut rng)
        .unwrap_or_else(|e| panic!("{name}: connect: {e}"));
    assert_eq!(scheme, want, "{name}");
    assert_eq!(
        client.custom("custom-data", b"hello").expect("custom"),
        b"SUCCESS"
    );
    assert_eq!(
        *device.borrow().custom_received.borrow(),
        vec![b"hello".to_vec()],
        "{name}: the application handler got the decrypted body"
    );
    let plan = ScanPlan {
        page_size: 1,
        ..ScanPlan::BLE
    };
    let aps = client
        .scan(&plan, || {})
        .unwrap_or_else(|e| panic!("{name}: scan: {e}"));
    let names: Vec<&[u8]> = aps.iter().map(|a| a.ssid.as_slice()).collect();
    assert_eq!(names, [&b"myssid"[..], b"Guest Net", b"office-5"], "{name}");
    let info = client
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .unwrap_or_else(|e| panic!("{name}: provision: {e}"));
    assert_eq!(info.ssid, b"myssid", "{name}");
    assert_eq!(info.ip4_addr, "192.168.1.42", "{name}");
    let dev = device.borrow();
    assert_eq!(dev.stored().len(), 1, "{name}");
    assert_eq!(
        dev.stored()[0].credentials.ssid,
        Ssid::new(b"myssid").expect("ssid")
    );
    assert_eq!(dev.runner.station.inner.connects, 1, "{name}: one attempt");
    drop(dev);
    let events = esp_events(device);
    assert!(
        events.contains(&EspEvent::CredSuccess),
        "{name}: {events:?}"
    );
}

#[test]
fn device_all_schemes_over_a_plain_link() {
    for (name, security, secrets, want) in schemes(101) {
        let device = ManagedDevice::start(DeviceSetup::new(security, 102));
        full_flow(
            name,
            &device,
            DeviceLink::new(&device, BLE_CLIENT),
            &secrets,
            want,
        );
        // ESP auto-stop (30 s after the Connected answer): transports down, END, protocomm
        // dropped by Device once the manager is idle.
        device.borrow_mut().advance(40_000);
        let dev = device.borrow();
        assert!(!dev.transports_up, "{name}");
        assert!(dev.device.protocomm().is_none(), "{name}");
        drop(dev);
        assert!(esp_events(&device).contains(&EspEvent::End), "{name}");
        let mut late = Client::new(DeviceLink::new(&device, BLE_CLIENT));
        assert!(matches!(
            late.read_version(),
            Err(ClientError::Transport(TransportError::Disconnected(_)))
        ));
    }
}

#[test]
fn device_all_schemes_over_the_console() {
    for (name, security, secrets, want) in schemes(103) {
        let device = ManagedDevice::start(DeviceSetup::new(security, 104));
        let link = DeviceConsoleLink::new(&device, 0);
        let client = link.client();
        full_flow(name, &device, link, &secrets, want);
        let dev = device.borrow();
        let protocomm = dev.device.protocomm().expect("still provisioning");
        assert_eq!(protocomm.session_client(), Some(client), "{name}");
        assert!(protocomm.is_established(client), "{name}");
    }
}

#[test]
fn device_console_refuses_a_line_over_its_limit() {
    for patch in [Sec2Patch::Patch0, Sec2Patch::Patch1] {
        let mut setup = DeviceSetup::new(sec2_config(patch, 105), 106);
        setup.console_max_line = REFERENCE_MAX_LINE_LEN;
        let device = ManagedDevice::start(setup);
        let mut client = Client::new(DeviceConsoleLink::new(&device, 0));
        client.set_security_policy(legacy_policy(Scheme::Sec2(patch)));
        assert_eq!(
            client.connect(&sec2_secrets(), None, &mut DetRng::seeded(107)),
            Err(ClientError::Transport(TransportError::NoResponse))
        );
        // proto-ver (short line) was answered; the Command0 line never reached protocomm.
        assert_eq!(
            client.version().and_then(|v| v.sec_ver()),
            Some(2),
            "proto-ver answered"
        );
        let dev = device.borrow();
        assert_eq!(dev.device.protocomm().expect("pc").session_client(), None);
        assert_eq!(dev.console.max_line(), REFERENCE_MAX_LINE_LEN);
    }
}

#[test]
fn device_wrong_secret_then_right_secret_same_session() {
    // sec1: wrong PoP, then the right one, same client.
    let device = ManagedDevice::start(DeviceSetup::new(
        DeviceSecurityConfig::Sec1 {
            pop: Some(b"abcd1234".to_vec()),
        },
        111,
    ));
    let mut client = Client::new(DeviceLink::new(&device, HTTP_CLIENT));
    let mut rng = DetRng::seeded(112);
    assert_eq!(
        client.connect(&pop_secrets(b"wrongpop"), None, &mut rng),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert!(!client.is_established());
    assert_eq!(
        client.connect(&pop_secrets(b"abcd1234"), None, &mut rng),
        Ok(Scheme::Sec1)
    );
    assert!(matches!(client.get_status(), Ok(WifiStatus::Connecting)));

    // sec2, both patches: wrong password, then the right one, same client id.
    for patch in [Sec2Patch::Patch0, Sec2Patch::Patch1] {
        let device = ManagedDevice::start(DeviceSetup::new(sec2_config(patch, 113), 114));
        let mut client = Client::new(DeviceLink::new(&device, HTTP_CLIENT));
        let mut rng = DetRng::seeded(115);
        let config = |password: &[u8]| ClientSecurityConfig::Sec2 {
            username: USER.to_vec(),
            password: password.to_vec(),
            patch,
        };
        assert_eq!(
            client.establish_session(config(b"nope"), &mut rng),
            Err(ClientError::Transport(TransportError::NoResponse))
        );
        assert!(
            !device
                .borrow()
                .device
                .protocomm()
                .expect("pc")
                .is_established(HTTP_CLIENT)
        );
        client
            .establish_session(config(PASSWORD), &mut rng)
            .expect("right password");
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
fn device_wifi_failure_reset_and_reprov() {
    let mut setup = DeviceSetup::new(DeviceSecurityConfig::Sec1 { pop: None }, 121);
    setup.manager.wifi_conn_attempts = 2;
    setup.manager.auto_stop_ms = None; // reprov requires auto-stop disabled
    let device = ManagedDevice::start(setup);
    let mut client = Client::new(DeviceLink::new(&device, BLE_CLIENT));
    client
        .connect(&Secrets::default(), None, &mut DetRng::seeded(122))
        .expect("connect");
    let policy = PollPolicy {
        max_polls: 20,
        failure_retries: 0,
    };
    assert_eq!(
        client.provision(
            &WifiCredentials::new("myssid", "badpassword"),
            policy,
            || {}
        ),
        Err(ClientError::ConnectionFailed(FailReason::AuthError))
    );
    assert_eq!(
        device.borrow().runner.station.inner.connects,
        2,
        "two attempts"
    );
    assert!(device.borrow().stored().is_empty(), "never persisted");
    match client.ctrl_reset() {
        Ok(()) | Err(ClientError::DeviceStatus { status: 5, .. }) => {}
        Err(e) => panic!("reset: {e}"),
    }
    client
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .expect("right credentials after reset");
    client.ctrl_reprov().expect("reprov");
    let info = client
        .provision(
            &WifiCredentials::new("Guest Net", "guestpass"),
            PollPolicy::default(),
            || {},
        )
        .expect("second network");
    assert_eq!(info.ssid, b"Guest Net");
    let events = esp_events(&device);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EspEvent::CredFail { .. }))
    );
    assert_eq!(events.iter().filter(|e| **e == EspEvent::Start).count(), 2);
    let stored: Vec<Vec<u8>> = device
        .borrow()
        .stored()
        .iter()
        .map(|p| p.credentials.ssid.as_bytes().to_vec())
        .collect();
    assert!(stored.contains(&b"Guest Net".to_vec()), "{stored:?}");
    assert!(!stored.contains(&b"badpassword".to_vec()));
}

#[test]
fn device_two_clients_race_for_the_one_session() {
    let device = ManagedDevice::start(DeviceSetup::new(sec2_config(Sec2Patch::Patch1, 131), 132));
    let mut rng = DetRng::seeded(133);
    let ble_link = DeviceLink::new(&device, BLE_CLIENT);
    let mut console = Client::new(DeviceConsoleLink::new(&device, 0));
    let mut ble = Client::new(ble_link);
    ble.connect(&sec2_secrets(), None, &mut rng)
        .expect("ble session");
    // A console client with the wrong password cannot take the session over...
    let wrong = Secrets {
        password: Some(b"not it".to_vec()),
        ..sec2_secrets()
    };
    assert_eq!(
        console.connect(&wrong, None, &mut rng),
        Err(ClientError::Transport(TransportError::NoResponse)),
    );
    assert!(matches!(ble.get_status(), Ok(WifiStatus::Connecting)));
    // ...one that proves the password does, from another transport; the BLE client is then
    // the one refused.
    console
        .connect(&sec2_secrets(), None, &mut rng)
        .expect("a client that proves the password takes over");
    assert_eq!(
        ble.get_status(),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    ble.into_transport().disconnect();
    let info = console
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .expect("provisioned over the console");
    assert_eq!(info.ssid, b"myssid");
    assert_eq!(device.borrow().stored().len(), 1);
}

fn ti_statuses(device: &SharedManaged<Ti>) -> Vec<TiStatus> {
    device
        .borrow()
        .events
        .iter()
        .filter_map(|e| match e {
            TiEvent::ProvisioningStatus { status, .. } => Some(*status),
            _ => None,
        })
        .collect()
}

/// The TI personality behind the same `Device`: a phone provisions over protocomm; a failed
/// profile is reported and the session goes back to configuration; the good one is confirmed,
/// its GetStatus read counts as the phone's feedback, and only then is it committed.
#[test]
fn ti_personality_through_the_device() {
    let setup = DeviceSetup::new(
        DeviceSecurityConfig::Sec1 {
            pop: Some(b"abcd1234".to_vec()),
        },
        141,
    );
    let config = TiConfig {
        auto_provisioning: false,
        ..TiConfig::default()
    };
    let params = TiStartParams {
        mode: TiMode::Ap,
        role_after_success: Role::Sta,
        inactivity_timeout_s: 600,
        smart_config_key: None,
        external_confirmation: false,
    };
    let device = ManagedDevice::start_ti(setup, config, Role::Sta, params);
    assert!(device.borrow().transports_up);
    assert!(
        device
            .borrow()
            .transport_actions
            .contains(&Action::SwitchRole(Role::Ap))
    );
    let mut client = Client::new(DeviceLink::new(&device, HTTP_CLIENT));
    assert_eq!(
        client.connect(&pop_secrets(b"abcd1234"), None, &mut DetRng::seeded(142)),
        Ok(Scheme::Sec1)
    );
    let policy = PollPolicy {
        max_polls: 20,
        failure_retries: 0,
    };
    assert_eq!(
        client.provision(&WifiCredentials::new("myssid", "wrong-pass"), policy, || {}),
        Err(ClientError::ConnectionFailed(FailReason::AuthError))
    );
    assert!(device.borrow().stored().is_empty());
    assert!(device.borrow().transports_up, "back to configuration");
    let info = client
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .expect("provisioned");
    assert_eq!(info.ssid, b"myssid");
    device.borrow_mut().advance(1_000);
    let statuses = ti_statuses(&device);
    let dev = device.borrow();
    assert_eq!(dev.stored().len(), 1, "{statuses:?}");
    assert_eq!(dev.device.manager.role(), Role::Sta);
    assert!(!dev.transports_up, "{statuses:?}");
    assert!(
        statuses.contains(&TiStatus::ConfirmationIpAcquired),
        "{statuses:?}"
    );
    assert!(statuses.contains(&TiStatus::Success), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&TiStatus::Stopped), "{statuses:?}");
    let fail_before_success = statuses
        .iter()
        .position(|s| (1..=4).contains(&(*s as u8)))
        .zip(statuses.iter().position(|s| *s == TiStatus::Success));
    assert!(
        matches!(fail_before_success, Some((f, s)) if f < s),
        "{statuses:?}"
    );
    assert!(dev.events.iter().any(|e| matches!(
        e,
        TiEvent::ProfileAdded { ssid, .. } if ssid.as_bytes() == b"myssid"
    )));
}

mod random_sequences {
    //! Random request/event sequences at the `Device` level, two clients on two transports:
    //! * only confirmed credentials (a real AP's SSID with its passphrase) are ever stored;
    //! * one owner at a time: at most one client has an established session, a client that
    //!   is not the owner never gets a `prov-config` answer, and the station never gets a
    //!   `connect` while an earlier attempt still owns it;
    //! * after any failure the owner can still provision in the same session;
    //! * nothing panics.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Handshake(usize),
        Provision(usize, u8),
        Status(usize),
        Reset(usize),
        Reprov(usize),
        Leave(usize),
        LinkLost,
        Advance(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..2usize).prop_map(Op::Handshake),
            (0..2usize, 0..4u8).prop_map(|(c, n)| Op::Provision(c, n)),
            (0..2usize).prop_map(Op::Status),
            (0..2usize).prop_map(Op::Reset),
            (0..2usize).prop_map(Op::Reprov),
            (0..2usize).prop_map(Op::Leave),
            Just(Op::LinkLost),
            (0..5_000u16).prop_map(Op::Advance),
        ]
    }

    /// (ssid, passphrase) choices: good, wrong passphrase, unknown network, second good.
    const CHOICES: [(&str, &str); 4] = [
        ("myssid", "mypassword"),
        ("myssid", "not-the-one"),
        ("nowhere", "whatever1"),
        ("Guest Net", "guestpass"),
    ];

    fn check(device: &SharedManaged) -> Result<(), TestCaseError> {
        let dev = device.borrow();
        for p in dev.stored() {
            let pair = (
                p.credentials.ssid.as_bytes(),
                p.credentials.passphrase.as_bytes(),
            );
            prop_assert!(
                CHOICES
                    .iter()
                    .any(|(s, k)| pair == (s.as_bytes(), k.as_bytes())
                        && *k != "not-the-one"
                        && *s != "nowhere"),
                "unconfirmed credentials stored: {:?}",
                pair
            );
        }
        let owner = dev.device.protocomm().and_then(|pc| {
            [BLE_CLIENT, HTTP_CLIENT]
                .into_iter()
                .find(|c| pc.is_established(*c))
        });
        drop(dev);
        if let Some(owner) = owner {
            // The client of the other transport starts a handshake (and never finishes it): it
            // runs as a candidate, and the owner must keep its established session.
            let outsider = if owner == BLE_CLIENT {
                HTTP_CLIENT
            } else {
                BLE_CLIENT
            };
            let mut probe = ClientSession::new(ClientSecurityConfig::Sec1 { pop: None });
            let command0 = probe
                .start(&mut DetRng::seeded(153))
                .map_err(|e| TestCaseError::fail(format!("probe command0: {e:?}")))?;
            let answer = device
                .borrow_mut()
                .request(outsider, "prov-session", &command0);
            prop_assert!(
                answer.is_ok(),
                "non-owner {:?}'s Command0 did not run as a candidate while {:?} owns the \
                 session: {:?}",
                outsider,
                owner,
                answer
            );
            let refused = device
                .borrow_mut()
                .request(outsider, "prov-config", &[0x08, 0x00]);
            prop_assert!(
                matches!(
                    refused,
                    Err(ManagerError::Protocomm(
                        ProtocommError::SessionOwnedElsewhere
                    ))
                ),
                "non-owner {:?} got a prov-config answer while {:?} owns the session",
                outsider,
                owner
            );
            let dev = device.borrow();
            let still = dev
                .device
                .protocomm()
                .is_some_and(|pc| pc.is_established(owner));
            prop_assert!(still, "the refused probe disturbed the owner");
        }
        let dev = device.borrow();
        prop_assert_eq!(
            dev.runner.station.overlapping_connects,
            0,
            "a connect while another attempt owned the radio"
        );
        Ok(())
    }

    fn run(ops: &[Op]) -> Result<(), TestCaseError> {
        let mut setup = DeviceSetup::new(DeviceSecurityConfig::Sec1 { pop: None }, 151);
        setup.manager.auto_stop_ms = None;
        let device = ManagedDevice::start(setup);
        // Ownership must be stable for this property: displacement of an idle owner has its
        // own tests (protocomm `sessions.rs`, e2e `flows.rs`).
        if let Some(pc) = device.borrow_mut().device.protocomm_mut() {
            pc.set_owner_idle_timeout(None);
            // Nor may the handshake budget refuse handshakes here (its own tests: protocomm
            // `budget.rs`); the sequences run many at the same virtual time.
            pc.set_handshake_budget(None);
        }
        let ids = [BLE_CLIENT, HTTP_CLIENT];
        let mut clients: Vec<Client<DeviceLink>> = ids
            .iter()
            .map(|id| Client::new(DeviceLink::new(&device, *id)))
            .collect();
        let mut rng = DetRng::seeded(152);
        for op in ops {
            match op {
                Op::Handshake(c) => {
                    let _ = clients[*c].connect(&Secrets::default(), None, &mut rng);
                }
                Op::Provision(c, n) => {
                    let (ssid, pass) = CHOICES[usize::from(*n)];
                    let owner = device
                        .borrow()
                        .device
                        .protocomm()
                        .and_then(|pc| pc.session_client());
                    let established_here = owner == Some(ids[*c])
                        && device
                            .borrow()
                            .device
                            .protocomm()
                            .is_some_and(|pc| pc.is_established(ids[*c]));
                    let result = clients[*c].set_config(&WifiCredentials::new(ssid, pass));
                    if !established_here {
                        prop_assert!(result.is_err(), "non-owner got a prov-config answer");
                    } else if result.is_ok() {
                        let _ = clients[*c].apply_config();
                        let _ = clients[*c].get_status();
                    }
                }
                Op::Status(c) => {
                    let _ = clients[*c].get_status();
                }
                Op::Reset(c) => {
                    let _ = clients[*c].ctrl_reset();
                }
                Op::Reprov(c) => {
                    let _ = clients[*c].ctrl_reprov();
                }
                Op::Leave(c) => {
                    device.borrow_mut().device.close_session(ids[*c]);
                    clients[*c].drop_session();
                }
                Op::LinkLost => {
                    device
                        .borrow_mut()
                        .runner
                        .station
                        .inner
                        .push_event(LinkEvent::Disconnected {
                            reason: DisconnectReason::ConnectionLost,
                        })
                }
                Op::Advance(ms) => device.borrow_mut().advance(u64::from(*ms)),
            }
            check(&device)?;
        }
        // Back to accepting: whoever can get the session provisions good credentials now.
        device.borrow_mut().advance(5_000);
        if !device.borrow().transports_up {
            return Ok(());
        }
        for c in 0..2 {
            device.borrow_mut().device.close_session(ids[1 - c]);
            clients[1 - c].drop_session();
            if clients[c]
                .connect(&Secrets::default(), None, &mut rng)
                .is_err()
            {
                continue;
            }
            let _ = clients[c].ctrl_reset();
            let _ = clients[c].ctrl_reprov();
            let outcome = clients[c].provision(
                &WifiCredentials::new("myssid", "mypassword"),
                PollPolicy::default(),
                || {},
            );
            prop_assert!(outcome.is_ok(), "{:?} after {:?}", outcome, ops);
            check(&device)?;
            return Ok(());
        }
        prop_assert!(
            false,
            "no client could get the session back after {:?}",
            ops
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn device_random_sequences_keep_invariants(ops in prop::collection::vec(op(), 1..14)) {
            run(&ops)?;
        }
    }
}
