//! `provkit sim`: builds a [`SimDevice`], serves it over HTTP (and optionally the console),
//! prints how to provision it, then one line per device event until Ctrl-C.

use crate::output::{self, SimSecurity};
use clap::{Args, ValueEnum};
use provkit_sim::ble::BleOptions;
use provkit_sim::device::{DeviceOptions, SimDevice};
use provkit_sim::dns::DnsResponder;
use provkit_sim::env::RadioEnv;
use provkit_sim::http::HttpServer;
use provkit_sim::nwp::server::{ServerOptions, run_sim_with_portal};
use provkit_sim::nwp::{NwpSettings, announce::ANNOUNCE_PORT};
use provkit_sim::provkit_ble::hci::HciSpec;
use provkit_sim::provkit_manager::Role;
use provkit_sim::provkit_portal::{Portal, PortalConfig, PortalSecret};
use provkit_sim::provkit_protocomm::HandshakeBudget;
use provkit_sim::provkit_security::{DeviceSecurityConfig, Sec2Patch};
use provkit_sim::station::SimClock;
use provkit_sim::store::FileStore;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the device's timers and the station are serviced between requests.
const TICK: Duration = Duration::from_millis(25);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PersonalityArg {
    Esp,
    Cc32xx,
}

#[derive(Args, Debug)]
pub struct SimArgs {
    /// Address of the SoftAP/HTTP transport (use 0.0.0.0:80 for phones on the LAN).
    #[arg(long = "http", value_name = "ADDR", default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    /// Also serve the console transport on stdin/stdout (events then go to stderr).
    #[arg(long)]
    console: bool,
    /// Also serve BLE GATT on an HCI controller: `hci-tcp:HOST:PORT` (a virtual controller,
    /// e.g. bumble's) or `hci-uart:PATH[@BAUD]` (a USB HCI dongle, default 1000000 baud).
    #[arg(long, value_name = "CONTROLLER")]
    ble: Option<HciSpec>,
    /// Drop a BLE central after this many ms without an ATT request (0: never).
    #[arg(long = "ble-idle-timeout-ms", value_name = "MS", default_value_t = provkit_sim::provkit_ble::DEFAULT_IDLE_TIMEOUT_MS)]
    ble_idle_timeout_ms: u64,
    /// Security scheme.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=2))]
    security: u8,
    /// Security 1 proof of possession (none if omitted).
    #[arg(long)]
    pop: Option<String>,
    /// Security 2 username.
    #[arg(long, default_value = "wifiprov")]
    username: String,
    /// Security 2 password.
    #[arg(long, default_value = "abcd1234")]
    password: String,
    /// Security 2 verifier convention: esp-idf (ESP-IDF's device code and the phone apps) or
    /// esp-prov (what esp_prov --sec2_gen_cred makes). The device accepts every client's
    /// encodings either way; the convention decides whose x the verifier matches.
    #[arg(long = "sec2-convention", value_enum, default_value_t = crate::ConventionArg::EspIdf)]
    sec2_convention: crate::ConventionArg,
    /// Start even with a password some Espressif clients could never log in with.
    #[arg(long = "sec2-force")]
    sec2_force: bool,
    /// Security 2 nonce scheme: 1 = fixed firmware (counter nonce), 0 = pre-2025 firmware.
    #[arg(long = "sec2-patch", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    sec2_patch: u8,
    /// Radio environment TOML file (default: the built-in demo environment).
    #[arg(long, value_name = "FILE")]
    env: Option<PathBuf>,
    /// Directory for the stored credentials (default: a fresh temporary directory).
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// Service name (SoftAP SSID, BLE device name); default PROV_ plus 6 random hex digits,
    /// or 3 with --ble so the name fits in the advertisement itself.
    #[arg(long)]
    name: Option<String>,
    /// Provisioning semantics.
    #[arg(long, value_enum, default_value_t = PersonalityArg::Esp)]
    personality: PersonalityArg,
    /// Print events as JSON lines.
    #[arg(long)]
    json: bool,
    /// Advertise `_esp_wifi_prov._tcp` over mDNS (what IDF v4.x devices did; off by default).
    #[arg(long)]
    mdns: bool,
    /// First lockout (ms) after 5 wrong PoPs/passwords within 60 s; doubles per repeat up to
    /// 15 min. Default: protocomm's 30 s. Short values help demos and tests.
    #[arg(long = "auth-backoff-ms", value_name = "MS")]
    auth_backoff_ms: Option<u64>,
    /// Also serve the captive portal (a page for any browser, its JSON API under /portal/,
    /// and the OS connectivity checks) on the --http address, beside the protocomm
    /// endpoints. It asks for the PoP / sec2 password before it takes credentials.
    #[arg(long)]
    portal: bool,
    /// Run the portal's DNS responder on this UDP address (every A query answered with the
    /// --http address, or 192.168.4.1 when that is unspecified).
    #[arg(long, value_name = "ADDR:PORT")]
    dns: Option<SocketAddr>,
    /// ESP's wifi_conn_attempts: tries per set of credentials before the attempt fails
    /// (0: a wrong password or a missing network fails at once).
    #[arg(long = "wifi-conn-attempts", value_name = "N", default_value_t = 0)]
    wifi_conn_attempts: u32,
    /// Expensive handshakes (Command0) computed at most per window, `N/SECS`, or `off`.
    /// Default: protocomm's 4/20. The excess is refused before any arithmetic.
    #[arg(long = "handshake-budget", value_name = "N/SECS|off", value_parser = parse_budget)]
    handshake_budget: Option<BudgetArg>,
}

