//! `cargo xtask flash`: build the ESP32 reference firmware (`firmware/`), flash it with
//! espflash and open the monitor, or write the flashable image (`--image-only`); plus the size
//! report that `cargo xtask test` prints through [`firmware_ci`].
//!
//! ```text
//! cargo xtask flash --board <esp32c3-devkitm-1|esp32c6-devkitc-1|esp8684-devkitm-1> [--transport ble|softap]
//!                   [--portal] [--port PORT] [--username U --password P] [--image-only FILE]
//! ```
//!
//! `--portal` (with `--transport softap` only) builds the captive portal in (the reference
//! firmware's `portal` feature): page and JSON API beside protocomm, DNS on UDP port 53.
//!
//! The firmware is its own Cargo workspace (bare-metal target, esp-hal dependency set), so it
//! is built with `--manifest-path firmware/Cargo.toml` into `firmware/target`. The security 2
//! username/password go to the firmware's build script as environment variables; it turns them
//! into the SRP salt + verifier, so the password never enters the image.
//!
//! espflash is used as the installed CLI (`cargo install espflash --locked` when missing)
//! rather than as a library: its library pulls serial-port and USB crates into the host
//! workspace's lock file for every developer, while only flashing needs them.
//!
//! The size report parses the ELF itself (ELF32 section headers and symbol table: a few dozen
//! lines) so it needs neither `llvm-size` nor an extra crate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{cargo, ensure_targets, root, run};

/// A board the reference firmware supports: its Cargo feature, target triple and chip.
#[derive(Clone, Copy, Debug)]
pub struct Board {
    pub name: &'static str,
    pub target: &'static str,
    pub chip: &'static str,
}

pub const BOARDS: &[Board] = &[
    Board {
        name: "esp32c3-devkitm-1",
        target: "riscv32imc-unknown-none-elf",
        chip: "esp32c3",
    },
    Board {
        name: "esp32c6-devkitc-1",
        target: "riscv32imac-unknown-none-elf",
        chip: "esp32c6",
    },
    // ESP32-C2: no RSA accelerator, so sec2 runs in software (docs/PERFORMANCE.md, RV32).
    Board {
        name: "esp8684-devkitm-1",
        target: "riscv32imc-unknown-none-elf",
        chip: "esp32c2",
    },
];

/// Provisioning transport compiled into the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Ble,
    SoftAp,
}

/// Parsed `cargo xtask flash` arguments.
#[derive(Debug)]
struct FlashArgs {
    board: Board,
    transport: Transport,
    /// The captive portal (feature `portal`; SoftAP only).
    portal: bool,
    port: Option<String>,
    username: Option<String>,
    password: Option<String>,
    image_only: Option<PathBuf>,
}

const USAGE: &str = "usage: cargo xtask flash --board <esp32c3-devkitm-1|esp32c6-devkitc-1|esp8684-devkitm-1> \
                     [--transport ble|softap] [--portal] [--port PORT] [--username U --password P] \
                     [--image-only FILE]";

