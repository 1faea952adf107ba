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

use crate::config::ShutdownCancel;
use crate::effect::{CancelOrder, Endpoint, RequestKind};
use crate::engine::Engine;
use crate::engine::apply::describe;
use crate::engine::sender::{Outgoing, Pending};
use crate::engine::shutdown::Step;
use crate::input::{Outcome, RequestId};

impl Engine {
    /// How a symbol's shutdown begins, and how each round repeats.
    pub(super) fn first_cancel_step(&self) -> Step {
        match self.market.config.shutdown.cancel {
            ShutdownCancel::Ours => Step::CancelOurs,
            ShutdownCancel::Symbol => Step::CancelAll,
        }
    }

    /// Once the commands in flight are answered: every tracked order of
    /// each symbol to cancel; a symbol with none goes straight to listing.
    pub(super) fn fill_ours_queues(&mut self) {
        if self.first_cancel_step() != Step::CancelOurs {
            return;
        }
        let mut links: Vec<(u32, String)> = Vec::new();
        for (seq, o) in self.orders.iter() {
            links.push((o.sym, self.market.link(seq.n)));
        }
        let Some(sd) = self.shutdown.as_mut() else {
            return;
        };
        for (sym, link) in links {
            if let Some(c) = sd.syms.get_mut(&sym) {
                c.queue.push(link);
            }
        }
        for c in sd.syms.values_mut() {
            if c.step == Step::CancelOurs && c.queue.is_empty() {
                c.step = Step::List;
            }
        }
    }

    /// A cancel-batch of the symbol's queue, as much as the batch limit and
    /// the budget carry.
    pub(super) fn send_cancel_ours(&mut self, sym: u32) -> bool {
        let mut queue = match self.shutdown.as_mut().and_then(|sd| sd.syms.get_mut(&sym)) {
            Some(c) => std::mem::take(&mut c.queue),
            None => return false,
        };
        let sent = self.take_cancels(sym, &mut queue);
        let Some(c) = self.shutdown.as_mut().and_then(|sd| sd.syms.get_mut(&sym)) else {
            return false;
        };
        c.queue = queue;
        let Some((kind, n, units)) = sent else {
            if c.queue.is_empty() {
                c.step = Step::List;
                return true;
            }
            return false;
        };
        c.in_flight = true;
        self.sender.dispatch(
            Outgoing {
                kind,
                pending: Pending::CancelOurs(sym),
                n,
                units,
            },
            &mut self.out,
        );
        true
    }

    /// Cancels by orderLinkId from the front of `queue` for symbol `sym`:
    /// a cancel-batch as large as the batch limit and the budget carry, or a
    /// single cancel when batches are off for cancels (legacy mode,
    /// `coalesce_cancel = false`). `None` when the queue is empty or the
    /// budget holds it back (the deferral is recorded).
    pub(super) fn take_cancels(
        &mut self,
        sym: u32,
        queue: &mut Vec<String>,
    ) -> Option<(RequestKind, u64, u32)> {
        if queue.is_empty() {
            return None;
        }
        let inst = self.market.inst(sym);
        let (category, symbol) = (inst.category, inst.symbol.clone());
        let b = &self.market.config.async_batch;
        let batch = b.enabled && b.coalesce_cancel;
        let ep = if batch {
            Endpoint::CancelBatch
        } else {
            Endpoint::Cancel
        };
        let avail = self.sender.budget.available(ep, self.out.now) as usize;
        let mut n = if batch {
            self.market.chunk(category)
        } else {
            1
        }
        .min(queue.len());
        if batch && category.batch_costs_per_order() {
            n = n.min(avail);
        }
        if n == 0 || avail == 0 {
            self.sender.allows(ep, 1, &mut self.out);
            return None;
        }
        let mut orders = queue.drain(..n).map(|order_link_id| CancelOrder {
            symbol: symbol.clone(),
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
        self.sender.sending(ep);
        Some((kind, n as u64, units))
    }

    /// Orders answered cancelled are gone; whatever else came back, the
    /// listing that follows the symbol's last batch says what is still open.
    pub(super) fn apply_cancel_ours(&mut self, id: RequestId, sym: u32, outcome: &Outcome) {
        let name = self.market.syms[sym as usize].name.clone();
        let what = match outcome {
            Outcome::Reply(r) if r.ret_code == 0 => {
                // A single cancel's code is the top-level one: no item codes.
                let single = r.codes.is_empty();
                let mut ours = 0;
                for (k, ack) in r.acks.iter().enumerate() {
                    let ok = single || r.codes.get(k).is_some_and(|c| c.code == 0);
                    if ok && let Some(seq) = self.orders.seq_of(&ack.order_link_id, &self.market) {
                        self.orders.gone(
                            seq,
                            "cancelled",
                            "",
                            &mut self.settle,
                            &self.market,
                            &mut self.out,
                        );
                        ours += 1;
                    }
                }
                format!("{ours} of {} cancelled", r.acks.len())
            }
            other => describe(other),
        };
        let Some(c) = self.shutdown.as_mut().and_then(|sd| sd.syms.get_mut(&sym)) else {
            return;
        };
        c.in_flight = false;
        let listing = c.queue.is_empty();
        if listing {
            c.step = Step::List;
        }
        self.out.info(format!(
            "r{} shutdown: cancel-batch {name}: {what}{}",
            id.0,
            if listing { "; verifying" } else { "" }
        ));
    }
}
