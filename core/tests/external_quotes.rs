//! External quotes (`quoting.source = "external"`): sets pushed from outside
//! go through the same reconcile, batching, budget and deadlines as the
//! ladder; bad sets are refused whole; stale sets are pulled.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use mm_core::config::{Config, QuoteSource, Reprice};
use mm_core::effect::{Endpoint, RequestKind};
use mm_core::input::{QuoteLevel, QuoteSet};
use mm_core::virtual_exchange::{Driver, Scenario, VirtualExchange};
use mm_core::{Engine, Input, Instrument, SessionId, Ticks, Timestamp};

const TICKS: u64 = 30;

/// The ladder's prices for one book, as a client computing them itself
/// would (the README's formula: level i at mid -/+ (spread/2 + i*step) bps,
/// rounded outwards onto the grid).
fn ladder_set(inst: &Instrument, bid: &str, ask: &str, c: &Config) -> QuoteSet {
    let ticks = |p: &str| inst.price_ticks(&p.parse().unwrap()).unwrap().0 as i128;
    let m2 = ticks(bid) + ticks(ask);
    let qty = c
        .quoting
        .order_qty
        .for_symbol(&inst.symbol)
        .unwrap()
        .to_string();
    let q = &c.quoting;
    let (mut bids, mut asks) = (Vec::new(), Vec::new());
    for i in 0..q.levels {
        let off = i128::from(q.spread_bps) + 2 * i128::from(i) * i128::from(q.step_bps);
        let b = (m2 * (20_000 - off)).div_euclid(40_000);
        let a = (m2 * (20_000 + off) + 39_999).div_euclid(40_000);
        bids.push(QuoteLevel {
            price: inst.price_string(Ticks(b as i64)).into(),
            qty: qty.as_str().into(),
        });
        asks.push(QuoteLevel {
            price: inst.price_string(Ticks(a as i64)).into(),
            qty: qty.as_str().into(),
        });
    }
    QuoteSet {
        symbol: inst.symbol.as_str().into(),
        bids,
        asks,
    }
}

fn driver(sc: &Scenario, session: &str) -> Driver {
    let engine = Engine::new(
        sc.config.clone(),
        sc.instruments.clone(),
        SessionId::new(session).unwrap(),
    )
    .unwrap();
    let vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    let d = Driver::new(engine, vx, Timestamp(1_700_000_000_000), 10);
    common::remember_names(&d.engine);
    d
}

fn quotes(d: &mut Driver, set: QuoteSet) {
    let now = d.now;
    d.feed(Input::Quotes { now_ms: now, set });
}

/// The seed scenario for `TICKS` ticks 200 ms apart: with `external`, each
/// tick's ladder is pushed as quote sets just before the tick's books.
fn seed_run(external: bool, tweak: impl Fn(&mut Config)) -> Driver {
    let mut sc = Scenario::seed();
    tweak(&mut sc.config);
    if external {
        sc.config.quoting.source = QuoteSource::External;
    }
    let mut d = driver(&sc, "seed");
    for k in 0..TICKS {
        let books = sc.books(k, d.now);
        if external {
            for (b, inst) in books.iter().zip(&sc.instruments) {
                quotes(&mut d, ladder_set(inst, &b.bid, &b.ask, &sc.config));
            }
        }
        d.feed(Input::Tick {
            now_ms: d.now,
            books,
        });
        let next = d.now.plus_ms(200);
        d.run_until(next);
    }
    d.run_idle(1_000);
    d
}

