//! The captive portal on the engine (feature `portal`): provkit-portal's [`Portal`] beside
//! protocomm on the SoftAP's HTTP server, over the **same** device — one provisioning attempt
//! at a time whichever path it comes from, the same manager events, the same brute-force
//! throttle as the protocomm handshake.
//!
//! ```text
//!  EngineHttp::request ─► portal enabled and Portal::serves(target)?
//!        │ yes                                          │ no
//!        ▼                                              ▼
//!  lock: Portal::handle(EspBackend(device), request)   Engine::http (protocomm)
//!        └─► wake the run loop (a scan or an attempt the portal queued runs at once)
//! ```
//!
//! Off until the application calls [`Engine::enable_portal`]; a firmware built with the
//! feature but never enabling it serves protocomm only. The DNS half of the portal
//! (`provkit_portal::dns::respond`) needs no device and runs in the adapter's UDP task.

use embassy_sync::blocking_mutex::raw::RawMutex;
use provkit_hal::Clock;
use provkit_http::Response;
use provkit_portal::{EspBackend, Portal, PortalRequest};
use provkit_protocomm::{ClientId, SecureRng, TransportKind};

use crate::{Engine, State};

impl<M: RawMutex, R: SecureRng, K: Clock> Engine<M, R, K> {
    /// Serves `portal` beside protocomm from now on (replacing one enabled before).
    pub fn enable_portal(&self, portal: Portal) {
        self.lock(|state| state.portal = Some(portal));
    }

    /// Stops serving the portal; its paths go to protocomm again (which answers 404).
    pub fn disable_portal(&self) -> Option<Portal> {
        self.lock(|state| state.portal.take())
    }

    /// Whether the portal is enabled.
    pub fn portal_enabled(&self) -> bool {
        self.lock(|state| state.portal.is_some())
    }

    /// One HTTP request for the portal: its response, or `None` when the portal is off or
    /// `target` is not one of its paths ([`Portal::serves`]) — the request is protocomm's
    /// then. `connection` names the client for the throttle's events.
    pub fn portal_http(
        &self,
        method: &str,
        target: &str,
        body: &[u8],
        connection: u32,
    ) -> Option<Response> {
        if !Portal::serves(target) {
            return None;
        }
        let now = self.clock.now();
        let response = self.lock(|state| {
            let State { device, portal, .. } = &mut *state;
            let portal = portal.as_mut()?;
            let request = PortalRequest {
                method,
                target,
                body,
                client: ClientId::new(TransportKind::Http, connection),
            };
            Some(portal.handle(&mut EspBackend::new(device), &request, now))
        });
        if response.is_some() {
            // A scan or an attempt the portal queued is executed at once, as after protocomm.
            self.wake.signal(());
        }
        response
    }
}
