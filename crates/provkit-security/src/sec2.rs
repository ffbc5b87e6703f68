//! # Security 2: the SRP-6a handshake and the AES-256-GCM data phase
//!
//! Consumed-state machines for both roles (spec §4.3; the arithmetic is in the `srp`
//! module, public only with the `hazmat` feature):
//!
//! ```text
//!  device:  DeviceAwaitCmd0 ──Cmd0/Resp0──▶ DeviceAwaitCmd1 ──Cmd1/Resp1──▶ GcmCipher
//!  client:  ClientAwaitResp0::start ─Cmd0─▶ ClientAwaitResp0 ──Resp0/Cmd1──▶ ClientAwaitResp1
//!                                                           ──Resp1──▶ GcmCipher
//! ```
//!
//! Each step takes `self` and returns the next state or a [`SecurityError`]; a failed step
//! leaves nothing to continue from, matching the reference, which answers nothing and needs a
//! new Command0.
//!
//! Randomness, in the order it is drawn (so recorded vectors can be replayed through a scripted
//! RNG): device — 32 bytes of `b` at Command0 (drawn again only if all zero), then at Command1
//! the nonce: 8 session-id bytes (patch 1, counter starts at 1) or 16 bytes (patch 0). Client —
//! 32 bytes for `a` (top bit forced, as esp_prov), drawn again until A has 384 bytes, because
//! ESP-IDF firmware rejects shorter A (spec §12.4); the Android test mode draws once.
//!
//! ## Every client's encodings
//!
//! Espressif's clients disagree on leading zero bytes (table in the `srp` conventions docs,
//! facts in `tests/vectors/sec2-client-conventions.json`). The device here accepts all of
//! them, where ESP-IDF firmware rejects ≈1.2 % of the Android library's sessions:
//!
//! * A of 1..=384 bytes, hashed as received in M and H_AMK, left-padded in u; A ≡ 0 (mod N)
//!   is refused (RFC 5054; ESP-IDF does not check it). B is sent minimal, as ESP-IDF does,
//!   because esp_prov and the Android library always hash it minimal;
//! * the proof as 64 bytes or minimal (63 when M starts with zero), computed over the stored
//!   salt raw or minimal and over K raw or minimal; the client's proof decides which, then
//!   H_AMK hashes M and K the way that client did, and the AES key comes from K as that
//!   client encoded it. Extra M values are computed only when the salt or K starts with zero;
//!   the comparison is constant time over all of them.
//!
//! The client follows a [`ClientConvention`]: ESP-IDF's and the phone apps' by default,
//! esp_prov's, or a test mode with the Android library's minimal encodings.
//!
//! ## Data phase ([`GcmCipher`])
//! `ciphertext ‖ 16-byte tag`, no AAD, key = K[0..32].
//! * patch 0: the device nonce (16 bytes from legacy firmware, i.e. GCM's GHASH-derived J0
//!   path, or 12) is used unchanged for every message in both directions;
//! * patch 1: 8-byte session id ‖ big-endian u32 counter starting at 1, incremented after every
//!   successful encrypt and decrypt on both sides; counter 0 (including after a wrap) is
//!   refused with [`SecurityError::CounterExhausted`].

use alloc::vec::Vec;

use aes_gcm::aead::Aead;
use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, KeyInit};
use provkit_proto::{S2SessionCmd0, S2SessionCmd1, S2SessionResp0, S2SessionResp1, Status};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::SecurityError;
use crate::srp::{self, HASH_BYTES, N_BYTES, ProofVariants, SECRET_BYTES};

pub use crate::srp::{
    ClientConvention, ConventionMismatch, Encoding, MismatchPolicy, Sec2Client, VerifierConvention,
    check_conventions, conventions_agree,
};

/// Which data-phase nonce rule a sec2 session follows (`sec_patch_ver` in `proto-ver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sec2Patch {
    /// Firmware before the 2025-03 IV fix: one fixed nonce for the whole session.
    Patch0,
    /// Fixed firmware: session id ‖ counter, incremented after every operation.
    Patch1,
}

