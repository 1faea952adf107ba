//! Start-up recovery: before the first quote, orders an earlier session
//! left open are found and dealt with.
//!
//! At the first input (a shutdown first skips it), core lists the open
//! orders of every configured symbol, page by page. An order whose
//! orderLinkId has our form `<session>-<counter>` (session 1 to 15 of
//! `[A-Za-z0-9]`, counter a decimal u64) is an orphan: a crashed or killed
//! run left it (one with our own session id too: this session has sent
//! nothing yet, so it is a reused id's leftover, and its counters would
//! collide with ours). Anything else is another strategy's: left alone and
//! counted (`Totals::foreign_orders`).
//!
//! `recovery.orphans = "cancel"`: each symbol's orphans are cancelled by
//! orderLinkId (cancel-batch, chunked and budgeted as usual), then the
//! symbol is listed again; whatever is still open is cancelled again, until
//! a listing shows none (a failed request is retried with back-off, without
//! end: quoting beside an earlier session's orders is what this prevents).
//! `"refuse"`: once every symbol is listed, `Fatal::OrphansRefused` names
//! them and nothing more is sent.
//!
//! Ticks that arrive meanwhile are held (the newest books kept) and the
//! last one starts when recovery is over, so no place goes out before.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Orphans;
use crate::domain::OrderLinkId;
use crate::effect::{Endpoint, Fatal, RequestKind};
use crate::engine::market::Market;
use crate::engine::out::{Out, describe};
use crate::engine::sender::{Answer, Next, Outgoing, Pending, Sender};
use crate::engine::settle::is_open;
use crate::engine::shutdown_ours::take_cancels;
use crate::input::Outcome;
use crate::retcode::OK;
use crate::time::Timestamp;

const PAGE: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    List,
    Cancel,
    Done,
}

struct SymRecovery {
    step: Step,
    cursor: Option<String>,
    in_flight: bool,
    not_before: Timestamp,
    failures: u32,
    /// Cancel rounds so far.
    rounds: u32,
    /// Orphans the listing in progress has found (pages accumulate).
    seen: BTreeSet<String>,
    /// Orphans the previous listing found (what the cancels were for).
    last: BTreeSet<String>,
    /// Orphans still to be sent a cancel this round.
    queue: Vec<OrderLinkId>,
}

/// Whether recovery ended with an answer: quoting may start, or the
/// orphans are refused and the session ends.
pub(super) enum Ended {
    No,
    Quote,
    Refused(Fatal),
}

#[derive(Default)]
pub(super) struct Recovery {
    started: bool,
    done: bool,
    syms: BTreeMap<u32, SymRecovery>,
    /// `"refuse"`: the orphans found, named in `Fatal`.
    refused: BTreeSet<String>,
}

/// Whether `link` has our form `<session>-<counter>`.
pub(super) fn has_our_form(link: &str) -> bool {
    let Some((session, counter)) = link.split_once('-') else {
        return false;
    };
    (1..=crate::engine::SessionId::MAX_LEN).contains(&session.len())
        && session.bytes().all(|b| b.is_ascii_alphanumeric())
        && !counter.is_empty()
        && counter.bytes().all(|b| b.is_ascii_digit())
        && counter.parse::<u64>().is_ok()
}

fn backoff_ms(n: u32) -> u64 {
    (200u64 << n.min(4)).min(5_000)
}

impl Recovery {
    /// At the first input: every configured symbol to list.
    pub(super) fn start(&mut self, market: &Market, out: &mut Out) -> Ended {
        if self.started {
            return Ended::No;
        }
        self.started = true;
        let now = out.now;
        let syms = market.configured_syms();
        for sym in syms {
            self.syms.insert(
                sym,
                SymRecovery {
                    step: Step::List,
                    cursor: None,
                    in_flight: false,
                    not_before: now,
                    failures: 0,
                    rounds: 0,
                    seen: BTreeSet::new(),
                    last: BTreeSet::new(),
                    queue: Vec::new(),
                },
            );
        }
        out.info(format!(
            "recovery: listing the open orders of {} symbols before the first quote (orphans = {})",
            self.syms.len(),
            market.config.recovery.orphans.name()
        ));
        self.finish(out)
    }

