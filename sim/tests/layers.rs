//! The crate's modules form a DAG: no module reaches (through `crate::` paths outside its
//! tests) a module that reaches it back. The layering is described in the crate docs.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

/// Module name -> the modules its non-test code names as `crate::<module>`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut g = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        // Test modules may use anything; they come last in every file.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let deps = code
            .match_indices("crate::")
            .map(|(i, m)| {
                code[i + m.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .filter(|d| !d.is_empty() && *d != name)
            .collect();
        g.insert(name, deps);
    }
    g
}

/// A path that leads from `from` back to itself, if any.
fn cycle_from(g: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in g.get(last).into_iter().flatten() {
            if next == from {
                let mut p = path.clone();
                p.push(next.clone());
                return Some(p);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push(p);
            }
        }
    }
    None
}

#[test]
fn modules_form_a_dag() {
    let g = graph();
    assert!(g.len() > 20, "read the sources: {:?}", g.keys());
    assert!(g["handler"].contains("dispatch"), "the scan sees imports");
    for m in g.keys() {
        if let Some(c) = cycle_from(&g, m) {
            panic!("import circle: {}", c.join(" -> "));
        }
    }
}
