//! The façade on its own terms: sec0 bytes, restarts, and every kind of bad input giving a
//! typed error (never a panic) from both roles.

mod common;

use common::{TestRng, hex_of, load_vectors};
use provkit_proto::{
    Message, S2SessionCmd0, S2SessionCmd1, Sec1MsgType, Sec1Payload, Sec2MsgType, Sec2Payload,
    SessionCmd0, SessionCmd1, SessionData, SessionResp0, sec1_payload, sec2_payload,
    session_data::Proto,
};
use provkit_security::{
    ClientSecurityConfig, ClientSession, DeviceSecurityConfig, DeviceSession, Sec2Patch,
    SecurityError,
};

fn sec1_body(msg: Sec1MsgType, payload: Option<sec1_payload::Payload>) -> Vec<u8> {
    SessionData {
        sec_ver: 1,
        proto: Some(Proto::Sec1(Sec1Payload {
            msg: msg as i32,
            payload,
        })),
    }
    .encode_to_vec()
}

fn sec2_body(msg: Sec2MsgType, payload: Option<sec2_payload::Payload>) -> Vec<u8> {
    SessionData {
        sec_ver: 2,
        proto: Some(Proto::Sec2(Sec2Payload {
            msg: msg as i32,
            payload,
        })),
    }
    .encode_to_vec()
}

fn cmd0_with_key(len: usize) -> Vec<u8> {
    sec1_body(
        Sec1MsgType::SessionCommand0,
        Some(sec1_payload::Payload::Sc0(SessionCmd0 {
            client_pubkey: vec![9; len],
        })),
    )
}

fn sec1_device() -> DeviceSession {
    DeviceSession::new(DeviceSecurityConfig::Sec1 {
        pop: Some(b"abcd1234".to_vec()),
    })
}

/// Runs a full client/device handshake through the façade; returns both ends.
fn handshake(
    device_config: DeviceSecurityConfig,
    client_config: ClientSecurityConfig,
    rng: &mut TestRng,
) -> Result<(DeviceSession, ClientSession), SecurityError> {
    let mut device = DeviceSession::new(device_config);
    let mut client = ClientSession::new(client_config);
    let mut request = client.start(rng)?;
    loop {
        let response = device.handle_session(&request, rng)?;
        match client.handle_response(&response, rng)? {
            Some(next) => request = next,
            None => return Ok((device, client)),
        }
    }
}

#[test]
fn sec0_handshake_is_byte_exact() {
    let vectors = load_vectors("messages.json");
    let session = vectors["session"].as_array().expect("session");
    let command = hex_of(&session[0]["hex"]);
    let response = hex_of(&session[1]["hex"]);
    assert_eq!(command, [0x52, 0x03, 0xa2, 0x01, 0x00]);

    let mut rng = TestRng::seeded(1);
    let mut client = ClientSession::new(ClientSecurityConfig::Sec0);
    assert_eq!(client.start(&mut rng).expect("start"), command);
    let mut device = DeviceSession::new(DeviceSecurityConfig::Sec0);
    // Sec0 has no session state: data passes even before the handshake, unchanged.
    assert!(device.is_established());
    assert_eq!(device.decrypt(&[0x52, 0x00]).expect("copy"), [0x52, 0x00]);
    assert_eq!(
        device.handle_session(&command, &mut rng).expect("sec0"),
        response
    );
    assert_eq!(
        client.handle_response(&response, &mut rng).expect("resp"),
        None
    );
    assert_eq!(client.encrypt(b"\x08\x04").expect("copy"), b"\x08\x04");
    assert_eq!(
        device.encrypt(b"\x08\x05\x7a\x00").expect("copy"),
        b"\x08\x05\x7a\x00"
    );
}

#[test]
fn config_reports_versions() {
    assert_eq!(DeviceSecurityConfig::Sec0.sec_ver(), 0);
    assert_eq!(sec1_device().config().sec_ver(), 1);
    let sec2 = |patch| DeviceSecurityConfig::Sec2 {
        salt: vec![1; 16],
        verifier: vec![2; 384],
        patch,
    };
    assert_eq!(sec2(Sec2Patch::Patch1).sec_ver(), 2);
    assert_eq!(sec2(Sec2Patch::Patch1).sec_patch_ver(), 1);
    assert_eq!(sec2(Sec2Patch::Patch0).sec_patch_ver(), 0);
    assert_eq!(DeviceSecurityConfig::Sec0.sec_patch_ver(), 0);
    // Debug output must not leak the PoP.
    let shown = format!("{:?}", sec1_device().config());
    assert!(
        !shown.contains("abcd") && !shown.contains("97, 98"),
        "{shown}"
    );
}

