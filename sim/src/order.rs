//! An order as the simulator keeps it (integer ticks and steps) and its wire view.

use mm_bybit::enums::{REJECT_NO_ERROR, REJECT_POST_ONLY_WILL_TAKE_LIQUIDITY};
use mm_bybit::{Category, OpenOrder, OrderStatus, OrderType, Side, TimeInForce};

use crate::decimal::format_value;
use crate::market::Market;
use crate::rng::{hash, stream};

#[derive(Debug, Clone)]
pub(crate) struct Order {
    /// Creation sequence number: orders sort newest first by it; pagination cursors hold it.
    pub(crate) seq: u64,
    /// Queue rank within its price level (lower = earlier); see `modify.rs` for when an amend
    /// takes a new one.
    pub(crate) rank: u64,
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
    /// Sum of price ticks x qty steps over the fills (for the average price and values).
    pub(crate) exec_value: u128,
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

    /// Quantity still resting.
    pub(crate) fn leaves(&self) -> u64 {
        if self.status.is_open() {
            self.qty - self.cum_exec
        } else {
            0
        }
    }

    /// Average fill price in ticks (rounded down to the grid), if anything filled.
    pub(crate) fn avg_price(&self) -> Option<u64> {
        (self.cum_exec > 0)
            .then(|| u64::try_from(self.exec_value / u128::from(self.cum_exec)).unwrap_or(0))
    }

    /// Fills `qty` (at most what is left) at `at`: PartiallyFilled or Filled.
    pub(crate) fn execute(&mut self, qty: u64, at: u64, now: u64) {
        let qty = qty.min(self.qty - self.cum_exec);
        self.cum_exec += qty;
        self.exec_value += u128::from(at) * u128::from(qty);
        self.status = if self.cum_exec == self.qty {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        self.updated_ms = now;
    }

    /// Cancelled; a partly filled spot order ends `PartiallyFilledCanceled` (spot only).
    pub(crate) fn cancel(&mut self, cancel_type: &'static str, now: u64) {
        self.status = if self.cum_exec > 0 && self.category == Category::Spot {
            OrderStatus::PartiallyFilledCanceled
        } else {
            OrderStatus::Cancelled
        };
        self.cancel_type = cancel_type;
        self.updated_ms = now;
    }

    /// Post-only that would have crossed: acked, then cancelled with Bybit's reason.
    pub(crate) fn kill_post_only(&mut self, now: u64) {
        self.cancel("UNKNOWN", now);
        self.reject_reason = REJECT_POST_ONLY_WILL_TAKE_LIQUIDITY;
    }

    /// The order as `/v5/order/realtime` shows it: every field of Bybit's example, the ones
    /// the simulator does not model (TP/SL, triggers, SMP, fees) at their "none" values.
    pub(crate) fn to_wire(&self, m: &Market) -> OpenOrder {
        let leaves = self.leaves();
        let none = String::new;
        OpenOrder {
            order_id: self.order_id.clone(),
            order_link_id: self.order_link_id.clone(),
            block_trade_id: none(),
            symbol: self.symbol.clone(),
            price: m.price.format(self.price),
            qty: m.qty.format(self.qty),
            side: self.side,
            is_leverage: if self.category == Category::Spot {
                "0".into()
            } else {
                none()
            },
            position_idx: self.position_idx,
            order_status: self.status,
            cancel_type: self.cancel_type.to_string(),
            reject_reason: self.reject_reason.to_string(),
            avg_price: self
                .avg_price()
                .map_or_else(|| "0".to_string(), |p| m.price.format(p)),
            leaves_qty: m.qty.format(leaves),
            leaves_value: format_value(
                &m.price,
                &m.qty,
                u128::from(self.price) * u128::from(leaves),
            ),
            cum_exec_qty: m.qty.format(self.cum_exec),
            cum_exec_value: format_value(&m.price, &m.qty, self.exec_value),
            cum_exec_fee: "0".into(),
            time_in_force: self.tif.as_str().to_string(),
            order_type: match self.order_type {
                OrderType::Limit => "Limit",
                OrderType::Market => "Market",
            }
            .to_string(),
            stop_order_type: "UNKNOWN".into(),
            order_iv: none(),
            trigger_price: m.price.format(0),
            take_profit: none(),
            stop_loss: none(),
            tp_trigger_by: "UNKNOWN".into(),
            sl_trigger_by: "UNKNOWN".into(),
            trigger_direction: 0,
            trigger_by: "UNKNOWN".into(),
            last_price_on_created: none(),
            reduce_only: false,
            close_on_trigger: false,
            smp_type: "None".into(),
            smp_group: 0,
            smp_order_id: none(),
            tpsl_mode: none(),
            tp_limit_price: none(),
            sl_limit_price: none(),
            place_type: none(),
            created_time: self.created_ms.to_string(),
            updated_time: self.updated_ms.to_string(),
            cum_fee_detail: std::collections::BTreeMap::new(),
        }
    }
}

/// A fresh resting order's reject reason / cancel type.
pub(crate) const FRESH: (&str, &str) = (REJECT_NO_ERROR, "UNKNOWN");

/// An order id in the shape Bybit uses for the category: UUID-like for derivatives and
/// options, a 19-digit number for spot (as in the docs' examples). Derived from seed and
/// sequence; the sequence itself is embedded, so ids are unique.
pub(crate) fn order_id(category: Category, seed: u64, seq: u64) -> String {
    let h = hash(&[seed, stream::ORDER_ID, seq]);
    if category == Category::Spot {
        // 1.7e18 + (hash % 1e9) * 1e9 + seq: 19 digits while seq < 1e9.
        let n = 1_700_000_000_000_000_000u64 + (h % 1_000_000_000) * 1_000_000_000 + seq;
        return n.to_string();
    }
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        (h >> 4) & 0xfff,
        (h >> 52) & 0xfff,
        seq & 0xffff_ffff_ffff
    )
}
