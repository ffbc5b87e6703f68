//! The simulated Wi-Fi station: joins and scans the [`RadioEnv`] the way a real driver would,
//! in virtual time.
//!
//! Every call takes `now_ms` (milliseconds on any monotonic clock) so the same station runs on
//! the wall clock in `provkit sim` and in fast, deterministic virtual time in tests.
//!
//! ```text
//! connect(creds) ─┬─ SSID absent ............ +NOT_FOUND_MS  Disconnected{NetworkNotFound}
//!                 ├─ attempt ≤ flaky ........ +connect_ms    Disconnected{Timeout}
//!                 ├─ wrong passphrase ....... +connect_ms/2  Disconnected{AuthFailed}
//!                 └─ right passphrase ....... +connect_ms/2  Connected{bssid,channel,auth}
//!                                             +connect_ms    GotIp (only if dhcp)
//! ```

use crate::SimError;
use crate::env::{AccessPoint, RadioEnv};
use provkit_hal::{
    Clock, Credentials, DisconnectReason, ErrorType, Instant, LinkEvent, ScanConfig, ScanEntry,
    WifiStation,
};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How long a real all-channel probe takes to conclude an SSID is absent.
pub const NOT_FOUND_MS: u64 = 300;
/// Channels a scan visits (channel 14 is never reached, like the ESP scan engine).
pub const SCAN_CHANNELS: u64 = 13;
/// Dwell per channel when the request leaves `period_ms` at 0.
pub const DEFAULT_ACTIVE_DWELL_MS: u64 = 120;
pub const DEFAULT_PASSIVE_DWELL_MS: u64 = 360;
/// The pause after every `group_channels` channels (keeps SoftAP beacons going).
pub const GROUP_PAUSE_MS: u64 = 120;
/// Most results one scan returns (`CONFIG_WIFI_PROV_SCAN_MAX_ENTRIES` default).
pub const MAX_SCAN_RESULTS: usize = 16;

/// The simulated radio, sans-I/O: every call takes the time.
#[derive(Debug)]
pub struct SimRadio {
    env: RadioEnv,
    /// Connection attempts per AP index, for `flaky`.
    attempts: BTreeMap<usize, u32>,
    /// Events due at a time, in order.
    pending: VecDeque<(u64, LinkEvent)>,
    link: Link,
    scan: Option<Scan>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Idle,
    Connecting,
    Connected,
}

#[derive(Debug)]
struct Scan {
    done_at: u64,
    results: Vec<ScanEntry>,
    /// `LinkEvent::ScanDone` was handed out.
    reported: bool,
}

impl SimRadio {
    pub fn new(env: RadioEnv) -> Self {
        SimRadio {
            env,
            attempts: BTreeMap::new(),
            pending: VecDeque::new(),
            link: Link::Idle,
            scan: None,
        }
    }

    pub fn env(&self) -> &RadioEnv {
        &self.env
    }

    /// Starts a scan that finishes after the time a driver would take for `cfg`.
    pub fn start_scan(&mut self, now_ms: u64, cfg: ScanConfig) {
        let mut results: Vec<ScanEntry> = self
            .env
            .aps
            .iter()
            .filter(|ap| !ap.hidden)
            .map(entry_of)
            .collect();
        // Strongest first; ties keep file order (a stable sort).
        results.sort_by_key(|e| core::cmp::Reverse(e.rssi));
        results.truncate(MAX_SCAN_RESULTS);
        self.scan = Some(Scan {
            done_at: now_ms.saturating_add(scan_duration_ms(cfg)),
            results,
            reported: false,
        });
    }

    /// `None` while a scan is running or before any scan; the sorted list once it finished.
    pub fn scan_results(&self, now_ms: u64) -> Option<&[ScanEntry]> {
        match &self.scan {
            Some(scan) if now_ms >= scan.done_at => Some(&scan.results),
            _ => None,
        }
    }

    /// Whether a scan was started and has not finished.
    pub fn scan_running(&self, now_ms: u64) -> bool {
        self.scan.as_ref().is_some_and(|s| now_ms < s.done_at)
    }

