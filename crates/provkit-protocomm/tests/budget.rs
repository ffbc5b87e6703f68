//! The handshake budget in virtual time: a flood of Command0 from many clients gets only the
//! budgeted handshakes computed — counted by the randomness the device draws, since every
//! computed sec1 / sec2 Command0 draws its secret first — while `proto-ver` and the owner's
//! requests keep being answered.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::{EchoHandler, TestRng};
use provkit_hal::Instant;
use provkit_protocomm::rand_core::{TryCryptoRng, TryRng};
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, HandshakeBudget, Protocomm, ProtocommError, ProtocommEvent,
    Sec2Patch, TransportKind, VersionInfo,
};
use provkit_security::sec2::VerifierConvention;
use provkit_security::{ClientSecurityConfig, ClientSession, generate_sec2_credentials};

const OWNER: ClientId = ClientId::new(TransportKind::Ble, 1);

/// The device's RNG, counting the bytes it hands out.
struct CountingRng {
    inner: TestRng,
    drawn: Rc<Cell<usize>>,
}

impl TryRng for CountingRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.drawn.set(self.drawn.get() + 4);
        self.inner.try_next_u32()
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.drawn.set(self.drawn.get() + 8);
        self.inner.try_next_u64()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.drawn.set(self.drawn.get() + dst.len());
        self.inner.try_fill_bytes(dst)
    }
}

impl TryCryptoRng for CountingRng {}

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn sec2_device(rng: &mut TestRng) -> (Protocomm, ClientSecurityConfig) {
    let (salt, verifier) = generate_sec2_credentials(
        b"wifiprov",
        b"abcd1234",
        16,
        VerifierConvention::EspIdf,
        rng,
    )
    .expect("credentials");
    let config = DeviceSecurityConfig::Sec2 {
        salt,
        verifier,
        patch: Sec2Patch::Patch1,
    }
    .prepare()
    .expect("prepared");
    (
        Protocomm::new(config, VersionInfo::default()),
        ClientSecurityConfig::Sec2 {
            username: b"wifiprov".to_vec(),
            password: b"abcd1234".to_vec(),
            patch: Sec2Patch::Patch1,
        },
    )
}

#[test]
fn the_default_budget_is_on_and_documented() {
    let pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    assert_eq!(pc.handshake_budget(), Some(HandshakeBudget::DEFAULT));
    assert_eq!(
        (
            HandshakeBudget::DEFAULT.max_handshakes,
            HandshakeBudget::DEFAULT.window_ms
        ),
        (4, 20_000)
    );
}

