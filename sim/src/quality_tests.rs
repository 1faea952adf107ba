//! Coverage and deviation computed by hand for orders placed and cancelled, and a price
//! step, at chosen instants (microseconds).

use mm_bybit::{CancelOrder, Category, OrderType, PlaceOrder, Side, TimeInForce};

use super::*;
use crate::config::SimConfig;
use crate::engine::Exchange;

/// BTCUSDT at 60000 (tick 0.1, 1 bps market spread): bid 599970, ask 600030 ticks, m2 = 1.2e6.
/// Ladder of 2 levels, 10 bps spread, 10 bps steps: bids 599700, 599100; asks 600300, 600900.
/// Tolerance 1 bps of 599700 = 59.97 ticks.
fn setup() -> (Exchange, Tracker) {
    let cfg = SimConfig {
        walk_bps: 5,
        fills: false,
        ..SimConfig::default()
    };
    let ex = Exchange::new(&cfg).expect("valid config");
    let ladder = QuoteLadder {
        levels: 2,
        spread_bps: 10,
        step_bps: 10,
        tolerance_bps: 1,
        symbols: vec!["BTCUSDT".into()],
    };
    (ex, Tracker::new(ladder, 0))
}

fn place(ex: &mut Exchange, link: &str, side: Side, ticks: u64) {
    let price = ex.markets["BTCUSDT"].price.format(ticks);
    let p = PlaceOrder {
        category: None,
        symbol: "BTCUSDT".into(),
        side,
        order_type: OrderType::Limit,
        qty: "0.001".into(),
        price: Some(price),
        time_in_force: Some(TimeInForce::PostOnly),
        order_link_id: Some(link.into()),
        position_idx: None,
    };
    ex.place(0, Category::Linear, &p, None, 0).expect("placed");
}

fn cancel(ex: &mut Exchange, link: &str) {
    let c = CancelOrder {
        category: None,
        symbol: "BTCUSDT".into(),
        order_id: None,
        order_link_id: Some(link.into()),
    };
    ex.cancel(0, Category::Linear, &c, 0).expect("cancelled");
}

