//! `cargo xtask ct-check`: the constant-time claims of the device handshakes, checked.
//!
//! 1. **x86-64, valgrind memcheck.** `provkit-security`'s `ct_valgrind` example (feature
//!    `ct-check`) runs the device side of the recorded sec2 handshake (prepared and compact
//!    credentials) and sec1 handshake with the secrets — sec2's ephemeral `b`, sec1's X25519
//!    secret and the PoP — marked undefined through valgrind client requests. Memcheck reports
//!    every conditional branch and every memory address computed from them; the library
//!    declassifies only what the protocol makes public (B, the length of minimal(S), whether a
//!    proof matched, whether b was zero). Any report fails the check. A second run with
//!    `--canary` branches on a marked secret on purpose and must be reported, so a broken
//!    marking cannot pass silently.
//! 2. **RV32IMC, control-flow traces under QEMU.** `rv32count` built with `--features
//!    ct-trace` (at opt-level "s" and 3) runs the Montgomery multiplication and squaring (final
//!    conditional subtraction included) and the 64- and 16-entry table scans on 8 secret inputs
//!    each, between two marker functions. QEMU logs the start of every translation block it
//!    executes (`-d exec,nochain`; blocks end at branches), and every input of a primitive
//!    must give the same sequence. The inputs make the final subtraction both needed and not.
//!
//! Limits, also in docs/ARCHITECTURE.md: memcheck follows the code paths these inputs take on
//! this CPU (AES-NI/PCLMUL and AVX2 SHA-512 chosen at run time); the RV32 trace shows
//! control flow only, for the inputs tried, and not memory addresses (the scans read every
//! entry by construction, and memcheck covers addresses on x86-64).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `cargo xtask test` step.
pub fn ci() -> Result<(), String> {
    ct_check()
}

