//! `exchange.order_transport = "ws"` end to end: the `mm` binary against the
//! simulator on 127.0.0.1 with every order request over `/v5/trade`.
//!
//! - The seed scenario batches as over REST (4 order requests a tick for
//!   cancel+place, 2 for amend, by the simulator's own count, which files
//!   trade-stream requests under their op names), none over REST's order
//!   endpoints, and shuts down with nothing open at the simulator.
//! - Through a fault mix on the trade stream (connection dropped with
//!   requests in flight, replies lost, 10019), sampled from the simulator's
//!   side while it runs: never more than `levels` of our orders on a side,
//!   nothing open at exit.
//! - The journal of a ws session with those faults replays with `mm replay`
//!   to exactly the live log.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::book::{ours, ours_by_side, sample_until_exit};
use common::*;

const TICKS: u64 = 40;
const LEVELS: usize = 5;
/// The exact-count tests' tick interval. With polled books the simulator
/// walks each price one step per ticker poll; a tick that overlaps the next
/// poll is conflated and two steps can cancel out, so the count can no longer
/// be judged. This file's five sessions run in parallel on two cores with a
/// debug build: a tick there took over 100 ms (CI), so leave room.
const EXACT_TICK_MS: u64 = 250;

fn ws(toml: &str) -> String {
    assert!(toml.contains("kind = \"sim\"\n"));
    toml.replacen(
        "kind = \"sim\"\n",
        "kind = \"sim\"\norder_transport = \"ws\"\n",
        1,
    )
}

fn trade_requests(s: &RunSummary) -> u64 {
    mm_shell::bench::TRADE_OPS
        .iter()
        .map(|op| sim_count(s, op))
        .sum()
}

/// Runs the seed scenario over ws for `TICKS` ticks: its summary.
fn seed_over_ws(seed: &Seed) -> RunSummary {
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    write(&cfg, &ws(&seed.toml()));
    let summary = p(dir.path(), "summary.json");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--ticks", &TICKS.to_string()])
        .args(["--sim-latency-ms", "1", "--sim-tier", "unlimited"])
        .args(["--sim-fills", "off", "--config"])
        .arg(&cfg)
        .arg("--summary-json")
        .arg(&summary);
    let out = run(cmd, Duration::from_secs(180));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("order requests go over the trade stream"),
        "{}",
        out.stderr
    );
    let s = read_summary(&summary);
    assert_eq!(s.ticks, TICKS);
    assert!(s.stopped);
    assert_eq!((s.open_orders_core, s.open_orders_exchange), (0, Some(0)));
    assert_eq!(
        order_requests(&s),
        0,
        "no order request over REST: {:?}",
        s.exchange_requests_by_path
    );
    s
}

/// Order requests a tick, as `seed_scenario::exact` judges them over REST.
fn exactly(seed: Seed, first_tick: u64, steady: u64) {
    let s = seed_over_ws(&seed);
    assert_eq!(
        s.conflated_ticks, 0,
        "ticks overlapped: the exact count cannot be judged (p95 {} ms)",
        s.tick_ms.p95
    );
    // Shutdown cancels our 40 orders by id: one cancel-batch per symbol.
    let got = trade_requests(&s) - 4;
    let base = first_tick + (s.ticks - 1) * steady;
    if s.ticks_started == s.ticks {
        assert_eq!(got, base, "simulator saw {:?}", s.exchange_requests_by_path);
    } else {
        assert!(
            (base..=base + steady).contains(&got),
            "{got} not in {base}..={}: {:?}",
            base + steady,
            s.exchange_requests_by_path
        );
    }
    assert_eq!(s.fallbacks + s.rejects + s.stale_drops, 0, "{s:?}");
}

#[test]
fn cancel_place_over_ws_is_4_requests_a_tick() {
    let seed = Seed {
        tick_interval_ms: EXACT_TICK_MS,
        ..Seed::polled()
    };
    exactly(seed, 2, 4);
}

#[test]
fn amend_over_ws_is_2_requests_a_tick() {
    let seed = Seed {
        reprice: "amend",
        tick_interval_ms: EXACT_TICK_MS,
        ..Seed::polled()
    };
    exactly(seed, 2, 2);
}

/// A standalone simulator (paper mode's market) with `faults` on the trade
/// stream, and `mm run` against it over ws: the config file's text.
fn faulted_sim(rt: &tokio::runtime::Runtime, seed: u64, faults: &str) -> mm_sim::SimHandle {
    start_sim(
        rt,
        mm_shell::paper::sim_config(
            &mm_shell::SimOptions {
                seed,
                latency_ms: 3,
                jitter_ms: 2,
                faults: faults.parse().unwrap(),
                ..mm_shell::SimOptions::default()
            },
            400,
        ),
    )
}

fn faulted_config(sim: &mm_sim::SimHandle) -> String {
    let toml = Seed {
        request_timeout_ms: 400,
        tick_deadline_ms: 1500,
        ..Seed::polled()
    }
    .toml()
    .replace(
        "kind = \"sim\"\n",
        &format!("kind = \"sim\"\nbase_url = \"{}\"\n", sim.base_url()),
    );
    assert!(toml.contains(&format!("levels = {LEVELS}")));
    ws(&toml)
}

