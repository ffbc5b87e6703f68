//! Plain data that crosses the HAL boundary: credentials, scan entries, link events, time.
//!
//! Everything here is bounded (`heapless`), `Clone`, and free of allocation so a chip adapter
//! can hold it in a static. Constructors that take untrusted bytes validate and return
//! [`ErrorKind`] instead of panicking.

use core::ops::{Add, AddAssign, Sub};

use zeroize::Zeroize;

use crate::ErrorKind;

/// Longest SSID 802.11 allows (and ESP-IDF's `wifi_sta_config_t.ssid` holds).
pub const MAX_SSID_LEN: usize = 32;
/// Longest passphrase: 63 printable characters or a 64-hex-digit raw PSK.
pub const MAX_PASSPHRASE_LEN: usize = 64;
/// Shortest WPA passphrase (IEEE 802.11i-2004 H.4.1).
pub const MIN_WPA_PASSPHRASE_LEN: usize = 8;
/// How many profiles a [`crate::CredentialStore`] keeps (TI SimpleLink's profile table size;
/// ESP-IDF keeps one, which fits).
pub const MAX_PROFILES: usize = 7;

/// An SSID: 0 to 32 arbitrary bytes. Zero length is allowed because hidden networks show up
/// in scan results with an empty SSID and the reference accepts an empty SSID in SetConfig.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Ssid(heapless::Vec<u8, MAX_SSID_LEN>);

impl Ssid {
    /// Copies `bytes`; more than [`MAX_SSID_LEN`] bytes is [`ErrorKind::InvalidSsid`].
    pub fn new(bytes: &[u8]) -> Result<Self, ErrorKind> {
        heapless::Vec::from_slice(bytes)
            .map(Self)
            .map_err(|_| ErrorKind::InvalidSsid)
    }

    /// The raw bytes (not necessarily UTF-8).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty (hidden-network) SSID.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl core::fmt::Debug for Ssid {
    // SSIDs are usually text; show them as such, escaping whatever is not.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Ssid(\"{}\")", self.0.escape_ascii())
    }
}

/// A Wi-Fi passphrase, at most [`MAX_PASSPHRASE_LEN`] bytes.
///
/// Two constructors because two rule sets matter:
/// * [`Passphrase::new`] applies the WPA rules: empty (open network), 8..=63 printable ASCII
///   characters, or exactly 64 hex digits (a raw PSK).
/// * [`Passphrase::from_raw`] only bounds the length. ESP-IDF's SetConfig checks nothing but
///   the length (spec §6.4), so a wire-faithful handler needs to carry what it accepted.
///
/// `Debug` never prints the secret, and the bytes are wiped (volatile writes, see `zeroize`)
/// when a `Passphrase` — or any clone of it — is dropped, so a freed stack slot or static
/// does not keep the key. Copies the compiler makes when a value is *moved* cannot be
/// reached from safe code and are not wiped; keep passphrases in place (borrow them) where
/// that matters.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Passphrase(heapless::Vec<u8, MAX_PASSPHRASE_LEN>);

impl Passphrase {
    /// Validates `bytes` against the WPA-PSK rules (see the type docs).
    pub fn new(bytes: &[u8]) -> Result<Self, ErrorKind> {
        let valid = match bytes.len() {
            0 => true,
            MAX_PASSPHRASE_LEN => bytes.iter().all(u8::is_ascii_hexdigit),
            n if (MIN_WPA_PASSPHRASE_LEN..MAX_PASSPHRASE_LEN).contains(&n) => {
                // 802.11i: ASCII 32..=126.
                bytes.iter().all(|b| (0x20..=0x7e).contains(b))
            }
            _ => false,
        };
        if !valid {
            return Err(ErrorKind::InvalidPassphrase);
        }
        Self::from_raw(bytes)
    }

    /// Copies up to [`MAX_PASSPHRASE_LEN`] arbitrary bytes without checking their content.
    pub fn from_raw(bytes: &[u8]) -> Result<Self, ErrorKind> {
        heapless::Vec::from_slice(bytes)
            .map(Self)
            .map_err(|_| ErrorKind::InvalidPassphrase)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for an open network.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when this is a 64-hex-digit raw PSK rather than a passphrase.
    pub fn is_raw_psk(&self) -> bool {
        self.0.len() == MAX_PASSPHRASE_LEN && self.0.iter().all(u8::is_ascii_hexdigit)
    }
}

impl core::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Passphrase(<{} bytes>)", self.0.len())
    }
}

impl Zeroize for Passphrase {
    /// Overwrites the bytes with zeros and leaves an empty (open-network) passphrase.
    fn zeroize(&mut self) {
        // Only the first `len` bytes were ever written: both constructors copy exactly the
        // input, and nothing mutates a passphrase afterwards, so wiping the initialised part
        // wipes everything that held the secret.
        self.0.as_mut_slice().zeroize();
        self.0.clear();
    }
}

impl Drop for Passphrase {
    fn drop(&mut self) {
        self.zeroize();
    }
}

/// An access point's MAC address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bssid(pub [u8; 6]);

impl Bssid {
    /// Exactly 6 bytes, else [`ErrorKind::InvalidBssid`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ErrorKind> {
        <[u8; 6]>::try_from(bytes)
            .map(Self)
            .map_err(|_| ErrorKind::InvalidBssid)
    }
}