fn parse_args(args: &[String]) -> Result<FlashArgs, String> {
    let mut board = None;
    let mut transport = Transport::Ble;
    let mut portal = false;
    let mut port = None;
    let mut username = None;
    let mut password = None;
    let mut image_only = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("`{flag}` needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--board" => {
                let name = value()?;
                board = Some(
                    BOARDS
                        .iter()
                        .copied()
                        .find(|b| b.name == name)
                        .ok_or_else(|| format!("unknown board `{name}`\n{USAGE}"))?,
                );
            }
            "--transport" => {
                transport = match value()?.as_str() {
                    "ble" => Transport::Ble,
                    "softap" => Transport::SoftAp,
                    other => return Err(format!("unknown transport `{other}`\n{USAGE}")),
                }
            }
            "--portal" => portal = true,
            "--port" => port = Some(value()?),
            "--username" => username = Some(value()?),
            "--password" => password = Some(value()?),
            "--image-only" => image_only = Some(PathBuf::from(value()?)),
            "--help" | "-h" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if portal && transport != Transport::SoftAp {
        return Err(format!(
            "--portal serves the captive portal on the SoftAP: add --transport softap\n{USAGE}"
        ));
    }
    if username.is_some() != password.is_some() {
        return Err(format!("--username and --password go together\n{USAGE}"));
    }
    Ok(FlashArgs {
        board: board.ok_or_else(|| format!("--board is required\n{USAGE}"))?,
        transport,
        portal,
        port,
        username,
        password,
        image_only,
    })
}

/// `cargo xtask flash ...`
pub fn flash(args: &[String]) -> Result<(), String> {
    flash_with(parse_args(args)?, true)
}

fn flash_with(args: FlashArgs, print_sizes: bool) -> Result<(), String> {
    let credentials = args.username.as_deref().zip(args.password.as_deref());
    // Without a board, fail before the (long) build rather than after it.
    let port = match &args.image_only {
        Some(_) => None,
        None => Some(find_port(args.port.as_deref())?),
    };
    let elf = build_firmware(args.board, args.transport, args.portal, credentials)?;
    if print_sizes {
        print_size_table(&[(args.board, elf.clone())])?;
    }
    let espflash = ensure_espflash()?;
    match (&args.image_only, port) {
        (Some(out), _) => save_image(&espflash, args.board, &elf, out),
        (None, Some(port)) => run(Command::new(&espflash)
            .args(["flash", "--monitor", "--chip", args.board.chip, "--port"])
            .arg(&port)
            .arg(&elf)),
        (None, None) => Err("no serial port".into()),
    }
}

/// Boards whose images `cargo xtask test` builds: the ESP32-C3 (the reference board) and the
/// ESP32-C2 (no RSA accelerator: the software sec2 path). The C6 is built with `--all`; the
/// crates it adds to the C3's (riscv32imac) are built by the no_std step.
const CI_BOARDS: &[&str] = &["esp32c3-devkitm-1", "esp8684-devkitm-1"];

/// `cargo xtask firmware [--all]`: the CI boards' images (every board's with `--all`) through
/// `--image-only`, then the sizes.
pub fn firmware(args: &[String]) -> Result<(), String> {
    match args {
        [] => firmware_images(false),
        [all] if all == "--all" => firmware_images(true),
        _ => Err("usage: cargo xtask firmware [--all]".into()),
    }
}

/// What `cargo xtask test` runs: the CI boards' images and their sizes.
pub fn firmware_ci() -> Result<(), String> {
    firmware_images(false)
}

fn firmware_images(all: bool) -> Result<(), String> {
    let out_dir = firmware_dir().join("target").join("images");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    let mut built = Vec::new();
    let mut failed = Vec::new();
    // Every board is attempted, so one broken board still reports the other's sizes.
    for board in BOARDS.iter().filter(|b| all || CI_BOARDS.contains(&b.name)) {
        let out = out_dir.join(format!("{}.bin", board.name));
        let args = FlashArgs {
            board: *board,
            transport: Transport::Ble,
            portal: false,
            port: None,
            username: None,
            password: None,
            image_only: Some(out),
        };
        match flash_with(args, false) {
            Ok(()) => built.push((*board, elf_path(*board))),
            Err(e) => failed.push(format!("{}: {e}", board.name)),
        }
    }
    if !built.is_empty() {
        print_size_table(&built)?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("firmware images failed: {}", failed.join("; ")))
    }
}

fn firmware_dir() -> PathBuf {
    root().join("firmware")
}

fn elf_path(board: Board) -> PathBuf {
    firmware_dir()
        .join("target")
        .join(board.target)
        .join("release")
        .join("provkit-reference")
}

