//! Every Espressif sec2 client's encodings, against `tests/vectors/sec2-client-conventions.json`
//! (the Android library and both esp_prov copies run with chosen randomness, the iOS library
//! transcribed, ESP-IDF's device modelled; see the vectors' `.md`):
//!
//! * x and the verifier under each convention, and which clients a verifier locks out;
//! * the device side of all six sessions: ESP-IDF's values, and every client's wire bytes
//!   (Android's 383-byte A, 63-byte proof and minimal K included) accepted, with the H_AMK and
//!   AES key that client expects;
//! * the client side: this crate's client reproduces the Android library's wire bytes (test
//!   mode), esp_prov's (both copies) and the iOS library's (ESP-IDF convention) byte for byte;
//! * the four Android edge cases end to end against this crate's own device;
//! * the façade's one retry with the other convention, and only when it can help.

use provkit_proto::{
    Message, S2SessionCmd0, S2SessionCmd1, S2SessionResp0, S2SessionResp1, Sec2MsgType,
    Sec2Payload, SessionData, Status, sec2_payload::Payload, session_data::Proto,
};
use provkit_security::sec2::{
    ClientAwaitResp0, ClientConvention, DeviceAwaitCmd0, DeviceCredentials, Encoding, GcmCipher,
    MismatchPolicy, Sec2Client, Sec2Patch, VerifierConvention, check_conventions,
    generate_credentials, verifier_for_salt,
};
use provkit_security::srp;
use provkit_security::{
    ClientSecurityConfig, ClientSession, DeviceSecurityConfig, DeviceSession, SecurityError,
    generate_sec2_credentials,
};
use provkit_testkit::ScriptedRng;
use serde_json::Value;
use sha2::{Digest, Sha512};

fn vectors() -> Value {
    provkit_testkit::load_json("sec2-client-conventions.json")
}

