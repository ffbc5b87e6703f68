//! Plaintext codecs of the Wi-Fi endpoints, client side: request builders that produce the
//! same bytes as esp_prov, and response parsers that check `msg = request + 1` and the
//! `Status` codes (spec §2.7–2.9, §6.4–6.7).
//!
//! ```text
//!  prov-scan   ScanStart ─▶ (blocking) ─▶ ScanStatus{finished,count} ─▶ ScanResult(start,count)…
//!  prov-config SetConfig{ssid,pass} ─▶ ApplyConfig ─▶ GetStatus … (connecting | attempt_failed
//!                                                    | connected | failed{reason})
//!  prov-ctrl   Reset | Reprov
//! ```
//!
//! These functions are pure: encryption and transport are the [`Client`](crate::Client)'s
//! business. Note where status lives: inside the sub-message for `prov-config`, in the outer
//! payload for `prov-scan` and `prov-ctrl` (spec §12.3).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroize;

use provkit_proto::{
    CmdGetStatus, CmdScanResult, CmdScanStart, CmdSetConfig, Message, WiFiConfigPayload,
    WiFiCtrlPayload, WiFiScanPayload, WifiAuthMode, resp_get_status, wi_fi_config_payload,
    wi_fi_ctrl_payload, wi_fi_scan_payload,
};

use crate::error::{ClientError, FailReason};

/// Endpoint names of the provisioning manager (spec §3.1).
pub mod endpoint {
    /// Version and capability JSON; never encrypted.
    pub const PROTO_VER: &str = "proto-ver";
    /// Security handshake; never encrypted.
    pub const SESSION: &str = "prov-session";
    /// Credentials and connection status.
    pub const CONFIG: &str = "prov-config";
    /// Access-point scan.
    pub const SCAN: &str = "prov-scan";
    /// Reset / re-provision control (IDF v5.1+).
    pub const CTRL: &str = "prov-ctrl";
}

/// Longest SSID the device accepts (bytes).
pub const MAX_SSID_LEN: usize = 32;
/// Longest passphrase the device accepts (bytes); a 64-hex-digit raw PSK is rejected by the
/// reference firmware (spec §12.21), so it is rejected here before it is sent.
pub const MAX_PASSPHRASE_LEN: usize = 63;

/// Protobuf `Status::Success`.
const STATUS_SUCCESS: i32 = 0;

/// Credentials for `SetConfig`. `bssid`/`channel` are validated by the device but ignored by
/// the reference firmware; esp_prov never sends them.
///
/// The passphrase is wiped when the value (or a clone) is dropped, and `Debug` shows only its
/// length. Because of that `Drop`, fields cannot be moved out of a `WifiCredentials`; clone or
/// borrow them instead.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct WifiCredentials {
    /// Raw SSID bytes, 1..=32.
    pub ssid: Vec<u8>,
    /// Raw passphrase bytes, 0..=63 (empty for an open network).
    pub passphrase: Vec<u8>,
    /// Optional 6-byte BSSID.
    pub bssid: Option<[u8; 6]>,
    /// Optional channel hint (0 = not sent).
    pub channel: i32,
}

impl WifiCredentials {
    /// Credentials with just an SSID and passphrase, as esp_prov sends them.
    pub fn new(ssid: impl Into<Vec<u8>>, passphrase: impl Into<Vec<u8>>) -> Self {
        Self {
            ssid: ssid.into(),
            passphrase: passphrase.into(),
            bssid: None,
            channel: 0,
        }
    }
}

impl fmt::Debug for WifiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The SSID is public (it is broadcast); the passphrase is not.
        f.debug_struct("WifiCredentials")
            .field("ssid", &self.ssid.escape_ascii().to_string())
            .field("passphrase", &Redacted(self.passphrase.len()))
            .field("bssid", &self.bssid)
            .field("channel", &self.channel)
            .finish()
    }
}

