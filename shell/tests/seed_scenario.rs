//! The seed scenario (4 symbols, 5 levels a side: `mm_shell::paper::config`) end to end: the `mm` binary against the
//! in-process simulator over real HTTP on 127.0.0.1, >= 50 ticks per mode.
//!
//! Counted: order requests = create/amend/cancel endpoints, batch ones
//! included, by the simulator's own per-path counts. Market data, cancel-all
//! and open-orders queries (shutdown's verification) are not counted. The
//! first tick only places (40 orders), so it is accounted for separately.
//! The simulator runs the `unlimited` tier here (no IP limit: legacy mode's 80
//! requests a tick would trip Bybit's 600 per 5 s otherwise); core's budgets
//! are the institutional 1000/s.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;

const TICKS: u64 = 50;

struct Mode {
    name: &'static str,
    seed: Seed,
    first_tick: u64,
    steady: u64,
}

fn legacy() -> Mode {
    Mode {
        name: "legacy",
        seed: Seed {
            enabled: false,
            // 80 sequential round trips must fit in one interval (see `exact`).
            tick_interval_ms: 1500,
            ..Seed::polled()
        },
        first_tick: 40,
        steady: 80,
    }
}

fn per_symbol() -> Mode {
    Mode {
        name: "symbol",
        seed: Seed {
            scope: "symbol",
            ..Seed::polled()
        },
        first_tick: 4,
        steady: 8,
    }
}

fn cancel_place() -> Mode {
    Mode {
        name: "cancel+place",
        seed: Seed::polled(),
        first_tick: 2,
        steady: 4,
    }
}

fn amend() -> Mode {
    Mode {
        name: "amend",
        seed: Seed {
            reprice: "amend",
            ..Seed::polled()
        },
        first_tick: 2,
        steady: 2,
    }
}

fn run_mode(mode: &Mode, fills: bool) -> RunSummary {
    let dir = tmp();
    let cfg = p(dir.path(), "mm.toml");
    write(&cfg, &mode.seed.toml());
    let summary = p(dir.path(), "summary.json");
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args([
            "run",
            "--ticks",
            &TICKS.to_string(),
            "--sim-latency-ms",
            "1",
            "--sim-tier",
            "unlimited",
        ])
        .args(["--sim-fills", if fills { "on" } else { "off" }])
        .arg("--config")
        .arg(&cfg)
        .arg("--summary-json")
        .arg(&summary);
    let out = run(cmd, Duration::from_secs(180));
    assert_eq!(
        out.code, 0,
        "{} (fills {fills}) failed:\n{}",
        mode.name, out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let s = read_summary(&summary);
    eprintln!(
        "{} fills={fills}: {} ticks, order requests {}, requests/tick {:.2}, p50 {} p95 {} ms",
        mode.name,
        s.ticks,
        order_requests(&s),
        s.requests_per_tick,
        s.tick_ms.p50,
        s.tick_ms.p95
    );
    assert_eq!(s.ticks, TICKS, "completed ticks before shutdown");
    assert!(s.stopped);
    assert_eq!(s.open_orders_core, 0);
    assert_eq!(s.open_orders_exchange, Some(s.open_orders_core));
    s
}

fn exact(mode: Mode) {
    let s = run_mode(&mode, false);
    // The simulator walks each price one +-3 bps step per ticker poll. A
    // tick that overlaps the next poll is conflated, and two steps can cancel
    // out (no order moves) or add to 6 bps (one level's width off): then not
    // every order is replaced and "exactly N a tick" no longer holds. The
    // interval leaves ample room; if this fires the machine was overloaded.
    assert_eq!(
        s.conflated_ticks, 0,
        "{}: ticks overlapped, so the exact count cannot be judged (p95 tick {} ms)",
        mode.name, s.tick_ms.p95
    );
    // Shutdown (shutdown.cancel = "ours") cancels our 40 orders by id: one
    // cancel-batch per symbol, or 40 single cancels in legacy mode.
    let shutdown = if mode.seed.enabled { 4 } else { 40 };
    let got = order_requests(&s) - shutdown;
    let steady_ticks = s.ticks - 1;
    if s.ticks_started == s.ticks {
        assert_eq!(
            got,
            mode.first_tick + steady_ticks * mode.steady,
            "{}: first tick {} + {} ticks x {}; simulator saw {:?}",
            mode.name,
            mode.first_tick,
            steady_ticks,
            mode.steady,
            s.exchange_requests_by_path
        );
    } else {
        // A tick started right before shutdown and was cut short: it sent at
        // most one tick's worth.
        let base = mode.first_tick + steady_ticks * mode.steady;
        assert!(
            (base..=base + mode.steady).contains(&got),
            "{}: {got} not in {base}..={}",
            mode.name,
            base + mode.steady
        );
    }
    assert_eq!(s.fallbacks + s.rejects + s.stale_drops, 0, "{s:?}");
}

fn within_ten_percent(mode: Mode) {
    let s = run_mode(&mode, true);
    let got = order_requests(&s).saturating_sub(mode.first_tick);
    #[allow(clippy::cast_precision_loss)]
    let per_tick = got as f64 / (s.ticks - 1) as f64;
    #[allow(clippy::cast_precision_loss)]
    let want = mode.steady as f64;
    assert!(
        (per_tick - want).abs() <= want * 0.1,
        "{}: {per_tick:.2} order requests a tick, want {want} +-10%",
        mode.name
    );
}

#[test]
fn legacy_is_80_requests_a_tick() {
    exact(legacy());
}

#[test]
fn per_symbol_batches_are_8_requests_a_tick() {
    exact(per_symbol());
}

#[test]
fn cross_symbol_cancel_place_is_4_requests_a_tick() {
    exact(cancel_place());
}

#[test]
fn amend_is_2_requests_a_tick() {
    exact(amend());
}

#[test]
fn legacy_with_fills_within_10_percent() {
    within_ten_percent(legacy());
}

#[test]
fn per_symbol_with_fills_within_10_percent() {
    within_ten_percent(per_symbol());
}

#[test]
fn cancel_place_with_fills_within_10_percent() {
    within_ten_percent(cancel_place());
}

#[test]
fn amend_with_fills_within_10_percent() {
    within_ten_percent(amend());
}
