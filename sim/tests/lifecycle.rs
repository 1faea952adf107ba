//! Orders after they end, batch items that do not belong to the request's category, and an
//! amend that makes a post-only order cross.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::json;

/// 110001 (spot 170213) is also the answer for an order that WAS open: cancelled, filled on
/// arrival, or filled as the price walked.
#[tokio::test]
async fn cancel_and_amend_of_an_ended_order_is_110001() {
    let mut cfg = walking();
    cfg.instruments.push(spot_btc());
    let (sim, c) = start(cfg).await;
    let amend = |link: &str, px: &str| {
        json!({"category": "linear", "symbol": "ETHUSDT", "orderLinkId": link, "price": px})
            .to_string()
    };
    // Cancelled.
    let r = c
        .post(
            "/v5/order/create",
            &single("linear", item("ETHUSDT", "Buy", "0.01", "2000", "lc-1")),
        )
        .await;
    let id = r.order_id();
    assert_eq!(
        c.post("/v5/order/cancel", &by_link("linear", "ETHUSDT", "lc-1"))
            .await
            .ret_code(),
        0
    );
    assert_eq!(
        c.post("/v5/order/cancel", &by_link("linear", "ETHUSDT", "lc-1"))
            .await
            .ret_code(),
        110001
    );
    let by_id = json!({"category": "linear", "symbol": "ETHUSDT", "orderId": id}).to_string();
    assert_eq!(c.post("/v5/order/cancel", &by_id).await.ret_code(), 110001);
    assert_eq!(
        c.post("/v5/order/amend", &amend("lc-1", "2001"))
            .await
            .ret_code(),
        110001
    );
    // Filled on arrival: a GTC buy at the ask.
    let ask = sim.state().prices["ETHUSDT"].ask.clone();
    let mut taker = item("ETHUSDT", "Buy", "0.01", &ask, "lc-2");
    taker["timeInForce"] = json!("GTC");
    let r = c.post("/v5/order/create", &single("linear", taker)).await;
    assert_eq!(r.ret_code(), 0);
    assert_eq!(sim.state().fills, 1);
    assert_eq!(
        c.post("/v5/order/cancel", &by_link("linear", "ETHUSDT", "lc-2"))
            .await
            .ret_code(),
        110001
    );
    let r = c
        .post(
            "/v5/order/cancel-batch",
            &batch(
                "linear",
                vec![json!({"symbol": "ETHUSDT", "orderLinkId": "lc-2"})],
            ),
        )
        .await;
    assert_eq!(r.item_codes(), vec![110001]);
    // Filled as the price walked: a buy one tick under the bid.
    let bid = sim.state().prices["ETHUSDT"].bid.clone();
    let px = price(cents(&bid) - 1);
    let r = c
        .post(
            "/v5/order/create",
            &single("linear", item("ETHUSDT", "Buy", "0.01", &px, "lc-3")),
        )
        .await;
    assert_eq!(r.ret_code(), 0);
    c.walk_until("ETHUSDT", async || sim.state().fills == 2)
        .await;
    assert_eq!(sim.state().fills, 2, "the walk crossed lc-3");
    assert_eq!(
        c.post("/v5/order/amend", &amend("lc-3", &px))
            .await
            .ret_code(),
        110001
    );
    assert_eq!(
        c.post("/v5/order/cancel", &by_link("linear", "ETHUSDT", "lc-3"))
            .await
            .ret_code(),
        110001
    );
    // Spot: 170213 after a cancel.
    let r = c
        .post(
            "/v5/order/create",
            &single("spot", item("BTCUSDC", "Buy", "0.001", "50000", "lc-s")),
        )
        .await;
    assert_eq!(r.ret_code(), 0);
    assert_eq!(
        c.post("/v5/order/cancel", &by_link("spot", "BTCUSDC", "lc-s"))
            .await
            .ret_code(),
        0
    );
    assert_eq!(
        c.post("/v5/order/cancel", &by_link("spot", "BTCUSDC", "lc-s"))
            .await
            .ret_code(),
        170213
    );
}

/// A batch item whose symbol belongs to another category fails alone with 10001
/// (UNCONFIRMED for Bybit); the others are processed.
#[tokio::test]
async fn batch_item_of_another_category_fails_alone() {
    let mut cfg = quiet();
    cfg.instruments.push(spot_btc());
    let (sim, c) = start(cfg).await;
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch(
                "linear",
                vec![
                    item("ETHUSDT", "Buy", "0.01", "2000", "x-1"),
                    item("BTCUSDC", "Buy", "0.001", "50000", "x-2"), // spot
                    item("BTCUSDT", "Buy", "0.001", "50000", "x-3"),
                ],
            ),
        )
        .await;
    assert_eq!(r.ret_code(), 0);
    assert_eq!(r.item_codes(), vec![0, 10001, 0]);
    assert_eq!(r.json()["result"]["list"][1]["orderId"], "");
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch(
                "spot",
                vec![
                    item("ETHUSDT", "Buy", "0.01", "2000", "x-4"), // linear
                    item("BTCUSDC", "Buy", "0.001", "50000", "x-5"),
                ],
            ),
        )
        .await;
    assert_eq!(r.item_codes(), vec![10001, 0]);
    // Cancel and amend batches too: the linear order cannot be reached through "spot".
    let r = c
        .post(
            "/v5/order/cancel-batch",
            &batch(
                "spot",
                vec![json!({"symbol": "ETHUSDT", "orderLinkId": "x-1"})],
            ),
        )
        .await;
    assert_eq!(r.item_codes(), vec![10001]);
    let r = c
        .post(
            "/v5/order/amend-batch",
            &batch(
                "spot",
                vec![json!({"symbol": "ETHUSDT", "orderLinkId": "x-1", "price": "2001"})],
            ),
        )
        .await;
    assert_eq!(r.item_codes(), vec![10001]);
    assert_eq!(open_links(&sim), vec!["x-1", "x-3", "x-5"]);
}

/// An amend that would make a resting post-only order cross is acked, then the order is
/// cancelled with EC_PostOnlyWillTakeLiquidity, as a crossing arrival would be (UNCONFIRMED
/// for Bybit, which documents the arrival case only).
#[tokio::test]
async fn post_only_amend_that_would_cross_cancels_the_order() {
    let (sim, c) = start(quiet()).await;
    let r = c
        .post(
            "/v5/order/create",
            &single("linear", item("BTCUSDT", "Buy", "0.001", "50000", "pa-1")),
        )
        .await;
    assert_eq!(r.ret_code(), 0);
    let ask = sim.state().prices["BTCUSDT"].ask.clone();
    let amend =
        json!({"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "pa-1", "price": ask});
    let r = c.post("/v5/order/amend", &amend.to_string()).await;
    assert_eq!(r.ret_code(), 0, "acked: the cancel is asynchronous");
    assert!(sim.state().open_orders.is_empty());
    assert_eq!(
        (sim.state().post_only_rejections, sim.state().fills),
        (1, 0)
    );
    let o = c.order("BTCUSDT", "pa-1", "&openOnly=1").await;
    assert_eq!(o["orderStatus"], "Cancelled");
    assert_eq!(o["rejectReason"], "EC_PostOnlyWillTakeLiquidity");
    assert_eq!(
        o["price"],
        ask.as_str(),
        "the amend was applied, then the order died"
    );
    // It is gone: a further amend or cancel is 110001.
    assert_eq!(
        c.post("/v5/order/amend", &amend.to_string())
            .await
            .ret_code(),
        110001
    );
}
