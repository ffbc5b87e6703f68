//! The steps of `cargo xtask test`.

use std::process::Command;

use crate::process::{cargo, ensure_targets, root, run};

/// Embedded targets every no_std crate is built for: the ESP32-C2/C3 (no atomic
/// compare-and-swap), the ESP32-C6, and Cortex-M4F parts such as the CC3220SF's application core.
pub const NO_STD_TARGETS: &[&str] = &[
    "riscv32imc-unknown-none-elf",
    "riscv32imac-unknown-none-elf",
    "thumbv7em-none-eabi",
];

/// Targets without atomic compare-and-swap, where prost's `bytes` needs portable-atomic's
/// `critical-section` choice (`provkit-proto`'s feature of that name).
const NO_CAS_TARGETS: &[&str] = &["riscv32imc-unknown-none-elf"];

/// The `cargo build` lines README.md's "Building for a chip" section tells a firmware author
/// to run, one set per target; CI runs exactly these, and a test below keeps the README and
/// this list equal.
pub fn readme_nostd_commands() -> Vec<String> {
    let mut lines = Vec::new();
    for target in NO_STD_TARGETS {
        let cs = NO_CAS_TARGETS.contains(target);
        let with_cs = |features: &str| -> String {
            match (features.is_empty(), cs) {
                (true, false) => String::new(),
                (true, true) => " --features provkit-proto/critical-section".to_string(),
                (false, false) => format!(" --features {features}"),
                (false, true) => format!(" --features {features},provkit-proto/critical-section"),
            }
        };
        // The whole device stack with its defaults, and the async engine as firmware runs it.
        lines.push(format!(
            "cargo build --target {target} -p provkit-proto -p provkit-security \
             -p provkit-protocomm -p provkit-hal -p provkit-http -p provkit-wifi -p provkit-manager \
             -p provkit-nwp -p provkit-ble -p provkit-portal -p provkit-engine{}",
            with_cs("provkit-engine/ble,provkit-engine/http,provkit-engine/portal,provkit-engine/embassy-time")
        ));
        // The smallest set: messages and security without defaults (sec2 only), and the
        // client's sans-I/O core (its HTTP transport needs std). Built for the ESP32-C2/C3's
        // target, the one without atomic compare-and-swap, where the feature choice matters.
        if cs {
            lines.push(format!(
                "cargo build --target {target} -p provkit-proto -p provkit-security \
                 -p provkit-client --no-default-features{}",
                with_cs("")
            ));
        }
    }
    lines
}

