//! Order entry over the trade stream (`mm_shell::stream::TradeClient`)
//! against the simulator's `/v5/trade` on a loopback port: replies are
//! matched to their requests by reqId; a connection lost with requests in
//! flight answers every one of them at once and comes back; a lost reply
//! times out without taking the connection down.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use mm_bybit::ws::trade::{TradeHeader, TradeMessage, TradeRequest};
use mm_bybit::{AmendOrder, BatchRequest, CancelOrder, Category, OrderType, PlaceOrder, Side};
use mm_shell::secrets::Credentials;
use mm_shell::stream::{StreamSettings, TradeClient, TradeError, TradeLink, ws_base_of};
use mm_sim::SimHandle;

fn client(sim: &SimHandle, reply_timeout_ms: u64) -> TradeClient {
    let settings = StreamSettings {
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        jitter_seed: Some(5),
        ..StreamSettings::new(&ws_base_of(&sim.base_url()))
    };
    TradeClient::spawn(
        settings,
        Credentials::paper(),
        Duration::from_millis(reply_timeout_ms),
    )
}

/// Waits until the client is authenticated on connection `n`.
async fn up(c: &TradeClient, n: u64) {
    let mut link = c.link();
    tokio::time::timeout(
        Duration::from_secs(10),
        link.wait_for(|l| *l == TradeLink::Up { connection: n }),
    )
    .await
    .expect("up within 10 s")
    .unwrap();
}

fn header() -> TradeHeader {
    TradeHeader::new(mm_shell::now_ms(), 5000)
}

/// A post-only buy of ETHUSDT well below the market (rests, never fills).
fn resting(link: &str, price: &str) -> PlaceOrder {
    PlaceOrder {
        category: Some(Category::Linear),
        symbol: "ETHUSDT".to_string(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: "0.01".to_string(),
        price: Some(price.to_string()),
        time_in_force: Some(mm_bybit::TimeInForce::PostOnly),
        order_link_id: Some(link.to_string()),
        position_idx: None,
    }
}

fn create(req_id: &str, link: &str) -> TradeRequest<PlaceOrder> {
    TradeRequest::create(req_id.to_string(), header(), resting(link, "1000"))
}

fn ok_order(answer: Result<TradeMessage, TradeError>, req_id: &str, op: &str) -> String {
    match answer {
        Ok(TradeMessage::Order(r)) => {
            assert_eq!((r.req_id.as_deref(), r.op.as_str()), (Some(req_id), op));
            assert_eq!(r.ret_code, 0, "{}", r.ret_msg);
            r.data.unwrap().order_link_id
        }
        other => panic!("{req_id}: {other:?}"),
    }
}

#[tokio::test]
async fn replies_are_matched_to_their_requests_by_req_id() {
    let sim = common::sim_with_faults("none").await;
    let c = client(&sim, 5000);
    up(&c, 1).await;
    // Four requests at once: each answer is its own request's.
    let batch = TradeRequest::create_batch(
        "r-batch".to_string(),
        header(),
        BatchRequest {
            category: Category::Linear,
            request: vec![resting("b-1", "1000"), resting("b-2", "1001")],
        },
    );
    let (a, b, batch) = tokio::join!(
        c.send(&create("r-a", "a-1")),
        c.send(&create("r-b", "b-0")),
        c.send(&batch)
    );
    assert_eq!(ok_order(a, "r-a", "order.create"), "a-1");
    assert_eq!(ok_order(b, "r-b", "order.create"), "b-0");
    match batch {
        Ok(TradeMessage::CreateBatch(r)) => {
            assert_eq!(r.req_id.as_deref(), Some("r-batch"));
            let links: Vec<String> = r
                .data
                .unwrap()
                .list
                .into_iter()
                .map(|i| i.order_link_id)
                .collect();
            assert_eq!(links, ["b-1", "b-2"]);
            let codes: Vec<i64> = r
                .ret_ext_info
                .unwrap()
                .list
                .iter()
                .map(|i| i.code)
                .collect();
            assert_eq!(codes, [0, 0]);
        }
        other => panic!("{other:?}"),
    }
    let amend = AmendOrder {
        category: Some(Category::Linear),
        symbol: "ETHUSDT".to_string(),
        order_link_id: Some("a-1".to_string()),
        price: Some("999".to_string()),
        ..AmendOrder::default()
    };
    let amended = c
        .send(&TradeRequest::amend("r-amend".to_string(), header(), amend))
        .await;
    assert_eq!(ok_order(amended, "r-amend", "order.amend"), "a-1");
    let cancel = CancelOrder {
        category: Some(Category::Linear),
        symbol: "ETHUSDT".to_string(),
        order_id: None,
        order_link_id: Some("a-1".to_string()),
    };
    let cancelled = c
        .send(&TradeRequest::cancel(
            "r-cancel".to_string(),
            header(),
            cancel,
        ))
        .await;
    assert_eq!(ok_order(cancelled, "r-cancel", "order.cancel"), "a-1");
    // A request without reqId cannot be matched: refused before it leaves.
    let mut anonymous = create("x", "x-1");
    anonymous.req_id = None;
    assert_eq!(c.send(&anonymous).await.unwrap_err(), TradeError::NoReqId);
    assert_eq!(*c.link().borrow(), TradeLink::Up { connection: 1 });
    sim.shutdown().await;
}

#[tokio::test]
async fn a_dropped_connection_answers_every_request_in_flight_and_comes_back() {
    let sim = common::sim_with_faults("ws_trade_drop=1").await;
    let c = client(&sim, 5000);
    up(&c, 1).await;
    let started = tokio::time::Instant::now();
    let answers = futures_util::future::join_all(
        (0..5).map(|i| c.send(&create(&format!("r-{i}"), &format!("d-{i}")))),
    )
    .await;
    // Nothing waited for the 5 s reply timeout: each was answered when the
    // connection went (or refused while it was down).
    assert!(started.elapsed() < Duration::from_secs(4));
    let mut lost = 0;
    for a in &answers {
        match a {
            Err(e @ TradeError::Lost(_)) => {
                assert!(e.maybe_applied());
                lost += 1;
            }
            Err(e @ TradeError::NotConnected(_)) => assert!(!e.maybe_applied()),
            other => panic!("{other:?}"),
        }
    }
    assert!(lost >= 1, "{answers:?}");
    // It comes back, authenticated again.
    up(&c, 2).await;
    assert!(sim.state().faults_injected["ws_trade_drop"] >= 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_lost_reply_times_out_and_the_connection_stays() {
    let sim = common::sim_with_faults("ws_trade_lost=1").await;
    let c = client(&sim, 300);
    up(&c, 1).await;
    let answer = c.send(&create("r-1", "l-1")).await;
    assert_eq!(answer.unwrap_err(), TradeError::Timeout(300));
    // Forgotten, so the same reqId may be sent again (the simulator refuses
    // it as a repeat: 20006, answered and matched).
    match c.send(&create("r-1", "l-2")).await {
        Err(TradeError::Timeout(300)) => {}
        Ok(TradeMessage::Order(r)) => assert_eq!(r.ret_code, 20006),
        other => panic!("{other:?}"),
    }
    assert_eq!(*c.link().borrow(), TradeLink::Up { connection: 1 });
    sim.shutdown().await;
}
