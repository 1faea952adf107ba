//! `quoting.reprice = "planned"` at Bybit's default tier (10 orders a second
//! per batch endpoint): the seed scenario's market moves 3 bps every second
//! (every fifth tick), more than the budget can reprice. The planner must
//! never send more than the budget (no 10006), never leave an order resting
//! beyond `max_deviation_bps` of the nearest target of its side once its
//! tick is done, and spend on the inner levels first.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use mm_core::config::{RateLimitConfig, Reprice};
use mm_core::virtual_exchange::{Driver, Scenario, VirtualExchange};
use mm_core::{BookTop, Decimal, Engine, SessionId, Side, Timestamp};
use proptest::prelude::*;

const MAX_DEV_BPS: u32 = 3;

fn planned(sc: &Scenario, rate: u32, max_dev: u32) -> Driver {
    let mut config = sc.config.clone();
    config.quoting.reprice = Reprice::Planned;
    config.quoting.max_deviation_bps = max_dev;
    let limits = if rate == 10 {
        RateLimitConfig::default()
    } else {
        RateLimitConfig::uniform(rate)
    };
    config.rate_limits = limits.clone();
    let engine = Engine::new(
        config,
        sc.instruments.clone(),
        SessionId::new("plan").unwrap(),
    )
    .unwrap();
    let vx = VirtualExchange::new(&sc.instruments, limits);
    let mut d = Driver::new(engine, vx, Timestamp(0), 10);
    common::remember_names(&d.engine);
    common::recover(&mut d);
    d.keep_effects = true;
    d
}

/// The market of tick `k`: one 3 bps step every fifth tick (every second).
fn books(sc: &Scenario, k: u64, now: Timestamp) -> Vec<BookTop> {
    sc.books(k / 5, now)
}

/// Books around `mids` (ticks), one tick either side.
fn books_at(sc: &Scenario, mids: &[i64], now: Timestamp) -> Vec<BookTop> {
    sc.instruments
        .iter()
        .zip(mids)
        .map(|(inst, m)| BookTop {
            symbol: inst.symbol.as_str().into(),
            bid: inst.price_string(mm_core::Ticks(m - 1)).into(),
            ask: inst.price_string(mm_core::Ticks(m + 1)).into(),
            received_ms: now,
        })
        .collect()
}

/// An order of ours at the exchange further than `bound` bps from every
/// target of its side against `books`, described; `None` when there is none.
fn past(sc: &Scenario, d: &Driver, books: &[BookTop], bound: u32) -> Option<String> {
    for ((symbol, side), prices) in &targets(sc, books) {
        let inst = sc.instruments.iter().find(|i| &i.symbol == symbol).unwrap();
        for o in d.exchange.open_orders().values() {
            if &o.symbol != symbol || o.side != *side {
                continue;
            }
            let p = inst
                .price_ticks(&o.price.parse::<Decimal>().unwrap())
                .unwrap()
                .0;
            if !prices.iter().any(|t| within(p, *t, bound)) {
                let off: Vec<i128> = prices.iter().map(|t| hundredths(p, *t)).collect();
                return Some(format!(
                    "{symbol} {side:?} at {p}: {off:?} hundredths of a bp from targets {prices:?}"
                ));
            }
        }
    }
    None
}

/// The ladder's prices per (symbol, side), level 0 first, in ticks: core's
/// integer formula (`engine/quote.rs`).
fn targets(sc: &Scenario, books: &[BookTop]) -> BTreeMap<(String, Side), Vec<i64>> {
    let q = &sc.config.quoting;
    let mut out = BTreeMap::new();
    for b in books {
        let inst = sc
            .instruments
            .iter()
            .find(|i| i.symbol == b.symbol)
            .unwrap();
        let ticks = |s: &str| inst.price_ticks(&s.parse::<Decimal>().unwrap()).unwrap().0;
        let m2 = i128::from(ticks(&b.bid)) + i128::from(ticks(&b.ask));
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        for i in 0..q.levels {
            let off = i128::from(q.spread_bps) + 2 * i128::from(i) * i128::from(q.step_bps);
            bids.push((m2 * (20_000 - off)).div_euclid(40_000) as i64);
            asks.push((m2 * (20_000 + off) + 39_999).div_euclid(40_000) as i64);
        }
        out.insert((b.symbol.to_string(), Side::Buy), bids);
        out.insert((b.symbol.to_string(), Side::Sell), asks);
    }
    out
}

/// Whether `price` is within `bps` of `target` (exactly, in integers).
fn within(price: i64, target: i64, bps: u32) -> bool {
    i128::from((price - target).abs()) * 10_000 <= i128::from(bps) * i128::from(target)
}