/// `--handshake-budget`: a budget, or none.
#[derive(Debug, Clone, Copy)]
pub struct BudgetArg(Option<HandshakeBudget>);

fn parse_budget(text: &str) -> Result<BudgetArg, String> {
    if text == "off" {
        return Ok(BudgetArg(None));
    }
    let (n, secs) = text
        .split_once('/')
        .ok_or_else(|| format!("expected N/SECS or off, got `{text}`"))?;
    let max_handshakes: u32 = n
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("N must be a positive integer, got `{n}`"))?;
    let secs: u64 = secs
        .parse()
        .ok()
        .filter(|&s| s > 0)
        .ok_or_else(|| format!("SECS must be a positive integer, got `{secs}`"))?;
    Ok(BudgetArg(Some(HandshakeBudget {
        max_handshakes,
        window_ms: secs.saturating_mul(1000),
    })))
}

/// What `--sec2-patch 0` costs, printed in the banner.
pub const SEC2_PATCH0_WARNING: &str = "WARNING: sec2 patch 0 encrypts every message of a \
session, both directions, with one fixed AES-GCM nonce. Anyone who records the session can \
XOR two ciphertexts to get the XOR of their plaintexts (predictable status messages then \
reveal the passphrase in SetConfig) and can recover the GCM authentication key to forge \
records. Only for testing clients of pre-2025 ESP-IDF firmware; use --sec2-patch 1.";

/// The demo environment's joinable network, used in the printed esp_prov command.
const DEMO_SSID: &str = "HomeNet";
const DEMO_PASSPHRASE: &str = "correct horse";

