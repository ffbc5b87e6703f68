//! The portal's JSON API against a real `Device<Esp>` (protocomm + `EspManager`), with the
//! station's link events fed by hand in virtual time.

use provkit_hal::{AuthMode, Bssid, DisconnectReason, Instant, LinkEvent, ScanEntry, Ssid};
use provkit_http::Response;
use provkit_manager::{Action, Device, EspConfig, EspEvent, EspManager, ServiceInfo};
use provkit_portal::{EspBackend, Portal, PortalConfig, PortalRequest, PortalSecret, probe};
use provkit_protocomm::{ClientId, DeviceSecurityConfig, TransportKind, VersionInfo};
use serde_json::Value;
use zeroize::Zeroizing;

const CLIENT: ClientId = ClientId::new(TransportKind::Http, 7);

fn device(attempts: u32) -> Device {
    let config = EspConfig {
        wifi_conn_attempts: attempts,
        auto_stop_ms: None,
        ..EspConfig::default()
    };
    let mut device = Device::new(
        EspManager::new(config, Vec::new()).unwrap(),
        VersionInfo::default(),
    );
    let security = DeviceSecurityConfig::Sec1 {
        pop: Some(b"abcd1234".to_vec()),
    };
    let service = ServiceInfo {
        name: b"PROV_TEST".to_vec(),
        key: b"service-key".to_vec(),
    };
    device
        .start(security, service, Instant::from_millis(0))
        .unwrap();
    device
}

fn portal() -> Portal {
    Portal::new(PortalConfig {
        device_name: "PROV_TEST".into(),
        page_url: "http://192.168.4.1/".into(),
        secret: PortalSecret::Pop(Zeroizing::new(b"abcd1234".to_vec())),
    })
}

fn call(
    portal: &mut Portal,
    device: &mut Device,
    method: &str,
    target: &str,
    body: &str,
    ms: u64,
) -> Response {
    let request = PortalRequest {
        method,
        target,
        body: body.as_bytes(),
        client: CLIENT,
    };
    portal.handle(
        &mut EspBackend::new(device),
        &request,
        Instant::from_millis(ms),
    )
}

fn json(response: &Response) -> Value {
    serde_json::from_slice(response.body()).unwrap()
}

/// Drains actions; returns whether a Connect was among them.
fn connects(device: &mut Device) -> usize {
    let mut n = 0;
    while let Some(action) = device.manager.poll_action() {
        if matches!(action, Action::Connect(_)) {
            n += 1;
        }
    }
    n
}

fn fail(device: &mut Device, ms: u64) {
    device.manager.on_link_event(
        &LinkEvent::Disconnected {
            reason: DisconnectReason::AuthFailed,
        },
        Instant::from_millis(ms),
    );
}

