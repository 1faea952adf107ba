//! Endpoint paths of the Bybit v5 REST API that mm-batch uses.
//!
//! One constant per endpoint so the client and the simulator route on the same strings.

/// `POST` place one order.
pub const CREATE: &str = "/v5/order/create";
/// `POST` amend one order.
pub const AMEND: &str = "/v5/order/amend";
/// `POST` cancel one order.
pub const CANCEL: &str = "/v5/order/cancel";
/// `POST` place up to [`crate::Category::batch_limit`] orders.
pub const CREATE_BATCH: &str = "/v5/order/create-batch";
/// `POST` amend up to [`crate::Category::batch_limit`] orders.
pub const AMEND_BATCH: &str = "/v5/order/amend-batch";
/// `POST` cancel up to [`crate::Category::batch_limit`] orders.
pub const CANCEL_BATCH: &str = "/v5/order/cancel-batch";
/// `POST` cancel all orders of a category (filtered by symbol / baseCoin / settleCoin).
pub const CANCEL_ALL: &str = "/v5/order/cancel-all";
/// `GET` open (and, with `openOnly=1`, recently closed) orders.
pub const OPEN_ORDERS: &str = "/v5/order/realtime";
/// `GET` public tickers (best bid/ask).
pub const TICKERS: &str = "/v5/market/tickers";
/// `GET` public instrument rules (tick size, qty step, min qty).
pub const INSTRUMENTS: &str = "/v5/market/instruments-info";
/// `GET` public server time.
pub const TIME: &str = "/v5/market/time";

/// Every order-entry path (the ones that change orders), in a fixed order.
pub const ORDER_ENTRY: [&str; 7] = [
    CREATE,
    AMEND,
    CANCEL,
    CREATE_BATCH,
    AMEND_BATCH,
    CANCEL_BATCH,
    CANCEL_ALL,
];

/// True for the public market-data paths, which need no authentication.
pub fn is_public(path: &str) -> bool {
    matches!(path, TICKERS | INSTRUMENTS | TIME)
}
