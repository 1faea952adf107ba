//! Price-time priority over real HTTP: as the price walks through resting orders, the market's
//! touch size fills them best price first, then by queue position; an amend of price or a qty
//! increase goes to the back of the queue, a qty decrease keeps its place.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn walk_fills_best_price_first_then_queue_position() {
    // ~6.00 a step at 3000: one down step crosses every order below.
    let (sim, c) = start(walking()).await;
    // The touch size is 100 lots (1.00 ETH): what the market trades per step.
    let bid0 = cents(&sim.state().prices["ETHUSDT"].bid);
    let p = bid0 - 101;
    let items = vec![
        item("ETHUSDT", "Buy", "0.30", &price(p - 5), "F"),
        item("ETHUSDT", "Buy", "0.30", &price(p), "A"),
        item("ETHUSDT", "Buy", "0.30", &price(p), "B"),
        item("ETHUSDT", "Buy", "0.30", &price(p), "D"),
        item("ETHUSDT", "Buy", "0.30", &price(p + 1), "C"), // best price, placed last
    ];
    let r = c
        .post("/v5/order/create-batch", &batch("linear", items))
        .await;
    assert_eq!(r.item_codes(), vec![0; 5], "{}", r.text);
    let amends = vec![
        json!({"symbol": "ETHUSDT", "orderLinkId": "F", "price": price(p)}), // new price: back
        json!({"symbol": "ETHUSDT", "orderLinkId": "A", "qty": "0.40"}),     // more qty: back
        json!({"symbol": "ETHUSDT", "orderLinkId": "B", "qty": "0.20"}),     // less qty: keeps
    ];
    let r = c
        .post("/v5/order/amend-batch", &batch("linear", amends))
        .await;
    assert_eq!(r.item_codes(), vec![0; 3], "{}", r.text);
    // Queue now: C (better price), then at p: B, D, F, A. Walk until the first fill.
    c.walk_until("ETHUSDT", async || sim.state().fills > 0)
        .await;
    assert!(
        cents(&sim.state().prices["ETHUSDT"].ask) <= p,
        "the crossing step crossed every order"
    );
    // 1.00 traded: C 0.30, B 0.20, D 0.30, then F 0.20 of its 0.30; A nothing.
    for link in ["C", "B", "D"] {
        let o = c.order("ETHUSDT", link, "&openOnly=1").await;
        assert_eq!(o["orderStatus"], "Filled", "{link}: {o}");
        assert_eq!(o["leavesQty"], "0.00", "{link}");
    }
    let f = c.order("ETHUSDT", "F", "").await;
    assert_eq!(
        (&f["orderStatus"], &f["cumExecQty"], &f["leavesQty"]),
        (&json!("PartiallyFilled"), &json!("0.20"), &json!("0.10")),
        "{f}"
    );
    assert_eq!(f["avgPrice"], price(p));
    let a = c.order("ETHUSDT", "A", "").await;
    assert_eq!(
        (&a["orderStatus"], &a["cumExecQty"], &a["qty"]),
        (&json!("New"), &json!("0.00"), &json!("0.40")),
        "{a}"
    );
    assert_eq!(sim.state().fills, 3);
    assert_eq!(open_links(&sim), vec!["F", "A"]);
}

/// A partly filled order is still open: it can be cancelled (derivatives: Cancelled with its
/// fill kept), and an amend may not cut its qty to what already filled.
#[tokio::test]
async fn partly_filled_order_amend_and_cancel() {
    let (sim, c) = start(walking()).await;
    let bid0 = cents(&sim.state().prices["ETHUSDT"].bid);
    let big = item("ETHUSDT", "Buy", "1.50", &price(bid0 - 100), "big");
    let r = c.post("/v5/order/create", &single("linear", big)).await;
    assert_eq!(r.ret_code(), 0, "{}", r.text);
    c.walk_until("ETHUSDT", async || {
        c.order("ETHUSDT", "big", "").await["orderStatus"] == "PartiallyFilled"
    })
    .await;
    let o = c.order("ETHUSDT", "big", "").await;
    assert_eq!(
        (&o["cumExecQty"], &o["leavesQty"]),
        (&json!("1.00"), &json!("0.50"))
    );
    let cut =
        json!({"category": "linear", "symbol": "ETHUSDT", "orderLinkId": "big", "qty": "1.00"});
    assert_eq!(
        c.post("/v5/order/amend", &cut.to_string()).await.ret_code(),
        10001
    );
    assert_eq!(
        c.post("/v5/order/cancel", &by_link("linear", "ETHUSDT", "big"))
            .await
            .ret_code(),
        0
    );
    let o = c.order("ETHUSDT", "big", "&openOnly=1").await;
    assert_eq!(
        (&o["orderStatus"], &o["cumExecQty"], &o["leavesQty"]),
        (&json!("Cancelled"), &json!("1.00"), &json!("0.00")),
        "{o}"
    );
    assert!(sim.state().open_orders.is_empty());
}
