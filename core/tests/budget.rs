//! Bybit's default tier (10 units/s per endpoint; a batch costs one unit per
//! order): the seed scenario cannot fit, and the engine must degrade safely:
//! never overspend, cancel before it places, thin its quotes fairly: the
//! innermost levels of every symbol before any outer level.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use mm_core::config::RateLimitConfig;
use mm_core::effect::Endpoint;
use mm_core::virtual_exchange::{Driver, Scenario, VirtualExchange};
use mm_core::{Engine, SessionId, Timestamp};

fn default_tier(ticks: u64) -> Driver {
    let sc = Scenario::seed();
    let mut d = default_tier_driver(&sc);
    d.run_ticks(ticks, 200, |k, now| sc.books(k, now));
    d.run_idle(10_000);
    d
}

fn default_tier_driver(sc: &Scenario) -> Driver {
    default_tier_with(sc, |_| {})
}

fn default_tier_with(sc: &Scenario, tweak: impl Fn(&mut mm_core::Config)) -> Driver {
    let mut config = sc.config.clone();
    tweak(&mut config);
    config.rate_limits = RateLimitConfig::default();
    let engine = Engine::new(
        config,
        sc.instruments.clone(),
        SessionId::new("tier").unwrap(),
    )
    .unwrap();
    let vx = VirtualExchange::new(&sc.instruments, RateLimitConfig::default());
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    common::remember_names(&d.engine);
    common::recover(&mut d);
    d.keep_effects = true;
    d
}

/// (symbol, side, level) of every order core tracks right now.
fn quoted(d: &Driver) -> BTreeSet<(String, mm_core::Side, u32)> {
    d.engine
        .orders()
        .into_iter()
        .map(|o| (o.symbol, o.side, o.level))
        .collect()
}

#[test]
fn thinning_quotes_every_symbols_innermost_levels_first() {
    use mm_core::Side::{Buy, Sell};
    let sc = Scenario::seed();
    let symbols = sc.config.quoting.symbols.clone();
    assert_eq!(symbols.len(), 4);
    let mut d = default_tier_driver(&sc);
    // Per symbol: ticks that ended with its level-0 bid AND ask quoted.
    let mut inner_quoted: BTreeMap<String, u64> = BTreeMap::new();
    let mut placed_ticks = 0u64;
    for k in 0..40 {
        d.run_ticks(1, 200, |_, now| sc.books(k, now));
        let q = quoted(&d);
        if k == 0 {
            // 10 create units: level 0 bid + ask of all four symbols (8),
            // then level 1 of the first symbol (2). Nothing further out.
            let mut want = BTreeSet::new();
            for (i, s) in symbols.iter().enumerate() {
                for side in [Buy, Sell] {
                    want.insert((s.clone(), side, 0));
                    if i == 0 {
                        want.insert((s.clone(), side, 1));
                    }
                }
            }
            let mut want_sorted: Vec<_> = want.into_iter().collect();
            want_sorted.sort();
            let mut got: Vec<_> = q.iter().cloned().collect();
            got.sort();
            assert_eq!(got, want_sorted, "first tick at 10/s");
        }
        if !q.is_empty() {
            placed_ticks += 1;
        }
        for s in &symbols {
            if q.contains(&(s.clone(), Buy, 0)) && q.contains(&(s.clone(), Sell, 0)) {
                *inner_quoted.entry(s.clone()).or_insert(0) += 1;
            }
            // Never an outer level of a symbol whose innermost is missing
            // while another symbol holds an outer level.
            let outer = q.iter().any(|(_, _, l)| *l > 0);
            if outer {
                assert!(
                    q.contains(&(s.clone(), Buy, 0)) && q.contains(&(s.clone(), Sell, 0)),
                    "tick {k}: an outer level is quoted while {s} lacks level 0: {q:?}"
                );
            }
        }
    }
    assert!(placed_ticks > 0);
    // Every symbol is quoted at level 0 as often as any other: none starves.
    let counts: Vec<u64> = symbols
        .iter()
        .map(|s| inner_quoted.get(s).copied().unwrap_or(0))
        .collect();
    assert!(
        counts.iter().all(|c| *c == counts[0] && *c > 0),
        "{counts:?}"
    );
    assert_eq!(d.exchange.stats.rate_limited, 0);
}

