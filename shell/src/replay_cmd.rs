//! `mm replay JOURNAL... [--log F]`: the one replay path
//! (`mm_core::replay::LogReplay`), one segment in memory at a time.
//!
//! Segments: one path is segment 0, and its later segments (`FILE.1`,
//! `FILE.2`...) are found by name; several paths are every segment, in
//! order. Whatever is wrong, everything before it replays and its log is
//! written; then the exit code says how the journal ended
//! (`exit_codes::REPLAY_HELP`).

use std::io::Write;
use std::path::{Path, PathBuf};

use mm_core::journal::{Continuation, JournalError, Reader};
use mm_core::replay::LogReplay;

use crate::cli::ReplayArgs;
use crate::exit_codes::{
    REPLAY_DAMAGED as DAMAGED, REPLAY_FINISHED as FINISHED, REPLAY_UNFINISHED as UNFINISHED,
    REPLAY_USAGE as USAGE,
};
use crate::journal_writer::{later_segments, segment_path};

/// Replays, writes the log, says how it went on stderr; the exit code.
pub fn run(args: &ReplayArgs) -> i32 {
    let (code, message) = replay(args);
    eprintln!("mm replay: {message}");
    code
}

/// The segments to read, and a gap found among the files named as later
/// segments (the first missing one) when only segment 0 was given.
fn segments(args: &ReplayArgs) -> Result<(Vec<PathBuf>, Option<PathBuf>), String> {
    let [first] = args.journal.as_slice() else {
        return Ok((args.journal.clone(), None));
    };
    let found = later_segments(first)
        .map_err(|e| format!("cannot list the segments of {}: {e}", first.display()))?;
    let mut paths = vec![first.clone()];
    for (expected, (n, path)) in (1..).zip(found) {
        if n != expected {
            return Ok((paths, Some(segment_path(first, expected))));
        }
        paths.push(path);
    }
    Ok((paths, None))
}

fn replay(args: &ReplayArgs) -> (i32, String) {
    let (paths, gap) = match segments(args) {
        Ok(s) => s,
        Err(e) => return (USAGE, e),
    };
    let first = &paths[0];
    let bytes = match std::fs::read(first) {
        Ok(b) => b,
        Err(e) => return (USAGE, format!("cannot read {}: {e}", first.display())),
    };
    let mut reader = match Reader::new(&bytes) {
        Ok(r) => r,
        Err(e) => return (DAMAGED, format!("{}: {e}", first.display())),
    };
    let mut replay = match LogReplay::new(reader.header()) {
        Ok(r) => r,
        Err(e) => {
            return (
                DAMAGED,
                format!(
                    "{}: the journal's config is refused by core:\n{e}",
                    first.display()
                ),
            );
        }
    };
    let mut outcome = match replay.feed(&mut reader) {
        Some(d) => Err(Problem::Damage(d)),
        None => Ok(reader.into_continuation()),
    };
    drop(bytes);
    for path in &paths[1..] {
        match outcome {
            Ok(cont) => outcome = next_segment(cont, path, &mut replay),
            Err(_) => break,
        }
    }
    if let Err(e) = write_log(args.log.as_deref(), replay.log()) {
        return (USAGE, e);
    }
    let inputs = replay.inputs();
    let cont = match outcome {
        Ok(cont) => cont,
        Err(Problem::Unreadable(e)) => {
            return (USAGE, format!("{e}; replayed {inputs} inputs before it"));
        }
        Err(Problem::Damage(d)) => {
            let path = paths.get(d.segment as usize).unwrap_or(first);
            return (
                DAMAGED,
                format!(
                    "{} is damaged; replayed {inputs} inputs before it: {d}",
                    path.display()
                ),
            );
        }
    };
    let read = paths.len();
    match (cont.end(), gap) {
        (Some(end), _) => (
            FINISHED,
            format!(
                "finished: replayed {inputs} inputs from {read} segment(s) of session {}; the session ended {}",
                cont.header().session_id.as_str(),
                end.ended
            ),
        ),
        (None, Some(missing)) => (
            DAMAGED,
            format!(
                "segment {} is missing (a later segment exists); replayed {inputs} inputs before it",
                missing.display()
            ),
        ),
        (None, None) => (
            UNFINISHED,
            format!(
                "{} is unfinished: no end-of-session frame after {inputs} inputs in {read} segment(s) (the session was killed, or its journal was cut at a frame boundary); everything in it replayed",
                paths[read - 1].display()
            ),
        ),
    }
}

enum Problem {
    Damage(JournalError),
    /// A segment file that cannot be read.
    Unreadable(String),
}

/// Reads and replays one more segment (its bytes dropped on return).
fn next_segment(
    cont: Continuation,
    path: &Path,
    replay: &mut LogReplay,
) -> Result<Continuation, Problem> {
    let bytes = std::fs::read(path)
        .map_err(|e| Problem::Unreadable(format!("cannot read {}: {e}", path.display())))?;
    let mut reader = cont.resume(&bytes).map_err(Problem::Damage)?;
    match replay.feed(&mut reader) {
        Some(d) => Err(Problem::Damage(d)),
        None => Ok(reader.into_continuation()),
    }
}

fn write_log(path: Option<&Path>, log: &str) -> Result<(), String> {
    match path {
        Some(path) => std::fs::write(path, log.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(log.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| format!("stdout: {e}"))
        }
    }
}
