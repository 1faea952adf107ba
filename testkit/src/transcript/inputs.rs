//! Input lines for exchange responses: the reply head, then its failed
//! items and queried orders one a line.

use std::fmt::Write;

use mm_core::input::{Ack, ItemCode, Reply};
use mm_core::{Outcome, Timestamp};

use super::text::{oneline, quoted, quoted_if_odd, rel};

pub(super) fn response(id: u64, outcome: &Outcome, t0: Timestamp) -> (String, Vec<String>) {
    match outcome {
        Outcome::Reply(reply) => reply_lines(id, reply, t0),
        Outcome::Timeout => (format!("reply r{id} timeout"), vec![]),
        Outcome::Transport(e) => (format!("reply r{id} transport error {}", quoted(e)), vec![]),
        Outcome::HttpStatus(code) => (format!("reply r{id} http {code}"), vec![]),
        Outcome::Malformed(e) => (format!("reply r{id} malformed {}", quoted(e)), vec![]),
        Outcome::Listing(l) => super::stream::listing(id, l, t0),
    }
}

/// Per-order items: the failed ones one a line (index, orderLinkId, code,
/// message), the accepted ones counted; queried orders one a line.
fn reply_lines(id: u64, r: &Reply, t0: Timestamp) -> (String, Vec<String>) {
    let mut head = format!("reply r{id} retCode {} {}", r.ret_code, quoted(&r.ret_msg));
    let mut details = Vec::new();
    let items = r.acks.len().max(r.codes.len());
    if !r.codes.is_empty() || !r.acks.is_empty() {
        let failed: Vec<usize> = (0..items)
            .filter(|&i| r.codes.get(i).is_none_or(|c| c.code != 0))
            .collect();
        if r.codes.is_empty() {
            // A single-order reply: the top-level code is the order's.
            let links: Vec<String> = r.acks.iter().map(ack).collect();
            let _ = write!(head, " ack {}", links.join(" "));
        } else {
            let _ = write!(
                head,
                " {items} item{}: {} ok, {} failed",
                if items == 1 { "" } else { "s" },
                items - failed.len(),
                failed.len()
            );
            if r.acks.len() != r.codes.len() {
                let _ = write!(head, " (acks {} codes {})", r.acks.len(), r.codes.len());
            }
            for i in failed {
                details.push(format!(
                    "[{i}] {} {}",
                    r.acks.get(i).map_or_else(|| "(no ack)".to_string(), ack),
                    r.codes
                        .get(i)
                        .map_or_else(|| "(no code)".to_string(), item_code)
                ));
            }
        }
    }
    if !r.orders.is_empty() {
        let _ = write!(head, " {} open", r.orders.len());
    }
    if let Some(c) = &r.next_cursor {
        let _ = write!(head, " next_cursor {}", quoted(c));
    }
    if let Some(rl) = &r.rate_limit {
        let _ = write!(
            head,
            "; limit {} left {} reset {}",
            rl.limit,
            rl.remaining,
            rel(rl.reset_ms, t0)
        );
    }
    for o in &r.orders {
        let mut s = format!(
            "{} {} {} x {} leaves {} {} {}",
            oneline(&o.symbol),
            oneline(&o.side),
            quoted_if_odd(&o.price),
            quoted_if_odd(&o.qty),
            quoted_if_odd(&o.leaves_qty),
            oneline(&o.status),
            oneline(&o.order_link_id)
        );
        if !o.reject_reason.is_empty() && o.reject_reason != "EC_NoError" {
            let _ = write!(s, " reason {}", quoted(&o.reject_reason));
        }
        details.push(s);
    }
    (head, details)
}

fn ack(a: &Ack) -> String {
    if a.order_link_id.is_empty() {
        "(no link)".to_string()
    } else {
        oneline(&a.order_link_id)
    }
}

fn item_code(c: &ItemCode) -> String {
    format!("{} {}", c.code, quoted(&c.msg))
}
