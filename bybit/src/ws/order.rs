//! `order` payload (private): one state change of one of our orders.
//!
//! Facts the reader must handle: a fill may arrive (on `execution`) before the order's `New`;
//! an amend pushes the same status with the new `price`/`qty`; a cancel racing a fill yields two
//! `Filled` messages, the second with `cancelType` `CancelByUser` and `rejectReason`
//! `EC_OrigClOrdIDDoesNotExist`; a post-only order that would cross ends `Cancelled` (sometimes
//! `Rejected`) with `EC_PostOnlyWillTakeLiquidity`. Fields beyond what order management reads are
//! left out; ids, symbol, side and status are required, the rest default when absent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::{OrderStatus, Side};

/// One item of an `order` push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderUpdate {
    /// Category as sent (`linear`, `spot`, `option`, …).
    #[serde(default)]
    pub category: String,
    /// Symbol.
    pub symbol: String,
    /// Exchange order id.
    pub order_id: String,
    /// Client order id ("" if none was given).
    #[serde(default)]
    pub order_link_id: String,
    /// Side.
    pub side: Side,
    /// `Limit`, `Market`.
    #[serde(default)]
    pub order_type: String,
    /// Limit price.
    #[serde(default)]
    pub price: String,
    /// Order quantity.
    #[serde(default)]
    pub qty: String,
    /// `GTC`, `IOC`, `FOK`, `PostOnly`, `RPI`.
    #[serde(default)]
    pub time_in_force: String,
    /// Status; [`OrderStatus::is_open`] tells whether it still rests.
    pub order_status: OrderStatus,
    /// `"UNKNOWN"` unless cancelled; then who cancelled it (`CancelByUser`, …).
    #[serde(default)]
    pub cancel_type: String,
    /// `EC_NoError`, or why it was rejected or cancelled.
    #[serde(default)]
    pub reject_reason: String,
    /// Average fill price (`""` or `"0"` when nothing filled).
    #[serde(default)]
    pub avg_price: String,
    /// Quantity still resting (`""` on some final option orders).
    #[serde(default)]
    pub leaves_qty: String,
    /// Value still resting.
    #[serde(default)]
    pub leaves_value: String,
    /// Quantity filled so far.
    #[serde(default)]
    pub cum_exec_qty: String,
    /// Value filled so far.
    #[serde(default)]
    pub cum_exec_value: String,
    /// Fees so far (deprecated on linear and spot: see `cum_fee_detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cum_exec_fee: Option<String>,
    /// Fees so far by coin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cum_fee_detail: Option<BTreeMap<String, String>>,
    /// 0 one-way, 1/2 hedge.
    #[serde(default)]
    pub position_idx: u8,
    /// Reduce-only.
    #[serde(default)]
    pub reduce_only: bool,
    /// Creation time (ms, as a string).
    #[serde(default)]
    pub created_time: String,
    /// Time of this change (ms, as a string).
    #[serde(default)]
    pub updated_time: String,
}
