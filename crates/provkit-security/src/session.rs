//! Device (responder) side of the façade: one [`DeviceSession`] per protocomm instance.

use alloc::vec::Vec;
use core::{fmt, mem};

use provkit_proto::{
    Message, S2SessionCmd0, S2SessionCmd1, Sec2MsgType, Sec2Payload, SessionData, sec2_payload,
    session_data::Proto,
};
#[cfg(feature = "sec1")]
use provkit_proto::{Sec1MsgType, Sec1Payload, sec1_payload};
use zeroize::Zeroize;

#[cfg(feature = "sec1")]
use crate::sec1::{self, Sec1Cipher};
use crate::sec2::{self, DeviceCredentials, GcmCipher, Sec2Patch};
use crate::{SecureRng, SecurityError, sec0};

/// Longest SRP `A` on the wire (384 bytes, N's length). ESP-IDF firmware accepts nothing
/// shorter (spec §2.5); this device also takes the minimal encoding Espressif's clients send
/// when A has leading zero bytes (383 bytes about once in 256).
pub(crate) const SEC2_CLIENT_PUBKEY_LEN: usize = 384;
/// Longest sec2 client proof `M` (SHA-512); the Android library sends it minimal (63 bytes
/// when M starts with a zero byte).
pub(crate) const SEC2_CLIENT_PROOF_LEN: usize = 64;
/// Longest accepted sec2 username (the reference's 16-bit length limit).
pub(crate) const SEC2_MAX_USERNAME_LEN: usize = 65535;

/// The reference count that lets every session of a device share one [`PreparedSec2`]:
/// `Arc` where the target has atomic compare-and-swap (hosts, thumbv7em), so a config stays
/// `Send + Sync` for threaded simulators; `Rc` on targets without it (riscv32imc), where
/// `alloc::sync` does not exist and firmware is single-threaded anyway.
#[cfg(target_has_atomic = "ptr")]
type Shared<T> = alloc::sync::Arc<T>;
#[cfg(not(target_has_atomic = "ptr"))]
type Shared<T> = alloc::rc::Rc<T>;

/// sec2 credentials with their per-device table already built, shared by reference count:
/// cloning this (or a [`DeviceSecurityConfig::Sec2Prepared`], or a `DeviceSession`'s config)
/// copies a pointer, not the 24 KiB table.
#[derive(Clone)]
pub struct PreparedSec2 {
    credentials: Shared<DeviceCredentials>,
    patch: Sec2Patch,
}

impl PreparedSec2 {
    /// Validates `salt` and `verifier` and builds the table (~17 M x86-64 instructions).
    pub fn new(salt: &[u8], verifier: &[u8], patch: Sec2Patch) -> Result<Self, SecurityError> {
        Ok(Self::from_credentials(
            DeviceCredentials::new(salt, verifier)?,
            patch,
        ))
    }

    /// Shares credentials built elsewhere (e.g. [`DeviceCredentials::new_compact`] on a
    /// RAM-tight device).
    pub fn from_credentials(credentials: DeviceCredentials, patch: Sec2Patch) -> Self {
        Self {
            credentials: Shared::new(credentials),
            patch,
        }
    }

    /// The stored salt.
    pub fn salt(&self) -> &[u8] {
        self.credentials.salt()
    }

    /// The stored verifier.
    pub fn verifier(&self) -> &[u8] {
        self.credentials.verifier()
    }

    /// The nonce rule.
    pub fn patch(&self) -> Sec2Patch {
        self.patch
    }

    /// The shared credentials.
    pub fn credentials(&self) -> &DeviceCredentials {
        &self.credentials
    }
}

impl fmt::Debug for PreparedSec2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedSec2")
            .field("credentials", &*self.credentials)
            .field("patch", &self.patch)
            .finish()
    }
}

