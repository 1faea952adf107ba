//! Shutdown: stop quoting, cancel everything, prove nothing is open, `Stopped`.
//!
//! 1. Stop: no more ticks (later ones are ignored), conflated books and a
//!    pending config dropped, queued places dropped (Gone), queued amends and
//!    cancels withdrawn (the orders stay Live: cancel-all takes them). A
//!    queued command that an earlier send may have applied makes its order
//!    Unknown instead (see `doubt`): the queries and the listing settle it.
//! 2. Drain: wait until every order command in flight has been answered.
//! 3. Per symbol (configured or ever traded): with `shutdown.cancel =
//!    "ours"` (the default) a cancel-batch of our tracked orders by
//!    orderLinkId (see `shutdown_ours`), with `"symbol"` a cancel-all; then
//!    list open orders page by page. Anything of ours still open (with
//!    "symbol": anything at all) is cancelled again, by id or cancel-all (at
//!    most `MAX_ROUNDS`, with back-off); other strategies' orders are left
//!    alone with "ours". Nothing open: every order of the symbol
//!    is gone, unless a create may still land (recv window), then list again
//!    when it can no longer.
//! 4. When every symbol is clear and nothing is in flight: `Stopped`. A
//!    symbol that cannot be cleared within the bounds is reported as an
//!    ERROR, and shutdown still ends: a shell waiting forever helps no one.

use std::collections::BTreeMap;

use crate::domain::OrderLinkId;
use crate::effect::{Effect, Endpoint, Op, RequestKind};
use crate::engine::bus::Bus;
use crate::engine::doubt::Withdrawn;
use crate::engine::market::Market;
use crate::engine::orders::{Ambiguous, OrderTable, State};
use crate::engine::out::{Out, describe};
use crate::engine::sender::{Answer, Next, Outgoing, Pending, Sender};
use crate::engine::settle::{Settle, is_open};
use crate::engine::shutdown_ours::first_cancel_step;
use crate::input::Outcome;
use crate::retcode::OK;
use crate::time::Timestamp;

const MAX_ROUNDS: u32 = 5;
const MAX_FAILURES: u32 = 8;
const PAGE: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    CancelAll,
    CancelOurs,
    List,
    Done,
}

pub(super) struct Clear {
    pub(super) step: Step,
    pub(super) not_before: Timestamp,
    pub(super) in_flight: bool,
    cursor: Option<String>,
    open_seen: u64,
    rounds: u32,
    failures: u32,
    /// `"ours"`: orderLinkIds still to be sent a cancel this round, and
    /// ours the listing in progress found open.
    pub(super) queue: Vec<OrderLinkId>,
    found: Vec<OrderLinkId>,
}

pub(super) struct Shutdown {
    draining: bool,
    pub(super) syms: BTreeMap<u32, Clear>,
    /// Emitted right before `Stopped` (a kill switch's shutdown).
    pub(super) then_fatal: Option<crate::effect::Fatal>,
}

fn backoff_ms(n: u32) -> u64 {
    200 * u64::from(n.clamp(1, 10))
}

impl Shutdown {
    /// Shutdown begins: queued commands withdrawn (see `doubt`), every
    /// symbol configured, ever traded or holding an order to clear.
    pub(super) fn begin(
        bus: &mut Bus,
        orders: &mut OrderTable,
        settle: &mut Settle,
        market: &Market,
        out: &mut Out,
    ) -> Shutdown {
        let (mut dropped, mut withdrawn, mut unknown) = (0u64, 0u64, 0u64);
        for op in [Op::Place, Op::Amend, Op::Cancel] {
            for k in bus.drain(op) {
                match (
                    orders.withdraw(op, k.seq, "shutdown", settle, market, out),
                    op,
                ) {
                    (Withdrawn::Unknown, _) => unknown += 1,
                    (Withdrawn::Dropped, Op::Place) => dropped += 1,
                    (Withdrawn::Dropped, _) => withdrawn += 1,
                }
            }
        }
        let mut syms: BTreeMap<u32, Clear> = BTreeMap::new();
        let configured = market.configured_syms();
        let held = orders.iter().map(|(_, o)| o.sym);
        for sym in configured
            .into_iter()
            .chain(orders.traded_syms())
            .chain(held)
        {
            syms.entry(sym).or_insert(Clear {
                step: first_cancel_step(&market.config),
                not_before: out.now,
                in_flight: false,
                cursor: None,
                open_seen: 0,
                rounds: 0,
                failures: 0,
                queue: Vec::new(),
                found: Vec::new(),
            });
        }
        out.info(format!(
            "shutdown: quoting stopped, {dropped} queued places dropped, {withdrawn} queued amends/cancels withdrawn, {unknown} queued commands in doubt made unknown; {} symbols to clear",
            syms.len()
        ));
        Shutdown {
            draining: true,
            syms,
            then_fatal: None,
        }
    }

