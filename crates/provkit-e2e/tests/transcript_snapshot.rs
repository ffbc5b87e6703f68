//! Snapshot of the HTTP flow against `tests/vectors/transcripts/*.json`: a simulated
//! device built from each transcript's `device` inputs (security secrets, scan results) and
//! replaying the recorded device randomness (cookie id, X25519 key / device_random, SRP `b`,
//! nonce) receives esp_prov's recorded requests — path, Cookie header, body — and must give the
//! recorded responses byte for byte, `Set-Cookie` included.
//!
//! Then the same device setup is driven by provkit-client with the recorded client
//! randomness: its session-phase traffic must equal the recording too.

use provkit_client::{Client, PollPolicy, Secrets, Transport, TransportError, WifiCredentials};
use provkit_e2e::{DetRng, DeviceSetup, HttpLink, SimAp, SimDevice};
use provkit_hal::AuthMode;
use provkit_protocomm::VersionInfo;
use provkit_protocomm::http::HttpOutcome;
use provkit_security::{DeviceSecurityConfig, Sec2Patch};
use serde_json::Value;

const COOKIE_ID: u32 = 2_882_400_001;

fn load(name: &str) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/transcripts/"
    );
    let text = std::fs::read_to_string(format!("{path}{name}.json")).expect("transcript");
    serde_json::from_str(&text).expect("json")
}

