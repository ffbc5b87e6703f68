//! Known answers from `tests/vectors/messages.json` (esp_prov's own encodings):
//! * every recorded encoding decodes with the generated type and re-encodes byte-identically;
//! * its wire fields, read independently of prost, are exactly the recorded `fields`;
//! * the generated types carry exactly the field numbers and wire types of the `fields` table,
//!   and the generated enums exactly the names and values of the `enums` table;
//! * enum values unknown to the schema survive decode/encode.

use provkit_proto::*;
use serde_json::{Map, Value, json};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/messages.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).expect("messages.json parses")
}

fn hex_of(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("hex string")).expect("valid hex")
}

fn round_trip<M: Message + Default>(bytes: &[u8]) -> Result<Vec<u8>, DecodeError> {
    Ok(M::decode(bytes)?.encode_to_vec())
}

/// Decodes `bytes` as the generated type named `message` and encodes it again.
fn round_trip_named(message: &str, bytes: &[u8]) -> Result<Vec<u8>, DecodeError> {
    macro_rules! dispatch {
        ($($ty:ident),* $(,)?) => {
            match message {
                $(stringify!($ty) => round_trip::<$ty>(bytes),)*
                other => panic!("no generated type for {other}"),
            }
        };
    }
    dispatch!(
        SessionData,
        S0SessionCmd,
        S0SessionResp,
        Sec0Payload,
        SessionCmd1,
        SessionResp1,
        SessionCmd0,
        SessionResp0,
        Sec1Payload,
        S2SessionCmd0,
        S2SessionResp0,
        S2SessionCmd1,
        S2SessionResp1,
        Sec2Payload,
        WifiAttemptFailed,
        WifiConnectedState,
        CmdGetStatus,
        RespGetStatus,
        CmdSetConfig,
        RespSetConfig,
        CmdApplyConfig,
        RespApplyConfig,
        WiFiConfigPayload,
        CmdScanStart,
        RespScanStart,
        CmdScanStatus,
        RespScanStatus,
        CmdScanResult,
        WiFiScanResult,
        RespScanResult,
        WiFiScanPayload,
        CmdCtrlReset,
        RespCtrlReset,
        CmdCtrlReprov,
        RespCtrlReprov,
        WiFiCtrlPayload,
    )
}

/// Every recorded message: (section, name, message type, hex value).
fn recorded_messages(v: &Value) -> Vec<(String, String, String, Value)> {
    let mut out = Vec::new();
    for section in ["session", "wifi_scan", "wifi_config", "wifi_ctrl"] {
        for entry in v[section].as_array().expect("section") {
            // The session section also has a pointer to the sec1/sec2 files, without bytes.
            let (Some(message), Some(_)) = (entry["message"].as_str(), entry["hex"].as_str())
            else {
                continue;
            };
            let name = entry["name"].as_str().expect("name").to_string();
            out.push((section.into(), name, message.into(), entry.clone()));
        }
    }
    out
}

#[test]
fn every_recorded_encoding_round_trips_byte_identically() {
    let v = vectors();
    let messages = recorded_messages(&v);
    assert!(
        messages.len() >= 35,
        "only {} messages found",
        messages.len()
    );
    for (section, name, message, entry) in messages {
        let bytes = hex_of(&entry["hex"]);
        let again = round_trip_named(&message, &bytes)
            .unwrap_or_else(|e| panic!("{section}/{name}: decode failed: {e}"));
        assert_eq!(hex::encode(again), hex::encode(&bytes), "{section}/{name}");
        // esp-rainmaker-cli's variant (an extra empty oneof) must round-trip as well.
        if let Some(alt) = entry.get("rainmaker_cli_hex") {
            let alt = hex_of(alt);
            let again = round_trip_named(&message, &alt).expect("rainmaker variant decodes");
            assert_eq!(again, alt, "{section}/{name} (rainmaker)");
        }
    }
}

// ---- An independent wire reader driven by the vectors' `fields` table ----

fn read_varint(bytes: &[u8], pos: &mut usize) -> u64 {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let byte = bytes[*pos];
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
    }
    panic!("varint too long");
}

