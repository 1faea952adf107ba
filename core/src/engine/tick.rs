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
//! reconciled and the commands queued. Places still unsent
//! `tick_deadline_ms` after the start are dropped as stale; cancels never.
//! `TickDone` goes out when the last request is answered, with the stats
//! gathered since the previous `TickDone`.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::domain::Side;
use crate::effect::{Effect, Op};
use crate::engine::Engine;
use crate::engine::bus::{Key, op_index};
use crate::engine::doubt::Withdrawn;
use crate::engine::freshness::Verdict;
use crate::engine::orders::{Seq, State};
use crate::engine::quote::Ladder;
use crate::engine::quote::ladder_into;
use crate::engine::reconcile::{Action, Scratch, SidePlan, reconcile_side};
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
    by_side: Vec<Vec<Seq>>,
    scratch: Scratch,
    ladder: Ladder,
}

impl Engine {
    pub(super) fn on_tick(&mut self, books: &[BookTop]) {
        if self.shutdown.is_some() {
            self.out.info("tick after shutdown ignored".to_string());
            return;
        }
        if self.recovery.running() {
            // Held until recovery is over (newest books win, as for a
            // conflated tick).
            self.tick.conflated = Some(Conflated {
                books: books.to_vec(),
            });
            self.out
                .info("tick arrived during start-up recovery: held until it is over".to_string());
            return;
        }
        if let Some(t) = &self.tick.current {
            let n = t.n;
            // The newest tick's books win wholesale (design.md §3.6): a
            // symbol it lacks is missing, not served from an older tick.
            let c = self
                .tick
                .conflated
                .get_or_insert_with(|| Conflated { books: Vec::new() });
            c.books = books.to_vec();
            self.out.stats.conflated += 1;
            self.out.totals.conflated += 1;
            self.out
                .info(format!("tick arrived while tick {n} in flight: conflated"));
            return;
        }
        self.start_tick(&books_by_symbol(books));
    }

    fn apply_pending_config(&mut self, n: u64) {
        let Some(config) = self.tick.pending_config.take() else {
            return;
        };
        if config.rate_limits != self.market.config.rate_limits {
            self.sender.budget.reconfigure(&config.rate_limits);
        }
        self.market.config = config;
        let b = &self.market.config.async_batch;
        let text = format!(
            "config applied at tick {n}: enabled={} scope={} reprice={} max_batch_size={} max_parallel={} place_with_cancel={}",
            b.enabled,
            b.coalesce_scope.name(),
            self.market.config.quoting.reprice.name(),
            b.max_batch_size,
            b.max_parallel_symbols,
            b.place_with_cancel
        );
        self.out.info(text);
    }

