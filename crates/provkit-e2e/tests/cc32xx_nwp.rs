//! The CC32xx adapter (provkit-cc32xx) against the simulator's emulated NWP (provkit-sim's
//! `nwp`, on the TI personality) through every use example of ti-simplelink.md, plus the HTTP
//! API over a real loopback socket and protocomm mode. The two meet only here, through the
//! seam both build on (provkit-nwp); neither depends on the other.

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use provkit_cc32xx::{NativeEvent, NativeProvisioning, StartOutcome};
use provkit_manager::{
    ResetCaller, Role, TiCommand, TiEvent, TiMode, TiStartParams, TiStatus, TiWlanStatus,
};
use provkit_nwp::Cc32xxError;
use provkit_nwp::consts::{cmd, error as sl_err, policy, role as sl_role, sec_type};
use provkit_nwp::driver::{NwpDriver, NwpSockets};
use provkit_sim::env::RadioEnv;
use provkit_sim::nwp::http_api::{TiHttpResponse, handle};
use provkit_sim::nwp::{EmulatedNwp, NwpSettings, announce, server};

const ENV: &str = r#"
[[ap]]
ssid = "HomeNet"
passphrase = "correct horse"
auth = "wpa2-psk"
channel = 6
rssi = -48
bssid = "24:0a:c4:00:00:01"

[[ap]]
ssid = "NoDhcp"
passphrase = "nodhcp-pass"
auth = "wpa2-psk"
channel = 11
rssi = -60
bssid = "24:0a:c4:00:00:02"
dhcp = false
"#;

type Adapter = NativeProvisioning<EmulatedNwp>;

fn nwp(role: Role, auto_provisioning: bool) -> EmulatedNwp {
    let mut settings = NwpSettings::new(RadioEnv::from_toml(ENV).unwrap());
    settings.role = role;
    settings.connection_policy = policy::connection_policy(true, false, false, auto_provisioning);
    EmulatedNwp::new(settings).unwrap()
}

fn booted(role: Role, auto_provisioning: bool) -> Adapter {
    let mut adapter = NativeProvisioning::new(nwp(role, auto_provisioning));
    assert_eq!(adapter.boot().unwrap(), role);
    adapter
}

fn params(mode: TiMode) -> TiStartParams {
    TiStartParams {
        mode,
        role_after_success: Role::Sta,
        inactivity_timeout_s: 600,
        smart_config_key: None,
        external_confirmation: false,
    }
}

fn drain(adapter: &mut Adapter) -> Vec<NativeEvent> {
    let mut out = Vec::new();
    while let Some(e) = adapter.poll().unwrap() {
        out.push(e);
    }
    out
}

fn statuses(events: &[NativeEvent]) -> Vec<TiStatus> {
    events
        .iter()
        .filter_map(|e| match e {
            NativeEvent::Provisioning(TiEvent::ProvisioningStatus { status, .. }) => Some(*status),
            _ => None,
        })
        .collect()
}

fn http(adapter: &mut Adapter, method: &str, path: &str, body: &str) -> TiHttpResponse {
    handle(adapter.driver(), method, path, body.as_bytes())
}

fn body(r: &TiHttpResponse) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

fn add_profile(adapter: &mut Adapter, ssid: &str, key: &str) {
    let form = format!("__SL_P_P.A={ssid}&__SL_P_P.B=3&__SL_P_P.C={key}&__SL_P_P.D=4");
    let r = http(adapter, "POST", "/api/1/wlan/profile_add", &form);
    assert_eq!(r.status, 200, "{}", body(&r));
    let r = http(adapter, "POST", "/api/1/wlan/confirm_req", "");
    assert_eq!(r.status, 200, "{}", body(&r));
}

fn start(adapter: &mut Adapter, p: TiStartParams) {
    assert_eq!(
        adapter.start(TiCommand::Start(p)).unwrap(),
        StartOutcome::Started
    );
}

