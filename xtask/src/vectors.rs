//! `cargo xtask vectors`: regenerates the known-answer vectors in `tests/vectors/` from
//! Espressif's esp_prov (PyPI `esp-rainmaker-cli`, in the venv of `cargo xtask pyenv`) and
//! checks them against the committed copy, byte for byte.
//!
//! The generator is `tests/vectors/regenerate/regenerate.py`; it prints, per file, how many
//! values it recomputed, how many it adapted (computed with the PyPI copy after undoing one of
//! the two differences from the ESP-IDF copy that made the vectors) and how many it carried
//! over unchanged, split into inputs (read by the generator) and unused values (checked by
//! nothing); `tests/vectors/README.md` explains each. This module runs it into a temporary
//! directory and compares; on a difference it names the first differing value by its JSON path
//! (`cases[0].derived.K`), in the path syntax of the generator's manifest.
//!
//! * `cargo xtask vectors` checks; `--list-carried` also lists which values were carried;
//! * `cargo xtask vectors --write` rewrites the committed files with the regenerated ones;
//! * `cargo xtask vectors --self-test` proves the check can fail: it flips one hex digit of a
//!   recomputed value in every file of a temporary copy and requires the check of that copy to
//!   fail on exactly those values. [`ci`] (the step of `cargo xtask test`) runs both.

use crate::process::root;
use std::path::{Path, PathBuf};
use std::process::Command;

const GENERATOR: &str = "tests/vectors/regenerate/regenerate.py";
const VECTORS: &str = "tests/vectors";

pub fn vectors(args: &[String]) -> Result<(), String> {
    match args {
        [] => check(false).map(|_| ()),
        [flag] if flag == "--list-carried" => check(true).map(|_| ()),
        [flag] if flag == "--write" => write(),
        [flag] if flag == "--self-test" => {
            let run = check(false)?;
            self_test(&run)
        }
        _ => Err("usage: cargo xtask vectors [--write | --self-test | --list-carried]".into()),
    }
}

/// The `cargo xtask test` step: the check, then the self-test on its manifest.
pub fn ci() -> Result<(), String> {
    let run = check(false)?;
    self_test(&run)
}

/// One generator run: where it wrote, and its manifest (path and kind of every value).
struct Run {
    dir: TempDir,
    manifest: String,
}

impl Run {
    fn out(&self) -> PathBuf {
        self.dir.path.join("out")
    }
}

/// Runs the generator on `src` into a fresh temporary directory.
fn generate(src: &Path, list_carried: bool) -> Result<Run, String> {
    crate::interop::pyenv()?;
    let dir = TempDir::new("vectors")?;
    let manifest_path = dir.path.join("manifest.json");
    let mut cmd = Command::new(crate::interop::venv_python());
    cmd.arg(root().join(GENERATOR))
        .arg("--from")
        .arg(src)
        .arg("--out")
        .arg(dir.path.join("out"))
        .arg("--manifest")
        .arg(&manifest_path)
        // esp_prov imports a top-level `proto` module, which the workspace's `proto/` would
        // shadow if the workspace root were the working directory.
        .current_dir(&dir.path)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    if list_carried {
        cmd.arg("--list-carried");
    }
    eprintln!("$ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("starting the vector generator: {e}"))?;
    if !status.success() {
        return Err(format!(
            "the vector generator failed ({status}); its output above says where"
        ));
    }
    let manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|e| format!("reading {}: {e}", manifest_path.display()))?;
    Ok(Run { dir, manifest })
}

fn check(list_carried: bool) -> Result<Run, String> {
    let committed = root().join(VECTORS);
    let run = generate(&committed, list_carried)?;
    let differences = compare(&committed, &run.out())?;
    if differences.is_empty() {
        println!(
            "vectors: all {} files regenerate byte for byte",
            vector_files(&committed)?.len()
        );
        return Ok(run);
    }
    for d in &differences {
        println!("{d}");
    }
    Err(format!(
        "{} vector file(s) differ from what esp_prov regenerates (`cargo xtask vectors --write` \
         rewrites them, if the new values are right)",
        differences.len()
    ))
}

fn write() -> Result<(), String> {
    let committed = root().join(VECTORS);
    let run = generate(&committed, false)?;
    let mut rewritten = 0;
    for name in vector_files(&run.out())? {
        let fresh = read(&run.out().join(&name))?;
        let target = committed.join(&name);
        if std::fs::read(&target).ok().as_deref() != Some(fresh.as_slice()) {
            std::fs::write(&target, &fresh)
                .map_err(|e| format!("writing {}: {e}", target.display()))?;
            println!("vectors: rewrote {VECTORS}/{name}");
            rewritten += 1;
        }
    }
    println!("vectors: {rewritten} file(s) rewritten");
    Ok(())
}

