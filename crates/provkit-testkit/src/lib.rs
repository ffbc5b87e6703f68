//! # provkit-testkit: shared support for tests and benches (never for production code)
//!
//! Sits beside the stack, not in it: only test targets, the `provkit-e2e` test crate and the
//! benches depend on it. It holds what those used to copy into each other:
//!
//! * [`ScriptedRng`] — replays recorded randomness (the bytes Espressif's client or a device
//!   drew when a vector was made) and then, depending on how it was built, panics, yields a
//!   fixed byte while counting the overrun, or continues with a seeded xorshift64* stream.
//! * [`vectors_dir`], [`load_json`], [`read_json`], [`hex_of`], [`try_hex_of`], [`array_of`] —
//!   find and read the JSON vectors under `tests/vectors` (relative to the workspace
//!   root; no absolute path of any machine is ever baked in).
//!
//! It is deliberately `std` and panics freely: a malformed vector or an unexpected draw of
//! randomness is a broken test, and a panic with a message is the clearest report of that.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::{Path, PathBuf};

use rand_core::{TryCryptoRng, TryRng};
use serde_json::Value;
use zeroize::Zeroize;

/// `tests/vectors` relative to the workspace root (this crate sits at `crates/<name>`,
/// the same depth as every crate whose tests use it).
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors"))
}

/// Reads and parses a JSON file, reporting failures as text (for callers that return errors,
/// such as the bench fixtures).
pub fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Loads `relative` (e.g. `"sec1.json"` or `"transcripts/sec0_auto.json"`) from
/// [`vectors_dir`]; panics with the path on failure.
pub fn load_json(relative: &str) -> Value {
    read_json(&vectors_dir().join(relative)).unwrap_or_else(|e| panic!("vector file {e}"))
}

/// The bytes of a hex string field, or why it is not one.
pub fn try_hex_of(value: &Value) -> Result<Vec<u8>, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("expected a hex string, got {value}"))?;
    hex::decode(text).map_err(|e| format!("bad hex {text}: {e}"))
}

/// The bytes of a hex string field; panics if it is not one.
pub fn hex_of(value: &Value) -> Vec<u8> {
    try_hex_of(value).unwrap_or_else(|e| panic!("{e}"))
}

/// A fixed-size array from a hex string field; panics on a wrong length.
pub fn array_of<const N: usize>(value: &Value) -> [u8; N] {
    let bytes = hex_of(value);
    bytes
        .as_slice()
        .try_into()
        .unwrap_or_else(|_| panic!("expected {N} bytes, got {}", bytes.len()))
}

/// What a [`ScriptedRng`] does once its recorded bytes are used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WhenDry {
    /// Panic: the code under test drew randomness the recording does not have.
    Panic,
    /// Yield this byte and count it in [`ScriptedRng::overrun`], so a test can assert the
    /// count is zero (a fixed byte, not a random one, so an overrun cannot pass by luck).
    Fill(u8),
    /// Continue with a seeded xorshift64* stream (one byte per step: the top byte).
    Stream(u64),
}

/// Recorded bytes first, in order; afterwards panic (the default), a fixed byte, or a seeded
/// stream. Deterministic by construction. Test-only: it claims to be a CSPRNG
/// ([`TryCryptoRng`]) only so it satisfies the bound of the APIs under test.
#[derive(Debug, Clone)]
pub struct ScriptedRng {
    script: VecDeque<u8>,
    when_dry: WhenDry,
    overrun: usize,
}

impl ScriptedRng {
    /// Replays `chunks` back to back; asking for more panics.
    pub fn new(chunks: &[&[u8]]) -> Self {
        Self {
            script: chunks.iter().flat_map(|c| c.iter().copied()).collect(),
            when_dry: WhenDry::Panic,
            overrun: 0,
        }
    }

    /// [`ScriptedRng::new`] for owned chunks (as loaded from a transcript).
    pub fn from_chunks(chunks: &[Vec<u8>]) -> Self {
        Self::new(&[]).with_script(chunks)
    }

    /// No script; a seeded xorshift64* stream from the start (`seed` 0 is replaced:
    /// xorshift must not start at zero). Add recorded bytes in front with
    /// [`ScriptedRng::with_script`].
    pub fn seeded(seed: u64) -> Self {
        Self {
            script: VecDeque::new(),
            when_dry: WhenDry::Stream(seed.max(1)),
            overrun: 0,
        }
    }