impl Sec2Patch {
    /// The `sec_patch_ver` value advertised in `proto-ver`.
    pub fn sec_patch_ver(self) -> u8 {
        match self {
            Self::Patch0 => 0,
            Self::Patch1 => 1,
        }
    }

    /// The patch for an advertised `sec_patch_ver` (a missing key means 0); `None` if unknown.
    pub fn from_sec_patch_ver(value: u64) -> Option<Self> {
        match value {
            0 => Some(Self::Patch0),
            1 => Some(Self::Patch1),
            _ => None,
        }
    }
}

/// Redraws allowed for a value the RNG must not produce (an all-zero `b`, a short A).
const MAX_DRAWS: usize = 64;
const RNG_STUCK: &str = "the RNG keeps returning unusable values";

/// Length of the patch-1 session id that precedes the counter.
pub const SESSION_ID_BYTES: usize = 8;
/// Length of the nonce legacy (patch 0) firmware sends.
pub const LEGACY_NONCE_BYTES: usize = 16;
/// Length of the GCM tag appended to every record.
pub const TAG_BYTES: usize = 16;

fn check_status(status: i32) -> Result<(), SecurityError> {
    if status == Status::Success as i32 {
        Ok(())
    } else {
        Err(SecurityError::PeerStatus(status))
    }
}

