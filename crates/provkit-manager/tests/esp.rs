//! ESP-IDF `wifi_prov_mgr` personality, driven in virtual time against the hal mocks
//! (esp-provisioning.md §6).

mod common;

use common::*;
use provkit_hal::{DisconnectReason, Instant, Profile, ScanConfig, WifiStation};
use provkit_manager::{
    Action, EspConfig, EspEvent, FailReason, ManagerError, ProvState, ServiceInfo, StaState,
    WireFailReason,
};

fn esp_events(events: &[EspEvent]) -> Vec<EspEvent> {
    events.to_vec()
}

fn started(cfg: EspConfig, stored: &[Profile]) -> EspHarness {
    let mut h = EspHarness::new(cfg, stored);
    let at = h.at();
    h.mgr
        .start(
            ServiceInfo {
                name: b"PROV_1234".to_vec(),
                key: Vec::new(),
            },
            at,
        )
        .unwrap();
    h.pump();
    h
}

fn apply(h: &mut EspHarness, ssid: &[u8], pass: &[u8]) {
    let at = h.at();
    h.mgr.set_config(creds(ssid, pass), at).unwrap();
    h.mgr.apply_config(at).unwrap();
    h.pump();
}

#[test]
fn success_persists_after_ip_then_get_status_stops_service() {
    let mut h = started(EspConfig::default(), &[]);
    assert_eq!(
        h.take_adapter_actions()[0],
        Action::StartTransports(ServiceInfo {
            name: b"PROV_1234".to_vec(),
            key: Vec::new()
        })
    );
    apply(&mut h, HOME, HOME_PASS);
    // The connect waits 1 s so the ApplyConfig reply leaves first.
    assert_eq!(h.runner.station.connects, 0);
    assert_eq!(h.mgr.state(), ProvState::CredRecv);
    assert!(h.stored().is_empty());
    h.advance(999);
    assert_eq!(h.runner.station.connects, 0);
    h.advance(1);
    assert_eq!(h.runner.station.connects, 1);
    assert_eq!(h.mgr.state(), ProvState::Success);
    assert_eq!(h.stored().len(), 1);
    assert_eq!(h.stored()[0].credentials, creds(HOME, HOME_PASS));
    assert!(h.mgr.is_provisioned());

    let at = h.at();
    match h.mgr.get_status(at) {
        StaState::Connected(info) => {
            assert_eq!(info.ip, [192, 168, 1, 50]);
            assert_eq!(info.ssid.as_bytes(), HOME);
            assert_eq!(info.channel, 6);
        }
        other => panic!("expected Connected, got {other:?}"),
    }
    // GetStatus = Connected is the "done" signal: stop after the 1 s cleanup delay.
    assert_eq!(h.mgr.state(), ProvState::Stopping);
    h.advance(999);
    assert_eq!(h.mgr.state(), ProvState::Stopping);
    h.advance(1);
    assert_eq!(h.mgr.state(), ProvState::Idle);
    assert!(h.take_adapter_actions().contains(&Action::StopTransports));
    let events = esp_events(&h.take_events());
    let ssid = creds(HOME, HOME_PASS).ssid;
    assert_eq!(
        events,
        vec![
            EspEvent::Init,
            EspEvent::Start,
            EspEvent::SetStaConfig { ssid: ssid.clone() },
            EspEvent::CredRecv { ssid },
            EspEvent::CredSuccess,
            EspEvent::End,
        ]
    );
}

#[test]
fn wrong_password_then_right_password_in_same_session() {
    let old = Profile {
        credentials: creds(OFFICE, OFFICE_PASS),
        priority: 3,
    };
    let mut h = started(EspConfig::default(), core::slice::from_ref(&old));
    apply(&mut h, HOME, b"wrong password");
    h.advance(1000);
    assert_eq!(h.mgr.state(), ProvState::Fail);
    assert_eq!(
        h.mgr.wifi_state(),
        &StaState::Failed {
            wire: WireFailReason::AuthError,
            reason: FailReason::AuthFailed
        }
    );
    assert_eq!(
        h.mgr.wifi_disconnect_reason(),
        Some(WireFailReason::AuthError)
    );
    // The working profile was not replaced.
    assert_eq!(h.stored(), vec![old.clone()]);
    let events = esp_events(&h.take_events());
    assert!(events.contains(&EspEvent::CredFail {
        wire: WireFailReason::AuthError,
        reason: FailReason::AuthFailed
    }));

    // No reset call, no reboot: the same session accepts new credentials.
    apply(&mut h, HOME, HOME_PASS);
    h.advance(1000);
    assert_eq!(h.mgr.state(), ProvState::Success);
    let stored = h.stored();
    assert_eq!(stored.len(), 2);
    assert!(stored.contains(&old));
    let new = stored
        .iter()
        .find(|p| p.credentials.ssid.as_bytes() == HOME)
        .unwrap();
    assert_eq!(
        new.credentials.passphrase,
        creds(HOME, HOME_PASS).passphrase
    );
    // Newest confirmed network is preferred.
    assert!(new.priority > old.priority);
    assert_eq!(h.mgr.fail_reason(), None);
}

