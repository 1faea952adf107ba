//! `[risk]` limits (engine/risk.rs): each limit binds what it should, the
//! other side or symbols keep quoting, one log line per change, every block
//! counted. Each test fails when its check is taken out.
#![allow(clippy::unwrap_used)]

mod common;

use mm_core::config::{Config, PerSymbol};
use mm_core::engine::RiskLimited;
use mm_core::virtual_exchange::{Driver, Scenario};
use mm_core::{Input, OrderView, Side};

/// The seed scenario past recovery, `tweak`ed, with its first tick done.
fn start(tweak: impl FnOnce(&mut Config)) -> (Scenario, Driver) {
    let (sc, mut d) = common::scripted_seed("r", tweak, |_| {});
    tick_at(&sc, &mut d, 0);
    (sc, d)
}

/// A tick on the scenario's `k`-th books, run until idle.
fn tick_at(sc: &Scenario, d: &mut Driver, k: u64) {
    let books = sc.books(k, d.now);
    d.feed(Input::Tick {
        now_ms: d.now,
        books,
    });
    d.run_idle(5_000);
}

/// Open orders of ours at the exchange on `symbol`'s `side`.
fn at_exchange(d: &Driver, symbol: &str, side: Side) -> usize {
    d.exchange
        .open_orders()
        .values()
        .filter(|o| o.symbol == symbol && o.side == side)
        .count()
}

fn order(d: &Driver, symbol: &str, side: Side, level: u32) -> OrderView {
    d.engine
        .orders()
        .into_iter()
        .find(|o| o.symbol == symbol && o.side == side && o.level == level)
        .unwrap()
}

/// The order at `level` fills whole: the stream says so, the exchange closes it.
fn fill(d: &mut Driver, symbol: &str, side: Side, level: u32, id: &str) {
    let o = order(d, symbol, side, level);
    let x = common::exec(&o, id, &o.qty, "0", 0);
    let now = d.now;
    d.feed(Input::Executions {
        now_ms: now,
        executions: vec![x],
    });
    d.exchange.close(&o.order_link_id, "Filled");
}

fn blocks(d: &Driver, limit: &str) -> u64 {
    d.engine.risk_blocks().get(limit).copied().unwrap_or(0)
}

fn one(symbol: &str, v: &str) -> PerSymbol<mm_core::Decimal> {
    PerSymbol::Each([(symbol.to_string(), v.parse().unwrap())].into())
}

#[test]
fn no_risk_section_changes_nothing() {
    let (_, d) = start(|_| {});
    assert_eq!(d.engine.order_counts().live, 40);
    assert!(d.engine.risk_blocks().is_empty());
    assert!(!d.log.contains("risk:"), "{}", d.log);
}

#[test]
fn the_side_that_would_pass_max_position_is_not_quoted_the_other_side_is() {
    // XRPUSDT: 5 levels of 10 a side; worst case at start 0 + 50.
    let (sc, mut d) = start(|c| c.risk.max_position = Some(one("XRPUSDT", "60")));
    assert_eq!(d.engine.order_counts().live, 40);
    fill(&mut d, "XRPUSDT", Side::Buy, 0, "b1");
    fill(&mut d, "XRPUSDT", Side::Buy, 1, "b2");
    // Long 20: the bids would reach 20 + 50 > 60, the asks -20 + 50.
    tick_at(&sc, &mut d, 0);
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Buy), 0, "{}", d.log);
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Sell), 5, "{}", d.log);
    assert_eq!(at_exchange(&d, "BTCUSDT", Side::Buy), 5);
    assert!(
        d.log.contains(
            "risk: XRPUSDT Buy side limited: position 20 + open 50 (worst case) above max_position 60"
        ),
        "{}",
        d.log
    );
    assert_eq!(blocks(&d, "max_position"), 1);
    // What an outside strategy is told: the side, the limit, its values.
    assert_eq!(
        d.engine.risk_limited(),
        vec![RiskLimited {
            symbol: "XRPUSDT".to_string(),
            side: Side::Buy,
            limits: vec!["max_position".to_string()],
            detail: "position 20 + open 50 (worst case) above max_position 60".to_string(),
        }]
    );
    // Blocked again: counted, not logged again.
    tick_at(&sc, &mut d, 0);
    assert_eq!(blocks(&d, "max_position"), 2);
    assert_eq!(d.log.matches("above max_position").count(), 1, "{}", d.log);
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Buy), 0);

    // Sells fill: back to flat, the bids come back.
    fill(&mut d, "XRPUSDT", Side::Sell, 0, "s1");
    fill(&mut d, "XRPUSDT", Side::Sell, 1, "s2");
    tick_at(&sc, &mut d, 0);
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Buy), 5, "{}", d.log);
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Sell), 5);
    assert!(
        d.log
            .contains("risk: XRPUSDT Buy side: no limit binds any more (max_position lifted)"),
        "{}",
        d.log
    );
    assert_eq!(blocks(&d, "max_position"), 2);
    assert!(d.engine.risk_limited().is_empty());
}

