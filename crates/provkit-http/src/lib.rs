#![doc = include_str!("../README.md")]
//!
//! ## Design: the HTTP/1.1 server core under every SoftAP transport
//!
//! One request parser, one set of limits and one response writer, shared by the three places
//! provkit serves HTTP: the simulator (`provkit-sim`, on tokio), the ESP32 adapter
//! (`firmware/provkit-esp32`, on embassy-net) and the CC32xx adapter (`provkit-cc32xx`, on the
//! network processor's sockets). It is a transport-adapter helper: it knows HTTP syntax and
//! sockets' byte streams, nothing about sessions, cookies' meaning or endpoints. What a
//! request *means* is the adapter's business (for ESP provisioning, protocomm's HTTP framing);
//! this crate does not depend on protocomm.
//!
//! ```text
//!  adapter: accept (connection cap) ─► serve_connection(io, id, service, buffer, timer, timeouts)
//!     bytes ─► RequestParser ─► Request{method, target, cookie, keep_alive, body}
//!                 │ ParseError ─► Service::refused (default: close, no bytes)
//!                 ▼
//!           Service::request ─► Answer::Reply(Response) ─► Response::encode ─► bytes
//!                            └► Answer::Close ─► end, no bytes (protocomm's "no response")
//!     end of connection ─► Service::closed(id) ─► adapter closes the socket
//! ```
//!
//! * [`limits`]: the head and body limits (esp_http_server's, and protocomm's 4096-byte body)
//!   and the default timeouts and connection cap.
//! * [`parse`]: [`RequestParser`], incremental over a growing buffer; every byte of the head is
//!   looked at once, however the stream is split; every malformation is a [`ParseError`].
//! * [`response`]: [`Response`] and [`Status`], encoded the way esp_http_server's
//!   `httpd_resp_send` writes them.
//! * [`server`]: [`serve_connection`], the keep-alive loop (pipelining-safe) generic over
//!   `embedded_io_async::{Read, Write}`; clock-free: the adapter's runtime supplies a [`Timer`].
//!
//! `#![no_std]` with `alloc`; no `unsafe`.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
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
#[cfg(test)]
extern crate std;

pub mod limits;
pub mod parse;
pub mod response;
pub mod server;

pub use parse::{ParseError, Parsed, Request, RequestParser, parse_request};
pub use response::{InvalidHeader, Response, Status};
pub use server::{
    Answer, ConnectionId, Ended, NoTimer, Service, Timeouts, Timer, serve_connection,
};
