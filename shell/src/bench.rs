//! `mm bench`: the seed scenario side by side (legacy, per-symbol batches,
//! cross-symbol cancel+place, amend) against the in-process simulator.
//!
//! Interface for whoever owns this next: `run(BenchArgs)` builds one config
//! per mode and calls `run_session` in-process (no metrics server, no status
//! line), then reads each session's summary. Only the seed's 4 symbols are
//! available in the paper simulator: other `--symbols` values are refused.

use mm_core::config::{CoalesceScope, Reprice};
use serde::Serialize;

use crate::cli::BenchArgs;
use crate::run::{RunOptions, SimOptions, run_session};

#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub mode: String,
    pub ticks: u64,
    /// Order requests (create/amend/cancel endpoints, batch ones included) per
    /// tick after the first, by the simulator's own counts.
    pub order_requests_per_tick: f64,
    pub tick_p50_ms: u64,
    pub tick_p95_ms: u64,
    pub tick_p99_ms: u64,
}

pub const ORDER_PATHS: [&str; 6] = [
    "/v5/order/create",
    "/v5/order/amend",
    "/v5/order/cancel",
    "/v5/order/create-batch",
    "/v5/order/amend-batch",
    "/v5/order/cancel-batch",
];

type Tweak = fn(&mut mm_core::Config);

pub async fn run(args: BenchArgs) -> Result<(), String> {
    if args.symbols != 4 {
        return Err(format!(
            "bench: --symbols {} is not supported yet (the paper simulator lists the seed's 4 symbols)",
            args.symbols
        ));
    }
    let dir = std::env::temp_dir().join(format!(
        "mm-bench-{}",
        crate::run::session_id(crate::now_ms())
    ));
    let modes: [(&str, Tweak); 4] = [
        ("legacy", |c| c.async_batch.enabled = false),
        ("per-symbol batch", |c| {
            c.async_batch.coalesce_scope = CoalesceScope::Symbol
        }),
        ("cross-symbol cancel+place", |_| {}),
        ("amend", |c| c.quoting.reprice = Reprice::Amend),
    ];
    let mut rows = Vec::new();
    for (name, tweak) in modes {
        let sim = SimOptions {
            latency_ms: args.latency_ms,
            jitter_ms: args.jitter_ms,
            fills: false,
            tier: mm_sim::Tier::Unlimited,
            ..SimOptions::default()
        };
        let mut config = crate::paper::config(mm_sim::Tier::Institutional);
        config.quoting.levels = args.levels;
        tweak(&mut config);
        let slug = name.replace([' ', '+'], "-");
        let summary = run_session(RunOptions {
            config: Some(config),
            ticks: Some(args.ticks),
            journal: Some(dir.join(format!("{slug}.mmj"))),
            log: Some(dir.join(format!("{slug}.log"))),
            metrics_addr: Some("off".to_string()),
            status_every_ms: 2000,
            reload_poll_ms: 500,
            sim,
            signals: false,
            quiet: true,
            ..RunOptions::default()
        })
        .await
        .map_err(|e| format!("bench {name}: {e}"))?;
        let by_path = summary
            .exchange_requests_by_path
            .clone()
            .unwrap_or_default();
        let orders: u64 = ORDER_PATHS.iter().filter_map(|p| by_path.get(*p)).sum();
        let first = first_tick_requests(name, args.symbols, args.levels);
        #[allow(clippy::cast_precision_loss)]
        let per_tick =
            orders.saturating_sub(first) as f64 / summary.ticks.saturating_sub(1).max(1) as f64;
        rows.push(BenchRow {
            mode: name.to_string(),
            ticks: summary.ticks,
            order_requests_per_tick: per_tick,
            tick_p50_ms: summary.tick_ms.p50,
            tick_p95_ms: summary.tick_ms.p95,
            tick_p99_ms: summary.tick_ms.p99,
        });
    }
    println!(
        "seed scenario, {} ticks a mode, latency {} ms (jitter {} ms), {} symbols x {} levels a side",
        args.ticks, args.latency_ms, args.jitter_ms, args.symbols, args.levels
    );
    println!(
        "{:<28} {:>14} {:>8} {:>8} {:>8}",
        "mode", "requests/tick", "p50 ms", "p95 ms", "p99 ms"
    );
    for r in &rows {
        println!(
            "{:<28} {:>14.1} {:>8} {:>8} {:>8}",
            r.mode, r.order_requests_per_tick, r.tick_p50_ms, r.tick_p95_ms, r.tick_p99_ms
        );
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("bench: {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The first tick only places: one request per order (legacy), or one per
/// chunk of 20 (per symbol, or across symbols).
fn first_tick_requests(mode: &str, symbols: u32, levels: u32) -> u64 {
    let per_symbol = u64::from(2 * levels);
    let orders = u64::from(symbols) * per_symbol;
    match mode {
        "legacy" => orders,
        "per-symbol batch" => u64::from(symbols) * per_symbol.div_ceil(20),
        _ => orders.div_ceil(20),
    }
}
