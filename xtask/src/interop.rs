//! Interop against Espressif's own provisioning client.
//!
//! `cargo xtask pyenv` builds `.venv/` in the workspace root with `esp_prov` (shipped on PyPI
//! inside `esp-rainmaker-cli`, module `rmaker_tools.rmaker_local_ctrl.esp_prov`).
//! [`interop`] (the step `cargo xtask test` calls) spawns `provkit sim` on free loopback ports
//! and drives it with that client, one scenario at a time: every scenario over HTTP (esp_prov's
//! `softap` transport), then the same scenarios over BLE (its `ble` transport).
//!
//! BLE runs on loopback too: each BLE scenario starts two fresh linked bumble virtual
//! controllers (`tests/interop/ble/linked_controllers.py`; fresh because bumble's HCI_Reset
//! keeps connections), the sim advertises through one (`--ble hci-tcp:…`), and esp_prov's BLE
//! transport runs unchanged through `tests/interop/ble/bleak/`, a bleak stand-in on bumble's
//! host stack, over the other. Half of the BLE scenarios keep the ATT MTU at 23 so long writes
//! and long reads carry every large message; the rest exchange MTU 517 as BlueZ does.
//! `PROVKIT_INTEROP_LOGS=DIR` keeps each BLE run's bumble debug log and btsnoop capture.
//!
//! Its last scenario is the sec2 conventions sweep
//! (`crates/provkit-client/examples/sec2_sweep.rs`, release build): 200+ credential pairs
//! through esp_prov's `Security2`, driven in-process from one Python process
//! (`tests/interop/esp_prov_sec2_peer.py`), and through provkit's client in every convention,
//! against provkit's device.
//!
//! Facts about the client that shape the checks below (esp-rainmaker-cli 1.14.1):
//! * it exits 0 on most failures (errors are caught and printed), so every scenario judges the
//!   client by its printed banners, not by its exit status;
//! * without `--ssid` it scans and reads the AP choice from stdin (`Select AP by number`);
//! * it polls `GetStatus` every 5 s and gives up after 3 non-`connecting` answers, printing the
//!   failure reason (`Incorrect Password` / `Incorrect SSID`).

use crate::process::{root, run};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What the venv holds; the stamp file records it so a re-run skips the install.
/// `future` is not in the list but esp-rainmaker-cli 1.14.1's `rmaker_prov.prov`
/// (which esp_prov imports) needs `future.utils`; without it the client cannot start.
/// `bumble` (Python 3.11+) runs the virtual BLE controllers and the host stack behind the
/// bleak stand-in (`tests/interop/ble/bleak/`); pinned, because that stand-in uses its GATT
/// client directly and bumble's 0.0.x API moves.
const PY_PACKAGES: &[&str] = &[
    // Pinned: the vectors check compares esp_prov's printed output byte for byte, and a new
    // protobuf or cryptography release could change it without any vector being wrong.
    "cryptography==51.0.1",
    "protobuf==7.36.2",
    "requests==2.34.2",
    "bleak==3.1.0",
    "future==1.0.0",
    "bumble==0.0.236",
];
const ESP_CLI: &str = "esp-rainmaker-cli==1.14.1";
const STAMP: &str = ".provkit-pyenv";
const ESP_PROV_MODULE: &str = "rmaker_tools.rmaker_local_ctrl.esp_prov";
/// Runs [`ESP_PROV_MODULE`] with its HTTP transport made awaitable (1.14.1 awaits a plain
/// function on every exchange; see the script's docstring).
const ESP_PROV_WRAPPER: &str = "tests/interop/run_esp_prov.py";
/// esp_prov's `Security2` as a line-oriented peer for the sec2 conventions sweep.
const ESP_PROV_SEC2_PEER: &str = "tests/interop/esp_prov_sec2_peer.py";
/// Generated credential pairs of the sweep (the vectors' pairs and a dozen found to have an
/// inner hash starting with zero come on top).
const SWEEP_PAIRS: &str = "200";

/// Longest a single esp_prov run may take (a failed connection costs it ~20 s of polling).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

/// The bleak stand-in's directory, put first on esp_prov's `PYTHONPATH` for BLE runs.
const BLEAK_SHIM_DIR: &str = "tests/interop/ble";
/// Starts two linked bumble controllers and prints their H4 ports.
const CONTROLLERS_SCRIPT: &str = "tests/interop/ble/linked_controllers.py";
/// The bleak stand-in's own test against a bumble peripheral of ESP-IDF's layout.
const SHIM_SELFTEST: &str = "tests/interop/ble/shim_selftest.py";
/// A central that connects and sends nothing (the BLE idle-link scenario).
const SILENT_CENTRAL: &str = "tests/interop/ble/silent_central.py";
/// How long the stand-in scans per esp_prov run (bleak's default is 5 s); the sim advertises
/// far more often than that.
const BLE_SCAN_SECONDS: &str = "1.0";

