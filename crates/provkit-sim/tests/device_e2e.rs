//! The whole simulated device over real loopback HTTP, driven by the Rust client
//! (provkit-client): security 0/1/2 handshakes, provisioning success and failure reasons,
//! reset, reprovision, scan order, custom endpoints, persistence, and the console transport.
//! (Espressif's own client runs the same scenarios in `cargo xtask interop`.)

use provkit_client::http::HttpTransport;
use provkit_client::{
    Client, ClientError, ClientSecurityConfig, FailReason, PollPolicy, ScanPlan, Sec2Patch,
    WifiCredentials,
};
use provkit_sim::console::ConsoleDevice;
use provkit_sim::device::{CUSTOM_REPLY, DeviceOptions, SimDevice, SimEvent};
use provkit_sim::env::RadioEnv;
use provkit_sim::http::HttpServer;
use provkit_sim::provkit_manager::{EspEvent, Event};
use provkit_sim::provkit_security::rand_core::SeedableRng;
use provkit_sim::provkit_security::{DeviceSecurityConfig, generate_sec2_credentials};
use provkit_sim::station::SimClock;
use provkit_sim::store::FileStore;
use rand_chacha::ChaCha20Rng;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Fast APs so a whole provisioning takes about a second and a half.
const ENV: &str = r#"
[[ap]]
ssid = "HomeNet"
passphrase = "correct horse"
auth = "wpa2-psk"
channel = 6
rssi = -48
bssid = "24:0a:c4:00:00:01"
connect_ms = 100

[[ap]]
ssid = "Cafe"
auth = "open"
channel = 1
rssi = -70
bssid = "24:0a:c4:00:00:02"
connect_ms = 100

[[ap]]
ssid = "Secret"
passphrase = "hidden-net-1"
auth = "wpa3-psk"
channel = 11
rssi = -30
bssid = "24:0a:c4:00:00:03"
hidden = true
"#;

struct Running {
    addr: SocketAddr,
    device: Arc<Mutex<SimDevice>>,
    store: FileStore,
    _dir: tempfile::TempDir,
}

fn start(security: DeviceSecurityConfig) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FileStore::open(dir.path()).expect("store");
    let env = RadioEnv::from_toml(ENV).expect("env");
    let device = SimDevice::new(
        DeviceOptions::esp(security, "PROV_TEST"),
        env,
        store.clone(),
        SimClock::wall(),
        Some([7; 32]),
    )
    .expect("device");
    let device = Arc::new(Mutex::new(device));
    let served = Arc::clone(&device);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let server = HttpServer::bind("127.0.0.1:0".parse().expect("addr"))
                .await
                .expect("bind");
            tx.send(server.local_addr().expect("addr")).expect("send");
            server
                .serve(served, std::future::pending())
                .await
                .expect("serve");
        });
    });
    Running {
        addr: rx.recv().expect("address"),
        device,
        store,
        _dir: dir,
    }
}

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([42; 32])
}

fn client(run: &Running, config: ClientSecurityConfig) -> Client<HttpTransport> {
    let mut client = Client::new(HttpTransport::new(&run.addr.to_string()));
    client
        .establish_session(config, &mut rng())
        .expect("session");
    client
}

fn provision(
    client: &mut Client<HttpTransport>,
    ssid: &str,
    pass: &str,
) -> Result<provkit_client::ConnectedInfo, ClientError> {
    let policy = PollPolicy {
        max_polls: 40,
        failure_retries: 0,
    };
    client.provision(&WifiCredentials::new(ssid, pass), policy, || {
        std::thread::sleep(Duration::from_millis(100))
    })
}

fn events(run: &Running) -> Vec<SimEvent> {
    run.device.lock().expect("lock").take_events()
}

fn has_esp(events: &[SimEvent], wanted: impl Fn(&EspEvent) -> bool) -> bool {
    events
        .iter()
        .any(|e| matches!(e, SimEvent::Manager(Event::Esp(esp)) if wanted(esp)))
}

#[test]
fn sec1_provisioning_connects_reports_events_and_persists_the_profile() {
    let run = start(DeviceSecurityConfig::Sec1 {
        pop: Some(b"abcd1234".to_vec()),
    });
    let mut c = client(
        &run,
        ClientSecurityConfig::Sec1 {
            pop: Some(b"abcd1234".to_vec()),
        },
    );
    let info = provision(&mut c, "HomeNet", "correct horse").expect("connected");
    assert_eq!(info.ssid, b"HomeNet");
    assert_eq!(info.channel, 6);
    assert_eq!(info.bssid, vec![0x24, 0x0a, 0xc4, 0, 0, 1]);
    assert!(info.ip4_addr.starts_with("192.168.1."), "{}", info.ip4_addr);
    let seen = events(&run);
    assert!(has_esp(
        &seen,
        |e| matches!(e, EspEvent::CredRecv { ssid } if ssid.as_bytes() == b"HomeNet")
    ));
    assert!(has_esp(&seen, |e| *e == EspEvent::CredSuccess));
    let stored = run.store.load().expect("load");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].credentials.ssid.as_bytes(), b"HomeNet");
    assert_eq!(
        stored[0].credentials.passphrase.as_bytes(),
        b"correct horse"
    );
}