    /// Moves shutdown along; true once it is over (`Stopped` emitted).
    pub(super) fn progress(
        &mut self,
        sender: &Sender,
        orders: &OrderTable,
        market: &Market,
        out: &mut Out,
    ) -> bool {
        if self.draining {
            if sender.inflight_ops.iter().any(|n| *n > 0) {
                return false;
            }
            self.draining = false;
            let how = match first_cancel_step(&market.config) {
                Step::CancelOurs => "our orders by orderLinkId",
                _ => "cancel-all per symbol",
            };
            out.info(format!(
                "shutdown: commands in flight answered; cancelling {how}"
            ));
            self.fill_ours_queues(orders, market);
        }
        if !self.syms.values().all(|c| c.step == Step::Done) || !sender.inflight.is_empty() {
            return false;
        }
        let left = orders.len();
        if left > 0 {
            out.error(format!(
                "shutdown: {left} orders could not be confirmed gone (see the lines above)"
            ));
        }
        out.info("shutdown complete: stopped".to_string());
        if let Some(fatal) = self.then_fatal.take() {
            out.error(format!("fatal: {fatal}"));
            out.emit(Effect::Fatal(fatal));
        }
        out.emit(Effect::Stopped);
        true
    }

    pub(super) fn wake(&self) -> Option<Timestamp> {
        self.syms
            .values()
            .filter(|c| c.step != Step::Done && !c.in_flight)
            .map(|c| c.not_before)
            .min()
    }

    /// The next request shutdown needs, if any may go now.
    pub(super) fn next_request(
        &mut self,
        market: &Market,
        sender: &mut Sender,
        out: &mut Out,
    ) -> Next {
        let now = out.now;
        if self.draining {
            return Next::Idle;
        }
        let Some((&sym, c)) = self
            .syms
            .iter()
            .find(|(_, c)| c.step != Step::Done && !c.in_flight && c.not_before <= now)
        else {
            return Next::Idle;
        };
        if c.step == Step::CancelOurs {
            return self.send_cancel_ours(sym, market, sender, out);
        }
        let inst = market.inst(sym);
        let (ep, kind, pending) = match c.step {
            Step::CancelAll => (
                Endpoint::CancelAll,
                RequestKind::CancelAll {
                    category: inst.category,
                    symbol: Market::symbol_id(sym),
                },
                Pending::CancelAll(sym),
            ),
            _ => (
                Endpoint::OpenOrders,
                RequestKind::OpenOrders {
                    category: inst.category,
                    symbol: Market::symbol_id(sym),
                    order_link_id: None,
                    cursor: c.cursor.clone(),
                    limit: PAGE,
                    open_only: false,
                },
                Pending::List(sym),
            ),
        };
        if !sender.allows(ep, 1, out) {
            return Next::Idle;
        }
        sender.sending(ep);
        if let Some(c) = self.syms.get_mut(&sym) {
            c.in_flight = true;
        }
        Next::Send(Outgoing {
            kind,
            pending,
            n: 1,
            units: 1,
        })
    }

    pub(super) fn apply_cancel_all(
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
        match outcome {
            Outcome::Reply(r) if r.ret_code == OK => {
                let mut ours = 0;
                for ack in &r.acks {
                    if let Some(seq) = orders.seq_of(&ack.order_link_id, market)
                        && orders.get(seq).is_some()
                    {
                        orders.gone(seq, "cancelled", "", settle, market, out);
                        ours += 1;
                    }
                }
                out.info(format!(
                    "r{} shutdown: cancel-all {name} cancelled {} orders ({ours} ours); verifying",
                    id.0,
                    r.acks.len()
                ));
                self.with_clear(sym, |c| {
                    c.in_flight = false;
                    c.step = Step::List;
                    c.cursor = None;
                    c.open_seen = 0;
                });
            }
            _ => self.clear_failed(answer, &name, sym, "cancel-all", out),
        }
    }

