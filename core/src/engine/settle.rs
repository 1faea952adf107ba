//! Settling `Unknown` orders: one open-orders query by orderLinkId each.
//!
//! | query answer                     | Unknown create            | Unknown amend / cancel |
//! |----------------------------------|---------------------------|------------------------|
//! | found, open (New, PartiallyFilled, Untriggered, Created) | Live, exchange's price/qty | same |
//! | found, closed (Filled, Cancelled, Rejected, ...) | Gone(filled) when Filled, else Gone(closed: status reason) | same |
//! | not found, recv window + margin passed since the create was sent | Gone(never_created) | Gone(not_open) |
//! | not found, recv window + margin not yet passed | re-query on the back-off (never later than when it has passed) | Gone(not_open) |
//! | (once the private stream has been up) not found open | ask the closed orders (`openOnly=1`) first: found there, Gone(filled) when `Filled`, else Gone(closed); not found there either, the rows above | same |
//! | query failed (any other outcome) | retry with back-off       | same |
//!
//! The back-off is short (200 ms doubling, capped at `MAX_BACKOFF_MS`): an
//! unknown order is asked about at once and again soon, so a create that
//! lands late is seen (and repriced or pulled) within a tick or two.
//!
//! The recv-window wait: a create we sent may still be sitting in a queue
//! somewhere; the exchange refuses any request older than its recv window,
//! so once that (plus `LATE_LANDING_MARGIN_MS`) has passed since we sent it,
//! "not found" is final.
//! An unknown order freezes its level in reconcile only while its query is
//! unanswered (`awaiting`); between queries its level is reconciled, the
//! unknown order itself untouched and still counted against its side's
//! `levels` (see `levels`), so nothing is placed beside it that could
//! double-quote the side, and no live order of that level rests stale.

use std::collections::BTreeMap;

use crate::decimal::Decimal;
use crate::domain::OrderLinkId;
use crate::effect::{Endpoint, RequestKind};
use crate::engine::market::Market;
use crate::engine::orders::OrderTable;
use crate::engine::orders::{Ambiguous, Seq, State};
use crate::engine::out::{Out, clean};
use crate::engine::sender::{Answer, Next, Outgoing, Pending, Sender};
use crate::input::{ExchangeOrder, Outcome};
use crate::retcode::OK;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy)]
struct Entry {
    due: Timestamp,
    failures: u32,
    in_flight: bool,
    /// The next query asks the recently closed orders (`openOnly=1`).
    closed: bool,
}

#[derive(Default)]
pub(super) struct Settle {
    entries: BTreeMap<Seq, Entry>,
    /// Ask the closed orders before "not found" counts (see the module
    /// docs): on once the private stream has been up.
    pub(super) ask_closed: bool,
}

impl Settle {
    pub(super) fn add(&mut self, seq: Seq, now: Timestamp) {
        self.entries.insert(
            seq,
            Entry {
                due: now,
                failures: 0,
                in_flight: false,
                closed: false,
            },
        );
    }

    pub(super) fn forget(&mut self, seq: Seq) {
        self.entries.remove(&seq);
    }

    /// The first order whose query is due and not already in flight.
    fn next_due(&self, now: Timestamp) -> Option<Seq> {
        self.entries
            .iter()
            .find(|(_, e)| !e.in_flight && e.due <= now)
            .map(|(s, _)| *s)
    }

    pub(super) fn next_wake(&self, now: Timestamp) -> Option<Timestamp> {
        self.entries
            .values()
            .filter(|e| !e.in_flight && e.due > now)
            .map(|e| e.due)
            .min()
    }

    /// Whether `seq`'s query is in flight or due: its level stays frozen.
    pub(super) fn awaiting(&self, seq: Seq, now: Timestamp) -> bool {
        self.entries
            .get(&seq)
            .is_some_and(|e| e.in_flight || e.due <= now)
    }

    fn mark_sent(&mut self, seq: Seq) {
        if let Some(e) = self.entries.get_mut(&seq) {
            e.in_flight = true;
        }
    }
}

/// Open states per Bybit's `orderStatus` enum.
pub(super) fn is_open(status: &str) -> bool {
    matches!(
        status,
        "New" | "PartiallyFilled" | "Untriggered" | "Created"
    )
}

/// How long past `create_sent_at + recv_window_ms` a create may still land.
/// Bybit accepts a request whose timestamp is up to 1000 ms AHEAD of its
/// server clock (`server_time - recv_window <= timestamp < server_time +
/// 1000`), so a server clock behind ours by up to that much still takes the
/// request a full second after our own reading of the window's end; clock
/// skew between the shell's clock and the one that stamped the request
/// (they are the same host, but not the same instant) is inside that second.
pub(super) const LATE_LANDING_MARGIN_MS: u64 = 1000;

/// The longest wait between two queries of one unknown order.
const MAX_BACKOFF_MS: u64 = 1_600;

/// 200, 400, 800, 1600, 1600... ms after the `n`-th answer (1-based).
fn backoff_ms(n: u32) -> u64 {
    (100u64 << n.clamp(1, 5)).min(MAX_BACKOFF_MS)
}

