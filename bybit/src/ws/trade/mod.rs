//! Order entry over the trade stream (`/v5/trade`).
//!
//! A request is `{"reqId":"…","header":{"X-BAPI-TIMESTAMP":"…","X-BAPI-RECV-WINDOW":"…"},
//! "op":"order.create","args":[…]}` with exactly one argument: the REST body of the same
//! endpoint (single ops, with `category`) or a [`crate::BatchRequest`] (batch ops). The
//! connection authenticates first with the same [`crate::ws::AuthRequest`] as the private stream
//! and pings with `{"op":"ping"}`. Replies speak the `retCode`/`retMsg`/`connId` dialect: `data`
//! is the REST `result`, `retExtInfo.list` the per-item outcomes of a batch (a `retCode` 0 with
//! every item failed is normal), and `header` the rate-limit state. An ack is not an execution:
//! the truth is the `order` stream.
//!
//! - [`request`]: the requests, and [`TradeCall`] to classify one (server side).
//! - [`reply`]: the replies, and [`TradeMessage`] to classify one (client side).

pub mod reply;
pub mod request;

pub use reply::{TradeMessage, TradeReply, TradeReplyHeader};
pub use request::{TradeCall, TradeCallError, TradeHeader, TradeRequest};

/// Place one order.
pub const OP_CREATE: &str = "order.create";
/// Amend one order.
pub const OP_AMEND: &str = "order.amend";
/// Cancel one order.
pub const OP_CANCEL: &str = "order.cancel";
/// Place up to [`crate::Category::batch_limit`] orders.
pub const OP_CREATE_BATCH: &str = "order.create-batch";
/// Amend up to [`crate::Category::batch_limit`] orders.
pub const OP_AMEND_BATCH: &str = "order.amend-batch";
/// Cancel up to [`crate::Category::batch_limit`] orders.
pub const OP_CANCEL_BATCH: &str = "order.cancel-batch";
