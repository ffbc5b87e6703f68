//! In-memory implementations of the HAL traits for tests of the layers above (feature `mock`).
//!
//! * [`MockStation`]: a pretend radio with a list of [`MockNetwork`]s. `connect` decides the
//!   outcome the way a real AP would (unknown SSID → not found, wrong passphrase → auth
//!   failure) unless a test scripted a different outcome with
//!   [`MockStation::script_connect_failure`]. Scans finish at once, or when the test calls
//!   [`MockStation::complete_scan`].
//! * [`MemoryStore`]: a profile list in RAM with an injectable commit failure, to test that
//!   callers cope with the atomic "all or nothing" rule.
//! * [`ManualClock`]: time moves only when the test says so.
//! * [`MockTimer`]: a [`crate::Timer`] and [`crate::asynch::Timer`] over a [`ManualClock`];
//!   waiting jumps the clock to the deadline, so timing tests run instantly and see exactly
//!   the instants a real adapter would wake at.
//! * [`CountingRng`]: predictable bytes. Never use it for real keys.
//!
//! All of them use [`ErrorKind`] as their error type and need neither std nor alloc.

use core::cell::Cell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use heapless::{Deque, Vec};

use crate::{
    AuthMode, Bssid, Clock, CredentialStore, Credentials, DisconnectReason, Duration, ErrorKind,
    ErrorType, Instant, LinkEvent, Passphrase, Profile, ProfileList, Rng, ScanConfig, ScanEntry,
    Ssid, Timer, WifiStation,
};

/// How many networks, queued events and scripted failures the mocks hold.
pub const MOCK_CAPACITY: usize = 16;

/// A network the [`MockStation`] can see.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MockNetwork {
    /// Its SSID.
    pub ssid: Ssid,
    /// The passphrase it accepts (ignored for [`AuthMode::Open`]).
    pub passphrase: Passphrase,
    /// Its BSSID.
    pub bssid: Bssid,
    /// Its channel.
    pub channel: u8,
    /// How strong it looks in scans.
    pub rssi: i8,
    /// Its authentication mode.
    pub auth: AuthMode,
    /// The address DHCP hands out; `None` makes connections end without [`LinkEvent::GotIp`].
    pub ip: Option<[u8; 4]>,
}

impl MockNetwork {
    fn scan_entry(&self) -> ScanEntry {
        ScanEntry {
            ssid: self.ssid.clone(),
            bssid: self.bssid,
            channel: self.channel,
            rssi: self.rssi,
            auth: self.auth,
        }
    }
}

/// A scripted Wi-Fi station. Public counters let tests assert what the code under test did.
#[derive(Debug)]
pub struct MockStation {
    networks: Vec<MockNetwork, MOCK_CAPACITY>,
    events: Deque<LinkEvent, MOCK_CAPACITY>,
    scripted_failures: Deque<DisconnectReason, MOCK_CAPACITY>,
    results: Vec<ScanEntry, MOCK_CAPACITY>,
    scanning: bool,
    next_error: Option<ErrorKind>,
    /// Scans complete inside `start_scan` (default) instead of on [`MockStation::complete_scan`].
    pub scan_completes_immediately: bool,
    /// Number of `start_scan` calls that succeeded.
    pub scans_started: u32,
    /// Number of `connect` calls that succeeded.
    pub connects: u32,
    /// Number of `disconnect` calls that succeeded.
    pub disconnects: u32,
    /// Credentials of the last `connect`.
    pub last_credentials: Option<Credentials>,
    /// Configuration of the last `start_scan`.
    pub last_scan_config: Option<ScanConfig>,
}

impl Default for MockStation {
    fn default() -> Self {
        Self::new()
    }
}

impl MockStation {
    /// A station that sees no networks.
    pub fn new() -> Self {
        Self {
            networks: Vec::new(),
            events: Deque::new(),
            scripted_failures: Deque::new(),
            results: Vec::new(),
            scanning: false,
            next_error: None,
            scan_completes_immediately: true,
            scans_started: 0,
            connects: 0,
            disconnects: 0,
            last_credentials: None,
            last_scan_config: None,
        }
    }

    /// Makes `network` visible. Fails with [`ErrorKind::Other`] beyond [`MOCK_CAPACITY`].
    pub fn add_network(&mut self, network: MockNetwork) -> Result<(), ErrorKind> {
        self.networks.push(network).map_err(|_| ErrorKind::Other)
    }

    /// The next `connect` ends in `Disconnected { reason }` whatever the networks say.
    /// Several calls queue several outcomes.
    pub fn script_connect_failure(&mut self, reason: DisconnectReason) -> Result<(), ErrorKind> {
        self.scripted_failures
            .push_back(reason)
            .map_err(|_| ErrorKind::Other)
    }

