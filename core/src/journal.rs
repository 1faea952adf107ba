//! The session journal codec, format version 2.
//!
//! A journal is one or more segment files. Each segment:
//!
//! ```text
//! magic "MMJ1" | u16 LE format version (2) | header frame | record frame...
//! frame  = u32 LE payload length | u32 LE CRC-32 of payload | payload
//! header = postcard { session_id, segment, first_seq, origin, setup }
//! record = postcard (seq: varint u64, Input(input) | End(SessionEnd))
//! ```
//!
//! Records are numbered 0, 1, 2... across the whole session, continuing
//! from segment to segment; a segment header names the seq of its first
//! record. Segment 0 holds the session's setup (config, instruments) and
//! `origin` 0; later segments hold no setup (a replay needs segment 0
//! anyway: the engine's state is built from the first input on, so a copy
//! would add bytes and a second source of truth, not a capability) and
//! carry as `origin` the CRC-32 of segment 0's header payload, so a segment
//! of another session is told apart even with the same session id. The
//! last record of an orderly session is its end-of-session frame.
//!
//! The shell writes segment 0's header once, then one record per input
//! BEFORE handing it to the engine, each with one write, so a crash leaves
//! whole frames and at worst a torn last one. Decoding returns every input
//! before the first problem and names it: the segment, the frame (0 = the
//! header; frame `n` is the n-th record of that segment) and its byte
//! offset in the segment, which is the length of its good prefix. Problems
//! are damage (a torn or corrupt frame, a sequence gap, a duplicated or
//! reordered frame, a segment out of order or of another session); a
//! journal without damage and without an end frame is *unfinished* (the
//! session was killed, or the file cut at a frame boundary).
//!
//! Decoding never panics and never allocates more than the bytes it is given
//! (a frame's length is checked against the bytes present before anything is
//! read), whatever the bytes.

mod frame;
mod reader;

use serde::{Deserialize, Serialize};

use self::frame::{HeaderWire, RecordRef, Setup, push_frame};
pub use self::reader::{Continuation, Reader};
use crate::domain::Instrument;
use crate::engine::SessionId;
use crate::input::Input;

pub const MAGIC: [u8; 4] = *b"MMJ1";
/// 2: records carry a sequence number, a session ends with an end frame,
/// a journal may be split in segments (1 had none of these).
pub const FORMAT_VERSION: u16 = 2;

/// Magic plus version: the bytes before the header frame.
pub const PREAMBLE_LEN: usize = 6;
/// Length and CRC: the bytes before a frame's payload.
pub const FRAME_HEAD_LEN: usize = 8;
/// A frame longer than this is damage, not data: a recorded input is a few
/// KB at most, and a flipped high bit in a length must not read as "wait for
/// 2 GB more".
pub const MAX_FRAME_LEN: u32 = 16 * 1024 * 1024;

/// What a session starts from: the engine is built from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    pub session_id: SessionId,
    #[serde(with = "crate::config::as_toml")]
    pub config: crate::config::Config,
    pub instruments: Vec<Instrument>,
}

/// The end-of-session frame: the shell ended the session in order and
/// wrote everything before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEnd {
    /// How the session ended, as the shell's summary says it (`stopped`,
    /// `write_failed`, ...).
    pub ended: String,
}

/// What is wrong with a journal and where: frame 0 is a segment's header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct JournalError {
    /// The segment (0 = the first file).
    pub segment: u32,
    pub frame: u64,
    /// Byte offset in that segment.
    pub offset: u64,
    pub reason: String,
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.segment == 0 {
            write!(f, "journal: ")?;
        } else {
            write!(f, "journal segment {}: ", self.segment)?;
        }
        write!(
            f,
            "frame {} at byte offset {}: {}",
            self.frame, self.offset, self.reason
        )
    }
}

/// A decoded journal: every input before the damage, and the damage if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    pub header: JournalHeader,
    pub inputs: Vec<Input>,
    /// Set when a frame or segment is truncated, corrupt or misplaced;
    /// `inputs` holds what came before.
    pub damage: Option<JournalError>,
    /// The end-of-session frame; `None` with no damage: unfinished.
    pub end: Option<SessionEnd>,
}

impl Journal {
    /// Whole and ended in order.
    pub fn is_finished(&self) -> bool {
        self.damage.is_none() && self.end.is_some()
    }
}

