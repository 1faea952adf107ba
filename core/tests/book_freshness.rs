//! Book freshness on a timer (engine/freshness.rs): a tick without a
//! symbol's book leaves its orders alone while the last book is young; past
//! `max_book_age_ms` they are pulled, by a wake if no tick comes at all.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use mm_core::effect::{Endpoint, RequestKind};
use mm_core::virtual_exchange::{Driver, Scenario, VirtualExchange};
use mm_core::{Engine, Input, SessionId, Timestamp};

#[test]
fn a_tick_without_books_keeps_the_orders_and_requotes_nothing() {
    let sc = Scenario::seed();
    let mut e = started(&sc);
    let out = tick(&mut e, 500, vec![]);
    assert!(sends(&out).is_empty(), "nothing cancelled, nothing placed");
    let text = logs(&out);
    assert!(
        text.contains("tick 2 start: 0 books usable, 4 held; cancel 0 amend 0 place 0"),
        "{text}"
    );
    assert!(
        text.contains("tick 2: no book for ETHUSDT: its 10 orders left as they are, no re-quote, until a fresh book (the last is 500 ms old; pulled past 2000 ms)"),
        "{text}"
    );
    assert_eq!(tick_done(&out).len(), 1);
    assert_eq!(e.order_counts().live, 40);
    assert_eq!(e.totals().books_held, 4);
    assert_eq!(e.totals().books_refused, 0);
    // Held a second time: not logged again.
    let out = tick(&mut e, 700, vec![]);
    assert!(!logs(&out).contains("no book for"));
    // A fresh book: quoting resumes (every price moved: cancel + place).
    let out = tick(&mut e, 900, sc.books(1, Timestamp(900)));
    let text = logs(&out);
    assert!(
        text.contains("tick 4: fresh book for BTCUSDT again"),
        "{text}"
    );
    assert!(
        text.contains("tick 4 start: 4 books usable; cancel 40"),
        "{text}"
    );
}

#[test]
fn with_no_tick_at_all_a_wake_pulls_the_quotes_once_the_books_are_too_old() {
    let sc = Scenario::seed();
    let mut e = started(&sc);
    // Books received at 0 are too old past 2000 ms: core asks to be woken.
    assert_eq!(e.poll_timeout(), Some(Timestamp(2001)));
    let early = handle(
        &mut e,
        Input::Wake {
            now_ms: Timestamp(2000),
        },
    );
    assert!(sends(&early).is_empty(), "still young at 2000");
    let out = handle(
        &mut e,
        Input::Wake {
            now_ms: Timestamp(2001),
        },
    );
    let text = logs(&out);
    assert!(
        text.contains("no fresh book for 4 symbols within max_book_age_ms = 2000: a tick without books pulls their quotes"),
        "{text}"
    );
    assert!(
        text.contains("book ETHUSDT refused (missing): no quotes, cancelling its 10 orders"),
        "{text}"
    );
    let cancels = sends(&out);
    assert!(
        cancels
            .iter()
            .all(|r| r.kind.endpoint() == Endpoint::CancelBatch)
    );
    assert_eq!(cancels.iter().map(|r| links(r).len()).sum::<usize>(), 40);
    let done = answer_all(&mut e, 2010, cancels);
    assert!(sends(&done).is_empty(), "no quotes without a fresh book");
    assert_eq!(
        tick_done(&done).len(),
        1,
        "the expiry tick ends like any tick"
    );
    assert_eq!(e.order_counts().live, 0);
    assert_eq!(e.poll_timeout(), None, "nothing left to expire");
    // A fresh book brings the quotes back.
    let out = tick(&mut e, 3000, sc.books(2, Timestamp(3000)));
    let places: usize = sends(&out)
        .iter()
        .filter(|r| matches!(r.kind, RequestKind::PlaceBatch { .. }))
        .map(|r| links(r).len())
        .sum();
    assert_eq!(places, 40);
}

#[test]
fn a_symbol_missing_from_every_tick_is_pulled_at_its_books_age_the_rest_quote_on() {
    let sc = Scenario::seed();
    let engine = Engine::new(
        sc.config.clone(),
        sc.instruments.clone(),
        SessionId::new("fresh").unwrap(),
    )
    .unwrap();
    let vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    common::remember_names(&d.engine);
    d.keep_requests = true;
    // ETHUSDT's book only in tick 0; ticks every 200 ms until 3000.
    d.run_ticks(16, 200, |k, now| {
        let mut b = sc.books(k, now);
        if k > 0 {
            b.retain(|x| x.symbol != "ETHUSDT");
        }
        b
    });
    let eth = |want: fn(&RequestKind) -> bool| -> usize {
        d.requests
            .iter()
            .filter(|r| want(&r.kind))
            .flat_map(symbols)
            .filter(|s| s == "ETHUSDT")
            .count()
    };
    assert_eq!(
        eth(|k| matches!(k, RequestKind::PlaceBatch { .. })),
        10,
        "placed once"
    );
    assert_eq!(
        eth(|k| matches!(k, RequestKind::CancelBatch { .. })),
        10,
        "pulled once"
    );
    assert!(d.log.contains("book ETHUSDT refused (missing)"));
    // Too old at 2001; tick 11 (at 2000, still holding) is in flight then,
    // so the expiry tick runs as soon as it is done, at 2020.
    let pulled_at = d
        .log
        .lines()
        .find(|l| l.contains("book ETHUSDT refused"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap();
    assert_eq!(pulled_at, 2020, "{}", d.log);
    assert_eq!(
        d.log.matches("book ETHUSDT refused").count(),
        1,
        "said once"
    );
    assert!(d.engine.orders().iter().all(|o| o.symbol != "ETHUSDT"));
    assert_eq!(d.engine.order_counts().live, 30);
    let (ours, theirs) = resting(&d);
    assert_eq!(ours, theirs);
}
