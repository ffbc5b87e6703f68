//! Replays the decrypted Wi-Fi requests of the complete esp_prov HTTP runs in
//! `tests/vectors/transcripts/*.json` through the handlers, with a backend scripted from
//! each transcript's `device` inputs (`get_status_sequence`, `scan_results`), and checks every
//! response plaintext byte for byte against `device_view.response_plaintext`.

mod support;

use std::cell::RefCell;
use std::collections::VecDeque;

use provkit_hal::{AuthMode, Bssid, Credentials, ScanConfig, ScanEntry, Ssid};
use provkit_wifi::{
    ConfigBackend, ConnectedInfo, CtrlBackend, ScanBackend, ScanLimits, StationStatus, Status,
    handle_config, handle_ctrl, handle_scan,
};
use serde_json::Value;
use support::{auth_by_name, case, hex_field, messages};

struct ScriptedDevice {
    statuses: RefCell<VecDeque<StationStatus>>,
    results: Vec<ScanEntry>,
    scanned: bool,
    pending: Option<Credentials>,
    applied: Option<Credentials>,
}

impl ConfigBackend for ScriptedDevice {
    fn status(&self) -> StationStatus {
        self.statuses
            .borrow_mut()
            .pop_front()
            .expect("transcript polls no more than its script")
    }
    fn set_config(&mut self, credentials: Credentials) -> Result<(), Status> {
        self.pending = Some(credentials);
        Ok(())
    }
    fn apply_config(&mut self) -> Result<(), Status> {
        self.applied = self.pending.take();
        self.applied
            .as_ref()
            .map(|_| ())
            .ok_or(Status::InternalError)
    }
}

impl ScanBackend for ScriptedDevice {
    fn start_scan(&mut self, _config: ScanConfig) -> Result<(), Status> {
        self.scanned = true;
        Ok(())
    }
    fn scan_status(&self) -> (bool, u32) {
        let count = if self.scanned { self.results.len() } else { 0 };
        (self.scanned, u32::try_from(count).expect("small"))
    }
    fn scan_result(&self, index: u32) -> Option<ScanEntry> {
        self.results.get(usize::try_from(index).ok()?).cloned()
    }
}

impl CtrlBackend for ScriptedDevice {
    fn reset(&mut self) -> Result<(), Status> {
        Ok(())
    }
    fn reprov(&mut self) -> Result<(), Status> {
        Ok(())
    }
}

/// The one "connected" answer the transcripts use: the device's details are those of
/// `messages.json`'s `resp_get_status_connected` (the transcripts' device inputs name only
/// the state).
fn connected(vectors: &Value) -> StationStatus {
    let c = &case(vectors, "wifi_config", "resp_get_status_connected")["fields"]["resp_get_status"]
        ["connected"];
    let ip: Vec<u8> = c["ip4_addr"]
        .as_str()
        .expect("ip")
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

fn scripted_status(text: &str, vectors: &Value) -> StationStatus {
    match text {
        "connecting" => StationStatus::Connecting,
        "connected" => connected(vectors),
        other => {
            let n = other
                .strip_prefix("attempt_failed(attempts_remaining=")
                .and_then(|rest| rest.strip_suffix(')'))
                .unwrap_or_else(|| panic!("unknown scripted state {other}"));
            StationStatus::AttemptFailed {
                attempts_remaining: n.parse().expect("number"),
            }
        }
    }
}

fn scan_result(entry: &Value) -> ScanEntry {
    ScanEntry {
        ssid: Ssid::new(entry["ssid"].as_str().expect("ssid").as_bytes()).expect("fits"),
        bssid: Bssid::from_slice(&hex_field(&entry["bssid"])).expect("bssid"),
        channel: u8::try_from(entry["channel"].as_u64().expect("channel")).expect("u8"),
        rssi: i8::try_from(entry["rssi"].as_i64().expect("rssi")).expect("i8"),
        auth: AuthMode::from_raw(u8::try_from(entry["auth"].as_u64().expect("auth")).expect("u8")),
    }
}

fn replay(file: &str) -> usize {
    let vectors = messages();
    let path = format!(
        "{}/../../tests/vectors/transcripts/{file}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let transcript: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("transcript present"))
            .expect("parses");
    let device = &transcript["device"];
    let mut backend = ScriptedDevice {
        statuses: RefCell::new(
            device["get_status_sequence"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .map(|t| scripted_status(t.as_str().expect("text"), &vectors))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        results: device["scan_results"]
            .as_array()
            .map(|r| r.iter().map(scan_result).collect())
            .unwrap_or_default(),
        scanned: false,
        pending: None,
        applied: None,
    };
    let mut replayed = 0;
    for exchange in transcript["exchanges"].as_array().expect("exchanges") {
        let view = &exchange["device_view"];
        let (Some(request), Some(response)) = (
            view["request_plaintext"].as_str(),
            view["response_plaintext"].as_str(),
        ) else {
            continue;
        };
        let request = hex::decode(request).expect("hex");
        let answer = match exchange["path"].as_str().expect("path") {
            "/prov-config" => handle_config(&request, &mut backend),
            "/prov-scan" => handle_scan(&request, &mut backend, ScanLimits::HTTP),
            "/prov-ctrl" => handle_ctrl(&request, &mut backend),
            _ => continue, // custom-data is application-defined, not this crate's
        };
        assert_eq!(
            hex::encode(answer.expect("answered")),
            response,
            "{file} {}",
            exchange["path"]
        );
        replayed += 1;
    }
    assert!(
        backend.statuses.borrow().is_empty(),
        "every scripted status was polled"
    );
    replayed
}

#[test]
fn sec0_auto_transcript() {
    assert_eq!(replay("sec0_auto"), 4);
}

#[test]
fn sec1_pop_transcript() {
    assert_eq!(replay("sec1_pop"), 4);
}

#[test]
fn sec2_patch1_scan_transcript() {
    assert_eq!(replay("sec2_patch1_scan"), 7);
}

#[test]
fn sec2_patch0_legacy_reset_transcript() {
    assert_eq!(replay("sec2_patch0_legacy_reset"), 1);
}
