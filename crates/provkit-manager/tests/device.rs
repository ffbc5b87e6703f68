//! `Device` end to end over protocomm with security 0: proto-ver, prov-session, prov-config,
//! prov-scan, prov-ctrl and a custom endpoint, with the runner executing the manager's actions
//! against the hal mocks in virtual time. Encodings are built with provkit-proto; the sec0
//! session command is the reference encoding of esp-provisioning.md §2.12.

mod common;

use common::*;
use provkit_hal::Instant;
use provkit_manager::{
    AppInfo, Device, EspConfig, EspEvent, EspManager, ManagerError, ProvState, Runner, ServiceInfo,
};
use provkit_proto::{
    CmdSetConfig, Message, RespGetStatus, Status, WiFiConfigMsgType, WiFiConfigPayload,
    WiFiCtrlPayload, WiFiScanPayload, WifiConnectFailedReason, WifiStationState, resp_get_status,
    wi_fi_config_payload::Payload,
};
use provkit_protocomm::{ClientId, DeviceSecurityConfig, TransportKind, VersionInfo};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const CLIENT: ClientId = ClientId {
    transport: TransportKind::Http,
    id: 7,
};
/// sec0 SessionCmd as esp_prov sends it (spec §2.12).
const SEC0_SESSION_CMD: [u8; 5] = [0x52, 0x03, 0xa2, 0x01, 0x00];

fn set_config(ssid: &[u8], pass: &[u8]) -> Vec<u8> {
    WiFiConfigPayload {
        msg: WiFiConfigMsgType::TypeCmdSetConfig as i32,
        payload: Some(Payload::CmdSetConfig(CmdSetConfig {
            ssid: ssid.to_vec(),
            passphrase: pass.to_vec(),
            bssid: Vec::new(),
            channel: 0,
        })),
    }
    .encode_to_vec()
}

fn get_status(device: &mut Device, rng: &mut ChaCha20Rng, now: u64) -> RespGetStatus {
    // CmdGetStatus as esp_prov encodes it: msg 0 omitted, empty field 10.
    let body = device
        .handle(
            CLIENT,
            "prov-config",
            &[0x52, 0x00],
            rng,
            Instant::from_millis(now),
        )
        .unwrap();
    match WiFiConfigPayload::decode(body.as_slice()).unwrap().payload {
        Some(Payload::RespGetStatus(r)) => r,
        other => panic!("expected RespGetStatus, got {other:?}"),
    }
}

fn config_status(body: &[u8]) -> i32 {
    match WiFiConfigPayload::decode(body).unwrap().payload {
        Some(Payload::RespSetConfig(r)) => r.status,
        Some(Payload::RespApplyConfig(r)) => r.status,
        other => panic!("unexpected {other:?}"),
    }
}

struct Rig {
    device: Device,
    runner: Runner<provkit_hal::mock::MockStation, provkit_hal::mock::MemoryStore>,
    rng: ChaCha20Rng,
}

impl Rig {
    fn new(cfg: EspConfig) -> Self {
        let mut manager = EspManager::new(cfg, Vec::new()).unwrap();
        manager.endpoint_create("custom-data").unwrap();
        manager
            .set_app_info(AppInfo {
                label: "my-app".into(),
                version: "1.2.3".into(),
                capabilities: vec!["blink".into()],
            })
            .unwrap();
        let mut device = Device::new(manager, VersionInfo::default());
        device
            .start(
                DeviceSecurityConfig::Sec0,
                ServiceInfo {
                    name: b"PROV_0001".to_vec(),
                    key: vec![],
                },
                Instant::from_millis(0),
            )
            .unwrap();
        device
            .register_endpoint(
                "custom-data",
                Box::new(|req: &[u8]| {
                    assert_eq!(req, b"hello");
                    Ok(b"SUCCESS\0".to_vec())
                }),
            )
            .unwrap();
        let runner = Runner::new(station(), provkit_hal::mock::MemoryStore::new());
        Self {
            device,
            runner,
            rng: ChaCha20Rng::seed_from_u64(7),
        }
    }

    fn pump(&mut self, now: u64) {
        self.runner
            .pump(&mut self.device.manager, Instant::from_millis(now));
        self.device.on_tick(Instant::from_millis(now));
    }