    /// The next trait call that can fail returns `Err(kind)` and does nothing else.
    pub fn fail_next_call(&mut self, kind: ErrorKind) {
        self.next_error = Some(kind);
    }

    /// Queues an arbitrary event (e.g. a link loss). When the queue is full the oldest
    /// event is dropped, like a driver's event ring overrunning.
    pub fn push_event(&mut self, event: LinkEvent) {
        if self.events.is_full() {
            self.events.pop_front();
        }
        // Cannot fail: a slot was freed above if needed.
        let _ = self.events.push_back(event);
    }

    /// Finishes a running scan: results become the visible networks, strongest first, and
    /// [`LinkEvent::ScanDone`] is queued. Does nothing if no scan is running.
    pub fn complete_scan(&mut self) {
        if !self.scanning {
            return;
        }
        self.scanning = false;
        self.results.clear();
        for network in &self.networks {
            // Capacities are equal, so this never drops an entry.
            let _ = self.results.push(network.scan_entry());
        }
        self.results
            .sort_unstable_by_key(|entry| core::cmp::Reverse(entry.rssi));
        self.push_event(LinkEvent::ScanDone);
    }

    /// True while a scan is running.
    pub fn is_scanning(&self) -> bool {
        self.scanning
    }

    fn take_error(&mut self) -> Result<(), ErrorKind> {
        match self.next_error.take() {
            Some(kind) => Err(kind),
            None => Ok(()),
        }
    }
}

impl ErrorType for MockStation {
    type Error = ErrorKind;
}

impl WifiStation for MockStation {
    fn start_scan(&mut self, config: &ScanConfig) -> Result<(), ErrorKind> {
        self.take_error()?;
        self.scans_started = self.scans_started.saturating_add(1);
        self.last_scan_config = Some(*config);
        self.scanning = true;
        if self.scan_completes_immediately {
            self.complete_scan();
        }
        Ok(())
    }

    fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, ErrorKind> {
        self.take_error()?;
        if self.scanning {
            return Ok(None);
        }
        let written = out.len().min(self.results.len());
        for (slot, entry) in out.iter_mut().zip(self.results.iter()) {
            *slot = entry.clone();
        }
        Ok(Some(written))
    }

    fn connect(&mut self, credentials: &Credentials) -> Result<(), ErrorKind> {
        self.take_error()?;
        self.connects = self.connects.saturating_add(1);
        self.last_credentials = Some(credentials.clone());
        if let Some(reason) = self.scripted_failures.pop_front() {
            self.push_event(LinkEvent::Disconnected { reason });
            return Ok(());
        }
        let found = self
            .networks
            .iter()
            .find(|n| n.ssid == credentials.ssid)
            .cloned();
        match found {
            None => self.push_event(LinkEvent::Disconnected {
                reason: DisconnectReason::NetworkNotFound,
            }),
            Some(n) if n.auth != AuthMode::Open && n.passphrase != credentials.passphrase => self
                .push_event(LinkEvent::Disconnected {
                    reason: DisconnectReason::AuthFailed,
                }),
            Some(n) => {
                self.push_event(LinkEvent::Connected {
                    bssid: n.bssid,
                    channel: n.channel,
                    auth: n.auth,
                });
                if let Some(ip) = n.ip {
                    self.push_event(LinkEvent::GotIp { ip });
                }
            }
        }
        Ok(())
    }

    fn disconnect(&mut self) -> Result<(), ErrorKind> {
        self.take_error()?;
        self.disconnects = self.disconnects.saturating_add(1);
        Ok(())
    }

    fn poll_event(&mut self) -> Option<LinkEvent> {
        self.events.pop_front()
    }
}

/// A credential store in RAM.
#[derive(Debug, Default)]
pub struct MemoryStore {
    profiles: ProfileList,
    next_error: Option<ErrorKind>,
    /// Number of successful commits.
    pub commits: u32,
    /// Number of successful clears.
    pub clears: u32,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that already holds `profiles` (at most [`crate::MAX_PROFILES`]).
    pub fn with_profiles(profiles: &[Profile]) -> Result<Self, ErrorKind> {
        let profiles = Vec::from_slice(profiles).map_err(|_| ErrorKind::TooManyProfiles)?;
        Ok(Self {
            profiles,
            ..Self::default()
        })
    }

    /// The next load/commit/clear fails with `kind` and changes nothing (a flash error).
    pub fn fail_next_call(&mut self, kind: ErrorKind) {
        self.next_error = Some(kind);
    }

