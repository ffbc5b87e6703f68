//! Shared helpers of the provkit-security integration tests: vector loading and RNGs.
#![allow(dead_code)]

use std::convert::Infallible;

use provkit_security::rand_core::{TryCryptoRng, TryRng};

// Vector loading and the strict scripted RNG (panics when the code draws more randomness than
// was recorded) live in the shared test-support crate. Each test binary uses a different
// subset, hence the allow.
#[allow(unused_imports)]
pub use provkit_testkit::{ScriptedRng, array_of, hex_of, load_json as load_vectors};

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
