//! The matching side of the simulator: accounts' orders, one price-time book per symbol,
//! orderLinkId bookkeeping, and what create does (amend/cancel: `modify.rs`, many orders at
//! once: `sweep.rs`). Pure: time comes in as `now` (ms).

use std::collections::{BTreeMap, VecDeque};

use mm_bybit::request::order_link_id_problem;
use mm_bybit::{Category, OrderStatus, OrderType, PlaceOrder, Side, TimeInForce};

use crate::book::Book;
use crate::config::{ConfigError, SimConfig};
use crate::events::{Event, Fill};
use crate::links::SpentLinks;
use crate::market::Market;
use crate::order::{FRESH, Order, order_id};
use crate::position::Position;
pub(crate) use crate::reject::{Reject, params};
use crate::reject::{
    duplicate, forced as forced_reject, not_exists, price_off_grid, qty_off_step, qty_too_low,
    too_many_open,
};

/// Bybit keeps up to 500 recent closed orders per account per category.
pub(crate) const CLOSED_KEPT: usize = 500;
/// Active orders per symbol per account (derivatives), per account (spot).
const MAX_OPEN: usize = 500;
/// Cancel-all cancels at most this many per call on linear/inverse.
pub(crate) const CANCEL_ALL_CAP: usize = 500;

/// Entry counts of the engine's per-order state (see `Exchange::retained`).
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retained {
    pub(crate) open: usize,
    pub(crate) open_by_link: usize,
    pub(crate) book_entries: usize,
    pub(crate) closed: usize,
    pub(crate) spent_links: usize,
    pub(crate) executions: usize,
    pub(crate) positions: usize,
    pub(crate) outbox: usize,
}

/// A created order's ids and creation time.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub(crate) order_id: String,
    pub(crate) order_link_id: String,
    pub(crate) created_ms: u64,
}

#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) seed: u64,
    pub(crate) fills_enabled: bool,
    /// A ticker poll walks the polled symbols one step.
    pub(crate) walk_on_poll: bool,
    pub(crate) markets: BTreeMap<String, Market>,
    /// Open orders by orderId; `books` orders them for matching.
    pub(crate) open: BTreeMap<String, Order>,
    books: BTreeMap<String, Book>,
    open_by_link: BTreeMap<(usize, String), String>,
    pub(crate) closed: BTreeMap<(usize, Category), VecDeque<Order>>,
    /// orderLinkIds spent recently (open orders' ids are also in `open_by_link`).
    spent_links: SpentLinks,
    next_seq: u64,
    /// Queue ranks: a new order, a price amend or a qty increase takes the next one.
    next_rank: u64,
    pub(crate) cancel_all_calls: u64,
    pub(crate) fills: u64,
    pub(crate) post_only_rejections: u64,
    /// Positions by (account, symbol): bounded by accounts x instruments.
    pub(crate) positions: BTreeMap<(usize, String), Position>,
    /// The latest executions per account per category (`fills::FILLS_KEPT`).
    pub(crate) executions: BTreeMap<(usize, Category), VecDeque<Fill>>,
    pub(crate) next_exec: u64,
    /// Cross sequence: +1 per fill and per market step.
    pub(crate) cross_seq: u64,
    /// Stream events not yet published (drained after every operation).
    pub(crate) outbox: Vec<Event>,
    /// Whether any stream connection listens: without one no event is built.
    pub(crate) listening: bool,
}

impl Exchange {
    pub(crate) fn new(cfg: &SimConfig) -> Result<Self, ConfigError> {
        let mut markets = BTreeMap::new();
        for inst in &cfg.instruments {
            let mut m = Market::new(inst, cfg.seed, cfg.walk_bps, cfg.spread_bps)?;
            m.drift_bps = cfg.drift_bps;
            if markets.insert(inst.symbol.clone(), m).is_some() {
                return Err(ConfigError::Duplicate(inst.symbol.clone()));
            }
        }
        Ok(Self {
            seed: cfg.seed,
            fills_enabled: cfg.fills,
            walk_on_poll: cfg.walk_on_poll,
            markets,
            open: BTreeMap::new(),
            books: BTreeMap::new(),
            open_by_link: BTreeMap::new(),
            closed: BTreeMap::new(),
            spent_links: SpentLinks::default(),
            next_seq: 0,
            next_rank: 0,
            cancel_all_calls: 0,
            fills: 0,
            post_only_rejections: 0,
            positions: BTreeMap::new(),
            executions: BTreeMap::new(),
            next_exec: 0,
            cross_seq: 0,
            outbox: Vec::new(),
            listening: false,
        })
    }

