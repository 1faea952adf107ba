//! `--tier default`: the seed scenario at Bybit's default rate limits (10
//! orders a second per batch endpoint on linear), where the budget binds:
//! each mode runs core's defaults (tick every 200 ms, places unsent 200 ms
//! after their tick began dropped) against a market that walks in time
//! (3 bps every second, whatever a mode polls). What counts here is what the
//! quotes are worth, measured by the simulator from its own book: coverage
//! of the inner level and of all levels, mean deviation from the ladder;
//! beside it the request rate, 10006 answers and the tick P95. The planned
//! mode ticks every 50 ms (`Mode::apply`), so it runs 4x the ticks: the
//! same time.

use std::path::Path;

use mm_sim::Tier;

use super::measure::{Counted, order_count, row, session};
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
    let interval = config.quoting.tick_interval_ms;
    mode.apply(&mut config);
    // A mode with shorter ticks runs as long as the others: the same
    // market, observed for the same time.
    let ticks = ticks * interval / config.quoting.tick_interval_ms.max(1);
    let slug = format!("default-{mode:?}-{symbols}x{levels}").to_lowercase();
    let measured = session(args, &config, Tier::Default, ticks, &dir.join(slug))
        .await
        .map_err(|e| e.of(mode, ticks))?;
    let max_parallel = config.async_batch.max_parallel_symbols;
    let plan = Plan::of(mode, symbols, levels, max_parallel);
    // Every tick's requests count here: no baseline is subtracted.
    let counted = Counted {
        requests: order_count(&measured.1, |s| &s.requests_by_path),
        orders: order_count(&measured.1, |s| &s.orders_by_path),
        ticks: measured.0.ticks,
    };
    let row = row(mode, plan, &config, args.latency_ms, &measured, &counted);
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
