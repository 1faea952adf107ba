//! Fills, executions and positions from the private stream (engine/fills.rs,
//! engine/positions.rs): partial and full fills, de-duplication, the level
//! re-quoted, positions checked and corrected, other orders ignored.
#![allow(clippy::unwrap_used)]

mod common;

use mm_core::input::{Execution, OrderUpdate, Position};
use mm_core::virtual_exchange::{Driver, Scenario};
use mm_core::{Input, OrderState, OrderView, Side};

/// The seed scenario past recovery with its first ladder live (40 orders),
/// books that never move (so nothing is replaced unless it filled).
fn quoting() -> (Scenario, Driver) {
    common::quoting_seed("f", |_| {})
}

fn tick(sc: &Scenario, d: &mut Driver) {
    let mut books = sc.books(0, d.now);
    for b in &mut books {
        b.received_ms = d.now;
    }
    d.feed(Input::Tick {
        now_ms: d.now,
        books,
    });
    d.run_idle(5_000);
}

/// The live order of `symbol` on `side` at `level`.
fn order(d: &Driver, symbol: &str, side: Side, level: u32) -> OrderView {
    d.engine
        .orders()
        .into_iter()
        .find(|o| o.symbol == symbol && o.side == side && o.level == level)
        .unwrap()
}

fn executions(d: &mut Driver, executions: Vec<Execution>) {
    let now = d.now;
    d.feed(Input::Executions {
        now_ms: now,
        executions,
    });
}

fn position(symbol: &str, side: &str, size: &str, seq: i64) -> Position {
    Position {
        symbol: symbol.to_string().into(),
        side: side.to_string().into(),
        size: size.to_string().into(),
        position_idx: 0,
        seq,
        updated_time: "1700000000000".into(),
    }
}

fn positions(d: &mut Driver, positions: Vec<Position>) {
    let now = d.now;
    d.feed(Input::Positions {
        now_ms: now,
        positions,
    });
}

/// Core's position of `symbol`, as its view shows it.
fn core_position(d: &Driver, symbol: &str) -> Option<String> {
    d.engine
        .positions()
        .into_iter()
        .find(|p| p.symbol == symbol)
        .map(|p| p.core)
}

fn gone(d: &Driver, reason: &str) -> u64 {
    d.engine
        .totals()
        .gone_by_reason
        .get(reason)
        .copied()
        .unwrap_or(0)
}

/// Every request sent since the `from`-th, as (endpoint, its orderLinkIds).
fn sent_since(d: &Driver, from: usize) -> Vec<(&'static str, Vec<String>)> {
    d.requests[from..]
        .iter()
        .map(|r| (r.kind.endpoint().name(), common::links(r)))
        .collect()
}

#[test]
fn a_partial_then_a_full_fill_ends_the_order_filled_and_its_level_is_quoted_again() {
    let (sc, mut d) = quoting();
    // XRPUSDT quotes 10 lots (qty 10, step 1).
    let o = order(&d, "XRPUSDT", Side::Buy, 0);
    assert_eq!(o.qty, "10");
    executions(&mut d, vec![common::exec(&o, "e1", "4", "6", 11)]);
    let still = order(&d, "XRPUSDT", Side::Buy, 0);
    assert_eq!(still.order_link_id, o.order_link_id);
    assert_eq!(still.state, OrderState::Live);
    assert!(
        d.log.contains(&format!(
            "order {} partly filled: 4 of 10 at avg {}",
            o.order_link_id, o.price
        )),
        "{}",
        d.log
    );
    assert_eq!(core_position(&d, "XRPUSDT").as_deref(), Some("4"));

    // A tick now changes nothing: the partly filled order still serves its level.
    let before = d.requests.len();
    tick(&sc, &mut d);
    assert_eq!(d.requests.len(), before, "{}", d.log);

    executions(&mut d, vec![common::exec(&o, "e2", "6", "0", 12)]);
    assert!(
        d.engine
            .orders()
            .iter()
            .all(|x| x.order_link_id != o.order_link_id)
    );
    assert_eq!(gone(&d, "filled"), 1);
    assert!(
        d.log.contains(&format!(
            "order {} gone: filled (10 of 10 at avg {})",
            o.order_link_id, o.price
        )),
        "{}",
        d.log
    );
    assert_eq!(core_position(&d, "XRPUSDT").as_deref(), Some("10"));
    let f = d.engine.fill_totals();
    assert_eq!((f.fills["XRPUSDT"].buy, f.fills["XRPUSDT"].sell), (2, 0));
    d.exchange.close(&o.order_link_id, "Filled");

    // The next tick places exactly that level again, and nothing else.
    let before = d.requests.len();
    tick(&sc, &mut d);
    let again = order(&d, "XRPUSDT", Side::Buy, 0);
    let sent = sent_since(&d, before);
    assert_eq!(
        sent,
        [("create_batch", vec![again.order_link_id.clone()])],
        "{}",
        d.log
    );
    assert_ne!(again.order_link_id, o.order_link_id);
    assert_eq!((again.price, again.state), (o.price, OrderState::Live));
    assert_eq!(d.engine.order_counts().live, 40);
}

