//! The names requests refer to by number: the session's symbol table and
//! its session id. Requests carry `SymbolId`s and `OrderLinkId`s (integers,
//! nothing to allocate per order); whoever puts a request on the wire (the
//! shell, the virtual exchange, the testkit's transcripts) writes the names
//! from this one table, built from the session's instruments.

use std::fmt::Write as _;

use crate::domain::{Instrument, OrderLinkId, SymbolId};
use crate::engine::SessionId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireNames {
    session: SessionId,
    /// Sorted, one per distinct symbol: `SymbolId(i)` names `symbols[i]`.
    symbols: Vec<String>,
}

impl WireNames {
    pub fn new(session: SessionId, instruments: &[Instrument]) -> WireNames {
        let mut symbols: Vec<String> = instruments.iter().map(|i| i.symbol.clone()).collect();
        symbols.sort();
        symbols.dedup();
        WireNames { session, symbols }
    }

    pub fn session(&self) -> &SessionId {
        &self.session
    }

    /// The symbol's name; empty for an id this table did not give out (a
    /// request of another session's table), which the exchange refuses.
    pub fn symbol(&self, id: SymbolId) -> &str {
        self.symbols.get(id.0 as usize).map_or("", String::as_str)
    }

    pub fn symbol_id(&self, name: &str) -> Option<SymbolId> {
        let i = self
            .symbols
            .binary_search_by(|s| s.as_str().cmp(name))
            .ok()?;
        u32::try_from(i).ok().map(SymbolId)
    }

    /// Every symbol with its id, in id (= name) order.
    pub fn symbols(&self) -> impl Iterator<Item = (SymbolId, &str)> {
        (0u32..)
            .zip(&self.symbols)
            .map(|(i, s)| (SymbolId(i), s.as_str()))
    }

    /// The orderLinkId as on the wire: `{session}-{n}` for ours.
    pub fn link(&self, id: &OrderLinkId) -> String {
        match id {
            OrderLinkId::Ours(n) => {
                let mut s = String::with_capacity(self.session.as_str().len() + 21);
                let _ = write!(s, "{}-{n}", self.session.as_str());
                s
            }
            OrderLinkId::Text(t) => t.clone(),
        }
    }

    /// Reads a wire orderLinkId back: `Ours(n)` exactly when `link(Ours(n))`
    /// writes `text` (canonical digits), else `Text`.
    pub fn parse_link(&self, text: &str) -> OrderLinkId {
        let n = text
            .strip_prefix(self.session.as_str())
            .and_then(|t| t.strip_prefix('-'))
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .filter(|d| d.len() == 1 || !d.starts_with('0'))
            .and_then(|d| d.parse::<u64>().ok());
        match n {
            Some(n) => OrderLinkId::Ours(n),
            None => OrderLinkId::Text(text.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::Decimal;
    use crate::domain::Category;

    fn inst(symbol: &str) -> Instrument {
        Instrument {
            symbol: symbol.to_string(),
            category: Category::Linear,
            tick_size: Decimal::new(1, 1),
            qty_step: Decimal::new(1, 3),
            min_qty: Decimal::new(1, 3),
        }
    }

    #[test]
    fn symbols_are_numbered_in_name_order_once_each() {
        let Ok(s) = SessionId::new("abc") else {
            panic!("valid session id");
        };
        let names = WireNames::new(s, &[inst("ETHUSDT"), inst("BTCUSDT"), inst("ETHUSDT")]);
        let all: Vec<_> = names.symbols().collect();
        assert_eq!(all, [(SymbolId(0), "BTCUSDT"), (SymbolId(1), "ETHUSDT")]);
        assert_eq!(names.symbol_id("ETHUSDT"), Some(SymbolId(1)));
        assert_eq!(names.symbol_id("XRPUSDT"), None);
        assert_eq!(names.symbol(SymbolId(7)), "");
    }

    #[test]
    fn a_link_reads_back_as_ours_only_in_the_form_link_writes() {
        let Ok(s) = SessionId::new("abc") else {
            panic!("valid session id");
        };
        let names = WireNames::new(s, &[]);
        for n in [0, 7, 10, u64::MAX] {
            let text = names.link(&OrderLinkId::Ours(n));
            assert_eq!(text, format!("abc-{n}"));
            assert_eq!(names.parse_link(&text), OrderLinkId::Ours(n));
        }
        for other in [
            "abc-07",
            "abc-",
            "ab-1",
            "abc-1x",
            "abc-99999999999999999999",
            "zz",
        ] {
            assert_eq!(
                names.parse_link(other),
                OrderLinkId::Text(other.to_string()),
                "{other}"
            );
            assert_eq!(names.link(&names.parse_link(other)), other);
        }
    }
}
