//! The module graph points one way: every `crate::…` path in `src/` names a top-level module
//! on a lower layer than the one it is written in (docs/ARCHITECTURE.md, "Layers"). A `use`
//! that points up, or sideways within a layer, fails here with the file and line, and so
//! does a loop between modules, with its path.

// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top first. A module may use modules of the layers below its own, never its
/// own layer or one above. Keep in step with docs/ARCHITECTURE.md.
const LAYERS: &[&[&str]] = &[
    &["commands"],
    &["cli"],
    &["manual"],
    &["pipeline"],
    &["ui"],
    &["report"],
    &["snapshot"],
    &["alerts"],
    &["diagnose"],
    &["store"],
    &["query"],
    &["core", "source"],
    &["filter"],
    &["parse"],
    &["inventory"],
    &[
        "schema",
        "names",
        "units",
        "sanitize",
        "short_bytes",
        "demo",
        "os",
    ],
];

/// One `crate::module` reference: where it is written and what it names.
#[derive(Debug, Clone)]
struct Use {
    from: String,
    to: String,
    file: PathBuf,
    line: usize,
}

/// The top-level module a file of `src/` belongs to (`None` for the crate roots).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// Every `crate::name` in the code of `text` (comments and doc comments apart: a doc link is
/// not a dependency).
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let code = code.split(" //").next().unwrap_or(code);
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                !name.is_empty(),
                "line {}: `crate::{{…}}` groups are not read by this check; write one `use` per module",
                i + 1
            );
            out.push((i + 1, name));
            rest = after;
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every reference between two different top-level modules of the crate in `src`.
fn uses(src: &Path) -> (BTreeSet<String>, Vec<Use>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut modules = BTreeSet::new();
    let mut found = Vec::new();
    for file in files {
        let Some(from) = top_module(src, &file) else {
            continue;
        };
        modules.insert(from.clone());
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, to) in crate_paths(&text) {
            if to != from {
                found.push(Use {
                    from: from.clone(),
                    to,
                    file: file.clone(),
                    line,
                });
            }
        }
    }
    (modules, found)
}

/// A loop in the graph, as the path around it, if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_module_uses_only_modules_on_lower_layers() {
    let (modules, found) = uses(&src());
    let unplaced: Vec<&String> = modules.iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "place these modules on a layer (tests/layers.rs and docs/ARCHITECTURE.md): {unplaced:?}"
    );
    let wrong: Vec<String> = found
        .iter()
        .filter(|u| match (layer_of(&u.from), layer_of(&u.to)) {
            (Some(a), Some(b)) => b <= a,
            _ => true,
        })
        .map(|u| {
            format!(
                "{}:{}: {} uses {} (layer {:?} → {:?})",
                u.file.display(),
                u.line,
                u.from,
                u.to,
                layer_of(&u.from),
                layer_of(&u.to)
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "arrows that do not point down:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_module_graph_has_no_loop_and_core_never_reads_inputs() {
    let (_, found) = uses(&src());
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for u in &found {
        edges
            .entry(u.from.clone())
            .or_default()
            .insert(u.to.clone());
    }
    assert_eq!(find_cycle(&edges), None, "a loop between modules");
    for forbidden in ["source", "store", "pipeline", "ui", "report"] {
        let at: Vec<String> = found
            .iter()
            .filter(|u| u.from == "core" && u.to == forbidden)
            .map(|u| format!("{}:{}", u.file.display(), u.line))
            .collect();
        assert!(at.is_empty(), "core uses {forbidden} at {at:?}");
    }
    // The check has something to look at: the pipeline sits on core, source and store.
    for needed in ["core", "source", "store"] {
        assert!(
            edges["pipeline"].contains(needed),
            "pipeline no longer uses {needed}?"
        );
    }
}

#[test]
fn the_checks_catch_a_loop_an_upward_use_and_skip_comments() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges
        .entry("core".into())
        .or_default()
        .insert("store".into());
    edges
        .entry("store".into())
        .or_default()
        .insert("filter".into());
    assert_eq!(find_cycle(&edges), None);
    edges
        .entry("filter".into())
        .or_default()
        .insert("core".into());
    assert_eq!(
        find_cycle(&edges),
        Some(vec![
            "core".into(),
            "store".into(),
            "filter".into(),
            "core".into()
        ])
    );
    let text = "use crate::store::Store;\n/// see [`x`](crate::ui::App)\n// crate::ui\nlet s = crate::source::open(); // crate::pipeline\n";
    let names: Vec<String> = crate_paths(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["store", "source"]);
    assert!(
        layer_of("core") > layer_of("store"),
        "core sits below store"
    );
    assert_eq!(
        layer_of("core"),
        layer_of("source"),
        "core and source share a layer"
    );
}
