//! Device (responder) side of the façade: one [`DeviceSession`] per protocomm instance.

use alloc::vec::Vec;
use core::{fmt, mem};

use provkit_proto::{
    Message, S2SessionCmd0, S2SessionCmd1, Sec1MsgType, Sec1Payload, Sec2MsgType, Sec2Payload,
    SessionData, sec1_payload, sec2_payload, session_data::Proto,
};
use zeroize::Zeroize;

use crate::sec1::{self, Sec1Cipher};
use crate::sec2_bridge::{self, GcmCipher, Sec2Patch};
use crate::{SecureRng, SecurityError, sec0};

/// Length of SRP `A` on the wire: the device accepts nothing else (spec §2.5).
pub(crate) const SEC2_CLIENT_PUBKEY_LEN: usize = 384;
/// Length of the sec2 client proof `M` (SHA-512).
pub(crate) const SEC2_CLIENT_PROOF_LEN: usize = 64;
/// Longest accepted sec2 username (the reference's 16-bit length limit).
pub(crate) const SEC2_MAX_USERNAME_LEN: usize = 65535;

/// What a device is provisioned with.
#[derive(Clone)]
pub enum DeviceSecurityConfig {
    /// No authentication, no encryption.
    Sec0,
    /// X25519 + PoP + AES-256-CTR. `None` or an empty PoP means no PoP (no XOR into the key).
    Sec1 { pop: Option<Vec<u8>> },
    /// SRP6a + AES-256-GCM with the stored salt and verifier (see `generate_sec2_credentials`).
    Sec2 {
        salt: Vec<u8>,
        verifier: Vec<u8>,
        patch: Sec2Patch,
    },
}

impl fmt::Debug for DeviceSecurityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The PoP is a secret and the verifier allows offline guessing; show only shapes.
        match self {
            Self::Sec0 => f.write_str("Sec0"),
            Self::Sec1 { pop } => f
                .debug_struct("Sec1")
                .field("has_pop", &pop.as_ref().is_some_and(|p| !p.is_empty()))
                .finish(),
            Self::Sec2 {
                salt,
                verifier,
                patch,
            } => f
                .debug_struct("Sec2")
                .field("salt_len", &salt.len())
                .field("verifier_len", &verifier.len())
                .field("patch", patch)
                .finish(),
        }
    }
}

impl Drop for DeviceSecurityConfig {
    fn drop(&mut self) {
        if let Self::Sec1 { pop: Some(pop) } = self {
            pop.zeroize();
        }
    }
}

impl DeviceSecurityConfig {
    /// The `sec_ver` on the wire and in `proto-ver` (`0`, `1` or `2`).
    pub fn sec_ver(&self) -> u8 {
        match self {
            Self::Sec0 => 0,
            Self::Sec1 { .. } => 1,
            Self::Sec2 { .. } => 2,
        }
    }

    /// The `sec_patch_ver` advertised in `proto-ver`: 1 only for sec2 with the fixed nonce.
    pub fn sec_patch_ver(&self) -> u8 {
        match self {
            Self::Sec2 {
                patch: Sec2Patch::Patch1,
                ..
            } => 1,
            _ => 0,
        }
    }
}

/// The data-phase cipher of an established session (either role).
#[derive(Debug)]
pub(crate) enum DataCipher {
    Plain,
    Sec1(Sec1Cipher),
    Sec2(GcmCipher),
}

impl DataCipher {
    pub(crate) fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        match self {
            Self::Plain => Ok(plaintext.to_vec()),
            Self::Sec1(c) => c.encrypt(plaintext),
            Self::Sec2(c) => c.encrypt(plaintext),
        }
    }

    pub(crate) fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        match self {
            Self::Plain => Ok(ciphertext.to_vec()),
            Self::Sec1(c) => c.decrypt(ciphertext),
            Self::Sec2(c) => c.decrypt(ciphertext),
        }
    }
}

