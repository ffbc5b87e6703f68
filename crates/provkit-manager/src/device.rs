//! [`Device`]: one [`Protocomm`] plus one [`Manager`] of either personality (ESP by default;
//! a TI device serves protocomm too), so a transport adapter makes one call per request and
//! one per timer tick ([`Device::on_tick`]). Adapters with protocomm's framings call
//! [`Device::handle_http`], [`Device::handle_console_line`] or the `ble_*` methods; adapters
//! with their own framing call [`Device::handle`] with a [`ClientId`]. The ESP API's start
//! and application endpoints are on `Device<Esp>` only.
//!
//! ```text
//!  HTTP/console/BLE framing ─┐
//!  transport ──(client, endpoint, body)──► Device::handle / with_framing
//!       Protocomm: proto-ver / prov-session / decrypt ──► Dispatch (RequestHandler)
//!            prov-config|prov-scan|prov-ctrl ──► provkit-wifi handlers ──► Manager
//!                 (scan pages capped per transport: ScanLimits::BLE for BLE clients)
//!                 └─► RequestHooks::after_wifi_request (adapter: pump, blocking scan)
//!            custom endpoints ──► registered closures, else RequestHooks::custom_request
//!       ◄── encrypted response (or Err: no response, the framing closes)
//! ```
//! A request can queue actions (ApplyConfig → Connect after the delay, GetStatus → stop):
//! after every `handle`/`on_tick`, run [`crate::Runner::pump`] on `device.manager` and act on
//! the transport actions it returns.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use provkit_hal::Instant;
use provkit_protocomm::ble::{AttErrorCode, GattTable};
use provkit_protocomm::console::ConsoleFraming;
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest};
use provkit_protocomm::rand_core::CryptoRng;
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, HandlerError, Protocomm, ProtocommEvent, RequestHandler,
    SecureRng, TransportKind, VersionInfo,
};
use provkit_wifi::ScanLimits;

use crate::error::ManagerError;
use crate::esp::{AppInfo, Esp};
use crate::machine::{Manager, Personality};
use crate::ti::Ti;
use crate::types::ServiceInfo;

/// The closure type of an application handler: decrypted request in, plaintext response out.
pub type CustomFn = dyn FnMut(&[u8]) -> Result<Vec<u8>, HandlerError>;
/// [`CustomFn`] that may move between threads (handlers of a [`SendDevice`]).
pub type SendCustomFn = dyn FnMut(&[u8]) -> Result<Vec<u8>, HandlerError> + Send;
/// An application handler for a custom endpoint.
pub type CustomHandler = Box<CustomFn>;
/// A `Send` application handler for a custom endpoint.
pub type SendCustomHandler = Box<SendCustomFn>;
/// A [`Device`] whose registered handlers are `Send`, so the whole device can live behind a
/// mutex shared by server threads.
pub type SendDevice<P = Esp> = Device<P, SendCustomFn>;

/// The handler closure types a [`Device`] can hold ([`CustomFn`], [`SendCustomFn`]).
pub trait EndpointFn {
    /// Run the handler on a decrypted request.
    fn call_endpoint(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, HandlerError>;
}

impl EndpointFn for CustomFn {
    fn call_endpoint(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, HandlerError> {
        self(plaintext)
    }
}

impl EndpointFn for SendCustomFn {
    fn call_endpoint(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, HandlerError> {
        self(plaintext)
    }
}

/// What protocomm serves for a personality besides the built-in endpoints: proto-ver labels
/// and application endpoints. ESP declares them (`set_app_info`, `endpoint_create`,
/// `endpoint_register`); TI has none.
pub trait AppEndpoints: Personality {
    /// Labels for the proto-ver JSON, in call order.
    fn app_info(manager: &Manager<Self>) -> &[AppInfo];
    /// Application endpoints, in creation order (BLE ids 0xFF54…).
    fn custom_endpoints(manager: &Manager<Self>) -> &[String];
    /// True if the application endpoint `name` has a handler right now.
    fn is_endpoint_registered(manager: &Manager<Self>, name: &str) -> bool;
}

impl AppEndpoints for Esp {
    fn app_info(manager: &Manager<Self>) -> &[AppInfo] {
        manager.app_info()
    }

    fn custom_endpoints(manager: &Manager<Self>) -> &[String] {
        manager.custom_endpoints()
    }

    fn is_endpoint_registered(manager: &Manager<Self>, name: &str) -> bool {
        manager.is_endpoint_registered(name)
    }
}

impl AppEndpoints for Ti {
    fn app_info(_: &Manager<Self>) -> &[AppInfo] {
        &[]
    }

