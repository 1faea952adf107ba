//! One symbol's simulated external market: a seeded random-walk mid on the tick grid and a
//! small spread around it. The account's own orders are not part of bid1/ask1.

use mm_bybit::Category;

use crate::config::{ConfigError, SimInstrument};
use crate::decimal::Grid;
use crate::rng::{SplitMix64, hash, str_hash, stream};

#[derive(Debug, Clone)]
pub(crate) struct Market {
    pub(crate) symbol: String,
    pub(crate) category: Category,
    pub(crate) base_coin: String,
    pub(crate) quote_coin: String,
    pub(crate) price: Grid,
    pub(crate) qty: Grid,
    pub(crate) min_qty: u64,
    pub(crate) tick_size: String,
    pub(crate) qty_step: String,
    mid: u64,
    /// Mid at start, and the extremes since: the ticker's 24 h fields.
    pub(crate) start_mid: u64,
    pub(crate) high: u64,
    pub(crate) low: u64,
    walk_bps: u32,
    /// `SimConfig::drift_bps`: a trend added to every step.
    pub(crate) drift_bps: i32,
    spread_bps: u32,
    rng: SplitMix64,
    /// Book update id: +1 per step (what the orderbook stream's `u` carries).
    pub(crate) u: u64,
}

impl Market {
    /// Validates the instrument (grids parse, start price and min qty on them).
    pub(crate) fn new(
        inst: &SimInstrument,
        seed: u64,
        walk_bps: u32,
        spread_bps: u32,
    ) -> Result<Self, ConfigError> {
        let what = |what: &'static str, v: &str| ConfigError::Instrument {
            symbol: inst.symbol.clone(),
            what,
            value: v.to_string(),
        };
        let price = Grid::new(&inst.tick_size)
            .ok_or_else(|| what("tick_size is not a positive decimal", &inst.tick_size))?;
        let qty = Grid::new(&inst.qty_step)
            .ok_or_else(|| what("qty_step is not a positive decimal", &inst.qty_step))?;
        let mid = price
            .steps_of(&inst.start_price)
            .ok()
            .filter(|&m| m >= 10)
            .ok_or_else(|| {
                what(
                    "start_price is not >= 10 ticks on the tick grid",
                    &inst.start_price,
                )
            })?;
        let min_qty = qty
            .steps_of(&inst.min_qty)
            .ok()
            .filter(|&m| m > 0)
            .ok_or_else(|| what("min_qty is not positive on the qty grid", &inst.min_qty))?;
        let (base_coin, quote_coin) = split_symbol(&inst.symbol, inst.category);
        Ok(Self {
            symbol: inst.symbol.clone(),
            category: inst.category,
            base_coin,
            quote_coin,
            price,
            qty,
            min_qty,
            tick_size: inst.tick_size.clone(),
            qty_step: inst.qty_step.clone(),
            mid,
            start_mid: mid,
            high: mid,
            low: mid,
            walk_bps,
            drift_bps: 0,
            spread_bps,
            rng: SplitMix64::new(hash(&[seed, stream::WALK, str_hash(&inst.symbol)])),
            u: 1,
        })
    }

    /// One walk step of exactly +-walk_bps of mid (at least one tick), seeded per symbol.
    /// Never walks so low that the bid would leave the grid.
    pub(crate) fn step(&mut self) {
        if self.walk_bps == 0 && self.drift_bps == 0 {
            return;
        }
        let floor = 2 * self.half_spread() + 2;
        if self.walk_bps > 0 {
            let delta = (self.mid * u64::from(self.walk_bps) / 10_000).max(1);
            let up = self.rng.next_u64() & 1 == 1;
            if up || self.mid <= delta + floor {
                self.mid += delta;
            } else {
                self.mid -= delta;
            }
        }
        if self.drift_bps != 0 {
            let drift = (self.mid * u64::from(self.drift_bps.unsigned_abs()) / 10_000).max(1);
            if self.drift_bps > 0 {
                self.mid += drift;
            } else if self.mid > drift + floor {
                self.mid -= drift;
            }
        }
        self.high = self.high.max(self.mid);
        self.low = self.low.min(self.mid);
    }

    fn half_spread(&self) -> u64 {
        (self.mid * u64::from(self.spread_bps) / 20_000).max(1)
    }

    /// Best bid, in ticks.
    pub(crate) fn bid(&self) -> u64 {
        self.mid - self.half_spread()
    }

    /// Best ask, in ticks.
    pub(crate) fn ask(&self) -> u64 {
        self.mid + self.half_spread()
    }

    /// Mid, in ticks.
    pub(crate) fn mid(&self) -> u64 {
        self.mid
    }

    /// The size shown at bid1 and ask1 (100 minimum lots), in qty steps: also what the
    /// market trades against crossed resting orders per walk step.
    pub(crate) fn touch_qty(&self) -> u64 {
        self.min_qty * 100
    }
}

