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