#[test]
fn wrong_password_with_attempts_then_the_right_one_connects() {
    let mut d = device(2);
    let mut p = portal();
    let status = json(&call(&mut p, &mut d, "GET", "/portal/status", "", 10));
    assert_eq!(status["auth"], "pop");
    assert_eq!(status["name"], "PROV_TEST");
    assert_eq!(status["result"], "ready");

    // Wrong PoP: refused before the manager sees anything.
    let r = call(
        &mut p,
        &mut d,
        "POST",
        "/portal/connect",
        "ssid=HomeNet&passphrase=wrong+horse&secret=nope",
        20,
    );
    assert_eq!(r.status().code(), 403);
    assert_eq!(json(&r)["error"], "wrong-secret");
    assert_eq!(json(&r)["failures_left"], 4);
    assert!(!d.manager.attempt_in_progress());

    let r = call(
        &mut p,
        &mut d,
        "POST",
        "/portal/connect",
        "ssid=HomeNet&passphrase=wrong+horse&secret=abcd1234",
        30,
    );
    assert_eq!(
        r.status().code(),
        200,
        "{:?}",
        String::from_utf8_lossy(r.body())
    );
    let events: Vec<_> = std::iter::from_fn(|| d.manager.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EspEvent::CredRecv { .. })),
        "{events:?}"
    );
    // One attempt at a time, whichever path asks.
    let busy = call(
        &mut p,
        &mut d,
        "POST",
        "/portal/connect",
        "ssid=Other&passphrase=12345678&secret=abcd1234",
        40,
    );
    assert_eq!(busy.status().code(), 409);
    assert_eq!(
        json(&call(&mut p, &mut d, "GET", "/portal/result", "", 50))["result"],
        "connecting"
    );

    d.manager.on_tick(Instant::from_millis(2_000));
    assert_eq!(connects(&mut d), 1);
    fail(&mut d, 2_500);
    let retry = json(&call(&mut p, &mut d, "GET", "/portal/result", "", 2_600));
    assert_eq!(retry["result"], "connecting");
    assert_eq!(retry["retrying"], true);
    assert_eq!(retry["attempts_remaining"], 1);
    assert_eq!(retry["reason"], "wrong password");
    assert_eq!(retry["ssid"], "HomeNet");
    assert_eq!(connects(&mut d), 1, "the manager retries by itself");
    fail(&mut d, 3_500);
    let failed = json(&call(&mut p, &mut d, "GET", "/portal/result", "", 3_600));
    assert_eq!(failed["result"], "wrong-password");
    assert_eq!(failed["attempts_remaining"], 0);
    assert_eq!(failed["ssid"], "HomeNet");

    // Try again, no reboot.
    let r = call(
        &mut p,
        &mut d,
        "POST",
        "/portal/connect",
        "ssid=HomeNet&passphrase=correct+horse&secret=abcd1234",
        4_000,
    );
    assert_eq!(r.status().code(), 200);
    d.manager.on_tick(Instant::from_millis(5_100));
    assert_eq!(connects(&mut d), 1);
    let bssid = Bssid([2, 0, 0, 0, 0, 1]);
    d.manager.on_link_event(
        &LinkEvent::Connected {
            bssid,
            channel: 6,
            auth: AuthMode::Wpa2Psk,
        },
        Instant::from_millis(5_200),
    );
    d.manager.on_link_event(
        &LinkEvent::GotIp {
            ip: [192, 168, 1, 50],
        },
        Instant::from_millis(5_300),
    );
    let done = json(&call(&mut p, &mut d, "GET", "/portal/result", "", 5_400));
    assert_eq!(done["result"], "connected");
    assert_eq!(done["ip"], "192.168.1.50");
    assert_eq!(done["ssid"], "HomeNet");
    let persisted =
        std::iter::from_fn(|| d.manager.poll_action()).any(|a| matches!(a, Action::Persist(_)));
    assert!(
        persisted,
        "the confirmed profile is committed, as over protocomm"
    );
}

#[test]
fn wrong_secrets_lock_the_protocomm_handshake_too() {
    let mut d = device(0);
    let mut p = portal();
    for i in 0..4 {
        let r = call(
            &mut p,
            &mut d,
            "POST",
            "/portal/connect",
            "ssid=HomeNet&passphrase=correct+horse&secret=x",
            i,
        );
        assert_eq!(json(&r)["error"], "wrong-secret");
    }
    let r = call(
        &mut p,
        &mut d,
        "POST",
        "/portal/connect",
        "ssid=HomeNet&passphrase=correct+horse&secret=x",
        5,
    );
    assert_eq!(json(&r)["error"], "locked");
    assert_eq!(json(&r)["retry_ms"], 30_000);
    // The same throttle: protocomm refuses sessions until then.
    let locked = d.protocomm().unwrap().locked_until(Instant::from_millis(6));
    assert_eq!(locked, Some(30_005));
    let r = call(
        &mut p,
        &mut d,
        "POST",
        "/portal/connect",
        "ssid=HomeNet&passphrase=correct+horse&secret=abcd1234",
        10_000,
    );
    assert_eq!(json(&r)["error"], "locked", "the right PoP waits too");
}

