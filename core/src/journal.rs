//! The session journal codec (design.md §6). API fixed; codec in progress.
//!
//! Layout: header = magic `MMJ1`, u16 format version, then one frame holding
//! the postcard-encoded `JournalHeader`; then one frame per `Input`. A frame
//! is `u32 LE payload length | u32 LE CRC-32 of payload | payload`.

use serde::{Deserialize, Serialize};

use crate::domain::Instrument;
use crate::engine::SessionId;
use crate::input::Input;

pub const MAGIC: [u8; 4] = *b"MMJ1";
pub const FORMAT_VERSION: u16 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    pub session_id: SessionId,
    #[serde(with = "crate::config::as_toml")]
    pub config: crate::config::Config,
    pub instruments: Vec<Instrument>,
}

/// What is wrong with a journal and where: frame 0 is the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal: frame {frame} at byte offset {offset}: {reason}")]
pub struct JournalError {
    pub frame: u64,
    pub offset: u64,
    pub reason: String,
}

/// A decoded journal: every input before the damage, and the damage if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    pub header: JournalHeader,
    pub inputs: Vec<Input>,
    /// Set when the tail is truncated or corrupt; `inputs` holds what came before.
    pub damage: Option<JournalError>,
}

/// Magic, version and the header frame.
pub fn encode_header(header: &JournalHeader) -> Vec<u8> {
    let _ = header;
    Vec::new()
}

/// One input as one frame, ready to append.
pub fn encode_input(input: &Input) -> Vec<u8> {
    let _ = input;
    Vec::new()
}

/// Decodes a whole journal. `Err` only when the header itself is unreadable.
pub fn decode(bytes: &[u8]) -> Result<Journal, JournalError> {
    let _ = bytes;
    Err(JournalError {
        frame: 0,
        offset: 0,
        reason: "not implemented".to_string(),
    })
}
