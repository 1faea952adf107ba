//! Trade-stream (`/v5/trade`) requests and replies for the tests, built and read with
//! mm-bybit's own trade types.

use std::time::{SystemTime, UNIX_EPOCH};

use mm_bybit::ws::trade::{TradeHeader, TradeMessage, TradeRequest};
use mm_bybit::{BatchRequest, Category, PlaceOrder};
use serde_json::Value;

use super::Ws;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A request `header` stamped now, 5 s window.
pub fn header() -> TradeHeader {
    TradeHeader::new(now_ms(), 5000)
}

/// A REST order item (JSON) as mm-bybit's type.
pub fn place(v: Value) -> PlaceOrder {
    serde_json::from_value(v).unwrap()
}

/// An `order.create-batch` of linear `items`.
pub fn create_batch(req_id: &str, items: Vec<Value>) -> String {
    let batch = BatchRequest {
        category: Category::Linear,
        request: items.into_iter().map(place).collect(),
    };
    TradeRequest::create_batch(req_id.into(), header(), batch).to_json()
}

/// An `order.create` of one linear order `item`.
pub fn create(req_id: &str, item: Value) -> String {
    let mut p = place(item);
    p.category = Some(Category::Linear);
    TradeRequest::create(req_id.into(), header(), p).to_json()
}

impl Ws {
    /// A `/v5/trade` connection authenticated as `key`/`secret`.
    pub async fn trade(base: &str, key: &str, secret: &str) -> Ws {
        let mut ws = Ws::connect(base, "/v5/trade").await;
        let r = ws.trade_auth(key, secret, now_ms() + 10_000).await;
        assert_eq!(r["retCode"], 0, "{r}");
        ws
    }

    /// The next frame, read as a trade-stream message.
    pub async fn trade_reply(&mut self) -> TradeMessage {
        TradeMessage::parse(&self.next_text().await).unwrap()
    }
}
