//! `cargo xtask package-check`: every library crate builds from its published package alone.
//!
//! 1. The library crates (workspace members under `crates/` without `publish = false`) are
//!    packaged together with `cargo package`, which orders interdependent crates itself and
//!    resolves each against the others' packages.
//! 2. Each `.crate` is unpacked under `target/package-check/packages/` (only when its bytes
//!    changed, so unchanged packages stay built), and checked: it has its README and licence
//!    texts, no build script, and its README carries the stack picture of
//!    `docs/ARCHITECTURE.md`.
//! 3. A throwaway firmware-author project is written to a temporary directory outside the
//!    repository. Its `[dependencies]` are the `Cargo.toml` lines the READMEs tell a user to
//!    write; `[patch.crates-io]` points those versions at the unpacked packages, so nothing
//!    outside a package's own files can reach the build. Its library is `#![no_std]`: one
//!    module per README holding that README's example code, and the README itself as the
//!    module's docs.
//! 4. It is built for `riscv32imc-unknown-none-elf` and `thumbv7em-none-eabi`, and on the
//!    host its doctests run: every README example, compiled and run against the packages.
//!
//! The build shares `target/package-check/` between runs, so CI pays for the dependencies once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::process::{cargo, ensure_targets, root, run};

/// Embedded targets the firmware-author project is built for.
pub const TARGETS: &[&str] = &["riscv32imc-unknown-none-elf", "thumbv7em-none-eabi"];

/// Marks the stack picture in `docs/ARCHITECTURE.md` that every crate README repeats.
const PICTURE_START: &str = "<!-- crate-stack picture: every crate README repeats it -->";

/// A workspace crate that is published: its name and folder.
struct Library {
    name: String,
    dir: PathBuf,
}

pub fn package_check() -> Result<(), String> {
    let started = Instant::now();
    let mut timings: Vec<(String, u64)> = Vec::new();
    let mut lap = |what: &str, since: Instant| {
        timings.push((what.to_string(), since.elapsed().as_secs()));
    };
    let root = root();
    let libraries = libraries()?;
    let picture = stack_picture(&root)?;
    check_workspace_readme(&root, &libraries)?;

    // 1. Package them all at once: cargo orders them by their dependencies.
    let t = Instant::now();
    let mut cmd = cargo();
    cmd.args(["package", "--no-verify", "--allow-dirty", "--quiet"]);
    for lib in &libraries {
        cmd.args(["-p", &lib.name]);
    }
    run(&mut cmd)?;
    lap("cargo package", t);

    // 2. Unpack and check what each package ships.
    let work = root.join("target").join("package-check");
    let unpacked = work.join("packages");
    std::fs::create_dir_all(&unpacked)
        .map_err(|e| format!("creating {}: {e}", unpacked.display()))?;
    let mut packages = Vec::new();
    for lib in &libraries {
        let dir = unpack(&root, &unpacked, &lib.name)?;
        check_package(&lib.name, &dir, &picture)?;
        packages.push((lib, dir));
    }

    // 3. The firmware author's project, outside the repository.
    // One directory per checkout (several may run side by side), the same one on every run
    // (so cargo's fingerprints of the project stay valid).
    let checkout = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        root.hash(&mut hasher);
        hasher.finish()
    };
    let project = std::env::temp_dir().join(format!("provkit-package-check-{checkout:016x}"));
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(project.join("src"))
        .map_err(|e| format!("creating {}: {e}", project.display()))?;
    let mut dependencies: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut lib_rs = String::from(
        "//! A firmware author's crate: every provkit README's example, against the packages.\n\
         #![no_std]\n\
         #![allow(dead_code, unused_imports, unused_mut, unused_variables)]\n\
         extern crate alloc;\n",
    );
    for (lib, dir) in &packages {
        let readme = read(&dir.join("README.md"))?;
        merge_dependencies(&lib.name, &readme, &mut dependencies)?;
        let examples = rust_blocks(&readme);
        if examples.is_empty() {
            return Err(format!("{}/README.md has no ```rust example", lib.name));
        }
        let module = lib.name.replace('-', "_");
        lib_rs.push_str(&format!(
            "\n#[doc = include_str!({:?})]\npub mod {module} {{\n",
            dir.join("README.md").display().to_string()
        ));
        for (i, code) in examples.iter().enumerate() {
            lib_rs.push_str(&format!(
                "    pub mod example_{i} {{\n{}\n    }}\n",
                as_module(code)
            ));
        }
        lib_rs.push_str("}\n");
    }
    let mut manifest = String::from(
        "[package]\nname = \"firmware-author\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
         publish = false\n\n# Its own workspace, whatever directory it sits in.\n[workspace]\n",
    );
    for (table, lines) in &dependencies {
        manifest.push_str(&format!("\n{table}\n"));
        for line in lines.values() {
            manifest.push_str(line);
            manifest.push('\n');
        }
    }
    manifest.push_str("\n# The versions above, taken from the packages as `cargo package` made them.\n[patch.crates-io]\n");
    for (lib, dir) in &packages {
        manifest.push_str(&format!(
            "{} = {{ path = {:?} }}\n",
            lib.name,
            dir.display().to_string()
        ));
    }
    write(&project.join("Cargo.toml"), &manifest)?;
    write(&project.join("src/lib.rs"), &lib_rs)?;
    // The repository's lock file: the same dependency versions the workspace is tested with.
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock"))
        .map_err(|e| format!("copying Cargo.lock: {e}"))?;
    eprintln!(
        "firmware-author project in {}:\n{manifest}",
        project.display()
    );

    // 4. Build it for the embedded targets, run its doctests on the host.
    ensure_targets(TARGETS)?;
    let project_manifest = project.join("Cargo.toml");
    // The workspace's own target directory, in the dev profile as `cargo xtask nostd` builds
    // the chips: the registry dependencies compiled there (same lock, same profile) are reused
    // instead of being compiled a second time for each target.
    let target_dir = root.join("target");
    for target in TARGETS {
        let t = Instant::now();
        run(cargo()
            .args(["build", "--target", target, "--manifest-path"])
            .arg(&project_manifest)
            .env("CARGO_TARGET_DIR", &target_dir))?;
        lap(&format!("build {target}"), t);
    }
    let t = Instant::now();
    run(cargo()
        .args(["test", "--doc", "--manifest-path"])
        .arg(&project_manifest)
        .env("CARGO_TARGET_DIR", &target_dir))?;
    lap("host doctests", t);

    eprintln!("\n==== package-check: timings ====");
    for (what, secs) in &timings {
        eprintln!("{what:>40}: {secs:>4} s");
    }
    eprintln!("{:>40}: {:>4} s", "total", started.elapsed().as_secs());
    println!(
        "package-check: {} crates package, and a project outside the workspace builds against \
         the packages for the host, {} and runs their README examples",
        libraries.len(),
        TARGETS.join(", ")
    );
    Ok(())
}