pub fn run(args: SimArgs) -> Result<(), String> {
    let env = match &args.env {
        Some(path) => RadioEnv::from_file(path).map_err(|e| e.to_string())?,
        None => RadioEnv::demo().map_err(|e| e.to_string())?,
    };
    if args.personality == PersonalityArg::Cc32xx {
        return run_cc32xx(&args, env);
    }
    // A temp dir lives as long as the sim and is removed at exit; --state persists.
    let (state_dir, _temp_guard) = match &args.state {
        Some(dir) => (dir.clone(), None),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("provkit-sim-")
                .tempdir()
                .map_err(|e| format!("cannot create a temporary state directory: {e}"))?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    let store = FileStore::open(&state_dir).map_err(|e| e.to_string())?;
    let name = match &args.name {
        Some(n) if n.is_empty() || n.len() > 32 => {
            return Err(format!("--name must be 1 to 32 bytes, got {}", n.len()));
        }
        Some(n)
            if args.ble.is_some()
                && n.len() > provkit_sim::provkit_ble::advertising::MAX_DEVICE_NAME_LEN =>
        {
            return Err(format!(
                "--name must be at most {} bytes with --ble (BLE device names), got {}",
                provkit_sim::provkit_ble::advertising::MAX_DEVICE_NAME_LEN,
                n.len()
            ));
        }
        Some(n) => n.clone(),
        None => {
            let mut suffix = [0u8; 3];
            getrandom::fill(&mut suffix)
                .map_err(|e| format!("the OS random source failed: {e}"))?;
            let hex = hex::encode_upper(suffix);
            // With BLE, `PROV_` + 3 hex digits: flags, the service UUID and the name then fit
            // in the advertisement itself, which is all some controllers show a scanner.
            let digits = if args.ble.is_some() { 3 } else { 6 };
            format!("PROV_{}", &hex[..digits])
        }
    };
    let mut portal_secret = PortalSecret::Open;
    let (security, shown) = match args.security {
        0 => (DeviceSecurityConfig::Sec0, SimSecurity::Sec0),
        1 => {
            let pop = args.pop.clone().filter(|p| !p.is_empty());
            if let Some(pop) = &pop {
                portal_secret = PortalSecret::Pop(pop.as_bytes().to_vec().into());
            }
            (
                DeviceSecurityConfig::Sec1 {
                    pop: pop.as_ref().map(|p| p.as_bytes().to_vec()),
                },
                SimSecurity::Sec1 { pop },
            )
        }
        _ => {
            if args.username.is_empty() {
                return Err("--username must not be empty for security 2".into());
            }
            let (salt, verifier) = crate::sec2_credentials(
                &args.username,
                &args.password,
                16,
                args.sec2_convention.verifier(),
                args.sec2_force,
                "--sec2-force",
            )?;
            portal_secret = PortalSecret::Sec2 {
                username: args.username.as_bytes().to_vec(),
                salt: salt.clone(),
                verifier: verifier.clone(),
                convention: args.sec2_convention.verifier(),
            };
            let patch = if args.sec2_patch == 0 {
                Sec2Patch::Patch0
            } else {
                Sec2Patch::Patch1
            };
            // Build the per-device SRP tables once now (a host has RAM to spare), so every
            // handshake takes the fast path and a bad verifier fails here, not at a client.
            let config = DeviceSecurityConfig::Sec2 {
                salt,
                verifier,
                patch,
            }
            .prepare()
            .map_err(|e| format!("preparing the sec2 verifier failed: {e}"))?;
            (
                config,
                SimSecurity::Sec2 {
                    username: args.username.clone(),
                    password: args.password.clone(),
                    patch: args.sec2_patch,
                },
            )
        }
    };
    let mut options = DeviceOptions::esp(security, &name);
    options.manager.wifi_conn_attempts = args.wifi_conn_attempts;
    let device =
        SimDevice::new(options, env, store, SimClock::wall(), None).map_err(|e| e.to_string())?;
    let mut device = device;
    if let Some(backoff_ms) = args.auth_backoff_ms {
        let default = provkit_sim::provkit_protocomm::Throttle::DEFAULT;
        device.set_throttle(Some(provkit_sim::provkit_protocomm::Throttle {
            backoff_ms,
            max_backoff_ms: default.max_backoff_ms.max(backoff_ms),
            ..default
        }));
    }
    if let Some(BudgetArg(budget)) = args.handshake_budget {
        device.set_handshake_budget(budget);
    }
    if args.portal {
        device.enable_portal(Portal::new(PortalConfig {
            device_name: name.clone(),
            page_url: page_url(args.http),
            secret: portal_secret,
        }));
    }
    let device = Arc::new(Mutex::new(device));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(serve(args, name, shown, state_dir, device))
}

async fn serve(
    args: SimArgs,
    name: String,
    shown: SimSecurity,
    state_dir: PathBuf,
    device: Arc<Mutex<SimDevice>>,
) -> Result<(), String> {
    let server = HttpServer::bind(args.http)
        .await
        .map_err(|e| format!("{e} (is another program using the port?)"))?;
    let addr = server.local_addr().map_err(|e| e.to_string())?;
    let _dns = start_dns(&args, addr)?;
    print_banner(&args, &name, &shown, addr, &state_dir);
    // Kept alive until the sim stops; dropping it withdraws the record.
    let _mdns = if args.mdns {
        let advert = provkit_sim::mdns::Advertisement::start("provkit-sim", addr.port())
            .map_err(|e| e.to_string())?;
        eprintln!(
            "mDNS: advertising \"{}\" on port {}",
            advert.fullname(),
            addr.port()
        );
        Some(advert)
    } else {
        None
    };

    if args.console {
        let console_device = Arc::clone(&device);
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            let mut adapter = LockedConsole(console_device);
            // The console ends with stdin; the HTTP side keeps running until Ctrl-C.
            let _ = provkit_sim::console::serve(stdin.lock(), stdout.lock(), &mut adapter);
        });
    }

    // BLE runs on a thread of its own (TrouBLE's futures are not Send); its end, which only a
    // controller failure causes, ends the sim.
    let (ble_tx, mut ble_rx) = tokio::sync::mpsc::channel::<String>(1);
    if let Some(controller) = args.ble.clone() {
        let options = BleOptions {
            controller,
            device_name: name.clone(),
            idle_timeout_ms: (args.ble_idle_timeout_ms != 0).then_some(args.ble_idle_timeout_ms),
        };
        let ble_device = Arc::clone(&device);
        std::thread::spawn(move || {
            let why = match provkit_sim::ble::run(&options, ble_device) {
                Ok(()) => "BLE stopped".to_string(),
                Err(e) => e,
            };
            let _ = ble_tx.blocking_send(why);
        });
    }

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let served = Arc::clone(&device);
    let server_task = tokio::spawn(async move {
        server
            .serve(served, async {
                let _ = stop_rx.await;
            })
            .await
    });

    let json = args.json;
    let to_stderr = args.console;
    let mut ticker = tokio::time::interval(TICK);
    let outcome = loop {
        tokio::select! {
            signal = tokio::signal::ctrl_c() => {
                break signal.map_err(|e| format!("cannot listen for Ctrl-C: {e}"));
            }
            Some(why) = ble_rx.recv() => {
                break Err(why);
            }
            _ = ticker.tick() => {
                let events = match device.lock() {
                    Ok(mut d) => { d.pump(); d.take_events() }
                    Err(_) => break Err("the device state was poisoned by a crash in a request".into()),
                };
                for event in events {
                    let (json_line, human) = output::event_lines(&event);
                    let line = if json { json_line } else { format!("event: {human}") };
                    if to_stderr { eprintln!("{line}") } else { println!("{line}") }
                }
            }
        }
    };
    let _ = stop_tx.send(());
    match server_task.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.to_string()),
        Err(e) => return Err(format!("the HTTP server task failed: {e}")),
    }
    if outcome.is_ok() && !json {
        eprintln!("stopped");
    }
    outcome
}

