//! Link set-up of the CC3220SF image: `memory.x` for cortex-m-rt, and TI's SimpleLink CC32xx
//! SDK libraries when `SIMPLELINK_CC32XX_SDK` names the SDK. Without the variable nothing of
//! the SDK is emitted, so `cargo check` (CI) works on machines without it; only a link needs
//! it (and `cargo xtask flash` refuses to start without it).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// Environment variable naming TI's SDK install directory.
const SDK_ENV: &str = "SIMPLELINK_CC32XX_SDK";
/// A static library holding the SysConfig-generated board code (`Board_init`, the SPI and
/// DMA configuration of the LaunchXL), built from the SDK's example `ti_drivers_config.c`.
const BOARD_LIB_ENV: &str = "PROVKIT_CC3220SF_BOARD_LIB";

/// The SDK archives the image needs, relative to the SDK root (SDK 7.x layout, GCC builds):
/// the SimpleLink host driver (no-RTOS port), TI Drivers, the no-RTOS kernel and driverlib.
const SDK_LIBRARIES: &[(&str, &str)] = &[
    ("source/ti/drivers/net/wifi/gcc/nortos", "simplelink.a"),
    ("source/ti/drivers/lib/gcc/m4", "drivers_cc32xx.a"),
    ("kernel/nortos/lib/gcc/m4", "nortos_cc32xx.a"),
    (
        "source/ti/devices/cc32xx/driverlib/gcc/Release",
        "driverlib.a",
    ),
];

fn main() {
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-env-changed={SDK_ENV}");
    println!("cargo:rerun-if-env-changed={BOARD_LIB_ENV}");
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default());
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    if let Err(e) = fs::copy(manifest.join("memory.x"), out.join("memory.x")) {
        println!("cargo:warning=cannot copy memory.x: {e}");
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");

    let Some(sdk) = env::var_os(SDK_ENV).map(PathBuf::from) else {
        return;
    };
    for (dir, file) in SDK_LIBRARIES {
        link_archive(&sdk.join(dir), file);
    }
    match env::var_os(BOARD_LIB_ENV).map(PathBuf::from) {
        Some(lib) => match (lib.parent(), lib.file_name().and_then(|n| n.to_str())) {
            (Some(dir), Some(file)) => link_archive(dir, file),
            _ => println!("cargo:warning={BOARD_LIB_ENV} is not a library file path"),
        },
        None => println!(
            "cargo:warning={BOARD_LIB_ENV} is not set: the link needs the board's \
             SysConfig-generated Board_init/SPI configuration as a static library"
        ),
    }
}

/// Link `dir/file` verbatim (TI's archives have no `lib` prefix); a missing one is reported,
/// so a different SDK layout shows up as a named file rather than an undefined symbol.
fn link_archive(dir: &Path, file: &str) {
    if dir.join(file).is_file() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=static:+verbatim={file}");
    } else {
        println!(
            "cargo:warning={} not found; is {SDK_ENV} the SimpleLink CC32xx SDK directory?",
            dir.join(file).display()
        );
    }
}