fn assert_same_as_ladder(tweak: impl Fn(&mut Config), per_tick: BTreeMap<Endpoint, u64>) {
    let ladder = seed_run(false, &tweak);
    let ext = seed_run(true, &tweak);
    assert_eq!(ext.engine.totals().external_quote_sets, 4 * TICKS);
    assert_eq!(ext.engine.totals().refused_quote_sets, 0);
    assert_eq!(ext.ticks_done.len() as u64, TICKS, "{}", ext.log);
    // Every tick's stats (requests by endpoint, commands, coalescing,
    // durations) are the ladder's.
    assert_eq!(ext.ticks_done, ladder.ticks_done);
    for t in &ext.ticks_done[1..] {
        assert_eq!(t.requests, per_tick, "tick {}", t.tick);
        assert_eq!(t.live_orders, 40, "tick {}", t.tick);
    }
    // And the same orders rest on the exchange.
    let book = |d: &Driver| -> Vec<(String, String, String)> {
        let mut v: Vec<_> = (d.exchange.open_orders().values())
            .map(|o| (o.symbol.clone(), o.price.clone(), o.qty.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(book(&ext), book(&ladder));
    let (ours, theirs) = common::resting(&ext);
    assert_eq!(ours, theirs);
}

#[test]
fn external_cancel_place_batches_as_the_ladder_4_requests_a_tick() {
    assert_same_as_ladder(
        |c| c.quoting.max_book_age_ms = 3_600_000,
        BTreeMap::from([(Endpoint::CreateBatch, 2), (Endpoint::CancelBatch, 2)]),
    );
}

#[test]
fn external_amend_batches_as_the_ladder_2_requests_a_tick() {
    assert_same_as_ladder(
        |c| {
            c.quoting.max_book_age_ms = 3_600_000;
            c.quoting.reprice = Reprice::Amend;
        },
        BTreeMap::from([(Endpoint::AmendBatch, 2)]),
    );
}

fn level(price: &str, qty: &str) -> QuoteLevel {
    QuoteLevel {
        price: price.to_string().into(),
        qty: qty.to_string().into(),
    }
}

fn set(symbol: &str, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> QuoteSet {
    QuoteSet {
        symbol: symbol.to_string().into(),
        bids: bids.iter().map(|(p, q)| level(p, q)).collect(),
        asks: asks.iter().map(|(p, q)| level(p, q)).collect(),
    }
}

/// One symbol (BTCUSDT: tick 0.1, qty step and min 0.001), 3 levels,
/// external quotes, books that stay fresh; the driver past recovery.
fn btc(tweak: impl FnOnce(&mut Config)) -> (Scenario, Driver) {
    let mut sc = Scenario::seed();
    let c = &mut sc.config;
    c.quoting.symbols.truncate(1);
    c.quoting.levels = 3;
    c.quoting.source = QuoteSource::External;
    c.quoting.max_book_age_ms = 3_600_000;
    c.quoting.max_quote_age_ms = 1_000;
    tweak(c);
    let mut d = driver(&sc, "ext");
    common::recover(&mut d);
    d.keep_requests = true;
    (sc, d)
}

/// A tick with BTCUSDT's book (the only symbol quoted; it never moves).
fn tick(d: &mut Driver, sc: &Scenario) {
    let books = btc_books(sc, d.now);
    d.feed(Input::Tick {
        now_ms: d.now,
        books,
    });
    let next = d.now.plus_ms(200);
    d.run_until(next);
}

fn btc_books(sc: &Scenario, now: Timestamp) -> Vec<mm_core::BookTop> {
    let mut books = sc.books(0, now);
    books.truncate(1);
    books
}

fn resting(d: &Driver) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = (d.exchange.open_orders().values())
        .map(|o| (format!("{:?}", o.side), o.price.clone(), o.qty.clone()))
        .collect();
    v.sort();
    v
}

fn good() -> QuoteSet {
    set(
        "BTCUSDT",
        &[("59990.0", "0.001"), ("59980.0", "0.002")],
        &[("60010.0", "0.003")],
    )
}

#[test]
fn per_level_sizes_rest_as_sent_and_a_size_change_amends_only_the_size() {
    let (sc, mut d) = btc(|c| c.quoting.reprice = Reprice::Amend);
    quotes(&mut d, good());
    tick(&mut d, &sc);
    assert_eq!(
        resting(&d),
        vec![
            ("Buy".into(), "59980".into(), "0.002".into()),
            ("Buy".into(), "59990".into(), "0.001".into()),
            ("Sell".into(), "60010".into(), "0.003".into()),
        ],
        "{}",
        d.log
    );
    // The same set again: nothing to do.
    let sent = d.requests.len();
    quotes(&mut d, good());
    assert_eq!(d.engine.last_quote_refusal(), None);
    tick(&mut d, &sc);
    assert_eq!(d.requests.len(), sent, "{}", d.log);
    // Level 1's size changes: one amend, carrying the qty and no price.
    let mut next = good();
    next.bids[1].qty = "0.005".into();
    quotes(&mut d, next);
    tick(&mut d, &sc);
    let new = &d.requests[sent..];
    assert_eq!(new.len(), 1, "{new:?}");
    let a = match &new[0].kind {
        RequestKind::Amend { order, .. } => order,
        RequestKind::AmendBatch { orders, .. } if orders.len() == 1 => &orders[0],
        other => panic!("{other:?}"),
    };
    assert!(a.price.is_none(), "{a:?}");
    assert_eq!(a.qty.map(|q| q.to_string()).as_deref(), Some("0.005"));
    assert!(resting(&d).contains(&("Buy".into(), "59980".into(), "0.005".into())));
    common::assert_settled(&d);
}

#[test]
fn refused_sets_name_the_field_and_leave_orders_untouched() {
    // The accepted set stays young through every refusal below.
    let (sc, mut d) = btc(|c| c.quoting.max_quote_age_ms = 60_000);
    quotes(&mut d, good());
    tick(&mut d, &sc);
    let before = resting(&d);
    assert_eq!(before.len(), 3, "{}", d.log);
    let sent = d.requests.len();
    let bad = [
        (
            set("BTCUSDT", &[("59990.05", "0.001")], &[]),
            "bids[0].price \"59990.05\" is not a positive multiple of the tick size 0.1",
        ),
        (
            set("BTCUSDT", &[("abc", "0.001")], &[]),
            "bids[0].price \"abc\" is not a decimal",
        ),
        (
            set("BTCUSDT", &[("60020.0", "0.001")], &[("60010.0", "0.001")]),
            "crossed: bids[0].price 60020 is not below asks[0].price 60010",
        ),
        (
            set("BTCUSDT", &[], &[("60010.0", "0.0015")]),
            "asks[0].qty \"0.0015\" is not a positive multiple of the qty step 0.001",
        ),
        (
            set("BTCUSDT", &[], &[("60010.0", "0")]),
            "asks[0].qty \"0\" is not a positive multiple",
        ),
        (
            set(
                "BTCUSDT",
                &[
                    ("59990.0", "0.001"),
                    ("59980.0", "0.001"),
                    ("59970.0", "0.001"),
                    ("59960.0", "0.001"),
                ],
                &[],
            ),
            "bids: 4 levels, more than quoting.levels = 3",
        ),
        (
            set(
                "BTCUSDT",
                &[("59980.0", "0.001"), ("59990.0", "0.001")],
                &[],
            ),
            "bids[1].price \"59990.0\" is not below bids[0].price 59980",
        ),
        (
            set("ETHUSDT", &[("2999.0", "0.01")], &[]),
            "quotes for ETHUSDT refused (symbol: not in quoting.symbols)",
        ),
    ];
    for (i, (s, why)) in bad.iter().enumerate() {
        quotes(&mut d, s.clone());
        assert!(d.log.contains(why), "{why}\n{}", d.log);
        let told = d.engine.last_quote_refusal().unwrap();
        assert!(d.log.contains(told), "{told}");
        assert_eq!(d.engine.totals().refused_quote_sets, i as u64 + 1);
        // The next tick still quotes the last accepted set: nothing moves.
        tick(&mut d, &sc);
        assert_eq!(d.requests.len(), sent, "{why}: {:?}", &d.requests[sent..]);
        assert_eq!(resting(&d), before, "{why}");
    }
    assert!(
        d.log
            .contains("quotes for BTCUSDT refused (bids: 4 levels, more than quoting.levels = 3): its orders left as they are"),
        "{}",
        d.log
    );
    assert_eq!(d.engine.totals().external_quote_sets, 1);
}

#[test]
fn min_qty_is_checked_where_it_exceeds_the_step() {
    // XRPUSDT: qty step 1, min qty raised to 10.
    let mut sc = Scenario::seed();
    sc.instruments[3].min_qty = "10".parse().unwrap();
    sc.config.quoting.source = QuoteSource::External;
    let mut d = driver(&sc, "minq");
    quotes(&mut d, set("XRPUSDT", &[("2.4990", "9")], &[]));
    assert_eq!(d.engine.totals().refused_quote_sets, 1, "{}", d.log);
    assert!(
        d.log
            .contains("bids[0].qty \"9\" is below the minimum order qty 10"),
        "{}",
        d.log
    );
}

#[test]
fn quotes_under_the_ladder_source_are_refused() {
    let sc = Scenario::seed();
    let mut d = driver(&sc, "lad");
    quotes(&mut d, set("BTCUSDT", &[("59990.0", "0.001")], &[]));
    assert!(
        d.log.contains(
            "quotes for BTCUSDT refused (source: quoting.source is \"ladder\", not \"external\")"
        ),
        "{}",
        d.log
    );
    assert_eq!(d.engine.totals().refused_quote_sets, 1);
}

#[test]
fn stale_sets_are_pulled_at_the_next_tick() {
    let (sc, mut d) = btc(|_| {});
    quotes(&mut d, good());
    tick(&mut d, &sc);
    assert_eq!(resting(&d).len(), 3);
    // Ticks keep coming, no new set: 1 000 ms later the set is stale.
    for _ in 0..6 {
        tick(&mut d, &sc);
    }
    assert_eq!(resting(&d), vec![], "{}", d.log);
    assert!(
        d.log.contains(
            "quotes for BTCUSDT: quote set stale (older than max_quote_age_ms = 1000): no quotes, cancelling its 3 orders until a new set arrives"
        ),
        "{}",
        d.log
    );
    // A new set quotes again.
    quotes(&mut d, good());
    tick(&mut d, &sc);
    assert_eq!(resting(&d).len(), 3, "{}", d.log);
    assert!(d.log.contains("quotes for BTCUSDT quoted"), "{}", d.log);
    common::assert_settled(&d);
}

#[test]
fn stale_sets_are_pulled_with_no_tick_arriving() {
    let (sc, mut d) = btc(|_| {});
    quotes(&mut d, good());
    let t0 = d.now;
    tick(&mut d, &sc);
    assert_eq!(resting(&d).len(), 3);
    // No tick, no set: core wakes itself at the set's expiry.
    assert_eq!(d.engine.poll_timeout(), Some(t0.plus_ms(1_001)));
    d.run_until(t0.plus_ms(1_500));
    assert_eq!(resting(&d), vec![], "{}", d.log);
    assert!(
        d.log.contains(
            "no new quote set for 1 symbols within max_quote_age_ms = 1000: a tick without books pulls their quotes"
        ),
        "{}",
        d.log
    );
    common::assert_settled(&d);
}

#[test]
fn a_refused_book_pulls_external_quotes_and_a_missing_one_holds_them() {
    let (sc, mut d) = btc(|_| {});
    quotes(&mut d, good());
    tick(&mut d, &sc);
    assert_eq!(resting(&d).len(), 3);
    // No book this tick (fresh set): held, nothing sent.
    let sent = d.requests.len();
    quotes(&mut d, good());
    d.feed(Input::Tick {
        now_ms: d.now,
        books: vec![],
    });
    d.run_until(d.now.plus_ms(200));
    assert_eq!(d.requests.len(), sent);
    assert_eq!(resting(&d).len(), 3);
    // A crossed book: pulled although the set is fresh.
    quotes(&mut d, good());
    let mut books = btc_books(&sc, d.now);
    let b = &mut books[0];
    std::mem::swap(&mut b.bid, &mut b.ask);
    d.feed(Input::Tick {
        now_ms: d.now,
        books,
    });
    d.run_until(d.now.plus_ms(200));
    assert_eq!(resting(&d), vec![], "{}", d.log);
}

#[test]
fn empty_sides_quote_nothing_there() {
    let (sc, mut d) = btc(|_| {});
    quotes(&mut d, good());
    tick(&mut d, &sc);
    quotes(&mut d, set("BTCUSDT", &[], &[("60010.0", "0.003")]));
    tick(&mut d, &sc);
    assert_eq!(
        resting(&d),
        vec![("Sell".into(), "60010".into(), "0.003".into())],
        "{}",
        d.log
    );
}
