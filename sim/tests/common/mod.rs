//! Test client: signs like a real Bybit client, talks only to the loopback simulator.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod shape;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mm_bybit::{Category, headers};
use mm_sim::{Sim, SimConfig, SimHandle, SimInstrument};
use serde_json::{Value, json};

pub const KEY: &str = "paper-key";
pub const SECRET: &str = "paper-secret";

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn ret_code(&self) -> i64 {
        self.json()["retCode"].as_i64().unwrap()
    }
    pub fn item_codes(&self) -> Vec<i64> {
        self.json()["retExtInfo"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_i64().unwrap())
            .collect()
    }
    /// The `orderId` of a single-order reply.
    pub fn order_id(&self) -> String {
        self.json()["result"]["orderId"]
            .as_str()
            .unwrap()
            .to_string()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub key: String,
    pub secret: String,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

pub async fn start(cfg: SimConfig) -> (SimHandle, Client) {
    let sim = Sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert!(sim.addr().ip().is_loopback());
    let client = Client::new(&sim.base_url());
    (sim, client)
}

impl Client {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        Client {
            base: base.to_string(),
            http,
            key: KEY.into(),
            secret: SECRET.into(),
        }
    }

    async fn finish(
        resp: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<Reply, reqwest::Error> {
        let resp = resp?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        Ok(Reply {
            status,
            headers,
            text,
        })
    }

    /// Signed POST with an explicit timestamp; Err on transport failure.
    pub async fn try_post_at(
        &self,
        path: &str,
        body: &str,
        ts: u64,
    ) -> Result<Reply, reqwest::Error> {
        let sign = mm_bybit::sign(&self.secret, ts, &self.key, 5000, body);
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header(headers::API_KEY, &self.key)
            .header(headers::TIMESTAMP, ts.to_string())
            .header(headers::RECV_WINDOW, "5000")
            .header(headers::SIGN, sign)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await;
        Self::finish(r).await
    }

    pub async fn try_post(&self, path: &str, body: &str) -> Result<Reply, reqwest::Error> {
        self.try_post_at(path, body, now_ms()).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Reply {
        self.try_post(path, body).await.unwrap()
    }

    /// Signed GET; `query` is sent and signed exactly as given.
    pub async fn get(&self, path: &str, query: &str) -> Reply {
        let ts = now_ms();
        let sign = mm_bybit::sign(&self.secret, ts, &self.key, 5000, query);
        let r = self
            .http
            .get(format!("{}{path}?{query}", self.base))
            .header(headers::API_KEY, &self.key)
            .header(headers::TIMESTAMP, ts.to_string())
            .header(headers::RECV_WINDOW, "5000")
            .header(headers::SIGN, sign)
            .send()
            .await;
        Self::finish(r).await.unwrap()
    }

    pub async fn public(&self, path: &str, query: &str) -> Reply {
        let r = self
            .http
            .get(format!("{}{path}?{query}", self.base))
            .send()
            .await;
        Self::finish(r).await.unwrap()
    }

    /// The first order realtime lists for `symbol` and orderLinkId `link`; `extra` is appended
    /// to the query (`&openOnly=1` asks for recently ended orders).
    pub async fn order(&self, symbol: &str, link: &str, extra: &str) -> Value {
        let q = format!("category=linear&symbol={symbol}&orderLinkId={link}{extra}");
        let r = self.get("/v5/order/realtime", &q).await;
        r.json()["result"]["list"][0].clone()
    }

    /// Walks the price (each ticker poll is one step) until `done`, for at most 200 steps.
    pub async fn walk_until(&self, symbol: &str, mut done: impl AsyncFnMut() -> bool) {
        for _ in 0..200 {
            self.ticker(symbol).await;
            if done().await {
                break;
            }
        }
    }

    /// A GTC buy of `qty` at the ask (one walk step later), which fills at once; the ask.
    pub async fn buy_at_ask(&self, symbol: &str, qty: &str, link: &str) -> String {
        let (_, ask) = self.ticker(symbol).await;
        let mut gtc = item(symbol, "Buy", qty, &ask, link);
        gtc["timeInForce"] = json!("GTC");
        let r = self.post("/v5/order/create", &single("linear", gtc)).await;
        assert_eq!(r.ret_code(), 0, "{}", r.text);
        ask
    }

    /// Best bid/ask of a symbol, one walk step later.
    pub async fn ticker(&self, symbol: &str) -> (String, String) {
        let r = self
            .public(
                "/v5/market/tickers",
                &format!("category=linear&symbol={symbol}"),
            )
            .await;
        let t = &r.json()["result"]["list"][0];
        (
            t["bid1Price"].as_str().unwrap().into(),
            t["ask1Price"].as_str().unwrap().into(),
        )
    }
}

/// A linear post-only limit order item (no category, as in a batch).
pub fn item(symbol: &str, side: &str, qty: &str, price: &str, link: &str) -> Value {
    serde_json::json!({
        "symbol": symbol, "side": side, "orderType": "Limit", "qty": qty, "price": price,
        "timeInForce": "PostOnly", "orderLinkId": link, "positionIdx": 0
    })
}

/// `n` buys of `symbol`, `qty` each, at the whole prices `from`, `from + 1`, ..., linked
/// `prefix-0`, `prefix-1`, ...
pub fn buys(symbol: &str, qty: &str, from: usize, n: usize, prefix: &str) -> Vec<Value> {
    (0..n)
        .map(|i| {
            item(
                symbol,
                "Buy",
                qty,
                &format!("{}", from + i),
                &format!("{prefix}-{i}"),
            )
        })
        .collect()
}

/// `n` ETHUSDT buys of 0.01 from 2000 up.
pub fn eth_buys(n: usize, prefix: &str) -> Vec<Value> {
    buys("ETHUSDT", "0.01", 2000, n, prefix)
}

/// `n` BTCUSDC (spot, see `spot_btc`) buys of 0.001 from 50000 up.
pub fn spot_buys(n: usize, prefix: &str) -> Vec<Value> {
    buys("BTCUSDC", "0.001", 50000, n, prefix)
}

/// A cancel body naming one order by its orderLinkId.
pub fn by_link(category: &str, symbol: &str, link: &str) -> String {
    json!({"category": category, "symbol": symbol, "orderLinkId": link}).to_string()
}

pub fn batch(category: &str, items: Vec<Value>) -> String {
    serde_json::json!({ "category": category, "request": items }).to_string()
}

pub fn single(category: &str, mut item: Value) -> String {
    item["category"] = Value::from(category);
    item.to_string()
}

/// `quiet()`, but the price walks 20 bps a step (about 6.00 at ETHUSDT's 3000).
pub fn walking() -> SimConfig {
    SimConfig {
        walk_bps: 20,
        ..quiet()
    }
}

/// Cents of a price with two decimals (ETHUSDT's tick 0.01); test-side arithmetic only.
pub fn cents(s: &str) -> i64 {
    let (i, f) = s.split_once('.').unwrap();
    i.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
}

/// The two-decimal price of `c` cents.
pub fn price(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

/// A config with no limits, latency or faults, and a still market (walk 0) unless changed.
pub fn quiet() -> SimConfig {
    SimConfig {
        tier: mm_sim::Tier::Unlimited,
        walk_bps: 0,
        ..SimConfig::default()
    }
}

/// An instrument whose min qty is its qty step.
pub fn inst(
    symbol: &str,
    category: Category,
    start: &str,
    tick: &str,
    step: &str,
) -> SimInstrument {
    SimInstrument {
        symbol: symbol.into(),
        category,
        start_price: start.into(),
        tick_size: tick.into(),
        qty_step: step.into(),
        min_qty: step.into(),
    }
}

/// The spot instrument the tests add beside the default linear ones.
pub fn spot_btc() -> SimInstrument {
    inst("BTCUSDC", Category::Spot, "60000", "0.1", "0.0001")
}

/// The orderLinkIds of the simulator's open orders, in its order.
pub fn open_links(sim: &SimHandle) -> Vec<String> {
    sim.state()
        .open_orders
        .iter()
        .map(|o| o.order_link_id.clone())
        .collect()
}
