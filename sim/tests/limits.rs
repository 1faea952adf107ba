//! Rate limits over real HTTP: Bybit's headers, the 10006 tail of a batch, single 10006, and
//! the IP limit's HTTP 403.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use mm_sim::{Limits, Line, SimConfig, Tier};

/// Bybit's default table. The window is stretched to 60 s so a slow machine cannot roll it
/// mid-test; `the_window_rolls` checks rolling with a short window.
fn default_tier() -> SimConfig {
    let mut limits = Limits::for_tier(Tier::Default);
    limits.uid_window_ms = 60_000;
    SimConfig {
        tier: Tier::Default,
        limits: Some(limits),
        walk_bps: 0,
        ..SimConfig::default()
    }
}

/// `quiet()` with these limits.
fn quiet_with(limits: Limits) -> SimConfig {
    SimConfig {
        limits: Some(limits),
        ..quiet()
    }
}

/// The HTTP statuses of `n` public requests in a row (they count against the IP limit).
async fn time_statuses(c: &Client, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(c.public("/v5/market/time", "").await.status);
    }
    statuses
}

#[tokio::test]
async fn batch_over_budget_processes_the_leading_items_and_fails_the_tail_with_10006() {
    let (sim, c) = start(default_tier()).await;
    let r = c
        .post("/v5/order/create-batch", &batch("linear", eth_buys(3, "a")))
        .await;
    assert_eq!(r.item_codes(), vec![0; 3]);
    assert_eq!(r.header("X-Bapi-Limit").as_deref(), Some("10"));
    assert_eq!(r.header("X-Bapi-Limit-Status").as_deref(), Some("7"));
    // 7 units left, 8 orders: items 1-7 placed, item 8 fails with 10006 (S13's example shape).
    let r = c
        .post("/v5/order/create-batch", &batch("linear", eth_buys(8, "b")))
        .await;
    assert_eq!(r.ret_code(), 0);
    assert_eq!(r.item_codes(), [vec![0; 7], vec![10006]].concat());
    assert_eq!(r.json()["result"]["list"][7]["orderId"], "");
    assert_eq!(r.json()["result"]["list"][7]["orderLinkId"], "b-7");
    assert_eq!(r.header("X-Bapi-Limit-Status").as_deref(), Some("0"));
    let reset: u64 = r
        .header("X-Bapi-Limit-Reset-Timestamp")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        reset > now_ms() && reset <= now_ms() + 60_000,
        "reset when the oldest unit expires"
    );
    assert_eq!(sim.state().open_orders.len(), 10);
    assert_eq!(sim.state().rate_limit_rejections, 1);
    // Nothing left: the whole request is 10006.
    let r = c
        .post("/v5/order/create-batch", &batch("linear", eth_buys(2, "c")))
        .await;
    assert_eq!(r.ret_code(), 10006);
    // The single-order endpoint has its own quota.
    let one = c
        .post(
            "/v5/order/create",
            &single("linear", item("ETHUSDT", "Buy", "0.01", "1500", "s-1")),
        )
        .await;
    assert_eq!(one.ret_code(), 0, "{}", one.text);
    assert_eq!(one.header("X-Bapi-Limit-Status").as_deref(), Some("9"));
}

#[tokio::test]
async fn the_window_rolls() {
    // A 2 s window: wide enough that a slow machine still gets its second request in before it
    // rolls, short enough to wait out. The wait is on the reset timestamp the sim reports.
    let mut limits = Limits::for_tier(Tier::Default);
    limits.uid_window_ms = 2000;
    let (_sim, c) = start(SimConfig {
        limits: Some(limits),
        walk_bps: 0,
        ..SimConfig::default()
    })
    .await;
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("linear", eth_buys(10, "a")),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0; 10]);
    let r = c
        .post("/v5/order/create-batch", &batch("linear", eth_buys(1, "b")))
        .await;
    assert_eq!(r.ret_code(), 10006);
    let reset: u64 = r
        .header("X-Bapi-Limit-Reset-Timestamp")
        .unwrap()
        .parse()
        .unwrap();
    // Sim and test read the same host clock; 20 ms covers the sim's rounding to whole ms.
    let wait = reset.saturating_sub(now_ms()) + 20;
    assert!(wait <= 2020, "reset {reset} is within one window");
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    let r = c
        .post("/v5/order/create-batch", &batch("linear", eth_buys(2, "c")))
        .await;
    assert_eq!(r.item_codes(), vec![0, 0]);
}

