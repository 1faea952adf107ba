//! Every recorded session in `snapshots/sessions/` (a journal `<name>.mmj`
//! beside the log the live run wrote, `<name>.core.log`):
//! - its transcript matches `snapshots/session@<name>.mmj.snap` (insta; CI
//!   runs with INSTA_UPDATE=no, so a difference fails instead of updating);
//! - replayed 3 times in one process it gives identical bytes;
//! - its replayed log equals the live `core.log`, byte for byte;
//! - no snapshot is left without its session, no session without its log.
//!
//! Re-recording is a deliberate change: see `testkit/record.sh` and the
//! README; the snapshot diff is reviewed like code.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// Fails the run when `snapshots/sessions/` holds no journal, so CI cannot
/// pass having checked nothing.
const REQUIRE_SESSIONS: bool = true;

fn snapshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots")
}

fn sessions_dir() -> PathBuf {
    snapshots_dir().join("sessions")
}

/// Every `*.mmj` in the sessions folder, sorted.
fn journals() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = files_in(&sessions_dir())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "mmj"))
        .collect();
    out.sort();
    out
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn name_of(journal: &Path) -> String {
    journal.file_stem().unwrap().to_string_lossy().into_owned()
}

fn live_log_of(journal: &Path) -> PathBuf {
    journal.with_file_name(format!("{}.core.log", name_of(journal)))
}

#[test]
fn sessions_exist() {
    let found = journals();
    if REQUIRE_SESSIONS {
        assert!(
            !found.is_empty(),
            "no recorded session in {}: the snapshot tests would check nothing",
            sessions_dir().display()
        );
    }
}

#[test]
fn every_session_matches_its_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshots_dir());
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_allow_empty_glob(!REQUIRE_SESSIONS);
    settings.bind(|| {
        insta::glob!("../../snapshots/sessions", "*.mmj", |path| {
            // glob! names snapshots by the path below the files' common
            // prefix, which is empty when there is one session: name them
            // by file, so adding a session never renames another's snapshot.
            let mut named = insta::Settings::clone_current();
            named.set_snapshot_suffix(format!("{}.mmj", name_of(path)));
            named.bind(|| {
                insta::assert_snapshot!("session", mm_testkit::transcript_file(path));
            });
        });
    });
}

#[test]
fn every_session_replays_identically_three_times() {
    for journal in journals() {
        let bytes = std::fs::read(&journal).unwrap();
        let runs: Vec<_> = (0..3)
            .map(|_| {
                let s = mm_testkit::replay_bytes(&bytes)
                    .unwrap_or_else(|e| panic!("{}: {e}", journal.display()));
                (s.transcript, s.replayed)
            })
            .collect();
        for (i, run) in runs.iter().enumerate().skip(1) {
            assert!(
                run.0.as_bytes() == runs[0].0.as_bytes(),
                "{}: transcript of run {} differs from run 1",
                journal.display(),
                i + 1
            );
            assert!(
                run.1.log.as_bytes() == runs[0].1.log.as_bytes(),
                "{}: log of run {} differs from run 1",
                journal.display(),
                i + 1
            );
            assert_eq!(run.1, runs[0].1, "{}: effects differ", journal.display());
        }
    }
}

#[test]
fn every_replayed_log_equals_the_live_log() {
    for journal in journals() {
        let live_path = live_log_of(&journal);
        let live = std::fs::read(&live_path).unwrap_or_else(|e| {
            panic!(
                "{}: the live log {} is missing ({e})",
                journal.display(),
                live_path.display()
            )
        });
        let session = mm_testkit::replay_file(&journal)
            .unwrap_or_else(|e| panic!("{}: {e}", journal.display()));
        if let Err(m) = mm_testkit::compare_logs(session.replayed.log.as_bytes(), &live) {
            panic!(
                "{}: {m}. If core's decisions changed on purpose, re-record: \
                 testkit/record.sh {} (and review the snapshot diff); if not, \
                 determinism broke.",
                journal.display(),
                name_of(&journal)
            );
        }
        assert!(
            session.replayed.damage.is_none(),
            "{}: recorded journal is damaged: {:?}",
            journal.display(),
            session.replayed.damage
        );
    }
}

/// insta's `--unreferenced=reject` needs cargo-insta; this needs nothing.
#[test]
fn no_snapshot_or_file_without_its_session() {
    let mut stray = Vec::new();
    for path in files_in(&snapshots_dir()) {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if file.starts_with('.') || file == "README.md" {
            continue;
        }
        let ok = file
            .strip_prefix("session@")
            .and_then(|f| f.strip_suffix(".mmj.snap"))
            .is_some_and(|name| sessions_dir().join(format!("{name}.mmj")).is_file());
        if !ok {
            stray.push(file);
        }
    }
    for path in files_in(&sessions_dir()) {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let ok = if let Some(name) = file.strip_suffix(".core.log") {
            sessions_dir().join(format!("{name}.mmj")).is_file()
        } else if let Some(name) = file.strip_suffix(".mmj") {
            live_log_of(&path).is_file()
                && snapshots_dir()
                    .join(format!("session@{name}.mmj.snap"))
                    .is_file()
        } else {
            false
        };
        if !ok {
            stray.push(format!("sessions/{file}"));
        }
    }
    assert!(
        stray.is_empty(),
        "in {}: files with no matching session (or sessions missing their log or \
         snapshot): {stray:?}",
        snapshots_dir().display()
    );
}

/// Every recording config is a valid config with its `# record:` line, and
/// (once sessions are required) every config has its session and back.
#[test]
fn every_config_is_valid_and_recorded() {
    let configs = snapshots_dir().join("configs");
    let mut names = Vec::new();
    for path in files_in(&configs) {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let body = file
            .strip_suffix(".toml")
            .or_else(|| file.strip_suffix(".toml.in"));
        assert!(
            body.is_some(),
            "configs/{file}: only .toml and .toml.in belong here"
        );
        if let Err(e) = mm_core::Config::from_toml_str(&text) {
            panic!("configs/{file} is not a valid config:\n{e}");
        }
        if let Some(name) = file.strip_suffix(".toml") {
            assert!(
                text.lines().any(|l| l.starts_with("# record: ")),
                "configs/{file} has no `# record:` line"
            );
            for l in text.lines() {
                if let Some(rest) = l.strip_prefix("# reload: ") {
                    let target = rest.split_whitespace().nth(1).unwrap_or("");
                    assert!(
                        configs.join(target).is_file(),
                        "configs/{file}: reload file {target:?} does not exist"
                    );
                }
            }
            names.push(name.to_string());
        }
    }
    if REQUIRE_SESSIONS {
        let sessions: Vec<String> = journals().iter().map(|j| name_of(j)).collect();
        assert_eq!(names, sessions, "configs and recorded sessions differ");
    }
}
