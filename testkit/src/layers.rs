//! Import circles inside one crate: which top-level modules a crate's
//! non-test code reaches from which, and any loop among them.
//!
//! A module here is a top-level module of the crate (`run`, `client`...): a
//! folder module (`run.rs` with `run/*.rs`) is one unit, whose files may
//! use each other through `super::` freely; that is its inside. Between
//! top-level modules the arrows must go one way, so that each module can be
//! read knowing only the ones below it.
//!
//! An arrow `a -> b` is any `crate::b...` path (also in `use crate::{b,..}`
//! groups, and `super::` paths that climb out of `a`) in `a`'s code outside
//! `#[cfg(test)]` items (test modules may use anything). A name used as
//! `crate::Name` that the crate root brings in with `use b::...` counts as
//! `b`. Comments and strings are not code; `src/bin` is left out (each file
//! there is a crate of its own).
//!
//! ```no_run
//! let modules = mm_testkit::layers::scan("../shell/src".as_ref())?;
//! assert!(modules.cycles().is_empty(), "{}", modules.report());
//! # Ok::<(), mm_testkit::layers::LayersError>(())
//! ```

mod refs;
mod tokens;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where an arrow was first seen: a file relative to the scanned `src`
/// folder and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A crate's top-level modules and the arrows between them.
#[derive(Debug, Clone, Default)]
pub struct Modules {
    modules: BTreeSet<String>,
    /// from -> to -> the first place `from` names `to`.
    arrows: BTreeMap<String, BTreeMap<String, Site>>,
}

/// A loop of arrows: `path` starts and ends at the same module; `sites[k]`
/// is where `path[k]` names `path[k + 1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub path: Vec<String>,
    pub sites: Vec<Site>,
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "import circle: {}", self.path.join(" -> "))?;
        for (k, site) in self.sites.iter().enumerate() {
            write!(f, "\n  {} -> {} at {site}", self.path[k], self.path[k + 1])?;
        }
        Ok(())
    }
}

/// The sources could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LayersError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: no .rs file found (is it a crate's src folder?)")]
    Empty(PathBuf),
}

/// Reads every `.rs` file under `src` (a crate's source folder).
pub fn scan(src: &Path) -> Result<Modules, LayersError> {
    let mut files = Vec::new();
    collect(src, src, &mut files)?;
    if files.is_empty() {
        return Err(LayersError::Empty(src.to_path_buf()));
    }
    Ok(from_sources(
        files
            .iter()
            .map(|(rel, text)| (rel.as_str(), text.as_str())),
    ))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), LayersError> {
    let read_err = |source| LayersError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(read_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_err)?;
    entries.sort();
    for path in entries {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            if rel != "bin" {
                collect(root, &path, out)?;
            }
        } else if rel.ends_with(".rs") {
            let text = std::fs::read_to_string(&path).map_err(|source| LayersError::Read {
                path: path.clone(),
                source,
            })?;
            out.push((rel, text));
        }
    }
    Ok(())
}

/// The module path of a file relative to `src`: `lib.rs` -> [],
/// `run.rs` and `run/mod.rs` -> [run], `run/send.rs` -> [run, send].
fn module_path(rel: &str) -> Vec<String> {
    let stem = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts
}

/// The same reading as `scan`, from (path relative to `src`, text) pairs.
pub fn from_sources<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Modules {
    let read: Vec<(&str, Vec<String>, refs::FileRefs)> = files
        .into_iter()
        .map(|(rel, text)| {
            let module = module_path(rel);
            let found = refs::read(&tokens::tokenize(text), &module);
            (rel, module, found)
        })
        .collect();
    let test_only: Vec<&Vec<String>> = read.iter().flat_map(|r| &r.2.test_children).collect();
    let live: Vec<_> = read
        .iter()
        .filter(|(_, m, _)| !test_only.iter().any(|t| m.starts_with(t)))
        .collect();
    let modules: BTreeSet<String> = live
        .iter()
        .filter_map(|(_, m, _)| m.first())
        .cloned()
        .collect();
    // Names the crate root imports: `crate::Name` reaches their module.
    let root_names: BTreeMap<&str, &str> = live
        .iter()
        .filter(|(_, m, _)| m.is_empty())
        .flat_map(|(_, _, r)| &r.uses)
        .filter(|(_, m)| modules.contains(m))
        .map(|(name, m)| (name.as_str(), m.as_str()))
        .collect();
    let mut arrows: BTreeMap<String, BTreeMap<String, Site>> = BTreeMap::new();
    for (rel, module, found) in &live {
        let Some(from) = module.first() else {
            continue;
        };
        for (name, line) in &found.refs {
            let to = if modules.contains(name) {
                name.as_str()
            } else if let Some(m) = root_names.get(name.as_str()) {
                m
            } else {
                continue;
            };
            if to != from {
                arrows
                    .entry(from.clone())
                    .or_default()
                    .entry(to.to_string())
                    .or_insert_with(|| Site {
                        file: rel.to_string(),
                        line: *line,
                    });
            }
        }
    }
    Modules { modules, arrows }
}

impl Modules {
    /// The crate's top-level modules, sorted.
    pub fn modules(&self) -> impl Iterator<Item = &str> {
        self.modules.iter().map(String::as_str)
    }

    /// Where `from` first names `to`, if it does.
    pub fn arrow(&self, from: &str, to: &str) -> Option<&Site> {
        self.arrows.get(from)?.get(to)
    }

    /// Every import circle, one per group of modules that reach each other
    /// (the shortest loop through the group's first module), sorted.
    pub fn cycles(&self) -> Vec<Cycle> {
        let mut done: BTreeSet<&str> = BTreeSet::new();
        let mut out = Vec::new();
        for m in &self.modules {
            if done.contains(m.as_str()) {
                continue;
            }
            if let Some(path) = self.shortest_loop(m) {
                // Everything that reaches `m` and is reached from it is the
                // same circle: report it once.
                for other in &self.modules {
                    if self.reaches(m, other) && self.reaches(other, m) {
                        done.insert(other);
                    }
                }
                let sites = path
                    .windows(2)
                    .filter_map(|w| self.arrow(&w[0], &w[1]).cloned())
                    .collect();
                out.push(Cycle { path, sites });
            }
        }
        out
    }

    /// The cycles as text for a failing test ("" when there are none).
    pub fn report(&self) -> String {
        self.cycles()
            .iter()
            .map(Cycle::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn next(&self, m: &str) -> impl Iterator<Item = &String> {
        self.arrows.get(m).into_iter().flat_map(|a| a.keys())
    }

    fn reaches(&self, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(m) = todo.pop() {
            for n in self.next(m) {
                if n == to {
                    return true;
                }
                if seen.insert(n.as_str()) {
                    todo.push(n);
                }
            }
        }
        false
    }

    /// Breadth-first: the shortest path from `start` back to itself.
    fn shortest_loop(&self, start: &str) -> Option<Vec<String>> {
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(m) = queue.pop_front() {
            for n in self.next(m) {
                if n == start {
                    let mut path = vec![start.to_string(), m.to_string()];
                    let mut at = m;
                    while at != start {
                        at = came_from[at];
                        path.push(at.to_string());
                    }
                    // start, m, .., start read backwards.
                    path.reverse();
                    return Some(path);
                }
                if !came_from.contains_key(n.as_str()) {
                    came_from.insert(n, m);
                    queue.push_back(n);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
