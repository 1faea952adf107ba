//! Every simulator reply that has a documented Bybit example (bybit/tests/fixtures: the
//! examples of Bybit's API documentation) carries the same fields with the same JSON types: the recursive set
//! of keys and each value's type are compared, so a missing, extra or mistyped field fails.
#![allow(clippy::unwrap_used)]

mod common;
use std::collections::BTreeSet;

use common::shape::differences;
use common::*;
use mm_bybit::Category;
use mm_sim::SimConfig;
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../bybit/tests/fixtures");

struct Checker {
    covered: BTreeSet<String>,
}

impl Checker {
    fn check(&mut self, example: &str, reply: &Reply) {
        assert_eq!(reply.ret_code(), 0, "{example}: {}", reply.text);
        let text = std::fs::read_to_string(format!("{FIXTURES}/{example}")).unwrap();
        let want: Value = serde_json::from_str(&text).unwrap();
        let errs = differences(&want, &reply.json());
        assert!(
            errs.is_empty(),
            "{example}: the reply's shape differs:\n  {}\nreply: {}",
            errs.join("\n  "),
            reply.text
        );
        self.covered.insert(example.to_string());
    }
}

fn is_numeric_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn every_reply_with_an_example_has_its_shape() {
    let mut cfg = SimConfig {
        walk_bps: 0,
        ..quiet()
    };
    cfg.instruments.extend([
        inst("BTCUSD", Category::Inverse, "60000", "0.5", "1"),
        inst("BTC-30DEC22-18000-C", Category::Option, "435", "5", "0.01"),
        inst("BTCUSDC", Category::Spot, "60000", "0.1", "0.000001"),
        inst("ATOMUSDC", Category::Spot, "10", "0.001", "0.01"),
    ]);
    let (_sim, c) = start(cfg).await;
    let mut k = Checker {
        covered: BTreeSet::new(),
    };

    k.check("time-0.json", &c.public("/v5/market/time", "").await);
    let tick = |cat: &str| format!("category={cat}");
    k.check(
        "tickers-0.json",
        &c.public("/v5/market/tickers", &tick("inverse")).await,
    );
    // Linear tickers have the inverse ones' fields (S9; no linear example is stored).
    k.check(
        "tickers-0.json",
        &c.public("/v5/market/tickers", &tick("linear")).await,
    );
    k.check(
        "tickers-1.json",
        &c.public("/v5/market/tickers", &tick("option")).await,
    );
    k.check(
        "tickers-2.json",
        &c.public("/v5/market/tickers", &tick("spot")).await,
    );
    let info = "/v5/market/instruments-info";
    k.check("instrument-0.json", &c.public(info, &tick("option")).await);
    k.check("instrument-1.json", &c.public(info, &tick("spot")).await);

    // Spot: batch place, single place, batch cancel with one unknown order.
    let spot = |sym: &str, px: &str, qty: &str, link: &str| item(sym, "Buy", qty, px, link);
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch(
                "spot",
                vec![
                    spot("BTCUSDC", "50000", "0.001", "sp-btc"),
                    spot("ATOMUSDC", "9", "1", "sp-atom"),
                ],
            ),
        )
        .await;
    k.check("batch-place-0.json", &r);
    for i in r.json()["result"]["list"].as_array().unwrap() {
        let id = i["orderId"].as_str().unwrap();
        assert!(
            is_numeric_id(id),
            "spot ids are numeric strings, got {id:?}"
        );
    }
    let r = c
        .post(
            "/v5/order/create",
            &single("spot", spot("BTCUSDC", "50001", "0.001", "sp-1")),
        )
        .await;
    k.check("create-order-0.json", &r);
    assert!(is_numeric_id(&r.order_id()));
    let r = c
        .post(
            "/v5/order/cancel-batch",
            &batch(
                "spot",
                vec![
                    json!({"symbol": "BTCUSDC", "orderLinkId": "sp-btc"}),
                    json!({"symbol": "ATOMUSDC", "orderLinkId": "never-placed"}),
                ],
            ),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0, 170213]);
    k.check("batch-cancel-0.json", &r);

    // Linear: amend, realtime, cancel, cancel-all.
    let lin = |link: &str, px: &str| single("linear", item("ETHUSDT", "Buy", "0.10", px, link));
    let r = c.post("/v5/order/create", &lin("ln-1", "1600")).await;
    let id = r.order_id();
    assert!(!is_numeric_id(&id), "linear ids are UUID-shaped");
    let amend = json!({"category": "linear", "symbol": "ETHUSDT", "orderId": id, "price": "1601"});
    k.check(
        "amend-order-0.json",
        &c.post("/v5/order/amend", &amend.to_string()).await,
    );
    k.check(
        "open-order-0.json",
        &c.get("/v5/order/realtime", "category=linear&symbol=ETHUSDT")
            .await,
    );
    k.check(
        "cancel-order-0.json",
        &c.post("/v5/order/cancel", &by_link("linear", "ETHUSDT", "ln-1"))
            .await,
    );
    c.post("/v5/order/create", &lin("ln-2", "1500")).await;
    c.post("/v5/order/create", &lin("ln-3", "1400")).await;
    let all = json!({"category": "linear", "symbol": "ETHUSDT"}).to_string();
    k.check(
        "cancel-all-0.json",
        &c.post("/v5/order/cancel-all", &all).await,
    );

    // Option: batch amend.
    let opt = |link: &str, px: &str| item("BTC-30DEC22-18000-C", "Buy", "0.01", px, link);
    let r = c
        .post(
            "/v5/order/create-batch",
            &batch("option", vec![opt("op-1", "300"), opt("op-2", "305")]),
        )
        .await;
    assert_eq!(r.item_codes(), vec![0, 0], "{}", r.text);
    let amends = vec![
        json!({"symbol": "BTC-30DEC22-18000-C", "orderLinkId": "op-1", "price": "310"}),
        json!({"symbol": "BTC-30DEC22-18000-C", "orderLinkId": "op-2", "qty": "0.02"}),
    ];
    k.check(
        "batch-amend-0.json",
        &c.post("/v5/order/amend-batch", &batch("option", amends))
            .await,
    );

    // Every example was compared: a new one needs a request here.
    let files: BTreeSet<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    let missing: Vec<_> = files.difference(&k.covered).collect();
    assert!(
        missing.is_empty(),
        "examples without a shape check: {missing:?}"
    );
}

