//! A failed market-data poll is not silent: core gets a tick without books
//! at that time (and decides what missing books mean), the journal records
//! it, the summary and /metrics count it.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::proxy::{self, Verdict};
use common::*;

#[test]
fn a_failed_tickers_poll_reaches_core_as_a_tick_without_books() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = start_sim(
        &rt,
        mm_sim::SimConfig {
            latency_ms: 1,
            fills: false,
            ..mm_sim::SimConfig::default()
        },
    );
    // Every third tickers poll answers 503.
    let proxy = proxy::start(
        &rt,
        &sim.base_url(),
        Arc::new(|s| {
            if s.path == "/v5/market/tickers" && s.n % 3 == 0 {
                Verdict::Replace(503, "upstream busy".to_string())
            } else {
                Verdict::Pass
            }
        }),
    );
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    let toml = Seed::polled().toml().replace(
        "kind = \"sim\"",
        &format!("kind = \"sim\"\nbase_url = \"{}\"", proxy.url),
    );
    write(&cfg, &toml);
    let (journal, summary) = (p(dir.path(), "j.mmj"), p(dir.path(), "s.json"));
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--ticks", "12", "--metrics-addr", "127.0.0.1:0"])
        .arg("--config")
        .arg(&cfg)
        .arg("--journal")
        .arg(&journal)
        .arg("--summary-json")
        .arg(&summary);
    let mut running = Running::spawn(cmd);
    let addr = running.wait_metrics_addr();
    let mut metric = 0.0f64;
    let (every, limit) = (Duration::from_millis(50), Duration::from_secs(120));
    running.scrape_until_exit(&addr, every, limit, |body| {
        for l in body.lines() {
            if let Some(v) = l.strip_prefix("mm_market_data_failures_total ") {
                metric = metric.max(v.trim().parse().unwrap());
            }
        }
    });
    let out = running.wait(Duration::from_secs(60));
    rt.block_on(sim.shutdown());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("core gets this tick without books"),
        "{}",
        out.stderr
    );
    let s = read_summary(&summary);
    let (polls, failed) = proxy.count("/v5/market/tickers");
    assert!(polls >= 3 && failed > 0, "{polls} polls, {failed} failed");
    assert!(
        s.market_data_failures > 0 && s.market_data_failures <= failed,
        "{} failures counted, {failed} polls failed",
        s.market_data_failures
    );
    assert!(metric >= 1.0, "mm_market_data_failures_total never above 0");

    // Each failure is journaled as a tick without books, at its own time.
    let j = mm_core::journal::decode(&std::fs::read(&journal).unwrap()).unwrap();
    let empty: Vec<u64> = j
        .inputs
        .iter()
        .filter_map(|i| match i {
            mm_core::Input::Tick { now_ms, books } if books.is_empty() => Some(now_ms.0),
            _ => None,
        })
        .collect();
    assert_eq!(empty.len() as u64, s.market_data_failures, "{empty:?}");
    assert!(empty.windows(2).all(|w| w[0] < w[1]), "{empty:?}");
}