#[test]
fn network_not_found_reports_both_reasons() {
    let mut h = started(EspConfig::default(), &[]);
    apply(&mut h, b"nowhere", b"whatever1");
    h.advance(1000);
    assert_eq!(h.mgr.state(), ProvState::Fail);
    assert_eq!(
        h.mgr.wifi_disconnect_reason(),
        Some(WireFailReason::NetworkNotFound)
    );
    assert_eq!(h.mgr.fail_reason(), Some(FailReason::NetworkNotFound));
    assert!(h.stored().is_empty());
}

#[test]
fn connection_attempts_count_down_then_fail_with_last_mapped_reason() {
    let cfg = EspConfig {
        wifi_conn_attempts: 3,
        ..EspConfig::default()
    };
    let mut h = started(cfg, &[]);
    for _ in 0..3 {
        h.runner
            .station
            .script_connect_failure(DisconnectReason::Other(205))
            .unwrap();
    }
    apply(&mut h, HOME, HOME_PASS);
    h.now += 1000;
    let at = h.at();
    h.mgr.on_tick(at);
    // Execute the first connect and deliver one event at a time to watch the countdown.
    h.runner.execute(&mut h.mgr, at);
    let ev = h.runner.station.poll_event().unwrap();
    h.mgr.on_link_event(&ev, at);
    assert_eq!(
        h.mgr.wifi_state(),
        &StaState::AttemptFailed {
            attempts_remaining: 2
        }
    );
    assert_eq!(h.mgr.remaining_conn_attempts(), 2);
    h.runner.execute(&mut h.mgr, at);
    let ev = h.runner.station.poll_event().unwrap();
    h.mgr.on_link_event(&ev, at);
    assert_eq!(
        h.mgr.wifi_state(),
        &StaState::AttemptFailed {
            attempts_remaining: 1
        }
    );
    h.pump();
    assert_eq!(h.runner.station.connects, 3);
    // "Other" as final reason: the wire keeps its previous value (initially AuthError).
    assert_eq!(
        h.mgr.wifi_state(),
        &StaState::Failed {
            wire: WireFailReason::AuthError,
            reason: FailReason::Other(205)
        }
    );
    // A new round gets the full budget again (fixes quirk §12.15).
    apply(&mut h, HOME, HOME_PASS);
    assert_eq!(h.mgr.remaining_conn_attempts(), 3);
    h.advance(1000);
    assert_eq!(h.mgr.state(), ProvState::Success);
}

#[test]
fn legacy_unlimited_attempts_retry_other_reasons() {
    let mut h = started(EspConfig::default(), &[]);
    for _ in 0..4 {
        h.runner
            .station
            .script_connect_failure(DisconnectReason::Other(2))
            .unwrap();
    }
    apply(&mut h, HOME, HOME_PASS);
    h.advance(1000);
    // Four "other" failures retried, fifth connect succeeds.
    assert_eq!(h.runner.station.connects, 5);
    assert_eq!(h.mgr.state(), ProvState::Success);
}

#[test]
fn no_ip_within_confirm_timeout_fails_with_rich_reason() {
    let cfg = EspConfig {
        confirm_timeout_ms: 10_000,
        ..EspConfig::default()
    };
    let mut h = started(cfg, &[]);
    apply(&mut h, NO_DHCP, b"nodhcp-pass");
    h.advance(1000);
    assert_eq!(h.mgr.state(), ProvState::CredRecv);
    h.advance(9_999);
    assert_eq!(h.mgr.state(), ProvState::CredRecv);
    h.advance(1);
    assert_eq!(h.mgr.state(), ProvState::Fail);
    assert_eq!(h.mgr.fail_reason(), Some(FailReason::NoIp));
    assert!(h.stored().is_empty());
}

