//! The WebSocket stream clients (`mm_shell::stream`) against the simulator's
//! streams on a loopback port: the book follows the simulator's market,
//! a dropped connection comes back subscribed, a skipped delta brings a
//! fresh snapshot on the same connection, the private stream authenticates
//! and delivers a fill, a refused auth is retried without leaking the
//! secret, and a silent server is given up.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mm_bybit::ws::{Applied, BookGap};
use mm_shell::secrets::Credentials;
use mm_shell::stream::{
    BookStream, StreamEvent, StreamKind, StreamSettings, spawn_books, spawn_private, ws_base_of,
};
use mm_sim::{FaultSpec, SimConfig, SimHandle};
use serde_json::json;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

async fn start(cfg: SimConfig) -> SimHandle {
    mm_sim::Sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Quick settings for loopback: reconnect within tens of ms.
fn settings(sim: &SimHandle) -> StreamSettings {
    StreamSettings {
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        jitter_seed: Some(3),
        ..StreamSettings::new(&ws_base_of(&sim.base_url()))
    }
}

fn symbols(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

async fn next(rx: &mut mpsc::Receiver<StreamEvent>) -> StreamEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("an event within 10 s")
        .expect("the stream task runs")
}

/// The next `Book` event of `symbol` (other events are returned in `seen`).
async fn next_book(
    rx: &mut mpsc::Receiver<StreamEvent>,
    symbol: &str,
    seen: &mut Vec<StreamEvent>,
) -> (Applied, mm_bybit::ws::Book) {
    loop {
        match next(rx).await {
            StreamEvent::Book {
                symbol: s,
                applied,
                book,
                ..
            } if s == symbol => return (applied, *book),
            other => seen.push(other),
        }
    }
}

/// One walk step of `symbol`'s market (the simulator steps on each ticker
/// poll) and the best bid/ask it left.
async fn step(sim: &SimHandle, symbol: &str) -> (String, String) {
    let url = format!(
        "{}/v5/market/tickers?category=linear&symbol={symbol}",
        sim.base_url()
    );
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let t = &v["result"]["list"][0];
    (
        t["bid1Price"].as_str().unwrap().to_string(),
        t["ask1Price"].as_str().unwrap().to_string(),
    )
}

fn best(book: &mm_bybit::ws::Book) -> (String, String) {
    (
        book.best_bid().unwrap().0.to_string(),
        book.best_ask().unwrap().0.to_string(),
    )
}

#[tokio::test]
async fn the_book_stream_follows_the_simulators_book() {
    let sim = start(SimConfig::default()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let books = BookStream::new(
        mm_bybit::Category::Linear,
        50,
        &symbols(&["BTCUSDT", "ETHUSDT"]),
    )
    .unwrap();
    let stream = spawn_books(settings(&sim), books, tx);
    assert_eq!(
        next(&mut rx).await,
        StreamEvent::Up {
            stream: StreamKind::PublicBook,
            connection: 1
        }
    );
    let mut seen = Vec::new();
    for symbol in ["BTCUSDT", "ETHUSDT"] {
        let (applied, book) = next_book(&mut rx, symbol, &mut seen).await;
        assert_eq!(applied, Applied::Snapshot);
        assert_eq!((book.bids().count(), book.asks().count()), (50, 50));
    }
    for _ in 0..5 {
        let touch = step(&sim, "BTCUSDT").await;
        let (applied, book) = next_book(&mut rx, "BTCUSDT", &mut seen).await;
        assert_eq!(applied, Applied::Delta);
        assert_eq!(best(&book), touch);
        assert_eq!((book.bids().count(), book.asks().count()), (50, 50));
        let st = sim.state();
        assert_eq!(
            touch,
            (
                st.prices["BTCUSDT"].bid.clone(),
                st.prices["BTCUSDT"].ask.clone()
            )
        );
    }
    assert!(seen.is_empty(), "nothing else happened: {seen:?}");
    stream.stop().await;
    sim.shutdown().await;
}

/// Pushes on a timer, with each stream push dropping the connection at
/// `ws_drop` or eating a delta at `ws_skip`.
fn walking(faults: &str) -> SimConfig {
    SimConfig {
        walk_interval_ms: 5,
        faults: faults.parse::<FaultSpec>().unwrap(),
        ..SimConfig::default()
    }
}

#[tokio::test]
async fn a_dropped_connection_reconnects_and_resubscribes() {
    let sim = start(walking("ws_drop=0.2")).await;
    let (tx, mut rx) = mpsc::channel(64);
    let books = BookStream::new(mm_bybit::Category::Linear, 50, &symbols(&["BTCUSDT"])).unwrap();
    let stream = spawn_books(settings(&sim), books, tx);
    let (mut ups, mut downs, mut snapshot_after_up) = (0u64, 0u64, 0u64);
    let mut expect_snapshot = false;
    while ups < 4 || snapshot_after_up < 4 {
        match next(&mut rx).await {
            StreamEvent::Up { connection, .. } => {
                ups += 1;
                assert_eq!(connection, ups, "one connection a time, counted");
                expect_snapshot = true;
            }
            StreamEvent::Down { stream, reason } => {
                assert_eq!(stream, StreamKind::PublicBook);
                assert!(!reason.is_empty());
                downs += 1;
                expect_snapshot = false;
            }
            StreamEvent::Book { applied, .. } => {
                if expect_snapshot {
                    // The first push of a new connection is its snapshot.
                    assert_eq!(applied, Applied::Snapshot);
                    snapshot_after_up += 1;
                    expect_snapshot = false;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(downs >= 3, "{downs}");
    let st = sim.state();
    assert!(st.stream_connections >= 4, "{}", st.stream_connections);
    assert!(st.faults_injected["ws_drop"] >= 3);
    stream.stop().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_skipped_delta_brings_a_fresh_snapshot_on_the_same_connection() {
    let sim = start(walking("ws_skip=0.2")).await;
    let (tx, mut rx) = mpsc::channel(64);
    let books = BookStream::new(mm_bybit::Category::Linear, 50, &symbols(&["ETHUSDT"])).unwrap();
    let stream = spawn_books(settings(&sim), books, tx);
    let mut gaps = 0;
    let mut resnapshots = 0;
    let mut after_gap = false;
    while resnapshots < 3 {
        match next(&mut rx).await {
            StreamEvent::Up { connection, .. } => assert_eq!(connection, 1, "never reconnects"),
            StreamEvent::Gap { symbol, gap } => {
                assert_eq!(symbol, "ETHUSDT");
                assert!(matches!(gap, BookGap::Skipped { .. }), "{gap:?}");
                gaps += 1;
                after_gap = true;
            }
            StreamEvent::Book { applied, book, .. } => {
                assert!(book.is_synced());
                if after_gap {
                    assert_eq!(
                        applied,
                        Applied::Snapshot,
                        "a gap is followed by a snapshot"
                    );
                    resnapshots += 1;
                    after_gap = false;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(gaps, 3);
    assert_eq!(sim.state().stream_connections, 1);
    stream.stop().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn duplicated_book_messages_change_nothing() {
    let sim = start(walking("ws_dup=0.3")).await;
    let (tx, mut rx) = mpsc::channel(64);
    let books = BookStream::new(mm_bybit::Category::Linear, 50, &symbols(&["BTCUSDT"])).unwrap();
    let stream = spawn_books(settings(&sim), books, tx);
    let mut last_u = 0;
    let mut books_seen = 0;
    while books_seen < 40 {
        match next(&mut rx).await {
            StreamEvent::Up { connection, .. } => assert_eq!(connection, 1),
            StreamEvent::Book { applied, book, .. } => {
                // A repeated delta is dropped: each one handed on moves the book.
                assert_ne!(applied, Applied::Duplicate);
                let u = book.update_id().unwrap();
                if applied == Applied::Delta {
                    assert_eq!(u, last_u + 1, "no repeat handed on");
                }
                last_u = u;
                books_seen += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(sim.state().faults_injected["ws_dup"] > 0);
    stream.stop().await;
    sim.shutdown().await;
}

/// A signed REST order: a GTC buy at the ask, which fills at once.
async fn buy_at_ask(sim: &SimHandle, symbol: &str, qty: &str, link: &str) -> String {
    let (_, ask) = step(sim, symbol).await;
    let body = json!({
        "category": "linear", "symbol": symbol, "side": "Buy", "orderType": "Limit",
        "qty": qty, "price": ask, "timeInForce": "GTC", "orderLinkId": link,
    })
    .to_string();
    let ts = mm_shell::now_ms();
    let sign = mm_bybit::sign("paper-secret", ts, "paper-key", 5000, &body);
    let text = reqwest::Client::new()
        .post(format!("{}/v5/order/create", sim.base_url()))
        .header(mm_bybit::headers::API_KEY, "paper-key")
        .header(mm_bybit::headers::TIMESTAMP, ts.to_string())
        .header(mm_bybit::headers::RECV_WINDOW, "5000")
        .header(mm_bybit::headers::SIGN, sign)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["retCode"], 0, "{r}");
    ask
}

#[tokio::test]
async fn the_private_stream_authenticates_and_delivers_a_fill() {
    let sim = start(SimConfig::default()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let stream = spawn_private(settings(&sim), Credentials::paper(), tx);
    assert_eq!(
        next(&mut rx).await,
        StreamEvent::Up {
            stream: StreamKind::Private,
            connection: 1
        }
    );
    let ask = buy_at_ask(&sim, "ETHUSDT", "0.05", "take-1").await;
    let (mut order, mut exec, mut position) = (None, None, None);
    while order.is_none() || exec.is_none() || position.is_none() {
        match next(&mut rx).await {
            StreamEvent::Order(p) => {
                let o = p.data.into_iter().find(|o| o.order_link_id == "take-1");
                if let Some(o) = o.filter(|o| o.cum_exec_qty == "0.05") {
                    order = Some(o);
                }
            }
            StreamEvent::Execution(p) => exec = p.data.into_iter().next(),
            StreamEvent::Position(p) => position = p.data.into_iter().next(),
            other => panic!("unexpected {other:?}"),
        }
    }
    let e = exec.unwrap();
    assert_eq!(
        (
            e.order_link_id.as_str(),
            e.exec_qty.as_str(),
            e.exec_price.as_str()
        ),
        ("take-1", "0.05", ask.as_str())
    );
    let p = position.unwrap();
    assert_eq!((p.symbol.as_str(), p.size.as_str()), ("ETHUSDT", "0.05"));
    let o = order.unwrap();
    assert_eq!(o.order_status, mm_bybit::OrderStatus::Filled);
    assert!(!o.order_status.is_open());
    stream.stop().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_auth_is_retried_and_never_shows_the_secret() {
    let sim = start(SimConfig::default()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let secret = "wrong-secret-VALUE-789";
    let creds = Credentials::from_lookup(|n| {
        Some(
            if n == "BYBIT_API_KEY" {
                "paper-key"
            } else {
                secret
            }
            .to_string(),
        )
    })
    .unwrap();
    let stream = spawn_private(settings(&sim), creds, tx);
    for _ in 0..3 {
        match next(&mut rx).await {
            StreamEvent::Down { stream, reason } => {
                assert_eq!(stream, StreamKind::Private);
                assert!(reason.starts_with("auth refused"), "{reason}");
                assert!(!reason.contains(secret), "{reason}");
            }
            other => panic!("no Up without auth: {other:?}"),
        }
    }
    assert!(sim.state().stream_connections >= 3);
    stream.stop().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_silent_server_is_given_up_and_dialled_again() {
    // A WebSocket server that accepts and then says nothing, not even pong.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let count = accepted.clone();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            held.push(tokio_tungstenite::accept_async(tcp).await.unwrap());
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let (tx, mut rx) = mpsc::channel(64);
    let settings = StreamSettings {
        ping_every: Duration::from_millis(50),
        dead_after: Duration::from_millis(300),
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(20),
        jitter_seed: Some(1),
        ..StreamSettings::new(&format!("ws://{addr}"))
    };
    let books = BookStream::new(mm_bybit::Category::Linear, 50, &symbols(&["BTCUSDT"])).unwrap();
    let started = tokio::time::Instant::now();
    let stream = spawn_books(settings, books, tx);
    for _ in 0..2 {
        match next(&mut rx).await {
            StreamEvent::Down { reason, .. } => {
                assert_eq!(reason, "nothing heard for 300 ms");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert!(accepted.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    stream.stop().await;
    server.abort();
}

/// `wss://` goes through rustls (the build has a crypto provider: no panic);
/// a server that does not speak TLS is a connection given up, with why.
#[tokio::test]
async fn a_wss_url_speaks_tls_and_a_plain_server_is_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            use tokio::io::AsyncWriteExt;
            let _ = tcp.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let (tx, mut rx) = mpsc::channel(8);
    let settings = StreamSettings {
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(20),
        jitter_seed: Some(1),
        ..StreamSettings::new(&format!("wss://{addr}"))
    };
    let books = BookStream::new(mm_bybit::Category::Linear, 50, &symbols(&["BTCUSDT"])).unwrap();
    let stream = spawn_books(settings, books, tx);
    match next(&mut rx).await {
        StreamEvent::Down { reason, .. } => {
            assert!(
                reason.starts_with(&format!("connecting to wss://{addr}")),
                "{reason}"
            );
            // rustls read the plain reply as a TLS record and refused it.
            assert!(reason.contains("corrupt message"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
    stream.stop().await;
    server.abort();
}
