//! Validation rules of the data types, time arithmetic, and the behaviour of the mocks that
//! the layers above rely on in their own tests.

use core::future::Future;
use core::mem::{MaybeUninit, size_of};
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use proptest::prelude::*;

use provkit_hal::mock::{
    CountingRng, ManualClock, MemoryStore, MockNetwork, MockStation, MockTimer,
};
use provkit_hal::zeroize::Zeroize;
use provkit_hal::{
    AuthMode, Bssid, Clock, CredentialStore, Credentials, DisconnectReason, Duration, ErrorKind,
    Instant, LinkEvent, MAX_PROFILES, Passphrase, Profile, Rng, ScanConfig, ScanEntry, Ssid, Timer,
    WifiStation, asynch,
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

/// True if `needle` occurs anywhere in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Drops `value` in place and returns the bytes its storage holds afterwards.
///
/// Only sound for values whose every byte is initialised (no padding, no uninitialised
/// spare capacity): a full 64-byte passphrase fills the whole heapless buffer, and its length
/// field sits right before it with no padding, so every byte was written.
fn bytes_after_drop(value: Passphrase) -> [u8; size_of::<Passphrase>()] {
    let mut slot = MaybeUninit::new(value);
    // SAFETY: `slot` holds an initialised `Passphrase`, dropped exactly once here and never
    // used as one again. Afterwards the storage is read as plain bytes; drop wrote zeros
    // and a zero length over what were all initialised bytes (see above).
    unsafe {
        core::ptr::drop_in_place(slot.as_mut_ptr());
        core::ptr::read(slot.as_ptr().cast::<[u8; size_of::<Passphrase>()]>())
    }
}

#[test]
fn passphrase_is_wiped_on_drop_and_so_are_its_clones() {
    // A raw PSK: 64 hex digits, so every byte of the buffer is in use.
    let psk: [u8; 64] = core::array::from_fn(|i| b"0123456789abcdef"[(i * 7 + 3) % 16]);
    let original = Passphrase::new(&psk).expect("valid raw PSK");
    let clone = original.clone();

    // Control: before the drop the storage does hold the secret (else the test proves nothing).
    let before = MaybeUninit::new(original.clone());
    // SAFETY: as in `bytes_after_drop`, every byte of a full passphrase is initialised; the
    // value is leaked (never dropped), which is fine for a test.
    let raw_before: [u8; size_of::<Passphrase>()] =
        unsafe { core::ptr::read(before.as_ptr().cast()) };
    assert!(contains(&raw_before, &psk));

    for value in [original, clone] {
        let raw_after = bytes_after_drop(value);
        assert!(!contains(&raw_after, &psk[..8]), "secret left behind");
        assert!(raw_after.iter().all(|&b| b == 0), "storage not zeroed");
    }
}

#[test]
fn passphrase_zeroize_empties_it() {
    let mut p = Passphrase::new(b"correct horse").expect("valid");
    p.zeroize();
    assert!(p.is_empty());
    assert_eq!(p, Passphrase::default());
    // Credentials carrying a passphrase still debug without it.
    let c = Credentials {
        ssid: Ssid::new(b"home").expect("ssid"),
        passphrase: Passphrase::new(b"correct horse").expect("valid"),
        ..Credentials::default()
    };
    let shown = format!("{c:?}");
    assert!(!shown.contains("correct horse"), "{shown}");
    assert!(shown.contains("home"), "{shown}");
}

#[test]
fn mock_timer_moves_the_shared_clock_to_the_deadline() {
    let clock = ManualClock::new(Instant(1_000));
    let mut timer = MockTimer::new(&clock);

    timer.wait_until(Instant(4_500));
    assert_eq!(clock.now(), Instant(4_500), "woke exactly at the deadline");
    assert_eq!(timer.now(), clock.now(), "one time base");
    assert_eq!((timer.waits, timer.immediate), (1, 0));

    // A deadline in the past returns at once and never moves time backwards.
    timer.wait_until(Instant(2_000));
    assert_eq!(clock.now(), Instant(4_500));
    assert_eq!((timer.waits, timer.immediate), (1, 1));
    assert_eq!(timer.last_deadline, Some(Instant(2_000)));

    // `wait` is relative to now; through `&mut` too (adapters pass timers by reference).
    fn sleep_for<T: Timer>(mut timer: T, duration: Duration) {
        timer.wait(duration);
    }
    sleep_for(&mut timer, Duration::from_millis(250));
    assert_eq!(clock.now(), Instant(4_750));
    // Saturates instead of overflowing.
    timer.wait(Duration(u64::MAX));
    assert_eq!(clock.now(), Instant(u64::MAX));
}

/// Polls `future` to completion with a no-op waker; returns its output and how many polls
/// returned `Pending`.
fn block_on<F: Future>(future: F) -> (F::Output, u32) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut pending = 0;
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return (out, pending),
            Poll::Pending => pending += 1,
        }
    }
}

#[test]
fn async_mock_timer_suspends_then_wakes_at_the_deadline() {
    let clock = ManualClock::new(Instant(0));
    let mut timer = MockTimer::new(&clock);

    let ((), pending) = block_on(asynch::Timer::wait_until(&mut timer, Instant(30_000)));
    assert_eq!(pending, 1, "a future deadline suspends");
    assert_eq!(clock.now(), Instant(30_000));

    let ((), pending) = block_on(asynch::Timer::wait_until(&mut timer, Instant(10)));
    assert_eq!(pending, 0, "a past deadline completes on the first poll");
    assert_eq!(clock.now(), Instant(30_000));

    let ((), _) = block_on(asynch::Timer::wait(&mut &mut timer, Duration::from_secs(2)));
    assert_eq!(clock.now(), Instant(32_000));
    assert_eq!((timer.waits, timer.immediate), (2, 1));
}

/// The adapter loop of the crate docs' *Timing contract*: sleep until the next deadline, then
/// tick. With a deadline source that re-arms, every wake lands on a deadline, never before.
#[test]
fn timer_drives_a_deadline_loop_without_waking_early() {
    let clock = ManualClock::new(Instant(0));
    let mut timer = MockTimer::new(&clock);
    let deadlines = [Instant(500), Instant(1_500), Instant(1_500), Instant(9_000)];
    let mut woke_at = Vec::new();
    for deadline in deadlines {
        timer.wait_until(deadline);
        assert!(timer.now() >= deadline);
        woke_at.push(timer.now());
    }
    assert_eq!(woke_at, deadlines);
    assert_eq!((timer.waits, timer.immediate), (3, 1));
}