/// Encodes one session's journal frame by frame, numbering the records.
#[derive(Debug, Clone)]
pub struct Encoder {
    session_id: SessionId,
    origin: u32,
    segment: u32,
    next_seq: u64,
}

impl Encoder {
    /// The encoder, and segment 0's magic, version and header.
    pub fn new(header: &JournalHeader) -> (Encoder, Vec<u8>) {
        let wire = HeaderWire {
            session_id: header.session_id.clone(),
            segment: 0,
            first_seq: 0,
            origin: 0,
            setup: Some(Setup {
                config: header.config.clone(),
                instruments: header.instruments.clone(),
            }),
        };
        let bytes = segment_bytes(&wire);
        let origin = crc32fast::hash(&bytes[PREAMBLE_LEN + FRAME_HEAD_LEN..]);
        let encoder = Encoder {
            session_id: header.session_id.clone(),
            origin,
            segment: 0,
            next_seq: 0,
        };
        (encoder, bytes)
    }

    /// One input as one frame, ready to append.
    pub fn input(&mut self, input: &Input) -> Vec<u8> {
        self.record(&RecordRef::Input(input))
    }

    /// The end-of-session frame: the last frame of the journal.
    pub fn end(&mut self, end: &SessionEnd) -> Vec<u8> {
        self.record(&RecordRef::End(end))
    }

    /// The magic, version and header of the next segment: the frames
    /// encoded from now on belong in it.
    pub fn next_segment(&mut self) -> Vec<u8> {
        self.segment += 1;
        segment_bytes(&HeaderWire {
            session_id: self.session_id.clone(),
            segment: self.segment,
            first_seq: self.next_seq,
            origin: self.origin,
            setup: None,
        })
    }

    /// The segment the next frame goes in.
    pub fn segment(&self) -> u32 {
        self.segment
    }

    /// The sequence number of the next record.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    fn record(&mut self, record: &RecordRef<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        push_frame(&mut out, &(self.next_seq, record));
        self.next_seq += 1;
        out
    }
}

fn segment_bytes(wire: &HeaderWire) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    push_frame(&mut out, wire);
    out
}

/// A whole single-segment journal: header, one frame per input, and the
/// end-of-session frame if `end` is given.
pub fn encode(header: &JournalHeader, inputs: &[Input], end: Option<&SessionEnd>) -> Vec<u8> {
    let (mut enc, mut bytes) = Encoder::new(header);
    for input in inputs {
        bytes.extend_from_slice(&enc.input(input));
    }
    if let Some(end) = end {
        bytes.extend_from_slice(&enc.end(end));
    }
    bytes
}

/// Decodes a whole single-segment journal. `Err` only when the header
/// itself is unreadable.
pub fn decode(bytes: &[u8]) -> Result<Journal, JournalError> {
    decode_segments(&[bytes])
}

/// Decodes a journal from its segments, in order. `Err` only when segment
/// 0's header is unreadable (or no segment is given); a later segment that
/// does not follow is damage, after the inputs before it.
pub fn decode_segments(segments: &[&[u8]]) -> Result<Journal, JournalError> {
    let Some((first, rest)) = segments.split_first() else {
        return Err(JournalError {
            segment: 0,
            frame: 0,
            offset: 0,
            reason: "no segment given".to_string(),
        });
    };
    let mut reader = Reader::new(first)?;
    // Sized once: growing a vector of inputs copies it and frees large
    // blocks, which makes the allocator sweep every small free block. Never
    // more than the bytes given (frames of a few bytes are damage, not data).
    let total: usize = segments.iter().map(|s| s.len()).sum();
    let room = total / std::mem::size_of::<Input>();
    let frames = frame::whole_frames(first, reader.offset() as usize)
        + rest
            .iter()
            .map(|s| frame::whole_frames(s, PREAMBLE_LEN))
            .sum::<usize>();
    let mut inputs = Vec::with_capacity(frames.min(room));
    let mut damage = None;
    let mut rest = rest.iter();
    loop {
        for item in reader.by_ref() {
            match item {
                Ok(input) => inputs.push(input),
                Err(e) => {
                    damage = Some(e);
                    break;
                }
            }
        }
        let Some(next) = rest.next() else { break };
        if damage.is_some() {
            break;
        }
        if let Err(e) = reader.next_segment(next) {
            damage = Some(e);
            break;
        }
    }
    Ok(Journal {
        end: reader.end().cloned(),
        header: reader.into_continuation().into_header(),
        inputs,
        damage,
    })
}
