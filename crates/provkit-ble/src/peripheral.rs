//! The provisioning GATT server on TrouBLE, generic over any bt-hci [`Controller`].
//!
//! ```text
//!  central ── Write Request / Prepare Write* + Execute Write (≤ 512 B) ──► characteristic i
//!                                     GattBackend::write(conn, i, request) ─► protocomm
//!          ◄─ Write Response (or the backend's ATT error; the link stays) ─┘
//!  central ── Read / Read Blob … until a short read ─────────────────────► the response,
//!                                     served by TrouBLE from the attribute table
//! ```
//!
//! One primary service (the 128-bit UUID of [`PeripheralConfig::service`]); per endpoint one
//! Read | Write characteristic and a 0x2901 user description holding the endpoint name, which
//! is how esp_prov and the phone apps find each endpoint. One central at a time: advertising
//! stops while a central is connected and starts again when it leaves.
//!
//! Values live in the attribute table (caller-owned [`ValueStorage`]), so reads, long reads and
//! the MTU exchange are TrouBLE's. Each value remembers the connection whose write produced it;
//! another connection's read is refused (`INSUFFICIENT_AUTHORIZATION`) and the value is wiped
//! when its writer disconnects, so a later central never reads an earlier one's response.
//!
//! Long writes (Prepare/Execute Write) are reassembled by TrouBLE (`att-queued-writes`) and
//! reach the backend as one whole value. Empty writes are acknowledged without a call, like
//! NimBLE; a write that does not start at offset 0 is refused.
//!
//! A request the backend refuses wipes the endpoint's value, and the read that follows gets
//! the backend's ATT error. A Write Request is also refused with it; an Execute Write is not,
//! because TrouBLE 0.7 leaves its prepare queue filled after a refused one (every later long
//! write on the link would fail): the client sees the error on its read instead, and the link
//! stays usable, for instance to retry a wrong PoP.
//!
//! ## Idle links
//!
//! Only one central is served at a time and advertising stops while it is connected, so a
//! central that connects and then sends nothing would keep every phone away for as long as it
//! likes (ESP-IDF has no limit). The peripheral drops a link on which no ATT request arrived
//! for [`PeripheralConfig::idle_timeout_ms`] (default [`DEFAULT_IDLE_TIMEOUT_MS`]) and
//! advertises again. Any ATT request counts as activity, service discovery included; a write
//! the backend is still answering (a blocking scan) is not idle time.

use alloc::vec::Vec;
use core::convert::Infallible;

use embassy_futures::select::{Either, select};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_time::{Duration, Instant, Timer};
use heapless::Vec as BoundedVec;
use provkit_protocomm::ble::{AttErrorCode, Uuid128};
use trouble_host::att::{AttClient, AttErrorCode as WireAttError, AttReq};
use trouble_host::attribute::{AttributeTable, CharacteristicProp, PermissionLevel, Service};
use trouble_host::gatt::{GattConnection, GattConnectionEvent, GattEvent};
use trouble_host::prelude::{
    Address, Advertisement as TroubleAdvertisement, AdvertisementParameters, AttributeServer,
    DefaultPacketPool, Uuid,
};
use trouble_host::{BleHostError, Controller, HostResources, Stack};

use crate::advertising::{AdvertisingError, advertisement};

/// Most endpoints the service holds (the five standard ones and three custom ones).
pub const MAX_ENDPOINTS: usize = 8;
/// Longest request or response an endpoint characteristic holds: NimBLE's
/// `BLE_ATT_ATTR_MAX_LEN`, enough for a security 2 Command0 (~400 bytes).
pub const MAX_VALUE_LEN: usize = 512;
/// Attribute table size: GAP and GATT services, the provisioning service, and three attributes
/// per endpoint (declaration, value, user description).
const MAX_ATTRIBUTES: usize = 16 + 3 * MAX_ENDPOINTS;
/// [`PeripheralConfig::idle_timeout_ms`] of the simulator and the examples: 60 s without an
/// ATT request. Long enough for a user to type a PoP or password between the phone app's
/// connect and its first handshake write; short enough that a silent central cannot keep the
/// one connection for long.
pub const DEFAULT_IDLE_TIMEOUT_MS: u64 = 60_000;
/// Simultaneous connections. ESP-IDF's provisioning service takes one central at a time.
const MAX_CONNECTIONS: usize = 1;
/// L2CAP channels TrouBLE reserves (ATT and signalling).
const L2CAP_CHANNELS: usize = 2;