/// Builds the reference firmware in release and returns the ELF's path.
fn build_firmware(
    board: Board,
    transport: Transport,
    portal: bool,
    credentials: Option<(&str, &str)>,
) -> Result<PathBuf, String> {
    ensure_targets(&[board.target])?;
    let mut features = board.name.to_string();
    if transport == Transport::SoftAp {
        features.push_str(",softap");
    }
    if portal {
        features.push_str(",portal");
    }
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--manifest-path"])
        .arg(firmware_dir().join("Cargo.toml"))
        .args(["-p", "provkit-reference", "--target", board.target])
        .args(["--features", &features]);
    // The firmware build script derives salt + verifier from these; without them it uses the
    // ESP-IDF example credentials. Removed explicitly so a stale shell export cannot leak in.
    match credentials {
        Some((user, pass)) => {
            cmd.env("PROVKIT_SEC2_USERNAME", user)
                .env("PROVKIT_SEC2_PASSWORD", pass);
        }
        None => {
            cmd.env_remove("PROVKIT_SEC2_USERNAME")
                .env_remove("PROVKIT_SEC2_PASSWORD");
        }
    }
    cmd.env_remove("PROVKIT_SEC2_SALT_HEX")
        .env_remove("PROVKIT_SEC2_VERIFIER_HEX");
    // From firmware/, so cargo reads firmware/.cargo/config.toml (target rustflags).
    eprintln!("$ (in firmware/) {cmd:?}");
    let status = cmd
        .current_dir(firmware_dir())
        .status()
        .map_err(|e| format!("starting cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "firmware build for {} failed with {status}",
            board.name
        ));
    }
    let elf = elf_path(board);
    if elf.is_file() {
        Ok(elf)
    } else {
        Err(format!("build succeeded but {} is missing", elf.display()))
    }
}

/// The serial port to flash through: `--port`, else `ESPFLASH_PORT`, else the one USB serial
/// device present. Zero candidates is the error users hit most, so it names both ways out.
fn find_port(explicit: Option<&str>) -> Result<String, String> {
    if let Some(port) = explicit {
        return Ok(port.to_string());
    }
    if let Ok(port) = std::env::var("ESPFLASH_PORT") {
        return Ok(port);
    }
    let prefixes = ["ttyUSB", "ttyACM", "cu.usbserial", "cu.usbmodem", "cu.SLAB"];
    let mut found: Vec<String> = std::fs::read_dir("/dev")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| prefixes.iter().any(|p| name.starts_with(p)))
                .map(|name| format!("/dev/{name}"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    match found.len() {
        0 => Err(
            "no serial port found: connect the board and pass `--port PORT` \
                  (or set ESPFLASH_PORT), or use `--image-only FILE` to write the image \
                  without a board"
                .into(),
        ),
        1 => Ok(found.remove(0)),
        _ => Err(format!(
            "several serial ports found ({}): choose one with `--port PORT`, or use \
             `--image-only FILE` to write the image without a board",
            found.join(", ")
        )),
    }
}

/// The espflash CLI, installed with `cargo install espflash --locked` when missing.
fn ensure_espflash() -> Result<PathBuf, String> {
    let works = |p: &Path| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let on_path = PathBuf::from("espflash");
    if works(&on_path) {
        return Ok(on_path);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let installed = cargo_home.map(|h| h.join("bin").join("espflash"));
    if let Some(p) = &installed
        && works(p)
    {
        return Ok(p.clone());
    }
    eprintln!("espflash not found; installing it (one time, takes a few minutes)");
    run(cargo().args(["install", "espflash", "--locked"]))?;
    match installed {
        Some(p) if works(&p) => Ok(p),
        _ if works(&on_path) => Ok(on_path),
        _ => Err("`cargo install espflash --locked` finished but espflash does not run".into()),
    }
}

/// espflash's `save-image`, merged (bootloader + partition table + app) so the one file can
/// be written at offset 0 by any flasher, without trailing padding to the flash size.
fn save_image(espflash: &Path, board: Board, elf: &Path, out: &Path) -> Result<(), String> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    // Relative FILE means relative to where the user ran `cargo xtask`, but `crate::run`
    // switches to the workspace root; cargo runs xtask from the invocation directory.
    let out = std::env::current_dir()
        .map(|cwd| cwd.join(out))
        .unwrap_or_else(|_| out.to_path_buf());
    run(Command::new(espflash)
        .args([
            "save-image",
            "--merge",
            "--skip-padding",
            "--skip-update-check",
        ])
        .args(["--chip", board.chip])
        .arg(elf)
        .arg(&out))?;
    let len = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!("wrote {} ({len} bytes)", out.display());
    Ok(())
}

/// Sizes of one image, in bytes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImageSizes {
    /// Executable sections (in flash, or copied from flash into IRAM).
    pub text: u64,
    /// Read-only data.
    pub rodata: u64,
    /// Initialised RAM data (its initial image also sits in flash).
    pub data: u64,
    /// Zero-initialised RAM.
    pub bss: u64,
    /// Executable bytes placed in SRAM (`.trap`, `.rwtext*`): part of `text` and of RAM.
    pub iram: u64,
    /// Flash bytes (code + read-only data symbols) by crate (legacy-mangled first path
    /// segment), for "what dominates".
    pub by_crate: BTreeMap<String, u64>,
    /// Read-only data *objects* (tables, constants; not code) of provkit's crates.
    pub provkit_rodata: u64,
}