/// The workspace members under `crates/` that are published (no `publish = false`).
fn libraries() -> Result<Vec<Library>, String> {
    let out = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root())
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let crates_dir = root().join("crates");
    let mut libraries = Vec::new();
    for package in json["packages"].as_array().into_iter().flatten() {
        let manifest = PathBuf::from(package["manifest_path"].as_str().unwrap_or_default());
        let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        // `publish = false` shows as an empty registry list.
        let unpublished = package["publish"].as_array().is_some_and(Vec::is_empty);
        if dir.starts_with(&crates_dir) && !unpublished {
            let name = package["name"].as_str().unwrap_or_default().to_string();
            libraries.push(Library { name, dir });
        }
    }
    if libraries.is_empty() {
        return Err("no published crate under crates/".into());
    }
    libraries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(libraries)
}

/// The fenced picture after [`PICTURE_START`] in `docs/ARCHITECTURE.md`.
fn stack_picture(root: &Path) -> Result<String, String> {
    let text = read(&root.join("docs/ARCHITECTURE.md"))?;
    let after = text
        .split_once(PICTURE_START)
        .map(|(_, after)| after.trim_start())
        .ok_or_else(|| format!("docs/ARCHITECTURE.md lost its marker `{PICTURE_START}`"))?;
    let body = after
        .strip_prefix("```text\n")
        .and_then(|rest| rest.split_once("\n```"))
        .map(|(body, _)| body)
        .ok_or("the marker in docs/ARCHITECTURE.md is not followed by a ```text block")?;
    Ok(format!("```text\n{body}\n```"))
}

/// The workspace README links every library crate's README.
fn check_workspace_readme(root: &Path, libraries: &[Library]) -> Result<(), String> {
    let readme = read(&root.join("README.md"))?;
    let missing: Vec<&str> = libraries
        .iter()
        .filter(|lib| {
            let rel = lib.dir.strip_prefix(root).unwrap_or(&lib.dir);
            !readme.contains(&format!("({}/README.md)", rel.display()))
        })
        .map(|lib| lib.name.as_str())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "README.md's crate table does not link the README of {}",
            missing.join(", ")
        ))
    }
}

