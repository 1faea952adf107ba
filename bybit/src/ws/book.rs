//! A local order book kept from `orderbook.{depth}.{symbol}` pushes.
//!
//! Rules (Bybit's, plus the safe choices where Bybit is silent):
//! - Any snapshot replaces the book. A snapshot with `u == 1` follows a service restart and is
//!   taken whatever came before; the same snapshot re-sent with the same `u` (depth 1 does so
//!   every 3 s when nothing changed) is taken too.
//! - A delta sets each level's size; size `"0"` deletes it; deleting an unknown price is ignored.
//! - Sides stay sorted (bids high to low, asks low to high) and trimmed to the depth.
//! - Continuity: a delta must carry `u` = previous `u` + 1, and neither `u` nor `seq` may go
//!   backwards (on a delta or, unless `u == 1`, a snapshot). Otherwise [`Book::apply`] reports a
//!   [`BookGap`], empties the book and refuses deltas until the next snapshot: the caller
//!   resubscribes to get one. An exact repeat of the last delta (same `u` and `seq`) is ignored.
//! - Prices and sizes stay the exchange's strings, compared exactly as decimals (never floats).

use std::cmp::Reverse;
use std::collections::BTreeMap;

use crate::ws::decimal::DecimalKey;
use crate::ws::envelope::{Push, PushType};
use crate::ws::orderbook::{Levels, OrderbookData};

/// What [`Book::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The book was replaced.
    Snapshot,
    /// The changes were applied.
    Delta,
    /// The message repeated the last delta and was ignored.
    Duplicate,
}

/// Why a message could not be applied. Except [`BookGap::WrongSymbol`], the book is now empty
/// and waits for a snapshot: resubscribe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookGap {
    /// A delta arrived before any snapshot (or after an earlier gap).
    #[error("delta without a snapshot")]
    NoSnapshot,
    /// A delta's `u` is not the previous `u` + 1: updates were lost.
    #[error("update id jumped from {last} to {got}")]
    Skipped {
        /// Previous `u`.
        last: u64,
        /// This message's `u`.
        got: u64,
    },
    /// `u` or `seq` went backwards: a stale or reordered message.
    #[error("{field} went backwards from {last} to {got}")]
    Backwards {
        /// `"u"` or `"seq"`.
        field: &'static str,
        /// Previous value.
        last: u64,
        /// This message's value.
        got: u64,
    },
    /// A level is not `[price, size]` of plain non-negative decimals.
    #[error("bad level [{price:?}, {size:?}]")]
    BadLevel {
        /// Price as received.
        price: String,
        /// Size as received.
        size: String,
    },
    /// The message is for another symbol (a routing mistake; the book is left as it was).
    #[error("message for {got}, book of {expected}")]
    WrongSymbol {
        /// This book's symbol.
        expected: String,
        /// The message's symbol.
        got: String,
    },
}

/// One side: price key -> (price, size) as received.
type Side<K> = BTreeMap<K, (String, String)>;

/// The book of one symbol at one depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Book {
    symbol: String,
    depth: usize,
    bids: Side<Reverse<DecimalKey>>,
    asks: Side<DecimalKey>,
    /// `(u, seq)` of the last message applied; `None` until a snapshot.
    last: Option<(u64, u64)>,
}

impl Book {
    /// An empty book of `symbol` that keeps `depth` levels a side.
    pub fn new(symbol: &str, depth: u32) -> Self {
        Self {
            symbol: symbol.to_owned(),
            depth: usize::try_from(depth).unwrap_or(usize::MAX),
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            last: None,
        }
    }

    /// Applies one pushed message.
    pub fn apply_push(&mut self, push: &Push<OrderbookData>) -> Result<Applied, BookGap> {
        self.apply(push.kind, &push.data)
    }

    /// Applies a snapshot or delta (see the module rules).
    pub fn apply(&mut self, kind: PushType, data: &OrderbookData) -> Result<Applied, BookGap> {
        if data.s != self.symbol {
            return Err(BookGap::WrongSymbol {
                expected: self.symbol.clone(),
                got: data.s.clone(),
            });
        }
        let result = self.try_apply(kind, data);
        if result.is_err() {
            self.clear();
        }
        result
    }

