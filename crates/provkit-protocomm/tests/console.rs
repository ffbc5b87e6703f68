//! Console line codec and framing (spec §5.3), with proptest round trips and random input.

mod common;

use common::{EchoHandler, SEC0_COMMAND, SEC0_RESPONSE, TestRng};
use proptest::prelude::*;
use provkit_hal::Instant;
use provkit_protocomm::console::{
    ConsoleFraming, ConsoleLineReason, DEFAULT_MAX_LINE_LEN, LineBuffer, REFERENCE_MAX_LINE_LEN,
    format_line, format_response, parse_line, parse_line_with_limit, parse_response,
};
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, Protocomm, ProtocommError, TransportKind, VersionInfo,
};

/// The time of every request in these tests (nothing here depends on it).
const T0: Instant = Instant::from_millis(0);

const TOO_LONG: ProtocommError = ProtocommError::MalformedConsoleLine(ConsoleLineReason::TooLong);

/// A line the size of a sec2 Command0: 4 bytes of framing around a 384-byte SRP `A` and a
/// short username, ~404 bytes of protobuf, ~830 characters as a console line.
fn sec2_sized_line(session_id: u32) -> String {
    format_line("prov-session", session_id, &[0x5a; 404])
}

#[test]
fn framing_answers_in_hex_and_tracks_session_ids() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut console = ConsoleFraming::new();
    let mut rng = TestRng::new(1);
    let mut h = EchoHandler::default();
    let out = console.handle_line(&mut pc, b"proto-ver 0 2d2d2d\r", &mut h, &mut rng, T0);
    assert_eq!(out, Some(format_response(pc.proto_ver_body())));
    let line = format_line("prov-session", 0, &SEC0_COMMAND);
    let out = console
        .handle_line(&mut pc, line.as_bytes(), &mut h, &mut rng, T0)
        .expect("answer");
    assert_eq!(parse_response(&out), Ok(SEC0_RESPONSE.to_vec()));
    assert_eq!(
        pc.session_client(),
        Some(ClientId::new(TransportKind::Console, 0))
    );
    // A different id detaches session 0; under sec0 (no proof exists) session 5 takes over.
    let out = console.handle_line(&mut pc, b"prov-config 5 6869", &mut h, &mut rng, T0);
    assert_eq!(out.as_deref(), Some("\r\n70726f762d636f6e6669673a6869\r\n"));
    assert_eq!(console.session_id(), Some(5));
    assert_eq!(
        pc.session_client(),
        Some(ClientId::new(TransportKind::Console, 5))
    );
    // Malformed lines, unknown endpoints and handler failures print nothing.
    for bad in [
        &b"prov-config 5"[..],
        b"nope 5 00",
        b"prov-config 5 6661696c",
    ] {
        assert_eq!(
            console.handle_line(&mut pc, bad, &mut h, &mut rng, T0),
            None,
            "{bad:?}"
        );
    }
}

#[test]
fn default_limit_takes_a_sec2_command0_and_the_reference_limit_does_not() {
    let line = sec2_sized_line(0);
    assert!(line.len() > REFERENCE_MAX_LINE_LEN && line.len() <= DEFAULT_MAX_LINE_LEN);
    let parsed = parse_line(line.as_bytes()).expect("fits the default limit");
    assert_eq!(parsed.body.len(), 404);
    assert_eq!(
        parse_line_with_limit(line.as_bytes(), REFERENCE_MAX_LINE_LEN),
        Err(TOO_LONG)
    );
    assert_eq!(ConsoleFraming::new().max_line(), DEFAULT_MAX_LINE_LEN);
    assert_eq!(ConsoleFraming::default().max_line(), DEFAULT_MAX_LINE_LEN);
}

#[test]
fn limit_is_exact_and_counts_the_line_ending() {
    let line = format_line("proto-ver", 0, b"---");
    let exact = line.len();
    assert!(parse_line_with_limit(line.as_bytes(), exact).is_ok());
    assert_eq!(
        parse_line_with_limit(line.as_bytes(), exact - 1),
        Err(TOO_LONG)
    );
    let with_cr = format!("{line}\r");
    assert_eq!(
        parse_line_with_limit(with_cr.as_bytes(), exact),
        Err(TOO_LONG)
    );
}

