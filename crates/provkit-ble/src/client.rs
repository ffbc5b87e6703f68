//! provkit-client's blocking [`Transport`] over the BLE central (feature `client`): what
//! `provkit provision --ble hci-tcp:HOST:PORT` runs.
//!
//! ```text
//!  Client<BleTransport> ── request(endpoint, body) ──► channel ──► worker thread
//!        ▲                                                        (current-thread tokio:
//!        └───────────── response / TransportError ◄── channel ◄── central::run over an H4
//!                                                                 controller, one Link)
//! ```
//!
//! TrouBLE's futures are not `Send`, so the central lives on a thread of its own with a
//! single-threaded runtime that also drives the H4 socket or serial port; requests cross over
//! channels, one at a time. [`BleTransport::connect`] returns once the device is found,
//! connected and its endpoints are known. Dropping the transport takes the link down cleanly
//! (the device then advertises again) and joins the thread.
//!
//! This adapter lives here rather than in provkit-client so that the client stays free of
//! BLE, TrouBLE and tokio (and `no_std`): the dependency goes from the BLE transport to the
//! client's `Transport` trait, as the peripheral depends on protocomm, and only the binaries
//! that want BLE pull both in.

use std::fmt;
use std::string::{String, ToString};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use std::vec::Vec;

use provkit_client::{Transport, TransportError};
use provkit_protocomm::ble::Uuid128;
use tokio::sync::mpsc as async_mpsc;

use crate::central::{
    self, CentralConfig, CentralError, DeviceInfo, Link, LinkError, Mtu23Pool, Mtu517Pool,
};
use crate::hci::{self, HciSpec};

/// The ATT MTU the client asks for in its exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttMtu {
    /// 23, the minimum: every request of more than 20 bytes is a queued (long) write, every
    /// response of more than 22 bytes a long read.
    Minimum,
    /// 517, as BlueZ asks; the device's answer caps it.
    #[default]
    Large,
}

impl AttMtu {
    /// The MTU value asked for.
    pub fn value(self) -> u16 {
        match self {
            Self::Minimum => 23,
            Self::Large => 517,
        }
    }
}

/// How to find and reach the device.
#[derive(Debug, Clone)]
pub struct BleOptions {
    /// Our HCI controller.
    pub controller: HciSpec,
    /// Advertised name to look for; `None` takes the first device advertising `service`.
    pub device_name: Option<String>,
    /// The provisioning service UUID (ESP-IDF's example UUID unless the firmware changed it).
    pub service: Uuid128,
    /// How long to scan.
    pub scan_timeout: Duration,
    /// The ATT MTU to ask for.
    pub mtu: AttMtu,
}

impl BleOptions {
    /// Options for `controller` with the defaults: any device advertising ESP-IDF's example
    /// service, 10 s of scanning, MTU 517.
    pub fn new(controller: HciSpec) -> Self {
        Self {
            controller,
            device_name: None,
            service: Uuid128::EXAMPLE_SERVICE,
            scan_timeout: Duration::from_secs(10),
            mtu: AttMtu::Large,
        }
    }
}

/// Why [`BleTransport::connect`] failed; each displays as one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BleConnectError {
    /// The controller could not be opened (nothing listens on the TCP port, no such serial
    /// device).
    ControllerUnreachable {
        /// The controller as given.
        controller: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The controller was opened but does not answer HCI commands.
    ControllerSilent {
        /// The controller as given.
        controller: String,
    },
    /// No matching device advertised within the scan time.
    DeviceNotFound {
        /// What was looked for (`BLE device named "PROV_123"`).
        wanted: String,
        /// For how long.
        seconds: u64,
    },
    /// The device was found, but connecting or discovering its service failed.
    Device(String),
    /// The worker thread could not start or stopped unexpectedly.
    Worker(String),
}

