//! Known-answer tests against `tests/vectors/messages.json` (sections `wifi_config`,
//! `wifi_scan`, `wifi_ctrl`): the recorded esp_prov request, fed to the handler with a backend
//! in the state the recorded device response describes, must give exactly the recorded bytes.
//! The backend state is built from the vector's decoded `fields`, never from the response
//! bytes themselves.

mod support;

use provkit_hal::{Bssid, DisconnectReason, ScanConfig, Ssid};
use provkit_wifi::config::{ConfigRequest, ConfigResponse};
use provkit_wifi::ctrl::{CtrlRequest, CtrlResponse};
use provkit_wifi::scan::{ScanRequest, ScanResponse};
use provkit_wifi::{
    ConnectedInfo, ScanLimits, StationStatus, Status, handle_config, handle_ctrl, handle_scan,
};
use support::{TestBackend, auth_by_name, bytes, case, hex_field, messages, scan_entry};

fn connected_from_fields(fields: &serde_json::Value) -> StationStatus {
    let c = &fields["resp_get_status"]["connected"];
    let ip: Vec<u8> = c["ip4_addr"]
        .as_str()
        .expect("ip string")
        .split('.')
        .map(|p| p.parse().expect("octet"))
        .collect();
    StationStatus::Connected(ConnectedInfo {
        ip: ip.try_into().expect("4 octets"),
        ssid: Ssid::new(&hex_field(&c["ssid"])).expect("ssid"),
        bssid: Bssid::from_slice(&hex_field(&c["bssid"])).expect("bssid"),
        channel: u8::try_from(c["channel"].as_u64().expect("channel")).expect("u8"),
        auth: auth_by_name(&c["auth_mode"]),
    })
}

#[test]
fn get_status_responses_match_the_recorded_bytes() {
    let v = messages();
    let request = bytes(case(&v, "wifi_config", "get_status"), "hex");
    let connected = case(&v, "wifi_config", "resp_get_status_connected");
    let open13 = case(&v, "wifi_config", "resp_get_status_connected_open_ch13");
    let states = [
        (connected, connected_from_fields(&connected["fields"])),
        (open13, connected_from_fields(&open13["fields"])),
        (
            case(&v, "wifi_config", "resp_get_status_connecting"),
            StationStatus::Connecting,
        ),
        (
            case(&v, "wifi_config", "resp_get_status_attempt_failed_4"),
            StationStatus::AttemptFailed {
                attempts_remaining: 4,
            },
        ),
        (
            case(&v, "wifi_config", "resp_get_status_attempt_failed_0"),
            StationStatus::AttemptFailed {
                attempts_remaining: 0,
            },
        ),
        (
            case(&v, "wifi_config", "resp_get_status_disconnected"),
            StationStatus::Disconnected,
        ),
        (
            case(&v, "wifi_config", "resp_get_status_failed_auth_error"),
            StationStatus::Failed(DisconnectReason::AuthFailed),
        ),
        (
            case(
                &v,
                "wifi_config",
                "resp_get_status_failed_network_not_found",
            ),
            StationStatus::Failed(DisconnectReason::NetworkNotFound),
        ),
    ];
    for (recorded, station) in states {
        let mut backend = TestBackend {
            station: station.clone(),
            ..TestBackend::default()
        };
        let response = handle_config(&request, &mut backend).expect("answered");
        assert_eq!(
            hex::encode(&response),
            recorded["hex"].as_str().expect("hex"),
            "{}",
            recorded["name"]
        );
        // And the client side reads the recorded bytes back into the same state.
        assert_eq!(
            ConfigResponse::decode(&bytes(recorded, "hex")),
            Ok(ConfigResponse::GetStatus {
                status: Status::Success,
                station
            })
        );
    }
}

#[test]
fn unclassified_failures_are_reported_as_auth_error_like_the_firmware() {
    let v = messages();
    let request = bytes(case(&v, "wifi_config", "get_status"), "hex");
    let recorded = bytes(
        case(&v, "wifi_config", "resp_get_status_failed_auth_error"),
        "hex",
    );
    for reason in [
        DisconnectReason::NoIp,
        DisconnectReason::Timeout,
        DisconnectReason::ConnectionLost,
        DisconnectReason::Other(205),
    ] {
        let mut backend = TestBackend {
            station: StationStatus::Failed(reason),
            ..TestBackend::default()
        };
        assert_eq!(handle_config(&request, &mut backend), Ok(recorded.clone()));
    }
}

