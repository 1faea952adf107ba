//! What every part reads and none changes between ticks: the config in
//! force, the instruments, the symbol table and the session id (with the
//! orderLinkIds it makes). The engine swaps the config only at a tick
//! boundary (see `tick`), so a part never sees it change mid-command.

use std::sync::Arc;

use crate::config::Config;
use crate::domain::{Category, Instrument};
use crate::domain::{OrderLinkId, SymbolId};
use crate::engine::out::Out;
use crate::engine::settle::LATE_LANDING_MARGIN_MS;
use crate::engine::{SessionId, WireNames};
use crate::time::Timestamp;

/// A symbol core can trade, in symbol order (its index is the `sym` used
/// everywhere inside the engine, so index order is symbol order).
pub(super) struct Sym {
    pub(super) name: String,
    instrument: usize,
}

pub(super) struct Market {
    pub(super) config: Config,
    pub(super) instruments: Vec<Instrument>,
    pub(super) syms: Vec<Sym>,
    pub(super) session: SessionId,
    /// The same symbols and session, for whoever writes our requests.
    pub(super) names: Arc<WireNames>,
}

impl Market {
    pub(super) fn new(config: Config, instruments: Vec<Instrument>, session: SessionId) -> Market {
        let mut syms: Vec<Sym> = Vec::new();
        let mut order: Vec<usize> = (0..instruments.len()).collect();
        order.sort_by(|a, b| instruments[*a].symbol.cmp(&instruments[*b].symbol));
        for i in order {
            if syms.last().is_none_or(|s| s.name != instruments[i].symbol) {
                syms.push(Sym {
                    name: instruments[i].symbol.clone(),
                    instrument: i,
                });
            }
        }
        let names = Arc::new(WireNames::new(session.clone(), &instruments));
        Market {
            config,
            instruments,
            syms,
            session,
            names,
        }
    }

    /// A validated config change takes force (at tick `n`'s start).
    pub(super) fn apply_config(&mut self, config: Config, n: u64, out: &mut Out) {
        self.config = config;
        let b = &self.config.async_batch;
        let text = format!(
            "config applied at tick {n}: enabled={} scope={} reprice={} max_batch_size={} max_parallel={} place_with_cancel={}",
            b.enabled,
            b.coalesce_scope.name(),
            self.config.quoting.reprice.name(),
            b.max_batch_size,
            b.max_parallel_symbols,
            b.place_with_cancel
        );
        out.info(text);
    }

    pub(super) fn inst(&self, sym: u32) -> &Instrument {
        &self.instruments[self.syms[sym as usize].instrument]
    }

    pub(super) fn name(&self, sym: u32) -> &str {
        &self.syms[sym as usize].name
    }

    /// The configured symbols' indices, in config order.
    pub(super) fn configured_syms(&self) -> Vec<u32> {
        let names = &self.config.quoting.symbols;
        names.iter().filter_map(|s| self.sym_index(s)).collect()
    }

    pub(super) fn sym_index(&self, name: &str) -> Option<u32> {
        self.syms
            .binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }

    /// Orders per batch for `category`.
    pub(super) fn chunk(&self, category: Category) -> usize {
        (self.config.async_batch.max_batch_size as usize)
            .min(category.batch_limit())
            .max(1)
    }

    /// Orders that `units` of a batch endpoint's budget carry in
    /// `category`: one a unit where a batch costs per order, a whole batch
    /// a unit where it costs per request.
    pub(super) fn batch_orders(&self, category: Category, units: usize) -> usize {
        if category.batch_costs_per_order() {
            units
        } else {
            units.saturating_mul(self.chunk(category))
        }
    }

    /// When "not found" becomes final for a create sent at `sent_at`: the
    /// exchange refuses it after its recv window (see `settle`).
    pub(super) fn create_final_at(&self, sent_at: Timestamp) -> Timestamp {
        sent_at
            .plus_ms(self.config.exchange.recv_window_ms)
            .plus_ms(LATE_LANDING_MARGIN_MS)
    }

    /// The orderLinkId of order `n`: `{session}-{n}`.
    pub(super) fn link(&self, n: u64) -> String {
        crate::engine::orders::link_of(&self.session, n)
    }

    /// `sym` as requests carry it (the same index, see `Sym`).
    pub(super) fn symbol_id(sym: u32) -> SymbolId {
        SymbolId(sym)
    }

    /// An orderLinkId read off the exchange, as requests carry it.
    pub(super) fn link_id(&self, text: &str) -> OrderLinkId {
        self.names.parse_link(text)
    }

    /// Whether `text` is exactly the orderLinkId of order `n` (no allocation;
    /// bytes, so a reply's `WireStr` is compared without a UTF-8 check).
    pub(super) fn is_link(&self, n: u64, text: &[u8]) -> bool {
        let Some(b) = text
            .strip_prefix(self.session.as_str().as_bytes())
            .and_then(|t| t.strip_prefix(b"-"))
        else {
            return false;
        };
        // Compare n's decimal digits from the last one back: equal only to
        // the canonical form `link` writes (no sign, no leading zero).
        let (mut i, mut v) = (b.len(), n);
        loop {
            if i == 0 {
                return false;
            }
            i -= 1;
            if u64::from(b[i]) != u64::from(b'0') + v % 10 {
                return false;
            }
            v /= 10;
            if v == 0 {
                return i == 0;
            }
        }
    }

    /// Whether `link` is `{session}-{counter}` of this session.
    pub(super) fn is_our_link(&self, link: &str) -> bool {
        link.strip_prefix(self.session.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }

    /// The counter of one of our orderLinkIds, `None` for anything else.
    pub(super) fn counter_of(&self, link: &str) -> Option<u64> {
        let digits = link
            .strip_prefix(self.session.as_str())?
            .strip_prefix('-')?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }
}
