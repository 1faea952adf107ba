//! Start-up recovery (engine/recovery.rs) and shutdown with `cancel =
//! "ours"` (engine/shutdown_ours.rs): an earlier session's orders are
//! cancelled and confirmed gone before the first quote (or refused), other
//! strategies' orders are left alone, and shutdown cancels only ours.
#![allow(clippy::unwrap_used)]

mod common;

use mm_core::config::{Config, Orphans};
use mm_core::effect::{Effect, Endpoint, Fatal, RequestKind};
use mm_core::virtual_exchange::{Driver, Scenario, VirtualExchange};
use mm_core::{Input, Side, Timestamp};

/// 60 orphans on BTCUSDT (more than a page of 50), 5 on ETHUSDT, and 3
/// foreign orders, resting before the session starts.
fn crashed_account(vx: &mut VirtualExchange) {
    for n in 1..=60 {
        let side = if n % 2 == 0 { Side::Buy } else { Side::Sell };
        let price = if side == Side::Buy { "50000" } else { "70000" };
        assert!(vx.add_resting("BTCUSDT", side, price, "0.001", &format!("old{n}-{n}")));
    }
    for n in 1..=5 {
        assert!(vx.add_resting("ETHUSDT", Side::Buy, "2000", "0.01", &format!("oldeth-{n}")));
    }
    for link in ["manual-order", "grid_7"] {
        assert!(vx.add_resting("ETHUSDT", Side::Sell, "4000", "0.01", link));
    }
    assert!(vx.add_resting("SOLUSDT", Side::Sell, "200", "0.1", "other:1"));
}

fn driver(tweak: impl FnOnce(&mut Config)) -> (Scenario, Driver) {
    let (sc, engine, mut vx) = common::settling_seed("rec", tweak);
    crashed_account(&mut vx);
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    common::remember_names(&d.engine);
    d.keep_requests = true;
    d.keep_effects = true;
    (sc, d)
}

fn is_orphan(link: &str) -> bool {
    link.starts_with("old")
}

#[test]
fn orphans_are_cancelled_and_confirmed_gone_before_the_first_quote() {
    let (sc, mut d) = driver(|_| {});
    d.run_ticks(5, 200, |k, now| sc.books(k, now));
    d.run_idle(30_000);
    let first_place = d
        .requests
        .iter()
        .position(|r| matches!(r.kind.endpoint(), Endpoint::CreateBatch | Endpoint::Create))
        .unwrap();
    let before = &d.requests[..first_place];
    // Every orphan was sent a cancel before the first place...
    common::remember_names(&d.engine);
    let cancelled: std::collections::BTreeSet<String> = before
        .iter()
        .flat_map(common::links)
        .filter(|l| is_orphan(l))
        .collect();
    assert_eq!(cancelled.len(), 65, "{}", d.log);
    // ...and every symbol that had some was listed again after its last
    // cancel, before the first place.
    for symbol in ["BTCUSDT", "ETHUSDT"] {
        let id = d.engine.wire_names().symbol_id(symbol).unwrap();
        let last_cancel = before
            .iter()
            .rposition(|r| {
                matches!(&r.kind, RequestKind::CancelBatch { orders, .. } if orders[0].symbol == id)
            })
            .unwrap();
        assert!(
            before[last_cancel..].iter().any(
                |r| matches!(&r.kind, RequestKind::OpenOrders { symbol: s, order_link_id: None, .. } if *s == id)
            ),
            "{symbol} confirmed by a listing"
        );
    }
    // Paging: BTCUSDT's 60 orphans took two pages.
    assert!(before.iter().any(|r| matches!(
        &r.kind,
        RequestKind::OpenOrders {
            cursor: Some(_),
            ..
        }
    )));
    let open = d.exchange.open_orders();
    assert!(open.keys().all(|l| !is_orphan(l)), "no orphan left");
    for foreign in ["manual-order", "grid_7", "other:1"] {
        assert!(open.contains_key(foreign), "{foreign} left alone");
    }
    let t = d.engine.totals();
    assert_eq!(
        (t.orphans_found, t.orphans_cancelled, t.foreign_orders),
        (65, 65, 3)
    );
    assert!(d.log.contains("recovery done: 65 orphans found, 65 cancelled and confirmed gone, 3 foreign orders left alone"), "{}", d.log);
    assert_eq!(d.engine.order_counts().live, 40);
}

