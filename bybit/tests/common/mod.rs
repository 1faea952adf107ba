//! Helpers shared by the fixture tests.
// Each test crate includes this module and uses only some of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The `.json` file names in `dir`, sorted.
pub(crate) fn json_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// The copied WebSocket examples.
pub(crate) fn ws_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ws")
}

/// One WebSocket example's text.
pub(crate) fn ws_example(name: &str) -> String {
    let path = ws_fixtures().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One WebSocket example as JSON.
pub(crate) fn ws_value(name: &str) -> serde_json::Value {
    serde_json::from_str(&ws_example(name)).expect("valid JSON")
}
