//! Trade-stream requests: what the client sends and the simulator parses.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::request::{AmendOrder, BatchRequest, CancelOrder, PlaceOrder};
use crate::ws::auth::AuthRequest;
use crate::ws::envelope::{OP_AUTH, OP_PING, OpRequest};
use crate::ws::message::WsError;
use crate::ws::trade::{
    OP_AMEND, OP_AMEND_BATCH, OP_CANCEL, OP_CANCEL_BATCH, OP_CREATE, OP_CREATE_BATCH,
};

/// `header` of a trade request. Values are strings, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeHeader {
    /// Unix ms when the request was made; the server takes
    /// `server - recv_window <= timestamp < server + 1000`.
    #[serde(rename = "X-BAPI-TIMESTAMP")]
    pub timestamp: String,
    /// Validity window in ms (server default 5000 when absent).
    #[serde(
        rename = "X-BAPI-RECV-WINDOW",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recv_window: Option<String>,
    /// Broker id (optional).
    #[serde(rename = "Referer", default, skip_serializing_if = "Option::is_none")]
    pub referer: Option<String>,
}

impl TradeHeader {
    /// A header for a request made at `timestamp_ms`, valid for `recv_window_ms`.
    pub fn new(timestamp_ms: u64, recv_window_ms: u64) -> Self {
        Self {
            timestamp: timestamp_ms.to_string(),
            recv_window: Some(recv_window_ms.to_string()),
            referer: None,
        }
    }

    /// The timestamp, if it is a plain integer.
    pub fn timestamp_ms(&self) -> Option<u64> {
        self.timestamp.trim().parse().ok()
    }

    /// The receive window, Bybit's default when absent; `None` if it is not a plain integer.
    pub fn recv_window_ms(&self) -> Option<u64> {
        match &self.recv_window {
            None => Some(crate::headers::DEFAULT_RECV_WINDOW_MS),
            Some(w) => w.trim().parse().ok(),
        }
    }
}

/// One order-entry request. `A` is the REST body of the op: [`PlaceOrder`], [`AmendOrder`],
/// [`CancelOrder`] (with `category` set) or a [`BatchRequest`] of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeRequest<A> {
    /// Id echoed in the reply (<= 36 characters, unique per connection; a repeat is refused
    /// with 20006). Omitted, the reply carries none and cannot be matched: always set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req_id: Option<String>,
    /// Timestamp and receive window.
    pub header: TradeHeader,
    /// One of the `OP_*` constants of [`crate::ws::trade`].
    pub op: String,
    /// Exactly one element.
    pub args: Vec<A>,
}

impl<A> TradeRequest<A> {
    fn new(req_id: String, header: TradeHeader, op: &str, arg: A) -> Self {
        Self {
            req_id: Some(req_id),
            header,
            op: op.to_owned(),
            args: vec![arg],
        }
    }

    /// The one argument; `None` if the request did not carry exactly one.
    pub fn arg(&self) -> Option<&A> {
        match self.args.as_slice() {
            [a] => Some(a),
            _ => None,
        }
    }
}

impl<A: Serialize> TradeRequest<A> {
    /// The JSON text to send.
    pub fn to_json(&self) -> String {
        crate::ws::message::to_json(self)
    }
}

impl TradeRequest<PlaceOrder> {
    /// `order.create` (`order.category` must be set).
    pub fn create(req_id: String, header: TradeHeader, order: PlaceOrder) -> Self {
        Self::new(req_id, header, OP_CREATE, order)
    }
}

impl TradeRequest<AmendOrder> {
    /// `order.amend` (`amend.category` must be set).
    pub fn amend(req_id: String, header: TradeHeader, amend: AmendOrder) -> Self {
        Self::new(req_id, header, OP_AMEND, amend)
    }
}

impl TradeRequest<CancelOrder> {
    /// `order.cancel` (`cancel.category` must be set).
    pub fn cancel(req_id: String, header: TradeHeader, cancel: CancelOrder) -> Self {
        Self::new(req_id, header, OP_CANCEL, cancel)
    }
}

impl TradeRequest<BatchRequest<PlaceOrder>> {
    /// `order.create-batch`.
    pub fn create_batch(
        req_id: String,
        header: TradeHeader,
        batch: BatchRequest<PlaceOrder>,
    ) -> Self {
        Self::new(req_id, header, OP_CREATE_BATCH, batch)
    }
}

impl TradeRequest<BatchRequest<AmendOrder>> {
    /// `order.amend-batch`.
    pub fn amend_batch(
        req_id: String,
        header: TradeHeader,
        batch: BatchRequest<AmendOrder>,
    ) -> Self {
        Self::new(req_id, header, OP_AMEND_BATCH, batch)
    }
}

