//! `exchange.streams`: the ticks' books from the public order book stream,
//! end to end (the `mm` binary against a simulator on a loopback port whose
//! market walks on a timer). What a tick carried is read back from the
//! journal and held against the simulator's own market: its walk is seeded
//! per symbol, so a replica of the simulator, stepped by ticker polls,
//! passes through exactly the states the session's simulator did. A book
//! that was not one of those states (a gapped book, a mix of two states)
//! fails the test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use common::*;

const TICKERS: &str = "/v5/market/tickers";
const SYMBOLS: [&str; 4] = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"];
/// Replica steps per symbol: far more than a session's walk takes.
const REPLICA_STEPS: usize = 1500;

/// The simulator's market walks every 30 ms, nobody needs to poll.
fn walking(faults: &str) -> mm_sim::SimConfig {
    mm_sim::SimConfig {
        latency_ms: 1,
        fills: false,
        walk_interval_ms: 30,
        faults: faults.parse::<mm_sim::FaultSpec>().unwrap(),
        ..mm_sim::SimConfig::default()
    }
}

/// The seed scenario (`seed`) against the simulator at `url`.
fn config(dir: &Path, url: &str, seed: &Seed) -> std::path::PathBuf {
    let cfg = p(dir, "mm.toml");
    let toml = seed.toml().replace(
        "kind = \"sim\"",
        &format!("kind = \"sim\"\nbase_url = \"{url}\""),
    );
    write(&cfg, &toml);
    cfg
}

/// `mm run --ticks n` on `cfg` to its end: (exit code, stderr, summary, ticks' books).
fn session(dir: &Path, cfg: &Path, ticks: u64) -> (Output, RunSummary, Vec<Vec<mm_core::BookTop>>) {
    let (cmd, journal, summary) = run_ticks(dir, cfg, ticks);
    let out = run(cmd, Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = mm_core::journal::decode(&std::fs::read(&journal).unwrap()).unwrap();
    let books = j
        .inputs
        .into_iter()
        .filter_map(|i| match i {
            mm_core::Input::Tick { books, .. } => Some(books),
            _ => None,
        })
        .collect();
    (out, read_summary(&summary), books)
}

/// Every (bid, ask) each symbol's market passes through in its first
/// `REPLICA_STEPS` walk steps, read from a replica of `cfg` without a timed walk.
fn market_states(
    rt: &tokio::runtime::Runtime,
    cfg: &mm_sim::SimConfig,
) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let replica = start_sim(
        rt,
        mm_sim::SimConfig {
            walk_interval_ms: 0,
            latency_ms: 0,
            tier: mm_sim::Tier::Unlimited,
            faults: mm_sim::FaultSpec::default(),
            ..cfg.clone()
        },
    );
    let start = replica.state().prices;
    let base = replica.base_url();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let mut out = BTreeMap::new();
        for s in SYMBOLS {
            let mut seen = BTreeSet::from([(start[s].bid.clone(), start[s].ask.clone())]);
            let url = format!("{base}{TICKERS}?category=linear&symbol={s}");
            for _ in 0..REPLICA_STEPS {
                let text = http.get(&url).send().await.unwrap().text().await.unwrap();
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let t = &v["result"]["list"][0];
                let pair = (
                    t["bid1Price"].as_str().unwrap(),
                    t["ask1Price"].as_str().unwrap(),
                );
                seen.insert((pair.0.to_string(), pair.1.to_string()));
            }
            out.insert(s.to_string(), seen);
        }
        out
    })
}

/// Every book every tick carried is a state the simulator's market was in.
fn assert_true_states(
    ticks: &[Vec<mm_core::BookTop>],
    states: &BTreeMap<String, BTreeSet<(String, String)>>,
) {
    for (n, books) in ticks.iter().enumerate() {
        for b in books {
            assert!(
                states[b.symbol.as_str()].contains(&(b.bid.to_string(), b.ask.to_string())),
                "tick {n}: {} {} / {} was never the simulator's book",
                b.symbol,
                b.bid,
                b.ask
            );
        }
    }
}

fn distinct(ticks: &[Vec<mm_core::BookTop>], symbol: &str) -> usize {
    ticks
        .iter()
        .flatten()
        .filter(|b| b.symbol == symbol)
        .map(|b| (b.bid.clone(), b.ask.clone()))
        .collect::<BTreeSet<_>>()
        .len()
}

