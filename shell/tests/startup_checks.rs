//! What `mm run` checks before it sends any order: the files it will write
//! (an explicit path's directory must exist; the summary must be writable),
//! and a SIGTERM during start-up stops it before the first ladder. Judged
//! from the simulator's side: it never saw an order request.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

fn runtime() -> tokio::runtime::Runtime {
    common::one_worker_runtime()
}

fn sim(rt: &tokio::runtime::Runtime, latency_ms: u64) -> mm_sim::SimHandle {
    start_sim(
        rt,
        mm_sim::SimConfig {
            latency_ms,
            fills: false,
            ..mm_sim::SimConfig::default()
        },
    )
}

/// `mm run --ticks 3` against the simulator at `url`, with `extra` arguments.
fn run_cmd(dir: &Path, url: &str, extra: &[&Path; 2]) -> std::process::Command {
    let cfg = p(dir, "mm.toml");
    let toml = Seed::default().toml().replace(
        "kind = \"sim\"",
        &format!("kind = \"sim\"\nbase_url = \"{url}\""),
    );
    write(&cfg, &toml);
    let mut cmd = mm();
    cmd.current_dir(dir)
        .args(["run", "--ticks", "3", "--config"])
        .arg(&cfg)
        .arg(extra[0])
        .arg(extra[1]);
    cmd
}

fn order_requests_seen(sim: &mm_sim::SimHandle) -> u64 {
    let s = sim.state();
    ORDER_PATHS
        .iter()
        .filter_map(|p| s.requests_by_path.get(*p))
        .sum()
}

#[test]
fn explicit_paths_in_a_missing_directory_are_refused_before_any_order() {
    let rt = runtime();
    let sim = sim(&rt, 1);
    let dir = tmp();
    let missing = p(dir.path(), "missing");
    for flag in ["--journal", "--log", "--summary-json"] {
        let path = missing.join("file");
        let cmd = run_cmd(dir.path(), &sim.base_url(), &[Path::new(flag), &path]);
        let out = run(cmd, Duration::from_secs(60));
        assert_eq!(out.code, 2, "{flag}: {}", out.stderr);
        assert!(
            out.stderr.contains(flag) && out.stderr.contains("does not exist"),
            "{flag}: {}",
            out.stderr
        );
        assert!(!missing.exists(), "{flag}: the directory was created");
    }
    assert_eq!(order_requests_seen(&sim), 0);
}

#[test]
fn a_summary_path_that_cannot_be_written_is_refused_before_any_order() {
    let rt = runtime();
    let sim = sim(&rt, 1);
    let dir = tmp();
    // A directory where the summary file should be: writing it can only fail.
    let summary = p(dir.path(), "s.json");
    std::fs::create_dir(&summary).unwrap();
    let cmd = run_cmd(
        dir.path(),
        &sim.base_url(),
        &[Path::new("--summary-json"), &summary],
    );
    let out = run(cmd, Duration::from_secs(60));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("--summary-json") && out.stderr.contains("s.json"),
        "{}",
        out.stderr
    );
    assert_eq!(order_requests_seen(&sim), 0);
    assert!(sim.state().open_orders.is_empty());
}

#[test]
fn sigterm_during_startup_stops_before_the_first_ladder() {
    let rt = runtime();
    // Every request takes a second: start-up (server time, instruments) is slow.
    let sim = sim(&rt, 1000);
    let dir = tmp();
    let summary = p(dir.path(), "s.json");
    let cmd = run_cmd(
        dir.path(),
        &sim.base_url(),
        &[Path::new("--summary-json"), &summary],
    );
    let running = Running::spawn(cmd);
    // Start-up has begun once its first request reached the simulator.
    let end = Instant::now() + Duration::from_secs(30);
    while sim.state().requests_by_path.values().sum::<u64>() == 0 {
        assert!(
            Instant::now() < end,
            "mm never asked the simulator anything"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    signal(running.child.id(), "-TERM");
    let out = running.wait(Duration::from_secs(30));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("SIGTERM during start-up"),
        "{}",
        out.stderr
    );
    // Anything still in flight has landed by now.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(order_requests_seen(&sim), 0, "{:?}", sim.state());
    assert!(sim.state().open_orders.is_empty());
}
