//! Quote quality in `/sim/state` over HTTP: a bid on its level-0 target is covered the whole
//! time it rests, the empty levels never are.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[tokio::test]
async fn sim_state_carries_quote_quality() {
    let mut cfg = quiet();
    cfg.quality = Some(mm_sim::QuoteLadder {
        symbols: vec!["BTCUSDT".into()],
        ..mm_sim::QuoteLadder::default()
    });
    let (sim, c) = start(cfg).await;
    let before: mm_sim::SimState = c.public("/sim/state", "").await.json().pipe();
    let q = before.quality.unwrap();
    assert_eq!(q.observed_ms, 0.0, "nothing rested yet: {q:?}");
    // BTCUSDT 60000 (tick 0.1, 1 bps market spread): mm's default ladder's inner bid is
    // floor(1.2e6 x 19990 / 40000) = 599700 ticks.
    let r = c
        .post(
            "/v5/order/create",
            &single("linear", item("BTCUSDT", "Buy", "0.001", "59970", "q-1")),
        )
        .await;
    assert_eq!(r.ret_code(), 0, "{}", r.text);
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let st: mm_sim::SimState = c.public("/sim/state", "").await.json().pipe();
    let q = st.quality.unwrap();
    assert!(q.observed_ms > 0.0, "{q:?}");
    let btc = &q.symbols["BTCUSDT"];
    assert_eq!(btc.bids.len(), 5);
    assert_eq!(btc.bids[0].coverage, 1.0, "{btc:?}");
    assert_eq!(btc.bids[0].deviation_bps, Some(0.0));
    assert!(
        btc.bids[1..]
            .iter()
            .chain(&btc.asks)
            .all(|l| l.coverage == 0.0)
    );
    assert_eq!(q.inner_coverage, 0.5);
    assert_eq!(q.coverage, 0.1);
    assert_eq!(sim.quality().unwrap().symbols.len(), 1);
}

trait Pipe {
    fn pipe<T: serde::de::DeserializeOwned>(self) -> T;
}

impl Pipe for serde_json::Value {
    fn pipe<T: serde::de::DeserializeOwned>(self) -> T {
        serde_json::from_value(self).unwrap()
    }
}
