//! Everything that enters the engine. Each variant carries the shell's clock
//! reading and nothing else from the outside world; the journal records these
//! verbatim, so they are the whole truth of a session.

use serde::{Deserialize, Serialize};

use crate::config::Config;
pub use crate::domain::RequestId;
use crate::time::Timestamp;

mod stream;
mod wire_str;
pub use self::stream::{Execution, Listing, ListingRows, OrderUpdate, Position, Stream};
pub use self::wire_str::WireStr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// Fresh market data: top of book per symbol, as the exchange sent it.
    Tick {
        now_ms: Timestamp,
        books: Vec<BookTop>,
    },
    /// What came back for a request core sent.
    Response {
        now_ms: Timestamp,
        request_id: RequestId,
        outcome: Outcome,
    },
    /// A deadline core asked for (`Engine::poll_timeout`) has passed.
    Wake { now_ms: Timestamp },
    /// A new, already-parsed config; applied at the next tick boundary.
    /// Boxed: a config is several times the size of any other input, and
    /// every input of a decoded journal is as large as the largest.
    ConfigChanged {
        now_ms: Timestamp,
        #[serde(with = "crate::config::as_toml_boxed")]
        config: Box<Config>,
    },
    /// Stop quoting, cancel everything, confirm nothing is open, then `Stopped`.
    Shutdown { now_ms: Timestamp },
    // New variants go at the end: the journal encodes the variant's index.
    /// One push of the private `order` topic (its `data` items, in order).
    OrderUpdates {
        now_ms: Timestamp,
        orders: Vec<OrderUpdate>,
    },
    /// One push of the private `execution` (or `execution.fast`) topic.
    Executions {
        now_ms: Timestamp,
        executions: Vec<Execution>,
    },
    /// One push of the private `position` topic.
    Positions {
        now_ms: Timestamp,
        positions: Vec<Position>,
    },
    /// A stream connected (authenticated and subscribed: `up`) or was lost.
    /// The shell sends `up` after every (re)connect, `!up` when it notices
    /// the connection is gone.
    StreamState {
        now_ms: Timestamp,
        stream: Stream,
        up: bool,
    },
    /// Desired quotes for one symbol from the user's own strategy (used with
    /// `quoting.source = "external"`): core validates the set against the
    /// instrument and, when it is accepted, quotes it from the next tick on.
    Quotes { now_ms: Timestamp, set: QuoteSet },
}

impl Input {
    pub fn now_ms(&self) -> Timestamp {
        match self {
            Input::Tick { now_ms, .. }
            | Input::Response { now_ms, .. }
            | Input::Wake { now_ms }
            | Input::ConfigChanged { now_ms, .. }
            | Input::Shutdown { now_ms }
            | Input::OrderUpdates { now_ms, .. }
            | Input::Executions { now_ms, .. }
            | Input::Positions { now_ms, .. }
            | Input::StreamState { now_ms, .. }
            | Input::Quotes { now_ms, .. } => *now_ms,
        }
    }

    /// The variant, as log lines name it.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Input::Tick { .. } => "tick",
            Input::Response { .. } => "response",
            Input::Wake { .. } => "wake",
            Input::ConfigChanged { .. } => "config change",
            Input::Shutdown { .. } => "shutdown",
            Input::OrderUpdates { .. } => "order update",
            Input::Executions { .. } => "executions",
            Input::Positions { .. } => "positions",
            Input::StreamState { .. } => "stream state",
            Input::Quotes { .. } => "quotes",
        }
    }
}

/// Best bid and ask of one symbol as decimal strings straight off the wire
/// (Bybit's `bid1Price` / `ask1Price`); core parses them onto the instrument
/// grid, so a malformed price is core's decision to make, not the shell's.
/// `received_ms` is the shell's clock when the market data arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookTop {
    pub symbol: WireStr,
    pub bid: WireStr,
    pub ask: WireStr,
    pub received_ms: Timestamp,
}

/// One symbol's desired quotes, as the client sent them: prices and sizes
/// are decimal strings, so a price off the grid is core's decision (and the
/// journal keeps exactly what arrived). Level `i` of a side is `bids[i]` /
/// `asks[i]`, best first; an empty side quotes nothing on that side.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QuoteSet {
    pub symbol: WireStr,
    pub bids: Vec<QuoteLevel>,
    pub asks: Vec<QuoteLevel>,
}

/// One level of a `QuoteSet`: price and size as decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QuoteLevel {
    pub price: WireStr,
    pub qty: WireStr,
}

/// How a request ended, as the shell observed it. The shell does not judge:
/// it passes the wire reply through and core classifies every order in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// HTTP 200 with a body that parsed as a Bybit envelope.
    Reply(Reply),
    /// No reply within `exchange.request_timeout_ms`: the request may or may not have been applied.
    Timeout,
    /// Connection refused, reset, TLS failure...: may or may not have been applied.
    Transport(String),
    /// A non-200 HTTP status (5xx, 403 IP limit, 429, 401...).
    HttpStatus(u16),
    /// HTTP 200 but the body did not parse; the text names what was wrong.
    Malformed(String),
    // New variants go at the end: the journal encodes the variant's index.
    /// HTTP 200, retCode 0, for an execution or position listing.
    Listing(Listing),
}

/// A parsed Bybit v5 reply, kept close to the wire.
///
/// For batch endpoints `acks[i]` is `result.list[i]` and `codes[i]` is
/// `retExtInfo.list[i]` (the exchange aligns them by index with the request;
/// core checks the lengths). For single-order endpoints `acks` holds the one
/// `result` (empty ids on failure) and `codes` is empty: the top-level
/// `ret_code` is the order's code. For cancel-all, `acks` is `result.list`.
/// For open-orders queries, `orders` and `next_cursor` are filled.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reply {
    pub ret_code: i64,
    pub ret_msg: WireStr,
    pub acks: Vec<Ack>,
    pub codes: Vec<ItemCode>,
    pub orders: Vec<ExchangeOrder>,
    pub next_cursor: Option<String>,
    /// From `X-Bapi-Limit`, `X-Bapi-Limit-Status`, `X-Bapi-Limit-Reset-Timestamp`, when sent.
    pub rate_limit: Option<RateLimitStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ack {
    pub order_id: WireStr,
    pub order_link_id: WireStr,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ItemCode {
    pub code: i64,
    pub msg: WireStr,
}

/// One order as `GET /v5/order/realtime` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExchangeOrder {
    pub order_id: WireStr,
    pub order_link_id: WireStr,
    pub symbol: WireStr,
    /// "Buy" / "Sell" as on the wire.
    pub side: WireStr,
    pub price: WireStr,
    pub qty: WireStr,
    pub leaves_qty: WireStr,
    /// `orderStatus`: New, PartiallyFilled, Filled, Cancelled, Rejected, ...
    pub status: WireStr,
    pub reject_reason: WireStr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RateLimitStatus {
    pub limit: u32,
    pub remaining: u32,
    pub reset_ms: Timestamp,
}