#[test]
fn set_config_requests_reach_the_backend_and_get_the_recorded_answer() {
    let v = messages();
    let success = bytes(case(&v, "wifi_config", "resp_set_config_success"), "hex");
    for name in [
        "set_config",
        "set_config_empty_passphrase",
        "set_config_with_bssid_channel",
    ] {
        let c = case(&v, "wifi_config", name);
        let fields = &c["fields"]["cmd_set_config"];
        let mut backend = TestBackend::default();
        assert_eq!(
            handle_config(&bytes(c, "hex"), &mut backend),
            Ok(success.clone()),
            "{name}"
        );
        let got = backend.received.pop_front().expect("backend called");
        assert_eq!(got.ssid.as_bytes(), hex_field(&fields["ssid"]).as_slice());
        let passphrase = if fields["passphrase"].is_null() {
            Vec::new()
        } else {
            hex_field(&fields["passphrase"])
        };
        assert_eq!(got.passphrase.as_bytes(), passphrase.as_slice());
        assert_eq!(
            got.bssid.map(|b| b.0.to_vec()),
            (!fields["bssid"].is_null()).then(|| hex_field(&fields["bssid"]))
        );
        assert_eq!(
            got.channel.map(u64::from),
            fields["channel"].as_u64(),
            "{name}"
        );
    }
}

#[test]
fn set_config_backend_failure_is_sent_as_its_status() {
    let v = messages();
    let mut backend = TestBackend {
        set_result: Err(Status::InvalidArgument),
        ..TestBackend::default()
    };
    let response = handle_config(
        &bytes(case(&v, "wifi_config", "set_config"), "hex"),
        &mut backend,
    );
    assert_eq!(
        response,
        Ok(bytes(
            case(&v, "wifi_config", "resp_set_config_invalid_argument"),
            "hex"
        ))
    );
}

#[test]
fn oversized_fields_get_the_recorded_invalid_argument_answer() {
    let v = messages();
    let invalid = bytes(
        case(&v, "wifi_config", "resp_set_config_invalid_argument"),
        "hex",
    );
    let cases: [(&[u8], &[u8], &[u8]); 4] = [
        (&[b'a'; 33], b"password", &[]),
        (b"myssid", &[b'p'; 64], &[]), // a 64-hex-digit PSK is rejected too
        (b"myssid", &[b'p'; 65], &[]),
        (b"myssid", b"password", &[1, 2, 3, 4, 5]),
    ];
    for (ssid, passphrase, bssid) in cases {
        let request = ConfigRequest::SetConfig(provkit_proto::CmdSetConfig {
            ssid: ssid.to_vec(),
            passphrase: passphrase.to_vec(),
            bssid: bssid.to_vec(),
            channel: 0,
        })
        .encode();
        let mut backend = TestBackend::default();
        assert_eq!(handle_config(&request, &mut backend), Ok(invalid.clone()));
        assert!(backend.received.is_empty(), "backend must not see it");
    }
    // The limits themselves are accepted.
    let request = ConfigRequest::SetConfig(provkit_proto::CmdSetConfig {
        ssid: vec![b's'; 32],
        passphrase: vec![b'p'; 63],
        bssid: vec![],
        channel: 0,
    })
    .encode();
    let mut backend = TestBackend::default();
    assert_eq!(
        handle_config(&request, &mut backend),
        Ok(bytes(
            case(&v, "wifi_config", "resp_set_config_success"),
            "hex"
        ))
    );
    assert_eq!(backend.received.len(), 1);
}

#[test]
fn apply_config_matches_the_recorded_bytes() {
    let v = messages();
    let mut backend = TestBackend::default();
    let response = handle_config(
        &bytes(case(&v, "wifi_config", "apply_config"), "hex"),
        &mut backend,
    );
    assert_eq!(
        response,
        Ok(bytes(
            case(&v, "wifi_config", "resp_apply_config_success"),
            "hex"
        ))
    );
    assert_eq!(backend.applies, 1);
}

