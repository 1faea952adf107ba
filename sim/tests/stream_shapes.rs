//! Every stream message that has a documented Bybit example (copied into `tests/fixtures/ws`),
//! the trade stream's replies included, has that example's fields with the same JSON types,
//! compared key by key over a real loopback WebSocket.
#![allow(clippy::unwrap_used)]

mod common;
mod ws;

use std::collections::BTreeSet;

use common::shape::differences;
use common::*;
use mm_bybit::ws::trade::TradeRequest;
use mm_bybit::{BatchRequest, Category};
use mm_sim::SimConfig;
use serde_json::{Value, json};
use ws::Ws;
use ws::trade::{create, header, place};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ws");

struct Checker {
    covered: BTreeSet<String>,
}

impl Checker {
    fn check(&mut self, example: &str, got: &Value) {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{example}")).unwrap();
        let want: Value = serde_json::from_str(&text).unwrap();
        let errs = differences(&want, got);
        assert!(
            errs.is_empty(),
            "{example}: the message's shape differs:\n  {}\nmessage: {got}",
            errs.join("\n  ")
        );
        self.covered.insert(example.to_string());
    }
}

#[tokio::test]
async fn every_stream_message_with_an_example_has_its_shape() {
    let mut cfg = quiet();
    cfg.walk_bps = 5;
    cfg.instruments.extend([
        inst("BTC-30DEC22-18000-C", Category::Option, "435", "5", "0.01"),
        inst("BTCUSDC", Category::Spot, "60000", "0.1", "0.000001"),
    ]);
    let (sim, c) = start(cfg).await;
    let base = sim.base_url();
    let mut k = Checker {
        covered: BTreeSet::new(),
    };

    let mut linear = Ws::connect(&base, "/v5/public/linear").await;
    k.check(
        "subscribe_reply_public_linear.json",
        &linear
            .subscribe(&["orderbook.50.BTCUSDT", "tickers.BTCUSDT"])
            .await,
    );
    k.check(
        "orderbook_snapshot_linear.json",
        &linear.next_on("orderbook.50.BTCUSDT").await,
    );
    k.check(
        "tickers_linear.json",
        &linear.next_on("tickers.BTCUSDT").await,
    );
    c.ticker("BTCUSDT").await;
    k.check(
        "orderbook_delta_linear.json",
        &linear.next_on("orderbook.50.BTCUSDT").await,
    );
    linear.send(json!({"op": "ping"})).await;
    k.check("pong_public_linear.json", &linear.next_reply().await);

    let mut spot = Ws::connect(&base, "/v5/public/spot").await;
    k.check(
        "subscribe_reply_public_spot.json",
        &spot.subscribe(&["orderbook.50.BTCUSDC"]).await,
    );
    spot.send(json!({"op": "ping"})).await;
    k.check("pong_public_spot.json", &spot.next_reply().await);

    let mut option = Ws::connect(&base, "/v5/public/option").await;
    k.check(
        "subscribe_reply_public_option.json",
        &option
            .subscribe(&["orderbook.25.BTC-30DEC22-18000-C"])
            .await,
    );
    option.send(json!({"op": "ping"})).await;
    k.check("pong_public_option.json", &option.next_reply().await);

    let mut private = Ws::connect(&base, "/v5/private").await;
    let ok = private.auth(KEY, SECRET, now_ms() + 10_000).await;
    k.check("auth_reply_private.json", &ok);
    // Without req_id, as in the documented reply (it is echoed when sent).
    private
        .send(json!({"op": "subscribe", "args": ["order", "execution", "position"]}))
        .await;
    k.check("subscribe_reply_private.json", &private.next_reply().await);
    private.send(json!({"req_id": "test", "op": "ping"})).await;
    k.check("pong_private.json", &private.next_reply().await);
    c.buy_at_ask("ETHUSDT", "0.05", "shape-1").await;
    let pushed = private.pushes(3).await;
    k.check("order_option.json", &pushed["order"]);
    k.check("execution_linear.json", &pushed["execution"]);
    k.check("position_linear.json", &pushed["position"]);

    // The trade stream, on a tier with limits (its replies then carry the rate-limit header).
    let traded = mm_sim::Sim::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut trade = Ws::connect(&traded.base_url(), "/v5/trade").await;
    k.check(
        "trade_auth_reply.json",
        &trade.trade_auth(KEY, SECRET, now_ms() + 10_000).await,
    );
    trade.send(json!({"op": "ping"})).await;
    k.check("trade_pong.json", &trade.next().await);
    let one = item("ETHUSDT", "Buy", "0.01", "2000", "t-1");
    trade.send_text(create("test-005", one)).await;
    k.check("trade_order_create_response.json", &trade.next().await);
    let batch = BatchRequest {
        category: Category::Linear,
        request: eth_buys(3, "tb").into_iter().map(place).collect(),
    };
    // Without reqId, as in the documented batch reply (it is echoed when sent).
    let mut req = TradeRequest::create_batch(String::new(), header(), batch);
    req.req_id = None;
    trade.send_text(req.to_json()).await;
    k.check("trade_create_batch_response.json", &trade.next().await);
    traded.shutdown().await;

    let files: BTreeSet<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(k.covered, files, "every stored example is checked");
    sim.shutdown().await;
}