#[test]
fn auto_stop_fires_thirty_seconds_after_success() {
    let mut h = started(EspConfig::default(), &[]);
    apply(&mut h, HOME, HOME_PASS);
    h.advance(1000);
    let success_at = h.now;
    assert_eq!(h.mgr.state(), ProvState::Success);
    assert_eq!(
        h.mgr.next_deadline(),
        Some(Instant::from_millis(success_at + 30_000))
    );
    h.advance_to(success_at + 29_999);
    assert_eq!(h.mgr.state(), ProvState::Success);
    h.advance_to(success_at + 30_000);
    assert_eq!(h.mgr.state(), ProvState::Stopping);
    h.advance_to(success_at + 31_000);
    assert_eq!(h.mgr.state(), ProvState::Idle);
    assert_eq!(esp_events(&h.take_events()).last(), Some(&EspEvent::End));
}

#[test]
fn configurable_auto_stop_and_its_range() {
    let mut h = EspHarness::new(EspConfig::default(), &[]);
    assert_eq!(
        h.mgr.set_auto_stop(4_999),
        Err(ManagerError::InvalidArgument)
    );
    assert_eq!(
        h.mgr.set_auto_stop(600_001),
        Err(ManagerError::InvalidArgument)
    );
    h.mgr.set_auto_stop(5_000).unwrap();
    let at = h.at();
    h.mgr.start(ServiceInfo::default(), at).unwrap();
    apply(&mut h, HOME, HOME_PASS);
    h.advance(1000);
    let t = h.now;
    h.advance_to(t + 4_999);
    assert_eq!(h.mgr.state(), ProvState::Success);
    h.advance_to(t + 5_000);
    assert_eq!(h.mgr.state(), ProvState::Stopping);
}

#[test]
fn reprovision_needs_auto_stop_disabled() {
    let mut h = started(EspConfig::default(), &[]);
    let at = h.at();
    assert_eq!(
        h.mgr.reset_sm_state_for_reprovision(at),
        Err(ManagerError::AutoStopEnabled)
    );

    let mut h = EspHarness::new(EspConfig::default(), &[]);
    h.mgr.disable_auto_stop(500).unwrap();
    let at = h.at();
    h.mgr.start(ServiceInfo::default(), at).unwrap();
    apply(&mut h, HOME, HOME_PASS);
    h.advance(1000);
    assert_eq!(h.mgr.state(), ProvState::Success);
    // Without auto-stop, nothing stops the service.
    h.advance(600_000);
    assert_eq!(h.mgr.state(), ProvState::Success);
    h.take_events();
    let disconnects = h.runner.station.disconnects;
    let at = h.at();
    h.mgr.reset_sm_state_for_reprovision(at).unwrap();
    h.pump();
    assert_eq!(h.mgr.state(), ProvState::Started);
    assert_eq!(h.runner.station.disconnects, disconnects + 1);
    assert_eq!(esp_events(&h.take_events()), vec![EspEvent::Start]);
    apply(&mut h, OFFICE, OFFICE_PASS);
    h.advance(1000);
    assert_eq!(h.mgr.state(), ProvState::Success);
    assert_eq!(h.stored().len(), 2);
    // Stop uses the configured cleanup delay (min 100 ms).
    let at = h.at();
    h.mgr.stop(at).unwrap();
    h.advance(499);
    assert_eq!(h.mgr.state(), ProvState::Stopping);
    h.advance(1);
    assert_eq!(h.mgr.state(), ProvState::Idle);
}

#[test]
fn reset_on_failure_only_from_fail_or_started_and_reset_provisioning_clears_store() {
    let stored = [Profile {
        credentials: creds(OFFICE, OFFICE_PASS),
        priority: 0,
    }];
    let mut h = started(EspConfig::default(), &stored);
    apply(&mut h, HOME, HOME_PASS);
    let at = h.at();
    assert!(matches!(
        h.mgr.reset_sm_state_on_failure(at),
        Err(ManagerError::WrongState {
            state: ProvState::CredRecv,
            ..
        })
    ));
    h.advance(1000);
    let at = h.at();
    assert!(
        h.mgr.reset_sm_state_on_failure(at).is_err(),
        "Success is not Fail"
    );

    let mut h = started(EspConfig::default(), &stored);
    apply(&mut h, HOME, b"bad-password");
    h.advance(1000);
    let at = h.at();
    h.mgr.reset_sm_state_on_failure(at).unwrap();
    assert_eq!(h.mgr.state(), ProvState::Started);
    // The reference keeps reporting ConnectionFailed until the next ApplyConfig (§6.5).
    assert!(matches!(h.mgr.get_status(at), StaState::Failed { .. }));
    h.mgr.reset_provisioning().unwrap();
    h.pump();
    assert!(h.stored().is_empty());
    assert!(!h.mgr.is_provisioned());
}

