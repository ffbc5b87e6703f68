//! The client's codecs against `tests/vectors/messages.json`:
//! * `proto_ver.responses[]`: capability checks, `sec_patch_ver` and the version match agree
//!   with `esp_prov_interpretation`; the detected scheme follows spec §3.2 (which differs from
//!   esp_prov only where the JSON says `sec_ver: 2`).
//! * `wifi_scan` / `wifi_config` / `wifi_ctrl`: requests built by esp_prov are reproduced
//!   byte for byte; device responses parse to what esp_prov's parsers returned.
//! * `session`: not the client's codec (security crate), skipped here.

mod common;

use common::{hex_field, load_json};
use provkit_client::wifi::{self, ScanOptions};
use provkit_client::{
    ClientError, FailReason, Scheme, Sec2Patch, VersionReport, WifiCredentials, WifiStatus,
    select_scheme,
};
use serde_json::Value;

fn messages() -> Value {
    load_json("messages.json")
}

fn find<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .expect("list")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("case {name} missing"))
}

#[test]
fn proto_ver_answers_interpreted_like_esp_prov_and_spec() {
    let m = messages();
    let responses = m["proto_ver"]["responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 8);
    for r in responses {
        let name = r["name"].as_str().expect("name");
        let body = hex_field(&r["response_hex"]);
        assert_eq!(
            body,
            r["response_string"].as_str().expect("string").as_bytes()
        );
        let report = VersionReport::parse(&body);
        let esp = &r["esp_prov_interpretation"];
        // esp_prov's has_capability('none') is "the answer is JSON with prov.cap".
        assert_eq!(
            report.is_json(),
            esp["has_capability('none')"] == true,
            "{name}"
        );
        for cap in ["no_sec", "no_pop", "wifi_scan"] {
            let key = format!("has_capability('{cap}')");
            assert_eq!(
                report.has_capability(cap),
                esp[key.as_str()] == true,
                "{name} {cap}"
            );
        }
        assert_eq!(
            report.sec_patch_ver().unwrap_or(0),
            esp["get_sec_patch_ver() [sends \"---\"]"]
                .as_i64()
                .expect("patch"),
            "{name}"
        );
        assert_eq!(
            report.version_matches("v1.1"),
            esp["version_match('v1.1')"] == true,
            "{name}"
        );
        assert!(!report.version_matches("v9.9"), "{name}");

        let json = &r["json"];
        match report.detect_security() {
            None => {
                assert!(json.is_null(), "{name}: JSON answer not detected");
                assert!(
                    esp["auto_selected_sec_ver"].is_string(),
                    "esp_prov errors here too"
                );
                assert_eq!(
                    select_scheme(&report, None),
                    Err(ClientError::SecurityUndetermined)
                );
                assert_eq!(select_scheme(&report, Some(Scheme::Sec1)), Ok(Scheme::Sec1));
            }
            Some(d) => {
                let prov = &json["prov"];
                let caps: Vec<&str> = prov["cap"]
                    .as_array()
                    .expect("cap")
                    .iter()
                    .map(|c| c.as_str().expect("cap string"))
                    .collect();
                let expected_sec = prov["sec_ver"]
                    .as_i64()
                    .unwrap_or(if caps.contains(&"no_sec") { 0 } else { 1 });
                assert_eq!(d.sec_ver, expected_sec, "{name}");
                assert_eq!(d.sec_patch_ver, prov["sec_patch_ver"].as_i64().unwrap_or(0));
                assert_eq!(
                    d.pop_required,
                    expected_sec == 1 && !caps.contains(&"no_pop")
                );
                // Where the device does not claim security 2, esp_prov's auto-selection and
                // ours agree; where it does, esp_prov falls back to 1 and we pick 2.
                let esp_sel = esp["auto_selected_sec_ver"].as_i64().expect("selection");
                if expected_sec == 2 {
                    assert_eq!(esp_sel, 1, "{name}");
                    let patch = if d.sec_patch_ver == 1 {
                        Sec2Patch::Patch1
                    } else {
                        Sec2Patch::Patch0
                    };
                    assert_eq!(select_scheme(&report, None), Ok(Scheme::Sec2(patch)));
                } else {
                    assert_eq!(esp_sel, expected_sec, "{name}");
                }
                assert_eq!(report.prov_version(), prov["ver"].as_str());
            }
        }
    }
}

#[test]
fn proto_ver_app_labels_are_kept() {
    let m = messages();
    let r = find(&m["proto_ver"]["responses"], "sec1_with_app_info");
    let report = VersionReport::parse(&hex_field(&r["response_hex"]));
    let app = report.entry("my_app").expect("app label");
    assert_eq!(app.ver.as_deref(), r["json"]["my_app"]["ver"].as_str());
    assert_eq!(app.capabilities, ["custom"]);
    // The app's capabilities are not the manager's.
    assert!(!report.has_capability("custom"));
}

#[test]
fn proto_ver_garbage_is_plain_text() {
    for body in [
        &b""[..],
        b"{",
        b"[1,2]",
        b"\xff\xfe",
        b"{\"prov\": 5}",
        b"null",
    ] {
        let report = VersionReport::parse(body);
        assert_eq!(report.raw(), body);
        assert!(!report.has_capability("no_sec"));
    }
    // A JSON object with a broken "prov" is still JSON: defaults apply (sec 1 with PoP).
    let report = VersionReport::parse(b"{\"prov\": 5}");
    let d = report.detect_security().expect("json");
    assert_eq!((d.sec_ver, d.sec_patch_ver, d.pop_required), (1, 0, true));
    // An unknown future scheme is reported, not guessed.
    let report = VersionReport::parse(b"{\"prov\":{\"sec_ver\":3,\"cap\":[]}}");
    assert_eq!(
        select_scheme(&report, None),
        Err(ClientError::UnsupportedSecurity {
            sec_ver: 3,
            sec_patch_ver: 0
        })
    );
}

#[test]
fn scan_requests_match_esp_prov() {
    let m = messages();
    let scan = &m["wifi_scan"];
    for name in [
        "scan_start_softap",
        "scan_start_ble",
        "scan_start_all_fields",
        "scan_start_nonblocking_passive",
    ] {
        let case = find(scan, name);
        let f = &case["fields"]["cmd_scan_start"];
        let options = ScanOptions {
            blocking: f["blocking"] == true,
            passive: f["passive"] == true,
            group_channels: f["group_channels"].as_u64().unwrap_or(0) as u32,
            period_ms: f["period_ms"].as_u64().unwrap_or(0) as u32,
        };
        assert_eq!(
            wifi::scan_start_request(&options),
            hex_field(&case["hex"]),
            "{name}"
        );
    }
    assert_eq!(
        wifi::scan_start_request(&ScanOptions::HTTP),
        hex_field(&find(scan, "scan_start_softap")["hex"])
    );
    assert_eq!(
        wifi::scan_start_request(&ScanOptions::BLE),
        hex_field(&find(scan, "scan_start_ble")["hex"])
    );
    assert_eq!(
        wifi::scan_status_request(),
        hex_field(&find(scan, "scan_status")["hex"])
    );
    for name in ["scan_result_0_3", "scan_result_4_4"] {
        let case = find(scan, name);
        let f = &case["fields"]["cmd_scan_result"];
        let req = wifi::scan_result_request(
            f["start_index"].as_u64().unwrap_or(0) as u32,
            f["count"].as_u64().unwrap_or(0) as u32,
        );
        assert_eq!(req, hex_field(&case["hex"]), "{name}");
    }
}

#[test]
fn scan_responses_parse_like_esp_prov() {
    let m = messages();
    let scan = &m["wifi_scan"];
    wifi::parse_scan_start_response(&hex_field(&find(scan, "resp_scan_start")["hex"])).expect("ok");
    assert_eq!(
        wifi::parse_scan_start_response(&hex_field(
            &find(scan, "resp_scan_start_internal_error")["hex"]
        )),
        Err(ClientError::DeviceStatus {
            endpoint: "prov-scan",
            status: 5
        })
    );
    for name in [
        "resp_scan_status_finished_3",
        "resp_scan_status_not_finished_0",
    ] {
        let case = find(scan, name);
        let status = wifi::parse_scan_status_response(&hex_field(&case["hex"])).expect(name);
        let want = &case["esp_prov_parse"]["returns"];
        assert_eq!(status.finished, want["finished"] == true);
        assert_eq!(
            u64::from(status.count),
            want["count"].as_u64().expect("count")
        );
    }
    let case = find(scan, "resp_scan_result_3_entries");
    let entries = wifi::parse_scan_result_response(&hex_field(&case["hex"])).expect("entries");
    let want = case["esp_prov_parse"]["returns"].as_array().expect("list");
    assert_eq!(entries.len(), want.len());
    for (e, w) in entries.iter().zip(want) {
        assert_eq!(e.ssid, w["ssid"].as_str().expect("ssid").as_bytes());
        assert_eq!(hex::encode(&e.bssid), w["bssid"].as_str().expect("bssid"));
        assert_eq!(
            u64::from(e.channel),
            w["channel"].as_u64().expect("channel")
        );
        assert_eq!(i64::from(e.rssi), w["rssi"].as_i64().expect("rssi"));
        assert_eq!(
            e.auth_name().unwrap_or("?"),
            w["auth"].as_str().expect("auth")
        );
    }
    // A response to another request is rejected, not misread.
    assert!(matches!(
        wifi::parse_scan_result_response(&hex_field(
            &find(scan, "resp_scan_status_finished_3")["hex"]
        )),
        Err(ClientError::UnexpectedResponse {
            endpoint: "prov-scan",
            expected_msg: 5,
            got_msg: 3
        })
    ));
}

#[test]
fn config_requests_match_esp_prov() {
    let m = messages();
    let config = &m["wifi_config"];
    assert_eq!(
        wifi::get_status_request(),
        hex_field(&find(config, "get_status")["hex"])
    );
    assert_eq!(
        wifi::apply_config_request(),
        hex_field(&find(config, "apply_config")["hex"])
    );
    for name in [
        "set_config",
        "set_config_empty_passphrase",
        "set_config_with_bssid_channel",
    ] {
        let case = find(config, name);
        let f = &case["fields"]["cmd_set_config"];
        let bytes = |k: &str| {
            f[k].as_str()
                .map(|h| hex::decode(h).expect("hex"))
                .unwrap_or_default()
        };
        let credentials = WifiCredentials {
            ssid: bytes("ssid"),
            passphrase: bytes("passphrase"),
            bssid: f["bssid"]
                .as_str()
                .map(|h| hex::decode(h).expect("hex").try_into().expect("6 bytes")),
            channel: f["channel"].as_i64().unwrap_or(0) as i32,
        };
        assert_eq!(
            wifi::set_config_request(&credentials).expect(name),
            hex_field(&case["hex"]),
            "{name}"
        );
    }
}

#[test]
fn set_config_limits_are_enforced_before_sending() {
    let ok = WifiCredentials::new(vec![b'a'; 32], vec![b'p'; 63]);
    assert!(wifi::set_config_request(&ok).is_ok());
    for bad in [
        WifiCredentials::new(vec![b'a'; 33], b"x".to_vec()),
        WifiCredentials::new(Vec::new(), b"x".to_vec()),
        WifiCredentials::new(b"net".to_vec(), vec![b'0'; 64]),
    ] {
        assert!(matches!(
            wifi::set_config_request(&bad),
            Err(ClientError::InvalidArgument(_))
        ));
    }
}

#[test]
fn get_status_responses_parse_like_esp_prov() {
    let m = messages();
    let config = &m["wifi_config"];
    for case in config.as_array().expect("list") {
        let name = case["name"].as_str().expect("name");
        if !name.starts_with("resp_get_status") {
            continue;
        }
        let status = wifi::parse_get_status_response(&hex_field(&case["hex"])).expect(name);
        let esp = case["esp_prov_parse"]["returns"].as_str().expect("returns");
        let fields = &case["fields"]["resp_get_status"];
        match status {
            WifiStatus::Connected(info) => {
                assert_eq!(esp, "connected", "{name}");
                let c = &fields["connected"];
                assert_eq!(info.ip4_addr, c["ip4_addr"].as_str().expect("ip"));
                assert_eq!(hex::encode(&info.ssid), c["ssid"].as_str().expect("ssid"));
                assert_eq!(
                    hex::encode(&info.bssid),
                    c["bssid"].as_str().expect("bssid")
                );
                assert_eq!(
                    i64::from(info.channel),
                    c["channel"].as_i64().expect("channel")
                );
                assert_eq!(
                    wifi::auth_mode_name(info.auth_mode),
                    Some(c["auth_mode"].as_str().unwrap_or("Open"))
                );
            }
            WifiStatus::Connecting => {
                assert_eq!(esp, "connecting", "{name}");
                assert!(fields.get("attempt_failed").is_none());
            }
            WifiStatus::AttemptFailed { attempts_remaining } => {
                assert_eq!(esp, "connecting", "{name}");
                let af = &fields["attempt_failed"];
                assert_eq!(
                    u64::from(attempts_remaining),
                    af["attempts_remaining"].as_u64().unwrap_or(0)
                );
            }
            WifiStatus::Disconnected => assert_eq!(esp, "disconnected", "{name}"),
            WifiStatus::Failed(reason) => {
                assert_eq!(esp, "failed", "{name}");
                let want = match fields["fail_reason"].as_str().expect("reason") {
                    "AuthError" => FailReason::AuthError,
                    "NetworkNotFound" => FailReason::NetworkNotFound,
                    other => panic!("unexpected reason {other}"),
                };
                assert_eq!(reason, want);
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn set_and_apply_responses() {
    let m = messages();
    let config = &m["wifi_config"];
    wifi::parse_set_config_response(&hex_field(&find(config, "resp_set_config_success")["hex"]))
        .expect("ok");
    assert_eq!(
        wifi::parse_set_config_response(&hex_field(
            &find(config, "resp_set_config_invalid_argument")["hex"]
        )),
        Err(ClientError::DeviceStatus {
            endpoint: "prov-config",
            status: 4
        })
    );
    wifi::parse_apply_config_response(&hex_field(
        &find(config, "resp_apply_config_success")["hex"],
    ))
    .expect("ok");
    // SetConfig's answer is not ApplyConfig's.
    assert!(
        wifi::parse_apply_config_response(&hex_field(
            &find(config, "resp_set_config_success")["hex"]
        ))
        .is_err()
    );
}

#[test]
fn ctrl_messages() {
    let m = messages();
    let ctrl = &m["wifi_ctrl"];
    assert_eq!(
        wifi::ctrl_reset_request(),
        hex_field(&find(ctrl, "ctrl_reset")["hex"])
    );
    assert_eq!(
        wifi::ctrl_reprov_request(),
        hex_field(&find(ctrl, "ctrl_reprov")["hex"])
    );
    wifi::parse_ctrl_reset_response(&hex_field(&find(ctrl, "resp_ctrl_reset")["hex"])).expect("ok");
    wifi::parse_ctrl_reprov_response(&hex_field(&find(ctrl, "resp_ctrl_reprov")["hex"]))
        .expect("ok");
    assert_eq!(
        wifi::parse_ctrl_reset_response(&hex_field(
            &find(ctrl, "resp_ctrl_reset_internal_error")["hex"]
        )),
        Err(ClientError::DeviceStatus {
            endpoint: "prov-ctrl",
            status: 5
        })
    );
    assert!(
        wifi::parse_ctrl_reprov_response(&hex_field(&find(ctrl, "resp_ctrl_reset")["hex"]))
            .is_err()
    );
}

#[test]
fn parsers_never_panic_on_truncations_and_garbage() {
    let m = messages();
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for list in ["wifi_scan", "wifi_config", "wifi_ctrl"] {
        for case in m[list].as_array().expect("list") {
            let bytes = hex_field(&case["hex"]);
            for cut in 0..=bytes.len() {
                inputs.push(bytes[..cut].to_vec());
            }
            let mut flipped = bytes.clone();
            for i in 0..flipped.len() {
                flipped[i] ^= 0x80;
                inputs.push(flipped.clone());
                flipped[i] ^= 0x80;
            }
        }
    }
    let mut accepted = 0usize;
    for input in &inputs {
        accepted += usize::from(wifi::parse_get_status_response(input).is_ok());
        accepted += usize::from(wifi::parse_set_config_response(input).is_ok());
        accepted += usize::from(wifi::parse_apply_config_response(input).is_ok());
        accepted += usize::from(wifi::parse_scan_start_response(input).is_ok());
        accepted += usize::from(wifi::parse_scan_status_response(input).is_ok());
        accepted += usize::from(wifi::parse_scan_result_response(input).is_ok());
        accepted += usize::from(wifi::parse_ctrl_reset_response(input).is_ok());
        accepted += usize::from(wifi::parse_ctrl_reprov_response(input).is_ok());
    }
    // Most mutations are rejected; the point is that none panicked.
    assert!(accepted < inputs.len() * 8);
}
