//! The manager (`provkit-manager::Device`, ESP personality, security 0 so request bodies reach
//! the `prov-config` / `prov-scan` / `prov-ctrl` handlers as sent) fed an arbitrary sequence of
//! requests, link events, scan completions, ticks and disconnects in virtual time.
//! Invariants: no panic; every `Connect` and `Persist` action carries an SSID of at most 32
//! bytes and a passphrase of at most 64; at most 7 profiles are ever persisted.
#![no_main]
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use provkit_fuzz::fixed_rng;
use provkit_hal::{AuthMode, Bssid, DisconnectReason, Instant, LinkEvent, ScanEntry, Ssid};
use provkit_manager::{Action, Device, EspConfig, EspManager, ServiceInfo};
use provkit_protocomm::{ClientId, DeviceSecurityConfig, TransportKind, VersionInfo};

#[derive(Arbitrary, Debug)]
enum Link {
    Connected {
        bssid: [u8; 6],
        channel: u8,
        auth: u8,
    },
    GotIp([u8; 4]),
    Disconnected(u16),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Request {
        endpoint: u8,
        client: u8,
        body: Vec<u8>,
    },
    Link(Link),
    ScanDone(Vec<(Vec<u8>, i8, u8)>),
    Tick(u16),
    Close(u8),
}

const ENDPOINTS: [&str; 5] = [
    "prov-config",
    "prov-scan",
    "prov-ctrl",
    "prov-session",
    "proto-ver",
];

fuzz_target!(|ops: Vec<Op>| {
    let Ok(manager) = EspManager::new(EspConfig::default(), Vec::new()) else {
        return;
    };
    let mut device = Device::new(manager, VersionInfo::default());
    let mut now = Instant(0);
    let service = ServiceInfo {
        name: b"PROV_FUZZ".to_vec(),
        key: Vec::new(),
    };
    if device
        .start(DeviceSecurityConfig::Sec0, service, now)
        .is_err()
    {
        return;
    }
    let mut rng = fixed_rng(11);
    for op in ops {
        match op {
            Op::Request {
                endpoint,
                client,
                body,
            } => {
                let endpoint = ENDPOINTS[usize::from(endpoint) % ENDPOINTS.len()];
                let client = ClientId::new(TransportKind::Http, u32::from(client % 2));
                let _ = device.handle(client, endpoint, &body, &mut rng, now);
            }
            Op::Link(link) => {
                let event = match link {
                    Link::Connected {
                        bssid,
                        channel,
                        auth,
                    } => LinkEvent::Connected {
                        bssid: Bssid(bssid),
                        channel,
                        auth: AuthMode::from_raw(auth),
                    },
                    Link::GotIp(ip) => LinkEvent::GotIp { ip },
                    Link::Disconnected(code) => LinkEvent::Disconnected {
                        reason: DisconnectReason::from_esp_reason(code),
                    },
                };
                device.manager.on_link_event(&event, now);
            }
            Op::ScanDone(entries) => {
                let entries: Vec<ScanEntry> = entries
                    .iter()
                    .filter_map(|(ssid, rssi, channel)| {
                        Some(ScanEntry {
                            ssid: Ssid::new(ssid).ok()?,
                            rssi: *rssi,
                            channel: *channel,
                            ..ScanEntry::default()
                        })
                    })
                    .collect();
                device.manager.on_scan_done(&entries, now);
            }
            Op::Tick(ms) => {
                now = Instant(now.0 + u64::from(ms));
                device.on_tick(now);
            }
            Op::Close(client) => {
                device.close_session(ClientId::new(TransportKind::Http, u32::from(client % 2)));
            }
        }
        while let Some(action) = device.manager.poll_action() {
            match action {
                Action::Connect(c) => {
                    assert!(c.ssid.len() <= 32 && c.passphrase.len() <= 64, "{c:?}");
                }
                Action::Persist(profiles) => {
                    assert!(profiles.len() <= 7, "{} profiles persisted", profiles.len());
                    for p in &profiles {
                        assert!(p.credentials.ssid.len() <= 32);
                    }
                }
                _ => {}
            }
        }
        while device.manager.poll_event().is_some() {}
    }
});
