//! `prov-config`: GetStatus, SetConfig, ApplyConfig (spec §2.7, §6.4, §6.5).
//!
//! ```text
//!  msg 0 GetStatus   ─► backend.status()            ─► msg 1 RespGetStatus{status, sta_state, state}
//!  msg 2 SetConfig   ─► validate ─► set_config(..)  ─► msg 3 RespSetConfig{status}
//!  msg 4 ApplyConfig ─► backend.apply_config()      ─► msg 5 RespApplyConfig{status}
//!  anything else     ─► WifiError::UnknownMessage (no response)
//! ```
//!
//! Status mapping onto the wire (the firmware's, spec §6.5):
//!
//! | [`StationStatus`] | `sta_state` | oneof `state` |
//! |---|---|---|
//! | `Connecting` | Connecting (1) | none — the firmware sends *only* `sta_state` |
//! | `AttemptFailed{n}` | Connecting (1) | `attempt_failed{attempts_remaining: n}` |
//! | `Connected(info)` | Connected (0) | `connected{ip4_addr, auth_mode, ssid, bssid, channel}` |
//! | `Failed(reason)` | ConnectionFailed (3) | `fail_reason` (see [`wire_fail_reason`]) |
//! | `Disconnected` | Disconnected (2) | none — valid, but ESP-IDF never sends it |
//!
//! The wire has only two failure reasons, so [`wire_fail_reason`] folds the rich
//! [`DisconnectReason`]: `NetworkNotFound` → NetworkNotFound, everything else → AuthError.
//! AuthError for "other" reasons is what the firmware reports too: after the last connection
//! attempt fails for a reason it does not classify, `fail_reason` keeps its initial value,
//! AuthError (spec §6.3).

use alloc::{format, vec::Vec};

use provkit_hal::zeroize::Zeroize;
use provkit_hal::{AuthMode, Bssid, Credentials, DisconnectReason, Passphrase, Ssid};
use provkit_proto::{
    CmdGetStatus, CmdSetConfig, Message, RespApplyConfig, RespGetStatus, RespSetConfig, Status,
    WiFiConfigMsgType, WiFiConfigPayload, WifiAttemptFailed, WifiConnectFailedReason,
    WifiConnectedState, WifiStationState, resp_get_status, wi_fi_config_payload::Payload,
};

use crate::{WifiError, status_from_wire, status_of};

/// Longest SSID SetConfig accepts (the firmware's 33-byte buffer minus its NUL).
pub const MAX_SSID_LEN: usize = 32;
/// Longest passphrase SetConfig accepts (64-byte buffer minus NUL): a 64-hex-digit raw PSK is
/// rejected, as by the firmware (spec §6.4, §12.21).
pub const MAX_PASSPHRASE_LEN: usize = 63;

/// What the manager implements for `prov-config`.
pub trait ConfigBackend {
    /// The station's state right now, for GetStatus.
    fn status(&self) -> StationStatus;
    /// Stores `credentials` as the pending config (the latest SetConfig wins). `Err(status)`
    /// is sent as the response's status; the reference uses InternalError.
    fn set_config(&mut self, credentials: Credentials) -> Result<(), Status>;
    /// Applies the pending config. The reference answers InternalError when there is none or
    /// credentials were already received.
    fn apply_config(&mut self) -> Result<(), Status>;
}

/// The station's state as GetStatus reports it (rich; see the module docs for the wire form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StationStatus {
    /// Trying to connect — also the answer before any ApplyConfig (spec §12.18).
    Connecting,
    /// An attempt failed and the manager retries (IDF v5.4.1+ `wifi_conn_attempts`).
    AttemptFailed {
        /// Attempts left.
        attempts_remaining: u32,
    },
    /// Connected and got an address.
    Connected(ConnectedInfo),
    /// Gave up.
    Failed(DisconnectReason),
    /// Not connected and not trying. ESP-IDF never reports this; TI-style personalities may.
    Disconnected,
}

/// Details of a connection, for GetStatus.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectedInfo {
    /// The station's IPv4 address.
    pub ip: [u8; 4],
    /// The AP's SSID.
    pub ssid: Ssid,
    /// The AP's BSSID (always 6 bytes on the wire; the firmware's strndup over-read of
    /// §12.12 is not reproduced).
    pub bssid: Bssid,
    /// The AP's channel.
    pub channel: u8,
    /// The AP's authentication mode (raw number on the wire).
    pub auth: AuthMode,
}