fn venv_dir() -> PathBuf {
    root().join(".venv")
}

pub(crate) fn venv_python() -> PathBuf {
    if cfg!(windows) {
        venv_dir().join("Scripts").join("python.exe")
    } else {
        venv_dir().join("bin").join("python")
    }
}

fn stamp_text() -> String {
    format!("{ESP_CLI} --no-deps; {}\n", PY_PACKAGES.join(" "))
}

/// `cargo xtask pyenv`: create `.venv` with Espressif's client, once.
pub fn pyenv() -> Result<(), String> {
    let stamp = venv_dir().join(STAMP);
    if venv_python().exists() && std::fs::read_to_string(&stamp).ok() == Some(stamp_text()) {
        println!("pyenv: {} is up to date", venv_dir().display());
        return Ok(());
    }
    let python = find_python()?;
    run(Command::new(&python).args(["-m", "venv"]).arg(venv_dir()))?;
    let py = venv_python();
    run(Command::new(&py)
        .args(["-m", "pip", "install", "--quiet", "--no-deps"])
        .arg(ESP_CLI))?;
    run(Command::new(&py)
        .args(["-m", "pip", "install", "--quiet"])
        .args(PY_PACKAGES))?;
    // Prove the client imports before declaring the venv ready (outside the workspace root,
    // whose `proto/` directory would shadow esp_prov's `proto` module).
    let status = Command::new(&py)
        .args(["-m", ESP_PROV_MODULE, "--help"])
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("running {}: {e}", py.display()))?;
    if !status.success() {
        return Err(format!(
            "esp_prov does not start in {} ({status})",
            venv_dir().display()
        ));
    }
    let status = Command::new(&py)
        .args(["-c", "import bumble.controller, bumble.device, bumble.link"])
        .status()
        .map_err(|e| format!("running {}: {e}", py.display()))?;
    if !status.success() {
        return Err(format!(
            "bumble does not import in {} ({status})",
            venv_dir().display()
        ));
    }
    std::fs::write(&stamp, stamp_text())
        .map_err(|e| format!("writing {}: {e}", stamp.display()))?;
    println!("pyenv: ready at {}", venv_dir().display());
    Ok(())
}

/// The interpreter that builds the venv; its absence is a hard, loud failure (never a skip).
fn find_python() -> Result<String, String> {
    for candidate in ["python3", "python"] {
        let ok = Command::new(candidate)
            .args(["-c", "import sys; sys.exit(sys.version_info < (3, 11))"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            return Ok(candidate.to_string());
        }
    }
    Err(
        "INTEROP FAILED: Python 3.11 or newer is not installed (no such `python3` or `python` on \
         PATH), and the interop tests against Espressif's esp_prov and bumble's BLE controllers \
         need it; install Python 3.11+ with venv support"
            .to_string(),
    )
}

/// How esp_prov reaches the sim in one scenario run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    /// `--transport softap` to the sim's `--http` listener.
    Http,
    /// `--transport ble` through the bleak stand-in and two fresh linked bumble controllers;
    /// `mtu` is the ATT MTU the central requests (23: no exchange, so long writes and reads).
    Ble { mtu: u16 },
}

impl Transport {
    fn label(self) -> String {
        match self {
            Transport::Http => String::new(),
            Transport::Ble { mtu: 23 } => "ble (MTU 23): ".into(),
            Transport::Ble { mtu } => format!("ble (asks MTU {mtu}): "),
        }
    }
}

/// One interop scenario: gets the `provkit` binary and the transport, spawns its own sims.
type Scenario = fn(&Path, Transport) -> Result<(), String>;

/// Scenarios that run over HTTP only: the transcript was recorded over HTTP, and its
/// comparison is line for line.
const HTTP_ONLY: &[&str] = &[
    "recorded transcript sec0_auto (esp_prov's output as recorded)",
    // The sweep drives esp_prov's Security2 class in-process against devices of its own: no
    // transport of esp_prov's is involved, so running it twice would test nothing new.
    SWEEP,
];
const SWEEP: &str =
    "sec2 conventions sweep (esp_prov's Security2 and provkit's client, 200+ pairs)";