impl fmt::Display for BleConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ControllerUnreachable { controller, reason } => {
                write!(f, "cannot reach the HCI controller {controller}: {reason}")
            }
            Self::ControllerSilent { controller } => write!(
                f,
                "the HCI controller {controller} does not answer HCI commands (is it an H4 \
                 Bluetooth controller?)"
            ),
            Self::DeviceNotFound { wanted, seconds } => {
                write!(f, "no {wanted} advertised within {seconds} s of scanning")
            }
            Self::Device(what) => f.write_str(what),
            Self::Worker(what) => write!(f, "the BLE worker failed: {what}"),
        }
    }
}

impl std::error::Error for BleConnectError {}

/// One request handed to the worker.
struct Request {
    endpoint: String,
    body: Vec<u8>,
    reply: mpsc::SyncSender<Result<Vec<u8>, TransportError>>,
}

/// A blocking [`Transport`] to one provisioning device over BLE.
pub struct BleTransport {
    requests: Option<async_mpsc::Sender<Request>>,
    worker: Option<JoinHandle<()>>,
    info: DeviceInfo,
}

impl fmt::Debug for BleTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BleTransport")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl BleTransport {
    /// Opens the controller, scans for the device, connects and reads its endpoint names.
    pub fn connect(options: &BleOptions) -> Result<Self, BleConnectError> {
        let (ready_tx, ready_rx) = mpsc::channel();
        // Capacity 1: requests are one at a time, so the channel is empty whenever one is sent.
        let (requests_tx, requests_rx) = async_mpsc::channel(1);
        let worker_options = options.clone();
        let worker = std::thread::Builder::new()
            .name("provkit-ble-central".into())
            .spawn(move || worker_main(&worker_options, &ready_tx, requests_rx))
            .map_err(|e| BleConnectError::Worker(e.to_string()))?;
        match ready_rx.recv() {
            Ok(Ok(info)) => Ok(Self {
                requests: Some(requests_tx),
                worker: Some(worker),
                info,
            }),
            Ok(Err(e)) => {
                let _ = worker.join();
                Err(e)
            }
            Err(_) => {
                let _ = worker.join();
                Err(BleConnectError::Worker(
                    "it stopped before reporting the device".into(),
                ))
            }
        }
    }

    /// The device: name, address, negotiated ATT MTU, endpoints.
    pub fn device(&self) -> &DeviceInfo {
        &self.info
    }
}

impl Transport for BleTransport {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        if body.is_empty() {
            return Err(TransportError::InvalidRequest("empty request body"));
        }
        let requests = self
            .requests
            .as_ref()
            .ok_or_else(|| TransportError::Disconnected("the BLE link is closed".into()))?;
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        requests
            .try_send(Request {
                endpoint: endpoint.to_string(),
                body: body.to_vec(),
                reply: reply_tx,
            })
            .map_err(|_| TransportError::Disconnected("the BLE link is down".into()))?;
        // The worker drops the reply sender unanswered when the link drops mid-request.
        reply_rx.recv().unwrap_or(Err(TransportError::NoResponse))
    }
}

