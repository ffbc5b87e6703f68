//! Brute-force throttling in virtual time: failed PoP / password proofs within a window lock
//! `prov-session` for a doubling, capped back-off; events report it; proto-ver and the clock
//! rules hold. Every handshake is a real sec1/sec2 handshake from `provkit-security`'s client.

mod common;

use common::{EchoHandler, TestRng};
use provkit_hal::Instant;
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest};
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, Protocomm, ProtocommError, ProtocommEvent, Sec2Patch, Throttle,
    TransportKind, VersionInfo,
};
use provkit_security::{
    ClientSecurityConfig, ClientSession, SecurityError, generate_sec2_credentials,
};

const HTTP: ClientId = ClientId::new(TransportKind::Http, 7);
const RIGHT_POP: &[u8] = b"abcd1234";
const WRONG_POP: &[u8] = b"abcd1235";
const SEC: u64 = 1000;

/// A sec1 device without the handshake budget, so these tests see the throttle alone (the
/// budget has its own tests in `budget.rs`).
fn sec1_device() -> Protocomm {
    let mut pc = Protocomm::new(
        DeviceSecurityConfig::Sec1 {
            pop: Some(RIGHT_POP.to_vec()),
        },
        VersionInfo::default(),
    );
    pc.set_handshake_budget(None);
    pc
}

/// Milliseconds on the test clock.
fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn sec1_client(pop: &[u8]) -> ClientSecurityConfig {
    ClientSecurityConfig::Sec1 {
        pop: Some(pop.to_vec()),
    }
}

/// Runs a whole handshake at time `now`; returns the device's first refusal, if any.
fn attempt(
    pc: &mut Protocomm,
    now: u64,
    config: ClientSecurityConfig,
    rng: &mut TestRng,
) -> Result<(), ProtocommError> {
    let mut client = ClientSession::new(config);
    let mut request = client.start(rng).expect("client builds Command0");
    loop {
        let response = pc.handle(
            HTTP,
            "prov-session",
            &request,
            &mut EchoHandler::default(),
            rng,
            at(now),
        )?;
        match client
            .handle_response(&response, rng)
            .expect("client accepts the device")
        {
            Some(next) => request = next,
            None => {
                assert!(pc.is_established(HTTP));
                return Ok(());
            }
        }
    }
}

fn assert_auth_failed(result: Result<(), ProtocommError>) {
    assert_eq!(
        result,
        Err(ProtocommError::Security(
            SecurityError::AuthenticationFailed
        ))
    );
}

fn drain(pc: &mut Protocomm) -> Vec<ProtocommEvent> {
    std::iter::from_fn(|| pc.poll_event()).collect()
}

fn lockouts(events: &[ProtocommEvent]) -> Vec<(u64, u64, u32)> {
    events
        .iter()
        .filter_map(|e| match *e {
            ProtocommEvent::AuthLockout {
                until_ms,
                backoff_ms,
                streak,
                ..
            } => Some((until_ms, backoff_ms, streak)),
            _ => None,
        })
        .collect()
}

#[test]
fn defaults_are_on_and_documented_values() {
    let pc = sec1_device();
    let t = pc.throttle().expect("throttling is on by default");
    assert_eq!(t, Throttle::default());
    assert_eq!(
        (t.max_failures, t.window_ms, t.backoff_ms, t.max_backoff_ms),
        (5, 60 * SEC, 30 * SEC, 900 * SEC)
    );
}

#[test]
fn five_wrong_pops_lock_new_sessions_for_the_backoff() {
    let mut pc = sec1_device();
    let mut rng = TestRng::new(1);
    let start = 1_000 * SEC;
    for i in 0..5 {
        assert_eq!(
            pc.locked_until(at(start + i * SEC)),
            None,
            "locked too early, before failure {i}"
        );
        assert_auth_failed(attempt(
            &mut pc,
            start + i * SEC,
            sec1_client(WRONG_POP),
            &mut rng,
        ));
    }
    let fifth = start + 4 * SEC;
    let until = fifth + 30 * SEC;
    assert_eq!(pc.locked_until(at(fifth)), Some(until));
    assert_eq!(
        pc.locked_until(at(until)),
        None,
        "the lockout ends at `until`"
    );

    let events = drain(&mut pc);
    let failures: Vec<u32> = events
        .iter()
        .filter_map(|e| match *e {
            ProtocommEvent::AuthFailed {
                client,
                recent_failures,
                ..
            } => {
                assert_eq!(client, HTTP);
                Some(recent_failures)
            }
            _ => None,
        })
        .collect();
    assert_eq!(failures, [1, 2, 3, 4, 5]);
    assert_eq!(lockouts(&events), [(until, 30 * SEC, 1)]);

    // Even the right PoP gets no answer while locked, and proto-ver is still served.
    assert_eq!(
        attempt(&mut pc, until - 1, sec1_client(RIGHT_POP), &mut rng),
        Err(ProtocommError::Throttled { until_ms: until })
    );
    let version = pc
        .handle(
            HTTP,
            "proto-ver",
            b"x",
            &mut EchoHandler::default(),
            &mut rng,
            at(until - 1),
        )
        .expect("proto-ver during lockout");
    assert_eq!(version, pc.proto_ver_body());
    assert!(drain(&mut pc).is_empty(), "refusals are not failures");

    // From `until` on, the right PoP works again.
    assert_eq!(
        attempt(&mut pc, until, sec1_client(RIGHT_POP), &mut rng),
        Ok(())
    );
    assert_eq!(pc.locked_until(at(until)), None);
}