fn advance(t: &mut Tracker, now_us: u64, ex: &Exchange) {
    t.advance(now_us, ex.quote_views());
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn the_ladder_of_the_setup() {
    let (ex, t) = setup();
    let m = &ex.markets["BTCUSDT"];
    assert_eq!((m.bid(), m.ask()), (599_970, 600_030));
    let (b, a) = ladder_targets(m.bid(), m.ask(), &t.ladder);
    assert_eq!(b, vec![Some(599_700), Some(599_100)]);
    assert_eq!(a, vec![Some(600_300), Some(600_900)]);
}

#[test]
fn nothing_is_observed_before_the_first_order_rests() {
    let (mut ex, mut t) = setup();
    advance(&mut t, 5_000_000, &ex);
    let q = t.snapshot();
    assert!(close(q.observed_ms, 0.0));
    assert_eq!(q.mean_deviation_bps, None);
    assert!(close(q.coverage, 0.0));
    place(&mut ex, "b0", Side::Buy, 599_700);
    // The order rested at 5 s (the previous acquisition): observed from there.
    advance(&mut t, 6_000_000, &ex);
    let q = t.snapshot();
    assert!(close(q.observed_ms, 1000.0), "{q:?}");
    assert!(close(q.symbols["BTCUSDT"].bids[0].coverage, 1.0));
}

#[test]
fn coverage_and_deviation_by_hand() {
    let (mut ex, mut t) = setup();
    // 0..1 s: a bid exactly on level 0.
    place(&mut ex, "b0", Side::Buy, 599_700);
    advance(&mut t, 1_000_000, &ex);
    // 1..3 s: also an ask 30 ticks outside level 0 (30 / 600300 = 0.49975 bps: within 1 bps).
    place(&mut ex, "a0", Side::Sell, 600_330);
    advance(&mut t, 3_000_000, &ex);
    // 3..4 s: a second bid 200 ticks inside level 1 (599300: nearest target 599100,
    // 200 / 599100 = 3.3383 bps, not within), the ask cancelled.
    place(&mut ex, "b1", Side::Buy, 599_300);
    cancel(&mut ex, "a0");
    advance(&mut t, 4_000_000, &ex);
    let q = t.snapshot();
    let s = &q.symbols["BTCUSDT"];
    assert!(close(q.observed_ms, 4000.0));
    // Bid level 0: covered 4 of 4 s, deviation 0.
    assert!(close(s.bids[0].coverage, 1.0));
    assert_eq!(s.bids[0].deviation_bps, Some(0.0));
    // Bid level 1: never covered; its one order rested 1 s at 200/599100*1e4 bps.
    let d1 = 200.0 * 10_000.0 / 599_100.0;
    assert!(close(s.bids[1].coverage, 0.0));
    assert!(close(s.bids[1].deviation_bps.expect("orders rested"), d1));
    assert!(close(s.bids[1].order_ms, 1000.0));
    // Ask level 0: covered 2 of 4 s at 30/600300*1e4 bps; level 1: nothing ever.
    let d0 = 30.0 * 10_000.0 / 600_300.0;
    assert!(close(s.asks[0].coverage, 0.5));
    assert!(close(s.asks[0].deviation_bps.expect("orders rested"), d0));
    assert!(close(s.asks[1].coverage, 0.0));
    assert_eq!(s.asks[1].deviation_bps, None);
    // Pooled: inner (4 + 2) / 8; all levels (4 + 0 + 2 + 0) / 16; deviation over order-time:
    // bid0 4 s x 0, ask0 2 s x d0, bid1 1 s x d1, over 7 order-seconds.
    assert!(close(q.inner_coverage, 0.75));
    assert!(close(q.coverage, 0.375));
    assert!(close(
        q.mean_deviation_bps.expect("orders rested"),
        (2.0 * d0 + d1) / 7.0
    ));
}

#[test]
fn a_price_step_uncovers_what_it_moves_away_from() {
    let (mut ex, mut t) = setup();
    place(&mut ex, "b0", Side::Buy, 599_700);
    advance(&mut t, 1_000_000, &ex);
    // A 5 bps step (300 ticks) either way: the order is then > 1 bps from every target.
    ex.step_market("BTCUSDT", 0);
    let m = &ex.markets["BTCUSDT"];
    assert_eq!(m.mid().abs_diff(600_000), 300);
    advance(&mut t, 3_000_000, &ex);
    let (targets, _) = ladder_targets(m.bid(), m.ask(), &t.ladder);
    let d = targets
        .iter()
        .flatten()
        .map(|&t| distance_bps(599_700, t))
        .fold(f64::INFINITY, f64::min);
    assert!(d > 1.0, "{d}");
    let q = t.snapshot();
    let bids = &q.symbols["BTCUSDT"].bids;
    assert!(
        close(bids[0].coverage + bids[1].coverage, 1.0 / 3.0),
        "{bids:?}"
    );
    assert!(close(
        q.mean_deviation_bps.expect("orders rested"),
        2.0 * d / 3.0
    ));
}

#[test]
fn nearest_target_and_ties_go_inwards() {
    // Targets 1000, 990; an order at 995 is 5 from both: the inner level takes it.
    let l = levels_now(&[Some(1000), Some(990)], &[995, 1000], 0);
    assert_eq!(l[0].orders, 2);
    assert_eq!(l[1].orders, 0);
    assert!(l[0].covered && !l[1].covered);
    let l = levels_now(&[None, Some(990)], &[995], 100);
    assert!(!l[0].has_target && l[1].covered && l[1].orders == 1);
}

#[test]
fn unlisted_symbols_are_measured_once_they_have_orders() {
    let (mut ex, t) = setup();
    let mut t = Tracker::new(
        QuoteLadder {
            symbols: Vec::new(),
            ..t.ladder
        },
        0,
    );
    place(&mut ex, "b0", Side::Buy, 599_700);
    advance(&mut t, 2_000_000, &ex);
    let q = t.snapshot();
    assert_eq!(q.symbols.keys().collect::<Vec<_>>(), vec!["BTCUSDT"]);
    t.reset(2_000_000);
    assert!(close(t.snapshot().observed_ms, 0.0));
    assert!(t.snapshot().symbols.is_empty());
}
