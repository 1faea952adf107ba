//! The quotes section (issue 12's benchmark, also alone with
//! `--quotes-only`): how soon a quote set from the user's strategy is taken
//! and quoted, over the `--quotes` socket and through the Rust API
//! (`quoting::start`), side by side in one run.
//!
//! Six sessions, each against a fresh simulator whose market stands still
//! (no walk, fills off: every request is one of the sets'): both paths at
//! core's default tick interval and at a short one, so the figure is not
//! just the wait for the tick timer, with core's default cancel+place
//! (whose places wait one round trip for the tick's cancels), then at the
//! short interval with `quoting.reprice = "amend"` (the tick's first
//! request carries the new prices: what is left is ours). Otherwise core's
//! defaults, `quoting.source = "external"`, one symbol (BTCUSDT) with
//! `--levels` levels a side, books from the book stream (a tick starts on
//! the timer, not after a poll; `max_book_age_ms` raised so the standing
//! market's quiet topic does not fall back to polling). The bench is the strategy: it sends
//! `sets` quote sets, each moved `MOVE_BPS` from the one before (every set
//! must produce requests: the reprice tolerance is 1 bps), each after the
//! previous one was quoted and a pause that puts it at a different phase of
//! the tick timer (`phase_ms`), so none is conflated.
//!
//! Per set, two ends and two clocks:
//! - written -> accepted: both ends on the bench's monotonic clock
//!   (`Instant`), in microseconds: before the line is written (or the set
//!   pushed) and when the `accepted` event is read back.
//! - written -> the first order request carrying one of the set's prices
//!   (a place or an amend: with cancel+place the tick's cancels go first):
//!   the write on the bench's wall clock, the request from the session's
//!   journal replayed (as `latency` does): the `now_ms` of the input on
//!   which core emitted it. Both are this machine's wall clock read in whole
//!   ms (the write floored like the shell's `now_ms`), so each figure is
//!   +-1 ms. It is split at the journal's inputs into the wait for the tick
//!   timer (core read the set -> the next tick's input) and ours (written ->
//!   core read it, plus that tick -> the request).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mm_core::config::{QuoteSource, Reprice};
use mm_core::input::{QuoteLevel, QuoteSet};
use mm_core::journal::Journal;
use mm_core::replay::replay_with;
use mm_core::{Decimal, Effect, GridValue, Input, RequestKind};
use mm_sim::Tier;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::BenchError;
use super::measure::with_ext;
use super::scenario::{config_for, instruments, sim_config};
use crate::cli::BenchArgs;
use crate::quotes::{Link, Quoter, SessionEvent};
use crate::run::RunOptions;

/// Each set's prices are this far from the previous set's (bps of mid):
/// above the 1 bps reprice tolerance, so every level is re-quoted.
const MOVE_BPS: i128 = 4;
/// The inner level's distance from mid cycles through these many moves.
const CYCLE: i128 = 5;
/// Distance of the inner level from mid at the cycle's start, and between
/// levels (bps).
const INNER_BPS: i128 = 10;
const STEP_BPS: i128 = 5;
/// The short tick interval: at least this, and at least 3 L (a cancel+place
/// tick takes 2 L; a tick outlasting the interval would be conflated).
const SHORT_TICK_MS: u64 = 50;
/// `quoting.max_book_age_ms` of a quotes session: longer than any session.
const BOOK_AGE_MS: u64 = 3_600_000;
/// How long the bench waits for an event before calling the session stuck.
const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

/// Which way the sets travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Socket,
    RustApi,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Socket => "socket",
            Route::RustApi => "rust api",
        }
    }
}

/// P50 and P99 (nearest rank) of a measure, in ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Pair {
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl Pair {
    fn of(mut v: Vec<f64>) -> Pair {
        v.sort_by(f64::total_cmp);
        let at = |p: usize| {
            let rank = (p * v.len()).div_ceil(100).max(1);
            v.get(rank - 1).copied()
        };
        Pair {
            p50_ms: at(50),
            p99_ms: at(99),
        }
    }
}

