//! One symbol's resting orders (all accounts) in price-time priority: bids best (highest)
//! price first, asks lowest first, and within a price by queue rank (arrival order). The
//! orders themselves live in `Exchange::open`; the book holds their ids.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use mm_bybit::Side;

#[derive(Debug, Default)]
pub(crate) struct Book {
    bids: BTreeMap<(Reverse<u64>, u64), String>,
    asks: BTreeMap<(u64, u64), String>,
}

impl Book {
    pub(crate) fn insert(&mut self, side: Side, price: u64, rank: u64, id: String) {
        match side {
            Side::Buy => self.bids.insert((Reverse(price), rank), id),
            Side::Sell => self.asks.insert((price, rank), id),
        };
    }

    pub(crate) fn remove(&mut self, side: Side, price: u64, rank: u64) {
        match side {
            Side::Buy => self.bids.remove(&(Reverse(price), rank)),
            Side::Sell => self.asks.remove(&(price, rank)),
        };
    }

    /// The resting prices of one side, best first (one entry per order).
    pub(crate) fn prices(&self, side: Side) -> Vec<u64> {
        match side {
            Side::Buy => self.bids.keys().map(|(Reverse(p), _)| *p).collect(),
            Side::Sell => self.asks.keys().map(|(p, _)| *p).collect(),
        }
    }

    /// No order rests on either side.
    pub(crate) fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// Resting orders on both sides.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.bids.len() + self.asks.len()
    }

    /// Ids of the orders an external market at `bid`/`ask` crosses, in priority order: bids
    /// priced at or above `ask`, then asks priced at or below `bid`.
    pub(crate) fn crossed(&self, bid: u64, ask: u64) -> (Vec<String>, Vec<String>) {
        let bids = self
            .bids
            .iter()
            .take_while(|((Reverse(p), _), _)| *p >= ask)
            .map(|(_, id)| id.clone())
            .collect();
        let asks = self
            .asks
            .iter()
            .take_while(|((p, _), _)| *p <= bid)
            .map(|(_, id)| id.clone())
            .collect();
        (bids, asks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_price_first_then_rank() {
        let mut b = Book::default();
        b.insert(Side::Buy, 100, 1, "a".into());
        b.insert(Side::Buy, 100, 0, "b".into());
        b.insert(Side::Buy, 101, 5, "c".into());
        b.insert(Side::Buy, 99, 2, "d".into());
        b.insert(Side::Sell, 98, 3, "e".into());
        b.insert(Side::Sell, 97, 4, "f".into());
        b.insert(Side::Sell, 120, 6, "g".into());
        let (bids, asks) = b.crossed(98, 100);
        assert_eq!(bids, vec!["c", "b", "a"]);
        assert_eq!(asks, vec!["f", "e"]);
        b.remove(Side::Buy, 100, 0);
        assert_eq!(b.crossed(98, 100).0, vec!["c", "a"]);
    }
}
