//! The `ModExp` seam: a device with an engine attached must send exactly its three
//! exponentiations through it, get byte-identical handshakes to the software path and to
//! Espressif's recorded vectors, and fall back to software when the engine fails.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{TestRng, array_of, hex_of, load_vectors};
use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, U3072, U4096};
use provkit_proto::{Message, SessionData, sec2_payload, session_data::Proto};
use provkit_security::sec2::Sec2Patch;
use provkit_security::srp::DeviceCredentials;
use provkit_security::{
    ClientSecurityConfig, ClientSession, DeviceSecurityConfig, DeviceSession, ModExp, PreparedSec2,
    SecurityError, SoftwareModExp,
};
use provkit_security::{N_BYTES, modulus_be};

/// What a test double does with each call.
#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    /// Computes the power independently (crypto-bigint's generic Montgomery `pow`) and
    /// checks it against `SoftwareModExp`.
    Compute,
    /// Reports the unit as unavailable.
    Fail,
    /// Claims success but writes a value ≥ N (a broken unit).
    OutOfRange,
}

/// A `ModExp` double standing in for a hardware unit: counts calls and records the exponent
/// length of each (32 bytes = the secret b, 64 = the public u).
struct CountingEngine {
    behaviour: Behaviour,
    calls: AtomicUsize,
    exponent_lens: Mutex<Vec<usize>>,
}

