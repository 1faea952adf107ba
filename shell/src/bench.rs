//! `mm bench`: the seed scenario side by side (legacy, per-symbol batches,
//! cross-symbol cancel+place, amend) against an in-process simulator, then a
//! scale run (50 symbols x 10 levels a side, batch modes only).
//!
//! How a mode is measured:
//! - A fresh simulator per session (institutional tier: 1000 units/s per
//!   order endpoint, the config's rate budgets set to match; fills OFF, so no
//!   order ever leaves the book by itself; a 3 bps walk per ticker poll, so
//!   with 5 bps ladder steps and 1 bps tolerance every order is repriced
//!   every tick). The IP limit (600 requests / 5 s) is switched off: at
//!   L = 20 ms no mode comes near it, and at the smoke test's L = 1 ms it
//!   would measure the IP limit instead of the batching.
//! - `run_session` in-process (no metrics server, no status line), against
//!   that simulator via `exchange.base_url`.
//! - Order requests per tick come from the simulator's own counts (create,
//!   amend, cancel and their batch endpoints): a session of N ticks minus a
//!   session of 1 tick (the first tick only places; shutdown uses cancel-all
//!   and realtime, which are not order paths), divided by N - 1.
//! - Tick P50/P95/P99 are core's `TickDone` durations (nearest rank, every
//!   completed tick).
//! - The physical limit is the number of dependent rounds times L: cancel
//!   then place is 2 rounds, amend 1, legacy one round per command (sent one
//!   at a time). A phase with more batches than `max_parallel_symbols` needs
//!   several rounds (the scale run).
//! - The tick interval is set per mode so a tick normally ends before the
//!   next poll (no conflation: one walk step per tick) and the rate budget
//!   is never the bottleneck; `tick_deadline_ms` is raised so legacy places
//!   are not dropped as stale.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mm_core::Config;
use mm_core::config::{CoalesceScope, OrderQty, Reprice};
use serde::Serialize;

use crate::cli::BenchArgs;
use crate::run::{RunOptions, SimOptions, run_session};

pub const ORDER_PATHS: [&str; 6] = [
    "/v5/order/create",
    "/v5/order/amend",
    "/v5/order/cancel",
    "/v5/order/create-batch",
    "/v5/order/amend-batch",
    "/v5/order/cancel-batch",
];

/// Units per second per order endpoint at the institutional tier.
const RATE: u64 = 1000;
/// Exchange batch limit (linear) and the config's chunk size.
const BATCH: u64 = 20;
/// The scale run's shape.
const SCALE_SYMBOLS: u32 = 50;
const SCALE_LEVELS: u32 = 10;
/// Walk step per ticker poll (bps of mid).
const WALK_BPS: u32 = 3;

/// The seed's four instruments (the paper simulator's): symbol, start
/// price, tick size, qty step (= min qty), order qty.
const SEED_ROWS: [(&str, &str, &str, &str, &str); 4] = [
    ("BTCUSDT", "60000", "0.1", "0.001", "0.001"),
    ("ETHUSDT", "3000", "0.01", "0.01", "0.01"),
    ("SOLUSDT", "150", "0.001", "0.1", "0.1"),
    ("XRPUSDT", "2.5", "0.0001", "1", "10"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `async_batch.enabled = false`: one single-order request at a time.
    Legacy,
    /// The seed's batches: `coalesce_scope = "symbol"`.
    PerSymbol,
    /// Ours: cross-symbol batches, cancel then place.
    CancelPlace,
    /// Ours: cross-symbol amend batches.
    Amend,
}

impl Mode {
    pub const ALL: [Mode; 4] = [
        Mode::Legacy,
        Mode::PerSymbol,
        Mode::CancelPlace,
        Mode::Amend,
    ];
    pub const BATCHED: [Mode; 3] = [Mode::PerSymbol, Mode::CancelPlace, Mode::Amend];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Legacy => "legacy sequential",
            Mode::PerSymbol => "seed per-symbol batch",
            Mode::CancelPlace => "ours cancel+place",
            Mode::Amend => "ours amend",
        }
    }

    fn apply(self, c: &mut Config) {
        match self {
            Mode::Legacy => c.async_batch.enabled = false,
            Mode::PerSymbol => c.async_batch.coalesce_scope = CoalesceScope::Symbol,
            Mode::CancelPlace => {}
            Mode::Amend => c.quoting.reprice = Reprice::Amend,
        }
    }
}

