//! The protocomm core: endpoint dispatch, the one active security session, and which client
//! owns it (spec §1, §4.0, §4.5).
//!
//! ```text
//!  framing (HTTP / BLE / console)
//!     │  handle(client, endpoint, body)
//!     ▼
//!  ┌───────────── Protocomm ─────────────┐
//!  │ proto-ver    → cached JSON          │  no session needed
//!  │ prov-session → claim(client) →      │  DeviceSession::handle_session
//!  │ REQ_EP       → owner? established?  │  decrypt → RequestHandler → encrypt
//!  └─────────────────────────────────────┘
//!     │  Ok(body)  |  Err(_) = "send nothing"
//! ```
//!
//! # Sessions and ownership
//!
//! Like ESP-IDF there is exactly one security session. It belongs to one [`ClientId`] (a
//! transport plus that transport's session handle: HTTP cookie id, BLE connection handle,
//! console session number).
//!
//! * A `prov-session` request from a client that is not the current one opens a fresh session
//!   for it, replacing the old one — *unless* the current session is established and belongs to
//!   a client of a **different transport**. Then the newcomer is refused
//!   ([`ProtocommError::SessionOwnedElsewhere`], i.e. no answer, the way the reference treats a
//!   stale session) until the owner's session ends through [`Protocomm::close_session`] or
//!   the owner goes idle (see *Owner idle timeout* below). Within
//!   one transport the reference rule stays: a new transport session replaces the old one
//!   (the HTTP server keeps one socket, a BLE link is one connection, a new console id restarts).
//!   A half-finished handshake never blocks anybody.
//! * `Command0` on the current session restarts its handshake (inside `provkit-security`).
//! * `REQ_EP` requests are served only for the current client once its handshake completed;
//!   anything else gets no answer ([`ProtocommError::NoSession`]).
//! * Security 0 has no handshake: the first client that touches `prov-session` or a `REQ_EP`
//!   endpoint opens (and thereby owns) the session; bodies pass through unencrypted.
//! * `proto-ver` is answered to anyone, always, without touching the session.
//!
//! # Owner idle timeout
//!
//! An HTTP session never ends by itself: closing the socket only drops its binding, the cookie
//! keeps the session, and the ESP default runs without a provisioning window. So an owner that
//! went quiet would lock the other transports out forever. Every request the owner makes
//! (any endpoint but `proto-ver`) stamps its session with the time of that request; once
//! [`Protocomm::owner_idle_timeout_ms`] (default [`Protocomm::DEFAULT_OWNER_IDLE_TIMEOUT_MS`], 60 s) has
//! passed without one, the owner counts as gone and a client of another transport may claim
//! the slot. Until somebody else claims it the idle owner keeps working.
//! [`Protocomm::set_owner_idle_timeout`] changes or (`None`) disables the timeout.
//!
//! # Brute-force throttling
//!
//! Failed PoP / password proofs are counted; too many within a window lock `prov-session` for
//! a doubling back-off (see [`crate::throttle`], on by default with [`Throttle::DEFAULT`]).
//! Time is an argument of every call that needs it ([`Protocomm::handle`],
//! [`Protocomm::open_session`], [`Protocomm::locked_until`]), the adapter's monotonic clock in
//! [`Instant`]s; nothing here keeps a clock of its own, so throttles and owner timeouts behave
//! the same on every target. Lockouts and failures are reported through
//! [`Protocomm::poll_event`].

use alloc::string::String;
use alloc::vec::Vec;

use crate::endpoint::{EndpointClass, EndpointTable};
use crate::error::{HandlerError, ProtocommError};
use crate::proto_ver::{VersionInfo, render_proto_ver};
use crate::throttle::{ProtocommEvent, Throttle, ThrottleState};
use provkit_hal::Instant;
use provkit_security::{DeviceSecurityConfig, DeviceSession, SecureRng, SecurityError};

/// The transport a client came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// SoftAP HTTP; the id is the session cookie value.
    Http,
    /// BLE GATT; the id is the connection handle.
    Ble,
    /// Serial console; the id is the session number typed by the client.
    Console,
}

