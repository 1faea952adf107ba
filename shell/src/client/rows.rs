//! The private stream's items and the resync listings' rows as core's
//! input types: the wire's strings passed through as sent, enums in their
//! wire spelling, a field the message lacks as `""`. One mapping for both
//! sources, so a fill reads the same whether it was pushed or listed.

use mm_bybit::ws::{self, PositionSide};
use mm_core::input::{Execution, OrderUpdate, Position};

use super::wire::status_name;

/// One item of an `order` push.
pub fn order_update(o: ws::OrderUpdate) -> OrderUpdate {
    OrderUpdate {
        symbol: o.symbol.into(),
        order_id: o.order_id.into(),
        order_link_id: o.order_link_id.into(),
        side: o.side.as_str().into(),
        price: o.price.into(),
        qty: o.qty.into(),
        leaves_qty: o.leaves_qty.into(),
        cum_exec_qty: o.cum_exec_qty.into(),
        avg_price: o.avg_price.into(),
        status: status_name(o.order_status).into(),
        cancel_type: o.cancel_type.into(),
        reject_reason: o.reject_reason.into(),
        updated_time: o.updated_time.into(),
    }
}

/// One fill: an item of an `execution` push or a `/v5/execution/list` row.
pub fn execution(e: ws::Execution) -> Execution {
    Execution {
        exec_type: e.exec_type.map(exec_type_name).unwrap_or_default().into(),
        symbol: e.symbol.into(),
        order_id: e.order_id.into(),
        order_link_id: e.order_link_id.into(),
        side: e.side.as_str().into(),
        exec_id: e.exec_id.into(),
        exec_price: e.exec_price.into(),
        exec_qty: e.exec_qty.into(),
        leaves_qty: e.leaves_qty.unwrap_or_default().into(),
        exec_time: e.exec_time.into(),
        is_maker: e.is_maker,
        seq: e.seq,
    }
}

/// One position: an item of a `position` push or a `/v5/position/list` row.
pub fn position(p: ws::PositionUpdate) -> Position {
    Position {
        symbol: p.symbol.into(),
        side: match p.side {
            PositionSide::Buy => "Buy",
            PositionSide::Sell => "Sell",
            PositionSide::Flat => "",
        }
        .to_string()
        .into(),
        size: p.size.into(),
        position_idx: p.position_idx,
        seq: p.seq,
        updated_time: p.updated_time.into(),
    }
}

/// `execType` as the wire spells it (`Other`: a value this build does not
/// know; core ignores every type but `Trade` anyway).
fn exec_type_name(t: ws::ExecType) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "Other".to_string())
}
