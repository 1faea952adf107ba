//! Order commands out: which queued commands travel in the next request,
//! and how each order is written on the wire.
//!
//! `Pump` sends what may go: while fewer requests are in flight than
//! allowed, it asks the parts for their next request in priority order:
//! shutdown requests,
//! recovery requests, cancels, amends, settle queries, resync listings
//! (see `resync`), then places (places
//! only once every cancel and amend of the tick has been answered, unless
//! `place_with_cancel`, only while their side has room for another order
//! (see `levels`), and never after `Shutdown`). Requests in flight never
//! exceed `max_parallel_symbols` (1 in legacy mode), every kind counted. A
//! send the rate budget cannot carry is held back (a batch shrinks to what
//! fits when the endpoint has some headroom) and core wakes when units free
//! up. When the budget cannot carry an operation's whole queue, the units
//! go level by level across all symbols (thinning, see `bus`).

use crate::config::{CoalesceScope, Config};
use crate::domain::{Category, OrderLinkId};
use crate::effect::{AmendOrder, CancelOrder, NewOrder, Op, RequestKind};
use crate::engine::bus::{Bus, Key, batch_endpoint, op_index, single_endpoint};
use crate::engine::levels::park_places;
use crate::engine::market::Market;
use crate::engine::orders::{OrderTable, Seq, State};
use crate::engine::out::Out;
use crate::engine::recovery::Recovery;
use crate::engine::sender::{Next, OrdersSent, Outgoing, Pending, Sender};
use crate::engine::settle::Settle;
use crate::engine::shutdown::Shutdown;
use crate::engine::tick::TickRun;
use crate::grid_value::GridValue;

/// The parts a pump reads and changes, borrowed while it sends.
pub(super) struct Pump<'a> {
    pub(super) market: &'a Market,
    pub(super) out: &'a mut Out,
    pub(super) sender: &'a mut Sender,
    pub(super) bus: &'a mut Bus,
    pub(super) orders: &'a mut OrderTable,
    pub(super) settle: &'a mut Settle,
    pub(super) tick: &'a mut TickRun,
    pub(super) recovery: &'a mut Recovery,
    pub(super) resync: &'a mut crate::engine::resync::Resync,
    /// Present once shutdown began: no place goes out any more.
    pub(super) shutdown: Option<&'a mut Shutdown>,
}

impl Pump<'_> {
    /// Sends everything that may go now: nothing during an IP-limit pause;
    /// places without room on their side wait outside the bus meanwhile
    /// (see `levels`).
    pub(super) fn run(mut self) {
        if !self.sender.unpaused(self.out) {
            return;
        }
        let open = places_open(&self.market.config, self.bus, self.sender);
        let parked = if self.shutdown.is_none() && open {
            park_places(self.bus, self.orders, self.market, self.tick, self.out)
        } else {
            Vec::new()
        };
        while self.sender.inflight.len() < self.sender.max_inflight(&self.market.config)
            && self.send_one()
        {}
        self.bus.unpark(Op::Place, parked);
    }

    /// Asks the parts for their next request in priority order and sends
    /// the first; false when none has one now.
    fn send_one(&mut self) -> bool {
        let (market, sender, out) = (self.market, &mut *self.sender, &mut *self.out);
        let mut next = match self.shutdown.as_deref_mut() {
            Some(sd) => sd.next_request(market, sender, out),
            None => self.recovery.next_request(market, sender, out),
        };
        for op in [Op::Cancel, Op::Amend] {
            if matches!(next, Next::Idle) {
                next = next_orders(op, self.bus, self.orders, market, sender, out);
            }
        }
        if matches!(next, Next::Idle) {
            next = self.settle.next_query(self.orders, market, sender, out);
        }
        if matches!(next, Next::Idle) && self.shutdown.is_none() {
            next = self.resync.next_request(self.orders, market, sender, out);
        }
        if matches!(next, Next::Idle)
            && self.shutdown.is_none()
            && places_open(&market.config, self.bus, sender)
        {
            next = next_orders(Op::Place, self.bus, self.orders, market, sender, out);
        }
        match next {
            Next::Send(req) => {
                sender.dispatch(req, out);
                true
            }
            Next::Again => true,
            Next::Idle => false,
        }
    }
}

/// Whether places may go: every cancel and amend of the tick answered
/// (none queued or in flight), unless `place_with_cancel`.
pub(super) fn places_open(config: &Config, bus: &Bus, sender: &Sender) -> bool {
    config.async_batch.place_with_cancel
        || (!bus.has(Op::Cancel)
            && !bus.has(Op::Amend)
            && sender.inflight_ops[op_index(Op::Cancel)] == 0
            && sender.inflight_ops[op_index(Op::Amend)] == 0)
}