/// The message type of a sub-message field (vectors name fields, not their types).
fn nested_type(message: &str, field: &str) -> String {
    let explicit = match (message, field) {
        ("SessionData", "sec0") => "Sec0Payload",
        ("SessionData", "sec1") => "Sec1Payload",
        ("SessionData", "sec2") => "Sec2Payload",
        ("Sec0Payload", "sc") => "S0SessionCmd",
        ("Sec0Payload", "sr") => "S0SessionResp",
        ("Sec1Payload", "sc0") => "SessionCmd0",
        ("Sec1Payload", "sr0") => "SessionResp0",
        ("Sec1Payload", "sc1") => "SessionCmd1",
        ("Sec1Payload", "sr1") => "SessionResp1",
        ("Sec2Payload", "sc0") => "S2SessionCmd0",
        ("Sec2Payload", "sr0") => "S2SessionResp0",
        ("Sec2Payload", "sc1") => "S2SessionCmd1",
        ("Sec2Payload", "sr1") => "S2SessionResp1",
        ("RespGetStatus", "connected") => "WifiConnectedState",
        ("RespGetStatus", "attempt_failed") => "WifiAttemptFailed",
        ("RespScanResult", "entries") => "WiFiScanResult",
        // cmd_get_status -> CmdGetStatus, resp_scan_result -> RespScanResult, ...
        _ => "",
    };
    if !explicit.is_empty() {
        return explicit.into();
    }
    field
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The enum type of an enum field.
fn enum_type(message: &str, field: &str) -> &'static str {
    match (message, field) {
        (_, "status") => "Status",
        (_, "sec_ver") => "SecSchemeVersion",
        (_, "sta_state") => "WifiStationState",
        (_, "fail_reason") => "WifiConnectFailedReason",
        (_, "auth_mode" | "auth") => "WifiAuthMode",
        ("Sec0Payload", "msg") => "Sec0MsgType",
        ("Sec1Payload", "msg") => "Sec1MsgType",
        ("Sec2Payload", "msg") => "Sec2MsgType",
        ("WiFiConfigPayload", "msg") => "WiFiConfigMsgType",
        ("WiFiScanPayload", "msg") => "WiFiScanMsgType",
        ("WiFiCtrlPayload", "msg") => "WiFiCtrlMsgType",
        other => panic!("no enum type known for {other:?}"),
    }
}

/// Reads `bytes` as `message` using only the vectors' tables; renders it in the vectors'
/// `fields` convention (names, bytes as hex, enums by name, empty messages as `{}`).
fn read_fields(v: &Value, message: &str, bytes: &[u8]) -> Value {
    let table = v["fields"][message]
        .as_object()
        .unwrap_or_else(|| panic!("no field table for {message}"));
    let mut out = Map::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let key = read_varint(bytes, &mut pos);
        let (number, wire) = (key >> 3, key & 7);
        let (name, spec) = table
            .iter()
            .find(|(_, s)| s["number"].as_u64() == Some(number))
            .unwrap_or_else(|| panic!("{message}: field {number} not in the table"));
        let kind = spec["type"].as_u64().expect("type");
        let value = match wire {
            0 => {
                let raw = read_varint(bytes, &mut pos);
                match kind {
                    8 => json!(raw != 0),
                    13 => json!(raw as u32),
                    5 => json!(raw as i64 as i32),
                    14 => {
                        let names = v["enums"][enum_type(message, name)]
                            .as_object()
                            .expect("enum");
                        names
                            .iter()
                            .find(|(_, n)| n.as_i64() == Some(raw as i64 as i32 as i64))
                            .map_or(json!(raw as i64 as i32), |(label, _)| json!(label))
                    }
                    other => panic!("{message}.{name}: varint for type {other}"),
                }
            }
            2 => {
                let len = read_varint(bytes, &mut pos) as usize;
                let body = &bytes[pos..pos + len];
                pos += len;
                match kind {
                    9 => json!(std::str::from_utf8(body).expect("utf-8")),
                    12 => json!(hex::encode(body)),
                    11 => read_fields(v, &nested_type(message, name), body),
                    other => panic!("{message}.{name}: length-delimited for type {other}"),
                }
            }
            other => panic!("{message}.{name}: unexpected wire type {other}"),
        };
        if name == "entries" {
            out.entry(name.clone())
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .expect("array")
                .push(value);
        } else {
            assert!(
                out.insert(name.clone(), value).is_none(),
                "{message}.{name} repeated"
            );
        }
    }
    Value::Object(out)
}