/// Which passphrases SetConfig accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PassphrasePolicy {
    /// The firmware's rule: at most 63 bytes, any content (spec §6.4). A bad passphrase then
    /// shows up later as an authentication failure.
    #[default]
    Reference,
    /// Also reject what WPA cannot use: 1–7 bytes or non-printable characters
    /// ([`Passphrase::new`]), answered with InvalidArgument.
    Wpa,
}

/// Maps a rich failure reason onto the wire's two (see the module docs).
pub fn wire_fail_reason(reason: &DisconnectReason) -> WifiConnectFailedReason {
    match reason {
        DisconnectReason::NetworkNotFound => WifiConnectFailedReason::NetworkNotFound,
        _ => WifiConnectFailedReason::AuthError,
    }
}

/// A decoded `prov-config` request.
///
/// `Debug` shows a SetConfig's SSID but only the length of its passphrase, so a logged
/// request does not leak the Wi-Fi key.
#[derive(Clone, PartialEq, Eq)]
pub enum ConfigRequest {
    /// msg 0.
    GetStatus,
    /// msg 2, with its (not yet validated) fields.
    SetConfig(CmdSetConfig),
    /// msg 4.
    ApplyConfig,
}

impl core::fmt::Debug for ConfigRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::GetStatus => f.write_str("GetStatus"),
            Self::ApplyConfig => f.write_str("ApplyConfig"),
            Self::SetConfig(cmd) => f
                .debug_struct("SetConfig")
                .field("ssid", &format_args!("\"{}\"", cmd.ssid.escape_ascii()))
                .field(
                    "passphrase",
                    &format_args!("<redacted {} bytes>", cmd.passphrase.len()),
                )
                .field("bssid", &cmd.bssid)
                .field("channel", &cmd.channel)
                .finish(),
        }
    }
}

/// The decoder's input for a body that may carry the passphrase. prost decodes a `bytes`
/// field by copying it into a temporary `Bytes` (`Buf::copy_to_bytes`) and then into the
/// message's `Vec`; the default temporary would be freed with the passphrase still in it.
/// This `Buf` hands out temporaries that wipe themselves when prost drops them.
struct WipingSlice<'a>(&'a [u8]);

/// A temporary copy that is zeroed when its last `Bytes` handle goes.
struct WipedOnDrop(Vec<u8>);

impl AsRef<[u8]> for WipedOnDrop {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for WipedOnDrop {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl bytes::Buf for WipingSlice<'_> {
    fn remaining(&self) -> usize {
        self.0.len()
    }

    fn chunk(&self) -> &[u8] {
        self.0
    }

    fn advance(&mut self, cnt: usize) {
        self.0 = self.0.get(cnt..).unwrap_or_default();
    }

    fn copy_to_bytes(&mut self, len: usize) -> bytes::Bytes {
        let taken = self.0.get(..len).unwrap_or(self.0);
        let copy = WipedOnDrop(taken.to_vec());
        self.advance(taken.len());
        bytes::Bytes::from_owner(copy)
    }
}

impl ConfigRequest {
    /// Parses a request body. GetStatus and ApplyConfig do not need their empty sub-messages
    /// (esp_prov omits `cmd_apply_config`); SetConfig needs `cmd_set_config`. The decoder's
    /// temporary copies of the passphrase are wiped (see `WipingSlice`); the returned
    /// `CmdSetConfig` holds the only copy, which the caller wipes.
    pub fn decode(body: &[u8]) -> Result<Self, WifiError> {
        let payload = WiFiConfigPayload::decode(WipingSlice(body))?;
        match WiFiConfigMsgType::try_from(payload.msg) {
            Ok(WiFiConfigMsgType::TypeCmdGetStatus) => Ok(Self::GetStatus),
            Ok(WiFiConfigMsgType::TypeCmdSetConfig) => match payload.payload {
                Some(Payload::CmdSetConfig(cmd)) => Ok(Self::SetConfig(cmd)),
                _ => Err(WifiError::MissingPayload),
            },
            Ok(WiFiConfigMsgType::TypeCmdApplyConfig) => Ok(Self::ApplyConfig),
            _ => Err(WifiError::UnknownMessage(payload.msg)),
        }
    }

