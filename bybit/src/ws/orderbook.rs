//! `orderbook.{depth}.{symbol}` payload: `{"s":"BTCUSDT","b":[["16493.50","0.006"]],
//! "a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724}` inside a
//! [`crate::ws::Push`]. Apply it with [`crate::ws::Book`].

use serde::{Deserialize, Serialize};

/// One side's `[price, size]` pairs, as the exchange's decimal strings. In a delta a size of
/// `"0"` deletes the level.
pub type Levels = Vec<(String, String)>;

/// The `data` of an orderbook snapshot or delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderbookData {
    /// Symbol.
    pub s: String,
    /// Bids, best (highest) first.
    pub b: Levels,
    /// Asks, best (lowest) first.
    pub a: Levels,
    /// Update id: `1` after a service restart (the snapshot then replaces everything).
    pub u: u64,
    /// Cross sequence: smaller is earlier, comparable across depths.
    pub seq: u64,
}