    pub(super) fn start_tick(&mut self, books: &BTreeMap<&str, &BookTop>) {
        let now = self.out.now;
        self.tick.started += 1;
        let n = self.tick.started;
        self.apply_pending_config(n);
        self.tick.current = Some(TickState {
            n,
            started: now,
            deadline: now.plus_ms(self.market.config.async_batch.tick_deadline_ms),
        });
        self.out.totals.ticks += 1;
        self.tick.held_logged = false;
        self.out.stats.tick = n;
        self.out.stats.started_ms = now;

        let nsyms = self.market.syms.len();
        // Buffers kept across ticks (taken out of self while it is borrowed).
        let mut by_side = std::mem::take(&mut self.tick.by_side);
        by_side.resize_with(nsyms * 2, Vec::new);
        by_side.iter_mut().for_each(Vec::clear);
        let mut scratch = std::mem::take(&mut self.tick.scratch);
        let mut lad = std::mem::take(&mut self.tick.ladder);
        for (seq, o) in self.orders.iter() {
            by_side[o.sym as usize * 2 + side_index(o.side)].push(seq);
        }
        let mut configured = vec![false; nsyms];
        for s in &self.market.config.quoting.symbols {
            if let Some(i) = self.market.sym_index(s) {
                configured[i as usize] = true;
            }
        }
        let stray = books
            .keys()
            .filter(|s| self.market.sym_index(s).is_none())
            .count();
        if stray > 0 {
            self.out.warn(format!(
                "tick {n}: {stray} books for unknown symbols ignored"
            ));
        }

        let q = &self.market.config.quoting;
        let (levels, spread, step, tol) =
            (q.levels, q.spread_bps, q.step_bps, q.reprice_tolerance_bps);
        let amend = q.reprice == crate::config::Reprice::Amend;
        let max_age = q.max_book_age_ms;
        let mut counts = [0u64; 3];
        let mut ok_books = 0u64;
        let mut held = 0u64;
        for sym in 0..nsyms {
            let sym32 = sym as u32;
            lad.bids.clear();
            lad.asks.clear();
            let mut qty = crate::domain::Lots(0);
            if configured[sym] {
                let name = self.market.name(sym32);
                let inst = self.market.inst(sym32);
                let lots = self
                    .market
                    .config
                    .quoting
                    .order_qty
                    .for_symbol(name)
                    .and_then(|d| inst.qty_lots(&d));
                match (
                    self.fresh
                        .judge(sym, books.get(name).copied(), inst, now, max_age),
                    lots,
                ) {
                    (Verdict::Quote(bid, ask), Some(lots)) => {
                        ladder_into(&mut lad, bid, ask, levels, spread, step);
                        qty = lots;
                        ok_books += 1;
                        self.fresh.hold_verdict(
                            sym32,
                            n,
                            None,
                            &self.market,
                            &self.orders,
                            &mut self.out,
                        );
                        self.fresh.book_verdict(
                            sym32,
                            None,
                            &self.market,
                            &self.orders,
                            &mut self.out,
                        );
                    }
                    (Verdict::Hold { age_ms }, _) => {
                        // Its orders are left alone: no reconcile at all.
                        held += 1;
                        self.out.totals.books_held += 1;
                        self.fresh.hold_verdict(
                            sym32,
                            n,
                            Some(age_ms),
                            &self.market,
                            &self.orders,
                            &mut self.out,
                        );
                        continue;
                    }
                    (Verdict::Quote(..), None) => {
                        self.fresh.set_held(sym, false);
                        self.fresh.book_verdict(
                            sym32,
                            Some("no order size"),
                            &self.market,
                            &self.orders,
                            &mut self.out,
                        );
                    }
                    (Verdict::Refuse(why), _) => {
                        self.fresh.set_held(sym, false);
                        self.fresh.book_verdict(
                            sym32,
                            Some(why),
                            &self.market,
                            &self.orders,
                            &mut self.out,
                        );
                    }
                }
            } else {
                self.fresh.forget(sym);
            }
            for (side, desired) in [(Side::Buy, &lad.bids), (Side::Sell, &lad.asks)] {
                let seqs = &by_side[sym * 2 + side_index(side)];
                if seqs.is_empty() && desired.is_empty() {
                    continue;
                }
                let settle = &self.settle;
                let asking = |seq: Seq| settle.awaiting(seq, now);
                let plan = SidePlan {
                    side,
                    desired,
                    qty,
                    tol_bps: tol,
                    amend,
                    asking: &asking,
                };
                reconcile_side(&mut self.orders, seqs, &plan, &mut scratch);
                for action in &scratch.actions {
                    let op = self.apply_action(sym32, side, qty, *action);
                    counts[op_index(op)] += 1;
                }
            }
        }

        self.tick.by_side = by_side;
        self.tick.scratch = scratch;
        self.tick.ladder = lad;
        for op in [Op::Cancel, Op::Amend, Op::Place] {
            let c = counts[op_index(op)];
            if c > 0 {
                *self.out.stats.commands.entry(op).or_insert(0) += c;
                *self.out.totals.commands.entry(op).or_insert(0) += c;
            }
        }
        self.fresh.update_expiry(max_age);
        let held = if held > 0 {
            format!(", {held} held")
        } else {
            String::new()
        };
        self.out.info(format!(
            "tick {n} start: {ok_books} books usable{held}; cancel {} amend {} place {}",
            counts[0], counts[1], counts[2]
        ));
    }

