//! Property tests: arbitrary bytes never panic any handler or decoder, and every typed
//! message survives encode → decode unchanged.

mod support;

use proptest::prelude::*;
use provkit_hal::{AuthMode, Bssid, DisconnectReason, ScanConfig, ScanEntry, Ssid};
use provkit_proto::{CmdSetConfig, Status};
use provkit_wifi::config::{ConfigRequest, ConfigResponse};
use provkit_wifi::ctrl::{CtrlRequest, CtrlResponse};
use provkit_wifi::scan::{ScanRequest, ScanResponse};
use provkit_wifi::{
    ConnectedInfo, ScanLimits, StationStatus, handle_config, handle_ctrl, handle_scan,
};
use support::TestBackend;

fn status() -> impl Strategy<Value = Status> {
    (0i32..=7).prop_map(|raw| Status::try_from(raw).expect("0..=7 are defined"))
}

fn ssid() -> impl Strategy<Value = Ssid> {
    proptest::collection::vec(any::<u8>(), 0..=32).prop_map(|b| Ssid::new(&b).expect("≤ 32"))
}

fn scan_entry() -> impl Strategy<Value = ScanEntry> {
    (
        ssid(),
        any::<[u8; 6]>(),
        any::<u8>(),
        any::<i8>(),
        any::<u8>(),
    )
        .prop_map(|(ssid, bssid, channel, rssi, auth)| ScanEntry {
            ssid,
            bssid: Bssid(bssid),
            channel,
            rssi,
            auth: AuthMode::from_raw(auth),
        })
}

fn station() -> impl Strategy<Value = StationStatus> {
    prop_oneof![
        Just(StationStatus::Connecting),
        Just(StationStatus::Disconnected),
        Just(StationStatus::Failed(DisconnectReason::AuthFailed)),
        Just(StationStatus::Failed(DisconnectReason::NetworkNotFound)),
        any::<u32>().prop_map(|n| StationStatus::AttemptFailed {
            attempts_remaining: n
        }),
        (
            any::<[u8; 4]>(),
            ssid(),
            any::<[u8; 6]>(),
            any::<u8>(),
            any::<u8>()
        )
            .prop_map(|(ip, ssid, bssid, channel, auth)| StationStatus::Connected(
                ConnectedInfo {
                    ip,
                    ssid,
                    bssid: Bssid(bssid),
                    channel,
                    auth: AuthMode::from_raw(auth),
                }
            )),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut backend = TestBackend {
            results: vec![ScanEntry::default(); 3],
            ..TestBackend::default()
        };
        // Results are irrelevant; only that nothing panics and errors are values.
        let _ = handle_config(&body, &mut backend);
        let _ = handle_scan(&body, &mut backend, ScanLimits::BLE);
        let _ = handle_ctrl(&body, &mut backend);
        let _ = ConfigResponse::decode(&body);
        let _ = ScanResponse::decode(&body);
        let _ = CtrlResponse::decode(&body);
    }

    #[test]
    fn every_answer_decodes_as_a_response(body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut backend = TestBackend::default();
        if let Ok(answer) = handle_config(&body, &mut backend) {
            prop_assert!(ConfigResponse::decode(&answer).is_ok());
        }
        if let Ok(answer) = handle_scan(&body, &mut backend, ScanLimits::HTTP) {
            prop_assert!(ScanResponse::decode(&answer).is_ok());
        }
        if let Ok(answer) = handle_ctrl(&body, &mut backend) {
            prop_assert!(CtrlResponse::decode(&answer).is_ok());
        }
    }

    #[test]
    fn scan_requests_round_trip(
        blocking in any::<bool>(), passive in any::<bool>(), group in any::<u8>(),
        period in any::<u32>(), start in any::<u32>(), count in any::<u32>(), which in 0u8..3,
    ) {
        let request = match which {
            0 => ScanRequest::Start(ScanConfig { blocking, passive, group_channels: group, period_ms: period }),
            1 => ScanRequest::Status,
            _ => ScanRequest::Result { start_index: start, count },
        };
        prop_assert_eq!(ScanRequest::decode(&request.encode()), Ok(request));
    }

    #[test]
    fn scan_responses_round_trip(
        st in status(), finished in any::<bool>(), count in any::<u32>(),
        entries in proptest::collection::vec(scan_entry(), 0..6), which in 0u8..3,
    ) {
        let response = match which {
            0 => ScanResponse::Start { status: st },
            1 => ScanResponse::Status { status: st, finished, count },
            _ => ScanResponse::Result { status: st, entries },
        };
        prop_assert_eq!(ScanResponse::decode(&response.encode()), Ok(response));
    }

    #[test]
    fn config_messages_round_trip(
        ssid in proptest::collection::vec(any::<u8>(), 0..40),
        passphrase in proptest::collection::vec(any::<u8>(), 0..70),
        bssid in proptest::collection::vec(any::<u8>(), 0..8),
        channel in any::<i32>(), station in station(), st in status(),
    ) {
        let request = ConfigRequest::SetConfig(CmdSetConfig { ssid, passphrase, bssid, channel });
        prop_assert_eq!(ConfigRequest::decode(&request.encode()), Ok(request));
        for request in [ConfigRequest::GetStatus, ConfigRequest::ApplyConfig] {
            prop_assert_eq!(ConfigRequest::decode(&request.encode()), Ok(request));
        }
        for response in [
            ConfigResponse::GetStatus { status: st, station },
            ConfigResponse::SetConfig { status: st },
            ConfigResponse::ApplyConfig { status: st },
        ] {
            prop_assert_eq!(ConfigResponse::decode(&response.encode()), Ok(response));
        }
    }

    #[test]
    fn ctrl_messages_round_trip(st in status(), reset in any::<bool>()) {
        let (request, response) = if reset {
            (CtrlRequest::Reset, CtrlResponse::Reset { status: st })
        } else {
            (CtrlRequest::Reprov, CtrlResponse::Reprov { status: st })
        };
        prop_assert_eq!(CtrlRequest::decode(&request.encode()), Ok(request));
        prop_assert_eq!(CtrlResponse::decode(&response.encode()), Ok(response));
    }

    #[test]
    fn valid_credentials_reach_the_backend_unchanged(
        ssid in proptest::collection::vec(1u8..=255, 0..=32),
        passphrase in proptest::collection::vec(1u8..=255, 0..=63),
        bssid in proptest::option::of(any::<[u8; 6]>()),
        channel in 0u8..=14,
    ) {
        let request = ConfigRequest::SetConfig(CmdSetConfig {
            ssid: ssid.clone(),
            passphrase: passphrase.clone(),
            bssid: bssid.map(|b| b.to_vec()).unwrap_or_default(),
            channel: i32::from(channel),
        });
        let mut backend = TestBackend::default();
        let answer = handle_config(&request.encode(), &mut backend).expect("answered");
        prop_assert_eq!(
            ConfigResponse::decode(&answer),
            Ok(ConfigResponse::SetConfig { status: Status::Success })
        );
        let got = backend.received.pop_front().expect("backend called");
        prop_assert_eq!(got.ssid.as_bytes(), ssid.as_slice());
        prop_assert_eq!(got.passphrase.as_bytes(), passphrase.as_slice());
        prop_assert_eq!(got.bssid, bssid.map(Bssid));
        prop_assert_eq!(got.channel, (channel != 0).then_some(channel));
    }
}
