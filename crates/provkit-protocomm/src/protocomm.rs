//! The protocomm core: endpoint dispatch, the verified session, the candidate handshakes
//! beside it, and which client owns provisioning (spec §1, §4.0, §4.5).
//!
//! ```text
//!  framing (HTTP / BLE / console)
//!     │  handle(client, endpoint, body, now)
//!     ▼
//!  ┌──────────────────────── Protocomm ────────────────────────┐
//!  │ proto-ver    → cached JSON                                │ anyone, always
//!  │ prov-session → throttle → budget (Command0 only) →        │
//!  │                candidate handshake of this client ──proof──┼─► becomes the owner
//!  │ REQ_EP       → the owner's verified session only:         │
//!  │                decrypt → RequestHandler → encrypt         │
//!  └───────────────────────────────────────────────────────────┘
//!     │  Ok(body)  |  Err(_) = "send nothing"
//! ```
//!
//! # Sessions and ownership
//!
//! A client is a [`ClientId`]: a transport plus that transport's session handle (HTTP cookie
//! id, BLE connection handle, console session number). At most one session is **verified**
//! (its sec1/sec2 proof was accepted; under sec0 it is the first client to use
//! `prov-session` or a `REQ_EP` endpoint); its client is the **owner**.
//!
//! * Every handshake runs as a **candidate** beside the owner's session: a `Command0` from
//!   any client — a newcomer, or the owner restarting its own handshake — creates (or
//!   restarts) that client's candidate; the owner's cipher state is never touched by it. At
//!   most [`MAX_CANDIDATES`] run at once; a new one evicts the oldest. A handshake error drops
//!   the candidate.
//! * A candidate whose proof is accepted becomes the owner, replacing the previous owner's
//!   session (across transports): only someone who knows the PoP / password can end or
//!   replace a verified session.
//! * `REQ_EP` requests are decrypted, handled and encrypted only for the owner; everybody
//!   else gets no answer ([`ProtocommError::NoSession`] or
//!   [`ProtocommError::SessionOwnedElsewhere`]) and the owner's cipher state does not move.
//! * Security 0 has no proof, so its owner can only be displaced once it is idle (below) or
//!   its transport is gone ([`Protocomm::detach`], [`Protocomm::close_session`]); until then
//!   newcomers get no answer.
//! * `proto-ver` is answered to anyone, always, without touching any session.
//!
//! The transports say when a client's link is gone: a BLE disconnect closes its session
//! ([`Protocomm::close_session`]: the handle is dead and will be reused); an HTTP socket
//! close or a new console session id only **detaches** it ([`Protocomm::detach`]), because
//! the reference lets an HTTP cookie outlive its socket and the client may come back; its
//! next request re-attaches it. A detached sec0 owner may be displaced at once.
//!
//! ## Where this differs from ESP-IDF, on purpose
//!
//! ESP-IDF keeps one session per protocomm instance and lets any new transport session
//! replace it: on HTTP a request from another socket without the cookie closes the owner's
//! session (and its connection), a console line with another id does the same, and a
//! `Command0` restarts the established session in place. So any station on the SoftAP can end
//! a provisioning session mid-way without knowing anything. Here a newcomer runs its
//! handshake as a candidate and replaces the owner only with a valid proof; clients that
//! restart (esp_prov run again, a phone app reconnecting) still work because they prove the
//! secret again. Under sec0 a second client is refused while the first one is active (the
//! reference would hand the session over).
//!
//! # Owner idle timeout
//!
//! An HTTP session never ends by itself: closing the socket only detaches it and the ESP
//! default runs without a provisioning window. Every request the owner makes (any endpoint
//! but `proto-ver`) stamps its session with the time of that request; once
//! [`Protocomm::owner_idle_timeout_ms`] (default [`Protocomm::DEFAULT_OWNER_IDLE_TIMEOUT_MS`],
//! 60 s) has passed without one, a sec0 newcomer may take over. (Under sec1/sec2 a newcomer
//! needs a proof anyway, which always hands over.) [`Protocomm::set_owner_idle_timeout`]
//! changes or (`None`) disables it.
//!
//! # Brute-force throttling and the handshake budget
//!
//! Failed PoP / password proofs are counted; too many within a window lock `prov-session` for
//! a doubling back-off (see [`crate::throttle`], on by default with [`Throttle::DEFAULT`]).
//! Expensive handshake steps (`Command0`: sec2 exponentiations, sec1 X25519) are limited per
//! time window before any arithmetic runs (see [`crate::budget`], on by default with
//! [`HandshakeBudget::DEFAULT`]). Neither touches `proto-ver` or the owner's requests.
//! Time is an argument of every call that needs it ([`Protocomm::handle`],
//! [`Protocomm::open_session`], [`Protocomm::locked_until`]), the adapter's monotonic clock in
//! [`Instant`]s; nothing here keeps a clock of its own, so throttles and timeouts behave the
//! same on every target. What happened is reported through [`Protocomm::poll_event`].

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::budget::{BudgetDecision, BudgetState, HandshakeBudget};
use crate::client::ClientId;
use crate::endpoint::{EndpointClass, EndpointTable};
use crate::error::{HandlerError, ProtocommError};
use crate::proto_ver::{VersionInfo, render_proto_ver};
use crate::throttle::{ProtocommEvent, Throttle, ThrottleState};
use provkit_hal::Instant;
use provkit_proto::{
    Message, Sec1MsgType, Sec2MsgType, SessionData, sec1_payload, sec2_payload, session_data::Proto,
};
use provkit_security::{DeviceSecurityConfig, DeviceSession, SecureRng, SecurityError};
use zeroize::Zeroizing;

