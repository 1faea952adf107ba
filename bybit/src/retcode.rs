//! Bybit v5 `retCode` values that order management cares about (docs: v5/error).
//!
//! The same numbers appear top-level (`retCode`) and per batch item (`retExtInfo.list[i].code`).

/// Success. In a batch this only means the batch was accepted: check every item's code.
pub const OK: i64 = 0;
/// Request expired (legacy code); resend with a fresh timestamp.
pub const REQUEST_EXPIRED_LEGACY: i64 = -1;
/// Trading service under high load (also HTTP 429); back off and retry.
pub const SYSTEM_BUSY: i64 = 429;
/// Server timeout: the order's state is unknown, reconcile.
pub const SERVER_TIMEOUT: i64 = 10000;
/// Request parameter error; the message says which (e.g. "qty err").
pub const PARAMS_ERROR: i64 = 10001;
/// Timestamp outside `server_time - recv_window <= ts < server_time + 1000`.
pub const REQUEST_EXPIRED: i64 = 10002;
/// API key invalid, or key used on the wrong environment (mainnet/testnet/demo).
pub const INVALID_API_KEY: i64 = 10003;
/// Signature error.
pub const SIGN_ERROR: i64 = 10004;
/// The key lacks the permission.
pub const PERMISSION_DENIED: i64 = 10005;
/// Too many visits: the per-UID per-endpoint rate limit was hit.
pub const TOO_MANY_VISITS: i64 = 10006;
/// User authentication failed.
pub const AUTH_FAILED: i64 = 10007;
/// IP not in the key's whitelist.
pub const IP_NOT_WHITELISTED: i64 = 10010;
/// Invalid duplicate request.
pub const DUPLICATE_REQUEST: i64 = 10014;
/// Server error: the order's state is unknown, reconcile.
pub const SERVER_ERROR: i64 = 10016;
/// Route not found.
pub const ROUTE_NOT_FOUND: i64 = 10017;
/// Order does not exist (already filled/cancelled, or never created).
pub const ORDER_NOT_EXISTS: i64 = 110001;
/// Order price outside the allowed range.
pub const PRICE_OUT_OF_RANGE: i64 = 110003;
/// Wallet balance insufficient.
pub const WALLET_BALANCE_INSUFFICIENT: i64 = 110004;
/// Available balance insufficient.
pub const AVAILABLE_BALANCE_INSUFFICIENT: i64 = 110007;
/// Order already completed or cancelled.
pub const ORDER_COMPLETED_OR_CANCELLED: i64 = 110008;
/// Order has been cancelled.
pub const ORDER_CANCELLED: i64 = 110010;
/// More than 500 active orders per symbol.
pub const TOO_MANY_ACTIVE_ORDERS: i64 = 110020;
/// orderLinkId is a duplicate (derivatives): the id was used before, by any order, ever.
pub const ORDER_LINK_ID_DUPLICATE: i64 = 110072;
/// Order is being processed; retry the amend/cancel later.
pub const ORDER_BEING_PROCESSED: i64 = 110079;
/// Spot: order does not exist (the spot analogue of [`ORDER_NOT_EXISTS`]).
pub const SPOT_ORDER_NOT_EXISTS: i64 = 170213;
/// Spot: duplicate client order id (the spot analogue of [`ORDER_LINK_ID_DUPLICATE`]).
pub const SPOT_DUPLICATE_CLIENT_ID: i64 = 170141;
/// Spot: too many requests in this time frame.
pub const SPOT_TOO_MANY_REQUESTS: i64 = 170222;

/// The `retMsg` Bybit sends with [`TOO_MANY_VISITS`].
pub const TOO_MANY_VISITS_MSG: &str = "Too many visits!";

/// True for "the order is not there" answers to a cancel/amend (derivatives or spot).
pub fn is_order_not_exists(code: i64) -> bool {
    matches!(code, ORDER_NOT_EXISTS | SPOT_ORDER_NOT_EXISTS)
}

/// True for "that orderLinkId was already used" answers to a create (derivatives or spot).
pub fn is_duplicate_link_id(code: i64) -> bool {
    matches!(code, ORDER_LINK_ID_DUPLICATE | SPOT_DUPLICATE_CLIENT_ID)
}
