//! Executing the manager's [`Action`]s against a chip's hal, in one place for every driver and
//! either personality (everything here is generic over [`Personality`]: what a runner drives is
//! a [`Manager<P>`]).
//!
//! ```text
//!   Manager ──Connect/Disconnect/StartScan──► WifiStation ──LinkEvent/ScanDone──► Manager
//!           ──Persist/ClearStore─────────────► CredentialStore
//!           ──StartTransports/StopTransports/SwitchRole──► returned to the adapter
//! ```
//!
//! [`execute_action`], [`read_scan_results`] and [`apply_event`] are written once, over the async traits of
//! `provkit_hal::asynch`. Two drivers use them:
//!
//! * [`Runner`] (here): blocking, for threaded hosts (the simulator). It wraps the blocking
//!   station and store so they look async, and completes each call in one poll (a blocking
//!   call never returns `Pending`).
//! * `provkit-engine`'s async engine: every embassy/async target, awaiting the real async
//!   station and store.
//!
//! So what an action does to the radio and the store cannot differ between a host and a chip.

use alloc::vec;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use provkit_hal::{
    CredentialStore, Error as _, ErrorKind, ErrorType, Instant, LinkEvent, Profile, ProfileList,
    ScanConfig, ScanEntry, WifiStation, asynch,
};

use crate::machine::{Manager, Personality};
use crate::types::Action;

/// Upper bound on execute/poll rounds per [`Runner::pump`], so a station that keeps producing
/// events cannot stall the caller.
pub const MAX_PUMP_ROUNDS: usize = 32;

/// What executing one action came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Executed {
    /// The station or store did it.
    Done,
    /// The station or store refused; tell the manager with [`Manager::on_action_failed`].
    Failed(ErrorKind),
    /// A transport-level action (start/stop transports, switch role): the adapter's to do.
    ForAdapter,
}

/// Executes one action on the station or the store.
pub async fn execute_action<S, C>(action: &Action, station: &mut S, store: &mut C) -> Executed
where
    S: asynch::WifiStation,
    C: asynch::CredentialStore,
{
    let result = match action {
        Action::Connect(credentials) => station.connect(credentials).await.map_err(|e| e.kind()),
        Action::Disconnect => station.disconnect().await.map_err(|e| e.kind()),
        Action::StartScan(config) => station.start_scan(config).await.map_err(|e| e.kind()),
        Action::Persist(profiles) => store.commit(profiles).await.map_err(|e| e.kind()),
        Action::ClearStore => store.clear().await.map_err(|e| e.kind()),
        Action::StartTransports(_) | Action::StopTransports | Action::SwitchRole(_) => {
            return Executed::ForAdapter;
        }
    };
    match result {
        Ok(()) => Executed::Done,
        Err(kind) => Executed::Failed(kind),
    }
}

