//! Operations over many orders at once: cancel-all, fills after a walk step, the snapshot.

use mm_bybit::{CancelAll, Category, OrderAck};

use crate::engine::{CANCEL_ALL_CAP, Exchange, Reject, params};
use crate::order::Order;
use crate::quality::BookView;
use crate::rng::{SplitMix64, hash, stream};
use crate::state::SimOrder;

impl Exchange {
    pub(crate) fn cancel_all(
        &mut self,
        account: usize,
        c: &CancelAll,
        now: u64,
    ) -> Result<Vec<OrderAck>, Reject> {
        let derivative = matches!(c.category, Category::Linear | Category::Inverse);
        let (symbol, base, settle) = (
            c.symbol.as_deref(),
            c.base_coin.as_deref(),
            c.settle_coin.as_deref(),
        );
        if derivative && symbol.is_none() && base.is_none() && settle.is_none() {
            return Err(params(
                "symbol, baseCoin or settleCoin is required for linear/inverse",
            ));
        }
        let mut ids: Vec<(u64, String)> = self
            .open
            .values()
            .filter(|o| o.account == account && o.category == c.category)
            .filter(|o| {
                let m = self.markets.get(&o.symbol);
                match (symbol, base, settle) {
                    (Some(s), _, _) => o.symbol == s,
                    (None, Some(b), _) => m.is_some_and(|m| m.base_coin == b),
                    (None, None, Some(q)) => m.is_some_and(|m| m.quote_coin == q),
                    (None, None, None) => true,
                }
            })
            .map(|o| (o.seq, o.order_id.clone()))
            .collect();
        if derivative && ids.len() > CANCEL_ALL_CAP {
            // Bybit picks the 500 at random; seeded Fisher-Yates prefix keeps it reproducible.
            let mut rng = SplitMix64::new(hash(&[
                self.seed,
                stream::CANCEL_ALL,
                self.cancel_all_calls,
            ]));
            for i in 0..CANCEL_ALL_CAP {
                let j = i + (rng.next_u64() % (ids.len() - i) as u64) as usize;
                ids.swap(i, j);
            }
            ids.truncate(CANCEL_ALL_CAP);
            ids.sort();
        }
        self.cancel_all_calls += 1;
        let mut acks = Vec::with_capacity(ids.len());
        let mut symbols = std::collections::BTreeSet::new();
        for (_, id) in ids {
            if let Some(mut o) = self.take_open(&id) {
                o.cancel("CancelByUser", now);
                acks.push(OrderAck {
                    order_id: o.order_id.clone(),
                    order_link_id: o.order_link_id.clone(),
                });
                symbols.insert(o.symbol.clone());
                self.push_closed(o);
            }
        }
        // One position message per symbol touched (UNCONFIRMED: Bybit may send one per order).
        for s in &symbols {
            self.emit_position(account, s, now);
        }
        Ok(acks)
    }

    /// One walk step for the market, then fills of the resting orders the new bid/ask crosses.
    /// The external market trades at most its displayed touch size (`bid1Size`/`ask1Size`)
    /// per side per step against them, best price first, then time (queue rank); the order
    /// that exhausts it is partly filled and the ones behind it wait for the next step.
    pub(crate) fn step_market(&mut self, symbol: &str, now: u64) {
        let Some(m) = self.markets.get_mut(symbol) else {
            return;
        };
        m.step();
        self.emit_market(symbol, now);
        if !self.fills_enabled {
            return;
        }
        let m = &self.markets[symbol];
        let depth = m.touch_qty();
        let Some((bids, asks)) = self.book(symbol).map(|b| b.crossed(m.bid(), m.ask())) else {
            return;
        };
        for crossed in [bids, asks] {
            let mut left = depth;
            for id in crossed {
                if left == 0 {
                    break;
                }
                let Some(mut o) = self.take_open(&id) else {
                    continue;
                };
                let q = left.min(o.leaves());
                left -= q;
                let at = o.price; // a resting order fills at its own (maker) price
                self.fill(&mut o, q, at, now, true);
                if !o.status.is_open() {
                    self.fills += 1;
                }
                self.rest_or_close(o);
            }
        }
    }

    /// Every market with its book, for the quote-quality tracker.
    pub(crate) fn quote_views(&self) -> impl Iterator<Item = BookView<'_>> {
        self.markets.values().map(|m| BookView {
            symbol: &m.symbol,
            bid: m.bid(),
            ask: m.ask(),
            book: self.book(&m.symbol),
        })
    }

    /// Open orders of every account, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<SimOrder> {
        let mut v: Vec<&Order> = self.open.values().collect();
        v.sort_by_key(|o| o.seq);
        v.into_iter()
            .filter_map(|o| {
                let m = self.markets.get(&o.symbol)?;
                Some(SimOrder {
                    category: o.category,
                    symbol: o.symbol.clone(),
                    order_id: o.order_id.clone(),
                    order_link_id: o.order_link_id.clone(),
                    side: o.side,
                    price: m.price.format(o.price),
                    qty: m.qty.format(o.qty),
                })
            })
            .collect()
    }
}