    /// Encodes the request exactly as esp_prov does (GetStatus with an empty
    /// `cmd_get_status`, ApplyConfig with no payload).
    pub fn encode(&self) -> Vec<u8> {
        let (msg, payload) = match self {
            Self::GetStatus => (
                WiFiConfigMsgType::TypeCmdGetStatus,
                Some(Payload::CmdGetStatus(CmdGetStatus {})),
            ),
            Self::SetConfig(cmd) => (
                WiFiConfigMsgType::TypeCmdSetConfig,
                Some(Payload::CmdSetConfig(cmd.clone())),
            ),
            Self::ApplyConfig => (WiFiConfigMsgType::TypeCmdApplyConfig, None),
        };
        WiFiConfigPayload {
            msg: msg as i32,
            payload,
        }
        .encode_to_vec()
    }

    /// A SetConfig request for `credentials` (bssid/channel only when set).
    pub fn set_config(credentials: &Credentials) -> Self {
        Self::SetConfig(CmdSetConfig {
            ssid: credentials.ssid.as_bytes().to_vec(),
            passphrase: credentials.passphrase.as_bytes().to_vec(),
            bssid: credentials.bssid.map(|b| b.0.to_vec()).unwrap_or_default(),
            channel: credentials.channel.map(i32::from).unwrap_or(0),
        })
    }
}

/// A decoded `prov-config` response (client side), or one to encode (device side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigResponse {
    /// msg 1.
    GetStatus {
        /// Outcome of the query (always Success from ESP-IDF).
        status: Status,
        /// The station state.
        station: StationStatus,
    },
    /// msg 3.
    SetConfig {
        /// Success, InvalidArgument (bad fields) or the backend's failure.
        status: Status,
    },
    /// msg 5.
    ApplyConfig {
        /// Success or the backend's failure.
        status: Status,
    },
}

impl ConfigResponse {
    /// Encodes the response as the firmware does.
    pub fn encode(&self) -> Vec<u8> {
        let (msg, payload) = match self {
            Self::GetStatus { status, station } => (
                WiFiConfigMsgType::TypeRespGetStatus,
                Payload::RespGetStatus(encode_station(*status, station)),
            ),
            Self::SetConfig { status } => (
                WiFiConfigMsgType::TypeRespSetConfig,
                Payload::RespSetConfig(RespSetConfig {
                    status: *status as i32,
                }),
            ),
            Self::ApplyConfig { status } => (
                WiFiConfigMsgType::TypeRespApplyConfig,
                Payload::RespApplyConfig(RespApplyConfig {
                    status: *status as i32,
                }),
            ),
        };
        WiFiConfigPayload {
            msg: msg as i32,
            payload: Some(payload),
        }
        .encode_to_vec()
    }

    /// Parses a response body. A `connected` state without details (what IDF sends when its
    /// state query fails) becomes `Connected` with default details, as esp_prov reads it.
    pub fn decode(body: &[u8]) -> Result<Self, WifiError> {
        let payload = WiFiConfigPayload::decode(body)?;
        match (WiFiConfigMsgType::try_from(payload.msg), payload.payload) {
            (Ok(WiFiConfigMsgType::TypeRespGetStatus), Some(Payload::RespGetStatus(resp))) => {
                Ok(Self::GetStatus {
                    status: status_from_wire(resp.status)?,
                    station: decode_station(&resp)?,
                })
            }
            (Ok(WiFiConfigMsgType::TypeRespSetConfig), Some(Payload::RespSetConfig(resp))) => {
                Ok(Self::SetConfig {
                    status: status_from_wire(resp.status)?,
                })
            }
            (Ok(WiFiConfigMsgType::TypeRespApplyConfig), Some(Payload::RespApplyConfig(resp))) => {
                Ok(Self::ApplyConfig {
                    status: status_from_wire(resp.status)?,
                })
            }
            (
                Ok(
                    WiFiConfigMsgType::TypeRespGetStatus
                    | WiFiConfigMsgType::TypeRespSetConfig
                    | WiFiConfigMsgType::TypeRespApplyConfig,
                ),
                _,
            ) => Err(WifiError::MissingPayload),
            _ => Err(WifiError::UnknownMessage(payload.msg)),
        }
    }
}

