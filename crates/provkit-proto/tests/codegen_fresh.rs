//! Fails when `src/generated.rs` no longer matches what `cargo xtask codegen` would write from
//! `proto/*.proto` (someone edited a `.proto` or the generated file by hand).

use std::path::Path;

#[test]
fn committed_code_matches_proto_files() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let fresh = provkit_codegen::generate(&root.join("proto")).expect("codegen runs");
    let fresh = rustfmt(&fresh);
    let committed = std::fs::read_to_string(manifest.join("src/generated.rs")).expect("read");
    assert!(
        fresh == committed,
        "crates/provkit-proto/src/generated.rs is stale: run `cargo xtask codegen` and commit"
    );
}

/// Formats generated text the same way `cargo xtask codegen` does.
fn rustfmt(text: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition=2024", "--emit=stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("rustfmt is installed with the toolchain");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "rustfmt failed");
    String::from_utf8(out.stdout).unwrap()
}
