//! # SRP-6a as ESP-IDF security 2 and Espressif's clients speak it
//!
//! RFC 5054 3072-bit group (g = 5), SHA-512, and the byte rules of spec §4.3, which differ
//! from a textbook SRP library in several places:
//!
//! ```text
//!  k     = H(N ‖ PAD(g))                       PAD = left-pad to 384 bytes
//!  x     = H(salt ‖ H(I ‖ ":" ‖ P))            each part raw or minimal: VerifierConvention
//!  v     = g^x                                 stored minimal-length (may be 383 bytes)
//!  B     = k·v + g^b                           sent minimal-length, hashed so in M
//!  u     = H(PAD(A) ‖ PAD(B))
//!  S     = (A·v^u)^b   (device)   = (B − k·v)^(a + u·x)   (client)
//!  K     = H(minimal(S))                       not padded
//!  M     = H(H(N) ⊕ H(PAD(g)) ‖ H(I) ‖ salt ‖ A ‖ B ‖ K)   A as sent; salt, K raw or minimal
//!  H_AMK = H(A ‖ M ‖ K)                        M as sent
//!  key   = K[0..32]                            of K as the client hashed it
//! ```
//!
//! Which values are hashed with their leading zero bytes and which without differs between
//! Espressif's own clients: the `conventions` part of this module has the table and the types
//! ([`VerifierConvention`] for x, [`ClientConvention`] for a client). The device accepts every
//! known client's encodings, decided from the client's proof ([`ProofVariants`]).
//!
//! ## Verifiers made elsewhere
//!
//! A stored verifier fixes x, so it fixes which clients can log in. `esp_prov
//! --sec2_gen_cred` makes esp_prov-convention verifiers: imported into a device, they work
//! with esp_prov always, and with the phone apps (and ESP-IDF-convention clients such as
//! `provkit provision`'s first try) only when `SHA-512(username ":" password)` does not start
//! with a zero byte — for 255 pairs in 256; [`check_conventions`] says which clients a given
//! salt, username and password lock out. esp_prov's salts never start with a zero byte (it
//! drops one, so a 16-byte request can give 15 bytes); the device sends the salt as stored.
//!
//! ## Why not the `srp` crate, and where the time goes
//! `srp` 0.7 matches the proof formulas but does not expose `B` separately and spends an extra
//! modular exponentiation; it also has no way to reuse per-device precomputation. The device's
//! three exponentiations are ~99 % of a handshake, so this module works directly on
//! `crypto-bigint`'s constant-time Montgomery representation, with the modulus parameters
//! computed at compile time ([`crypto_bigint::const_monty_params!`]), its own 3072-bit
//! Montgomery multiply/square (`mont`, ~1.3× fewer instructions than the generic ones) and
//! two Lim–Lee comb tables (`comb`):
//!
//! ```text
//!  device, per handshake                       squarings + multiplications
//!  g^b        const 64-entry table (flash)        43 + 43   constant time (b secret)
//!  v^u        64-entry table per device           86 + ≤86  variable time (u public)
//!  (A·v^u)^b  4-bit fixed window                 252 + 78   constant time (b secret)
//! ```
//!
//! instead of 256 + 64, 512 + 128 and 256 + 64 for three plain windowed exponentiations.
//! Measured (callgrind, x86-64, `docs/PERFORMANCE.md`): ~22.5 M instructions for Command0 →
//! Response1 with prepared [`DeviceCredentials`]; building those (the v table, 24 KiB RAM)
//! costs ~17.4 M once per device, so build them at start-up and share them (the façade's
//! `DeviceSecurityConfig::prepare`). Without the table ([`DeviceCredentials::new_compact`],
//! `v^u` by a 5-bit sliding window: 512 squarings + ~100 multiplications) a handshake costs
//! ~37.8 M and nothing is kept per device; that is what an unprepared façade session uses.
//!
//! With the `hazmat` feature this module is public (known-answer tests, fuzzing); otherwise
//! it is internal and only the façade and `sec2` reach it.
//!
//! Secrets (`a`, `b`, `x`, `S`, `K`) live in `Zeroizing` buffers and every operation that
//! touches them is constant time; `u`, `A`, `B` and `v` are public.

