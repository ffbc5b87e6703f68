//! Client behaviour against a small scripted in-memory device built on
//! `provkit_security::DeviceSession`: scan paging and polling, status polling with reasons,
//! session loss after a missing answer, wrong/right PoP, typed errors, the one security 2
//! retry in the other verifier convention.

mod common;

use std::collections::VecDeque;

use common::TestRng;
use provkit_client::{
    Client, ClientConvention, ClientError, ClientSecurityConfig, FailReason, PollPolicy,
    ScanOptions, ScanPlan, Scheme, Sec2Patch, Sec2Retry, Secrets, Transport, TransportError,
    WifiCredentials, WifiStatus,
};
use provkit_proto::{
    Message, RespGetStatus, RespScanResult, RespScanStatus, WiFiConfigPayload, WiFiCtrlPayload,
    WiFiScanPayload, WiFiScanResult, WifiAttemptFailed, WifiConnectedState, resp_get_status,
    wi_fi_config_payload, wi_fi_ctrl_payload, wi_fi_scan_payload,
};
use provkit_security::sec2::verifier_for_salt;
use provkit_security::{DeviceSecurityConfig, DeviceSession, VerifierConvention};

/// What the scripted device answers GetStatus with, in order (the last one repeats).
#[derive(Debug, Clone)]
enum Sta {
    Connecting,
    AttemptFailed(u32),
    Failed(i32),
    Connected,
}

struct FakeDevice {
    session: DeviceSession,
    rng: TestRng,
    proto_ver: String,
    aps: Vec<WiFiScanResult>,
    /// ScanStatus answers "not finished" this many times first.
    scan_busy_polls: u32,
    statuses: VecDeque<Sta>,
    /// Requests (endpoint, plaintext) the device has seen.
    seen: Vec<(String, Vec<u8>)>,
    /// Drop the answer to the n-th (0-based) encrypted request.
    drop_answer_at: Option<usize>,
    encrypted_requests: usize,
    stored_ssid: Vec<u8>,
}

impl FakeDevice {
    fn new(config: DeviceSecurityConfig, proto_ver: &str) -> Self {
        Self {
            session: DeviceSession::new(config),
            rng: TestRng(0x1234_5678_9abc_def1),
            proto_ver: proto_ver.to_string(),
            aps: (0..5u8)
                .map(|i| WiFiScanResult {
                    ssid: format!("ap-{i}").into_bytes(),
                    channel: u32::from(i) + 1,
                    rssi: -40 - i32::from(i),
                    bssid: vec![2, 0, 0, 0, 0, i],
                    auth: 3,
                })
                .collect(),
            scan_busy_polls: 0,
            statuses: VecDeque::from([Sta::Connected]),
            seen: Vec::new(),
            drop_answer_at: None,
            encrypted_requests: 0,
            stored_ssid: Vec::new(),
        }
    }

    fn sec0() -> Self {
        Self::new(
            DeviceSecurityConfig::Sec0,
            r#"{"prov":{"ver":"v1.1","sec_ver":0,"sec_patch_ver":0,"cap":["no_sec","wifi_scan"]}}"#,
        )
    }