#[test]
fn every_recorded_encoding_has_the_recorded_fields() {
    let v = vectors();
    for (section, name, message, entry) in recorded_messages(&v) {
        let bytes = hex_of(&entry["hex"]);
        // Read the prost re-encoding: this ties the generated types to the recorded fields.
        let reencoded = round_trip_named(&message, &bytes).expect("decodes");
        assert_eq!(
            read_fields(&v, &message, &reencoded),
            entry["fields"],
            "{section}/{name}"
        );
    }
}

#[test]
fn typed_fields_match_the_recordings() {
    let v = vectors();
    let find = |section: &str, name: &str| -> Vec<u8> {
        let entry = v[section]
            .as_array()
            .expect("section")
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{section}/{name}"));
        hex_of(&entry["hex"])
    };
    let scan = WiFiScanPayload::decode(&find("wifi_scan", "resp_scan_result_3_entries")[..])
        .expect("scan result");
    let Some(wi_fi_scan_payload::Payload::RespScanResult(result)) = scan.payload else {
        panic!("not a scan result: {scan:?}");
    };
    let rssi: Vec<i32> = result.entries.iter().map(|e| e.rssi).collect();
    assert_eq!(rssi, [-42, -67, -80]);
    assert_eq!(result.entries[0].auth, WifiAuthMode::Wpa2Psk as i32);
    assert_eq!(result.entries[0].ssid, b"myssid");

    // A set oneof scalar equal to 0 is still on the wire: fail_reason = AuthError -> `50 00`.
    let failed =
        WiFiConfigPayload::decode(&find("wifi_config", "resp_get_status_failed_auth_error")[..])
            .expect("status");
    let Some(wi_fi_config_payload::Payload::RespGetStatus(status)) = failed.payload else {
        panic!("not a status: {failed:?}");
    };
    assert_eq!(status.sta_state, WifiStationState::ConnectionFailed as i32);
    assert_eq!(
        status.state,
        Some(resp_get_status::State::FailReason(
            WifiConnectFailedReason::AuthError as i32
        ))
    );

    let set = WiFiConfigPayload::decode(&find("wifi_config", "set_config_with_bssid_channel")[..])
        .expect("set config");
    let Some(wi_fi_config_payload::Payload::CmdSetConfig(cmd)) = set.payload else {
        panic!("not a set config: {set:?}");
    };
    assert_eq!(
        (cmd.ssid.as_slice(), cmd.passphrase.as_slice()),
        (&b"myssid"[..], &b"mypassword"[..])
    );
    assert_eq!(cmd.bssid, [0x24, 0xa1, 0x60, 0x11, 0xee, 0x01]);
    assert_eq!(cmd.channel, 6);
}

// ---- Schema tables vs. the generated code ----

