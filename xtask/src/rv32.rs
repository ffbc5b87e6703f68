//! `cargo xtask rv32-count`: retired RV32IMC instructions per device-side operation, provkit
//! next to an mbedTLS baseline, counted bare metal under QEMU.
//!
//! ```text
//! cargo xtask rv32-count [--check] [--update]
//! ```
//!
//! * provkit: `rv32count/` (its own workspace) built for `riscv32imc-unknown-none-elf` with the
//!   firmware's release profile at opt-level "s" and again at 3 (`release-o3`).
//! * mbedTLS: the C source that the crates.io crate `mbedtls-rs-sys` vendors (mbedTLS 3.6.5),
//!   downloaded by `cargo metadata` on `rv32count/mbedtls/source`, compiled with Debian's
//!   `gcc-riscv64-unknown-elf` against `picolibc-riscv64-unknown-elf` at -Os and -O3 with our
//!   driver (`rv32count/mbedtls/driver.c`), which does what ESP-IDF's esp_srp.c/security1.c do.
//! * Both run under `qemu-system-riscv32 -M virt -bios none -icount shift=0`, where `minstret`
//!   counts exactly the instructions the guest retired: deterministic, whatever the host load.
//!   Every operation replays a recorded session of `tests/vectors` and checks its output.
//!
//! `--check` (what `cargo xtask test` runs) compares every provkit count with the committed
//! figures in `rv32count/figures.txt` and fails when one grew by more than 5 %; `--update`
//! rewrites that file. The Debian packages are installed with apt-get when missing (CI runs as
//! root), the rustup target with `rustup target add`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How much a count may grow over the committed figure before `--check` fails.
const TOLERANCE: f64 = 0.05;

/// (opt-level shown, cargo profile, gcc flag)
const LEVELS: &[(&str, &str, &str)] = &[("s", "release", "-Os"), ("3", "release-o3", "-O3")];

/// The provkit operations, in print order, with the mbedTLS operation they compare with.
const OPERATIONS: &[(&str, Option<&str>, &str)] = &[
    (
        "sec2_handshake_prepared",
        Some("sec2_handshake"),
        "sec2 handshake, prepared (v table)",
    ),
    (
        "sec2_handshake_compact",
        Some("sec2_handshake"),
        "sec2 handshake, compact (no table)",
    ),
    (
        "sec2_handshake_unprepared",
        Some("sec2_handshake"),
        "sec2 handshake, unprepared config",
    ),
    (
        "sec2_prepare",
        None,
        "prepare(): the v table, once per device",
    ),
    (
        "sec2_request",
        Some("sec2_request"),
        "one encrypted request (GCM both ways)",
    ),
    ("sec1_handshake", Some("sec1_handshake"), "sec1 handshake"),
    ("mont_square", None, "one 3072-bit Montgomery squaring"),
    ("mont_mul", None, "one 3072-bit Montgomery multiplication"),
    ("scan_64", None, "constant-time scan, 64-entry table"),
    ("scan_16", None, "constant-time scan, 16-entry table"),
];

/// Debian packages: (a file that shows it is installed, package).
pub const PACKAGES: &[(&str, &str)] = &[
    ("/usr/bin/qemu-system-riscv32", "qemu-system-misc"),
    (
        "/usr/bin/riscv64-unknown-elf-gcc",
        "gcc-riscv64-unknown-elf",
    ),
    (
        "/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs",
        "picolibc-riscv64-unknown-elf",
    ),
];

/// The mbedTLS library files the driver needs.
const MBEDTLS_FILES: &[&str] = &[
    "aes.c",
    "bignum.c",
    "bignum_core.c",
    "constant_time.c",
    "ecp.c",
    "ecp_curves.c",
    "gcm.c",
    "platform_util.c",
    "sha256.c",
    "sha512.c",
    "cipher.c",
    "cipher_wrap.c",
    "block_cipher.c",
];

