//! Bybit's default tier (10 units/s per endpoint; a batch costs one unit per
//! order): the seed scenario cannot fit, and the engine must degrade safely:
//! never overspend, cancel before it places, thin its quotes.
#![allow(clippy::unwrap_used)]

use mm_core::config::RateLimitConfig;
use mm_core::effect::{Effect, Endpoint};
use mm_core::virtual_exchange::{Driver, Scenario, VirtualExchange};
use mm_core::{Engine, SessionId, Timestamp};

fn default_tier(ticks: u64) -> Driver {
    let mut sc = Scenario::seed();
    sc.config.rate_limits = RateLimitConfig::default();
    let engine = Engine::new(
        sc.config.clone(),
        sc.instruments.clone(),
        SessionId::new("tier").unwrap(),
    )
    .unwrap();
    let vx = VirtualExchange::new(&sc.instruments, RateLimitConfig::default());
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    d.keep_effects = true;
    d.run_ticks(ticks, 200, |k, now| sc.books(k, now));
    d.run_idle(10_000);
    d
}

#[test]
fn default_tier_is_never_overspent() {
    let d = default_tier(100);
    assert_eq!(d.exchange.stats.rate_limited, 0, "no 10006 caused by us");
    let t = d.engine.totals();
    assert!(t.rate_deferrals > 0, "{t:?}");
    // Units actually sent per endpoint within any rolling second stay <= 10.
    let mut spends: Vec<(u64, Endpoint, u64)> = Vec::new();
    let mut now = 0;
    for e in &d.effects {
        match e {
            Effect::Log(l) => now = l.t_ms,
            Effect::Send(r) => {
                let n = match &r.kind {
                    mm_core::RequestKind::PlaceBatch { orders, .. } => orders.len(),
                    mm_core::RequestKind::CancelBatch { orders, .. } => orders.len(),
                    mm_core::RequestKind::AmendBatch { orders, .. } => orders.len(),
                    _ => 1,
                };
                spends.push((now, r.kind.endpoint(), n as u64));
            }
            _ => {}
        }
    }
    for (i, (t0, ep, _)) in spends.iter().enumerate() {
        let used: u64 = spends[i..]
            .iter()
            .filter(|(t, e, _)| e == ep && *t < t0 + 1000)
            .map(|(_, _, n)| n)
            .sum();
        assert!(
            used <= 10,
            "{} units on {ep:?} in the second from {t0}",
            used
        );
    }
}

#[test]
fn cancels_go_first_and_quotes_thin_out() {
    let d = default_tier(100);
    // Within every tick, no place goes out before the tick's last cancel.
    let mut in_tick_places = false;
    for line in d.log.lines() {
        if line.contains(" start: ") {
            in_tick_places = false;
        }
        if line.contains("> create_batch") {
            in_tick_places = true;
        }
        if line.contains("> cancel_batch") {
            assert!(!in_tick_places, "cancel after a place in one tick: {line}");
        }
    }
    let t = d.engine.totals();
    assert!(
        t.stale_drops > 0,
        "places that did not fit were dropped: {t:?}"
    );
    assert_eq!(
        t.commands.get(&mm_core::Op::Cancel).copied().unwrap_or(0),
        t.gone_by_reason.get("cancelled").copied().unwrap_or(0),
        "every cancel decided was sent and done: {t:?}"
    );
    // Thin quotes: far fewer than 40 live, but quoting goes on.
    let live: Vec<u64> = d.ticks_done.iter().map(|s| s.live_orders).collect();
    assert!(live.iter().all(|l| *l <= 10), "{live:?}");
    assert!(live.iter().any(|l| *l > 0), "{live:?}");
    // And what core believes is what the exchange has.
    let ours: Vec<String> = d
        .engine
        .orders()
        .into_iter()
        .map(|o| o.order_link_id)
        .collect();
    let theirs: Vec<String> = d.exchange.open_orders().keys().cloned().collect();
    let (mut a, mut b) = (ours, theirs);
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
#[ignore = "prints a log"]
fn print_tier_log() {
    let d = default_tier(12);
    println!("{}", d.log);
}