/// The portal page's URL for the HTTP address (a wildcard address is the SoftAP's).
fn page_url(http: SocketAddr) -> String {
    format!("http://{}/", portal_addr(http))
}

/// Where clients reach the device: the HTTP address, or the SoftAP's when it is a wildcard.
fn portal_addr(http: SocketAddr) -> SocketAddr {
    match http {
        SocketAddr::V4(v4) if !v4.ip().is_unspecified() => http,
        _ => SocketAddr::from(([192, 168, 4, 1], http.port())),
    }
}

/// `--dns`: the responder, answering with the portal's IPv4 address.
fn start_dns(args: &SimArgs, http: SocketAddr) -> Result<Option<DnsResponder>, String> {
    let Some(addr) = args.dns else {
        return Ok(None);
    };
    let ip = match portal_addr(http) {
        SocketAddr::V4(v4) => v4.ip().octets(),
        SocketAddr::V6(_) => [192, 168, 4, 1],
    };
    let dns = DnsResponder::start(addr, ip).map_err(|e| format!("{e} (is the port in use?)"))?;
    let shown = std::net::Ipv4Addr::from(ip);
    eprintln!(
        "DNS: answering every A query on udp {} with {shown}",
        dns.local_addr()
    );
    Ok(Some(dns))
}

/// Lets the console thread share the device with the HTTP server.
struct LockedConsole(Arc<Mutex<SimDevice>>);

impl provkit_sim::console::ConsoleDevice for LockedConsole {
    fn max_line(&self) -> usize {
        self.0
            .lock()
            .map(|d| d.max_line())
            .unwrap_or(provkit_sim::provkit_protocomm::console::DEFAULT_MAX_LINE_LEN)
    }

    fn handle_console_line(&mut self, line: &[u8]) -> Option<String> {
        self.0.lock().ok()?.handle_console_line(line)
    }

    fn console_gone(&mut self) {
        if let Ok(mut device) = self.0.lock() {
            device.console_gone();
        }
    }
}

