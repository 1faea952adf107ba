//! The report: its rows and settings (`--json`), and the table on stdout.

use serde::Serialize;

use super::plan::{PLANNED_BOUND_BPS, PLANNED_DEADLINE_MS, PLANNED_TICK_MS};
use super::{Mode, Plan, SCALES};

#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub mode: Mode,
    pub name: String,
    pub symbols: u32,
    pub levels: u32,
    /// Completed ticks of the measured session.
    pub ticks: u64,
    pub tick_interval_ms: u64,
    /// Order requests (create/amend/cancel endpoints, batch ones included)
    /// per tick after the first, by the simulator's own counts.
    pub order_requests_per_tick: f64,
    /// Orders carried by those requests per tick (the simulator's count).
    pub orders_per_tick: f64,
    /// What the plan says they should be.
    pub expected: Plan,
    pub tick_p50_ms: u64,
    pub tick_p95_ms: u64,
    pub tick_p99_ms: u64,
    /// `rounds x latency_ms`.
    pub physical_limit_ms: u64,
    pub p95_over_limit: f64,
    /// Legacy P95 / this P95 (seed table only).
    pub speedup_vs_legacy: Option<f64>,
    /// Anything that would make the figures less than clean.
    pub conflated_ticks: u64,
    pub stale_drops: u64,
    pub fallbacks: u64,
    pub rejects: u64,
    pub rate_limit_rejections: u64,
    pub post_only_rejections: u64,
    /// The session's order requests per second of observed time.
    pub requests_per_s: f64,
    /// Quote quality, by the simulator from its own book (0..=1): level 0
    /// both sides of every symbol, then every level.
    pub inner_coverage: f64,
    pub coverage: f64,
    /// Mean distance of resting orders from their targets (bps, weighted by
    /// resting time); `None` if nothing rested.
    pub mean_deviation_bps: Option<f64>,
    /// Time quality was observed: first order resting to the session's end.
    pub observed_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchSettings {
    pub ticks: u64,
    pub legacy_ticks: u64,
    pub scale_ticks: u64,
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub symbols: u32,
    pub levels: u32,
    pub tier: &'static str,
    pub rate_per_endpoint: u64,
    pub fills: bool,
    pub walk_bps: u32,
    /// 0 = the market steps on each ticker poll; else every this many ms
    /// (in time only).
    pub walk_interval_ms: u64,
    /// The default tier runs core's defaults (None: set per mode, see `measure`).
    pub tick_interval_ms: Option<u64>,
    pub tick_deadline_ms: Option<u64>,
    pub max_batch_size: u32,
    pub max_parallel_symbols: u32,
    /// The scale runs' shapes: [symbols, levels a side].
    pub scales: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub settings: BenchSettings,
    pub seed: Vec<BenchRow>,
    pub scale: Vec<BenchRow>,
    /// The streams section (institutional tier only).
    pub streams: Option<StreamsReport>,
    /// The quotes section (`bench::quotes`; institutional tier only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quotes: Option<super::quotes::QuotesReport>,
    pub elapsed_s: f64,
}

/// Fill and book-change latencies with the streams and without
/// (`bench::streams`): its settings and rows, two per measure.
#[derive(Debug, Clone, Serialize)]
pub struct StreamsReport {
    /// Ticks a session.
    pub ticks: u64,
    pub tick_interval_ms: u64,
    pub reconcile_interval_ms: u64,
    /// The fill sessions' market: this many bps every this many ms.
    pub fill_walk_bps: u32,
    pub fill_walk_ms: u64,
    /// The book sessions' market.
    pub book_walk_bps: u32,
    pub book_walk_ms: u64,
    /// The REST session's private stream is cut this long after it connected.
    pub outage_after_ms: u64,
    pub rows: Vec<LatencyRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LatencyRow {
    /// `fill -> position`, `fill -> core knows`, `book change -> first request`.
    pub measure: &'static str,
    /// `private stream` / `REST (stream down)`, `book stream` / `polling`.
    pub variant: &'static str,
    #[serde(flatten)]
    pub latency: Percentiles,
    /// This row's P50 over the stream variant's (`None` when either is
    /// missing or the stream's is 0 ms).
    pub p50_vs_stream: Option<f64>,
}

/// Events and nearest-rank percentiles of the latencies measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    /// Fills, or book changes, in the measured window.
    pub events: u64,
    /// Of those, the ones core learned of (a fill) or re-quoted (a book
    /// change) before the session ended: the latencies' count.
    pub seen: u64,
    pub p50_ms: Option<u64>,
    pub p99_ms: Option<u64>,
}

