//! BLE GATT framing as pure data + state machines (spec §5.2, `protocomm_ble.c`,
//! `protocomm_nimble.c`, `simple_ble.c`).
//!
//! ```text
//!  Primary service  <service uuid>                    (default 021a9004-0382-4aea-bff4-6b3f1c5adfb4)
//!   ├ characteristic <service uuid with id at bytes 2..4 (text digits 5-8)>  Read | Write
//!   │   └ 0x2901 user description = "<endpoint name>"
//!   └ ... one per endpoint, in table order
//!
//!  client: Write Request (or Prepare Write* + Execute Write) of the whole request
//!          → GattTable runs Protocomm::handle, stores the response as the characteristic value
//!  client: Read / Read Blob (offset) of the same characteristic → the response, ≤ MTU-1 per read
//! ```
//!
//! The adapter owns the real GATT server; it maps its attribute handles to characteristic
//! indices (position in [`GattTable::characteristics`]) and forwards ATT operations here. Errors
//! come back as ATT error codes ([`AttErrorCode`]) ready to put on the air. A protocomm failure
//! (no response) is reported as [`AttErrorCode::InvalidPdu`], NimBLE's behaviour; an adapter
//! that prefers Bluedroid's behaviour drops the link instead.
//!
//! Values are per characteristic, not per connection, as in the reference; but each value
//! remembers the connection whose write produced it, and only that connection may read it
//! (others get [`AttErrorCode::InsufficientAuthorization`]), so a second central cannot read
//! the owner's last (possibly plaintext, for sec0) response. A connection's
//! session is opened on connect and closed on disconnect ([`GattTable::on_connect`],
//! [`GattTable::on_disconnect`]); the connection handle is the protocomm session id.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use provkit_hal::Instant;

use provkit_security::SecureRng;

use crate::client::{ClientId, TransportKind};
use crate::endpoint::EndpointTable;
use crate::error::ProtocommError;
use crate::protocomm::{Protocomm, RequestHandler};

/// Bluedroid's `CHAR_VAL_LEN_MAX` with security 2 compiled in.
pub const BLUEDROID_MAX_VALUE_LEN_SEC2: usize = 481;
/// Bluedroid's `CHAR_VAL_LEN_MAX` without security 2.
pub const BLUEDROID_MAX_VALUE_LEN: usize = 257;
/// NimBLE's `BLE_ATT_ATTR_MAX_LEN`.
pub const NIMBLE_MAX_VALUE_LEN: usize = 512;
/// The ATT minimum MTU; smaller values passed in are raised to it.
pub const ATT_MIN_MTU: u16 = 23;

/// A 128-bit UUID, stored in canonical (big-endian, text) byte order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uuid128(pub [u8; 16]);

