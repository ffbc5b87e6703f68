//! Boot-time join and staying connected, in virtual time: the hal's scripted station behind an
//! async face, the memory store, the manual-clock timer.

use std::future::poll_fn;
use std::pin::pin;
use std::task::Poll;

use embassy_futures::block_on;
use embassy_futures::select::{Either, select};
use provkit_engine::station::{FIRST_REJOIN_BACKOFF, JOIN_TIMEOUT, join_stored, stay_connected};
use provkit_hal::mock::{ManualClock, MemoryStore, MockNetwork, MockStation, MockTimer};
use provkit_hal::{
    AuthMode, Bssid, Clock, Credentials, DisconnectReason, ErrorKind, ErrorType, Instant,
    LinkEvent, Passphrase, Profile, ScanConfig, ScanEntry, Ssid, WifiStation, asynch,
};

/// The scripted station seen through the async trait; `next_event` waits for good when the
/// queue is empty (tests end through the script future).
struct Async<'a>(&'a std::cell::RefCell<MockStation>);

impl ErrorType for Async<'_> {
    type Error = ErrorKind;
}

impl asynch::WifiStation for Async<'_> {
    async fn start_scan(&mut self, config: &ScanConfig) -> Result<(), ErrorKind> {
        self.0.borrow_mut().start_scan(config)
    }
    async fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, ErrorKind> {
        self.0.borrow_mut().scan_results(out)
    }
    async fn connect(&mut self, credentials: &Credentials) -> Result<(), ErrorKind> {
        self.0.borrow_mut().connect(credentials)
    }
    async fn disconnect(&mut self) -> Result<(), ErrorKind> {
        self.0.borrow_mut().disconnect()
    }
    async fn next_event(&mut self) -> LinkEvent {
        poll_fn(|cx| match self.0.borrow_mut().poll_event() {
            Some(event) => Poll::Ready(event),
            None => {
                // Woken by the test script's yields (it shares the executor).
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await
    }
}

fn network(ssid: &[u8], pass: &[u8], ip: Option<[u8; 4]>) -> MockNetwork {
    MockNetwork {
        ssid: Ssid::new(ssid).unwrap(),
        passphrase: Passphrase::from_raw(pass).unwrap(),
        bssid: Bssid([2, 0, 0, 0, 0, 1]),
        channel: 6,
        rssi: -50,
        auth: AuthMode::Wpa2Psk,
        ip,
    }
}

fn profile(ssid: &[u8], pass: &[u8], priority: u8) -> Profile {
    Profile {
        credentials: Credentials {
            ssid: Ssid::new(ssid).unwrap(),
            passphrase: Passphrase::from_raw(pass).unwrap(),
            bssid: None,
            channel: None,
        },
        priority,
    }
}

#[test]
fn the_highest_priority_network_that_works_is_joined() {
    let mut mock = MockStation::new();
    mock.add_network(network(b"office", b"office-pass", Some([10, 0, 0, 2])))
        .unwrap();
    mock.add_network(network(b"home", b"home-pass-1", Some([192, 168, 1, 9])))
        .unwrap();
    let station = std::cell::RefCell::new(mock);
    let clock = ManualClock::new(Instant::from_millis(0));
    let mut timer = MockTimer::new(&clock);
    let profiles = [
        profile(b"office", b"office-pass", 1),
        profile(b"cafe", b"gone-away-1", 9),
        profile(b"home", b"home-pass-1", 5),
    ];
    let joined = block_on(join_stored(
        &mut Async(&station),
        &mut timer,
        &profiles,
        JOIN_TIMEOUT,
    ))
    .expect("joined");
    // cafe (9) is not in range, home (5) works before office (1) is tried.
    assert_eq!(joined.profile, 2);
    assert_eq!(joined.ip, [192, 168, 1, 9]);
    assert_eq!(station.borrow().connects, 2);
}

#[test]
fn a_network_that_never_gives_an_address_times_out_and_none_is_joined() {
    let mut mock = MockStation::new();
    mock.add_network(network(b"no-dhcp", b"no-dhcp-pass", None))
        .unwrap();
    let station = std::cell::RefCell::new(mock);
    let clock = ManualClock::new(Instant::from_millis(0));
    let mut timer = MockTimer::new(&clock);
    let profiles = [profile(b"no-dhcp", b"no-dhcp-pass", 0)];
    let joined = block_on(join_stored(
        &mut Async(&station),
        &mut timer,
        &profiles,
        JOIN_TIMEOUT,
    ));
    assert_eq!(joined, None);
    assert_eq!(clock.now().as_millis(), JOIN_TIMEOUT.as_millis());
    assert_eq!(station.borrow().disconnects, 1, "the attempt is dropped");
}

#[test]
fn a_lost_link_is_rejoined_after_a_growing_back_off() {
    let mut mock = MockStation::new();
    mock.add_network(network(b"home", b"home-pass-1", Some([192, 168, 1, 9])))
        .unwrap();
    // The first two rejoin rounds fail (the AP rebooting), the third works.
    mock.script_connect_failure(DisconnectReason::NetworkNotFound)
        .unwrap();
    mock.script_connect_failure(DisconnectReason::NetworkNotFound)
        .unwrap();
    let station = std::cell::RefCell::new(mock);
    let clock = ManualClock::new(Instant::from_millis(0));
    let mut timer = MockTimer::new(&clock);
    let mut store = MemoryStore::with_profiles(&[profile(b"home", b"home-pass-1", 0)]).unwrap();
    let mut changes = Vec::new();
    let mut keeper_station = Async(&station);
    block_on(async {
        let keeper = pin!(stay_connected(
            &mut keeper_station,
            &mut store,
            &mut timer,
            true,
            |change| changes.push((clock.now().as_millis(), change)),
        ));
        let script = pin!(async {
            station.borrow_mut().push_event(LinkEvent::Disconnected {
                reason: DisconnectReason::ConnectionLost,
            });
            while station.borrow().connects < 3 {
                poll_once().await;
            }
            for _ in 0..10 {
                poll_once().await;
            }
        });
        match select(keeper, script).await {
            Either::First(never) => never,
            Either::Second(()) => {}
        }
    });
    let back = FIRST_REJOIN_BACKOFF.as_millis();
    assert_eq!(changes.first(), Some(&(0, None)), "{changes:?}");
    // Two failed rounds: waits of 1 s then 2 s before the third, successful one.
    assert_eq!(
        changes.get(1),
        Some(&(back + 2 * back, Some([192, 168, 1, 9]))),
        "{changes:?}"
    );
}

async fn poll_once() {
    let mut done = false;
    poll_fn(|cx| {
        if done {
            Poll::Ready(())
        } else {
            done = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}
