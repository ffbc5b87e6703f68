//! BLE provisioning transport: a GATT server on TrouBLE (trouble-host 0.7, which speaks
//! bt-hci 0.9 like esp-radio's BLE controller) with the layout of [`crate::gatt_layout`].
//!
//! ```text
//!  phone ── Write Request / Prepare+Execute Write (≤ 512 B) ──► characteristic of <endpoint>
//!        ◄─ Write Response ───────────────────────────────────  GattHandler::on_write(conn, ep, req)
//!                                                                └─ response stored as the value
//!  phone ── Read / Read Blob (until a short read) ────────────► TrouBLE serves the stored value
//! ```
//!
//! Long writes (Prepare/Execute Write) are reassembled by TrouBLE (`att-queued-writes`, 512 B
//! buffer) and surface as one write event; long reads are served from the stored value by
//! TrouBLE's Read Blob handling. A handler failure answers the write with an ATT error and
//! keeps the link (NimBLE's behaviour, spec §5.2), so the phone sees a failed write instead of
//! reading a stale value. Empty writes are ignored (NimBLE never calls the handler for them).

extern crate alloc;

use alloc::vec::Vec;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use heapless::Vec as BoundedVec;
use trouble_host::att::AttErrorCode;
use trouble_host::attribute::{AttributeTable, CharacteristicProp, PermissionLevel, Service};
use trouble_host::gatt::{GattConnection, GattConnectionEvent, GattEvent};
use trouble_host::prelude::{AttributeServer, DefaultPacketPool, Uuid};

use crate::gatt_layout::{
    MAX_VALUE_LEN, WriteError, WriteOutcome, characteristic_uuid, on_endpoint_write,
};

/// Most endpoints the table holds (5 standard + 3 custom).
pub const MAX_ENDPOINTS: usize = 8;
/// Attributes: service + GAP/GATT services TrouBLE adds + 3 per endpoint (declaration,
/// value, 0x2901).
pub const MAX_ATTRIBUTES: usize = 16 + 3 * MAX_ENDPOINTS;

/// One value buffer per endpoint, caller-owned (static in the firmware).
pub type ValueBuffers = [[u8; MAX_VALUE_LEN]; MAX_ENDPOINTS];

/// What answers the requests arriving over BLE (the firmware's protocomm glue).
pub trait GattHandler {
    /// A complete request written to `endpoint` on connection `conn`. `Some(response)`
    /// becomes the characteristic value the phone reads next; `None` means "no response"
    /// (decrypt or handler failure).
    fn on_write(&mut self, conn: u16, endpoint: &str, request: &[u8]) -> Option<Vec<u8>>;
    /// Connection `conn` is gone: its protocomm session must close.
    fn on_disconnect(&mut self, conn: u16);
}

/// The provisioning service's attribute server plus the handle → endpoint map.
pub struct ProvisioningGatt<'d> {
    server: AttributeServer<'d, NoopRawMutex, DefaultPacketPool, MAX_ATTRIBUTES, 1>,
    endpoints: BoundedVec<(u16, &'static str), MAX_ENDPOINTS>,
}

impl<'d> ProvisioningGatt<'d> {
    /// Builds the table: one characteristic (Read + Write) and one 0x2901 descriptor per
    /// `(name, id)` in `endpoints`, in that order. Extra endpoints beyond
    /// [`MAX_ENDPOINTS`] are left out.
    pub fn new(
        service_uuid_le: &[u8; 16],
        endpoints: &[(&'static str, u16)],
        buffers: &'d mut ValueBuffers,
    ) -> Self {
        let mut table = AttributeTable::<NoopRawMutex, MAX_ATTRIBUTES>::new();
        let mut map = BoundedVec::new();
        {
            let mut service = table.add_service(Service::new(Uuid::new_long(*service_uuid_le)));
            for ((name, id), buffer) in endpoints.iter().zip(buffers.iter_mut()) {
                let empty: &[u8] = &[];
                let mut builder = service.add_characteristic(
                    Uuid::new_long(characteristic_uuid(service_uuid_le, *id)),
                    [CharacteristicProp::Read, CharacteristicProp::Write],
                    empty,
                    buffer.as_mut_slice(),
                );
                // 0x2901 Characteristic User Description: the endpoint name, no NUL.
                builder.add_descriptor_ro::<str, _>(
                    Uuid::new_short(0x2901),
                    PermissionLevel::Allowed,
                    name,
                );
                let characteristic = builder.build();
                let _ = map.push((characteristic.handle, *name));
            }
            service.build();
        }
        Self {
            server: AttributeServer::new(table),
            endpoints: map,
        }
    }

    /// The attribute server, for `Connection::with_attribute_server`.
    pub fn server(
        &self,
    ) -> &AttributeServer<'d, NoopRawMutex, DefaultPacketPool, MAX_ATTRIBUTES, 1> {
        &self.server
    }

    fn endpoint_of(&self, handle: u16) -> Option<&'static str> {
        self.endpoints
            .iter()
            .find(|(h, _)| *h == handle)
            .map(|(_, name)| *name)
    }

    /// Serves one GATT connection until it drops.
    pub async fn serve(
        &self,
        conn: &GattConnection<'_, '_, DefaultPacketPool>,
        handler: &mut impl GattHandler,
    ) {
        let conn_id = conn.raw().handle().raw();
        loop {
            match conn.next().await {
                GattConnectionEvent::Disconnected { .. } => {
                    handler.on_disconnect(conn_id);
                    return;
                }
                GattConnectionEvent::Gatt { event } => {
                    let reply = match event {
                        GattEvent::Write(write) => match self.endpoint_of(write.handle()) {
                            Some(endpoint) => {
                                let handle = write.handle();
                                let outcome = write.with_data(|offset, data| {
                                    on_endpoint_write(offset, data, |request| {
                                        handler.on_write(conn_id, endpoint, request)
                                    })
                                });
                                match outcome {
                                    WriteOutcome::Ignore => write.accept_unprocessed(),
                                    WriteOutcome::Store(response) => {
                                        match self.server.table().write(handle, 0, &response) {
                                            Ok(()) => write.accept_unprocessed(),
                                            Err(_) => write.reject(AttErrorCode::UNLIKELY_ERROR),
                                        }
                                    }
                                    WriteOutcome::Reject(error) => write.reject(match error {
                                        WriteError::InvalidOffset => AttErrorCode::INVALID_OFFSET,
                                        WriteError::InvalidAttributeValueLength => {
                                            AttErrorCode::INVALID_ATTRIBUTE_VALUE_LENGTH
                                        }
                                        WriteError::Unlikely => AttErrorCode::UNLIKELY_ERROR,
                                    }),
                                }
                            }
                            None => write.accept(),
                        },
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
}