const FAULTS: &str = "ws_trade_drop=0.04,ws_trade_lost=0.04,ws_trade_restart=0.03";

#[test]
fn a_trade_stream_fault_mix_never_double_quotes_and_leaves_nothing_open() {
    const SESSION: &str = "wsfault1";
    let rt = common::one_worker_runtime();
    let sim = faulted_sim(&rt, 41, FAULTS);
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    write(&cfg, &faulted_config(&sim));
    let summary = p(dir.path(), "s.json");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--ticks", "60", "--session-id", SESSION, "--config"])
        .arg(&cfg)
        .arg("--summary-json")
        .arg(&summary);
    let mut running = Running::spawn(cmd);
    let (mut worst, mut most, mut busiest) = (Vec::new(), 0, 0);
    let samples = sample_until_exit(
        &mut running,
        &sim,
        Duration::from_millis(50),
        Duration::from_secs(150),
        |state| {
            busiest = busiest.max(ours(state, SESSION));
            for ((symbol, side), n) in ours_by_side(state, SESSION) {
                most = most.max(n);
                if n > LEVELS && worst.len() < 20 {
                    worst.push(format!("{symbol} {side}: {n} orders resting"));
                }
            }
        },
    );
    let out = running.wait(Duration::from_secs(60));
    let state = sim.state();
    assert!(samples >= 20, "only {samples} samples: {}", out.stderr);
    assert!(busiest > 0, "never saw an order of ours resting");
    assert!(
        worst.is_empty(),
        "more than {LEVELS} of ours on a side (most {most}) in {samples} samples:\n{}",
        worst.join("\n")
    );
    for fault in ["ws_trade_drop", "ws_trade_lost", "ws_trade_restart"] {
        assert!(
            state.faults_injected.get(fault).copied().unwrap_or(0) > 0,
            "{fault} never injected: {:?}",
            state.faults_injected
        );
    }
    assert_eq!(
        ours(&state, SESSION),
        0,
        "left open: {:?}",
        state.open_orders
    );
    let s = read_summary(&summary);
    assert_eq!(order_requests(&s), 0, "{:?}", s.exchange_requests_by_path);
    assert!(trade_requests(&s) > 60, "{:?}", s.exchange_requests_by_path);
    assert_eq!((s.ticks, out.code), (60, 0), "{}", out.stderr);
    assert_eq!((s.open_orders_core, s.open_orders_exchange), (0, Some(0)));
}

#[test]
fn a_ws_session_with_trade_faults_replays_to_its_live_log() {
    let rt = common::one_worker_runtime();
    let sim = faulted_sim(&rt, 42, FAULTS);
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    write(&cfg, &faulted_config(&sim));
    let (journal, log) = (p(dir.path(), "j.mmj"), p(dir.path(), "core.log"));
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--ticks", "30", "--config"])
        .arg(&cfg)
        .arg("--journal")
        .arg(&journal)
        .arg("--log")
        .arg(&log);
    let out = run(cmd, Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let faults: u64 = sim.state().faults_injected.values().sum();
    assert!(faults > 0, "no trade fault in the recorded session");
    let live = std::fs::read(&log).unwrap();
    // Ambiguous outcomes of the trade stream are in what is replayed.
    let text = String::from_utf8_lossy(&live);
    assert!(
        text.contains("unknown") || text.contains("Unknown"),
        "{text}"
    );
    let replayed = p(dir.path(), "replayed.log");
    let mut c = mm();
    c.arg("replay").arg(&journal).arg("--log").arg(&replayed);
    let out = run(c, Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        std::fs::read(&replayed).unwrap() == live,
        "the replay differs from the live log"
    );
}

#[test]
fn a_trade_stream_that_refuses_the_key_is_fatal_before_any_order() {
    let rt = common::one_worker_runtime();
    let mut cfg = mm_shell::paper::sim_config(&mm_shell::SimOptions::default(), 400);
    // REST's public calls work; the trade stream's auth knows another key.
    cfg.accounts = vec![("other-key".to_string(), "other-secret".to_string())];
    let sim = start_sim(&rt, cfg);
    let dir = tmp();
    let path = p(dir.path(), "mm.toml");
    write(&path, &faulted_config(&sim));
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--ticks", "3", "--config"])
        .arg(&path);
    let out = run(cmd, Duration::from_secs(60));
    // Exit 3, as a key REST refuses: only new credentials help.
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("exchange.order_transport = \"ws\"")
            && out.stderr.contains("refused the API key")
            && out.stderr.contains("10003"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("paper-secret"), "{}", out.stderr);
    let state = sim.state();
    let orders: u64 = (mm_shell::bench::TRADE_OPS.iter().chain(&ORDER_PATHS))
        .filter_map(|op| state.requests_by_path.get(*op))
        .sum();
    assert_eq!(orders, 0, "{:?}", state.requests_by_path);
}
