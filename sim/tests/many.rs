//! Many orders at once over real HTTP: realtime pagination and cancel-all.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use mm_bybit::{OpenOrdersResult, Response};
use serde_json::json;

#[tokio::test]
async fn realtime_paginates_newest_first() {
    let (_sim, c) = start(quiet()).await;
    for chunk in 0..3 {
        let items = (0..20)
            .map(|i| {
                let n = chunk * 20 + i;
                item(
                    "ETHUSDT",
                    "Buy",
                    "0.01",
                    &format!("{}", 1000 + n),
                    &format!("pg-{n:02}"),
                )
            })
            .collect();
        assert_eq!(
            c.post("/v5/order/create-batch", &batch("linear", items))
                .await
                .item_codes(),
            vec![0; 20]
        );
    }
    let mut seen = Vec::new();
    let mut query = mm_bybit::OpenOrdersQuery::new(mm_bybit::Category::Linear);
    query.symbol = Some("ETHUSDT".into());
    query.limit = Some(25);
    loop {
        let r = c.get("/v5/order/realtime", &query.to_query_string()).await;
        let page: Response<OpenOrdersResult> = serde_json::from_str(&r.text).unwrap();
        assert_eq!(page.ret_code, 0, "{}", r.text);
        assert!(page.result.list.len() <= 25);
        seen.extend(page.result.list.iter().map(|o| o.order_link_id.clone()));
        if page.result.next_page_cursor.is_empty() {
            break;
        }
        query.cursor = Some(page.result.next_page_cursor);
    }
    let expected: Vec<String> = (0..60).rev().map(|n| format!("pg-{n:02}")).collect();
    assert_eq!(seen, expected);
    // Default page size is 20; limit outside 1..=50 and linear without symbol are 10001.
    let r = c
        .get("/v5/order/realtime", "category=linear&symbol=ETHUSDT")
        .await;
    assert_eq!(r.json()["result"]["list"].as_array().unwrap().len(), 20);
    assert_eq!(
        c.get(
            "/v5/order/realtime",
            "category=linear&symbol=ETHUSDT&limit=51"
        )
        .await
        .ret_code(),
        10001
    );
    assert_eq!(
        c.get("/v5/order/realtime", "category=linear")
            .await
            .ret_code(),
        10001
    );
    assert_eq!(
        c.get(
            "/v5/order/realtime",
            "category=linear&symbol=ETHUSDT&cursor=bogus"
        )
        .await
        .ret_code(),
        10001
    );
}

#[tokio::test]
async fn cancel_all_by_symbol() {
    let (sim, c) = start(quiet()).await;
    let mut items = eth_buys(5, "ca-e");
    items.push(item("BTCUSDT", "Buy", "0.001", "50000", "ca-b"));
    assert_eq!(
        c.post("/v5/order/create-batch", &batch("linear", items))
            .await
            .item_codes(),
        vec![0; 6]
    );
    let r = c
        .post(
            "/v5/order/cancel-all",
            &json!({"category": "linear", "symbol": "ETHUSDT"}).to_string(),
        )
        .await;
    assert_eq!(r.ret_code(), 0);
    let res: Response<mm_bybit::CancelAllResult> = serde_json::from_str(&r.text).unwrap();
    assert_eq!(res.result.success, "1");
    assert_eq!(res.result.list.len(), 5);
    assert!(
        res.result
            .list
            .iter()
            .all(|a| a.order_link_id.starts_with("ca-e"))
    );
    let open = sim.state().open_orders;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].symbol, "BTCUSDT");
    // Linear needs a filter.
    assert_eq!(
        c.post("/v5/order/cancel-all", r#"{"category":"linear"}"#)
            .await
            .ret_code(),
        10001
    );
    assert_eq!(sim.state().orders_by_path["/v5/order/cancel-all"], 5);
}

#[tokio::test]
async fn cancel_all_caps_linear_at_500() {
    let (sim, c) = start(quiet()).await;
    for chunk in 0..26 {
        let items = (0..20)
            .map(|i| {
                let n = chunk * 20 + i;
                item(
                    "XRPUSDT",
                    "Buy",
                    "1",
                    &format!("0.{:04}", 1000 + n),
                    &format!("cap-{n}"),
                )
            })
            .collect();
        let r = c
            .post("/v5/order/create-batch", &batch("linear", items))
            .await;
        assert_eq!(r.ret_code(), 0);
        let want = if chunk < 25 { 0 } else { 110020 };
        assert_eq!(r.item_codes(), vec![want; 20], "chunk {chunk}");
    }
    // 500 open per symbol is Bybit's cap: the 501st onwards are 110020.
    assert_eq!(sim.state().open_orders.len(), 500);
    let more = c
        .post(
            "/v5/order/create",
            &single("linear", item("SOLUSDT", "Buy", "0.1", "100", "cap-sol")),
        )
        .await;
    assert_eq!(more.ret_code(), 0);
    let r = c
        .post(
            "/v5/order/cancel-all",
            &json!({"category": "linear", "settleCoin": "USDT"}).to_string(),
        )
        .await;
    let res: Response<mm_bybit::CancelAllResult> = serde_json::from_str(&r.text).unwrap();
    assert_eq!(res.result.list.len(), 500);
    assert_eq!(sim.state().open_orders.len(), 1);
}