/// One transport session: which transport, and that transport's session handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientId {
    /// Transport kind.
    pub transport: TransportKind,
    /// Transport-specific session handle.
    pub id: u32,
}

impl ClientId {
    /// Shorthand constructor.
    pub const fn new(transport: TransportKind, id: u32) -> Self {
        Self { transport, id }
    }
}

/// What a `REQ_EP` request is dispatched to (the manager implements it; tests implement it).
pub trait RequestHandler {
    /// `plaintext` is the decrypted body; return the plaintext response. Err => no response
    /// (HTTP closes the connection, like the reference).
    fn handle_request(&mut self, endpoint: &str, plaintext: &[u8])
    -> Result<Vec<u8>, HandlerError>;
}

/// The session slot: who owns it and its security state.
struct ActiveSession {
    client: ClientId,
    session: DeviceSession,
    /// Time (ms) of the owner's last request; drives the owner idle timeout.
    last_activity_ms: u64,
}

/// Endpoint table + the one active security session + the proto-ver JSON.
pub struct Protocomm {
    security: DeviceSecurityConfig,
    version_info: VersionInfo,
    proto_ver_body: String,
    endpoints: EndpointTable,
    active: Option<ActiveSession>,
    /// Set by the first request: from then on the table is what the transports were built from.
    frozen: bool,
    /// Failed-proof counting and lockouts.
    throttle: ThrottleState,
    /// After this long without a request an owner may be displaced by another transport.
    owner_idle_timeout_ms: Option<u64>,
    /// Custom endpoints that exist in the table but have no handler registered yet
    /// (`wifi_prov_mgr_endpoint_create` without `_register`): treated as absent.
    unregistered: Vec<String>,
}

impl Protocomm {
    /// Default [`Self::owner_idle_timeout_ms`]: 60 s without a request from the owner.
    pub const DEFAULT_OWNER_IDLE_TIMEOUT_MS: u64 = 60_000;

    /// A device with the five standard endpoints, the given security scheme and proto-ver info.
    pub fn new(security: DeviceSecurityConfig, version_info: VersionInfo) -> Self {
        let proto_ver_body = render_proto_ver(&security, &version_info);
        Self {
            security,
            version_info,
            proto_ver_body,
            endpoints: EndpointTable::new(),
            active: None,
            frozen: false,
            throttle: ThrottleState::new(Some(Throttle::DEFAULT)),
            owner_idle_timeout_ms: Some(Self::DEFAULT_OWNER_IDLE_TIMEOUT_MS),
            unregistered: Vec::new(),
        }
    }

    /// Sets the owner idle timeout (ms; `None` = an owner is never displaced by idleness, the
    /// reference behaviour). See the module docs.
    pub fn set_owner_idle_timeout(&mut self, timeout_ms: Option<u64>) {
        self.owner_idle_timeout_ms = timeout_ms;
    }

    /// The owner idle timeout in force (ms), if any.
    pub fn owner_idle_timeout_ms(&self) -> Option<u64> {
        self.owner_idle_timeout_ms
    }

    /// Marks custom endpoint `name` as having (`true`) or lacking (`false`) a registered
    /// handler. An unregistered endpoint keeps its place in the table (BLE characteristic,
    /// id) but is treated as absent: HTTP answers 404, [`Self::handle`] refuses it with
    /// [`ProtocommError::UnknownEndpoint`]. Endpoints start registered; the five standard
    /// ones cannot be unregistered. Allowed after start (registration happens at run time).
    pub fn set_endpoint_registered(
        &mut self,
        name: &str,
        registered: bool,
    ) -> Result<(), ProtocommError> {
        let endpoint = self
            .endpoints
            .lookup(name)
            .ok_or(ProtocommError::UnknownEndpoint)?;
        if endpoint.class != EndpointClass::Request || is_standard_endpoint(name) {
            return Err(ProtocommError::UnknownEndpoint);
        }
        let listed = self.unregistered.iter().any(|n| n == name);
        if registered && listed {
            self.unregistered.retain(|n| n != name);
        } else if !registered && !listed {
            self.unregistered.push(String::from(name));
        }
        Ok(())
    }