/// Flips one hex digit of one recomputed value per file in a copy of the committed vectors and
/// requires the check of that copy to fail on each flipped value, and on nothing else.
fn self_test(clean: &Run) -> Result<(), String> {
    let committed = root().join(VECTORS);
    let work = TempDir::new("vectors-flipped")?;
    let mut flipped = Vec::new();
    for name in vector_files(&committed)? {
        let text = String::from_utf8(read(&committed.join(&name))?)
            .map_err(|_| format!("{name} is not UTF-8"))?;
        let recomputed = manifest_paths(&clean.manifest, &name, "recomputed")?;
        let (path, mutated) = flip_recomputed_hex(&text, &recomputed)
            .ok_or_else(|| format!("{name}: no recomputed hex value to flip"))?;
        let target = work.path.join(&name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("creating {}: {e}", parent.display()))?;
        }
        std::fs::write(&target, mutated)
            .map_err(|e| format!("writing {}: {e}", target.display()))?;
        flipped.push((name, path));
    }
    let run = generate(&work.path, false)?;
    let differences = compare(&work.path, &run.out())?;
    let mut failures = Vec::new();
    for (name, path) in &flipped {
        match differences.iter().find(|d| &d.file == name) {
            Some(d) if d.path.as_deref() == Some(path.as_str()) => {
                println!("vectors self-test: flipped {name} {path}: the check fails there")
            }
            Some(d) => failures.push(format!(
                "{name}: flipped {path}, but the check reported {}",
                d.path
                    .as_deref()
                    .unwrap_or("a difference outside any value")
            )),
            None => failures.push(format!(
                "{name}: flipped {path} and the check did not notice"
            )),
        }
    }
    if differences.len() != flipped.len() {
        failures.push(format!(
            "{} files differ after {} flips",
            differences.len(),
            flipped.len()
        ));
    }
    if failures.is_empty() {
        println!(
            "vectors self-test: {} flipped values, {} detected",
            flipped.len(),
            flipped.len()
        );
        Ok(())
    } else {
        Err(format!(
            "vectors self-test failed:\n  {}",
            failures.join("\n  ")
        ))
    }
}

/// The paths of one kind of value of one file in the generator's manifest
/// (`{"file": [[path, kind], ...]}`).
fn manifest_paths(manifest: &str, file: &str, kind: &str) -> Result<Vec<String>, String> {
    let nodes = json_spans(manifest.as_bytes())?;
    let entries = nodes
        .iter()
        .filter(|n| n.leaf && n.path.starts_with(&format!("{}[", quote_key(file))));
    let mut paths = Vec::new();
    let mut pending: Option<String> = None;
    for n in entries {
        let value = json_string(&manifest[n.start..n.end]).unwrap_or_default();
        if n.path.ends_with("[0]") {
            pending = Some(value);
        } else if let Some(path) = pending.take()
            && value == kind
        {
            paths.push(path);
        }
    }
    Ok(paths)
}

/// Picks the middle recomputed value that is a lowercase hex string and flips one digit in
/// the middle of it; returns its path and the new file text.
fn flip_recomputed_hex(text: &str, recomputed: &[String]) -> Option<(String, String)> {
    let nodes = json_spans(text.as_bytes()).ok()?;
    let candidates: Vec<&Node> = nodes
        .iter()
        .filter(|n| n.leaf && recomputed.contains(&n.path))
        .filter(|n| {
            json_string(&text[n.start..n.end]).is_some_and(|s| {
                // Byte strings (keys, ciphertexts, ...), not short decimal strings.
                s.len() >= 8
                    && s.len() % 2 == 0
                    && s.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
        })
        .collect();
    let node = candidates.get(candidates.len() / 2)?;
    // The string's bytes between the quotes; flip the lowest bit of the middle digit's value.
    let at = node.start + 1 + (node.end - node.start - 2) / 2;
    let digit = text.as_bytes()[at];
    let value = (digit as char).to_digit(16)? ^ 1;
    let replacement = char::from_digit(value, 16)?;
    let mut mutated = String::with_capacity(text.len());
    mutated.push_str(&text[..at]);
    mutated.push(replacement);
    mutated.push_str(&text[at + 1..]);
    Some((node.path.clone(), mutated))
}

/// A vector file that differs from its regenerated copy.
struct Difference {
    file: String,
    /// JSON path of the first differing value, when the difference is inside one.
    path: Option<String>,
    detail: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "vectors: {VECTORS}/{} differs: {}",
            self.file, self.detail
        )
    }
}

