//! The session journal codec (design.md §6).
//!
//! Layout: header = magic `MMJ1`, u16 LE format version, then one frame holding
//! the postcard-encoded `JournalHeader`; then one frame per `Input`. A frame
//! is `u32 LE payload length | u32 LE CRC-32 of payload | payload`.
//!
//! Frame 0 is the header, frame `n` (n >= 1) is the n-th input. A journal is
//! append-only: the shell writes `encode_header` once, then `encode_input`
//! for every input BEFORE handing it to the engine, so a crash leaves at
//! worst a torn last frame. `decode` returns every input before the first
//! damaged frame and names that frame and its byte offset; the offset is the
//! length of the good prefix (truncating the file there repairs it).
//!
//! Decoding never panics and never allocates more than the bytes it is given
//! (a frame's length is checked against the bytes present before anything is
//! read), whatever the bytes.

use serde::{Deserialize, Serialize};

use crate::domain::Instrument;
use crate::engine::SessionId;
use crate::input::Input;

pub const MAGIC: [u8; 4] = *b"MMJ1";
pub const FORMAT_VERSION: u16 = 1;

/// Magic plus version: the bytes before the header frame.
pub const PREAMBLE_LEN: usize = 6;
/// Length and CRC: the bytes before a frame's payload.
pub const FRAME_HEAD_LEN: usize = 8;
/// A frame longer than this is damage, not data: a recorded input is a few
/// KB at most, and a flipped high bit in a length must not read as "wait for
/// 2 GB more".
pub const MAX_FRAME_LEN: u32 = 16 * 1024 * 1024;

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
///
/// Encoding cannot fail for any value these types can hold; should the
/// config's TOML rendering ever fail, the frame is written with an empty
/// payload, so the journal is refused loudly on decode instead of silently
/// missing something.
pub fn encode_header(header: &JournalHeader) -> Vec<u8> {
    let payload = postcard::to_stdvec(header).unwrap_or_default();
    let mut out = Vec::with_capacity(PREAMBLE_LEN + FRAME_HEAD_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    push_frame(&mut out, &payload);
    out
}

/// One input as one frame, ready to append.
///
/// As with `encode_header`, a failure to encode (not reachable with the
/// current types) writes a frame with an empty payload: decode then reports
/// damage at exactly that frame rather than the input vanishing unnoticed.
pub fn encode_input(input: &Input) -> Vec<u8> {
    let payload = postcard::to_stdvec(input).unwrap_or_default();
    frame(&payload)
}

/// Decodes a whole journal. `Err` only when the header itself is unreadable.
pub fn decode(bytes: &[u8]) -> Result<Journal, JournalError> {
    let mut reader = Reader::new(bytes)?;
    // Sized once: growing a vector of inputs copies it and frees large
    // blocks, which makes the allocator sweep every small free block. Never
    // more than the bytes given (frames of a few bytes are damage, not data).
    let room = bytes.len() / std::mem::size_of::<Input>();
    let mut inputs = Vec::with_capacity(whole_frames(bytes, reader.offset).min(room));
    let mut damage = None;
    for item in reader.by_ref() {
        match item {
            Ok(input) => inputs.push(input),
            Err(e) => {
                damage = Some(e);
                break;
            }
        }
    }
    Ok(Journal {
        header: reader.header().clone(),
        inputs,
        damage,
    })
}

/// Reads a journal one input at a time (for a replay that streams, or a tool
/// that follows a growing file by re-reading from `offset()`).
///
/// Yields `Ok(input)` per good frame, then at most one `Err` naming the first
/// damaged frame, then `None`. A journal that simply ends after a whole frame
/// yields `None` with no error.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    header: JournalHeader,
    offset: usize,
    /// Number of the next frame to read.
    frame: u64,
    done: bool,
}

