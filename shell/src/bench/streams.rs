//! The streams section (issue 11's benchmark): how soon core learns of a
//! fill, and how soon it re-quotes a book change, with the streams and
//! without, side by side in one run. Four sessions of core's defaults
//! (cancel+place, a tick every 200 ms, open orders reconciled every 2 s
//! while the private stream is down), each against a fresh simulator whose
//! market walks in time (not per poll), so every variant sees the same
//! market whatever it polls:
//!
//! | session | market | variant |
//! |---------|--------|---------|
//! | fills, stream | `FILL_WALK_BPS` every `FILL_WALK_MS`, fills on | the private stream (and the book stream) |
//! | fills, REST | the same | the private stream cut `OUTAGE_AFTER_MS` after it first connected and refused from then on (`SimHandle::set_private_stream`): core reconciles over REST |
//! | books, stream | `BOOK_WALK_BPS` every `BOOK_WALK_MS`, fills off | the public book stream |
//! | books, polling | the same | `exchange.streams = false`: tickers polled every tick |
//!
//! The measuring is in `latency`. Fills are counted from when core knew the
//! private stream's state (up, or down in the REST session) until
//! `reconcile_interval_ms + CENSOR_MARGIN_MS` before shutdown, so a fill
//! made too late for a reconcile to find counts in neither variant.

use std::path::Path;
use std::time::Duration;

use mm_sim::{SimHandle, Tier};

use super::BenchError;
use super::latency::{Samples, Trace, book_changes, fills};
use super::measure::{run_options, with_ext};
use super::report::{LatencyRow, Percentiles, StreamsReport};
use super::scenario::{config_for, sim_config};
use crate::cli::BenchArgs;
use crate::run::run_session;

/// A session runs at least this many ticks (the smoke test's `--ticks 3`
/// would leave nothing to measure).
pub(super) const MIN_TICKS: u64 = 25;
/// The fill sessions' market: about two fills a tick at the seed size.
const FILL_WALK_BPS: u32 = 4;
const FILL_WALK_MS: u64 = 50;
/// The book sessions' market: a step every 270 ms, 70 ms further into the
/// 200 ms tick each time, so steps fall at every phase of the tick timer
/// within a few steps (a multiple of half the interval would hit only one
/// or two phases, and the P50 would be theirs).
const BOOK_WALK_BPS: u32 = 3;
const BOOK_WALK_MS: u64 = 270;
/// The REST session's private stream is cut this long after it connected
/// (its first resync done).
const OUTAGE_AFTER_MS: u64 = 300;
const CENSOR_MARGIN_MS: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    PrivateStream,
    PrivateDown,
    BookStream,
    Polling,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::PrivateStream => "private stream",
            Variant::PrivateDown => "REST (stream down)",
            Variant::BookStream => "book stream",
            Variant::Polling => "polling",
        }
    }

    fn fills(self) -> bool {
        matches!(self, Variant::PrivateStream | Variant::PrivateDown)
    }
}

/// A session as both sides saw it.
struct Observed {
    trace: Trace,
    execs: Vec<mm_sim::SimExecution>,
    walks: Vec<u64>,
}

/// The four sessions of `ticks` ticks (at least `MIN_TICKS`) and their rows.
pub(super) async fn measure_streams(
    args: &BenchArgs,
    ticks: u64,
    dir: &Path,
) -> Result<StreamsReport, BenchError> {
    let ticks = ticks.max(MIN_TICKS);
    let base = config_for(
        args.symbols,
        args.levels,
        args.latency_ms,
        Tier::Institutional,
    );
    let reconcile = base.exchange.reconcile_interval_ms;
    let mut rows = Vec::new();

    let [stream, rest] = [Variant::PrivateStream, Variant::PrivateDown];
    let (s_known, s_pos) =
        fill_samples(&observe(args, stream, ticks, dir).await?, stream, reconcile);
    let (r_known, r_pos) = fill_samples(&observe(args, rest, ticks, dir).await?, rest, reconcile);
    push_pair(
        &mut rows,
        "fill -> position",
        [stream, rest],
        [&s_pos, &r_pos],
    );
    push_pair(
        &mut rows,
        "fill -> core knows",
        [stream, rest],
        [&s_known, &r_known],
    );

    let [stream, poll] = [Variant::BookStream, Variant::Polling];
    let s = observe(args, stream, ticks, dir).await?;
    let p = observe(args, poll, ticks, dir).await?;
    let (s, p) = (
        book_changes(&s.trace, &s.walks),
        book_changes(&p.trace, &p.walks),
    );
    push_pair(
        &mut rows,
        "book change -> first request",
        [stream, poll],
        [&s, &p],
    );
    for r in &rows {
        eprintln!(
            "mm bench streams: {} ({}): {} of {} seen, p50 {:?} ms, p99 {:?} ms",
            r.measure,
            r.variant,
            r.latency.seen,
            r.latency.events,
            r.latency.p50_ms,
            r.latency.p99_ms
        );
    }
    Ok(StreamsReport {
        ticks,
        tick_interval_ms: base.quoting.tick_interval_ms,
        reconcile_interval_ms: reconcile,
        fill_walk_bps: FILL_WALK_BPS,
        fill_walk_ms: FILL_WALK_MS,
        book_walk_bps: BOOK_WALK_BPS,
        book_walk_ms: BOOK_WALK_MS,
        outage_after_ms: OUTAGE_AFTER_MS,
        rows,
    })
}

