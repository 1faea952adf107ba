//! The scenario: instruments (the seed's four, then generated ones), the
//! mm config and the simulator config a bench session runs with.

use mm_core::Config;
use mm_core::config::{OrderQty, ShutdownCancel};

use mm_sim::Tier;

use super::{WALK_BPS, WALK_EVERY_MS};
use crate::cli::BenchArgs;

/// The seed's four instruments (the paper simulator's): symbol, start
/// price, tick size, qty step (= min qty), order qty.
const SEED_ROWS: [(&str, &str, &str, &str, &str); 4] = [
    ("BTCUSDT", "60000", "0.1", "0.001", "0.001"),
    ("ETHUSDT", "3000", "0.01", "0.01", "0.01"),
    ("SOLUSDT", "150", "0.001", "0.1", "0.1"),
    ("XRPUSDT", "2.5", "0.0001", "1", "10"),
];

/// The instruments: the seed's four, then generated ones (`X005USDT`, ...)
/// with prices spread over 1..1000 so rounding differs between them.
pub(super) fn instruments(symbols: u32) -> Vec<(String, String, String, String, String)> {
    (0..symbols)
        .map(|i| {
            if let Some(r) = SEED_ROWS.get(i as usize) {
                (
                    r.0.to_string(),
                    r.1.to_string(),
                    r.2.to_string(),
                    r.3.to_string(),
                    r.4.to_string(),
                )
            } else {
                // price 1.xx .. 900: tick 1e-4 of the power of ten below it.
                let decade = i % 3;
                let (price, tick, step) = match decade {
                    0 => (format!("{}.5", 1 + i % 9), "0.0001", "1"),
                    1 => (format!("{}", 20 + i), "0.001", "0.1"),
                    _ => (format!("{}", 300 + 7 * i), "0.01", "0.01"),
                };
                (
                    format!("X{:03}USDT", i + 1),
                    price,
                    tick.to_string(),
                    step.to_string(),
                    step.to_string(),
                )
            }
        })
        .collect()
}

pub(super) fn config_for(symbols: u32, levels: u32, latency_ms: u64, tier: Tier) -> Config {
    let rows = instruments(symbols);
    let mut c = crate::paper::config(tier);
    c.quoting.symbols = rows.iter().map(|r| r.0.clone()).collect();
    c.quoting.levels = levels;
    c.quoting.order_qty = OrderQty::PerSymbol(
        rows.iter()
            .filter_map(|r| r.4.parse().ok().map(|q| (r.0.clone(), q)))
            .collect(),
    );
    c.rate_limits = crate::paper::rate_limits(tier);
    c.exchange.request_timeout_ms = (2000 + 10 * latency_ms).min(60_000);
    // Shutdown by cancel-all keeps shutdown off the order endpoints, so the
    // N-tick minus 1-tick subtraction counts ticks only ("ours" cancels by id
    // through cancel-batch, whose count differs with the last tick's state).
    c.shutdown.cancel = ShutdownCancel::Symbol;
    // The bench's market moves one step per ticker poll (every price moved
    // every tick): books are polled, not streamed.
    c.exchange.streams = false;
    c
}

/// The ladder the simulator measures quote quality against: the config's.
pub(super) fn ladder(c: &Config) -> mm_sim::QuoteLadder {
    mm_sim::QuoteLadder {
        levels: c.quoting.levels,
        spread_bps: c.quoting.spread_bps,
        step_bps: c.quoting.step_bps,
        tolerance_bps: c.quoting.reprice_tolerance_bps,
        symbols: c.quoting.symbols.clone(),
    }
}

/// The simulator of a bench session. At the institutional tier each ticker
/// poll walks the market one step (every price moves every tick); at the
/// default tier the market walks in time only, one step every
/// `WALK_EVERY_MS`, so it moves at the same pace whatever a mode polls.
pub(super) fn sim_config(args: &BenchArgs, config: &Config, tier: Tier) -> mm_sim::SimConfig {
    let symbols = u32::try_from(config.quoting.symbols.len()).unwrap_or(u32::MAX);
    let request_timeout_ms = config.exchange.request_timeout_ms;
    let mut limits = mm_sim::Limits::for_tier(tier);
    limits.ip_max_requests = 0;
    let in_time = tier == Tier::Default;
    mm_sim::SimConfig {
        seed: 1,
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        tier,
        limits: Some(limits),
        fills: false,
        walk_bps: WALK_BPS,
        walk_on_poll: !in_time,
        walk_interval_ms: if in_time { WALK_EVERY_MS } else { 0 },
        quality: Some(ladder(config)),
        instruments: instruments(symbols)
            .into_iter()
            .map(|r| mm_sim::SimInstrument {
                symbol: r.0,
                category: mm_bybit::Category::Linear,
                start_price: r.1,
                tick_size: r.2,
                qty_step: r.3.clone(),
                min_qty: r.3,
            })
            .collect(),
        accounts: vec![(
            crate::secrets::PAPER_KEY.to_string(),
            crate::secrets::PAPER_SECRET.to_string(),
        )],
        hold_timeout_ms: request_timeout_ms + 500,
        ..mm_sim::SimConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::SCALES;
    use super::*;

    #[test]
    fn generated_instruments_are_distinct_and_valid_symbols() {
        let most = SCALES.iter().map(|s| s.0).max().unwrap_or(0);
        let rows = instruments(most);
        let mut names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), most as usize);
        assert!(names.iter().all(|n| {
            n.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }));
    }
}
