//! [`provkit_hal::asynch::WifiStation`] on esp-radio's `WifiController`.
//!
//! esp-radio's calls are futures that run to the outcome (`scan_async`, `connect_async`), while
//! the HAL trait reports outcomes as [`LinkEvent`]s; the adapter awaits the driver call and
//! queues the resulting event, so the manager sees the same event order as from any station.
//! `GotIp` comes from the IP stack (embassy-net's DHCP client), not the radio: with
//! [`EspStation::with_ip_stack`] the station watches the stack after each association and
//! reports the address as [`LinkEvent::GotIp`] itself, so the engine sees one event stream.
//!
//! When SoftAP provisioning runs, the controller must stay in AP+STA mode while it scans and
//! connects, so the AP configuration is kept here and re-applied with every station config.

use embassy_futures::select::{Either, select};
use embassy_net::Stack;
use esp_radio::wifi::ap::AccessPointConfig;
use esp_radio::wifi::scan::{ScanConfig as EspScanConfig, ScanTypeConfig};
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{
    AuthenticationMethod, AuthenticationMethodConfig, Config, ConnectionError, Password,
    Ssid as EspSsid, WifiController,
};
use heapless::{Deque, Vec};
use provkit_hal::{AuthMode, Bssid, Credentials, LinkEvent, ScanConfig, ScanEntry, Ssid};

use crate::Esp32Error;
use crate::reason::{classify, esp_reason_code};

/// Most scan results kept (esp_prov pages through them; phones show the strongest).
pub const MAX_SCAN_RESULTS: usize = 16;

/// The ESP32 Wi-Fi station.
pub struct EspStation<'d> {
    controller: WifiController<'d>,
    access_point: Option<AccessPointConfig>,
    station: StationConfig,
    configured: bool,
    events: Deque<LinkEvent, 8>,
    scan: Vec<ScanEntry, MAX_SCAN_RESULTS>,
    scan_done: bool,
    link_up: bool,
    /// The station's IP stack, watched for the DHCP address after each association.
    ip_stack: Option<Stack<'d>>,
    /// The address of the current association was reported.
    ip_reported: bool,
}

impl<'d> EspStation<'d> {
    /// A station on `controller`; with `access_point`, the controller runs AP+STA (SoftAP
    /// provisioning) and keeps that AP up across every reconfiguration.
    pub fn new(controller: WifiController<'d>, access_point: Option<AccessPointConfig>) -> Self {
        Self {
            controller,
            access_point,
            station: StationConfig::default(),
            configured: false,
            events: Deque::new(),
            scan: Vec::new(),
            scan_done: false,
            link_up: false,
            ip_stack: None,
            ip_reported: false,
        }
    }

    /// Reports `GotIp` from `stack` (the station interface's embassy-net stack, DHCP client
    /// configured) after every association.
    pub fn with_ip_stack(mut self, stack: Stack<'d>) -> Self {
        self.ip_stack = Some(stack);
        self
    }

    /// Starts (`Some`) or stops (`None`, after provisioning) the SoftAP, keeping the
    /// station configuration.
    pub fn set_access_point(
        &mut self,
        access_point: Option<AccessPointConfig>,
    ) -> Result<(), Esp32Error> {
        self.access_point = access_point;
        self.apply()
    }

    /// Whether the station is associated.
    pub fn is_link_up(&self) -> bool {
        self.link_up
    }

    /// The controller, for what the HAL does not cover (MAC address, power saving).
    pub fn controller(&mut self) -> &mut WifiController<'d> {
        &mut self.controller
    }

    fn push(&mut self, event: LinkEvent) {
        // A full queue drops the oldest event: the latest state matters most to the manager.
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(event);
    }

    fn apply(&mut self) -> Result<(), Esp32Error> {
        let config = match &self.access_point {
            Some(ap) => Config::AccessPointStation(self.station.clone(), ap.clone()),
            None => Config::Station(self.station.clone()),
        };
        self.controller
            .set_config(&config)
            .map_err(|_| Esp32Error::Radio)?;
        self.configured = true;
        Ok(())
    }
}

/// ESP-IDF `wifi_auth_mode_t` numbering for the modes provkit names (spec §2.6).
fn auth_mode(method: Option<AuthenticationMethod>) -> AuthMode {
    use AuthenticationMethod as M;
    let raw = match method {
        None | Some(M::None) => 0,
        Some(M::Wep) => 1,
        Some(M::Wpa) => 2,
        Some(M::Wpa2Personal) => 3,
        Some(M::WpaWpa2Personal) => 4,
        Some(M::Wpa2Enterprise) => 5,
        Some(M::Wpa3Personal) => 6,
        Some(M::Wpa2Wpa3Personal) => 7,
        Some(M::WapiPersonal) => 8,
        Some(M::Owe) => 9,
        Some(M::Wpa3EntSuiteB192Bit) => 10,
        Some(M::Wpa3ExtPsk) => 11,
        Some(M::Wpa3ExtPskMixed) => 12,
        Some(M::Dpp) => 13,
        Some(M::Wpa3Enterprise) => 14,
        Some(M::Wpa2Wpa3Enterprise) => 15,
        Some(M::WpaEnterprise) => 16,
        Some(_) => 255,
    };
    AuthMode::from_raw(raw)
}

