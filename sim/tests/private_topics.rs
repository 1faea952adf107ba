//! Private-stream pushes beyond fills: the position after every order request, and the
//! second `Filled` message of a cancel that raced the fill.
#![allow(clippy::unwrap_used)]

mod common;
mod ws;

use common::*;
use mm_bybit::ws::{PositionSide, StreamMessage};
use serde_json::json;
use ws::{Next, Ws};

#[tokio::test]
async fn a_position_is_pushed_on_every_create_amend_and_cancel() {
    let (sim, c) = start(quiet()).await;
    let mut ws = Ws::private(&sim.base_url(), KEY, SECRET).await;
    let create = single("linear", item("ETHUSDT", "Buy", "0.01", "2000", "p-1"));
    let amend = json!({"category": "linear", "symbol": "ETHUSDT", "orderLinkId": "p-1",
        "price": "2001"});
    let cancel = by_link("linear", "ETHUSDT", "p-1");
    for (path, body) in [
        ("/v5/order/create", create),
        ("/v5/order/amend", amend.to_string()),
        ("/v5/order/cancel", cancel.clone()),
    ] {
        assert_eq!(c.post(path, &body).await.ret_code(), 0);
        // Nothing filled: the (never traded) flat position, as Bybit pushes it anyway.
        let p = ws.next_on("position").await;
        let d = &p["data"][0];
        assert_eq!(
            (
                d["symbol"].clone(),
                d["size"].clone(),
                d["side"].clone(),
                d["seq"].clone()
            ),
            (json!("ETHUSDT"), json!("0"), json!(""), json!(-1)),
            "after {path}: {p}"
        );
        // And the client's own types read it.
        let Ok(StreamMessage::Position(read)) = StreamMessage::parse(&p.to_string()) else {
            panic!("mm-bybit does not read {p}");
        };
        assert_eq!(read.data[0].side, PositionSide::Flat);
    }
    // A refused cancel changed no order: nothing is pushed.
    assert_eq!(
        c.post("/v5/order/cancel", &cancel).await.ret_code(),
        110_001
    );
    assert!(matches!(ws.next_within(200).await, Next::Quiet));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_cancel_racing_a_fill_gets_a_second_filled_message() {
    let (sim, c) = start(quiet()).await;
    let mut ws = Ws::private(&sim.base_url(), KEY, SECRET).await;
    c.buy_at_ask("ETHUSDT", "0.05", "race-1").await;
    let filled = ws.next_on("order").await;
    assert_eq!(filled["data"][0]["orderStatus"], "Filled");
    let cancel = by_link("linear", "ETHUSDT", "race-1");
    assert_eq!(
        c.post("/v5/order/cancel", &cancel).await.ret_code(),
        110_001
    );
    let echo = ws.next_on("order").await;
    let d = &echo["data"][0];
    assert_eq!(
        (
            d["orderLinkId"].clone(),
            d["orderStatus"].clone(),
            d["cancelType"].clone(),
            d["rejectReason"].clone(),
            d["cumExecQty"].clone()
        ),
        (
            json!("race-1"),
            json!("Filled"),
            json!("CancelByUser"),
            json!("EC_OrigClOrdIDDoesNotExist"),
            json!("0.05")
        )
    );
    // A cancel of an order that never was, or one that filled long before, is no race.
    let never = by_link("linear", "ETHUSDT", "never-1");
    assert_eq!(c.post("/v5/order/cancel", &never).await.ret_code(), 110_001);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        c.post("/v5/order/cancel", &cancel).await.ret_code(),
        110_001
    );
    assert!(matches!(ws.next_within(200).await, Next::Quiet));
    sim.shutdown().await;
}