fn check_len(
    field: &'static str,
    got: usize,
    want: core::ops::RangeInclusive<usize>,
    expected: &'static str,
) -> Result<(), SecurityError> {
    if want.contains(&got) {
        Ok(())
    } else {
        Err(SecurityError::BadLength {
            field,
            expected,
            got,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Device
// ---------------------------------------------------------------------------------------------

pub use crate::srp::DeviceCredentials;

/// Device, before Command0: the credentials and the patch, owned.
///
/// A device that runs many sessions should not own a copy per session: call
/// [`device_handle_cmd0`] with one shared `&DeviceCredentials` instead (the façade does).
#[derive(Clone, Debug)]
pub struct DeviceAwaitCmd0 {
    credentials: DeviceCredentials,
    patch: Sec2Patch,
}

/// Device, after Response0: waiting for the client proof. Holds only what Command1 needs
/// (A as sent, the accepted proofs and the session key), not the credentials.
pub struct DeviceAwaitCmd1 {
    patch: Sec2Patch,
    a_wire: Vec<u8>,
    proofs: ProofVariants,
    key: Zeroizing<[u8; HASH_BYTES]>,
}

impl core::fmt::Debug for DeviceAwaitCmd1 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DeviceAwaitCmd1")
            .field("patch", &self.patch)
            .finish_non_exhaustive()
    }
}

/// Command0 against shared credentials: draws `b` (32 bytes) and answers with B and the salt.
///
/// This is the per-session entry point; `credentials` is built once per device
/// ([`DeviceCredentials::new`]) and only borrowed here, so nothing per-device is copied.
pub fn device_handle_cmd0<R: CryptoRng + ?Sized>(
    credentials: &DeviceCredentials,
    patch: Sec2Patch,
    cmd: &S2SessionCmd0,
    rng: &mut R,
) -> Result<(DeviceAwaitCmd1, S2SessionResp0), SecurityError> {
    let mut b = Zeroizing::new([0u8; SECRET_BYTES]);
    // An all-zero b is drawn again; a bounded number of times, so a broken RNG that only
    // returns zeros is an error rather than a hang.
    for _ in 0..MAX_DRAWS {
        rng.fill_bytes(b.as_mut());
        // Folded without branching; only "b was all zero" (chance 2^-256) becomes public.
        let any_set = b.iter().fold(0u8, |acc, &x| acc | x) != 0;
        if crate::ct_check::declassify_bool(any_set) {
            return device_cmd0_with_secret(credentials, patch, cmd, &b);
        }
    }
    Err(SecurityError::InvalidConfig(RNG_STUCK))
}

fn device_cmd0_with_secret(
    credentials: &DeviceCredentials,
    patch: Sec2Patch,
    cmd: &S2SessionCmd0,
    b: &[u8; SECRET_BYTES],
) -> Result<(DeviceAwaitCmd1, S2SessionResp0), SecurityError> {
    srp::check_username(&cmd.client_username)?;
    check_len(
        "client_pubkey",
        cmd.client_pubkey.len(),
        1..=N_BYTES,
        "1..=384",
    )?;
    let exchange = credentials.device_exchange(&cmd.client_username, &cmd.client_pubkey, b)?;
    let resp = S2SessionResp0 {
        status: Status::Success as i32,
        device_pubkey: exchange.b_public,
        device_salt: credentials.salt().to_vec(),
    };
    Ok((
        DeviceAwaitCmd1 {
            patch,
            a_wire: cmd.client_pubkey.clone(),
            proofs: exchange.proofs,
            key: exchange.key,
        },
        resp,
    ))
}

impl DeviceAwaitCmd0 {
    /// Validates the credentials and builds their precomputed table.
    ///
    /// This costs ~0.7 of a handshake (~17 M x86-64 instructions). A device that runs many
    /// sessions should build one [`DeviceCredentials`] and call [`device_handle_cmd0`] per
    /// session (or use the façade with a prepared `DeviceSecurityConfig`).
    pub fn new(salt: &[u8], verifier: &[u8], patch: Sec2Patch) -> Result<Self, SecurityError> {
        Ok(Self::from_credentials(
            DeviceCredentials::new(salt, verifier)?,
            patch,
        ))
    }

    /// A session owning already prepared credentials.
    pub fn from_credentials(credentials: DeviceCredentials, patch: Sec2Patch) -> Self {
        Self { credentials, patch }
    }

    /// The patch this session follows.
    pub fn patch(&self) -> Sec2Patch {
        self.patch
    }

    /// Command0: draws `b` (32 bytes) and answers with B and the salt.
    pub fn handle_cmd0<R: CryptoRng + ?Sized>(
        self,
        cmd: &S2SessionCmd0,
        rng: &mut R,
    ) -> Result<(DeviceAwaitCmd1, S2SessionResp0), SecurityError> {
        device_handle_cmd0(&self.credentials, self.patch, cmd, rng)
    }

    /// Command0 with an explicit secret `b` (big-endian, used as is).
    ///
    /// Hazmat: for known-answer tests only; a reused or predictable `b` breaks the session.
    #[cfg(feature = "hazmat")]
    pub fn handle_cmd0_with_secret(
        self,
        cmd: &S2SessionCmd0,
        b: &[u8; SECRET_BYTES],
    ) -> Result<(DeviceAwaitCmd1, S2SessionResp0), SecurityError> {
        device_cmd0_with_secret(&self.credentials, self.patch, cmd, b)
    }
}

impl DeviceAwaitCmd1 {
    /// Command1: checks the client proof, draws the nonce, answers with H_AMK and the nonce.
    pub fn handle_cmd1<R: CryptoRng + ?Sized>(
        self,
        cmd: &S2SessionCmd1,
        rng: &mut R,
    ) -> Result<(GcmCipher, S2SessionResp1), SecurityError> {
        let mut nonce = Vec::new();
        match self.patch {
            Sec2Patch::Patch1 => {
                nonce.resize(SESSION_ID_BYTES, 0);
                rng.fill_bytes(&mut nonce);
                nonce.extend_from_slice(&1u32.to_be_bytes());
            }
            Sec2Patch::Patch0 => {
                nonce.resize(LEGACY_NONCE_BYTES, 0);
                rng.fill_bytes(&mut nonce);
            }
        }
        self.cmd1_with_nonce(cmd, &nonce)
    }

    /// Command1 with an explicit device nonce.
    ///
    /// Hazmat: for known-answer tests only; a repeated nonce breaks GCM.
    #[cfg(feature = "hazmat")]
    pub fn handle_cmd1_with_nonce(
        self,
        cmd: &S2SessionCmd1,
        nonce: &[u8],
    ) -> Result<(GcmCipher, S2SessionResp1), SecurityError> {
        self.cmd1_with_nonce(cmd, nonce)
    }

    fn cmd1_with_nonce(
        self,
        cmd: &S2SessionCmd1,
        nonce: &[u8],
    ) -> Result<(GcmCipher, S2SessionResp1), SecurityError> {
        check_len(
            "client_proof",
            cmd.client_proof.len(),
            1..=HASH_BYTES,
            "1..=64",
        )?;
        // The proof says how the client encoded K (and the salt, and M itself).
        let key_encoding = self
            .proofs
            .check(&cmd.client_proof)
            .ok_or(SecurityError::AuthenticationFailed)?;
        let cipher =
            GcmCipher::from_key_bytes(key_encoding.apply(self.key.as_ref()), nonce, self.patch)?;
        let proof = srp::device_proof_for(&self.a_wire, &cmd.client_proof, &self.key, key_encoding);
        Ok((
            cipher,
            S2SessionResp1 {
                status: Status::Success as i32,
                device_proof: proof.to_vec(),
                device_nonce: nonce.to_vec(),
            },
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

/// Client, after sending Command0.
pub struct ClientAwaitResp0 {
    username: Vec<u8>,
    password: Zeroizing<Vec<u8>>,
    patch: Sec2Patch,
    convention: ClientConvention,
    a: Zeroizing<[u8; SECRET_BYTES]>,
    a_wire: Vec<u8>,
}

/// Client, after sending Command1: waiting for the device proof.
pub struct ClientAwaitResp1 {
    patch: Sec2Patch,
    expected_h_amk: Zeroizing<[u8; HASH_BYTES]>,
    aes_key: Zeroizing<[u8; 32]>,
}

impl core::fmt::Debug for ClientAwaitResp0 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientAwaitResp0")
            .field("patch", &self.patch)
            .field("convention", &self.convention)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for ClientAwaitResp1 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientAwaitResp1")
            .field("patch", &self.patch)
            .finish_non_exhaustive()
    }
}

impl ClientAwaitResp0 {
    /// Starts a handshake in `convention`: draws `a` (32 bytes, top bit set), again until A
    /// is exactly 384 bytes except in the Android test mode, which sends A minimal.
    pub fn start<R: CryptoRng + ?Sized>(
        username: &[u8],
        password: &[u8],
        patch: Sec2Patch,
        convention: ClientConvention,
        rng: &mut R,
    ) -> Result<(Self, S2SessionCmd0), SecurityError> {
        srp::check_username(username)?;
        let mut a = Zeroizing::new([0u8; SECRET_BYTES]);
        // A short A happens once in 256 draws; MAX_DRAWS in a row means the RNG is broken.
        for _ in 0..MAX_DRAWS {
            rng.fill_bytes(a.as_mut());
            if let Some(top) = a.first_mut() {
                *top |= 0x80;
            }
            let started = Self::start_with_a(username, password, patch, convention, &a)?;
            if !convention.full_length_a() || started.1.client_pubkey.len() == N_BYTES {
                return Ok(started);
            }
        }
        Err(SecurityError::InvalidConfig(RNG_STUCK))
    }

    /// Starts with an explicit secret `a` (big-endian, used as is; esp_prov sets its top bit).
    /// A is sent minimal-length, as esp_prov does — 383 bytes about once in 256.
    ///
    /// Hazmat: for known-answer tests only; a reused or predictable `a` breaks the session.
    #[cfg(feature = "hazmat")]
    pub fn start_with_secret(
        username: &[u8],
        password: &[u8],
        patch: Sec2Patch,
        convention: ClientConvention,
        a: &[u8; SECRET_BYTES],
    ) -> Result<(Self, S2SessionCmd0), SecurityError> {
        Self::start_with_a(username, password, patch, convention, a)
    }

    /// The encodings this handshake follows.
    pub fn convention(&self) -> ClientConvention {
        self.convention
    }

    fn start_with_a(
        username: &[u8],
        password: &[u8],
        patch: Sec2Patch,
        convention: ClientConvention,
        a: &[u8; SECRET_BYTES],
    ) -> Result<(Self, S2SessionCmd0), SecurityError> {
        srp::check_username(username)?;
        let a_wire = srp::public_a(a);
        let cmd = S2SessionCmd0 {
            client_username: username.to_vec(),
            client_pubkey: a_wire.clone(),
        };
        Ok((
            Self {
                username: username.to_vec(),
                password: Zeroizing::new(password.to_vec()),
                patch,
                convention,
                a: Zeroizing::new(*a),
                a_wire,
            },
            cmd,
        ))
    }

    /// Response0: computes the session key and the client proof.
    pub fn handle_resp0(
        self,
        resp: &S2SessionResp0,
    ) -> Result<(ClientAwaitResp1, S2SessionCmd1), SecurityError> {
        check_status(resp.status)?;
        if resp.device_salt.is_empty() {
            return Err(SecurityError::BadLength {
                field: "device_salt",
                expected: "at least 1",
                got: 0,
            });
        }
        if resp.device_pubkey.is_empty() || resp.device_pubkey.len() > N_BYTES {
            return Err(SecurityError::BadLength {
                field: "device_pubkey",
                expected: "1..=384",
                got: resp.device_pubkey.len(),
            });
        }
        let exchange = srp::client_exchange(
            &self.username,
            &self.password,
            &self.a,
            &self.a_wire,
            &resp.device_salt,
            &resp.device_pubkey,
            self.convention,
        )?;
        Ok((
            ClientAwaitResp1 {
                patch: self.patch,
                expected_h_amk: Zeroizing::new(exchange.expected_device_proof),
                aes_key: exchange.aes_key,
            },
            S2SessionCmd1 {
                client_proof: exchange.proof.to_vec(),
            },
        ))
    }
}

impl ClientAwaitResp1 {
    /// Response1: checks the device proof and sets up the data-phase cipher.
    pub fn handle_resp1(self, resp: &S2SessionResp1) -> Result<GcmCipher, SecurityError> {
        check_status(resp.status)?;
        check_len(
            "device_proof",
            resp.device_proof.len(),
            HASH_BYTES..=HASH_BYTES,
            "64",
        )?;
        if !bool::from(
            resp.device_proof
                .as_slice()
                .ct_eq(self.expected_h_amk.as_slice()),
        ) {
            return Err(SecurityError::AuthenticationFailed);
        }
        GcmCipher::new(&self.aes_key, &resp.device_nonce, self.patch)
    }
}

// ---------------------------------------------------------------------------------------------
// Data phase
// ---------------------------------------------------------------------------------------------

enum GcmKey {
    /// 96-bit nonces: the standard J0 = IV ‖ 1 path.
    Nonce12(AesGcm<Aes256, U12>),
    /// Legacy 16-byte nonces: J0 = GHASH(IV), as Python's `AESGCM` does for long nonces.
    Nonce16(AesGcm<Aes256, U16>),
}

/// The AES-256-GCM record layer of an established sec2 session (same type on both sides).
pub struct GcmCipher {
    key: GcmKey,
    nonce: [u8; LEGACY_NONCE_BYTES],
    nonce_len: usize,
    patch: Sec2Patch,
}

impl core::fmt::Debug for GcmCipher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GcmCipher")
            .field("patch", &self.patch)
            .field("nonce", &self.nonce())
            .finish_non_exhaustive()
    }
}

impl GcmCipher {
    /// A cipher from the 32-byte key and the device nonce.
    ///
    /// Patch 1 requires a 12-byte nonce; patch 0 accepts 12 or 16 bytes.
    pub fn new(key: &[u8; 32], nonce: &[u8], patch: Sec2Patch) -> Result<Self, SecurityError> {
        let gcm = match (patch, nonce.len()) {
            (_, 12) => GcmKey::Nonce12(AesGcm::new(key.into())),
            (Sec2Patch::Patch0, LEGACY_NONCE_BYTES) => GcmKey::Nonce16(AesGcm::new(key.into())),
            (Sec2Patch::Patch1, got) => {
                return Err(SecurityError::BadLength {
                    field: "device_nonce",
                    expected: "12",
                    got,
                });
            }
            (Sec2Patch::Patch0, got) => {
                return Err(SecurityError::BadLength {
                    field: "device_nonce",
                    expected: "12 or 16",
                    got,
                });
            }
        };
        let mut stored = [0u8; LEGACY_NONCE_BYTES];
        // The match above admitted 12 or 16 bytes only.
        if let Some(dst) = stored.get_mut(..nonce.len()) {
            dst.copy_from_slice(nonce);
        }
        Ok(Self {
            key: gcm,
            nonce: stored,
            nonce_len: nonce.len(),
            patch,
        })
    }

    /// A cipher keyed with the first 32 bytes of K as the client encoded it.
    fn from_key_bytes(
        session_key: &[u8],
        nonce: &[u8],
        patch: Sec2Patch,
    ) -> Result<Self, SecurityError> {
        let mut key = Zeroizing::new([0u8; 32]);
        // ProofVariants only offers a minimal K that keeps at least 32 bytes.
        key.copy_from_slice(
            session_key
                .get(..32)
                .ok_or(SecurityError::InvalidPublicKey)?,
        );
        Self::new(&key, nonce, patch)
    }

    /// The nonce the next operation will use.
    pub fn nonce(&self) -> &[u8] {
        self.nonce.get(..self.nonce_len).unwrap_or(&self.nonce)
    }

    /// The patch this cipher follows.
    pub fn patch(&self) -> Sec2Patch {
        self.patch
    }

    fn nonce12(&self) -> [u8; 12] {
        let mut n = [0u8; 12];
        n.copy_from_slice(&self.nonce[..12]);
        n
    }

    fn counter(&self) -> u32 {
        u32::from_be_bytes([self.nonce[8], self.nonce[9], self.nonce[10], self.nonce[11]])
    }

    fn check_counter(&self) -> Result<(), SecurityError> {
        if self.patch == Sec2Patch::Patch1 && self.counter() == 0 {
            return Err(SecurityError::CounterExhausted);
        }
        Ok(())
    }

    fn advance(&mut self) {
        if self.patch == Sec2Patch::Patch1 {
            // Wrapping to 0 is deliberate: the next use is then refused by `check_counter`.
            let next = self.counter().wrapping_add(1);
            self.nonce[8..12].copy_from_slice(&next.to_be_bytes());
        }
    }

    /// Encrypts one record: `ciphertext ‖ tag`.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        self.check_counter()?;
        let out = match &self.key {
            GcmKey::Nonce12(k) => k.encrypt((&self.nonce12()).into(), plaintext),
            GcmKey::Nonce16(k) => k.encrypt((&self.nonce).into(), plaintext),
        }
        .map_err(|_| SecurityError::Decrypt)?;
        self.advance();
        Ok(out)
    }

    /// Decrypts and authenticates one `ciphertext ‖ tag` record. A failure leaves the nonce
    /// unchanged (the firmware's behaviour).
    pub fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        self.check_counter()?;
        if ciphertext.len() < TAG_BYTES {
            return Err(SecurityError::BadLength {
                field: "ciphertext",
                expected: "at least 16 (tag)",
                got: ciphertext.len(),
            });
        }
        let out = match &self.key {
            GcmKey::Nonce12(k) => k.decrypt((&self.nonce12()).into(), ciphertext),
            GcmKey::Nonce16(k) => k.decrypt((&self.nonce).into(), ciphertext),
        }
        .map_err(|_| SecurityError::Decrypt)?;
        self.advance();
        Ok(out)
    }
}

/// `(salt, verifier)` for a new device, the verifier in `convention`: the salt never starts
/// with a zero byte, and with [`MismatchPolicy::Refuse`] credentials that some Espressif
/// client could never log in with are refused ([`SecurityError::ConventionMismatch`]).
pub fn generate_credentials<R: CryptoRng + ?Sized>(
    username: &[u8],
    password: &[u8],
    salt_len: usize,
    convention: VerifierConvention,
    policy: MismatchPolicy,
    rng: &mut R,
) -> Result<(Vec<u8>, Vec<u8>), SecurityError> {
    srp::generate_credentials(username, password, salt_len, convention, policy, rng)
}

/// The verifier for a given salt, `v = g^x` with x derived as `convention` says (minimal
/// big-endian). Never refuses; see [`check_conventions`] for who can log in with it.
pub fn verifier_for_salt(
    username: &[u8],
    password: &[u8],
    salt: &[u8],
    convention: VerifierConvention,
) -> Result<Vec<u8>, SecurityError> {
    srp::verifier_for_salt(username, password, salt, convention)
}
