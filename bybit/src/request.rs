//! POST request bodies. Field names and order as Bybit documents them; numbers as strings;
//! `None` fields are left out of the JSON (Bybit treats an omitted field as "unchanged" on amend).

use serde::{Deserialize, Serialize};

use crate::enums::{Category, OrderType, Side, TimeInForce};

/// One new order: the body of `/v5/order/create` (with `category`) or one item of a
/// create-batch `request` array (with `category: None`, since the batch carries it once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrder {
    /// Only in the single-order body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Uppercase symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Buy or Sell.
    pub side: Side,
    /// Limit or Market.
    pub order_type: OrderType,
    /// Quantity as a decimal string on the instrument's qty step.
    pub qty: String,
    /// Limit price as a decimal string on the tick grid (ignored for Market).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// GTC when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<TimeInForce>,
    /// Client order id: <= 36 chars of `[A-Za-z0-9_-]`, never reused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_link_id: Option<String>,
    /// 0 one-way mode, 1/2 hedge mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_idx: Option<u8>,
}

/// Amend one order in place (price and/or qty): the body of `/v5/order/amend` or one item of an
/// amend-batch. Identify the order by `order_id` or `order_link_id` (orderId wins if both).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmendOrder {
    /// Only in the single-order body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Symbol of the order.
    pub symbol: String,
    /// Exchange order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Client order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_link_id: Option<String>,
    /// New quantity (omit to keep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<String>,
    /// New price (omit to keep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
}

/// Cancel one order: the body of `/v5/order/cancel` or one item of a cancel-batch.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrder {
    /// Only in the single-order body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Symbol of the order.
    pub symbol: String,
    /// Exchange order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Client order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_link_id: Option<String>,
}

/// Body of the three batch endpoints: one category, up to `category.batch_limit()` items of any
/// symbols of that category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRequest<T> {
    /// The one category of every item.
    pub category: Category,
    /// The items, answered in the same order.
    pub request: Vec<T>,
}

/// Body of `/v5/order/cancel-all`. For linear/inverse one of the filters is mandatory;
/// priority symbol > baseCoin > settleCoin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelAll {
    /// Category.
    pub category: Category,
    /// Only this symbol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// Only this base coin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_coin: Option<String>,
    /// Only this settle coin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_coin: Option<String>,
}

/// Why an orderLinkId is not acceptable, or `None` if it is (<= 36 chars of `[A-Za-z0-9_-]`,
/// not empty). The server's hard limit may be 45 (field report); 36 is the documented one.
pub fn order_link_id_problem(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("orderLinkId is empty")
    } else if id.len() > 36 {
        Some("orderLinkId is longer than 36")
    } else if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Some("orderLinkId has a character outside [A-Za-z0-9_-]")
    } else {
        None
    }
}
