//! The Bybit v5 WebSocket wire, pure: what the client and the simulator send and receive on the
//! public (`/v5/public/{category}`), private (`/v5/private`) and trade (`/v5/trade`) streams.
//!
//! One job per file:
//! - [`envelope`]: op requests (`subscribe`, `unsubscribe`, `ping`) and their replies in every
//!   dialect, and the two push envelopes (public [`Push`], private [`PrivatePush`]).
//! - [`auth`]: the `auth` request and its signature.
//! - [`topic`]: typed topic names.
//! - [`orderbook`] and [`book`]: `orderbook.{depth}.{symbol}` messages and a [`Book`] that
//!   applies them and reports gaps.
//! - [`ticker`], [`public_trade`]: the other public topics.
//! - [`order`], [`execution`], [`position`], [`wallet`]: the private topics.
//! - [`message`]: classifies one received text frame of a public or private stream.
//! - [`trade`]: order entry over the trade stream.
//!
//! Two reply dialects exist: the public and private streams answer ops with
//! `success`/`ret_msg`/`conn_id` (option streams with `data.successTopics` and
//! `type: "COMMAND_RESP"`), the trade stream with `retCode`/`retMsg`/`connId`. Prices and sizes
//! stay the exchange's decimal strings; nothing here goes through a float.
//!
//! Every type serializes to the shape it parses from, so the simulator can serve what the client
//! reads.

pub mod auth;
pub mod book;
mod decimal;
pub mod envelope;
pub mod execution;
pub mod message;
pub mod order;
pub mod orderbook;
pub mod position;
pub mod public_trade;
pub mod ticker;
pub mod topic;
pub mod trade;
pub mod wallet;

pub use auth::{AuthRequest, auth_signature, verify_auth_signature};
pub use book::{Applied, Book, BookGap};
pub use envelope::{
    CommandData, OP_AUTH, OP_PING, OP_PONG, OP_SUBSCRIBE, OP_UNSUBSCRIBE, OpReply, OpRequest,
    PrivatePush, Push, PushType,
};
pub use execution::{ExecType, Execution};
pub use message::{ClientRequest, StreamMessage, WsError};
pub use order::OrderUpdate;
pub use orderbook::OrderbookData;
pub use position::{PositionSide, PositionUpdate};
pub use public_trade::PublicTrade;
pub use ticker::TickerData;
pub use topic::{Topic, TopicError};
pub use wallet::{Wallet, WalletCoin};

/// Public stream path for a category: `/v5/public/linear` etc.
pub fn public_path(category: crate::Category) -> String {
    format!("/v5/public/{}", category.as_str())
}

/// Private stream path.
pub const PRIVATE_PATH: &str = "/v5/private";
/// Order-entry stream path.
pub const TRADE_PATH: &str = "/v5/trade";
/// How often a client pings (Bybit recommends every 20 s).
pub const PING_INTERVAL_MS: u64 = 20_000;
/// A connection with no ping and no data for this long is closed by Bybit (10 min).
pub const IDLE_TIMEOUT_MS: u64 = 600_000;