fn print_banner(
    args: &SimArgs,
    name: &str,
    shown: &SimSecurity,
    addr: SocketAddr,
    state_dir: &std::path::Path,
) {
    // Espressif's BLE app is the default one; with --ble the code is for it.
    let transport = if args.ble.is_some() { "ble" } else { "softap" };
    let payload = output::qr_payload(name, shown, transport);
    let (ssid, passphrase) = if args.env.is_none() {
        (DEMO_SSID, DEMO_PASSPHRASE)
    } else {
        ("<SSID>", "<PASSPHRASE>")
    };
    let command = output::esp_prov_command("softap", &addr.to_string(), shown, ssid, passphrase);
    // In JSON mode stdout carries only JSON lines, in console mode only the console.
    let mut text = String::new();
    text.push_str(&format!(
        "provkit sim: service \"{name}\", security {}",
        shown.sec_ver()
    ));
    if let SimSecurity::Sec2 { patch, .. } = shown {
        text.push_str(&format!(" (patch {patch})"));
        if *patch == 0 {
            text.push_str(&format!("\n{SEC2_PATCH0_WARNING}"));
        }
    }
    text.push_str(&format!(
        "\nlistening on http://{addr}  (state in {})\n",
        state_dir.display()
    ));
    if args.portal {
        text.push_str(&format!(
            "captive portal: open http://{addr}/ in a browser (it asks for the {})\n",
            match shown {
                SimSecurity::Sec0 | SimSecurity::Sec1 { pop: None } => "Wi-Fi password only",
                SimSecurity::Sec1 { .. } => "PoP",
                SimSecurity::Sec2 { .. } => "sec2 password",
            }
        ));
    }
    match qrcode::QrCode::new(payload.as_bytes()) {
        Ok(code) => {
            let qr = code
                .render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build();
            text.push_str(&format!(
                "\nscan with the ESP {} Provisioning app:\n{qr}\n",
                if args.ble.is_some() { "BLE" } else { "SoftAP" }
            ));
        }
        Err(e) => text.push_str(&format!("(QR code unavailable: {e})\n")),
    }
    text.push_str(&format!("QR payload: {payload}\n"));
    text.push_str(&format!(
        "provision it with Espressif's esp_prov (from the provkit checkout, after `cargo xtask pyenv`):\n  \
         {command}\n(with ESP-IDF: python $IDF_PATH/tools/esp_prov/esp_prov.py and the same arguments)\n"
    ));
    if let Some(controller) = &args.ble {
        let ble = output::esp_prov_command("ble", name, shown, ssid, passphrase);
        text.push_str(&format!(
            "BLE: GATT service on {controller}, advertising as \"{name}\"; over BLE:\n  {ble}\n"
        ));
        if matches!(controller, HciSpec::Tcp { .. }) {
            text.push_str(&format!(
                "  (esp_prov's scanner must reach a controller linked to {controller}: with bumble's \
                 virtual controllers, put tests/interop/ble on PYTHONPATH and name the linked \
                 controller in PROVKIT_BLE_HCI)\n"
            ));
        }
        let provkit =
            output::provkit_ble_command("<LINKED-CONTROLLER>", name, shown, ssid, passphrase);
        text.push_str(&format!(
            "  or with provkit's own client (a controller linked to this one, e.g. \
             hci-tcp:127.0.0.1:PORT of bumble's second virtual controller):\n  {provkit}\n"
        ));
    }
    let listening = format!(
        "{{\"event\":\"listening\",\"addr\":\"{addr}\",\"name\":{},\"qr\":{payload}}}",
        serde_json::Value::String(name.to_string())
    );
    match (args.json, args.console) {
        // stdout is the console transport: everything else goes to stderr.
        (true, true) => eprintln!("{text}\n{listening}"),
        (false, true) => eprintln!("{text}"),
        (true, false) => {
            eprintln!("{text}");
            println!("{listening}");
        }
        (false, false) => println!("{text}"),
    }
}

