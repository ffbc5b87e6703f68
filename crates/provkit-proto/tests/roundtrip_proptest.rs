//! Property tests: every message kind survives encode → decode unchanged (including negative
//! RSSI and enum values outside the schema), and arbitrary bytes never panic the decoders.

use proptest::prelude::*;
use provkit_proto::*;

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

/// Any i32 with extra weight on the declared range, so both known and unknown values occur.
fn enum_value() -> impl Strategy<Value = i32> {
    prop_oneof![0..8i32, any::<i32>()]
}

fn session_data() -> impl Strategy<Value = SessionData> {
    let sec0 = prop_oneof![
        Just(sec0_payload::Payload::Sc(S0SessionCmd {})),
        enum_value().prop_map(|status| sec0_payload::Payload::Sr(S0SessionResp { status })),
    ]
    .prop_map(|p| {
        session_data::Proto::Sec0(Sec0Payload {
            msg: 0,
            payload: Some(p),
        })
    });
    let sec1 = prop_oneof![
        bytes(40).prop_map(|k| sec1_payload::Payload::Sc0(SessionCmd0 { client_pubkey: k })),
        (enum_value(), bytes(40), bytes(20)).prop_map(|(status, device_pubkey, device_random)| {
            sec1_payload::Payload::Sr0(SessionResp0 {
                status,
                device_pubkey,
                device_random,
            })
        }),
        bytes(40).prop_map(|d| sec1_payload::Payload::Sc1(SessionCmd1 {
            client_verify_data: d
        })),
        (enum_value(), bytes(40)).prop_map(|(status, d)| {
            sec1_payload::Payload::Sr1(SessionResp1 {
                status,
                device_verify_data: d,
            })
        }),
    ];
    let sec1 = (enum_value(), proptest::option::of(sec1))
        .prop_map(|(msg, payload)| session_data::Proto::Sec1(Sec1Payload { msg, payload }));
    let sec2 = prop_oneof![
        (bytes(30), bytes(400)).prop_map(|(u, a)| sec2_payload::Payload::Sc0(S2SessionCmd0 {
            client_username: u,
            client_pubkey: a,
        })),
        (enum_value(), bytes(400), bytes(32)).prop_map(|(status, b, salt)| {
            sec2_payload::Payload::Sr0(S2SessionResp0 {
                status,
                device_pubkey: b,
                device_salt: salt,
            })
        }),
        bytes(70).prop_map(|m| sec2_payload::Payload::Sc1(S2SessionCmd1 { client_proof: m })),
        (enum_value(), bytes(70), bytes(16)).prop_map(|(status, p, n)| {
            sec2_payload::Payload::Sr1(S2SessionResp1 {
                status,
                device_proof: p,
                device_nonce: n,
            })
        }),
    ];
    let sec2 = (enum_value(), proptest::option::of(sec2))
        .prop_map(|(msg, payload)| session_data::Proto::Sec2(Sec2Payload { msg, payload }));
    (
        enum_value(),
        proptest::option::of(prop_oneof![sec0, sec1, sec2]),
    )
        .prop_map(|(sec_ver, proto)| SessionData { sec_ver, proto })
}

fn config_payload() -> impl Strategy<Value = WiFiConfigPayload> {
    use wi_fi_config_payload::Payload;
    let state = prop_oneof![
        enum_value().prop_map(resp_get_status::State::FailReason),
        (".{0,15}", enum_value(), bytes(33), bytes(6), any::<i32>()).prop_map(
            |(ip4_addr, auth_mode, ssid, bssid, channel)| {
                resp_get_status::State::Connected(WifiConnectedState {
                    ip4_addr,
                    auth_mode,
                    ssid,
                    bssid,
                    channel,
                })
            }
        ),
        any::<u32>().prop_map(|attempts_remaining| {
            resp_get_status::State::AttemptFailed(WifiAttemptFailed { attempts_remaining })
        }),
    ];
    let payload = prop_oneof![
        Just(Payload::CmdGetStatus(CmdGetStatus {})),
        (enum_value(), enum_value(), proptest::option::of(state)).prop_map(
            |(status, sta_state, state)| Payload::RespGetStatus(RespGetStatus {
                status,
                sta_state,
                state
            })
        ),
        (bytes(40), bytes(70), bytes(6), any::<i32>()).prop_map(
            |(ssid, passphrase, bssid, channel)| {
                Payload::CmdSetConfig(CmdSetConfig {
                    ssid,
                    passphrase,
                    bssid,
                    channel,
                })
            }
        ),
        enum_value().prop_map(|status| Payload::RespSetConfig(RespSetConfig { status })),
        Just(Payload::CmdApplyConfig(CmdApplyConfig {})),
        enum_value().prop_map(|status| Payload::RespApplyConfig(RespApplyConfig { status })),
    ];
    (enum_value(), proptest::option::of(payload))
        .prop_map(|(msg, payload)| WiFiConfigPayload { msg, payload })
}

