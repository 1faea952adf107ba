//! `[risk]` end to end: the `mm` binary against a simulator on a loopback
//! port whose market trends (`drift_bps`) and fills our quotes. The
//! simulator's own position is sampled while the session runs.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::sim_rest::sim_position;
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
