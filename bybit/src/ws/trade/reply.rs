//! Trade-stream replies: what the simulator sends and the client parses.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::headers::{LIMIT, LIMIT_RESET_TIMESTAMP, LIMIT_STATUS, RateLimitStatus};
use crate::response::{BatchCreateItem, BatchItem, ListResult, OrderAck, Response, RetExtInfo};
use crate::ws::envelope::{OP_AUTH, OP_PONG, OpReply};
use crate::ws::message::WsError;
use crate::ws::trade::{
    OP_AMEND, OP_AMEND_BATCH, OP_CANCEL, OP_CANCEL_BATCH, OP_CREATE, OP_CREATE_BATCH,
};

/// `header` key of the trace id (Bybit also spells it `TraceId`: read with [`TradeReplyHeader::get`]).
pub const TRACE_ID: &str = "Traceid";
/// `header` key of the server time (ms).
pub const TIME_NOW: &str = "Timenow";

/// `header` of an order reply: rate-limit state, trace id, server time. Keys are kept as sent
/// and read case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TradeReplyHeader(pub BTreeMap<String, String>);

impl TradeReplyHeader {
    /// The header a server sends: `X-Bapi-Limit*`, `Traceid`, `Timenow`.
    pub fn new(rate: RateLimitStatus, trace_id: &str, now_ms: u64) -> Self {
        Self(BTreeMap::from([
            (LIMIT.to_owned(), rate.limit.to_string()),
            (LIMIT_STATUS.to_owned(), rate.remaining.to_string()),
            (LIMIT_RESET_TIMESTAMP.to_owned(), rate.reset_ms.to_string()),
            (TRACE_ID.to_owned(), trace_id.to_owned()),
            (TIME_NOW.to_owned(), now_ms.to_string()),
        ]))
    }

    /// The value of `name`, whatever its case on the wire.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The rate-limit state, if all three values are there and plain integers.
    pub fn rate_limit(&self) -> Option<RateLimitStatus> {
        RateLimitStatus::from_header_values(
            self.get(LIMIT)?,
            self.get(LIMIT_STATUS)?,
            self.get(LIMIT_RESET_TIMESTAMP)?,
        )
    }

    /// Server time (ms), if sent as a plain integer.
    pub fn time_now_ms(&self) -> Option<u64> {
        self.get(TIME_NOW)?.trim().parse().ok()
    }

    /// Trace id.
    pub fn trace_id(&self) -> Option<&str> {
        self.get(TRACE_ID)
    }
}

/// A reply on the trade stream. `T` is the REST result of the op ([`OrderAck`] for single
/// ops, [`ListResult`] for batches, the pong's `Vec<String>` of the server time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(deserialize = "T: Deserialize<'de> + Default")
)]
pub struct TradeReply<T> {
    /// The request's `reqId` (absent if the request had none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req_id: Option<String>,
    /// 0 = OK; see [`crate::retcode`]. For batches: accepted, judge every item.
    pub ret_code: i64,
    /// Message.
    #[serde(default)]
    pub ret_msg: String,
    /// The op answered.
    pub op: String,
    /// The REST `result` of the op (`T::default()` when sent as `{}` or `null`; absent on auth).
    #[serde(
        default,
        deserialize_with = "some_or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<T>,
    /// Per-item outcomes of a batch, aligned with `data.list` (`{}` on single ops).
    #[serde(
        default,
        deserialize_with = "some_or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub ret_ext_info: Option<RetExtInfo>,
    /// Rate-limit state (order ops).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<TradeReplyHeader>,
    /// Connection id.
    #[serde(default)]
    pub conn_id: String,
}

/// A present key always gives `Some`, with `null` read as `T::default()`.
fn some_or_default<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Some(Option::<T>::deserialize(d)?.unwrap_or_default()))
}

impl<T> TradeReply<T> {
    /// True when `retCode` is 0.
    pub fn is_ok(&self) -> bool {
        self.ret_code == crate::retcode::OK
    }
}

impl<T: Default> TradeReply<T> {
    /// The same reply as the REST endpoint's, so order management handles both alike
    /// (`time` from the header's `Timenow`, 0 if absent).
    pub fn into_response(self) -> Response<T> {
        let time = self.header.as_ref().and_then(TradeReplyHeader::time_now_ms);
        Response {
            ret_code: self.ret_code,
            ret_msg: self.ret_msg,
            result: self.data.unwrap_or_default(),
            ret_ext_info: self.ret_ext_info.unwrap_or_default(),
            time: time.unwrap_or(0),
        }
    }
}

