//! The crate's layering (SPEC §2), checked from the code's `use` lines and
//! `crate::` paths:
//!
//! * layer order, bottom up: the foundation types (`message`, `error`,
//!   `options`, `routing_id`, `z85`, `curve`, `cert`), `zmtp`, `pattern`,
//!   `driver`, `socket`, `api`; a module may use its own layer and those
//!   below, never one above;
//! * no circle of imports among the files and subfolders of any folder;
//! * the sans-IO layers (`zmtp`, `pattern`) mention no tokio, sockets,
//!   clocks or threads outside their tests.
//!
//! The checker is tested too, on small made-up trees: it must report an
//! upward import and a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers by top-level module, bottom up.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &[
            "message",
            "error",
            "options",
            "routing_id",
            "z85",
            "curve",
            "cert",
        ],
    ),
    ("zmtp", &["zmtp"]),
    ("pattern", &["pattern"]),
    ("driver", &["driver"]),
    ("socket", &["socket"]),
    ("api", &["api"]),
];

/// One source file: its path under `src/` (with `/`) and its text.
type Source = (String, String);

fn sources(root: &Path, dir: &Path, out: &mut Vec<Source>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn tree() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    sources(&root, &root, &mut out);
    out.sort();
    out
}

/// The module path of a file: `driver/core/mod.rs` is `driver::core`,
/// `lib.rs` the crate root (empty).
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and string contents, so that
/// neither is taken for a path.
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut in_str = false;
        let mut prev = ' ';
        for c in line.chars() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
                out.push(c);
            } else if !in_str {
                out.push(c);
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

/// `code` without its inline `#[cfg(test)] mod name { ... }` blocks: unit
/// tests may use anything of their module, and `super` in them is the
/// file's own module.
fn without_test_modules(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        let is_inline_mod = trimmed.starts_with("mod ")
            && trimmed
                .find(['{', ';'])
                .is_some_and(|j| trimmed.as_bytes()[j] == b'{');
        if !is_inline_mod {
            rest = after;
            continue;
        }
        let open = after.find('{').unwrap_or(after.len());
        let mut depth = 0;
        let mut end = after.len();
        for (j, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    match tree.find('{') {
        None => {
            let item = tree.split(" as ").next().unwrap().trim();
            if !item.is_empty() {
                out.push(format!("{prefix}{item}"));
            }
        }
        Some(open) => {
            let head = format!("{prefix}{}", &tree[..open]);
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&head, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&head, &inner[start..], out);
        }
    }
}

/// Every path a file names: its `use` trees (expanded) and the `crate::`
/// paths in its code.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        let after = &rest[i + 4..];
        if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
            if let Some(end) = after.find(';') {
                expand("", &after[..end].replace(['\n', ' '], ""), &mut out);
            }
        }
        rest = after;
    }
    let text = code;
    for (i, _) in text.match_indices("crate::") {
        let before = text[..i].chars().last();
        // `$crate::` (in a macro) counts; `foo_crate::` does not.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let path: String = text[i..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        out.push(path.trim_end_matches(':').to_string());
    }
    out
}

/// The module a path leads into (its longest prefix that is a module of
/// the tree), from the file at `from`; `None` outside the crate.
fn resolve(path: &str, from: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = match segs.first().copied() {
        Some("crate") => {
            segs.remove(0);
            Vec::new()
        }
        Some("super") | Some("self") => from.to_vec(),
        _ => {
            // A path relative to this module: a child module, if any.
            let mut child = from.to_vec();
            child.push(segs.first()?.to_string());
            if !modules.contains(&child) {
                return None;
            }
            from.to_vec()
        }
    };
    while let Some(&s) = segs.first() {
        match s {
            "super" => {
                base.pop();
            }
            "self" => {}
            _ => break,
        }
        segs.remove(0);
    }
    for s in segs {
        let mut next = base.clone();
        next.push(s.to_string());
        if modules.contains(&next) {
            base = next;
        } else {
            break;
        }
    }
    Some(base)
}

fn layer(module: &[String]) -> Option<usize> {
    let top = module.first()?;
    LAYERS
        .iter()
        .position(|(_, tops)| tops.contains(&top.as_str()))
}