#[test]
fn wrong_security_version_is_rejected() {
    let mut rng = TestRng::seeded(2);
    let mut device = sec1_device();
    // A sec0 request at a sec1 device.
    assert_eq!(
        device.handle_session(&[0x52, 0x03, 0xa2, 0x01, 0x00], &mut rng),
        Err(SecurityError::WrongSecurityVersion {
            expected: 1,
            got: 0
        })
    );
    // sec_ver says 1 but the oneof is sec2.
    let mixed = SessionData {
        sec_ver: 1,
        proto: Some(Proto::Sec2(Sec2Payload::default())),
    }
    .encode_to_vec();
    assert_eq!(
        device.handle_session(&mixed, &mut rng),
        Err(SecurityError::WrongSecurityVersion {
            expected: 1,
            got: 2
        })
    );
    // An unknown sec_ver value.
    let future = SessionData {
        sec_ver: 7,
        proto: None,
    }
    .encode_to_vec();
    assert_eq!(
        device.handle_session(&future, &mut rng),
        Err(SecurityError::WrongSecurityVersion {
            expected: 1,
            got: 7
        })
    );
    // A client talking sec1 to a sec0 device.
    let mut sec0_device = DeviceSession::new(DeviceSecurityConfig::Sec0);
    assert_eq!(
        sec0_device.handle_session(&cmd0_with_key(32), &mut rng),
        Err(SecurityError::WrongSecurityVersion {
            expected: 0,
            got: 1
        })
    );
}

#[test]
fn missing_payloads_and_mismatched_msg_types_are_rejected() {
    let mut rng = TestRng::seeded(3);
    let mut device = sec1_device();
    let no_proto = SessionData {
        sec_ver: 1,
        proto: None,
    }
    .encode_to_vec();
    assert!(matches!(
        device.handle_session(&no_proto, &mut rng),
        Err(SecurityError::MalformedMessage(_))
    ));
    assert!(matches!(
        device.handle_session(&sec1_body(Sec1MsgType::SessionCommand0, None), &mut rng),
        Err(SecurityError::MalformedMessage(_))
    ));
    // msg says Command1, payload is a Command0.
    let mismatched = sec1_body(
        Sec1MsgType::SessionCommand1,
        Some(sec1_payload::Payload::Sc0(SessionCmd0 {
            client_pubkey: vec![9; 32],
        })),
    );
    assert!(matches!(
        device.handle_session(&mismatched, &mut rng),
        Err(SecurityError::MalformedMessage(_))
    ));
    // A response sent to the device.
    let response = sec1_body(
        Sec1MsgType::SessionResponse0,
        Some(sec1_payload::Payload::Sr0(SessionResp0::default())),
    );
    assert!(matches!(
        device.handle_session(&response, &mut rng),
        Err(SecurityError::MalformedMessage(_))
    ));
    // An out-of-range msg type.
    let unknown = Sec1Payload {
        msg: 42,
        payload: Some(sec1_payload::Payload::Sc0(SessionCmd0 {
            client_pubkey: vec![9; 32],
        })),
    };
    let body = SessionData {
        sec_ver: 1,
        proto: Some(Proto::Sec1(unknown)),
    };
    assert!(matches!(
        device.handle_session(&body.encode_to_vec(), &mut rng),
        Err(SecurityError::MalformedMessage(_))
    ));
    // sec0 with msg = Response but a command payload.
    let sec0_mismatch = [0x52, 0x05, 0x08, 0x01, 0xa2, 0x01, 0x00];
    let mut sec0_device = DeviceSession::new(DeviceSecurityConfig::Sec0);
    assert!(matches!(
        sec0_device.handle_session(&sec0_mismatch, &mut rng),
        Err(SecurityError::MalformedMessage(_))
    ));
    // A sec2 payload without its oneof.
    let mut sec2_device = DeviceSession::new(DeviceSecurityConfig::Sec2 {
        salt: vec![1; 16],
        verifier: vec![2; 384],
        patch: Sec2Patch::Patch1,
    });
    assert!(matches!(
        sec2_device.handle_session(&sec2_body(Sec2MsgType::S2SessionCommand0, None), &mut rng),
        Err(SecurityError::MalformedMessage(_))
    ));
}