type Counts = BTreeMap<String, u64>;

/// The `cargo xtask test` step: `rv32-count --check`.
pub fn ci() -> Result<(), String> {
    rv32_count(&["--check".to_string()])
}

pub fn rv32_count(args: &[String]) -> Result<(), String> {
    let mut check = false;
    let mut update = false;
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            "--update" => update = true,
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: cargo xtask rv32-count [--check] [--update]"
                ));
            }
        }
    }
    let started = std::time::Instant::now();
    ensure_debian_packages(PACKAGES)?;
    crate::process::ensure_targets(&["riscv32imc-unknown-none-elf"])?;
    let mbedtls_src = mbedtls_source()?;

    // provkit[level] and mbedtls[level]: operation -> instructions.
    let mut provkit: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut mbedtls: BTreeMap<&str, Counts> = BTreeMap::new();
    for &(level, profile, gcc_flag) in LEVELS {
        let elf = build_provkit(profile)?;
        provkit.insert(level, run_qemu(&elf, "")?);
        let elf = build_mbedtls(&mbedtls_src, level, gcc_flag)?;
        mbedtls.insert(level, run_qemu(&elf, "mbedtls_")?);
    }
    print_table(&provkit, &mbedtls);
    eprintln!("rv32-count: {} s", started.elapsed().as_secs());

    let figures_path = crate::root().join("rv32count").join("figures.txt");
    if update {
        std::fs::write(&figures_path, figures_text(&provkit))
            .map_err(|e| format!("writing {}: {e}", figures_path.display()))?;
        println!("wrote {}", figures_path.display());
    }
    if check {
        let text = std::fs::read_to_string(&figures_path)
            .map_err(|e| format!("reading {}: {e}", figures_path.display()))?;
        compare(&parse_figures(&text)?, &provkit)?;
    }
    Ok(())
}

/// Installs the Debian packages whose marker file is missing (apt-get, as CI runs as root).
pub fn ensure_debian_packages(packages: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(marker, _)| !Path::new(marker).exists())
        .map(|&(_, package)| package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("installing Debian packages: {}", missing.join(" "));
    crate::run(Command::new("apt-get").arg("update").arg("-qq"))?;
    crate::run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .map_err(|e| format!("{e} (installing {} needs root)", missing.join(" ")))
}

fn rv32count_dir() -> PathBuf {
    crate::root().join("rv32count")
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn build_provkit(profile: &str) -> Result<PathBuf, String> {
    let dir = rv32count_dir();
    // From rv32count/, so cargo reads rv32count/.cargo/config.toml (target, rustflags).
    let mut cmd = cargo();
    cmd.args(["build", "--profile", profile]).current_dir(&dir);
    eprintln!("$ (in rv32count/) {cmd:?}");
    let status = cmd.status().map_err(|e| format!("starting cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building rv32count ({profile}) failed with {status}"
        ));
    }
    Ok(dir
        .join("target")
        .join("riscv32imc-unknown-none-elf")
        .join(profile)
        .join("provkit-rv32count"))
}

/// The `mbedtls/` directory of the mbedtls-rs-sys crate that cargo downloaded.
fn mbedtls_source() -> Result<PathBuf, String> {
    let manifest = rv32count_dir()
        .join("mbedtls")
        .join("source")
        .join("Cargo.toml");
    let out = cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .map_err(|e| format!("running cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata on {} failed: {}",
            manifest.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("parsing cargo metadata: {e}"))?;
    let package = meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "mbedtls-rs-sys"))
        .ok_or("cargo metadata lists no mbedtls-rs-sys")?;
    let path = package["manifest_path"]
        .as_str()
        .ok_or("mbedtls-rs-sys has no manifest path")?;
    let dir = Path::new(path)
        .parent()
        .ok_or("odd manifest path")?
        .join("mbedtls");
    if dir.join("library").join("bignum.c").is_file() {
        Ok(dir)
    } else {
        Err(format!("no mbedTLS source under {}", dir.display()))
    }
}

