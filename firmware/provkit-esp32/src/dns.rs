//! The captive portal's DNS responder on a datagram socket: each query goes through
//! provkit-portal's pure [`provkit_portal::dns::respond`] (every `A` query → the SoftAP's own
//! address), the answer goes back to the sender; what the responder declines (responses,
//! runts) gets no datagram.
//!
//! ```text
//!  Datagrams::recv_from ─► respond(query, address, out) ─► Some ─► send_to(the sender)
//!        │ error / truncated                              └ None ─► nothing sent
//!        └─► dropped, next datagram
//! ```
//!
//! Generic over [`Datagrams`] so the loop is tested on the host; on the chip,
//! [`crate::softap::run_dns`] runs it over an embassy-net UDP socket bound to port 53 of the
//! SoftAP's interface.

use provkit_portal::dns::{MAX_ANSWER_LEN, Outcome, respond};

/// Largest query read: the classic DNS-over-UDP limit. Longer datagrams are cut (or refused
/// by the socket) and answered `FORMERR` or not at all, never read past.
pub const MAX_QUERY_LEN: usize = 512;

/// A datagram socket as the responder needs it: receive with the sender, send to it.
#[allow(async_fn_in_trait)] // single-executor firmware: no Send bound wanted
pub trait Datagrams {
    /// Who sent a datagram (and where the answer goes).
    type Peer;
    /// Receives one datagram into `buf`: its length and sender; `Err` for a datagram that
    /// could not be received whole (the loop drops it).
    async fn recv_from(&mut self, buf: &mut [u8]) -> Result<(usize, Self::Peer), ()>;
    /// Sends `data` to `peer`; a failure drops the answer (the client asks again).
    async fn send_to(&mut self, data: &[u8], peer: Self::Peer) -> Result<(), ()>;
}

/// Counts of what the responder did (for logs and tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DnsStats {
    /// Queries answered with the device's address.
    pub addresses: u32,
    /// Well-formed questions of another type answered with no records (`AAAA` ...).
    pub no_records: u32,
    /// Malformed or unsupported queries answered with an error code.
    pub errors: u32,
    /// Datagrams that got no answer (responses, runts, receive or send failures).
    pub dropped: u32,
}

/// Answers one datagram from `socket` with `address` as every name's IPv4 address.
pub async fn answer_one<D: Datagrams>(socket: &mut D, address: [u8; 4], stats: &mut DnsStats) {
    let mut query = [0u8; MAX_QUERY_LEN];
    let mut answer = [0u8; MAX_ANSWER_LEN];
    let Ok((n, peer)) = socket.recv_from(&mut query).await else {
        stats.dropped = stats.dropped.saturating_add(1);
        return;
    };
    let query = query.get(..n).unwrap_or(&query);
    let Some((len, outcome)) = respond(query, address, &mut answer) else {
        stats.dropped = stats.dropped.saturating_add(1);
        return;
    };
    let sent = socket
        .send_to(answer.get(..len).unwrap_or_default(), peer)
        .await;
    let counter = match (sent, outcome) {
        (Err(()), _) => &mut stats.dropped,
        (Ok(()), Outcome::Address) => &mut stats.addresses,
        (Ok(()), Outcome::NoRecords) => &mut stats.no_records,
        (Ok(()), Outcome::FormatError | Outcome::NotImplemented) => &mut stats.errors,
    };
    *counter = counter.saturating_add(1);
}