#[test]
fn a_command0_flood_from_many_clients_computes_only_the_budget() {
    let mut client_rng = TestRng::new(11);
    let (mut pc, config) = sec2_device(&mut client_rng);
    let drawn = Rc::new(Cell::new(0));
    let mut device_rng = CountingRng {
        inner: TestRng::new(12),
        drawn: drawn.clone(),
    };
    let mut h = EchoHandler::default();

    // The owner's handshake at t = 0 is the first of the window's four.
    let mut owner = ClientSession::new(config.clone());
    let mut request = owner.start(&mut client_rng).expect("command0");
    loop {
        let response = pc
            .handle(
                OWNER,
                "prov-session",
                &request,
                &mut h,
                &mut device_rng,
                at(0),
            )
            .expect("owner's handshake");
        match owner
            .handle_response(&response, &mut client_rng)
            .expect("ok")
        {
            Some(next) => request = next,
            None => break,
        }
    }
    let per_handshake = drawn.get();
    assert!(
        per_handshake >= 32,
        "a sec2 handshake draws b (32 bytes) and the nonce"
    );

    // 200 Command0s from 50 clients within 10 s: a few sockets looping, as in the issue.
    let mut computed = 0;
    let mut refused = 0;
    let commands: Vec<Vec<u8>> = (0..4)
        .map(|_| {
            ClientSession::new(config.clone())
                .start(&mut client_rng)
                .expect("command0")
        })
        .collect();
    for i in 0..200u64 {
        let now = at(100 + i * 50);
        let who = ClientId::new(TransportKind::Http, 100 + (i % 50) as u32);
        let before = drawn.get();
        match pc.handle(
            who,
            "prov-session",
            &commands[(i % 4) as usize],
            &mut h,
            &mut device_rng,
            now,
        ) {
            Ok(_) => {
                computed += 1;
                assert!(
                    drawn.get() > before,
                    "a computed handshake draws its secret"
                );
            }
            Err(ProtocommError::HandshakeLimited { until_ms }) => {
                refused += 1;
                assert_eq!(drawn.get(), before, "refused before any work");
                assert!(until_ms > now.as_millis());
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
        // proto-ver and the owner keep being answered throughout.
        assert_eq!(
            pc.handle(who, "proto-ver", b"-", &mut h, &mut device_rng, now)
                .as_deref(),
            Ok(pc.proto_ver_body())
        );
        if i % 20 == 0 {
            let ct = owner.encrypt(b"status").expect("encrypt");
            let resp = pc
                .handle(OWNER, "prov-config", &ct, &mut h, &mut device_rng, now)
                .expect("the owner is answered during the flood");
            assert_eq!(
                owner.decrypt(&resp).expect("decrypt"),
                b"prov-config:status"
            );
        }
    }
    assert_eq!((computed, refused), (3, 197));
    assert_eq!(pc.handshakes_refused(), 197);
    let reports: Vec<_> = std::iter::from_fn(|| pc.poll_event())
        .filter(|e| matches!(e, ProtocommEvent::HandshakeBudgetExhausted { .. }))
        .collect();
    assert_eq!(
        reports.len(),
        1,
        "one report per exhaustion, not per refusal"
    );
    assert_eq!(pc.session_client(), Some(OWNER));

    // Once the window has passed, handshakes are computed again.
    let mut late = ClientSession::new(config);
    let c0 = late.start(&mut client_rng).expect("command0");
    assert!(
        pc.handle(
            ClientId::new(TransportKind::Console, 0),
            "prov-session",
            &c0,
            &mut h,
            &mut device_rng,
            at(100 + 200 * 50 + 20_000)
        )
        .is_ok()
    );
}

#[test]
fn malformed_command0s_do_not_use_the_budget() {
    let mut client_rng = TestRng::new(21);
    let (mut pc, config) = sec2_device(&mut client_rng);
    pc.set_handshake_budget(Some(HandshakeBudget {
        max_handshakes: 1,
        window_ms: 60_000,
    }));
    let mut rng = TestRng::new(22);
    let mut h = EchoHandler::default();
    // A Command0 whose A is 383 bytes, garbage, an empty username: refused by their shape.
    let mut good = ClientSession::new(config.clone());
    let c0 = good.start(&mut client_rng).expect("command0");
    let short_a = provkit_proto::SessionData {
        sec_ver: 2,
        proto: Some(provkit_proto::session_data::Proto::Sec2(
            provkit_proto::Sec2Payload {
                msg: 0,
                payload: Some(provkit_proto::sec2_payload::Payload::Sc0(
                    provkit_proto::S2SessionCmd0 {
                        client_username: b"u".to_vec(),
                        client_pubkey: vec![1; 383],
                    },
                )),
            },
        )),
    };
    let no_user = provkit_proto::SessionData {
        sec_ver: 2,
        proto: Some(provkit_proto::session_data::Proto::Sec2(
            provkit_proto::Sec2Payload {
                msg: 0,
                payload: Some(provkit_proto::sec2_payload::Payload::Sc0(
                    provkit_proto::S2SessionCmd0 {
                        client_username: Vec::new(),
                        client_pubkey: vec![1; 384],
                    },
                )),
            },
        )),
    };
    use provkit_proto::Message;
    for (i, bad) in [
        short_a.encode_to_vec(),
        no_user.encode_to_vec(),
        vec![0xff; 30],
    ]
    .iter()
    .enumerate()
    {
        let who = ClientId::new(TransportKind::Http, i as u32);
        assert!(matches!(
            pc.handle(who, "prov-session", bad, &mut h, &mut rng, at(0)),
            Err(ProtocommError::Security(_))
        ));
    }
    assert_eq!(pc.handshakes_refused(), 0);
    // The one budgeted handshake is still there for a real client.
    assert!(
        pc.handle(OWNER, "prov-session", &c0, &mut h, &mut rng, at(0))
            .is_ok()
    );
    let mut other = ClientSession::new(config);
    let c0 = other.start(&mut client_rng).expect("command0");
    assert!(matches!(
        pc.handle(
            ClientId::new(TransportKind::Http, 9),
            "prov-session",
            &c0,
            &mut h,
            &mut rng,
            at(1)
        ),
        Err(ProtocommError::HandshakeLimited { .. })
    ));
}

#[test]
fn without_a_budget_every_command0_is_computed() {
    let pop = b"pop".to_vec();
    let mut pc = Protocomm::new(
        DeviceSecurityConfig::Sec1 {
            pop: Some(pop.clone()),
        },
        VersionInfo::default(),
    );
    pc.set_handshake_budget(None);
    let mut rng = TestRng::new(31);
    let mut h = EchoHandler::default();
    for i in 0..20 {
        let c0 = ClientSession::new(ClientSecurityConfig::Sec1 {
            pop: Some(pop.clone()),
        })
        .start(&mut rng)
        .expect("command0");
        assert!(
            pc.handle(
                ClientId::new(TransportKind::Http, i),
                "prov-session",
                &c0,
                &mut h,
                &mut rng,
                at(0)
            )
            .is_ok()
        );
    }
    assert_eq!(pc.handshakes_refused(), 0);
}