/// What a device is provisioned with.
///
/// For sec2, call [`DeviceSecurityConfig::prepare`] once at start-up: it turns `Sec2` into
/// `Sec2Prepared`, whose per-device table is then shared by every [`DeviceSession`] made from
/// a clone of the config (protocomm makes one per client session): ~22.5 M x86-64
/// instructions per handshake after ~17.4 M once at start-up, 24 KiB RAM. A plain `Sec2`
/// config still works: each `DeviceSession` then derives table-free credentials at its first
/// Command0 (~0.2 M) and every handshake costs ~38 M, with no table in RAM.
#[derive(Clone)]
pub enum DeviceSecurityConfig {
    /// No authentication, no encryption.
    Sec0,
    /// X25519 + PoP + AES-256-CTR. `None` or an empty PoP means no PoP (no XOR into the key).
    /// Only with the `sec1` feature (default on).
    #[cfg(feature = "sec1")]
    Sec1 {
        /// The proof of possession.
        pop: Option<Vec<u8>>,
    },
    /// SRP6a + AES-256-GCM with the stored salt and verifier (see `generate_sec2_credentials`).
    Sec2 {
        /// The SRP salt, as stored (16 bytes, or 15 from esp_prov when it dropped a zero).
        salt: Vec<u8>,
        /// The SRP verifier `v = g^x mod N`, big-endian, as stored.
        verifier: Vec<u8>,
        /// The GCM nonce convention announced as `sec_patch_ver` (patch 1 for new devices).
        patch: Sec2Patch,
    },
    /// Sec2 with the per-device table built and shared; made by
    /// [`DeviceSecurityConfig::prepare`] or from a [`PreparedSec2`].
    Sec2Prepared(PreparedSec2),
}

impl fmt::Debug for DeviceSecurityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The PoP is a secret and the verifier allows offline guessing; show only shapes.
        match self {
            Self::Sec0 => f.write_str("Sec0"),
            #[cfg(feature = "sec1")]
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
            Self::Sec2Prepared(prepared) => prepared.fmt(f),
        }
    }
}

impl Drop for DeviceSecurityConfig {
    fn drop(&mut self) {
        match self {
            #[cfg(feature = "sec1")]
            Self::Sec1 { pop: Some(pop) } => pop.zeroize(),
            // The verifier allows offline password guessing.
            Self::Sec2 { verifier, .. } => verifier.zeroize(),
            // `DeviceCredentials` wipes itself when the last reference goes.
            _ => {}
        }
    }
}

impl DeviceSecurityConfig {
    /// The `sec_ver` on the wire and in `proto-ver` (`0`, `1` or `2`).
    pub fn sec_ver(&self) -> u8 {
        match self {
            Self::Sec0 => 0,
            #[cfg(feature = "sec1")]
            Self::Sec1 { .. } => 1,
            Self::Sec2 { .. } | Self::Sec2Prepared(_) => 2,
        }
    }

    /// Builds the sec2 per-device table now and returns the config in its shared form
    /// (`Sec2Prepared`); other configs are returned unchanged. Call once at start-up: a bad
    /// verifier is reported here, and no client waits for the table.
    pub fn prepare(mut self) -> Result<Self, SecurityError> {
        let prepared = match &self {
            Self::Sec2 {
                salt,
                verifier,
                patch,
            } => PreparedSec2::new(salt, verifier, *patch)?,
            _ => return Ok(self),
        };
        // `Drop` forbids moving out of `self`; replace it instead (its verifier is wiped
        // when the old value drops).
        self = Self::Sec2Prepared(prepared);
        Ok(self)
    }

    /// The sec2 nonce rule, if this is a sec2 config.
    pub fn sec2_patch(&self) -> Option<Sec2Patch> {
        match self {
            Self::Sec2 { patch, .. } => Some(*patch),
            Self::Sec2Prepared(prepared) => Some(prepared.patch),
            _ => None,
        }
    }

    /// The `sec_patch_ver` advertised in `proto-ver`: 1 only for sec2 with the fixed nonce.
    pub fn sec_patch_ver(&self) -> u8 {
        match self.sec2_patch() {
            Some(Sec2Patch::Patch1) => 1,
            _ => 0,
        }
    }
}

/// The data-phase cipher of an established session (either role).
// Without sec1 the GCM state dwarfs the other variants; there is one of these per client
// session, so an extra heap allocation per handshake would buy nothing.
#[cfg_attr(not(feature = "sec1"), allow(clippy::large_enum_variant))]
#[derive(Debug)]
pub(crate) enum DataCipher {
    Plain,
    #[cfg(feature = "sec1")]
    Sec1(Sec1Cipher),
    Sec2(GcmCipher),
}