/// One session: a path at a tick interval and a reprice mode.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteRow {
    pub path: &'static str,
    pub tick_interval_ms: u64,
    /// `quoting.reprice`: "cancel+place" or "amend".
    pub reprice: &'static str,
    /// Sets written (or pushed).
    pub sets: u64,
    /// Sets told `accepted`.
    pub accepted: u64,
    /// Sets whose prices core sent in an order request (found in the journal).
    pub requested: u64,
    /// Written -> `accepted` read back (bench's monotonic clock, us resolution).
    pub accepted_ms: Pair,
    /// Written -> the first order request carrying one of the set's prices.
    pub request_ms: Pair,
    /// Of that, core read the set -> the next tick began (the tick timer).
    pub tick_wait_ms: Pair,
    /// Of that, the rest: written -> core read it, plus tick -> request.
    pub ours_ms: Pair,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuotesReport {
    pub symbol: String,
    pub levels: u32,
    pub move_bps: u32,
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub rows: Vec<QuoteRow>,
}

/// The four sessions of `sets` sets each.
pub(super) async fn measure_quotes(
    args: &BenchArgs,
    sets: u64,
    dir: &Path,
) -> Result<QuotesReport, BenchError> {
    let default_tick = mm_core::Config::default().quoting.tick_interval_ms;
    let short_tick = SHORT_TICK_MS.max(3 * args.latency_ms);
    let mut rows = Vec::new();
    let runs = [
        (default_tick, Reprice::CancelPlace),
        (short_tick, Reprice::CancelPlace),
        (short_tick, Reprice::Amend),
    ];
    for (tick, reprice) in runs {
        for route in [Route::Socket, Route::RustApi] {
            let row = session(args, route, (tick, reprice), sets, dir).await?;
            eprintln!(
                "mm bench quotes: {} at {} ms ticks, {}: {} sets, {} accepted, {} requested; accepted p50 {:?} ms, request p50 {:?} ms (tick wait {:?})",
                row.path,
                row.tick_interval_ms,
                row.reprice,
                row.sets,
                row.accepted,
                row.requested,
                row.accepted_ms.p50_ms,
                row.request_ms.p50_ms,
                row.tick_wait_ms.p50_ms
            );
            rows.push(row);
        }
    }
    Ok(QuotesReport {
        symbol: symbol(),
        levels: args.levels,
        move_bps: u32::try_from(MOVE_BPS).unwrap_or(0),
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        rows,
    })
}

fn symbol() -> String {
    instruments(1)
        .into_iter()
        .next()
        .map_or_else(String::new, |r| r.0)
}

/// A set as the bench sent it.
struct Sent {
    set: QuoteSet,
    written_wall_ms: u64,
    accepted_us: Option<u64>,
}

