//! Security 2 through the façade with hostile or broken peers: malformed Response0/Response1
//! at the client, Command0 restarting an established device session, random bytes into both
//! roles, and the shared (`prepare`d) device configuration.

mod common;

use std::sync::OnceLock;

use common::TestRng;
use proptest::prelude::*;
use provkit_proto::{Message, SessionData, sec2_payload::Payload, session_data::Proto};
use provkit_security::sec2::DeviceCredentials;
use provkit_security::{
    ClientSecurityConfig, ClientSession, DeviceSecurityConfig, DeviceSession, PreparedSec2,
    Sec2Patch, SecurityError, VerifierConvention, generate_sec2_credentials, srp,
};

const USERNAME: &[u8] = b"wifiprov";
const PASSWORD: &[u8] = b"abcd1234";

/// One prepared sec2 config per patch, built once for the whole test binary: every test (and
/// every proptest case) clones it, which shares the per-device table instead of rebuilding it.
fn device_config(patch: Sec2Patch) -> DeviceSecurityConfig {
    static CONFIGS: OnceLock<[DeviceSecurityConfig; 2]> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| {
        let mut rng = TestRng::seeded(0x5ec2);
        let (salt, verifier) =
            generate_sec2_credentials(USERNAME, PASSWORD, 16, VerifierConvention::EspIdf, &mut rng)
                .expect("credentials");
        [Sec2Patch::Patch0, Sec2Patch::Patch1].map(|patch| {
            DeviceSecurityConfig::Sec2 {
                salt: salt.clone(),
                verifier: verifier.clone(),
                patch,
            }
            .prepare()
            .expect("prepare")
        })
    });
    match patch {
        Sec2Patch::Patch0 => configs[0].clone(),
        Sec2Patch::Patch1 => configs[1].clone(),
    }
}

fn client(patch: Sec2Patch) -> ClientSession {
    ClientSession::new(ClientSecurityConfig::Sec2 {
        username: USERNAME.to_vec(),
        password: PASSWORD.to_vec(),
        patch,
    })
}

/// Decodes a device response body, lets `edit` change its sec2 payload, re-encodes it.
fn edit_response(body: &[u8], edit: impl FnOnce(&mut Payload)) -> Vec<u8> {
    let mut data = SessionData::decode(body).expect("SessionData");
    match data.proto.as_mut() {
        Some(Proto::Sec2(sec2)) => edit(sec2.payload.as_mut().expect("payload")),
        other => panic!("not a sec2 response: {other:?}"),
    }
    data.encode_to_vec()
}

/// A client that has sent Command0, and the device's genuine Response0 to it.
fn client_awaiting_response0(patch: Sec2Patch, rng: &mut TestRng) -> (ClientSession, Vec<u8>) {
    let mut device = DeviceSession::new(device_config(patch));
    let mut client = client(patch);
    let command0 = client.start(rng).expect("start");
    let response0 = device.handle_session(&command0, rng).expect("Response0");
    (client, response0)
}

#[test]
fn client_rejects_malformed_response0() {
    let mut rng = TestRng::seeded(21);
    let n = srp::modulus_bytes();
    type Edit = Box<dyn Fn(&mut Payload)>;
    let cases: Vec<(&str, Edit, SecurityError)> = vec![
        (
            "empty salt",
            Box::new(|p| {
                if let Payload::Sr0(r) = p {
                    r.device_salt.clear();
                }
            }),
            SecurityError::BadLength {
                field: "device_salt",
                expected: "at least 1",
                got: 0,
            },
        ),
        (
            "empty B",
            Box::new(|p| {
                if let Payload::Sr0(r) = p {
                    r.device_pubkey.clear();
                }
            }),
            SecurityError::BadLength {
                field: "device_pubkey",
                expected: "1..=384",
                got: 0,
            },
        ),
        (
            "385-byte B",
            Box::new(|p| {
                if let Payload::Sr0(r) = p {
                    r.device_pubkey.insert(0, 1);
                    r.device_pubkey.resize(385, 0);
                }
            }),
            SecurityError::BadLength {
                field: "device_pubkey",
                expected: "1..=384",
                got: 385,
            },
        ),
        (
            "B = N",
            Box::new(move |p| {
                if let Payload::Sr0(r) = p {
                    r.device_pubkey = n.to_vec();
                }
            }),
            SecurityError::InvalidPublicKey,
        ),
        (
            "B = 0 (384 zero bytes)",
            Box::new(|p| {
                if let Payload::Sr0(r) = p {
                    r.device_pubkey = vec![0; 384];
                }
            }),
            SecurityError::InvalidPublicKey,
        ),
    ];
    for (what, edit, expected) in cases {
        let (mut client, response0) = client_awaiting_response0(Sec2Patch::Patch1, &mut rng);
        let bad = edit_response(&response0, |p| edit(p));
        assert_ne!(bad, response0, "{what}: the edit changed nothing");
        assert_eq!(
            client.handle_response(&bad, &mut rng),
            Err(expected),
            "{what}"
        );
        assert!(!client.is_established(), "{what}");
        // The failed client is not left half-way: it needs a new start.
        assert_eq!(
            client.handle_response(&response0, &mut rng),
            Err(SecurityError::OutOfOrder),
            "{what}: after failure"
        );
    }
}