fn encode_key(number: u64, wire: u64, out: &mut Vec<u8>) {
    let mut key = (number << 3) | wire;
    loop {
        let byte = (key & 0x7f) as u8;
        key >>= 7;
        if key == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One field, set to a small non-default value of `kind`, alone on the wire.
fn probe(number: u64, kind: u64) -> Vec<u8> {
    let mut out = Vec::new();
    match kind {
        8 | 13 | 5 | 14 => {
            encode_key(number, 0, &mut out);
            out.push(1);
        }
        9 => {
            encode_key(number, 2, &mut out);
            out.extend_from_slice(&[1, b'a']);
        }
        12 => {
            encode_key(number, 2, &mut out);
            out.extend_from_slice(&[1, 0xab]);
        }
        11 => {
            encode_key(number, 2, &mut out);
            out.push(0);
        }
        other => panic!("unknown field type {other}"),
    }
    out
}

#[test]
fn generated_types_have_exactly_the_recorded_field_numbers_and_types() {
    let v = vectors();
    let tables = v["fields"].as_object().expect("fields");
    assert_eq!(tables.len(), 36);
    for (message, table) in tables {
        let table = table.as_object().expect("table");
        for (name, spec) in table {
            let number = spec["number"].as_u64().expect("number");
            let kind = spec["type"].as_u64().expect("type");
            let bytes = probe(number, kind);
            // Known with this wire type: survives. Unknown: dropped. Other type: error.
            let again = round_trip_named(message, &bytes)
                .unwrap_or_else(|e| panic!("{message}.{name} (#{number}): {e}"));
            assert_eq!(again, bytes, "{message}.{name} is not field #{number}");
        }
        // No extra fields: any other number, either wire type, is unknown to the type.
        for number in 1..=40u64 {
            if table.values().any(|s| s["number"].as_u64() == Some(number)) {
                continue;
            }
            for bytes in [probe(number, 13), probe(number, 12)] {
                let again = round_trip_named(message, &bytes)
                    .unwrap_or_else(|e| panic!("{message} #{number}: {e}"));
                assert!(
                    again.is_empty(),
                    "{message} has an unlisted field #{number}"
                );
            }
        }
    }
}

#[test]
fn generated_enums_have_exactly_the_recorded_names_and_values() {
    let v = vectors();
    let enums = v["enums"].as_object().expect("enums");
    assert_eq!(enums.len(), 11);
    macro_rules! check {
        ($($ty:ident),* $(,)?) => {$(
            let table = enums[stringify!($ty)].as_object().expect(stringify!($ty));
            for (name, value) in table {
                let value = value.as_i64().expect("value") as i32;
                let parsed = $ty::from_str_name(name)
                    .unwrap_or_else(|| panic!("{}::{name} missing", stringify!($ty)));
                assert_eq!(parsed as i32, value, "{}::{name}", stringify!($ty));
                assert_eq!($ty::try_from(value).map(|e| e.as_str_name()), Ok(name.as_str()));
            }
            // Exactly these values: the next one up is not a variant.
            let next = table.values().filter_map(Value::as_i64).max().unwrap_or(0) as i32 + 1;
            assert!($ty::try_from(next).is_err(), "{} has extra values", stringify!($ty));
        )*};
    }
    check!(
        Status,
        SecSchemeVersion,
        Sec0MsgType,
        Sec1MsgType,
        Sec2MsgType,
        WifiStationState,
        WifiConnectFailedReason,
        WifiAuthMode,
        WiFiConfigMsgType,
        WiFiScanMsgType,
        WiFiCtrlMsgType,
    );
}

#[test]
fn unknown_enum_values_survive_decode_and_encode() {
    // auth = 9 (a raw driver mode beyond the .proto), rssi = -90 in a scan entry.
    let entry = WiFiScanResult {
        ssid: b"x".to_vec(),
        channel: 3,
        rssi: -90,
        bssid: vec![1, 2, 3, 4, 5, 6],
        auth: 9,
    };
    let bytes = entry.encode_to_vec();
    let decoded = WiFiScanResult::decode(&bytes[..]).expect("decodes");
    assert_eq!(decoded.auth, 9);
    assert!(WifiAuthMode::try_from(decoded.auth).is_err());
    assert_eq!(decoded.encode_to_vec(), bytes);

    // Hand-written wire bytes with out-of-range values for each enum kind.
    let cases: [(&str, &[u8]); 4] = [
        ("SessionData", &[0x10, 0x05]),                 // sec_ver = 5
        ("RespGetStatus", &[0x08, 0x63, 0x10, 0x09]),   // status = 99, sta_state = 9
        ("RespGetStatus", &[0x50, 0x07]),               // fail_reason = 7
        ("WiFiCtrlPayload", &[0x08, 0x0b, 0x10, 0x0c]), // msg = 11, status = 12
    ];
    for (message, bytes) in cases {
        assert_eq!(
            round_trip_named(message, bytes).expect("decodes"),
            bytes,
            "{message}"
        );
    }
    let status = RespGetStatus::decode(&[0x08u8, 0x63, 0x10, 0x09][..]).expect("decodes");
    assert_eq!((status.status, status.sta_state), (99, 9));
}
