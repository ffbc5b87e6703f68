//! Crash safety of credential commits: `provkit sim` is SIGKILLed at random moments around the
//! commit that follows a successful provisioning, again and again on the same state directory.
//! After every kill the store (read the way the restarted simulator reads it) must hold
//! exactly the previous profile set, or a new set the manager could have committed: one that
//! contains the new credentials and otherwise only profiles of the previous set (the manager
//! decides whether it keeps older profiles). Never a torn file, a half-written profile, a
//! lost set or nothing.
//!
//! `PROVKIT_CRASH_COUNT=N` runs N kills (default 200).

use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use provkit_client::{PollPolicy, WifiCredentials};
use provkit_hostile::{Security, Sim, temp_dir};
use provkit_sim::store::FileStore;

const COUNT_ENV: &str = "PROVKIT_CRASH_COUNT";
const DEFAULT_COUNT: usize = 200;

/// Two joinable networks that connect almost at once, so each round is short.
const ENV_TOML: &str = r#"
[[ap]]
ssid = "NetA"
passphrase = "passwordA"
auth = "wpa2-psk"
channel = 1
rssi = -40
bssid = "24:0a:c4:00:00:0a"
connect_ms = 20

[[ap]]
ssid = "NetB"
passphrase = "passwordB"
auth = "wpa2-psk"
channel = 6
rssi = -50
bssid = "24:0a:c4:00:00:0b"
connect_ms = 20
"#;

/// Small xorshift, seeded from the clock: the kill moments differ on every run (the seed is
/// printed so a failing run can be discussed).
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn stored_ssids(state: &std::path::Path) -> Result<Vec<Vec<u8>>, String> {
    let store = FileStore::open(state).map_err(|e| format!("{e:?}"))?;
    let profiles = store
        .load()
        .map_err(|e| format!("store unreadable after a kill: {e:?}"))?;
    Ok(profiles
        .iter()
        .map(|p| {
            let mut v = p.credentials.ssid.as_bytes().to_vec();
            v.push(b'/');
            v.extend_from_slice(p.credentials.passphrase.as_bytes());
            v
        })
        .collect())
}

#[test]
fn sigkill_during_credential_commits_keeps_old_or_new_set() {
    let count = std::env::var(COUNT_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_COUNT);
    let work = temp_dir("crash").expect("temp dir");
    let state = work.join("state");
    std::fs::create_dir_all(&state).expect("state dir");
    let env_file = work.join("env.toml");
    std::fs::write(&env_file, ENV_TOML).expect("env file");
    let env_arg = env_file.to_string_lossy().into_owned();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    let mut moments = Moments(seed);
    println!("crash: seed {seed:#x}, {count} kills");

    let mut current: Vec<Vec<u8>> = Vec::new();
    let (mut kept_old, mut got_new) = (0usize, 0usize);
    for round in 0..count {
        let (ssid, pass) = if round % 2 == 0 {
            ("NetA", "passwordA")
        } else {
            ("NetB", "passwordB")
        };
        let new_entry = format!("{ssid}/{pass}").into_bytes();
        let mut sim = Sim::spawn(Security::Sec1, &state, &["--env", &env_arg])
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        // The restarted simulator must have loaded what the store holds.
        assert_eq!(
            stored_ssids(&state),
            Ok(current.clone()),
            "round {round}: before"
        );

        let mut client = sim.client(round as u64).expect("client connects");
        let (applied_tx, applied_rx) = mpsc::channel();
        let credentials = WifiCredentials::new(ssid, pass);
        let provision = std::thread::spawn(move || {
            if client.set_config(&credentials).is_err() || client.apply_config().is_err() {
                return;
            }
            let _ = applied_tx.send(Instant::now());
            let _ = client.wait_for_connection(PollPolicy::default(), || {
                std::thread::sleep(Duration::from_millis(20))
            });
        });
        let applied = applied_rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("round {round}: SetConfig/ApplyConfig failed"));
        // The commit lands about 1 s after ApplyConfig (the manager's connect delay plus the
        // 20 ms connect): kill anywhere from just after ApplyConfig to well past it, densest
        // around the commit.
        let delay = if round % 4 == 0 {
            moments.next_ms(1400)
        } else {
            900 + moments.next_ms(300)
        };
        std::thread::sleep(Duration::from_millis(delay).saturating_sub(applied.elapsed()));
        sim.kill();
        let _ = provision.join();

        let after = stored_ssids(&state).unwrap_or_else(|e| panic!("round {round}: {e}"));
        if after == current {
            kept_old += 1;
        } else if after.contains(&new_entry)
            && after.iter().all(|e| *e == new_entry || current.contains(e))
        {
            got_new += 1;
            current = after;
        } else {
            panic!(
                "round {round}: store holds {:?}, neither the old set {:?} nor a set with {:?}",
                show(&after),
                show(&current),
                String::from_utf8_lossy(&new_entry)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    println!("crash: {count} SIGKILLs, {kept_old} kept the old set, {got_new} the new one");
    // Kills must have landed on both sides of the commit, or the test proved little.
    if count >= 20 {
        assert!(
            kept_old > 0 && got_new > 0,
            "kills all on one side of the commit"
        );
    }
}

fn show(set: &[Vec<u8>]) -> Vec<String> {
    set.iter()
        .map(|e| String::from_utf8_lossy(e).into_owned())
        .collect()
}