impl ImageSizes {
    pub fn flash(&self) -> u64 {
        self.text + self.rodata
    }
    /// RAM taken before the heap: data + bss + code running from IRAM.
    pub fn static_ram(&self) -> u64 {
        self.data + self.bss + self.iram
    }
    /// Flash bytes of symbols from provkit's own crates (`provkit_*`). With LTO, generic and
    /// inlined code is counted where it ends up, so dependency code inlined into provkit
    /// functions counts as provkit's (and vice versa).
    pub fn provkit(&self) -> u64 {
        self.by_crate
            .iter()
            .filter(|(k, _)| k.starts_with("provkit"))
            .map(|(_, v)| v)
            .sum()
    }
}

fn print_size_table(images: &[(Board, PathBuf)]) -> Result<(), String> {
    println!(
        "\n{:<20} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>10} {:>10} {:>10}",
        "board",
        "text",
        "rodata",
        "flash",
        "data",
        "bss",
        "iram",
        "static RAM",
        "provkit¹",
        "provkit²"
    );
    let mut all = Vec::new();
    for (board, elf) in images {
        let bytes = std::fs::read(elf).map_err(|e| format!("reading {}: {e}", elf.display()))?;
        let s = elf_sizes(&bytes).map_err(|e| format!("{}: {e}", elf.display()))?;
        let lines = line_attribution(elf);
        let by_source = lines
            .as_ref()
            .map(|l| (provkit_of(l) + s.provkit_rodata).to_string())
            .unwrap_or_else(|| "n/a".into());
        println!(
            "{:<20} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>10} {:>10} {:>10}",
            board.name,
            s.text,
            s.rodata,
            s.flash(),
            s.data,
            s.bss,
            s.iram,
            s.static_ram(),
            s.provkit(),
            by_source
        );
        all.push((board.name, s, lines));
    }
    println!(
        "provkit¹: flash bytes of symbols whose (mangled) crate is provkit_*: dependency code \
         inlined into them counts as provkit's.\nprovkit²: code bytes whose DWARF line-table \
         row (the innermost inlined source line) is in a provkit source file, plus provkit's \
         read-only data objects: inlined dependency code counts as the dependency's; \
         monomorphised core/alloc code counts as Rust's."
    );
    for (name, _, lines) in &all {
        if let Some(lines) = lines {
            let mut top: Vec<(&String, &u64)> = lines.iter().collect();
            top.sort_by(|a, b| b.1.cmp(a.1));
            let list: Vec<String> = top
                .iter()
                .take(14)
                .map(|(k, v)| format!("{k} {:.1} KiB", **v as f64 / 1024.0))
                .collect();
            println!("{name}: code by source line: {}", list.join(", "));
        }
    }
    for (name, s, _) in &all {
        let mut top: Vec<(&String, &u64)> = s.by_crate.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1));
        let list: Vec<String> = top
            .iter()
            .take(12)
            .map(|(k, v)| format!("{k} {:.1} KiB", **v as f64 / 1024.0))
            .collect();
        println!("{name}: largest by symbol bytes: {}", list.join(", "));
    }
    Ok(())
}