/// The ATT MTU each BLE scenario's central asks for: 23 (no exchange) where messages are
/// largest (sec2's 384-byte SRP values, scan results, custom data) so long writes and long
/// reads are exercised, 517 (BlueZ's request) elsewhere -- what the sim grants is its own
/// choice (251 with TrouBLE's packet pool, so sec2's 384-byte values are long writes there too).
fn ble_mtu(name: &str) -> u16 {
    const AT_23: &[&str] = &[
        "sec1 with PoP",
        "sec2 patch 1",
        "wrong passphrase then right one",
        "scan listing",
        "custom endpoint with custom data",
    ];
    if AT_23.contains(&name) { 23 } else { 517 }
}

/// The step for `cargo xtask test`: venv, build the sim, run every scenario, print a summary.
pub fn interop() -> Result<(), String> {
    pyenv()?;
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
            "build",
            "-p",
            "provkit-cli",
        ]),
    )?;
    let provkit = provkit_binary();
    if !provkit.exists() {
        return Err(format!(
            "built provkit-cli but {} is missing",
            provkit.display()
        ));
    }
    let scenarios: &[(&str, Scenario)] = &[
        ("sec0", scenario_sec0),
        ("sec1 with PoP", scenario_sec1_pop),
        (
            "sec1 without PoP, security auto-detected",
            scenario_sec1_no_pop_autodetect,
        ),
        (
            "sec1 wrong PoP then right PoP",
            scenario_sec1_wrong_then_right_pop,
        ),
        ("sec2 patch 1", scenario_sec2_patch1),
        ("sec2 patch 0", scenario_sec2_patch0),
        (
            "wrong passphrase then right one",
            scenario_wrong_then_right_passphrase,
        ),
        ("reprov after success", scenario_reprov_after_success),
        ("reset after failure", scenario_reset_after_failure),
        ("scan listing", scenario_scan_listing),
        ("custom endpoint with custom data", scenario_custom_data),
        (
            "recorded transcript sec0_auto (esp_prov's output as recorded)",
            scenario_transcript_sec0_auto,
        ),
        (SWEEP, scenario_sec2_conventions_sweep),
    ];
    // (name as printed, transport, scenario): every scenario over HTTP, then the bleak
    // stand-in's self-test, then every scenario that is not HTTP-specific over BLE.
    let mut runs: Vec<(String, Transport, Scenario)> = Vec::new();
    for (name, scenario) in scenarios {
        runs.push((name.to_string(), Transport::Http, *scenario));
    }
    runs.push((
        "ble: bleak stand-in self-test (ESP-layout bumble peripheral, MTU 517/23, exit paths)"
            .into(),
        Transport::Ble { mtu: 23 },
        scenario_ble_shim_selftest,
    ));
    for (name, scenario) in scenarios {
        if !HTTP_ONLY.contains(name) {
            let transport = Transport::Ble { mtu: ble_mtu(name) };
            runs.push((format!("{}{name}", transport.label()), transport, *scenario));
        }
    }
    runs.push((
        "ble: a central that connects and stays silent is dropped, then esp_prov provisions".into(),
        Transport::Ble { mtu: 517 },
        scenario_ble_silent_central_is_dropped,
    ));
    let only: Option<String> = std::env::var("PROVKIT_INTEROP_ONLY").ok();
    let (mut passed, mut failed) = (0usize, Vec::new());
    let mut ble_time = Duration::ZERO;
    for (full, transport, scenario) in &runs {
        if only.as_deref().is_some_and(|o| !full.contains(o)) {
            continue;
        }
        let started = Instant::now();
        let result = scenario(&provkit, *transport);
        let took = started.elapsed();
        if *transport != Transport::Http {
            ble_time += took;
        }
        match result {
            Ok(()) => {
                passed += 1;
                println!("interop: ok   {full} ({:.1} s)", took.as_secs_f32());
            }
            Err(e) => {
                println!("interop: FAIL {full}: {e}");
                failed.push(full.clone());
            }
        }
    }
    println!(
        "interop: BLE scenarios took {:.1} s in total",
        ble_time.as_secs_f32()
    );
    println!("interop: {passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("interop scenarios failed: {}", failed.join(", ")))
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn provkit_binary() -> PathBuf {
    let target = target_dir();
    let exe = if cfg!(windows) {
        "provkit.exe"
    } else {
        "provkit"
    };
    target.join("debug").join(exe)
}

/// Two bumble virtual controllers on one simulated LE link, each an H4 stream on its own
/// loopback port; the process is killed (by its own pid) when dropped, and also exits by
/// itself when its standard input (held here) closes, so it never outlives xtask.
struct LinkedControllers {
    child: Child,
    /// The sim's controller (the peripheral) and esp_prov's (the central).
    peripheral_port: u16,
    central_port: u16,
    log: PathBuf,
}

impl LinkedControllers {
    fn start(dir: &Path) -> Result<LinkedControllers, String> {
        let log = dir.join("controllers.log");
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("creating controllers log: {e}"))?;
        let mut child = Command::new(venv_python())
            .arg("-u")
            .arg(root().join(CONTROLLERS_SCRIPT))
            .arg("--until-stdin-closes")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("starting the bumble controllers: {e}"))?;
        // The script prints `{"event": "controllers_ready", "ports": [A, B]}` once both listen.
        let stdout = child.stdout.take().ok_or("controllers without stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
            let _ = tx.send(line);
        });
        let mut controllers = LinkedControllers {
            child,
            peripheral_port: 0,
            central_port: 0,
            log,
        };
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| "the bumble controllers did not start within 30 s".to_string())?;
        let ports: Vec<u16> = line
            .split_once('[')
            .and_then(|(_, rest)| rest.split_once(']'))
            .map(|(list, _)| {
                list.split(',')
                    .filter_map(|p| p.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        match ports[..] {
            [a, b] => {
                controllers.peripheral_port = a;
                controllers.central_port = b;
                Ok(controllers)
            }
            _ => Err(format!(
                "the bumble controllers did not report two ports (got `{}`): {}",
                line.trim(),
                std::fs::read_to_string(&controllers.log).unwrap_or_default()
            )),
        }
    }
}

impl Drop for LinkedControllers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `provkit sim` on a free loopback port (and, for BLE, advertising through its own
/// pair of controllers); killed (by its own pid) when dropped, before its controllers.
struct Sim {
    child: Child,
    port: u16,
    log: PathBuf,
    transport: Transport,
    /// The advertised name esp_prov looks for (BLE only).
    ble_name: String,
    /// esp_prov runs so far, numbering the kept BLE logs.
    runs: std::cell::Cell<u32>,
    controllers: Option<LinkedControllers>,
    _state: TempDir,
}

impl Sim {
    fn start(provkit: &Path, transport: Transport, args: &[&str]) -> Result<Sim, String> {
        let port = free_port()?;
        let state = TempDir::new("sim")?;
        let log = state.path.join("sim.log");
        let log_file = std::fs::File::create(&log).map_err(|e| format!("creating sim log: {e}"))?;
        let err_file = log_file.try_clone().map_err(|e| format!("sim log: {e}"))?;
        let addr = format!("127.0.0.1:{port}");
        let mut command = Command::new(provkit);
        command
            .args(["sim", "--json", "--http", &addr, "--state"])
            .arg(state.path.join("creds"))
            .args(args);
        // BLE: the sim's default name (`PROV_` + 3 hex digits, so flags, the 128-bit UUID and
        // the name fit in the legacy advertisement), read back from its `listening` event.
        let controllers = match transport {
            Transport::Http => None,
            Transport::Ble { .. } => {
                let controllers = LinkedControllers::start(&state.path)?;
                command
                    .arg("--ble")
                    .arg(format!("hci-tcp:127.0.0.1:{}", controllers.peripheral_port));
                Some(controllers)
            }
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(err_file)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", provkit.display()))?;
        let mut sim = Sim {
            child,
            port,
            log,
            transport,
            ble_name: String::new(),
            runs: std::cell::Cell::new(0),
            controllers,
            _state: state,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let listening = TcpStream::connect(("127.0.0.1", port)).is_ok();
            let log = sim.log_text();
            let advertising =
                sim.controllers.is_none() || log.contains("\"event\":\"ble_advertising\"");
            if listening && advertising {
                if sim.controllers.is_some() {
                    sim.ble_name = listening_name(&log).ok_or_else(|| {
                        format!("provkit sim reported no name in its listening event: {log}")
                    })?;
                }
                return Ok(sim);
            }
            if let Ok(Some(status)) = sim.child.try_wait() {
                return Err(format!("provkit sim exited early ({status}): {log}"));
            }
            if Instant::now() > deadline {
                let what = if listening {
                    "report ble_advertising"
                } else {
                    "listen"
                };
                return Err(format!("provkit sim did not {what} on {addr}: {log}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The client's command: the wrapper, its transport arguments, and for BLE the bleak
    /// stand-in on `PYTHONPATH` with the central's controller and settings.
    fn client_command(&self) -> Command {
        let mut command = Command::new(venv_python());
        command.arg("-u").arg(root().join(ESP_PROV_WRAPPER));
        match self.transport {
            Transport::Http => {
                command
                    .args(["--transport", "softap", "--service_name"])
                    .arg(format!("127.0.0.1:{}", self.port));
            }
            Transport::Ble { mtu } => {
                let run = self.runs.get() + 1;
                self.runs.set(run);
                let central_port = self.controllers.as_ref().map_or(0, |c| c.central_port);
                command
                    .args(["--transport", "ble", "--service_name", &self.ble_name])
                    .env("PYTHONPATH", root().join(BLEAK_SHIM_DIR))
                    .env(
                        "PROVKIT_BLE_HCI",
                        format!("hci-tcp:127.0.0.1:{central_port}"),
                    )
                    .env("PROVKIT_BLE_MTU", mtu.to_string())
                    .env("PROVKIT_BLE_SCAN_SECONDS", BLE_SCAN_SECONDS);
                if let Some(dir) = kept_logs_dir() {
                    let stem = format!("{}-run{run}", self.ble_name);
                    command
                        .env("PROVKIT_BLE_LOG", dir.join(format!("{stem}.log")))
                        .env("PROVKIT_BLE_SNOOP", dir.join(format!("{stem}.btsnoop")));
                }
            }
        }
        command
    }

    /// Runs esp_prov against this sim with `args` and `stdin`; returns its stdout+stderr.
    fn esp_prov(&self, args: &[&str], stdin: &str) -> Result<String, String> {
        let mut child = self
            .client_command()
            // esp_prov imports a top-level `proto` module; the workspace's `proto/` directory
            // would shadow it if it were the working directory.
            .current_dir(&self._state.path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting esp_prov: {e}"))?;
        if let Some(mut input) = child.stdin.take() {
            // A closed pipe only means the client did not read it; its output says what happened.
            let _ = input.write_all(stdin.as_bytes());
        }
        let mut out_pipe = child.stdout.take();
        let mut err_pipe = child.stderr.take();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(p) = out_pipe.as_mut() {
                let _ = p.read_to_string(&mut text);
            }
            text
        });
        let err_reader = std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(p) = err_pipe.as_mut() {
                let _ = p.read_to_string(&mut text);
            }
            text
        });
        let deadline = Instant::now() + CLIENT_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("esp_prov {args:?} timed out"));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(100)),
                Err(e) => return Err(format!("waiting for esp_prov: {e}")),
            }
        }
        let out = reader.join().unwrap_or_default();
        let err = err_reader.join().unwrap_or_default();
        Ok(format!("{out}{err}"))
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let (Some(dir), Some(_)) = (kept_logs_dir(), &self.controllers) {
            let _ = std::fs::copy(&self.log, dir.join(format!("{}-sim.log", self.ble_name)));
        }
    }
}

/// The `name` of the sim's `{"event":"listening",…,"name":"…"}` line (names are plain ASCII
/// here: `PROV_` and hex digits).
fn listening_name(log: &str) -> Option<String> {
    let line = log
        .lines()
        .find(|l| l.contains("\"event\":\"listening\""))?;
    let (_, rest) = line.split_once("\"name\":\"")?;
    let (name, _) = rest.split_once('"')?;
    Some(name.to_string())
}

/// `PROVKIT_INTEROP_LOGS=DIR`: where BLE runs keep the central's bumble debug log, its btsnoop
/// capture and the sim's log (nothing is kept otherwise).
fn kept_logs_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("PROVKIT_INTEROP_LOGS")?);
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// A scratch directory removed on drop (xtask keeps no dev-dependency on tempfile).
pub(crate) struct TempDir {
    pub(crate) path: PathBuf,
}

