//! A tick's start: each configured symbol's book judged (`freshness`), its
//! desired set built (the ladder, `quote`, or its latest external set,
//! `external`), each side reconciled against our orders (`reconcile`) and
//! the resulting commands queued on the bus (with `reprice = "planned"`,
//! fitted to the rate budget first: `plan`).

use std::collections::BTreeMap;

use crate::config::{QuoteSource, Reprice};
use crate::domain::Side;
use crate::effect::Op;
use crate::engine::bus::{Bus, Key, op_index};
use crate::engine::external::ExternalQuotes;
use crate::engine::freshness::{BookClock, Verdict};
use crate::engine::market::Market;
use crate::engine::orders::{OrderTable, Seq, State};
use crate::engine::out::Out;
use crate::engine::plan::{self, Candidate, Capacity};
use crate::engine::positions::Positions;
use crate::engine::quote::{Want, ladder_into};
use crate::engine::reconcile::{Action, SidePlan, reconcile_side};
use crate::engine::risk::{Exposure, Risk, skewed};
use crate::engine::settle::Settle;
use crate::engine::tick::{TickRun, TickState, side_index};
use crate::input::BookTop;

/// The parts a tick's start reads and changes, borrowed while it runs.
pub(super) struct TickStart<'a> {
    pub(super) tick: &'a mut TickRun,
    pub(super) market: &'a Market,
    pub(super) fresh: &'a mut BookClock,
    pub(super) external: &'a mut ExternalQuotes,
    pub(super) orders: &'a mut OrderTable,
    pub(super) settle: &'a Settle,
    pub(super) bus: &'a mut Bus,
    pub(super) out: &'a mut Out,
    pub(super) risk: &'a mut Risk,
    pub(super) positions: &'a Positions,
    /// What the rate budget carries before this tick's deadline (read by
    /// the planner only).
    pub(super) capacity: Capacity,
}