#[test]
fn failures_outside_the_window_do_not_add_up() {
    let mut pc = sec1_device();
    let mut rng = TestRng::new(2);
    // 4 failures, then 4 more each > 60 s after the one 4 back: never 5 within a window.
    for i in 0..12u64 {
        let now = i * 16 * SEC;
        assert_auth_failed(attempt(&mut pc, now, sec1_client(WRONG_POP), &mut rng));
        assert_eq!(pc.locked_until(at(now)), None, "locked at failure {i}");
    }
    let events = drain(&mut pc);
    assert!(lockouts(&events).is_empty());
    assert_eq!(events.len(), 12);
}

#[test]
fn repeated_lockouts_double_up_to_the_cap_and_success_resets() {
    let mut pc = sec1_device();
    pc.set_throttle(Some(Throttle {
        max_failures: 2,
        window_ms: 10 * SEC,
        backoff_ms: SEC,
        max_backoff_ms: 3 * SEC,
    }));
    let mut rng = TestRng::new(3);
    let mut now = 0;
    let mut seen = Vec::new();
    for _ in 0..4 {
        for _ in 0..2 {
            assert_auth_failed(attempt(&mut pc, now, sec1_client(WRONG_POP), &mut rng));
        }
        let until = pc.locked_until(at(now)).expect("locked after 2 failures");
        seen.extend(lockouts(&drain(&mut pc)));
        now = until;
    }
    assert_eq!(
        seen.iter().map(|&(_, b, s)| (b, s)).collect::<Vec<_>>(),
        [(SEC, 1), (2 * SEC, 2), (3 * SEC, 3), (3 * SEC, 4)]
    );

    // A successful handshake ends the streak: the next lockout is back to the base.
    assert_eq!(
        attempt(&mut pc, now, sec1_client(RIGHT_POP), &mut rng),
        Ok(())
    );
    for _ in 0..2 {
        assert_auth_failed(attempt(&mut pc, now, sec1_client(WRONG_POP), &mut rng));
    }
    assert_eq!(pc.locked_until(at(now)), Some(now + SEC));
}

#[test]
fn a_quiet_period_ends_the_streak() {
    let mut pc = sec1_device();
    pc.set_throttle(Some(Throttle {
        max_failures: 1,
        window_ms: SEC,
        backoff_ms: SEC,
        max_backoff_ms: 4 * SEC,
    }));
    let mut rng = TestRng::new(4);
    assert_auth_failed(attempt(&mut pc, 0, sec1_client(WRONG_POP), &mut rng));
    assert_auth_failed(attempt(&mut pc, SEC, sec1_client(WRONG_POP), &mut rng));
    assert_eq!(
        pc.locked_until(at(SEC)),
        Some(3 * SEC),
        "second lockout doubled"
    );
    // Quiet for the cap after the lockout ended: back to the base back-off.
    let later = 3 * SEC + 4 * SEC;
    assert_auth_failed(attempt(&mut pc, later, sec1_client(WRONG_POP), &mut rng));
    assert_eq!(pc.locked_until(at(later)), Some(later + SEC));
}

#[test]
fn disabled_throttle_is_the_reference_behaviour() {
    let mut pc = sec1_device();
    pc.set_throttle(None);
    let mut rng = TestRng::new(5);
    for _ in 0..20 {
        assert_auth_failed(attempt(&mut pc, 0, sec1_client(WRONG_POP), &mut rng));
    }
    assert_eq!(pc.locked_until(at(0)), None);
    assert!(drain(&mut pc).is_empty());
    assert_eq!(
        attempt(&mut pc, 0, sec1_client(RIGHT_POP), &mut rng),
        Ok(())
    );
}

