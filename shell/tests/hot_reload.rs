//! Hot reload: an invalid edit keeps the running config; flipping
//! `async_batch.enabled` to false switches to single-order requests from the
//! next tick, by the simulator's own counts.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

/// `mm run` for `ticks` ticks on `dir/mm.toml` (the default seed, written here), logging to
/// `dir/core.log`, against the embedded simulator (1 ms, unlimited tier), re-reading the
/// config every `reload_poll_ms`. Returns the command, the config path and the log path.
fn reloading_run(dir: &Path, ticks: &str, reload_poll_ms: &str) -> (Command, PathBuf, PathBuf) {
    let cfg = p(dir, "mm.toml");
    let log = p(dir, "core.log");
    write(&cfg, &Seed::polled().toml());
    let mut cmd = mm();
    cmd.current_dir(dir)
        .args(["run", "--ticks", ticks, "--sim-latency-ms", "1"])
        .args([
            "--sim-tier",
            "unlimited",
            "--reload-poll-ms",
            reload_poll_ms,
        ])
        .arg("--config")
        .arg(&cfg)
        .arg("--log")
        .arg(&log);
    (cmd, cfg, log)
}

#[test]
fn invalid_edit_is_refused_then_disabling_batches_switches_to_single_orders() {
    let dir = tmp();
    let summary = p(dir.path(), "summary.json");
    let (mut cmd, cfg, log) = reloading_run(dir.path(), "15", "50");
    cmd.args(["--sim-fills", "off"])
        .arg("--summary-json")
        .arg(&summary);
    let mut running = Running::spawn(cmd);
    let limit = Duration::from_secs(60);

    wait_file_contains(&log, "tick 3 done", limit);
    // Invalid: enabled = false with a batch size over the linear limit.
    write(
        &cfg,
        &Seed {
            enabled: false,
            extra_async_batch: "max_batch_size = 50\n",
            ..Seed::polled()
        }
        .toml(),
    );
    let refused = running.wait_line("config reload refused", limit);
    running.wait_line("async_batch.max_batch_size", limit);
    assert!(refused.contains("keeping the running config"), "{refused}");

    wait_file_contains(&log, "tick 8 done", limit);
    // Valid: legacy (and a tick interval its 80 sequential requests fit in;
    // books live longer than that interval, or core pulls quotes between polls).
    write(
        &cfg,
        &Seed {
            enabled: false,
            tick_interval_ms: 2000,
            max_book_age_ms: Some(5000),
            ..Seed::polled()
        }
        .toml(),
    );
    let out = running.wait(Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = read_summary(&summary);
    let text = std::fs::read_to_string(&log).unwrap();
    let applied: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("config applied at tick"))
        .collect();
    assert_eq!(applied.len(), 1, "only the valid edit applies: {applied:?}");
    assert!(applied[0].contains("enabled=false"), "{}", applied[0]);
    let k: u64 = applied[0]
        .split("config applied at tick ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(k > 8, "applied at tick {k}, before the edit");
    assert_eq!(
        s.conflated_ticks, 0,
        "ticks overlapped: counts cannot be judged exactly"
    );
    let started = s.ticks_started;
    let legacy_ticks = started - k + 1;
    // Ticks 1..k-1 batched (tick 1 only places), ticks k.. single orders.
    assert_eq!(
        sim_count(&s, "/v5/order/create-batch"),
        2 * (k - 1),
        "{s:?}"
    );
    assert_eq!(
        sim_count(&s, "/v5/order/cancel-batch"),
        2 * (k - 2),
        "{s:?}"
    );
    if started == s.ticks {
        assert_eq!(
            sim_count(&s, "/v5/order/create"),
            40 * legacy_ticks,
            "{s:?}"
        );
        // Plus shutdown's: with shutdown.cancel = "ours" (the default) the
        // last ladder's 40 orders are cancelled by id, one at a time in
        // legacy mode, instead of by cancel-all.
        assert_eq!(
            sim_count(&s, "/v5/order/cancel"),
            40 * legacy_ticks + 40,
            "{s:?}"
        );
    } else {
        assert!(
            sim_count(&s, "/v5/order/create") >= 40 * (legacy_ticks - 1),
            "{s:?}"
        );
    }
    assert_eq!(s.open_orders_exchange, Some(0));
}

#[test]
fn sighup_reloads_without_waiting_for_the_poll() {
    let dir = tmp();
    // Polling effectively off: only SIGHUP can pick the change up.
    let (cmd, cfg, log) = reloading_run(dir.path(), "12", "3600000");
    let running = Running::spawn(cmd);
    let limit = Duration::from_secs(60);
    wait_file_contains(&log, "tick 3 done", limit);
    write(
        &cfg,
        &Seed {
            reprice: "amend",
            ..Seed::polled()
        }
        .toml(),
    );
    signal(running.child.id(), "-HUP");
    let out = running.wait(Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("config applied at tick") && l.contains("reprice=amend")),
        "{text}"
    );
}

#[test]
fn every_sighup_on_a_still_invalid_file_reports_its_problems_again() {
    let dir = tmp();
    let (cmd, cfg, log) = reloading_run(dir.path(), "40", "3600000");
    let mut running = Running::spawn(cmd);
    let limit = Duration::from_secs(60);
    wait_file_contains(&log, "tick 2 done", limit);
    write(
        &cfg,
        &Seed {
            extra_async_batch: "max_batch_size = 50\n",
            ..Seed::polled()
        }
        .toml(),
    );
    for n in 1..=3 {
        signal(running.child.id(), "-HUP");
        running.wait_count("config reload refused", n, limit);
        running.wait_count("async_batch.max_batch_size", n, limit);
    }
    let out = running.wait(Duration::from_secs(120));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("unchanged"), "{}", out.stderr);
}
