//! Shared test helpers: a deterministic RNG and small request handlers.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;

use provkit_protocomm::rand_core::{TryCryptoRng, TryRng};
use provkit_protocomm::{HandlerError, RequestHandler};

/// The shared vectors directory, relative to the workspace.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors"))
}

pub fn load_json(relative: &str) -> serde_json::Value {
    let path = vectors_dir().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector file is JSON")
}

/// Deterministic RNG: `next_u32` pops scripted values first (HTTP session ids), everything
/// else comes from a xorshift stream. Tests only; never use outside tests.
pub struct TestRng {
    u32s: VecDeque<u32>,
    bytes: VecDeque<u8>,
    state: u64,
}

impl TestRng {
    pub fn new(seed: u64) -> Self {
        Self {
            u32s: VecDeque::new(),
            bytes: VecDeque::new(),
            state: seed | 1,
        }
    }

    pub fn with_u32s(seed: u64, values: &[u32]) -> Self {
        let mut rng = Self::new(seed);
        rng.u32s.extend(values.iter().copied());
        rng
    }

    /// `fill_bytes` hands out these recorded bytes first (device secrets from the vectors).
    pub fn with_bytes(mut self, bytes: &[u8]) -> Self {
        self.bytes.extend(bytes.iter().copied());
        self
    }

    /// Scripted bytes not consumed yet.
    pub fn unused_bytes(&self) -> usize {
        self.bytes.len()
    }

    fn step(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }
}

impl TryRng for TestRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(match self.u32s.pop_front() {
            Some(v) => v,
            None => self.step() as u32,
        })
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.step())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let mut dst = dst;
        while let (Some(first), Some(b)) = (dst.first_mut(), self.bytes.front().copied()) {
            *first = b;
            self.bytes.pop_front();
            dst = &mut dst[1..];
        }
        for chunk in dst.chunks_mut(8) {
            let v = self.step().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for TestRng {}

/// Records every request and answers `"<endpoint>:" + plaintext` (or fails on `b"fail"`).
#[derive(Default)]
pub struct EchoHandler {
    pub seen: Vec<(String, Vec<u8>)>,
}

impl RequestHandler for EchoHandler {
    fn handle_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HandlerError> {
        self.seen.push((endpoint.to_string(), plaintext.to_vec()));
        if plaintext == b"fail" {
            return Err(HandlerError::new("asked to fail"));
        }
        let mut out = format!("{endpoint}:").into_bytes();
        out.extend_from_slice(plaintext);
        Ok(out)
    }
}

/// The recorded sec0 Command0 / Response0 (spec §2.12).
pub const SEC0_COMMAND: [u8; 5] = [0x52, 0x03, 0xa2, 0x01, 0x00];
pub const SEC0_RESPONSE: [u8; 7] = [0x52, 0x05, 0x08, 0x01, 0xaa, 0x01, 0x00];
