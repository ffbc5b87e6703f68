#![doc = include_str!("../README.md")]
//!
//! ## Design: protocomm security schemes 0, 1 and 2
//!
//! Sits directly on `provkit-proto` and under `provkit-protocomm` (device side) and
//! `provkit-client` (client side). It turns `prov-session` bodies into handshake steps and,
//! once a session is established, encrypts and decrypts the bodies of every other endpoint.
//! It does no I/O and owns no randomness: every RNG is passed in.
//!
//! ## The façade
//!
//! * Device: [`DeviceSession::new`] with a [`DeviceSecurityConfig`], then one call to
//!   [`DeviceSession::handle_session`] per `prov-session` request body. An `Err` means the
//!   reference sends **no** answer (HTTP closes the socket); the session is then back to
//!   waiting for Command0. Command0 on an established or half-done session restarts the
//!   handshake, as ESP-IDF does ("Restarting session").
//! * Client: [`ClientSession::new`] with a [`ClientSecurityConfig`], [`ClientSession::start`]
//!   gives the Command0 body, and [`ClientSession::handle_response`] turns each response into
//!   the next request body, or `None` once established.
//! * Data phase: `encrypt` / `decrypt` on either session. Sec0 copies bytes; sec1 runs one
//!   AES-256-CTR stream shared by both directions; sec2 uses AES-256-GCM.
//!
//! ## Device start-up: prepare sec2 once
//!
//! A sec2 device should call [`DeviceSecurityConfig::prepare`] once at start-up and hand the
//! result to protocomm. It builds a per-device comb table of the verifier (24 KiB RAM, ~17 M
//! x86-64 instructions, once) that cuts every handshake, the first included, to ~22.5 M. The
//! `Sec2Prepared` config keeps the table behind a reference count (`Arc` where the target has
//! atomic compare-and-swap, so configs and sessions stay `Send + Sync`; `Rc` on riscv32imc,
//! which has none and where `alloc::sync` does not exist — firmware there is single-threaded),
//! so protocomm's per-client-session `DeviceSession::new(config.clone())` copies a pointer
//! and every session borrows the one table; no session state owns a copy.
//!
//! A `Sec2` config that is not prepared still works and needs no extra RAM: each
//! `DeviceSession` derives table-free credentials at its first Command0 and every handshake
//! computes `v^u` by a sliding window (~38 M). That is also the RAM-tight option on purpose
//! ([`PreparedSec2::from_credentials`] with [`sec2::DeviceCredentials::new_compact`] shares
//! them). We chose a shared config over a global cache (a lock in no_std) and over a leaked
//! `&'static` (nothing could wipe the verifier), and over `portable-atomic-util`'s `Arc` on
//! riscv32imc (one more dependency in every lock file for a single-threaded target).
//! `docs/PERFORMANCE.md` has the figures.
//!
//! ## Security 2 and Espressif's clients
//!
//! Espressif's sec2 clients hash SRP values differently when one starts with a zero byte
//! (table in the `srp` module docs). So the verifier convention is a parameter
//! ([`VerifierConvention`]: ESP-IDF's and the phone apps' by default, esp_prov's on request),
//! [`generate_sec2_credentials`] refuses the 1 password in 256 whose verifier differs between
//! them ([`SecurityError::ConventionMismatch`] names the clients that could never log in), the
//! device accepts every client's encodings (see [`sec2`]), and the client follows a
//! [`ClientConvention`], with [`ClientSession::sec2_fallback`] telling when one retry in the
//! other convention can help.
//!
//! A verifier imported from `esp_prov --sec2_gen_cred` is in esp_prov's convention: esp_prov
//! always logs in, the phone apps only if `SHA-512(username ":" password)` does not start
//! with a zero byte ([`sec2::check_conventions`] with [`VerifierConvention::EspProv`] says).
//!
//! ## Why not the `srp` crate
//!
//! The `srp` crate's RFC 5054 proof formulas match ESP-IDF's, but it does not expose B
//! separately (costing a fourth modular exponentiation), cannot reuse per-device
//! precomputation, and runs generic-width arithmetic; the three exponentiations are 99 % of
//! a handshake. So the SRP-6a arithmetic lives in the `srp` module of this crate, on
//! crypto-bigint's Montgomery form with comb tables and a Montgomery multiplication
//! specialised to the 3072-bit modulus: see the module docs of `srp` (public with the `hazmat`
//! feature; source in `src/srp/mod.rs`).
//!
//! ## Features
//!
//! * `std`: `std::error::Error` plumbing of dependencies.
//! * `sec1` (default): security 1 (X25519 + AES-256-CTR) on both sides. A sec2-only firmware
//!   builds with `default-features = false`, which drops the `Sec1` config variants and
//!   x25519-dalek / curve25519 / ctr from the image. Sec0 (a few hundred bytes) and sec2 are
//!   always built.
//! * `small-tables`: the constant comb table of g has 16 entries (6 KiB of flash) instead of
//!   64 (24 KiB); `g^b` then takes 64 + 64 Montgomery operations instead of 43 + 43.
//!
//! ## Hardware bignum: the [`ModExp`] seam
//!
//! [`sec2::DeviceCredentials::with_mod_exp`] attaches a [`ModExp`] engine (e.g. the ESP32
//! RSA peripheral) that computes the device's three 3072-bit exponentiations; software is
//! the fallback per operation. See [`ModExp`] for the contract (constant time in
//! the secret exponent).
//! * `hazmat`: known-answer-test back doors that take caller-chosen secrets
//!   (`handle_cmd0_with_secret`, `handle_cmd1_with_nonce`, `start_with_secret`) and the raw
//!   SRP arithmetic (`srp`, `DeviceCredentials::{exchange, public_b}`). Never enable it in
//!   firmware; this crate's own tests enable it through a dev-dependency on itself.
//!
//! ## A handshake, step by step
//!
//! Every body is a `SessionData`. The façade decodes it, checks that `sec_ver` is the
//! configured scheme, that the `proto` oneof is that scheme's payload, and that the payload's
//! `msg` type names the message actually carried; then it hands the message to the scheme's
//! state, which consumes itself and returns the next state (`sec1::DeviceAwaitCmd0` →
//! `sec1::DeviceAwaitCmd1` → [`sec1::Sec1Cipher`]), so no step can be repeated or skipped.
//! Responses echo the request's `sec_ver`.
//!
//! ## RNG consumption order
//!
//! Fixed and documented so tests can replay recorded randomness and get byte-identical output:
//!
//! | scheme | device | client |
//! |---|---|---|
//! | sec0 | nothing | nothing |
//! | sec1 | at Command0: 32-byte X25519 secret, then the 16-byte `device_random` | at `start`: 32-byte X25519 secret |
//! | sec2 | at Command0: 32-byte `b` (drawn again only if all zero); at Command1, before the proof is checked: the nonce (8 session-id bytes for patch 1, 16 bytes for patch 0) | at `start`: 32 bytes for `a` (top bit forced), drawn again until A is 384 bytes (once in the Android test mode) |
//!
//! ## Errors
//!
//! Every malformed, out-of-order or unauthentic input maps to a [`SecurityError`]; nothing
//! here panics on bytes from the peer. Secrets (X25519 scalars, session keys, PoP) are
//! zeroized on drop and verify tokens are compared in constant time.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
// Untrusted bytes never panic: outside tests, no unwrap/expect, no unchecked indexing, no
// panic! (see docs/SECURITY.md).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

