//! The provisioning GATT *client* (feature `central`): provkit's own client reaching a device
//! over BLE, on TrouBLE, generic over any bt-hci [`Controller`] like the peripheral.
//!
//! ```text
//!  scan ─ a report whose Complete/Shortened Local Name is the wanted name (or, with no name,
//!  │      that lists the service UUID) from a connectable advertiser
//!  connect (own random static address) ─ ATT MTU exchange (what the packet pool allows)
//!  discover ─ the service by UUID, its characteristics, each one's 0x2901 user description
//!  │           = the endpoint name (`prov-session`, `proto-ver`, `custom-data`, …)
//!  per request:  Write Request, or Prepare Write … + Execute Write when longer than MTU − 3
//!  │             then Read + Read Blob until a short read: the response
//!  disconnect ─ always, and wait for the controller to confirm, so the device advertises again
//! ```
//!
//! **Long writes.** TrouBLE 0.7's GATT client does Read Blob but no Prepare/Execute Write,
//! and its host cannot even receive a Prepare Write Response. The queued-write procedure (Core
//! Vol 3 Part G 4.9.4) therefore runs beside TrouBLE on the HCI ACL stream (the private `tap`
//! module): values go in parts of MTU − 5 bytes at increasing offsets, each echoed part is
//! checked, a failure cancels the queue (Execute Write, flags 0) so the server is left clean,
//! and Execute Write (flags 1) commits.
//!
//! **MTU.** TrouBLE asks for packet-pool MTU − 4 in its exchange, so the pool type picks the
//! MTU: [`Mtu23Pool`] stays at the minimum (every request of more than 20 bytes is a long
//! write, every response of more than 22 bytes a long read), [`Mtu517Pool`] asks for 517 as
//! BlueZ does (the device's answer caps it; provkit's peripheral grants 251).
//!
//! The caller's session runs inside [`run`] as an async closure over a [`Link`]; whatever ends
//! it (the session returns, the link drops, the future is dropped), the link is taken down.

mod tap;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;

use bt_hci::cmd::le::{LeCreateConnCancel, LeReadBufferSize, LeSetScanEnable, LeSetScanParams};
use bt_hci::controller::ControllerCmdSync;
use bt_hci::param::{AddrKind, LeAdvEventKind};
use embassy_futures::select::{Either, select};
use embassy_sync::blocking_mutex::Mutex as BlockingMutex;
use embassy_sync::blocking_mutex::raw::{CriticalSectionRawMutex, NoopRawMutex};
use embassy_sync::signal::Signal;
use embassy_time::{Duration, with_timeout};
use provkit_protocomm::ble::Uuid128;
use trouble_host::connection::{ConnectConfig, ConnectionEvent, ScanConfig};
use trouble_host::gatt::GattClient;
use trouble_host::prelude::{Address, EventHandler, Uuid};
use trouble_host::scan::{LeAdvReportsIter, LeExtAdvReportsIter, Scanner};
use trouble_host::{BleHostError, Controller, HostResources, Packet, PacketPool};

use tap::{
    ATT_ERROR_RSP, ATT_EXECUTE_WRITE_REQ, ATT_EXECUTE_WRITE_RSP, ATT_PREPARE_WRITE_REQ,
    ATT_PREPARE_WRITE_RSP, ExchangeError, Tap, TapState,
};