#[test]
fn turning_throttling_off_lifts_a_lockout() {
    let mut pc = sec1_device();
    let mut rng = TestRng::new(6);
    for _ in 0..5 {
        assert_auth_failed(attempt(&mut pc, 0, sec1_client(WRONG_POP), &mut rng));
    }
    assert!(pc.locked_until(at(0)).is_some());
    pc.set_throttle(None);
    assert_eq!(
        attempt(&mut pc, 0, sec1_client(RIGHT_POP), &mut rng),
        Ok(())
    );
}

#[test]
fn an_earlier_time_cannot_shorten_a_lockout() {
    let mut pc = sec1_device();
    let mut rng = TestRng::new(7);
    for _ in 0..5 {
        assert_auth_failed(attempt(
            &mut pc,
            100 * SEC,
            sec1_client(WRONG_POP),
            &mut rng,
        ));
    }
    assert_eq!(pc.locked_until(at(100 * SEC)), Some(130 * SEC));
    // An adapter whose clock jumps back (a reset timer) is still refused: the lockout ends at
    // its absolute time, and any earlier time lies before that.
    assert_eq!(
        attempt(&mut pc, 0, sec1_client(RIGHT_POP), &mut rng),
        Err(ProtocommError::Throttled {
            until_ms: 130 * SEC
        })
    );
}

#[test]
fn malformed_handshakes_are_not_counted_as_guesses() {
    let mut pc = sec1_device();
    let mut rng = TestRng::new(8);
    for _ in 0..10 {
        let r = pc.handle(
            HTTP,
            "prov-session",
            b"\x08\x01garbage",
            &mut EchoHandler::default(),
            &mut rng,
            at(0),
        );
        assert!(matches!(r, Err(ProtocommError::Security(_))), "{r:?}");
    }
    assert_eq!(pc.locked_until(at(0)), None);
    assert!(drain(&mut pc).is_empty());
}

#[test]
fn http_framing_closes_the_socket_while_locked() {
    let mut pc = sec1_device();
    let mut framing = HttpFraming::new();
    let mut rng = TestRng::with_u32s(9, &[7]);
    for _ in 0..5 {
        assert_auth_failed(attempt(&mut pc, 0, sec1_client(WRONG_POP), &mut rng));
    }
    let mut client = ClientSession::new(sec1_client(RIGHT_POP));
    let command0 = client.start(&mut rng).expect("command0");
    let request = HttpRequest {
        method: "POST",
        path: "/prov-session",
        cookie: None,
        body: &command0,
        connection: 1,
    };
    let outcome = framing.handle(
        &mut pc,
        &request,
        &mut EchoHandler::default(),
        &mut rng,
        at(0),
    );
    assert_eq!(outcome, HttpOutcome::Close);
}

#[test]
fn sec2_wrong_passwords_lock_too() {
    let mut rng = TestRng::new(10);
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
    pc.set_handshake_budget(None);
    pc.set_throttle(Some(Throttle {
        max_failures: 2,
        ..Throttle::DEFAULT
    }));
    let config = |password: &[u8]| ClientSecurityConfig::Sec2 {
        username: b"wifiprov".to_vec(),
        password: password.to_vec(),
        patch: Sec2Patch::Patch1,
    };
    for _ in 0..2 {
        // The client notices nothing until the device stays silent on Command1.
        assert_auth_failed(attempt(&mut pc, 5 * SEC, config(b"wrong"), &mut rng));
    }
    assert_eq!(pc.locked_until(at(5 * SEC)), Some(35 * SEC));
    assert_eq!(
        attempt(&mut pc, 20 * SEC, config(b"abcd1234"), &mut rng),
        Err(ProtocommError::Throttled { until_ms: 35 * SEC })
    );
    assert_eq!(
        attempt(&mut pc, 35 * SEC, config(b"abcd1234"), &mut rng),
        Ok(())
    );
}

#[test]
fn failures_in_the_first_window_after_boot_all_count() {
    // A failure at t = 0 must not expire early because `now - window` saturates to 0.
    let mut pc = sec1_device();
    let mut rng = TestRng::new(40);
    for now in 0..5u64 {
        assert_eq!(
            pc.locked_until(at(now)),
            None,
            "locked before failure {now}"
        );
        assert_auth_failed(attempt(&mut pc, now, sec1_client(WRONG_POP), &mut rng));
    }
    assert_eq!(
        pc.locked_until(at(4)),
        Some(4 + Throttle::DEFAULT.backoff_ms)
    );
}
