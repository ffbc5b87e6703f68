//! provkit's own client over BLE against `provkit sim --ble`, end to end through two linked
//! bumble virtual controllers (`cargo xtask ble-client`, a step of `cargo xtask test`).
//!
//! ```text
//!  provkit sim --ble hci-tcp:127.0.0.1:A          provkit provision|scan|reset|reprov
//!   (TrouBLE peripheral)                             --ble hci-tcp:127.0.0.1:B (TrouBLE central)
//!            └── H4/TCP ── bumble controller A ═ link ═ controller B ── H4/TCP ──┘
//! ```
//!
//! Every scenario starts its own pair of controllers (bumble's keep connections across
//! HCI_Reset) and its own sim, and stops both (by their own pids) when it ends. A scenario is
//! judged by the client's exit status and output, the sim's `--json` events and, where it
//! matters, the credentials the sim stored. After every client run the sim must report the
//! central gone and advertise again: the client disconnects cleanly, whether it succeeded or
//! failed. Half of the scenarios keep the ATT MTU at 23 (queued writes and long reads carry
//! every large message, sec2's 384-byte SRP values among them); the rest ask for 517, which
//! the sim's peripheral caps at 251 (a sec2 Command0 is still a queued write there).
//! `PROVKIT_BLE_CLIENT_ONLY=TEXT` runs the scenarios whose name contains TEXT.

use crate::interop::{TempDir, free_port, pyenv, venv_python};
use crate::process::{root, run};
use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Scenarios run at once.
const PARALLEL: usize = 3;
/// Longest one client run may take (a failed Wi-Fi connection costs it ~5 s of polling).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);
/// How long the sim may take to advertise, or to see a client leave and advertise again.
const SIM_TIMEOUT: Duration = Duration::from_secs(20);
// The built-in demo environment of `provkit sim` (crates/provkit-sim/src/demo_env.toml).
const DEMO_SSID: &str = "HomeNet";
const DEMO_PASSPHRASE: &str = "correct horse";
const CONNECTED: &str = "connected to \"HomeNet\"";

/// The ATT MTU a client run asks for.
#[derive(Clone, Copy, Debug)]
enum Mtu {
    /// No larger MTU: queued writes and long reads for nearly every message.
    Min,
    /// BlueZ's request; the sim grants 251.
    Large,
}

impl Mtu {
    fn arg(self) -> &'static str {
        match self {
            Mtu::Min => "23",
            Mtu::Large => "517",
        }
    }

    /// What the client reports after the exchange with the sim.
    fn granted(self) -> &'static str {
        match self {
            Mtu::Min => "ATT MTU 23,",
            Mtu::Large => "ATT MTU 251,",
        }
    }
}

type Scenario = fn(&Path) -> Result<(), String>;

/// `cargo xtask ble-client`: venv (bumble), build the CLI, run every scenario, print a summary.
pub fn ble_client() -> Result<(), String> {
    pyenv()?;
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
            "build",
            "-p",
            "provkit-cli",
        ]),
    )?;
    // provkit-ble's example of a PoP retried on one link (provkit's CLI opens one link per run).
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
            "build",
            "-p",
            "provkit-ble",
            "--features",
            "client",
            "--example",
            "ble_pop_retry",
        ]),
    )?;
    let provkit = provkit_binary();
    for binary in [provkit.clone(), pop_retry_binary(&provkit)] {
        if !binary.exists() {
            return Err(format!("built but {} is missing", binary.display()));
        }
    }
    let scenarios: &[(&str, Scenario)] = &[
        ("sec0, device found by service UUID", sec0_by_service),
        ("sec1 with PoP", sec1_pop),
        ("sec1 without PoP, security auto-detected", sec1_autodetect),
        ("sec1 wrong PoP then right PoP", sec1_wrong_then_right_pop),
        (
            "sec1 wrong PoP then right PoP on one link (queued writes)",
            sec1_retry_on_one_link,
        ),
        ("sec2 patch 1", sec2_patch1),
        ("sec2 patch 0", sec2_patch0),
        (
            "wrong passphrase then right one, without restart",
            wrong_then_right_passphrase,
        ),
        ("reprov after success", reprov_after_success),
        ("reset after failure", reset_after_failure),
        ("scan listing", scan_listing),
        ("custom endpoint with custom data", custom_data),
        ("device not found, controller unreachable", not_found),
    ];
    let only = std::env::var("PROVKIT_BLE_CLIENT_ONLY").ok();
    let selected: Vec<&(&str, Scenario)> = scenarios
        .iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|o| name.contains(o)))
        .collect();
    let started = Instant::now();
    // Scenarios share nothing (own controllers, ports, sim, state directory) and spend most
    // of their time waiting on the simulated radio, so a few run at once.
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                while let Some((name, scenario)) = selected.get(next.fetch_add(1, Ordering::SeqCst))
                {
                    let t = Instant::now();
                    match scenario(&provkit) {
                        Ok(()) => {
                            println!(
                                "ble-client: ok   {name} ({:.1} s)",
                                t.elapsed().as_secs_f32()
                            )
                        }
                        Err(e) => {
                            println!("ble-client: FAIL {name}: {e}");
                            if let Ok(mut failed) = failed.lock() {
                                failed.push(*name);
                            }
                        }
                    }
                }
            });
        }
    });
    let failed = failed.into_inner().unwrap_or_default();
    println!(
        "ble-client: {} scenarios in {:.1} s",
        selected.len(),
        started.elapsed().as_secs_f32()
    );
    println!(
        "ble-client: {} passed, {} failed",
        selected.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "BLE client scenarios failed: {}",
            failed.join(", ")
        ))
    }
}

