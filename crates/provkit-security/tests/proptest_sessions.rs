//! Property tests: random PoPs, keys and message sequences complete and round-trip; random
//! bytes never panic either role.

mod common;

use common::{ScriptedRng, TestRng};
use proptest::prelude::*;
use provkit_security::{
    ClientSecurityConfig, ClientSession, DeviceSecurityConfig, DeviceSession, SecurityError,
};

/// Handshake with the given randomness: client secret, then device secret and random.
fn sec1_handshake(
    client_pop: Option<Vec<u8>>,
    device_pop: Option<Vec<u8>>,
    client_secret: &[u8; 32],
    device_secret: &[u8; 32],
    device_random: &[u8; 16],
) -> Result<(ClientSession, DeviceSession), SecurityError> {
    let mut client_rng = ScriptedRng::new(&[client_secret]);
    let mut device_rng = ScriptedRng::new(&[device_secret, device_random]);
    let mut client = ClientSession::new(ClientSecurityConfig::Sec1 { pop: client_pop });
    let mut device = DeviceSession::new(DeviceSecurityConfig::Sec1 { pop: device_pop });
    let cmd0 = client.start(&mut client_rng)?;
    let resp0 = device.handle_session(&cmd0, &mut device_rng)?;
    let cmd1 = client
        .handle_response(&resp0, &mut client_rng)?
        .ok_or(SecurityError::OutOfOrder)?;
    let resp1 = device.handle_session(&cmd1, &mut device_rng)?;
    match client.handle_response(&resp1, &mut client_rng)? {
        None => Ok((client, device)),
        Some(_) => Err(SecurityError::OutOfOrder),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sec1_sessions_complete_and_round_trip(
        pop in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
        client_secret in any::<[u8; 32]>(),
        device_secret in any::<[u8; 32]>(),
        device_random in any::<[u8; 16]>(),
        messages in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..12),
    ) {
        let (mut client, mut device) =
            sec1_handshake(pop.clone(), pop, &client_secret, &device_secret, &device_random)
                .expect("matching PoPs complete");
        prop_assert!(client.is_established() && device.is_established());
        for (i, message) in messages.iter().enumerate() {
            // Alternate directions, as requests and responses do.
            let (ciphertext, received) = if i % 2 == 0 {
                let c = client.encrypt(message).expect("encrypt");
                let p = device.decrypt(&c).expect("decrypt");
                (c, p)
            } else {
                let c = device.encrypt(message).expect("encrypt");
                let p = client.decrypt(&c).expect("decrypt");
                (c, p)
            };
            prop_assert_eq!(ciphertext.len(), message.len());
            prop_assert_eq!(&received, message);
        }
    }

    #[test]
    fn sec1_mismatched_pops_never_establish(
        client_pop in proptest::collection::vec(any::<u8>(), 1..20),
        device_pop in proptest::collection::vec(any::<u8>(), 1..20),
        client_secret in any::<[u8; 32]>(),
        device_secret in any::<[u8; 32]>(),
        device_random in any::<[u8; 16]>(),
    ) {
        prop_assume!(client_pop != device_pop);
        let result = sec1_handshake(
            Some(client_pop), Some(device_pop), &client_secret, &device_secret, &device_random,
        );
        prop_assert_eq!(result.err(), Some(SecurityError::AuthenticationFailed));
    }

    #[test]
    fn sec0_sessions_complete_and_pass_data(
        messages in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 0..8),
    ) {
        let mut rng = TestRng::seeded(0);
        let mut client = ClientSession::new(ClientSecurityConfig::Sec0);
        let mut device = DeviceSession::new(DeviceSecurityConfig::Sec0);
        let cmd = client.start(&mut rng).expect("start");
        let resp = device.handle_session(&cmd, &mut rng).expect("sec0");
        prop_assert_eq!(client.handle_response(&resp, &mut rng).expect("resp"), None);
        for message in &messages {
            let sent = client.encrypt(message).expect("copy");
            prop_assert_eq!(&device.decrypt(&sent).expect("copy"), message);
        }
    }

    #[test]
    fn random_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..300),
        seed in any::<u64>(),
    ) {
        let mut rng = TestRng::seeded(seed);
        for config in [
            DeviceSecurityConfig::Sec0,
            DeviceSecurityConfig::Sec1 { pop: Some(b"pop".to_vec()) },
        ] {
            let mut device = DeviceSession::new(config);
            let _ = device.handle_session(&body, &mut rng);
            let _ = device.decrypt(&body);
        }
        for config in [
            ClientSecurityConfig::Sec0,
            ClientSecurityConfig::Sec1 { pop: None },
        ] {
            let mut client = ClientSession::new(config);
            client.start(&mut rng).expect("start");
            let _ = client.handle_response(&body, &mut rng);
        }
    }

    #[test]
    fn random_bytes_after_a_valid_command0_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..120),
        seed in any::<u64>(),
    ) {
        let mut rng = TestRng::seeded(seed);
        let mut client = ClientSession::new(ClientSecurityConfig::Sec1 { pop: None });
        let mut device = DeviceSession::new(DeviceSecurityConfig::Sec1 { pop: None });
        let cmd0 = client.start(&mut rng).expect("start");
        device.handle_session(&cmd0, &mut rng).expect("cmd0");
        if device.handle_session(&body, &mut rng).is_err() {
            prop_assert!(!device.is_established());
        }
    }
}
