//! Every recorded session in `snapshots/sessions/` (a journal `<name>.mmj`
//! beside the log the live run wrote, `<name>.core.log`):
//! - its transcript matches `snapshots/session@<name>.mmj.snap` (insta; CI
//!   runs with INSTA_UPDATE=no, so a difference fails instead of updating);
//! - replayed 3 times in one process it gives identical bytes;
//! - its replayed log equals the live `core.log`, byte for byte;
//! - the folder follows its rules (`mm_testkit::layout`): no snapshot left
//!   without its session, no session without its log, every config valid
//!   and recorded; a session without a config is a captured one.
//!
//! Re-recording is a deliberate change: see `testkit/record.sh` and the
//! README; the snapshot diff is reviewed like code.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use mm_testkit::layout::Kind;

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
    let layout = mm_testkit::layout::check(&snapshots_dir());
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
            let name = name_of(&journal);
            let fix = match layout.kind_of(&name) {
                Some(Kind::Captured) => format!(
                    "a captured session cannot be re-recorded: regenerate its log by replay \
                     (mm replay snapshots/sessions/{name}.mmj --log \
                     snapshots/sessions/{name}.core.log, see snapshots/README.md)"
                ),
                _ => format!("re-record: testkit/record.sh {name} (and review the snapshot diff)"),
            };
            panic!(
                "{}: {m}. If core's decisions changed on purpose, {fix}; if not, \
                 determinism broke.",
                journal.display()
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
/// The folder's rules (`mm_testkit::layout`): every session has its log and
/// snapshot, every file belongs to a session, every config is valid, says
/// how it is recorded and has its session; a session without a config is a
/// captured one (kept as is, never re-recorded).
#[test]
fn the_snapshots_folder_follows_its_rules() {
    let layout = mm_testkit::layout::check(&snapshots_dir());
    assert!(
        layout.problems.is_empty(),
        "in {}:\n{}",
        snapshots_dir().display(),
        layout.problems.join("\n")
    );
    let names: Vec<String> = journals().iter().map(|j| name_of(j)).collect();
    let listed: Vec<String> = layout.sessions.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(listed, names, "the layout check saw other sessions");
}
