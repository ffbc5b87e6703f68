#![doc = include_str!("../README.md")]
//!
//! ## Design: the client side of ESP-IDF provisioning
//!
//! Sits at the top of the client half of the stack, beside the device-side
//! `provkit-protocomm`/`provkit-manager`: it depends only on `provkit-security` (the
//! `ClientSession` handshakes and data-phase ciphers) and `provkit-proto` (the messages), and
//! is used by `provkit-cli` and the end-to-end tests. It is what esp_prov is, in Rust.
//!
//! ```text
//!  your code ─▶ Client<T: Transport>
//!                 ├─ proto_ver  : VersionReport::parse + select_scheme  (spec §3.2)
//!                 ├─ session    : provkit_security::ClientSession        (spec §4)
//!                 ├─ wifi       : request builders / response parsers    (spec §2.7–2.9, §6)
//!                 └─ Transport  : HTTP (feature `http`) | in-memory | BLE | console
//! ```
//!
//! * [`Transport`] moves one request body to a named endpoint and returns one response; the
//!   same [`Client`] therefore runs over HTTP, over an in-memory device, or over BLE/console
//!   framings.
//! * [`Client::connect`] reads `proto-ver`, picks the scheme the device advertises (security 2
//!   included, which esp_prov never auto-selects), refuses a downgrade below the
//!   [`SecurityPolicy`] (by default: security 2 when given sec2 credentials, security 1 when
//!   given a PoP; sec2 patch 0 only when allowed), and runs the handshake.
//! * Security 2 starts in ESP-IDF's and the phone apps' [`ClientConvention`]; a proof the
//!   device rejects is retried once in esp_prov's when that derives a different verifier for
//!   the credentials ([`Client::sec2_retry`] reports it). [`ClientConvention::AndroidMinimal`]
//!   reproduces the Android library's wire bytes, to test devices against them.
//! * Scan with paging, SetConfig/ApplyConfig, status polling with reasons, prov-ctrl
//!   reset/reprov and raw custom endpoints are methods of [`Client`]; their plaintext codecs
//!   are the pure functions of [`wifi`], byte-identical to esp_prov's requests.
//!
//! ## Example
//!
//! ```no_run
//! # #[cfg(feature = "http")] fn main() -> Result<(), provkit_client::ClientError> {
//! use provkit_client::{Client, PollPolicy, Secrets, WifiCredentials, http::HttpTransport};
//! # struct Os; impl provkit_security::rand_core::TryRng for Os { type Error = core::convert::Infallible;
//! # fn try_next_u32(&mut self) -> Result<u32, Self::Error> { Ok(4) }
//! # fn try_next_u64(&mut self) -> Result<u64, Self::Error> { Ok(4) }
//! # fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> { d.fill(4); Ok(()) } }
//! # impl provkit_security::rand_core::TryCryptoRng for Os {}
//! # let mut rng = Os;
//! // `rng`: any `rand_core` CryptoRng, e.g. `rand_chacha::ChaCha20Rng` seeded from the OS.
//! let mut client = Client::new(HttpTransport::new("192.168.4.1:80"));
//! let secrets = Secrets { pop: Some(b"abcd1234".to_vec()), ..Secrets::default() };
//! let scheme = client.connect(&secrets, None, &mut rng)?;
//! let info = client.provision(
//!     &WifiCredentials::new("myssid", "mypassword"),
//!     PollPolicy::default(),
//!     || std::thread::sleep(std::time::Duration::from_secs(2)),
//! )?;
//! println!("{scheme:?}: connected, ip {}", info.ip4_addr);
//! # Ok(()) }
//! # #[cfg(not(feature = "http"))] fn main() {}
//! ```
//!
//! ## Secrets
//!
//! [`WifiCredentials`] wipes its passphrase on drop; [`Secrets`] implements [`Zeroize`] and
//! is wiped on drop when held as [`Zeroizing<Secrets>`] (it has no `Drop` itself so that
//! struct-update construction keeps working). Neither prints secrets in `Debug`. The
//! plaintext SetConfig request is wiped once sent.
//!
//! ## Errors
//!
//! [`ClientError`] is the crate's error: every [`Client`] operation returns it.
//! [`TransportError`] is not a second error of the client but the vocabulary of the
//! [`Transport`] trait, the one type a transport implementation (HTTP, BLE, console, an
//! in-memory device) must produce without knowing anything about sessions or protobuf. It
//! reaches users nested as [`ClientError::Transport`] (`From` is implemented, and
//! `source()` returns it).
//!
//! ## Features
//!
//! * `http` (default, implies `std`): [`http::HttpTransport`], blocking HTTP/1.1 over
//!   `std::net` with keep-alive and the `Cookie: session=<id>` echo the device expects.
//! * `std`: std error impls in the crates below. Without it the crate is `no_std` + `alloc`.

#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

mod client;
mod error;
#[cfg(feature = "http")]
pub mod http;
pub mod proto_ver;
mod transport;
pub mod wifi;

pub use client::{
    Client, PollPolicy, ScanPlan, Scheme, Sec2Retry, Secrets, SecurityPolicy, security_config,
    select_scheme,
};
pub use error::{ClientError, Endpoint, FailReason, TransportError};
pub use proto_ver::{DetectedSecurity, VersionEntry, VersionReport};
pub use transport::Transport;
pub use wifi::{ConnectedInfo, ScanEntry, ScanOptions, ScanStatus, WifiCredentials, WifiStatus};

pub use provkit_security::{ClientConvention, ClientSecurityConfig, Sec2Patch};
pub use zeroize::{Zeroize, Zeroizing};
