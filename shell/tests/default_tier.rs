//! Bybit's default tier end to end (issue 14): `mm run` with
//! `reprice = "planned"` against the simulator on a loopback port at the
//! default rate limits (10 orders a second per batch endpoint), the seed
//! scenario's four symbols x 5 levels, a market walking 3 bps every second
//! in time, mm configured as the README advises for this tier (50 ms ticks,
//! 100 ms deadline), with a 5 bps bound. The simulator's own book is
//! sampled every ~40 ms while the session runs: no order of ours rests
//! beyond `max_deviation_bps` from every target of its side, except in the
//! moment after a market step before mm has seen it (then within one step
//! more); no request is rate limited; and the simulator's quote quality
//! (`/sim/state`) holds the inner level.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use mm_core::Decimal;

const SYMBOLS: [&str; 4] = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"];
const MAX_DEV_BPS: u32 = 5;
const TICK_MS: u64 = 50;
/// How long after a market step an order may still rest where the step
/// left it: the next tick (50 ms), its deadline (100 ms), the cancel's
/// round trip and the scheduling of two processes on a shared machine.
const REACTION_MS: u64 = 400;
const WALK_BPS: u32 = 3;

fn ladder() -> mm_sim::QuoteLadder {
    mm_sim::QuoteLadder {
        symbols: SYMBOLS.map(String::from).to_vec(),
        ..mm_sim::QuoteLadder::default()
    }
}

fn sim_config() -> mm_sim::SimConfig {
    let mut limits = mm_sim::Limits::for_tier(mm_sim::Tier::Default);
    limits.ip_max_requests = 0;
    mm_sim::SimConfig {
        seed: 7,
        latency_ms: 2,
        tier: mm_sim::Tier::Default,
        limits: Some(limits),
        fills: false,
        walk_bps: WALK_BPS,
        walk_on_poll: false,
        walk_interval_ms: 1000,
        quality: Some(ladder()),
        ..mm_sim::SimConfig::default()
    }
}

/// The seed scenario at Bybit's default tier, planned, against `url`.
fn config(dir: &Path, url: &str) -> PathBuf {
    let cfg = p(dir, "mm.toml");
    write(
        &cfg,
        &format!(
            r#"[exchange]
kind = "sim"
base_url = "{url}"
streams = false

[quoting]
symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
levels = 5
order_qty = {{ BTCUSDT = "0.001", ETHUSDT = "0.01", SOLUSDT = "0.1", XRPUSDT = "10" }}
tick_interval_ms = {TICK_MS}
reprice = "planned"
max_deviation_bps = {MAX_DEV_BPS}

[async_batch]
tick_deadline_ms = 100

[rate_limits]
create = 10
amend = 10
cancel = 10
create_batch = 10
amend_batch = 10
cancel_batch = 10
cancel_all = 10
open_orders = 50
"#
        ),
    );
    cfg
}

/// The simulator's clock: wall milliseconds (its walk times are in them).
fn wall_ms() -> u64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    u64::try_from(d.as_millis()).unwrap()
}

/// A price string in ticks of `tick`.
fn ticks(price: &str, tick: Decimal) -> u64 {
    let p: Decimal = price.parse().unwrap();
    u64::try_from(p.div_exact(tick).unwrap()).unwrap()
}

/// Our orders further than `bps` from every target of their side in this
/// snapshot of the simulator, described.
fn beyond(
    state: &mm_sim::SimState,
    sid: &str,
    tick_size: &BTreeMap<String, Decimal>,
    bps: u32,
) -> Vec<String> {
    let l = ladder();
    let mut out = Vec::new();
    for o in &state.open_orders {
        if !o.order_link_id.starts_with(sid) {
            continue;
        }
        let (Some(px), Some(tick)) = (state.prices.get(&o.symbol), tick_size.get(&o.symbol)) else {
            continue;
        };
        let (bids, asks) = mm_sim::ladder_targets(ticks(&px.bid, *tick), ticks(&px.ask, *tick), &l);
        let targets = if o.side == mm_bybit::Side::Buy {
            bids
        } else {
            asks
        };
        let price = ticks(&o.price, *tick);
        if !targets
            .iter()
            .flatten()
            .any(|t| mm_sim::within(price, *t, bps))
        {
            out.push(format!(
                "{} {:?} {} at {} (book {}/{}, targets {targets:?})",
                o.symbol, o.side, o.order_link_id, o.price, px.bid, px.ask
            ));
        }
    }
    out
}

#[test]
fn planned_at_the_default_tier_holds_the_bound_and_the_inner_level() {
    let rt = one_worker_runtime();
    let cfg_sim = sim_config();
    let tick_size: BTreeMap<String, Decimal> = cfg_sim
        .instruments
        .iter()
        .map(|i| (i.symbol.clone(), i.tick_size.parse().unwrap()))
        .collect();
    let sim = start_sim(&rt, cfg_sim);
    let dir = tmp();
    let cfg = config(dir.path(), &sim.base_url());
    // 12 s of market: 12 walk steps.
    let (cmd, _journal, summary) = run_ticks(dir.path(), &cfg, 12_000 / TICK_MS);
    let mut running = Running::spawn(cmd);
    let mut samples = 0u64;
    let mut violations: Vec<String> = Vec::new();
    let mut after_step = 0u64;
    let end = Instant::now() + Duration::from_secs(60);
    let mut sid = String::new();
    while Instant::now() < end {
        let before = wall_ms();
        let state = sim.state();
        if sid.is_empty() {
            // Our session's orders: the first order's prefix (the only client).
            if let Some(o) = state.open_orders.first() {
                sid = o.order_link_id.rsplit_once('-').unwrap().0.to_string() + "-";
            }
        } else {
            samples += 1;
            // A step mm may not have answered yet: one step more allowed.
            let stepped = (sim.walk_times().iter()).any(|w| *w + REACTION_MS > before);
            let bound = if stepped {
                MAX_DEV_BPS + WALK_BPS
            } else {
                MAX_DEV_BPS
            };
            let off = beyond(&state, &sid, &tick_size, bound);
            after_step +=
                u64::from(stepped && !beyond(&state, &sid, &tick_size, MAX_DEV_BPS).is_empty());
            for v in off {
                violations.push(format!("sample {samples} (bound {bound} bps): {v}"));
            }
        }
        if running.child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    let quality = sim.quality().unwrap();
    let out = running.wait(Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = read_summary(&summary);
    eprintln!(
        "default tier planned: {samples} samples ({after_step} past {MAX_DEV_BPS} bps just after a step), inner coverage {:.3}, coverage {:.3}, mean deviation {:?} bps, {} violations",
        quality.inner_coverage,
        quality.coverage,
        quality.mean_deviation_bps,
        violations.len()
    );
    assert!(samples > 200, "sampled {samples} times");
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(sim.state().rate_limit_rejections, 0, "no 10006");
    assert_eq!(s.open_orders_exchange, Some(0));
    // Measured here (debug build, a 2-core machine shared with builds):
    // 0.83-0.84 inner coverage; `mm bench --tier default` (release) 0.93.
    // 0.75 leaves room for a loaded machine and still fails if the inner
    // level lost its priority (cancel+place measured 0.72 in the bench).
    assert!(
        quality.inner_coverage >= 0.75,
        "inner coverage {}",
        quality.inner_coverage
    );
    rt.block_on(sim.shutdown());
}
