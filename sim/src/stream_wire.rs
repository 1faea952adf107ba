//! The shapes of the WebSocket messages, as Bybit's documented examples show them (checked key
//! by key in `tests/stream_shapes.rs`): command replies (subscribe, auth, pong) per channel
//! dialect, the public `orderbook` and `tickers` pushes, and the private `order`, `execution`
//! and `position` pushes. Every shape lives here, so the module can switch to mm-bybit's
//! WebSocket types without touching the connection logic.

use mm_bybit::{Category, OpenOrder};
use serde_json::{Map, Value, json};

use crate::events::{Fill, PositionView};

/// A price level `[price, size]`.
pub(crate) type Level = (String, String);

/// Which reply dialect a channel speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// linear, inverse: `success`/`ret_msg`/`conn_id`/`req_id`/`op`.
    Linear,
    /// spot: like linear; pong carries no `req_id`, subscribe says `ret_msg: "subscribe"`.
    Spot,
    /// option: `COMMAND_RESP` replies, pong as `{"args":[ms],"op":"pong"}`.
    Option,
    /// `/v5/private`.
    Private,
}

impl Dialect {
    pub(crate) fn public(category: Category) -> Self {
        match category {
            Category::Linear | Category::Inverse => Dialect::Linear,
            Category::Spot => Dialect::Spot,
            Category::Option => Dialect::Option,
        }
    }
}

pub(crate) fn pong(d: Dialect, conn_id: &str, req_id: Option<&str>, now: u64) -> Value {
    match d {
        Dialect::Linear => json!({"success": true, "ret_msg": "pong", "conn_id": conn_id,
            "req_id": req_id.unwrap_or(""), "op": "ping"}),
        Dialect::Spot => {
            json!({"success": true, "ret_msg": "pong", "conn_id": conn_id, "op": "ping"})
        }
        Dialect::Option => json!({"args": [now.to_string()], "op": "pong"}),
        Dialect::Private => json!({"req_id": req_id.unwrap_or(""), "op": "pong",
            "args": [now.to_string()], "conn_id": conn_id}),
    }
}

/// The reply to `subscribe`/`unsubscribe`/`auth`: `ret_msg` is `""` on success or the reason.
pub(crate) fn command(
    d: Dialect,
    op: &str,
    conn_id: &str,
    req_id: Option<&str>,
    ok: Result<&[String], (&[String], &str)>,
) -> Value {
    let (success, msg) = match &ok {
        Ok(_) => (true, if d == Dialect::Spot { op } else { "" }),
        Err((_, why)) => (false, *why),
    };
    match d {
        Dialect::Option => {
            let (good, bad): (&[String], &[String]) = match ok {
                Ok(t) => (t, &[]),
                Err((t, _)) => (&[], t),
            };
            json!({"success": success, "conn_id": conn_id,
                "data": {"failTopics": bad, "successTopics": good}, "type": "COMMAND_RESP"})
        }
        Dialect::Private => {
            let mut v = json!({"success": success, "ret_msg": msg, "op": op, "conn_id": conn_id});
            if let Some(r) = req_id {
                v["req_id"] = Value::from(r);
            }
            v
        }
        Dialect::Linear | Dialect::Spot => json!({"success": success, "ret_msg": msg,
            "conn_id": conn_id, "req_id": req_id.unwrap_or(""), "op": op}),
    }
}

/// An `orderbook.{depth}.{symbol}` push.
#[allow(clippy::too_many_arguments)]
pub(crate) fn orderbook(
    topic: &str,
    snapshot: bool,
    symbol: &str,
    bids: &[Level],
    asks: &[Level],
    u: u64,
    seq: u64,
    ts: u64,
) -> Value {
    let side = |l: &[Level]| l.iter().map(|(p, s)| json!([p, s])).collect::<Vec<_>>();
    json!({"topic": topic, "type": if snapshot { "snapshot" } else { "delta" }, "ts": ts,
        "data": {"s": symbol, "b": side(bids), "a": side(asks), "u": u, "seq": seq},
        "cts": ts})
}