/// Most endpoint characteristics read from a device (ESP-IDF's five, plus custom ones).
pub const MAX_CLIENT_ENDPOINTS: usize = 16;
/// Longest ATT attribute value (Core Vol 3 Part F 3.2.9), so the longest request or response.
pub const MAX_ATTRIBUTE_LEN: usize = 512;
/// ATT transaction timeout (Core Vol 3 Part F 3.3.3); TrouBLE's own requests use the same.
const ATT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the controller may take to come up (TrouBLE's reset and set-up commands).
const CONTROLLER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a connection attempt to a device just seen may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the controller may take to confirm a disconnection we asked for.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest 0x2901 description read (ESP-IDF endpoint names are short).
const MAX_NAME_LEN: usize = 64;
/// Services by this UUID the client will look at (one is expected).
const MAX_SERVICES: usize = 2;

const AD_UUID128_INCOMPLETE: u8 = 0x06;
const AD_UUID128_COMPLETE: u8 = 0x07;
const AD_SHORTENED_LOCAL_NAME: u8 = 0x08;
const AD_COMPLETE_LOCAL_NAME: u8 = 0x09;
/// Characteristic User Description.
const USER_DESCRIPTION: u16 = 0x2901;

/// Which device to provision and how to reach it.
#[derive(Debug, Clone, Copy)]
pub struct CentralConfig<'a> {
    /// Advertised name to look for (`PROV_…`); `None` takes the first connectable device that
    /// advertises [`service`](Self::service).
    pub device_name: Option<&'a str>,
    /// The provisioning service's UUID.
    pub service: Uuid128,
    /// Our random static address (the top two bits of the last byte are set here).
    pub address: [u8; 6],
    /// How long to scan before giving up.
    pub scan_timeout: Duration,
}

/// Why [`run`] ended without the session's result.
#[derive(Debug)]
#[non_exhaustive]
pub enum CentralError<E> {
    /// The controller did not answer the host's start-up commands (nothing that speaks HCI is
    /// at the other end, or it is stuck).
    ControllerSilent,
    /// No matching device advertised within the scan timeout.
    NotFound,
    /// The device was seen but the connection was not established in time.
    ConnectTimeout,
    /// The device has no primary service with the provisioning UUID.
    NoService,
    /// The service has no characteristic with a 0x2901 user description.
    NoEndpoints,
    /// The link dropped while the session was running (the device disconnected).
    LinkLost,
    /// The host stack or the controller failed.
    Host(BleHostError<E>),
}

impl<E: fmt::Debug> fmt::Display for CentralError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ControllerSilent => f.write_str(
                "the HCI controller does not answer (is it a Bluetooth controller speaking H4?)",
            ),
            Self::NotFound => f.write_str("no matching device is advertising"),
            Self::ConnectTimeout => {
                f.write_str("the device was seen but did not accept a connection")
            }
            Self::NoService => f.write_str("the device has no provisioning GATT service"),
            Self::NoEndpoints => {
                f.write_str("the provisioning service names no endpoints (no 0x2901 descriptors)")
            }
            Self::LinkLost => f.write_str("the device dropped the BLE link"),
            Self::Host(e) => write!(f, "BLE host: {e:?}"),
        }
    }
}

impl<E> From<BleHostError<E>> for CentralError<E> {
    fn from(e: BleHostError<E>) -> Self {
        Self::Host(e)
    }
}

/// Why one request over the link failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkError {
    /// The device answered the write or read with this ATT error code (how a device says
    /// "no" to a request; protocomm's handler errors arrive this way).
    Att(u8),
    /// No endpoint of that name on the device.
    UnknownEndpoint,
    /// The request is empty or longer than [`MAX_ATTRIBUTE_LEN`].
    BadLength(usize),
    /// The device did not answer within the ATT timeout; the link is taken down.
    Timeout,
    /// The link is down.
    Disconnected,
    /// A queued write's echoed part differed from what was sent (the write was cancelled).
    EchoMismatch,
    /// The device's answer was not a well-formed ATT PDU.
    Malformed,
    /// The host stack or the controller failed, described.
    Host(String),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Att(code) => write!(
                f,
                "ATT error 0x{code:02x} ({})",
                trouble_host::att::AttErrorCode::new(*code)
            ),
            Self::UnknownEndpoint => f.write_str("the device has no such endpoint"),
            Self::BadLength(len) => write!(
                f,
                "a {len}-byte request does not fit one attribute value (1..={MAX_ATTRIBUTE_LEN})"
            ),
            Self::Timeout => f.write_str("the device did not answer within the ATT timeout"),
            Self::Disconnected => f.write_str("the BLE link is down"),
            Self::EchoMismatch => f.write_str("the device echoed a queued write part wrongly"),
            Self::Malformed => f.write_str("malformed ATT answer"),
            Self::Host(what) => write!(f, "BLE host: {what}"),
        }
    }
}