impl CountingEngine {
    const fn new(behaviour: Behaviour) -> Self {
        Self {
            behaviour,
            calls: AtomicUsize::new(0),
            exponent_lens: Mutex::new(Vec::new()),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn take_lens(&self) -> Vec<usize> {
        std::mem::take(&mut *self.exponent_lens.lock().expect("lock"))
    }
}

fn independent_pow(base: &[u8; N_BYTES], exponent: &[u8]) -> [u8; N_BYTES] {
    let modulus = Odd::new(U3072::from_be_slice(&modulus_be())).expect("N is odd");
    let params = FixedMontyParams::new_vartime(modulus);
    let mut exp = [0u8; 512];
    exp[512 - exponent.len()..].copy_from_slice(exponent);
    let result = FixedMontyForm::new(&U3072::from_be_slice(base), &params)
        .pow(&U4096::from_be_slice(&exp))
        .retrieve();
    let mut out = [0u8; N_BYTES];
    out.copy_from_slice(result.to_be_bytes().as_ref());
    out
}

impl ModExp for CountingEngine {
    fn mod_exp(
        &self,
        base: &[u8; N_BYTES],
        exponent: &[u8],
        out: &mut [u8; N_BYTES],
    ) -> Result<(), SecurityError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.exponent_lens
            .lock()
            .expect("lock")
            .push(exponent.len());
        match self.behaviour {
            Behaviour::Compute => {
                *out = independent_pow(base, exponent);
                let mut software = [0u8; N_BYTES];
                SoftwareModExp.mod_exp(base, exponent, &mut software)?;
                assert_eq!(
                    *out, software,
                    "software engine disagrees with crypto-bigint"
                );
                Ok(())
            }
            Behaviour::Fail => Err(SecurityError::InvalidConfig("unit busy")),
            Behaviour::OutOfRange => {
                *out = [0xff; N_BYTES];
                Ok(())
            }
        }
    }
}

fn cmd0_of(body: &[u8]) -> provkit_proto::S2SessionCmd0 {
    match SessionData::decode(body).expect("SessionData").proto {
        Some(Proto::Sec2(p)) => match p.payload {
            Some(sec2_payload::Payload::Sc0(c)) => c,
            other => panic!("not Command0: {other:?}"),
        },
        other => panic!("not sec2: {other:?}"),
    }
}

/// Runs every Espressif-recorded device-role case through credentials with `engine` and
/// checks B, S, K and M against the vector and against engine-free credentials.
fn check_vectors_with(engine: &'static CountingEngine) {
    for file in ["sec2_patch1.json", "sec2_patch0.json"] {
        let vectors = load_vectors(file);
        let cases = vectors["cases"].as_array().expect("cases");
        assert!(!cases.is_empty());
        for case in cases {
            let inputs = &case["inputs"];
            let derived = &case["derived"];
            let b: [u8; 32] = array_of(&inputs["b"]);
            let salt = hex_of(&inputs["salt"]);
            let verifier = hex_of(&inputs["verifier"]);
            let c0 = cmd0_of(&hex_of(&case["handshake"][0]["hex"]));

            let before = engine.calls();
            let with_engine = DeviceCredentials::new_compact(&salt, &verifier)
                .expect("credentials")
                .with_mod_exp(engine);
            assert!(with_engine.has_mod_exp());
            let ex = with_engine
                .exchange(&c0.client_username, &c0.client_pubkey, &b)
                .expect("exchange");
            assert_eq!(engine.calls() - before, 3, "g^b, v^u and (A·v^u)^b");
            assert_eq!(engine.take_lens(), [32, 64, 32], "b, u, b");

            assert_eq!(hex::encode(&ex.b_public), derived["B"].as_str().expect("B"));
            assert_eq!(hex::encode(&*ex.s), derived["S"].as_str().expect("S"));
            assert_eq!(hex::encode(*ex.key), derived["K"].as_str().expect("K"));
            // esp_prov's M is among the accepted proofs (ESP-IDF's unless the salt starts
            // with a zero byte).
            let m = derived["M"].as_str().expect("M");
            assert!(ex.proofs.as_slice().iter().any(|v| hex::encode(v.m) == m));

            let software = DeviceCredentials::new(&salt, &verifier)
                .expect("credentials")
                .exchange(&c0.client_username, &c0.client_pubkey, &b)
                .expect("exchange");
            assert_eq!(software.b_public, ex.b_public);
            assert_eq!(*software.s, *ex.s);
        }
    }
}

#[test]
fn engine_serves_the_three_exponentiations_and_matches_espressif_vectors() {
    static ENGINE: CountingEngine = CountingEngine::new(Behaviour::Compute);
    check_vectors_with(&ENGINE);
}

#[test]
fn failing_engine_falls_back_to_software() {
    static ENGINE: CountingEngine = CountingEngine::new(Behaviour::Fail);
    check_vectors_with(&ENGINE);
}

#[test]
fn out_of_range_engine_result_falls_back_to_software() {
    static ENGINE: CountingEngine = CountingEngine::new(Behaviour::OutOfRange);
    check_vectors_with(&ENGINE);
}

#[test]
fn facade_handshake_goes_through_the_engine_once_per_exponentiation() {
    static ENGINE: CountingEngine = CountingEngine::new(Behaviour::Compute);
    let mut rng = TestRng::seeded(18);
    let (salt, verifier) = provkit_security::generate_sec2_credentials(
        b"wifiprov",
        b"abcd1234",
        16,
        provkit_security::VerifierConvention::EspIdf,
        &mut rng,
    )
    .expect("credentials");
    let credentials = DeviceCredentials::new_compact(&salt, &verifier)
        .expect("credentials")
        .with_mod_exp(&ENGINE);
    let config = DeviceSecurityConfig::Sec2Prepared(PreparedSec2::from_credentials(
        credentials,
        Sec2Patch::Patch1,
    ));
    for (round, password) in [&b"abcd1234"[..], b"abcd1234", b"wrong"].iter().enumerate() {
        let before = ENGINE.calls();
        let mut device = DeviceSession::new(config.clone());
        let mut client = ClientSession::new(ClientSecurityConfig::Sec2 {
            username: b"wifiprov".to_vec(),
            password: password.to_vec(),
            patch: Sec2Patch::Patch1,
        });
        let mut request = client.start(&mut rng).expect("start");
        let outcome = loop {
            let response = match device.handle_session(&request, &mut rng) {
                Ok(response) => response,
                Err(e) => break Err(e),
            };
            match client.handle_response(&response, &mut rng) {
                Ok(Some(next)) => request = next,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        assert_eq!(ENGINE.calls() - before, 3, "round {round}");
        if *password == b"abcd1234" {
            assert_eq!(outcome, Ok(()), "round {round}");
            let sealed = client.encrypt(b"ssid").expect("encrypt");
            assert_eq!(device.decrypt(&sealed).expect("decrypt"), b"ssid");
        } else {
            assert_eq!(outcome, Err(SecurityError::AuthenticationFailed));
        }
    }
}

#[test]
fn software_engine_matches_generic_pow_and_rejects_bad_operands() {
    let mut rng = TestRng::seeded(7);
    for exponent_len in [0usize, 1, 32, 64, 384] {
        let mut base = [0u8; N_BYTES];
        provkit_security::rand_core::Rng::fill_bytes(&mut rng, &mut base[1..]);
        let mut exponent = vec![0u8; exponent_len];
        provkit_security::rand_core::Rng::fill_bytes(&mut rng, &mut exponent);
        let mut out = [0u8; N_BYTES];
        SoftwareModExp
            .mod_exp(&base, &exponent, &mut out)
            .expect("mod_exp");
        assert_eq!(out, independent_pow(&base, &exponent), "len {exponent_len}");
    }
    let mut out = [0u8; N_BYTES];
    assert!(
        SoftwareModExp
            .mod_exp(&modulus_be(), &[3], &mut out)
            .is_err()
    );
    assert!(
        SoftwareModExp
            .mod_exp(&[1; N_BYTES], &[1; N_BYTES + 1], &mut out)
            .is_err()
    );
}
