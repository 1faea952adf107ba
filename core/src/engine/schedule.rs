//! Scheduling: what to send next, and when core next needs a `Wake`.
//!
//! Priority: shutdown requests, cancels, amends, settle queries, then places
//! (places only once every cancel and amend of the tick has been answered,
//! unless `place_with_cancel`, only while their side has room for another
//! order (see `levels`), and never after `Shutdown`). Requests in flight never exceed
//! `max_parallel_symbols` (1 in legacy mode), every kind counted. A send the
//! rate budget cannot carry is held back (a batch shrinks to what fits when
//! the endpoint has some headroom) and core wakes when units free up.
//! When the budget cannot carry an operation's whole queue, the units go
//! level by level across all symbols (thinning, see `bus`).

use crate::config::CoalesceScope;
use crate::domain::Category;
use crate::effect::{AmendOrder, CancelOrder, Endpoint, NewOrder, Op, RequestKind};
use crate::engine::Engine;
use crate::engine::bus::{Key, batch_endpoint, op_index, single_endpoint};
use crate::engine::levels::park_places;
use crate::engine::orders::{Seq, State};
use crate::engine::quote::grid_string;
use crate::engine::sender::{Next, OrdersSent, Outgoing, Pending};
use crate::engine::shutdown::Shutdown;
use crate::time::Timestamp;

impl Engine {
    /// Sends everything that may go now.
    pub(super) fn pump(&mut self) {
        self.sender.blocked.clear();
        if self.stopped || !self.sender.unpaused(&mut self.out) {
            return;
        }
        let parked = if self.shutdown.is_none() && self.places_open() {
            park_places(
                &mut self.bus,
                &self.orders,
                &self.market,
                &mut self.tick,
                &mut self.out,
            )
        } else {
            Vec::new()
        };
        while self.sender.inflight.len() < self.sender.max_inflight(&self.market.config)
            && self.send_one()
        {}
        self.bus.unpark(Op::Place, parked);
    }

    fn send_one(&mut self) -> bool {
        self.shutdown.as_mut().is_some_and(|sd| {
            match sd.next_request(&self.market, &mut self.sender, &mut self.out) {
                Next::Send(req) => {
                    self.sender.dispatch(req, &mut self.out);
                    true
                }
                Next::Again => true,
                Next::Idle => false,
            }
        }) || self.send_recovery_request()
            || self.send_orders(Op::Cancel)
            || self.send_orders(Op::Amend)
            || self.send_query()
            || (self.shutdown.is_none() && self.places_open() && self.send_orders(Op::Place))
    }

    fn places_open(&self) -> bool {
        self.market.config.async_batch.place_with_cancel
            || (!self.bus.has(Op::Cancel)
                && !self.bus.has(Op::Amend)
                && self.sender.inflight_ops[op_index(Op::Cancel)] == 0
                && self.sender.inflight_ops[op_index(Op::Amend)] == 0)
    }

    fn send_orders(&mut self, op: Op) -> bool {
        if self.bus.first_single(op).is_some()
            && self.sender.allows(single_endpoint(op), 1, &mut self.out)
        {
            let units = self
                .sender
                .budget
                .available(single_endpoint(op), self.out.now) as usize;
            if let Some(key) = self.bus.take_single(op, units) {
                self.send_order_request(op, vec![key.seq], false);
                return true;
            }
        }
        let Some(front) = self.bus.first_batch(op) else {
            return false;
        };
        let ep = batch_endpoint(op);
        let avail = self.sender.budget.available(ep, self.out.now) as usize;
        if avail == 0 {
            self.sender.defer(ep, &mut self.out);
            return false;
        }
        // Thinning (see `bus`): when the budget cannot carry the whole
        // queue, the batch starts from the best command and carries only
        // commands among the `k` best.
        let mut head = front;
        let mut cutoff = None;
        let queued = self.bus.batch_len(op);
        if avail < queued
            && let Some(best) = self.bus.best_batch(op)
        {
            let category = self.market.inst(best.sym).category;
            let k = if category.batch_costs_per_order() {
                avail
            } else {
                avail.saturating_mul(self.market.chunk(category))
            };
            if k < queued {
                head = best;
                cutoff = Some(self.bus.cutoff(op, k));
            }
        }
        let category = self.market.inst(head.sym).category;
        let chunk = self.market.chunk(category);
        let n = if category.batch_costs_per_order() {
            chunk.min(avail)
        } else {
            chunk
        };
        let by_symbol = self.market.config.async_batch.coalesce_scope == CoalesceScope::Symbol;
        let market = &self.market;
        let group = |k: &Key| -> (Category, Option<u32>) {
            let cat = market.inst(k.sym).category;
            (cat, by_symbol.then_some(k.sym))
        };
        let seqs = match cutoff {
            Some(cutoff) => self.bus.take_thinned(op, n, head, cutoff, group),
            None => self.bus.take_batch(op, n, by_symbol, group),
        };
        self.send_order_request(op, seqs, true);
        true
    }