/// provkit-ble's `ble_pop_retry` example, beside the `provkit` binary.
fn pop_retry_binary(provkit: &Path) -> PathBuf {
    provkit
        .with_file_name("examples")
        .join(format!("ble_pop_retry{}", std::env::consts::EXE_SUFFIX))
}

fn provkit_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    target
        .join("debug")
        .join(format!("provkit{}", std::env::consts::EXE_SUFFIX))
}

/// Whether process `pid` listens on 127.0.0.1:`port`. Connecting to find out is not an option
/// (a connection to bumble's TCP server becomes its host link), nor is any listener on the
/// port (ports are picked free, then bound a second later by another process, so a parallel
/// scenario can take one first): Linux's socket table gives the listening socket's inode,
/// which must be one of `pid`'s descriptors. Elsewhere, a probe, then time for the server to
/// drop it again.
fn listening(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        let up = TcpStream::connect(("127.0.0.1", port)).is_ok();
        if up {
            std::thread::sleep(Duration::from_millis(300));
        }
        return up;
    };
    // `sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode`; the local
    // address is 0100007F:PORT in hex, state 0A is LISTEN.
    let local = format!("0100007F:{port:04X}");
    let Some(inode) = table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"0A"))
            .then(|| fields.get(9).map(|i| format!("socket:[{i}]")))
            .flatten()
    }) else {
        return false;
    };
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|fds| {
            fds.flatten().any(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|target| target.as_os_str() == inode.as_str())
            })
        })
        .unwrap_or(false)
}

/// Two bumble virtual controllers on one LE link, an H4 stream on each port.
struct Controllers {
    child: Child,
    /// The sim's controller and the client's.
    ports: [u16; 2],
    log: PathBuf,
}