    pub(crate) fn market(&self, category: Category, symbol: &str) -> Result<&Market, Reject> {
        self.markets
            .get(symbol)
            .filter(|m| m.category == category)
            .ok_or_else(|| {
                params(format!(
                    "symbol {symbol:?} invalid for category {}",
                    category.as_str()
                ))
            })
    }

    /// Creates an order. `forced` is an injected final reject code.
    pub(crate) fn place(
        &mut self,
        account: usize,
        category: Category,
        p: &PlaceOrder,
        forced: Option<i64>,
        now: u64,
    ) -> Result<Placed, Reject> {
        if p.category.is_some_and(|c| c != category) {
            return Err(params("item category differs from the request's"));
        }
        let m = self.market(category, &p.symbol)?;
        let link = p.order_link_id.clone().unwrap_or_default();
        if !link.is_empty() {
            if let Some(why) = order_link_id_problem(&link) {
                return Err(params(why));
            }
            if self.open_by_link.contains_key(&(account, link.clone()))
                || self.spent_links.contains(account, &link)
            {
                return Err(duplicate(category));
            }
        }
        let qty = m
            .qty
            .steps_of(&p.qty)
            .map_err(|_| qty_off_step(category, format!("qty {:?} invalid", p.qty)))?;
        if qty < m.min_qty {
            return Err(qty_too_low(
                category,
                format!(
                    "qty {} below the minimum {}",
                    p.qty,
                    m.qty.format(m.min_qty)
                ),
            ));
        }
        let (price, tif) = match p.order_type {
            OrderType::Market => (touch(m, p.side), TimeInForce::Ioc),
            OrderType::Limit => {
                let raw = p
                    .price
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| params("price is required for Limit"))?;
                let price = m.price.steps_of(raw).ok().filter(|&v| v > 0);
                let price = price.ok_or_else(|| {
                    price_off_grid(
                        category,
                        format!("price {raw:?} not on tick grid {}", m.price.format(1)),
                    )
                })?;
                (price, p.time_in_force.unwrap_or(TimeInForce::Gtc))
            }
        };
        // Derivatives: 500 per symbol; spot: 500 per account (across its spot symbols).
        let spot = category == Category::Spot;
        let resting = self
            .open
            .values()
            .filter(|o| o.account == account && o.category == category)
            .filter(|o| spot || o.symbol == p.symbol)
            .count();
        if resting >= MAX_OPEN {
            return Err(too_many_open(category));
        }
        if !link.is_empty() {
            // A reject by the matching engine still spends the id (stricter reading).
            self.spent_links.spend(account, &link);
        }
        if let Some(code) = forced {
            return Err(forced_reject(code));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut o = Order {
            seq,
            rank: self.take_rank(),
            order_id: order_id(category, self.seed, seq),
            order_link_id: link,
            account,
            category,
            symbol: p.symbol.clone(),
            side: p.side,
            order_type: p.order_type,
            tif,
            price,
            qty,
            cum_exec: 0,
            exec_value: 0,
            status: OrderStatus::New,
            reject_reason: FRESH.0,
            cancel_type: FRESH.1,
            position_idx: p.position_idx.unwrap_or(0),
            created_ms: now,
            updated_ms: now,
        };
        let placed = Placed {
            order_id: o.order_id.clone(),
            order_link_id: o.order_link_id.clone(),
            created_ms: now,
        };
        self.on_arrival(&mut o, now);
        self.rest_or_close(o);
        self.emit_position(account, &p.symbol, now);
        Ok(placed)
    }

