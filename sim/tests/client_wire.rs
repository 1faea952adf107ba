//! The simulator's stream messages read by mm-bybit's own WebSocket types, as the client reads
//! them: every frame parses as a `StreamMessage`, the order book built with `ws::Book` from the
//! pushes stays in sequence (and reports the gap a `ws_skip` fault makes), and the private
//! stream accepts mm-bybit's auth signature.
#![allow(clippy::unwrap_used)]

mod common;
mod ws;

use common::*;
use mm_bybit::ws::{Book, BookGap, StreamMessage, auth_signature};
use mm_sim::{FaultSpec, SimConfig};
use serde_json::json;
use ws::Ws;

/// Reads `n` frames of a public session polled `polls` times: (messages, book results).
async fn public_session(
    cfg: SimConfig,
    polls: usize,
) -> (Vec<StreamMessage>, Vec<Result<(), BookGap>>) {
    let (sim, c) = start(cfg).await;
    let mut ws = Ws::connect(&sim.base_url(), "/v5/public/linear").await;
    ws.send(json!({"req_id": "1", "op": "subscribe", "args": ["orderbook.50.BTCUSDT", "tickers.BTCUSDT"]}))
        .await;
    for _ in 0..polls {
        c.ticker("BTCUSDT").await;
    }
    ws.send(json!({"op": "ping"})).await;
    let mut msgs = Vec::new();
    let mut book = Book::new("BTCUSDT", 50);
    let mut applied = Vec::new();
    loop {
        let text = ws.next_text().await;
        let m = StreamMessage::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        if let StreamMessage::Orderbook(p) = &m {
            applied.push(book.apply_push(p).map(|_| ()));
        }
        let pong = matches!(&m, StreamMessage::Reply(_)) && text.contains("pong");
        msgs.push(m);
        if pong {
            break;
        }
    }
    sim.shutdown().await;
    (msgs, applied)
}

#[tokio::test]
async fn public_pushes_parse_and_build_the_clients_book() {
    let (msgs, applied) = public_session(SimConfig::default(), 10).await;
    assert!(msgs.iter().any(|m| matches!(m, StreamMessage::Ticker(_))));
    assert_eq!(applied.len(), 11, "a snapshot and ten deltas");
    assert!(applied.iter().all(Result::is_ok), "{applied:?}");
}

#[tokio::test]
async fn a_skipped_delta_is_a_gap_for_the_client() {
    let cfg = SimConfig {
        faults: "ws_skip=0.3".parse::<FaultSpec>().unwrap(),
        ..SimConfig::default()
    };
    let (_, applied) = public_session(cfg, 20).await;
    assert!(
        applied
            .iter()
            .any(|r| matches!(r, Err(BookGap::Skipped { .. }))),
        "{applied:?}"
    );
}

#[tokio::test]
async fn private_pushes_parse_after_the_clients_auth() {
    let (sim, c) = start(quiet()).await;
    let mut ws = Ws::connect(&sim.base_url(), "/v5/private").await;
    let expires = now_ms() + 10_000;
    ws.send(json!({"op": "auth", "args": [KEY, expires, auth_signature(SECRET, expires)]}))
        .await;
    assert_eq!(ws.next_reply().await["success"], true);
    ws.subscribe(&["order", "execution", "position"]).await;
    c.buy_at_ask("ETHUSDT", "0.05", "wire-1").await;
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let text = ws.next_text().await;
        let kind = match StreamMessage::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}")) {
            StreamMessage::Order(_) => "order",
            StreamMessage::Execution(_) => "execution",
            StreamMessage::Position(_) => "position",
            other => panic!("unexpected {other:?}"),
        };
        kinds.push(kind);
    }
    kinds.sort_unstable();
    assert_eq!(kinds, ["execution", "order", "position"]);
    sim.shutdown().await;
}
