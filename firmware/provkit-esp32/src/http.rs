//! SoftAP HTTP transport: provkit-http's connection loop on embassy-net TCP sockets.
//!
//! The parser, its limits and the response bytes are the simulator's and the CC32xx
//! adapter's (crate `provkit-http`); this module only owns sockets and time.
//!
//! ```text
//!  N slots, each: TcpSocket::accept(port) ─► connection id ─► provkit_http::serve_connection
//!      ─► your Service::request(&Request, id) ─► Answer::Reply(Response) ─► written, kept
//!                                              └► Answer::Close ─► socket closed, no byte sent
//!      connection ended (any reason) ─► Service::closed(id) ─► FIN, then the slot listens again
//! ```
//!
//! Limits, as on every provkit HTTP server:
//! * **connection cap** = the number of services given to [`serve`]: one socket per slot, so
//!   when every slot is busy no socket listens and the TCP stack refuses the newcomer (RST);
//!   the connections being served are not touched (esp_http_server under protocomm keeps
//!   one socket and evicts it for any newcomer);
//! * **idle and request timeouts** from [`provkit_http::limits`], measured with
//!   `embassy_time`; and `TcpSocket::set_timeout` plus TCP keep-alive, so a peer that
//!   vanished (phone walked out of range) is dropped even while the loop waits on it;
//! * request head and body limits: provkit-http's (body ≤ 4096 bytes, as protocomm).
//!
//! A service that wants one state for all connections implements [`Service`] on a small
//! per-slot handle (e.g. a reference to a `RefCell` of the device), since each slot serves
//! its connection concurrently.

extern crate alloc;

use alloc::vec;
use core::cell::Cell;
use core::future::Future;

use embassy_net::Stack;
use embassy_net::tcp::TcpSocket;
use embassy_time::{Duration, with_timeout};

pub use provkit_http::limits;
pub use provkit_http::{
    Answer, ConnectionId, Ended, ParseError, Request, Response, Service, Status,
};
use provkit_http::{Timeouts, Timer, serve_connection};

/// Socket receive and transmit buffer per connection (a TCP segment on the SoftAP's MTU).
const SOCKET_BUFFER_LEN: usize = 1536;
/// TCP keep-alive probe interval: a live but idle peer answers, a vanished one does not and
/// is aborted after [`DEAD_PEER_TIMEOUT_MS`].
const KEEP_ALIVE_MS: u64 = 5_000;
/// How long the TCP stack waits for a peer that stopped answering (probes or our data).
const DEAD_PEER_TIMEOUT_MS: u64 = limits::REQUEST_TIMEOUT_MS;
/// How long a close waits for the peer to acknowledge our FIN before resetting.
const CLOSE_LINGER_MS: u64 = 2_000;

/// `embassy_time` as provkit-http's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbassyTimer;

impl Timer for EmbassyTimer {
    fn sleep_ms(&mut self, ms: u64) -> impl Future<Output = ()> {
        embassy_time::Timer::after_millis(ms)
    }
}

/// Serves HTTP on `port` forever, one connection per service in `services` (the cap), each
/// with provkit-http's default timeouts.
pub async fn serve<S: Service, const N: usize>(
    stack: Stack<'_>,
    port: u16,
    mut services: [S; N],
) -> ! {
    let next_id = Cell::new(0u32);
    let slots = services
        .each_mut()
        .map(|service| serve_slot(stack, port, service, &next_id));
    embassy_futures::join::join_array(slots).await;
    // Every slot loops forever; join_array only returns if all of them did.
    loop {
        embassy_time::Timer::after_secs(3600).await;
    }
}

/// One connection slot: accept, serve until the connection ends, close, listen again.
async fn serve_slot<S: Service>(stack: Stack<'_>, port: u16, service: &mut S, next_id: &Cell<u32>) {
    let mut rx = vec![0u8; SOCKET_BUFFER_LEN];
    let mut tx = vec![0u8; SOCKET_BUFFER_LEN];
    let mut buffer = vec![0u8; limits::REQUEST_BUFFER_LEN];
    let mut timeouts = Timeouts::new(EmbassyTimer);
    loop {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        socket.set_timeout(Some(Duration::from_millis(DEAD_PEER_TIMEOUT_MS)));
        socket.set_keep_alive(Some(Duration::from_millis(KEEP_ALIVE_MS)));
        if socket.accept(port).await.is_err() {
            continue;
        }
        let id = next_id.get().wrapping_add(1);
        next_id.set(id);
        // Whatever ended it (including the service's "no response"), nothing more is sent.
        let _ended = serve_connection(&mut socket, id, service, &mut buffer, &mut timeouts).await;
        // Dropping an embassy-net socket sends nothing, so close explicitly: FIN, and a reset
        // if the peer does not acknowledge it in time.
        socket.close();
        if with_timeout(Duration::from_millis(CLOSE_LINGER_MS), socket.flush())
            .await
            .is_err()
        {
            socket.abort();
            match with_timeout(Duration::from_millis(CLOSE_LINGER_MS), socket.flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => dropped!("flush before close", e),
                Err(timeout) => dropped!("flush before close", timeout),
            }
        }
    }
}
