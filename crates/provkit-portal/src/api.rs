//! The portal's HTTP side as a pure function: [`Portal::handle`] takes a request (method,
//! target, body, client) and the device behind a [`PortalBackend`], and returns the
//! [`Response`] to write. No socket, no clock, no allocation beyond the response.
//!
//! | request | answer |
//! |---|---|
//! | `GET /`, `GET /portal` | the page ([`crate::PAGE`]) |
//! | `GET /portal/status` | `{"name","auth","result"}`: what the page needs at load |
//! | `POST /portal/scan` | starts a scan on the manager (a running one is kept) |
//! | `GET /portal/networks` | `{"scanning","networks":[{"ssid","rssi","auth","secure"}]}`, strongest first |
//! | `POST /portal/connect` | form `ssid`, `passphrase`, `secret`: `{"ok":true}`, or `{"error": "wrong-secret" \| "locked" \| "busy" \| "invalid" \| "stopped"}` |
//! | `GET /portal/result` | `{"result": "ready" \| "connecting" \| "connected" \| "wrong-password" \| "not-found" \| "failed" \| "stopped", ...}` |
//! | `GET` a connectivity check ([`crate::probe`]) | `302` to the page |
//!
//! Everything the portal changes goes through the backend, i.e. the device's own manager:
//! the same one-attempt-at-a-time rule, the same events, the same throttle as protocomm.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use provkit_hal::{AuthMode, Credentials, Instant, Passphrase, ScanEntry, Ssid};
use provkit_http::{Response, Status};
use provkit_manager::FailReason;
use provkit_protocomm::{ClientId, ThrottleState};
use zeroize::Zeroizing;

use crate::auth::{Check, PortalSecret};
use crate::page::PAGE;
use crate::probe;

/// Why the backend refused credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Refusal {
    /// An attempt (from any transport) is running: one at a time.
    Busy,
    /// Provisioning is not running (stopped, or already done).
    Stopped,
    /// The manager refused the credentials themselves.
    Invalid,
}

/// Where provisioning stands, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Waiting for credentials; nothing tried yet.
    Ready,
    /// An attempt runs. `retry` is set while the manager retries after a failed try: why it
    /// failed and the attempts remaining.
    Connecting {
        /// The network being joined.
        ssid: Ssid,
        /// A failed try being retried: its reason (if known) and the attempts remaining.
        retry: Option<(Option<FailReason>, u32)>,
    },
    /// Joined and confirmed.
    Connected {
        /// The network.
        ssid: Ssid,
        /// The station's address, when the personality knows it.
        ip: Option<[u8; 4]>,
    },
    /// The last attempt failed for good; new credentials are accepted.
    Failed {
        /// The network.
        ssid: Ssid,
        /// Why.
        reason: FailReason,
        /// Attempts the manager had left (`None` where the personality counts none).
        attempts_remaining: Option<u32>,
    },
    /// Provisioning is not running.
    Stopped,
}

/// Scan state and results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Networks {
    /// A scan runs.
    pub scanning: bool,
    /// Results, in any order (the portal sorts them strongest first).
    pub entries: Vec<ScanEntry>,
}

/// The device behind the portal: its manager (and, for ESP, protocomm's throttle). One
/// implementation per personality; the adapter pumps its runner after every call.
pub trait PortalBackend {
    /// The brute-force throttle shared with the protocomm handshake; `None` when provisioning
    /// is not running.
    fn throttle(&mut self) -> Option<&mut ThrottleState>;
    /// Start a scan (a running one is kept).
    fn start_scan(&mut self, now: Instant) -> Result<(), Refusal>;
    /// The scan's state and results.
    fn networks(&mut self) -> Networks;
    /// Take credentials and start an attempt with them.
    fn submit(&mut self, credentials: Credentials, now: Instant) -> Result<(), Refusal>;
    /// Where provisioning stands; reading a final success is the client's acknowledgement
    /// (ESP: GetStatus `connected`; TI: the confirmation result fetched).
    fn progress(&mut self, now: Instant) -> Progress;
}

