//! The simulator measures quote quality against targets it computes itself
//! (`mm_sim::ladder_targets`; mm-sim does not depend on mm-core). This test
//! drives core's engine to its first quote for many books and ladder
//! parameters and holds every price it places equal to the simulator's
//! target for that level, so the two formulas cannot drift apart.
#![allow(clippy::unwrap_used)]

use mm_core::config::{Config, OrderQty, RateLimitConfig};
use mm_core::effect::{Effect, NewOrder, RequestKind};
use mm_core::input::{Outcome, Reply};
use mm_core::{BookTop, Category, Decimal, Engine, Input, Instrument, SessionId, Side, Timestamp};

const TICK: &str = "0.01";

fn drain(e: &mut Engine) -> Vec<Effect> {
    std::iter::from_fn(|| e.poll_effect()).collect()
}

/// Core's first placements for a book at `bid`/`ask` ticks, past recovery on an empty account.
fn core_places(bid: u64, ask: u64, levels: u32, spread: u32, step: u32) -> Vec<NewOrder> {
    let mut c = Config::default();
    c.quoting.symbols = vec!["TESTUSDT".into()];
    c.quoting.levels = levels;
    c.quoting.spread_bps = spread;
    c.quoting.step_bps = step;
    c.quoting.order_qty = OrderQty::All("0.01".parse().unwrap());
    c.rate_limits = RateLimitConfig::uniform(100_000);
    let inst = Instrument {
        symbol: "TESTUSDT".into(),
        category: Category::Linear,
        tick_size: TICK.parse().unwrap(),
        qty_step: "0.01".parse().unwrap(),
        min_qty: "0.01".parse().unwrap(),
    };
    let mut e = Engine::new(c, vec![inst], SessionId::new("parity").unwrap()).unwrap();
    e.handle(Input::Wake {
        now_ms: Timestamp(0),
    });
    // Recovery lists open orders: answer every listing with none.
    let mut pending: Vec<_> = drain(&mut e)
        .into_iter()
        .filter_map(|x| match x {
            Effect::Send(r) => Some(r.id),
            _ => None,
        })
        .collect();
    while let Some(id) = pending.pop() {
        e.handle(Input::Response {
            now_ms: Timestamp(1),
            request_id: id,
            outcome: Outcome::Reply(Reply::default()),
        });
        pending.extend(drain(&mut e).into_iter().filter_map(|x| match x {
            Effect::Send(r) => Some(r.id),
            _ => None,
        }));
    }
    let price = |t: u64| Decimal::times(TICK.parse().unwrap(), i128::from(t)).unwrap();
    e.handle(Input::Tick {
        now_ms: Timestamp(2),
        books: vec![BookTop {
            symbol: "TESTUSDT".into(),
            bid: price(bid).to_string().into(),
            ask: price(ask).to_string().into(),
            received_ms: Timestamp(2),
        }],
    });
    drain(&mut e)
        .into_iter()
        .filter_map(|x| match x {
            Effect::Send(r) => Some(r.kind),
            _ => None,
        })
        .flat_map(|k| match k {
            RequestKind::PlaceBatch { orders, .. } => orders,
            RequestKind::Place { order, .. } => vec![order],
            _ => Vec::new(),
        })
        .collect()
}

/// One side's prices in ticks as core placed them, in placement order per side.
fn ticks(orders: &[NewOrder], side: Side) -> Vec<u64> {
    let tick: Decimal = TICK.parse().unwrap();
    orders
        .iter()
        .filter(|o| o.side == side)
        .map(|o| {
            let d = o.price.to_decimal().unwrap();
            u64::try_from(d.div_exact(tick).unwrap()).unwrap()
        })
        .collect()
}

#[test]
fn the_simulators_targets_are_cores_ladder() {
    // Books: odd and even spreads (half-tick mids), small and large prices.
    let books: [(u64, u64); 8] = [
        (1000, 1002),
        (1000, 1001),
        (99_999, 100_003),
        (6_000_000, 6_000_001),
        (123_457, 123_460),
        (300, 305),
        (2_500_000, 2_500_777),
        (7_777_777, 7_777_778),
    ];
    let params: [(u32, u32, u32); 6] = [
        (5, 10, 5),
        (1, 1, 0),
        (3, 7, 3),
        (4, 25, 11),
        (2, 2, 1),
        (6, 13, 9),
    ];
    let mut compared = 0;
    for &(bid, ask) in &books {
        for &(levels, spread, step) in &params {
            let ladder = mm_sim::QuoteLadder {
                levels,
                spread_bps: spread,
                step_bps: step,
                tolerance_bps: 1,
                symbols: Vec::new(),
            };
            let (sb, sa) = mm_sim::ladder_targets(bid, ask, &ladder);
            let sim_bids: Vec<u64> = sb.into_iter().flatten().collect();
            let sim_asks: Vec<u64> = sa.into_iter().flatten().collect();
            let placed = core_places(bid, ask, levels, spread, step);
            let (mut cb, mut ca) = (ticks(&placed, Side::Buy), ticks(&placed, Side::Sell));
            // Compare as sets ordered from the inside out (bids high to low).
            cb.sort_unstable_by(|a, b| b.cmp(a));
            ca.sort_unstable();
            let case = format!("book {bid}/{ask}, levels {levels}, spread {spread}, step {step}");
            assert_eq!(cb, sim_bids, "bids: {case}");
            assert_eq!(ca, sim_asks, "asks: {case}");
            compared += cb.len() + ca.len();
        }
    }
    assert!(compared > 300, "compared {compared} prices");
}
