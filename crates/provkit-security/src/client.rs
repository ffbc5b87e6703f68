//! Client (initiator) side of the façade: what esp_prov does, as a sans-I/O state machine.
//!
//! Security 2 follows a [`ClientConvention`] (ESP-IDF's and the phone apps' by default).
//! When the device rejects the proof, [`ClientSession::sec2_fallback`] says whether the other
//! convention would derive a different x for these credentials and the device's salt, i.e.
//! whether one retry with it can succeed (a verifier made by esp_prov for a password whose
//! `SHA-512(username ":" password)` starts with a zero byte, and the reverse).

use alloc::vec::Vec;
use core::{fmt, mem};

use provkit_proto::{
    Message, Sec2MsgType, Sec2Payload, SessionData, sec2_payload, session_data::Proto,
};
#[cfg(feature = "sec1")]
use provkit_proto::{Sec1MsgType, Sec1Payload, sec1_payload};
use zeroize::Zeroize;

#[cfg(feature = "sec1")]
use crate::sec1;
use crate::sec2::{self, ClientConvention, Sec2Patch, conventions_agree};
use crate::session::{DataCipher, decode_session};
use crate::{SecureRng, SecurityError, sec0};

/// What a client authenticates with.
#[derive(Clone)]
pub enum ClientSecurityConfig {
    /// No authentication, no encryption.
    Sec0,
    /// `None` or an empty PoP means no PoP. esp_prov passes the PoP string latin-1 encoded;
    /// the bytes given here are used as they are. Only with the `sec1` feature (default on).
    #[cfg(feature = "sec1")]
    Sec1 {
        /// The proof of possession.
        pop: Option<Vec<u8>>,
    },
    /// SRP6a username and password (hashed as given; esp_prov uses UTF-8).
    Sec2 {
        /// The SRP username (`I`).
        username: Vec<u8>,
        /// The SRP password.
        password: Vec<u8>,
        /// The GCM nonce convention the device announced (`sec_patch_ver`).
        patch: Sec2Patch,
    },
}

impl fmt::Debug for ClientSecurityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sec0 => f.write_str("Sec0"),
            #[cfg(feature = "sec1")]
            Self::Sec1 { pop } => f
                .debug_struct("Sec1")
                .field("has_pop", &pop.as_ref().is_some_and(|p| !p.is_empty()))
                .finish(),
            Self::Sec2 {
                username, patch, ..
            } => f
                .debug_struct("Sec2")
                .field("username_len", &username.len())
                .field("patch", patch)
                .finish_non_exhaustive(),
        }
    }
}

impl Drop for ClientSecurityConfig {
    fn drop(&mut self) {
        match self {
            #[cfg(feature = "sec1")]
            Self::Sec1 { pop: Some(pop) } => pop.zeroize(),
            Self::Sec2 { password, .. } => password.zeroize(),
            _ => {}
        }
    }
}

impl ClientSecurityConfig {
    /// The `sec_ver` this configuration speaks.
    pub fn sec_ver(&self) -> u8 {
        match self {
            Self::Sec0 => 0,
            #[cfg(feature = "sec1")]
            Self::Sec1 { .. } => 1,
            Self::Sec2 { .. } => 2,
        }
    }
}

// Without sec1 the GCM state dwarfs the other variants; there is one of these per client
// session, so an extra heap allocation per handshake would buy nothing.
#[cfg_attr(not(feature = "sec1"), allow(clippy::large_enum_variant))]
#[derive(Debug)]
enum ClientState {
    Idle,
    Sec0AwaitResp,
    #[cfg(feature = "sec1")]
    Sec1AwaitResp0(sec1::ClientAwaitResp0),
    #[cfg(feature = "sec1")]
    Sec1AwaitResp1(sec1::ClientAwaitResp1),
    Sec2AwaitResp0(sec2::ClientAwaitResp0),
    Sec2AwaitResp1(sec2::ClientAwaitResp1),
    Established(DataCipher),
}