/// Spot instruments have no pagination and Bybit's spot example has no `nextPageCursor`;
/// the other categories send it (empty on the last page).
#[tokio::test]
async fn instruments_cursor_only_off_spot() {
    let mut cfg = quiet();
    cfg.instruments
        .push(inst("BTCUSDC", Category::Spot, "60000", "0.1", "0.000001"));
    let (_sim, c) = start(cfg).await;
    let spot = c
        .public("/v5/market/instruments-info", "category=spot")
        .await;
    assert!(
        spot.json()["result"].get("nextPageCursor").is_none(),
        "{}",
        spot.text
    );
    let linear = c
        .public("/v5/market/instruments-info", "category=linear")
        .await;
    assert_eq!(linear.json()["result"]["nextPageCursor"], "");
    let i = &linear.json()["result"]["list"][0];
    for key in ["settleCoin", "launchTime", "leverageFilter", "contractType"] {
        assert!(i.get(key).is_some(), "linear instrument lacks {key}: {i}");
    }
    assert_eq!(i["contractType"], "LinearPerpetual");
    assert_eq!(i["settleCoin"], "USDT");
}

/// The comparison itself: a missing key, an extra key and a mistyped value are each found.
#[test]
fn the_shape_check_finds_differences() {
    let text = std::fs::read_to_string(format!("{FIXTURES}/open-order-0.json")).unwrap();
    let want: Value = serde_json::from_str(&text).unwrap();
    let errors = |edit: &dyn Fn(&mut Value)| {
        let mut got = want.clone();
        edit(&mut got);
        differences(&want, &got)
    };
    assert!(errors(&|_| {}).is_empty());
    let e = errors(&|v| {
        v["result"]["list"][0]
            .as_object_mut()
            .unwrap()
            .remove("leavesValue");
    });
    assert_eq!(e, vec!["$.result.list[0].leavesValue: missing"]);
    let e = errors(&|v| v["result"]["list"][0]["extra"] = json!("x"));
    assert_eq!(e, vec!["$.result.list[0].extra: not in the example"]);
    let e = errors(&|v| v["result"]["list"][0]["positionIdx"] = json!("1"));
    assert_eq!(
        e,
        vec!["$.result.list[0].positionIdx: number in the example, string here"]
    );
    let e = errors(&|v| v["result"]["list"] = json!([]));
    assert_eq!(e, vec!["$.result.list: empty here, nothing to compare"]);
    // Coin-keyed fee maps compare by type only.
    let e = errors(&|v| v["result"]["list"][0]["cumFeeDetail"] = json!({}));
    assert!(e.is_empty(), "{e:?}");
}
