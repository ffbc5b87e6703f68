//! The same scenarios through `provkit_manager::Device` itself — the one-call-per-request
//! entry point adapters use — with the manager's [`Runner`] over the hal mocks.
//!
//! ```text
//!  provkit_client::Client ─▶ DeviceLink ──────────────(ClientId, endpoint, body)─┐
//!                         ─▶ DeviceConsoleLink ─▶ ConsoleFraming::accept_line ────┼▶ Device::handle
//!  Device.manager ─Actions─▶ Runner ─▶ SlowStation(MockStation) / MemoryStore      │   (protocomm +
//!                                                                                  ┘    Dispatch)
//! ```
//!
//! The framed paths (`Device::handle_http`, `ble_*`, `handle_console_line`) are what
//! [`crate::SimDevice`] uses; this module covers the other two ways in: [`DeviceLink`] is a
//! transport with no framing at all (one protocomm client per link, as a BLE connection or an
//! HTTP cookie session would be), and [`DeviceConsoleLink`] uses the console framing's
//! sans-I/O half [`ConsoleFraming::accept_line`] in front of `Device::handle`.

use std::cell::RefCell;
use std::rc::Rc;

use provkit_client::{Transport, TransportError};
use provkit_hal::mock::{ManualClock, MemoryStore};
use provkit_hal::{Clock, Instant, Profile};
use provkit_manager::{
    Action, AppEndpoints, Device, Esp, ManagerError, Personality, Role, Runner, Ti, TiCommand,
    TiConfig, TiStartParams,
};
use provkit_protocomm::console::{ConsoleFraming, format_line, format_response, parse_response};
use provkit_protocomm::{ClientId, TransportKind};

use crate::{
    Built, DetRng, DeviceSetup, SlowStation, build_device, build_ti_device, esp_start, pump_device,
};

/// `provkit_manager::Device` of either personality + runner + hal mocks + a console framing,
/// in virtual time.
pub struct ManagedDevice<P: Personality = Esp> {
    /// The production device (protocomm + manager + custom handlers).
    pub device: Device<P>,
    /// Executes the manager's actions on the station and store.
    pub runner: Runner<SlowStation, MemoryStore>,
    /// Virtual time.
    pub clock: Rc<ManualClock>,
    /// Console session rule and line limit.
    pub console: ConsoleFraming,
    /// Device randomness.
    pub rng: DetRng,
    /// Virtual time each exchange takes.
    pub step_ms: u64,
    /// Application events seen, in order.
    pub events: Vec<P::Event>,
    /// Transport-level actions the runner handed back (transports, TI role switches).
    pub transport_actions: Vec<Action>,
    /// Whether the provisioning transports are up.
    pub transports_up: bool,
    /// Bodies the custom endpoint handler received (the application's view).
    pub custom_received: Rc<RefCell<Vec<Vec<u8>>>>,
}

/// A shared managed device.
pub type SharedManaged<P = Esp> = Rc<RefCell<ManagedDevice<P>>>;

impl ManagedDevice {
    /// Builds the manager, wraps it in a `Device` and starts provisioning with
    /// `setup.security` (ESP `wifi_prov_mgr_start_provisioning`); custom endpoints are
    /// created before and registered after start, as the ESP API requires.
    pub fn start(setup: DeviceSetup) -> SharedManaged {
        let built = build_device(&setup, esp_start);
        Self::wrap(setup, built)
    }
}

impl ManagedDevice<Ti> {
    /// The TI personality behind a `Device<Ti>`: the NWP boots in `role`, the host starts
    /// provisioning with `params` (`sl_WlanProvisioning`), and the adapter opens protocomm
    /// with `setup.security` for the phone.
    pub fn start_ti(
        setup: DeviceSetup,
        config: TiConfig,
        role: Role,
        params: TiStartParams,
    ) -> SharedManaged<Ti> {
        let built = build_ti_device(&setup, config, move |device, security| {
            device.manager.device_started(role, Instant(0))?;
            device
                .manager
                .provisioning(TiCommand::Start(params), Instant(0))?;
            device.open_protocomm(security)
        });
        Self::wrap(setup, built)
    }
}

impl<P: AppEndpoints> ManagedDevice<P> {
    fn wrap(setup: DeviceSetup, built: Built<P>) -> SharedManaged<P> {
        let mut managed = Self {
            device: built.device,
            runner: built.runner,
            clock: built.clock,
            console: ConsoleFraming::with_max_line(setup.console_max_line),
            rng: setup.rng,
            step_ms: 500,
            events: Vec::new(),
            transport_actions: Vec::new(),
            transports_up: false,
            custom_received: built.custom_received,
        };
        managed.pump();
        Rc::new(RefCell::new(managed))
    }