/// One client-side security session.
#[derive(Debug)]
pub struct ClientSession {
    config: ClientSecurityConfig,
    state: ClientState,
    /// How a sec2 handshake encodes what it hashes and sends.
    sec2_convention: ClientConvention,
    /// The salt of the last sec2 Response0 (public: the device sends it to anyone).
    sec2_salt: Option<Vec<u8>>,
    /// A sec2 proof went out and the device has not answered it with success.
    sec2_proof_unanswered: bool,
}

impl ClientSession {
    /// A session that has sent nothing yet (sec2 in [`ClientConvention::EspIdf`]).
    pub fn new(config: ClientSecurityConfig) -> Self {
        Self {
            config,
            state: ClientState::Idle,
            sec2_convention: ClientConvention::default(),
            sec2_salt: None,
            sec2_proof_unanswered: false,
        }
    }

    /// The same session with security 2 following `convention` (ignored by sec0 and sec1).
    pub fn with_sec2_convention(mut self, convention: ClientConvention) -> Self {
        self.sec2_convention = convention;
        self
    }

    /// The convention a security 2 handshake of this session follows.
    pub fn sec2_convention(&self) -> ClientConvention {
        self.sec2_convention
    }

    /// After a failed sec2 handshake: the convention worth one retry, if the device did not
    /// accept this session's proof (no answer, or a failure status) and that convention
    /// derives a different x for these credentials and the salt the device sent. `None` when
    /// the other convention would compute the same proof (a wrong password stays wrong), when
    /// the device accepted the proof, and for other schemes.
    pub fn sec2_fallback(&self) -> Option<ClientConvention> {
        let ClientSecurityConfig::Sec2 {
            username, password, ..
        } = &self.config
        else {
            return None;
        };
        let salt = self.sec2_salt.as_deref()?;
        let other = self.sec2_convention.fallback()?;
        (self.sec2_proof_unanswered
            && !conventions_agree(
                salt,
                username,
                password,
                self.sec2_convention.verifier(),
                other.verifier(),
            ))
        .then_some(other)
    }

    /// Builds the Command0 body, (re)starting the handshake. RNG use: sec1 draws the 32-byte
    /// X25519 secret; sec2 see the `sec2` module; sec0 nothing.
    pub fn start<R: SecureRng + ?Sized>(&mut self, rng: &mut R) -> Result<Vec<u8>, SecurityError> {
        self.state = ClientState::Idle;
        self.sec2_salt = None;
        self.sec2_proof_unanswered = false;
        let sec_ver = i32::from(self.config.sec_ver());
        let (state, proto) = match &self.config {
            ClientSecurityConfig::Sec0 => (
                ClientState::Sec0AwaitResp,
                Proto::Sec0(sec0::client_command()),
            ),
            #[cfg(feature = "sec1")]
            ClientSecurityConfig::Sec1 { pop } => {
                let (next, cmd0) = sec1::ClientAwaitResp0::start(pop.as_deref(), rng);
                (
                    ClientState::Sec1AwaitResp0(next),
                    Proto::Sec1(Sec1Payload {
                        msg: Sec1MsgType::SessionCommand0 as i32,
                        payload: Some(sec1_payload::Payload::Sc0(cmd0)),
                    }),
                )
            }
            ClientSecurityConfig::Sec2 {
                username,
                password,
                patch,
            } => {
                let (next, cmd0) = sec2::ClientAwaitResp0::start(
                    username,
                    password,
                    *patch,
                    self.sec2_convention,
                    rng,
                )?;
                (
                    ClientState::Sec2AwaitResp0(next),
                    Proto::Sec2(Sec2Payload {
                        msg: Sec2MsgType::S2SessionCommand0 as i32,
                        payload: Some(sec2_payload::Payload::Sc0(cmd0)),
                    }),
                )
            }
        };
        self.state = state;
        Ok(SessionData {
            sec_ver,
            proto: Some(proto),
        }
        .encode_to_vec())
    }

