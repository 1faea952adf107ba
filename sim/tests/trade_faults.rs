//! The trade stream's faults, seen by a raw client: `ws_trade_drop` (connection dropped with
//! requests in flight, all applied, none answered), `ws_trade_lost` (applied, no reply, the
//! connection stays) and `ws_trade_restart` (10019, nothing applied).
#![allow(clippy::unwrap_used)]

mod common;
mod ws;

use common::*;
use mm_bybit::ws::trade::TradeMessage;
use mm_sim::{FaultSpec, SimConfig};
use serde_json::json;
use ws::trade::{create, create_batch};
use ws::{Next, Ws};

async fn trade(sim: &mm_sim::SimHandle) -> Ws {
    Ws::trade(&sim.base_url(), KEY, SECRET).await
}

fn create_at(req_id: &str, link: &str, price: &str) -> String {
    create(req_id, item("ETHUSDT", "Buy", "0.01", price, link))
}

fn faulty(spec: &str) -> SimConfig {
    SimConfig {
        latency_ms: 40,
        faults: FaultSpec::parse(spec).unwrap(),
        ..quiet()
    }
}

#[tokio::test]
async fn a_dropped_trade_connection_applies_its_requests_and_answers_none() {
    let (sim, _c) = start(faulty("ws_trade_drop=1")).await;
    let mut ws = trade(&sim).await;
    for i in 0..3 {
        ws.send_text(create_at(
            &format!("f-{i}"),
            &format!("f-{i}"),
            &format!("{}", 2000 + i),
        ))
        .await;
    }
    match ws.next_within(2000).await {
        Next::Gone => {}
        other => panic!("expected the connection dropped without a reply, got {other:?}"),
    }
    // The three were received before the drop: all applied.
    for _ in 0..100 {
        if open_links(&sim).len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(open_links(&sim), ["f-0", "f-1", "f-2"], "{:?}", sim.state());
    assert!(sim.state().faults_injected["ws_trade_drop"] >= 1);
}

#[tokio::test]
async fn a_lost_reply_leaves_the_order_placed_and_the_connection_open() {
    let (sim, _c) = start(faulty("ws_trade_lost=1")).await;
    let mut ws = trade(&sim).await;
    ws.send_text(create_at("l-1", "l-1", "2000")).await;
    match ws.next_within(300).await {
        Next::Quiet => {}
        other => panic!("expected no reply, got {other:?}"),
    }
    assert_eq!(open_links(&sim), ["l-1"]);
    ws.send(json!({"op": "ping"})).await;
    assert_eq!(ws.next().await["op"], "pong");
    assert_eq!(sim.state().faults_injected["ws_trade_lost"], 1);
}

#[tokio::test]
async fn a_restarting_trade_service_answers_10019_and_places_nothing() {
    let (sim, _c) = start(faulty("ws_trade_restart=1")).await;
    let mut ws = trade(&sim).await;
    ws.send_text(create_batch("s-1", eth_buys(2, "s"))).await;
    let TradeMessage::CreateBatch(r) = ws.trade_reply().await else {
        panic!("not a create-batch reply");
    };
    assert_eq!(
        (r.req_id.as_deref(), r.ret_code),
        (Some("s-1"), 10_019),
        "{r:?}"
    );
    assert!(sim.state().open_orders.is_empty());
    assert_eq!(sim.state().faults_injected["ws_trade_restart"], 1);
    ws.send(json!({"op": "ping"})).await;
    assert_eq!(ws.next().await["op"], "pong");
}
