//! The seed scenario against the virtual exchange, fault-free: 4 symbols,
//! 5 levels a side, every price moved every tick, 100 ticks.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use mm_core::config::{CoalesceScope, Config, Reprice};
use mm_core::effect::Endpoint;
use mm_core::virtual_exchange::{Driver, Scenario, VirtualExchange};
use mm_core::{Engine, SessionId, TickStats, Timestamp};

const TICKS: u64 = 100;

fn run(tweak: impl FnOnce(&mut Config), latency_ms: u64) -> (Driver, Scenario) {
    let mut sc = Scenario::seed();
    tweak(&mut sc.config);
    let engine = Engine::new(
        sc.config.clone(),
        sc.instruments.clone(),
        SessionId::new("seed").unwrap(),
    )
    .unwrap();
    let vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    let mut driver = Driver::new(engine, vx, Timestamp(1_700_000_000_000), latency_ms);
    driver.run_ticks(TICKS, 200, |k, now| sc.books(k, now));
    // The last replies; not as far as the books' expiry (max_book_age_ms),
    // which would pull every quote in a tick of its own.
    driver.run_idle(1_000);
    (driver, sc)
}

fn requests(t: &TickStats) -> BTreeMap<Endpoint, u64> {
    t.requests.clone()
}

fn total(t: &TickStats) -> u64 {
    t.requests.values().sum()
}

/// Every tick accounted for, nothing dropped, nothing unknown, and core's
/// live orders are exactly the exchange's open orders.
fn assert_clean(d: &Driver) {
    assert_eq!(d.ticks_done.len() as u64, TICKS, "one TickDone per tick");
    for t in &d.ticks_done {
        assert_eq!(t.stale_drops, 0, "tick {}", t.tick);
        assert_eq!(t.conflated, 0, "tick {}", t.tick);
        assert_eq!(t.fallbacks + t.rejects + t.requeued, 0, "tick {}", t.tick);
        assert_eq!(t.live_orders, 40, "tick {}", t.tick);
    }
    assert_eq!(d.exchange.stats.rate_limited, 0);
    let (ours, theirs) = common::resting(d);
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 40);
}

#[test]
fn cross_symbol_cancel_place_is_4_requests_a_tick() {
    let (d, _) = run(|_| {}, 10);
    assert_clean(&d);
    let first = &d.ticks_done[0];
    assert_eq!(
        requests(first),
        BTreeMap::from([(Endpoint::CreateBatch, 2)]),
        "first tick: places only"
    );
    assert_eq!(first.commands.get(&mm_core::Op::Place), Some(&40));
    assert_eq!(first.commands.get(&mm_core::Op::Cancel), None);
    for t in &d.ticks_done[1..] {
        assert_eq!(
            requests(t),
            BTreeMap::from([(Endpoint::CreateBatch, 2), (Endpoint::CancelBatch, 2)]),
            "tick {}",
            t.tick
        );
        assert_eq!(t.coalesced.get(&mm_core::Op::Cancel), Some(&40));
        assert_eq!(t.coalesced.get(&mm_core::Op::Place), Some(&40));
        // Cancel round then place round: two latencies.
        assert_eq!(t.duration_ms, 20, "tick {}", t.tick);
    }
}

#[test]
fn per_symbol_scope_is_8_requests_a_tick() {
    let (d, _) = run(|c| c.async_batch.coalesce_scope = CoalesceScope::Symbol, 10);
    assert_clean(&d);
    assert_eq!(
        requests(&d.ticks_done[0]),
        BTreeMap::from([(Endpoint::CreateBatch, 4)])
    );
    for t in &d.ticks_done[1..] {
        assert_eq!(
            requests(t),
            BTreeMap::from([(Endpoint::CreateBatch, 4), (Endpoint::CancelBatch, 4)]),
            "tick {}",
            t.tick
        );
    }
}

#[test]
fn amend_is_2_requests_a_tick() {
    let (d, _) = run(|c| c.quoting.reprice = Reprice::Amend, 10);
    assert_clean(&d);
    assert_eq!(
        requests(&d.ticks_done[0]),
        BTreeMap::from([(Endpoint::CreateBatch, 2)])
    );
    for t in &d.ticks_done[1..] {
        assert_eq!(
            requests(t),
            BTreeMap::from([(Endpoint::AmendBatch, 2)]),
            "tick {}",
            t.tick
        );
        assert_eq!(t.duration_ms, 10, "one round trip");
    }
}

#[test]
fn legacy_is_80_single_requests_one_at_a_time() {
    let (d, _) = run(|c| c.async_batch.enabled = false, 1);
    assert_clean(&d);
    assert_eq!(d.max_in_flight, 1, "legacy sends one request at a time");
    assert_eq!(
        requests(&d.ticks_done[0]),
        BTreeMap::from([(Endpoint::Create, 40)])
    );
    for t in &d.ticks_done[1..] {
        assert_eq!(total(t), 80, "tick {}", t.tick);
        assert_eq!(
            requests(t),
            BTreeMap::from([(Endpoint::Create, 40), (Endpoint::Cancel, 40)])
        );
        assert!(t.coalesced.is_empty());
    }
}

#[test]
fn log_stays_small_and_replays_identically() {
    let (a, _) = run(|_| {}, 10);
    let (b, _) = run(|_| {}, 10);
    assert_eq!(a.log, b.log);
    assert!(a.log.len() < 100_000, "log is {} bytes", a.log.len());
}

#[test]
#[ignore = "prints a log sample"]
fn print_log() {
    let (a, _) = run(|_| {}, 10);
    println!("{}", &a.log[..3000]);
    println!("bytes {}", a.log.len());
}