#[test]
fn framing_refuses_lines_over_its_limit_without_touching_the_session() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut rng = TestRng::new(3);
    let mut h = EchoHandler::default();
    let mut console = ConsoleFraming::with_max_line(REFERENCE_MAX_LINE_LEN);
    assert_eq!(console.max_line(), REFERENCE_MAX_LINE_LEN);
    let open = format_line("prov-session", 4, &SEC0_COMMAND);
    let out = console
        .handle_line(&mut pc, open.as_bytes(), &mut h, &mut rng, T0)
        .expect("sec0 session");
    assert_eq!(parse_response(&out), Ok(SEC0_RESPONSE.to_vec()));
    // An over-long line under a *different* session id must not close session 4.
    let long = sec2_sized_line(9);
    assert_eq!(
        console.handle_line(&mut pc, long.as_bytes(), &mut h, &mut rng, T0),
        None
    );
    assert_eq!(
        console.accept_line(long.as_bytes(), pc.endpoints()),
        Err(TOO_LONG)
    );
    assert_eq!(console.session_id(), Some(4));
    assert_eq!(
        pc.session_client(),
        Some(ClientId::new(TransportKind::Console, 4))
    );
    assert!(pc.is_established(ClientId::new(TransportKind::Console, 4)));
    // The same line passes a framing with the default limit (and then fails only in the
    // security layer, since it is not a real Command0 — still no output, no panic).
    let mut roomy = ConsoleFraming::new();
    assert!(roomy.accept_line(long.as_bytes(), pc.endpoints()).is_ok());
}

#[test]
fn accept_line_reports_the_session_to_close() {
    let pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut console = ConsoleFraming::new();
    let first = console
        .accept_line(b"proto-ver 1 00", pc.endpoints())
        .expect("first");
    assert_eq!(first.client, ClientId::new(TransportKind::Console, 1));
    assert_eq!(first.endpoint, "proto-ver");
    assert_eq!(first.body, vec![0]);
    assert_eq!(first.close_first, None);
    let same = console
        .accept_line(b"prov-config 1 0102", pc.endpoints())
        .expect("same id");
    assert_eq!(same.close_first, None);
    assert_eq!(
        console.accept_line(b"no-such-endpoint 7 00", pc.endpoints()),
        Err(ProtocommError::UnknownEndpoint)
    );
    assert_eq!(
        console.session_id(),
        Some(1),
        "unknown endpoint changes nothing"
    );
    let next = console
        .accept_line(b"prov-session 7 00", pc.endpoints())
        .expect("new id");
    assert_eq!(
        next.close_first,
        Some(ClientId::new(TransportKind::Console, 1))
    );
    assert_eq!(console.session_id(), Some(7));
}

#[test]
fn line_buffer_splits_crlf_lines_and_drops_overlong_ones_in_bounded_memory() {
    let mut buffer = LineBuffer::new(16);
    let mut lines = Vec::new();
    let mut high_water = 0;
    let long = vec![b'x'; 10_000];
    let stream: Vec<u8> = [
        &b"proto-ver 0 00\r\n"[..],
        &long,
        b"\r",
        b"\n\nprov-ctrl 1 0a\n",
    ]
    .concat();
    for byte in stream {
        if let Some(line) = buffer.push(byte) {
            lines.push(line);
        }
        high_water = high_water.max(buffer.buffered());
    }
    assert_eq!(
        lines,
        vec![
            Ok(b"proto-ver 0 00".to_vec()),
            Err(TOO_LONG),
            Ok(b"prov-ctrl 1 0a".to_vec()),
        ]
    );
    assert!(high_water <= 16, "held {high_water} bytes");
    assert_eq!(buffer.buffered(), 0);
}

proptest! {
    #[test]
    fn line_buffer_never_exceeds_its_limit(limit in 1usize..64,
                                           bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut buffer = LineBuffer::new(limit);
        for byte in bytes {
            if let Some(Ok(line)) = buffer.push(byte) {
                prop_assert!(!line.is_empty() && line.len() <= limit);
                prop_assert!(!line.contains(&b'\r') && !line.contains(&b'\n'));
            }
            prop_assert!(buffer.buffered() <= limit);
        }
    }

    #[test]
    fn lines_over_the_limit_are_always_refused(limit in 0usize..300,
                                               line in prop::collection::vec(any::<u8>(), 0..400)) {
        let result = parse_line_with_limit(&line, limit);
        if line.len() > limit {
            prop_assert_eq!(result, Err(TOO_LONG));
        } else {
            prop_assert_ne!(result, Err(TOO_LONG));
        }
    }

    #[test]
    fn format_then_parse_round_trips(endpoint in "[a-z][a-z0-9-]{0,20}", id in any::<u32>(),
                                    body in prop::collection::vec(any::<u8>(), 0..100)) {
        let line = format_line(&endpoint, id, &body);
        prop_assume!(line.len() <= DEFAULT_MAX_LINE_LEN);
        let parsed = parse_line(line.as_bytes());
        prop_assert!(parsed.is_ok() || body.is_empty());
        if let Ok(p) = parsed {
            prop_assert_eq!(p.endpoint, endpoint.as_str());
            prop_assert_eq!(p.session_id, id);
            prop_assert_eq!(p.body, body);
        }
    }

    #[test]
    fn random_lines_never_panic(line in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
        let mut console = ConsoleFraming::with_max_line(REFERENCE_MAX_LINE_LEN);
        let mut rng = TestRng::new(2);
        let mut h = EchoHandler::default();
        let _ = parse_line(&line);
        let _ = console.handle_line(&mut pc, &line, &mut h, &mut rng, T0);
    }

    #[test]
    fn response_round_trips(body in prop::collection::vec(any::<u8>(), 0..200)) {
        prop_assert_eq!(parse_response(&format_response(&body)), Ok(body));
    }
}

