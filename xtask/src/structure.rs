//! `cargo xtask structure`: dependencies point one way, between crates and inside them.
//!
//! * **Crates** (`cargo metadata --no-deps` of every workspace: the host one, `firmware/`,
//!   `firmware/provkit-cc3220sf`, `fuzz/`): every provkit crate has a role in [`ROLES`]; a
//!   library depends only on libraries and support crates, an adapter never on another adapter,
//!   nothing on an application, and the provkit graph counting dev-dependencies too has no
//!   cycle. A crate missing from the table fails the check, so a new crate gets its place.
//! * **Modules**: for every target of every package, module A *names* module B when A (or
//!   anything inside it) refers to an item B defines — by `use`, by a path in code or in a
//!   macro's arguments; `pub use` re-exports are followed to the module that defines the item,
//!   `mod` declarations are not references. At every level of the module tree the children
//!   of one parent must name each other without a cycle (a module and its own submodules may
//!   refer to each other freely: the parent is their index, as the crate root is the index of
//!   the top-level modules). And no `#[path]` may leave the crate's directory.
//!
//! Sources are parsed with `syn`; nothing is compiled, so the step takes about a second.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

use crate::process::{cargo, root};

/// What a crate is for; decides what it may depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Sans-I/O libraries (and the async engine over them): depend on libraries only.
    Library,
    /// Owns a platform's I/O (a host, a chip): depends on libraries, never on another adapter.
    Adapter,
    /// Binaries, firmware images, test and bench targets: the top; nothing depends on them.
    Application,
    /// Libraries of test scenarios (in-memory device/client pairs) that test and bench
    /// applications share: depend on anything but applications; only applications and other
    /// harnesses depend on them.
    Harness,
    /// Build- and test-time helpers that depend on no provkit crate.
    Support,
}

/// Every provkit package and its role.
const ROLES: &[(&str, Role)] = &[
    ("provkit-proto", Role::Library),
    ("provkit-hal", Role::Library),
    ("provkit-security", Role::Library),
    ("provkit-protocomm", Role::Library),
    ("provkit-wifi", Role::Library),
    ("provkit-http", Role::Library),
    ("provkit-ble", Role::Library),
    ("provkit-client", Role::Library),
    ("provkit-manager", Role::Library),
    ("provkit-portal", Role::Library),
    ("provkit-engine", Role::Library),
    ("provkit-nwp", Role::Library),
    ("provkit-sim", Role::Adapter),
    ("provkit-cc32xx", Role::Adapter),
    ("provkit-esp32", Role::Adapter),
    ("provkit-cli", Role::Application),
    ("provkit-e2e", Role::Harness),
    ("provkit-hostile", Role::Application),
    ("provkit-bench", Role::Application),
    ("provkit-fuzz", Role::Application),
    ("provkit-reference", Role::Application),
    ("provkit-cc3220sf", Role::Application),
    ("xtask", Role::Application),
    ("provkit-codegen", Role::Support),
    ("provkit-testkit", Role::Support),
];

/// The workspaces, by manifest relative to the repository root.
const WORKSPACES: &[&str] = &[
    "Cargo.toml",
    "firmware/Cargo.toml",
    "firmware/provkit-cc3220sf/Cargo.toml",
    "fuzz/Cargo.toml",
];

/// One package as `cargo metadata --no-deps` describes it.
struct Package {
    name: String,
    dir: PathBuf,
    /// (dependency name, kind: "normal" / "dev" / "build").
    deps: Vec<(String, String)>,
    /// Root source files of its targets (lib, bins, tests, examples, benches).
    roots: Vec<PathBuf>,
}

