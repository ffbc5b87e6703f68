//! Build script of the reference firmware.
//!
//! 1. Links esp-hal's linker scripts (`linkall.x`), so no `.cargo/config.toml` is needed and
//!    the firmware builds from any working directory (xtask uses `--manifest-path`).
//! 2. Turns the security 2 username/password given to `cargo xtask flash` (environment
//!    `PROVKIT_SEC2_USERNAME` / `PROVKIT_SEC2_PASSWORD`) into an SRP-6a salt and verifier
//!    (RFC 5054 3072-bit group, SHA-512: what ESP-IDF's sec2 uses) written to
//!    `$OUT_DIR/sec2_credentials.rs`. Only the username, salt and verifier enter the image;
//!    the password stays on the build host. The verifier is made in ESP-IDF's convention (x over
//!    all 64 bytes of SHA-512(username ":" password), as ESP-IDF's `esp_srp.c` and the phone
//!    apps derive it), or esp_prov's with `PROVKIT_SEC2_CONVENTION=esp-prov`; a password whose
//!    verifier would differ between the two (1 in 256) fails the build with a message naming
//!    the clients that could never log in, unless `PROVKIT_SEC2_FORCE=1`.
//!    `PROVKIT_SEC2_SALT_HEX` + `PROVKIT_SEC2_VERIFIER_HEX` may be given instead (for
//!    reproducible images, or a pair made by `esp_prov --sec2_gen_cred`: that one is in
//!    esp_prov's convention, see the security crate's docs on imported verifiers).
//! 3. With feature `portal`, also the verifier's convention (the captive portal recomputes the
//!    verifier from the password a person types), and the portal refuses to build behind an
//!    open SoftAP (`PROVKIT_SOFTAP_OPEN=1`) unless `PROVKIT_PORTAL_ALLOW_OPEN=1`: its page is
//!    plain HTTP, so on an open AP the passwords cross the air in clear.

use std::env;
use std::fmt::Write as _;
use std::path::PathBuf;

use provkit_security::SecurityError;
use provkit_security::sec2::{MismatchPolicy, VerifierConvention, generate_credentials};

/// The default credentials match ESP-IDF's wifi_prov_mgr example (`wifiprov` / `abcd1234`),
/// so Espressif's phone apps work out of the box on a development board.
const DEFAULT_USERNAME: &str = "wifiprov";
const DEFAULT_PASSWORD: &str = "abcd1234";
const SALT_LEN: usize = 16;

