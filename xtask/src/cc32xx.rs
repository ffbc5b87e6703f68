//! `cargo xtask flash --board cc3220sf-launchxl [--image-only FILE]` and the CC32xx CI step.
//!
//! * CI ([`cc32xx_ci`]): compiles `provkit-cc32xx` for `thumbv7em-none-eabi`, with and
//!   without the `simplelink-sdk` feature, and type-checks the firmware application
//!   `firmware/provkit-cc3220sf` (`cargo check`: nothing is linked, `SIMPLELINK_CC32XX_SDK` is
//!   removed from its environment), so adapter and firmware keep compiling for the chip
//!   without TI's SDK on the machine.
//! * Flash: needs TI's SimpleLink CC32xx SDK, found through `SIMPLELINK_CC32XX_SDK` (its
//!   install directory; the firmware's build script links its libraries from there). Builds
//!   the release image, turns the ELF into a flat binary starting at the CC3220SF's flash
//!   base ([`elf_to_binary`]), and either writes it (`--image-only FILE`) or flashes the ELF
//!   with TI UniFlash's command-line tool `dslite.sh` (on `PATH` or in `UNIFLASH_DIR`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{cargo, ensure_targets, root, run};

/// The board name on the command line.
pub const BOARD: &str = "cc3220sf-launchxl";
/// The Cortex-M4 target of the CC3220SF.
pub const TARGET: &str = "thumbv7em-none-eabi";
/// Environment variable naming TI's SDK install directory.
pub const SDK_ENV: &str = "SIMPLELINK_CC32XX_SDK";
/// Environment variable naming UniFlash's install directory (when `dslite.sh` is not on PATH).
pub const UNIFLASH_ENV: &str = "UNIFLASH_DIR";
/// The firmware application package (outside the host workspace, like the ESP32 one).
const FIRMWARE_PACKAGE: &str = "provkit-cc3220sf";

const USAGE: &str = "usage: cargo xtask flash --board cc3220sf-launchxl [--image-only FILE]";

/// True if `args` (after `flash`) select this board.
pub fn wants(args: &[String]) -> bool {
    args.windows(2).any(|w| w[0] == "--board" && w[1] == BOARD)
        || args.iter().any(|a| a == &format!("--board={BOARD}"))
}

/// The firmware's manifest. The package is a workspace of its own (the `firmware/`
/// workspace is the ESP32 one); its build artifacts share the host `target/` directory.
fn firmware_manifest() -> PathBuf {
    root()
        .join("firmware")
        .join(FIRMWARE_PACKAGE)
        .join("Cargo.toml")
}

/// What `cargo xtask test` runs for the CC32xx: the adapter compiles for the chip, and the
/// firmware application type-checks (no link, so no SDK needed).
pub fn cc32xx_ci() -> Result<(), String> {
    ensure_targets(&[TARGET])?;
    run(cargo().args(["build", "-p", "provkit-cc32xx", "--target", TARGET]))?;
    run(cargo().args([
        "build",
        "-p",
        "provkit-cc32xx",
        "--target",
        TARGET,
        "--features",
        "simplelink-sdk",
    ]))?;
    run(cargo()
        .arg("check")
        .arg("--manifest-path")
        .arg(firmware_manifest())
        .args(["--target", TARGET])
        .env("CARGO_TARGET_DIR", root().join("target"))
        .env_remove(SDK_ENV))
}

struct Args {
    image_only: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut image_only = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--board" => {
                let board = it
                    .next()
                    .ok_or_else(|| format!("`--board` needs a value\n{USAGE}"))?;
                if board != BOARD {
                    return Err(format!("unknown board `{board}`\n{USAGE}"));
                }
            }
            f if f == format!("--board={BOARD}") => {}
            "--image-only" => {
                let file = it
                    .next()
                    .ok_or_else(|| format!("`--image-only` needs a file\n{USAGE}"))?;
                image_only = Some(PathBuf::from(file));
            }
            "--help" | "-h" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(Args { image_only })
}

