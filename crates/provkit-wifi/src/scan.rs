//! `prov-scan`: start, status, paged results (spec §2.8, §6.6).
//!
//! ```text
//!  msg 0 ScanStart{blocking,passive,group_channels,period_ms} ─► start_scan ─► msg 1 (+ outer status)
//!  msg 2 ScanStatus                                           ─► scan_status ─► msg 3 {finished, count}
//!  msg 4 ScanResult{start_index,count} ─► scan_result(i) for each i ─► msg 5 {entries} (+ outer status)
//! ```
//!
//! Unlike `prov-config`, the status lives in the *outer* payload (field 2).
//!
//! Paging follows the reference: a range with `start_index ≥ max_entries` or
//! `count > max_entries − start_index` gets no response; an index past the results actually
//! available ends the page early with outer status InternalError. On top of that,
//! [`ScanLimits::page_entries`] caps one response so it fits the transport (a Bluedroid
//! characteristic holds 257 bytes, spec §12.25; esp_prov asks for 4 entries per page over BLE
//! and 100 over HTTP). A capped page carries fewer entries than asked and status Success.
//!
//! `blocking` is handed to the backend inside [`ScanConfig`]. The reference answers a blocking
//! start only once the scan finished; a blocking runner can simply finish the scan inside
//! [`ScanBackend::start_scan`]. An event-driven device can instead decode the request with
//! [`ScanRequest::decode`], keep the answer back, and send [`ScanResponse::Start`] later.

use alloc::vec::Vec;

use provkit_hal::{AuthMode, Bssid, ScanConfig, ScanEntry, Ssid};
use provkit_proto::{
    CmdScanResult, CmdScanStart, Message, RespScanResult, RespScanStart, RespScanStatus, Status,
    WiFiScanMsgType, WiFiScanPayload, WiFiScanResult, wi_fi_scan_payload::Payload,
};

use crate::{WifiError, status_from_wire, status_of};

/// What the manager implements for `prov-scan` (the contract's shape).
pub trait ScanBackend {
    /// Starts a scan (or does nothing if one runs: the reference then answers Success at
    /// once). Clears the previous results. `Err(status)` becomes the outer status.
    fn start_scan(&mut self, config: ScanConfig) -> Result<(), Status>;
    /// `(finished, result_count)`; the count may grow while the scan runs.
    fn scan_status(&self) -> (bool, u32);
    /// Result `index`, strongest first; `None` past the end.
    fn scan_result(&self, index: u32) -> Option<ScanEntry>;
}

/// Limits of one device/transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanLimits {
    /// Capacity of the result list (`CONFIG_WIFI_PROV_SCAN_MAX_ENTRIES`, default 16); bounds
    /// the valid `start_index`/`count` range.
    pub max_entries: u32,
    /// Most entries sent in one response.
    pub page_entries: u32,
}

impl ScanLimits {
    /// SoftAP/HTTP: only the list capacity limits a page.
    pub const HTTP: ScanLimits = ScanLimits {
        max_entries: 16,
        page_entries: 16,
    };
    /// BLE: 4 entries of at most ~61 bytes each fit a 257-byte characteristic with the
    /// envelope and a sec2 tag.
    pub const BLE: ScanLimits = ScanLimits {
        max_entries: 16,
        page_entries: 4,
    };
}

impl Default for ScanLimits {
    fn default() -> Self {
        Self::HTTP
    }
}

/// A decoded `prov-scan` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanRequest {
    /// msg 0. `group_channels` is truncated to 8 bits like the firmware's `uint8_t`.
    Start(ScanConfig),
    /// msg 2.
    Status,
    /// msg 4.
    Result {
        /// First index.
        start_index: u32,
        /// How many.
        count: u32,
    },
}

