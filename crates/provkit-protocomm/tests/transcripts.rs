//! Full HTTP replays of every transcript in `tests/vectors/transcripts/` through
//! `HttpFraming` + `Protocomm` + the real `provkit-security` device session.
//!
//! The device's randomness is replayed from the vectors (HTTP cookie id via `next_u32`; then,
//! in the order `provkit-security` documents, the sec1 X25519 secret + device_random, or the
//! sec2 `b` + nonce bytes), so every response — handshake and encrypted data alike — must be
//! byte-identical to the recording. A scripted handler checks it receives the recorded
//! device-side plaintext and answers with the recorded plaintext response.

mod common;

use std::collections::VecDeque;

use common::TestRng;
use provkit_hal::Instant;
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest};
use provkit_protocomm::{
    DeviceSecurityConfig, HandlerError, Protocomm, RequestHandler, Sec2Patch, VersionInfo,
};
use serde_json::Value;

/// The time of every request in these tests (nothing here depends on it).
const T0: Instant = Instant::from_millis(0);

struct ScriptedHandler {
    script: VecDeque<(String, Vec<u8>, Vec<u8>)>,
}

impl RequestHandler for ScriptedHandler {
    fn handle_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HandlerError> {
        let (ep, request, response) = self
            .script
            .pop_front()
            .ok_or(HandlerError::new("unexpected request"))?;
        assert_eq!(endpoint, ep);
        assert_eq!(
            hex::encode(plaintext),
            hex::encode(request),
            "{endpoint} plaintext"
        );
        Ok(response)
    }
}

fn h(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

/// Device configuration, proto-ver info and recorded device randomness of a transcript.
fn device_setup(d: &Value) -> (DeviceSecurityConfig, VersionInfo, Vec<u8>) {
    let mut info = VersionInfo::default();
    match d["sec_ver"].as_u64() {
        Some(0) => (DeviceSecurityConfig::Sec0, info, Vec::new()),
        Some(1) => {
            let pop = d["pop"].as_str().map(|p| p.as_bytes().to_vec());
            let mut random = h(&d["device_private_key"]);
            random.extend(h(&d["device_random"]));
            (DeviceSecurityConfig::Sec1 { pop }, info, random)
        }
        Some(2) => {
            let patch1 = d["sec_patch_ver"].as_u64() == Some(1);
            let mut random = h(&d["b"]);
            if patch1 {
                random.extend(h(&d["device_session_id"]));
            } else {
                info.emit_sec_patch_ver = false;
                random.extend(h(&d["device_nonce"]));
            }
            let config = DeviceSecurityConfig::Sec2 {
                salt: h(&d["salt"]),
                verifier: h(&d["verifier"]),
                patch: if patch1 {
                    Sec2Patch::Patch1
                } else {
                    Sec2Patch::Patch0
                },
            };
            (config, info, random)
        }
        other => panic!("unknown sec_ver {other:?}"),
    }
}

fn replay(file: &str) {
    let t = common::load_json(&format!("transcripts/{file}.json"));
    let d = &t["device"];
    let (security, info, random) = device_setup(d);
    let cookie = d["session_cookie_ids"][0].as_u64().expect("cookie") as u32;
    let exchanges = t["exchanges"].as_array().expect("exchanges");

    let mut pc = Protocomm::new(security, info);
    let mut handler = ScriptedHandler {
        script: VecDeque::new(),
    };
    for e in exchanges {
        let ep = e["path"].as_str().expect("path").trim_start_matches('/');
        if pc.endpoints().lookup(ep).is_none() {
            pc.add_custom_endpoint(ep).expect("custom endpoint");
        }
        if let Some(view) = e["device_view"].as_object() {
            handler.script.push_back((
                ep.to_string(),
                h(&view["request_plaintext"]),
                h(&view["response_plaintext"]),
            ));
        }
    }
    assert_eq!(
        pc.proto_ver_body(),
        d["proto_ver_response"].as_str().expect("text").as_bytes()
    );

    let mut http = HttpFraming::new();
    let mut rng = TestRng::with_u32s(11, &[cookie]).with_bytes(&random);
    for e in exchanges {
        let body = h(&e["request_body_hex"]);
        let request = HttpRequest {
            method: e["method"].as_str().expect("method"),
            path: e["path"].as_str().expect("path"),
            cookie: e["request_cookie"].as_str().map(str::as_bytes),
            body: &body,
            connection: 1,
        };
        let seq = &e["seq"];
        let HttpOutcome::Reply(r) = http.handle(&mut pc, &request, &mut handler, &mut rng, T0)
        else {
            panic!("{file} seq {seq}: connection closed");
        };
        assert_eq!(
            u64::from(r.status),
            e["response_status"].as_u64().expect("status")
        );
        assert_eq!(
            r.set_cookie.as_deref(),
            e["set_cookie"].as_str(),
            "{file} seq {seq}"
        );
        assert_eq!(
            hex::encode(&r.body),
            e["response_body_hex"].as_str().expect("body"),
            "{file} seq {seq}"
        );
    }
    assert!(
        handler.script.is_empty(),
        "{file}: all handler calls happened"
    );
    assert_eq!(
        rng.unused_bytes(),
        0,
        "{file}: all recorded randomness consumed"
    );
}

#[test]
fn sec0_auto() {
    replay("sec0_auto");
}

#[test]
fn sec1_pop() {
    replay("sec1_pop");
}

#[test]
fn sec2_patch1_scan() {
    replay("sec2_patch1_scan");
}

#[test]
fn sec2_patch0_legacy_reset() {
    replay("sec2_patch0_legacy_reset");
}