    /// Ticks wait while recovery runs.
    pub(super) fn running(&self) -> bool {
        !self.done
    }

    /// Shutdown before recovery ended: it is abandoned (replies ignored).
    pub(super) fn abandon(&mut self, out: &mut Out) {
        if self.started && !self.done {
            self.done = true;
            out.info("recovery abandoned: shutdown began first".to_string());
        }
    }

    pub(super) fn wake(&self) -> Option<Timestamp> {
        if self.done {
            return None;
        }
        self.syms
            .values()
            .filter(|r| r.step != Step::Done && !r.in_flight)
            .map(|r| r.not_before)
            .min()
    }

    /// The next request recovery needs, if any may go now.
    pub(super) fn next_request(
        &mut self,
        market: &Market,
        sender: &mut Sender,
        out: &mut Out,
    ) -> Next {
        if self.done {
            return Next::Idle;
        }
        let now = out.now;
        let Some((&sym, r)) = self
            .syms
            .iter()
            .find(|(_, r)| r.step != Step::Done && !r.in_flight && r.not_before <= now)
        else {
            return Next::Idle;
        };
        let (step, cursor) = (r.step, r.cursor.clone());
        let inst = market.inst(sym);
        let (category, symbol) = (inst.category, Market::symbol_id(sym));
        let (kind, pending, n, units) = match step {
            Step::List => {
                if !sender.allows(Endpoint::OpenOrders, 1, out) {
                    return Next::Idle;
                }
                let kind = RequestKind::OpenOrders {
                    category,
                    symbol,
                    order_link_id: None,
                    cursor,
                    limit: PAGE,
                    open_only: false,
                };
                (kind, Pending::RecoveryList(sym), 1, 1)
            }
            _ => {
                let mut queue = match self.syms.get_mut(&sym) {
                    Some(r) => std::mem::take(&mut r.queue),
                    None => return Next::Idle,
                };
                let sent = take_cancels(sym, &mut queue, market, sender, out);
                if let Some(r) = self.syms.get_mut(&sym) {
                    r.queue = queue;
                }
                let Some((kind, n, units)) = sent else {
                    return Next::Idle;
                };
                (kind, Pending::RecoveryCancel(sym), n, units)
            }
        };
        sender.sending(kind.endpoint());
        if let Some(r) = self.syms.get_mut(&sym) {
            r.in_flight = true;
        }
        Next::Send(Outgoing {
            kind,
            pending,
            n,
            units,
        })
    }