#[test]
fn successful_ap_provisioning_with_the_wifi_starter_requests() {
    let mut a = booted(Role::Sta, false);
    start(&mut a, params(TiMode::Ap));
    assert_eq!(a.driver().role(), Role::Ap);
    assert_eq!(
        body(&http(&mut a, "GET", "/param_product_version.txt", "")),
        "R2.0"
    );
    assert_eq!(
        body(&http(&mut a, "GET", "/__SL_G_DNP", "")),
        "mysimplelink-5a7891"
    );
    assert_eq!(body(&http(&mut a, "GET", "/__SL_G_MCR", "")), "0");
    let r = http(
        &mut a,
        "POST",
        "/api/1/wlan/en_ap_scan",
        "__SL_P_SC2=1&__SL_P_SC1=10",
    );
    assert_eq!(r.status, 200);
    a.driver().advance(20_000);
    let list = body(&http(&mut a, "GET", "/netlist.txt", ""));
    assert_eq!(list, "HomeNet;NoDhcp");
    add_profile(&mut a, "HomeNet", "correct+horse");
    a.driver().advance(2_000);
    let events = drain(&mut a);
    assert!(
        events.contains(&NativeEvent::Provisioning(TiEvent::ProfileAdded {
            ssid: provkit_hal::Ssid::new(b"HomeNet").unwrap(),
            token: Vec::new(),
        }))
    );
    assert_eq!(
        statuses(&events),
        [
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired
        ]
    );
    // Normal link events are suppressed while the NWP provisions (TI §7.5).
    assert!(!events.iter().any(|e| matches!(e, NativeEvent::Link(_))));
    assert_eq!(
        a.driver().take_announcements(),
        ["192.168.1.100,mysimplelink-5a7891"]
    );
    // The phone fetches the result on the home network: success ends provisioning.
    assert_eq!(body(&http(&mut a, "GET", "/__SL_G_MCR", "")), "5");
    let events = drain(&mut a);
    assert_eq!(statuses(&events), [TiStatus::Success, TiStatus::Stopped]);
    assert_eq!(
        events.last(),
        Some(&NativeEvent::Provisioning(TiEvent::ProvisioningStatus {
            status: TiStatus::Stopped,
            role: Role::Sta,
            wlan_status: TiWlanStatus::Connected,
            ssid: Some(provkit_hal::Ssid::new(b"HomeNet").unwrap()),
        }))
    );
    assert_eq!(a.role(), Some(Role::Sta));
    let stored = a.driver().stored_profiles().to_vec();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].profile.priority, 4);
    assert_eq!(
        stored[0].profile.credentials.passphrase.as_bytes(),
        b"correct horse"
    );
    // Host APIs work again.
    assert_eq!(
        a.driver().wlan_profile_get(0).unwrap().sec_type,
        sec_type::WPA_WPA2
    );
}

#[test]
fn ap_with_cloud_confirmation_succeeds_on_stop_and_returns_on_abort() {
    let mut a = booted(Role::Sta, false);
    let mut p = params(TiMode::ApSc);
    p.external_confirmation = true;
    start(&mut a, p);
    add_profile(&mut a, "HomeNet", "correct+horse");
    // Before IP_ACQUIRED the host is blocked.
    assert!(
        a.driver()
            .device_get_version()
            .unwrap_err()
            .is_provisioning_in_progress()
    );
    a.driver().advance(2_000);
    assert_eq!(
        statuses(&drain(&mut a)),
        [
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired
        ]
    );
    // Exception (a): unblocked from CONFIRMATION_IP_ACQUIRED; the cloud is unreachable.
    assert_eq!(a.driver().device_get_version(), Ok(()));
    a.abort_external().unwrap();
    assert_eq!(statuses(&drain(&mut a)), [TiStatus::SuccessFeedbackFailed]);
    assert!(a.driver().is_provisioning());
    assert!(
        a.driver()
            .device_get_version()
            .unwrap_err()
            .is_provisioning_in_progress()
    );
    assert!(a.driver().stored_profiles().is_empty());
    // Second try: the cloud answers, the host stops and stays in STA.
    add_profile(&mut a, "HomeNet", "correct+horse");
    a.driver().advance(2_000);
    drain(&mut a);
    a.confirm_external(Some(Role::Sta)).unwrap();
    assert_eq!(
        statuses(&drain(&mut a)),
        [TiStatus::Success, TiStatus::Stopped]
    );
    assert_eq!(a.driver().stored_profiles().len(), 1);
    assert_eq!(a.driver().role(), Role::Sta);
}

#[test]
fn wrong_password_then_right_one_reports_2_then_5() {
    let mut a = booted(Role::Sta, false);
    start(&mut a, params(TiMode::Ap));
    add_profile(&mut a, "HomeNet", "wrong-pass-1");
    a.driver().advance(2_000);
    assert_eq!(statuses(&drain(&mut a)), [TiStatus::FailConnectionFailed]);
    assert_eq!(body(&http(&mut a, "GET", "/__SL_G_MCR", "")), "2");
    assert!(a.driver().is_provisioning());
    add_profile(&mut a, "HomeNet", "correct+horse");
    a.driver().advance(2_000);
    assert_eq!(body(&http(&mut a, "GET", "/__SL_G_MCR", "")), "5");
    assert_eq!(
        statuses(&drain(&mut a)),
        [
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired,
            TiStatus::Success,
            TiStatus::Stopped
        ]
    );
}

