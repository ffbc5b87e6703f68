//! Protocomm mode's HTTP server over scripted NWP sockets: the transport limits (connection
//! cap, idle and request timeouts, over-long head or body) and byte-at-a-time delivery.
//! (Parser properties live with the parser, in provkit-http.)

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use provkit_cc32xx::http::{MAX_CONNECTIONS, ProtocommHttpServer};
use provkit_cc32xx::provkit_nwp::Cc32xxError;
use provkit_cc32xx::provkit_nwp::NwpSockets;
use provkit_hal::Instant;
use provkit_http::limits::{IDLE_TIMEOUT_MS, MAX_BODY_LEN, REQUEST_TIMEOUT_MS};
use provkit_protocomm::rand_core::SeedableRng;
use provkit_protocomm::{
    DeviceSecurityConfig, HandlerError, Protocomm, RequestHandler, VersionInfo,
};
use rand_chacha::ChaCha20Rng;

const LISTENER: i16 = 100;

/// Sockets whose peers are scripted: bytes to deliver, whether the peer hung up.
#[derive(Default)]
struct Sockets {
    backlog: VecDeque<i16>,
    inbox: BTreeMap<i16, VecDeque<u8>>,
    /// Deliver at most this many bytes per recv (0 = no limit).
    trickle: usize,
    sent: BTreeMap<i16, Vec<u8>>,
    closed: BTreeSet<i16>,
}

impl Sockets {
    fn connect(&mut self, sd: i16) {
        self.backlog.push_back(sd);
        self.inbox.insert(sd, VecDeque::new());
    }
    fn send_from_peer(&mut self, sd: i16, bytes: &[u8]) {
        self.inbox
            .entry(sd)
            .or_default()
            .extend(bytes.iter().copied());
    }
    fn received_by_peer(&self, sd: i16) -> &[u8] {
        self.sent.get(&sd).map_or(&[], Vec::as_slice)
    }
}

impl NwpSockets for Sockets {
    fn tcp_listen(&mut self, _port: u16) -> Result<i16, Cc32xxError> {
        Ok(LISTENER)
    }
    fn accept(&mut self, _listener: i16) -> Result<i16, Cc32xxError> {
        self.backlog.pop_front().ok_or(Cc32xxError::WouldBlock)
    }
    fn recv(&mut self, sd: i16, buf: &mut [u8]) -> Result<usize, Cc32xxError> {
        let inbox = self.inbox.get_mut(&sd).ok_or(Cc32xxError::NoResources)?;
        if inbox.is_empty() {
            return Err(Cc32xxError::WouldBlock);
        }
        let mut n = buf.len().min(inbox.len());
        if self.trickle > 0 {
            n = n.min(self.trickle);
        }
        for slot in buf.iter_mut().take(n) {
            *slot = inbox.pop_front().unwrap_or_default();
        }
        Ok(n)
    }
    fn send(&mut self, sd: i16, data: &[u8]) -> Result<usize, Cc32xxError> {
        self.sent.entry(sd).or_default().extend_from_slice(data);
        Ok(data.len())
    }
    fn close(&mut self, sd: i16) -> Result<(), Cc32xxError> {
        self.closed.insert(sd);
        Ok(())
    }
}

struct Echo;
impl RequestHandler for Echo {
    fn handle_request(&mut self, _: &str, plaintext: &[u8]) -> Result<Vec<u8>, HandlerError> {
        Ok(plaintext.to_vec())
    }
}

struct Rig {
    sockets: Sockets,
    server: ProtocommHttpServer,
    protocomm: Protocomm,
    rng: ChaCha20Rng,
}

impl Rig {
    fn new() -> Self {
        let mut sockets = Sockets::default();
        let mut server = ProtocommHttpServer::new();
        server.listen(&mut sockets, 80).expect("listen");
        Self {
            sockets,
            server,
            protocomm: Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default()),
            rng: ChaCha20Rng::seed_from_u64(1),
        }
    }
    fn poll(&mut self, at_ms: u64) -> usize {
        self.server
            .poll(
                &mut self.sockets,
                &mut self.protocomm,
                &mut Echo,
                &mut self.rng,
                Instant::from_millis(at_ms),
            )
            .expect("poll")
    }
}

fn proto_ver(cookie: Option<&str>) -> Vec<u8> {
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    format!("POST /proto-ver HTTP/1.1\r\nHost: 192.168.4.1\r\n{cookie}Content-Length: 3\r\n\r\n---")
        .into_bytes()
}