/// The stream variant's row, then the other's with its P50 over the stream's.
fn push_pair(
    rows: &mut Vec<LatencyRow>,
    measure: &'static str,
    variants: [Variant; 2],
    samples: [&Samples; 2],
) {
    let [a, b] = samples.map(Samples::percentiles);
    let ratio = match (a.p50_ms, b.p50_ms) {
        (Some(x), Some(y)) if x > 0 => Some(y as f64 / x as f64),
        _ => None,
    };
    let row = |v: Variant, latency: Percentiles, p50_vs_stream| LatencyRow {
        measure,
        variant: v.name(),
        latency,
        p50_vs_stream,
    };
    rows.push(row(
        variants[0],
        a,
        a.p50_ms.filter(|&x| x > 0).map(|_| 1.0),
    ));
    rows.push(row(variants[1], b, ratio));
}

/// Fill -> core knows and fill -> position, for the fills made while the
/// variant's private stream state held (see the module docs).
fn fill_samples(o: &Observed, v: Variant, reconcile_ms: u64) -> (Samples, Samples) {
    let t = &o.trace;
    let from = match v {
        Variant::PrivateDown => t.private_down_ms,
        _ => t.private_up_ms,
    };
    let to = t
        .shutdown_ms
        .map(|s| s.saturating_sub(reconcile_ms + CENSOR_MARGIN_MS));
    match (from, to) {
        (Some(from), Some(to)) => fills(t, &o.execs, from, to),
        _ => (Samples::default(), Samples::default()),
    }
}

/// One session of `variant` against a fresh simulator.
async fn observe(
    args: &BenchArgs,
    variant: Variant,
    ticks: u64,
    dir: &Path,
) -> Result<Observed, BenchError> {
    let mut config = config_for(
        args.symbols,
        args.levels,
        args.latency_ms,
        Tier::Institutional,
    );
    config.exchange.streams = variant != Variant::Polling;
    let mut sim_cfg = sim_config(args, &config, Tier::Institutional);
    sim_cfg.fills = variant.fills();
    (sim_cfg.walk_bps, sim_cfg.walk_interval_ms) = if variant.fills() {
        (FILL_WALK_BPS, FILL_WALK_MS)
    } else {
        (BOOK_WALK_BPS, BOOK_WALK_MS)
    };
    sim_cfg.walk_on_poll = false;
    sim_cfg.quality = None;
    let sim = mm_sim::Sim::start(sim_cfg, std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(BenchError::Simulator)?;
    config.exchange.base_url = Some(sim.base_url());
    let stem = dir.join(format!("streams-{variant:?}").to_lowercase());
    let run = run_session(run_options(config, ticks, &stem));
    tokio::pin!(run);
    let result = if variant == Variant::PrivateDown {
        tokio::select! {
            r = &mut run => r,
            () = cut_private_stream(&sim) => run.await,
        }
    } else {
        run.await
    };
    let (execs, walks) = (sim.executions(), sim.walk_times());
    sim.shutdown().await;
    result.map_err(|e| BenchError::Session {
        mode: variant.name(),
        ticks,
        source: Box::new(e),
    })?;
    let path = with_ext(&stem, ".mmj");
    let bytes = std::fs::read(&path).map_err(|source| BenchError::File {
        path: path.clone(),
        source,
    })?;
    let journal = mm_core::journal::decode(&bytes).map_err(|e| BenchError::Journal {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if let Some(e) = &journal.damage {
        return Err(BenchError::Journal {
            path,
            reason: e.to_string(),
        });
    }
    let trace = Trace::of(&journal).map_err(|e| BenchError::Journal {
        path,
        reason: e.to_string(),
    })?;
    Ok(Observed {
        trace,
        execs,
        walks,
    })
}

/// Once both streams have connected (the simulator counts them), waits
/// `OUTAGE_AFTER_MS` and takes the private stream down for good.
async fn cut_private_stream(sim: &SimHandle) {
    while sim.state().stream_connections < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(OUTAGE_AFTER_MS)).await;
    sim.set_private_stream(false);
}