impl DataCipher {
    pub(crate) fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        match self {
            Self::Plain => Ok(plaintext.to_vec()),
            #[cfg(feature = "sec1")]
            Self::Sec1(c) => c.encrypt(plaintext),
            Self::Sec2(c) => c.encrypt(plaintext),
        }
    }

    pub(crate) fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        match self {
            Self::Plain => Ok(ciphertext.to_vec()),
            #[cfg(feature = "sec1")]
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

// Without sec1 the GCM state dwarfs the other variants; there is one of these per client
// session, so an extra heap allocation per handshake would buy nothing.
#[cfg_attr(not(feature = "sec1"), allow(clippy::large_enum_variant))]
#[derive(Debug)]
enum DeviceState {
    AwaitCmd0,
    #[cfg(feature = "sec1")]
    Sec1AwaitCmd1(sec1::DeviceAwaitCmd1),
    Sec2AwaitCmd1(sec2::DeviceAwaitCmd1),
    Established(DataCipher),
}

/// One device-side security session (ESP-IDF keeps exactly one per protocomm instance).
#[derive(Debug)]
pub struct DeviceSession {
    config: DeviceSecurityConfig,
    state: DeviceState,
    /// sec2's per-device values (k·v, and the comb table of v when prepared), shared with the
    /// config when it is `Sec2Prepared`, else built at the first Command0 (compact) or by
    /// [`DeviceSession::prepare`] (with table), and kept across restarts and
    /// [`DeviceSession::reset`]. Command0 borrows them; no session state owns a copy.
    sec2_credentials: Option<Shared<DeviceCredentials>>,
}

impl DeviceSession {
    /// A session waiting for Command0.
    pub fn new(config: DeviceSecurityConfig) -> Self {
        let sec2_credentials = match &config {
            DeviceSecurityConfig::Sec2Prepared(prepared) => Some(prepared.credentials.clone()),
            _ => None,
        };
        Self {
            config,
            state: DeviceState::AwaitCmd0,
            sec2_credentials,
        }
    }

    /// Builds the full sec2 table now (a no-op for sec0/sec1 and for a `Sec2Prepared` config,
    /// which already shares one), so every later handshake of this session takes the fast
    /// path and a bad verifier is reported at start-up. Prefer
    /// [`DeviceSecurityConfig::prepare`], which shares the table with every session.
    pub fn prepare(&mut self) -> Result<(), SecurityError> {
        if let DeviceSecurityConfig::Sec2 { salt, verifier, .. } = &self.config
            && !self
                .sec2_credentials
                .as_ref()
                .is_some_and(|c| c.has_table())
        {
            self.sec2_credentials = Some(Shared::new(DeviceCredentials::new(salt, verifier)?));
        }
        Ok(())
    }

    /// The credentials Command0 borrows. Without a prepared table they are built lazily in
    /// their compact (table-free) form: cheap (~0.2 M instructions) and 24 KiB smaller, so a
    /// first handshake stays under the target (~38 M) even when, as in protocomm, every client
    /// session gets a new `DeviceSession`; building the table here would cost ~40 M.
    fn sec2_credentials(&mut self) -> Result<Option<&DeviceCredentials>, SecurityError> {
        if let DeviceSecurityConfig::Sec2 { salt, verifier, .. } = &self.config
            && self.sec2_credentials.is_none()
        {
            self.sec2_credentials =
                Some(Shared::new(DeviceCredentials::new_compact(salt, verifier)?));
        }
        Ok(self.sec2_credentials.as_deref())
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
            #[cfg(feature = "sec1")]
            (DeviceSecurityConfig::Sec1 { pop }, Proto::Sec1(payload)) => {
                let (next, response) = step_sec1(pop.as_deref(), state, payload, rng)?;
                Ok((next, reply(Proto::Sec1(response))))
            }
            (
                DeviceSecurityConfig::Sec2 { .. } | DeviceSecurityConfig::Sec2Prepared(_),
                Proto::Sec2(payload),
            ) => {
                let credentials =
                    self.sec2_credentials
                        .as_deref()
                        .ok_or(SecurityError::InvalidConfig(
                            "sec2 credentials not prepared",
                        ))?;
                let patch = self.config.sec2_patch().unwrap_or(Sec2Patch::Patch1);
                let (next, response) = step_sec2(credentials, patch, state, payload, rng)?;
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

#[cfg(feature = "sec1")]
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
        1..=SEC2_CLIENT_PUBKEY_LEN,
        "client_pubkey",
        "1..=384",
    )
}

fn check_sec2_cmd1(cmd1: &S2SessionCmd1) -> Result<(), SecurityError> {
    check_len(
        &cmd1.client_proof,
        1..=SEC2_CLIENT_PROOF_LEN,
        "client_proof",
        "1..=64",
    )
}

fn step_sec2<R: SecureRng + ?Sized>(
    credentials: &DeviceCredentials,
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
            // Borrows the shared credentials: nothing per-device is copied per session.
            let (next, resp0) = sec2::device_handle_cmd0(credentials, patch, &cmd0, rng)?;
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
