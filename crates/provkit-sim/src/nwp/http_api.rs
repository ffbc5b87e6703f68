//! TI's device HTTP API as the Wi-Fi Starter app uses it (ti-simplelink.md §10), as a pure
//! function of the emulated NWP: request in, response out. The simulator's TCP server
//! ([`super::server`]) and the tests both call [`handle`].
//!
//! | request | effect |
//! |---|---|
//! | `GET /param_product_version.txt` | `R2.0` |
//! | `GET /__SL_G_DNP` | device name (+ MAC suffix while the default name is set) |
//! | `POST /api/1/wlan/en_ap_scan` | `__SL_P_SC1` / `__SL_P_SC2`: start a scan |
//! | `GET /netlist.txt` | `;`-separated SSIDs of the last scan (`X` = no entry) |
//! | `POST /api/1/wlan/profile_add` | `__SL_P_P.A`–`.D`: the profile under confirmation |
//! | `POST /api/1/wlan/confirm_req` | start the confirmation stage |
//! | `GET /__SL_G_MCR` | confirmation result digit 0–5 (the phone's feedback) |
//! | `POST /api/1/netapp/set_urn` | `__SL_P_S.B`: device name |
//! | `POST /api/1/wlan/policy_set` | `__SL_P_P.E/.F/.G/.Q`: connection policy bits |
//!
//! Emulator choices (TI documents no response bodies for the POSTs): 200 with an empty
//! body on success, 400 for a malformed form or value, 403 when the NWP's state refuses the
//! request (e.g. `profile_add` while not provisioning), 404 for other paths, 405 for the
//! wrong method, 503 while the HTTP server is stopped.

use provkit_hal::Instant;
use provkit_nwp::consts::policy;

use super::{EmulatedNwp, PRODUCT_VERSION, credentials};
use provkit_nwp::form::{Form, parse_form};

/// Reply of the TI HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TiHttpResponse {
    /// Status code.
    pub status: u16,
    /// Content type.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
}

impl TiHttpResponse {
    fn text(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type: "text/plain",
            body: body.into(),
        }
    }

    fn ok() -> Self {
        Self::text(200, Vec::new())
    }

    /// Reason phrase.
    pub fn reason(&self) -> &'static str {
        match self.status {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            503 => "Service Unavailable",
            _ => "",
        }
    }
}

/// The app's security types in `__SL_P_P.B` (OPEN 0, WEP 1, WPA1 2, WPA2 3; TI §10).
const APP_SEC_TYPES: core::ops::RangeInclusive<u8> = 0..=3;

fn number(bytes: &[u8]) -> Option<u32> {
    let text = core::str::from_utf8(bytes).ok()?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 9 {
        return None;
    }
    text.parse().ok()
}

