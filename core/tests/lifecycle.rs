//! Time and lifecycle: stale drops, conflation, book refusal, config at the
//! tick boundary, clock clamping, garbage input, shutdown.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::*;
use mm_core::config::{Config, ShutdownCancel};
use mm_core::effect::{Effect, Endpoint, RequestKind};
use mm_core::input::{Outcome, Reply};
use mm_core::virtual_exchange::{Driver, Fault, Scenario, VirtualExchange};
use mm_core::{Input, RequestId, Timestamp};

#[test]
fn places_unsent_at_the_deadline_are_dropped_as_stale_cancels_never() {
    let sc = Scenario::seed();
    let mut e = started(&sc);
    let out = tick(&mut e, 1000, sc.books(1, Timestamp(1000)));
    let cancels = sends(&out);
    assert_eq!(cancels.len(), 2);
    assert_eq!(e.poll_timeout(), Some(Timestamp(1200)), "the tick deadline");
    // The cancels are slow: the deadline passes first.
    let woke = handle(
        &mut e,
        Input::Wake {
            now_ms: Timestamp(1200),
        },
    );
    assert!(sends(&woke).is_empty());
    assert!(logs(&woke).contains("40 places still unsent at the tick deadline dropped as stale"));
    let mut rest = respond(&mut e, 1300, &cancels[0], ok(&cancels[0]));
    rest.extend(respond(&mut e, 1310, &cancels[1], ok(&cancels[1])));
    assert!(sends(&rest).is_empty(), "no place after the deadline");
    let done = tick_done(&rest);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].stale_drops, 40);
    assert_eq!(done[0].duration_ms, 310);
    assert_eq!(done[0].live_orders, 0);
    assert_eq!(e.totals().gone_by_reason.get("stale"), Some(&40));
    assert_eq!(e.totals().gone_by_reason.get("cancelled"), Some(&40));
}

#[test]
fn amends_unsent_at_the_deadline_are_dropped_and_replanned_from_fresh_prices() {
    use mm_core::config::Reprice;
    for reprice in [Reprice::Amend, Reprice::Planned] {
        amends_dropped_at_the_deadline(reprice);
    }
}

fn amends_dropped_at_the_deadline(reprice: mm_core::config::Reprice) {
    let sc = Scenario::seed();
    let mut e = engine_with(&sc, |c| {
        c.quoting.reprice = reprice;
        c.async_batch.max_parallel_symbols = 1;
    });
    let out = tick(&mut e, 0, sc.books(0, Timestamp(0)));
    answer_all(&mut e, 5, sends(&out));
    let before: BTreeMap<String, String> = e
        .orders()
        .into_iter()
        .map(|o| (o.order_link_id, o.price))
        .collect();
    assert_eq!(before.len(), 40);
    // Every order moves: 40 amends in two batches, one in flight at a time.
    let out = tick(&mut e, 1000, sc.books(1, Timestamp(1000)));
    let first = sends(&out);
    assert_eq!(first.len(), 1);
    assert!(matches!(first[0].kind, RequestKind::AmendBatch { .. }));
    let sent: Vec<String> = links(&first[0]);
    assert_eq!(sent.len(), 20);
    assert_eq!(e.poll_timeout(), Some(Timestamp(1200)), "the tick deadline");
    // The batch is slow: the deadline passes with the second one queued.
    let woke = handle(
        &mut e,
        Input::Wake {
            now_ms: Timestamp(1200),
        },
    );
    assert!(sends(&woke).is_empty());
    assert!(
        logs(&woke).contains(
            "20 amends still unsent at the tick deadline dropped as stale (their orders rest at their old prices)"
        ),
        "{}",
        logs(&woke)
    );
    let rest = respond(&mut e, 1300, &first[0], ok(&first[0]));
    assert!(sends(&rest).is_empty(), "no amend after the deadline");
    let done = tick_done(&rest);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].stale_drops, 20);
    assert_eq!(done[0].live_orders, 40, "a dropped amend keeps its order");
    for o in e.orders() {
        let moved = o.price != before[&o.order_link_id];
        assert_eq!(
            moved,
            sent.contains(&o.order_link_id),
            "{} moved only if its amend went out",
            o.order_link_id
        );
        assert_eq!(o.state, mm_core::OrderState::Live);
    }
    // The next tick reconciles the dropped ones again from its own prices
    // (books 12 bps from where they rest: 2 bps from any level's target).
    let mut pending = sends(&tick(&mut e, 1400, sc.books(4, Timestamp(1400))));
    let mut amended: Vec<String> = Vec::new();
    let mut now = 1400;
    while let Some(r) = pending.pop() {
        if matches!(r.kind, RequestKind::AmendBatch { .. }) {
            amended.extend(links(&r));
        }
        now += 10;
        pending.extend(sends(&respond(&mut e, now, &r, ok(&r))));
    }
    for (link, price) in &before {
        if !sent.contains(link) {
            assert!(
                amended.contains(link),
                "{link} (still at {price}) re-planned"
            );
        }
    }
}