pub(crate) mod comb;
pub mod modexp;
// The Montgomery arithmetic is public with `hazmat` so the RV32 counting harness
// (`rv32count/`) can count one multiplication, squaring and table scan on their own.
#[cfg(feature = "hazmat")]
pub mod mont;
#[cfg(not(feature = "hazmat"))]
pub(crate) mod mont;
mod proof;

pub use crate::convention::{
    ClientConvention, ConventionMismatch, Encoding, MismatchPolicy, Sec2Client, VerifierConvention,
    check_conventions, conventions_agree, private_key_x,
};
pub(crate) use proof::device_proof_for;
// Reachable only through the hazmat `srp` module (the façade names neither).
#[cfg_attr(not(feature = "hazmat"), allow(unused_imports))]
pub use proof::{ProofVariant, ProofVariants};

use alloc::vec::Vec;

use crypto_bigint::modular::ConstMontyForm;
use crypto_bigint::{U2048, U3072};
use rand_core::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

use crate::SecurityError;
use crate::digest::sha512;
pub use crate::digest::{HASH_BYTES, strip_leading_zeros};
use comb::CombTable;
use modexp::{ModExp, engine_pow};

/// Byte length of N and of every padded group element.
pub const N_BYTES: usize = 384;
/// Byte length of the ephemeral secrets `a` and `b`.
pub const SECRET_BYTES: usize = 32;
/// The generator of the RFC 5054 3072-bit group.
pub const G: u8 = 5;

crypto_bigint::const_monty_params!(
    Rfc5054Group3072,
    U3072,
    concat!(
        "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74",
        "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437",
        "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed",
        "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05",
        "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb",
        "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b",
        "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718",
        "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33",
        "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7",
        "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864",
        "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2",
        "08e24fa074e5ab3143db5bfce0fd108e4b82d120a93ad2caffffffffffffffff"
    ),
    "The RFC 5054 3072-bit SRP group modulus (= RFC 3526 MODP group 15)."
);

/// Hazmat: the integer type behind [`Fe`].
#[cfg(feature = "hazmat")]
pub use crypto_bigint::U3072 as Uint3072;

/// An element of Z/NZ in Montgomery form; the modulus parameters are compile-time constants.
pub type Fe = ConstMontyForm<Rfc5054Group3072, { U3072::LIMBS }>;

/// Teeth of the comb for the per-device verifier v (64 entries, 24 KiB).
const V_COMB_TEETH: u32 = 6;

/// N as 384 big-endian bytes.
pub fn modulus_bytes() -> [u8; N_BYTES] {
    let mut out = [0u8; N_BYTES];
    out.copy_from_slice(
        <Rfc5054Group3072 as crypto_bigint::modular::ConstMontyParams<{ U3072::LIMBS }>>::PARAMS
            .modulus()
            .as_ref()
            .to_be_bytes()
            .as_ref(),
    );
    out
}

fn pad_g() -> [u8; N_BYTES] {
    let mut g = [0u8; N_BYTES];
    g[N_BYTES - 1] = G;
    g
}

/// `k = H(N ‖ PAD(g))`.
pub fn multiplier_k() -> [u8; HASH_BYTES] {
    sha512(&[&modulus_bytes(), &pad_g()])
}

/// `H(N) XOR H(PAD(g))`, the first block of M.
pub fn hn_xor_hg() -> [u8; HASH_BYTES] {
    let hn = sha512(&[&modulus_bytes()]);
    let hg = sha512(&[&pad_g()]);
    let mut out = [0u8; HASH_BYTES];
    for ((o, a), b) in out.iter_mut().zip(hn.iter()).zip(hg.iter()) {
        *o = a ^ b;
    }
    out
}

/// `u = H(PAD(A) ‖ PAD(B))`; `a_wire`/`b_wire` must be at most 384 bytes.
pub fn scrambler_u(a_wire: &[u8], b_wire: &[u8]) -> Result<[u8; HASH_BYTES], SecurityError> {
    let a = pad_to_n(a_wire, "A")?;
    let b = pad_to_n(b_wire, "B")?;
    Ok(sha512(&[&a, &b]))
}