#[tokio::test]
async fn single_endpoint_over_budget_is_10006() {
    let (sim, c) = start(default_tier()).await;
    let mut codes = Vec::new();
    for i in 0..12 {
        let body = single(
            "linear",
            item("BTCUSDT", "Buy", "0.001", "50000", &format!("r-{i}")),
        );
        let r = c.post("/v5/order/create", &body).await;
        codes.push(r.ret_code());
        if r.ret_code() == 10006 {
            assert_eq!(r.json()["retMsg"], "Too many visits!");
            assert_eq!(r.header("X-Bapi-Limit-Status").as_deref(), Some("0"));
        }
    }
    assert_eq!(codes, [vec![0; 10], vec![10006; 2]].concat());
    assert_eq!(sim.state().open_orders.len(), 10);
    assert_eq!(sim.state().rate_limit_rejections, 2);
    // Cancel is another endpoint with its own budget.
    let cancel = by_link("linear", "BTCUSDT", "r-0");
    assert_eq!(c.post("/v5/order/cancel", &cancel).await.ret_code(), 0);
}

#[tokio::test]
async fn custom_limits_and_realtime_budget() {
    let mut limits = Limits::for_tier(Tier::Unlimited);
    limits.set("/v5/order/realtime", Line::All, 2);
    limits.uid_window_ms = 60_000;
    let (_sim, c) = start(quiet_with(limits)).await;
    let q = "category=linear&symbol=BTCUSDT";
    let codes: Vec<i64> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(c.get("/v5/order/realtime", q).await.ret_code());
        }
        v
    };
    assert_eq!(codes, vec![0, 0, 10006]);
    // Unlimited endpoints send no rate headers.
    let r = c
        .post(
            "/v5/order/create",
            &single("linear", item("BTCUSDT", "Buy", "0.001", "50000", "u-1")),
        )
        .await;
    assert_eq!(r.header("X-Bapi-Limit"), None);
}

#[tokio::test]
async fn ip_limit_answers_http_403() {
    let mut limits = Limits::for_tier(Tier::Unlimited);
    limits.ip_max_requests = 5;
    limits.ip_window_ms = 60_000;
    let (sim, c) = start(quiet_with(limits)).await;
    assert_eq!(
        time_statuses(&c, 7).await,
        vec![200, 200, 200, 200, 200, 403, 403]
    );
    assert_eq!(sim.state().ip_limit_rejections, 2);
    // The inspection surface is not limited.
    let st = c
        .http
        .get(format!("{}/sim/state", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(st.status().as_u16(), 200);
    let st: mm_sim::SimState = serde_json::from_str(&st.text().await.unwrap()).unwrap();
    assert_eq!(st.requests_by_path["/v5/market/time"], 7);
}

#[tokio::test]
async fn option_batches_cost_one_unit_per_request() {
    let mut cfg = default_tier();
    cfg.instruments = vec![inst(
        "BTC-27MAR26-70000-P",
        mm_bybit::Category::Option,
        "1000",
        "5",
        "0.01",
    )];
    let (_sim, c) = start(cfg).await;
    let opt = |i: usize| {
        item(
            "BTC-27MAR26-70000-P",
            "Buy",
            "0.01",
            &format!("{}", 500 + 5 * i),
            &format!("o-{i}"),
        )
    };
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("option", (0..20).map(opt).collect()),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0; 20], "{}", r.text);
    assert_eq!(r.header("X-Bapi-Limit-Status").as_deref(), Some("9"));
}

