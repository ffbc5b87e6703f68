//! Malformed requests: each is a typed error (no response), never a panic. Bytes come from
//! `tests/vectors/messages.json` where a recorded request can be damaged.

mod support;

use provkit_proto::{Message, WiFiConfigPayload, WiFiCtrlPayload, WiFiScanPayload};
use provkit_wifi::config::ConfigRequest;
use provkit_wifi::scan::ScanRequest;
use provkit_wifi::{ScanLimits, WifiError, handle_config, handle_ctrl, handle_scan};
use support::{TestBackend, bytes, case, messages};

fn is_decode_error(result: &Result<Vec<u8>, WifiError>) -> bool {
    matches!(result, Err(WifiError::Decode(_)))
}

#[test]
fn garbage_and_truncated_bodies_are_decode_errors() {
    let v = messages();
    let mut backend = TestBackend::default();
    let set_config = bytes(case(&v, "wifi_config", "set_config"), "hex");
    let truncated = &set_config[..set_config.len() - 1];
    assert!(is_decode_error(&handle_config(truncated, &mut backend)));
    assert!(is_decode_error(&handle_config(
        &[0xff, 0xff, 0xff],
        &mut backend
    )));
    let results = bytes(case(&v, "wifi_scan", "scan_result_4_4"), "hex");
    assert!(is_decode_error(&handle_scan(
        &results[..results.len() - 2],
        &mut backend,
        ScanLimits::HTTP
    )));
    assert!(is_decode_error(&handle_ctrl(&[0x08], &mut backend)));
    assert!(backend.received.is_empty() && backend.scans.is_empty());
    assert_eq!((backend.resets, backend.reprovs), (0, 0));
}

#[test]
fn set_config_without_its_oneof_is_rejected() {
    let mut backend = TestBackend::default();
    let body = WiFiConfigPayload {
        msg: 2,
        payload: None,
    }
    .encode_to_vec();
    assert_eq!(
        handle_config(&body, &mut backend),
        Err(WifiError::MissingPayload)
    );
    // A different oneof member does not count either.
    let body = WiFiConfigPayload {
        msg: 2,
        payload: Some(provkit_proto::wi_fi_config_payload::Payload::CmdGetStatus(
            provkit_proto::CmdGetStatus {},
        )),
    }
    .encode_to_vec();
    assert_eq!(ConfigRequest::decode(&body), Err(WifiError::MissingPayload));
    assert!(backend.received.is_empty());
}

#[test]
fn scan_start_and_result_without_their_oneof_are_rejected() {
    let mut backend = TestBackend::default();
    for msg in [0, 4] {
        let body = WiFiScanPayload {
            msg,
            status: 0,
            payload: None,
        }
        .encode_to_vec();
        assert_eq!(
            handle_scan(&body, &mut backend, ScanLimits::HTTP),
            Err(WifiError::MissingPayload),
            "msg {msg}"
        );
    }
    // The empty body is msg 0 without payload.
    assert_eq!(ScanRequest::decode(&[]), Err(WifiError::MissingPayload));
    assert!(backend.scans.is_empty());
}

#[test]
fn unknown_and_response_message_types_are_rejected() {
    let mut backend = TestBackend::default();
    for msg in [1, 3, 5, 6, 99, -1] {
        let body = WiFiConfigPayload { msg, payload: None }.encode_to_vec();
        assert_eq!(
            handle_config(&body, &mut backend),
            Err(WifiError::UnknownMessage(msg))
        );
        let body = WiFiScanPayload {
            msg,
            status: 0,
            payload: None,
        }
        .encode_to_vec();
        assert_eq!(
            handle_scan(&body, &mut backend, ScanLimits::HTTP),
            Err(WifiError::UnknownMessage(msg))
        );
    }
    for msg in [0, 2, 4, 5, 42] {
        let body = WiFiCtrlPayload {
            msg,
            status: 0,
            payload: None,
        }
        .encode_to_vec();
        assert_eq!(
            handle_ctrl(&body, &mut backend),
            Err(WifiError::UnknownMessage(msg))
        );
    }
    assert_eq!(
        (backend.resets, backend.reprovs, backend.applies),
        (0, 0, 0)
    );
}

#[test]
fn scan_ranges_outside_the_list_capacity_get_no_response() {
    let mut backend = TestBackend::default();
    for (start_index, count) in [(16, 0), (16, 1), (0, 17), (15, 2), (u32::MAX, u32::MAX)] {
        let body = ScanRequest::Result { start_index, count }.encode();
        assert_eq!(
            handle_scan(&body, &mut backend, ScanLimits::HTTP),
            Err(WifiError::ScanRangeOutOfBounds { start_index, count })
        );
    }
    // The edge of the range is fine (and empty results give InternalError, not an error).
    let body = ScanRequest::Result {
        start_index: 15,
        count: 1,
    }
    .encode();
    assert!(handle_scan(&body, &mut backend, ScanLimits::HTTP).is_ok());
}

#[test]
fn errors_map_to_protocomm_status_codes() {
    let decode =
        WifiError::Decode(WiFiConfigPayload::decode(&[0xffu8][..]).expect_err("invalid tag"));
    assert_eq!(decode.status(), provkit_proto::Status::InvalidProto);
    assert_eq!(
        WifiError::ScanRangeOutOfBounds {
            start_index: 1,
            count: 99
        }
        .status(),
        provkit_proto::Status::InvalidArgument
    );
}

#[test]
fn wpa_policy_rejects_short_and_unprintable_passphrases() {
    use provkit_wifi::{PassphrasePolicy, handle_config_with_policy};
    let v = messages();
    let invalid = bytes(
        case(&v, "wifi_config", "resp_set_config_invalid_argument"),
        "hex",
    );
    let success = bytes(case(&v, "wifi_config", "resp_set_config_success"), "hex");
    for (passphrase, reference_ok, wpa_ok) in [
        (&b"short"[..], true, false),
        (&b"bell\x07bell"[..], true, false),
        (&b"eightchr"[..], true, true),
        (&b""[..], true, true),
    ] {
        let body = ConfigRequest::SetConfig(provkit_proto::CmdSetConfig {
            ssid: b"net".to_vec(),
            passphrase: passphrase.to_vec(),
            bssid: vec![],
            channel: 0,
        })
        .encode();
        for (policy, ok) in [
            (PassphrasePolicy::Reference, reference_ok),
            (PassphrasePolicy::Wpa, wpa_ok),
        ] {
            let mut backend = TestBackend::default();
            let expected = if ok { &success } else { &invalid };
            assert_eq!(
                handle_config_with_policy(&body, &mut backend, policy).as_ref(),
                Ok(expected)
            );
        }
    }
}

#[test]
fn ssid_and_passphrase_stop_at_the_first_nul_like_strlcpy() {
    let body = ConfigRequest::SetConfig(provkit_proto::CmdSetConfig {
        ssid: b"home\0junk".to_vec(),
        passphrase: b"secret12\0more".to_vec(),
        bssid: vec![],
        channel: 0,
    })
    .encode();
    let mut backend = TestBackend::default();
    assert!(handle_config(&body, &mut backend).is_ok());
    let got = backend.received.pop_front().expect("stored");
    assert_eq!(got.ssid.as_bytes(), b"home");
    assert_eq!(got.passphrase.as_bytes(), b"secret12");
}