/// `K = H(minimal(S))`.
pub fn session_key(s_minimal: &[u8]) -> Zeroizing<[u8; HASH_BYTES]> {
    Zeroizing::new(sha512(&[s_minimal]))
}

/// The client proof `M = H(H(N)⊕H(PAD(g)) ‖ H(I) ‖ salt ‖ A ‖ B ‖ K)` over the bytes given:
/// the caller encodes salt, A, B and K as the convention in use says.
pub fn client_proof(
    username: &[u8],
    salt: &[u8],
    a: &[u8],
    b: &[u8],
    key: &[u8],
) -> [u8; HASH_BYTES] {
    sha512(&[&hn_xor_hg(), &sha512(&[username]), salt, a, b, key])
}

/// The device proof `H_AMK = H(A ‖ M ‖ K)` over the bytes given (A as sent; M and K as the
/// client encoded them).
pub fn device_proof(a: &[u8], m: &[u8], key: &[u8]) -> [u8; HASH_BYTES] {
    sha512(&[a, m, key])
}

fn pad_to_n(bytes: &[u8], field: &'static str) -> Result<[u8; N_BYTES], SecurityError> {
    let mut out = [0u8; N_BYTES];
    let start = N_BYTES
        .checked_sub(bytes.len())
        .ok_or(SecurityError::BadLength {
            field,
            expected: "at most 384",
            got: bytes.len(),
        })?;
    out[start..].copy_from_slice(bytes);
    Ok(out)
}

/// A group element from big-endian bytes, reduced mod N (any value < 2^3072 is < 2N).
fn fe_from_be(bytes: &[u8], field: &'static str) -> Result<Fe, SecurityError> {
    let padded = pad_to_n(bytes, field)?;
    let mut value = U3072::from_be_slice(&padded);
    let n = modulus_uint();
    if value >= n {
        value = value.wrapping_sub(&n);
    }
    Ok(Fe::new(&value))
}

pub(crate) fn modulus_uint() -> U3072 {
    *<Rfc5054Group3072 as crypto_bigint::modular::ConstMontyParams<{ U3072::LIMBS }>>::PARAMS
        .modulus()
        .as_ref()
}

/// Minimal big-endian bytes of a group element (what esp_prov's `long_to_bytes` gives).
fn fe_to_minimal(value: &Fe) -> Vec<u8> {
    let bytes = value.retrieve().to_be_bytes();
    strip_leading_zeros(bytes.as_ref()).to_vec()
}

/// Minimal big-endian bytes of a secret element (S). The protocol hashes minimal(S), so its
/// length becomes observable; the leading zero bytes are counted without branching on the
/// bytes, and only that count is declassified.
fn fe_to_minimal_secret(value: &Fe) -> Zeroizing<Vec<u8>> {
    let full = Zeroizing::new(value.retrieve());
    let bytes = Zeroizing::new(full.to_be_bytes());
    let mut leading = 0u32;
    let mut still_zero = 1u32;
    for &byte in bytes.as_ref() {
        // 1 when the byte is non-zero, from the sign bit of −byte.
        let nonzero = u32::from(byte).wrapping_neg() >> 31;
        still_zero &= nonzero ^ 1;
        leading += still_zero;
    }
    let leading = crate::ct_check::declassify_u32(leading);
    Zeroizing::new(
        bytes
            .as_ref()
            .get(leading as usize..)
            .unwrap_or(&[])
            .to_vec(),
    )
}

fn generator() -> Fe {
    Fe::new(&U3072::from_u8(G))
}

fn k_fe() -> Fe {
    let mut k = [0u8; N_BYTES];
    k[N_BYTES - HASH_BYTES..].copy_from_slice(&multiplier_k());
    Fe::new(&U3072::from_be_slice(&k))
}

