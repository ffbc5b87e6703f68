//! Whole-stack fixtures: the production device path (`provkit_manager::Device`: protocomm +
//! manager + provkit-wifi handlers) driven by `provkit_client::Client`, in memory through
//! provkit-e2e's `ManagedDevice`, or over loopback TCP through provkit-sim's real HTTP server.
//!
//! * [`RequestBench`]: an established sec2 session on `Device::handle`, with one recorded
//!   encrypted request that the device can answer again and again (patch 0 uses the same IV
//!   for every record, so a recorded request stays valid and the answer stays identical).
//! * [`inmem_provision`]: one full provisioning run (handshake, SetConfig, ApplyConfig,
//!   GetStatus polling until connected) in virtual time.
//! * [`InMemConnect`]: proto-ver + sec2 handshake, client and device in one thread — the
//!   crypto cost a session over HTTP cannot go below.
//! * [`http_sessions`]: N simulated devices, each its own HTTP server, driven from N threads.

use std::time::{Duration, Instant as WallInstant};

use provkit_client::http::HttpTransport;
use provkit_client::{
    Client, PollPolicy, Scheme, Secrets, Transport, TransportError, WifiCredentials, WifiStatus,
};
use provkit_e2e::device_path::{DeviceLink, ManagedDevice, SharedManaged};
use provkit_e2e::{DetRng, DeviceSetup};
use provkit_hal::Clock;
use provkit_protocomm::{ClientId, TransportKind};
use provkit_security::sec2::Sec2Patch;
use provkit_security::{DeviceSecurityConfig, generate_sec2_credentials};

/// The sec2 user name of every fixture here (the esp_prov example's).
pub const USER: &[u8] = b"wifiprov";
/// The sec2 password of every fixture here.
pub const PASSWORD: &[u8] = b"abcd1234";
/// The access point every fixture provisions (present in provkit-e2e's default environment).
pub const SSID: &str = "myssid";
/// Its passphrase.
pub const PASSPHRASE: &str = "mypassword";

const HTTP_CLIENT: ClientId = ClientId::new(TransportKind::Http, 7);

/// A sec2 device configuration for [`USER`]/[`PASSWORD`] (16-byte salt from a seeded RNG),
/// prepared (`DeviceSecurityConfig::prepare`, as `provkit sim` does) or not.
pub fn sec2_config(patch: Sec2Patch, prepared: bool) -> Result<DeviceSecurityConfig, String> {
    let (salt, verifier) = generate_sec2_credentials(
        USER,
        PASSWORD,
        16,
        provkit_security::VerifierConvention::EspIdf,
        &mut DetRng::seeded(17),
    )
    .map_err(|e| format!("sec2 credentials: {e:?}"))?;
    let config = DeviceSecurityConfig::Sec2 {
        salt,
        verifier,
        patch,
    };
    if prepared {
        config.prepare().map_err(|e| format!("prepare: {e}"))
    } else {
        Ok(config)
    }
}

/// The client's secrets matching [`sec2_config`].
pub fn sec2_secrets() -> Secrets {
    Secrets {
        username: Some(USER.to_vec()),
        password: Some(PASSWORD.to_vec()),
        ..Secrets::default()
    }
}

/// Which request [`RequestBench`] replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// `prov-config` GetStatus (before any ApplyConfig: "connecting"/idle answer).
    GetStatus,
    /// `prov-config` SetConfig with [`SSID`]/[`PASSPHRASE`].
    SetConfig,
}

impl RequestKind {
    /// `get-status` / `set-config`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "get-status" => Some(Self::GetStatus),
            "set-config" => Some(Self::SetConfig),
            _ => None,
        }
    }
}

/// Remembers the last request and answer going through a transport.
struct Recorder<T> {
    inner: T,
    last: Option<(String, Vec<u8>, Vec<u8>)>,
}

impl<T: Transport> Transport for Recorder<T> {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        let answer = self.inner.request(endpoint, body)?;
        self.last = Some((endpoint.to_string(), body.to_vec(), answer.clone()));
        Ok(answer)
    }
}

/// An established sec2 (patch 0) session on `Device::handle` and one recorded encrypted
/// request of [`RequestKind`] with the device's recorded answer.
pub struct RequestBench {
    device: SharedManaged,
    endpoint: String,
    request: Vec<u8>,
    response: Vec<u8>,
}

