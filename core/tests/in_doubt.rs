//! Commands in doubt (engine/doubt.rs): an order whose request may have been
//! applied is never declared gone, nor its command refused, on core's own
//! word; it becomes Unknown and the exchange is asked.
#![allow(clippy::unwrap_used)]

mod common;

use mm_core::config::Config;
use mm_core::effect::{Effect, Endpoint};
use mm_core::virtual_exchange::{Driver, Fault, Scenario, VirtualExchange};
use mm_core::{Input, Timestamp};

fn driver(
    tweak: impl FnOnce(&mut Config),
    script: impl FnOnce(&mut VirtualExchange),
) -> (Scenario, Driver) {
    common::scripted_seed("dbt", tweak, script)
}

fn feed_tick(d: &mut Driver, sc: &Scenario, k: u64) {
    let books = sc.books(k, d.now);
    d.feed(Input::Tick {
        now_ms: d.now,
        books,
    });
}

#[test]
fn fallback_places_dropped_at_the_deadline_are_settled_not_lost() {
    // Tick 0 places 40 orders in two batches. Both are answered HTTP 503
    // after the tick deadline (200 ms): the first had been applied, the
    // second not. Their fallback singles are still queued at the deadline.
    let (sc, mut d) = driver(
        |_| {},
        |vx| {
            vx.script_orders(1, Fault::AppliedHttp(503));
            vx.delay_orders(1, 300);
            vx.script_orders(2, Fault::Http(503));
            vx.delay_orders(2, 300);
        },
    );
    feed_tick(&mut d, &sc, 0);
    d.run_idle(30_000);
    assert_eq!(d.exchange.open_orders().len(), 20, "the first batch landed");
    assert!(d.log.contains("fall back to single requests"));
    let in_doubt = "20 places still queued at the tick deadline may have been applied by an earlier send: unknown, settling";
    assert_eq!(d.log.matches(in_doubt).count(), 2, "{}", d.log);
    assert!(
        !d.log.contains("dropped as stale"),
        "none dropped on our word"
    );
    let t = d.engine.totals();
    assert_eq!(t.stale_drops, 0);
    assert_eq!(t.unknowns, 40);
    assert_eq!(t.gone_by_reason.get("never_created"), Some(&20));
    assert_eq!(d.engine.order_counts().live, 20);
    // No fallback single was sent after the deadline: queries only.
    let creates = d
        .requests
        .iter()
        .filter(|r| r.kind.endpoint() == Endpoint::Create)
        .count();
    assert_eq!(creates, 0);
    common::assert_settled(&d);

    // Trading goes on from the settled state, and stays reconciled.
    for k in 1..6 {
        feed_tick(&mut d, &sc, k);
        let next = d.now.plus_ms(200);
        d.run_until(next);
    }
    d.run_idle(30_000);
    common::assert_settled(&d);
    assert_eq!(d.engine.order_counts().live, 40);
}

#[test]
fn never_sent_places_are_still_dropped_as_stale() {
    // The place batch's budget is held (10 units, a batch of 20 cannot go
    // whole): places wait, nothing was sent, so stale is the right word.
    let (sc, mut d) = driver(|c| c.rate_limits.create_batch = 10, |_| {});
    feed_tick(&mut d, &sc, 0);
    d.run_idle(30_000);
    let t = d.engine.totals();
    assert!(t.stale_drops > 0, "{t:?}");
    assert_eq!(t.unknowns, 0);
    assert!(d.log.contains("dropped as stale"));
    common::assert_settled(&d);
    assert!(
        d.effects
            .iter()
            .all(|e| !matches!(e, Effect::Send(r) if r.kind.endpoint() == Endpoint::OpenOrders)),
        "nothing to ask"
    );
}

#[test]
fn a_refused_resend_of_an_applied_amend_is_settled_at_the_exchanges_price() {
    // Tick 0 places (order requests 1 and 2); tick 1 amends all 40 in two
    // batches (3 and 4). The first amend batch is applied, then answered
    // 503: its fallback singles find nothing to change and are refused
    // (10001 "unchanged"), which must not leave core at the old prices.
    let (sc, mut d) = driver(
        |c| c.quoting.reprice = mm_core::config::Reprice::Amend,
        |vx| vx.script_orders(3, Fault::AppliedHttp(503)),
    );
    d.run_ticks(2, 200, |k, now| sc.books(k, now));
    d.run_idle(30_000);
    assert!(d.log.contains("amend_batch failed as a whole (http 503)"));
    assert!(
        d.log.contains("refused (10001 params error) after an earlier send that may have been applied: unknown, settling"),
        "{}",
        d.log
    );
    assert_eq!(
        d.engine.totals().rejects,
        0,
        "a refusal in doubt is no reject"
    );
    assert_eq!(d.engine.order_counts().live, 40);
    common::assert_settled(&d);
}

#[test]
fn no_place_is_sent_after_shutdown_whatever_the_in_flight_batches_answer() {
    // Tick 0's two place batches are in flight when Shutdown arrives; their
    // answers would re-queue (10006 tail, 403, whole 10006) or fall back
    // (503, applied or not). None of it may be sent; what may have landed
    // is settled by shutdown's cancel-all and listing, and nothing stays open.
    let cases = [
        (Fault::RateTail { keep: 5 }, Fault::AppliedHttp(503)),
        (Fault::Http(403), Fault::Http(503)),
        (Fault::TopLevel(10006), Fault::AppliedHttp(502)),
    ];
    for (first, second) in cases {
        let label = format!("{first:?} / {second:?}");
        let (sc, mut d) = driver(
            |_| {},
            |vx| {
                vx.script_orders(1, first);
                vx.script_orders(2, second);
            },
        );
        feed_tick(&mut d, &sc, 0);
        d.run_until(Timestamp(5));
        let before = d.requests.len();
        d.feed(Input::Shutdown { now_ms: d.now });
        d.run_idle(60_000);
        assert!(d.stopped, "{label}");
        let after: Vec<Endpoint> = d.requests[before..]
            .iter()
            .map(|r| r.kind.endpoint())
            .collect();
        assert!(
            after
                .iter()
                .all(|ep| !matches!(ep, Endpoint::Create | Endpoint::CreateBatch)),
            "{label}: a place sent after shutdown: {after:?}"
        );
        assert!(
            d.log
                .contains("answered after shutdown began, nothing re-sent"),
            "{label}"
        );
        assert!(d.exchange.open_orders().is_empty(), "{label}: left open");
        assert!(d.engine.orders().is_empty(), "{label}");
        assert!(!d.log.contains("could not be confirmed gone"), "{label}");
    }
}

#[test]
#[ignore = "prints a log"]
fn print_shutdown_log() {
    let (sc, mut d) = driver(
        |_| {},
        |vx| {
            vx.script_orders(1, Fault::RateTail { keep: 5 });
            vx.script_orders(2, Fault::AppliedHttp(503));
        },
    );
    feed_tick(&mut d, &sc, 0);
    d.run_until(Timestamp(5));
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(60_000);
    println!("{}", d.log);
}
