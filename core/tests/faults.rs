//! The seed scenario with scripted faults: nothing is lost, and once
//! everything has settled core's live orders are the exchange's open orders.
#![allow(clippy::unwrap_used)]

mod common;

use mm_core::config::{Config, Reprice};
use mm_core::virtual_exchange::{Driver, Fault, Scenario, VirtualExchange};
use mm_core::{Engine, SessionId, Timestamp};

fn faults() -> Vec<Fault> {
    vec![
        Fault::TimeoutApplied,
        Fault::TimeoutNotApplied,
        Fault::Http(503),
        Fault::RejectItem {
            index: 3,
            code: 10001,
        },
        Fault::RateTail { keep: 7 },
        Fault::Malformed,
        Fault::TopLevel(10001),
        Fault::ShortCodes,
        Fault::TopLevel(10006),
        Fault::Http(429),
        Fault::TopLevel(10000),
        Fault::RejectItem {
            index: 0,
            code: 10001,
        },
        Fault::Http(502),
        Fault::RejectItem {
            index: 0,
            code: 10000,
        },
    ]
}

fn run(tweak: impl FnOnce(&mut Config), first: u64, every: u64, ticks: u64) -> Driver {
    // The books stay fresh while everything settles (a minute without ticks
    // below).
    let (sc, engine, mut vx) = common::settling_seed("flt", tweak);
    for (i, f) in faults().into_iter().cycle().take(40).enumerate() {
        vx.script_orders(first + every * i as u64, f);
    }
    // And a few on whatever comes (settle queries included).
    for (i, f) in faults().into_iter().take(8).enumerate() {
        vx.script(first * 31 + 53 * i as u64, f);
    }
    let mut d = Driver::new(engine, vx, Timestamp(1_000_000), 10);
    d.run_ticks(ticks, 200, |k, now| sc.books(k, now));
    // Let every unknown settle (a lost create waits out the recv window).
    d.run_idle(60_000);
    d
}

fn assert_reconciled(d: &Driver) {
    assert!(d.exchange.stats.faults_applied >= 20, "faults actually hit");
    let ours = common::assert_settled(d);
    assert_eq!(d.exchange.stats.rate_limited, 0, "we never overspend");
    assert!(!ours.is_empty());
}

#[test]
fn cancel_place_with_faults_loses_nothing() {
    let d = run(|_| {}, 5, 7, 120);
    assert_reconciled(&d);
    let t = d.engine.totals();
    assert!(t.fallbacks > 0, "{t:?}");
    assert!(t.rejects > 0, "{t:?}");
    assert!(t.requeued > 0, "{t:?}");
    assert!(t.unknowns > 0, "{t:?}");
    assert!(d.log.contains("fall back to single requests"));
    assert!(
        d.log.contains("settled: open"),
        "a timed-out applied create was found"
    );
    assert!(
        d.log.contains("never_created"),
        "a lost create was declared never created"
    );
}

#[test]
fn amend_with_faults_loses_nothing() {
    let d = run(|c| c.quoting.reprice = Reprice::Amend, 3, 5, 120);
    assert_reconciled(&d);
}

#[test]
fn legacy_with_faults_loses_nothing() {
    let d = run(
        |c| {
            c.async_batch.enabled = false;
            c.async_batch.tick_deadline_ms = 150;
        },
        11,
        13,
        60,
    );
    assert_reconciled(&d);
}

#[test]
fn place_with_cancel_and_faults_loses_nothing() {
    let d = run(|c| c.async_batch.place_with_cancel = true, 2, 9, 120);
    assert_reconciled(&d);
}

#[test]
fn ip_limit_pauses_everything_then_recovers() {
    let mut sc = Scenario::seed();
    sc.config.async_batch.tick_deadline_ms = 200;
    let engine = Engine::new(
        sc.config.clone(),
        sc.instruments.clone(),
        SessionId::new("ip").unwrap(),
    )
    .unwrap();
    let mut vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    // Request 3 after the 4 recovery listings: tick 2's first cancel batch.
    vx.script(4 + 3, Fault::Http(403));
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    d.run_ticks(100, 200, |k, now| sc.books(k, now));
    d.run_idle(30_000);
    assert_eq!(d.engine.totals().ip_pauses, 1);
    assert!(d.log.contains("HTTP 403"));
    // Nothing went out during the pause (10 s after the 403 reply at 210 ms).
    let resumed = d
        .log
        .lines()
        .position(|l| l.contains("sending resumes"))
        .unwrap();
    let paused = d.log.lines().position(|l| l.contains("HTTP 403")).unwrap();
    assert!(
        d.log
            .lines()
            .skip(paused + 1)
            .take(resumed - paused - 1)
            .all(|l| !l.contains(" > ")),
        "no request sent while paused"
    );
    assert_reconciled_loose(&d);
}

fn assert_reconciled_loose(d: &Driver) {
    let (ours, theirs) = common::resting(d);
    assert_eq!(ours, theirs);
}

#[test]
#[ignore = "prints a log"]
fn print_fault_log() {
    let d = run(|c| c.quoting.reprice = Reprice::Amend, 3, 5, 120);
    println!("{}", d.log);
}