#[test]
fn wrong_lengths_are_rejected() {
    let mut rng = TestRng::seeded(4);
    let mut device = sec1_device();
    for len in [0, 31, 33, 64] {
        assert_eq!(
            device.handle_session(&cmd0_with_key(len), &mut rng),
            Err(SecurityError::BadLength {
                field: "client_pubkey",
                expected: "32",
                got: len
            })
        );
    }
    for len in [0, 16, 31, 33] {
        device
            .handle_session(&cmd0_with_key(32), &mut rng)
            .expect("cmd0");
        let cmd1 = sec1_body(
            Sec1MsgType::SessionCommand1,
            Some(sec1_payload::Payload::Sc1(SessionCmd1 {
                client_verify_data: vec![1; len],
            })),
        );
        assert_eq!(
            device.handle_session(&cmd1, &mut rng),
            Err(SecurityError::BadLength {
                field: "client_verify_data",
                expected: "32",
                got: len
            })
        );
    }

    // Client: a device key or random of the wrong size.
    for (pubkey_len, random_len, field) in [(31, 16, "device_pubkey"), (32, 15, "device_random")] {
        let mut client = ClientSession::new(ClientSecurityConfig::Sec1 { pop: None });
        client.start(&mut rng).expect("start");
        let resp0 = sec1_body(
            Sec1MsgType::SessionResponse0,
            Some(sec1_payload::Payload::Sr0(SessionResp0 {
                status: 0,
                device_pubkey: vec![9; pubkey_len],
                device_random: vec![1; random_len],
            })),
        );
        assert!(matches!(
            client.handle_response(&resp0, &mut rng),
            Err(SecurityError::BadLength { field: f, .. }) if f == field
        ));
    }

    // sec2: A is 1..=384 bytes (the minimal encoding Espressif's clients send is accepted),
    // the proof 1..=64.
    let mut sec2_device = DeviceSession::new(DeviceSecurityConfig::Sec2 {
        salt: vec![1; 16],
        verifier: vec![2; 384],
        patch: Sec2Patch::Patch1,
    });
    for len in [0, 385] {
        let cmd0 = sec2_body(
            Sec2MsgType::S2SessionCommand0,
            Some(sec2_payload::Payload::Sc0(S2SessionCmd0 {
                client_username: b"wifiprov".to_vec(),
                client_pubkey: vec![7; len],
            })),
        );
        assert!(matches!(
            sec2_device.handle_session(&cmd0, &mut rng),
            Err(SecurityError::BadLength { field: "client_pubkey", got, .. }) if got == len
        ));
    }
    let cmd0 = sec2_body(
        Sec2MsgType::S2SessionCommand0,
        Some(sec2_payload::Payload::Sc0(S2SessionCmd0 {
            client_username: b"wifiprov".to_vec(),
            client_pubkey: vec![7; 383],
        })),
    );
    assert!(sec2_device.handle_session(&cmd0, &mut rng).is_ok());
    for len in [0, 65] {
        let cmd1 = sec2_body(
            Sec2MsgType::S2SessionCommand1,
            Some(sec2_payload::Payload::Sc1(S2SessionCmd1 {
                client_proof: vec![7; len],
            })),
        );
        assert!(matches!(
            sec2_device.handle_session(&cmd1, &mut rng),
            Err(SecurityError::BadLength { field: "client_proof", got, .. }) if got == len
        ));
        // A rejected Command1 ends the handshake; start it again for the next length.
        assert!(sec2_device.handle_session(&cmd0, &mut rng).is_ok());
    }
}

#[test]
fn oversized_and_empty_usernames_are_rejected() {
    let mut rng = TestRng::seeded(5);
    let mut device = DeviceSession::new(DeviceSecurityConfig::Sec2 {
        salt: vec![1; 16],
        verifier: vec![2; 384],
        patch: Sec2Patch::Patch1,
    });
    for len in [0, 65536, 70000] {
        let cmd0 = sec2_body(
            Sec2MsgType::S2SessionCommand0,
            Some(sec2_payload::Payload::Sc0(S2SessionCmd0 {
                client_username: vec![b'u'; len],
                client_pubkey: vec![7; 384],
            })),
        );
        assert!(matches!(
            device.handle_session(&cmd0, &mut rng),
            Err(SecurityError::BadLength { field: "client_username", got, .. }) if got == len
        ));
    }
    let mut client = ClientSession::new(ClientSecurityConfig::Sec2 {
        username: vec![b'u'; 65536],
        password: b"abcd1234".to_vec(),
        patch: Sec2Patch::Patch1,
    });
    assert!(
        client.start(&mut rng).is_err(),
        "a 64 KiB username cannot be sent"
    );
}