/// The SDK directory, or the one sentence that says what is missing.
fn sdk_dir() -> Result<PathBuf, String> {
    match std::env::var_os(SDK_ENV).map(PathBuf::from) {
        Some(dir) if dir.is_dir() => Ok(dir),
        Some(dir) => Err(format!(
            "{SDK_ENV} points to {}, which is not a directory; set it to the install directory \
             of TI's SimpleLink CC32xx SDK.",
            dir.display()
        )),
        None => Err(format!(
            "Linking the {BOARD} firmware needs TI's SimpleLink CC32xx SDK libraries: install \
             the SDK and set {SDK_ENV} to its directory."
        )),
    }
}

fn find_dslite() -> Result<PathBuf, String> {
    let name = if cfg!(windows) {
        "dslite.bat"
    } else {
        "dslite.sh"
    };
    let from_env = std::env::var_os(UNIFLASH_ENV).map(|d| PathBuf::from(d).join(name));
    let from_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    from_env
        .into_iter()
        .chain(from_path)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "flashing needs TI UniFlash's command-line tool {name}: install UniFlash and put \
                 its directory on PATH or in {UNIFLASH_ENV} (or use --image-only FILE)."
            )
        })
}

/// `cargo xtask flash --board cc3220sf-launchxl [--image-only FILE]`.
pub fn flash(args: &[String]) -> Result<(), String> {
    let args = parse(args)?;
    // Missing tools are reported before anything is built: one sentence each.
    let sdk = sdk_dir()?;
    let dslite = match args.image_only {
        Some(_) => None,
        None => Some(find_dslite()?),
    };
    if !firmware_manifest().is_file() {
        return Err(format!(
            "the {BOARD} firmware application ({}) is not in this checkout.",
            firmware_manifest().display()
        ));
    }
    ensure_targets(&[TARGET])?;
    let target_dir = root().join("target");
    run(cargo()
        .arg("build")
        .arg("--release")
        .arg("--manifest-path")
        .arg(firmware_manifest())
        .args(["--target", TARGET])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env(SDK_ENV, &sdk))?;
    let elf = target_dir
        .join(TARGET)
        .join("release")
        .join(FIRMWARE_PACKAGE);
    match (args.image_only, dslite) {
        (Some(out), _) => write_image(&elf, &out),
        (None, Some(dslite)) => run(Command::new(dslite).args(["--mode", "cc32xx"]).arg(&elf)),
        (None, None) => Err(USAGE.to_string()),
    }
}

/// The flat binary of the ELF at `elf`, written to `out`.
fn write_image(elf: &Path, out: &Path) -> Result<(), String> {
    let bytes = std::fs::read(elf).map_err(|e| format!("reading {}: {e}", elf.display()))?;
    let (base, image) = elf_to_binary(&bytes).map_err(|e| format!("{}: {e}", elf.display()))?;
    std::fs::write(out, &image).map_err(|e| format!("writing {}: {e}", out.display()))?;
    println!(
        "wrote {} ({} bytes, load address {base:#010x})",
        out.display(),
        image.len()
    );
    Ok(())
}

/// Largest image accepted: the CC3220SF's 1 MiB of flash (a bigger span means segments far
/// apart, e.g. RAM contents with file data, which a flat image cannot hold).
pub const MAX_IMAGE: u64 = 1024 * 1024;

