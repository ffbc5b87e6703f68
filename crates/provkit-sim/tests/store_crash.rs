//! The credential store survives SIGKILL at any moment: a child process commits profile sets
//! in a tight loop and is killed at random times; every load afterwards sees one whole set
//! (never a torn or partial one), and the sets only move forward.

use provkit_sim::provkit_hal::{Credentials, Passphrase, Profile, Ssid};
use provkit_sim::store::{FileStore, MAX_PROFILES};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_DIR_ENV: &str = "PROVKIT_STORE_CRASH_CHILD_DIR";
const TEST_NAME: &str = "sigkill_during_commits_leaves_a_whole_set";

/// Generation `g` is a set of `1 + g % MAX_PROFILES` profiles all naming `g`.
fn generation(g: u64) -> Vec<Profile> {
    let count = 1 + usize::try_from(g).unwrap_or(0) % MAX_PROFILES;
    (0..count)
        .map(|i| Profile {
            credentials: Credentials {
                ssid: Ssid::new(format!("gen{g}-{i}").as_bytes()).expect("ssid"),
                passphrase: Passphrase::from_raw(
                    format!("pass-{g}-{i}-{}", "x".repeat(i * 7)).as_bytes(),
                )
                .expect("passphrase"),
                bssid: None,
                channel: u8::try_from(i + 1).ok(),
            },
            priority: u8::try_from(i).unwrap_or(0),
        })
        .collect()
}

/// Which generation a loaded set is; panics on a set that is not exactly one generation.
fn generation_of(set: &[Profile]) -> Option<u64> {
    let first = set.first()?;
    let name = String::from_utf8(first.credentials.ssid.as_bytes().to_vec()).expect("utf8 ssid");
    let g: u64 = name
        .strip_prefix("gen")
        .and_then(|r| r.split('-').next())
        .and_then(|n| n.parse().ok())
        .expect("generation number");
    assert_eq!(set, generation(g).as_slice(), "torn profile set");
    Some(g)
}

fn child_loop(dir: &str) -> ! {
    let store = FileStore::open(dir).expect("open");
    let mut g = generation_of(&store.load().expect("load")).map_or(0, |last| last + 1);
    loop {
        store.commit(&generation(g)).expect("commit");
        g += 1;
    }
}

#[test]
fn sigkill_during_commits_leaves_a_whole_set() {
    if let Ok(dir) = std::env::var(CHILD_DIR_ENV) {
        child_loop(&dir);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FileStore::open(dir.path()).expect("open");
    let exe = std::env::current_exe().expect("test binary");
    let mut last_seen: Option<u64> = None;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..12 {
        let mut child = Command::new(&exe)
            .args(["--exact", TEST_NAME, "--test-threads=1"])
            .env(CHILD_DIR_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        // Wait until the child has committed at least once past what we saw, then a random
        // extra delay so the kill lands anywhere inside a commit.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = generation_of(&store.load().expect("load while child runs"));
            if now > last_seen || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(seed % 20_000));
        child.kill().expect("SIGKILL child");
        child.wait().expect("reap child");
        let set = store.load().expect("load after kill");
        let g = generation_of(&set);
        assert!(
            g.is_some(),
            "round {round}: no set after the child committed"
        );
        assert!(
            g >= last_seen,
            "round {round}: went back from {last_seen:?} to {g:?}"
        );
        last_seen = g;
    }
}