#[test]
fn ticks_arriving_in_flight_are_conflated_newest_books_win() {
    let sc = Scenario::seed();
    let mut e = started(&sc);
    let out = tick(&mut e, 200, sc.books(1, Timestamp(200)));
    let cancels = sends(&out);
    for k in 2..5 {
        let c = tick(&mut e, 200 + k, sc.books(k, Timestamp(200 + k)));
        assert!(sends(&c).is_empty());
        assert!(logs(&c).contains("conflated"));
    }
    let mut all = Vec::new();
    all.extend(answer_all(&mut e, 250, cancels));
    let done = tick_done(&all);
    assert_eq!(done.len(), 2, "tick 2, then the conflated tick 3");
    assert_eq!(done[0].conflated, 3);
    assert_eq!(done[1].conflated, 0);
    assert_eq!(done[1].tick, 3);
    // Tick 3 quoted on the newest books (index 4): its places sit at tick-4 prices.
    let mut want = engine(&sc);
    let fresh = sends(&tick(&mut want, 0, sc.books(4, Timestamp(250))));
    let place_prices = |reqs: &[mm_core::effect::Request]| -> Vec<String> {
        reqs.iter()
            .filter_map(|r| match &r.kind {
                RequestKind::PlaceBatch { orders, .. } => Some(
                    orders
                        .iter()
                        .map(|o| o.price.to_string())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect()
    };
    // Tick 3 reached exactly the ladder of the newest books (keeping the
    // orders that already sat on it, moving the rest).
    let units = |p: &String| -> i128 {
        let d: mm_core::Decimal = p.parse().unwrap();
        d.div_exact("0.0001".parse().unwrap()).unwrap()
    };
    let mut ours: Vec<i128> = e.orders().iter().map(|o| units(&o.price)).collect();
    let mut want_prices: Vec<i128> = place_prices(&fresh).iter().map(units).collect();
    ours.sort();
    want_prices.sort();
    assert_eq!(ours.len(), want_prices.len());
    for (a, b) in ours.iter().zip(&want_prices) {
        assert!((a - b).abs() * 10_000 <= *b, "{a} not within 1 bps of {b}");
    }
    assert_eq!(e.totals().conflated, 3);
}

#[test]
fn conflation_keeps_the_newest_ticks_books_wholesale() {
    // Two ticks arrive while tick 2 is in flight; the newer lacks ETHUSDT.
    // The conflated tick sees exactly the newest tick's books: ETHUSDT is
    // missing, not served from the older tick.
    let sc = Scenario::seed();
    let mut e = started(&sc);
    let cancels = sends(&tick(&mut e, 200, sc.books(1, Timestamp(200))));
    tick(&mut e, 210, sc.books(2, Timestamp(210)));
    let mut newest = sc.books(3, Timestamp(220));
    newest.retain(|b| b.symbol != "ETHUSDT");
    tick(&mut e, 220, newest);
    let all = answer_all(&mut e, 250, cancels);
    let text = logs(&all);
    assert!(text.contains("tick 3 start: 3 books usable"), "{text}");
    let eth_places = sends(&all)
        .iter()
        .filter(|r| matches!(r.kind, RequestKind::PlaceBatch { .. }))
        .flat_map(symbols)
        .filter(|s| s == "ETHUSDT")
        .count();
    assert_eq!(eth_places, 10, "tick 2 re-quoted ETHUSDT; tick 3 did not");
}

#[test]
fn missing_crossed_stale_or_garbage_books_get_no_quotes_and_orders_cancelled() {
    let sc = Scenario::seed();
    type Spoil = Box<dyn Fn(&mut Vec<mm_core::BookTop>)>;
    let cases: Vec<(&str, Spoil)> = vec![
        ("missing", Box::new(|b| b.retain(|x| x.symbol != "ETHUSDT"))),
        (
            "crossed",
            Box::new(|b| {
                let eth = b.iter_mut().find(|x| x.symbol == "ETHUSDT").unwrap();
                std::mem::swap(&mut eth.bid, &mut eth.ask);
            }),
        ),
        (
            "stale",
            Box::new(|b| {
                let eth = b.iter_mut().find(|x| x.symbol == "ETHUSDT").unwrap();
                eth.received_ms = Timestamp(0);
            }),
        ),
        (
            "unparseable",
            Box::new(|b| {
                let eth = b.iter_mut().find(|x| x.symbol == "ETHUSDT").unwrap();
                eth.bid = "NaN".into();
            }),
        ),
        (
            "off-grid",
            Box::new(|b| {
                let eth = b.iter_mut().find(|x| x.symbol == "ETHUSDT").unwrap();
                eth.bid = "3000.001".into();
            }),
        ),
    ];
    for (why, spoil) in cases {
        let mut e = started(&sc);
        let mut books = sc.books(1, Timestamp(5000));
        spoil(&mut books);
        let out = tick(&mut e, 5000, books);
        let text = logs(&out);
        assert!(text.contains("book ETHUSDT refused"), "{why}: {text}");
        let all = answer_all(&mut e, 5010, sends(&out));
        let reqs = [sends(&out), sends(&all)].concat();
        let eth_places = reqs
            .iter()
            .filter(|r| matches!(r.kind, RequestKind::PlaceBatch { .. }))
            .flat_map(symbols)
            .filter(|s| s == "ETHUSDT")
            .count();
        let eth_cancels = reqs
            .iter()
            .filter(|r| matches!(r.kind, RequestKind::CancelBatch { .. }))
            .flat_map(symbols)
            .filter(|s| s == "ETHUSDT")
            .count();
        assert_eq!(eth_places, 0, "{why}: no quotes");
        assert_eq!(eth_cancels, 10, "{why}: its orders cancelled");
        assert!(e.orders().iter().all(|o| o.symbol != "ETHUSDT"), "{why}");
        assert_eq!(e.totals().books_refused, 1, "{why}");
        // A fresh book brings the quotes back.
        let out = tick(&mut e, 5200, sc.books(2, Timestamp(5200)));
        let all = [sends(&out), sends(&answer_all(&mut e, 5210, sends(&out)))].concat();
        assert!(
            all.iter().flat_map(symbols).any(|s| s == "ETHUSDT"),
            "{why}: re-quoted"
        );
        assert_eq!(
            e.orders().iter().filter(|o| o.symbol == "ETHUSDT").count(),
            10
        );
    }
}

#[test]
fn config_change_applies_at_the_next_tick_and_invalid_ones_are_refused() {
    let sc = Scenario::seed();
    let mut e = started(&sc);
    let out = tick(&mut e, 200, sc.books(1, Timestamp(200)));
    let mut legacy = sc.config.clone();
    legacy.async_batch.enabled = false;
    let changed = handle(
        &mut e,
        Input::ConfigChanged {
            now_ms: Timestamp(201),
            config: Box::new(legacy),
        },
    );
    assert!(logs(&changed).contains("applies at the next tick"));
    // The tick in flight finishes as it began: batches.
    let rest = answer_all(&mut e, 210, sends(&out));
    assert!(
        sends(&rest)
            .iter()
            .all(|r| r.kind.endpoint() == Endpoint::CreateBatch)
    );
    assert!(e.config().async_batch.enabled);
    // The next tick is legacy: singles, one at a time.
    let out = tick(&mut e, 400, sc.books(2, Timestamp(400)));
    assert!(logs(&out).contains("config applied at tick 3: enabled=false"));
    let reqs = sends(&out);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].kind.endpoint(), Endpoint::Cancel);
    assert!(!e.config().async_batch.enabled);

    // An invalid config is refused by name and the old one kept.
    let mut bad: Config = sc.config.clone();
    bad.async_batch.max_batch_size = 50;
    bad.quoting.symbols.push("DOGEUSDT".into());
    let refused = handle(
        &mut e,
        Input::ConfigChanged {
            now_ms: Timestamp(401),
            config: Box::new(bad),
        },
    );
    let text = logs(&refused);
    assert!(
        text.contains("ERROR config change refused, keeping the old one"),
        "{text}"
    );
    assert!(
        text.contains("async_batch.max_batch_size = 50 must be between 1 and 20"),
        "{text}"
    );
    assert!(
        text.contains("quoting.symbols contains DOGEUSDT, which the exchange does not list"),
        "{text}"
    );
}

#[test]
fn garbage_inputs_are_logged_never_panic() {
    let sc = Scenario::seed();
    let mut e = started(&sc);
    let out = handle(
        &mut e,
        Input::Response {
            now_ms: Timestamp(10),
            request_id: RequestId(999),
            outcome: Outcome::Timeout,
        },
    );
    assert!(logs(&out).contains("reply for r999 which is not in flight"));
    assert_eq!(e.totals().unknown_replies, 1);
    // The clock going back is clamped and logged.
    let out = handle(
        &mut e,
        Input::Wake {
            now_ms: Timestamp(1),
        },
    );
    assert!(logs(&out).contains("WARN  clock went back 9 ms"));
    assert_eq!(e.totals().clock_clamps, 1);
    // A batch reply with the wrong number of items: unknown, settled by queries.
    let out = tick(&mut e, 200, sc.books(1, Timestamp(200)));
    let reqs = sends(&out);
    let short = Outcome::Reply(Reply {
        ret_code: 0,
        ..Reply::default()
    });
    let out = respond(&mut e, 210, &reqs[0], short);
    assert!(logs(&out).contains("reply lists 0 results and 0 codes for 20 orders"));
    assert_eq!(e.order_counts().unknown, 20);
    assert!(
        sends(&out)
            .iter()
            .all(|r| matches!(r.kind, RequestKind::OpenOrders { .. }))
    );
    // Garbage order lists and a reply for someone else's order are tolerated.
    let q = &sends(&out)[0];
    let weird = Outcome::Reply(Reply {
        ret_code: 0,
        orders: vec![mm_core::input::ExchangeOrder {
            order_link_id: "someone-else".into(),
            price: "-1e9".into(),
            ..Default::default()
        }],
        ..Reply::default()
    });
    let RequestKind::OpenOrders {
        order_link_id: Some(asked),
        ..
    } = &q.kind
    else {
        panic!("{q:?}")
    };
    let asked = &link(asked);
    let out = respond(&mut e, 220, q, weird);
    // Ours is not in the list: a cancel in doubt that the exchange does
    // not list is gone; the stranger and its price are ignored.
    assert!(
        logs(&out).contains(&format!(
            "order {asked} gone: not_open (settled: not found)"
        )),
        "{}",
        logs(&out)
    );
    assert!(e.orders().iter().all(|o| o.order_link_id != *asked));
    assert!(e.orders().iter().all(|o| o.order_link_id != "someone-else"));
    assert_eq!(e.order_counts().unknown, 19);
}

#[test]
fn shutdown_cancels_all_verifies_empty_then_stops() {
    let sc = Scenario::seed();
    let engine = engine_with(&sc, |c| c.shutdown.cancel = ShutdownCancel::Symbol);
    let mut vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    // The first cancel-all (request 40 + ...) is lost once; shutdown retries.
    vx.script(2 + 4 * 9 + 1, Fault::TimeoutNotApplied);
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    common::remember_names(&d.engine);
    d.keep_effects = true;
    d.run_ticks(10, 200, |k, now| sc.books(k, now));
    assert_eq!(d.exchange.open_orders().len(), 40);
    d.feed(Input::Shutdown { now_ms: d.now });
    // Ticks after shutdown are ignored.
    let now = d.now;
    d.feed(Input::Tick {
        now_ms: now,
        books: sc.books(11, now),
    });
    assert!(d.log.contains("tick after shutdown ignored"));
    d.run_idle(60_000);
    assert!(d.stopped, "{}", d.log);
    assert!(d.engine.is_stopped());
    // The scripted loss did hit the first cancel-all, and it was retried.
    assert_eq!(d.exchange.stats.faults_applied, 1);
    assert!(
        d.log
            .contains("r43 shutdown: cancel-all for BTCUSDT failed (timeout): retry in 200 ms"),
        "{}",
        d.log
    );
    assert_eq!(
        d.log
            .matches("shutdown: cancel-all BTCUSDT cancelled")
            .count(),
        1,
        "the retry cancelled"
    );
    assert!(d.exchange.open_orders().is_empty());
    assert_eq!(d.engine.order_counts().live, 0);
    assert!(d.engine.orders().is_empty());
    let after_shutdown: Vec<_> = d
        .effects
        .iter()
        .skip_while(
            |e| !matches!(e, Effect::Log(l) if l.text.starts_with("shutdown: quoting stopped")),
        )
        .filter_map(|e| match e {
            Effect::Send(r) => Some(r.kind.endpoint()),
            _ => None,
        })
        .collect();
    assert!(after_shutdown.contains(&Endpoint::CancelAll));
    assert!(after_shutdown.contains(&Endpoint::OpenOrders));
    assert!(
        after_shutdown
            .iter()
            .all(|e| matches!(e, Endpoint::CancelAll | Endpoint::OpenOrders)),
        "{after_shutdown:?}"
    );
    assert_eq!(
        d.effects
            .iter()
            .filter(|e| matches!(e, Effect::Stopped))
            .count(),
        1
    );
    assert!(
        matches!(d.effects.last(), Some(Effect::Stopped)),
        "Stopped comes last"
    );
    assert!(
        d.log.ends_with("INFO  shutdown complete: stopped\n"),
        "{}",
        d.log
    );
    // Anything after Stopped is ignored, without panicking.
    d.feed(Input::Wake { now_ms: d.now });
    assert!(d.log.contains("wake after Stopped ignored"));
}

#[test]
fn shutdown_cancels_again_what_is_still_open() {
    let sc = Scenario::seed();
    let engine = engine_with(&sc, |c| c.shutdown.cancel = ShutdownCancel::Symbol);
    let mut vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    // The first cancel-all for a symbol is "applied" as a no-op: the listing
    // still finds its orders and core cancels again.
    vx.script(2 + 4 * 4 + 1, Fault::RejectItem { index: 0, code: 0 });
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    common::remember_names(&d.engine);
    d.run_ticks(5, 200, |k, now| sc.books(k, now));
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(60_000);
    assert!(d.stopped, "{}", d.log);
    assert!(d.log.contains("open orders: cancel-all again"), "{}", d.log);
    assert!(d.exchange.open_orders().is_empty());
    assert!(d.engine.orders().is_empty());
}
