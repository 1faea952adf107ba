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
    match replay(args) {
        Ok(finished) => {
            eprintln!("mm replay: {finished}");
            FINISHED
        }
        Err(e) => {
            eprintln!("mm replay: {e}");
            e.exit_code()
        }
    }
}

/// A journal replayed whole, up to its end-of-session frame.
#[derive(Debug)]
pub struct Finished {
    pub inputs: usize,
    pub segments: usize,
    pub session: String,
    pub ended: String,
}

impl std::fmt::Display for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "finished: replayed {} inputs from {} segment(s) of session {}; the session ended {}",
            self.inputs, self.segments, self.session, self.ended
        )
    }
}

/// Why a replay did not finish; `exit_code` is what `mm replay` returns.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot list the segments of {}: {source}", .path.display())]
    ListSegments {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A later segment that cannot be read, after `inputs` replayed.
    #[error("cannot read {}: {source}; replayed {inputs} inputs before it", .path.display())]
    ReadSegment {
        path: PathBuf,
        inputs: usize,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", .path.display())]
    WriteLog {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("stdout: {0}")]
    Stdout(std::io::Error),
    /// The first segment's header does not decode.
    #[error("{}: {source}", .path.display())]
    Header { path: PathBuf, source: JournalError },
    #[error("{}: the journal's config is refused by core:\n{source}", .path.display())]
    Config {
        path: PathBuf,
        source: mm_core::ConfigError,
    },
    #[error("{} is damaged; replayed {inputs} inputs before it: {source}", .path.display())]
    Damaged {
        path: PathBuf,
        inputs: usize,
        source: JournalError,
    },
    #[error(
        "segment {} is missing (a later segment exists); replayed {inputs} inputs before it",
        .path.display()
    )]
    MissingSegment { path: PathBuf, inputs: usize },
    #[error(
        "{} is unfinished: no end-of-session frame after {inputs} inputs in {segments} segment(s) (the session was killed, or its journal was cut at a frame boundary); everything in it replayed",
        .path.display()
    )]
    Unfinished {
        path: PathBuf,
        inputs: usize,
        segments: usize,
    },
}

impl ReplayError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ReplayError::ListSegments { .. }
            | ReplayError::Read { .. }
            | ReplayError::ReadSegment { .. }
            | ReplayError::WriteLog { .. }
            | ReplayError::Stdout(_) => USAGE,
            ReplayError::Header { .. }
            | ReplayError::Config { .. }
            | ReplayError::Damaged { .. }
            | ReplayError::MissingSegment { .. } => DAMAGED,
            ReplayError::Unfinished { .. } => UNFINISHED,
        }
    }
}

/// The segments to read, and a gap found among the files named as later
/// segments (the first missing one) when only segment 0 was given.
fn segments(args: &ReplayArgs) -> Result<(Vec<PathBuf>, Option<PathBuf>), ReplayError> {
    let [first] = args.journal.as_slice() else {
        return Ok((args.journal.clone(), None));
    };
    let found = later_segments(first).map_err(|source| ReplayError::ListSegments {
        path: first.clone(),
        source,
    })?;
    let mut paths = vec![first.clone()];
    for (expected, (n, path)) in (1..).zip(found) {
        if n != expected {
            return Ok((paths, Some(segment_path(first, expected))));
        }
        paths.push(path);
    }
    Ok((paths, None))
}

fn replay(args: &ReplayArgs) -> Result<Finished, ReplayError> {
    let (paths, gap) = segments(args)?;
    let first = &paths[0];
    let bytes = std::fs::read(first).map_err(|source| ReplayError::Read {
        path: first.clone(),
        source,
    })?;
    let mut reader = Reader::new(&bytes).map_err(|source| ReplayError::Header {
        path: first.clone(),
        source,
    })?;
    let mut replay = LogReplay::new(reader.header()).map_err(|source| ReplayError::Config {
        path: first.clone(),
        source,
    })?;
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
    write_log(args.log.as_deref(), replay.log())?;
    let inputs = replay.inputs();
    let cont = match outcome {
        Ok(cont) => cont,
        Err(Problem::Unreadable(path, source)) => {
            return Err(ReplayError::ReadSegment {
                path,
                inputs,
                source,
            });
        }
        Err(Problem::Damage(source)) => {
            let path = paths.get(source.segment as usize).unwrap_or(first).clone();
            return Err(ReplayError::Damaged {
                path,
                inputs,
                source,
            });
        }
    };
    let segments = paths.len();
    match (cont.end(), gap) {
        (Some(end), _) => Ok(Finished {
            inputs,
            segments,
            session: cont.header().session_id.as_str().to_string(),
            ended: end.ended.clone(),
        }),
        (None, Some(path)) => Err(ReplayError::MissingSegment { path, inputs }),
        (None, None) => Err(ReplayError::Unfinished {
            path: paths[segments - 1].clone(),
            inputs,
            segments,
        }),
    }
}

enum Problem {
    Damage(JournalError),
    /// A segment file that cannot be read.
    Unreadable(PathBuf, std::io::Error),
}

/// Reads and replays one more segment (its bytes dropped on return).
fn next_segment(
    cont: Continuation,
    path: &Path,
    replay: &mut LogReplay,
) -> Result<Continuation, Problem> {
    let bytes = std::fs::read(path).map_err(|e| Problem::Unreadable(path.to_path_buf(), e))?;
    let mut reader = cont.resume(&bytes).map_err(Problem::Damage)?;
    match replay.feed(&mut reader) {
        Some(d) => Err(Problem::Damage(d)),
        None => Ok(reader.into_continuation()),
    }
}

fn write_log(path: Option<&Path>, log: &str) -> Result<(), ReplayError> {
    match path {
        Some(path) => {
            std::fs::write(path, log.as_bytes()).map_err(|source| ReplayError::WriteLog {
                path: path.to_path_buf(),
                source,
            })
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(log.as_bytes())
                .and_then(|()| out.flush())
                .map_err(ReplayError::Stdout)
        }
    }
}