#[test]
fn a_short_position_blocks_the_asks() {
    let (sc, mut d) = start(|c| c.risk.max_position = Some(PerSymbol::All("60".parse().unwrap())));
    fill(&mut d, "XRPUSDT", Side::Sell, 0, "s1");
    fill(&mut d, "XRPUSDT", Side::Sell, 1, "s2");
    tick_at(&sc, &mut d, 0);
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Sell), 0, "{}", d.log);
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Buy), 5);
    assert!(
        d.log.contains(
            "risk: XRPUSDT Sell side limited: position -20 + open 50 (worst case) above max_position 60"
        ),
        "{}",
        d.log
    );
}

#[test]
fn max_notional_values_the_worst_case_at_mid() {
    // XRPUSDT mid 2.5: 50 a side is 125; after 20 bought the bids' worst
    // case is 70 = 175.
    let (sc, mut d) = start(|c| c.risk.max_notional = Some(one("XRPUSDT", "150")));
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Buy), 5);
    fill(&mut d, "XRPUSDT", Side::Buy, 0, "b1");
    fill(&mut d, "XRPUSDT", Side::Buy, 1, "b2");
    tick_at(&sc, &mut d, 0);
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Buy), 0, "{}", d.log);
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Sell), 5);
    assert!(
        d.log.contains(
            "risk: XRPUSDT Buy side limited: worst case 70 at mid 2.5 = 175 above max_notional 150"
        ),
        "{}",
        d.log
    );
    assert_eq!(blocks(&d, "max_notional"), 1);
}

#[test]
fn no_order_above_max_order_qty_is_sent() {
    // XRPUSDT quotes 10 a level; ETHUSDT 0.01, within its 0.01.
    let (_, d) = start(|c| {
        c.risk.max_order_qty = Some(PerSymbol::Each(
            [
                ("XRPUSDT".to_string(), "5".parse().unwrap()),
                ("ETHUSDT".to_string(), "0.01".parse().unwrap()),
            ]
            .into(),
        ));
    });
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Buy), 0, "{}", d.log);
    assert_eq!(at_exchange(&d, "XRPUSDT", Side::Sell), 0);
    assert_eq!(at_exchange(&d, "ETHUSDT", Side::Buy), 5);
    assert_eq!(d.engine.order_counts().live, 30);
    assert!(
        d.log.contains(
            "risk: XRPUSDT Buy side limited: 5 levels of qty up to 10 above max_order_qty 5"
        ),
        "{}",
        d.log
    );
    assert_eq!(blocks(&d, "max_order_qty"), 2);
}

#[test]
fn levels_outside_the_price_band_are_not_quoted() {
    // Spread 10 bps, step 5: level i sits 5 + 5i bps from mid; a 16 bps
    // band keeps levels 0..=2.
    let (_, d) = start(|c| c.risk.price_band_bps = Some(16));
    for side in [Side::Buy, Side::Sell] {
        assert_eq!(at_exchange(&d, "BTCUSDT", side), 3, "{}", d.log);
    }
    assert!(d.engine.orders().iter().all(|o| o.level <= 2));
    assert!(
        d.log.contains(
            "risk: BTCUSDT Sell side limited: 2 levels further than price_band_bps 16 from mid 60000"
        ),
        "{}",
        d.log
    );
    assert_eq!(blocks(&d, "price_band"), 8);
}

#[test]
fn max_open_orders_drops_the_outermost_levels() {
    let (_, d) = start(|c| {
        c.risk.max_open_orders = Some(PerSymbol::Each([("SOLUSDT".to_string(), 7)].into()));
    });
    assert_eq!(at_exchange(&d, "SOLUSDT", Side::Buy), 4, "{}", d.log);
    assert_eq!(at_exchange(&d, "SOLUSDT", Side::Sell), 3);
    assert_eq!(at_exchange(&d, "BTCUSDT", Side::Sell), 5);
    let levels: Vec<u32> = (d.engine.orders().iter())
        .filter(|o| o.symbol == "SOLUSDT" && o.side == Side::Sell)
        .map(|o| o.level)
        .collect();
    assert_eq!(levels, [0, 1, 2]);
    assert!(
        d.log.contains(
            "risk: SOLUSDT Sell side limited: 0 unsettled + 10 quotes above max_open_orders 7: 2 outermost dropped"
        ),
        "{}",
        d.log
    );
    assert_eq!(blocks(&d, "max_open_orders"), 2);
}