/// The next request of queued `op` commands the budget carries: a
/// single-order request first if one waits, else a batch (thinned when
/// the budget cannot carry the whole queue, see `bus`).
pub(super) fn next_orders(
    op: Op,
    bus: &mut Bus,
    orders: &mut OrderTable,
    market: &Market,
    sender: &mut Sender,
    out: &mut Out,
) -> Next {
    if bus.first_single(op).is_some() && sender.allows(single_endpoint(op), 1, out) {
        let units = sender.budget.available(single_endpoint(op), out.now) as usize;
        if let Some(key) = bus.take_single(op, units) {
            return order_request(op, vec![key.seq], false, orders, market, sender, out);
        }
    }
    let Some(front) = bus.first_batch(op) else {
        return Next::Idle;
    };
    let ep = batch_endpoint(op);
    let avail = sender.budget.available(ep, out.now) as usize;
    if avail == 0 {
        sender.defer(ep, out);
        return Next::Idle;
    }
    // Thinning (see `bus`): when the budget cannot carry the whole
    // queue, the batch starts from the best command and carries only
    // commands among the `k` best.
    let mut head = front;
    let mut cutoff = None;
    let queued = bus.batch_len(op);
    if avail < queued
        && let Some(best) = bus.best_batch(op)
    {
        let k = market.batch_orders(market.inst(best.sym).category, avail);
        if k < queued {
            head = best;
            cutoff = Some(bus.cutoff(op, k));
        }
    }
    let category = market.inst(head.sym).category;
    let chunk = market.chunk(category);
    let n = if category.batch_costs_per_order() {
        chunk.min(avail)
    } else {
        chunk
    };
    let by_symbol = market.config.async_batch.coalesce_scope == CoalesceScope::Symbol;
    let group = |k: &Key| -> (Category, Option<u32>) {
        let cat = market.inst(k.sym).category;
        (cat, by_symbol.then_some(k.sym))
    };
    let seqs = match cutoff {
        Some(cutoff) => bus.take_thinned(op, n, head, cutoff, group),
        None => bus.take_batch(op, n, by_symbol, group),
    };
    order_request(op, seqs, true, orders, market, sender, out)
}

/// The request carrying `seqs`' commands of `op`; its orders count as
/// placed (see `levels`) and their symbols as traded. `Again` (nothing
/// sent) when its first order is no longer tracked.
fn order_request(
    op: Op,
    seqs: Vec<Seq>,
    batch: bool,
    orders: &mut OrderTable,
    market: &Market,
    sender: &mut Sender,
    out: &mut Out,
) -> Next {
    let now = out.now;
    let Some(first) = seqs.first().and_then(|s| orders.get(*s)) else {
        return Next::Again;
    };
    let category = market.inst(first.sym).category;
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
    sender.sending(ep);
    let kind = match (op, batch) {
        (Op::Place, true) => RequestKind::PlaceBatch {
            category,
            orders: wire_all(&seqs, |s| new_order_wire(s, orders, market)),
        },
        (Op::Amend, true) => RequestKind::AmendBatch {
            category,
            orders: wire_all(&seqs, |s| amend_wire(s, orders, market)),
        },
        (Op::Cancel, true) => RequestKind::CancelBatch {
            category,
            orders: wire_all(&seqs, |s| cancel_wire(s, orders)),
        },
        (Op::Place, false) => match new_order_wire(seqs[0], orders, market) {
            Some(order) => RequestKind::Place { category, order },
            None => return Next::Again,
        },
        (Op::Amend, false) => match amend_wire(seqs[0], orders, market) {
            Some(order) => RequestKind::Amend { category, order },
            None => return Next::Again,
        },
        (Op::Cancel, false) => match cancel_wire(seqs[0], orders) {
            Some(order) => RequestKind::Cancel { category, order },
            None => return Next::Again,
        },
    };
    for s in &seqs {
        if op == Op::Place {
            orders.mark_placed(*s);
        }
        if let Some(o) = orders.get_mut(*s) {
            if op == Op::Place {
                o.create_sent_at = now;
            }
            let sym = o.sym;
            orders.mark_traded(sym);
        }
    }
    let n = seqs.len() as u64;
    if batch && n >= 2 {
        *out.stats.coalesced.entry(op).or_insert(0) += n;
        *out.totals.coalesced.entry(op).or_insert(0) += n;
    }
    sender.inflight_ops[op_index(op)] += 1;
    let pending = Pending::Orders(OrdersSent {
        op,
        seqs,
        batch,
        endpoint: ep,
    });
    Next::Send(Outgoing {
        kind,
        pending,
        n,
        units,
    })
}

fn new_order_wire(seq: Seq, orders: &OrderTable, market: &Market) -> Option<NewOrder> {
    let o = orders.get(seq)?;
    let inst = market.inst(o.sym);
    Some(NewOrder {
        symbol: Market::symbol_id(o.sym),
        side: o.side,
        price: GridValue::new(inst.tick_size, o.price.0),
        qty: GridValue::new(inst.qty_step, o.qty.0),
        order_link_id: OrderLinkId::Ours(seq.n),
        post_only: true,
    })
}

fn amend_wire(seq: Seq, orders: &OrderTable, market: &Market) -> Option<AmendOrder> {
    let o = orders.get(seq)?;
    let inst = market.inst(o.sym);
    let (price, qty) = match o.state {
        State::PendingAmend { price, qty } => (price, qty),
        _ => (o.price, o.qty),
    };
    let qty_changes = qty != o.qty;
    Some(AmendOrder {
        symbol: Market::symbol_id(o.sym),
        order_link_id: OrderLinkId::Ours(seq.n),
        // Always carry the price when nothing else changes: an amend
        // with no field is an error at the exchange.
        price: (price != o.price || !qty_changes).then(|| GridValue::new(inst.tick_size, price.0)),
        qty: qty_changes.then(|| GridValue::new(inst.qty_step, qty.0)),
    })
}

fn cancel_wire(seq: Seq, orders: &OrderTable) -> Option<CancelOrder> {
    let o = orders.get(seq)?;
    Some(CancelOrder {
        symbol: Market::symbol_id(o.sym),
        order_link_id: OrderLinkId::Ours(seq.n),
    })
}

/// A batch's wire orders, allocated once at its final size (`collect` on a
/// `filter_map` cannot know it and grows the vector step by step).
fn wire_all<T>(seqs: &[Seq], wire: impl Fn(Seq) -> Option<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(seqs.len());
    out.extend(seqs.iter().filter_map(|s| wire(*s)));
    out
}