/// What a mode must do per tick once every order rests (every order moves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Order commands per tick (cancels + places, or amends).
    pub commands: u64,
    /// Order requests per tick.
    pub requests: u64,
    /// Dependent rounds of requests per tick.
    pub rounds: u64,
    /// Rounds of the first tick, which only places.
    pub first_rounds: u64,
}

impl Plan {
    pub fn of(mode: Mode, symbols: u32, levels: u32, max_parallel: u32) -> Plan {
        let per_symbol = 2 * u64::from(levels);
        let orders = u64::from(symbols) * per_symbol;
        let par = u64::from(max_parallel.max(1));
        let phase = |batches: u64| batches.div_ceil(par);
        match mode {
            Mode::Legacy => Plan {
                commands: 2 * orders,
                requests: 2 * orders,
                rounds: 2 * orders,
                first_rounds: orders,
            },
            Mode::PerSymbol => {
                let b = u64::from(symbols) * per_symbol.div_ceil(BATCH);
                Plan {
                    commands: 2 * orders,
                    requests: 2 * b,
                    rounds: 2 * phase(b),
                    first_rounds: phase(b),
                }
            }
            Mode::CancelPlace => {
                let b = orders.div_ceil(BATCH);
                Plan {
                    commands: 2 * orders,
                    requests: 2 * b,
                    rounds: 2 * phase(b),
                    first_rounds: phase(b),
                }
            }
            Mode::Amend => {
                let b = orders.div_ceil(BATCH);
                Plan {
                    commands: orders,
                    requests: b,
                    rounds: phase(b),
                    first_rounds: phase(b),
                }
            }
        }
    }
}

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
    pub max_batch_size: u32,
    pub max_parallel_symbols: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub settings: BenchSettings,
    pub seed: Vec<BenchRow>,
    pub scale: Vec<BenchRow>,
    pub elapsed_s: f64,
}

pub async fn run(args: BenchArgs) -> Result<(), String> {
    let started = std::time::Instant::now();
    let dir = std::env::temp_dir().join(format!(
        "mm-bench-{}-{}",
        std::process::id(),
        crate::run::session_id(crate::now_ms())
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("bench: {}: {e}", dir.display()))?;
    let result = run_in(&args, &dir, started).await;
    let _ = std::fs::remove_dir_all(&dir);
    let report = result?;
    print!("{}", render(&report));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("bench: {}: {e}", path.display()))?;
    }
    Ok(())
}

async fn run_in(
    args: &BenchArgs,
    dir: &Path,
    started: std::time::Instant,
) -> Result<BenchReport, String> {
    let base = mm_core::config::AsyncBatchConfig::default();
    let ticks = args.ticks.max(2);
    let legacy_ticks = (ticks / 5).max(ticks.min(3));
    let scale_ticks = (ticks / 10).max(2);
    let settings = BenchSettings {
        ticks,
        legacy_ticks,
        scale_ticks,
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        symbols: args.symbols,
        levels: args.levels,
        tier: "institutional",
        rate_per_endpoint: RATE,
        fills: false,
        walk_bps: WALK_BPS,
        max_batch_size: base.max_batch_size,
        max_parallel_symbols: base.max_parallel_symbols,
    };
    eprintln!(
        "mm bench: seed scenario {} symbols x {} levels a side, L = {} ms (jitter 0..={} ms), {ticks} ticks a batch mode, {legacy_ticks} legacy; then {SCALE_SYMBOLS} x {SCALE_LEVELS}, {scale_ticks} ticks a mode",
        args.symbols, args.levels, args.latency_ms, args.jitter_ms
    );
    let mut seed = Vec::new();
    for mode in Mode::ALL {
        let n = if mode == Mode::Legacy {
            legacy_ticks
        } else {
            ticks
        };
        seed.push(measure(args, mode, args.symbols, args.levels, n, dir).await?);
    }
    let legacy_p95 = seed
        .iter()
        .find(|r| r.mode == Mode::Legacy)
        .map_or(0, |r| r.tick_p95_ms);
    for r in &mut seed {
        r.speedup_vs_legacy = Some(ratio(legacy_p95, r.tick_p95_ms));
    }
    let mut scale = Vec::new();
    for mode in Mode::BATCHED {
        scale.push(measure(args, mode, SCALE_SYMBOLS, SCALE_LEVELS, scale_ticks, dir).await?);
    }
    Ok(BenchReport {
        settings,
        seed,
        scale,
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}

#[allow(clippy::cast_precision_loss)]
fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        return f64::INFINITY;
    }
    a as f64 / b as f64
}

