//! The SoftAP's DHCP server (`provkit-esp32::dhcp`) fed raw datagrams. The input is split at
//! `\xffSEP`; each piece is one datagram whose first byte moves the clock on by that many
//! 10-second steps (so offers and leases expire within one input), the rest is the datagram.
//! Invariants: no panic; a reply is a BOOTREPLY of at most `MAX_REPLY_LEN` bytes carrying
//! the client's transaction id and one of OFFER / ACK / NAK; an OFFER or ACK hands out an
//! address of the pool; never more than `POOL` leases are held.
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_esp32::dhcp::{DhcpServer, MAX_REPLY_LEN, POOL};
use provkit_fuzz::split_messages;

const SERVER: [u8; 4] = [192, 168, 4, 1];

fuzz_target!(|data: &[u8]| {
    let mut server = DhcpServer::new(SERVER);
    let mut now_ms = 0u64;
    let mut out = [0u8; MAX_REPLY_LEN];
    for piece in split_messages(data) {
        let Some((&step, datagram)) = piece.split_first() else {
            continue;
        };
        now_ms += u64::from(step) * 10_000;
        if let Some(len) = server.handle(datagram, now_ms, &mut out) {
            assert!(len <= MAX_REPLY_LEN);
            let reply = &out[..len];
            assert_eq!(reply[0], 2, "BOOTREPLY");
            assert_eq!(&reply[4..8], &datagram[4..8], "transaction id echoed");
            assert_eq!(&reply[236..240], &[0x63, 0x82, 0x53, 0x63]);
            // Option 53 comes first in every reply this server writes.
            assert_eq!(reply[240], 53);
            let kind = reply[242];
            assert!(matches!(kind, 2 | 5 | 6), "OFFER, ACK or NAK, got {kind}");
            let yiaddr = &reply[16..20];
            if kind == 6 {
                assert_eq!(yiaddr, &[0, 0, 0, 0]);
            } else {
                assert_eq!(&yiaddr[..3], &SERVER[..3]);
                assert!((2..2 + POOL as u8).contains(&yiaddr[3]), "{yiaddr:?}");
            }
        }
        assert!(server.leases_in_use(now_ms) <= POOL);
    }
});