fn encode_station(status: Status, station: &StationStatus) -> RespGetStatus {
    let (sta_state, state) = match station {
        StationStatus::Connecting => (WifiStationState::Connecting, None),
        StationStatus::AttemptFailed { attempts_remaining } => (
            WifiStationState::Connecting,
            Some(resp_get_status::State::AttemptFailed(WifiAttemptFailed {
                attempts_remaining: *attempts_remaining,
            })),
        ),
        StationStatus::Connected(info) => {
            let [a, b, c, d] = info.ip;
            (
                WifiStationState::Connected,
                Some(resp_get_status::State::Connected(WifiConnectedState {
                    ip4_addr: format!("{a}.{b}.{c}.{d}"),
                    auth_mode: i32::from(info.auth.to_raw()),
                    ssid: info.ssid.as_bytes().to_vec(),
                    bssid: info.bssid.0.to_vec(),
                    channel: i32::from(info.channel),
                })),
            )
        }
        StationStatus::Failed(reason) => (
            WifiStationState::ConnectionFailed,
            Some(resp_get_status::State::FailReason(
                wire_fail_reason(reason) as i32
            )),
        ),
        StationStatus::Disconnected => (WifiStationState::Disconnected, None),
    };
    RespGetStatus {
        status: status as i32,
        sta_state: sta_state as i32,
        state,
    }
}

fn decode_station(resp: &RespGetStatus) -> Result<StationStatus, WifiError> {
    use resp_get_status::State;
    let sta_state = WifiStationState::try_from(resp.sta_state)
        .map_err(|_| WifiError::InvalidField("sta_state"))?;
    Ok(match sta_state {
        WifiStationState::Connected => match &resp.state {
            Some(State::Connected(info)) => StationStatus::Connected(decode_connected(info)?),
            _ => StationStatus::Connected(ConnectedInfo::default()),
        },
        WifiStationState::Connecting => match &resp.state {
            Some(State::AttemptFailed(failed)) => StationStatus::AttemptFailed {
                attempts_remaining: failed.attempts_remaining,
            },
            _ => StationStatus::Connecting,
        },
        WifiStationState::Disconnected => StationStatus::Disconnected,
        WifiStationState::ConnectionFailed => {
            // An absent fail_reason reads as its default, AuthError (like esp_prov).
            let raw = match &resp.state {
                Some(State::FailReason(raw)) => *raw,
                _ => 0,
            };
            StationStatus::Failed(match WifiConnectFailedReason::try_from(raw) {
                Ok(WifiConnectFailedReason::AuthError) => DisconnectReason::AuthFailed,
                Ok(WifiConnectFailedReason::NetworkNotFound) => DisconnectReason::NetworkNotFound,
                Err(_) => DisconnectReason::Other(
                    u16::try_from(raw).map_err(|_| WifiError::InvalidField("fail_reason"))?,
                ),
            })
        }
    })
}

fn decode_connected(info: &WifiConnectedState) -> Result<ConnectedInfo, WifiError> {
    Ok(ConnectedInfo {
        ip: parse_ipv4(&info.ip4_addr).ok_or(WifiError::InvalidField("ip4_addr"))?,
        ssid: Ssid::new(&info.ssid).map_err(|_| WifiError::InvalidField("ssid"))?,
        bssid: Bssid::from_slice(&info.bssid).map_err(|_| WifiError::InvalidField("bssid"))?,
        channel: u8::try_from(info.channel).map_err(|_| WifiError::InvalidField("channel"))?,
        auth: AuthMode::from_raw(
            u8::try_from(info.auth_mode).map_err(|_| WifiError::InvalidField("auth_mode"))?,
        ),
    })
}

/// Dotted quad, exactly four decimal octets.
fn parse_ipv4(text: &str) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then_some(octets)
}

/// The bytes before the first NUL: the firmware copies SSID and passphrase with `strlcpy`
/// into the station config, so anything after a NUL never reaches the radio.
fn up_to_nul(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(end) => bytes.get(..end).unwrap_or(bytes),
        None => bytes,
    }
}