fn build_mbedtls(src: &Path, level: &str, gcc_flag: &str) -> Result<PathBuf, String> {
    let here = rv32count_dir().join("mbedtls");
    let out_dir = rv32count_dir()
        .join("target")
        .join("mbedtls")
        .join(format!("opt-{level}"));
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    std::fs::write(out_dir.join("vectors.h"), vectors_header()?)
        .map_err(|e| format!("writing vectors.h: {e}"))?;
    let elf = out_dir.join("mbedtls-baseline.elf");
    // Compiled for RV32IMC (+ Zicsr for the counter reads), without strict aliasing: GCC
    // 12.2's -O3 build of mbedTLS 3.6's gcm.c fails its own tag check otherwise (the -Os build
    // does not), a type-punning hazard in the C, not in the comparison. Debian's picolibc has no rv32imc
    // multilib, so the link picks rv32im's libc and libgcc (memcpy, malloc, __clzsi2: the same
    // instructions without the compressed encodings).
    let mut compile = Command::new("riscv64-unknown-elf-gcc");
    compile
        .args([
            "-c",
            "-march=rv32imc_zicsr",
            "-mabi=ilp32",
            gcc_flag,
            "-fno-strict-aliasing",
            "-ffunction-sections",
            "-fdata-sections",
            "--specs=picolibc.specs",
            "-DMBEDTLS_CONFIG_FILE=\"config.h\"",
        ])
        .arg(format!("-I{}", here.display()))
        .arg(format!("-I{}", out_dir.display()))
        .arg(format!("-I{}", src.join("include").display()))
        .arg(format!("-I{}", src.join("library").display()))
        .arg(here.join("start.S"))
        .arg(here.join("driver.c"));
    for file in MBEDTLS_FILES {
        compile.arg(src.join("library").join(file));
    }
    compile.current_dir(&out_dir);
    eprintln!("$ (in {}) {compile:?}", out_dir.display());
    let status = compile
        .status()
        .map_err(|e| format!("starting riscv64-unknown-elf-gcc: {e}"))?;
    if !status.success() {
        return Err(format!(
            "compiling the mbedTLS baseline failed with {status}"
        ));
    }
    let mut cmd = Command::new("riscv64-unknown-elf-gcc");
    cmd.args([
        "-march=rv32im",
        "-mabi=ilp32",
        "--specs=picolibc.specs",
        "-nostartfiles",
        "-Wl,--gc-sections",
    ])
    .arg(format!("-T{}", rv32count_dir().join("link.ld").display()));
    cmd.arg(out_dir.join("start.o"))
        .arg(out_dir.join("driver.o"));
    for file in MBEDTLS_FILES {
        cmd.arg(out_dir.join(file.replace(".c", ".o")));
    }
    cmd.arg("-o").arg(&elf);
    crate::run(&mut cmd)?;
    Ok(elf)
}