/// `BTCUSDT` -> (`BTC`, `USDT`): strips a known quote suffix; unknown -> (symbol, "").
/// Options (`BTC-27MAR26-70000-P[-USDT]`): the first segment, and USDT when the symbol ends
/// with it, else USDC.
fn split_symbol(symbol: &str, category: Category) -> (String, String) {
    if category == Category::Option {
        let base = symbol.split('-').next().unwrap_or(symbol);
        let quote = if symbol.ends_with("-USDT") {
            "USDT"
        } else {
            "USDC"
        };
        return (base.to_string(), quote.to_string());
    }
    for quote in ["USDT", "USDC", "USD", "BTC", "EUR"] {
        if let Some(base) = symbol.strip_suffix(quote).filter(|b| !b.is_empty()) {
            return (base.to_string(), quote.to_string());
        }
    }
    (symbol.to_string(), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SimConfig;

    fn markets(seed: u64) -> Vec<Market> {
        SimConfig::default()
            .instruments
            .iter()
            .map(|i| Market::new(i, seed, 5, 1).expect("valid"))
            .collect()
    }

    #[test]
    fn every_step_moves_every_price_on_the_grid() {
        for mut m in markets(3) {
            for _ in 0..200 {
                let before = m.mid();
                m.step();
                assert_ne!(m.mid(), before, "{}", m.symbol);
                assert!(m.bid() < m.ask());
                let t = m.ticker(0);
                assert_eq!(m.price.steps_of(&t.bid1_price), Ok(m.bid()));
                assert_eq!(m.price.steps_of(&t.ask1_price), Ok(m.ask()));
            }
        }
    }

    #[test]
    fn drift_trends_the_walk_its_way_and_stays_seeded() {
        let path = |drift| {
            let mut m = markets(7).remove(0);
            m.drift_bps = drift;
            let start = m.mid();
            let mids: Vec<u64> = (0..200)
                .map(|_| {
                    m.step();
                    m.mid()
                })
                .collect();
            (start, mids)
        };
        let (start, flat) = path(0);
        let (_, up) = path(10);
        let (_, down) = path(-10);
        // +-5 bps a step at random, +-10 bps of drift: every step moves its way.
        assert!(up.windows(2).all(|w| w[1] > w[0]), "{up:?}");
        assert!(down.windows(2).all(|w| w[1] < w[0]), "{down:?}");
        assert!(up[199] > start && down[199] < start);
        assert_eq!(path(10).1, up);
        assert_ne!(flat, up);
    }

    #[test]
    fn walk_is_seeded() {
        let path = |seed| {
            let mut m = markets(seed).remove(0);
            (0..50)
                .map(|_| {
                    m.step();
                    m.mid()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(path(1), path(1));
        assert_ne!(path(1), path(2));
    }

    #[test]
    fn instrument_and_coins() {
        let m = &markets(1)[3];
        assert_eq!(
            (m.base_coin.as_str(), m.quote_coin.as_str()),
            ("XRP", "USDT")
        );
        let i = m.instrument();
        assert_eq!(i.price_filter.tick_size, "0.0001");
        assert_eq!(i.qty_step(), "1");
        assert_eq!(i.lot_size_filter.min_order_qty, "1");
        let bad = SimInstrument {
            start_price: "0.60005".into(),
            ..SimConfig::default().instruments[3].clone()
        };
        assert!(
            Market::new(&bad, 1, 5, 1)
                .expect_err("off-grid start price")
                .to_string()
                .contains("start_price")
        );
    }
}