impl Zeroize for WifiCredentials {
    /// Wipes the passphrase (its whole allocation) and empties it; the SSID, BSSID and
    /// channel are not secret and stay.
    fn zeroize(&mut self) {
        self.passphrase.zeroize();
    }
}

impl Drop for WifiCredentials {
    fn drop(&mut self) {
        self.zeroize();
    }
}

/// `Debug` stand-in for a secret: `<redacted N bytes>`.
pub(crate) struct Redacted(pub(crate) usize);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {} bytes>", self.0)
    }
}

/// `CmdScanStart` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// Answer only when the scan has finished.
    pub blocking: bool,
    /// Passive instead of active scan.
    pub passive: bool,
    /// Channels scanned between pauses (0 = all at once). esp_prov: 5 over SoftAP/HTTP so the
    /// access point keeps beaconing, 0 over BLE.
    pub group_channels: u32,
    /// Dwell time per channel in ms (ignored by builds with Bluetooth).
    pub period_ms: u32,
}

impl ScanOptions {
    /// What esp_prov sends over SoftAP/HTTP.
    pub const HTTP: Self = Self {
        blocking: true,
        passive: false,
        group_channels: 5,
        period_ms: 120,
    };
    /// What esp_prov sends over BLE and console.
    pub const BLE: Self = Self {
        blocking: true,
        passive: false,
        group_channels: 0,
        period_ms: 120,
    };
}

/// `RespScanStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanStatus {
    /// The scan has completed.
    pub finished: bool,
    /// Results available so far.
    pub count: u32,
}

/// One access point from `RespScanResult`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanEntry {
    /// Raw SSID bytes (trailing NULs removed, as esp_prov does).
    pub ssid: Vec<u8>,
    /// Primary channel.
    pub channel: u32,
    /// Signal strength in dBm (negative).
    pub rssi: i32,
    /// BSSID as sent (normally 6 bytes).
    pub bssid: Vec<u8>,
    /// Raw `wifi_auth_mode_t` number; values ≥ 8 occur (spec §12.20).
    pub auth: i32,
}

impl ScanEntry {
    /// Protobuf name of the auth mode (`WPA2_PSK`...), `None` for numbers beyond the enum.
    pub fn auth_name(&self) -> Option<&'static str> {
        auth_mode_name(self.auth)
    }
}

/// Protobuf name of a raw auth-mode number, `None` for numbers beyond the enum.
pub fn auth_mode_name(auth: i32) -> Option<&'static str> {
    WifiAuthMode::try_from(auth).ok().map(|m| m.as_str_name())
}

/// The details of a `Connected` status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectedInfo {
    /// Dotted-quad IPv4 address of the station.
    pub ip4_addr: String,
    /// Raw auth-mode number of the access point.
    pub auth_mode: i32,
    /// SSID of the access point.
    pub ssid: Vec<u8>,
    /// BSSID of the access point (the reference may over-read after a 0x00 byte, §12.12).
    pub bssid: Vec<u8>,
    /// Primary channel.
    pub channel: i32,
}

/// A decoded `RespGetStatus` (spec §6.5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WifiStatus {
    /// Associated and got an IP. The device stops provisioning shortly after answering this.
    Connected(ConnectedInfo),
    /// Still trying (also the answer before any ApplyConfig).
    Connecting,
    /// A connection attempt failed; the device retries `attempts_remaining` more times.
    AttemptFailed {
        /// Attempts the device will still make.
        attempts_remaining: u32,
    },
    /// The device gave up.
    Failed(FailReason),
    /// `Disconnected (2)`: valid on the wire, never sent by the reference firmware.
    Disconnected,
    /// A station state this client does not know.
    Unknown(i32),
}

fn check_status(endpoint: &'static str, status: i32) -> Result<(), ClientError> {
    if status == STATUS_SUCCESS {
        Ok(())
    } else {
        Err(ClientError::DeviceStatus { endpoint, status })
    }
}