fn provkit_of(lines: &BTreeMap<String, u64>) -> u64 {
    lines
        .iter()
        .filter(|(k, _)| k.starts_with("provkit"))
        .map(|(_, v)| v)
        .sum()
}

/// Code bytes by the crate of their DWARF line-table source file (the innermost inlined
/// location, so code LTO inlined from a dependency into a provkit function counts as the
/// dependency's). Uses binutils' `objdump --dwarf=decodedline` for the rows' addresses and
/// `addr2line` for their full paths; `None` when either tool is missing or fails.
fn line_attribution(elf: &Path) -> Option<BTreeMap<String, u64>> {
    let decoded = Command::new("objdump")
        .arg("--dwarf=decodedline")
        .arg(elf)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&decoded.stdout);
    // (address, ends a sequence)
    let mut rows: Vec<(u64, bool)> = Vec::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let (Some(_file), Some(line_no)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some(addr) = fields
            .next()
            .and_then(|a| a.strip_prefix("0x"))
            .and_then(|a| u64::from_str_radix(a, 16).ok())
        else {
            continue;
        };
        rows.push((addr, line_no == "-"));
    }
    // At equal addresses the end of one sequence sorts before the start of the next.
    rows.sort_by_key(|&(addr, end)| (addr, !end));
    let mut spans: BTreeMap<u64, u64> = BTreeMap::new();
    for pair in rows.windows(2) {
        let [(start, end), (next, _)] = [pair[0], pair[1]];
        // Gaps between unrelated sequences are not code of the row before them.
        if end || next <= start || next - start > 0x1_0000 {
            continue;
        }
        let span = spans.entry(start).or_default();
        *span = (*span).max(next - start);
    }
    let mut child = Command::new("addr2line")
        .arg("-e")
        .arg(elf)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let input: String = spans.keys().map(|a| format!("{a:#x}\n")).collect();
    let mut stdin = child.stdin.take()?;
    // Written from a thread: addr2line answers while reading, and a full pipe would block.
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(input.as_bytes())
    });
    let output = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    let paths = String::from_utf8_lossy(&output.stdout);
    let mut by_crate: BTreeMap<String, u64> = BTreeMap::new();
    for ((_, size), line) in spans.iter().zip(paths.lines()) {
        let path = line.rsplit_once(':').map_or(line, |(p, _)| p);
        *by_crate.entry(crate_of_path(path)).or_default() += size;
    }
    Some(by_crate)
}

/// The crate a source path belongs to: a crates.io package (`.../registry/src/<index>/
/// <name>-<version>/...`), Rust's own library, provkit's crates (`crates/provkit-*`,
/// `firmware/provkit-esp32`, `firmware/reference` = `provkit-reference`), or C.
pub fn crate_of_path(path: &str) -> String {
    if path.starts_with("??") {
        return "(no line info)".into();
    }
    if let Some(rest) = path.split("/registry/src/").nth(1)
        && let Some(package) = rest.split('/').nth(1)
    {
        // `<name>-<version>`: the version starts at the last '-' followed by a digit.
        let name = package
            .match_indices('-')
            .filter(|(i, _)| {
                package[i + 1..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
            })
            .map(|(i, _)| &package[..i])
            .next_back()
            .unwrap_or(package);
        return name.to_string();
    }
    if path.starts_with("/rustc/") {
        return "[Rust std]".into();
    }
    if let Some(rest) = path.split("/crates/").last()
        && rest.starts_with("provkit-")
        && path.contains("/crates/")
    {
        return rest.split('/').next().unwrap_or(rest).to_string();
    }
    if path.contains("/firmware/provkit-esp32/") {
        return "provkit-esp32".into();
    }
    if path.contains("/firmware/reference/") {
        return "provkit-reference".into();
    }
    if path.ends_with(".c") || path.ends_with(".h") || path.ends_with(".S") {
        return "[C]".into();
    }
    "[other]".into()
}

// ---- ELF32 little-endian reader: just enough for sections and the symbol table ----

fn rd_u16(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_le_bytes)
        .ok_or_else(|| "truncated ELF".to_string())
}