impl TempDir {
    pub(crate) fn new(tag: &str) -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "provkit-interop-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

pub(crate) fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

// The built-in demo environment of `provkit sim` (crates/provkit-sim/src/demo_env.toml).
const DEMO_SSID: &str = "HomeNet";
const DEMO_PASSPHRASE: &str = "correct horse";
const SUCCESS: &str = "==== Provisioning was successful ====";
const SESSION_OK: &str = "==== Session Established ====";

fn expect(output: &str, needle: &str, what: &str) -> Result<(), String> {
    if output.contains(needle) {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected `{needle}` in esp_prov output:\n{output}"
        ))
    }
}

fn expect_not(output: &str, needle: &str, what: &str) -> Result<(), String> {
    if output.contains(needle) {
        Err(format!(
            "{what}: unexpected `{needle}` in esp_prov output:\n{output}"
        ))
    } else {
        Ok(())
    }
}

fn provision_ok(sim: &Sim, security: &[&str], what: &str) -> Result<String, String> {
    let mut args = security.to_vec();
    args.extend(["--ssid", DEMO_SSID, "--passphrase", DEMO_PASSPHRASE]);
    let out = sim.esp_prov(&args, "")?;
    expect(&out, SESSION_OK, what)?;
    expect(&out, SUCCESS, what)?;
    Ok(out)
}

