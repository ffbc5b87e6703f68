//! `provkit`: the command line of the provkit stack (top layer).
//!
//! * `provkit sim` — a provisioning device on this computer (provkit-sim): a real HTTP server
//!   that Espressif's esp_prov and phone apps provision, a simulated radio, a file store.
//! * `provkit provision` / `provkit scan` — the Rust client (provkit-client) against any device.
//! * `provkit gen-sec2` — security 2 salt and verifier for firmware.
//!
//! Every failure ends with one sentence on stderr and a non-zero exit status.

mod output;
mod sim;

use clap::{Args, Parser, Subcommand};
use provkit_client::http::HttpTransport;
use provkit_client::{
    Client, ClientError, PollPolicy, ScanPlan, Scheme, Secrets, SecurityPolicy, WifiCredentials,
    security_config,
};
use provkit_sim::provkit_security::rand_core::SeedableRng;
use provkit_sim::provkit_security::{Sec2Patch, generate_sec2_credentials};
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
    /// Generate security 2 (SRP6a) salt and verifier for a username and password.
    #[command(name = "gen-sec2")]
    GenSec2(GenSec2Args),
}

#[derive(Args, Debug, Clone)]
struct ClientArgs {
    /// The device's HTTP address, host:port.
    #[arg(long = "http", value_name = "ADDR", default_value = "192.168.4.1:80")]
    http: String,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sim(args) => sim::run(args),
        Command::Provision(args) => provision(args),
        Command::Scan(args) => scan(args),
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

fn gen_sec2(args: GenSec2Args) -> Result<(), String> {
    let mut rng = os_rng()?;
    let (salt, verifier) = generate_sec2_credentials(
        args.username.as_bytes(),
        args.password.as_bytes(),
        usize::from(args.salt_len),
        &mut rng,
    )
    .map_err(|e| format!("generating the sec2 verifier failed: {e:?}"))?;
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

/// proto-ver, scheme choice (the flag wins over detection), handshake; with progress lines.
fn connect(args: &ClientArgs) -> Result<Client<HttpTransport>, String> {
    let mut rng = os_rng()?;
    let mut client = Client::new(HttpTransport::new(&args.http));
    eprintln!("connecting to {} ...", args.http);
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
    client
        .establish_session(config, &mut rng)
        .map_err(|e| describe(&e, "establishing the session (wrong PoP or password?)"))?;
    eprintln!("session established");
    Ok(client)
}

fn describe(error: &ClientError, doing: &str) -> String {
    format!("{doing} failed: {error}")
}

fn provision(args: ProvisionArgs) -> Result<(), String> {
    let mut client = connect(&args.client)?;
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
    let entries = client
        .scan(&ScanPlan::HTTP, || {
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
