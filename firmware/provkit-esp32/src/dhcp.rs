//! A minimal DHCP server for the SoftAP (embassy-net has a DHCP client but no server).
//!
//! Provisioning needs one phone at a time on a private /24, so this hands out
//! `<net>.2 ..= <net>.(1 + POOL)`, answers DISCOVER with OFFER and REQUEST with ACK (NAK for
//! an address the client cannot have), frees a lease on RELEASE / DECLINE, and ignores
//! everything else. Pure: bytes and the time in, bytes out; the firmware runs it on a UDP
//! socket bound to port 67 and sends replies to the broadcast address, port 68 (the phone has
//! no address yet).
//!
//! ## Leases expire and are reused
//!
//! A pool of four that never forgets is used up by four MAC addresses, and a station can
//! claim any MAC in a DHCP message. So every slot has an expiry, and time (`now_ms`, any
//! monotonic millisecond clock) is an argument of [`DhcpServer::handle`]:
//!
//! ```text
//!  free ──DISCOVER──► offered (OFFER_HOLD_MS) ──REQUEST──► bound (LEASE_SECS, renewable)
//!    ▲                    │ expired / evicted by a newer DISCOVER      │ expired / RELEASE /
//!    └────────────────────┴────────────────────────────────────────────┘ DECLINE / release_mac
//! ```
//!
//! * An offer is held [`OFFER_HOLD_MS`]; when the pool is full a DISCOVER takes the oldest
//!   *offer* (an address handed out but never requested), never a bound lease.
//! * A REQUEST for a free or merely offered address gets it (so a DISCOVER flood that churns
//!   the offers cannot keep a client that asks for its address from getting one); an address
//!   bound to another MAC gets a NAK.
//! * A bound lease lasts [`LEASE_SECS`] and is extended by every REQUEST (phones renew at half
//!   time). Expired leases are reused, the longest-expired first.
//! * [`DhcpServer::release_mac`] frees a station's lease at once: the firmware calls it when
//!   the station leaves the SoftAP.
//!
//! What this cannot stop: a station that sends REQUESTs under four invented MAC addresses
//! binds the whole pool for a lease time; a SoftAP with a key (WPA2) keeps such stations off.

/// Leases held at once.
pub const POOL: usize = 4;
/// Lease time offered, seconds: provisioning takes minutes, and phones renew at half time.
pub const LEASE_SECS: u32 = 10 * 60;
/// How long an OFFER reserves its address for a REQUEST, ms.
pub const OFFER_HOLD_MS: u64 = 30_000;
/// Server port.
pub const SERVER_PORT: u16 = 67;
/// Client port.
pub const CLIENT_PORT: u16 = 68;

const MAGIC: [u8; 4] = [0x63, 0x82, 0x53, 0x63];
const OPTIONS_AT: usize = 240;
const DISCOVER: u8 = 1;
const OFFER: u8 = 2;
const REQUEST: u8 = 3;
const DECLINE: u8 = 4;
const ACK: u8 = 5;
const NAK: u8 = 6;
const RELEASE: u8 = 7;

/// Reply buffer size: BOOTP header + our options.
pub const MAX_REPLY_LEN: usize = OPTIONS_AT + 64;

/// What a pool slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lease {
    /// Offered to `mac`, reserved until `until_ms`.
    Offered { mac: [u8; 6], until_ms: u64 },
    /// Bound to `mac` until `until_ms`.
    Bound { mac: [u8; 6], until_ms: u64 },
}

impl Lease {
    fn mac(&self) -> [u8; 6] {
        match *self {
            Self::Offered { mac, .. } | Self::Bound { mac, .. } => mac,
        }
    }

    fn until_ms(&self) -> u64 {
        match *self {
            Self::Offered { until_ms, .. } | Self::Bound { until_ms, .. } => until_ms,
        }
    }
}

/// The server state: our address and what each pool slot holds.
#[derive(Debug, Clone)]
pub struct DhcpServer {
    server_ip: [u8; 4],
    leases: [Option<Lease>; POOL],
}

/// The parts of a request this server looks at.
struct Parsed {
    mac: [u8; 6],
    message_type: u8,
    requested_ip: Option<[u8; 4]>,
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

    fn slot_of_address(&self, ip: [u8; 4]) -> Option<usize> {
        (0..POOL).find(|&slot| self.address_of_slot(slot) == ip)
    }

    /// The slot `mac` holds (offered or bound, not expired).
    fn slot_of_mac(&self, mac: [u8; 6], now_ms: u64) -> Option<usize> {
        self.leases
            .iter()
            .position(|l| l.is_some_and(|l| l.mac() == mac && l.until_ms() > now_ms))
    }