impl<'a> Reader<'a> {
    /// Checks magic and version and decodes the header frame.
    pub fn new(bytes: &'a [u8]) -> Result<Reader<'a>, JournalError> {
        let head_err = |offset: usize, reason: String| JournalError {
            frame: 0,
            offset: offset as u64,
            reason,
        };
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            let seen = &bytes[..bytes.len().min(MAGIC.len())];
            if MAGIC.starts_with(seen) {
                return Err(head_err(
                    bytes.len(),
                    format!(
                        "truncated: {} bytes, a journal starts with the magic \"MMJ1\"",
                        bytes.len()
                    ),
                ));
            }
            return Err(head_err(
                0,
                format!(
                    "not a journal: starts with {} where the magic \"MMJ1\" belongs",
                    escape(seen)
                ),
            ));
        }
        let Some(version) = bytes.get(MAGIC.len()..PREAMBLE_LEN) else {
            return Err(head_err(
                bytes.len(),
                format!(
                    "truncated: {} bytes, the format version needs bytes 4 and 5",
                    bytes.len()
                ),
            ));
        };
        let version = u16::from_le_bytes([version[0], version[1]]);
        if version != FORMAT_VERSION {
            return Err(head_err(
                MAGIC.len(),
                format!(
                    "format version {version} is not supported (this build reads version {FORMAT_VERSION})"
                ),
            ));
        }
        let (payload, end) = read_frame(bytes, PREAMBLE_LEN)
            .map_err(|reason| head_err(PREAMBLE_LEN, format!("header {reason}")))?;
        let header: JournalHeader = decode_payload(payload)
            .map_err(|reason| head_err(PREAMBLE_LEN, format!("header {reason}")))?;
        // The derive does not validate: a session id that would make invalid
        // orderLinkIds is a broken header, not something to replay.
        SessionId::new(header.session_id.as_str()).map_err(|e| {
            head_err(
                PREAMBLE_LEN,
                format!("header has an invalid session id: {e}"),
            )
        })?;
        Ok(Reader {
            bytes,
            header,
            offset: end,
            frame: 1,
            done: false,
        })
    }

    pub fn header(&self) -> &JournalHeader {
        &self.header
    }

    /// Byte offset of the next frame: everything before it has been read
    /// (and, if no error was yielded, is good).
    pub fn offset(&self) -> u64 {
        self.offset as u64
    }

    /// Number of the next frame (1 = the first input).
    pub fn frame(&self) -> u64 {
        self.frame
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Input, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.offset >= self.bytes.len() {
            return None;
        }
        let damage = |reason: String| JournalError {
            frame: self.frame,
            offset: self.offset as u64,
            reason,
        };
        let result = read_frame(self.bytes, self.offset)
            .and_then(|(payload, end)| decode_payload::<Input>(payload).map(|i| (i, end)));
        match result {
            Ok((input, end)) => {
                self.offset = end;
                self.frame += 1;
                Some(Ok(input))
            }
            Err(reason) => {
                self.done = true;
                Some(Err(damage(reason)))
            }
        }
    }
}

/// How many frames from `start` on have their whole payload present
/// (checksums unchecked): an upper bound on the inputs `decode` yields.
fn whole_frames(bytes: &[u8], mut start: usize) -> usize {
    let mut n = 0;
    while let Some(head) = bytes.get(start..start + FRAME_HEAD_LEN) {
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if len > MAX_FRAME_LEN {
            break;
        }
        let end = start + FRAME_HEAD_LEN + len as usize;
        if end > bytes.len() {
            break;
        }
        n += 1;
        start = end;
    }
    n
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEAD_LEN + payload.len());
    push_frame(&mut out, payload);
    out
}

fn push_frame(out: &mut Vec<u8>, payload: &[u8]) {
    // Payloads are postcard encodings of one header or input: far below 4 GiB.
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// The payload of the frame starting at `start`, and where the next begins.
/// The error text says what is wrong, without the location.
fn read_frame(bytes: &[u8], start: usize) -> Result<(&[u8], usize), String> {
    let rest = bytes.get(start..).unwrap_or_default();
    let Some(head) = rest.get(..FRAME_HEAD_LEN) else {
        return Err(format!(
            "frame head truncated: {FRAME_HEAD_LEN} bytes needed, {} remain",
            rest.len()
        ));
    };
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    if len > MAX_FRAME_LEN {
        return Err(format!(
            "frame length {len} exceeds the limit of {MAX_FRAME_LEN} bytes (corrupt length)"
        ));
    }
    let len = len as usize;
    let body = &rest[FRAME_HEAD_LEN..];
    let Some(payload) = body.get(..len) else {
        return Err(format!(
            "payload truncated: length says {len} bytes, {} remain",
            body.len()
        ));
    };
    let actual = crc32fast::hash(payload);
    if actual != crc {
        return Err(format!(
            "checksum mismatch: frame says {crc:08x}, payload hashes to {actual:08x}"
        ));
    }
    Ok((payload, start + FRAME_HEAD_LEN + len))
}

fn decode_payload<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, String> {
    match postcard::take_from_bytes::<T>(payload) {
        Ok((value, [])) => Ok(value),
        Ok((_, extra)) => Err(format!(
            "payload has {} trailing bytes after the record",
            extra.len()
        )),
        Err(e) => Err(format!("payload does not decode: {e}")),
    }
}

/// Bytes as an ASCII-safe quoted string, for messages.
fn escape(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        s.extend(std::ascii::escape_default(b).map(char::from));
    }
    s.push('"');
    s
}