impl TradeRequest<BatchRequest<CancelOrder>> {
    /// `order.cancel-batch`.
    pub fn cancel_batch(
        req_id: String,
        header: TradeHeader,
        batch: BatchRequest<CancelOrder>,
    ) -> Self {
        Self::new(req_id, header, OP_CANCEL_BATCH, batch)
    }
}

/// One request received on the trade stream (what the simulator dispatches on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TradeCall {
    /// `auth`.
    Auth(AuthRequest),
    /// `ping`.
    Ping(OpRequest),
    /// `order.create`.
    Create(TradeRequest<PlaceOrder>),
    /// `order.amend`.
    Amend(TradeRequest<AmendOrder>),
    /// `order.cancel`.
    Cancel(TradeRequest<CancelOrder>),
    /// `order.create-batch`.
    CreateBatch(TradeRequest<BatchRequest<PlaceOrder>>),
    /// `order.amend-batch`.
    AmendBatch(TradeRequest<BatchRequest<AmendOrder>>),
    /// `order.cancel-batch`.
    CancelBatch(TradeRequest<BatchRequest<CancelOrder>>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    op: Option<String>,
    req_id: Option<String>,
}

/// Why a trade request was refused before reaching the matching engine; the simulator answers
/// with `ret_code` (Bybit's parameter error 10001, or 10404 for an unknown op).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct TradeCallError {
    /// The request's `reqId`, if it could be read, so the refusal can be matched.
    pub req_id: Option<String>,
    /// The op, if it could be read.
    pub op: Option<String>,
    /// Bybit's code for this refusal.
    pub ret_code: i64,
    /// What was wrong.
    pub error: WsError,
}

impl TradeCall {
    /// Parses one text frame. An order op must carry exactly one argument.
    pub fn parse(text: &str) -> Result<Self, TradeCallError> {
        let probe: Probe = serde_json::from_str(text).map_err(|e| TradeCallError {
            req_id: None,
            op: None,
            ret_code: crate::retcode::PARAMS_ERROR,
            error: WsError::Json(e.to_string()),
        })?;
        let fail = |ret_code, error| TradeCallError {
            req_id: probe.req_id.clone(),
            op: probe.op.clone(),
            ret_code,
            error,
        };
        let params = |e: WsError| fail(crate::retcode::PARAMS_ERROR, e);
        fn one<A: DeserializeOwned>(text: &str) -> Result<TradeRequest<A>, WsError> {
            let r: TradeRequest<A> =
                serde_json::from_str(text).map_err(|e| WsError::Json(e.to_string()))?;
            match r.args.len() {
                1 => Ok(r),
                n => Err(WsError::Json(format!("args holds {n} requests, not 1"))),
            }
        }
        let json = |e: serde_json::Error| params(WsError::Json(e.to_string()));
        match probe.op.as_deref() {
            Some(OP_AUTH) => serde_json::from_str(text)
                .map(TradeCall::Auth)
                .map_err(json),
            Some(OP_PING) => serde_json::from_str(text)
                .map(TradeCall::Ping)
                .map_err(json),
            Some(OP_CREATE) => one(text).map(TradeCall::Create).map_err(params),
            Some(OP_AMEND) => one(text).map(TradeCall::Amend).map_err(params),
            Some(OP_CANCEL) => one(text).map(TradeCall::Cancel).map_err(params),
            Some(OP_CREATE_BATCH) => one(text).map(TradeCall::CreateBatch).map_err(params),
            Some(OP_AMEND_BATCH) => one(text).map(TradeCall::AmendBatch).map_err(params),
            Some(OP_CANCEL_BATCH) => one(text).map(TradeCall::CancelBatch).map_err(params),
            Some(other) => Err(fail(
                crate::retcode::BAD_OP,
                WsError::UnknownOp(other.to_owned()),
            )),
            None => Err(params(WsError::NotAMessage)),
        }
    }

    /// The `reqId` of an order op.
    pub fn req_id(&self) -> Option<&str> {
        match self {
            TradeCall::Auth(_) | TradeCall::Ping(_) => None,
            TradeCall::Create(r) => r.req_id.as_deref(),
            TradeCall::Amend(r) => r.req_id.as_deref(),
            TradeCall::Cancel(r) => r.req_id.as_deref(),
            TradeCall::CreateBatch(r) => r.req_id.as_deref(),
            TradeCall::AmendBatch(r) => r.req_id.as_deref(),
            TradeCall::CancelBatch(r) => r.req_id.as_deref(),
        }
    }

    /// The JSON text of this request.
    pub fn to_json(&self) -> String {
        crate::ws::message::to_json(self)
    }
}
