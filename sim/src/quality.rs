//! Quote quality, measured from the simulator's own book (never from what a client believes):
//! per symbol, side and ladder level, the share of time an order rests within the tolerance
//! of the level's current target ("coverage"; a level without such an order is uncovered),
//! and the mean distance in bps of the resting orders from their targets ("deviation").
//!
//! Targets come from the simulator's own bid/ask through [`crate::ladder`]. Each resting
//! order is attributed to the level whose target is nearest (ties: the inner one); a level
//! is covered when any order of its side is within tolerance of its target.
//!
//! Time-weighting: every change to a book or a price happens under the shared lock, so the
//! state seen when the lock is next taken is exactly the state that held since the previous
//! acquisition. [`Tracker::advance`], called on every acquisition, weights that state by the
//! time since (simulator clock, microseconds): every order change and every price step,
//! timed walk included, is accounted for. Observation begins when the first order rests on a
//! measured symbol (start-up is not quoting) and runs until the snapshot is read.

use std::collections::BTreeMap;

use mm_bybit::Side;
use serde::{Deserialize, Serialize};

use crate::book::Book;
use crate::ladder::{QuoteLadder, distance_bps, ladder_targets, within};

/// The quality of one ladder level of one side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelQuality {
    /// Share of the observed time an order rested within tolerance of the target (0..=1).
    pub coverage: f64,
    /// Time-weighted mean distance of the orders attributed to this level from its target,
    /// in bps; `None` when no order was ever attributed to it.
    pub deviation_bps: Option<f64>,
    /// Time the level had a target while observed.
    pub observed_ms: f64,
    /// Of that, time it was covered.
    pub covered_ms: f64,
    /// Order-time attributed to it (two orders for 1 ms = 2 ms).
    pub order_ms: f64,
}

/// One symbol's levels, index = level (0 = innermost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymbolQuality {
    pub bids: Vec<LevelQuality>,
    pub asks: Vec<LevelQuality>,
}

/// Quote quality since the observation began (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteQuality {
    /// The ladder measured against.
    pub ladder: QuoteLadder,
    /// Time observed: since the first order rested on a measured symbol (0 before).
    pub observed_ms: f64,
    /// Coverage of level 0, both sides of every measured symbol pooled (time-weighted).
    pub inner_coverage: f64,
    /// Coverage of every level pooled.
    pub coverage: f64,
    /// Deviation over every resting order, weighted by the time it rested; `None` when no
    /// order rested.
    pub mean_deviation_bps: Option<f64>,
    pub symbols: BTreeMap<String, SymbolQuality>,
}

/// Accumulated over the observation, per level.
#[derive(Debug, Clone, Copy, Default)]
struct LevelAcc {
    observed_us: u64,
    covered_us: u64,
    order_us: u64,
    /// Sum of (distance in bps x microseconds) of the orders attributed to the level.
    deviation_bps_us: f64,
}

/// What holds at one instant, per level: a target exists, is covered, n orders and the sum
/// of their distances.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct LevelNow {
    has_target: bool,
    covered: bool,
    orders: u64,
    deviation_bps: f64,
}

/// One symbol's market and resting orders as the tracker reads them.
pub(crate) struct BookView<'a> {
    pub(crate) symbol: &'a str,
    /// Best bid and ask of the market, in ticks.
    pub(crate) bid: u64,
    pub(crate) ask: u64,
    pub(crate) book: Option<&'a Book>,
}

/// The measurement's state (lives beside the exchange, under the shared lock).
#[derive(Debug)]
pub(crate) struct Tracker {
    ladder: QuoteLadder,
    start_us: Option<u64>,
    last_us: u64,
    /// (symbol, side) -> per level.
    acc: BTreeMap<(String, Side), Vec<LevelAcc>>,
}

impl Tracker {
    pub(crate) fn new(ladder: QuoteLadder, now_us: u64) -> Self {
        Tracker {
            ladder,
            start_us: None,
            last_us: now_us,
            acc: BTreeMap::new(),
        }
    }

    /// Starts over at `now_us` (what `POST /sim/reset-counters` does).
    pub(crate) fn reset(&mut self, now_us: u64) {
        *self = Tracker::new(self.ladder.clone(), now_us);
    }