#[test]
fn sec1_wrong_pop_gets_no_session() {
    let run = start(DeviceSecurityConfig::Sec1 {
        pop: Some(b"right".to_vec()),
    });
    let mut c = Client::new(HttpTransport::new(&run.addr.to_string()));
    let result = c.establish_session(
        ClientSecurityConfig::Sec1 {
            pop: Some(b"wrong".to_vec()),
        },
        &mut rng(),
    );
    assert!(result.is_err(), "{result:?}");
    // The same device still accepts the right PoP afterwards.
    let mut c = client(
        &run,
        ClientSecurityConfig::Sec1 {
            pop: Some(b"right".to_vec()),
        },
    );
    assert!(provision(&mut c, "Cafe", "").is_ok());
}

#[test]
fn wrong_passphrase_reports_auth_error_then_reset_and_retry_connects() {
    let run = start(DeviceSecurityConfig::Sec0);
    let mut c = client(&run, ClientSecurityConfig::Sec0);
    assert_eq!(
        provision(&mut c, "HomeNet", "wrong horse").map(|i| i.ssid),
        Err(ClientError::ConnectionFailed(FailReason::AuthError))
    );
    assert!(has_esp(&events(&run), |e| matches!(
        e,
        EspEvent::CredFail { .. }
    )));
    c.ctrl_reset().expect("reset in FAIL");
    let info = provision(&mut c, "HomeNet", "correct horse").expect("connected after reset");
    assert_eq!(info.ssid, b"HomeNet");
}

#[test]
fn absent_ssid_reports_network_not_found() {
    let run = start(DeviceSecurityConfig::Sec0);
    let mut c = client(&run, ClientSecurityConfig::Sec0);
    assert_eq!(
        provision(&mut c, "Nowhere", "whatever1").map(|i| i.ssid),
        Err(ClientError::ConnectionFailed(FailReason::NetworkNotFound))
    );
}

#[test]
fn sec2_patch1_provisioning_and_reprov_after_success() {
    let (salt, verifier) = generate_sec2_credentials(
        b"wifiprov",
        b"abcd1234",
        16,
        provkit_sim::provkit_security::VerifierConvention::EspIdf,
        &mut rng(),
    )
    .expect("verifier");
    let run = start(DeviceSecurityConfig::Sec2 {
        salt,
        verifier,
        patch: Sec2Patch::Patch1,
    });
    let config = ClientSecurityConfig::Sec2 {
        username: b"wifiprov".to_vec(),
        password: b"abcd1234".to_vec(),
        patch: Sec2Patch::Patch1,
    };
    let mut c = client(&run, config);
    provision(&mut c, "HomeNet", "correct horse").expect("first provisioning");
    c.ctrl_reprov().expect("reprov");
    assert!(has_esp(&events(&run), |e| *e == EspEvent::Start));
    let info = provision(&mut c, "Cafe", "").expect("second provisioning");
    assert_eq!(info.ssid, b"Cafe");
}

#[test]
fn scan_lists_visible_aps_strongest_first() {
    let run = start(DeviceSecurityConfig::Sec0);
    let mut c = Client::new(HttpTransport::new(&run.addr.to_string()));
    c.read_version().expect("proto-ver");
    c.establish_session(ClientSecurityConfig::Sec0, &mut rng())
        .expect("session");
    let entries = c
        .scan(&ScanPlan::HTTP, || {
            std::thread::sleep(Duration::from_millis(50))
        })
        .expect("scan");
    let names: Vec<&[u8]> = entries.iter().map(|e| e.ssid.as_slice()).collect();
    assert_eq!(names, vec![b"HomeNet".as_slice(), b"Cafe".as_slice()]);
    assert_eq!(entries[0].rssi, -48);
    assert_eq!(entries[0].auth, 3, "WPA2_PSK");
    assert_eq!(entries[1].auth, 0, "OPEN");
}

#[test]
fn custom_endpoint_answers_and_reports_the_data() {
    let run = start(DeviceSecurityConfig::Sec1 { pop: None });
    let mut c = client(&run, ClientSecurityConfig::Sec1 { pop: None });
    let reply = c.custom("custom-data", b"hello device").expect("custom");
    assert_eq!(reply, CUSTOM_REPLY);
    assert!(events(&run).contains(&SimEvent::CustomData {
        endpoint: "custom-data".into(),
        data: b"hello device".to_vec(),
    }));
}

#[test]
fn console_transport_answers_proto_ver_in_hex_and_ignores_garbage() {
    let run = start(DeviceSecurityConfig::Sec0);
    let mut device = run.device.lock().expect("lock");
    let reply = device
        .handle_console_line(b"proto-ver 0 2d2d2d")
        .expect("reply");
    assert!(
        reply.starts_with("\r\n") && reply.ends_with("\r\n"),
        "{reply:?}"
    );
    let json = hex::decode(reply.trim()).expect("hex");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(v["prov"]["sec_ver"], 0);
    assert!(device.handle_console_line(b"proto-ver zz").is_none());
    assert!(device.handle_console_line(b"no-such-ep 0 00").is_none());
}
