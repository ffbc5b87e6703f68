//! Shared test helpers: the vector file and a backend whose state each test sets.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::VecDeque;

use provkit_hal::{AuthMode, Bssid, Credentials, ScanConfig, ScanEntry, Ssid};
use provkit_wifi::{ConfigBackend, CtrlBackend, ScanBackend, StationStatus, Status};
use serde_json::Value;

/// `messages.json` from the shared vectors (see its README): requests built by esp_prov,
/// responses built with the reference `*_pb2` classes and accepted by esp_prov's parsers.
pub fn messages() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/messages.json"
    );
    let text = std::fs::read_to_string(path).expect("shared vectors present");
    serde_json::from_str(&text).expect("messages.json parses")
}

/// The case called `name` in `section` (`wifi_config`, `wifi_scan`, `wifi_ctrl`).
pub fn case<'a>(vectors: &'a Value, section: &str, name: &str) -> &'a Value {
    vectors[section]
        .as_array()
        .expect("section is a list")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("case {section}/{name} missing"))
}

/// The recorded bytes of a case (`key` is `hex` or `rainmaker_cli_hex`).
pub fn bytes(case: &Value, key: &str) -> Vec<u8> {
    hex::decode(case[key].as_str().expect("hex string")).expect("valid hex")
}

/// A hex field inside `fields`.
pub fn hex_field(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("hex string")).expect("valid hex")
}

/// Auth mode by its proto name, as the vectors spell it; absent = Open (0, not encoded).
pub fn auth_by_name(value: &Value) -> AuthMode {
    const NAMES: [&str; 8] = [
        "Open",
        "WEP",
        "WPA_PSK",
        "WPA2_PSK",
        "WPA_WPA2_PSK",
        "WPA2_ENTERPRISE",
        "WPA3_PSK",
        "WPA2_WPA3_PSK",
    ];
    match value.as_str() {
        None => AuthMode::Open,
        Some(name) => {
            let raw = NAMES
                .iter()
                .position(|n| *n == name)
                .expect("known auth name");
            AuthMode::from_raw(u8::try_from(raw).expect("small"))
        }
    }
}

/// A scan entry from a vector's `entries[i]` fields.
pub fn scan_entry(fields: &Value) -> ScanEntry {
    ScanEntry {
        ssid: Ssid::new(&hex_field(&fields["ssid"])).expect("ssid fits"),
        bssid: Bssid::from_slice(&hex_field(&fields["bssid"])).expect("6 bytes"),
        channel: u8::try_from(fields["channel"].as_u64().expect("channel")).expect("u8"),
        rssi: i8::try_from(fields["rssi"].as_i64().expect("rssi")).expect("i8"),
        auth: auth_by_name(&fields["auth"]),
    }
}

/// A backend whose answers the test sets and whose calls it records.
#[derive(Debug)]
pub struct TestBackend {
    pub station: StationStatus,
    pub set_result: Result<(), Status>,
    pub apply_result: Result<(), Status>,
    pub reset_result: Result<(), Status>,
    pub reprov_result: Result<(), Status>,
    pub start_result: Result<(), Status>,
    pub received: VecDeque<Credentials>,
    pub applies: u32,
    pub resets: u32,
    pub reprovs: u32,
    pub scans: Vec<ScanConfig>,
    pub scan_finished: bool,
    pub results: Vec<ScanEntry>,
}

impl Default for TestBackend {
    fn default() -> Self {
        Self {
            station: StationStatus::Connecting,
            set_result: Ok(()),
            apply_result: Ok(()),
            reset_result: Ok(()),
            reprov_result: Ok(()),
            start_result: Ok(()),
            received: VecDeque::new(),
            applies: 0,
            resets: 0,
            reprovs: 0,
            scans: Vec::new(),
            scan_finished: false,
            results: Vec::new(),
        }
    }
}

impl ConfigBackend for TestBackend {
    fn status(&self) -> StationStatus {
        self.station.clone()
    }
    fn set_config(&mut self, credentials: Credentials) -> Result<(), Status> {
        self.received.push_back(credentials);
        self.set_result
    }
    fn apply_config(&mut self) -> Result<(), Status> {
        self.applies += 1;
        self.apply_result
    }
}

impl ScanBackend for TestBackend {
    fn start_scan(&mut self, config: ScanConfig) -> Result<(), Status> {
        self.scans.push(config);
        self.start_result
    }
    fn scan_status(&self) -> (bool, u32) {
        (
            self.scan_finished,
            u32::try_from(self.results.len()).expect("small"),
        )
    }
    fn scan_result(&self, index: u32) -> Option<ScanEntry> {
        self.results.get(usize::try_from(index).ok()?).cloned()
    }
}

impl CtrlBackend for TestBackend {
    fn reset(&mut self) -> Result<(), Status> {
        self.resets += 1;
        self.reset_result
    }
    fn reprov(&mut self) -> Result<(), Status> {
        self.reprovs += 1;
        self.reprov_result
    }
}
