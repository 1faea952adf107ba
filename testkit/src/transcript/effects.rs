//! Effect lines: a request core sends (and the orders it carries), and a
//! finished tick's statistics.

use std::collections::BTreeMap;
use std::fmt::Write;

use mm_core::GridValue;
use mm_core::effect::{AmendOrder, CancelOrder, NewOrder};
use mm_core::{Request, RequestKind, TickStats, Timestamp, WireNames};

use super::text::{oneline, quoted, quoted_if_odd, rel};

pub(super) fn send(request: &Request, names: &WireNames) -> (String, Vec<String>) {
    let id = request.id.0;
    let ep = request.kind.endpoint().name();
    let batch = |cat: mm_core::Category, n: usize| {
        format!(
            "send r{id} {ep} {} {n} order{}",
            cat.wire(),
            if n == 1 { "" } else { "s" }
        )
    };
    match &request.kind {
        RequestKind::PlaceBatch { category, orders } => (
            batch(*category, orders.len()),
            orders.iter().map(|o| new_order(o, names)).collect(),
        ),
        RequestKind::AmendBatch { category, orders } => (
            batch(*category, orders.len()),
            orders.iter().map(|o| amend_order(o, names)).collect(),
        ),
        RequestKind::CancelBatch { category, orders } => (
            batch(*category, orders.len()),
            orders.iter().map(|o| cancel_order(o, names)).collect(),
        ),
        RequestKind::Place { category, order } => (
            format!(
                "send r{id} {ep} {} {}",
                category.wire(),
                new_order(order, names)
            ),
            vec![],
        ),
        RequestKind::Amend { category, order } => (
            format!(
                "send r{id} {ep} {} {}",
                category.wire(),
                amend_order(order, names)
            ),
            vec![],
        ),
        RequestKind::Cancel { category, order } => (
            format!(
                "send r{id} {ep} {} {}",
                category.wire(),
                cancel_order(order, names)
            ),
            vec![],
        ),
        RequestKind::CancelAll { category, symbol } => (
            format!(
                "send r{id} {ep} {} {}",
                category.wire(),
                oneline(names.symbol(*symbol))
            ),
            vec![],
        ),
        RequestKind::OpenOrders {
            category,
            symbol,
            order_link_id,
            cursor,
            limit,
            open_only,
        } => {
            let mut s = format!(
                "send r{id} {ep} {} {}",
                category.wire(),
                oneline(names.symbol(*symbol))
            );
            if let Some(link) = order_link_id {
                let _ = write!(s, " link {}", oneline(&names.link(link)));
            }
            if let Some(c) = cursor {
                let _ = write!(s, " cursor {}", quoted(c));
            }
            let _ = write!(s, " limit {limit}");
            // Only when set: transcripts recorded before the flag stay as they were.
            if *open_only {
                s.push_str(" closed");
            }
            (s, vec![])
        }
        RequestKind::ExecutionList {
            category,
            symbol,
            start_time,
            cursor,
            limit,
        } => {
            let mut s = format!(
                "send r{id} {ep} {} {}",
                category.wire(),
                oneline(names.symbol(*symbol))
            );
            if let Some(t) = start_time {
                let _ = write!(s, " since {t}");
            }
            if let Some(c) = cursor {
                let _ = write!(s, " cursor {}", quoted(c));
            }
            let _ = write!(s, " limit {limit}");
            (s, vec![])
        }
        RequestKind::PositionList { category, symbol } => (
            format!(
                "send r{id} {ep} {} {}",
                category.wire(),
                oneline(names.symbol(*symbol))
            ),
            vec![],
        ),
    }
}

fn new_order(o: &NewOrder, names: &WireNames) -> String {
    format!(
        "{} {} {} x {} {}{}",
        oneline(names.symbol(o.symbol)),
        o.side.wire(),
        quoted_if_odd(&o.price.to_string()),
        quoted_if_odd(&o.qty.to_string()),
        oneline(&names.link(&o.order_link_id)),
        if o.post_only { "" } else { " gtc" }
    )
}

fn amend_order(o: &AmendOrder, names: &WireNames) -> String {
    let opt = |v: &Option<GridValue>| {
        v.map_or_else(|| "-".to_string(), |v| quoted_if_odd(&v.to_string()))
    };
    format!(
        "{} {} price {} qty {}",
        oneline(names.symbol(o.symbol)),
        oneline(&names.link(&o.order_link_id)),
        opt(&o.price),
        opt(&o.qty)
    )
}

fn cancel_order(o: &CancelOrder, names: &WireNames) -> String {
    format!(
        "{} {}",
        oneline(names.symbol(o.symbol)),
        oneline(&names.link(&o.order_link_id))
    )
}

pub(super) fn tick_done(s: &TickStats, t0: Timestamp) -> String {
    fn map<K: Copy>(m: &BTreeMap<K, u64>, name: impl Fn(K) -> &'static str) -> String {
        if m.is_empty() {
            return "-".to_string();
        }
        let parts: Vec<String> = m.iter().map(|(k, v)| format!("{} {v}", name(*k))).collect();
        parts.join(" ")
    }
    format!(
        "tick_done #{} started {} took {}ms | cmds {} | coalesced {} | reqs {} | \
         fallbacks {} rejects {} stale {} conflated {} deferred {} requeued {} | \
         live {} unknown {} | headroom {}",
        s.tick,
        rel(s.started_ms, t0),
        s.duration_ms,
        map(&s.commands, mm_core::Op::name),
        map(&s.coalesced, mm_core::Op::name),
        map(&s.requests, mm_core::Endpoint::name),
        s.fallbacks,
        s.rejects,
        s.stale_drops,
        s.conflated,
        s.rate_deferrals,
        s.requeued,
        s.live_orders,
        s.unknown_orders,
        map(&s.budget_headroom, mm_core::Endpoint::name),
    )
}