impl Uuid128 {
    /// `021a9004-0382-4aea-bff4-6b3f1c5adfb4`: the service UUID of Espressif's examples and
    /// apps, and esp_prov's fallback.
    pub const EXAMPLE_SERVICE: Self = Self([
        0x02, 0x1a, 0x90, 0x04, 0x03, 0x82, 0x4a, 0xea, 0xbf, 0xf4, 0x6b, 0x3f, 0x1c, 0x5a, 0xdf,
        0xb4,
    ]);
    /// `1775244d-6b43-439b-877c-060f2d9bed07`: the default of `wifi_prov_scheme_ble` when the
    /// application sets none.
    pub const SCHEME_DEFAULT_SERVICE: Self = Self([
        0x17, 0x75, 0x24, 0x4d, 0x6b, 0x43, 0x43, 0x9b, 0x87, 0x7c, 0x06, 0x0f, 0x2d, 0x9b, 0xed,
        0x07,
    ]);

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (either case).
    pub fn parse(text: &str) -> Result<Self, ProtocommError> {
        let raw = text.as_bytes();
        if raw.len() != 36 {
            return Err(ProtocommError::InvalidUuid);
        }
        let mut out = [0u8; 16];
        let mut digits = raw.iter().enumerate().filter_map(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                None
            } else {
                Some(c)
            }
        });
        if [8, 13, 18, 23].iter().any(|&i| raw.get(i) != Some(&b'-')) {
            return Err(ProtocommError::InvalidUuid);
        }
        for byte in &mut out {
            let hi = digits.next().and_then(crate::hex::digit);
            let lo = digits.next().and_then(crate::hex::digit);
            match (hi, lo) {
                (Some(hi), Some(lo)) => *byte = (hi << 4) | lo,
                _ => return Err(ProtocommError::InvalidUuid),
            }
        }
        Ok(Self(out))
    }

    /// From the little-endian array used on the air and by ESP-IDF's C API.
    pub fn from_le_bytes(mut bytes: [u8; 16]) -> Self {
        bytes.reverse();
        Self(bytes)
    }

    /// The little-endian array used on the air (AD structures, ATT).
    pub fn to_le_bytes(self) -> [u8; 16] {
        let mut bytes = self.0;
        bytes.reverse();
        bytes
    }

    /// This UUID with `id` substituted at text digits 5–8 (bytes 12–13 of the LE array), the
    /// way ESP-IDF derives each endpoint's characteristic UUID from the service UUID.
    pub fn with_short_id(self, id: u16) -> Self {
        let mut bytes = self.0;
        let [hi, lo] = id.to_be_bytes();
        bytes[2] = hi;
        bytes[3] = lo;
        Self(bytes)
    }
}

impl fmt::Display for Uuid128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Uuid128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid128({self})")
    }
}

/// ATT error codes this framing produces (Bluetooth Core Vol 3 Part F §3.4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum AttErrorCode {
    /// No characteristic with that index.
    InvalidHandle = 0x01,
    /// The handler produced no response (NimBLE's answer to a protocomm error).
    InvalidPdu = 0x04,
    /// Offset past the end of the value, or a non-contiguous prepare write.
    InvalidOffset = 0x07,
    /// A read of a value another connection's write produced.
    InsufficientAuthorization = 0x08,
    /// A long write to another characteristic is already queued on this connection.
    PrepareQueueFull = 0x09,
    /// Empty write, request longer than the value limit, or response longer than it.
    InvalidAttributeValueLength = 0x0D,
}

impl AttErrorCode {
    /// The byte to send in an ATT Error Response.
    pub const fn code(self) -> u8 {
        self as u8
    }
}

/// One endpoint characteristic.
#[derive(Debug, Clone)]
pub struct GattCharacteristic {
    /// Endpoint name, also the 0x2901 user description value.
    pub endpoint: String,
    /// The endpoint's 16-bit id.
    pub short_id: u16,
    /// Characteristic UUID (service UUID with `short_id` substituted).
    pub uuid: Uuid128,
    /// Last response of this endpoint (empty before the first write).
    value: Vec<u8>,
    /// The connection whose write produced `value` (None before the first write).
    written_by: Option<u16>,
}

impl GattCharacteristic {
    /// The current value (last response).
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// A queued long write of one connection.
#[derive(Debug, Clone)]
struct PendingWrite {
    connection: u16,
    index: usize,
    buffer: Vec<u8>,
}

/// The provisioning GATT service and its write-then-read state.
#[derive(Debug, Clone)]
pub struct GattTable {
    service: Uuid128,
    characteristics: Vec<GattCharacteristic>,
    max_value_len: usize,
    pending: Vec<PendingWrite>,
}

impl GattTable {
    /// Builds the table from protocomm's endpoints. `max_value_len` bounds both requests and
    /// responses (use one of the `*_MAX_VALUE_LEN` constants).
    pub fn new(service: Uuid128, endpoints: &EndpointTable, max_value_len: usize) -> Self {
        let characteristics = endpoints
            .iter()
            .map(|e| GattCharacteristic {
                endpoint: e.name.clone(),
                short_id: e.ble_id,
                uuid: service.with_short_id(e.ble_id),
                value: Vec::new(),
                written_by: None,
            })
            .collect();
        Self {
            service,
            characteristics,
            max_value_len,
            pending: Vec::new(),
        }
    }

