//! The engine's per-order state stays bounded over a long session: thousands of orders
//! placed, filled, amended and cancelled leave open orders, the closed-order history (500 per
//! account per category) and the spent orderLinkIds (`links::SPENT_KEPT` per account), and
//! nothing else that grows. A recently ended order still answers 110001.

use mm_bybit::{
    AmendOrder, CancelOrder, Category, OrderType, PlaceOrder, Side, TimeInForce, retcode,
};

use crate::config::SimConfig;
use crate::engine::{CLOSED_KEPT, Exchange, Retained};
use crate::fills::FILLS_KEPT;
use crate::links::SPENT_KEPT;

fn place(ex: &mut Exchange, link: &str, side: Side, price: &str, now: u64) -> String {
    let p = PlaceOrder {
        category: None,
        symbol: "BTCUSDT".into(),
        side,
        order_type: OrderType::Limit,
        qty: "0.001".into(),
        price: Some(price.into()),
        time_in_force: Some(TimeInForce::Gtc),
        order_link_id: Some(link.into()),
        position_idx: None,
    };
    ex.place(0, Category::Linear, &p, None, now)
        .expect("placed")
        .order_id
}

fn cancel(ex: &mut Exchange, link: &str, now: u64) -> Result<(), i64> {
    let c = CancelOrder {
        category: None,
        symbol: "BTCUSDT".into(),
        order_id: None,
        order_link_id: Some(link.into()),
    };
    ex.cancel(0, Category::Linear, &c, now)
        .map(|_| ())
        .map_err(|r| r.code)
}

/// `n` rounds of a 10-order ladder around the walking market: each round places 10 orders
/// (5 a side, one level inside the touch so the walk fills some), amends one, steps the
/// market and cancels the previous round's survivors.
fn churn(ex: &mut Exchange, from: usize, rounds: usize) {
    for r in from..from + rounds {
        let now = 1_000 + r as u64;
        let m = &ex.markets["BTCUSDT"];
        let (bid, ask) = (m.bid(), m.ask());
        let grid = m.price;
        for lvl in 0..5u64 {
            let b = grid.format(bid + 1 - lvl);
            let a = grid.format(ask - 1 + lvl);
            place(ex, &format!("r{r}-b{lvl}"), Side::Buy, &b, now);
            place(ex, &format!("r{r}-a{lvl}"), Side::Sell, &a, now);
        }
        let a = AmendOrder {
            symbol: "BTCUSDT".into(),
            order_link_id: Some(format!("r{r}-b4")),
            qty: Some("0.002".into()),
            ..AmendOrder::default()
        };
        let _ = ex.amend(0, Category::Linear, &a, None, now);
        ex.step_market("BTCUSDT", now);
        if r > 0 {
            for lvl in 0..5 {
                for side in ["b", "a"] {
                    let _ = cancel(ex, &format!("r{}-{side}{lvl}", r - 1), now);
                }
            }
        }
        // What `shared` does after every operation.
        ex.take_events();
    }
}

#[test]
fn per_order_state_stays_bounded() {
    let mut ex = Exchange::new(&SimConfig::default()).expect("valid config");
    ex.listening = true;
    // 3 000 rounds = 30 000 orders: well past both bounds.
    churn(&mut ex, 0, 3_000);
    let after_30k = ex.retained();
    churn(&mut ex, 3_000, 3_000);
    let after_60k = ex.retained();
    assert!(ex.fills > 100, "the walk filled some orders: {}", ex.fills);
    // Flat: the second 30 000 orders left the engine holding exactly as many entries.
    assert_eq!(after_30k, after_60k);
    let Retained {
        open,
        open_by_link,
        book_entries,
        closed,
        spent_links,
        executions,
        positions,
        outbox,
    } = after_60k;
    assert!(open <= 10, "open {open}");
    assert_eq!((open_by_link, book_entries), (open, open));
    assert_eq!(closed, CLOSED_KEPT, "one account, one category");
    assert_eq!(spent_links, SPENT_KEPT);
    assert_eq!((executions, positions, outbox), (FILLS_KEPT, 1, 0));
}

#[test]
fn recently_ended_orders_answer_not_exists_and_keep_their_link() {
    let mut ex = Exchange::new(&SimConfig::default()).expect("valid config");
    place(&mut ex, "gone-1", Side::Buy, "50000", 1);
    assert_eq!(cancel(&mut ex, "gone-1", 2), Ok(()));
    assert_eq!(cancel(&mut ex, "gone-1", 3), Err(retcode::ORDER_NOT_EXISTS));
    // The ended order's orderLinkId is still spent: a retried create is a duplicate.
    let p = PlaceOrder {
        category: None,
        symbol: "BTCUSDT".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: "0.001".into(),
        price: Some("50000".into()),
        time_in_force: None,
        order_link_id: Some("gone-1".into()),
        position_idx: None,
    };
    let dup = ex.place(0, Category::Linear, &p, None, 4).expect_err("dup");
    assert_eq!(dup.code, retcode::ORDER_LINK_ID_DUPLICATE);
    // Also after thousands of newer orders ended, within the bound ...
    churn(&mut ex, 0, SPENT_KEPT / 10 - 10);
    assert_eq!(cancel(&mut ex, "gone-1", 5), Err(retcode::ORDER_NOT_EXISTS));
    assert!(ex.place(0, Category::Linear, &p, None, 6).is_err());
}