#[test]
fn client_rejects_malformed_response1() {
    let mut rng = TestRng::seeded(22);
    for (patch, what, edit, expected) in [
        (
            Sec2Patch::Patch1,
            "63-byte device proof",
            Box::new(|r: &mut provkit_proto::S2SessionResp1| {
                r.device_proof.truncate(63);
            }) as Box<dyn Fn(&mut provkit_proto::S2SessionResp1)>,
            SecurityError::BadLength {
                field: "device_proof",
                expected: "64",
                got: 63,
            },
        ),
        (
            Sec2Patch::Patch1,
            "16-byte nonce under patch 1",
            Box::new(|r| r.device_nonce.resize(16, 0)),
            SecurityError::BadLength {
                field: "device_nonce",
                expected: "12",
                got: 16,
            },
        ),
        (
            Sec2Patch::Patch0,
            "8-byte nonce under patch 0",
            Box::new(|r| r.device_nonce.truncate(8)),
            SecurityError::BadLength {
                field: "device_nonce",
                expected: "12 or 16",
                got: 8,
            },
        ),
    ] {
        let mut device = DeviceSession::new(device_config(patch));
        let mut client = client(patch);
        let command0 = client.start(&mut rng).expect("start");
        let response0 = device.handle_session(&command0, &mut rng).expect("r0");
        let command1 = client
            .handle_response(&response0, &mut rng)
            .expect("Command1")
            .expect("a Command1 body");
        let response1 = device.handle_session(&command1, &mut rng).expect("r1");
        let bad = edit_response(&response1, |p| match p {
            Payload::Sr1(r) => edit(r),
            other => panic!("not Response1: {other:?}"),
        });
        assert_eq!(
            client.handle_response(&bad, &mut rng),
            Err(expected),
            "{what}"
        );
        assert!(!client.is_established(), "{what}");
        assert_eq!(client.encrypt(b"x"), Err(SecurityError::NotEstablished));
    }
}

/// Runs client ↔ device until the client is established.
fn complete(device: &mut DeviceSession, client: &mut ClientSession, rng: &mut TestRng) {
    let mut request = client.start(rng).expect("start");
    while let Some(next) = client
        .handle_response(&device.handle_session(&request, rng).expect("device"), rng)
        .expect("client")
    {
        request = next;
    }
}

#[test]
fn command0_restarts_an_established_session() {
    let mut rng = TestRng::seeded(23);
    let mut device = DeviceSession::new(device_config(Sec2Patch::Patch1));
    let mut first = client(Sec2Patch::Patch1);
    complete(&mut device, &mut first, &mut rng);
    assert!(device.is_established());
    let record = first.encrypt(b"before").expect("encrypt");
    assert_eq!(device.decrypt(&record).expect("decrypt"), b"before");

    // A new client's Command0 on the established session is answered with Response0 and
    // drops the old keys, as the reference does ("Restarting session").
    let mut second = client(Sec2Patch::Patch1);
    let command0 = second.start(&mut rng).expect("start");
    let response0 = device.handle_session(&command0, &mut rng).expect("restart");
    assert!(matches!(
        SessionData::decode(response0.as_slice()).expect("decode").proto,
        Some(Proto::Sec2(ref p)) if matches!(p.payload, Some(Payload::Sr0(_)))
    ));
    assert!(!device.is_established());
    assert_eq!(device.encrypt(b"x"), Err(SecurityError::NotEstablished));
    let stale = first
        .encrypt(b"stale")
        .expect("old client still has its keys");
    assert_eq!(device.decrypt(&stale), Err(SecurityError::NotEstablished));

    let command1 = second
        .handle_response(&response0, &mut rng)
        .expect("Command1")
        .expect("body");
    let response1 = device.handle_session(&command1, &mut rng).expect("r1");
    assert_eq!(second.handle_response(&response1, &mut rng), Ok(None));
    let record = second.encrypt(b"after").expect("encrypt");
    assert_eq!(device.decrypt(&record).expect("decrypt"), b"after");
    // The first client's keys no longer match the device's.
    let stale = first.encrypt(b"stale").expect("encrypt");
    assert_eq!(device.decrypt(&stale), Err(SecurityError::Decrypt));
}

