//! The seed system's six batching behaviours, as behaviours of the engine.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::*;
use mm_core::config::CoalesceScope;
use mm_core::effect::{Endpoint, Op, RequestKind};
use mm_core::virtual_exchange::Scenario;
use mm_core::{Input, Timestamp};

/// N cancels (N <= 20) travel in one cancel batch.
#[test]
fn n_cancels_make_one_cancel_batch() {
    for levels in [1u32, 3, 7, 10] {
        let sc = Scenario::wide(1, levels);
        let mut e = engine(&sc);
        let first = tick(&mut e, 0, sc.books(0, Timestamp(0)));
        answer_all(&mut e, 5, sends(&first));
        // The book moves past tolerance: every order is replaced.
        let out = tick(&mut e, 200, sc.books(1, Timestamp(200)));
        let cancels: Vec<_> = sends(&out)
            .into_iter()
            .filter(|r| matches!(r.kind, RequestKind::CancelBatch { .. }))
            .collect();
        assert_eq!(cancels.len(), 1, "levels {levels}");
        assert_eq!(links(&cancels[0]).len(), 2 * levels as usize);
        assert_eq!(sends(&out).len(), 1, "places wait for the cancels");
    }
}

/// M places travel in ceil(M / 20) place batches.
#[test]
fn m_places_make_ceil_m_over_20_place_batches() {
    for (symbols, levels) in [(1usize, 1u32), (1, 10), (3, 9), (5, 10), (7, 3)] {
        let sc = Scenario::wide(symbols, levels);
        let mut e = engine(&sc);
        let out = tick(&mut e, 0, sc.books(0, Timestamp(0)));
        let m = symbols * 2 * levels as usize;
        let reqs = sends(&out);
        assert_eq!(reqs.len(), m.div_ceil(20), "M = {m}");
        let sizes: Vec<usize> = reqs.iter().map(|r| links(r).len()).collect();
        assert!(
            reqs.iter()
                .all(|r| matches!(r.kind, RequestKind::PlaceBatch { .. }))
        );
        assert_eq!(sizes.iter().sum::<usize>(), m);
        assert!(sizes.iter().all(|s| *s <= 20));
    }
}

/// Legacy: one single-order request per command, one at a time.
#[test]
fn legacy_sends_single_orders_one_at_a_time() {
    let sc = Scenario::wide(2, 3);
    let mut e = engine_with(&sc, |c| c.async_batch.enabled = false);
    let mut out = tick(&mut e, 0, sc.books(0, Timestamp(0)));
    let mut seen = Vec::new();
    loop {
        let reqs = sends(&out);
        assert!(reqs.len() <= 1, "one request in flight at a time");
        let Some(r) = reqs.into_iter().next() else {
            break;
        };
        assert!(matches!(r.kind, RequestKind::Place { .. }));
        seen.extend(links(&r));
        out = respond(&mut e, 1, &r, ok(&r));
    }
    assert_eq!(seen.len(), 12, "one request per command");
    // And the replacements: cancels first, then places, all single.
    let mut out = tick(&mut e, 200, sc.books(1, Timestamp(200)));
    let mut kinds = Vec::new();
    while let Some(r) = sends(&out).into_iter().next() {
        assert_eq!(sends(&out).len(), 1);
        kinds.push(r.kind.endpoint());
        out = respond(&mut e, 201, &r, ok(&r));
    }
    assert_eq!(kinds.len(), 24);
    assert!(kinds[..12].iter().all(|k| *k == Endpoint::Cancel));
    assert!(kinds[12..].iter().all(|k| *k == Endpoint::Create));
}

/// A second handle with no new input sends nothing new.
#[test]
fn handling_nothing_new_sends_nothing() {
    let sc = Scenario::seed();
    let mut e = engine(&sc);
    let out = tick(&mut e, 0, sc.books(0, Timestamp(0)));
    assert_eq!(sends(&out).len(), 2);
    for now in [0, 1, 50] {
        let again = handle(
            &mut e,
            Input::Wake {
                now_ms: Timestamp(now),
            },
        );
        assert!(sends(&again).is_empty(), "wake at {now} re-sent: {again:?}");
    }
    // An answered tick stays quiet too.
    answer_all(&mut e, 60, sends(&out));
    let again = handle(
        &mut e,
        Input::Wake {
            now_ms: Timestamp(70),
        },
    );
    assert!(again.is_empty(), "{again:?}");
    // Only the books' expiry is left to wake for (received at 0, too old
    // once more than max_book_age_ms = 2000 has passed).
    assert_eq!(e.poll_timeout(), Some(Timestamp(2001)));
}

/// TickDone counts exactly what was sent.
#[test]
fn stats_count_what_was_sent() {
    let sc = Scenario::seed();
    let mut e = engine(&sc);
    let out = tick(&mut e, 0, sc.books(0, Timestamp(0)));
    answer_all(&mut e, 5, sends(&out));
    let mut all = tick(&mut e, 200, sc.books(1, Timestamp(200)));
    all.extend(answer_all(&mut e, 210, sends(&all)));
    let reqs = sends(&all);
    let done = tick_done(&all);
    assert_eq!(done.len(), 1);
    let t = &done[0];
    let mut by_ep: BTreeMap<Endpoint, u64> = BTreeMap::new();
    let mut orders_by_op: BTreeMap<Op, u64> = BTreeMap::new();
    for r in &reqs {
        *by_ep.entry(r.kind.endpoint()).or_default() += 1;
        let op = match r.kind.endpoint() {
            Endpoint::CreateBatch | Endpoint::Create => Op::Place,
            Endpoint::AmendBatch | Endpoint::Amend => Op::Amend,
            _ => Op::Cancel,
        };
        *orders_by_op.entry(op).or_default() += links(r).len() as u64;
    }
    assert_eq!(t.requests, by_ep);
    assert_eq!(t.commands, orders_by_op);
    assert_eq!(
        t.coalesced, orders_by_op,
        "every order travelled in a batch of 20"
    );
    assert_eq!(t.tick, 2);
    assert_eq!(t.duration_ms, 10);
    assert_eq!(t.live_orders, 40);
    let totals = e.totals();
    // 4 recovery listings, 2 place batches, 2 cancel batches, 2 place batches.
    assert_eq!(totals.requests.values().sum::<u64>(), 10);
}

/// One batch carries orders of several symbols, each with its own symbol.
#[test]
fn one_batch_carries_several_symbols() {
    let sc = Scenario::seed();
    let mut e = engine(&sc);
    let out = tick(&mut e, 0, sc.books(0, Timestamp(0)));
    let reqs = sends(&out);
    assert_eq!(reqs.len(), 2);
    let syms: Vec<String> = symbols(&reqs[0]);
    assert_eq!(syms.len(), 20);
    assert_eq!(&syms[..10], &["BTCUSDT"; 10]);
    assert_eq!(&syms[10..], &["ETHUSDT"; 10]);
    let RequestKind::PlaceBatch { orders, .. } = &reqs[0].kind else {
        panic!("not a place batch")
    };
    // Each order carries its own symbol's grid.
    assert_eq!(orders[0].qty.to_string(), "0.001");
    assert_eq!(orders[10].qty.to_string(), "0.01");

    // The seed's per-symbol scope keeps them apart.
    let mut e = engine_with(&sc, |c| {
        c.async_batch.coalesce_scope = CoalesceScope::Symbol
    });
    let reqs = sends(&tick(&mut e, 0, sc.books(0, Timestamp(0))));
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        let s = symbols(r);
        assert!(s.iter().all(|x| *x == s[0]), "{s:?}");
    }
}
