//! Order entry over real HTTP: batches, per-item results, ids, cancel-all, realtime.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use mm_bybit::{BatchCreateItem, ListResult, Response};
use serde_json::json;

#[tokio::test]
async fn batch_size_limits_per_category() {
    let mut cfg = quiet();
    cfg.instruments.push(spot_btc());
    let (sim, c) = start(cfg).await;
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("linear", eth_buys(21, "l21")),
        )
        .await;
    assert_eq!(r.ret_code(), 10001, "{}", r.text);
    assert!(
        sim.state().open_orders.is_empty(),
        "an over-size batch is rejected whole"
    );
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("linear", eth_buys(20, "l20")),
        )
        .await;
    assert_eq!(r.ret_code(), 0);
    assert_eq!(r.item_codes(), vec![0; 20]);

    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("spot", spot_buys(11, "s11")),
        )
        .await;
    assert_eq!(r.ret_code(), 10001, "{}", r.text);
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("spot", spot_buys(10, "s10")),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0; 10], "{}", r.text);
    assert_eq!(sim.state().open_orders.len(), 30);
    let r = c
        .post("/v5/order/cancel-batch", &batch("linear", vec![]))
        .await;
    assert_eq!(r.ret_code(), 10001);
}

#[tokio::test]
async fn partial_batch_failure_is_per_item_and_aligned() {
    let (sim, c) = start(quiet()).await;
    let items = vec![
        item("BTCUSDT", "Buy", "0.001", "59000", "p-ok-1"),
        item("BTCUSDT", "Buy", "0.001", "59000.05", "p-offgrid"), // off the 0.1 tick grid
        item("ETHUSDT", "Sell", "0.001", "3100", "p-smallqty"),   // below min qty 0.01
        item("NOPEUSDT", "Buy", "1", "1", "p-nosymbol"),          // not in linear
        item("ETHUSDT", "Sell", "0.05", "3100", "p-ok-2"),
    ];
    let r = c
        .post("/v5/order/create-batch", &batch("linear", items))
        .await;
    assert_eq!(r.ret_code(), 0, "top level is OK even when items fail");
    assert_eq!(r.item_codes(), vec![0, 10001, 10001, 10001, 0]);
    let typed: Response<ListResult<BatchCreateItem>> = serde_json::from_str(&r.text).unwrap();
    let list = &typed.result.list;
    assert_eq!(list.len(), 5);
    assert!(!list[0].order_id.is_empty() && !list[4].order_id.is_empty());
    assert!(list[0].create_at.parse::<u64>().is_ok());
    for failed in &list[1..4] {
        assert_eq!(failed.order_id, "");
        assert_eq!(failed.create_at, "");
    }
    assert_eq!(list[1].order_link_id, "p-offgrid");
    assert_eq!(list[3].symbol, "NOPEUSDT");
    assert_eq!(list[4].category, "linear");
    assert_eq!(open_links(&sim), vec!["p-ok-1", "p-ok-2"]);
    assert_eq!(sim.state().open_orders[1].price, "3100.00");
}

#[tokio::test]
async fn order_link_id_is_unique_forever() {
    let (_sim, c) = start(quiet()).await;
    let body = single("linear", item("BTCUSDT", "Buy", "0.001", "50000", "dup-1"));
    assert_eq!(c.post("/v5/order/create", &body).await.ret_code(), 0);
    assert_eq!(c.post("/v5/order/create", &body).await.ret_code(), 110072);
    let cancel = by_link("linear", "BTCUSDT", "dup-1");
    assert_eq!(c.post("/v5/order/cancel", &cancel).await.ret_code(), 0);
    // Still a duplicate after the order ended.
    assert_eq!(c.post("/v5/order/create", &body).await.ret_code(), 110072);
    // Within one batch, too.
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch(
                "linear",
                vec![
                    item("BTCUSDT", "Buy", "0.001", "50000", "dup-2"),
                    item("ETHUSDT", "Buy", "0.01", "2000", "dup-2"),
                ],
            ),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0, 110072]);
    // Over 36 chars or bad characters: 10001.
    let long = single(
        "linear",
        item("BTCUSDT", "Buy", "0.001", "50000", &"x".repeat(37)),
    );
    assert_eq!(c.post("/v5/order/create", &long).await.ret_code(), 10001);
    let bad = single(
        "linear",
        item("BTCUSDT", "Buy", "0.001", "50000", "has space"),
    );
    assert_eq!(c.post("/v5/order/create", &bad).await.ret_code(), 10001);
}

