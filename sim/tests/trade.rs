//! Order entry over the trade stream (`/v5/trade`) on a real loopback connection, requests
//! built and replies read with mm-bybit's own trade types: the same engine as REST (an order
//! placed over WS is listed over REST; an unknown order gives REST's code), one rate quota
//! for both transports, auth, the `header` window, duplicate `reqId`s, arrival order (the
//! faults: `trade_faults.rs`).
#![allow(clippy::unwrap_used)]

mod common;
mod ws;

use common::*;
use mm_bybit::ws::trade::{TradeHeader, TradeMessage, TradeRequest};
use mm_bybit::{CancelOrder, Category, paths};
use mm_sim::{Limits, SimConfig, SimHandle, Tier};
use serde_json::json;
use ws::Ws;
use ws::trade::{create, create_batch, header, place};

/// An `order.create` of one post-only ETHUSDT buy of 0.01 at `price`, linked `link`.
fn create_at(req_id: &str, link: &str, price: &str) -> String {
    create(req_id, item("ETHUSDT", "Buy", "0.01", price, link))
}

/// An authenticated trade connection.
async fn trade(sim: &SimHandle) -> Ws {
    Ws::trade(&sim.base_url(), KEY, SECRET).await
}

#[tokio::test]
async fn a_batch_placed_over_ws_is_the_order_rest_lists() {
    let (sim, c) = start(quiet()).await;
    let mut ws = trade(&sim).await;
    ws.send_text(create_batch("b-1", eth_buys(3, "w"))).await;
    let TradeMessage::CreateBatch(r) = ws.trade_reply().await else {
        panic!("not a create-batch reply");
    };
    assert_eq!(r.req_id.as_deref(), Some("b-1"));
    assert_eq!((r.ret_code, r.op.as_str()), (0, "order.create-batch"));
    assert!(!r.conn_id.is_empty());
    let codes: Vec<i64> = r
        .ret_ext_info
        .as_ref()
        .unwrap()
        .list
        .iter()
        .map(|i| i.code)
        .collect();
    assert_eq!(codes, [0, 0, 0]);
    let h = r.header.as_ref().unwrap();
    assert_eq!(h.trace_id().map(str::len), Some(32));
    assert!(h.time_now_ms().is_some());
    let items = &r.data.as_ref().unwrap().list;
    for (i, it) in items.iter().enumerate() {
        let listed = c.order("ETHUSDT", &format!("w-{i}"), "").await;
        assert_eq!(listed["orderId"], it.order_id.as_str(), "{listed}");
        assert_eq!(listed["orderStatus"], "New");
    }
    assert_eq!(sim.state().orders_by_path["order.create-batch"], 3);
    assert_eq!(sim.state().requests_by_path["order.create-batch"], 1);

    // Single ops: amend and cancel it over WS; a second cancel gets REST's 110001.
    let amend = json!({"reqId": "a-1", "header": header(), "op": "order.amend", "args": [
        {"category": "linear", "symbol": "ETHUSDT", "orderLinkId": "w-0", "price": "1990"}]});
    ws.send(amend).await;
    let TradeMessage::Order(r) = ws.trade_reply().await else {
        panic!("not an order reply");
    };
    assert_eq!((r.ret_code, r.op.as_str()), (0, "order.amend"), "{r:?}");
    assert_eq!(c.order("ETHUSDT", "w-0", "").await["price"], "1990.00");
    let cancel = CancelOrder {
        category: Some(Category::Linear),
        symbol: "ETHUSDT".into(),
        order_id: None,
        order_link_id: Some("w-0".into()),
    };
    for (id, code) in [("c-1", 0), ("c-2", 110_001)] {
        let req = TradeRequest::cancel(id.into(), header(), cancel.clone());
        ws.send_text(req.to_json()).await;
        let TradeMessage::Order(r) = ws.trade_reply().await else {
            panic!("not an order reply");
        };
        assert_eq!((r.req_id.as_deref(), r.ret_code), (Some(id), code), "{r:?}");
    }
    let rest = c
        .post(paths::CANCEL, &by_link("linear", "ETHUSDT", "w-0"))
        .await;
    assert_eq!(rest.ret_code(), 110_001, "REST agrees: {}", rest.text);
}

#[derive(Clone, Copy, Debug)]
enum Via {
    Rest,
    Ws,
}

