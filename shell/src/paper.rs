//! Paper mode: the built-in config for the seed scenario and the in-process
//! simulator it runs against.
//!
//! Decisions: the simulator's instruments are the seed scenario's (as core's
//! `Scenario::seed`): BTCUSDT 60000 (tick 0.1, step 0.001), ETHUSDT 3000
//! (0.01, 0.01), SOLUSDT 150 (0.001, 0.1), XRPUSDT 2.5 (0.0001, 1); sizes are
//! one lot except XRP (10); beside them the simulator's default spot
//! (ETHUSDC, SOLUSDC) and inverse (ETHUSD, XRPUSD) instruments, for paper
//! sessions of those categories. The market walks 3 bps per ticker poll: with the
//! ladder's 5 bps steps and 1 bps tolerance no resting order is ever within
//! tolerance of a new level, so every tick replaces every order (the seed
//! scenario's 40 cancels + 40 places). The rate budgets match the chosen
//! simulator tier.

use std::collections::BTreeMap;

use mm_core::Config;
use mm_core::config::{OrderQty, RateLimitConfig};
use mm_sim::{SimConfig, SimInstrument, Tier};

const ROWS: [(&str, &str, &str, &str, &str); 4] = [
    // symbol, start price, tick, qty step, order qty
    ("BTCUSDT", "60000", "0.1", "0.001", "0.001"),
    ("ETHUSDT", "3000", "0.01", "0.01", "0.01"),
    ("SOLUSDT", "150", "0.001", "0.1", "0.1"),
    ("XRPUSDT", "2.5", "0.0001", "1", "10"),
];

/// The in-process simulator's knobs (paper mode, or `kind = "sim"` without a base_url).
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub seed: u64,
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub faults: mm_sim::FaultSpec,
    pub tier: mm_sim::Tier,
    pub fills: bool,
    /// A trend: bps of mid the market moves every walk step on top of its
    /// seeded walk (negative: down). 0 = none.
    pub drift_bps: i32,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 1,
            latency_ms: 5,
            jitter_ms: 0,
            faults: mm_sim::FaultSpec::default(),
            tier: mm_sim::Tier::Institutional,
            fills: true,
            drift_bps: 0,
        }
    }
}

/// The built-in paper config (seed scenario) for a simulator of `tier`.
pub fn config(tier: Tier) -> Config {
    let mut c = Config::default();
    c.quoting.symbols = ROWS.iter().map(|r| r.0.to_string()).collect();
    c.quoting.levels = 5;
    let qty: BTreeMap<String, mm_core::Decimal> = ROWS
        .iter()
        .filter_map(|r| r.4.parse().ok().map(|q| (r.0.to_string(), q)))
        .collect();
    c.quoting.order_qty = OrderQty::PerSymbol(qty);
    c.rate_limits = rate_limits(tier);
    c
}

/// Budgets matching a simulator tier.
pub fn rate_limits(tier: Tier) -> RateLimitConfig {
    match tier {
        Tier::Default => RateLimitConfig::default(),
        Tier::Institutional => RateLimitConfig::uniform(1000),
        Tier::Unlimited => RateLimitConfig::uniform(100_000),
    }
}

/// The in-process simulator's config. A timeout fault holds its reply a bit
/// longer than the client waits, so the client sees a timeout.
pub fn sim_config(o: &SimOptions, request_timeout_ms: u64) -> SimConfig {
    SimConfig {
        seed: o.seed,
        latency_ms: o.latency_ms,
        jitter_ms: o.jitter_ms,
        tier: o.tier,
        faults: o.faults,
        fills: o.fills,
        walk_bps: 3,
        drift_bps: o.drift_bps,
        instruments: ROWS
            .iter()
            .map(|r| SimInstrument {
                symbol: r.0.to_string(),
                category: mm_bybit::Category::Linear,
                start_price: r.1.to_string(),
                tick_size: r.2.to_string(),
                qty_step: r.3.to_string(),
                min_qty: r.3.to_string(),
            })
            // The simulator's spot and inverse instruments, so a paper
            // session of `exchange.category = "spot"` / `"inverse"` runs.
            .chain(
                SimConfig::default()
                    .instruments
                    .into_iter()
                    .filter(|i| i.category != mm_bybit::Category::Linear),
            )
            .collect(),
        accounts: vec![(
            crate::secrets::PAPER_KEY.to_string(),
            crate::secrets::PAPER_SECRET.to_string(),
        )],
        hold_timeout_ms: request_timeout_ms + 500,
        ..SimConfig::default()
    }
}