#[tokio::test]
async fn cancel_or_amend_of_an_order_not_open_is_110001() {
    let (_sim, c) = start(quiet()).await;
    let cancel = by_link("linear", "BTCUSDT", "never");
    assert_eq!(c.post("/v5/order/cancel", &cancel).await.ret_code(), 110001);
    let by_id = json!({"category": "linear", "symbol": "BTCUSDT", "orderId": "nope"}).to_string();
    assert_eq!(c.post("/v5/order/cancel", &by_id).await.ret_code(), 110001);
    let amend =
        json!({"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "never", "price": "1"})
            .to_string();
    assert_eq!(c.post("/v5/order/amend", &amend).await.ret_code(), 110001);
    let r = c
        .post(
            "/v5/order/cancel-batch",
            &batch(
                "linear",
                vec![json!({"symbol": "BTCUSDT", "orderLinkId": "never"})],
            ),
        )
        .await;
    assert_eq!(r.item_codes(), vec![110001]);
    assert_eq!(r.json()["result"]["list"][0]["orderId"], "");
    assert_eq!(r.json()["result"]["list"][0]["orderLinkId"], "never");
}

#[tokio::test]
async fn amend_changes_price_and_qty_in_place() {
    let (sim, c) = start(quiet()).await;
    let placed = c
        .post(
            "/v5/order/create",
            &single("linear", item("ETHUSDT", "Buy", "0.01", "2900", "am-1")),
        )
        .await;
    let id = placed.order_id();
    let r = c.post("/v5/order/amend-batch", &batch("linear", vec![
        json!({"symbol": "ETHUSDT", "orderLinkId": "am-1", "price": "2901.5", "qty": "0.02"}),
    ])).await;
    assert_eq!(r.item_codes(), vec![0], "{}", r.text);
    assert_eq!(r.json()["result"]["list"][0]["orderId"], id.as_str());
    let o = &sim.state().open_orders[0];
    assert_eq!(
        (
            o.order_id.as_str(),
            o.order_link_id.as_str(),
            o.price.as_str(),
            o.qty.as_str()
        ),
        (id.as_str(), "am-1", "2901.50", "0.02")
    );
    let off =
        json!({"category": "linear", "symbol": "ETHUSDT", "orderId": id, "price": "2901.555"})
            .to_string();
    assert_eq!(c.post("/v5/order/amend", &off).await.ret_code(), 10001);
}

#[tokio::test]
async fn post_only_that_would_cross_is_acked_then_cancelled() {
    let (sim, c) = start(quiet()).await;
    let (_bid, ask) = c.ticker("BTCUSDT").await;
    let body = single("linear", item("BTCUSDT", "Buy", "0.001", &ask, "po-cross"));
    let r = c.post("/v5/order/create", &body).await;
    assert_eq!(r.ret_code(), 0, "acked: the reject is asynchronous");
    assert!(sim.state().open_orders.is_empty());
    assert_eq!(sim.state().post_only_rejections, 1);
    // Not open...
    let open = c
        .get(
            "/v5/order/realtime",
            "category=linear&symbol=BTCUSDT&orderLinkId=po-cross",
        )
        .await;
    assert_eq!(open.json()["result"]["list"].as_array().unwrap().len(), 0);
    // ...but among recent closed orders, with Bybit's reason.
    let o = c.order("BTCUSDT", "po-cross", "&openOnly=1").await;
    assert_eq!(o["orderStatus"], "Cancelled");
    assert_eq!(o["rejectReason"], "EC_PostOnlyWillTakeLiquidity");
    assert_eq!(o["cumExecQty"], "0.000");
}

#[tokio::test]
async fn resting_orders_fill_as_the_price_walks() {
    let (sim, c) = start(walking()).await;
    let (bid, ask) = c.ticker("ETHUSDT").await;
    // One tick inside each side: passive now, crossed after a few 20 bps steps.
    let buy = item("ETHUSDT", "Buy", "0.01", &price(cents(&bid) - 1), "f-buy");
    let sell = item("ETHUSDT", "Sell", "0.01", &price(cents(&ask) + 1), "f-sell");
    let r = c
        .post("/v5/order/create-batch", &batch("linear", vec![buy, sell]))
        .await;
    assert_eq!(r.item_codes(), vec![0, 0], "{}", r.text);
    assert_eq!(sim.state().open_orders.len(), 2);
    c.walk_until("ETHUSDT", async || sim.state().open_orders.len() < 2)
        .await;
    let st = sim.state();
    assert!(
        st.fills >= 1,
        "a 20 bps walk crosses a one-tick-away order within 200 steps"
    );
    assert_eq!(st.open_orders.len() as u64, 2 - st.fills);
    let filled = c
        .get(
            "/v5/order/realtime",
            "category=linear&symbol=ETHUSDT&openOnly=1",
        )
        .await;
    let o = &filled.json()["result"]["list"][0];
    assert_eq!(o["orderStatus"], "Filled");
    assert_eq!(o["leavesQty"], "0.00");
    assert_eq!(o["cumExecQty"], "0.01");
}

#[tokio::test]
async fn every_ticker_poll_moves_the_price() {
    let (_sim, c) = start(mm_sim::SimConfig::default()).await;
    let mut last = c
        .public("/v5/market/tickers", "category=linear")
        .await
        .json()["result"]["list"]
        .clone();
    assert_eq!(last.as_array().unwrap().len(), 4);
    for _ in 0..20 {
        let now = c
            .public("/v5/market/tickers", "category=linear")
            .await
            .json()["result"]["list"]
            .clone();
        for (a, b) in last.as_array().unwrap().iter().zip(now.as_array().unwrap()) {
            assert_ne!(a["bid1Price"], b["bid1Price"], "{}", b["symbol"]);
            assert_ne!(a["ask1Price"], b["ask1Price"], "{}", b["symbol"]);
        }
        last = now;
    }
}

/// A `%` must be followed by two hex digits: `%+1` would parse as 0x01 through
/// `from_str_radix`, which accepts a sign.
#[tokio::test]
async fn percent_escape_with_a_sign_is_10001() {
    let (_sim, c) = start(quiet()).await;
    for q in [
        "category=linear&symbol=BTCUSDT&orderLinkId=%+1",
        "category=linear&symbol=BTCUSDT&orderLinkId=%-1",
    ] {
        let r = c.get("/v5/order/realtime", q).await;
        assert_eq!(r.ret_code(), 10001, "{q}: {}", r.text);
    }
}

/// Client-chosen paths must not grow the simulator's state: every unknown path counts under
/// one "other" key.
#[tokio::test]
async fn unknown_paths_share_one_counter() {
    let (sim, c) = start(quiet()).await;
    for i in 0..50 {
        assert_eq!(c.public(&format!("/v5/nope/{i}"), "").await.status, 404);
    }
    let st = sim.state();
    assert_eq!(st.requests_by_path.get("other"), Some(&50));
    assert_eq!(st.requests_by_path.len(), 1, "{:?}", st.requests_by_path);
}
