//! SoftAP bring-up: the access point configuration and the DHCP server task.
//!
//! WPA2 with the service key: esp-radio 1.0.0-beta.1 supports it. `AccessPointConfig` takes
//! `AuthenticationMethodConfig::Wpa2Personal(password)` (and WPA / WPA+WPA2); only WEP is
//! refused in AP mode. Without a key the AP is open, like `wifi_prov_mgr` with a NULL key.
//! The IP side is embassy-net with a static /24 on the AP interface plus [`crate::dhcp`] for the
//! phone's address (it names the AP itself as router and DNS server); [`crate::http`] serves
//! protocomm on port 80. With the captive portal, [`run_dns`] answers UDP port 53 so every
//! name a phone looks up resolves to the AP.

use embassy_net::udp::{PacketMetadata, UdpMetadata, UdpSocket};
use embassy_net::{IpAddress, IpEndpoint, Stack};
use esp_radio::wifi::ap::AccessPointConfig;
use esp_radio::wifi::{AuthenticationMethodConfig, Password, Ssid};

use crate::Esp32Error;
use crate::dhcp::{CLIENT_PORT, DhcpServer, MAX_REPLY_LEN, SERVER_PORT};
use crate::dns::{self, Datagrams, MAX_QUERY_LEN};

/// The AP for SoftAP provisioning: `ssid` (e.g. `PROV_1A2B3C`), WPA2-PSK with `service_key`
/// when given (8..=64 bytes, checked by the driver), else open.
pub fn access_point_config(
    ssid: &str,
    service_key: Option<&str>,
) -> Result<AccessPointConfig, Esp32Error> {
    let ssid = Ssid::try_from(ssid).map_err(|_| Esp32Error::InvalidCredentials)?;
    let authentication = match service_key {
        Some(key) => AuthenticationMethodConfig::Wpa2Personal(
            Password::try_from(key).map_err(|_| Esp32Error::InvalidCredentials)?,
        ),
        None => AuthenticationMethodConfig::Open,
    };
    Ok(AccessPointConfig::default()
        .with_ssid(ssid)
        .with_authentication(authentication))
}

/// Runs the DHCP server for the AP network whose address is `server_ip`.
pub async fn run_dhcp(stack: Stack<'_>, server_ip: [u8; 4]) -> ! {
    let mut rx_meta = [PacketMetadata::EMPTY; 4];
    let mut tx_meta = [PacketMetadata::EMPTY; 4];
    let mut rx = [0u8; 1024];
    let mut tx = [0u8; 1024];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx, &mut tx_meta, &mut tx);
    let mut server = DhcpServer::new(server_ip);
    let mut request = [0u8; 600];
    let mut reply = [0u8; MAX_REPLY_LEN];
    // Binding a fresh socket to a free port cannot fail; retrying keeps the task alive anyway.
    while socket.bind(SERVER_PORT).is_err() {
        embassy_time::Timer::after_millis(100).await;
    }
    loop {
        let Ok((n, _from)) = socket.recv_from(&mut request).await else {
            continue;
        };
        // Leases expire on the embassy clock (any monotonic millisecond count will do).
        let now_ms = embassy_time::Instant::now().as_millis();
        let Some(len) = request
            .get(..n)
            .and_then(|r| server.handle(r, now_ms, &mut reply))
        else {
            continue;
        };
        let to = IpEndpoint::new(IpAddress::v4(255, 255, 255, 255), CLIENT_PORT);
        if let Err(e) = socket
            .send_to(reply.get(..len).unwrap_or_default(), to)
            .await
        {
            dropped!("DHCP reply", e);
        }
    }
}

/// Runs the captive portal's DNS responder on UDP port 53 of the AP network: every `A`
/// query is answered with `server_ip` (the AP's own address, which DHCP hands out as the DNS
/// server), through provkit-portal's pure responder ([`crate::dns`]).
pub async fn run_dns(stack: Stack<'_>, server_ip: [u8; 4]) -> ! {
    let mut rx_meta = [PacketMetadata::EMPTY; 4];
    let mut tx_meta = [PacketMetadata::EMPTY; 4];
    // Room for a few queries in flight; a datagram over MAX_QUERY_LEN is dropped whole.
    let mut rx = [0u8; 2 * MAX_QUERY_LEN];
    let mut tx = [0u8; 2 * provkit_portal::dns::MAX_ANSWER_LEN];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx, &mut tx_meta, &mut tx);
    while socket.bind(provkit_portal::dns::PORT).is_err() {
        embassy_time::Timer::after_millis(100).await;
    }
    dns::serve(&mut UdpDatagrams(&socket), server_ip).await
}

/// An embassy-net UDP socket as the DNS loop's [`Datagrams`].
struct UdpDatagrams<'a, 'b>(&'a UdpSocket<'b>);

impl Datagrams for UdpDatagrams<'_, '_> {
    type Peer = UdpMetadata;

    async fn recv_from(&mut self, buf: &mut [u8]) -> Result<(usize, UdpMetadata), ()> {
        // Truncated (longer than `buf`): smoltcp has dropped it; the loop drops it too.
        self.0.recv_from(buf).await.map_err(|_| ())
    }

    async fn send_to(&mut self, data: &[u8], peer: UdpMetadata) -> Result<(), ()> {
        self.0.send_to(data, peer).await.map_err(|_| ())
    }
}
