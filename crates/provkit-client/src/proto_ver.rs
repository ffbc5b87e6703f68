//! `proto-ver`: reading the device's version/capability document and deciding which security
//! scheme to speak (spec §3.2).
//!
//! The device answers any non-empty body with the same text, normally `cJSON_Print` output:
//!
//! ```text
//! { <app labels...>, "prov": { "ver": "v1.1", "sec_ver": 2, "sec_patch_ver": 1,
//!                              "cap": ["wifi_scan"] } }
//! ```
//!
//! Detection, which works across every firmware generation and — unlike esp_prov — picks
//! security 2 when the device says so:
//! 1. not JSON → pre-manager or custom firmware: use the configured scheme;
//! 2. `sec = prov.sec_ver` if present, else 0 if `"no_sec"` is a capability, else 1;
//! 3. `patch = prov.sec_patch_ver` if present, else 0 (only meaningful for security 2);
//! 4. a PoP is needed iff `sec == 1` and `"no_pop"` is not a capability.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::Value;

/// The body this client sends to `proto-ver` by default. Its content is ignored by the
/// device; it only has to be non-empty. esp_prov sends `---` when it reads `sec_patch_ver`.
pub const DEFAULT_PROTO_VER_BODY: &[u8] = b"---";

/// One labelled version entry (`"prov"` or an application label added with
/// `wifi_prov_mgr_set_app_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionEntry {
    /// The label (`"prov"` for the provisioning manager itself).
    pub label: String,
    /// `ver`, if present and a string.
    pub ver: Option<String>,
    /// `cap`, the string entries of the capability list (non-strings are skipped).
    pub capabilities: Vec<String>,
}

/// What a security scheme detection concluded (spec §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectedSecurity {
    /// 0, 1 or 2 (a device may advertise a number this client does not know; it is kept).
    pub sec_ver: i64,
    /// 0 (fixed 16-byte GCM IV) or 1 (counter nonce); meaningful for security 2 only.
    pub sec_patch_ver: i64,
    /// Security 1 without the `no_pop` capability.
    pub pop_required: bool,
}

/// The parsed answer of `proto-ver`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionReport {
    raw: Vec<u8>,
    /// `Some` when the body is a JSON object; the entries sorted by label.
    entries: Option<Vec<VersionEntry>>,
    /// `prov.sec_ver` if present and an integer.
    sec_ver: Option<i64>,
    /// `prov.sec_patch_ver` if present and an integer.
    sec_patch_ver: Option<i64>,
}

impl VersionReport {
    /// Parses a `proto-ver` response body. Never fails: a body that is not a JSON object is
    /// kept as a plain version string (pre-manager firmware answers e.g. `V0.1`).
    pub fn parse(body: &[u8]) -> Self {
        let mut report = Self {
            raw: body.to_vec(),
            entries: None,
            sec_ver: None,
            sec_patch_ver: None,
        };
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return report;
        };
        let mut entries = Vec::with_capacity(map.len());
        for (label, value) in map.iter() {
            let mut entry = VersionEntry {
                label: label.clone(),
                ..VersionEntry::default()
            };
            if let Value::Object(inner) = value {
                entry.ver = inner.get("ver").and_then(Value::as_str).map(str::to_string);
                if let Some(Value::Array(caps)) = inner.get("cap") {
                    entry.capabilities = caps
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                }
                if label == "prov" {
                    report.sec_ver = inner.get("sec_ver").and_then(Value::as_i64);
                    report.sec_patch_ver = inner.get("sec_patch_ver").and_then(Value::as_i64);
                }
            }
            entries.push(entry);
        }
        report.entries = Some(entries);
        report
    }

    /// The body exactly as received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Whether the body was a JSON object (firmware with the provisioning manager).
    pub fn is_json(&self) -> bool {
        self.entries.is_some()
    }

    /// All labelled entries, `prov` and application labels, sorted by label.
    pub fn entries(&self) -> &[VersionEntry] {
        self.entries.as_deref().unwrap_or(&[])
    }

    /// The entry of a given label, e.g. an application's own version block.
    pub fn entry(&self, label: &str) -> Option<&VersionEntry> {
        self.entries().iter().find(|e| e.label == label)
    }

    /// The provisioning manager's version (`prov.ver`, e.g. `v1.1` or `netprov-v1.2`).
    pub fn prov_version(&self) -> Option<&str> {
        self.entry("prov").and_then(|e| e.ver.as_deref())
    }

    /// `prov.sec_ver` as sent (absent on IDF v4.4).
    pub fn sec_ver(&self) -> Option<i64> {
        self.sec_ver
    }

    /// `prov.sec_patch_ver` as sent (absent on firmware before the 2025 IV fix).
    pub fn sec_patch_ver(&self) -> Option<i64> {
        self.sec_patch_ver
    }

    /// Whether `prov.cap` lists `capability` (`no_sec`, `no_pop`, `wifi_scan`, ...).
    pub fn has_capability(&self, capability: &str) -> bool {
        self.entry("prov")
            .is_some_and(|e| e.capabilities.iter().any(|c| c == capability))
    }

    /// esp_prov's `--proto_ver` check: the expected version equals `prov.ver` or, for a
    /// non-JSON answer, the whole body; compared case-insensitively.
    pub fn version_matches(&self, expected: &str) -> bool {
        match &self.entries {
            Some(_) => self
                .prov_version()
                .is_some_and(|v| v.eq_ignore_ascii_case(expected)),
            None => core::str::from_utf8(&self.raw)
                .is_ok_and(|s| s.trim().eq_ignore_ascii_case(expected)),
        }
    }

    /// The security scheme the device speaks, or `None` if the answer is not JSON (then the
    /// caller's configured scheme applies). See the module docs for the rules.
    pub fn detect_security(&self) -> Option<DetectedSecurity> {
        self.entries.as_ref()?;
        let sec_ver = match self.sec_ver {
            Some(v) => v,
            None if self.has_capability("no_sec") => 0,
            None => 1,
        };
        Some(DetectedSecurity {
            sec_ver,
            sec_patch_ver: self.sec_patch_ver.unwrap_or(0),
            pop_required: sec_ver == 1 && !self.has_capability("no_pop"),
        })
    }
}
