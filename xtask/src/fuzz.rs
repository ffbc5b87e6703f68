//! `cargo xtask fuzz`: seeds, builds and runs the cargo-fuzz targets in `fuzz/`.
//!
//! ```text
//! cargo xtask fuzz --smoke [--smoke-secs N]   every target for N s (default 20), CI mode
//! cargo xtask fuzz --all [--time S]           every target for S s (default 600): the long run
//! cargo xtask fuzz TARGET [--time S]          one target for S s (default 600)
//! cargo xtask fuzz seed                       only (re)build fuzz/corpus/* from the vectors
//! cargo xtask fuzz list                       the target names
//! ```
//!
//! `fuzz/` lives outside the workspace and needs a nightly toolchain (sanitizers); this step
//! uses the installed `nightly` (installing a minimal one if none is present) and installs
//! `cargo-fuzz` when it is missing. Corpora are seeded from every hex value in the JSON
//! vectors under `tests/vectors`; they are build products (gitignored), so a fresh clone
//! regenerates them. A crash leaves its input under `fuzz/artifacts/<target>/` and fails the run.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{root, run};

/// Seconds per target in `--smoke` mode unless told otherwise.
const DEFAULT_SMOKE_SECS: u64 = 5;
/// Seconds for a single long run unless told otherwise.
const DEFAULT_LONG_SECS: u64 = 600;
/// Environment override for the CI smoke duration (e.g. `PROVKIT_FUZZ_SMOKE_SECS=5`).
const SMOKE_SECS_ENV: &str = "PROVKIT_FUZZ_SMOKE_SECS";
/// Targets whose input starts with a selector/flags byte: their seeds get both flag values.
const FLAGGED_TARGETS: [&str; 4] = [
    "handshake_sec0",
    "handshake_sec1",
    "handshake_sec2",
    "data_phase",
];

/// Targets that run SRP-3072 per input: libFuzzer must replay every seed before the clock
/// starts, so they get an evenly spread subset of the seeds.
const SLOW_TARGETS: [&str; 2] = ["handshake_sec2", "data_phase"];
/// Seeds a slow target gets at most.
const MAX_SLOW_SEEDS: usize = 120;

/// Entry point of `cargo xtask fuzz ...`.
pub fn fuzz(args: &[String]) -> Result<(), String> {
    let mut smoke = false;
    let mut all_long = false;
    let mut smoke_secs: Option<u64> = None;
    let mut time: Option<u64> = None;
    let mut target: Option<&str> = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--smoke" => smoke = true,
            "--all" => all_long = true,
            "--smoke-secs" => smoke_secs = Some(parse_secs(iter.next(), "--smoke-secs")?),
            "--time" => time = Some(parse_secs(iter.next(), "--time")?),
            other if other.starts_with('-') => {
                return Err(format!("unknown fuzz option `{other}`"));
            }
            other => target = Some(other),
        }
    }
    if all_long {
        if smoke || target.is_some() {
            return Err("--all runs every target; give no target and no --smoke".into());
        }
        return smoke_run(time.unwrap_or(DEFAULT_LONG_SECS));
    }
    match (smoke, target) {
        (true, None) => match smoke_secs {
            Some(secs) => smoke_run(secs),
            None => smoke_ci(),
        },
        (false, Some("seed")) => seed_corpora(&targets()?).map(|n| println!("seeded {n} files")),
        (false, Some("list")) => {
            targets()?.iter().for_each(|t| println!("{t}"));
            Ok(())
        }
        (false, Some(name)) => {
            let all = targets()?;
            if !all.iter().any(|t| t == name) {
                return Err(format!(
                    "no fuzz target `{name}`; known: {}",
                    all.join(", ")
                ));
            }
            let toolchain = prepare()?;
            seed_corpora(&all)?;
            run_target(&toolchain, name, time.unwrap_or(DEFAULT_LONG_SECS))
        }
        _ => Err(
            "usage: cargo xtask fuzz --smoke [--smoke-secs N] | --all [--time S] | TARGET [--time S] | seed | list"
                .to_string(),
        ),
    }
}

/// What `cargo xtask test` calls: every target for 5 s (or `$PROVKIT_FUZZ_SMOKE_SECS`).
pub fn smoke_ci() -> Result<(), String> {
    let secs = match std::env::var(SMOKE_SECS_ENV) {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("{SMOKE_SECS_ENV}={v:?} is not a number of seconds"))?,
        Err(_) => DEFAULT_SMOKE_SECS,
    };
    smoke_run(secs)
}

