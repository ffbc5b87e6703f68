//! TI SimpleLink CC32xx personality: every status-code path (ti-simplelink.md §7.2) and every
//! timing rule (§3.2 auto-provisioning, §3.1 inactivity, §5 confirmation/feedback), driven in
//! virtual time against the hal mocks.

mod common;

use common::*;
use provkit_hal::{DisconnectReason, ErrorKind, Profile};
use provkit_manager::{
    Action, ManagerError, ProvState, ResetCaller, Role, TiCommand, TiConfig, TiErrorCode, TiEvent,
    TiHostCall, TiMode, TiStartParams, TiStatus, TiWlanStatus,
};

fn statuses(events: &[TiEvent]) -> Vec<TiStatus> {
    events
        .iter()
        .filter_map(|e| match e {
            TiEvent::ProvisioningStatus { status, .. } => Some(*status),
            _ => None,
        })
        .collect()
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

/// A TI device booted in `role` with auto-provisioning off (host-initiated tests).
fn booted(role: Role, stored: &[Profile]) -> TiHarness {
    let cfg = TiConfig {
        auto_provisioning: false,
        ..TiConfig::default()
    };
    let mut h = TiHarness::new(cfg, stored);
    let at = h.at();
    h.mgr.device_started(role, at).unwrap();
    h.pump();
    h
}

fn start(h: &mut TiHarness, p: TiStartParams) -> Result<(), ManagerError> {
    let at = h.at();
    let r = h.mgr.provisioning(TiCommand::Start(p), at);
    h.pump();
    r
}

fn add_and_confirm(h: &mut TiHarness, ssid: &[u8], pass: &[u8]) {
    let at = h.at();
    h.mgr
        .profile_add(creds(ssid, pass), 5, b"token".to_vec(), at)
        .unwrap();
    h.mgr.confirm_req(at).unwrap();
    h.pump();
}

#[test]
fn ap_mode_local_feedback_success_switches_to_role_after_success() {
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, params(TiMode::Ap)).unwrap();
    assert_eq!(
        h.take_adapter_actions()[..2],
        [
            Action::SwitchRole(Role::Ap),
            Action::StartTransports(Default::default())
        ]
    );
    assert_eq!(h.mgr.role(), Role::Ap);
    add_and_confirm(&mut h, HOME, HOME_PASS);
    let events = h.take_events();
    assert!(events.contains(&TiEvent::ProfileAdded {
        ssid: creds(HOME, HOME_PASS).ssid,
        token: b"token".to_vec()
    }));
    assert_eq!(
        statuses(&events),
        vec![
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired
        ]
    );
    // Connected with an IP, but nothing is committed before the phone's feedback.
    assert!(h.stored().is_empty());
    assert_eq!(h.mgr.state(), ProvState::CredRecv);
    let at = h.at();
    assert_eq!(h.mgr.feedback_fetched(at), Ok(5));
    h.pump();
    assert_eq!(h.stored().len(), 1);
    assert_eq!(h.stored()[0].priority, 5);
    assert_eq!(h.mgr.state(), ProvState::Idle);
    assert_eq!(h.mgr.role(), Role::Sta);
    assert_eq!(
        h.take_adapter_actions(),
        vec![Action::StopTransports, Action::SwitchRole(Role::Sta)]
    );
    let events = h.take_events();
    assert_eq!(
        statuses(&events),
        vec![TiStatus::Success, TiStatus::Stopped]
    );
    // STOPPED carries role, WLAN status and SSID.
    assert_eq!(
        events.last(),
        Some(&TiEvent::ProvisioningStatus {
            status: TiStatus::Stopped,
            role: Role::Sta,
            wlan_status: TiWlanStatus::Connected,
            ssid: Some(creds(HOME, HOME_PASS).ssid),
        })
    );
    assert_eq!(h.mgr.confirmation_result(), 5);
}

#[test]
fn esp_get_status_counts_as_local_feedback() {
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, params(TiMode::ApSc)).unwrap();
    let at = h.at();
    h.mgr.set_config(creds(OFFICE, OFFICE_PASS), at).unwrap();
    h.mgr.apply_config(at).unwrap();
    h.pump();
    let at = h.at();
    assert!(matches!(
        h.mgr.get_status(at),
        provkit_manager::StaState::Connected(_)
    ));
    h.pump();
    assert_eq!(h.stored().len(), 1);
    assert_eq!(statuses(&h.take_events()).last(), Some(&TiStatus::Stopped));
}