/// What a `REQ_EP` request is dispatched to (the manager implements it; tests implement it).
pub trait RequestHandler {
    /// `plaintext` is the decrypted body; return the plaintext response. Err => no response
    /// (HTTP closes the connection, like the reference).
    fn handle_request(&mut self, endpoint: &str, plaintext: &[u8])
    -> Result<Vec<u8>, HandlerError>;
}

/// Most candidate handshakes running beside the owner's session. A new one evicts the oldest,
/// so a stalled handshake never blocks anybody; the [`HandshakeBudget`] bounds how fast
/// strangers can evict.
pub const MAX_CANDIDATES: usize = 2;

/// The verified session and its client.
///
/// Sessions are boxed: a candidate is moved out of the list when it is promoted, and moving
/// an inline `DeviceSession` would leave a copy of its keys in the list's buffer, which no
/// `Drop` can wipe. A box moves as a pointer; the keys stay in one place and are wiped there.
struct OwnerSession {
    client: ClientId,
    session: Box<DeviceSession>,
    /// Time (ms) of the owner's last request; drives the owner idle timeout.
    last_activity_ms: u64,
    /// The owner's transport link is gone for now (HTTP socket closed, console id changed);
    /// its next request clears this.
    detached: bool,
}

/// A handshake in progress that has not proven anything yet.
struct Candidate {
    client: ClientId,
    session: Box<DeviceSession>,
    /// When its latest Command0 arrived (the oldest candidate is evicted first).
    started_ms: u64,
}

/// What a `prov-session` body asks for, decided from its bytes before any arithmetic.
#[derive(Clone, Copy)]
enum SessionStep {
    /// A well-formed Command0: the expensive step, limited by the budget.
    Command0,
    /// Any later step (Command1); cheap.
    Later,
}

