//! `cargo xtask <command>`: the project's automation, so a fresh machine needs nothing but
//! `cargo`. Every step installs what it needs itself (rustup targets, the Python venv with
//! Espressif's client) and fails loudly when it cannot.

use std::process::{Command, ExitCode};

use process::{root, run};

mod ble_client;
mod cc32xx;
mod ct;
mod flash;
mod fuzz;
mod interop;
mod package;
mod portal;
mod process;
mod rv32;
mod steps;
mod structure;
mod vectors;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => codegen(),
        Some("test") => steps::test(&args[1..]),
        Some("nostd") => steps::nostd(),
        Some("peers") => steps::peers(),
        Some("docs") => steps::docs(),
        Some("package-check") => package::package_check(),
        Some("bench") => steps::bench(&args[1..]),
        Some("crash") => steps::crash(&args[1..]),
        Some("flash") if cc32xx::wants(&args[1..]) => cc32xx::flash(&args[1..]),
        Some("flash") => flash::flash(&args[1..]),
        Some("firmware") => flash::firmware(&args[1..]),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        Some("pyenv") => interop::pyenv(),
        Some("rv32-count") => rv32::rv32_count(&args[1..]),
        Some("ct-check") => ct::ct_check(),
        Some("interop") => interop::interop(),
        Some("vectors") => vectors::vectors(&args[1..]),
        Some("structure") => match args.get(1).map(String::as_str) {
            Some("--graph") => match args.get(2) {
                Some(file) => structure::print_graph(&root().join(file)),
                None => Err("usage: cargo xtask structure [--graph CRATE_ROOT_FILE]".into()),
            },
            _ => structure::structure(),
        },
        Some("ble-client") => ble_client::ble_client(),
        Some("portal") => portal::portal(),
        Some("help") | Some("--help") | None => {
            print_help();
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`; run `cargo xtask help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask <command>\n\n\
         commands:\n  \
         codegen   regenerate crates/provkit-proto/src/generated.rs from proto/*.proto\n  \
         test      everything CI runs: fmt, clippy, tests, no_std builds, codegen freshness\n  \
         nostd     build the no_std crates for the embedded targets only\n  \
         peers     the steps against real peers: esp_prov (HTTP, BLE), vectors, portal, BLE client\n  \
         docs      cargo doc of the workspace, warnings as errors\n  \
         package-check  package every library crate, build a project outside the workspace\n              \
         against the packages (host, riscv32imc, thumbv7em) and run their README examples\n  \
         crash     SIGKILL the simulator during credential commits: [--count N] (default 200)\n  \
         bench     run the criterion benches and the handshake replay binary, printing figures\n  \
         pyenv     create .venv with Espressif's esp_prov client (esp-rainmaker-cli)\n  \
         interop   run esp_prov against `provkit sim` in every interop scenario\n  \
         vectors   regenerate tests/vectors from esp_prov and compare byte for byte:\n            \
         [--write | --self-test | --list-carried]\n  \
         ble-client run `provkit provision --ble` against `provkit sim --ble` (bumble controllers)\n  \
         portal     the captive portal in headless chromium (Playwright), DNS via dnspython, protocomm beside it\n  \
         structure crate roles and module graphs: dependencies point one way, no cycle\n            \
         [--graph CRATE_ROOT_FILE prints one target's module edges]\n  \
         fuzz      cargo-fuzz targets: --smoke [--smoke-secs N] | TARGET [--time S] | seed | list\n  \
         flash     build the ESP32 firmware and flash it (--board B [--image-only FILE])\n  \
         firmware  build the C3 and C2 images and print their sizes (CI step); --all adds the C6\n  \
         ct-check  constant time: memcheck with secrets undefined (x86-64), RV32 control-flow traces\n  \
         rv32-count  RV32IMC instruction counts under QEMU, provkit next to mbedTLS:\n              \
         [--check] against rv32count/figures.txt (fails on +5 %), [--update] rewrites it"
    );
}

fn codegen() -> Result<(), String> {
    let root = root();
    let text = provkit_codegen::generate(&root.join("proto"))?;
    let out = root.join("crates/provkit-proto/src/generated.rs");
    std::fs::write(&out, text).map_err(|e| format!("writing {}: {e}", out.display()))?;
    // Format it like the rest of the tree so `cargo fmt --check` stays clean.
    run(Command::new("rustfmt").arg("--edition=2024").arg(&out))?;
    println!("wrote {}", out.display());
    Ok(())
}
