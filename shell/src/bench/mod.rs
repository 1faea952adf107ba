//! `mm bench`: the seed scenario side by side (legacy, per-symbol batches,
//! cross-symbol cancel+place, amend, and those two with order requests over
//! the trade stream, `exchange.order_transport = "ws"`) against an
//! in-process simulator, then
//! two scale runs, batch modes only (`SCALES`): 50 symbols x 10 levels a side,
//! where a symbol's 20 orders fill one batch exactly (per-symbol and
//! cross-symbol batching send the same requests), and 100 x 3, where a
//! symbol's 6 orders leave its per-symbol batch mostly empty (cross-symbol
//! batches need 30 requests a phase, per-symbol ones 100).
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
//!   amend, cancel and their batch endpoints, or the same ops on `/v5/trade`,
//!   which it files under their op names): a session of N ticks minus a
//!   session of 1 tick (the first tick only places; bench sessions shut down
//!   with `shutdown.cancel = "symbol"`: cancel-all
//!   and realtime, which are not order paths), divided by N - 1.
//! - Tick P50/P95/P99 are core's `TickDone` durations (nearest rank, every
//!   completed tick).
//! - The ws rows see the same L: the simulator delays a trade-stream request
//!   by the same latency and seeded jitter as a REST one (no per-path
//!   override is set), half before it is applied, half after.
//! - The physical limit is the number of dependent rounds times L: cancel
//!   then place is 2 rounds, amend 1, legacy one round per command (sent one
//!   at a time). A phase with more batches than `max_parallel_symbols` needs
//!   several rounds (the scale run).
//! - The tick interval is set per mode so a tick normally ends before the
//!   next poll (no conflation: one walk step per tick) and the rate budget
//!   is never the bottleneck; `tick_deadline_ms` is raised so legacy places
//!   are not dropped as stale.
//!
//! - Quote quality comes from the simulator (`mm_sim::QuoteQuality`, measured
//!   from its own book against the config's ladder): coverage of the inner
//!   level and of all levels, mean deviation in bps, from the first order
//!   resting to the end of the session (its shutdown included: a few round
//!   trips with the quotes withdrawn, well under 1% of a 100-tick session);
//!   requests/s are the session's order requests over that time.
//!
//! `--tier default` (`binding`) measures the seed scenario at Bybit's
//! default rate limits instead, where the budget binds: per-symbol batches,
//! cancel+place and amend (a planned mode slots into `Mode::DEFAULT_TIER`),
//! core's default tick interval and deadline, a market walking in time
//! (3 bps a second).
//!
//! The streams section (`streams`, also alone with `--streams-only`):
//! issue 11's benchmark, fill -> core's position and book change -> the
//! first request that re-quotes it, each with its stream and without
//! (REST with the private stream down, polling), core's defaults at the same tick interval;
//! timed from the simulator's record to the session's journal replayed.
//!
//! The quotes section (`quotes`, also alone with `--quotes-only`): issue
//! 12's benchmark, a quote set written on the `--quotes` socket or pushed
//! through the Rust API -> accepted, and -> the first order request that
//! carries it, at core's default tick interval and a short one.
//!
//! | module     | job |
//! |------------|-----|
//! | `plan`     | the modes and what each must do per tick |
//! | `scenario` | instruments, mm config, simulator config |
//! | `measure`  | one mode at one size -> a `BenchRow` (institutional tier) |
//! | `binding`  | one mode at the default tier -> a `BenchRow` |
//! | `streams`  | fill and book-change latencies, streams vs REST: four sessions -> `LatencyRow`s |
//! | `quotes`   | quote set -> accepted and -> first request, socket vs Rust API: four sessions -> `QuoteRow`s |
//! | `latency`  | those latencies from the simulator's record and the session's journal replayed |
//! | `report`   | rows, settings, the tables |

mod binding;
mod latency;
mod measure;
mod plan;
mod quotes;
mod report;
mod scenario;
mod streams;

use std::path::{Path, PathBuf};

use crate::cli::BenchArgs;

pub use plan::{Mode, Plan};
pub use quotes::{Pair, QuoteRow, QuotesReport};
pub use report::{
    BenchReport, BenchRow, BenchSettings, LatencyRow, Percentiles, StreamsReport, render,
};

use measure::{measure, ratio};

pub const ORDER_PATHS: [&str; 6] = [
    "/v5/order/create",
    "/v5/order/amend",
    "/v5/order/cancel",
    "/v5/order/create-batch",
    "/v5/order/amend-batch",
    "/v5/order/cancel-batch",
];

/// The same requests over the trade stream, as the simulator counts them.
pub const TRADE_OPS: [&str; 6] = [
    mm_bybit::ws::trade::OP_CREATE,
    mm_bybit::ws::trade::OP_AMEND,
    mm_bybit::ws::trade::OP_CANCEL,
    mm_bybit::ws::trade::OP_CREATE_BATCH,
    mm_bybit::ws::trade::OP_AMEND_BATCH,
    mm_bybit::ws::trade::OP_CANCEL_BATCH,
];

/// Quote sets a quotes session sends at least when `--quote-sets` is not
/// given (else `--ticks`: 100 sets make the P99 the 99th, not the largest).
const MIN_QUOTE_SETS: u64 = 10;
/// Units per second per order endpoint at the institutional tier.
const RATE: u64 = 1000;
/// Exchange batch limit (linear) and the config's chunk size.
const BATCH: u64 = 20;
/// The scale runs' shapes: (symbols, levels a side).
pub const SCALES: [(u32, u32); 2] = [(50, 10), (100, 3)];
/// Walk step (bps of mid): per ticker poll at the institutional tier, per
/// `WALK_EVERY_MS` at the default tier.
const WALK_BPS: u32 = 3;
/// The default tier's market steps this often: every 5th tick at core's
/// default 200 ms. Then a step asks for 40 reprices while the budget carries
/// 10 a second per endpoint (it binds 4x), and a mode that spends its budget
/// on the inner levels first can hold them; a step every tick would make
/// the 1 bps tolerance unreachable for any mode.
const WALK_EVERY_MS: u64 = 1000;

