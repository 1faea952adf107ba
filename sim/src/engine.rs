//! The matching side of the simulator: accounts' orders, orderLinkId bookkeeping, and what
//! create / amend / cancel / cancel-all do. Pure: time comes in as `now` (ms).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use mm_bybit::request::order_link_id_problem;
use mm_bybit::{
    AmendOrder, CancelOrder, Category, OrderAck, OrderStatus, OrderType, PlaceOrder, Side,
    TimeInForce, retcode,
};

use crate::config::SimConfig;
use crate::market::Market;
use crate::order::{FRESH, Order};
use crate::rng::{hash, stream};

/// Bybit keeps up to 500 recent closed orders per account per category (S8).
const CLOSED_KEPT: usize = 500;
/// Active orders per symbol per account (S4).
const MAX_OPEN_PER_SYMBOL: usize = 500;
/// Cancel-all cancels at most this many per call on linear/inverse (S7).
pub(crate) const CANCEL_ALL_CAP: usize = 500;

/// A per-request or per-item failure: a retCode and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reject {
    pub(crate) code: i64,
    pub(crate) msg: String,
}

pub(crate) fn params(msg: impl std::fmt::Display) -> Reject {
    Reject {
        code: retcode::PARAMS_ERROR,
        msg: format!("params error: {msg}"),
    }
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
    pub(crate) markets: BTreeMap<String, Market>,
    pub(crate) open: BTreeMap<String, Order>,
    open_by_link: BTreeMap<(usize, String), String>,
    pub(crate) closed: BTreeMap<(usize, Category), VecDeque<Order>>,
    used_links: BTreeSet<(usize, String)>,
    next_seq: u64,
    pub(crate) cancel_all_calls: u64,
    pub(crate) fills: u64,
    pub(crate) post_only_rejections: u64,
}