    fn try_apply(&mut self, kind: PushType, data: &OrderbookData) -> Result<Applied, BookGap> {
        let bids = parse_levels(&data.b)?;
        let asks = parse_levels(&data.a)?;
        match (kind, self.last) {
            (PushType::Snapshot, last) => {
                if let Some(last) = last.filter(|_| data.u != 1) {
                    check_not_backwards(last, data)?;
                }
                self.bids.clear();
                self.asks.clear();
                self.set(bids, asks);
                self.last = Some((data.u, data.seq));
                Ok(Applied::Snapshot)
            }
            (PushType::Delta, None) => Err(BookGap::NoSnapshot),
            (PushType::Delta, Some(last)) => {
                if (data.u, data.seq) == last {
                    return Ok(Applied::Duplicate);
                }
                check_not_backwards(last, data)?;
                if data.u != last.0.saturating_add(1) {
                    return Err(BookGap::Skipped {
                        last: last.0,
                        got: data.u,
                    });
                }
                self.set(bids, asks);
                self.last = Some((data.u, data.seq));
                Ok(Applied::Delta)
            }
        }
    }

    fn set(&mut self, bids: Vec<Parsed<'_>>, asks: Vec<Parsed<'_>>) {
        for (key, level) in bids {
            upsert(&mut self.bids, Reverse(key), level);
        }
        for (key, level) in asks {
            upsert(&mut self.asks, key, level);
        }
        while self.bids.len() > self.depth {
            self.bids.pop_last();
        }
        while self.asks.len() > self.depth {
            self.asks.pop_last();
        }
    }

    /// Empties the book; deltas are refused until the next snapshot.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.last = None;
    }

    /// The symbol.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// True once a snapshot was applied and no gap has been seen since.
    pub fn is_synced(&self) -> bool {
        self.last.is_some()
    }

    /// `u` of the last message applied.
    pub fn update_id(&self) -> Option<u64> {
        self.last.map(|(u, _)| u)
    }

    /// `seq` of the last message applied.
    pub fn seq(&self) -> Option<u64> {
        self.last.map(|(_, s)| s)
    }

    /// Bids as `(price, size)`, best first.
    pub fn bids(&self) -> impl Iterator<Item = (&str, &str)> {
        self.bids.values().map(|(p, s)| (p.as_str(), s.as_str()))
    }

    /// Asks as `(price, size)`, best first.
    pub fn asks(&self) -> impl Iterator<Item = (&str, &str)> {
        self.asks.values().map(|(p, s)| (p.as_str(), s.as_str()))
    }

    /// Best bid `(price, size)`.
    pub fn best_bid(&self) -> Option<(&str, &str)> {
        self.bids().next()
    }

    /// Best ask `(price, size)`.
    pub fn best_ask(&self) -> Option<(&str, &str)> {
        self.asks().next()
    }

    /// The book as a snapshot payload (what a server would send a new subscriber), or `None`
    /// before the first snapshot.
    pub fn to_snapshot(&self) -> Option<OrderbookData> {
        let (u, seq) = self.last?;
        let own = |(p, s): (&str, &str)| (p.to_owned(), s.to_owned());
        Some(OrderbookData {
            s: self.symbol.clone(),
            b: self.bids().map(own).collect(),
            a: self.asks().map(own).collect(),
            u,
            seq,
        })
    }
}

/// A parsed level: key, and `None` size for a delete.
type Parsed<'a> = (DecimalKey, Option<(&'a str, &'a str)>);

fn parse_levels(levels: &Levels) -> Result<Vec<Parsed<'_>>, BookGap> {
    levels
        .iter()
        .map(|(price, size)| {
            let bad = || BookGap::BadLevel {
                price: price.clone(),
                size: size.clone(),
            };
            let key = DecimalKey::parse(price).ok_or_else(bad)?;
            let qty = DecimalKey::parse(size).ok_or_else(bad)?;
            Ok((
                key,
                (!qty.is_zero()).then_some((price.as_str(), size.as_str())),
            ))
        })
        .collect()
}

fn upsert<K: Ord>(side: &mut Side<K>, key: K, level: Option<(&str, &str)>) {
    match level {
        Some((p, s)) => {
            side.insert(key, (p.to_owned(), s.to_owned()));
        }
        None => {
            side.remove(&key);
        }
    }
}

fn check_not_backwards(last: (u64, u64), data: &OrderbookData) -> Result<(), BookGap> {
    if data.u < last.0 {
        return Err(BookGap::Backwards {
            field: "u",
            last: last.0,
            got: data.u,
        });
    }
    if data.seq < last.1 {
        return Err(BookGap::Backwards {
            field: "seq",
            last: last.1,
            got: data.seq,
        });
    }
    Ok(())
}
