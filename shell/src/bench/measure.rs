//! Measuring one mode: a 1-tick baseline and an N-tick session, each
//! against a fresh simulator, turned into a `BenchRow`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mm_core::Config;
use mm_sim::Tier;

use super::scenario::{config_for, sim_config};
use super::{BenchError, BenchRow, Mode, ORDER_PATHS, Plan, RATE, TRADE_OPS};

/// The exchange's (and core's) rate window.
const WINDOW_MS: u64 = 1000;
use crate::cli::BenchArgs;
use crate::paper::SimOptions;
use crate::run::{RunOptions, run_session};

#[allow(clippy::cast_precision_loss)]
pub(super) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        return f64::INFINITY;
    }
    a as f64 / b as f64
}

/// The order requests and orders a row is per tick of, and over how many
/// ticks they were counted.
pub(super) struct Counted {
    pub(super) requests: u64,
    pub(super) orders: u64,
    pub(super) ticks: u64,
}

/// A measured session (its summary and the simulator's state at the end)
/// as a row of `mode` run with `config`.
pub(super) fn row(
    mode: Mode,
    plan: Plan,
    config: &Config,
    latency_ms: u64,
    (summary, state): &(crate::RunSummary, mm_sim::SimState),
    counted: &Counted,
) -> BenchRow {
    let quality = Quality::of(state);
    let div = counted.ticks.max(1);
    let limit = plan.rounds * latency_ms;
    #[allow(clippy::cast_precision_loss)]
    BenchRow {
        mode,
        name: mode.name().to_string(),
        symbols: u32::try_from(config.quoting.symbols.len()).unwrap_or(u32::MAX),
        levels: config.quoting.levels,
        ticks: summary.ticks,
        tick_interval_ms: config.quoting.tick_interval_ms,
        order_requests_per_tick: counted.requests as f64 / div as f64,
        orders_per_tick: counted.orders as f64 / div as f64,
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
        requests_per_s: quality.per_second(order_count(state, |s| &s.requests_by_path)),
        inner_coverage: quality.inner_coverage,
        coverage: quality.coverage,
        mean_deviation_bps: quality.mean_deviation_bps,
        observed_s: quality.observed_s,
    }
}

/// One mode at one size: a session of `ticks` ticks and a 1-tick baseline,
/// each against a fresh simulator.
pub(super) async fn measure(
    args: &BenchArgs,
    mode: Mode,
    symbols: u32,
    levels: u32,
    ticks: u64,
    dir: &Path,
) -> Result<BenchRow, BenchError> {
    let max_parallel = mm_core::config::AsyncBatchConfig::default().max_parallel_symbols;
    let plan = Plan::of(mode, symbols, levels, max_parallel);
    // The 1-tick baseline first: its tick (places only) tells how long a
    // round really takes on this machine (debug builds, loaded cores).
    let mut config = config_for(symbols, levels, args.latency_ms, Tier::Institutional);
    mode.apply(&mut config);
    let formula = plan.rounds * (args.latency_ms + args.jitter_ms + 1);
    config.async_batch.tick_deadline_ms = (8 * formula + 2000).min(3_600_000);
    config.quoting.max_book_age_ms = 3_600_000;
    // The baseline must be exactly one tick: at the default 200 ms interval a
    // first tick longer than that (legacy, per-symbol 100 x 3) gets a poll
    // conflated into it, core starts that tick's first round as tick 1 ends,
    // and those requests, counted in the baseline, were subtracted from every
    // measured tick (79.9 and 198.9 requests instead of 80 and 200). The
    // first poll is immediate, so a long interval costs nothing; it stays
    // below max_book_age_ms, which must exceed it.
    config.quoting.tick_interval_ms = config.async_batch.tick_deadline_ms.min(3_599_999);
    let slug = format!("{mode:?}-{symbols}x{levels}").to_lowercase();
    let one = session(
        args,
        &config,
        Tier::Institutional,
        1,
        &dir.join(format!("{slug}-1")),
    )
    .await;
    let one = one.map_err(|e| e.of(mode, 1))?;
    let first_rounds = plan.first_rounds.max(1);
    let measured = one.0.tick_ms.p50 * plan.rounds / first_rounds;
    let expected = formula.max(measured);
    // Twice the baseline tick for every mode: a later tick (cancels and places) can take
    // well over 4/3 of the baseline's (places only) when requests are CPU-bound (L = 1 ms in
    // a debug build on loaded cores), and a conflated poll adds requests to the count.
    let by_time = 2 * expected + 20;
    // The rate budget must never bind: core holds a spend until a rolling
    // second after its reply, so the ticks whose spends overlap (one tick's
    // duration plus the window, over the interval) must fit the budget with
    // 25% spare. At 600 orders an endpoint (100 x 3) only one tick fits: the
    // interval is then longer than a second.
    let amends = mode.over_rest() == Mode::Amend;
    let orders_per_endpoint = plan.commands / if amends { 1 } else { 2 };
    let ticks_per_window = (RATE * 4 / (5 * orders_per_endpoint.max(1))).max(1);
    let by_budget = (WINDOW_MS + by_time).div_ceil(ticks_per_window);
    let interval = by_time.max(by_budget).max(10);
    config.quoting.tick_interval_ms = interval;
    config.async_batch.tick_deadline_ms = (8 * expected + 2000).min(3_600_000);

    let many = session(args, &config, Tier::Institutional, ticks, &dir.join(&slug)).await;
    let many = many.map_err(|e| e.of(mode, ticks))?;
    let counted = Counted {
        requests: order_count(&many.1, |s| &s.requests_by_path)
            .saturating_sub(order_count(&one.1, |s| &s.requests_by_path)),
        orders: order_count(&many.1, |s| &s.orders_by_path)
            .saturating_sub(order_count(&one.1, |s| &s.orders_by_path)),
        ticks: many.0.ticks.saturating_sub(1),
    };
    let row = row(mode, plan, &config, args.latency_ms, &many, &counted);
    eprintln!(
        "mm bench: {} {symbols}x{levels}: {} ticks, {:.1} requests/tick, p95 {} ms",
        row.name, row.ticks, row.order_requests_per_tick, row.tick_p95_ms
    );
    Ok(row)
}