impl Controllers {
    /// Starts the pair on two free ports; picks new ones if another process took one first.
    fn start(dir: &Path) -> Result<Controllers, String> {
        let mut last = String::new();
        for _ in 0..3 {
            match Controllers::start_once(dir) {
                Ok(controllers) => return Ok(controllers),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn start_once(dir: &Path) -> Result<Controllers, String> {
        let a = free_port()?;
        let mut b = free_port()?;
        while b == a {
            b = free_port()?;
        }
        let log = dir.join("controllers.log");
        let out = std::fs::File::create(&log).map_err(|e| format!("controllers log: {e}"))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("controllers log: {e}"))?;
        let child = Command::new(venv_python())
            .args(["-m", "bumble.apps.controllers"])
            .arg(format!("tcp-server:127.0.0.1:{a}"))
            .arg(format!("tcp-server:127.0.0.1:{b}"))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting bumble's controllers: {e}"))?;
        let mut controllers = Controllers {
            child,
            ports: [a, b],
            log,
        };
        let pid = controllers.child.id();
        let deadline = Instant::now() + SIM_TIMEOUT;
        while !(listening(pid, a) && listening(pid, b)) {
            if let Ok(Some(status)) = controllers.child.try_wait() {
                return Err(format!(
                    "bumble's controllers exited ({status}): {}",
                    read(&controllers.log)
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "bumble's controllers did not listen on {a} and {b}: {}",
                    read(&controllers.log)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(controllers)
    }
}

impl Drop for Controllers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// One client run's outcome.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    fn text(&self) -> String {
        format!("stdout:\n{}stderr:\n{}", self.stdout, self.stderr)
    }

    fn expect_ok(&self, what: &str) -> Result<&Run, String> {
        if self.ok {
            Ok(self)
        } else {
            Err(format!("{what}: the client failed\n{}", self.text()))
        }
    }

    fn expect_failure(&self, what: &str) -> Result<&Run, String> {
        if self.ok {
            Err(format!(
                "{what}: the client should have failed\n{}",
                self.text()
            ))
        } else {
            Ok(self)
        }
    }

    fn expect(&self, needle: &str, what: &str) -> Result<&Run, String> {
        if self.stdout.contains(needle) || self.stderr.contains(needle) {
            Ok(self)
        } else {
            Err(format!(
                "{what}: expected `{needle}` from the client\n{}",
                self.text()
            ))
        }
    }
}

/// `provkit sim --ble` on its own pair of controllers, killed (by pid) before them on drop.
struct BleSim {
    child: Child,
    log: PathBuf,
    name: String,
    provkit: PathBuf,
    state: PathBuf,
    // Dropped after the sim (fields drop in order, after `Drop::drop`).
    controllers: Controllers,
    _dir: TempDir,
}

impl BleSim {
    /// Starts controllers and sim; again on fresh ports if a port was taken under it.
    fn start(provkit: &Path, args: &[&str]) -> Result<BleSim, String> {
        let mut last = String::new();
        for _ in 0..3 {
            match BleSim::start_once(provkit, args) {
                Ok(sim) => return Ok(sim),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn start_once(provkit: &Path, args: &[&str]) -> Result<BleSim, String> {
        let dir = TempDir::new("ble-client")?;
        let controllers = Controllers::start(&dir.path)?;
        let http = free_port()?;
        // `PROV_` + 3 hex digits: the name fits in the advertisement itself.
        let name = format!("PROV_{:03X}", http & 0xfff);
        let log = dir.path.join("sim.log");
        let state = dir.path.join("creds");
        let out = std::fs::File::create(&log).map_err(|e| format!("sim log: {e}"))?;
        let err = out.try_clone().map_err(|e| format!("sim log: {e}"))?;
        let child = Command::new(provkit)
            .args(["sim", "--json", "--http", &format!("127.0.0.1:{http}")])
            .arg("--state")
            .arg(&state)
            .arg("--ble")
            .arg(format!("hci-tcp:127.0.0.1:{}", controllers.ports[0]))
            .args(["--name", &name])
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", provkit.display()))?;
        let mut sim = BleSim {
            child,
            log,
            name,
            provkit: provkit.to_path_buf(),
            state,
            controllers,
            _dir: dir,
        };
        let deadline = Instant::now() + SIM_TIMEOUT;
        while sim.count("ble_advertising") == 0 {
            if let Ok(Some(status)) = sim.child.try_wait() {
                return Err(format!("provkit sim exited ({status}): {}", read(&sim.log)));
            }
            if Instant::now() > deadline {
                return Err(format!("provkit sim never advertised: {}", read(&sim.log)));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(sim)
    }

    /// The sim's event lines.
    fn events(&self) -> Vec<String> {
        read(&self.log)
            .lines()
            .filter(|l| l.starts_with("{\"event\":"))
            .map(str::to_string)
            .collect()
    }

    fn count(&self, event: &str) -> usize {
        let tag = format!("{{\"event\":\"{event}\"");
        self.events().iter().filter(|l| l.starts_with(&tag)).count()
    }

    fn expect_event(&self, event: &str, detail: &str) -> Result<(), String> {
        let tag = format!("{{\"event\":\"{event}\"");
        if self
            .events()
            .iter()
            .any(|l| l.starts_with(&tag) && l.contains(detail))
        {
            Ok(())
        } else {
            Err(format!(
                "the sim never reported {event} with `{detail}`; its log:\n{}",
                read(&self.log)
            ))
        }
    }

    fn expect_count(&self, event: &str, count: usize) -> Result<(), String> {
        let seen = self.count(event);
        if seen == count {
            Ok(())
        } else {
            Err(format!(
                "the sim reported {event} {seen} times, expected {count}; its log:\n{}",
                read(&self.log)
            ))
        }
    }

    /// The sim's committed credentials file, empty if none was committed.
    fn stored(&self) -> String {
        read(&self.state.join("profiles.json"))
    }

    /// Runs `provkit <command> --ble <the client's controller> --name <the sim> …`; then,
    /// if the client connected, waits until the sim has seen it leave and advertises again.
    fn client(&self, command: &str, mtu: Mtu, args: &[&str]) -> Result<Run, String> {
        self.client_with(command, mtu, &["--name", &self.name], args)
    }

    fn client_with(
        &self,
        command: &str,
        mtu: Mtu,
        target: &[&str],
        args: &[&str],
    ) -> Result<Run, String> {
        let controller = self.client_controller();
        let mut full = vec![command, "--ble", &controller, "--ble-mtu", mtu.arg()];
        full.extend_from_slice(target);
        full.extend_from_slice(args);
        self.settled(&self.provkit, &full)
    }

    /// `hci-tcp:…` of the client's controller.
    fn client_controller(&self) -> String {
        format!("hci-tcp:127.0.0.1:{}", self.controllers.ports[1])
    }

    /// Runs a client program; if it connected, waits until the sim has seen it leave and
    /// advertises again.
    fn settled(&self, program: &Path, full: &[&str]) -> Result<Run, String> {
        let connected = self.count("ble_connected");
        let advertised = self.count("ble_advertising");
        let run = run_client(program, full)?;
        if self.count("ble_connected") > connected {
            let deadline = Instant::now() + SIM_TIMEOUT;
            while self.count("ble_advertising") <= advertised
                || self.count("ble_disconnected") < self.count("ble_connected")
            {
                if Instant::now() > deadline {
                    return Err(format!(
                        "`{} {}` ended but the sim did not see the central leave and \
                         advertise again\n{}sim log:\n{}",
                        program.display(),
                        full.join(" "),
                        run.text(),
                        read(&self.log)
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(run)
    }
}

impl Drop for BleSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a client program with `args`, within [`CLIENT_TIMEOUT`] (killed by its pid past it).
fn run_client(program: &Path, args: &[&str]) -> Result<Run, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {} {args:?}: {e}", program.display()))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{} {args:?} timed out", program.display()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for {}: {e}", program.display())),
        }
    };
    Ok(Run {
        ok: status.success(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// `provkit provision` with the demo network and `security`, expected to succeed.
fn provision_ok(sim: &BleSim, mtu: Mtu, security: &[&str], what: &str) -> Result<Run, String> {
    let mut args = security.to_vec();
    args.extend(["--ssid", DEMO_SSID, "--passphrase", DEMO_PASSPHRASE]);
    let run = sim.client("provision", mtu, &args)?;
    run.expect_ok(what)?
        .expect(mtu.granted(), what)?
        .expect("session established", what)?
        .expect(CONNECTED, what)?;
    Ok(run)
}

fn sec0_by_service(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "0"])?;
    // No --name: the first device advertising the provisioning service UUID.
    let mut args = vec!["--ssid", DEMO_SSID, "--passphrase", DEMO_PASSPHRASE];
    args.extend(["--security", "0"]);
    let run = sim.client_with("provision", Mtu::Large, &[], &args)?;
    run.expect_ok("sec0")?
        .expect(&format!("connected to {} (", sim.name), "sec0")?
        .expect(
            "endpoints: prov-ctrl, prov-scan, prov-session, prov-config, proto-ver, custom-data",
            "sec0",
        )?
        .expect(CONNECTED, "sec0")?;
    sim.expect_event("cred_recv", DEMO_SSID)?;
    sim.expect_event("cred_success", "")?;
    if !sim.stored().contains(&hex(DEMO_PASSPHRASE)) {
        return Err(format!("sec0: credentials not stored: {}", sim.stored()));
    }
    Ok(())
}

fn sec1_pop(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "1", "--pop", "s3cr3t-pop"])?;
    provision_ok(
        &sim,
        Mtu::Min,
        &["--security", "1", "--pop", "s3cr3t-pop"],
        "sec1 PoP",
    )?;
    sim.expect_event("cred_success", "")
}

fn sec1_autodetect(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "1"])?;
    // No --security: the client reads proto-ver and must choose security 1 without a PoP.
    provision_ok(&sim, Mtu::Large, &[], "sec1 auto-detect")?.expect("security 1 ...", "sec1")?;
    Ok(())
}

fn sec1_wrong_then_right_pop(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "1", "--pop", "right-pop"])?;
    let wrong = sim.client(
        "provision",
        Mtu::Large,
        &[
            "--pop",
            "wrong-pop",
            "--ssid",
            DEMO_SSID,
            "--passphrase",
            DEMO_PASSPHRASE,
        ],
    )?;
    wrong.expect_failure("wrong PoP")?.expect(
        "establishing the session (wrong PoP or password?) failed",
        "wrong PoP",
    )?;
    sim.expect_event("auth_failed", "ble:")?;
    sim.expect_count("cred_recv", 0)?;
    provision_ok(
        &sim,
        Mtu::Large,
        &["--pop", "right-pop"],
        "right PoP after wrong",
    )?;
    sim.expect_count("cred_success", 1)
}

/// A client that retries the PoP without reconnecting, at MTU 23 where every session
/// message is a queued write: the refused Execute Write must not leave the device's prepare
/// queue filled for the next one.
fn sec1_retry_on_one_link(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "1", "--pop", "right-pop"])?;
    let controller = sim.client_controller();
    let args = [
        controller.as_str(),
        &sim.name,
        "wrong-pop",
        "right-pop",
        "23",
    ];
    sim.settled(&pop_retry_binary(provkit), &args)?
        .expect_ok("PoP retried on one link")?
        .expect("ATT MTU 23", "PoP retried on one link")?
        .expect("wrong PoP refused", "PoP retried on one link")?
        .expect(
            "session established on the same link",
            "PoP retried on one link",
        )?
        .expect("custom-data answered SUCCESS", "PoP retried on one link")?;
    sim.expect_count("ble_connected", 1)?;
    sim.expect_count("auth_failed", 1)?;
    sim.expect_event("custom_data", "after a retry on one link")
}

fn sec2_patch1(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "2", "--sec2-patch", "1"])?;
    let sec = [
        "--security",
        "2",
        "--username",
        "wifiprov",
        "--password",
        "abcd1234",
    ];
    provision_ok(&sim, Mtu::Min, &sec, "sec2 patch 1")?;
    sim.expect_event("cred_success", "")
}

fn sec2_patch0(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(
        provkit,
        &[
            "--security",
            "2",
            "--sec2-patch",
            "0",
            "--username",
            "alice",
            "--password",
            "pw-0",
        ],
    )?;
    let sec = [
        "--security",
        "2",
        "--username",
        "alice",
        "--password",
        "pw-0",
    ];
    // Patch 0 (one fixed GCM nonce) is refused unless allowed, before any handshake.
    let mut args = sec.to_vec();
    args.extend(["--ssid", DEMO_SSID, "--passphrase", DEMO_PASSPHRASE]);
    sim.client("provision", Mtu::Large, &args)?
        .expect_failure("sec2 patch 0 without --allow-sec2-patch0")?
        .expect("patch 0", "sec2 patch 0 refused")?;
    let mut allowed = sec.to_vec();
    allowed.push("--allow-sec2-patch0");
    provision_ok(&sim, Mtu::Large, &allowed, "sec2 patch 0")?;
    sim.expect_event("cred_success", "")
}

fn wrong_then_right_passphrase(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "1", "--pop", "pop"])?;
    let wrong = sim.client(
        "provision",
        Mtu::Min,
        &[
            "--pop",
            "pop",
            "--ssid",
            DEMO_SSID,
            "--passphrase",
            "not the passphrase",
        ],
    )?;
    wrong
        .expect_failure("wrong passphrase")?
        .expect("Wi-Fi connection failed: AuthError", "wrong passphrase")?;
    sim.expect_event("cred_fail", "auth_failed")?;
    sim.expect_count("cred_success", 0)?;
    if !sim.stored().is_empty() {
        return Err(format!(
            "credentials were committed after a failed connection: {}",
            sim.stored()
        ));
    }
    // The same device, not restarted and not reset, takes the right passphrase.
    provision_ok(
        &sim,
        Mtu::Min,
        &["--pop", "pop"],
        "right passphrase after wrong",
    )?;
    sim.expect_count("cred_success", 1)?;
    let stored = sim.stored();
    if !stored.contains(&hex(DEMO_PASSPHRASE)) || stored.contains(&hex("not the passphrase")) {
        return Err(format!(
            "stored credentials are not the right ones: {stored}"
        ));
    }
    Ok(())
}

fn reprov_after_success(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "0"])?;
    provision_ok(&sim, Mtu::Large, &[], "first provisioning")?;
    sim.client("reprov", Mtu::Large, &[])?
        .expect_ok("reprov")?
        .expect("reprov: the device forgot its network", "reprov")?;
    provision_ok(&sim, Mtu::Large, &[], "provisioning after reprov")?;
    sim.expect_count("cred_success", 2)
}