    /// Replaces the recorded bytes (keeps what happens once they run out).
    pub fn with_script(mut self, chunks: &[Vec<u8>]) -> Self {
        // One allocation of the exact size: growing would leave copies in freed memory.
        let mut script = VecDeque::with_capacity(chunks.iter().map(Vec::len).sum());
        script.extend(chunks.iter().flatten().copied());
        self.script = script;
        self
    }

    /// Once dry, yield `byte` and count each one in [`ScriptedRng::overrun`] instead of
    /// panicking, so the test decides how to report it.
    pub fn fill_when_dry(mut self, byte: u8) -> Self {
        self.when_dry = WhenDry::Fill(byte);
        self
    }

    /// Recorded bytes not consumed yet.
    pub fn remaining(&self) -> usize {
        self.script.len()
    }

    /// Bytes handed out after the script ran dry.
    pub fn overrun(&self) -> usize {
        self.overrun
    }

    fn next_byte(&mut self) -> u8 {
        if let Some(byte) = self.script.pop_front() {
            return byte;
        }
        self.overrun += 1;
        match &mut self.when_dry {
            WhenDry::Panic => panic!("scripted RNG ran out of recorded bytes"),
            WhenDry::Fill(byte) => *byte,
            WhenDry::Stream(state) => {
                *state ^= *state >> 12;
                *state ^= *state << 25;
                *state ^= *state >> 27;
                (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
            }
        }
    }
}

impl TryRng for ScriptedRng {
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
        // A strict script fails before handing out anything, with the size of the shortfall.
        if self.when_dry == WhenDry::Panic {
            assert!(
                dst.len() <= self.script.len(),
                "scripted RNG exhausted: {} bytes asked, {} left",
                dst.len(),
                self.script.len()
            );
        }
        for byte in dst {
            *byte = self.next_byte();
        }
        Ok(())
    }
}

/// Recorded randomness is the secret material of the run it replays (private keys, SRP `a`
/// and `b`): wiped, with the bytes already handed out, when the RNG goes, so that
/// provkit-e2e's allocator-scanning test does not find the harness's own copies.
impl Drop for ScriptedRng {
    fn drop(&mut self) {
        let mut buffer: Vec<u8> = core::mem::take(&mut self.script).into();
        buffer.zeroize();
    }
}

// Test-only: the scripted bytes stand in for a CSPRNG's output.
impl TryCryptoRng for ScriptedRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_chunks_in_order_then_panics() {
        let mut rng = ScriptedRng::new(&[&[1, 2], &[3, 4, 5]]);
        let mut out = [0u8; 4];
        rng.try_fill_bytes(&mut out).unwrap();
        assert_eq!(out, [1, 2, 3, 4]);
        assert_eq!(rng.remaining(), 1);
        let caught = std::panic::catch_unwind(move || {
            let mut two = [0u8; 2];
            let _ = rng.try_fill_bytes(&mut two);
        });
        assert!(caught.is_err(), "drawing past the script must panic");
    }

    #[test]
    fn fill_when_dry_counts_overrun() {
        let mut rng = ScriptedRng::from_chunks(&[vec![9]]).fill_when_dry(0xA5);
        let mut out = [0u8; 3];
        rng.try_fill_bytes(&mut out).unwrap();
        assert_eq!(out, [9, 0xA5, 0xA5]);
        assert_eq!(rng.overrun(), 2);
        assert_eq!(rng.remaining(), 0);
    }

    #[test]
    fn seeded_stream_follows_script_and_is_deterministic() {
        let mut a = ScriptedRng::seeded(7).with_script(&[vec![0xEE]]);
        let mut b = ScriptedRng::seeded(7);
        let mut out_a = [0u8; 9];
        let mut out_b = [0u8; 8];
        a.try_fill_bytes(&mut out_a).unwrap();
        b.try_fill_bytes(&mut out_b).unwrap();
        assert_eq!(out_a[0], 0xEE);
        assert_eq!(out_a[1..], out_b);
        // Seed 0 is remapped rather than producing the all-zero xorshift fixed point.
        let mut zero = ScriptedRng::seeded(0);
        let mut out_zero = [0u8; 8];
        zero.try_fill_bytes(&mut out_zero).unwrap();
        assert_ne!(out_zero, [0u8; 8]);
    }

    #[test]
    fn vectors_are_found_and_decoded() {
        let json = load_json("sec1.json");
        let case = &json["cases"][0];
        let key: [u8; 32] = array_of(&case["derived"]["aes256_ctr_key"]);
        assert_eq!(key.to_vec(), hex_of(&case["derived"]["aes256_ctr_key"]));
        assert!(try_hex_of(&Value::from("zz")).is_err());
        assert!(try_hex_of(&Value::from(3)).is_err());
    }
}