fn answered_200(bytes: &[u8]) -> bool {
    bytes.starts_with(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ")
}

#[test]
fn connections_over_the_cap_are_refused_and_the_others_carry_on() {
    let mut rig = Rig::new();
    let count = i16::try_from(MAX_CONNECTIONS).expect("small") + 1;
    for sd in 1..=count {
        rig.sockets.connect(sd);
    }
    rig.poll(0);
    // The one over the cap is closed at once, unanswered; the others stay open.
    assert_eq!(rig.sockets.closed, BTreeSet::from([count]));
    assert!(rig.sockets.received_by_peer(count).is_empty());
    for sd in 1..count {
        rig.sockets
            .send_from_peer(sd, &proto_ver(Some("session=1")));
    }
    assert_eq!(rig.poll(10), MAX_CONNECTIONS);
    for sd in 1..count {
        assert!(
            answered_200(rig.sockets.received_by_peer(sd)),
            "socket {sd}"
        );
    }
    assert_eq!(rig.sockets.closed.len(), 1);
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let mut rig = Rig::new();
    rig.sockets.connect(1);
    rig.sockets.send_from_peer(1, &proto_ver(None));
    assert_eq!(rig.poll(1_000), 1);
    assert!(answered_200(rig.sockets.received_by_peer(1)));
    rig.poll(1_000 + IDLE_TIMEOUT_MS);
    assert!(rig.sockets.closed.is_empty(), "closed before the timeout");
    rig.poll(1_000 + IDLE_TIMEOUT_MS + 1);
    assert_eq!(rig.sockets.closed, BTreeSet::from([1]));
}

#[test]
fn a_stalled_request_is_closed_after_the_request_timeout_without_a_byte() {
    let mut rig = Rig::new();
    rig.sockets.connect(1);
    rig.poll(0);
    rig.sockets.send_from_peer(
        1,
        b"POST /proto-ver HTTP/1.1\r\nContent-Length: 9\r\n\r\nab",
    );
    rig.poll(500);
    rig.poll(500 + REQUEST_TIMEOUT_MS);
    assert!(rig.sockets.closed.is_empty());
    rig.poll(500 + REQUEST_TIMEOUT_MS + 1);
    assert_eq!(rig.sockets.closed, BTreeSet::from([1]));
    assert!(rig.sockets.received_by_peer(1).is_empty());
}

#[test]
fn an_over_long_head_or_body_closes_without_response() {
    let mut rig = Rig::new();
    rig.sockets.connect(1);
    rig.sockets.connect(2);
    let mut head = b"POST /proto-ver HTTP/1.1\r\nX-Junk: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 3000));
    rig.sockets.send_from_peer(1, &head);
    let big = format!(
        "POST /proto-ver HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY_LEN + 1
    );
    rig.sockets.send_from_peer(2, big.as_bytes());
    assert_eq!(rig.poll(0), 0);
    assert_eq!(rig.sockets.closed, BTreeSet::from([1, 2]));
    assert!(rig.sockets.received_by_peer(1).is_empty());
    assert!(rig.sockets.received_by_peer(2).is_empty());
}

#[test]
fn requests_trickled_a_byte_per_poll_and_pipelined_are_all_answered() {
    let mut rig = Rig::new();
    rig.sockets.trickle = 1;
    rig.sockets.connect(1);
    let two = [proto_ver(None), proto_ver(None)].concat();
    rig.sockets.send_from_peer(1, &two);
    let mut served = 0;
    for t in 0..(two.len() as u64 * 2) {
        served += rig.poll(t);
    }
    assert_eq!(served, 2);
    let text = String::from_utf8_lossy(rig.sockets.received_by_peer(1)).into_owned();
    assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{text}");
    assert!(rig.sockets.closed.is_empty());
}

#[test]
fn an_unknown_endpoint_gets_404_and_the_close_esp_http_server_does() {
    let mut rig = Rig::new();
    rig.sockets.connect(1);
    rig.sockets
        .send_from_peer(1, b"POST /nothing HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
    rig.poll(0);
    assert_eq!(
        rig.sockets.received_by_peer(1),
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 29\r\n\r\nNothing matches the given URI"
    );
    assert_eq!(rig.sockets.closed, BTreeSet::from([1]));
}
