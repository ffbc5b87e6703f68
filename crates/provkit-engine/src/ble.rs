//! The BLE transport on the engine (feature `ble`): provkit-ble's [`GattBackend`] over the
//! shared device, so a firmware hands `EngineGatt(&engine)` to `provkit_ble::run`.

use alloc::vec::Vec;

use embassy_sync::blocking_mutex::raw::RawMutex;
use provkit_ble::GattBackend;
use provkit_hal::Clock;
use provkit_protocomm::SecureRng;
use provkit_protocomm::ble::AttErrorCode;

use crate::Engine;

/// The engine as the GATT server's backend.
pub struct EngineGatt<'e, M: RawMutex, R, K>(pub &'e Engine<M, R, K>);

impl<M: RawMutex, R: SecureRng, K: Clock> GattBackend for EngineGatt<'_, M, R, K> {
    fn connected(&mut self, connection: u16) {
        self.0.ble_connected(connection);
    }

    fn disconnected(&mut self, connection: u16) {
        self.0.ble_disconnected(connection);
    }

    async fn write(
        &mut self,
        connection: u16,
        endpoint: usize,
        value: &[u8],
    ) -> Result<Vec<u8>, AttErrorCode> {
        self.0.ble_write(connection, endpoint, value).await
    }
}