    fn send_order_request(&mut self, op: Op, seqs: Vec<Seq>, batch: bool) {
        let now = self.out.now;
        let Some(first) = seqs.first().and_then(|s| self.orders.get(*s)) else {
            return;
        };
        let category = self.market.inst(first.sym).category;
        let ep = if batch {
            batch_endpoint(op)
        } else {
            single_endpoint(op)
        };
        let units = if batch && category.batch_costs_per_order() {
            u32::try_from(seqs.len()).unwrap_or(u32::MAX)
        } else {
            1
        };
        self.sender.sending(ep);
        let kind = match (op, batch) {
            (Op::Place, true) => RequestKind::PlaceBatch {
                category,
                orders: wire_all(&seqs, |s| self.new_order_wire(s)),
            },
            (Op::Amend, true) => RequestKind::AmendBatch {
                category,
                orders: wire_all(&seqs, |s| self.amend_wire(s)),
            },
            (Op::Cancel, true) => RequestKind::CancelBatch {
                category,
                orders: wire_all(&seqs, |s| self.cancel_wire(s)),
            },
            (Op::Place, false) => match self.new_order_wire(seqs[0]) {
                Some(order) => RequestKind::Place { category, order },
                None => return,
            },
            (Op::Amend, false) => match self.amend_wire(seqs[0]) {
                Some(order) => RequestKind::Amend { category, order },
                None => return,
            },
            (Op::Cancel, false) => match self.cancel_wire(seqs[0]) {
                Some(order) => RequestKind::Cancel { category, order },
                None => return,
            },
        };
        for s in &seqs {
            if op == Op::Place {
                self.orders.mark_placed(*s);
            }
            if let Some(o) = self.orders.get_mut(*s) {
                if op == Op::Place {
                    o.create_sent_at = now;
                }
                let sym = o.sym;
                self.orders.mark_traded(sym);
            }
        }
        let n = seqs.len() as u64;
        if batch && n >= 2 {
            *self.out.stats.coalesced.entry(op).or_insert(0) += n;
            *self.out.totals.coalesced.entry(op).or_insert(0) += n;
        }
        self.sender.inflight_ops[op_index(op)] += 1;
        let pending = Pending::Orders(OrdersSent {
            op,
            seqs,
            batch,
            endpoint: ep,
        });
        self.sender.dispatch(
            Outgoing {
                kind,
                pending,
                n,
                units,
            },
            &mut self.out,
        );
    }

    fn new_order_wire(&self, seq: Seq) -> Option<NewOrder> {
        let o = self.orders.get(seq)?;
        let inst = self.market.inst(o.sym);
        Some(NewOrder {
            symbol: inst.symbol.clone(),
            side: o.side,
            price: grid_string(inst.tick_size, o.price.0),
            qty: grid_string(inst.qty_step, o.qty.0),
            order_link_id: self.market.link(seq.n),
            post_only: true,
        })
    }

    fn amend_wire(&self, seq: Seq) -> Option<AmendOrder> {
        let o = self.orders.get(seq)?;
        let inst = self.market.inst(o.sym);
        let (price, qty) = match o.state {
            State::PendingAmend { price, qty } => (price, qty),
            _ => (o.price, o.qty),
        };
        let qty_changes = qty != o.qty;
        Some(AmendOrder {
            symbol: inst.symbol.clone(),
            order_link_id: self.market.link(seq.n),
            // Always carry the price when nothing else changes: an amend
            // with no field is an error at the exchange.
            price: (price != o.price || !qty_changes).then(|| grid_string(inst.tick_size, price.0)),
            qty: qty_changes.then(|| grid_string(inst.qty_step, qty.0)),
        })
    }

    fn cancel_wire(&self, seq: Seq) -> Option<CancelOrder> {
        let o = self.orders.get(seq)?;
        Some(CancelOrder {
            symbol: self.market.inst(o.sym).symbol.clone(),
            order_link_id: self.market.link(seq.n),
        })
    }

    fn send_query(&mut self) -> bool {
        let now = self.out.now;
        let Some(seq) = self.settle.next_due(now) else {
            return false;
        };
        let Some(o) = self.orders.get(seq) else {
            self.settle.forget(seq);
            return true;
        };
        let inst = self.market.inst(o.sym);
        let kind = RequestKind::OpenOrders {
            category: inst.category,
            symbol: inst.symbol.clone(),
            order_link_id: Some(self.market.link(seq.n)),
            cursor: None,
            limit: 1,
        };
        if !self.sender.allows(Endpoint::OpenOrders, 1, &mut self.out) {
            return false;
        }
        self.sender.sending(Endpoint::OpenOrders);
        self.settle.mark_sent(seq);
        self.sender.dispatch(
            Outgoing {
                kind,
                pending: Pending::Query(seq),
                n: 1,
                units: 1,
            },
            &mut self.out,
        );
        true
    }

    /// The earliest future time core must be woken at, if any (runs after
    /// every input: no allocation).
    pub(super) fn next_deadline(&self) -> Option<Timestamp> {
        if self.stopped {
            return None;
        }
        let now = self.out.now;
        let mut next: Option<Timestamp> = None;
        let mut consider = |t: Option<Timestamp>| {
            if let Some(t) = t
                && t > now
                && next.is_none_or(|n| t < n)
            {
                next = Some(t);
            }
        };
        consider(self.sender.pause_until);
        if let Some(t) = &self.tick.current
            && self.bus.has(Op::Place)
        {
            consider(Some(t.deadline));
        }
        for ep in &self.sender.blocked {
            consider(self.sender.budget.next_release(*ep, now));
        }
        consider(self.settle.next_wake(now));
        consider(self.shutdown.as_ref().and_then(Shutdown::wake));
        consider(self.recovery_wake());
        if self.shutdown.is_none() {
            consider(self.fresh.expiry());
        }
        next
    }
}

/// A batch's wire orders, allocated once at its final size (`collect` on a
/// `filter_map` cannot know it and grows the vector step by step).
fn wire_all<T>(seqs: &[Seq], wire: impl Fn(Seq) -> Option<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(seqs.len());
    out.extend(seqs.iter().filter_map(|s| wire(*s)));
    out
}
