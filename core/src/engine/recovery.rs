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
use crate::effect::{Endpoint, Fatal, RequestKind};
use crate::engine::Engine;
use crate::engine::apply::describe;
use crate::engine::sender::{Outgoing, Pending};
use crate::engine::settle::is_open;
use crate::engine::shutdown_ours::take_cancels;
use crate::input::{Outcome, RequestId};
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
    queue: Vec<String>,
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

impl Engine {
    /// At the first input: every configured symbol to list.
    pub(super) fn start_recovery(&mut self) {
        if self.recovery.started {
            return;
        }
        self.recovery.started = true;
        let now = self.out.now;
        let syms = self.market.configured_syms();
        for sym in syms {
            self.recovery.syms.insert(
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
        self.out.info(format!(
            "recovery: listing the open orders of {} symbols before the first quote (orphans = {})",
            self.recovery.syms.len(),
            self.market.config.recovery.orphans.name()
        ));
        self.finish_recovery();
    }

    /// A tick while recovery runs is held (newest books win, as for a
    /// conflated tick) and starts when it is over. True when held.
    pub(super) fn hold_during_recovery(&mut self, books: &[crate::input::BookTop]) -> bool {
        if self.recovery.done {
            return false;
        }
        self.tick.conflated = Some(crate::engine::tick::Conflated {
            books: books.to_vec(),
        });
        self.out
            .info("tick arrived during start-up recovery: held until it is over".to_string());
        true
    }

    /// Starts the tick held during recovery, if one came.
    fn start_held_tick(&mut self) {
        if let Some(c) = self.tick.conflated.take() {
            self.start_tick(&crate::engine::tick::books_by_symbol(&c.books));
        }
    }

    /// Shutdown before recovery ended: it is abandoned (replies ignored).
    pub(super) fn abandon_recovery(&mut self) {
        if self.recovery.started && !self.recovery.done {
            self.recovery.done = true;
            self.out
                .info("recovery abandoned: shutdown began first".to_string());
        }
    }

    pub(super) fn recovery_wake(&self) -> Option<Timestamp> {
        if self.recovery.done {
            return None;
        }
        self.recovery
            .syms
            .values()
            .filter(|r| r.step != Step::Done && !r.in_flight)
            .map(|r| r.not_before)
            .min()
    }

    pub(super) fn send_recovery_request(&mut self) -> bool {
        if self.recovery.done || self.shutdown.is_some() {
            return false;
        }
        let now = self.out.now;
        let Some((&sym, r)) = self
            .recovery
            .syms
            .iter()
            .find(|(_, r)| r.step != Step::Done && !r.in_flight && r.not_before <= now)
        else {
            return false;
        };
        let (step, cursor) = (r.step, r.cursor.clone());
        let inst = self.market.inst(sym);
        let (category, symbol) = (inst.category, inst.symbol.clone());
        let (kind, pending, n, units) = match step {
            Step::List => {
                if !self.sender.allows(Endpoint::OpenOrders, 1, &mut self.out) {
                    return false;
                }
                let kind = RequestKind::OpenOrders {
                    category,
                    symbol,
                    order_link_id: None,
                    cursor,
                    limit: PAGE,
                };
                (kind, Pending::RecoveryList(sym), 1, 1)
            }
            _ => {
                let mut queue = match self.recovery.syms.get_mut(&sym) {
                    Some(r) => std::mem::take(&mut r.queue),
                    None => return false,
                };
                let sent = take_cancels(
                    sym,
                    &mut queue,
                    &self.market,
                    &mut self.sender,
                    &mut self.out,
                );
                if let Some(r) = self.recovery.syms.get_mut(&sym) {
                    r.queue = queue;
                }
                let Some((kind, n, units)) = sent else {
                    return false;
                };
                (kind, Pending::RecoveryCancel(sym), n, units)
            }
        };
        self.sender.sending(kind.endpoint());
        if let Some(r) = self.recovery.syms.get_mut(&sym) {
            r.in_flight = true;
        }
        self.sender.dispatch(
            Outgoing {
                kind,
                pending,
                n,
                units,
            },
            &mut self.out,
        );
        true
    }

    pub(super) fn apply_recovery_list(&mut self, id: RequestId, sym: u32, outcome: &Outcome) {
        if self.recovery.done {
            return self.out.info(format!(
                "r{} recovery listing answered after recovery ended: ignored",
                id.0
            ));
        }
        let now = self.out.now;
        let name = self.market.syms[sym as usize].name.clone();
        let reply = match outcome {
            Outcome::Reply(r) if r.ret_code == 0 => r,
            other => {
                let why = describe(other);
                let Some(r) = self.recovery.syms.get_mut(&sym) else {
                    return;
                };
                r.in_flight = false;
                r.failures += 1;
                let wait = backoff_ms(r.failures);
                r.not_before = now.plus_ms(wait);
                return self.out.warn(format!(
                    "r{} recovery: listing {name} failed ({why}): retry in {wait} ms; no quote before it succeeds",
                    id.0
                ));
            }
        };
        let Some(r) = self.recovery.syms.get_mut(&sym) else {
            return;
        };
        r.in_flight = false;
        let mut foreign = 0u64;
        for x in reply
            .orders
            .iter()
            .filter(|x| is_open(&x.status) && x.symbol == name)
        {
            if has_our_form(&x.order_link_id) {
                r.seen.insert(x.order_link_id.clone());
            } else {
                foreign += 1;
            }
        }
        if r.rounds == 0 {
            self.out.totals.foreign_orders += foreign;
        }
        let next = reply
            .next_cursor
            .clone()
            .filter(|c| !c.is_empty() && !reply.orders.is_empty());
        if next.is_some() {
            r.cursor = next;
            return;
        }
        // The listing is complete: compare with what the cancels were for.
        r.cursor = None;
        let seen = std::mem::take(&mut r.seen);
        let gone = r.last.difference(&seen).count() as u64;
        let new = seen.difference(&r.last).count() as u64;
        let first = r.rounds == 0;
        self.out.totals.orphans_cancelled += gone;
        self.out.totals.orphans_found += new;
        let refuse = self.market.config.recovery.orphans == Orphans::Refuse;
        if seen.is_empty() {
            r.step = Step::Done;
            r.last.clear();
            let text = if first {
                format!("recovery: {name}: no orphans, {foreign} foreign orders left alone")
            } else {
                format!("recovery: {name}: orphans confirmed gone")
            };
            self.out.info(text);
        } else if refuse {
            r.step = Step::Done;
            self.out.error(format!(
                "recovery: {name}: {} open orders of an earlier session (orphans = refuse)",
                seen.len()
            ));
            self.recovery.refused.extend(seen);
        } else {
            r.rounds += 1;
            r.step = Step::Cancel;
            r.queue = seen.iter().cloned().collect();
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
            self.out.warn(text);
        }
        self.finish_recovery();
    }

    pub(super) fn apply_recovery_cancel(&mut self, id: RequestId, sym: u32, outcome: &Outcome) {
        if self.recovery.done {
            return self.out.info(format!(
                "r{} recovery cancel answered after recovery ended: ignored",
                id.0
            ));
        }
        let now = self.out.now;
        let name = self.market.syms[sym as usize].name.clone();
        let Some(r) = self.recovery.syms.get_mut(&sym) else {
            return;
        };
        r.in_flight = false;
        let what = match outcome {
            Outcome::Reply(x) if x.ret_code == 0 && x.codes.is_empty() => "cancelled".to_string(),
            Outcome::Reply(x) if x.ret_code == 0 => {
                let ok = x.codes.iter().filter(|c| c.code == 0).count();
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
        self.out.info(format!(
            "r{} recovery: cancel {name}: {what}{}",
            id.0,
            if listing { "; listing again" } else { "" }
        ));
    }

    /// Ends recovery once every symbol is done: quoting may start (the held
    /// tick, if any), or the refused orphans are named and the session ends.
    fn finish_recovery(&mut self) {
        if self.recovery.done || self.recovery.syms.values().any(|r| r.step != Step::Done) {
            return;
        }
        if !self.recovery.refused.is_empty() {
            let order_link_ids: Vec<String> = std::mem::take(&mut self.recovery.refused)
                .into_iter()
                .collect();
            self.recovery.done = true;
            return self.stop_fatal(Fatal::OrphansRefused { order_link_ids });
        }
        self.recovery.done = true;
        let t = &self.out.totals;
        let text = format!(
            "recovery done: {} orphans found, {} cancelled and confirmed gone, {} foreign orders left alone; quoting starts",
            t.orphans_found, t.orphans_cancelled, t.foreign_orders
        );
        self.out.info(text);
        // Its requests are in `Totals`, not in the first tick's stats.
        self.out.stats = crate::effect::TickStats::default();
        self.start_held_tick();
    }
}