/// Why `mm bench` stopped (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("bench: {}: {source}", .path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bench: {0}")]
    Json(#[from] serde_json::Error),
    #[error("bench: simulator: {0}")]
    Simulator(std::io::Error),
    #[error("bench: journal {}: {reason}", .path.display())]
    Journal { path: PathBuf, reason: String },
    /// The quotes section's strategy could not drive its session.
    #[error("bench quotes: {0}")]
    Quotes(String),
    /// A measured session did not end cleanly.
    #[error("bench {mode} ({ticks} ticks): {source}")]
    Session {
        mode: &'static str,
        ticks: u64,
        source: Box<crate::RunError>,
    },
}

pub async fn run(args: BenchArgs) -> Result<(), BenchError> {
    let started = std::time::Instant::now();
    let dir = std::env::temp_dir().join(format!(
        "mm-bench-{}-{}",
        std::process::id(),
        crate::run::session_id(crate::now_ms())
    ));
    std::fs::create_dir_all(&dir).map_err(|source| BenchError::File {
        path: dir.clone(),
        source,
    })?;
    let result = run_in(&args, &dir, started).await;
    let _ = std::fs::remove_dir_all(&dir);
    let report = result?;
    #[allow(clippy::print_stdout)] // the table is the subcommand's output
    {
        print!("{}", render(&report));
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n").map_err(|source| BenchError::File {
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

async fn run_in(
    args: &BenchArgs,
    dir: &Path,
    started: std::time::Instant,
) -> Result<BenchReport, BenchError> {
    if args.tier == mm_sim::Tier::Default {
        return run_default_tier(args, dir, started).await;
    }
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
        walk_interval_ms: 0,
        tick_interval_ms: None,
        tick_deadline_ms: None,
        max_batch_size: base.max_batch_size,
        max_parallel_symbols: base.max_parallel_symbols,
        scales: SCALES.to_vec(),
    };
    let sets = args.quote_sets.unwrap_or(ticks.max(MIN_QUOTE_SETS));
    if args.streams_only || args.quotes_only {
        let streams = if args.streams_only {
            Some(streams::measure_streams(args, ticks, dir).await?)
        } else {
            None
        };
        let quotes = if args.quotes_only {
            Some(quotes::measure_quotes(args, sets, dir).await?)
        } else {
            None
        };
        return Ok(BenchReport {
            settings,
            seed: Vec::new(),
            scale: Vec::new(),
            streams,
            quotes,
            elapsed_s: started.elapsed().as_secs_f64(),
        });
    }
    eprintln!(
        "mm bench: seed scenario {} symbols x {} levels a side, L = {} ms (jitter 0..={} ms), {ticks} ticks a batch mode, {legacy_ticks} legacy; then {}, {scale_ticks} ticks a mode",
        args.symbols,
        args.levels,
        args.latency_ms,
        args.jitter_ms,
        SCALES.map(|(s, l)| format!("{s} x {l}")).join(" and ")
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
    for (symbols, levels) in SCALES {
        for mode in Mode::BATCHED {
            scale.push(measure(args, mode, symbols, levels, scale_ticks, dir).await?);
        }
    }
    let streams = streams::measure_streams(args, ticks, dir).await?;
    let quotes = quotes::measure_quotes(args, sets, dir).await?;
    Ok(BenchReport {
        settings,
        seed,
        scale,
        streams: Some(streams),
        quotes: Some(quotes),
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}

/// `--tier default`: the seed-size modes of `Mode::DEFAULT_TIER`, no scale runs.
async fn run_default_tier(
    args: &BenchArgs,
    dir: &Path,
    started: std::time::Instant,
) -> Result<BenchReport, BenchError> {
    let core = mm_core::Config::default();
    let ticks = args.ticks.max(2);
    let limits = mm_sim::Limits::for_tier(mm_sim::Tier::Default);
    let rate = limits
        .uid_limit(mm_bybit::paths::CREATE_BATCH, mm_bybit::Category::Linear)
        .map_or(0, |(_, n)| u64::from(n));
    let settings = BenchSettings {
        ticks,
        legacy_ticks: 0,
        scale_ticks: 0,
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        symbols: args.symbols,
        levels: args.levels,
        tier: "default",
        rate_per_endpoint: rate,
        fills: false,
        walk_bps: WALK_BPS,
        walk_interval_ms: WALK_EVERY_MS,
        tick_interval_ms: Some(core.quoting.tick_interval_ms),
        tick_deadline_ms: Some(core.async_batch.tick_deadline_ms),
        max_batch_size: core.async_batch.max_batch_size,
        max_parallel_symbols: core.async_batch.max_parallel_symbols,
        scales: Vec::new(),
    };
    eprintln!(
        "mm bench --tier default: {} symbols x {} levels, L = {} ms (jitter 0..={} ms), {ticks} ticks a mode",
        args.symbols, args.levels, args.latency_ms, args.jitter_ms
    );
    let mut seed = Vec::new();
    for mode in Mode::DEFAULT_TIER {
        seed.push(binding::measure_default_tier(args, mode, ticks, dir).await?);
    }
    Ok(BenchReport {
        settings,
        seed,
        scale: Vec::new(),
        streams: None,
        quotes: None,
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}
