//! Keeps each library crate's modules a tree (ARCHITECTURE.md, "The
//! house"): the `use` graph of `crates/core` and `crates/spin`, one node per
//! top-level module (a module's sub-modules count as it), has no circle.
//! Every `crate::name` path counts, in a `use` or inline, tests included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The module each `crate::` path names, read from one file's text.
fn uses(text: &str) -> BTreeSet<String> {
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        // `vafa_core::…` or `my_crate::…` is another crate's path.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::{c, d}, e}`: the first name of each item at depth 0.
            let (mut depth, mut item_start) = (0usize, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphabetic() || c == '_') => {
                        out.insert(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out
}

fn ident(s: &str) -> String {
    s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// Every `.rs` file under `dir`, with the top-level module it belongs to.
fn files(src: &Path, dir: &Path, top: Option<&str>, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("a source folder").filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            files(src, &path, Some(top.unwrap_or(&stem)), out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let module = top.map(str::to_string).unwrap_or(stem);
            out.push((module, std::fs::read_to_string(&path).expect("a source file")));
        }
    }
}

/// The graph: module → the modules it uses (itself and `lib` left out).
fn graph(krate: &str) -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(krate).join("src");
    let mut found = Vec::new();
    files(&src, &src, None, &mut found);
    let modules: BTreeSet<String> = found.iter().map(|(m, _)| m.clone()).filter(|m| m != "lib").collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for (module, text) in found.iter().filter(|(m, _)| m != "lib") {
        for used in uses(text) {
            assert!(modules.contains(&used), "{krate}: `crate::{used}` in {module} names no module");
            if used != *module {
                g.get_mut(module).unwrap().insert(used);
            }
        }
    }
    g
}

/// A circle, as the modules along it, if there is one.
fn circle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(m: &str, g: &BTreeMap<String, BTreeSet<String>>, marks: &mut BTreeMap<String, Mark>, path: &mut Vec<String>) -> Option<Vec<String>> {
        marks.insert(m.into(), Mark::Open);
        path.push(m.into());
        for next in &g[m] {
            match marks[next] {
                Mark::Open => {
                    let from = path.iter().position(|p| p == next).unwrap();
                    let mut c = path[from..].to_vec();
                    c.push(next.clone());
                    return Some(c);
                }
                Mark::New => {
                    if let Some(c) = visit(next, g, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(m.into(), Mark::Done);
        None
    }
    let mut marks: BTreeMap<String, Mark> = g.keys().map(|k| (k.clone(), Mark::New)).collect();
    for m in g.keys() {
        if marks[m] == Mark::New {
            if let Some(c) = visit(m, g, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn the_paths_of_a_use_are_read_as_modules() {
    let text = "use crate::kv::{BATCH, Kv};\nuse crate::{clock, keys::{self, a}, log};\n// crate::comment\nlet s = crate::stats::day(x);\nvafa_core::error::x; other_crate::x;";
    let names: Vec<String> = uses(text).into_iter().collect();
    assert_eq!(names, ["clock", "keys", "kv", "log", "stats"]);
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    g.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(circle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    g.get_mut("c").unwrap().clear();
    assert_eq!(circle(&g), None);
}

#[test]
fn the_modules_of_the_core_and_the_adapter_are_trees() {
    for krate in ["crates/core", "crates/spin"] {
        let g = graph(krate);
        assert!(g.len() > 10, "{krate}: too few modules read");
        if let Some(c) = circle(&g) {
            panic!("{krate}: the modules use each other in a circle: {}", c.join(" → "));
        }
    }
}