impl<E: fmt::Debug> From<BleHostError<E>> for LinkError {
    fn from(e: BleHostError<E>) -> Self {
        match e {
            BleHostError::BleHost(trouble_host::Error::Att(code)) => Self::Att(code.to_u8()),
            BleHostError::BleHost(trouble_host::Error::Disconnected) => Self::Disconnected,
            BleHostError::BleHost(trouble_host::Error::Timeout) => Self::Timeout,
            other => Self::Host(alloc::format!("{other:?}")),
        }
    }
}

/// One endpoint characteristic found on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEndpoint {
    /// Its 0x2901 user description.
    pub name: String,
    /// Characteristic UUID.
    pub uuid: Uuid128,
    /// Value handle.
    pub handle: u16,
}

/// What [`run`] learned about the device before handing over the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Advertised name, if it advertised one.
    pub name: Option<String>,
    /// Its address (6 bytes, least significant first as on the air) and whether it is random.
    pub address: [u8; 6],
    /// Whether that address is a random one.
    pub random_address: bool,
    /// The ATT MTU after the exchange.
    pub att_mtu: u16,
    /// Endpoint characteristics, in handle order.
    pub endpoints: Vec<RemoteEndpoint>,
}

/// The connected device, for the session: one request/response exchange at a time.
pub struct Link<'a, C: Controller, P: PacketPool> {
    client: &'a GattClient<'a, Tap<'a, C>, P, MAX_SERVICES>,
    connection: &'a trouble_host::connection::Connection<'a, P>,
    tap: &'a Tap<'a, C>,
    info: DeviceInfo,
}

impl<C: Controller, P: PacketPool> Link<'_, C, P> {
    /// The device and its endpoints.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// The current ATT MTU.
    pub fn att_mtu(&self) -> u16 {
        self.connection.att_mtu()
    }

    /// Writes `body` to endpoint `endpoint` and reads back the device's response.
    pub async fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, LinkError> {
        let handle = self
            .info
            .endpoints
            .iter()
            .find(|e| e.name == endpoint)
            .map(|e| e.handle)
            .ok_or(LinkError::UnknownEndpoint)?;
        if body.is_empty() || body.len() > MAX_ATTRIBUTE_LEN {
            return Err(LinkError::BadLength(body.len()));
        }
        if !self.connection.is_connected() {
            return Err(LinkError::Disconnected);
        }
        self.write(handle, body).await?;
        let mut response = vec![0u8; MAX_ATTRIBUTE_LEN];
        let len = self.client.read_handle(handle, &mut response).await?;
        response.truncate(len);
        Ok(response)
    }

    /// Write Request when the value fits one PDU, the queued-write procedure otherwise.
    async fn write(&mut self, handle: u16, value: &[u8]) -> Result<(), LinkError> {
        let mtu = self.connection.att_mtu();
        if value.len() <= usize::from(mtu).saturating_sub(3) {
            return Ok(self.client.write_handle(handle, value).await?);
        }
        queued_write(handle, value, mtu, async |request: &[u8]| {
            self.exchange(request).await
        })
        .await
    }

    /// One queued-write request and its response, within the ATT timeout (after which the link
    /// is taken down, as the ATT bearer is then unusable).
    async fn exchange(&mut self, request: &[u8]) -> Result<Vec<u8>, LinkError> {
        if !self.connection.is_connected() {
            return Err(LinkError::Disconnected);
        }
        let handle = self.connection.handle();
        match with_timeout(ATT_TIMEOUT, self.tap.exchange(handle, request)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(ExchangeError::Disconnected)) => Err(LinkError::Disconnected),
            Ok(Err(ExchangeError::Controller)) => {
                Err(LinkError::Host("controller write failed".into()))
            }
            Ok(Err(ExchangeError::Malformed)) => Err(LinkError::Malformed),
            Err(_) => {
                self.connection.disconnect();
                Err(LinkError::Timeout)
            }
        }
    }
}

