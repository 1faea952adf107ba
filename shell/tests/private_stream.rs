//! The private stream end to end: the `mm` binary against a simulator on a
//! loopback port whose market walks on a timer and fills our quotes. What
//! reached core is read back from the journal (core's own positions: the
//! journal replayed through a fresh engine) and held against the
//! simulator's positions, read over its REST `/v5/position/list`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::sim_rest::{sim_get, sim_position};
use common::*;
use mm_core::input::Stream;
use mm_core::{Decimal, Engine, Input};

const SYMBOLS: [&str; 4] = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"];

/// A market that walks every 20 ms, 8 bps a step, and fills what it crosses.
fn filling(faults: &str) -> mm_sim::SimConfig {
    mm_sim::SimConfig {
        latency_ms: 1,
        fills: true,
        walk_bps: 8,
        walk_interval_ms: 20,
        faults: faults.parse::<mm_sim::FaultSpec>().unwrap(),
        ..mm_sim::SimConfig::default()
    }
}

/// `filling`, trending down 1 bps a step on top of its walk (about 6% over
/// a 60-tick session): one side fills again and again, as in a real trend.
fn trending() -> mm_sim::SimConfig {
    mm_sim::SimConfig {
        drift_bps: -1,
        ..filling("")
    }
}

/// The seed scenario (books and fills from the streams) against `url`.
fn config(dir: &Path, url: &str) -> PathBuf {
    let cfg = p(dir, "mm.toml");
    let toml = Seed::default().toml().replace(
        "kind = \"sim\"",
        &format!("kind = \"sim\"\nbase_url = \"{url}\""),
    );
    write(&cfg, &toml);
    cfg
}

/// `mm run --ticks n` to its end: (stderr, summary, journal).
fn session(dir: &Path, url: &str, ticks: u64) -> (Output, RunSummary, mm_core::journal::Journal) {
    session_with(dir, url, ticks, |_| {})
}

