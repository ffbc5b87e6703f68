//! Shared test helpers: the vectors directory, a scripted RNG that replays recorded
//! randomness, transcript loading and a transport that replays a recorded device.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;

use provkit_client::{
    Client, ClientSecurityConfig, PollPolicy, ScanPlan, Sec2Patch, Secrets, Transport,
    TransportError, WifiCredentials,
};
use provkit_security::rand_core::{TryCryptoRng, TryRng};
use serde_json::Value;

// JSON loading and hex decoding live in the shared test-support crate. Each test binary
// uses a different subset of this module, hence the allow.
#[allow(unused_imports)]
pub use provkit_testkit::{hex_of as hex_field, load_json};

/// The scripted RNG this crate's tests use: hands out recorded random bytes in order; what is
/// asked beyond the script yields a fixed byte and is counted in `overrun()`, so a test can
/// assert the client consumed exactly the recorded randomness.
pub type ScriptedRng = provkit_testkit::ScriptedRng;

/// A [`ScriptedRng`] over a transcript's recorded chunks that counts overruns instead of
/// panicking (the filler is not random on purpose: an overrun must fail the test, not pass
/// by luck).
pub fn scripted_rng(chunks: &[Vec<u8>]) -> ScriptedRng {
    ScriptedRng::from_chunks(chunks).fill_when_dry(0xA5)
}

/// A small deterministic generator (xorshift64*) for tests that need "some" randomness.
#[derive(Debug)]
pub struct TestRng(pub u64);

impl TryRng for TestRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        Ok(self.0.wrapping_mul(0x2545_F491_4F6C_DD1D))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for TestRng {}

/// One recorded HTTP exchange.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub endpoint: String,
    pub request: Vec<u8>,
    pub request_cookie: Option<String>,
    pub response: Vec<u8>,
    pub response_status: u16,
    pub response_headers: Vec<(String, String)>,
}

/// A transcript: the esp_prov command line, its randomness and the exchanges.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub name: String,
    pub json: Value,
    pub args: Vec<String>,
    pub stdin: String,
    pub randomness: Vec<Vec<u8>>,
    pub exchanges: Vec<Exchange>,
}

impl Transcript {
    pub fn load(name: &str) -> Self {
        let json = load_json(&format!("transcripts/{name}.json"));
        let client = &json["client"];
        let args = client["command"]
            .as_str()
            .expect("command")
            .split(' ')
            .map(str::to_string)
            .collect();
        let mut randomness = Vec::new();
        if let Some(map) = client["fixed_randomness"].as_object() {
            for chunks in map.values() {
                for chunk in chunks.as_array().expect("list of hex chunks") {
                    randomness.push(hex_field(chunk));
                }
            }
        }
        let exchanges = json["exchanges"]
            .as_array()
            .expect("exchanges")
            .iter()
            .map(|e| Exchange {
                endpoint: e["path"]
                    .as_str()
                    .expect("path")
                    .trim_start_matches('/')
                    .to_string(),
                request: hex_field(&e["request_body_hex"]),
                request_cookie: e["request_cookie"].as_str().map(str::to_string),
                response: hex_field(&e["response_body_hex"]),
                response_status: e["response_status"].as_u64().expect("status") as u16,
                response_headers: e["response_headers"]
                    .as_array()
                    .expect("headers")
                    .iter()
                    .map(|h| {
                        (
                            h[0].as_str().expect("name").to_string(),
                            h[1].as_str().expect("value").to_string(),
                        )
                    })
                    .collect(),
            })
            .collect();
        Self {
            name: name.to_string(),
            stdin: client["stdin"].as_str().unwrap_or_default().to_string(),
            json,
            args,
            randomness,
            exchanges,
        }
    }

    /// The value of `--flag value` on the recorded command line.
    pub fn arg(&self, flag: &str) -> Option<&str> {
        let i = self.args.iter().position(|a| a == flag)?;
        self.args.get(i + 1).map(String::as_str)
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.args.iter().any(|a| a == flag)
    }

    pub fn proto_ver_response(&self) -> Vec<u8> {
        self.json["device"]["proto_ver_response"]
            .as_str()
            .expect("proto_ver_response")
            .as_bytes()
            .to_vec()
    }
}

pub const TRANSCRIPTS: [&str; 4] = [
    "sec0_auto",
    "sec1_pop",
    "sec2_patch1_scan",
    "sec2_patch0_legacy_reset",
];

/// How [`ReplayTransport`] treats `proto-ver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtoVerMode {
    /// Every request, proto-ver included, must equal the next recorded one.
    Strict,
    /// proto-ver requests are answered with the device's document whatever their body and
    /// position; every other request must equal the next recorded non-proto-ver request.
    Lenient,
}

/// Replays a recorded device: answers each request with the recorded response after checking
/// that the request is the recorded one, byte for byte.
#[derive(Debug)]
pub struct ReplayTransport {
    exchanges: VecDeque<Exchange>,
    mode: ProtoVerMode,
    proto_ver: Vec<u8>,
    pub log: Vec<(String, Vec<u8>)>,
}

impl ReplayTransport {
    pub fn new(t: &Transcript, mode: ProtoVerMode) -> Self {
        let exchanges = match mode {
            ProtoVerMode::Strict => t.exchanges.iter().cloned().collect(),
            ProtoVerMode::Lenient => t
                .exchanges
                .iter()
                .filter(|e| e.endpoint != "proto-ver")
                .cloned()
                .collect(),
        };
        Self {
            exchanges,
            mode,
            proto_ver: t.proto_ver_response(),
            log: Vec::new(),
        }
    }

    pub fn remaining(&self) -> usize {
        self.exchanges.len()
    }
}

