//! Scalars as stable one-line text: relative times, escaped strings.

use mm_core::Timestamp;

/// A time relative to the session start: `+123`, or `-5` before it.
pub(super) fn rel(t: Timestamp, t0: Timestamp) -> String {
    if t >= t0 {
        format!("+{}", t.0 - t0.0)
    } else {
        format!("-{}", t0.0 - t.0)
    }
}

pub(super) fn signed(a: u64, b: u64) -> String {
    if a >= b {
        (a - b).to_string()
    } else {
        format!("-{}", b - a)
    }
}

/// Control characters escaped, so one value never spans two lines.
pub fn oneline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A string from the wire in quotes, escaped onto one line.
pub(super) fn quoted(s: &str) -> String {
    format!("\"{}\"", oneline(s).replace('"', "\\\""))
}

/// Prices and sizes print bare when they look like numbers, quoted when not
/// (an empty or garbage price must be visible as such).
pub(super) fn quoted_if_odd(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    if plain { s.to_string() } else { quoted(s) }
}
