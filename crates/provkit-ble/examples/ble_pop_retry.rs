//! provkit-client's `Client` over BLE from Rust, retrying a wrong proof of possession on the
//! same link, as a phone app that asks for the PoP again does.
//!
//! ```text
//! cargo run -p provkit-ble --features client --example ble_pop_retry -- \
//!     hci-tcp:127.0.0.1:9001 PROV_1A2 wrong-pop right-pop [23|517]
//! ```
//!
//! Exits 0 when the wrong PoP is refused and the right one then establishes a session on the
//! same connection (and a custom-data request goes through it); otherwise prints why and exits
//! 1. `cargo xtask ble-client` runs it against `provkit sim --ble`.

use std::process::ExitCode;

use provkit_ble::client::{AttMtu, BleOptions, BleTransport};
use provkit_client::{Client, ClientSecurityConfig};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ble_pop_retry: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [controller, name, wrong, right, rest @ ..] = args.as_slice() else {
        return Err("usage: ble_pop_retry CONTROLLER NAME WRONG_POP RIGHT_POP [23|517]".into());
    };
    let mut options = BleOptions::new(controller.parse().map_err(|e| format!("{e}"))?);
    options.device_name = Some(name.clone());
    options.mtu = match rest.first().map(String::as_str) {
        Some("23") => AttMtu::Minimum,
        _ => AttMtu::Large,
    };
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no OS randomness: {e}"))?;
    let mut rng = ChaCha20Rng::from_seed(seed);

    let transport = BleTransport::connect(&options).map_err(|e| e.to_string())?;
    println!(
        "connected to {name}, ATT MTU {}",
        transport.device().att_mtu
    );
    let mut client = Client::new(transport);
    let sec1 = |pop: &str| ClientSecurityConfig::Sec1 {
        pop: Some(pop.as_bytes().to_vec()),
    };
    match client.establish_session(sec1(wrong), &mut rng) {
        Ok(()) => return Err("the wrong PoP established a session".into()),
        Err(e) => println!("wrong PoP refused: {e}"),
    }
    client
        .establish_session(sec1(right), &mut rng)
        .map_err(|e| format!("the right PoP on the same link failed: {e}"))?;
    println!("session established on the same link");
    let answer = client
        .custom("custom-data", b"after a retry on one link")
        .map_err(|e| format!("custom-data after the retry failed: {e}"))?;
    println!("custom-data answered {}", String::from_utf8_lossy(&answer));
    Ok(())
}