    pub(super) fn apply_list(
        &mut self,
        sym: u32,
        answer: Answer<'_>,
        orders: &mut OrderTable,
        settle: &mut Settle,
        market: &Market,
        out: &mut Out,
    ) {
        let now = out.now;
        let name = market.name(sym).to_string();
        let r = match answer.outcome {
            Outcome::Reply(r) if r.ret_code == OK => r,
            _ => return self.clear_failed(answer, &name, sym, "open-orders listing", out),
        };
        let ours_only = first_cancel_step(&market.config) == Step::CancelOurs;
        let mut open = 0;
        let mut found = Vec::new();
        for x in r
            .orders
            .iter()
            .filter(|x| is_open(&x.status) && x.symbol == name)
        {
            if ours_only {
                if !market.is_our_link(&x.order_link_id) {
                    continue;
                }
                found.push(market.link_id(&x.order_link_id));
            }
            open += 1;
            if let Some(seq) = orders.seq_of(&x.order_link_id, market)
                && orders.get(seq).is_some()
            {
                settle.settle_live(seq, x, orders, market, out);
            }
        }
        let next = r
            .next_cursor
            .clone()
            .filter(|c| !c.is_empty() && !r.orders.is_empty());
        let more = next.is_some();
        let seen = self.with_clear(sym, |c| {
            c.in_flight = false;
            c.found.append(&mut found);
            c.open_seen += open;
            c.cursor = next;
            c.open_seen
        });
        if more {
            return;
        }
        self.with_clear(sym, |c| {
            c.open_seen = 0;
            if seen == 0 {
                c.found.clear();
            }
        });
        if seen > 0 {
            let rounds = self.with_clear(sym, |c| {
                c.rounds += 1;
                c.rounds
            });
            if rounds > MAX_ROUNDS {
                out.error(format!(
                    "shutdown: {name} still has {seen} open orders after {MAX_ROUNDS} cancel-all rounds: giving up"
                ));
                self.with_clear(sym, |c| c.step = Step::Done);
            } else {
                let again = if ours_only {
                    "cancel them by id"
                } else {
                    "cancel-all"
                };
                let step = first_cancel_step(&market.config);
                out.warn(format!(
                    "shutdown: {name} still has {seen} open orders{}: {again} again",
                    if ours_only { " of ours" } else { "" }
                ));
                self.with_clear(sym, |c| {
                    c.step = step;
                    c.queue = std::mem::take(&mut c.found);
                    c.not_before = now.plus_ms(backoff_ms(rounds));
                });
            }
            return;
        }
        // Nothing open. A create that may still land keeps the symbol open
        // until its recv window (and margin) has passed.
        let mut wait_until = now;
        let mut mine = Vec::new();
        for (seq, o) in orders.iter().filter(|(_, o)| o.sym == sym) {
            if matches!(
                o.state,
                State::Unknown(Ambiguous::Create) | State::PendingNew
            ) {
                wait_until = wait_until.max(market.create_final_at(o.create_sent_at));
            }
            mine.push(seq);
        }
        if wait_until > now {
            out.info(format!(
                "shutdown: {name} has nothing open, but a create may still land: listing again in {} ms",
                wait_until.since(now)
            ));
            self.with_clear(sym, |c| c.not_before = wait_until);
            return;
        }
        for seq in &mine {
            orders.gone(*seq, "shutdown", "", settle, market, out);
        }
        out.info(format!(
            "shutdown: {name} clear ({} tracked orders confirmed not open)",
            mine.len()
        ));
        self.with_clear(sym, |c| c.step = Step::Done);
    }

    fn clear_failed(
        &mut self,
        answer: Answer<'_>,
        name: &str,
        sym: u32,
        what: &str,
        out: &mut Out,
    ) {
        let Answer { id, outcome } = answer;
        let now = out.now;
        let why = describe(outcome);
        let failures = self.with_clear(sym, |c| {
            c.in_flight = false;
            c.failures += 1;
            c.failures
        });
        if failures > MAX_FAILURES {
            out.error(format!(
                "r{} shutdown: {what} for {name} failed {failures} times ({why}): giving up",
                id.0
            ));
            self.with_clear(sym, |c| c.step = Step::Done);
        } else {
            let wait = backoff_ms(failures);
            out.warn(format!(
                "r{} shutdown: {what} for {name} failed ({why}): retry in {wait} ms",
                id.0
            ));
            self.with_clear(sym, |c| c.not_before = now.plus_ms(wait));
        }
    }

    fn with_clear<T: Default>(&mut self, sym: u32, f: impl FnOnce(&mut Clear) -> T) -> T {
        self.syms.get_mut(&sym).map(f).unwrap_or_default()
    }
}