/// The queued-write procedure (Write Long Characteristic Values, Core Vol 3 Part G 4.9.4) for
/// `value` on attribute `handle` at ATT MTU `mtu`; `exchange` sends one request PDU and
/// returns the server's response PDU.
///
/// Parts of MTU − 5 bytes go as Prepare Write Requests at increasing offsets; each echo must
/// match what was sent. A mismatch, an error or a malformed answer cancels the queue
/// (Execute Write, flags 0) before the error is returned, so the server holds nothing of a
/// failed write; Execute Write with flags 1 commits.
pub(crate) async fn queued_write(
    handle: u16,
    value: &[u8],
    mtu: u16,
    mut exchange: impl AsyncFnMut(&[u8]) -> Result<Vec<u8>, LinkError>,
) -> Result<(), LinkError> {
    let part_len = usize::from(mtu).saturating_sub(5).max(1);
    for (index, part) in value.chunks(part_len).enumerate() {
        let offset =
            u16::try_from(index * part_len).map_err(|_| LinkError::BadLength(value.len()))?;
        let mut request = Vec::with_capacity(5 + part.len());
        request.push(ATT_PREPARE_WRITE_REQ);
        request.extend_from_slice(&handle.to_le_bytes());
        request.extend_from_slice(&offset.to_le_bytes());
        request.extend_from_slice(part);
        let response = exchange(&request).await?;
        let failure = match response.first() {
            // The server echoes handle, offset and part (Core Vol 3 Part F 3.4.6.2).
            Some(&ATT_PREPARE_WRITE_RSP) if response[1..] == request[1..] => continue,
            Some(&ATT_PREPARE_WRITE_RSP) => LinkError::EchoMismatch,
            // A rejected part leaves the parts before it queued (Part F 3.4.6.1).
            Some(&ATT_ERROR_RSP) if response.len() >= 5 => LinkError::Att(response[4]),
            _ => LinkError::Malformed,
        };
        // Best effort: the error that led here is what the caller needs to hear.
        let _ = exchange(&[ATT_EXECUTE_WRITE_REQ, 0x00]).await;
        return Err(failure);
    }
    let response = exchange(&[ATT_EXECUTE_WRITE_REQ, 0x01]).await?;
    match response.first() {
        Some(&ATT_EXECUTE_WRITE_RSP) => Ok(()),
        Some(&ATT_ERROR_RSP) if response.len() >= 5 => Err(LinkError::Att(response[4])),
        _ => Err(LinkError::Malformed),
    }
}

/// An advertiser that matched, as the scan saw it.
#[derive(Debug, Clone)]
struct Sighting {
    address: Address,
    name: Option<String>,
}

/// Receives advertising reports while the stack runs; keeps the first match.
struct Finder<'a> {
    config: &'a CentralConfig<'a>,
    scanning: core::cell::Cell<bool>,
    found: Signal<NoopRawMutex, Sighting>,
}

impl Finder<'_> {
    /// One report of a connectable advertiser (or a scan response, which only scannable
    /// advertisers send; ours are connectable too): keeps it if it is the wanted device.
    fn consider(&self, kind: AddrKind, addr: bt_hci::param::BdAddr, data: &[u8]) -> bool {
        let name = advertised_name(data);
        let matches = match self.config.device_name {
            Some(wanted) => name.is_some_and(|n| n == wanted.as_bytes()),
            None => advertises_service(data, self.config.service),
        };
        if matches {
            self.scanning.set(false);
            self.found.signal(Sighting {
                address: Address { kind, addr },
                name: name.map(|n| String::from_utf8_lossy(n).into_owned()),
            });
        }
        matches
    }
}