fn smoke_run(secs: u64) -> Result<(), String> {
    let toolchain = prepare()?;
    let all = targets()?;
    seed_corpora(&all)?;
    // One build for all targets, so the per-target time is spent fuzzing.
    run(Command::new("cargo")
        .arg(&toolchain)
        .args(["fuzz", "build", "--fuzz-dir"])
        .arg(fuzz_dir()))?;
    let mut failed = Vec::new();
    for target in &all {
        if let Err(e) = run_target_quiet(&toolchain, target, secs) {
            eprintln!("fuzz smoke: {target} FAILED: {e}");
            failed.push(target.clone());
        }
    }
    if failed.is_empty() {
        println!("fuzz smoke: {} targets x {secs} s, no crash", all.len());
        Ok(())
    } else {
        Err(format!(
            "fuzz smoke: crashes in {} (inputs under fuzz/artifacts/)",
            failed.join(", ")
        ))
    }
}

fn run_target(toolchain: &str, target: &str, secs: u64) -> Result<(), String> {
    run(&mut fuzz_command(toolchain, target, secs))
}

fn fuzz_command(toolchain: &str, target: &str, secs: u64) -> Command {
    let corpus = fuzz_dir().join("corpus").join(target);
    let mut cmd = Command::new("cargo");
    cmd.arg(toolchain)
        .args(["fuzz", "run", "--fuzz-dir"])
        .arg(fuzz_dir())
        .arg(target)
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={secs}"))
        // Generous per-input bound: sec2 inputs run SRP-3072 under ASan.
        .arg("-timeout=30")
        .arg("-rss_limit_mb=2048")
        .arg("-print_final_stats=1");
    cmd
}

/// A smoke run keeps libFuzzer's progress lines (megabytes over all targets) in
/// `fuzz/artifacts/<target>/smoke.log` and prints one summary line, or the log's tail when
/// the target fails.
fn run_target_quiet(toolchain: &str, target: &str, secs: u64) -> Result<(), String> {
    let dir = fuzz_dir().join("artifacts").join(target);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let log_path = dir.join("smoke.log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("cloning {}: {e}", log_path.display()))?;
    let mut cmd = fuzz_command(toolchain, target, secs);
    cmd.current_dir(root()).stdout(log).stderr(log_err);
    let status = cmd
        .status()
        .map_err(|e| format!("starting cargo fuzz for {target}: {e}"))?;
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    if status.success() {
        let runs = text
            .lines()
            .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
            .map(str::trim)
            .unwrap_or("?");
        println!("fuzz smoke: {target:<20} {runs:>9} inputs in {secs} s, no crash");
        Ok(())
    } else {
        let lines: Vec<&str> = text.lines().collect();
        for line in &lines[lines.len().saturating_sub(60)..] {
            eprintln!("  {line}");
        }
        Err(format!("{status} (full log: {})", log_path.display()))
    }
}

fn parse_secs(value: Option<&String>, flag: &str) -> Result<u64, String> {
    value
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{flag} needs a number of seconds"))
}

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

/// The `[[bin]]` names in fuzz/Cargo.toml, in file order.
fn targets() -> Result<Vec<String>, String> {
    let manifest = fuzz_dir().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("reading {}: {e}", manifest.display()))?;
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(value) = line.strip_prefix("name") {
            let name = value
                .trim_start()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"');
            names.push(name.to_string());
        }
    }
    if names.is_empty() {
        return Err(format!("no [[bin]] targets in {}", manifest.display()));
    }
    Ok(names)
}

/// Makes sure a nightly toolchain and cargo-fuzz exist; returns the `+toolchain` argument.
fn prepare() -> Result<String, String> {
    let list = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map_err(|e| format!("running rustup: {e}"))?;
    let listing = String::from_utf8_lossy(&list.stdout);
    let nightly = match listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .find(|name| name.starts_with("nightly"))
    {
        Some(name) => name.to_string(),
        None => {
            run(Command::new("rustup").args([
                "toolchain",
                "install",
                "nightly",
                "--profile",
                "minimal",
            ]))?;
            "nightly".to_string()
        }
    };
    let toolchain = format!("+{nightly}");
    let has_fuzz = Command::new("cargo")
        .args([toolchain.as_str(), "fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_fuzz {
        run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(toolchain)
}

/// Writes every hex value found in the vector JSON files into each target's corpus directory
/// (file name = hash of the content, so reruns are idempotent). Returns files written.
fn seed_corpora(targets: &[String]) -> Result<usize, String> {
    let vectors = root().join("tests/vectors");
    let mut json_files = Vec::new();
    collect_json(&vectors, &mut json_files)?;
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for file in &json_files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("reading {}: {e}", file.display()))?;
        seeds.extend(hex_strings(&text));
    }
    seeds.sort();
    seeds.dedup();
    let mut written = 0;
    for target in targets {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        for bytes in target_seeds(target) {
            written += write_seed(&dir, &bytes)?;
        }
        let step = if SLOW_TARGETS.contains(&target.as_str()) {
            seeds.len().div_ceil(MAX_SLOW_SEEDS).max(1)
        } else {
            1
        };
        for seed in seeds.iter().step_by(step) {
            let variants: Vec<Vec<u8>> = if FLAGGED_TARGETS.contains(&target.as_str()) {
                (0u8..2).map(|flag| [&[flag][..], seed].concat()).collect()
            } else {
                vec![seed.clone()]
            };
            for bytes in variants {
                written += write_seed(&dir, &bytes)?;
            }
        }
    }
    Ok(written)
}

