//! `execution` and `execution.fast` payloads (private): our fills.
//!
//! One push may hold several fills of one order; de-duplicate by `execId`. `execution.fast`
//! carries trades only and fewer fields (no `execType`, fee or `leavesQty`), and its
//! `orderLinkId` is `""` for maker fills: map those by `orderId`. `seq` is the cross sequence
//! shared by simultaneous fills and the position update they cause (unique only per symbol).

use serde::{Deserialize, Serialize};

use crate::enums::Side;

/// `execType`. Unknown values parse as [`ExecType::Other`] rather than failing the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExecType {
    /// An ordinary fill.
    Trade,
    /// Auto-deleveraging.
    AdlTrade,
    /// Funding fee.
    Funding,
    /// Liquidation.
    BustTrade,
    /// Futures delivery.
    Delivery,
    /// Settlement.
    Settle,
    /// Block trade.
    BlockTrade,
    /// Position moved between accounts.
    MovePosition,
    /// Spread trade leg.
    FutureSpread,
    /// Corporate action.
    CorporateAction,
    /// Any value this crate does not know.
    #[serde(other)]
    Other,
}

/// One fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    /// Category as sent.
    #[serde(default)]
    pub category: String,
    /// Symbol.
    pub symbol: String,
    /// Exchange order id.
    pub order_id: String,
    /// Client order id (`""` for maker fills on `execution.fast`).
    #[serde(default)]
    pub order_link_id: String,
    /// Side of our order.
    pub side: Side,
    /// Execution id: the de-duplication key.
    pub exec_id: String,
    /// Fill price.
    pub exec_price: String,
    /// Fill quantity.
    pub exec_qty: String,
    /// Fill time (ms, as a string).
    pub exec_time: String,
    /// True if our order was resting (maker).
    #[serde(default)]
    pub is_maker: bool,
    /// Cross sequence.
    #[serde(default)]
    pub seq: i64,
    /// Kind of execution (absent on `execution.fast`, which sends trades only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_type: Option<ExecType>,
    /// The order's quantity still resting after this fill (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaves_qty: Option<String>,
    /// The order's price (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_price: Option<String>,
    /// The order's quantity (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_qty: Option<String>,
    /// `Limit`, `Market`, `UNKNOWN` (funding) (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    /// Price x quantity (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_value: Option<String>,
    /// Fee (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_fee: Option<String>,
    /// Fee rate (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_rate: Option<String>,
    /// Fee coin (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_currency: Option<String>,
    /// Position quantity this fill closed (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_size: Option<String>,
    /// Realised PnL of this fill (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_pnl: Option<String>,
    /// Mark price at the fill (not on `execution.fast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_price: Option<String>,
}

impl Execution {
    /// True for an ordinary fill (every `execution.fast` item is one).
    pub fn is_trade(&self) -> bool {
        matches!(self.exec_type, None | Some(ExecType::Trade))
    }
}