    /// Post-only that would cross dies; IOC/FOK/Market fill at the touch or die; GTC that
    /// crosses fills at the touch (when fills are on). Arrivals fill completely: the external
    /// market's depth beyond the touch is not modelled.
    pub(crate) fn on_arrival(&mut self, o: &mut Order, now: u64) {
        let Some(m) = self.markets.get(&o.symbol) else {
            return;
        };
        let crosses = o.crosses(m);
        let at = touch(m, o.side);
        match (o.order_type, o.tif) {
            (OrderType::Limit, TimeInForce::PostOnly) if crosses => {
                o.kill_post_only(now);
                self.post_only_rejections += 1;
            }
            (OrderType::Market, _) | (_, TimeInForce::Ioc | TimeInForce::Fok) => {
                if crosses && self.fills_enabled {
                    self.fill(o, o.leaves(), at, now, false);
                    self.fills += 1;
                } else {
                    o.cancel("UNKNOWN", now);
                }
            }
            _ if crosses && self.fills_enabled => {
                self.fill(o, o.leaves(), at, now, false);
                self.fills += 1;
            }
            _ => {}
        }
    }

    /// The next queue rank (the back of every price level).
    pub(crate) fn take_rank(&mut self) -> u64 {
        let r = self.next_rank;
        self.next_rank += 1;
        r
    }

    /// The id of `account`'s open order in `category`/`symbol` named by orderId (which wins)
    /// or orderLinkId.
    pub(crate) fn locate(
        &self,
        account: usize,
        category: Category,
        symbol: &str,
        order_id: Option<&str>,
        link: Option<&str>,
    ) -> Result<String, Reject> {
        let id = match (
            order_id.filter(|s| !s.is_empty()),
            link.filter(|s| !s.is_empty()),
        ) {
            (Some(id), _) => id.to_string(),
            (None, Some(l)) => self
                .open_by_link
                .get(&(account, l.to_string()))
                .cloned()
                .ok_or_else(|| not_exists(category))?,
            (None, None) => return Err(params("orderId or orderLinkId is required")),
        };
        match self.open.get(&id) {
            Some(o) if o.account == account && o.category == category && o.symbol == symbol => {
                Ok(id)
            }
            _ => Err(not_exists(category)),
        }
    }

    /// Puts an order on its book if it is still open, else among the closed ones.
    pub(crate) fn rest_or_close(&mut self, o: Order) {
        if !o.status.is_open() {
            self.push_closed(o);
            return;
        }
        self.emit_order(&o);
        self.books.entry(o.symbol.clone()).or_default().insert(
            o.side,
            o.price,
            o.rank,
            o.order_id.clone(),
        );
        self.open_by_link
            .insert((o.account, o.order_link_id.clone()), o.order_id.clone());
        self.open.insert(o.order_id.clone(), o);
    }

    /// Takes an open order off its book and out of the indexes.
    pub(crate) fn take_open(&mut self, id: &str) -> Option<Order> {
        let o = self.open.remove(id)?;
        self.open_by_link
            .remove(&(o.account, o.order_link_id.clone()));
        if let Some(b) = self.books.get_mut(&o.symbol) {
            b.remove(o.side, o.price, o.rank);
        }
        Some(o)
    }

    pub(crate) fn book(&self, symbol: &str) -> Option<&Book> {
        self.books.get(symbol)
    }

    /// What the engine holds, to show it stays bounded over a long session.
    #[cfg(test)]
    pub(crate) fn retained(&self) -> Retained {
        Retained {
            open: self.open.len(),
            open_by_link: self.open_by_link.len(),
            book_entries: self.books.values().map(Book::len).sum(),
            closed: self.closed.values().map(VecDeque::len).sum(),
            spent_links: self.spent_links.len(),
            executions: self.executions.values().map(VecDeque::len).sum(),
            positions: self.positions.len(),
            outbox: self.outbox.len(),
        }
    }

    /// Keeps an ended order in the closed history (and tells the streams).
    pub(crate) fn push_closed(&mut self, o: Order) {
        self.emit_order(&o);
        let q = self.closed.entry((o.account, o.category)).or_default();
        q.push_back(o);
        if q.len() > CLOSED_KEPT {
            q.pop_front();
        }
    }
}

fn touch(m: &Market, side: Side) -> u64 {
    match side {
        Side::Buy => m.ask(),
        Side::Sell => m.bid(),
    }
}