/// One session of `route` at a tick interval and reprice mode against a
/// fresh simulator.
async fn session(
    args: &BenchArgs,
    route: Route,
    (tick_ms, reprice): (u64, Reprice),
    sets: u64,
    dir: &Path,
) -> Result<QuoteRow, BenchError> {
    let mut config = config_for(1, args.levels, args.latency_ms, Tier::Institutional);
    config.quoting.source = QuoteSource::External;
    config.quoting.tick_interval_ms = tick_ms;
    config.quoting.reprice = reprice;
    config.exchange.streams = true;
    // The market stands still, so after its snapshot the book stream says
    // nothing; a topic quiet for half this long falls back to polling, which
    // would put a poll's round trip between the timer and the tick.
    config.quoting.max_book_age_ms = BOOK_AGE_MS;
    let mut sim_cfg = sim_config(args, &config, Tier::Institutional);
    sim_cfg.walk_bps = 0;
    sim_cfg.walk_on_poll = false;
    sim_cfg.walk_interval_ms = 0;
    sim_cfg.quality = None;
    let sim = mm_sim::Sim::start(sim_cfg, std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(BenchError::Simulator)?;
    config.exchange.base_url = Some(sim.base_url());
    let stem = dir.join(format!(
        "quotes-{}-{tick_ms}-{}",
        route.name().replace(' ', "-"),
        reprice_name(reprice).replace('+', "-")
    ));
    let socket = with_ext(&stem, ".sock");
    let link = Link::default();
    let opts = RunOptions {
        config: Some(config),
        journal: Some(with_ext(&stem, ".mmj")),
        log: Some(with_ext(&stem, ".log")),
        metrics_addr: Some("off".to_string()),
        status_every_ms: 2000,
        reload_poll_ms: 500,
        signals: false,
        quiet: true,
        quotes_addr: (route == Route::Socket).then(|| socket.display().to_string()),
        link: Some(link.clone()),
        ..RunOptions::default()
    };
    let session = crate::quoting::start(opts);
    let quoter = Quoter::new(link);
    let driven = match route {
        Route::Socket => match Client::socket(&socket, &session.done).await {
            Ok(mut c) => drive(&mut c, sets, args.levels, tick_ms).await,
            Err(e) => Err(e),
        },
        Route::RustApi => {
            let mut c = Client::Api {
                quoter: quoter.clone(),
                events: session.events,
            };
            drive(&mut c, sets, args.levels, tick_ms).await
        }
    };
    quoter.stop();
    let result = session.done.await;
    sim.shutdown().await;
    let fail = |why: String| {
        BenchError::Quotes(format!(
            "{} at {tick_ms} ms ticks, {}: {why}",
            route.name(),
            reprice_name(reprice)
        ))
    };
    match result {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(fail(format!("the session did not end cleanly: {e}"))),
        Err(e) => return Err(fail(format!("the session task failed: {e}"))),
    }
    let sent = driven.map_err(fail)?;
    let journal = read_journal(&with_ext(&stem, ".mmj"))?;
    let trace = Trace::of(&journal).map_err(|e| BenchError::Journal {
        path: with_ext(&stem, ".mmj"),
        reason: e.to_string(),
    })?;
    let mut row = row(route, tick_ms, &sent, &trace);
    row.reprice = reprice_name(reprice);
    Ok(row)
}

fn reprice_name(r: Reprice) -> &'static str {
    match r {
        Reprice::CancelPlace => "cancel+place",
        Reprice::Amend => "amend",
        Reprice::Planned => "planned",
    }
}

