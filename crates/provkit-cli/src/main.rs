//! `provkit`: the command line of the provkit stack (top layer).
//!
//! * `provkit sim` — a provisioning device on this computer (provkit-sim): a real HTTP server
//!   that Espressif's esp_prov and phone apps provision, a simulated radio, a file store.
//! * `provkit provision` / `provkit scan` / `provkit reset` / `provkit reprov` — the Rust
//!   client (provkit-client) against any device, over HTTP (`--http`) or BLE (`--ble`, through
//!   provkit-ble's central on an HCI controller).
//! * `provkit gen-sec2` — security 2 salt and verifier for firmware.
//!
//! Every failure ends with one sentence on stderr and a non-zero exit status.

mod output;
mod sim;

use clap::{Args, Parser, Subcommand, ValueEnum};
use provkit_ble::client::{AttMtu, BleOptions, BleTransport};
use provkit_ble::hci::HciSpec;
use provkit_client::http::{DEFAULT_SERVICE, HttpTransport};
use provkit_client::{
    Client, ClientConvention, ClientError, PollPolicy, ScanPlan, Scheme, Secrets, SecurityPolicy,
    Transport, WifiCredentials, security_config,
};
use provkit_sim::provkit_security::rand_core::SeedableRng;
use provkit_sim::provkit_security::sec2::{
    self, ConventionMismatch, MismatchPolicy, VerifierConvention,
};
use provkit_sim::provkit_security::{Sec2Patch, SecurityError};
use rand_chacha::ChaCha20Rng;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "provkit",
    version,
    about = "Wi-Fi provisioning, ESP-IDF compatible: simulate a device, provision one, scan."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a simulated provisioning device on this computer.
    Sim(sim::SimArgs),
    /// Provision a device with Wi-Fi credentials using the Rust client.
    Provision(ProvisionArgs),
    /// List the access points a device can see.
    Scan(ClientArgs),
    /// Send prov-ctrl Reset: a device whose Wi-Fi connection failed accepts credentials again.
    Reset(ClientArgs),
    /// Send prov-ctrl Reprov: a provisioned device forgets its network and accepts new ones.
    Reprov(ClientArgs),
    /// Generate security 2 (SRP6a) salt and verifier for a username and password.
    #[command(name = "gen-sec2")]
    GenSec2(GenSec2Args),
}

#[derive(Args, Debug, Clone)]
struct ClientArgs {
    /// The device's HTTP address, host:port (default 192.168.4.1:80, the SoftAP's).
    #[arg(long = "http", value_name = "ADDR", conflicts_with = "ble")]
    http: Option<String>,
    /// Reach the device over BLE through this HCI controller: `hci-tcp:HOST:PORT` (a virtual
    /// controller, e.g. bumble's) or `hci-uart:PATH[@BAUD]` (a USB HCI dongle).
    #[arg(long, value_name = "CONTROLLER")]
    ble: Option<HciSpec>,
    /// BLE: the advertised name to connect to (e.g. PROV_1A2); default: the first device that
    /// advertises the provisioning service.
    #[arg(long, value_name = "NAME", requires = "ble")]
    name: Option<String>,
    /// BLE: seconds to scan for the device.
    #[arg(long = "ble-timeout", value_name = "SECS", default_value_t = 10, requires = "ble",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    ble_timeout: u64,
    /// BLE: the ATT MTU to ask for (23 keeps the minimum, so long writes and reads carry
    /// everything; 517 is what BlueZ asks, capped by the device).
    #[arg(long = "ble-mtu", value_enum, default_value_t = MtuArg::Large, requires = "ble")]
    ble_mtu: MtuArg,
    /// Security scheme; detected from proto-ver when omitted.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=2))]
    security: Option<u8>,
    /// Security 1 proof of possession.
    #[arg(long)]
    pop: Option<String>,
    /// Security 2 username.
    #[arg(long)]
    username: Option<String>,
    /// Security 2 password.
    #[arg(long)]
    password: Option<String>,
    /// Refuse a device offering a weaker scheme than N (0, 1, 2). Default: 2 with
    /// --username/--password, 1 with --pop, else 0. proto-ver is unauthenticated, so this is
    /// what stops a downgrade.
    #[arg(long = "min-security", value_name = "N", value_parser = clap::value_parser!(u8).range(0..=2))]
    min_security: Option<u8>,
    /// Accept security 2 patch 0 (one fixed AES-GCM nonce for the whole session).
    #[arg(long = "allow-sec2-patch0")]
    allow_sec2_patch0: bool,
    /// Security 2 verifier convention to try first: esp-idf (ESP-IDF's device code and the
    /// phone apps) or esp-prov (verifiers made by esp_prov --sec2_gen_cred).
    #[arg(long = "sec2-convention", value_enum, default_value_t = ConventionArg::EspIdf)]
    sec2_convention: ConventionArg,
    /// Do not retry a rejected security 2 proof in the other convention.
    #[arg(long = "no-sec2-retry")]
    no_sec2_retry: bool,
}

