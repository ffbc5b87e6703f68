//! `cargo xtask portal`: the captive portal end to end, on loopback.
//!
//! 1. Debian's `chromium` (installed with apt-get when missing) and, in the interop venv,
//!    pinned `playwright` and `dnspython` from PyPI (Playwright's own browser download is not
//!    used).
//! 2. `provkit sim --portal --dns` (ESP personality, sec1 PoP, two tries per set of
//!    credentials): `tests/portal/browser_test.py` resolves names through the DNS responder
//!    with dnspython, then opens the page headless through a connectivity-check redirect,
//!    picks a network, sees a wrong device code and a wrong passphrase refused (with the
//!    attempts remaining) and the right one connect. Screenshots go to
//!    `$PROVKIT_CI_LOGS/portal/` (else `target/ci-logs/portal/`).
//! 3. The same page on `provkit sim --personality cc32xx --portal` (TI's HTTP API behind it).
//! 4. protocomm beside the portal: `provkit provision` over protocomm provisions a sim that
//!    serves the portal, and the portal then reports the same manager's `connected`.
//!
//! Every sim is started here on free loopback ports and killed (by its own pid) at the end.

use crate::interop::{free_port, venv_python};
use crate::process::{root, run};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Pinned so a new release cannot change what CI runs.
const PY_PACKAGES: &[&str] = &["playwright==1.65.3", "dnspython==2.8.0"];
const STAMP: &str = ".provkit-portal-pyenv";
const CHROMIUM: &str = "/usr/bin/chromium";
const SCRIPT: &str = "tests/portal/browser_test.py";
const POP: &str = "abcd1234";

/// A `provkit sim` child, killed by its pid when dropped.
struct Sim {
    child: Child,
    http: String,
    log: PathBuf,
}

impl Sim {
    fn start(provkit: &Path, log: PathBuf, args: &[&str]) -> Result<Sim, String> {
        let port = free_port()?;
        let http = format!("127.0.0.1:{port}");
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(provkit)
            .args(["sim", "--http", &http])
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", provkit.display()))?;
        let sim = Sim { child, http, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&sim.http).is_err() {
            if Instant::now() > deadline {
                return Err(format!(
                    "the sim did not listen on {}: {}",
                    sim.http,
                    sim.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(sim)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where CI keeps logs: `$PROVKIT_CI_LOGS`, else `target/ci-logs`.
fn ci_logs() -> PathBuf {
    std::env::var_os("PROVKIT_CI_LOGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target").join("ci-logs"))
}

fn ensure_python_packages() -> Result<(), String> {
    crate::interop::pyenv()?;
    let stamp = venv_python()
        .parent()
        .and_then(Path::parent)
        .map(|venv| venv.join(STAMP))
        .ok_or("no venv directory")?;
    let text = format!("{}\n", PY_PACKAGES.join(" "));
    if std::fs::read_to_string(&stamp).ok() == Some(text.clone()) {
        return Ok(());
    }
    run(Command::new(venv_python())
        .args(["-m", "pip", "install", "--quiet"])
        .args(PY_PACKAGES))?;
    std::fs::write(&stamp, text).map_err(|e| format!("writing {}: {e}", stamp.display()))
}

fn browser_test(sim: &Sim, shots: &Path, extra: &[&str]) -> Result<(), String> {
    let url = format!("http://{}", sim.http);
    let status = Command::new(venv_python())
        .arg(root().join(SCRIPT))
        .args(["--url", &url, "--chromium", CHROMIUM, "--shots"])
        .arg(shots)
        .args(extra)
        .status()
        .map_err(|e| format!("running {SCRIPT}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{SCRIPT} failed ({status}) against {url}; sim log:\n{}",
            sim.log_text()
        ))
    }
}

/// The step (`cargo xtask portal`, and part of `cargo xtask test`).
pub fn portal() -> Result<(), String> {
    crate::rv32::ensure_debian_packages(&[(CHROMIUM, "chromium")])?;
    ensure_python_packages()?;
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
            "build",
            "-p",
            "provkit-cli",
        ]),
    )?;
    let provkit = root().join("target").join("debug").join("provkit");
    let logs = ci_logs().join("portal");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;

    // ESP personality, sec1 PoP, two tries per set of credentials; DNS beside it.
    let dns = format!("127.0.0.1:{}", free_port()?);
    let sim = Sim::start(
        &provkit,
        logs.join("esp-sim.log"),
        &[
            "--portal",
            "--dns",
            &dns,
            "--security",
            "1",
            "--pop",
            POP,
            "--wifi-conn-attempts",
            "2",
            "--name",
            "PROV_PORTAL",
        ],
    )?;
    browser_test(
        &sim,
        &logs,
        &[
            "--label",
            "esp",
            "--dns",
            &dns,
            "--secret",
            POP,
            "--expect-attempts",
        ],
    )?;
    drop(sim);

    // The TI personality: the same page, TI's API behind it (no PoP on an NWP here).
    let sim = Sim::start(
        &provkit,
        logs.join("cc32xx-sim.log"),
        &["--personality", "cc32xx", "--portal"],
    )?;
    // AP provisioning starts by itself 2 s after boot.
    std::thread::sleep(Duration::from_millis(2_500));
    browser_test(&sim, &logs, &["--label", "cc32xx"])?;
    drop(sim);

    protocomm_beside_the_portal(&provkit, &logs)?;
    println!("portal: screenshots and logs in {}", logs.display());
    Ok(())
}

/// An app provisioning over protocomm a device that also serves the portal: unchanged, and
/// the portal reads the same manager's result.
fn protocomm_beside_the_portal(provkit: &Path, logs: &Path) -> Result<(), String> {
    let sim = Sim::start(
        provkit,
        logs.join("protocomm-sim.log"),
        &["--portal", "--security", "1", "--pop", POP],
    )?;
    let output = Command::new(provkit)
        .args(["provision", "--http", &sim.http, "--pop", POP])
        .args(["--ssid", "HomeNet", "--passphrase", "correct horse"])
        .output()
        .map_err(|e| format!("running provkit provision: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "provkit provision over protocomm failed beside the portal: {}{}\nsim log:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            sim.log_text()
        ));
    }
    let result = http_get(&sim.http, "/portal/result")?;
    if !result.contains("\"result\":\"connected\"") || !result.contains("\"ssid\":\"HomeNet\"") {
        return Err(format!(
            "after protocomm provisioned HomeNet the portal says: {result}"
        ));
    }
    println!("portal: protocomm provisioned beside the portal; the portal reports {result}");
    Ok(())
}

fn http_get(addr: &str, path: &str) -> Result<String, String> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut text = String::new();
    stream
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    Ok(text
        .split_once("\r\n\r\n")
        .map_or(text.clone(), |(_, body)| body.to_string()))
}