/// `provkit sim --personality cc32xx`: the emulated CC32xx NWP in AP role with no profiles,
/// so AP + SmartConfig provisioning starts by itself 2 s after boot; TI's device HTTP API on
/// `--http`, `"ip,name"` announcements to UDP 127.0.0.1:1501, one line per host event.
fn run_cc32xx(args: &SimArgs, env: RadioEnv) -> Result<(), String> {
    // The ESP transports and the ESP security scheme do not exist on this personality.
    for (given, flag) in [
        (args.console, "--console"),
        (args.mdns, "--mdns"),
        (args.name.is_some(), "--name"),
        (args.state.is_some(), "--state"),
    ] {
        if given {
            return Err(format!(
                "{flag} is not supported with --personality cc32xx (TI's HTTP API sets the \
                 device name; profiles live in the emulated NWP's memory)"
            ));
        }
    }
    let listener = TcpListener::bind(args.http).map_err(|e| {
        format!(
            "cannot listen on {}: {e} (is another program using the port?)",
            args.http
        )
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("reading the listening address: {e}"))?;
    let mut settings = NwpSettings::new(env);
    settings.role = Role::Ap;
    let announce_to = SocketAddr::from(([127, 0, 0, 1], ANNOUNCE_PORT));
    let _dns = start_dns(args, addr)?;
    print_cc32xx_banner(args, addr, announce_to);
    // TI's NWP has no PoP: the portal takes --pop as its device code when given.
    let portal = args.portal.then(|| {
        Portal::new(PortalConfig {
            device_name: "mysimplelink".into(),
            page_url: page_url(addr),
            secret: args
                .pop
                .clone()
                .filter(|p| !p.is_empty())
                .map_or(PortalSecret::Open, |p| {
                    PortalSecret::Pop(p.into_bytes().into())
                }),
        })
    });

    let stop = Arc::new(AtomicBool::new(false));
    let json = args.json;
    let sim = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            run_sim_with_portal(
                listener,
                settings,
                ServerOptions {
                    announce_to: Some(announce_to),
                },
                portal,
                stop,
                move |event| {
                    let (json_line, human) = output::nwp_event_lines(&event);
                    if json {
                        println!("{json_line}");
                    } else {
                        println!("event: {human}");
                    }
                },
            )
        })
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let waited: Result<(), String> = runtime.block_on(async {
        loop {
            tokio::select! {
                signal = tokio::signal::ctrl_c() => {
                    break signal.map_err(|e| format!("cannot listen for Ctrl-C: {e}"));
                }
                () = tokio::time::sleep(Duration::from_millis(100)) => {
                    // The server ended by itself (an accept error): report it below.
                    if sim.is_finished() {
                        break Ok(());
                    }
                }
            }
        }
    });
    stop.store(true, Ordering::Relaxed);
    match sim.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err("the emulated NWP crashed".into()),
    }
    if waited.is_ok() && !json {
        eprintln!("stopped");
    }
    waited
}

fn print_cc32xx_banner(args: &SimArgs, addr: SocketAddr, announce_to: SocketAddr) {
    let (ssid, passphrase) = if args.env.is_none() {
        (DEMO_SSID, DEMO_PASSPHRASE)
    } else {
        ("<SSID>", "<PASSPHRASE>")
    };
    let form_value = |v: &str| v.replace(' ', "+");
    let mut text = format!(
        "provkit sim: emulated CC32xx network processor (TI SimpleLink provisioning)\n\
         AP + SmartConfig provisioning starts by itself 2 s after boot (AP role, no profiles)\n\
         listening on http://{addr} with TI's device HTTP API:\n"
    );
    for (method, path, what) in [
        ("GET ", "/param_product_version.txt", "product version"),
        ("GET ", "/__SL_G_DNP", "device name"),
        (
            "POST",
            "/api/1/wlan/en_ap_scan",
            "scan (__SL_P_SC1, __SL_P_SC2)",
        ),
        ("GET ", "/netlist.txt", "scanned SSIDs, ';'-separated"),
        (
            "POST",
            "/api/1/wlan/profile_add",
            "profile to confirm (__SL_P_P.A ssid, .B security 0-3, .C key, .D priority)",
        ),
        ("POST", "/api/1/wlan/confirm_req", "start the confirmation"),
        ("GET ", "/__SL_G_MCR", "confirmation result (5 = success)"),
        ("POST", "/api/1/netapp/set_urn", "device name (__SL_P_S.B)"),
        (
            "POST",
            "/api/1/wlan/policy_set",
            "connection policy (__SL_P_P.E/.F/.G/.Q)",
        ),
    ] {
        text.push_str(&format!("  {method} {path:<28} {what}\n"));
    }
    text.push_str(&format!(
        "provision it with curl (after the 2 s auto-start):\n  \
         curl -d '__SL_P_P.A={}&__SL_P_P.B=3&__SL_P_P.C={}&__SL_P_P.D=0' http://{addr}/api/1/wlan/profile_add\n  \
         curl -d '' http://{addr}/api/1/wlan/confirm_req\n  \
         curl http://{addr}/__SL_G_MCR      (repeat until 5)\n\
         \"ip,name\" announcements go to UDP {announce_to} (TI's Wi-Fi Starter app listens on 1501)\n",
        form_value(ssid),
        form_value(passphrase),
    ));
    if args.json {
        eprintln!("{text}");
        println!("{{\"event\":\"listening\",\"addr\":\"{addr}\",\"personality\":\"cc32xx\"}}");
    } else {
        println!("{text}");
    }
}