/// The sec2 verifier conventions a user picks from (`--sec2-convention`, `--convention`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConventionArg {
    /// x over the raw salt and all 64 bytes of SHA-512(username ":" password): ESP-IDF's
    /// esp_srp.c and Espressif's phone apps.
    EspIdf,
    /// x over both without leading zero bytes: esp_prov and its --sec2_gen_cred.
    EspProv,
}

impl ConventionArg {
    pub fn verifier(self) -> VerifierConvention {
        match self {
            Self::EspIdf => VerifierConvention::EspIdf,
            Self::EspProv => VerifierConvention::EspProv,
        }
    }

    fn client(self) -> ClientConvention {
        match self {
            Self::EspIdf => ClientConvention::EspIdf,
            Self::EspProv => ClientConvention::EspProv,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MtuArg {
    #[value(name = "23")]
    Minimum,
    #[value(name = "517")]
    Large,
}

#[derive(Args, Debug)]
struct ProvisionArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Network name.
    #[arg(long)]
    ssid: String,
    /// Network passphrase (empty for an open network).
    #[arg(long, default_value = "")]
    passphrase: String,
    /// Send this text to the device's `custom-data` endpoint first (as esp_prov's
    /// --custom_data does) and print its answer.
    #[arg(long = "custom-data", value_name = "TEXT")]
    custom_data: Option<String>,
}

#[derive(Args, Debug)]
struct GenSec2Args {
    #[arg(long)]
    username: String,
    #[arg(long)]
    password: String,
    /// Salt length in bytes.
    #[arg(long = "salt-len", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=64))]
    salt_len: u16,
    /// How the verifier is derived: esp-idf (ESP-IDF's device code and the phone apps) or
    /// esp-prov (what esp_prov --sec2_gen_cred makes).
    #[arg(long, value_enum, default_value_t = ConventionArg::EspIdf)]
    convention: ConventionArg,
    /// Make the verifier even for a password some Espressif clients could never log in with.
    #[arg(long)]
    force: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sim(args) => sim::run(args),
        Command::Provision(args) => provision(args),
        Command::Scan(args) => scan(args),
        Command::Reset(args) => ctrl(args, Ctrl::Reset),
        Command::Reprov(args) => ctrl(args, Ctrl::Reprov),
        Command::GenSec2(args) => gen_sec2(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("provkit: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A CSPRNG seeded from the operating system.
pub fn os_rng() -> Result<ChaCha20Rng, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("the OS random source failed: {e}"))?;
    Ok(ChaCha20Rng::from_seed(seed))
}

/// A sec2 salt and verifier in `convention`; refuses credentials some Espressif client could
/// never log in with unless `force`, and then says which.
pub fn sec2_credentials(
    username: &str,
    password: &str,
    salt_len: usize,
    convention: VerifierConvention,
    force: bool,
    force_flag: &str,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut rng = os_rng()?;
    let policy = if force {
        MismatchPolicy::Allow
    } else {
        MismatchPolicy::Refuse
    };
    let (salt, verifier) = sec2::generate_credentials(
        username.as_bytes(),
        password.as_bytes(),
        salt_len,
        convention,
        policy,
        &mut rng,
    )
    .map_err(|e| match e {
        SecurityError::ConventionMismatch(mismatch) => format!(
            "refusing this security 2 password for user {username:?}: {mismatch} \
             ({force_flag} makes the verifier anyway)"
        ),
        other => format!("generating the sec2 verifier failed: {other}"),
    })?;
    if let Err(mismatch) =
        sec2::check_conventions(&salt, username.as_bytes(), password.as_bytes(), convention)
    {
        eprintln!("provkit: warning: {}", forced_warning(&mismatch));
    }
    Ok((salt, verifier))
}

fn forced_warning(mismatch: &ConventionMismatch) -> String {
    let clients: Vec<&str> = mismatch.failing_clients().map(|c| c.name()).collect();
    let list = match clients.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => clients.concat(),
    };
    format!(
        "verifier made in the {} convention as forced: {list} cannot log in with this password",
        mismatch.chosen()
    )
}

fn gen_sec2(args: GenSec2Args) -> Result<(), String> {
    let convention = args.convention.verifier();
    let (salt, verifier) = sec2_credentials(
        &args.username,
        &args.password,
        usize::from(args.salt_len),
        convention,
        args.force,
        "--force",
    )?;
    println!(
        "convention: {convention} (x as {} derive it)",
        convention.used_by()
    );
    println!("username: {}", args.username);
    println!("salt ({} bytes): {}", salt.len(), hex::encode(&salt));
    println!(
        "verifier ({} bytes): {}\n",
        verifier.len(),
        hex::encode(&verifier)
    );
    print!("{}", output::c_array("sec2_salt", &salt));
    println!();
    print!("{}", output::c_array("sec2_verifier", &verifier));
    Ok(())
}

fn secrets_of(args: &ClientArgs) -> Secrets {
    Secrets {
        pop: args.pop.as_ref().map(|p| p.as_bytes().to_vec()),
        username: args.username.as_ref().map(|u| u.as_bytes().to_vec()),
        password: args.password.as_ref().map(|p| p.as_bytes().to_vec()),
    }
}

/// The transport the arguments name: BLE through an HCI controller, or HTTP.
fn open_transport(args: &ClientArgs) -> Result<Box<dyn Transport>, String> {
    let Some(controller) = &args.ble else {
        let service = args.http.as_deref().unwrap_or(DEFAULT_SERVICE);
        eprintln!("connecting to {service} ...");
        return Ok(Box::new(HttpTransport::new(service)));
    };
    let mut options = BleOptions::new(controller.clone());
    options.device_name = args.name.clone();
    options.scan_timeout = std::time::Duration::from_secs(args.ble_timeout);
    options.mtu = match args.ble_mtu {
        MtuArg::Minimum => AttMtu::Minimum,
        MtuArg::Large => AttMtu::Large,
    };
    eprintln!(
        "scanning for {} through {controller} ...",
        args.name.as_deref().map_or_else(
            || "a provisioning device".to_string(),
            |n| format!("\"{n}\"")
        )
    );
    let transport = BleTransport::connect(&options).map_err(|e| e.to_string())?;
    let device = transport.device();
    let address: Vec<String> = device
        .address
        .iter()
        .rev()
        .map(|b| format!("{b:02X}"))
        .collect();
    let endpoints: Vec<&str> = device.endpoints.iter().map(|e| e.name.as_str()).collect();
    eprintln!(
        "connected to {} ({}), ATT MTU {}, endpoints: {}",
        device.name.as_deref().unwrap_or("the device"),
        address.join(":"),
        device.att_mtu,
        endpoints.join(", ")
    );
    Ok(Box::new(transport))
}

/// proto-ver, scheme choice (the flag wins over detection), handshake; with progress lines.
fn connect(args: &ClientArgs) -> Result<Client<Box<dyn Transport>>, String> {
    let mut rng = os_rng()?;
    let mut client = Client::new(open_transport(args)?);
    let report = client
        .read_version()
        .map_err(|e| describe(&e, "reading proto-ver"))?
        .clone();
    let detected = report.detect_security();
    let scheme = match args.security {
        None => provkit_client::select_scheme(&report, None)
            .map_err(|e| describe(&e, "choosing the security scheme (try --security)"))?,
        Some(0) => Scheme::Sec0,
        Some(1) => Scheme::Sec1,
        Some(_) => {
            // The device's sec_patch_ver decides the nonce scheme; absent means patch 0.
            let patch = match detected.map(|d| d.sec_patch_ver) {
                Some(1) => Sec2Patch::Patch1,
                _ => Sec2Patch::Patch0,
            };
            Scheme::Sec2(patch)
        }
    };
    let secrets = secrets_of(args);
    let policy = SecurityPolicy {
        min_security: args.min_security,
        allow_sec2_patch0: args.allow_sec2_patch0,
    };
    policy
        .check(scheme, &secrets)
        .map_err(|e| describe(&e, "checking the device's security (--min-security)"))?;
    eprintln!("security {} ...", scheme.sec_ver());
    let pop_required = detected.is_none_or(|d| d.pop_required);
    let config = security_config(scheme, &secrets, pop_required)
        .map_err(|e| describe(&e, "preparing the session"))?;
    client.set_sec2_convention(args.sec2_convention.client());
    client.set_sec2_retry(!args.no_sec2_retry);
    let established = client.establish_session(config, &mut rng);
    if let Some(retry) = client.sec2_retry() {
        eprintln!("{retry}");
    }
    established.map_err(|e| describe(&e, "establishing the session (wrong PoP or password?)"))?;
    eprintln!("session established");
    Ok(client)
}

fn describe(error: &ClientError, doing: &str) -> String {
    format!("{doing} failed: {error}")
}

fn provision(args: ProvisionArgs) -> Result<(), String> {
    let mut client = connect(&args.client)?;
    if let Some(text) = &args.custom_data {
        let answer = client
            .custom("custom-data", text.as_bytes())
            .map_err(|e| describe(&e, "sending custom data"))?;
        println!(
            "custom-data answered: {}",
            serde_json::Value::String(String::from_utf8_lossy(&answer).into_owned())
        );
    }
    eprintln!("sending credentials for \"{}\" ...", args.ssid);
    let credentials = WifiCredentials::new(args.ssid.as_bytes(), args.passphrase.as_bytes());
    client
        .set_config(&credentials)
        .map_err(|e| describe(&e, "SetConfig"))?;
    client
        .apply_config()
        .map_err(|e| describe(&e, "ApplyConfig"))?;
    eprintln!("waiting for the device to connect ...");
    let info = client
        .wait_for_connection(PollPolicy::default(), || {
            std::thread::sleep(std::time::Duration::from_secs(1))
        })
        .map_err(|e| describe(&e, "connecting the device to Wi-Fi"))?;
    println!(
        "connected to \"{}\" (ip {}, channel {})",
        String::from_utf8_lossy(&info.ssid),
        info.ip4_addr,
        info.channel
    );
    Ok(())
}

fn scan(args: ClientArgs) -> Result<(), String> {
    let mut client = connect(&args)?;
    eprintln!("scanning ...");
    // esp_prov's paging: 4 entries per page over BLE, where responses must stay small.
    let plan = if args.ble.is_some() {
        ScanPlan::BLE
    } else {
        ScanPlan::HTTP
    };
    let entries = client
        .scan(&plan, || {
            std::thread::sleep(std::time::Duration::from_millis(500))
        })
        .map_err(|e| describe(&e, "scanning"))?;
    println!(
        "{:>3} {:<33} {:<17} {:>4} {:>5} AUTH",
        "#", "SSID", "BSSID", "CHN", "RSSI"
    );
    for (i, entry) in entries.iter().enumerate() {
        let bssid: Vec<String> = entry.bssid.iter().map(|b| format!("{b:02x}")).collect();
        println!(
            "{:>3} {:<33} {:<17} {:>4} {:>5} {}",
            i + 1,
            String::from_utf8_lossy(&entry.ssid),
            bssid.join(":"),
            entry.channel,
            entry.rssi,
            entry
                .auth_name()
                .map_or_else(|| entry.auth.to_string(), str::to_string)
        );
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum Ctrl {
    Reset,
    Reprov,
}

fn ctrl(args: ClientArgs, what: Ctrl) -> Result<(), String> {
    let mut client = connect(&args)?;
    match what {
        Ctrl::Reset => {
            client.ctrl_reset().map_err(|e| {
                describe(&e, "prov-ctrl Reset (was the device in the failed state?)")
            })?;
            println!("reset: the device accepts credentials again");
        }
        Ctrl::Reprov => {
            client
                .ctrl_reprov()
                .map_err(|e| describe(&e, "prov-ctrl Reprov"))?;
            println!("reprov: the device forgot its network and accepts new credentials");
        }
    }
    Ok(())
}