/// Compares every vector file of `committed` with `regenerated`, byte for byte.
fn compare(committed: &Path, regenerated: &Path) -> Result<Vec<Difference>, String> {
    let mut out = Vec::new();
    let ours = vector_files(committed)?;
    let theirs = vector_files(regenerated)?;
    for name in theirs.iter().filter(|n| !ours.contains(n)) {
        out.push(Difference {
            file: name.clone(),
            path: None,
            detail: "regenerated, but not committed".into(),
        });
    }
    for name in &ours {
        if !theirs.contains(name) {
            out.push(Difference {
                file: name.clone(),
                path: None,
                detail: "committed, but the generator does not produce it".into(),
            });
            continue;
        }
        let a = read(&committed.join(name))?;
        let b = read(&regenerated.join(name))?;
        if a != b {
            let (path, detail) = explain(&a, &b);
            out.push(Difference {
                file: name.clone(),
                path,
                detail,
            });
        }
    }
    Ok(out)
}

/// Names the first differing value of two JSON texts (by the first differing byte).
fn explain(committed: &[u8], regenerated: &[u8]) -> (Option<String>, String) {
    let at = committed
        .iter()
        .zip(regenerated)
        .position(|(x, y)| x != y)
        .unwrap_or(committed.len().min(regenerated.len()));
    let (Ok(ours), Ok(theirs)) = (json_spans(committed), json_spans(regenerated)) else {
        return (
            None,
            format!("first difference at byte {at} (not valid JSON)"),
        );
    };
    // The innermost value around the first differing byte.
    let Some(node) = ours
        .iter()
        .filter(|n| n.start <= at && at < n.end)
        .max_by_key(|n| n.depth)
    else {
        return (
            None,
            format!("first difference at byte {at}, outside any value (formatting)"),
        );
    };
    let place = if node.path.is_empty() {
        "the top level".to_string()
    } else {
        node.path.clone()
    };
    if !node.leaf {
        // A key, an element or the layout differs, not a value.
        let context = |text: &[u8]| {
            let from = at.saturating_sub(30);
            let to = (at + 30).min(text.len());
            format!("{:?}", String::from_utf8_lossy(&text[from.min(to)..to]))
        };
        return (
            Some(node.path.clone()),
            format!(
                "first difference at byte {at}, inside {place} but outside its values (a key, \
                 an element or the formatting)\n    committed:   {}\n    regenerated: {}",
                context(committed),
                context(regenerated)
            ),
        );
    }
    let shown = |text: &[u8], n: &Node| abbreviate(&String::from_utf8_lossy(&text[n.start..n.end]));
    let other = theirs
        .iter()
        .find(|n| n.path == node.path)
        .map(|n| shown(regenerated, n))
        .unwrap_or_else(|| "(absent)".into());
    (
        Some(node.path.clone()),
        format!(
            "first differing value at {place}\n    committed:   {}\n    regenerated: {other}",
            shown(committed, node)
        ),
    )
}

fn abbreviate(text: &str) -> String {
    const MAX: usize = 100;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}... ({} chars)", text.chars().count())
    }
}

/// Every `*.json` below `dir` (relative, `/`-separated, sorted), skipping the generator.
fn vector_files(dir: &Path) -> Result<Vec<String>, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if path.is_dir() {
                if name != "regenerate" {
                    walk(&path, &format!("{prefix}{name}/"), out)?;
                }
            } else if name.ends_with(".json") {
                out.push(format!("{prefix}{name}"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out)?;
    out.sort();
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

/// One JSON value of a text: its path, byte span and nesting depth. Leaves are scalars and
/// empty objects or arrays, as the generator counts them.
#[derive(Debug)]
struct Node {
    path: String,
    start: usize,
    end: usize,
    depth: usize,
    leaf: bool,
}

/// Every value of a JSON text with its span (a small parser: the vectors need no more).
fn json_spans(text: &[u8]) -> Result<Vec<Node>, String> {
    let mut p = SpanParser {
        text,
        pos: 0,
        nodes: Vec::new(),
    };
    p.value(String::new(), 0)?;
    p.ws();
    if p.pos != text.len() {
        return Err(format!("trailing data at byte {}", p.pos));
    }
    Ok(p.nodes)
}

struct SpanParser<'a> {
    text: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
}

impl SpanParser<'_> {
    fn ws(&mut self) {
        while self
            .text
            .get(self.pos)
            .is_some_and(|b| b" \t\r\n".contains(b))
        {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Result<u8, String> {
        self.text
            .get(self.pos)
            .copied()
            .ok_or_else(|| "unexpected end of JSON".to_string())
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.peek()? != byte {
            return Err(format!("expected `{}` at byte {}", byte as char, self.pos));
        }
        self.pos += 1;
        Ok(())
    }

    fn value(&mut self, path: String, depth: usize) -> Result<(), String> {
        self.ws();
        let start = self.pos;
        let index = self.nodes.len();
        self.nodes.push(Node {
            path: path.clone(),
            start,
            end: start,
            depth,
            leaf: true,
        });
        let mut children = 0;
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                loop {
                    self.ws();
                    if self.peek()? == b'}' {
                        break;
                    }
                    if children > 0 {
                        self.expect(b',')?;
                        self.ws();
                    }
                    let key_start = self.pos;
                    self.string()?;
                    let key = json_string(
                        std::str::from_utf8(&self.text[key_start..self.pos])
                            .map_err(|_| "key is not UTF-8".to_string())?,
                    )
                    .ok_or("bad object key")?;
                    self.ws();
                    self.expect(b':')?;
                    self.value(join_key(&path, &key), depth + 1)?;
                    children += 1;
                }
                self.pos += 1;
            }
            b'[' => {
                self.pos += 1;
                loop {
                    self.ws();
                    if self.peek()? == b']' {
                        break;
                    }
                    if children > 0 {
                        self.expect(b',')?;
                    }
                    self.value(format!("{path}[{children}]"), depth + 1)?;
                    children += 1;
                }
                self.pos += 1;
            }
            b'"' => self.string()?,
            _ => {
                while self
                    .text
                    .get(self.pos)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
                {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(format!("unexpected byte at {start}"));
                }
            }
        }
        self.nodes[index].end = self.pos;
        self.nodes[index].leaf = children == 0;
        Ok(())
    }

    fn string(&mut self) -> Result<(), String> {
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
    }
}