    /// Starts joining; the outcome arrives through [`SimStation::poll_event`].
    pub fn connect(&mut self, now_ms: u64, creds: &Credentials) {
        // A new connect replaces whatever was in flight, like esp_wifi_connect after a config.
        self.pending.clear();
        self.link = Link::Connecting;
        let Some((index, ap)) = self.env.find(creds.ssid.as_bytes()) else {
            self.pending.push_back((
                now_ms + NOT_FOUND_MS,
                LinkEvent::Disconnected {
                    reason: DisconnectReason::NetworkNotFound,
                },
            ));
            return;
        };
        let attempt = self.attempts.entry(index).or_insert(0);
        *attempt += 1;
        let half = ap.connect_ms / 2;
        if *attempt <= ap.flaky {
            self.pending.push_back((
                now_ms + ap.connect_ms,
                LinkEvent::Disconnected {
                    reason: DisconnectReason::Timeout,
                },
            ));
        } else if !passphrase_matches(ap, creds.passphrase.as_bytes()) {
            self.pending.push_back((
                now_ms + half,
                LinkEvent::Disconnected {
                    reason: DisconnectReason::AuthFailed,
                },
            ));
        } else {
            self.pending.push_back((
                now_ms + half,
                LinkEvent::Connected {
                    bssid: ap.bssid,
                    channel: ap.channel,
                    auth: ap.auth,
                },
            ));
            if ap.dhcp {
                let host = u8::try_from(100 + index % 100).unwrap_or(100);
                self.pending.push_back((
                    now_ms + ap.connect_ms,
                    LinkEvent::GotIp {
                        ip: [192, 168, 1, host],
                    },
                ));
            }
        }
    }

    /// Drops the link (or the attempt in flight); reports `ConnectionLost` if it was up.
    pub fn disconnect(&mut self, now_ms: u64) {
        self.pending.clear();
        if self.link == Link::Connected {
            self.pending.push_back((
                now_ms,
                LinkEvent::Disconnected {
                    reason: DisconnectReason::ConnectionLost,
                },
            ));
        }
        self.link = Link::Idle;
    }

    /// The next event due at `now_ms`, if any.
    pub fn poll_event(&mut self, now_ms: u64) -> Option<LinkEvent> {
        if let Some(scan) = self
            .scan
            .as_mut()
            .filter(|s| !s.reported && now_ms >= s.done_at)
        {
            scan.reported = true;
            return Some(LinkEvent::ScanDone);
        }
        let due = self.pending.front().is_some_and(|(at, _)| *at <= now_ms);
        if !due {
            return None;
        }
        let (_, event) = self.pending.pop_front()?;
        self.link = match event {
            LinkEvent::Connected { .. } | LinkEvent::GotIp { .. } => Link::Connected,
            LinkEvent::Disconnected { .. } => Link::Idle,
            LinkEvent::ScanDone => self.link,
        };
        Some(event)
    }