impl TickStart<'_> {
    /// Starts tick `n` (see `TickRun::next_number`) on `books`.
    pub(super) fn run(mut self, n: u64, books: &BTreeMap<&str, &BookTop>) {
        let market = self.market;
        let now = self.out.now;
        self.tick.current = Some(TickState {
            n,
            started: now,
            deadline: now.plus_ms(market.config.async_batch.tick_deadline_ms),
        });
        self.out.totals.ticks += 1;
        self.tick.held_logged = false;
        self.out.stats.tick = n;
        self.out.stats.started_ms = now;

        let nsyms = market.syms.len();
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
        for s in &market.config.quoting.symbols {
            if let Some(i) = market.sym_index(s) {
                configured[i as usize] = true;
            }
        }
        let stray = books
            .keys()
            .filter(|s| market.sym_index(s).is_none())
            .count();
        if stray > 0 {
            self.out.warn(format!(
                "tick {n}: {stray} books for unknown symbols ignored"
            ));
        }

        let q = &market.config.quoting;
        let (levels, spread, step, tol) =
            (q.levels, q.spread_bps, q.step_bps, q.reprice_tolerance_bps);
        let planned = q.reprice == Reprice::Planned;
        // The planner starts from amend mode's pairs (see `plan`).
        let amend = q.reprice == Reprice::Amend || planned;
        let mut cands: Vec<Candidate> = Vec::new();
        let mut inner_slots = 0u64;
        let max_age = q.max_book_age_ms;
        let external = q.source == QuoteSource::External;
        let mut counts = [0u64; 3];
        let mut ok_books = 0u64;
        let mut held = 0u64;
        for sym in 0..nsyms {
            let sym32 = sym as u32;
            lad.clear();
            if configured[sym] {
                let name = market.name(sym32);
                let inst = market.inst(sym32);
                let lots = self
                    .market
                    .config
                    .quoting
                    .order_qty
                    .for_symbol(name)
                    .and_then(|d| inst.qty_lots(&d));
                let verdict = self
                    .fresh
                    .judge(sym, books.get(name).copied(), inst, now, max_age);
                // External: the latest set, unless there is none or it is
                // stale. Pulled then whatever the book (so the tick without
                // books pulls it too); quoted only on a usable book.
                let pulled = external && {
                    let max_q = q.max_quote_age_ms;
                    let why = self.external.desired(sym, now, max_q, &mut lad).err();
                    (self.external).verdict(sym32, why, market, self.orders, self.out);
                    why.is_some()
                };
                match (verdict, lots) {
                    (Verdict::Hold { .. }, _) if pulled => {}
                    (Verdict::Quote(bid, ask), lots) if external || lots.is_some() => {
                        if let (false, Some(lots)) = (external, lots) {
                            let (b, a) = skewed(sym32, (bid, ask), self.positions, market);
                            ladder_into(&mut lad, b, a, levels, spread, step, lots);
                        }
                        let on = Exposure {
                            book: (bid, ask),
                            orders: self.orders,
                            positions: self.positions,
                            seqs: [&by_side[sym * 2], &by_side[sym * 2 + 1]],
                            market,
                        };
                        self.risk.limit(sym32, &mut lad, on, self.out);
                        ok_books += 1;
                        self.fresh
                            .hold_verdict(sym32, n, None, market, self.orders, self.out);
                        self.fresh
                            .book_verdict(sym32, None, market, self.orders, self.out);
                    }
                    (Verdict::Hold { age_ms }, _) => {
                        // Its orders are left alone: no reconcile at all.
                        held += 1;
                        self.out.totals.books_held += 1;
                        self.fresh.hold_verdict(
                            sym32,
                            n,
                            Some(age_ms),
                            market,
                            self.orders,
                            self.out,
                        );
                        continue;
                    }
                    (Verdict::Quote(..), _) => {
                        self.fresh.set_held(sym, false);
                        self.fresh.book_verdict(
                            sym32,
                            Some("no order size"),
                            market,
                            self.orders,
                            self.out,
                        );
                    }
                    (Verdict::Refuse(why), _) => {
                        lad.clear();
                        self.fresh.set_held(sym, false);
                        self.fresh
                            .book_verdict(sym32, Some(why), market, self.orders, self.out);
                    }
                }
            } else {
                self.fresh.forget(sym);
                self.external.forget(sym);
            }
            for (side, desired) in [(Side::Buy, &lad.bids), (Side::Sell, &lad.asks)] {
                if desired.first().is_some_and(Option::is_some) {
                    inner_slots += 1;
                }
                let seqs = &by_side[sym * 2 + side_index(side)];
                if seqs.is_empty() && desired.is_empty() {
                    continue;
                }
                let settle = self.settle;
                let asking = |seq: Seq| settle.awaiting(seq, now);
                let plan = SidePlan {
                    side,
                    desired,
                    tol_bps: tol,
                    amend,
                    asking: &asking,
                };
                reconcile_side(self.orders, seqs, &plan, &mut scratch);
                if planned {
                    for action in &scratch.actions {
                        cands.push(self.candidate(sym32, side, *action, desired));
                    }
                    continue;
                }
                for action in &scratch.actions {
                    let op = self.apply_action(sym32, side, *action);
                    counts[op_index(op)] += 1;
                }
            }
        }

        let mut planned_note = String::new();
        if planned {
            let mut actions = Vec::with_capacity(cands.len());
            let mut cap = self.capacity;
            cap.inner_reserve = inner_slots;
            let wait = !market.config.async_batch.place_with_cancel;
            let stats = plan::plan(&mut cands, cap, q.max_deviation_bps, wait, &mut actions);
            for (sym, side, action) in actions {
                let op = self.apply_action(sym, side, action);
                counts[op_index(op)] += 1;
            }
            if stats.any() {
                planned_note = format!(
                    "; planned for amend {} cancel {} create {}: {} cancel+place, {} widened, {} past max_deviation_bps, {} places deferred",
                    cap.amend,
                    cap.cancel,
                    cap.place,
                    stats.cancel_place,
                    stats.widened,
                    stats.past_bound,
                    stats.deferred
                );
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
            "tick {n} start: {ok_books} books usable{held}; cancel {} amend {} place {}{planned_note}",
            counts[0], counts[1], counts[2]
        ));
    }

    /// One reconcile decision ranked for the planner: the level it serves
    /// and, for an amend, how far its order rests from the nearest target
    /// of its side.
    fn candidate(
        &self,
        sym: u32,
        side: Side,
        action: Action,
        desired: &[Option<Want>],
    ) -> Candidate {
        let targets = || desired.iter().flatten().map(|(p, _)| p.0);
        let (level, dev) = match action {
            Action::Place { level, .. } => (level, None),
            Action::Cancel(seq) => (self.orders.get(seq).map_or(0, |o| o.level), None),
            Action::Amend { seq, .. } => match self.orders.get(seq) {
                Some(o) => (o.level, plan::deviation(o.price.0, targets())),
                None => (0, None),
            },
        };
        Candidate {
            sym,
            side,
            action,
            level,
            dev,
        }
    }

    /// Turns one reconcile decision into an order state and a queued command.
    fn apply_action(&mut self, sym: u32, side: Side, action: Action) -> Op {
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
            Action::Place { level, price, qty } => (
                Op::Place,
                self.orders
                    .new_order(sym, side, level, price, qty, self.out),
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
}