/// The scheme number a `SessionData` oneof member stands for.
pub(crate) fn scheme_of(proto: &Proto) -> i32 {
    match proto {
        Proto::Sec0(_) => 0,
        Proto::Sec1(_) => 1,
        Proto::Sec2(_) => 2,
    }
}

/// Decodes a `prov-session` body and checks `sec_ver` against the configured scheme; returns
/// the (present) payload.
pub(crate) fn decode_session(bytes: &[u8], expected: u8) -> Result<(i32, Proto), SecurityError> {
    let data = SessionData::decode(bytes)?;
    if data.sec_ver != i32::from(expected) {
        return Err(SecurityError::WrongSecurityVersion {
            expected,
            got: data.sec_ver,
        });
    }
    let proto = data.proto.ok_or(SecurityError::MalformedMessage(
        "SessionData carries no payload",
    ))?;
    let got = scheme_of(&proto);
    if got != i32::from(expected) {
        return Err(SecurityError::WrongSecurityVersion { expected, got });
    }
    Ok((data.sec_ver, proto))
}

pub(crate) fn check_len(
    bytes: &[u8],
    range: core::ops::RangeInclusive<usize>,
    field: &'static str,
    expected: &'static str,
) -> Result<(), SecurityError> {
    if range.contains(&bytes.len()) {
        Ok(())
    } else {
        Err(SecurityError::BadLength {
            field,
            expected,
            got: bytes.len(),
        })
    }
}

#[derive(Debug)]
enum DeviceState {
    AwaitCmd0,
    Sec1AwaitCmd1(sec1::DeviceAwaitCmd1),
    Sec2AwaitCmd1(sec2_bridge::DeviceAwaitCmd1),
    Established(DataCipher),
}

/// One device-side security session (ESP-IDF keeps exactly one per protocomm instance).
#[derive(Debug)]
pub struct DeviceSession {
    config: DeviceSecurityConfig,
    state: DeviceState,
    /// sec2's per-device tables (k·v, comb tables of g and v), derived from the salt and
    /// verifier. Building them costs about as much as a handshake, so they are built at the
    /// first Command0 and kept across restarts and [`DeviceSession::reset`].
    sec2_credentials: Option<crate::srp::DeviceCredentials>,
}

impl DeviceSession {
    /// A session waiting for Command0.
    pub fn new(config: DeviceSecurityConfig) -> Self {
        Self {
            config,
            state: DeviceState::AwaitCmd0,
            sec2_credentials: None,
        }
    }

    /// Builds the sec2 tables now rather than at the first Command0 (a no-op for sec0/sec1),
    /// so the first client does not wait for them and a bad verifier is reported at start-up.
    pub fn prepare(&mut self) -> Result<(), SecurityError> {
        self.sec2_credentials()?;
        Ok(())
    }

    fn sec2_credentials(&mut self) -> Result<Option<&crate::srp::DeviceCredentials>, SecurityError> {
        if let DeviceSecurityConfig::Sec2 { salt, verifier, .. } = &self.config
            && self.sec2_credentials.is_none()
        {
            self.sec2_credentials = Some(crate::srp::DeviceCredentials::new(salt, verifier)?);
        }
        Ok(self.sec2_credentials.as_ref())
    }

    /// The configuration this session runs with.
    pub fn config(&self) -> &DeviceSecurityConfig {
        &self.config
    }

