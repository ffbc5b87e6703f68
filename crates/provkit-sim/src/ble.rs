//! The simulator's BLE transport: provkit-ble's GATT peripheral on an H4 controller (a virtual
//! controller on TCP, or a USB HCI dongle on a serial port), serving the same [`SimDevice`] as
//! the HTTP server and the console.
//!
//! ```text
//!  central ─ BLE ─ controller ─ H4 (TCP / UART) ─► provkit_ble::run (TrouBLE, own thread)
//!                                                      │ GattBackend
//!                                                      ▼
//!                                   Arc<Mutex<SimDevice>>::ble_write ─► Device::ble_write
//! ```
//!
//! TrouBLE's futures are not `Send`, so the peripheral runs on a thread of its own with a
//! single-threaded tokio runtime (which also drives the H4 socket).

use std::sync::{Arc, Mutex};

use provkit_ble::hci::{self, HciSpec};
use provkit_ble::{AttErrorCode, Endpoint, GattBackend, PeripheralConfig, ValueStorage};
use provkit_protocomm::ble::Uuid128;

use crate::device::SimDevice;

/// How the simulator's BLE side is set up.
#[derive(Debug, Clone)]
pub struct BleOptions {
    /// The controller.
    pub controller: HciSpec,
    /// Advertised name.
    pub device_name: String,
    /// Drop a central after this long (ms) without an ATT request (`None`: never).
    pub idle_timeout_ms: Option<u64>,
}

/// Runs the peripheral until the controller fails; `Err` says why, in one sentence. Blocks the
/// calling thread (start it on a thread of its own).
pub fn run(options: &BleOptions, device: Arc<Mutex<SimDevice>>) -> Result<(), String> {
    let endpoints: Vec<(String, Uuid128)> = device
        .lock()
        .map_err(|_| "the device state was poisoned".to_string())?
        .ble_endpoints();
    if endpoints.is_empty() {
        return Err("provisioning is not running: no GATT service to serve".into());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the BLE runtime: {e}"))?;
    let endpoints: Vec<Endpoint<'_>> = endpoints
        .iter()
        .map(|(name, uuid)| Endpoint { name, uuid: *uuid })
        .collect();
    let mut address = [0u8; 6];
    getrandom::fill(&mut address).map_err(|e| format!("cannot pick a BLE address: {e}"))?;
    let config = PeripheralConfig {
        device_name: &options.device_name,
        address,
        service: Uuid128::EXAMPLE_SERVICE,
        manufacturer_data: None,
        endpoints: &endpoints,
        idle_timeout_ms: options.idle_timeout_ms,
    };
    let mut storage = Box::new(ValueStorage::new());
    let mut backend = SharedDevice(device);
    runtime.block_on(async {
        let failure = match &options.controller {
            HciSpec::Tcp { host, port } => {
                let controller = hci::connect_tcp(host, *port).await.map_err(|e| {
                    format!(
                        "cannot reach the HCI controller {}: {e}",
                        options.controller
                    )
                })?;
                provkit_ble::run(controller, &config, &mut storage, &mut backend)
                    .await
                    .map(|never| match never {})
                    .map_err(|e| e.to_string())
            }
            HciSpec::Uart { path, baud } => {
                let controller = hci::open_uart(path, *baud).map_err(|e| {
                    format!("cannot open the HCI controller {}: {e}", options.controller)
                })?;
                provkit_ble::run(controller, &config, &mut storage, &mut backend)
                    .await
                    .map(|never| match never {})
                    .map_err(|e| e.to_string())
            }
        };
        failure.map_err(|e| format!("BLE stopped ({}): {e}", options.controller))
    })
}

/// The peripheral's view of the shared device: one lock per GATT event.
struct SharedDevice(Arc<Mutex<SimDevice>>);

impl GattBackend for SharedDevice {
    fn advertising(&mut self) {
        if let Ok(mut device) = self.0.lock() {
            device.ble_advertising();
        }
    }

    fn connected(&mut self, connection: u16) {
        if let Ok(mut device) = self.0.lock() {
            device.ble_connected(connection);
        }
    }

    fn disconnected(&mut self, connection: u16) {
        if let Ok(mut device) = self.0.lock() {
            device.ble_disconnected(connection);
        }
    }

    /// Runs the device on this thread: the sim's device answers a blocking scan itself (it
    /// pumps its station until the scan is done), so there is nothing to await.
    async fn write(
        &mut self,
        connection: u16,
        endpoint: usize,
        value: &[u8],
    ) -> Result<Vec<u8>, AttErrorCode> {
        match self.0.lock() {
            Ok(mut device) => device.ble_write(connection, endpoint, value),
            // A request crashed the device earlier: answer like a failed request.
            Err(_) => Err(AttErrorCode::InvalidPdu),
        }
    }
}
