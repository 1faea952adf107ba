//! Spot and inverse beside linear in the default simulator: listed with their rules, quoted
//! and batched on the same paths, spot answering its own 170xxx codes where Bybit documents
//! them, inverse with the derivatives' rules and batches of 20.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use mm_sim::{SimConfig, Tier};
use serde_json::json;

/// `n` XRPUSD buys of 1 contract at 0.5000, 0.5001, ... (below its 0.6 market).
fn xrp_buys(n: usize, prefix: &str) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            item(
                "XRPUSD",
                "Buy",
                "1",
                &format!("0.{}", 5000 + i),
                &format!("{prefix}-{i}"),
            )
        })
        .collect()
}

#[tokio::test]
async fn default_instruments_list_spot_and_inverse_beside_linear() {
    let (_sim, c) = start(quiet()).await;
    let listed = |cat: &'static str| {
        let c = &c;
        async move {
            let r = c
                .public("/v5/market/instruments-info", &format!("category={cat}"))
                .await;
            let v = r.json();
            let mut s: Vec<String> = v["result"]["list"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["symbol"].as_str().unwrap().to_string())
                .collect();
            s.sort();
            (s, v)
        }
    };
    let (linear, _) = listed("linear").await;
    assert_eq!(linear, ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]);
    let (spot, v) = listed("spot").await;
    assert_eq!(spot, ["ETHUSDC", "SOLUSDC"]);
    let eth = v["result"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["symbol"] == "ETHUSDC")
        .unwrap();
    assert_eq!(eth["lotSizeFilter"]["basePrecision"], "0.00001");
    assert_eq!(eth["priceFilter"]["tickSize"], "0.01");
    let (inverse, v) = listed("inverse").await;
    assert_eq!(inverse, ["ETHUSD", "XRPUSD"]);
    let eth = v["result"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["symbol"] == "ETHUSD")
        .unwrap();
    assert_eq!(eth["priceFilter"]["tickSize"], "0.05");
    assert_eq!(eth["lotSizeFilter"]["qtyStep"], "1");
    // Tickers per category, on the same path.
    for (cat, sym) in [("spot", "SOLUSDC"), ("inverse", "XRPUSD")] {
        let r = c
            .public(
                "/v5/market/tickers",
                &format!("category={cat}&symbol={sym}"),
            )
            .await;
        assert_eq!(r.ret_code(), 0, "{}", r.text);
        assert_eq!(r.json()["result"]["list"][0]["symbol"], sym);
    }
}

#[tokio::test]
async fn spot_batches_hold_10_and_inverse_20() {
    let (sim, c) = start(quiet()).await;
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("spot", buys("ETHUSDC", "0.001", 2000, 11, "s11")),
        )
        .await;
    assert_eq!(r.ret_code(), 10001, "{}", r.text);
    assert!(r.text.contains("spot allows 1..=10"), "{}", r.text);
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("spot", buys("ETHUSDC", "0.001", 2000, 10, "s10")),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0; 10], "{}", r.text);
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("inverse", buys("ETHUSD", "1", 2000, 21, "i21")),
        )
        .await;
    assert_eq!(r.ret_code(), 10001, "{}", r.text);
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("inverse", buys("ETHUSD", "1", 2000, 20, "i20")),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0; 20], "{}", r.text);
    // Spot ids are numeric, inverse ones UUID-shaped; both rest on their own books.
    let st = sim.state();
    let by = |sym: &str| st.open_orders.iter().filter(|o| o.symbol == sym).count();
    assert_eq!((by("ETHUSDC"), by("ETHUSD")), (10, 20));
    let spot_id = &st
        .open_orders
        .iter()
        .find(|o| o.symbol == "ETHUSDC")
        .unwrap()
        .order_id;
    assert!(spot_id.chars().all(|ch| ch.is_ascii_digit()), "{spot_id}");
    // A batch of another category's symbol fails per item (10001), not the whole request.
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("spot", buys("ETHUSD", "1", 2000, 1, "x")),
        )
        .await;
    assert_eq!(r.item_codes(), vec![10001], "{}", r.text);
}

