//! A minimal DHCP server for the SoftAP (embassy-net has a DHCP client but no server).
//!
//! Provisioning needs one phone at a time on a private /24, so this hands out
//! `<net>.2 ..= <net>.(1 + POOL)` by MAC, answers DISCOVER with OFFER and REQUEST with ACK
//! (NAK for an address that is not the client's), and ignores everything else. Pure: bytes
//! in, bytes out; the firmware runs it on a UDP socket bound to port 67 and sends replies to
//! the broadcast address, port 68 (the phone has no address yet).

/// Leases held at once.
pub const POOL: usize = 4;
/// Lease time offered, seconds (provisioning takes minutes).
pub const LEASE_SECS: u32 = 2 * 60 * 60;
/// Server port.
pub const SERVER_PORT: u16 = 67;
/// Client port.
pub const CLIENT_PORT: u16 = 68;

const MAGIC: [u8; 4] = [0x63, 0x82, 0x53, 0x63];
const OPTIONS_AT: usize = 240;
const DISCOVER: u8 = 1;
const REQUEST: u8 = 3;
const OFFER: u8 = 2;
const ACK: u8 = 5;
const NAK: u8 = 6;

/// Reply buffer size: BOOTP header + our options.
pub const MAX_REPLY_LEN: usize = OPTIONS_AT + 64;

/// The server state: our address and the MAC of each pool slot.
#[derive(Debug, Clone)]
pub struct DhcpServer {
    server_ip: [u8; 4],
    leases: [Option<[u8; 6]>; POOL],
}

impl DhcpServer {
    /// A server at `server_ip` (a /24; the pool is `.2 ..`).
    pub const fn new(server_ip: [u8; 4]) -> Self {
        Self {
            server_ip,
            leases: [None; POOL],
        }
    }

    fn address_of_slot(&self, slot: usize) -> [u8; 4] {
        let [a, b, c, _] = self.server_ip;
        // slot < POOL (4), so this never overflows.
        [a, b, c, 2 + slot as u8]
    }

    fn slot_for(&mut self, mac: [u8; 6]) -> Option<usize> {
        if let Some(i) = self.leases.iter().position(|l| *l == Some(mac)) {
            return Some(i);
        }
        let free = self.leases.iter().position(Option::is_none)?;
        if let Some(lease) = self.leases.get_mut(free) {
            *lease = Some(mac);
        }
        Some(free)
    }

