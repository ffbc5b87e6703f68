//! Who a request comes from: the transport and that transport's session handle. A leaf
//! module, named by the session table, the throttle and every transport framing.

/// The transport a client came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// SoftAP HTTP; the id is the session cookie value.
    Http,
    /// BLE GATT; the id is the connection handle.
    Ble,
    /// Serial console; the id is the session number typed by the client.
    Console,
}

/// One transport session: which transport, and that transport's session handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientId {
    /// Transport kind.
    pub transport: TransportKind,
    /// Transport-specific session handle.
    pub id: u32,
}

impl ClientId {
    /// Shorthand constructor.
    pub const fn new(transport: TransportKind, id: u32) -> Self {
        Self { transport, id }
    }
}
