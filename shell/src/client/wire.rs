//! Core's requests as Bybit v5 wire types (mm-bybit), 1:1: the symbols and
//! orderLinkIds core carries as numbers are written here, from the
//! session's `WireNames`.

use mm_bybit::{OrderType, TimeInForce};
use mm_core::effect::{AmendOrder, CancelOrder, NewOrder};
use mm_core::{Category, RequestKind, Side, WireNames};

pub(super) fn status_name(s: mm_bybit::OrderStatus) -> String {
    // The wire spelling is the variant name (serde); `Other` stands for any
    // value this build does not know.
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "Other".to_string())
}

pub fn wire_category(c: Category) -> mm_bybit::Category {
    match c {
        Category::Linear => mm_bybit::Category::Linear,
        Category::Inverse => mm_bybit::Category::Inverse,
        Category::Spot => mm_bybit::Category::Spot,
        Category::Option => mm_bybit::Category::Option,
    }
}

fn wire_side(s: Side) -> mm_bybit::Side {
    match s {
        Side::Buy => mm_bybit::Side::Buy,
        Side::Sell => mm_bybit::Side::Sell,
    }
}

pub(super) fn place(
    o: &NewOrder,
    category: Option<Category>,
    names: &WireNames,
) -> mm_bybit::PlaceOrder {
    mm_bybit::PlaceOrder {
        category: category.map(wire_category),
        symbol: names.symbol(o.symbol).to_string(),
        side: wire_side(o.side),
        order_type: OrderType::Limit,
        qty: o.qty.to_string(),
        price: Some(o.price.to_string()),
        time_in_force: Some(if o.post_only {
            TimeInForce::PostOnly
        } else {
            TimeInForce::Gtc
        }),
        order_link_id: Some(names.link(&o.order_link_id)),
        position_idx: None,
    }
}

pub(super) fn amend(
    o: &AmendOrder,
    category: Option<Category>,
    names: &WireNames,
) -> mm_bybit::AmendOrder {
    mm_bybit::AmendOrder {
        category: category.map(wire_category),
        symbol: names.symbol(o.symbol).to_string(),
        order_id: None,
        order_link_id: Some(names.link(&o.order_link_id)),
        qty: o.qty.map(|q| q.to_string()),
        price: o.price.map(|p| p.to_string()),
    }
}

pub(super) fn cancel(
    o: &CancelOrder,
    category: Option<Category>,
    names: &WireNames,
) -> mm_bybit::CancelOrder {
    mm_bybit::CancelOrder {
        category: category.map(wire_category),
        symbol: names.symbol(o.symbol).to_string(),
        order_id: None,
        order_link_id: Some(names.link(&o.order_link_id)),
    }
}

/// HTTP method of a request (metric label `verb`).
pub fn verb(kind: &RequestKind) -> &'static str {
    match kind {
        RequestKind::OpenOrders { .. }
        | RequestKind::ExecutionList { .. }
        | RequestKind::PositionList { .. } => "GET",
        _ => "POST",
    }
}