/// `v = g^x` with x derived as `convention` says, minimal big-endian (like esp_prov's
/// `--sec2_gen_cred`, which prints 383 bytes when v has a leading zero).
///
/// Computes any salt's verifier, one with a leading zero byte included, and never refuses:
/// [`check_conventions`] says which clients a verifier locks out.
pub fn verifier_for_salt(
    username: &[u8],
    password: &[u8],
    salt: &[u8],
    convention: VerifierConvention,
) -> Result<Vec<u8>, SecurityError> {
    check_username(username)?;
    if strip_leading_zeros(salt).is_empty() {
        return Err(SecurityError::InvalidConfig(
            "salt must have a non-zero byte",
        ));
    }
    let x = private_key_x(salt, username, password, convention);
    Ok(fe_to_minimal(&comb::pow_g_512_ct(&x)))
}

/// New random credentials for a device: `(salt, verifier)`, the verifier in `convention`.
///
/// Draws `salt_len` bytes from `rng`, drawing again whenever the first byte is zero, so the
/// salt always has exactly `salt_len` bytes and every client hashes it alike. Then, with
/// [`MismatchPolicy::Refuse`], credentials whose verifier would differ under another
/// client's convention (`SHA-512(username ":" password)` starting with a zero byte, 1 pair in
/// 256) are refused with [`SecurityError::ConventionMismatch`], which names the clients that
/// could never log in; [`MismatchPolicy::Allow`] makes the verifier anyway.
pub fn generate_credentials<R: CryptoRng + ?Sized>(
    username: &[u8],
    password: &[u8],
    salt_len: usize,
    convention: VerifierConvention,
    policy: MismatchPolicy,
    rng: &mut R,
) -> Result<(Vec<u8>, Vec<u8>), SecurityError> {
    if salt_len == 0 || salt_len > N_BYTES {
        return Err(SecurityError::InvalidConfig("salt length must be 1..=384"));
    }
    check_username(username)?;
    let mut salt = alloc::vec![0u8; salt_len];
    // A leading zero comes once in 256 draws; 64 in a row means the RNG is broken.
    for _ in 0..64 {
        rng.fill_bytes(&mut salt);
        if salt.first().is_some_and(|&b| b != 0) {
            if policy == MismatchPolicy::Refuse {
                check_conventions(&salt, username, password, convention)
                    .map_err(SecurityError::ConventionMismatch)?;
            }
            let verifier = verifier_for_salt(username, password, &salt, convention)?;
            return Ok((salt, verifier));
        }
    }
    Err(SecurityError::InvalidConfig(
        "the RNG keeps returning unusable values",
    ))
}

/// Usernames travel in a length-prefixed field of the firmware: 1..=65535 bytes.
pub(crate) fn check_username(username: &[u8]) -> Result<(), SecurityError> {
    if username.is_empty() || username.len() > 65535 {
        return Err(SecurityError::BadLength {
            field: "client_username",
            expected: "1..=65535",
            got: username.len(),
        });
    }
    Ok(())
}

/// Everything the device derives from its stored salt and verifier, computed once.
///
/// [`DeviceCredentials::new`] builds the per-device comb table of v (64 entries, 24 KiB RAM,
/// ~17 M x86-64 instructions, ~0.7 of a handshake) so that every handshake computes `v^u` in
/// 86 + 86 operations; build it once at start-up and share it (the façade keeps it behind a
/// reference count, see `DeviceSecurityConfig::prepare`). [`DeviceCredentials::new_compact`]
/// keeps no table and computes `v^u` by a sliding window in every handshake (no table RAM,
/// ~0.2 M to build, ~15 M more per handshake). `docs/PERFORMANCE.md` has both figures.
#[derive(Clone)]
pub struct DeviceCredentials {
    salt: Vec<u8>,
    verifier: Vec<u8>,
    /// v itself, for the table-free `v^u`.
    v: Fe,
    /// k·v mod N, the fixed part of B.
    kv: Fe,
    g_comb: CombTable,
    /// `None` for compact credentials.
    v_comb: Option<CombTable>,
    /// Where the three exponentiations go when set (e.g. a chip's RSA unit); software
    /// otherwise and whenever the engine fails.
    engine: Option<&'static (dyn ModExp + Sync)>,
}

impl Drop for DeviceCredentials {
    fn drop(&mut self) {
        // The verifier allows offline password guessing: wipe it and everything derived from
        // it (the comb table wipes itself).
        self.verifier.zeroize();
        self.v.zeroize();
        self.kv.zeroize();
    }
}

