//! Shared replay fixtures for the `provkit-bench` binary and the criterion benches.
//!
//! A [`Sec2Replay`] holds the recorded client messages of `sec2_patch1.json` case 0 (from
//! `tests/vectors`) and the device randomness that produced the recorded responses, so the
//! device side can be driven through a whole handshake again and again and every run checked
//! against the recording. [`Sec1Replay`] does the same for `sec1.json` case 0.

pub mod flows;

use std::path::{Path, PathBuf};

use provkit_proto::{
    Message, S2SessionCmd0, S2SessionCmd1, SessionCmd0, SessionCmd1, SessionData, sec1_payload,
    sec2_payload, session_data,
};
use provkit_security::sec1::Sec1Cipher;
use provkit_security::sec2::{DeviceCredentials, GcmCipher, Sec2Patch, device_handle_cmd0};
use provkit_security::{ClientSecurityConfig, ClientSession, DeviceSecurityConfig, DeviceSession};

/// `tests/vectors` relative to the workspace root.
pub fn default_vectors_dir() -> PathBuf {
    provkit_testkit::vectors_dir()
}

/// Replays fixed bytes as randomness (the device's recorded `b` and nonce); running dry
/// panics (a bench setup bug, never reached from the peer).
pub type ReplayRng = provkit_testkit::ScriptedRng;

/// One recorded sec2 (patch 1) session, device side.
pub struct Sec2Replay {
    /// The recorded Command0 and Command1 bodies, as the client sent them.
    pub request0: Vec<u8>,
    pub request1: Vec<u8>,
    pub salt: Vec<u8>,
    pub verifier: Vec<u8>,
    pub cmd0: S2SessionCmd0,
    pub cmd1: S2SessionCmd1,
    pub response0: Vec<u8>,
    pub response1: Vec<u8>,
    /// `b` followed by the 8-byte session id, in the order the device draws them.
    pub device_randomness: Vec<u8>,
    pub key: [u8; 32],
    pub nonce: Vec<u8>,
    /// The client's user name (as sent), password and recorded randomness (`a`'s 32 bytes).
    pub username: Vec<u8>,
    pub password: Vec<u8>,
    pub client_randomness: Vec<u8>,
}

use provkit_testkit::try_hex_of as hex_field;

fn sec2_payload_of(body: &[u8]) -> Result<sec2_payload::Payload, String> {
    let data = SessionData::decode(body).map_err(|e| e.to_string())?;
    match data.proto {
        Some(session_data::Proto::Sec2(p)) => p.payload.ok_or_else(|| "empty sec2 payload".into()),
        _ => Err("not a sec2 SessionData".into()),
    }
}

/// Wraps a device response the way it goes on the wire.
pub fn wrap_response(msg: i32, payload: sec2_payload::Payload) -> Vec<u8> {
    SessionData {
        sec_ver: 2,
        proto: Some(session_data::Proto::Sec2(provkit_proto::Sec2Payload {
            msg,
            payload: Some(payload),
        })),
    }
    .encode_to_vec()
}

impl Sec2Replay {
    /// Case 0 (`basic`) of `sec2_patch1.json` in `vectors_dir`.
    pub fn load(vectors_dir: &Path) -> Result<Self, String> {
        let path = vectors_dir.join("sec2_patch1.json");
        let json = provkit_testkit::read_json(&path)?;
        let case = &json["cases"][0];
        let hs = &case["handshake"];
        let cmd0 = match sec2_payload_of(&hex_field(&hs[0]["hex"])?)? {
            sec2_payload::Payload::Sc0(c) => c,
            _ => return Err("handshake[0] is not Command0".into()),
        };
        let cmd1 = match sec2_payload_of(&hex_field(&hs[2]["hex"])?)? {
            sec2_payload::Payload::Sc1(c) => c,
            _ => return Err("handshake[2] is not Command1".into()),
        };
        let mut device_randomness = hex_field(&case["inputs"]["b"])?;
        device_randomness.extend(hex_field(&case["inputs"]["device_session_id"])?);
        let key: [u8; 32] = hex_field(&case["derived"]["aes256_gcm_key"])?
            .try_into()
            .map_err(|_| "key is not 32 bytes")?;
        Ok(Self {
            request0: hex_field(&hs[0]["hex"])?,
            request1: hex_field(&hs[2]["hex"])?,
            salt: hex_field(&case["inputs"]["salt"])?,
            verifier: hex_field(&case["inputs"]["verifier"])?,
            cmd0,
            cmd1,
            response0: hex_field(&hs[1]["hex"])?,
            response1: hex_field(&hs[3]["hex"])?,
            device_randomness,
            key,
            nonce: hex_field(&case["inputs"]["device_nonce"])?,
            username: hex_field(&case["inputs"]["username_hex_sent"])?,
            password: case["inputs"]["password"]
                .as_str()
                .ok_or("no password")?
                .as_bytes()
                .to_vec(),
            client_randomness: hex_field(&case["inputs"]["client_urandom_32"])?,
        })
    }

