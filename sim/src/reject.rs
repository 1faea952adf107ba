//! The failures an order operation answers with: a retCode and Bybit's message for it.

use mm_bybit::{Category, retcode};

/// A per-request or per-item failure: a retCode and its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("retCode {code}: {msg}")]
pub(crate) struct Reject {
    pub(crate) code: i64,
    pub(crate) msg: String,
}

pub(crate) fn params(msg: impl std::fmt::Display) -> Reject {
    Reject {
        code: retcode::PARAMS_ERROR,
        msg: format!("params error: {msg}"),
    }
}

/// Cancel/amend of an order that is not open (never existed, filled, or cancelled).
pub(crate) fn not_exists(category: Category) -> Reject {
    if category == Category::Spot {
        Reject {
            code: retcode::SPOT_ORDER_NOT_EXISTS,
            msg: "Order does not exist.".into(),
        }
    } else {
        Reject {
            code: retcode::ORDER_NOT_EXISTS,
            msg: "order not exists or too late to cancel".into(),
        }
    }
}

pub(crate) fn duplicate(category: Category) -> Reject {
    if category == Category::Spot {
        Reject {
            code: retcode::SPOT_DUPLICATE_CLIENT_ID,
            msg: "Duplicate clientOrderId.".into(),
        }
    } else {
        Reject {
            code: retcode::ORDER_LINK_ID_DUPLICATE,
            msg: "OrderLinkedID is duplicate".into(),
        }
    }
}

/// A price off the tick grid (or not positive). Spot answers 170134 ("too many decimals"),
/// the derivatives 10001.
pub(crate) fn price_off_grid(category: Category, msg: impl std::fmt::Display) -> Reject {
    spot_or_params(category, retcode::SPOT_PRICE_PRECISION, msg)
}

/// A qty off the qty step: spot 170137, derivatives 10001.
pub(crate) fn qty_off_step(category: Category, msg: impl std::fmt::Display) -> Reject {
    spot_or_params(category, retcode::SPOT_QTY_PRECISION, msg)
}

/// A qty below the instrument's minimum: spot 170136, derivatives 10001.
pub(crate) fn qty_too_low(category: Category, msg: impl std::fmt::Display) -> Reject {
    spot_or_params(category, retcode::SPOT_QTY_TOO_LOW, msg)
}

/// Too many open orders: spot 170810 (500 per account), derivatives 110020 (500 per symbol).
pub(crate) fn too_many_open(category: Category) -> Reject {
    if category == Category::Spot {
        Reject {
            code: retcode::SPOT_TOO_MANY_ORDERS,
            msg: "The maximum number of conditional, TP/SL and active orders is 500".into(),
        }
    } else {
        Reject {
            code: retcode::TOO_MANY_ACTIVE_ORDERS,
            msg: "not allowed to have more than 500 active orders".into(),
        }
    }
}

fn spot_or_params(category: Category, spot: i64, msg: impl std::fmt::Display) -> Reject {
    if category == Category::Spot {
        Reject {
            code: spot,
            msg: msg.to_string(),
        }
    } else {
        params(msg)
    }
}

/// An injected (fault) reject with its code's message.
pub(crate) fn forced(code: i64) -> Reject {
    let msg = match code {
        retcode::PRICE_OUT_OF_RANGE => "Order price is out of permissible range",
        retcode::AVAILABLE_BALANCE_INSUFFICIENT => "ab not enough for new order",
        _ => "rejected",
    };
    Reject {
        code,
        msg: msg.into(),
    }
}
