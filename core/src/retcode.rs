//! The Bybit v5 `retCode` values core's decisions read, by name. The names
//! and values are those of `mm-bybit`'s `retcode` module (core depends on
//! no crate of ours; `testkit/tests/retcodes.rs` holds the two together).
//! The same numbers come top-level (`retCode`) and per batch item.

/// Success (for a batch: accepted; each item has its own code).
pub const OK: i64 = 0;
/// Trading service under high load: nothing applied, retry later.
pub const SYSTEM_BUSY: i64 = 429;
/// Server timeout: the order's state is unknown.
pub const SERVER_TIMEOUT: i64 = 10000;
/// Invalid API key.
pub const INVALID_API_KEY: i64 = 10003;
/// Signature refused (wrong API secret).
pub const SIGN_ERROR: i64 = 10004;
/// The API key lacks a permission the request needs.
pub const PERMISSION_DENIED: i64 = 10005;
/// Rate limited: refused before processing, nothing applied.
pub const TOO_MANY_VISITS: i64 = 10006;
/// Internal server error: the order's state is unknown.
pub const SERVER_ERROR: i64 = 10016;
/// The API key has expired.
pub const API_KEY_EXPIRED: i64 = 33004;
/// The order does not exist (never did, or is no longer open).
pub const ORDER_NOT_EXISTS: i64 = 110_001;
/// The order is already filled or cancelled.
pub const ORDER_COMPLETED_OR_CANCELLED: i64 = 110_008;
/// The order is already cancelled.
pub const ORDER_CANCELLED: i64 = 110_010;
/// An order with this orderLinkId already exists.
pub const ORDER_LINK_ID_DUPLICATE: i64 = 110_072;
/// Spot: the order does not exist.
pub const SPOT_ORDER_NOT_EXISTS: i64 = 170_213;
/// Spot: duplicate client order id (orderLinkId).
pub const SPOT_DUPLICATE_CLIENT_ID: i64 = 170_141;

/// Every code above, by name (for the check against `mm-bybit`).
pub const ALL: &[(&str, i64)] = &[
    ("OK", OK),
    ("SYSTEM_BUSY", SYSTEM_BUSY),
    ("SERVER_TIMEOUT", SERVER_TIMEOUT),
    ("INVALID_API_KEY", INVALID_API_KEY),
    ("SIGN_ERROR", SIGN_ERROR),
    ("PERMISSION_DENIED", PERMISSION_DENIED),
    ("TOO_MANY_VISITS", TOO_MANY_VISITS),
    ("SERVER_ERROR", SERVER_ERROR),
    ("API_KEY_EXPIRED", API_KEY_EXPIRED),
    ("ORDER_NOT_EXISTS", ORDER_NOT_EXISTS),
    ("ORDER_COMPLETED_OR_CANCELLED", ORDER_COMPLETED_OR_CANCELLED),
    ("ORDER_CANCELLED", ORDER_CANCELLED),
    ("ORDER_LINK_ID_DUPLICATE", ORDER_LINK_ID_DUPLICATE),
    ("SPOT_ORDER_NOT_EXISTS", SPOT_ORDER_NOT_EXISTS),
    ("SPOT_DUPLICATE_CLIENT_ID", SPOT_DUPLICATE_CLIENT_ID),
];
