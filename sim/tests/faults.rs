//! Latency, each fault kind, and determinism, over real HTTP.
#![allow(clippy::unwrap_used)]

mod common;
use std::time::{Duration, Instant};

use common::*;
use mm_sim::{FaultSpec, SimConfig};

fn with_faults(spec: &str) -> SimConfig {
    SimConfig {
        faults: spec.parse::<FaultSpec>().unwrap(),
        hold_timeout_ms: 300,
        ..quiet()
    }
}

fn order(link: &str) -> String {
    single("linear", item("BTCUSDT", "Buy", "0.001", "50000", link))
}

#[tokio::test]
async fn replies_take_at_least_the_configured_latency() {
    let mut cfg = SimConfig {
        latency_ms: 60,
        jitter_ms: 30,
        ..quiet()
    };
    cfg.latency_overrides.insert("/v5/market/time".into(), 120);
    let (_sim, c) = start(cfg).await;
    for i in 0..3 {
        let t = Instant::now();
        assert_eq!(
            c.post("/v5/order/create", &order(&format!("lat-{i}")))
                .await
                .ret_code(),
            0
        );
        assert!(
            t.elapsed() >= Duration::from_millis(60),
            "{:?}",
            t.elapsed()
        );
        let t = Instant::now();
        c.ticker("BTCUSDT").await;
        assert!(
            t.elapsed() >= Duration::from_millis(60),
            "{:?}",
            t.elapsed()
        );
    }
    let t = Instant::now();
    c.public("/v5/market/time", "").await;
    assert!(
        t.elapsed() >= Duration::from_millis(120),
        "per-path override: {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn http_5xx_is_not_applied_and_spares_market_data() {
    let (sim, c) = start(with_faults("5xx=1")).await;
    let r = c.post("/v5/order/create", &order("f5-1")).await;
    assert!([500, 502, 503].contains(&r.status), "{}", r.status);
    assert!(sim.state().open_orders.is_empty());
    let t = c
        .public("/v5/market/tickers", "category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!((t.status, t.ret_code()), (200, 0));
    assert_eq!(
        c.get("/v5/order/realtime", "category=linear&symbol=BTCUSDT")
            .await
            .ret_code(),
        0
    );
    assert_eq!(sim.state().faults_injected["5xx"], 1);
}

#[tokio::test]
async fn timeout_applied_holds_then_drops_but_the_order_exists() {
    let (sim, c) = start(with_faults("timeout_applied=1")).await;
    let t = Instant::now();
    let r = c.try_post("/v5/order/create", &order("fta-1")).await;
    assert!(r.is_err(), "no reply: {:?}", r.map(|r| r.text));
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "held {:?}",
        t.elapsed()
    );
    let open = sim.state().open_orders;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].order_link_id, "fta-1");
    // The reconcile query (not faulted) finds it.
    let q = c
        .get(
            "/v5/order/realtime",
            "category=linear&symbol=BTCUSDT&orderLinkId=fta-1",
        )
        .await;
    assert_eq!(q.json()["result"]["list"][0]["orderStatus"], "New");
}

#[tokio::test]
async fn timeout_lost_holds_then_drops_and_nothing_happened() {
    let (sim, c) = start(with_faults("timeout_lost=1")).await;
    let t = Instant::now();
    assert!(
        c.try_post("/v5/order/create", &order("ftl-1"))
            .await
            .is_err()
    );
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "held {:?}",
        t.elapsed()
    );
    assert!(sim.state().open_orders.is_empty());
    assert_eq!(sim.state().faults_injected["timeout_lost"], 1);
}

#[tokio::test]
async fn drop_cuts_the_connection_without_applying() {
    let (sim, c) = start(with_faults("drop=1")).await;
    let r = c
        .try_post(
            "/v5/order/create-batch",
            &batch(
                "linear",
                vec![item("BTCUSDT", "Buy", "0.001", "50000", "fd-1")],
            ),
        )
        .await;
    assert!(r.is_err());
    assert!(sim.state().open_orders.is_empty());
    assert_eq!(sim.state().faults_injected["drop"], 1);
}

#[tokio::test]
async fn malformed_is_http_200_with_invalid_json_and_applied() {
    let (sim, c) = start(with_faults("malformed=1")).await;
    let r = c.post("/v5/order/create", &order("fm-1")).await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.text).is_err(),
        "{}",
        r.text
    );
    assert_eq!(sim.state().open_orders.len(), 1);
}

#[tokio::test]
async fn reject_is_a_final_per_order_code() {
    let (sim, c) = start(with_faults("reject=1")).await;
    let r = c.post("/v5/order/create", &order("fr-1")).await;
    assert!([110003, 110007].contains(&r.ret_code()), "{}", r.text);
    let items = (0..5)
        .map(|i| item("BTCUSDT", "Buy", "0.001", "50000", &format!("fr-b{i}")))
        .collect();
    let r = c
        .post("/v5/order/create-batch", &batch("linear", items))
        .await;
    assert_eq!(r.ret_code(), 0);
    assert!(
        r.item_codes().iter().all(|c| [110003, 110007].contains(c)),
        "{}",
        r.text
    );
    assert!(sim.state().open_orders.is_empty());
    assert_eq!(sim.state().faults_injected["reject"], 6);
}

#[tokio::test]
async fn faults_can_extend_to_market_data() {
    let cfg = SimConfig {
        faults_everywhere: true,
        ..with_faults("5xx=1")
    };
    let (_sim, c) = start(cfg).await;
    assert!(
        c.public("/v5/market/tickers", "category=linear")
            .await
            .status
            >= 500
    );
}

/// One outcome, with the server's clock removed.
fn outcome(r: Result<Reply, reqwest::Error>) -> String {
    match r {
        Err(_) => "transport error".into(),
        Ok(r) => match serde_json::from_str::<serde_json::Value>(&r.text) {
            Ok(mut v) => {
                v.as_object_mut().unwrap().remove("time");
                format!("{} {v}", r.status)
            }
            Err(_) => format!("{} {}", r.status, r.text),
        },
    }
}

async fn run(seed: u64) -> Vec<String> {
    let cfg = SimConfig {
        seed,
        faults: "5xx=0.15,malformed=0.15,drop=0.1,reject=0.2"
            .parse()
            .unwrap(),
        walk_bps: 7,
        tier: mm_sim::Tier::Unlimited,
        ..SimConfig::default()
    };
    let (sim, c) = start(cfg).await;
    let mut log = Vec::new();
    for i in 0..40 {
        log.push(outcome(Ok(c
            .public("/v5/market/tickers", "category=linear")
            .await)));
        log.push(outcome(
            c.try_post("/v5/order/create", &order(&format!("det-{i}")))
                .await,
        ));
    }
    log.push(format!("{:?}", sim.state().faults_injected));
    log
}

#[tokio::test]
async fn same_seed_same_prices_faults_and_replies() {
    let a = run(42).await;
    let b = run(42).await;
    assert_eq!(a, b);
    // The log really contains faults and moving prices, so the comparison means something.
    let joined = a.join("\n");
    assert!(joined.contains("transport error"));
    assert!(joined.contains("\"retCode\":110"));
    assert!(a.iter().any(|l| l.starts_with("50")));
    assert_ne!(a[0], a[2], "prices moved");
    assert_ne!(run(43).await, a, "another seed gives another run");
}
