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

use crate::effect::{Effect, Endpoint, Op, RequestKind};
use crate::engine::Engine;
use crate::engine::apply::describe;
use crate::engine::doubt::Withdrawn;
use crate::engine::orders::{Ambiguous, State};
use crate::engine::sender::{Outgoing, Pending};
use crate::engine::settle::is_open;
use crate::input::{Outcome, RequestId};
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
    pub(super) queue: Vec<String>,
    found: Vec<String>,
}

pub(super) struct Shutdown {
    draining: bool,
    pub(super) syms: BTreeMap<u32, Clear>,
}

fn backoff_ms(n: u32) -> u64 {
    200 * u64::from(n.clamp(1, 10))
}

impl Engine {
    pub(super) fn on_shutdown(&mut self) {
        if self.shutdown.is_some() {
            self.out.info("shutdown already in progress".to_string());
            return;
        }
        self.abandon_recovery();
        self.tick.conflated = None;
        self.tick.pending_config = None;
        let (mut dropped, mut withdrawn, mut unknown) = (0u64, 0u64, 0u64);
        for op in [Op::Place, Op::Amend, Op::Cancel] {
            for k in self.bus.drain(op) {
                match (
                    self.orders.withdraw(
                        op,
                        k.seq,
                        "shutdown",
                        &mut self.settle,
                        &self.market,
                        &mut self.out,
                    ),
                    op,
                ) {
                    (Withdrawn::Unknown, _) => unknown += 1,
                    (Withdrawn::Dropped, Op::Place) => dropped += 1,
                    (Withdrawn::Dropped, _) => withdrawn += 1,
                }
            }
        }
        let mut syms: BTreeMap<u32, Clear> = BTreeMap::new();
        let configured = self.market.configured_syms();
        let held = self.orders.iter().map(|(_, o)| o.sym);
        for sym in configured
            .into_iter()
            .chain(
                self.traded
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| **t)
                    .filter_map(|(i, _)| u32::try_from(i).ok()),
            )
            .chain(held)
        {
            syms.entry(sym).or_insert(Clear {
                step: self.first_cancel_step(),
                not_before: self.out.now,
                in_flight: false,
                cursor: None,
                open_seen: 0,
                rounds: 0,
                failures: 0,
                queue: Vec::new(),
                found: Vec::new(),
            });
        }
        self.out.info(format!(
            "shutdown: quoting stopped, {dropped} queued places dropped, {withdrawn} queued amends/cancels withdrawn, {unknown} queued commands in doubt made unknown; {} symbols to clear",
            syms.len()
        ));
        self.shutdown = Some(Shutdown {
            draining: true,
            syms,
        });
    }

    /// Moves shutdown along; emits `Stopped` when it is over.
    pub(super) fn shutdown_progress(&mut self) {
        if self.stopped {
            return;
        }
        let Some(sd) = &mut self.shutdown else {
            return;
        };
        if sd.draining {
            if self.sender.inflight_ops.iter().any(|n| *n > 0) {
                return;
            }
            sd.draining = false;
            let how = match self.first_cancel_step() {
                Step::CancelOurs => "our orders by orderLinkId",
                _ => "cancel-all per symbol",
            };
            self.out.info(format!(
                "shutdown: commands in flight answered; cancelling {how}"
            ));
            self.fill_ours_queues();
        }
        let Some(sd) = &self.shutdown else {
            return;
        };
        if !sd.syms.values().all(|c| c.step == Step::Done) || !self.sender.inflight.is_empty() {
            return;
        }
        let left = self.orders.len();
        if left > 0 {
            self.out.error(format!(
                "shutdown: {left} orders could not be confirmed gone (see the lines above)"
            ));
        }
        self.out.info("shutdown complete: stopped".to_string());
        self.out.emit(Effect::Stopped);
        self.stopped = true;
    }

    pub(super) fn shutdown_wake(&self) -> Option<Timestamp> {
        let sd = self.shutdown.as_ref()?;
        sd.syms
            .values()
            .filter(|c| c.step != Step::Done && !c.in_flight)
            .map(|c| c.not_before)
            .min()
    }

    pub(super) fn send_shutdown_request(&mut self) -> bool {
        let now = self.out.now;
        let Some(sd) = &self.shutdown else {
            return false;
        };
        if sd.draining {
            return false;
        }
        let Some((&sym, c)) = sd
            .syms
            .iter()
            .find(|(_, c)| c.step != Step::Done && !c.in_flight && c.not_before <= now)
        else {
            return false;
        };
        if c.step == Step::CancelOurs {
            return self.send_cancel_ours(sym);
        }
        let inst = self.market.inst(sym);
        let (ep, kind, pending) = match c.step {
            Step::CancelAll => (
                Endpoint::CancelAll,
                RequestKind::CancelAll {
                    category: inst.category,
                    symbol: inst.symbol.clone(),
                },
                Pending::CancelAll(sym),
            ),
            _ => (
                Endpoint::OpenOrders,
                RequestKind::OpenOrders {
                    category: inst.category,
                    symbol: inst.symbol.clone(),
                    order_link_id: None,
                    cursor: c.cursor.clone(),
                    limit: PAGE,
                },
                Pending::List(sym),
            ),
        };
        if !self.sender.allows(ep, 1, &mut self.out) {
            return false;
        }
        self.sender.sending(ep);
        if let Some(c) = self.shutdown.as_mut().and_then(|sd| sd.syms.get_mut(&sym)) {
            c.in_flight = true;
        }
        self.sender.dispatch(
            Outgoing {
                kind,
                pending,
                n: 1,
                units: 1,
            },
            &mut self.out,
        );
        true
    }

    pub(super) fn apply_cancel_all(&mut self, id: RequestId, sym: u32, outcome: &Outcome) {
        let name = self.market.syms[sym as usize].name.clone();
        match outcome {
            Outcome::Reply(r) if r.ret_code == 0 => {
                let mut ours = 0;
                for ack in &r.acks {
                    if let Some(seq) = self.orders.seq_of(&ack.order_link_id, &self.market)
                        && self.orders.get(seq).is_some()
                    {
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
                self.out.info(format!(
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
            other => self.clear_failed(id, sym, other, "cancel-all"),
        }
    }

    pub(super) fn apply_list(&mut self, id: RequestId, sym: u32, outcome: &Outcome) {
        let now = self.out.now;
        let name = self.market.syms[sym as usize].name.clone();
        let r = match outcome {
            Outcome::Reply(r) if r.ret_code == 0 => r,
            other => return self.clear_failed(id, sym, other, "open-orders listing"),
        };
        let ours_only = self.first_cancel_step() == Step::CancelOurs;
        let mut open = 0;
        let mut found = Vec::new();
        for x in r
            .orders
            .iter()
            .filter(|x| is_open(&x.status) && x.symbol == name)
        {
            if ours_only {
                if !self.market.is_our_link(&x.order_link_id) {
                    continue;
                }
                found.push(x.order_link_id.clone());
            }
            open += 1;
            if let Some(seq) = self.orders.seq_of(&x.order_link_id, &self.market)
                && self.orders.get(seq).is_some()
            {
                self.settle
                    .settle_live(seq, x, &mut self.orders, &self.market, &mut self.out);
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
                self.out.error(format!(
                    "shutdown: {name} still has {seen} open orders after {MAX_ROUNDS} cancel-all rounds: giving up"
                ));
                self.with_clear(sym, |c| c.step = Step::Done);
            } else {
                let again = if ours_only {
                    "cancel them by id"
                } else {
                    "cancel-all"
                };
                let step = self.first_cancel_step();
                self.out.warn(format!(
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
        for (seq, o) in self.orders.iter().filter(|(_, o)| o.sym == sym) {
            if matches!(
                o.state,
                State::Unknown(Ambiguous::Create) | State::PendingNew
            ) {
                wait_until = wait_until.max(self.market.create_final_at(o.create_sent_at));
            }
            mine.push(seq);
        }
        if wait_until > now {
            self.out.info(format!(
                "shutdown: {name} has nothing open, but a create may still land: listing again in {} ms",
                wait_until.since(now)
            ));
            self.with_clear(sym, |c| c.not_before = wait_until);
            return;
        }
        for seq in &mine {
            self.orders.gone(
                *seq,
                "shutdown",
                "",
                &mut self.settle,
                &self.market,
                &mut self.out,
            );
        }
        self.out.info(format!(
            "shutdown: {name} clear ({} tracked orders confirmed not open)",
            mine.len()
        ));
        self.with_clear(sym, |c| c.step = Step::Done);
    }

    fn clear_failed(&mut self, id: RequestId, sym: u32, outcome: &Outcome, what: &str) {
        let now = self.out.now;
        let name = self.market.syms[sym as usize].name.clone();
        let why = describe(outcome);
        let failures = self.with_clear(sym, |c| {
            c.in_flight = false;
            c.failures += 1;
            c.failures
        });
        if failures > MAX_FAILURES {
            self.out.error(format!(
                "r{} shutdown: {what} for {name} failed {failures} times ({why}): giving up",
                id.0
            ));
            self.with_clear(sym, |c| c.step = Step::Done);
        } else {
            let wait = backoff_ms(failures);
            self.out.warn(format!(
                "r{} shutdown: {what} for {name} failed ({why}): retry in {wait} ms",
                id.0
            ));
            self.with_clear(sym, |c| c.not_before = now.plus_ms(wait));
        }
    }

    fn with_clear<T: Default>(&mut self, sym: u32, f: impl FnOnce(&mut Clear) -> T) -> T {
        self.shutdown
            .as_mut()
            .and_then(|sd| sd.syms.get_mut(&sym))
            .map(f)
            .unwrap_or_default()
    }
}