    /// One client-side handshake through the façade, as `provkit-client` runs it: Command0
    /// from the recorded randomness, then the recorded device responses; returns whether both
    /// requests equal the recording and the session ended established.
    pub fn client_handshake(&self) -> bool {
        let mut rng = ReplayRng::new(&[&self.client_randomness]);
        let mut client = ClientSession::new(ClientSecurityConfig::Sec2 {
            username: self.username.clone(),
            password: self.password.clone(),
            patch: Sec2Patch::Patch1,
        });
        let Ok(c0) = client.start(&mut rng) else {
            return false;
        };
        let Ok(Some(c1)) = client.handle_response(&self.response0, &mut rng) else {
            return false;
        };
        let done = client.handle_response(&self.response1, &mut rng);
        c0 == self.request0 && c1 == self.request1 && matches!(done, Ok(None))
    }

    /// The device's per-device precomputation (done once per device, not per handshake).
    pub fn credentials(&self) -> DeviceCredentials {
        DeviceCredentials::new(&self.salt, &self.verifier).expect("recorded credentials are valid")
    }

    /// The same credentials without the per-device table of v (table-free `v^u`).
    pub fn compact_credentials(&self) -> DeviceCredentials {
        DeviceCredentials::new_compact(&self.salt, &self.verifier)
            .expect("recorded credentials are valid")
    }

    /// One device-side handshake, Command0 → Response1; returns the two response bodies.
    pub fn device_handshake(
        &self,
        credentials: &DeviceCredentials,
    ) -> (Vec<u8>, Vec<u8>, GcmCipher) {
        let mut rng = ReplayRng::new(&[&self.device_randomness]);
        // Borrows the credentials, as the façade does: nothing per-device is copied.
        let (device, r0) = device_handle_cmd0(credentials, Sec2Patch::Patch1, &self.cmd0, &mut rng)
            .expect("Command0");
        let (cipher, r1) = device.handle_cmd1(&self.cmd1, &mut rng).expect("Command1");
        (
            wrap_response(1, sec2_payload::Payload::Sr0(r0)),
            wrap_response(3, sec2_payload::Payload::Sr1(r1)),
            cipher,
        )
    }

    /// The plain `Sec2` configuration, not prepared.
    pub fn unprepared_config(&self) -> DeviceSecurityConfig {
        DeviceSecurityConfig::Sec2 {
            salt: self.salt.clone(),
            verifier: self.verifier.clone(),
            patch: Sec2Patch::Patch1,
        }
    }

    /// The device configuration a firmware would build at start-up: prepared once, so every
    /// session made from a clone of it shares the per-device table.
    pub fn prepared_config(&self) -> DeviceSecurityConfig {
        self.unprepared_config()
            .prepare()
            .expect("recorded credentials are valid")
    }

    /// One handshake through the façade, the way protocomm runs it: a new `DeviceSession`
    /// from a clone of the (prepared) config, fed the recorded request bodies.
    pub fn facade_handshake(&self, config: &DeviceSecurityConfig) -> (Vec<u8>, Vec<u8>) {
        let mut rng = ReplayRng::new(&[&self.device_randomness]);
        let mut session = DeviceSession::new(config.clone());
        let r0 = session
            .handle_session(&self.request0, &mut rng)
            .expect("Command0");
        let r1 = session
            .handle_session(&self.request1, &mut rng)
            .expect("Command1");
        (r0, r1)
    }