    fn handle_plain(&mut self, endpoint: &str, req: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.seen.push((endpoint.to_string(), req.to_vec()));
        match endpoint {
            "prov-scan" => {
                let p = WiFiScanPayload::decode(req).map_err(|_| TransportError::NoResponse)?;
                let (msg, payload) = match p.msg {
                    0 => (
                        1,
                        wi_fi_scan_payload::Payload::RespScanStart(Default::default()),
                    ),
                    2 => {
                        let finished = self.scan_busy_polls == 0;
                        self.scan_busy_polls = self.scan_busy_polls.saturating_sub(1);
                        (
                            3,
                            wi_fi_scan_payload::Payload::RespScanStatus(RespScanStatus {
                                scan_finished: finished,
                                result_count: if finished { self.aps.len() as u32 } else { 0 },
                            }),
                        )
                    }
                    4 => {
                        let Some(wi_fi_scan_payload::Payload::CmdScanResult(c)) = p.payload else {
                            return Err(TransportError::NoResponse);
                        };
                        let start = c.start_index as usize;
                        let end = (start + c.count as usize).min(self.aps.len());
                        (
                            5,
                            wi_fi_scan_payload::Payload::RespScanResult(RespScanResult {
                                entries: self.aps.get(start..end).unwrap_or_default().to_vec(),
                            }),
                        )
                    }
                    _ => return Err(TransportError::NoResponse),
                };
                Ok(WiFiScanPayload {
                    msg,
                    status: 0,
                    payload: Some(payload),
                }
                .encode_to_vec())
            }
            "prov-config" => {
                let p = WiFiConfigPayload::decode(req).map_err(|_| TransportError::NoResponse)?;
                let payload = match p.msg {
                    0 => {
                        let sta = if self.statuses.len() > 1 {
                            self.statuses.pop_front()
                        } else {
                            self.statuses.front().cloned()
                        };
                        let (sta_state, state) = match sta.unwrap_or(Sta::Connecting) {
                            Sta::Connecting => (1, None),
                            Sta::AttemptFailed(n) => (
                                1,
                                Some(resp_get_status::State::AttemptFailed(WifiAttemptFailed {
                                    attempts_remaining: n,
                                })),
                            ),
                            Sta::Failed(r) => (3, Some(resp_get_status::State::FailReason(r))),
                            Sta::Connected => (
                                0,
                                Some(resp_get_status::State::Connected(WifiConnectedState {
                                    ip4_addr: "10.1.2.3".into(),
                                    auth_mode: 3,
                                    ssid: self.stored_ssid.clone(),
                                    bssid: vec![2, 0, 0, 0, 0, 1],
                                    channel: 6,
                                })),
                            ),
                        };
                        wi_fi_config_payload::Payload::RespGetStatus(RespGetStatus {
                            status: 0,
                            sta_state,
                            state,
                        })
                    }
                    2 => {
                        if let Some(wi_fi_config_payload::Payload::CmdSetConfig(c)) = p.payload {
                            self.stored_ssid = c.ssid;
                        }
                        wi_fi_config_payload::Payload::RespSetConfig(Default::default())
                    }
                    4 => wi_fi_config_payload::Payload::RespApplyConfig(Default::default()),
                    _ => return Err(TransportError::NoResponse),
                };
                Ok(WiFiConfigPayload {
                    msg: p.msg + 1,
                    payload: Some(payload),
                }
                .encode_to_vec())
            }
            "prov-ctrl" => {
                let p = WiFiCtrlPayload::decode(req).map_err(|_| TransportError::NoResponse)?;
                let payload = match p.msg {
                    1 => wi_fi_ctrl_payload::Payload::RespCtrlReset(Default::default()),
                    // Reprov refused, as a device with auto-stop enabled does.
                    3 => {
                        return Ok(WiFiCtrlPayload {
                            msg: 4,
                            status: 5,
                            payload: Some(wi_fi_ctrl_payload::Payload::RespCtrlReprov(
                                Default::default(),
                            )),
                        }
                        .encode_to_vec());
                    }
                    _ => return Err(TransportError::NoResponse),
                };
                Ok(WiFiCtrlPayload {
                    msg: p.msg + 1,
                    status: 0,
                    payload: Some(payload),
                }
                .encode_to_vec())
            }
            "custom-data" => {
                let mut answer = b"echo:".to_vec();
                answer.extend_from_slice(req);
                Ok(answer)
            }
            _ => Err(TransportError::Status(404)),
        }
    }
}

