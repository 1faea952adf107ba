//! What the private stream (and the REST listings core asks for when it
//! resynchronises) says about our orders, fills and positions, as the wire
//! sent it: exact decimal strings, the exchange's ids, its timestamps as the
//! decimal strings of milliseconds it sends. Core parses and judges them (a
//! malformed quantity is core's decision to make, not the shell's), so the
//! journal holds exactly what arrived.
//!
//! Field sources (Bybit v5 names): the private stream's `order`,
//! `execution` (or `execution.fast`) and `position` topics, each item of a
//! push's `data` array one value here; `GET /v5/execution/list` and
//! `GET /v5/position/list` rows (`result.list[i]`) have the same fields. A
//! field the message does not carry is `""` (or the stated default).

use serde::{Deserialize, Serialize};

use super::{RateLimitStatus, WireStr};

/// One item of the private `order` topic: a state change of one order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderUpdate {
    /// `symbol`.
    pub symbol: WireStr,
    /// `orderId`.
    pub order_id: WireStr,
    /// `orderLinkId` (`""` when the order has none).
    pub order_link_id: WireStr,
    /// `side`: `"Buy"` / `"Sell"`.
    pub side: WireStr,
    /// `price`.
    pub price: WireStr,
    /// `qty`: the order's whole quantity (filled and resting).
    pub qty: WireStr,
    /// `leavesQty`: still resting (`""` when not sent).
    pub leaves_qty: WireStr,
    /// `cumExecQty`: filled so far.
    pub cum_exec_qty: WireStr,
    /// `avgPrice`: average fill price (`""` or `"0"` when nothing filled).
    pub avg_price: WireStr,
    /// `orderStatus`: `New`, `PartiallyFilled`, `Untriggered` (open);
    /// `Filled`, `Cancelled`, `Rejected`, `PartiallyFilledCanceled`,
    /// `Deactivated` (final).
    pub status: WireStr,
    /// `cancelType` (`"UNKNOWN"` unless cancelled).
    pub cancel_type: WireStr,
    /// `rejectReason` (`EC_NoError`, `EC_PostOnlyWillTakeLiquidity`, ...).
    pub reject_reason: WireStr,
    /// `updatedTime`: exchange time of this change, ms as a decimal string.
    pub updated_time: WireStr,
}

/// One fill: an item of the private `execution` / `execution.fast` topic, or
/// a row of `GET /v5/execution/list`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Execution {
    /// `symbol`.
    pub symbol: WireStr,
    /// `orderId`.
    pub order_id: WireStr,
    /// `orderLinkId` (`""` for maker fills on `execution.fast`: core then
    /// matches the order by `orderId`).
    pub order_link_id: WireStr,
    /// `side`: the side of our order, `"Buy"` / `"Sell"`.
    pub side: WireStr,
    /// `execId`: the de-duplication key.
    pub exec_id: WireStr,
    /// `execPrice`.
    pub exec_price: WireStr,
    /// `execQty`.
    pub exec_qty: WireStr,
    /// `execType`: only `Trade` is a fill of ours (`""` on
    /// `execution.fast`, which sends trades only); funding, ADL,
    /// delivery... are ignored (and counted as not ours).
    pub exec_type: WireStr,
    /// `leavesQty`: what still rests of the order after this fill (`""` on
    /// `execution.fast`: core then compares its own filled total with the
    /// order's qty).
    pub leaves_qty: WireStr,
    /// `execTime`: ms as a decimal string.
    pub exec_time: WireStr,
    /// `isMaker`.
    pub is_maker: bool,
    /// `seq`: the cross sequence, shared by simultaneous fills and the
    /// position update they cause (per symbol; 0 when not sent).
    pub seq: i64,
}

/// One position: an item of the private `position` topic, or a row of
/// `GET /v5/position/list`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    /// `symbol`.
    pub symbol: WireStr,
    /// `side`: `"Buy"` (long), `"Sell"` (short), `""` (flat).
    pub side: WireStr,
    /// `size`: unsigned; `side` gives the sign.
    pub size: WireStr,
    /// `positionIdx`: 0 one-way mode (the only one core checks), 1/2 hedge.
    pub position_idx: u8,
    /// `seq`: the cross sequence of the last fill this position reflects
    /// (`-1` never traded).
    pub seq: i64,
    /// `updatedTime`: ms as a decimal string.
    pub updated_time: WireStr,
}

/// Which WebSocket stream a `StreamState` input is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stream {
    /// `/v5/private`: orders, executions, positions.
    Private,
    /// `/v5/public/{category}`: books.
    Public,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Private => "private",
            Stream::Public => "public",
        }
    }
}

/// A REST listing core asked for to resynchronise (an HTTP 200 whose
/// envelope said `retCode` 0; any other answer comes as the other
/// `Outcome`s, a refusal as `Outcome::Reply` with its `ret_code`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub rows: ListingRows,
    /// `result.nextPageCursor`, `None` when empty (the last page).
    pub next_cursor: Option<String>,
    /// From `X-Bapi-Limit`, `X-Bapi-Limit-Status`, `X-Bapi-Limit-Reset-Timestamp`, when sent.
    pub rate_limit: Option<RateLimitStatus>,
}

/// `result.list` of the listing, by what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ListingRows {
    /// `GET /v5/execution/list`, newest first.
    Executions(Vec<Execution>),
    /// `GET /v5/position/list`.
    Positions(Vec<Position>),
}
