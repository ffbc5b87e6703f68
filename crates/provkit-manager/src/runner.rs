//! A generic blocking runner: executes the manager's [`Action`]s against the provkit-hal
//! traits and feeds the station's [`LinkEvent`]s back. Adapters (simulator, ESP32, CC32xx)
//! call [`Runner::pump`] after every request and timer tick; the transport-level actions the
//! runner cannot perform are handed back to them.
//!
//! ```text
//!   Manager ──Connect/Disconnect/StartScan──► WifiStation ──LinkEvent/ScanDone──► Manager
//!           ──Persist/ClearStore─────────────► CredentialStore
//!           ──StartTransports/StopTransports/SwitchRole──► returned to the adapter
//! ```

use alloc::vec;
use alloc::vec::Vec;

use provkit_hal::{
    CredentialStore, Error as _, ErrorKind, Instant, LinkEvent, Profile, ScanEntry, WifiStation,
};

use crate::manager::Manager;
use crate::types::Action;

/// Upper bound on execute/poll rounds per [`Runner::pump`], so a station that keeps producing
/// events cannot stall the caller.
pub const MAX_PUMP_ROUNDS: usize = 32;

/// Owns a station and a store and drives them for a [`Manager`].
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
    pub fn execute(&mut self, manager: &mut Manager, now: Instant) -> Vec<Action> {
        let mut for_adapter = Vec::new();
        while let Some(action) = manager.poll_action() {
            let result = match &action {
                Action::Connect(credentials) => {
                    self.station.connect(credentials).map_err(|e| e.kind())
                }
                Action::Disconnect => self.station.disconnect().map_err(|e| e.kind()),
                Action::StartScan(config) => self.station.start_scan(config).map_err(|e| e.kind()),
                Action::Persist(profiles) => self.store.commit(profiles).map_err(|e| e.kind()),
                Action::ClearStore => self.store.clear().map_err(|e| e.kind()),
                Action::StartTransports(_) | Action::StopTransports | Action::SwitchRole(_) => {
                    for_adapter.push(action);
                    continue;
                }
            };
            if let Err(kind) = result {
                manager.on_action_failed(&action, now);
                self.failures.push((action, kind));
            }
        }
        for_adapter
    }

    /// Feed every pending station event to the manager; returns how many were delivered.
    pub fn poll_station(&mut self, manager: &mut Manager, now: Instant) -> usize {
        let mut delivered = 0;
        while let Some(event) = self.station.poll_event() {
            if event == LinkEvent::ScanDone {
                let mut buffer =
                    vec![ScanEntry::default(); manager.config().max_scan_results.max(1)];
                match self.station.scan_results(&mut buffer) {
                    Ok(Some(n)) => manager.on_scan_done(buffer.get(..n).unwrap_or(&[]), now),
                    Ok(None) => {}
                    Err(e) => self
                        .failures
                        .push((Action::StartScan(Default::default()), e.kind())),
                }
            }
            manager.on_link_event(&event, now);
            delivered += 1;
        }
        delivered
    }

    /// Tick the manager, then execute and poll until nothing moves (at most
    /// [`MAX_PUMP_ROUNDS`] rounds). Returns the transport-level actions for the adapter.
    pub fn pump(&mut self, manager: &mut Manager, now: Instant) -> Vec<Action> {
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