#[test]
fn confirmation_failures_report_1_2_3_and_return_to_configuration() {
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, params(TiMode::Ap)).unwrap();
    h.take_events();
    add_and_confirm(&mut h, b"missing", b"whatever1");
    assert_eq!(
        statuses(&h.take_events()),
        vec![TiStatus::FailNetworkNotFound]
    );
    assert_eq!(h.mgr.confirmation_result(), 1);
    assert_eq!(h.mgr.state(), ProvState::Fail);

    add_and_confirm(&mut h, HOME, b"wrong-key");
    assert_eq!(
        statuses(&h.take_events()),
        vec![TiStatus::FailConnectionFailed]
    );
    assert_eq!(h.mgr.confirmation_result(), 2);

    add_and_confirm(&mut h, NO_DHCP, b"nodhcp-pass");
    assert_eq!(
        statuses(&h.take_events()),
        vec![TiStatus::ConfirmationWlanConnect]
    );
    h.advance(29_999);
    assert_eq!(h.mgr.state(), ProvState::CredRecv);
    h.advance(1);
    assert_eq!(
        statuses(&h.take_events()),
        vec![TiStatus::FailIpNotAcquired]
    );
    assert_eq!(h.mgr.confirmation_result(), 3);
    assert!(h.stored().is_empty());

    // Still the same session: the right profile now succeeds.
    add_and_confirm(&mut h, HOME, HOME_PASS);
    let at = h.at();
    h.mgr.feedback_fetched(at).unwrap();
    h.pump();
    assert_eq!(h.stored().len(), 1);
}

#[test]
fn feedback_timeout_reports_4_and_late_fetch_succeeds_with_5() {
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, params(TiMode::Ap)).unwrap();
    add_and_confirm(&mut h, HOME, HOME_PASS);
    h.take_events();
    h.advance(59_999);
    assert_eq!(h.mgr.state(), ProvState::CredRecv);
    h.advance(1);
    assert_eq!(
        statuses(&h.take_events()),
        vec![TiStatus::SuccessFeedbackFailed]
    );
    assert_eq!(h.mgr.state(), ProvState::Fail);
    assert!(h.stored().is_empty());
    // The phone joins the AP and reads the result: it sees 4, then the NWP reports 5.
    let at = h.at();
    assert_eq!(h.mgr.feedback_fetched(at), Ok(4));
    h.pump();
    assert_eq!(
        statuses(&h.take_events()),
        vec![TiStatus::Success, TiStatus::Stopped]
    );
    assert_eq!(h.stored().len(), 1);
}

#[test]
fn start_rejections_7_8_9_10() {
    // 7: inactivity timeout below 30 s.
    let mut h = booted(Role::Sta, &[]);
    let p = TiStartParams {
        inactivity_timeout_s: 29,
        ..params(TiMode::Ap)
    };
    assert_eq!(
        start(&mut h, p),
        Err(ManagerError::Ti(TiErrorCode::InvalidParam))
    );
    assert_eq!(
        statuses(&h.take_events()),
        vec![TiStatus::ErrorAbortInvalidParam]
    );
    assert_eq!(TiErrorCode::InvalidParam.code(), -2172);

    // 8: AP modes need the HTTP server; SC does not.
    let cfg = TiConfig {
        http_server_enabled: false,
        auto_provisioning: false,
        ..TiConfig::default()
    };
    let mut h2 = TiHarness::new(cfg, &[]);
    assert_eq!(
        start(&mut h2, params(TiMode::ApSc)),
        Err(ManagerError::Ti(TiErrorCode::HttpServerDisabled))
    );
    assert_eq!(
        statuses(&h2.take_events()),
        vec![TiStatus::ErrorAbortHttpServerDisabled]
    );
    assert_eq!(start(&mut h2, params(TiMode::Sc)), Ok(()));

    // 9: profile list full.
    let full: Vec<Profile> = (0..7u8)
        .map(|i| Profile {
            credentials: creds(&[b'p', b'0' + i], b"password"),
            priority: i,
        })
        .collect();
    let mut h3 = booted(Role::Sta, &full);
    assert_eq!(
        start(&mut h3, params(TiMode::Ap)),
        Err(ManagerError::Ti(TiErrorCode::ProfileListFull))
    );
    assert_eq!(
        statuses(&h3.take_events()),
        vec![TiStatus::ErrorAbortProfileListFull]
    );
    assert_eq!(h3.mgr.state(), ProvState::Idle);

    // 10: already started.
    start(&mut h, params(TiMode::Ap)).unwrap();
    h.take_events();
    assert_eq!(
        start(&mut h, params(TiMode::Sc)),
        Err(ManagerError::Ti(TiErrorCode::AlreadyStarted))
    );
    assert_eq!(
        statuses(&h.take_events()),
        vec![TiStatus::ErrorAbortAlreadyStarted]
    );
    assert_eq!(h.mgr.mode(), Some(TiMode::Ap));
}