fn hex_of(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

/// A device configured like the one that produced the transcript.
fn device_for(t: &Value) -> (DeviceSetup, u32, u64) {
    let d = &t["device"];
    let mut script = vec![COOKIE_ID.to_le_bytes().to_vec()];
    let security = match d["sec_ver"].as_u64().expect("sec_ver") {
        0 => DeviceSecurityConfig::Sec0,
        1 => {
            script.push(hex_of(&d["device_private_key"]));
            script.push(hex_of(&d["device_random"]));
            DeviceSecurityConfig::Sec1 {
                pop: d["pop"].as_str().map(|p| p.as_bytes().to_vec()),
            }
        }
        _ => {
            script.push(hex_of(&d["b"]));
            let patch = if d["sec_patch_ver"].as_u64() == Some(1) {
                script.push(hex_of(&d["device_session_id"]));
                Sec2Patch::Patch1
            } else {
                script.push(hex_of(&d["device_nonce"]));
                Sec2Patch::Patch0
            };
            DeviceSecurityConfig::Sec2 {
                salt: hex_of(&d["salt"]),
                verifier: hex_of(&d["verifier"]),
                patch,
            }
        }
    };
    let mut setup = DeviceSetup::new(security, 1);
    setup.rng = DetRng::seeded(1).with_script(&script);
    setup.version = VersionInfo {
        emit_sec_patch_ver: d["proto_ver_response"]
            .as_str()
            .expect("pv")
            .contains("sec_patch_ver"),
        ..VersionInfo::default()
    };
    setup.aps = match d["scan_results"].as_array() {
        Some(list) => list
            .iter()
            .map(|ap| SimAp {
                ssid: ap["ssid"].as_str().expect("ssid").as_bytes().to_vec(),
                passphrase: b"mypassword".to_vec(),
                bssid: hex_of(&ap["bssid"]).try_into().expect("6 bytes"),
                channel: ap["channel"].as_u64().expect("channel") as u8,
                rssi: ap["rssi"].as_i64().expect("rssi") as i8,
                auth: AuthMode::from_raw(ap["auth"].as_u64().expect("auth") as u8),
            })
            .collect(),
        None => vec![SimAp {
            bssid: [0x24, 0xa1, 0x60, 0x11, 0xee, 0x01],
            ..SimAp::wpa2("myssid", "mypassword", 6, -42)
        }],
    };
    // "attempt_failed(attempts_remaining=4)" first: five attempts, the first one fails.
    let sequence: Vec<&str> = d["get_status_sequence"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut flaky = 0;
    let mut first_poll_delay = 0;
    if let Some(first) = sequence.first()
        && let Some(n) = first.strip_prefix("attempt_failed(attempts_remaining=")
    {
        let remaining: u32 = n.trim_end_matches(')').parse().expect("number");
        setup.manager.wifi_conn_attempts = remaining + 1;
        flaky = 1;
        // Poll after the failed attempt (apply + 1 s connect delay + 0.3 s) but before the
        // retry completes (+0.5 s more).
        first_poll_delay = 1_000;
    }
    (setup, flaky, first_poll_delay)
}

fn snapshot(name: &str) {
    let t = load(name);
    let (setup, flaky, first_poll_delay) = device_for(&t);
    let device = SimDevice::start(setup);
    device.borrow_mut().fail_next_connects(flaky);
    let mut polls = 0;
    for (i, e) in t["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .enumerate()
    {
        let body = hex_of(&e["request_body_hex"]);
        let path = e["path"].as_str().expect("path");
        if path == "/prov-config" && e["device_view"]["request_plaintext"] == "5200" {
            // esp_prov waits 5 s between status polls.
            let wait = if polls == 0 { first_poll_delay } else { 5_000 };
            device.borrow_mut().advance(wait);
            polls += 1;
        }
        let outcome =
            device
                .borrow_mut()
                .http_request(path, e["request_cookie"].as_str(), &body, 1);
        let HttpOutcome::Reply(reply) = outcome else {
            panic!("{name} #{i} {path}: device closed the connection");
        };
        assert_eq!(
            u64::from(reply.status),
            e["response_status"].as_u64().expect("status"),
            "{name} #{i}"
        );
        assert_eq!(
            reply.set_cookie.as_deref(),
            e["set_cookie"].as_str(),
            "{name} #{i} Set-Cookie"
        );
        assert_eq!(reply.content_type, "text/html");
        assert_eq!(
            hex::encode(&reply.body),
            e["response_body_hex"].as_str().expect("hex"),
            "{name} #{i} {path}: response differs"
        );
    }
    assert_eq!(
        device.borrow().rng.remaining(),
        0,
        "{name}: recorded device randomness unused"
    );
}

#[test]
fn sec0_auto_device_matches_recording() {
    snapshot("sec0_auto");
}

#[test]
fn sec1_pop_device_matches_recording() {
    snapshot("sec1_pop");
}

#[test]
fn sec2_patch1_scan_device_matches_recording() {
    snapshot("sec2_patch1_scan");
}

#[test]
fn sec2_patch0_legacy_reset_device_matches_recording() {
    snapshot("sec2_patch0_legacy_reset");
}

/// provkit-client (recorded client randomness) against the device rebuilt from the recording:
/// the handshake and every encrypted exchange must be the recorded bytes.
#[test]
fn client_and_device_together_reproduce_sec1_recording() {
    let t = load("sec1_pop");
    let (setup, flaky, _) = device_for(&t);
    let device = SimDevice::start(setup);
    device.borrow_mut().fail_next_connects(flaky);
    let client_key = hex_of(&t["client"]["fixed_randomness"]["x25519"][0]);
    let mut rng = DetRng::seeded(1).with_script(&[client_key]);
    let mut link = Recorder {
        inner: HttpLink::new(&device),
        log: Vec::new(),
    };
    let mut client = Client::new(&mut link);
    let secrets = Secrets {
        pop: Some(b"abcd1234".to_vec()),
        ..Secrets::default()
    };
    client.connect(&secrets, None, &mut rng).expect("connect");
    assert_eq!(
        client.custom("custom-data", b"hello").expect("custom"),
        b"SUCCESS"
    );
    client
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || device.borrow_mut().advance(1_000),
        )
        .expect("provisioned");
    drop(client);
    assert_eq!(link.inner.cookie(), Some("session=2882400001"));
    assert_eq!(rng.remaining(), 0);
    // Everything after proto-ver — handshake, custom data, config, both status polls — is
    // the recorded traffic, request and response, byte for byte.
    let recorded: Vec<(String, String, String)> = t["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .filter(|e| e["path"] != "/proto-ver")
        .map(|e| {
            (
                e["path"]
                    .as_str()
                    .expect("path")
                    .trim_start_matches('/')
                    .to_string(),
                e["request_body_hex"].as_str().expect("req").to_string(),
                e["response_body_hex"].as_str().expect("resp").to_string(),
            )
        })
        .collect();
    let ours: Vec<(String, String, String)> = link
        .log
        .iter()
        .filter(|(ep, _, _)| ep != "proto-ver")
        .map(|(ep, req, resp)| (ep.clone(), hex::encode(req), hex::encode(resp)))
        .collect();
    assert_eq!(ours, recorded);
}

/// Logs every exchange that passes through.
struct Recorder<T> {
    inner: T,
    log: Vec<(String, Vec<u8>, Vec<u8>)>,
}

impl<T: Transport> Transport for Recorder<T> {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        let response = self.inner.request(endpoint, body)?;
        self.log
            .push((endpoint.to_string(), body.to_vec(), response.clone()));
        Ok(response)
    }
}