impl<T: Serialize> TradeReply<T> {
    /// The JSON text to send.
    pub fn to_json(&self) -> String {
        crate::ws::message::to_json(self)
    }
}

impl TradeReply<Vec<String>> {
    /// The pong: `{"retCode":0,"retMsg":"OK","op":"pong","data":["<ms>"],"connId":"…"}`.
    pub fn pong(conn_id: &str, now_ms: u64) -> Self {
        Self {
            data: Some(vec![now_ms.to_string()]),
            ..bare(OP_PONG, conn_id, crate::retcode::OK, "OK")
        }
    }
}

impl TradeReply<serde_json::Value> {
    /// The auth reply: `{"retCode":0,"retMsg":"OK","op":"auth","connId":"…"}`, or a failure
    /// with Bybit's code (10004 bad signature, 20001 repeated auth, 10001 parameters).
    pub fn auth(conn_id: &str, failure: Option<(i64, &str)>) -> Self {
        let (code, msg) = failure.unwrap_or((crate::retcode::OK, "OK"));
        bare(OP_AUTH, conn_id, code, msg)
    }
}

fn bare<T>(op: &str, conn_id: &str, ret_code: i64, ret_msg: &str) -> TradeReply<T> {
    TradeReply {
        req_id: None,
        ret_code,
        ret_msg: ret_msg.to_owned(),
        op: op.to_owned(),
        data: None,
        ret_ext_info: None,
        header: None,
        conn_id: conn_id.to_owned(),
    }
}

/// One message received on the trade stream (what the client dispatches on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TradeMessage {
    /// Reply to `auth`.
    Auth(TradeReply<serde_json::Value>),
    /// Reply to `ping`.
    Pong(TradeReply<Vec<String>>),
    /// Reply to `order.create`, `order.amend` or `order.cancel` (see `op`).
    Order(TradeReply<OrderAck>),
    /// Reply to `order.create-batch`.
    CreateBatch(TradeReply<ListResult<BatchCreateItem>>),
    /// Reply to `order.amend-batch` or `order.cancel-batch` (see `op`).
    Batch(TradeReply<ListResult<BatchItem>>),
    /// A failure in the other dialect, without `reqId`:
    /// `{"success":false,"ret_msg":"Params Error","op":"order.create","conn_id":"…"}`. It
    /// cannot be matched to a request: time the pending ones out and reconcile.
    Legacy(OpReply),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    op: Option<String>,
    ret_code: Option<serde_json::Value>,
    success: Option<serde_json::Value>,
}

impl TradeMessage {
    /// Parses one text frame.
    pub fn parse(text: &str) -> Result<Self, WsError> {
        fn typed<T: DeserializeOwned>(text: &str) -> Result<T, WsError> {
            serde_json::from_str(text).map_err(|e| WsError::Json(e.to_string()))
        }
        let p: Probe = typed(text)?;
        if p.ret_code.is_none() && p.success.is_some() {
            return typed(text).map(TradeMessage::Legacy);
        }
        match p.op.as_deref() {
            Some(OP_AUTH) => typed(text).map(TradeMessage::Auth),
            Some(OP_PONG) => typed(text).map(TradeMessage::Pong),
            Some(OP_CREATE | OP_AMEND | OP_CANCEL) => typed(text).map(TradeMessage::Order),
            Some(OP_CREATE_BATCH) => typed(text).map(TradeMessage::CreateBatch),
            Some(OP_AMEND_BATCH | OP_CANCEL_BATCH) => typed(text).map(TradeMessage::Batch),
            Some(other) => Err(WsError::UnknownOp(other.to_owned())),
            None => Err(WsError::NotAMessage),
        }
    }

    /// The `reqId` this message answers, if any.
    pub fn req_id(&self) -> Option<&str> {
        match self {
            TradeMessage::Auth(r) => r.req_id.as_deref(),
            TradeMessage::Pong(r) => r.req_id.as_deref(),
            TradeMessage::Order(r) => r.req_id.as_deref(),
            TradeMessage::CreateBatch(r) => r.req_id.as_deref(),
            TradeMessage::Batch(r) => r.req_id.as_deref(),
            TradeMessage::Legacy(r) => r.req_id.as_deref(),
        }
    }

    /// The JSON text of this message.
    pub fn to_json(&self) -> String {
        crate::ws::message::to_json(self)
    }
}
