//! The page: one HTML document with its CSS and JavaScript inline, no external asset (a
//! captive phone reaches nothing else), sized for a phone screen. It lists the scan
//! (strongest first, lock and security shown), takes a hidden network's name, the
//! passphrase and — when the device has one — its PoP or sec2 password, then polls
//! `/portal/result` and says what happened in words.

/// The page (`src/page.html`).
pub const PAGE: &str = include_str!("page.html");

/// Flash budget of the page, in bytes: checked by a test, so it fits beside the firmware.
pub const PAGE_BUDGET: usize = 12 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_fits_its_budget_and_loads_nothing_from_outside() {
        assert!(PAGE.len() <= PAGE_BUDGET, "{} > {PAGE_BUDGET}", PAGE.len());
        for external in ["http://", "https://", "src=", "<link", "@import", "url("] {
            assert!(!PAGE.contains(external), "the page refers to {external}");
        }
        assert!(PAGE.contains("name=\"viewport\""), "usable on a phone");
    }

    #[test]
    fn the_page_uses_every_api_route_it_needs() {
        for route in [
            "/portal/status",
            "/portal/scan",
            "/portal/networks",
            "/portal/connect",
            "/portal/result",
        ] {
            assert!(PAGE.contains(route), "{route}");
        }
        for word in [
            "wrong-password",
            "not-found",
            "connected",
            "attempts_remaining",
        ] {
            assert!(PAGE.contains(word), "{word}");
        }
    }
}