    /// Weights the exchange's current state (which held since the last call) by the time
    /// since, and moves the clock to `now_us`.
    pub(crate) fn advance<'a>(&mut self, now_us: u64, views: impl Iterator<Item = BookView<'a>>) {
        let since = self.last_us;
        let dt = now_us.saturating_sub(since);
        self.last_us = self.last_us.max(now_us);
        let now = self.state(views);
        let start = match self.start_us {
            Some(s) => s,
            None if now.values().any(|l| l.iter().any(|x| x.orders > 0)) => {
                self.start_us = Some(since);
                since
            }
            None => return,
        };
        for (key, levels) in now {
            let acc = self.acc.entry(key).or_insert_with(|| {
                // A symbol measured only once it has orders was uncovered until then.
                let before = since.saturating_sub(start);
                let first = LevelAcc {
                    observed_us: before,
                    ..LevelAcc::default()
                };
                vec![first; levels.len()]
            });
            for (a, l) in acc.iter_mut().zip(&levels) {
                if !l.has_target {
                    continue;
                }
                a.observed_us += dt;
                if l.covered {
                    a.covered_us += dt;
                }
                a.order_us += l.orders * dt;
                #[allow(clippy::cast_precision_loss)]
                {
                    a.deviation_bps_us += l.deviation_bps * dt as f64;
                }
            }
        }
    }

    /// The measured symbols' levels as they are now.
    fn state<'a>(
        &self,
        views: impl Iterator<Item = BookView<'a>>,
    ) -> BTreeMap<(String, Side), Vec<LevelNow>> {
        let mut out = BTreeMap::new();
        for v in views {
            let listed = self.ladder.symbols.iter().any(|s| s == v.symbol);
            let seen = self.acc.contains_key(&(v.symbol.to_string(), Side::Buy));
            let has_orders = v.book.is_some_and(|b| !b.is_empty());
            if !(listed || (self.ladder.symbols.is_empty() && (seen || has_orders))) {
                continue;
            }
            let (bids, asks) = ladder_targets(v.bid, v.ask, &self.ladder);
            for (side, targets) in [(Side::Buy, bids), (Side::Sell, asks)] {
                let prices: Vec<u64> = v.book.map(|b| b.prices(side)).unwrap_or_default();
                let levels = levels_now(&targets, &prices, self.ladder.tolerance_bps);
                out.insert((v.symbol.to_string(), side), levels);
            }
        }
        out
    }

    /// The figures so far (the caller advances first).
    pub(crate) fn snapshot(&self) -> QuoteQuality {
        let mut symbols: BTreeMap<String, SymbolQuality> = BTreeMap::new();
        let mut pooled = [LevelAcc::default(); 2]; // [inner, all]
        for ((symbol, side), levels) in &self.acc {
            let entry = symbols
                .entry(symbol.clone())
                .or_insert_with(|| SymbolQuality {
                    bids: Vec::new(),
                    asks: Vec::new(),
                });
            let out: Vec<LevelQuality> = levels.iter().map(level_quality).collect();
            for (i, a) in levels.iter().enumerate() {
                if i == 0 {
                    add(&mut pooled[0], a);
                }
                add(&mut pooled[1], a);
            }
            match side {
                Side::Buy => entry.bids = out,
                Side::Sell => entry.asks = out,
            }
        }
        let observed = self.start_us.map_or(0, |s| self.last_us.saturating_sub(s));
        QuoteQuality {
            ladder: self.ladder.clone(),
            observed_ms: ms(observed),
            inner_coverage: level_quality(&pooled[0]).coverage,
            coverage: level_quality(&pooled[1]).coverage,
            mean_deviation_bps: level_quality(&pooled[1]).deviation_bps,
            symbols,
        }
    }
}

/// Each level's state given a side's targets and resting prices.
fn levels_now(targets: &[Option<u64>], prices: &[u64], tol_bps: u32) -> Vec<LevelNow> {
    let mut levels: Vec<LevelNow> = targets
        .iter()
        .map(|t| LevelNow {
            has_target: t.is_some(),
            covered: t.is_some_and(|t| prices.iter().any(|&p| within(p, t, tol_bps))),
            ..LevelNow::default()
        })
        .collect();
    for &p in prices {
        let nearest = targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (p.abs_diff(t), i, t)))
            .min();
        if let Some((_, i, t)) = nearest {
            levels[i].orders += 1;
            levels[i].deviation_bps += distance_bps(p, t);
        }
    }
    levels
}

fn add(to: &mut LevelAcc, a: &LevelAcc) {
    to.observed_us += a.observed_us;
    to.covered_us += a.covered_us;
    to.order_us += a.order_us;
    to.deviation_bps_us += a.deviation_bps_us;
}

#[allow(clippy::cast_precision_loss)]
fn level_quality(a: &LevelAcc) -> LevelQuality {
    LevelQuality {
        coverage: if a.observed_us == 0 {
            0.0
        } else {
            a.covered_us as f64 / a.observed_us as f64
        },
        deviation_bps: (a.order_us > 0).then(|| a.deviation_bps_us / a.order_us as f64),
        observed_ms: ms(a.observed_us),
        covered_ms: ms(a.covered_us),
        order_ms: ms(a.order_us),
    }
}

#[allow(clippy::cast_precision_loss)]
fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
#[path = "quality_tests.rs"]
mod tests;