pub fn ct_check() -> Result<(), String> {
    let started = std::time::Instant::now();
    valgrind_check()?;
    rv32_trace_check()?;
    eprintln!("ct-check: {} s", started.elapsed().as_secs());
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn valgrind_check() -> Result<(), String> {
    crate::rv32::ensure_debian_packages(&[("/usr/bin/valgrind", "valgrind")])?;
    crate::run(cargo().args([
        "build",
        "--release",
        "-p",
        "provkit-security",
        "--example",
        "ct_valgrind",
        "--features",
        "ct-check",
    ]))?;
    let program = crate::root()
        .join("target")
        .join("release")
        .join("examples")
        .join("ct_valgrind");
    let run = |canary: bool| -> Result<(bool, String), String> {
        let mut cmd = Command::new("valgrind");
        cmd.args(["--error-exitcode=99", "--track-origins=yes", "-q"])
            .arg(&program);
        if canary {
            cmd.arg("--canary");
        }
        eprintln!("$ {cmd:?}");
        let out = cmd
            .output()
            .map_err(|e| format!("starting valgrind: {e}"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        match out.status.code() {
            Some(0) => Ok((true, text)),
            Some(99) => Ok((false, text)),
            _ => Err(format!(
                "{} failed ({}):\n{text}",
                program.display(),
                out.status
            )),
        }
    };
    let (clean, text) = run(false)?;
    if !clean {
        return Err(format!(
            "memcheck reports a branch or address that depends on a secret:\n{text}"
        ));
    }
    print!("{text}");
    let (clean, _) = run(true)?;
    if clean {
        return Err(
            "memcheck did not report the canary's branch on a secret: the secret \
                    marking does not work, so the check above proves nothing"
                .into(),
        );
    }
    println!(
        "ct-check: memcheck: no branch or address depends on the marked secrets in the sec2 \
         (prepared, compact) and sec1 device handshakes; the canary was reported"
    );
    Ok(())
}

/// Primitives traced by `rv32count --features ct-trace`, in its order, and inputs per primitive.
const TRACED: &[&str] = &["mont_mul", "mont_square", "scan_64", "scan_16"];
const VARIANTS: usize = 8;

fn rv32_trace_check() -> Result<(), String> {
    crate::rv32::ensure_debian_packages(crate::rv32::PACKAGES)?;
    crate::process::ensure_targets(&["riscv32imc-unknown-none-elf"])?;
    for (level, profile) in [("s", "release"), ("3", "release-o3")] {
        let elf = build_trace(profile)?;
        let (begin, end) = (
            symbol(&elf, "ct_trace_begin")?,
            symbol(&elf, "ct_trace_end")?,
        );
        let log = elf.with_extension("trace.log");
        let mut cmd = Command::new("qemu-system-riscv32");
        cmd.args([
            "-M",
            "virt",
            "-bios",
            "none",
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "stdio",
            "-d",
            "exec,nochain",
            "-D",
        ])
        .arg(&log)
        .arg("-kernel")
        .arg(&elf);
        eprintln!("$ {cmd:?}");
        let out = cmd
            .output()
            .map_err(|e| format!("starting qemu-system-riscv32: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "the trace run failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        let segments = segments(&log, begin, end)?;
        let _ = std::fs::remove_file(&log);
        if segments.len() != TRACED.len() * VARIANTS {
            return Err(format!(
                "expected {} traced runs, found {}",
                TRACED.len() * VARIANTS,
                segments.len()
            ));
        }
        for (name, runs) in TRACED.iter().zip(segments.chunks(VARIANTS)) {
            let distinct: BTreeMap<&Vec<u32>, usize> =
                runs.iter().fold(BTreeMap::new(), |mut m, r| {
                    *m.entry(r).or_default() += 1;
                    m
                });
            if distinct.len() != 1 {
                let lengths: Vec<usize> = runs.iter().map(Vec::len).collect();
                return Err(format!(
                    "opt-level {level}: {name} takes different paths for different secret \
                     inputs (translation blocks per run: {lengths:?})"
                ));
            }
            println!(
                "ct-check: rv32 opt-level {level}: {name}: {VARIANTS} secret inputs, one \
                 control-flow trace ({} translation blocks)",
                runs[0].len()
            );
        }
    }
    Ok(())
}

fn build_trace(profile: &str) -> Result<PathBuf, String> {
    let dir = crate::root().join("rv32count");
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--profile",
        profile,
        "--features",
        "ct-trace",
        "--target-dir",
        "target/ct-trace",
    ])
    .current_dir(&dir);
    eprintln!("$ (in rv32count/) {cmd:?}");
    let status = cmd.status().map_err(|e| format!("starting cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the ct-trace harness failed with {status}"
        ));
    }
    Ok(dir
        .join("target")
        .join("ct-trace")
        .join("riscv32imc-unknown-none-elf")
        .join(profile)
        .join("provkit-rv32count"))
}

fn symbol(elf: &Path, name: &str) -> Result<u32, String> {
    let out = Command::new("riscv64-unknown-elf-nm")
        .arg(elf)
        .output()
        .map_err(|e| format!("running riscv64-unknown-elf-nm: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| {
            let mut parts = line.split_whitespace();
            let (addr, _, sym) = (parts.next()?, parts.next()?, parts.next()?);
            (sym == name)
                .then(|| u32::from_str_radix(addr, 16).ok())
                .flatten()
        })
        .ok_or_else(|| format!("no symbol {name} in {}", elf.display()))
}

/// The block start addresses logged between each `begin` and the following `end`.
fn segments(log: &Path, begin: u32, end: u32) -> Result<Vec<Vec<u32>>, String> {
    let text =
        std::fs::read_to_string(log).map_err(|e| format!("reading {}: {e}", log.display()))?;
    let mut out = Vec::new();
    let mut current: Option<Vec<u32>> = None;
    for line in text.lines() {
        // "Trace 0: 0x7f..c0 [00000000/80001234/00109003/ff000201] "
        let Some(pc) = line
            .split_once('[')
            .and_then(|(_, rest)| rest.split('/').nth(1))
            .and_then(|pc| u32::from_str_radix(pc, 16).ok())
        else {
            continue;
        };
        if pc == begin {
            current = Some(Vec::new());
        } else if pc == end {
            if let Some(run) = current.take() {
                out.push(run);
            }
        } else if let Some(run) = current.as_mut() {
            run.push(pc);
        }
    }
    Ok(out)
}
