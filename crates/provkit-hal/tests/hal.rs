//! Validation rules of the data types, time arithmetic, and the behaviour of the mocks that
//! the layers above rely on in their own tests.

use proptest::prelude::*;
use provkit_hal::mock::{CountingRng, ManualClock, MemoryStore, MockNetwork, MockStation};
use provkit_hal::{
    AuthMode, Bssid, Clock, CredentialStore, Credentials, DisconnectReason, Duration, ErrorKind,
    Instant, LinkEvent, MAX_PROFILES, Passphrase, Profile, Rng, ScanConfig, ScanEntry, Ssid,
    WifiStation,
};

#[test]
fn ssid_length_limit() {
    assert!(Ssid::new(&[]).is_ok_and(|s| s.is_empty()));
    assert_eq!(Ssid::new(&[b'x'; 32]).map(|s| s.len()), Ok(32));
    assert_eq!(Ssid::new(&[b'x'; 33]), Err(ErrorKind::InvalidSsid));
}

#[test]
fn passphrase_wpa_rules() {
    let hex64 = [b'a'; 64];
    let mut not_hex64 = [b'a'; 64];
    not_hex64[10] = b'g';
    let accepted: [&[u8]; 5] = [b"", b"12345678", &[b'~'; 63], &hex64, b"with space"];
    for ok in accepted {
        assert!(Passphrase::new(ok).is_ok(), "{ok:?}");
    }
    let rejected: [&[u8]; 5] = [
        b"1234567",
        &not_hex64,
        &[b'a'; 65],
        b"tab\there!",
        b"caf\xc3\xa9-latte",
    ];
    for bad in rejected {
        assert_eq!(
            Passphrase::new(bad),
            Err(ErrorKind::InvalidPassphrase),
            "{bad:?}"
        );
    }
    assert!(Passphrase::new(&hex64).is_ok_and(|p| p.is_raw_psk()));
    // The lenient constructor only bounds the length.
    assert!(Passphrase::from_raw(b"abc").is_ok());
    assert!(Passphrase::from_raw(&[0u8; 64]).is_ok());
    assert_eq!(
        Passphrase::from_raw(&[0u8; 65]),
        Err(ErrorKind::InvalidPassphrase)
    );
}

#[test]
fn passphrase_debug_hides_the_secret() {
    let p = Passphrase::new(b"supersecret").expect("valid");
    let shown = format!("{p:?}");
    assert!(!shown.contains("supersecret"));
    assert!(shown.contains("11"));
}

#[test]
fn bssid_needs_six_bytes() {
    assert_eq!(
        Bssid::from_slice(&[1, 2, 3, 4, 5, 6]),
        Ok(Bssid([1, 2, 3, 4, 5, 6]))
    );
    assert_eq!(
        Bssid::from_slice(&[1, 2, 3, 4, 5]),
        Err(ErrorKind::InvalidBssid)
    );
    assert_eq!(Bssid::from_slice(&[0; 7]), Err(ErrorKind::InvalidBssid));
}

#[test]
fn esp_disconnect_reasons_are_classified_like_wifi_prov_mgr() {
    for auth in [202, 15, 204, 14] {
        assert_eq!(
            DisconnectReason::from_esp_reason(auth),
            DisconnectReason::AuthFailed
        );
    }
    assert_eq!(
        DisconnectReason::from_esp_reason(201),
        DisconnectReason::NetworkNotFound
    );
    for other in [2, 205, 210, 211, 212] {
        assert_eq!(
            DisconnectReason::from_esp_reason(other),
            DisconnectReason::Other(other)
        );
    }
}

#[test]
fn time_arithmetic_saturates() {
    let t = Instant::from_millis(u64::MAX - 5);
    assert_eq!(t + Duration::from_millis(10), Instant(u64::MAX));
    assert_eq!(Instant(5) - Instant(10), Duration::ZERO);
    assert_eq!(Instant(10) - Instant(4), Duration(6));
    assert_eq!(Instant(3) - Duration(10), Instant(0));
    assert_eq!(Duration::from_secs(u64::MAX), Duration(u64::MAX));
    assert_eq!(Duration::from_secs(2) - Duration(2500), Duration::ZERO);
}

proptest! {
    #[test]
    fn auth_mode_round_trips_every_raw_number(raw in any::<u8>()) {
        let mode = AuthMode::from_raw(raw);
        prop_assert_eq!(mode.to_raw(), raw);
        prop_assert_eq!(matches!(mode, AuthMode::Other(_)), raw >= 8);
    }

    #[test]
    fn passphrase_new_accepts_exactly_the_wpa_set(bytes in proptest::collection::vec(any::<u8>(), 0..70)) {
        let printable = bytes.iter().all(|b| (0x20..=0x7e).contains(b));
        let hex = bytes.iter().all(u8::is_ascii_hexdigit);
        let expected = bytes.is_empty()
            || ((8..=63).contains(&bytes.len()) && printable)
            || (bytes.len() == 64 && hex);
        prop_assert_eq!(Passphrase::new(&bytes).is_ok(), expected);
    }
}