#[test]
fn a_session_with_streams_quotes_from_stream_books_without_polling() {
    let rt = one_worker_runtime();
    let sim_cfg = walking("");
    let sim = start_sim(&rt, sim_cfg.clone());
    let dir = tmp();
    let cfg = config(dir.path(), &sim.base_url(), &Seed::default());
    let (out, summary, ticks) = session(dir.path(), &cfg, 25);
    let st = sim.state();

    // No tickers poll at all, yet it quoted: every book came from the stream.
    assert_eq!(
        st.requests_by_path.get(TICKERS),
        None,
        "{:?}",
        st.requests_by_path
    );
    let orders: u64 = ORDER_PATHS
        .iter()
        .filter_map(|p| st.requests_by_path.get(*p))
        .sum();
    assert!(
        orders >= 25,
        "{orders} order requests: {:?}",
        st.requests_by_path
    );
    assert_eq!(
        st.stream_connections, 2,
        "one public and one private stream, never reconnected"
    );
    assert_eq!(
        summary.stream_reconnects,
        BTreeMap::from([("private".to_string(), 0), ("public".to_string(), 0)])
    );
    assert!(
        out.stderr
            .contains("books from the public order book stream"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("fallback starts"), "{}", out.stderr);

    // Every tick had every symbol's book, the books moved with the market,
    // and each was a state the simulator's market was in.
    assert!(ticks.len() >= 25, "{} ticks", ticks.len());
    for (n, books) in ticks.iter().enumerate() {
        let syms: Vec<&str> = books.iter().map(|b| b.symbol.as_str()).collect();
        assert_eq!(syms, SYMBOLS, "tick {n}");
    }
    for s in SYMBOLS {
        assert!(distinct(&ticks, s) >= 5, "{s}: the books never moved");
    }
    assert_true_states(&ticks, &market_states(&rt, &sim_cfg));
}

#[test]
fn a_dropped_book_stream_falls_back_to_rest_and_comes_back() {
    let rt = one_worker_runtime();
    let sim_cfg = walking("ws_drop=0.004");
    let sim = start_sim(&rt, sim_cfg.clone());
    let dir = tmp();
    let cfg = config(dir.path(), &sim.base_url(), &Seed::default());
    let (out, summary, ticks) = session(dir.path(), &cfg, 60);
    let st = sim.state();
    let drops = st.faults_injected.get("ws_drop").copied().unwrap_or(0);
    assert!(drops >= 1, "no drop injected: {:?}", st.faults_injected);

    // Reconnected after each drop, and said so.
    let reconnects = summary.stream_reconnects["public"];
    assert!(reconnects >= 1, "{:?}", summary.stream_reconnects);
    assert!(st.stream_connections > 1, "{}", st.stream_connections);
    // Fell back to REST while down (the simulator was polled), and came
    // back to stream books (polled on fewer ticks than there were).
    let polls = st.requests_by_path.get(TICKERS).copied().unwrap_or(0);
    assert!(
        polls >= 1 && polls < ticks.len() as u64,
        "{polls} polls, {} ticks",
        ticks.len()
    );
    let lines: Vec<&str> = out.stderr.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains("book stream fallback starts"));
    let start = start.unwrap_or_else(|| panic!("no fallback line:\n{}", out.stderr));
    assert!(
        lines[start].contains("polled over REST") && lines[start].contains("WARN"),
        "{}",
        lines[start]
    );
    assert!(
        lines[start..]
            .iter()
            .any(|l| l.contains("book stream fallback ends")),
        "never back on stream books:\n{}",
        out.stderr
    );

    // Quotes went on: no tick without books, a tick short of a symbol only
    // where a drop fell between the tick's poll and its stream books, and
    // every book a true state of the market.
    assert_eq!(summary.market_data_failures, 0);
    assert!(ticks.iter().all(|b| !b.is_empty()));
    let short = ticks.iter().filter(|b| b.len() < SYMBOLS.len()).count() as u64;
    assert!(
        short <= drops,
        "{short} ticks short of a book, {drops} drops"
    );
    assert_true_states(&ticks, &market_states(&rt, &sim_cfg));
}

#[test]
fn a_skipped_delta_brings_a_fresh_snapshot_and_no_gapped_book_reaches_a_tick() {
    let rt = one_worker_runtime();
    let sim_cfg = walking("ws_skip=0.03");
    let sim = start_sim(&rt, sim_cfg.clone());
    let dir = tmp();
    let cfg = config(dir.path(), &sim.base_url(), &Seed::default());
    let (out, summary, ticks) = session(dir.path(), &cfg, 40);
    let st = sim.state();
    let skips = st.faults_injected.get("ws_skip").copied().unwrap_or(0);
    assert!(skips >= 2, "{:?}", st.faults_injected);
    // Each gap resubscribed on the same connection: a fresh snapshot, no reconnect.
    let resubscribed = out.stderr.matches("; resubscribing").count() as u64;
    assert!(
        resubscribed >= 1 && resubscribed <= skips,
        "{resubscribed} resubscriptions, {skips} skips"
    );
    assert_eq!(st.stream_connections, 2, "public and private, each once");
    assert_eq!(summary.stream_reconnects["public"], 0);
    assert_true_states(&ticks, &market_states(&rt, &sim_cfg));
}

#[test]
fn streams_off_polls_every_tick_and_never_opens_a_websocket() {
    let rt = one_worker_runtime();
    let sim = start_sim(&rt, walking(""));
    let dir = tmp();
    let cfg = config(dir.path(), &sim.base_url(), &Seed::polled());
    let (out, summary, ticks) = session(dir.path(), &cfg, 8);
    let st = sim.state();
    assert_eq!(st.stream_connections, 0);
    assert!(
        st.requests_by_path.get(TICKERS).copied().unwrap_or(0) >= ticks.len() as u64,
        "{:?}",
        st.requests_by_path
    );
    assert!(
        summary.stream_reconnects.is_empty(),
        "{:?}",
        summary.stream_reconnects
    );
    assert!(!out.stderr.contains("book stream"), "{}", out.stderr);
}

#[test]
fn paper_mode_takes_its_books_from_the_embedded_simulators_stream() {
    let dir = tmp();
    let summary = p(dir.path(), "s.json");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args([
            "run",
            "--ticks",
            "8",
            "--metrics-addr",
            "off",
            "--summary-json",
        ])
        .arg(&summary);
    let out = run(cmd, Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = read_summary(&summary);
    assert_eq!(
        sim_count(&s, TICKERS),
        0,
        "{:?}",
        s.exchange_requests_by_path
    );
    assert!(order_requests(&s) > 0);
    assert_eq!(
        s.stream_reconnects,
        BTreeMap::from([("private".to_string(), 0), ("public".to_string(), 0)])
    );
}