/// One endpoint characteristic: its name (the 0x2901 value) and UUID.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    /// Endpoint name, e.g. `prov-session`.
    pub name: &'a str,
    /// Characteristic UUID (the service UUID with the endpoint's 16-bit id substituted).
    pub uuid: Uuid128,
}

/// What the peripheral advertises and serves.
#[derive(Debug, Clone, Copy)]
pub struct PeripheralConfig<'a> {
    /// Advertised device name (`PROV_…`), 1..=29 bytes.
    pub device_name: &'a str,
    /// Random static address (the top two bits of the last byte are set here if they are not).
    pub address: [u8; 6],
    /// Primary service UUID.
    pub service: Uuid128,
    /// Manufacturer specific data for the scan response (company id first), if any.
    pub manufacturer_data: Option<&'a [u8]>,
    /// The endpoints, in the order the backend indexes them.
    pub endpoints: &'a [Endpoint<'a>],
    /// Drop a link after this long (ms) without an ATT request; `None` keeps idle links
    /// forever (ESP-IDF's behaviour). See the module docs.
    pub idle_timeout_ms: Option<u64>,
}

/// Caller-owned storage for the characteristic values (static on a chip).
pub struct ValueStorage {
    values: [[u8; MAX_VALUE_LEN]; MAX_ENDPOINTS],
}

impl ValueStorage {
    /// Zeroed storage.
    pub const fn new() -> Self {
        Self {
            values: [[0; MAX_VALUE_LEN]; MAX_ENDPOINTS],
        }
    }
}

impl Default for ValueStorage {
    fn default() -> Self {
        Self::new()
    }
}

/// What answers the requests that arrive over BLE: the device's protocomm (through
/// `provkit_protocomm::ble::GattTable`), behind whatever lock the application uses.
#[allow(async_fn_in_trait)] // single-executor firmware and one host thread: no Send needed
pub trait GattBackend {
    /// The peripheral (re)started advertising and can be found now. The default does nothing.
    fn advertising(&mut self) {}
    /// Central `connection` connected.
    fn connected(&mut self, connection: u16);
    /// Central `connection` is gone: its session and queued state must go too.
    fn disconnected(&mut self, connection: u16);
    /// A whole value written to endpoint `endpoint` (index into
    /// [`PeripheralConfig::endpoints`]) by `connection`. `Ok` is the response the central reads
    /// next; `Err` answers the write with that ATT error. Async because some requests are
    /// answered only when the device is ready (a blocking ScanStart waits for the scan); the
    /// link keeps running meanwhile.
    async fn write(
        &mut self,
        connection: u16,
        endpoint: usize,
        value: &[u8],
    ) -> Result<Vec<u8>, AttErrorCode>;
}

/// Why the peripheral stopped (it runs until the controller fails).
#[derive(Debug)]
#[non_exhaustive]
pub enum PeripheralError<E> {
    /// The device name cannot be advertised.
    Advertising(AdvertisingError),
    /// More than [`MAX_ENDPOINTS`] endpoints.
    TooManyEndpoints(usize),
    /// The attribute table could not hold the service.
    AttributeTable,
    /// The host stack or the controller failed.
    Host(BleHostError<E>),
}

impl<E: core::fmt::Debug> core::fmt::Display for PeripheralError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Advertising(e) => write!(f, "advertising: {e}"),
            Self::TooManyEndpoints(n) => write!(
                f,
                "{n} endpoints do not fit the GATT service (at most {MAX_ENDPOINTS})"
            ),
            Self::AttributeTable => f.write_str("the GATT attribute table is full"),
            Self::Host(e) => write!(f, "BLE host: {e:?}"),
        }
    }
}

