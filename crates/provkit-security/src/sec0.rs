//! Security 0: no authentication, no encryption (spec §4.1).
//!
//! The handshake is a single exchange that carries no secrets: the client sends
//! `SessionData{sec0{sc{}}}` (`52 03 a2 01 00`) and the device answers
//! `SessionData{sec0{msg=S0_Session_Response, sr{status=Success}}}` (`52 05 08 01 aa 01 00`).
//! The data phase copies bytes unchanged. The reference keeps no session state for sec0, so
//! requests on other endpoints work even without this exchange.

use provkit_proto::{S0SessionCmd, S0SessionResp, Sec0MsgType, Sec0Payload, Status, sec0_payload};

use crate::SecurityError;

/// Device side: validates a sec0 request payload and builds the response payload.
pub fn device_respond(request: &Sec0Payload) -> Result<Sec0Payload, SecurityError> {
    match &request.payload {
        Some(sec0_payload::Payload::Sc(_)) => {
            if request.msg != Sec0MsgType::S0SessionCommand as i32 {
                return Err(SecurityError::MalformedMessage(
                    "sec0 msg type does not match its payload",
                ));
            }
            Ok(Sec0Payload {
                msg: Sec0MsgType::S0SessionResponse as i32,
                payload: Some(sec0_payload::Payload::Sr(S0SessionResp {
                    status: Status::Success as i32,
                })),
            })
        }
        Some(sec0_payload::Payload::Sr(_)) => Err(SecurityError::MalformedMessage(
            "device received a sec0 response",
        )),
        None => Err(SecurityError::MalformedMessage("sec0 payload missing")),
    }
}

/// Client side: the Command payload esp_prov sends (msg 0 is not encoded, `sc` is present).
pub fn client_command() -> Sec0Payload {
    Sec0Payload {
        msg: Sec0MsgType::S0SessionCommand as i32,
        payload: Some(sec0_payload::Payload::Sc(S0SessionCmd {})),
    }
}

/// Client side: checks the device's answer to [`client_command`].
pub fn client_check_response(response: &Sec0Payload) -> Result<(), SecurityError> {
    match &response.payload {
        Some(sec0_payload::Payload::Sr(sr)) => {
            if response.msg != Sec0MsgType::S0SessionResponse as i32 {
                return Err(SecurityError::MalformedMessage(
                    "sec0 msg type does not match its payload",
                ));
            }
            if sr.status != Status::Success as i32 {
                return Err(SecurityError::PeerStatus(sr.status));
            }
            Ok(())
        }
        Some(sec0_payload::Payload::Sc(_)) => Err(SecurityError::MalformedMessage(
            "client received a sec0 command",
        )),
        None => Err(SecurityError::MalformedMessage("sec0 payload missing")),
    }
}