impl Exchange {
    pub(crate) fn new(cfg: &SimConfig) -> Result<Self, String> {
        let mut markets = BTreeMap::new();
        for inst in &cfg.instruments {
            let m = Market::new(inst, cfg.seed, cfg.walk_bps, cfg.spread_bps)?;
            if markets.insert(inst.symbol.clone(), m).is_some() {
                return Err(format!("instrument {}: listed twice", inst.symbol));
            }
        }
        Ok(Self {
            seed: cfg.seed,
            fills_enabled: cfg.fills,
            markets,
            open: BTreeMap::new(),
            open_by_link: BTreeMap::new(),
            closed: BTreeMap::new(),
            used_links: BTreeSet::new(),
            next_seq: 0,
            cancel_all_calls: 0,
            fills: 0,
            post_only_rejections: 0,
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
            if self.used_links.contains(&(account, link.clone())) {
                return Err(duplicate(category));
            }
        }
        let qty = m
            .qty
            .steps_of(&p.qty)
            .map_err(|_| params(format!("qty {:?} invalid", p.qty)))?;
        if qty < m.min_qty {
            return Err(params(format!(
                "qty {} below the minimum {}",
                p.qty,
                m.qty.format(m.min_qty)
            )));
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
                    params(format!(
                        "price {raw:?} not on tick grid {}",
                        m.price.format(1)
                    ))
                })?;
                (price, p.time_in_force.unwrap_or(TimeInForce::Gtc))
            }
        };
        let resting = self
            .open
            .values()
            .filter(|o| o.account == account && o.symbol == p.symbol)
            .count();
        if resting >= MAX_OPEN_PER_SYMBOL {
            return Err(Reject {
                code: retcode::TOO_MANY_ACTIVE_ORDERS,
                msg: "not allowed to have more than 500 active orders".into(),
            });
        }
        if !link.is_empty() {
            // A reject by the matching engine still spends the id (stricter reading).
            self.used_links.insert((account, link.clone()));
        }
        if let Some(code) = forced {
            return Err(Reject {
                code,
                msg: reject_msg(code).to_string(),
            });
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut o = Order {
            seq,
            order_id: order_id(self.seed, seq),
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
            avg_price: None,
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
        if o.status.is_open() {
            self.open_by_link
                .insert((account, o.order_link_id.clone()), o.order_id.clone());
            self.open.insert(o.order_id.clone(), o);
        } else {
            self.push_closed(o);
        }
        Ok(placed)
    }

    /// Post-only that would cross dies; IOC/FOK/Market fill at the touch or die; GTC that
    /// crosses fills at the touch (when fills are on).
    fn on_arrival(&mut self, o: &mut Order, now: u64) {
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
                    o.fill(at, now);
                    self.fills += 1;
                } else {
                    o.cancel("UNKNOWN", now);
                }
            }
            _ if crosses && self.fills_enabled => {
                o.fill(at, now);
                self.fills += 1;
            }
            _ => {}
        }
    }

    pub(crate) fn amend(
        &mut self,
        account: usize,
        category: Category,
        a: &AmendOrder,
        forced: Option<i64>,
        now: u64,
    ) -> Result<OrderAck, Reject> {
        if a.category.is_some_and(|c| c != category) {
            return Err(params("item category differs from the request's"));
        }
        let m = self.market(category, &a.symbol)?;
        let id = self.locate(
            account,
            category,
            &a.symbol,
            a.order_id.as_deref(),
            a.order_link_id.as_deref(),
        )?;
        let price = a
            .price
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                m.price
                    .steps_of(s)
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| params(format!("price {s:?} not on tick grid")))
            })
            .transpose()?;
        let qty = a
            .qty
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                m.qty
                    .steps_of(s)
                    .ok()
                    .filter(|&v| v >= m.min_qty)
                    .ok_or_else(|| params(format!("qty {s:?} invalid or below minimum")))
            })
            .transpose()?;
        if price.is_none() && qty.is_none() {
            return Err(params("nothing to amend (qty and price both absent)"));
        }
        if let Some(code) = forced {
            return Err(Reject {
                code,
                msg: reject_msg(code).to_string(),
            });
        }
        let Some(mut o) = self.take_open(&id) else {
            return Err(not_exists(category));
        };
        o.price = price.unwrap_or(o.price);
        o.qty = qty.unwrap_or(o.qty);
        o.updated_ms = now;
        let ack = OrderAck {
            order_id: o.order_id.clone(),
            order_link_id: o.order_link_id.clone(),
        };
        // An amended order is re-checked like a new one (UNCONFIRMED for post-only on Bybit).
        self.on_arrival(&mut o, now);
        if o.status.is_open() {
            self.open_by_link
                .insert((account, o.order_link_id.clone()), o.order_id.clone());
            self.open.insert(o.order_id.clone(), o);
        } else {
            self.push_closed(o);
        }
        Ok(ack)
    }

    pub(crate) fn cancel(
        &mut self,
        account: usize,
        category: Category,
        c: &CancelOrder,
        now: u64,
    ) -> Result<OrderAck, Reject> {
        if c.category.is_some_and(|x| x != category) {
            return Err(params("item category differs from the request's"));
        }
        self.market(category, &c.symbol)?;
        let id = self.locate(
            account,
            category,
            &c.symbol,
            c.order_id.as_deref(),
            c.order_link_id.as_deref(),
        )?;
        let Some(mut o) = self.take_open(&id) else {
            return Err(not_exists(category));
        };
        o.cancel("CancelByUser", now);
        let ack = OrderAck {
            order_id: o.order_id.clone(),
            order_link_id: o.order_link_id.clone(),
        };
        self.push_closed(o);
        Ok(ack)
    }

    fn locate(
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

    pub(crate) fn take_open(&mut self, id: &str) -> Option<Order> {
        let o = self.open.remove(id)?;
        self.open_by_link
            .remove(&(o.account, o.order_link_id.clone()));
        Some(o)
    }

    pub(crate) fn push_closed(&mut self, o: Order) {
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

fn not_exists(category: Category) -> Reject {
    if category == Category::Spot {
        Reject {
            code: retcode::SPOT_ORDER_NOT_EXISTS,
            msg: "Order does not exist.".into(),
        }
    } else {
        Reject {
            code: retcode::ORDER_NOT_EXISTS,
            msg: "order not exists or too late to cancel".into(),
        }
    }
}

fn duplicate(category: Category) -> Reject {
    if category == Category::Spot {
        Reject {
            code: retcode::SPOT_DUPLICATE_CLIENT_ID,
            msg: "Duplicate clientOrderId.".into(),
        }
    } else {
        Reject {
            code: retcode::ORDER_LINK_ID_DUPLICATE,
            msg: "OrderLinkedID is duplicate".into(),
        }
    }
}

fn reject_msg(code: i64) -> &'static str {
    match code {
        retcode::PRICE_OUT_OF_RANGE => "Order price is out of permissible range",
        retcode::AVAILABLE_BALANCE_INSUFFICIENT => "ab not enough for new order",
        _ => "rejected",
    }
}

/// A UUID-shaped id (as Bybit linear ids look) derived from seed and sequence; the last 12 hex
/// digits are the sequence number itself, so ids are unique.
fn order_id(seed: u64, seq: u64) -> String {
    let h = hash(&[seed, stream::ORDER_ID, seq]);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        (h >> 4) & 0xfff,
        (h >> 52) & 0xfff,
        seq & 0xffff_ffff_ffff
    )
}