/// The table (stdout).
pub fn render(r: &BenchReport) -> String {
    use std::fmt::Write as _;
    let s = &r.settings;
    if s.tier == "default" {
        return render_default_tier(r);
    }
    let mut out = String::new();
    if r.seed.is_empty() {
        // `--streams-only` or `--quotes-only`.
        if let Some(st) = &r.streams {
            render_streams(&mut out, st, s);
        }
        if let Some(q) = &r.quotes {
            super::quotes::render(&mut out, q);
        }
        let _ = writeln!(out, "elapsed {:.1} s", r.elapsed_s);
        return out;
    }
    let _ = writeln!(
        out,
        "mm bench: seed scenario, {} symbols x {} levels a side, every price moved every tick; simulator L = {} ms (+ jitter 0..={} ms), institutional tier ({}/s per endpoint), fills off",
        s.symbols, s.levels, s.latency_ms, s.jitter_ms, s.rate_per_endpoint
    );
    let _ = writeln!(
        out,
        "ticks: {} per batch mode, {} legacy; requests = order requests per tick (simulator's count, ticks 2..N); limit = rounds x L",
        s.ticks, s.legacy_ticks
    );
    quality_legend(&mut out);
    header(&mut out, true);
    for row in &r.seed {
        line(&mut out, row, true);
    }
    for (symbols, levels) in SCALES {
        let _ = writeln!(
            out,
            "\nscale: {symbols} symbols x {levels} levels a side ({} orders), {} ticks a mode, max_parallel_symbols = {} (a phase of more batches takes several rounds)",
            2 * symbols * levels,
            s.scale_ticks,
            s.max_parallel_symbols
        );
        header(&mut out, false);
        for row in r
            .scale
            .iter()
            .filter(|x| (x.symbols, x.levels) == (symbols, levels))
        {
            line(&mut out, row, false);
        }
    }
    not_clean(&mut out, r);
    if let Some(st) = &r.streams {
        render_streams(&mut out, st, s);
    }
    if let Some(q) = &r.quotes {
        super::quotes::render(&mut out, q);
    }
    let _ = writeln!(out, "elapsed {:.1} s", r.elapsed_s);
    out
}

/// The streams section: two rows a measure, the stream variant first.
fn render_streams(out: &mut String, st: &StreamsReport, s: &BenchSettings) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "\nstreams: {} symbols x {} levels, core's defaults (cancel+place, a tick every {} ms), {} ticks a session, simulator L = {} ms (+ jitter 0..={} ms); the market walks in time",
        s.symbols, s.levels, st.tick_interval_ms, st.ticks, s.latency_ms, s.jitter_ms
    );
    let _ = writeln!(
        out,
        "fills: {} bps every {} ms, fills on; REST (stream down) = the private stream cut {} ms after it connected and refused since: core lists open orders every {} ms (reconcile_interval_ms) and settles what a cancel, amend or listing finds gone; books: {} bps every {} ms, fills off",
        st.fill_walk_bps,
        st.fill_walk_ms,
        st.outage_after_ms,
        st.reconcile_interval_ms,
        st.book_walk_bps,
        st.book_walk_ms
    );
    out.push_str(
        "from the simulator's clock (when it filled, when its book moved) to the journal's (the input core learned it on, the input it sent the request on)\n",
    );
    let _ = writeln!(
        out,
        "{:<30} {:<18} {:>7} {:>7} {:>7} {:>7} {:>10}",
        "measure", "variant", "events", "seen", "p50 ms", "p99 ms", "p50/stream"
    );
    let ms = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |x| x.to_string());
    for r in &st.rows {
        let l = &r.latency;
        let ratio = r
            .p50_vs_stream
            .map_or_else(|| "-".to_string(), |x| format!("{x:.2}x"));
        let _ = writeln!(
            out,
            "{:<30} {:<18} {:>7} {:>7} {:>7} {:>7} {:>10}",
            r.measure,
            r.variant,
            l.events,
            l.seen,
            ms(l.p50_ms),
            ms(l.p99_ms),
            ratio
        );
    }
}