impl ScanRequest {
    /// Parses a request body. Start and Result need their sub-messages (their fields are read
    /// unconditionally by the firmware); Status does not (esp_prov sends none).
    pub fn decode(body: &[u8]) -> Result<Self, WifiError> {
        let payload = WiFiScanPayload::decode(body)?;
        match WiFiScanMsgType::try_from(payload.msg) {
            Ok(WiFiScanMsgType::TypeCmdScanStart) => match payload.payload {
                Some(Payload::CmdScanStart(cmd)) => Ok(Self::Start(ScanConfig {
                    blocking: cmd.blocking,
                    passive: cmd.passive,
                    group_channels: cmd.group_channels.to_le_bytes()[0],
                    period_ms: cmd.period_ms,
                })),
                _ => Err(WifiError::MissingPayload),
            },
            Ok(WiFiScanMsgType::TypeCmdScanStatus) => Ok(Self::Status),
            Ok(WiFiScanMsgType::TypeCmdScanResult) => match payload.payload {
                Some(Payload::CmdScanResult(cmd)) => Ok(Self::Result {
                    start_index: cmd.start_index,
                    count: cmd.count,
                }),
                _ => Err(WifiError::MissingPayload),
            },
            _ => Err(WifiError::UnknownMessage(payload.msg)),
        }
    }

    /// Encodes the request exactly as esp_prov does (ScanStatus without a payload).
    pub fn encode(&self) -> Vec<u8> {
        let (msg, payload) = match *self {
            Self::Start(config) => (
                WiFiScanMsgType::TypeCmdScanStart,
                Some(Payload::CmdScanStart(CmdScanStart {
                    blocking: config.blocking,
                    passive: config.passive,
                    group_channels: u32::from(config.group_channels),
                    period_ms: config.period_ms,
                })),
            ),
            Self::Status => (WiFiScanMsgType::TypeCmdScanStatus, None),
            Self::Result { start_index, count } => (
                WiFiScanMsgType::TypeCmdScanResult,
                Some(Payload::CmdScanResult(CmdScanResult { start_index, count })),
            ),
        };
        WiFiScanPayload {
            msg: msg as i32,
            status: Status::Success as i32,
            payload,
        }
        .encode_to_vec()
    }
}

/// A `prov-scan` response (encode on the device, decode on the client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanResponse {
    /// msg 1.
    Start {
        /// Outer status.
        status: Status,
    },
    /// msg 3.
    Status {
        /// Outer status.
        status: Status,
        /// The scan has finished.
        finished: bool,
        /// Results so far.
        count: u32,
    },
    /// msg 5.
    Result {
        /// Outer status (InternalError when the page ran past the results).
        status: Status,
        /// The page.
        entries: Vec<ScanEntry>,
    },
}

impl ScanResponse {
    /// Encodes as the firmware does.
    pub fn encode(&self) -> Vec<u8> {
        let (msg, status, payload) = match self {
            Self::Start { status } => (
                WiFiScanMsgType::TypeRespScanStart,
                *status,
                Payload::RespScanStart(RespScanStart {}),
            ),
            Self::Status {
                status,
                finished,
                count,
            } => (
                WiFiScanMsgType::TypeRespScanStatus,
                *status,
                Payload::RespScanStatus(RespScanStatus {
                    scan_finished: *finished,
                    result_count: *count,
                }),
            ),
            Self::Result { status, entries } => (
                WiFiScanMsgType::TypeRespScanResult,
                *status,
                Payload::RespScanResult(RespScanResult {
                    entries: entries.iter().map(entry_to_wire).collect(),
                }),
            ),
        };
        WiFiScanPayload {
            msg: msg as i32,
            status: status as i32,
            payload: Some(payload),
        }
        .encode_to_vec()
    }

    /// Parses a response body. Entries must fit the typed model (SSID ≤ 32 bytes, BSSID 6
    /// bytes); channel, RSSI and auth mode saturate into their 8-bit fields.
    pub fn decode(body: &[u8]) -> Result<Self, WifiError> {
        let payload = WiFiScanPayload::decode(body)?;
        let status = status_from_wire(payload.status)?;
        match (WiFiScanMsgType::try_from(payload.msg), payload.payload) {
            (Ok(WiFiScanMsgType::TypeRespScanStart), Some(Payload::RespScanStart(_))) => {
                Ok(Self::Start { status })
            }
            (Ok(WiFiScanMsgType::TypeRespScanStatus), Some(Payload::RespScanStatus(resp))) => {
                Ok(Self::Status {
                    status,
                    finished: resp.scan_finished,
                    count: resp.result_count,
                })
            }
            (Ok(WiFiScanMsgType::TypeRespScanResult), Some(Payload::RespScanResult(resp))) => {
                Ok(Self::Result {
                    status,
                    entries: resp
                        .entries
                        .iter()
                        .map(entry_from_wire)
                        .collect::<Result<_, _>>()?,
                })
            }
            (
                Ok(
                    WiFiScanMsgType::TypeRespScanStart
                    | WiFiScanMsgType::TypeRespScanStatus
                    | WiFiScanMsgType::TypeRespScanResult,
                ),
                _,
            ) => Err(WifiError::MissingPayload),
            _ => Err(WifiError::UnknownMessage(payload.msg)),
        }
    }
}

