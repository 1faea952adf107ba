//! The tick lifecycle.
//!
//! A `Tick` starts a tick unless one is in flight; then it is conflated (the
//! newest tick's books kept wholesale, counted on the tick in flight) and starts as
//! soon as the current one finishes. Ticks are strictly sequential: a tick
//! finishes only when every command it decided has been answered or dropped,
//! so the command queues are empty whenever a tick starts.
//!
//! At the start: a pending config is applied (so `enabled = false` takes
//! effect for that very tick), books are judged (`freshness`: a symbol
//! without a book this tick may be held), ladders built, every other side
//! reconciled and the commands queued. Places and amends still unsent
//! `tick_deadline_ms` after the start are dropped as stale; cancels never.
//! `TickDone` goes out when the last request is answered, with the stats
//! gathered since the previous `TickDone`.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::domain::{Instrument, Side};
use crate::effect::{Effect, Op};
use crate::engine::bus::Bus;
use crate::engine::doubt::Withdrawn;
use crate::engine::market::Market;
use crate::engine::orders::{OrderTable, Seq};
use crate::engine::out::Out;
use crate::engine::quote::Ladder;
use crate::engine::reconcile::Scratch;
use crate::engine::sender::Sender;
use crate::engine::settle::Settle;
use crate::input::BookTop;
use crate::time::Timestamp;

pub(super) struct TickState {
    pub(super) n: u64,
    pub(super) started: Timestamp,
    pub(super) deadline: Timestamp,
}

pub(super) struct Conflated {
    /// The newest tick's books, as they came.
    pub(super) books: Vec<BookTop>,
}

/// The tick in progress, what waits to start after it, and the buffers a
/// tick's decisions are built in (kept across ticks).
#[derive(Default)]
pub(super) struct TickRun {
    pub(super) current: Option<TickState>,
    /// A tick that arrived while one was in flight (or during recovery).
    pub(super) conflated: Option<Conflated>,
    /// A valid config change, applied when the next tick starts.
    pub(super) pending_config: Option<Config>,
    /// Ticks started so far (the next tick's number minus one).
    pub(super) started: u64,
    /// This tick said that places wait for room (logged once a tick).
    pub(super) held_logged: bool,
    /// Per (sym, side): the orders, rebuilt each tick.
    pub(super) by_side: Vec<Vec<Seq>>,
    pub(super) scratch: Scratch,
    pub(super) ladder: Ladder,
}

impl TickRun {
    /// A config change: kept for the next tick's start when it is valid for
    /// `instruments`, refused (every problem named) otherwise.
    pub(super) fn propose_config(
        &mut self,
        config: Config,
        instruments: &[Instrument],
        out: &mut Out,
    ) {
        match config.validate_for(instruments) {
            Ok(()) => {
                out.info("config change accepted; applies at the next tick".to_string());
                self.pending_config = Some(config);
            }
            Err(e) => {
                let why: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
                out.error(format!(
                    "config change refused, keeping the old one: {}",
                    why.join("; ")
                ));
            }
        }
    }

    /// A tick arrived while tick `n` is in flight: its books replace any
    /// conflated before (the newest tick's books win wholesale: a symbol it
    /// lacks is missing, not served from an older tick). False when no tick
    /// is in flight.
    pub(super) fn conflate(&mut self, books: &[BookTop], out: &mut Out) -> bool {
        let Some(t) = &self.current else {
            return false;
        };
        let n = t.n;
        let c = self
            .conflated
            .get_or_insert_with(|| Conflated { books: Vec::new() });
        c.books = books.to_vec();
        out.stats.conflated += 1;
        out.totals.conflated += 1;
        out.info(format!("tick arrived while tick {n} in flight: conflated"));
        true
    }

    /// A tick during start-up recovery: held until it is over (newest
    /// books win, as for a conflated tick).
    pub(super) fn hold(&mut self, books: &[BookTop], out: &mut Out) {
        self.conflated = Some(Conflated {
            books: books.to_vec(),
        });
        out.info("tick arrived during start-up recovery: held until it is over".to_string());
    }

    /// The number of the tick about to start.
    pub(super) fn next_number(&mut self) -> u64 {
        self.started += 1;
        self.started
    }

    /// Drops places and amends still queued past the tick's deadline: their
    /// prices are the tick's start's, and sending them later rests quotes
    /// where the market was. A never-applied place is gone as stale; a
    /// never-applied amend leaves its order Live at its old price (the next
    /// tick reconciles it from fresh prices); one in doubt (an earlier send
    /// may have landed) becomes Unknown and is settled by a query. Cancels
    /// are never dropped.
    pub(super) fn drop_stale(
        &self,
        bus: &mut Bus,
        orders: &mut OrderTable,
        settle: &mut Settle,
        market: &Market,
        out: &mut Out,
    ) {
        let Some(t) = &self.current else {
            return;
        };
        let n = t.n;
        if out.now < t.deadline || !(bus.has(Op::Place) || bus.has(Op::Amend)) {
            return;
        }
        for op in [Op::Amend, Op::Place] {
            let keys = bus.drain(op);
            let mut stale = 0u64;
            let mut unknown = 0u64;
            for k in &keys {
                match orders.withdraw(op, k.seq, "stale", settle, market, out) {
                    Withdrawn::Dropped => stale += 1,
                    Withdrawn::Unknown => unknown += 1,
                }
            }
            out.stats.stale_drops += stale;
            out.totals.stale_drops += stale;
            if op == Op::Amend {
                out.totals.stale_amends += stale;
            }
            let (what, left) = match op {
                Op::Amend => ("amends", " (their orders rest at their old prices)"),
                _ => ("places", ""),
            };
            if stale > 0 {
                out.warn(format!(
                    "tick {n}: {stale} {what} still unsent at the tick deadline dropped as stale{left}"
                ));
            }
            if unknown > 0 {
                out.warn(format!(
                    "tick {n}: {unknown} {what} still queued at the tick deadline may have been applied by an earlier send: unknown, settling"
                ));
            }
        }
    }

    /// Finishes the tick once nothing of it is queued or in flight:
    /// `TickDone` with the stats gathered since the last one. True when it
    /// finished.
    pub(super) fn finish(
        &mut self,
        bus: &Bus,
        sender: &mut Sender,
        orders: &OrderTable,
        out: &mut Out,
    ) -> bool {
        let Some(t) = &self.current else {
            return false;
        };
        if !bus.is_empty() || sender.inflight_ops.iter().any(|c| *c > 0) {
            return false;
        }
        let (n, started) = (t.n, t.started);
        let now = out.now;
        let counts = orders.counts();
        let mut stats = std::mem::take(&mut out.stats);
        stats.duration_ms = now.since(started);
        stats.live_orders = counts.live;
        stats.unknown_orders = counts.unknown;
        stats.budget_headroom = sender.budget.headroom(now);
        let requests: u64 = stats.requests.values().sum();
        out.info(format!(
            "tick {n} done in {} ms: {requests} requests, {} fallbacks, {} rejects, {} stale, {} requeued; {} live, {} unknown",
            stats.duration_ms,
            stats.fallbacks,
            stats.rejects,
            stats.stale_drops,
            stats.requeued,
            counts.live,
            counts.unknown
        ));
        out.emit(Effect::TickDone(stats));
        self.current = None;
        true
    }
}

/// Books by symbol, borrowed from the input; of two books for one symbol
/// the later wins.
pub(super) fn books_by_symbol(books: &[BookTop]) -> BTreeMap<&str, &BookTop> {
    books.iter().map(|b| (b.symbol.as_str(), b)).collect()
}

pub(super) fn side_index(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}
