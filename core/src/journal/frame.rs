//! Frames and what travels in them: `u32 LE payload length | u32 LE CRC-32
//! of payload | payload`, the header and record payloads, and the checks
//! that turn bad bytes into a reason (the caller adds where).

use serde::{Deserialize, Serialize};

use super::{FRAME_HEAD_LEN, MAX_FRAME_LEN, SessionEnd};
use crate::domain::Instrument;
use crate::engine::SessionId;
use crate::input::Input;

/// A segment header frame's payload. `setup` is present in segment 0 only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct HeaderWire {
    pub session_id: SessionId,
    pub segment: u32,
    pub first_seq: u64,
    /// CRC-32 of segment 0's header payload: later segments name the
    /// session they belong to beyond its id (0 in segment 0 itself).
    pub origin: u32,
    pub setup: Option<Setup>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Setup {
    #[serde(with = "crate::config::as_toml")]
    pub config: crate::config::Config,
    pub instruments: Vec<Instrument>,
}

/// A record frame's payload: `(seq, Record)`. Decoded and taken apart at
/// once: boxing the input would cost an allocation per frame.
#[derive(Debug, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub(super) enum Record {
    Input(Input),
    End(SessionEnd),
}

/// `Record` by reference, for encoding without a copy (same variant order:
/// same bytes).
#[derive(Serialize)]
pub(super) enum RecordRef<'a> {
    Input(&'a Input),
    End(&'a SessionEnd),
}

/// Appends one frame holding `value`'s postcard encoding. Should encoding
/// ever fail (not reachable with these types), the frame is written empty,
/// so decoding refuses it at exactly that frame instead of the record
/// vanishing unnoticed.
pub(super) fn push_frame(out: &mut Vec<u8>, value: &impl Serialize) {
    let payload = postcard::to_stdvec(value).unwrap_or_default();
    // A payload is one header or record: far below 4 GiB.
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.reserve(FRAME_HEAD_LEN + payload.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
}

/// The payload of the frame starting at `start`, and where the next begins.
/// The error text says what is wrong, without the location.
pub(super) fn read_frame(bytes: &[u8], start: usize) -> Result<(&[u8], usize), String> {
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

pub(super) fn decode_payload<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, String> {
    match postcard::take_from_bytes::<T>(payload) {
        Ok((value, [])) => Ok(value),
        Ok((_, extra)) => Err(format!(
            "payload has {} trailing bytes after the record",
            extra.len()
        )),
        Err(e) => Err(format!("payload does not decode: {e}")),
    }
}

/// The sequence number of a checksummed record frame at `start`, if it is
/// one (for naming a reordered frame; not a full decode).
pub(super) fn seq_at(bytes: &[u8], start: usize) -> Option<(u64, usize)> {
    let (payload, end) = read_frame(bytes, start).ok()?;
    let (seq, _) = postcard::take_from_bytes::<u64>(payload).ok()?;
    Some((seq, end))
}

/// How many frames from `start` on have their whole payload present
/// (checksums unchecked): an upper bound on the records there.
pub(super) fn whole_frames(bytes: &[u8], mut start: usize) -> usize {
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

/// Bytes as an ASCII-safe quoted string, for messages.
pub(super) fn escape(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        s.extend(std::ascii::escape_default(b).map(char::from));
    }
    s.push('"');
    s
}