#[test]
fn network_not_found_is_1_and_no_ip_is_3() {
    let mut a = booted(Role::Sta, false);
    start(&mut a, params(TiMode::Ap));
    add_profile(&mut a, "Elsewhere", "some-pass-1");
    a.driver().advance(10_000);
    assert_eq!(statuses(&drain(&mut a)), [TiStatus::FailNetworkNotFound]);
    assert_eq!(body(&http(&mut a, "GET", "/__SL_G_MCR", "")), "1");
    add_profile(&mut a, "NoDhcp", "nodhcp-pass");
    a.driver().advance(31_000);
    assert_eq!(
        statuses(&drain(&mut a)),
        [
            TiStatus::ConfirmationWlanConnect,
            TiStatus::FailIpNotAcquired
        ]
    );
    assert_eq!(body(&http(&mut a, "GET", "/__SL_G_MCR", "")), "3");
    assert!(a.driver().stored_profiles().is_empty());
}

#[test]
fn feedback_not_fetched_is_4_then_5_when_read_through_the_ap() {
    let mut a = booted(Role::Sta, false);
    start(&mut a, params(TiMode::Ap));
    add_profile(&mut a, "HomeNet", "correct+horse");
    a.driver().advance(62_000);
    assert_eq!(
        statuses(&drain(&mut a)),
        [
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired,
            TiStatus::SuccessFeedbackFailed
        ]
    );
    assert!(a.driver().stored_profiles().is_empty());
    // The phone joins the device AP and reads the result: 4, and the NWP sends 5 after.
    assert_eq!(body(&http(&mut a, "GET", "/__SL_G_MCR", "")), "4");
    assert_eq!(
        statuses(&drain(&mut a)),
        [TiStatus::Success, TiStatus::Stopped]
    );
    assert_eq!(a.driver().stored_profiles().len(), 1);
}

#[test]
fn auto_provisioning_after_2_s_and_the_adapter_restarts_it_as_asked() {
    let mut a = booted(Role::Ap, true);
    a.driver().advance(1_999);
    assert!(drain(&mut a).is_empty());
    a.driver().advance(1);
    assert_eq!(statuses(&drain(&mut a)), [TiStatus::AutoStarted]);
    // Started in AP role → AP + SC (TI §3.2).
    assert_eq!(a.driver().manager().mode(), Some(TiMode::ApSc));
    // The application wants AP mode: the −2014 probe finds the running provisioning, the
    // adapter stops it and issues the start once STOPPED arrives.
    assert_eq!(
        a.start(TiCommand::Start(params(TiMode::Ap))).unwrap(),
        StartOutcome::Deferred
    );
    assert_eq!(statuses(&drain(&mut a)), [TiStatus::Stopped]);
    assert_eq!(a.driver().manager().mode(), Some(TiMode::Ap));
}

#[test]
fn host_command_within_2_s_prevents_auto_provisioning() {
    let mut a = booted(Role::Sta, true);
    a.driver().advance(500);
    a.driver()
        .wlan_policy_set(
            policy::POLICY_CONNECTION,
            policy::connection_policy(true, false, false, true),
        )
        .unwrap();
    a.driver().advance(10_000);
    assert!(statuses(&drain(&mut a)).is_empty());
    assert!(!a.driver().is_provisioning());
}