impl Drop for BleTransport {
    fn drop(&mut self) {
        // Closing the request channel ends the session; the worker then disconnects.
        self.requests = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// A link error in the client's vocabulary: the device saying "no" (an ATT error) or
/// dropping the link is [`TransportError::NoResponse`], as a closed socket is over HTTP.
fn transport_error(error: LinkError) -> TransportError {
    match error {
        LinkError::Att(_) | LinkError::Disconnected => TransportError::NoResponse,
        LinkError::Timeout => TransportError::Timeout,
        LinkError::UnknownEndpoint => {
            TransportError::InvalidRequest("the device has no characteristic for this endpoint")
        }
        LinkError::BadLength(_) => {
            TransportError::InvalidRequest("a BLE request must be 1 to 512 bytes")
        }
        LinkError::EchoMismatch => {
            TransportError::Framing("the device echoed a queued-write part wrongly")
        }
        LinkError::Malformed => TransportError::Framing("malformed ATT answer"),
        LinkError::Host(what) => TransportError::Io(what),
    }
}

type Ready = mpsc::Sender<Result<DeviceInfo, BleConnectError>>;

fn worker_main(options: &BleOptions, ready: &Ready, requests: async_mpsc::Receiver<Request>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(BleConnectError::Worker(format!(
                "cannot start its runtime: {e}"
            ))));
            return;
        }
    };
    let mut address = [0u8; 6];
    if let Err(e) = getrandom::fill(&mut address) {
        let _ = ready.send(Err(BleConnectError::Worker(format!(
            "cannot pick a BLE address: {e}"
        ))));
        return;
    }
    runtime.block_on(async move {
        let mut requests = requests;
        let unreachable = |reason: std::io::Error| BleConnectError::ControllerUnreachable {
            controller: options.controller.to_string(),
            reason: reason.to_string(),
        };
        let outcome = match &options.controller {
            HciSpec::Tcp { host, port } => match hci::connect_tcp(host, *port).await {
                Ok(controller) => serve(controller, options, address, ready, &mut requests).await,
                Err(e) => Err(unreachable(e)),
            },
            HciSpec::Uart { path, baud } => match hci::open_uart(path, *baud) {
                Ok(controller) => serve(controller, options, address, ready, &mut requests).await,
                Err(e) => Err(unreachable(e)),
            },
        };
        // Before the device was reported this reaches `connect`; after, nobody listens.
        if let Err(e) = outcome {
            let _ = ready.send(Err(e));
        }
    });
}

/// Runs the central with the pool for the wanted MTU; `Err` before the device was reported.
async fn serve<C>(
    controller: C,
    options: &BleOptions,
    address: [u8; 6],
    ready: &Ready,
    requests: &mut async_mpsc::Receiver<Request>,
) -> Result<(), BleConnectError>
where
    C: trouble_host::Controller
        + bt_hci::controller::ControllerCmdSync<bt_hci::cmd::le::LeSetScanParams>,
{
    let config = CentralConfig {
        device_name: options.device_name.as_deref(),
        service: options.service,
        address,
        scan_timeout: embassy_time::Duration::from_millis(
            u64::try_from(options.scan_timeout.as_millis()).unwrap_or(u64::MAX),
        ),
    };
    let result = match options.mtu {
        AttMtu::Minimum => {
            central::run::<C, Mtu23Pool, _>(controller, &config, async |link| {
                session(link, ready, requests).await
            })
            .await
        }
        AttMtu::Large => {
            central::run::<C, Mtu517Pool, _>(controller, &config, async |link| {
                session(link, ready, requests).await
            })
            .await
        }
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) => Err(connect_error(e, options)),
    }
}

/// Reports the device, then answers requests until the transport is dropped.
async fn session<C: trouble_host::Controller, P: trouble_host::PacketPool>(
    link: &mut Link<'_, C, P>,
    ready: &Ready,
    requests: &mut async_mpsc::Receiver<Request>,
) {
    let _ = ready.send(Ok(link.info().clone()));
    while let Some(request) = requests.recv().await {
        let result = link
            .request(&request.endpoint, &request.body)
            .await
            .map_err(transport_error);
        let _ = request.reply.send(result);
    }
}

fn connect_error<E: fmt::Debug>(error: CentralError<E>, options: &BleOptions) -> BleConnectError {
    let controller = options.controller.to_string();
    match error {
        CentralError::ControllerSilent => BleConnectError::ControllerSilent { controller },
        CentralError::NotFound => BleConnectError::DeviceNotFound {
            wanted: match &options.device_name {
                Some(name) => format!("BLE device named \"{name}\""),
                None => "BLE device with the provisioning service".into(),
            },
            seconds: options.scan_timeout.as_secs(),
        },
        CentralError::Host(e) => {
            BleConnectError::Device(format!("the BLE host failed on {controller}: {e:?}"))
        }
        other => BleConnectError::Device(other.to_string()),
    }
}