impl RequestBench {
    /// Builds the device (prepared sec2 patch 0), runs the client's handshake and one
    /// request of `kind` through `Device::handle`, and records that request and its answer.
    pub fn new(kind: RequestKind) -> Result<Self, String> {
        let config = sec2_config(Sec2Patch::Patch0, true)?;
        let device = ManagedDevice::start(DeviceSetup::new(config, 5));
        let mut client = Client::new(Recorder {
            inner: DeviceLink::new(&device, HTTP_CLIENT),
            last: None,
        });
        // Patch 0 on purpose (its fixed nonce lets one recorded request be replayed); the
        // client accepts it only when told.
        client.set_security_policy(provkit_client::SecurityPolicy {
            allow_sec2_patch0: true,
            ..provkit_client::SecurityPolicy::default()
        });
        let scheme = client
            .connect(&sec2_secrets(), None, &mut DetRng::seeded(6))
            .map_err(|e| format!("connect: {e}"))?;
        if scheme != Scheme::Sec2(Sec2Patch::Patch0) {
            return Err(format!("negotiated {scheme:?}, expected sec2 patch 0"));
        }
        match kind {
            RequestKind::GetStatus => {
                client.get_status().map_err(|e| format!("GetStatus: {e}"))?;
            }
            RequestKind::SetConfig => client
                .set_config(&WifiCredentials::new(SSID, PASSPHRASE))
                .map_err(|e| format!("SetConfig: {e}"))?,
        }
        let (endpoint, request, response) = client
            .into_transport()
            .last
            .ok_or("no request was recorded")?;
        Ok(Self {
            device,
            endpoint,
            request,
            response,
        })
    }

    /// The device answers the recorded request once more through `Device::handle`
    /// (decrypt, decode, handle, encode, encrypt); the answer must equal the recorded one.
    pub fn handle_once(&self) -> Result<(), String> {
        let mut guard = self.device.borrow_mut();
        let managed = &mut *guard;
        let now = managed.clock.now();
        let answer = managed
            .device
            .handle(
                HTTP_CLIENT,
                &self.endpoint,
                &self.request,
                &mut managed.rng,
                now,
            )
            .map_err(|e| format!("Device::handle: {e:?}"))?;
        if answer == self.response {
            Ok(())
        } else {
            Err("the device's answer differs from the recorded one".into())
        }
    }

    /// Size of the recorded encrypted request and answer, bytes.
    pub fn sizes(&self) -> (usize, usize) {
        (self.request.len(), self.response.len())
    }
}

/// One full in-memory provisioning run over `Device::handle` in virtual time: handshake,
/// SetConfig, ApplyConfig, GetStatus until connected; checks the IP the device reports and
/// that the credential store holds exactly the provisioned network.
pub fn inmem_provision(config: &DeviceSecurityConfig, seed: u64) -> Result<(), String> {
    let device = ManagedDevice::start(DeviceSetup::new(config.clone(), seed));
    let mut client = Client::new(DeviceLink::new(&device, HTTP_CLIENT));
    client
        .connect(&sec2_secrets(), None, &mut DetRng::seeded(seed ^ 0x5EED))
        .map_err(|e| format!("connect: {e}"))?;
    let info = client
        .provision(
            &WifiCredentials::new(SSID, PASSPHRASE),
            PollPolicy::default(),
            || {},
        )
        .map_err(|e| format!("provision: {e}"))?;
    if info.ip4_addr != "192.168.1.42" {
        return Err(format!("device reported IP {}", info.ip4_addr));
    }
    let stored = device.borrow();
    match stored.stored() {
        [profile] if profile.credentials.ssid.as_bytes() == SSID.as_bytes() => Ok(()),
        other => Err(format!(
            "store holds {} profiles, expected one",
            other.len()
        )),
    }
}

/// Client and device in one thread: proto-ver and the sec2 handshake, again and again on one
/// device (each `connect` replaces the previous session of the same client).
pub struct InMemConnect {
    client: Client<DeviceLink>,
    rng: DetRng,
}

impl InMemConnect {
    /// A device with `config` and a client on `Device::handle`.
    pub fn new(config: &DeviceSecurityConfig) -> Self {
        let device = ManagedDevice::start(DeviceSetup::new(config.clone(), 11));
        Self {
            client: Client::new(DeviceLink::new(&device, HTTP_CLIENT)),
            rng: DetRng::seeded(12),
        }
    }

    /// One more handshake (both sides) and one GetStatus, like a session of [`http_sessions`].
    pub fn session(&mut self) -> Result<(), String> {
        self.client.drop_session();
        self.client
            .connect(&sec2_secrets(), None, &mut self.rng)
            .map_err(|e| format!("connect: {e}"))?;
        check_idle_status(self.client.get_status())
    }
}

fn check_idle_status(
    status: Result<WifiStatus, provkit_client::ClientError>,
) -> Result<(), String> {
    match status {
        Ok(WifiStatus::Connected(_)) => Err("an unprovisioned device reported connected".into()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("GetStatus: {e}")),
    }
}