    /// The primary service UUID.
    pub fn service_uuid(&self) -> Uuid128 {
        self.service
    }

    /// The characteristics in endpoint-table order; an index into this slice names one.
    pub fn characteristics(&self) -> &[GattCharacteristic] {
        &self.characteristics
    }

    /// Index of the characteristic with `uuid`.
    pub fn index_of(&self, uuid: Uuid128) -> Option<usize> {
        self.characteristics.iter().position(|c| c.uuid == uuid)
    }

    /// A central connected: open its protocomm session (session id = connection handle).
    /// Refused (and reported) while another transport's client owns provisioning; the
    /// connection may stay, its `prov-session` requests will then be refused too.
    pub fn on_connect(
        &mut self,
        connection: u16,
        protocomm: &mut Protocomm,
        now: Instant,
    ) -> Result<(), ProtocommError> {
        protocomm.open_session(client(connection), now)
    }

    /// A central disconnected: drop its queued long write and close its session.
    pub fn on_disconnect(&mut self, connection: u16, protocomm: &mut Protocomm) {
        self.pending.retain(|p| p.connection != connection);
        // Connection handles are reused: the next central on this handle must not read the
        // responses of the one that left.
        for c in &mut self.characteristics {
            if c.written_by == Some(connection) {
                c.value.clear();
                c.written_by = None;
            }
        }
        protocomm.close_session(client(connection));
    }

    /// A Write Request of a complete value to characteristic `index`, arriving at `now`.
    #[allow(clippy::too_many_arguments)]
    pub fn write<R: SecureRng + ?Sized>(
        &mut self,
        connection: u16,
        index: usize,
        data: &[u8],
        protocomm: &mut Protocomm,
        handler: &mut dyn RequestHandler,
        rng: &mut R,
        now: Instant,
    ) -> Result<(), AttErrorCode> {
        if index >= self.characteristics.len() {
            return Err(AttErrorCode::InvalidHandle);
        }
        if data.is_empty() || data.len() > self.max_value_len {
            return Err(AttErrorCode::InvalidAttributeValueLength);
        }
        self.dispatch(connection, index, data, protocomm, handler, rng, now)
    }

    /// A Prepare Write Request: queue `data` at `offset` of characteristic `index`.
    ///
    /// Parts must be contiguous (each offset at most the length queued so far, overlapping
    /// rewrites allowed) and stay within the value limit.
    pub fn prepare_write(
        &mut self,
        connection: u16,
        index: usize,
        offset: u16,
        data: &[u8],
    ) -> Result<(), AttErrorCode> {
        if index >= self.characteristics.len() {
            return Err(AttErrorCode::InvalidHandle);
        }
        let offset = usize::from(offset);
        if offset > self.max_value_len {
            return Err(AttErrorCode::InvalidOffset);
        }
        let end = offset
            .checked_add(data.len())
            .filter(|&end| end <= self.max_value_len)
            .ok_or(AttErrorCode::InvalidAttributeValueLength)?;
        let existing = self.pending.iter().position(|p| p.connection == connection);
        let queued_len = match existing.and_then(|i| self.pending.get(i)) {
            Some(p) if p.index != index => return Err(AttErrorCode::PrepareQueueFull),
            Some(p) => p.buffer.len(),
            None => 0,
        };
        if offset > queued_len {
            return Err(AttErrorCode::InvalidOffset);
        }
        let slot = match existing {
            Some(i) => i,
            None => {
                self.pending.push(PendingWrite {
                    connection,
                    index,
                    buffer: Vec::new(),
                });
                self.pending.len() - 1
            }
        };
        let pending = self
            .pending
            .get_mut(slot)
            .ok_or(AttErrorCode::PrepareQueueFull)?;
        if end > pending.buffer.len() {
            pending.buffer.resize(end, 0);
        }
        if let Some(dst) = pending.buffer.get_mut(offset..end) {
            dst.copy_from_slice(data);
        }
        Ok(())
    }

