//! The device's side of the client proof: every encoding a known client hashes, one check.
//!
//! ESP-IDF firmware expects exactly one M (stored salt raw, K raw, a 64-byte proof) and so
//! rejects the Android library whenever its minimal encodings differ (≈1.2 % of sessions) and
//! esp_prov for salts with a leading zero. This device computes, at Command0, the M of every
//! known encoding and lets the client's proof decide which one it used:
//!
//! * the salt raw (ESP-IDF, iOS) or minimal (esp_prov, Android): a second M only when the
//!   stored salt starts with a zero byte;
//! * K raw (everyone else) or minimal (Android): a second M only when K starts with a zero
//!   byte. A client proving with the minimal K also takes its AES key from it (`K[1..33]`)
//!   and expects it in H_AMK;
//! * the proof sent as 64 bytes or minimal (Android: 63 bytes when M starts with a zero):
//!   the received proof is compared left-padded to 64 bytes, and H_AMK hashes it as
//!   received, as that client does.
//!
//! A is hashed as received everywhere (u pads it) and B as sent, minimal, which is what every
//! client hashes. So the extra work is at most three SHA-512 digests in one session in 256,
//! no bignum arithmetic; the comparison of the proof stays constant time over all variants.
//! That extra digest is visible in the timing, so an observer can learn that a session's K
//! starts with a zero byte (it does in 1 session in 256); the AES key of such a session,
//! `K[0..32]` for ESP-IDF's clients, keeps 248 unknown bits.

use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

use super::{HASH_BYTES, client_proof, sha512};
use crate::convention::Encoding;

/// Most variants: salt raw/minimal × K raw/minimal.
const MAX_VARIANTS: usize = 4;

/// One M the device accepts, with the encodings it was computed over.
// Without `hazmat` only the device's check reads these (the salt encoding is for tests).
#[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
#[derive(Clone)]
pub struct ProofVariant {
    /// How the salt was hashed into this M.
    pub salt: Encoding,
    /// How K was hashed into this M (and which AES key and H_AMK go with it).
    pub key: Encoding,
    /// The proof value.
    pub m: [u8; HASH_BYTES],
}

/// The client proofs a device accepts for one session (secret until the client sends one).
pub struct ProofVariants {
    items: [ProofVariant; MAX_VARIANTS],
    len: usize,
}

impl Drop for ProofVariants {
    fn drop(&mut self) {
        for item in &mut self.items {
            item.m.zeroize();
        }
    }
}

impl ProofVariants {
    /// The M of every encoding whose bytes differ for this session: raw salt and raw K
    /// first (ESP-IDF's M), then a minimal salt if the stored salt starts with zero, then a
    /// minimal K if K starts with zero (and still has the 32 bytes an AES key needs).
    pub(crate) fn compute(
        username: &[u8],
        salt: &[u8],
        a_wire: &[u8],
        b_minimal: &[u8],
        key: &[u8; HASH_BYTES],
    ) -> Self {
        let mut salts = [Encoding::Raw; 2];
        let mut salt_count = 1;
        if salt.first() == Some(&0) {
            salts[1] = Encoding::Minimal;
            salt_count = 2;
        }
        let mut keys = [Encoding::Raw; 2];
        let mut key_count = 1;
        // Whether K starts with a zero byte (1 session in 256) becomes public here, as the
        // length of minimal(S) does: the Android library hashes K without that byte, so the
        // extra variant exists only then, and its hash length is K's minimal length.
        let key_leading_zero = crate::ct_check::declassify_bool(key[0] == 0);
        if key_leading_zero && Encoding::Minimal.apply(key).len() >= 32 {
            keys[1] = Encoding::Minimal;
            key_count = 2;
        }
        let empty = ProofVariant {
            salt: Encoding::Raw,
            key: Encoding::Raw,
            m: [0u8; HASH_BYTES],
        };
        let mut variants = Self {
            items: [empty.clone(), empty.clone(), empty.clone(), empty],
            len: 0,
        };
        for &key_encoding in &keys[..key_count] {
            for &salt_encoding in &salts[..salt_count] {
                variants.items[variants.len] = ProofVariant {
                    salt: salt_encoding,
                    key: key_encoding,
                    m: client_proof(
                        username,
                        salt_encoding.apply(salt),
                        a_wire,
                        b_minimal,
                        key_encoding.apply(key),
                    ),
                };
                variants.len += 1;
            }
        }
        variants
    }

    /// Every accepted M; the first is ESP-IDF's (salt and K raw).
    pub fn as_slice(&self) -> &[ProofVariant] {
        &self.items[..self.len]
    }

    /// ESP-IDF's M: stored salt raw, K raw.
    #[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
    pub fn esp_idf(&self) -> &[u8; HASH_BYTES] {
        &self.items[0].m
    }

    /// Which K encoding the client proved with, or `None` if `proof` (1..=64 bytes, compared
    /// left-padded to 64) matches no variant. Every variant is compared, in constant time.
    pub(crate) fn check(&self, proof: &[u8]) -> Option<Encoding> {
        let mut padded = zeroize::Zeroizing::new([0u8; HASH_BYTES]);
        let start = HASH_BYTES.checked_sub(proof.len())?;
        if proof.is_empty() {
            return None;
        }
        padded[start..].copy_from_slice(proof);
        let mut found = Choice::from(0);
        let mut minimal_key = Choice::from(0);
        for variant in self.as_slice() {
            let equal = padded.as_slice().ct_eq(variant.m.as_slice());
            found |= equal;
            let is_minimal = Choice::from(u8::from(variant.key == Encoding::Minimal));
            minimal_key |= equal & is_minimal;
        }
        // Whether a proof matched, and which way the client hashed K, become public here (the
        // answer tells the first; the AES key in use, the second).
        if crate::ct_check::declassify_choice(found) {
            Some(if crate::ct_check::declassify_choice(minimal_key) {
                Encoding::Minimal
            } else {
                Encoding::Raw
            })
        } else {
            None
        }
    }
}

/// `H_AMK = H(A ‖ M ‖ K)` with M as the client sent it and K as it hashed it.
pub(crate) fn device_proof_for(
    a_wire: &[u8],
    proof_as_sent: &[u8],
    key: &[u8; HASH_BYTES],
    key_encoding: Encoding,
) -> [u8; HASH_BYTES] {
    sha512(&[a_wire, proof_as_sent, key_encoding.apply(key)])
}
