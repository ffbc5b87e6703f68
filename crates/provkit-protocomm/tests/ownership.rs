//! Session ownership against strangers: nobody who has not proven the PoP / password can end,
//! replace, desynchronise or read the verified session (module docs of `protocomm`). Real
//! sec1 / sec2 handshakes from `provkit-security`'s client; strangers send what an attacker in
//! radio range can: their own Command0, a Command1 out of the blue, garbage, forged records.

mod common;

use common::{EchoHandler, TestRng};
use provkit_hal::Instant;
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, MAX_CANDIDATES, Protocomm, ProtocommError, Sec2Patch,
    TransportKind, VersionInfo,
};
use provkit_security::sec2::VerifierConvention;
use provkit_security::{
    ClientSecurityConfig, ClientSession, SecurityError, generate_sec2_credentials,
};

const OWNER: ClientId = ClientId::new(TransportKind::Http, 1);
const T0: Instant = Instant::from_millis(0);

fn stranger(id: u32) -> ClientId {
    ClientId::new(TransportKind::Http, 1000 + id)
}

fn sec1_pair() -> (Protocomm, ClientSecurityConfig) {
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

fn sec2_pair(rng: &mut TestRng) -> (Protocomm, ClientSecurityConfig) {
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

fn session(
    pc: &mut Protocomm,
    who: ClientId,
    body: &[u8],
    rng: &mut TestRng,
) -> Result<Vec<u8>, ProtocommError> {
    pc.handle(
        who,
        "prov-session",
        body,
        &mut EchoHandler::default(),
        rng,
        T0,
    )
}

fn handshake(
    pc: &mut Protocomm,
    who: ClientId,
    config: ClientSecurityConfig,
    rng: &mut TestRng,
) -> ClientSession {
    let mut client = ClientSession::new(config);
    let mut request = client.start(rng).expect("command0");
    loop {
        let response = session(pc, who, &request, rng).expect("device answers");
        match client.handle_response(&response, rng).expect("accepted") {
            Some(next) => request = next,
            None => return client,
        }
    }
}

/// One GetStatus-like exchange of the owner; the answer must decrypt to the echo.
fn owner_works(pc: &mut Protocomm, client: &mut ClientSession, msg: &[u8], rng: &mut TestRng) {
    let ct = client.encrypt(msg).expect("encrypt");
    let resp = pc
        .handle(
            OWNER,
            "prov-config",
            &ct,
            &mut EchoHandler::default(),
            rng,
            T0,
        )
        .expect("the owner is answered");
    let mut expected = b"prov-config:".to_vec();
    expected.extend_from_slice(msg);
    assert_eq!(client.decrypt(&resp).expect("decrypts"), expected);
}

#[test]
fn a_strangers_command0_runs_beside_the_owner_and_changes_nothing_for_it() {
    for sec in [1, 2] {
        let mut rng = TestRng::new(1);
        let (mut pc, config) = if sec == 1 {
            sec1_pair()
        } else {
            sec2_pair(&mut rng)
        };
        let mut owner = handshake(&mut pc, OWNER, config.clone(), &mut rng);
        owner_works(&mut pc, &mut owner, b"before", &mut rng);
        // The attack: a stranger's prov-session without any credential.
        let mut client = ClientSession::new(config.clone());
        let c0 = client.start(&mut rng).expect("command0");
        assert!(session(&mut pc, stranger(1), &c0, &mut rng).is_ok());
        assert_eq!(pc.session_client(), Some(OWNER), "sec{sec}");
        owner_works(&mut pc, &mut owner, b"during", &mut rng);
        // The stranger can neither read nor write through the owner's session.
        assert_eq!(
            pc.handle(
                stranger(1),
                "prov-config",
                &[0; 20],
                &mut EchoHandler::default(),
                &mut rng,
                T0
            ),
            Err(ProtocommError::SessionOwnedElsewhere)
        );
        owner_works(&mut pc, &mut owner, b"after", &mut rng);
    }
}

#[test]
fn the_owner_restarting_its_handshake_keeps_its_session_until_the_new_proof() {
    let (mut pc, config) = sec1_pair();
    let mut rng = TestRng::new(2);
    let mut old = handshake(&mut pc, OWNER, config.clone(), &mut rng);
    // A Command0 under the owner's id (a copied cookie, or the owner itself restarting)...
    let mut new = ClientSession::new(config);
    let c0 = new.start(&mut rng).expect("command0");
    let r0 = session(&mut pc, OWNER, &c0, &mut rng).expect("response0");
    // ...does not touch the verified session: the old keys still work.
    owner_works(&mut pc, &mut old, b"old keys", &mut rng);
    // The proof completes the restart: new keys, the old ones are gone.
    let c1 = new
        .handle_response(&r0, &mut rng)
        .expect("accepted")
        .expect("command1");
    let r1 = session(&mut pc, OWNER, &c1, &mut rng).expect("response1");
    assert_eq!(new.handle_response(&r1, &mut rng).expect("accepted"), None);
    owner_works(&mut pc, &mut new, b"new keys", &mut rng);
}

#[test]
fn out_of_turn_and_garbage_handshake_messages_leave_the_owner_alone() {
    let (mut pc, config) = sec1_pair();
    let mut rng = TestRng::new(3);
    let mut owner = handshake(&mut pc, OWNER, config.clone(), &mut rng);
    // A genuine Command1 from another handshake, sent by someone with no handshake running.
    let mut other = ClientSession::new(config);
    let c0 = other.start(&mut rng).expect("command0");
    let r0 = session(&mut pc, stranger(2), &c0, &mut rng).expect("response0");
    let c1 = other
        .handle_response(&r0, &mut rng)
        .expect("accepted")
        .expect("command1");
    for who in [OWNER, stranger(3)] {
        assert_eq!(
            session(&mut pc, who, &c1, &mut rng),
            Err(ProtocommError::Security(SecurityError::OutOfOrder))
        );
    }
    for garbage in [
        &[][..],
        &[0xff; 3][..],
        &[0x10, 0x02][..],
        &[0x52, 0x03, 0xa2, 0x01, 0x00][..],
    ] {
        assert!(session(&mut pc, OWNER, garbage, &mut rng).is_err());
        assert!(session(&mut pc, stranger(4), garbage, &mut rng).is_err());
    }
    owner_works(&mut pc, &mut owner, b"unmoved", &mut rng);
    assert_eq!(pc.session_client(), Some(OWNER));
}

#[test]
fn forged_sec2_records_under_the_owners_id_do_not_move_its_nonce_counter() {
    let mut rng = TestRng::new(4);
    let (mut pc, config) = sec2_pair(&mut rng);
    let mut owner = handshake(&mut pc, OWNER, config, &mut rng);
    owner_works(&mut pc, &mut owner, b"one", &mut rng);
    // What a copied cookie could send: garbage, a replay, a flipped bit.
    let record = owner.encrypt(b"two").expect("encrypt");
    let mut h = EchoHandler::default();
    let answer = pc
        .handle(OWNER, "prov-config", &record, &mut h, &mut rng, T0)
        .expect("answered");
    assert_eq!(
        owner.decrypt(&answer).expect("decrypts"),
        b"prov-config:two"
    );
    let mut flipped = record.clone();
    flipped[0] ^= 1;
    for forged in [vec![0u8; 40], record, flipped, vec![1; 5]] {
        assert!(matches!(
            pc.handle(OWNER, "prov-config", &forged, &mut h, &mut rng, T0),
            Err(ProtocommError::Security(_))
        ));
    }
    assert_eq!(h.seen.len(), 1, "no forged record reached the handler");
    // The device's counter did not move: the owner's next record is accepted.
    owner_works(&mut pc, &mut owner, b"three", &mut rng);
}

#[test]
fn candidates_are_bounded_and_the_oldest_is_evicted() {
    let (mut pc, config) = sec1_pair();
    let mut rng = TestRng::new(5);
    let _owner = handshake(&mut pc, OWNER, config.clone(), &mut rng);
    let mut pending = Vec::new();
    for i in 0..(MAX_CANDIDATES as u32 + 1) {
        let mut client = ClientSession::new(config.clone());
        let c0 = client.start(&mut rng).expect("command0");
        let r0 = session(&mut pc, stranger(10 + i), &c0, &mut rng).expect("response0");
        let c1 = client
            .handle_response(&r0, &mut rng)
            .expect("accepted")
            .expect("command1");
        pending.push((stranger(10 + i), c1));
        assert!(pc.candidate_clients().count() <= MAX_CANDIDATES);
    }
    let (evicted, c1) = pending.remove(0);
    assert!(!pc.candidate_clients().any(|c| c == evicted));
    assert_eq!(
        session(&mut pc, evicted, &c1, &mut rng),
        Err(ProtocommError::Security(SecurityError::OutOfOrder))
    );
    // The others complete; the last one to prove owns the session.
    for (who, c1) in pending {
        assert!(session(&mut pc, who, &c1, &mut rng).is_ok());
        assert_eq!(pc.session_client(), Some(who));
    }
}