#[test]
fn command1_before_command0_is_out_of_order() {
    let mut rng = TestRng::seeded(6);
    let mut device = sec1_device();
    let cmd1 = sec1_body(
        Sec1MsgType::SessionCommand1,
        Some(sec1_payload::Payload::Sc1(SessionCmd1 {
            client_verify_data: vec![1; 32],
        })),
    );
    assert_eq!(
        device.handle_session(&cmd1, &mut rng),
        Err(SecurityError::OutOfOrder)
    );

    let mut sec2_device = DeviceSession::new(DeviceSecurityConfig::Sec2 {
        salt: vec![1; 16],
        verifier: vec![2; 384],
        patch: Sec2Patch::Patch0,
    });
    let cmd1 = sec2_body(
        Sec2MsgType::S2SessionCommand1,
        Some(sec2_payload::Payload::Sc1(S2SessionCmd1 {
            client_proof: vec![1; 64],
        })),
    );
    assert_eq!(
        sec2_device.handle_session(&cmd1, &mut rng),
        Err(SecurityError::OutOfOrder)
    );

    // A client that has not started, or is already established, takes no response.
    let mut client = ClientSession::new(ClientSecurityConfig::Sec0);
    assert_eq!(
        client.handle_response(&[0x52, 0x05, 0x08, 0x01, 0xaa, 0x01, 0x00], &mut rng),
        Err(SecurityError::OutOfOrder)
    );
}

#[test]
fn truncated_and_garbage_bodies_are_decode_errors() {
    let mut rng = TestRng::seeded(7);
    let good = cmd0_with_key(32);
    let mut device = sec1_device();
    for cut in 1..good.len() {
        let result = device.handle_session(&good[..cut], &mut rng);
        assert!(result.is_err(), "truncated at {cut} accepted");
    }
    assert_eq!(
        device.handle_session(&good[..good.len() - 1], &mut rng),
        Err(SecurityError::Decode)
    );
    assert_eq!(
        device.handle_session(&[0xff, 0xff, 0xff], &mut rng),
        Err(SecurityError::Decode)
    );
    let mut client = ClientSession::new(ClientSecurityConfig::Sec1 { pop: None });
    client.start(&mut rng).expect("start");
    assert_eq!(
        client.handle_response(&[0x10, 0x01, 0x5a, 0x39, 0x08], &mut rng),
        Err(SecurityError::Decode)
    );
}

#[test]
fn client_rejects_error_status_and_wrong_scheme() {
    let mut rng = TestRng::seeded(8);
    let mut client = ClientSession::new(ClientSecurityConfig::Sec0);
    client.start(&mut rng).expect("start");
    // sec0 response with status InvalidSession (7).
    assert_eq!(
        client.handle_response(
            &[0x52, 0x07, 0x08, 0x01, 0xaa, 0x01, 0x02, 0x08, 0x07],
            &mut rng
        ),
        Err(SecurityError::PeerStatus(7))
    );
    let mut client = ClientSession::new(ClientSecurityConfig::Sec1 { pop: None });
    client.start(&mut rng).expect("start");
    assert_eq!(
        client.handle_response(&[0x52, 0x05, 0x08, 0x01, 0xaa, 0x01, 0x00], &mut rng),
        Err(SecurityError::WrongSecurityVersion {
            expected: 1,
            got: 0
        })
    );
    // After the error the client must start again.
    assert_eq!(
        client.handle_response(&[0x52, 0x05, 0x08, 0x01, 0xaa, 0x01, 0x00], &mut rng),
        Err(SecurityError::OutOfOrder)
    );
}

#[test]
fn command0_restarts_an_established_session() {
    let mut rng = TestRng::seeded(9);
    let pop = Some(b"abcd1234".to_vec());
    let (mut device, mut client) = handshake(
        DeviceSecurityConfig::Sec1 { pop: pop.clone() },
        ClientSecurityConfig::Sec1 { pop: pop.clone() },
        &mut rng,
    )
    .expect("handshake");
    let request = client.encrypt(b"hello").expect("encrypt");
    assert_eq!(device.decrypt(&request).expect("decrypt"), b"hello");

    // A new client restarts the handshake on the same device session.
    let mut second = ClientSession::new(ClientSecurityConfig::Sec1 { pop });
    let cmd0 = second.start(&mut rng).expect("start");
    let resp0 = device.handle_session(&cmd0, &mut rng).expect("restart");
    assert!(!device.is_established(), "the old session is gone");
    assert_eq!(device.encrypt(b"x"), Err(SecurityError::NotEstablished));
    let cmd1 = second
        .handle_response(&resp0, &mut rng)
        .expect("resp0")
        .expect("cmd1");
    let resp1 = device.handle_session(&cmd1, &mut rng).expect("cmd1");
    assert_eq!(
        second.handle_response(&resp1, &mut rng).expect("resp1"),
        None
    );
    let request = second.encrypt(b"again").expect("encrypt");
    assert_eq!(device.decrypt(&request).expect("decrypt"), b"again");
}

