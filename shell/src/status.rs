//! Per-session tick statistics (from core's `TickDone`) and the status line.

use std::collections::BTreeMap;

use mm_core::{Endpoint, OrderCounts, TickStats, Totals};

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub ticks: u64,
    pub tick_ms: Vec<u64>,
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
        self.tick_ms.push(t.duration_ms);
        self.requests_in_ticks += t.requests.values().sum::<u64>();
        for (e, n) in &t.requests {
            *self.requests_by_endpoint.entry(*e).or_default() += n;
        }
        self.headroom.clone_from(&t.budget_headroom);
    }

    /// Nearest-rank percentile of tick durations (0 with no ticks).
    pub fn percentile(&self, p: u32) -> u64 {
        if self.tick_ms.is_empty() {
            return 0;
        }
        let mut v = self.tick_ms.clone();
        v.sort_unstable();
        let n = v.len();
        let rank = (usize::try_from(p).unwrap_or(100) * n)
            .div_ceil(100)
            .clamp(1, n);
        v[rank - 1]
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