/// Answers every datagram from `socket`, forever.
pub async fn serve<D: Datagrams>(socket: &mut D, address: [u8; 4]) -> ! {
    let mut stats = DnsStats::default();
    loop {
        answer_one(socket, address, &mut stats).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;
    use alloc::vec::Vec;

    const DEVICE: [u8; 4] = [192, 168, 4, 1];

    /// Datagrams queued in, answers recorded; `Err` entries play a receive failure.
    struct Scripted {
        incoming: VecDeque<Result<(Vec<u8>, u16), ()>>,
        sent: Vec<(Vec<u8>, u16)>,
        fail_sends: bool,
    }

    impl Scripted {
        fn new(incoming: Vec<Result<(Vec<u8>, u16), ()>>) -> Self {
            Self {
                incoming: incoming.into(),
                sent: Vec::new(),
                fail_sends: false,
            }
        }
    }

    impl Datagrams for Scripted {
        type Peer = u16;
        async fn recv_from(&mut self, buf: &mut [u8]) -> Result<(usize, u16), ()> {
            let (data, peer) = self.incoming.pop_front().expect("script exhausted")?;
            // As a socket does: what does not fit is cut off.
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            Ok((n, peer))
        }
        async fn send_to(&mut self, data: &[u8], peer: u16) -> Result<(), ()> {
            if self.fail_sends {
                return Err(());
            }
            self.sent.push((data.to_vec(), peer));
            Ok(())
        }
    }

    fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
        let mut q = id.to_be_bytes().to_vec();
        q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        for label in name.split('.') {
            q.push(u8::try_from(label.len()).unwrap());
            q.extend_from_slice(label.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&1u16.to_be_bytes());
        q
    }

    fn run(socket: &mut Scripted) -> DnsStats {
        let mut stats = DnsStats::default();
        while !socket.incoming.is_empty() {
            embassy_futures::block_on(answer_one(socket, DEVICE, &mut stats));
        }
        stats
    }

    #[test]
    fn every_a_query_is_answered_to_its_sender_with_the_softap_address() {
        let mut socket = Scripted::new(std::vec![
            Ok((query(1, "connectivitycheck.gstatic.com", 1), 5353)),
            Ok((query(2, "captive.apple.com", 1), 40000)),
        ]);
        let stats = run(&mut socket);
        assert_eq!(stats.addresses, 2);
        assert_eq!(socket.sent.len(), 2);
        for ((answer, peer), (id, to)) in socket.sent.iter().zip([(1u16, 5353u16), (2, 40000)]) {
            assert_eq!(*peer, to, "answered to the sender");
            assert_eq!(&answer[..2], &id.to_be_bytes());
            assert_eq!(&answer[answer.len() - 4..], &DEVICE);
        }
    }

    #[test]
    fn aaaa_gets_no_records_and_garbage_never_stops_the_loop() {
        let mut response = query(3, "example.com", 1);
        response[2] |= 0x80; // a response: never answered
        // A query header, then labels without end: longer than any name and any datagram.
        let mut oversized = std::vec![0, 8, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        while oversized.len() < 2000 {
            oversized.push(63);
            oversized.extend_from_slice(&[b'a'; 63]);
        }
        let mut socket = Scripted::new(std::vec![
            Ok((query(4, "example.com", 28), 1)),
            Err(()),
            Ok((std::vec![0xff; 5], 2)),
            Ok((response, 3)),
            Ok((oversized, 4)),
            Ok((query(5, "example.com", 1), 5)),
        ]);
        let stats = run(&mut socket);
        assert_eq!(
            stats,
            DnsStats {
                addresses: 1,
                no_records: 1,
                errors: 1,
                dropped: 3,
            }
        );
        let peers: Vec<u16> = socket.sent.iter().map(|(_, p)| *p).collect();
        assert_eq!(peers, [1, 4, 5]);
        // The oversized datagram was cut to MAX_QUERY_LEN and answered FORMERR (header only).
        assert_eq!(socket.sent[1].0.len(), 12);
        assert_eq!(socket.sent[1].0[3] & 0x0f, 1);
    }

    #[test]
    fn a_failed_send_is_counted_and_the_next_query_served() {
        let mut socket = Scripted::new(std::vec![Ok((query(6, "a.b", 1), 9))]);
        socket.fail_sends = true;
        let stats = run(&mut socket);
        assert_eq!(stats.dropped, 1);
        socket.fail_sends = false;
        socket.incoming.push_back(Ok((query(7, "a.b", 1), 9)));
        assert_eq!(run(&mut socket).addresses, 1);
    }
}
