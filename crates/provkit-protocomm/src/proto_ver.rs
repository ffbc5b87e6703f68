//! The `proto-ver` document (spec §3.2) and the tiny JSON writer that prints it.
//!
//! Output is formatted like ESP-IDF's `cJSON_Print` (newline + TAB indentation, `":"` + TAB
//! after keys, arrays on one line joined by `", "`), so for the same configuration the bytes
//! match a real device. Clients must parse rather than compare, but matching costs nothing.
//!
//! ```text
//! { <app labels, in set order>: {"ver": .., "cap": [..]},
//!   "prov": {"ver": "v1.1", "sec_ver": N, "sec_patch_ver": P, "cap": [no_sec|no_pop, wifi_scan, extras..]} }
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use provkit_security::DeviceSecurityConfig;

/// The manager version string of ESP-IDF v4.1 … v5.5 (`network_provisioning` uses `netprov-v1.2`).
pub const DEFAULT_PROV_VERSION: &str = "v1.1";

/// One application label (`wifi_prov_mgr_set_app_info(label, version, caps, n)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInfo {
    /// Top-level key. `"prov"` would be shadowed by the manager's own object, as in the reference.
    pub label: String,
    /// The label's `"ver"`.
    pub version: String,
    /// The label's `"cap"` list, in order.
    pub capabilities: Vec<String>,
}

/// Everything in the `proto-ver` answer that is not derived from the security configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// `prov.ver`.
    pub prov_version: String,
    /// Emit `prov.sec_patch_ver` (fixed firmware does, for every scheme). Off reproduces
    /// pre-2025 sec2 firmware, whose clients then assume patch 0.
    pub emit_sec_patch_ver: bool,
    /// Capabilities appended after `"wifi_scan"` (e.g. `"thread_scan"`).
    pub extra_capabilities: Vec<String>,
    /// Application labels, printed before `"prov"` in this order.
    pub app_info: Vec<AppInfo>,
}

impl Default for VersionInfo {
    fn default() -> Self {
        Self {
            prov_version: String::from(DEFAULT_PROV_VERSION),
            emit_sec_patch_ver: true,
            extra_capabilities: Vec::new(),
            app_info: Vec::new(),
        }
    }
}

impl VersionInfo {
    /// Adds (or replaces, keeping its position) an application label, like repeated calls to
    /// `wifi_prov_mgr_set_app_info`.
    pub fn set_app_info(&mut self, label: &str, version: &str, capabilities: &[&str]) {
        let info = AppInfo {
            label: String::from(label),
            version: String::from(version),
            capabilities: capabilities.iter().map(|c| String::from(*c)).collect(),
        };
        match self.app_info.iter_mut().find(|a| a.label == label) {
            Some(slot) => *slot = info,
            None => self.app_info.push(info),
        }
    }
}

/// Builds the `proto-ver` response body for a device with `security` and `info`.
pub fn render_proto_ver(security: &DeviceSecurityConfig, info: &VersionInfo) -> String {
    let mut caps: Vec<&str> = Vec::new();
    // Reference order: "no_sec" for sec0, else "no_pop" for sec1 with a NULL PoP (an empty
    // non-NULL PoP gets neither), then "wifi_scan", then the extras.
    match security {
        DeviceSecurityConfig::Sec0 => caps.push("no_sec"),
        #[cfg(feature = "sec1")]
        DeviceSecurityConfig::Sec1 { pop: None } => caps.push("no_pop"),
        _ => {}
    }
    caps.push("wifi_scan");
    caps.extend(info.extra_capabilities.iter().map(String::as_str));

    let mut w = JsonWriter::new();
    w.begin_object();
    for app in &info.app_info {
        w.key(&app.label);
        w.begin_object();
        w.key("ver");
        w.string(&app.version);
        w.key("cap");
        w.string_array(app.capabilities.iter().map(String::as_str));
        w.end_object();
    }
    w.key("prov");
    w.begin_object();
    w.key("ver");
    w.string(&info.prov_version);
    w.key("sec_ver");
    w.number(u32::from(security.sec_ver()));
    if info.emit_sec_patch_ver {
        w.key("sec_patch_ver");
        w.number(u32::from(security.sec_patch_ver()));
    }
    w.key("cap");
    w.string_array(caps.iter().copied());
    w.end_object();
    w.end_object();
    w.finish()
}

/// A forward-only writer producing `cJSON_Print` layout. It tracks whether a comma is due and
/// the nesting depth; callers pair `begin_object`/`end_object` and always write `key` before a
/// value inside objects (all objects here are non-empty).
struct JsonWriter {
    out: String,
    depth: usize,
    /// A value was written at the current depth, so the next key needs `,\n` first.
    need_comma: bool,
}

impl JsonWriter {
    fn new() -> Self {
        Self {
            out: String::new(),
            depth: 0,
            need_comma: false,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push('\t');
        }
    }

    fn begin_object(&mut self) {
        self.out.push_str("{\n");
        self.depth += 1;
        self.need_comma = false;
    }

    fn end_object(&mut self) {
        self.out.push('\n');
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push('}');
        self.need_comma = true;
    }

    fn key(&mut self, key: &str) {
        if self.need_comma {
            self.out.push_str(",\n");
        }
        self.indent();
        push_escaped(&mut self.out, key);
        self.out.push_str(":\t");
        self.need_comma = false;
    }

    fn string(&mut self, value: &str) {
        push_escaped(&mut self.out, value);
        self.need_comma = true;
    }

    fn number(&mut self, value: u32) {
        // Writing into a String cannot fail.
        let _ = write!(self.out, "{value}");
        self.need_comma = true;
    }

    fn string_array<'a>(&mut self, values: impl Iterator<Item = &'a str>) {
        self.out.push('[');
        for (i, v) in values.enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            push_escaped(&mut self.out, v);
        }
        self.out.push(']');
        self.need_comma = true;
    }

    fn finish(self) -> String {
        self.out
    }
}

/// Quotes `s` the way cJSON does: `"` `\` and the short control escapes by name, other control
/// characters as `\u00XX`, everything else (including non-ASCII UTF-8) verbatim.
fn push_escaped(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_cjson() {
        let mut s = String::new();
        push_escaped(&mut s, "a\"b\\c\n\u{1}é");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001é\"");
    }

    #[test]
    fn set_app_info_replaces_in_place() {
        let mut v = VersionInfo::default();
        v.set_app_info("a", "1", &["x"]);
        v.set_app_info("b", "1", &[]);
        v.set_app_info("a", "2", &["y"]);
        let labels: Vec<&str> = v.app_info.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(labels, ["a", "b"]);
        assert_eq!(v.app_info[0].version, "2");
    }
}