/// The text of a JSON string literal (`"..."`, with its quotes); None if it is not one.
fn json_string(literal: &str) -> Option<String> {
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'u' => {
                let code: String = chars.by_ref().take(4).collect();
                let unit = u32::from_str_radix(&code, 16).ok()?;
                // Keys and hex values in the vectors are ASCII; a surrogate pair stays escaped.
                out.push(char::from_u32(unit).unwrap_or('\u{fffd}'));
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// The generator's path syntax: `a.b`, `a["odd key"]`, `a[3]`.
fn join_key(path: &str, key: &str) -> String {
    let ident = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    } else {
        format!("{path}{}", quote_key(key))
    }
}

fn quote_key(key: &str) -> String {
    format!("[\"{}\"]", key.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A directory under the system temp dir, removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(tag: &str) -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("provkit-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{\n  \"cases\": [\n    {\n      \"k\": \"00ff\",\n      \"odd key\": [],\n      \"n\": -3\n    }\n  ],\n  \"e\": {}\n}\n";

    #[test]
    fn spans_name_every_leaf_with_the_generators_paths() {
        let nodes = json_spans(DOC.as_bytes()).unwrap();
        let leaves: Vec<(&str, &str)> = nodes
            .iter()
            .filter(|n| n.leaf)
            .map(|n| (n.path.as_str(), &DOC[n.start..n.end]))
            .collect();
        assert_eq!(
            leaves,
            [
                ("cases[0].k", "\"00ff\""),
                ("cases[0][\"odd key\"]", "[]"),
                ("cases[0].n", "-3"),
                ("e", "{}"),
            ]
        );
    }

    #[test]
    fn explain_names_the_first_differing_value() {
        let other = DOC.replace("00ff", "00fe");
        let (path, detail) = explain(DOC.as_bytes(), other.as_bytes());
        assert_eq!(path.as_deref(), Some("cases[0].k"));
        assert!(
            detail.contains("\"00ff\"") && detail.contains("\"00fe\""),
            "{detail}"
        );
    }

    #[test]
    fn a_formatting_difference_is_not_blamed_on_a_value() {
        let other = DOC.replace("\n  \"e\"", "\n \"e\"");
        let (path, detail) = explain(DOC.as_bytes(), other.as_bytes());
        assert_eq!(path.as_deref(), Some(""), "{detail}");
        assert!(detail.contains("outside its values"), "{detail}");
    }

    #[test]
    fn flipping_changes_one_digit_of_a_recomputed_hex_value() {
        let doc = DOC.replace("00ff", "00ff00ff");
        let (path, mutated) = flip_recomputed_hex(&doc, &["cases[0].k".to_string()]).unwrap();
        assert_eq!(path, "cases[0].k");
        assert_eq!(mutated, doc.replace("00ff00ff", "00ff10ff"));
        assert!(flip_recomputed_hex(DOC, &["cases[0].n".to_string()]).is_none());
    }

    #[test]
    fn manifest_paths_select_one_kind_of_one_file() {
        let manifest = r#"{"a.json": [["x", "recomputed"], ["y[\"k\"]", "carried-input"], ["z", "recomputed"]], "b.json": [["x", "adapted"]]}"#;
        assert_eq!(
            manifest_paths(manifest, "a.json", "recomputed").unwrap(),
            ["x", "z"]
        );
        assert_eq!(
            manifest_paths(manifest, "a.json", "carried-input").unwrap(),
            ["y[\"k\"]"]
        );
        assert!(
            manifest_paths(manifest, "b.json", "recomputed")
                .unwrap()
                .is_empty()
        );
    }
}
