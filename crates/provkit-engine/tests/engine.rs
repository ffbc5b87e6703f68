//! The async engine in virtual time: a fake async station (the hal's scripted station behind
//! an async face), the hal's memory store and manual-clock timer, one executor polling the
//! engine's run loop beside a test script that plays the client over the engine's transport
//! entry points. Nothing sleeps: when the engine waits for a deadline the timer moves the
//! clock there.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use embassy_futures::block_on;
use embassy_futures::select::{Either, select};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use provkit_client::wifi::{
    self, ScanOptions, WifiCredentials, WifiStatus, apply_config_request, get_status_request,
    set_config_request,
};
use provkit_engine::{Engine, EngineHooks};
use provkit_hal::mock::{ManualClock, MemoryStore, MockNetwork, MockStation, MockTimer};
use provkit_hal::{
    AuthMode, Bssid, Clock, Credentials, ErrorKind, ErrorType, Instant, LinkEvent, Passphrase,
    ScanConfig, ScanEntry, Ssid, asynch,
};
use provkit_manager::{
    Action, Device, EspConfig, EspEvent, EspManager, SCAN_TIMEOUT_MS, ServiceInfo,
};
use provkit_protocomm::ble::Uuid128;
use provkit_protocomm::http::{HttpOutcome, HttpRequest};
use provkit_protocomm::{DeviceSecurityConfig, ProtocommEvent, Throttle, VersionInfo};
use provkit_security::{ClientSecurityConfig, ClientSession};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const HOME: &[u8] = b"home-net";
const HOME_PASS: &[u8] = b"correct horse";

type TestEngine<'c> = Engine<NoopRawMutex, ChaCha20Rng, &'c ManualClock>;

// ----- the fake async station ----------------------------------------------------------

/// The hal's scripted station seen through the async trait; the test keeps a handle to push
/// events or finish a scan, which wakes the engine.
#[derive(Clone)]
struct FakeStation(Rc<RefCell<FakeInner>>);

struct FakeInner {
    mock: MockStation,
    waker: Option<Waker>,
}

impl FakeStation {
    fn new(mock: MockStation) -> Self {
        Self(Rc::new(RefCell::new(FakeInner { mock, waker: None })))
    }

    fn with<T>(&self, f: impl FnOnce(&mut MockStation) -> T) -> T {
        let mut inner = self.0.borrow_mut();
        let result = f(&mut inner.mock);
        if let Some(waker) = inner.waker.take() {
            waker.wake();
        }
        result
    }
}

impl ErrorType for FakeStation {
    type Error = ErrorKind;
}