fn reset_after_failure(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "0"])?;
    sim.client(
        "provision",
        Mtu::Large,
        &["--ssid", "NoSuchNetwork", "--passphrase", "whatever1"],
    )?
    .expect_failure("absent SSID")?
    .expect("Wi-Fi connection failed: NetworkNotFound", "absent SSID")?;
    sim.expect_event("cred_fail", "network_not_found")?;
    sim.client("reset", Mtu::Large, &[])?
        .expect_ok("reset")?
        .expect("reset: the device accepts credentials again", "reset")?;
    provision_ok(&sim, Mtu::Large, &[], "provisioning after reset")?;
    sim.expect_count("cred_success", 1)
}

fn scan_listing(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "0"])?;
    let run = sim.client("scan", Mtu::Min, &[])?;
    run.expect_ok("scan")?.expect(Mtu::Min.granted(), "scan")?;
    // The demo environment's visible APs, strongest first; hidden ones never listed.
    let mut last = 0;
    for ssid in ["HomeNet", "CoffeeShop", "Neighbour-5G", "NoDhcp", "FlakyAP"] {
        let at = run
            .stdout
            .find(&format!(" {ssid} "))
            .ok_or_else(|| format!("scan: `{ssid}` missing\n{}", run.text()))?;
        if at < last {
            return Err(format!("scan: `{ssid}` out of RSSI order\n{}", run.text()));
        }
        last = at;
    }
    if run.stdout.contains("HiddenLab") {
        return Err(format!("scan lists a hidden network\n{}", run.text()));
    }
    Ok(())
}

