//! Replies to order commands, applied order by order.
//!
//! | outcome                                    | batch request                  | single request |
//! |--------------------------------------------|--------------------------------|----------------|
//! | reply, retCode 0                           | per item, table below          | the order's code is 0 |
//! | reply, retCode 10006 / 429                 | all re-queued (budget backs off) | re-queued |
//! | reply, retCode 10000 / 10016               | all Unknown                    | Unknown |
//! | reply, other retCode                       | fallback: each order re-queued as a single request | the order's code, table below |
//! | reply, item lists of the wrong length      | all Unknown                    | - |
//! | Timeout, Transport, Malformed              | all Unknown                    | Unknown |
//! | HTTP 403 (IP limit)                        | all re-queued, sending paused 10 s | same |
//! | HTTP 429                                   | all re-queued (budget backs off) | same |
//! | HTTP 400, 404 (not applied)                | fallback to singles            | rejected for good |
//! | HTTP 401, retCode 10003/10004/10005/33004 (top-level or any item) | fatal (see `fatal`) | same |
//! | other HTTP status (5xx, 408, a proxy's 4xx) | fallback to singles, orders in doubt | Unknown |
//!
//! Per order (item code, or a single request's retCode):
//!
//! | code                    | create                  | amend                    | cancel |
//! |-------------------------|-------------------------|--------------------------|--------|
//! | 0                       | Live (order id)         | Live at the new price    | Gone(cancelled) |
//! | 10006, 429              | re-queued               | re-queued                | re-queued |
//! | 10000, 10016            | Unknown                 | Unknown                  | Unknown |
//! | 110072, 170141 (exists) | Unknown, settled by query | rejected (Live unchanged) | rejected (stays Live) |
//! | 110001, 110008, 110010, 170213 (not open) | Gone(rejected) | Gone(not_open) | Gone(not_open) |
//! | anything else           | Gone(rejected)          | Live unchanged           | stays Live (next tick retries) |
//!
//! Except for an order in doubt (an earlier send answered 5xx may have been
//! applied, see `doubt`): any refusal makes it Unknown, settled by a query.
//!
//! After `Shutdown` nothing is re-queued: what a reply would send again is
//! withdrawn instead (places gone, orders in doubt Unknown, amends and
//! cancels left Live for shutdown's cancel-all).
//!
//! A fallback after a whole-batch failure is safe even if the batch was in
//! fact applied: a create resent with its orderLinkId answers 110072, a cancel
//! of a cancelled order 110001. After a 5xx the batch may have been applied,
//! so its orders are in doubt (see `doubt`): if they are not re-sent in time
//! (stale, shutdown) they become Unknown and are queried, never dropped.

use crate::effect::Op;
use crate::engine::bus::{Bus, Key};
use crate::engine::doubt::{Withdrawn, http_not_applied};
use crate::engine::market::Market;
use crate::engine::orders::{OrderTable, Seq, State};
use crate::engine::out::Out;
use crate::engine::sender::{IP_PAUSE_MS, OrdersSent, Sender};
use crate::engine::settle::Settle;
use crate::input::{Ack, Outcome, Reply, RequestId};
use crate::retcode::{
    OK, ORDER_CANCELLED, ORDER_COMPLETED_OR_CANCELLED, ORDER_LINK_ID_DUPLICATE, ORDER_NOT_EXISTS,
    SERVER_ERROR, SERVER_TIMEOUT, SPOT_DUPLICATE_CLIENT_ID, SPOT_ORDER_NOT_EXISTS, SYSTEM_BUSY,
    TOO_MANY_VISITS,
};

pub(super) enum Fate {
    Done,
    Requeue,
    Unknown,
}

pub(super) use crate::engine::out::{clean, describe};

/// What applying replies keeps between them.
#[derive(Default)]
pub(super) struct ReplyScratch {
    /// Commands a reply would have re-queued after `Shutdown`, withdrawn
    /// instead: (places dropped, unknown, left live), summarised per reply.
    not_resent: [u64; 3],
    /// Whether the reply being applied came without rate-limit headers.
    last_reply_unmetered: bool,
    /// Per-order fates of the reply being applied (a kept buffer).
    fates: Vec<(Seq, Fate)>,
}