impl Settle {
    /// The next due query, if the budget carries it (`Again` when its order
    /// was gone already: forgotten, nothing sent).
    pub(super) fn next_query(
        &mut self,
        orders: &OrderTable,
        market: &Market,
        sender: &mut Sender,
        out: &mut Out,
    ) -> Next {
        let Some(seq) = self.next_due(out.now) else {
            return Next::Idle;
        };
        let Some(o) = orders.get(seq) else {
            self.forget(seq);
            return Next::Again;
        };
        let inst = market.inst(o.sym);
        let kind = RequestKind::OpenOrders {
            category: inst.category,
            symbol: Market::symbol_id(o.sym),
            order_link_id: Some(OrderLinkId::Ours(seq.n)),
            cursor: None,
            limit: 1,
            open_only: self.entries.get(&seq).is_some_and(|e| e.closed),
        };
        if !sender.allows(Endpoint::OpenOrders, 1, out) {
            return Next::Idle;
        }
        sender.sending(Endpoint::OpenOrders);
        self.mark_sent(seq);
        Next::Send(Outgoing {
            kind,
            pending: Pending::Query(seq),
            n: 1,
            units: 1,
        })
    }

    /// An open-orders query for `seq` was answered (see the module table).
    pub(super) fn apply_query(
        &mut self,
        seq: Seq,
        answer: Answer<'_>,
        orders: &mut OrderTable,
        sender: &mut Sender,
        market: &Market,
        out: &mut Out,
    ) {
        let Answer { id, outcome } = answer;
        let now = out.now;
        let Some(entry) = self.entries.get_mut(&seq) else {
            out.info(format!(
                "r{} open_orders: order no longer unknown, reply ignored",
                id.0
            ));
            return;
        };
        entry.in_flight = false;
        let closed_query = std::mem::take(&mut entry.closed);
        let Some(order) = orders.get(seq) else {
            self.forget(seq);
            return;
        };
        let link = crate::engine::orders::link_of(&market.session, seq.n);
        let sent_at = order.create_sent_at;
        let cause = match order.state {
            State::Unknown(c) => c,
            _ => {
                self.forget(seq);
                return;
            }
        };
        let reply = match outcome {
            Outcome::Reply(r) if r.ret_code == OK => r,
            other => {
                let why = crate::engine::apply::describe(other);
                entry.failures += 1;
                let wait = backoff_ms(entry.failures);
                entry.due = now.plus_ms(wait);
                out.warn(format!(
                    "r{} query for {link} failed ({why}): retry in {wait} ms",
                    id.0
                ));
                return;
            }
        };
        if let Some(rl) = &reply.rate_limit {
            sender.correct_budget(crate::effect::Endpoint::OpenOrders, rl, out);
        }
        match reply.orders.iter().find(|o| o.order_link_id == link) {
            Some(x) if is_open(&x.status) => self.settle_live(seq, x, orders, market, out),
            Some(x) => {
                let detail = format!("settled: {} {}", clean(&x.status), clean(&x.reject_reason));
                let class = if x.status == "Filled" {
                    "filled"
                } else {
                    "closed"
                };
                orders.gone(seq, class, detail.trim_end(), self, market, out);
            }
            None if self.ask_closed && !closed_query => {
                // Not open: it may have filled (or been cancelled) already.
                if let Some(e) = self.entries.get_mut(&seq) {
                    e.closed = true;
                    e.due = now;
                }
            }
            None => match cause {
                Ambiguous::Create => {
                    let final_at = market.create_final_at(sent_at);
                    if now >= final_at {
                        orders.gone(
                            seq,
                            "never_created",
                            "settled: not found after the recv window",
                            self,
                            market,
                            out,
                        );
                    } else if let Some(e) = self.entries.get_mut(&seq) {
                        // Asked again soon: it may land any moment until then.
                        e.failures += 1;
                        e.due = now.plus_ms(backoff_ms(e.failures)).min(final_at);
                        if e.failures == 1 {
                            out.info(format!(
                                "{link} not found yet: asking again every {MAX_BACKOFF_MS} ms at most until its recv window has passed in {} ms",
                                final_at.since(now)
                            ));
                        }
                    }
                }
                Ambiguous::Amend | Ambiguous::Cancel => {
                    orders.gone(seq, "not_open", "settled: not found", self, market, out);
                }
            },
        }
    }

    /// The exchange has it open: Live with the exchange's price and qty
    /// (ours kept, and said so, if theirs do not fit the grid).
    pub(super) fn settle_live(
        &mut self,
        seq: Seq,
        x: &ExchangeOrder,
        orders: &mut OrderTable,
        market: &Market,
        out: &mut Out,
    ) {
        self.forget(seq);
        let Some(o) = orders.get(seq) else {
            return;
        };
        let inst = market.inst(o.sym);
        let price = x
            .price
            .parse::<Decimal>()
            .ok()
            .and_then(|d| inst.price_ticks(&d));
        let qty = x
            .qty
            .parse::<Decimal>()
            .ok()
            .and_then(|d| inst.qty_lots(&d));
        let link = market.link(seq.n);
        if price.is_none() || qty.is_none() {
            out.warn(format!(
                "{link}: exchange price {:?} / qty {:?} not on the grid: keeping ours",
                clean(&x.price),
                clean(&x.qty)
            ));
        }
        if let Some(o) = orders.get_mut(seq) {
            o.state = State::Live;
            if let Some(p) = price {
                o.price = p;
            }
            if let Some(q) = qty {
                o.qty = q;
            }
            if !x.order_id.is_empty() {
                o.order_id.clone_from(&x.order_id);
            }
        }
        out.info(format!("{link} settled: open ({})", clean(&x.status)));
    }
}
