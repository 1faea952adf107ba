//! `mm replay`'s verdicts through the binary, on journals `mm run` wrote:
//! 0 finished, 1 damaged, 2 usage, 3 unfinished (cut at a frame boundary,
//! or the session SIGKILLed); the log is written for what replayed.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

const T: Duration = Duration::from_secs(60);

/// `mm replay ARGS... --log LOG`: the exit code, stderr, and the log.
fn replay(args: &[&Path], log: &Path) -> (i32, String, Vec<u8>) {
    let _ = std::fs::remove_file(log);
    let mut c = mm();
    c.arg("replay").args(args).arg("--log").arg(log);
    let out = run(c, T);
    let written = std::fs::read(log).unwrap_or_default();
    (out.code, out.stderr, written)
}

/// A paper session of a few ticks: (journal, live log bytes).
fn paper_session(dir: &Path) -> (PathBuf, Vec<u8>) {
    let (journal, log) = (p(dir, "j.mmj"), p(dir, "core.log"));
    let mut c = mm();
    c.current_dir(dir)
        .args([
            "run",
            "--ticks",
            "6",
            "--sim-latency-ms",
            "1",
            "--metrics-addr",
            "off",
        ])
        .arg("--journal")
        .arg(&journal)
        .arg("--log")
        .arg(&log);
    let out = run(c, Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    (journal, std::fs::read(&log).unwrap())
}

/// Where each frame after the header starts, and the end of the bytes.
fn record_bounds(bytes: &[u8]) -> Vec<usize> {
    let mut reader = mm_core::journal::Reader::new(bytes).unwrap();
    let mut bounds = vec![reader.offset() as usize];
    while let Some(item) = reader.next() {
        item.unwrap();
        bounds.push(reader.offset() as usize);
    }
    assert!(reader.end().is_some(), "the run's journal is finished");
    bounds.push(bytes.len());
    bounds
}

#[test]
fn a_finished_journal_exits_0_and_a_cut_one_3_or_1() {
    let dir = tmp();
    let (journal, live) = paper_session(dir.path());
    let log = p(dir.path(), "replayed.log");

    let (code, err, got) = replay(&[&journal], &log);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("finished") && err.contains("the session ended stopped"),
        "{err}"
    );
    assert!(got == live, "replay differs from the live log");

    // Cut exactly before the end frame: every input is there, the log is
    // whole, but the journal does not say the session ended: unfinished.
    let bytes = std::fs::read(&journal).unwrap();
    let bounds = record_bounds(&bytes);
    let cut = p(dir.path(), "cut.mmj");
    std::fs::write(&cut, &bytes[..bounds[bounds.len() - 2]]).unwrap();
    let (code, err, got) = replay(&[&cut], &log);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("cut.mmj is unfinished: no end-of-session frame"),
        "{err}"
    );
    assert!(got == live, "every input replayed");

    // Cut at a frame boundary in the middle: unfinished, a prefix replayed.
    std::fs::write(&cut, &bytes[..bounds[bounds.len() / 2]]).unwrap();
    let (code, err, got) = replay(&[&cut], &log);
    assert_eq!(code, 3, "{err}");
    assert!(!got.is_empty() && got.len() < live.len() && live.starts_with(&got));

    // Cut inside a frame: damaged, naming frame and offset.
    let torn = bounds[bounds.len() / 2] + 3;
    std::fs::write(&cut, &bytes[..torn]).unwrap();
    let (code, err, got) = replay(&[&cut], &log);
    assert_eq!(code, 1, "{err}");
    let at = format!("at byte offset {}", bounds[bounds.len() / 2]);
    assert!(err.contains("is damaged") && err.contains(&at), "{err}");
    assert!(live.starts_with(&got));

    // A frame written twice: damaged, named.
    let (a, b) = (bounds[4], bounds[5]);
    let mut dup = bytes[..b].to_vec();
    dup.extend_from_slice(&bytes[a..]);
    std::fs::write(&cut, &dup).unwrap();
    let (code, err, _) = replay(&[&cut], &log);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "duplicated frame: expected seq 5, found 4 at byte {b}"
        )),
        "{err}"
    );

    // Usage: a journal that is not there.
    let (code, err, _) = replay(&[&p(dir.path(), "nope.mmj")], &log);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read") && err.contains("nope.mmj"),
        "{err}"
    );
}

#[test]
fn a_sigkilled_session_replays_as_unfinished() {
    let dir = tmp();
    let (journal, log) = (p(dir.path(), "k.mmj"), p(dir.path(), "k.log"));
    let mut c = mm();
    c.current_dir(dir.path())
        .args(["run", "--sim-latency-ms", "1", "--metrics-addr", "off"])
        .arg("--journal")
        .arg(&journal)
        .arg("--log")
        .arg(&log);
    let mut running = Running::spawn(c);
    wait_file_contains(&log, "tick 3 done", T);
    signal(running.child.id(), "-KILL");
    let _ = running.child.wait();
    let live = std::fs::read(&log).unwrap();

    let replayed = p(dir.path(), "replayed.log");
    let (code, err, got) = replay(&[&journal], &replayed);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("unfinished"), "{err}");
    // The journal is written before each input is handled, the log after:
    // the replay holds at least what the live log had.
    assert!(
        got.starts_with(&live),
        "the live log is a prefix of the replay"
    );
    assert!(String::from_utf8_lossy(&got).contains("tick 3 done"));
}

