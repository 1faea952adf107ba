//! One order of `/v5/order/realtime`, with every field of Bybit's documented example (so the
//! simulator can send the same shape). Order management reads only a few of them; the rest are
//! carried so a reply round-trips. Every field but the ids, side and status defaults when absent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::{OrderStatus, Side};

/// One order from `/v5/order/realtime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenOrder {
    /// Exchange order id.
    pub order_id: String,
    /// Client order id.
    #[serde(default)]
    pub order_link_id: String,
    /// Block trade id ("" for ordinary orders).
    #[serde(default)]
    pub block_trade_id: String,
    /// Symbol.
    pub symbol: String,
    /// Limit price.
    #[serde(default)]
    pub price: String,
    /// Order quantity.
    #[serde(default)]
    pub qty: String,
    /// Side.
    pub side: Side,
    /// Spot margin flag ("0"/"1"; "" on derivatives).
    #[serde(default)]
    pub is_leverage: String,
    /// 0 one-way, 1/2 hedge.
    #[serde(default)]
    pub position_idx: u8,
    /// Status; [`OrderStatus::is_open`] tells whether it rests.
    pub order_status: OrderStatus,
    /// "UNKNOWN" unless cancelled; then who/what cancelled it.
    #[serde(default)]
    pub cancel_type: String,
    /// "EC_NoError", or why it was rejected (e.g. "EC_PostOnlyWillTakeLiquidity").
    #[serde(default)]
    pub reject_reason: String,
    /// Average fill price ("0" or "" when nothing filled).
    #[serde(default)]
    pub avg_price: String,
    /// Quantity still resting.
    #[serde(default)]
    pub leaves_qty: String,
    /// Value still resting (price x leaves qty).
    #[serde(default)]
    pub leaves_value: String,
    /// Quantity filled.
    #[serde(default)]
    pub cum_exec_qty: String,
    /// Value filled.
    #[serde(default)]
    pub cum_exec_value: String,
    /// Fees paid.
    #[serde(default)]
    pub cum_exec_fee: String,
    /// "GTC", "IOC", "FOK", "PostOnly", "RPI".
    #[serde(default)]
    pub time_in_force: String,
    /// "Limit" or "Market".
    #[serde(default)]
    pub order_type: String,
    /// Conditional order kind ("UNKNOWN" for ordinary orders).
    #[serde(default)]
    pub stop_order_type: String,
    /// Option implied volatility ("" otherwise).
    #[serde(default)]
    pub order_iv: String,
    /// Trigger price of a conditional order.
    #[serde(default)]
    pub trigger_price: String,
    /// Take-profit price.
    #[serde(default)]
    pub take_profit: String,
    /// Stop-loss price.
    #[serde(default)]
    pub stop_loss: String,
    /// Take-profit trigger price type.
    #[serde(default)]
    pub tp_trigger_by: String,
    /// Stop-loss trigger price type.
    #[serde(default)]
    pub sl_trigger_by: String,
    /// Trigger direction (a number: 0 none, 1 rise, 2 fall).
    #[serde(default)]
    pub trigger_direction: u8,
    /// Trigger price type.
    #[serde(default)]
    pub trigger_by: String,
    /// Last price when the order was created ("" if not recorded).
    #[serde(default)]
    pub last_price_on_created: String,
    /// Reduce-only flag.
    #[serde(default)]
    pub reduce_only: bool,
    /// Close-on-trigger flag.
    #[serde(default)]
    pub close_on_trigger: bool,
    /// Self-match prevention type ("None").
    #[serde(default)]
    pub smp_type: String,
    /// Self-match prevention group (a number).
    #[serde(default)]
    pub smp_group: u64,
    /// The order id that triggered self-match prevention.
    #[serde(default)]
    pub smp_order_id: String,
    /// TP/SL mode ("Full", "Partial", or "").
    #[serde(default)]
    pub tpsl_mode: String,
    /// Take-profit limit price.
    #[serde(default)]
    pub tp_limit_price: String,
    /// Stop-loss limit price.
    #[serde(default)]
    pub sl_limit_price: String,
    /// Placement source ("" for API orders).
    #[serde(default)]
    pub place_type: String,
    /// Creation time, ms as a string.
    #[serde(default)]
    pub created_time: String,
    /// Last update time, ms as a string.
    #[serde(default)]
    pub updated_time: String,
    /// Fees per coin (keys are coin names).
    #[serde(default)]
    pub cum_fee_detail: BTreeMap<String, String>,
}
