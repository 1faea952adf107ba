//! Prometheus metrics (names from the seed, so existing dashboards keep
//! working; prometheus-client adds `_total` to counters itself) and the
//! /metrics server.
//!
//! Counters follow core's cumulative `Totals` (the shell adds the delta
//! since the last sync), except `mm_requests_total` and `mm_exchange_req_ms`,
//! which the shell records per request it performs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use std::sync::atomic::AtomicU64;

use mm_core::engine::{FillTotals, PositionView, SideFills};
use mm_core::{Endpoint, Op, OrderCounts, TickStats, Totals};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels1 = [(&'static str, &'static str); 1];
type Labels2 = [(&'static str, &'static str); 2];
/// Labels with a symbol (the config's, so not `'static`).
type SymbolLabels = [(&'static str, String); 1];
type SymbolSideLabels = [(&'static str, String); 2];
type HistFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn ms_histogram() -> Histogram {
    // 0.5 ms .. ~16 s
    Histogram::new(exponential_buckets(0.5, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    tick_ms: Histogram,
    coalesced: Family<Labels1, Counter>,
    req_ms: HistFamily<Labels2>,
    requests: Family<Labels1, Counter>,
    commands: Family<Labels1, Counter>,
    fallbacks: Counter,
    rejects: Counter,
    deferrals: Counter,
    stale_drops: Counter,
    conflated: Counter,
    market_data_failures: Counter,
    live: Gauge,
    unknown: Gauge,
    headroom: Family<Labels1, Gauge>,
    stream_reconnects: Family<Labels1, Counter>,
    stream_lag_ms: Histogram,
    fallback_symbols: Gauge,
    fallback_books: Counter,
    fills: Family<SymbolSideLabels, Counter>,
    position: Family<SymbolLabels, Gauge<f64, AtomicU64>>,
    last: std::sync::Mutex<Totals>,
    last_fills: std::sync::Mutex<BTreeMap<String, SideFills>>,
    risk_blocks: Family<Labels1, Counter>,
    kill_switch: Gauge,
    pnl: Gauge<f64, AtomicU64>,
    last_blocks: std::sync::Mutex<BTreeMap<&'static str, u64>>,
}

/// The `stream` label of each stream the shell runs.
pub const STREAMS: [&str; 2] = ["public", "private"];

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let mut registry = Registry::default();
        let tick_ms = ms_histogram();
        let coalesced = Family::<Labels1, Counter>::default();
        let req_ms: HistFamily<Labels2> = Family::new_with_constructor(ms_histogram);
        let requests = Family::<Labels1, Counter>::default();
        let commands = Family::<Labels1, Counter>::default();
        let fallbacks = Counter::default();
        let rejects = Counter::default();
        let deferrals = Counter::default();
        let stale_drops = Counter::default();
        let conflated = Counter::default();
        let market_data_failures = Counter::default();
        let live = Gauge::default();
        let unknown = Gauge::default();
        let headroom = Family::<Labels1, Gauge>::default();
        let stream_reconnects = Family::<Labels1, Counter>::default();
        let stream_lag_ms = ms_histogram();
        let fallback_symbols = Gauge::default();
        let fallback_books = Counter::default();
        let fills = Family::<SymbolSideLabels, Counter>::default();
        let position = Family::<SymbolLabels, Gauge<f64, AtomicU64>>::default();
        let risk_blocks = Family::<Labels1, Counter>::default();
        let kill_switch = Gauge::default();
        let pnl = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "mm_tick_duration_ms",
            "Tick duration (ms, from core's TickDone)",
            tick_ms.clone(),
        );
        registry.register(
            "mm_cmd_coalesced",
            "Commands that travelled in a batch with others, by op",
            coalesced.clone(),
        );
        registry.register(
            "mm_exchange_req_ms",
            "Exchange request round trip (ms) by HTTP verb and endpoint",
            req_ms.clone(),
        );
        registry.register(
            "mm_requests",
            "Exchange requests sent, by endpoint",
            requests.clone(),
        );
        registry.register(
            "mm_commands",
            "Order commands decided by core, by op",
            commands.clone(),
        );
        registry.register(
            "mm_fallbacks",
            "Batches retried as single-order requests",
            fallbacks.clone(),
        );
        registry.register(
            "mm_rejects",
            "Orders rejected for good by the exchange",
            rejects.clone(),
        );
        registry.register(
            "mm_rate_limit_deferrals",
            "Sends held back by the rate budget",
            deferrals.clone(),
        );
        registry.register(
            "mm_stale_drops",
            "Places dropped as stale at the tick deadline",
            stale_drops.clone(),
        );
        registry.register(
            "mm_conflated_ticks",
            "Ticks folded into the next because one was in flight",
            conflated.clone(),
        );
        registry.register(
            "mm_market_data_failures",
            "Market-data polls that failed (core got the tick without books)",
            market_data_failures.clone(),
        );
        registry.register(
            "mm_live_orders",
            "Orders core believes rest on the book",
            live.clone(),
        );
        registry.register(
            "mm_unknown_orders",
            "Orders in an unknown state, being reconciled",
            unknown.clone(),
        );
        registry.register(
            "mm_rate_budget_headroom",
            "Units left in each endpoint's rolling-second budget",
            headroom.clone(),
        );
        registry.register(
            "mm_stream_reconnects",
            "Stream connections opened again after one was lost, by stream",
            stream_reconnects.clone(),
        );
        registry.register(
            "mm_stream_lag_ms",
            "Book stream messages: exchange publish time to arrival (ms, includes clock offset)",
            stream_lag_ms.clone(),
        );
        registry.register(
            "mm_stream_fallback_symbols",
            "Symbols whose book the last tick polled over REST because the book stream lacked it",
            fallback_symbols.clone(),
        );
        registry.register(
            "mm_stream_fallback_books",
            "Books polled over REST for a tick because the book stream lacked them",
            fallback_books.clone(),
        );
        registry.register(
            "mm_fills",
            "Executions of ours core applied (each execId once), by symbol and side",
            fills.clone(),
        );
        registry.register(
            "mm_position",
            "Core's position per symbol (base units, long positive; an exact decimal in core)",
            position.clone(),
        );
        registry.register(
            "mm_risk_blocks",
            "Ticks x sides a [risk] limit bound (a level or side not quoted), by limit",
            risk_blocks.clone(),
        );
        registry.register(
            "mm_kill_switch",
            "1 once a [risk] kill switch tripped (the session then shuts down), else 0",
            kill_switch.clone(),
        );
        registry.register(
            "mm_pnl",
            "The session's PnL from our executions, realised + unrealised at mid, every symbol (quote currency; exact in core)",
            pnl.clone(),
        );
        // Every label value present from the start, so a scrape shows the full set.
        for limit in mm_core::engine::RISK_LIMITS {
            let _ = risk_blocks.get_or_create(&[("limit", limit)]);
        }
        for e in Endpoint::ALL {
            let _ = requests.get_or_create(&[("endpoint", e.name())]);
        }
        for op in [Op::Place, Op::Amend, Op::Cancel] {
            let _ = commands.get_or_create(&[("op", op.name())]);
            let _ = coalesced.get_or_create(&[("op", op.name())]);
        }
        for stream in STREAMS {
            let _ = stream_reconnects.get_or_create(&[("stream", stream)]);
        }
        Arc::new(Metrics {
            registry,
            tick_ms,
            coalesced,
            req_ms,
            requests,
            commands,
            fallbacks,
            rejects,
            deferrals,
            stale_drops,
            conflated,
            market_data_failures,
            live,
            unknown,
            headroom,
            stream_reconnects,
            stream_lag_ms,
            fallback_symbols,
            fallback_books,
            fills,
            position,
            last: std::sync::Mutex::new(Totals::default()),
            last_fills: std::sync::Mutex::new(BTreeMap::new()),
            risk_blocks,
            kill_switch,
            pnl,
            last_blocks: std::sync::Mutex::new(BTreeMap::new()),
        })
    }

    /// One request sent (counted when it leaves).
    pub fn request_sent(&self, endpoint: Endpoint) {
        self.requests
            .get_or_create(&[("endpoint", endpoint.name())])
            .inc();
    }

    /// One request answered (or failed) after `ms`.
    pub fn request_done(&self, verb: &'static str, endpoint: Endpoint, ms: f64) {
        self.req_ms
            .get_or_create(&[("verb", verb), ("api", endpoint.name())])
            .observe(ms);
    }

    /// One market-data poll failed.
    pub fn market_data_failed(&self) {
        self.market_data_failures.inc();
    }

    /// A stream connected again after losing its connection.
    pub fn stream_reconnected(&self, stream: &'static str) {
        self.stream_reconnects
            .get_or_create(&[("stream", stream)])
            .inc();
    }

    /// Reconnects so far, by stream (every stream in `STREAMS`).
    pub fn stream_reconnects(&self) -> BTreeMap<String, u64> {
        STREAMS
            .iter()
            .map(|s| {
                let n = self.stream_reconnects.get_or_create(&[("stream", s)]).get();
                ((*s).to_string(), n)
            })
            .collect()
    }

    /// One book message: its exchange publish time to its arrival (ms).
    pub fn stream_lag(&self, ms: u64) {
        #[allow(clippy::cast_precision_loss)]
        self.stream_lag_ms.observe(ms as f64);
    }

    /// A tick's books: `n` of them polled over REST as the stream's fallback.
    pub fn book_fallback(&self, n: usize) {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        self.fallback_symbols
            .set(i64::try_from(n).unwrap_or(i64::MAX));
        self.fallback_books.inc_by(n);
    }

    pub fn tick_done(&self, t: &TickStats) {
        #[allow(clippy::cast_precision_loss)]
        self.tick_ms.observe(t.duration_ms as f64);
        for (e, units) in &t.budget_headroom {
            self.headroom
                .get_or_create(&[("endpoint", e.name())])
                .set(i64::try_from(*units).unwrap_or(i64::MAX));
        }
    }

    /// Brings the counters up to core's cumulative totals, and the gauges to now.
    pub fn sync(&self, totals: &Totals, counts: &OrderCounts) {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let delta = |now: u64, before: u64| now.saturating_sub(before);
        for (op, n) in &totals.commands {
            let before = last.commands.get(op).copied().unwrap_or(0);
            self.commands
                .get_or_create(&[("op", op.name())])
                .inc_by(delta(*n, before));
        }
        for (op, n) in &totals.coalesced {
            let before = last.coalesced.get(op).copied().unwrap_or(0);
            self.coalesced
                .get_or_create(&[("op", op.name())])
                .inc_by(delta(*n, before));
        }
        self.fallbacks
            .inc_by(delta(totals.fallbacks, last.fallbacks));
        self.rejects.inc_by(delta(totals.rejects, last.rejects));
        self.deferrals
            .inc_by(delta(totals.rate_deferrals, last.rate_deferrals));
        self.stale_drops
            .inc_by(delta(totals.stale_drops, last.stale_drops));
        self.conflated
            .inc_by(delta(totals.conflated, last.conflated));
        *last = totals.clone();
        self.live
            .set(i64::try_from(counts.live).unwrap_or(i64::MAX));
        self.unknown
            .set(i64::try_from(counts.unknown).unwrap_or(i64::MAX));
    }

    /// Every symbol's fills and position present from the start (0), so a
    /// scrape shows the full set before the first fill.
    pub fn symbols(&self, symbols: &[String]) {
        for s in symbols {
            for side in ["buy", "sell"] {
                let _ = self
                    .fills
                    .get_or_create(&[("symbol", s.clone()), ("side", side.to_string())]);
            }
            let _ = self.position.get_or_create(&[("symbol", s.clone())]);
        }
    }

    /// Brings `mm_fills_total` up to core's cumulative fill counts and
    /// `mm_position` to core's positions. Positions are exact decimals in
    /// core; here, and only here, they become floats.
    pub fn sync_fills(&self, fills: &FillTotals, positions: &[PositionView]) {
        let mut last = self
            .last_fills
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (symbol, now) in &fills.fills {
            let before = last.get(symbol).copied().unwrap_or_default();
            for (side, n, b) in [
                ("buy", now.buy, before.buy),
                ("sell", now.sell, before.sell),
            ] {
                self.fills
                    .get_or_create(&[("symbol", symbol.clone()), ("side", side.to_string())])
                    .inc_by(n.saturating_sub(b));
            }
        }
        last.clone_from(&fills.fills);
        for p in positions {
            if let Ok(v) = p.core.parse::<f64>() {
                self.position
                    .get_or_create(&[("symbol", p.symbol.clone())])
                    .set(v);
            }
        }
    }

    /// Brings `mm_risk_blocks_total` up to core's cumulative block counts
    /// and `mm_kill_switch` to whether it tripped.
    /// `mm_pnl` from core's exact PnL (a float only here).
    pub fn sync_risk(&self, blocks: &BTreeMap<&'static str, u64>, killed: bool, pnl: &str) {
        if let Ok(v) = pnl.parse::<f64>() {
            self.pnl.set(v);
        }
        let mut last = self
            .last_blocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (limit, n) in blocks {
            let before = last.get(limit).copied().unwrap_or(0);
            self.risk_blocks
                .get_or_create(&[("limit", *limit)])
                .inc_by(n.saturating_sub(before));
        }
        last.clone_from(blocks);
        self.kill_switch.set(i64::from(killed));
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// The metrics server could not listen.
#[derive(Debug, thiserror::Error)]
#[error("metrics: cannot listen on {addr}: {source}")]
pub struct ServeError {
    pub addr: String,
    pub source: std::io::Error,
}

/// Binds `addr` and serves GET /metrics until the process ends. Returns the
/// bound address (useful with port 0).
pub async fn serve(metrics: Arc<Metrics>, addr: &str) -> Result<SocketAddr, ServeError> {
    let cannot = |source| ServeError {
        addr: addr.to_string(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(cannot)?;
    let bound = listener.local_addr().map_err(cannot)?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let m = metrics.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    m.render(),
                )
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("metrics server stopped: {e}");
        }
    });
    Ok(bound)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn risk_blocks_count_up_to_cores_and_the_kill_switch_is_a_gauge() {
        let m = Metrics::new();
        let text = m.render();
        for limit in mm_core::engine::RISK_LIMITS {
            assert!(
                text.contains(&format!("mm_risk_blocks_total{{limit=\"{limit}\"}} 0")),
                "{text}"
            );
        }
        assert!(text.contains("mm_kill_switch 0"), "{text}");
        let mut blocks = BTreeMap::new();
        blocks.insert("max_position", 3);
        m.sync_risk(&blocks, false, "0");
        blocks.insert("max_position", 5);
        blocks.insert("price_band", 1);
        m.sync_risk(&blocks, true, "-1.5");
        let text = m.render();
        assert!(
            text.contains(r#"mm_risk_blocks_total{limit="max_position"} 5"#),
            "{text}"
        );
        assert!(
            text.contains(r#"mm_risk_blocks_total{limit="price_band"} 1"#),
            "{text}"
        );
        assert!(text.contains("mm_kill_switch 1"), "{text}");
        assert!(text.contains("mm_pnl -1.5"), "{text}");
    }

    #[test]
    fn fills_follow_cores_counts_and_positions_are_its_exact_decimals_as_floats() {
        let m = Metrics::new();
        m.symbols(&["BTCUSDT".to_string()]);
        let text = m.render();
        assert!(
            text.contains(r#"mm_fills_total{symbol="BTCUSDT",side="sell"} 0"#),
            "{text}"
        );
        assert!(
            text.contains(r#"mm_position{symbol="BTCUSDT"} 0"#),
            "{text}"
        );
        let mut fills = FillTotals::default();
        fills
            .fills
            .insert("BTCUSDT".to_string(), SideFills { buy: 3, sell: 1 });
        let pos = [PositionView {
            max_abs: String::new(),
            symbol: "BTCUSDT".to_string(),
            core: "-0.025".to_string(),
            exchange: None,
        }];
        m.sync_fills(&fills, &pos);
        // Synced again with the same totals: counters do not count twice.
        m.sync_fills(&fills, &pos);
        let text = m.render();
        assert!(
            text.contains(r#"mm_fills_total{symbol="BTCUSDT",side="buy"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"mm_fills_total{symbol="BTCUSDT",side="sell"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"mm_position{symbol="BTCUSDT"} -0.025"#),
            "{text}"
        );
    }
}