    /// When the next event is due (lets a runner sleep exactly that long).
    pub fn next_event_at(&self) -> Option<u64> {
        let scan = self
            .scan
            .as_ref()
            .filter(|s| !s.reported)
            .map(|s| s.done_at);
        let link = self.pending.front().map(|(at, _)| *at);
        match (scan, link) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

fn entry_of(ap: &AccessPoint) -> ScanEntry {
    ScanEntry {
        ssid: ap.ssid.clone(),
        bssid: ap.bssid,
        channel: ap.channel,
        rssi: ap.rssi,
        auth: ap.auth,
    }
}

fn passphrase_matches(ap: &AccessPoint, given: &[u8]) -> bool {
    // An open AP ignores whatever key the station offers, as real open networks do.
    ap.passphrase.is_empty() || ap.passphrase.as_bytes() == given
}

/// The simulator's clock: the wall clock, or a manual one tests move by hand.
#[derive(Debug, Clone)]
pub enum SimClock {
    /// Milliseconds since the clock was made.
    Wall(std::time::Instant),
    /// Shared manual time in milliseconds.
    Manual(Arc<AtomicU64>),
}

impl SimClock {
    pub fn wall() -> Self {
        SimClock::Wall(std::time::Instant::now())
    }

    /// A manual clock at 0 and the handle that moves it.
    pub fn manual() -> (Self, Arc<AtomicU64>) {
        let now = Arc::new(AtomicU64::new(0));
        (SimClock::Manual(Arc::clone(&now)), now)
    }

    pub fn now_ms(&self) -> u64 {
        match self {
            SimClock::Wall(start) => u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
            SimClock::Manual(now) => now.load(Ordering::Relaxed),
        }
    }
}

impl Clock for SimClock {
    fn now(&self) -> Instant {
        Instant::from_millis(self.now_ms())
    }
}

/// [`SimRadio`] on a [`SimClock`]: the provkit-hal [`WifiStation`] of the simulator.
#[derive(Debug)]
pub struct SimStation {
    pub radio: SimRadio,
    pub clock: SimClock,
}

impl SimStation {
    pub fn new(env: RadioEnv, clock: SimClock) -> Self {
        SimStation {
            radio: SimRadio::new(env),
            clock,
        }
    }
}

impl ErrorType for SimStation {
    type Error = SimError;
}

impl WifiStation for SimStation {
    fn start_scan(&mut self, config: &ScanConfig) -> Result<(), SimError> {
        let now = self.clock.now_ms();
        self.radio.start_scan(now, *config);
        Ok(())
    }

    fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, SimError> {
        let now = self.clock.now_ms();
        Ok(self.radio.scan_results(now).map(|results| {
            let n = results.len().min(out.len());
            out.iter_mut()
                .zip(results)
                .for_each(|(slot, entry)| *slot = entry.clone());
            n
        }))
    }

    fn connect(&mut self, credentials: &Credentials) -> Result<(), SimError> {
        let now = self.clock.now_ms();
        self.radio.connect(now, credentials);
        Ok(())
    }

    fn disconnect(&mut self) -> Result<(), SimError> {
        let now = self.clock.now_ms();
        self.radio.disconnect(now);
        Ok(())
    }

    fn poll_event(&mut self) -> Option<LinkEvent> {
        let now = self.clock.now_ms();
        self.radio.poll_event(now)
    }
}

/// How long a real driver takes for this scan request.
pub fn scan_duration_ms(cfg: ScanConfig) -> u64 {
    let dwell = match (cfg.period_ms, cfg.passive) {
        (0, false) => DEFAULT_ACTIVE_DWELL_MS,
        (0, true) => DEFAULT_PASSIVE_DWELL_MS,
        (ms, _) => u64::from(ms),
    };
    let pauses = match u64::from(cfg.group_channels) {
        0 => 0,
        n => SCAN_CHANNELS / n,
    };
    SCAN_CHANNELS * dwell + pauses * GROUP_PAUSE_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use provkit_hal::{AuthMode, Passphrase, Ssid};

    fn station() -> SimRadio {
        SimRadio::new(RadioEnv::demo().expect("demo env"))
    }

    fn creds(ssid: &str, pass: &str) -> Credentials {
        Credentials {
            ssid: Ssid::new(ssid.as_bytes()).expect("ssid"),
            passphrase: Passphrase::from_raw(pass.as_bytes()).expect("passphrase"),
            ..Credentials::default()
        }
    }

    /// Runs virtual time forward from `from` to `to`, collecting (time, event).
    fn run(st: &mut SimRadio, from: u64, to: u64) -> Vec<(u64, LinkEvent)> {
        let mut out = Vec::new();
        for t in from..=to {
            while let Some(e) = st.poll_event(t) {
                out.push((t, e));
            }
        }
        out
    }

    #[test]
    fn right_passphrase_connects_then_gets_ip_at_connect_ms() {
        let mut st = station();
        let (index, home) = st.env().find(b"HomeNet").expect("HomeNet");
        let (bssid, channel, connect_ms) = (home.bssid, home.channel, home.connect_ms);
        st.connect(10, &creds("HomeNet", "correct horse"));
        let events = run(&mut st, 10, 10 + connect_ms + 5);
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(
            events[0].1,
            LinkEvent::Connected {
                bssid,
                channel,
                auth: AuthMode::Wpa2Psk
            }
        );
        assert!(events[0].0 < 10 + connect_ms);
        let expected_host = u8::try_from(100 + index).expect("small index");
        assert_eq!(
            events[1],
            (
                10 + connect_ms,
                LinkEvent::GotIp {
                    ip: [192, 168, 1, expected_host]
                }
            )
        );
    }

    #[test]
    fn wrong_passphrase_is_an_auth_failure() {
        let mut st = station();
        st.connect(0, &creds("HomeNet", "wrong horse"));
        let events = run(&mut st, 0, 5000);
        assert_eq!(
            events.iter().map(|(_, e)| *e).collect::<Vec<_>>(),
            vec![LinkEvent::Disconnected {
                reason: DisconnectReason::AuthFailed
            }]
        );
    }

    #[test]
    fn absent_ssid_is_not_found() {
        let mut st = station();
        st.connect(0, &creds("Nowhere", "whatever1"));
        let events = run(&mut st, 0, 5000);
        assert_eq!(
            events,
            vec![(
                NOT_FOUND_MS,
                LinkEvent::Disconnected {
                    reason: DisconnectReason::NetworkNotFound
                }
            )]
        );
    }

    #[test]
    fn hidden_ap_is_joinable_by_name() {
        let mut st = station();
        st.connect(0, &creds("HiddenLab", "lab-network-9"));
        let events = run(&mut st, 0, 5000);
        assert!(
            matches!(events.last(), Some((_, LinkEvent::GotIp { .. }))),
            "{events:?}"
        );
    }

    #[test]
    fn no_dhcp_associates_but_never_gets_an_address() {
        let mut st = station();
        st.connect(0, &creds("NoDhcp", "no-dhcp-here"));
        let events = run(&mut st, 0, 60_000);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(matches!(events[0].1, LinkEvent::Connected { .. }));
    }

    #[test]
    fn flaky_ap_times_out_first_n_attempts_then_joins() {
        let mut st = station();
        let flaky = st.env().find(b"FlakyAP").expect("FlakyAP").1.flaky;
        assert!(flaky >= 1);
        let mut t = 0;
        for _ in 0..flaky {
            st.connect(t, &creds("FlakyAP", "flaky-network"));
            let events = run(&mut st, t, t + 10_000);
            assert_eq!(
                events.iter().map(|(_, e)| *e).collect::<Vec<_>>(),
                vec![LinkEvent::Disconnected {
                    reason: DisconnectReason::Timeout
                }]
            );
            t += 10_001;
        }
        st.connect(t, &creds("FlakyAP", "flaky-network"));
        let events = run(&mut st, t, t + 10_000);
        assert!(matches!(events.last(), Some((_, LinkEvent::GotIp { .. }))));
    }

    #[test]
    fn disconnect_cancels_an_attempt_and_reports_loss_of_a_link() {
        let mut st = station();
        st.connect(0, &creds("HomeNet", "correct horse"));
        st.disconnect(1);
        assert!(run(&mut st, 1, 5000).is_empty());
        st.connect(5000, &creds("HomeNet", "correct horse"));
        let _ = run(&mut st, 5000, 10_000);
        st.disconnect(10_001);
        assert_eq!(
            st.poll_event(10_001),
            Some(LinkEvent::Disconnected {
                reason: DisconnectReason::ConnectionLost
            })
        );
    }

    #[test]
    fn scan_lists_visible_aps_strongest_first_after_the_driver_time() {
        let mut st = station();
        let cfg = ScanConfig {
            passive: false,
            group_channels: 5,
            period_ms: 120,
            ..ScanConfig::default()
        };
        st.start_scan(0, cfg);
        let duration = scan_duration_ms(cfg);
        assert_eq!(duration, 13 * 120 + 2 * GROUP_PAUSE_MS);
        assert!(st.scan_running(duration - 1));
        assert!(st.scan_results(duration - 1).is_none());
        let results = st.scan_results(duration).expect("finished");
        let visible = st.env().aps.iter().filter(|a| !a.hidden).count();
        assert_eq!(results.len(), visible);
        assert!(results.windows(2).all(|w| w[0].rssi >= w[1].rssi));
        assert!(results.iter().all(|r| r.ssid.as_bytes() != b"HiddenLab"));
        assert_eq!(results[0].ssid.as_bytes(), b"HomeNet");
    }

    #[test]
    fn scan_timing_follows_passive_and_period() {
        let passive = ScanConfig {
            passive: true,
            ..ScanConfig::default()
        };
        assert_eq!(scan_duration_ms(passive), 13 * DEFAULT_PASSIVE_DWELL_MS);
        let active = ScanConfig::default();
        assert_eq!(scan_duration_ms(active), 13 * DEFAULT_ACTIVE_DWELL_MS);
        let slow = ScanConfig {
            period_ms: 300,
            group_channels: 1,
            ..ScanConfig::default()
        };
        assert_eq!(scan_duration_ms(slow), 13 * 300 + 13 * GROUP_PAUSE_MS);
    }

    #[test]
    fn station_trait_reports_scan_done_and_copies_results_on_manual_time() {
        let (clock, now) = SimClock::manual();
        let mut st = SimStation::new(RadioEnv::demo().expect("demo"), clock);
        let cfg = ScanConfig::default();
        st.start_scan(&cfg).expect("scan");
        let mut out = vec![ScanEntry::default(); 2];
        assert_eq!(st.scan_results(&mut out).expect("results"), None);
        assert_eq!(st.poll_event(), None);
        now.store(scan_duration_ms(cfg), Ordering::Relaxed);
        assert_eq!(st.poll_event(), Some(LinkEvent::ScanDone));
        assert_eq!(st.poll_event(), None, "ScanDone is reported once");
        assert_eq!(st.scan_results(&mut out).expect("results"), Some(2));
        assert_eq!(out[0].ssid.as_bytes(), b"HomeNet");
        assert!(out[0].rssi >= out[1].rssi);
    }
}
