//! The one replay path: `mm replay` and the testkit both call this.

use crate::effect::Effect;
use crate::journal::{Journal, JournalError};

/// What a replay produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// Every effect, in order.
    pub effects: Vec<Effect>,
    /// The log exactly as the live session wrote it: one `LogEvent::render()` per line, each ending in '\n'.
    pub log: String,
    /// The journal's damage, if any (replay stopped there).
    pub damage: Option<JournalError>,
}

/// Runs a decoded journal through a fresh engine built from its header.
pub fn replay(journal: &Journal) -> Result<Replayed, crate::config::ConfigError> {
    let _ = journal;
    Ok(Replayed {
        effects: Vec::new(),
        log: String::new(),
        damage: None,
    })
}