#[test]
fn without_leaves_qty_the_order_ends_when_its_fills_reach_its_qty() {
    // execution.fast: no leavesQty, and no orderLinkId on a maker fill.
    let (_, mut d) = quoting();
    let o = order(&d, "XRPUSDT", Side::Sell, 1);
    let mut a = common::exec(&o, "e1", "3", "", 5);
    a.order_link_id = "".into();
    a.exec_type = "".into();
    let mut b = common::exec(&o, "e2", "7", "", 6);
    b.order_link_id = "".into();
    executions(&mut d, vec![a]);
    assert_eq!(
        order(&d, "XRPUSDT", Side::Sell, 1).order_link_id,
        o.order_link_id
    );
    executions(&mut d, vec![b]);
    assert_eq!(gone(&d, "filled"), 1, "{}", d.log);
    assert_eq!(core_position(&d, "XRPUSDT").as_deref(), Some("-10"));
    assert_eq!(d.engine.fill_totals().foreign_messages, 0);
}

#[test]
fn a_duplicate_execution_is_counted_once() {
    let (_, mut d) = quoting();
    let o = order(&d, "XRPUSDT", Side::Buy, 2);
    let e = common::exec(&o, "dup", "2", "8", 7);
    executions(&mut d, vec![e.clone(), e.clone()]);
    executions(&mut d, vec![e]);
    assert_eq!(core_position(&d, "XRPUSDT").as_deref(), Some("2"));
    let f = d.engine.fill_totals();
    assert_eq!(f.executions_duplicate, 2);
    assert_eq!(f.fills["XRPUSDT"].buy, 1);
    // The order filled 2 of 10, not 6.
    executions(&mut d, vec![common::exec(&o, "rest", "8", "", 8)]);
    assert_eq!(gone(&d, "filled"), 1, "{}", d.log);
}

#[test]
fn an_order_update_ends_the_order_and_its_level_is_quoted_again() {
    let (sc, mut d) = quoting();
    let filled = order(&d, "BTCUSDT", Side::Sell, 0);
    let cancelled = order(&d, "ETHUSDT", Side::Buy, 3);
    let update = |o: &OrderView, status: &str| OrderUpdate {
        symbol: o.symbol.as_str().into(),
        order_id: o.order_id.as_str().into(),
        order_link_id: o.order_link_id.as_str().into(),
        side: o.side.wire().into(),
        price: o.price.as_str().into(),
        qty: o.qty.as_str().into(),
        leaves_qty: "0".into(),
        cum_exec_qty: o.qty.as_str().into(),
        avg_price: o.price.as_str().into(),
        status: status.to_string().into(),
        cancel_type: "UNKNOWN".into(),
        reject_reason: "EC_NoError".into(),
        updated_time: "1700000000000".into(),
    };
    let now = d.now;
    d.feed(Input::OrderUpdates {
        now_ms: now,
        orders: vec![update(&filled, "Filled"), update(&cancelled, "Cancelled")],
    });
    assert_eq!(gone(&d, "filled"), 1, "{}", d.log);
    assert_eq!(gone(&d, "cancelled_by_exchange"), 1, "{}", d.log);
    assert_eq!(d.engine.order_counts().live, 38);
    // The order update does not move the position: executions do.
    assert_eq!(core_position(&d, "BTCUSDT"), None);
    d.exchange.close(&filled.order_link_id, "Filled");
    d.exchange.close(&cancelled.order_link_id, "Cancelled");
    tick(&sc, &mut d);
    assert_eq!(d.engine.order_counts().live, 40, "{}", d.log);
    assert_eq!(order(&d, "BTCUSDT", Side::Sell, 0).price, filled.price);
    assert_eq!(order(&d, "ETHUSDT", Side::Buy, 3).price, cancelled.price);
}