#[test]
fn esp_prov_config_requests_decode_and_reencode_identically() {
    let v = messages();
    for c in v["wifi_config"].as_array().expect("list") {
        let recorded = bytes(c, "hex");
        let name = c["name"].as_str().expect("name");
        if name.starts_with("resp_") {
            let decoded = ConfigResponse::decode(&recorded).expect(name);
            assert_eq!(decoded.encode(), recorded, "{name}");
        } else {
            let decoded = ConfigRequest::decode(&recorded).expect(name);
            assert_eq!(decoded.encode(), recorded, "{name}");
        }
    }
}

#[test]
fn scan_start_requests_pass_their_config_and_get_the_recorded_answer() {
    let v = messages();
    let ok = bytes(case(&v, "wifi_scan", "resp_scan_start"), "hex");
    let failed = bytes(
        case(&v, "wifi_scan", "resp_scan_start_internal_error"),
        "hex",
    );
    for name in [
        "scan_start_softap",
        "scan_start_ble",
        "scan_start_all_fields",
        "scan_start_nonblocking_passive",
    ] {
        let c = case(&v, "wifi_scan", name);
        let f = &c["fields"]["cmd_scan_start"];
        let expected = ScanConfig {
            blocking: f["blocking"].as_bool().unwrap_or(false),
            passive: f["passive"].as_bool().unwrap_or(false),
            group_channels: u8::try_from(f["group_channels"].as_u64().unwrap_or(0)).expect("u8"),
            period_ms: u32::try_from(f["period_ms"].as_u64().unwrap_or(0)).expect("u32"),
        };
        let mut backend = TestBackend::default();
        assert_eq!(
            handle_scan(&bytes(c, "hex"), &mut backend, ScanLimits::HTTP),
            Ok(ok.clone())
        );
        assert_eq!(backend.scans, vec![expected], "{name}");
        assert_eq!(
            ScanRequest::decode(&bytes(c, "hex")).map(|r| r.encode()),
            Ok(bytes(c, "hex"))
        );

        let mut backend = TestBackend {
            start_result: Err(Status::InternalError),
            ..TestBackend::default()
        };
        assert_eq!(
            handle_scan(&bytes(c, "hex"), &mut backend, ScanLimits::BLE),
            Ok(failed.clone())
        );
    }
}