pub fn test(_args: &[String]) -> Result<(), String> {
    let started = std::time::Instant::now();
    let mut timings: Vec<(&str, u64)> = Vec::new();
    let mut step = |name: &'static str, f: &dyn Fn() -> Result<(), String>| {
        eprintln!("\n==== xtask test: {name} ====");
        let t = std::time::Instant::now();
        let result = f();
        timings.push((name, t.elapsed().as_secs()));
        result.map_err(|e| format!("step `{name}` failed: {e}"))
    };
    step("fmt", &|| {
        run(cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    // Crate roles and module graphs (dependencies point one way, no cycle); about a second.
    step("structure", &crate::structure::structure)?;
    step("clippy", &|| {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    // Unit, known-answer, property, end-to-end and crash-safety tests of every host crate;
    // includes the codegen freshness test.
    step("test", &workspace_tests)?;
    // The engine's captive-portal routing (feature `portal`, which only the firmware enables,
    // so the workspace run above does not build it).
    step("engine with the portal", &|| {
        run(cargo().args(["test", "-p", "provkit-engine", "--features", "portal"]))
    })?;
    step("no_std builds", &nostd)?;
    // Every public item documented, no broken link, for every crate.
    step("docs", &docs)?;
    // Every library crate from its package alone: a project outside the workspace builds
    // against the packages for the host and both embedded targets and runs the README examples.
    step("package check", &crate::package::package_check)?;
    // The steps against real peers (esp_prov over HTTP and BLE, the browser, provkit's client
    // over BLE) mostly wait on their peers' own timers; they run in a second process beside
    // the build-heavy steps below, and their output follows when they end.
    let peers = Peers::start()?;
    // RV32IMC instruction counts under QEMU (provkit and the mbedTLS baseline), guarded
    // against rv32count/figures.txt: fails when one grows by more than 5 %.
    step("rv32 counts", &crate::rv32::ci)?;
    // Constant time: memcheck with the handshake secrets undefined, RV32 control-flow traces.
    step("constant time", &crate::ct::ci)?;
    // The bench binary (recorded client messages replayed, every response checked) runs in
    // `cargo xtask bench`; the same exchanges are the known-answer tests of the test step.
    // The ESP32 adapter's logic (flash record format, store under power cuts, DHCP, GATT layout,
    // reason mapping, console, RSA seam) on the host: `firmware/` is its own workspace.
    step("esp32 adapter host tests", &|| {
        run(cargo().args([
            "test",
            "--manifest-path",
            "firmware/Cargo.toml",
            "-p",
            "provkit-esp32",
        ]))
    })?;
    // ESP32-C3/C6 images through `--image-only`, with their size report.
    step("firmware images", &crate::flash::firmware_ci)?;
    // The CC32xx adapter and firmware compile for thumbv7em-none-eabi (no TI SDK needed).
    step("cc32xx build", &crate::cc32xx::cc32xx_ci)?;
    // Every fuzz target, briefly, on the nightly toolchain.
    step("fuzz smoke", &crate::fuzz::smoke_ci)?;
    let peers_result = peers.finish();
    step("peers (ran beside the steps above)", &|| {
        peers_result.clone()
    })?;
    eprintln!("\n==== xtask test: timings ====");
    for (name, secs) in &timings {
        eprintln!("{name:>18}: {secs:>4} s");
    }
    eprintln!("{:>18}: {:>4} s", "total", started.elapsed().as_secs());
    println!("xtask test: all steps passed");
    Ok(())
}

/// A step of `cargo xtask test` or `peers`.
type StepFn = fn() -> Result<(), String>;

/// The steps against real peers, in order (`cargo xtask peers`): esp_prov over HTTP and BLE,
/// the recorded vectors, the captive portal in Chromium, provkit's client over BLE.
pub fn peers() -> Result<(), String> {
    let started = std::time::Instant::now();
    let steps: [(&str, StepFn); 4] = [
        ("esp_prov interop", crate::interop::interop),
        ("vectors", crate::vectors::ci),
        ("captive portal in headless chromium", crate::portal::portal),
        ("provkit client over BLE", crate::ble_client::ble_client),
    ];
    for (name, f) in steps {
        eprintln!("\n==== xtask peers: {name} ====");
        let t = std::time::Instant::now();
        f().map_err(|e| format!("step `{name}` failed: {e}"))?;
        eprintln!("==== xtask peers: {name}: {} s ====", t.elapsed().as_secs());
    }
    eprintln!(
        "==== xtask peers: total {} s ====",
        started.elapsed().as_secs()
    );
    Ok(())
}

/// `cargo xtask peers` running in the background, its output in `target/ci-peers.log`.
struct Peers {
    child: Option<std::process::Child>,
    log_path: std::path::PathBuf,
}

impl Peers {
    fn start() -> Result<Self, String> {
        let log_path = root().join("target").join("ci-peers.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cloning a log handle: {e}"))?;
        let exe = std::env::current_exe().map_err(|e| format!("locating xtask: {e}"))?;
        eprintln!("$ cargo xtask peers   (in the background; output follows when it ends)");
        let child = Command::new(exe)
            .arg("peers")
            .current_dir(root())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("starting cargo xtask peers: {e}"))?;
        Ok(Self {
            child: Some(child),
            log_path,
        })
    }

    /// Waits for the peers, prints their output, and says whether they passed.
    fn finish(mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Err("cargo xtask peers was not running".into());
        };
        let status = child
            .wait()
            .map_err(|e| format!("waiting for cargo xtask peers: {e}"))?;
        eprintln!("\n---- cargo xtask peers ----");
        eprint!(
            "{}",
            std::fs::read_to_string(&self.log_path).unwrap_or_default()
        );
        if status.success() {
            Ok(())
        } else {
            Err(format!("cargo xtask peers failed with {status}"))
        }
    }
}

impl Drop for Peers {
    /// A step above failed first: the peers' result no longer matters; stop them and show
    /// how far they got.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("\n---- cargo xtask peers (stopped) ----");
            eprint!(
                "{}",
                std::fs::read_to_string(&self.log_path).unwrap_or_default()
            );
        }
    }
}