/// An authenticated request that fails validation still counts against its endpoint's UID
/// limit and carries the three headers; one that fails authentication cannot be attributed to
/// a UID and carries none.
#[tokio::test]
async fn rate_headers_on_error_replies() {
    let (_sim, c) = start(default_tier()).await;
    let status = |r: &Reply| {
        (
            r.ret_code(),
            r.header("X-Bapi-Limit"),
            r.header("X-Bapi-Limit-Status"),
            r.header("X-Bapi-Limit-Reset-Timestamp").is_some(),
        )
    };
    let s = |n: &str| Some(n.to_string());
    // Single create: unparsable JSON, then a body without category.
    let r = c.post("/v5/order/create", "{not json").await;
    assert_eq!(status(&r), (10001, s("10"), s("9"), true), "{}", r.text);
    let no_cat = item("BTCUSDT", "Buy", "0.001", "50000", "h-1").to_string();
    let r = c.post("/v5/order/create", &no_cat).await;
    assert_eq!(status(&r), (10001, s("10"), s("8"), true), "{}", r.text);
    // Cancel-all that does not parse.
    let r = c
        .post(
            "/v5/order/cancel-all",
            r#"{"category":"linear","symbol":7}"#,
        )
        .await;
    assert_eq!(status(&r), (10001, s("10"), s("9"), true), "{}", r.text);
    // Batches: over-size, empty, unparsable; each is one refused request (one unit).
    let over = batch("linear", eth_buys(21, "o"));
    let r = c.post("/v5/order/create-batch", &over).await;
    assert_eq!(status(&r), (10001, s("10"), s("9"), true), "{}", r.text);
    let r = c
        .post("/v5/order/cancel-batch", &batch("linear", vec![]))
        .await;
    assert_eq!(status(&r), (10001, s("10"), s("9"), true), "{}", r.text);
    let r = c
        .post(
            "/v5/order/amend-batch",
            r#"{"category":"linear","request":5}"#,
        )
        .await;
    assert_eq!(status(&r), (10001, s("10"), s("9"), true), "{}", r.text);
    // The spot line is charged when the body names spot.
    let r = c
        .post("/v5/order/create-batch", &batch("spot", vec![]))
        .await;
    assert_eq!(status(&r), (10001, s("20"), s("19"), true), "{}", r.text);
    // Authentication failures: no UID, so no UID headers (and nothing is charged).
    let mut bad = Client::new(&c.base);
    bad.secret = "wrong".into();
    let r = bad.post("/v5/order/create", &no_cat).await;
    assert_eq!(status(&r), (10004, None, None, false));
    bad.key = "nobody".into();
    let r = bad.post("/v5/order/create", &no_cat).await;
    assert_eq!(status(&r), (10003, None, None, false));
    let r = c
        .post(
            "/v5/order/create",
            &single("linear", item("BTCUSDT", "Buy", "0.001", "50000", "h-2")),
        )
        .await;
    assert_eq!(status(&r), (0, s("10"), s("7"), true), "{}", r.text);
}

/// Bybit's IP ban (S13): after a breach every request gets 403 for at least 10 minutes, even
/// once the 5 s window has emptied. The default tier models it as exactly 10 minutes.
#[tokio::test]
async fn default_tier_ip_breach_bans_for_ten_minutes() {
    let mut limits = Limits::for_tier(Tier::Default);
    assert_eq!((limits.ip_max_requests, limits.ip_window_ms), (600, 5000));
    // Same ban, smaller window so the test is quick.
    limits.ip_max_requests = 3;
    limits.ip_window_ms = 200;
    let (sim, c) = start(quiet_with(limits)).await;
    assert_eq!(time_statuses(&c, 4).await, vec![200, 200, 200, 403]);
    let banned_at = now_ms();
    let until = sim.state().ip_banned_until_ms;
    let ban = until.saturating_sub(banned_at);
    assert!((599_000..=600_000).contains(&ban), "ban of {ban} ms");
    // The window has long emptied; the ban still holds, for public and private paths.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(c.public("/v5/market/time", "").await.status, 403);
    let r = c
        .get("/v5/order/realtime", "category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(sim.state().ip_limit_rejections, 3);
}

/// Spot batches also cost one unit per order (S13): against the default tier's spot
/// create-batch limit of 20, batches of 10, 4 and 8 orders leave the last 2 orders 10006.
#[tokio::test]
async fn spot_batches_cost_one_unit_per_order() {
    let mut cfg = default_tier();
    cfg.instruments.push(spot_btc());
    let (_sim, c) = start(cfg).await;
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("spot", spot_buys(10, "s1")),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0; 10], "{}", r.text);
    assert_eq!(r.header("X-Bapi-Limit").as_deref(), Some("20"));
    assert_eq!(r.header("X-Bapi-Limit-Status").as_deref(), Some("10"));
    let r = c
        .post("/v5/order/create-batch", &batch("spot", spot_buys(4, "s2")))
        .await;
    assert_eq!(r.header("X-Bapi-Limit-Status").as_deref(), Some("6"));
    let r = c
        .post("/v5/order/create-batch", &batch("spot", spot_buys(8, "s3")))
        .await;
    assert_eq!(r.item_codes(), [vec![0; 6], vec![10006; 2]].concat());
    assert_eq!(r.header("X-Bapi-Limit-Status").as_deref(), Some("0"));
    // The derivatives line is untouched.
    let r = c
        .post("/v5/order/create-batch", &batch("linear", eth_buys(1, "l")))
        .await;
    assert_eq!(r.header("X-Bapi-Limit-Status").as_deref(), Some("9"));
}
