//! Reply envelope and the order endpoints' results.
//!
//! Tolerance choice: Bybit sends `"result": {}` on errors (and `"retExtInfo": {}` on single-order
//! replies), so every result type here derives `Default` with `#[serde(default)]` and the envelope
//! maps a missing or `null` result to `T::default()`. `Response<T>` therefore parses on error
//! replies too; look at `ret_code` before trusting `result`. Categories in results are plain
//! strings so an unexpected spelling cannot fail a whole reply.

use serde::{Deserialize, Deserializer, Serialize};

pub use crate::open_order::OpenOrder;

/// The envelope of every v5 reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(deserialize = "T: Deserialize<'de> + Default")
)]
pub struct Response<T> {
    /// 0 = OK; see [`crate::retcode`]. For batches: accepted, judge every item.
    pub ret_code: i64,
    /// Human-readable message ("OK", "Too many visits!", ...).
    #[serde(default)]
    pub ret_msg: String,
    /// The endpoint's result; `T::default()` when Bybit sent `{}`, `null` or nothing.
    #[serde(default, deserialize_with = "null_as_default")]
    pub result: T,
    /// Per-item codes of a batch, aligned by index with `result.list`; empty otherwise.
    #[serde(default, deserialize_with = "null_as_default")]
    pub ret_ext_info: RetExtInfo,
    /// Server time (ms).
    #[serde(default)]
    pub time: u64,
}

impl<T> Response<T> {
    /// True when the top-level retCode is 0.
    pub fn is_ok(&self) -> bool {
        self.ret_code == crate::retcode::OK
    }
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `retExtInfo`: `{}` on single-order replies, `{"list":[...]}` on batches.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RetExtInfo {
    /// One status per batch item, same order as the request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub list: Vec<ItemStatus>,
}

/// The outcome of one batch item.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemStatus {
    /// 0 = accepted (not necessarily resting).
    pub code: i64,
    /// Message.
    pub msg: String,
}

/// Result of create / amend / cancel (single order), and an entry of cancel-all's list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrderAck {
    /// Exchange order id.
    pub order_id: String,
    /// Client order id ("" if none was given).
    pub order_link_id: String,
}

/// One entry of create-batch's `result.list`. A failed item has `order_id == ""`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BatchCreateItem {
    /// Category.
    pub category: String,
    /// Symbol.
    pub symbol: String,
    /// Exchange order id, "" on failure.
    pub order_id: String,
    /// Client order id.
    pub order_link_id: String,
    /// Creation time, ms as a string ("" on failure).
    pub create_at: String,
}

/// One entry of amend-batch's / cancel-batch's `result.list`. A failed item has `order_id == ""`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BatchItem {
    /// Category.
    pub category: String,
    /// Symbol.
    pub symbol: String,
    /// Exchange order id, "" on failure.
    pub order_id: String,
    /// Client order id.
    pub order_link_id: String,
}

/// `{ "list": [...] }`, the result of the batch endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListResult<T> {
    /// Items.
    pub list: Vec<T>,
}

impl<T> Default for ListResult<T> {
    fn default() -> Self {
        Self { list: Vec::new() }
    }
}

/// Result of `/v5/order/cancel-all`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CancelAllResult {
    /// The orders cancelled (at most 500 per call on linear/inverse).
    pub list: Vec<OrderAck>,
    /// "1" success, "0" failure.
    pub success: String,
}

/// Result of `/v5/order/realtime`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OpenOrdersResult {
    /// Category.
    pub category: String,
    /// Orders, newest first.
    pub list: Vec<OpenOrder>,
    /// Opaque cursor for the next page; "" on the last page. Send it back as received.
    pub next_page_cursor: String,
}
