//! Brute-force throttling as a user of `provkit sim` sees it: five wrong PoPs over HTTP print
//! `auth_failed` lines and then an `auth_lockout` line; while locked even a `Command0` gets no
//! answer; after the (shortened, `--auth-backoff-ms`) back-off the right PoP works.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use provkit_client::http::HttpTransport;
use provkit_client::{Client, ClientSecurityConfig, Transport};
use provkit_sim::provkit_security::ClientSession;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const BIN: &str = env!("CARGO_BIN_EXE_provkit");
const POP: &[u8] = b"s3cret";
const BACKOFF_MS: u64 = 1_500;

/// A `provkit sim` child, killed on drop.
struct Sim {
    child: Child,
    addr: String,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sim() -> Sim {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let backoff = BACKOFF_MS.to_string();
    let mut child = Command::new(BIN)
        .args(["sim", "--json", "--http", &addr, "--security", "1", "--pop"])
        .arg(std::str::from_utf8(POP).expect("ascii"))
        .args(["--auth-backoff-ms", &backoff])
        // The default handshake budget (4 per 20 s) would refuse the fifth Command0 before the
        // throttle counts its proof; this test is about the throttle.
        .args(["--handshake-budget", "20/20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sim");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "sim never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    Sim { child, addr, lines }
}

/// Event lines until one contains `needle` (included) or 5 s passed.
fn lines_until(sim: &Sim, needle: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut lines = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match sim.lines.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(needle);
                lines.push(line);
                if found {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    lines
}

fn sec1(pop: &[u8]) -> ClientSecurityConfig {
    ClientSecurityConfig::Sec1 {
        pop: Some(pop.to_vec()),
    }
}

#[test]
fn five_wrong_pops_print_a_lockout_and_the_right_pop_works_after_the_backoff() {
    let sim = start_sim();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let mut http = HttpTransport::new(&sim.addr).with_timeout(Duration::from_secs(5));

    for attempt in 1..=5 {
        let mut session = ClientSession::new(sec1(b"wrong-pop"));
        let c0 = session.start(&mut rng).expect("command0");
        let r0 = http
            .request("prov-session", &c0)
            .unwrap_or_else(|e| panic!("attempt {attempt}: Command0 must be answered: {e:?}"));
        let c1 = session
            .handle_response(&r0, &mut rng)
            .expect("device's response 0 is well formed")
            .expect("command1 follows");
        assert!(
            http.request("prov-session", &c1).is_err(),
            "attempt {attempt}: a wrong PoP gets no answer"
        );
    }
    let lines = lines_until(&sim, "\"auth_lockout\"");
    let failed = lines
        .iter()
        .filter(|l| l.contains("\"event\":\"auth_failed\""))
        .count();
    assert_eq!(failed, 5, "one auth_failed line per wrong PoP: {lines:?}");
    let lockout = lines.last().expect("some line");
    let parsed: serde_json::Value = serde_json::from_str(lockout).expect("JSON event line");
    assert_eq!(parsed["event"], "auth_lockout", "{lines:?}");
    assert_eq!(parsed["backoff_ms"].as_u64(), Some(BACKOFF_MS));
    assert!(parsed["until_ms"].as_u64().is_some(), "{lockout}");

    // Locked: even a fresh Command0 is refused (the socket closes without an answer).
    let mut session = ClientSession::new(sec1(POP));
    let c0 = session.start(&mut rng).expect("command0");
    assert!(
        http.request("prov-session", &c0).is_err(),
        "a 6th Command0 must get no answer while locked"
    );

    std::thread::sleep(Duration::from_millis(BACKOFF_MS + 300));
    let mut client = Client::new(http);
    client
        .establish_session(sec1(POP), &mut rng)
        .expect("the right PoP works after the back-off");
    assert!(client.is_established());
}
