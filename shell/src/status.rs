//! Per-session tick statistics (from core's `TickDone`) and the status line.

use std::collections::BTreeMap;

use mm_core::engine::{FillTotals, PositionView};
use mm_core::{Endpoint, OrderCounts, TickStats, Totals};

use crate::histogram::Histogram;

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub ticks: u64,
    /// Tick durations (ms): fixed memory, percentiles within
    /// `histogram::MAX_RELATIVE_ERROR` (exact below 64 ms).
    pub tick_ms: Histogram,
    /// Requests of every endpoint sent during ticks (as `TickDone` counts them).
    pub requests_in_ticks: u64,
    /// Requests per tick, by endpoint, summed over ticks.
    pub requests_by_endpoint: BTreeMap<Endpoint, u64>,
    /// Headroom per endpoint at the end of the last tick.
    pub headroom: BTreeMap<Endpoint, u64>,
    /// Market-data polls that failed (each handed to core as a tick without books).
    pub market_data_failures: u64,
}

impl Stats {
    pub fn on_tick(&mut self, t: &TickStats) {
        self.ticks += 1;
        self.tick_ms.record(t.duration_ms);
        self.requests_in_ticks += t.requests.values().sum::<u64>();
        for (e, n) in &t.requests {
            *self.requests_by_endpoint.entry(*e).or_default() += n;
        }
        self.headroom.clone_from(&t.budget_headroom);
    }

    /// Nearest-rank percentile of tick durations (0 with no ticks): one
    /// pass over the histogram's fixed buckets, however many ticks ran.
    pub fn percentile(&self, p: u32) -> u64 {
        self.tick_ms.percentile(p)
    }

    pub fn requests_per_tick(&self) -> f64 {
        if self.ticks == 0 {
            return 0.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let r = self.requests_in_ticks as f64 / self.ticks as f64;
        r
    }

    pub fn min_headroom(&self) -> Option<(Endpoint, u64)> {
        self.headroom
            .iter()
            .min_by_key(|(_, v)| **v)
            .map(|(e, v)| (*e, *v))
    }

    /// The compact status line (stderr).
    pub fn line(&self, counts: &OrderCounts, totals: &Totals) -> String {
        let headroom = self
            .min_headroom()
            .map_or_else(|| "-".to_string(), |(e, v)| format!("{v} ({})", e.name()));
        format!(
            "mm: ticks {} | tick p50 {} ms p95 {} ms | req/tick {:.1} | live {} unknown {} | rejects {} fallbacks {} | min headroom {}",
            self.ticks,
            self.percentile(50),
            self.percentile(95),
            self.requests_per_tick(),
            counts.live,
            counts.unknown,
            totals.rejects,
            totals.fallbacks,
            headroom
        )
    }
}

/// The status line's fills and positions: ` | fills N | pos SYM=q ...`
/// (core's applied executions and positions, exact decimals; `pos -`
/// before core knows any), each position against its `risk.max_position`
/// when it has one (`SYM=q/cap`).
pub fn fills_part(
    fills: &FillTotals,
    positions: &[PositionView],
    risk: &mm_core::config::RiskConfig,
) -> String {
    let n: u64 = fills.fills.values().map(|f| f.buy + f.sell).sum();
    let pos = if positions.is_empty() {
        "-".to_string()
    } else {
        positions
            .iter()
            .map(|p| {
                let cap = (risk.max_position.as_ref()).and_then(|m| m.for_symbol(&p.symbol));
                match cap {
                    Some(cap) => format!("{}={}/{cap}", p.symbol, p.core),
                    None => format!("{}={}", p.symbol, p.core),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(" | fills {n} | pos {pos}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fills_part_counts_both_sides_and_lists_every_position() {
        let mut fills = FillTotals::default();
        fills.fills.insert(
            "BTCUSDT".to_string(),
            mm_core::engine::SideFills { buy: 3, sell: 2 },
        );
        let pos = |symbol: &str, core: &str| PositionView {
            max_abs: String::new(),
            symbol: symbol.to_string(),
            core: core.to_string(),
            exchange: None,
        };
        let none = mm_core::config::RiskConfig::default();
        let both = [pos("BTCUSDT", "0.003"), pos("ETHUSDT", "-0.02")];
        assert_eq!(
            fills_part(&fills, &both, &none),
            " | fills 5 | pos BTCUSDT=0.003 ETHUSDT=-0.02"
        );
        assert_eq!(
            fills_part(&FillTotals::default(), &[], &none),
            " | fills 0 | pos -"
        );
        // Against its cap where risk.max_position has one.
        let capped = mm_core::config::RiskConfig {
            max_position: Some(mm_core::config::PerSymbol::Each(
                [("BTCUSDT".to_string(), "0.01".parse().expect("a decimal"))].into(),
            )),
            ..mm_core::config::RiskConfig::default()
        };
        assert_eq!(
            fills_part(&fills, &both, &capped),
            " | fills 5 | pos BTCUSDT=0.003/0.01 ETHUSDT=-0.02"
        );
    }

    #[test]
    fn percentiles_nearest_rank() {
        let mut s = Stats::default();
        for d in 1..=100 {
            s.on_tick(&TickStats {
                duration_ms: d,
                ..TickStats::default()
            });
        }
        assert_eq!(s.percentile(50), 50);
        assert_eq!(s.percentile(95), 95);
        assert_eq!(s.percentile(99), 99);
        assert_eq!(Stats::default().percentile(50), 0);
    }

    /// The status line over a million ticks: the histogram keeps its
    /// buckets (and their allocation) from the first line to the last, and
    /// every line's percentiles are those of all ticks so far, within the
    /// histogram's resolution.
    #[test]
    fn a_million_ticks_hold_no_more_memory_than_one() {
        let mut s = Stats::default();
        let (buckets, capacity) = (s.tick_ms.buckets(), s.tick_ms.counts_capacity());
        let (counts, totals) = (OrderCounts::default(), Totals::default());
        let mut lines = 0;
        for d in 0..1_000_000u64 {
            s.on_tick(&TickStats {
                duration_ms: d % 2000,
                ..TickStats::default()
            });
            if (d + 1) % 100_000 == 0 {
                let line = s.line(&counts, &totals);
                // Every 100 000 ticks hold 0..2000 evenly: p50 is 999, p95 1899.
                let p50 = s.percentile(50);
                let p95 = s.percentile(95);
                assert!((999..=999 + 999 / 32).contains(&p50), "{p50}");
                assert!((1899..=1899 + 1899 / 32).contains(&p95), "{p95}");
                assert!(
                    line.contains(&format!("tick p50 {p50} ms p95 {p95} ms")),
                    "{line}"
                );
                assert_eq!(
                    (s.tick_ms.buckets(), s.tick_ms.counts_capacity()),
                    (buckets, capacity)
                );
                lines += 1;
            }
        }
        assert_eq!(lines, 10);
        assert_eq!(s.tick_ms.len(), 1_000_000);
    }
}