#[test]
fn sec2_through_the_facade_round_trips_and_rejects_a_wrong_password() {
    let mut rng = TestRng::seeded(10);
    let (salt, verifier) = provkit_security::generate_sec2_credentials(
        b"wifiprov",
        b"abcd1234",
        16,
        provkit_security::VerifierConvention::EspIdf,
        &mut rng,
    )
    .expect("credentials");
    assert_ne!(salt.first(), Some(&0), "never a leading-zero salt");
    for patch in [Sec2Patch::Patch0, Sec2Patch::Patch1] {
        let device_config = DeviceSecurityConfig::Sec2 {
            salt: salt.clone(),
            verifier: verifier.clone(),
            patch,
        };
        let (mut device, mut client) = handshake(
            device_config.clone(),
            ClientSecurityConfig::Sec2 {
                username: b"wifiprov".to_vec(),
                password: b"abcd1234".to_vec(),
                patch,
            },
            &mut rng,
        )
        .expect("handshake");
        for round in 0..3u8 {
            let request = client.encrypt(&[round; 10]).expect("encrypt");
            assert_eq!(request.len(), 10 + 16, "ciphertext plus tag");
            assert_eq!(device.decrypt(&request).expect("decrypt"), [round; 10]);
            let response = device.encrypt(&[round ^ 0xff; 3]).expect("encrypt");
            assert_eq!(
                client.decrypt(&response).expect("decrypt"),
                [round ^ 0xff; 3]
            );
        }
        let wrong = handshake(
            device_config,
            ClientSecurityConfig::Sec2 {
                username: b"wifiprov".to_vec(),
                password: b"wrong".to_vec(),
                patch,
            },
            &mut rng,
        );
        assert_eq!(wrong.err(), Some(SecurityError::AuthenticationFailed));
    }
}

#[test]
fn sec1_wrong_pop_fails_the_facade_handshake() {
    let mut rng = TestRng::seeded(11);
    let result = handshake(
        DeviceSecurityConfig::Sec1 {
            pop: Some(b"abcd1234".to_vec()),
        },
        ClientSecurityConfig::Sec1 {
            pop: Some(b"abcd1235".to_vec()),
        },
        &mut rng,
    );
    assert_eq!(result.err(), Some(SecurityError::AuthenticationFailed));
    // PoP on one side only is a mismatch too.
    let result = handshake(
        DeviceSecurityConfig::Sec1 { pop: None },
        ClientSecurityConfig::Sec1 {
            pop: Some(b"abcd1234".to_vec()),
        },
        &mut rng,
    );
    assert_eq!(result.err(), Some(SecurityError::AuthenticationFailed));
}

#[test]
fn sec2_nonce_counter_exhaustion_is_a_typed_error() {
    use provkit_security::sec2::GcmCipher;
    let key = [0x42; 32];
    // Session id, then the big-endian counter two steps before it wraps.
    let nonce = [1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xfe];
    let mut client = GcmCipher::new(&key, &nonce, Sec2Patch::Patch1).expect("cipher");
    let mut device = GcmCipher::new(&key, &nonce, Sec2Patch::Patch1).expect("cipher");
    let request = client.encrypt(b"last request").expect("counter fffffffe");
    assert_eq!(device.decrypt(&request).expect("decrypt"), b"last request");
    let response = device.encrypt(b"last response").expect("counter ffffffff");
    assert_eq!(
        client.decrypt(&response).expect("decrypt"),
        b"last response"
    );
    // Both counters are now 0, which the firmware refuses: re-handshake needed.
    assert_eq!(
        client.encrypt(b"one more"),
        Err(SecurityError::CounterExhausted)
    );
    assert_eq!(
        device.encrypt(b"one more"),
        Err(SecurityError::CounterExhausted)
    );
    assert_eq!(
        device.decrypt(&request),
        Err(SecurityError::CounterExhausted)
    );
}