/// Endpoint table + the verified session and its candidates + the proto-ver JSON.
pub struct Protocomm {
    security: DeviceSecurityConfig,
    version_info: VersionInfo,
    proto_ver_body: String,
    endpoints: EndpointTable,
    owner: Option<OwnerSession>,
    candidates: Vec<Candidate>,
    /// Set by the first request: from then on the table is what the transports were built from.
    frozen: bool,
    /// Failed-proof counting and lockouts (also holds the event queue).
    throttle: ThrottleState,
    /// Expensive handshake steps per window.
    budget: BudgetState,
    /// After this long without a request a sec0 owner may be displaced.
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
            owner: None,
            candidates: Vec::new(),
            frozen: false,
            throttle: ThrottleState::new(Some(Throttle::DEFAULT)),
            budget: BudgetState::new(Some(HandshakeBudget::DEFAULT)),
            owner_idle_timeout_ms: Some(Self::DEFAULT_OWNER_IDLE_TIMEOUT_MS),
            unregistered: Vec::new(),
        }
    }

    /// Sets the owner idle timeout (ms; `None` = a sec0 owner is never displaced by
    /// idleness). See the module docs.
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

    /// The brute-force throttle's state, for another path that checks the same secret (the
    /// captive portal): check it before verifying, record each proof's outcome in it. Its
    /// failures and lockouts are the handshakes' ones, and its events come out of
    /// [`Protocomm::poll_event`].
    pub fn throttle_state_mut(&mut self) -> &mut ThrottleState {
        &mut self.throttle
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

    /// Replaces the handshake budget; `None` computes every Command0 (the reference
    /// behaviour). Resets the current window.
    pub fn set_handshake_budget(&mut self, budget: Option<HandshakeBudget>) {
        self.budget.set_config(budget);
    }

    /// The handshake budget in force, if any.
    pub fn handshake_budget(&self) -> Option<HandshakeBudget> {
        self.budget.config()
    }

    /// How many Command0s the budget has refused since start.
    pub fn handshakes_refused(&self) -> u64 {
        self.budget.refused()
    }

    /// The owner: the client holding the verified session, if any.
    pub fn session_client(&self) -> Option<ClientId> {
        self.owner.as_ref().map(|o| o.client)
    }

    /// The clients with a handshake in progress, oldest first.
    pub fn candidate_clients(&self) -> impl Iterator<Item = ClientId> + '_ {
        self.candidates.iter().map(|c| c.client)
    }

    /// True if `client` owns the verified session (always established under sec0).
    pub fn is_established(&self, client: ClientId) -> bool {
        self.owner
            .as_ref()
            .is_some_and(|o| o.client == client && (self.is_sec0() || o.session.is_established()))
    }

    /// True if protocomm holds any state for `client` (the owner or a candidate). Framings
    /// use it to forget transport sessions that no longer matter.
    pub fn has_session(&self, client: ClientId) -> bool {
        self.session_client() == Some(client) || self.candidates.iter().any(|c| c.client == client)
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
            EndpointClass::Session => self.handle_session(client, body, rng, now_ms),
            EndpointClass::Request => self.handle_request(client, endpoint, body, handler, now_ms),
        }
    }

    /// A transport noticed `client` at `now` (BLE connect, a new HTTP cookie). Under sec0 this
    /// opens (and so takes) the session if nobody else owns it, and is refused with
    /// [`ProtocommError::SessionOwnedElsewhere`] while another live owner does. Under sec1 /
    /// sec2 nothing happens: a session starts with the client's Command0.
    pub fn open_session(&mut self, client: ClientId, now: Instant) -> Result<(), ProtocommError> {
        if self.is_sec0() {
            self.claim_sec0(client, now.as_millis()).map(|_| ())
        } else {
            Ok(())
        }
    }

    /// The transport tells protocomm that `client` is gone for good (BLE disconnect, a console
    /// that went away): its verified session or its candidate handshake ends. Other clients'
    /// sessions are untouched.
    pub fn close_session(&mut self, client: ClientId) {
        if self.session_client() == Some(client) {
            self.owner = None;
        }
        self.candidates.retain(|c| c.client != client);
    }

    /// The transport tells protocomm that `client`'s link is gone but the client may come
    /// back under the same id (HTTP: its socket closed, the cookie lives on; console: a line
    /// with another session id). If it owns the session it stays the owner, but a sec0
    /// newcomer may now displace it; its next request re-attaches it. Its candidate handshake,
    /// if any, is kept.
    pub fn detach(&mut self, client: ClientId) {
        if let Some(owner) = self.owner.as_mut().filter(|o| o.client == client) {
            owner.detached = true;
        }
    }

    fn is_sec0(&self) -> bool {
        matches!(self.security, DeviceSecurityConfig::Sec0)
    }

    /// True if the owner has been quiet for the owner idle timeout or longer at `now_ms`.
    fn owner_idle(&self, owner: &OwnerSession, now_ms: u64) -> bool {
        self.owner_idle_timeout_ms
            .is_some_and(|timeout| now_ms.saturating_sub(owner.last_activity_ms) >= timeout)
    }

    /// Sec0 has no proof: the first client to act owns the session until it is idle, detached
    /// or closed. Returns the owner's session for `client`, or refuses it.
    fn claim_sec0(
        &mut self,
        client: ClientId,
        now_ms: u64,
    ) -> Result<&mut OwnerSession, ProtocommError> {
        let take_over = match &self.owner {
            Some(o) if o.client == client => false,
            Some(o) if !o.detached && !self.owner_idle(o, now_ms) => {
                return Err(ProtocommError::SessionOwnedElsewhere);
            }
            _ => true,
        };
        if take_over {
            self.owner = Some(OwnerSession {
                client,
                session: Box::new(DeviceSession::new(self.security.clone())),
                last_activity_ms: now_ms,
                detached: false,
            });
        }
        let owner = self.owner.as_mut().ok_or(ProtocommError::NoSession)?;
        owner.last_activity_ms = now_ms;
        owner.detached = false;
        Ok(owner)
    }

    fn handle_session<R: SecureRng + ?Sized>(
        &mut self,
        client: ClientId,
        body: &[u8],
        rng: &mut R,
        now_ms: u64,
    ) -> Result<Vec<u8>, ProtocommError> {
        // Checked first, so a locked device does not even look at the message.
        self.throttle.check(now_ms)?;
        if self.is_sec0() {
            let owner = self.claim_sec0(client, now_ms)?;
            return Ok(owner.session.handle_session(body, rng)?);
        }
        let existing = self.candidates.iter().position(|c| c.client == client);
        let step = match session_step(body, self.security.sec_ver()) {
            Ok(step) => step,
            Err(e) => {
                // Like the reference: after any handshake error the session waits for a
                // new Command0.
                if let Some(i) = existing {
                    self.candidates.remove(i);
                }
                return Err(e.into());
            }
        };
        let index = match (step, existing) {
            (SessionStep::Command0, existing) => {
                // The only expensive step: refused before any arithmetic when over budget.
                if let BudgetDecision::Refused { until_ms, first } = self.budget.take(now_ms) {
                    if first {
                        self.throttle
                            .push_event(ProtocommEvent::HandshakeBudgetExhausted {
                                client,
                                at_ms: now_ms,
                                until_ms,
                            });
                    }
                    return Err(ProtocommError::HandshakeLimited { until_ms });
                }
                match existing {
                    Some(i) => i,
                    None => self.add_candidate(client, now_ms),
                }
            }
            (SessionStep::Later, Some(i)) => i,
            // Command1 without a handshake of this client in progress (or one that was
            // evicted): nothing to continue, and the owner's session is not involved.
            (SessionStep::Later, None) => {
                return Err(ProtocommError::Security(SecurityError::OutOfOrder));
            }
        };
        let candidate = self
            .candidates
            .get_mut(index)
            .ok_or(ProtocommError::NoSession)?;
        if matches!(step, SessionStep::Command0) {
            candidate.started_ms = now_ms;
        }
        let result = candidate.session.handle_session(body, rng);
        let established = candidate.session.is_established();
        match result {
            Err(e) => {
                self.candidates.remove(index);
                if e == SecurityError::AuthenticationFailed {
                    self.throttle.record_failure(client, now_ms);
                }
                Err(e.into())
            }
            Ok(response) => {
                if established {
                    self.promote(index, now_ms);
                    self.throttle.record_success();
                }
                Ok(response)
            }
        }
    }

    /// Opens a candidate for `client`, evicting the oldest if [`MAX_CANDIDATES`] run already;
    /// returns its index.
    fn add_candidate(&mut self, client: ClientId, now_ms: u64) -> usize {
        if self.candidates.len() >= MAX_CANDIDATES
            && let Some(oldest) = self
                .candidates
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.started_ms)
                .map(|(i, _)| i)
        {
            self.candidates.remove(oldest);
        }
        self.candidates.push(Candidate {
            client,
            session: Box::new(DeviceSession::new(self.security.clone())),
            started_ms: now_ms,
        });
        self.candidates.len().saturating_sub(1)
    }

    /// The candidate at `index` proved the secret: it becomes the owner. The previous owner's
    /// session (and with it its keys) is dropped.
    fn promote(&mut self, index: usize, now_ms: u64) {
        if index < self.candidates.len() {
            let winner = self.candidates.remove(index);
            self.owner = Some(OwnerSession {
                client: winner.client,
                session: winner.session,
                last_activity_ms: now_ms,
                detached: false,
            });
        }
    }

    fn handle_request(
        &mut self,
        client: ClientId,
        endpoint: &str,
        body: &[u8],
        handler: &mut dyn RequestHandler,
        now_ms: u64,
    ) -> Result<Vec<u8>, ProtocommError> {
        let owner = if self.is_sec0() {
            // No handshake and no cipher: the request itself opens (or continues) the session.
            self.claim_sec0(client, now_ms)?
        } else {
            match &mut self.owner {
                Some(o) if o.client == client => o,
                Some(_) => return Err(ProtocommError::SessionOwnedElsewhere),
                None => return Err(ProtocommError::NoSession),
            }
        };
        if !owner.session.is_established() {
            return Err(ProtocommError::NoSession);
        }
        // The cipher moves only for the owner's own records: sec2 leaves the nonce counter
        // alone when a tag fails; sec1 cannot tell a forgery (no integrity), which is why the
        // framings never route another peer's bytes here.
        let plaintext = Zeroizing::new(owner.session.decrypt(body)?);
        owner.last_activity_ms = now_ms;
        owner.detached = false;
        // Requests and responses may carry secrets (SetConfig carries the passphrase): both
        // plaintexts are wiped when dropped.
        let response = Zeroizing::new(handler.handle_request(endpoint, &plaintext)?);
        Ok(owner.session.encrypt(&response)?)
    }
}

