//! # provkit-security: protocomm security schemes 0, 1 and 2
//!
//! Sits directly on `provkit-proto` and under `provkit-protocomm`. It turns `prov-session`
//! bodies into handshake steps and, once a session is established, encrypts and decrypts the
//! bodies of every other endpoint.
//!
//! (Module overview to be completed by the crate's authors.)

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod error;
pub mod sec0;
pub mod sec1;
pub mod sec2;
pub mod srp;

pub use error::SecurityError;
