//! The WebSocket streams over a real loopback connection: the public book (snapshot, deltas
//! with `u` +1, applying them gives the simulator's book), tickers, ping/pong, the idle cut,
//! private auth and the order/execution/position pushes, the timed walk, and stream faults.
#![allow(clippy::unwrap_used)]

mod common;
mod ws;

use std::collections::BTreeMap;

use common::*;
use mm_sim::{FaultSpec, SimConfig};
use serde_json::{Value, json};
use ws::{Next, Ws};

/// A book kept from `orderbook` pushes: price -> size per side.
#[derive(Default)]
struct Book {
    bids: BTreeMap<String, String>,
    asks: BTreeMap<String, String>,
    u: u64,
}

impl Book {
    fn apply(&mut self, msg: &Value) {
        let d = &msg["data"];
        if msg["type"] == "snapshot" {
            self.bids.clear();
            self.asks.clear();
        } else {
            assert_eq!(d["u"].as_u64().unwrap(), self.u + 1, "u continues: {msg}");
        }
        self.u = d["u"].as_u64().unwrap();
        for (side, levels) in [(&mut self.bids, &d["b"]), (&mut self.asks, &d["a"])] {
            for l in levels.as_array().unwrap() {
                let (p, s) = (l[0].as_str().unwrap(), l[1].as_str().unwrap());
                if s == "0" {
                    side.remove(p);
                } else {
                    side.insert(p.to_string(), s.to_string());
                }
            }
        }
    }

    fn best(&self) -> (String, String) {
        let num = |s: &String| s.parse::<f64>().unwrap();
        let bid = self
            .bids
            .keys()
            .max_by(|a, b| num(a).total_cmp(&num(b)))
            .unwrap();
        let ask = self
            .asks
            .keys()
            .min_by(|a, b| num(a).total_cmp(&num(b)))
            .unwrap();
        (bid.clone(), ask.clone())
    }
}

#[tokio::test]
async fn book_stream_snapshot_then_deltas_track_the_market() {
    let (sim, c) = start(SimConfig::default()).await;
    let mut ws = Ws::connect(&sim.base_url(), "/v5/public/linear").await;
    let ack = ws.subscribe(&["orderbook.50.BTCUSDT"]).await;
    assert_eq!(
        (ack["success"].clone(), ack["op"].clone()),
        (json!(true), json!("subscribe"))
    );
    let mut book = Book::default();
    let snap = ws.next_on("orderbook.50.BTCUSDT").await;
    assert_eq!(snap["type"], "snapshot");
    book.apply(&snap);
    assert_eq!((book.bids.len(), book.asks.len()), (50, 50));
    for _ in 0..5 {
        let (bid, ask) = c.ticker("BTCUSDT").await; // one walk step
        let delta = ws.next_on("orderbook.50.BTCUSDT").await;
        assert_eq!(delta["type"], "delta");
        book.apply(&delta);
        assert_eq!(book.best(), (bid, ask));
        assert_eq!((book.bids.len(), book.asks.len()), (50, 50));
    }
    let st = sim.state();
    assert_eq!(
        book.best(),
        (
            st.prices["BTCUSDT"].bid.clone(),
            st.prices["BTCUSDT"].ask.clone()
        )
    );
    // A second subscription to the same topic is refused; unknown topics too.
    assert_eq!(
        ws.subscribe(&["orderbook.50.BTCUSDT"]).await["success"],
        false
    );
    assert_eq!(
        ws.subscribe(&["orderbook.7.BTCUSDT"]).await["success"],
        false
    );
    assert_eq!(ws.subscribe(&["orderbook.50.NOPE"]).await["success"], false);
    sim.shutdown().await;
}

