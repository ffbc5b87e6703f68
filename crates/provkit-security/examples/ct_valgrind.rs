//! The constant-time check's program (run under valgrind's memcheck by `cargo xtask
//! ct-check`; needs the `ct-check` feature): the device side of the recorded sec2 handshake
//! (prepared and compact credentials) and of the recorded sec1 handshake, with the secret
//! inputs marked undefined:
//!
//! * sec2: the device's ephemeral `b` (the first 32 bytes its RNG hands out);
//! * sec1: the device's X25519 secret (the first 32 RNG bytes) and the PoP.
//!
//! Everything the device sends is declassified as it leaves (it is public), and every
//! response is compared with the recording. Memcheck then reports any branch or memory index
//! inside the handshakes that depends on those secrets; `--error-exitcode` makes that fail.
//! `--canary` instead branches on a marked secret on purpose, to show the marking works (the
//! check expects memcheck to fail that run).

use std::convert::Infallible;

use provkit_security::ct_check::{declassify, mark_secret};
use provkit_security::rand_core::{TryCryptoRng, TryRng};
use provkit_security::sec2::{DeviceCredentials, Sec2Patch};
use provkit_security::{DeviceSecurityConfig, DeviceSession, PreparedSec2};
use provkit_testkit::{hex_of, load_json};

/// Replays recorded bytes; the first `secret` bytes it hands out are marked secret.
struct MarkingRng {
    script: Vec<u8>,
    at: usize,
    secret: usize,
}

impl TryRng for MarkingRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let end = self.at + dst.len();
        dst.copy_from_slice(&self.script[self.at..end]);
        for (i, byte) in dst.iter().enumerate() {
            if self.at + i < self.secret {
                mark_secret(std::slice::from_ref(byte));
            }
        }
        self.at = end;
        Ok(())
    }
}

// Check-only: recorded bytes stand in for the device's TRNG.
impl TryCryptoRng for MarkingRng {}

/// What leaves the device is public.
fn sent(bytes: Vec<u8>) -> Vec<u8> {
    declassify(&bytes);
    bytes
}

fn step(case: &serde_json::Value, name: &str) -> Vec<u8> {
    let steps = case["handshake"].as_array().expect("handshake");
    hex_of(&steps.iter().find(|s| s["step"] == name).expect("step")["hex"])
}

fn sec2(config: &DeviceSecurityConfig, case: &serde_json::Value, what: &str) {
    let inputs = &case["inputs"];
    let mut script = hex_of(&inputs["b"]);
    script.extend(hex_of(&inputs["device_session_id"]));
    let mut rng = MarkingRng {
        script,
        at: 0,
        secret: 32,
    };
    let mut device = DeviceSession::new(config.clone());
    let r0 = sent(
        device
            .handle_session(&step(case, "command0"), &mut rng)
            .expect("command0"),
    );
    assert_eq!(r0, step(case, "response0"), "{what}: response0");
    let r1 = sent(
        device
            .handle_session(&step(case, "command1"), &mut rng)
            .expect("command1"),
    );
    assert_eq!(r1, step(case, "response1"), "{what}: response1");
    println!("ct_valgrind: sec2 {what}: handshake replayed");
}

fn main() {
    if std::env::args().any(|a| a == "--canary") {
        let secret = std::hint::black_box(vec![7u8; 4]);
        mark_secret(&secret);
        if secret[0] == 7 {
            println!("ct_valgrind: canary branched on a secret");
        }
        return;
    }
    let vectors = load_json("sec2_patch1.json");
    let case = &vectors["cases"][0];
    let inputs = &case["inputs"];
    let (salt, verifier) = (hex_of(&inputs["salt"]), hex_of(&inputs["verifier"]));
    let prepared = DeviceSecurityConfig::Sec2 {
        salt: salt.clone(),
        verifier: verifier.clone(),
        patch: Sec2Patch::Patch1,
    }
    .prepare()
    .expect("prepare");
    sec2(&prepared, case, "prepared");
    let compact = DeviceSecurityConfig::Sec2Prepared(PreparedSec2::from_credentials(
        DeviceCredentials::new_compact(&salt, &verifier).expect("credentials"),
        Sec2Patch::Patch1,
    ));
    sec2(&compact, case, "compact");

    let vectors = load_json("sec1.json");
    let case = &vectors["cases"][0];
    let inputs = &case["inputs"];
    let pop = inputs["pop"].as_str().expect("pop").as_bytes().to_vec();
    mark_secret(&pop);
    let config = DeviceSecurityConfig::Sec1 { pop: Some(pop) };
    let mut script = hex_of(&inputs["device_private_key"]);
    script.extend(hex_of(&inputs["device_random"]));
    let mut rng = MarkingRng {
        script,
        at: 0,
        secret: 32,
    };
    let mut device = DeviceSession::new(config);
    let steps = case["handshake"].as_array().expect("handshake");
    let r0 = sent(
        device
            .handle_session(&hex_of(&steps[0]["hex"]), &mut rng)
            .expect("command0"),
    );
    assert_eq!(r0, hex_of(&steps[1]["hex"]), "sec1 response0");
    let r1 = sent(
        device
            .handle_session(&hex_of(&steps[2]["hex"]), &mut rng)
            .expect("command1"),
    );
    assert_eq!(r1, hex_of(&steps[3]["hex"]), "sec1 response1");
    println!("ct_valgrind: sec1 handshake replayed");
}