/// Unpacks `target/package/NAME-VERSION.crate` into `into/NAME-VERSION`, unless the same bytes
/// were unpacked there before (then the build of that package stays fresh).
fn unpack(root: &Path, into: &Path, name: &str) -> Result<PathBuf, String> {
    let version = env!("CARGO_PKG_VERSION"); // xtask shares the workspace version
    let file = format!("{name}-{version}.crate");
    let fresh = root.join("target").join("package").join(&file);
    let kept = into.join(&file);
    let dir = into.join(format!("{name}-{version}"));
    let bytes = std::fs::read(&fresh).map_err(|e| format!("reading {}: {e}", fresh.display()))?;
    if dir.is_dir() && std::fs::read(&kept).ok().as_deref() == Some(bytes.as_slice()) {
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    // `-m`: files get the time of unpacking, so cargo sees changed sources as changed.
    run(Command::new("tar")
        .arg("-xzmf")
        .arg(&fresh)
        .arg("-C")
        .arg(into))?;
    std::fs::write(&kept, &bytes).map_err(|e| format!("writing {}: {e}", kept.display()))?;
    Ok(dir)
}

/// What a package must and must not ship.
fn check_package(name: &str, dir: &Path, picture: &str) -> Result<(), String> {
    for file in ["README.md", "LICENSE-MIT", "LICENSE-APACHE", "src/lib.rs"] {
        if !dir.join(file).is_file() {
            return Err(format!("the {name} package lacks {file}"));
        }
    }
    // Generated code is shipped; nothing may run protoc, prost-build or anything else.
    if dir.join("build.rs").exists() {
        return Err(format!("the {name} package has a build script"));
    }
    let readme = read(&dir.join("README.md"))?;
    if !readme.contains(picture) {
        return Err(format!(
            "{name}/README.md does not carry the stack picture of docs/ARCHITECTURE.md (copy it)"
        ));
    }
    let lib = read(&dir.join("src/lib.rs"))?;
    if !lib.contains("#![doc = include_str!(\"../README.md\")]") {
        return Err(format!(
            "{name}'s lib.rs does not use its README as crate docs"
        ));
    }
    Ok(())
}

/// The `Cargo.toml` lines of the README's ```toml blocks, by table. A crate's own README has
/// the last word on its own line; other crates' lines are taken when no README gave one yet.
fn merge_dependencies(
    name: &str,
    readme: &str,
    into: &mut BTreeMap<String, BTreeMap<String, String>>,
) -> Result<(), String> {
    let mut own = false;
    for block in fenced_blocks(readme, "toml") {
        let mut table = String::new();
        for line in block.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with('[') {
                table = line.to_string();
                continue;
            }
            let Some((key, _)) = line.split_once('=') else {
                return Err(format!(
                    "{name}/README.md: `{line}` is not a dependency line"
                ));
            };
            if table.is_empty() {
                return Err(format!("{name}/README.md: `{line}` is outside a table"));
            }
            let key = key.trim().to_string();
            own |= key == name;
            let lines = into.entry(table.clone()).or_default();
            if key == name || !lines.contains_key(&key) {
                lines.insert(key, line.to_string());
            }
        }
    }
    if own {
        Ok(())
    } else {
        Err(format!(
            "{name}/README.md has no ```toml line that depends on {name}"
        ))
    }
}

fn rust_blocks(markdown: &str) -> Vec<String> {
    fenced_blocks(markdown, "rust")
}

/// The bodies of the fenced code blocks whose info string is exactly `lang`.
fn fenced_blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.trim_start().strip_prefix("```") == Some(lang) => {
                current = Some(String::new());
            }
            None => {}
            Some(_) if line.trim_start() == "```" => blocks.extend(current.take()),
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    blocks
}

/// A doctest's code as module items: hidden lines shown (rustdoc's `# ` prefix), crate
/// attributes and the host harness's `extern crate std` dropped (the project is `#![no_std]`
/// already), and code without its own `fn main` wrapped in one, as rustdoc does.
fn as_module(code: &str) -> String {
    let lines: Vec<String> = code
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed == "#" {
                String::new()
            } else if let Some(rest) = trimmed.strip_prefix("# ") {
                rest.to_string()
            } else if trimmed.starts_with("##") {
                line.replacen('#', "", 1)
            } else {
                line.to_string()
            }
        })
        .filter(|line| {
            let t = line.trim_start();
            !t.starts_with("#![") && !t.starts_with("extern crate std")
        })
        .collect();
    let body = lines.join("\n");
    if body.contains("fn main(") {
        body
    } else {
        format!("pub fn main() {{\n{body}\n}}")
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctest_code_becomes_no_std_module_items() {
        let code =
            "#![no_std]\n# extern crate std; // host harness\nuse core::fmt;\n# fn main() {}\n";
        assert_eq!(as_module(code), "use core::fmt;\nfn main() {}");
        assert_eq!(as_module("let x = 1;\n"), "pub fn main() {\nlet x = 1;\n}");
    }

    #[test]
    fn a_readme_has_the_last_word_on_its_own_dependency_line() {
        let mut deps = BTreeMap::new();
        let hal = "```toml\n[dependencies]\nprovkit-hal = \"0.1\"\n```\n";
        let wifi = "```toml\n[dependencies]\nprovkit-wifi = \"0.1\"\nprovkit-hal = { version = \"0.1\", features = [\"x\"] }\n```\n";
        merge_dependencies("provkit-wifi", wifi, &mut deps).unwrap();
        merge_dependencies("provkit-hal", hal, &mut deps).unwrap();
        assert_eq!(
            deps["[dependencies]"]["provkit-hal"],
            "provkit-hal = \"0.1\""
        );
        assert_eq!(
            deps["[dependencies]"]["provkit-wifi"],
            "provkit-wifi = \"0.1\""
        );
        assert!(merge_dependencies("provkit-nwp", hal, &mut deps).is_err());
    }

    #[test]
    fn only_blocks_of_the_language_asked_for() {
        let md = "```rust\nfn a() {}\n```\n```text\nno\n```\n```toml\n[x]\n```\n";
        assert_eq!(fenced_blocks(md, "rust"), vec!["fn a() {}\n".to_string()]);
        assert_eq!(fenced_blocks(md, "toml"), vec!["[x]\n".to_string()]);
    }
}