    fn call(&mut self, endpoint: &str, body: &[u8], now: u64) -> Result<Vec<u8>, ManagerError> {
        let r = self.device.handle(
            CLIENT,
            endpoint,
            body,
            &mut self.rng,
            Instant::from_millis(now),
        );
        self.pump(now);
        r
    }
}

#[test]
fn sec0_provisioning_round_trip_through_device() {
    let mut rig = Rig::new(EspConfig::default());
    let json = rig.call("proto-ver", b"---", 0).unwrap();
    let json = String::from_utf8(json).unwrap();
    assert!(json.contains("\"no_sec\""), "{json}");
    assert!(json.contains("\"my-app\""), "{json}");
    assert!(json.contains("\"blink\""), "{json}");
    rig.call("prov-session", &SEC0_SESSION_CMD, 0).unwrap();

    // Before any ApplyConfig the reference answers Connecting (§12.18).
    let st = get_status(&mut rig.device, &mut rig.rng, 10);
    assert_eq!(st.sta_state, WifiStationState::Connecting as i32);

    // Wrong password first.
    let r = rig
        .call("prov-config", &set_config(HOME, b"not the password"), 100)
        .unwrap();
    assert_eq!(config_status(&r), Status::Success as i32);
    let r = rig.call("prov-config", &[0x08, 0x04], 100).unwrap();
    assert_eq!(config_status(&r), Status::Success as i32);
    rig.pump(1_100);
    let st = get_status(&mut rig.device, &mut rig.rng, 1_200);
    assert_eq!(st.sta_state, WifiStationState::ConnectionFailed as i32);
    assert_eq!(
        st.state,
        Some(resp_get_status::State::FailReason(
            WifiConnectFailedReason::AuthError as i32
        ))
    );
    assert!(rig.runner.store.profiles().is_empty());

    // Then the right one, same session, no reset.
    rig.call("prov-config", &set_config(HOME, HOME_PASS), 1_300)
        .unwrap();
    let r = rig.call("prov-config", &[0x08, 0x04], 1_300).unwrap();
    assert_eq!(config_status(&r), Status::Success as i32);
    rig.pump(2_300);
    assert_eq!(rig.runner.store.profiles().len(), 1);
    let st = get_status(&mut rig.device, &mut rig.rng, 2_400);
    assert_eq!(st.sta_state, WifiStationState::Connected as i32);
    match st.state {
        Some(resp_get_status::State::Connected(c)) => {
            assert_eq!(c.ssid, HOME);
            assert_eq!(c.ip4_addr, "192.168.1.50");
        }
        other => panic!("{other:?}"),
    }
    // The Connected answer triggers the stop; the custom endpoint still works meanwhile.
    assert_eq!(rig.device.manager.state(), ProvState::Stopping);
    assert_eq!(
        rig.call("custom-data", b"hello", 2_500).unwrap(),
        b"SUCCESS\0"
    );
    rig.pump(3_400);
    assert_eq!(rig.device.manager.state(), ProvState::Idle);
    assert!(rig.device.protocomm().is_none());
    assert!(matches!(
        rig.call("proto-ver", b"---", 3_500),
        Err(ManagerError::WrongState { .. })
    ));
    let mut events = Vec::new();
    while let Some(e) = rig.device.manager.poll_event() {
        events.push(e);
    }
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, EspEvent::CredFail { .. }))
            .count(),
        1
    );
    assert_eq!(events.last(), Some(&EspEvent::End));
}

