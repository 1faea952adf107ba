//! Classifies a text frame: what a client receives on a public or private stream
//! ([`StreamMessage`]) and what a server receives from a client ([`ClientRequest`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ws::auth::AuthRequest;
use crate::ws::envelope::{
    OP_AUTH, OP_PING, OP_SUBSCRIBE, OP_UNSUBSCRIBE, OpReply, OpRequest, PrivatePush, Push,
};
use crate::ws::execution::Execution;
use crate::ws::order::OrderUpdate;
use crate::ws::orderbook::OrderbookData;
use crate::ws::position::PositionUpdate;
use crate::ws::public_trade::PublicTrade;
use crate::ws::ticker::TickerData;
use crate::ws::topic::{Topic, TopicError};
use crate::ws::wallet::Wallet;

/// A frame that is not a message this crate knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsError {
    /// Not JSON, or JSON of the wrong shape for its topic or op.
    #[error("malformed message: {0}")]
    Json(String),
    /// A push on a topic this crate does not know.
    #[error(transparent)]
    UnknownTopic(#[from] TopicError),
    /// A request with an op this crate does not know.
    #[error("unknown op {0:?}")]
    UnknownOp(String),
    /// Neither a push (no `topic`) nor an op reply or request (no `op`, `success` or `type`).
    #[error("neither a push nor an op message")]
    NotAMessage,
}

/// One message received on a public or private stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StreamMessage {
    /// A reply to subscribe, unsubscribe, ping or auth.
    Reply(OpReply),
    /// `orderbook.{depth}.{symbol}`.
    Orderbook(Push<OrderbookData>),
    /// `tickers.{symbol}` (boxed: the ticker is by far the largest payload).
    Ticker(Box<Push<TickerData>>),
    /// `publicTrade.{symbol}`.
    PublicTrade(Push<Vec<PublicTrade>>),
    /// `order[.category]`.
    Order(PrivatePush<OrderUpdate>),
    /// `execution[.category]` or `execution.fast[.category]` (the push's topic says which).
    Execution(PrivatePush<Execution>),
    /// `position[.category]`.
    Position(PrivatePush<PositionUpdate>),
    /// `wallet`.
    Wallet(PrivatePush<Wallet>),
}

#[derive(Deserialize)]
struct Probe {
    topic: Option<String>,
    op: Option<String>,
    success: Option<serde_json::Value>,
    #[serde(rename = "type")]
    kind: Option<serde_json::Value>,
}

fn probe(text: &str) -> Result<Probe, WsError> {
    serde_json::from_str(text).map_err(|e| WsError::Json(e.to_string()))
}

fn typed<T: DeserializeOwned>(text: &str) -> Result<T, WsError> {
    serde_json::from_str(text).map_err(|e| WsError::Json(e.to_string()))
}

impl StreamMessage {
    /// Parses one text frame.
    pub fn parse(text: &str) -> Result<Self, WsError> {
        let p = probe(text)?;
        let Some(topic) = p.topic else {
            return if p.op.is_some() || p.success.is_some() || p.kind.is_some() {
                typed(text).map(StreamMessage::Reply)
            } else {
                Err(WsError::NotAMessage)
            };
        };
        Ok(match topic.parse::<Topic>()? {
            Topic::Orderbook { .. } => StreamMessage::Orderbook(typed(text)?),
            Topic::Tickers { .. } => StreamMessage::Ticker(typed(text)?),
            Topic::PublicTrade { .. } => StreamMessage::PublicTrade(typed(text)?),
            Topic::Order(_) => StreamMessage::Order(typed(text)?),
            Topic::Execution(_) | Topic::ExecutionFast(_) => StreamMessage::Execution(typed(text)?),
            Topic::Position(_) => StreamMessage::Position(typed(text)?),
            Topic::Wallet => StreamMessage::Wallet(typed(text)?),
        })
    }

    /// The JSON text of this message (what a server sends).
    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

/// One request a client sends on a public or private stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ClientRequest {
    /// `subscribe`.
    Subscribe(OpRequest),
    /// `unsubscribe`.
    Unsubscribe(OpRequest),
    /// `ping`.
    Ping(OpRequest),
    /// `auth` (private stream).
    Auth(AuthRequest),
}

impl ClientRequest {
    /// Parses one text frame.
    pub fn parse(text: &str) -> Result<Self, WsError> {
        match probe(text)?.op.as_deref() {
            Some(OP_SUBSCRIBE) => typed(text).map(ClientRequest::Subscribe),
            Some(OP_UNSUBSCRIBE) => typed(text).map(ClientRequest::Unsubscribe),
            Some(OP_PING) => typed(text).map(ClientRequest::Ping),
            Some(OP_AUTH) => typed(text).map(ClientRequest::Auth),
            Some(other) => Err(WsError::UnknownOp(other.to_owned())),
            None => Err(WsError::NotAMessage),
        }
    }

    /// The JSON text of this request (what a client sends).
    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

/// Serializes a wire type. These types hold only strings, integers, booleans and string-keyed
/// maps, which serde_json always serializes, so failure here is a bug in this crate.
pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("wire types always serialize")
}