/// Classifies a sec1 / sec2 `prov-session` body without doing any of its work: a
/// well-formed Command0 (the expensive step), or a later step. The checks repeat the
/// security layer's length rules for Command0 only so that a malformed one is not counted
/// against the budget; everything else is left to `DeviceSession`.
fn session_step(body: &[u8], sec_ver: u8) -> Result<SessionStep, SecurityError> {
    let data = SessionData::decode(body)?;
    if data.sec_ver != i32::from(sec_ver) {
        return Err(SecurityError::WrongSecurityVersion {
            expected: sec_ver,
            got: data.sec_ver,
        });
    }
    let is_command0 = match data.proto {
        Some(Proto::Sec1(p)) if sec_ver == 1 => match p.payload {
            Some(sec1_payload::Payload::Sc0(cmd0))
                if p.msg == Sec1MsgType::SessionCommand0 as i32 =>
            {
                if cmd0.client_pubkey.len() != SEC1_PUBLIC_KEY_LEN {
                    return Err(SecurityError::BadLength {
                        field: "client_pubkey",
                        expected: "32",
                        got: cmd0.client_pubkey.len(),
                    });
                }
                true
            }
            _ => false,
        },
        Some(Proto::Sec2(p)) if sec_ver == 2 => match p.payload {
            Some(sec2_payload::Payload::Sc0(cmd0))
                if p.msg == Sec2MsgType::S2SessionCommand0 as i32 =>
            {
                if cmd0.client_pubkey.len() != SEC2_PUBLIC_KEY_LEN {
                    return Err(SecurityError::BadLength {
                        field: "client_pubkey",
                        expected: "384",
                        got: cmd0.client_pubkey.len(),
                    });
                }
                if cmd0.client_username.is_empty()
                    || cmd0.client_username.len() > SEC2_MAX_USERNAME_LEN
                {
                    return Err(SecurityError::BadLength {
                        field: "client_username",
                        expected: "1..=65535",
                        got: cmd0.client_username.len(),
                    });
                }
                true
            }
            _ => false,
        },
        Some(other) => {
            return Err(SecurityError::WrongSecurityVersion {
                expected: sec_ver,
                got: match other {
                    Proto::Sec0(_) => 0,
                    Proto::Sec1(_) => 1,
                    Proto::Sec2(_) => 2,
                },
            });
        }
        None => {
            return Err(SecurityError::MalformedMessage(
                "SessionData carries no payload",
            ));
        }
    };
    Ok(if is_command0 {
        SessionStep::Command0
    } else {
        SessionStep::Later
    })
}

/// sec1 `client_pubkey`: an X25519 public key.
const SEC1_PUBLIC_KEY_LEN: usize = 32;
/// sec2 `client_pubkey`: SRP `A`, exactly 384 bytes.
const SEC2_PUBLIC_KEY_LEN: usize = 384;
/// sec2 `client_username`: the reference's 16-bit length limit.
const SEC2_MAX_USERNAME_LEN: usize = 65_535;

/// The five endpoints every device has; only custom ones take part in registration.
fn is_standard_endpoint(name: &str) -> bool {
    use crate::endpoint::{EP_CONFIG, EP_CTRL, EP_SCAN, EP_SESSION, EP_VERSION};
    [EP_SESSION, EP_VERSION, EP_CONFIG, EP_SCAN, EP_CTRL].contains(&name)
}
