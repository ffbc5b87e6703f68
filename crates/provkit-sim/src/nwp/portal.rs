//! The captive portal on the emulated CC32xx: the same page and JSON API as the ESP
//! personality, driving TI's own device HTTP API ([`super::http_api::handle`]) the way TI's
//! out-of-box pages do — `en_ap_scan`, `profile_add`, `confirm_req`, then `__SL_G_MCR` for
//! the confirmation result — so the NWP's semantics (profile added with priority 0,
//! confirmation stage, the feedback read that completes provisioning) are TI's.
//!
//! ```text
//!  Portal::handle ─► TiBackend ─► http_api::handle(POST /api/1/wlan/profile_add, form)
//!                              ─► http_api::handle(POST /api/1/wlan/confirm_req)
//!                              ─► http_api::handle(GET /__SL_G_MCR): 0–5 ─► Progress
//! ```
//!
//! The NWP has no protocomm, so the portal's secret check runs under a throttle of its own
//! (protocomm's [`ThrottleState`], same rules).

use provkit_hal::{Credentials, Instant};
use provkit_manager::FailReason;
use provkit_portal::{Networks, PortalBackend, Progress, Refusal};
use provkit_protocomm::ThrottleState;

use super::{EmulatedNwp, http_api};

/// The emulated NWP as the portal's backend.
pub struct TiBackend<'a> {
    /// The NWP.
    pub nwp: &'a mut EmulatedNwp,
    /// The portal's brute-force throttle.
    pub throttle: &'a mut ThrottleState,
}

fn form_value(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl PortalBackend for TiBackend<'_> {
    fn throttle(&mut self) -> Option<&mut ThrottleState> {
        self.nwp.is_provisioning().then_some(&mut *self.throttle)
    }

    fn start_scan(&mut self, _now: Instant) -> Result<(), Refusal> {
        match http_api::handle(self.nwp, "POST", "/api/1/wlan/en_ap_scan", b"").status {
            200 => Ok(()),
            _ => Err(Refusal::Stopped),
        }
    }

    fn networks(&mut self) -> Networks {
        Networks {
            scanning: self.nwp.scan_running(),
            entries: self.nwp.scan_cache().to_vec(),
        }
    }

    fn submit(&mut self, credentials: Credentials, _now: Instant) -> Result<(), Refusal> {
        if !self.nwp.is_provisioning() {
            return Err(Refusal::Stopped);
        }
        if self.nwp.manager().attempt_in_progress() {
            return Err(Refusal::Busy);
        }
        // TI's app security types: 0 open, 3 WPA2 (the NWP tries what the AP offers).
        let sec = if credentials.passphrase.is_empty() {
            0
        } else {
            3
        };
        let body = format!(
            "__SL_P_P.A={}&__SL_P_P.B={sec}&__SL_P_P.C={}&__SL_P_P.D=0",
            form_value(credentials.ssid.as_bytes()),
            form_value(credentials.passphrase.as_bytes()),
        );
        let body = zeroize::Zeroizing::new(body.into_bytes());
        let refusal = |status: u16| match status {
            400 => Refusal::Invalid,
            403 => Refusal::Busy,
            _ => Refusal::Stopped,
        };
        let added = http_api::handle(self.nwp, "POST", "/api/1/wlan/profile_add", &body);
        if added.status != 200 {
            return Err(refusal(added.status));
        }
        let confirm = http_api::handle(self.nwp, "POST", "/api/1/wlan/confirm_req", b"");
        match confirm.status {
            200 => Ok(()),
            status => Err(refusal(status)),
        }
    }

    fn progress(&mut self, _now: Instant) -> Progress {
        let provisioning = self.nwp.is_provisioning();
        let in_progress = self.nwp.manager().attempt_in_progress();
        // What TI's pages poll: the read itself is the phone's feedback that completes a
        // confirmation waiting for it (the attempt stays open until then).
        let reply = http_api::handle(self.nwp, "GET", "/__SL_G_MCR", b"");
        let failed = |reason| Progress::Failed {
            ssid: Default::default(),
            reason,
            attempts_remaining: None,
        };
        match (reply.status, reply.body.as_slice()) {
            (200, b"4" | b"5") => Progress::Connected {
                ssid: Default::default(),
                ip: self.nwp.sta_ip(),
            },
            _ if in_progress => Progress::Connecting {
                ssid: Default::default(),
                retry: None,
            },
            (200, b"1") => failed(FailReason::NetworkNotFound),
            (200, b"2") => failed(FailReason::AuthFailed),
            (200, b"3") => failed(FailReason::NoIp),
            (200, b"0") if provisioning => Progress::Ready,
            (200, _) if provisioning => failed(FailReason::Other(0)),
            _ => Progress::Stopped,
        }
    }
}