/// `session`, calling `meanwhile` with the running `mm` (its stderr lines
/// readable as they come) before waiting for its end.
fn session_with(
    dir: &Path,
    url: &str,
    ticks: u64,
    meanwhile: impl FnOnce(&mut Running),
) -> (Output, RunSummary, mm_core::journal::Journal) {
    let cfg = config(dir, url);
    let (cmd, journal, summary) = run_ticks(dir, &cfg, ticks);
    let mut running = Running::spawn(cmd);
    meanwhile(&mut running);
    let out = running.wait(Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = mm_core::journal::decode(&std::fs::read(&journal).unwrap()).unwrap();
    (out, read_summary(&summary), j)
}

/// Core as the session left it: a fresh engine fed the journal's inputs
/// in order, each one's effects drained, as the live loop did.
fn replayed(j: &mm_core::journal::Journal) -> Engine {
    let h = &j.header;
    let mut engine = Engine::new(
        h.config.clone(),
        h.instruments.clone(),
        h.session_id.clone(),
    )
    .unwrap();
    for input in &j.inputs {
        engine.handle(input.clone());
        while engine.poll_effect().is_some() {}
    }
    engine
}

/// Core's position per symbol at the end of the session.
fn core_positions(j: &mm_core::journal::Journal) -> BTreeMap<String, Decimal> {
    replayed(j)
        .positions()
        .into_iter()
        .map(|p| (p.symbol, p.core.parse().unwrap()))
        .collect()
}

/// The simulator's executions of this session's orders, by symbol (every
/// page of `/v5/execution/list`).
fn sim_executions(addr: std::net::SocketAddr, sid: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut cursor = String::new();
    loop {
        let mut q = "category=linear&limit=100".to_string();
        if !cursor.is_empty() {
            q.push_str(&format!("&cursor={cursor}"));
        }
        let r = sim_get(addr, "/v5/execution/list", &q);
        for x in r["list"].as_array().unwrap() {
            if x["orderLinkId"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{sid}-"))
            {
                *out.entry(x["symbol"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
        }
        cursor = r["nextPageCursor"].as_str().unwrap_or("").to_string();
        if cursor.is_empty() {
            return out;
        }
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn same(a: Decimal, b: Decimal) -> bool {
    a.checked_sub(b).is_some_and(Decimal::is_zero)
}

/// The private stream's states as journaled, in order.
fn private_states(j: &mm_core::journal::Journal) -> Vec<bool> {
    j.inputs
        .iter()
        .filter_map(|i| match i {
            Input::StreamState {
                stream: Stream::Private,
                up,
                ..
            } => Some(*up),
            _ => None,
        })
        .collect()
}

/// Executions journaled (pushed or listed), by symbol: (unique execIds, all of them).
fn executions(j: &mm_core::journal::Journal) -> BTreeMap<String, (usize, usize)> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for i in &j.inputs {
        // Pushed, or listed by a resync after a reconnect (which lists
        // fills the stream brought already: repeats too).
        let executions = match i {
            Input::Executions { executions, .. } => executions,
            Input::Response {
                outcome:
                    mm_core::Outcome::Listing(mm_core::input::Listing {
                        rows: mm_core::input::ListingRows::Executions(executions),
                        ..
                    }),
                ..
            } => executions,
            _ => continue,
        };
        for x in executions {
            let e = out.entry(x.symbol.to_string()).or_default();
            e.1 += 1;
            if seen.insert(x.exec_id.clone()) {
                e.0 += 1;
            }
        }
    }
    out
}

#[test]
fn fills_reach_core_through_the_private_stream_and_its_positions_are_the_exchanges() {
    let rt = one_worker_runtime();
    let sim = start_sim(&rt, trending());
    let dir = tmp();
    let (_out, summary, j) = session(dir.path(), &sim.base_url(), 60);
    assert_eq!(
        summary.open_orders_exchange,
        Some(0),
        "nothing open at the end"
    );

    let states = private_states(&j);
    assert_eq!(
        states.first(),
        Some(&true),
        "the stream is up first: {states:?}"
    );
    let first_up = j
        .inputs
        .iter()
        .position(|i| matches!(i, Input::StreamState { up: true, .. }))
        .unwrap();
    let first_fill = j
        .inputs
        .iter()
        .position(|i| matches!(i, Input::Executions { .. }))
        .expect("fills happened");
    assert!(first_up < first_fill);
    let sid = j.header.session_id.as_str().to_string();
    for i in &j.inputs {
        if let Input::Executions { executions, .. } = i {
            for x in executions {
                assert!(
                    x.order_link_id.starts_with(&format!("{sid}-")) && x.exec_type == "Trade",
                    "{x:?}"
                );
            }
        }
    }
    assert!(
        j.inputs
            .iter()
            .any(|i| matches!(i, Input::Positions { .. })),
        "position pushes reach core"
    );

    let core = core_positions(&j);
    let sim_filled = sim.state().fills;
    assert!(sim_filled > 0, "the market filled some of our orders");
    // The market fell through our bids: the trend left us long somewhere.
    assert!(
        core.values().any(|d| d.is_positive()),
        "no long position after a falling market: {core:?}"
    );
    let at_exit = summary.position_exchange.as_ref().expect("asked at exit");
    for s in SYMBOLS {
        let exchange = sim_position(sim.addr(), s);
        let ours = core.get(s).copied().unwrap_or(Decimal::ZERO);
        assert!(
            same(ours, exchange),
            "{s}: core {ours}, simulator {exchange}"
        );
        // The summary says the same: core's, and the exchange's listing at exit.
        assert!(
            same(dec(&summary.position_core[s]), exchange),
            "{s}: {summary:?}"
        );
        assert!(same(dec(&at_exit[s]), exchange), "{s}: {at_exit:?}");
    }
    assert_eq!(&summary.fills, &replayed(&j).fill_totals().fills);
    assert_eq!(summary.resyncs, 1, "one connect, one resync");
    rt.block_on(sim.shutdown());
}

#[test]
fn a_dropped_private_stream_reconnects_and_a_duplicated_execution_counts_once() {
    let rt = one_worker_runtime();
    let sim = start_sim(&rt, filling("ws_dup=0.2"));
    let relay = cut::start(&rt, sim.addr());
    let dir = tmp();
    // Dropped mid-session once fills happen, then again right after it is
    // back (its resync in flight), then the session runs on.
    let (_out, summary, j) = session_with(dir.path(), &relay.url, 80, |mm| {
        mm.wait_line("private stream up", Duration::from_secs(60));
        std::thread::sleep(Duration::from_secs(2));
        relay.cut_private();
        mm.wait_count("private stream up", 2, Duration::from_secs(30));
        relay.cut_private();
    });
    assert_eq!(relay.cuts.load(std::sync::atomic::Ordering::Relaxed), 2);
    assert_eq!(
        summary.open_orders_exchange,
        Some(0),
        "nothing open at the end"
    );

    let states = private_states(&j);
    assert_eq!(
        states,
        [true, false, true, false, true],
        "lost twice, back each time"
    );
    assert!(
        states.windows(2).all(|w| w[0] != w[1]),
        "up and down alternate: {states:?}"
    );
    let reconnects = &summary.stream_reconnects;
    assert_eq!(
        reconnects["private"] as usize,
        states.iter().filter(|u| **u).count() - 1,
        "every connect after the first is a reconnect"
    );
    // Every connect resynced; what was pushed while down came back by it:
    // core's executions per symbol are the simulator's.
    let ups = states.iter().filter(|u| **u).count() as u64;
    assert_eq!(summary.resyncs, ups, "a resync per connect");
    let sid = j.header.session_id.as_str().to_string();
    let sim_execs = sim_executions(sim.addr(), &sid);
    let core_execs: BTreeMap<String, u64> = summary
        .fills
        .iter()
        .map(|(s, f)| (s.clone(), f.buy + f.sell))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(core_execs, sim_execs, "private stream states: {states:?}");
    for s in SYMBOLS {
        let exchange = sim_position(sim.addr(), s);
        assert!(
            same(dec(&summary.position_core[s]), exchange),
            "{s}: {summary:?}"
        );
    }
    let execs = executions(&j);
    assert!(
        execs.values().any(|(unique, all)| all > unique),
        "some execution came twice: {execs:?}"
    );
    // Core applied each execId once and counted every repeat.
    let totals = replayed(&j).fill_totals().clone();
    let (unique, all) = execs
        .values()
        .fold((0, 0), |(u, a), (u1, a1)| (u + u1, a + a1));
    let applied: u64 = totals.fills.values().map(|f| f.buy + f.sell).sum();
    assert_eq!(applied as usize, unique);
    assert_eq!(totals.executions_duplicate as usize, all - unique);
    rt.block_on(sim.shutdown());
}

/// The simulator's position of each symbol of ours over time: (execTime ms,
/// position after that execution), in the order the executions happened
/// (its `/v5/execution/list`, oldest first).
fn sim_trajectories(
    addr: std::net::SocketAddr,
    sid: &str,
) -> BTreeMap<String, Vec<(u64, Decimal)>> {
    let mut rows = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut q = "category=linear&limit=100".to_string();
        if !cursor.is_empty() {
            q.push_str(&format!("&cursor={cursor}"));
        }
        let r = sim_get(addr, "/v5/execution/list", &q);
        rows.extend(r["list"].as_array().unwrap().iter().cloned());
        cursor = r["nextPageCursor"].as_str().unwrap_or("").to_string();
        if cursor.is_empty() {
            break;
        }
    }
    rows.reverse(); // newest first on the wire
    let mut out: BTreeMap<String, Vec<(u64, Decimal)>> = BTreeMap::new();
    for x in rows {
        if !x["orderLinkId"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{sid}-"))
        {
            continue;
        }
        let q = dec(x["execQty"].as_str().unwrap());
        let q = if x["side"] == "Buy" {
            q
        } else {
            Decimal::ZERO.checked_sub(q).unwrap()
        };
        let path = out
            .entry(x["symbol"].as_str().unwrap().to_string())
            .or_default();
        let before = path.last().map_or(Decimal::ZERO, |(_, p)| *p);
        let t: u64 = x["execTime"].as_str().unwrap().parse().unwrap();
        path.push((t, before.checked_add(q).unwrap()));
    }
    out
}

/// The positions a status line shows (`| pos SYM=q ...`).
fn status_positions(line: &str) -> BTreeMap<String, Decimal> {
    let pos = line.rsplit("| pos ").next().unwrap();
    pos.split(' ')
        .filter_map(|kv| kv.split_once('='))
        .map(|(s, q)| (s.to_string(), dec(q)))
        .collect()
}

#[test]
fn every_status_line_shows_a_position_the_simulator_had_just_before() {
    const LINES: usize = 12;
    const WINDOW_MS: u64 = 1000;
    let rt = one_worker_runtime();
    let sim = start_sim(&rt, trending());
    let dir = tmp();
    let cfg = config(dir.path(), &sim.base_url());
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--metrics-addr", "off", "--ticks", "60"])
        .args(["--status-every-ms", "250"])
        .arg("--config")
        .arg(&cfg)
        .arg("--journal")
        .arg(p(dir.path(), "j.mmj"))
        .arg("--summary-json")
        .arg(p(dir.path(), "s.json"));
    let mut running = Running::spawn(cmd);
    // Each status line and the wall clock when it was read.
    let mut lines = Vec::new();
    for k in 1..=LINES {
        running.wait_count("| pos ", k, Duration::from_secs(60));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let line = running
            .seen
            .iter()
            .filter(|l| l.contains("| pos "))
            .nth(k - 1)
            .unwrap();
        lines.push((now, line.clone()));
    }
    let out = running.wait(Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary = read_summary(&p(dir.path(), "s.json"));
    let paths = sim_trajectories(sim.addr(), &summary.session_id);
    assert!(!paths.is_empty(), "fills happened");
    let mut judged = 0;
    for (read_at, line) in &lines {
        for (symbol, q) in status_positions(line) {
            let path = paths.get(&symbol).map(Vec::as_slice).unwrap_or(&[]);
            // What the simulator's position was at some moment of the window
            // before the line was read: the value entering it, or any it took in it.
            let from = read_at.saturating_sub(WINDOW_MS);
            let entering = path
                .iter()
                .take_while(|(t, _)| *t < from)
                .last()
                .map_or(Decimal::ZERO, |(_, p)| *p);
            let ok = same(entering, q)
                || path
                    .iter()
                    .any(|(t, p)| *t >= from && *t <= *read_at && same(*p, q));
            assert!(
                ok,
                "{symbol} {q} on a status line read at {read_at}: {line}\nsimulator: {path:?}"
            );
            judged += 1;
        }
    }
    assert!(judged >= LINES, "positions on the status lines: {lines:?}");
    for s in SYMBOLS {
        let exchange = sim_position(sim.addr(), s);
        assert!(
            same(dec(&summary.position_core[s]), exchange),
            "{s}: {summary:?}"
        );
    }
    rt.block_on(sim.shutdown());
}