    /// A slot for a new lease: free, else the longest-expired, else (for an offer only) the
    /// oldest unrequested offer.
    fn claimable_slot(&self, now_ms: u64, evict_offers: bool) -> Option<usize> {
        if let Some(free) = self.leases.iter().position(Option::is_none) {
            return Some(free);
        }
        let expired = self
            .leases
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                l.filter(|l| l.until_ms() <= now_ms)
                    .map(|l| (i, l.until_ms()))
            })
            .min_by_key(|&(_, until)| until)
            .map(|(i, _)| i);
        if expired.is_some() || !evict_offers {
            return expired;
        }
        self.leases
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                Some(Lease::Offered { until_ms, .. }) => Some((i, *until_ms)),
                _ => None,
            })
            .min_by_key(|&(_, until)| until)
            .map(|(i, _)| i)
    }

    /// The station `mac` left the SoftAP: its lease (offered or bound) is free again.
    pub fn release_mac(&mut self, mac: [u8; 6]) {
        for lease in &mut self.leases {
            if lease.is_some_and(|l| l.mac() == mac) {
                *lease = None;
            }
        }
    }

    /// How many slots hold an unexpired lease or offer at `now_ms`.
    pub fn leases_in_use(&self, now_ms: u64) -> usize {
        self.leases
            .iter()
            .filter(|l| l.is_some_and(|l| l.until_ms() > now_ms))
            .count()
    }

    /// Handles one request datagram arriving at `now_ms`; returns the reply length written
    /// into `out`, or `None` when nothing is to be sent (not a DHCP request, unknown type,
    /// RELEASE / DECLINE, pool exhausted).
    pub fn handle(
        &mut self,
        request: &[u8],
        now_ms: u64,
        out: &mut [u8; MAX_REPLY_LEN],
    ) -> Option<usize> {
        let parsed = parse(request)?;
        let mac = parsed.mac;
        // Decide before allocating, so junk cannot use up the pool.
        let (slot, reply_type) = match parsed.message_type {
            RELEASE | DECLINE => {
                self.release_mac(mac);
                return None;
            }
            DISCOVER => {
                let slot = match self.slot_of_mac(mac, now_ms) {
                    Some(slot) => slot,
                    None => self.claimable_slot(now_ms, true)?,
                };
                // A bound lease stays bound (the client is rediscovering its own address).
                let lease = match self.leases.get(slot).copied().flatten() {
                    Some(bound @ Lease::Bound { .. }) if bound.mac() == mac => bound,
                    _ => Lease::Offered {
                        mac,
                        until_ms: now_ms.saturating_add(OFFER_HOLD_MS),
                    },
                };
                *self.leases.get_mut(slot)? = Some(lease);
                (slot, OFFER)
            }
            REQUEST => {
                let wanted = match parsed.requested_ip {
                    Some(ip) => self.slot_of_address(ip),
                    None => self.slot_of_mac(mac, now_ms),
                };
                let grantable = wanted.filter(|&slot| {
                    self.leases.get(slot).copied().flatten().is_none_or(|l| {
                        l.mac() == mac
                            || l.until_ms() <= now_ms
                            || matches!(l, Lease::Offered { .. })
                    })
                });
                match grantable {
                    Some(slot) => {
                        // One lease per MAC: drop any other slot it held.
                        self.release_mac(mac);
                        *self.leases.get_mut(slot)? = Some(Lease::Bound {
                            mac,
                            until_ms: now_ms.saturating_add(u64::from(LEASE_SECS) * 1000),
                        });
                        (slot, ACK)
                    }
                    // Not ours to give (bound to another MAC, or outside the pool).
                    None if parsed.requested_ip.is_some() => (0, NAK),
                    // A REQUEST naming nothing, from a MAC without a lease: ignore.
                    None => return None,
                }
            }
            _ => return None,
        };
        Some(self.write_reply(request, slot, reply_type, out))
    }

    fn write_reply(
        &self,
        request: &[u8],
        slot: usize,
        reply_type: u8,
        out: &mut [u8; MAX_REPLY_LEN],
    ) -> usize {
        let offered = self.address_of_slot(slot);
        out.fill(0);
        out[0] = 2; // BOOTREPLY
        out[1] = 1;
        out[2] = 6;
        copy_from(out, 4, request, 4..8); // xid
        copy_from(out, 10, request, 10..12); // flags
        if reply_type != NAK {
            out[16..20].copy_from_slice(&offered); // yiaddr
        }
        out[20..24].copy_from_slice(&self.server_ip); // siaddr
        copy_from(out, 28, request, 28..44); // chaddr
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
        at + 1
    }
}

