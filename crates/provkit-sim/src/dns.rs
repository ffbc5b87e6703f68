//! The captive portal's DNS responder on a real UDP socket (`provkit sim --dns ADDR:PORT`):
//! each datagram goes through provkit-portal's pure [`respond`], which answers every `A`
//! query with the device's address; what it declines to answer gets no datagram.
//!
//! ```text
//!  UdpSocket::recv_from ─► provkit_portal::dns::respond(query, address) ─► send_to peer
//!        (read timeout: the stop flag is checked between datagrams)
//! ```

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use provkit_portal::dns::{MAX_ANSWER_LEN, respond};

use crate::SimError;

/// How often a waiting responder looks at its stop flag.
const POLL: Duration = Duration::from_millis(100);

/// A DNS responder running on its own thread until [`DnsResponder::stop`] or drop.
pub struct DnsResponder {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DnsResponder {
    /// Binds `addr` (UDP) and answers every name with `address`.
    pub fn start(addr: SocketAddr, address: [u8; 4]) -> Result<Self, SimError> {
        let io = |context: String| move |source| SimError::Io { context, source };
        let socket = UdpSocket::bind(addr).map_err(io(format!("cannot bind DNS on {addr}")))?;
        socket
            .set_read_timeout(Some(POLL))
            .map_err(io("setting the DNS socket's timeout".into()))?;
        let addr = socket
            .local_addr()
            .map_err(io("reading the DNS address".into()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || serve(&socket, address, &flag));
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the responder and waits for its thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for DnsResponder {
    fn drop(&mut self) {
        self.halt();
    }
}

fn serve(socket: &UdpSocket, address: [u8; 4], stop: &AtomicBool) {
    let mut query = [0u8; 1500];
    let mut answer = [0u8; MAX_ANSWER_LEN];
    while !stop.load(Ordering::Relaxed) {
        let Ok((n, peer)) = socket.recv_from(&mut query) else {
            // Timeout (check the flag) or a transient error (an ICMP unreachable): go on.
            continue;
        };
        if let Some((len, _)) = respond(&query[..n], address, &mut answer) {
            let _ = socket.send_to(&answer[..len], peer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_an_a_query_over_udp_on_loopback() {
        let dns = DnsResponder::start("127.0.0.1:0".parse().unwrap(), [10, 1, 2, 3]).unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut q = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
        client.send_to(&q, dns.local_addr()).unwrap();
        let mut buf = [0u8; 512];
        let n = client.recv(&mut buf).unwrap();
        assert_eq!(&buf[..2], &[0x12, 0x34]);
        assert_eq!(&buf[n - 4..n], &[10, 1, 2, 3]);
        dns.stop();
    }
}