#[test]
fn a_recovery_listing_that_fails_is_retried_and_nothing_is_quoted_meanwhile() {
    let (sc, engine, mut vx) = common::settling_seed("rec", |_| {});
    crashed_account(&mut vx);
    // The probe listing and a cancel batch time out, a listing answers 503.
    vx.script(1, mm_core::virtual_exchange::Fault::TimeoutNotApplied);
    vx.script(3, mm_core::virtual_exchange::Fault::Http(503));
    vx.script(7, mm_core::virtual_exchange::Fault::TimeoutNotApplied);
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    common::remember_names(&d.engine);
    d.keep_requests = true;
    d.run_ticks(30, 200, |k, now| sc.books(k, now));
    d.run_idle(30_000);
    assert!(d.log.contains("no quote before it succeeds"), "{}", d.log);
    assert!(d.exchange.open_orders().keys().all(|l| !is_orphan(l)));
    let t = d.engine.totals();
    assert_eq!((t.orphans_found, t.orphans_cancelled), (65, 65));
    assert_eq!(d.engine.order_counts().live, 40);
}

#[test]
fn refuse_names_the_orphans_and_sends_nothing_more() {
    let (sc, mut d) = driver(|c| c.recovery.orphans = Orphans::Refuse);
    d.run_ticks(5, 200, |k, now| sc.books(k, now));
    d.run_idle(30_000);
    let Some(Fatal::OrphansRefused { order_link_ids }) = &d.fatal else {
        panic!("no OrphansRefused: {}", d.log);
    };
    assert_eq!(order_link_ids.len(), 65);
    assert!(order_link_ids.iter().all(|l| is_orphan(l)));
    assert!(d.stopped);
    assert!(
        d.requests
            .iter()
            .all(|r| r.kind.endpoint() == Endpoint::OpenOrders),
        "listings only"
    );
    assert_eq!(d.exchange.open_orders().len(), 68, "nothing cancelled");
    assert!(matches!(
        d.effects
            .iter()
            .rev()
            .find(|e| matches!(e, Effect::Fatal(_) | Effect::Stopped)),
        Some(Effect::Stopped)
    ));
}

#[test]
fn shutdown_cancels_only_ours_and_confirms_none_of_ours_is_left() {
    let (sc, mut d) = driver(|_| {});
    d.run_ticks(5, 200, |k, now| sc.books(k, now));
    // One of ours lands behind core's back (a create core no longer
    // tracks): shutdown's listing must catch it.
    assert!(
        d.exchange
            .add_resting("XRPUSDT", Side::Buy, "1", "10", "rec-999999")
    );
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(60_000);
    assert!(d.stopped, "{}", d.log);
    assert!(
        d.requests
            .iter()
            .all(|r| r.kind.endpoint() != Endpoint::CancelAll),
        "no cancel-all"
    );
    let open = d.exchange.open_orders();
    assert!(open.keys().all(|l| !l.starts_with("rec-")), "{open:?}");
    assert_eq!(open.len(), 3, "the foreign orders stay: {open:?}");
    assert!(d.engine.orders().is_empty());
    assert!(!d.log.contains("could not be confirmed gone"), "{}", d.log);
    assert!(
        d.log
            .contains("still has 1 open orders of ours: cancel them by id again"),
        "{}",
        d.log
    );
}

#[test]
fn shutdown_by_symbol_cancels_everything_as_before() {
    let (sc, mut d) = driver(|c| c.shutdown.cancel = mm_core::config::ShutdownCancel::Symbol);
    d.run_ticks(3, 200, |k, now| sc.books(k, now));
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(60_000);
    assert!(d.stopped);
    assert!(d.exchange.open_orders().is_empty());
}

#[test]
fn legacy_mode_recovers_and_shuts_down_with_single_cancels() {
    let (sc, mut d) = driver(|c| c.async_batch.enabled = false);
    // 65 single cancels one at a time: recovery takes about 0.7 s.
    d.run_ticks(20, 200, |k, now| sc.books(k, now));
    assert!(d.log.contains("recovery done"), "{}", d.log);
    assert!(d.engine.order_counts().live > 0);
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(120_000);
    assert!(d.stopped, "{}", d.log);
    assert!(
        d.requests.iter().all(|r| !matches!(
            r.kind.endpoint(),
            Endpoint::CancelBatch | Endpoint::CreateBatch | Endpoint::AmendBatch
        )),
        "no batch in legacy mode"
    );
    assert_eq!(d.max_in_flight, 1);
    let open = d.exchange.open_orders();
    assert!(
        open.keys().all(|l| !is_orphan(l) && !l.starts_with("rec-")),
        "{open:?}"
    );
    assert_eq!(open.len(), 3);
    assert_eq!(d.engine.totals().orphans_cancelled, 65);
}

#[test]
fn a_shutdown_during_recovery_stops_before_any_quote() {
    let (sc, mut d) = driver(|_| {});
    let books = sc.books(0, d.now);
    d.feed(Input::Tick {
        now_ms: d.now,
        books,
    });
    d.run_until(Timestamp(15));
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(60_000);
    assert!(d.stopped, "{}", d.log);
    assert!(d.log.contains("recovery abandoned"), "{}", d.log);
    assert!(
        d.requests
            .iter()
            .all(|r| !matches!(r.kind.endpoint(), Endpoint::CreateBatch | Endpoint::Create)),
        "no quote"
    );
}