/// The recorded values the C driver replays and checks, as C arrays.
fn vectors_header() -> Result<String, String> {
    let vectors = crate::root().join("tests").join("vectors");
    let read = |name: &str| -> Result<serde_json::Value, String> {
        let path = vectors.join(name);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
    };
    let hex = |v: &serde_json::Value| -> Result<Vec<u8>, String> {
        let s = v.as_str().ok_or("expected a hex string")?;
        (0..s.len())
            .step_by(2)
            .map(|i| {
                s.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad hex `{s}`"))
            })
            .collect()
    };
    let mut out = String::from("/* Generated by cargo xtask rv32-count from tests/vectors. */\n");
    let mut emit = |name: &str, bytes: Vec<u8>| {
        let _ = write!(out, "static const uint8_t {name}[{}] = {{", bytes.len());
        for b in &bytes {
            let _ = write!(out, "{b},");
        }
        out.push_str("};\n");
    };
    let sec2 = read("sec2_patch1.json")?;
    let case = &sec2["cases"][0];
    let (inputs, derived) = (&case["inputs"], &case["derived"]);
    let messages = &case["session_messages"];
    emit("SEC2_N", hex(&sec2["srp"]["N"])?);
    emit(
        "SEC2_USERNAME",
        inputs["username"]
            .as_str()
            .ok_or("username")?
            .as_bytes()
            .to_vec(),
    );
    emit("SEC2_SALT", hex(&inputs["salt"])?);
    emit("SEC2_VERIFIER", hex(&inputs["verifier"])?);
    emit("SEC2_B_SECRET", hex(&inputs["b"])?);
    emit("SEC2_A", hex(&derived["A"])?);
    emit("SEC2_B_PUBLIC", hex(&derived["B"])?);
    emit("SEC2_U", hex(&derived["u"])?);
    emit("SEC2_S", hex(&derived["S"])?);
    emit("SEC2_K", hex(&derived["K"])?);
    emit("SEC2_M", hex(&derived["M"])?);
    emit("SEC2_H_AMK", hex(&derived["H_AMK"])?);
    emit("SEC2_GCM_KEY", hex(&derived["aes256_gcm_key"])?);
    emit("SEC2_REQUEST_NONCE", hex(&messages[0]["nonce"])?);
    emit("SEC2_REQUEST_CT", hex(&messages[0]["ciphertext"])?);
    emit("SEC2_REQUEST_PT", hex(&messages[0]["plaintext"])?);
    emit("SEC2_ANSWER_NONCE", hex(&messages[1]["nonce"])?);
    emit("SEC2_ANSWER_PT", hex(&messages[1]["plaintext"])?);
    emit("SEC2_ANSWER_CT", hex(&messages[1]["ciphertext"])?);
    if messages[0]["from"] != "client" || messages[1]["from"] != "device" {
        return Err("sec2 session messages 0 and 1 are not client then device".into());
    }
    let sec1 = read("sec1.json")?;
    let case = &sec1["cases"][0];
    let (inputs, derived) = (&case["inputs"], &case["derived"]);
    let steps = &case["handshake"];
    emit(
        "SEC1_POP",
        inputs["pop"].as_str().ok_or("pop")?.as_bytes().to_vec(),
    );
    emit("SEC1_DEVICE_SECRET", hex(&inputs["device_private_key"])?);
    emit("SEC1_DEVICE_RANDOM", hex(&inputs["device_random"])?);
    emit("SEC1_CLIENT_PUBLIC", hex(&derived["client_public_key"])?);
    emit("SEC1_DEVICE_PUBLIC", hex(&derived["device_public_key"])?);
    emit("SEC1_SHARED", hex(&derived["x25519_shared_secret"])?);
    emit(
        "SEC1_CLIENT_VERIFY",
        hex(&steps[2]["decoded"]["sec1"]["sc1"]["client_verify_data"])?,
    );
    emit(
        "SEC1_DEVICE_VERIFY",
        hex(&steps[3]["decoded"]["sec1"]["sr1"]["device_verify_data"])?,
    );
    Ok(out)
}

