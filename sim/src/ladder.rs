//! The quoting ladder a market maker is asked to hold, as the simulator computes it from its
//! own market: the targets quote quality (`quality.rs`) is measured against.
//!
//! The formula is mm-core's, to the tick (mm-sim does not depend on mm-core; a test in
//! `shell/tests/ladder_parity.rs` drives core's engine and holds the two equal over many
//! mids and parameters): with m2 = bid + ask (mid doubled, so half ticks stay exact) and
//! off = spread_bps + 2 * i * step_bps for level i (0 = innermost),
//! bid_i = floor(m2 * (20000 - off) / 40000), ask_i = ceil(m2 * (20000 + off) / 40000),
//! in i128; a level whose price would not be positive has no target.

use serde::{Deserialize, Serialize};

/// The ladder parameters (mm's `quoting.levels`, `spread_bps`, `step_bps`,
/// `reprice_tolerance_bps`) and which symbols are quoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLadder {
    /// Orders a side.
    pub levels: u32,
    /// Best bid to best ask of the ladder, in bps of mid.
    pub spread_bps: u32,
    /// Between levels of one side, in bps of mid.
    pub step_bps: u32,
    /// A resting order this close to its target (relative to the target) covers it.
    pub tolerance_bps: u32,
    /// The symbols measured. Empty: every symbol on which an order has rested since the
    /// observation began (each counted as uncovered before its first order).
    #[serde(default)]
    pub symbols: Vec<String>,
}

impl Default for QuoteLadder {
    /// mm's quoting defaults: 5 levels, 10 bps spread, 5 bps steps, 1 bps tolerance.
    fn default() -> Self {
        QuoteLadder {
            levels: 5,
            spread_bps: 10,
            step_bps: 5,
            tolerance_bps: 1,
            symbols: Vec::new(),
        }
    }
}

/// One side's targets in ticks, index = level; `None` = no order belongs there.
pub type Targets = Vec<Option<u64>>;

/// The ladder's targets (bids, asks) around a market at `bid`/`ask` (ticks).
pub fn ladder_targets(bid: u64, ask: u64, l: &QuoteLadder) -> (Targets, Targets) {
    let m2 = i128::from(bid) + i128::from(ask);
    let mut bids = Vec::with_capacity(l.levels as usize);
    let mut asks = Vec::with_capacity(l.levels as usize);
    for i in 0..l.levels {
        let off = i128::from(l.spread_bps) + 2 * i128::from(i) * i128::from(l.step_bps);
        let b = (m2 * (20_000 - off)).div_euclid(40_000);
        let a = (m2 * (20_000 + off) + 39_999).div_euclid(40_000);
        bids.push(positive(b));
        asks.push(positive(a));
    }
    (bids, asks)
}

fn positive(v: i128) -> Option<u64> {
    (v > 0).then(|| u64::try_from(v).ok()).flatten()
}

/// `price` within `tol_bps` of `target`, relative to the target (mm-core's rule for keeping
/// a resting order).
pub fn within(price: u64, target: u64, tol_bps: u32) -> bool {
    let diff = (i128::from(price) - i128::from(target)).abs();
    diff * 10_000 <= i128::from(tol_bps) * i128::from(target)
}

/// Distance of `price` from `target` in bps of the target.
#[allow(clippy::cast_precision_loss)]
pub fn distance_bps(price: u64, target: u64) -> f64 {
    if target == 0 {
        return f64::INFINITY;
    }
    price.abs_diff(target) as f64 * 10_000.0 / target as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(levels: u32, spread: u32, step: u32) -> QuoteLadder {
        QuoteLadder {
            levels,
            spread_bps: spread,
            step_bps: step,
            ..QuoteLadder::default()
        }
    }

    #[test]
    fn rounds_outwards_on_the_grid() {
        // bid 1000, ask 1002: mid 1001; half of 10 bps = 0.5005 ticks, so 1000.4995 -> 1000
        // and 1001.5005 -> 1002; level 1 adds 5 bps (0.5005): 999.999 -> 999, 1002.0015 -> 1003.
        let (b, a) = ladder_targets(1000, 1002, &l(2, 10, 5));
        assert_eq!(b, vec![Some(1000), Some(999)]);
        assert_eq!(a, vec![Some(1002), Some(1003)]);
    }

    #[test]
    fn hand_computed_seed_ladder() {
        // mid 60000.0 at tick 0.1 = 600000 ticks (bid = ask = 600000 gives m2 = 1.2e6):
        // level 0 at 5 bps = 300 ticks, level 2 at 25 bps = 1500 ticks.
        let (b, a) = ladder_targets(600_000, 600_000, &l(3, 10, 10));
        assert_eq!(b, vec![Some(599_700), Some(599_100), Some(598_500)]);
        assert_eq!(a, vec![Some(600_300), Some(600_900), Some(601_500)]);
    }

    #[test]
    fn levels_that_would_not_be_positive_have_no_target() {
        let (b, a) = ladder_targets(1, 3, &l(1, 19_999, 0));
        assert_eq!((b, a), (vec![None], vec![Some(4)]));
    }

    #[test]
    fn tolerance_and_distance_are_relative_to_the_target() {
        assert!(within(10_001, 10_000, 1));
        assert!(within(9_999, 10_000, 1));
        assert!(!within(10_002, 10_000, 1));
        assert!(within(10_000, 10_000, 0));
        assert!((distance_bps(10_002, 10_000) - 2.0).abs() < 1e-12);
        assert!((distance_bps(9_995, 10_000) - 5.0).abs() < 1e-12);
    }
}