/// The fields of a linear/inverse `tickers` push, taken from the REST ticker.
const TICKER_FIELDS: [&str; 24] = [
    "symbol",
    "price24hPcnt",
    "lastPrice",
    "prevPrice24h",
    "highPrice24h",
    "lowPrice24h",
    "prevPrice1h",
    "markPrice",
    "indexPrice",
    "openInterest",
    "openInterestValue",
    "turnover24h",
    "volume24h",
    "fundingIntervalHour",
    "fundingCap",
    "nextFundingTime",
    "fundingRate",
    "bid1Price",
    "bid1Size",
    "ask1Price",
    "ask1Size",
    "preOpenPrice",
    "preQty",
    "curPreListingPhase",
];

/// A `tickers.{symbol}` push (linear/inverse): the first is a snapshot, then deltas (which
/// here carry every field; a client merging deltas gets the same result).
pub(crate) fn ticker(
    topic: &str,
    snapshot: bool,
    rest: &mm_bybit::Ticker,
    direction: &str,
    cs: u64,
    ts: u64,
) -> Value {
    let full = serde_json::to_value(rest).unwrap_or(Value::Null);
    let mut data = Map::new();
    for k in TICKER_FIELDS {
        data.insert(k.to_string(), full.get(k).cloned().unwrap_or(json!("")));
    }
    data.insert("tickDirection".into(), Value::from(direction));
    json!({"topic": topic, "type": if snapshot { "snapshot" } else { "delta" },
        "data": data, "cs": cs, "ts": ts})
}

/// The fields of an `order` push, in Bybit's example; the ones REST does not carry get their
/// "none" values.
const ORDER_FIELDS: [&str; 46] = [
    "symbol",
    "orderId",
    "side",
    "orderType",
    "cancelType",
    "price",
    "qty",
    "orderIv",
    "timeInForce",
    "orderStatus",
    "orderLinkId",
    "lastPriceOnCreated",
    "reduceOnly",
    "leavesQty",
    "leavesValue",
    "cumExecQty",
    "cumExecValue",
    "avgPrice",
    "blockTradeId",
    "positionIdx",
    "cumExecFee",
    "closedPnl",
    "createdTime",
    "updatedTime",
    "rejectReason",
    "stopOrderType",
    "tpslMode",
    "triggerPrice",
    "takeProfit",
    "stopLoss",
    "tpTriggerBy",
    "slTriggerBy",
    "tpLimitPrice",
    "slLimitPrice",
    "triggerDirection",
    "triggerBy",
    "closeOnTrigger",
    "category",
    "placeType",
    "smpType",
    "smpGroup",
    "smpOrderId",
    "feeCurrency",
    "cumFeeDetail",
    "rpiTakerAccess",
    "rpiMatchedQty",
];

/// One `order` data item: the REST view re-keyed as the stream shows it (`avgPrice` is `""`
/// until something filled).
pub(crate) fn order_item(category: Category, o: &OpenOrder) -> Value {
    let rest = serde_json::to_value(o).unwrap_or(Value::Null);
    let mut data = Map::new();
    for k in ORDER_FIELDS {
        let v = match k {
            "category" => json!(category.as_str()),
            "closedPnl" | "rpiMatchedQty" => json!("0"),
            "feeCurrency" => json!(""),
            "rpiTakerAccess" => json!(false),
            "avgPrice" if o.cum_exec_qty.trim_start_matches(['0', '.']).is_empty() => json!(""),
            _ => rest.get(k).cloned().unwrap_or(json!("")),
        };
        data.insert(k.to_string(), v);
    }
    Value::Object(data)
}

pub(crate) fn execution_item(f: &Fill) -> Value {
    serde_json::to_value(f).unwrap_or(Value::Null)
}

pub(crate) fn position_item(p: &PositionView) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

/// A private push: `{"id", "topic", "creationTime", "data": [...]}`.
pub(crate) fn private(id: &str, topic: &str, now: u64, data: Vec<Value>) -> Value {
    json!({"id": id, "topic": topic, "creationTime": now, "data": data})
}