#[test]
fn replay_help_documents_the_exit_codes() {
    let mut c = mm();
    c.args(["replay", "--help"]);
    let out = run(c, T);
    assert_eq!(out.code, 0);
    for line in ["0  finished", "1  damaged", "2  usage", "3  unfinished"] {
        assert!(out.stdout.contains(line), "{line:?} in:\n{}", out.stdout);
    }
}

/// The paper session's inputs written again by the journal writer rotating
/// past `rotate_bytes`: the segment paths.
fn rotated(dir: &Path, journal: &Path, rotate_bytes: u64) -> Vec<PathBuf> {
    let j = mm_core::journal::decode(&std::fs::read(journal).unwrap()).unwrap();
    assert!(j.is_finished());
    let path = p(dir, "journal.mmj");
    let mut w =
        mm_shell::journal_writer::JournalWriter::create(&path, &j.header, rotate_bytes).unwrap();
    for input in &j.inputs {
        w.append(input).unwrap();
    }
    w.finish(&j.end.unwrap().ended).unwrap();
    let n = w.segments();
    (0..n)
        .map(|k| mm_shell::journal_writer::segment_path(&path, k))
        .collect()
}

#[test]
fn rotated_segments_replay_to_the_live_log_and_a_missing_one_is_refused() {
    let dir = tmp();
    let (journal, live) = paper_session(dir.path());
    let segs = rotated(dir.path(), &journal, 4096);
    assert!(segs.len() >= 4, "{} segments", segs.len());
    let log = p(dir.path(), "replayed.log");

    // Found by name from the first, or given one by one: the live log.
    let (code, err, got) = replay(&[&segs[0]], &log);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("from {} segment(s)", segs.len())),
        "{err}"
    );
    assert!(
        got == live,
        "replay of the segments differs from the live log"
    );
    let all: Vec<&Path> = segs.iter().map(PathBuf::as_path).collect();
    let (code, err, got) = replay(&all, &log);
    assert_eq!(code, 0, "{err}");
    assert!(got == live);

    // Given without the last: unfinished.
    let (code, err, _) = replay(&all[..all.len() - 1], &log);
    assert_eq!(code, 3, "{err}");

    // Out of order, or a segment twice: refused naming it.
    let (code, err, got) = replay(&[all[0], all[2], all[1]], &log);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("journal.mmj.2 is damaged")
            && err.contains("segment 1 is missing: this is segment 2"),
        "{err}"
    );
    assert!(
        !got.is_empty() && live.starts_with(&got),
        "segment 0 replayed"
    );

    // A foreign segment: another session's segment 1.
    let other = tmp();
    let (other_journal, _) = paper_session(other.path());
    let foreign = rotated(other.path(), &other_journal, 4096);
    let (code, err, _) = replay(&[all[0], &foreign[1]], &log);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("foreign segment"), "{err}");

    // A middle segment missing: found by name, the gap is refused naming it.
    std::fs::remove_file(&segs[1]).unwrap();
    let (code, err, got) = replay(&[&segs[0]], &log);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("segment ") && err.contains("journal.mmj.1 is missing"),
        "{err}"
    );
    assert!(
        !got.is_empty() && live.starts_with(&got),
        "segment 0 replayed"
    );
    // Given explicitly, a file that is not there is a usage error.
    let (code, err, _) = replay(&[all[0], all[1], all[2]], &log);
    assert_eq!(code, 2, "{err}");
}

/// `journal.rotate_mb = 1` in a live run: the journal is split into
/// segments past 1 MiB each, which replay to the live log byte for byte.
#[test]
fn journal_rotate_mb_splits_a_live_journal_that_replays_to_its_log() {
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    let mut text = Seed {
        tick_interval_ms: 20,
        max_book_age_ms: Some(1000),
        ..Seed::polled()
    }
    .toml();
    text.push_str("\n[journal]\nrotate_mb = 1\n");
    write(&cfg, &text);
    let (journal, log) = (p(dir.path(), "journal.mmj"), p(dir.path(), "core.log"));
    let mut c = mm();
    c.current_dir(dir.path())
        .args([
            "run",
            "--ticks",
            "300",
            "--sim-latency-ms",
            "1",
            "--metrics-addr",
            "off",
        ])
        .arg("--config")
        .arg(&cfg)
        .arg("--journal")
        .arg(&journal)
        .arg("--log")
        .arg(&log);
    let out = run(c, Duration::from_secs(180));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let first = std::fs::metadata(&journal).unwrap().len();
    let second = mm_shell::journal_writer::segment_path(&journal, 1);
    assert!(second.exists(), "no segment 1 (segment 0 is {first} bytes)");
    assert!(
        (1024 * 1024..1024 * 1024 + 64 * 1024).contains(&first),
        "{first}"
    );
    let replayed = p(dir.path(), "replayed.log");
    let (code, err, got) = replay(&[&journal], &replayed);
    assert_eq!(code, 0, "{err}");
    assert!(
        got == std::fs::read(&log).unwrap(),
        "replay differs from the live log"
    );
}