    /// Virtual time, ms.
    pub fn now(&self) -> u64 {
        self.clock.now().as_millis()
    }

    /// What the credential store holds.
    pub fn stored(&self) -> &[Profile] {
        self.runner.store.profiles()
    }

    /// The next `n` connection attempts fail with reason 205 whatever the credentials.
    pub fn fail_next_connects(&mut self, n: u32) {
        self.runner.station.fail_next_connects(n);
    }

    fn pump(&mut self) {
        let now = self.clock.now();
        pump_device(
            &mut self.device,
            &mut self.runner,
            now,
            &mut self.transports_up,
            &mut self.transport_actions,
            &mut self.events,
        );
    }

    /// Lets `ms` of virtual time pass: radio events and manager timers fire at their instants.
    pub fn advance(&mut self, ms: u64) {
        let target = self.now() + ms;
        for _ in 0..10_000 {
            let manager_due = self.device.manager.next_deadline().map(Instant::as_millis);
            let radio_due = self.runner.station.next_event_at();
            let Some(due) = [manager_due, radio_due]
                .into_iter()
                .flatten()
                .filter(|at| *at <= target)
                .min()
            else {
                break;
            };
            self.clock.set(Instant(due));
            self.pump();
            if self.device.manager.next_deadline().map(Instant::as_millis) == manager_due
                && self.runner.station.next_event_at() == radio_due
            {
                break;
            }
        }
        self.clock.set(Instant(target));
        self.pump();
    }

    /// One request through `Device::handle` after [`Self::step_ms`] of virtual time.
    pub fn request(
        &mut self,
        client: ClientId,
        endpoint: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, ManagerError> {
        self.advance(self.step_ms);
        let now = self.clock.now();
        let result = self
            .device
            .handle(client, endpoint, body, &mut self.rng, now);
        self.pump();
        result
    }

    /// One console line: the framing's sans-I/O half, then `Device::handle`.
    pub fn console_line(&mut self, line: &[u8]) -> Option<String> {
        let endpoints = self.device.protocomm()?.endpoints().clone();
        let command = self.console.accept_line(line, &endpoints).ok()?;
        if let Some(old) = command.close_first {
            self.device.close_session(old);
        }
        self.request(command.client, command.endpoint, &command.body)
            .ok()
            .map(|body| format_response(&body))
    }
}

/// A transport straight onto `Device::handle`: one protocomm client per link.
pub struct DeviceLink<P: Personality = Esp> {
    device: SharedManaged<P>,
    /// The protocomm client this link speaks as.
    pub client: ClientId,
}

impl<P: AppEndpoints> DeviceLink<P> {
    /// A link speaking as `client`.
    pub fn new(device: &SharedManaged<P>, client: ClientId) -> Self {
        Self {
            device: Rc::clone(device),
            client,
        }
    }

    /// The client leaves (socket closed / BLE disconnect).
    pub fn disconnect(self) {
        self.device.borrow_mut().device.close_session(self.client);
    }
}

impl<P: AppEndpoints> Transport for DeviceLink<P> {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut device = self.device.borrow_mut();
        if !device.transports_up {
            return Err(TransportError::Disconnected("provisioning stopped".into()));
        }
        device
            .request(self.client, endpoint, body)
            .map_err(|_| TransportError::NoResponse)
    }
}

/// The console over `Device`: `<endpoint> <session-id> <hex>` lines, hex answers.
pub struct DeviceConsoleLink<P: Personality = Esp> {
    device: SharedManaged<P>,
    /// The session id typed on every line (esp_prov always uses 0).
    pub session_id: u32,
}

impl<P: AppEndpoints> DeviceConsoleLink<P> {
    /// A console client with session id `session_id`.
    pub fn new(device: &SharedManaged<P>, session_id: u32) -> Self {
        Self {
            device: Rc::clone(device),
            session_id,
        }
    }

    /// The console client this link's lines belong to.
    pub fn client(&self) -> ClientId {
        ClientId::new(TransportKind::Console, self.session_id)
    }
}

impl<P: AppEndpoints> Transport for DeviceConsoleLink<P> {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut line = format_line(endpoint, self.session_id, body);
        line.push('\r');
        let mut device = self.device.borrow_mut();
        if !device.transports_up {
            return Err(TransportError::Disconnected("provisioning stopped".into()));
        }
        let answer = device
            .console_line(line.as_bytes())
            .ok_or(TransportError::NoResponse)?;
        parse_response(&answer).map_err(|_| TransportError::Framing("bad hex answer"))
    }
}
