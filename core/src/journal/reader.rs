//! Reading a journal record by record, segment after segment, checking every
//! frame's checksum and sequence number and every segment's header.

use super::frame::{self, HeaderWire, Record};
use super::{FORMAT_VERSION, JournalError, JournalHeader, MAGIC, PREAMBLE_LEN, SessionEnd};
use crate::engine::SessionId;
use crate::input::Input;

/// Reads a journal one input at a time (for a replay that streams, or a tool
/// that follows a growing file by re-reading from `offset()`).
///
/// Yields `Ok(input)` per good record, then at most one `Err` naming the
/// first damaged frame, then `None`. An end-of-session frame yields nothing
/// (see `end()`); a segment that simply ends after a whole frame yields
/// `None` with no error, and the next segment may follow (`next_segment`).
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
    /// Number of the next frame in this segment (0 is its header).
    frame: u64,
    damaged: bool,
    state: Continuation,
}

/// Where a journal stands between two segments: what the next segment must
/// continue. Owns nothing of the bytes read, so a caller can drop a segment
/// before reading the next (`Reader::into_continuation`, `resume`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continuation {
    header: JournalHeader,
    origin: u32,
    segment: u32,
    next_seq: u64,
    /// The end-of-session frame and its sequence number, once read.
    end: Option<(SessionEnd, u64)>,
    damaged: bool,
}

impl<'a> Reader<'a> {
    /// Reads segment 0: checks magic and version, decodes its header.
    pub fn new(bytes: &'a [u8]) -> Result<Reader<'a>, JournalError> {
        let (wire, origin, offset) = read_header(bytes, 0)?;
        let err = |reason: String| JournalError {
            segment: 0,
            frame: 0,
            offset: PREAMBLE_LEN as u64,
            reason,
        };
        let Some(setup) = wire.setup else {
            return Err(err(format!(
                "this is segment {} of session {}; a journal is read from its segment 0",
                wire.segment,
                wire.session_id.as_str()
            )));
        };
        if wire.segment != 0 || wire.first_seq != 0 {
            return Err(err(format!(
                "header of segment 0 says segment {}, first seq {} (both must be 0)",
                wire.segment, wire.first_seq
            )));
        }
        Ok(Reader {
            bytes,
            offset,
            frame: 1,
            damaged: false,
            state: Continuation {
                header: JournalHeader {
                    session_id: wire.session_id,
                    config: setup.config,
                    instruments: setup.instruments,
                },
                origin,
                segment: 0,
                next_seq: 0,
                end: None,
                damaged: false,
            },
        })
    }

    pub fn header(&self) -> &JournalHeader {
        &self.state.header
    }

    /// Byte offset of the next frame in this segment: everything before it
    /// has been read (and, if no error was yielded, is good).
    pub fn offset(&self) -> u64 {
        self.offset as u64
    }

    /// Number of the next frame in this segment (1 = the first after its header).
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// This segment's index (0 = the first).
    pub fn segment(&self) -> u32 {
        self.state.segment
    }

    /// The sequence number the next record must carry.
    pub fn next_seq(&self) -> u64 {
        self.state.next_seq
    }

    /// The end-of-session frame, once read: the journal is finished.
    pub fn end(&self) -> Option<&SessionEnd> {
        self.state.end.as_ref().map(|(e, _)| e)
    }

    /// Continues with the next segment's bytes (same lifetime; see
    /// `into_continuation` to read segments one at a time). Refused, naming
    /// why, when `bytes` is not the segment that must follow: another
    /// session's, out of order, a gap in sequence, or any segment after
    /// the end of the session or after damage.
    pub fn next_segment(&mut self, bytes: &'a [u8]) -> Result<(), JournalError> {
        let offset = self.state.check_next(bytes)?;
        self.state.segment += 1;
        self.bytes = bytes;
        self.offset = offset;
        self.frame = 1;
        Ok(())
    }

    /// What the next segment must continue (drops the borrow of this one).
    pub fn into_continuation(self) -> Continuation {
        Continuation {
            damaged: self.damaged,
            ..self.state
        }
    }

    fn damage(&mut self, offset: usize, reason: String) -> JournalError {
        self.damaged = true;
        JournalError {
            segment: self.state.segment,
            frame: self.frame,
            offset: offset as u64,
            reason,
        }
    }

    /// Why a record with the wrong sequence number is wrong.
    fn misplaced(&self, found: u64) -> String {
        let expected = self.state.next_seq;
        let at = self.offset;
        if found < expected {
            return format!(
                "duplicated frame: expected seq {expected}, found {found} at byte {at} \
                 (seq {found} was already read)"
            );
        }
        // A frame that came early: is the expected one further on?
        let mut start = self.offset;
        while let Some((seq, end)) = frame::seq_at(self.bytes, start) {
            if seq == expected {
                return format!(
                    "reordered frame: expected seq {expected}, found {found} at byte {at}; \
                     seq {expected} comes later, at byte {start}"
                );
            }
            start = end;
        }
        let missing = if found == expected + 1 {
            format!("the frame with seq {expected} is missing")
        } else {
            format!(
                "the frames with seq {expected} to {} are missing",
                found - 1
            )
        };
        format!("sequence gap: expected seq {expected}, found {found} at byte {at}; {missing}")
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Input, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.damaged || self.offset >= self.bytes.len() {
                return None;
            }
            if let Some((_, seq)) = &self.state.end {
                let reason =
                    format!("a frame after the end-of-session frame (seq {seq} ended the session)");
                return Some(Err(self.damage(self.offset, reason)));
            }
            let (payload, end) = match frame::read_frame(self.bytes, self.offset) {
                Ok(f) => f,
                Err(reason) => return Some(Err(self.damage(self.offset, reason))),
            };
            let (seq, record) = match frame::decode_payload::<(u64, Record)>(payload) {
                Ok(r) => r,
                Err(reason) => return Some(Err(self.damage(self.offset, reason))),
            };
            if seq != self.state.next_seq {
                let reason = self.misplaced(seq);
                return Some(Err(self.damage(self.offset, reason)));
            }
            self.offset = end;
            self.frame += 1;
            self.state.next_seq += 1;
            match record {
                Record::Input(input) => return Some(Ok(input)),
                Record::End(e) => self.state.end = Some((e, seq)),
            }
        }
    }
}