/// Order requests (or the orders they carried) the simulator counted, REST
/// paths and trade-stream ops alike.
pub(super) fn order_count(
    s: &mm_sim::SimState,
    m: fn(&mm_sim::SimState) -> &BTreeMap<String, u64>,
) -> u64 {
    let by_path = m(s);
    (ORDER_PATHS.iter().chain(&TRADE_OPS))
        .filter_map(|p| by_path.get(*p))
        .sum::<u64>()
}

/// The simulator's quote quality of a session, pooled over its symbols.
pub(super) struct Quality {
    pub(super) inner_coverage: f64,
    pub(super) coverage: f64,
    pub(super) mean_deviation_bps: Option<f64>,
    /// From the first order resting to the end of the session.
    pub(super) observed_s: f64,
}

impl Quality {
    pub(super) fn of(state: &mm_sim::SimState) -> Quality {
        let q = state.quality.as_ref();
        Quality {
            inner_coverage: q.map_or(0.0, |q| q.inner_coverage),
            coverage: q.map_or(0.0, |q| q.coverage),
            mean_deviation_bps: q.and_then(|q| q.mean_deviation_bps),
            observed_s: q.map_or(0.0, |q| q.observed_ms / 1000.0),
        }
    }

    /// `n` over the observed time.
    #[allow(clippy::cast_precision_loss)]
    pub(super) fn per_second(&self, n: u64) -> f64 {
        if self.observed_s > 0.0 {
            n as f64 / self.observed_s
        } else {
            0.0
        }
    }
}

/// One session against a fresh simulator; the summary and the simulator's
/// state at the end.
pub(super) async fn session(
    args: &BenchArgs,
    config: &Config,
    tier: Tier,
    ticks: u64,
    stem: &Path,
) -> Result<(crate::RunSummary, mm_sim::SimState), SessionError> {
    let sim = mm_sim::Sim::start(
        sim_config(args, config, tier),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .map_err(SessionError::Simulator)?;
    let mut config = config.clone();
    config.exchange.base_url = Some(sim.base_url());
    let result = run_session(run_options(config, ticks, stem)).await;
    let state = sim.state();
    sim.shutdown().await;
    let summary = result.map_err(SessionError::Run)?;
    Ok((summary, state))
}

/// A bench session's options: in-process, against the simulator in
/// `config.exchange.base_url`, no metrics server, no status line, its
/// journal and log at `stem` + `.mmj` / `.log`.
pub(super) fn run_options(config: Config, ticks: u64, stem: &Path) -> RunOptions {
    RunOptions {
        session_id: None,
        config: Some(config),
        ticks: Some(ticks),
        journal: Some(with_ext(stem, ".mmj")),
        log: Some(with_ext(stem, ".log")),
        metrics_addr: Some("off".to_string()),
        status_every_ms: 2000,
        reload_poll_ms: 500,
        sim: SimOptions::default(),
        signals: false,
        quiet: true,
        ..RunOptions::default()
    }
}

/// `stem` with `ext` appended (a stem may contain dots).
pub(super) fn with_ext(stem: &Path, ext: &str) -> PathBuf {
    let mut p = stem.as_os_str().to_owned();
    p.push(ext);
    PathBuf::from(p)
}

/// A measured session that failed, before `measure` names its mode.
#[derive(Debug)]
pub(super) enum SessionError {
    Simulator(std::io::Error),
    Run(crate::RunError),
}

impl SessionError {
    pub(super) fn of(self, mode: Mode, ticks: u64) -> BenchError {
        match self {
            SessionError::Simulator(e) => BenchError::Simulator(e),
            SessionError::Run(e) => BenchError::Session {
                mode: mode.name(),
                ticks,
                source: Box::new(e),
            },
        }
    }
}