fn scan_payload() -> impl Strategy<Value = WiFiScanPayload> {
    use wi_fi_scan_payload::Payload;
    let entry = (
        bytes(33),
        any::<u32>(),
        any::<i32>(),
        bytes(6),
        enum_value(),
    )
        .prop_map(|(ssid, channel, rssi, bssid, auth)| WiFiScanResult {
            ssid,
            channel,
            rssi,
            bssid,
            auth,
        });
    let payload = prop_oneof![
        (any::<bool>(), any::<bool>(), any::<u32>(), any::<u32>()).prop_map(
            |(blocking, passive, group_channels, period_ms)| Payload::CmdScanStart(CmdScanStart {
                blocking,
                passive,
                group_channels,
                period_ms
            })
        ),
        Just(Payload::RespScanStart(RespScanStart {})),
        Just(Payload::CmdScanStatus(CmdScanStatus {})),
        (any::<bool>(), any::<u32>()).prop_map(|(scan_finished, result_count)| {
            Payload::RespScanStatus(RespScanStatus {
                scan_finished,
                result_count,
            })
        }),
        (any::<u32>(), any::<u32>()).prop_map(|(start_index, count)| {
            Payload::CmdScanResult(CmdScanResult { start_index, count })
        }),
        proptest::collection::vec(entry, 0..5)
            .prop_map(|entries| Payload::RespScanResult(RespScanResult { entries })),
    ];
    (enum_value(), enum_value(), proptest::option::of(payload)).prop_map(
        |(msg, status, payload)| WiFiScanPayload {
            msg,
            status,
            payload,
        },
    )
}

fn ctrl_payload() -> impl Strategy<Value = WiFiCtrlPayload> {
    use wi_fi_ctrl_payload::Payload;
    let payload = prop_oneof![
        Just(Payload::CmdCtrlReset(CmdCtrlReset {})),
        Just(Payload::RespCtrlReset(RespCtrlReset {})),
        Just(Payload::CmdCtrlReprov(CmdCtrlReprov {})),
        Just(Payload::RespCtrlReprov(RespCtrlReprov {})),
    ];
    (enum_value(), enum_value(), proptest::option::of(payload)).prop_map(
        |(msg, status, payload)| WiFiCtrlPayload {
            msg,
            status,
            payload,
        },
    )
}

fn assert_round_trip<M: Message + Default + PartialEq + std::fmt::Debug>(
    message: &M,
) -> Result<(), TestCaseError> {
    let bytes = message.encode_to_vec();
    prop_assert_eq!(bytes.len(), message.encoded_len());
    let decoded = M::decode(&bytes[..]).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&decoded, message);
    prop_assert_eq!(decoded.encode_to_vec(), bytes);
    Ok(())
}

/// Decoding arbitrary bytes must not panic; whatever decodes re-encodes to a fixed point.
fn assert_decoder_total<M: Message + Default + PartialEq + std::fmt::Debug>(
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    if let Ok(message) = M::decode(bytes) {
        let again = M::decode(&message.encode_to_vec()[..])
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again, message);
    }
    Ok(())
}

proptest! {
    #[test]
    fn session_data_round_trips(message in session_data()) {
        assert_round_trip(&message)?;
    }

    #[test]
    fn config_payload_round_trips(message in config_payload()) {
        assert_round_trip(&message)?;
    }

    #[test]
    fn scan_payload_round_trips(message in scan_payload()) {
        assert_round_trip(&message)?;
    }

    #[test]
    fn ctrl_payload_round_trips(message in ctrl_payload()) {
        assert_round_trip(&message)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_decoder(input in bytes(200)) {
        assert_decoder_total::<SessionData>(&input)?;
        assert_decoder_total::<WiFiConfigPayload>(&input)?;
        assert_decoder_total::<WiFiScanPayload>(&input)?;
        assert_decoder_total::<WiFiCtrlPayload>(&input)?;
    }
}