/// Handle one request. `path` may carry a query string (ignored).
pub fn handle(nwp: &mut EmulatedNwp, method: &str, path: &str, body: &[u8]) -> TiHttpResponse {
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    if !nwp.http_enabled() {
        return TiHttpResponse::text(503, "HTTP server stopped");
    }
    let response = match (method, path) {
        ("GET", "/param_product_version.txt") => TiHttpResponse::text(200, PRODUCT_VERSION),
        ("GET", "/__SL_G_DNP") => TiHttpResponse::text(200, nwp.device_name()),
        ("GET", "/netlist.txt") => netlist(nwp),
        ("GET", "/__SL_G_MCR") => {
            let now = Instant::from_millis(nwp.now_ms());
            match nwp.manager_mut().feedback_fetched(now) {
                Ok(digit) => TiHttpResponse::text(200, digit.to_string()),
                Err(_) => TiHttpResponse::text(403, "not a TI device"),
            }
        }
        ("GET", p) if p.starts_with("/__SL_G_") => TiHttpResponse::text(200, "Unknown Token"),
        ("POST", "/api/1/wlan/en_ap_scan") => with_form(body, |form| {
            // SC1 = seconds between scan cycles, SC2 = number of cycles; the emulated NWP
            // scans once per request, so they are only validated.
            for name in ["__SL_P_SC1", "__SL_P_SC2"] {
                if let Some(v) = form.get(name)
                    && number(v).is_none()
                {
                    return TiHttpResponse::text(400, "bad scan parameter");
                }
            }
            nwp.start_ap_scan();
            TiHttpResponse::ok()
        }),
        ("POST", "/api/1/wlan/profile_add") => with_form(body, |form| profile_add(nwp, form)),
        ("POST", "/api/1/wlan/confirm_req") => with_form(body, |_| {
            let now = Instant::from_millis(nwp.now_ms());
            match nwp.manager_mut().confirm_req(now) {
                Ok(()) => TiHttpResponse::ok(),
                Err(_) => TiHttpResponse::text(403, "no profile to confirm"),
            }
        }),
        ("POST", "/api/1/netapp/set_urn") => with_form(body, |form| {
            let Some(name) = form.get("__SL_P_S.B") else {
                return TiHttpResponse::text(400, "missing __SL_P_S.B");
            };
            match nwp.set_urn_internal(name) {
                Ok(()) => TiHttpResponse::ok(),
                Err(_) => TiHttpResponse::text(400, "bad device name"),
            }
        }),
        ("POST", "/api/1/wlan/policy_set") => with_form(body, |form| {
            // Listed options turn on, absent ones off (TI §3.2).
            let bits = policy::connection_policy(
                form.has("__SL_P_P.E"),
                form.has("__SL_P_P.F"),
                form.has("__SL_P_P.G"),
                form.has("__SL_P_P.Q"),
            );
            nwp.set_policy_internal(bits);
            TiHttpResponse::ok()
        }),
        (
            _,
            "/param_product_version.txt"
            | "/__SL_G_DNP"
            | "/netlist.txt"
            | "/__SL_G_MCR"
            | "/api/1/wlan/en_ap_scan"
            | "/api/1/wlan/profile_add"
            | "/api/1/wlan/confirm_req"
            | "/api/1/netapp/set_urn"
            | "/api/1/wlan/policy_set",
        ) => TiHttpResponse::text(405, "method not allowed"),
        _ => TiHttpResponse::text(404, "not found"),
    };
    // Any request is user activity for the inactivity timeout.
    nwp.touch();
    nwp.after_http();
    response
}

fn with_form(body: &[u8], f: impl FnOnce(&Form) -> TiHttpResponse) -> TiHttpResponse {
    match parse_form(body) {
        Ok(form) => f(&form),
        Err(e) => TiHttpResponse::text(400, e.to_string()),
    }
}

fn netlist(nwp: &EmulatedNwp) -> TiHttpResponse {
    let entries: Vec<String> = nwp
        .scan_cache()
        .iter()
        .map(|e| String::from_utf8_lossy(e.ssid.as_bytes()).into_owned())
        .collect();
    let body = if entries.is_empty() {
        "X".to_string()
    } else {
        entries.join(";")
    };
    TiHttpResponse::text(200, body)
}

fn profile_add(nwp: &mut EmulatedNwp, form: &Form) -> TiHttpResponse {
    let Some(ssid) = form.get("__SL_P_P.A") else {
        return TiHttpResponse::text(400, "missing __SL_P_P.A");
    };
    let sec = match form.get("__SL_P_P.B").map(number) {
        None => 0,
        Some(Some(n)) if n <= u32::from(*APP_SEC_TYPES.end()) => n,
        Some(_) => return TiHttpResponse::text(400, "bad security type"),
    };
    let key = form.get("__SL_P_P.C").unwrap_or_default();
    let priority = match form.get("__SL_P_P.D").map(number) {
        None => 0,
        Some(Some(n)) if n <= u32::from(policy::MAX_PRIORITY) => n as u8,
        Some(_) => return TiHttpResponse::text(400, "bad priority"),
    };
    // Open networks carry no key; WPA keys are 8–63 characters or 64 hex digits.
    let key_ok = match sec {
        0 => true,
        1 => matches!(key.len(), 5 | 10 | 13 | 26),
        _ => {
            (8..=63).contains(&key.len())
                || (key.len() == 64 && key.iter().all(u8::is_ascii_hexdigit))
        }
    };
    if !key_ok {
        return TiHttpResponse::text(400, "bad key");
    }
    let key = if sec == 0 { &[][..] } else { key };
    let credentials = match credentials(ssid, key) {
        Ok(c) => c,
        Err(_) => return TiHttpResponse::text(400, "bad ssid"),
    };
    let now = Instant::from_millis(nwp.now_ms());
    match nwp
        .manager_mut()
        .profile_add(credentials, priority, Vec::new(), now)
    {
        Ok(()) => TiHttpResponse::ok(),
        Err(_) => TiHttpResponse::text(403, "not provisioning"),
    }
}
