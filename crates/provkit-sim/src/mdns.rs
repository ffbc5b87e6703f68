//! Optional mDNS advertisement of the SoftAP/HTTP service (`provkit sim --mdns`).
//!
//! IDF ≤ v4.4 advertised `_esp_wifi_prov._tcp` (instance "Wi-Fi Provisioning Service") with
//! the TXT records `version_endpoint=/proto-ver`, `session_endpoint=/prov-session` and
//! `config_endpoint=/prov-config` (spec §5.1); v5.x dropped it. Off by default, like v5.x.

use crate::SimError;
use mdns_sd::{ServiceDaemon, ServiceInfo};

/// The service type of the reference.
pub const SERVICE_TYPE: &str = "_esp_wifi_prov._tcp.local.";
/// The instance name of the reference.
pub const INSTANCE_NAME: &str = "Wi-Fi Provisioning Service";
/// The TXT records of the reference, in its order.
pub const TXT_RECORDS: [(&str, &str); 3] = [
    ("version_endpoint", "/proto-ver"),
    ("session_endpoint", "/prov-session"),
    ("config_endpoint", "/prov-config"),
];

/// The service record for an HTTP transport on `port`, host `<host_label>.local.`, announced
/// on every interface address.
pub fn service_info(host_label: &str, port: u16) -> Result<ServiceInfo, SimError> {
    let host = format!("{host_label}.local.");
    ServiceInfo::new(
        SERVICE_TYPE,
        INSTANCE_NAME,
        &host,
        "",
        port,
        &TXT_RECORDS[..],
    )
    .map(ServiceInfo::enable_addr_auto)
    .map_err(|e| mdns_error("building the mDNS record", e))
}

/// A running advertisement; withdrawn (goodbye packets) when dropped.
pub struct Advertisement {
    daemon: ServiceDaemon,
    fullname: String,
}

impl Advertisement {
    /// Starts the responder and registers the service.
    pub fn start(host_label: &str, port: u16) -> Result<Advertisement, SimError> {
        let info = service_info(host_label, port)?;
        let fullname = info.get_fullname().to_string();
        let daemon =
            ServiceDaemon::new().map_err(|e| mdns_error("starting the mDNS responder", e))?;
        daemon
            .register(info)
            .map_err(|e| mdns_error("registering the mDNS service", e))?;
        Ok(Advertisement { daemon, fullname })
    }

    pub fn fullname(&self) -> &str {
        &self.fullname
    }
}

impl Drop for Advertisement {
    fn drop(&mut self) {
        // Best effort on the way out: a failed goodbye only delays the record's expiry.
        let _ = self.daemon.unregister(&self.fullname);
        let _ = self.daemon.shutdown();
    }
}

fn mdns_error(context: &str, e: mdns_sd::Error) -> SimError {
    SimError::Io {
        context: context.to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_carries_the_reference_type_instance_port_and_txt() {
        let info = service_info("provkit-sim", 8080).expect("record");
        assert_eq!(info.get_type(), SERVICE_TYPE);
        assert_eq!(
            info.get_fullname(),
            "Wi-Fi Provisioning Service._esp_wifi_prov._tcp.local."
        );
        assert_eq!(info.get_port(), 8080);
        for (key, value) in TXT_RECORDS {
            assert_eq!(info.get_property_val_str(key), Some(value), "{key}");
        }
        assert_eq!(info.get_hostname(), "provkit-sim.local.");
    }
}