#[test]
fn default_tier_is_never_overspent() {
    let d = default_tier(100);
    assert_eq!(d.exchange.stats.rate_limited, 0, "no 10006 caused by us");
    let t = d.engine.totals();
    assert!(t.rate_deferrals > 0, "{t:?}");
    // Units actually sent per endpoint within any rolling second stay <= 10.
    let (used, ep, t0) = common::busiest_second(&d.effects).expect("orders were sent");
    assert!(used <= 10, "{used} units on {ep:?} in the second from {t0}");
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

type Tweak = fn(&mut mm_core::Config);

#[test]
fn thinning_is_fair_with_per_symbol_batches_and_in_legacy_mode() {
    let sc = Scenario::seed();
    let tweaks: [(&str, Tweak); 2] = [
        ("scope = symbol", |c| {
            c.async_batch.coalesce_scope = mm_core::config::CoalesceScope::Symbol;
        }),
        ("legacy", |c| c.async_batch.enabled = false),
    ];
    for (name, tweak) in tweaks {
        let mut d = default_tier_with(&sc, tweak);
        d.run_ticks(1, 200, |k, now| sc.books(k, now));
        let q = quoted(&d);
        for s in &sc.config.quoting.symbols {
            for side in [mm_core::Side::Buy, mm_core::Side::Sell] {
                assert!(
                    q.contains(&(s.clone(), side, 0)),
                    "{name}: {s} {side:?} level 0 not quoted after the first tick: {q:?}"
                );
            }
        }
        assert!(q.len() <= 10, "{name}: {q:?}");
        assert!(q.iter().all(|(_, _, l)| *l <= 1), "{name}: {q:?}");
        assert_eq!(d.exchange.stats.rate_limited, 0, "{name}");
    }
}

#[test]
#[ignore = "prints a log"]
fn print_tier_log() {
    let d = default_tier(12);
    println!("{}", d.log);
}

mod headers {
    //! The budget corrected from `X-Bapi-Limit*` headers, seen through
    //! `TickStats::budget_headroom` right after the reply that carried them.
    use super::*;
    use mm_core::input::{Outcome, RateLimitStatus};

    use crate::common;

    /// Create-batch headroom after one place batch of 10 orders (configured
    /// 100 units/s) answered OK with `status`, and the tick's log.
    fn headroom_after(status: RateLimitStatus) -> (u64, String) {
        let sc = Scenario::wide(1, 5);
        let mut e = common::engine_with(&sc, |c| c.rate_limits.create_batch = 100);
        let r = common::sends(&common::tick(&mut e, 0, sc.books(0, Timestamp(0))))[0].clone();
        assert_eq!(r.kind.endpoint(), Endpoint::CreateBatch);
        let Outcome::Reply(mut reply) = common::ok(&r) else {
            unreachable!()
        };
        reply.rate_limit = Some(status);
        let out = common::respond(&mut e, 10, &r, Outcome::Reply(reply));
        let done = common::tick_done(&out);
        assert_eq!(done.len(), 1);
        (
            done[0].budget_headroom[&Endpoint::CreateBatch],
            common::logs(&out),
        )
    }

    fn status(limit: u32, remaining: u32) -> RateLimitStatus {
        RateLimitStatus {
            limit,
            remaining,
            reset_ms: Timestamp(1000),
        }
    }

    #[test]
    fn the_exchange_can_lower_the_budget() {
        // It says 30 left: we thought 90 (100 - our 10).
        assert_eq!(headroom_after(status(100, 30)).0, 30);
        // A lower limit: capacity 40, our 10 spent.
        assert_eq!(headroom_after(status(40, 30)).0, 30);
        assert_eq!(
            headroom_after(status(100, 95)).0,
            90,
            "never raised by remaining"
        );
    }

    #[test]
    fn the_exchange_cannot_raise_it_above_the_config() {
        // A limit of 5000 would leave 4990 of headroom: the config's 100 stands.
        let (headroom, log) = headroom_after(status(5000, 4990));
        assert_eq!(headroom, 90);
        assert!(!log.contains("make no sense"));
    }

    #[test]
    fn nonsense_headers_are_ignored_and_said_so() {
        for (limit, remaining) in [(0, 50), (20, 500), (0, 0)] {
            let (headroom, log) = headroom_after(status(limit, remaining));
            assert_eq!(headroom, 90, "limit {limit} remaining {remaining}");
            assert!(
                log.contains(&format!(
                    "rate-limit headers of create_batch make no sense (limit {limit}, remaining {remaining}): ignored"
                )),
                "{log}"
            );
        }
    }
}
