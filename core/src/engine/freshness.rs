//! Book freshness, on a timer.
//!
//! Core remembers when each symbol's last good book was received. Per
//! symbol, a tick:
//! - with a good, fresh book: quotes on it (and remembers it);
//! - with a bad book (crossed, unparseable, off the grid, older than
//!   `max_book_age_ms`): no quotes, the symbol's orders are cancelled at
//!   once, the memory is dropped;
//! - without the symbol's book (the shell's market-data fetch failed, or a
//!   conflated tick's newest books lack it): while the last good book is
//!   younger than `max_book_age_ms`, the symbol is *held*: its resting
//!   orders are left alone and nothing is re-quoted. Once it is older, the
//!   symbol is refused as stale: orders cancelled, no quotes until a fresh
//!   book.
//!
//! Why: one failed fetch should not pull and re-place a whole book of
//! quotes (two rounds of requests, and the queue position lost), but quotes
//! must not rest on a price older than the operator allows either.
//!
//! The timer: core asks for a `Wake` when the oldest remembered book of a
//! symbol gets too old, so stale quotes are pulled even when no tick arrives
//! at all (a stalled shell). At that wake, with no tick in flight, core runs
//! a tick of its own without books (logged, ending in a `TickDone` like any
//! tick): the expired symbols are refused and their orders cancelled, the
//! others are held. A remembered book of a symbol without orders just
//! expires, no tick.

use crate::domain::{Instrument, Ticks};
use crate::engine::market::Market;
use crate::engine::orders::OrderTable;
use crate::engine::out::Out;
use crate::engine::quote::{Refusal, judge_book};
use crate::input::BookTop;
use crate::time::Timestamp;

/// What to do with one symbol this tick.
pub(super) enum Verdict {
    Quote(Ticks, Ticks),
    /// No book this tick, the last good one is `age_ms` old: leave it be.
    Hold {
        age_ms: u64,
    },
    Refuse(Refusal),
}

#[derive(Default)]
pub(super) struct BookClock {
    /// Per symbol: when its last good book was received.
    last: Vec<Option<Timestamp>>,
    /// Per symbol: held at the last tick (logged on change).
    held: Vec<bool>,
    /// When the oldest remembered book gets too old (kept up to date).
    expiry: Option<Timestamp>,
    /// The tick being started is core's own expiry tick.
    pub(super) expiry_tick: bool,
    /// Per symbol: why its book is refused, while it is (logged on change).
    refused: Vec<Option<&'static str>>,
}

impl BookClock {
    fn grow(&mut self, nsyms: usize) {
        if self.last.len() < nsyms {
            self.last.resize(nsyms, None);
            self.held.resize(nsyms, false);
        }
    }

    /// Judges `sym`'s book of this tick (`None`: the tick lacks it).
    pub(super) fn judge(
        &mut self,
        sym: usize,
        book: Option<&BookTop>,
        inst: &Instrument,
        now: Timestamp,
        max_age_ms: u64,
    ) -> Verdict {
        self.grow(sym + 1);
        match book {
            Some(b) => match judge_book(Some(b), inst, now, max_age_ms) {
                Ok((bid, ask)) => {
                    self.last[sym] = Some(b.received_ms);
                    Verdict::Quote(bid, ask)
                }
                Err(why) => {
                    self.last[sym] = None;
                    Verdict::Refuse(why)
                }
            },
            None => match self.last[sym] {
                Some(at) if now.since(at) <= max_age_ms => Verdict::Hold {
                    age_ms: now.since(at),
                },
                // Too old, or never seen: the same refusal either way, so
                // the log says it once.
                Some(_) => {
                    self.last[sym] = None;
                    Verdict::Refuse("missing")
                }
                None => Verdict::Refuse("missing"),
            },
        }
    }

    /// Records whether `sym` is held this tick; true when that changed.
    pub(super) fn set_held(&mut self, sym: usize, held: bool) -> bool {
        self.grow(sym + 1);
        std::mem::replace(&mut self.held[sym], held) != held
    }