#[test]
fn general_error_0_and_abort_6_from_adapter_failures() {
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, params(TiMode::Sc)).unwrap();
    h.take_events();
    let at = h.at();
    h.mgr
        .on_action_failed(&Action::StartTransports(Default::default()), at);
    assert_eq!(statuses(&h.take_events()), vec![TiStatus::ErrorAbort]);
    assert_eq!(h.mgr.state(), ProvState::Idle);

    start(&mut h, params(TiMode::Sc)).unwrap();
    add_and_confirm(&mut h, HOME, HOME_PASS);
    h.take_events();
    h.runner.store.fail_next_call(ErrorKind::Storage);
    let at = h.at();
    h.mgr.feedback_fetched(at).unwrap();
    h.pump();
    assert_eq!(
        statuses(&h.take_events()),
        vec![TiStatus::Success, TiStatus::Stopped, TiStatus::GeneralError]
    );
    assert!(h.stored().is_empty());
}

#[test]
fn auto_provisioning_after_two_seconds_without_profiles_or_host_command() {
    // STA role → SC only.
    let mut h = TiHarness::new(TiConfig::default(), &[]);
    let at = h.at();
    h.mgr.device_started(Role::Sta, at).unwrap();
    h.advance(1_999);
    assert_eq!(h.mgr.state(), ProvState::Idle);
    assert_eq!(
        h.mgr.next_deadline(),
        Some(provkit_hal::Instant::from_millis(2_000))
    );
    h.advance(1);
    assert_eq!(h.mgr.mode(), Some(TiMode::Sc));
    assert!(h.mgr.auto_started());
    assert_eq!(statuses(&h.take_events()), vec![TiStatus::AutoStarted]);

    // AP role → AP + SC.
    let mut h = TiHarness::new(TiConfig::default(), &[]);
    let at = h.at();
    h.mgr.device_started(Role::Ap, at).unwrap();
    h.advance(2_000);
    assert_eq!(h.mgr.mode(), Some(TiMode::ApSc));

    // A host command within the 2 s cancels it.
    let mut h = TiHarness::new(TiConfig::default(), &[]);
    let at = h.at();
    h.mgr.device_started(Role::Sta, at).unwrap();
    h.advance(1_000);
    let at = h.at();
    h.mgr.host_call(TiHostCall::Other, at).unwrap();
    h.advance(10_000);
    assert_eq!(h.mgr.state(), ProvState::Idle);

    // Stored profiles: no boot trigger.
    let stored = [Profile {
        credentials: creds(HOME, HOME_PASS),
        priority: 0,
    }];
    let mut h = TiHarness::new(TiConfig::default(), &stored);
    let at = h.at();
    h.mgr.device_started(Role::Ap, at).unwrap();
    h.advance(10_000);
    assert_eq!(h.mgr.state(), ProvState::Idle);

    // Policy off: nothing.
    let mut h = TiHarness::new(TiConfig::default(), &[]);
    h.mgr.set_auto_provisioning(false);
    let at = h.at();
    h.mgr.device_started(Role::Sta, at).unwrap();
    h.advance(10_000);
    assert_eq!(h.mgr.state(), ProvState::Idle);
}

