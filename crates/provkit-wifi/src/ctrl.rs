//! `prov-ctrl`: reset and re-provision (spec §2.9, §6.7; IDF v5.1+).
//!
//! ```text
//!  msg 1 CtrlReset  ─► backend.reset()  ─► msg 2 RespCtrlReset  (+ outer status)
//!  msg 3 CtrlReprov ─► backend.reprov() ─► msg 4 RespCtrlReprov (+ outer status)
//!  msg 0 / anything else ─► WifiError::UnknownMessage (no response)
//! ```
//!
//! The sub-messages are empty and ignored: esp_prov sends none, esp-rainmaker-cli sends an
//! empty one; the firmware accepts both. The payload oneof starts at field 11, the status is
//! in the outer message.

use alloc::vec::Vec;

use provkit_proto::{
    Message, RespCtrlReprov, RespCtrlReset, Status, WiFiCtrlMsgType, WiFiCtrlPayload,
    wi_fi_ctrl_payload::Payload,
};

use crate::{WifiError, status_from_wire, status_of};

/// What the manager implements for `prov-ctrl`.
pub trait CtrlBackend {
    /// Back to STARTED after a failure, forgetting the station config. The reference answers
    /// InternalError unless provisioning is in its FAIL state.
    fn reset(&mut self) -> Result<(), Status>;
    /// Back to STARTED to provision again (requires auto-stop to be disabled in the
    /// reference).
    fn reprov(&mut self) -> Result<(), Status>;
}

/// A decoded `prov-ctrl` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtrlRequest {
    /// msg 1.
    Reset,
    /// msg 3.
    Reprov,
}

impl CtrlRequest {
    /// Parses a request body; dispatch is on `msg` only.
    pub fn decode(body: &[u8]) -> Result<Self, WifiError> {
        let payload = WiFiCtrlPayload::decode(body)?;
        match WiFiCtrlMsgType::try_from(payload.msg) {
            Ok(WiFiCtrlMsgType::TypeCmdCtrlReset) => Ok(Self::Reset),
            Ok(WiFiCtrlMsgType::TypeCmdCtrlReprov) => Ok(Self::Reprov),
            _ => Err(WifiError::UnknownMessage(payload.msg)),
        }
    }

    /// Encodes as esp_prov does: `msg` only.
    pub fn encode(&self) -> Vec<u8> {
        let msg = match self {
            Self::Reset => WiFiCtrlMsgType::TypeCmdCtrlReset,
            Self::Reprov => WiFiCtrlMsgType::TypeCmdCtrlReprov,
        };
        WiFiCtrlPayload {
            msg: msg as i32,
            status: Status::Success as i32,
            payload: None,
        }
        .encode_to_vec()
    }
}

/// A `prov-ctrl` response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtrlResponse {
    /// msg 2.
    Reset {
        /// Outer status.
        status: Status,
    },
    /// msg 4.
    Reprov {
        /// Outer status.
        status: Status,
    },
}

impl CtrlResponse {
    /// Encodes as the firmware does (empty response sub-message present).
    pub fn encode(&self) -> Vec<u8> {
        let (msg, status, payload) = match *self {
            Self::Reset { status } => (
                WiFiCtrlMsgType::TypeRespCtrlReset,
                status,
                Payload::RespCtrlReset(RespCtrlReset {}),
            ),
            Self::Reprov { status } => (
                WiFiCtrlMsgType::TypeRespCtrlReprov,
                status,
                Payload::RespCtrlReprov(RespCtrlReprov {}),
            ),
        };
        WiFiCtrlPayload {
            msg: msg as i32,
            status: status as i32,
            payload: Some(payload),
        }
        .encode_to_vec()
    }

    /// Parses a response body (the empty sub-message is not required).
    pub fn decode(body: &[u8]) -> Result<Self, WifiError> {
        let payload = WiFiCtrlPayload::decode(body)?;
        let status = status_from_wire(payload.status)?;
        match WiFiCtrlMsgType::try_from(payload.msg) {
            Ok(WiFiCtrlMsgType::TypeRespCtrlReset) => Ok(Self::Reset { status }),
            Ok(WiFiCtrlMsgType::TypeRespCtrlReprov) => Ok(Self::Reprov { status }),
            _ => Err(WifiError::UnknownMessage(payload.msg)),
        }
    }
}

/// Handles one `prov-ctrl` request.
pub fn handle_ctrl(body: &[u8], backend: &mut impl CtrlBackend) -> Result<Vec<u8>, WifiError> {
    let response = match CtrlRequest::decode(body)? {
        CtrlRequest::Reset => CtrlResponse::Reset {
            status: status_of(backend.reset()),
        },
        CtrlRequest::Reprov => CtrlResponse::Reprov {
            status: status_of(backend.reprov()),
        },
    };
    Ok(response.encode())
}