    /// One `prov-session` request body in, the response body out.
    ///
    /// `Err` means the reference sends no answer (HTTP closes the socket). After any error the
    /// session waits for Command0 again; Command0 at any time restarts the handshake.
    pub fn handle_session<R: SecureRng + ?Sized>(
        &mut self,
        request: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, SecurityError> {
        let state = mem::replace(&mut self.state, DeviceState::AwaitCmd0);
        self.sec2_credentials()?;
        let (next, response) = self.step(state, request, rng)?;
        self.state = next;
        Ok(response.encode_to_vec())
    }

    /// Whether `encrypt`/`decrypt` can be used. Always true for sec0, which (like the
    /// reference) has no session state: its data phase works even without a handshake.
    pub fn is_established(&self) -> bool {
        matches!(self.config, DeviceSecurityConfig::Sec0)
            || matches!(self.state, DeviceState::Established(_))
    }

    /// Drops any handshake or data-phase state (e.g. when the transport session closes).
    pub fn reset(&mut self) {
        self.state = DeviceState::AwaitCmd0;
    }

    /// Encrypts a response body. Sec0 copies it.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        match (&self.config, &mut self.state) {
            (DeviceSecurityConfig::Sec0, _) => Ok(plaintext.to_vec()),
            (_, DeviceState::Established(cipher)) => cipher.encrypt(plaintext),
            _ => Err(SecurityError::NotEstablished),
        }
    }

    /// Decrypts a request body. Sec0 copies it.
    pub fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        match (&self.config, &mut self.state) {
            (DeviceSecurityConfig::Sec0, _) => Ok(ciphertext.to_vec()),
            (_, DeviceState::Established(cipher)) => cipher.decrypt(ciphertext),
            _ => Err(SecurityError::NotEstablished),
        }
    }

    fn step<R: SecureRng + ?Sized>(
        &self,
        state: DeviceState,
        request: &[u8],
        rng: &mut R,
    ) -> Result<(DeviceState, SessionData), SecurityError> {
        let (sec_ver, proto) = decode_session(request, self.config.sec_ver())?;
        let reply = |proto: Proto| SessionData {
            sec_ver,
            proto: Some(proto),
        };
        match (&self.config, proto) {
            (DeviceSecurityConfig::Sec0, Proto::Sec0(payload)) => {
                let response = sec0::device_respond(&payload)?;
                Ok((
                    DeviceState::Established(DataCipher::Plain),
                    reply(Proto::Sec0(response)),
                ))
            }
            (DeviceSecurityConfig::Sec1 { pop }, Proto::Sec1(payload)) => {
                let (next, response) = step_sec1(pop.as_deref(), state, payload, rng)?;
                Ok((next, reply(Proto::Sec1(response))))
            }
            (DeviceSecurityConfig::Sec2 { patch, .. }, Proto::Sec2(payload)) => {
                let credentials = self
                    .sec2_credentials
                    .as_ref()
                    .ok_or(SecurityError::InvalidConfig("sec2 credentials not prepared"))?;
                let (next, response) = step_sec2(credentials, *patch, state, payload, rng)?;
                Ok((next, reply(Proto::Sec2(response))))
            }
            // decode_session already matched the oneof against the scheme.
            (config, proto) => Err(SecurityError::WrongSecurityVersion {
                expected: config.sec_ver(),
                got: scheme_of(&proto),
            }),
        }
    }
}

fn step_sec1<R: SecureRng + ?Sized>(
    pop: Option<&[u8]>,
    state: DeviceState,
    payload: Sec1Payload,
    rng: &mut R,
) -> Result<(DeviceState, Sec1Payload), SecurityError> {
    use sec1_payload::Payload;
    let msg = Sec1MsgType::try_from(payload.msg)
        .map_err(|_| SecurityError::MalformedMessage("unknown sec1 msg type"))?;
    match (msg, payload.payload) {
        (Sec1MsgType::SessionCommand0, Some(Payload::Sc0(cmd0))) => {
            // Command0 restarts whatever was in progress (the old state is already dropped).
            let (next, resp0) = sec1::DeviceAwaitCmd0::new(pop).handle_cmd0(&cmd0, rng)?;
            Ok((
                DeviceState::Sec1AwaitCmd1(next),
                Sec1Payload {
                    msg: Sec1MsgType::SessionResponse0 as i32,
                    payload: Some(Payload::Sr0(resp0)),
                },
            ))
        }
        (Sec1MsgType::SessionCommand1, Some(Payload::Sc1(cmd1))) => match state {
            DeviceState::Sec1AwaitCmd1(awaiting) => {
                let (cipher, resp1) = awaiting.handle_cmd1(&cmd1)?;
                Ok((
                    DeviceState::Established(DataCipher::Sec1(cipher)),
                    Sec1Payload {
                        msg: Sec1MsgType::SessionResponse1 as i32,
                        payload: Some(Payload::Sr1(resp1)),
                    },
                ))
            }
            _ => Err(SecurityError::OutOfOrder),
        },
        (_, None) => Err(SecurityError::MalformedMessage("sec1 payload missing")),
        (_, Some(Payload::Sr0(_) | Payload::Sr1(_))) => Err(SecurityError::MalformedMessage(
            "device received a sec1 response",
        )),
        _ => Err(SecurityError::MalformedMessage(
            "sec1 msg type does not match its payload",
        )),
    }
}