#[test]
fn sta_with_profiles_disconnected_more_than_two_minutes_starts_sc() {
    let stored = [Profile {
        credentials: creds(HOME, HOME_PASS),
        priority: 0,
    }];
    let mut h = TiHarness::new(TiConfig::default(), &stored);
    let at = h.at();
    h.mgr.device_started(Role::Sta, at).unwrap();
    // Connected for a while, then the link drops at t = 10 s.
    h.mgr.on_link_event(
        &provkit_hal::LinkEvent::Connected {
            bssid: provkit_hal::Bssid([2, 0, 0, 0, 0, 1]),
            channel: 6,
            auth: provkit_hal::AuthMode::Wpa2Psk,
        },
        at,
    );
    h.advance_to(10_000);
    let at = h.at();
    h.mgr.on_link_event(
        &provkit_hal::LinkEvent::Disconnected {
            reason: DisconnectReason::ConnectionLost,
        },
        at,
    );
    h.advance_to(130_000);
    assert_eq!(
        h.mgr.state(),
        ProvState::Idle,
        "exactly 2 min is not more than 2 min"
    );
    h.advance_to(130_001);
    assert_eq!(h.mgr.mode(), Some(TiMode::Sc));
    assert_eq!(statuses(&h.take_events()), vec![TiStatus::AutoStarted]);

    // Reconnecting in time prevents it.
    let mut h = TiHarness::new(TiConfig::default(), &stored);
    let at = h.at();
    h.mgr.device_started(Role::Sta, at).unwrap();
    h.advance_to(100_000);
    let at = h.at();
    h.mgr.on_link_event(
        &provkit_hal::LinkEvent::Connected {
            bssid: provkit_hal::Bssid([2, 0, 0, 0, 0, 1]),
            channel: 6,
            auth: provkit_hal::AuthMode::Wpa2Psk,
        },
        at,
    );
    h.advance_to(500_000);
    assert_eq!(h.mgr.state(), ProvState::Idle);
}

#[test]
fn inactivity_timeout_stops_and_returns_to_previous_role() {
    let mut h = booted(Role::Sta, &[]);
    start(
        &mut h,
        TiStartParams {
            inactivity_timeout_s: 30,
            ..params(TiMode::Ap)
        },
    )
    .unwrap();
    h.take_events();
    h.take_adapter_actions();
    h.advance_to(20_000);
    let at = h.at();
    h.mgr.on_client_activity(at);
    h.advance_to(49_999);
    assert_eq!(h.mgr.state(), ProvState::Started);
    h.advance_to(50_000);
    assert_eq!(h.mgr.state(), ProvState::Idle);
    assert_eq!(h.mgr.role(), Role::Sta);
    assert_eq!(
        h.take_adapter_actions(),
        vec![Action::StopTransports, Action::SwitchRole(Role::Sta)]
    );
    let events = h.take_events();
    assert_eq!(
        events,
        vec![TiEvent::ProvisioningStatus {
            status: TiStatus::Stopped,
            role: Role::Sta,
            wlan_status: TiWlanStatus::Disconnected,
            ssid: None,
        }]
    );
}

#[test]
fn host_stop_roles_and_not_expected() {
    let mut h = booted(Role::Sta, &[]);
    let at = h.at();
    assert_eq!(
        h.mgr.provisioning(TiCommand::Stop { role: None }, at),
        Err(ManagerError::Ti(TiErrorCode::CmdNotExpected))
    );
    assert_eq!(
        h.mgr.provisioning(TiCommand::AbortExternalConfirmation, at),
        Err(ManagerError::Ti(TiErrorCode::CmdNotExpected))
    );
    // 0xFF: remain in the current (provisioning) role.
    start(&mut h, params(TiMode::Ap)).unwrap();
    let at = h.at();
    h.mgr
        .provisioning(TiCommand::Stop { role: None }, at)
        .unwrap();
    assert_eq!(h.mgr.role(), Role::Ap);
    // Any other role value: back to the role before provisioning.
    start(&mut h, params(TiMode::Sc)).unwrap();
    assert_eq!(h.mgr.role(), Role::Sta);
    let at = h.at();
    h.mgr
        .provisioning(
            TiCommand::Stop {
                role: Some(Role::Ap),
            },
            at,
        )
        .unwrap();
    assert_eq!(h.mgr.role(), Role::Ap);
    // A stop during the confirmation stage drops the unconfirmed profile.
    start(&mut h, params(TiMode::Ap)).unwrap();
    add_and_confirm(&mut h, HOME, HOME_PASS);
    let at = h.at();
    h.mgr
        .provisioning(
            TiCommand::Stop {
                role: Some(Role::Sta),
            },
            at,
        )
        .unwrap();
    h.pump();
    assert!(h.stored().is_empty());
}

