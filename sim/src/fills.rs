//! Fills and what they leave behind: the order's new state, an execution record (kept for
//! `/v5/execution/list`, the latest `FILLS_KEPT` per account per category), the account's
//! position, and the stream events for all three, for the position after every order request
//! and for every market step.

use mm_bybit::{Category, OrderType};

use crate::decimal::format_value;
use crate::engine::Exchange;
use crate::events::{Event, Fill, MarketMove};
use crate::order::Order;
use crate::position::Position;
use crate::rng::{hash, stream};

/// Executions kept per account per category for `/v5/execution/list` (Bybit keeps days of
/// them; a bounded history keeps a long session's memory flat).
pub(crate) const FILLS_KEPT: usize = 1000;

impl Exchange {
    /// Fills `qty` of `o` (at most what is left) at `at`: the order's state, the execution,
    /// the position, and their events. The order event follows when the order is rested or
    /// closed.
    pub(crate) fn fill(&mut self, o: &mut Order, qty: u64, at: u64, now: u64, maker: bool) {
        let qty = qty.min(o.qty - o.cum_exec);
        if qty == 0 {
            return;
        }
        o.execute(qty, at, now);
        self.cross_seq += 1;
        let seq = self.cross_seq;
        let Some(m) = self.markets.get(&o.symbol) else {
            return;
        };
        let pos = self
            .positions
            .entry((o.account, o.symbol.clone()))
            .or_insert_with(|| Position::new(now));
        let closed = pos.apply(o.side, qty, at, seq, now);
        let position = pos.view(m);
        let n = self.next_exec;
        self.next_exec += 1;
        let h = hash(&[self.seed, stream::EXEC_ID, n]);
        let fill = Fill {
            category: o.category,
            symbol: o.symbol.clone(),
            closed_size: m.qty.format(closed),
            exec_fee: "0".into(),
            exec_id: format!(
                "{:08x}-{:04x}-4{:03x}-b{:03x}-{:012x}",
                h >> 32,
                (h >> 16) & 0xffff,
                (h >> 4) & 0xfff,
                (h >> 52) & 0xfff,
                n & 0xffff_ffff_ffff
            ),
            exec_price: m.price.format(at),
            exec_qty: m.qty.format(qty),
            exec_type: "Trade",
            exec_value: format_value(&m.price, &m.qty, u128::from(at) * u128::from(qty)),
            fee_rate: "0".into(),
            trade_iv: String::new(),
            mark_iv: String::new(),
            block_trade_id: String::new(),
            mark_price: m.price.format(m.mid()),
            index_price: String::new(),
            underlying_price: String::new(),
            leaves_qty: m.qty.format(o.leaves()),
            order_id: o.order_id.clone(),
            order_link_id: o.order_link_id.clone(),
            order_price: m.price.format(o.price),
            order_qty: m.qty.format(o.qty),
            order_type: match o.order_type {
                OrderType::Limit => "Limit",
                OrderType::Market => "Market",
            },
            stop_order_type: "UNKNOWN",
            side: o.side,
            exec_time: now.to_string(),
            is_leverage: if o.category == Category::Spot {
                "0".into()
            } else {
                String::new()
            },
            is_maker: maker,
            seq,
            market_unit: String::new(),
            exec_pnl: "0".into(),
            create_type: "CreateByUser",
            extra_fees: Vec::new(),
            fee_currency: m.quote_coin.clone(),
        };
        if self.listening {
            self.outbox.push(Event::Execution {
                account: o.account,
                fill: Box::new(fill.clone()),
            });
            self.outbox.push(Event::Position {
                account: o.account,
                position: Box::new(position),
            });
        }
        let kept = self.executions.entry((o.account, o.category)).or_default();
        kept.push_back(fill);
        if kept.len() > FILLS_KEPT {
            kept.pop_front();
        }
    }

    /// The order event for `o`'s current state.
    pub(crate) fn emit_order(&mut self, o: &Order) {
        if !self.listening {
            return;
        }
        if let Some(m) = self.markets.get(&o.symbol) {
            self.outbox.push(Event::Order {
                account: o.account,
                category: o.category,
                order: Box::new(o.to_wire(m)),
            });
        }
    }

    /// The position event Bybit pushes after every order create, amend and cancel, even when
    /// nothing changed (a symbol never traded shows flat, `seq` -1).
    pub(crate) fn emit_position(&mut self, account: usize, symbol: &str, now: u64) {
        if !self.listening {
            return;
        }
        let Some(m) = self.markets.get(symbol) else {
            return;
        };
        let view = match self.positions.get(&(account, symbol.to_string())) {
            Some(p) => p.view(m),
            None => Position::new(now).view(m),
        };
        self.outbox.push(Event::Position {
            account,
            position: Box::new(view),
        });
    }

    /// The book/ticker event after `symbol`'s market stepped.
    pub(crate) fn emit_market(&mut self, symbol: &str, now: u64) {
        self.cross_seq += 1;
        let Some(m) = self.markets.get_mut(symbol) else {
            return;
        };
        m.u += 1;
        if !self.listening {
            return;
        }
        if let Some(mv) = self.current_move(symbol, now) {
            self.outbox.push(Event::Market(Box::new(mv)));
        }
    }

    /// `symbol`'s market as it is now (what a new subscriber's snapshot shows).
    pub(crate) fn current_move(&self, symbol: &str, now: u64) -> Option<MarketMove> {
        let seq = self.cross_seq;
        let m = self.markets.get(symbol)?;
        Some(MarketMove {
            symbol: m.symbol.clone(),
            category: m.category,
            bid: m.bid(),
            ask: m.ask(),
            level_size: m.qty.format(m.touch_qty()),
            price: m.price,
            u: m.u,
            seq,
            ts: now,
            ticker: Box::new(m.ticker(now)),
        })
    }

    /// The events since the last call, oldest first.
    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.outbox)
    }
}