/// One mode at one size: a session of `ticks` ticks and a 1-tick baseline,
/// each against a fresh simulator.
async fn measure(
    args: &BenchArgs,
    mode: Mode,
    symbols: u32,
    levels: u32,
    ticks: u64,
    dir: &Path,
) -> Result<BenchRow, String> {
    let max_parallel = mm_core::config::AsyncBatchConfig::default().max_parallel_symbols;
    let plan = Plan::of(mode, symbols, levels, max_parallel);
    // The 1-tick baseline first: its tick (places only) tells how long a
    // round really takes on this machine (debug builds, loaded cores).
    let mut config = config_for(symbols, levels, args.latency_ms);
    mode.apply(&mut config);
    let formula = plan.rounds * (args.latency_ms + args.jitter_ms + 1);
    config.async_batch.tick_deadline_ms = (8 * formula + 2000).min(3_600_000);
    config.quoting.max_book_age_ms = 3_600_000;
    let slug = format!("{mode:?}-{symbols}x{levels}").to_lowercase();
    let one = session(args, &config, symbols, 1, &dir.join(format!("{slug}-1"))).await;
    let one = one.map_err(|e| format!("bench {} (1 tick): {e}", mode.name()))?;
    let first_rounds = plan.first_rounds.max(1);
    let measured = one.0.tick_ms.p50 * plan.rounds / first_rounds;
    let expected = formula.max(measured);
    let by_time = if mode == Mode::Legacy {
        expected + expected / 3 + 20
    } else {
        2 * expected + 20
    };
    // Orders per endpoint per tick must fit the rolling-second budget (25% spare).
    let orders_per_endpoint = plan.commands / if mode == Mode::Amend { 1 } else { 2 };
    let by_budget = (orders_per_endpoint * 1000 * 5 / 4).div_ceil(RATE);
    let interval = by_time.max(by_budget).max(10);
    config.quoting.tick_interval_ms = interval;
    config.async_batch.tick_deadline_ms = (8 * expected + 2000).min(3_600_000);

    let many = session(args, &config, symbols, ticks, &dir.join(&slug)).await;
    let (summary, state) =
        many.map_err(|e| format!("bench {} ({ticks} ticks): {e}", mode.name()))?;
    let count = |s: &mm_sim::SimState, m: fn(&mm_sim::SimState) -> &BTreeMap<String, u64>| {
        ORDER_PATHS.iter().filter_map(|p| m(s).get(*p)).sum::<u64>()
    };
    let req = count(&state, |s| &s.requests_by_path)
        .saturating_sub(count(&one.1, |s| &s.requests_by_path));
    let ord =
        count(&state, |s| &s.orders_by_path).saturating_sub(count(&one.1, |s| &s.orders_by_path));
    let div = summary.ticks.saturating_sub(1).max(1);
    let limit = plan.rounds * args.latency_ms;
    #[allow(clippy::cast_precision_loss)]
    let row = BenchRow {
        mode,
        name: mode.name().to_string(),
        symbols,
        levels,
        ticks: summary.ticks,
        tick_interval_ms: interval,
        order_requests_per_tick: req as f64 / div as f64,
        orders_per_tick: ord as f64 / div as f64,
        expected: plan,
        tick_p50_ms: summary.tick_ms.p50,
        tick_p95_ms: summary.tick_ms.p95,
        tick_p99_ms: summary.tick_ms.p99,
        physical_limit_ms: limit,
        p95_over_limit: ratio(summary.tick_ms.p95, limit),
        speedup_vs_legacy: None,
        conflated_ticks: summary.conflated_ticks,
        stale_drops: summary.stale_drops,
        fallbacks: summary.fallbacks,
        rejects: summary.rejects,
        rate_limit_rejections: state.rate_limit_rejections,
        post_only_rejections: state.post_only_rejections,
    };
    eprintln!(
        "mm bench: {} {symbols}x{levels}: {} ticks, {:.1} requests/tick, p95 {} ms",
        row.name, row.ticks, row.order_requests_per_tick, row.tick_p95_ms
    );
    Ok(row)
}

