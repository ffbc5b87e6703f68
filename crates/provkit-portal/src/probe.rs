//! The operating systems' connectivity checks. A phone that joins a network fetches a known
//! URL; anything but the expected answer (Android: `204`; Apple: a page saying `Success`;
//! Windows: `Microsoft Connect Test` / `Microsoft NCSI`) means "captive portal", and the
//! OS opens a browser on what it got. With every name resolving to the device
//! ([`crate::dns`]), these paths reach the portal, which answers `302` to its page.

/// Paths of the connectivity checks (host names vary; the paths are what reach us).
pub const PROBE_PATHS: &[&str] = &[
    // Android, ChromeOS (connectivitycheck.gstatic.com, clients3.google.com, ...).
    "/generate_204",
    "/gen_204",
    // Apple (captive.apple.com, www.apple.com, ...).
    "/hotspot-detect.html",
    "/library/test/success.html",
    // Windows (www.msftconnecttest.com, www.msftncsi.com).
    "/connecttest.txt",
    "/ncsi.txt",
    "/redirect",
    // Firefox (detectportal.firefox.com), Ubuntu / GNOME, KDE, Huawei, Xiaomi.
    "/canonical.html",
    "/success.txt",
    "/check_network_status.txt",
    "/connectivity-check.html",
    "/mobile/status.php",
];

/// True for a connectivity-check path (exact match; the query string is not part of
/// `path`).
pub fn is_probe(path: &str) -> bool {
    PROBE_PATHS.contains(&path)
}
