//! `cargo xtask flash --board cc3220sf-launchxl [--image-only FILE]` and the CC32xx CI step.
//!
//! * CI ([`cc32xx_ci`]): compiles `provkit-cc32xx` for `thumbv7em-none-eabi`, with and
//!   without the `simplelink-sdk` feature (declarations only; nothing is linked), so the
//!   adapter keeps building for the chip without TI's SDK on the machine.
//! * Flash: the same compile, then the link against TI's SimpleLink CC32xx SDK, found through
//!   `SIMPLELINK_CC32XX_SDK` (its install directory). The firmware application crate is
//!   `firmware/provkit-cc3220sf` (it supplies `main`, the panic handler and the allocator);
//!   its build script is expected to read the same variable. Flashing uses TI UniFlash's
//!   command-line tool `dslite.sh` (on `PATH` or in `UNIFLASH_DIR`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{root, run};

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

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// What `cargo xtask test` runs for the CC32xx: the adapter compiles for the chip.
pub fn cc32xx_ci() -> Result<(), String> {
    crate::steps::ensure_targets(&[TARGET])?;
    run(cargo().args(["build", "-p", "provkit-cc32xx", "--target", TARGET]))?;
    run(cargo().args([
        "build",
        "-p",
        "provkit-cc32xx",
        "--target",
        TARGET,
        "--features",
        "simplelink-sdk",
    ]))
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
    // Compile first: a broken adapter is reported even on machines without the SDK.
    cc32xx_ci()?;
    let sdk = sdk_dir()?;
    // Fail before the link when there is no way to use its result.
    let dslite = match args.image_only {
        Some(_) => None,
        None => Some(find_dslite()?),
    };
    let firmware = root().join("firmware").join(FIRMWARE_PACKAGE);
    if !firmware.join("Cargo.toml").is_file() {
        return Err(format!(
            "the {BOARD} firmware application ({}) is not in this checkout yet; the adapter \
             crate builds, but there is no image to link.",
            firmware.display()
        ));
    }
    run(cargo()
        .args(["build", "--release", "--target", TARGET])
        .current_dir(&firmware)
        .env(SDK_ENV, &sdk))?;
    let elf = firmware
        .join("target")
        .join(TARGET)
        .join("release")
        .join(FIRMWARE_PACKAGE);
    match (args.image_only, dslite) {
        (Some(out), _) => copy_image(&elf, &out),
        (None, Some(dslite)) => run(Command::new(dslite).args(["--mode", "cc32xx"]).arg(&elf)),
        (None, None) => Err(USAGE.to_string()),
    }
}

fn copy_image(elf: &Path, out: &Path) -> Result<(), String> {
    std::fs::copy(elf, out)
        .map(drop)
        .map_err(|e| format!("copying {} to {}: {e}", elf.display(), out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
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
}
