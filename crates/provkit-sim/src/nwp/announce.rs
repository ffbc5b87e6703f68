//! The NWP's discovery announcement: ASCII `"<ip>,<device name>"` on UDP port 1501, which
//! TI's Wi-Fi Starter app listens for (ti-simplelink.md §5.1).

use std::net::{SocketAddr, UdpSocket};

/// UDP port TI's app listens on.
pub const ANNOUNCE_PORT: u16 = 1501;

/// The payload for `ip` and `name`.
pub fn payload(ip: [u8; 4], name: &str) -> String {
    let [a, b, c, d] = ip;
    format!("{a}.{b}.{c}.{d},{name}")
}

/// Send `payload` to `destination` (the broadcast address on a real network, loopback in
/// tests) from an ephemeral socket.
pub fn send(payload: &str, destination: SocketAddr) -> std::io::Result<()> {
    let bind: SocketAddr = if destination.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let socket = UdpSocket::bind(bind)?;
    if let SocketAddr::V4(v4) = destination
        && v4.ip().is_broadcast()
    {
        socket.set_broadcast(true)?;
    }
    socket.send_to(payload.as_bytes(), destination)?;
    Ok(())
}
