//! The chip's RNG as the `rand_core` 0.10 RNG the security layer takes.
//!
//! esp-hal's `Rng` reads the hardware generator, which is a true RNG while the radio runs
//! (it mixes in RF noise; ESP32-C3/C6 TRM "Random Number Generator"); the firmware starts
//! Wi-Fi/BLE before the first handshake, so every draw happens with the radio on.

use core::convert::Infallible;

use provkit_protocomm::rand_core::{TryCryptoRng, TryRng};

/// Hardware RNG handle.
pub struct EspRng(esp_hal::rng::Rng);

impl EspRng {
    pub fn new() -> Self {
        Self(esp_hal::rng::Rng::new())
    }
}

impl TryRng for EspRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.random())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(self.0.random()) << 32 | u64::from(self.0.random()))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.read(dst);
        Ok(())
    }
}

impl TryCryptoRng for EspRng {}