#[test]
fn wrong_state_calls_are_typed_errors() {
    let mut h = EspHarness::new(EspConfig::default(), &[]);
    let at = h.at();
    assert!(matches!(
        h.mgr.apply_config(at),
        Err(ManagerError::WrongState { .. })
    ));
    assert!(matches!(
        h.mgr.set_config(creds(HOME, HOME_PASS), at),
        Err(ManagerError::WrongState { .. })
    ));
    assert!(matches!(
        h.mgr.stop(at),
        Err(ManagerError::WrongState { .. })
    ));
    assert!(matches!(
        h.mgr.start_scan(ScanConfig::default(), at),
        Err(ManagerError::WrongState { .. })
    ));
    assert!(matches!(
        h.mgr.endpoint_register("custom-data"),
        Err(ManagerError::WrongState { .. })
    ));
    assert_eq!(h.mgr.endpoint_create("custom-data"), Ok(0));
    assert_eq!(
        h.mgr.endpoint_create("custom-data"),
        Err(ManagerError::EndpointExists)
    );
    assert_eq!(h.mgr.endpoint_create("second"), Ok(1));

    h.mgr.start(ServiceInfo::default(), at).unwrap();
    assert!(matches!(
        h.mgr.start(ServiceInfo::default(), at),
        Err(ManagerError::WrongState { .. })
    ));
    assert!(matches!(
        h.mgr.endpoint_create("late"),
        Err(ManagerError::WrongState { .. })
    ));
    assert!(matches!(
        h.mgr.disable_auto_stop(100),
        Err(ManagerError::WrongState { .. })
    ));
    assert_eq!(h.mgr.apply_config(at), Err(ManagerError::NoPendingConfig));
    assert_eq!(
        h.mgr.endpoint_register("nope"),
        Err(ManagerError::UnknownEndpoint)
    );
    h.mgr.endpoint_register("custom-data").unwrap();
    assert!(h.mgr.is_endpoint_registered("custom-data"));
    h.mgr.endpoint_unregister("custom-data").unwrap();
    assert!(!h.mgr.is_endpoint_registered("custom-data"));

    // Only one ApplyConfig per attempt; the pending config is consumed.
    h.mgr.set_config(creds(HOME, HOME_PASS), at).unwrap();
    h.mgr.apply_config(at).unwrap();
    h.mgr.set_config(creds(OFFICE, OFFICE_PASS), at).unwrap();
    assert!(matches!(
        h.mgr.apply_config(at),
        Err(ManagerError::WrongState {
            state: ProvState::CredRecv,
            ..
        })
    ));

    h.mgr.deinit(at).unwrap();
    h.pump();
    assert_eq!(
        h.mgr.start(ServiceInfo::default(), at),
        Err(ManagerError::NotInitialized)
    );
    assert_eq!(h.mgr.deinit(at), Err(ManagerError::NotInitialized));
    let events = esp_events(&h.take_events());
    assert_eq!(
        &events[events.len() - 2..],
        &[EspEvent::End, EspEvent::Deinit]
    );
    // The attempt cancelled by deinit never reached the store.
    assert!(h.stored().is_empty());
}

#[test]
fn provisioning_window_is_restarted_by_activity() {
    let cfg = EspConfig {
        window_ms: Some(60_000),
        ..EspConfig::default()
    };
    let mut h = started(cfg, &[]);
    h.advance_to(50_000);
    let at = h.at();
    h.mgr.on_client_activity(at);
    h.advance_to(109_999);
    assert_eq!(h.mgr.state(), ProvState::Started);
    h.advance_to(110_000);
    assert_eq!(h.mgr.state(), ProvState::Stopping);
    h.advance_to(111_000);
    assert_eq!(h.mgr.state(), ProvState::Idle);
}