/// What [`http_sessions`] measured.
#[derive(Debug, Clone)]
pub struct HttpRun {
    /// Simulated devices, each its own server, and client threads (one per device).
    pub devices: usize,
    /// Sessions completed (proto-ver + handshake + one GetStatus, all checked).
    pub sessions: u64,
    /// Wall time from the first request to the last answer.
    pub elapsed: Duration,
}

impl HttpRun {
    /// Completed sessions per second.
    pub fn per_second(&self) -> f64 {
        self.sessions as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Starts `devices` provkit-sim devices (sec2 `config`, ESP personality, demo radio
/// environment, a file store in a fresh temporary directory), each behind its own real
/// `provkit_sim::http::HttpServer` on a loopback port, on one tokio runtime with two workers
/// (the device work runs on tokio's blocking pool, as in `provkit sim`). Then one thread per
/// device runs sessions with `provkit_client`'s `HttpTransport` — `proto-ver`, the sec2
/// handshake, one encrypted GetStatus — until each thread did `per_device` sessions or
/// `max_time` passed. Every answer is checked; the first failure ends the run with an error.
pub fn http_sessions(
    config: &DeviceSecurityConfig,
    devices: usize,
    per_device: u64,
    max_time: Duration,
) -> Result<HttpRun, String> {
    use provkit_sim::device::{DeviceOptions, SimDevice};
    use provkit_sim::env::RadioEnv;
    use provkit_sim::http::HttpServer;
    use provkit_sim::station::SimClock;
    use provkit_sim::store::FileStore;
    use std::sync::{Arc, Mutex};

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let scratch = std::env::temp_dir().join(format!("provkit-bench-{}", std::process::id()));
    let mut addresses = Vec::new();
    let mut stops = Vec::new();
    let mut servers = Vec::new();
    for index in 0..devices {
        let dir = scratch.join(index.to_string());
        std::fs::create_dir_all(&dir).map_err(|e| format!("temporary store: {e}"))?;
        let store = FileStore::open(&dir).map_err(|e| e.to_string())?;
        let env = RadioEnv::demo().map_err(|e| e.to_string())?;
        let mut seed = [0u8; 32];
        seed[0] = index as u8;
        let device = SimDevice::new(
            DeviceOptions::esp(config.clone(), &format!("PROV_BENCH{index}")),
            env,
            store,
            SimClock::wall(),
            Some(seed),
        )
        .map_err(|e| e.to_string())?;
        let device = Arc::new(Mutex::new(device));
        let server = runtime
            .block_on(HttpServer::bind(([127, 0, 0, 1], 0).into()))
            .map_err(|e| e.to_string())?;
        addresses.push(server.local_addr().map_err(|e| e.to_string())?.to_string());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        stops.push(stop);
        servers.push(runtime.spawn(async move {
            server
                .serve(device, async {
                    let _ = stopped.await;
                })
                .await
        }));
    }

    let start = WallInstant::now();
    let deadline = start + max_time;
    let threads: Vec<_> = addresses
        .into_iter()
        .enumerate()
        .map(|(index, address)| {
            std::thread::spawn(move || -> Result<u64, String> {
                let transport = HttpTransport::new(&address).with_timeout(Duration::from_secs(10));
                let mut client = Client::new(transport);
                let mut rng = DetRng::seeded(100 + index as u64);
                let mut done = 0;
                while done < per_device && WallInstant::now() < deadline {
                    client.drop_session();
                    client
                        .connect(&sec2_secrets(), None, &mut rng)
                        .map_err(|e| format!("device {index}: connect: {e}"))?;
                    check_idle_status(client.get_status())
                        .map_err(|e| format!("device {index}: {e}"))?;
                    done += 1;
                }
                Ok(done)
            })
        })
        .collect();
    let mut sessions = 0;
    let mut failure = None;
    for thread in threads {
        match thread.join() {
            Ok(Ok(n)) => sessions += n,
            Ok(Err(e)) => failure = Some(e),
            Err(_) => failure = Some("a client thread panicked".into()),
        }
    }
    let elapsed = start.elapsed();
    for stop in stops {
        let _ = stop.send(());
    }
    for server in servers {
        match runtime.block_on(server) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failure = failure.or(Some(e.to_string())),
            Err(e) => failure = failure.or(Some(format!("server task: {e}"))),
        }
    }
    drop(runtime);
    let _ = std::fs::remove_dir_all(&scratch);
    match failure {
        Some(e) => Err(e),
        None => Ok(HttpRun {
            devices,
            sessions,
            elapsed,
        }),
    }
}