#[test]
fn sc_only_after_2_min_disconnected_then_smartconfig_delivers() {
    let mut a = booted(Role::Sta, false);
    a.driver()
        .wlan_profile_add(b"Gone", None, sec_type::WPA_WPA2, b"gone-pass-1", 3)
        .unwrap();
    a.driver()
        .wlan_policy_set(
            policy::POLICY_CONNECTION,
            policy::connection_policy(true, false, false, true),
        )
        .unwrap();
    a.restart().unwrap();
    a.driver().advance(120_000);
    assert!(statuses(&drain(&mut a)).is_empty());
    a.driver().advance(1_000);
    let events = drain(&mut a);
    assert_eq!(statuses(&events), [TiStatus::AutoStarted]);
    assert_eq!(a.driver().manager().mode(), Some(TiMode::Sc));
    assert_eq!(a.driver().role(), Role::Sta);
    a.driver()
        .inject_smartconfig(b"HomeNet", b"correct horse", b"tok")
        .unwrap();
    a.driver().advance(2_000);
    let events = drain(&mut a);
    assert_eq!(
        statuses(&events),
        [
            TiStatus::SmartConfigSynced,
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired
        ]
    );
    assert!(
        events.contains(&NativeEvent::Provisioning(TiEvent::ProfileAdded {
            ssid: provkit_hal::Ssid::new(b"HomeNet").unwrap(),
            token: b"tok".to_vec(),
        }))
    );
    assert_eq!(body(&http(&mut a, "GET", "/__SL_G_MCR", "")), "5");
    assert_eq!(
        statuses(&drain(&mut a)),
        [TiStatus::Success, TiStatus::Stopped]
    );
    assert_eq!(a.driver().stored_profiles().len(), 2);
}

#[test]
fn external_configuration_ready_then_reset_request_and_restart() {
    let mut a = booted(Role::Sta, false);
    start(&mut a, params(TiMode::ApScExternal));
    assert_eq!(
        statuses(&drain(&mut a)),
        [TiStatus::ExternalConfigurationReady]
    );
    // Exception (b): the host may work (open its WAC sockets) from status 17.
    assert_eq!(a.driver().device_get_version(), Ok(()));
    // The user picked AP provisioning after all: the NWP asks for a restart.
    add_profile(&mut a, "HomeNet", "correct+horse");
    let events = drain(&mut a);
    assert!(
        events.contains(&NativeEvent::Provisioning(TiEvent::ResetRequest {
            caller: ResetCaller::ProvisioningExternalConfiguration
        }))
    );
    assert!(events.contains(&NativeEvent::NwpRestarted { role: Role::Ap }));
    a.driver().advance(2_000);
    assert_eq!(
        statuses(&drain(&mut a)),
        [
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired
        ]
    );
    assert_eq!(body(&http(&mut a, "GET", "/__SL_G_MCR", "")), "5");
    assert_eq!(
        statuses(&drain(&mut a)),
        [TiStatus::Success, TiStatus::Stopped]
    );
}

#[test]
fn external_method_chosen_stops_remaining_in_role() {
    let mut a = booted(Role::Sta, false);
    start(&mut a, params(TiMode::ApScExternal));
    drain(&mut a);
    a.send(&TiCommand::Stop { role: None }).unwrap();
    let events = drain(&mut a);
    assert_eq!(statuses(&events), [TiStatus::Stopped]);
    assert_eq!(a.role(), Some(Role::Ap));
}

#[test]
fn profile_list_full_is_9_and_minus_2171() {
    let mut a = booted(Role::Sta, false);
    for i in 0..7u8 {
        let ssid = format!("net-{i}");
        assert_eq!(
            a.driver()
                .wlan_profile_add(ssid.as_bytes(), None, sec_type::WPA_WPA2, b"password-1", i)
                .unwrap(),
            i
        );
    }
    assert_eq!(
        a.driver()
            .wlan_profile_add(b"net-8", None, sec_type::WPA_WPA2, b"password-1", 1),
        Err(Cc32xxError::NoResources)
    );
    // Re-adding the same SSID replaces it in place.
    assert_eq!(
        a.driver()
            .wlan_profile_add(b"net-3", None, sec_type::WPA_WPA2, b"password-2", 9),
        Ok(3)
    );
    let err = a.start(TiCommand::Start(params(TiMode::Ap))).unwrap_err();
    assert_eq!(
        err,
        Cc32xxError::Driver(sl_err::ERROR_WLAN_PROVISIONING_ABORT_PROFILE_LIST_FULL)
    );
    assert_eq!(
        statuses(&drain(&mut a)),
        [TiStatus::ErrorAbortProfileListFull]
    );
    a.driver()
        .wlan_profile_del(policy::DEL_ALL_PROFILES)
        .unwrap();
    start(&mut a, params(TiMode::Ap));
}