#[test]
fn external_confirmation_stop_commits_and_abort_returns_to_configuration() {
    let ext = TiStartParams {
        external_confirmation: true,
        role_after_success: Role::Ap,
        ..params(TiMode::ApSc)
    };
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, ext.clone()).unwrap();
    let at = h.at();
    assert_eq!(
        h.mgr.host_call(TiHostCall::Other, at),
        Err(ManagerError::Ti(TiErrorCode::ProvisioningInProgress))
    );
    add_and_confirm(&mut h, HOME, HOME_PASS);
    assert_eq!(
        statuses(&h.take_events()),
        vec![
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired
        ]
    );
    // Host APIs are unblocked from IP_ACQUIRED on; no feedback timeout runs.
    let at = h.at();
    h.mgr.host_call(TiHostCall::Other, at).unwrap();
    h.advance(3_600_000);
    assert_eq!(h.mgr.state(), ProvState::CredRecv);
    // Cloud failed: abort → back to configuration, nothing stored.
    let at = h.at();
    h.mgr
        .provisioning(TiCommand::AbortExternalConfirmation, at)
        .unwrap();
    h.pump();
    assert_eq!(h.mgr.state(), ProvState::Fail);
    assert_eq!(
        statuses(&h.take_events()),
        vec![TiStatus::SuccessFeedbackFailed]
    );
    assert!(h.stored().is_empty());
    let at = h.at();
    assert_eq!(
        h.mgr.host_call(TiHostCall::Other, at),
        Err(ManagerError::Ti(TiErrorCode::ProvisioningInProgress))
    );

    // Second try: cloud succeeds, host sends STOP asking to stay in STA.
    add_and_confirm(&mut h, HOME, HOME_PASS);
    let at = h.at();
    h.mgr
        .provisioning(
            TiCommand::Stop {
                role: Some(Role::Sta),
            },
            at,
        )
        .unwrap();
    h.pump();
    assert_eq!(h.stored().len(), 1);
    assert_eq!(h.mgr.role(), Role::Sta);
    let s = statuses(&h.take_events());
    assert_eq!(&s[s.len() - 2..], &[TiStatus::Success, TiStatus::Stopped]);
}

#[test]
fn blocked_host_calls_2014_and_the_two_exceptions() {
    let mut h = booted(Role::Sta, &[]);
    let at = h.at();
    h.mgr.host_call(TiHostCall::Other, at).unwrap();
    start(&mut h, params(TiMode::ApSc)).unwrap();
    let at = h.at();
    let e = h.mgr.host_call(TiHostCall::Other, at).unwrap_err();
    assert_eq!(e, ManagerError::Ti(TiErrorCode::ProvisioningInProgress));
    assert_eq!(TiErrorCode::ProvisioningInProgress.code(), -2014);
    assert_eq!(
        h.mgr.host_call(TiHostCall::ScanConfig, at),
        Err(ManagerError::Ti(
            TiErrorCode::CannotConfigScanDuringProvisioning
        ))
    );
    // sl_Stop and sl_WlanProvisioning are always allowed.
    h.mgr.host_call(TiHostCall::DeviceStop, at).unwrap();
    h.mgr
        .provisioning(TiCommand::Stop { role: None }, at)
        .unwrap();
    h.mgr.host_call(TiHostCall::Other, at).unwrap();

    // Mode 3: EXTERNAL_CONFIGURATION_READY unblocks the host.
    start(&mut h, params(TiMode::ApScExternal)).unwrap();
    let s = statuses(&h.take_events());
    assert_eq!(s.last(), Some(&TiStatus::ExternalConfigurationReady));
    let at = h.at();
    h.mgr.host_call(TiHostCall::Other, at).unwrap();
}

#[test]
fn external_configuration_internal_method_sends_reset_request() {
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, params(TiMode::ApScExternal)).unwrap();
    h.take_events();
    add_and_confirm(&mut h, HOME, HOME_PASS);
    let events = h.take_events();
    assert!(events.contains(&TiEvent::ResetRequest {
        caller: ResetCaller::ProvisioningExternalConfiguration
    }));
    // Nothing happens on the radio until the host restarts the NWP.
    h.advance(10_000);
    assert_eq!(h.runner.station.connects, 0);
    let at = h.at();
    h.mgr.nwp_restarted(at).unwrap();
    h.pump();
    assert_eq!(h.runner.station.connects, 1);
    assert_eq!(
        statuses(&h.take_events()),
        vec![
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired
        ]
    );
    let at = h.at();
    assert_eq!(
        h.mgr.nwp_restarted(at),
        Err(ManagerError::Ti(TiErrorCode::CmdNotExpected))
    );
}

