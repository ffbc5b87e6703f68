//! Shared helpers of the provkit-security integration tests: vector loading and RNGs.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;

use provkit_security::rand_core::{TryCryptoRng, TryRng};
use serde_json::Value;

/// Loads a vector file through the workspace-relative path (never an absolute one).
pub fn load_vectors(name: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors/").to_string() + name;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

/// The bytes of a hex string field.
pub fn hex_of(value: &Value) -> Vec<u8> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("expected a hex string, got {value}"));
    hex::decode(text).unwrap_or_else(|e| panic!("bad hex {text}: {e}"))
}

/// A fixed-size array from a hex string field.
pub fn array_of<const N: usize>(value: &Value) -> [u8; N] {
    let bytes = hex_of(value);
    bytes
        .as_slice()
        .try_into()
        .unwrap_or_else(|_| panic!("expected {N} bytes, got {}", bytes.len()))
}

/// Yields exactly the queued bytes, in order: replays the randomness recorded in a vector.
/// Asking for more than was queued is a test failure (the code drew unexpected randomness).
#[derive(Debug, Default)]
pub struct ScriptedRng {
    queue: VecDeque<u8>,
}

impl ScriptedRng {
    pub fn new(chunks: &[&[u8]]) -> Self {
        Self {
            queue: chunks.iter().flat_map(|c| c.iter().copied()).collect(),
        }
    }

    pub fn remaining(&self) -> usize {
        self.queue.len()
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
        assert!(
            dst.len() <= self.queue.len(),
            "scripted RNG exhausted: {} bytes asked, {} left",
            dst.len(),
            self.queue.len()
        );
        for byte in dst {
            *byte = self.queue.pop_front().unwrap_or_default();
        }
        Ok(())
    }
}

// Test-only: the scripted bytes stand in for a CSPRNG's output.
impl TryCryptoRng for ScriptedRng {}

/// A small deterministic generator (SplitMix64) for tests that need "some" randomness but no
/// particular bytes. Not secure; marked crypto only so it satisfies the API's bound in tests.
#[derive(Debug)]
pub struct TestRng(u64);

impl TestRng {
    pub fn seeded(seed: u64) -> Self {
        Self(seed)
    }
}

impl TryRng for TestRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Ok(z ^ (z >> 31))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let word = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for TestRng {}