#[test]
fn scans_are_listed_strongest_first_with_security() {
    let mut d = device(0);
    let mut p = portal();
    assert_eq!(
        call(&mut p, &mut d, "POST", "/portal/scan", "", 10)
            .status()
            .code(),
        200
    );
    assert!(
        std::iter::from_fn(|| d.manager.poll_action()).any(|a| matches!(a, Action::StartScan(_)))
    );
    assert_eq!(
        json(&call(&mut p, &mut d, "GET", "/portal/networks", "", 20))["scanning"],
        true
    );
    let entry = |ssid: &str, rssi: i8, auth| ScanEntry {
        ssid: Ssid::new(ssid.as_bytes()).unwrap(),
        bssid: Bssid([0; 6]),
        channel: 1,
        rssi,
        auth,
    };
    d.manager.on_scan_done(
        &[
            entry("Cafe \"<b>\"", -70, AuthMode::Open),
            entry("HomeNet", -40, AuthMode::Wpa2Psk),
            entry("Lab", -55, AuthMode::Wpa3Psk),
        ],
        Instant::from_millis(30),
    );
    let list = json(&call(&mut p, &mut d, "GET", "/portal/networks", "", 40));
    assert_eq!(list["scanning"], false);
    let names: Vec<&str> = list["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["ssid"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["HomeNet", "Lab", "Cafe \"<b>\""]);
    assert_eq!(list["networks"][0]["auth"], "WPA2");
    assert_eq!(list["networks"][2]["secure"], false);
    assert!(
        !String::from_utf8_lossy(call(&mut p, &mut d, "GET", "/portal/networks", "", 50).body())
            .contains('<')
    );
}

#[test]
fn connectivity_checks_redirect_to_the_page_and_the_page_is_served() {
    let mut d = device(0);
    let mut p = portal();
    for path in probe::PROBE_PATHS {
        assert!(Portal::serves(path));
        let r = call(&mut p, &mut d, "GET", path, "", 1);
        assert_eq!(r.status().code(), 302, "{path}");
        assert_eq!(r.header("Location"), Some("http://192.168.4.1/"));
    }
    let page = call(&mut p, &mut d, "GET", "/", "", 1);
    assert_eq!(page.status().code(), 200);
    assert_eq!(page.body(), provkit_portal::PAGE.as_bytes());
    for other in [
        "/proto-ver",
        "/prov-session",
        "/api/1/wlan/profile_add",
        "/__SL_G_MCR",
    ] {
        assert!(
            !Portal::serves(other),
            "{other} belongs to protocomm / TI's API"
        );
    }
    assert_eq!(
        call(&mut p, &mut d, "GET", "/portal/connect", "", 1)
            .status()
            .code(),
        405
    );
}

#[test]
fn hidden_networks_and_bad_forms() {
    let mut d = device(0);
    let mut p = portal();
    let bad = [
        "ssid=&passphrase=12345678&secret=abcd1234",
        "ssid=HomeNet&passphrase=short&secret=abcd1234",
        "ssid=%ZZ&secret=abcd1234",
        "ssid=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&secret=abcd1234",
        "a&b&c&d&e&f&g&h&i",
    ];
    for body in bad {
        let r = call(&mut p, &mut d, "POST", "/portal/connect", body, 1);
        assert_eq!(r.status().code(), 400, "{body}");
        assert_eq!(json(&r)["error"], "invalid");
    }
    // A hidden network is just a typed name; the manager takes it like any other.
    let r = call(
        &mut p,
        &mut d,
        "POST",
        "/portal/connect",
        "ssid=HiddenLab&passphrase=lab-network-9&secret=abcd1234",
        2,
    );
    assert_eq!(r.status().code(), 200);
    assert!(d.manager.attempt_in_progress());
}

proptest::proptest! {
    #[test]
    fn arbitrary_requests_never_panic(
        method in "(GET|POST|PUT)",
        target in "/[a-z_/%?=.0-9]{0,30}",
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
    ) {
        let mut d = device(1);
        let mut p = portal();
        let request = PortalRequest { method: &method, target: &target, body: &body, client: CLIENT };
        let r = p.handle(&mut EspBackend::new(&mut d), &request, Instant::from_millis(1));
        proptest::prop_assert!(r.status().code() >= 200);
    }
}