/// Runs the provisioning peripheral on `controller` until the controller fails: advertise,
/// accept one central, serve it until it leaves, advertise again. Drop the future to stop
/// (provisioning done): the link goes down with it.
pub async fn run<C: Controller, B: GattBackend>(
    controller: C,
    config: &PeripheralConfig<'_>,
    storage: &mut ValueStorage,
    backend: &mut B,
) -> Result<Infallible, PeripheralError<C::Error>> {
    if config.endpoints.len() > MAX_ENDPOINTS {
        return Err(PeripheralError::TooManyEndpoints(config.endpoints.len()));
    }
    let adv = advertisement(config.service, config.device_name, config.manufacturer_data)
        .map_err(PeripheralError::Advertising)?;
    let gatt = ProvisioningGatt::new(config, storage)?;

    let mut resources: HostResources<C, DefaultPacketPool, MAX_CONNECTIONS, L2CAP_CHANNELS> =
        HostResources::new();
    let mut address = config.address;
    // A random static address has its two most significant bits set (Core Vol 6 Part B 1.3.2.1).
    address[5] |= 0xC0;
    let stack = trouble_host::new(controller, &mut resources)
        .set_random_address(Address::random(address))
        .build();
    let mut peripheral = stack.peripheral();
    let mut runner = stack.runner();

    let serve = async {
        loop {
            let params = AdvertisementParameters::default();
            let data = TroubleAdvertisement::ConnectableScannableUndirected {
                adv_data: &adv.adv_data,
                scan_data: &adv.scan_data,
            };
            let advertiser = match peripheral.advertise(&params, data).await {
                Ok(advertiser) => advertiser,
                Err(e) => return e,
            };
            backend.advertising();
            let Ok(connection) = advertiser.accept().await else {
                continue;
            };
            let Ok(connection) = connection.with_attribute_server(&gatt.server) else {
                continue;
            };
            gatt.serve(&connection, &stack, backend, config.idle_timeout_ms)
                .await;
        }
    };
    match select(runner.run(), serve).await {
        Either::First(Err(e)) | Either::Second(e) => Err(PeripheralError::Host(e)),
        Either::First(Ok(())) => Err(PeripheralError::Host(BleHostError::BleHost(
            trouble_host::Error::Disconnected,
        ))),
    }
}

/// The attribute server plus which handle is which endpoint and who wrote its value.
struct ProvisioningGatt<'d> {
    server: AttributeServer<'d, NoopRawMutex, DefaultPacketPool, MAX_ATTRIBUTES, MAX_CONNECTIONS>,
    /// Value handle of each endpoint characteristic, in endpoint order.
    handles: BoundedVec<u16, MAX_ENDPOINTS>,
    /// The connection whose write produced each value.
    written_by: core::cell::RefCell<[Option<u16>; MAX_ENDPOINTS]>,
    /// The error each endpoint's last write ended in, and whose write it was: the read that
    /// follows gets it instead of a value.
    failed: core::cell::RefCell<[Option<(u16, AttErrorCode)>; MAX_ENDPOINTS]>,
}

impl<'d> ProvisioningGatt<'d> {
    fn new<E>(
        config: &PeripheralConfig<'d>,
        storage: &'d mut ValueStorage,
    ) -> Result<Self, PeripheralError<E>> {
        let mut table = AttributeTable::<NoopRawMutex, MAX_ATTRIBUTES>::new();
        let mut handles = BoundedVec::new();
        {
            let mut service =
                table.add_service(Service::new(Uuid::new_long(config.service.to_le_bytes())));
            for (endpoint, buffer) in config.endpoints.iter().zip(storage.values.iter_mut()) {
                let empty: &[u8] = &[];
                let mut builder = service.add_characteristic(
                    Uuid::new_long(endpoint.uuid.to_le_bytes()),
                    [CharacteristicProp::Read, CharacteristicProp::Write],
                    empty,
                    buffer.as_mut_slice(),
                );
                // 0x2901 Characteristic User Description: the endpoint name, no NUL.
                builder.add_descriptor_ro::<str, _>(
                    Uuid::new_short(0x2901),
                    PermissionLevel::Allowed,
                    endpoint.name,
                );
                let characteristic = builder.build();
                handles
                    .push(characteristic.handle)
                    .map_err(|_| PeripheralError::AttributeTable)?;
            }
            service.build();
        }
        Ok(Self {
            server: AttributeServer::new(table),
            handles,
            written_by: core::cell::RefCell::new([None; MAX_ENDPOINTS]),
            failed: core::cell::RefCell::new([None; MAX_ENDPOINTS]),
        })
    }