impl Transport for FakeDevice {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        assert!(!body.is_empty());
        match endpoint {
            "proto-ver" => Ok(self.proto_ver.clone().into_bytes()),
            "prov-session" => self
                .session
                .handle_session(body, &mut self.rng)
                .map_err(|_| TransportError::NoResponse),
            _ => {
                let plain = self
                    .session
                    .decrypt(body)
                    .map_err(|_| TransportError::NoResponse)?;
                let index = self.encrypted_requests;
                self.encrypted_requests += 1;
                let answer = self.handle_plain(endpoint, &plain)?;
                if self.drop_answer_at == Some(index) {
                    return Err(TransportError::NoResponse);
                }
                self.session
                    .encrypt(&answer)
                    .map_err(|_| TransportError::NoResponse)
            }
        }
    }
}

fn sec0_client(device: &mut FakeDevice) -> Client<&mut FakeDevice> {
    let mut client = Client::new(device);
    let scheme = client
        .connect(&Secrets::default(), None, &mut TestRng(7))
        .expect("sec0 connect");
    assert_eq!(scheme, Scheme::Sec0);
    client
}

#[test]
fn scan_pages_by_page_size_and_polls_until_finished() {
    let mut device = FakeDevice::sec0();
    device.scan_busy_polls = 2;
    let mut client = sec0_client(&mut device);
    let plan = ScanPlan {
        options: ScanOptions::BLE,
        page_size: 2,
        max_status_polls: 5,
    };
    let mut pauses = 0;
    let entries = client.scan(&plan, || pauses += 1).expect("scan");
    assert_eq!(pauses, 2, "one pause between each status poll");
    let names: Vec<_> = entries
        .iter()
        .map(|e| String::from_utf8_lossy(&e.ssid).into_owned())
        .collect();
    assert_eq!(names, ["ap-0", "ap-1", "ap-2", "ap-3", "ap-4"]);
    drop(client);
    // start, 3 status, then pages (0,2) (2,2) (4,1)
    let pages: Vec<(u32, u32)> = device
        .seen
        .iter()
        .filter_map(
            |(_, req)| match WiFiScanPayload::decode(req.as_slice()).ok()?.payload {
                Some(wi_fi_scan_payload::Payload::CmdScanResult(c)) => {
                    Some((c.start_index, c.count))
                }
                _ => None,
            },
        )
        .collect();
    assert_eq!(pages, [(0, 2), (2, 2), (4, 1)]);
    assert_eq!(device.seen.len(), 1 + 3 + 3);
}

#[test]
fn scan_gives_up_when_never_finished() {
    let mut device = FakeDevice::sec0();
    device.scan_busy_polls = 100;
    let mut client = sec0_client(&mut device);
    let plan = ScanPlan {
        max_status_polls: 3,
        ..ScanPlan::HTTP
    };
    assert_eq!(client.scan(&plan, || {}), Err(ClientError::ScanNotFinished));
    let zero = ScanPlan {
        page_size: 0,
        ..ScanPlan::HTTP
    };
    assert!(matches!(
        client.scan(&zero, || {}),
        Err(ClientError::InvalidArgument(_))
    ));
}

#[test]
fn scan_refused_without_wifi_scan_capability() {
    let mut device = FakeDevice::new(
        DeviceSecurityConfig::Sec0,
        r#"{"prov":{"ver":"v1.1","sec_ver":0,"cap":["no_sec"]}}"#,
    );
    let mut client = sec0_client(&mut device);
    assert_eq!(
        client.scan(&ScanPlan::HTTP, || {}),
        Err(ClientError::MissingCapability("wifi_scan"))
    );
    drop(client);
    assert!(device.seen.is_empty(), "nothing sent");
}

#[test]
fn provision_polls_through_connecting_and_attempt_failed() {
    let mut device = FakeDevice::sec0();
    device.statuses = VecDeque::from([
        Sta::Connecting,
        Sta::AttemptFailed(4),
        Sta::AttemptFailed(3),
        Sta::Connected,
    ]);
    let mut client = sec0_client(&mut device);
    let mut pauses = 0;
    let info = client
        .provision(
            &WifiCredentials::new("home", "secret-pass"),
            PollPolicy::default(),
            || pauses += 1,
        )
        .expect("connected");
    assert_eq!(info.ssid, b"home");
    assert_eq!(info.ip4_addr, "10.1.2.3");
    assert_eq!(pauses, 4, "a pause before each of the four polls");
}

