//! SHA-512 helpers shared by the SRP arithmetic and the sec2 conventions: the one hash of
//! sec2 and the leading-zero stripping on which Espressif's clients disagree. A leaf module,
//! so that both can use it without naming each other.

use sha2::{Digest, Sha512};

/// Byte length of a SHA-512 digest (K, M, H_AMK, u, k, x).
pub const HASH_BYTES: usize = 64;

/// SHA-512 over the concatenation of `parts`.
pub(crate) fn sha512(parts: &[&[u8]]) -> [u8; HASH_BYTES] {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Drops leading zero bytes (esp_prov's `long_to_bytes(bytes_to_long(..))`).
pub fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or(&[])
}
