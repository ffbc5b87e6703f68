//! Security 1: X25519 key agreement, proof of possession, AES-256-CTR (spec §4.2).
//!
//! ```text
//! client                                              device
//!   Command0  { client_pubkey (32) }           ──▶   b ← rng(32), device_random ← rng(16)
//!                                              ◀──   Response0 { device_pubkey, device_random }
//!   key = X25519(a, B) XOR SHA-256(PoP)               key = X25519(b, A) XOR SHA-256(PoP)
//!   Command1  { E(device_pubkey) }  ks 0..31   ──▶   decrypt, constant-time compare
//!                                              ◀──   Response1 { E(client_pubkey) } ks 32..63
//!   data: the same stream continues at 64, requests and responses interleaved
//! ```
//!
//! There is exactly **one** CTR keystream per side, shared by both directions (the reference
//! keeps one `mbedtls_aes_crypt_ctr` context on the device and one Python encryptor in
//! esp_prov). Its initial counter block is the whole 16-byte `device_random`, incremented as a
//! single 128-bit big-endian integer, so it carries across all 16 bytes and wraps from
//! `ff..ff` to `00..00` exactly like mbedTLS.
//!
//! The PoP is not put through a KDF: SHA-256(PoP) is XORed into the raw X25519 output, and an
//! absent or empty PoP skips the XOR.
//!
//! Each handshake step consumes its state (`self`) and returns the next one, so a step can
//! neither be repeated nor skipped. RNG use: the device draws its 32-byte X25519 secret, then
//! the 16-byte `device_random`, both at Command0; the client draws its 32-byte secret in
//! [`ClientAwaitResp0::start`].

use alloc::vec::Vec;
use core::fmt;

use aes::Aes256;
use ctr::cipher::{KeyIvInit, StreamCipher};
use provkit_proto::{SessionCmd0, SessionCmd1, SessionResp0, SessionResp1, Status};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::{SecureRng, SecurityError};

/// Length of an X25519 public key and of both verify tokens.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of `device_random`, the initial counter block.
pub const DEVICE_RANDOM_LEN: usize = 16;
/// Length of the AES-256 session key.
pub const KEY_LEN: usize = 32;

type Aes256Ctr128 = ctr::Ctr128BE<Aes256>;

/// The session key: the X25519 output, XORed with SHA-256(PoP) when a non-empty PoP is set.
///
/// Exposed so that tests and tools can check a derivation against recorded vectors; the
/// handshake states use it internally.
pub fn session_key(shared_secret: &[u8; 32], pop: Option<&[u8]>) -> Zeroizing<[u8; KEY_LEN]> {
    let mut key = Zeroizing::new(*shared_secret);
    if let Some(pop) = pop.filter(|p| !p.is_empty()) {
        // SHA-256(PoP) is as secret as the PoP: keep it in a wiped buffer.
        let digest: Zeroizing<[u8; KEY_LEN]> = Zeroizing::new(Sha256::digest(pop).into());
        for (k, d) in key.iter_mut().zip(digest.iter()) {
            *k ^= d;
        }
    }
    key
}

/// The single AES-256-CTR keystream of one sec1 session side, used for both directions.
///
/// `encrypt` and `decrypt` are the same operation; they are separate only so call sites read
/// naturally. Both advance the shared keystream by the message length.
pub struct Sec1Cipher {
    stream: Aes256Ctr128,
    position: u64,
}

impl fmt::Debug for Sec1Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key and counter are secret; only the position is useful for debugging.
        f.debug_struct("Sec1Cipher")
            .field("keystream_position", &self.position)
            .finish_non_exhaustive()
    }
}

impl Sec1Cipher {
    /// A stream at keystream offset 0 for `key`, with `device_random` as the counter block.
    pub fn new(key: &[u8; KEY_LEN], device_random: &[u8; DEVICE_RANDOM_LEN]) -> Self {
        Self {
            stream: Aes256Ctr128::new(key.into(), device_random.into()),
            position: 0,
        }
    }

