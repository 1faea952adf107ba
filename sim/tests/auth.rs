//! Authentication over real HTTP: Bybit's header scheme, signature and timestamp window.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

const ORDER: fn() -> String =
    || single("linear", item("BTCUSDT", "Buy", "0.001", "50000", "auth-1"));

#[tokio::test]
async fn good_signature_places_the_order() {
    let (sim, c) = start(quiet()).await;
    let r = c.post("/v5/order/create", &ORDER()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.ret_code(), 0, "{}", r.text);
    assert_eq!(r.json()["result"]["orderLinkId"], "auth-1");
    assert_eq!(r.json()["retExtInfo"], serde_json::json!({}));
    assert_eq!(sim.state().open_orders.len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_signature_is_10004_and_not_applied() {
    let (sim, mut c) = start(quiet()).await;
    c.secret = "wrong-secret".into();
    let r = c.post("/v5/order/create", &ORDER()).await;
    assert_eq!((r.status, r.ret_code()), (200, 10004));
    assert!(sim.state().open_orders.is_empty());
    assert_eq!(sim.state().auth_failures, 1);
}

#[tokio::test]
async fn body_changed_after_signing_is_10004() {
    let (_sim, c) = start(quiet()).await;
    let ts = now_ms();
    let body = ORDER();
    let sign = mm_bybit::sign(SECRET, ts, KEY, 5000, &body);
    let r = c
        .http
        .post(format!("{}/v5/order/create", c.base))
        .header("X-BAPI-API-KEY", KEY)
        .header("X-BAPI-TIMESTAMP", ts.to_string())
        .header("X-BAPI-SIGN", sign)
        .body(body.replace("50000", "50001"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["retCode"], 10004);
}

#[tokio::test]
async fn unknown_key_is_10003() {
    let (_sim, mut c) = start(quiet()).await;
    c.key = "nobody".into();
    let r = c.post("/v5/order/create", &ORDER()).await;
    assert_eq!(r.ret_code(), 10003);
}

#[tokio::test]
async fn stale_and_future_timestamps_are_10002() {
    let (sim, c) = start(quiet()).await;
    let r = c
        .try_post_at("/v5/order/create", &ORDER(), now_ms() - 6000)
        .await
        .unwrap();
    assert_eq!(r.ret_code(), 10002, "{}", r.text);
    let r = c
        .try_post_at("/v5/order/create", &ORDER(), now_ms() + 3000)
        .await
        .unwrap();
    assert_eq!(r.ret_code(), 10002, "{}", r.text);
    assert!(sim.state().open_orders.is_empty());
    // Within the window (a little in the past) is fine.
    let r = c
        .try_post_at("/v5/order/create", &ORDER(), now_ms() - 2000)
        .await
        .unwrap();
    assert_eq!(r.ret_code(), 0, "{}", r.text);
}

#[tokio::test]
async fn missing_auth_headers_is_http_401() {
    let (_sim, c) = start(quiet()).await;
    let r = c
        .http
        .post(format!("{}/v5/order/create", c.base))
        .body(ORDER())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = c
        .http
        .get(format!(
            "{}/v5/order/realtime?category=linear&symbol=BTCUSDT",
            c.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn get_signature_covers_the_exact_query_string() {
    let (_sim, c) = start(quiet()).await;
    let r = c
        .get("/v5/order/realtime", "category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(r.ret_code(), 0, "{}", r.text);
    // Signed one query, sent another.
    let ts = now_ms();
    let sign = mm_bybit::sign(SECRET, ts, KEY, 5000, "category=linear&symbol=BTCUSDT");
    let r = c
        .http
        .get(format!(
            "{}/v5/order/realtime?symbol=BTCUSDT&category=linear",
            c.base
        ))
        .header("X-BAPI-API-KEY", KEY)
        .header("X-BAPI-TIMESTAMP", ts.to_string())
        .header("X-BAPI-SIGN", sign)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["retCode"], 10004);
}

#[tokio::test]
async fn public_market_data_needs_no_auth() {
    let (_sim, c) = start(quiet()).await;
    let r = c.public("/v5/market/time", "").await;
    assert_eq!(r.ret_code(), 0);
    let t: mm_bybit::Response<mm_bybit::ServerTime> = serde_json::from_str(&r.text).unwrap();
    let secs: u64 = t.result.time_second.parse().unwrap();
    assert!(secs.abs_diff(now_ms() / 1000) <= 2);
    let r = c
        .public(
            "/v5/market/instruments-info",
            "category=linear&symbol=ETHUSDT",
        )
        .await;
    let i: mm_bybit::Response<mm_bybit::InstrumentsResult> = serde_json::from_str(&r.text).unwrap();
    assert_eq!(i.result.list.len(), 1);
    assert_eq!(i.result.list[0].price_filter.tick_size, "0.01");
    assert_eq!(i.result.list[0].qty_step(), "0.01");
    assert_eq!(c.public("/v5/nope", "").await.status, 404);
}

/// Bybit signs the header strings as sent: a recv window of "05000" (or a zero-padded
/// timestamp) is signed as those bytes, not as the number they parse to.
#[tokio::test]
async fn signature_covers_the_raw_header_strings() {
    let (sim, c) = start(quiet()).await;
    let send = |ts: String, window: &'static str, signed_window: &'static str, link: &str| {
        let body = single("linear", item("BTCUSDT", "Buy", "0.001", "50000", link));
        let sign = mm_bybit::sign_raw(SECRET, &ts, KEY, signed_window, &body);
        c.http
            .post(format!("{}/v5/order/create", c.base))
            .header("X-BAPI-API-KEY", KEY)
            .header("X-BAPI-TIMESTAMP", ts)
            .header("X-BAPI-RECV-WINDOW", window)
            .header("X-BAPI-SIGN", sign)
            .body(body)
            .send()
    };
    let code = |r: reqwest::Response| async move {
        let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        v["retCode"].as_i64().unwrap()
    };
    let r = send(now_ms().to_string(), "05000", "05000", "raw-1")
        .await
        .unwrap();
    assert_eq!(code(r).await, 0);
    let r = send(format!("0{}", now_ms()), "5000", "5000", "raw-2")
        .await
        .unwrap();
    assert_eq!(code(r).await, 0, "zero-padded timestamp, signed as sent");
    // Signed the parsed number, sent the padded string: not what was signed.
    let r = send(now_ms().to_string(), "05000", "5000", "raw-3")
        .await
        .unwrap();
    assert_eq!(code(r).await, 10004);
    assert_eq!(sim.state().open_orders.len(), 2);
}
