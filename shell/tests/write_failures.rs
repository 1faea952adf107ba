//! A journal or log that can no longer be written: the session says so,
//! shuts down (core cancels everything and confirms), writes its summary and
//! exits non-zero; it never exits with orders open because of a disk.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;

fn paper_run(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = mm();
    cmd.current_dir(dir).args([
        "run",
        "--ticks",
        "400",
        "--sim-latency-ms",
        "2",
        "--metrics-addr",
        "off",
    ]);
    cmd
}

/// What every write-failure ending has in common.
fn assert_shut_down_after_write_failure(out: &Output, s: &RunSummary, needle: &str) {
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("mm: ERROR:"), "{}", out.stderr);
    assert!(out.stderr.contains(needle), "{}", out.stderr);
    assert!(
        out.stderr.contains("shut down because a write failed"),
        "{}",
        out.stderr
    );
    assert_eq!(s.ended, mm_shell::Ended::WriteFailed, "{s:?}");
    assert!(
        s.write_failure
            .as_deref()
            .is_some_and(|w| w.contains(needle))
    );
    // Money first: shutdown ran to the end, nothing is open anywhere.
    assert!(s.stopped, "{s:?}");
    assert_eq!((s.open_orders_core, s.open_orders_exchange), (0, Some(0)));
    assert!(s.ticks < 400, "the run was cut short: {s:?}");
}

#[test]
fn a_log_that_cannot_be_written_shuts_the_session_down() {
    let dir = tmp();
    let (journal, summary) = (p(dir.path(), "j.mmj"), p(dir.path(), "s.json"));
    let mut cmd = paper_run(dir.path());
    cmd.args(["--log", "/dev/full", "--journal"])
        .arg(&journal)
        .arg("--summary-json")
        .arg(&summary);
    let out = run(cmd, Duration::from_secs(120));
    let s = read_summary(&summary);
    assert_shut_down_after_write_failure(&out, &s, "Core log stopped");
    // The journal is whole, so the log it lost can be had back.
    let mut c = mm();
    c.arg("replay").arg(&journal);
    let r = run(c, Duration::from_secs(60));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("shutdown complete"), "{}", r.stdout);
}

#[test]
fn a_journal_whose_writes_fail_after_start_shuts_the_session_down() {
    let dir = tmp();
    let fifo = p(dir.path(), "j.mmj");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo");
    let (log, summary) = (p(dir.path(), "core.log"), p(dir.path(), "s.json"));
    let mut cmd = paper_run(dir.path());
    cmd.arg("--journal")
        .arg(&fifo)
        .arg("--log")
        .arg(&log)
        .arg("--summary-json")
        .arg(&summary);
    let running = Running::spawn(cmd);

    // The reader: keeps what mm journals until told to go; once it has gone,
    // mm's next write fails (EPIPE).
    let leave = Arc::new(AtomicBool::new(false));
    let reader = {
        let (fifo, leave) = (fifo.clone(), leave.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::File::open(&fifo).unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !leave.load(Ordering::SeqCst) {
                match f.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            got
        })
    };
    wait_file_contains(&log, "tick 3 done", Duration::from_secs(60));
    leave.store(true, Ordering::SeqCst);
    let journaled = reader.join().unwrap();
    let out = running.wait(Duration::from_secs(120));
    let s = read_summary(&summary);
    assert_shut_down_after_write_failure(&out, &s, "can no longer be replayed");
    let live = std::fs::read(&log).unwrap();
    assert!(
        String::from_utf8_lossy(&live).contains("shutdown complete"),
        "core confirmed the shutdown in its log"
    );

    // What was journaled before the failure replays to the start of the live log.
    let part = p(dir.path(), "part.mmj");
    std::fs::write(&part, &journaled).unwrap();
    let replayed = p(dir.path(), "part.log");
    let mut c = mm();
    c.arg("replay").arg(&part).arg("--log").arg(&replayed);
    let _ = run(c, Duration::from_secs(60)); // a torn last frame is reported
    let partial = std::fs::read(&replayed).unwrap();
    assert!(
        String::from_utf8_lossy(&partial).contains("tick 3 done"),
        "the journal held the first ticks"
    );
    assert!(
        partial.len() < live.len() && live.starts_with(&partial),
        "replay of the journal's part is a prefix of the live log"
    );
}