/// A tick on the scenario's books with BTCUSDT's mid at `btc_mid`.
fn tick_btc(sc: &Scenario, d: &mut Driver, btc_mid: &str) {
    let mut books = sc.books(0, d.now);
    let mid: mm_core::Decimal = btc_mid.parse().unwrap();
    let tick: mm_core::Decimal = "0.1".parse().unwrap();
    for b in &mut books {
        if b.symbol == "BTCUSDT" {
            b.bid = mid.checked_sub(tick).unwrap().to_string().into();
            b.ask = mid.checked_add(tick).unwrap().to_string().into();
        }
    }
    d.feed(Input::Tick {
        now_ms: d.now,
        books,
    });
    d.run_idle(5_000);
}

#[test]
fn a_mid_jump_is_refused_until_a_second_book_confirms_it() {
    let (sc, mut d) = start(|c| c.risk.max_mid_jump_bps = Some(50));
    assert_eq!(d.engine.order_counts().live, 40);
    // BTCUSDT jumps 100 bps: no quotes.
    tick_btc(&sc, &mut d, "60600");
    assert_eq!(at_exchange(&d, "BTCUSDT", Side::Buy), 0, "{}", d.log);
    assert_eq!(at_exchange(&d, "BTCUSDT", Side::Sell), 0);
    assert_eq!(at_exchange(&d, "ETHUSDT", Side::Sell), 5);
    assert!(
        d.log.contains(
            "risk: BTCUSDT Buy side limited: mid 60600 moved more than max_mid_jump_bps 50 from 60000"
        ),
        "{}",
        d.log
    );
    assert_eq!(blocks(&d, "max_mid_jump"), 2);
    // The next book agrees with the refused one: the move is real.
    tick_btc(&sc, &mut d, "60610");
    assert_eq!(at_exchange(&d, "BTCUSDT", Side::Buy), 5, "{}", d.log);
    assert_eq!(blocks(&d, "max_mid_jump"), 2);
}

#[test]
fn a_one_book_spike_costs_quotes_while_it_lasts_only() {
    let (sc, mut d) = start(|c| c.risk.max_mid_jump_bps = Some(50));
    tick_btc(&sc, &mut d, "59000");
    assert_eq!(at_exchange(&d, "BTCUSDT", Side::Buy), 0);
    // Back where it was: within the bound of the last good book.
    tick_btc(&sc, &mut d, "60000");
    assert_eq!(at_exchange(&d, "BTCUSDT", Side::Buy), 5, "{}", d.log);
    assert_eq!(blocks(&d, "max_mid_jump"), 2);
}

fn level0(d: &Driver, symbol: &str) -> (String, String) {
    (
        order(d, symbol, Side::Buy, 0).price,
        order(d, symbol, Side::Sell, 0).price,
    )
}

#[test]
fn skew_moves_both_sides_against_the_position_within_its_bound() {
    // XRPUSDT: book 2.4999 / 2.5001, level 0 at 2.4987 / 2.5013 unskewed.
    let tweak = |c: &mut Config| {
        c.quoting.skew_bps_per_unit = "0.5".parse().unwrap();
        c.quoting.reprice_tolerance_bps = 0;
    };
    let (sc, mut d) = start(tweak);
    assert_eq!(level0(&d, "XRPUSDT"), ("2.4987".into(), "2.5013".into()));
    fill(&mut d, "XRPUSDT", Side::Buy, 3, "b1");
    fill(&mut d, "XRPUSDT", Side::Buy, 4, "b2");
    // Long 20 x 0.5 = 10 bps: 25 ticks lower, the spread kept.
    tick_at(&sc, &mut d, 0);
    assert_eq!(
        level0(&d, "XRPUSDT"),
        ("2.4962".into(), "2.4988".into()),
        "{}",
        d.log
    );
    // Other symbols have no position: unskewed.
    assert_eq!(order(&d, "BTCUSDT", Side::Buy, 0).price, "59970");
    // Short 20: 10 bps higher.
    for (i, level) in [0, 1, 2, 3].into_iter().enumerate() {
        fill(&mut d, "XRPUSDT", Side::Sell, level, &format!("s{i}"));
    }
    tick_at(&sc, &mut d, 0);
    assert_eq!(
        level0(&d, "XRPUSDT"),
        ("2.5012".into(), "2.5038".into()),
        "{}",
        d.log
    );
}

