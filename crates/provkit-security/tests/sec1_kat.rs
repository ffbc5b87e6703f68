//! Security 1 known answers: every case of `sec1.json`, byte for byte, from both roles.

mod common;

use common::{ScriptedRng, array_of, hex_of, load_vectors};
use provkit_security::sec1::{Sec1Cipher, session_key};
use provkit_security::{
    ClientSecurityConfig, ClientSession, DeviceSecurityConfig, DeviceSession, SecurityError,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn cases() -> Vec<Value> {
    let vectors = load_vectors("sec1.json");
    let cases = vectors["cases"].as_array().expect("cases").clone();
    assert_eq!(cases.len(), 4, "sec1.json has four passing cases");
    cases
}

fn step_hex(case: &Value, step: &str) -> Vec<u8> {
    let steps = case["handshake"].as_array().expect("handshake");
    let found = steps
        .iter()
        .find(|s| s["step"] == step)
        .unwrap_or_else(|| panic!("no step {step}"));
    hex_of(&found["hex"])
}

/// The PoP the way a caller configures it: raw (latin-1) bytes, `None` when empty.
fn pop_of(hex_value: &Value) -> Option<Vec<u8>> {
    let pop = hex_of(hex_value);
    (!pop.is_empty()).then_some(pop)
}

#[test]
fn derived_values_match() {
    for case in cases() {
        let name = case["name"].as_str().unwrap_or_default();
        let inputs = &case["inputs"];
        let derived = &case["derived"];
        let client_private: [u8; 32] = array_of(&inputs["client_private_key"]);
        let device_private: [u8; 32] = array_of(&inputs["device_private_key"]);
        let client_public =
            x25519_dalek::x25519(client_private, x25519_dalek::X25519_BASEPOINT_BYTES);
        let device_public =
            x25519_dalek::x25519(device_private, x25519_dalek::X25519_BASEPOINT_BYTES);
        assert_eq!(
            client_public.to_vec(),
            hex_of(&derived["client_public_key"]),
            "{name}"
        );
        assert_eq!(
            device_public.to_vec(),
            hex_of(&derived["device_public_key"]),
            "{name}"
        );
        let shared = x25519_dalek::x25519(client_private, device_public);
        assert_eq!(
            shared.to_vec(),
            hex_of(&derived["x25519_shared_secret"]),
            "{name}"
        );

        let pop = hex_of(&inputs["pop_hex"]);
        let key = session_key(&shared, Some(&pop));
        assert_eq!(key.to_vec(), hex_of(&derived["aes256_ctr_key"]), "{name}");
        if pop.is_empty() {
            // No PoP: no hash is recorded and the key is the raw shared secret.
            assert!(derived["sha256_pop"].is_null(), "{name}");
            assert_eq!(*key, shared, "{name}");
        } else {
            assert_eq!(
                Sha256::digest(&pop).to_vec(),
                hex_of(&derived["sha256_pop"]),
                "{name}"
            );
            assert_ne!(*key, shared, "{name}");
        }
        // An empty PoP given as Some(empty) must mean the same as None.
        assert_eq!(
            *session_key(&shared, pop_of(&inputs["pop_hex"]).as_deref()),
            *key,
            "{name}"
        );
        assert_eq!(
            hex_of(&derived["aes_ctr_initial_counter_block"]),
            hex_of(&inputs["device_random"]),
            "{name}"
        );

        // The verify tokens and every session message from a bare cipher at the right offsets.
        let mut cipher = Sec1Cipher::new(&key, &array_of(&inputs["device_random"]));
        assert_eq!(
            cipher.encrypt(&device_public).expect("ks 0..31"),
            {
                let cmd1 = &case["handshake"][2];
                hex_of(&cmd1["decoded"]["sec1"]["sc1"]["client_verify_data"])
            },
            "{name}: client_verify_data"
        );
        assert_eq!(cipher.keystream_position(), 32);
        assert_eq!(
            cipher.encrypt(&client_public).expect("ks 32..63"),
            hex_of(&case["handshake"][3]["decoded"]["sec1"]["sr1"]["device_verify_data"]),
            "{name}: device_verify_data"
        );
        for message in case["session_messages"].as_array().expect("messages") {
            assert_eq!(
                cipher.keystream_position(),
                message["keystream_offset"].as_u64().expect("offset"),
                "{name}: offset of message {}",
                message["index"]
            );
            assert_eq!(
                cipher
                    .encrypt(&hex_of(&message["plaintext"]))
                    .expect("encrypt"),
                hex_of(&message["ciphertext"]),
                "{name}: message {}",
                message["index"]
            );
        }
    }
}

#[test]
fn device_role_reproduces_every_response_and_message() {
    for case in cases() {
        let name = case["name"].as_str().unwrap_or_default();
        let inputs = &case["inputs"];
        let device_private = hex_of(&inputs["device_private_key"]);
        let device_random = hex_of(&inputs["device_random"]);
        let mut rng = ScriptedRng::new(&[&device_private, &device_random]);
        let mut device = DeviceSession::new(DeviceSecurityConfig::Sec1 {
            pop: pop_of(&inputs["pop_hex"]),
        });

        let response0 = device
            .handle_session(&step_hex(&case, "command0"), &mut rng)
            .expect("command0 accepted");
        assert_eq!(response0, step_hex(&case, "response0"), "{name}: response0");
        assert_eq!(rng.remaining(), 0, "{name}: device drew secret then random");
        assert!(!device.is_established());
        assert_eq!(device.decrypt(b"x"), Err(SecurityError::NotEstablished));

        let response1 = device
            .handle_session(&step_hex(&case, "command1"), &mut rng)
            .expect("command1 accepted");
        assert_eq!(response1, step_hex(&case, "response1"), "{name}: response1");
        assert!(device.is_established());

        for message in case["session_messages"].as_array().expect("messages") {
            let plaintext = hex_of(&message["plaintext"]);
            let ciphertext = hex_of(&message["ciphertext"]);
            let index = &message["index"];
            match message["from"].as_str() {
                Some("client") => assert_eq!(
                    device.decrypt(&ciphertext).expect("decrypt"),
                    plaintext,
                    "{name}: request {index}"
                ),
                Some("device") => assert_eq!(
                    device.encrypt(&plaintext).expect("encrypt"),
                    ciphertext,
                    "{name}: response {index}"
                ),
                other => panic!("unknown sender {other:?}"),
            }
        }
    }
}

#[test]
fn client_role_reproduces_every_request_and_message() {
    for case in cases() {
        let name = case["name"].as_str().unwrap_or_default();
        let inputs = &case["inputs"];
        let mut rng = ScriptedRng::new(&[&hex_of(&inputs["client_private_key"])]);
        // Give the empty PoP as Some(empty) here (the device test uses None): same meaning.
        let mut client = ClientSession::new(ClientSecurityConfig::Sec1 {
            pop: Some(hex_of(&inputs["pop_hex"])),
        });

        assert_eq!(
            client.start(&mut rng).expect("start"),
            step_hex(&case, "command0"),
            "{name}: command0"
        );
        assert_eq!(rng.remaining(), 0);
        assert_eq!(
            client
                .handle_response(&step_hex(&case, "response0"), &mut rng)
                .expect("response0 accepted"),
            Some(step_hex(&case, "command1")),
            "{name}: command1"
        );
        assert!(!client.is_established());
        assert_eq!(
            client
                .handle_response(&step_hex(&case, "response1"), &mut rng)
                .expect("response1 accepted"),
            None,
            "{name}: established"
        );
        assert!(client.is_established());

        for message in case["session_messages"].as_array().expect("messages") {
            let plaintext = hex_of(&message["plaintext"]);
            let ciphertext = hex_of(&message["ciphertext"]);
            let index = &message["index"];
            match message["from"].as_str() {
                Some("client") => assert_eq!(
                    client.encrypt(&plaintext).expect("encrypt"),
                    ciphertext,
                    "{name}: request {index}"
                ),
                Some("device") => assert_eq!(
                    client.decrypt(&ciphertext).expect("decrypt"),
                    plaintext,
                    "{name}: response {index}"
                ),
                other => panic!("unknown sender {other:?}"),
            }
        }
    }
}

#[test]
fn carry_and_wrap_cases_are_the_ones_recorded() {
    // Guard against the vectors changing under the carry/wrap tests above.
    let cases = cases();
    let random_of = |name: &str| {
        let case = cases.iter().find(|c| c["name"] == name).expect("case");
        hex_of(&case["inputs"]["device_random"])
    };
    let carry = random_of("pop_ctr_carry_128bit");
    assert_eq!(carry[0], 0x7f);
    assert!(carry[1..15].iter().all(|&b| b == 0xff));
    assert_eq!(carry[15], 0xfe);
    assert!(
        random_of("pop_empty_ctr_wrap_128bit")
            .iter()
            .all(|&b| b == 0xff)
    );
}

#[test]
fn wrong_pop_is_rejected_by_both_roles() {
    let vectors = load_vectors("sec1.json");
    let case = &vectors["failing_cases"][0];
    assert_eq!(case["name"], "wrong_pop");
    let inputs = &case["inputs"];
    let derived = &case["derived"];
    let check = &case["device_check"];
    let device_private = hex_of(&inputs["device_private_key"]);
    let device_random = hex_of(&inputs["device_random"]);
    let device_pop = inputs["device_pop"]
        .as_str()
        .expect("pop")
        .as_bytes()
        .to_vec();
    let client_pop = inputs["client_pop"]
        .as_str()
        .expect("pop")
        .as_bytes()
        .to_vec();
    let steps = case["handshake"].as_array().expect("handshake");
    let command0 = hex_of(&steps[0]["hex"]);
    let response0 = hex_of(&steps[1]["hex"]);
    let command1 = hex_of(&steps[2]["hex"]);

    // Derived keys of both sides.
    let client_private: [u8; 32] = array_of(&inputs["client_private_key"]);
    let device_public: [u8; 32] = array_of(&derived["device_public_key"]);
    let shared = x25519_dalek::x25519(client_private, device_public);
    assert_eq!(shared.to_vec(), hex_of(&derived["x25519_shared_secret"]));
    let client_key = session_key(&shared, Some(&client_pop));
    let device_key = session_key(&shared, Some(&device_pop));
    assert_eq!(client_key.to_vec(), hex_of(&derived["client_aes_key"]));
    assert_eq!(device_key.to_vec(), hex_of(&derived["device_aes_key"]));

    // device_check: what the device decrypts, and what a correct PoP would have sent.
    let mut device_view = Sec1Cipher::new(&device_key, &array_of(&inputs["device_random"]));
    let decrypted = device_view
        .decrypt(&hex_of(&check["client_verify_data_received"]))
        .expect("decrypt");
    assert_eq!(decrypted, hex_of(&check["device_decrypts_it_to"]));
    assert_ne!(decrypted, hex_of(&check["must_equal_device_public_key"]));
    let mut correct_view = Sec1Cipher::new(&device_key, &array_of(&inputs["device_random"]));
    assert_eq!(
        correct_view.encrypt(&device_public).expect("encrypt"),
        hex_of(&check["client_verify_data_a_correct_pop_would_give"])
    );

    // Device: accepts command0, rejects the wrong-PoP command1 and answers nothing.
    let mut rng = ScriptedRng::new(&[&device_private, &device_random]);
    let mut device = DeviceSession::new(DeviceSecurityConfig::Sec1 {
        pop: Some(device_pop.clone()),
    });
    assert_eq!(
        device.handle_session(&command0, &mut rng).expect("cmd0"),
        response0
    );
    assert_eq!(
        device.handle_session(&command1, &mut rng),
        Err(SecurityError::AuthenticationFailed)
    );
    assert!(!device.is_established());
    // The failure reset the session: the correct command1 now is out of order.
    let correct_command1 = hex_of(&check["command1_hex_a_correct_pop_would_give"]);
    assert_eq!(
        device.handle_session(&correct_command1, &mut rng),
        Err(SecurityError::OutOfOrder)
    );

    // A fresh device with the same randomness accepts the correct command1.
    let mut rng = ScriptedRng::new(&[&device_private, &device_random]);
    let mut device = DeviceSession::new(DeviceSecurityConfig::Sec1 {
        pop: Some(device_pop),
    });
    device.handle_session(&command0, &mut rng).expect("cmd0");
    device
        .handle_session(&correct_command1, &mut rng)
        .expect("correct PoP accepted");
    assert!(device.is_established());

    // Client with the wrong PoP: sends the recorded messages, then rejects a device that
    // skipped its check (client_check).
    let mut rng = ScriptedRng::new(&[&hex_of(&inputs["client_private_key"])]);
    let mut client = ClientSession::new(ClientSecurityConfig::Sec1 {
        pop: Some(client_pop),
    });
    assert_eq!(client.start(&mut rng).expect("start"), command0);
    assert_eq!(
        client.handle_response(&response0, &mut rng).expect("resp0"),
        Some(command1)
    );
    let bogus_response1 = hex_of(&case["client_check"]["response1_hex"]);
    assert_eq!(
        client.handle_response(&bogus_response1, &mut rng),
        Err(SecurityError::AuthenticationFailed)
    );
    assert!(!client.is_established());
    assert_eq!(client.encrypt(b"x"), Err(SecurityError::NotEstablished));
}
