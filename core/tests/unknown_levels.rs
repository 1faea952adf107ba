//! An unknown order does not freeze its level for the recv window
//! (engine/settle.rs, engine/reconcile.rs): it is asked about at once and
//! again on a short back-off, its level is frozen only while a query is
//! unanswered, and a live order on a frozen level is pulled once its price
//! is past the tolerance. No live order of ours rests a stale price.
#![allow(clippy::unwrap_used)]

mod common;

use mm_core::virtual_exchange::{Driver, Fault, Scenario};
use mm_core::{BookTop, Instrument, Side, Timestamp};

/// Whether `price` (ticks) is within the tolerance of some level of the
/// ladder built on `book` (the engine's rule, written out: spread 10 bps,
/// step 5 bps, 5 levels, tolerance 1 bps).
fn on_ladder(book: &BookTop, inst: &Instrument, side: Side, price: i64) -> bool {
    let ticks = |s: &str| inst.price_ticks(&s.parse().unwrap()).unwrap().0 as i128;
    let m2 = ticks(&book.bid) + ticks(&book.ask);
    (0..5i128).any(|i| {
        let off = 10 + 2 * i * 5;
        let want = match side {
            Side::Buy => (m2 * (20_000 - off)).div_euclid(40_000),
            Side::Sell => (m2 * (20_000 + off) + 39_999).div_euclid(40_000),
        };
        (i128::from(price) - want).abs() * 10_000 <= want
    })
}

/// Our open orders at the exchange priced off both the ladder of `now`
/// and that of the tick before.
fn stale(d: &Driver, sc: &Scenario, now: &[BookTop], before: &[BookTop]) -> Vec<String> {
    let mut out = Vec::new();
    for o in d.exchange.open_orders().values() {
        let inst = sc
            .instruments
            .iter()
            .find(|i| i.symbol == o.symbol)
            .unwrap();
        let price = inst.price_ticks(&o.price.parse().unwrap()).unwrap().0;
        let book = |books: &[BookTop]| {
            books
                .iter()
                .find(|b| b.symbol == o.symbol)
                .cloned()
                .unwrap()
        };
        if !on_ladder(&book(now), inst, o.side, price)
            && !on_ladder(&book(before), inst, o.side, price)
        {
            out.push(format!("{} {:?} {}", o.order_link_id, o.side, o.price));
        }
    }
    out
}

#[test]
fn a_timed_out_create_leaves_no_live_order_resting_stale() {
    // Tick 0 places 40 (order requests 1, 2). Tick 1 cancels 40 (3, 4):
    // the first cancel of request 3 is refused, so that order (BTCUSDT
    // level 0 bid) stays live; the replacements go out (5, 6) and request
    // 5 times out without arriving: 20 creates unknown, not found, final
    // only after recv_window + 1 s = 6 s. The refused order's level holds
    // an unknown create the whole time.
    let (sc, engine, mut vx) = common::settling_seed("unk", |_| {});
    vx.script_orders(
        3,
        Fault::RejectItem {
            index: 0,
            code: 10001,
        },
    );
    vx.script_orders(5, Fault::TimeoutNotApplied);
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    common::recover(&mut d);
    // After each tick has run, every order of ours at the exchange is on
    // that tick's ladder or (repriced a tick late under the faults) on the
    // previous one.
    let mut before = sc.books(0, d.now);
    for k in 0..40u64 {
        let books = sc.books(k, d.now);
        d.run_ticks(1, 200, |_, now| sc.books(k, now));
        let off = stale(&d, &sc, &books, &before);
        assert!(off.is_empty(), "after tick {k}: stale {off:?}\n{}", d.log);
        before = books;
    }
    assert!(d.log.contains("not found yet"), "{}", d.log);
    d.run_idle(30_000);
    common::assert_settled(&d);
    assert_eq!(
        d.engine.totals().gone_by_reason.get("never_created"),
        Some(&20)
    );
}
