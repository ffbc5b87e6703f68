//! Console line codec and framing (spec §5.3), with proptest round trips and random input.

mod common;

use common::{EchoHandler, SEC0_COMMAND, SEC0_RESPONSE, TestRng};
use proptest::prelude::*;
use provkit_protocomm::console::{
    ConsoleFraming, MAX_LINE_LEN, format_line, format_response, parse_line, parse_response,
};
use provkit_protocomm::{ClientId, DeviceSecurityConfig, Protocomm, TransportKind, VersionInfo};

#[test]
fn framing_answers_in_hex_and_tracks_session_ids() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut console = ConsoleFraming::new();
    let mut rng = TestRng::new(1);
    let mut h = EchoHandler::default();
    let out = console.handle_line(&mut pc, b"proto-ver 0 2d2d2d\r", &mut h, &mut rng);
    assert_eq!(out, Some(format_response(pc.proto_ver_body())));
    let line = format_line("prov-session", 0, &SEC0_COMMAND);
    let out = console
        .handle_line(&mut pc, line.as_bytes(), &mut h, &mut rng)
        .expect("answer");
    assert_eq!(parse_response(&out), Ok(SEC0_RESPONSE.to_vec()));
    assert_eq!(
        pc.session_client(),
        Some(ClientId::new(TransportKind::Console, 0))
    );
    // A different id closes session 0 and opens session 5.
    let out = console.handle_line(&mut pc, b"prov-config 5 6869", &mut h, &mut rng);
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
            console.handle_line(&mut pc, bad, &mut h, &mut rng),
            None,
            "{bad:?}"
        );
    }
}

proptest! {
    #[test]
    fn format_then_parse_round_trips(endpoint in "[a-z][a-z0-9-]{0,20}", id in any::<u32>(),
                                    body in prop::collection::vec(any::<u8>(), 0..100)) {
        let line = format_line(&endpoint, id, &body);
        prop_assume!(line.len() <= MAX_LINE_LEN);
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
        let mut console = ConsoleFraming::new();
        let mut rng = TestRng::new(2);
        let mut h = EchoHandler::default();
        let _ = parse_line(&line);
        let _ = console.handle_line(&mut pc, &line, &mut h, &mut rng);
    }

    #[test]
    fn response_round_trips(body in prop::collection::vec(any::<u8>(), 0..200)) {
        prop_assert_eq!(parse_response(&format_response(&body)), Ok(body));
    }
}
