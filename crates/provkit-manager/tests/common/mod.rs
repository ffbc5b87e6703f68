//! Shared test harness: a manager of either personality driven in virtual time against
//! provkit-hal's mocks.
#![allow(dead_code)]

use provkit_hal::mock::{MemoryStore, MockNetwork, MockStation};
use provkit_hal::{AuthMode, Bssid, Credentials, Instant, Passphrase, Profile, Ssid};
use provkit_manager::{Action, Esp, Manager, Personality, Runner, Ti};

pub const HOME: &[u8] = b"home-net";
pub const HOME_PASS: &[u8] = b"correct horse";
pub const OFFICE: &[u8] = b"office";
pub const OFFICE_PASS: &[u8] = b"office-pass-1";
pub const NO_DHCP: &[u8] = b"no-dhcp";

pub fn creds(ssid: &[u8], pass: &[u8]) -> Credentials {
    Credentials {
        ssid: Ssid::new(ssid).unwrap(),
        passphrase: Passphrase::from_raw(pass).unwrap(),
        bssid: None,
        channel: None,
    }
}

pub fn network(ssid: &[u8], pass: &[u8], last: u8, ip: Option<[u8; 4]>, rssi: i8) -> MockNetwork {
    MockNetwork {
        ssid: Ssid::new(ssid).unwrap(),
        passphrase: Passphrase::from_raw(pass).unwrap(),
        bssid: Bssid([2, 0, 0, 0, 0, last]),
        channel: 6,
        rssi,
        auth: AuthMode::Wpa2Psk,
        ip,
    }
}

/// A station that sees HOME (good), OFFICE (good) and NO_DHCP (associates, never gets an IP).
pub fn station() -> MockStation {
    let mut s = MockStation::new();
    s.add_network(network(HOME, HOME_PASS, 1, Some([192, 168, 1, 50]), -40))
        .unwrap();
    s.add_network(network(OFFICE, OFFICE_PASS, 2, Some([10, 0, 0, 7]), -70))
        .unwrap();
    s.add_network(network(NO_DHCP, b"nodhcp-pass", 3, None, -55))
        .unwrap();
    s
}

pub struct Harness<P: Personality> {
    pub mgr: Manager<P>,
    pub runner: Runner<MockStation, MemoryStore>,
    pub now: u64,
    pub events: Vec<P::Event>,
    pub adapter_actions: Vec<Action>,
}

/// An ESP manager on the mocks.
pub type EspHarness = Harness<Esp>;
/// A TI manager on the mocks.
pub type TiHarness = Harness<Ti>;

impl<P: Personality> Harness<P> {
    pub fn new(cfg: P::Config, stored: &[Profile]) -> Self {
        let store = MemoryStore::with_profiles(stored).unwrap();
        let mut runner = Runner::new(station(), store);
        let profiles = runner.load_profiles().unwrap();
        let mgr = Manager::new(cfg, profiles).unwrap();
        let mut h = Self {
            mgr,
            runner,
            now: 0,
            events: Vec::new(),
            adapter_actions: Vec::new(),
        };
        h.pump();
        h
    }

    pub fn at(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    /// Execute actions, deliver station events, collect events.
    pub fn pump(&mut self) {
        let now = self.at();
        let acts = self.runner.pump(&mut self.mgr, now);
        self.adapter_actions.extend(acts);
        while let Some(e) = self.mgr.poll_event() {
            self.events.push(e);
        }
    }

    /// Move virtual time to `ms` (absolute) and pump.
    pub fn advance_to(&mut self, ms: u64) {
        self.now = ms;
        self.pump();
    }

    pub fn advance(&mut self, by: u64) {
        self.advance_to(self.now + by);
    }

    pub fn take_events(&mut self) -> Vec<P::Event> {
        self.pump();
        core::mem::take(&mut self.events)
    }

    pub fn take_adapter_actions(&mut self) -> Vec<Action> {
        core::mem::take(&mut self.adapter_actions)
    }

    pub fn stored(&self) -> Vec<Profile> {
        self.runner.store.profiles().to_vec()
    }
}