#[test]
fn a_position_mismatch_is_logged_counted_and_corrected() {
    let (_, mut d) = quoting();
    let o = order(&d, "XRPUSDT", Side::Buy, 0);
    // The exchange's start: flat, never traded.
    positions(&mut d, vec![position("XRPUSDT", "", "0", -1)]);
    executions(&mut d, vec![common::exec(&o, "e1", "4", "6", 20)]);
    positions(&mut d, vec![position("XRPUSDT", "Buy", "4", 20)]);
    assert_eq!(d.engine.fill_totals().position_mismatches, 0, "{}", d.log);

    // The exchange has 5 where core has 4 (a fill core never saw).
    positions(&mut d, vec![position("XRPUSDT", "Buy", "5", 21)]);
    // ...it waits for the fill behind seq 21, which never comes.
    assert_eq!(d.engine.fill_totals().position_mismatches, 0);
    assert!(d.engine.poll_timeout().is_some());
    d.run_until(d.now.plus_ms(1_000));
    assert_eq!(d.engine.fill_totals().position_mismatches, 1, "{}", d.log);
    assert!(
        d.log.contains(
            "position XRPUSDT mismatch: core 4, exchange 5 (seq 21): corrected to the exchange's"
        ),
        "{}",
        d.log
    );
    assert_eq!(core_position(&d, "XRPUSDT").as_deref(), Some("5"));
    let view = d.engine.positions();
    assert_eq!(view[0].exchange.as_deref(), Some("5"));

    // The missing fill arrives late: it is in the exchange's value already.
    executions(&mut d, vec![common::exec(&o, "e-late", "1", "5", 21)]);
    assert_eq!(core_position(&d, "XRPUSDT").as_deref(), Some("5"));
    positions(&mut d, vec![position("XRPUSDT", "Buy", "5", 21)]);
    assert_eq!(d.engine.fill_totals().position_mismatches, 1);

    // A position that arrives before its own fill is no mismatch...
    positions(&mut d, vec![position("XRPUSDT", "Buy", "7", 22)]);
    executions(&mut d, vec![common::exec(&o, "e3", "2", "3", 22)]);
    // ...nor is one that arrives after a later fill.
    executions(&mut d, vec![common::exec(&o, "e4", "1", "2", 23)]);
    positions(&mut d, vec![position("XRPUSDT", "Buy", "7", 22)]);
    assert_eq!(d.engine.fill_totals().position_mismatches, 1, "{}", d.log);
    assert_eq!(core_position(&d, "XRPUSDT").as_deref(), Some("8"));

    // A short position the other way: sign from the side.
    positions(&mut d, vec![position("XRPUSDT", "Sell", "3", 23)]);
    assert_eq!(d.engine.fill_totals().position_mismatches, 2);
    assert_eq!(core_position(&d, "XRPUSDT").as_deref(), Some("-3"));
}

#[test]
fn the_first_exchange_position_is_the_start_not_a_mismatch() {
    let (_, mut d) = quoting();
    positions(&mut d, vec![position("BTCUSDT", "Sell", "0.5", 3)]);
    assert_eq!(core_position(&d, "BTCUSDT").as_deref(), Some("-0.5"));
    assert_eq!(d.engine.fill_totals().position_mismatches, 0);
    // A symbol core does not know is not ours to check.
    positions(&mut d, vec![position("DOGEUSDT", "Buy", "100", 3)]);
    assert_eq!(d.engine.positions().len(), 1);
}

