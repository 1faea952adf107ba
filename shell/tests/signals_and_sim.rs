//! SIGINT/SIGTERM: shutdown cancels everything and exits 0; a second signal
//! exits at once listing what may be open. `mm sim` standalone, with `mm run`
//! against it (`exchange.kind = "sim"` with a base_url).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;

#[test]
fn sigterm_shuts_down_cleanly_with_nothing_open() {
    let dir = tmp();
    let summary = p(dir.path(), "s.json");
    let log = p(dir.path(), "core.log");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args([
            "run",
            "--sim-latency-ms",
            "2",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .arg("--log")
        .arg(&log)
        .arg("--summary-json")
        .arg(&summary);
    let running = Running::spawn(cmd);
    wait_file_contains(&log, "tick 5 done", Duration::from_secs(60));
    signal(running.child.id(), "-TERM");
    let out = running.wait(Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("SIGTERM: shutting down"),
        "{}",
        out.stderr
    );
    let s = read_summary(&summary);
    assert!(s.stopped && s.ticks >= 5);
    assert_eq!((s.open_orders_core, s.open_orders_exchange), (0, Some(0)));
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("shutdown complete")
    );
}

#[test]
fn second_sigint_exits_at_once_listing_what_may_be_open() {
    let dir = tmp();
    let log = p(dir.path(), "core.log");
    let summary = p(dir.path(), "s.json");
    let mut cmd = mm();
    // Slow replies, so shutdown is still in progress when the second signal lands.
    cmd.current_dir(dir.path())
        .args([
            "run",
            "--sim-latency-ms",
            "300",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .arg("--log")
        .arg(&log)
        .arg("--summary-json")
        .arg(&summary);
    let mut running = Running::spawn(cmd);
    wait_file_contains(&log, "tick 1 done", Duration::from_secs(60));
    signal(running.child.id(), "-INT");
    running.wait_line("SIGINT: shutting down", Duration::from_secs(30));
    signal(running.child.id(), "-INT");
    let out = running.wait(Duration::from_secs(30));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("second SIGINT") && out.stderr.contains("may still be open"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("live "), "{}", out.stderr);
    // The summary says how it ended, and what the embedded simulator still holds.
    let s = read_summary(&summary);
    assert_eq!(s.ended, mm_shell::Ended::SecondSignal, "{s:?}");
    assert!(!s.stopped, "{s:?}");
    assert!(s.open_orders_exchange.is_some(), "{s:?}");
}

#[test]
fn run_against_a_standalone_mm_sim() {
    let mut sim_cmd = mm();
    sim_cmd.args([
        "sim",
        "--addr",
        "127.0.0.1:0",
        "--latency-ms",
        "1",
        "--fills",
        "off",
    ]);
    let mut sim = Running::spawn(sim_cmd);
    let url = sim.wait_sim_url();

    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    let toml = Seed::polled().toml().replace(
        "kind = \"sim\"",
        &format!("kind = \"sim\"\nbase_url = \"{url}\""),
    );
    write(&cfg, &toml);
    let summary = p(dir.path(), "s.json");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--ticks", "8", "--config"])
        .arg(&cfg)
        .arg("--summary-json")
        .arg(&summary);
    let out = run(cmd, Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = read_summary(&summary);
    assert_eq!(s.ticks, 8);
    assert_eq!(s.open_orders_exchange, Some(0));
    assert_eq!(sim_count(&s, "/v5/order/create-batch"), 16, "{s:?}");

    signal(sim.child.id(), "-INT");
    let out = sim.wait(Duration::from_secs(30));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(&url));
}