extern crate alloc;

mod client;
// Test-only hooks for the constant-time check under valgrind; empty without `ct-check`.
mod convention;
#[cfg(feature = "ct-check")]
pub mod ct_check;
#[cfg(not(feature = "ct-check"))]
mod ct_check;
mod digest;
pub mod error;
pub mod sec0;
#[cfg(feature = "sec1")]
pub mod sec1;
pub mod sec2;
mod session;
// The SRP arithmetic is public only with `hazmat`: it takes caller-chosen secrets and returns
// S and K, which only known-answer tests and fuzzers should see.
// The bignum code indexes fixed-size limb arrays and tables with loop counters bounded by
// their length (constant-time code avoids data-dependent bounds checks): exempt from the
// crate's `indexing_slicing` denial, and only from that.
#[cfg(feature = "hazmat")]
#[allow(clippy::indexing_slicing)]
pub mod srp;
#[cfg(not(feature = "hazmat"))]
#[allow(clippy::indexing_slicing)]
mod srp;

pub use client::{ClientSecurityConfig, ClientSession};
pub use error::SecurityError;
pub use rand_core;
pub use sec2::Sec2Patch;
pub use sec2::{ClientConvention, VerifierConvention};
pub use session::{DeviceSecurityConfig, DeviceSession, PreparedSec2};
pub use srp::modexp::{ModExp, N_BYTES, SoftwareModExp, modulus_be};

use alloc::vec::Vec;

/// The RNG bound of this crate: any cryptographically secure, infallible `rand_core` RNG
/// (e.g. `rand_chacha::ChaCha20Rng`, or an adapter over a hardware TRNG).
pub trait SecureRng: rand_core::CryptoRng {}

impl<R: rand_core::CryptoRng + ?Sized> SecureRng for R {}

/// Creates the salt and verifier a sec2 device stores, like `esp_prov --sec2_gen_cred`, with
/// the verifier in `convention` ([`VerifierConvention::EspIdf`]: ESP-IDF's and the phone
/// apps'; [`VerifierConvention::EspProv`]: esp_prov's).
///
/// The salt never starts with a zero byte, and credentials that some Espressif client could
/// never log in with — `SHA-512(username ":" password)` starting with a zero byte, one pair in
/// 256 — are refused with [`SecurityError::ConventionMismatch`], which names those clients;
/// pick another password (or use [`sec2::generate_credentials`] with
/// [`sec2::MismatchPolicy::Allow`]).
pub fn generate_sec2_credentials<R: SecureRng + ?Sized>(
    username: &[u8],
    password: &[u8],
    salt_len: usize,
    convention: VerifierConvention,
    rng: &mut R,
) -> Result<(Vec<u8>, Vec<u8>), SecurityError> {
    sec2::generate_credentials(
        username,
        password,
        salt_len,
        convention,
        sec2::MismatchPolicy::Refuse,
        rng,
    )
}