/// Two-order create-batches sent in `plan`'s order on the default tier (10 orders a window
/// for derivatives create-batch, window stretched to a minute): each one's retCode and the
/// `X-Bapi-Limit-Status` it reports.
async fn quota_run(plan: &[Via]) -> Vec<(i64, u32)> {
    let mut limits = Limits::for_tier(Tier::Default);
    limits.uid_window_ms = 60_000;
    let cfg = SimConfig {
        limits: Some(limits),
        ..quiet()
    };
    let (sim, c) = start(cfg).await;
    let mut ws = trade(&sim).await;
    let mut seen = Vec::new();
    for (i, via) in plan.iter().enumerate() {
        let items = buys("ETHUSDT", "0.01", 2000 + 10 * i, 2, &format!("q{i}"));
        seen.push(match via {
            Via::Rest => {
                let r = c.post(paths::CREATE_BATCH, &batch("linear", items)).await;
                let left = r.header("X-Bapi-Limit-Status").unwrap().parse().unwrap();
                (r.ret_code(), left)
            }
            Via::Ws => {
                ws.send_text(create_batch(&format!("q{i}"), items)).await;
                let TradeMessage::CreateBatch(r) = ws.trade_reply().await else {
                    panic!("not a create-batch reply");
                };
                let rate = r.header.as_ref().unwrap().rate_limit().unwrap();
                assert_eq!(rate.limit, 10);
                (r.ret_code, rate.remaining)
            }
        });
    }
    seen
}

#[tokio::test]
async fn rest_and_ws_batches_draw_from_one_quota() {
    use Via::{Rest, Ws};
    let rest = quota_run(&[Rest; 6]).await;
    assert_eq!(
        rest,
        [(0, 8), (0, 6), (0, 4), (0, 2), (0, 0), (10_006, 0)],
        "the sixth batch is over the limit"
    );
    assert_eq!(quota_run(&[Rest, Ws, Rest, Ws, Ws, Rest]).await, rest);
    assert_eq!(quota_run(&[Ws; 6]).await, rest);
}

#[tokio::test]
async fn trade_auth_and_the_header_window_are_checked() {
    let (sim, _c) = start(quiet()).await;
    let mut ws = Ws::connect(&sim.base_url(), "/v5/trade").await;
    // Order op before auth: refused, nothing placed.
    ws.send_text(create_at("early", "e-1", "2000")).await;
    let r = ws.next().await;
    assert_eq!(
        (r["reqId"].clone(), r["retCode"].clone()),
        (json!("early"), json!(10_007))
    );
    let soon = now_ms() + 10_000;
    for (key, secret, expires, code) in [
        (KEY, "wrong", soon, 10_004),
        ("nobody", SECRET, soon, 10_003),
        (KEY, SECRET, now_ms() - 1, 10_001),
        (KEY, SECRET, soon, 0),
        (KEY, SECRET, soon, 20_001),
    ] {
        let r = ws.trade_auth(key, secret, expires).await;
        assert_eq!(
            (r["op"].clone(), r["retCode"].clone()),
            (json!("auth"), json!(code)),
            "{r}"
        );
        assert!(r["connId"].as_str().is_some_and(|c| !c.is_empty()));
    }
    assert_eq!(sim.state().auth_failures, 4);
    // The request's own timestamp, as REST's X-BAPI-TIMESTAMP: 10 s old with a 5 s window.
    let mut stale = place(item("ETHUSDT", "Buy", "0.01", "2000", "e-2"));
    stale.category = Some(Category::Linear);
    let old = TradeHeader::new(now_ms() - 10_000, 5000);
    ws.send_text(TradeRequest::create("old".into(), old, stale).to_json())
        .await;
    let TradeMessage::Order(r) = ws.trade_reply().await else {
        panic!("not an order reply");
    };
    assert_eq!(r.ret_code, 10_002, "{r:?}");
    assert!(sim.state().open_orders.is_empty());
    // Ping keeps the connection; the pong is the trade stream's.
    ws.send(json!({"op": "ping"})).await;
    let pong = ws.next().await;
    assert_eq!(
        (pong["op"].clone(), pong["retCode"].clone()),
        (json!("pong"), json!(0))
    );
}