impl asynch::WifiStation for FakeStation {
    async fn start_scan(&mut self, config: &ScanConfig) -> Result<(), ErrorKind> {
        provkit_hal::WifiStation::start_scan(&mut self.0.borrow_mut().mock, config)
    }
    async fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, ErrorKind> {
        provkit_hal::WifiStation::scan_results(&mut self.0.borrow_mut().mock, out)
    }
    async fn connect(&mut self, credentials: &Credentials) -> Result<(), ErrorKind> {
        provkit_hal::WifiStation::connect(&mut self.0.borrow_mut().mock, credentials)
    }
    async fn disconnect(&mut self) -> Result<(), ErrorKind> {
        provkit_hal::WifiStation::disconnect(&mut self.0.borrow_mut().mock)
    }
    async fn next_event(&mut self) -> LinkEvent {
        poll_fn(|cx| {
            let mut inner = self.0.borrow_mut();
            match provkit_hal::WifiStation::poll_event(&mut inner.mock) {
                Some(event) => Poll::Ready(event),
                None => {
                    inner.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

// ----- hooks that record ----------------------------------------------------------------

#[derive(Default)]
struct Recorder {
    events: Vec<EspEvent>,
    protocomm: Vec<ProtocommEvent>,
    transport: Vec<Action>,
    failures: Vec<(Action, ErrorKind)>,
}

impl EngineHooks for Recorder {
    fn event(&mut self, event: &EspEvent) {
        self.events.push(event.clone());
    }
    fn protocomm_event(&mut self, event: &ProtocommEvent) {
        self.protocomm.push(*event);
    }
    fn transport_action(&mut self, action: &Action) {
        self.transport.push(action.clone());
    }
    fn action_failed(&mut self, action: &Action, kind: ErrorKind) {
        self.failures.push((action.clone(), kind));
    }
}

// ----- the client side ------------------------------------------------------------------

/// Returns `Pending` once so the engine's run loop gets a turn.
async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// One HTTP client: a cookie and a security session.
struct Client {
    session: ClientSession,
    cookie: Option<String>,
    connection: u32,
    rng: ChaCha20Rng,
}

#[derive(Debug, PartialEq)]
struct Closed;

impl Client {
    fn new(config: ClientSecurityConfig, connection: u32) -> Self {
        Self {
            session: ClientSession::new(config),
            cookie: None,
            connection,
            rng: ChaCha20Rng::seed_from_u64(u64::from(connection) + 100),
        }
    }

    async fn post(
        &mut self,
        engine: &TestEngine<'_>,
        path: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, Closed> {
        let request = HttpRequest {
            method: "POST",
            path,
            cookie: self.cookie.as_deref().map(str::as_bytes),
            body,
            connection: self.connection,
        };
        let outcome = engine.http(&request).await;
        // A real transport waits for the network here; let the engine run meanwhile.
        yield_now().await;
        match outcome {
            HttpOutcome::Reply(reply) if reply.status == 200 => {
                if let Some(cookie) = reply.set_cookie {
                    self.cookie = Some(cookie);
                }
                Ok(reply.body)
            }
            _ => Err(Closed),
        }
    }

    /// The whole handshake; `Err` where the device stops answering.
    async fn handshake(&mut self, engine: &TestEngine<'_>) -> Result<(), Closed> {
        let mut request = self.session.start(&mut self.rng).map_err(|_| Closed)?;
        loop {
            let response = self.post(engine, "/prov-session", &request).await?;
            match self
                .session
                .handle_response(&response, &mut self.rng)
                .map_err(|_| Closed)?
            {
                Some(next) => request = next,
                None => return Ok(()),
            }
        }
    }

    async fn request(
        &mut self,
        engine: &TestEngine<'_>,
        path: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Closed> {
        let body = self.session.encrypt(plaintext).map_err(|_| Closed)?;
        let response = self.post(engine, path, &body).await?;
        self.session.decrypt(&response).map_err(|_| Closed)
    }

    async fn send_credentials(&mut self, engine: &TestEngine<'_>, ssid: &[u8], pass: &[u8]) {
        let set = set_config_request(&WifiCredentials::new(ssid, pass)).expect("request");
        let answer = self
            .request(engine, "/prov-config", &set)
            .await
            .expect("SetConfig answered");
        wifi::parse_set_config_response(&answer).expect("SetConfig accepted");
        let answer = self
            .request(engine, "/prov-config", &apply_config_request())
            .await
            .expect("ApplyConfig answered");
        wifi::parse_apply_config_response(&answer).expect("ApplyConfig accepted");
    }

    async fn status(&mut self, engine: &TestEngine<'_>) -> WifiStatus {
        let answer = self
            .request(engine, "/prov-config", &get_status_request())
            .await
            .expect("GetStatus answered");
        wifi::parse_get_status_response(&answer).expect("GetStatus parses")
    }

    /// Polls GetStatus (letting the engine run between polls) until it is not `Connecting`.
    async fn settle(&mut self, engine: &TestEngine<'_>) -> WifiStatus {
        for _ in 0..10_000 {
            let status = self.status(engine).await;
            if status != WifiStatus::Connecting {
                return status;
            }
            yield_now().await;
        }
        panic!("the device never left Connecting");
    }
}

// ----- the rig --------------------------------------------------------------------------

fn home_network() -> MockNetwork {
    MockNetwork {
        ssid: Ssid::new(HOME).unwrap(),
        passphrase: Passphrase::from_raw(HOME_PASS).unwrap(),
        bssid: Bssid([2, 0, 0, 0, 0, 1]),
        channel: 6,
        rssi: -40,
        auth: AuthMode::Wpa2Psk,
        ip: Some([192, 168, 1, 50]),
    }
}

fn started_device(config: EspConfig, security: DeviceSecurityConfig) -> Device {
    let manager = EspManager::new(config, Vec::new()).expect("manager");
    let mut device = Device::new(manager, VersionInfo::default());
    device
        .start(security, ServiceInfo::default(), Instant::from_millis(0))
        .expect("start");
    device
}

/// Runs `script` against an engine over `device`, with the engine's run loop beside it; returns
/// the script's output, the hooks' record, the store and the station.
fn run<T>(
    device: Device,
    mock: MockStation,
    script: impl for<'a> AsyncFnOnce(&'a TestEngine<'a>, &'a FakeStation, &'a ManualClock) -> T,
) -> (T, Recorder, MemoryStore) {
    let clock = ManualClock::new(Instant::from_millis(0));
    let engine: TestEngine<'_> = Engine::new(
        device,
        ChaCha20Rng::seed_from_u64(1),
        &clock,
        Uuid128::EXAMPLE_SERVICE,
    );
    let station = FakeStation::new(mock);
    let mut engine_station = station.clone();
    let mut store = MemoryStore::new();
    let mut timer = MockTimer::new(&clock);
    let mut hooks = Recorder::default();
    let output = block_on(async {
        let driver = pin!(engine.run(&mut engine_station, &mut store, &mut timer, &mut hooks));
        let script = pin!(script(&engine, &station, &clock));
        match select(driver, script).await {
            Either::First(never) => never,
            Either::Second(output) => output,
        }
    });
    (output, hooks, store)
}

// ----- the tests ------------------------------------------------------------------------

#[test]
fn a_wrong_passphrase_is_retried_in_the_same_session_and_only_the_right_one_is_stored() {
    let mut mock = MockStation::new();
    mock.add_network(home_network()).unwrap();
    let device = started_device(EspConfig::DEFAULT, DeviceSecurityConfig::Sec0);
    let ((first, second, stored_after_failure), hooks, store) =
        run(device, mock, async |engine, _station, clock| {
            let mut client = Client::new(ClientSecurityConfig::Sec0, 1);
            client.handshake(engine).await.expect("sec0 session");
            client
                .send_credentials(engine, HOME, b"wrong passphrase")
                .await;
            let first = client.settle(engine).await;
            let stored = engine.with_device(|d| d.manager.profiles().len());
            // Virtual time moved: the engine waited for the 1 s connect delay itself.
            assert!(clock.now().as_millis() >= 1_000, "connect delay honoured");
            client.send_credentials(engine, HOME, HOME_PASS).await;
            let second = client.settle(engine).await;
            (first, second, stored)
        });
    assert!(
        matches!(
            first,
            WifiStatus::Failed(_) | WifiStatus::AttemptFailed { .. }
        ),
        "{first:?}"
    );
    assert_eq!(stored_after_failure, 0);
    assert!(matches!(second, WifiStatus::Connected(_)), "{second:?}");
    let profiles = store.profiles();
    assert_eq!(profiles.len(), 1, "persisted once, after GotIp");
    assert_eq!(profiles[0].credentials.passphrase.as_bytes(), HOME_PASS);
    let kinds: Vec<&str> = hooks
        .events
        .iter()
        .filter_map(|e| match e {
            EspEvent::CredFail { .. } => Some("fail"),
            EspEvent::CredSuccess => Some("success"),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["fail", "success"]);
}

#[test]
fn the_engine_spends_every_attempt_before_giving_up() {
    let mut mock = MockStation::new();
    mock.add_network(home_network()).unwrap();
    let mut config = EspConfig::DEFAULT;
    config.wifi_conn_attempts = 3;
    let device = started_device(config, DeviceSecurityConfig::Sec0);
    let ((status, connects), hooks, store) = run(device, mock, async |engine, station, _clock| {
        let mut client = Client::new(ClientSecurityConfig::Sec0, 1);
        client.handshake(engine).await.expect("session");
        client
            .send_credentials(engine, HOME, b"wrong passphrase")
            .await;
        let status = client.settle(engine).await;
        (status, station.with(|m| m.connects))
    });
    assert!(matches!(status, WifiStatus::Failed(_)), "{status:?}");
    assert_eq!(connects, 3, "one connect per attempt");
    let fails = hooks
        .events
        .iter()
        .filter(|e| matches!(e, EspEvent::CredFail { .. }))
        .count();
    assert_eq!(fails, 1, "one CredFail when the attempts are spent");
    assert!(store.profiles().is_empty());
}

#[test]
fn a_brute_force_lockout_ends_with_engine_time() {
    let pop = b"right-pop".to_vec();
    let mut device = started_device(
        EspConfig::DEFAULT,
        DeviceSecurityConfig::Sec1 {
            pop: Some(pop.clone()),
        },
    );
    let throttle = Throttle::DEFAULT;
    device.protocomm_mut().unwrap().set_throttle(Some(throttle));
    let ((locked, after), hooks, _) = run(device, MockStation::new(), async |engine, _, clock| {
        for i in 0..throttle.max_failures {
            let mut wrong = Client::new(
                ClientSecurityConfig::Sec1 {
                    pop: Some(b"wrong".to_vec()),
                },
                10 + i,
            );
            assert_eq!(wrong.handshake(engine).await, Err(Closed));
            // Within the throttle's window, but no more than the handshake budget's four
            // Command0s in any 20 s, so every wrong proof is computed and counted.
            clock.advance(provkit_hal::Duration::from_millis(5_000));
        }
        let mut right = Client::new(
            ClientSecurityConfig::Sec1 {
                pop: Some(pop.clone()),
            },
            20,
        );
        let locked = right.handshake(engine).await;
        clock.advance(provkit_hal::Duration::from_millis(throttle.backoff_ms));
        let mut right = Client::new(ClientSecurityConfig::Sec1 { pop: Some(pop) }, 21);
        let after = right.handshake(engine).await;
        (locked, after)
    });
    assert_eq!(locked, Err(Closed), "refused while locked");
    assert_eq!(after, Ok(()), "accepted once the lockout is over");
    assert!(
        hooks
            .protocomm
            .iter()
            .any(|e| matches!(e, ProtocommEvent::AuthLockout { .. })),
        "{:?}",
        hooks.protocomm
    );
}

#[test]
fn auto_stop_after_success_stops_the_transports_and_the_device() {
    let mut mock = MockStation::new();
    mock.add_network(home_network()).unwrap();
    let device = started_device(EspConfig::DEFAULT, DeviceSecurityConfig::Sec0);
    let (after_stop, hooks, _) = run(device, mock, async |engine, _, _clock| {
        let mut client = Client::new(ClientSecurityConfig::Sec0, 1);
        client.handshake(engine).await.expect("session");
        client.send_credentials(engine, HOME, HOME_PASS).await;
        assert!(matches!(
            client.settle(engine).await,
            WifiStatus::Connected(_)
        ));
        // The engine fires the auto-stop deadline by itself; wait until the device is idle.
        for _ in 0..10_000 {
            if engine.with_device(|d| d.manager.is_idle()) {
                break;
            }
            yield_now().await;
        }
        client.post(engine, "/proto-ver", b"-").await
    });
    assert_eq!(
        after_stop,
        Err(Closed),
        "no protocomm once provisioning ended"
    );
    assert!(
        hooks.transport.contains(&Action::StopTransports),
        "{:?}",
        hooks.transport
    );
    assert!(hooks.events.contains(&EspEvent::End), "{:?}", hooks.events);
}

#[test]
fn a_blocking_scan_is_answered_only_when_the_scan_is_done() {
    let mut mock = MockStation::new();
    mock.add_network(home_network()).unwrap();
    mock.scan_completes_immediately = false;
    let device = started_device(EspConfig::DEFAULT, DeviceSecurityConfig::Sec0);
    let ((answered_early, count), _, _) = run(device, mock, async |engine, station, _| {
        let mut client = Client::new(ClientSecurityConfig::Sec0, 1);
        client.handshake(engine).await.expect("session");
        let start = wifi::scan_start_request(&ScanOptions::HTTP);
        let answered = Cell::new(false);
        let scan = async {
            let answer = client.request(engine, "/prov-scan", &start).await;
            answered.set(true);
            answer
        };
        let radio = async {
            // The radio finishes as soon as the engine started it (before the engine's own
            // scan timeout could end the scan in virtual time).
            while !station.with(|m| m.is_scanning()) {
                yield_now().await;
            }
            let early = answered.get();
            station.with(MockStation::complete_scan);
            early
        };
        let (answer, early) = embassy_futures::join::join(scan, radio).await;
        wifi::parse_scan_start_response(&answer.expect("ScanStart answered")).expect("ok");
        let status = client
            .request(engine, "/prov-scan", &wifi::scan_status_request())
            .await
            .expect("ScanStatus");
        let status = wifi::parse_scan_status_response(&status).expect("parses");
        assert!(status.finished);
        (early, status.count)
    });
    assert!(!answered_early, "the answer waited for the radio");
    assert_eq!(count, 1);
}

#[test]
fn a_scan_the_radio_never_finishes_ends_at_the_scan_timeout() {
    let mut mock = MockStation::new();
    mock.scan_completes_immediately = false;
    let device = started_device(EspConfig::DEFAULT, DeviceSecurityConfig::Sec0);
    let (elapsed, _, _) = run(device, mock, async |engine, _, clock| {
        let mut client = Client::new(ClientSecurityConfig::Sec0, 1);
        client.handshake(engine).await.expect("session");
        let before = clock.now().as_millis();
        let start = wifi::scan_start_request(&ScanOptions::HTTP);
        client
            .request(engine, "/prov-scan", &start)
            .await
            .expect("answered");
        clock.now().as_millis() - before
    });
    assert!(elapsed >= SCAN_TIMEOUT_MS, "{elapsed}");
}

#[test]
fn a_ble_disconnect_mid_session_frees_the_session_for_the_next_central() {
    let device = started_device(EspConfig::DEFAULT, DeviceSecurityConfig::Sec1 { pop: None });
    let ((old_link, new_link), _, _) = run(device, MockStation::new(), async |engine, _, _| {
        let endpoints = engine.ble_endpoints();
        let index = |name: &str| {
            endpoints
                .iter()
                .position(|(n, _)| n == name)
                .expect("endpoint")
        };
        let (session, config) = (index("prov-session"), index("prov-config"));
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let mut handshake = async |connection: u16| {
            let mut client = ClientSession::new(ClientSecurityConfig::Sec1 { pop: None });
            let mut request = client.start(&mut rng).expect("start");
            loop {
                let response = engine
                    .ble_write(connection, session, &request)
                    .await
                    .expect("answered");
                match client
                    .handle_response(&response, &mut rng)
                    .expect("accepted")
                {
                    Some(next) => request = next,
                    None => return client,
                }
            }
        };
        engine.ble_connected(1);
        let mut first = handshake(1).await;
        engine.ble_disconnected(1);
        engine.ble_connected(2);
        let mut second = handshake(2).await;
        let status = get_status_request();
        let old = engine
            .ble_write(1, config, &first.encrypt(&status).unwrap())
            .await;
        let new = engine
            .ble_write(2, config, &second.encrypt(&status).unwrap())
            .await
            .map(|answer| second.decrypt(&answer).is_ok());
        (old.is_err(), new)
    });
    assert!(old_link, "the departed central's session is gone");
    assert_eq!(new_link, Ok(true), "the next central provisions");
}

#[test]
fn a_failed_scan_start_ends_the_scan_instead_of_hanging() {
    let device = started_device(EspConfig::DEFAULT, DeviceSecurityConfig::Sec0);
    let (finished, hooks, _) = run(device, MockStation::new(), async |engine, station, _| {
        let mut client = Client::new(ClientSecurityConfig::Sec0, 1);
        client.handshake(engine).await.expect("session");
        station.with(|m| m.fail_next_call(ErrorKind::Busy));
        let start = wifi::scan_start_request(&ScanOptions::HTTP);
        client
            .request(engine, "/prov-scan", &start)
            .await
            .expect("answered");
        let status = client
            .request(engine, "/prov-scan", &wifi::scan_status_request())
            .await
            .expect("ScanStatus");
        wifi::parse_scan_status_response(&status)
            .expect("parses")
            .finished
    });
    assert!(finished);
    assert!(
        hooks
            .failures
            .iter()
            .any(|(a, k)| matches!(a, Action::StartScan(_)) && *k == ErrorKind::Busy),
        "{:?}",
        hooks.failures
    );
}

/// Keeps `Future` in scope for the async closures' bounds on older toolchains.
#[allow(dead_code)]
fn _assert_future<F: Future>(_: F) {}

// ----- attacks from strangers (issue: sessions strangers cannot break, bounded work) -----

fn sec2_security(seed: u64) -> (DeviceSecurityConfig, ClientSecurityConfig) {
    let (salt, verifier) = provkit_security::generate_sec2_credentials(
        b"wifiprov",
        b"abcd1234",
        16,
        provkit_security::sec2::VerifierConvention::EspIdf,
        &mut ChaCha20Rng::seed_from_u64(seed),
    )
    .expect("credentials");
    let device = DeviceSecurityConfig::Sec2 {
        salt,
        verifier,
        patch: provkit_security::Sec2Patch::Patch1,
    }
    .prepare()
    .expect("prepared");
    let client = ClientSecurityConfig::Sec2 {
        username: b"wifiprov".to_vec(),
        password: b"abcd1234".to_vec(),
        patch: provkit_security::Sec2Patch::Patch1,
    };
    (device, client)
}

/// The first attack of the issue, on the engine: mid-provisioning, a stranger POSTs to
/// `prov-session` from a second socket without any cookie (and then tries the owner's cookie
/// from a third one, with garbage). The owner's socket is not closed, its session keeps
/// working, and it provisions.
#[test]
fn a_strangers_prov_session_from_another_socket_leaves_the_owner_provisioning() {
    let mut mock = MockStation::new();
    mock.add_network(home_network()).unwrap();
    let (security, client_config) = sec2_security(41);
    let device = started_device(EspConfig::default(), security);
    let ((stranger_answered, copied, status), _, store) =
        run(device, mock, async |engine, _, _| {
            let mut owner = Client::new(client_config.clone(), 1);
            owner.handshake(engine).await.expect("owner's session");
            let set = set_config_request(&WifiCredentials::new(HOME, HOME_PASS)).expect("req");
            owner
                .request(engine, "/prov-config", &set)
                .await
                .expect("SetConfig answered");

            // The stranger: its own handshake attempt from socket 2, no cookie.
            let mut stranger = Client::new(client_config.clone(), 2);
            let c0 = stranger.session.start(&mut stranger.rng).expect("command0");
            let stranger_answered = stranger.post(engine, "/prov-session", &c0).await.is_ok();
            // The owner's cookie, copied onto socket 3, with a forged record.
            let mut copier = Client::new(client_config, 3);
            copier.cookie = owner.cookie.clone();
            let copied = copier.post(engine, "/prov-config", &[0u8; 40]).await;

            // The owner carries on in the same session.
            let answer = owner
                .request(engine, "/prov-config", &apply_config_request())
                .await
                .expect("ApplyConfig answered after the attack");
            wifi::parse_apply_config_response(&answer).expect("ApplyConfig accepted");
            let status = owner.settle(engine).await;
            (stranger_answered, copied, status)
        });
    // The stranger's handshake runs as a candidate (its Command0 is answered) but reaches
    // nothing of the owner's.
    assert!(stranger_answered);
    assert_eq!(
        copied,
        Err(Closed),
        "a copied cookie on another socket gets no answer"
    );
    assert!(matches!(status, WifiStatus::Connected(_)), "{status:?}");
    assert_eq!(store.profiles().len(), 1);
}

/// The second attack of the issue, on the engine: Command0 in a loop from several sockets.
/// Only the handshake budget's worth is computed (answered); the rest is refused (no answer)
/// before any arithmetic; proto-ver and the owner's requests are answered throughout, and the
/// application hears one budget event.
#[test]
fn a_command0_flood_computes_only_the_budget_and_the_owner_carries_on() {
    let mut mock = MockStation::new();
    mock.add_network(home_network()).unwrap();
    let (security, client_config) = sec2_security(42);
    let device = started_device(EspConfig::default(), security);
    let budget = provkit_protocomm::HandshakeBudget::DEFAULT;
    let ((computed, refused, refused_by_device), hooks, _) =
        run(device, mock, async |engine, _, clock| {
            let mut owner = Client::new(client_config.clone(), 1);
            owner.handshake(engine).await.expect("owner's session");
            let mut computed = 0u32;
            let mut refused = 0u32;
            let mut attackers: Vec<Client> = (0..5)
                .map(|i| Client::new(client_config.clone(), 100 + i))
                .collect();
            // 12 s of flood, a Command0 every 50 ms from one of five sockets.
            for round in 0..240usize {
                clock.advance(provkit_hal::Duration::from_millis(50));
                let attacker = &mut attackers[round % 5];
                attacker.cookie = None;
                let c0 = attacker.session.start(&mut attacker.rng).expect("command0");
                match attacker.post(engine, "/prov-session", &c0).await {
                    Ok(_) => computed += 1,
                    Err(Closed) => refused += 1,
                }
                let version = attacker.post(engine, "/proto-ver", b"-").await;
                assert!(version.is_ok(), "proto-ver answered during the flood");
                if round % 40 == 0 {
                    assert!(
                        matches!(owner.status(engine).await, WifiStatus::Connecting),
                        "the owner is answered during the flood"
                    );
                }
            }
            let refused_by_device =
                engine.with_device(|d| d.protocomm().map(|p| p.handshakes_refused()).unwrap_or(0));
            (computed, refused, refused_by_device)
        });
    // The owner's handshake took one of the first window's budget; the flood lasts 12 s, less
    // than one window.
    assert_eq!(computed, budget.max_handshakes - 1);
    assert_eq!(u64::from(refused), refused_by_device);
    assert_eq!(computed + refused, 240);
    let reports = hooks
        .protocomm
        .iter()
        .filter(|e| matches!(e, ProtocommEvent::HandshakeBudgetExhausted { .. }))
        .count();
    assert_eq!(reports, 1, "{:?}", hooks.protocomm);
}

// ----- the captive portal beside protocomm (feature `portal`) ---------------------------

#[cfg(feature = "portal")]
mod portal {
    use super::*;
    use provkit_engine::http::EngineHttp;
    use provkit_http::{Answer, Request, Service};
    use provkit_portal::{Portal, PortalConfig, PortalSecret};

    fn portal(secret: PortalSecret) -> Portal {
        Portal::new(PortalConfig {
            device_name: "PROV_TEST".into(),
            page_url: "http://192.168.4.1/".into(),
            secret,
        })
    }

    /// One request through the HTTP service a firmware runs (`EngineHttp`), as its server
    /// would hand it over; the status and body, or `None` where nothing is sent.
    async fn http(
        engine: &TestEngine<'_>,
        method: &str,
        target: &str,
        body: &[u8],
    ) -> Option<(u16, String)> {
        let request = Request {
            method,
            target,
            cookie: None,
            content_length: body.len(),
            keep_alive: true,
            body,
            consumed: 0,
        };
        let answer = EngineHttp(engine).request(&request, 7).await;
        yield_now().await;
        match answer {
            Answer::Reply(response) => Some((
                response.status().code(),
                String::from_utf8_lossy(response.body()).into_owned(),
            )),
            Answer::Close => None,
        }
    }

    async fn result(engine: &TestEngine<'_>) -> String {
        for _ in 0..10_000 {
            let (status, body) = http(engine, "GET", "/portal/result", b"").await.unwrap();
            assert_eq!(status, 200);
            if !body.contains("\"connecting\"") && !body.contains("\"ready\"") {
                return body;
            }
            yield_now().await;
        }
        panic!("the portal never left connecting");
    }

    #[test]
    fn the_portal_provisions_through_the_engine_with_the_same_events() {
        let mut mock = MockStation::new();
        mock.add_network(home_network()).unwrap();
        // Without auto-stop: virtual time would otherwise jump past the 30 s to the stop
        // between two polls of the result.
        let config = EspConfig {
            auto_stop_ms: None,
            ..EspConfig::DEFAULT
        };
        let device = started_device(config, DeviceSecurityConfig::Sec0);
        let ((off, page, failed, connected, protocomm), hooks, store) =
            run(device, mock, async |engine, _station, _clock| {
                // Off until enabled: the page's path is protocomm's (no such endpoint).
                let off = http(engine, "GET", "/", b"").await.map(|(s, _)| s);
                engine.enable_portal(portal(PortalSecret::Open));
                assert!(engine.portal_enabled());
                let page = http(engine, "GET", "/?from=probe", b"").await.unwrap();
                let (status, _) = http(
                    engine,
                    "POST",
                    "/portal/connect",
                    b"ssid=home-net&passphrase=wrong+passphrase&secret=",
                )
                .await
                .unwrap();
                assert_eq!(status, 200);
                let failed = result(engine).await;
                let (status, _) = http(
                    engine,
                    "POST",
                    "/portal/connect",
                    b"ssid=home-net&passphrase=correct+horse&secret=",
                )
                .await
                .unwrap();
                assert_eq!(status, 200);
                let connected = result(engine).await;
                // Protocomm's endpoints are still protocomm's.
                let protocomm = http(engine, "POST", "/proto-ver", b"---").await;
                (off, page, failed, connected, protocomm)
            });
        assert_ne!(off, Some(200), "no page while the portal is off");
        assert_eq!(page.0, 200);
        assert!(page.1.contains("<html") || page.1.contains("<!doctype"));
        assert!(failed.contains("wrong-password"), "{failed}");
        assert!(connected.contains("\"connected\""), "{connected}");
        let (status, body) = protocomm.expect("proto-ver answered");
        assert_eq!(status, 200);
        assert!(body.contains("prov"), "{body}");
        let kinds: Vec<&str> = hooks
            .events
            .iter()
            .filter_map(|e| match e {
                EspEvent::CredRecv { .. } => Some("recv"),
                EspEvent::CredFail { .. } => Some("fail"),
                EspEvent::CredSuccess => Some("success"),
                _ => None,
            })
            .collect();
        assert_eq!(kinds, ["recv", "fail", "recv", "success"]);
        assert_eq!(store.profiles().len(), 1);
    }

    #[test]
    fn a_wrong_portal_secret_counts_on_protocomms_throttle() {
        let mut device = started_device(EspConfig::DEFAULT, DeviceSecurityConfig::Sec0);
        device.protocomm_mut().unwrap().set_throttle(Some(Throttle {
            max_failures: 2,
            window_ms: 60_000,
            backoff_ms: 10_000,
            max_backoff_ms: 10_000,
        }));
        let (answers, hooks, _) = run(device, MockStation::new(), async |engine, _, _| {
            engine.enable_portal(portal(PortalSecret::Pop(b"abcd1234".to_vec().into())));
            let mut answers = Vec::new();
            for _ in 0..3 {
                answers.push(
                    http(
                        engine,
                        "POST",
                        "/portal/connect",
                        b"ssid=home-net&passphrase=correct+horse&secret=nope",
                    )
                    .await
                    .unwrap(),
                );
            }
            answers
        });
        assert!(answers[0].1.contains("wrong-secret"), "{:?}", answers[0]);
        assert!(answers[2].1.contains("locked"), "{:?}", answers[2]);
        assert!(answers.iter().all(|(s, _)| *s == 403));
        assert!(
            !hooks.protocomm.is_empty(),
            "the throttle's events reach the hooks"
        );
    }
}