fn rd_u32(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| "truncated ELF".to_string())
}

struct Section {
    kind: u32,
    flags: u32,
    addr: u32,
    offset: u32,
    size: u32,
    link: u32,
}

const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_NOBITS: u32 = 8;
const SHF_WRITE: u32 = 1;
const SHF_ALLOC: u32 = 2;
const SHF_EXECINSTR: u32 = 4;
/// ESP32-C3/C6 map flash (instruction and data) from 0x4200_0000; everything below is SRAM.
const FLASH_MAPPED_START: u32 = 0x4200_0000;

/// Sizes of a 32-bit little-endian ELF (the RISC-V ESP32 images).
pub fn elf_sizes(b: &[u8]) -> Result<ImageSizes, String> {
    if b.get(..4) != Some(b"\x7fELF".as_slice()) || b.get(4) != Some(&1) || b.get(5) != Some(&1) {
        return Err("not a 32-bit little-endian ELF".into());
    }
    let shoff = rd_u32(b, 0x20)? as usize;
    let shentsize = rd_u16(b, 0x2e)? as usize;
    let shnum = rd_u16(b, 0x30)? as usize;
    let mut sections = Vec::with_capacity(shnum);
    for i in 0..shnum {
        let at = shoff + i * shentsize;
        sections.push(Section {
            kind: rd_u32(b, at + 4)?,
            flags: rd_u32(b, at + 8)?,
            addr: rd_u32(b, at + 12)?,
            offset: rd_u32(b, at + 16)?,
            size: rd_u32(b, at + 20)?,
            link: rd_u32(b, at + 24)?,
        });
    }
    let mut sizes = ImageSizes::default();
    for s in &sections {
        if s.flags & SHF_ALLOC == 0 || s.size == 0 {
            continue;
        }
        let size = u64::from(s.size);
        match s.kind {
            // Writable zero-init RAM only: the linker's alignment gaps (`.text_gap`) are
            // NOBITS too but occupy neither flash nor RAM.
            SHT_NOBITS if s.flags & SHF_WRITE != 0 => sizes.bss += size,
            SHT_PROGBITS if s.flags & SHF_EXECINSTR != 0 => {
                sizes.text += size;
                // Code below the flash-mapped window runs from IRAM: it costs RAM as well.
                if s.addr < FLASH_MAPPED_START {
                    sizes.iram += size;
                }
            }
            SHT_PROGBITS if s.flags & SHF_WRITE != 0 => sizes.data += size,
            SHT_PROGBITS => sizes.rodata += size,
            _ => {}
        }
    }
    if let Some(symtab) = sections.iter().find(|s| s.kind == SHT_SYMTAB) {
        let strtab = sections
            .get(symtab.link as usize)
            .ok_or("symbol table without string table")?;
        let strings = b
            .get(strtab.offset as usize..strtab.offset as usize + strtab.size as usize)
            .ok_or("truncated string table")?;
        let count = symtab.size as usize / 16;
        for i in 0..count {
            let at = symtab.offset as usize + i * 16;
            let name_off = rd_u32(b, at)? as usize;
            let size = rd_u32(b, at + 8)?;
            let info = *b.get(at + 12).ok_or("truncated symbol")?;
            let shndx = rd_u16(b, at + 14)? as usize;
            // Functions (2) and objects (1) placed in an allocated section.
            let kind = info & 0xf;
            // Only what occupies flash (code and read-only data): a heap array in .bss is
            // RAM, not code size.
            let in_flash = sections.get(shndx).is_some_and(|s| {
                s.flags & SHF_ALLOC != 0 && s.kind == SHT_PROGBITS && s.flags & SHF_WRITE == 0
            });
            if size == 0 || !(kind == 1 || kind == 2) || !in_flash {
                continue;
            }
            let name = strings
                .get(name_off..)
                .and_then(|s| s.split(|&c| c == 0).next())
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let owner = crate_of(&name);
            let executable = sections
                .get(shndx)
                .is_some_and(|s| s.flags & SHF_EXECINSTR != 0);
            if kind == 1 && !executable && owner.starts_with("provkit") {
                sizes.provkit_rodata += u64::from(size);
            }
            *sizes.by_crate.entry(owner).or_default() += u64::from(size);
        }
    }
    Ok(sizes)
}

