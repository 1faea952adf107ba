//! An order as the simulator keeps it (integer ticks and steps) and its wire view.

use mm_bybit::enums::{REJECT_NO_ERROR, REJECT_POST_ONLY_WILL_TAKE_LIQUIDITY};
use mm_bybit::{Category, OpenOrder, OrderStatus, OrderType, Side, TimeInForce};

use crate::market::Market;

#[derive(Debug, Clone)]
pub(crate) struct Order {
    /// Creation sequence number: orders sort newest first by it; pagination cursors hold it.
    pub(crate) seq: u64,
    pub(crate) order_id: String,
    pub(crate) order_link_id: String,
    pub(crate) account: usize,
    pub(crate) category: Category,
    pub(crate) symbol: String,
    pub(crate) side: Side,
    pub(crate) order_type: OrderType,
    pub(crate) tif: TimeInForce,
    pub(crate) price: u64,
    pub(crate) qty: u64,
    pub(crate) cum_exec: u64,
    pub(crate) avg_price: Option<u64>,
    pub(crate) status: OrderStatus,
    pub(crate) reject_reason: &'static str,
    pub(crate) cancel_type: &'static str,
    pub(crate) position_idx: u8,
    pub(crate) created_ms: u64,
    pub(crate) updated_ms: u64,
}

impl Order {
    /// Would this order take liquidity against the market's current best prices?
    pub(crate) fn crosses(&self, m: &Market) -> bool {
        match self.side {
            Side::Buy => self.price >= m.ask(),
            Side::Sell => self.price <= m.bid(),
        }
    }

    pub(crate) fn fill(&mut self, at: u64, now: u64) {
        self.cum_exec = self.qty;
        self.avg_price = Some(at);
        self.status = OrderStatus::Filled;
        self.updated_ms = now;
    }

    pub(crate) fn cancel(&mut self, cancel_type: &'static str, now: u64) {
        self.status = OrderStatus::Cancelled;
        self.cancel_type = cancel_type;
        self.updated_ms = now;
    }

    /// Post-only that would have crossed: acked, then cancelled with Bybit's reason.
    pub(crate) fn kill_post_only(&mut self, now: u64) {
        self.cancel("UNKNOWN", now);
        self.reject_reason = REJECT_POST_ONLY_WILL_TAKE_LIQUIDITY;
    }

    pub(crate) fn to_wire(&self, m: &Market) -> OpenOrder {
        let leaves = if self.status.is_open() {
            self.qty - self.cum_exec
        } else {
            0
        };
        OpenOrder {
            order_id: self.order_id.clone(),
            order_link_id: self.order_link_id.clone(),
            symbol: self.symbol.clone(),
            side: self.side,
            price: m.price.format(self.price),
            qty: m.qty.format(self.qty),
            leaves_qty: m.qty.format(leaves),
            cum_exec_qty: m.qty.format(self.cum_exec),
            avg_price: self
                .avg_price
                .map_or_else(|| "0".to_string(), |p| m.price.format(p)),
            order_status: self.status,
            time_in_force: self.tif.as_str().to_string(),
            order_type: match self.order_type {
                OrderType::Limit => "Limit",
                OrderType::Market => "Market",
            }
            .to_string(),
            reject_reason: self.reject_reason.to_string(),
            cancel_type: self.cancel_type.to_string(),
            position_idx: self.position_idx,
            created_time: self.created_ms.to_string(),
            updated_time: self.updated_ms.to_string(),
        }
    }
}

/// A fresh resting order's reject reason / cancel type.
pub(crate) const FRESH: (&str, &str) = (REJECT_NO_ERROR, "UNKNOWN");