/// Reads the results of a finished scan (at most the manager's `max_scan_results`), the async
/// half of delivering [`LinkEvent::ScanDone`]; `Ok(None)` if the station says it is still
/// scanning. Hand the outcome to [`apply_event`] together with the event.
pub async fn read_scan_results<S: asynch::WifiStation>(
    station: &mut S,
    max_results: usize,
) -> Result<Option<Vec<ScanEntry>>, ErrorKind> {
    let mut buffer = vec![ScanEntry::default(); max_results.max(1)];
    match station.scan_results(&mut buffer).await {
        Ok(Some(n)) => {
            buffer.truncate(n);
            Ok(Some(buffer))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(e.kind()),
    }
}

/// Feeds one station event to the manager, with the scan results [`read_scan_results`] got for
/// a [`LinkEvent::ScanDone`] (ignored for other events).
pub fn apply_event<P: Personality>(
    manager: &mut Manager<P>,
    event: &LinkEvent,
    scan_results: Option<&[ScanEntry]>,
    now: Instant,
) {
    if *event == LinkEvent::ScanDone
        && let Some(results) = scan_results
    {
        manager.on_scan_done(results, now);
    }
    manager.on_link_event(event, now);
}

/// Owns a blocking station and store and drives them for a [`Manager`].
#[derive(Debug)]
pub struct Runner<S, C> {
    /// The Wi-Fi station.
    pub station: S,
    /// The credential store.
    pub store: C,
    /// Errors the adapter may want to log: (action, error kind), most recent last.
    pub failures: Vec<(Action, ErrorKind)>,
}

impl<S: WifiStation, C: CredentialStore> Runner<S, C> {
    /// Wrap a station and a store.
    pub fn new(station: S, store: C) -> Self {
        Self {
            station,
            store,
            failures: Vec::new(),
        }
    }

    /// The stored profiles, to build the [`Manager`] with at boot.
    pub fn load_profiles(&mut self) -> Result<Vec<Profile>, ErrorKind> {
        self.store
            .load()
            .map(|list| list.iter().cloned().collect())
            .map_err(|e| e.kind())
    }

    /// Execute every queued action; returns the transport-level ones in order.
    pub fn execute<P: Personality>(
        &mut self,
        manager: &mut Manager<P>,
        now: Instant,
    ) -> Vec<Action> {
        let mut for_adapter = Vec::new();
        while let Some(action) = manager.poll_action() {
            let executed = complete(execute_action(
                &action,
                &mut Blocking(&mut self.station),
                &mut Blocking(&mut self.store),
            ));
            match executed {
                Executed::Done => {}
                Executed::ForAdapter => for_adapter.push(action),
                Executed::Failed(kind) => {
                    manager.on_action_failed(&action, now);
                    self.failures.push((action, kind));
                }
            }
        }
        for_adapter
    }

    /// Feed every pending station event to the manager; returns how many were delivered.
    pub fn poll_station<P: Personality>(
        &mut self,
        manager: &mut Manager<P>,
        now: Instant,
    ) -> usize {
        let mut delivered = 0;
        while let Some(event) = self.station.poll_event() {
            let mut results = None;
            if event == LinkEvent::ScanDone {
                let max = manager.max_scan_results();
                match complete(read_scan_results(&mut Blocking(&mut self.station), max)) {
                    Ok(found) => results = found,
                    Err(kind) => self
                        .failures
                        .push((Action::StartScan(ScanConfig::default()), kind)),
                }
            }
            apply_event(manager, &event, results.as_deref(), now);
            delivered += 1;
        }
        delivered
    }

    /// Tick the manager, then execute and poll until nothing moves (at most
    /// [`MAX_PUMP_ROUNDS`] rounds). Returns the transport-level actions for the adapter.
    pub fn pump<P: Personality>(&mut self, manager: &mut Manager<P>, now: Instant) -> Vec<Action> {
        manager.on_tick(now);
        let mut for_adapter = Vec::new();
        for _ in 0..MAX_PUMP_ROUNDS {
            for_adapter.extend(self.execute(manager, now));
            if self.poll_station(manager, now) == 0 {
                for_adapter.extend(self.execute(manager, now));
                break;
            }
        }
        for_adapter
    }
}

/// A blocking station or store seen through the async traits: every call completes at its
/// first poll, so [`complete`] never spins.
struct Blocking<'a, T>(&'a mut T);

impl<T: ErrorType> ErrorType for Blocking<'_, T> {
    type Error = T::Error;
}

impl<T: WifiStation> asynch::WifiStation for Blocking<'_, T> {
    async fn start_scan(&mut self, config: &ScanConfig) -> Result<(), Self::Error> {
        self.0.start_scan(config)
    }

    async fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, Self::Error> {
        self.0.scan_results(out)
    }

    async fn connect(&mut self, credentials: &provkit_hal::Credentials) -> Result<(), Self::Error> {
        self.0.connect(credentials)
    }

    async fn disconnect(&mut self) -> Result<(), Self::Error> {
        self.0.disconnect()
    }

    /// Never awaited by [`execute_action`] or [`read_scan_results`]; the blocking runner polls
    /// [`WifiStation::poll_event`] itself. Waits for good if it ever is.
    async fn next_event(&mut self) -> LinkEvent {
        core::future::pending().await
    }
}

impl<T: CredentialStore> asynch::CredentialStore for Blocking<'_, T> {
    async fn load(&mut self) -> Result<ProfileList, Self::Error> {
        self.0.load()
    }

    async fn commit(&mut self, profiles: &[Profile]) -> Result<(), Self::Error> {
        self.0.commit(profiles)
    }

    async fn clear(&mut self) -> Result<(), Self::Error> {
        self.0.clear()
    }
}

/// Runs a future whose every await completes at once (the [`Blocking`] wrappers) to its end.
fn complete<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}