fn check_msg(endpoint: &'static str, expected: i32, got: i32) -> Result<(), ClientError> {
    if expected == got {
        Ok(())
    } else {
        Err(ClientError::UnexpectedResponse {
            endpoint,
            expected_msg: expected,
            got_msg: got,
        })
    }
}

fn wrong_payload(endpoint: &'static str, expected: i32, got: i32) -> ClientError {
    // The msg number matched but the oneof carries another message: report it as an
    // unexpected response so the caller sees which exchange went wrong.
    ClientError::UnexpectedResponse {
        endpoint,
        expected_msg: expected,
        got_msg: got,
    }
}

// ---------------------------------------------------------------------------------------------
// prov-config

const CFG_GET_STATUS: i32 = 0;
const CFG_SET_CONFIG: i32 = 2;
const CFG_APPLY_CONFIG: i32 = 4;

/// GetStatus request: `msg` 0 (not encoded) plus an empty `cmd_get_status`, as esp_prov sends
/// it (`52 00`).
pub fn get_status_request() -> Vec<u8> {
    WiFiConfigPayload {
        msg: CFG_GET_STATUS,
        payload: Some(wi_fi_config_payload::Payload::CmdGetStatus(CmdGetStatus {})),
    }
    .encode_to_vec()
}

/// SetConfig request after checking the limits the device enforces.
pub fn set_config_request(credentials: &WifiCredentials) -> Result<Vec<u8>, ClientError> {
    if credentials.ssid.is_empty() {
        return Err(ClientError::InvalidArgument("SSID is empty"));
    }
    if credentials.ssid.len() > MAX_SSID_LEN {
        return Err(ClientError::InvalidArgument("SSID longer than 32 bytes"));
    }
    if credentials.passphrase.len() > MAX_PASSPHRASE_LEN {
        return Err(ClientError::InvalidArgument(
            "passphrase longer than 63 bytes",
        ));
    }
    let mut message = WiFiConfigPayload {
        msg: CFG_SET_CONFIG,
        payload: Some(wi_fi_config_payload::Payload::CmdSetConfig(CmdSetConfig {
            ssid: credentials.ssid.clone(),
            passphrase: credentials.passphrase.clone(),
            bssid: credentials.bssid.map(|b| b.to_vec()).unwrap_or_default(),
            channel: credentials.channel,
        })),
    };
    let encoded = message.encode_to_vec();
    // The message's copy of the passphrase is a plain Vec: wipe it before it is freed. The
    // returned bytes hold it too; `Client::set_config` wipes those after sending.
    if let Some(wi_fi_config_payload::Payload::CmdSetConfig(cmd)) = message.payload.as_mut() {
        cmd.passphrase.zeroize();
    }
    Ok(encoded)
}

/// ApplyConfig request: only `msg = 4`, no sub-message (esp_prov's `08 04`).
pub fn apply_config_request() -> Vec<u8> {
    WiFiConfigPayload {
        msg: CFG_APPLY_CONFIG,
        payload: None,
    }
    .encode_to_vec()
}

fn decode_config(body: &[u8], request_msg: i32) -> Result<WiFiConfigPayload, ClientError> {
    let payload = WiFiConfigPayload::decode(body).map_err(|_| ClientError::Decode {
        endpoint: endpoint::CONFIG,
    })?;
    check_msg(endpoint::CONFIG, request_msg + 1, payload.msg)?;
    Ok(payload)
}