/// `objcopy -O binary` for a little-endian ELF32: the file contents of every `PT_LOAD`
/// segment, placed at its physical (load) address relative to the lowest one; gaps are 0xFF
/// (erased flash). Returns (base address, image).
pub fn elf_to_binary(elf: &[u8]) -> Result<(u32, Vec<u8>), String> {
    const PT_LOAD: u32 = 1;
    let u16_at = |offset: usize| -> Result<u16, String> {
        elf.get(offset..offset + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated ELF".to_string())
    };
    let u32_at = |offset: usize| -> Result<u32, String> {
        elf.get(offset..offset + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "truncated ELF".to_string())
    };
    // ELFCLASS32, ELFDATA2LSB.
    if elf.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 1, 1][..]) {
        return Err("not a little-endian 32-bit ELF file".into());
    }
    let phoff = u32_at(28)? as usize;
    let phentsize = usize::from(u16_at(42)?);
    let phnum = usize::from(u16_at(44)?);
    let mut segments = Vec::new();
    for i in 0..phnum {
        let header = phoff + i * phentsize;
        if u32_at(header)? != PT_LOAD {
            continue;
        }
        let (offset, paddr, filesz) = (
            u32_at(header + 4)? as usize,
            u32_at(header + 12)?,
            u32_at(header + 16)? as usize,
        );
        if filesz == 0 {
            continue;
        }
        let data = elf
            .get(offset..offset + filesz)
            .ok_or_else(|| format!("segment {i} lies outside the file"))?;
        segments.push((paddr, data));
    }
    let base = segments
        .iter()
        .map(|(paddr, _)| *paddr)
        .min()
        .ok_or("the ELF has no loadable data")?;
    let end = segments
        .iter()
        .map(|(paddr, data)| u64::from(*paddr) + data.len() as u64)
        .max()
        .unwrap_or(u64::from(base));
    let span = end - u64::from(base);
    if span > MAX_IMAGE {
        return Err(format!(
            "loadable segments span {span} bytes from {base:#010x}, more than the {MAX_IMAGE}-byte flash"
        ));
    }
    let mut image = vec![0xFF; span as usize];
    for (paddr, data) in segments {
        let start = (paddr - base) as usize;
        image[start..start + data.len()].copy_from_slice(data);
    }
    Ok((base, image))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn selects_only_the_cc3220sf_board() {
        assert!(wants(&strings(&[
            "--board",
            BOARD,
            "--image-only",
            "x.bin"
        ])));
        assert!(wants(&strings(&["--board=cc3220sf-launchxl"])));
        assert!(!wants(&strings(&["--board", "esp32c3-devkitm-1"])));
    }

    #[test]
    fn parses_image_only_and_rejects_unknown_flags() {
        let a = parse(&strings(&["--board", BOARD, "--image-only", "fw.bin"])).unwrap();
        assert_eq!(a.image_only, Some(PathBuf::from("fw.bin")));
        assert!(parse(&strings(&["--board", BOARD, "--port", "x"])).is_err());
        assert!(parse(&strings(&["--board", BOARD, "--image-only"])).is_err());
    }

    /// A minimal ELF32 with the given (type, paddr, data) program headers.
    fn elf(segments: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let phoff = 52usize;
        let mut data_offset = phoff + 32 * segments.len();
        let mut out = vec![0u8; data_offset];
        out[..6].copy_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1]);
        out[28..32].copy_from_slice(&(phoff as u32).to_le_bytes());
        out[42..44].copy_from_slice(&32u16.to_le_bytes());
        out[44..46].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for (i, (kind, paddr, data)) in segments.iter().enumerate() {
            let h = phoff + 32 * i;
            out[h..h + 4].copy_from_slice(&kind.to_le_bytes());
            out[h + 4..h + 8].copy_from_slice(&(data_offset as u32).to_le_bytes());
            out[h + 12..h + 16].copy_from_slice(&paddr.to_le_bytes());
            out[h + 16..h + 20].copy_from_slice(&(data.len() as u32).to_le_bytes());
            data_offset += data.len();
        }
        for (_, _, data) in segments {
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn binary_places_load_segments_at_their_addresses_and_fills_gaps() {
        let header = [0x5A, 0xA5, 0xA5, 0x5A];
        let vectors = [1, 2, 3, 4, 5, 6];
        let note = [9, 9];
        let file = elf(&[
            (1, 0x0100_0800, &vectors),
            (4, 0x2000_0000, &note), // PT_NOTE: not part of the image
            (1, 0x0100_0000, &header),
        ]);
        let (base, image) = elf_to_binary(&file).unwrap();
        assert_eq!(base, 0x0100_0000);
        assert_eq!(image.len(), 0x800 + vectors.len());
        assert_eq!(&image[..4], &header);
        assert!(image[4..0x800].iter().all(|b| *b == 0xFF));
        assert_eq!(&image[0x800..], &vectors);
    }

    #[test]
    fn binary_rejects_non_elf_truncated_and_oversized_input() {
        assert!(elf_to_binary(b"MZ not an elf").is_err());
        let file = elf(&[(1, 0x0100_0000, &[1, 2, 3])]);
        assert!(elf_to_binary(&file[..file.len() - 1]).is_err());
        let far = elf(&[(1, 0x0100_0000, &[1]), (1, 0x2000_0000, &[2])]);
        assert!(elf_to_binary(&far).unwrap_err().contains("span"));
        assert!(elf_to_binary(&elf(&[])).is_err());
    }
}