#[test]
fn window_does_not_fire_during_an_attempt() {
    let cfg = EspConfig {
        window_ms: Some(5_000),
        confirm_timeout_ms: 20_000,
        ..EspConfig::default()
    };
    let mut h = started(cfg, &[]);
    apply(&mut h, NO_DHCP, b"nodhcp-pass");
    h.advance_to(1_000);
    h.advance_to(15_000);
    assert_eq!(h.mgr.state(), ProvState::CredRecv);
    h.advance_to(21_000);
    assert_eq!(h.mgr.state(), ProvState::Fail);
    // Back to accepting: the window restarts from the failure.
    h.advance_to(25_999);
    assert_eq!(h.mgr.state(), ProvState::Fail);
    h.advance_to(26_000);
    assert_eq!(h.mgr.state(), ProvState::Stopping);
}

#[test]
fn scan_results_are_sorted_and_bounded() {
    let cfg = EspConfig {
        max_scan_results: 2,
        ..EspConfig::default()
    };
    let mut h = started(cfg, &[]);
    let at = h.at();
    h.runner.station.scan_completes_immediately = false;
    h.mgr
        .start_scan(
            ScanConfig {
                passive: true,
                ..ScanConfig::default()
            },
            at,
        )
        .unwrap();
    h.pump();
    assert_eq!(h.mgr.scan_status(), (false, 0));
    // A second start while scanning is a no-op success.
    h.mgr.start_scan(ScanConfig::default(), at).unwrap();
    h.pump();
    assert_eq!(h.runner.station.scans_started, 1);
    assert!(h.runner.station.last_scan_config.unwrap().passive);
    h.runner.station.complete_scan();
    h.pump();
    assert_eq!(h.mgr.scan_status(), (true, 2));
    let first = h.mgr.scan_result(0).unwrap();
    let second = h.mgr.scan_result(1).unwrap();
    assert!(first.rssi >= second.rssi);
    assert_eq!(first.ssid.as_bytes(), HOME);
    assert_eq!(h.mgr.scan_result(2), None);
}

#[test]
fn profile_list_keeps_at_most_seven_evicting_lowest_priority() {
    let stored: Vec<Profile> = (0..7u8)
        .map(|i| Profile {
            credentials: creds(&[b'n', b'0' + i], b"password"),
            priority: 10 - i,
        })
        .collect();
    let mut h = started(EspConfig::default(), &stored);
    apply(&mut h, HOME, HOME_PASS);
    h.advance(1000);
    let now_stored = h.stored();
    assert_eq!(now_stored.len(), 7);
    assert!(
        now_stored
            .iter()
            .any(|p| p.credentials.ssid.as_bytes() == HOME)
    );
    // n6 had the lowest priority (4).
    assert!(
        !now_stored
            .iter()
            .any(|p| p.credentials.ssid.as_bytes() == b"n6")
    );
    assert_eq!(
        now_stored
            .iter()
            .find(|p| p.credentials.ssid.as_bytes() == HOME)
            .unwrap()
            .priority,
        11
    );
}

#[test]
fn persist_failure_is_reported_and_store_unchanged() {
    let mut h = started(EspConfig::default(), &[]);
    apply(&mut h, HOME, HOME_PASS);
    h.runner
        .store
        .fail_next_call(provkit_hal::ErrorKind::Storage);
    h.advance(1000);
    assert!(h.stored().is_empty());
    assert!(matches!(
        h.runner.failures.last(),
        Some((Action::Persist(_), provkit_hal::ErrorKind::Storage))
    ));
}

#[test]
fn stop_without_new_credentials_reconnects_the_best_stored_profile() {
    let stored = [
        Profile {
            credentials: creds(HOME, HOME_PASS),
            priority: 1,
        },
        Profile {
            credentials: creds(OFFICE, OFFICE_PASS),
            priority: 4,
        },
    ];
    let mut h = started(EspConfig::default(), &stored);
    apply(&mut h, HOME, b"bad-password");
    h.advance(1000);
    assert_eq!(h.mgr.state(), ProvState::Fail);
    let at = h.at();
    h.mgr.stop(at).unwrap();
    h.advance(1000);
    assert_eq!(h.mgr.state(), ProvState::Idle);
    assert_eq!(
        h.runner.station.last_credentials,
        Some(creds(OFFICE, OFFICE_PASS))
    );
    // The store is untouched by the failed attempt and the reconnect.
    assert_eq!(h.stored(), stored.to_vec());
}