impl core::fmt::Debug for DeviceCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DeviceCredentials")
            .field("salt_len", &self.salt.len())
            .field("verifier_len", &self.verifier.len())
            .field("v_table", &self.v_comb.is_some())
            .field("mod_exp_engine", &self.engine.is_some())
            .finish_non_exhaustive()
    }
}

/// What the device computes at Command0 (B, and S's derived values).
// Without `hazmat` only the façade reads these, and it needs the key and proof only.
#[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
pub struct DeviceExchange {
    /// B, minimal big-endian: exactly what goes into `device_pubkey`.
    pub b_public: Vec<u8>,
    /// u = H(PAD(A) ‖ PAD(B)).
    pub u: [u8; HASH_BYTES],
    /// The premaster secret S, minimal big-endian.
    pub s: Zeroizing<Vec<u8>>,
    /// K = H(S).
    pub key: Zeroizing<[u8; HASH_BYTES]>,
    /// The client proofs the device accepts (secret until the client has sent one); the
    /// first is ESP-IDF's M (salt and K raw).
    pub proofs: ProofVariants,
}

impl DeviceCredentials {
    /// Validates the stored `salt` and `verifier` (minimal or left-padded big-endian, ≤ 384
    /// bytes, 0 < v < N) and builds the per-device table of v (24 KiB).
    pub fn new(salt: &[u8], verifier: &[u8]) -> Result<Self, SecurityError> {
        let mut credentials = Self::new_compact(salt, verifier)?;
        credentials.v_comb = Some(CombTable::new(
            &credentials.v,
            8 * HASH_BYTES as u32,
            V_COMB_TEETH,
        ));
        Ok(credentials)
    }

    /// Validates like [`DeviceCredentials::new`] but keeps no table: cheap to build and
    /// ~24 KiB smaller, each handshake costs more (see the type's docs).
    pub fn new_compact(salt: &[u8], verifier: &[u8]) -> Result<Self, SecurityError> {
        if salt.is_empty() {
            return Err(SecurityError::InvalidConfig("empty sec2 salt"));
        }
        if verifier.is_empty() || verifier.len() > N_BYTES {
            return Err(SecurityError::InvalidConfig(
                "sec2 verifier must be 1..=384 bytes",
            ));
        }
        let padded = Zeroizing::new(pad_to_n(verifier, "verifier")?);
        let v_uint = Zeroizing::new(U3072::from_be_slice(padded.as_ref()));
        if *v_uint >= modulus_uint() || *v_uint == U3072::ZERO {
            return Err(SecurityError::InvalidConfig("sec2 verifier out of range"));
        }
        let v = Fe::new(&v_uint);
        let kv = k_fe().mul(&v);
        Ok(Self {
            salt: salt.to_vec(),
            verifier: verifier.to_vec(),
            v,
            kv,
            g_comb: CombTable::generator(),
            v_comb: None,
            engine: None,
        })
    }

    /// Sends the device's modular exponentiations (`g^b`, `v^u`, `(A·v^u)^b`) to `engine`,
    /// e.g. a hardware bignum unit, falling back to software per operation when it fails.
    /// With an engine the per-device table of v is never used, so pair this with
    /// [`DeviceCredentials::new_compact`] to save its 24 KiB of RAM.
    pub fn with_mod_exp(mut self, engine: &'static (dyn ModExp + Sync)) -> Self {
        self.engine = Some(engine);
        self
    }

    /// Whether an engine was attached with [`DeviceCredentials::with_mod_exp`].
    pub fn has_mod_exp(&self) -> bool {
        self.engine.is_some()
    }

    /// Whether this holds the per-device table of v (built by [`DeviceCredentials::new`]).
    pub fn has_table(&self) -> bool {
        self.v_comb.is_some()
    }

    /// The salt as stored (sent verbatim in `device_salt`).
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The verifier as given.
    pub fn verifier(&self) -> &[u8] {
        &self.verifier
    }

    /// `B = k·v + g^b` (minimal big-endian) for the secret `b` (big-endian, used as is).
    ///
    /// Hazmat: a caller-chosen `b` is only for known-answer tests.
    #[cfg(feature = "hazmat")]
    pub fn public_b(&self, b: &[u8; SECRET_BYTES]) -> Vec<u8> {
        self.public_b_inner(b)
    }