    fn endpoint_of(&self, handle: u16) -> Option<usize> {
        self.handles.iter().position(|&h| h == handle)
    }

    /// Serves one connection until it drops (or is dropped for idling `idle_timeout_ms`).
    async fn serve<C: Controller, B: GattBackend>(
        &self,
        connection: &GattConnection<'_, '_, DefaultPacketPool>,
        stack: &Stack<'_, C, DefaultPacketPool>,
        backend: &mut B,
        idle_timeout_ms: Option<u64>,
    ) {
        let id = connection.raw().handle().raw();
        backend.connected(id);
        let mut idle = IdleDeadline::new(idle_timeout_ms, Instant::now());
        loop {
            let event = match idle.deadline() {
                Some(at) => match select(connection.next(), Timer::at(at)).await {
                    Either::First(event) => event,
                    Either::Second(()) => {
                        // Silent for too long: drop the link; its Disconnected event follows
                        // and ends this loop like any other disconnect.
                        connection.raw().disconnect();
                        idle.disarm();
                        continue;
                    }
                },
                None => connection.next().await,
            };
            if matches!(event, GattConnectionEvent::Gatt { .. }) {
                idle.activity(Instant::now());
            }
            match event {
                GattConnectionEvent::Disconnected { .. } => {
                    self.forget(id);
                    backend.disconnected(id);
                    return;
                }
                GattConnectionEvent::RequestConnectionParams(request) => {
                    let params = request.params().clone();
                    if let Err(e) = request.accept(Some(&params), stack).await {
                        dropped!("accept connection parameters", e);
                    }
                }
                GattConnectionEvent::Gatt { event } => {
                    let reply = match event {
                        GattEvent::Write(write) => match self.endpoint_of(write.handle()) {
                            Some(index) => {
                                let handle = write.handle();
                                // A long write reaches us as the Execute Write that ends it.
                                let queued = matches!(
                                    write.payload().incoming(),
                                    AttClient::Request(AttReq::ExecuteWrite { .. })
                                );
                                // The value is copied out: the backend may take its time
                                // (a blocking scan) and the event borrows the stack's buffer.
                                let request = write
                                    .with_data(|offset, data| (offset == 0).then(|| data.to_vec()));
                                let outcome = match request {
                                    Some(data) => {
                                        self.on_write(id, index, handle, &data, backend).await
                                    }
                                    None => Err(AttErrorCode::InvalidOffset),
                                };
                                match outcome {
                                    Ok(()) => write.accept_unprocessed(),
                                    Err(code) => {
                                        self.fail(id, index, handle, code);
                                        if queued {
                                            // TrouBLE 0.7 does not empty the prepare queue
                                            // when an Execute Write is rejected (fixed in
                                            // 0.8): every later long write on this link would
                                            // fail with PREPARE_QUEUE_FULL. Accepting empties
                                            // it; the error goes to the read that follows.
                                            write.accept_unprocessed()
                                        } else {
                                            write.reject(wire_error(code))
                                        }
                                    }
                                }
                            }
                            // No other attribute of the service is writable.
                            None => write.reject(WireAttError::WRITE_NOT_PERMITTED),
                        },
                        GattEvent::Read(read) => {
                            let index = self.endpoint_of(read.handle());
                            let foreign = index.is_some_and(|index| {
                                self.written_by
                                    .borrow()
                                    .get(index)
                                    .copied()
                                    .flatten()
                                    .is_some_and(|writer| writer != id)
                            });
                            let failed = index.and_then(|index| {
                                self.failed
                                    .borrow()
                                    .get(index)
                                    .copied()
                                    .flatten()
                                    .filter(|(writer, _)| *writer == id)
                            });
                            if foreign {
                                read.reject(WireAttError::INSUFFICIENT_AUTHORISATION)
                            } else if let Some((_, code)) = failed {
                                read.reject(wire_error(code))
                            } else {
                                read.accept()
                            }
                        }
                        other => other.accept(),
                    };
                    if let Ok(reply) = reply {
                        reply.send().await;
                    }
                }
                _ => {}
            }
        }
    }