#[test]
fn scan_and_ctrl_endpoints_reach_the_manager() {
    let cfg = EspConfig {
        auto_stop_ms: None,
        ..EspConfig::default()
    };
    let mut rig = Rig::new(cfg);
    rig.call("prov-session", &SEC0_SESSION_CMD, 0).unwrap();
    // ScanStart (msg 0, cmd_scan_start {}), then ScanStatus (msg 2).
    let start = WiFiScanPayload {
        msg: 0,
        status: 0,
        payload: Some(provkit_proto::wi_fi_scan_payload::Payload::CmdScanStart(
            Default::default(),
        )),
    };
    rig.call("prov-scan", &start.encode_to_vec(), 10).unwrap();
    let status = WiFiScanPayload {
        msg: 2,
        status: 0,
        payload: Some(provkit_proto::wi_fi_scan_payload::Payload::CmdScanStatus(
            Default::default(),
        )),
    };
    let r = WiFiScanPayload::decode(
        rig.call("prov-scan", &status.encode_to_vec(), 20)
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    match r.payload {
        Some(provkit_proto::wi_fi_scan_payload::Payload::RespScanStatus(s)) => {
            assert!(s.scan_finished);
            assert_eq!(s.result_count, 3);
        }
        other => panic!("{other:?}"),
    }

    // prov-ctrl Reset outside Fail: InternalError in the outer status.
    rig.call("prov-config", &set_config(b"missing", b"password1"), 30)
        .unwrap();
    rig.call("prov-config", &[0x08, 0x04], 30).unwrap();
    let reset = WiFiCtrlPayload {
        msg: 1,
        status: 0,
        payload: Some(provkit_proto::wi_fi_ctrl_payload::Payload::CmdCtrlReset(
            Default::default(),
        )),
    };
    let r = WiFiCtrlPayload::decode(
        rig.call("prov-ctrl", &reset.encode_to_vec(), 40)
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    assert_eq!(r.msg, 2);
    assert_eq!(r.status, Status::InternalError as i32);
    rig.pump(1_030);
    assert_eq!(rig.device.manager.state(), ProvState::Fail);
    let r = WiFiCtrlPayload::decode(
        rig.call("prov-ctrl", &reset.encode_to_vec(), 1_100)
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    assert_eq!(r.status, Status::Success as i32);
    assert_eq!(rig.device.manager.state(), ProvState::Started);
    // Reprov works because auto-stop is disabled.
    let reprov = WiFiCtrlPayload {
        msg: 3,
        status: 0,
        payload: Some(provkit_proto::wi_fi_ctrl_payload::Payload::CmdCtrlReprov(
            Default::default(),
        )),
    };
    let r = WiFiCtrlPayload::decode(
        rig.call("prov-ctrl", &reprov.encode_to_vec(), 1_200)
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    assert_eq!((r.msg, r.status), (4, Status::Success as i32));
    // Garbage gets no response.
    assert!(rig.call("prov-config", &[0xff, 0xff, 0xff], 1_300).is_err());
    assert!(rig.call("custom-data", b"hello", 1_300).is_ok());
    assert!(rig.call("unknown-ep", b"x", 1_300).is_err());
}

/// ScanResult asking for `count` entries from index 0 as `client`; (status, entries).
fn scan_result_page(rig: &mut Rig, client: ClientId, count: u32, now: u64) -> (i32, usize) {
    let request = WiFiScanPayload {
        msg: 4,
        status: 0,
        payload: Some(provkit_proto::wi_fi_scan_payload::Payload::CmdScanResult(
            provkit_proto::CmdScanResult {
                start_index: 0,
                count,
            },
        )),
    };
    let body = rig
        .device
        .handle(
            client,
            "prov-scan",
            &request.encode_to_vec(),
            &mut rig.rng,
            Instant::from_millis(now),
        )
        .unwrap();
    let response = WiFiScanPayload::decode(body.as_slice()).unwrap();
    match response.payload {
        Some(provkit_proto::wi_fi_scan_payload::Payload::RespScanResult(r)) => {
            (response.status, r.entries.len())
        }
        other => panic!("expected RespScanResult, got {other:?}"),
    }
}

#[test]
fn scan_pages_are_capped_for_ble_clients_only() {
    let cfg = EspConfig {
        auto_stop_ms: None,
        ..EspConfig::default()
    };
    let mut rig = Rig::new(cfg);
    // 16 networks in range (3 from the common station + 13), so a 16-entry page exists.
    for i in 0..13u8 {
        let ssid = format!("extra-{i:02}");
        rig.runner
            .station
            .add_network(network(ssid.as_bytes(), b"password1", 10 + i, None, -80))
            .unwrap();
    }
    let ble = ClientId::new(TransportKind::Ble, 1);
    let start = WiFiScanPayload {
        msg: 0,
        status: 0,
        payload: Some(provkit_proto::wi_fi_scan_payload::Payload::CmdScanStart(
            Default::default(),
        )),
    };
    let session = |rig: &mut Rig, client, now| {
        rig.device
            .handle(
                client,
                "prov-session",
                &SEC0_SESSION_CMD,
                &mut rig.rng,
                Instant::from_millis(now),
            )
            .unwrap();
    };
    session(&mut rig, ble, 0);
    rig.device
        .handle(
            ble,
            "prov-scan",
            &start.encode_to_vec(),
            &mut rig.rng,
            Instant::from_millis(10),
        )
        .unwrap();
    rig.pump(20);
    assert_eq!(rig.device.manager.scan_status(), (true, 16));

    // BLE: 16 asked, one page of 4 (ScanLimits::BLE), and that is a success.
    assert_eq!(
        scan_result_page(&mut rig, ble, 16, 30),
        (Status::Success as i32, 4)
    );

    // HTTP (same device, after the BLE client left): the whole list in one page.
    rig.device.close_session(ble);
    session(&mut rig, CLIENT, 40);
    assert_eq!(
        scan_result_page(&mut rig, CLIENT, 16, 50),
        (Status::Success as i32, 16)
    );
}

#[test]
fn ble_gatt_ops_through_device_serve_capped_scan_pages() {
    use provkit_manager::{BleWrite, NoHooks};
    use provkit_protocomm::ble::{AttErrorCode, BLUEDROID_MAX_VALUE_LEN, GattTable, Uuid128};

    let cfg = EspConfig {
        auto_stop_ms: None,
        ..EspConfig::default()
    };
    let mut rig = Rig::new(cfg);
    for i in 0..13u8 {
        let ssid = format!("ble-extra-{i:02}");
        rig.runner
            .station
            .add_network(network(ssid.as_bytes(), b"password1", 30 + i, None, -85))
            .unwrap();
    }
    let mut gatt = GattTable::new(
        Uuid128::EXAMPLE_SERVICE,
        rig.device.protocomm().unwrap().endpoints(),
        BLUEDROID_MAX_VALUE_LEN,
    );
    let index = |gatt: &GattTable, name: &str| {
        gatt.characteristics()
            .iter()
            .position(|c| c.endpoint == name)
            .unwrap()
    };
    let (session, scan) = (index(&gatt, "prov-session"), index(&gatt, "prov-scan"));
    const CONNECTION: u16 = 3;
    rig.device
        .ble_connect(&mut gatt, CONNECTION, Instant::from_millis(0))
        .unwrap();
    let write = |rig: &mut Rig, gatt: &mut GattTable, index: usize, data: &[u8], now: u64| {
        rig.device.ble_write(
            gatt,
            BleWrite {
                connection: CONNECTION,
                index,
                data,
            },
            &mut NoHooks,
            &mut rig.rng,
            Instant::from_millis(now),
        )
    };
    write(&mut rig, &mut gatt, session, &SEC0_SESSION_CMD, 0).unwrap();
    let start = WiFiScanPayload {
        msg: 0,
        status: 0,
        payload: Some(provkit_proto::wi_fi_scan_payload::Payload::CmdScanStart(
            Default::default(),
        )),
    };
    write(&mut rig, &mut gatt, scan, &start.encode_to_vec(), 10).unwrap();
    rig.pump(20);
    assert_eq!(rig.device.manager.scan_status(), (true, 16));
    let result = WiFiScanPayload {
        msg: 4,
        status: 0,
        payload: Some(provkit_proto::wi_fi_scan_payload::Payload::CmdScanResult(
            provkit_proto::CmdScanResult {
                start_index: 0,
                count: 16,
            },
        )),
    };
    write(&mut rig, &mut gatt, scan, &result.encode_to_vec(), 30).unwrap();
    // The response sits in the characteristic; read it whole (offset 0, large MTU).
    let value = gatt.read(CONNECTION, scan, 0, 512).unwrap().to_vec();
    let response = WiFiScanPayload::decode(value.as_slice()).unwrap();
    assert_eq!(response.status, Status::Success as i32);
    match response.payload {
        Some(provkit_proto::wi_fi_scan_payload::Payload::RespScanResult(r)) => {
            assert_eq!(r.entries.len(), 4);
        }
        other => panic!("expected RespScanResult, got {other:?}"),
    }
    // Once the manager is idle the attributes are gone.
    rig.device.ble_disconnect(&mut gatt, CONNECTION);
    rig.device.manager.stop(Instant::from_millis(40)).unwrap();
    rig.pump(5_000);
    assert!(rig.device.protocomm().is_none());
    assert_eq!(
        write(&mut rig, &mut gatt, session, &SEC0_SESSION_CMD, 5_100),
        Err(AttErrorCode::InvalidHandle)
    );
}

/// `Device<Ti>`: the TI personality serving protocomm on its own (no application endpoints).
/// A prov-config SetConfig is a profile (PROFILE_ADDED), ApplyConfig starts the confirmation
/// stage, and the phone's GetStatus answered Connected is its local feedback: only then is the
/// profile committed and provisioning stopped (SUCCESS, STOPPED).
#[test]
fn ti_device_serves_protocomm_and_commits_on_the_phones_feedback() {
    use provkit_manager::{
        Role, TiCommand, TiConfig, TiEvent, TiManager, TiMode, TiStartParams, TiStatus,
    };
    let config = TiConfig {
        auto_provisioning: false,
        ..TiConfig::default()
    };
    let mut manager = TiManager::new(config, Vec::new()).unwrap();
    let at = Instant::from_millis;
    manager.device_started(Role::Sta, at(0)).unwrap();
    manager
        .provisioning(
            TiCommand::Start(TiStartParams {
                mode: TiMode::Ap,
                role_after_success: Role::Sta,
                inactivity_timeout_s: 600,
                smart_config_key: None,
                external_confirmation: false,
            }),
            at(0),
        )
        .unwrap();
    let mut device = Device::new(manager, VersionInfo::default());
    device.open_protocomm(DeviceSecurityConfig::Sec0).unwrap();
    let mut runner = Runner::new(station(), provkit_hal::mock::MemoryStore::new());
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut call = |device: &mut Device<provkit_manager::Ti>, endpoint: &str, body: &[u8], now| {
        let r = device.handle(CLIENT, endpoint, body, &mut rng, at(now));
        runner.pump(&mut device.manager, at(now));
        device.on_tick(at(now));
        (r, runner.store.profiles().len())
    };
    call(&mut device, "prov-session", &SEC0_SESSION_CMD, 0)
        .0
        .unwrap();
    // No application endpoints: with a session, an unknown endpoint still gets no answer.
    assert!(call(&mut device, "custom-data", b"x", 5).0.is_err());
    let (r, _) = call(&mut device, "prov-config", &set_config(HOME, HOME_PASS), 10);
    assert_eq!(config_status(&r.unwrap()), Status::Success as i32);
    let (r, stored) = call(&mut device, "prov-config", &[0x08, 0x04], 20);
    assert_eq!(config_status(&r.unwrap()), Status::Success as i32);
    // Connected with an address, but the phone has not read the result yet.
    assert_eq!(stored, 0);
    assert_eq!(device.manager.state(), ProvState::CredRecv);
    let (r, stored) = call(&mut device, "prov-config", &[0x52, 0x00], 30);
    match WiFiConfigPayload::decode(r.unwrap().as_slice())
        .unwrap()
        .payload
    {
        Some(Payload::RespGetStatus(st)) => {
            assert_eq!(st.sta_state, WifiStationState::Connected as i32)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(stored, 1);
    assert_eq!(device.manager.state(), ProvState::Idle);
    assert!(device.protocomm().is_none());
    let mut statuses = Vec::new();
    let mut added = false;
    while let Some(event) = device.manager.poll_event() {
        match event {
            TiEvent::ProvisioningStatus { status, .. } => statuses.push(status),
            TiEvent::ProfileAdded { ssid, .. } => added |= ssid.as_bytes() == HOME,
            TiEvent::ResetRequest { .. } => panic!("no external configuration here"),
        }
    }
    assert!(added);
    assert_eq!(
        statuses,
        [
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired,
            TiStatus::Success,
            TiStatus::Stopped
        ]
    );
}
