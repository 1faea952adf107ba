//! The byte-for-byte log check is itself tested: a recorded session's
//! `core.log`, edited by one byte in memory (flipped, deleted), must be
//! reported as a mismatch naming the first differing line, by the same
//! function `snapshots.rs` compares replayed and live logs with. Reads the
//! recording but does not need it to replay to its log.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use mm_testkit::compare_logs;

/// The smallest `*.core.log` in `snapshots/sessions/` (picked at run time).
fn a_recorded_log() -> (PathBuf, Vec<u8>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots/sessions");
    let mut logs: Vec<(u64, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".core.log"))
        .map(|p| (std::fs::metadata(&p).unwrap().len(), p))
        .collect();
    logs.sort();
    let (_, path) = logs
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no recorded core.log in {}", dir.display()));
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 1000, "{}: too small to edit", path.display());
    (path, bytes)
}

/// The 1-based line holding byte `pos`, and that line's text.
fn line_at(bytes: &[u8], pos: usize) -> (usize, String) {
    let n = bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
    let text = String::from_utf8_lossy(bytes)
        .split('\n')
        .nth(n - 1)
        .unwrap()
        .to_string();
    (n, text)
}

/// Positions spread over the whole log: first byte, last byte, a stride.
fn positions(len: usize) -> Vec<usize> {
    let mut at: Vec<usize> = (0..len).step_by(len / 97 + 1).collect();
    at.push(len - 1);
    at
}

#[test]
fn identical_logs_compare_equal() {
    let (_, live) = a_recorded_log();
    assert_eq!(compare_logs(&live, &live.clone()), Ok(()));
}

#[test]
fn one_flipped_byte_is_named_with_its_line() {
    let (path, live) = a_recorded_log();
    for pos in positions(live.len()) {
        let mut edited = live.clone();
        edited[pos] ^= 0x01;
        let m = compare_logs(&edited, &live).expect_err(&format!(
            "{}: byte {pos} flipped, logs compared equal",
            path.display()
        ));
        let (line, text) = line_at(&live, pos);
        assert_eq!((m.byte, m.line), (pos, line), "{}: {m}", path.display());
        assert_eq!(m.live_line.as_deref(), Some(text.as_str()), "{m}");
        assert_ne!(m.replayed_line, m.live_line, "{m}");
        let shown = m.to_string();
        assert!(
            shown.contains(&format!("line {line}")) && shown.contains(&format!("byte {pos}")),
            "{shown}"
        );
    }
}

#[test]
fn one_deleted_byte_is_named_with_its_line() {
    let (path, live) = a_recorded_log();
    let mut checked = 0;
    for pos in positions(live.len()) {
        // Deleting one of two equal neighbours first differs further on:
        // keep the cases whose first difference is the deleted byte itself.
        if live.get(pos + 1) == Some(&live[pos]) {
            continue;
        }
        let mut edited = live.clone();
        edited.remove(pos);
        let m = compare_logs(&edited, &live).expect_err(&format!(
            "{}: byte {pos} deleted, logs compared equal",
            path.display()
        ));
        let (line, text) = line_at(&live, pos);
        assert_eq!((m.byte, m.line), (pos, line), "{}: {m}", path.display());
        assert_eq!(m.live_line.as_deref(), Some(text.as_str()), "{m}");
        assert_eq!((m.replayed_len, m.live_len), (live.len() - 1, live.len()));
        assert!(m.to_string().contains(&format!("line {line}")), "{m}");
        checked += 1;
    }
    assert!(checked > 50, "only {checked} deletions checked");
}

#[test]
fn a_log_cut_short_is_named_at_its_end() {
    let (_, live) = a_recorded_log();
    // The live log's last line lost entirely (newline included).
    let body = &live[..live.len() - 1];
    let cut = body.iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let m = compare_logs(&live[..cut], &live).unwrap_err();
    let (line, text) = line_at(&live, cut);
    assert_eq!((m.byte, m.line), (cut, line));
    assert_eq!(m.replayed_line, None);
    assert_eq!(m.live_line.as_deref(), Some(text.as_str()));
    assert!(m.to_string().contains("(end of log)"), "{m}");
}