/// Bybit's spot codes: price with too many decimals 170134, qty below the minimum 170136,
/// qty with too many decimals 170137, cancel of an order that is not open 170213; the
/// same mistakes on linear and inverse are 10001 (and 110001).
#[tokio::test]
async fn spot_answers_its_own_codes_where_derivatives_answer_10001() {
    let (_sim, c) = start(quiet()).await;
    let items = |sym: &str, good_qty: &str, fine_qty: &str, low_qty: &str, p: &str| {
        vec![
            item(sym, "Buy", good_qty, "2000.001", &format!("{p}-px")),
            item(sym, "Buy", low_qty, "2000", &format!("{p}-low")),
            item(sym, "Buy", fine_qty, "2000", &format!("{p}-fine")),
            item(sym, "Buy", good_qty, "2000", &format!("{p}-ok")),
        ]
    };
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch(
                "spot",
                items("ETHUSDC", "0.001", "0.000011", "0.00005", "sp"),
            ),
        )
        .await;
    assert_eq!(
        r.item_codes(),
        vec![170134, 170136, 170137, 0],
        "{}",
        r.text
    );
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("linear", items("ETHUSDT", "0.01", "0.015", "0", "li")),
        )
        .await;
    assert_eq!(r.item_codes(), vec![10001, 10001, 10001, 0], "{}", r.text);
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("inverse", items("ETHUSD", "1", "1.5", "0", "in")),
        )
        .await;
    assert_eq!(r.item_codes(), vec![10001, 10001, 10001, 0], "{}", r.text);
    // Amend: the same codes.
    let amend = json!({"category": "spot", "symbol": "ETHUSDC", "orderLinkId": "sp-ok",
        "qty": "0.000011"})
    .to_string();
    assert_eq!(c.post("/v5/order/amend", &amend).await.ret_code(), 170137);
    let amend = json!({"category": "spot", "symbol": "ETHUSDC", "orderLinkId": "sp-ok",
        "price": "2000.005"})
    .to_string();
    assert_eq!(c.post("/v5/order/amend", &amend).await.ret_code(), 170134);
    // Cancels of orders that are not open.
    let gone = |cat: &str, sym: &str| by_link(cat, sym, "never");
    let r = c.post("/v5/order/cancel", &gone("spot", "ETHUSDC")).await;
    assert_eq!(r.ret_code(), 170213);
    let r = c.post("/v5/order/cancel", &gone("inverse", "ETHUSD")).await;
    assert_eq!(r.ret_code(), 110001);
}

/// At the default tier a spot batch costs one unit per order of spot's own 20/s (its own
/// counter), an inverse one per order of the derivatives' 10/s.
#[tokio::test]
async fn default_tier_charges_spot_and_inverse_batches_per_order() {
    let mut cfg = SimConfig {
        tier: Tier::Default,
        latency_ms: 0,
        walk_bps: 0,
        ..SimConfig::default()
    };
    let mut limits = mm_sim::Limits::for_tier(Tier::Default);
    limits.uid_window_ms = 60_000; // no roll-over on a slow machine
    cfg.limits = Some(limits);
    let (sim, c) = start(cfg).await;
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("spot", buys("SOLUSDC", "0.01", 100, 10, "a")),
        )
        .await;
    assert_eq!(r.header("x-bapi-limit").as_deref(), Some("20"));
    assert_eq!(r.header("x-bapi-limit-status").as_deref(), Some("10"));
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("inverse", xrp_buys(4, "b")),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0; 4], "{}", r.text);
    assert_eq!(r.header("x-bapi-limit").as_deref(), Some("10"));
    assert_eq!(r.header("x-bapi-limit-status").as_deref(), Some("6"));
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("spot", buys("SOLUSDC", "0.01", 110, 10, "c")),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0; 10], "{}", r.text);
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("spot", buys("SOLUSDC", "0.01", 120, 2, "d")),
        )
        .await;
    assert_eq!(r.ret_code(), 10006, "{}", r.text);
    assert_eq!(sim.state().open_orders.len(), 24);
}