    /// Handles one request datagram; returns the reply length written into `out`, or `None`
    /// when nothing is to be sent (not a DHCP request, unknown type, pool exhausted).
    pub fn handle(&mut self, request: &[u8], out: &mut [u8; MAX_REPLY_LEN]) -> Option<usize> {
        // BOOTREQUEST, Ethernet, 6-byte addresses, the magic cookie.
        if request.len() < OPTIONS_AT
            || request.first() != Some(&1)
            || request.get(1..3) != Some(&[1, 6][..])
            || request.get(236..240) != Some(&MAGIC[..])
        {
            return None;
        }
        let mac: [u8; 6] = request.get(28..34)?.try_into().ok()?;
        let mut message_type = None;
        let mut requested_ip = None;
        let mut options = request.get(OPTIONS_AT..)?;
        while let Some((&code, rest)) = options.split_first() {
            match code {
                0 => options = rest,
                255 => break,
                _ => {
                    let (&len, rest) = rest.split_first()?;
                    let value = rest.get(..usize::from(len))?;
                    match (code, value) {
                        (53, [t]) => message_type = Some(*t),
                        (50, [a, b, c, d]) => requested_ip = Some([*a, *b, *c, *d]),
                        _ => {}
                    }
                    options = rest.get(usize::from(len)..)?;
                }
            }
        }
        // Decide before allocating, so junk cannot use up the pool.
        let message_type = message_type.filter(|t| matches!(*t, DISCOVER | REQUEST))?;
        let slot = self.slot_for(mac)?;
        let offered = self.address_of_slot(slot);
        let reply_type = match message_type {
            DISCOVER => OFFER,
            REQUEST if requested_ip.is_none_or(|ip| ip == offered) => ACK,
            REQUEST => NAK,
            _ => return None,
        };

        out.fill(0);
        out[0] = 2; // BOOTREPLY
        out[1] = 1;
        out[2] = 6;
        out[4..8].copy_from_slice(request.get(4..8)?); // xid
        out[10..12].copy_from_slice(request.get(10..12)?); // flags
        if reply_type != NAK {
            out[16..20].copy_from_slice(&offered); // yiaddr
        }
        out[20..24].copy_from_slice(&self.server_ip); // siaddr
        out[28..44].copy_from_slice(request.get(28..44)?); // chaddr
        out[236..240].copy_from_slice(&MAGIC);
        let mut at = OPTIONS_AT;
        let mut option = |code: u8, value: &[u8]| {
            out[at] = code;
            out[at + 1] = value.len() as u8;
            out[at + 2..at + 2 + value.len()].copy_from_slice(value);
            at += 2 + value.len();
        };
        option(53, &[reply_type]);
        option(54, &self.server_ip);
        if reply_type != NAK {
            option(51, &LEASE_SECS.to_be_bytes());
            option(1, &[255, 255, 255, 0]);
            option(3, &self.server_ip);
            option(6, &self.server_ip);
        }
        out[at] = 255;
        Some(at + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn request(mac: [u8; 6], kind: u8, requested: Option<[u8; 4]>) -> Vec<u8> {
        let mut p = std::vec![0u8; OPTIONS_AT];
        p[0] = 1;
        p[1] = 1;
        p[2] = 6;
        p[4..8].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        p[10] = 0x80; // broadcast flag
        p[28..34].copy_from_slice(&mac);
        p[236..240].copy_from_slice(&MAGIC);
        p.extend_from_slice(&[0, 53, 1, kind]); // a pad byte first
        if let Some(ip) = requested {
            p.extend_from_slice(&[50, 4]);
            p.extend_from_slice(&ip);
        }
        p.push(255);
        p
    }

    /// Finds option `code` in a reply.
    fn option(reply: &[u8], code: u8) -> Option<Vec<u8>> {
        let mut at = OPTIONS_AT;
        while at < reply.len() && reply[at] != 255 {
            let len = reply[at + 1] as usize;
            if reply[at] == code {
                return Some(reply[at + 2..at + 2 + len].to_vec());
            }
            at += 2 + len;
        }
        None
    }

    #[test]
    fn discover_then_request_gets_offer_then_ack_of_the_same_address() {
        let mut server = DhcpServer::new([192, 168, 4, 1]);
        let mac = [2, 0, 0, 0, 0, 1];
        let mut out = [0u8; MAX_REPLY_LEN];
        let n = server
            .handle(&request(mac, DISCOVER, None), &mut out)
            .unwrap();
        let offer = &out[..n];
        assert_eq!(offer[0], 2);
        assert_eq!(&offer[4..8], &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(&offer[16..20], &[192, 168, 4, 2]);
        assert_eq!(&offer[28..34], &mac);
        assert_eq!(option(offer, 53), Some(std::vec![OFFER]));
        assert_eq!(option(offer, 54), Some(std::vec![192, 168, 4, 1]));
        assert_eq!(option(offer, 1), Some(std::vec![255, 255, 255, 0]));

        let n = server
            .handle(&request(mac, REQUEST, Some([192, 168, 4, 2])), &mut out)
            .unwrap();
        assert_eq!(option(&out[..n], 53), Some(std::vec![ACK]));
        assert_eq!(&out[16..20], &[192, 168, 4, 2]);
    }

    #[test]
    fn clients_get_distinct_addresses_and_a_wrong_request_is_refused() {
        let mut server = DhcpServer::new([10, 0, 0, 1]);
        let mut out = [0u8; MAX_REPLY_LEN];
        server
            .handle(&request([1; 6], DISCOVER, None), &mut out)
            .unwrap();
        server
            .handle(&request([2; 6], DISCOVER, None), &mut out)
            .unwrap();
        assert_eq!(&out[16..20], &[10, 0, 0, 3]);
        let n = server
            .handle(&request([2; 6], REQUEST, Some([10, 0, 0, 2])), &mut out)
            .unwrap();
        assert_eq!(option(&out[..n], 53), Some(std::vec![NAK]));
        assert_eq!(&out[16..20], &[0, 0, 0, 0]);
    }

    #[test]
    fn pool_exhaustion_and_garbage_produce_no_reply() {
        let mut server = DhcpServer::new([10, 0, 0, 1]);
        let mut out = [0u8; MAX_REPLY_LEN];
        for i in 0..POOL as u8 {
            assert!(
                server
                    .handle(&request([i; 6], DISCOVER, None), &mut out)
                    .is_some()
            );
        }
        assert!(
            server
                .handle(&request([0xEE; 6], DISCOVER, None), &mut out)
                .is_none()
        );
        // Truncations of a valid request never panic and never answer without a type.
        let good = request([1; 6], DISCOVER, None);
        for cut in 0..good.len() - 1 {
            let _ = server.handle(&good[..cut], &mut out);
        }
        assert!(server.handle(&good[..OPTIONS_AT], &mut out).is_none());
        let mut bad_len = good.clone();
        bad_len[OPTIONS_AT + 2] = 200; // option length past the end
        assert!(server.handle(&bad_len, &mut out).is_none());
    }
}