#[test]
fn blocked_calls_return_2014_and_2052_stop_and_provisioning_pass() {
    let mut a = booted(Role::Sta, false);
    start(&mut a, params(TiMode::Ap));
    let d = a.driver();
    let in_progress = Cc32xxError::Driver(sl_err::RET_CODE_PROVISIONING_IN_PROGRESS);
    assert_eq!(
        d.wlan_connect(b"HomeNet", None, 2, b"correct horse"),
        Err(in_progress.clone())
    );
    assert_eq!(d.wlan_set_mode(sl_role::ROLE_AP), Err(in_progress.clone()));
    assert_eq!(
        d.netapp_stop(policy::NETAPP_HTTP_SERVER_ID),
        Err(in_progress.clone())
    );
    assert_eq!(
        d.wlan_profile_add(b"x", None, 0, b"", 0),
        Err(in_progress.clone())
    );
    let mut entries = [Default::default(); 4];
    assert_eq!(d.wlan_get_network_list(0, &mut entries), Err(in_progress));
    assert_eq!(
        d.wlan_policy_set(policy::POLICY_SCAN, 1),
        Err(Cc32xxError::Driver(
            sl_err::ERROR_WLAN_CANNOT_CONFIG_SCAN_DURING_PROVISIONING
        ))
    );
    // A second start is refused with status 10 / −2169.
    assert_eq!(
        d.wlan_provisioning(cmd::START_MODE_SC, 0, 600, None, 0),
        Err(Cc32xxError::Driver(
            sl_err::ERROR_WLAN_PROVISIONING_ABORT_PROVISIONING_ALREADY_STARTED
        ))
    );
    // Inactivity below 30 s is an invalid parameter even before the state check.
    drain(&mut a);
    a.send(&TiCommand::Stop {
        role: Some(Role::Sta),
    })
    .unwrap();
    assert_eq!(statuses(&drain(&mut a)), [TiStatus::Stopped]);
    // STOP with nothing running is "not expected".
    assert_eq!(
        a.send(&TiCommand::Stop { role: None }),
        Err(Cc32xxError::Driver(
            sl_err::ERROR_WLAN_PROVISIONING_CMD_NOT_EXPECTED
        ))
    );
    let mut p = params(TiMode::Ap);
    p.inactivity_timeout_s = 29;
    assert_eq!(
        a.start(TiCommand::Start(p)),
        Err(Cc32xxError::Driver(
            sl_err::ERROR_WLAN_PROVISIONING_ABORT_INVALID_PARAM
        ))
    );
    assert_eq!(statuses(&drain(&mut a)), [TiStatus::ErrorAbortInvalidParam]);
    // AP modes need the HTTP server (status 8 / −2170).
    a.driver()
        .netapp_stop(policy::NETAPP_HTTP_SERVER_ID)
        .unwrap();
    assert_eq!(
        a.start(TiCommand::Start(params(TiMode::ApSc))),
        Err(Cc32xxError::Driver(
            sl_err::ERROR_WLAN_PROVISIONING_ABORT_HTTP_SERVER_DISABLED
        ))
    );
    assert_eq!(
        statuses(&drain(&mut a)),
        [TiStatus::ErrorAbortHttpServerDisabled]
    );
}

#[test]
fn inactivity_timeout_stops_and_returns_to_the_previous_role() {
    let mut a = booted(Role::Sta, false);
    let mut p = params(TiMode::Ap);
    p.inactivity_timeout_s = 30;
    start(&mut a, p);
    a.driver().advance(20_000);
    // A request is user activity: the timer restarts.
    assert_eq!(http(&mut a, "GET", "/__SL_G_DNP", "").status, 200);
    a.driver().advance(29_000);
    assert!(a.driver().is_provisioning());
    a.driver().advance(1_500);
    let events = drain(&mut a);
    assert_eq!(statuses(&events), [TiStatus::Stopped]);
    assert_eq!(a.driver().role(), Role::Sta);
}

#[test]
fn role_change_takes_effect_only_after_stop_start() {
    let mut a = booted(Role::Sta, false);
    a.driver().wlan_set_mode(sl_role::ROLE_AP).unwrap();
    assert_eq!(a.driver().role(), Role::Sta);
    assert_eq!(a.restart().unwrap(), Role::Ap);
    assert_eq!(a.set_role(Role::Sta).unwrap(), Role::Sta);
}

#[test]
fn auto_policy_connects_to_stored_profiles_and_reports_link_events() {
    let mut a = booted(Role::Sta, false);
    a.driver()
        .wlan_profile_add(b"HomeNet", None, sec_type::WPA_WPA2, b"correct horse", 1)
        .unwrap();
    a.restart().unwrap();
    a.driver().advance(2_000);
    let events = drain(&mut a);
    assert!(events.iter().any(|e| matches!(
        e,
        NativeEvent::Link(provkit_hal::LinkEvent::GotIp {
            ip: [192, 168, 1, 100]
        })
    )));
    assert_eq!(a.driver().sta_ip(), Some([192, 168, 1, 100]));
}