/// Every violation of the layering rules in `tree`.
fn check(tree: &[Source]) -> Vec<String> {
    let modules: BTreeSet<Vec<String>> = tree.iter().map(|(f, _)| module_of(f)).collect();
    let mut problems = Vec::new();
    // Edges inside each folder: folder module -> (from child, to child).
    let mut folders: BTreeMap<Vec<String>, BTreeSet<(String, String)>> = BTreeMap::new();
    for (file, text) in tree {
        let from = module_of(file);
        let named: BTreeSet<String> = paths(&without_test_modules(&code(text)))
            .into_iter()
            .collect();
        for p in named {
            let Some(to) = resolve(&p, &from, &modules) else {
                continue;
            };
            if let (Some(lf), Some(lt)) = (layer(&from), layer(&to)) {
                if lt > lf {
                    problems.push(format!(
                        "{file}: `{p}` goes up from layer {} to layer {}",
                        LAYERS[lf].0, LAYERS[lt].0
                    ));
                }
            }
            // Within every folder holding both ends, the children they
            // belong to.
            for depth in 0..from.len().min(to.len()) + 1 {
                let folder = &from[..depth.min(from.len())];
                if to.len() < folder.len() || to[..folder.len()] != *folder {
                    break;
                }
                let child = |m: &[String]| -> String {
                    m.get(folder.len()).cloned().unwrap_or_else(|| "mod".into())
                };
                let (a, b) = (child(&from), child(&to));
                if a != b && modules.contains(folder) {
                    folders.entry(folder.to_vec()).or_default().insert((a, b));
                }
            }
        }
    }
    for (folder, edges) in &folders {
        if let Some(cycle) = find_cycle(edges) {
            let name = if folder.is_empty() {
                "src".to_string()
            } else {
                format!("src/{}", folder.join("/"))
            };
            problems.push(format!("import circle in {name}: {}", cycle.join(" -> ")));
        }
    }
    problems
}

fn find_cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        graph.entry(a).or_default().push(b);
    }
    fn visit<'a>(
        n: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| *s == n) {
            let mut c: Vec<String> = stack[i..].iter().map(|s| s.to_string()).collect();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n);
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n);
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, &graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_tree_keeps_its_layers_and_has_no_circle() {
    let tree = tree();
    assert!(tree.len() > 40, "found only {} files", tree.len());
    let problems = check(&tree);
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn sans_io_layers_import_no_io() {
    let mut checked = 0;
    for (file, text) in tree() {
        let Some(top) = file.split('/').next() else {
            continue;
        };
        let is_test = file.ends_with("/tests.rs") || file.contains("/tests/");
        if !["zmtp", "pattern"].contains(&top) || is_test {
            continue;
        }
        checked += 1;
        // Unit tests at the end of a file may use the real clock.
        let body = text.split("#[cfg(test)]").next().unwrap_or_default();
        for banned in [
            "tokio",
            "std::net",
            "Instant::now",
            "SystemTime",
            "std::thread",
        ] {
            assert!(
                !code(body).contains(banned),
                "{file} mentions {banned}: the {top} layer must stay sans-IO"
            );
        }
    }
    assert!(
        checked >= 12,
        "expected the zmtp and pattern sources, found {checked} files"
    );
}

fn fake(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect()
}

#[test]
fn checker_reports_an_upward_import() {
    let tree = fake(&[
        ("lib.rs", "mod zmtp; mod driver;"),
        ("zmtp/mod.rs", "mod frame;"),
        ("zmtp/frame.rs", "use crate::driver::engine::Thing;"),
        ("driver/mod.rs", "pub(crate) mod engine;"),
        ("driver/engine.rs", "use crate::zmtp::frame::Frame;"),
    ]);
    let problems = check(&tree);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("zmtp/frame.rs") && p.contains("up from layer zmtp")),
        "{problems:?}"
    );
    // Without the upward import, nothing is wrong.
    let tree = fake(&[
        ("lib.rs", "mod zmtp; mod driver;"),
        ("zmtp/mod.rs", "mod frame;"),
        ("zmtp/frame.rs", "use crate::message::Message;"),
        ("message.rs", "pub struct Message;"),
        ("driver/mod.rs", "pub(crate) mod engine;"),
        ("driver/engine.rs", "use crate::zmtp::frame::Frame;"),
    ]);
    assert_eq!(check(&tree), Vec::<String>::new());
}

#[test]
fn checker_reports_circles_through_super_and_reexports() {
    let tree = fake(&[
        ("lib.rs", "mod driver;"),
        ("driver/mod.rs", "mod a; mod b;"),
        ("driver/a.rs", "use super::b::B;"),
        ("driver/b.rs", "use crate::driver::{a::{A, Other}, lock};"),
    ]);
    let problems = check(&tree);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("circle in src/driver"), "{problems:?}");
    // A folder's mod.rs re-exporting a child that imports the folder.
    let tree = fake(&[
        ("lib.rs", "mod driver;"),
        ("driver/mod.rs", "mod core;"),
        (
            "driver/core/mod.rs",
            "mod recv;\npub(crate) use recv::Verdict;\npub struct Core;",
        ),
        ("driver/core/recv.rs", "use super::Core;"),
    ]);
    let problems = check(&tree);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("circle in src/driver/core")),
        "{problems:?}"
    );
    // The same without the re-export is fine.
    let tree = fake(&[
        ("lib.rs", "mod driver;"),
        ("driver/mod.rs", "mod core;"),
        ("driver/core/mod.rs", "mod recv;\npub struct Core;"),
        (
            "driver/core/recv.rs",
            "use super::Core; // crate::driver::core::recv is not a use",
        ),
    ]);
    assert_eq!(check(&tree), Vec::<String>::new());
}

/// Files stay small enough to read in one sitting.
#[test]
fn no_source_file_is_over_600_lines() {
    let long: Vec<String> = tree()
        .into_iter()
        .filter(|(_, text)| text.lines().count() > 600)
        .map(|(file, text)| format!("src/{file}: {} lines", text.lines().count()))
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}