impl EventHandler for Finder<'_> {
    fn on_adv_reports(&self, reports: LeAdvReportsIter) {
        if !self.scanning.get() {
            return;
        }
        for report in reports.flatten() {
            // Directed, scannable-only and non-connectable advertisers cannot be connected to.
            let usable = matches!(
                report.event_kind,
                LeAdvEventKind::AdvInd | LeAdvEventKind::ScanRsp
            );
            if usable && self.consider(report.addr_kind, report.addr, report.data) {
                return;
            }
        }
    }

    // Controllers may report legacy advertisements as extended reports (bumble's does).
    fn on_ext_adv_reports(&self, reports: LeExtAdvReportsIter) {
        if !self.scanning.get() {
            return;
        }
        for report in reports.flatten() {
            let kind = report.event_kind;
            let usable = (kind.connectable() || kind.scan_response()) && !kind.directed();
            if usable && self.consider(report.addr_kind, report.addr, report.data) {
                return;
            }
        }
    }
}

/// The local name in advertising data (Complete, else Shortened), if any.
pub fn advertised_name(data: &[u8]) -> Option<&[u8]> {
    let mut shortened = None;
    for (kind, value) in ad_structures(data) {
        match kind {
            AD_COMPLETE_LOCAL_NAME => return Some(value),
            AD_SHORTENED_LOCAL_NAME => shortened = Some(value),
            _ => {}
        }
    }
    shortened
}

/// Whether advertising data lists `service` among its 128-bit service UUIDs.
pub fn advertises_service(data: &[u8], service: Uuid128) -> bool {
    let wanted = service.to_le_bytes();
    ad_structures(data)
        .filter(|(kind, _)| matches!(*kind, AD_UUID128_COMPLETE | AD_UUID128_INCOMPLETE))
        .any(|(_, list)| list.chunks_exact(16).any(|uuid| uuid == wanted))
}

/// The (type, value) AD structures of advertising data; stops at a malformed one.
fn ad_structures(data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut rest = data;
    core::iter::from_fn(move || {
        let (&len, tail) = rest.split_first()?;
        let len = usize::from(len);
        if len == 0 || tail.len() < len {
            rest = &[];
            return None;
        }
        let (structure, next) = tail.split_at(len);
        rest = next;
        Some((structure[0], &structure[1..]))
    })
}