/// The crate a symbol belongs to: the first path segment of a legacy-mangled Rust name
/// (`_ZN12provkit_esp325store...`), the self type's crate for `<T as Trait>` impls, `[C]`
/// for everything unmangled (ROM/blob functions, C libraries, linker symbols).
pub fn crate_of(symbol: &str) -> String {
    let Some(rest) = symbol.strip_prefix("_ZN") else {
        return "[C]".into();
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let Ok(len) = rest[..digits].parse::<usize>() else {
        return "[C]".into();
    };
    let Some(ident) = rest.get(digits..digits + len) else {
        return "[C]".into();
    };
    let ident = ident
        .strip_prefix("_$LT$")
        .or_else(|| ident.strip_prefix("$LT$"))
        .unwrap_or(ident);
    let ident = ident.trim_start_matches("$RF$").trim_start_matches("$BP$");
    let end = ident
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(ident.len());
    match &ident[..end] {
        "" => "[Rust]".into(),
        name => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_from_legacy_mangling() {
        assert_eq!(
            crate_of("_ZN13provkit_esp325store4load17h0123456789abcdefE"),
            "provkit_esp32"
        );
        assert_eq!(
            crate_of("_ZN54_$LT$provkit_hal..Ssid$u20$as$u20$core..fmt..Debug$GT$3fmt17hE"),
            "provkit_hal"
        );
        assert_eq!(crate_of("esp_wifi_start"), "[C]");
    }

    #[test]
    fn crate_names_from_source_paths() {
        let registry = "/h/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f";
        assert_eq!(
            crate_of_path(&format!("{registry}/trouble-host-0.7.0/src/att.rs")),
            "trouble-host"
        );
        assert_eq!(
            crate_of_path(&format!("{registry}/esp-radio-1.0.0-beta.1/src/lib.rs")),
            "esp-radio"
        );
        assert_eq!(
            crate_of_path("/w/firmware/../crates/provkit-security/src/srp/mont.rs"),
            "provkit-security"
        );
        assert_eq!(
            crate_of_path("/w/firmware/reference/src/main.rs"),
            "provkit-reference"
        );
        assert_eq!(
            crate_of_path("/rustc/5980/library/core/src/fmt/mod.rs"),
            "[Rust std]"
        );
        assert_eq!(crate_of_path("/COMPONENT_X/src/wpa.c"), "[C]");
        assert_eq!(crate_of_path("??"), "(no line info)");
    }

    #[test]
    fn args_require_board_and_paired_credentials() {
        let a = |v: &[&str]| parse_args(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(a(&[]).is_err());
        assert!(a(&["--board", "esp32c3-devkitm-1", "--username", "u"]).is_err());
        let ok = a(&["--board", "esp32c6-devkitc-1", "--transport", "softap"]);
        let ok = ok.map_err(|e| e.to_string());
        assert_eq!(
            ok.as_ref().map(|f| f.board.target),
            Ok("riscv32imac-unknown-none-elf")
        );
        assert_eq!(ok.map(|f| f.transport), Ok(Transport::SoftAp));
    }

    #[test]
    fn the_portal_needs_the_softap_transport() {
        let a = |v: &[&str]| parse_args(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(a(&["--board", "esp32c3-devkitm-1", "--portal"]).is_err());
        let ok = a(&[
            "--board",
            "esp32c3-devkitm-1",
            "--transport",
            "softap",
            "--portal",
        ]);
        assert!(ok.is_ok_and(|f| f.portal));
    }
}