/// Settings of a portal.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// The device's name on the page (its service name).
    pub device_name: String,
    /// Where connectivity checks are sent: the page's absolute URL, e.g.
    /// `http://192.168.4.1/` (the device's own address; phones ask for other hosts).
    pub page_url: String,
    /// The secret required before credentials are taken.
    pub secret: PortalSecret,
}

/// The captive portal: configuration plus the SSID of the last attempt it started.
#[derive(Debug)]
pub struct Portal {
    config: PortalConfig,
    last_ssid: Ssid,
}

/// One HTTP request as the portal sees it.
#[derive(Debug, Clone, Copy)]
pub struct PortalRequest<'a> {
    /// Method.
    pub method: &'a str,
    /// Request target (a query string is ignored).
    pub target: &'a str,
    /// Body.
    pub body: &'a [u8],
    /// Who asks (for the throttle's events): the HTTP connection.
    pub client: ClientId,
}

impl Portal {
    /// A portal with `config`.
    pub fn new(config: PortalConfig) -> Self {
        Self {
            config,
            last_ssid: Ssid::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PortalConfig {
        &self.config
    }

    /// True for the paths the portal answers: `/`, `/portal`, `/portal/...` and the OS
    /// connectivity checks. Everything else (protocomm's endpoints, TI's API) is not its.
    pub fn serves(target: &str) -> bool {
        let path = path_of(target);
        path == "/" || path == "/portal" || path.starts_with("/portal/") || probe::is_probe(path)
    }

    /// Answers one request.
    pub fn handle(
        &mut self,
        backend: &mut dyn PortalBackend,
        request: &PortalRequest<'_>,
        now: Instant,
    ) -> Response {
        let path = path_of(request.target);
        match (request.method, path) {
            ("GET" | "HEAD", "/" | "/portal" | "/portal/") => page(),
            ("GET", "/portal/status") => {
                let progress = backend.progress(now);
                json(
                    Status::OK,
                    &format!(
                        "{{\"name\":{},\"auth\":\"{}\",\"result\":\"{}\"}}",
                        quote(self.config.device_name.as_bytes()),
                        self.config.secret.kind(),
                        result_word(&progress)
                    ),
                )
            }
            ("POST", "/portal/scan") => match backend.start_scan(now) {
                Ok(()) => json(Status::OK, "{\"ok\":true}"),
                Err(refusal) => refused(refusal),
            },
            ("GET", "/portal/networks") => networks(backend.networks()),
            ("POST", "/portal/connect") => self.connect(backend, request, now),
            ("GET", "/portal/result") => {
                let progress = backend.progress(now);
                json(Status::OK, &self.progress_json(&progress))
            }
            (
                _,
                "/portal/status" | "/portal/scan" | "/portal/networks" | "/portal/connect"
                | "/portal/result",
            ) => Response::error(Status::METHOD_NOT_ALLOWED, "method not allowed"),
            ("GET" | "HEAD", p) if probe::is_probe(p) => self.redirect(),
            _ => Response::error(Status::NOT_FOUND, "not found"),
        }
    }

    fn redirect(&self) -> Response {
        Response::new(
            Status::custom(302, "Found").unwrap_or(Status::OK),
            Vec::new(),
        )
        .with_header("Location", self.config.page_url.clone())
        .and_then(|r| r.with_header("Cache-Control", "no-store"))
        .unwrap_or_else(|_| page())
    }

    fn connect(
        &mut self,
        backend: &mut dyn PortalBackend,
        request: &PortalRequest<'_>,
        now: Instant,
    ) -> Response {
        let form = Form::parse(request.body);
        let Some(form) = form else {
            return invalid("malformed form");
        };
        let ssid_bytes = form.get("ssid").unwrap_or_default();
        let passphrase_bytes = form.get("passphrase").unwrap_or_default();
        let secret = form.get("secret").unwrap_or_default();
        let Ok(ssid) = Ssid::new(&ssid_bytes) else {
            return invalid("the network name is longer than 32 bytes");
        };
        if ssid.is_empty() {
            return invalid("no network name");
        }
        let Ok(passphrase) = Passphrase::new(&passphrase_bytes) else {
            return invalid("a Wi-Fi password is 8 to 63 characters (or none for an open network)");
        };
        let Some(throttle) = backend.throttle() else {
            return refused(Refusal::Stopped);
        };
        match self
            .config
            .secret
            .check(&secret, throttle, request.client, now)
        {
            Check::Accepted => {}
            Check::Refused { failures_left } => {
                let left = failures_left.map_or_else(|| String::from("null"), |n| format!("{n}"));
                return json(
                    Status::FORBIDDEN,
                    &format!("{{\"error\":\"wrong-secret\",\"failures_left\":{left}}}"),
                );
            }
            Check::Locked { until_ms } => {
                let retry = until_ms.saturating_sub(now.as_millis());
                return json(
                    Status::FORBIDDEN,
                    &format!("{{\"error\":\"locked\",\"retry_ms\":{retry}}}"),
                );
            }
        }
        let credentials = Credentials {
            ssid: ssid.clone(),
            passphrase,
            bssid: None,
            channel: None,
        };
        match backend.submit(credentials, now) {
            Ok(()) => {
                self.last_ssid = ssid;
                json(Status::OK, "{\"ok\":true}")
            }
            Err(refusal) => refused(refusal),
        }
    }

    fn progress_json(&self, progress: &Progress) -> String {
        let mut out = format!("{{\"result\":\"{}\"", result_word(progress));
        let ssid = match progress {
            Progress::Connecting { ssid, .. }
            | Progress::Connected { ssid, .. }
            | Progress::Failed { ssid, .. } => ssid,
            _ => &self.last_ssid,
        };
        let ssid = if ssid.is_empty() {
            &self.last_ssid
        } else {
            ssid
        };
        let _ = write!(out, ",\"ssid\":{}", quote(ssid.as_bytes()));
        match progress {
            Progress::Connecting {
                retry: Some((reason, left)),
                ..
            } => {
                let _ = write!(
                    out,
                    ",\"retrying\":true,\"attempts_remaining\":{left},\"reason\":{}",
                    reason.map_or_else(
                        || String::from("null"),
                        |r| quote(reason_text(r).as_bytes())
                    )
                );
            }
            Progress::Connected { ip: Some(ip), .. } => {
                let _ = write!(out, ",\"ip\":\"{}.{}.{}.{}\"", ip[0], ip[1], ip[2], ip[3]);
            }
            Progress::Failed {
                reason,
                attempts_remaining,
                ..
            } => {
                let left =
                    attempts_remaining.map_or_else(|| String::from("null"), |n| format!("{n}"));
                let _ = write!(
                    out,
                    ",\"attempts_remaining\":{left},\"reason\":{}",
                    quote(reason_text(*reason).as_bytes())
                );
            }
            _ => {}
        }
        out.push('}');
        out
    }
}

/// The page's word for a state.
pub fn result_word(progress: &Progress) -> &'static str {
    match progress {
        Progress::Ready => "ready",
        Progress::Connecting { .. } => "connecting",
        Progress::Connected { .. } => "connected",
        Progress::Failed {
            reason: FailReason::AuthFailed,
            ..
        } => "wrong-password",
        Progress::Failed {
            reason: FailReason::NetworkNotFound,
            ..
        } => "not-found",
        Progress::Failed { .. } => "failed",
        Progress::Stopped => "stopped",
    }
}

fn reason_text(reason: FailReason) -> String {
    match reason {
        FailReason::AuthFailed => String::from("wrong password"),
        FailReason::NetworkNotFound => String::from("network not found"),
        FailReason::NoIp => String::from("joined, but got no address"),
        FailReason::FeedbackFailed => String::from("the result was not confirmed"),
        FailReason::Timeout => String::from("no answer from the network"),
        FailReason::ConnectionLost => String::from("the connection dropped"),
        FailReason::Other(code) => format!("error {code}"),
    }
}

fn path_of(target: &str) -> &str {
    target.split_once('?').map_or(target, |(p, _)| p)
}

fn page() -> Response {
    let response = Response::new(Status::OK, PAGE.as_bytes().to_vec());
    response
        .clone()
        .with_content_type("text/html; charset=utf-8")
        .and_then(|r| r.with_header("Cache-Control", "no-store"))
        .unwrap_or(response)
}

fn json(status: Status, body: &str) -> Response {
    let response = Response::new(status, body.as_bytes().to_vec());
    response
        .clone()
        .with_content_type("application/json")
        .and_then(|r| r.with_header("Cache-Control", "no-store"))
        .unwrap_or(response)
}

fn invalid(why: &str) -> Response {
    json(
        Status::BAD_REQUEST,
        &format!(
            "{{\"error\":\"invalid\",\"why\":{}}}",
            quote(why.as_bytes())
        ),
    )
}

fn refused(refusal: Refusal) -> Response {
    let (status, word) = match refusal {
        Refusal::Busy => (
            Status::custom(409, "Conflict").unwrap_or(Status::FORBIDDEN),
            "busy",
        ),
        Refusal::Stopped => (Status::SERVICE_UNAVAILABLE, "stopped"),
        Refusal::Invalid => (Status::BAD_REQUEST, "invalid"),
    };
    json(status, &format!("{{\"error\":\"{word}\"}}"))
}

fn networks(mut networks: Networks) -> Response {
    networks.entries.sort_by_key(|e| core::cmp::Reverse(e.rssi));
    let mut out = format!("{{\"scanning\":{},\"networks\":[", networks.scanning);
    for (i, e) in networks.entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"ssid\":{},\"rssi\":{},\"auth\":\"{}\",\"secure\":{}}}",
            quote(e.ssid.as_bytes()),
            e.rssi,
            auth_name(e.auth),
            e.auth != AuthMode::Open
        );
    }
    out.push_str("]}");
    json(Status::OK, &out)
}

