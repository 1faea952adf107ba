//! A WebSocket test client: tokio-tungstenite over loopback, JSON in and out.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod trade;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};

pub struct Ws {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What the next frame was.
#[derive(Debug)]
pub enum Next {
    Json(Value),
    /// A close frame with its reason.
    Closed(String),
    /// The connection ended without a close frame.
    Gone,
    /// Nothing within the wait.
    Quiet,
}

impl Ws {
    pub async fn connect(base: &str, path: &str) -> Ws {
        let url = format!("{}{path}", base.replace("http://", "ws://"));
        // No Nagle: requests sent back to back must not wait for the previous one's ACK.
        let (ws, _) = connect_async_with_config(url, None, true).await.unwrap();
        Ws { ws }
    }

    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    /// The next frame within `ms`.
    pub async fn next_within(&mut self, ms: u64) -> Next {
        loop {
            let got = tokio::time::timeout(Duration::from_millis(ms), self.ws.next()).await;
            return match got {
                Err(_) => Next::Quiet,
                Ok(None) | Ok(Some(Err(_))) => Next::Gone,
                Ok(Some(Ok(Message::Text(t)))) => {
                    Next::Json(serde_json::from_str(t.as_str()).unwrap())
                }
                Ok(Some(Ok(Message::Close(f)))) => {
                    Next::Closed(f.map(|f| f.reason.to_string()).unwrap_or_default())
                }
                Ok(Some(Ok(_))) => continue,
            };
        }
    }

    /// The next text frame as sent (panics after 5 s or on a close).
    pub async fn next_text(&mut self) -> String {
        loop {
            let got = tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await;
            match got {
                Ok(Some(Ok(Message::Text(t)))) => return t.as_str().to_string(),
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The next JSON message (panics after 5 s or on a close).
    pub async fn next(&mut self) -> Value {
        match self.next_within(5000).await {
            Next::Json(v) => v,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// The next message on `topic`, skipping others (at most 200).
    pub async fn next_on(&mut self, topic: &str) -> Value {
        for _ in 0..200 {
            let v = self.next().await;
            if v["topic"] == topic {
                return v;
            }
        }
        panic!("no message on {topic}");
    }

    /// The next `n` topic pushes, by topic (the last one of each).
    pub async fn pushes(&mut self, n: usize) -> std::collections::BTreeMap<String, Value> {
        let mut by_topic = std::collections::BTreeMap::new();
        for _ in 0..n {
            let v = self.next().await;
            by_topic.insert(v["topic"].as_str().unwrap_or("").to_string(), v);
        }
        by_topic
    }

    /// The next message that is not a topic push (a command reply or pong).
    pub async fn next_reply(&mut self) -> Value {
        for _ in 0..200 {
            let v = self.next().await;
            if v.get("topic").is_none() {
                return v;
            }
        }
        panic!("no reply");
    }

    pub async fn subscribe(&mut self, topics: &[&str]) -> Value {
        self.send(json!({"req_id": "s1", "op": "subscribe", "args": topics}))
            .await;
        self.next_reply().await
    }

    /// Authenticates `/v5/private` with `expires` (ms) signed by `secret`.
    pub async fn auth(&mut self, key: &str, secret: &str, expires: u64) -> Value {
        let sign = mm_bybit::sign_raw(secret, "GET/realtime", "", "", &expires.to_string());
        // No req_id, as in Bybit's documented auth reply (it is echoed when sent).
        self.send(json!({"op": "auth", "args": [key, expires, sign]}))
            .await;
        self.next_reply().await
    }
}

impl Ws {
    /// Sends a frame as given.
    pub async fn send_text(&mut self, text: String) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    /// A `/v5/private` connection authenticated as `key`/`secret`, subscribed to `order`,
    /// `execution` and `position`.
    pub async fn private(base: &str, key: &str, secret: &str) -> Ws {
        let mut ws = Ws::connect(base, "/v5/private").await;
        let expires = trade::now_ms() + 10_000;
        assert_eq!(ws.auth(key, secret, expires).await["success"], true);
        ws.subscribe(&["order", "execution", "position"]).await;
        ws
    }

    /// Authenticates `/v5/trade` with `expires` (ms) signed by `secret`; the reply.
    pub async fn trade_auth(&mut self, key: &str, secret: &str, expires: u64) -> Value {
        let auth = mm_bybit::ws::AuthRequest::new(None, key, secret, expires);
        self.send_text(serde_json::to_string(&auth).unwrap()).await;
        self.next().await
    }
}