/// The sim's `--json` event lines, checked for one with this event name (and substring).
fn expect_event(sim: &Sim, event: &str, detail: &str) -> Result<(), String> {
    let log = sim.log_text();
    let tag = format!("\"event\":\"{event}\"");
    if log.lines().any(|l| l.contains(&tag) && l.contains(detail)) {
        Ok(())
    } else {
        Err(format!(
            "sim never reported event {event} with `{detail}`; sim log:\n{log}"
        ))
    }
}

fn scenario_sec0(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(provkit, tp, &["--security", "0"])?;
    provision_ok(&sim, &["--sec_ver", "0"], "sec0")?;
    expect_event(&sim, "cred_recv", DEMO_SSID)?;
    expect_event(&sim, "cred_success", "")
}

fn scenario_sec1_pop(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(provkit, tp, &["--security", "1", "--pop", "s3cr3t-pop"])?;
    provision_ok(&sim, &["--sec_ver", "1", "--pop", "s3cr3t-pop"], "sec1 PoP")?;
    expect_event(&sim, "cred_success", "")
}

fn scenario_sec1_no_pop_autodetect(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(provkit, tp, &["--security", "1"])?;
    // No --sec_ver: esp_prov reads proto-ver capabilities and must choose security 1, no PoP.
    let out = provision_ok(&sim, &[], "sec1 auto-detect")?;
    expect(&out, "==== Security Scheme: 1 ====", "sec1 auto-detect")
}