    fn public_b_inner(&self, b: &[u8; SECRET_BYTES]) -> Vec<u8> {
        let gb = Zeroizing::new(
            self.engine
                .and_then(|engine| engine_pow(engine, &generator(), b))
                .unwrap_or_else(|| self.g_comb.pow_ct(b)),
        );
        let b_public = Zeroizing::new(self.kv.add(&gb).retrieve().to_be_bytes());
        // B is sent on the wire: public from here on (see `ct_check`).
        crate::ct_check::declassify(b_public.as_ref());
        strip_leading_zeros(b_public.as_ref()).to_vec()
    }

    /// The full device computation for one session: B, u, S, K and the expected M.
    ///
    /// Hazmat: a caller-chosen `b` is only for known-answer tests, and the result exposes S.
    #[cfg(feature = "hazmat")]
    pub fn exchange(
        &self,
        username: &[u8],
        a_wire: &[u8],
        b: &[u8; SECRET_BYTES],
    ) -> Result<DeviceExchange, SecurityError> {
        self.device_exchange(username, a_wire, b)
    }

    /// `a_wire` is A exactly as received, 1..=384 bytes (hashed so in M and H_AMK, left-padded
    /// in u). Rejects A ≡ 0 (mod N) (RFC 5054 §2.5.4; ESP-IDF does not check it) and u = 0.
    pub(crate) fn device_exchange(
        &self,
        username: &[u8],
        a_wire: &[u8],
        b: &[u8; SECRET_BYTES],
    ) -> Result<DeviceExchange, SecurityError> {
        check_username(username)?;
        let a_fe = fe_from_be(a_wire, "client_pubkey")?;
        if a_fe.retrieve() == U3072::ZERO {
            return Err(SecurityError::InvalidPublicKey);
        }
        let b_public = self.public_b_inner(b);
        let u = scrambler_u(a_wire, &b_public)?;
        if u.iter().all(|&x| x == 0) {
            return Err(SecurityError::InvalidPublicKey);
        }
        // u is public, so the exponentiation may branch and index on it.
        let engine_vu = self
            .engine
            .and_then(|engine| engine_pow(engine, &self.v, &u));
        let vu = match (engine_vu, &self.v_comb) {
            (Some(vu), _) => vu,
            (None, Some(table)) => table.pow_vartime(&u),
            (None, None) => comb::pow_sliding_vartime(&self.v, &u),
        };
        let base = Zeroizing::new(mont::mul(&a_fe, &vu));
        let s_fe = Zeroizing::new(
            self.engine
                .and_then(|engine| engine_pow(engine, &base, b))
                .unwrap_or_else(|| comb::pow_window_ct(&base, b)),
        );
        let s = fe_to_minimal_secret(&s_fe);
        let key = session_key(&s);
        let proofs = ProofVariants::compute(username, &self.salt, a_wire, &b_public, &key);
        Ok(DeviceExchange {
            b_public,
            u,
            s,
            key,
            proofs,
        })
    }
}

/// `A = g^a` as minimal big-endian bytes for the secret `a` (big-endian, used as is).
pub fn public_a(a: &[u8; SECRET_BYTES]) -> Vec<u8> {
    fe_to_minimal(&CombTable::generator().pow_ct(a))
}

/// What the client computes once it has B and the salt.
// Without `hazmat` only the façade reads these, and it needs the key and proof only.
#[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
pub struct ClientExchange {
    /// u = H(PAD(A) ‖ PAD(B)).
    pub u: [u8; HASH_BYTES],
    /// x = H(salt ‖ H(I:P)) in the convention's encodings.
    pub x: Zeroizing<[u8; HASH_BYTES]>,
    /// The premaster secret S, minimal big-endian.
    pub s: Zeroizing<Vec<u8>>,
    /// K = H(S), all 64 bytes.
    pub key: Zeroizing<[u8; HASH_BYTES]>,
    /// The client proof M as computed (salt, B and K encoded as the convention says).
    pub m: Zeroizing<[u8; HASH_BYTES]>,
    /// M as it goes into `client_proof` on the wire (64 bytes, or minimal).
    pub proof: Zeroizing<Vec<u8>>,
    /// The device proof H_AMK this client expects.
    pub expected_device_proof: [u8; HASH_BYTES],
    /// The AES-256-GCM key: the first 32 bytes of K as the convention encodes it.
    pub aes_key: Zeroizing<[u8; 32]>,
}