    /// Encrypts `plaintext` with the next `plaintext.len()` keystream bytes.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        self.apply(plaintext)
    }

    /// Decrypts `ciphertext` with the next `ciphertext.len()` keystream bytes.
    pub fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, SecurityError> {
        self.apply(ciphertext)
    }

    /// How many keystream bytes both directions have used so far (64 after the handshake).
    pub fn keystream_position(&self) -> u64 {
        self.position
    }

    fn apply(&mut self, input: &[u8]) -> Result<Vec<u8>, SecurityError> {
        let mut buf = input.to_vec();
        // The ctr crate refuses (without touching the buffer) to run past 2^128 blocks; the
        // counter value itself wraps like mbedTLS, only the block count is bounded.
        self.stream
            .try_apply_keystream(&mut buf)
            .map_err(|_| SecurityError::CounterExhausted)?;
        let len = u64::try_from(buf.len()).map_err(|_| SecurityError::CounterExhausted)?;
        self.position = self
            .position
            .checked_add(len)
            .ok_or(SecurityError::CounterExhausted)?;
        Ok(buf)
    }
}

fn exact<const N: usize>(
    bytes: &[u8],
    field: &'static str,
    expected: &'static str,
) -> Result<[u8; N], SecurityError> {
    bytes.try_into().map_err(|_| SecurityError::BadLength {
        field,
        expected,
        got: bytes.len(),
    })
}

fn check_status(status: i32) -> Result<(), SecurityError> {
    if status == Status::Success as i32 {
        Ok(())
    } else {
        Err(SecurityError::PeerStatus(status))
    }
}

/// X25519 with the all-zero (non-contributory) output rejected, as mbedTLS does.
fn agree(
    secret: &StaticSecret,
    peer: [u8; PUBLIC_KEY_LEN],
) -> Result<Zeroizing<[u8; 32]>, SecurityError> {
    let shared = secret.diffie_hellman(&PublicKey::from(peer));
    // Whether the peer's point was of low order is public (the handshake is refused).
    if !crate::ct_check::declassify_bool(shared.was_contributory()) {
        return Err(SecurityError::InvalidPublicKey);
    }
    Ok(Zeroizing::new(*shared.as_bytes()))
}

fn pop_option(pop: &[u8]) -> Option<&[u8]> {
    (!pop.is_empty()).then_some(pop)
}

/// Device, waiting for Command0. Holds only the PoP.
pub struct DeviceAwaitCmd0 {
    pop: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for DeviceAwaitCmd0 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAwaitCmd0")
            .field("has_pop", &!self.pop.is_empty())
            .finish()
    }
}

impl DeviceAwaitCmd0 {
    /// `None` or an empty PoP means "no PoP" (no XOR into the key).
    pub fn new(pop: Option<&[u8]>) -> Self {
        Self {
            pop: Zeroizing::new(pop.unwrap_or_default().to_vec()),
        }
    }

    /// Handles Command0: draws the device secret (32 bytes) then `device_random` (16 bytes).
    pub fn handle_cmd0<R: SecureRng + ?Sized>(
        self,
        cmd0: &SessionCmd0,
        rng: &mut R,
    ) -> Result<(DeviceAwaitCmd1, SessionResp0), SecurityError> {
        let client_pubkey: [u8; PUBLIC_KEY_LEN] =
            exact(&cmd0.client_pubkey, "client_pubkey", "32")?;

        // Drawn straight into the secret (32 bytes via `fill_bytes`, the documented order),
        // so no unzeroized copy of it is left on the stack.
        let secret = StaticSecret::random_from_rng(rng);
        let device_pubkey = PublicKey::from(&secret).to_bytes();
        let mut device_random = [0u8; DEVICE_RANDOM_LEN];
        rng.fill_bytes(&mut device_random);

        let shared = agree(&secret, client_pubkey)?;
        let key = session_key(&shared, pop_option(&self.pop));
        let cipher = Sec1Cipher::new(&key, &device_random);

        let response = SessionResp0 {
            status: Status::Success as i32,
            device_pubkey: device_pubkey.to_vec(),
            device_random: device_random.to_vec(),
        };
        Ok((
            DeviceAwaitCmd1 {
                cipher,
                device_pubkey,
                client_pubkey,
            },
            response,
        ))
    }
}

/// Device, having answered Command0 and waiting for the client's verify token.
#[derive(Debug)]
pub struct DeviceAwaitCmd1 {
    cipher: Sec1Cipher,
    device_pubkey: [u8; PUBLIC_KEY_LEN],
    client_pubkey: [u8; PUBLIC_KEY_LEN],
}

