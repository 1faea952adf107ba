//! External quotes (`quoting.source = "external"`): the user's strategy
//! pushes a desired set per symbol (`Input::Quotes`), core quotes it.
//!
//! - A set is judged whole when it arrives (`quote::judge_quotes`): a bad
//!   one is refused with the field it fails on, counted, and changes
//!   nothing (the symbol keeps its previous set and its orders).
//! - The latest accepted set per symbol is what the next tick quotes, as
//!   the ladder would be: reconcile, amend or cancel+place, batching, the
//!   budget and the deadlines treat both sources alike.
//! - A set older than `quoting.max_quote_age_ms` at a tick's start is
//!   pulled (the symbol's orders cancelled) until a new one arrives, and a
//!   timer makes sure that happens even with no tick arriving (the same
//!   tick without books that pulls stale books, `freshness`). Why: a
//!   strategy that dies must not leave its last quotes resting.
//! - The book is still judged: a refused book pulls the symbol's quotes and
//!   a missing one holds them, whichever the source.

use crate::engine::market::Market;
use crate::engine::orders::OrderTable;
use crate::engine::out::{Out, clean};
use crate::engine::quote::{Ladder, Want, judge_quotes};
use crate::input::QuoteSet;
use crate::time::Timestamp;

const STALE: &str = "quote set stale";

/// One symbol's latest accepted set.
struct Desired {
    received: Timestamp,
    bids: Vec<Want>,
    asks: Vec<Want>,
}

#[derive(Default)]
pub(super) struct ExternalQuotes {
    /// Per symbol: its latest accepted set, while not stale.
    sets: Vec<Option<Desired>>,
    /// Per symbol: why it gets no quotes, while it does not (logged on change).
    pulled: Vec<Option<&'static str>>,
    /// Why the last set received was refused (`None`: accepted), for the
    /// shell to tell the client that sent it.
    pub(super) last_refusal: Option<String>,
}

impl ExternalQuotes {
    fn grow(&mut self, nsyms: usize) {
        if self.sets.len() < nsyms {
            self.sets.resize_with(nsyms, || None);
            self.pulled.resize(nsyms, None);
        }
    }

    /// A set arrives: kept as the symbol's latest, or refused whole.
    pub(super) fn receive(&mut self, set: &QuoteSet, market: &Market, out: &mut Out) {
        let verdict = self.judge(set, market);
        match verdict {
            Ok((sym, bids, asks)) => {
                self.last_refusal = None;
                self.grow(market.syms.len());
                out.totals.external_quote_sets += 1;
                self.sets[sym as usize] = Some(Desired {
                    received: out.now,
                    bids,
                    asks,
                });
            }
            Err(why) => {
                out.totals.refused_quote_sets += 1;
                out.warn(format!(
                    "quotes for {} refused ({why}): its orders left as they are",
                    clean(&set.symbol)
                ));
                self.last_refusal = Some(why);
            }
        }
    }

    fn judge(
        &self,
        set: &QuoteSet,
        market: &Market,
    ) -> Result<(u32, Vec<Want>, Vec<Want>), String> {
        let q = &market.config.quoting;
        if q.source != crate::config::QuoteSource::External {
            return Err(format!(
                "source: quoting.source is {:?}, not \"external\"",
                q.source.name()
            ));
        }
        let sym = market
            .sym_index(&set.symbol)
            .filter(|_| q.symbols.iter().any(|s| *s == set.symbol))
            .ok_or_else(|| "symbol: not in quoting.symbols".to_string())?;
        let (bids, asks) = judge_quotes(set, market.inst(sym), q.levels)?;
        Ok((sym, bids, asks))
    }

    /// At a tick's start: `sym`'s desired set into `lad` (true), or why it
    /// gets none (no set yet, or stale: dropped).
    pub(super) fn desired(
        &mut self,
        sym: usize,
        now: Timestamp,
        max_age_ms: u64,
        lad: &mut Ladder,
    ) -> Result<(), &'static str> {
        self.grow(sym + 1);
        let slot = &mut self.sets[sym];
        match slot {
            None => Err("no quote set yet"),
            Some(d) if now.since(d.received) > max_age_ms => {
                *slot = None;
                Err(STALE)
            }
            Some(d) => {
                lad.bids.extend(d.bids.iter().copied().map(Some));
                lad.asks.extend(d.asks.iter().copied().map(Some));
                Ok(())
            }
        }
    }

    /// Forgets `sym`'s set (no longer quoted).
    pub(super) fn forget(&mut self, sym: usize) {
        if let Some(s) = self.sets.get_mut(sym) {
            *s = None;
        }
    }

    /// Logs a symbol's external quotes pulled (why) or back, on change.
    pub(super) fn verdict(
        &mut self,
        sym: u32,
        pulled: Option<&'static str>,
        market: &Market,
        orders: &OrderTable,
        out: &mut Out,
    ) {
        let i = sym as usize;
        self.grow(i + 1);
        if self.pulled[i] == pulled {
            return;
        }
        self.pulled[i] = pulled;
        let name = market.name(sym);
        match pulled {
            Some(why) => {
                let held = orders.iter().filter(|(_, o)| o.sym == sym).count();
                let max = market.config.quoting.max_quote_age_ms;
                let age = if why == STALE {
                    format!(" (older than max_quote_age_ms = {max})")
                } else {
                    String::new()
                };
                out.warn(format!(
                    "quotes for {name}: {why}{age}: no quotes, cancelling its {held} orders until a new set arrives"
                ));
            }
            None => out.info(format!("quotes for {name} quoted")),
        }
    }

    /// When the oldest set gets too old.
    pub(super) fn expiry(&self, max_age_ms: u64) -> Option<Timestamp> {
        (self.sets.iter().flatten())
            .map(|d| d.received)
            .min()
            .map(|at| at.plus_ms(max_age_ms).plus_ms(1))
    }

    /// At a set's expiry: whether a tick without books must pull a stale
    /// set's orders (true when a stale symbol has orders, said in the log).
    /// Stale sets of symbols without orders are just dropped.
    pub(super) fn expiry_due(
        &mut self,
        max_age_ms: u64,
        orders: &OrderTable,
        out: &mut Out,
    ) -> bool {
        let now = out.now;
        if self.expiry(max_age_ms).is_none_or(|at| now < at) {
            return false;
        }
        let mut pulled = 0;
        for sym in 0..self.sets.len() {
            let stale = self.sets[sym]
                .as_ref()
                .is_some_and(|d| now.since(d.received) > max_age_ms);
            if !stale {
                continue;
            }
            if orders.iter().any(|(_, o)| o.sym as usize == sym) {
                pulled += 1;
            } else {
                self.sets[sym] = None;
            }
        }
        if pulled == 0 {
            return false;
        }
        out.warn(format!(
            "no new quote set for {pulled} symbols within max_quote_age_ms = {max_age_ms}: a tick without books pulls their quotes"
        ));
        true
    }
}
