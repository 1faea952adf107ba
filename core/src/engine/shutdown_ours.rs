//! Shutdown with `shutdown.cancel = "ours"` (the default): our orders are
//! cancelled by orderLinkId, never the whole symbol, so other strategies on
//! the account keep theirs.
//!
//! Safe without cancel-all because core tracks every order it ever asked
//! for: each symbol's tracked orders (live, unknown, pending) go in
//! cancel-batches; then `shutdown` lists the symbol's open orders and
//! cancels by id anything of ours still listed (an orderLinkId of our form
//! and this session id, tracked or not: a create that landed after core
//! gave up on it is caught here), until a listing shows none of ours.

use crate::config::{Config, ShutdownCancel};
use crate::domain::OrderLinkId;
use crate::effect::{CancelOrder, Endpoint, RequestKind};
use crate::engine::market::Market;
use crate::engine::orders::OrderTable;
use crate::engine::out::{Out, describe};
use crate::engine::sender::{Answer, Next, Outgoing, Pending, Sender};
use crate::engine::settle::Settle;
use crate::engine::shutdown::{Shutdown, Step};
use crate::input::Outcome;
use crate::retcode::OK;

/// How a symbol's shutdown begins, and how each round repeats.
pub(super) fn first_cancel_step(config: &Config) -> Step {
    match config.shutdown.cancel {
        ShutdownCancel::Ours => Step::CancelOurs,
        ShutdownCancel::Symbol => Step::CancelAll,
    }
}

impl Shutdown {
    /// Once the commands in flight are answered: every tracked order of
    /// each symbol to cancel; a symbol with none goes straight to listing.
    pub(super) fn fill_ours_queues(&mut self, orders: &OrderTable, market: &Market) {
        if first_cancel_step(&market.config) != Step::CancelOurs {
            return;
        }
        for (seq, o) in orders.iter() {
            if let Some(c) = self.syms.get_mut(&o.sym) {
                c.queue.push(OrderLinkId::Ours(seq.n));
            }
        }
        for c in self.syms.values_mut() {
            if c.step == Step::CancelOurs && c.queue.is_empty() {
                c.step = Step::List;
            }
        }
    }

    /// A cancel-batch of the symbol's queue, as much as the batch limit and
    /// the budget carry.
    pub(super) fn send_cancel_ours(
        &mut self,
        sym: u32,
        market: &Market,
        sender: &mut Sender,
        out: &mut Out,
    ) -> Next {
        let Some(c) = self.syms.get_mut(&sym) else {
            return Next::Idle;
        };
        let Some((kind, n, units)) = take_cancels(sym, &mut c.queue, market, sender, out) else {
            if c.queue.is_empty() {
                c.step = Step::List;
                return Next::Again;
            }
            return Next::Idle;
        };
        c.in_flight = true;
        Next::Send(Outgoing {
            kind,
            pending: Pending::CancelOurs(sym),
            n,
            units,
        })
    }

    /// Orders answered cancelled are gone; whatever else came back, the
    /// listing that follows the symbol's last batch says what is still open.
    pub(super) fn apply_cancel_ours(
        &mut self,
        sym: u32,
        answer: Answer<'_>,
        orders: &mut OrderTable,
        settle: &mut Settle,
        market: &Market,
        out: &mut Out,
    ) {
        let Answer { id, outcome } = answer;
        let name = market.name(sym).to_string();
        let what = match outcome {
            Outcome::Reply(r) if r.ret_code == OK => {
                // A single cancel's code is the top-level one: no item codes.
                let single = r.codes.is_empty();
                let mut ours = 0;
                for (k, ack) in r.acks.iter().enumerate() {
                    let ok = single || r.codes.get(k).is_some_and(|c| c.code == OK);
                    if ok && let Some(seq) = orders.seq_of(&ack.order_link_id, market) {
                        orders.gone(seq, "cancelled", "", settle, market, out);
                        ours += 1;
                    }
                }
                format!("{ours} of {} cancelled", r.acks.len())
            }
            other => describe(other),
        };
        let Some(c) = self.syms.get_mut(&sym) else {
            return;
        };
        c.in_flight = false;
        let listing = c.queue.is_empty();
        if listing {
            c.step = Step::List;
        }
        out.info(format!(
            "r{} shutdown: cancel-batch {name}: {what}{}",
            id.0,
            if listing { "; verifying" } else { "" }
        ));
    }
}

/// Cancels by orderLinkId from the front of `queue` for symbol `sym`:
/// a cancel-batch as large as the batch limit and the budget carry, or a
/// single cancel when batches are off for cancels (legacy mode,
/// `coalesce_cancel = false`). `None` when the queue is empty or the
/// budget holds it back (the deferral is recorded).
pub(super) fn take_cancels(
    sym: u32,
    queue: &mut Vec<OrderLinkId>,
    market: &Market,
    sender: &mut Sender,
    out: &mut Out,
) -> Option<(RequestKind, u64, u32)> {
    if queue.is_empty() {
        return None;
    }
    let inst = market.inst(sym);
    let (category, symbol) = (inst.category, Market::symbol_id(sym));
    let b = &market.config.async_batch;
    let batch = b.enabled && b.coalesce_cancel;
    let ep = if batch {
        Endpoint::CancelBatch
    } else {
        Endpoint::Cancel
    };
    let avail = sender.budget.available(ep, out.now) as usize;
    let mut n = if batch { market.chunk(category) } else { 1 }.min(queue.len());
    if batch && category.batch_costs_per_order() {
        n = n.min(avail);
    }
    if n == 0 || avail == 0 {
        sender.allows(ep, 1, out);
        return None;
    }
    let mut orders = queue.drain(..n).map(|order_link_id| CancelOrder {
        symbol,
        order_link_id,
    });
    let (kind, units) = if batch {
        let units = if category.batch_costs_per_order() {
            u32::try_from(n).unwrap_or(u32::MAX)
        } else {
            1
        };
        let orders = orders.collect();
        (RequestKind::CancelBatch { category, orders }, units)
    } else {
        let order = orders.next()?;
        (RequestKind::Cancel { category, order }, 1)
    };
    sender.sending(ep);
    Some((kind, n as u64, units))
}