impl provkit_hal::ErrorType for EspStation<'_> {
    type Error = Esp32Error;
}

impl provkit_hal::asynch::WifiStation for EspStation<'_> {
    async fn start_scan(&mut self, config: &ScanConfig) -> Result<(), Esp32Error> {
        if !self.configured {
            self.apply()?;
        }
        let dwell = esp_hal::time::Duration::from_millis(u64::from(match config.period_ms {
            0 if config.passive => 360, // IDF's passive default
            0 => 120,                   // IDF's active max default
            ms => ms,
        }));
        let scan_type = if config.passive {
            ScanTypeConfig::Passive(dwell)
        } else {
            ScanTypeConfig::Active {
                min: esp_hal::time::Duration::from_millis(0),
                max: dwell,
            }
        };
        let request = EspScanConfig::default()
            .with_scan_type(scan_type)
            .with_max(MAX_SCAN_RESULTS);
        self.scan_done = false;
        let found = self
            .controller
            .scan_async(&request)
            .await
            .map_err(|_| Esp32Error::Radio)?;
        self.scan.clear();
        for ap in found.iter().take(MAX_SCAN_RESULTS) {
            let entry = ScanEntry {
                // esp-radio exposes the SSID only as text (invalid UTF-8 cut at the first bad
                // byte); it is at most 32 bytes, so `Ssid::new` cannot fail.
                ssid: Ssid::new(ap.ssid.as_str().as_bytes()).unwrap_or_default(),
                bssid: Bssid(ap.bssid),
                channel: ap.channel,
                rssi: ap.signal_strength,
                auth: auth_mode(ap.auth_method),
            };
            // `take` keeps the list within its capacity.
            if self.scan.push(entry).is_err() {
                break;
            }
        }
        self.scan_done = true;
        self.push(LinkEvent::ScanDone);
        Ok(())
    }

    async fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, Esp32Error> {
        if !self.scan_done {
            return Ok(None);
        }
        let n = out.len().min(self.scan.len());
        for (slot, entry) in out.iter_mut().zip(self.scan.iter()) {
            *slot = entry.clone();
        }
        Ok(Some(n))
    }

    async fn connect(&mut self, credentials: &Credentials) -> Result<(), Esp32Error> {
        let ssid = EspSsid::try_from(credentials.ssid.as_bytes())
            .map_err(|_| Esp32Error::InvalidCredentials)?;
        let pass = credentials.passphrase.as_bytes();
        // WPA2-Personal is esp-radio's threshold: it also joins WPA/WPA2 and WPA2/WPA3 APs.
        let authentication = if pass.is_empty() {
            AuthenticationMethodConfig::Open
        } else {
            AuthenticationMethodConfig::Wpa2Personal(
                Password::try_from(pass).map_err(|_| Esp32Error::InvalidCredentials)?,
            )
        };
        // Like wifi_prov_mgr, the BSSID/channel hints are received but not used (spec §6.4).
        self.station = StationConfig::default()
            .with_ssid(ssid)
            .with_authentication(authentication);
        self.apply()?;
        match self.controller.connect_async().await {
            Ok(info) => {
                self.link_up = true;
                self.ip_reported = false;
                self.push(LinkEvent::Connected {
                    bssid: Bssid(info.bssid),
                    channel: info.channel,
                    auth: auth_mode(Some(info.authmode)),
                });
            }
            Err(ConnectionError::Failed(info)) => {
                self.link_up = false;
                let reason = classify(esp_reason_code(info.reason), false);
                self.push(LinkEvent::Disconnected { reason });
            }
            Err(_) => return Err(Esp32Error::Radio),
        }
        Ok(())
    }

    async fn disconnect(&mut self) -> Result<(), Esp32Error> {
        if self.link_up {
            self.link_up = false;
            // Already down is fine: disconnect is idempotent.
            if let Err(e) = self.controller.disconnect_async().await {
                dropped!("disconnect (already down is fine)", e);
            }
        }
        Ok(())
    }

    async fn next_event(&mut self) -> LinkEvent {
        loop {
            if let Some(event) = self.events.pop_front() {
                return event;
            }
            if self.link_up {
                let watch_ip = self.ip_stack.filter(|_| !self.ip_reported);
                let address = async {
                    match watch_ip {
                        Some(stack) => {
                            stack.wait_config_up().await;
                            stack.config_v4().map(|c| c.address.address().octets())
                        }
                        None => core::future::pending().await,
                    }
                };
                match select(self.controller.wait_for_disconnect_async(), address).await {
                    Either::First(Ok(info)) => {
                        self.link_up = false;
                        let reason = classify(esp_reason_code(info.reason), true);
                        return LinkEvent::Disconnected { reason };
                    }
                    Either::First(Err(_)) => self.link_up = false,
                    Either::Second(Some(ip)) => {
                        self.ip_reported = true;
                        return LinkEvent::GotIp { ip };
                    }
                    // Up without an IPv4 configuration: look again on the next call.
                    Either::Second(None) => self.ip_reported = true,
                }
            } else {
                // Nothing can happen until the caller acts (connect / scan).
                core::future::pending::<()>().await;
            }
        }
    }
}