    /// Turns one reconcile decision into an order state and a queued command.
    fn apply_action(
        &mut self,
        sym: u32,
        side: Side,
        qty: crate::domain::Lots,
        action: Action,
    ) -> Op {
        let (op, seq) = match action {
            Action::Cancel(seq) => {
                self.orders.set_state(seq, State::PendingCancel);
                (Op::Cancel, seq)
            }
            Action::Amend { seq, price, qty } => {
                self.orders
                    .set_state(seq, State::PendingAmend { price, qty });
                (Op::Amend, seq)
            }
            Action::Place { level, price } => (
                Op::Place,
                self.orders
                    .new_order(sym, side, level, price, qty, &mut self.out),
            ),
        };
        self.enqueue(op, seq);
        op
    }

    fn enqueue(&mut self, op: Op, seq: Seq) {
        let Some(o) = self.orders.get(seq) else {
            return;
        };
        let b = &self.market.config.async_batch;
        let coalesce = match op {
            Op::Cancel => b.coalesce_cancel,
            Op::Amend => b.coalesce_amend,
            Op::Place => b.coalesce_place,
        };
        let key = Key {
            sym: o.sym,
            side: o.side,
            level: o.level,
            seq,
        };
        self.bus.push(op, key, !(b.enabled && coalesce));
    }

    /// Drops places still queued past the tick's deadline: never applied
    /// ones as stale, those in doubt (an earlier send may have landed)
    /// become Unknown and are settled by a query.
    pub(super) fn drop_stale(&mut self) {
        let Some(t) = &self.tick.current else {
            return;
        };
        let n = t.n;
        if self.out.now < t.deadline || !self.bus.has(Op::Place) {
            return;
        }
        let keys = self.bus.drain(Op::Place);
        let mut stale = 0u64;
        let mut unknown = 0u64;
        for k in &keys {
            match self.orders.withdraw(
                Op::Place,
                k.seq,
                "stale",
                &mut self.settle,
                &self.market,
                &mut self.out,
            ) {
                Withdrawn::Dropped => stale += 1,
                Withdrawn::Unknown => unknown += 1,
            }
        }
        self.out.stats.stale_drops += stale;
        self.out.totals.stale_drops += stale;
        if stale > 0 {
            self.out.warn(format!(
                "tick {n}: {stale} places still unsent at the tick deadline dropped as stale"
            ));
        }
        if unknown > 0 {
            self.out.warn(format!(
                "tick {n}: {unknown} places still queued at the tick deadline may have been applied by an earlier send: unknown, settling"
            ));
        }
    }

    /// Finishes the tick once nothing of it is queued or in flight, then
    /// starts a conflated one if any.
    pub(super) fn maybe_finish_tick(&mut self) {
        loop {
            let Some(t) = &self.tick.current else {
                return;
            };
            if !self.bus.is_empty() || self.sender.inflight_ops.iter().any(|c| *c > 0) {
                return;
            }
            let (n, started) = (t.n, t.started);
            let now = self.out.now;
            let counts = self.orders.counts();
            let mut stats = std::mem::take(&mut self.out.stats);
            stats.duration_ms = now.since(started);
            stats.live_orders = counts.live;
            stats.unknown_orders = counts.unknown;
            stats.budget_headroom = self.sender.budget.headroom(now);
            let requests: u64 = stats.requests.values().sum();
            self.out.info(format!(
                "tick {n} done in {} ms: {requests} requests, {} fallbacks, {} rejects, {} stale, {} requeued; {} live, {} unknown",
                stats.duration_ms,
                stats.fallbacks,
                stats.rejects,
                stats.stale_drops,
                stats.requeued,
                counts.live,
                counts.unknown
            ));
            self.out.emit(Effect::TickDone(stats));
            self.tick.current = None;
            let Some(c) = self.tick.conflated.take() else {
                return;
            };
            self.start_tick(&books_by_symbol(&c.books));
            self.pump();
        }
    }
}

/// Books by symbol, borrowed from the input; of two books for one symbol
/// the later wins.
pub(super) fn books_by_symbol(books: &[BookTop]) -> BTreeMap<&str, &BookTop> {
    books.iter().map(|b| (b.symbol.as_str(), b)).collect()
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}