/// `--tier default`: one table, quality first.
fn render_default_tier(r: &BenchReport) -> String {
    use std::fmt::Write as _;
    let s = &r.settings;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "mm bench --tier default: seed scenario, {} symbols x {} levels a side; simulator L = {} ms (+ jitter 0..={} ms), Bybit's default tier ({} orders/s per batch endpoint), market walks {} bps every {} ms (in time only), fills off",
        s.symbols,
        s.levels,
        s.latency_ms,
        s.jitter_ms,
        s.rate_per_endpoint,
        s.walk_bps,
        s.walk_interval_ms
    );
    let _ = writeln!(
        out,
        "ticks: {} a mode at core's defaults (tick every {} ms, places and amends unsent {} ms after their tick began dropped); ours planned runs its own for the same time (a tick every {} ms, deadline {} ms, max_deviation_bps {})",
        s.ticks,
        s.tick_interval_ms.unwrap_or(0),
        s.tick_deadline_ms.unwrap_or(0),
        PLANNED_TICK_MS,
        PLANNED_DEADLINE_MS,
        PLANNED_BOUND_BPS
    );
    quality_legend(&mut out);
    let _ = writeln!(
        out,
        "{:<22} {:>7} {:>9} {:>6} {:>9} {:>8} {:>8} {:>7} {:>7} {:>6}",
        "mode",
        "req/s",
        "req/tick",
        "10006",
        "inner cov",
        "all cov",
        "dev bps",
        "p50 ms",
        "p95 ms",
        "stale"
    );
    for x in &r.seed {
        let _ = writeln!(
            out,
            "{:<22} {:>7.1} {:>9.1} {:>6} {:>8.1}% {:>7.1}% {:>8} {:>7} {:>7} {:>6}",
            x.name,
            x.requests_per_s,
            x.order_requests_per_tick,
            x.rate_limit_rejections,
            100.0 * x.inner_coverage,
            100.0 * x.coverage,
            deviation(x),
            x.tick_p50_ms,
            x.tick_p95_ms,
            x.stale_drops
        );
    }
    not_clean(&mut out, r);
    let _ = writeln!(out, "elapsed {:.1} s", r.elapsed_s);
    out
}

fn quality_legend(out: &mut String) {
    out.push_str(
        "quality by the simulator from its own book: cov = share of time a level has an order within reprice_tolerance_bps of its target (inner = level 0), dev = mean distance of resting orders from their targets; req/s over the time observed\n",
    );
}

fn deviation(r: &BenchRow) -> String {
    r.mean_deviation_bps
        .map_or_else(|| "-".to_string(), |d| format!("{d:.2}"))
}

fn not_clean(out: &mut String, r: &BenchReport) {
    use std::fmt::Write as _;
    let dirty: Vec<String> = r
        .seed
        .iter()
        .chain(&r.scale)
        .filter(|x| {
            x.conflated_ticks
                + x.stale_drops
                + x.fallbacks
                + x.rejects
                + x.rate_limit_rejections
                + x.post_only_rejections
                > 0
        })
        .map(|x| {
            format!(
                "{} {}x{}: conflated {} stale {} fallbacks {} rejects {} 10006 {} post-only {}",
                x.name,
                x.symbols,
                x.levels,
                x.conflated_ticks,
                x.stale_drops,
                x.fallbacks,
                x.rejects,
                x.rate_limit_rejections,
                x.post_only_rejections
            )
        })
        .collect();
    if dirty.is_empty() {
        let _ = writeln!(
            out,
            "\nclean: no conflated ticks, stale drops, fallbacks, rejects, 10006 or post-only cancels"
        );
    } else {
        let _ = writeln!(out, "\nnot clean:\n  {}", dirty.join("\n  "));
    }
}

fn header(out: &mut String, speedup: bool) {
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{:<22} {:>9} {:>11} {:>7} {:>7} {:>7} {:>16} {:>9}",
        "mode", "requests", "orders/tick", "p50 ms", "p95 ms", "p99 ms", "limit ms", "p95/limit"
    );
    if speedup {
        let _ = write!(out, " {:>8}", "speedup");
    }
    let _ = write!(
        out,
        " {:>7} {:>6} {:>9} {:>8} {:>8}",
        "req/s", "10006", "inner cov", "all cov", "dev bps"
    );
    out.push('\n');
}

fn line(out: &mut String, r: &BenchRow, speedup: bool) {
    use std::fmt::Write as _;
    let limit = format!(
        "{} ({}x{})",
        r.physical_limit_ms,
        r.expected.rounds,
        r.physical_limit_ms / r.expected.rounds.max(1)
    );
    let _ = write!(
        out,
        "{:<22} {:>9.1} {:>11.1} {:>7} {:>7} {:>7} {:>16} {:>9.2}",
        r.name,
        r.order_requests_per_tick,
        r.orders_per_tick,
        r.tick_p50_ms,
        r.tick_p95_ms,
        r.tick_p99_ms,
        limit,
        r.p95_over_limit
    );
    if speedup {
        let _ = write!(out, " {:>7.1}x", r.speedup_vs_legacy.unwrap_or(f64::NAN));
    }
    let _ = write!(
        out,
        " {:>7.1} {:>6} {:>8.1}% {:>7.1}% {:>8}",
        r.requests_per_s,
        r.rate_limit_rejections,
        100.0 * r.inner_coverage,
        100.0 * r.coverage,
        deviation(r)
    );
    out.push('\n');
}