/// Validates SetConfig fields the way the firmware does (spec §6.4) and builds the
/// credentials handed to the backend. Errors are the status to answer with.
///
/// BSSID and channel are validated (BSSID empty or 6 bytes) and passed on; the ESP-IDF
/// manager ignores them, other personalities may not. A channel outside 1..=255 is `None`.
pub fn credentials_from_set_config(
    cmd: &CmdSetConfig,
    policy: PassphrasePolicy,
) -> Result<Credentials, Status> {
    if cmd.ssid.len() > MAX_SSID_LEN || cmd.passphrase.len() > MAX_PASSPHRASE_LEN {
        return Err(Status::InvalidArgument);
    }
    let bssid = match cmd.bssid.len() {
        0 => None,
        _ => Some(Bssid::from_slice(&cmd.bssid).map_err(|_| Status::InvalidArgument)?),
    };
    let ssid = Ssid::new(up_to_nul(&cmd.ssid)).map_err(|_| Status::InvalidArgument)?;
    let passphrase_bytes = up_to_nul(&cmd.passphrase);
    let passphrase = match policy {
        PassphrasePolicy::Reference => Passphrase::from_raw(passphrase_bytes),
        PassphrasePolicy::Wpa => Passphrase::new(passphrase_bytes),
    }
    .map_err(|_| Status::InvalidArgument)?;
    let channel = u8::try_from(cmd.channel).ok().filter(|&c| c != 0);
    Ok(Credentials {
        ssid,
        passphrase,
        bssid,
        channel,
    })
}

/// Handles one `prov-config` request with the firmware's passphrase rule.
pub fn handle_config(body: &[u8], backend: &mut impl ConfigBackend) -> Result<Vec<u8>, WifiError> {
    handle_config_with_policy(body, backend, PassphrasePolicy::Reference)
}

/// Handles one `prov-config` request; `policy` picks the passphrase rule.
pub fn handle_config_with_policy(
    body: &[u8],
    backend: &mut impl ConfigBackend,
    policy: PassphrasePolicy,
) -> Result<Vec<u8>, WifiError> {
    let response = match ConfigRequest::decode(body)? {
        ConfigRequest::GetStatus => ConfigResponse::GetStatus {
            status: Status::Success,
            station: backend.status(),
        },
        ConfigRequest::SetConfig(mut cmd) => {
            let status = match credentials_from_set_config(&cmd, policy) {
                Ok(credentials) => status_of(backend.set_config(credentials)),
                Err(status) => status,
            };
            // The decoded message's copy of the key is a plain Vec; the backend got its own
            // (self-wiping) `Passphrase`. Wipe this one before it is freed.
            cmd.passphrase.as_mut_slice().zeroize();
            ConfigResponse::SetConfig { status }
        }
        ConfigRequest::ApplyConfig => ConfigResponse::ApplyConfig {
            status: status_of(backend.apply_config()),
        },
    };
    Ok(response.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_config_debug_hides_the_passphrase() {
        let credentials = Credentials {
            ssid: Ssid::new(b"home-net").expect("ssid"),
            passphrase: Passphrase::new(b"hunter2-secret").expect("valid"),
            ..Credentials::default()
        };
        let body = ConfigRequest::set_config(&credentials).encode();
        let decoded = ConfigRequest::decode(&body).expect("decodes");
        assert!(
            matches!(&decoded, ConfigRequest::SetConfig(cmd) if cmd.passphrase == b"hunter2-secret")
        );
        let shown = format!("{decoded:?} {decoded:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        // prost's derived Debug would print the bytes as numbers: 104 = 'h', 117 = 'u'.
        assert!(!shown.contains("104, 117"), "{shown}");
        assert!(shown.contains("home-net"), "{shown}");
        assert!(shown.contains("<redacted 14 bytes>"), "{shown}");
        assert_eq!(format!("{:?}", ConfigRequest::GetStatus), "GetStatus");
    }

    #[test]
    fn ipv4_parser_rejects_malformed_text() {
        assert_eq!(parse_ipv4("192.168.1.42"), Some([192, 168, 1, 42]));
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1..2.3",
            "+1.2.3.4",
            "a.b.c.d",
        ] {
            assert_eq!(parse_ipv4(bad), None, "{bad}");
        }
    }

    #[test]
    fn nul_truncation_matches_strlcpy() {
        assert_eq!(up_to_nul(b"abc\0def"), b"abc");
        assert_eq!(up_to_nul(b"\0"), b"");
        assert_eq!(up_to_nul(b"plain"), b"plain");
    }

    #[test]
    fn fail_reason_mapping_folds_onto_two_wire_values() {
        assert_eq!(
            wire_fail_reason(&DisconnectReason::NetworkNotFound),
            WifiConnectFailedReason::NetworkNotFound
        );
        for other in [
            DisconnectReason::AuthFailed,
            DisconnectReason::NoIp,
            DisconnectReason::Timeout,
            DisconnectReason::ConnectionLost,
            DisconnectReason::Other(205),
        ] {
            assert_eq!(wire_fail_reason(&other), WifiConnectFailedReason::AuthError);
        }
    }
}