fn scenario_sec1_wrong_then_right_pop(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(provkit, tp, &["--security", "1", "--pop", "right-pop"])?;
    let args = [
        "--sec_ver",
        "1",
        "--pop",
        "wrong-pop",
        "--ssid",
        DEMO_SSID,
        "--passphrase",
        DEMO_PASSPHRASE,
    ];
    let out = sim.esp_prov(&args, "")?;
    match tp {
        // No response to the failed proof: esp_http_server closes the socket, which esp_prov's
        // HTTP transport reports as a RuntimeError it handles.
        Transport::Http => expect(&out, "Failed to establish session", "wrong PoP")?,
        // Over BLE "no response" is a dropped link (Bluedroid) or an ATT error on the write
        // (NimBLE); either way bleak raises BleakError, which esp_prov 1.14.1 does not catch:
        // it ends with that traceback and a non-zero exit.
        Transport::Ble { .. } => expect(&out, "bleak.exc.BleakError", "wrong PoP over BLE")?,
    }
    expect_not(&out, SESSION_OK, "wrong PoP")?;
    expect_not(&out, SUCCESS, "wrong PoP")?;
    provision_ok(
        &sim,
        &["--sec_ver", "1", "--pop", "right-pop"],
        "right PoP after wrong",
    )?;
    Ok(())
}

fn scenario_sec2_patch1(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(provkit, tp, &["--security", "2", "--sec2-patch", "1"])?;
    let sec = [
        "--sec_ver",
        "2",
        "--sec2_username",
        "wifiprov",
        "--sec2_pwd",
        "abcd1234",
    ];
    provision_ok(&sim, &sec, "sec2 patch 1")?;
    Ok(())
}

fn scenario_sec2_patch0(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(
        provkit,
        tp,
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
        "--sec_ver",
        "2",
        "--sec2_username",
        "alice",
        "--sec2_pwd",
        "pw-0",
    ];
    provision_ok(&sim, &sec, "sec2 patch 0")?;
    Ok(())
}

fn scenario_wrong_then_right_passphrase(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(provkit, tp, &["--security", "1", "--pop", "pop"])?;
    let sec = ["--sec_ver", "1", "--pop", "pop"];
    let mut wrong = sec.to_vec();
    wrong.extend(["--ssid", DEMO_SSID, "--passphrase", "not the passphrase"]);
    let out = sim.esp_prov(&wrong, "")?;
    expect(
        &out,
        "---- Failure reason: Incorrect Password ----",
        "wrong passphrase",
    )?;
    expect(&out, "---- Provisioning failed! ----", "wrong passphrase")?;
    expect_event(&sim, "cred_fail", "auth")?;
    // The device sits in FAIL; the reference flow resets it over prov-ctrl, then retries.
    let mut reset = sec.to_vec();
    reset.push("--reset");
    let out = sim.esp_prov(&reset, "")?;
    expect_not(&out, "CtrlReset failed", "reset before retry")?;
    provision_ok(&sim, &sec, "right passphrase after wrong")?;
    Ok(())
}

