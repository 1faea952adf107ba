//! `[risk]` end to end: the `mm` binary against a simulator on a loopback
//! port whose market trends (`drift_bps`) and fills our quotes. The
//! simulator's own position is sampled while the session runs.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use mm_core::Decimal;

/// A market walking every 20 ms, `drift_bps` a step on top of a 2 bps walk,
/// filling what it crosses.
fn trending(drift_bps: i32) -> mm_sim::SimConfig {
    mm_sim::SimConfig {
        latency_ms: 1,
        fills: true,
        walk_bps: 2,
        drift_bps,
        walk_interval_ms: 20,
        ..mm_sim::SimConfig::default()
    }
}

/// The seed scenario against `url`, with `risk` as its `[risk]` section.
fn config(dir: &Path, url: &str, risk: &str) -> PathBuf {
    let cfg = p(dir, "mm.toml");
    let toml = Seed::default().toml().replace(
        "kind = \"sim\"",
        &format!("kind = \"sim\"\nbase_url = \"{url}\""),
    ) + "\n[risk]\n"
        + risk
        + "\n";
    write(&cfg, &toml);
    cfg
}

/// A signed GET of the simulator's REST API with the paper key: `result`.
fn sim_get(addr: std::net::SocketAddr, path: &str, query: &str) -> serde_json::Value {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let sign = mm_bybit::sign("paper-secret", ts, "paper-key", 5000, query);
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path}?{query} HTTP/1.0\r\nHost: {addr}\r\nX-BAPI-API-KEY: paper-key\r\nX-BAPI-TIMESTAMP: {ts}\r\nX-BAPI-RECV-WINDOW: 5000\r\nX-BAPI-SIGN: {sign}\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap();
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["retCode"], 0, "{body}");
    v["result"].clone()
}

/// The simulator's position of `symbol` (signed: long positive).
fn sim_position(addr: std::net::SocketAddr, symbol: &str) -> Decimal {
    let r = sim_get(
        addr,
        "/v5/position/list",
        &format!("category=linear&symbol={symbol}"),
    );
    let row = &r["list"][0];
    let size: Decimal = row["size"].as_str().unwrap().parse().unwrap();
    match row["side"].as_str().unwrap() {
        "Sell" => Decimal::ZERO.checked_sub(size).unwrap(),
        _ => size,
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn above(a: Decimal, b: Decimal) -> bool {
    a.checked_sub(b).is_some_and(Decimal::is_positive)
}

#[test]
fn a_falling_market_fills_the_bids_up_to_the_cap_and_the_asks_keep_quoting() {
    let rt = one_worker_runtime();
    let sim = start_sim(&rt, trending(-3));
    let dir = tmp();
    // XRPUSDT quotes 5 levels of 10 a side: bids stop once long more than 10.
    let cfg = config(
        dir.path(),
        &sim.base_url(),
        "max_position = { XRPUSDT = \"60\" }",
    );
    let (cmd, _journal, summary) = run_ticks(dir.path(), &cfg, 40);
    let running = Running::spawn(cmd);
    let cap = dec("60");
    let (mut most, mut asks_at_cap) = (Decimal::ZERO, false);
    let end = Instant::now() + Duration::from_secs(8);
    while Instant::now() < end {
        let pos = sim_position(sim.addr(), "XRPUSDT");
        assert!(
            !above(pos, cap),
            "the simulator's XRPUSDT position {pos} passed 60"
        );
        assert!(
            !above(-pos, cap),
            "the simulator's XRPUSDT position {pos} passed -60"
        );
        if above(pos, most) {
            most = pos;
        }
        if above(pos, dec("10")) {
            let asks = (sim.state().open_orders.iter())
                .filter(|o| o.symbol == "XRPUSDT" && o.side == mm_bybit::Side::Sell)
                .count();
            asks_at_cap |= asks > 0;
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    let out = running.wait(Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = read_summary(&summary);
    assert!(
        above(most, dec("10")),
        "the trend filled the bids: most {most}"
    );
    assert!(
        asks_at_cap,
        "the asks kept quoting while the bids were blocked"
    );
    assert!(
        s.risk_blocks.get("max_position").is_some_and(|n| *n > 0),
        "{s:?}"
    );
    let max_abs = dec(&s.max_abs_position["XRPUSDT"]);
    assert!(!above(max_abs, cap), "{s:?}");
    assert_eq!(s.kill_switch, None);
    assert_eq!(s.open_orders_exchange, Some(0));
    rt.block_on(sim.shutdown());
}

#[test]
fn a_crash_trips_max_loss_every_order_goes_and_mm_exits_4() {
    let rt = one_worker_runtime();
    let sim = start_sim(&rt, trending(-6));
    let dir = tmp();
    let cfg = config(dir.path(), &sim.base_url(), "max_loss = \"1\"");
    let (cmd, _journal, summary) = run_ticks(dir.path(), &cfg, 300);
    let out = Running::spawn(cmd).wait(Duration::from_secs(120));
    assert_eq!(out.code, 4, "{}", out.stderr);
    let s = read_summary(&summary);
    let reason = s.kill_switch.clone().expect("the kill switch's reason");
    assert!(reason.starts_with("max_loss: PnL -"), "{reason}");
    assert!(out.stderr.contains(&reason), "{}", out.stderr);
    assert_eq!(
        serde_json::to_value(s.ended).unwrap(),
        serde_json::json!("kill_switch")
    );
    assert!(s.stopped);
    assert_eq!(s.open_orders_core, 0, "{s:?}");
    assert_eq!(s.open_orders_exchange, Some(0), "{s:?}");
    let sid = format!("{}-", s.session_id);
    assert!(
        !(sim.state().open_orders.iter()).any(|o| o.order_link_id.starts_with(&sid)),
        "every order of ours gone at the exchange"
    );
    rt.block_on(sim.shutdown());
}
