//! A fault mix at Bybit's default rate tier (with core's budget set above
//! it, so 10006 tails happen), with /metrics scraped over HTTP while the
//! session runs.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;

const METRICS: [&str; 13] = [
    "mm_tick_duration_ms_count",
    "mm_cmd_coalesced_total",
    "mm_exchange_req_ms_count",
    "mm_requests_total",
    "mm_commands_total",
    "mm_fallbacks_total",
    "mm_rejects_total",
    "mm_rate_limit_deferrals_total",
    "mm_stale_drops_total",
    "mm_conflated_ticks_total",
    "mm_live_orders",
    "mm_unknown_orders",
    "mm_rate_budget_headroom",
];

/// Largest value of each sample name in one exposition.
fn samples(body: &str, max: &mut BTreeMap<String, f64>) {
    for line in body.lines().filter(|l| l.starts_with("mm_")) {
        let name = line.split(['{', ' ']).next().unwrap_or("").to_string();
        let Some(v) = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) else {
            continue;
        };
        let e = max.entry(name).or_insert(0.0);
        if v > *e {
            *e = v;
        }
    }
}

#[test]
fn fault_mix_at_default_tier_loses_no_order_and_metrics_show_it() {
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    // The simulator runs Bybit's default tier (10 units a second per order
    // endpoint); core is told 40, so the exchange is the one that binds:
    // batch tails come back 10006 until core corrects its budget from the
    // X-Bapi-Limit headers.
    write(
        &cfg,
        &Seed {
            rate: 40,
            tick_interval_ms: 200,
            request_timeout_ms: 300,
            tick_deadline_ms: 500,
            ..Seed::default()
        }
        .toml(),
    );
    let summary = p(dir.path(), "summary.json");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args([
            "run",
            "--ticks",
            "30",
            "--sim-latency-ms",
            "2",
            "--sim-jitter-ms",
            "2",
        ])
        .args(["--sim-tier", "default", "--sim-seed", "7"])
        .args([
            "--sim-faults",
            "5xx=0.12,timeout_applied=0.04,timeout_lost=0.04,reject=0.05,malformed=0.04",
        ])
        .args(["--status-every-ms", "1000"])
        .arg("--config")
        .arg(&cfg)
        .arg("--summary-json")
        .arg(&summary);
    let mut running = Running::spawn(cmd);
    let addr = running.wait_metrics_addr();
    let mut max = BTreeMap::new();
    let mut scrapes = 0;
    let (every, limit) = (Duration::from_millis(100), Duration::from_secs(300));
    running.scrape_until_exit(&addr, every, limit, |body| {
        assert!(body.starts_with("HTTP/1."), "{body}");
        samples(&body, &mut max);
        scrapes += 1;
    });
    let out = running.wait(Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let s = read_summary(&summary);
    eprintln!("{s:#?}");

    // Faults really happened.
    let faults = s.exchange_faults_injected.clone().unwrap_or_default();
    for kind in [
        "5xx",
        "timeout_applied",
        "timeout_lost",
        "reject",
        "malformed",
    ] {
        assert!(
            faults.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} fault injected: {faults:?}"
        );
    }
    // No order lost: nothing open anywhere at exit.
    assert!(s.stopped);
    assert_eq!(s.open_orders_exchange, Some(0));
    assert_eq!(s.open_orders_core, 0);
    // Rate limits: the exchange did reject batch tails, and the only 10006s
    // are those tails, every one re-queued by core.
    let rejections = s.rate_limit_rejections.unwrap();
    assert!(s.requeued > 0, "no 10006 tail re-queued: {s:?}");
    assert!(
        rejections > 0 && rejections <= s.requeued,
        "{rejections} rate-limit rejections, {} re-queued",
        s.requeued
    );

    // The journal written live under faults replays to the same log bytes.
    let journal = dir.path().join(&s.journal);
    let replayed = p(dir.path(), "replayed.log");
    let mut c = mm();
    c.arg("replay").arg(&journal).arg("--log").arg(&replayed);
    let r = run(c, Duration::from_secs(60));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        std::fs::read(&replayed).unwrap() == std::fs::read(dir.path().join(&s.log)).unwrap(),
        "replay of the fault run differs from its live log"
    );

    // Metrics: every one exposed, with a non-zero value at some scrape.
    assert!(scrapes > 0);
    for m in METRICS {
        assert!(
            max.get(m).is_some_and(|v| *v > 0.0),
            "{m} never non-zero in {scrapes} scrapes: {max:?}"
        );
    }
}