    fn custom_endpoints(_: &Manager<Self>) -> &[String] {
        &[]
    }

    fn is_endpoint_registered(_: &Manager<Self>, _: &str) -> bool {
        false
    }
}

/// Per-call adapter hooks into request dispatch. Registered closures ([`CustomHandler`]) are
/// boxed without `Send`; an adapter whose device must be `Send` (a threaded server), or whose
/// handling needs its own state (station, clock), serves its endpoints here instead.
pub trait RequestHooks<P = Esp> {
    /// A request for an application endpoint that has no registered closure. The default
    /// refuses it (no response).
    fn custom_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HandlerError> {
        let _ = (endpoint, plaintext);
        Err(HandlerError::new("no handler registered"))
    }

    /// A built-in endpoint (`prov-config`/`prov-scan`/`prov-ctrl`) answered; its actions are
    /// queued on `manager`. Runs before the response is encrypted and sent, so an adapter can
    /// execute them here (e.g. hold a `blocking` ScanStart until the scan finished, as the
    /// reference does). The default does nothing.
    fn after_wifi_request(&mut self, manager: &mut Manager<P>, endpoint: &str, plaintext: &[u8]) {
        let _ = (manager, endpoint, plaintext);
    }
}

/// [`RequestHooks`] with every default: only registered closures serve custom endpoints.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl<P> RequestHooks<P> for NoHooks {}

/// The scan page limits for a transport: BLE characteristics hold 4 entries per page;
/// HTTP and the console carry the whole list.
pub fn scan_limits_for(transport: TransportKind) -> ScanLimits {
    match transport {
        TransportKind::Ble => ScanLimits::BLE,
        TransportKind::Http | TransportKind::Console => ScanLimits::HTTP,
    }
}

/// Routes protocomm's `REQ_EP` requests to the manager or the application.
struct Dispatch<'a, P, F: ?Sized> {
    manager: &'a mut Manager<P>,
    custom: &'a mut Vec<(String, Box<F>)>,
    hooks: &'a mut dyn RequestHooks<P>,
    limits: ScanLimits,
    now: Instant,
}

impl<P: AppEndpoints, F: EndpointFn + ?Sized> RequestHandler for Dispatch<'_, P, F> {
    fn handle_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HandlerError> {
        if let Some(result) =
            self.manager
                .handle_wifi_request_with_limits(endpoint, plaintext, self.limits, self.now)
        {
            let response =
                result.map_err(|_| HandlerError::new("wifi endpoint rejected the request"))?;
            self.hooks
                .after_wifi_request(self.manager, endpoint, plaintext);
            return Ok(response);
        }
        if !P::is_endpoint_registered(self.manager, endpoint) {
            return Err(HandlerError::new("no handler registered"));
        }
        match self.custom.iter_mut().find(|(name, _)| name == endpoint) {
            Some((_, handler)) => handler.call_endpoint(plaintext),
            None => self.hooks.custom_request(endpoint, plaintext),
        }
    }
}

/// One BLE Write Request: which connection wrote which characteristic with what value.
#[derive(Debug, Clone, Copy)]
pub struct BleWrite<'a> {
    /// The GATT connection handle (the protocomm session id).
    pub connection: u16,
    /// Index of the characteristic in the [`GattTable`].
    pub index: usize,
    /// The written value.
    pub data: &'a [u8],
}

/// Protocomm + manager (personality `P`: ESP by default) + custom endpoint handlers (closures
/// of type `F`: [`CustomFn`] by default, [`SendCustomFn`] for a [`SendDevice`]).
pub struct Device<P = Esp, F: ?Sized = CustomFn> {
    /// The provisioning state machine.
    pub manager: Manager<P>,
    protocomm: Option<Protocomm>,
    custom: Vec<(String, Box<F>)>,
    base_version: VersionInfo,
}

impl<P: AppEndpoints> Device<P> {
    /// Wrap an initialised manager. `base_version` supplies `prov.ver` and the extra
    /// capabilities; app labels come from [`crate::EspManager::set_app_info`].
    pub fn new(manager: Manager<P>, base_version: VersionInfo) -> Self {
        Self::with_handlers(manager, base_version)
    }
}

impl<P: AppEndpoints> SendDevice<P> {
    /// [`Device::new`] for a device whose handlers (and so the device) are `Send`.
    pub fn new_send(manager: Manager<P>, base_version: VersionInfo) -> Self {
        Self::with_handlers(manager, base_version)
    }
}