fn main() {
    println!("cargo:rustc-link-arg=-Tlinkall.x");
    for var in [
        "PROVKIT_SOFTAP_KEY",
        "PROVKIT_SOFTAP_OPEN",
        "PROVKIT_SEC2_USERNAME",
        "PROVKIT_SEC2_PASSWORD",
        "PROVKIT_SEC2_SALT_HEX",
        "PROVKIT_SEC2_VERIFIER_HEX",
        "PROVKIT_SEC2_CONVENTION",
        "PROVKIT_SEC2_FORCE",
        "PROVKIT_PORTAL_ALLOW_OPEN",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let boards = [
        "CARGO_FEATURE_ESP32C3_DEVKITM_1",
        "CARGO_FEATURE_ESP32C6_DEVKITC_1",
        "CARGO_FEATURE_ESP8684_DEVKITM_1",
    ]
    .iter()
    .filter(|f| env::var_os(f).is_some())
    .count();
    if boards != 1 {
        panic!(
            "enable exactly one board feature: esp32c3-devkitm-1, esp32c6-devkitc-1 or \
             esp8684-devkitm-1"
        );
    }

    let username = env::var("PROVKIT_SEC2_USERNAME").unwrap_or_else(|_| DEFAULT_USERNAME.into());
    let convention = match env::var("PROVKIT_SEC2_CONVENTION").as_deref() {
        Err(_) | Ok("esp-idf") => VerifierConvention::EspIdf,
        Ok("esp-prov") => VerifierConvention::EspProv,
        Ok(other) => panic!("PROVKIT_SEC2_CONVENTION must be esp-idf or esp-prov, not {other:?}"),
    };
    let (salt, verifier) = match (
        env::var("PROVKIT_SEC2_SALT_HEX"),
        env::var("PROVKIT_SEC2_VERIFIER_HEX"),
    ) {
        (Ok(salt), Ok(verifier)) => (unhex(&salt), unhex(&verifier)),
        _ => {
            let password =
                env::var("PROVKIT_SEC2_PASSWORD").unwrap_or_else(|_| DEFAULT_PASSWORD.into());
            let policy = if env::var_os("PROVKIT_SEC2_FORCE").is_some_and(|v| v == "1") {
                MismatchPolicy::Allow
            } else {
                MismatchPolicy::Refuse
            };
            match generate_credentials(
                username.as_bytes(),
                password.as_bytes(),
                SALT_LEN,
                convention,
                policy,
                &mut HostRng,
            ) {
                Ok(pair) => pair,
                Err(SecurityError::ConventionMismatch(mismatch)) => panic!(
                    "security 2 password for user {username:?} refused: {mismatch} \
                     (PROVKIT_SEC2_FORCE=1 builds it anyway)"
                ),
                Err(e) => panic!("generating the sec2 verifier failed: {e}"),
            }
        }
    };

    let mut out = String::new();
    writeln!(
        out,
        "/// Security 2 username (given to `cargo xtask flash --username`)."
    )
    .ok();
    writeln!(out, "pub const SEC2_USERNAME: &str = {username:?};").ok();
    writeln!(out, "/// SRP-6a salt, computed at build time.").ok();
    writeln!(out, "pub const SEC2_SALT: &[u8] = &{salt:?};").ok();
    writeln!(
        out,
        "/// SRP-6a verifier v = g^x mod N, computed at build time."
    )
    .ok();
    writeln!(out, "pub const SEC2_VERIFIER: &[u8] = &{verifier:?};").ok();
    let softap_key = softap_key();
    writeln!(
        out,
        "/// The SoftAP's WPA2 key (`None`: open, only when the build asked for it)."
    )
    .ok();
    writeln!(out, "pub const SOFTAP_KEY: Option<&str> = {softap_key:?};").ok();
    if env::var_os("CARGO_FEATURE_PORTAL").is_some() {
        if softap_key.is_none() && env::var_os("PROVKIT_PORTAL_ALLOW_OPEN").is_none_or(|v| v != "1")
        {
            panic!(
                "the captive portal needs a WPA2 SoftAP: its page is plain HTTP, so on an open AP \
                 the Wi-Fi passphrase and the sec2 password cross the air in clear. Drop \
                 PROVKIT_SOFTAP_OPEN, or set PROVKIT_PORTAL_ALLOW_OPEN=1 to build it anyway"
            );
        }
        writeln!(
            out,
            "/// How the verifier's x was derived (the captive portal recomputes it)."
        )
        .ok();
        writeln!(
            out,
            "pub const SEC2_CONVENTION: provkit_security::sec2::VerifierConvention = \
             provkit_security::sec2::VerifierConvention::{convention:?};"
        )
        .ok();
    }
    let path =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("sec2_credentials.rs");
    std::fs::write(&path, out).expect("writing sec2_credentials.rs");
}

/// The SoftAP's WPA2 key, as ESP-IDF's `service_key`: `PROVKIT_SOFTAP_KEY` (8..=63 printable
/// ASCII characters), or a fresh random one (printed as a build warning and on the console at
/// boot); an open AP only with `PROVKIT_SOFTAP_OPEN=1`.
fn softap_key() -> Option<String> {
    // BLE images have no SoftAP.
    if env::var_os("CARGO_FEATURE_SOFTAP").is_none()
        || env::var_os("PROVKIT_SOFTAP_OPEN").is_some_and(|v| v == "1")
    {
        return None;
    }
    let key = match env::var("PROVKIT_SOFTAP_KEY") {
        Ok(key) => key,
        Err(_) => {
            // 12 characters from 32 unambiguous ones: 60 bits, typed easily on a phone.
            const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789A";
            let mut raw = [0u8; 12];
            use provkit_security::rand_core::TryRng;
            HostRng.try_fill_bytes(&mut raw).ok();
            let key: String = raw
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                .collect();
            println!("cargo:warning=SoftAP WPA2 key for this build: {key}");
            key
        }
    };
    if !(8..=63).contains(&key.len()) || !key.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        panic!("PROVKIT_SOFTAP_KEY must be 8 to 63 printable ASCII characters (WPA2)");
    }
    Some(key)
}

/// The build host's OS random source as the `rand_core` RNG the security crate takes: a fresh
/// salt per build.
struct HostRng;

impl provkit_security::rand_core::TryRng for HostRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        getrandom::fill(dst).expect("the build host has an OS random source");
        Ok(())
    }
}

impl provkit_security::rand_core::TryCryptoRng for HostRng {}

fn unhex(text: &str) -> Vec<u8> {
    let text = text.trim();
    assert!(text.len().is_multiple_of(2), "hex string of odd length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("valid hex"))
        .collect()
}