#[tokio::test]
async fn a_repeated_req_id_is_refused_on_its_connection_only() {
    let cfg = SimConfig {
        latency_ms: 60,
        ..quiet()
    };
    let (sim, _c) = start(cfg).await;
    let mut ws = trade(&sim).await;
    // The second "r-1" arrives while the first is in flight: refused at once, not applied.
    ws.send_text(create_at("r-1", "d-1", "2000")).await;
    ws.send_text(create_at("r-1", "d-2", "2001")).await;
    let first = ws.next().await;
    assert_eq!(
        (first["reqId"].clone(), first["retCode"].clone()),
        (json!("r-1"), json!(20_006))
    );
    let second = ws.next().await;
    assert_eq!(
        (second["reqId"].clone(), second["retCode"].clone()),
        (json!("r-1"), json!(0))
    );
    assert_eq!(open_links(&sim), ["d-1"]);
    // Answered, it is still used on this connection; another connection may use it.
    ws.send_text(create_at("r-1", "d-3", "2002")).await;
    assert_eq!(ws.next().await["retCode"], 20_006);
    let mut other = trade(&sim).await;
    other.send_text(create_at("r-1", "d-4", "2003")).await;
    assert_eq!(other.next().await["retCode"], 0);
    // Too long a reqId: 10001.
    ws.send_text(create_at(&"x".repeat(37), "d-5", "2004"))
        .await;
    assert_eq!(ws.next().await["retCode"], 10_001);
    assert_eq!(open_links(&sim), ["d-1", "d-4"]);
}

#[tokio::test]
async fn amend_and_cancel_batches_over_ws_give_rests_per_item_codes() {
    let (sim, c) = start(quiet()).await;
    let mut ws = trade(&sim).await;
    ws.send_text(create_batch("mk", eth_buys(2, "m"))).await;
    ws.trade_reply().await;
    let amends = json!({"category": "linear", "request": [
        {"symbol": "ETHUSDT", "orderLinkId": "m-0", "price": "1980"},
        {"symbol": "ETHUSDT", "orderLinkId": "none", "price": "1980"}]});
    ws.send(
        json!({"reqId": "ab", "header": header(), "op": "order.amend-batch", "args": [amends]}),
    )
    .await;
    let TradeMessage::Batch(r) = ws.trade_reply().await else {
        panic!("not an amend-batch reply");
    };
    let codes: Vec<i64> = r
        .ret_ext_info
        .unwrap()
        .list
        .iter()
        .map(|i| i.code)
        .collect();
    assert_eq!(
        (r.op.as_str(), codes),
        ("order.amend-batch", vec![0, 110_001])
    );
    let cancels = json!({"category": "linear", "request": [
        {"symbol": "ETHUSDT", "orderLinkId": "m-0"}, {"symbol": "ETHUSDT", "orderLinkId": "m-1"},
        {"symbol": "ETHUSDT", "orderLinkId": "m-0"}]});
    ws.send(json!({"reqId": "cb", "header": header(), "op": "order.cancel-batch", "args": [cancels.clone()]}))
        .await;
    let TradeMessage::Batch(r) = ws.trade_reply().await else {
        panic!("not a cancel-batch reply");
    };
    let codes: Vec<i64> = r
        .ret_ext_info
        .unwrap()
        .list
        .iter()
        .map(|i| i.code)
        .collect();
    assert_eq!(codes, [0, 0, 110_001]);
    assert!(sim.state().open_orders.is_empty());
    // The same batch over REST now: every item is gone, as the WS one found its third.
    let rest = c.post(paths::CANCEL_BATCH, &cancels.to_string()).await;
    assert_eq!(rest.item_codes(), [110_001, 110_001, 110_001]);
    assert_eq!(sim.state().orders_by_path["order.cancel-batch"], 3);
}

#[tokio::test]
async fn a_connections_requests_are_applied_in_arrival_order_under_jitter() {
    // Jitter up to 4x the latency: replies may overtake each other, applications may not.
    let cfg = SimConfig {
        latency_ms: 10,
        jitter_ms: 40,
        ..quiet()
    };
    let (sim, _c) = start(cfg).await;
    let mut ws = trade(&sim).await;
    for i in 0..10 {
        let link = format!("o-{i}");
        ws.send_text(create_at(&format!("c{i}"), &link, &format!("{}", 2000 + i)))
            .await;
        let amend = json!({"reqId": format!("a{i}"), "header": header(), "op": "order.amend",
            "args": [{"category": "linear", "symbol": "ETHUSDT", "orderLinkId": link,
                      "price": format!("{}", 1900 + i)}]});
        ws.send(amend).await;
    }
    let mut codes = std::collections::BTreeMap::new();
    for _ in 0..20 {
        let r = ws.next().await;
        codes.insert(
            r["reqId"].as_str().unwrap().to_string(),
            r["retCode"].clone(),
        );
    }
    assert_eq!(codes.len(), 20);
    assert!(
        codes.values().all(|c| *c == 0),
        "an amend overtook its create: {codes:?}"
    );
    assert_eq!(sim.state().open_orders.len(), 10);
}