    /// A page of a symbol's open orders; `Ended` when that was the last
    /// listing recovery waited for.
    pub(super) fn apply_list(
        &mut self,
        sym: u32,
        answer: Answer<'_>,
        market: &Market,
        out: &mut Out,
    ) -> Ended {
        let Answer { id, outcome } = answer;
        if self.done {
            out.info(format!(
                "r{} recovery listing answered after recovery ended: ignored",
                id.0
            ));
            return Ended::No;
        }
        let now = out.now;
        let name = market.syms[sym as usize].name.clone();
        let reply = match outcome {
            Outcome::Reply(r) if r.ret_code == OK => r,
            other => {
                let why = describe(other);
                let Some(r) = self.syms.get_mut(&sym) else {
                    return Ended::No;
                };
                r.in_flight = false;
                r.failures += 1;
                let wait = backoff_ms(r.failures);
                r.not_before = now.plus_ms(wait);
                out.warn(format!(
                    "r{} recovery: listing {name} failed ({why}): retry in {wait} ms; no quote before it succeeds",
                    id.0
                ));
                return Ended::No;
            }
        };
        let Some(r) = self.syms.get_mut(&sym) else {
            return Ended::No;
        };
        r.in_flight = false;
        let mut foreign = 0u64;
        for x in reply
            .orders
            .iter()
            .filter(|x| is_open(&x.status) && x.symbol == name)
        {
            if has_our_form(&x.order_link_id) {
                r.seen.insert(x.order_link_id.to_string());
            } else {
                foreign += 1;
            }
        }
        if r.rounds == 0 {
            out.totals.foreign_orders += foreign;
        }
        let next = reply
            .next_cursor
            .clone()
            .filter(|c| !c.is_empty() && !reply.orders.is_empty());
        if next.is_some() {
            r.cursor = next;
            return Ended::No;
        }
        // The listing is complete: compare with what the cancels were for.
        r.cursor = None;
        let seen = std::mem::take(&mut r.seen);
        let gone = r.last.difference(&seen).count() as u64;
        let new = seen.difference(&r.last).count() as u64;
        let first = r.rounds == 0;
        out.totals.orphans_cancelled += gone;
        out.totals.orphans_found += new;
        let refuse = market.config.recovery.orphans == Orphans::Refuse;
        if seen.is_empty() {
            r.step = Step::Done;
            r.last.clear();
            let text = if first {
                format!("recovery: {name}: no orphans, {foreign} foreign orders left alone")
            } else {
                format!("recovery: {name}: orphans confirmed gone")
            };
            out.info(text);
        } else if refuse {
            r.step = Step::Done;
            out.error(format!(
                "recovery: {name}: {} open orders of an earlier session (orphans = refuse)",
                seen.len()
            ));
            self.refused.extend(seen);
        } else {
            r.rounds += 1;
            r.step = Step::Cancel;
            r.queue = seen.iter().cloned().map(OrderLinkId::Text).collect();
            let (n, rounds) = (seen.len(), r.rounds);
            r.last = seen;
            let text = if first {
                format!(
                    "recovery: {name}: {n} open orders of an earlier session, cancelling them; {foreign} foreign orders left alone"
                )
            } else {
                format!(
                    "recovery: {name}: {n} orphans still open: cancelling again (round {rounds})"
                )
            };
            out.warn(text);
        }
        self.finish(out)
    }

    /// A cancel-batch of orphans answered: the next listing says what is
    /// still open, whatever came back.
    pub(super) fn apply_cancel(
        &mut self,
        sym: u32,
        answer: Answer<'_>,
        market: &Market,
        out: &mut Out,
    ) {
        let Answer { id, outcome } = answer;
        if self.done {
            return out.info(format!(
                "r{} recovery cancel answered after recovery ended: ignored",
                id.0
            ));
        }
        let now = out.now;
        let name = market.syms[sym as usize].name.clone();
        let Some(r) = self.syms.get_mut(&sym) else {
            return;
        };
        r.in_flight = false;
        let what = match outcome {
            Outcome::Reply(x) if x.ret_code == OK && x.codes.is_empty() => "cancelled".to_string(),
            Outcome::Reply(x) if x.ret_code == OK => {
                let ok = x.codes.iter().filter(|c| c.code == OK).count();
                format!("{ok} of {} cancelled", x.codes.len())
            }
            other => describe(other),
        };
        let listing = r.queue.is_empty();
        if listing {
            // The listing confirms what the answers said, whatever they were.
            r.step = Step::List;
            r.not_before = now.plus_ms(if r.rounds > 1 {
                backoff_ms(r.rounds - 1)
            } else {
                0
            });
        }
        out.info(format!(
            "r{} recovery: cancel {name}: {what}{}",
            id.0,
            if listing { "; listing again" } else { "" }
        ));
    }

    /// Ends recovery once every symbol is done: quoting may start (the held
    /// tick, if any), or the refused orphans are named and the session ends.
    fn finish(&mut self, out: &mut Out) -> Ended {
        if self.done || self.syms.values().any(|r| r.step != Step::Done) {
            return Ended::No;
        }
        if !self.refused.is_empty() {
            let order_link_ids: Vec<String> =
                std::mem::take(&mut self.refused).into_iter().collect();
            self.done = true;
            return Ended::Refused(Fatal::OrphansRefused { order_link_ids });
        }
        self.done = true;
        let t = &out.totals;
        let text = format!(
            "recovery done: {} orphans found, {} cancelled and confirmed gone, {} foreign orders left alone; quoting starts",
            t.orphans_found, t.orphans_cancelled, t.foreign_orders
        );
        out.info(text);
        // Its requests are in `Totals`, not in the first tick's stats.
        out.stats = crate::effect::TickStats::default();
        Ended::Quote
    }
}
