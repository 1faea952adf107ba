//! mm-bybit: the Bybit v5 wire (REST, and WebSocket in [`ws`]), shared by the trading client
//! (mm-shell) and the simulator (mm-sim) so the two cannot drift.
//!
//! Pure: serde types for requests and replies, request signing, endpoint paths, header names and
//! retCodes. No I/O, no clock, no async; callers pass timestamps in.
//!
//! Wire conventions: field names are Bybit's camelCase; numbers (prices, quantities, times) are
//! decimal strings; a batch reply has `result.list[i]` and `retExtInfo.list[i]` aligned by index,
//! and a top-level `retCode` 0 only means the batch was accepted: judge every item.
//!
//! The WebSocket streams (public, private, order entry) are in [`ws`].

pub mod enums;
pub mod headers;
pub mod instrument;
pub mod market;
pub mod open_order;
pub mod paths;
pub mod query;
pub mod request;
pub mod response;
pub mod retcode;
pub mod sign;
pub mod ws;

pub use enums::{Category, OrderStatus, OrderType, Side, TimeInForce};
pub use headers::RateLimitStatus;
pub use instrument::{
    Instrument, InstrumentsResult, LeverageFilter, LotSizeFilter, PriceFilter, RiskParameters,
};
pub use market::{ServerTime, Ticker, TickersResult};
pub use query::{MarketQuery, OpenOrdersQuery, QueryError};
pub use request::{AmendOrder, BatchRequest, CancelAll, CancelOrder, PlaceOrder};
pub use response::{
    BatchCreateItem, BatchItem, CancelAllResult, ItemStatus, ListResult, OpenOrder,
    OpenOrdersResult, OrderAck, Response, RetExtInfo,
};
pub use sign::{sign, sign_raw, verify, verify_raw};