#[test]
fn http_api_rejects_malformed_input_without_side_effects() {
    let mut a = booted(Role::Sta, false);
    start(&mut a, params(TiMode::Ap));
    for (path, form) in [
        ("/api/1/wlan/profile_add", "__SL_P_P.A=Home Net"),
        ("/api/1/wlan/profile_add", "__SL_P_P.A=x&&"),
        ("/api/1/wlan/profile_add", "__SL_P_P.A=%G1"),
        ("/api/1/wlan/profile_add", "__SL_P_P.B=3"),
        ("/api/1/wlan/profile_add", "__SL_P_P.A=HomeNet&__SL_P_P.B=9"),
        (
            "/api/1/wlan/profile_add",
            "__SL_P_P.A=HomeNet&__SL_P_P.B=3&__SL_P_P.C=short",
        ),
        (
            "/api/1/wlan/profile_add",
            "__SL_P_P.A=HomeNet&__SL_P_P.D=16",
        ),
        (
            "/api/1/wlan/profile_add",
            "__SL_P_P.A=0123456789012345678901234567890123",
        ),
        ("/api/1/wlan/en_ap_scan", "__SL_P_SC1=ten"),
        ("/api/1/netapp/set_urn", "__SL_P_S.B=bad_name!"),
    ] {
        let r = http(&mut a, "POST", path, form);
        assert_eq!(r.status, 400, "{path} {form}");
    }
    // Nothing was added: confirm has no profile.
    assert_eq!(
        http(&mut a, "POST", "/api/1/wlan/confirm_req", "").status,
        403
    );
    assert_eq!(
        http(&mut a, "GET", "/api/1/wlan/profile_add", "").status,
        405
    );
    assert_eq!(http(&mut a, "GET", "/nope", "").status, 404);
    assert_eq!(
        body(&http(&mut a, "GET", "/__SL_G_XYZ", "")),
        "Unknown Token"
    );
    assert!(statuses(&drain(&mut a)).is_empty());
}

#[test]
fn set_urn_and_policy_set_change_the_nwp() {
    let mut a = booted(Role::Sta, false);
    assert_eq!(
        http(
            &mut a,
            "POST",
            "/api/1/netapp/set_urn",
            "__SL_P_S.B=kitchen-1"
        )
        .status,
        200
    );
    assert_eq!(body(&http(&mut a, "GET", "/__SL_G_DNP", "")), "kitchen-1");
    assert_eq!(
        http(
            &mut a,
            "POST",
            "/api/1/wlan/policy_set",
            "__SL_P_P.E=&__SL_P_P.Q="
        )
        .status,
        200
    );
    assert_eq!(
        a.driver().connection_policy(),
        policy::connection_policy(true, false, false, true)
    );
    assert_eq!(
        http(&mut a, "POST", "/api/1/wlan/policy_set", "__SL_P_P.F=").status,
        200
    );
    assert_eq!(
        a.driver().connection_policy(),
        policy::connection_policy(false, true, false, false)
    );
}

