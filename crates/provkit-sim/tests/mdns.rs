//! The mDNS advertisement is visible to a browser on this host with the reference's
//! service type, instance name, port and TXT records (spec §5.1).

use mdns_sd::{ServiceDaemon, ServiceEvent};
use provkit_sim::mdns::{Advertisement, INSTANCE_NAME, SERVICE_TYPE, TXT_RECORDS};
use std::time::{Duration, Instant};

#[test]
fn advertisement_is_browsable_with_the_reference_records() {
    let port = 18_765;
    let advert = Advertisement::start("provkit-sim-test", port).expect("advertise");
    let browser = ServiceDaemon::new().expect("browser");
    let events = browser.browse(SERVICE_TYPE).expect("browse");
    let deadline = Instant::now() + Duration::from_secs(10);
    let resolved = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "service never resolved");
        if let Ok(ServiceEvent::ServiceResolved(info)) = events.recv_timeout(left)
            && info.get_fullname() == advert.fullname()
        {
            break info;
        }
    };
    assert!(resolved.get_fullname().starts_with(INSTANCE_NAME));
    assert_eq!(resolved.get_port(), port);
    for (key, value) in TXT_RECORDS {
        assert_eq!(resolved.get_property_val_str(key), Some(value), "{key}");
    }
    let _ = browser.shutdown();
}