#[test]
fn provision_reports_failure_reason_after_retries() {
    let mut device = FakeDevice::sec0();
    device.statuses = VecDeque::from([Sta::Connecting, Sta::Failed(1)]);
    let mut client = sec0_client(&mut device);
    let policy = PollPolicy {
        max_polls: 20,
        failure_retries: 3,
    };
    assert_eq!(
        client.provision(&WifiCredentials::new("home", "x"), policy, || {}),
        Err(ClientError::ConnectionFailed(FailReason::NetworkNotFound))
    );
    drop(client);
    let polls = device
        .seen
        .iter()
        .filter(|(_, r)| r.as_slice() == [0x52, 0x00])
        .count();
    assert_eq!(
        polls,
        1 + 4,
        "one connecting answer, then the failure 1 + 3 retries times"
    );
}

#[test]
fn provision_stops_at_poll_budget() {
    let mut device = FakeDevice::sec0();
    device.statuses = VecDeque::from([Sta::Connecting]);
    let mut client = sec0_client(&mut device);
    let policy = PollPolicy {
        max_polls: 4,
        failure_retries: 3,
    };
    assert_eq!(
        client.wait_for_connection(policy, || {}),
        Err(ClientError::StillConnecting)
    );
}

#[test]
fn ctrl_and_custom_endpoints() {
    let mut device = FakeDevice::sec0();
    let mut client = sec0_client(&mut device);
    client.ctrl_reset().expect("reset accepted");
    assert_eq!(
        client.ctrl_reprov(),
        Err(ClientError::DeviceStatus {
            endpoint: "prov-ctrl",
            status: 5
        })
    );
    assert_eq!(
        client.custom("custom-data", b"hi").expect("custom"),
        b"echo:hi"
    );
    assert!(matches!(
        client.custom("custom-data", b""),
        Err(ClientError::InvalidArgument(_))
    ));
    assert_eq!(
        client.custom("nope", b"x"),
        Err(ClientError::Transport(TransportError::Status(404)))
    );
}

#[test]
fn operations_need_a_session() {
    let mut device = FakeDevice::sec0();
    let mut client = Client::new(&mut device);
    assert_eq!(client.get_status(), Err(ClientError::NoSession));
    assert_eq!(
        client.custom("custom-data", b"x"),
        Err(ClientError::NoSession)
    );
    assert!(matches!(
        client.read_version_with(b""),
        Err(ClientError::InvalidArgument(_))
    ));
    drop(client);
    assert!(device.seen.is_empty());
}