fn network(ssid: &[u8], pass: &[u8], rssi: i8, ip: Option<[u8; 4]>) -> MockNetwork {
    MockNetwork {
        ssid: Ssid::new(ssid).expect("ssid"),
        passphrase: Passphrase::new(pass).expect("pass"),
        bssid: Bssid([0x24, 0xa1, 0x60, 0x11, 0xee, rssi.unsigned_abs()]),
        channel: 6,
        rssi,
        auth: AuthMode::Wpa2Psk,
        ip,
    }
}

fn creds(ssid: &[u8], pass: &[u8]) -> Credentials {
    Credentials {
        ssid: Ssid::new(ssid).expect("ssid"),
        passphrase: Passphrase::new(pass).expect("pass"),
        ..Credentials::default()
    }
}

#[test]
fn mock_station_decides_connection_outcomes() {
    let mut station = MockStation::new();
    station
        .add_network(network(b"home", b"password1", -40, Some([10, 0, 0, 2])))
        .expect("room");

    station.connect(&creds(b"home", b"password1")).expect("ok");
    let home = network(b"home", b"password1", -40, None);
    assert_eq!(
        station.poll_event(),
        Some(LinkEvent::Connected {
            bssid: home.bssid,
            channel: 6,
            auth: AuthMode::Wpa2Psk
        })
    );
    assert_eq!(
        station.poll_event(),
        Some(LinkEvent::GotIp { ip: [10, 0, 0, 2] })
    );
    assert_eq!(station.poll_event(), None);

    station.connect(&creds(b"home", b"wrongpass")).expect("ok");
    assert_eq!(
        station.poll_event(),
        Some(LinkEvent::Disconnected {
            reason: DisconnectReason::AuthFailed
        })
    );
    station
        .connect(&creds(b"nowhere", b"password1"))
        .expect("ok");
    assert_eq!(
        station.poll_event(),
        Some(LinkEvent::Disconnected {
            reason: DisconnectReason::NetworkNotFound
        })
    );
    station
        .script_connect_failure(DisconnectReason::NoIp)
        .expect("room");
    station.connect(&creds(b"home", b"password1")).expect("ok");
    assert_eq!(
        station.poll_event(),
        Some(LinkEvent::Disconnected {
            reason: DisconnectReason::NoIp
        })
    );
    assert_eq!(station.connects, 4);
    assert_eq!(station.last_credentials, Some(creds(b"home", b"password1")));

    station.fail_next_call(ErrorKind::Busy);
    assert_eq!(station.disconnect(), Err(ErrorKind::Busy));
    assert_eq!(station.disconnect(), Ok(()));
    assert_eq!(station.disconnects, 1);
}

#[test]
fn mock_station_scans_sorted_strongest_first() {
    let mut station = MockStation::new();
    for (name, rssi) in [(&b"weak"[..], -80), (b"strong", -30), (b"mid", -55)] {
        station
            .add_network(network(name, b"password1", rssi, None))
            .expect("room");
    }
    station.scan_completes_immediately = false;
    let config = ScanConfig {
        blocking: true,
        passive: false,
        group_channels: 5,
        period_ms: 120,
    };
    station.start_scan(&config).expect("ok");
    let mut out = [ScanEntry::default(), ScanEntry::default()];
    assert_eq!(station.scan_results(&mut out), Ok(None), "still running");
    station.complete_scan();
    assert_eq!(station.poll_event(), Some(LinkEvent::ScanDone));
    assert_eq!(
        station.scan_results(&mut out),
        Ok(Some(2)),
        "limited by the buffer"
    );
    assert_eq!(out[0].ssid.as_bytes(), b"strong");
    assert_eq!(out[1].ssid.as_bytes(), b"mid");
    assert_eq!(station.last_scan_config, Some(config));
}

#[test]
fn memory_store_commits_atomically() {
    let profile = |name: &[u8], priority| Profile {
        credentials: creds(name, b"password1"),
        priority,
    };
    let mut store = MemoryStore::new();
    assert_eq!(store.load().map(|l| l.len()), Ok(0));
    store
        .commit(&[profile(b"a", 1), profile(b"b", 2)])
        .expect("ok");
    assert_eq!(
        store.load().map(|l| l.to_vec()),
        Ok(vec![profile(b"a", 1), profile(b"b", 2)])
    );

    let too_many: Vec<_> = (0..=MAX_PROFILES)
        .map(|i| profile(b"x", u8::try_from(i).expect("small")))
        .collect();
    assert_eq!(store.commit(&too_many), Err(ErrorKind::TooManyProfiles));
    store.fail_next_call(ErrorKind::Storage);
    assert_eq!(store.commit(&[profile(b"c", 3)]), Err(ErrorKind::Storage));
    assert_eq!(
        store.profiles(),
        &[profile(b"a", 1), profile(b"b", 2)],
        "unchanged after failures"
    );
    assert_eq!(store.commits, 1);

    store.clear().expect("ok");
    assert!(store.profiles().is_empty());
}

#[test]
fn manual_clock_and_counting_rng() {
    let clock = ManualClock::new(Instant(100));
    clock.advance(Duration::from_secs(2));
    assert_eq!(clock.now(), Instant(2100));
    clock.set(Instant(50));
    assert_eq!(clock.now(), Instant(2100), "never goes backwards");

    let mut rng = CountingRng::new(254);
    let mut buf = [0u8; 4];
    rng.fill_bytes(&mut buf).expect("ok");
    assert_eq!(buf, [254, 255, 0, 1]);
}