    /// True if `name` is in the table and served (a custom endpoint must be registered).
    pub fn is_endpoint_served(&self, name: &str) -> bool {
        self.endpoints.lookup(name).is_some() && !self.unregistered.iter().any(|n| n == name)
    }

    /// Replaces the brute-force throttle configuration; `None` turns throttling off (the
    /// reference behaviour). Turning it off also lifts a running lockout.
    pub fn set_throttle(&mut self, throttle: Option<Throttle>) {
        self.throttle.set_config(throttle);
    }

    /// The brute-force throttle in force, if any.
    pub fn throttle(&self) -> Option<Throttle> {
        self.throttle.config()
    }

    /// End (ms) of the brute-force lockout in force at `now`, if `prov-session` is locked.
    pub fn locked_until(&self, now: Instant) -> Option<u64> {
        self.throttle.locked_until(now.as_millis())
    }

    /// The next throttling event (failed proof, lockout), oldest first. At most
    /// [`crate::throttle::MAX_QUEUED_EVENTS`] are kept if the application never drains them.
    pub fn poll_event(&mut self) -> Option<ProtocommEvent> {
        self.throttle.poll_event()
    }

    /// Custom endpoints: created before start (BLE ids 0xFF54.. in creation order).
    ///
    /// Fails with [`ProtocommError::TableFrozen`] once a request has been handled.
    pub fn add_custom_endpoint(&mut self, name: &str) -> Result<u16, ProtocommError> {
        if self.frozen {
            return Err(ProtocommError::TableFrozen);
        }
        self.endpoints.add_custom(name)
    }

    /// The endpoint table (for building GATT tables and URI routes).
    pub fn endpoints(&self) -> &EndpointTable {
        &self.endpoints
    }

    /// The security configuration the device runs.
    pub fn security_config(&self) -> &DeviceSecurityConfig {
        &self.security
    }

    /// The proto-ver information the JSON was built from.
    pub fn version_info(&self) -> &VersionInfo {
        &self.version_info
    }

    /// The `proto-ver` response body.
    pub fn proto_ver_body(&self) -> &[u8] {
        self.proto_ver_body.as_bytes()
    }

    /// The client holding the session slot, if any (established or mid-handshake).
    pub fn session_client(&self) -> Option<ClientId> {
        self.active.as_ref().map(|a| a.client)
    }

    /// True if `client` holds an established session (always true for a sec0 holder).
    pub fn is_established(&self, client: ClientId) -> bool {
        self.active
            .as_ref()
            .is_some_and(|a| a.client == client && self.holds_established(a))
    }

    /// Core entry: a request on endpoint `endpoint` from `client` at `now` -> Ok(response body)
    /// | Err (no response; the framing decides close/disconnect).
    pub fn handle<R: SecureRng + ?Sized>(
        &mut self,
        client: ClientId,
        endpoint: &str,
        body: &[u8],
        handler: &mut dyn RequestHandler,
        rng: &mut R,
        now: Instant,
    ) -> Result<Vec<u8>, ProtocommError> {
        let now_ms = now.as_millis();
        if !self.is_endpoint_served(endpoint) {
            return Err(ProtocommError::UnknownEndpoint);
        }
        let class = self
            .endpoints
            .lookup(endpoint)
            .ok_or(ProtocommError::UnknownEndpoint)?
            .class;
        self.frozen = true;
        match class {
            EndpointClass::Version => Ok(self.proto_ver_body.as_bytes().to_vec()),
            EndpointClass::Session => {
                // Checked before claiming, so a locked device does not even drop the slot.
                self.throttle.check(now_ms)?;
                let active = self.claim(client, now_ms)?;
                active.last_activity_ms = now_ms;
                let result = active.session.handle_session(body, rng);
                let established = active.session.is_established();
                match &result {
                    Err(SecurityError::AuthenticationFailed) => {
                        self.throttle.record_failure(client, now_ms);
                    }
                    Ok(_) if established => self.throttle.record_success(),
                    _ => {}
                }
                Ok(result?)
            }
            EndpointClass::Request => self.handle_request(client, endpoint, body, handler, now_ms),
        }
    }