    /// Feeds one `prov-session` response body: `Ok(Some(next request body))`, or `Ok(None)` once
    /// the session is established. After an error the client must [`start`](Self::start) again.
    pub fn handle_response<R: SecureRng + ?Sized>(
        &mut self,
        response: &[u8],
        rng: &mut R,
    ) -> Result<Option<Vec<u8>>, SecurityError> {
        // The RNG is part of the agreed signature for schemes that draw randomness late; sec0
        // and sec1 clients draw everything in `start`.
        let _ = rng;
        let state = mem::replace(&mut self.state, ClientState::Idle);
        let awaiting_proof_answer = matches!(state, ClientState::Sec2AwaitResp1(_));
        let (next, request) = match self.step(state, response) {
            Ok(stepped) => stepped,
            Err(error) => {
                // In this state an authentication failure is ours: the device answered the
                // proof with success and its H_AMK did not verify.
                if awaiting_proof_answer && error == SecurityError::AuthenticationFailed {
                    self.sec2_proof_unanswered = false;
                }
                return Err(error);
            }
        };
        if let ClientState::Sec2AwaitResp1(_) = next {
            self.sec2_proof_unanswered = true;
        } else if awaiting_proof_answer {
            self.sec2_proof_unanswered = false;
        }
        self.state = next;
        Ok(request.map(|data| data.encode_to_vec()))
    }

    /// Whether `encrypt`/`decrypt` can be used (always for sec0, which has no session state).
    pub fn is_established(&self) -> bool {
        matches!(self.config, ClientSecurityConfig::Sec0)
            || matches!(self.state, ClientState::Established(_))
    }

    /// Encrypts a request body. Sec0 copies it.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        match (&self.config, &mut self.state) {
            (ClientSecurityConfig::Sec0, _) => Ok(plaintext.to_vec()),
            (_, ClientState::Established(cipher)) => cipher.encrypt(plaintext),
            _ => Err(SecurityError::NotEstablished),
        }
    }

    /// Decrypts a response body. Sec0 copies it.
    pub fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        match (&self.config, &mut self.state) {
            (ClientSecurityConfig::Sec0, _) => Ok(ciphertext.to_vec()),
            (_, ClientState::Established(cipher)) => cipher.decrypt(ciphertext),
            _ => Err(SecurityError::NotEstablished),
        }
    }

    fn step(
        &mut self,
        state: ClientState,
        response: &[u8],
    ) -> Result<(ClientState, Option<SessionData>), SecurityError> {
        if matches!(state, ClientState::Idle | ClientState::Established(_)) {
            return Err(SecurityError::OutOfOrder);
        }
        let (sec_ver, proto) = decode_session(response, self.config.sec_ver())?;
        let request = |proto: Proto| {
            Some(SessionData {
                sec_ver,
                proto: Some(proto),
            })
        };
        match (state, proto) {
            (ClientState::Sec0AwaitResp, Proto::Sec0(payload)) => {
                sec0::client_check_response(&payload)?;
                Ok((ClientState::Established(DataCipher::Plain), None))
            }
            #[cfg(feature = "sec1")]
            (ClientState::Sec1AwaitResp0(awaiting), Proto::Sec1(payload)) => {
                let resp0 = match expect_sec1(payload, Sec1MsgType::SessionResponse0)? {
                    sec1_payload::Payload::Sr0(resp0) => resp0,
                    _ => return Err(PAYLOAD_MISMATCH),
                };
                let (next, cmd1) = awaiting.handle_resp0(&resp0)?;
                Ok((
                    ClientState::Sec1AwaitResp1(next),
                    request(Proto::Sec1(Sec1Payload {
                        msg: Sec1MsgType::SessionCommand1 as i32,
                        payload: Some(sec1_payload::Payload::Sc1(cmd1)),
                    })),
                ))
            }
            #[cfg(feature = "sec1")]
            (ClientState::Sec1AwaitResp1(awaiting), Proto::Sec1(payload)) => {
                let resp1 = match expect_sec1(payload, Sec1MsgType::SessionResponse1)? {
                    sec1_payload::Payload::Sr1(resp1) => resp1,
                    _ => return Err(PAYLOAD_MISMATCH),
                };
                let cipher = awaiting.handle_resp1(&resp1)?;
                Ok((ClientState::Established(DataCipher::Sec1(cipher)), None))
            }
            (ClientState::Sec2AwaitResp0(awaiting), Proto::Sec2(payload)) => {
                let resp0 = match expect_sec2(payload, Sec2MsgType::S2SessionResponse0)? {
                    sec2_payload::Payload::Sr0(resp0) => resp0,
                    _ => return Err(PAYLOAD_MISMATCH),
                };
                self.sec2_salt = Some(resp0.device_salt.clone());
                let (next, cmd1) = awaiting.handle_resp0(&resp0)?;
                Ok((
                    ClientState::Sec2AwaitResp1(next),
                    request(Proto::Sec2(Sec2Payload {
                        msg: Sec2MsgType::S2SessionCommand1 as i32,
                        payload: Some(sec2_payload::Payload::Sc1(cmd1)),
                    })),
                ))
            }
            (ClientState::Sec2AwaitResp1(awaiting), Proto::Sec2(payload)) => {
                let resp1 = match expect_sec2(payload, Sec2MsgType::S2SessionResponse1)? {
                    sec2_payload::Payload::Sr1(resp1) => resp1,
                    _ => return Err(PAYLOAD_MISMATCH),
                };
                let cipher = awaiting.handle_resp1(&resp1)?;
                Ok((ClientState::Established(DataCipher::Sec2(cipher)), None))
            }
            // decode_session has matched the oneof against the configured scheme, and each
            // state belongs to exactly one scheme, so this is a state/scheme mix-up.
            _ => Err(SecurityError::OutOfOrder),
        }
    }
}