#[test]
fn skew_is_bounded_by_max_skew_bps() {
    let (sc, mut d) = start(|c| {
        c.quoting.skew_bps_per_unit = "0.5".parse().unwrap();
        c.quoting.max_skew_bps = 4;
        // Every order at its exact target (none kept within a tolerance).
        c.quoting.reprice_tolerance_bps = 0;
    });
    fill(&mut d, "XRPUSDT", Side::Buy, 3, "b1");
    fill(&mut d, "XRPUSDT", Side::Buy, 4, "b2");
    // 10 bps asked, 4 allowed: 10 ticks lower.
    tick_at(&sc, &mut d, 0);
    assert_eq!(
        level0(&d, "XRPUSDT"),
        ("2.4977".into(), "2.5003".into()),
        "{}",
        d.log
    );
}

/// A tick on the scenario's books with `symbol`'s bid and ask set.
fn tick_book(sc: &Scenario, d: &mut Driver, symbol: &str, bid: &str, ask: &str) {
    let mut books = sc.books(0, d.now);
    for b in &mut books {
        if b.symbol == symbol {
            b.bid = bid.to_string().into();
            b.ask = ask.to_string().into();
        }
    }
    d.feed(Input::Tick {
        now_ms: d.now,
        books,
    });
    d.run_idle(5_000);
}

#[test]
fn a_crash_past_max_loss_cancels_everything_then_ends_the_session() {
    let (sc, mut d) = start(|c| c.risk.max_loss = Some("1".parse().unwrap()));
    // Long 20 XRPUSDT bought at 2.4987 and 2.4975: cash -49.962.
    fill(&mut d, "XRPUSDT", Side::Buy, 0, "b1");
    fill(&mut d, "XRPUSDT", Side::Buy, 1, "b2");
    tick_at(&sc, &mut d, 0);
    assert!(d.fatal.is_none() && !d.stopped, "{}", d.log);
    // Mid 2.4: 20 x 2.4 - 49.962 = -1.962.
    tick_book(&sc, &mut d, "XRPUSDT", "2.3999", "2.4001");
    let reason =
        "max_loss: PnL -1.962 (realised + unrealised at mid, every symbol) is a loss above 1";
    assert_eq!(
        d.fatal,
        Some(mm_core::Fatal::KillSwitch {
            reason: reason.to_string()
        }),
        "{}",
        d.log
    );
    assert!(d.stopped);
    assert!(d.exchange.open_orders().is_empty(), "{}", d.log);
    assert_eq!(d.engine.kill_switch_reason(), Some(reason));
    // Tripped, then the orders cancelled and confirmed, then Fatal, Stopped.
    let tripped = d
        .log
        .find(&format!("kill switch: {reason}: quoting stops"))
        .unwrap();
    let complete = d.log.find("shutdown complete: stopped").unwrap();
    let fatal = d.log.find("fatal: kill switch: max_loss").unwrap();
    assert!(tripped < complete && complete < fatal, "{}", d.log);
    // Never re-armed: nothing more is decided.
    let before = d.requests.len();
    tick_at(&sc, &mut d, 0);
    assert_eq!(d.requests.len(), before);
}

#[test]
fn too_many_fills_in_a_minute_trip_the_kill_switch() {
    let (_, mut d) = start(|c| c.risk.max_fills_per_minute = Some(2));
    fill(&mut d, "XRPUSDT", Side::Buy, 0, "b1");
    fill(&mut d, "XRPUSDT", Side::Sell, 0, "s1");
    assert!(d.fatal.is_none(), "{}", d.log);
    fill(&mut d, "BTCUSDT", Side::Buy, 0, "b2");
    d.run_idle(5_000);
    let reason = "max_fills_per_minute: 3 fills of ours in the last 60 s, above 2";
    assert_eq!(
        d.fatal,
        Some(mm_core::Fatal::KillSwitch {
            reason: reason.to_string()
        }),
        "{}",
        d.log
    );
    assert!(
        d.stopped && d.exchange.open_orders().is_empty(),
        "{}",
        d.log
    );
}
