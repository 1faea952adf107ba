//! The simulator's latency is a floor: by its own clock no reply, over REST or the trade
//! stream, leaves before its request's arrival plus the latency it was given (L + jitter),
//! however many requests wait at once.
#![allow(clippy::unwrap_used)]

mod common;
mod ws;

use common::*;
use mm_sim::SimConfig;
use ws::Ws;
use ws::trade::create;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_reply_leaves_before_its_latency_over_rest_or_the_trade_stream() {
    let cfg = SimConfig {
        latency_ms: 4,
        jitter_ms: 3,
        ..quiet()
    };
    let (sim, _c) = start(cfg).await;
    let mut ws = Ws::trade(&sim.base_url(), KEY, SECRET).await;
    let before = sim.state().reply_delays;
    const N: u64 = 40;
    // Many requests in flight on both transports at once, their deadlines interleaved.
    let rest = async {
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..N {
            let c = Client::new(&sim.base_url());
            let body = single(
                "linear",
                item("ETHUSDT", "Buy", "0.01", "2000", &format!("r-{i}")),
            );
            calls.spawn(async move { c.post("/v5/order/create", &body).await.ret_code() });
        }
        calls.join_all().await
    };
    let trade = async {
        for i in 0..N {
            let order = item("ETHUSDT", "Buy", "0.01", "2001", &format!("w-{i}"));
            ws.send_text(create(&format!("q-{i}"), order)).await;
        }
        let mut codes = Vec::new();
        for _ in 0..N {
            codes.push(ws.next().await["retCode"].as_i64().unwrap());
        }
        codes
    };
    let (rest, trade) = tokio::join!(rest, trade);
    assert!(
        rest.iter().chain(&trade).all(|c| *c == 0),
        "{rest:?} {trade:?}"
    );

    let d = sim.state().reply_delays;
    assert_eq!(d.replies - before.replies, 2 * N, "{d:?}");
    assert_eq!(d.early, 0, "replies released before their latency: {d:?}");
    assert!(d.late_us_sum <= d.late_us_max * d.replies, "{d:?}");
}