/// Bytes of the client's exponent `a + u·x < 2^256 + 2^1024 < 2^1025`.
const CLIENT_EXPONENT_BYTES: usize = 129;

/// The client computation `S = (B − k·v)^(a + u·x)` and the values derived from it, with the
/// encodings of `convention` (`a_wire` is A as sent; B is hashed minimal in M, as ESP-IDF's
/// device hashes what it sends and every client does).
///
/// Rejects B ≡ 0 (mod N), B longer than 384 bytes, u = 0, and (for a minimal-K convention)
/// a K with 32 or more leading zero bytes.
pub fn client_exchange(
    username: &[u8],
    password: &[u8],
    a: &[u8; SECRET_BYTES],
    a_wire: &[u8],
    salt: &[u8],
    b_wire: &[u8],
    convention: ClientConvention,
) -> Result<ClientExchange, SecurityError> {
    let b_fe = fe_from_be(b_wire, "device_pubkey")?;
    if b_fe.retrieve() == U3072::ZERO {
        return Err(SecurityError::InvalidPublicKey);
    }
    let u = scrambler_u(a_wire, b_wire)?;
    if u.iter().all(|&x| x == 0) {
        return Err(SecurityError::InvalidPublicKey);
    }
    let x = private_key_x(salt, username, password, convention.verifier());
    // v = g^x by the two constant g tables (43 squarings + 86 multiplications).
    let v = Zeroizing::new(comb::pow_g_512_ct(&x));
    let base = Zeroizing::new(b_fe.sub(&mont::mul(&k_fe(), &v)));
    // a + u·x < 2^256 + 2^1024: computed in 2048 bits, exponent bounded to 1025 bits.
    let mut wide = Zeroizing::new([0u8; 256]);
    wide[256 - SECRET_BYTES..].copy_from_slice(a);
    let a_wide = Zeroizing::new(U2048::from_be_slice(wide.as_ref()));
    wide[256 - HASH_BYTES..].copy_from_slice(x.as_ref());
    wide[..256 - HASH_BYTES].fill(0);
    let x_wide = Zeroizing::new(U2048::from_be_slice(wide.as_ref()));
    let mut u_wide = [0u8; 256];
    u_wide[256 - HASH_BYTES..].copy_from_slice(&u);
    let u_wide = U2048::from_be_slice(&u_wide);
    let exponent = Zeroizing::new(u_wide.wrapping_mul(&x_wide).wrapping_add(&a_wide));
    // The exponent is below 2^1025: its low 129 bytes, by constant-time 5-bit windows on this
    // crate's Montgomery arithmetic (1035 squarings + 219 multiplications).
    let exponent_bytes = Zeroizing::new(exponent.to_be_bytes());
    let low = exponent_bytes
        .as_ref()
        .get(256 - CLIENT_EXPONENT_BYTES..)
        .unwrap_or(&[]);
    let s_fe = Zeroizing::new(comb::pow_window5_ct(&base, low));
    let s = fe_to_minimal_secret(&s_fe);
    let key = session_key(&s);
    let key_hashed = convention.key().apply(key.as_ref());
    let mut aes_key = Zeroizing::new([0u8; 32]);
    aes_key.copy_from_slice(
        key_hashed
            .get(..32)
            .ok_or(SecurityError::InvalidPublicKey)?,
    );
    let m = Zeroizing::new(client_proof(
        username,
        convention.salt_in_proof().apply(salt),
        a_wire,
        strip_leading_zeros(b_wire),
        key_hashed,
    ));
    let proof = Zeroizing::new(convention.proof().apply(m.as_ref()).to_vec());
    let expected_device_proof = device_proof(a_wire, &proof, key_hashed);
    Ok(ClientExchange {
        u,
        x,
        s,
        key,
        m,
        proof,
        expected_device_proof,
        aes_key,
    })
}
