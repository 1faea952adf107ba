//! Credentials from the environment reach the exchange (the simulator
//! accepts them as its only account) and nothing else: not the log, the
//! journal, the summary or stderr.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;

const KEY: &str = "k3yTESTxq7Zr9LmN2pQ4";
const SECRET: &str = "s3cretTESTv8Wb1Yc6Hd0Jf5Kg";

#[test]
fn a_bybit_run_never_writes_the_key_or_secret() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt
        .block_on(mm_sim::Sim::start(
            mm_sim::SimConfig {
                latency_ms: 1,
                fills: false,
                accounts: vec![(KEY.to_string(), SECRET.to_string())],
                ..mm_sim::SimConfig::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    write(
        &cfg,
        &format!(
            r#"[exchange]
kind = "bybit"
base_url = "{}"

[quoting]
symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
order_qty = {{ BTCUSDT = "0.001", ETHUSDT = "0.01", SOLUSDT = "0.1", XRPUSDT = "1" }}
tick_interval_ms = 100

[rate_limits]
create = 1000
amend = 1000
cancel = 1000
create_batch = 1000
amend_batch = 1000
cancel_batch = 1000
cancel_all = 1000
open_orders = 1000

[metrics]
addr = "127.0.0.1:0"
"#,
            sim.base_url()
        ),
    );
    let (journal, log, summary) = (
        p(dir.path(), "j.mmj"),
        p(dir.path(), "core.log"),
        p(dir.path(), "s.json"),
    );
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .env("BYBIT_API_KEY", KEY)
        .env("BYBIT_API_SECRET", SECRET)
        .env("RUST_LOG", "debug")
        .args(["run", "--ticks", "6", "--config"])
        .arg(&cfg)
        .arg("--journal")
        .arg(&journal)
        .arg("--log")
        .arg(&log)
        .arg("--summary-json")
        .arg(&summary);
    let out = run(cmd, Duration::from_secs(120));
    let state = sim.state();
    rt.block_on(sim.shutdown());
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The credentials were used: signed requests accepted, orders placed.
    assert_eq!(state.auth_failures, 0);
    assert!(
        state
            .requests_by_path
            .get("/v5/order/create-batch")
            .copied()
            .unwrap_or(0)
            > 0
    );
    assert!(state.open_orders.is_empty());
    let s = read_summary(&summary);
    assert_eq!(
        s.open_orders_exchange,
        Some(0),
        "counted by open-orders queries"
    );

    let mut places = vec![
        ("stderr".to_string(), out.stderr.into_bytes()),
        ("stdout".to_string(), out.stdout.into_bytes()),
    ];
    for f in [&journal, &log, &summary] {
        places.push((f.display().to_string(), std::fs::read(f).unwrap()));
    }
    for (name, bytes) in &places {
        assert!(!bytes.is_empty() || name == "stdout", "{name} is empty");
        for needle in [KEY, SECRET] {
            let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert!(!found, "{name} contains a credential");
        }
    }
}
