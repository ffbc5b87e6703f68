//! The main loop of a provisioning firmware, as the README shows it: any chip, any HTTP server.
//!
//! Your adapter supplies a `provkit_hal::WifiStation`, a `provkit_hal::CredentialStore`, an RNG
//! and something that yields HTTP requests; here they are the hal's mocks and two scripted
//! requests, so the example runs on a host (`cargo run -p provkit-manager --example firmware_loop`).

use provkit_hal::Instant;
use provkit_hal::mock::{MemoryStore, MockStation};
use provkit_manager::{Device, Manager, ManagerConfig, NoHooks, Runner, ServiceInfo};
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest};
use provkit_protocomm::{DeviceSecurityConfig, Sec2Patch, VersionInfo};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (station, store) = (MockStation::new(), MemoryStore::new()); // your chip's adapter
    let mut rng = ChaCha20Rng::seed_from_u64(7); // your chip's TRNG
    let (salt, verifier) = provkit_security::generate_sec2_credentials(
        b"wifiprov",
        b"abcd1234",
        16,
        provkit_security::VerifierConvention::EspIdf,
        &mut rng,
    )?; // normally computed at build time

    // --- the 20 lines a firmware author writes ------------------------------------------
    let mut runner = Runner::new(station, store);
    let manager = Manager::new(ManagerConfig::esp(), runner.load_profiles()?)?;
    let mut device = Device::new(manager, VersionInfo::default());
    let security = DeviceSecurityConfig::Sec2 {
        salt,
        verifier,
        patch: Sec2Patch::Patch1,
    };
    let service = ServiceInfo {
        name: b"PROV_A1B2C3".to_vec(),
        key: Vec::new(),
    };
    device.start(security.prepare()?, service, now())?;
    let mut http = HttpFraming::new();
    for (path, body) in next_requests() {
        let request = HttpRequest {
            method: "POST",
            path,
            cookie: None,
            body,
            connection: 1,
        };
        match device.handle_http(&mut http, &request, &mut NoHooks, &mut rng, now()) {
            HttpOutcome::Reply(reply) => println!(
                "{path}: {} {:?}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            ),
            HttpOutcome::Close => println!("{path}: connection closed, no answer"),
        }
        runner.pump(&mut device.manager, now()); // connect, confirm, then persist
        device.on_tick(now());
    }
    // -------------------------------------------------------------------------------------
    Ok(())
}

/// Stands in for the HTTP server: `proto-ver`, then a garbage `prov-session` (which the device
/// refuses by closing the connection without an answer, as the reference does).
fn next_requests() -> Vec<(&'static str, &'static [u8])> {
    vec![
        ("/proto-ver", b"---"),
        ("/prov-session", b"\xff\x00garbage"),
    ]
}

/// Stands in for the chip's monotonic clock.
fn now() -> Instant {
    Instant::from_millis(0)
}