fn sec1_device(pop: Option<&[u8]>) -> FakeDevice {
    let caps = if pop.is_some() {
        r#"["wifi_scan"]"#
    } else {
        r#"["no_pop","wifi_scan"]"#
    };
    FakeDevice::new(
        DeviceSecurityConfig::Sec1 {
            pop: pop.map(<[u8]>::to_vec),
        },
        &format!(r#"{{"prov":{{"ver":"v1.1","sec_ver":1,"sec_patch_ver":0,"cap":{caps}}}}}"#),
    )
}

#[test]
fn sec1_right_pop_works_and_wrong_pop_gets_no_answer() {
    // Right PoP: the full flow over the real sec1 ciphers.
    let mut device = sec1_device(Some(b"abcd1234"));
    let mut client = Client::new(&mut device);
    let secrets = Secrets {
        pop: Some(b"abcd1234".to_vec()),
        ..Secrets::default()
    };
    assert_eq!(
        client.connect(&secrets, None, &mut TestRng(3)),
        Ok(Scheme::Sec1)
    );
    let info = client
        .provision(
            &WifiCredentials::new("net", "pw"),
            PollPolicy::default(),
            || {},
        )
        .expect("provisioned");
    assert_eq!(info.ssid, b"net");

    // Wrong PoP: the device stays silent on Command1, the client has no session.
    let mut device = sec1_device(Some(b"abcd1234"));
    let mut client = Client::new(&mut device);
    let wrong = Secrets {
        pop: Some(b"wrongpop".to_vec()),
        ..Secrets::default()
    };
    assert_eq!(
        client.connect(&wrong, None, &mut TestRng(3)),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert!(!client.is_established());
    assert_eq!(client.get_status(), Err(ClientError::NoSession));
    // ...and the right PoP still works afterwards on the same device (Command0 restarts).
    assert_eq!(
        client.connect(&secrets, None, &mut TestRng(4)),
        Ok(Scheme::Sec1)
    );
    assert!(matches!(
        client.get_status().expect("session usable"),
        WifiStatus::Connected(_)
    ));
}

#[test]
fn sec1_pop_required_and_no_pop() {
    let mut device = sec1_device(Some(b"abcd1234"));
    let mut client = Client::new(&mut device);
    assert_eq!(
        client.connect(&Secrets::default(), None, &mut TestRng(3)),
        Err(ClientError::PopRequired)
    );
    drop(client);
    assert!(device.seen.is_empty());

    // no_pop: a configured PoP is ignored, as esp_prov does.
    let mut device = sec1_device(None);
    let mut client = Client::new(&mut device);
    let secrets = Secrets {
        pop: Some(b"ignored".to_vec()),
        ..Secrets::default()
    };
    assert_eq!(
        client.connect(&secrets, None, &mut TestRng(3)),
        Ok(Scheme::Sec1)
    );
    client.get_status().expect("session usable");
}

#[test]
fn lost_answer_drops_session_and_rehandshake_recovers() {
    let mut device = sec1_device(Some(b"pop"));
    device.drop_answer_at = Some(1);
    let mut client = Client::new(&mut device);
    let secrets = Secrets {
        pop: Some(b"pop".to_vec()),
        ..Secrets::default()
    };
    client
        .connect(&secrets, None, &mut TestRng(9))
        .expect("connect");
    client.get_status().expect("first exchange");
    assert_eq!(
        client.get_status(),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    // The CTR streams have diverged: the client refuses to go on with this session.
    assert!(!client.is_established());
    assert_eq!(client.get_status(), Err(ClientError::NoSession));
    client
        .establish_session(
            ClientSecurityConfig::Sec1 {
                pop: Some(b"pop".to_vec()),
            },
            &mut TestRng(10),
        )
        .expect("re-handshake");
    client.get_status().expect("usable again");
}

#[test]
fn non_json_firmware_uses_the_fallback_scheme() {
    let mut device = FakeDevice::new(DeviceSecurityConfig::Sec0, "V0.1");
    let mut client = Client::new(&mut device);
    assert_eq!(
        client.connect(&Secrets::default(), None, &mut TestRng(1)),
        Err(ClientError::SecurityUndetermined)
    );
    assert_eq!(
        client.connect(&Secrets::default(), Some(Scheme::Sec0), &mut TestRng(1)),
        Ok(Scheme::Sec0)
    );
    assert!(client.version().is_some_and(|v| v.version_matches("v0.1")));
}

/// A sec2 device whose verifier for `harbormaster` / `password` was made in `convention`.
fn sec2_device(password: &[u8], convention: VerifierConvention) -> FakeDevice {
    let salt = vec![0xbb; 16];
    let verifier = verifier_for_salt(b"harbormaster", password, &salt, convention).unwrap();
    FakeDevice::new(
        DeviceSecurityConfig::Sec2 {
            salt,
            verifier,
            patch: Sec2Patch::Patch1,
        },
        r#"{"prov":{"ver":"v1.1","sec_ver":2,"sec_patch_ver":1,"cap":["wifi_scan"]}}"#,
    )
}

fn sec2_secrets(password: &[u8]) -> Secrets {
    Secrets {
        username: Some(b"harbormaster".to_vec()),
        password: Some(password.to_vec()),
        ..Secrets::default()
    }
}

/// A device holding the other convention's verifier for a password whose inner hash starts
/// with zero: the first proof is rejected (no answer), the retry is established.
#[test]
fn sec2_rejected_proof_is_retried_once_in_the_other_convention() {
    // SHA-512("harbormaster:Tr0ub4dor&3-818") starts with 0x00: esp_prov's verifier differs.
    let password = b"Tr0ub4dor&3-818";
    for (device_convention, first, second) in [
        (
            VerifierConvention::EspProv,
            ClientConvention::EspIdf,
            ClientConvention::EspProv,
        ),
        (
            VerifierConvention::EspIdf,
            ClientConvention::EspProv,
            ClientConvention::EspIdf,
        ),
    ] {
        let mut device = sec2_device(password, device_convention);
        let mut client = Client::new(&mut device);
        client.set_sec2_convention(first);
        assert_eq!(
            client.connect(&sec2_secrets(password), None, &mut TestRng(5)),
            Ok(Scheme::Sec2(Sec2Patch::Patch1))
        );
        let retry = client.sec2_retry().expect("a retry");
        assert_eq!(
            retry,
            Sec2Retry {
                rejected: first,
                retried_with: second,
                established: true
            }
        );
        assert!(retry.to_string().contains("retried once"), "{retry}");
        client.get_status().expect("session usable");

        // Without the retry the first convention's rejection is the answer.
        let mut device = sec2_device(password, device_convention);
        let mut client = Client::new(&mut device);
        client.set_sec2_convention(first);
        client.set_sec2_retry(false);
        assert_eq!(
            client.connect(&sec2_secrets(password), None, &mut TestRng(5)),
            Err(ClientError::Transport(TransportError::NoResponse))
        );
        assert_eq!(client.sec2_retry(), None);
    }
}

#[test]
fn sec2_no_retry_when_the_conventions_agree() {
    // An ordinary password: both conventions give the same verifier, so no retry is made
    // for a wrong password, and the right one needs none.
    let mut device = sec2_device(b"Tr0ub4dor&3-north", VerifierConvention::EspProv);
    let mut client = Client::new(&mut device);
    assert_eq!(
        client.connect(&sec2_secrets(b"Tr0ub4dor&3-nort"), None, &mut TestRng(6)),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert_eq!(client.sec2_retry(), None);
    assert_eq!(
        client.connect(&sec2_secrets(b"Tr0ub4dor&3-north"), None, &mut TestRng(7)),
        Ok(Scheme::Sec2(Sec2Patch::Patch1))
    );
    assert_eq!(client.sec2_retry(), None);

    // A wrong password that itself has the leading zero: the retry is made, and fails.
    let mut device = sec2_device(b"Tr0ub4dor&3-north", VerifierConvention::EspIdf);
    let mut client = Client::new(&mut device);
    assert_eq!(
        client.connect(&sec2_secrets(b"Tr0ub4dor&3-818"), None, &mut TestRng(8)),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert_eq!(
        client.sec2_retry(),
        Some(Sec2Retry {
            rejected: ClientConvention::EspIdf,
            retried_with: ClientConvention::EspProv,
            established: false
        })
    );
}

/// The Android test mode through the client: established against this device, never retried.
#[test]
fn sec2_android_test_mode_connects() {
    let mut device = sec2_device(b"Tr0ub4dor&3-north", VerifierConvention::EspIdf);
    let mut client = Client::new(&mut device);
    client.set_sec2_convention(ClientConvention::AndroidMinimal);
    for seed in 0..4 {
        assert_eq!(
            client.connect(
                &sec2_secrets(b"Tr0ub4dor&3-north"),
                None,
                &mut TestRng(20 + seed)
            ),
            Ok(Scheme::Sec2(Sec2Patch::Patch1))
        );
        client.get_status().expect("session usable");
    }
    assert_eq!(client.sec2_retry(), None);
}
