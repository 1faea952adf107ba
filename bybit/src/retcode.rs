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
/// The API key has expired: renew it (fatal for a session, like 10003).
pub const API_KEY_EXPIRED: i64 = 33004;
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
/// Insufficient available balance (a second code for it; the docs list both).
pub const INSUFFICIENT_AVAILABLE_BALANCE: i64 = 110012;
/// "orderQty will be truncated to zero": qty below the step (wording since 2025-11-13; before
/// that the code meant "reduce-only rule not satisfied").
pub const QTY_TRUNCATED_TO_ZERO: i64 = 110017;
/// Order notional below the instrument's lower limit.
pub const NOTIONAL_TOO_LOW: i64 = 110094;
/// Only Post-Only orders are accepted at this stage (e.g. some listing phases).
pub const ONLY_POST_ONLY_ALLOWED: i64 = 110103;
/// RPI orders are restricted to approved market makers.
pub const RPI_NOT_ALLOWED: i64 = 110119;
/// Order price below the price-limit lower bound.
pub const PRICE_BELOW_LIMIT: i64 = 110120;
/// Order price above the price-limit upper bound.
pub const PRICE_ABOVE_LIMIT: i64 = 110121;
/// Spot: balance insufficient.
pub const SPOT_BALANCE_INSUFFICIENT: i64 = 170131;
/// Spot: order price too high.
pub const SPOT_PRICE_TOO_HIGH: i64 = 170132;
/// Spot: order price below the minimum.
pub const SPOT_PRICE_TOO_LOW: i64 = 170133;
/// Spot: order price has too many decimals.
pub const SPOT_PRICE_PRECISION: i64 = 170134;
/// Spot: order quantity below the minimum.
pub const SPOT_QTY_TOO_LOW: i64 = 170136;
/// Spot: order quantity has too many decimals.
pub const SPOT_QTY_PRECISION: i64 = 170137;
/// Spot: order value below the lower limit.
pub const SPOT_VALUE_TOO_LOW: i64 = 170140;
/// Spot: buy price above the allowed bound.
pub const SPOT_BUY_PRICE_TOO_HIGH: i64 = 170193;
/// Spot: sell price below the allowed bound.
pub const SPOT_SELL_PRICE_TOO_LOW: i64 = 170194;
/// Spot: only LIMIT-MAKER orders are allowed for this pair.
pub const SPOT_ONLY_LIMIT_MAKER: i64 = 170217;
/// Spot: LIMIT-MAKER order rejected for an invalid price.
pub const SPOT_LIMIT_MAKER_INVALID_PRICE: i64 = 170218;
/// Spot: at most 500 conditional + TP/SL + active orders.
pub const SPOT_TOO_MANY_ORDERS: i64 = 170810;
/// Spot: order does not exist (the spot analogue of [`ORDER_NOT_EXISTS`]).
pub const SPOT_ORDER_NOT_EXISTS: i64 = 170213;
/// Spot: duplicate client order id (the spot analogue of [`ORDER_LINK_ID_DUPLICATE`]).
pub const SPOT_DUPLICATE_CLIENT_ID: i64 = 170141;
/// Spot: too many requests in this time frame.
pub const SPOT_TOO_MANY_REQUESTS: i64 = 170222;
/// Trade stream: service restarting; reconnect.
pub const SERVICE_RESTARTING: i64 = 10019;
/// Trade stream: more than 3000 requests a second from this IP.
pub const IP_RATE_LIMIT: i64 = 10403;
/// Trade stream: unknown op or category.
pub const BAD_OP: i64 = 10404;
/// Trade stream: system protection, too many requests.
pub const SYSTEM_PROTECTION: i64 = 10429;
/// Trade stream: `auth` sent on an already authenticated connection.
pub const REPEAT_AUTH: i64 = 20001;
/// Trade stream: requests too frequent on this connection.
pub const CONNECTION_TOO_FREQUENT: i64 = 20003;
/// Trade stream: `reqId` already used on this connection.
pub const DUPLICATE_REQ_ID: i64 = 20006;