pub fn structure() -> Result<(), String> {
    let started = std::time::Instant::now();
    let mut packages = Vec::new();
    for manifest in WORKSPACES {
        packages.extend(metadata(&root().join(manifest))?);
    }
    let mut problems = crate_problems(&packages);
    let mut modules = 0;
    for package in &packages {
        for target in &package.roots {
            match module_graph(target, &package.dir) {
                Ok(graph) => {
                    modules += graph.modules.len();
                    problems.extend(graph.problems.iter().cloned());
                    for cycle in graph.cycles() {
                        problems.push(format!(
                            "{}: module cycle {}",
                            display(target),
                            cycle.join(" → ")
                        ));
                    }
                }
                Err(e) => problems.push(e),
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    if problems.is_empty() {
        println!(
            "structure: {} packages, {modules} modules in their targets: no cycle, every \
             dependency points one way ({secs:.1} s)",
            packages.len()
        );
        Ok(())
    } else {
        Err(format!(
            "{} structure problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

fn display(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn metadata(manifest: &Path) -> Result<Vec<Package>, String> {
    let out = cargo()
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata --manifest-path {}: {}",
            manifest.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let mut packages = Vec::new();
    for p in json["packages"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or_default().to_string();
        let dir = Path::new(p["manifest_path"].as_str().unwrap_or_default())
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let deps = p["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                (
                    d["name"].as_str().unwrap_or_default().to_string(),
                    d["kind"].as_str().unwrap_or("normal").to_string(),
                )
            })
            .collect();
        let roots = p["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                // Build scripts are leaves; everything else is a crate of its own.
                !t["kind"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k == "custom-build")
            })
            .filter_map(|t| t["src_path"].as_str().map(PathBuf::from))
            .collect();
        packages.push(Package {
            name,
            dir,
            deps,
            roots,
        });
    }
    Ok(packages)
}

fn role(name: &str) -> Option<Role> {
    ROLES.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// Crate-level rules (module docs).
fn crate_problems(packages: &[Package]) -> Vec<String> {
    let mut problems = Vec::new();
    let ours: BTreeSet<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in packages {
        let Some(from) = role(&p.name) else {
            problems.push(format!(
                "crate {} has no role in xtask/src/structure.rs ROLES: give it one",
                p.name
            ));
            continue;
        };
        for (dep, kind) in &p.deps {
            if dep == &p.name || !ours.contains(dep.as_str()) {
                continue;
            }
            edges.entry(&p.name).or_default().insert(dep);
            let Some(to) = role(dep) else { continue };
            let allowed = match (from, to) {
                (_, Role::Application) => false,
                (Role::Support, _) => false,
                (_, Role::Support) => true,
                (Role::Application | Role::Harness, _) => true,
                (_, Role::Harness) => false,
                (Role::Library, Role::Library) => true,
                (Role::Library, Role::Adapter) => false,
                (Role::Adapter, Role::Library) => true,
                (Role::Adapter, Role::Adapter) => false,
            };
            if !allowed {
                problems.push(format!(
                    "{} ({from:?}) must not depend on {dep} ({to:?}) [{kind}]",
                    p.name
                ));
            }
        }
    }
    for cycle in cycles(&edges) {
        problems.push(format!(
            "crate cycle (dev-dependencies included): {}",
            cycle.join(" → ")
        ));
    }
    problems
}

/// Every strongly connected component with more than one node, as a cycle through it.
fn cycles<N: Ord + Copy + std::fmt::Display>(edges: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<String>> {
    // Tarjan's algorithm, iterative enough for graphs of a few hundred nodes.
    struct State<N> {
        index: BTreeMap<N, usize>,
        low: BTreeMap<N, usize>,
        stack: Vec<N>,
        on_stack: BTreeSet<N>,
        next: usize,
        sccs: Vec<Vec<N>>,
    }
    fn visit<N: Ord + Copy>(n: N, edges: &BTreeMap<N, BTreeSet<N>>, s: &mut State<N>) {
        s.index.insert(n, s.next);
        s.low.insert(n, s.next);
        s.next += 1;
        s.stack.push(n);
        s.on_stack.insert(n);
        for &m in edges.get(&n).into_iter().flatten() {
            if !s.index.contains_key(&m) {
                visit(m, edges, s);
                let low = s.low[&n].min(s.low[&m]);
                s.low.insert(n, low);
            } else if s.on_stack.contains(&m) {
                let low = s.low[&n].min(s.index[&m]);
                s.low.insert(n, low);
            }
        }
        if s.low[&n] == s.index[&n] {
            let mut scc = Vec::new();
            while let Some(m) = s.stack.pop() {
                s.on_stack.remove(&m);
                scc.push(m);
                if m == n {
                    break;
                }
            }
            if scc.len() > 1 {
                s.sccs.push(scc);
            }
        }
    }
    let mut s = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        sccs: Vec::new(),
    };
    for &n in edges.keys() {
        if !s.index.contains_key(&n) {
            visit(n, edges, &mut s);
        }
    }
    // Name one concrete cycle per component: a shortest path back to its smallest node.
    s.sccs
        .into_iter()
        .map(|scc| {
            let members: BTreeSet<N> = scc.iter().copied().collect();
            let start = *members.iter().next().expect("non-empty");
            let mut prev: BTreeMap<N, N> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            let mut found = None;
            while let Some(n) = queue.pop_front() {
                for &m in edges.get(&n).into_iter().flatten() {
                    if !members.contains(&m) {
                        continue;
                    }
                    if m == start {
                        found = Some(n);
                        break;
                    }
                    if let std::collections::btree_map::Entry::Vacant(e) = prev.entry(m) {
                        e.insert(n);
                        queue.push_back(m);
                    }
                }
                if found.is_some() {
                    break;
                }
            }
            let mut path = vec![start];
            let mut at = found.unwrap_or(start);
            let mut back = Vec::new();
            while at != start {
                back.push(at);
                at = prev.get(&at).copied().unwrap_or(start);
            }
            path.extend(back.into_iter().rev());
            path.push(start);
            let mut shown: Vec<String> = path.iter().map(ToString::to_string).collect();
            if members.len() + 1 > path.len() {
                // More modules take part than this one cycle shows: name them all.
                let all: Vec<String> = members.iter().map(ToString::to_string).collect();
                if let Some(last) = shown.last_mut() {
                    last.push_str(&format!(" (cycles among {})", all.join(", ")));
                }
            }
            shown
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Modules

/// A module path inside one crate (`[]` is the crate root).
type ModPath = Vec<String>;

fn name(path: &ModPath) -> String {
    if path.is_empty() {
        "crate".to_string()
    } else {
        path.join("::")
    }
}

#[derive(Default)]
struct Module {
    children: BTreeSet<String>,
    /// Items defined here (types, functions, constants, traits, macros).
    items: BTreeSet<String>,
    /// `pub use` / `pub(crate) use`: visible name → path as written.
    reexports: HashMap<String, Vec<String>>,
    /// `pub use x::*`: paths as written.
    glob_reexports: Vec<Vec<String>>,
    /// Every path this module names, as written (relative to it).
    refs: Vec<Vec<String>>,
}

struct ModuleGraph {
    modules: BTreeMap<ModPath, Module>,
    problems: Vec<String>,
}

fn module_graph(root_file: &Path, crate_dir: &Path) -> Result<ModuleGraph, String> {
    let mut graph = ModuleGraph {
        modules: BTreeMap::new(),
        problems: Vec::new(),
    };
    let dir = root_file.parent().unwrap_or(Path::new(".")).to_path_buf();
    load_file(&mut graph, Vec::new(), root_file, &dir, crate_dir)?;
    Ok(graph)
}

fn load_file(
    graph: &mut ModuleGraph,
    path: ModPath,
    file: &Path,
    child_dir: &Path,
    crate_dir: &Path,
) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", display(file)))?;
    let parsed = syn::parse_file(&text).map_err(|e| format!("{}: {e}", display(file)))?;
    load_items(graph, path, &parsed.items, file, child_dir, crate_dir)
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| {
        if !a.path().is_ident("path") {
            return None;
        }
        match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        }
    })
}

fn load_items(
    graph: &mut ModuleGraph,
    path: ModPath,
    items: &[syn::Item],
    file: &Path,
    child_dir: &Path,
    crate_dir: &Path,
) -> Result<(), String> {
    let mut module = Module::default();
    let mut collector = Collector { refs: Vec::new() };
    let mut submodules = Vec::new();
    for item in items {
        match item {
            syn::Item::Mod(m) => {
                let child = m.ident.to_string();
                module.children.insert(child.clone());
                let mut child_path = path.clone();
                child_path.push(child.clone());
                match &m.content {
                    Some((_, inner)) => submodules.push((
                        child_path,
                        Some(inner.clone()),
                        None,
                        child_dir.join(&child),
                    )),
                    None => {
                        let file = match path_attr(&m.attrs) {
                            Some(p) => {
                                let target = file.parent().unwrap_or(Path::new(".")).join(p);
                                let inside = target
                                    .canonicalize()
                                    .ok()
                                    .zip(crate_dir.canonicalize().ok())
                                    .is_some_and(|(t, c)| t.starts_with(c));
                                if !inside {
                                    graph.problems.push(format!(
                                        "{}: #[path] on `mod {child}` leaves the crate ({})",
                                        display(file),
                                        target.display()
                                    ));
                                    continue;
                                }
                                target
                            }
                            None => {
                                let flat = child_dir.join(format!("{child}.rs"));
                                if flat.exists() {
                                    flat
                                } else {
                                    child_dir.join(&child).join("mod.rs")
                                }
                            }
                        };
                        submodules.push((child_path, None, Some(file), child_dir.join(&child)));
                    }
                }
            }
            syn::Item::Use(u) => {
                let public = !matches!(u.vis, syn::Visibility::Inherited);
                let mut leaves = Vec::new();
                use_leaves(&u.tree, Vec::new(), &mut leaves);
                for (segments, visible) in leaves {
                    match &visible {
                        Some(n) if public => {
                            module.reexports.insert(n.clone(), segments.clone());
                        }
                        None if public => module.glob_reexports.push(segments.clone()),
                        _ => {}
                    }
                    module.refs.push(segments);
                }
            }
            other => {
                if let Some(n) = item_name(other) {
                    module.items.insert(n);
                }
                collector.visit_item(other);
            }
        }
    }
    module.refs.extend(collector.refs);
    graph.modules.insert(path, module);
    for (child_path, inline, child_file, dir) in submodules {
        match (inline, child_file) {
            (Some(items), _) => load_items(graph, child_path, &items, file, &dir, crate_dir)?,
            (None, Some(f)) => {
                // A `mod.rs` (or a `#[path]` file) holds its children beside it.
                let child_dir = if f.file_name().is_some_and(|n| n == "mod.rs") {
                    f.parent().unwrap_or(Path::new(".")).to_path_buf()
                } else {
                    dir
                };
                if f.exists() {
                    load_file(graph, child_path, &f, &child_dir, crate_dir)?;
                }
            }
            (None, None) => {}
        }
    }
    Ok(())
}

/// The leaves of a `use` tree: (path, visible name; `None` for a glob).
fn use_leaves(
    tree: &syn::UseTree,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            let mut next = prefix;
            next.push(p.ident.to_string());
            use_leaves(&p.tree, next, out);
        }
        syn::UseTree::Name(n) => {
            let ident = n.ident.to_string();
            let visible = if ident == "self" {
                prefix.last().cloned()
            } else {
                Some(ident.clone())
            };
            let mut path = prefix;
            if ident != "self" {
                path.push(ident);
            }
            out.push((path, visible));
        }
        syn::UseTree::Rename(r) => {
            let ident = r.ident.to_string();
            let mut path = prefix;
            if ident != "self" {
                path.push(ident);
            }
            out.push((path, Some(r.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix, None)),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix.clone(), out);
            }
        }
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    Some(
        match item {
            syn::Item::Const(i) => &i.ident,
            syn::Item::Enum(i) => &i.ident,
            syn::Item::Fn(i) => &i.sig.ident,
            syn::Item::Macro(i) => i.ident.as_ref()?,
            syn::Item::Static(i) => &i.ident,
            syn::Item::Struct(i) => &i.ident,
            syn::Item::Trait(i) => &i.ident,
            syn::Item::TraitAlias(i) => &i.ident,
            syn::Item::Type(i) => &i.ident,
            syn::Item::Union(i) => &i.ident,
            _ => return None,
        }
        .to_string(),
    )
}

/// Collects every multi-segment path of an item, including those inside macro arguments.
struct Collector {
    refs: Vec<Vec<String>>,
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.segments.len() > 1 && path.leading_colon.is_none() {
            self.refs
                .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        tokens_paths(mac.tokens.clone(), &mut self.refs);
        syn::visit::visit_macro(self, mac);
    }

    // Nested modules and `use` inside function bodies are rare; their paths still count.
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&u.tree, Vec::new(), &mut leaves);
        self.refs.extend(leaves.into_iter().map(|(p, _)| p));
    }
}

/// `a::b::c` sequences in a macro's tokens (which syn does not parse).
fn tokens_paths(tokens: TokenStream, out: &mut Vec<Vec<String>>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        if let TokenTree::Group(g) = &tokens[i] {
            tokens_paths(g.stream(), out);
            i += 1;
            continue;
        }
        let preceded_by_colons = i >= 2
            && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == ':')
            && matches!(&tokens[i - 2], TokenTree::Punct(p) if p.as_char() == ':');
        let mut segments = Vec::new();
        let mut j = i;
        while let Some(TokenTree::Ident(id)) = tokens.get(j) {
            segments.push(id.to_string());
            let colons = matches!(tokens.get(j + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':')
                && matches!(tokens.get(j + 2), Some(TokenTree::Punct(p)) if p.as_char() == ':');
            if !colons {
                break;
            }
            j += 3;
        }
        if segments.len() > 1 && !preceded_by_colons {
            out.push(segments);
            i = j;
        }
        i += 1;
    }
}

impl ModuleGraph {
    /// The module and item a path written in `from` names, if it is in this crate.
    fn resolve(&self, from: &ModPath, raw: &[String]) -> Option<(ModPath, Option<String>)> {
        let first = raw.first()?;
        let (mut at, mut rest): (ModPath, &[String]) = match first.as_str() {
            "crate" => (Vec::new(), &raw[1..]),
            "self" => (from.clone(), &raw[1..]),
            "super" => {
                let mut at = from.clone();
                let mut rest = raw;
                while rest.first().is_some_and(|s| s == "super") {
                    at.pop()?;
                    rest = &rest[1..];
                }
                (at, rest)
            }
            _ if self.modules.get(from)?.children.contains(first) => (from.clone(), raw),
            _ => return None,
        };
        while let Some(next) = rest.first() {
            if self.modules.get(&at)?.children.contains(next) {
                at.push(next.clone());
                rest = &rest[1..];
            } else {
                break;
            }
        }
        Some((at, rest.first().cloned()))
    }

    /// The module that defines `item` as seen from `module` (re-exports followed).
    fn defining(&self, module: &ModPath, item: Option<&str>, depth: usize) -> ModPath {
        let Some(item) = item else {
            return module.clone();
        };
        let Some(m) = self.modules.get(module) else {
            return module.clone();
        };
        if depth > 16 || m.items.contains(item) || m.children.contains(item) {
            return module.clone();
        }
        if let Some(raw) = m.reexports.get(item)
            && let Some((target, next)) = self.resolve(module, raw)
        {
            return self.defining(&target, next.as_deref(), depth + 1);
        }
        for glob in &m.glob_reexports {
            if let Some((source, None)) = self.resolve(module, glob)
                && self.provides(&source, item, depth + 1)
            {
                return self.defining(&source, Some(item), depth + 1);
            }
        }
        module.clone()
    }

    fn provides(&self, module: &ModPath, item: &str, depth: usize) -> bool {
        let Some(m) = self.modules.get(module) else {
            return false;
        };
        depth <= 16
            && (m.items.contains(item)
                || m.reexports.contains_key(item)
                || m.glob_reexports.iter().any(|g| {
                    self.resolve(module, g)
                        .is_some_and(|(s, _)| self.provides(&s, item, depth + 1))
                }))
    }

    /// Every reference between two distinct modules: (naming module, defining module).
    fn edges(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in self.references() {
            edges.entry(name(&from)).or_default().insert(name(&to));
        }
        edges
    }

    fn references(&self) -> BTreeSet<(ModPath, ModPath)> {
        let mut out = BTreeSet::new();
        for (path, module) in &self.modules {
            for raw in &module.refs {
                let Some((target, item)) = self.resolve(path, raw) else {
                    continue;
                };
                let defining = self.defining(&target, item.as_deref(), 0);
                if &defining != path {
                    out.insert((path.clone(), defining));
                }
            }
        }
        out
    }

    /// Sibling cycles at every level: a reference from `a::x::…` to `a::y::…` is an edge
    /// `x → y` among the children of `a`; references between a module and its ancestors are
    /// not edges.
    fn cycles(&self) -> Vec<Vec<String>> {
        let mut levels: BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        for (from, to) in self.references() {
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            let (Some(a), Some(b)) = (from.get(common), to.get(common)) else {
                // One is the other's ancestor.
                continue;
            };
            levels
                .entry(from[..common].to_vec())
                .or_default()
                .entry(a.clone())
                .or_default()
                .insert(b.clone());
        }
        let mut out = Vec::new();
        for (parent, edges) in &levels {
            let borrowed: BTreeMap<&str, BTreeSet<&str>> = edges
                .iter()
                .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
                .collect();
            for cycle in cycles(&borrowed) {
                let prefix = if parent.is_empty() {
                    String::new()
                } else {
                    format!("{}::", name(parent))
                };
                out.push(cycle.iter().map(|m| format!("{prefix}{m}")).collect());
            }
        }
        out
    }
}

/// `cargo xtask structure --graph CRATE_ROOT_FILE`: print one target's module edges (for
/// finding where a cycle comes from).
pub fn print_graph(file: &Path) -> Result<(), String> {
    let graph = module_graph(file, file.parent().unwrap_or(Path::new(".")))?;
    for (from, to) in graph.edges() {
        println!("{from} → {}", to.into_iter().collect::<Vec<_>>().join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_of(files: &[(&str, &str)]) -> ModuleGraph {
        // Tests run in parallel: one directory each.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("xtask-structure-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let g = module_graph(&dir.join("lib.rs"), &dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        g
    }

    #[test]
    fn finds_a_cycle_through_use_and_code_paths() {
        let g = graph_of(&[
            ("lib.rs", "mod a; mod b;"),
            ("a.rs", "use crate::b::B; pub struct A;"),
            (
                "b.rs",
                "pub struct B; fn f() -> crate::a::A { crate::a::A }",
            ),
        ]);
        assert_eq!(g.cycles().len(), 1, "{:?}", g.edges());
    }

    #[test]
    fn re_exports_are_followed_to_the_defining_module() {
        // a and b both name items through the root's re-exports: no cycle with the root.
        let g = graph_of(&[
            ("lib.rs", "mod a; mod b; pub use a::A; pub use b::*;"),
            ("a.rs", "pub struct A; fn f(_: crate::B) {}"),
            ("b.rs", "pub struct B;"),
        ]);
        assert!(g.cycles().is_empty(), "{:?}", g.edges());
        assert!(g.edges()["a"].contains("b"));
    }

    #[test]
    fn macro_arguments_and_inline_test_modules_count() {
        let g = graph_of(&[
            ("lib.rs", "mod a; mod b;"),
            (
                "a.rs",
                "pub struct A; #[cfg(test)] mod tests { use super::*; fn t() { let _ = A; } }",
            ),
            ("b.rs", "fn f(x: u8) -> bool { matches!(x, crate::a::A) }"),
        ]);
        let edges = g.edges();
        assert!(edges["b"].contains("a"), "{edges:?}");
        assert!(edges["a::tests"].contains("a"), "{edges:?}");
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn a_module_and_its_submodules_may_name_each_other_but_siblings_may_not() {
        let g = graph_of(&[
            ("lib.rs", "mod s;"),
            ("s/mod.rs", "mod x; mod y; pub struct Shared; pub use x::X;"),
            (
                "s/x.rs",
                "pub struct X; fn f(_: super::Shared, _: super::y::Y) {}",
            ),
            ("s/y.rs", "pub struct Y; fn g(_: crate::s::X) {}"),
        ]);
        let cycles = g.cycles();
        assert_eq!(
            cycles,
            vec![vec!["s::x", "s::y", "s::x"]],
            "{:?}",
            g.edges()
        );
    }

    #[test]
    fn a_path_attribute_outside_the_crate_is_a_problem() {
        let g = graph_of(&[("lib.rs", "#[path = \"../../elsewhere/x.rs\"] mod x;")]);
        assert_eq!(g.problems.len(), 1, "{:?}", g.problems);
    }

    #[test]
    fn crate_rules_catch_sideways_and_upward_dependencies() {
        let package = |name: &str, deps: &[(&str, &str)]| Package {
            name: name.into(),
            dir: PathBuf::new(),
            deps: deps
                .iter()
                .map(|(d, k)| (d.to_string(), k.to_string()))
                .collect(),
            roots: Vec::new(),
        };
        let packages = [
            package("provkit-sim", &[("provkit-cc32xx", "normal")]),
            package("provkit-cc32xx", &[("provkit-manager", "normal")]),
            package("provkit-manager", &[("provkit-e2e", "dev")]),
            package("provkit-e2e", &[("provkit-manager", "normal")]),
            package("provkit-new", &[]),
        ];
        let problems = crate_problems(&packages);
        assert_eq!(problems.len(), 4, "{problems:#?}");
    }
}
