//! `provkit-bench`: replays recorded client messages against the device side so an outside
//! profiler (callgrind) can count the instructions of exactly the device's work.
//!
//! ```text
//! provkit-bench handshake --sec 2 --count N [--cold] [--compact | --facade | --client] [--vectors DIR]
//! provkit-bench handshake --sec 1 --count N [--vectors DIR]
//! ```
//!
//! `--sec 1` replays `sec1.json` case 0 (X25519 + PoP) the same way. `--client` replays the
//! client side of the sec2 session instead (its recorded randomness and the device's recorded
//! responses; every request it sends is checked against the recording).
//!
//! ```text
//! provkit-bench request --kind get-status|set-config --count N
//! provkit-bench heap
//! provkit-bench sessions [--devices N] [--per-device K] [--seconds S] [--unprepared]
//! ```
//!
//! `request` answers one recorded encrypted request N times through `Device::handle` on an
//! established sec2 session (all set-up, the handshake included, also runs for `--count 0`),
//! checking every answer. `heap` reports the peak heap of one device-side sec2 handshake
//! (counting global allocator), prepared and unprepared. `sessions` measures sessions per
//! second through provkit-sim's real HTTP server with N devices and N client threads, next to
//! the bound of the same crypto measured in memory in the same run.
//!
//! Replays the client messages of `sec2_patch1.json` case 0 against the device N times,
//! checks every response equals the recording, and prints the mean time per handshake. The
//! per-device precomputation (`DeviceCredentials`) is built once before the loop — also for
//! `--count 0`, so `count 1` minus `count 0` under callgrind is one handshake. `--cold`
//! rebuilds it inside every iteration (what `DeviceAwaitCmd0::new` per session costs).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use provkit_bench::{Sec1Replay, Sec2Replay, default_vectors_dir};

mod commands;

struct Args {
    sec: u8,
    count: u64,
    cold: bool,
    compact: bool,
    facade: bool,
    client: bool,
    vectors: PathBuf,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        sec: 2,
        count: 1,
        cold: false,
        compact: false,
        facade: false,
        client: false,
        vectors: default_vectors_dir(),
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--sec" => args.sec = value()?.parse().map_err(|e| format!("--sec: {e}"))?,
            "--count" => args.count = value()?.parse().map_err(|e| format!("--count: {e}"))?,
            "--vectors" => args.vectors = PathBuf::from(value()?),
            "--cold" => args.cold = true,
            "--compact" => args.compact = true,
            "--facade" => args.facade = true,
            "--client" => args.client = true,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(args)
}

const USAGE: &str = "usage: provkit-bench handshake --sec 1|2 --count N [--cold] [--compact | --facade | --client] [--vectors DIR]
       provkit-bench request --kind get-status|set-config --count N
       provkit-bench heap [--vectors DIR]
       provkit-bench sessions [--devices N] [--per-device K] [--seconds S] [--unprepared]";

fn main() -> ExitCode {
    let mut it = std::env::args().skip(1);
    let outcome = match it.next().as_deref() {
        Some("handshake") => return handshake(it),
        Some("request") => commands::request(it),
        Some("heap") => commands::heap(it),
        Some("sessions") => commands::sessions(it),
        other => Err(format!("unknown command {other:?}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("provkit-bench: {e}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn handshake(it: impl Iterator<Item = String>) -> ExitCode {
    let args = match parse(it) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("provkit-bench: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match args.sec {
        1 => return run_sec1(&args),
        2 => {}
        other => {
            eprintln!("provkit-bench: --sec {other} is not benchmarked (1 or 2)");
            return ExitCode::from(2);
        }
    }
    let replay = match Sec2Replay::load(&args.vectors) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("provkit-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.facade {
        return run_facade(&args, &replay);
    }
    if args.client {
        let start = Instant::now();
        for _ in 0..args.count {
            if !replay.client_handshake() {
                eprintln!("provkit-bench: client requests differ from the recording");
                return ExitCode::FAILURE;
            }
        }
        print_mean(
            "sec2 client handshake (start, Response0, Response1)",
            args.count,
            start.elapsed(),
        );
        return ExitCode::SUCCESS;
    }
    let build = || {
        if args.compact {
            replay.compact_credentials()
        } else {
            replay.credentials()
        }
    };
    let warm = build();
    let start = Instant::now();
    for _ in 0..args.count {
        let cold;
        let credentials = if args.cold {
            cold = build();
            &cold
        } else {
            &warm
        };
        let (r0, r1, _) = replay.device_handshake(credentials);
        if r0 != replay.response0 || r1 != replay.response1 {
            eprintln!("provkit-bench: device response differs from the recording");
            return ExitCode::FAILURE;
        }
    }
    let elapsed = start.elapsed();
    let what = match (args.cold, args.compact) {
        (true, false) => "sec2 device handshake (cold: credentials and v table rebuilt each run)",
        (false, false) => "sec2 device handshake (warm: shared credentials with v table)",
        (true, true) => "sec2 device handshake (compact credentials, rebuilt each run)",
        (false, true) => "sec2 device handshake (compact credentials, no v table)",
    };
    print_mean(what, args.count, elapsed);
    ExitCode::SUCCESS
}

fn print_mean(what: &str, count: u64, elapsed: std::time::Duration) {
    if count > 0 {
        let mean = elapsed / u32::try_from(count).unwrap_or(u32::MAX);
        println!(
            "{what}: {count} runs, mean {:.3} ms",
            mean.as_secs_f64() * 1e3
        );
    } else {
        println!("{what}: 0 runs (setup only)");
    }
}

fn run_sec1(args: &Args) -> ExitCode {
    let replay = match Sec1Replay::load(&args.vectors) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("provkit-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    for _ in 0..args.count {
        let (r0, r1) = replay.device_handshake();
        if r0 != replay.response0 || r1 != replay.response1 {
            eprintln!("provkit-bench: device response differs from the recording");
            return ExitCode::FAILURE;
        }
    }
    print_mean("sec1 device handshake", args.count, start.elapsed());
    ExitCode::SUCCESS
}

fn run_facade(args: &Args, replay: &Sec2Replay) -> ExitCode {
    let warm = replay.prepared_config();
    let unprepared = replay.unprepared_config();
    let start = Instant::now();
    for _ in 0..args.count {
        let config = if args.cold { &unprepared } else { &warm };
        let (r0, r1) = replay.facade_handshake(config);
        if r0 != replay.response0 || r1 != replay.response1 {
            eprintln!("provkit-bench: device response differs from the recording");
            return ExitCode::FAILURE;
        }
    }
    let what = if args.cold {
        "sec2 device handshake via DeviceSession (unprepared config, cloned per session)"
    } else {
        "sec2 device handshake via DeviceSession (one prepared config, cloned per session)"
    };
    print_mean(what, args.count, start.elapsed());
    ExitCode::SUCCESS
}
