//! The ESP personality behind the portal: a [`Device<Esp, F>`](provkit_manager::Device) —
//! the same manager protocomm drives, and protocomm's own throttle.
//!
//! ```text
//!  submit ─► attempt running? ── yes ─► Busy (one attempt at a time, any transport)
//!              │ no
//!              ▼
//!     Manager::set_config + apply_config   (CredRecv, then Connect after the delay)
//!  progress ◄─ wifi_state / attempt / last_try_failure; `connected` read = GetStatus
//! ```

use alloc::vec::Vec;

use provkit_hal::{Credentials, Instant, ScanConfig, Ssid};
use provkit_manager::{Device, EndpointFn, Esp, ManagerError, ProvState, StaState};
use provkit_protocomm::ThrottleState;

use crate::api::{Networks, PortalBackend, Progress, Refusal};

/// A [`Device<Esp, F>`](provkit_manager::Device) as the portal's backend.
pub struct EspBackend<'a, F: ?Sized> {
    device: &'a mut Device<Esp, F>,
}

impl<'a, F: EndpointFn + ?Sized> EspBackend<'a, F> {
    /// Borrows the device for one request.
    pub fn new(device: &'a mut Device<Esp, F>) -> Self {
        Self { device }
    }
}

fn ssid_of(state: &StaState) -> Option<Ssid> {
    match state {
        StaState::Connected(info) => Some(info.ssid.clone()),
        _ => None,
    }
}

impl<F: EndpointFn + ?Sized> PortalBackend for EspBackend<'_, F> {
    fn throttle(&mut self) -> Option<&mut ThrottleState> {
        self.device
            .protocomm_mut()
            .map(provkit_protocomm::Protocomm::throttle_state_mut)
    }

    fn start_scan(&mut self, now: Instant) -> Result<(), Refusal> {
        self.device.manager.on_client_activity(now);
        self.device
            .manager
            .start_scan(ScanConfig::default(), now)
            .map_err(|_| Refusal::Stopped)
    }

    fn networks(&mut self) -> Networks {
        let manager = &self.device.manager;
        let (done, count) = manager.scan_status();
        Networks {
            scanning: !done,
            entries: (0..count)
                .filter_map(|i| manager.scan_result(i))
                .collect::<Vec<_>>(),
        }
    }

    fn submit(&mut self, credentials: Credentials, now: Instant) -> Result<(), Refusal> {
        let manager = &mut self.device.manager;
        manager.on_tick(now);
        match manager.state() {
            ProvState::Started | ProvState::Fail => {}
            ProvState::CredRecv => return Err(Refusal::Busy),
            ProvState::Idle | ProvState::Success | ProvState::Stopping => {
                return Err(Refusal::Stopped);
            }
        }
        if manager.attempt_in_progress() {
            return Err(Refusal::Busy);
        }
        let refusal = |e: ManagerError| match e {
            ManagerError::WrongState { .. } => Refusal::Busy,
            _ => Refusal::Invalid,
        };
        manager.on_client_activity(now);
        manager.set_config(credentials, now).map_err(refusal)?;
        manager.apply_config(now).map_err(refusal)
    }

    fn progress(&mut self, now: Instant) -> Progress {
        let manager = &mut self.device.manager;
        manager.on_tick(now);
        let state = manager.state();
        let attempt_ssid = manager
            .profiles()
            .first()
            .map(|p| p.credentials.ssid.clone());
        match (state, manager.wifi_state().clone()) {
            (ProvState::Idle | ProvState::Stopping, _) => Progress::Stopped,
            (ProvState::CredRecv, StaState::AttemptFailed { attempts_remaining }) => {
                Progress::Connecting {
                    ssid: Ssid::default(),
                    retry: Some((manager.last_try_failure(), attempts_remaining)),
                }
            }
            (ProvState::CredRecv, _) => Progress::Connecting {
                ssid: Ssid::default(),
                retry: None,
            },
            (ProvState::Success, StaState::Connected(info)) => {
                // The client read the result: ESP's GetStatus `connected` (auto-stop).
                let _ = manager.get_status(now);
                Progress::Connected {
                    ssid: info.ssid,
                    ip: Some(info.ip),
                }
            }
            (ProvState::Success, other) => Progress::Connected {
                ssid: ssid_of(&other).or(attempt_ssid).unwrap_or_default(),
                ip: None,
            },
            (ProvState::Fail, StaState::Failed { reason, .. }) => Progress::Failed {
                ssid: Ssid::default(),
                reason,
                attempts_remaining: (manager.config().wifi_conn_attempts > 0)
                    .then(|| manager.remaining_conn_attempts()),
            },
            (ProvState::Fail, _) => Progress::Failed {
                ssid: Ssid::default(),
                reason: manager
                    .fail_reason()
                    .unwrap_or(provkit_manager::FailReason::Other(0)),
                attempts_remaining: None,
            },
            (ProvState::Started, _) => Progress::Ready,
        }
    }
}