    /// Explicitly opens a session for `client` at `now`, as transports do when a client
    /// appears (BLE connect, a new HTTP cookie). Keeps an existing session of the same client;
    /// refuses while another transport's client owns an established session.
    pub fn open_session(&mut self, client: ClientId, now: Instant) -> Result<(), ProtocommError> {
        self.claim(client, now.as_millis()).map(|_| ())
    }

    /// The transport tells protocomm that `client` left (socket evicted, BLE disconnect, ...).
    /// Ends its session if it holds one; other clients' sessions are untouched.
    pub fn close_session(&mut self, client: ClientId) {
        if self.active.as_ref().is_some_and(|a| a.client == client) {
            self.active = None;
        }
    }

    fn is_sec0(&self) -> bool {
        matches!(self.security, DeviceSecurityConfig::Sec0)
    }

    fn holds_established(&self, active: &ActiveSession) -> bool {
        self.is_sec0() || active.session.is_established()
    }

    /// True if `active`'s owner has been quiet for the owner idle timeout or longer at `now_ms`.
    fn owner_idle(&self, active: &ActiveSession, now_ms: u64) -> bool {
        self.owner_idle_timeout_ms
            .is_some_and(|timeout| now_ms.saturating_sub(active.last_activity_ms) >= timeout)
    }

    /// True if another transport's live established session keeps `client` out.
    fn blocked_by_owner(&self, active: &ActiveSession, client: ClientId, now_ms: u64) -> bool {
        active.client.transport != client.transport
            && self.holds_established(active)
            && !self.owner_idle(active, now_ms)
    }

    /// Returns the session slot for `client`, opening a fresh session if the slot is free, held
    /// by a half-finished handshake, by another client of the same transport, or by an owner
    /// idle past the timeout.
    fn claim(
        &mut self,
        client: ClientId,
        now_ms: u64,
    ) -> Result<&mut ActiveSession, ProtocommError> {
        let replace = match &self.active {
            Some(a) if a.client == client => false,
            Some(a) if self.blocked_by_owner(a, client, now_ms) => {
                return Err(ProtocommError::SessionOwnedElsewhere);
            }
            _ => true,
        };
        if replace {
            self.active = Some(ActiveSession {
                client,
                session: DeviceSession::new(self.security.clone()),
                last_activity_ms: now_ms,
            });
        }
        self.active.as_mut().ok_or(ProtocommError::NoSession)
    }

    fn handle_request(
        &mut self,
        client: ClientId,
        endpoint: &str,
        body: &[u8],
        handler: &mut dyn RequestHandler,
        now_ms: u64,
    ) -> Result<Vec<u8>, ProtocommError> {
        if self.is_sec0() {
            // No handshake and no cipher: the request itself opens (or continues) the session.
            self.claim(client, now_ms)?.last_activity_ms = now_ms;
            return Ok(handler.handle_request(endpoint, body)?);
        }
        let blocked = self
            .active
            .as_ref()
            .is_some_and(|a| a.client != client && self.blocked_by_owner(a, client, now_ms));
        if blocked {
            return Err(ProtocommError::SessionOwnedElsewhere);
        }
        let active = match &mut self.active {
            Some(a) if a.client == client => a,
            _ => return Err(ProtocommError::NoSession),
        };
        if !active.session.is_established() {
            return Err(ProtocommError::NoSession);
        }
        active.last_activity_ms = now_ms;
        let plaintext = active.session.decrypt(body)?;
        let response = handler.handle_request(endpoint, &plaintext)?;
        Ok(active.session.encrypt(&response)?)
    }
}

/// The five endpoints every device has; only custom ones take part in registration.
fn is_standard_endpoint(name: &str) -> bool {
    use crate::endpoint::{EP_CONFIG, EP_CTRL, EP_SCAN, EP_SESSION, EP_VERSION};
    [EP_SESSION, EP_VERSION, EP_CONFIG, EP_SCAN, EP_CTRL].contains(&name)
}
