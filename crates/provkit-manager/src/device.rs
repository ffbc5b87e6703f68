//! [`Device`]: one [`Protocomm`] plus one [`Manager`], so a transport adapter makes one call
//! per request ([`Device::handle`]) and one per timer tick ([`Device::on_tick`]).
//!
//! ```text
//!  transport ──(client, endpoint, body)──► Device::handle
//!       Protocomm: proto-ver / prov-session / decrypt ──► Dispatch (RequestHandler)
//!            prov-config|prov-scan|prov-ctrl ──► provkit-wifi handlers ──► Manager
//!            custom endpoints ──► application closures
//!       ◄── encrypted response (or Err: no response, the framing closes)
//! ```
//! A request can queue actions (ApplyConfig → Connect after the delay, GetStatus → stop):
//! after every `handle`/`on_tick`, run [`crate::Runner::pump`] on `device.manager` and act on
//! the transport actions it returns.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use provkit_hal::Instant;
use provkit_protocomm::rand_core::CryptoRng;
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, HandlerError, Protocomm, RequestHandler, VersionInfo,
};

use crate::error::ManagerError;
use crate::manager::Manager;
use crate::types::ServiceInfo;

/// An application handler for a custom endpoint: decrypted request in, plaintext response out.
pub type CustomHandler = Box<dyn FnMut(&[u8]) -> Result<Vec<u8>, HandlerError>>;

/// Routes protocomm's `REQ_EP` requests to the manager or the application.
struct Dispatch<'a> {
    manager: &'a mut Manager,
    custom: &'a mut Vec<(String, CustomHandler)>,
    now: Instant,
}

impl RequestHandler for Dispatch<'_> {
    fn handle_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HandlerError> {
        if let Some(result) = self
            .manager
            .handle_wifi_request(endpoint, plaintext, self.now)
        {
            return result.map_err(|_| HandlerError::new("wifi endpoint rejected the request"));
        }
        if !self.manager.is_endpoint_registered(endpoint) {
            return Err(HandlerError::new("no handler registered"));
        }
        match self.custom.iter_mut().find(|(name, _)| name == endpoint) {
            Some((_, handler)) => handler(plaintext),
            None => Err(HandlerError::new("no handler registered")),
        }
    }
}

/// Protocomm + manager + custom endpoint handlers.
pub struct Device {
    /// The provisioning state machine.
    pub manager: Manager,
    protocomm: Option<Protocomm>,
    custom: Vec<(String, CustomHandler)>,
    base_version: VersionInfo,
}

impl Device {
    /// Wrap an initialised manager. `base_version` supplies `prov.ver` and the extra
    /// capabilities; app labels come from [`Manager::set_app_info`].
    pub fn new(manager: Manager, base_version: VersionInfo) -> Self {
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

    /// Build the protocomm instance for `security` from the manager's app info and custom
    /// endpoints. ESP adapters call [`Device::start`]; TI adapters call this when the NWP
    /// personality starts provisioning.
    pub fn open_protocomm(&mut self, security: DeviceSecurityConfig) -> Result<(), ManagerError> {
        let mut info = self.base_version.clone();
        for app in self.manager.app_info() {
            let caps: Vec<&str> = app.capabilities.iter().map(String::as_str).collect();
            info.set_app_info(&app.label, &app.version, &caps);
        }
        let mut protocomm = Protocomm::new(security, info);
        for name in self.manager.custom_endpoints() {
            protocomm
                .add_custom_endpoint(name)
                .map_err(ManagerError::Protocomm)?;
        }
        self.protocomm = Some(protocomm);
        Ok(())
    }

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
    pub fn register_endpoint(
        &mut self,
        name: &str,
        handler: CustomHandler,
    ) -> Result<(), ManagerError> {
        self.manager.endpoint_register(name)?;
        self.custom.retain(|(n, _)| n != name);
        self.custom.push((String::from(name), handler));
        Ok(())
    }

    /// One request from a transport. `Err` = send no response (the framing closes/drops).
    pub fn handle<R: CryptoRng>(
        &mut self,
        client: ClientId,
        endpoint: &str,
        body: &[u8],
        rng: &mut R,
        now: Instant,
    ) -> Result<Vec<u8>, ManagerError> {
        self.manager.on_tick(now);
        let protocomm = self.protocomm.as_mut().ok_or(ManagerError::WrongState {
            state: self.manager.state(),
            operation: "handle",
        })?;
        self.manager.on_client_activity(now);
        let mut dispatch = Dispatch {
            manager: &mut self.manager,
            custom: &mut self.custom,
            now,
        };
        protocomm
            .handle(client, endpoint, body, &mut dispatch, rng)
            .map_err(ManagerError::Protocomm)
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