/// Finds the device, connects, discovers the provisioning service and runs `session` over
/// the link; the link is taken down afterwards in every case. `P` chooses the ATT MTU asked
/// for ([`Mtu23Pool`], [`Mtu517Pool`]).
pub async fn run<C, P, R>(
    controller: C,
    config: &CentralConfig<'_>,
    session: impl AsyncFnOnce(&mut Link<'_, C, P>) -> R,
) -> Result<R, CentralError<C::Error>>
where
    C: Controller + ControllerCmdSync<LeSetScanParams>,
    P: PacketPool,
{
    let tap_state = TapState::new();
    let tap = Tap::new(&controller, &tap_state);
    // The queued-write procedure's own view of the same controller and tap state.
    let own_tap = Tap::new(&controller, &tap_state);
    let mut resources: HostResources<Tap<'_, C>, P, 1, 2> = HostResources::new();
    let mut address = config.address;
    // A random static address has its two most significant bits set (Core Vol 6 Part B 1.3.2.1).
    address[5] |= 0xC0;
    let stack = trouble_host::new(tap, &mut resources)
        .set_random_address(Address::random(address))
        .build();
    let mut runner = stack.runner();
    let finder = Finder {
        config,
        scanning: core::cell::Cell::new(false),
        found: Signal::new(),
    };
    // The session's result, kept here so that taking the link down cannot lose it.
    let outcome: RefCell<Option<R>> = RefCell::new(None);
    let main = async {
        // TrouBLE reads the same values at start-up for its own packet credits; the tap needs
        // them to keep both senders within the controller's buffers.
        let buffers = with_timeout(CONTROLLER_TIMEOUT, stack.command(LeReadBufferSize::new()))
            .await
            .map_err(|_| CentralError::ControllerSilent)??;
        tap_state.set_buffers(
            usize::from(buffers.total_num_le_acl_data_packets),
            usize::from(buffers.le_acl_data_packet_length),
        );
        let mut scanner = Scanner::new(stack.central());
        let sighting = {
            let scan = ScanConfig {
                active: true,
                interval: Duration::from_millis(60),
                window: Duration::from_millis(60),
                ..ScanConfig::default()
            };
            let session = scanner.scan(&scan).await?;
            finder.scanning.set(true);
            let found = with_timeout(config.scan_timeout, finder.found.wait()).await;
            finder.scanning.set(false);
            drop(session);
            if found.is_err() {
                // Dropping the scan asks TrouBLE to stop it, which it does only while it keeps
                // running; leave the controller idle before giving up (bumble's keeps
                // scanning across HCI_Reset and refuses the next host's scan otherwise).
                let _ = stack.command(LeSetScanEnable::new(false, false)).await;
                return Err(CentralError::NotFound);
            }
            found.map_err(|_| CentralError::NotFound)?
        };
        let mut central = scanner.into_inner();
        let connect = ConnectConfig {
            scan_config: ScanConfig {
                filter_accept_list: &[sighting.address],
                interval: Duration::from_millis(60),
                window: Duration::from_millis(60),
                ..ScanConfig::default()
            },
            connect_params: Default::default(),
        };
        let connection = match with_timeout(CONNECT_TIMEOUT, central.connect(&connect)).await {
            Ok(connection) => connection?,
            Err(_) => {
                // As for the scan: stop initiating before giving up.
                let _ = stack.command(LeCreateConnCancel::new()).await;
                return Err(CentralError::ConnectTimeout);
            }
        };
        let served = async {
            let client = GattClient::<_, P, MAX_SERVICES>::new(&stack, &connection).await?;
            let discovered = async {
                let endpoints = discover(&client, config.service).await?;
                let mut link = Link {
                    client: &client,
                    connection: &connection,
                    tap: &own_tap,
                    info: DeviceInfo {
                        name: sighting.name.clone(),
                        address: sighting.address.addr.into_inner(),
                        random_address: sighting.address.kind == AddrKind::RANDOM,
                        att_mtu: connection.att_mtu(),
                        endpoints,
                    },
                };
                let result = session(&mut link).await;
                *outcome.borrow_mut() = Some(result);
                Ok::<(), CentralError<C::Error>>(())
            };
            match select(client.task(), discovered).await {
                Either::First(_) => Err(CentralError::LinkLost),
                Either::Second(result) => result,
            }
        };
        let served = served.await;
        // Take the link down and wait for the controller to say it is gone, so the device
        // sees a clean disconnection and advertises again.
        if connection.is_connected() {
            connection.disconnect();
            let _ = with_timeout(DISCONNECT_TIMEOUT, async {
                loop {
                    if let ConnectionEvent::Disconnected { .. } = connection.next().await {
                        break;
                    }
                }
            })
            .await;
        }
        served
    };
    let result = match select(runner.run_with_handler(&finder), main).await {
        Either::First(Err(e)) => Err(CentralError::Host(e)),
        Either::First(Ok(())) => Err(CentralError::LinkLost),
        Either::Second(result) => result,
    };
    match (result, outcome.into_inner()) {
        (_, Some(value)) => Ok(value),
        (Err(e), None) => Err(e),
        (Ok(()), None) => Err(CentralError::LinkLost),
    }
}

/// The provisioning service's endpoint characteristics, named by their 0x2901 descriptors.
async fn discover<C: Controller, P: PacketPool>(
    client: &GattClient<'_, Tap<'_, C>, P, MAX_SERVICES>,
    service: Uuid128,
) -> Result<Vec<RemoteEndpoint>, CentralError<C::Error>> {
    let services = client
        .services_by_uuid(&Uuid::new_long(service.to_le_bytes()))
        .await?;
    let service = services.first().ok_or(CentralError::NoService)?;
    let characteristics = client
        .characteristics::<MAX_CLIENT_ENDPOINTS>(service)
        .await?;
    let description = Uuid::new_short(USER_DESCRIPTION);
    let mut endpoints = Vec::new();
    for characteristic in &characteristics {
        let Uuid::Uuid128(uuid) = characteristic.uuid else {
            continue;
        };
        if characteristic.end_handle <= characteristic.handle {
            continue;
        }
        let descriptor = match client
            .descriptor_by_uuid::<[u8], [u8]>(characteristic, &description)
            .await
        {
            Ok(descriptor) => descriptor,
            Err(BleHostError::BleHost(trouble_host::Error::NotFound)) => continue,
            Err(e) => return Err(e.into()),
        };
        let mut name = [0u8; MAX_NAME_LEN];
        let len = client.read_descriptor(&descriptor, &mut name).await?;
        // Some stacks store the name NUL-terminated.
        let name = name[..len].split(|&b| b == 0).next().unwrap_or(&[]);
        if name.is_empty() {
            continue;
        }
        endpoints.push(RemoteEndpoint {
            name: String::from_utf8_lossy(name).into_owned(),
            uuid: Uuid128::from_le_bytes(uuid),
            handle: characteristic.handle,
        });
    }
    if endpoints.is_empty() {
        return Err(CentralError::NoEndpoints);
    }
    Ok(endpoints)
}

/// Packets each pool lends at most at once.
const POOL_PACKETS: usize = 16;

/// A packet buffer of [`Mtu23Pool`] or [`Mtu517Pool`], on the heap; returned to its pool's count
/// when dropped.
pub struct HeapPacket {
    buffer: Box<[u8]>,
    live: &'static BlockingMutex<CriticalSectionRawMutex, core::cell::Cell<usize>>,
}

impl HeapPacket {
    fn allocate(
        len: usize,
        live: &'static BlockingMutex<CriticalSectionRawMutex, core::cell::Cell<usize>>,
    ) -> Option<Self> {
        let granted = live.lock(|count| {
            let n = count.get();
            (n < POOL_PACKETS).then(|| count.set(n + 1)).is_some()
        });
        granted.then(|| Self {
            buffer: vec![0u8; len].into_boxed_slice(),
            live,
        })
    }
}

impl Drop for HeapPacket {
    fn drop(&mut self) {
        self.live
            .lock(|count| count.set(count.get().saturating_sub(1)));
    }
}

impl AsRef<[u8]> for HeapPacket {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl AsMut<[u8]> for HeapPacket {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buffer
    }
}

impl Packet for HeapPacket {}

macro_rules! heap_pool {
    ($(#[$doc:meta])* $name:ident, $att_mtu:expr, $live:ident) => {
        $(#[$doc])*
        pub struct $name;

        static $live: BlockingMutex<CriticalSectionRawMutex, core::cell::Cell<usize>> =
            BlockingMutex::new(core::cell::Cell::new(0));

        impl PacketPool for $name {
            type Packet = HeapPacket;
            // An L2CAP basic header (4 bytes) in front of the ATT PDU.
            const MTU: usize = $att_mtu + 4;

            fn allocate() -> Option<HeapPacket> {
                HeapPacket::allocate(Self::MTU, &$live)
            }

            fn capacity() -> usize {
                POOL_PACKETS
            }
        }
    };
}

heap_pool!(
    /// Packet pool of a central that stays at the minimum ATT MTU, 23: requests longer than 20
    /// bytes go as queued writes, responses longer than 22 bytes come back as long reads.
    Mtu23Pool,
    23,
    MTU23_LIVE
);
heap_pool!(
    /// Packet pool of a central that asks for ATT MTU 517 (BlueZ's request); the device's
    /// answer caps it.
    Mtu517Pool,
    517,
    MTU517_LIVE
);

#[cfg(test)]
mod tests;