/// One session against a fresh simulator; the summary and the simulator's
/// state at the end.
async fn session(
    args: &BenchArgs,
    config: &Config,
    symbols: u32,
    ticks: u64,
    stem: &Path,
) -> Result<(crate::RunSummary, mm_sim::SimState), String> {
    let sim = mm_sim::Sim::start(
        sim_config(args, symbols, config.exchange.request_timeout_ms),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .map_err(|e| format!("simulator: {e}"))?;
    let mut config = config.clone();
    config.exchange.base_url = Some(sim.base_url());
    let with = |ext: &str| -> PathBuf {
        let mut p = stem.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    let result = run_session(RunOptions {
        session_id: None,
        config: Some(config),
        ticks: Some(ticks),
        journal: Some(with(".mmj")),
        log: Some(with(".log")),
        metrics_addr: Some("off".to_string()),
        status_every_ms: 2000,
        reload_poll_ms: 500,
        sim: SimOptions::default(),
        signals: false,
        quiet: true,
        ..RunOptions::default()
    })
    .await;
    let state = sim.state();
    sim.shutdown().await;
    let summary = result.map_err(|e| e.to_string())?;
    Ok((summary, state))
}

/// The instruments: the seed's four, then generated ones (`X005USDT`, ...)
/// with prices spread over 1..1000 so rounding differs between them.
fn instruments(symbols: u32) -> Vec<(String, String, String, String, String)> {
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

fn config_for(symbols: u32, levels: u32, latency_ms: u64) -> Config {
    let rows = instruments(symbols);
    let mut c = crate::paper::config(mm_sim::Tier::Institutional);
    c.quoting.symbols = rows.iter().map(|r| r.0.clone()).collect();
    c.quoting.levels = levels;
    c.quoting.order_qty = OrderQty::PerSymbol(
        rows.iter()
            .filter_map(|r| r.4.parse().ok().map(|q| (r.0.clone(), q)))
            .collect(),
    );
    c.rate_limits = crate::paper::rate_limits(mm_sim::Tier::Institutional);
    c.exchange.request_timeout_ms = (2000 + 10 * latency_ms).min(60_000);
    c
}

fn sim_config(args: &BenchArgs, symbols: u32, request_timeout_ms: u64) -> mm_sim::SimConfig {
    let mut limits = mm_sim::Limits::for_tier(mm_sim::Tier::Institutional);
    limits.ip_max_requests = 0;
    mm_sim::SimConfig {
        seed: 1,
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        tier: mm_sim::Tier::Institutional,
        limits: Some(limits),
        fills: false,
        walk_bps: WALK_BPS,
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

/// The table (stdout).
pub fn render(r: &BenchReport) -> String {
    use std::fmt::Write as _;
    let s = &r.settings;
    let mut out = String::new();
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
    header(&mut out, true);
    for row in &r.seed {
        line(&mut out, row, true);
    }
    let _ = writeln!(
        out,
        "\nscale: {SCALE_SYMBOLS} symbols x {SCALE_LEVELS} levels a side ({} orders), {} ticks a mode, max_parallel_symbols = {} (a phase of more batches takes several rounds)",
        2 * SCALE_SYMBOLS * SCALE_LEVELS,
        s.scale_ticks,
        s.max_parallel_symbols
    );
    header(&mut out, false);
    for row in &r.scale {
        line(&mut out, row, false);
    }
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
    let _ = writeln!(out, "elapsed {:.1} s", r.elapsed_s);
    out
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
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_of_the_seed_scenario() {
        let p = |m| Plan::of(m, 4, 5, 10).requests;
        assert_eq!(p(Mode::Legacy), 80);
        assert_eq!(p(Mode::PerSymbol), 8);
        assert_eq!(p(Mode::CancelPlace), 4);
        assert_eq!(p(Mode::Amend), 2);
        assert_eq!(Plan::of(Mode::CancelPlace, 4, 5, 10).rounds, 2);
        assert_eq!(Plan::of(Mode::Amend, 4, 5, 10).rounds, 1);
        assert_eq!(Plan::of(Mode::Legacy, 4, 5, 10).rounds, 80);
        // 1000 orders: 50 batches a phase, 5 rounds each at 10 in flight.
        assert_eq!(Plan::of(Mode::CancelPlace, 50, 10, 10).rounds, 10);
        assert_eq!(Plan::of(Mode::PerSymbol, 50, 10, 10).requests, 100);
    }

    #[test]
    fn generated_instruments_are_distinct_and_valid_symbols() {
        let rows = instruments(SCALE_SYMBOLS);
        let mut names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SCALE_SYMBOLS as usize);
        assert!(names.iter().all(|n| {
            n.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }));
    }
}
