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
        symbol: o.symbol,
        order_id: o.order_id,
        order_link_id: o.order_link_id,
        side: o.side.as_str().to_string(),
        price: o.price,
        qty: o.qty,
        leaves_qty: o.leaves_qty,
        cum_exec_qty: o.cum_exec_qty,
        avg_price: o.avg_price,
        status: status_name(o.order_status),
        cancel_type: o.cancel_type,
        reject_reason: o.reject_reason,
        updated_time: o.updated_time,
    }
}

/// One fill: an item of an `execution` push or a `/v5/execution/list` row.
pub fn execution(e: ws::Execution) -> Execution {
    Execution {
        exec_type: e.exec_type.map(exec_type_name).unwrap_or_default(),
        symbol: e.symbol,
        order_id: e.order_id,
        order_link_id: e.order_link_id,
        side: e.side.as_str().to_string(),
        exec_id: e.exec_id,
        exec_price: e.exec_price,
        exec_qty: e.exec_qty,
        leaves_qty: e.leaves_qty.unwrap_or_default(),
        exec_time: e.exec_time,
        is_maker: e.is_maker,
        seq: e.seq,
    }
}

/// One position: an item of a `position` push or a `/v5/position/list` row.
pub fn position(p: ws::PositionUpdate) -> Position {
    Position {
        symbol: p.symbol,
        side: match p.side {
            PositionSide::Buy => "Buy",
            PositionSide::Sell => "Sell",
            PositionSide::Flat => "",
        }
        .to_string(),
        size: p.size,
        position_idx: p.position_idx,
        seq: p.seq,
        updated_time: p.updated_time,
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