fn scenario_reprov_after_success(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(provkit, tp, &["--security", "0"])?;
    provision_ok(&sim, &["--sec_ver", "0"], "first provisioning")?;
    let out = sim.esp_prov(&["--sec_ver", "0", "--reprov"], "")?;
    expect(&out, "==== Reprovisioning WiFi====", "reprov")?;
    expect_not(&out, "CtrlReprov failed", "reprov")?;
    provision_ok(&sim, &["--sec_ver", "0"], "provisioning after reprov")?;
    Ok(())
}

fn scenario_reset_after_failure(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(provkit, tp, &["--security", "0"])?;
    let out = sim.esp_prov(
        &[
            "--sec_ver",
            "0",
            "--ssid",
            "NoSuchNetwork",
            "--passphrase",
            "whatever1",
        ],
        "",
    )?;
    expect(
        &out,
        "---- Failure reason: Incorrect SSID ----",
        "absent SSID",
    )?;
    expect_event(&sim, "cred_fail", "network_not_found")?;
    let out = sim.esp_prov(&["--sec_ver", "0", "--reset"], "")?;
    expect(&out, "==== Resetting WiFi====", "reset")?;
    expect_not(&out, "CtrlReset failed", "reset after failure")?;
    // Back in STARTED: the same sim accepts and applies new credentials.
    provision_ok(&sim, &["--sec_ver", "0"], "provisioning after reset")?;
    Ok(())
}

fn scenario_scan_listing(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(provkit, tp, &["--security", "0"])?;
    // No --ssid: esp_prov scans, prints the list and reads the choice from stdin.
    let out = sim.esp_prov(&["--sec_ver", "0", "--passphrase", DEMO_PASSPHRASE], "1\n")?;
    expect(&out, "==== Wi-Fi Scan results ====", "scan")?;
    // The demo environment's visible APs, strongest first (hidden ones never listed).
    let order = ["HomeNet", "CoffeeShop", "Neighbour-5G"];
    let mut last = 0;
    for ssid in order {
        let pos = out
            .find(&format!("] {ssid}"))
            .ok_or_else(|| format!("scan: `{ssid}` missing from the list:\n{out}"))?;
        if pos < last {
            return Err(format!("scan: `{ssid}` out of rssi order:\n{out}"));
        }
        last = pos;
    }
    expect_not(&out, "HiddenLab", "scan lists a hidden network")?;
    // Entry 1 is the strongest AP, which the demo passphrase opens.
    expect(&out, SUCCESS, "scan then provision")
}

fn scenario_custom_data(provkit: &Path, tp: Transport) -> Result<(), String> {
    let sim = Sim::start(provkit, tp, &["--security", "1", "--pop", "pop"])?;
    let out = provision_ok(
        &sim,
        &[
            "--sec_ver",
            "1",
            "--pop",
            "pop",
            "--custom_data",
            "hello from esp_prov",
        ],
        "custom data",
    )?;
    expect(
        &out,
        "==== Custom data sent successfully ====",
        "custom data",
    )?;
    expect(
        &out,
        "++++ CustomData response: b'SUCCESS'",
        "custom data reply",
    )?;
    expect_event(&sim, "custom_data", "hello from esp_prov")
}