fn read_journal(path: &PathBuf) -> Result<Journal, BenchError> {
    let bytes = std::fs::read(path).map_err(|source| BenchError::File {
        path: path.clone(),
        source,
    })?;
    let journal = mm_core::journal::decode(&bytes).map_err(|e| BenchError::Journal {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if let Some(e) = &journal.damage {
        return Err(BenchError::Journal {
            path: path.clone(),
            reason: e.to_string(),
        });
    }
    Ok(journal)
}

/// The measures of one session's sets.
fn row(route: Route, tick_ms: u64, sent: &[Sent], trace: &Trace) -> QuoteRow {
    let us_to_ms = |us: u64| us as f64 / 1000.0;
    let accepted: Vec<f64> = sent
        .iter()
        .filter_map(|s| s.accepted_us)
        .map(us_to_ms)
        .collect();
    let (mut request, mut wait, mut ours) = (Vec::new(), Vec::new(), Vec::new());
    let mut from = 0;
    for s in sent {
        let Some(m) = trace.measure(s, &mut from) else {
            continue;
        };
        request.push(m.request as f64);
        wait.push(m.tick_wait as f64);
        ours.push(m.request.saturating_sub(m.tick_wait) as f64);
    }
    QuoteRow {
        path: route.name(),
        tick_interval_ms: tick_ms,
        reprice: reprice_name(Reprice::CancelPlace),
        sets: sent.len() as u64,
        accepted: accepted.len() as u64,
        requested: request.len() as u64,
        accepted_ms: Pair::of(accepted),
        request_ms: Pair::of(request),
        tick_wait_ms: Pair::of(wait),
        ours_ms: Pair::of(ours),
    }
}

/// What the bench reads back, from either path.
enum Event {
    Books {
        bid: String,
        ask: String,
    },
    Accepted {
        id: Option<u64>,
    },
    Refused {
        reason: String,
    },
    /// A tick finished: the prices of the orders core tracks.
    Tick {
        prices: Vec<String>,
    },
    Other,
}

enum Client {
    Socket {
        write: tokio::net::unix::OwnedWriteHalf,
        read: tokio::io::Lines<BufReader<tokio::net::unix::OwnedReadHalf>>,
    },
    Api {
        quoter: Quoter,
        events: tokio::sync::broadcast::Receiver<SessionEvent>,
    },
}

impl Client {
    /// Connects once the session has bound its socket.
    async fn socket<T>(path: &Path, done: &tokio::task::JoinHandle<T>) -> Result<Client, String> {
        let end = Instant::now() + EVENT_TIMEOUT;
        loop {
            match tokio::net::UnixStream::connect(path).await {
                Ok(s) => {
                    let (read, write) = s.into_split();
                    return Ok(Client::Socket {
                        write,
                        read: BufReader::new(read).lines(),
                    });
                }
                Err(e) if done.is_finished() || Instant::now() > end => {
                    return Err(format!("connect {}: {e}", path.display()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    async fn send(&mut self, set: &QuoteSet, id: u64) -> Result<(), String> {
        match self {
            Client::Socket { write, .. } => {
                let mut line = serde_json::json!({
                    "symbol": set.symbol,
                    "id": id,
                    "bids": set.bids,
                    "asks": set.asks,
                })
                .to_string();
                line.push('\n');
                write
                    .write_all(line.as_bytes())
                    .await
                    .map_err(|e| format!("write: {e}"))
            }
            Client::Api { quoter, .. } => {
                quoter.push(set.clone());
                Ok(())
            }
        }
    }

    async fn next(&mut self) -> Result<Event, String> {
        let got = tokio::time::timeout(EVENT_TIMEOUT, self.read()).await;
        got.map_err(|_| format!("no event within {} s", EVENT_TIMEOUT.as_secs()))?
    }

    async fn read(&mut self) -> Result<Event, String> {
        match self {
            Client::Socket { read, .. } => {
                let line = read.next_line().await.map_err(|e| format!("read: {e}"))?;
                let line = line.ok_or("the session closed the socket")?;
                let v: serde_json::Value =
                    serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
                let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
                Ok(match v["event"].as_str() {
                    Some("books") => Event::Books {
                        bid: s(&v["books"][0]["bid"]),
                        ask: s(&v["books"][0]["ask"]),
                    },
                    Some("accepted") => Event::Accepted {
                        id: v["id"].as_u64(),
                    },
                    Some("refused" | "error") => Event::Refused {
                        reason: line.clone(),
                    },
                    Some("tick") => Event::Tick {
                        prices: (v["orders"].as_array().into_iter().flatten())
                            .map(|o| s(&o["price"]))
                            .collect(),
                    },
                    _ => Event::Other,
                })
            }
            Client::Api { events, .. } => {
                let e = events.recv().await.map_err(|e| format!("events: {e}"))?;
                Ok(match e {
                    SessionEvent::Books { books } => match books.first() {
                        Some(b) => Event::Books {
                            bid: b.bid.to_string(),
                            ask: b.ask.to_string(),
                        },
                        None => Event::Other,
                    },
                    SessionEvent::Accepted { id, .. } => Event::Accepted { id },
                    SessionEvent::Refused { reason, .. } => Event::Refused { reason },
                    SessionEvent::Tick { orders, .. } => Event::Tick {
                        prices: orders.into_iter().map(|o| o.price).collect(),
                    },
                    _ => Event::Other,
                })
            }
        }
    }
}

/// The bench as the strategy: the first book, then `sets` sets, each
/// written once the previous one is quoted and a pause.
async fn drive(c: &mut Client, sets: u64, levels: u32, tick_ms: u64) -> Result<Vec<Sent>, String> {
    let (tick, qty) = instruments(1)
        .into_iter()
        .next()
        .map(|r| (r.2, r.4))
        .ok_or("no instrument")?;
    let tick: Decimal = tick.parse().map_err(|e| format!("tick size: {e:?}"))?;
    let mid = loop {
        if let Event::Books { bid, ask } = c.next().await? {
            match (units(&bid, tick), units(&ask, tick)) {
                (Some(b), Some(a)) => break (a + b) / 2,
                _ => return Err(format!("book {bid} / {ask} off the tick grid {tick}")),
            }
        }
    };
    let mut out = Vec::new();
    for k in 0..sets {
        tokio::time::sleep(Duration::from_millis(phase_ms(k, tick_ms))).await;
        let set = quote_set(mid, tick, &qty, k, levels);
        let id = k + 1;
        let written_wall_ms = crate::now_ms();
        let t0 = Instant::now();
        c.send(&set, id).await?;
        let mut accepted_us = None;
        let inner: i128 = units(&set.bids[0].price, tick).unwrap_or(0);
        loop {
            match c.next().await? {
                Event::Accepted { id: got } if accepted_us.is_none() && got == Some(id) => {
                    accepted_us = Some(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
                }
                Event::Refused { reason } => return Err(format!("set {id} refused: {reason}")),
                Event::Tick { prices }
                    if accepted_us.is_some()
                        && prices.iter().any(|p| units(p, tick) == Some(inner)) =>
                {
                    break;
                }
                _ => {}
            }
        }
        out.push(Sent {
            set,
            written_wall_ms,
            accepted_us,
        });
    }
    Ok(out)
}

/// Set `k`: `levels` a side around `mid` (in ticks), the inner level
/// `INNER_BPS + MOVE_BPS * (k % CYCLE)` from mid, `STEP_BPS` between levels.
fn quote_set(mid: i128, tick: Decimal, qty: &str, k: u64, levels: u32) -> QuoteSet {
    let away = INNER_BPS + MOVE_BPS * (i128::from(k) % CYCLE);
    let level = |units: i128| QuoteLevel {
        price: Decimal::times(tick, units)
            .map_or_else(String::new, |d| d.to_string())
            .into(),
        qty: qty.to_string().into(),
    };
    let side = |sign: i128| {
        (0..i128::from(levels))
            .map(|i| level(mid + sign * mid * (away + STEP_BPS * i) / 10_000))
            .collect()
    };
    QuoteSet {
        symbol: symbol().into(),
        bids: side(-1),
        asks: side(1),
    }
}

/// `text` in units of `tick`, if it is on the grid.
fn units(text: &str, tick: Decimal) -> Option<i128> {
    text.parse::<Decimal>().ok()?.div_exact(tick)
}

/// The pause before set `k`: spread over the tick interval by a fixed
/// stride (about 0.38 of it, so no two nearby sets share a phase).
fn phase_ms(k: u64, tick_ms: u64) -> u64 {
    (k * 389 + 17) % tick_ms.max(1)
}

/// One input of the journal replayed: when, what, and what core sent on it.
struct Step {
    now_ms: u64,
    quotes: Option<QuoteSet>,
    tick: bool,
    /// Prices of the places and amends core sent on this input.
    prices: Vec<GridValue>,
}

/// The session's journal replayed (`mm replay`'s own loop).
struct Trace {
    steps: Vec<Step>,
}

/// One set's figures (ms, the journal's wall clock).
struct Measured {
    request: u64,
    tick_wait: u64,
}

impl Trace {
    fn of(journal: &Journal) -> Result<Trace, mm_core::ConfigError> {
        let mut steps = Vec::new();
        replay_with(journal, |i, effects, _| {
            let input = &journal.inputs[i];
            let prices = effects
                .iter()
                .filter_map(|e| match e {
                    Effect::Send(r) => Some(request_prices(&r.kind)),
                    _ => None,
                })
                .flatten()
                .collect();
            steps.push(Step {
                now_ms: input.now_ms().ms(),
                quotes: match input {
                    Input::Quotes { set, .. } => Some(set.clone()),
                    _ => None,
                },
                tick: matches!(input, Input::Tick { .. }),
                prices,
            });
        })?;
        Ok(Trace { steps })
    }

    /// `s`'s figures: its input at or after step `from` (moved past it),
    /// the next tick, the first request carrying one of its prices.
    fn measure(&self, s: &Sent, from: &mut usize) -> Option<Measured> {
        let q =
            (*from..self.steps.len()).find(|&i| self.steps[i].quotes.as_ref() == Some(&s.set))?;
        *from = q + 1;
        let read = self.steps[q].now_ms;
        let tick = self.steps[q..].iter().find(|x| x.tick)?.now_ms;
        let wanted: Vec<&str> = (s.set.bids.iter().chain(&s.set.asks))
            .map(|l| l.price.as_str())
            .collect();
        let sent = self.steps[q..]
            .iter()
            .find(|x| x.prices.iter().any(|g| carries(*g, &wanted)))?
            .now_ms;
        Some(Measured {
            request: sent.saturating_sub(s.written_wall_ms),
            tick_wait: tick.saturating_sub(read),
        })
    }
}

fn request_prices(kind: &RequestKind) -> Vec<GridValue> {
    match kind {
        RequestKind::PlaceBatch { orders, .. } => orders.iter().map(|o| o.price).collect(),
        RequestKind::Place { order, .. } => vec![order.price],
        RequestKind::AmendBatch { orders, .. } => orders.iter().filter_map(|o| o.price).collect(),
        RequestKind::Amend { order, .. } => order.price.into_iter().collect(),
        _ => Vec::new(),
    }
}

fn carries(g: GridValue, prices: &[&str]) -> bool {
    prices
        .iter()
        .any(|p| units(p, g.step) == Some(i128::from(g.units)))
}

/// The section's table.
pub(super) fn render(out: &mut String, q: &QuotesReport) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "\nquotes (bring your own quotes): {} x {} levels a side, each set moved {} bps, written after the previous one was quoted; simulator L = {} ms (+ jitter 0..={} ms), books streamed",
        q.symbol, q.levels, q.move_bps, q.latency_ms, q.jitter_ms
    );
    let _ = writeln!(
        out,
        "accepted: written -> 'accepted' read back (bench's clock, us); request: written -> first order request carrying one of its prices (journal, whole ms); tick wait: core read it -> next tick; ours = request - tick wait"
    );
    let _ = writeln!(
        out,
        "{:<10} {:>7} {:<12} {:>5} {:>8} {:>9}  {:>17}  {:>17}  {:>17}  {:>17}",
        "path",
        "tick ms",
        "reprice",
        "sets",
        "accepted",
        "requested",
        "accepted p50/p99",
        "request p50/p99",
        "tick wait p50/p99",
        "ours p50/p99"
    );
    for r in &q.rows {
        let _ = writeln!(
            out,
            "{:<10} {:>7} {:<12} {:>5} {:>8} {:>9}  {:>17}  {:>17}  {:>17}  {:>17}",
            r.path,
            r.tick_interval_ms,
            r.reprice,
            r.sets,
            r.accepted,
            r.requested,
            pair(r.accepted_ms, 1),
            pair(r.request_ms, 0),
            pair(r.tick_wait_ms, 0),
            pair(r.ours_ms, 0)
        );
    }
}

fn pair(p: Pair, decimals: usize) -> String {
    let f = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.decimals$}"));
    format!("{} / {}", f(p.p50_ms), f(p.p99_ms))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn every_set_moves_every_level_past_the_reprice_tolerance() {
        let tick = dec("0.1");
        let mid = 600_000; // 60000.0 in ticks
        let sets: Vec<QuoteSet> = (0..12)
            .map(|k| quote_set(mid, tick, "0.001", k, 3))
            .collect();
        let tolerance = 1; // bps: core's default reprice_tolerance_bps
        for pair in sets.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            for (x, y) in (a.bids.iter().chain(&a.asks)).zip(b.bids.iter().chain(&b.asks)) {
                let (x, y) = (
                    units(&x.price, tick).unwrap(),
                    units(&y.price, tick).unwrap(),
                );
                assert!((x - y).abs() * 10_000 > tolerance * mid, "{x} -> {y}");
            }
        }
        for s in &sets {
            assert_eq!((s.bids.len(), s.asks.len()), (3, 3));
            let px = |l: &QuoteLevel| units(&l.price, tick).unwrap();
            // Best first, not crossed, on the grid (units() parsed them).
            assert!(s.bids.windows(2).all(|w| px(&w[0]) > px(&w[1])));
            assert!(s.asks.windows(2).all(|w| px(&w[0]) < px(&w[1])));
            assert!(px(&s.bids[0]) < mid && mid < px(&s.asks[0]));
        }
    }

    #[test]
    fn phases_spread_over_the_tick_interval() {
        let mut seen: Vec<u64> = (0..20).map(|k| phase_ms(k, 200) / 20).collect();
        seen.sort_unstable();
        seen.dedup();
        assert!(seen.len() >= 8, "{seen:?}");
        assert!((0..50).all(|k| phase_ms(k, 50) < 50));
    }

    fn step(now_ms: u64, quotes: Option<&QuoteSet>, tick: bool, prices: &[i128]) -> Step {
        Step {
            now_ms,
            quotes: quotes.cloned(),
            tick,
            prices: prices
                .iter()
                .map(|&u| GridValue::new(dec("0.1"), i64::try_from(u).unwrap_or(0)))
                .collect(),
        }
    }

    #[test]
    fn a_set_is_timed_to_the_first_request_carrying_one_of_its_prices() {
        let tick = dec("0.1");
        let (a, b) = (
            quote_set(600_000, tick, "0.001", 0, 1),
            quote_set(600_000, tick, "0.001", 1, 1),
        );
        let a_bid = units(&a.bids[0].price, tick).unwrap();
        let b_ask = units(&b.asks[0].price, tick).unwrap();
        let trace = Trace {
            steps: vec![
                step(990, None, true, &[]),
                step(1003, Some(&a), false, &[]),
                // The tick's cancels carry no price; an older price is not a.
                step(1100, None, true, &[]),
                step(1101, None, false, &[a_bid - 1]),
                step(1122, None, false, &[a_bid]),
                step(1300, Some(&b), false, &[]),
                step(1310, None, true, &[b_ask]),
            ],
        };
        let sent = |set: &QuoteSet, at| Sent {
            set: set.clone(),
            written_wall_ms: at,
            accepted_us: Some(500),
        };
        let mut from = 0;
        let m = trace.measure(&sent(&a, 1000), &mut from).unwrap();
        assert_eq!((m.request, m.tick_wait, from), (122, 97, 2));
        let m = trace.measure(&sent(&b, 1299), &mut from).unwrap();
        assert_eq!((m.request, m.tick_wait), (11, 10));
        // A set the journal never took is not measured.
        let c = quote_set(600_000, tick, "0.001", 2, 1);
        assert!(trace.measure(&sent(&c, 1400), &mut from).is_none());
        let r = row(
            Route::Socket,
            200,
            &[sent(&a, 1000), sent(&b, 1299), sent(&c, 1400)],
            &trace,
        );
        assert_eq!((r.sets, r.accepted, r.requested), (3, 3, 2));
        assert_eq!(
            r.request_ms,
            Pair {
                p50_ms: Some(11.0),
                p99_ms: Some(122.0)
            }
        );
        assert_eq!(
            r.ours_ms,
            Pair {
                p50_ms: Some(1.0),
                p99_ms: Some(25.0)
            }
        );
        assert_eq!(r.accepted_ms.p50_ms, Some(0.5));
    }
}