fn raw_http(addr: std::net::SocketAddr, request: &str) -> String {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn http_api_over_a_real_loopback_socket_with_udp_announcement() {
    let mut driver = nwp(Role::Sta, false);
    driver.start().unwrap();
    driver
        .wlan_provisioning(cmd::START_MODE_AP, sl_role::ROLE_STA, 600, None, 0)
        .unwrap();
    let shared = Arc::new(Mutex::new(driver));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let options = server::ServerOptions {
        announce_to: Some(udp.local_addr().unwrap()),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let (shared, stop) = (shared.clone(), stop.clone());
        std::thread::spawn(move || server::serve(listener, shared, options, stop))
    };
    let version = raw_http(
        addr,
        "GET /param_product_version.txt HTTP/1.1\r\nHost: mysimplelink.net\r\n\r\n",
    );
    assert!(version.starts_with("HTTP/1.1 200 OK\r\n"), "{version}");
    assert!(version.ends_with("\r\n\r\nR2.0"));
    let form = "__SL_P_P.A=HomeNet&__SL_P_P.B=3&__SL_P_P.C=correct+horse&__SL_P_P.D=0";
    let add = raw_http(
        addr,
        &format!(
            "POST /api/1/wlan/profile_add HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    );
    assert!(add.starts_with("HTTP/1.1 200"), "{add}");
    let bad = raw_http(
        addr,
        "POST /api/1/wlan/profile_add HTTP/1.1\r\nContent-Length: 3\r\n\r\na&b",
    );
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
    let garbage = raw_http(addr, "\x01\x02 nonsense\r\n\r\n");
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    let confirm = raw_http(
        addr,
        "POST /api/1/wlan/confirm_req HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(confirm.starts_with("HTTP/1.1 200"), "{confirm}");
    shared.lock().unwrap().advance(2_000);
    // The next request flushes the announcement queued at IP acquisition.
    let result = raw_http(addr, "GET /__SL_G_MCR HTTP/1.1\r\n\r\n");
    assert!(result.ends_with("\r\n\r\n5"), "{result}");
    let mut buf = [0u8; 128];
    let (n, _) = udp.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"192.168.1.100,mysimplelink-5a7891");
    stop.store(true, Ordering::Relaxed);
    server.join().unwrap().unwrap();
    assert_eq!(shared.lock().unwrap().stored_profiles().len(), 1);
}

#[test]
fn announcement_reaches_port_1501_on_loopback() {
    // The app's well-known port; skip only the receive side if another process holds it.
    let Ok(rx) = UdpSocket::bind(("127.0.0.1", announce::ANNOUNCE_PORT)) else {
        eprintln!("port 1501 busy; payload format checked only");
        assert_eq!(announce::payload([10, 0, 0, 7], "dev"), "10.0.0.7,dev");
        return;
    };
    rx.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let payload = announce::payload([10, 0, 0, 7], "mysimplelink-5a7891");
    announce::send(&payload, rx.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 64];
    let (n, _) = rx.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"10.0.0.7,mysimplelink-5a7891");
}

mod protocomm_mode {
    use super::*;
    use provkit_cc32xx::http::{HTTP_PORT, ProtocommHttpServer};
    use provkit_protocomm::{
        DeviceSecurityConfig, HandlerError, Protocomm, RequestHandler, VersionInfo,
    };
    use provkit_security::rand_core::SeedableRng;

    struct Echo;
    impl RequestHandler for Echo {
        fn handle_request(&mut self, _: &str, plaintext: &[u8]) -> Result<Vec<u8>, HandlerError> {
            Ok(plaintext.to_vec())
        }
    }

    #[test]
    fn esp_stack_is_served_over_nwp_sockets_in_ap_role() {
        let mut d = nwp(Role::Ap, false);
        assert_eq!(d.start().unwrap(), sl_role::ROLE_AP);
        let mut server = ProtocommHttpServer::new();
        server.listen(&mut d, HTTP_PORT).unwrap();
        let mut protocomm = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let phone = d.sockets_mut().client_connect(HTTP_PORT).unwrap();
        // Split across two segments, as TCP may deliver it.
        let req = "POST /proto-ver HTTP/1.1\r\nContent-Length: 2\r\n\r\n";
        d.sockets_mut().client_send(phone, req.as_bytes()).unwrap();
        assert_eq!(
            server
                .poll(
                    &mut d,
                    &mut protocomm,
                    &mut Echo,
                    &mut rng,
                    provkit_hal::Instant::from_millis(0)
                )
                .unwrap(),
            0
        );
        d.sockets_mut().client_send(phone, b"{}").unwrap();
        assert_eq!(
            server
                .poll(
                    &mut d,
                    &mut protocomm,
                    &mut Echo,
                    &mut rng,
                    provkit_hal::Instant::from_millis(0)
                )
                .unwrap(),
            1
        );
        let reply = String::from_utf8(d.sockets_mut().client_take(phone).unwrap()).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.contains("Set-Cookie: session="));
        let body = reply.split("\r\n\r\n").nth(1).unwrap();
        assert_eq!(body.as_bytes(), protocomm.proto_ver_body());
        // Malformed HTTP closes the connection.
        d.sockets_mut()
            .client_send(phone, b"BROKEN\r\n\r\n")
            .unwrap();
        server
            .poll(
                &mut d,
                &mut protocomm,
                &mut Echo,
                &mut rng,
                provkit_hal::Instant::from_millis(0),
            )
            .unwrap();
        assert!(d.sockets_mut().client_sees_close(phone).unwrap());
    }

    /// The device side of protocomm mode plus one phone connection.
    struct Link {
        d: EmulatedNwp,
        server: ProtocommHttpServer,
        protocomm: Protocomm,
        rng: rand_chacha::ChaCha20Rng,
        phone: provkit_sim::nwp::ClientHandle,
    }

    impl Link {
        fn post(&mut self, path: &str, cookie: &str, body: &[u8]) -> Vec<u8> {
            let mut req = format!("POST {path} HTTP/1.1\r\nContent-Length: {}\r\n", body.len());
            if !cookie.is_empty() {
                req.push_str(&format!("Cookie: {cookie}\r\n"));
            }
            req.push_str("\r\n");
            let mut bytes = req.into_bytes();
            bytes.extend_from_slice(body);
            self.d
                .sockets_mut()
                .client_send(self.phone, &bytes)
                .unwrap();
            let served = self
                .server
                .poll(
                    &mut self.d,
                    &mut self.protocomm,
                    &mut Echo,
                    &mut self.rng,
                    provkit_hal::Instant::from_millis(0),
                )
                .unwrap();
            assert_eq!(served, 1);
            let reply = self.d.sockets_mut().client_take(self.phone).unwrap();
            let split = reply.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            assert!(reply.starts_with(b"HTTP/1.1 200 OK\r\n"));
            reply[split + 4..].to_vec()
        }
    }

    #[test]
    fn sec1_handshake_and_encrypted_request_over_nwp_sockets() {
        use provkit_security::{ClientSecurityConfig, ClientSession};
        let pop = b"abcd1234".to_vec();
        let mut d = nwp(Role::Ap, false);
        d.start().unwrap();
        let mut server = ProtocommHttpServer::new();
        server.listen(&mut d, HTTP_PORT).unwrap();
        let protocomm = Protocomm::new(
            DeviceSecurityConfig::Sec1 {
                pop: Some(pop.clone()),
            },
            VersionInfo::default(),
        );
        let phone = d.sockets_mut().client_connect(HTTP_PORT).unwrap();
        let mut link = Link {
            d,
            server,
            protocomm,
            rng: rand_chacha::ChaCha20Rng::seed_from_u64(1),
            phone,
        };
        let mut phone_rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        let mut client = ClientSession::new(ClientSecurityConfig::Sec1 { pop: Some(pop) });
        // First request opens the HTTP session; the same socket keeps it without a cookie.
        let cmd0 = client.start(&mut phone_rng).unwrap();
        let resp0 = link.post("/prov-session", "", &cmd0);
        let cmd1 = client
            .handle_response(&resp0, &mut phone_rng)
            .unwrap()
            .unwrap();
        let cookie = format!("session={}", link.server.framing().session_id().unwrap());
        let resp1 = link.post("/prov-session", &cookie, &cmd1);
        assert_eq!(
            client.handle_response(&resp1, &mut phone_rng).unwrap(),
            None
        );
        assert!(client.is_established());
        // An encrypted request reaches the handler as plaintext and comes back encrypted.
        let sealed = client.encrypt(b"hello NWP").unwrap();
        let answer = link.post("/prov-config", &cookie, &sealed);
        assert_ne!(answer, b"hello NWP");
        assert_eq!(client.decrypt(&answer).unwrap(), b"hello NWP");
    }

    #[test]
    fn sockets_are_blocked_while_the_nwp_provisions() {
        let mut d = nwp(Role::Sta, false);
        d.start().unwrap();
        d.wlan_provisioning(cmd::START_MODE_AP, 0, 600, None, 0)
            .unwrap();
        assert_eq!(
            d.tcp_listen(HTTP_PORT),
            Err(Cc32xxError::Driver(
                sl_err::RET_CODE_PROVISIONING_IN_PROGRESS
            ))
        );
    }
}

#[test]
fn run_sim_auto_provisions_on_the_wall_clock_and_serves_http() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut settings = NwpSettings::new(RadioEnv::from_toml(ENV).unwrap());
    settings.role = Role::Ap;
    let stop = Arc::new(AtomicBool::new(false));
    let options = server::ServerOptions { announce_to: None };
    let sim = {
        let stop = stop.clone();
        std::thread::spawn(move || server::run_sim(listener, settings, options, stop))
    };
    // No profiles: the NWP starts AP + SC provisioning by itself after 2 s; profile_add is
    // refused (403) before and accepted (200) after.
    let form = "__SL_P_P.A=HomeNet&__SL_P_P.B=0";
    let request = format!(
        "POST /api/1/wlan/profile_add HTTP/1.1\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    assert!(raw_http(addr, &request).starts_with("HTTP/1.1 403"));
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    let after = raw_http(addr, &request);
    assert!(after.starts_with("HTTP/1.1 200"), "{after}");
    stop.store(true, Ordering::Relaxed);
    sim.join().unwrap().unwrap();
}
