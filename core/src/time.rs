//! Time as data: core never reads a clock; every input carries the shell's `now`.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, as read by the shell. Serializable, so a
/// journal replays with the exact times the live session saw.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub const fn ms(self) -> u64 {
        self.0
    }

    pub const fn plus_ms(self, ms: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later.
    pub const fn since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}
