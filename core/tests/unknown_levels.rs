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
    common::remember_names(&d.engine);
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

#[test]
fn a_live_order_on_a_level_frozen_by_an_unanswered_query_is_pulled_when_stale() {
    use common::{links, ok, respond, sends, started, tick};
    use mm_core::Input;
    use mm_core::input::{Ack, ItemCode, Outcome, Reply};
    let sc = Scenario::seed();
    let mut e = started(&sc);
    // Tick 2 cancels all 40; the first cancel (BTCUSDT bid, level 0) is
    // refused, so that order X stays live.
    let out = tick(&mut e, 200, sc.books(1, Timestamp(200)));
    let cancels = sends(&out);
    let x = links(&cancels[0])[0].clone();
    let refused_first = |r: &mm_core::effect::Request| {
        let ls = links(r);
        Outcome::Reply(Reply {
            ret_code: 0,
            ret_msg: "OK".into(),
            acks: ls
                .iter()
                .map(|l| Ack {
                    order_id: "".into(),
                    order_link_id: l.as_str().into(),
                })
                .collect(),
            codes: (0..ls.len())
                .map(|i| ItemCode {
                    code: if i == 0 { 10001 } else { 0 },
                    msg: "".into(),
                })
                .collect(),
            ..Reply::default()
        })
    };
    respond(&mut e, 205, &cancels[0], refused_first(&cancels[0]));
    let places = sends(&respond(&mut e, 205, &cancels[1], ok(&cancels[1])));
    assert_eq!(places.len(), 2, "{places:?}");
    // The first place batch (X's level among them) times out: its creates
    // are unknown and their queries go out, left unanswered.
    let queries = sends(&respond(&mut e, 210, &places[0], Outcome::Timeout));
    assert!(!queries.is_empty());
    respond(&mut e, 210, &places[1], ok(&places[1]));
    common::handle(
        &mut e,
        Input::Wake {
            now_ms: Timestamp(400),
        },
    );
    // Tick 3, prices two steps on: X's level is frozen (its new order's
    // query is unanswered), and X, off its target, is pulled.
    let out = tick(&mut e, 401, sc.books(3, Timestamp(401)));
    let state = e
        .orders()
        .into_iter()
        .find(|o| o.order_link_id == x)
        .map(|o| o.state);
    assert_eq!(
        state,
        Some(mm_core::OrderState::PendingCancel),
        "{x} not pulled\n{}",
        common::logs(&out)
    );
}