/// How the page names a security mode.
pub fn auth_name(auth: AuthMode) -> &'static str {
    match auth {
        AuthMode::Open => "Open",
        AuthMode::Wep => "WEP",
        AuthMode::WpaPsk => "WPA",
        AuthMode::Wpa2Psk => "WPA2",
        AuthMode::WpaWpa2Psk => "WPA/WPA2",
        AuthMode::Wpa2Enterprise => "WPA2-Enterprise",
        AuthMode::Wpa3Psk => "WPA3",
        AuthMode::Wpa2Wpa3Psk => "WPA2/WPA3",
        _ => "other",
    }
}

/// A JSON string of arbitrary bytes (invalid UTF-8 shown as U+FFFD).
fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // `<` too, so a name never closes a script element.
            c if c < ' ' || c == '<' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An `application/x-www-form-urlencoded` body; values are wiped when dropped.
struct Form {
    fields: Vec<(Vec<u8>, Zeroizing<Vec<u8>>)>,
}

/// Most fields a portal form has; more is malformed.
const MAX_FIELDS: usize = 8;

impl Form {
    fn parse(body: &[u8]) -> Option<Form> {
        let mut fields = Vec::new();
        for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            if fields.len() == MAX_FIELDS {
                return None;
            }
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            fields.push((decode(name)?, Zeroizing::new(decode(value)?)));
        }
        Some(Form { fields })
    }

    fn get(&self, name: &str) -> Option<Zeroizing<Vec<u8>>> {
        self.fields
            .iter()
            .find(|(n, _)| n == name.as_bytes())
            .map(|(_, v)| v.clone())
    }
}

fn decode(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}