/// The parts one reply to order commands changes, borrowed while it is
/// applied.
pub(super) struct OrderReply<'a> {
    pub(super) scratch: &'a mut ReplyScratch,
    pub(super) orders: &'a mut OrderTable,
    pub(super) settle: &'a mut Settle,
    pub(super) bus: &'a mut Bus,
    pub(super) sender: &'a mut Sender,
    pub(super) market: &'a Market,
    pub(super) out: &'a mut Out,
    /// Shutdown began: nothing is queued again (see `requeue`).
    pub(super) shutting_down: bool,
}

impl OrderReply<'_> {
    pub(super) fn apply(&mut self, id: RequestId, sent: OrdersSent, outcome: &Outcome) {
        let ep = sent.endpoint;
        self.apply_outcome(id, sent, outcome);
        let [dropped, unknown, live] = std::mem::take(&mut self.scratch.not_resent);
        if dropped + unknown + live > 0 {
            self.out.info(format!(
                "r{} {}: answered after shutdown began, nothing re-sent: {dropped} places dropped, {unknown} orders in doubt unknown, settling, {live} left live for cancel-all",
                id.0,
                ep.name()
            ));
        }
    }

    fn apply_outcome(&mut self, id: RequestId, sent: OrdersSent, outcome: &Outcome) {
        let i = crate::engine::bus::op_index(sent.op);
        self.sender.inflight_ops[i] = self.sender.inflight_ops[i].saturating_sub(1);
        match outcome {
            Outcome::Reply(r) => {
                self.scratch.last_reply_unmetered = r.rate_limit.is_none();
                if let Some(rl) = &r.rate_limit {
                    self.sender.correct_budget(sent.endpoint, rl, self.out);
                }
                match r.ret_code {
                    OK if sent.batch => self.apply_items(id, &sent, r),
                    TOO_MANY_VISITS | SYSTEM_BUSY => {
                        let why = format!("retCode {}", r.ret_code);
                        self.rate_limited(id, &sent, r.rate_limit.is_none(), &why);
                    }
                    SERVER_TIMEOUT | SERVER_ERROR => {
                        self.ambiguous(id, &sent, &format!("retCode {}", r.ret_code));
                    }
                    code if sent.batch => {
                        let why = format!("retCode {code} {}", clean(&r.ret_msg));
                        // Refused as a whole: nothing of it was applied.
                        self.fall_back(id, &sent, &why, false);
                    }
                    code => {
                        let fate = self.apply_code(
                            sent.op,
                            sent.seqs[0],
                            code,
                            &r.ret_msg,
                            r.acks.first(),
                        );
                        self.handle_fates(id, &sent, &[(sent.seqs[0], fate)]);
                    }
                }
            }
            Outcome::Timeout => self.ambiguous(id, &sent, "timeout"),
            Outcome::Transport(e) => {
                self.ambiguous(id, &sent, &format!("transport error: {}", clean(e)));
            }
            Outcome::Malformed(e) => {
                self.ambiguous(id, &sent, &format!("malformed reply: {}", clean(e)));
            }
            // A listing cannot answer an order command: as unclear as a
            // reply that does not parse.
            Outcome::Listing(_) => self.ambiguous(id, &sent, "a listing in reply"),
            Outcome::HttpStatus(403) => self.ip_limited(id, &sent),
            Outcome::HttpStatus(429) => self.rate_limited(id, &sent, true, "http 429"),
            &Outcome::HttpStatus(s) if sent.batch => {
                let doubt = !http_not_applied(s);
                self.fall_back(id, &sent, &format!("http {s}"), doubt);
            }
            &Outcome::HttpStatus(s) if !http_not_applied(s) => {
                self.ambiguous(id, &sent, &format!("http {s}"));
            }
            Outcome::HttpStatus(s) => {
                let fate = self.reject(sent.op, sent.seqs[0], &format!("http {s}"));
                self.handle_fates(id, &sent, &[(sent.seqs[0], fate)]);
            }
        }
    }

    fn apply_items(&mut self, id: RequestId, sent: &OrdersSent, r: &Reply) {
        let n = sent.seqs.len();
        if r.codes.len() != n || r.acks.len() != n {
            let why = format!(
                "reply lists {} results and {} codes for {n} orders",
                r.acks.len(),
                r.codes.len()
            );
            self.ambiguous(id, sent, &why);
            return;
        }
        // A buffer kept across replies (taken out while self is borrowed).
        let mut fates = std::mem::take(&mut self.scratch.fates);
        fates.clear();
        for (k, &seq) in sent.seqs.iter().enumerate() {
            let ack = &r.acks[k];
            let tracked = self.orders.get(seq).is_some();
            let ours = tracked && self.market.is_link(seq.n, ack.order_link_id.as_bytes());
            let fate = if !tracked {
                // Gone while in flight (filled, per the private stream).
                Fate::Done
            } else if !ack.order_link_id.is_empty() && !ours {
                // Results out of order or for someone else's order: we
                // cannot tell what happened to ours.
                Fate::Unknown
            } else {
                self.apply_code(sent.op, seq, r.codes[k].code, &r.codes[k].msg, Some(ack))
            };
            fates.push((seq, fate));
        }
        self.handle_fates(id, sent, &fates);
        self.scratch.fates = fates;
    }

    /// Re-queues and marks unknown what the per-order table says, with one
    /// log line per request for each.
    fn handle_fates(&mut self, id: RequestId, sent: &OrdersSent, fates: &[(Seq, Fate)]) {
        let mut requeued = 0u64;
        let mut unknown = 0u64;
        for (seq, fate) in fates {
            match fate {
                Fate::Done => {}
                Fate::Requeue => {
                    self.requeue(sent.op, *seq, !sent.batch);
                    requeued += 1;
                }
                Fate::Unknown => {
                    self.orders
                        .make_unknown(*seq, sent.op, self.settle, self.out);
                    unknown += 1;
                }
            }
        }
        let ep = sent.endpoint.name();
        if requeued > 0 && self.scratch.last_reply_unmetered {
            // Rate-limited items and no header to say for how long: back
            // off the endpoint for a window rather than resend at once.
            let now = self.out.now;
            self.sender
                .budget
                .exhaust(sent.endpoint, now, now.plus_ms(1000));
        }
        if requeued > 0 {
            self.out.stats.requeued += requeued;
            self.out.totals.requeued += requeued;
            self.out.warn(format!(
                "r{} {ep}: {requeued} orders answered rate-limited: re-queued",
                id.0
            ));
        }
        if unknown > 0 {
            self.out.warn(format!(
                "r{} {ep}: {unknown} orders with an ambiguous result: unknown, settling",
                id.0
            ));
        }
    }

    fn apply_code(&mut self, op: Op, seq: Seq, code: i64, msg: &str, ack: Option<&Ack>) -> Fate {
        match code {
            TOO_MANY_VISITS | SYSTEM_BUSY => return Fate::Requeue,
            SERVER_TIMEOUT | SERVER_ERROR => return Fate::Unknown,
            _ => {}
        }
        let Some(o) = self.orders.get_mut(seq) else {
            return Fate::Done;
        };
        match (op, code) {
            (Op::Place, OK) => {
                o.state = State::Live;
                if let Some(a) = ack.filter(|a| !a.order_id.is_empty()) {
                    o.order_id.clone_from(&a.order_id);
                }
                Fate::Done
            }
            // Already exists (170141: spot's duplicate orderLinkId).
            (Op::Place, ORDER_LINK_ID_DUPLICATE | SPOT_DUPLICATE_CLIENT_ID) => Fate::Unknown,
            (Op::Amend, OK) => {
                if let State::PendingAmend { price, qty } = o.state {
                    o.price = price;
                    o.qty = qty;
                }
                o.state = State::Live;
                Fate::Done
            }
            (Op::Cancel, OK) => {
                self.orders
                    .gone(seq, "cancelled", "", self.settle, self.market, self.out);
                Fate::Done
            }
            // The order is no longer open (never existed, filled, cancelled;
            // 170213 is spot's "does not exist"): gone, whichever command.
            (
                Op::Amend | Op::Cancel,
                ORDER_NOT_EXISTS
                | ORDER_COMPLETED_OR_CANCELLED
                | ORDER_CANCELLED
                | SPOT_ORDER_NOT_EXISTS,
            ) => {
                let detail = format!("{} answered {code} {}", op.name(), clean(msg));
                self.orders
                    .gone(seq, "not_open", &detail, self.settle, self.market, self.out);
                Fate::Done
            }
            _ => self.reject(op, seq, &format!("{code} {}", clean(msg))),
        }
    }

    /// Rejected for good: a create is gone; an amend or cancel leaves the
    /// order Live as it was (the next tick decides again).
    /// A refusal of a re-send whose earlier send may have been applied says
    /// nothing for sure (an applied amend re-sent is refused as "unchanged",
    /// 10001): the order is Unknown and queried instead (see `doubt`).
    fn reject(&mut self, op: Op, seq: Seq, why: &str) -> Fate {
        if self.orders.in_doubt(seq) {
            let link = self.market.link(seq.n);
            self.out.warn(format!(
                "{} of {link} refused ({why}) after an earlier send that may have been applied: unknown, settling",
                op.name()
            ));
            return Fate::Unknown;
        }
        self.out.stats.rejects += 1;
        self.out.totals.rejects += 1;
        if op == Op::Place {
            self.orders
                .gone(seq, "rejected", why, self.settle, self.market, self.out);
            return Fate::Done;
        }
        if let Some(o) = self.orders.get_mut(seq) {
            o.state = State::Live;
            let link = self.market.link(seq.n);
            self.out.warn(format!(
                "{} of {link} rejected ({why}): order stays live",
                op.name()
            ));
        }
        Fate::Done
    }

    /// Queues the command again; after `Shutdown` nothing is sent again, so
    /// it is withdrawn instead (see `doubt::withdraw`).
    fn requeue(&mut self, op: Op, seq: Seq, single: bool) {
        if self.shutting_down {
            if self.orders.get(seq).is_some() {
                let i = match (
                    self.orders
                        .withdraw(op, seq, "shutdown", self.settle, self.market, self.out),
                    op,
                ) {
                    (Withdrawn::Dropped, Op::Place) => 0,
                    (Withdrawn::Unknown, _) => 1,
                    (Withdrawn::Dropped, _) => 2,
                };
                self.scratch.not_resent[i] += 1;
            }
            return;
        }
        if op == Op::Place {
            // Not applied (rate limited, IP limit, refused as a whole) unless
            // an earlier send is in doubt: it rests nowhere until re-sent.
            self.orders.unmark_placed(seq);
        }
        if let Some(o) = self.orders.get(seq) {
            let key = Key {
                sym: o.sym,
                side: o.side,
                level: o.level,
                seq,
            };
            self.bus.push(op, key, single);
        }
    }

    fn ambiguous(&mut self, id: RequestId, sent: &OrdersSent, why: &str) {
        for &seq in &sent.seqs {
            self.orders
                .make_unknown(seq, sent.op, self.settle, self.out);
        }
        self.out.warn(format!(
            "r{} {} {why}: {} orders unknown, settling",
            id.0,
            sent.endpoint.name(),
            sent.seqs.len()
        ));
    }

    /// Re-sends a failed batch's orders as singles. `doubt`: the failure does
    /// not exclude that the batch was applied (see `doubt`).
    fn fall_back(&mut self, id: RequestId, sent: &OrdersSent, why: &str, doubt: bool) {
        if doubt {
            self.orders.raise_doubt(&sent.seqs);
        }
        for &seq in &sent.seqs {
            self.requeue(sent.op, seq, true);
        }
        self.out.stats.fallbacks += 1;
        self.out.totals.fallbacks += 1;
        self.out.warn(format!(
            "r{} {} failed as a whole ({why}): {} orders fall back to single requests",
            id.0,
            sent.endpoint.name(),
            sent.seqs.len()
        ));
    }

    fn rate_limited(&mut self, id: RequestId, sent: &OrdersSent, no_header: bool, why: &str) {
        let now = self.out.now;
        if no_header {
            self.sender
                .budget
                .exhaust(sent.endpoint, now, now.plus_ms(1000));
        }
        for &seq in &sent.seqs {
            self.requeue(sent.op, seq, !sent.batch);
        }
        let n = sent.seqs.len() as u64;
        self.out.stats.requeued += n;
        self.out.totals.requeued += n;
        self.out.warn(format!(
            "r{} {} rate limited ({why}): {n} orders re-queued",
            id.0,
            sent.endpoint.name()
        ));
    }

    fn ip_limited(&mut self, id: RequestId, sent: &OrdersSent) {
        self.sender
            .pause_for_ip_limit(&Outcome::HttpStatus(403), self.out);
        for &seq in &sent.seqs {
            self.requeue(sent.op, seq, !sent.batch);
        }
        self.out.error(format!(
            "r{} {}: HTTP 403 (IP rate limit), nothing applied: {} orders re-queued, all sending paused {IP_PAUSE_MS} ms",
            id.0,
            sent.endpoint.name(),
            sent.seqs.len()
        ));
    }
}