#[test]
fn line_buffer_drops_a_half_typed_line_after_the_idle_gap() {
    let at = Instant::from_millis;
    let mut buffer = LineBuffer::new(64).with_idle_timeout(Some(1_000));
    assert_eq!(buffer.idle_timeout_ms(), Some(1_000));
    // Someone types half a command and walks away.
    for &b in b"prov-config 0 08" {
        assert_eq!(buffer.push_at(b, at(0)), None);
    }
    assert_eq!(buffer.buffered(), 16);
    // 999 ms later the line is still theirs...
    assert_eq!(buffer.push_at(b'0', at(999)), None);
    assert_eq!(buffer.buffered(), 17);
    // ...after a full second of silence the next byte starts a fresh line.
    let mut out = None;
    for &b in b"proto-ver 0 2d\r" {
        out = buffer.push_at(b, at(2_000));
    }
    assert_eq!(out, Some(Ok(b"proto-ver 0 2d".to_vec())));
    // Without an idle gap the old behaviour stays: the halves are joined.
    let mut patient = LineBuffer::new(64).with_idle_timeout(None);
    for &b in b"proto-" {
        patient.push_at(b, at(0));
    }
    let mut out = None;
    for &b in b"ver 0 2d\n" {
        out = patient.push_at(b, at(1_000_000));
    }
    assert_eq!(out, Some(Ok(b"proto-ver 0 2d".to_vec())));
    assert_eq!(
        LineBuffer::new(8).idle_timeout_ms(),
        Some(provkit_protocomm::console::DEFAULT_LINE_IDLE_MS)
    );
}

#[test]
fn a_new_console_id_detaches_a_verified_owner_and_console_gone_ends_it() {
    use provkit_security::{ClientSecurityConfig, ClientSession};
    let pop = b"abcd1234".to_vec();
    let mut pc = Protocomm::new(
        DeviceSecurityConfig::Sec1 {
            pop: Some(pop.clone()),
        },
        VersionInfo::default(),
    );
    let mut console = ConsoleFraming::new();
    let mut rng = TestRng::new(40);
    let mut h = EchoHandler::default();
    let mut client = ClientSession::new(ClientSecurityConfig::Sec1 { pop: Some(pop) });
    let mut request = client.start(&mut rng).expect("command0");
    loop {
        let line = format_line("prov-session", 3, &request);
        let out = console
            .handle_line(&mut pc, line.as_bytes(), &mut h, &mut rng, T0)
            .expect("answer");
        let body = parse_response(&out).expect("hex");
        match client.handle_response(&body, &mut rng).expect("accepted") {
            Some(next) => request = next,
            None => break,
        }
    }
    let owner = ClientId::new(TransportKind::Console, 3);
    assert!(pc.is_established(owner));
    // A line with another id (someone else at the keyboard) does not end the session...
    assert_eq!(
        console.handle_line(&mut pc, b"prov-config 9 0800", &mut h, &mut rng, T0),
        None
    );
    assert!(pc.is_established(owner));
    // ...and the owner, back on its id, carries on.
    let ct = client.encrypt(b"still").expect("encrypt");
    let out = console
        .handle_line(
            &mut pc,
            format_line("prov-config", 3, &ct).as_bytes(),
            &mut h,
            &mut rng,
            T0,
        )
        .expect("answered");
    assert_eq!(
        client
            .decrypt(&parse_response(&out).expect("hex"))
            .expect("decrypt"),
        b"prov-config:still"
    );
    // The console goes away: its session ends.
    console.console_gone(&mut pc);
    assert_eq!(pc.session_client(), None);
    assert_eq!(console.session_id(), None);
}