fn entry_to_wire(entry: &ScanEntry) -> WiFiScanResult {
    WiFiScanResult {
        ssid: entry.ssid.as_bytes().to_vec(),
        channel: u32::from(entry.channel),
        rssi: i32::from(entry.rssi),
        bssid: entry.bssid.0.to_vec(),
        auth: i32::from(entry.auth.to_raw()),
    }
}

fn entry_from_wire(wire: &WiFiScanResult) -> Result<ScanEntry, WifiError> {
    Ok(ScanEntry {
        ssid: Ssid::new(&wire.ssid).map_err(|_| WifiError::InvalidField("ssid"))?,
        bssid: Bssid::from_slice(&wire.bssid).map_err(|_| WifiError::InvalidField("bssid"))?,
        channel: u8::try_from(wire.channel).unwrap_or(u8::MAX),
        rssi: i8::try_from(wire.rssi).unwrap_or(if wire.rssi < 0 { i8::MIN } else { i8::MAX }),
        auth: AuthMode::from_raw(u8::try_from(wire.auth).unwrap_or(u8::MAX)),
    })
}

/// Handles one `prov-scan` request.
pub fn handle_scan(
    body: &[u8],
    backend: &mut impl ScanBackend,
    limits: ScanLimits,
) -> Result<Vec<u8>, WifiError> {
    let response = match ScanRequest::decode(body)? {
        ScanRequest::Start(config) => ScanResponse::Start {
            status: status_of(backend.start_scan(config)),
        },
        ScanRequest::Status => {
            let (finished, count) = backend.scan_status();
            ScanResponse::Status {
                status: Status::Success,
                finished,
                count,
            }
        }
        ScanRequest::Result { start_index, count } => {
            scan_page(backend, limits, start_index, count)?
        }
    };
    Ok(response.encode())
}

fn scan_page(
    backend: &impl ScanBackend,
    limits: ScanLimits,
    start_index: u32,
    count: u32,
) -> Result<ScanResponse, WifiError> {
    let in_bounds = start_index < limits.max_entries
        && limits
            .max_entries
            .checked_sub(start_index)
            .is_some_and(|room| count <= room);
    if !in_bounds {
        return Err(WifiError::ScanRangeOutOfBounds { start_index, count });
    }
    let wanted = count.min(limits.page_entries);
    let mut status = Status::Success;
    let mut entries = Vec::new();
    // In bounds means start_index + wanted ≤ max_entries, so this cannot overflow.
    for index in start_index..start_index.saturating_add(wanted) {
        match backend.scan_result(index) {
            Some(entry) => entries.push(entry),
            None => {
                status = Status::InternalError;
                break;
            }
        }
    }
    Ok(ScanResponse::Result { status, entries })
}

#[cfg(test)]
mod tests {
    use super::*;
    use provkit_proto::CmdScanStatus;

    #[test]
    fn scan_status_with_empty_sub_message_is_accepted() {
        let body = WiFiScanPayload {
            msg: WiFiScanMsgType::TypeCmdScanStatus as i32,
            status: 0,
            payload: Some(Payload::CmdScanStatus(CmdScanStatus {})),
        }
        .encode_to_vec();
        assert_eq!(ScanRequest::decode(&body), Ok(ScanRequest::Status));
    }

    #[test]
    fn group_channels_truncates_like_uint8() {
        let body = WiFiScanPayload {
            msg: 0,
            status: 0,
            payload: Some(Payload::CmdScanStart(CmdScanStart {
                blocking: false,
                passive: false,
                group_channels: 0x105,
                period_ms: 0,
            })),
        }
        .encode_to_vec();
        match ScanRequest::decode(&body) {
            Ok(ScanRequest::Start(config)) => assert_eq!(config.group_channels, 5),
            other => panic!("unexpected {other:?}"),
        }
    }
}