impl<P: AppEndpoints, F: EndpointFn + ?Sized> Device<P, F> {
    fn with_handlers(manager: Manager<P>, base_version: VersionInfo) -> Self {
        Self {
            manager,
            protocomm: None,
            custom: Vec::new(),
            base_version,
        }
    }

    /// The running protocomm instance (None while idle).
    pub fn protocomm(&self) -> Option<&Protocomm> {
        self.protocomm.as_ref()
    }

    /// The running protocomm instance, mutable: for settings such as
    /// [`Protocomm::set_throttle`] or [`Protocomm::set_owner_idle_timeout`] (None while idle).
    pub fn protocomm_mut(&mut self) -> Option<&mut Protocomm> {
        self.protocomm.as_mut()
    }

    /// The next protocomm event (failed PoP/password proof, brute-force lockout), oldest
    /// first, so the application can log or display it. None while idle or when drained.
    pub fn poll_protocomm_event(&mut self) -> Option<ProtocommEvent> {
        self.protocomm.as_mut()?.poll_event()
    }

    /// Build the protocomm instance for `security` from the manager's app info and custom
    /// endpoints. ESP adapters call [`Device::start`]; TI adapters call this when the NWP
    /// personality starts provisioning.
    pub fn open_protocomm(&mut self, security: DeviceSecurityConfig) -> Result<(), ManagerError> {
        let mut info = self.base_version.clone();
        for app in P::app_info(&self.manager) {
            let caps: Vec<&str> = app.capabilities.iter().map(String::as_str).collect();
            info.set_app_info(&app.label, &app.version, &caps);
        }
        let mut protocomm = Protocomm::new(security, info);
        for name in P::custom_endpoints(&self.manager) {
            protocomm
                .add_custom_endpoint(name)
                .map_err(ManagerError::Protocomm)?;
        }
        sync_registrations(&self.manager, &mut protocomm);
        self.protocomm = Some(protocomm);
        Ok(())
    }

    /// One request from a transport. `Err` = send no response (the framing closes/drops).
    /// Scan pages are capped for `client`'s transport ([`scan_limits_for`]).
    pub fn handle<R: CryptoRng>(
        &mut self,
        client: ClientId,
        endpoint: &str,
        body: &[u8],
        rng: &mut R,
        now: Instant,
    ) -> Result<Vec<u8>, ManagerError> {
        self.with_framing(client.transport, now, &mut NoHooks, |protocomm, handler| {
            protocomm
                .handle(client, endpoint, body, handler, rng, now)
                .map_err(ManagerError::Protocomm)
        })
        .ok_or(ManagerError::WrongState {
            state: self.manager.state(),
            operation: "handle",
        })?
    }

    /// The general entry for framings: ticks the manager, marks client activity and runs `f`
    /// with the protocomm instance and the request dispatcher (scan limits of `transport`,
    /// `hooks` for the adapter); `f` hands `now` on to protocomm. `None` while idle (no
    /// protocomm; the transports are down).
    pub fn with_framing<T>(
        &mut self,
        transport: TransportKind,
        now: Instant,
        hooks: &mut dyn RequestHooks<P>,
        f: impl FnOnce(&mut Protocomm, &mut dyn RequestHandler) -> T,
    ) -> Option<T> {
        self.manager.on_tick(now);
        let protocomm = self.protocomm.as_mut()?;
        // Handlers come and go at run time (`endpoint_register` / `_unregister` on the
        // manager): protocomm must see the current set so HTTP answers 404 for the others.
        sync_registrations(&self.manager, protocomm);
        self.manager.on_client_activity(now);
        let limits = ScanLimits {
            max_entries: u32::try_from(self.manager.max_scan_results()).unwrap_or(u32::MAX),
            ..scan_limits_for(transport)
        };
        let mut dispatch = Dispatch {
            manager: &mut self.manager,
            custom: &mut self.custom,
            hooks,
            limits,
            now,
        };
        Some(f(protocomm, &mut dispatch))
    }

    /// One HTTP request through protocomm's cookie/socket framing. While idle the URI does
    /// not exist, so the socket is closed without a response.
    pub fn handle_http<R: SecureRng + ?Sized>(
        &mut self,
        framing: &mut HttpFraming,
        request: &HttpRequest<'_>,
        hooks: &mut dyn RequestHooks<P>,
        rng: &mut R,
        now: Instant,
    ) -> HttpOutcome {
        self.with_framing(TransportKind::Http, now, hooks, |protocomm, handler| {
            framing.handle(protocomm, request, handler, rng, now)
        })
        .unwrap_or(HttpOutcome::Close)
    }