fn custom_data(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "1", "--pop", "pop"])?;
    provision_ok(
        &sim,
        Mtu::Min,
        &[
            "--pop",
            "pop",
            "--custom-data",
            "hello from provkit over BLE",
        ],
        "custom data",
    )?
    .expect("custom-data answered: \"SUCCESS\"", "custom data")?;
    sim.expect_event("custom_data", "hello from provkit over BLE")
}

fn not_found(provkit: &Path) -> Result<(), String> {
    let sim = BleSim::start(provkit, &["--security", "0"])?;
    let started = Instant::now();
    sim.client_with(
        "provision",
        Mtu::Large,
        &["--name", "PROV_NOT", "--ble-timeout", "1"],
        &["--ssid", DEMO_SSID],
    )?
    .expect_failure("absent device")?
    .expect(
        "no BLE device named \"PROV_NOT\" advertised within 1 s of scanning",
        "absent device",
    )?;
    if started.elapsed() > Duration::from_secs(10) {
        return Err(format!(
            "looking for an absent device took {:.1} s",
            started.elapsed().as_secs_f32()
        ));
    }
    sim.expect_count("ble_connected", 0)?;
    // The sim is still there for others: a client that names it connects.
    provision_ok(&sim, Mtu::Large, &[], "provisioning after a failed search")?;
    // Nothing listens on a port just found free.
    let closed = format!("hci-tcp:127.0.0.1:{}", free_port()?);
    let run = run_client(provkit, &["scan", "--ble", &closed])?;
    run.expect_failure("unreachable controller")?.expect(
        &format!("cannot reach the HCI controller {closed}"),
        "unreachable",
    )?;
    Ok(())
}