#[test]
fn prepared_config_is_shared_and_equivalent() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let mut rng = TestRng::seeded(24);
    let prepared = device_config(Sec2Patch::Patch1);
    send_sync(&prepared);
    assert!(matches!(prepared, DeviceSecurityConfig::Sec2Prepared(_)));
    assert_eq!(prepared.sec_ver(), 2);
    assert_eq!(prepared.sec_patch_ver(), 1);
    assert_eq!(prepared.sec2_patch(), Some(Sec2Patch::Patch1));
    // prepare() of a prepared or non-sec2 config is the identity.
    assert!(matches!(
        prepared.clone().prepare(),
        Ok(DeviceSecurityConfig::Sec2Prepared(_))
    ));
    assert!(matches!(
        DeviceSecurityConfig::Sec0.prepare(),
        Ok(DeviceSecurityConfig::Sec0)
    ));
    // A bad verifier is reported by prepare(), at start-up.
    assert_eq!(
        DeviceSecurityConfig::Sec2 {
            salt: vec![1; 16],
            verifier: vec![],
            patch: Sec2Patch::Patch1,
        }
        .prepare()
        .err(),
        Some(SecurityError::InvalidConfig(
            "sec2 verifier must be 1..=384 bytes"
        ))
    );
    // Several sessions from clones of one prepared config, like protocomm's per-client
    // sessions, each complete a handshake.
    for _ in 0..2 {
        let mut device = DeviceSession::new(prepared.clone());
        send_sync(&device);
        let mut client = client(Sec2Patch::Patch1);
        complete(&mut device, &mut client, &mut rng);
        let record = device.encrypt(b"ok").expect("encrypt");
        assert_eq!(client.decrypt(&record).expect("decrypt"), b"ok");
    }
    // Table-free credentials shared the same way give the same handshake.
    let DeviceSecurityConfig::Sec2Prepared(shared) = &prepared else {
        unreachable!("checked above");
    };
    let compact = DeviceCredentials::new_compact(shared.salt(), shared.verifier()).expect("ok");
    assert!(!compact.has_table());
    assert!(shared.credentials().has_table());
    let mut device = DeviceSession::new(DeviceSecurityConfig::Sec2Prepared(
        PreparedSec2::from_credentials(compact, Sec2Patch::Patch1),
    ));
    let mut client = client(Sec2Patch::Patch1);
    complete(&mut device, &mut client, &mut rng);
    let record = client.encrypt(b"compact").expect("encrypt");
    assert_eq!(device.decrypt(&record).expect("decrypt"), b"compact");
}

fn patch_strategy() -> impl Strategy<Value = Sec2Patch> {
    prop_oneof![Just(Sec2Patch::Patch0), Just(Sec2Patch::Patch1)]
}

proptest! {
    // Few cases: a genuine Command0 costs a device handshake's exponentiations.
    #![proptest_config(ProptestConfig {
        cases: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Random bytes into the device, fresh and after a genuine Command0: a typed error or a
    /// well-formed answer, never a panic; and a genuine handshake still completes afterwards.
    #[test]
    fn device_survives_random_bytes(
        patch in patch_strategy(),
        seed in any::<u64>(),
        junk in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 1..4),
    ) {
        let mut rng = TestRng::seeded(seed);
        let mut device = DeviceSession::new(device_config(patch));
        for body in &junk {
            if let Ok(answer) = device.handle_session(body, &mut rng) {
                prop_assert!(SessionData::decode(answer.as_slice()).is_ok());
            }
        }
        let mut client = client(patch);
        let command0 = client.start(&mut rng).unwrap();
        device.handle_session(&command0, &mut rng).unwrap();
        for body in &junk {
            let _ = device.handle_session(body, &mut rng);
            prop_assert!(!device.is_established() || device.encrypt(b"x").is_ok());
        }
        let mut client = self::client(patch);
        complete(&mut device, &mut client, &mut rng);
        prop_assert!(device.is_established());
    }

    /// Random bytes as Response0 or Response1: a typed error, never a panic, never established.
    #[test]
    fn client_survives_random_bytes(
        patch in patch_strategy(),
        seed in any::<u64>(),
        junk in proptest::collection::vec(any::<u8>(), 0..600),
        at_response1 in any::<bool>(),
    ) {
        let mut rng = TestRng::seeded(seed);
        let mut device = DeviceSession::new(device_config(patch));
        let mut client = client(patch);
        let command0 = client.start(&mut rng).unwrap();
        if at_response1 {
            let response0 = device.handle_session(&command0, &mut rng).unwrap();
            client.handle_response(&response0, &mut rng).unwrap();
        }
        prop_assert!(client.handle_response(&junk, &mut rng).is_err());
        prop_assert!(!client.is_established());
    }
}
