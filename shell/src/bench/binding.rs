//! `--tier default`: the seed scenario at Bybit's default rate limits (10
//! orders a second per batch endpoint on linear), where the budget binds:
//! each mode runs core's defaults (tick every 200 ms, places unsent 200 ms
//! after their tick began dropped) against a market that walks in time
//! (3 bps every second, whatever a mode polls). What counts here is what the
//! quotes are worth, measured by the simulator from its own book: coverage
//! of the inner level and of all levels, mean deviation from the ladder;
//! beside it the request rate, 10006 answers and the tick P95.

use std::path::Path;

use mm_sim::Tier;

use super::measure::{Quality, order_count, session};
use super::scenario::config_for;
use super::{BenchError, BenchRow, Mode, Plan};
use crate::cli::BenchArgs;

/// One mode at the default tier: a session of `ticks` ticks.
pub(super) async fn measure_default_tier(
    args: &BenchArgs,
    mode: Mode,
    ticks: u64,
    dir: &Path,
) -> Result<BenchRow, BenchError> {
    let (symbols, levels) = (args.symbols, args.levels);
    let mut config = config_for(symbols, levels, args.latency_ms, Tier::Default);
    mode.apply(&mut config);
    let slug = format!("default-{mode:?}-{symbols}x{levels}").to_lowercase();
    let (summary, state) = session(args, &config, Tier::Default, ticks, &dir.join(slug))
        .await
        .map_err(|e| e.of(mode, ticks))?;
    let max_parallel = config.async_batch.max_parallel_symbols;
    let plan = Plan::of(mode, symbols, levels, max_parallel);
    let quality = Quality::of(&state);
    let req = order_count(&state, |s| &s.requests_by_path);
    let ord = order_count(&state, |s| &s.orders_by_path);
    let div = summary.ticks.max(1);
    let limit = plan.rounds * args.latency_ms;
    #[allow(clippy::cast_precision_loss)]
    let row = BenchRow {
        mode,
        name: mode.name().to_string(),
        symbols,
        levels,
        ticks: summary.ticks,
        tick_interval_ms: config.quoting.tick_interval_ms,
        order_requests_per_tick: req as f64 / div as f64,
        orders_per_tick: ord as f64 / div as f64,
        expected: plan,
        tick_p50_ms: summary.tick_ms.p50,
        tick_p95_ms: summary.tick_ms.p95,
        tick_p99_ms: summary.tick_ms.p99,
        physical_limit_ms: limit,
        p95_over_limit: super::measure::ratio(summary.tick_ms.p95, limit),
        speedup_vs_legacy: None,
        conflated_ticks: summary.conflated_ticks,
        stale_drops: summary.stale_drops,
        fallbacks: summary.fallbacks,
        rejects: summary.rejects,
        rate_limit_rejections: state.rate_limit_rejections,
        post_only_rejections: state.post_only_rejections,
        requests_per_s: quality.per_second(req),
        inner_coverage: quality.inner_coverage,
        coverage: quality.coverage,
        mean_deviation_bps: quality.mean_deviation_bps,
        observed_s: quality.observed_s,
    };
    eprintln!(
        "mm bench (default tier): {}: {} ticks, {:.1} requests/s, inner coverage {:.1}%, p95 {} ms",
        row.name,
        row.ticks,
        row.requests_per_s,
        100.0 * row.inner_coverage,
        row.tick_p95_ms
    );
    Ok(row)
}