/// Runs one bare-metal ELF under QEMU and collects its `rv32count <prefix><op> <n>` lines.
fn run_qemu(elf: &Path, prefix: &str) -> Result<Counts, String> {
    let mut cmd = Command::new("qemu-system-riscv32");
    cmd.args([
        "-M",
        "virt",
        "-bios",
        "none",
        "-icount",
        "shift=0",
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        "stdio",
        "-kernel",
    ])
    .arg(elf);
    eprintln!("$ {cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| format!("starting qemu-system-riscv32: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut counts = Counts::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("rv32count") {
            continue;
        }
        let (Some(name), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        if let (Some(op), Ok(n)) = (name.strip_prefix(prefix), value.parse::<u64>()) {
            counts.insert(op.to_string(), n);
        }
    }
    if !out.status.success() || text.contains("mismatch") || text.contains("panic") {
        return Err(format!(
            "{} failed ({}):\n{text}{}",
            elf.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(counts)
}

fn millions(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.2} M", n as f64 / 1e6)
    } else if n >= 10_000 {
        format!("{:.1} k", n as f64 / 1e3)
    } else {
        format!("{n}")
    }
}

fn print_table(provkit: &BTreeMap<&str, Counts>, mbedtls: &BTreeMap<&str, Counts>) {
    println!("\nRetired RV32IMC instructions (QEMU virt, -icount shift=0, minstret):\n");
    println!(
        "| operation | provkit s | provkit 3 | mbedTLS -Os | mbedTLS -O3 | ratio s | ratio 3 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for &(op, base, what) in OPERATIONS {
        let ours = |level: &str| provkit.get(level).and_then(|c| c.get(op)).copied();
        let theirs =
            |level: &str| base.and_then(|b| mbedtls.get(level).and_then(|c| c.get(b)).copied());
        let cell = |v: Option<u64>| v.map(millions).unwrap_or_else(|| "—".into());
        let ratio = |level: &str| match (ours(level), theirs(level)) {
            (Some(a), Some(b)) if b > 0 => format!("{:.3}×", a as f64 / b as f64),
            _ => "—".into(),
        };
        println!(
            "| {what} | {} | {} | {} | {} | {} | {} |",
            cell(ours("s")),
            cell(ours("3")),
            cell(theirs("s")),
            cell(theirs("3")),
            ratio("s"),
            ratio("3")
        );
    }
    println!();
}

fn figures_text(provkit: &BTreeMap<&str, Counts>) -> String {
    let mut out = String::from(
        "# RV32IMC instruction counts of rv32count/ (cargo xtask rv32-count --update).\n\
         # `cargo xtask test` fails when a count grows by more than 5 % over these.\n\
         # opt-level operation instructions\n",
    );
    for (level, counts) in provkit {
        for (op, n) in counts {
            let _ = writeln!(out, "{level} {op} {n}");
        }
    }
    out
}

fn parse_figures(text: &str) -> Result<BTreeMap<(String, String), u64>, String> {
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            [level, op, n] => {
                let n = n
                    .parse()
                    .map_err(|_| format!("figures.txt: bad count in `{line}`"))?;
                out.insert((level.to_string(), op.to_string()), n);
            }
            _ => return Err(format!("figures.txt: bad line `{line}`")),
        }
    }
    Ok(out)
}

fn compare(
    committed: &BTreeMap<(String, String), u64>,
    measured: &BTreeMap<&str, Counts>,
) -> Result<(), String> {
    let mut grew = Vec::new();
    let mut shrank = Vec::new();
    for ((level, op), &old) in committed {
        let Some(&new) = measured.get(level.as_str()).and_then(|c| c.get(op)) else {
            grew.push(format!("{op} at opt-level {level}: no longer measured"));
            continue;
        };
        let change = new as f64 / old as f64 - 1.0;
        let line = format!(
            "{op} at opt-level {level}: {old} -> {new} ({:+.1} %)",
            100.0 * change
        );
        if change > TOLERANCE {
            grew.push(line);
        } else if change < -TOLERANCE {
            shrank.push(line);
        }
    }
    if !shrank.is_empty() {
        eprintln!(
            "rv32-count: faster than the committed figures (run `cargo xtask rv32-count --update`):\n  {}",
            shrank.join("\n  ")
        );
    }
    if grew.is_empty() {
        println!(
            "rv32-count: every count within {:.0} % of rv32count/figures.txt",
            100.0 * TOLERANCE
        );
        Ok(())
    } else {
        Err(format!(
            "instruction counts grew by more than {:.0} %:\n  {}",
            100.0 * TOLERANCE,
            grew.join("\n  ")
        ))
    }
}
