//! mm-testkit: recorded sessions replayed through mm-core, rendered as
//! transcripts for snapshot tests; the rules of the snapshots folder
//! (`layout`); proptest strategies (`strategies`) and the state-machine
//! harness that checks the engine against a model (`state_machine`); the
//! import-circle checker every crate's layering test uses (`layers`).
//!
//! There is one replay path: `mm_core::replay` (what `mm replay` runs). The
//! replay functions here only read files and render what that path
//! produced; they never drive the engine their own way. `replay_*` use
//! `replay_with`, the function `replay` itself is built on, to see which
//! input produced which effect. (`state_machine` does drive an engine: live,
//! against the virtual exchange, never a journal.)
//!
//! ```no_run
//! let session = mm_testkit::replay_file("snapshots/sessions/seed.mmj".as_ref())?;
//! print!("{}", session.transcript);
//! assert!(session.replayed.damage.is_none());
//! # Ok::<(), mm_testkit::Error>(())
//! ```

pub mod compare;
pub mod layers;
pub mod layout;
pub mod state_machine;
pub mod strategies;
pub mod transcript;

use std::path::{Path, PathBuf};

use mm_core::journal::{Journal, JournalError, decode};
use mm_core::replay::{Replayed, replay_with};
use mm_core::{ConfigError, Effect};

pub use compare::{LogMismatch, compare_logs};
pub use transcript::Transcript;

/// A replayed session: the journal, what the engine produced, and its text.
#[derive(Debug, Clone)]
pub struct Session {
    pub journal: Journal,
    pub replayed: Replayed,
    pub transcript: String,
}

/// Why a session could not be replayed at all. (Damage to a journal's tail
/// is not an error: the session replays up to it and carries it.)
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("the journal's config does not start an engine: {0}")]
    Config(#[from] ConfigError),
}

/// Reads, decodes and replays a journal file.
pub fn replay_file(path: &Path) -> Result<Session, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    replay_bytes(&bytes)
}

/// Decodes and replays journal bytes.
pub fn replay_bytes(bytes: &[u8]) -> Result<Session, Error> {
    let journal = decode(bytes)?;
    replay_journal(journal)
}

/// Replays a decoded journal and renders its transcript.
pub fn replay_journal(journal: Journal) -> Result<Session, Error> {
    let mut text = Transcript::new();
    text.header(&journal.header);
    let mut effects: Vec<Effect> = Vec::new();
    let (log, damage) = replay_with(&journal, |i, produced, wake| {
        text.input(&journal.inputs[i]);
        for e in produced {
            text.effect(e);
        }
        text.deadline(wake);
        effects.extend_from_slice(produced);
    })?;
    if let Some(d) = &damage {
        text.damage(d);
    }
    Ok(Session {
        replayed: Replayed {
            effects,
            log,
            damage,
        },
        transcript: text.finish(),
        journal,
    })
}

/// The transcript of a journal file; never fails: an unreadable file, a
/// broken header or an invalid config is rendered into the text.
pub fn transcript_file(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => transcript_bytes(&bytes),
        Err(e) => {
            let mut t = Transcript::new();
            t.error("read", &format!("{}: {e}", path.display()));
            t.finish()
        }
    }
}

/// `transcript_file` for bytes in memory.
pub fn transcript_bytes(bytes: &[u8]) -> String {
    let journal = match decode(bytes) {
        Ok(j) => j,
        Err(e) => {
            let mut t = Transcript::new();
            t.error("journal", &e);
            return t.finish();
        }
    };
    let header = journal.header.clone();
    match replay_journal(journal) {
        Ok(session) => session.transcript,
        Err(e) => {
            let mut t = Transcript::new();
            t.header(&header);
            t.error("replay", &e);
            t.finish()
        }
    }
}

/// A whole journal as the shell writes it: header, one frame per input,
/// and the end-of-session frame of a session that stopped.
pub fn encode_journal(
    header: &mm_core::journal::JournalHeader,
    inputs: &[mm_core::Input],
) -> Vec<u8> {
    let end = mm_core::journal::SessionEnd {
        ended: "stopped".to_string(),
    };
    mm_core::journal::encode(header, inputs, Some(&end))
}