    /// What is stored right now, without going through the trait.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    fn take_error(&mut self) -> Result<(), ErrorKind> {
        match self.next_error.take() {
            Some(kind) => Err(kind),
            None => Ok(()),
        }
    }

    fn commit_now(&mut self, profiles: &[Profile]) -> Result<(), ErrorKind> {
        self.take_error()?;
        // Build the new list first so a failure leaves the old one intact.
        let new_list: ProfileList =
            Vec::from_slice(profiles).map_err(|_| ErrorKind::TooManyProfiles)?;
        self.profiles = new_list;
        self.commits = self.commits.saturating_add(1);
        Ok(())
    }

    fn clear_now(&mut self) -> Result<(), ErrorKind> {
        self.take_error()?;
        self.profiles.clear();
        self.clears = self.clears.saturating_add(1);
        Ok(())
    }
}

impl ErrorType for MemoryStore {
    type Error = ErrorKind;
}

impl CredentialStore for MemoryStore {
    fn load(&mut self) -> Result<ProfileList, ErrorKind> {
        self.take_error()?;
        Ok(self.profiles.clone())
    }

    fn commit(&mut self, profiles: &[Profile]) -> Result<(), ErrorKind> {
        self.commit_now(profiles)
    }

    fn clear(&mut self) -> Result<(), ErrorKind> {
        self.clear_now()
    }
}

impl crate::asynch::CredentialStore for MemoryStore {
    async fn load(&mut self) -> Result<ProfileList, ErrorKind> {
        CredentialStore::load(self)
    }

    async fn commit(&mut self, profiles: &[Profile]) -> Result<(), ErrorKind> {
        self.commit_now(profiles)
    }

    async fn clear(&mut self) -> Result<(), ErrorKind> {
        self.clear_now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Default)]
pub struct ManualClock {
    now_ms: Cell<u64>,
}

impl ManualClock {
    /// Starts at `start`.
    pub fn new(start: Instant) -> Self {
        Self {
            now_ms: Cell::new(start.as_millis()),
        }
    }

    /// Moves time forward by `by` (saturating).
    pub fn advance(&self, by: Duration) {
        self.now_ms
            .set(self.now_ms.get().saturating_add(by.as_millis()));
    }

    /// Sets the time; earlier than now is ignored so the clock stays monotonic.
    pub fn set(&self, to: Instant) {
        if to.as_millis() > self.now_ms.get() {
            self.now_ms.set(to.as_millis());
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        Instant(self.now_ms.get())
    }
}

/// A timer driven by a [`ManualClock`]: instead of sleeping, a wait moves the shared clock
/// to the deadline (never backwards). Everything else holding the same clock sees the jump,
/// as it would see real time pass. The async flavour suspends once before the jump, so code
/// under test really goes through a `Pending` poll.
#[derive(Debug)]
pub struct MockTimer<'c> {
    clock: &'c ManualClock,
    /// Waits whose deadline was still ahead (the clock had to move).
    pub waits: u32,
    /// Waits whose deadline had already passed (returned at once).
    pub immediate: u32,
    /// Deadline of the last wait of either kind.
    pub last_deadline: Option<Instant>,
}

impl<'c> MockTimer<'c> {
    /// A timer over `clock`.
    pub fn new(clock: &'c ManualClock) -> Self {
        Self {
            clock,
            waits: 0,
            immediate: 0,
            last_deadline: None,
        }
    }

    /// The clock this timer moves.
    pub fn clock(&self) -> &'c ManualClock {
        self.clock
    }

    /// Records the wait; true if time has to move to reach `deadline`.
    fn begin_wait(&mut self, deadline: Instant) -> bool {
        self.last_deadline = Some(deadline);
        if self.clock.now() >= deadline {
            self.immediate = self.immediate.saturating_add(1);
            false
        } else {
            self.waits = self.waits.saturating_add(1);
            true
        }
    }
}

impl Clock for MockTimer<'_> {
    fn now(&self) -> Instant {
        self.clock.now()
    }
}

impl Timer for MockTimer<'_> {
    fn wait_until(&mut self, deadline: Instant) {
        if self.begin_wait(deadline) {
            self.clock.set(deadline);
        }
    }
}

impl crate::asynch::Timer for MockTimer<'_> {
    async fn wait_until(&mut self, deadline: Instant) {
        if self.begin_wait(deadline) {
            YieldOnce { yielded: false }.await;
            self.clock.set(deadline);
        }
    }
}

/// Returns `Pending` once (waking itself at once), then `Ready`.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Predictable "random" bytes: a running byte counter. Tests only.
#[derive(Debug, Default)]
pub struct CountingRng {
    next: u8,
}

impl CountingRng {
    /// The first byte produced will be `start`.
    pub fn new(start: u8) -> Self {
        Self { next: start }
    }
}

impl ErrorType for CountingRng {
    type Error = ErrorKind;
}

impl Rng for CountingRng {
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), ErrorKind> {
        for byte in dest {
            *byte = self.next;
            self.next = self.next.wrapping_add(1);
        }
        Ok(())
    }
}
