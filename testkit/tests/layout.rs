//! The snapshots folder's rules (`mm_testkit::layout`) on scratch folders:
//! a captured session (no config) is accepted as such, a config without its
//! session fails, and so does every other broken pairing.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use mm_testkit::layout::{Kind, check};

/// A valid recording config (one of the real ones), with its `# record:` line.
fn config_text() -> String {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots/configs/amend.toml");
    let text = std::fs::read_to_string(real).unwrap();
    assert!(text.contains("\n# record: "));
    text
}

fn put(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A session's three files (the checker looks at names, not contents).
fn session(root: &Path, name: &str) {
    put(root, &format!("sessions/{name}.mmj"), "journal");
    put(root, &format!("sessions/{name}.core.log"), "log\n");
    put(root, &format!("session@{name}.mmj.snap"), "snapshot");
}

fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "README.md", "readme");
    dir
}

#[test]
fn a_captured_session_without_a_config_is_accepted() {
    let dir = scratch();
    session(dir.path(), "prod_eu1");
    session(dir.path(), "amend");
    put(dir.path(), "configs/amend.toml", &config_text());
    let layout = check(dir.path());
    assert_eq!(layout.problems, Vec::<String>::new());
    assert_eq!(
        layout.sessions,
        vec![
            ("amend".to_string(), Kind::Recorded),
            ("prod_eu1".to_string(), Kind::Captured)
        ]
    );
}

#[test]
fn a_config_without_its_session_fails() {
    let dir = scratch();
    session(dir.path(), "amend");
    put(dir.path(), "configs/amend.toml", &config_text());
    put(dir.path(), "configs/ghost.toml", &config_text());
    let layout = check(dir.path());
    assert_eq!(layout.problems.len(), 1, "{:?}", layout.problems);
    assert!(
        layout.problems[0].starts_with("configs/ghost.toml: no recorded session"),
        "{:?}",
        layout.problems
    );
}

#[test]
fn a_reload_file_needs_no_session_but_must_be_valid() {
    let dir = scratch();
    session(dir.path(), "amend");
    let with_reload = config_text().replacen(
        "\n# record: ",
        "\n# reload: 2.5 amend.off.toml.in\n# record: ",
        1,
    );
    put(dir.path(), "configs/amend.toml", &with_reload);
    put(dir.path(), "configs/amend.off.toml.in", &config_text());
    assert_eq!(check(dir.path()).problems, Vec::<String>::new());

    put(
        dir.path(),
        "configs/amend.off.toml.in",
        "[quoting]\nlevels = 0\n",
    );
    let problems = check(dir.path()).problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("configs/amend.off.toml.in is not a valid config"),
        "{problems:?}"
    );
}

#[test]
fn every_broken_pairing_is_named() {
    let dir = scratch();
    let root = dir.path();
    // A session missing its log, one missing its snapshot.
    put(root, "sessions/nolog.mmj", "journal");
    put(root, "session@nolog.mmj.snap", "snapshot");
    put(root, "sessions/nosnap.mmj", "journal");
    put(root, "sessions/nosnap.core.log", "log\n");
    // Files that belong to no session.
    put(root, "sessions/orphan.core.log", "log\n");
    put(root, "session@gone.mmj.snap", "snapshot");
    put(root, "sessions/notes.txt", "?");
    put(root, "configs/stray.yaml", "?");
    // A recorded session whose config lost its `# record:` line, and one
    // that names a reload file that is not there.
    session(root, "norecord");
    put(
        root,
        "configs/norecord.toml",
        &config_text().replace("\n# record: ", "\n# recorded: "),
    );
    session(root, "noreload");
    put(
        root,
        "configs/noreload.toml",
        &format!("# reload: 1 missing.toml.in\n{}", config_text()),
    );
    let problems = check(root).problems;
    let expect = [
        "session@gone.mmj.snap: a file that belongs to no session",
        "sessions/nolog.mmj: no live log sessions/nolog.core.log beside it",
        "sessions/nosnap.mmj: no snapshot session@nosnap.mmj.snap",
        "sessions/notes.txt: neither a journal nor a log",
        "sessions/orphan.core.log: a log without its journal orphan.mmj",
        "configs/norecord.toml has no `# record:` line",
        "configs/noreload.toml: reload file \"missing.toml.in\" does not exist",
        "configs/stray.yaml: only .toml and .toml.in belong here",
    ];
    assert_eq!(problems, expect.map(String::from).to_vec());
}