/// Authentication mode of an AP, numbered like ESP-IDF's `wifi_auth_mode_t` (and the wire's
/// `WifiAuthMode`). Numbers ≥ 8 differ between IDF versions (spec §2.6), so they stay raw in
/// `Other`. [`AuthMode::from_raw`] never produces `Other(n)` with `n < 8`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AuthMode {
    /// 0
    #[default]
    Open,
    /// 1
    Wep,
    /// 2
    WpaPsk,
    /// 3
    Wpa2Psk,
    /// 4
    WpaWpa2Psk,
    /// 5
    Wpa2Enterprise,
    /// 6
    Wpa3Psk,
    /// 7
    Wpa2Wpa3Psk,
    /// Anything newer (OWE, WAPI, WPA3-Enterprise, ...), kept as the raw driver number.
    Other(u8),
}

impl AuthMode {
    /// From the raw ESP number.
    pub fn from_raw(raw: u8) -> Self {
        match raw {
            0 => Self::Open,
            1 => Self::Wep,
            2 => Self::WpaPsk,
            3 => Self::Wpa2Psk,
            4 => Self::WpaWpa2Psk,
            5 => Self::Wpa2Enterprise,
            6 => Self::Wpa3Psk,
            7 => Self::Wpa2Wpa3Psk,
            other => Self::Other(other),
        }
    }

    /// To the raw ESP number.
    pub fn to_raw(self) -> u8 {
        match self {
            Self::Open => 0,
            Self::Wep => 1,
            Self::WpaPsk => 2,
            Self::Wpa2Psk => 3,
            Self::WpaWpa2Psk => 4,
            Self::Wpa2Enterprise => 5,
            Self::Wpa3Psk => 6,
            Self::Wpa2Wpa3Psk => 7,
            Self::Other(raw) => raw,
        }
    }
}

/// How to scan. Mirrors `CmdScanStart` (spec §2.8, §6.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScanConfig {
    /// The client wants the answer only once the scan finished. Stations ignore it; it is
    /// here so the layer answering the request can see it.
    pub blocking: bool,
    /// Passive (listen for beacons) instead of active (probe requests).
    pub passive: bool,
    /// 0: one all-channel scan. n > 0: scan channels one at a time, pausing after every n-th
    /// so a SoftAP keeps beaconing.
    pub group_channels: u8,
    /// Dwell time per channel; 0 = driver default.
    pub period_ms: u32,
}

/// One AP seen by a scan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScanEntry {
    /// The AP's SSID (empty for hidden networks).
    pub ssid: Ssid,
    /// The AP's MAC address.
    pub bssid: Bssid,
    /// Primary channel.
    pub channel: u8,
    /// Signal strength in dBm (negative).
    pub rssi: i8,
    /// Authentication mode the AP advertises.
    pub auth: AuthMode,
}

/// What to connect to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// Network name.
    pub ssid: Ssid,
    /// Empty for open networks.
    pub passphrase: Passphrase,
    /// Lock onto one AP. ESP-IDF's manager receives but ignores this (spec §6.4).
    pub bssid: Option<Bssid>,
    /// Channel hint. ESP-IDF's manager receives but ignores this (spec §6.4).
    pub channel: Option<u8>,
}

/// A stored network, TI SimpleLink style: credentials plus a priority (higher is tried first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Profile {
    /// The network.
    pub credentials: Credentials,
    /// Connection preference; higher wins.
    pub priority: u8,
}

/// The profile list a [`crate::CredentialStore`] loads.
pub type ProfileList = heapless::Vec<Profile, MAX_PROFILES>;

/// Why the station lost (or never got) its link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// Wrong passphrase or handshake failure.
    AuthFailed,
    /// No AP with this SSID answered.
    NetworkNotFound,
    /// Associated but DHCP never delivered an address.
    NoIp,
    /// The attempt took too long (adapter-defined).
    Timeout,
    /// An established link went away (beacon loss, deauth).
    ConnectionLost,
    /// Any other driver reason code, kept raw.
    Other(u16),
}

impl DisconnectReason {
    /// Classifies an ESP-IDF `wifi_err_reason_t` the way `wifi_prov_mgr` does (spec §6.3):
    /// 202 AUTH_FAIL, 15 4WAY_HANDSHAKE_TIMEOUT, 204 HANDSHAKE_TIMEOUT and 14 MIC_FAILURE mean
    /// authentication failed; 201 NO_AP_FOUND means not found; everything else stays raw.
    pub fn from_esp_reason(code: u16) -> Self {
        match code {
            202 | 15 | 204 | 14 => Self::AuthFailed,
            201 => Self::NetworkNotFound,
            other => Self::Other(other),
        }
    }
}

/// Something that happened on the station, reported by [`crate::WifiStation::poll_event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkEvent {
    /// Associated (and authenticated) with an AP.
    Connected {
        /// The AP.
        bssid: Bssid,
        /// Its channel.
        channel: u8,
        /// Its authentication mode.
        auth: AuthMode,
    },
    /// DHCP (or static config) gave the station an IPv4 address.
    GotIp {
        /// The address, network byte order.
        ip: [u8; 4],
    },
    /// The link is down, or the attempt failed.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
    /// A scan started with [`crate::WifiStation::start_scan`] has finished; results are ready.
    ScanDone,
}

/// A point in time: milliseconds since an adapter-chosen epoch (usually boot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Instant(pub u64);

/// A span of time in milliseconds. Arithmetic saturates: timers never wrap or panic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duration(pub u64);

impl Instant {
    /// From milliseconds since the epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// Zero.
    pub const ZERO: Duration = Duration(0);

    /// From milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// From seconds (saturating).
    pub const fn from_secs(s: u64) -> Self {
        Self(s.saturating_mul(1000))
    }

    /// Milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_sub(rhs.0))
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_sub(rhs.0))
    }
}
