//! The client against the recorded esp_prov HTTP runs in
//! `tests/vectors/transcripts/*.json`.
//!
//! * `*_requests_match_esp_prov`: the client is driven through the same calls esp_prov made
//!   (parsed from the recorded command line), with the recorded client randomness; every
//!   request body — `proto-ver` probes included — must equal the recorded one byte for byte,
//!   and every recorded exchange must be used.
//! * `*_own_flow`: the client's own flow (`connect` with detection from one `proto-ver`, then
//!   the high-level operations); `proto-ver` may be asked any number of times, every other
//!   request must still match byte for byte.

mod common;

use common::{
    ProtoVerMode, ReplayTransport, TRANSCRIPTS, Transcript, bytes, chosen_ssid,
    drive_like_esp_prov, scripted_rng, secrets_of,
};
use provkit_client::{
    Client, ScanPlan, Scheme, Sec2Patch, SecurityPolicy, WifiCredentials, WifiStatus, select_scheme,
};

fn replay_strict(name: &str) {
    let t = Transcript::load(name);
    let mut rng = scripted_rng(&t.randomness);
    let mut transport = ReplayTransport::new(&t, ProtoVerMode::Strict);
    let mut client = Client::new(&mut transport);
    drive_like_esp_prov(&t, &mut client, &mut rng);
    assert_eq!(
        rng.remaining(),
        0,
        "{name}: recorded randomness not all used"
    );
    assert_eq!(
        rng.overrun(),
        0,
        "{name}: client asked for more randomness than recorded"
    );
    assert_eq!(
        transport.remaining(),
        0,
        "{name}: recorded exchanges left over"
    );
}

#[test]
fn sec0_auto_requests_match_esp_prov() {
    replay_strict("sec0_auto");
}

#[test]
fn sec1_pop_requests_match_esp_prov() {
    replay_strict("sec1_pop");
}

#[test]
fn sec2_patch1_scan_requests_match_esp_prov() {
    replay_strict("sec2_patch1_scan");
}

#[test]
fn sec2_patch0_legacy_reset_requests_match_esp_prov() {
    replay_strict("sec2_patch0_legacy_reset");
}

/// The client's own flow: one `proto-ver`, detection (security 2 included), then the same
/// operations as the recorded run.
#[test]
fn own_flow_matches_every_transcript() {
    for name in TRANSCRIPTS {
        let t = Transcript::load(name);
        let mut rng = scripted_rng(&t.randomness);
        let mut transport = ReplayTransport::new(&t, ProtoVerMode::Lenient);
        let mut client = Client::new(&mut transport);
        // One recording is of a legacy sec2 patch-0 device: allowed explicitly, as a user of
        // such a device must.
        client.set_security_policy(SecurityPolicy {
            allow_sec2_patch0: true,
            ..SecurityPolicy::default()
        });
        let scheme = client
            .connect(&secrets_of(&t), None, &mut rng)
            .unwrap_or_else(|e| panic!("{name}: connect: {e}"));
        // Detection must agree with what the device was configured with.
        let device = &t.json["device"];
        let want = match device["sec_ver"].as_u64().expect("device sec_ver") {
            0 => Scheme::Sec0,
            1 => Scheme::Sec1,
            _ if device["sec_patch_ver"].as_u64() == Some(1) => Scheme::Sec2(Sec2Patch::Patch1),
            _ => Scheme::Sec2(Sec2Patch::Patch0),
        };
        assert_eq!(scheme, want, "{name}: detected scheme");
        assert_eq!(
            select_scheme(client.version().expect("report kept"), None).expect("detectable"),
            want
        );

        if t.has_flag("--reset") {
            client.ctrl_reset().expect("reset");
        } else {
            if let Some(data) = t.arg("--custom_data") {
                assert_eq!(
                    client
                        .custom("custom-data", data.as_bytes())
                        .expect("custom"),
                    b"SUCCESS"
                );
            }
            let ssid = match t.arg("--ssid") {
                Some(s) => bytes(s),
                None => {
                    let entries = client.scan(&ScanPlan::HTTP, || {}).expect("scan");
                    chosen_ssid(&t, &entries)
                }
            };
            let credentials =
                WifiCredentials::new(ssid, bytes(t.arg("--passphrase").expect("passphrase")));
            client.set_config(&credentials).expect("set_config");
            client.apply_config().expect("apply_config");
            // Walk the recorded status sequence one answer at a time.
            let sequence = device["get_status_sequence"].as_array().expect("sequence");
            for (i, step) in sequence.iter().enumerate() {
                let status = client.get_status().expect("get_status");
                let step = step.as_str().expect("step");
                match status {
                    WifiStatus::Connected(info) => {
                        assert_eq!(step, "connected");
                        assert_eq!(i, sequence.len() - 1);
                        assert_eq!(info.ssid, credentials.ssid);
                    }
                    WifiStatus::Connecting => assert_eq!(step, "connecting"),
                    WifiStatus::AttemptFailed { attempts_remaining } => assert_eq!(
                        step,
                        format!("attempt_failed(attempts_remaining={attempts_remaining})")
                    ),
                    other => panic!("{name}: unexpected status {other:?}"),
                }
            }
        }
        assert_eq!(
            transport.remaining(),
            0,
            "{name}: recorded exchanges left over"
        );
        assert_eq!(rng.overrun(), 0, "{name}: randomness overrun");
    }
}
