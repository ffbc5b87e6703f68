//! The steps of `cargo xtask test`.

use crate::run;
use std::process::Command;

/// Crates that must build `#![no_std]` (with `alloc`) for the embedded targets, with the
/// extra cargo arguments that select their no_std configuration.
pub const NO_STD_CRATES: &[(&str, &[&str])] = &[
    ("provkit-proto", &[]),
    ("provkit-security", &[]),
    ("provkit-protocomm", &[]),
    ("provkit-hal", &[]),
    ("provkit-wifi", &[]),
    ("provkit-manager", &[]),
    // The client's HTTP transport needs std; its sans-I/O core does not.
    ("provkit-client", &["--no-default-features"]),
];

/// Embedded targets every no_std crate is built for.
pub const NO_STD_TARGETS: &[&str] = &["thumbv7em-none-eabi", "riscv32imc-unknown-none-elf"];

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub fn test(_args: &[String]) -> Result<(), String> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().args(["test", "--workspace"]))?;
    // Espressif's esp_prov against `provkit sim` over loopback; never skipped.
    crate::interop::interop()?;
    nostd()?;
    println!("xtask test: all steps passed");
    Ok(())
}

/// `cargo xtask bench`: every criterion bench (each prints its figures), then the
/// instruction-count binary's wall-clock figures for the device-side handshakes.
pub fn bench(args: &[String]) -> Result<(), String> {
    run(cargo().args(["bench", "-p", "provkit-bench"]).args(args))?;
    bench_binary(200)
}

/// Runs `provkit-bench handshake` for sec1 and sec2: it replays the recorded client messages,
/// checks every device response against the vectors and prints the mean time per handshake.
pub fn bench_binary(count: u32) -> Result<(), String> {
    for sec in ["1", "2"] {
        let count = count.to_string();
        run(cargo().args([
            "run",
            "--release",
            "-p",
            "provkit-bench",
            "--",
            "handshake",
            "--sec",
            sec,
            "--count",
            &count,
        ]))?;
    }
    Ok(())
}

pub fn nostd() -> Result<(), String> {
    ensure_targets(NO_STD_TARGETS)?;
    for target in NO_STD_TARGETS {
        for (krate, extra) in NO_STD_CRATES {
            let mut cmd = cargo();
            cmd.args(["build", "--release", "-p", krate, "--target", target])
                .args(*extra);
            if target.starts_with("riscv32imc-") {
                // No atomic CAS on this target: portable-atomic needs the final binary's choice
                // of emulation; a library-only build stands in for esp-hal's single-core choice.
                cmd.env(
                    "CARGO_TARGET_RISCV32IMC_UNKNOWN_NONE_ELF_RUSTFLAGS",
                    "--cfg portable_atomic_unsafe_assume_single_core",
                );
            }
            run(&mut cmd)?;
        }
    }
    Ok(())
}

/// `rustup target add` for any target not yet installed, so a fresh machine just works.
pub fn ensure_targets(targets: &[&str]) -> Result<(), String> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("running rustup (needed to add embedded targets): {e}"))?;
    let installed = String::from_utf8_lossy(&out.stdout);
    let missing: Vec<&str> = targets
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if !missing.is_empty() {
        run(Command::new("rustup")
            .args(["target", "add"])
            .args(&missing))?;
    }
    Ok(())
}