/// Writes one seed file named by the hash of its content; 1 if it was new.
fn write_seed(dir: &Path, bytes: &[u8]) -> Result<usize, String> {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    let path = dir.join(format!("seed-{:016x}", hasher.finish()));
    if path.exists() {
        return Ok(0);
    }
    std::fs::write(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(1)
}

/// Hand-made seeds for targets whose input is not a protocol message of the vectors: a DHCP
/// exchange, a store record, GATT operations in the target's format.
fn target_seeds(target: &str) -> Vec<Vec<u8>> {
    const SEPARATOR: &[u8] = b"\xffSEP";
    let dhcp = |kind: u8, requested: Option<[u8; 4]>| {
        let mut p = vec![0u8; 240];
        p[0] = 1;
        p[1] = 1;
        p[2] = 6;
        p[4..8].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        p[28..34].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
        p[236..240].copy_from_slice(&[0x63, 0x82, 0x53, 0x63]);
        p.extend_from_slice(&[53, 1, kind]);
        if let Some(ip) = requested {
            p.extend_from_slice(&[50, 4]);
            p.extend_from_slice(&ip);
        }
        p.push(255);
        p
    };
    match target {
        "dhcp_server" => {
            // Clock step byte, then the datagram: DISCOVER, REQUEST, RELEASE.
            let mut seed = vec![0];
            seed.extend(dhcp(1, None));
            seed.extend_from_slice(SEPARATOR);
            seed.push(1);
            seed.extend(dhcp(3, Some([192, 168, 4, 2])));
            seed.extend_from_slice(SEPARATOR);
            seed.push(200);
            seed.extend(dhcp(7, None));
            vec![seed]
        }
        // Version 1, one profile: priority 0, flags bssid|channel, "HomeNet", "correct horse".
        "flash_record" => {
            let mut record = vec![1, 1, 0, 3, 7];
            record.extend_from_slice(b"HomeNet");
            record.push(13);
            record.extend_from_slice(b"correct horse");
            record.extend_from_slice(&[0x24, 0x0a, 0xc4, 0, 0, 1, 6]);
            vec![record]
        }
        // A write to prov-session (characteristic 2) of a sec1 Command0, then a GetStatus
        // record to prov-config (3), then a prepare + execute.
        "gatt_write_path" => {
            let mut seed = vec![
                0, 2, 0, 0, 0x10, 0x01, 0x5a, 0x25, 0xa2, 0x01, 0x22, 0x0a, 0x20,
            ];
            seed.extend_from_slice(&[0x42; 32]);
            seed.extend_from_slice(SEPARATOR);
            seed.extend_from_slice(&[0, 3, 0, 0, 0x08, 0x00]);
            seed.extend_from_slice(SEPARATOR);
            seed.extend_from_slice(&[1, 3, 0, 0, 0x08, 0x02, 0x62, 0x00]);
            seed.extend_from_slice(SEPARATOR);
            seed.extend_from_slice(&[2, 3, 0, 0]);
            vec![seed]
        }
        _ => Vec::new(),
    }
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("reading vectors {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("listing {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            collect_json(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Every JSON string literal that is non-empty, even-length lowercase hex, decoded. No JSON
/// parser needed: vector hex values never contain escapes.
fn hex_strings(text: &str) -> Vec<Vec<u8>> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            !s.is_empty()
                && s.len() % 2 == 0
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
        .filter_map(|s| {
            (0..s.len())
                .step_by(2)
                .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::hex_strings;

    #[test]
    fn extracts_only_hex_values() {
        let json = r#"{"body": "0a0b", "what": "SetConfig", "odd": "abc", "n": "12", "e": ""}"#;
        assert_eq!(hex_strings(json), vec![vec![0x0a, 0x0b], vec![0x12]]);
    }
}