/// Distance of `price` from `target` in hundredths of a bp, for messages.
fn hundredths(price: i64, target: i64) -> i128 {
    i128::from((price - target).abs()) * 1_000_000 / i128::from(target)
}

#[test]
fn planned_holds_the_bound_spends_inner_first_and_never_overspends() {
    let sc = Scenario::seed();
    let mut d = planned(&sc, 10, MAX_DEV_BPS);
    let levels = sc.config.quoting.levels as usize;
    let tol = sc.config.quoting.reprice_tolerance_bps;
    // Per level: samples (end of a tick) with an order of ours within
    // tolerance of the level's target, per (symbol, side).
    let mut covered = vec![0u64; levels];
    let mut samples = 0u64;
    for k in 0..100 {
        let now = d.now;
        let b = books(&sc, k, now);
        d.run_ticks(1, 200, |_, now| books(&sc, k, now));
        if let Some(what) = past(&sc, &d, &b, MAX_DEV_BPS) {
            panic!("tick {k}: beyond {MAX_DEV_BPS} bps: {what}");
        }
        let t = targets(&sc, &b);
        samples += 1;
        for ((symbol, side), prices) in &t {
            let inst = sc.instruments.iter().find(|i| &i.symbol == symbol).unwrap();
            let ours: Vec<i64> = d
                .exchange
                .open_orders()
                .values()
                .filter(|o| &o.symbol == symbol && o.side == *side)
                .map(|o| {
                    inst.price_ticks(&o.price.parse::<Decimal>().unwrap())
                        .unwrap()
                        .0
                })
                .collect();
            for (level, target) in prices.iter().enumerate() {
                if ours.iter().any(|p| within(*p, *target, tol)) {
                    covered[level] += 1;
                }
            }
        }
    }
    d.run_idle(10_000);
    assert_eq!(d.exchange.stats.rate_limited, 0, "no 10006");
    // Inner levels first: coverage never grows outwards, and the inner
    // level (8 orders, within the amend budget alone) is nearly always on
    // target at the end of a tick.
    let per_side = samples * 8;
    assert!(
        covered.windows(2).all(|w| w[0] >= w[1]),
        "coverage by level {covered:?}"
    );
    assert!(
        covered[0] * 100 >= per_side * 90,
        "inner {covered:?} of {per_side}"
    );
    // The planner said what it did.
    assert!(d.log.contains("cancel+place"), "{}", d.log);
    // Units actually sent per endpoint within any rolling second <= 10.
    let (used, ep, t0) = common::busiest_second(&d.effects).expect("orders were sent");
    assert!(used <= 10, "{used} units on {ep:?} in the second from {t0}");
    let t = d.engine.totals();
    assert_eq!(
        t.stale_amends, 0,
        "the planner queues no amend the budget cannot carry: {t:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any market walk (one step a second per symbol, up to 20 bps), any
    /// budget from 3 to 40 orders a second, any bound: once a tick is done
    /// (its cancels answered), no order of ours rests beyond the bound, and
    /// nothing is ever rate limited.
    #[test]
    fn the_bound_holds_and_the_budget_is_never_overspent(
        rate in 3u32..=40,
        max_dev in 1u32..=8,
        steps in prop::collection::vec(prop::collection::vec(-200i64..=200, 4), 2..8),
    ) {
        let sc = Scenario::seed();
        let mut d = planned(&sc, rate, max_dev);
        let mut mids: Vec<i64> = sc.books(0, Timestamp(0))
            .iter()
            .zip(&sc.instruments)
            .map(|(b, i)| i.price_ticks(&b.bid.parse::<Decimal>().unwrap()).unwrap().0 + 1)
            .collect();
        for step in &steps {
            // Steps in 0.1 bps of mid.
            for (m, s) in mids.iter_mut().zip(step) {
                *m += *m * s / 100_000;
            }
            for _ in 0..5 {
                let b = books_at(&sc, &mids, d.now);
                let now = d.now;
                let done = d.ticks_done.len();
                d.feed(mm_core::Input::Tick { now_ms: now, books: b.clone() });
                // Until the tick is done, then on to the next 200 ms.
                while d.ticks_done.len() == done && d.now.since(now) < 60_000 {
                    let t = d.now.plus_ms(1);
                    d.run_until(t);
                }
                prop_assert!(d.ticks_done.len() > done, "tick not done in a minute");
                let beyond = past(&sc, &d, &b, max_dev);
                prop_assert!(beyond.is_none(), "beyond {} bps: {:?}", max_dev, beyond);
                let next = d.now.plus_ms(200 - d.now.since(now) % 200);
                d.run_until(next);
            }
        }
        prop_assert_eq!(d.exchange.stats.rate_limited, 0);
    }
}
