//! The `provkit-wifi` handlers (`handle_config`, `handle_scan`, `handle_ctrl`) against a
//! recording backend, fed arbitrary request bodies (byte 0 picks the handler and the backend's
//! answers). Invariants: no panic; SetConfig never hands the backend an SSID over 32 bytes or a
//! passphrase over 63; every response decodes as its payload type with msg = request + 1.
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_hal::{Credentials, ScanConfig, ScanEntry, Ssid};
use provkit_proto::{Message, Status, WiFiConfigPayload, WiFiCtrlPayload, WiFiScanPayload};
use provkit_wifi::scan::ScanLimits;
use provkit_wifi::{
    ConfigBackend, CtrlBackend, ScanBackend, StationStatus, handle_config, handle_ctrl, handle_scan,
};

struct Backend {
    fail: bool,
    count: u32,
}

impl ConfigBackend for Backend {
    fn status(&self) -> StationStatus {
        StationStatus::AttemptFailed {
            attempts_remaining: self.count,
        }
    }
    fn set_config(&mut self, c: Credentials) -> Result<(), Status> {
        assert!(c.ssid.len() <= 32 && c.passphrase.len() <= 63, "{c:?}");
        if self.fail {
            Err(Status::InternalError)
        } else {
            Ok(())
        }
    }
    fn apply_config(&mut self) -> Result<(), Status> {
        if self.fail {
            Err(Status::InternalError)
        } else {
            Ok(())
        }
    }
}

impl ScanBackend for Backend {
    fn start_scan(&mut self, _cfg: ScanConfig) -> Result<(), Status> {
        if self.fail {
            Err(Status::InternalError)
        } else {
            Ok(())
        }
    }
    fn scan_status(&self) -> (bool, u32) {
        (!self.fail, self.count)
    }
    fn scan_result(&self, index: u32) -> Option<ScanEntry> {
        (index < self.count).then(|| ScanEntry {
            ssid: Ssid::new(&[b'a'; 32]).unwrap_or_default(),
            ..ScanEntry::default()
        })
    }
}

impl CtrlBackend for Backend {
    fn reset(&mut self) -> Result<(), Status> {
        if self.fail {
            Err(Status::InternalError)
        } else {
            Ok(())
        }
    }
    fn reprov(&mut self) -> Result<(), Status> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let mut backend = Backend {
        fail: selector & 0x10 != 0,
        count: u32::from(selector >> 5) * 3,
    };
    match selector % 3 {
        0 => {
            if let Ok(resp) = handle_config(body, &mut backend) {
                let req = WiFiConfigPayload::decode(body).expect("handled => decodes");
                let resp = WiFiConfigPayload::decode(resp.as_slice()).expect("our own response");
                assert_eq!(resp.msg, req.msg + 1);
            }
        }
        1 => {
            if let Ok(resp) = handle_scan(body, &mut backend, ScanLimits::HTTP) {
                let req = WiFiScanPayload::decode(body).expect("handled => decodes");
                let resp = WiFiScanPayload::decode(resp.as_slice()).expect("our own response");
                assert_eq!(resp.msg, req.msg + 1);
            }
        }
        _ => {
            if let Ok(resp) = handle_ctrl(body, &mut backend) {
                let req = WiFiCtrlPayload::decode(body).expect("handled => decodes");
                let resp = WiFiCtrlPayload::decode(resp.as_slice()).expect("our own response");
                assert_eq!(resp.msg, req.msg + 1);
            }
        }
    }
});