/// Parses a GetStatus response.
pub fn parse_get_status_response(body: &[u8]) -> Result<WifiStatus, ClientError> {
    let payload = decode_config(body, CFG_GET_STATUS)?;
    let resp = match payload.payload {
        Some(wi_fi_config_payload::Payload::RespGetStatus(r)) => r,
        // An absent sub-message decodes as all defaults, like protobuf-c would.
        None => Default::default(),
        Some(_) => return Err(wrong_payload(endpoint::CONFIG, 1, payload.msg)),
    };
    check_status(endpoint::CONFIG, resp.status)?;
    Ok(match resp.sta_state {
        0 => match resp.state {
            Some(resp_get_status::State::Connected(c)) => WifiStatus::Connected(ConnectedInfo {
                ip4_addr: c.ip4_addr,
                auth_mode: c.auth_mode,
                ssid: c.ssid,
                bssid: c.bssid,
                channel: c.channel,
            }),
            // IDF answers "Connected" with no details when its own state query fails.
            _ => WifiStatus::Connected(ConnectedInfo::default()),
        },
        1 => match resp.state {
            Some(resp_get_status::State::AttemptFailed(a)) => WifiStatus::AttemptFailed {
                attempts_remaining: a.attempts_remaining,
            },
            _ => WifiStatus::Connecting,
        },
        2 => WifiStatus::Disconnected,
        3 => match resp.state {
            Some(resp_get_status::State::FailReason(r)) => {
                WifiStatus::Failed(FailReason::from_wire(r))
            }
            _ => WifiStatus::Failed(FailReason::Unreported),
        },
        other => WifiStatus::Unknown(other),
    })
}

/// Parses a SetConfig response (status inside `resp_set_config`).
pub fn parse_set_config_response(body: &[u8]) -> Result<(), ClientError> {
    let payload = decode_config(body, CFG_SET_CONFIG)?;
    let status = match payload.payload {
        Some(wi_fi_config_payload::Payload::RespSetConfig(r)) => r.status,
        None => STATUS_SUCCESS,
        Some(_) => return Err(wrong_payload(endpoint::CONFIG, 3, payload.msg)),
    };
    check_status(endpoint::CONFIG, status)
}

/// Parses an ApplyConfig response (status inside `resp_apply_config`).
pub fn parse_apply_config_response(body: &[u8]) -> Result<(), ClientError> {
    let payload = decode_config(body, CFG_APPLY_CONFIG)?;
    let status = match payload.payload {
        Some(wi_fi_config_payload::Payload::RespApplyConfig(r)) => r.status,
        None => STATUS_SUCCESS,
        Some(_) => return Err(wrong_payload(endpoint::CONFIG, 5, payload.msg)),
    };
    check_status(endpoint::CONFIG, status)
}

// ---------------------------------------------------------------------------------------------
// prov-scan

const SCAN_START: i32 = 0;
const SCAN_STATUS: i32 = 2;
const SCAN_RESULT: i32 = 4;

/// ScanStart request (`msg` 0 not encoded, `cmd_scan_start` always present).
pub fn scan_start_request(options: &ScanOptions) -> Vec<u8> {
    WiFiScanPayload {
        msg: SCAN_START,
        status: STATUS_SUCCESS,
        payload: Some(wi_fi_scan_payload::Payload::CmdScanStart(CmdScanStart {
            blocking: options.blocking,
            passive: options.passive,
            group_channels: options.group_channels,
            period_ms: options.period_ms,
        })),
    }
    .encode_to_vec()
}

/// ScanStatus request: only `msg = 2` (esp_prov's `08 02`).
pub fn scan_status_request() -> Vec<u8> {
    WiFiScanPayload {
        msg: SCAN_STATUS,
        status: STATUS_SUCCESS,
        payload: None,
    }
    .encode_to_vec()
}

/// ScanResult request for entries `[start_index, start_index + count)`.
pub fn scan_result_request(start_index: u32, count: u32) -> Vec<u8> {
    WiFiScanPayload {
        msg: SCAN_RESULT,
        status: STATUS_SUCCESS,
        payload: Some(wi_fi_scan_payload::Payload::CmdScanResult(CmdScanResult {
            start_index,
            count,
        })),
    }
    .encode_to_vec()
}

fn decode_scan(body: &[u8], request_msg: i32) -> Result<WiFiScanPayload, ClientError> {
    let payload = WiFiScanPayload::decode(body).map_err(|_| ClientError::Decode {
        endpoint: endpoint::SCAN,
    })?;
    check_msg(endpoint::SCAN, request_msg + 1, payload.msg)?;
    check_status(endpoint::SCAN, payload.status)?;
    Ok(payload)
}