    /// A data-phase cipher with the recorded key and nonce.
    pub fn cipher(&self) -> GcmCipher {
        GcmCipher::new(&self.key, &self.nonce, Sec2Patch::Patch1).expect("recorded nonce")
    }
}

/// One recorded sec1 session (`sec1.json` case 0, PoP `abcd1234`), device side.
pub struct Sec1Replay {
    pub pop: Vec<u8>,
    pub cmd0: SessionCmd0,
    pub cmd1: SessionCmd1,
    pub response0: Vec<u8>,
    pub response1: Vec<u8>,
    /// The X25519 secret then `device_random`, in the order the device draws them.
    pub device_randomness: Vec<u8>,
    /// The recorded AES-256-CTR key and `device_random` (the initial counter block).
    pub key: [u8; 32],
    pub device_random: [u8; 16],
}

fn sec1_payload_of(body: &[u8]) -> Result<sec1_payload::Payload, String> {
    let data = SessionData::decode(body).map_err(|e| e.to_string())?;
    match data.proto {
        Some(session_data::Proto::Sec1(p)) => p.payload.ok_or_else(|| "empty sec1 payload".into()),
        _ => Err("not a sec1 SessionData".into()),
    }
}

fn wrap_sec1(msg: i32, payload: sec1_payload::Payload) -> Vec<u8> {
    SessionData {
        sec_ver: 1,
        proto: Some(session_data::Proto::Sec1(provkit_proto::Sec1Payload {
            msg,
            payload: Some(payload),
        })),
    }
    .encode_to_vec()
}

impl Sec1Replay {
    /// Case 0 of `sec1.json` in `vectors_dir`.
    pub fn load(vectors_dir: &Path) -> Result<Self, String> {
        let path = vectors_dir.join("sec1.json");
        let json = provkit_testkit::read_json(&path)?;
        let case = &json["cases"][0];
        let hs = &case["handshake"];
        let cmd0 = match sec1_payload_of(&hex_field(&hs[0]["hex"])?)? {
            sec1_payload::Payload::Sc0(c) => c,
            _ => return Err("handshake[0] is not Command0".into()),
        };
        let cmd1 = match sec1_payload_of(&hex_field(&hs[2]["hex"])?)? {
            sec1_payload::Payload::Sc1(c) => c,
            _ => return Err("handshake[2] is not Command1".into()),
        };
        let mut device_randomness = hex_field(&case["inputs"]["device_private_key"])?;
        let device_random: [u8; 16] = hex_field(&case["inputs"]["device_random"])?
            .try_into()
            .map_err(|_| "device_random is not 16 bytes")?;
        device_randomness.extend(device_random);
        let key: [u8; 32] = hex_field(&case["derived"]["aes256_ctr_key"])?
            .try_into()
            .map_err(|_| "key is not 32 bytes")?;
        Ok(Self {
            pop: hex_field(&case["inputs"]["pop_hex"])?,
            cmd0,
            cmd1,
            response0: hex_field(&hs[1]["hex"])?,
            response1: hex_field(&hs[3]["hex"])?,
            device_randomness,
            key,
            device_random,
        })
    }

    /// One device-side handshake, Command0 → Response1; returns the two response bodies.
    pub fn device_handshake(&self) -> (Vec<u8>, Vec<u8>) {
        let mut rng = ReplayRng::new(&[&self.device_randomness]);
        let pop = (!self.pop.is_empty()).then_some(self.pop.as_slice());
        let device = provkit_security::sec1::DeviceAwaitCmd0::new(pop);
        let (device, r0) = device.handle_cmd0(&self.cmd0, &mut rng).expect("Command0");
        let (_, r1) = device.handle_cmd1(&self.cmd1).expect("Command1");
        (
            wrap_sec1(1, sec1_payload::Payload::Sr0(r0)),
            wrap_sec1(3, sec1_payload::Payload::Sr1(r1)),
        )
    }

    /// A data-phase cipher with the recorded key and counter block.
    pub fn cipher(&self) -> Sec1Cipher {
        Sec1Cipher::new(&self.key, &self.device_random)
    }
}
