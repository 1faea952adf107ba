//! The rules of the `snapshots/` folder, as one check the snapshot test
//! runs (and tests of its own exercise on scratch folders).
//!
//! A session is `sessions/<name>.mmj` with the log its live run wrote,
//! `sessions/<name>.core.log`, and its transcript `session@<name>.mmj.snap`.
//! It comes in two kinds:
//! - recorded: `configs/<name>.toml` says how `testkit/record.sh` re-records
//!   it on the simulator (its `# record:` line holds the `mm run` flags);
//! - captured: no config. A journal taken from a real run (production, say)
//!   that nothing can re-record; `record.sh` leaves it alone.
//!
//! A config without its session is an error (a recording never made or a
//! session deleted), so is any file that belongs to no session.

use std::path::{Path, PathBuf};

/// How a session came to be (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Recorded,
    Captured,
}

/// What `check` found: every session by name (sorted), and every problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub sessions: Vec<(String, Kind)>,
    pub problems: Vec<String>,
}

impl Layout {
    pub fn kind_of(&self, name: &str) -> Option<Kind> {
        self.sessions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, k)| *k)
    }
}

/// Checks a snapshots folder (`snapshots/`, with `sessions/` and `configs/`).
pub fn check(snapshots: &Path) -> Layout {
    let sessions_dir = snapshots.join("sessions");
    let configs_dir = snapshots.join("configs");
    let mut out = Layout::default();
    let session = |name: &str| sessions_dir.join(format!("{name}.mmj")).is_file();

    for file in file_names(snapshots) {
        if file.starts_with('.') || file == "README.md" {
            continue;
        }
        let ok = file
            .strip_prefix("session@")
            .and_then(|f| f.strip_suffix(".mmj.snap"))
            .is_some_and(session);
        if !ok {
            out.problems
                .push(format!("{file}: a file that belongs to no session"));
        }
    }

    for file in file_names(&sessions_dir) {
        if let Some(name) = file.strip_suffix(".core.log") {
            if !session(name) {
                out.problems.push(format!(
                    "sessions/{file}: a log without its journal {name}.mmj"
                ));
            }
        } else if let Some(name) = file.strip_suffix(".mmj") {
            if !sessions_dir.join(format!("{name}.core.log")).is_file() {
                out.problems.push(format!(
                    "sessions/{file}: no live log sessions/{name}.core.log beside it"
                ));
            }
            if !snapshots.join(format!("session@{name}.mmj.snap")).is_file() {
                out.problems.push(format!(
                    "sessions/{file}: no snapshot session@{name}.mmj.snap"
                ));
            }
            let kind = if configs_dir.join(format!("{name}.toml")).is_file() {
                Kind::Recorded
            } else {
                Kind::Captured
            };
            out.sessions.push((name.to_string(), kind));
        } else {
            out.problems
                .push(format!("sessions/{file}: neither a journal nor a log"));
        }
    }

    for file in file_names(&configs_dir) {
        check_config(&configs_dir, &file, &mut out.problems);
        if let Some(name) = file.strip_suffix(".toml")
            && !session(name)
        {
            out.problems.push(format!(
                "configs/{file}: no recorded session sessions/{name}.mmj \
                 (run testkit/record.sh {name}, or delete the config)"
            ));
        }
    }
    out
}

/// A config (`.toml`, or a `.toml.in` that a `# reload:` copies in) is a
/// valid config; a `.toml` also says how it is recorded.
fn check_config(dir: &Path, file: &str, problems: &mut Vec<String>) {
    if !(file.ends_with(".toml") || file.ends_with(".toml.in")) {
        problems.push(format!(
            "configs/{file}: only .toml and .toml.in belong here"
        ));
        return;
    }
    let text = match std::fs::read_to_string(dir.join(file)) {
        Ok(t) => t,
        Err(e) => {
            problems.push(format!("configs/{file}: {e}"));
            return;
        }
    };
    if let Err(e) = mm_core::Config::from_toml_str(&text) {
        problems.push(format!("configs/{file} is not a valid config: {e}"));
    }
    if !file.ends_with(".toml") {
        return;
    }
    if !text.lines().any(|l| l.starts_with("# record: ")) {
        problems.push(format!("configs/{file} has no `# record:` line"));
    }
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# reload: ") {
            let target = rest.split_whitespace().nth(1).unwrap_or("");
            if !dir.join(target).is_file() {
                problems.push(format!(
                    "configs/{file}: reload file {target:?} does not exist"
                ));
            }
        }
    }
}

/// Names of the plain files in `dir`, sorted (none if it does not exist).
fn file_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p: PathBuf| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .collect();
    out.sort();
    out
}
