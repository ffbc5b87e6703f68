//! The steps of `cargo xtask test`.

use crate::run;
use std::process::Command;

/// Crates that must build `#![no_std]` (with `alloc`) for the embedded targets.
pub const NO_STD_CRATES: &[&str] = &["provkit-proto"];

/// Embedded targets every no_std crate is built for.
pub const NO_STD_TARGETS: &[&str] = &["thumbv7em-none-eabi", "riscv32imc-unknown-none-elf"];

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub fn test(_args: &[String]) -> Result<(), String> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().args(["test", "--workspace"]))?;
    // Espressif's esp_prov against `provkit sim` over loopback; never skipped.
    crate::interop::interop()?;
    nostd()?;
    println!("xtask test: all steps passed");
    Ok(())
}

pub fn nostd() -> Result<(), String> {
    ensure_targets(NO_STD_TARGETS)?;
    for target in NO_STD_TARGETS {
        for krate in NO_STD_CRATES {
            run(cargo().args(["build", "--release", "-p", krate, "--target", target]))?;
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
        run(Command::new("rustup").args(["target", "add"]).args(&missing))?;
    }
    Ok(())
}