/// The bleak stand-in against a bumble peripheral of ESP-IDF's GATT layout, no provkit
/// involved: long writes and reads at MTU 23, single PDUs at 517, a link the peripheral drops,
/// centrals that exit while connected (see the script's docstring).
fn scenario_ble_shim_selftest(_provkit: &Path, _tp: Transport) -> Result<(), String> {
    let dir = TempDir::new("ble-shim")?;
    let out = Command::new(venv_python())
        .arg("-u")
        .arg(root().join(SHIM_SELFTEST))
        .current_dir(&dir.path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("starting {SHIM_SELFTEST}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && text.contains(" passed, 0 failed") {
        Ok(())
    } else {
        Err(format!("{SHIM_SELFTEST} failed ({}):\n{text}", out.status))
    }
}

/// A central that connects and sends nothing would hold the peripheral's one connection (and
/// stop its advertising) for ever; the sim drops it after `--ble-idle-timeout-ms` and
/// advertises again, so esp_prov then finds and provisions the device.
fn scenario_ble_silent_central_is_dropped(provkit: &Path, tp: Transport) -> Result<(), String> {
    // Longer than esp_prov's own silences (it sleeps 5 s between status polls), which a
    // shorter timeout would cut: the default is 60 s for the same reason (a user typing a PoP).
    const IDLE_MS: u64 = 8_000;
    let idle = IDLE_MS.to_string();
    let sim = Sim::start(
        provkit,
        tp,
        &[
            "--security",
            "1",
            "--pop",
            "pop",
            "--ble-idle-timeout-ms",
            &idle,
        ],
    )?;
    let central_port = sim.controllers.as_ref().map_or(0, |c| c.central_port);
    let out = Command::new(venv_python())
        .arg("-u")
        .arg(root().join(SILENT_CENTRAL))
        .args([sim.ble_name.as_str(), "30"])
        .env(
            "PROVKIT_BLE_HCI",
            format!("hci-tcp:127.0.0.1:{central_port}"),
        )
        .current_dir(&sim._state.path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("starting {SILENT_CENTRAL}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let after_s: f64 = text
        .lines()
        .find_map(|l| l.split_once("\"event\": \"dropped\", \"after_s\": "))
        .and_then(|(_, rest)| rest.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| {
            format!(
                "the silent central was not dropped: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    // Dropped at the idle timeout, not before (the link itself was fine) and not much later.
    let idle_s = IDLE_MS as f64 / 1000.0;
    if !(idle_s - 0.5..idle_s + 10.0).contains(&after_s) {
        return Err(format!(
            "silent central dropped after {after_s} s, idle timeout {idle_s} s"
        ));
    }
    provision_ok(
        &sim,
        &["--sec_ver", "1", "--pop", "pop"],
        "after a silent central",
    )?;
    Ok(())
}

/// `tests/vectors/transcripts/sec0_auto.json` records esp_prov (ESP-IDF's copy) run with
/// `--proto_ver v1.1` and no `--sec_ver` against a reference device. The same command against
/// the sim must print the same lines up to ApplyConfig (the status polls differ only in how
/// many "Connecting" answers the recording's device gave) and then succeed.
fn scenario_transcript_sec0_auto(provkit: &Path, tp: Transport) -> Result<(), String> {
    let transcript = root().join("tests/vectors/transcripts/sec0_auto.json");
    let recorded = Command::new(venv_python())
        .args([
            "-c",
            "import json,sys; t=json.load(open(sys.argv[1])); \
             sys.stdout.write(t['client']['stdout'] + '\\0' + t['client']['command'])",
        ])
        .arg(&transcript)
        .output()
        .map_err(|e| format!("reading {}: {e}", transcript.display()))?;
    if !recorded.status.success() {
        return Err(format!(
            "cannot read {}: {}",
            transcript.display(),
            String::from_utf8_lossy(&recorded.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&recorded.stdout).into_owned();
    let (stdout, command) = text
        .split_once('\0')
        .ok_or("transcript without client stdout/command")?;
    let recorded_service = command
        .split_whitespace()
        .skip_while(|w| *w != "--service_name")
        .nth(1)
        .ok_or("transcript command without --service_name")?;
    let sim = Sim::start(provkit, tp, &["--security", "0"])?;
    let out = sim.esp_prov(
        &[
            "--proto_ver",
            "v1.1",
            "--ssid",
            "HomeNet",
            "--passphrase",
            DEMO_PASSPHRASE,
        ],
        "",
    )?;
    let cut = "==== Apply config sent successfully ====\n";
    let expected = stdout
        .split_inclusive(cut)
        .next()
        .ok_or("transcript stdout has no ApplyConfig line")?
        .replace(recorded_service, &format!("127.0.0.1:{}", sim.port));
    if !out.starts_with(&expected) {
        return Err(format!(
            "esp_prov output differs from the recording.\nexpected prefix:\n{expected}\ngot:\n{out}"
        ));
    }
    expect(&out, SUCCESS, "transcript sec0_auto")
}

/// Builds the sweep in release (its thousand 3072-bit handshakes take minutes unoptimized)
/// and runs it against esp_prov from `.venv`; it prints one summary line with its time.
fn scenario_sec2_conventions_sweep(_provkit: &Path, _tp: Transport) -> Result<(), String> {
    crate::run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
            "build",
            "--release",
            "-p",
            "provkit-client",
            "--example",
            "sec2_sweep",
        ]),
    )?;
    let exe = if cfg!(windows) {
        "sec2_sweep.exe"
    } else {
        "sec2_sweep"
    };
    let sweep = target_dir().join("release").join("examples").join(exe);
    let started = Instant::now();
    let out = Command::new(&sweep)
        .arg("--python")
        .arg(venv_python())
        .arg("--peer")
        .arg(root().join(ESP_PROV_SEC2_PEER))
        .args(["--pairs", SWEEP_PAIRS])
        .current_dir(root())
        .output()
        .map_err(|e| format!("running {}: {e}", sweep.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{text}");
    if out.status.success() {
        println!(
            "interop: sec2 sweep ran in {:.1} s (build excluded)",
            started.elapsed().as_secs_f32()
        );
        Ok(())
    } else {
        Err(format!(
            "the sec2 conventions sweep failed ({})",
            out.status
        ))
    }
}
