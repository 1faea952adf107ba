//! The byte-for-byte check of a replayed log against the live one, and what
//! it says when they differ: the first differing byte, its line, and that
//! line on both sides (the snapshot test's message, and a tested function).

use std::fmt;

/// Where a replayed log first departs from the live log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogMismatch {
    /// Offset of the first differing byte (or the shorter log's length).
    pub byte: usize,
    /// 1-based number of the line holding that byte.
    pub line: usize,
    /// That line in the replayed log, `None` past its end.
    pub replayed_line: Option<String>,
    /// That line in the live log, `None` past its end.
    pub live_line: Option<String>,
    pub replayed_len: usize,
    pub live_len: usize,
}

impl fmt::Display for LogMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |l: &Option<String>| {
            l.as_ref()
                .map_or("(end of log)".to_string(), |s| format!("{s:?}"))
        };
        write!(
            f,
            "replayed log differs from the live log at byte {} (line {}): replayed {}, live {}; \
             replayed {} bytes, live {} bytes",
            self.byte,
            self.line,
            show(&self.replayed_line),
            show(&self.live_line),
            self.replayed_len,
            self.live_len
        )
    }
}

/// `Ok` when the two logs are the same bytes; otherwise the first difference.
pub fn compare_logs(replayed: &[u8], live: &[u8]) -> Result<(), LogMismatch> {
    if replayed == live {
        return Ok(());
    }
    let byte = replayed
        .iter()
        .zip(live)
        .position(|(a, b)| a != b)
        .unwrap_or(replayed.len().min(live.len()));
    // Both sides agree up to `byte`, so its line starts at the same place.
    let start = replayed[..byte]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = replayed[..byte].iter().filter(|&&b| b == b'\n').count() + 1;
    Err(LogMismatch {
        byte,
        line,
        replayed_line: line_from(replayed, start),
        live_line: line_from(live, start),
        replayed_len: replayed.len(),
        live_len: live.len(),
    })
}

/// The line starting at `start`, without its newline; `None` at the end.
fn line_from(bytes: &[u8], start: usize) -> Option<String> {
    let rest = bytes.get(start..).filter(|r| !r.is_empty())?;
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}