    /// An Execute Write Request: `commit == false` cancels the queue, `true` delivers the
    /// reassembled value like a single write. Executing an empty queue succeeds (ATT rule).
    #[allow(clippy::too_many_arguments)]
    pub fn execute_write<R: SecureRng + ?Sized>(
        &mut self,
        connection: u16,
        commit: bool,
        protocomm: &mut Protocomm,
        handler: &mut dyn RequestHandler,
        rng: &mut R,
        now: Instant,
    ) -> Result<(), AttErrorCode> {
        let Some(pos) = self.pending.iter().position(|p| p.connection == connection) else {
            return Ok(());
        };
        let pending = self.pending.swap_remove(pos);
        if !commit {
            return Ok(());
        }
        if pending.buffer.is_empty() {
            return Err(AttErrorCode::InvalidAttributeValueLength);
        }
        self.dispatch(
            connection,
            pending.index,
            &pending.buffer,
            protocomm,
            handler,
            rng,
            now,
        )
    }

    /// A Read (offset 0) or Read Blob Request by `connection` of characteristic `index`: at
    /// most `mtu - 1` bytes of the stored response from `offset`. Offset == length gives an
    /// empty read, the client's signal to stop. A value written by another connection is
    /// refused with [`AttErrorCode::InsufficientAuthorization`].
    pub fn read(
        &self,
        connection: u16,
        index: usize,
        offset: u16,
        mtu: u16,
    ) -> Result<&[u8], AttErrorCode> {
        let c = self
            .characteristics
            .get(index)
            .ok_or(AttErrorCode::InvalidHandle)?;
        if c.written_by.is_some_and(|writer| writer != connection) {
            return Err(AttErrorCode::InsufficientAuthorization);
        }
        read_window(&c.value, offset, mtu)
    }

    /// The whole value of characteristic `index` as `connection` may read it, for a GATT
    /// server that serves reads and long reads itself: the same rule as [`Self::read`].
    pub fn read_value(&self, connection: u16, index: usize) -> Result<&[u8], AttErrorCode> {
        let c = self
            .characteristics
            .get(index)
            .ok_or(AttErrorCode::InvalidHandle)?;
        if c.written_by.is_some_and(|writer| writer != connection) {
            return Err(AttErrorCode::InsufficientAuthorization);
        }
        Ok(&c.value)
    }

    /// A read of the 0x2901 user description of characteristic `index` (the endpoint name).
    pub fn read_user_description(
        &self,
        index: usize,
        offset: u16,
        mtu: u16,
    ) -> Result<&[u8], AttErrorCode> {
        let c = self
            .characteristics
            .get(index)
            .ok_or(AttErrorCode::InvalidHandle)?;
        read_window(c.endpoint.as_bytes(), offset, mtu)
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch<R: SecureRng + ?Sized>(
        &mut self,
        connection: u16,
        index: usize,
        data: &[u8],
        protocomm: &mut Protocomm,
        handler: &mut dyn RequestHandler,
        rng: &mut R,
        now: Instant,
    ) -> Result<(), AttErrorCode> {
        let max = self.max_value_len;
        let c = self
            .characteristics
            .get_mut(index)
            .ok_or(AttErrorCode::InvalidHandle)?;
        let response = protocomm
            .handle(client(connection), &c.endpoint, data, handler, rng, now)
            .map_err(|_| AttErrorCode::InvalidPdu)?;
        if response.len() > max {
            // Recent IDF code rejects the write rather than leave a stale value readable.
            return Err(AttErrorCode::InvalidAttributeValueLength);
        }
        c.value = response;
        c.written_by = Some(connection);
        Ok(())
    }
}

fn client(connection: u16) -> ClientId {
    ClientId::new(TransportKind::Ble, u32::from(connection))
}

fn read_window(value: &[u8], offset: u16, mtu: u16) -> Result<&[u8], AttErrorCode> {
    let offset = usize::from(offset);
    let chunk = usize::from(mtu.max(ATT_MIN_MTU)) - 1;
    let rest = value.get(offset..).ok_or(AttErrorCode::InvalidOffset)?;
    Ok(rest.get(..chunk).unwrap_or(rest))
}