    /// Forgets `sym`'s book (it is no longer quoted, or has no orders).
    pub(super) fn forget(&mut self, sym: usize) {
        if let Some(last) = self.last.get_mut(sym) {
            *last = None;
        }
    }

    /// Recomputes when the oldest remembered book gets too old.
    pub(super) fn update_expiry(&mut self, max_age_ms: u64) {
        self.expiry = self
            .last
            .iter()
            .flatten()
            .min()
            .map(|at| at.plus_ms(max_age_ms).plus_ms(1));
    }

    pub(super) fn expiry(&self) -> Option<Timestamp> {
        self.expiry
    }

    /// Symbols whose remembered book is too old at `now`.
    fn expired(&self, now: Timestamp, max_age_ms: u64) -> Vec<usize> {
        (0..self.last.len())
            .filter(|&s| self.last[s].is_some_and(|at| now.since(at) > max_age_ms))
            .collect()
    }

    /// Logs a symbol entering or leaving the held state. An expiry tick
    /// (no books by design) says nothing of the symbols it holds.
    pub(super) fn hold_verdict(
        &mut self,
        sym: u32,
        n: u64,
        hold: Option<u64>,
        market: &Market,
        orders: &OrderTable,
        out: &mut Out,
    ) {
        if self.expiry_tick || !self.set_held(sym as usize, hold.is_some()) {
            return;
        }
        let name = market.name(sym);
        let text = match hold {
            Some(age) => {
                let max_age = market.config.quoting.max_book_age_ms;
                let held = orders.iter().filter(|(_, o)| o.sym == sym).count();
                format!(
                    "tick {n}: no book for {name}: its {held} orders left as they are, no re-quote, until a fresh book (the last is {age} ms old; pulled past {max_age} ms)"
                )
            }
            None => format!("tick {n}: fresh book for {name} again"),
        };
        out.info(text);
    }

    /// Logs a book's refusal when it starts or changes, and its recovery.
    pub(super) fn book_verdict(
        &mut self,
        sym: u32,
        refusal: Option<&'static str>,
        market: &Market,
        orders: &OrderTable,
        out: &mut Out,
    ) {
        let i = sym as usize;
        if self.refused.len() < market.syms.len() {
            self.refused.resize(market.syms.len(), None);
        }
        if refusal.is_some() {
            out.totals.books_refused += 1;
        }
        if self.refused[i] == refusal {
            return;
        }
        self.refused[i] = refusal;
        let name = market.name(sym);
        match refusal {
            Some(why) => {
                let held = orders.iter().filter(|(_, o)| o.sym == sym).count();
                out.warn(format!(
                    "book {name} refused ({why}): no quotes, cancelling its {held} orders until a usable book arrives"
                ));
            }
            None => out.info(format!("book {name} usable again")),
        }
    }
}

impl BookClock {
    /// At a remembered book's expiry: whether core must run a tick of its
    /// own, without books, to pull the expired symbols' quotes (true when
    /// one of them has orders; said so in the log). Expired books of
    /// symbols without orders are just forgotten.
    pub(super) fn expiry_due(
        &mut self,
        max_age: u64,
        nsyms: usize,
        orders: &OrderTable,
        out: &mut Out,
    ) -> bool {
        let now = out.now;
        if self.expiry().is_none_or(|at| now < at) {
            return false;
        }
        let expired = self.expired(now, max_age);
        let mut with_orders = vec![false; nsyms];
        for (_, o) in orders.iter() {
            with_orders[o.sym as usize] = true;
        }
        let pulled = expired.iter().filter(|s| with_orders[**s]).count();
        if pulled == 0 {
            for s in expired {
                self.forget(s);
            }
            self.update_expiry(max_age);
            return false;
        }
        out.warn(format!(
            "no fresh book for {pulled} symbols within max_book_age_ms = {max_age}: a tick without books pulls their quotes"
        ));
        true
    }
}