fn hx(v: &Value) -> Vec<u8> {
    provkit_testkit::hex_of(v)
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn arr32(v: &Value) -> [u8; 32] {
    provkit_testkit::array_of(v)
}

fn sha512(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

fn minimal(bytes: &[u8]) -> &[u8] {
    Encoding::Minimal.apply(bytes)
}

fn wrap(msg: Sec2MsgType, payload: Payload) -> Vec<u8> {
    SessionData {
        sec_ver: 2,
        proto: Some(Proto::Sec2(Sec2Payload {
            msg: msg as i32,
            payload: Some(payload),
        })),
    }
    .encode_to_vec()
}

fn payload(body: &[u8]) -> Payload {
    let data = SessionData::decode(body).expect("SessionData");
    assert_eq!(data.sec_ver, 2);
    match data.proto {
        Some(Proto::Sec2(p)) => p.payload.expect("payload"),
        other => panic!("not sec2: {other:?}"),
    }
}

fn cmd0_of(body: &[u8]) -> S2SessionCmd0 {
    match payload(body) {
        Payload::Sc0(c) => c,
        other => panic!("not Command0: {other:?}"),
    }
}

fn cmd1_of(body: &[u8]) -> S2SessionCmd1 {
    match payload(body) {
        Payload::Sc1(c) => c,
        other => panic!("not Command1: {other:?}"),
    }
}

/// The vectors' verifier conventions, by the names of `x_variants`.
fn convention_of(variant: &str) -> Option<VerifierConvention> {
    match variant {
        "raw_salt__raw_inner" => Some(VerifierConvention::EspIdf),
        "minimal_salt__raw_inner" => Some(VerifierConvention::Android),
        "minimal_salt__minimal_inner" => Some(VerifierConvention::EspProv),
        "raw_salt__minimal_inner" => None,
        other => panic!("unknown x variant {other}"),
    }
}

#[test]
fn group_constants_match() {
    let file = vectors();
    let group = &file["group"];
    assert_eq!(hex::encode(srp::modulus_bytes()), s(&group["N"]));
    assert_eq!(group["g"].as_u64(), Some(u64::from(srp::G)));
    assert_eq!(hex::encode(srp::multiplier_k()), s(&group["k=H(N|PAD(g))"]));
    assert_eq!(hex::encode(srp::hn_xor_hg()), s(&group["H(N)^H(PAD(g))"]));
}

#[test]
fn x_and_verifier_in_every_convention() {
    let file = vectors();
    let cases = file["x_verifier_cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 7);
    let mut saw = (false, false, false); // mismatching inner hash, salt, both
    for case in cases {
        let note = s(&case["note"]);
        let username = s(&case["username"]).as_bytes();
        let password = s(&case["password"]).as_bytes();
        let salt = hx(&case["salt"]);
        assert_eq!(salt.len() as u64, case["salt_len"].as_u64().unwrap());
        assert_eq!(
            minimal(&salt),
            hx(&case["salt_minimal"]).as_slice(),
            "{note}"
        );
        let inner = sha512(&[username, b":", password]);
        assert_eq!(hex::encode(&inner), s(&case["inner_hash_H(I:P)"]), "{note}");
        let zeros = inner.iter().take_while(|&&b| b == 0).count() as u64;
        assert_eq!(
            zeros,
            case["inner_hash_leading_zero_bytes"].as_u64().unwrap()
        );

        let mut xs = Vec::new();
        for (variant, values) in case["x_variants"].as_object().expect("variants") {
            let x = s(&values["x"]);
            let verifier = hx(&values["verifier"]);
            assert_eq!(
                verifier.len() as u64,
                values["verifier_len"].as_u64().unwrap()
            );
            match convention_of(variant) {
                Some(convention) => {
                    let ours = srp::private_key_x(&salt, username, password, convention);
                    assert_eq!(hex::encode(*ours), x, "{note}: {variant} x");
                    assert_eq!(
                        verifier_for_salt(username, password, &salt, convention).unwrap(),
                        verifier,
                        "{note}: {variant} verifier"
                    );
                }
                None => {
                    // No client uses it; the hash of the definition must still agree.
                    let ours = sha512(&[&salt, minimal(&inner)]);
                    assert_eq!(hex::encode(ours), x, "{note}: {variant} x");
                }
            }
            xs.push((convention_of(variant), x.to_string()));
        }
        let all_equal = xs.iter().all(|(_, x)| *x == xs[0].1);
        assert_eq!(Some(all_equal), case["all_variants_equal"].as_bool());

        // Which clients each convention's verifier locks out: exactly those whose x (from the
        // vectors, not from this crate) differs.
        let x_of = |c: VerifierConvention| {
            xs.iter()
                .find(|(v, _)| *v == Some(c))
                .map(|(_, x)| x.clone())
                .expect("every convention has an x")
        };
        for chosen in VerifierConvention::ALL {
            let expected: Vec<Sec2Client> = Sec2Client::ALL
                .into_iter()
                .filter(|client| x_of(client.convention()) != x_of(chosen))
                .collect();
            match check_conventions(&salt, username, password, chosen) {
                Ok(()) => assert!(expected.is_empty(), "{note}: {chosen} should mismatch"),
                Err(mismatch) => {
                    assert_eq!(
                        mismatch.failing_clients().collect::<Vec<_>>(),
                        expected,
                        "{note}: {chosen}"
                    );
                    assert_eq!(mismatch.chosen(), chosen);
                    assert_eq!(mismatch.salt_leading_zero(), salt[0] == 0);
                    assert_eq!(mismatch.inner_hash_leading_zero(), zeros > 0);
                    let text = mismatch.to_string();
                    for client in &expected {
                        assert!(text.contains(client.name()), "{text}");
                    }
                    let remedy = if zeros > 0 {
                        "choose another password"
                    } else {
                        "a salt without a leading zero byte"
                    };
                    assert!(text.contains(remedy), "{text}");
                    saw.0 |= zeros > 0 && salt[0] != 0;
                    saw.1 |= zeros == 0 && salt[0] == 0;
                    saw.2 |= zeros > 0 && salt[0] == 0;
                }
            }
        }

        // esp_prov's generator on these credentials and random bytes: this crate's generator
        // in esp_prov's convention gives the same salt and verifier, refuses the pairs other
        // clients could not log in with unless allowed, and redraws a leading-zero salt.
        let generated = &case["esp_prov_generate_salt_and_verifier"];
        let urandom = hx(&generated["urandom(len_s)"]);
        let salt_out = hx(&generated["salt_out"]);
        let verifier_out = hx(&generated["verifier_out"]);
        assert_eq!(salt_out, minimal(&urandom));
        assert_eq!(
            verifier_for_salt(username, password, &salt_out, VerifierConvention::EspProv).unwrap(),
            verifier_out
        );
        let esp_prov_agrees =
            check_conventions(&salt_out, username, password, VerifierConvention::EspProv).is_ok();
        let run = |policy| {
            let redraw: Vec<u8> = (1..=urandom.len() as u8).collect();
            let mut rng = ScriptedRng::new(&[&urandom, &redraw]);
            generate_credentials(
                username,
                password,
                urandom.len(),
                VerifierConvention::EspProv,
                policy,
                &mut rng,
            )
        };
        if urandom[0] != 0 {
            if esp_prov_agrees {
                assert_eq!(
                    run(MismatchPolicy::Refuse).unwrap(),
                    (salt_out, verifier_out)
                );
            } else {
                assert!(matches!(
                    run(MismatchPolicy::Refuse),
                    Err(SecurityError::ConventionMismatch(m)) if m.fails(Sec2Client::IosApp)
                ));
                assert_eq!(
                    run(MismatchPolicy::Allow).unwrap(),
                    (salt_out, verifier_out)
                );
            }
        } else {
            let (gen_salt, _) = run(MismatchPolicy::Allow).unwrap();
            assert_ne!(
                gen_salt[0], 0,
                "{note}: generated salts never start with zero"
            );
            assert_eq!(gen_salt.len(), urandom.len());
        }
    }
    assert!(
        saw.0 && saw.1 && saw.2,
        "every kind of mismatch is in the vectors"
    );
}

/// The generator's default: ESP-IDF's convention, refusing `Tr0ub4dor&3-818` (inner hash
/// `004825…`) with a message naming esp_prov and asking for another password.
#[test]
fn generator_refuses_the_issue_example_unless_allowed() {
    let mut rng = ScriptedRng::new(&[&[0x5a; 16], &[0x5a; 16]]);
    let err = generate_sec2_credentials(
        b"harbormaster",
        b"Tr0ub4dor&3-818",
        16,
        VerifierConvention::EspIdf,
        &mut rng,
    )
    .unwrap_err();
    let SecurityError::ConventionMismatch(mismatch) = &err else {
        panic!("expected a convention mismatch, got {err:?}");
    };
    assert_eq!(
        mismatch.failing_clients().collect::<Vec<_>>(),
        [Sec2Client::EspProv]
    );
    let text = err.to_string();
    assert!(
        text.contains("esp_prov") && text.contains("choose another password"),
        "{text}"
    );
    // Made in esp_prov's convention, the phone apps are the ones locked out.
    let err = generate_sec2_credentials(
        b"harbormaster",
        b"Tr0ub4dor&3-818",
        16,
        VerifierConvention::EspProv,
        &mut rng,
    )
    .unwrap_err();
    let SecurityError::ConventionMismatch(mismatch) = err else {
        panic!("expected a convention mismatch");
    };
    assert_eq!(
        mismatch.failing_clients().collect::<Vec<_>>(),
        [Sec2Client::AndroidApp, Sec2Client::IosApp]
    );
    // Forced, it is made; the password next door is accepted as is.
    let mut rng = ScriptedRng::new(&[&[0x5a; 16]]);
    let (salt, verifier) = generate_credentials(
        b"harbormaster",
        b"Tr0ub4dor&3-818",
        16,
        VerifierConvention::EspIdf,
        MismatchPolicy::Allow,
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        verifier,
        verifier_for_salt(
            b"harbormaster",
            b"Tr0ub4dor&3-818",
            &salt,
            VerifierConvention::EspIdf
        )
        .unwrap()
    );
    let mut rng = ScriptedRng::new(&[&[0x5a; 16]]);
    assert!(
        generate_sec2_credentials(
            b"harbormaster",
            b"Tr0ub4dor&3-north",
            16,
            VerifierConvention::EspIdf,
            &mut rng
        )
        .is_ok()
    );
}

struct Session<'a> {
    label: &'a str,
    case: &'a Value,
    username: &'a [u8],
    password: &'a [u8],
    salt: Vec<u8>,
    verifier: Vec<u8>,
    b: [u8; 32],
    nonce: Vec<u8>,
    plaintext: Vec<u8>,
}

impl<'a> Session<'a> {
    fn new(case: &'a Value) -> Self {
        let inputs = &case["inputs"];
        assert_eq!(inputs["sec_patch_ver"].as_u64(), Some(1));
        Self {
            label: s(&case["label"]),
            case,
            username: s(&inputs["username"]).as_bytes(),
            password: s(&inputs["password"]).as_bytes(),
            salt: hx(&inputs["salt"]),
            verifier: hx(&inputs["verifier"]),
            b: arr32(&inputs["b"]),
            nonce: hx(&inputs["device_nonce"]),
            plaintext: hx(&inputs["plaintext"]),
        }
    }

    fn device(&self) -> DeviceAwaitCmd0 {
        DeviceAwaitCmd0::new(&self.salt, &self.verifier, Sec2Patch::Patch1).unwrap()
    }

    /// Runs this session's device on a client's Command0 and proof; `Ok` holds Response1 and
    /// the device's cipher.
    fn device_run(
        &self,
        cmd0: &S2SessionCmd0,
        proof: &[u8],
    ) -> Result<(S2SessionResp1, GcmCipher), SecurityError> {
        let mut rng = ScriptedRng::new(&[&self.b, &self.nonce[..8]]);
        let (await1, resp0) = self.device().handle_cmd0(cmd0, &mut rng)?;
        let esp = &self.case["esp_idf_device"];
        assert_eq!(
            hex::encode(&resp0.device_pubkey),
            s(&esp["B"]),
            "{}",
            self.label
        );
        assert_eq!(resp0.device_salt, self.salt);
        let cmd1 = S2SessionCmd1 {
            client_proof: proof.to_vec(),
        };
        let (cipher, resp1) = await1.handle_cmd1(&cmd1, &mut rng)?;
        assert_eq!(resp1.device_nonce, self.nonce);
        Ok((resp1, cipher))
    }

    fn resp0(&self) -> S2SessionResp0 {
        S2SessionResp0 {
            status: Status::Success as i32,
            device_pubkey: hx(&self.case["esp_idf_device"]["B"]),
            device_salt: self.salt.clone(),
        }
    }
}

fn sessions(file: &Value) -> Vec<&Value> {
    let sessions: Vec<&Value> = file["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .collect();
    let labels: Vec<&str> = sessions.iter().map(|c| s(&c["label"])).collect();
    assert_eq!(
        labels,
        [
            "ordinary",
            "A_383",
            "M1_leading_zero",
            "K_leading_zero",
            "salt_leading_zero",
            "B_383"
        ]
    );
    sessions
}

/// ESP-IDF's device values (B, u, S, K, M, H_AMK, key) from this device's arithmetic.
#[test]
fn device_reproduces_esp_idf_values() {
    let file = vectors();
    for case in sessions(&file) {
        let session = Session::new(case);
        let label = session.label;
        let esp = &case["esp_idf_device"];
        let creds = DeviceCredentials::new(&session.salt, &session.verifier).unwrap();
        // ESP-IDF only ever hashes a 384-byte A (the A_383 values are over the library's A
        // left-padded, which no client sends).
        let a = hx(&esp["A_as_hashed"]);
        assert_eq!(a.len(), 384);
        let ex = creds.exchange(session.username, &a, &session.b).unwrap();
        assert_eq!(hex::encode(&ex.b_public), s(&esp["B"]), "{label}: B");
        assert_eq!(ex.b_public.len() as u64, esp["B_len"].as_u64().unwrap());
        assert_eq!(hex::encode(ex.u), s(&esp["u"]), "{label}: u");
        assert_eq!(hex::encode(&*ex.s), s(&esp["S"]), "{label}: S");
        assert_eq!(ex.s.len() as u64, esp["S_len"].as_u64().unwrap());
        assert_eq!(hex::encode(*ex.key), s(&esp["K"]), "{label}: K");
        assert_eq!(hex::encode(ex.proofs.esp_idf()), s(&esp["M"]), "{label}: M");
        assert_eq!(
            hex::encode(srp::device_proof(&a, ex.proofs.esp_idf(), ex.key.as_ref())),
            s(&esp["HAMK"]),
            "{label}: H_AMK"
        );
        assert_eq!(
            hex::encode(&ex.key[..32]),
            s(&esp["aes_key"]),
            "{label}: key"
        );
        // ESP-IDF's own proof is accepted, with its H_AMK and key.
        if a == hx(&case["android_library"]["client_pubkey"]) {
            let cmd0 = S2SessionCmd0 {
                client_username: session.username.to_vec(),
                client_pubkey: a.clone(),
            };
            let (resp1, mut cipher) = session.device_run(&cmd0, &hx(&esp["M"])).unwrap();
            assert_eq!(hex::encode(&resp1.device_proof), s(&esp["HAMK"]), "{label}");
            let mut client =
                GcmCipher::new(&arr32(&esp["aes_key"]), &session.nonce, Sec2Patch::Patch1).unwrap();
            let record = client.encrypt(&session.plaintext).unwrap();
            assert_eq!(cipher.decrypt(&record).unwrap(), session.plaintext);
        }
    }
}

/// The Android library's own SessionCmd0/SessionCmd1 bytes against this device: every session
/// but `salt_leading_zero` (whose verifier no minimal-salt client can match) is established,
/// with the H_AMK and the AES key that library expects. ESP-IDF firmware accepts only
/// `ordinary` and `B_383`.
#[test]
fn device_accepts_the_android_library() {
    let file = vectors();
    let mut accepted = Vec::new();
    for case in sessions(&file) {
        let session = Session::new(case);
        let label = session.label;
        let android = &case["android_library"];
        let cmd0 = cmd0_of(&hx(&android["SessionCmd0_bytes"]));
        let cmd1 = cmd1_of(&hx(&android["SessionCmd1_bytes"]));
        assert_eq!(
            hex::encode(&cmd0.client_pubkey),
            s(&android["client_pubkey"])
        );
        assert_eq!(
            cmd0.client_pubkey.len() as u64,
            android["client_pubkey_len"].as_u64().unwrap()
        );
        assert_eq!(hex::encode(&cmd1.client_proof), s(&android["client_proof"]));
        assert_eq!(
            cmd1.client_proof.len() as u64,
            android["client_proof_len"].as_u64().unwrap()
        );
        match session.device_run(&cmd0, &cmd1.client_proof) {
            Ok((resp1, mut cipher)) => {
                assert_ne!(label, "salt_leading_zero");
                assert_eq!(
                    hex::encode(&resp1.device_proof),
                    s(&android["expected_device_proof"]),
                    "{label}: H_AMK as the library expects it"
                );
                let record = hx(&android["first_encrypt(plaintext)"]);
                assert_eq!(
                    cipher.decrypt(&record).unwrap(),
                    session.plaintext,
                    "{label}: the library's AES key"
                );
                accepted.push(label);
            }
            Err(e) => {
                assert_eq!(label, "salt_leading_zero", "{label}: {e}");
                assert_eq!(e, SecurityError::AuthenticationFailed);
                assert_eq!(android["esp_idf_device_accepts"].as_bool(), Some(false));
            }
        }
    }
    assert_eq!(
        accepted,
        [
            "ordinary",
            "A_383",
            "M1_leading_zero",
            "K_leading_zero",
            "B_383"
        ]
    );
}

/// esp_prov (both copies) and the iOS library (from its source) against this device: every
/// session whose x matches the verifier is established, A_383 from upstream esp_prov
/// included (ESP-IDF firmware rejects it).
#[test]
fn device_accepts_esp_prov_and_ios() {
    let file = vectors();
    for case in sessions(&file) {
        let session = Session::new(case);
        let label = session.label;
        for client in [
            "esp_prov_upstream",
            "esp_prov_network_provisioning",
            "ios_from_source_model",
        ] {
            let values = &case[client];
            let cmd0 = S2SessionCmd0 {
                client_username: session.username.to_vec(),
                client_pubkey: hx(&values["client_pubkey"]),
            };
            assert_eq!(
                cmd0.client_pubkey.len() as u64,
                values["client_pubkey_len"].as_u64().unwrap()
            );
            let proof = hx(&values["client_proof"]);
            // esp_prov and Android hash the salt minimal in x: nothing can save them from a
            // verifier made over a leading-zero salt raw. iOS hashes it raw.
            let x_matches = !(label == "salt_leading_zero" && client != "ios_from_source_model");
            match session.device_run(&cmd0, &proof) {
                Ok((resp1, mut cipher)) => {
                    assert!(x_matches, "{label}/{client} should fail");
                    let esp_idf = &case["esp_idf_device"];
                    if let Some(expected) = values.get("expected_device_proof") {
                        assert_eq!(hex::encode(&resp1.device_proof), s(expected));
                    } else if minimal(&cmd0.client_pubkey) == minimal(&hx(&esp_idf["A_as_hashed"]))
                    {
                        // esp_prov checks H(A|M|K) with M and K raw and A as it sent it (K
                        // is ESP-IDF's whenever A is the vectors' A; network_provisioning
                        // redrew `a` in A_383, its K is only known through its key).
                        assert_eq!(
                            resp1.device_proof,
                            srp::device_proof(&cmd0.client_pubkey, &proof, &hx(&esp_idf["K"]))
                        );
                    }
                    // Upstream esp_prov never got to A_383's key (ESP-IDF rejected its A); it
                    // would be ESP-IDF's K[0..32], as for every raw-K client.
                    let key = match values.get("aes_key") {
                        Some(key) => arr32(key),
                        None => arr32(&case["esp_idf_device"]["aes_key"]),
                    };
                    let mut peer = GcmCipher::new(&key, &session.nonce, Sec2Patch::Patch1).unwrap();
                    let record = peer.encrypt(&session.plaintext).unwrap();
                    if let Some(recorded) = values.get("encrypt_plain") {
                        assert_eq!(record, hx(recorded), "{label}/{client}: first record");
                    }
                    assert_eq!(cipher.decrypt(&record).unwrap(), session.plaintext);
                }
                Err(e) => {
                    assert!(!x_matches, "{label}/{client}: {e}");
                    assert_eq!(e, SecurityError::AuthenticationFailed);
                }
            }
        }
    }
}

/// Runs one of this crate's clients over a session's recorded device answers; returns the
/// wire bytes it sent and, if established, its first record of the plaintext.
fn client_run(
    session: &Session,
    convention: ClientConvention,
    start: Result<(ClientAwaitResp0, S2SessionCmd0), SecurityError>,
    device_proof: impl FnOnce(&S2SessionCmd0, &S2SessionCmd1) -> Option<Vec<u8>>,
) -> (S2SessionCmd0, S2SessionCmd1, Option<Vec<u8>>) {
    let (client, cmd0) = start.unwrap();
    assert_eq!(client.convention(), convention);
    let (client, cmd1) = client.handle_resp0(&session.resp0()).unwrap();
    let record = device_proof(&cmd0, &cmd1).map(|proof| {
        let resp1 = S2SessionResp1 {
            status: Status::Success as i32,
            device_proof: proof,
            device_nonce: session.nonce.clone(),
        };
        let mut cipher = client
            .handle_resp1(&resp1)
            .unwrap_or_else(|e| panic!("{}/{convention}: {e}", session.label));
        cipher.encrypt(&session.plaintext).unwrap()
    });
    (cmd0, cmd1, record)
}

/// The Android test mode reproduces the library's SessionCmd0/SessionCmd1 bytes, its expected
/// H_AMK and its first record byte for byte in all six sessions.
#[test]
fn android_test_mode_reproduces_the_library() {
    let file = vectors();
    for case in sessions(&file) {
        let session = Session::new(case);
        let label = session.label;
        let android = &case["android_library"];
        // The library drew `a` as 3072 random bits; the vectors fed it 352 zero bytes and `a`.
        let a = arr32(&case["inputs"]["a"]);
        let fed = hx(&case["inputs"]["android_securerandom_bytes"]);
        assert_eq!(&fed[..352], [0u8; 352].as_slice());
        assert_eq!(&fed[352..], a.as_slice());
        let convention = ClientConvention::AndroidMinimal;
        // Only the leading-zero salt's session fails (the library's x differs).
        let established = label != "salt_leading_zero";
        let (cmd0, cmd1, record) = client_run(
            &session,
            convention,
            ClientAwaitResp0::start_with_secret(
                session.username,
                session.password,
                Sec2Patch::Patch1,
                convention,
                &a,
            ),
            |_, _| established.then(|| hx(&android["expected_device_proof"])),
        );
        assert_eq!(
            hex::encode(wrap(Sec2MsgType::S2SessionCommand0, Payload::Sc0(cmd0))),
            s(&android["SessionCmd0_bytes"]),
            "{label}: SessionCmd0"
        );
        assert_eq!(
            hex::encode(wrap(Sec2MsgType::S2SessionCommand1, Payload::Sc1(cmd1))),
            s(&android["SessionCmd1_bytes"]),
            "{label}: SessionCmd1"
        );
        if let Some(record) = record {
            assert_eq!(
                hex::encode(record),
                s(&android["first_encrypt(plaintext)"]),
                "{label}: first record under the library's key"
            );
        }
    }
}

/// This crate's esp_prov convention reproduces upstream esp_prov (which sends the 383-byte A)
/// and, through the randomized start that redraws a short A, network_provisioning's copy;
/// the ESP-IDF convention reproduces the iOS library.
#[test]
fn esp_prov_and_esp_idf_conventions_reproduce_their_clients() {
    let file = vectors();
    let (mut recorded_records, mut established_runs) = (0, 0);
    for case in sessions(&file) {
        let session = Session::new(case);
        let label = session.label;
        let urandom: Vec<Vec<u8>> = case["inputs"]["esp_prov_urandom"]
            .as_array()
            .unwrap()
            .iter()
            .map(hx)
            .collect();
        let chunks: Vec<&[u8]> = urandom.iter().map(Vec::as_slice).collect();
        let runs = [
            (
                "esp_prov_upstream",
                ClientConvention::EspProv,
                ClientAwaitResp0::start_with_secret(
                    session.username,
                    session.password,
                    Sec2Patch::Patch1,
                    ClientConvention::EspProv,
                    &arr32(&case["esp_prov_upstream"]["a"]),
                ),
            ),
            (
                "esp_prov_network_provisioning",
                ClientConvention::EspProv,
                ClientAwaitResp0::start(
                    session.username,
                    session.password,
                    Sec2Patch::Patch1,
                    ClientConvention::EspProv,
                    &mut ScriptedRng::new(&chunks),
                ),
            ),
            (
                "ios_from_source_model",
                ClientConvention::EspIdf,
                ClientAwaitResp0::start_with_secret(
                    session.username,
                    session.password,
                    Sec2Patch::Patch1,
                    ClientConvention::EspIdf,
                    &arr32(&case["inputs"]["a"]),
                ),
            ),
        ];
        for (client, convention, start) in runs {
            let values = &case[client];
            let x_matches = !(label == "salt_leading_zero" && client != "ios_from_source_model");
            let established = x_matches && values.get("aes_key").is_some();
            let (cmd0, cmd1, record) = client_run(&session, convention, start, |cmd0, cmd1| {
                if !established {
                    return None;
                }
                // The device's answer: the one the client recorded it expects when the
                // vectors have it (iOS), else this device's (checked against esp_prov's own
                // wire bytes in `device_accepts_esp_prov_and_ios`).
                let (resp1, _) = session.device_run(cmd0, &cmd1.client_proof).unwrap();
                if let Some(expected) = values.get("expected_device_proof") {
                    assert_eq!(hex::encode(&resp1.device_proof), s(expected));
                }
                Some(resp1.device_proof)
            });
            assert_eq!(
                hex::encode(&cmd0.client_pubkey),
                s(&values["client_pubkey"]),
                "{label}/{client}: A"
            );
            assert_eq!(
                hex::encode(&cmd1.client_proof),
                s(&values["client_proof"]),
                "{label}/{client}: proof"
            );
            assert_eq!(record.is_some(), established, "{label}/{client}");
            if let Some(record) = record {
                // The first record under the key the client recorded (iOS: its model's key).
                let mut expected = GcmCipher::new(
                    &arr32(&values["aes_key"]),
                    &session.nonce,
                    Sec2Patch::Patch1,
                )
                .unwrap();
                assert_eq!(
                    record,
                    expected.encrypt(&session.plaintext).unwrap(),
                    "{label}/{client}: key"
                );
                if let Some(recorded) = values.get("encrypt_plain") {
                    assert_eq!(
                        hex::encode(&record),
                        s(recorded),
                        "{label}/{client}: record"
                    );
                    recorded_records += 1;
                }
                established_runs += 1;
            }
        }
    }
    // esp_prov upstream: 4 sessions (not A_383, salt_leading_zero); network_provisioning: 5;
    // iOS: all 6.
    assert_eq!((recorded_records, established_runs), (9, 15));
}

/// The four Android cases (ordinary, A of 383 bytes, a 63-byte proof, K with a leading zero)
/// end to end between this crate's Android test mode and its device, with the vectors' `a`
/// and `b`: each edge is really hit, and both sides agree on the key.
#[test]
fn android_test_mode_against_this_device() {
    let file = vectors();
    for case in sessions(&file).into_iter().filter(|c| {
        ["ordinary", "A_383", "M1_leading_zero", "K_leading_zero"].contains(&s(&c["label"]))
    }) {
        let session = Session::new(case);
        let label = session.label;
        let mut rng = ScriptedRng::new(&[&session.b, &session.nonce[..8]]);
        let (client, cmd0) = ClientAwaitResp0::start_with_secret(
            session.username,
            session.password,
            Sec2Patch::Patch1,
            ClientConvention::AndroidMinimal,
            &arr32(&case["inputs"]["a"]),
        )
        .unwrap();
        let (device, resp0) = session.device().handle_cmd0(&cmd0, &mut rng).unwrap();
        let (client, cmd1) = client.handle_resp0(&resp0).unwrap();
        let (mut device, resp1) = device.handle_cmd1(&cmd1, &mut rng).unwrap();
        let mut client = client.handle_resp1(&resp1).unwrap();
        let record = client.encrypt(&session.plaintext).unwrap();
        assert_eq!(
            device.decrypt(&record).unwrap(),
            session.plaintext,
            "{label}"
        );
        let reply = device.encrypt(b"ok").unwrap();
        assert_eq!(client.decrypt(&reply).unwrap(), b"ok");
        let key = hx(&case["esp_idf_device"]["K"]);
        match label {
            "A_383" => assert_eq!(cmd0.client_pubkey.len(), 383),
            "M1_leading_zero" => assert_eq!(cmd1.client_proof.len(), 63),
            "K_leading_zero" => {
                assert_eq!(key[0], 0);
                // The key both sides use is K[1..33], not ESP-IDF's K[0..32].
                let mut k133 = GcmCipher::new(
                    key[1..33].try_into().unwrap(),
                    &session.nonce,
                    Sec2Patch::Patch1,
                )
                .unwrap();
                assert_eq!(k133.encrypt(&session.plaintext).unwrap(), record);
            }
            _ => {
                assert_eq!(cmd0.client_pubkey.len(), 384);
                assert_eq!(cmd1.client_proof.len(), 64);
                assert_ne!(key[0], 0);
            }
        }
    }
}

/// A device holding esp_prov's verifier for `Tr0ub4dor&3-818` (inner hash `004825…`): the
/// façade client in ESP-IDF's convention is rejected, says esp_prov's convention is worth one
/// retry, and that retry is established. A wrong password gets no such offer.
#[test]
fn facade_client_offers_one_retry_only_when_the_conventions_differ() {
    let username = b"harbormaster".to_vec();
    let salt = hx(&vectors()["x_verifier_cases"][2]["salt"]);
    let password = b"Tr0ub4dor&3-818".to_vec();
    let verifier =
        verifier_for_salt(&username, &password, &salt, VerifierConvention::EspProv).unwrap();
    let mut device = DeviceSession::new(DeviceSecurityConfig::Sec2 {
        salt,
        verifier,
        patch: Sec2Patch::Patch1,
    });
    let mut rng = provkit_testkit::ScriptedRng::seeded(17);
    let handshake = |client: &mut ClientSession,
                     device: &mut DeviceSession,
                     rng: &mut ScriptedRng|
     -> Result<(), SecurityError> {
        let mut request = client.start(rng)?;
        loop {
            let response = device.handle_session(&request, rng)?;
            match client.handle_response(&response, rng)? {
                Some(next) => request = next,
                None => return Ok(()),
            }
        }
    };
    let config = |password: &[u8]| ClientSecurityConfig::Sec2 {
        username: username.clone(),
        password: password.to_vec(),
        patch: Sec2Patch::Patch1,
    };

    let mut first = ClientSession::new(config(&password));
    assert_eq!(first.sec2_convention(), ClientConvention::EspIdf);
    assert_eq!(
        handshake(&mut first, &mut device, &mut rng),
        Err(SecurityError::AuthenticationFailed)
    );
    assert_eq!(first.sec2_fallback(), Some(ClientConvention::EspProv));
    let mut retry =
        ClientSession::new(config(&password)).with_sec2_convention(ClientConvention::EspProv);
    handshake(&mut retry, &mut device, &mut rng).unwrap();
    assert!(retry.is_established() && device.is_established());
    assert_eq!(retry.sec2_fallback(), None, "established: nothing to retry");

    // A wrong password whose inner hash has no leading zero: both conventions agree, so a
    // retry could not help and none is offered.
    let mut wrong = ClientSession::new(config(b"Tr0ub4dor&3-north"));
    assert_eq!(
        handshake(&mut wrong, &mut device, &mut rng),
        Err(SecurityError::AuthenticationFailed)
    );
    assert_eq!(wrong.sec2_fallback(), None);
    // Before any proof was sent there is nothing to fall back from.
    let mut fresh = ClientSession::new(config(&password));
    fresh.start(&mut rng).unwrap();
    assert_eq!(fresh.sec2_fallback(), None);
}