/// What a retCode means (our paraphrase of the docs, for logs), `None` for codes this crate
/// does not know.
pub fn meaning(code: i64) -> Option<&'static str> {
    Some(match code {
        OK => "OK",
        REQUEST_EXPIRED_LEGACY => "request expired",
        SYSTEM_BUSY => "trading service under high load, retry",
        SERVER_TIMEOUT => "server timeout (order state unknown)",
        PARAMS_ERROR => "request parameter error",
        REQUEST_EXPIRED => "timestamp outside the recv_window rule",
        INVALID_API_KEY => "API key invalid or used on the wrong environment",
        SIGN_ERROR => "signature error",
        PERMISSION_DENIED => "permission denied",
        TOO_MANY_VISITS => "too many visits (UID rate limit)",
        AUTH_FAILED => "user authentication failed",
        IP_NOT_WHITELISTED => "IP not in the key's whitelist",
        DUPLICATE_REQUEST => "invalid duplicate request",
        SERVER_ERROR => "server error (order state unknown)",
        ROUTE_NOT_FOUND => "route not found",
        API_KEY_EXPIRED => "API key expired",
        ORDER_NOT_EXISTS => "order does not exist",
        PRICE_OUT_OF_RANGE => "order price outside the allowed range",
        WALLET_BALANCE_INSUFFICIENT => "wallet balance insufficient",
        AVAILABLE_BALANCE_INSUFFICIENT => "available balance insufficient",
        ORDER_COMPLETED_OR_CANCELLED => "order already completed or cancelled",
        ORDER_CANCELLED => "order has been cancelled",
        INSUFFICIENT_AVAILABLE_BALANCE => "insufficient available balance",
        QTY_TRUNCATED_TO_ZERO => "orderQty will be truncated to zero",
        TOO_MANY_ACTIVE_ORDERS => "more than 500 active orders",
        ORDER_LINK_ID_DUPLICATE => "orderLinkId is duplicate",
        ORDER_BEING_PROCESSED => "order is being processed, retry later",
        NOTIONAL_TOO_LOW => "order notional below the lower limit",
        ONLY_POST_ONLY_ALLOWED => "only Post-Only orders are available at this stage",
        RPI_NOT_ALLOWED => "RPI orders are restricted to approved market makers",
        PRICE_BELOW_LIMIT => "price below the price-limit bound",
        PRICE_ABOVE_LIMIT => "price above the price-limit bound",
        SPOT_BALANCE_INSUFFICIENT => "spot: balance insufficient",
        SPOT_PRICE_TOO_HIGH => "spot: order price too high",
        SPOT_PRICE_TOO_LOW => "spot: order price below the minimum",
        SPOT_PRICE_PRECISION => "spot: order price has too many decimals",
        SPOT_QTY_TOO_LOW => "spot: order quantity below the minimum",
        SPOT_QTY_PRECISION => "spot: order quantity has too many decimals",
        SPOT_VALUE_TOO_LOW => "spot: order value below the lower limit",
        SPOT_DUPLICATE_CLIENT_ID => "spot: duplicate clientOrderId",
        SPOT_BUY_PRICE_TOO_HIGH => "spot: buy price above the allowed bound",
        SPOT_SELL_PRICE_TOO_LOW => "spot: sell price below the allowed bound",
        SPOT_ORDER_NOT_EXISTS => "spot: order does not exist",
        SPOT_ONLY_LIMIT_MAKER => "spot: only LIMIT-MAKER orders allowed for this pair",
        SPOT_LIMIT_MAKER_INVALID_PRICE => "spot: LIMIT-MAKER order rejected, invalid price",
        SPOT_TOO_MANY_REQUESTS => "spot: too many requests in this time frame",
        SPOT_TOO_MANY_ORDERS => "spot: max 500 conditional + TP/SL + active orders",
        SERVICE_RESTARTING => "trade service restarting, reconnect",
        IP_RATE_LIMIT => "trade stream: IP over 3000 requests/s",
        BAD_OP => "trade stream: unknown op or category",
        SYSTEM_PROTECTION => "trade stream: system protection",
        REPEAT_AUTH => "trade stream: already authenticated",
        CONNECTION_TOO_FREQUENT => "trade stream: requests too frequent on this connection",
        DUPLICATE_REQ_ID => "trade stream: duplicate reqId",
        _ => return None,
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented code we act on has a constant and a meaning.
    #[test]
    fn section_5_codes_are_known() {
        let table = [
            0, -1, 429, 10000, 10001, 10002, 10003, 10004, 10005, 10006, 10007, 10010, 10014,
            10016, 10017, 33004, 110001, 110003, 110004, 110007, 110008, 110010, 110012, 110017,
            110020, 110072, 110079, 110094, 110103, 110119, 110120, 110121, 170213, 170141, 170131,
            170132, 170133, 170134, 170136, 170137, 170140, 170193, 170194, 170217, 170218, 170222,
            170810,
        ];
        for code in table {
            assert!(meaning(code).is_some(), "retCode {code} has no meaning");
        }
        for code in [10019, 10403, 10404, 10429, 20001, 20003, 20006] {
            assert!(
                meaning(code).is_some(),
                "trade-stream retCode {code} has no meaning"
            );
        }
        assert_eq!(meaning(123_456), None);
    }
}