impl DeviceAwaitCmd1 {
    /// Checks `client_verify_data == E(device_pubkey)` in constant time and answers with
    /// `E(client_pubkey)`. A mismatch (wrong PoP) is [`SecurityError::AuthenticationFailed`].
    pub fn handle_cmd1(
        mut self,
        cmd1: &SessionCmd1,
    ) -> Result<(Sec1Cipher, SessionResp1), SecurityError> {
        let client_verify: [u8; PUBLIC_KEY_LEN] =
            exact(&cmd1.client_verify_data, "client_verify_data", "32")?;
        let decrypted = Zeroizing::new(self.cipher.decrypt(&client_verify)?);
        // Whether the token matched is public (the answer tells); see `ct_check`.
        if !crate::ct_check::declassify_choice(decrypted.as_slice().ct_eq(&self.device_pubkey)) {
            return Err(SecurityError::AuthenticationFailed);
        }
        let device_verify_data = self.cipher.encrypt(&self.client_pubkey)?;
        Ok((
            self.cipher,
            SessionResp1 {
                status: Status::Success as i32,
                device_verify_data,
            },
        ))
    }
}

/// Client, having sent Command0 and waiting for the device's key and random.
pub struct ClientAwaitResp0 {
    secret: StaticSecret,
    client_pubkey: [u8; PUBLIC_KEY_LEN],
    pop: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for ClientAwaitResp0 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAwaitResp0")
            .field("client_pubkey", &self.client_pubkey)
            .finish_non_exhaustive()
    }
}

impl ClientAwaitResp0 {
    /// Draws the 32-byte client secret and builds Command0.
    pub fn start<R: SecureRng + ?Sized>(pop: Option<&[u8]>, rng: &mut R) -> (Self, SessionCmd0) {
        // Drawn straight into the secret (32 bytes via `fill_bytes`, the documented order),
        // so no unzeroized copy of it is left on the stack.
        let secret = StaticSecret::random_from_rng(rng);
        let client_pubkey = PublicKey::from(&secret).to_bytes();
        let cmd0 = SessionCmd0 {
            client_pubkey: client_pubkey.to_vec(),
        };
        (
            Self {
                secret,
                client_pubkey,
                pop: Zeroizing::new(pop.unwrap_or_default().to_vec()),
            },
            cmd0,
        )
    }

    /// Derives the key from Response0 and builds Command1 (`E(device_pubkey)`, keystream 0..31).
    pub fn handle_resp0(
        self,
        resp0: &SessionResp0,
    ) -> Result<(ClientAwaitResp1, SessionCmd1), SecurityError> {
        check_status(resp0.status)?;
        let device_pubkey: [u8; PUBLIC_KEY_LEN] =
            exact(&resp0.device_pubkey, "device_pubkey", "32")?;
        let device_random: [u8; DEVICE_RANDOM_LEN] =
            exact(&resp0.device_random, "device_random", "16")?;
        let shared = agree(&self.secret, device_pubkey)?;
        let key = session_key(&shared, pop_option(&self.pop));
        let mut cipher = Sec1Cipher::new(&key, &device_random);
        let client_verify_data = cipher.encrypt(&device_pubkey)?;
        Ok((
            ClientAwaitResp1 {
                cipher,
                client_pubkey: self.client_pubkey,
            },
            SessionCmd1 { client_verify_data },
        ))
    }
}

/// Client, having sent its verify token and waiting for the device's.
#[derive(Debug)]
pub struct ClientAwaitResp1 {
    cipher: Sec1Cipher,
    client_pubkey: [u8; PUBLIC_KEY_LEN],
}

impl ClientAwaitResp1 {
    /// Checks `device_verify_data == E(client_pubkey)` (keystream 32..63) in constant time.
    /// A device with another key (wrong PoP) fails with [`SecurityError::AuthenticationFailed`].
    pub fn handle_resp1(mut self, resp1: &SessionResp1) -> Result<Sec1Cipher, SecurityError> {
        check_status(resp1.status)?;
        let device_verify: [u8; PUBLIC_KEY_LEN] =
            exact(&resp1.device_verify_data, "device_verify_data", "32")?;
        let decrypted = Zeroizing::new(self.cipher.decrypt(&device_verify)?);
        if !bool::from(decrypted.as_slice().ct_eq(&self.client_pubkey)) {
            return Err(SecurityError::AuthenticationFailed);
        }
        Ok(self.cipher)
    }
}
