//! Input lines for what the private stream pushes and for resync listings:
//! the head, then one line per order update, execution or position. Exchange
//! times are shown as they came (ms strings), so nothing here reads a clock.

use std::fmt::Write;

use mm_core::input::{Execution, Listing, ListingRows, OrderUpdate, Position};

use super::text::{oneline, quoted, quoted_if_odd, rel};

pub(super) fn order_updates(orders: &[OrderUpdate]) -> (String, Vec<String>) {
    let details = orders
        .iter()
        .map(|u| {
            let mut s = format!(
                "{} {} {} {} x {} leaves {} filled {} avg {} {}",
                link(&u.order_link_id),
                oneline(&u.symbol),
                oneline(&u.side),
                quoted_if_odd(&u.price),
                quoted_if_odd(&u.qty),
                quoted_if_odd(&u.leaves_qty),
                quoted_if_odd(&u.cum_exec_qty),
                quoted_if_odd(&u.avg_price),
                oneline(&u.status),
            );
            if !u.cancel_type.is_empty() && u.cancel_type != "UNKNOWN" {
                let _ = write!(s, " cancel {}", quoted(&u.cancel_type));
            }
            if !u.reject_reason.is_empty() && u.reject_reason != "EC_NoError" {
                let _ = write!(s, " reason {}", quoted(&u.reject_reason));
            }
            let _ = write!(
                s,
                " id {} at {}",
                quoted(&u.order_id),
                quoted(&u.updated_time)
            );
            s
        })
        .collect();
    (format!("order updates {}", orders.len()), details)
}

fn link(l: &str) -> String {
    if l.is_empty() {
        "(no link)".to_string()
    } else {
        oneline(l)
    }
}

pub(super) fn executions(executions: &[Execution]) -> (String, Vec<String>) {
    let details = executions.iter().map(execution).collect();
    (format!("executions {}", executions.len()), details)
}

fn execution(x: &Execution) -> String {
    let mut s = format!(
        "{} {} {} {} @ {} leaves {} exec {} seq {} at {}",
        link(&x.order_link_id),
        oneline(&x.symbol),
        oneline(&x.side),
        quoted_if_odd(&x.exec_qty),
        quoted_if_odd(&x.exec_price),
        quoted_if_odd(&x.leaves_qty),
        quoted(&x.exec_id),
        x.seq,
        quoted(&x.exec_time),
    );
    if !x.exec_type.is_empty() && x.exec_type != "Trade" {
        let _ = write!(s, " type {}", quoted(&x.exec_type));
    }
    if x.order_link_id.is_empty() {
        let _ = write!(s, " id {}", quoted(&x.order_id));
    }
    if x.is_maker {
        s.push_str(" maker");
    }
    s
}

pub(super) fn positions(positions: &[Position]) -> (String, Vec<String>) {
    let details = positions.iter().map(position).collect();
    (format!("positions {}", positions.len()), details)
}

fn position(p: &Position) -> String {
    let mut s = format!(
        "{} {} {} seq {} at {}",
        oneline(&p.symbol),
        quoted(&p.side),
        quoted_if_odd(&p.size),
        p.seq,
        quoted(&p.updated_time)
    );
    if p.position_idx != 0 {
        let _ = write!(s, " idx {}", p.position_idx);
    }
    s
}

/// A listing reply: `reply r{id} executions n` / `positions n`, its cursor and
/// rate-limit headers, then its rows.
pub(super) fn listing(id: u64, l: &Listing, t0: mm_core::Timestamp) -> (String, Vec<String>) {
    let (mut head, details) = match &l.rows {
        ListingRows::Executions(xs) => (
            format!("reply r{id} executions {}", xs.len()),
            xs.iter().map(execution).collect(),
        ),
        ListingRows::Positions(ps) => (
            format!("reply r{id} positions {}", ps.len()),
            ps.iter().map(position).collect(),
        ),
    };
    if let Some(c) = &l.next_cursor {
        let _ = write!(head, " next_cursor {}", quoted(c));
    }
    if let Some(rl) = &l.rate_limit {
        let _ = write!(
            head,
            "; limit {} left {} reset {}",
            rl.limit,
            rl.remaining,
            rel(rl.reset_ms, t0)
        );
    }
    (head, details)
}
