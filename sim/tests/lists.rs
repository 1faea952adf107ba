//! `/v5/position/list` and `/v5/execution/list` over REST: what fills left, newest first,
//! paged with Bybit's cursor.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn positions_and_executions_follow_the_fills() {
    let (sim, c) = start(quiet()).await;
    let (bid, ask) = c.ticker("ETHUSDT").await;
    for (side, qty, px, link) in [
        ("Buy", "0.05", &ask, "l-buy"),
        ("Sell", "0.02", &bid, "l-sell"),
    ] {
        let mut o = item("ETHUSDT", side, qty, px, link);
        o["timeInForce"] = json!("GTC");
        assert_eq!(
            c.post("/v5/order/create", &single("linear", o))
                .await
                .ret_code(),
            0
        );
    }
    let p = c
        .get("/v5/position/list", "category=linear&symbol=ETHUSDT")
        .await
        .json();
    assert_eq!(p["retCode"], 0, "{p}");
    let pos = &p["result"]["list"][0];
    assert_eq!(
        (
            pos["side"].clone(),
            pos["size"].clone(),
            pos["avgPrice"].clone()
        ),
        (json!("Buy"), json!("0.03"), json!(ask))
    );
    // By settle coin: only open positions.
    let all = c
        .get("/v5/position/list", "category=linear&settleCoin=USDT")
        .await
        .json();
    assert_eq!(all["result"]["list"].as_array().unwrap().len(), 1);
    let flat = c
        .get("/v5/position/list", "category=linear&symbol=BTCUSDT")
        .await
        .json();
    assert_eq!(
        (
            flat["result"]["list"][0]["size"].clone(),
            flat["result"]["list"][0]["side"].clone()
        ),
        (json!("0"), json!(""))
    );
    assert_eq!(
        c.get("/v5/position/list", "category=linear")
            .await
            .ret_code(),
        10001
    );

    let e = c
        .get(
            "/v5/execution/list",
            "category=linear&symbol=ETHUSDT&limit=1",
        )
        .await
        .json();
    let first = &e["result"]["list"][0];
    assert_eq!(
        (first["orderLinkId"].clone(), first["execQty"].clone()),
        (json!("l-sell"), json!("0.02")),
        "newest first"
    );
    let cursor = e["result"]["nextPageCursor"].as_str().unwrap().to_string();
    assert!(!cursor.is_empty());
    let q = format!("category=linear&symbol=ETHUSDT&limit=1&cursor={cursor}");
    let e2 = c.get("/v5/execution/list", &q).await.json();
    assert_eq!(e2["result"]["list"][0]["orderLinkId"], "l-buy");
    assert_eq!(e2["result"]["nextPageCursor"], "");
    let by_link = c
        .get("/v5/execution/list", "category=linear&orderLinkId=l-buy")
        .await
        .json();
    assert_eq!(by_link["result"]["list"].as_array().unwrap().len(), 1);
    // The filled orders are among the recent closed ones (openOnly=1), not the open ones.
    let closed = c.order("ETHUSDT", "l-buy", "&openOnly=1").await;
    assert_eq!(closed["orderStatus"], "Filled");
    assert!(c.order("ETHUSDT", "l-buy", "").await.is_null());
    sim.shutdown().await;
}