/// Parses a ScanStart response.
pub fn parse_scan_start_response(body: &[u8]) -> Result<(), ClientError> {
    let payload = decode_scan(body, SCAN_START)?;
    match payload.payload {
        None | Some(wi_fi_scan_payload::Payload::RespScanStart(_)) => Ok(()),
        Some(_) => Err(wrong_payload(endpoint::SCAN, 1, payload.msg)),
    }
}

/// Parses a ScanStatus response.
pub fn parse_scan_status_response(body: &[u8]) -> Result<ScanStatus, ClientError> {
    let payload = decode_scan(body, SCAN_STATUS)?;
    match payload.payload {
        None => Ok(ScanStatus::default()),
        Some(wi_fi_scan_payload::Payload::RespScanStatus(s)) => Ok(ScanStatus {
            finished: s.scan_finished,
            count: s.result_count,
        }),
        Some(_) => Err(wrong_payload(endpoint::SCAN, 3, payload.msg)),
    }
}

/// Parses a ScanResult response.
pub fn parse_scan_result_response(body: &[u8]) -> Result<Vec<ScanEntry>, ClientError> {
    let payload = decode_scan(body, SCAN_RESULT)?;
    let entries = match payload.payload {
        None => Vec::new(),
        Some(wi_fi_scan_payload::Payload::RespScanResult(r)) => r.entries,
        Some(_) => return Err(wrong_payload(endpoint::SCAN, 5, payload.msg)),
    };
    Ok(entries
        .into_iter()
        .map(|e| {
            let mut ssid = e.ssid;
            // esp_prov strips trailing NULs of the fixed-size firmware buffer.
            while ssid.last() == Some(&0) {
                ssid.pop();
            }
            ScanEntry {
                ssid,
                channel: e.channel,
                rssi: e.rssi,
                bssid: e.bssid,
                auth: e.auth,
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// prov-ctrl

const CTRL_RESET: i32 = 1;
const CTRL_REPROV: i32 = 3;

/// CtrlReset request: only `msg = 1` (esp_prov's `08 01`; the firmware ignores the payload).
pub fn ctrl_reset_request() -> Vec<u8> {
    WiFiCtrlPayload {
        msg: CTRL_RESET,
        status: STATUS_SUCCESS,
        payload: None,
    }
    .encode_to_vec()
}

/// CtrlReprov request: only `msg = 3`.
pub fn ctrl_reprov_request() -> Vec<u8> {
    WiFiCtrlPayload {
        msg: CTRL_REPROV,
        status: STATUS_SUCCESS,
        payload: None,
    }
    .encode_to_vec()
}

fn parse_ctrl_response(body: &[u8], request_msg: i32) -> Result<(), ClientError> {
    let payload = WiFiCtrlPayload::decode(body).map_err(|_| ClientError::Decode {
        endpoint: endpoint::CTRL,
    })?;
    check_msg(endpoint::CTRL, request_msg + 1, payload.msg)?;
    check_status(endpoint::CTRL, payload.status)?;
    match (request_msg, payload.payload) {
        (_, None)
        | (CTRL_RESET, Some(wi_fi_ctrl_payload::Payload::RespCtrlReset(_)))
        | (CTRL_REPROV, Some(wi_fi_ctrl_payload::Payload::RespCtrlReprov(_))) => Ok(()),
        _ => Err(wrong_payload(endpoint::CTRL, request_msg + 1, payload.msg)),
    }
}

/// Parses a CtrlReset response.
pub fn parse_ctrl_reset_response(body: &[u8]) -> Result<(), ClientError> {
    parse_ctrl_response(body, CTRL_RESET)
}

/// Parses a CtrlReprov response.
pub fn parse_ctrl_reprov_response(body: &[u8]) -> Result<(), ClientError> {
    parse_ctrl_response(body, CTRL_REPROV)
}