#[test]
fn smartconfig_sync_13_14_and_delivery() {
    let mut h = booted(Role::Sta, &[]);
    assert!(h.mgr.smartconfig_sync(true).is_err(), "not provisioning");
    let key = *b"Key0Key0Key0Key0";
    start(
        &mut h,
        TiStartParams {
            smart_config_key: Some(key),
            ..params(TiMode::Sc)
        },
    )
    .unwrap();
    assert_eq!(h.mgr.smart_config_key(), Some(key));
    h.mgr.smartconfig_sync(true).unwrap();
    h.mgr.smartconfig_sync(false).unwrap();
    assert_eq!(
        statuses(&h.take_events()),
        vec![
            TiStatus::SmartConfigSynced,
            TiStatus::SmartConfigSyncTimeout
        ]
    );
    let at = h.at();
    h.mgr
        .smartconfig_received(creds(OFFICE, OFFICE_PASS), Vec::new(), at)
        .unwrap();
    h.pump();
    let s = statuses(&h.take_events());
    assert_eq!(
        s,
        vec![
            TiStatus::ConfirmationWlanConnect,
            TiStatus::ConfirmationIpAcquired
        ]
    );

    // AP-only mode has no SmartConfig receiver.
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, params(TiMode::Ap)).unwrap();
    assert!(h.mgr.smartconfig_sync(true).is_err());
}

#[test]
fn raw_command_parsing() {
    assert_eq!(
        TiCommand::from_raw(2, 0, 600, Some(b"Key0Key0Key0Key0"), 0),
        Ok(TiCommand::Start(TiStartParams {
            mode: TiMode::ApSc,
            role_after_success: Role::Sta,
            inactivity_timeout_s: 600,
            smart_config_key: Some(*b"Key0Key0Key0Key0"),
            external_confirmation: false,
        }))
    );
    assert_eq!(
        TiCommand::from_raw(4, 0xFF, 0, None, 0),
        Ok(TiCommand::Stop { role: None })
    );
    assert_eq!(
        TiCommand::from_raw(5, 0, 0, None, 0),
        Ok(TiCommand::AbortExternalConfirmation)
    );
    match TiCommand::from_raw(3, 2, 600, None, 1) {
        Ok(TiCommand::Start(p)) => {
            assert_eq!(p.mode, TiMode::ApScExternal);
            assert_eq!(p.role_after_success, Role::Ap);
            assert!(p.external_confirmation);
        }
        other => panic!("{other:?}"),
    }
    assert!(TiCommand::from_raw(6, 0, 600, None, 0).is_err());
    assert!(
        TiCommand::from_raw(0, 1, 600, None, 0).is_err(),
        "role 1 is reserved"
    );
    assert!(
        TiCommand::from_raw(0, 0xFF, 600, None, 0).is_err(),
        "0xFF only with STOP"
    );
    assert!(TiCommand::from_raw(1, 0, 600, Some(b"short"), 0).is_err());
}

#[test]
fn nwp_restart_ends_configuration_but_continues_confirmation() {
    // Reset during the configuration stage: provisioning is over.
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, params(TiMode::Ap)).unwrap();
    let at = h.at();
    h.mgr.device_started(Role::Ap, at).unwrap();
    assert_eq!(h.mgr.state(), ProvState::Idle);
    assert_eq!(h.mgr.mode(), None);

    // Reset during the confirmation stage: the profile is confirmed after the restart.
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, params(TiMode::Ap)).unwrap();
    add_and_confirm(&mut h, HOME, HOME_PASS);
    assert_eq!(h.runner.station.connects, 1);
    let at = h.at();
    h.mgr.device_started(Role::Ap, at).unwrap();
    h.pump();
    assert_eq!(h.runner.station.connects, 2);
    assert_eq!(h.mgr.state(), ProvState::CredRecv);
    let at = h.at();
    assert_eq!(h.mgr.feedback_fetched(at), Ok(5));
    h.pump();
    assert_eq!(h.stored().len(), 1);

    // sl_Stop + sl_Start after a RESET_REQUEST resumes the external-configuration attempt.
    let mut h = booted(Role::Sta, &[]);
    start(&mut h, params(TiMode::ApScExternal)).unwrap();
    add_and_confirm(&mut h, HOME, HOME_PASS);
    assert_eq!(h.runner.station.connects, 0);
    let at = h.at();
    h.mgr.device_started(Role::Ap, at).unwrap();
    h.pump();
    assert_eq!(h.runner.station.connects, 1);
}