#[tokio::test]
async fn tickers_and_depth_one_are_snapshots_then_updates() {
    let (sim, c) = start(SimConfig::default()).await;
    let mut ws = Ws::connect(&sim.base_url(), "/v5/public/linear").await;
    ws.subscribe(&["tickers.ETHUSDT", "orderbook.1.ETHUSDT"])
        .await;
    let first = ws.pushes(2).await;
    assert_eq!(first["tickers.ETHUSDT"]["type"], "snapshot");
    let (bid, _) = c.ticker("ETHUSDT").await;
    let next = ws.pushes(2).await;
    let t1 = &next["tickers.ETHUSDT"];
    assert_eq!(t1["type"], "delta");
    assert_eq!(t1["data"]["bid1Price"], bid.as_str());
    let top = &next["orderbook.1.ETHUSDT"];
    assert_eq!(top["type"], "snapshot", "depth 1 is snapshot-only");
    assert_eq!(top["data"]["b"][0][0], bid.as_str());
    sim.shutdown().await;
}

#[tokio::test]
async fn ping_is_answered_and_a_silent_connection_is_closed() {
    let cfg = SimConfig {
        ws_idle_ms: 400,
        ..SimConfig::default()
    };
    let (sim, _c) = start(cfg).await;
    let mut quiet = Ws::connect(&sim.base_url(), "/v5/public/linear").await;
    let mut chatty = Ws::connect(&sim.base_url(), "/v5/private").await;
    for _ in 0..6 {
        chatty.send(json!({"req_id": "p", "op": "ping"})).await;
        let pong = chatty.next_reply().await;
        assert_eq!(
            (pong["op"].clone(), pong["req_id"].clone()),
            (json!("pong"), json!("p"))
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // 600 ms without a word: the quiet one was closed, with a reason.
    match quiet.next_within(2000).await {
        Next::Closed(reason) => assert!(reason.contains("idle"), "{reason}"),
        other => panic!("expected an idle close, got {other:?}"),
    }
    chatty.send(json!({"op": "ping"})).await;
    assert_eq!(chatty.next_reply().await["op"], "pong");
    let mut public = Ws::connect(&sim.base_url(), "/v5/public/linear").await;
    public.send(json!({"req_id": "x", "op": "ping"})).await;
    let pong = public.next_reply().await;
    assert_eq!(
        (pong["ret_msg"].clone(), pong["op"].clone()),
        (json!("pong"), json!("ping"))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn private_auth_is_checked() {
    let (sim, _c) = start(SimConfig::default()).await;
    let mut ws = Ws::connect(&sim.base_url(), "/v5/private").await;
    assert_eq!(
        ws.subscribe(&["order"]).await["success"],
        false,
        "not before auth"
    );
    let later = now_ms() + 10_000;
    assert_eq!(ws.auth(KEY, "wrong-secret", later).await["success"], false);
    assert_eq!(ws.auth("other-key", SECRET, later).await["success"], false);
    assert_eq!(
        ws.auth(KEY, SECRET, now_ms() - 1).await["success"],
        false,
        "expired"
    );
    let ok = ws.auth(KEY, SECRET, later).await;
    assert_eq!(
        (ok["success"].clone(), ok["op"].clone()),
        (json!(true), json!("auth"))
    );
    assert_eq!(
        ws.subscribe(&["order", "execution", "position"]).await["success"],
        true
    );
    assert_eq!(ws.subscribe(&["wallet"]).await["success"], false);
    assert!(sim.state().auth_failures >= 3);
    sim.shutdown().await;
}

/// A private connection subscribed to the three topics.

#[tokio::test]
async fn every_order_change_and_fill_is_pushed() {
    let (sim, c) = start(quiet()).await;
    let mut ws = Ws::private(&sim.base_url(), KEY, SECRET).await;
    // Resting, then cancelled.
    let body = single("linear", item("ETHUSDT", "Buy", "0.01", "2000", "rest-1"));
    assert_eq!(c.post("/v5/order/create", &body).await.ret_code(), 0);
    let o = ws.next_on("order").await;
    assert_eq!(
        (
            o["data"][0]["orderLinkId"].clone(),
            o["data"][0]["orderStatus"].clone()
        ),
        (json!("rest-1"), json!("New"))
    );
    c.post("/v5/order/cancel", &by_link("linear", "ETHUSDT", "rest-1"))
        .await;
    let o = ws.next_on("order").await;
    assert_eq!(o["data"][0]["orderStatus"], "Cancelled");
    // A crossing GTC buy fills at once: the order, its execution, the position.
    let ask = c.buy_at_ask("ETHUSDT", "0.05", "take-1").await;
    let mut seen = BTreeMap::new();
    while seen.len() < 3 {
        let m = ws.next().await;
        seen.insert(m["topic"].as_str().unwrap().to_string(), m);
    }
    assert_eq!(seen["order"]["data"][0]["orderStatus"], "Filled");
    let e = &seen["execution"]["data"][0];
    assert_eq!(
        (
            e["orderLinkId"].clone(),
            e["execQty"].clone(),
            e["execPrice"].clone()
        ),
        (json!("take-1"), json!("0.05"), json!(ask))
    );
    let p = &seen["position"]["data"][0];
    assert_eq!(
        (p["symbol"].clone(), p["side"].clone(), p["size"].clone()),
        (json!("ETHUSDT"), json!("Buy"), json!("0.05"))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_timed_walk_moves_the_market_and_fills_between_polls() {
    let cfg = SimConfig {
        walk_interval_ms: 10,
        walk_bps: 20,
        ..SimConfig::default()
    };
    let (sim, c) = start(cfg).await;
    let mut book = Ws::connect(&sim.base_url(), "/v5/public/linear").await;
    book.subscribe(&["orderbook.50.ETHUSDT"]).await;
    let first = book.next_on("orderbook.50.ETHUSDT").await["data"]["u"]
        .as_u64()
        .unwrap();
    let later = book.next_on("orderbook.50.ETHUSDT").await["data"]["u"]
        .as_u64()
        .unwrap();
    assert!(later > first, "the book moved with no poll");
    // Resting orders a few ticks either side of the touch fill as the market walks into them.
    let mut ws = Ws::private(&sim.base_url(), KEY, SECRET).await;
    let mid: f64 = sim.state().prices["ETHUSDT"].mid.parse().unwrap();
    let buy = item(
        "ETHUSDT",
        "Buy",
        "0.01",
        &format!("{:.2}", mid - 1.0),
        "walk-b",
    );
    let sell = item(
        "ETHUSDT",
        "Sell",
        "0.01",
        &format!("{:.2}", mid + 1.0),
        "walk-s",
    );
    let r = c
        .post("/v5/order/create-batch", &batch("linear", vec![buy, sell]))
        .await;
    assert_eq!(r.item_codes(), vec![0, 0]);
    let e = ws.next_on("execution").await;
    assert_eq!(e["data"][0]["isMaker"], true);
    sim.shutdown().await;
}

/// `set_private_stream(false)`: a connected private stream ends at its next event and a new
/// one is refused (HTTP 503) until switched on again; the public stream is untouched. The
/// simulator's record: the executions with their time, and the timed walk's steps.
#[tokio::test]
async fn the_private_stream_goes_down_on_demand_and_the_record_keeps_fills_and_steps() {
    let cfg = SimConfig {
        walk_interval_ms: 50,
        ..SimConfig::default()
    };
    let (sim, c) = start(cfg).await;
    let url = sim.base_url().replace("http://", "ws://");
    let mut private = Ws::private(&sim.base_url(), KEY, SECRET).await;
    let mut book = Ws::connect(&sim.base_url(), "/v5/public/linear").await;
    book.subscribe(&["orderbook.1.ETHUSDT"]).await;
    sim.set_private_stream(false);
    // Market events reach every connection: the private one is closed at the next.
    loop {
        match private.next_within(2000).await {
            Next::Json(_) => continue,
            Next::Gone | Next::Closed(_) => break,
            Next::Quiet => panic!("the private stream stayed up"),
        }
    }
    let refused = tokio_tungstenite::connect_async(format!("{url}/v5/private")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 503),
        other => panic!("not refused: {other:?}"),
    }
    assert!(
        matches!(book.next_within(2000).await, Next::Json(_)),
        "public stream up"
    );
    sim.set_private_stream(true);
    let mut again = Ws::private(&sim.base_url(), KEY, SECRET).await;
    let before = now_ms();
    // Well through the ask (a few walk steps away), so it fills whatever the walk does.
    let (_, ask) = c.ticker("ETHUSDT").await;
    let through = format!("{:.2}", ask.parse::<f64>().unwrap() + 5.0);
    let mut gtc = item("ETHUSDT", "Buy", "0.05", &through, "take-1");
    gtc["timeInForce"] = json!("GTC");
    let r = c.post("/v5/order/create", &single("linear", gtc)).await;
    assert_eq!(r.ret_code(), 0, "{}", r.text);
    assert_eq!(
        again.next_on("execution").await["data"][0]["orderLinkId"],
        "take-1"
    );
    let x = sim.executions();
    assert_eq!(x.len(), 1, "{x:?}");
    assert_eq!(
        (x[0].order_link_id.as_str(), x[0].exec_qty.as_str()),
        ("take-1", "0.05")
    );
    assert_eq!(x[0].leaves_qty, "0.00", "nothing left (on the qty grid)");
    assert!(
        x[0].exec_time_ms >= before && x[0].exec_time_ms <= now_ms(),
        "{x:?}"
    );
    // The walk runs every 50 ms: wait (bounded) for a second step.
    let mut steps = sim.walk_times();
    for _ in 0..100 {
        if steps.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        steps = sim.walk_times();
    }
    assert!(steps.len() >= 2, "{steps:?}");
    assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
    sim.shutdown().await;
}

fn faulty(spec: &str) -> SimConfig {
    SimConfig {
        faults: spec.parse::<FaultSpec>().unwrap(),
        ..SimConfig::default()
    }
}

#[tokio::test]
async fn stream_faults_skip_duplicate_and_drop() {
    // Skipped deltas: the client sees `u` jump, as a lost packet would show.
    let (sim, c) = start(faulty("ws_skip=0.5")).await;
    let mut ws = Ws::connect(&sim.base_url(), "/v5/public/linear").await;
    ws.subscribe(&["orderbook.50.BTCUSDT"]).await;
    let mut u = ws.next_on("orderbook.50.BTCUSDT").await["data"]["u"]
        .as_u64()
        .unwrap();
    let mut jumped = false;
    for _ in 0..20 {
        c.ticker("BTCUSDT").await;
    }
    while let Next::Json(m) = ws.next_within(300).await {
        let next = m["data"]["u"].as_u64().unwrap();
        jumped |= next > u + 1;
        u = next;
    }
    assert!(jumped, "a delta was skipped");
    assert!(sim.state().faults_injected["ws_skip"] > 0);
    sim.shutdown().await;

    // Duplicates: every push twice.
    let (sim, c) = start(faulty("ws_dup=1")).await;
    let mut ws = Ws::connect(&sim.base_url(), "/v5/public/linear").await;
    ws.subscribe(&["orderbook.50.BTCUSDT"]).await;
    let a = ws.next_on("orderbook.50.BTCUSDT").await;
    let b = ws.next_on("orderbook.50.BTCUSDT").await;
    assert_eq!(a, b);
    c.ticker("BTCUSDT").await;
    sim.shutdown().await;

    // Drop: the connection ends without a close frame at the first push.
    let (sim, _c) = start(faulty("ws_drop=1")).await;
    let mut ws = Ws::connect(&sim.base_url(), "/v5/public/linear").await;
    let ack = ws.subscribe(&["orderbook.50.BTCUSDT"]).await;
    assert_eq!(ack["success"], true, "command replies are never faulted");
    assert!(matches!(ws.next_within(2000).await, Next::Gone), "dropped");

    // Delay: the push still comes.
    let (sim2, _c2) = start(faulty("ws_delay=1")).await;
    let mut ws = Ws::connect(&sim2.base_url(), "/v5/public/linear").await;
    ws.subscribe(&["orderbook.50.BTCUSDT"]).await;
    assert_eq!(ws.next_on("orderbook.50.BTCUSDT").await["type"], "snapshot");
    assert_eq!(sim2.state().faults_injected["ws_delay"], 1);
    sim.shutdown().await;
    sim2.shutdown().await;
}