/// Copies `request[range]` to `out[at..]` if the request has those bytes (parse() checked
/// the header is there; the copy is still bounds-checked).
fn copy_from(out: &mut [u8], at: usize, request: &[u8], range: core::ops::Range<usize>) {
    let len = range.len();
    if let (Some(src), Some(dst)) = (request.get(range), out.get_mut(at..at + len)) {
        dst.copy_from_slice(src);
    }
}

/// BOOTREQUEST, Ethernet, 6-byte addresses, the magic cookie, a message type.
fn parse(request: &[u8]) -> Option<Parsed> {
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
    Some(Parsed {
        mac,
        message_type: message_type?,
        requested_ip,
    })
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
            .handle(&request(mac, DISCOVER, None), 0, &mut out)
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
            .handle(&request(mac, REQUEST, Some([192, 168, 4, 2])), 0, &mut out)
            .unwrap();
        assert_eq!(option(&out[..n], 53), Some(std::vec![ACK]));
        assert_eq!(&out[16..20], &[192, 168, 4, 2]);
    }

    #[test]
    fn clients_get_distinct_addresses_and_a_wrong_request_is_refused() {
        let mut server = DhcpServer::new([10, 0, 0, 1]);
        let mut out = [0u8; MAX_REPLY_LEN];
        server
            .handle(&request([1; 6], DISCOVER, None), 0, &mut out)
            .unwrap();
        server
            .handle(&request([2; 6], DISCOVER, None), 0, &mut out)
            .unwrap();
        assert_eq!(&out[16..20], &[10, 0, 0, 3]);
        // Client 1 binds its address; client 2 asking for it is refused.
        server
            .handle(&request([1; 6], REQUEST, Some([10, 0, 0, 2])), 0, &mut out)
            .unwrap();
        let n = server
            .handle(&request([2; 6], REQUEST, Some([10, 0, 0, 2])), 0, &mut out)
            .unwrap();
        assert_eq!(option(&out[..n], 53), Some(std::vec![NAK]));
        assert_eq!(&out[16..20], &[0, 0, 0, 0]);
    }

    #[test]
    fn pool_exhaustion_and_garbage_produce_no_reply() {
        let mut server = DhcpServer::new([10, 0, 0, 1]);
        let mut out = [0u8; MAX_REPLY_LEN];
        for i in 0..POOL as u8 {
            let ip = [10, 0, 0, 2 + i];
            assert!(
                server
                    .handle(&request([i; 6], REQUEST, Some(ip)), 0, &mut out)
                    .is_some()
            );
        }
        // Every address bound: a newcomer gets nothing until a lease ends.
        assert!(
            server
                .handle(&request([0xEE; 6], DISCOVER, None), 0, &mut out)
                .is_none()
        );
        // Truncations of a valid request never panic and never answer without a type.
        let good = request([1; 6], DISCOVER, None);
        for cut in 0..good.len() - 1 {
            let _ = server.handle(&good[..cut], 0, &mut out);
        }
        assert!(server.handle(&good[..OPTIONS_AT], 0, &mut out).is_none());
        let mut bad_len = good.clone();
        bad_len[OPTIONS_AT + 2] = 200; // option length past the end
        assert!(server.handle(&bad_len, 0, &mut out).is_none());
    }

    /// The type and yiaddr of a reply.
    fn answer(server: &mut DhcpServer, request: &[u8], now: u64) -> Option<(u8, [u8; 4])> {
        let mut out = [0u8; MAX_REPLY_LEN];
        let n = server.handle(request, now, &mut out)?;
        let kind = option(&out[..n], 53)?[0];
        Some((kind, out[16..20].try_into().unwrap()))
    }

    const MIN: u64 = 60_000;

    #[test]
    fn an_offer_expires_and_its_address_is_reused() {
        let mut server = DhcpServer::new([10, 0, 0, 1]);
        for i in 0..POOL as u8 {
            assert!(answer(&mut server, &request([i; 6], DISCOVER, None), 0).is_some());
        }
        assert_eq!(server.leases_in_use(0), POOL);
        // Unrequested offers: a newcomer takes the oldest one rather than getting nothing.
        assert_eq!(
            answer(&mut server, &request([9; 6], DISCOVER, None), 1),
            Some((OFFER, [10, 0, 0, 2]))
        );
        // Offers lapse after the hold time.
        assert_eq!(server.leases_in_use(OFFER_HOLD_MS + 1), 0);
    }

    #[test]
    fn bound_leases_are_kept_until_they_expire_then_reused() {
        let mut server = DhcpServer::new([10, 0, 0, 1]);
        for i in 0..POOL as u8 {
            let ip = [10, 0, 0, 2 + i];
            assert_eq!(
                answer(&mut server, &request([i; 6], REQUEST, Some(ip)), 0),
                Some((ACK, ip))
            );
        }
        // The pool is bound: a newcomer gets nothing, and a bound address is not handed over.
        assert_eq!(
            answer(&mut server, &request([9; 6], DISCOVER, None), MIN),
            None
        );
        assert_eq!(
            answer(
                &mut server,
                &request([9; 6], REQUEST, Some([10, 0, 0, 3])),
                MIN
            ),
            Some((NAK, [0, 0, 0, 0]))
        );
        // Client 1 renews at half time; the others let their leases run out.
        let half = u64::from(LEASE_SECS) * 500;
        assert_eq!(
            answer(
                &mut server,
                &request([1; 6], REQUEST, Some([10, 0, 0, 3])),
                half
            ),
            Some((ACK, [10, 0, 0, 3]))
        );
        let after = u64::from(LEASE_SECS) * 1000 + 1;
        assert_eq!(server.leases_in_use(after), 1);
        // The newcomer now gets an expired address, never the renewed one.
        let (kind, ip) = answer(&mut server, &request([9; 6], DISCOVER, None), after).unwrap();
        assert_eq!(kind, OFFER);
        assert_ne!(ip, [10, 0, 0, 3]);
        assert_eq!(
            answer(&mut server, &request([9; 6], REQUEST, Some(ip)), after),
            Some((ACK, ip))
        );
    }

    #[test]
    fn a_discover_flood_does_not_keep_a_requesting_client_out() {
        let mut server = DhcpServer::new([10, 0, 0, 1]);
        let phone = [0x02, 0, 0, 0, 0, 0x42];
        let (_, offered) = answer(&mut server, &request(phone, DISCOVER, None), 0).unwrap();
        // Invented MACs churn through the offers...
        for i in 0..50u8 {
            assert!(
                answer(
                    &mut server,
                    &request([0xAA, i, 0, 0, 0, i], DISCOVER, None),
                    1
                )
                .is_some()
            );
        }
        assert_eq!(
            server.slot_of_mac(phone, 2),
            None,
            "the phone's offer was taken"
        );
        // ...but the phone's REQUEST for its address still binds it: offers are not leases.
        assert_eq!(
            answer(&mut server, &request(phone, REQUEST, Some(offered)), 2),
            Some((ACK, offered))
        );
        // And a bound lease survives any number of DISCOVERs.
        for i in 0..50u8 {
            let _ = answer(
                &mut server,
                &request([0xBB, i, 0, 0, 0, i], DISCOVER, None),
                3,
            );
        }
        assert!(server.slot_of_mac(phone, 4).is_some());
    }

    #[test]
    fn release_decline_and_release_mac_free_the_lease() {
        let mut server = DhcpServer::new([10, 0, 0, 1]);
        for (i, how) in [RELEASE, DECLINE, 0].into_iter().enumerate() {
            let mac = [i as u8 + 1; 6];
            let ip = [10, 0, 0, 2];
            assert_eq!(
                answer(&mut server, &request(mac, REQUEST, Some(ip)), 0),
                Some((ACK, ip))
            );
            assert_eq!(server.leases_in_use(0), 1);
            if how == 0 {
                server.release_mac(mac);
            } else {
                assert_eq!(
                    answer(&mut server, &request(mac, how, None), 0),
                    None,
                    "no reply"
                );
            }
            assert_eq!(server.leases_in_use(0), 0);
        }
    }

    #[test]
    fn one_lease_per_mac_and_garbage_types_allocate_nothing() {
        let mut server = DhcpServer::new([10, 0, 0, 1]);
        let mac = [7; 6];
        assert_eq!(
            answer(&mut server, &request(mac, REQUEST, Some([10, 0, 0, 4])), 0),
            Some((ACK, [10, 0, 0, 4]))
        );
        assert_eq!(
            answer(&mut server, &request(mac, REQUEST, Some([10, 0, 0, 5])), 0),
            Some((ACK, [10, 0, 0, 5]))
        );
        assert_eq!(
            server.leases_in_use(0),
            1,
            "moving addresses frees the old one"
        );
        for kind in [0u8, 2, 5, 6, 8, 9, 200] {
            assert_eq!(
                answer(&mut server, &request([kind; 6], kind, None), 0),
                None
            );
        }
        assert_eq!(server.leases_in_use(0), 1);
        // A REQUEST for an address outside the pool is refused.
        assert_eq!(
            answer(
                &mut server,
                &request([8; 6], REQUEST, Some([10, 0, 0, 99])),
                0
            ),
            Some((NAK, [0, 0, 0, 0]))
        );
    }
}