#[test]
fn messages_about_orders_not_ours_are_ignored_and_counted() {
    let (_, mut d) = quoting();
    let o = order(&d, "XRPUSDT", Side::Buy, 0);
    let mut other = common::exec(&o, "x1", "4", "6", 30);
    other.order_link_id = "other-7".into();
    let mut no_link = common::exec(&o, "x2", "4", "6", 31);
    no_link.order_link_id = "".into();
    no_link.order_id = "someone-elses".into();
    let mut funding = common::exec(&o, "x3", "4", "6", 32);
    funding.exec_type = "Funding".into();
    executions(&mut d, vec![other, no_link, funding]);
    let now = d.now;
    d.feed(Input::OrderUpdates {
        now_ms: now,
        orders: vec![OrderUpdate {
            symbol: "XRPUSDT".into(),
            order_link_id: "other-8".into(),
            status: "Filled".into(),
            ..OrderUpdate::default()
        }],
    });
    assert_eq!(d.engine.fill_totals().foreign_messages, 4);
    assert_eq!(core_position(&d, "XRPUSDT"), None);
    assert_eq!(d.engine.order_counts().live, 40);
    assert!(d.engine.fill_totals().fills.is_empty());
    // Logged once, then only counted.
    assert_eq!(d.log.matches("not of this session ignored").count(), 1);
}

#[test]
fn a_fill_of_an_order_with_its_cancel_in_flight_ends_it_filled() {
    // Drifting books: tick 1 cancels every order of tick 0; one of them
    // fills while its cancel is in flight, which the exchange then answers.
    let (sc, mut d) = common::scripted_seed("f", |_| {}, |_| {});
    d.run_ticks(1, 200, |k, now| sc.books(k, now));
    let o = order(&d, "XRPUSDT", Side::Buy, 0);
    let now = d.now;
    d.feed(Input::Tick {
        now_ms: now,
        books: sc.books(1, now),
    });
    let link = o.order_link_id.clone();
    assert!(
        d.engine
            .orders()
            .iter()
            .any(|x| x.order_link_id == link && x.state == OrderState::PendingCancel),
        "{}",
        d.log
    );
    executions(&mut d, vec![common::exec(&o, "c1", "10", "0", 40)]);
    d.run_idle(5_000);
    assert_eq!(gone(&d, "filled"), 1, "{}", d.log);
    assert!(d.engine.orders().iter().all(|x| x.order_link_id != link));
    // Its cancel's answer finds it gone: nothing ambiguous about that.
    assert!(!d.log.contains("ambiguous result"), "{}", d.log);
    assert_eq!(d.engine.order_counts().live, 40, "{}", d.log);
    common::assert_settled(&d);
}

#[test]
fn an_order_cancelled_by_shutdown_is_cancelled_even_when_the_update_beats_the_reply() {
    let (_sc, mut d) = quoting();
    let o = order(&d, "XRPUSDT", Side::Buy, 0);
    let now = d.now;
    d.feed(Input::Shutdown { now_ms: now });
    // Shutdown's cancel-batches are in flight; the stream says first.
    let now = d.now;
    d.feed(Input::OrderUpdates {
        now_ms: now,
        orders: vec![OrderUpdate {
            symbol: o.symbol.as_str().into(),
            order_id: o.order_id.as_str().into(),
            order_link_id: o.order_link_id.as_str().into(),
            status: "Cancelled".into(),
            cancel_type: "CancelByUser".into(),
            ..OrderUpdate::default()
        }],
    });
    assert!(d.log.contains("gone: cancelled (order update"), "{}", d.log);
    d.run_idle(5_000);
    assert_eq!(gone(&d, "cancelled_by_exchange"), 0, "{}", d.log);
    assert_eq!(gone(&d, "cancelled"), 40, "{}", d.log);
    assert!(d.engine.orders().is_empty(), "{}", d.log);
}
