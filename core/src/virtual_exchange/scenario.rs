//! Market scenarios for tests and benchmarks: instruments, a config that
//! quotes them, and books where every price moves every tick.
//!
//! Every mid drifts up by about 3 bps a tick. With the default ladder
//! (step 5 bps, tolerance 1 bps) no resting order stays within tolerance of
//! any desired level (the nearest is 2 bps away), so every tick replaces
//! every order: the seed scenario's 40 cancels + 40 places.

use crate::config::{Config, OrderQty, RateLimitConfig};
use crate::decimal::Decimal;
use crate::domain::{Category, Instrument, OrderLinkId, Ticks};
use crate::effect::{Request, RequestKind};
use crate::engine::WireNames;
use crate::input::{Ack, BookTop, ItemCode, Outcome, Reply};
use crate::time::Timestamp;

pub struct Scenario {
    pub instruments: Vec<Instrument>,
    pub config: Config,
    /// (instrument index, mid in ticks at tick 0, drift in ticks per tick)
    mids: Vec<(usize, i64, i64)>,
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap_or(Decimal::ZERO)
}

fn linear(symbol: &str, tick: &str, step: &str) -> Instrument {
    Instrument {
        symbol: symbol.to_string(),
        category: Category::Linear,
        tick_size: d(tick),
        qty_step: d(step),
        min_qty: d(step),
    }
}

impl Scenario {
    /// The seed scenario: 4 symbols, 5 levels a side, an institutional rate
    /// tier (the shape the README's performance figures are measured on).
    pub fn seed() -> Scenario {
        let rows = [
            ("BTCUSDT", "0.1", "0.001", "0.001", "60000"),
            ("ETHUSDT", "0.01", "0.01", "0.01", "3000"),
            ("SOLUSDT", "0.001", "0.1", "0.1", "150"),
            ("XRPUSDT", "0.0001", "1", "10", "2.5"),
        ];
        let instruments: Vec<Instrument> = rows.iter().map(|r| linear(r.0, r.1, r.2)).collect();
        let mut config = Config::default();
        config.quoting.symbols = rows.iter().map(|r| r.0.to_string()).collect();
        config.quoting.levels = 5;
        config.quoting.order_qty =
            OrderQty::PerSymbol(rows.iter().map(|r| (r.0.to_string(), d(r.3))).collect());
        config.rate_limits = RateLimitConfig::uniform(1000);
        let mids = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mid = d(r.4).div_exact(instruments[i].tick_size).unwrap_or(1) as i64;
                (i, mid, drift(mid))
            })
            .collect();
        Scenario {
            instruments,
            config,
            mids,
        }
    }

    /// `symbols` linear symbols with `levels` orders a side; rate limits
    /// high enough that only the engine's own work is measured.
    pub fn wide(symbols: usize, levels: u32) -> Scenario {
        let instruments: Vec<Instrument> = (0..symbols)
            .map(|i| linear(&format!("S{i:04}USDT"), "0.001", "0.1"))
            .collect();
        let mut config = Config::default();
        config.quoting.symbols = instruments.iter().map(|i| i.symbol.clone()).collect();
        config.quoting.levels = levels;
        config.quoting.order_qty = OrderQty::All(d("1"));
        config.rate_limits = RateLimitConfig::uniform(100_000);
        config.async_batch.max_parallel_symbols = 1000;
        let mids = (0..symbols)
            .map(|i| {
                let mid = 100_000 + 1_000 * i as i64;
                (i, mid, drift(mid))
            })
            .collect();
        Scenario {
            instruments,
            config,
            mids,
        }
    }

    /// Top of book of every symbol at tick `k`, received at `now`.
    pub fn books(&self, k: u64, now: Timestamp) -> Vec<BookTop> {
        self.mids
            .iter()
            .map(|&(i, mid, drift)| {
                let inst = &self.instruments[i];
                let m = mid + drift * k as i64;
                BookTop {
                    symbol: inst.symbol.as_str().into(),
                    bid: inst.price_string(Ticks(m - 1)).into(),
                    ask: inst.price_string(Ticks(m + 1)).into(),
                    received_ms: now,
                }
            })
            .collect()
    }
}

/// About 3 bps of `mid`, at least one tick.
fn drift(mid: i64) -> i64 {
    ((mid * 3 + 9_999) / 10_000).max(1)
}

/// Every order of a batch request accepted, as Bybit would say it, with no
/// exchange behind it (benchmarks: the engine's work, not the exchange's).
pub fn accept_all(r: &Request, names: &WireNames) -> Outcome {
    let links: Vec<&OrderLinkId> = match &r.kind {
        RequestKind::PlaceBatch { orders, .. } => orders.iter().map(|o| &o.order_link_id).collect(),
        RequestKind::AmendBatch { orders, .. } => orders.iter().map(|o| &o.order_link_id).collect(),
        RequestKind::CancelBatch { orders, .. } => {
            orders.iter().map(|o| &o.order_link_id).collect()
        }
        _ => Vec::new(),
    };
    Outcome::Reply(Reply {
        ret_code: 0,
        ret_msg: "OK".into(),
        acks: links
            .iter()
            .map(|l| Ack {
                order_id: "".into(),
                order_link_id: names.link(l).into(),
            })
            .collect(),
        codes: links
            .iter()
            .map(|_| ItemCode {
                code: 0,
                msg: "".into(),
            })
            .collect(),
        ..Reply::default()
    })
}