impl Transport for ReplayTransport {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        assert!(!body.is_empty(), "client sent an empty body to {endpoint}");
        self.log.push((endpoint.to_string(), body.to_vec()));
        if self.mode == ProtoVerMode::Lenient && endpoint == "proto-ver" {
            return Ok(self.proto_ver.clone());
        }
        let expected = self
            .exchanges
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected extra request to {endpoint}"));
        assert_eq!(
            endpoint,
            expected.endpoint,
            "endpoint of request #{}",
            self.log.len()
        );
        assert_eq!(
            hex::encode(body),
            hex::encode(&expected.request),
            "body of request #{} to {endpoint}",
            self.log.len()
        );
        Ok(expected.response)
    }
}

/// esp_prov's Latin-1 `str_to_bytes` for the ASCII arguments of these runs.
pub fn bytes(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

pub fn secrets_of(t: &Transcript) -> Secrets {
    Secrets {
        pop: t.arg("--pop").map(bytes),
        username: t.arg("--sec2_username").map(bytes),
        password: t.arg("--sec2_pwd").map(bytes),
    }
}

/// Picks the access point the way the recorded stdin did (1-based index).
pub fn chosen_ssid(t: &Transcript, entries: &[provkit_client::ScanEntry]) -> Vec<u8> {
    let index: usize = t.stdin.trim().parse().expect("stdin holds an AP number");
    entries[index - 1].ssid.clone()
}

/// Replays esp_prov's call sequence (spec §7.2) through the client's public API.
pub fn drive_like_esp_prov<T: Transport>(
    t: &Transcript,
    client: &mut Client<T>,
    rng: &mut ScriptedRng,
) {
    let secrets = secrets_of(t);
    // 1. security scheme: explicit --sec_ver, else esp_prov's two capability probes.
    let sec_ver: u8 = match t.arg("--sec_ver") {
        Some(v) => v.parse().expect("numeric --sec_ver"),
        None => {
            assert!(
                client
                    .read_version_with(b"none")
                    .expect("proto-ver")
                    .is_json()
            );
            let report = client.read_version_with(b"no_sec").expect("proto-ver");
            u8::from(!report.has_capability("no_sec"))
        }
    };
    let config = match sec_ver {
        0 => ClientSecurityConfig::Sec0,
        1 => {
            let report = client.read_version_with(b"no_pop").expect("proto-ver");
            let pop = if report.has_capability("no_pop") {
                None
            } else {
                secrets.pop.clone()
            };
            ClientSecurityConfig::Sec1 { pop }
        }
        2 => {
            let report = client.read_version_with(b"---").expect("proto-ver");
            let patch = match report.sec_patch_ver() {
                Some(1) => Sec2Patch::Patch1,
                _ => Sec2Patch::Patch0,
            };
            ClientSecurityConfig::Sec2 {
                username: secrets.username.clone().expect("--sec2_username"),
                password: secrets.password.clone().expect("--sec2_pwd"),
                patch,
            }
        }
        other => panic!("unknown sec_ver {other}"),
    };
    if let Some(expected) = t.arg("--proto_ver") {
        let report = client
            .read_version_with(expected.as_bytes())
            .expect("proto-ver");
        assert!(report.version_matches(expected), "version check");
    }
    client.establish_session(config, rng).expect("handshake");
    assert!(client.is_established());

    if t.has_flag("--reset") {
        client.ctrl_reset().expect("reset");
        return;
    }
    if t.has_flag("--reprov") {
        client.ctrl_reprov().expect("reprov");
        return;
    }
    if let Some(data) = t.arg("--custom_data") {
        let answer = client
            .custom("custom-data", data.as_bytes())
            .expect("custom-data");
        let recorded = t
            .exchanges
            .iter()
            .find(|e| e.endpoint == "custom-data")
            .expect("recorded custom-data exchange");
        assert_eq!(answer, t.json["exchanges"][recorded_index(t, "custom-data")]["device_view"]["response_plaintext"]
            .as_str()
            .map(|h| hex::decode(h).expect("hex"))
            .expect("device_view plaintext"));
        assert!(!recorded.response.is_empty());
    }
    let ssid = match t.arg("--ssid") {
        Some(ssid) => bytes(ssid),
        None => {
            let report = client.read_version_with(b"wifi_scan").expect("proto-ver");
            assert!(report.has_capability("wifi_scan"));
            let entries = client.scan(&ScanPlan::HTTP, || {}).expect("scan");
            let recorded = t.json["device"]["scan_results"]
                .as_array()
                .expect("scan_results");
            assert_eq!(entries.len(), recorded.len());
            for (got, want) in entries.iter().zip(recorded) {
                assert_eq!(got.ssid, want["ssid"].as_str().expect("ssid").as_bytes());
                assert_eq!(
                    hex::encode(&got.bssid),
                    want["bssid"].as_str().expect("bssid")
                );
                assert_eq!(i64::from(got.rssi), want["rssi"].as_i64().expect("rssi"));
                assert_eq!(
                    u64::from(got.channel),
                    want["channel"].as_u64().expect("channel")
                );
                assert_eq!(i64::from(got.auth), want["auth"].as_i64().expect("auth"));
            }
            chosen_ssid(t, &entries)
        }
    };
    let credentials =
        WifiCredentials::new(ssid, bytes(t.arg("--passphrase").expect("--passphrase")));
    let info = client
        .provision(&credentials, PollPolicy::default(), || {})
        .expect("provisioning succeeds");
    assert_eq!(info.ssid, credentials.ssid);
}

pub fn recorded_index(t: &Transcript, endpoint: &str) -> usize {
    t.exchanges
        .iter()
        .position(|e| e.endpoint == endpoint)
        .expect("endpoint recorded")
}