    /// One console line through protocomm's console framing: `Some(text)` is printed,
    /// `None` prints nothing (also while idle).
    pub fn handle_console_line<R: SecureRng + ?Sized>(
        &mut self,
        framing: &mut ConsoleFraming,
        line: &[u8],
        hooks: &mut dyn RequestHooks<P>,
        rng: &mut R,
        now: Instant,
    ) -> Option<String> {
        self.with_framing(TransportKind::Console, now, hooks, |protocomm, handler| {
            framing.handle_line(protocomm, line, handler, rng, now)
        })
        .flatten()
    }

    /// A BLE central connected at `now`: open its session (refused while another client owns
    /// one).
    pub fn ble_connect(
        &mut self,
        gatt: &mut GattTable,
        connection: u16,
        now: Instant,
    ) -> Result<(), ManagerError> {
        let protocomm = self.protocomm.as_mut().ok_or(ManagerError::WrongState {
            state: self.manager.state(),
            operation: "ble_connect",
        })?;
        gatt.on_connect(connection, protocomm, now)
            .map_err(ManagerError::Protocomm)
    }

    /// A BLE central disconnected: drop its queued long write and its session.
    pub fn ble_disconnect(&mut self, gatt: &mut GattTable, connection: u16) {
        if let Some(protocomm) = self.protocomm.as_mut() {
            gatt.on_disconnect(connection, protocomm);
        }
    }

    /// A BLE Write Request of a whole value to characteristic `index` (scan pages capped to
    /// BLE's 4 entries). While idle the attribute is gone: `InvalidHandle`.
    pub fn ble_write<R: SecureRng + ?Sized>(
        &mut self,
        gatt: &mut GattTable,
        write: BleWrite<'_>,
        hooks: &mut dyn RequestHooks<P>,
        rng: &mut R,
        now: Instant,
    ) -> Result<(), AttErrorCode> {
        self.with_framing(TransportKind::Ble, now, hooks, |protocomm, handler| {
            gatt.write(
                write.connection,
                write.index,
                write.data,
                protocomm,
                handler,
                rng,
                now,
            )
        })
        .unwrap_or(Err(AttErrorCode::InvalidHandle))
    }

    /// A BLE Execute Write Request (`commit == false` cancels the queued long write).
    pub fn ble_execute_write<R: SecureRng + ?Sized>(
        &mut self,
        gatt: &mut GattTable,
        connection: u16,
        commit: bool,
        hooks: &mut dyn RequestHooks<P>,
        rng: &mut R,
        now: Instant,
    ) -> Result<(), AttErrorCode> {
        self.with_framing(TransportKind::Ble, now, hooks, |protocomm, handler| {
            gatt.execute_write(connection, commit, protocomm, handler, rng, now)
        })
        .unwrap_or(Err(AttErrorCode::InvalidHandle))
    }

    /// A client left its transport (socket closed, BLE disconnect).
    pub fn close_session(&mut self, client: ClientId) {
        if let Some(protocomm) = self.protocomm.as_mut() {
            protocomm.close_session(client);
        }
    }

    /// Timer tick; drops protocomm once the manager is idle again (transports are down).
    pub fn on_tick(&mut self, now: Instant) {
        self.manager.on_tick(now);
        if self.manager.is_idle() {
            self.protocomm = None;
        }
    }
}

impl<F: EndpointFn + ?Sized> Device<Esp, F> {
    /// `wifi_prov_mgr_start_provisioning(security, params, service_name, service_key)`.
    pub fn start(
        &mut self,
        security: DeviceSecurityConfig,
        service: ServiceInfo,
        now: Instant,
    ) -> Result<(), ManagerError> {
        self.manager.start(service, now)?;
        if let Err(e) = self.open_protocomm(security) {
            // Reference: a failed start leaves the manager idle.
            self.manager.deinit_transports_after_failed_start(now);
            return Err(e);
        }
        Ok(())
    }

    /// `wifi_prov_mgr_endpoint_register`: attach the application's handler.
    pub fn register_endpoint(&mut self, name: &str, handler: Box<F>) -> Result<(), ManagerError> {
        self.manager.endpoint_register(name)?;
        self.custom.retain(|(n, _)| n != name);
        self.custom.push((String::from(name), handler));
        Ok(())
    }
}

/// Tells protocomm which created custom endpoints have a registered handler right now.
fn sync_registrations<P: AppEndpoints>(manager: &Manager<P>, protocomm: &mut Protocomm) {
    for name in P::custom_endpoints(manager) {
        // Only fails for names protocomm does not know, which open_protocomm added.
        let _ = protocomm.set_endpoint_registered(name, P::is_endpoint_registered(manager, name));
    }
}