/// `cargo test --workspace`, with the hostile-input crate (minutes of mostly waiting on
/// timeouts and SIGKILLed simulators) running beside the rest instead of after it.
fn workspace_tests() -> Result<(), String> {
    const SLOW: &str = "provkit-hostile";
    run(cargo().args(["test", "--workspace", "--no-run"]))?;
    let log_path = root().join("target").join("hostile-tests.log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("cloning a log handle: {e}"))?;
    eprintln!("$ cargo test -p {SLOW}   (in the background; output follows when it ends)");
    let mut slow = cargo()
        .args(["test", "-p", SLOW, "--", "--nocapture"])
        .current_dir(root())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("starting the {SLOW} tests: {e}"))?;
    let rest = run(cargo().args(["test", "--workspace", "--exclude", SLOW]));
    let slow_status = slow
        .wait()
        .map_err(|e| format!("waiting for the {SLOW} tests: {e}"))?;
    eprintln!("---- cargo test -p {SLOW} ----");
    eprint!("{}", std::fs::read_to_string(&log_path).unwrap_or_default());
    rest?;
    if slow_status.success() {
        Ok(())
    } else {
        Err(format!("cargo test -p {SLOW} failed with {slow_status}"))
    }
}

/// `cargo xtask crash [--count N]`: the SIGKILL-during-commit test with N kills (default 200,
/// as in `cargo xtask test`).
pub fn crash(args: &[String]) -> Result<(), String> {
    let count = match args {
        [] => "200".to_string(),
        [flag, n] if flag == "--count" && n.parse::<u32>().is_ok() => n.clone(),
        _ => return Err("usage: cargo xtask crash [--count N]".into()),
    };
    run(cargo()
        .args([
            "test",
            "-p",
            "provkit-hostile",
            "--test",
            "crash",
            "--",
            "--nocapture",
        ])
        .env("PROVKIT_CRASH_COUNT", count))
}

/// `cargo xtask bench`: every criterion bench (each prints its figures), then the
/// instruction-count binary's figures: device-side handshakes, per-request cost, peak heap of
/// a handshake, and sessions per second through the simulator's HTTP server next to the
/// crypto bound (4 devices, at most 5 s).
pub fn bench(args: &[String]) -> Result<(), String> {
    run(cargo().args(["bench", "-p", "provkit-bench"]).args(args))?;
    bench_binary(200)?;
    for what in [
        &["request", "--kind", "get-status", "--count", "20000"][..],
        &["request", "--kind", "set-config", "--count", "20000"],
        &["sessions", "--devices", "8", "--seconds", "5"],
    ] {
        run(cargo()
            .args(["run", "--release", "-p", "provkit-bench", "--"])
            .args(what))?;
    }
    Ok(())
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
    // Per-request cost (every answer checked against the recorded one), the client side of
    // the sec2 handshake (every request checked) and handshake heap.
    let count = count.to_string();
    for what in [
        &["handshake", "--sec", "2", "--client", "--count", &count][..],
        &["request", "--kind", "get-status", "--count", &count],
        &["request", "--kind", "set-config", "--count", &count],
        &["heap"],
    ] {
        run(cargo()
            .args(["run", "--release", "-p", "provkit-bench", "--"])
            .args(what))?;
    }
    Ok(())
}

/// `cargo doc` of every workspace crate (no dependencies) with rustdoc's warnings as errors:
/// broken intra-doc links, missing docs in library crates (`#![deny(missing_docs)]`), bad code
/// block attributes.
pub fn docs() -> Result<(), String> {
    run(cargo()
        .args(["doc", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D warnings"))
}

pub fn nostd() -> Result<(), String> {
    ensure_targets(NO_STD_TARGETS)?;
    // Exactly what README.md tells a firmware author to build.
    for line in readme_nostd_commands() {
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        eprintln!("$ {line}");
        run(cargo().args(args))?;
    }
    Ok(())
}

#[cfg(test)]
mod readme_tests {
    use super::readme_nostd_commands;

    /// README.md shows the same commands CI runs (whitespace and line continuations aside).
    #[test]
    fn readme_shows_the_nostd_commands_ci_runs() {
        let readme =
            std::fs::read_to_string(crate::process::root().join("README.md")).expect("README.md");
        let flat = readme.replace("\\\n", " ");
        let flat: String = flat.split_whitespace().collect::<Vec<_>>().join(" ");
        for line in readme_nostd_commands() {
            let want: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(&want), "README.md lacks: {want}");
        }
    }
}