fn check_sec2_cmd0(cmd0: &S2SessionCmd0) -> Result<(), SecurityError> {
    check_len(
        &cmd0.client_username,
        1..=SEC2_MAX_USERNAME_LEN,
        "client_username",
        "1..=65535",
    )?;
    check_len(
        &cmd0.client_pubkey,
        SEC2_CLIENT_PUBKEY_LEN..=SEC2_CLIENT_PUBKEY_LEN,
        "client_pubkey",
        "384",
    )
}

fn check_sec2_cmd1(cmd1: &S2SessionCmd1) -> Result<(), SecurityError> {
    check_len(
        &cmd1.client_proof,
        SEC2_CLIENT_PROOF_LEN..=SEC2_CLIENT_PROOF_LEN,
        "client_proof",
        "64",
    )
}

fn step_sec2<R: SecureRng + ?Sized>(
    credentials: &crate::srp::DeviceCredentials,
    patch: Sec2Patch,
    state: DeviceState,
    payload: Sec2Payload,
    rng: &mut R,
) -> Result<(DeviceState, Sec2Payload), SecurityError> {
    use sec2_payload::Payload;
    let msg = Sec2MsgType::try_from(payload.msg)
        .map_err(|_| SecurityError::MalformedMessage("unknown sec2 msg type"))?;
    match (msg, payload.payload) {
        (Sec2MsgType::S2SessionCommand0, Some(Payload::Sc0(cmd0))) => {
            check_sec2_cmd0(&cmd0)?;
            let awaiting = sec2_bridge::DeviceAwaitCmd0::from_credentials(credentials.clone(), patch);
            let (next, resp0) = awaiting.handle_cmd0(&cmd0, rng)?;
            Ok((
                DeviceState::Sec2AwaitCmd1(next),
                Sec2Payload {
                    msg: Sec2MsgType::S2SessionResponse0 as i32,
                    payload: Some(Payload::Sr0(resp0)),
                },
            ))
        }
        (Sec2MsgType::S2SessionCommand1, Some(Payload::Sc1(cmd1))) => match state {
            DeviceState::Sec2AwaitCmd1(awaiting) => {
                check_sec2_cmd1(&cmd1)?;
                let (cipher, resp1) = awaiting.handle_cmd1(&cmd1, rng)?;
                Ok((
                    DeviceState::Established(DataCipher::Sec2(cipher)),
                    Sec2Payload {
                        msg: Sec2MsgType::S2SessionResponse1 as i32,
                        payload: Some(Payload::Sr1(resp1)),
                    },
                ))
            }
            _ => Err(SecurityError::OutOfOrder),
        },
        (_, None) => Err(SecurityError::MalformedMessage("sec2 payload missing")),
        (_, Some(Payload::Sr0(_) | Payload::Sr1(_))) => Err(SecurityError::MalformedMessage(
            "device received a sec2 response",
        )),
        _ => Err(SecurityError::MalformedMessage(
            "sec2 msg type does not match its payload",
        )),
    }
}