    /// One whole write (from offset 0) to endpoint `index`: the backend's response becomes
    /// the value.
    async fn on_write<B: GattBackend>(
        &self,
        connection: u16,
        index: usize,
        handle: u16,
        data: &[u8],
        backend: &mut B,
    ) -> Result<(), AttErrorCode> {
        if data.is_empty() {
            return Ok(());
        }
        let response = backend.write(connection, index, data).await?;
        if response.len() > MAX_VALUE_LEN {
            return Err(AttErrorCode::InvalidAttributeValueLength);
        }
        self.server
            .table()
            .write(handle, 0, &response)
            .map_err(|_| AttErrorCode::InvalidAttributeValueLength)?;
        if let Some(slot) = self.written_by.borrow_mut().get_mut(index) {
            *slot = Some(connection);
        }
        if let Some(slot) = self.failed.borrow_mut().get_mut(index) {
            *slot = None;
        }
        Ok(())
    }

    /// A write to endpoint `index` failed with `code`: no earlier response may be read in its
    /// place, and the read that follows gets the error.
    fn fail(&self, connection: u16, index: usize, handle: u16, code: AttErrorCode) {
        if let Err(e) = self.server.table().write(handle, 0, &[]) {
            dropped!("clear a failed endpoint value", e);
        }
        if let Some(slot) = self.written_by.borrow_mut().get_mut(index) {
            *slot = Some(connection);
        }
        if let Some(slot) = self.failed.borrow_mut().get_mut(index) {
            *slot = Some((connection, code));
        }
    }

    /// Wipes the values `connection` produced (connection handles are reused).
    fn forget(&self, connection: u16) {
        for slot in self.failed.borrow_mut().iter_mut() {
            if slot.is_some_and(|(writer, _)| writer == connection) {
                *slot = None;
            }
        }
        let mut written_by = self.written_by.borrow_mut();
        for (slot, handle) in written_by.iter_mut().zip(self.handles.iter()) {
            if *slot == Some(connection) {
                if let Err(e) = self.server.table().write(*handle, 0, &[]) {
                    dropped!("clear a departed connection's value", e);
                }
                *slot = None;
            }
        }
    }
}

/// When an idle link is dropped: `timeout` after the last ATT request (or the connect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleDeadline {
    timeout: Option<Duration>,
    at: Option<Instant>,
}

impl IdleDeadline {
    /// A link that connected at `now`, dropped after `timeout_ms` of silence (`None`: never).
    pub fn new(timeout_ms: Option<u64>, now: Instant) -> Self {
        let timeout = timeout_ms.map(Duration::from_millis);
        Self {
            timeout,
            at: timeout.map(|t| now + t),
        }
    }

    /// An ATT request arrived at `now`: the silence starts over.
    pub fn activity(&mut self, now: Instant) {
        if self.at.is_some() {
            self.at = self.timeout.map(|t| now + t);
        }
    }

    /// The link is being dropped: no deadline any more.
    pub fn disarm(&mut self) {
        self.at = None;
    }

    /// When the link is dropped if nothing arrives before, if ever.
    pub fn deadline(&self) -> Option<Instant> {
        self.at
    }
}

/// protocomm's ATT error as TrouBLE's wire code.
fn wire_error(code: AttErrorCode) -> WireAttError {
    WireAttError::new(code.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idle_deadline_follows_the_last_request_and_can_be_off() {
        let t0 = Instant::from_millis(1_000);
        let mut idle = IdleDeadline::new(Some(60_000), t0);
        assert_eq!(idle.deadline(), Some(Instant::from_millis(61_000)));
        idle.activity(Instant::from_millis(30_000));
        assert_eq!(idle.deadline(), Some(Instant::from_millis(90_000)));
        idle.disarm();
        assert_eq!(idle.deadline(), None);
        idle.activity(Instant::from_millis(95_000));
        assert_eq!(idle.deadline(), None, "a link being dropped stays dropped");
        let mut forever = IdleDeadline::new(None, t0);
        forever.activity(Instant::from_millis(2_000));
        assert_eq!(forever.deadline(), None);
    }
}