#[test]
fn scan_status_and_results_match_the_recorded_bytes() {
    let v = messages();
    let status_req = bytes(case(&v, "wifi_scan", "scan_status"), "hex");
    let three = case(&v, "wifi_scan", "resp_scan_result_3_entries");
    let entries: Vec<_> = three["fields"]["resp_scan_result"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(scan_entry)
        .collect();

    let mut backend = TestBackend::default();
    assert_eq!(
        handle_scan(&status_req, &mut backend, ScanLimits::HTTP),
        Ok(bytes(
            case(&v, "wifi_scan", "resp_scan_status_not_finished_0"),
            "hex"
        ))
    );
    backend.scan_finished = true;
    backend.results = entries.clone();
    assert_eq!(
        handle_scan(&status_req, &mut backend, ScanLimits::HTTP),
        Ok(bytes(
            case(&v, "wifi_scan", "resp_scan_status_finished_3"),
            "hex"
        ))
    );
    let page = bytes(case(&v, "wifi_scan", "scan_result_0_3"), "hex");
    assert_eq!(
        handle_scan(&page, &mut backend, ScanLimits::HTTP),
        Ok(bytes(three, "hex"))
    );
    assert_eq!(
        ScanResponse::decode(&bytes(three, "hex")),
        Ok(ScanResponse::Result {
            status: Status::Success,
            entries: entries.clone()
        })
    );

    // Past the available results: firmware truncates and reports InternalError.
    let beyond = bytes(case(&v, "wifi_scan", "scan_result_4_4"), "hex");
    let response = handle_scan(&beyond, &mut backend, ScanLimits::HTTP).expect("answered");
    assert_eq!(
        ScanResponse::decode(&response),
        Ok(ScanResponse::Result {
            status: Status::InternalError,
            entries: vec![]
        })
    );

    // A BLE-sized page cap of 2 sends the first two entries only.
    let capped = ScanLimits {
        max_entries: 16,
        page_entries: 2,
    };
    let response = handle_scan(&page, &mut backend, capped).expect("answered");
    assert_eq!(
        ScanResponse::decode(&response),
        Ok(ScanResponse::Result {
            status: Status::Success,
            entries: entries[..2].to_vec()
        })
    );
}

#[test]
fn esp_prov_scan_messages_decode_and_reencode_identically() {
    let v = messages();
    for c in v["wifi_scan"].as_array().expect("list") {
        let recorded = bytes(c, "hex");
        let name = c["name"].as_str().expect("name");
        let again = if name.starts_with("resp_") {
            ScanResponse::decode(&recorded).expect(name).encode()
        } else {
            ScanRequest::decode(&recorded).expect(name).encode()
        };
        assert_eq!(again, recorded, "{name}");
    }
}

#[test]
fn ctrl_requests_from_both_clients_get_the_recorded_answers() {
    let v = messages();
    let reset = case(&v, "wifi_ctrl", "ctrl_reset");
    let reprov = case(&v, "wifi_ctrl", "ctrl_reprov");
    for key in ["hex", "rainmaker_cli_hex"] {
        let mut backend = TestBackend::default();
        assert_eq!(
            handle_ctrl(&bytes(reset, key), &mut backend),
            Ok(bytes(case(&v, "wifi_ctrl", "resp_ctrl_reset"), "hex"))
        );
        assert_eq!(
            handle_ctrl(&bytes(reprov, key), &mut backend),
            Ok(bytes(case(&v, "wifi_ctrl", "resp_ctrl_reprov"), "hex"))
        );
        assert_eq!((backend.resets, backend.reprovs), (1, 1));

        let mut failing = TestBackend {
            reset_result: Err(Status::InternalError),
            ..TestBackend::default()
        };
        assert_eq!(
            handle_ctrl(&bytes(reset, key), &mut failing),
            Ok(bytes(
                case(&v, "wifi_ctrl", "resp_ctrl_reset_internal_error"),
                "hex"
            ))
        );
    }
    assert_eq!(
        CtrlRequest::decode(&bytes(reset, "hex")).map(|r| r.encode()),
        Ok(bytes(reset, "hex"))
    );
    for name in [
        "resp_ctrl_reset",
        "resp_ctrl_reset_internal_error",
        "resp_ctrl_reprov",
    ] {
        let recorded = bytes(case(&v, "wifi_ctrl", name), "hex");
        assert_eq!(
            CtrlResponse::decode(&recorded).map(|r| r.encode()),
            Ok(recorded),
            "{name}"
        );
    }
}

/// The BLE page size is chosen so a page of the largest possible entries (32-byte SSIDs,
/// 10-byte negative RSSI varints, raw auth ≥ 8) plus an error status still fits a Bluedroid
/// characteristic (257 bytes; spec §12.25) even before encryption overhead is considered.
#[test]
fn a_full_ble_page_fits_a_characteristic() {
    let largest = provkit_hal::ScanEntry {
        ssid: Ssid::new(&[0xee; 32]).expect("32 bytes"),
        bssid: Bssid([0xff; 6]),
        channel: 255,
        rssi: i8::MIN,
        auth: provkit_hal::AuthMode::Other(255),
    };
    let mut backend = TestBackend {
        results: vec![largest; 16],
        ..TestBackend::default()
    };
    let request = ScanRequest::Result {
        start_index: 0,
        count: 16,
    }
    .encode();
    let page = handle_scan(&request, &mut backend, ScanLimits::BLE).expect("answered");
    let decoded = ScanResponse::decode(&page).expect("decodes");
    assert!(matches!(&decoded, ScanResponse::Result { entries, .. } if entries.len() == 4));
    assert!(page.len() + 2 <= 257, "BLE page is {} bytes", page.len());
    let http = handle_scan(&request, &mut backend, ScanLimits::HTTP).expect("answered");
    println!(
        "largest BLE page: {} bytes; largest HTTP page (16 entries): {} bytes",
        page.len(),
        http.len()
    );
}