const PAYLOAD_MISMATCH: SecurityError =
    SecurityError::MalformedMessage("msg type does not match its payload");

/// Checks that the payload is present, its `msg` is `wanted`, and returns the payload.
#[cfg(feature = "sec1")]
fn expect_sec1(
    payload: Sec1Payload,
    wanted: Sec1MsgType,
) -> Result<sec1_payload::Payload, SecurityError> {
    use sec1_payload::Payload;
    let inner = payload
        .payload
        .ok_or(SecurityError::MalformedMessage("sec1 payload missing"))?;
    let carried = match &inner {
        Payload::Sc0(_) => Sec1MsgType::SessionCommand0,
        Payload::Sr0(_) => Sec1MsgType::SessionResponse0,
        Payload::Sc1(_) => Sec1MsgType::SessionCommand1,
        Payload::Sr1(_) => Sec1MsgType::SessionResponse1,
    };
    if payload.msg != carried as i32 {
        return Err(SecurityError::MalformedMessage(
            "sec1 msg type does not match its payload",
        ));
    }
    if carried != wanted {
        return Err(SecurityError::OutOfOrder);
    }
    Ok(inner)
}

fn expect_sec2(
    payload: Sec2Payload,
    wanted: Sec2MsgType,
) -> Result<sec2_payload::Payload, SecurityError> {
    use sec2_payload::Payload;
    let inner = payload
        .payload
        .ok_or(SecurityError::MalformedMessage("sec2 payload missing"))?;
    let carried = match &inner {
        Payload::Sc0(_) => Sec2MsgType::S2SessionCommand0,
        Payload::Sr0(_) => Sec2MsgType::S2SessionResponse0,
        Payload::Sc1(_) => Sec2MsgType::S2SessionCommand1,
        Payload::Sr1(_) => Sec2MsgType::S2SessionResponse1,
    };
    if payload.msg != carried as i32 {
        return Err(SecurityError::MalformedMessage(
            "sec2 msg type does not match its payload",
        ));
    }
    if carried != wanted {
        return Err(SecurityError::OutOfOrder);
    }
    Ok(inner)
}