impl Continuation {
    pub fn header(&self) -> &JournalHeader {
        &self.header
    }

    pub fn into_header(self) -> JournalHeader {
        self.header
    }

    /// The index of the last segment read.
    pub fn segment(&self) -> u32 {
        self.segment
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn end(&self) -> Option<&SessionEnd> {
        self.end.as_ref().map(|(e, _)| e)
    }

    /// A reader over the next segment (see `Reader::next_segment`).
    pub fn resume(self, bytes: &[u8]) -> Result<Reader<'_>, JournalError> {
        let offset = self.check_next(bytes)?;
        Ok(Reader {
            bytes,
            offset,
            frame: 1,
            damaged: false,
            state: Continuation {
                segment: self.segment + 1,
                ..self
            },
        })
    }

    /// Checks that `bytes` is the segment that continues this one, and
    /// returns the offset of its first record frame (the caller advances
    /// `segment`).
    fn check_next(&self, bytes: &[u8]) -> Result<usize, JournalError> {
        let want = self.segment + 1;
        let err = |reason: String| JournalError {
            segment: want,
            frame: 0,
            offset: PREAMBLE_LEN as u64,
            reason,
        };
        if self.damaged {
            return Err(err(format!(
                "segment {} is damaged: nothing after it is read",
                self.segment
            )));
        }
        if let Some((_, seq)) = &self.end {
            return Err(err(format!(
                "a segment after the end of the session (seq {seq}, in segment {}, ended it)",
                self.segment
            )));
        }
        let (wire, _, offset) = read_header(bytes, want)?;
        let ours = self.header.session_id.as_str();
        if wire.session_id.as_str() != ours || wire.origin != self.origin {
            return Err(err(format!(
                "foreign segment: it belongs to session {} (origin {:08x}), this journal is session {ours} (origin {:08x})",
                wire.session_id.as_str(),
                wire.origin,
                self.origin
            )));
        }
        if wire.segment != want {
            let why = if wire.segment > want {
                format!("segment {want} is missing")
            } else {
                "segments out of order".to_string()
            };
            return Err(err(format!(
                "{why}: this is segment {}, segment {want} must follow segment {}",
                wire.segment, self.segment
            )));
        }
        if wire.first_seq != self.next_seq {
            return Err(err(format!(
                "sequence gap between segments: segment {want} starts at seq {}, segment {} ended before seq {}",
                wire.first_seq, self.segment, self.next_seq
            )));
        }
        Ok(offset)
    }
}

/// Magic, version and header frame of a segment (`segment` only names it in
/// errors): the header, the CRC of its payload, and where the records start.
fn read_header(bytes: &[u8], segment: u32) -> Result<(HeaderWire, u32, usize), JournalError> {
    let err = |offset: usize, reason: String| JournalError {
        segment,
        frame: 0,
        offset: offset as u64,
        reason,
    };
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        let seen = &bytes[..bytes.len().min(MAGIC.len())];
        if MAGIC.starts_with(seen) {
            return Err(err(
                bytes.len(),
                format!(
                    "truncated: {} bytes, a journal starts with the magic \"MMJ1\"",
                    bytes.len()
                ),
            ));
        }
        return Err(err(
            0,
            format!(
                "not a journal: starts with {} where the magic \"MMJ1\" belongs",
                frame::escape(seen)
            ),
        ));
    }
    let Some(version) = bytes.get(MAGIC.len()..PREAMBLE_LEN) else {
        return Err(err(
            bytes.len(),
            format!(
                "truncated: {} bytes, the format version needs bytes 4 and 5",
                bytes.len()
            ),
        ));
    };
    let version = u16::from_le_bytes([version[0], version[1]]);
    if version != FORMAT_VERSION {
        return Err(err(
            MAGIC.len(),
            format!(
                "format version {version} is not supported (this build reads version {FORMAT_VERSION})"
            ),
        ));
    }
    let (payload, end) = frame::read_frame(bytes, PREAMBLE_LEN)
        .map_err(|reason| err(PREAMBLE_LEN, format!("header {reason}")))?;
    let wire: HeaderWire = frame::decode_payload(payload)
        .map_err(|reason| err(PREAMBLE_LEN, format!("header {reason}")))?;
    // The derive does not validate: a session id that would make invalid
    // orderLinkIds is a broken header, not something to replay.
    SessionId::new(wire.session_id.as_str()).map_err(|e| {
        err(
            PREAMBLE_LEN,
            format!("header has an invalid session id: {e}"),
        )
    })?;
    let crc = crc32fast::hash(payload);
    Ok((wire, crc, end))
}
